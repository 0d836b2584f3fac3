locals {
  # The queue each enqueueing setting names; the functions that read the setting create its tasks.
  queue_settings = {
    failure = "FAILURE_QUEUE"
    notices = "NOTICE_QUEUE"
    retry   = "RETRY_QUEUE"
  }
  task_creators = distinct(flatten([for q, setting in local.queue_settings : local.setting_functions[setting]]))

  # Our own tasks call these functions with the tasks invoker's OIDC token (RETRY_PAYMENT_URL,
  # RECORD_FAILURE_URL); notices go to the upstream, which decides on its side.
  task_targets = ["recordFailure", "retryPayment"]

  # The upstream's principals create the payment tasks: enqueuer on the payment queue, and actAs on
  # the upstream invoker account whose OIDC token the tasks carry.
  upstream_enqueuers = var.upstream.principals

  # roles/run.invoker, each on one function's Cloud Run service: "function/who" => grant.
  invokers = merge(
    {
      "executePayment/upstream" = {
        function = "executePayment"
        member   = google_service_account.upstream_invoker.member
      }
      "recoverPayments/scheduler" = {
        function = "recoverPayments"
        member   = google_service_account.scheduler.member
      }
    },
    { for fn in local.task_targets : "${fn}/tasks-invoker" => { function = fn, member = google_service_account.tasks_invoker.member } },
    { for m in var.admin_members : "adminApi/${m}" => { function = "adminApi", member = m } },
  )

  # roles/cloudtasks.enqueuer, each on one queue: "queue/who" => grant.
  enqueuers = merge(
    { for m in local.upstream_enqueuers : "payment/${m}" => { queue = "payment", member = m } },
    merge([
      for q, setting in local.queue_settings : {
        for fn in local.setting_functions[setting] :
        "${q}/${fn}" => { queue = q, member = google_service_account.function[fn].member }
      }
    ]...),
  )
}

# Structured events on stdout are the alerting source (monitoring.tf); writing log entries is a
# project-level permission only.
resource "google_project_iam_member" "function_log_writer" {
  for_each = local.functions
  project  = var.project_id
  role     = "roles/logging.logWriter"
  member   = google_service_account.function[each.key].member
}

# The builder reads the uploaded source, writes the image to Artifact Registry and its build logs.
resource "google_project_iam_member" "builder" {
  project = var.project_id
  role    = "roles/cloudbuild.builds.builder"
  member  = google_service_account.builder.member
}

resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = local.invokers
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function[each.value.function].name
  role     = "roles/run.invoker"
  member   = each.value.member
}

resource "google_cloud_tasks_queue_iam_member" "enqueuer" {
  for_each = local.enqueuers
  project  = var.project_id
  location = var.region
  name     = google_cloud_tasks_queue.queue[each.value.queue].name
  role     = "roles/cloudtasks.enqueuer"
  member   = each.value.member
}

# GET /health of each function reads the queue it feeds (GetQueue needs cloudtasks.queues.get).
resource "google_cloud_tasks_queue_iam_member" "health_viewer" {
  for_each = { for key, grant in local.enqueuers : key => grant if grant.queue != "payment" }
  project  = var.project_id
  location = var.region
  name     = google_cloud_tasks_queue.queue[each.value.queue].name
  role     = "roles/cloudtasks.viewer"
  member   = each.value.member
}

# Creating a task that carries an OIDC token requires actAs on the token's service account.
resource "google_service_account_iam_member" "tasks_invoker_user" {
  for_each           = toset(local.task_creators)
  service_account_id = google_service_account.tasks_invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.function[each.key].member
}

# The upstream creates tasks carrying the upstream invoker's OIDC token: CreateTask checks actAs
# (iam.serviceAccounts.actAs) on that account for the caller.
resource "google_service_account_iam_member" "upstream_invoker_user" {
  for_each           = toset(var.upstream.principals)
  service_account_id = google_service_account.upstream_invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = each.key
}
