/*
 * test_sigv4.c - SigV4 against the aws-c-auth v4 suite in $SI_TESTDATA/sigv4/.
 *
 * The suite is data: main() walks the folder and registers one test per
 * case and signing mode ("<case>/header", "<case>/query"), so adding a
 * case folder adds a test. Each test parses request.txt and context.json,
 * signs, and compares canonical request, string to sign and signature with
 * the reference files byte for byte. Fixed tests for the key cache and
 * input checks follow.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "aws/sigv4.h"

/* The suite has 38 cases; 1024 bounds the directory walk. */
#define MAX_CASES 1024
/* request.txt files are a few hundred bytes. */
#define MAX_HEADERS 32

struct case_arg {
	char *dir;   /* absolute path of the case folder */
	int query;   /* 0: header- files, 1: query- files */
	char *name;  /* "<case>/header" */
};

static char *s_join(const char *a, const char *b)
{
	int n = snprintf(NULL, 0, "%s/%s", a, b);
	char *p;

	assert_true(n > 0);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(snprintf(p, (size_t)n + 1, "%s/%s", a, b), n);
	return p;
}

/* Read a file's exact bytes, NUL-terminated. */
static char *s_read(const char *dir, const char *file, size_t *len)
{
	char *path = s_join(dir, file);
	FILE *f = fopen(path, "rb");
	char *data;
	long sz;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	assert_true(sz >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	data = malloc((size_t)sz + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)sz, f), (size_t)sz);
	data[sz] = '\0';
	fclose(f);
	free(path);
	if (len != NULL)
		*len = (size_t)sz;
	return data;
}

/* A parsed request.txt; all strings point into or are owned by it. */
struct parsed {
	char *text;   /* the file, modified in place */
	char *method;
	char *path;
	char *query;
	struct sigv4_header hdrs[MAX_HEADERS];
	char *values[MAX_HEADERS]; /* owned: values with folded lines */
	size_t n_hdrs;
	const char *body;
	size_t body_len;
};

/* Request line "METHOD target HTTP/1.1" (the target may contain spaces),
 * header lines (a line starting with whitespace continues the previous
 * value; the fold is kept as "\n" + line so the signer must collapse it),
 * a blank line, then the body. */
static void s_parse_request(const char *dir, struct parsed *r)
{
	size_t len;
	char *p, *eol, *sp, *q;

	memset(r, 0, sizeof(*r));
	r->text = s_read(dir, "request.txt", &len);
	p = r->text;
	eol = strchr(p, '\n');
	assert_non_null(eol);
	*eol = '\0';
	sp = strchr(p, ' ');
	assert_non_null(sp);
	*sp = '\0';
	r->method = p;
	q = strrchr(sp + 1, ' ');
	assert_non_null(q);
	*q = '\0';
	r->path = sp + 1;
	q = strchr(r->path, '?');
	if (q != NULL) {
		*q = '\0';
		r->query = q + 1;
	}
	p = eol + 1;
	r->body = "";
	while (*p != '\0') {
		eol = strchr(p, '\n');
		if (eol != NULL)
			*eol = '\0';
		if (*p == '\0') { /* blank line: the body follows */
			r->body = eol + 1;
			r->body_len = len - (size_t)(eol + 1 - r->text);
			break;
		}
		if (*p == ' ' || *p == '\t') {
			char *prev;
			size_t n;

			assert_true(r->n_hdrs > 0);
			prev = r->values[r->n_hdrs - 1];
			size_t plen = strlen(prev), addlen = strlen(p);

			n = plen + 1 + addlen + 1;
			r->values[r->n_hdrs - 1] = realloc(prev, n);
			assert_non_null(r->values[r->n_hdrs - 1]);
			r->values[r->n_hdrs - 1][plen] = '\n';
			memcpy(r->values[r->n_hdrs - 1] + plen + 1, p, addlen + 1);
		} else {
			char *colon = strchr(p, ':');

			assert_non_null(colon);
			assert_true(r->n_hdrs < MAX_HEADERS);
			*colon = '\0';
			r->hdrs[r->n_hdrs].name = p;
			r->values[r->n_hdrs] = strdup(colon + 1);
			assert_non_null(r->values[r->n_hdrs]);
			r->n_hdrs++;
		}
		if (eol == NULL)
			break;
		p = eol + 1;
	}
	for (len = 0; len < r->n_hdrs; len++)
		r->hdrs[len].value = r->values[len];
}

