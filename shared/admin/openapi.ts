/**
 * adminApi's contract as OpenAPI 3.1, served at `GET /openapi.json`. `test/integration/functions/adminApi.test.ts`
 * checks every request it makes and every answer it gets against this document.
 */
import { FAILED_TRANSACTION_STATUSES, PAYOUT_STATUSES } from '../db/index.js';
import { OPERATOR_STATUSES } from './updateFailureStatus.js';

const nullable = (type: string) => ({ type: [type, 'null'] });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Record<string, unknown>) => ({ content: { 'application/json': { schema } } });
const error = (description: string) => ({ description, ...json(ref('Error')) });
const query = (name: string, description: string) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: { type: 'string' },
});
const uniqueIdParam = {
  name: 'unique_id',
  in: 'path',
  required: true,
  description: "The payout's unique_id, percent-encoded.",
  schema: { type: 'string' },
};
const refusals = {
  '400': error('A malformed path, query or body; `message` names the part.'),
  '401': error('No verified operator identity (production: an ID token).'),
  '404': error('No such failure.'),
  '405': error('Method not allowed on this path.'),
};

const FAILURE_FIELDS: Record<string, Record<string, unknown>> = {
  id: { type: 'integer' },
  unique_id: { type: 'string' },
  cn_api_id: { type: 'string' },
  from_currency: { type: 'string' },
  from_network: { type: 'string' },
  from_amount: nullable('string'),
  payin_address: { type: 'string' },
  context: { type: 'string' },
  error_code: { type: 'string' },
  error_message: { type: 'string' },
  last_error_details: { type: ['object', 'null'] },
  attempt_count: { type: 'integer' },
  last_attempt_timestamp: nullable('string'),
  status: { enum: [...FAILED_TRANSACTION_STATUSES] },
  retry_count: { type: 'integer' },
  last_retry_attempt: nullable('string'),
  recovery_tx_hash: nullable('string'),
  recovered_at: nullable('string'),
  recovered_by: nullable('string'),
  admin_notes: nullable('string'),
  created_at: { type: 'string' },
  updated_at: { type: 'string' },
};

const PAYOUT_FIELDS: Record<string, Record<string, unknown>> = {
  id: { type: 'integer' },
  uniqueId: { type: 'string' },
  cnApiId: { type: 'string' },
  context: { type: 'string' },
  currency: { type: 'string' },
  network: { type: 'string' },
  chainId: { type: 'integer' },
  assetAddress: nullable('string'),
  decimals: { type: 'integer' },
  recipient: { type: 'string' },
  amountDecimal: { type: 'string', description: 'The requested decimal amount, exactly.' },
  amountBaseUnits: { type: 'string', description: 'Base units, rounded down once; a decimal integer.' },
  status: { enum: [...PAYOUT_STATUSES] },
  attemptCount: { type: 'integer' },
  cycle: { type: 'integer' },
  firstAttemptAt: nullable('string'),
  leaseOwner: nullable('string'),
  leaseExpiresAt: nullable('string'),
  lastErrorCode: nullable('string'),
  lastErrorMessage: nullable('string'),
  confirmedTxHash: nullable('string'),
  confirmedBlockNumber: nullable('integer'),
  confirmedBlockHash: nullable('string'),
  confirmedGasUsed: nullable('string'),
  confirmedAt: nullable('string'),
  createdAt: { type: 'string' },
  updatedAt: { type: 'string' },
};

const TRANSACTION_FIELDS: Record<string, Record<string, unknown>> = {
  id: { type: 'integer' },
  payoutId: { type: 'integer' },
  chainId: { type: 'integer' },
  fromAddress: { type: 'string' },
  hash: { type: 'string' },
  nonce: { type: 'integer' },
  kind: { enum: ['transfer', 'replacement', 'cancel'] },
  maxFeePerGas: { type: 'string' },
  maxPriorityFeePerGas: { type: 'string' },
  gasLimit: { type: 'string' },
  status: { enum: ['signed', 'sent', 'mined', 'dropped', 'replaced'] },
  sentAt: nullable('string'),
  minedBlockNumber: nullable('integer'),
  minedBlockHash: nullable('string'),
  receiptStatus: { type: ['integer', 'null'] },
  gasUsed: nullable('string'),
  cycle: { type: 'integer' },
  createdAt: { type: 'string' },
  updatedAt: { type: 'string' },
};

