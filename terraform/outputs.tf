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
