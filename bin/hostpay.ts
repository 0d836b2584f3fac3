#!/usr/bin/env node
/** Entry of the `hostpay` command (docs/architecture.md, "Running it locally"): `node --import tsx bin/hostpay.ts` or `node dist/bin/hostpay.js`. */
import { runCli } from './cli.js';

const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTTY: process.stdout.isTTY === true,
  env: process.env,
});
// Exit explicitly: a client library's idle handle must not hold the command open.
process.exit(code);
