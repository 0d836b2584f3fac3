/** The failures view: failed_transactions newest first, with retry, force-retry and cancel. */
import { actionButtons } from './actions.js';
import { get } from './api.js';
import { badge, fill, h, table, time } from './dom.js';
import { payoutLink } from './payouts.js';

const STATUSES = [
  'failed_pending_review',
  'failed_retryable',
  'retry_scheduled',
  'retry_in_progress',
  'recovered',
  'failed_cancelled',
];
const PAGE = 50;

export function mountFailures(root) {
  let status = '';
  let offset = 0;
  const rows = h('div', { id: 'failures' });
  const pager = h('div', { class: 'pager' });
  const filter = h(
    'select',
    {
      name: 'status',
      onchange: (event) => {
        status = event.target.value;
        offset = 0;
        refresh();
      },
    },
    h('option', { value: '' }, 'any status'),
    STATUSES.map((s) => h('option', { value: s }, s)),
  );
  fill(root, h('h2', {}, 'Failures'), h('form', { class: 'filters' }, filter), rows, pager);

  function turn(by) {
    offset += by;
    refresh();
  }
  async function refresh() {
    const query = new URLSearchParams({
      limit: String(PAGE),
      offset: String(offset),
      ...(status ? { status } : {}),
    });
    const page = await get(`failed-transactions?${query}`);
    fill(
      rows,
      table(
        [
          'unique_id',
          'status',
          'error',
          'amount',
          'context',
          'attempts',
          'retries',
          'recorded',
          'recovered',
          'actions',
        ],
        page.items,
        (f) => [
          payoutLink(f.unique_id),
          badge(f.status),
          h('span', { title: f.error_message }, f.error_code),
          `${f.from_amount ?? '?'} ${f.from_currency}`,
          f.context,
          String(f.attempt_count),
          String(f.retry_count),
          time(f.created_at),
          f.recovered_at ? `${time(f.recovered_at)} by ${f.recovered_by}` : '',
          actionButtons(f, refresh),
        ],
        (f) => ({ 'data-unique-id': f.unique_id, 'data-status': f.status }),
      ),
    );
    fill(
      pager,
      h('span', {}, `${page.total} in all `),
      h('button', { type: 'button', disabled: offset === 0, onclick: () => turn(-PAGE) }, '← Newer'),
      h(
        'button',
        {
          type: 'button',
          disabled: offset + PAGE >= page.total,
          onclick: () => turn(PAGE),
        },
        'Older →',
      ),
    );
  }
  return refresh;
}
