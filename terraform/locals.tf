locals {
  prefix = "${var.prefix}-"

  # Time bounds of one attempt (docs/architecture.md, "Time bounds"): the receipt wait
  # (RECEIPT_WAIT_SECONDS, 60 s) plus at most 20 sequential RPC requests of RPC_TIMEOUT_SECONDS (10 s);
  # the lease (LEASE_SECONDS, 180 s) is renewed at each fence and while waiting.
  longest_attempt_seconds = 260
  # Tasks carry Cloud Tasks' default dispatch deadline for HTTP targets (600 s) unless the code sets a
  # shorter one. Attempt < deadline <= timeout: Cloud Tasks never abandons an attempt still in bounds,
  # and the platform never cuts one off before Cloud Tasks gives up on it.
  dispatch_deadline_seconds = 600

  # Entry point (exported by dist/functions/index.js) => how its Cloud Run service is shaped.
  # Concurrency above 1 needs a whole vCPU, hence one vCPU throughout. Every instance holds its own
  # database pool: the sum over functions of max instances x pool size must stay under the database's
  # max_connections, so the ceilings are deliberately low and overridable (var.max_instances).
  functions = {
    executePayment = {
      name        = "execute-payment"
      description = "Attempt 1 of a payout, fed by the payment queue."
      # ethers, postgres.js and the Google clients sit near 200 MiB; ten in-flight attempts need room.
      memory = "512Mi"
      # Attempts mostly wait on the RPC node, so one instance carries several; the database nonce
      # lock serialises sends per wallet anyway.
      concurrency     = 10
      max_instances   = 5
      timeout_seconds = local.dispatch_deadline_seconds
    }
    retryPayment = {
      name            = "retry-payment"
      description     = "Later attempts, confirmation checks and operator retries, fed by the retry queue."
      memory          = "512Mi"
      concurrency     = 10
      max_instances   = 5
      timeout_seconds = local.dispatch_deadline_seconds
    }
    recordFailure = {
      name        = "record-failure"
      description = "Stores a final failure, alerts and notifies the upstream, fed by the failure queue."
      # One insert, one Slack post and one enqueue: small, and done in seconds.
      memory          = "256Mi"
      concurrency     = 10
      max_instances   = 2
      timeout_seconds = local.dispatch_deadline_seconds
    }
    adminApi = {
      name        = "admin-api"
      description = "Operator recovery endpoints: list, show, retry, cancel and update failed payouts."
      memory      = "512Mi"
      concurrency = 10
      # Operators only; two instances keep it answering during a deploy.
      max_instances = 2
      # A cancel replaces a pending transaction and waits for its receipt like an attempt does.
      timeout_seconds = 300
    }
    recoverPayments = {
      name        = "recover-payments"
      description = "Automated retry of failures marked retryable, with cooldown and cap; run by Cloud Scheduler."
      memory      = "256Mi"
      # One sweep at a time: a second overlapping sweep would only collide on task names.
      concurrency   = 1
      max_instances = 1
      # A sweep enqueues at most RECOVERY_BATCH_SIZE (50) retries; the schedule's attempt deadline matches.
      timeout_seconds = 300
    }
  }

  function_names = keys(local.functions)
  max_instances  = { for name, f in local.functions : name => lookup(var.max_instances, name, f.max_instances) }

  # Cloud Run URLs are deterministic (service name, project number, region): a function knows its own
  # and its siblings' URLs without a dependency cycle. Tasks use them as OIDC audiences too.
  function_urls = {
    for name, f in local.functions :
    name => "https://${local.prefix}${f.name}-${data.google_project.project.number}.${var.region}.run.app"
  }

  queue_names = { for key in keys(local.queues) : key => "${local.prefix}${key}" }

  labels = merge(var.labels, { app = "hostpay" })
}

data "google_project" "project" {
  project_id = var.project_id
}
