/*
 * aws_creds_http.c - credentials from the container agent (ECS/EKS) and
 * from the EC2 instance metadata service (IMDSv2), over libcurl easy.
 *
 * One easy handle per request: these providers run rarely (a cache sits in
 * front) and a handle per call keeps them free of shared mutable state.
 * Proxies are switched off explicitly: libcurl would otherwise read
 * http_proxy from the environment behind our back, and a proxy must never
 * see a request to a link-local credentials endpoint.
 */
#include "aws/creds.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/crypto.h>

#include "aws/private/creds.h"
#include "aws/json.h"
#include "util/buf.h"
#include "util/http.h"
#include "util/strutil.h"

/* ECS task-role agent (AWS docs: "Task IAM role"). */
#define S_ECS_HOST "http://169.254.170.2"
#define S_IMDS_V4 "http://169.254.169.254"
#define S_IMDS_V6 "http://[fd00:ec2::254]"
/* IMDSv2 token lifetime we ask for: the SDKs' 6 h (the maximum). */
#define S_IMDS_TOKEN_TTL "21600"
/* URLs we build are endpoint + short fixed paths + a role name. */
#define S_MAX_URL 2048
/* An authorization token (EKS pod identity JWT) is ~1 KiB; 16 KiB refuses a
 * wrong file without refusing a long token. */
#define S_MAX_AUTH_TOKEN 16384
/* IAM role names: 1-64 characters of [A-Za-z0-9+=,.@_-]. */
#define S_MAX_ROLE 64
/* Bounds on what AWS_METADATA_SERVICE_* may ask for: a minute per request
 * and ten tries are already far past any sane metadata latency. */
#define S_MAX_TIMEOUT_MS 60000L
#define S_MAX_ATTEMPTS 10

struct s_http_cfg {
	long connect_ms;
	long total_ms;
	int attempts;
	size_t max_body;
};

/* ---- configuration ------------------------------------------------------ */

/* Integer from envp in [lo, hi]; absent -> *out untouched. */
static int s_env_long(char *const *envp, const char *name, long lo, long hi, long *out,
		      struct si_err *err)
{
	const char *v = aws_creds_env_get(envp, name);
	long x;

	if (v == NULL || v[0] == '\0')
		return 0;
	if (si_parse_long(v, lo, hi, &x) != 0)
		return si_err_set(err, SI_ERR_INVALID, "%s must be an integer in %ld..%ld", name,
				  lo, hi);
	*out = x;
	return 0;
}

static int s_http_cfg(char *const *envp, const struct aws_creds_http_opts *o, struct s_http_cfg *c,
		      struct si_err *err)
{
	long tsec = 0, tries = 0;

	if (s_env_long(envp, "AWS_METADATA_SERVICE_TIMEOUT", 1, S_MAX_TIMEOUT_MS / 1000, &tsec,
		       err) != 0 ||
	    s_env_long(envp, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1, S_MAX_ATTEMPTS, &tries,
		       err) != 0)
		return -1;
	c->connect_ms = o && o->connect_timeout_ms ? o->connect_timeout_ms
			: tsec ? tsec * 1000 : AWS_CREDS_HTTP_TIMEOUT_MS;
	c->total_ms = o && o->total_timeout_ms ? o->total_timeout_ms
		      : tsec ? tsec * 1000 : AWS_CREDS_HTTP_TIMEOUT_MS;
	c->attempts = o && o->attempts ? o->attempts : tries ? (int)tries : AWS_CREDS_HTTP_ATTEMPTS;
	c->max_body = o && o->max_body ? o->max_body : AWS_CREDS_HTTP_MAX_BODY;
	if (c->connect_ms < 1 || c->connect_ms > S_MAX_TIMEOUT_MS || c->total_ms < 1 ||
	    c->total_ms > S_MAX_TIMEOUT_MS || c->attempts < 1 || c->attempts > S_MAX_ATTEMPTS)
		return si_err_set(err, SI_ERR_INVALID,
				  "credential HTTP timeouts/attempts out of range");
	return 0;
}

