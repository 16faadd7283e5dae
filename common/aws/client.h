/*
 * client.h - the one AWS client: every AWS call the service makes.
 *
 * One struct aws_client holds what every call shares: the base identity
 * (a credential provider, borrowed), ONE cache of assumed-role credentials
 * (so a role assumed by account discovery is reused by a search and the
 * other way round), the SigV4 signing-key cache, the endpoint environment
 * (AWS_ENDPOINT_URL*, AWS_STS_REGIONAL_ENDPOINTS, copied), the CA bundle,
 * timeouts, the attempt budget and the RoleSessionName. It is shared by
 * every thread: nothing in it changes after aws_client_new except the two
 * caches, which lock.
 *
 * One request/retry path serves two drivers:
 *  - the synchronous one (struct aws_conn: one easy handle on one thread,
 *    used by discovery): aws_conn_call and aws_conn_assume_role build,
 *    sign, send, classify, back off and retry;
 *  - the search engine's curl-multi loop, which drives many transfers
 *    itself and uses the same pieces one by one: aws_client_build (URL,
 *    body, signed headers), aws_client_prepare (the easy handle, through
 *    util/http), aws_client_classify_easy (code, message, retry decision)
 *    and aws_client_backoff_ms.
 * So both see the same endpoints, the same signing, the same error parsing
 * and the same retry and backoff rules. Four protocols: query and JSON 1.1
 * (POST), REST-XML and REST-JSON (GET with the request in the path and
 * the query string: Route 53, Lambda).
 *
 * curl_global_init() must have been called once by the program.
 */
#ifndef SI_AWS_CLIENT_H
#define SI_AWS_CLIENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

#include "aws/creds.h"
#include "aws/ec2_types.h"
#include "aws/query.h"
#include "aws/xml.h"
#include "util/err.h"
#include "util/http.h"

/* Roles whose credentials are kept: one per account searched or
 * discovered. 4,096 entries of a few hundred bytes is about a megabyte;
 * past it the entry expiring first is evicted and assumed again. */
#define AWS_CLIENT_STS_CACHE_CAP 4096

/* Signing keys kept (one per secret, day, region and service). */
#define AWS_CLIENT_KEY_CACHE_CAP 64

/* Defaults for the options left 0: the [aws] section's defaults. */
#define AWS_CLIENT_CONNECT_TIMEOUT_MS 2000L
#define AWS_CLIENT_TIMEOUT_MS 10000L
#define AWS_CLIENT_MAX_ATTEMPTS 3

/* Retry backoff (full jitter): the SDKs' standard mode uses a 100 ms base;
 * the 5 s cap (or the per-call timeout when shorter) keeps a throttled
 * search inside its deadline and a throttled refresh from stalling. */
#define AWS_CLIENT_BACKOFF_BASE_MS 100L
#define AWS_CLIENT_BACKOFF_CAP_MS 5000L

/* Role session duration asked for: the STS default (minimum 900 s). */
#define AWS_CLIENT_SESSION_SECONDS "3600"

/* Largest answer buffered: aws_xml's own document limit (a describe page
 * of 1000 instances is ~2 MiB), far above any Organizations JSON page. */
#define AWS_CLIENT_MAX_RESPONSE AWS_XML_MAX_DOC

struct aws_client_opts {
	long connect_timeout_ms;  /* 0: AWS_CLIENT_CONNECT_TIMEOUT_MS */
	long timeout_ms;          /* per attempt; 0: AWS_CLIENT_TIMEOUT_MS */
	int max_attempts;         /* first try included; 0: AWS_CLIENT_MAX_ATTEMPTS */
	size_t sts_cache_cap;     /* 0: AWS_CLIENT_STS_CACHE_CAP */
	const char *session_name; /* RoleSessionName ([\w+=,.@-], <= 64);
	                           * NULL: "slash-infra-<hostname>" */
};

struct aws_client;

/* A client over base (borrowed: it must outlive the client; the caller
 * frees it after aws_client_free). opts may be NULL (all defaults) and is
 * copied; envp is scanned and the AWS_ENDPOINT_URL*,
 * AWS_STS_REGIONAL_ENDPOINTS and AWS_CA_BUNDLE entries copied. Returns a
 * client the caller frees with aws_client_free, or NULL with err set. No
 * network I/O happens here. */
struct aws_client *aws_client_new(const struct aws_client_opts *opts, char *const *envp,
				  struct aws_creds_provider *base, struct si_err *err);

/* Free the client and its caches (not base). NULL is fine. */
void aws_client_free(struct aws_client *c);

/* The base identity (borrowed from the client). */
struct aws_creds_provider *aws_client_base(struct aws_client *c);

/* The effective settings (defaults applied). */
long aws_client_timeout_ms(const struct aws_client *c);
int aws_client_max_attempts(const struct aws_client *c);
const char *aws_client_session_name(const struct aws_client *c);

