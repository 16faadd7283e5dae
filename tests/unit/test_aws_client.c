/*
 * test_aws_client.c - the one AWS client (common/aws/client.c): building
 * and signing requests, classifying answers, backoff, the shared cache.
 * No network: the answers are literal bodies (the request counts of a
 * real exchange are in test_org's shared-cache test and test_search_pool).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "aws/client.h"
#include "aws/creds.h"
#include "aws/sts_cache.h"

static char *ENV[] = {
	"AWS_ACCESS_KEY_ID=AKIDEXAMPLE",
	"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	"AWS_ENDPOINT_URL=http://127.0.0.1:9/base",
	"AWS_CA_BUNDLE=/nonexistent/ca.pem",
	"UNRELATED=1",
	NULL,
};

struct fixture {
	struct aws_creds_provider *base;
	struct aws_client *c;
};

static int setup(void **state)
{
	const struct aws_client_opts o = { .timeout_ms = 3000, .max_attempts = 3,
					   .session_name = "test-session" };
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	fx->base = aws_creds_provider_env_new(ENV, NULL);
	fx->c = aws_client_new(&o, ENV, fx->base, NULL);
	if (fx->base == NULL || fx->c == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	aws_client_free(fx->c);
	aws_creds_provider_free(fx->base);
	free(fx);
	return 0;
}

static const struct aws_keys KEYS = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
				      NULL };

static int has_header(const struct aws_request *r, const char *prefix)
{
	for (const struct curl_slist *h = r->headers; h != NULL; h = h->next)
		if (strncmp(h->data, prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

static void test_new_defaults_and_free_null(void **state)
{
	struct aws_creds_provider *base = aws_creds_provider_env_new(ENV, NULL);
	struct aws_client *c = aws_client_new(NULL, NULL, base, NULL);
	struct si_err err;

	(void)state;
	assert_non_null(c);
	assert_int_equal(aws_client_timeout_ms(c), AWS_CLIENT_TIMEOUT_MS);
	assert_int_equal(aws_client_max_attempts(c), AWS_CLIENT_MAX_ATTEMPTS);
	assert_non_null(strstr(aws_client_session_name(c), "slash-infra-"));
	assert_ptr_equal(aws_client_base(c), base);
	aws_client_free(c);
	aws_client_free(NULL);
	aws_conn_free(NULL);
	aws_request_clear(NULL);
	assert_null(aws_client_new(NULL, NULL, NULL, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	aws_creds_provider_free(base);
}

/* The endpoint override from envp reaches the URL; the body is the query
 * form; the signed headers are there and "Expect:" comes last. */
static void test_build_query(void **state)
{
	struct fixture *fx = *state;
	const struct aws_query_param p[] = { { "Filter.1.Name", "tag:Name" } };
	const struct aws_call call = { .proto = AWS_PROTO_QUERY, .service = "ec2",
				       .region = "eu-west-2", .action = "DescribeInstances",
				       .version = "2016-11-15", .params = p, .n_params = 1 };
	struct aws_request r;
	struct si_err err;
	const struct curl_slist *last;

	assert_int_equal(aws_client_build(fx->c, &call, &KEYS, 1440938160, &r, &err), 0);
	assert_string_equal(r.url, "http://127.0.0.1:9/base");
	assert_string_equal(r.body, "Action=DescribeInstances&Version=2016-11-15"
				    "&Filter.1.Name=tag%3AName");
	assert_int_equal(r.body_len, strlen(r.body));
	assert_true(has_header(&r, "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
				   "20150830/eu-west-2/ec2/aws4_request"));
	assert_true(has_header(&r, "X-Amz-Date: 20150830T123600Z"));
	for (last = r.headers; last->next != NULL; last = last->next)
		;
	assert_string_equal(last->data, "Expect:");
	aws_request_clear(&r);
	assert_null(r.headers);
}

