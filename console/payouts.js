/** The payouts view (wallet balances, filters, keyset pages) and a payout's detail view. */
import { actionButtons } from './actions.js';
import { get } from './api.js';
import { badge, fill, h, short, table, time } from './dom.js';

const STATUSES = [
  'received',
  'submitted',
  'retry_scheduled',
  'pending_confirmation',
  'cancel_requested',
  'confirmed',
  'failed',
  'cancelled',
];
const CONTEXTS = ['instant', 'threshold', 'batch'];
const TEXT_FILTERS = [
  ['currency', 'currency', 'eth'],
  ['recipient', 'recipient', '0x… address'],
  ['tx_hash', 'tx hash', '0x… hash'],
  ['error_code', 'error code', 'INSUFFICIENT_FUNDS'],
];
const TIME_FILTERS = [
  ['created_from', 'created from'],
  ['created_to', 'created to'],
  ['confirmed_from', 'confirmed from'],
  ['confirmed_to', 'confirmed to'],
];

export const payoutLink = (key) => h('a', { href: `#/payout/${encodeURIComponent(key)}` }, key);

/** The wallet's balances, ETH flagged when under the threshold. */
export function balancesPanel(balances) {
  return h(
    'section',
    { id: 'balances' },
    h('h2', {}, 'Hot wallet ', h('span', { class: 'mono' }, balances.address)),
    balances.explorer_url
      ? h('a', { href: balances.explorer_url, target: '_blank', rel: 'noopener' }, 'explorer')
      : '',
    h(
      'ul',
      { class: 'balances' },
      balances.assets.map((asset) =>
        h(
          'li',
          { class: asset.low ? 'low' : '', 'data-symbol': asset.symbol },
          h('b', {}, asset.symbol.toUpperCase()),
          ' ',
          h('span', { class: 'amount', title: `${asset.base_units} base units` }, asset.balance),
          asset.low ? h('span', { class: 'flag' }, ` below ${balances.low_balance_threshold_eth} ETH`) : '',
        ),
      ),
    ),
    h(
      'p',
      { class: 'hint' },
      `Low-balance threshold: ${balances.low_balance_threshold_eth} ETH (gas for every payout).`,
    ),
  );
}

/** Mounts the list; returns the function that refreshes it (the router polls it). */
export function mountPayouts(root) {
  const filters = {};
  const cursors = [];
  let after = null;
  let next = null;
  const balances = h('div', { id: 'balances-slot' });
  const rows = h('div', { id: 'payouts' });
  const pager = h('div', { class: 'pager' });

  const input = (name, attrs) =>
    h('input', { name, ...attrs, onchange: (event) => setFilter(name, event.target.value, attrs.type) });
  const select = (name, options) =>
    h(
      'select',
      { name, onchange: (event) => setFilter(name, event.target.value) },
      h('option', { value: '' }, `any ${name}`),
      options.map((option) => h('option', { value: option }, option)),
    );
  function setFilter(name, value, type) {
    if (value === '') delete filters[name];
    else filters[name] = type === 'datetime-local' ? new Date(value).toISOString() : value.trim();
    cursors.length = 0;
    after = null;
    refresh();
  }

  const form = h(
    'form',
    { class: 'filters', onsubmit: (event) => event.preventDefault() },
    select('status', STATUSES),
    select('context', CONTEXTS),
    TEXT_FILTERS.map(([name, label, placeholder]) =>
      h('label', {}, label, input(name, { placeholder, size: name === 'tx_hash' ? 30 : 14 })),
    ),
    TIME_FILTERS.map(([name, label]) => h('label', {}, label, input(name, { type: 'datetime-local' }))),
  );
  fill(root, balances, h('h2', {}, 'Payouts'), form, rows, pager);

  async function refresh() {
    const query = new URLSearchParams({ ...filters, limit: '25', ...(after ? { after } : {}) });
    const [wallet, page] = await Promise.all([
      get('balances').catch((error) => ({ error: error.message })),
      get(`payouts?${query}`),
    ]);
    fill(
      balances,
      wallet.error ? h('p', { class: 'refused' }, `Balances: ${wallet.error}`) : balancesPanel(wallet),
    );
    next = page.next;
    fill(
      rows,
      table(
        [
          'unique_id',
          'status',
          'amount',
          'recipient',
          'context',
          'attempts',
          'last error',
          'created',
          'confirmed',
        ],
        page.items,
        (p) => [
          payoutLink(p.uniqueId),
          badge(p.status),
          `${p.amountDecimal} ${p.currency}`,
          short(p.recipient),
          p.context,
          `${p.attemptCount} (cycle ${p.cycle})`,
          p.lastErrorCode ?? '',
          time(p.createdAt),
          time(p.confirmedAt),
        ],
        (p) => ({ 'data-unique-id': p.uniqueId, 'data-status': p.status }),
      ),
    );
    fill(
      pager,
      h(
        'button',
        { type: 'button', disabled: cursors.length === 0, onclick: () => showPage(cursors.pop() ?? null) },
        '← Newer',
      ),
      h('button', { type: 'button', disabled: next === null, onclick: () => older() }, 'Older →'),
    );
  }
  function older() {
    cursors.push(after);
    showPage(next);
  }
  function showPage(cursor) {
    after = cursor;
    refresh();
  }
  return refresh;
}