/* ---- one HTTP exchange ------------------------------------------------- */

/* One request, tried up to cfg->attempts times on transport errors and 5xx.
 * resp receives the answer (capped by its own limit); *status the HTTP
 * code. what names the request in errors (never the headers: they carry
 * tokens). Proxies are off: a proxy must never see a request to a
 * link-local credentials endpoint (libcurl would read http_proxy from the
 * environment behind our back). A fresh handle per attempt: these
 * providers run rarely and keep no shared mutable state. */
static int s_http(const struct s_http_cfg *cfg, const char *method, const char *url,
		  struct curl_slist *hdrs, struct si_http_resp *resp, long *status,
		  const char *what, struct si_err *err)
{
	const struct si_http_opts ho = {
		.connect_timeout_ms = cfg->connect_ms,
		.timeout_ms = cfg->total_ms,
		.no_proxy = 1,
	};
	CURL *h = NULL;
	int rc = -1;

	*status = 0;
	for (int attempt = 0; attempt < cfg->attempts; attempt++) {
		curl_easy_cleanup(h);
		h = curl_easy_init();
		if (h == NULL) {
			si_err_set(err, SI_ERR_NOMEM, "curl_easy_init failed");
			goto out;
		}
		if (si_http_setup(h, &ho, resp, err) != 0)
			goto out;
		if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
		    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK ||
		    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK) {
			si_err_set(err, SI_ERR_INTERNAL, "%s: curl_easy_setopt failed", what);
			goto out;
		}
		rc = si_http_perform(h, resp, what, status, err);
		/* An over-size answer will not shrink on a retry. */
		if ((rc == 0 && *status < 500) || resp->too_big)
			break;
	}
out:
	curl_easy_cleanup(h);
	return rc;
}

/* Map an unexpected HTTP status to an error. */
static int s_status_err(long status, const char *what, struct si_err *err)
{
	enum si_err_code code = SI_ERR_REMOTE;

	if (status == 401 || status == 403)
		code = SI_ERR_AUTH;
	else if (status == 404)
		code = SI_ERR_NOTFOUND;
	return si_err_set(err, code, "%s: HTTP %ld", what, status);
}

/* ---- the credentials document ------------------------------------------ */

/* The credential document is flat (a few strings in one object): depth 2
 * is all it has; a little room for a provider's extra members. */
#define S_CREDS_JSON_DEPTH 4

/* {AccessKeyId, SecretAccessKey, Token, Expiration[, Code]} -> *out. The
 * same document comes from the ECS agent and from IMDS. */
static int s_parse_doc(const struct si_buf *body, const char *source, const char *what,
		       struct aws_creds *out, struct si_err *err)
{
	struct json_object *o;
	const char *code, *exp_s, *akid, *secret;
	struct si_err sub;
	time_t exp = 0;
	int rc = -1;

	o = aws_json_read(body->data, body->len, S_CREDS_JSON_DEPTH, &sub);
	if (o == NULL)
		return si_err_set(err, sub.code, "%s: %s", what, sub.msg);
	/* IMDS says "Code": "Success"; anything else is a failure it reports
	 * in-band (e.g. the role's trust policy broke). */
	code = aws_json_str(o, "Code", NULL);
	if (code != NULL && strcmp(code, "Success") != 0) {
		si_err_set(err, SI_ERR_REMOTE, "%s: Code %.40s", what, code);
		goto out;
	}
	exp_s = aws_json_str(o, "Expiration", NULL);
	if (exp_s != NULL && aws_creds_parse_time(exp_s, &exp, err) != 0) {
		si_err_set(err, SI_ERR_INVALID, "%s: bad Expiration", what);
		goto out;
	}
	akid = aws_json_str(o, "AccessKeyId", NULL);
	secret = aws_json_str(o, "SecretAccessKey", NULL);
	if (akid == NULL || secret == NULL) {
		si_err_set(err, SI_ERR_INVALID, "%s: AccessKeyId or SecretAccessKey missing", what);
		goto out;
	}
	rc = aws_creds_set(out, akid, secret, aws_json_str(o, "Token", NULL), exp, source, err);
out:
	if (o != NULL) {
		aws_creds_json_wipe(o, "SecretAccessKey");
		aws_creds_json_wipe(o, "Token");
	}
	json_object_put(o);
	return rc;
}

