/*
 * test_query.c - classification of search terms and parsing of the text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "search/query.h"
#include "search/registry.h"
#include "util/strutil.h"

/* One classification case. NULL expectations are not checked; "" means
 * the field must be empty. type is the pinned type's name ("" none).
 * reason is a substring the reason must hold (MALFORMED and UNKNOWN). */
struct qcase {
	const char *in;
	enum query_kind kind;
	const char *value;
	const char *region;
	const char *account;
	const char *type;
	const char *reason;
	const char *ip;
	const char *instance_id;
	const char *resource;
	const char *name_lc;
	const char *note;
};

#define M QUERY_MALFORMED
#define U QUERY_UNKNOWN
#define RID QUERY_RESOURCE_ID
#define ARN QUERY_ARN
#define HOST QUERY_HOST
#define CIDR QUERY_CIDR
#define NAME QUERY_NAME

/* An ID of type ty: value v (lower case), nothing else. */
#define ID(in_, v, ty) { .in = in_, .kind = RID, .value = v, .type = ty, .region = "", \
			 .account = "", .ip = "", .instance_id = "" }
/* Malformed, the reason holding r. */
#define BAD(in_, r) { .in = in_, .kind = M, .reason = r }
/* Unknown, the reason holding r. */
#define UNK(in_, v, r) { .in = in_, .kind = U, .value = v, .reason = r, .type = "" }
/* A Name kept as typed, lower case lc. */
#define NM(in_, lc) { .in = in_, .kind = NAME, .value = in_, .name_lc = lc, .type = "" }
/* A host name: value, pinned type, region. */
#define HST(in_, v, ty, rg) { .in = in_, .kind = HOST, .value = v, .type = ty, .region = rg, \
			      .account = "" }
/* An ARN: normalised value, type, region, account, resource. */
#define AR(in_, v, ty, rg, acct, res) { .in = in_, .kind = ARN, .value = v, .type = ty, \
					.region = rg, .account = acct, .resource = res }
/* A block, canonical v, note holding n ("" none). */
#define BLK(in_, v, n) { .in = in_, .kind = CIDR, .value = v, .note = n, .type = "", \
			 .region = "" }

#define S_ACCT "123456789012"
#define S_ARN_EC2 "arn:aws:ec2:eu-west-2:" S_ACCT ":"
#define S_ARN_ELB "arn:aws:elasticloadbalancing:eu-west-2:" S_ACCT ":"
#define S_ARN_RDS "arn:aws:rds:eu-west-2:" S_ACCT ":"
#define S_KNOWN "I can search: IDs "
/* 63 characters, the longest DNS label. */
#define S_LONG_LABEL "a123456789b123456789c123456789d123456789e123456789f123456789abc"

