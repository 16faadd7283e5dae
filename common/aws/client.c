/*
 * client.c - the one AWS client (see client.h): endpoints, signing, the
 * libcurl setup, error classification, retries and the shared cache of
 * assumed-role credentials.
 */
#include "aws/client.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "aws/retry.h"
#include "aws/sigv4.h"
#include "aws/sts_cache.h"
#include "util/backoff.h"
#include "util/clock.h"
#include "util/metrics.h"
#include "util/strutil.h"

#define S_STS_VERSION "2011-06-15"

/* The request document of a JSON-protocol call is a few hundred bytes
 * (ListAccounts: MaxResults and a NextToken); 64 KiB stops a runaway. */
#define S_MAX_JSON_BODY ((size_t)64 * 1024)

/* RoleSessionName: at most 64 characters of [\w+=,.@-] (STS API). */
#define S_SESSION_MAX 64

/* An environment longer than this is broken; the bound keeps the copy
 * loop finite even if envp lacks its NULL. */
#define S_MAX_ENV 4096

struct aws_client {
	struct aws_creds_provider *base;  /* borrowed */
	struct sts_cache *sts;            /* owned: THE cache of assumed roles */
	struct sigv4_key_cache *keys;     /* owned */
	char **envp;                      /* owned: the endpoint variables only */
	char *ca_bundle;                  /* AWS_CA_BUNDLE or NULL */
	long connect_timeout_ms;
	long timeout_ms;
	int max_attempts;
	char session_name[S_SESSION_MAX + 1];
};

struct aws_conn {
	struct aws_client *c;             /* borrowed */
	CURL *easy;
	struct si_http_resp resp;
	const atomic_int *abort;          /* borrowed, may be NULL */
	aws_conn_wait_fn wait;
	void *wait_arg;
	uint32_t rng;                     /* backoff jitter */
};

/* ---- construction ------------------------------------------------------- */

/* Keep the variables endpoint resolution reads (AWS_ENDPOINT_URL,
 * AWS_ENDPOINT_URL_<SERVICE>, AWS_STS_REGIONAL_ENDPOINTS) and the CA
 * bundle path; nothing else of the environment is held. */
