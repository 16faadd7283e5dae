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

#include <stdlib.h>
#include <string.h>

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
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests_name("aws_client", tests, NULL, NULL);
}
