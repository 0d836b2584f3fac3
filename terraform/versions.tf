# The offline checks (test/unit/terraform/module.test.ts) read the provider schemas extracted into .schema/ from
# these exact provider versions; upgrading a provider means re-running scripts/extract-provider-schema.mjs.

terraform {
  # Cross-variable validation blocks need 1.9.
  required_version = ">= 1.9.0"
  required_providers {
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.7.1"
    }
    google = {
      source  = "hashicorp/google"
      version = "~> 6.50.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
