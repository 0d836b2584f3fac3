/**
 * Compiles the test tokens offline with the solc-js bundled in the `solc` package (docs/architecture.md, "Platform facts") and,
 * run as a script, writes `artifacts.json` beside this file:
 *
 *   node --import tsx local/contracts/compile.ts
 *
 * A test compiles again and checks the committed artifacts are exactly what these sources give.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TokenArtifacts, TokenContractName } from './artifacts.js';

const SOURCES: readonly TokenContractName[] = ['TestToken', 'NoReturnToken'];
export const ARTIFACTS_FILE = fileURLToPath(new URL('./artifacts.json', import.meta.url));

interface SolcOutput {
  errors?: Array<{ severity: string; formattedMessage: string }>;
  contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

/** Compiles both token sources; throws on any compiler error or warning. */
export async function compileTestTokens(): Promise<TokenArtifacts> {
  const sources: Record<string, { content: string }> = {};
  for (const name of SOURCES) {
    sources[`${name}.sol`] = {
      content: await readFile(new URL(`./${name}.sol`, import.meta.url), 'utf8'),
    };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      // cancun runs on every node and hardfork anvil offers.
      evmVersion: 'cancun',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  // solc-js is CommonJS and bundles the compiler (soljson.js): nothing is downloaded.
  const solc = createRequire(import.meta.url)('solc') as {
    compile(input: string): string;
    version(): string;
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const problems = (output.errors ?? []).filter((e) => e.severity === 'error' || e.severity === 'warning');
  if (problems.length > 0) {
    throw new Error(`solc reported:\n${problems.map((e) => e.formattedMessage).join('\n')}`);
  }
  const contracts = {} as TokenArtifacts['contracts'];
  for (const name of SOURCES) {
    const compiled = output.contracts[`${name}.sol`]?.[name];
    if (!compiled) throw new Error(`solc produced no ${name}`);
    contracts[name] = { abi: compiled.abi, bytecode: `0x${compiled.evm.bytecode.object}` };
  }
  return { compiler: solc.version(), contracts };
}

/** The artifacts file's exact text for `artifacts`. */
export function serializeArtifacts(artifacts: TokenArtifacts): string {
  return `${JSON.stringify(artifacts, null, 2)}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const artifacts = await compileTestTokens();
  await writeFile(ARTIFACTS_FILE, serializeArtifacts(artifacts));
  process.stdout.write(`wrote ${ARTIFACTS_FILE} (solc ${artifacts.compiler})\n`);
}
