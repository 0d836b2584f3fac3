variable "admin_members" {
  description = "Principals allowed to call adminApi (roles/run.invoker on its Cloud Run service only), as user:, group: or serviceAccount: members."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for m in var.admin_members : can(regex("^(user|group|serviceAccount):[^@\\s]+@[^@\\s]+$", m))])
    error_message = "Each admin member must be user:, group: or serviceAccount: followed by an e-mail address; public principals are refused."
  }
}

variable "alert_email_addresses" {
  description = "E-mail addresses that receive every hostpay alert (one notification channel each)."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for e in var.alert_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "Each alert e-mail address must look like name@domain.tld."
  }
}

variable "alert_notification_channels" {
  description = "Ids of notification channels created outside Terraform (for example a Slack channel connected in the console), as projects/PROJECT/notificationChannels/ID."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for c in var.alert_notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", c))])
    error_message = "Notification channel ids look like projects/PROJECT/notificationChannels/ID."
  }
}

variable "alert_slack_auth_token" {
  description = "OAuth token of the Cloud Monitoring Slack app, needed only when alert_slack_channels is set. Sensitive: it is kept in the Terraform state."
  type        = string
  default     = null
  sensitive   = true
  validation {
    condition     = var.alert_slack_auth_token == null || can(regex("^xox[a-z]-", var.alert_slack_auth_token))
    error_message = "alert_slack_auth_token must be a Slack OAuth token (xoxb-... or xoxp-...)."
  }
}

variable "alert_slack_channels" {
  description = "Slack channels (for example \"#payouts-alerts\") that receive every hostpay alert through Cloud Monitoring's Slack integration."
  type        = list(string)
  default     = []
  validation {
    condition     = length(var.alert_slack_channels) == 0 || var.alert_slack_auth_token != null
    error_message = "alert_slack_channels needs alert_slack_auth_token."
  }
  validation {
    condition     = alltrue([for c in var.alert_slack_channels : can(regex("^#[a-z0-9_-]+$", c))])
    error_message = "Slack channel names start with # and hold lower-case letters, digits, - and _."
  }
}

variable "bundle_dir" {
  description = "Directory with the deployable build: dist/, package.json and package-lock.json (see docs/deploy.md). Null means .deploy/bundle at the repository root."
  type        = string
  default     = null
  validation {
    condition     = var.bundle_dir == null || trimspace(coalesce(var.bundle_dir, " ")) != ""
    error_message = "bundle_dir must be a directory path, or null for .deploy/bundle."
  }
}

variable "chain_id" {
  description = "EVM chain id the hot wallet pays on (1 is Ethereum mainnet)."
  type        = number
  validation {
    condition     = var.chain_id > 0 && floor(var.chain_id) == var.chain_id
    error_message = "chain_id must be a positive integer."
  }
}

