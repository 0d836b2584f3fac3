# PostgreSQL for the five functions (docs/deploy.md, "Database").
#
# var.database.mode chooses how the functions reach it:
#   create   - Terraform creates a Cloud SQL for PostgreSQL instance (private IP by default, backups and
#              point-in-time recovery on, deletion protection) and the hostpay database;
#   existing - an instance created elsewhere, named by its connection name (project:region:instance);
#   url      - no Cloud SQL: the functions read DATABASE_URL from Secret Manager, with verified TLS.
# In the first two the functions connect through the Cloud SQL Node.js connector with IAM database
# authentication: each function logs in as its own service account (a google_sql_user of type
# CLOUD_IAM_SERVICE_ACCOUNT), and no database password exists anywhere.
locals {
  db_create    = var.database.mode == "create"
  db_connector = var.database.mode != "url"
  # A created instance is private unless asked otherwise; reaching a private IP from Cloud Run needs VPC
  # egress (below).
  db_private = local.db_connector && var.database.ip_type != "PUBLIC"

  db_instance_name = local.db_create ? "${local.prefix}pg" : (
    local.db_connector ? split(":", var.database.instance_connection_name)[length(split(":", var.database.instance_connection_name)) - 1] : null
  )
  # Connection names of domain-scoped projects hold one more colon (example.com:project:region:instance).
  db_project = local.db_create ? var.project_id : (
    local.db_connector ? join(":", slice(split(":", var.database.instance_connection_name), 0, length(split(":", var.database.instance_connection_name)) - 2)) : null
  )
  db_connection_name = local.db_create ? "${var.project_id}:${var.region}:${local.db_instance_name}" : (
    local.db_connector ? var.database.instance_connection_name : null
  )

  # The IAM database user of a service account is its e-mail without ".gserviceaccount.com". Spelled
  # out from the account ids (service-accounts.tf) so that it is known before apply.
  function_db_users = {
    for fn, f in local.functions : fn => "${local.prefix}${f.name}@${var.project_id}.iam"
  }
  migrator_db_user = "${local.prefix}migrator@${var.project_id}.iam"

  # Who connects through the connector: every function and the migrator (cloudbuild.yaml).
  db_clients = local.db_connector ? merge(
    { for fn in local.function_names : fn => google_service_account.function[fn].member },
    { migrator = google_service_account.migrator.member },
  ) : {}
  # cloudsql.client opens the connector's tunnel (cloudsql.instances.connect); instanceUser lets the
  # account log in as its IAM database user (cloudsql.instances.login). Both are project-level roles:
  # Cloud SQL has no per-instance IAM.
  db_roles = ["roles/cloudsql.client", "roles/cloudsql.instanceUser"]
  db_grants = merge([
    for who, member in local.db_clients : {
      for role in local.db_roles : "${who}/${role}" => { member = member, role = role }
    }
  ]...)

  db_users = local.db_connector ? merge(local.function_db_users, { migrator = local.migrator_db_user }) : {}

  # VPC egress: the functions reach a private IP through a Serverless VPC Access connector (the
  # Cloud Functions API offers no Direct VPC egress), only for private ranges: the RPC provider, the
  # Google APIs and the upstream stay on the default path and need no NAT.
  db_create_network   = local.db_private && local.db_create && var.database.network == null
  db_network          = local.db_create_network ? google_compute_network.hostpay[0].id : var.database.network
  db_create_connector = local.db_private && var.database.vpc_connector == null
  db_vpc_connector = local.db_private ? (
    local.db_create_connector ? google_vpc_access_connector.hostpay[0].id : var.database.vpc_connector
  ) : null
  # Private services access (the peering Cloud SQL's private IP lives behind), unless the network
  # already has a range allocated for it.
  db_create_peering = local.db_create && local.db_private && var.database.allocated_ip_range == null

  # The connection budget (docs/deploy.md, "Connection budget"): every instance of every function holds
  # up to DATABASE_POOL_MAX connections; during a deploy the old and the new revision run side by side,
  # so the functions' share counts twice; plus one for the migration and two for the hostpay CLI. It
  # must fit under max_connections minus the connections PostgreSQL keeps for superusers.
  connection_budget = {
    functions = sum([for fn in local.function_names : local.max_instances[fn] * var.database.pool_max])
    needed    = 2 * sum([for fn in local.function_names : local.max_instances[fn] * var.database.pool_max]) + 1 + 2
    available = var.database.max_connections - var.database.superuser_reserved_connections
  }
}