static int s_copy_env(struct aws_client *c, char *const *envp, struct si_err *err)
{
	size_t n = 0, k = 0;
	const char *ca;

	while (envp != NULL && n < S_MAX_ENV && envp[n] != NULL)
		n++;
	c->envp = calloc(n + 1, sizeof(*c->envp));
	if (c->envp == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (!SI_HAS_PREFIX(envp[i], "AWS_ENDPOINT_URL") &&
		    !SI_HAS_PREFIX(envp[i], "AWS_STS_REGIONAL_ENDPOINTS="))
			continue;
		c->envp[k] = strdup(envp[i]);
		if (c->envp[k++] == NULL)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		ca = SI_AFTER_PREFIX(envp[i], "AWS_CA_BUNDLE=");
		if (ca == NULL || ca[0] == '\0')
			continue;
		free(c->ca_bundle);
		c->ca_bundle = strdup(ca);
		if (c->ca_bundle == NULL)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* RoleSessionName shows in CloudTrail: by default name the host we run on.
 * Only [\w+=,.@-] is allowed, at most 64 characters. */
static void s_session_name(struct aws_client *c, const char *given)
{
	char host[48];

	if (given != NULL && given[0] != '\0') {
		snprintf(c->session_name, sizeof(c->session_name), "%s", given);
		return;
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("+=,.@-_", *p) == NULL)
			*p = '-';
	snprintf(c->session_name, sizeof(c->session_name), "slash-infra-%s", host);
}

/* Why everything is fixed here: the client is shared by every thread, and
 * only its two caches (which lock) change after this. Assumes base is a
 * thread-safe provider (every provider in aws/creds.h is). */
struct aws_client *aws_client_new(const struct aws_client_opts *opts, char *const *envp,
				  struct aws_creds_provider *base, struct si_err *err)
{
	const struct aws_client_opts none = {0};
	struct aws_client *c;

	if (base == NULL) {
		si_err_set(err, SI_ERR_INVALID, "aws client: no base credentials");
		return NULL;
	}
	if (opts == NULL)
		opts = &none;
	c = si_zalloc(sizeof(*c), err);
	if (c == NULL)
		return NULL;
	c->base = base;
	c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
							     : AWS_CLIENT_CONNECT_TIMEOUT_MS;
	c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : AWS_CLIENT_TIMEOUT_MS;
	c->max_attempts = opts->max_attempts > 0 ? opts->max_attempts : AWS_CLIENT_MAX_ATTEMPTS;
	s_session_name(c, opts->session_name);
	c->sts = sts_cache_new(opts->sts_cache_cap ? opts->sts_cache_cap
						   : AWS_CLIENT_STS_CACHE_CAP);
	c->keys = sigv4_key_cache_new(AWS_CLIENT_KEY_CACHE_CAP, err);
	if (c->sts == NULL || c->keys == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (s_copy_env(c, envp, err) != 0)
		goto fail;
	return c;
fail:
	aws_client_free(c);
	return NULL;
}

void aws_client_free(struct aws_client *c)
{
	if (c == NULL)
		return;
	sts_cache_free(c->sts);
	sigv4_key_cache_free(c->keys);
	for (size_t i = 0; c->envp != NULL && c->envp[i] != NULL; i++)
		free(c->envp[i]);
	free(c->envp);
	free(c->ca_bundle);
	free(c);
}

struct aws_creds_provider *aws_client_base(struct aws_client *c)
{
	return c->base;
}

long aws_client_timeout_ms(const struct aws_client *c)
{
	return c->timeout_ms;
}

int aws_client_max_attempts(const struct aws_client *c)
{
	return c->max_attempts;
}

const char *aws_client_session_name(const struct aws_client *c)
{
	return c->session_name;
}

/* ---- building requests -------------------------------------------------- */

void aws_request_clear(struct aws_request *r)
{
	if (r == NULL)
		return;
	free(r->url);
	free(r->body);
	si_http_headers_free(r->headers);
	memset(r, 0, sizeof(*r));
}

static int s_add_header(struct aws_request *r, const char *line, struct si_err *err)
{
	struct curl_slist *t = curl_slist_append(r->headers, line);

	if (t == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	r->headers = t;
	return 0;
}

/* A query-protocol request: aws/query.c builds and signs it; its parts
 * move into r. */
static int s_build_query(struct aws_client *c, const struct aws_call *call,
			 const struct aws_keys *k, const char *url, const char *sregion,
			 time_t now, struct aws_request *r, struct si_err *err)
{
	struct aws_query_input qi;
	struct aws_query_request *q = NULL;
	int rc = -1;

	memset(&qi, 0, sizeof(qi));
	qi.action = call->action;
	qi.version = call->version;
	qi.params = call->params;
	qi.n_params = call->n_params;
	qi.access_key_id = k->access_key_id;
	qi.secret_access_key = k->secret_access_key;
	qi.session_token = k->session_token;
	qi.region = sregion;
	qi.service = call->service;
	qi.endpoint = url;
	qi.now = now;
	qi.cache = c->keys;
	if (aws_query_build(&qi, &q, err) != 0)
		return -1;
	for (size_t i = 0; i < q->n_headers; i++)
		if (s_add_header(r, q->headers[i], err) != 0)
			goto out;
	r->url = q->url;
	r->body = q->body;
	r->body_len = q->body_len;
	q->url = NULL;
	q->body = NULL;
	rc = 0;
out:
	aws_query_request_free(q);
	return rc;
}

/* Split "scheme://host[:port][/path]" into the Host header value and the
 * path to sign ("/" when none). */
static int s_split_url(const char *url, char *host, size_t host_len, const char **path,
		       struct si_err *err)
{
	const char *p = strstr(url, "://"), *slash;
	size_t n;

	if (p == NULL)
		return si_err_set(err, SI_ERR_INVALID, "aws: endpoint is not a URL");
	p += SI_LITLEN("://");
	slash = strchr(p, '/');
	n = slash ? (size_t)(slash - p) : strlen(p);
	if (n == 0 || n >= host_len)
		return si_err_set(err, SI_ERR_INVALID, "aws: bad endpoint host");
	memcpy(host, p, n);
	host[n] = '\0';
	*path = slash ? slash : "/";
	return 0;
}

/* Append "name: value" to r, refusing lines that do not fit. */
static int s_add_pair(struct aws_request *r, const char *name, const char *value,
		      struct si_err *err)
{
	char line[AWS_QUERY_MAX_URL + 2048];
	int n = snprintf(line, sizeof(line), "%s: %s", name, value);
	int rc;

	if (n <= 0 || (size_t)n >= sizeof(line))
		rc = si_err_set(err, SI_ERR_LIMIT, "aws: header %s too long", name);
	else
		rc = s_add_header(r, line, err);
	/* The line may have held the Authorization or token value. */
	OPENSSL_cleanse(line, sizeof(line));
	return rc;
}

/* Sign sr with k for (sregion, service) at now, as every service but S3
 * wants it (header mode, normalised path), and add to r the request's
 * own headers, then the signer's (X-Amz-Date, the token, Authorization). */
static int s_sign_into(struct aws_client *c, const struct sigv4_request *sr,
		       const struct aws_keys *k, const char *sregion, const char *service,
		       time_t now, struct aws_request *r, struct si_err *err)
{
	struct sigv4_credentials sc = { k->access_key_id, k->secret_access_key,
					k->session_token };
	struct sigv4_params sp;
	struct sigv4_result res;
	int rc = -1;

	memset(&res, 0, sizeof(res));
	memset(&sp, 0, sizeof(sp));
	sp.region = sregion;
	sp.service = service;
	sp.now = now;
	sp.normalize_path = 1;
	sp.mode = SIGV4_MODE_HEADER;
	sp.cache = c->keys;
	if (sigv4_sign(sr, &sc, &sp, &res, err) != 0)
		return -1;
	for (size_t i = 0; i < sr->n_headers; i++)
		if (s_add_pair(r, sr->headers[i].name, sr->headers[i].value, err) != 0)
			goto out;
	for (size_t i = 0; i < res.n_add; i++)
		if (s_add_pair(r, res.add[i].name, res.add[i].value, err) != 0)
			goto out;
	rc = 0;
out:
	sigv4_result_free(&res);
	return rc;
}

/* A JSON 1.1 request (Organizations): POST the document to the endpoint's
 * path with X-Amz-Target, signed over Host, X-Amz-Target and Content-Type
 * as the SDKs sign it. Assumes call->target and call->json_body are set. */
static int s_build_json(struct aws_client *c, const struct aws_call *call,
			const struct aws_keys *k, const char *url, const char *sregion,
			time_t now, struct aws_request *r, struct si_err *err)
{
	static const char ctype[] = "application/x-amz-json-1.1";
	char host[AWS_QUERY_MAX_URL];
	const char *path = "/";
	struct sigv4_header sh[3];
	struct sigv4_request sr;
	size_t blen = strlen(call->json_body);

	if (blen > S_MAX_JSON_BODY)
		return si_err_set(err, SI_ERR_LIMIT, "aws: request body over %zu bytes",
				  S_MAX_JSON_BODY);
	if (s_split_url(url, host, sizeof(host), &path, err) != 0)
		return -1;
	sh[0] = (struct sigv4_header){ "Host", host };
	sh[1] = (struct sigv4_header){ "X-Amz-Target", call->target };
	sh[2] = (struct sigv4_header){ "Content-Type", ctype };
	sr = (struct sigv4_request){ "POST", path, NULL, sh, 3, call->json_body, blen };
	if (s_sign_into(c, &sr, k, sregion, call->service, now, r, err) != 0)
		return -1;
	r->url = strdup(url);
	r->body = si_strndup(call->json_body, blen);
	r->body_len = blen;
	if (r->url == NULL || r->body == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return 0;
}

/* A REST path as the caller must give it: absolute, already
 * percent-encoded (unreserved bytes, '/', %XX), no empty, "." or ".."
 * segment. Anything else could be sent other than it was signed: libcurl
 * removes dot segments, and a raw '?', '#' or space would change the
 * request line. */
static int s_rest_path_ok(const char *p)
{
	size_t seg = 0;

	if (p == NULL || p[0] != '/')
		return 0;
	for (size_t i = 1;; i++) {
		char ch = p[i];

		if (ch == '/' || ch == '\0') {
			size_t n = i - seg - 1;

			if ((n == 0 && ch == '/') ||
			    (n == 1 && p[seg + 1] == '.') ||
			    (n == 2 && p[seg + 1] == '.' && p[seg + 2] == '.'))
				return 0;
			if (ch == '\0')
				return 1;
			seg = i;
		} else if (ch == '%') {
			if (si_hexval(p[i + 1]) < 0 || si_hexval(p[i + 2]) < 0)
				return 0;
			i += 2;
		} else if (!isalnum((unsigned char)ch) && strchr("-._~", ch) == NULL) {
			return 0;
		}
	}
}

/* The query string of a REST call: name=value pairs in the caller's order,
 * each RFC 3986-encoded as aws_query_form_body encodes (the signer sorts
 * its own canonical copy, so the order sent does not matter). */
static int s_rest_query(struct si_buf *q, const struct aws_call *call, struct si_err *err)
{
	if (call->n_params > SIGV4_MAX_QUERY_PARAMS)
		return si_err_set(err, SI_ERR_LIMIT, "aws: more than %d query parameters",
				  SIGV4_MAX_QUERY_PARAMS);
	if (call->n_params > 0 && call->params == NULL)
		return si_err_set(err, SI_ERR_INVALID, "aws: NULL params");
	for (size_t i = 0; i < call->n_params; i++) {
		const char *n = call->params[i].name, *v = call->params[i].value;

		if (n == NULL || n[0] == '\0' || v == NULL)
			return si_err_set(err, SI_ERR_INVALID,
					  "aws: query parameter %zu has no name or value", i);
		if ((i > 0 && si_buf_append(q, "&", 1, err) != 0) ||
		    sigv4_uri_encode(q, n, strlen(n), 0, err) != 0 ||
		    si_buf_append(q, "=", 1, err) != 0 ||
		    sigv4_uri_encode(q, v, strlen(v), 0, err) != 0)
			return -1;
	}
	return 0;
}

/* The endpoint's own path (an override such as http://host:9/base) joined
 * with the call's path, and the full URL with its query string. */
static int s_rest_url(const char *url, const char *path, const struct si_buf *q,
		      struct si_buf *full_path, struct si_buf *full_url, struct si_err *err)
{
	const char *host = strstr(url, "://"), *base;
	size_t plen, blen;

	if (host == NULL)
		return si_err_set(err, SI_ERR_INVALID, "aws: endpoint is not a URL");
	base = strchr(host + SI_LITLEN("://"), '/');
	if (base == NULL)
		base = url + strlen(url);
	plen = (size_t)(base - url);
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (si_buf_append(full_path, base, blen, err) != 0 ||
	    si_buf_puts(full_path, path, err) != 0 ||
	    si_buf_append(full_url, url, plen, err) != 0 ||
	    si_buf_append(full_url, full_path->data, full_path->len, err) != 0)
		return -1;
	if (q->len > 0 && (si_buf_append(full_url, "?", 1, err) != 0 ||
			   si_buf_append(full_url, q->data, q->len, err) != 0))
		return -1;
	return 0;
}

/* Why its own builder: REST services (Route 53's rest-xml, Lambda's
 * rest-json) take a GET whose path and query string carry the request, so
 * both are signed (SigV4: the path as sent, encoded once more, which is
 * what AWS expects of every service but S3; the query sorted by the
 * signer), over Host and X-Amz-Date (and the token), with the empty body's
 * hash. Assumes the endpoint and signing region are resolved. */
static int s_build_rest(struct aws_client *c, const struct aws_call *call,
			const struct aws_keys *k, const char *url, const char *sregion,
			time_t now, struct aws_request *r, struct si_err *err)
{
	char host[AWS_QUERY_MAX_URL];
	const char *base;
	struct sigv4_header sh[1];
	struct sigv4_request sr;
	struct si_buf q, path, full;
	int rc = -1;

	si_buf_init(&q, AWS_CLIENT_MAX_REST_URL);
	si_buf_init(&path, AWS_CLIENT_MAX_REST_URL);
	si_buf_init(&full, AWS_CLIENT_MAX_REST_URL);
	if (call->method != NULL && strcmp(call->method, "GET") != 0) {
		si_err_set(err, SI_ERR_INVALID, "aws: REST method %.16s not supported",
			   call->method);
		goto out;
	}
	if (!s_rest_path_ok(call->path)) {
		si_err_set(err, SI_ERR_INVALID, "aws: %s %s: bad REST path", call->service,
			   call->action ? call->action : "?");
		goto out;
	}
	if (strpbrk(url, "?#@") != NULL) {
		si_err_set(err, SI_ERR_INVALID, "aws: endpoint has userinfo, query or fragment");
		goto out;
	}
	if (s_split_url(url, host, sizeof(host), &base, err) != 0 ||
	    s_rest_query(&q, call, err) != 0 ||
	    s_rest_url(url, call->path, &q, &path, &full, err) != 0)
		goto out;
	sh[0] = (struct sigv4_header){ "Host", host };
	sr = (struct sigv4_request){ "GET", path.data, q.len ? q.data : NULL, sh, 1, NULL, 0 };
	if (s_sign_into(c, &sr, k, sregion, call->service, now, r, err) != 0)
		goto out;
	r->url = si_buf_steal(&full);
	if (r->url == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	r->method = "GET";
	rc = 0;
out:
	si_buf_free(&q, 0);
	si_buf_free(&path, 0);
	si_buf_free(&full, 0);
	return rc;
}

static int s_is_rest(enum aws_protocol p)
{
	return p == AWS_PROTO_REST_XML || p == AWS_PROTO_REST_JSON;
}

/* Why one entry point for every protocol: the search engine and
 * discovery build every call here, so the endpoint rules (aws_query_
 * resolve: overrides by service id, global endpoints) and the signing are
 * the same for all. Assumes k holds the keys to sign with (any AssumeRole
 * done); each protocol's builder checks what only it needs. */
int aws_client_build(struct aws_client *c, const struct aws_call *call, const struct aws_keys *k,
		     time_t now, struct aws_request *out, struct si_err *err)
{
	struct aws_endpoint_req er;
	char *url = NULL, *sregion = NULL;
	int rc = -1;

	if (out == NULL)
		return si_err_set(err, SI_ERR_INVALID, "aws: NULL argument");
	memset(out, 0, sizeof(*out));
	if (c == NULL || call == NULL || k == NULL || call->service == NULL ||
	    (call->proto == AWS_PROTO_JSON && (call->target == NULL || call->json_body == NULL)) ||
	    (s_is_rest(call->proto) && call->path == NULL))
		return si_err_set(err, SI_ERR_INVALID, "aws: NULL argument");
	er = (struct aws_endpoint_req){ call->service, call->version, call->region, call->global };
	if (aws_query_resolve(&er, c->envp, &url, &sregion, err) != 0)
		goto out;
	if (call->proto == AWS_PROTO_JSON)
		rc = s_build_json(c, call, k, url, sregion, now, out, err);
	else if (s_is_rest(call->proto))
		rc = s_build_rest(c, call, k, url, sregion, now, out, err);
	else
		rc = s_build_query(c, call, k, url, sregion, now, out, err);
	if (rc == 0 && out->method == NULL)
		out->method = "POST";
	/* libcurl would add "Expect: 100-continue" to larger bodies. */
	if (rc == 0)
		rc = s_add_header(out, "Expect:", err);
out:
	if (rc != 0)
		aws_request_clear(out);
	free(url);
	free(sregion);
	return rc;
}

int aws_client_prepare(const struct aws_client *c, CURL *easy, const struct aws_request *r,
		       struct si_http_resp *resp, const atomic_int *abort, struct si_err *err)
{
	const struct si_http_opts ho = {
		.connect_timeout_ms = c->connect_timeout_ms,
		.timeout_ms = c->timeout_ms,
		.ca_bundle = c->ca_bundle,
		.abort = abort,
	};

	if (si_http_setup(easy, &ho, resp, err) != 0)
		return -1;
	if (curl_easy_setopt(easy, CURLOPT_URL, r->url) != CURLE_OK ||
	    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, r->headers) != CURLE_OK)
		return si_err_set(err, SI_ERR_INTERNAL, "aws: curl_easy_setopt failed");
	if (r->method != NULL && strcmp(r->method, "GET") == 0) {
		/* A reused handle may still point at an earlier POST's body:
		 * forget it, then ask for GET (setting POSTFIELDS selects POST,
		 * so the order matters). */
		if (curl_easy_setopt(easy, CURLOPT_POSTFIELDS, NULL) != CURLE_OK ||
		    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L) != CURLE_OK)
			return si_err_set(err, SI_ERR_INTERNAL, "aws: curl_easy_setopt failed");
		return 0;
	}
	if (curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r->body) != CURLE_OK ||
	    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
			     (curl_off_t)r->body_len) != CURLE_OK)
		return si_err_set(err, SI_ERR_INTERNAL, "aws: curl_easy_setopt failed");
	return 0;
}

/* ---- classifying answers ------------------------------------------------ */

/* The AWS code and message of an error answer, by aws_error_describe's
 * rules (any XML root, Errors wrapper or not, or a JSON "__type"). Leaves
 * both empty only when memory runs out. */
static void s_error_fields(long status, const char *body, size_t len, const char *errortype,
			   struct aws_outcome *o)
{
	struct aws_error ae;

	memset(&ae, 0, sizeof(ae));
	if (aws_error_describe(status, body, len, errortype, &ae, NULL) == 0) {
		if (ae.code != NULL)
			snprintf(o->code, sizeof(o->code), "%s", ae.code);
		if (ae.message != NULL)
			snprintf(o->message, sizeof(o->message), "%s", ae.message);
	}
	aws_error_clear(&ae);
}

/* Why one function: the search and discovery used to decide "what went
 * wrong and is it worth another try" each in their own way. Assumes
 * status is 0 whenever cc != CURLE_OK and resp holds this attempt's body;
 * the retry rules are aws/retry.c's (auth codes never, throttling and
 * transient codes, transport errors and 429/5xx yes, within the budget). */
void aws_client_classify_typed(const struct aws_client *c, const struct aws_call *call,
			       CURLcode cc, long status, const struct si_http_resp *resp,
			       const char *errortype, int attempt, struct aws_outcome *out)
{
	const char *body = resp != NULL ? resp->body.data : NULL;
	size_t len = resp != NULL ? resp->body.len : 0;
	int too_big = resp != NULL && (resp->too_big || cc == CURLE_FILESIZE_EXCEEDED);

	memset(out, 0, sizeof(*out));
	out->transport = cc != CURLE_OK || too_big;
	out->status = out->transport ? 0 : status;
	if (out->transport) {
		snprintf(out->label, sizeof(out->label), "%s",
			 cc == CURLE_OPERATION_TIMEDOUT ? "Timeout" : "ConnectionError");
		if (too_big)
			snprintf(out->message, sizeof(out->message), "answer over %zu bytes",
				 resp->body.max);
		else
			snprintf(out->message, sizeof(out->message), "%s",
				 resp != NULL && resp->curl_err[0] ? resp->curl_err
								   : curl_easy_strerror(cc));
	} else if (status == 200) {
		out->ok = 1;
		return;
	} else {
		s_error_fields(status, body, len, errortype, out);
		if (out->code[0] != '\0')
			snprintf(out->label, sizeof(out->label), "%s", out->code);
		else
			snprintf(out->label, sizeof(out->label), "HTTP%ld", status);
	}
	out->creds_expired = aws_retry_creds_expired(out->code);
	out->creds_refused = aws_retry_creds_refused(out->code);
	out->retry = aws_retry_should_retry(out->status, out->code[0] ? out->code : NULL,
					    out->transport, attempt, c->max_attempts);
}

void aws_client_classify(const struct aws_client *c, const struct aws_call *call, CURLcode cc,
			 long status, const struct si_http_resp *resp, int attempt,
			 struct aws_outcome *out)
{
	aws_client_classify_typed(c, call, cc, status, resp, NULL, attempt, out);
}

/* The X-Amzn-ErrorType value of the last answer on easy into out ("" when
 * none). curl_easy_header is libcurl 7.84's; configure asks for 7.68, so
 * older builds read the code from the body only. */
static void s_errortype(CURL *easy, char *out, size_t n)
{
	out[0] = '\0';
#if LIBCURL_VERSION_NUM >= 0x075400
	struct curl_header *h = NULL;

	if (curl_easy_header(easy, "X-Amzn-ErrorType", 0, CURLH_HEADER, -1, &h) == CURLHE_OK &&
	    h != NULL && h->value != NULL)
		snprintf(out, n, "%s", h->value);
#else
	(void)easy;
	(void)n;
#endif
}

/* Count one finished attempt (util/metrics.h): every AWS request of both
 * drivers passes classify_easy once, so this is where they are counted.
 * An STS AssumeRole* that will not be retried is also a credential fetch
 * with a result. */
static void s_count(const struct aws_call *call, CURL *easy, const struct aws_outcome *o)
{
	curl_off_t us = 0;

	if (call == NULL)
		return;
	if (easy != NULL)
		(void)curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &us);
	metrics_aws_request(call->service, call->action, o->ok ? "ok" : o->label, (long long)us);
	if (call->action != NULL && SI_HAS_PREFIX(call->action, "AssumeRole") &&
	    (o->ok || !o->retry))
		metrics_sts_refresh(o->ok ? "ok" : "error");
}

void aws_client_classify_easy(const struct aws_client *c, const struct aws_call *call,
			      CURL *easy, CURLcode cc, const struct si_http_resp *resp,
			      int attempt, struct aws_outcome *out)
{
	char etype[128];
	long status = 0;

	etype[0] = '\0';
	if (cc == CURLE_OK && easy != NULL) {
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
		s_errortype(easy, etype, sizeof(etype));
	}
	aws_client_classify_typed(c, call, cc, status, resp, etype[0] ? etype : NULL, attempt,
				  out);
	s_count(call, easy, out);
}

long aws_client_backoff_ms(const struct aws_client *c, int attempt, uint32_t random)
{
	long cap = c->timeout_ms < AWS_CLIENT_BACKOFF_CAP_MS ? c->timeout_ms
							    : AWS_CLIENT_BACKOFF_CAP_MS;

	return si_backoff_ms(attempt - 1, AWS_CLIENT_BACKOFF_BASE_MS, cap, random);
}

/* ---- assumed roles ------------------------------------------------------ */

size_t aws_client_assume_params(const struct aws_client *c, const char *role_arn,
				const char *external_id, const char *session_name,
				struct aws_query_param out[AWS_CLIENT_ASSUME_PARAMS])
{
	size_t n = 0;

	out[n++] = (struct aws_query_param){ "RoleArn", role_arn };
	out[n++] = (struct aws_query_param){ "RoleSessionName",
					     session_name ? session_name : c->session_name };
	out[n++] = (struct aws_query_param){ "DurationSeconds", AWS_CLIENT_SESSION_SECONDS };
	if (external_id != NULL)
		out[n++] = (struct aws_query_param){ "ExternalId", external_id };
	return n;
}

int aws_client_cached_role(struct aws_client *c, const char *role_arn, const char *external_id,
			   time_t now, struct sts_credentials *out)
{
	return sts_cache_get(c->sts, role_arn, external_id, now, out);
}

void aws_client_remember_role(struct aws_client *c, const char *role_arn,
			      const char *external_id, const struct sts_credentials *creds)
{
	(void)sts_cache_put(c->sts, role_arn, external_id, creds, NULL);
}

void aws_client_forget_role(struct aws_client *c, const char *role_arn,
			    const char *external_id)
{
	sts_cache_drop(c->sts, role_arn, external_id);
}

/* ---- the synchronous path ----------------------------------------------- */

/* Why a connection object: the synchronous path keeps one easy handle so
 * consecutive calls reuse the TCP/TLS connection, and carries the caller's
 * way to stop (abort flag, interruptible wait). Assumes one thread uses
 * it at a time. */
struct aws_conn *aws_conn_new(struct aws_client *c, const atomic_int *abort, aws_conn_wait_fn wait,
			      void *wait_arg, struct si_err *err)
{
	struct aws_conn *conn;

	if (c == NULL) {
		si_err_set(err, SI_ERR_INVALID, "aws: NULL argument");
		return NULL;
	}
	conn = si_zalloc(sizeof(*conn), err);
	if (conn == NULL)
		return NULL;
	conn->c = c;
	conn->abort = abort;
	conn->wait = wait;
	conn->wait_arg = wait_arg;
	si_http_resp_init(&conn->resp, AWS_CLIENT_MAX_RESPONSE);
	/* Jitter needs no secrecy, but distinct threads should not retry in
	 * step: seed from the CSPRNG, falling back to the clock. */
	if (RAND_bytes((unsigned char *)&conn->rng, sizeof(conn->rng)) != 1)
		conn->rng = (uint32_t)si_mono_ms();
	conn->easy = curl_easy_init();
	if (conn->easy == NULL) {
		si_err_set(err, SI_ERR_INTERNAL, "curl_easy_init failed");
		aws_conn_free(conn);
		return NULL;
	}
	return conn;
}

void aws_conn_free(struct aws_conn *conn)
{
	if (conn == NULL)
		return;
	if (conn->easy != NULL)
		curl_easy_cleanup(conn->easy);
	/* Answers carried assumed-role secrets. */
	si_http_resp_free(&conn->resp, 1);
	free(conn);
}

const struct si_buf *aws_conn_body(const struct aws_conn *conn)
{
	return &conn->resp.body;
}

static int s_stopping(const struct aws_conn *conn)
{
	return conn->abort != NULL && atomic_load(conn->abort) != 0;
}

/* Wait out the backoff before another attempt; 1 when the caller should
 * give up instead (stopping). */
static int s_backoff(struct aws_conn *conn, int attempt)
{
	long ms = aws_client_backoff_ms(conn->c, attempt, si_backoff_rand(&conn->rng));

	if (s_stopping(conn))
		return 1;
	if (conn->wait != NULL)
		return conn->wait(conn->wait_arg, ms) != 0;
	si_sleep_ms(ms);
	return s_stopping(conn);
}

/* Why: discovery makes its calls one after another on one thread, and
 * this is the loop that does so for every kind of call. Each attempt is
 * built and signed afresh (the signing time must be current), sent on the
 * connection's one easy handle (so the connection is reused), and
 * classified by the same rules as the search's. Assumes the caller holds
 * conn alone. */
int aws_conn_call(struct aws_conn *conn, const struct aws_call *call, const struct aws_keys *k,
		  struct aws_outcome *out, struct si_err *err)
{
	struct aws_outcome local;
	struct aws_request req;
	struct si_err terr;
	int rc = -1;

	if (out == NULL)
		out = &local;
	memset(out, 0, sizeof(*out));
	memset(&req, 0, sizeof(req));
	if (conn == NULL || call == NULL || k == NULL)
		return si_err_set(err, SI_ERR_INVALID, "aws: NULL argument");
	for (int attempt = 1; attempt <= conn->c->max_attempts; attempt++) {
		CURLcode cc;

		/* Built and signed again on every attempt: the signature holds
		 * X-Amz-Date, and after backoff an old one could fall outside
		 * the 5 minutes of skew AWS allows. */
		aws_request_clear(&req);
		if (aws_client_build(conn->c, call, k, time(NULL), &req, err) != 0 ||
		    aws_client_prepare(conn->c, conn->easy, &req, &conn->resp, conn->abort,
				       err) != 0)
			goto out;
		cc = curl_easy_perform(conn->easy);
		aws_client_classify_easy(conn->c, call, conn->easy, cc, &conn->resp, attempt, out);
		if (out->ok) {
			rc = 0;
			goto out;
		}
		if (out->transport) {
			si_err_clear(&terr);
			(void)si_http_check(cc, &conn->resp, NULL, &terr);
			si_err_set(err, terr.code, "%s", terr.msg);
		} else {
			/* Without a code the message already says "HTTP <n>, no
			 * error code" (aws_error_describe). */
			if (out->code[0] != '\0')
				si_err_set(err, SI_ERR_REMOTE, "%s %s: HTTP %ld %s: %s",
					   call->service, call->action ? call->action : "?",
					   out->status, out->code, out->message);
			else
				si_err_set(err, SI_ERR_REMOTE, "%s %s: %s", call->service,
					   call->action ? call->action : "?", out->message);
		}
		if (!out->retry || s_backoff(conn, attempt))
			break;
	}
out:
	aws_request_clear(&req);
	return rc;
}

/* The base identity's keys, fetched only when an AssumeRole must be sent. */
static int s_base_keys(struct aws_conn *conn, time_t now, struct aws_creds *bc,
		       struct aws_keys *k, struct si_err *err)
{
	if (aws_creds_provider_get(conn->c->base, now, bc, err) != 0)
		return -1;
	*k = (struct aws_keys){ bc->access_key_id, bc->secret_access_key, bc->session_token };
	return 0;
}

/* Why through the cache first: discovery and searches assume the same
 * roles, and one AssumeRole per role and credential lifetime is what keeps
 * STS quiet (and CloudTrail short). Assumes the caller clears *out. */
int aws_conn_assume_role(struct aws_conn *conn, const struct aws_keys *k, const char *region,
			 const char *role_arn, const char *external_id, const char *session_name,
			 time_t now, struct sts_credentials *out, struct si_err *err)
{
	struct aws_query_param p[AWS_CLIENT_ASSUME_PARAMS];
	struct aws_call call;
	struct aws_creds bc;
	struct aws_keys bk;
	int hit, rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&bc, 0, sizeof(bc));
	hit = aws_client_cached_role(conn->c, role_arn, external_id, now, out);
	if (hit == 1)
		return 0;
	if (hit < 0)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	if (k == NULL) {
		if (s_base_keys(conn, now, &bc, &bk, err) != 0)
			goto out;
		k = &bk;
	}
	memset(&call, 0, sizeof(call));
	call.proto = AWS_PROTO_QUERY;
	call.service = "sts";
	call.region = region;
	call.action = "AssumeRole";
	call.version = S_STS_VERSION;
	call.params = p;
	call.n_params = aws_client_assume_params(conn->c, role_arn, external_id, session_name, p);
	if (aws_conn_call(conn, &call, k, NULL, err) != 0)
		goto out;
	if (aws_xml_parse_assume_role(conn->resp.body.data, conn->resp.body.len, out, err) != 0)
		goto out;
	aws_client_remember_role(conn->c, role_arn, external_id, out);
	rc = 0;
out:
	if (rc != 0)
		sts_credentials_clear(out);
	aws_creds_clear(&bc);
	return rc;
}
