-- migrate:up
-- The upstream's failed_transactions (docs/architecture.md, "Database"), corrected: from_amount NUMERIC(38,18) instead of (18,8),
-- timestamptz, one row per unique_id, status and length checks. Token strings are at most 255 bytes,
-- so every column fed from a token is VARCHAR(255): a bad currency or address must still be recordable.
CREATE TABLE failed_transactions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  unique_id varchar(255) NOT NULL,
  cn_api_id varchar(255) NOT NULL,
  from_currency varchar(255) NOT NULL,
  from_network varchar(255) NOT NULL,
  -- NULL when the requested amount is not a finite decimal that fits exactly (kept in last_error_details).
  from_amount numeric(38, 18),
  payin_address varchar(255) NOT NULL,
  context varchar(255) NOT NULL,
  error_code varchar(64) NOT NULL,
  error_message text NOT NULL DEFAULT '',
  last_error_details jsonb,
  attempt_count integer NOT NULL DEFAULT 0,
  last_attempt_timestamp timestamptz,
  status varchar(32) NOT NULL DEFAULT 'failed_pending_review',
  retry_count integer NOT NULL DEFAULT 0,
  last_retry_attempt timestamptz,
  recovery_tx_hash varchar(66),
  recovered_at timestamptz,
  recovered_by varchar(255),
  admin_notes text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT failed_transactions_unique_id_key UNIQUE (unique_id),
  CONSTRAINT failed_transactions_unique_id_check CHECK (unique_id <> ''),
  CONSTRAINT failed_transactions_status_check CHECK (
    status IN (
      'failed_pending_review',
      'failed_retryable',
      'failed_cancelled',
      'retry_scheduled',
      'retry_in_progress',
      'recovered'
    )
  ),
  CONSTRAINT failed_transactions_attempt_count_check CHECK (attempt_count >= 0),
  CONSTRAINT failed_transactions_retry_count_check CHECK (retry_count >= 0),
  CONSTRAINT failed_transactions_recovery_tx_hash_check CHECK (recovery_tx_hash ~ '^0x[0-9a-f]{64}$'),
  CONSTRAINT failed_transactions_recovered_check CHECK (status <> 'recovered' OR recovered_at IS NOT NULL)
);

CREATE INDEX failed_transactions_status_created_at_idx ON failed_transactions (status, created_at);
CREATE INDEX failed_transactions_error_code_idx ON failed_transactions (error_code);
CREATE INDEX failed_transactions_context_idx ON failed_transactions (context);
CREATE INDEX failed_transactions_created_at_idx ON failed_transactions (created_at);
CREATE INDEX failed_transactions_cn_api_id_idx ON failed_transactions (cn_api_id);

-- migrate:down
DROP TABLE failed_transactions;