/** Mounts one payout: the ledger row, its attempts, its transactions, its failure with the actions. */
export function mountPayout(root, key) {
  const slot = h('div', { id: 'payout' });
  fill(root, h('p', {}, h('a', { href: '#/payouts' }, '← payouts')), slot);
  async function refresh() {
    const view = await get(`payouts/${encodeURIComponent(key)}`);
    const p = view.payout;
    fill(
      slot,
      h('h2', {}, 'Payout ', h('span', { class: 'mono' }, p.uniqueId), ' ', badge(p.status)),
      h(
        'dl',
        {},
        [
          [
            'amount',
            `${p.amountDecimal} ${p.currency} (${p.amountBaseUnits} base units, ${p.decimals} decimals)`,
          ],
          ['recipient', p.recipient],
          ['context', p.context],
          ['cn_api_id', p.cnApiId],
          ['chain', String(p.chainId)],
          [
            'attempts',
            `${p.attemptCount} in cycle ${p.cycle}, this cycle since ${time(p.firstAttemptAt) || '—'}`,
          ],
          ['lease', p.leaseOwner ? `${p.leaseOwner} until ${time(p.leaseExpiresAt)}` : 'free'],
          ['last error', p.lastErrorCode ? `${p.lastErrorCode}: ${p.lastErrorMessage ?? ''}` : '—'],
          [
            'confirmed',
            p.confirmedTxHash
              ? `${p.confirmedTxHash} in block ${p.confirmedBlockNumber} at ${time(p.confirmedAt)}`
              : '—',
          ],
          ['created', time(p.createdAt)],
        ].flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
      ),
      h('h3', {}, 'Transactions'),
      table(
        ['kind', 'hash', 'nonce', 'cycle', 'stored status', 'node says', 'block', 'max fee (wei)', 'sent'],
        view.transactions,
        (t) => [
          t.kind,
          t.explorer_url
            ? h('a', { href: t.explorer_url, target: '_blank', rel: 'noopener', class: 'mono' }, t.hash)
            : h('span', { class: 'mono' }, t.hash),
          String(t.nonce),
          String(t.cycle),
          t.status,
          t.chain ? `${t.chain.state}${t.chain.success === false ? ' (reverted)' : ''}` : '',
          t.minedBlockNumber ?? t.chain?.blockNumber ?? '',
          t.maxFeePerGas,
          time(t.sentAt),
        ],
        (t) => ({ 'data-hash': t.hash }),
      ),
      h('h3', {}, 'Failure'),
      view.failure ? failureDetail(view.failure, refresh) : h('p', {}, 'none recorded'),
    );
  }
  return refresh;
}

function failureDetail(f, refresh) {
  return h(
    'div',
    { class: 'failure', 'data-unique-id': f.unique_id, 'data-status': f.status },
    h('p', {}, badge(f.status), ' ', h('b', {}, f.error_code), ` ${f.error_message}`),
    h('p', {}, `attempts ${f.attempt_count}, retries ${f.retry_count}, recorded ${time(f.created_at)}`),
    f.recovery_tx_hash ? h('p', {}, `recovered by ${f.recovered_by} in ${f.recovery_tx_hash}`) : '',
    f.admin_notes ? h('pre', { class: 'notes' }, f.admin_notes) : '',
    actionButtons(f, refresh),
  );
}
