/** The charts view (uPlot): payouts per bucket by outcome, time to confirm p50/p95, failures by error code. */
import { get } from './api.js';
import { fill, h } from './dom.js';

const WINDOWS = [
  ['last hour, by minute', 3600, 60],
  ['last 6 hours, by 5 minutes', 6 * 3600, 300],
  ['last day, by 15 minutes', 86400, 900],
];
const OUTCOMES = [
  ['confirmed', '#2e7d32', (s) => s === 'confirmed'],
  ['failed', '#c62828', (s) => s === 'failed'],
  ['cancelled', '#6d4c41', (s) => s === 'cancelled' || s === 'cancel_requested'],
  ['in flight', '#1565c0', (s) => !['confirmed', 'failed', 'cancelled', 'cancel_requested'].includes(s)],
];
const PALETTE = ['#c62828', '#ef6c00', '#6a1b9a', '#00838f', '#9e9d24', '#4e342e', '#37474f', '#ad1457'];

export function mountCharts(root) {
  let choice = WINDOWS[0];
  let plots = [];
  const area = h('div', { id: 'charts' });
  const picker = h(
    'select',
    {
      name: 'window',
      onchange: (event) => {
        choice = WINDOWS[Number(event.target.value)];
        refresh();
      },
    },
    WINDOWS.map(([label], i) => h('option', { value: i }, label)),
  );
  fill(root, h('h2', {}, 'Charts'), h('form', { class: 'filters' }, picker), area);

  async function refresh() {
    const [, seconds, bucket] = choice;
    const since = new Date(Math.floor((Date.now() - seconds * 1000) / (bucket * 1000)) * bucket * 1000);
    const stats = await get(
      `stats?${new URLSearchParams({ since: since.toISOString(), bucket: String(bucket) })}`,
    );
    const xs = [];
    for (let t = Date.parse(stats.since) / 1000; t <= Date.parse(stats.until) / 1000; t += bucket) xs.push(t);
    const index = new Map(xs.map((x, i) => [x, i]));
    const at = (iso) => index.get(Date.parse(iso) / 1000);
    const zeros = () => xs.map(() => 0);

    const outcomes = OUTCOMES.map(() => zeros());
    for (const row of stats.payouts) {
      const i = at(row.bucket);
      const o = OUTCOMES.findIndex(([, , test]) => test(row.status));
      if (i !== undefined) outcomes[o][i] += row.count;
    }
    const p50 = xs.map(() => null);
    const p95 = xs.map(() => null);
    for (const row of stats.time_to_confirm) {
      const i = at(row.bucket);
      if (i !== undefined) [p50[i], p95[i]] = [row.p50_seconds, row.p95_seconds];
    }
    const codes = [...new Set(stats.failures.map((row) => row.error_code))].sort();
    const failures = codes.map(() => zeros());
    for (const row of stats.failures) {
      const i = at(row.bucket);
      if (i !== undefined) failures[codes.indexOf(row.error_code)][i] += row.count;
    }

    for (const plot of plots) plot.destroy();
    const per = `per ${bucket >= 60 ? `${bucket / 60} min` : `${bucket} s`}`;
    const boxes = [
      chartBox('payouts-chart', `Payouts ${per} by outcome (created in the bucket, status now)`),
      chartBox('confirm-chart', 'Time to confirm, seconds from first delivery (p50, p95)'),
      chartBox('failures-chart', `Failures ${per} by error code`),
    ];
    fill(area, boxes);
    const width = Math.max(320, area.clientWidth - 20);
    const make = (box, series, data, opts = {}) =>
      new window.uPlot(
        { width, height: 200, series: [{}, ...series], ...opts },
        [xs, ...data],
        box.lastChild,
      );
    plots = [
      make(
        boxes[0],
        OUTCOMES.map(([label, stroke]) => ({ label, stroke, width: 2 })),
        outcomes,
      ),
      make(
        boxes[1],
        [
          { label: 'p50', stroke: '#1565c0', width: 2, spanGaps: false, points: { show: true } },
          { label: 'p95', stroke: '#ef6c00', width: 2, spanGaps: false, points: { show: true } },
        ],
        [p50, p95],
      ),
      make(
        boxes[2],
        codes.map((label, i) => ({ label, stroke: PALETTE[i % PALETTE.length], width: 2 })),
        failures,
      ),
    ];
    if (codes.length === 0) boxes[2].append(h('p', { class: 'hint' }, 'no failures in this window'));
  }
  return refresh;
}

function chartBox(id, title) {
  return h('section', { class: 'chart', id }, h('h3', {}, title), h('div', {}));
}
