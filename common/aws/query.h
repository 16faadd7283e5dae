/*
 * aws_query.h - build signed requests for AWS query-protocol APIs (EC2, STS).
 *
 * The query protocol is a form-encoded POST: the body is
 * "Action=<a>&Version=<v>&<name>=<value>..." and the request is signed with
 * SigV4 (common/sigv4.h). This module only builds the bytes to send (URL,
 * body, header lines); it does no network I/O and reads no environment:
 * endpoint resolution takes an envp array from the caller.
 */
#ifndef SI_AWS_QUERY_H
#define SI_AWS_QUERY_H

#include <stddef.h>
#include <time.h>

#include "util/buf.h"
#include "util/err.h"
#include "aws/sigv4.h"

/* EC2 Describe* calls carry at most a few hundred parameters (filters of up
 * to 200 values); 1024 bounds a runaway caller. */
#define AWS_QUERY_MAX_PARAMS 1024

/* AWS rejects query-protocol bodies far below this; 1 MiB keeps a bug from
 * building a huge request. */
#define AWS_QUERY_MAX_BODY ((size_t)1024 * 1024)

/* Endpoint URLs are host names plus an optional port and path. */
#define AWS_QUERY_MAX_URL 2048

/* The header value we send and sign; botocore sends the same. */
#define AWS_QUERY_CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"

/* One request parameter, borrowed from the caller; name and value are
 * plain (unencoded) UTF-8, e.g. {"Filter.1.Name", "tag:Name"}. */
struct aws_query_param {
	const char *name;
	const char *value;
};

/* Everything a call needs. All pointers borrowed for the duration of
 * aws_query_build. */
struct aws_query_input {
	const char *action;                  /* "DescribeInstances" */
	const char *version;                 /* "2016-11-15" */
	const struct aws_query_param *params; /* sent in this order */
	size_t n_params;
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;           /* NULL or "" when none */
	const char *region;                  /* signing region */
	const char *service;                 /* signing name: "ec2", "sts" */
	const char *endpoint;                /* "https://host[:port][/path]" */
	time_t now;                          /* signing time */
	struct sigv4_key_cache *cache;       /* optional */
};

/* A request ready to send. Everything is owned by the struct; free it with
 * aws_query_request_free. */
struct aws_query_request {
	char *url;        /* the URL to POST to: scheme://host[:port]/path */
	char *host;       /* the Host header value (host[:port] if non-default) */
	char *body;       /* form-encoded body, NUL-terminated */
	size_t body_len;
	/* Header lines "Name: value" without CRLF, in this order:
	 * Content-Type, Host, X-Amz-Date, [X-Amz-Security-Token], Authorization.
	 * Callers hand them to curl as-is (curl_slist_append). */
	char **headers;
	size_t n_headers;
};

/* Build and sign. On success *out is a new request (caller frees with
 * aws_query_request_free) and 0 is returned; on failure -1, err filled,
 * *out NULL. Secrets never appear in err. */
int aws_query_build(const struct aws_query_input *in,
		    struct aws_query_request **out, struct si_err *err);

/* NULL is fine. Wipes the Authorization/token lines before freeing. */
void aws_query_request_free(struct aws_query_request *r);

/* Append the form body for (action, version, params) to out. Exposed for
 * tests and for callers that sign differently. Encoding is RFC 3986:
 * A-Z a-z 0-9 - . _ ~ kept, every other byte %XX upper-case (so ' ' is
 * %20, never '+', and '*' is %2A), which is what AWS canonicalises to. */
int aws_query_form_body(struct si_buf *out, const char *action,
			const char *version,
			const struct aws_query_param *params, size_t n_params,
			struct si_err *err);

/*
 * Resolve the endpoint for service ("ec2", "sts", or another query service)
 * in region, the way the AWS SDKs do, from envp (a NULL-terminated
 * "NAME=value" array such as main()'s third argument; never getenv):
 *  1. AWS_ENDPOINT_URL_<ID> (aws_query_env_name: AWS_ENDPOINT_URL_STS),
 *  2. AWS_ENDPOINT_URL, then
 *  3. the default: https://sts.amazonaws.com for STS (signed as us-east-1)
 *     unless AWS_STS_REGIONAL_ENDPOINTS=regional, which selects
 *     https://sts.<region>.amazonaws.com; https://<service>.<region>.
 *     amazonaws.com otherwise (".amazonaws.com.cn" for cn-* regions).
 * Empty variables count as unset. On success *url and *signing_region are
 * new strings the caller frees with free(); region may be NULL only for the
 * STS global endpoint (and then the signing region is us-east-1).
 */
int aws_query_resolve_endpoint(const char *service, const char *region,
			       char *const envp[], char **url,
			       char **signing_region, struct si_err *err);

/* What endpoint resolution needs of a call (all borrowed). */
struct aws_endpoint_req {
	const char *service;  /* signing name and endpoint prefix: "route53" */
	const char *version;  /* API version, or NULL: it tells Elastic Load
	                       * Balancing v2 (2015-12-01) from the classic
	                       * one, which share their signing name */
	const char *region;   /* NULL only for STS and global endpoints */
	int global;           /* the service's one global endpoint, signed for
	                       * us-east-1 (Route 53, IAM) */
};

/*
 * aws_query_resolve_endpoint with the SDK's service ids and global
 * endpoints:
 *  1. AWS_ENDPOINT_URL_<ID>, where ID is the service id of the service's
 *     model upper-cased with spaces as '_' (ROUTE_53, AUTO_SCALING,
 *     ELASTIC_LOAD_BALANCING, ELASTIC_LOAD_BALANCING_V2: see
 *     aws_query_env_name), then
 *  2. AWS_ENDPOINT_URL, then
 *  3. the default: for global, https://<service>.amazonaws.com (aws
 *     partition only); otherwise as aws_query_resolve_endpoint.
 * A global call is signed for us-east-1 whichever URL serves it (that is
 * where AWS's global endpoints live, and an override stands in for one).
 * Same ownership and failures as aws_query_resolve_endpoint.
 */
int aws_query_resolve(const struct aws_endpoint_req *rq, char *const envp[], char **url,
		      char **signing_region, struct si_err *err);

/* Write "AWS_ENDPOINT_URL_<ID>" for service (and version, may be NULL) to
 * out[0..n): the SDK service id of the services we call, else the signing
 * name upper-cased with '-' as '_' (EC2, STS, RDS, LAMBDA, ORGANIZATIONS).
 * Returns 0, or -1 (SI_ERR_INVALID) for a service name that is not
 * [a-z0-9-]+ or does not fit. */
int aws_query_env_name(const char *service, const char *version, char *out, size_t n,
		       struct si_err *err);

#endif