/* ---- URL checks -------------------------------------------------------- */

/* Scheme and host of url (lower-case scheme). 0 on success. */
static int s_url_parts(const char *url, char *scheme, size_t scap, char *host, size_t hcap)
{
	CURLU *u = curl_url();
	char *s = NULL, *h = NULL;
	int rc = -1, n1, n2;

	if (u == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &s, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK)
		goto out;
	n1 = snprintf(scheme, scap, "%s", s);
	n2 = snprintf(host, hcap, "%s", h);
	if (n1 < 0 || (size_t)n1 >= scap || n2 < 0 || (size_t)n2 >= hcap)
		goto out;
	rc = 0;
out:
	curl_free(s);
	curl_free(h);
	curl_url_cleanup(u);
	return rc;
}

/* The SDKs' rule for AWS_CONTAINER_CREDENTIALS_FULL_URI: https anywhere,
 * plain http only to loopback or to the ECS/EKS credential agents. Checked
 * on literals (no DNS) except "localhost", so a name cannot be re-pointed. */
static int s_full_uri_allowed(const char *url)
{
	static const char *const agents[] = {"localhost", "169.254.170.2", "169.254.170.23",
					     "[fd00:ec2::23]", "[::1]"};
	char scheme[16], host[256];
	struct in_addr a4;

	if (s_url_parts(url, scheme, sizeof(scheme), host, sizeof(host)) != 0)
		return 0;
	if (strcasecmp(scheme, "https") == 0)
		return 1;
	if (strcasecmp(scheme, "http") != 0)
		return 0;
	for (size_t i = 0; i < sizeof(agents) / sizeof(agents[0]); i++)
		if (strcasecmp(host, agents[i]) == 0)
			return 1;
	/* 127.0.0.0/8 */
	return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

static int s_url_is_http(const char *url)
{
	char scheme[16], host[256];

	return s_url_parts(url, scheme, sizeof(scheme), host, sizeof(host)) == 0 &&
	       (strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0) && host[0];
}

/* ---- container credentials ------------------------------------------- */

struct s_container {
	char *url;          /* NULL when not configured */
	char *token;        /* owned secret, may be NULL */
	char *token_file;   /* may be NULL; wins over token (SDK order) */
	struct s_http_cfg cfg;
};

/* The Authorization value: the file's content (trailing newline dropped)
 * or the variable. CR/LF inside would inject headers, so they are refused,
 * as botocore does. */
static int s_auth_header(const struct s_container *c, struct curl_slist **hdrs, struct si_err *err)
{
	struct si_buf b, v;
	int rc = -1;
	struct curl_slist *n;

	si_buf_init(&b, S_MAX_AUTH_TOKEN);
	si_buf_init(&v, S_MAX_AUTH_TOKEN + 32);
	if (c->token_file != NULL) {
		if (aws_creds_read_file(c->token_file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &b,
					err) != 0) {
			/* A named file that is missing is a broken setup. */
			if (err != NULL && err->code == SI_ERR_NOTFOUND)
				err->code = SI_ERR_IO;
			goto out;
		}
		while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
			b.data[--b.len] = '\0';
	} else if (c->token != NULL && si_buf_puts(&b, c->token, err) != 0) {
		goto out;
	}
	if (b.len == 0) {
		rc = 0;   /* no token configured: the agent decides */
		goto out;
	}
	if (memchr(b.data, '\r', b.len) || memchr(b.data, '\n', b.len) || strlen(b.data) != b.len) {
		si_err_set(err, SI_ERR_INVALID,
			   "container authorization token is not a legal header value");
		goto out;
	}
	if (si_buf_printf(&v, err, "Authorization: %s", b.data) != 0)
		goto out;
	n = curl_slist_append(*hdrs, v.data);
	if (n == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	*hdrs = n;
	rc = 0;
out:
	si_buf_free(&b, 1);
	si_buf_free(&v, 1);
	return rc;
}

static int s_container_get(void *impl, time_t now, struct aws_creds *out, struct si_err *err)
{
	struct s_container *c = impl;
	struct curl_slist *hdrs = NULL;
	struct si_http_resp resp;
	long status = 0;
	int rc = -1;

	(void)now;
	si_http_resp_init(&resp, c->cfg.max_body);
	if (c->url == NULL)
		return si_err_set(err, SI_ERR_NOTFOUND, "AWS_CONTAINER_CREDENTIALS_*_URI not set");
	if (s_auth_header(c, &hdrs, err) != 0)
		goto out;
	if (s_http(&c->cfg, "GET", c->url, hdrs, &resp, &status, "container credentials", err) != 0)
		goto out;
	if (status != 200) {
		s_status_err(status, "container credentials", err);
		goto out;
	}
	rc = s_parse_doc(&resp.body, "container", "container credentials", out, err);
out:
	si_http_headers_free(hdrs);
	si_http_resp_free(&resp, 1);
	return rc;
}

static void s_container_destroy(void *impl)
{
	struct s_container *c = impl;

	if (c == NULL)
		return;
	free(c->url);
	si_secret_free(c->token);
	free(c->token_file);
	free(c);
}

static const struct aws_creds_provider_vtable s_container_vt = {s_container_get,
								 s_container_destroy};

/* Where the container agent is, by the SDKs' rules: RELATIVE_URI wins and
 * is appended to the fixed ECS agent address; FULL_URI must be https or
 * plain http to a loopback or known agent address (ECS 169.254.170.2,
 * EKS Pod Identity 169.254.170.23 / fd00:ec2::23), because the request
 * carries an authorization token and answers with credentials. Neither set
 * leaves c->url NULL: the provider then reports "not configured" on get
 * and the chain moves on. Assumes c is freshly zeroed. */
static int s_container_url(struct s_container *c, char *const *envp, struct si_err *err)
{
	const char *rel = aws_creds_env_get(envp, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = aws_creds_env_get(envp, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
	char buf[S_MAX_URL];
	int n;

	/* The SDKs prefer RELATIVE_URI: it can only reach the ECS agent. */
	if (rel != NULL && rel[0] != '\0') {
		if (rel[0] != '/')
			return si_err_set(err, SI_ERR_INVALID, "%s must start with /",
					  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
		n = snprintf(buf, sizeof(buf), "%s%s", S_ECS_HOST, rel);
		if (n < 0 || (size_t)n >= sizeof(buf) || !s_url_is_http(buf))
			return si_err_set(err, SI_ERR_INVALID,
					  "bad AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	} else if (full != NULL && full[0] != '\0') {
		if (strlen(full) >= sizeof(buf) || !s_full_uri_allowed(full))
			return si_err_set(err, SI_ERR_INVALID,
					  "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a "
					  "loopback/ECS/EKS agent http URL");
		n = snprintf(buf, sizeof(buf), "%s", full);
		if (n < 0 || (size_t)n >= sizeof(buf))
			return si_err_set(err, SI_ERR_INVALID,
					  "bad AWS_CONTAINER_CREDENTIALS_FULL_URI");
	} else {
		return 0;
	}
	c->url = strdup(buf);
	if (c->url == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return 0;
}

struct aws_creds_provider *aws_creds_provider_container_new(char *const *envp,
							    const struct aws_creds_http_opts *opts,
							    struct si_err *err)
{
	struct s_container *c = si_zalloc(sizeof(*c), err);
	const char *tok = aws_creds_env_get(envp, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
	const char *tf = aws_creds_env_get(envp, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");

	if (c == NULL)
		return NULL;
	if (s_http_cfg(envp, opts, &c->cfg, err) != 0 || s_container_url(c, envp, err) != 0)
		goto fail;
	if (tf != NULL && tf[0] != '\0' && (c->token_file = strdup(tf)) == NULL)
		goto oom;
	if (tok != NULL && tok[0] != '\0') {
		if (strlen(tok) > S_MAX_AUTH_TOKEN) {
			si_err_set(err, SI_ERR_LIMIT, "AWS_CONTAINER_AUTHORIZATION_TOKEN too long");
			goto fail;
		}
		if ((c->token = strdup(tok)) == NULL)
			goto oom;
	}
	return aws_creds_provider_new(&s_container_vt, c, err);
oom:
	si_err_set(err, SI_ERR_NOMEM, "out of memory");
fail:
	s_container_destroy(c);
	return NULL;
}

/* ---- EC2 instance metadata (IMDSv2) ------------------------------------ */

struct s_imds {
	char *endpoint;   /* no trailing '/' */
	int disabled;
	struct s_http_cfg cfg;
};

#define S_IMDS_PATH "/latest/meta-data/iam/security-credentials/"

/* First line of the role listing, checked against IAM's role-name alphabet
 * so that it cannot steer the next URL elsewhere. */
static int s_role_name(const struct si_buf *b, char *role, size_t cap, struct si_err *err)
{
	size_t n = 0;
	const char *p = b->data != NULL ? b->data : "";

	while (n < b->len && p[n] != '\n' && p[n] != '\r') {
		if (!isalnum((unsigned char)p[n]) && strchr("+=,.@_-", p[n]) == NULL)
			return si_err_set(err, SI_ERR_INVALID, "IMDS: bad role name");
		n++;
	}
	if (n == 0 || n > S_MAX_ROLE || n >= cap)
		return si_err_set(err, n == 0 ? SI_ERR_NOTFOUND : SI_ERR_INVALID,
				  "IMDS: %s", n == 0 ? "no instance role" : "role name too long");
	memcpy(role, p, n);
	role[n] = '\0';
	return 0;
}

/* IMDSv2, in its three steps: a session token (PUT), the instance role's
 * name, then that role's credentials, each with the token. Why no IMDSv1
 * fallback: instances should require v2, and a silent v1 request would
 * hide a misconfiguration. Assumes m was checked at construction; the
 * token is a secret and is wiped with the header list. */
static int s_imds_get(void *impl, time_t now, struct aws_creds *out, struct si_err *err)
{
	struct s_imds *m = impl;
	struct curl_slist *hdrs = NULL, *n;
	struct si_http_resp resp;
	struct si_buf hv;
	char url[S_MAX_URL], role[S_MAX_ROLE + 1];
	long status = 0;
	int k, rc = -1;

	(void)now;
	si_http_resp_init(&resp, m->cfg.max_body);
	si_buf_init(&hv, m->cfg.max_body + 64);
	if (m->disabled)
		return si_err_set(err, SI_ERR_NOTFOUND,
				  "IMDS disabled by AWS_EC2_METADATA_DISABLED");
	/* 1. session token (IMDSv2) */
	hdrs = curl_slist_append(NULL, "X-aws-ec2-metadata-token-ttl-seconds: " S_IMDS_TOKEN_TTL);
	if (hdrs == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	k = snprintf(url, sizeof(url), "%s/latest/api/token", m->endpoint);
	if (k < 0 || (size_t)k >= sizeof(url)) {
		si_err_set(err, SI_ERR_LIMIT, "IMDS URL too long");
		goto out;
	}
	if (s_http(&m->cfg, "PUT", url, hdrs, &resp, &status, "IMDS token", err) != 0)
		goto out;
	/* The token goes into a header line next: CR, LF or NUL in it could
	 * forge or cut headers, so such an answer is refused. */
	if (status != 200 || resp.body.len == 0 || memchr(resp.body.data, '\n', resp.body.len) ||
	    memchr(resp.body.data, '\r', resp.body.len) ||
	    strlen(resp.body.data) != resp.body.len) {
		if (status == 200)
			si_err_set(err, SI_ERR_INVALID, "IMDS token: malformed");
		else
			s_status_err(status, "IMDS token", err);
		goto out;
	}
	si_http_headers_free(hdrs);
	hdrs = NULL;
	if (si_buf_printf(&hv, err, "X-aws-ec2-metadata-token: %s", resp.body.data) != 0)
		goto out;
	n = curl_slist_append(NULL, hv.data);
	if (n == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	hdrs = n;
	/* 2. role name */
	k = snprintf(url, sizeof(url), "%s" S_IMDS_PATH, m->endpoint);
	if (k < 0 || (size_t)k >= sizeof(url)) {
		si_err_set(err, SI_ERR_LIMIT, "IMDS URL too long");
		goto out;
	}
	if (s_http(&m->cfg, "GET", url, hdrs, &resp, &status, "IMDS role", err) != 0)
		goto out;
	if (status != 200) {
		s_status_err(status, "IMDS role", err);
		goto out;
	}
	if (s_role_name(&resp.body, role, sizeof(role), err) != 0)
		goto out;
	/* 3. the role's credentials */
	k = snprintf(url, sizeof(url), "%s" S_IMDS_PATH "%s", m->endpoint, role);
	if (k < 0 || (size_t)k >= sizeof(url)) {
		si_err_set(err, SI_ERR_LIMIT, "IMDS URL too long");
		goto out;
	}
	if (s_http(&m->cfg, "GET", url, hdrs, &resp, &status, "IMDS credentials", err) != 0)
		goto out;
	if (status != 200) {
		s_status_err(status, "IMDS credentials", err);
		goto out;
	}
	rc = s_parse_doc(&resp.body, "imds", "IMDS credentials", out, err);
out:
	si_http_headers_free(hdrs);
	si_http_resp_free(&resp, 1);
	si_buf_free(&hv, 1);
	return rc;
}

static void s_imds_destroy(void *impl)
{
	struct s_imds *m = impl;

	if (m == NULL)
		return;
	free(m->endpoint);
	free(m);
}

static const struct aws_creds_provider_vtable s_imds_vt = {s_imds_get, s_imds_destroy};

/* Why the checks here and not at get time: a bad endpoint or mode is an
 * operator's mistake and should fail start-up, not every credential
 * lookup. Assumes envp is the process environment (or a test's). */
struct aws_creds_provider *aws_creds_provider_imds_new(char *const *envp,
						       const struct aws_creds_http_opts *opts,
						       struct si_err *err)
{
	struct s_imds *m = si_zalloc(sizeof(*m), err);
	const char *dis = aws_creds_env_get(envp, "AWS_EC2_METADATA_DISABLED");
	const char *ep = aws_creds_env_get(envp, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = aws_creds_env_get(envp, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	size_t len;

	if (m == NULL)
		return NULL;
	/* botocore: only the word "true" (any case) disables. */
	m->disabled = dis != NULL && strcasecmp(dis, "true") == 0;
	if (s_http_cfg(envp, opts, &m->cfg, err) != 0)
		goto fail;
	if (ep == NULL || ep[0] == '\0') {
		if (mode != NULL && mode[0] != '\0' && strcasecmp(mode, "IPv4") != 0 &&
		    strcasecmp(mode, "IPv6") != 0) {
			si_err_set(err, SI_ERR_INVALID, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE "
				   "must be IPv4 or IPv6");
			goto fail;
		}
		ep = mode != NULL && strcasecmp(mode, "IPv6") == 0 ? S_IMDS_V6 : S_IMDS_V4;
	}
	len = strnlen(ep, S_MAX_URL);
	if (len >= S_MAX_URL - 128 || !s_url_is_http(ep)) {
		si_err_set(err, SI_ERR_INVALID,
			   "AWS_EC2_METADATA_SERVICE_ENDPOINT must be an http(s) URL");
		goto fail;
	}
	while (len > 0 && ep[len - 1] == '/')
		len--;
	m->endpoint = si_strndup(ep, len);
	if (m->endpoint == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto fail;
	}
	return aws_creds_provider_new(&s_imds_vt, m, err);
fail:
	s_imds_destroy(m);
	return NULL;
}
