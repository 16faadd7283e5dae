/*
 * test_aws_errors.c - AWS error answers of every protocol, read as botocore
 * reads them.
 *
 * The oracle is data: every XML answer in $SI_TESTDATA/aws-xml and every
 * JSON error case in $SI_TESTDATA/aws-json, each checked against botocore's
 * expected parse (the response-parsing fixtures' Error/ResponseMetadata, the
 * protocol test cases' errorCode/errorMessage). A new fixture upstream is
 * picked up by the loops without code. Then aws_error_describe, the one
 * call that turns any failed answer into what callers show.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <libxml/parser.h>

#include "aws/json_error.h"
#include "aws/xml.h"
#include "fixture.h"
#include "util/strutil.h"

/* Fewer fixtures than this means the folder was not read, not that the
 * data shrank: 23 XML error files and 33 JSON error cases when written. */
#define S_MIN_XML_ERRORS 20
#define S_MIN_JSON_ERRORS 30
#define S_MAX_FILES 1024

/* ---- helpers --------------------------------------------------------- */

/* $SI_TESTDATA/sub/<name without suffix><other>: a fixture's oracle. */
static void s_sibling(char *out, size_t cap, const char *sub, const char *name,
		      const char *suffix, const char *other)
{
	const char *root = getenv("SI_TESTDATA");
	size_t n = strlen(name), k = strlen(suffix);
	int w;

	assert_non_null(root);
	assert_true(n >= k && strcmp(name + n - k, suffix) == 0);
	w = snprintf(out, cap, "%s/%s/%.*s%s", root, sub, (int)(n - k), name, other);
	assert_true(w > 0 && (size_t)w < cap);
}

/* A string of botocore's oracle; "" counts as absent (our NULL). */
static const char *s_str(struct json_object *o, const char *key)
{
	struct json_object *v = fixture_get(o, key);
	const char *s = v != NULL ? json_object_get_string(v) : NULL;

	return s != NULL && s[0] != '\0' ? s : NULL;
}

static void s_expect(const char *what, const char *field, const char *want, const char *got)
{
	if (want == NULL && got == NULL)
		return;
	if (want == NULL || got == NULL || strcmp(want, got) != 0)
		fail_msg("%s: %s: expected %s%s%s, got %s%s%s", what, field,
			 want ? "\"" : "", want ? want : "(none)", want ? "\"" : "",
			 got ? "\"" : "", got ? got : "(none)", got ? "\"" : "");
}

static int s_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int s_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The file names in $SI_TESTDATA/sub ending in suffix, sorted so failures
 * name the same file on every run. Free with s_names_free. */
static char **s_list(const char *sub, const char *suffix, size_t *n)
{
	char dir[1024];
	char **v = calloc(S_MAX_FILES, sizeof(*v));
	struct dirent *d;
	DIR *dp;

	assert_non_null(v);
	*n = 0;
	fixture_path(dir, sizeof(dir), sub, NULL);
	dp = opendir(dir);
	if (dp == NULL)
		fail_msg("cannot open %s", dir);
	while ((d = readdir(dp)) != NULL) {
		if (!s_ends_with(d->d_name, suffix))
			continue;
		assert_true(*n < S_MAX_FILES);
		v[*n] = strdup(d->d_name);
		assert_non_null(v[*n]);
		(*n)++;
	}
	closedir(dp);
	qsort(v, *n, sizeof(*v), s_cmp_names);
	return v;
}

static void s_names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- XML: every file of aws-xml/ -------------------------------------- */

/* The protocol-suite case whose response body is this XML file: the
 * fixture is one case of a suite ("cases") or, for the legacy suites, the
 * case object itself. NULL when none matches (a broken fixture pair). */
static struct json_object *s_protocol_case(struct json_object *j, const struct fixture_blob *xml)
{
	struct json_object *cases = fixture_get(j, "cases");
	size_t n = cases != NULL ? json_object_array_length(cases) : 0;

	if (cases == NULL) {
		const char *body = s_str(fixture_get(j, "response"), "body");

		return body != NULL && strcmp(body, xml->data) == 0 ? j : NULL;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(cases, i);
		const char *body = s_str(fixture_get(c, "response"), "body");

		if (body != NULL && strcmp(body, xml->data) == 0)
			return c;
	}
	return NULL;
}

