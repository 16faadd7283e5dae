# A role slash-infra assumes in one account: read-only EC2 search
# (conf/iam/inspection-role-permissions.json), trusting the base identity.
# With allow_list_accounts it is the organisation reader in the management
# account instead (conf/iam/organization-reader-permissions.json).
# Equivalent to the Go original's aws-app-role module.

terraform {
  required_version = ">= 1.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 4.0"
    }
  }
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "TrustSlashInfraBaseIdentity"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = var.trusted_principal_arns
    }

    dynamic "condition" {
      for_each = var.external_id == null ? [] : [var.external_id]
      content {
        test     = "StringEquals"
        variable = "sts:ExternalId"
        values   = [condition.value]
      }
    }
  }
}

data "aws_iam_policy_document" "permissions" {
  dynamic "statement" {
    for_each = var.allow_list_accounts ? [] : [1]
    content {
      sid    = "AllowSlashInfraReadOnlySearch"
      effect = "Allow"
      actions = [
        "autoscaling:DescribeAutoScalingGroups",
        "ec2:DescribeImages",
        "ec2:DescribeInstances",
        "ec2:DescribeInternetGateways",
        "ec2:DescribeLaunchTemplates",
        "ec2:DescribeNatGateways",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeRegions",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSnapshots",
        "ec2:DescribeSubnets",
        "ec2:DescribeTransitGateways",
        "ec2:DescribeVolumes",
        "ec2:DescribeVpcEndpoints",
        "ec2:DescribeVpcs",
        "elasticloadbalancing:DescribeInstanceHealth",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
        "lambda:GetFunction",
        "lambda:ListFunctions",
        "rds:DescribeDBClusters",
        "rds:DescribeDBInstances",
        "route53:GetHostedZone",
        "route53:ListHostedZones",
        "route53:ListResourceRecordSets",
      ]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.allow_list_accounts ? [1] : []
    content {
      sid       = "AllowSlashInfraAccountDiscovery"
      effect    = "Allow"
      actions   = ["organizations:ListAccounts"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.role_name
  path                 = var.path
  description          = var.allow_list_accounts ? "slash-infra: list the organisation's accounts" : "slash-infra: search EC2 instances and network interfaces (read only)"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = var.allow_list_accounts ? "SlashInfraAccountDiscovery" : "SlashInfraReadOnlySearch"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.permissions.json
}
