locals {
  # Ingress per function. Every function is private through IAM (roles/run.invoker granted per service,
  # iam.tf), whatever its ingress. adminApi serves operators from their own machines: ALLOW_ALL.
  # The others are called only by Cloud Tasks and Cloud Scheduler. Cloud Run's documentation counts
  # requests of those two services in the same project as internal, but Cloud Tasks and Cloud Scheduler
  # are not VPC-native and reports disagree; a task refused at ingress is retried for hours and then
  # dropped, and the offline checks cannot prove the path. So the default stays ALLOW_ALL + IAM, and
  # var.ingress turns a task target to ALLOW_INTERNAL_ONLY once a test task has been seen to pass
  # (docs/deploy.md, "Ingress"); the 4xx alert (monitoring.tf) catches a refusal at once.
  function_ingress = { for fn in local.function_names : fn => lookup(var.ingress, fn, "ALLOW_ALL") }
}

resource "google_cloudfunctions2_function" "function" {
  for_each    = local.functions
  project     = var.project_id
  location    = var.region
  name        = "${local.prefix}${each.value.name}"
  description = each.value.description
  labels      = local.labels

  build_config {
    # Node 20 is past its end of life on the platform; the code runs on both.
    runtime         = "nodejs22"
    entry_point     = each.key
    service_account = google_service_account.builder.id
    # The bundle ships a built dist/; without this the buildpack would run `npm run build` again,
    # and tsc is a dev dependency that is not installed there.
    environment_variables = {
      GOOGLE_NODE_RUN_SCRIPTS = ""
    }
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.bundle.name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.function[each.key].email
    available_memory                 = each.value.memory
    available_cpu                    = "1"
    max_instance_request_concurrency = each.value.concurrency
    min_instance_count               = 0
    max_instance_count               = local.max_instances[each.key]
    timeout_seconds                  = each.value.timeout_seconds
    ingress_settings                 = local.function_ingress[each.key]
    # Private IP of Cloud SQL: egress to private ranges through the VPC Access connector (database.tf).
    vpc_connector                  = local.db_vpc_connector
    vpc_connector_egress_settings  = local.db_vpc_connector == null ? null : "PRIVATE_RANGES_ONLY"
    all_traffic_on_latest_revision = true
    environment_variables          = local.function_env[each.key]

    dynamic "secret_environment_variables" {
      for_each = toset(local.function_secrets[each.key])
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = google_secret_manager_secret.secret[secret_environment_variables.key].secret_id
        # Rotation: add a version, then redeploy (apply) to pick it up; cold starts read "latest".
        version = "latest"
      }
    }
  }

  lifecycle {
    precondition {
      condition     = local.dispatch_deadline_seconds > local.longest_attempt_seconds
      error_message = "The dispatch deadline must be longer than the longest attempt."
    }
    precondition {
      condition     = !contains(local.queue_targets, each.key) || each.value.timeout_seconds >= local.dispatch_deadline_seconds
      error_message = "A function fed by a queue must not time out before the queue's dispatch deadline."
    }
    precondition {
      condition     = local.connection_budget.needed <= local.connection_budget.available
      error_message = "Connection budget exceeded: 2 x ${local.connection_budget.functions} (max instances x DATABASE_POOL_MAX, summed over the functions, twice for the overlapping revisions of a deploy) + 1 (migrations) + 2 (CLI) = ${local.connection_budget.needed} > ${local.connection_budget.available} (max_connections minus the superuser reserve). Lower max_instances or database.pool_max, or raise database.max_connections."
    }
  }

  depends_on = [
    google_project_iam_member.builder,
    google_project_iam_member.cloudsql,
    google_secret_manager_secret_iam_member.reader,
    google_sql_user.iam,
  ]
}