resource "google_compute_network" "hostpay" {
  count                   = local.db_create_network ? 1 : 0
  project                 = var.project_id
  name                    = "${local.prefix}vpc"
  auto_create_subnetworks = false
  depends_on              = [google_project_service.service]
}

resource "google_compute_global_address" "sql_private_range" {
  count         = local.db_create_peering ? 1 : 0
  project       = var.project_id
  name          = "${local.prefix}sql-private-range"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = 20
  network       = local.db_network
}

resource "google_service_networking_connection" "sql" {
  count                   = local.db_create_peering ? 1 : 0
  network                 = local.db_network
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.sql_private_range[0].name]
  # Other private services of the network may use the peering; destroying hostpay leaves it.
  deletion_policy = "ABANDON"
}

resource "google_vpc_access_connector" "hostpay" {
  count         = local.db_create_connector ? 1 : 0
  project       = var.project_id
  region        = var.region
  name          = "${var.prefix}-vpc"
  network       = local.db_network
  ip_cidr_range = var.database.connector_cidr
  min_instances = 2
  max_instances = 3
  depends_on    = [google_project_service.service]
}

resource "google_sql_database_instance" "hostpay" {
  count            = local.db_create ? 1 : 0
  project          = var.project_id
  region           = var.region
  name             = local.db_instance_name
  database_version = var.database.database_version
  # Terraform refuses to destroy it, and so does the Cloud SQL API (deletion_protection_enabled).
  deletion_protection = true

  settings {
    tier                        = var.database.tier
    edition                     = var.database.edition
    availability_type           = var.database.availability_type
    deletion_protection_enabled = true
    disk_autoresize             = true
    user_labels                 = local.labels
    # Connector mode: only the Cloud SQL connectors and the Auth Proxy may connect (they carry the
    # instance's client certificates and the caller's IAM identity).
    connector_enforcement = local.db_connector ? "REQUIRED" : "NOT_REQUIRED"

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
      start_time                     = "02:00"
      transaction_log_retention_days = 7
      backup_retention_settings {
        retained_backups = 14
      }
    }

    ip_configuration {
      ipv4_enabled       = var.database.ip_type == "PUBLIC"
      private_network    = local.db_private ? local.db_network : null
      allocated_ip_range = var.database.allocated_ip_range
      # Only TLS with a client certificate the connector obtains for the caller's IAM identity.
      ssl_mode = "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"
    }

    # IAM database authentication: the functions log in as their service accounts.
    database_flags {
      name  = "cloudsql.iam_authentication"
      value = "on"
    }
    # Sized by the connection budget (precondition on the functions).
    database_flags {
      name  = "max_connections"
      value = tostring(var.database.max_connections)
    }

    maintenance_window {
      day          = 7
      hour         = 3
      update_track = "stable"
    }

    insights_config {
      query_insights_enabled = true
    }
  }

  depends_on = [google_project_service.service, google_service_networking_connection.sql]
}

resource "google_sql_database" "hostpay" {
  count    = local.db_create ? 1 : 0
  project  = var.project_id
  instance = google_sql_database_instance.hostpay[0].name
  name     = var.database.name
  # The ledger outlives any Terraform mistake: a destroy leaves the database in place.
  deletion_policy = "ABANDON"
}

# One IAM database user per function service account and one for the migrator; what each may do
# inside the database is granted by the migrations (`hostpay migrate`).
resource "google_sql_user" "iam" {
  for_each = local.db_users
  project  = local.db_project
  instance = local.db_instance_name
  name     = each.value
  type     = "CLOUD_IAM_SERVICE_ACCOUNT"
  depends_on = [
    google_sql_database_instance.hostpay,
    google_service_account.function,
    google_service_account.migrator,
  ]
}

resource "google_project_iam_member" "cloudsql" {
  for_each = local.db_grants
  project  = local.db_project
  role     = each.value.role
  member   = each.value.member
}
