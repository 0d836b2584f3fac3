-- migrate:up
-- The payout ledger (docs/architecture.md, "Invariants and where they are enforced" and "The flow"): one row per unique_id, holding the validated request, its state
-- and the lease that keeps two deliveries from working on it at once.
CREATE TABLE payouts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  unique_id varchar(255) NOT NULL,
  cn_api_id varchar(255) NOT NULL,
  context varchar(32) NOT NULL,
  currency varchar(32) NOT NULL,
  network varchar(32) NOT NULL,
  chain_id bigint NOT NULL,
  -- NULL for the chain's native coin.
  asset_address varchar(42),
  decimals smallint NOT NULL,
  recipient varchar(42) NOT NULL,
  -- Unconstrained numeric keeps the requested decimal exactly as given; a typmod would round it.
  amount_decimal numeric NOT NULL,
  amount_base_units numeric(78, 0) NOT NULL,
  status varchar(32) NOT NULL DEFAULT 'received',
  attempt_count integer NOT NULL DEFAULT 0,
  first_attempt_at timestamptz,
  lease_owner varchar(128),
  lease_expires_at timestamptz,
  last_error_code varchar(64),
  last_error_message text,
  confirmed_tx_hash varchar(66),
  confirmed_block_number bigint,
  confirmed_block_hash varchar(66),
  confirmed_gas_used numeric(78, 0),
  confirmed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT payouts_unique_id_key UNIQUE (unique_id),
  CONSTRAINT payouts_unique_id_check CHECK (unique_id <> ''),
  CONSTRAINT payouts_chain_id_check CHECK (chain_id > 0),
  CONSTRAINT payouts_asset_address_check CHECK (asset_address ~ '^0x[0-9a-fA-F]{40}$'),
  CONSTRAINT payouts_decimals_check CHECK (decimals BETWEEN 0 AND 36),
  CONSTRAINT payouts_recipient_check CHECK (recipient ~ '^0x[0-9a-fA-F]{40}$'),
  CONSTRAINT payouts_amount_decimal_check CHECK (amount_decimal >= 0),
  CONSTRAINT payouts_amount_base_units_check CHECK (amount_base_units >= 0),
  CONSTRAINT payouts_status_check CHECK (
    status IN (
      'received',
      'retry_scheduled',
      'submitted',
      'pending_confirmation',
      'confirmed',
      'failed',
      'cancelled'
    )
  ),
  CONSTRAINT payouts_attempt_count_check CHECK (attempt_count >= 0),
  CONSTRAINT payouts_lease_check CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL)),
  CONSTRAINT payouts_confirmed_tx_hash_check CHECK (confirmed_tx_hash ~ '^0x[0-9a-f]{64}$'),
  CONSTRAINT payouts_confirmed_block_hash_check CHECK (confirmed_block_hash ~ '^0x[0-9a-f]{64}$'),
  CONSTRAINT payouts_confirmed_check CHECK (
    status <> 'confirmed'
    OR (confirmed_tx_hash IS NOT NULL AND confirmed_block_number IS NOT NULL AND confirmed_at IS NOT NULL)
  )
);

CREATE INDEX payouts_status_updated_at_idx ON payouts (status, updated_at);

-- migrate:down
DROP TABLE payouts;
