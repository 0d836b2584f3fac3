locals {
  # Structured events (docs/architecture.md; shared/log/) of the hostpay functions: one JSON line per event on stdout.
  event_log_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=~\"^${local.prefix}\"",
    "jsonPayload.event_type:*",
  ])
  event_metric = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.events.name}\" AND resource.type=\"cloud_run_revision\""

  # window: the sliding window the count is taken over; the policy fires when it exceeds threshold.
  alerts = {
    insufficient_funds = {
      display_name = "hostpay: payout failed for insufficient funds"
      filter       = "${local.event_metric} AND metric.label.error_code=\"INSUFFICIENT_FUNDS\""
      window       = "300s"
      threshold    = 0
      severity     = "CRITICAL"
      runbook      = "The hot wallet cannot cover a payout (amount plus gas). Top up the wallet, then retry the recorded failures through adminApi (they are in failed_transactions with error_code INSUFFICIENT_FUNDS)."
    }
    failed_permanently = {
      display_name = "hostpay: more than ${var.failed_payments_alert_threshold} payouts failed in an hour"
      filter       = "${local.event_metric} AND metric.label.event_type=\"payment_failed_permanently\""
      window       = "3600s"
      threshold    = var.failed_payments_alert_threshold
      severity     = "ERROR"
      runbook      = "Payouts are failing for good. List them through adminApi by error_code; fix the cause (RPC provider, fee cap, wallet), then retry them."
    }
    token_rejected = {
      display_name = "hostpay: token with a bad signature rejected"
      filter       = "${local.event_metric} AND metric.label.event_type=\"token_rejected\""
      window       = "300s"
      threshold    = 0
      severity     = "ERROR"
      runbook      = "A request carried a token whose signature no configured key accepts: a signing key out of step with the upstream (rotation) or someone forging requests. Nothing was stored or sent."
    }
    pending_too_long = {
      display_name = "hostpay: payout pending longer than PENDING_ALERT_SECONDS"
      filter       = "${local.event_metric} AND metric.label.event_type=\"payment_pending_too_long\""
      window       = "300s"
      threshold    = 0
      severity     = "ERROR"
      runbook      = "A broadcast transaction has not reached the confirmation depth within PENDING_ALERT_SECONDS (default one hour): fees too low at the cap, a stuck nonce before it, or an RPC node out of sync. Inspect it through adminApi; do not send it again by hand."
    }
    wallet_balance_low = {
      display_name = "hostpay: hot wallet balance low"
      filter       = "${local.event_metric} AND metric.label.event_type=\"wallet_balance_low\""
      window       = "300s"
      threshold    = 0
      severity     = "WARNING"
      runbook      = "The hot wallet's ETH balance is under LOW_BALANCE_THRESHOLD_ETH. Top it up before payouts start failing with INSUFFICIENT_FUNDS."
    }
    startup_failed = {
      display_name = "hostpay: a function could not start"
      filter       = "${local.event_metric} AND metric.label.event_type=\"startup_failed\""
      window       = "300s"
      threshold    = 0
      severity     = "CRITICAL"
      runbook      = "An instance failed its cold start (configuration refused, a secret unreadable, the database unreachable) and answers 500 to every delivery. Read the startup_failed entry's error_code in Logging, fix the setting or the grant, and redeploy; the queues redeliver meanwhile."
    }
    payout_conflict = {
      display_name = "hostpay: a signed request conflicts with a stored payout"
      filter       = "${local.event_metric} AND metric.label.event_type=\"payout_conflict\""
      window       = "300s"
      threshold    = 0
      severity     = "ERROR"
      runbook      = "The upstream signed a request whose unique_id exists with different contents (amount, recipient, currency). hostpay refused it (409) and paid nothing new. Ask the upstream which one is right; never edit the stored payout."
    }
    scheduler_failures = {
      display_name = "hostpay: the recoverPayments schedule failed twice in an hour"
      filter       = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.scheduler_failures.name}\" AND resource.type=\"cloud_scheduler_job\""
      window       = "3600s"
      threshold    = 1
      severity     = "ERROR"
      runbook      = "Cloud Scheduler could not complete the recoverPayments sweep: the function refused it (invoker grant, ingress) or failed. Stuck and retryable payouts are not swept meanwhile. Read the job's log entries (resource.type=\"cloud_scheduler_job\") and recoverPayments' logs."
    }
    task_refusals = {
      display_name = "hostpay: tasks answered 4xx"
      filter       = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND resource.label.service_name=one_of(${join(", ", [for fn in local.task_fed_functions : "\"${local.prefix}${local.functions[fn].name}\""])}) AND metric.label.response_code_class=\"4xx\" AND metric.label.response_code!=\"429\""
      window       = "600s"
      threshold    = 0
      severity     = "CRITICAL"
      runbook      = "A function fed by a queue or the scheduler answered 4xx. 401/403 before the code runs is an invoker or OIDC mistake (a token for the wrong audience, a missing roles/run.invoker, a switched ingress): Cloud Tasks retries such tasks for hours and then drops them with no ledger row. Fix the grant or the token now; 400/401 from hostpay itself is a refused token (token_rejected), 409 a conflict (payout_conflict)."
    }
    delivery_failures = {
      display_name = "hostpay: deliveries failing with 5xx"
      filter       = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND resource.label.service_name=starts_with(\"${local.prefix}\") AND metric.label.response_code_class=\"5xx\""
      window       = "900s"
      threshold    = 5
      severity     = "CRITICAL"
      runbook      = "hostpay functions answer 5xx only when they could not record state: database or Cloud Tasks unreachable, a crash or a bad deploy. The queues retry these deliveries for about seven hours; fix the cause before they run out."
    }
  }

  # Called only by Cloud Tasks or Cloud Scheduler: any 4xx they answer is a delivery lost in the end.
  task_fed_functions = ["executePayment", "retryPayment", "recordFailure", "recoverPayments"]

  notification_channels = concat(
    [for c in google_monitoring_notification_channel.email : c.name],
    [for c in google_monitoring_notification_channel.slack : c.name],
    var.alert_notification_channels,
  )
}

