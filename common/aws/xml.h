/*
 * aws_xml.h - parse AWS Query/EC2 XML answers into the structs of
 * ec2_types.h.
 *
 * Every parser takes the raw body (need not be NUL-terminated), fills *out
 * and returns 0, or returns -1 with err filled and *out left zeroed (nothing
 * to free). *out is overwritten without being freed first: free any previous
 * content with the matching ec2_types.h function before reusing a struct.
 * On success the caller owns everything in *out and frees it with
 * ec2_instance_list_free / ec2_eni_list_free / sts_credentials_clear /
 * aws_error_clear (or aws_xml_regions_free for region lists).
 *
 * Values are trimmed of surrounding XML whitespace; an element that is
 * absent or empty gives NULL (tag values excepted: a tag whose value is
 * empty gets "", because the tag itself exists).
 *
 * Hostile input: documents carrying a DTD are refused (AWS never sends one,
 * and that shuts out entity expansion and external entities), the network
 * is never used, and sizes and item counts are capped (SI_ERR_LIMIT).
 *
 * Thread safety: every call uses its own libxml2 parser context and touches
 * no global libxml2 state, so calls may run in many threads at once,
 * provided xmlInitParser() was called once by main before threads start.
 *
 * When a success parser is handed an AWS error envelope it fails with
 * SI_ERR_REMOTE and the AWS error code in err->msg; call aws_xml_parse_error
 * on the same body for the structured fields.
 */
#ifndef SI_AWS_XML_H
#define SI_AWS_XML_H

#include <stddef.h>

#include "aws/ec2_types.h"
#include "util/err.h"

/* Largest answer we parse. libxml2's tree costs several times the text, and
 * many regions are parsed at once; 8 MiB still holds a 1000-instance
 * DescribeInstances page of ordinary instances (~5 KiB each). The HTTP layer
 * should cap bodies at the same value, and searches should ask for pages
 * small enough (MaxResults) to stay under it. */
#define AWS_XML_MAX_DOC ((size_t)8 * 1024 * 1024)

/* STS AssumeRole (also GetSessionToken, AssumeRoleWithWebIdentity) answer:
 * Credentials/{AccessKeyId,SecretAccessKey,SessionToken,Expiration} are
 * required; AssumedRoleUser/Arn is optional. */
int aws_xml_parse_assume_role(const char *xml, size_t len,
			      struct sts_credentials *out, struct si_err *err);

/* One DescribeInstances page: all reservations' instances, nextToken. */
int aws_xml_parse_describe_instances(const char *xml, size_t len,
				     struct ec2_instance_list *out,
				     struct si_err *err);

/* One DescribeNetworkInterfaces page, nextToken. */
int aws_xml_parse_describe_network_interfaces(const char *xml, size_t len,
					      struct ec2_eni_list *out,
					      struct si_err *err);

/* DescribeRegions: the regionName of every regionInfo item. On success
 * *regions is a malloc'd array of *n malloc'd strings (NULL when *n is 0);
 * free with aws_xml_regions_free(*regions, *n). */
int aws_xml_parse_describe_regions(const char *xml, size_t len,
				   char ***regions, size_t *n,
				   struct si_err *err);

/* Free a region list from aws_xml_parse_describe_regions (NULL safe). */
void aws_xml_regions_free(char **regions, size_t n);

/* An AWS error answer: EC2 <Response><Errors><Error>…<RequestID>, STS
 * <ErrorResponse><Error>…<RequestId>, or a bare <Error>. Code is required.
 * Returns -1 (SI_ERR_INVALID) for anything that is not an error envelope. */
int aws_xml_parse_error(const char *xml, size_t len, struct aws_error *out,
			struct si_err *err);

/* "2011-07-15T23:28:33.359Z" (fraction and zone offset optional, "Z" or
 * "+hh:mm") to UTC seconds since the epoch; strict, locale- and TZ-free. */
int aws_xml_parse_time(const char *s, time_t *out, struct si_err *err);

#endif