/*
 * One XML error file against botocore's oracle. Response-parsing fixtures
 * give Error.Code, Error.Message and ResponseMetadata.RequestId; a
 * RequestId missing there (S3's bare <Error>: botocore takes the id from
 * the x-amz-request-id header, which the fixture does not have) is not
 * compared. Protocol cases give errorCode and, where botocore's protocol
 * test checks one, errorMessage; their request id is not part of the
 * oracle. Assumes aws_xml_parse_error succeeded into *e.
 */
static void s_check_xml_oracle(const char *name, struct json_object *j,
			       const struct fixture_blob *xml, const struct aws_error *e)
{
	struct json_object *error = fixture_get(j, "Error"), *c;
	struct aws_error d;
	struct si_err err = { 0 };
	long status = 400;

	if (error != NULL) {
		s_expect(name, "Code", s_str(error, "Code"), e->code);
		s_expect(name, "Message", s_str(error, "Message"), e->message);
		if (s_str(fixture_get(j, "ResponseMetadata"), "RequestId") != NULL)
			s_expect(name, "RequestId",
				 s_str(fixture_get(j, "ResponseMetadata"), "RequestId"),
				 e->request_id);
		else if (SI_HAS_PREFIX(name, "s3-"))
			assert_non_null(e->request_id); /* ours comes from the body */
		else
			fail_msg("%s: botocore's parse has no RequestId", name);
	} else {
		c = s_protocol_case(j, xml);
		if (c == NULL)
			fail_msg("%s: no case of its .expected.json has this body", name);
		s_expect(name, "errorCode", s_str(c, "errorCode"), e->code);
		if (fixture_get(c, "errorMessage") != NULL)
			s_expect(name, "errorMessage", s_str(c, "errorMessage"), e->message);
		status = json_object_get_int(fixture_get(fixture_get(c, "response"),
							 "status_code"));
	}
	/* What callers show goes by the same parse. */
	assert_int_equal(aws_error_describe(status, xml->data, xml->len, NULL, &d, &err), 0);
	s_expect(name, "describe code", e->code, d.code);
	assert_non_null(d.message);
	aws_error_clear(&d);
}

/* Does this .expected.json describe an error (botocore's Error key, or a
 * protocol case with errorCode)? */
static int s_is_error_oracle(struct json_object *j)
{
	struct json_object *cases = fixture_get(j, "cases");

	if (fixture_get(j, "Error") != NULL || fixture_get(j, "errorCode") != NULL)
		return 1;
	for (size_t i = 0; cases != NULL && i < json_object_array_length(cases); i++)
		if (fixture_get(json_object_array_get_idx(cases, i), "errorCode") != NULL)
			return 1;
	return 0;
}

struct s_xml_counts {
	size_t with_oracle;  /* error answers compared with botocore */
	size_t no_oracle;    /* error answers without an expected.json */
	size_t success;      /* success answers: must not read as errors */
};

/*
 * One file of aws-xml/: an error answer with botocore's oracle is compared
 * with it; an error answer without one (documentation or captured samples,
 * named "error") must still give a code; every other answer is a success
 * answer and must not be taken for an error envelope, however loose the
 * root rule is.
 */
static void s_check_xml_file(const char *name, struct s_xml_counts *k)
{
	char path[1024];
	struct fixture_blob xml, exp;
	struct json_object *j = NULL;
	struct aws_error e;
	struct si_err err = { 0 };
	int rc;

	fixture_path(path, sizeof(path), "aws-xml", name);
	assert_int_equal(fixture_try_load(path, &xml), 0);
	s_sibling(path, sizeof(path), "aws-xml", name, ".xml", ".expected.json");
	if (fixture_try_load(path, &exp) == 0) {
		j = fixture_json(&exp, path);
		free(exp.data);
	}
	rc = aws_xml_parse_error(xml.data, xml.len, &e, &err);
	if (j != NULL && s_is_error_oracle(j)) {
		if (rc != 0)
			fail_msg("%s: %s", name, err.msg);
		s_check_xml_oracle(name, j, &xml, &e);
		k->with_oracle++;
	} else if (strstr(name, "error") != NULL) {
		if (rc != 0 || e.code == NULL)
			fail_msg("%s: no error code read (%s)", name, rc ? err.msg : "no Code");
		k->no_oracle++;
	} else {
		if (rc == 0)
			fail_msg("%s: success answer read as error %s", name, e.code ? e.code : "");
		k->success++;
	}
	if (rc == 0)
		aws_error_clear(&e);
	json_object_put(j);
	free(xml.data);
}

