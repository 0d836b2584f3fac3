/** `.local/stack.json`: where each piece of a running local stack listens (docs/architecture.md, "Running it locally"). */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as v from 'valibot';
import { FUNCTION_NAMES } from '../../shared/config/settings.js';

const Url = v.pipe(v.string(), v.url());
const Token = v.object({ address: v.string(), decimals: v.number() });

/** The exact shape other tools read. A function whose export does not exist yet is null. */
export const StackFileSchema = v.object({
  chainId: v.number(),
  rpcUrl: Url,
  databaseUrl: v.string(),
  signingKey: v.string(),
  wallet: v.object({ address: v.string() }),
  tokens: v.object({ usdt: Token, usdc: Token, dai: Token }),
  tasks: v.object({
    endpoint: v.string(),
    project: v.string(),
    location: v.string(),
    queues: v.object({ payment: v.string(), retry: v.string(), failure: v.string() }),
  }),
  functions: v.object(
    Object.fromEntries(FUNCTION_NAMES.map((name) => [name, v.nullable(Url)])) as Record<
      (typeof FUNCTION_NAMES)[number],
      v.NullableSchema<typeof Url, undefined>
    >,
  ),
  upstream: v.object({ url: Url, received: Url }),
});

export type StackFile = v.InferOutput<typeof StackFileSchema>;

/** Written to a temporary name and renamed, so a reader never sees half a file. */
export async function writeStackFile(file: string, stack: StackFile): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(stack, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

export async function removeStackFile(file: string): Promise<void> {
  await rm(file, { force: true });
}

/** Reads and checks the file; a missing file says to run `npm start`. */
export async function readStackFile(file: string): Promise<StackFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`no local stack is running (${file} not found); start one with \`npm start\``);
    }
    throw error;
  }
  const parsed = v.safeParse(StackFileSchema, JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new Error(`${file} is not a stack description: ${v.getDotPath(issue) ?? ''} ${issue.message}`);
  }
  return parsed.output;
}
