locals {
  # Secret settings => Secret Manager secret id (prefixed). Terraform creates the secrets and decides
  # who may read them; the values are added out of band (docs/deploy.md) and never pass through here.
  secrets = {
    DATABASE_URL               = "database-url"
    RPC_URL                    = "rpc-url"
    SLACK_WEBHOOK_URL          = "slack-webhook-url"
    TOKEN_SIGNING_KEY          = "token-signing-key"
    TOKEN_SIGNING_KEY_PREVIOUS = "token-signing-key-previous"
    WALLET_PRIVATE_KEY         = "wallet-private-key"
  }

  # A secret without a version cannot be mounted, so the optional ones are mounted once enabled.
  optional_secret_names = ["SLACK_WEBHOOK_URL", "TOKEN_SIGNING_KEY_PREVIOUS"]
  # DATABASE_URL only in URL mode: with the Cloud SQL connector there is no database password at all.
  mounted_secrets = [
    for name in keys(local.secrets) : name
    if name == "DATABASE_URL" ? !local.db_connector : (!contains(local.optional_secret_names, name) || contains(var.optional_secrets, name))
  ]

  # Secret settings each function mounts as environment variables.
  function_secrets = {
    for fn in local.function_names : fn => [
      for name in local.mounted_secrets : name if contains(local.setting_functions[name], fn)
    ]
  }

  # Read access follows the settings table, mounted or not, so enabling an optional secret is not
  # raced by its IAM grant.
  secret_readers = merge([
    for name in keys(local.secrets) : {
      for fn in local.setting_functions[name] : "${name}/${fn}" => { secret = name, function = fn }
      if name != "DATABASE_URL" || !local.db_connector
    }
  ]...)
}

resource "google_secret_manager_secret" "secret" {
  for_each  = local.secrets
  project   = var.project_id
  secret_id = "${local.prefix}${each.value}"
  labels    = local.labels
  # The wallet key and the signing keys cannot be recreated: a destroy must be deliberate.
  deletion_protection = true
  replication {
    auto {}
  }
  depends_on = [google_project_service.service]
}

# secretAccessor on one secret for one function's identity: the platform reads the mounted value as
# that identity at each cold start.
resource "google_secret_manager_secret_iam_member" "reader" {
  for_each  = local.secret_readers
  project   = var.project_id
  secret_id = google_secret_manager_secret.secret[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function[each.value.function].member
}