# One counter of every event, labelled so that each alert is a filter on it.
resource "google_logging_metric" "events" {
  project     = var.project_id
  name        = "${var.prefix}/events"
  description = "hostpay structured events by event_type, error_code and context."
  filter      = local.event_log_filter
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "hostpay events"
    labels {
      key         = "event_type"
      value_type  = "STRING"
      description = "Event name, for example payment_confirmed."
    }
    labels {
      key         = "error_code"
      value_type  = "STRING"
      description = "Error code (shared/classifier.ts) of failure events; empty otherwise."
    }
    labels {
      key         = "context"
      value_type  = "STRING"
      description = "Payment context from the token (instant, threshold, batch)."
    }
  }
  label_extractors = {
    context    = "EXTRACT(jsonPayload.context)"
    error_code = "EXTRACT(jsonPayload.error_code)"
    event_type = "EXTRACT(jsonPayload.event_type)"
  }
  depends_on = [google_project_service.service]
}

resource "google_monitoring_notification_channel" "email" {
  for_each     = toset(var.alert_email_addresses)
  project      = var.project_id
  display_name = "hostpay alerts to ${each.key}"
  type         = "email"
  labels = {
    email_address = each.key
  }
  depends_on = [google_project_service.service]
}

resource "google_monitoring_notification_channel" "slack" {
  for_each     = toset(var.alert_slack_channels)
  project      = var.project_id
  display_name = "hostpay alerts to Slack ${each.key}"
  type         = "slack"
  labels = {
    channel_name = each.key
  }
  sensitive_labels {
    auth_token = var.alert_slack_auth_token
  }
  depends_on = [google_project_service.service]
}

resource "google_monitoring_alert_policy" "alert" {
  for_each              = local.alerts
  project               = var.project_id
  display_name          = each.value.display_name
  combiner              = "OR"
  severity              = each.value.severity
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = each.value.display_name
    condition_threshold {
      filter          = each.value.filter
      comparison      = "COMPARISON_GT"
      threshold_value = each.value.threshold
      duration        = "0s"
      aggregations {
        alignment_period     = each.value.window
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    content   = each.value.runbook
    mime_type = "text/markdown"
  }

  # A policy on a log-based metric is refused until Monitoring knows the metric: create the metrics
  # first (a reference inside a filter string is easy to lose; this is not).
  depends_on = [google_logging_metric.events, google_logging_metric.scheduler_failures]
}

# Failed attempts of the recoverPayments schedule: Cloud Scheduler logs each finished attempt, at ERROR
# when the target did not answer 2xx in time.
resource "google_logging_metric" "scheduler_failures" {
  project     = var.project_id
  name        = "${var.prefix}/scheduler-failures"
  description = "Failed attempts of the hostpay Cloud Scheduler jobs."
  filter = join(" AND ", [
    "resource.type=\"cloud_scheduler_job\"",
    "resource.labels.job_id=\"${google_cloud_scheduler_job.recover_payments.name}\"",
    "severity>=ERROR",
  ])
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "hostpay scheduler failures"
  }
  depends_on = [google_project_service.service]
}

