# The slash-infra base identity as an IAM user: it can do nothing but
# assume the inspection roles (and the organisation reader role) listed in
# var.role_arns. Equivalent to the Go original's aws-app-user module.
#
# Prefer an instance/task role where slash-infra runs on AWS: attach the
# same policy (conf/iam/base-identity-policy.json) to that role instead.

terraform {
  required_version = ">= 1.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 4.0"
    }
  }
}

resource "aws_iam_user" "this" {
  name = var.name
  path = var.path
  tags = var.tags
}

data "aws_iam_policy_document" "assume_roles" {
  statement {
    sid       = "AllowAssumingSlashInfraRoles"
    effect    = "Allow"
    actions   = ["sts:AssumeRole"]
    resources = var.role_arns
  }
}

resource "aws_iam_user_policy" "assume_roles" {
  name   = "${var.name}-assume-roles"
  user   = aws_iam_user.this.name
  policy = data.aws_iam_policy_document.assume_roles.json
}

# Off by default: the secret key would be stored in the Terraform state.
resource "aws_iam_access_key" "this" {
  count = var.create_access_key ? 1 : 0
  user  = aws_iam_user.this.name
}
