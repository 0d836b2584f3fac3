/**
 * The algorithm of the service hostpay replaces, re-expressed with ethers against the same node and proxy,
 * for the side-by-side figures: per payout a balance read, the nonce as the transaction count at `latest`,
 * `eth_feeHistory`, a 21 000-gas EIP-1559 send, then the receipt polled every 100 ms.
 */
import { JsonRpcProvider, Wallet } from 'ethers';

export interface SeedOutcome {
  ok: boolean;
  error?: string;
  confirmedAtMs?: number;
  blockNumber?: number;
}

export function seedPayer(rpcUrl: string, chainId: number, privateKey: string) {
  const provider = new JsonRpcProvider(rpcUrl, chainId, { staticNetwork: true, cacheTimeout: -1 });
  const wallet = new Wallet(privateKey, provider);
  const pay = async (to: string, wei: bigint): Promise<SeedOutcome> => {
    try {
      await provider.getBalance(wallet.address);
      const nonce = await provider.getTransactionCount(wallet.address, 'latest');
      const history = (await provider.send('eth_feeHistory', ['0x4', 'latest', [50]])) as {
        baseFeePerGas: string[];
      };
      const baseFee = BigInt(history.baseFeePerGas.at(-1) ?? '0x0');
      const tip = 2n * 10n ** 9n;
      const sent = await wallet.sendTransaction({
        type: 2,
        chainId,
        to,
        value: wei,
        nonce,
        gasLimit: 21_000n,
        maxPriorityFeePerGas: tip,
        maxFeePerGas: baseFee * 2n + tip,
      });
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const receipt = await provider.getTransactionReceipt(sent.hash);
        if (receipt)
          return { ok: receipt.status === 1, confirmedAtMs: Date.now(), blockNumber: receipt.blockNumber };
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return { ok: false, error: 'not mined in 60 s' };
    } catch (error) {
      return { ok: false, error: (error as { shortMessage?: string }).shortMessage ?? String(error) };
    }
  };
  return { address: wallet.address, pay, close: () => provider.destroy() };
}