/* ---- one call ---------------------------------------------------------- */

/* A borrowed view of the keys that sign a call. */
struct aws_keys {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;  /* NULL or "" for long-term keys */
};

enum aws_protocol {
	AWS_PROTO_QUERY,     /* form POST, XML answers (STS, EC2) */
	AWS_PROTO_JSON,      /* JSON 1.1 POST with X-Amz-Target (Organizations) */
	AWS_PROTO_REST_XML,  /* GET path?query, XML answers (Route 53) */
	AWS_PROTO_REST_JSON  /* GET path?query, JSON answers (Lambda) */
};

/* A REST call's URL (endpoint, path and query string) is refused past
 * this: 8 KiB is the request line common servers and proxies accept, and
 * our longest (a Route 53 record name of 255 bytes, encoded three bytes
 * for one, plus a page marker) needs about 1.5 KiB. */
#define AWS_CLIENT_MAX_REST_URL ((size_t)8192)

/* What to call. Everything is borrowed for the duration of the call. */
struct aws_call {
	enum aws_protocol proto;
	const char *service;      /* signing name: "sts", "ec2", "organizations",
	                           * "route53", "lambda" */
	const char *region;       /* NULL only for STS and global calls */
	const char *action;       /* query: Action; json: the part after '.' of
	                           * the target; rest: the operation name; used
	                           * in messages */
	const char *version;      /* query: Version; any: tells ELBv2 from ELB
	                           * for AWS_ENDPOINT_URL_<ID> (may be NULL) */
	const struct aws_query_param *params;  /* query: sent in this order;
	                                        * rest: the query string */
	size_t n_params;
	const char *target;       /* json: "AWSOrganizationsV20161128.ListAccounts" */
	const char *json_body;    /* json: the request document */
	const char *method;       /* rest: "GET" (NULL: "GET"; no other yet) */
	const char *path;         /* rest: the path, already percent-encoded
	                           * ("/2015-03-31/functions/my%3Afn"): only
	                           * unreserved bytes, '/' and %XX */
	int global;               /* the service's global endpoint, signed for
	                           * us-east-1 (Route 53): aws_query_resolve */
};

/* A request ready for libcurl. Owned by the struct; aws_request_clear
 * frees it (wiping the signed headers, which carry the session token). */
struct aws_request {
	const char *method;           /* static: "POST" or "GET" */
	char *url;
	char *body;                   /* NULL for GET */
	size_t body_len;
	struct curl_slist *headers;   /* "Name: value" lines, "Expect:" last */
};

/* Resolve the endpoint (the SDK rules of aws_query_resolve) and build and
 * sign the request with k at time now (AWS checks it against
 * its clock: pass time(NULL) outside tests). On success *out is filled
 * (the caller clears it with aws_request_clear); on failure -1, err set
 * (never secrets) and *out zeroed. */
int aws_client_build(struct aws_client *c, const struct aws_call *call, const struct aws_keys *k,
		     time_t now, struct aws_request *out, struct si_err *err);

/* Free what r owns and zero it. NULL and zeroed structs are fine. */
void aws_request_clear(struct aws_request *r);

/* Set up easy for r through util/http (the client's timeouts and CA
 * bundle, http/https only, no redirects, resp's cap) plus URL, method
 * (POST with r's body, or GET) and headers. abort may be NULL (see
 * struct si_http_opts). r, resp and abort are borrowed and must outlive
 * the transfer; resp must have been initialised (si_http_resp_init,
 * AWS_CLIENT_MAX_RESPONSE). */
int aws_client_prepare(const struct aws_client *c, CURL *easy, const struct aws_request *r,
		       struct si_http_resp *resp, const atomic_int *abort, struct si_err *err);

/* What an attempt came to. */
struct aws_outcome {
	int ok;              /* HTTP 200: the answer is in the body */
	long status;         /* 0 when there was no HTTP answer */
	int transport;       /* failed below HTTP (connect, TLS, timeout, cap) */
	int retry;           /* worth another attempt (budget included) */
	int creds_expired;   /* aws_retry_creds_expired(code) */
	int creds_refused;   /* aws_retry_creds_refused(code) */
	char code[128];      /* AWS error code ("" when none) */
	/* What a report shows as the code: the AWS code, "Timeout",
	 * "ConnectionError" or "HTTP<status>" when AWS gave no code. */
	char label[128];
	char message[256];   /* AWS message (or the no-code text), libcurl's
	                      * text, or "" when none */
};

/* Classify a finished attempt: cc and status from libcurl (status 0 when
 * cc != CURLE_OK), the body in resp, attempt the 1-based number of the
 * attempt that just finished. Error bodies are read by aws_error_describe
 * (XML or JSON, botocore's rules; without a code the message says "HTTP
 * <n>, no error code"). call may be NULL. Pure apart from reading resp:
 * no I/O, no clock. */
