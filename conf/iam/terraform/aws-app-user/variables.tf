variable "name" {
  description = "Name of the IAM user slash-infra runs as."
  type        = string
  default     = "slash-infra"
}

variable "path" {
  description = "IAM path of the user."
  type        = string
  default     = "/"
}

variable "role_arns" {
  description = "Roles the user may assume. Narrow the default to the accounts you search, e.g. [\"arn:aws:iam::123456789012:role/SlashInfraInspection\"]."
  type        = list(string)
  default = [
    "arn:aws:iam::*:role/SlashInfraInspection",
    "arn:aws:iam::*:role/SlashInfraOrgReader",
  ]

  validation {
    condition     = length(var.role_arns) > 0
    error_message = "role_arns must name at least one role."
  }
}

variable "create_access_key" {
  description = "Create an access key for the user (its secret ends up in the Terraform state)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the user."
  type        = map(string)
  default     = {}
}
