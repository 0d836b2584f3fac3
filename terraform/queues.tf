locals {
  # The functions own the attempts (docs/architecture.md, "The flow"): every outcome they record, including "retry later" and
  # "failed", is answered 200, and the next attempt is a new named task with its own delay. A queue
  # retries only when a delivery failed outright (5xx, timeout, no instance): database or Cloud Tasks
  # unreachable, a crash, a bad deploy. Redelivery is safe because the ledger turns it into a no-op or
  # a resume, so these retries are only bounded, not rationed: backoff from 10 s doubling to 10 min,
  # 50 attempts, which rides out about seven hours of outage while the 5xx alert (monitoring.tf) has
  # called someone within fifteen minutes. A task dropped after that would be a lost payout.
  queue_retry = {
    max_attempts  = 50
    min_backoff   = "10s"
    max_backoff   = "600s"
    max_doublings = 6
  }

  # target: the function its tasks call (null: the upstream). Rates protect the RPC provider, whose
  # quota is the scarce resource: one attempt makes a handful of calls.
  queues = {
    payment = {
      target                    = "executePayment"
      max_dispatches_per_second = 5
    }
    retry = {
      target                    = "retryPayment"
      max_dispatches_per_second = 5
    }
    failure = {
      target                    = "recordFailure"
      max_dispatches_per_second = 5
    }
    notices = {
      target = null
      # Callbacks to the upstream: gentle on a service that is not ours.
      max_dispatches_per_second = 5
    }
  }

  queue_targets = compact([for q in values(local.queues) : q.target])

  # Never dispatch more at once than the target can hold: at max instances Cloud Run answers 429 and
  # each of those burns one of the queue's attempts.
  queue_concurrency = {
    for key, q in local.queues :
    key => q.target == null ? 10 : local.max_instances[q.target] * local.functions[q.target].concurrency
  }
}

resource "google_cloud_tasks_queue" "queue" {
  for_each = local.queues
  project  = var.project_id
  location = var.region
  name     = local.queue_names[each.key]
  rate_limits {
    max_dispatches_per_second = each.value.max_dispatches_per_second
    max_concurrent_dispatches = local.queue_concurrency[each.key]
  }
  retry_config {
    max_attempts  = local.queue_retry.max_attempts
    min_backoff   = local.queue_retry.min_backoff
    max_backoff   = local.queue_retry.max_backoff
    max_doublings = local.queue_retry.max_doublings
  }
  # Every dispatch attempt is logged: payouts are few and each one is money.
  stackdriver_logging_config {
    sampling_ratio = 1.0
  }
  depends_on = [google_project_service.service]
}