static void test_every_xml_fixture(void **state)
{
	struct s_xml_counts k = { 0 };
	size_t n;
	char **names = s_list("aws-xml", ".xml", &n);

	(void)state;
	for (size_t i = 0; i < n; i++)
		s_check_xml_file(names[i], &k);
	print_message("aws-xml: %zu error answers matched botocore, %zu more read with a code, "
		      "%zu success answers not taken for errors\n",
		      k.with_oracle, k.no_oracle, k.success);
	assert_true(k.with_oracle >= S_MIN_XML_ERRORS);
	s_names_free(names, n);
}

/* ---- JSON: every error case of aws-json/ ------------------------------- */

/* The X-Amzn-ErrorType header of a case (header names are
 * case-insensitive; the suites write "X-Amzn-Errortype"), or NULL. */
static const char *s_errortype(struct json_object *headers)
{
	if (headers == NULL || !json_object_is_type(headers, json_type_object))
		return NULL;
	json_object_object_foreach(headers, key, val) {
		if (strcasecmp(key, "X-Amzn-ErrorType") == 0)
			return json_object_get_string(val);
	}
	return NULL;
}

/* One protocol-test case: errorCode always, errorMessage when the case
 * lists it (as botocore's test_protocols does). */
static void s_check_json_case(const char *name, struct json_object *c)
{
	struct json_object *resp = fixture_get(c, "response");
	const char *body = s_str(resp, "body");
	const char *hdr = s_errortype(fixture_get(resp, "headers"));
	size_t len = body != NULL ? strlen(body) : 0;
	struct aws_error e, d;
	struct si_err err = { 0 };
	char what[512];

	snprintf(what, sizeof(what), "%s case %s", name,
		 s_str(c, "id") ? s_str(c, "id") : s_str(c, "errorCode"));
	if (aws_json_parse_error(body, len, hdr, &e, &err) != 0)
		fail_msg("%s: %s", what, err.msg);
	s_expect(what, "errorCode", s_str(c, "errorCode"), e.code);
	if (fixture_get(c, "errorMessage") != NULL)
		s_expect(what, "errorMessage", s_str(c, "errorMessage"), e.message);
	assert_null(e.request_id);
	assert_int_equal(aws_error_describe(json_object_get_int(fixture_get(resp, "status_code")),
					    body, len, hdr, &d, &err), 0);
	s_expect(what, "describe code", e.code, d.code);
	aws_error_clear(&d);
	aws_error_clear(&e);
}

/* A response-parsing fixture: the body file and botocore's parse of it. */
static void s_check_json_fixture(const char *name, const struct fixture_blob *body,
				 struct json_object *exp)
{
	struct aws_error e;
	struct si_err err = { 0 };

	if (aws_json_parse_error(body->data, body->len, NULL, &e, &err) != 0)
		fail_msg("%s: %s", name, err.msg);
	s_expect(name, "Code", s_str(fixture_get(exp, "Error"), "Code"), e.code);
	s_expect(name, "Message", s_str(fixture_get(exp, "Error"), "Message"), e.message);
	s_expect(name, "RequestId", s_str(fixture_get(exp, "ResponseMetadata"), "RequestId"),
		 e.request_id);
	aws_error_clear(&e);
}

/* A success body (no oracle): read as an object, it must carry no code. */
static void s_check_json_success(const char *name, const struct fixture_blob *body)
{
	struct aws_error e;
	struct si_err err = { 0 };

	if (aws_json_parse_error(body->data, body->len, NULL, &e, &err) != 0)
		return; /* e.g. an example cut from a larger file: not an object */
	if (e.code != NULL)
		fail_msg("%s: success answer read as error %s", name, e.code);
	aws_error_clear(&e);
}

