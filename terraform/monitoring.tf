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
    delivery_failures = {
      display_name = "hostpay: deliveries failing with 5xx"
      filter       = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND resource.label.service_name=starts_with(\"${local.prefix}\") AND metric.label.response_code_class=\"5xx\""
      window       = "900s"
      threshold    = 5
      severity     = "CRITICAL"
      runbook      = "hostpay functions answer 5xx only when they could not record state: database or Cloud Tasks unreachable, a crash or a bad deploy. The queues retry these deliveries for about seven hours; fix the cause before they run out."
    }
  }

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
}
