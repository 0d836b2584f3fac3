/** The compiled test tokens, committed as `artifacts.json` by `compile.ts` (docs/architecture.md, "Platform facts"). */
import { readFile } from 'node:fs/promises';

/** TestToken: a standard ERC-20 · NoReturnToken: USDT-like, `transfer` returns nothing. */
export type TokenContractName = 'TestToken' | 'NoReturnToken';

export interface TokenArtifacts {
  /** The solc version that produced them. */
  compiler: string;
  contracts: Record<TokenContractName, { abi: unknown[]; bytecode: string }>;
}

let cached: Promise<TokenArtifacts> | undefined;

/** Reads the committed artifacts once per process. */
export function loadTokenArtifacts(): Promise<TokenArtifacts> {
  cached ??= readFile(new URL('./artifacts.json', import.meta.url), 'utf8').then(
    (text) => JSON.parse(text) as TokenArtifacts,
  );
  return cached;
}
