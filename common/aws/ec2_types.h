/*
 * ec2_types.h - plain C structs for what the EC2 and STS APIs return.
 *
 * Filled by the XML parsers (aws_xml.h), merged by the search, read by the
 * renderer. Every string is owned by the struct that holds it and is freed
 * by the matching *_free() function; absent values are NULL, never "".
 * Counts sit beside every array.
 */
#ifndef SI_EC2_TYPES_H
#define SI_EC2_TYPES_H

#include <stddef.h>
#include <time.h>

struct ec2_tag {
	char *key;
	char *value;
};

/* One private address of an interface, with its public association. */
struct ec2_private_ip {
	char *private_ip;
	char *private_dns;
	char *public_ip;    /* association/publicIp, NULL when none */
	char *public_dns;
	int primary;        /* 1 for the interface's primary address */
};

/* A network interface, either as part of an instance (instance's
 * networkInterfaceSet) or standalone (DescribeNetworkInterfaces). */
struct ec2_eni {
	char *eni_id;
	char *description;
	char *interface_type;     /* e.g. "interface", "nat_gateway", "lambda" */
	char *requester_id;       /* e.g. "amazon-elb" */
	int requester_managed;
	char *status;
	char *vpc_id;
	char *subnet_id;
	char *az;
	char *owner_id;
	char *attached_instance_id; /* attachment/instanceId, NULL if none */
	char *mac;
	struct ec2_private_ip *ips;
	size_t n_ips;
	char **ipv6;
	size_t n_ipv6;
	struct ec2_tag *tags;
	size_t n_tags;
};

struct ec2_instance {
	char *instance_id;
	char *instance_type;
	char *state;             /* instanceState/name: running, stopped, ... */
	char *az;
	char *launch_time;       /* ISO 8601 as AWS sends it */
	char *state_reason;      /* StateTransitionReason ("User initiated
	                          * (2013-03-01 17:24:16 GMT)"), NULL if empty */
	char *image_id;
	char *vpc_id;
	char *subnet_id;
	char *private_ip;
	char *private_dns;
	char *public_ip;
	char *public_dns;
	char *key_name;
	char *platform;          /* "windows" or NULL */
	char *owner_id;          /* reservation ownerId: the account id */
	struct ec2_eni *enis;
	size_t n_enis;
	char **ipv6;             /* every IPv6 address over all interfaces */
	size_t n_ipv6;
	struct ec2_tag *tags;
	size_t n_tags;
};

struct ec2_instance_list {
	struct ec2_instance *items;
	size_t n;
	char *next_token;        /* NULL on the last page */
};

struct ec2_eni_list {
	struct ec2_eni *items;
	size_t n;
	char *next_token;
};

/* Temporary credentials from STS AssumeRole. Secret fields are wiped on
 * free. */
struct sts_credentials {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;
	time_t expiration;       /* UTC seconds since the epoch */
	char *assumed_role_arn;
};

/* An AWS error answer, in either the EC2 or the STS envelope. */
struct aws_error {
	char *code;              /* e.g. "AccessDenied", "RequestLimitExceeded" */
	char *message;
	char *request_id;
};

void ec2_instance_clear(struct ec2_instance *in);
void ec2_eni_clear(struct ec2_eni *eni);
void ec2_instance_list_free(struct ec2_instance_list *l); /* frees contents, not l */
void ec2_eni_list_free(struct ec2_eni_list *l);           /* frees contents, not l */
void sts_credentials_clear(struct sts_credentials *c);    /* wipes secrets */
void aws_error_clear(struct aws_error *e);

/* Value of tag key in tags, or NULL. */
const char *ec2_tag_get(const struct ec2_tag *tags, size_t n, const char *key);

/* The time an instance's StateTransitionReason gives: EC2 writes the
 * moment of the last stop or termination as "User initiated (2013-03-01
 * 17:24:16 GMT)" (other causes, e.g. "Service initiated", put their own
 * words before the same parenthesis). The text must end with " (YYYY-MM-DD
 * HH:MM:SS GMT)"; the date is read by si_iso8601_parse_utc's rules.
 * Returns 0 with *out set, or -1 (*out 0) when reason is NULL, empty or
 * holds no such time (most reasons of running instances are empty). */
int ec2_reason_time(const char *reason, time_t *out);

#endif
