/*
 * creds_sts.c - credentials from STS, as botocore gets them: a web identity
 * token (AssumeRoleWithWebIdentity: EKS service accounts, CI OIDC) and a
 * config profile's role_arn (AssumeRole signed by the profile's source:
 * source_profile, chained, or credential_source).
 *
 * Every call goes through the one AWS client (aws/client.h), so STS is
 * reached the way every other AWS call is: the endpoint variables
 * (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL; how the tests point it at the
 * stand-in), AWS_CA_BUNDLE, the timeouts, the error classification and the
 * backoff. AssumeRole is aws_conn_assume_role with the source's keys.
 * AssumeRoleWithWebIdentity is unsigned (the SDKs send it so: the token is
 * the proof), which aws_client_build cannot do, so its request is built
 * here from the query module (aws_query_form_body, aws_query_resolve_
 * endpoint) and sent with aws_client_prepare / aws_client_classify_easy.
 *
 * A client is made on every get: these providers run once per credential
 * lifetime (a cache sits in front), and a client of its own shares nothing
 * between threads.
 */
#include "aws/creds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "aws/client.h"
#include "aws/ec2_types.h"
#include "aws/private/creds.h"
#include "aws/query.h"
#include "aws/xml.h"
#include "util/backoff.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/http.h"
#include "util/strutil.h"

#define S_STS_VERSION "2011-06-15"
#define S_WEB_ACTION "AssumeRoleWithWebIdentity"
/* RoleSessionName: 2-64 characters of [\w+=,.@-] (STS API). */
#define S_SESSION_MIN 2
#define S_SESSION_MAX 64
/* RoleArn: at most 2048 characters (STS API). */
#define S_ROLE_ARN_MAX 2048
/* What the client's envp gains when the environment does not choose:
 * the SDKs now default to the regional STS endpoint. */
#define S_REGIONAL "AWS_STS_REGIONAL_ENDPOINTS=regional"

struct s_sts {
	char **envp;                       /* owned copy, wiped on free */
	struct aws_profile_src src;
	char session[S_SESSION_MAX + 1];   /* the default RoleSessionName */
};

/* What one get holds: the profiles read, the region, the client. */
struct s_call {
	const struct s_sts *s;
	struct aws_profiles ps;
	const char *region;                /* borrowed; NULL: global STS */
	char **cenv;                       /* the client's envp (pointers borrowed) */
	struct aws_creds_provider *none;   /* the client's unused base */
	struct aws_client *client;
	time_t now;
};

/* ---- the client ---------------------------------------------------------- */

static int s_none_get(void *impl, time_t now, struct aws_creds *out, struct si_err *err)
{
	(void)impl;
	(void)now;
	(void)out;
	return si_err_set(err, SI_ERR_INTERNAL, "STS provider: no base identity");
}

/* aws_client_new wants a base identity; every call here passes its keys
 * (or none), so the base is one that is never asked. */
static const struct aws_creds_provider_vtable s_none_vt = {s_none_get, NULL};

/* The region STS is called in: AWS_REGION, AWS_DEFAULT_REGION, then the
 * profile's region (botocore's order for the session's region). */
static const char *s_region(const struct s_sts *s, const struct aws_profile *p)
{
	const char *r = aws_creds_env_get(s->envp, "AWS_REGION");

	if (r == NULL || r[0] == '\0')
		r = aws_creds_env_get(s->envp, "AWS_DEFAULT_REGION");
	if (r == NULL || r[0] == '\0')
		r = aws_profile_get(p, AWS_PK_REGION);
	return r != NULL && r[0] != '\0' ? r : NULL;
}

/* Make the client: the provider's environment plus the regional default
 * (appended, so a variable the environment sets wins: the first match is
 * the one read). */
