-- migrate:up
-- The next nonce of each hot wallet per chain (docs/architecture.md, "The flow"), taken under this row's lock.
CREATE TABLE wallet_nonces (
  chain_id bigint NOT NULL,
  address varchar(42) NOT NULL,
  next_nonce bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT wallet_nonces_pkey PRIMARY KEY (chain_id, address),
  CONSTRAINT wallet_nonces_chain_id_check CHECK (chain_id > 0),
  CONSTRAINT wallet_nonces_address_check CHECK (address ~ '^0x[0-9a-f]{40}$'),
  CONSTRAINT wallet_nonces_next_nonce_check CHECK (next_nonce >= 0)
);

-- migrate:down
DROP TABLE wallet_nonces;