const object = (fields: Record<string, Record<string, unknown>>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  required: Object.keys(fields),
  properties: { ...fields, ...extra },
  additionalProperties: false,
});

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'hostpay adminApi',
    version: '1.0.0',
    description:
      'Operators see every payout and act on failures. Behind Cloud Run IAM; who acted is taken from the ' +
      'verified ID token (docs/architecture.md, "Operators"). A path not listed answers 404, a method not ' +
      'listed for a path 405, each with an Error body. A body the Functions Framework cannot parse is refused ' +
      'by the framework itself with a bare 400 (or 413, 415) that is not JSON.',
  },
  paths: {
    '/payouts': {
      get: {
        summary: 'Payouts in any state, newest first, one keyset page at a time.',
        parameters: [
          query('status', 'Comma-separated ledger statuses.'),
          query('context', 'instant, threshold or batch.'),
          query('currency', 'Lower-case symbol.'),
          query('recipient', 'Address.'),
          query('tx_hash', 'Hash of any signed transaction of the payout.'),
          query('error_code', 'Last error code on the ledger row.'),
          query('created_from', 'ISO 8601, inclusive.'),
          query('created_to', 'ISO 8601, exclusive.'),
          query('confirmed_from', 'ISO 8601, inclusive.'),
          query('confirmed_to', 'ISO 8601, exclusive.'),
          query('limit', '1 to 500, default 50.'),
          query('after', 'The `next` of the previous page.'),
        ],
        responses: {
          '200': {
            description: 'A page; `next` is null on the last.',
            ...json({
              type: 'object',
              required: ['items', 'next'],
              properties: { items: { type: 'array', items: ref('Payout') }, next: nullable('string') },
              additionalProperties: false,
            }),
          },
          ...refusals,
        },
      },
    },
    '/payouts/{key}': {
      get: {
        summary: 'One payout by unique_id or by the hash of any of its transactions.',
        parameters: [{ ...uniqueIdParam, name: 'key', description: 'unique_id, or a 0x transaction hash.' }],
        responses: {
          '200': {
            description:
              "The ledger row, its transactions (with the node's word when available), its failure.",
            ...json({
              type: 'object',
              required: ['payout', 'failure', 'transactions'],
              properties: {
                payout: ref('Payout'),
                failure: { oneOf: [ref('Failure'), { type: 'null' }] },
                transactions: { type: 'array', items: ref('Transaction') },
              },
              additionalProperties: false,
            }),
          },
          ...refusals,
        },
      },
    },
    '/failed-transactions': {
      get: {
        summary: 'Recorded failures, newest first.',
        parameters: [
          query('status', 'Comma-separated failure statuses.'),
          query('error_code', 'Upper-case code.'),
          query('context', 'instant, threshold or batch.'),
          query('since', 'ISO 8601, inclusive.'),
          query('until', 'ISO 8601, exclusive.'),
          query('limit', '1 to 500, default 50.'),
          query('offset', '0 or more.'),
        ],
        responses: {
          '200': {
            description: 'A page and the total that match.',
            ...json({
              type: 'object',
              required: ['items', 'total'],
              properties: { items: { type: 'array', items: ref('Failure') }, total: { type: 'integer' } },
              additionalProperties: false,
            }),
          },
          ...refusals,
        },
      },
    },
    '/failed-transactions/{unique_id}': {
      get: {
        summary: 'One failure with its ledger row and signed transactions; writes nothing.',
        parameters: [uniqueIdParam],
        responses: {
          '200': {
            description: 'The failure.',
            ...json({
              type: 'object',
              required: ['failure', 'payout', 'transactions'],
              properties: {
                failure: ref('Failure'),
                payout: { oneOf: [ref('Payout'), { type: 'null' }] },
                transactions: { type: 'array', items: ref('Transaction') },
              },
              additionalProperties: false,
            }),
          },
          ...refusals,
        },
      },
    },
    '/failed-transactions/{unique_id}/retry': {
      post: {
        summary: 'A new attempt cycle for the failure.',
        parameters: [uniqueIdParam],
        requestBody: json({
          type: 'object',
          properties: { force: { type: 'boolean' }, notes: { type: 'string', maxLength: 2000 } },
          additionalProperties: false,
        }),
        responses: {
          '202': {
            description: 'The retry task is queued.',
            ...json({
              type: 'object',
              required: ['failure', 'task', 'first_attempt_at'],
              properties: {
                failure: ref('Failure'),
                task: { type: 'string' },
                first_attempt_at: { type: 'integer' },
              },
              additionalProperties: false,
            }),
          },
          ...refusals,
          '409': error(
            'Refused: not retryable without force, already paid, a transaction may still be mined, …',
          ),
          '413': error('Body too large.'),
          '503': error('The retry queue could not be reached; nothing changed.'),
        },
      },
    },
    '/failed-transactions/{unique_id}/status': {
      put: {
        summary: 'An operator status change; failed_cancelled cancels the payout first.',
        parameters: [uniqueIdParam],
        requestBody: json({
          type: 'object',
          required: ['status'],
          properties: {
            status: { enum: [...OPERATOR_STATUSES] },
            admin_notes: { type: 'string', maxLength: 2000 },
            recovery_tx_hash: { type: 'string' },
          },
          additionalProperties: false,
        }),
        responses: {
          '200': {
            description: 'The failure as it now is.',
            ...json(object({ failure: ref('Failure') })),
          },
          ...refusals,
          '409': error('Refused: transition not allowed, already_paid, cancel_pending, recovery_unproven, …'),
          '413': error('Body too large.'),
        },
      },
    },
    '/balances': {
      get: {
        summary:
          "The hot wallet's ETH and every configured token balance, exactly, with the low-balance threshold.",
        responses: {
          '200': { description: 'Read from the node now.', ...json(ref('Balances')) },
          ...refusals,
          '503': error('chain_not_configured, or chain_unavailable: the node did not answer.'),
        },
      },
    },
    '/stats': {
      get: {
        summary:
          'Per time bucket: payouts created by their status now, time to confirm (p50/p95), failures by error code.',
        parameters: [
          query('since', 'ISO 8601, inclusive; default an hour ago. At most 1440 buckets.'),
          query('bucket', 'Bucket width in seconds, 10 to 86400, default 60.'),
        ],
        responses: {
          '200': { description: 'Buckets with something in them, oldest first.', ...json(ref('Stats')) },
          ...refusals,
        },
      },
    },
    '/': {
      get: {
        summary: "The operators' console (HTML); static, no data. Its calls go to the routes here.",
        responses: {
          '200': { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } },
          '405': error('Method not allowed on this path.'),
        },
      },
    },
    '/console/{file}': {
      get: {
        summary: "One of the console's static files (scripts, styles, uPlot).",
        parameters: [{ ...uniqueIdParam, name: 'file', description: 'A file name, no folders.' }],
        responses: {
          '200': {
            description: 'The file.',
            content: {
              'text/javascript': { schema: { type: 'string' } },
              'text/css': { schema: { type: 'string' } },
            },
          },
          '404': error('No such file.'),
          '405': error('Method not allowed on this path.'),
        },
      },
    },
    '/openapi.json': {
      get: {
        summary: 'This document.',
        responses: { '200': { description: 'OpenAPI 3.1.', ...json({ type: 'object' }) } },
      },
    },
    '/health': {
      get: {
        summary: 'Each component: configuration, database, retry queue, chain.',
        responses: {
          '200': { description: 'All answer.', ...json(ref('Health')) },
          '503': { description: 'One does not.', ...json(ref('Health')) },
        },
      },
    },
  },
  components: {
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'string' }, message: { type: 'string' } },
        additionalProperties: { type: 'string' },
      },
      Failure: object(FAILURE_FIELDS),
      Payout: object(PAYOUT_FIELDS),
      Transaction: object(TRANSACTION_FIELDS, {
        explorer_url: {
          ...nullable('string'),
          description: "The explorer's page; null on a chain without one.",
        },
        chain: {
          type: 'object',
          required: ['state'],
          properties: {
            state: { enum: ['mined', 'pending', 'unknown', 'unavailable'] },
            blockNumber: { type: 'integer' },
            success: { type: 'boolean' },
          },
          additionalProperties: false,
        },
      }),
      Balances: object({
        chain_id: { type: 'integer' },
        address: { type: 'string' },
        explorer_url: nullable('string'),
        low_balance_threshold_eth: {
          type: 'string',
          description: 'LOW_BALANCE_THRESHOLD_ETH, exact decimal.',
        },
        assets: {
          type: 'array',
          items: object({
            symbol: { type: 'string' },
            kind: { enum: ['native', 'erc20'] },
            contract: nullable('string'),
            decimals: { type: 'integer' },
            balance: { type: 'string', description: 'Exact decimal.' },
            base_units: { type: 'string', description: 'Base units (wei for ETH); a decimal integer.' },
            low: { type: 'boolean', description: 'ETH below the threshold; tokens have none.' },
          }),
        },
      }),
      Stats: object({
        since: { type: 'string' },
        until: { type: 'string' },
        bucket_seconds: { type: 'integer' },
        payouts: {
          type: 'array',
          items: object({
            bucket: { type: 'string' },
            status: { enum: [...PAYOUT_STATUSES] },
            count: { type: 'integer' },
          }),
        },
        time_to_confirm: {
          type: 'array',
          description:
            'Payouts confirmed in the bucket; seconds from the first delivery to the confirmation.',
          items: object({
            bucket: { type: 'string' },
            count: { type: 'integer' },
            p50_seconds: { type: 'number' },
            p95_seconds: { type: 'number' },
          }),
        },
        failures: {
          type: 'array',
          items: object({
            bucket: { type: 'string' },
            error_code: { type: 'string' },
            count: { type: 'integer' },
          }),
        },
      }),
      Health: {
        type: 'object',
        required: ['status', 'components'],
        properties: { status: { enum: ['ok', 'degraded'] }, components: { type: 'object' } },
        additionalProperties: false,
      },
    },
  },
} as const;