static void s_parsed_free(struct parsed *r)
{
	size_t i;

	for (i = 0; i < r->n_hdrs; i++)
		free(r->values[i]);
	free(r->text);
}

struct context {
	json_object *root;
	const char *ak, *sk, *token, *region, *service, *timestamp;
	int normalize, sign_body, omit_token;
	long expires;
};

static const char *s_jstr(json_object *o, const char *key, int required)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v)) {
		if (required)
			fail_msg("context.json lacks %s", key);
		return NULL;
	}
	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static int s_jbool(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	assert_true(json_object_is_type(v, json_type_boolean));
	return json_object_get_boolean(v);
}

static void s_parse_context(const char *dir, struct context *c)
{
	char *path = s_join(dir, "context.json");
	json_object *creds, *v;

	memset(c, 0, sizeof(*c));
	c->root = json_object_from_file(path);
	if (c->root == NULL)
		fail_msg("cannot parse %s", path);
	free(path);
	assert_true(json_object_object_get_ex(c->root, "credentials", &creds));
	c->ak = s_jstr(creds, "access_key_id", 1);
	c->sk = s_jstr(creds, "secret_access_key", 1);
	c->token = s_jstr(creds, "token", 0);
	c->region = s_jstr(c->root, "region", 1);
	c->service = s_jstr(c->root, "service", 1);
	c->timestamp = s_jstr(c->root, "timestamp", 1);
	c->normalize = s_jbool(c->root, "normalize");
	c->sign_body = s_jbool(c->root, "sign_body");
	c->omit_token = s_jbool(c->root, "omit_session_token");
	assert_true(json_object_object_get_ex(c->root, "expiration_in_seconds", &v));
	c->expires = (long)json_object_get_int64(v);
}

static void s_expect_file(const char *dir, const char *prefix, const char *what,
			  const char *got)
{
	char file[128];
	char *want;

	assert_true(snprintf(file, sizeof(file), "%s-%s.txt", prefix, what) > 0);
	want = s_read(dir, file, NULL);
	if (strcmp(want, got) != 0) {
		print_error("%s/%s differs:\n--- want\n%s\n--- got\n%s\n", dir, file,
			    want, got);
		free(want);
		fail();
	}
	free(want);
}

static void test_suite_case(void **state)
{
	const struct case_arg *a = *state;
	const char *prefix = a->query ? "query" : "header";
	struct sigv4_credentials creds;
	struct sigv4_request req;
	struct sigv4_params params;
	struct sigv4_result res;
	struct parsed r;
	struct context c;
	struct si_err err;

	s_parse_request(a->dir, &r);
	s_parse_context(a->dir, &c);
	memset(&params, 0, sizeof(params));
	assert_int_equal(sigv4_parse_iso8601(c.timestamp, &params.now, &err), 0);
	params.region = c.region;
	params.service = c.service;
	params.normalize_path = c.normalize;
	params.sign_body = c.sign_body;
	params.omit_session_token = c.omit_token;
	params.mode = a->query ? SIGV4_MODE_QUERY : SIGV4_MODE_HEADER;
	params.expires = c.expires;
	creds.access_key_id = c.ak;
	creds.secret_access_key = c.sk;
	creds.session_token = c.token;
	req.method = r.method;
	req.path = r.path;
	req.query = r.query;
	req.headers = r.hdrs;
	req.n_headers = r.n_hdrs;
	req.body = r.body;
	req.body_len = r.body_len;

	if (sigv4_sign(&req, &creds, &params, &res, &err) != 0)
		fail_msg("sigv4_sign: %s", err.msg);
	s_expect_file(a->dir, prefix, "canonical-request", res.canonical_request);
	s_expect_file(a->dir, prefix, "string-to-sign", res.string_to_sign);
	s_expect_file(a->dir, prefix, "signature", res.signature);
	if (a->query) {
		assert_null(res.authorization);
		assert_non_null(strstr(res.presigned_query, res.signature));
	} else {
		/* The Authorization value must be the one in the signed request. */
		char *signed_req = s_read(a->dir, "header-signed-request.txt", NULL);

		assert_non_null(strstr(signed_req, res.authorization));
		assert_string_equal(res.add[res.n_add - 1].name, "Authorization");
		assert_true((c.token != NULL) ==
			    (strcmp(res.add[1].name, "X-Amz-Security-Token") == 0));
		free(signed_req);
	}
	sigv4_result_free(&res);
	json_object_put(c.root);
	s_parsed_free(&r);
}

