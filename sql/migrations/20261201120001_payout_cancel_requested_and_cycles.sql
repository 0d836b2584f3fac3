-- migrate:up
-- An operator's cancel is a recorded intent (docs/architecture.md, "Cancels"): `cancel_requested` is written
-- before any cancel is broadcast, and no path signs a transfer for the payout after it.
ALTER TABLE payouts DROP CONSTRAINT payouts_status_check;
ALTER TABLE payouts ADD CONSTRAINT payouts_status_check CHECK (
  status IN (
    'received',
    'retry_scheduled',
    'submitted',
    'pending_confirmation',
    'cancel_requested',
    'confirmed',
    'failed',
    'cancelled'
  )
);

-- Attempt cycles: an operator or automated retry of a failed payout starts cycle + 1. A transaction mined
-- and reverted in an earlier cycle is history that used its nonce, not this cycle's outcome.
ALTER TABLE payouts ADD COLUMN cycle integer NOT NULL DEFAULT 1;
ALTER TABLE payouts ADD CONSTRAINT payouts_cycle_check CHECK (cycle >= 1);
ALTER TABLE payout_transactions ADD COLUMN cycle integer NOT NULL DEFAULT 1;
ALTER TABLE payout_transactions ADD CONSTRAINT payout_transactions_cycle_check CHECK (cycle >= 1);

-- migrate:down
ALTER TABLE payout_transactions DROP CONSTRAINT payout_transactions_cycle_check;
ALTER TABLE payout_transactions DROP COLUMN cycle;
ALTER TABLE payouts DROP CONSTRAINT payouts_cycle_check;
ALTER TABLE payouts DROP COLUMN cycle;
UPDATE payouts SET status = 'pending_confirmation' WHERE status = 'cancel_requested';
ALTER TABLE payouts DROP CONSTRAINT payouts_status_check;
ALTER TABLE payouts ADD CONSTRAINT payouts_status_check CHECK (
  status IN (
    'received',
    'retry_scheduled',
    'submitted',
    'pending_confirmation',
    'confirmed',
    'failed',
    'cancelled'
  )
);
