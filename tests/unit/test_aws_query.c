/*
 * test_aws_query.c - query-protocol request builder: form encoding, header
 * set, a signature re-derived here with OpenSSL alone (not via sigv4.c's
 * canonicaliser), and the endpoint resolution table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "aws/query.h"

#define AK "AKIDEXAMPLE"
#define SK "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
/* 2015-08-30T12:36:00Z, the SigV4 suite's clock. */
#define NOW ((time_t)1440938160)

static char *s_body(const char *action, const struct aws_query_param *p, size_t n)
{
	struct si_buf b;
	struct si_err err;

	si_buf_init(&b, 0);
	if (aws_query_form_body(&b, action, "2016-11-15", p, n, &err) != 0)
		fail_msg("aws_query_form_body: %s", err.msg);
	return si_buf_steal(&b);
}

static void test_body_encoding(void **state)
{
	static const struct {
		const char *value;
		const char *encoded;
	} rows[] = {
		{"a b", "a%20b"},                     /* space is %20, never '+' */
		{"*", "%2A"},                         /* '*' is reserved in RFC 3986 */
		{"~-._", "~-._"},                     /* unreserved kept */
		{"a=b&c=d", "a%3Db%26c%3Dd"},         /* separators escaped */
		{"\xe1\x88\xb4", "%E1%88%B4"},        /* UTF-8 bytes, upper-case hex */
		{"tag:Name", "tag%3AName"},
		{"a+b/c", "a%2Bb%2Fc"},
		{"", ""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct aws_query_param p = {"Filter.1.Value.1", rows[i].value};
		char want[256];
		char *got = s_body("DescribeInstances", &p, 1);

		assert_true(snprintf(want, sizeof(want), "Action=DescribeInstances&"
				     "Version=2016-11-15&Filter.1.Value.1=%s",
				     rows[i].encoded) > 0);
		assert_string_equal(got, want);
		free(got);
	}
}

static void test_body_keeps_parameter_order(void **state)
{
	const struct aws_query_param p[] = {
		{"MaxResults", "5"},
		{"Filter.1.Name", "instance-state-name"},
		{"Filter.1.Value.1", "running"},
		{"InstanceId.1", "i-1234567890abcdef0"},
		{"NextToken", "abc/def=="},
	};
	char *got = s_body("DescribeInstances", p, 5);

	(void)state;
	assert_string_equal(got, "Action=DescribeInstances&Version=2016-11-15&MaxResults=5"
				 "&Filter.1.Name=instance-state-name&Filter.1.Value.1=running"
				 "&InstanceId.1=i-1234567890abcdef0&NextToken=abc%2Fdef%3D%3D");
	free(got);
}

static void test_body_rejects_bad_params(void **state)
{
	struct si_buf b;
	const struct aws_query_param dup = {"Action", "X"};
	const struct aws_query_param noval = {"A", NULL};
	const struct aws_query_param noname = {"", "x"};

	(void)state;
	si_buf_init(&b, 0);
	assert_int_equal(aws_query_form_body(&b, "A", "1", &dup, 1, NULL), -1);
	assert_int_equal(aws_query_form_body(&b, "A", "1", &noval, 1, NULL), -1);
	assert_int_equal(aws_query_form_body(&b, "A", "1", &noname, 1, NULL), -1);
	assert_int_equal(aws_query_form_body(&b, NULL, "1", NULL, 0, NULL), -1);
	assert_int_equal(aws_query_form_body(&b, "A", "", NULL, 0, NULL), -1);
	si_buf_free(&b, 0);
}

/* ---- independent signature check -------------------------------------- */

static void s_hex(const unsigned char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static void s_hmac(const unsigned char *k, size_t kn, const char *d, unsigned char *out)
{
	unsigned int len = 0;

	assert_non_null(HMAC(EVP_sha256(), k, (int)kn, (const unsigned char *)d,
			     strlen(d), out, &len));
	assert_int_equal(len, 32);
}

static void s_sha_hex(const char *d, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(d, n, md, &len, EVP_sha256(), NULL), 1);
	s_hex(md, 32, out);
}

static const char *s_header(const struct aws_query_request *r, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < r->n_headers; i++)
		if (strncmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':' &&
		    r->headers[i][n + 1] == ' ')
			return r->headers[i] + n + 2;
	return NULL;
}

/* Recompute the signature from the request's own bytes, by hand, following
 * the AWS documentation, and compare with its Authorization header. */