/*
 * One file of aws-json/: a protocol suite (every case with an errorCode
 * is run), a response-parsing error body with its .expected.json, or a
 * success body. The .expected.json files are oracles, not inputs.
 */
static size_t s_check_json_file(const char *name)
{
	char path[1024];
	struct fixture_blob b, exp;
	struct json_object *j, *cases;
	size_t k = 0;

	if (s_ends_with(name, ".expected.json"))
		return 0;
	fixture_path(path, sizeof(path), "aws-json", name);
	assert_int_equal(fixture_try_load(path, &b), 0);
	if (SI_HAS_PREFIX(name, "protocol-")) {
		j = fixture_json(&b, name);
		cases = fixture_get(j, "cases");
		for (size_t i = 0; cases != NULL && i < json_object_array_length(cases); i++) {
			struct json_object *c = json_object_array_get_idx(cases, i);

			if (fixture_get(c, "errorCode") == NULL)
				continue;
			s_check_json_case(name, c);
			k++;
		}
		json_object_put(j);
	} else {
		s_sibling(path, sizeof(path), "aws-json", name, ".json", ".expected.json");
		if (fixture_try_load(path, &exp) == 0) {
			j = fixture_json(&exp, path);
			s_check_json_fixture(name, &b, j);
			json_object_put(j);
			free(exp.data);
			k++;
		} else {
			s_check_json_success(name, &b);
		}
	}
	free(b.data);
	return k;
}

static void test_every_json_case(void **state)
{
	size_t n, k = 0;
	char **names = s_list("aws-json", ".json", &n);

	(void)state;
	for (size_t i = 0; i < n; i++)
		k += s_check_json_file(names[i]);
	print_message("aws-json: %zu error cases matched botocore\n", k);
	assert_true(k >= S_MIN_JSON_ERRORS);
	s_names_free(names, n);
}

/* ---- the shapes botocore accepts and the old parser did not ----------- */

static void s_parse_xml(const char *x, const char *code, const char *msg, const char *rid)
{
	struct aws_error e;
	struct si_err err = { 0 };

	if (aws_xml_parse_error(x, strlen(x), &e, &err) != 0)
		fail_msg("%s: %s", x, err.msg);
	s_expect(x, "code", code, e.code);
	s_expect(x, "message", msg, e.message);
	s_expect(x, "request id", rid, e.request_id);
	aws_error_clear(&e);
}

/* The answer of issue 10: Query's root with EC2's wrapper. */
static void test_error_response_with_errors_wrapper(void **state)
{
	static const char x[] = "<ErrorResponse"
				" xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
				"<Errors><Error><Code>AccessDenied</Code><Message>no</Message>"
				"</Error></Errors><RequestId>r-1</RequestId></ErrorResponse>";
	struct ec2_instance_list l;
	struct si_err err = { 0 };

	(void)state;
	s_parse_xml(x, "AccessDenied", "no", "r-1");
	/* A success parser handed it reports the code, not "unexpected root". */
	assert_int_equal(aws_xml_parse_describe_instances(x, sizeof(x) - 1, &l, &err), -1);
	assert_int_equal(err.code, SI_ERR_REMOTE);
	assert_non_null(strstr(err.msg, "AccessDenied"));
}

static void test_any_root(void **state)
{
	(void)state;
	s_parse_xml("<Whatever><Error><Code>C</Code></Error><RequestID>x</RequestID></Whatever>",
		    "C", NULL, "x");
	s_parse_xml("<Response><Errors><Error><Code>C</Code></Error></Errors>"
		    "<RequestId>y</RequestId></Response>", "C", NULL, "y");
	/* EC2's spelling wins when both are there (botocore's EC2 parser). */
	s_parse_xml("<Response><Errors><Error><Code>C</Code></Error></Errors>"
		    "<RequestId>y</RequestId><RequestID>z</RequestID></Response>", "C", NULL, "z");
	/* The wrapped Error wins over a sibling one (botocore folds Errors up). */
	s_parse_xml("<R><Error><Code>Outer</Code></Error><Errors><Error><Code>Inner</Code>"
		    "</Error></Errors></R>", "Inner", NULL, NULL);
	/* An id inside a wrapped Error is taken when the root has none. */
	s_parse_xml("<ErrorResponse><Error><Code>C</Code><RequestId>in</RequestId></Error>"
		    "</ErrorResponse>", "C", NULL, "in");
	/* Namespaces do not matter, whitespace around values does not either. */
	s_parse_xml("<a:E xmlns:a=\"urn:x\"><a:Error><a:Code> C </a:Code>"
		    "<a:Message>\n m \n</a:Message></a:Error></a:E>", "C", "m", NULL);
}