static const struct qcase s_cases[] = {
	/* instance IDs: their own kind, no type pinned, strict */
	{ .in = "i-0123456789abcdef0", .kind = QUERY_INSTANCE_ID, .value = "i-0123456789abcdef0",
	  .ip = "", .region = "", .instance_id = "i-0123456789abcdef0", .account = "",
	  .type = "" },
	{ .in = "i-12345678", .kind = QUERY_INSTANCE_ID, .value = "i-12345678", .ip = "",
	  .region = "" },
	{ .in = "I-0123456789ABCDEF0", .kind = QUERY_INSTANCE_ID,
	  .value = "i-0123456789abcdef0" },
	{ .in = "i-DEADBEEF", .kind = QUERY_INSTANCE_ID, .value = "i-deadbeef" },
	BAD("i-", "needs the hex digits"),
	BAD("i-1234567", "7 hex digits"),
	BAD("i-123456789", "9 hex digits"),
	BAD("i-0123456789abcdef", "16 hex digits"),
	BAD("i-0123456789abcdef01", "18 hex digits"),
	BAD("i-0123456789abcdefg", "'g' is not a hex digit"),
	BAD("i-webserver", "not a hex digit"),
	BAD("i-1234567", "it has 7 hex digits, not 8 or 17"),
	/* ENIs */
	{ .in = "eni-0a1b2c3d4e5f60718", .kind = QUERY_ENI_ID, .value = "eni-0a1b2c3d4e5f60718",
	  .ip = "", .region = "", .instance_id = "", .account = "", .type = "" },
	{ .in = "ENI-0A1B2C3D", .kind = QUERY_ENI_ID, .value = "eni-0a1b2c3d" },
	{ .in = "eni-0a1b2c3d", .kind = QUERY_ENI_ID, .value = "eni-0a1b2c3d" },
	{ .in = "Eni-0A1B2C3D4E5F60718", .kind = QUERY_ENI_ID, .value = "eni-0a1b2c3d4e5f60718" },
	BAD("eni-", "network interface ID"),
	BAD("eni-123", "3 hex digits"),
	BAD("eni-0a1b2c3", "7 hex digits"),
	BAD("eni-public", "not a hex digit"),
	/* every other ID prefix, both lengths, both cases */
	ID("sg-0123abcd", "sg-0123abcd", "security-group"),
	ID("sg-0123456789abcdef0", "sg-0123456789abcdef0", "security-group"),
	ID("SG-0123ABCD", "sg-0123abcd", "security-group"),
	ID("Sg-0123456789ABCDEF0", "sg-0123456789abcdef0", "security-group"),
	ID("subnet-0123abcd", "subnet-0123abcd", "subnet"),
	ID("subnet-0123456789abcdef0", "subnet-0123456789abcdef0", "subnet"),
	ID("SUBNET-0123ABCD", "subnet-0123abcd", "subnet"),
	ID("SUBNET-0123456789ABCDEF0", "subnet-0123456789abcdef0", "subnet"),
	ID("vpc-0123abcd", "vpc-0123abcd", "vpc"),
	ID("vpc-0123456789abcdef0", "vpc-0123456789abcdef0", "vpc"),
	ID("VPC-0123ABCD", "vpc-0123abcd", "vpc"),
	ID("VPC-0123456789ABCDEF0", "vpc-0123456789abcdef0", "vpc"),
	ID("vol-0123abcd", "vol-0123abcd", "volume"),
	ID("vol-0123456789abcdef0", "vol-0123456789abcdef0", "volume"),
	ID("VOL-0123ABCD", "vol-0123abcd", "volume"),
	ID("VOL-0123456789ABCDEF0", "vol-0123456789abcdef0", "volume"),
	ID("ami-0123abcd", "ami-0123abcd", "image"),
	ID("ami-0123456789abcdef0", "ami-0123456789abcdef0", "image"),
	ID("AMI-0123ABCD", "ami-0123abcd", "image"),
	ID("AMI-0123456789ABCDEF0", "ami-0123456789abcdef0", "image"),
	ID("snap-0123abcd", "snap-0123abcd", "snapshot"),
	ID("snap-0123456789abcdef0", "snap-0123456789abcdef0", "snapshot"),
	ID("SNAP-0123ABCD", "snap-0123abcd", "snapshot"),
	ID("SNAP-0123456789ABCDEF0", "snap-0123456789abcdef0", "snapshot"),
	ID("nat-0123abcd", "nat-0123abcd", "nat-gateway"),
	ID("nat-0123456789abcdef0", "nat-0123456789abcdef0", "nat-gateway"),
	ID("NAT-0123ABCD", "nat-0123abcd", "nat-gateway"),
	ID("NAT-0123456789ABCDEF0", "nat-0123456789abcdef0", "nat-gateway"),
	ID("igw-0123abcd", "igw-0123abcd", "internet-gateway"),
	ID("igw-0123456789abcdef0", "igw-0123456789abcdef0", "internet-gateway"),
	ID("IGW-0123ABCD", "igw-0123abcd", "internet-gateway"),
	ID("IGW-0123456789ABCDEF0", "igw-0123456789abcdef0", "internet-gateway"),
	ID("vpce-0123abcd", "vpce-0123abcd", "vpc-endpoint"),
	ID("vpce-0123456789abcdef0", "vpce-0123456789abcdef0", "vpc-endpoint"),
	ID("VPCE-0123ABCD", "vpce-0123abcd", "vpc-endpoint"),
	ID("VPCE-0123456789ABCDEF0", "vpce-0123456789abcdef0", "vpc-endpoint"),
	ID("tgw-0123abcd", "tgw-0123abcd", "transit-gateway"),
	ID("tgw-0123456789abcdef0", "tgw-0123456789abcdef0", "transit-gateway"),
	ID("TGW-0123ABCD", "tgw-0123abcd", "transit-gateway"),
	ID("TGW-0123456789ABCDEF0", "tgw-0123456789abcdef0", "transit-gateway"),
	ID("lt-0123abcd", "lt-0123abcd", "launch-template"),
	ID("lt-0123456789abcdef0", "lt-0123456789abcdef0", "launch-template"),
	ID("LT-0123ABCD", "lt-0123abcd", "launch-template"),
	ID("LT-0123456789ABCDEF0", "lt-0123456789abcdef0", "launch-template"),
	ID("sg-deadbeef", "sg-deadbeef", "security-group"),
	ID("vol-12345678", "vol-12345678", "volume"),
	/* near misses: hex of the wrong count is a paste gone wrong */
	BAD("sg-0123abc", "7 hex digits"),
	BAD("subnet-0123abcd9", "9 hex digits"),
	BAD("vpc-0123456789abcdef", "16 hex digits"),
	BAD("vol-0123456789abcdef01", "18 hex digits"),
	BAD("ami-0123456789", "10 hex digits"),
	BAD("snap-0123456789abcdef012", "19 hex digits"),
	BAD("lt-0123abc", "launch template ID"),
	BAD("nat-0123456789ABCDEF", "NAT gateway ID"),
	/* ... and anything else after a prefix is a Name */
	NM("vpc-prod", "vpc-prod"),
	NM("sg-web", "sg-web"),
	NM("sg-db", "sg-db"),
	NM("subnet-private1a", "subnet-private1a"),
	NM("nat-gw-1", "nat-gw-1"),
	NM("vpc-cafe", "vpc-cafe"),
	NM("sg-0123456g", "sg-0123456g"),
	NM("ip-allowlist", "ip-allowlist"),
	/* ID-shaped, no type claims it: never a public "No matches" */
	UNK("xyz-0123abcd", "xyz-0123abcd", "I don't know what xyz-\xe2\x80\xa6 is yet"),
	UNK("xyz-0123abcd", "xyz-0123abcd", S_KNOWN),
	UNK("XYZ-0123456789ABCDEF0", "xyz-0123456789abcdef0", "xyz-\xe2\x80\xa6"),
	UNK("tgw-attach-0123456789abcdef0", "tgw-attach-0123456789abcdef0",
	    "I don't know what tgw-attach-\xe2\x80\xa6 is yet"),
	UNK("rtb-0a1b2c3d", "rtb-0a1b2c3d", "rtb-"),
	UNK("acl-0123456789abcdef0", "acl-0123456789abcdef0", "acl-"),
	UNK("eipalloc-0a1b2c3d", "eipalloc-0a1b2c3d", "eipalloc-"),
	UNK("pcx-1234567a", "pcx-1234567a", "pcx-"),
	UNK("ipam-pool-0123456789abcdef0", "ipam-pool-0123456789abcdef0", "ipam-pool-"),
	UNK("dopt-01234567890123456", "dopt-01234567890123456", "dopt-"),
	/* ... but dates, words and long prefixes are Names */
	NM("backup-20240115", "backup-20240115"),
	NM("web-deadbeef", "web-deadbeef"),
	NM("xyz-0123abc", "xyz-0123abc"),
	NM("a-b-c-d-e-0123abcd", "a-b-c-d-e-0123abcd"),
	NM("web1-0123abcd", "web1-0123abcd"),
	/* ARNs: the instance one keeps its kind */
	{ .in = "arn:aws:ec2:eu-west-2:" S_ACCT ":instance/i-0123456789abcdef0",
	  .kind = QUERY_INSTANCE_ARN,
	  .value = "arn:aws:ec2:eu-west-2:" S_ACCT ":instance/i-0123456789abcdef0", .ip = "",
	  .region = "eu-west-2", .instance_id = "i-0123456789abcdef0", .account = S_ACCT,
	  .type = "" },
	{ .in = "arn:aws-us-gov:ec2:us-gov-west-1:" S_ACCT ":instance/i-0123456789ABCDEF0",
	  .kind = QUERY_INSTANCE_ARN,
	  .value = "arn:aws-us-gov:ec2:us-gov-west-1:" S_ACCT ":instance/i-0123456789abcdef0",
	  .ip = "", .region = "us-gov-west-1", .instance_id = "i-0123456789abcdef0",
	  .account = S_ACCT },
	BAD("arn:aws:ec2:eu-west-2:12345678901:instance/i-0123456789abcdef0", "12 digits"),
	BAD("arn:aws:ec2:eu-west-2:12345678901a:instance/i-0123456789abcdef0", "12 digits"),
	BAD("arn:aws:ec2:eu-west:" S_ACCT ":instance/i-0123456789abcdef0", "not a region"),
	BAD("arn:aws:ec2:eu-west-2:" S_ACCT ":instance/i-123", "3 hex digits"),
	BAD("arn:aws:ec2:eu-west-2", "not an ARN"),
	BAD("arn:", "not an ARN"),
	BAD("arn:foo:ec2:eu-west-2:" S_ACCT ":instance/i-12345678", "partition"),
	BAD("arn:aws-iso:ec2:us-iso-east-1:" S_ACCT ":instance/i-12345678", "partition"),
	BAD("arn:aws::eu-west-2:" S_ACCT ":vpc/vpc-0123abcd", "service"),
	BAD("arn:aws:EC2!:eu-west-2:" S_ACCT ":vpc/vpc-0123abcd", "service"),
	BAD("arn:aws:ec2:eu-west-2:" S_ACCT ":", "no resource"),
	/* every EC2 type by ARN: pinned, id checked and lower-cased */
	AR(S_ARN_EC2 "network-interface/eni-0a1b2c3d4e5f60718",
	   S_ARN_EC2 "network-interface/eni-0a1b2c3d4e5f60718", "network-interface", "eu-west-2",
	   S_ACCT, "eni-0a1b2c3d4e5f60718"),
	AR(S_ARN_EC2 "security-group/sg-0123456789abcdef0",
	   S_ARN_EC2 "security-group/sg-0123456789abcdef0", "security-group", "eu-west-2",
	   S_ACCT, "sg-0123456789abcdef0"),
	AR("ARN:AWS:EC2:EU-WEST-2:" S_ACCT ":security-group/SG-0123ABCD",
	   S_ARN_EC2 "security-group/sg-0123abcd", "security-group", "eu-west-2", S_ACCT,
	   "sg-0123abcd"),
	AR(S_ARN_EC2 "subnet/subnet-0123abcd", S_ARN_EC2 "subnet/subnet-0123abcd", "subnet",
	   "eu-west-2", S_ACCT, "subnet-0123abcd"),
	AR(S_ARN_EC2 "vpc/vpc-0123456789abcdef0", S_ARN_EC2 "vpc/vpc-0123456789abcdef0", "vpc",
	   "eu-west-2", S_ACCT, "vpc-0123456789abcdef0"),
	AR(S_ARN_EC2 "volume/vol-12345678", S_ARN_EC2 "volume/vol-12345678", "volume",
	   "eu-west-2", S_ACCT, "vol-12345678"),
	AR("arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0",
	   "arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0", "image", "us-east-1", "",
	   "ami-0123456789abcdef0"),
	AR("arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0",
	   "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0", "snapshot", "us-east-1", "",
	   "snap-0123456789abcdef0"),
	AR(S_ARN_EC2 "natgateway/nat-0123456789abcdef0",
	   S_ARN_EC2 "natgateway/nat-0123456789abcdef0", "nat-gateway", "eu-west-2", S_ACCT,
	   "nat-0123456789abcdef0"),
	AR(S_ARN_EC2 "internet-gateway/igw-0123abcd", S_ARN_EC2 "internet-gateway/igw-0123abcd",
	   "internet-gateway", "eu-west-2", S_ACCT, "igw-0123abcd"),
	AR(S_ARN_EC2 "vpc-endpoint/vpce-0123456789abcdef0",
	   S_ARN_EC2 "vpc-endpoint/vpce-0123456789abcdef0", "vpc-endpoint", "eu-west-2", S_ACCT,
	   "vpce-0123456789abcdef0"),
	AR(S_ARN_EC2 "transit-gateway/tgw-0123456789abcdef0",
	   S_ARN_EC2 "transit-gateway/tgw-0123456789abcdef0", "transit-gateway", "eu-west-2",
	   S_ACCT, "tgw-0123456789abcdef0"),
	AR(S_ARN_EC2 "launch-template/lt-0123456789abcdef0",
	   S_ARN_EC2 "launch-template/lt-0123456789abcdef0", "launch-template", "eu-west-2",
	   S_ACCT, "lt-0123456789abcdef0"),
	AR("arn:aws-cn:ec2:cn-north-1:" S_ACCT ":security-group/sg-0123abcd",
	   "arn:aws-cn:ec2:cn-north-1:" S_ACCT ":security-group/sg-0123abcd", "security-group",
	   "cn-north-1", S_ACCT, "sg-0123abcd"),
	AR("arn:aws-us-gov:ec2:us-gov-east-1:" S_ACCT ":vpc/vpc-0123abcd",
	   "arn:aws-us-gov:ec2:us-gov-east-1:" S_ACCT ":vpc/vpc-0123abcd", "vpc",
	   "us-gov-east-1", S_ACCT, "vpc-0123abcd"),
	BAD(S_ARN_EC2 "security-group/vpc-0123abcd", "not a security group ID"),
	BAD(S_ARN_EC2 "security-group/sg-123", "3 hex digits"),
	BAD(S_ARN_EC2 "volume/vol-0123abcdz", "not a hex digit"),
	BAD(S_ARN_EC2 "subnet/", "not a subnet ID"),
	/* load balancers: two-part types first, the classic one-part */
	AR(S_ARN_ELB "loadbalancer/app/prod-web/50dc6c495c0c9188",
	   S_ARN_ELB "loadbalancer/app/prod-web/50dc6c495c0c9188", "load-balancer", "eu-west-2",
	   S_ACCT, "app/prod-web/50dc6c495c0c9188"),
	AR(S_ARN_ELB "loadbalancer/net/Prod-NLB/50dc6c495c0c9188",
	   S_ARN_ELB "loadbalancer/net/Prod-NLB/50dc6c495c0c9188", "load-balancer", "eu-west-2",
	   S_ACCT, "net/Prod-NLB/50dc6c495c0c9188"),
	AR(S_ARN_ELB "loadbalancer/gwy/inspect/50dc6c495c0c9188",
	   S_ARN_ELB "loadbalancer/gwy/inspect/50dc6c495c0c9188", "load-balancer", "eu-west-2",
	   S_ACCT, "gwy/inspect/50dc6c495c0c9188"),
	AR(S_ARN_ELB "loadbalancer/my-classic", S_ARN_ELB "loadbalancer/my-classic",
	   "classic-load-balancer", "eu-west-2", S_ACCT, "my-classic"),
	AR(S_ARN_ELB "loadbalancer/app", S_ARN_ELB "loadbalancer/app", "classic-load-balancer",
	   "eu-west-2", S_ACCT, "app"),
	UNK(S_ARN_ELB "targetgroup/web/73e2d6bc24d8a067",
	    S_ARN_ELB "targetgroup/web/73e2d6bc24d8a067",
	    "I can't look up elasticloadbalancing/targetgroup yet; " S_KNOWN),
	/* RDS, Auto Scaling, Lambda: ':' separates the type */
	AR(S_ARN_RDS "db:prod-db", S_ARN_RDS "db:prod-db", "db-instance", "eu-west-2", S_ACCT,
	   "prod-db"),
	AR(S_ARN_RDS "cluster:prod-cluster", S_ARN_RDS "cluster:prod-cluster", "db-cluster",
	   "eu-west-2", S_ACCT, "prod-cluster"),
	UNK(S_ARN_RDS "snapshot:rds:prod-db-2024", S_ARN_RDS "snapshot:rds:prod-db-2024",
	    "I can't look up rds/snapshot yet"),
	AR("arn:aws:autoscaling:eu-west-2:" S_ACCT ":autoScalingGroup:"
	   "11112222-3333-4444-5555-666677778888:autoScalingGroupName/prod-web",
	   "arn:aws:autoscaling:eu-west-2:" S_ACCT ":autoScalingGroup:"
	   "11112222-3333-4444-5555-666677778888:autoScalingGroupName/prod-web",
	   "auto-scaling-group", "eu-west-2", S_ACCT,
	   "11112222-3333-4444-5555-666677778888:autoScalingGroupName/prod-web"),
	AR("arn:aws:lambda:eu-west-2:" S_ACCT ":function:my-fn",
	   "arn:aws:lambda:eu-west-2:" S_ACCT ":function:my-fn", "lambda-function", "eu-west-2",
	   S_ACCT, "my-fn"),
	AR("arn:aws:lambda:eu-west-2:" S_ACCT ":function:my-fn:prod",
	   "arn:aws:lambda:eu-west-2:" S_ACCT ":function:my-fn:prod", "lambda-function",
	   "eu-west-2", S_ACCT, "my-fn:prod"),
	/* services and types we cannot search: ephemeral explanation */
	UNK("arn:aws:s3:::My-Bucket", "arn:aws:s3:::My-Bucket",
	    "I can't look up s3 resources yet; " S_KNOWN),
	UNK("arn:aws:s3:::bucket/logs/2024/01.gz", "arn:aws:s3:::bucket/logs/2024/01.gz",
	    "I can't look up s3/bucket yet"),
	UNK("arn:aws:iam::" S_ACCT ":role/Admin", "arn:aws:iam::" S_ACCT ":role/Admin",
	    "I can't look up iam/role yet"),
	UNK("arn:aws:dynamodb:eu-west-2:" S_ACCT ":table/orders",
	    "arn:aws:dynamodb:eu-west-2:" S_ACCT ":table/orders", "I can't look up dynamodb/table"),
	UNK("arn:aws:sqs:eu-west-2:" S_ACCT ":jobs", "arn:aws:sqs:eu-west-2:" S_ACCT ":jobs",
	    "I can't look up sqs resources yet"),
	UNK("arn:aws:sns:eu-west-2:" S_ACCT ":alerts", NULL, "I can't look up sns resources"),
	UNK("arn:aws:cloudfront::" S_ACCT ":distribution/EDFDVBD6EXAMPLE", NULL,
	    "I can't look up cloudfront/distribution yet"),
	UNK(S_ARN_EC2 "route-table/rtb-0123abcd", NULL, "I can't look up ec2/route-table yet"),
	UNK("ARN:AWS:KMS:EU-WEST-2:" S_ACCT ":key/ABCD", "arn:aws:kms:eu-west-2:" S_ACCT
	    ":key/ABCD", "kms/key"),
	/* CIDR blocks */
	BLK("10.10.0.0/16", "10.10.0.0/16", ""),
	BLK("10.1.2.3/16", "10.1.0.0/16", "Searching 10.1.0.0/16: 10.1.2.3/16 has bits set"),
	BLK("0.0.0.0/0", "0.0.0.0/0", ""),
	BLK("10.0.0.1/32", "10.0.0.1/32", ""),
	BLK("192.168.1.129/25", "192.168.1.128/25", "Searching 192.168.1.128/25"),
	BLK("2a05:d01c:abc::/56", "2a05:d01c:abc::/56", ""),
	BLK("2A05:D01C:0ABC:0000::/56", "2a05:d01c:abc::/56", ""),
	BLK("::/0", "::/0", ""),
	BLK("2001:db8::1/128", "2001:db8::1/128", ""),
	BLK("2001:db8::1/64", "2001:db8::/64", "Searching 2001:db8::/64"),
	BAD("10.0.0.0/33", "prefix length of 0 to 32"),
	BAD("2001:db8::/129", "prefix length of 0 to 128"),
	BAD("10.0.0.0/", "prefix length"),
	BAD("10.0.0.0/08", "prefix length"),
	BAD("10.0.0.0/-8", "prefix length"),
	BAD("10.0.0/16", "four numbers"),
	BAD("010.0.0.0/8", "leading zero"),
	BAD("300.0.0.0/8", "0 to 255"),
	BAD("2001:db8:::/48", "not a valid IPv6 block"),
	NM("team/web", "team/web"),
	/* IPv4 */
	{ .in = "10.4.2.17", .kind = QUERY_IPV4, .value = "10.4.2.17", .ip = "10.4.2.17",
	  .region = "", .instance_id = "", .account = "", .type = "" },
	{ .in = "0.0.0.0", .kind = QUERY_IPV4, .value = "0.0.0.0", .ip = "0.0.0.0" },
	{ .in = "255.255.255.255", .kind = QUERY_IPV4, .value = "255.255.255.255" },
	BAD("010.0.0.1", "leading zero"),
	BAD("10.0.0.01", "write 10.0.0.1"),
	BAD("300.1.1.1", "0 to 255"),
	BAD("1.2.3.1000", "0 to 255"),
	BAD("1.2.3", "four numbers"),
	BAD("1.2.3.4.5", "four numbers"),
	BAD("1..2.3", "four numbers"),
	BAD("1.2.3.4.", "four numbers"),
	/* IPv6 */
	{ .in = "2001:db8::1", .kind = QUERY_IPV6, .value = "2001:db8::1", .ip = "2001:db8::1",
	  .region = "", .instance_id = "", .account = "" },
	{ .in = "2001:DB8:0:0:0:0:0:1", .kind = QUERY_IPV6, .value = "2001:db8::1",
	  .ip = "2001:db8::1" },
	{ .in = "2001:0db8:0000:0000:0001:0000:0000:0001", .kind = QUERY_IPV6,
	  .value = "2001:db8::1:0:0:1" },
	{ .in = "::ffff:10.0.0.1", .kind = QUERY_IPV6, .value = "::ffff:10.0.0.1",
	  .ip = "::ffff:10.0.0.1" },
	{ .in = "::FFFF:10.0.0.1", .kind = QUERY_IPV6, .value = "::ffff:10.0.0.1" },
	{ .in = "::1", .kind = QUERY_IPV6, .value = "::1" },
	BAD("2001:db8::1::2", "not a valid IPv6"),
	BAD("2001:db8:::1", "not a valid IPv6"),
	/* EC2 DNS names: decoded before any other host rule */
	{ .in = "ip-10-1-2-3.ec2.internal", .kind = QUERY_PRIVATE_DNS,
	  .value = "ip-10-1-2-3.ec2.internal", .ip = "10.1.2.3", .region = "us-east-1",
	  .instance_id = "", .account = "", .type = "" },
	{ .in = "ip-10-1-2-3.eu-west-2.compute.internal", .kind = QUERY_PRIVATE_DNS,
	  .value = "ip-10-1-2-3.eu-west-2.compute.internal", .ip = "10.1.2.3",
	  .region = "eu-west-2", .instance_id = "", .account = "" },
	{ .in = "IP-10-1-2-3.EU-WEST-2.COMPUTE.INTERNAL.", .kind = QUERY_PRIVATE_DNS,
	  .value = "ip-10-1-2-3.eu-west-2.compute.internal", .ip = "10.1.2.3",
	  .region = "eu-west-2" },
	{ .in = "ip-10-1-2-3.ec2.internal.", .kind = QUERY_PRIVATE_DNS,
	  .value = "ip-10-1-2-3.ec2.internal", .ip = "10.1.2.3", .region = "us-east-1" },
	{ .in = "ec2-3-8-1-2.compute-1.amazonaws.com", .kind = QUERY_PUBLIC_DNS,
	  .value = "ec2-3-8-1-2.compute-1.amazonaws.com", .ip = "3.8.1.2",
	  .region = "us-east-1", .instance_id = "", .account = "" },
	{ .in = "ec2-3-8-1-2.eu-west-2.compute.amazonaws.com", .kind = QUERY_PUBLIC_DNS,
	  .value = "ec2-3-8-1-2.eu-west-2.compute.amazonaws.com", .ip = "3.8.1.2",
	  .region = "eu-west-2", .instance_id = "", .account = "" },
	{ .in = "EC2-3-8-1-2.Compute-1.AmazonAWS.com", .kind = QUERY_PUBLIC_DNS,
	  .value = "ec2-3-8-1-2.compute-1.amazonaws.com", .ip = "3.8.1.2",
	  .region = "us-east-1" },
	{ .in = "ec2-52-80-1-2.cn-north-1.compute.amazonaws.com.cn", .kind = QUERY_PUBLIC_DNS,
	  .value = "ec2-52-80-1-2.cn-north-1.compute.amazonaws.com.cn", .ip = "52.80.1.2",
	  .region = "cn-north-1" },
	{ .in = "i-0123456789abcdef0.eu-west-2.compute.internal", .kind = QUERY_PRIVATE_DNS,
	  .value = "i-0123456789abcdef0.eu-west-2.compute.internal", .ip = "",
	  .region = "eu-west-2", .instance_id = "i-0123456789abcdef0" },
	{ .in = "ip-10-1-2-3", .kind = QUERY_PRIVATE_DNS, .value = "ip-10-1-2-3",
	  .ip = "10.1.2.3", .region = "" },
	BAD("ip-10-1-2-300.ec2.internal", "0 to 255"),
	BAD("ip-10-1-2.ec2.internal", "four numbers"),
	BAD("ip-10-1-2-3.compute.internal", "HOST.REGION"),
	BAD("ip-10-1-2-3.mars-1.compute.internal", "HOST.REGION"),
	BAD("host-10-1-2-3.ec2.internal", "ip-A-B-C-D"),
	BAD("ip-10-1-2-3.eu-west-2.compute.amazonaws.com", "ec2-A-B-C-D"),
	BAD("a.b.ec2.internal", "one label"),
	/* load balancer DNS names: pinned, region from the name */
	HST("my-alb-1234567890.eu-west-2.elb.amazonaws.com",
	    "my-alb-1234567890.eu-west-2.elb.amazonaws.com", "load-balancer", "eu-west-2"),
	HST("internal-my-alb-1234567890.eu-west-2.elb.amazonaws.com",
	    "internal-my-alb-1234567890.eu-west-2.elb.amazonaws.com", "load-balancer",
	    "eu-west-2"),
	HST("dualstack.my-alb-1234567890.us-east-1.elb.amazonaws.com.",
	    "dualstack.my-alb-1234567890.us-east-1.elb.amazonaws.com", "load-balancer",
	    "us-east-1"),
	HST("my-classic-1234567890.us-east-1.elb.amazonaws.com",
	    "my-classic-1234567890.us-east-1.elb.amazonaws.com", "load-balancer", "us-east-1"),
	HST("my-nlb-0123456789abcdef.elb.eu-west-2.amazonaws.com",
	    "my-nlb-0123456789abcdef.elb.eu-west-2.amazonaws.com", "load-balancer", "eu-west-2"),
	HST("MY-ALB-1234567890.EU-WEST-2.ELB.AMAZONAWS.COM.",
	    "my-alb-1234567890.eu-west-2.elb.amazonaws.com", "load-balancer", "eu-west-2"),
	HST("my-alb-1234567890.cn-north-1.elb.amazonaws.com.cn",
	    "my-alb-1234567890.cn-north-1.elb.amazonaws.com.cn", "load-balancer", "cn-north-1"),
	BAD("my-alb-1234567890.elb.amazonaws.com", "is not a region name"),
	BAD("my-alb.prod.elb.amazonaws.com", "'prod' where the region goes"),
	BAD("my-nlb-0123.elb.prod.amazonaws.com", "'prod' where the region goes"),
	BAD("eu-west-2.elb.amazonaws.com", "needs a name before the region"),
	/* RDS endpoints: instance, cluster writer and reader */
	HST("prod-db.c9akciq32.eu-west-2.rds.amazonaws.com",
	    "prod-db.c9akciq32.eu-west-2.rds.amazonaws.com", "db-instance", "eu-west-2"),
	HST("prod.cluster-c9akciq32.eu-west-2.rds.amazonaws.com",
	    "prod.cluster-c9akciq32.eu-west-2.rds.amazonaws.com", "db-instance", "eu-west-2"),
	HST("prod.cluster-ro-c9akciq32.eu-west-2.rds.amazonaws.com",
	    "prod.cluster-ro-c9akciq32.eu-west-2.rds.amazonaws.com", "db-instance", "eu-west-2"),
	HST("Prod-DB.C9AKCIQ32.US-EAST-1.RDS.AMAZONAWS.COM",
	    "prod-db.c9akciq32.us-east-1.rds.amazonaws.com", "db-instance", "us-east-1"),
	BAD("prod-db.c9akciq32.rds.amazonaws.com", "'c9akciq32' where the region goes"),
	/* VPC endpoint names */
	HST("vpce-0123456789abcdef0-abcdefgh.s3.eu-west-2.vpce.amazonaws.com",
	    "vpce-0123456789abcdef0-abcdefgh.s3.eu-west-2.vpce.amazonaws.com", "vpc-endpoint",
	    "eu-west-2"),
	/* other host names: Route 53, no type, no region */
	HST("www.example.com", "www.example.com", "", ""),
	HST("Www.Example.COM", "www.example.com", "", ""),
	HST("api.example.com.", "api.example.com", "", ""),
	HST("web.prod", "web.prod", "", ""),
	HST("_dmarc.example.com", "_dmarc.example.com", "", ""),
	HST("_sip._tcp.example.com", "_sip._tcp.example.com", "", ""),
	HST("xn--caf-dma.example.com", "xn--caf-dma.example.com", "", ""),
	HST("shop.xn--p1ai", "shop.xn--p1ai", "", ""),
	HST("10.0.0.1.nip.io", "10.0.0.1.nip.io", "", ""),
	HST("elb.amazonaws.com", "elb.amazonaws.com", "", ""),
	HST("a.b", "a.b", "", ""),
	HST(S_LONG_LABEL ".example.com", NULL, "", ""),
	BAD("a..example.com", "empty part"),
	BAD(".example.com", "empty part"),
	BAD("-web.example.com", "starts or ends with '-'"),
	BAD("web-.example.com", "starts or ends with '-'"),
	BAD(S_LONG_LABEL "e.example.com", "longer than 63"),
	/* dotted terms that are not host names stay Names */
	NM("v1.2", "v1.2"),
	NM("release-2.0", "release-2.0"),
	NM("node.v2", "node.v2"),
	NM("caf\xc3\xa9.example.com", "caf\xc3\xa9.example.com"),
	NM("web.", "web."),
	/* Names: kept as typed, matched in lower case */
	NM("web", "web"),
	NM("ab", "ab"),
	NM("Prod-Web", "prod-web"),
	NM("WEB_01", "web_01"),
	NM("12345", "12345"),
	NM("help", "help"),
	NM("a\\b", "a\\b"),
	NM("caf\xc3\xa9", "caf\xc3\xa9"),
	NM("CAF\xc3\x89", "caf\xc3\x89"),
	NM("\xc3\xa9\xc3\xa9", "\xc3\xa9\xc3\xa9"),
	NM("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac"),
	BAD("a", "too short"),
	BAD("\xc3\xa9", "too short"),
	BAD("web*", "wildcards"),
	BAD("we?b", "wildcards"),
	BAD("bad\xff", "UTF-8"),
	BAD("tab\there", "control"),
	BAD("", "empty"),
};
#undef M
#undef U
#undef RID
#undef ARN
#undef HOST
#undef CIDR
#undef NAME

