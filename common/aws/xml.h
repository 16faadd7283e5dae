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
 * is never used, and sizes, element counts (while reading) and item
 * counts are capped (SI_ERR_LIMIT).
 *
 * Thread safety: every call uses its own libxml2 parser context and touches
 * no global libxml2 state, so calls may run in many threads at once,
 * provided xmlInitParser() was called once by main before threads start.
 *
 * When a success parser is handed an AWS error envelope (any root with an
 * Error element, see aws_xml_parse_error) it fails with SI_ERR_REMOTE and
 * the AWS error code in err->msg; call aws_xml_parse_error or
 * aws_error_describe on the same body for the structured fields.
 */
#ifndef SI_AWS_XML_H
#define SI_AWS_XML_H

#include <stddef.h>

#include <libxml/tree.h>

#include "aws/ec2_types.h"
#include "util/err.h"

/* Largest answer we parse. libxml2's tree costs several times the text, and
 * many regions are parsed at once; 8 MiB still holds a 1000-instance
 * DescribeInstances page of ordinary instances (~5 KiB each). The HTTP layer
 * should cap bodies at the same value, and searches should ask for pages
 * small enough (MaxResults) to stay under it. */
#define AWS_XML_MAX_DOC ((size_t)8 * 1024 * 1024)

/* Most elements (attributes and CDATA sections counted too) one answer
 * may hold. The byte cap alone does not bound memory: "<item/>" is 7
 * bytes, and libxml2 spends ~130 bytes on each element node and as much
 * on each text node, so a 7 MB answer of 1,000,000 items cost ~150 MB per
 * parse (issue 11). The count is checked while the document is read, and
 * the parser stops at once past it (SI_ERR_LIMIT), so a tree never grows
 * beyond ~2 x 131,072 nodes, about 35 MB. A real EC2 item is at most ~450
 * elements (50 tags, a few interfaces and volumes); the search asks for
 * pages of 200 (search/engine.c), 90,000 elements at worst, so real
 * answers stay well under it. */
#define AWS_XML_MAX_NODES ((size_t)128 * 1024)

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

/* An AWS error answer, found the way botocore finds it: the root element's
 * name does not matter; the <Error> element is the root's Errors/Error
 * child (EC2's <Response><Errors><Error>, and the <ErrorResponse><Errors>
 * form AWS-compatible endpoints send), else its Error child (the Query
 * services' and rest-xml's <ErrorResponse><Error>), else the root itself
 * when it is named Error (S3). Code and Message are that element's
 * children; the request id is the root's RequestID or RequestId child (or,
 * failing that, the Error element's).
 * Returns 0 for any such answer; out->code is NULL when the answer has no
 * Code (callers must say so: aws_error_describe does). Returns -1
 * (SI_ERR_INVALID) for a document with no Error element, e.g. a success
 * answer, and for anything that is not well-formed XML. */
int aws_xml_parse_error(const char *xml, size_t len, struct aws_error *out,
			struct si_err *err);

/* What to show for a failed AWS call that got HTTP status with
 * body[0..len) (any protocol: XML when the body starts with '<', JSON when
 * it starts with '{', see aws/json_error.h). errortype is the
 * X-Amzn-ErrorType header value, or NULL.
 * On 0, *out is filled and owned by the caller (aws_error_clear):
 *   out->code        the AWS error code, or NULL when the answer has none
 *                    (an unreadable body, a proxy's HTML page, an envelope
 *                    without Code): retry logic then goes by status alone;
 *   out->message     never NULL: the AWS message ("" when it sent none), or,
 *                    without a code, "HTTP 403, no error code" followed by
 *                    ": <message>" when the answer had a message;
 *   out->request_id  from an XML body, else NULL.
 * An unreadable body is not a failure; -1 (err set, *out zeroed) only when
 * memory runs out. */
int aws_error_describe(long status, const char *body, size_t len,
		       const char *errortype, struct aws_error *out,
		       struct si_err *err);

/* ---- the generic reader, for the resource-type modules ---------------- */

/* Read an answer whose root element must be `root` (local name; the
 * namespace is not pinned: AWS varies it) with the same limits and
 * refusals as every parser here. Returns the document (the caller frees
 * it with xmlFreeDoc) and *rootp, or NULL with err set; an AWS error
 * envelope is SI_ERR_REMOTE carrying its code. */
xmlDocPtr aws_xml_read(const char *xml, size_t len, const char *root,
		       const xmlNode **rootp, struct si_err *err);

/* First child element of parent called name (NULL parent: NULL). */
const xmlNode *aws_xml_child(const xmlNode *parent, const char *name);

/* Next sibling element after n called name, or NULL. */
const xmlNode *aws_xml_next(const xmlNode *n, const char *name);

/* Follow a '/'-separated path of first children ("a/b/c"), or NULL. */
const xmlNode *aws_xml_path(const xmlNode *from, const char *path);

/* Children of parent called name, counted; SI_ERR_LIMIT past max. */
int aws_xml_count(const xmlNode *parent, const char *name, size_t max, size_t *n,
		  struct si_err *err);

/* Trimmed text of n (NULL or empty: *out = NULL), a new string of at most
 * 64 KiB (SI_ERR_LIMIT past it). */
int aws_xml_text(const xmlNode *n, char **out, struct si_err *err);

/* The same for the first child called name ("a/b" paths allowed). */
int aws_xml_child_text(const xmlNode *parent, const char *name, char **out,
		       struct si_err *err);

#endif
