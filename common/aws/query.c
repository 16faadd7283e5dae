/*
 * aws/query.c - signed AWS query-protocol requests (form POST + SigV4).
 *
 * The body is encoded with sigv4_uri_encode rather than curl_easy_escape:
 * the two agree on modern curl (unreserved set kept, %XX upper-case), but
 * using the signer's own encoder keeps this module free of libcurl and
 * guarantees the body bytes are encoded exactly as the signer expects.
 */
#include "aws/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/region.h"
#include "util/strutil.h"

/* "AWS_ENDPOINT_URL_" + an upper-cased service id. */
#define S_ENV_NAME_MAX 96

/* STS's global endpoint, like every global endpoint of the aws partition
 * (Route 53, IAM), is served from, and signed for, us-east-1. */
#define S_STS_GLOBAL_URL "https://sts.amazonaws.com"
#define S_GLOBAL_REGION "us-east-1"

/* ---- form body -------------------------------------------------------- */

static int s_put_pair(struct si_buf *out, int first, const char *k,
		      const char *v, struct si_err *err)
{
	if ((!first && si_buf_append(out, "&", 1, err) != 0) ||
	    sigv4_uri_encode(out, k, strlen(k), 0, err) != 0 ||
	    si_buf_append(out, "=", 1, err) != 0 ||
	    sigv4_uri_encode(out, v, strlen(v), 0, err) != 0)
		return -1;
	return 0;
}

int aws_query_form_body(struct si_buf *out, const char *action,
			const char *version,
			const struct aws_query_param *params, size_t n_params,
			struct si_err *err)
{
	size_t i;

	if (action == NULL || action[0] == '\0' || version == NULL ||
	    version[0] == '\0')
		return si_err_set(err, SI_ERR_INVALID,
				  "aws_query: Action and Version are required");
	if (n_params > AWS_QUERY_MAX_PARAMS)
		return si_err_set(err, SI_ERR_LIMIT, "aws_query: more than %d parameters",
				  AWS_QUERY_MAX_PARAMS);
	if (n_params > 0 && params == NULL)
		return si_err_set(err, SI_ERR_INVALID, "aws_query: NULL params");
	for (i = 0; i < n_params; i++) {
		const char *k = params[i].name;

		if (k == NULL || k[0] == '\0' || params[i].value == NULL)
			return si_err_set(err, SI_ERR_INVALID,
					  "aws_query: parameter %zu has no name or value", i);
		/* A second Action/Version would make the call ambiguous. */
		if (strcmp(k, "Action") == 0 || strcmp(k, "Version") == 0)
			return si_err_set(err, SI_ERR_INVALID,
					  "aws_query: %s given as a parameter", k);
	}
	if (s_put_pair(out, 1, "Action", action, err) != 0 ||
	    s_put_pair(out, 0, "Version", version, err) != 0)
		return -1;
	for (i = 0; i < n_params; i++)
		if (s_put_pair(out, 0, params[i].name, params[i].value, err) != 0)
			return -1;
	return 0;
}

/* ---- endpoint URL ----------------------------------------------------- */

struct s_url {
	char *url;  /* scheme://hostport + path */
	char *host; /* Host header value */
	char *path; /* "/" or the endpoint's path */
};

static void s_url_free(struct s_url *u)
{
	free(u->url);
	free(u->host);
	free(u->path);
	memset(u, 0, sizeof(*u));
}

static int s_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* Split "scheme://host[:port][/path]" and derive the Host header: the port
 * is kept only when it is not the scheme's default, as curl and the SDKs
 * send it, because the Host header is signed and must match. Userinfo,
 * queries and fragments are refused: an endpoint never has them. */