# Time from a payout's first delivery to its confirmation (payment_confirmed's seconds_to_confirm).
resource "google_logging_metric" "confirm_seconds" {
  project     = var.project_id
  name        = "${var.prefix}/confirm-seconds"
  description = "Seconds from a payout's first delivery to its confirmation."
  filter      = "${local.event_log_filter} AND jsonPayload.event_type=\"payment_confirmed\""
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "s"
    display_name = "hostpay time to confirm"
  }
  value_extractor = "EXTRACT(jsonPayload.seconds_to_confirm)"
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 20
      growth_factor      = 2
      scale              = 1
    }
  }
  depends_on = [google_project_service.service]
}

# The hot wallet's ETH balance as the attempts report it (wallet_balance_low's balance_wei): the
# functions log it only once it is under LOW_BALANCE_THRESHOLD_ETH, so the chart shows the low stretch.
resource "google_logging_metric" "wallet_balance" {
  project     = var.project_id
  name        = "${var.prefix}/wallet-balance-wei"
  description = "Hot wallet ETH balance (wei) reported by wallet_balance_low events."
  filter      = "${local.event_log_filter} AND jsonPayload.event_type=\"wallet_balance_low\""
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "1"
    display_name = "hostpay wallet balance (wei)"
  }
  value_extractor = "EXTRACT(jsonPayload.balance_wei)"
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 24
      growth_factor      = 10
      scale              = 1
    }
  }
  depends_on = [google_project_service.service]
}

locals {
  # Cloud Tasks exports queue depth and, per attempt, its delay behind the scheduled time
  # (cloudtasks.googleapis.com/queue/task_attempt_delays, ms); it exports no oldest-task age. A queue
  # whose attempts run far behind schedule is one whose oldest task waits: that is the age alert.
  queue_alert_filter = {
    for key, name in local.queue_names :
    key => "resource.type=\"cloud_tasks_queue\" AND resource.label.queue_id=\"${name}\""
  }
}

# Per queue: too many tasks waiting, or attempts running far behind schedule.
resource "google_monitoring_alert_policy" "queue_backlog" {
  for_each              = local.queue_alert_filter
  project               = var.project_id
  display_name          = "hostpay: ${local.queue_names[each.key]} queue backing up"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "${local.queue_names[each.key]}: more than ${var.queue_depth_alert_threshold} tasks for 10 minutes"
    condition_threshold {
      filter          = "metric.type=\"cloudtasks.googleapis.com/queue/depth\" AND ${each.value}"
      comparison      = "COMPARISON_GT"
      threshold_value = var.queue_depth_alert_threshold
      duration        = "600s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
      trigger {
        count = 1
      }
    }
  }

  conditions {
    display_name = "${local.queue_names[each.key]}: attempts more than ${var.queue_delay_alert_seconds} s behind schedule"
    condition_threshold {
      filter          = "metric.type=\"cloudtasks.googleapis.com/queue/task_attempt_delays\" AND ${each.value}"
      comparison      = "COMPARISON_GT"
      threshold_value = var.queue_delay_alert_seconds * 1000
      duration        = "300s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_PERCENTILE_99"
      }
      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    content   = "Tasks are piling up in ${local.queue_names[each.key]} or waiting long past their time: the target refuses or fails them (see the 4xx and 5xx alerts), the queue is paused, or its rate limit is too low for the load. Inspect with `gcloud tasks queues describe ${local.queue_names[each.key]} --location ${var.region}` and the target function's logs. Do not purge: every task is a payout step."
    mime_type = "text/markdown"
  }
}

