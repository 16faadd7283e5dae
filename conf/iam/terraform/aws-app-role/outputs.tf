output "role_arn" {
  description = "ARN to configure: AWS_ROLE_<ALIAS> / role_arn in [account <alias>], or [organization] management_role_arn."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the role ([organization] role_name for inspection roles)."
  value       = aws_iam_role.this.name
}