static void s_verify(const struct aws_query_request *r, const char *region,
		     const char *service, const char *path)
{
	char creq[4096], sts[1024], auth[1024], hash[65], sig[65];
	const char *token = s_header(r, "X-Amz-Security-Token");
	const char *date = s_header(r, "X-Amz-Date");
	unsigned char k[32];
	char seed[128];
	char date8[9];

	assert_non_null(date);
	s_sha_hex(r->body, r->body_len, hash);
	assert_true(snprintf(creq, sizeof(creq),
			     "POST\n%s\n\ncontent-type:%s\nhost:%s\nx-amz-date:%s\n%s%s%s"
			     "\ncontent-type;host;x-amz-date%s\n%s",
			     path, s_header(r, "Content-Type"), r->host, date,
			     token ? "x-amz-security-token:" : "", token ? token : "",
			     token ? "\n" : "", token ? ";x-amz-security-token" : "",
			     hash) > 0);
	memcpy(date8, date, 8);
	date8[8] = '\0';
	s_sha_hex(creq, strlen(creq), hash);
	assert_true(snprintf(sts, sizeof(sts),
			     "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", date,
			     date8, region, service, hash) > 0);
	assert_true(snprintf(seed, sizeof(seed), "AWS4%s", SK) > 0);
	s_hmac((unsigned char *)seed, strlen(seed), date8, k);
	s_hmac(k, 32, region, k);
	s_hmac(k, 32, service, k);
	s_hmac(k, 32, "aws4_request", k);
	s_hmac(k, 32, sts, k);
	s_hex(k, 32, sig);
	assert_true(snprintf(auth, sizeof(auth),
			     "AWS4-HMAC-SHA256 Credential=" AK "/%s/%s/%s/aws4_request, "
			     "SignedHeaders=content-type;host;x-amz-date%s, Signature=%s",
			     date8, region, service, token ? ";x-amz-security-token" : "",
			     sig) > 0);
	assert_string_equal(s_header(r, "Authorization"), auth);
}

static struct aws_query_request *s_build(const char *endpoint, const char *token,
					 const char *region, const char *service)
{
	const struct aws_query_param p[] = {
		{"Filter.1.Name", "tag:Name"},
		{"Filter.1.Value.1", "web *"},
	};
	struct aws_query_input in;
	struct aws_query_request *r = NULL;
	struct si_err err;

	memset(&in, 0, sizeof(in));
	in.action = "DescribeInstances";
	in.version = "2016-11-15";
	in.params = p;
	in.n_params = 2;
	in.access_key_id = AK;
	in.secret_access_key = SK;
	in.session_token = token;
	in.region = region;
	in.service = service;
	in.endpoint = endpoint;
	in.now = NOW;
	if (aws_query_build(&in, &r, &err) != 0)
		fail_msg("aws_query_build: %s", err.msg);
	return r;
}

static void test_build_signature_verifies(void **state)
{
	struct aws_query_request *r = s_build("https://ec2.eu-west-1.amazonaws.com", NULL,
					      "eu-west-1", "ec2");

	(void)state;
	assert_string_equal(r->url, "https://ec2.eu-west-1.amazonaws.com/");
	assert_string_equal(r->host, "ec2.eu-west-1.amazonaws.com");
	assert_string_equal(r->body, "Action=DescribeInstances&Version=2016-11-15"
				     "&Filter.1.Name=tag%3AName&Filter.1.Value.1=web%20%2A");
	assert_int_equal(r->body_len, strlen(r->body));
	assert_int_equal(r->n_headers, 4);
	assert_string_equal(r->headers[0], "Content-Type: " AWS_QUERY_CONTENT_TYPE);
	assert_string_equal(r->headers[1], "Host: ec2.eu-west-1.amazonaws.com");
	assert_string_equal(r->headers[2], "X-Amz-Date: 20150830T123600Z");
	assert_null(s_header(r, "X-Amz-Security-Token"));
	s_verify(r, "eu-west-1", "ec2", "/");
	aws_query_request_free(r);
}

static void test_build_session_token_iff_given(void **state)
{
	struct aws_query_request *r = s_build("https://sts.amazonaws.com", "FQoGZXIvYXdzEXAMPLE/+=",
					      "us-east-1", "sts");

	(void)state;
	assert_int_equal(r->n_headers, 5);
	assert_string_equal(s_header(r, "X-Amz-Security-Token"), "FQoGZXIvYXdzEXAMPLE/+=");
	assert_string_equal(r->headers[4],
			    s_header(r, "Authorization") - strlen("Authorization: "));
	s_verify(r, "us-east-1", "sts", "/");
	aws_query_request_free(r);
	/* An empty token is no token. */
	r = s_build("https://sts.amazonaws.com", "", "us-east-1", "sts");
	assert_int_equal(r->n_headers, 4);
	assert_null(s_header(r, "X-Amz-Security-Token"));
	aws_query_request_free(r);
}