/* ---- fixed tests ------------------------------------------------------ */

static const char s_secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

static void test_key_cache_reuse_and_date_change(void **state)
{
	struct sigv4_key_cache *c = sigv4_key_cache_new(4, NULL);
	unsigned char k1[SIGV4_KEY_LEN], k2[SIGV4_KEY_LEN], k3[SIGV4_KEY_LEN];
	unsigned char plain[SIGV4_KEY_LEN];
	unsigned long hits, misses;

	(void)state;
	assert_non_null(c);
	assert_int_equal(sigv4_derive_key(c, s_secret, "20150830", "us-east-1", "service", k1,
					  NULL), 0);
	assert_int_equal(sigv4_derive_key(c, s_secret, "20150830", "us-east-1", "service", k2,
					  NULL), 0);
	assert_memory_equal(k1, k2, SIGV4_KEY_LEN);
	sigv4_key_cache_stats(c, &hits, &misses);
	assert_int_equal(hits, 1);
	assert_int_equal(misses, 1);
	/* The cached key equals an uncached derivation. */
	assert_int_equal(sigv4_derive_key(NULL, s_secret, "20150830", "us-east-1", "service", plain,
					  NULL), 0);
	assert_memory_equal(k1, plain, SIGV4_KEY_LEN);
	/* Next day: a new key, computed (miss), not served from the cache. */
	assert_int_equal(sigv4_derive_key(c, s_secret, "20150831", "us-east-1", "service", k3,
					  NULL), 0);
	assert_memory_not_equal(k1, k3, SIGV4_KEY_LEN);
	sigv4_key_cache_stats(c, &hits, &misses);
	assert_int_equal(hits, 1);
	assert_int_equal(misses, 2);
	sigv4_key_cache_free(c);
}

static void test_key_cache_distinguishes_tuple(void **state)
{
	struct sigv4_key_cache *c = sigv4_key_cache_new(8, NULL);
	unsigned char base[SIGV4_KEY_LEN], k[SIGV4_KEY_LEN];

	(void)state;
	assert_non_null(c);
	assert_int_equal(sigv4_derive_key(c, s_secret, "20150830", "us-east-1", "ec2", base, NULL),
			 0);
	assert_int_equal(sigv4_derive_key(c, s_secret, "20150830", "eu-west-1", "ec2", k, NULL), 0);
	assert_memory_not_equal(base, k, SIGV4_KEY_LEN);
	assert_int_equal(sigv4_derive_key(c, s_secret, "20150830", "us-east-1", "sts", k, NULL), 0);
	assert_memory_not_equal(base, k, SIGV4_KEY_LEN);
	assert_int_equal(sigv4_derive_key(c, "otherSecret", "20150830", "us-east-1", "ec2", k,
					  NULL), 0);
	assert_memory_not_equal(base, k, SIGV4_KEY_LEN);
	assert_int_equal(sigv4_derive_key(c, s_secret, "20150830", "us-east-1", "ec2", k, NULL), 0);
	assert_memory_equal(base, k, SIGV4_KEY_LEN);
	sigv4_key_cache_free(c);
}

static void test_key_cache_evicts_lru(void **state)
{
	struct sigv4_key_cache *c = sigv4_key_cache_new(2, NULL);
	unsigned char k[SIGV4_KEY_LEN];
	unsigned long hits, misses;

	(void)state;
	assert_non_null(c);
	assert_int_equal(sigv4_derive_key(c, s_secret, "20150830", "r-a", "ec2", k, NULL), 0);
	assert_int_equal(sigv4_derive_key(c, s_secret, "20150830", "r-b", "ec2", k, NULL), 0);
	/* hit */
	assert_int_equal(sigv4_derive_key(c, s_secret, "20150830", "r-a", "ec2", k, NULL), 0);
	/* evicts r-b */
	assert_int_equal(sigv4_derive_key(c, s_secret, "20150830", "r-c", "ec2", k, NULL), 0);
	/* hit */
	assert_int_equal(sigv4_derive_key(c, s_secret, "20150830", "r-a", "ec2", k, NULL), 0);
	/* miss */
	assert_int_equal(sigv4_derive_key(c, s_secret, "20150830", "r-b", "ec2", k, NULL), 0);
	sigv4_key_cache_stats(c, &hits, &misses);
	assert_int_equal(hits, 2);
	assert_int_equal(misses, 4);
	sigv4_key_cache_free(c);
}

