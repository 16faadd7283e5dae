output "user_name" {
  description = "Name of the IAM user."
  value       = aws_iam_user.this.name
}

output "user_arn" {
  description = "ARN of the IAM user: the trusted principal of every inspection role (TrustedPrincipalArn, trusted_principal_arns)."
  value       = aws_iam_user.this.arn
}

output "access_key_id" {
  description = "AWS_ACCESS_KEY_ID for slash-infra (when create_access_key)."
  value       = var.create_access_key ? aws_iam_access_key.this[0].id : null
}

output "secret_access_key" {
  description = "AWS_SECRET_ACCESS_KEY for slash-infra (when create_access_key)."
  value       = var.create_access_key ? aws_iam_access_key.this[0].secret : null
  sensitive   = true
}