variable "database" {
  description = "Where the functions' PostgreSQL is (database.tf, docs/deploy.md \"Database\"). mode: create (a Cloud SQL instance made here), existing (instance_connection_name of one made elsewhere) or url (DATABASE_URL from Secret Manager; url_template is its shape with the password written PASSWORD, and must say sslmode=verify-full). ip_type: how the connector reaches Cloud SQL. max_connections: the instance's limit (set as a flag on a created instance; read it from an existing one). pool_max: DATABASE_POOL_MAX, connections per function instance. network / allocated_ip_range / vpc_connector: an existing VPC, its private services range, a Serverless VPC Access connector to use instead of creating them."
  type = object({
    mode                           = optional(string, "create")
    name                           = optional(string, "hostpay")
    ip_type                        = optional(string, "PRIVATE")
    instance_connection_name       = optional(string)
    database_version               = optional(string, "POSTGRES_16")
    tier                           = optional(string, "db-custom-2-7680")
    edition                        = optional(string, "ENTERPRISE")
    availability_type              = optional(string, "REGIONAL")
    max_connections                = optional(number, 200)
    superuser_reserved_connections = optional(number, 3)
    pool_max                       = optional(number, 5)
    network                        = optional(string)
    allocated_ip_range             = optional(string)
    vpc_connector                  = optional(string)
    connector_cidr                 = optional(string, "10.8.0.0/28")
    url_template                   = optional(string)
  })
  default = {}
  validation {
    condition     = contains(["create", "existing", "url"], var.database.mode)
    error_message = "database.mode must be create, existing or url."
  }
  validation {
    condition     = contains(["PRIVATE", "PUBLIC", "PSC"], var.database.ip_type)
    error_message = "database.ip_type must be PRIVATE, PUBLIC or PSC."
  }
  validation {
    condition = (
      var.database.mode == "existing"
      ? can(regex("^([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]:[a-z]+-[a-z]+[0-9]+:[a-z][a-z0-9-]*$", coalesce(var.database.instance_connection_name, " ")))
      : var.database.instance_connection_name == null
    )
    error_message = "database.instance_connection_name (project:region:instance) is required with mode existing, and only there."
  }
  validation {
    condition     = var.database.mode != "create" || var.database.ip_type != "PSC"
    error_message = "A created instance is PRIVATE or PUBLIC; attach a Private Service Connect instance with mode existing."
  }
  validation {
    condition     = var.database.mode != "existing" || var.database.ip_type == "PUBLIC" || var.database.network != null || var.database.vpc_connector != null
    error_message = "An existing instance reached over PRIVATE or PSC needs database.network (a connector is created there) or database.vpc_connector."
  }
  # URL mode: the URL itself is a secret (its password), so Terraform sees only its shape. postgres.js
  # verifies the server only with sslmode=verify-full; require and prefer encrypt without checking who
  # answers, disable does not even encrypt.
  validation {
    condition = (
      var.database.mode == "url"
      ? can(regex("^postgres(ql)?://[^:@/?#]+:PASSWORD@[^/?#]+/[^?#]+[?]([^#]*&)?sslmode=verify-full(&[^#]*)?$", coalesce(var.database.url_template, " "))) && length(regexall("sslmode=", coalesce(var.database.url_template, " "))) == 1
      : var.database.url_template == null
    )
    error_message = "With mode url, database.url_template must be postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=verify-full (the word PASSWORD stands for the password, which goes only into Secret Manager); sslmode require, prefer, allow or disable, or none, do not verify the server. Without mode url it must be unset."
  }
  validation {
    condition     = var.database.max_connections >= 25 && var.database.max_connections <= 262143 && floor(var.database.max_connections) == var.database.max_connections
    error_message = "database.max_connections must be an integer from 25 to 262143."
  }
  validation {
    condition     = var.database.pool_max >= 1 && var.database.pool_max <= 100 && floor(var.database.pool_max) == var.database.pool_max
    error_message = "database.pool_max must be an integer from 1 to 100."
  }
  validation {
    condition     = var.database.superuser_reserved_connections >= 0 && floor(var.database.superuser_reserved_connections) == var.database.superuser_reserved_connections
    error_message = "database.superuser_reserved_connections must be a non-negative integer."
  }
  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database.name))
    error_message = "database.name must be a lower-case PostgreSQL identifier."
  }
  validation {
    condition     = contains(["ZONAL", "REGIONAL"], var.database.availability_type) && contains(["ENTERPRISE", "ENTERPRISE_PLUS"], var.database.edition) && can(regex("^POSTGRES_(1[5-9]|[2-9][0-9])$", var.database.database_version))
    error_message = "database.availability_type is ZONAL or REGIONAL, edition ENTERPRISE or ENTERPRISE_PLUS, database_version POSTGRES_15 or later."
  }
  validation {
    condition     = can(regex("^[0-9]{1,3}([.][0-9]{1,3}){3}/28$", var.database.connector_cidr))
    error_message = "database.connector_cidr must be an unused /28 range, such as 10.8.0.0/28."
  }
}

variable "failed_payments_alert_threshold" {
  description = "Alert when more than this many payouts fail permanently within one hour."
  type        = number
  default     = 5
  validation {
    condition     = var.failed_payments_alert_threshold >= 0 && floor(var.failed_payments_alert_threshold) == var.failed_payments_alert_threshold
    error_message = "failed_payments_alert_threshold must be a non-negative integer."
  }
}

variable "ingress" {
  description = "Network ingress per function, by entry point, overriding the defaults (every function ALLOW_ALL, behind IAM: no function grants an anonymous invoker). adminApi stays reachable by operators, so it cannot be ALLOW_INTERNAL_ONLY. See functions.tf before making a task target internal."
  type        = map(string)
  default     = {}
  validation {
    condition = alltrue([
      for name, setting in var.ingress :
      contains(["executePayment", "retryPayment", "recordFailure", "adminApi", "recoverPayments"], name) && contains(["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], setting)
    ])
    error_message = "ingress keys are entry points and values ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  }
  validation {
    condition     = lookup(var.ingress, "adminApi", "ALLOW_ALL") != "ALLOW_INTERNAL_ONLY"
    error_message = "adminApi serves operators from outside the VPC: ALLOW_INTERNAL_ONLY would lock them out (use ALLOW_ALL, or ALLOW_INTERNAL_AND_GCLB behind a load balancer)."
  }
}

variable "labels" {
  description = "Labels added to every labelled resource."
  type        = map(string)
  default     = {}
  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "Label keys and values are lower-case letters, digits, _ and - (keys start with a letter, 63 characters at most)."
  }
}

variable "max_instances" {
  description = "Per-function ceiling on instances, by entry point, overriding the defaults in locals.tf; size it against the database's max_connections."
  type        = map(number)
  default     = {}
  validation {
    condition = alltrue([
      for name, n in var.max_instances :
      contains(["executePayment", "retryPayment", "recordFailure", "adminApi", "recoverPayments"], name) && n >= 1 && n <= 100 && floor(n) == n
    ])
    error_message = "max_instances keys are entry points (executePayment, retryPayment, recordFailure, adminApi, recoverPayments) and values integers from 1 to 100."
  }
}

variable "optional_secrets" {
  description = "Optional secrets that have a version in Secret Manager and are to be mounted: SLACK_WEBHOOK_URL, TOKEN_SIGNING_KEY_PREVIOUS (during a key rotation). A secret without a version cannot be mounted, so these stay off until one is added."
  type        = set(string)
  default     = []
  validation {
    condition     = alltrue([for s in var.optional_secrets : contains(["SLACK_WEBHOOK_URL", "TOKEN_SIGNING_KEY_PREVIOUS"], s)])
    error_message = "optional_secrets may hold SLACK_WEBHOOK_URL and TOKEN_SIGNING_KEY_PREVIOUS only."
  }
}

variable "payment_caps" {
  description = "Largest single payout per currency symbol, as a decimal string (PAYMENT_CAPS); anything above is refused as INVALID_AMOUNT before signing."
  type        = map(string)
  validation {
    condition     = length(var.payment_caps) > 0 && alltrue([for symbol, cap in var.payment_caps : can(regex("^[a-z][a-z0-9]*$", symbol)) && can(regex("^[0-9]+(\\.[0-9]+)?$", cap))])
    error_message = "payment_caps maps lower-case currency symbols to decimal strings such as \"2.5\"."
  }
}

variable "prefix" {
  description = "Prefix of every resource name; keeps service account ids (30 characters) within bounds."
  type        = string
  default     = "hostpay"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,11}[a-z0-9]$", var.prefix))
    error_message = "prefix must be 2 to 13 lower-case letters, digits or -, starting with a letter."
  }
}

