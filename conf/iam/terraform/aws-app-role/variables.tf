variable "trusted_principal_arns" {
  description = "ARNs of the slash-infra base identity (the aws-app-user module's user_arn, or the instance/task role) allowed to assume this role."
  type        = list(string)

  validation {
    condition     = length(var.trusted_principal_arns) > 0
    error_message = "trusted_principal_arns must name at least one principal."
  }
}

variable "role_name" {
  description = "Name of the role. The base identity policy allows SlashInfraInspection and SlashInfraOrgReader."
  type        = string
  default     = "SlashInfraInspection"
}

variable "path" {
  description = "IAM path of the role (the default keeps the ARN .../role/<name> the base policy expects)."
  type        = string
  default     = "/"
}

variable "external_id" {
  description = "Optional sts:ExternalId the base identity must present (external_id in [account <alias>]). null: no condition."
  type        = string
  default     = null
  sensitive   = true
}

variable "allow_list_accounts" {
  description = "Make this the organisation reader (organizations:ListAccounts) for the management account instead of an EC2 inspection role."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the role."
  type        = map(string)
  default     = {}
}
