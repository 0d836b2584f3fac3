/**
 * `npm run bench`: the cost of the pure core, then hostpay end to end beside the seed's algorithm on the
 * local stack (`--micro` for the first part alone). Printed as tables; the end-to-end figures also go to
 * `bench/results.json` and `bench/results.svg`. Targets live here, not in timed tests.
 */
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { FetchRequest, makeError } from 'ethers';
import { classifyError } from '../shared/classifier/index.js';
import { createLogger } from '../shared/log/index.js';
import { decimalFromDouble, toBaseUnits } from '../shared/money.js';
import { decodePaymentRequest, encodePaymentRequest } from '../shared/token/index.js';
import { runEndToEnd } from './endToEnd.js';
import { endToEndReport } from './report.js';

interface Row {
  name: string;
  opsPerSecond: number;
  microsPerOp: number;
  target: string;
  ok: boolean;
}

function measure(name: string, targetMicros: number, fn: () => void, minMs = 300): Row {
  for (let i = 0; i < 200; i++) fn();
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    for (let i = 0; i < 100; i++) fn();
    ops += 100;
  }
  const micros = ((performance.now() - start) * 1000) / ops;
  return {
    name,
    opsPerSecond: Math.round(1e6 / micros),
    microsPerOp: Number(micros.toFixed(2)),
    target: `< ${targetMicros} µs`,
    ok: micros < targetMicros,
  };
}

const key = 'bench-signing-key-0123456789abcdef';
const now = 1_764_000_000;
const fields = {
  unique_id: 'batch_6f1c2a4e-9b3d-4c7a-8e2f-1a2b3c4d5e6f',
  cn_api_id: 'a1b2c3d4e5f6a7b8c9d0',
  from_currency: 'usdt',
  from_network: 'eth',
  from_amount: 3.11693635,
  payin_address: '0x459b9C28A8e266d59Ff57A8206730A4a264d5A2e',
  context: 'batch',
};
const token = encodePaymentRequest(fields, { key, now });
const rateLimited = makeError('rate limited', 'SERVER_ERROR', {
  request: new FetchRequest('http://127.0.0.1:8545'),
  info: { responseStatus: '429 Too Many Requests' },
});
const logger = createLogger({ write: () => undefined, secrets: [key] });

const rows = [
  measure('token: encode payment request', 50, () => encodePaymentRequest(fields, { key, now })),
  measure('token: decode + verify payment request', 80, () =>
    decodePaymentRequest(token, { keys: { current: key }, freshness: { now } }),
  ),
  measure('money: double → base units', 20, () => toBaseUnits(decimalFromDouble(0.00115340416715763), 18)),
  measure('classifier: ethers 429 error', 50, () => classifyError(rateLimited)),
  measure('log: one event with an error', 200, () =>
    logger.error('payment_failed', 'payout failed', { unique_id: fields.unique_id, error: rateLimited }),
  ),
];
console.table(rows);
if (rows.some((r) => !r.ok)) process.exitCode = 1;

if (!process.argv.includes('--micro')) {
  const started = performance.now();
  const figures = await runEndToEnd((line) => console.log(`bench: ${line}`));
  const report = endToEndReport(figures);
  console.log(report.table);
  await writeFile(new URL('./results.json', import.meta.url), `${JSON.stringify(figures, null, 2)}\n`);
  await writeFile(new URL('./results.svg', import.meta.url), report.svg);
  console.log(
    `bench: end to end in ${Math.round((performance.now() - started) / 1000)} s; bench/results.json, bench/results.svg`,
  );
}
