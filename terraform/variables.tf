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

variable "failed_payments_alert_threshold" {
  description = "Alert when more than this many payouts fail permanently within one hour."
  type        = number
  default     = 5
  validation {
    condition     = var.failed_payments_alert_threshold >= 0 && floor(var.failed_payments_alert_threshold) == var.failed_payments_alert_threshold
    error_message = "failed_payments_alert_threshold must be a non-negative integer."
  }
}

variable "ingress_settings" {
  description = "Network ingress of every function. IAM (OIDC) is what keeps them private; ALLOW_INTERNAL_ONLY additionally needs Cloud Tasks and Cloud Scheduler inside a VPC Service Controls perimeter."
  type        = string
  default     = "ALLOW_ALL"
  validation {
    condition     = contains(["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], var.ingress_settings)
    error_message = "ingress_settings must be ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
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
  description = "Non-secret settings (DESIGN §8) to set explicitly, by environment variable name, for example { RECEIPT_WAIT_SECONDS = \"90\" }; unset ones keep the defaults of shared/config.ts. Secrets and the settings Terraform derives are refused."
  type        = map(string)
  default     = {}
  validation {
    condition = alltrue([
      for name in keys(var.setting_overrides) :
      contains(keys(local.setting_functions), name) && !contains(keys(local.secrets), name) && !contains(keys(local.derived_settings), name) && name != "TASKS_EMULATOR_HOST"
    ])
    error_message = "setting_overrides keys must be non-secret settings of shared/config/settings.ts that Terraform does not derive itself (TASKS_EMULATOR_HOST is for local runs only)."
  }
}

variable "upstream" {
  description = "The upstream platform (HostPay1): the service account whose OIDC token its payment tasks carry (granted roles/run.invoker on executePayment and nothing else), the principals that create tasks on the payment queue (none given: that service account), and the callback URLs."
  type = object({
    completed_url           = string
    completed_urls          = optional(map(string), {})
    enqueuers               = optional(list(string), [])
    failed_url              = optional(string)
    invoker_service_account = string
  })
  validation {
    condition     = can(regex("^[^@\\s]+@[a-z0-9.-]+\\.gserviceaccount\\.com$", var.upstream.invoker_service_account))
    error_message = "upstream.invoker_service_account must be a service account e-mail."
  }
  validation {
    condition = alltrue([
      for url in concat([var.upstream.completed_url], values(var.upstream.completed_urls), compact([var.upstream.failed_url])) :
      startswith(url, "https://")
    ])
    error_message = "Upstream callback URLs must be https."
  }
  validation {
    condition     = alltrue([for m in var.upstream.enqueuers : can(regex("^(user|group|serviceAccount):[^@\\s]+@[^@\\s]+$", m))])
    error_message = "upstream.enqueuers must be user:, group: or serviceAccount: members."
  }
}