static void test_error_without_code(void **state)
{
	static const char x[] = "<Response><Errors><Error><Message>m</Message>"
				"</Error></Errors><RequestID>r</RequestID></Response>";

	(void)state;
	s_parse_xml(x, NULL, "m", "r");
}

static void test_not_an_error_answer(void **state)
{
	static const char *const bad[] = {
		"<DescribeRegionsResponse><regionInfo/></DescribeRegionsResponse>",
		"<Response><Errors/></Response>",
		"<Code>C</Code>",
		"<html><body>502 Bad Gateway</body></html>",
		"<Error><Code>C</Code>",
	};
	struct aws_error e;
	struct si_err err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (aws_xml_parse_error(bad[i], strlen(bad[i]), &e, &err) != -1)
			fail_msg("read as an error answer: %s", bad[i]);
		assert_int_equal(err.code, SI_ERR_INVALID);
		assert_null(e.code);
	}
}

/* ---- JSON edge cases --------------------------------------------------- */

static void s_parse_json(const char *body, const char *hdr, const char *code, const char *msg)
{
	struct aws_error e;
	struct si_err err = { 0 };

	if (aws_json_parse_error(body, strlen(body), hdr, &e, &err) != 0)
		fail_msg("%s: %s", body, err.msg);
	s_expect(body, "code", code, e.code);
	s_expect(body, "message", msg, e.message);
	assert_null(e.request_id);
	aws_error_clear(&e);
}

static void test_json_edges(void **state)
{
	struct aws_error e;
	struct si_err err = { 0 };

	(void)state;
	/* Organizations (JSON 1.1). */
	s_parse_json("{\"__type\":\"AWSOrganizationsNotInUseException\",\"Message\":\"m\"}",
		     NULL, "AWSOrganizationsNotInUseException", "m");
	/* "message" wins over "Message"; non-strings and "" are no value. */
	s_parse_json("{\"__type\":\"A\",\"Message\":\"M\",\"message\":\"m\"}", NULL, "A", "m");
	s_parse_json("{\"__type\":7,\"code\":\"\",\"Code\":\"C\",\"message\":{}}", NULL, "C", NULL);
	/* API Gateway's 403 has only a message. */
	s_parse_json("{\"message\":\"Missing Authentication Token\"}", NULL, NULL,
		     "Missing Authentication Token");
	/* Header only; a body that is not JSON then costs only the message. */
	s_parse_json("", "ns#Throttled:http://x", "Throttled", NULL);
	s_parse_json("<html/>", "Throttled", "Throttled", NULL);
	s_parse_json("{}", " Spaced ", "Spaced", NULL);
	/* Not an error envelope. */
	assert_int_equal(aws_json_parse_error("[1]", 3, NULL, &e, &err), -1);
	assert_int_equal(aws_json_parse_error("{} x", 4, NULL, &e, &err), -1);
	assert_int_equal(aws_json_parse_error("{\"a\":", 5, NULL, &e, &err), -1);
	assert_int_equal(aws_json_parse_error("", 0, NULL, &e, &err), -1);
	assert_int_equal(aws_json_parse_error(NULL, 0, NULL, &e, &err), -1);
	assert_null(e.code);
}

