-- migrate:up
-- Every signed transaction of a payout (docs/architecture.md, "Invariants and where they are enforced"), written before it is broadcast, so a later attempt
-- can find it on chain, rebroadcast the same bytes or replace it at the same nonce.
CREATE TABLE payout_transactions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  payout_id bigint NOT NULL REFERENCES payouts (id) ON DELETE RESTRICT,
  chain_id bigint NOT NULL,
  from_address varchar(42) NOT NULL,
  hash varchar(66) NOT NULL,
  nonce bigint NOT NULL,
  kind varchar(16) NOT NULL,
  max_fee_per_gas numeric(78, 0) NOT NULL,
  max_priority_fee_per_gas numeric(78, 0) NOT NULL,
  gas_limit numeric(78, 0) NOT NULL,
  raw_transaction bytea NOT NULL,
  status varchar(16) NOT NULL DEFAULT 'signed',
  sent_at timestamptz,
  mined_block_number bigint,
  mined_block_hash varchar(66),
  receipt_status smallint,
  gas_used numeric(78, 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT payout_transactions_hash_key UNIQUE (hash),
  CONSTRAINT payout_transactions_hash_check CHECK (hash ~ '^0x[0-9a-f]{64}$'),
  CONSTRAINT payout_transactions_from_address_check CHECK (from_address ~ '^0x[0-9a-f]{40}$'),
  CONSTRAINT payout_transactions_nonce_check CHECK (nonce >= 0),
  CONSTRAINT payout_transactions_kind_check CHECK (kind IN ('transfer', 'replacement', 'cancel')),
  CONSTRAINT payout_transactions_fees_check CHECK (
    max_priority_fee_per_gas >= 0 AND max_priority_fee_per_gas <= max_fee_per_gas
  ),
  CONSTRAINT payout_transactions_gas_limit_check CHECK (gas_limit > 0),
  CONSTRAINT payout_transactions_raw_check CHECK (octet_length(raw_transaction) > 0),
  CONSTRAINT payout_transactions_status_check CHECK (status IN ('signed', 'sent', 'mined', 'dropped', 'replaced')),
  CONSTRAINT payout_transactions_mined_block_hash_check CHECK (mined_block_hash ~ '^0x[0-9a-f]{64}$'),
  CONSTRAINT payout_transactions_receipt_status_check CHECK (receipt_status IN (0, 1)),
  CONSTRAINT payout_transactions_mined_check CHECK (
    status <> 'mined' OR (mined_block_number IS NOT NULL AND mined_block_hash IS NOT NULL AND receipt_status IS NOT NULL)
  )
);

CREATE INDEX payout_transactions_payout_id_idx ON payout_transactions (payout_id, id);
CREATE INDEX payout_transactions_wallet_nonce_idx ON payout_transactions (chain_id, from_address, nonce);

-- migrate:down
DROP TABLE payout_transactions;