static void test_build_json(void **state)
{
	struct fixture *fx = *state;
	const struct aws_call call = { .proto = AWS_PROTO_JSON, .service = "organizations",
				       .region = "us-east-1", .action = "ListAccounts",
				       .target = "AWSOrganizationsV20161128.ListAccounts",
				       .json_body = "{\"MaxResults\":20}" };
	const struct aws_keys tk = { KEYS.access_key_id, KEYS.secret_access_key, "TOKEN" };
	struct aws_request r;
	struct si_err err;

	assert_int_equal(aws_client_build(fx->c, &call, &tk, 1440938160, &r, &err), 0);
	assert_string_equal(r.body, "{\"MaxResults\":20}");
	assert_true(has_header(&r, "Host: 127.0.0.1:9"));
	assert_true(has_header(&r, "X-Amz-Target: AWSOrganizationsV20161128.ListAccounts"));
	assert_true(has_header(&r, "Content-Type: application/x-amz-json-1.1"));
	assert_true(has_header(&r, "X-Amz-Security-Token: TOKEN"));
	assert_true(has_header(&r, "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
				   "20150830/us-east-1/organizations/aws4_request"));
	aws_request_clear(&r);

	/* A JSON call without its target is refused, never half-built. */
	struct aws_call bad = call;

	bad.target = NULL;
	assert_int_equal(aws_client_build(fx->c, &bad, &tk, 1440938160, &r, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(r.url);
}

struct classify_row {
	enum aws_protocol proto;
	CURLcode cc;
	long status;
	const char *body;
	int attempt;
	int ok, transport, retry, expired, refused;
	const char *code, *label;
};

static void test_classify_table(void **state)
{
	static const struct classify_row rows[] = {
		{ AWS_PROTO_QUERY, CURLE_OK, 200, "<x/>", 1, 1, 0, 0, 0, 0, "", "" },
		{ AWS_PROTO_QUERY, CURLE_OPERATION_TIMEDOUT, 0, "", 1, 0, 1, 1, 0, 0, "",
		  "Timeout" },
		{ AWS_PROTO_QUERY, CURLE_COULDNT_CONNECT, 0, "", 3, 0, 1, 0, 0, 0, "",
		  "ConnectionError" },
		{ AWS_PROTO_QUERY, CURLE_OK, 503,
		  "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow"
		  "</Message></Error></Errors><RequestID>r</RequestID></Response>",
		  1, 0, 0, 1, 0, 0, "RequestLimitExceeded", "RequestLimitExceeded" },
		{ AWS_PROTO_QUERY, CURLE_OK, 403,
		  "<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code>"
		  "<Message>expired</Message></Error><RequestId>r</RequestId></ErrorResponse>",
		  1, 0, 0, 0, 1, 1, "ExpiredToken", "ExpiredToken" },
		{ AWS_PROTO_QUERY, CURLE_OK, 401,
		  "<Response><Errors><Error><Code>AuthFailure</Code></Error></Errors></Response>",
		  1, 0, 0, 0, 0, 1, "AuthFailure", "AuthFailure" },
		{ AWS_PROTO_QUERY, CURLE_OK, 500, "<html>oops</html>", 1, 0, 0, 1, 0, 0, "",
		  "HTTP500" },
		{ AWS_PROTO_JSON, CURLE_OK, 400,
		  "{\"__type\":\"com.amazonaws#TooManyRequestsException\",\"message\":\"slow\"}",
		  1, 0, 0, 1, 0, 0, "TooManyRequestsException", "TooManyRequestsException" },
		{ AWS_PROTO_JSON, CURLE_OK, 400,
		  "{\"__type\":\"ExpiredTokenException\",\"message\":\"x\"}",
		  2, 0, 0, 0, 1, 1, "ExpiredTokenException", "ExpiredTokenException" },
		/* A session the endpoint forgot (issue 11): refused, so the
		 * role is assumed again; never retried as it stands. */
		{ AWS_PROTO_QUERY, CURLE_OK, 403,
		  "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
		  "<Message>bad</Message></Error><RequestId>r</RequestId></ErrorResponse>",
		  1, 0, 0, 0, 0, 1, "InvalidClientTokenId", "InvalidClientTokenId" },
		{ AWS_PROTO_JSON, CURLE_OK, 400,
		  "{\"__type\":\"UnrecognizedClientException\",\"message\":\"x\"}",
		  1, 0, 0, 0, 0, 1, "UnrecognizedClientException", "UnrecognizedClientException" },
		{ AWS_PROTO_QUERY, CURLE_OK, 403,
		  "<Error><Code>InvalidAccessKeyId</Code><Message>m</Message></Error>",
		  1, 0, 0, 0, 0, 1, "InvalidAccessKeyId", "InvalidAccessKeyId" },
		/* Lacking a permission is not a credentials problem. */
		{ AWS_PROTO_QUERY, CURLE_OK, 403,
		  "<Response><Errors><Error><Code>UnauthorizedOperation</Code></Error></Errors>"
		  "</Response>",
		  1, 0, 0, 0, 0, 0, "UnauthorizedOperation", "UnauthorizedOperation" },
	};
	struct fixture *fx = *state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct classify_row *r = &rows[i];
		const struct aws_call call = { .proto = r->proto, .service = "x" };
		struct si_http_resp resp;
		struct aws_outcome o;

		si_http_resp_init(&resp, 65536);
		assert_int_equal(si_buf_puts(&resp.body, r->body, NULL), 0);
		aws_client_classify(fx->c, &call, r->cc, r->status, &resp, r->attempt, &o);
		if (o.ok != r->ok || o.transport != r->transport || o.retry != r->retry ||
		    o.creds_expired != r->expired || o.creds_refused != r->refused ||
		    strcmp(o.code, r->code) != 0 || (!r->ok && strcmp(o.label, r->label) != 0))
			fail_msg("row %zu: ok %d transport %d retry %d expired %d refused %d "
				 "code '%s' label '%s'", i, o.ok, o.transport, o.retry,
				 o.creds_expired, o.creds_refused, o.code, o.label);
		si_http_resp_free(&resp, 0);
	}
}

/* An answer without a code says so, instead of an empty message. */
static void test_classify_no_code_says_so(void **state)
{
	struct fixture *fx = *state;
	struct si_http_resp resp;
	struct aws_outcome o;

	si_http_resp_init(&resp, 1024);
	assert_int_equal(si_buf_puts(&resp.body, "<ErrorResponse><Errors><Error><Message>no"
				     "</Message></Error></Errors></ErrorResponse>", NULL), 0);
	aws_client_classify(fx->c, NULL, CURLE_OK, 403, &resp, 1, &o);
	assert_string_equal(o.code, "");
	assert_string_equal(o.label, "HTTP403");
	assert_non_null(strstr(o.message, "HTTP 403, no error code"));
	si_http_resp_free(&resp, 0);
}

/* Backoff: base 100 ms doubling, capped by the shorter of 5 s and the
 * per-call timeout (3 s here); the random value picks within. */
static void test_backoff(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(aws_client_backoff_ms(fx->c, 1, 100), 100);
	assert_int_equal(aws_client_backoff_ms(fx->c, 1, 101), 0);
	assert_int_equal(aws_client_backoff_ms(fx->c, 2, 200), 200);
	assert_int_equal(aws_client_backoff_ms(fx->c, 30, 3000), 3000);
	assert_int_equal(aws_client_backoff_ms(fx->c, 30, 3001), 0);
}

static void test_assume_params(void **state)
{
	struct fixture *fx = *state;
	struct aws_query_param p[AWS_CLIENT_ASSUME_PARAMS];
	size_t n;

	n = aws_client_assume_params(fx->c, "arn:aws:iam::1:role/R", NULL, NULL, p);
	assert_int_equal(n, 3);
	assert_string_equal(p[1].value, "test-session");
	assert_string_equal(p[2].value, AWS_CLIENT_SESSION_SECONDS);
	n = aws_client_assume_params(fx->c, "arn:aws:iam::1:role/R", "ext", "other", p);
	assert_int_equal(n, 4);
	assert_string_equal(p[1].value, "other");
	assert_string_equal(p[3].name, "ExternalId");
	assert_string_equal(p[3].value, "ext");
}

/* Remember, find, forget: one cache for every user of the client. */
static void test_shared_cache(void **state)
{
	struct fixture *fx = *state;
	struct sts_credentials in = { "ASIA1", "secret", "token", 10000, NULL }, out;

	memset(&out, 0, sizeof(out));
	assert_int_equal(aws_client_cached_role(fx->c, "arn:r", NULL, 1000, &out), 0);
	aws_client_remember_role(fx->c, "arn:r", NULL, &in);
	assert_int_equal(aws_client_cached_role(fx->c, "arn:r", "ext", 1000, &out), 0);
	assert_int_equal(aws_client_cached_role(fx->c, "arn:r", NULL, 1000, &out), 1);
	assert_string_equal(out.access_key_id, "ASIA1");
	sts_credentials_clear(&out);
	/* Within the refresh margin of expiry: stale. */
	assert_int_equal(aws_client_cached_role(fx->c, "arn:r", NULL,
						10000 - STS_CACHE_REFRESH_MARGIN_S, &out), 0);
	aws_client_forget_role(fx->c, "arn:r", NULL);
	assert_int_equal(aws_client_cached_role(fx->c, "arn:r", NULL, 1000, &out), 0);
}

/* A synchronous call to a port nobody listens on: transport failure, the
 * attempt budget spent, the error from libcurl. The abort flag makes the
 * retries stop at once. */
static void test_conn_call_transport_failure(void **state)
{
	struct fixture *fx = *state;
	const struct aws_call call = { .proto = AWS_PROTO_QUERY, .service = "sts",
				       .action = "GetCallerIdentity", .version = "2011-06-15" };
	atomic_int stop = 1;
	struct aws_conn *conn;
	struct aws_outcome o;
	struct si_err err;

	conn = aws_conn_new(fx->c, &stop, NULL, NULL, &err);
	assert_non_null(conn);
	assert_int_equal(aws_conn_call(conn, &call, &KEYS, &o, &err), -1);
	assert_int_equal(o.transport, 1);
	assert_int_equal(err.code, SI_ERR_IO);
	aws_conn_free(conn);
}

/* ---- REST protocols (Route 53, Lambda) ---------------------------------- */

/* A client over envp (no AWS_ENDPOINT_URL: the default endpoints). */
static struct aws_client *s_client(char **envp, struct aws_creds_provider **base)
{
	struct aws_client *c;

	*base = aws_creds_provider_env_new(ENV, NULL);
	assert_non_null(*base);
	c = aws_client_new(NULL, envp, *base, NULL);
	assert_non_null(c);
	return c;
}

static const char *s_header_value(const struct aws_request *r, const char *name)
{
	size_t n = strlen(name);

	for (const struct curl_slist *h = r->headers; h != NULL; h = h->next)
		if (strncmp(h->data, name, n) == 0 && h->data[n] == ':' && h->data[n + 1] == ' ')
			return h->data + n + 2;
	return NULL;
}

/* Build call signed with k at the suite's clock (2015-08-30T12:36:00Z)
 * on a client with the default endpoints; the test fails if it cannot. */
static void s_build_default(const struct aws_call *call, const struct aws_keys *k,
			    struct aws_request *r)
{
	char *env[] = { NULL };
	struct aws_creds_provider *base;
	struct aws_client *c = s_client(env, &base);
	struct si_err err;

	if (aws_client_build(c, call, k, 1440938160, r, &err) != 0)
		fail_msg("build: %s", err.msg);
	aws_client_free(c);
	aws_creds_provider_free(base);
}

/* Route 53 ListResourceRecordSets: the global endpoint whatever region the
 * target has, signed for us-east-1, a GET with the query string and no
 * body. The expected Authorization value was computed outside this code,
 * by botocore 1.43.11's SigV4Auth (AWSRequest GET of the same URL,
 * Credentials(AKIDEXAMPLE, the suite's secret), "route53", "us-east-1",
 * get_current_datetime patched to 2015-08-30T12:36:00Z) and, agreeing with
 * it, by a python3 hashlib/hmac one-off over this canonical request:
 *   GET
 *   /2013-04-01/hostedzone/Z1PA6795UKMFR9/rrset
 *   maxitems=100&name=www.example.com.
 *   host:route53.amazonaws.com
 *   x-amz-date:20150830T123600Z
 *
 *   host;x-amz-date
 *   e3b0c442…b855 (SHA-256 of the empty body)
 * (the query sorted by name, as the suite's get-vanilla-query-order-*
 * cases sort it). */
static void test_build_rest_route53_signed(void **state)
{
	const struct aws_query_param p[] = { { "name", "www.example.com." },
					     { "maxitems", "100" } };
	const struct aws_call call = {
		.proto = AWS_PROTO_REST_XML, .service = "route53", .region = "eu-west-2",
		.action = "ListResourceRecordSets", .method = "GET",
		.path = "/2013-04-01/hostedzone/Z1PA6795UKMFR9/rrset", .global = 1,
		.params = p, .n_params = 2 };
	struct aws_request r;

	(void)state;
	s_build_default(&call, &KEYS, &r);
	assert_string_equal(r.method, "GET");
	assert_string_equal(r.url, "https://route53.amazonaws.com/2013-04-01/hostedzone/"
				   "Z1PA6795UKMFR9/rrset?name=www.example.com.&maxitems=100");
	assert_null(r.body);
	assert_int_equal(r.body_len, 0);
	assert_string_equal(s_header_value(&r, "Host"), "route53.amazonaws.com");
	assert_string_equal(s_header_value(&r, "X-Amz-Date"), "20150830T123600Z");
	assert_null(s_header_value(&r, "Content-Type"));
	assert_null(s_header_value(&r, "X-Amz-Security-Token"));
	assert_string_equal(s_header_value(&r, "Authorization"),
			    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/route53/"
			    "aws4_request, SignedHeaders=host;x-amz-date, Signature="
			    "267573f2a2e72d4e3d95ac490b6b2f1876d4adb61b28576eb9d7207063d683cb");
	aws_request_clear(&r);
}

/* Lambda GetFunction by ARN: the regional endpoint; the path goes out
 * encoded once (%3A) and is signed encoded twice (%253A), as botocore
 * signs every service but S3; the session token is signed. Expected value
 * computed as above (botocore SigV4Auth, "lambda", "eu-west-2", token
 * "TOKEN/+="; the hand-made canonical URI was
 * /2015-03-31/functions/arn%253Aaws%253Alambda%253Aeu-west-2%253A
 * 123456789012%253Afunction%253Amy-function, and the two agreed). */
static void test_build_rest_lambda_encoded_path(void **state)
{
	const struct aws_call call = {
		.proto = AWS_PROTO_REST_JSON, .service = "lambda", .region = "eu-west-2",
		.action = "GetFunction",
		.path = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-2%3A123456789012"
			"%3Afunction%3Amy-function" };
	const struct aws_keys tk = { KEYS.access_key_id, KEYS.secret_access_key, "TOKEN/+=" };
	struct aws_request r;

	(void)state;
	s_build_default(&call, &tk, &r);
	assert_string_equal(r.method, "GET");
	assert_string_equal(r.url, "https://lambda.eu-west-2.amazonaws.com/2015-03-31/functions/"
				   "arn%3Aaws%3Alambda%3Aeu-west-2%3A123456789012%3Afunction"
				   "%3Amy-function");
	assert_string_equal(s_header_value(&r, "X-Amz-Security-Token"), "TOKEN/+=");
	assert_string_equal(s_header_value(&r, "Authorization"),
			    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-2/lambda/"
			    "aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, "
			    "Signature="
			    "80a4613fd421f37d1aa7b25c6273eae9859bc844da1fee81a8a885b67cdc7ad1");
	aws_request_clear(&r);
}

/* The query string is RFC 3986-encoded as the form bodies are ('*' of a
 * wildcard record name is %2A, a space %20), in the caller's order. */
static void test_build_rest_query_encoding(void **state)
{
	const struct aws_query_param p[] = { { "name", "*.example.com." },
					     { "Marker", "a b/c+d=" } };
	const struct aws_call call = { .proto = AWS_PROTO_REST_JSON, .service = "lambda",
				       .region = "us-west-2", .path = "/2015-03-31/functions/",
				       .params = p, .n_params = 2 };
	struct aws_request r;

	(void)state;
	s_build_default(&call, &KEYS, &r);
	assert_string_equal(r.url, "https://lambda.us-west-2.amazonaws.com/2015-03-31/functions/"
				   "?name=%2A.example.com.&Marker=a%20b%2Fc%2Bd%3D");
	assert_true(has_header(&r, "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
				   "20150830/us-west-2/lambda/aws4_request, SignedHeaders=host;"
				   "x-amz-date, Signature="));
	aws_request_clear(&r);
}

/* Endpoint overrides by the SDK's service ids: AWS_ENDPOINT_URL_ROUTE_53
 * (not ROUTE53), the endpoint's own path kept before the call's, and a
 * global call still signed for us-east-1 behind an override. */
static void test_build_rest_env_override(void **state)
{
	static const struct {
		const char *env[3];
		const char *service;
		int global;
		const char *path, *url, *scope;
	} rows[] = {
		{ { "AWS_ENDPOINT_URL_ROUTE_53=http://127.0.0.1:9/r53/", NULL }, "route53", 1,
		  "/2013-04-01/hostedzone", "http://127.0.0.1:9/r53/2013-04-01/hostedzone",
		  "/us-east-1/route53/" },
		{ { "AWS_ENDPOINT_URL_ROUTE53=http://127.0.0.1:9", NULL }, "route53", 1,
		  "/2013-04-01/hostedzone", "https://route53.amazonaws.com/2013-04-01/hostedzone",
		  "/us-east-1/route53/" },
		{ { "AWS_ENDPOINT_URL=http://127.0.0.1:8", NULL }, "route53", 1,
		  "/2013-04-01/hostedzone", "http://127.0.0.1:8/2013-04-01/hostedzone",
		  "/us-east-1/route53/" },
		{ { "AWS_ENDPOINT_URL=http://127.0.0.1:8",
		    "AWS_ENDPOINT_URL_LAMBDA=http://[::1]:7/l", NULL }, "lambda", 0,
		  "/2015-03-31/functions/f", "http://[::1]:7/l/2015-03-31/functions/f",
		  "/eu-west-2/lambda/" },
		{ { "AWS_ENDPOINT_URL_ROUTE_53=http://127.0.0.1:9", NULL }, "lambda", 0,
		  "/2015-03-31/functions/f",
		  "https://lambda.eu-west-2.amazonaws.com/2015-03-31/functions/f",
		  "/eu-west-2/lambda/" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct aws_call call = { .proto = AWS_PROTO_REST_XML,
					       .service = rows[i].service,
					       .region = "eu-west-2", .path = rows[i].path,
					       .global = rows[i].global };
		struct aws_creds_provider *base;
		struct aws_client *c = s_client((char **)rows[i].env, &base);
		struct aws_request r;
		struct si_err err;

		if (aws_client_build(c, &call, &KEYS, 1440938160, &r, &err) != 0)
			fail_msg("row %zu: %s", i, err.msg);
		if (strcmp(r.url, rows[i].url) != 0 ||
		    strstr(s_header_value(&r, "Authorization"), rows[i].scope) == NULL)
			fail_msg("row %zu: %s %s", i, r.url, s_header_value(&r, "Authorization"));
		aws_request_clear(&r);
		aws_client_free(c);
		aws_creds_provider_free(base);
	}
}

/* Paths that could be sent other than signed, other methods, a missing
 * path: refused before anything is built. */
static void test_build_rest_refuses(void **state)
{
	static const char *const bad_paths[] = {
		"2013-04-01/hostedzone", "/a b", "/a?b=1", "/a#b", "/a/../b", "/a/./b", "/a//b",
		"/%zz", "/%4", "/a\nb", "/é",
	};
	char *env[] = { NULL };
	struct aws_creds_provider *base;
	struct aws_client *c = s_client(env, &base);
	struct aws_call call = { .proto = AWS_PROTO_REST_XML, .service = "route53",
				 .global = 1 };
	struct aws_request r;
	struct si_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		call.path = bad_paths[i];
		if (aws_client_build(c, &call, &KEYS, 1440938160, &r, &err) != -1)
			fail_msg("path %zu built: %s", i, r.url);
		assert_int_equal(err.code, SI_ERR_INVALID);
		assert_null(r.url);
	}
	call.path = NULL;
	assert_int_equal(aws_client_build(c, &call, &KEYS, 1440938160, &r, &err), -1);
	call.path = "/2013-04-01/hostedzone";
	call.method = "POST";
	assert_int_equal(aws_client_build(c, &call, &KEYS, 1440938160, &r, &err), -1);
	assert_non_null(strstr(err.msg, "not supported"));
	/* A regional REST service still needs a region. */
	call = (struct aws_call){ .proto = AWS_PROTO_REST_JSON, .service = "lambda",
				  .path = "/2015-03-31/functions/" };
	assert_int_equal(aws_client_build(c, &call, &KEYS, 1440938160, &r, &err), -1);
	aws_client_free(c);
	aws_creds_provider_free(base);
}

/* The resolver's table: service ids for the environment, global endpoints
 * signed for us-east-1, ELBv2 told from ELB by version. */
static void test_resolve_service_ids(void **state)
{
	static const struct {
		const char *service, *version, *region;
		int global;
		const char *env;
		const char *url, *sregion;
	} rows[] = {
		{ "route53", "2013-04-01", NULL, 1, NULL, "https://route53.amazonaws.com",
		  "us-east-1" },
		{ "route53", NULL, "ap-south-1", 1, NULL, "https://route53.amazonaws.com",
		  "us-east-1" },
		{ "route53", NULL, "ap-south-1", 1, "AWS_ENDPOINT_URL_ROUTE_53=http://h:1",
		  "http://h:1", "us-east-1" },
		{ "lambda", NULL, "ap-south-1", 0, NULL, "https://lambda.ap-south-1.amazonaws.com",
		  "ap-south-1" },
		{ "lambda", NULL, "ap-south-1", 0, "AWS_ENDPOINT_URL_LAMBDA=http://h:2",
		  "http://h:2", "ap-south-1" },
		{ "lambda", NULL, NULL, 0, NULL, NULL, NULL },
		{ "elasticloadbalancing", "2015-12-01", "eu-west-1", 0,
		  "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2=http://h:3", "http://h:3",
		  "eu-west-1" },
		{ "elasticloadbalancing", "2012-06-01", "eu-west-1", 0,
		  "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2=http://h:3",
		  "https://elasticloadbalancing.eu-west-1.amazonaws.com", "eu-west-1" },
		{ "elasticloadbalancing", "2012-06-01", "eu-west-1", 0,
		  "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING=http://h:4", "http://h:4",
		  "eu-west-1" },
		{ "autoscaling", "2011-01-01", "eu-west-1", 0,
		  "AWS_ENDPOINT_URL_AUTO_SCALING=http://h:5", "http://h:5", "eu-west-1" },
		{ "autoscaling", "2011-01-01", "eu-west-1", 0,
		  "AWS_ENDPOINT_URL_AUTOSCALING=http://h:5",
		  "https://autoscaling.eu-west-1.amazonaws.com", "eu-west-1" },
		{ "rds", "2014-10-31", "eu-west-1", 0, "AWS_ENDPOINT_URL_RDS=http://h:6",
		  "http://h:6", "eu-west-1" },
		{ "ec2", NULL, "eu-west-1", 0, "AWS_ENDPOINT_URL_EC2=http://h:7", "http://h:7",
		  "eu-west-1" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *env[] = { (char *)rows[i].env, NULL };
		const struct aws_endpoint_req rq = { rows[i].service, rows[i].version,
						     rows[i].region, rows[i].global };
		char *url = NULL, *reg = NULL;
		struct si_err err;
		int rc = aws_query_resolve(&rq, env, &url, &reg, &err);

		if (rows[i].url == NULL) {
			if (rc != -1)
				fail_msg("row %zu: expected failure, got %s", i, url);
			continue;
		}
		if (rc != 0)
			fail_msg("row %zu: %s", i, err.msg);
		if (strcmp(url, rows[i].url) != 0 || strcmp(reg, rows[i].sregion) != 0)
			fail_msg("row %zu: %s %s", i, url, reg);
		free(url);
		free(reg);
	}
}

/* ---- over loopback: what goes on the wire --------------------------------- */

/* How long the server waits for a request: far above any client timeout
 * here, so a failing test fails on an assertion, not a hang. */
#define SRV_WAIT_MS 10000
#define SRV_MAX 4

/* A one-thread HTTP server on 127.0.0.1: one connection per canned reply,
 * each request kept (headers and body) for the test to read. */
struct srv {
	int fd;
	int port;
	pthread_t thread;
	const char *replies[SRV_MAX];
	size_t n_replies;
	char got[SRV_MAX][4096];
};

/* Read one request: headers, then Content-Length bytes of body. */
static void srv_read(int c, char *buf, size_t cap)
{
	size_t n = 0, want = 0;
	const char *end = NULL;

	while (n < cap - 1) {
		struct pollfd p = { c, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, SRV_WAIT_MS) <= 0)
			return;
		r = read(c, buf + n, cap - 1 - n);
		if (r <= 0)
			return;
		n += (size_t)r;
		buf[n] = '\0';
		if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			const char *cl = strstr(buf, "Content-Length: ");

			want = (size_t)(end + 4 - buf);
			if (cl != NULL && cl < end)
				want += strtoul(cl + strlen("Content-Length: "), NULL, 10);
		}
		if (end != NULL && n >= want)
			return;
	}
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;

	for (size_t i = 0; i < s->n_replies; i++) {
		struct pollfd p = { s->fd, POLLIN, 0 };
		int c;

		if (poll(&p, 1, SRV_WAIT_MS) <= 0)
			break;
		c = accept(s->fd, NULL, NULL);
		if (c < 0)
			break;
		srv_read(c, s->got[i], sizeof(s->got[i]));
		(void)send(c, s->replies[i], strlen(s->replies[i]), MSG_NOSIGNAL);
		close(c);
	}
	return NULL;
}

