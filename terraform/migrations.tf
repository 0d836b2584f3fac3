# Migrations are a deploy step (docs/deploy.md, "6. Migrations"): cloudbuild.yaml runs `hostpay migrate`
# as the migrator service account before `terraform apply` rolls out new code. The migrator connects the
# way the functions do (Cloud SQL connector, IAM database authentication), owns the schema, and grants
# each function's IAM user its runtime role; it holds no deploy role, and the deployer no database one.

resource "google_service_account" "migrator" {
  project      = var.project_id
  account_id   = "${local.prefix}migrator"
  display_name = "hostpay migrator"
  description  = "Runs hostpay migrate in Cloud Build: owns the schema, grants the functions' runtime roles."
  depends_on   = [google_project_service.service]
}

# Cloud Build writes the build's logs as the build's service account.
resource "google_project_iam_member" "migrator_log_writer" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.migrator.member
}

# A private IP is reachable from Cloud Build only from a private pool peered with the instance's
# network (the default pool runs outside every VPC). Public-IP and URL deployments use the default pool.
resource "google_cloudbuild_worker_pool" "migrate" {
  count    = local.db_private ? 1 : 0
  project  = var.project_id
  location = var.region
  name     = "${local.prefix}migrate"
  worker_config {
    machine_type = "e2-standard-2"
    disk_size_gb = 100
    # npm ci reaches the npm registry; the worker needs a way out.
    no_external_ip = false
  }
  network_config {
    peered_network = local.db_network
  }
  depends_on = [google_project_service.service, google_service_networking_connection.sql]
}

locals {
  # `hostpay migrate` grants each function's IAM database user membership in its runtime role.
  migrate_grants = local.db_connector ? local.function_db_users : {}

  # Substitutions for cloudbuild.yaml (output migrate_substitutions).
  migrate_substitutions = {
    _CLOUD_SQL_INSTANCE = local.db_connection_name
    _CLOUD_SQL_IP_TYPE  = local.db_connector ? var.database.ip_type : null
    _DATABASE_NAME      = var.database.name
    _DATABASE_USER      = local.db_connector ? local.migrator_db_user : null
    _MIGRATE_GRANTS     = jsonencode(local.migrate_grants)
  }
}
