# One runtime identity per function, so each gets only the secrets, queues and roles it uses.
resource "google_service_account" "function" {
  for_each     = local.functions
  project      = var.project_id
  account_id   = "${local.prefix}${each.value.name}"
  display_name = "hostpay ${each.key} runtime"
  description  = "Runtime identity of the ${each.key} function."
  depends_on   = [google_project_service.service]
}

# The identity in the OIDC token of every task hostpay enqueues for its own functions.
resource "google_service_account" "tasks_invoker" {
  project      = var.project_id
  account_id   = "${local.prefix}tasks-invoker"
  display_name = "hostpay Cloud Tasks invoker"
  description  = "OIDC identity of the tasks hostpay enqueues for retryPayment and recordFailure."
  depends_on   = [google_project_service.service]
}

# The identity in the OIDC token of the recoverPayments schedule.
resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "${local.prefix}scheduler"
  display_name = "hostpay Cloud Scheduler invoker"
  description  = "OIDC identity of the recoverPayments schedule."
  depends_on   = [google_project_service.service]
}

# Cloud Build runs the buildpack for each function; a dedicated identity instead of the default
# compute service account, which may hold Editor.
resource "google_service_account" "builder" {
  project      = var.project_id
  account_id   = "${local.prefix}builder"
  display_name = "hostpay function builder"
  description  = "Builds the hostpay functions' container images."
  depends_on   = [google_project_service.service]
}

# The identity in the OIDC token of the upstream's payment tasks. Cloud Tasks requires the token's
# service account to be in the queue's project, so it lives here; the upstream's principals may act as
# it (iam.tf) and it may invoke executePayment and nothing else.
resource "google_service_account" "upstream_invoker" {
  project      = var.project_id
  account_id   = "${local.prefix}upstream-invoker"
  display_name = "hostpay upstream invoker"
  description  = "OIDC identity of the payment tasks the upstream (HostPay1) creates on the payment queue."
  depends_on   = [google_project_service.service]
}