static void test_build_host_from_endpoint(void **state)
{
	static const struct {
		const char *endpoint, *url, *host, *path;
	} rows[] = {
		{"http://127.0.0.1:4566", "http://127.0.0.1:4566/", "127.0.0.1:4566", "/"},
		{"http://127.0.0.1:80/", "http://127.0.0.1/", "127.0.0.1", "/"},
		{"https://localhost:443", "https://localhost/", "localhost", "/"},
		{"https://localhost:8443/aws/", "https://localhost:8443/aws/", "localhost:8443",
		 "/aws/"},
		{"http://[::1]:9000", "http://[::1]:9000/", "[::1]:9000", "/"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct aws_query_request *r = s_build(rows[i].endpoint, "tok", "us-west-2", "ec2");
		char hostline[128];

		assert_string_equal(r->url, rows[i].url);
		assert_string_equal(r->host, rows[i].host);
		assert_true(snprintf(hostline, sizeof(hostline), "Host: %s", rows[i].host) > 0);
		assert_string_equal(r->headers[1], hostline);
		s_verify(r, "us-west-2", "ec2", rows[i].path);
		aws_query_request_free(r);
	}
}

static void test_build_rejects_bad_endpoint(void **state)
{
	static const char *const bad[] = {
		"ftp://127.0.0.1", "127.0.0.1:4566", "http://", "http://user@127.0.0.1",
		"http://127.0.0.1/?x=1", "http://127.0.0.1:0", "http://127.0.0.1:65536",
		"http://127.0.0.1:12ab", "http://127.0.0.1/a%20b", "http://exa mple.com",
		"http://[::1", NULL,
	};
	struct aws_query_input in;
	struct aws_query_request *r = (struct aws_query_request *)&in;
	size_t i;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.action = "GetCallerIdentity";
	in.version = "2011-06-15";
	in.access_key_id = AK;
	in.secret_access_key = SK;
	in.region = "us-east-1";
	in.service = "sts";
	in.now = NOW;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		in.endpoint = bad[i];
		assert_int_equal(aws_query_build(&in, &r, NULL), -1);
		assert_null(r);
	}
	aws_query_request_free(NULL);
}

/* ---- endpoint resolution ---------------------------------------------- */