/* Rows that failed: every one is printed before the test fails, so one
 * run shows them all. */
static size_t s_failed;

__attribute__((format(printf, 1, 2)))
static void s_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	s_failed++;
}

static void s_check_field(const char *in, const char *what, const char *want,
			  const char *got)
{
	if (want != NULL && strcmp(want, got) != 0)
		s_fail("'%s': %s is '%s', want '%s'", in, what, got, want);
}

static void s_check_case(const struct qcase *c)
{
	struct query_term t;
	enum query_kind k = query_classify(c->in, &t);

	if (k != c->kind || t.kind != c->kind) {
		s_fail("'%s': kind %s, want %s (reason: %s)", c->in, query_kind_name(k),
		       query_kind_name(c->kind), t.reason);
		return;
	}
	if (c->reason != NULL && strstr(t.reason, c->reason) == NULL)
		s_fail("'%s': reason '%s' lacks '%s'", c->in, t.reason, c->reason);
	if (c->kind == QUERY_MALFORMED)
		return;
	if (c->kind != QUERY_UNKNOWN)
		s_check_field(c->in, "reason", "", t.reason);
	s_check_field(c->in, "value", c->value, t.value);
	s_check_field(c->in, "ip", c->ip, t.ip);
	s_check_field(c->in, "region", c->region, t.region);
	s_check_field(c->in, "instance_id", c->instance_id, t.instance_id);
	s_check_field(c->in, "account_id", c->account, t.account_id);
	s_check_field(c->in, "type", c->type, t.type != NULL ? t.type->name : "");
	s_check_field(c->in, "resource", c->resource, t.resource);
	s_check_field(c->in, "name_lc", c->name_lc, t.name_lc);
	if (c->note != NULL && c->note[0] == '\0')
		s_check_field(c->in, "note", "", t.note);
	else if (c->note != NULL && strstr(t.note, c->note) == NULL)
		s_fail("'%s': note '%s' lacks '%s'", c->in, t.note, c->note);
}