static int s_parse_url(const char *url, struct s_url *u, struct si_err *err)
{
	const char *p, *hend, *host_end, *port = NULL, *path;
	long def_port, portnum = 0;
	size_t hostlen, i;
	int n;

	memset(u, 0, sizeof(*u));
	if (url == NULL || strlen(url) > AWS_QUERY_MAX_URL)
		return si_err_set(err, SI_ERR_INVALID, "aws_query: endpoint missing or too long");
	if (SI_HAS_PREFIX_CI(url, "https://")) {
		p = url + SI_LITLEN("https://");
		def_port = 443;
	} else if (SI_HAS_PREFIX_CI(url, "http://")) {
		p = url + SI_LITLEN("http://");
		def_port = 80;
	} else {
		return si_err_set(err, SI_ERR_INVALID, "aws_query: endpoint must be http(s)://");
	}
	hend = p + strcspn(p, "/?#");
	if (*hend == '?' || *hend == '#' || memchr(p, '@', (size_t)(hend - p)))
		return si_err_set(err, SI_ERR_INVALID,
				  "aws_query: endpoint has userinfo, query or fragment");
	if (*p == '[') { /* IPv6 literal, e.g. [::1]:4566 */
		const char *rb = memchr(p, ']', (size_t)(hend - p));

		if (rb == NULL)
			return si_err_set(err, SI_ERR_INVALID, "aws_query: bad IPv6 endpoint");
		for (i = 1; p + i < rb; i++)
			if (!(s_host_char(p[i]) || p[i] == ':'))
				return si_err_set(err, SI_ERR_INVALID,
						  "aws_query: bad IPv6 endpoint");
		host_end = rb + 1;
	} else {
		host_end = p;
		while (host_end < hend && s_host_char(*host_end))
			host_end++;
	}
	if (host_end < hend && *host_end == ':')
		port = host_end + 1;
	else if (host_end != hend)
		return si_err_set(err, SI_ERR_INVALID, "aws_query: bad character in endpoint host");
	if (host_end == p || (*p == '[' && host_end == p + 2))
		return si_err_set(err, SI_ERR_INVALID, "aws_query: endpoint has no host");
	if (port != NULL) {
		char *end;

		if (port == hend || port[0] < '0' || port[0] > '9')
			return si_err_set(err, SI_ERR_INVALID, "aws_query: bad endpoint port");
		portnum = strtol(port, &end, 10);
		if (end != hend || portnum < 1 || portnum > 65535)
			return si_err_set(err, SI_ERR_INVALID, "aws_query: bad endpoint port");
	}
	path = *hend == '/' ? hend : "/";
	/* The path is signed as given; allow only characters that need no
	 * encoding so the URL we send and the path we sign cannot differ. */
	for (i = 0; path[i] != '\0'; i++)
		if (!(s_host_char(path[i]) || path[i] == '/' || path[i] == '~'))
			return si_err_set(err, SI_ERR_INVALID,
					  "aws_query: unsupported character in endpoint path");
	hostlen = (size_t)(host_end - p);
	u->path = strdup(path);
	if (port != NULL && portnum != def_port)
		u->host = si_strndup(p, (size_t)(hend - p));
	else
		u->host = si_strndup(p, hostlen);
	if (u->path == NULL || u->host == NULL)
		goto nomem;
	n = snprintf(NULL, 0, "%.*s%s%s", (int)(p - url), url, u->host, u->path);
	if (n < 0)
		goto nomem;
	u->url = malloc((size_t)n + 1);
	if (u->url == NULL ||
	    snprintf(u->url, (size_t)n + 1, "%.*s%s%s", (int)(p - url), url,
		     u->host, u->path) != n)
		goto nomem;
	return 0;
nomem:
	s_url_free(u);
	return si_err_set(err, SI_ERR_NOMEM, "out of memory");
}

/* ---- build ------------------------------------------------------------ */

void aws_query_request_free(struct aws_query_request *r)
{
	size_t i;

	if (r == NULL)
		return;
	/* Authorization and the session token are credentials. */
	for (i = 0; i < r->n_headers; i++)
		si_secret_free(r->headers[i]);
	free(r->headers);
	free(r->url);
	free(r->host);
	free(r->body);
	free(r);
}

