/** The chain client every chain function takes first (docs/architecture.md, "Conventions", docs/architecture.md, "Platform facts"). */
import { FetchRequest, getAddress, JsonRpcProvider, Network, Wallet } from 'ethers';
import { HostpayError } from '../errors.js';

/** A provider that makes only the calls asked for, and the hot wallet that signs offline. */
export interface ChainClient {
  readonly provider: JsonRpcProvider;
  /** Signs only; never connected, so signing makes no RPC call. */
  readonly wallet: Wallet;
  /** The hot wallet's checksummed address. */
  readonly address: string;
  readonly chainId: number;
}

export interface ChainClientParams {
  rpcUrl: string;
  chainId: number;
  /** `0x` + 64 hex digits; never logged or put in an error. */
  privateKey: string;
  /** Bound on one HTTP request to the node; default 15 s. */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/**
 * A JSON-RPC provider pinned to `chainId` (no `eth_chainId` probes), with ethers' 250 ms call cache off
 * (two sends in a row would otherwise see a stale nonce, docs/architecture.md, "Platform facts"), no retries of HTTP 429 (the task
 * queue retries later, RATE_LIMIT_EXCEEDED), and calls made together sent as one batch.
 */
export function createChainClient(params: ChainClientParams): ChainClient {
  if (!Number.isSafeInteger(params.chainId) || params.chainId <= 0) {
    throw new HostpayError(
      'WEB3_INITIALIZATION_FAILED',
      `chain id ${params.chainId} is not a positive integer`,
    );
  }
  let wallet: Wallet;
  try {
    wallet = new Wallet(params.privateKey);
  } catch {
    // No cause: the library's error could carry the key.
    throw new HostpayError('WALLET_UNLOCKED_FAILED', 'the wallet private key is not a valid secp256k1 key');
  }
  let request: FetchRequest;
  try {
    request = new FetchRequest(params.rpcUrl);
  } catch {
    throw new HostpayError('WEB3_INITIALIZATION_FAILED', 'the RPC URL is not a valid URL');
  }
  request.timeout = params.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  request.retryFunc = async () => false;
  const network = Network.from(params.chainId);
  const provider = new JsonRpcProvider(request, network, {
    staticNetwork: network,
    cacheTimeout: -1,
    batchMaxCount: 10,
  });
  return { provider, wallet, address: getAddress(wallet.address), chainId: params.chainId };
}