/* The table above, one loop (STYLE.md habit 9). */
static void test_classify_table(void **state)
{
	(void)state;
	assert_true(sizeof(s_cases) / sizeof(s_cases[0]) >= 150);
	s_failed = 0;
	for (size_t i = 0; i < sizeof(s_cases) / sizeof(s_cases[0]); i++)
		s_check_case(&s_cases[i]);
	if (s_failed > 0)
		fail_msg("%zu of %zu classifications wrong", s_failed,
			 sizeof(s_cases) / sizeof(s_cases[0]));
}

static void test_classify_null_and_long(void **state)
{
	struct query_term t;
	char longterm[QUERY_MAX_TERM_LEN + 2];

	(void)state;
	assert_int_equal(query_classify(NULL, &t), QUERY_MALFORMED);
	memset(longterm, 'a', sizeof(longterm) - 1);
	longterm[sizeof(longterm) - 1] = '\0';
	assert_int_equal(query_classify(longterm, &t), QUERY_MALFORMED);
	assert_non_null(strstr(t.reason, "too long"));
	longterm[QUERY_MAX_TERM_LEN] = '\0';  /* exactly at the limit */
	assert_int_equal(query_classify(longterm, &t), QUERY_NAME);
}

/* Host names at DNS's limits: 253 bytes pass, 254 do not; a final dot
 * does not count. */
