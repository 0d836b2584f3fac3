locals {
  bundle_dir = coalesce(var.bundle_dir, "${path.module}/../.deploy/bundle")
}

# The build is zipped once and shared by the five functions: each picks its entry point from it.
data "archive_file" "bundle" {
  type             = "zip"
  source_dir       = local.bundle_dir
  output_path      = "${path.module}/.terraform/${local.prefix}bundle.zip"
  output_file_mode = "0644"
}

resource "google_storage_bucket" "source" {
  project                     = var.project_id
  name                        = "${var.project_id}-${local.prefix}functions-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = local.labels
  depends_on                  = [google_project_service.service]
}

# Named by content hash: a new build is a new object, which is what makes the functions redeploy.
resource "google_storage_bucket_object" "bundle" {
  bucket = google_storage_bucket.source.name
  name   = "bundle-${data.archive_file.bundle.output_sha256}.zip"
  source = data.archive_file.bundle.output_path
}