static void test_key_cache_bad_capacity(void **state)
{
	struct si_err err;

	(void)state;
	assert_null(sigv4_key_cache_new(0, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(sigv4_key_cache_new(SIGV4_KEY_CACHE_MAX + 1, &err));
	sigv4_key_cache_free(NULL);
}

/* A minimal valid request, for the negative tests to break one field. */
static void s_minimal(struct sigv4_request *req, struct sigv4_credentials *cr,
		      struct sigv4_params *p, struct sigv4_header *h)
{
	h[0].name = "Host";
	h[0].value = "example.amazonaws.com";
	memset(req, 0, sizeof(*req));
	req->method = "GET";
	req->path = "/";
	req->headers = h;
	req->n_headers = 1;
	cr->access_key_id = "AKIDEXAMPLE";
	cr->secret_access_key = s_secret;
	cr->session_token = NULL;
	memset(p, 0, sizeof(*p));
	p->region = "us-east-1";
	p->service = "service";
	p->now = 1440938160; /* 2015-08-30T12:36:00Z */
	p->normalize_path = 1;
}

static void test_sign_rejects_bad_input(void **state)
{
	struct sigv4_request req;
	struct sigv4_credentials cr;
	struct sigv4_params p;
	struct sigv4_header h[2];
	struct sigv4_result res;
	struct si_err err;

	(void)state;
	s_minimal(&req, &cr, &p, h);
	assert_int_equal(sigv4_sign(&req, &cr, &p, &res, &err), 0);
	/* s_minimal is the suite's get-vanilla case: same signature. */
	{
		char *dir = s_join(getenv("SI_TESTDATA"), "sigv4/get-vanilla");
		char *want = s_read(dir, "header-signature.txt", NULL);

		assert_string_equal(res.signature, want);
		free(want);
		free(dir);
	}
	sigv4_result_free(&res);

	h[0].name = "X-Other";
	assert_int_equal(sigv4_sign(&req, &cr, &p, &res, &err), -1); /* no Host */
	assert_null(res.authorization);
	s_minimal(&req, &cr, &p, h);
	h[1].name = "X-Amz-Date";
	h[1].value = "20000101T000000Z";
	req.n_headers = 2;
	assert_int_equal(sigv4_sign(&req, &cr, &p, &res, &err), -1); /* signer-owned */
	s_minimal(&req, &cr, &p, h);
	p.region = "us-east-1/x";
	assert_int_equal(sigv4_sign(&req, &cr, &p, &res, &err), -1);
	s_minimal(&req, &cr, &p, h);
	cr.session_token = "tok\r\nX-Injected: 1";
	assert_int_equal(sigv4_sign(&req, &cr, &p, &res, &err), -1);
	s_minimal(&req, &cr, &p, h);
	req.path = "relative";
	assert_int_equal(sigv4_sign(&req, &cr, &p, &res, &err), -1);
	s_minimal(&req, &cr, &p, h);
	h[0].name = "Bad Name";
	assert_int_equal(sigv4_sign(&req, &cr, &p, &res, &err), -1);
	s_minimal(&req, &cr, &p, h);
	p.mode = SIGV4_MODE_QUERY;
	p.expires = 0;
	assert_int_equal(sigv4_sign(&req, &cr, &p, &res, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	sigv4_result_free(NULL);
}

/* Same request, same clock: the cache must not change the signature. */
static void test_sign_with_cache_matches(void **state)
{
	struct sigv4_request req;
	struct sigv4_credentials cr;
	struct sigv4_params p;
	struct sigv4_header h[1];
	struct sigv4_result a, b;

	(void)state;
	s_minimal(&req, &cr, &p, h);
	assert_int_equal(sigv4_sign(&req, &cr, &p, &a, NULL), 0);
	p.cache = sigv4_key_cache_new(2, NULL);
	assert_non_null(p.cache);
	assert_int_equal(sigv4_sign(&req, &cr, &p, &b, NULL), 0);
	assert_string_equal(a.signature, b.signature);
	sigv4_result_free(&b);
	assert_int_equal(sigv4_sign(&req, &cr, &p, &b, NULL), 0);
	assert_string_equal(a.signature, b.signature);
	sigv4_key_cache_free(p.cache);
	sigv4_result_free(&a);
	sigv4_result_free(&b);
}

static void test_iso8601(void **state)
{
	time_t t;
	char d[SIGV4_AMZ_DATE_LEN];

	(void)state;
	assert_int_equal(sigv4_parse_iso8601("2015-08-30T12:36:00Z", &t, NULL), 0);
	assert_int_equal((long long)t, 1440938160LL);
	assert_int_equal(sigv4_format_amz_date(t, d, NULL), 0);
	assert_string_equal(d, "20150830T123600Z");
	assert_int_equal(sigv4_parse_iso8601("2015-08-30 12:36:00Z", &t, NULL), -1);
	assert_int_equal(sigv4_parse_iso8601("2015-13-30T12:36:00Z", &t, NULL), -1);
	assert_int_equal(sigv4_parse_iso8601("2015-08-30T12:36:00+01:00", &t, NULL), -1);
	assert_int_equal(sigv4_parse_iso8601("2015-08-3xT12:36:00Z", &t, NULL), -1);
}

static void test_uri_encode(void **state)
{
	struct si_buf b;

	(void)state;
	si_buf_init(&b, 0);
	assert_int_equal(sigv4_uri_encode(&b, "a b/~*%+\xe1\x88\xb4", 11, 0, NULL), 0);
	assert_string_equal(b.data, "a%20b%2F~%2A%25%2B%E1%88%B4");
	si_buf_reset(&b);
	assert_int_equal(sigv4_uri_encode(&b, "/a b/", 5, 1, NULL), 0);
	assert_string_equal(b.data, "/a%20b/");
	si_buf_free(&b, 0);
}

/* ---- registration ----------------------------------------------------- */

static int s_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect the case folder names under root, sorted. Returns the count. */
static size_t s_list_cases(const char *root, char **names)
{
	DIR *d = opendir(root);
	struct dirent *de;
	size_t n = 0;

	if (d == NULL) {
		fprintf(stderr, "cannot open %s\n", root);
		return 0;
	}
	while ((de = readdir(d)) != NULL && n < MAX_CASES) {
		char *dir, *req;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		dir = s_join(root, de->d_name);
		req = s_join(dir, "request.txt");
		if (stat(req, &st) == 0 && S_ISREG(st.st_mode)) {
			names[n] = strdup(de->d_name);
			if (names[n] != NULL)
				n++;
		}
		free(req);
		free(dir);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), s_name_cmp);
	return n;
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_key_cache_reuse_and_date_change),
		cmocka_unit_test(test_key_cache_distinguishes_tuple),
		cmocka_unit_test(test_key_cache_evicts_lru),
		cmocka_unit_test(test_key_cache_bad_capacity),
		cmocka_unit_test(test_sign_rejects_bad_input),
		cmocka_unit_test(test_sign_with_cache_matches),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_uri_encode),
	};
	const size_t n_fixed = sizeof(fixed) / sizeof(fixed[0]);
	const char *td = getenv("SI_TESTDATA");
	char *root, **names;
	struct CMUnitTest *tests;
	struct case_arg *args;
	size_t n, i, k = 0;
	int rc;

	if (td == NULL || td[0] == '\0') {
		fprintf(stderr, "SI_TESTDATA is not set\n");
		return 1;
	}
	root = s_join(td, "sigv4");
	names = calloc(MAX_CASES, sizeof(*names));
	if (names == NULL)
		return 1;
	n = s_list_cases(root, names);
	if (n == 0) {
		fprintf(stderr, "no SigV4 cases under %s\n", root);
		return 1;
	}
	tests = calloc(2 * n + n_fixed, sizeof(*tests));
	args = calloc(2 * n, sizeof(*args));
	if (tests == NULL || args == NULL)
		return 1;
	for (i = 0; i < 2 * n; i++) {
		struct case_arg *a = &args[i];
		size_t len = strlen(names[i / 2]) + sizeof("/header");

		a->dir = s_join(root, names[i / 2]);
		a->query = (int)(i % 2);
		a->name = malloc(len);
		if (a->name == NULL ||
		    snprintf(a->name, len, "%s/%s", names[i / 2],
			     a->query ? "query" : "header") <= 0)
			return 1;
		tests[k].name = a->name;
		tests[k].test_func = test_suite_case;
		tests[k].initial_state = a;
		k++;
	}
	for (i = 0; i < n_fixed; i++)
		tests[k++] = fixed[i];
	rc = _cmocka_run_group_tests("sigv4", tests, k, NULL, NULL);
	for (i = 0; i < 2 * n; i++) {
		free(args[i].dir);
		free(args[i].name);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(args);
	free(tests);
	free(root);
	return rc;
}
