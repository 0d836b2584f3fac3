resource "google_cloud_scheduler_job" "recover_payments" {
  project     = var.project_id
  region      = var.region
  name        = "${local.prefix}recover-payments"
  description = "Runs the recoverPayments sweep: automated retries of failures marked retryable."
  schedule    = var.recovery_schedule
  time_zone   = "Etc/UTC"
  # No longer than the function's timeout, so the scheduler never gives up on a sweep still running.
  attempt_deadline = "${local.functions["recoverPayments"].timeout_seconds}s"

  # A missed sweep is harmless: the next one picks up the same rows.
  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = local.function_urls["recoverPayments"]
    body        = base64encode("{}")
    headers = {
      "Content-Type" = "application/json"
    }
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.function_urls["recoverPayments"]
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.invoker]
}