static void test_host_length_limits(void **state)
{
	char host[QUERY_MAX_TERM_LEN + 1];
	struct query_term t;
	size_t n = 0;

	(void)state;
	/* 3 labels of 63 and one of 61: 63*3 + 61 + 3 dots = 253 */
	for (int i = 0; i < 3; i++) {
		memset(host + n, 'a' + i, 63);
		n += 63;
		host[n++] = '.';
	}
	memset(host + n, 'x', 61);
	n += 61;
	host[n] = '\0';
	assert_int_equal(strlen(host), 253);
	assert_int_equal(query_classify(host, &t), QUERY_HOST);
	assert_string_equal(t.value, host);
	host[n++] = '.';
	host[n] = '\0';
	assert_int_equal(query_classify(host, &t), QUERY_HOST);
	assert_int_equal(strlen(t.value), 253);
	host[n - 1] = 'y';
	assert_int_equal(query_classify(host, &t), QUERY_MALFORMED);
	assert_non_null(strstr(t.reason, "longer than a host name can be"));
}

/* Names keep what was typed and carry the lower case the modules match. */
static void test_name_keeps_case(void **state)
{
	struct query_term t;

	(void)state;
	assert_int_equal(query_classify("Web-01", &t), QUERY_NAME);
	assert_string_equal(t.value, "Web-01");
	assert_string_equal(t.name_lc, "web-01");
	assert_null(t.type);
	assert_int_equal(query_classify("a\\b", &t), QUERY_NAME);
	assert_string_equal(t.value, "a\\b");
	assert_string_equal(t.name_lc, "a\\b");
}

