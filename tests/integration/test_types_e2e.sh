#!/usr/bin/env bash
# Issue 12: every identifier an on-call engineer pastes, end to end. Real
# nginx -> the worker -> the AWS stand-in (EC2 family, ELB v1/v2, RDS,
# Auto Scaling, Lambda over REST-JSON, Route 53 over REST-XML, all
# SigV4-checked) -> the response_url receiver. For each type: the answer
# names the resource, and the stand-in's per-call counts prove the search
# asked only the calls that type needs. Also: a Route 53 chain of 3 hops
# to a load balancer's instance targets with their health, a CIDR, an
# unknown ARN type and an unknown ID (ephemeral, no AWS call at all), and
# a Name in the wrong case.
#
# Fixture: tests/standin/fixture.json (its README lists the estate). The
# configuration (tests/integration/accounts.ini) has 7 targets: production
# eu-west-2 + us-east-1, staging eu-west-2 + eu-west-1, dev eu-west-2 +
# us-west-2 + us-east-1. Host names are never resolved with the system
# resolver here ([search] resolve_dns off): tests stay on loopback.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_aws.sh"

export SLASH_INFRA_SEARCH_INLINE_BUDGET_MS=2000
export SLASH_INFRA_SEARCH_RESOLVE_DNS=off
export SLASH_INFRA_AWS_MAX_ATTEMPTS=1

aws_start --quiet --fixture "$SI_SRCDIR/tests/standin/fixture.json" || exit 1
receiver_start || exit 1
aws_env
stack_start || exit 1
. "$(dirname "$0")/lib_search.sh"

# calls NAME: the stand-in's per-call counts since the last reset, as JSON
# in $TMP/calls.NAME.json ({"ec2:DescribeSecurityGroups": 7, ...}), STS
# left out (credentials are cached after the first search).
calls() {
	aws_stats | "$PYTHON3" -c '
import json, sys
j = json.load(sys.stdin)
print(json.dumps({k: v for k, v in j.get("by_call", {}).items() if not k.startswith("sts:")}))
' > "$TMP/calls.$1.json"
}

# one NAME TERM NEEDLE CALLS: search TERM; the answer is in the channel,
# its text holds NEEDLE, and the AWS calls made were exactly CALLS (a
# Python dict literal of call -> count).
one() {
	aws_control /_control/reset '{}' >/dev/null
	ask "$1" "$2"
	calls "$1"
	expect_eq "$1: answered" "$ST" 200
	jcheck "$1: in the channel, names $3" "$ANS" \
		"j.get('response_type') == 'in_channel' and '$3' in alltext(j)"
	jcheck "$1: only the calls the type needs" "$TMP/calls.$1.json" "j == $4"
}

# Warm the credential cache so per-call counts below hold no AssumeRole.
ask warm i-0a1b2c3d4e5f60001

# ---- EC2 family by ID: one call per target, one action -------------------------
one sg sg-0111000000000a001 'Prod-Web-SG' '{"ec2:DescribeSecurityGroups": 7}'
one subnet subnet-0111000000000a001 'subnet-0111000000000a001' '{"ec2:DescribeSubnets": 7}'
one vpc vpc-0111000000000a001 '10.10.0.0/16' '{"ec2:DescribeVpcs": 7}'
one vol vol-0111000000000a001 'i-0a1b2c3d4e5f60001' \
	'{"ec2:DescribeVolumes": 7, "ec2:DescribeInstances": 1}'
jcheck "vol: the attached instance is named" "$ANS" "'prod-web-1' in alltext(j)"
one ami ami-0f1e2d3c4b5a69788 'ami-0f1e2d3c4b5a69788' '{"ec2:DescribeImages": 7}'
one snap snap-0111000000000a001 'snap-0111000000000a001' '{"ec2:DescribeSnapshots": 7}'
one nat nat-0a1b2c3d4e5f67890 'nat-0a1b2c3d4e5f67890' '{"ec2:DescribeNatGateways": 7}'
one igw igw-0111000000000a001 'igw-0111000000000a001' '{"ec2:DescribeInternetGateways": 7}'
one vpce vpce-0111000000000a001 'vpce-0111000000000a001' '{"ec2:DescribeVpcEndpoints": 7}'
one tgw tgw-0111000000000a001 'tgw-0111000000000a001' '{"ec2:DescribeTransitGateways": 7}'
one lt lt-0111000000000a001 'lt-0111000000000a001' '{"ec2:DescribeLaunchTemplates": 7}'
# An ARN is searched in its own account and region only.
one sg_arn arn:aws:ec2:eu-west-2:111111111111:security-group/sg-0111000000000a001 \
	'Prod-Web-SG' '{"ec2:DescribeSecurityGroups": 1}'

# ---- a CIDR: VPCs and subnets that equal, contain or lie inside it ----------
ask cidr 10.10.0.0/16
jcheck "cidr: production's VPC (equal)" "$ANS" "'vpc-0111000000000a001' in alltext(j)"
jcheck "cidr: dev's VPC with the same block" "$ANS" "'vpc-0333000000000a002' in alltext(j)"
jcheck "cidr: production's subnets inside it" "$ANS" "'subnet-0111000000000a001' in alltext(j)"
jcheck "cidr: says how each relates" "$ANS" "'equal' in alltext(j) and 'inside' in alltext(j)"
ask cidr_bits 10.10.7.9/16
jcheck "cidr with host bits: searched masked, and says so" "$ANS" \
	"'vpc-0111000000000a001' in alltext(j) and any('10.10.0.0/16' in c for c in contexts(j))"