static int s_call_client(struct s_call *c, struct si_err *err)
{
	size_t n = 0;

	while (c->s->envp[n] != NULL && n < SI_ENV_MAX)
		n++;
	c->cenv = calloc(n + 2, sizeof(*c->cenv));
	if (c->cenv == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	memcpy(c->cenv, c->s->envp, n * sizeof(*c->cenv));
	c->cenv[n] = (char *)S_REGIONAL;
	c->none = aws_creds_provider_new(&s_none_vt, NULL, err);
	if (c->none == NULL)
		return -1;
	c->client = aws_client_new(NULL, c->cenv, c->none, err);
	return c->client != NULL ? 0 : -1;
}

static void s_call_clear(struct s_call *c)
{
	aws_client_free(c->client);
	aws_creds_provider_free(c->none);
	free(c->cenv);
	aws_profiles_free(&c->ps);
	memset(c, 0, sizeof(*c));
}

static int s_session_ok(const char *s)
{
	size_t n = strnlen(s, S_SESSION_MAX + 1);

	if (n < S_SESSION_MIN || n > S_SESSION_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && strchr("_+=,.@-", s[i]) == NULL)
			return 0;
	return 1;
}

static int s_check_role(const char *role_arn, const char *session, struct si_err *err)
{
	if (!SI_HAS_PREFIX(role_arn, "arn:") ||
	    strnlen(role_arn, S_ROLE_ARN_MAX + 1) > S_ROLE_ARN_MAX)
		return si_err_set(err, SI_ERR_INVALID, "role ARN must be an arn: of at most %d "
				  "characters", S_ROLE_ARN_MAX);
	if (!s_session_ok(session))
		return si_err_set(err, SI_ERR_INVALID, "role session name must be %d-%d characters "
				  "of [A-Za-z0-9_+=,.@-]", S_SESSION_MIN, S_SESSION_MAX);
	return 0;
}

/* STS's answer to an STS credentials call -> *out. */
static int s_take(struct sts_credentials *sc, const char *source, struct aws_creds *out,
		  struct si_err *err)
{
	int rc = aws_creds_set(out, sc->access_key_id, sc->secret_access_key, sc->session_token,
			       sc->expiration, source, err);

	sts_credentials_clear(sc);
	return rc;
}

/* ---- AssumeRoleWithWebIdentity --------------------------------------------- */

/* The token file's content: re-read on every call (EKS rotates it), the
 * trailing newline dropped, at most STS's 20,000 characters, no NUL. */
static int s_read_token(const char *path, struct si_buf *tok, struct si_err *err)
{
	if (aws_creds_read_file(path, "web identity token file", tok, err) != 0) {
		/* A token file that is named but missing is a broken setup,
		 * not an unconfigured source. */
		if (err != NULL && err->code == SI_ERR_NOTFOUND)
			err->code = SI_ERR_IO;
		return -1;
	}
	while (tok->len > 0 && (tok->data[tok->len - 1] == '\n' || tok->data[tok->len - 1] == '\r'))
		tok->data[--tok->len] = '\0';
	if (tok->len == 0)
		return si_err_set(err, SI_ERR_INVALID, "web identity token file is empty");
	if (tok->len > AWS_CREDS_WEB_IDENTITY_TOKEN_MAX || strlen(tok->data) != tok->len)
		return si_err_set(err, SI_ERR_INVALID, "web identity token file: not a token "
				  "(NUL byte, or longer than %d)",
				  AWS_CREDS_WEB_IDENTITY_TOKEN_MAX);
	return 0;
}

/* The error of a failed attempt, as aws_conn_call words it. A refused
 * token is SI_ERR_AUTH; the message is AWS's, which never repeats the
 * token. */
static void s_web_err(const struct aws_outcome *o, struct si_err *err)
{
	if (o->transport)
		si_err_set(err, strcmp(o->label, "Timeout") == 0 ? SI_ERR_TIMEOUT : SI_ERR_IO,
			   "sts " S_WEB_ACTION ": %s", o->message);
	else if (o->code[0] == '\0')
		si_err_set(err, SI_ERR_REMOTE, "sts " S_WEB_ACTION ": %s", o->message);
	else
		si_err_set(err,
			   strcmp(o->code, "InvalidIdentityToken") == 0 ||
				   strcmp(o->code, "ExpiredTokenException") == 0 ||
				   strcmp(o->code, "AccessDenied") == 0
			   ? SI_ERR_AUTH : SI_ERR_REMOTE,
			   "sts " S_WEB_ACTION ": HTTP %ld %s: %s", o->status, o->code, o->message);
}

/* Why a loop of its own: the request is unsigned, so aws_conn_call (which
 * signs) cannot send it; every other piece is the client's (endpoint,
 * libcurl setup, classification, backoff). botocore also retries
 * IDPCommunicationError (the identity provider did not answer STS in
 * time), so this does. Assumes c's client is made; the token, a bearer
 * secret, is wiped from the body and the token buffer. */
static int s_web_identity(struct s_call *c, const char *role_arn, const char *session,
			  const char *token_file, struct aws_creds *out, struct si_err *err)
{
	struct aws_query_param p[3];
	struct aws_request req;
	struct aws_call call;
	struct aws_outcome o;
	struct sts_credentials sc;
	struct si_http_resp resp;
	struct si_buf tok, body;
	struct curl_slist *h;
	char *sregion = NULL;
	CURL *easy = NULL;
	uint32_t rng = (uint32_t)si_mono_ms() | 1u;
	int max, rc = -1;

	memset(&req, 0, sizeof(req));
	memset(&call, 0, sizeof(call));
	memset(&o, 0, sizeof(o));
	memset(&sc, 0, sizeof(sc));
	si_buf_init(&tok, AWS_CREDS_WEB_IDENTITY_TOKEN_MAX + 2);
	si_buf_init(&body, AWS_QUERY_MAX_BODY);
	si_http_resp_init(&resp, AWS_CREDS_HTTP_MAX_BODY);
	if (s_check_role(role_arn, session, err) != 0 || s_read_token(token_file, &tok, err) != 0)
		goto out;
	p[0] = (struct aws_query_param){"RoleArn", role_arn};
	p[1] = (struct aws_query_param){"RoleSessionName", session};
	p[2] = (struct aws_query_param){"WebIdentityToken", tok.data};
	if (aws_query_form_body(&body, S_WEB_ACTION, S_STS_VERSION, p, 3, err) != 0 ||
	    aws_query_resolve_endpoint("sts", c->region, c->cenv, &req.url, &sregion, err) != 0)
		goto out;
	req.method = "POST";
	req.body = body.data;
	req.body_len = body.len;
	h = curl_slist_append(NULL, "Content-Type: " AWS_QUERY_CONTENT_TYPE);
	if (h != NULL)
		req.headers = h;
	if (h == NULL || (h = curl_slist_append(req.headers, "Expect:")) == NULL ||
	    (easy = curl_easy_init()) == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	call = (struct aws_call){.proto = AWS_PROTO_QUERY, .service = "sts",
				 .region = c->region, .action = S_WEB_ACTION,
				 .version = S_STS_VERSION};
	max = aws_client_max_attempts(c->client);
	for (int attempt = 1; attempt <= max; attempt++) {
		CURLcode cc;

		if (aws_client_prepare(c->client, easy, &req, &resp, NULL, err) != 0)
			goto out;
		cc = curl_easy_perform(easy);
		aws_client_classify_easy(c->client, &call, easy, cc, &resp, attempt, &o);
		if (o.ok)
			break;
		s_web_err(&o, err);
		if (!o.retry && !(strcmp(o.code, "IDPCommunicationError") == 0 && attempt < max))
			goto out;
		si_sleep_ms(aws_client_backoff_ms(c->client, attempt, si_backoff_rand(&rng)));
	}
	if (!o.ok)
		goto out;
	si_err_clear(err);
	if (aws_xml_parse_assume_role(resp.body.data, resp.body.len, &sc, err) != 0)
		goto out;
	rc = s_take(&sc, "web-identity", out, err);
out:
	if (easy != NULL)
		curl_easy_cleanup(easy);
	req.body = NULL;   /* body's */
	aws_request_clear(&req);
	sts_credentials_clear(&sc);
	si_http_resp_free(&resp, 1);
	si_buf_free(&body, 1);
	si_buf_free(&tok, 1);
	free(sregion);
	return rc;
}

/* ---- AssumeRole for a profile --------------------------------------------- */

static int s_has_static(const struct aws_profile *p)
{
	return aws_profile_get(p, AWS_PK_ACCESS_KEY_ID) != NULL ||
	       aws_profile_get(p, AWS_PK_SECRET_ACCESS_KEY) != NULL;
}

/* A profile this provider assumes: role_arn, and not web identity's. */
static int s_has_role(const struct aws_profile *p)
{
	return aws_profile_get(p, AWS_PK_ROLE_ARN) != NULL &&
	       aws_profile_get(p, AWS_PK_WEB_IDENTITY_TOKEN_FILE) == NULL;
}

/* Static keys of p in one file, 1 when there were some. */
static int s_static_in(const struct aws_profile *p, enum aws_pfile f, struct aws_creds *out,
		       struct si_err *err, int *rc)
{
	const char *akid = p->v[f][AWS_PK_ACCESS_KEY_ID];
	const char *secret = p->v[f][AWS_PK_SECRET_ACCESS_KEY];

	if ((akid == NULL || akid[0] == '\0') && (secret == NULL || secret[0] == '\0'))
		return 0;
	*rc = aws_creds_set(out, akid, secret, p->v[f][AWS_PK_SESSION_TOKEN], 0, "profile", err);
	if (*rc != 0)
		si_err_set(err, SI_ERR_INVALID, "profile %s: incomplete static keys", p->name);
	return 1;
}

/* A source profile that is not itself assumed: botocore's profile chain
 * (web identity, [SSO], the credentials file's keys, credential_process,
 * the config file's keys), first configured wins. */
static int s_plain(struct s_call *c, const struct aws_profile *p, struct aws_creds *out,
		   struct si_err *err)
{
	const char *wif = aws_profile_get(p, AWS_PK_WEB_IDENTITY_TOKEN_FILE);
	const char *proc = aws_profile_get(p, AWS_PK_CREDENTIAL_PROCESS);
	const char *role = aws_profile_get(p, AWS_PK_ROLE_ARN);
	const char *sess = aws_profile_get(p, AWS_PK_ROLE_SESSION_NAME);
	int rc = -1;

	if (wif != NULL) {
		if (role == NULL)
			return si_err_set(err, SI_ERR_INVALID,
					  "profile %s: web_identity_token_file without role_arn",
					  p->name);
		return s_web_identity(c, role, sess != NULL ? sess : c->s->session, wif, out, err);
	}
	if (s_static_in(p, AWS_PF_CREDENTIALS, out, err, &rc))
		return rc;
	if (proc != NULL)
		return aws_creds_process_run(proc, c->s->envp, 0, 0, out, err);
	if (s_static_in(p, AWS_PF_CONFIG, out, err, &rc))
		return rc;
	return si_err_set(err, SI_ERR_INVALID, "source profile %s has no credentials", p->name);
}

/* credential_source: one of this module's own providers, on the
 * provider's environment. A named source that is absent is a broken
 * profile, not an unconfigured one. */
static int s_credential_source(struct s_call *c, const char *cs, struct aws_creds *out,
			       struct si_err *err)
{
	struct aws_creds_provider *pv;
	int rc;

	if (strcmp(cs, "Environment") == 0)
		pv = aws_creds_provider_env_new(c->s->envp, err);
	else if (strcmp(cs, "Ec2InstanceMetadata") == 0)
		pv = aws_creds_provider_imds_new(c->s->envp, NULL, err);
	else if (strcmp(cs, "EcsContainer") == 0)
		pv = aws_creds_provider_container_new(c->s->envp, NULL, err);
	else
		return si_err_set(err, SI_ERR_INVALID, "credential_source %.40s: not Environment, "
				  "Ec2InstanceMetadata or EcsContainer", cs);
	if (pv == NULL)
		return -1;
	rc = aws_creds_provider_get(pv, c->now, out, err);
	aws_creds_provider_free(pv);
	if (rc != 0 && err != NULL && err->code == SI_ERR_NOTFOUND)
		err->code = SI_ERR_INVALID;
	return rc;
}

/* AssumeRole p's role_arn with src's keys. */
static int s_assume(struct s_call *c, const struct aws_profile *p, const struct aws_creds *src,
		    struct aws_creds *out, struct si_err *err)
{
	const char *role = aws_profile_get(p, AWS_PK_ROLE_ARN);
	const char *sess = aws_profile_get(p, AWS_PK_ROLE_SESSION_NAME);
	const struct aws_keys k = {src->access_key_id, src->secret_access_key,
				   src->session_token};
	struct sts_credentials sc;
	struct aws_conn *conn;
	int rc;

	memset(&sc, 0, sizeof(sc));
	if (sess == NULL)
		sess = c->s->session;
	if (s_check_role(role, sess, err) != 0)
		return -1;
	conn = aws_conn_new(c->client, NULL, NULL, NULL, err);
	if (conn == NULL)
		return -1;
	rc = aws_conn_assume_role(conn, &k, c->region, role,
				  aws_profile_get(p, AWS_PK_EXTERNAL_ID), sess, c->now, &sc, err);
	aws_conn_free(conn);
	if (rc == 0)
		rc = s_take(&sc, "assume-role", out, err);
	sts_credentials_clear(&sc);
	return rc;
}

/* Why recursive, and bounded: botocore resolves a source_profile that has
 * its own role_arn (and no static keys) by assuming that role first, so a
 * chain A -> B -> C assumes C's role, then B's with C's credentials, then
 * A's. visited[0..depth] are the profiles on the way; a source already on
 * it is a loop (refused, as botocore's InfiniteLoopConfigError), and the
 * chain is cut at AWS_CREDS_ROLE_CHAIN_MAX. A profile naming itself as
 * its source uses its own static keys (botocore allows exactly that). */
static int s_role_creds(struct s_call *c, const struct aws_profile *p,
			const struct aws_profile **visited, int depth, struct aws_creds *out,
			struct si_err *err)
{
	const char *sp = aws_profile_get(p, AWS_PK_SOURCE_PROFILE);
	const char *cs = aws_profile_get(p, AWS_PK_CREDENTIAL_SOURCE);
	const struct aws_profile *src;
	struct aws_creds sc;
	int rc = -1;

	memset(&sc, 0, sizeof(sc));
	if (aws_profile_get(p, AWS_PK_MFA_SERIAL) != NULL)
		return si_err_set(err, SI_ERR_INVALID, "profile %s: mfa_serial is not supported "
				  "(it needs a person to type a code)", p->name);
	if ((sp == NULL) == (cs == NULL))
		return si_err_set(err, SI_ERR_INVALID, "profile %s: role_arn needs exactly one of "
				  "source_profile and credential_source", p->name);
	if (cs != NULL) {
		rc = s_credential_source(c, cs, &sc, err);
	} else if ((src = aws_profiles_find(&c->ps, sp)) == NULL) {
		rc = si_err_set(err, SI_ERR_INVALID, "profile %s: source_profile %s does not exist",
				p->name, sp);
	} else if (src == p) {
		if (s_has_static(p))
			(void)s_static_in(p, p->v[AWS_PF_CREDENTIALS][AWS_PK_ACCESS_KEY_ID] != NULL
					     ? AWS_PF_CREDENTIALS : AWS_PF_CONFIG, &sc, err, &rc);
		else
			rc = si_err_set(err, SI_ERR_INVALID, "profile %s: source_profile is itself "
					"but it has no static keys", p->name);
	} else if (s_has_role(src) && !s_has_static(src)) {
		for (int i = 0; i <= depth; i++)
			if (visited[i] == src)
				return si_err_set(err, SI_ERR_INVALID,
						  "profile %s: source_profile loop through %s",
						  p->name, sp);
		if (depth + 1 >= AWS_CREDS_ROLE_CHAIN_MAX)
			return si_err_set(err, SI_ERR_LIMIT,
					  "profile %s: role chain longer than %d", p->name,
					  AWS_CREDS_ROLE_CHAIN_MAX);
		visited[depth + 1] = src;
		rc = s_role_creds(c, src, visited, depth + 1, &sc, err);
	} else {
		rc = s_plain(c, src, &sc, err);
	}
	if (rc == 0)
		rc = s_assume(c, p, &sc, out, err);
	aws_creds_clear(&sc);
	return rc;
}

/* ---- the two providers ----------------------------------------------------- */

static int s_assume_role_get(void *impl, time_t now, struct aws_creds *out, struct si_err *err)
{
	const struct aws_profile *visited[AWS_CREDS_ROLE_CHAIN_MAX];
	struct s_call c;
	const struct aws_profile *p;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.s = impl;
	c.now = now;
	if (aws_profiles_load(&c.s->src, &c.ps, err) != 0)
		goto out;
	p = aws_profiles_find(&c.ps, c.s->src.profile);
	if (p == NULL || !s_has_role(p)) {
		si_err_set(err, SI_ERR_NOTFOUND, "profile %s: no role_arn", c.s->src.profile);
		goto out;
	}
	c.region = s_region(c.s, p);
	if (s_call_client(&c, err) != 0)
		goto out;
	visited[0] = p;
	rc = s_role_creds(&c, p, visited, 0, out, err);
out:
	s_call_clear(&c);
	return rc;
}

/* botocore's AssumeRoleWithWebIdentityProvider: each of the three
 * settings from its variable, else from the profile. The profile files
 * are read only for what the variables leave open, and a broken config
 * file does not stop a setup the variables describe completely. */
static int s_web_get(void *impl, time_t now, struct aws_creds *out, struct si_err *err)
{
	struct s_call c;
	const struct aws_profile *p = NULL;
	const char *file, *role, *sess;
	struct si_err lerr;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.s = impl;
	c.now = now;
	file = aws_creds_env_get(c.s->envp, "AWS_WEB_IDENTITY_TOKEN_FILE");
	role = aws_creds_env_get(c.s->envp, "AWS_ROLE_ARN");
	sess = aws_creds_env_get(c.s->envp, "AWS_ROLE_SESSION_NAME");
	file = file != NULL && file[0] != '\0' ? file : NULL;
	role = role != NULL && role[0] != '\0' ? role : NULL;
	sess = sess != NULL && sess[0] != '\0' ? sess : NULL;
	si_err_clear(&lerr);
	if (aws_profiles_load(&c.s->src, &c.ps, &lerr) == 0)
		p = aws_profiles_find(&c.ps, c.s->src.profile);
	else if (file == NULL || role == NULL) {
		si_err_set(err, lerr.code, "%s", lerr.msg);
		goto out;
	}
	if (file == NULL)
		file = aws_profile_get(p, AWS_PK_WEB_IDENTITY_TOKEN_FILE);
	if (file == NULL) {
		si_err_set(err, SI_ERR_NOTFOUND, "AWS_WEB_IDENTITY_TOKEN_FILE not set");
		goto out;
	}
	if (role == NULL)
		role = aws_profile_get(p, AWS_PK_ROLE_ARN);
	if (role == NULL) {
		si_err_set(err, SI_ERR_INVALID, "web identity token file without AWS_ROLE_ARN or "
			   "role_arn");
		goto out;
	}
	if (sess == NULL)
		sess = aws_profile_get(p, AWS_PK_ROLE_SESSION_NAME);
	c.region = s_region(c.s, p);
	if (s_call_client(&c, err) != 0)
		goto out;
	rc = s_web_identity(&c, role, sess != NULL ? sess : c.s->session, file, out, err);
out:
	s_call_clear(&c);
	return rc;
}

static void s_sts_destroy(void *impl)
{
	struct s_sts *s = impl;

	if (s == NULL)
		return;
	aws_creds_envp_free(s->envp);
	aws_profile_src_clear(&s->src);
	free(s);
}

static const struct aws_creds_provider_vtable s_assume_vt = {s_assume_role_get, s_sts_destroy};
static const struct aws_creds_provider_vtable s_web_vt = {s_web_get, s_sts_destroy};

/* The default RoleSessionName is fixed here, once, as botocore fixes its
 * "botocore-session-<time>" when the provider is made: every refresh of
 * one process then shows the same session in CloudTrail. */
static struct aws_creds_provider *s_sts_new(const struct aws_creds_provider_vtable *vt,
					    char *const *envp, struct si_err *err)
{
	struct s_sts *s = si_zalloc(sizeof(*s), err);

	if (s == NULL)
		return NULL;
	(void)snprintf(s->session, sizeof(s->session), "slash-infra-session-%lld",
		       (long long)time(NULL));
	if (aws_profile_src_init(&s->src, envp, err) != 0 ||
	    (s->envp = aws_creds_envp_dup(envp, err)) == NULL) {
		s_sts_destroy(s);
		return NULL;
	}
	return aws_creds_provider_new(vt, s, err);
}

struct aws_creds_provider *aws_creds_provider_assume_role_new(char *const *envp,
							      struct si_err *err)
{
	return s_sts_new(&s_assume_vt, envp, err);
}

struct aws_creds_provider *aws_creds_provider_web_identity_new(char *const *envp,
							       struct si_err *err)
{
	return s_sts_new(&s_web_vt, envp, err);
}
