-- migrate:up
-- One group role per function (NOLOGIN), granted only the DML its function's code runs: no DELETE, no
-- TRUNCATE, no DDL, nothing on tables it never touches. Each function's own database user (its service
-- account, with Cloud SQL IAM authentication) is made a member by `hostpay migrate` (MIGRATE_GRANTS).
-- The tables stay owned by the role that runs the migrations. Roles belong to the whole server, not to one
-- database, so they are created only when missing (and a concurrent creation is not an error); the grants
-- are per database. A migration adding a table or a column a function needs grants it here too.
DO $$
DECLARE
  role_name text;
BEGIN
  FOREACH role_name IN ARRAY ARRAY[
    'hostpay_execute_payment',
    'hostpay_retry_payment',
    'hostpay_record_failure',
    'hostpay_admin_api',
    'hostpay_recover_payments'
  ] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
      END;
    END IF;
  END LOOP;
END
$$;

-- Before PostgreSQL 15 every role may create tables in the public schema; the function roles may not.
-- Only the schema's owner can take that away; elsewhere (15 and later) PUBLIC has no CREATE already.
DO $$
BEGIN
  IF has_schema_privilege('public', 'public', 'CREATE')
     AND pg_has_role(current_user, (SELECT nspowner FROM pg_namespace WHERE nspname = 'public'), 'MEMBER') THEN
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
  END IF;
END
$$;

-- executePayment and retryPayment run the attempt: claim (insert) and lease the payout, fence and settle
-- it, allocate nonces, store, send and track signed transactions, and on confirmation turn a retried
-- failure into `recovered`.
GRANT SELECT, INSERT, UPDATE ON payouts, payout_transactions, wallet_nonces
  TO hostpay_execute_payment, hostpay_retry_payment;
GRANT SELECT, UPDATE ON failed_transactions TO hostpay_execute_payment, hostpay_retry_payment;

-- recordFailure records a final failure, idempotently (insert, or update the same row).
GRANT SELECT, INSERT, UPDATE ON failed_transactions TO hostpay_record_failure;

-- adminApi reads everything for operators, changes failure and payout status, and settles an operator's
-- cancel through the payout engine (which may sign, allocate a nonce and store transactions); it never
-- creates a payout.
GRANT SELECT, UPDATE ON payouts, failed_transactions TO hostpay_admin_api;
GRANT SELECT, INSERT, UPDATE ON payout_transactions, wallet_nonces TO hostpay_admin_api;

-- recoverPayments finds retryable failures and stuck payouts, reopens payouts for a retry and moves
-- failure status; it never signs, so no nonces and no transaction writes.
GRANT SELECT, UPDATE ON payouts, failed_transactions TO hostpay_recover_payments;
GRANT SELECT ON payout_transactions TO hostpay_recover_payments;

-- migrate:down
-- The roles stay: other databases on the same server may grant them.
REVOKE ALL ON payouts, payout_transactions, wallet_nonces, failed_transactions
  FROM hostpay_execute_payment, hostpay_retry_payment, hostpay_record_failure, hostpay_admin_api,
    hostpay_recover_payments;