# ---- load balancers ---------------------------------------------------------------
ask alb prod-alb
jcheck "alb by name: the ALB with its targets' health" "$ANS" \
	"'prod-alb' in alltext(j) and 'i-0a1b2c3d4e5f60001' in alltext(j) and 'unhealthy' in alltext(j)"
one alb_dns prod-alb-1234567890.eu-west-2.elb.amazonaws.com 'i-0a1b2c3d4e5f60002' \
	'{"elbv2:DescribeLoadBalancers": 3, "elb:DescribeLoadBalancers": 3, "elbv2:DescribeListeners": 1, "elbv2:DescribeTargetGroups": 1, "elbv2:DescribeTargetHealth": 1, "ec2:DescribeInstances": 1}'
jcheck "alb dns: instance targets named" "$ANS" "'prod-web-1' in alltext(j) and 'prod-web-2' in alltext(j)"
ask nlb_dns prod-nlb-7d1e3f5a9b2c4e68.elb.eu-west-2.amazonaws.com
jcheck "nlb by DNS name" "$ANS" "'prod-nlb' in alltext(j) and j.get('response_type') == 'in_channel'"
ask clb prod-legacy-987654321.eu-west-2.elb.amazonaws.com
jcheck "classic ELB by DNS name" "$ANS" "'prod-legacy' in alltext(j)"

# ---- RDS, Auto Scaling, Lambda -------------------------------------------------
ask rds prod-orders-db.c1k2m3n4p5q6.eu-west-2.rds.amazonaws.com
jcheck "rds endpoint: the DB instance" "$ANS" "'prod-orders-db' in alltext(j)"
ask aurora prod-aurora
jcheck "aurora by name: the cluster and its writer" "$ANS" \
	"'prod-aurora-1' in alltext(j) and 'writer' in alltext(j).lower()"
ask asg prod-web-asg
jcheck "asg by name" "$ANS" "'prod-web-asg' in alltext(j)"
one lambda_arn arn:aws:lambda:eu-west-2:111111111111:function:prod-thumbnailer \
	'prod-thumbnailer' '{"lambda:GetFunction": 1}'
ask lambda_name THUMBNAILER
jcheck "lambda by name, other case" "$ANS" "'prod-thumbnailer' in alltext(j)"

# ---- Route 53: api -> CNAME www -> ALIAS ALB -> 2 instance targets ------------
ask chain api.example.com
jcheck "chain: the record" "$ANS" "'api.example.com' in alltext(j) and 'CNAME' in alltext(j)"
jcheck "chain: each hop shown" "$ANS" \
	"'www.example.com' in alltext(j) and 'prod-alb-1234567890.eu-west-2.elb.amazonaws.com' in alltext(j)"
jcheck "chain: the ALB's instance targets with their health" "$ANS" \
	"'i-0a1b2c3d4e5f60001' in alltext(j) and 'i-0a1b2c3d4e5f60002' in alltext(j) and 'healthy' in alltext(j) and 'unhealthy' in alltext(j)"
ask private_a web1.internal.example.com
jcheck "private zone A record: followed to the instance holding 10.10.1.10" "$ANS" \
	"'10.10.1.10' in alltext(j) and 'i-0a1b2c3d4e5f60001' in alltext(j)"

# ---- unknown kinds: ephemeral, no AWS call ----------------------------------
for t in "arn:aws:s3:::my-bucket" "arn:aws:dynamodb:eu-west-2:111111111111:table/orders" \
	"xyz-0123abcd" "tgw-attach-0123456789abcdef0"; do
	n=unknown_$(printf '%s' "$t" | tr -c 'a-z0-9' _)
	aws_control /_control/reset '{}' >/dev/null
	ask "$n" "$t"
	calls "$n"
	jcheck "$n: ephemeral explanation" "$ANS" \
		"j.get('response_type') == 'ephemeral' and 'I can search' in alltext(j)"
	jcheck "$n: no AWS call" "$TMP/calls.$n.json" "j == {}"
done
jflush

# ---- Name, case-insensitive ---------------------------------------------------
ask lower prod-web-sg
jcheck "name in lower case finds Prod-Web-SG" "$ANS" "'Prod-Web-SG' in alltext(j)"
ask upper PROD-WEB-1
jcheck "name in upper case finds the instance prod-web-1" "$ANS" "'i-0a1b2c3d4e5f60001' in alltext(j)"

# ---- every reply stays within Slack's limits ------------------------------------
# 50 blocks, 3,000 characters per text, and 12,000 characters of block text
# in all, every string inside "blocks" counted (within_budget;
# tests/data/shared/slack/LIMITS.md: msg_blocks_too_long).
for f in "$TMP"/http.*.json "$TMP"/final.*.json; do
	[ -f "$f" ] || continue
	jcheck "$(basename "$f"): at most 50 blocks, texts within 3000, 12,000 in all" "$f" \
		"within_budget(j) and all(len(t) <= 3000 for t in texts(j))"
done
jflush
finish