static void test_resolve_endpoint_table(void **state)
{
	static const struct {
		const char *service, *region;
		const char *env[4];
		const char *url, *signing_region; /* NULL url: must fail */
	} rows[] = {
		/* STS defaults to the global endpoint, signed as us-east-1. */
		{"sts", "eu-west-1", {NULL}, "https://sts.amazonaws.com", "us-east-1"},
		{"sts", NULL, {NULL}, "https://sts.amazonaws.com", "us-east-1"},
		{"sts", "eu-west-1", {"AWS_STS_REGIONAL_ENDPOINTS=legacy"},
		 "https://sts.amazonaws.com", "us-east-1"},
		{"sts", "eu-west-1", {"AWS_STS_REGIONAL_ENDPOINTS=regional"},
		 "https://sts.eu-west-1.amazonaws.com", "eu-west-1"},
		{"sts", NULL, {"AWS_STS_REGIONAL_ENDPOINTS=regional"}, NULL, NULL},
		{"sts", "cn-north-1", {NULL},
		 "https://sts.cn-north-1.amazonaws.com.cn", "cn-north-1"},
		/* Overrides: service-specific beats generic, empty is unset. */
		{"sts", "eu-west-1", {"AWS_ENDPOINT_URL=http://127.0.0.1:1"},
		 "http://127.0.0.1:1", "eu-west-1"},
		{"sts", "eu-west-1", {"AWS_ENDPOINT_URL_STS=http://127.0.0.1:2"},
		 "http://127.0.0.1:2", "eu-west-1"},
		{"sts", "eu-west-1",
		 {"AWS_ENDPOINT_URL=http://127.0.0.1:1", "AWS_ENDPOINT_URL_STS=http://127.0.0.1:2"},
		 "http://127.0.0.1:2", "eu-west-1"},
		{"sts", "eu-west-1",
		 {"AWS_ENDPOINT_URL_STS=http://127.0.0.1:2", "AWS_ENDPOINT_URL=http://127.0.0.1:1"},
		 "http://127.0.0.1:2", "eu-west-1"},
		{"sts", "eu-west-1",
		 {"AWS_ENDPOINT_URL_STS=", "AWS_ENDPOINT_URL=http://127.0.0.1:1"},
		 "http://127.0.0.1:1", "eu-west-1"},
		{"sts", NULL, {"AWS_ENDPOINT_URL_STS=http://127.0.0.1:2"},
		 "http://127.0.0.1:2", "us-east-1"},
		{"sts", "eu-west-1",
		 {"AWS_ENDPOINT_URL_STS=http://127.0.0.1:2", "AWS_STS_REGIONAL_ENDPOINTS=regional"},
		 "http://127.0.0.1:2", "eu-west-1"},
		{"sts", "eu-west-1", {"AWS_ENDPOINT_URL_EC2=http://127.0.0.1:3"},
		 "https://sts.amazonaws.com", "us-east-1"},
		/* EC2 is always regional. */
		{"ec2", "ap-southeast-2", {NULL},
		 "https://ec2.ap-southeast-2.amazonaws.com", "ap-southeast-2"},
		{"ec2", "ap-southeast-2", {"AWS_STS_REGIONAL_ENDPOINTS=regional"},
		 "https://ec2.ap-southeast-2.amazonaws.com", "ap-southeast-2"},
		{"ec2", "us-east-1", {"AWS_ENDPOINT_URL=http://127.0.0.1:1"},
		 "http://127.0.0.1:1", "us-east-1"},
		{"ec2", "us-east-1", {"AWS_ENDPOINT_URL_EC2=http://127.0.0.1:3"},
		 "http://127.0.0.1:3", "us-east-1"},
		{"ec2", "us-east-1",
		 {"AWS_ENDPOINT_URL=http://127.0.0.1:1", "AWS_ENDPOINT_URL_EC2=http://127.0.0.1:3"},
		 "http://127.0.0.1:3", "us-east-1"},
		{"ec2", "us-east-1", {"AWS_ENDPOINT_URL_STS=http://127.0.0.1:2"},
		 "https://ec2.us-east-1.amazonaws.com", "us-east-1"},
		{"ec2", "us-east-1",
		 {"AWS_ENDPOINT_URL_EC2X=http://127.0.0.1:9",
		  "XAWS_ENDPOINT_URL=http://127.0.0.1:9"},
		 "https://ec2.us-east-1.amazonaws.com", "us-east-1"},
		{"ec2", NULL, {NULL}, NULL, NULL},
		{"ec2", NULL, {"AWS_ENDPOINT_URL=http://127.0.0.1:1"}, NULL, NULL},
		{"ec2", "us-east-1.evil.com/", {NULL}, NULL, NULL},
		{"ec2", "", {NULL}, NULL, NULL},
		{"", "us-east-1", {NULL}, NULL, NULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *url = (char *)1, *reg = (char *)1;
		struct si_err err;
		int rc = aws_query_resolve_endpoint(rows[i].service, rows[i].region,
						    (char *const *)rows[i].env, &url, &reg, &err);

		if (rows[i].url == NULL) {
			if (rc != -1)
				fail_msg("row %zu: expected failure, got %s", i, url);
			assert_null(url);
			assert_null(reg);
			continue;
		}
		if (rc != 0)
			fail_msg("row %zu: %s", i, err.msg);
		assert_string_equal(url, rows[i].url);
		assert_string_equal(reg, rows[i].signing_region);
		free(url);
		free(reg);
	}
}

static void test_resolve_endpoint_null_envp(void **state)
{
	char *url, *reg;

	(void)state;
	assert_int_equal(aws_query_resolve_endpoint("ec2", "us-east-1", NULL, &url, &reg, NULL), 0);
	assert_string_equal(url, "https://ec2.us-east-1.amazonaws.com");
	free(url);
	free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_encoding),
		cmocka_unit_test(test_body_keeps_parameter_order),
		cmocka_unit_test(test_body_rejects_bad_params),
		cmocka_unit_test(test_build_signature_verifies),
		cmocka_unit_test(test_build_session_token_iff_given),
		cmocka_unit_test(test_build_host_from_endpoint),
		cmocka_unit_test(test_build_rejects_bad_endpoint),
		cmocka_unit_test(test_resolve_endpoint_table),
		cmocka_unit_test(test_resolve_endpoint_null_envp),
	};

	return cmocka_run_group_tests_name("aws_query", tests, NULL, NULL);
}