/* An unknown ID or ARN says what can be searched, listed from the
 * registry, and fits the reason. */
static void test_unknown_lists_known(void **state)
{
	struct query_term t;

	(void)state;
	assert_int_equal(query_classify("xyz-0123abcd", &t), QUERY_UNKNOWN);
	assert_non_null(strstr(t.reason, "sg-"));
	assert_non_null(strstr(t.reason, "vpc-"));
	assert_non_null(strstr(t.reason, "ARNs of ec2"));
	assert_non_null(strstr(t.reason, "elasticloadbalancing"));
	assert_non_null(strstr(t.reason, "CIDR blocks"));
	assert_true(strlen(t.reason) < QUERY_REASON_MAX);
	assert_int_equal(query_classify("arn:aws:dynamodb:eu-west-2:123456789012:table/t", &t),
			 QUERY_UNKNOWN);
	assert_string_equal(t.service, "dynamodb");
	assert_string_equal(t.partition, "aws");
	assert_string_equal(t.region, "eu-west-2");
	assert_string_equal(t.account_id, "123456789012");
	assert_null(t.type);
}

/* The kind and pinned type a term of type t should get: the first
 * version's two types keep their kinds and pin nothing. */
static void s_expect_type(const char *in, const struct rt_type *t, enum query_kind kind,
			  enum query_kind compat)
{
	struct query_term q;
	int old = strcmp(t->name, "instance") == 0 || strcmp(t->name, "network-interface") == 0;
	enum query_kind want = old ? compat : kind;

	if (query_classify(in, &q) != want)
		s_fail("'%s' (%s): kind %s, want %s (%s)", in, t->name, query_kind_name(q.kind),
		       query_kind_name(want), q.reason);
	else if (!old && q.type != t)
		s_fail("'%s': type %s, want %s", in, q.type ? q.type->name : "none", t->name);
}

/* Whatever the registry holds is classified: every ID prefix, ARN type
 * and DNS suffix of every type, so a new module is covered without a new
 * row (and two types claiming one shape show up here). */
static void test_registry_claims_classified(void **state)
{
	char in[QUERY_MAX_TERM_LEN + 1], host[QUERY_MAX_TERM_LEN + 1];

	(void)state;
	s_failed = 0;
	for (size_t i = 0; rt_types[i] != NULL; i++) {
		const struct rt_type *t = rt_types[i];

		for (size_t k = 0; t->id_prefixes != NULL && t->id_prefixes[k] != NULL; k++) {
			snprintf(in, sizeof(in), "%s0123abcd", t->id_prefixes[k]);
			s_expect_type(in, t, QUERY_RESOURCE_ID,
				      strcmp(t->name, "instance") == 0 ? QUERY_INSTANCE_ID
								       : QUERY_ENI_ID);
		}
		for (size_t k = 0; t->arn_types != NULL && t->arn_types[k] != NULL; k++) {
			const char *id = t->id_prefixes != NULL ? t->id_prefixes[0] : "";

			snprintf(in, sizeof(in), "arn:aws:%s:eu-west-2:123456789012:%s/%s%s",
				 t->arn_service, t->arn_types[k], id, *id ? "0123abcd" : "x/y");
			s_expect_type(in, t, QUERY_ARN,
				      strcmp(t->name, "instance") == 0 ? QUERY_INSTANCE_ARN
								       : QUERY_ARN);
		}
		for (size_t k = 0; t->dns_suffixes != NULL && t->dns_suffixes[k] != NULL; k++) {
			const char *star = strstr(t->dns_suffixes[k], ".*.");
			struct query_term q;

			if (star != NULL)
				snprintf(host, sizeof(host), "web%.*s.eu-west-2.%s",
					 (int)(star - t->dns_suffixes[k]), t->dns_suffixes[k],
					 star + SI_LITLEN(".*."));
			else
				snprintf(host, sizeof(host), "web.eu-west-2%s", t->dns_suffixes[k]);
			s_expect_type(host, t, QUERY_HOST, QUERY_HOST);
			if (query_classify(host, &q) == QUERY_HOST &&
			    strcmp(q.region, "eu-west-2") != 0)
				s_fail("'%s': region '%s'", host, q.region);
		}
	}
	if (s_failed > 0)
		fail_msg("%zu registry claims classified wrongly", s_failed);
}

/* The ARN's fields, whatever kind it becomes. */
static void test_arn_fields(void **state)
{
	struct query_term t;

	(void)state;
	assert_int_equal(query_classify("arn:aws-cn:rds:cn-north-1:123456789012:db:Prod", &t),
			 QUERY_ARN);
	assert_string_equal(t.partition, "aws-cn");
	assert_string_equal(t.service, "rds");
	assert_string_equal(t.region, "cn-north-1");
	assert_string_equal(t.account_id, "123456789012");
	assert_string_equal(t.resource, "Prod");
	assert_string_equal(t.type->name, "db-instance");
	/* A global service's ARN has no region: every region is searched. */
	assert_int_equal(query_classify("arn:aws:ec2::123456789012:vpc/vpc-0123abcd", &t),
			 QUERY_ARN);
	assert_string_equal(t.region, "");
}

static void test_malformed_reason_quotes_input(void **state)
{
	struct query_term t;

	(void)state;
	query_classify("300.1.1.1", &t);
	assert_non_null(strstr(t.reason, "'300.1.1.1'"));
	query_classify("010.0.0.1", &t);
	assert_non_null(strstr(t.reason, "10.0.0.1 if"));
}

static void test_region_shapes(void **state)
{
	(void)state;
	assert_true(aws_region_valid("eu-west-2"));
	assert_true(aws_region_valid("us-east-1"));
	assert_true(aws_region_valid("ap-southeast-4"));
	assert_true(aws_region_valid("us-gov-west-1"));
	assert_true(aws_region_valid("us-isob-east-1"));
	assert_true(aws_region_valid("cn-north-1"));
	assert_false(aws_region_valid("eu-west"));
	assert_false(aws_region_valid("eu-west-123"));
	assert_false(aws_region_valid("EU-WEST-2"));
	assert_false(aws_region_valid("e-west-2"));
	assert_false(aws_region_valid("eu--2"));
	assert_false(aws_region_valid("eu-1-2"));
	assert_false(aws_region_valid("-west-2"));
	assert_false(aws_region_valid("eu-west-2-"));
	assert_false(aws_region_valid(""));
	assert_false(aws_region_valid(NULL));
}

/* ---- whole-text parsing ---- */

static void s_parse_ok(const char *text, struct query *q)
{
	struct si_err err;

	si_err_clear(&err);
	if (query_parse(text, q, &err) != 0)
		fail_msg("parse of '%s' failed: %s", text ? text : "(null)", err.msg);
}

