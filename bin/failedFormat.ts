/** Human output of `hostpay failed`: a table for lists, labelled lines for one failure. */

type Json = Record<string, unknown>;

const LIST_COLUMNS: [string, (row: Json) => string][] = [
  ['UNIQUE_ID', (r) => String(r.unique_id)],
  ['STATUS', (r) => String(r.status)],
  ['ERROR', (r) => String(r.error_code)],
  ['CONTEXT', (r) => String(r.context)],
  ['AMOUNT', (r) => `${trimAmount(r.from_amount)} ${String(r.from_currency)}`],
  ['RETRIES', (r) => String(r.retry_count)],
  ['CREATED', (r) => String(r.created_at).replace(/\.\d+Z$/, 'Z')],
];

function trimAmount(value: unknown): string {
  if (typeof value !== 'string') return '?';
  return value.includes('.') ? value.replace(/0+$/, '').replace(/\.$/, '') : value;
}

/** Rows as an aligned table under their column titles. */
export function renderTable(columns: [string, (row: Json) => string][], items: Json[]): string {
  const rows = [
    columns.map(([title]) => title),
    ...items.map((item) => columns.map(([, cell]) => cell(item))),
  ];
  const widths = columns.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The page as an aligned table, then `n of total`. */
export function renderList(body: Json): string {
  const items = (body.items as Json[] | undefined) ?? [];
  return `${renderTable(LIST_COLUMNS, items)}\n${items.length} of ${String(body.total ?? items.length)}`;
}

/** `title`, then each of `keys` the record holds as an aligned `key  value` line; nothing without a record. */
export function block(title: string, record: Json | null | undefined, keys: readonly string[]): string[] {
  if (!record) return [];
  const width = Math.max(...keys.map((k) => k.length));
  return [
    title,
    ...keys
      .filter((key) => record[key] !== null && record[key] !== undefined && record[key] !== '')
      .map((key) => `  ${key.padEnd(width)}  ${String(record[key])}`),
  ];
}

/** One failure (and, from `show`, its ledger row and transactions) as labelled lines. */
export function renderFailure(body: Json): string {
  const failure = body.failure as Json | undefined;
  const lines = block('failure', failure, [
    'unique_id',
    'status',
    'error_code',
    'error_message',
    'from_amount',
    'from_currency',
    'from_network',
    'payin_address',
    'context',
    'attempt_count',
    'retry_count',
    'last_retry_attempt',
    'recovery_tx_hash',
    'recovered_at',
    'recovered_by',
    'admin_notes',
    'created_at',
    'updated_at',
  ]);
  if (typeof body.task === 'string') lines.push(`retry task  ${body.task}`);
  lines.push(
    ...block('payout', body.payout as Json | null, [
      'status',
      'currency',
      'amountDecimal',
      'recipient',
      'attemptCount',
      'lastErrorCode',
      'confirmedTxHash',
    ]),
  );
  const transactions = (body.transactions as Json[] | undefined) ?? [];
  if (transactions.length > 0) {
    lines.push('transactions');
    for (const t of transactions) lines.push(transactionLine(t));
  }
  return lines.join('\n');
}

/** A signed transaction as one line: hash, nonce, kind and what the ledger says of it. */
export function transactionLine(t: Json): string {
  return `  ${String(t.hash)}  nonce ${String(t.nonce)}  ${String(t.kind)}  ${String(t.status)}`;
}
