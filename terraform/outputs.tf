output "function_service_accounts" {
  description = "Runtime service account e-mail of each function, by entry point."
  value       = { for name, sa in google_service_account.function : name => sa.email }
}

output "function_urls" {
  description = "Cloud Run URL of each function, by entry point (also the OIDC audience of its tasks)."
  value       = local.function_urls
}

output "queues" {
  description = "Full name of each Cloud Tasks queue, by role."
  value       = { for key, q in google_cloud_tasks_queue.queue : key => q.id }
}

output "scheduler_job" {
  description = "Name of the Cloud Scheduler job that runs recoverPayments."
  value       = google_cloud_scheduler_job.recover_payments.id
}

output "secrets" {
  description = "Secret Manager secret of each secret setting; add versions with `gcloud secrets versions add`."
  value       = { for name, s in google_secret_manager_secret.secret : name => s.secret_id }
}

output "source_object" {
  description = "The uploaded bundle the functions were built from."
  value       = "gs://${google_storage_bucket.source.name}/${google_storage_bucket_object.bundle.name}"
}

output "tasks_invoker_service_account" {
  description = "Service account in the OIDC token of hostpay's own tasks, notices to the upstream included: the upstream grants it invoker on its callback endpoints."
  value       = google_service_account.tasks_invoker.email
}

output "upstream_invoker_service_account" {
  description = "Service account the upstream names in the OIDC token of its payment tasks (audience: function_urls.executePayment). The upstream's principals may act as it and enqueue on the payment queue."
  value       = google_service_account.upstream_invoker.email
}

output "database" {
  description = "How the functions reach PostgreSQL: the mode, the Cloud SQL connection name and IP type (connector modes), the database, each function's IAM database user and the migrator's."
  value = {
    mode            = var.database.mode
    connection_name = local.db_connection_name
    ip_type         = local.db_connector ? var.database.ip_type : null
    database        = var.database.name
    function_users  = local.db_connector ? local.function_db_users : {}
    migrator_user   = local.db_connector ? local.migrator_db_user : null
  }
}

output "migrate" {
  description = "What cloudbuild.yaml needs: the migrator service account, the private worker pool (null: the default pool), and the substitutions (--substitutions)."
  value = {
    service_account = google_service_account.migrator.id
    worker_pool     = local.db_private ? google_cloudbuild_worker_pool.migrate[0].id : null
    substitutions   = join(",", [for k, v in local.migrate_substitutions : "${k}=${v}" if v != null && k != "_MIGRATE_GRANTS"])
    grants          = local.migrate_substitutions._MIGRATE_GRANTS
  }
}