static void test_json_limits(void **state)
{
	size_t cap = AWS_JSON_ERROR_MAX_DOC + 64;
	char *x = malloc(cap);
	struct aws_error e;
	struct si_err err = { 0 };
	size_t o;

	(void)state;
	assert_non_null(x);
	/* Over the document cap. */
	memset(x, ' ', cap);
	x[0] = '{';
	x[cap - 1] = '}';
	assert_int_equal(aws_json_parse_error(x, cap, NULL, &e, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	/* Nesting past the depth cap is refused, not recursed into. */
	o = 0;
	for (size_t i = 0; i < 64; i++)
		o += (size_t)snprintf(x + o, cap - o, "{\"a\":");
	assert_int_equal(aws_json_parse_error(x, o, NULL, &e, &err), -1);
	/* A code too long to be one. */
	o = (size_t)snprintf(x, cap, "{\"__type\":\"");
	memset(x + o, 'A', 300);
	o += 300;
	o += (size_t)snprintf(x + o, cap - o, "\"}");
	assert_int_equal(aws_json_parse_error(x, o, NULL, &e, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	free(x);
}

/* ---- aws_error_describe ------------------------------------------------ */

static void s_describe(long status, const char *body, const char *hdr, const char *code,
		       const char *msg)
{
	struct aws_error d;
	struct si_err err = { 0 };

	assert_int_equal(aws_error_describe(status, body, body ? strlen(body) : 0, hdr, &d,
					    &err), 0);
	s_expect(body ? body : "(null)", "code", code, d.code);
	s_expect(body ? body : "(null)", "message", msg, d.message);
	aws_error_clear(&d);
}

static void test_describe(void **state)
{
	(void)state;
	s_describe(400, "<Response><Errors><Error><Code>InvalidParameterValue</Code>"
		   "<Message>bad</Message></Error></Errors></Response>",
		   NULL, "InvalidParameterValue", "bad");
	/* A code without a message: "" so callers can print it. */
	s_describe(400, "<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>",
		   NULL, "Throttling", "");
	/* No code: say so, with the status, and keep the message. */
	s_describe(403, "<ErrorResponse><Errors><Error><Message>denied</Message></Error>"
		   "</Errors></ErrorResponse>", NULL, NULL, "HTTP 403, no error code: denied");
	s_describe(403, "", NULL, NULL, "HTTP 403, no error code");
	s_describe(503, NULL, NULL, NULL, "HTTP 503, no error code");
	s_describe(502, "<html><body><b>Bad Gateway</b></body></html>", NULL, NULL,
		   "HTTP 502, no error code");
	s_describe(500, "upstream timed out", NULL, NULL, "HTTP 500, no error code");
	s_describe(400, "<Response><Errors><Error><Code>C</Code>", NULL, NULL,
		   "HTTP 400, no error code");
	/* JSON, after whitespace and a byte order mark. */
	s_describe(400, "\xEF\xBB\xBF \n{\"__type\":\"ns#TooManyRequestsException\","
		   "\"message\":\"slow\"}", NULL, "TooManyRequestsException", "slow");
	s_describe(403, "{\"message\":\"Missing Authentication Token\"}", NULL, NULL,
		   "HTTP 403, no error code: Missing Authentication Token");
	s_describe(500, "", "FooError:http://internal", "FooError", "");
	s_describe(500, "oops", "FooError", "FooError", "");
	/* A DTD is refused as always: no code, no expansion. */
	s_describe(400, "<!DOCTYPE x [<!ENTITY a \"b\">]><Error><Code>&a;</Code></Error>",
		   NULL, NULL, "HTTP 400, no error code");
}

static void test_describe_request_id(void **state)
{
	static const char x[] = "<Response><Errors><Error><Code>AuthFailure</Code></Error>"
				"</Errors><RequestID>5b48</RequestID></Response>";
	struct aws_error d;
	struct si_err err = { 0 };

	(void)state;
	assert_int_equal(aws_error_describe(401, x, sizeof(x) - 1, NULL, &d, &err), 0);
	assert_string_equal(d.code, "AuthFailure");
	assert_string_equal(d.request_id, "5b48");
	aws_error_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_xml_fixture),
		cmocka_unit_test(test_every_json_case),
		cmocka_unit_test(test_error_response_with_errors_wrapper),
		cmocka_unit_test(test_any_root),
		cmocka_unit_test(test_error_without_code),
		cmocka_unit_test(test_not_an_error_answer),
		cmocka_unit_test(test_json_edges),
		cmocka_unit_test(test_json_limits),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_describe_request_id),
	};
	int rc;

	xmlInitParser();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