static void s_parse_fail(const char *text, enum si_err_code code, const char *needle)
{
	struct query q;
	struct si_err err;

	si_err_clear(&err);
	if (query_parse(text, &q, &err) != -1)
		fail_msg("parse of '%s' unexpectedly succeeded", text);
	assert_int_equal(err.code, code);
	assert_int_equal(q.kind, QUERY_MALFORMED);
	assert_int_equal(q.n_terms, 0);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void test_parse_help(void **state)
{
	struct query q;

	(void)state;
	s_parse_ok("", &q);
	assert_int_equal(q.kind, QUERY_HELP);
	s_parse_ok(NULL, &q);
	assert_int_equal(q.kind, QUERY_HELP);
	s_parse_ok("  \t ", &q);
	assert_int_equal(q.kind, QUERY_HELP);
	s_parse_ok("help", &q);
	assert_int_equal(q.kind, QUERY_HELP);
	s_parse_ok(" HELP ", &q);
	assert_int_equal(q.kind, QUERY_HELP);
	assert_int_equal(q.n_terms, 0);
	/* Not the whole text: a Name. */
	s_parse_ok("help desk", &q);
	assert_int_equal(q.kind, QUERY_NAME);
	assert_int_equal(q.n_terms, 2);
	assert_string_equal(q.terms[0].value, "help");
	assert_string_equal(q.terms[1].value, "desk");
}

static void test_parse_terms_and_modifiers(void **state)
{
	struct query q;

	(void)state;
	s_parse_ok("  web  api\xc2\xa0i-12345678 account:Production region:EU-WEST-2 "
		   "account:staging", &q);
	assert_int_equal(q.kind, QUERY_NAME);
	assert_int_equal(q.n_terms, 3);
	assert_string_equal(q.terms[0].value, "web");
	assert_string_equal(q.terms[1].value, "api");
	assert_int_equal(q.terms[2].kind, QUERY_INSTANCE_ID);
	assert_int_equal(q.n_accounts, 2);
	assert_string_equal(q.accounts[0], "production");
	assert_string_equal(q.accounts[1], "staging");
	assert_int_equal(q.n_regions, 1);
	assert_string_equal(q.regions[0], "eu-west-2");
}

static void test_parse_dedupes(void **state)
{
	struct query q;

	(void)state;
	s_parse_ok("I-12345678 i-12345678 region:us-east-1 region:US-EAST-1", &q);
	assert_int_equal(q.n_terms, 1);
	assert_int_equal(q.n_regions, 1);
	assert_int_equal(q.kind, QUERY_INSTANCE_ID);
}

static void test_parse_malformed_term(void **state)
{
	(void)state;
	s_parse_fail("web 300.1.1.1", SI_ERR_INVALID, "0 to 255");
	s_parse_fail("i-", SI_ERR_INVALID, "hex digits");
	s_parse_fail("x", SI_ERR_INVALID, "too short");
}

/* An unknown ID or ARN stops the whole search like a malformed term, but
 * the caller can tell the two apart. */
static void test_parse_unknown_term(void **state)
{
	struct query q;
	struct si_err err;

	(void)state;
	si_err_clear(&err);
	assert_int_equal(query_parse("web xyz-0123abcd", &q, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_int_equal(q.kind, QUERY_UNKNOWN);
	assert_int_equal(q.n_terms, 0);
	assert_non_null(strstr(err.msg, "I don't know what xyz-"));
	assert_int_equal(query_parse("arn:aws:s3:::bucket sg-0123abcd", &q, &err), -1);
	assert_int_equal(q.kind, QUERY_UNKNOWN);
	assert_non_null(strstr(err.msg, "I can't look up s3"));
	/* A malformed term before it: malformed. */
	assert_int_equal(query_parse("300.1.1.1 xyz-0123abcd", &q, &err), -1);
	assert_int_equal(q.kind, QUERY_MALFORMED);
}

/* The new kinds parse, dedupe on the normalised value, and the first
 * term's kind is the query's. */
static void test_parse_new_kinds(void **state)
{
	struct query q;

	(void)state;
	s_parse_ok("SG-0123ABCD sg-0123abcd 10.1.2.3/16 WWW.example.com. www.example.com "
		   "region:eu-west-2", &q);
	assert_int_equal(q.kind, QUERY_RESOURCE_ID);
	assert_int_equal(q.n_terms, 3);
	assert_string_equal(q.terms[0].value, "sg-0123abcd");
	assert_int_equal(q.terms[1].kind, QUERY_CIDR);
	assert_string_equal(q.terms[1].value, "10.1.0.0/16");
	assert_non_null(strstr(q.terms[1].note, "10.1.0.0/16"));
	assert_int_equal(q.terms[2].kind, QUERY_HOST);
	assert_string_equal(q.terms[2].value, "www.example.com");
}

static void test_parse_bad_modifiers(void **state)
{
	(void)state;
	s_parse_fail("web account:", SI_ERR_INVALID, "account alias");
	s_parse_fail("web account:a/b", SI_ERR_INVALID, "account alias");
	s_parse_fail("web region:mars", SI_ERR_INVALID, "region name");
	s_parse_fail("web region:", SI_ERR_INVALID, "region name");
	s_parse_fail("account:prod region:eu-west-2", SI_ERR_INVALID,
		     "Add something to search for");
}

static void test_parse_limits(void **state)
{
	char text[QUERY_MAX_TEXT_LEN + 2];
	struct query q;
	size_t i;

	(void)state;
	/* 10 terms pass, 11 do not. */
	s_parse_ok("a1 a2 a3 a4 a5 a6 a7 a8 a9 a10", &q);
	assert_int_equal(q.n_terms, QUERY_MAX_TERMS);
	s_parse_fail("a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11", SI_ERR_LIMIT,
		     "Too many search terms");
	/* Text over the byte limit. */
	memset(text, ' ', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	text[0] = 'w';
	text[1] = 'e';
	s_parse_fail(text, SI_ERR_LIMIT, "too long");
	/* At the limit it is fine. */
	text[QUERY_MAX_TEXT_LEN] = '\0';
	s_parse_ok(text, &q);
	assert_int_equal(q.n_terms, 1);
	/* A single term longer than QUERY_MAX_TERM_LEN. */
	memset(text, 'b', QUERY_MAX_TERM_LEN + 1);
	text[QUERY_MAX_TERM_LEN + 1] = '\0';
	s_parse_fail(text, SI_ERR_LIMIT, "too long");
	/* Modifiers beyond QUERY_MAX_MODIFIERS. */
	s_parse_fail("web account:a1 account:a2 account:a3 account:a4 account:a5 "
		     "account:a6 account:a7 account:a8 account:a9", SI_ERR_LIMIT,
		     "Too many");
	for (i = 0; i < 3; i++)
		s_parse_ok("web account:a1 account:a1 account:a1", &q);
	assert_int_equal(q.n_accounts, 1);
}

static void test_parse_bad_bytes(void **state)
{
	(void)state;
	s_parse_fail("web \xff", SI_ERR_INVALID, "UTF-8");
	s_parse_fail("web \xc3", SI_ERR_INVALID, "UTF-8");
	s_parse_fail("web \x01", SI_ERR_INVALID, "control");
	s_parse_fail("web*", SI_ERR_INVALID, "wildcards");
}

static void test_check_accounts(void **state)
{
	static const char *const known[] = { "production", "staging" };
	struct query q;
	struct si_err err;

	(void)state;
	s_parse_ok("web account:staging", &q);
	assert_int_equal(query_check_accounts(&q, known, 2, &err), 0);
	s_parse_ok("web", &q);
	assert_int_equal(query_check_accounts(&q, known, 2, &err), 0);
	s_parse_ok("web account:staging account:dev", &q);
	si_err_clear(&err);
	assert_int_equal(query_check_accounts(&q, known, 2, &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "'dev'"));
	assert_non_null(strstr(err.msg, "production, staging"));
	assert_int_equal(query_check_accounts(&q, NULL, 0, &err), -1);
	assert_non_null(strstr(err.msg, "(none)"));
}

static void test_check_regions(void **state)
{
	static const char *const known[] = { "eu-west-2", "us-east-1" };
	struct query q;
	struct si_err err;

	(void)state;
	s_parse_ok("web region:us-east-1", &q);
	assert_int_equal(query_check_regions(&q, known, 2, &err), 0);
	s_parse_ok("web region:eu-west-1", &q);
	assert_int_equal(query_check_regions(&q, known, 2, &err), -1);
	assert_non_null(strstr(err.msg, "eu-west-1"));
	assert_non_null(strstr(err.msg, "eu-west-2, us-east-1"));
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(query_kind_name(QUERY_INSTANCE_ID), "instance-id");
	assert_string_equal(query_kind_name(QUERY_IPV6), "ipv6");
	assert_string_equal(query_kind_name(QUERY_PUBLIC_DNS), "public-dns");
	assert_string_equal(query_kind_name(QUERY_HELP), "help");
	assert_string_equal(query_kind_name(QUERY_RESOURCE_ID), "resource-id");
	assert_string_equal(query_kind_name(QUERY_ARN), "arn");
	assert_string_equal(query_kind_name(QUERY_CIDR), "cidr");
	assert_string_equal(query_kind_name(QUERY_HOST), "host");
	assert_string_equal(query_kind_name(QUERY_UNKNOWN), "unsupported");
	assert_string_equal(query_kind_name((enum query_kind)99), "unknown");
}

/* ---- at: ---- */

/* The request time of the at: cases: 2026-12-01 13:00:00Z. */
#define T_ASKED ((time_t)1796130000)

/* One at: case: the text, and the moment it names (0: refused, with
 * needle in the message). */
struct at_case {
	const char *text;
	time_t at;
	const char *needle;
};

static const struct at_case s_at_cases[] = {
	/* the forms: a moment in UTC, and times ago */
	{ "10.1.2.3 at:2026-11-30T03:00Z", 1796007600, NULL },
	{ "10.1.2.3 at:-6h", T_ASKED - 6 * 3600, NULL },
	{ "10.1.2.3 at:-30m", T_ASKED - 30 * 60, NULL },
	{ "10.1.2.3 at:-2d", T_ASKED - 2 * 86400, NULL },
	{ "10.1.2.3 at:-1w", T_ASKED - 7 * 86400, NULL },
	{ "10.1.2.3 at:-90s", T_ASKED - 90, NULL },
	{ "10.1.2.3 AT:-6H", T_ASKED - 6 * 3600, NULL },
	{ "at:-0m prod-web", T_ASKED, NULL },
	/* seconds, fractions, zones and the short forms */
	{ "10.1.2.3 at:2026-11-30T03:00:00Z", 1796007600, NULL },
	{ "10.1.2.3 at:2026-11-30T03:00:00.250Z", 1796007600, NULL },
	{ "10.1.2.3 at:2026-11-30T03:00", 1796007600, NULL },
	{ "10.1.2.3 at:2026-11-30t03:00z", 1796007600, NULL },
	{ "10.1.2.3 at:2026-11-30T04:00+01:00", 1796007600, NULL },
	{ "10.1.2.3 at:2026-11-29T22:00:00-05:00", 1796007600, NULL },
	{ "10.1.2.3 at:2026-11-30", 1795996800, NULL },
	{ "10.1.2.3 at:2026-12-01T13:00:00Z", T_ASKED, NULL },
	/* refused: the future, nonsense, two of them, no term */
	{ "10.1.2.3 at:2026-12-01T13:00:01Z", 0, "in the future" },
	{ "10.1.2.3 at:2027-01-01", 0, "in the future" },
	{ "10.1.2.3 at:+6h", 0, "not a time I understand" },
	{ "10.1.2.3 at:6h", 0, "not a time I understand" },
	{ "10.1.2.3 at:-6y", 0, "not a time ago" },
	{ "10.1.2.3 at:-h", 0, "not a time ago" },
	{ "10.1.2.3 at:--6h", 0, "not a time ago" },
	{ "10.1.2.3 at:-1234567m", 0, "not a time ago" },
	{ "10.1.2.3 at:-3651d", 0, "not a time ago" },
	{ "10.1.2.3 at:-600w", 0, "not a time ago" },
	{ "10.1.2.3 at:", 0, "not a time I understand" },
	{ "10.1.2.3 at:yesterday", 0, "not a time I understand" },
	{ "10.1.2.3 at:2026-02-30T03:00Z", 0, "not a time I understand" },
	{ "10.1.2.3 at:2026-11-30T25:00Z", 0, "not a time I understand" },
	{ "10.1.2.3 at:2026-11-30T03", 0, "not a time I understand" },
	{ "10.1.2.3 at:1969-12-31", 0, "not a time I understand" },
	{ "10.1.2.3 at:-6h at:-2h", 0, "Only one at:" },
	{ "at:-6h", 0, "besides account:, region: and at:" },
};

/* Every case parsed at T_ASKED: the moment, or the refusal and why. */
static void test_parse_at(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_at_cases) / sizeof(s_at_cases[0]); i++) {
		const struct at_case *c = &s_at_cases[i];
		struct query q;
		struct si_err err;
		int rc;

		si_err_clear(&err);
		rc = query_parse_at(c->text, T_ASKED, &q, &err);
		if (c->needle == NULL) {
			if (rc != 0)
				fail_msg("'%s': %s", c->text, err.msg);
			if (!q.has_at || q.at != c->at)
				fail_msg("'%s': at %lld, want %lld", c->text, (long long)q.at,
					 (long long)c->at);
			assert_int_equal(q.n_terms, 1);
			continue;
		}
		if (rc != -1)
			fail_msg("'%s' unexpectedly parsed", c->text);
		assert_int_equal(err.code, SI_ERR_INVALID);
		assert_int_equal(q.kind, QUERY_MALFORMED);
		assert_false(q.has_at);
		if (strstr(err.msg, c->needle) == NULL)
			fail_msg("'%s': message '%s' lacks '%s'", c->text, err.msg, c->needle);
	}
}

/* Without at: nothing is set; query_parse (no request time) refuses at:
 * rather than guess the time; a term that merely starts with "at" is a
 * Name as before. */
static void test_parse_at_absent(void **state)
{
	struct query q;
	struct si_err err;

	(void)state;
	assert_int_equal(query_parse_at("10.1.2.3 region:eu-west-2", T_ASKED, &q, &err), 0);
	assert_false(q.has_at);
	assert_int_equal(q.at, 0);
	assert_int_equal(query_parse("10.1.2.3 at:-6h", &q, &err), -1);
	assert_non_null(strstr(err.msg, "no request time"));
	assert_int_equal(query_parse_at("atlas-web", T_ASKED, &q, &err), 0);
	assert_int_equal(q.terms[0].kind, QUERY_NAME);
	assert_false(q.has_at);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_classify_null_and_long),
		cmocka_unit_test(test_host_length_limits),
		cmocka_unit_test(test_name_keeps_case),
		cmocka_unit_test(test_unknown_lists_known),
		cmocka_unit_test(test_arn_fields),
		cmocka_unit_test(test_registry_claims_classified),
		cmocka_unit_test(test_malformed_reason_quotes_input),
		cmocka_unit_test(test_region_shapes),
		cmocka_unit_test(test_parse_help),
		cmocka_unit_test(test_parse_terms_and_modifiers),
		cmocka_unit_test(test_parse_dedupes),
		cmocka_unit_test(test_parse_malformed_term),
		cmocka_unit_test(test_parse_unknown_term),
		cmocka_unit_test(test_parse_new_kinds),
		cmocka_unit_test(test_parse_bad_modifiers),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_bad_bytes),
		cmocka_unit_test(test_check_accounts),
		cmocka_unit_test(test_check_regions),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_parse_at),
		cmocka_unit_test(test_parse_at_absent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
