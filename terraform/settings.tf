locals {
  # Which function reads which setting: a mirror of SETTINGS in shared/config/settings.ts, which the
  # offline check (test/unit/terraform/module.test.ts) compares with this table and with what each function
  # is given. Functions get exactly the settings they read, and secrets only where they are read.
  # adminApi is a chain function on purpose: it signs operators' cancels (WALLET_PRIVATE_KEY) and signs
  # the retry tokens it queues (TOKEN_SIGNING_KEY); recoverPayments and recordFailure never sign a
  # transaction and get no wallet key.
  chain_functions   = ["executePayment", "retryPayment", "adminApi"]
  attempt_functions = ["executePayment", "retryPayment"]
  verify_functions  = ["executePayment", "retryPayment", "recordFailure"]
  retry_writers     = ["executePayment", "retryPayment", "adminApi", "recoverPayments"]

  setting_functions = {
    ADMIN_AUDIENCE                   = ["adminApi"]
    ASSETS                           = local.chain_functions
    CHAIN_ID                         = local.chain_functions
    CLOUD_SQL_INSTANCE               = local.function_names
    CLOUD_SQL_IP_TYPE                = local.function_names
    CONFIRMATIONS                    = local.chain_functions
    CONSOLE_URL                      = ["recordFailure"]
    CONFIRMATION_CHECK_DELAY_SECONDS = local.chain_functions
    DATABASE_NAME                    = local.function_names
    DATABASE_POOL_MAX                = local.function_names
    DATABASE_URL                     = local.function_names
    DATABASE_USER                    = local.function_names
    FAILURE_QUEUE                    = concat(local.attempt_functions, ["adminApi", "recoverPayments"])
    FEE_BUMP_PERCENT                 = local.chain_functions
    GAS_LIMIT_MARGIN_PERCENT         = local.chain_functions
    HOSTPAY_ENV                      = local.function_names
    LEASE_SECONDS                    = local.chain_functions
    LOW_BALANCE_THRESHOLD_ETH        = concat(local.attempt_functions, ["adminApi"])
    MAX_ATTEMPTS                     = local.function_names
    MAX_BODY_BYTES                   = local.function_names
    MAX_FEE_PER_GAS_GWEI             = local.chain_functions
    MAX_PRIORITY_FEE_PER_GAS_GWEI    = local.chain_functions
    NOTICE_QUEUE                     = concat(local.attempt_functions, ["adminApi", "recordFailure"])
    PAYMENT_CAPS                     = local.attempt_functions
    PAYMENT_QUEUE                    = ["executePayment"]
    PENDING_ALERT_SECONDS            = local.attempt_functions
    RATE_LIMIT_RETRY_DELAY_SECONDS   = local.attempt_functions
    RECEIPT_WAIT_SECONDS             = local.chain_functions
    REORG_SAFE_DEPTH                 = local.chain_functions
    RECORD_FAILURE_URL               = concat(local.attempt_functions, ["adminApi", "recoverPayments"])
    RECOVERY_BATCH_SIZE              = ["recoverPayments"]
    RECOVERY_COOLDOWN_SECONDS        = ["recoverPayments"]
    RECOVERY_MAX_AUTOMATED_RETRIES   = ["recoverPayments"]
    RETRY_DELAY_SECONDS              = local.attempt_functions
    RETRY_PAYMENT_URL                = local.retry_writers
    RETRY_QUEUE                      = local.retry_writers
    RPC_TIMEOUT_SECONDS              = local.chain_functions
    RPC_URL                          = local.chain_functions
    SLACK_WEBHOOK_URL                = ["recordFailure"]
    STUCK_AFTER_SECONDS              = ["recoverPayments", "adminApi"]
    TASKS_EMULATOR_HOST              = local.function_names
    TASKS_INVOKER_SERVICE_ACCOUNT    = local.function_names
    TASKS_LOCATION                   = local.function_names
    TASKS_PROJECT                    = local.function_names
    TOKEN_MAX_AGE_SECONDS            = local.verify_functions
    TOKEN_MAX_FUTURE_SECONDS         = local.verify_functions
    TOKEN_SIGNING_KEY                = local.function_names
    TOKEN_SIGNING_KEY_PREVIOUS       = local.verify_functions
    UPSTREAM_COMPLETED_URL           = concat(local.attempt_functions, ["adminApi"])
    UPSTREAM_COMPLETED_URLS          = concat(local.attempt_functions, ["adminApi"])
    UPSTREAM_FAILED_URL              = ["recordFailure"]
    WALLET_PRIVATE_KEY               = local.chain_functions
  }

  # Settings whose value follows from this deployment; the rest keep shared/config.ts defaults unless
  # var.setting_overrides names them. Null means unset.
  derived_settings = {
    CHAIN_ID                      = tostring(var.chain_id)
    CLOUD_SQL_INSTANCE            = local.db_connection_name
    CLOUD_SQL_IP_TYPE             = local.db_connector ? var.database.ip_type : null
    CONSOLE_URL                   = local.function_urls["adminApi"]
    DATABASE_NAME                 = local.db_connector ? var.database.name : null
    DATABASE_POOL_MAX             = tostring(var.database.pool_max)
    FAILURE_QUEUE                 = google_cloud_tasks_queue.queue["failure"].name
    HOSTPAY_ENV                   = "production"
    NOTICE_QUEUE                  = google_cloud_tasks_queue.queue["notices"].name
    PAYMENT_CAPS                  = jsonencode(var.payment_caps)
    PAYMENT_QUEUE                 = google_cloud_tasks_queue.queue["payment"].name
    RECORD_FAILURE_URL            = local.function_urls["recordFailure"]
    RETRY_PAYMENT_URL             = local.function_urls["retryPayment"]
    RETRY_QUEUE                   = google_cloud_tasks_queue.queue["retry"].name
    TASKS_INVOKER_SERVICE_ACCOUNT = google_service_account.tasks_invoker.email
    TASKS_LOCATION                = var.region
    TASKS_PROJECT                 = var.project_id
    UPSTREAM_COMPLETED_URL        = var.upstream.completed_url
    UPSTREAM_COMPLETED_URLS       = length(var.upstream.completed_urls) == 0 ? null : jsonencode(var.upstream.completed_urls)
    UPSTREAM_FAILED_URL           = var.upstream.failed_url
  }

  # Settings that differ per function: each logs in to PostgreSQL as its own IAM database user.
  function_settings = {
    for fn in local.function_names : fn => {
      DATABASE_USER = local.db_connector ? local.function_db_users[fn] : null
    }
  }

  # Plain environment of each function; secrets are mounted separately (secrets.tf, functions.tf).
  # NODE_ENV=production: a body the framework cannot parse gets Express's bare 400, not a stack trace.
  function_env = {
    for fn in local.function_names : fn => merge({ NODE_ENV = "production" }, {
      for name, value in merge(var.setting_overrides, local.derived_settings, local.function_settings[fn]) :
      name => value
      if value != null && contains(lookup(local.setting_functions, name, []), fn)
    })
  }
}
