/** The end-to-end figures as the side-by-side table `npm run bench` prints, and as an SVG chart for the README. */
import type { EndToEnd, RunFigures } from './endToEnd.js';

const fmt = (n: number | null | undefined, digits = 1) =>
  n === null || n === undefined ? '—' : Number.isInteger(n) ? String(n) : n.toFixed(digits);

const FIGURES: [string, (f: RunFigures) => number | null][] = [
  ['first-attempt success', (f) => f.firstAttemptSuccess],
  ['confirmed in the end', (f) => f.confirmed],
  ['RPC calls / payout', (f) => f.rpcCallsPerPayout],
  ['HTTP requests / payout', (f) => f.httpRequestsPerPayout],
  ['DB round trips / payout', (f) => f.dbRoundTripsPerPayout],
  ['good payouts / s', (f) => f.goodPerSecond],
  ['p50 enqueue→confirmed (ms)', (f) => f.p50Ms],
  ['p95 enqueue→confirmed (ms)', (f) => f.p95Ms],
  ['blocks, first send to last confirmation', (f) => f.blocks],
  ['nonce gaps', (f) => f.nonceGaps],
];

export function endToEndReport(figures: EndToEnd): { table: string; svg: string } {
  const lines: string[] = [];
  for (const run of figures.runs) {
    lines.push(`\n${run.name}`);
    lines.push('| figure | hostpay | seed | hostpay / seed |');
    lines.push('|---|---|---|---|');
    for (const [label, read] of FIGURES) {
      const h = read(run.hostpay);
      const s = run.seed ? read(run.seed) : null;
      const ratio = h !== null && s !== null && s !== 0 ? `${(h / s).toFixed(2)}×` : '—';
      lines.push(`| ${label} | ${fmt(h)} | ${fmt(s)} | ${ratio} |`);
    }
    const methods = Object.entries(run.hostpay.rpcByMethod)
      .map(([m, n]) => `${m} ${n.toFixed(2)}`)
      .join(', ');
    lines.push(`| hostpay RPC calls by method / payout | ${methods} | | |`);
  }
  const hello = figures.coldStartMs.hello ?? 0;
  lines.push('\ncold start to first answer (built code, median of 3) and peak RSS under the bursts');
  lines.push('| function | cold start (ms) | × hello-world | peak RSS (MiB) |');
  lines.push('|---|---|---|---|');
  for (const [name, ms] of Object.entries(figures.coldStartMs)) {
    const rss = figures.peakRssMiB[name];
    lines.push(`| ${name} | ${ms} | ${hello ? (ms / hello).toFixed(2) : '—'}× | ${rss ?? '—'} |`);
  }
  return { table: lines.join('\n'), svg: chart(figures) };
}

/** Bars of RPC calls per payout and good payouts per second, hostpay beside the seed, per run. */
function chart(figures: EndToEnd): string {
  const panels: [string, (f: RunFigures) => number][] = [
    ['RPC calls per payout', (f) => f.rpcCallsPerPayout],
    ['good payouts per second', (f) => f.goodPerSecond],
  ];
  const width = 760;
  const rowHeight = 26;
  const parts: string[] = [];
  let y = 30;
  for (const [title, read] of panels) {
    parts.push(`<text x="10" y="${y}" font-weight="bold">${title}</text>`);
    y += 10;
    const max = Math.max(1, ...figures.runs.flatMap((r) => [read(r.hostpay), r.seed ? read(r.seed) : 0]));
    for (const run of figures.runs) {
      for (const [who, f, color] of [
        ['hostpay', run.hostpay, '#2b6cb0'],
        ['seed', run.seed, '#c05621'],
      ] as const) {
        if (f === null) continue;
        const value = read(f);
        const bar = Math.max(1, Math.round((value / max) * 360));
        parts.push(`<text x="10" y="${y + 17}" font-size="12">${run.name} — ${who}</text>`);
        parts.push(`<rect x="330" y="${y + 5}" width="${bar}" height="16" fill="${color}"/>`);
        parts.push(`<text x="${336 + bar}" y="${y + 17}" font-size="12">${value.toFixed(1)}</text>`);
        y += rowHeight - 6;
      }
      y += 6;
    }
    y += 20;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" font-family="sans-serif" font-size="13" role="img"><title>hostpay beside the seed's algorithm: RPC calls per payout and good payouts per second</title><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}