static int s_add_line(struct aws_query_request *r, const char *name,
		      const char *value, struct si_err *err)
{
	int n = snprintf(NULL, 0, "%s: %s", name, value);
	char *line;

	if (n < 0)
		return si_err_set(err, SI_ERR_INTERNAL, "aws_query: snprintf failed");
	line = malloc((size_t)n + 1);
	if (line == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	if (snprintf(line, (size_t)n + 1, "%s: %s", name, value) != n) {
		free(line);
		return si_err_set(err, SI_ERR_INTERNAL, "aws_query: snprintf failed");
	}
	r->headers[r->n_headers++] = line;
	return 0;
}

/* Why the request is assembled here and not by libcurl: every byte that
 * SigV4 covers (method, path, Content-Type, Host, body) must be exactly
 * what goes on the wire, so the body is encoded by the signer's encoder,
 * the Host value comes from s_parse_url (default port dropped, as curl
 * sends it), and Content-Type is sent explicitly (curl would otherwise
 * send its own, unsigned, without the charset botocore uses). Assumes
 * every pointer in *in is valid for the call and the keys are the ones to
 * sign with (the caller did any AssumeRole). The result's header lines
 * hold the session token and the signature, so they are wiped on free. */
int aws_query_build(const struct aws_query_input *in,
		    struct aws_query_request **out, struct si_err *err)
{
	struct aws_query_request *r = NULL;
	struct sigv4_result sig;
	struct sigv4_header hdrs[2];
	struct sigv4_request req;
	struct sigv4_credentials creds;
	struct sigv4_params params;
	struct s_url u;
	struct si_buf body;
	size_t i;
	int rc = -1;

	memset(&sig, 0, sizeof(sig));
	memset(&u, 0, sizeof(u));
	si_buf_init(&body, AWS_QUERY_MAX_BODY);
	if (out == NULL || in == NULL)
		return si_err_set(err, SI_ERR_INVALID, "aws_query: NULL argument");
	*out = NULL;
	if (aws_query_form_body(&body, in->action, in->version, in->params,
				in->n_params, err) != 0 ||
	    s_parse_url(in->endpoint, &u, err) != 0)
		goto out;

	hdrs[0] = (struct sigv4_header){"Content-Type", AWS_QUERY_CONTENT_TYPE};
	hdrs[1] = (struct sigv4_header){"Host", u.host};
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = u.path;
	req.headers = hdrs;
	req.n_headers = 2;
	req.body = body.data;
	req.body_len = body.len;
	creds.access_key_id = in->access_key_id;
	creds.secret_access_key = in->secret_access_key;
	creds.session_token = in->session_token;
	memset(&params, 0, sizeof(params));
	params.region = in->region;
	params.service = in->service;
	params.now = in->now;
	/* Every service but S3 signs the normalised path (SigV4 spec). */
	params.normalize_path = 1;
	params.mode = SIGV4_MODE_HEADER;
	params.cache = in->cache;
	if (sigv4_sign(&req, &creds, &params, &sig, err) != 0)
		goto out;

	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->headers = calloc(2 + sig.n_add, sizeof(char *))) == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (s_add_line(r, hdrs[0].name, hdrs[0].value, err) != 0 ||
	    s_add_line(r, hdrs[1].name, hdrs[1].value, err) != 0)
		goto out;
	for (i = 0; i < sig.n_add; i++)
		if (s_add_line(r, sig.add[i].name, sig.add[i].value, err) != 0)
			goto out;
	r->body_len = body.len;
	r->body = si_buf_steal(&body);
	r->url = u.url;
	r->host = u.host;
	u.url = NULL;
	u.host = NULL;
	if (r->body == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	*out = r;
	r = NULL;
	rc = 0;
out:
	aws_query_request_free(r);
	sigv4_result_free(&sig);
	s_url_free(&u);
	si_buf_free(&body, 0);
	return rc;
}

/* ---- endpoint resolution ---------------------------------------------- */

/* Value of name in envp; empty counts as unset (the SDK rule). */
static const char *s_env(char *const envp[], const char *name)
{
	const char *v = si_env_get(envp, name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Service names go into a host name and an environment variable name:
 * lower-case DNS-label characters only, so none can redirect the default
 * endpoint to another host. */
static int s_valid_service(const char *r)
{
	size_t i;

	if (r == NULL || r[0] == '\0' || strlen(r) > SIGV4_MAX_NAME)
		return 0;
	for (i = 0; r[i] != '\0'; i++)
		if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') ||
		      r[i] == '-'))
			return 0;
	return 1;
}

static int s_dup2(const char *url, const char *region, char **out_url,
		  char **out_region, struct si_err *err)
{
	*out_url = strdup(url);
	*out_region = strdup(region);
	if (*out_url == NULL || *out_region == NULL) {
		free(*out_url);
		free(*out_region);
		*out_url = NULL;
		*out_region = NULL;
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* The SDK service ids that are not just the signing name upper-cased: the
 * "serviceId" of each botocore model (tests/data/shared/README.md, the
 * service table), spaces as '_'. Classic ELB and ELBv2 share a signing
 * name and differ by API version. */
static const struct {
	const char *service;
	const char *version;    /* NULL: any */
	const char *id;
} s_service_ids[] = {
	{ "route53", NULL, "ROUTE_53" },
	{ "autoscaling", NULL, "AUTO_SCALING" },
	{ "elasticloadbalancing", "2015-12-01", "ELASTIC_LOAD_BALANCING_V2" },
	{ "elasticloadbalancing", NULL, "ELASTIC_LOAD_BALANCING" },
};

int aws_query_env_name(const char *service, const char *version, char *out, size_t n,
		       struct si_err *err)
{
	const char *id = NULL;
	size_t plen = SI_LITLEN("AWS_ENDPOINT_URL_"), i;
	int k;

	if (!s_valid_service(service))
		return si_err_set(err, SI_ERR_INVALID, "aws_query: bad service name");
	for (i = 0; i < sizeof(s_service_ids) / sizeof(s_service_ids[0]) && id == NULL; i++)
		if (strcmp(s_service_ids[i].service, service) == 0 &&
		    (s_service_ids[i].version == NULL ||
		     (version != NULL && strcmp(s_service_ids[i].version, version) == 0)))
			id = s_service_ids[i].id;
	k = snprintf(out, n, "AWS_ENDPOINT_URL_%s", id != NULL ? id : service);
	if (k < 0 || (size_t)k >= n)
		return si_err_set(err, SI_ERR_INVALID, "aws_query: service name too long");
	if (id != NULL)
		return 0;
	/* Upper case, '-' as '_' (s_valid_service allowed nothing else). */
	for (i = plen; out[i] != '\0'; i++)
		if (out[i] >= 'a' && out[i] <= 'z')
			out[i] = (char)(out[i] - 'a' + 'A');
		else if (out[i] == '-')
			out[i] = '_';
	return 0;
}

/* Why the SDKs' order and nothing more: an operator who points the AWS CLI
 * at a stand-in or a VPC endpoint with AWS_ENDPOINT_URL* expects this
 * service to follow. Assumes envp is the copy the client keeps (only the
 * endpoint variables); names are checked before they go into a URL. A
 * global call (Route 53) is signed for us-east-1 even behind an override:
 * the override stands in for the global endpoint, and the region of the
 * target searched means nothing to it. */
int aws_query_resolve(const struct aws_endpoint_req *rq, char *const envp[], char **url,
		      char **signing_region, struct si_err *err)
{
	char envname[S_ENV_NAME_MAX];
	char def[AWS_QUERY_MAX_URL];
	const char *override, *mode, *service, *region;
	int is_sts, n;

	if (url == NULL || signing_region == NULL || rq == NULL)
		return si_err_set(err, SI_ERR_INVALID, "aws_query: NULL argument");
	*url = NULL;
	*signing_region = NULL;
	service = rq->service;
	region = rq->region;
	if (aws_query_env_name(service, rq->version, envname, sizeof(envname), err) != 0)
		return -1;
	/* Regions by the one shape rule (aws/region.h): anything else could
	 * redirect the default endpoint to another host. */
	if (region != NULL && !aws_region_valid(region))
		return si_err_set(err, SI_ERR_INVALID, "aws_query: bad region name");
	is_sts = strcmp(service, "sts") == 0;

	override = s_env(envp, envname);
	if (override == NULL)
		override = s_env(envp, "AWS_ENDPOINT_URL");
	if (override != NULL) {
		if (rq->global)
			return s_dup2(override, S_GLOBAL_REGION, url, signing_region, err);
		if (region == NULL && !is_sts)
			return si_err_set(err, SI_ERR_INVALID, "aws_query: %s needs a region",
					  service);
		return s_dup2(override, region ? region : S_GLOBAL_REGION, url,
			      signing_region, err);
	}
	if (rq->global) {
		n = snprintf(def, sizeof(def), "https://%s.amazonaws.com", service);
		if (n <= 0 || (size_t)n >= sizeof(def))
			return si_err_set(err, SI_ERR_INTERNAL, "aws_query: snprintf failed");
		return s_dup2(def, S_GLOBAL_REGION, url, signing_region, err);
	}
	mode = s_env(envp, "AWS_STS_REGIONAL_ENDPOINTS");
	if (is_sts && (mode == NULL || strcasecmp(mode, "regional") != 0) &&
	    (region == NULL || !SI_HAS_PREFIX(region, "cn-")))
		return s_dup2(S_STS_GLOBAL_URL, S_GLOBAL_REGION, url,
			      signing_region, err);
	if (region == NULL)
		return si_err_set(err, SI_ERR_INVALID, "aws_query: %s needs a region", service);
	/* China partition regions live under amazonaws.com.cn and have no
	 * global STS endpoint. */
	n = snprintf(def, sizeof(def), "https://%s.%s.amazonaws.com%s", service,
		     region, SI_HAS_PREFIX(region, "cn-") ? ".cn" : "");
	if (n <= 0 || (size_t)n >= sizeof(def))
		return si_err_set(err, SI_ERR_INTERNAL, "aws_query: snprintf failed");
	return s_dup2(def, region, url, signing_region, err);
}

int aws_query_resolve_endpoint(const char *service, const char *region,
			       char *const envp[], char **url,
			       char **signing_region, struct si_err *err)
{
	const struct aws_endpoint_req rq = { service, NULL, region, 0 };

	return aws_query_resolve(&rq, envp, url, signing_region, err);
}