variable "project_id" {
  description = "Project that hosts every hostpay resource."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid Google Cloud project id."
  }
}

variable "queue_delay_alert_seconds" {
  description = "Alert when a queue's attempts run more than this many seconds behind their scheduled time (p99 over 5 minutes): its oldest tasks are waiting."
  type        = number
  default     = 600
  validation {
    condition     = var.queue_delay_alert_seconds >= 60 && floor(var.queue_delay_alert_seconds) == var.queue_delay_alert_seconds
    error_message = "queue_delay_alert_seconds must be an integer of at least 60."
  }
}

variable "queue_depth_alert_threshold" {
  description = "Alert when a queue holds more than this many tasks for 10 minutes (delayed retries and confirmation checks count)."
  type        = number
  default     = 200
  validation {
    condition     = var.queue_depth_alert_threshold >= 1 && floor(var.queue_depth_alert_threshold) == var.queue_depth_alert_threshold
    error_message = "queue_depth_alert_threshold must be a positive integer."
  }
}

variable "recovery_schedule" {
  description = "Cron schedule (UTC) of the recoverPayments sweep."
  type        = string
  default     = "*/30 * * * *"
  validation {
    condition     = length(split(" ", trimspace(var.recovery_schedule))) == 5
    error_message = "recovery_schedule must be a five-field cron expression."
  }
}

variable "region" {
  description = "Region of the functions, queues, scheduler job and source bucket."
  type        = string
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "setting_overrides" {
  description = "Non-secret settings (shared/config/settings.ts) to set explicitly, by environment variable name, for example { RECEIPT_WAIT_SECONDS = \"90\" }; unset ones keep the defaults of shared/config.ts. Secrets and the settings Terraform derives are refused."
  type        = map(string)
  default     = {}
  validation {
    condition = alltrue([
      for name in keys(var.setting_overrides) :
      contains(keys(local.setting_functions), name) && !contains(keys(local.secrets), name) && !contains(keys(local.derived_settings), name) && !contains(["DATABASE_USER", "TASKS_EMULATOR_HOST"], name)
    ])
    error_message = "setting_overrides keys must be non-secret settings of shared/config/settings.ts that Terraform does not derive itself (database settings come from var.database; TASKS_EMULATOR_HOST is for local runs only)."
  }
}

variable "upstream" {
  description = "The upstream platform (HostPay1): principals, in its own project, that create the payment tasks (granted roles/cloudtasks.enqueuer on the payment queue and roles/iam.serviceAccountUser on the upstream invoker account made here, whose OIDC token the tasks carry), and the callback URLs."
  type = object({
    completed_url  = string
    completed_urls = optional(map(string), {})
    failed_url     = optional(string)
    principals     = list(string)
  })
  validation {
    condition     = length(var.upstream.principals) > 0 && alltrue([for m in var.upstream.principals : can(regex("^(user|group|serviceAccount):[^@\\s]+@[^@\\s]+$", m))])
    error_message = "upstream.principals must list the user:, group: or serviceAccount: members that create the payment tasks."
  }
  validation {
    condition = alltrue([
      for url in concat([var.upstream.completed_url], values(var.upstream.completed_urls), compact([var.upstream.failed_url])) :
      startswith(url, "https://")
    ])
    error_message = "Upstream callback URLs must be https."
  }
}