static void srv_start(struct srv *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->fd, 4), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
}

/* One connection, three calls: a REST GET (request line with the query,
 * no body), a query POST on the same easy handle (the method switches
 * back, the body goes out), and a Lambda-style 404 whose code is only in
 * X-Amzn-ErrorType (the body is what Lambda sends: Message and Type). */
static void test_conn_rest_on_the_wire(void **state)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n"
				 "Connection: close\r\n\r\n<x/>";
	static const char nf[] = "HTTP/1.1 404 Not Found\r\n"
				 "X-Amzn-ErrorType: ResourceNotFoundException\r\n"
				 "Content-Type: application/json\r\nContent-Length: 49\r\n"
				 "Connection: close\r\n\r\n"
				 "{\"Message\":\"Function not found: x\",\"Type\":\"User\"}";
	const struct aws_query_param p[] = { { "maxitems", "1" } };
	const struct aws_call get = { .proto = AWS_PROTO_REST_XML, .service = "route53",
				      .action = "ListHostedZones", .global = 1,
				      .path = "/2013-04-01/hostedzone", .params = p,
				      .n_params = 1 };
	const struct aws_call post = { .proto = AWS_PROTO_QUERY, .service = "ec2",
				       .region = "eu-west-2", .action = "DescribeVpcs",
				       .version = "2016-11-15" };
	const struct aws_call lambda = { .proto = AWS_PROTO_REST_JSON, .service = "lambda",
					 .region = "eu-west-2", .action = "GetFunction",
					 .path = "/2015-03-31/functions/x" };
	struct srv s = { .replies = { ok, ok, nf }, .n_replies = 3 };
	char envline[128], *env[2] = { envline, NULL };
	struct aws_creds_provider *base;
	struct aws_client *c;
	struct aws_conn *conn;
	struct aws_outcome o;
	struct si_err err;

	(void)state;
	srv_start(&s);
	snprintf(envline, sizeof(envline), "AWS_ENDPOINT_URL=http://127.0.0.1:%d/base", s.port);
	c = s_client(env, &base);
	conn = aws_conn_new(c, NULL, NULL, NULL, &err);
	assert_non_null(conn);
	if (aws_conn_call(conn, &get, &KEYS, &o, &err) != 0)
		fail_msg("GET: %s", err.msg);
	assert_int_equal(aws_conn_call(conn, &post, &KEYS, &o, &err), 0);
	assert_int_equal(aws_conn_call(conn, &lambda, &KEYS, &o, &err), -1);
	assert_int_equal(pthread_join(s.thread, NULL), 0);
	close(s.fd);

	assert_non_null(strstr(s.got[0],
			       "GET /base/2013-04-01/hostedzone?maxitems=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(s.got[0], "\r\nHost: 127.0.0.1:"));
	assert_non_null(strstr(s.got[0], "/us-east-1/route53/aws4_request"));
	assert_null(strstr(s.got[0], "Content-Length"));
	assert_non_null(strstr(s.got[1], "POST /base HTTP/1.1\r\n"));
	assert_non_null(strstr(s.got[1], "\r\n\r\nAction=DescribeVpcs&Version=2016-11-15"));
	assert_non_null(strstr(s.got[2], "GET /base/2015-03-31/functions/x HTTP/1.1\r\n"));
	assert_int_equal(o.status, 404);
	assert_string_equal(o.code, "ResourceNotFoundException");
	assert_string_equal(o.message, "Function not found: x");
	assert_int_equal(o.retry, 0);
	assert_non_null(strstr(err.msg, "HTTP 404 ResourceNotFoundException"));
	aws_conn_free(conn);
	aws_client_free(c);
	aws_creds_provider_free(base);
}

/* The pure form: the header's code wins over a body without one. */
static void test_classify_typed_header(void **state)
{
	struct fixture *fx = *state;
	const struct aws_call call = { .proto = AWS_PROTO_REST_JSON, .service = "lambda" };
	struct si_http_resp resp;
	struct aws_outcome o;

	si_http_resp_init(&resp, 1024);
	assert_int_equal(si_buf_puts(&resp.body, "{\"Type\":\"User\",\"Message\":\"nope\"}",
				     NULL), 0);
	aws_client_classify(fx->c, &call, CURLE_OK, 404, &resp, 1, &o);
	assert_string_equal(o.code, "");
	assert_string_equal(o.label, "HTTP404");
	aws_client_classify_typed(fx->c, &call, CURLE_OK, 404, &resp,
				  "ResourceNotFoundException:http://internal.amazon.com/coral/"
				  "com.amazonaws.lambda/", 1, &o);
	assert_string_equal(o.code, "ResourceNotFoundException");
	assert_string_equal(o.message, "nope");
	si_http_resp_free(&resp, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_defaults_and_free_null),
		cmocka_unit_test_setup_teardown(test_build_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_no_code_says_so, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assume_params, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conn_call_transport_failure, setup, teardown),
		cmocka_unit_test(test_build_rest_route53_signed),
		cmocka_unit_test(test_build_rest_lambda_encoded_path),
		cmocka_unit_test(test_build_rest_query_encoding),
		cmocka_unit_test(test_build_rest_env_override),
		cmocka_unit_test(test_build_rest_refuses),
		cmocka_unit_test(test_resolve_service_ids),
		cmocka_unit_test(test_conn_rest_on_the_wire),
		cmocka_unit_test_setup_teardown(test_classify_typed_header, setup, teardown),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests_name("aws_client", tests, NULL, NULL);
}