void aws_client_classify(const struct aws_client *c, const struct aws_call *call, CURLcode cc,
			 long status, const struct si_http_resp *resp, int attempt,
			 struct aws_outcome *out);

/* aws_client_classify for a transfer that finished on easy: the status
 * (when cc is CURLE_OK) and the X-Amzn-ErrorType header come from easy.
 * REST-JSON services (Lambda) put their error code in that header only
 * ("ResourceNotFoundException" answers GetFunction for a name that is not
 * there). The header needs libcurl 7.84 (curl_easy_header); with an older
 * one the code comes from the body alone. */
void aws_client_classify_easy(const struct aws_client *c, const struct aws_call *call,
			      CURL *easy, CURLcode cc, const struct si_http_resp *resp,
			      int attempt, struct aws_outcome *out);

/* The same, pure, with the X-Amzn-ErrorType value the caller read (NULL:
 * none), for tests and for drivers that read headers themselves. */
void aws_client_classify_typed(const struct aws_client *c, const struct aws_call *call,
			       CURLcode cc, long status, const struct si_http_resp *resp,
			       const char *errortype, int attempt, struct aws_outcome *out);

/* The wait before attempt (1-based) + 1: full jitter over
 * [0, min(cap, base * 2^(attempt-1))] with the caller's random value. */
long aws_client_backoff_ms(const struct aws_client *c, int attempt, uint32_t random);

/* ---- assumed-role credentials ------------------------------------------ */

/* The most parameters an AssumeRole call carries. */
#define AWS_CLIENT_ASSUME_PARAMS 4

/* Fill out with the AssumeRole parameters (RoleArn, RoleSessionName,
 * DurationSeconds, ExternalId when not NULL) and return how many.
 * session_name NULL: the client's. Everything stays borrowed. */
size_t aws_client_assume_params(const struct aws_client *c, const char *role_arn,
				const char *external_id, const char *session_name,
				struct aws_query_param out[AWS_CLIENT_ASSUME_PARAMS]);

/* The shared cache (see aws/sts_cache.h for the rules): 1 and *out filled
 * (caller clears it with sts_credentials_clear) when the role's
 * credentials are valid beyond now + the refresh margin, 0 when not, -1 on
 * OOM. */
int aws_client_cached_role(struct aws_client *c, const char *role_arn, const char *external_id,
			   time_t now, struct sts_credentials *out);

/* Remember creds for the role (a copy); failures only cost a later
 * AssumeRole, so they are not reported. */
void aws_client_remember_role(struct aws_client *c, const char *role_arn,
			      const char *external_id, const struct sts_credentials *creds);

/* Forget the role's credentials (AWS refused them). */
void aws_client_forget_role(struct aws_client *c, const char *role_arn,
			    const char *external_id);

/* ---- the synchronous path ---------------------------------------------- */

/* One thread's transport: an easy handle kept across calls (so the
 * connection is reused) and the answer buffer. Not thread-safe. */
struct aws_conn;

/* Wait ms before a retry; return non-zero to give up instead (shutdown).
 * NULL in aws_conn_new: a plain sleep. */
typedef int (*aws_conn_wait_fn)(void *arg, long ms);

/* A connection on c (borrowed, must outlive it). abort (may be NULL) stops
 * a transfer in flight and any further retry; wait/wait_arg replace the
 * backoff sleep. Free with aws_conn_free. */
struct aws_conn *aws_conn_new(struct aws_client *c, const atomic_int *abort, aws_conn_wait_fn wait,
			      void *wait_arg, struct si_err *err);

/* Free (wiping the answer buffer: it held credentials). NULL is fine. */
void aws_conn_free(struct aws_conn *conn);

/* Send call signed with k, retrying by the client's rules. Returns 0 when
 * AWS answered 200 (the body is aws_conn_body's until the next call), or
 * -1 with err ("<service> <action>: HTTP <status> <code>: <message>", or
 * libcurl's text) and *out describing the last attempt (out may be NULL). */
int aws_conn_call(struct aws_conn *conn, const struct aws_call *call, const struct aws_keys *k,
		  struct aws_outcome *out, struct si_err *err);

/* The last answer's body (borrowed from conn). */
const struct si_buf *aws_conn_body(const struct aws_conn *conn);

/* Credentials for role_arn/external_id (NULL: none): from the shared
 * cache, or through STS AssumeRole in region (NULL: the global endpoint)
 * signed with k (NULL: the base identity, asked at now) and then cached.
 * session_name NULL: the client's. *out is filled on success (caller
 * clears it with sts_credentials_clear); on failure -1, err set. */
int aws_conn_assume_role(struct aws_conn *conn, const struct aws_keys *k, const char *region,
			 const char *role_arn, const char *external_id, const char *session_name,
			 time_t now, struct sts_credentials *out, struct si_err *err);

#endif