# One dashboard: payouts by outcome, time to confirm, failures by code, queues, wallet balance.
locals {
  events_metric_type = "logging.googleapis.com/user/${google_logging_metric.events.name}"
  dashboard_tiles = [
    {
      title  = "Payouts by outcome (per 5 min)"
      filter = "metric.type=\"${local.events_metric_type}\" AND metric.label.event_type=one_of(\"payment_confirmed\", \"payment_failed\", \"payment_cancelled\", \"payment_retry_scheduled\", \"payment_pending_too_long\")"
      aggregation = {
        alignmentPeriod    = "300s"
        perSeriesAligner   = "ALIGN_SUM"
        crossSeriesReducer = "REDUCE_SUM"
        groupByFields      = ["metric.label.event_type"]
      }
    },
    {
      title  = "Time to confirm, p95 (s)"
      filter = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.confirm_seconds.name}\""
      aggregation = {
        alignmentPeriod    = "900s"
        perSeriesAligner   = "ALIGN_DELTA"
        crossSeriesReducer = "REDUCE_PERCENTILE_95"
        groupByFields      = []
      }
    },
    {
      title  = "Failures by error code (per hour)"
      filter = "metric.type=\"${local.events_metric_type}\" AND metric.label.event_type=\"payment_failed\""
      aggregation = {
        alignmentPeriod    = "3600s"
        perSeriesAligner   = "ALIGN_SUM"
        crossSeriesReducer = "REDUCE_SUM"
        groupByFields      = ["metric.label.error_code"]
      }
    },
    {
      title  = "Queue depth"
      filter = "metric.type=\"cloudtasks.googleapis.com/queue/depth\" AND resource.type=\"cloud_tasks_queue\" AND resource.label.queue_id=starts_with(\"${local.prefix}\")"
      aggregation = {
        alignmentPeriod    = "60s"
        perSeriesAligner   = "ALIGN_MAX"
        crossSeriesReducer = "REDUCE_MAX"
        groupByFields      = ["resource.label.queue_id"]
      }
    },
    {
      title  = "Queue age: attempt delay behind schedule, p99 (ms)"
      filter = "metric.type=\"cloudtasks.googleapis.com/queue/task_attempt_delays\" AND resource.type=\"cloud_tasks_queue\" AND resource.label.queue_id=starts_with(\"${local.prefix}\")"
      aggregation = {
        alignmentPeriod    = "300s"
        perSeriesAligner   = "ALIGN_DELTA"
        crossSeriesReducer = "REDUCE_PERCENTILE_99"
        groupByFields      = ["resource.label.queue_id"]
      }
    },
    {
      title  = "Hot wallet ETH balance when low (wei, lowest reported)"
      filter = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.wallet_balance.name}\""
      aggregation = {
        alignmentPeriod    = "900s"
        perSeriesAligner   = "ALIGN_DELTA"
        crossSeriesReducer = "REDUCE_PERCENTILE_05"
        groupByFields      = []
      }
    },
    {
      title  = "Task deliveries refused (4xx) or failed (5xx)"
      filter = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND resource.label.service_name=starts_with(\"${local.prefix}\") AND metric.label.response_code_class=one_of(\"4xx\", \"5xx\")"
      aggregation = {
        alignmentPeriod    = "300s"
        perSeriesAligner   = "ALIGN_SUM"
        crossSeriesReducer = "REDUCE_SUM"
        groupByFields      = ["resource.label.service_name", "metric.label.response_code"]
      }
    },
  ]
}

resource "google_monitoring_dashboard" "hostpay" {
  project = var.project_id
  dashboard_json = jsonencode({
    displayName = "hostpay"
    mosaicLayout = {
      columns = 12
      tiles = [
        for i, tile in local.dashboard_tiles : {
          xPos   = (i % 2) * 6
          yPos   = floor(i / 2) * 4
          width  = 6
          height = 4
          widget = {
            title = tile.title
            xyChart = {
              dataSets = [{
                plotType = "LINE"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter      = tile.filter
                    aggregation = tile.aggregation
                  }
                }
              }]
            }
          }
        }
      ]
    }
  })
  depends_on = [
    google_logging_metric.events,
    google_logging_metric.confirm_seconds,
    google_logging_metric.wallet_balance,
  ]
}
