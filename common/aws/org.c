/*
 * org.c - account and region discovery through AWS Organizations.
 *
 * A refresh is sequential: AssumeRole into the management account,
 * ListAccounts page by page, then (regions = all) for each account
 * AssumeRole + ec2:DescribeRegions one after the other. The calls reuse one
 * libcurl easy handle (so one connection) per refresh. Sequential is a
 * deliberate first version: the refresh runs in the background every
 * refresh_s (900 s by default), so an organisation of a few hundred
 * accounts costs a minute of one thread, never a user's wait; the number
 * of calls is bounded by ORG_MAX_ACCOUNTS and ORG_MAX_PAGES. Fanning the
 * per-account calls out over curl multi is the obvious next step.
 */
#include "aws/org.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "aws/query.h"
#include "aws/retry.h"
#include "aws/xml.h"
#include "util/buf.h"
#include "aws/ec2_types.h"
#include "util/logfmt.h"
#include "aws/sigv4.h"
#include "aws/sts_cache.h"

#define S_STS_VERSION "2011-06-15"
#define S_EC2_VERSION "2016-11-15"

/* Shows in CloudTrail of every account, so an operator can tell discovery
 * from searches ([\w+=,.@-], at most 64 characters). */
#define S_SESSION_NAME "slash-infra-org-discovery"

#define S_ORGS_TARGET "AWSOrganizationsV20161128.ListAccounts"
#define S_ORGS_CONTENT_TYPE "application/x-amz-json-1.1"

/* Longest field value accepted from a ListAccounts entry: names are at most
 * 50 characters, ARNs about 100; 2 KiB only stops abuse. */
#define S_MAX_FIELD 2048

/* Assumed-role credentials kept between refreshes. With more accounts than
 * this the cache evicts and we simply assume again; 1024 entries of a few
 * hundred bytes each is cheap. */
#define S_STS_CACHE_CAP 1024

/* Retry backoff (full jitter): the SDKs' standard mode uses a 100 ms base;
 * the 5 s cap keeps a throttled refresh from stalling for minutes. */
#define S_BACKOFF_BASE_MS 100L
#define S_BACKOFF_CAP_MS 5000L

/* An aliases buffer: config's aliases are at most 64 bytes. */
#define S_ALIAS_MAX 64

/* ---- ListAccounts parsing -------------------------------------------------- */

void org_account_page_clear(struct org_account_page *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->accounts[i].id);
		free(p->accounts[i].name);
		free(p->accounts[i].status);
		free(p->accounts[i].arn);
	}
	free(p->accounts);
	free(p->next_token);
	memset(p, 0, sizeof(*p));
}

static int s_is_account_id(const char *s, size_t len)
{
	if (len != 12)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Copy the string member key of obj into *out. Absent or null gives NULL
 * (an error when required); another type, an embedded NUL or a value over
 * max is an error. */
static int s_json_str(struct json_object *obj, const char *key, int required,
		      size_t max, char **out, struct si_err *err)
{
	struct json_object *v = NULL;
	const char *s;
	size_t len;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL) {
		if (required)
			return si_err_set(err, SI_ERR_INVALID, "ListAccounts: %s missing", key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return si_err_set(err, SI_ERR_INVALID, "ListAccounts: %s is not a string", key);
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len > max)
		return si_err_set(err, SI_ERR_LIMIT, "ListAccounts: %s longer than %zu bytes",
				  key, max);
	if (strlen(s) != len)
		return si_err_set(err, SI_ERR_INVALID, "ListAccounts: %s holds a NUL byte", key);
	if (required && len == 0)
		return si_err_set(err, SI_ERR_INVALID, "ListAccounts: %s is empty", key);
	*out = strndup(s, len);
	if (*out == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return 0;
}

static int s_parse_entry(struct json_object *e, struct org_account_info *a, struct si_err *err)
{
	if (!json_object_is_type(e, json_type_object))
		return si_err_set(err, SI_ERR_INVALID, "ListAccounts: account is not an object");
	if (s_json_str(e, "Id", 1, S_MAX_FIELD, &a->id, err) != 0 ||
	    s_json_str(e, "Status", 1, S_MAX_FIELD, &a->status, err) != 0 ||
	    s_json_str(e, "Name", 0, S_MAX_FIELD, &a->name, err) != 0 ||
	    s_json_str(e, "Arn", 0, S_MAX_FIELD, &a->arn, err) != 0)
		return -1;
	/* The id goes into role ARNs and aliases: only 12 digits may. */
	if (!s_is_account_id(a->id, strlen(a->id)))
		return si_err_set(err, SI_ERR_INVALID, "ListAccounts: Id is not 12 digits");
	return 0;
}

static int s_parse_doc(struct json_object *root, struct org_account_page *out,
		       struct si_err *err)
{
	struct json_object *arr = NULL;
	size_t n;

	if (!json_object_is_type(root, json_type_object))
		return si_err_set(err, SI_ERR_INVALID, "ListAccounts: answer is not an object");
	if (!json_object_object_get_ex(root, "Accounts", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return si_err_set(err, SI_ERR_INVALID, "ListAccounts: no Accounts array");
	n = json_object_array_length(arr);
	if (n > ORG_MAX_PAGE_ACCOUNTS)
		return si_err_set(err, SI_ERR_LIMIT, "ListAccounts: more than %d accounts in a page",
				  ORG_MAX_PAGE_ACCOUNTS);
	if (n > 0) {
		out->accounts = calloc(n, sizeof(*out->accounts));
		if (out->accounts == NULL)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		/* Count first, so a failed entry's partial strings are freed. */
		out->n = i + 1;
		if (s_parse_entry(json_object_array_get_idx(arr, i), &out->accounts[i], err) != 0)
			return -1;
	}
	if (s_json_str(root, "NextToken", 0, ORG_MAX_TOKEN, &out->next_token, err) != 0)
		return -1;
	if (out->next_token != NULL && out->next_token[0] == '\0') {
		free(out->next_token);
		out->next_token = NULL;
	}
	return 0;
}

int org_parse_list_accounts(const char *json, size_t len, struct org_account_page *out,
			    struct si_err *err)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL;
	size_t end;
	int rc = -1;

	if (out == NULL)
		return si_err_set(err, SI_ERR_INVALID, "ListAccounts: NULL argument");
	memset(out, 0, sizeof(*out));
	if (json == NULL && len > 0) {
		si_err_set(err, SI_ERR_INVALID, "ListAccounts: NULL argument");
		goto out;
	}
	if (len > ORG_MAX_JSON) {
		si_err_set(err, SI_ERR_LIMIT, "ListAccounts: answer over %zu bytes", ORG_MAX_JSON);
		goto out;
	}
	tok = json_tokener_new_ex(ORG_JSON_DEPTH);
	if (tok == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	root = json_tokener_parse_ex(tok, len ? json : "", (int)len);
	if (root == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		si_err_set(err, SI_ERR_INVALID, "ListAccounts: not JSON (%s)",
			   json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	/* One document only: trailing bytes other than whitespace mean the
	 * body is not what we think it is. */
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (strchr(" \t\r\n", json[end]) == NULL || json[end] == '\0') {
			si_err_set(err, SI_ERR_INVALID, "ListAccounts: trailing data");
			goto out;
		}
	rc = s_parse_doc(root, out, err);
out:
	if (rc != 0)
		org_account_page_clear(out);
	json_object_put(root);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}

/* ---- aliases and accounts ------------------------------------------------ */

int org_alias_from_name(const char *name, const char *id, char *out, size_t out_len,
			struct si_err *err)
{
	size_t n = 0;
	int dash = 0;

	if (out == NULL || id == NULL || out_len < ORG_ALIAS_NAME_MAX + 1 ||
	    out_len < strlen(id) + 1)
		return si_err_set(err, SI_ERR_LIMIT, "org: alias buffer too small");
	for (const char *p = name; p != NULL && *p != '\0' && n < ORG_ALIAS_NAME_MAX; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
			/* A run of anything else (spaces, dots, UTF-8, '-') becomes
			 * one '-', and none at the start. */
			dash = n > 0;
			continue;
		}
		if (dash && n + 1 < ORG_ALIAS_NAME_MAX)
			out[n++] = '-';
		dash = 0;
		out[n++] = c;
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, out_len, "%s", id);
	return 0;
}

static void s_account_clear(struct si_account *a)
{
	free(a->alias);
	free(a->role_arn);
	free(a->external_id);
	for (size_t i = 0; i < a->n_regions; i++)
		free(a->regions[i]);
	free(a->regions);
	for (size_t i = 0; i < a->n_allowed_channels; i++)
		free(a->allowed_channels[i]);
	free(a->allowed_channels);
	memset(a, 0, sizeof(*a));
}

void org_accounts_free(struct si_account *accounts, size_t n)
{
	for (size_t i = 0; accounts != NULL && i < n; i++)
		s_account_clear(&accounts[i]);
	free(accounts);
}

static int s_strv_copy(char ***dst, size_t *n_dst, char *const *src, size_t n,
		       struct si_err *err)
{
	*dst = NULL;
	*n_dst = 0;
	if (n == 0)
		return 0;
	*dst = calloc(n, sizeof(**dst));
	if (*dst == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		(*dst)[i] = strdup(src[i]);
		if ((*dst)[i] == NULL)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
		*n_dst = i + 1;
	}
	return 0;
}

/* Working row while aliases are assigned. */
struct s_alias_row {
	char base[S_ALIAS_MAX];
	size_t info;   /* index into infos */
	int collides;
};

static int s_row_cmp(const void *a, const void *b)
{
	const struct s_alias_row *x = a, *y = b;
	int c = strcmp(x->base, y->base);

	return c != 0 ? c : (x->info > y->info) - (x->info < y->info);
}

static int s_account_cmp(const void *a, const void *b)
{
	return strcmp(((const struct si_account *)a)->alias,
		      ((const struct si_account *)b)->alias);
}

static int s_fill_account(struct si_account *a, const struct s_alias_row *row,
			  const struct org_account_info *info, const char *partition,
			  const char *role_name, char *const *regions, size_t n_regions,
			  struct si_err *err)
{
	char buf[S_ALIAS_MAX + 16];
	int n;

	if (row->collides)
		n = snprintf(buf, sizeof(buf), "%s-%s", row->base, info->id);
	else
		n = snprintf(buf, sizeof(buf), "%s", row->base);
	if (n <= 0 || (size_t)n >= S_ALIAS_MAX)
		return si_err_set(err, SI_ERR_LIMIT, "org: alias too long for %s", info->id);
	a->alias = strdup(buf);
	if (asprintf(&a->role_arn, "arn:%s:iam::%s:role/%s", partition, info->id,
		     role_name) < 0) {
		a->role_arn = NULL;
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	if (a->alias == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return s_strv_copy(&a->regions, &a->n_regions, regions, n_regions, err);
}

int org_accounts_build(const struct org_account_info *infos, size_t n, const char *partition,
		       const char *role_name, char *const *regions, size_t n_regions,
		       struct si_account **out, size_t *n_out, struct si_err *err)
{
	struct s_alias_row *rows = NULL;
	struct si_account *accs = NULL;
	size_t m = 0, i;
	int rc = -1;

	if (out == NULL || n_out == NULL || partition == NULL || role_name == NULL ||
	    (infos == NULL && n > 0))
		return si_err_set(err, SI_ERR_INVALID, "org: NULL argument");
	*out = NULL;
	*n_out = 0;
	if (n > ORG_MAX_ACCOUNTS)
		return si_err_set(err, SI_ERR_LIMIT, "org: more than %d accounts", ORG_MAX_ACCOUNTS);
	rows = calloc(n ? n : 1, sizeof(*rows));
	accs = calloc(n ? n : 1, sizeof(*accs));
	if (rows == NULL || accs == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (infos[i].status == NULL || strcmp(infos[i].status, "ACTIVE") != 0)
			continue;
		if (infos[i].id == NULL || !s_is_account_id(infos[i].id, strlen(infos[i].id))) {
			si_err_set(err, SI_ERR_INVALID, "org: account id is not 12 digits");
			goto out;
		}
		if (org_alias_from_name(infos[i].name, infos[i].id, rows[m].base,
					sizeof(rows[m].base), err) != 0)
			goto out;
		rows[m++].info = i;
	}
	/* Sorted by base alias (then input order), equal aliases are adjacent. */
	qsort(rows, m, sizeof(*rows), s_row_cmp);
	for (i = 0; i + 1 < m; i++)
		if (strcmp(rows[i].base, rows[i + 1].base) == 0)
			rows[i].collides = rows[i + 1].collides = 1;
	for (i = 0; i < m; i++)
		if (s_fill_account(&accs[i], &rows[i], &infos[rows[i].info], partition, role_name,
				   regions, n_regions, err) != 0) {
			m = i + 1;
			goto out;
		}
	qsort(accs, m, sizeof(*accs), s_account_cmp);
	/* "<name>-<id>" can still meet an account literally named so, or the
	 * same id listed twice: refuse rather than hide an account. */
	for (i = 0; i + 1 < m; i++)
		if (strcmp(accs[i].alias, accs[i + 1].alias) == 0) {
			si_err_set(err, SI_ERR_INVALID, "org: two accounts map to alias %s",
				   accs[i].alias);
			goto out;
		}
	*out = accs;
	*n_out = m;
	accs = NULL;
	rc = 0;
out:
	org_accounts_free(accs, m);
	free(rows);
	return rc;
}

/* ---- snapshots ----------------------------------------------------------- */

struct s_snapshot {
	struct org_snapshot pub; /* first, so a public pointer converts back */
	atomic_size_t refs;
};

static struct s_snapshot *s_snap(struct org_snapshot *s)
{
	return (struct s_snapshot *)(void *)s;
}

struct org_snapshot *org_snapshot_ref(struct org_snapshot *s)
{
	if (s != NULL)
		atomic_fetch_add(&s_snap(s)->refs, 1);
	return s;
}

void org_snapshot_unref(struct org_snapshot *s)
{
	if (s == NULL || atomic_fetch_sub(&s_snap(s)->refs, 1) != 1)
		return;
	org_accounts_free(s->accounts, s->n);
	free(s_snap(s));
}

/* ---- discovery state ----------------------------------------------------- */

struct org_discovery {
	/* copied configuration */
	char *role_name;
	char *mgmt_role_arn;
	char partition[32];
	const char *home_region;   /* static: where Organizations/EC2 are asked */
	char **regions;            /* fixed list; NULL when all */
	size_t n_regions;
	int all_regions;
	int refresh_s;
	long connect_timeout_ms;
	long timeout_ms;
	int max_attempts;
	char **envp;               /* NULL-terminated copy */
	char *ca_bundle;           /* AWS_CA_BUNDLE or NULL */

	struct aws_creds_provider *base; /* borrowed */
	struct sts_cache *sts;
	struct sigv4_key_cache *keys;
	FILE *log;

	pthread_mutex_t refresh_mu; /* one refresh at a time */
	pthread_mutex_t mu;         /* guards snap, stop, thread state */
	pthread_cond_t cv;          /* signalled on stop */
	struct org_snapshot *snap;
	int stop;
	atomic_int stopping;        /* read by curl's progress callback */
	int started;
	pthread_t thread;
};

/* Organizations is a global service served from one region per partition;
 * EC2 DescribeRegions is asked there too (every account has it enabled). */
static const struct {
	const char *partition;
	const char *region;
} s_partitions[] = {
	{ "aws", "us-east-1" },
	{ "aws-us-gov", "us-gov-west-1" },
	{ "aws-cn", "cn-northwest-1" },
};

static int s_set_partition(struct org_discovery *d, const char *arn, struct si_err *err)
{
	const char *p, *q;

	if (strncmp(arn, "arn:", 4) != 0 || (q = strchr(p = arn + 4, ':')) == NULL)
		return si_err_set(err, SI_ERR_INVALID, "[organization] management_role_arn "
				  "is not an ARN");
	for (size_t i = 0; i < sizeof(s_partitions) / sizeof(s_partitions[0]); i++)
		if (strlen(s_partitions[i].partition) == (size_t)(q - p) &&
		    strncmp(p, s_partitions[i].partition, (size_t)(q - p)) == 0) {
			snprintf(d->partition, sizeof(d->partition), "%s",
				 s_partitions[i].partition);
			d->home_region = s_partitions[i].region;
			return 0;
		}
	return si_err_set(err, SI_ERR_INVALID, "[organization] management_role_arn: "
			  "unknown partition");
}

static int s_copy_env(struct org_discovery *d, char *const *envp, struct si_err *err)
{
	size_t n = 0;

	while (envp != NULL && envp[n] != NULL)
		n++;
	d->envp = calloc(n + 1, sizeof(*d->envp));
	if (d->envp == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		d->envp[i] = strdup(envp[i]);
		if (d->envp[i] == NULL)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	const char *ca = aws_creds_env_get(envp, "AWS_CA_BUNDLE");
	if (ca != NULL && ca[0] != '\0' && (d->ca_bundle = strdup(ca)) == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return 0;
}

static int s_init_sync(struct org_discovery *d, struct si_err *err)
{
	pthread_condattr_t ca;
	int ok;

	if (pthread_condattr_init(&ca) != 0)
		return si_err_set(err, SI_ERR_INTERNAL, "org: pthread_condattr_init failed");
	/* Monotonic: a wall-clock jump must not stretch or cut the period. */
	ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
	     pthread_cond_init(&d->cv, &ca) == 0;
	pthread_condattr_destroy(&ca);
	if (!ok)
		return si_err_set(err, SI_ERR_INTERNAL, "org: pthread_cond_init failed");
	pthread_mutex_init(&d->mu, NULL);
	pthread_mutex_init(&d->refresh_mu, NULL);
	return 0;
}

struct org_discovery *org_discovery_new(const struct si_config *cfg, char *const *envp,
					struct aws_creds_provider *base, struct si_err *err)
{
	struct org_discovery *d;

	if (cfg == NULL || base == NULL) {
		si_err_set(err, SI_ERR_INVALID, "org: NULL argument");
		return NULL;
	}
	if (cfg->org_role_name == NULL || cfg->org_management_role_arn == NULL) {
		si_err_set(err, SI_ERR_INVALID, "[organization] is not configured");
		return NULL;
	}
	if (cfg->org_refresh_s <= 0 || cfg->n_org_regions == 0) {
		si_err_set(err, SI_ERR_INVALID, "[organization] needs refresh_s > 0 and regions");
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (s_init_sync(d, err) != 0) {
		free(d);
		return NULL;
	}
	d->base = base;
	d->log = stderr;
	d->refresh_s = cfg->org_refresh_s;
	d->connect_timeout_ms = cfg->aws_connect_timeout_ms > 0 ? cfg->aws_connect_timeout_ms : 2000;
	d->timeout_ms = cfg->aws_timeout_ms > 0 ? cfg->aws_timeout_ms : 10000;
	d->max_attempts = cfg->aws_max_attempts > 0 ? cfg->aws_max_attempts : 3;
	d->all_regions = cfg->n_org_regions == 1 && strcmp(cfg->org_regions[0], "all") == 0;
	d->role_name = strdup(cfg->org_role_name);
	d->mgmt_role_arn = strdup(cfg->org_management_role_arn);
	d->sts = sts_cache_new(S_STS_CACHE_CAP);
	d->keys = sigv4_key_cache_new(64, err);
	if (d->role_name == NULL || d->mgmt_role_arn == NULL || d->sts == NULL ||
	    d->keys == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (s_set_partition(d, d->mgmt_role_arn, err) != 0 || s_copy_env(d, envp, err) != 0)
		goto fail;
	if (!d->all_regions &&
	    s_strv_copy(&d->regions, &d->n_regions, cfg->org_regions, cfg->n_org_regions, err) != 0)
		goto fail;
	return d;
fail:
	org_discovery_free(d);
	return NULL;
}

void org_discovery_set_log(struct org_discovery *d, FILE *log)
{
	if (d != NULL && log != NULL)
		d->log = log;
}

struct org_snapshot *org_discovery_get(struct org_discovery *d)
{
	struct org_snapshot *s;

	if (d == NULL)
		return NULL;
	pthread_mutex_lock(&d->mu);
	s = org_snapshot_ref(d->snap);
	pthread_mutex_unlock(&d->mu);
	return s;
}

/* Wait up to ms on the condition variable; 1 when asked to stop. */
static int s_wait(struct org_discovery *d, long ms)
{
	struct timespec ts;
	int stop;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->mu);
	while (!d->stop)
		if (pthread_cond_timedwait(&d->cv, &d->mu, &ts) == ETIMEDOUT)
			break;
	stop = d->stop;
	pthread_mutex_unlock(&d->mu);
	return stop;
}

/* ---- HTTP ------------------------------------------------------------------ */

/* Per-refresh transport: one easy handle, reused so the connection is. */
struct s_http {
	struct org_discovery *d;
	CURL *easy;
	struct si_buf resp;
	char curl_err[CURL_ERROR_SIZE];
};

/* A borrowed view of whichever credentials sign a call. */
struct s_keys {
	const char *akid;
	const char *secret;
	const char *token;
};

static size_t s_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct s_http *h = userdata;

	/* Returning less than asked aborts the transfer: over-size answers
	 * are cut off instead of buffered. */
	if (si_buf_append(&h->resp, ptr, size * nmemb, NULL) != 0)
		return 0;
	return size * nmemb;
}

static int s_progress_cb(void *userdata, curl_off_t a, curl_off_t b, curl_off_t c,
			 curl_off_t e)
{
	struct org_discovery *d = userdata;

	(void)a, (void)b, (void)c, (void)e;
	/* Non-zero aborts: org_discovery_free must not wait out a timeout. */
	return atomic_load(&d->stopping);
}

/* POST body to url with the header lines hdrs. *status is the HTTP status
 * or 0 when the transfer failed (then -1 is returned, err says why). */
static int s_post(struct s_http *h, const char *url, struct curl_slist *hdrs, const char *body,
		  size_t body_len, long *status, struct si_err *err)
{
	struct org_discovery *d = h->d;
	CURLcode cc;

	*status = 0;
	si_buf_reset(&h->resp);
	h->curl_err[0] = '\0';
	if (curl_easy_setopt(h->easy, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h->easy, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(h->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len) != CURLE_OK ||
	    curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, s_write_cb) != CURLE_OK ||
	    curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, h) != CURLE_OK ||
	    curl_easy_setopt(h->easy, CURLOPT_XFERINFOFUNCTION, s_progress_cb) != CURLE_OK ||
	    curl_easy_setopt(h->easy, CURLOPT_XFERINFODATA, d) != CURLE_OK ||
	    curl_easy_setopt(h->easy, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
	    curl_easy_setopt(h->easy, CURLOPT_ERRORBUFFER, h->curl_err) != CURLE_OK ||
	    curl_easy_setopt(h->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h->easy, CURLOPT_TIMEOUT_MS, d->timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(h->easy, CURLOPT_CONNECTTIMEOUT_MS, d->connect_timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(h->easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(h->easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    (d->ca_bundle != NULL &&
	     curl_easy_setopt(h->easy, CURLOPT_CAINFO, d->ca_bundle) != CURLE_OK))
		return si_err_set(err, SI_ERR_INTERNAL, "org: curl_easy_setopt failed");
	cc = curl_easy_perform(h->easy);
	if (cc != CURLE_OK)
		return si_err_set(err, cc == CURLE_OPERATION_TIMEDOUT ? SI_ERR_TIMEOUT : SI_ERR_IO,
				  "%s", h->curl_err[0] ? h->curl_err : curl_easy_strerror(cc));
	curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

/* After a failed attempt: 1 when the caller should try again (having
 * waited the backoff), 0 when not. */
static int s_retry(struct org_discovery *d, long status, const char *code, int transport,
		   int attempt)
{
	uint32_t rnd = 0;

	if (atomic_load(&d->stopping) ||
	    !aws_retry_should_retry(status, code, transport, attempt, d->max_attempts))
		return 0;
	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = UINT32_MAX / 2;
	return !s_wait(d, aws_retry_backoff_ms(attempt - 1, S_BACKOFF_BASE_MS,
					       S_BACKOFF_CAP_MS, rnd));
}

/* Credentials refused as such (not the caller's permissions): cached
 * credentials that earn one are dropped so the next refresh assumes anew. */
static int s_is_bad_creds(const char *code)
{
	static const char *const codes[] = {
		"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId",
		"UnrecognizedClientException", "AuthFailure", "RequestExpired",
	};

	for (size_t i = 0; code != NULL && i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(code, codes[i]) == 0)
			return 1;
	return 0;
}

/* One query-protocol call (STS, EC2) with retries; on success the answer
 * is in h->resp. On an AWS error *code_out (if not NULL) gets a copy of the
 * code (caller frees). */
static int s_query_call(struct s_http *h, const struct s_keys *k, const char *service,
			const char *region, const char *action, const char *version,
			const struct aws_query_param *params, size_t n_params, char **code_out,
			struct si_err *err)
{
	struct org_discovery *d = h->d;
	struct aws_query_input qi;
	struct aws_query_request *req = NULL;
	struct curl_slist *hdrs = NULL;
	struct aws_error ae;
	char *url = NULL, *sregion = NULL;
	long status = 0;
	int rc = -1, transport;

	memset(&ae, 0, sizeof(ae));
	if (aws_query_resolve_endpoint(service, region, d->envp, &url, &sregion, err) != 0)
		goto out;
	for (int attempt = 1; attempt <= d->max_attempts; attempt++) {
		memset(&qi, 0, sizeof(qi));
		qi.action = action;
		qi.version = version;
		qi.params = params;
		qi.n_params = n_params;
		qi.access_key_id = k->akid;
		qi.secret_access_key = k->secret;
		qi.session_token = k->token;
		qi.region = sregion;
		qi.service = service;
		qi.endpoint = url;
		qi.now = time(NULL); /* AWS checks the signing time against its clock */
		qi.cache = d->keys;
		aws_query_request_free(req);
		req = NULL;
		curl_slist_free_all(hdrs);
		hdrs = NULL;
		if (aws_query_build(&qi, &req, err) != 0)
			goto out;
		for (size_t i = 0; i < req->n_headers; i++) {
			struct curl_slist *t = curl_slist_append(hdrs, req->headers[i]);
			if (t == NULL)
				goto oom;
			hdrs = t;
		}
		/* libcurl would add "Expect: 100-continue" to larger bodies. */
		struct curl_slist *t = curl_slist_append(hdrs, "Expect:");
		if (t == NULL)
			goto oom;
		hdrs = t;
		transport = s_post(h, req->url, hdrs, req->body, req->body_len, &status, err) != 0;
		if (!transport && status == 200) {
			rc = 0;
			goto out;
		}
		aws_error_clear(&ae);
		if (!transport)
			(void)aws_xml_parse_error(h->resp.data, h->resp.len, &ae, NULL);
		if (!transport)
			si_err_set(err, SI_ERR_REMOTE, "%s %s: HTTP %ld %s: %s", service, action,
				   status, ae.code ? ae.code : "(no code)",
				   ae.message ? ae.message : "");
		if (!s_retry(d, status, ae.code, transport, attempt))
			break;
	}
	if (code_out != NULL && ae.code != NULL)
		*code_out = strdup(ae.code);
	goto out;
oom:
	si_err_set(err, SI_ERR_NOMEM, "out of memory");
out:
	aws_error_clear(&ae);
	aws_query_request_free(req);
	curl_slist_free_all(hdrs);
	free(url);
	free(sregion);
	return rc;
}

/* AssumeRole role_arn with k, through the cache. *out is filled on success
 * (caller clears it). */
static int s_assume(struct s_http *h, const struct s_keys *k, const char *role_arn, time_t now,
		    struct sts_credentials *out, struct si_err *err)
{
	struct org_discovery *d = h->d;
	const struct aws_query_param p[] = {
		{ "RoleArn", role_arn },
		{ "RoleSessionName", S_SESSION_NAME },
	};
	int hit;

	memset(out, 0, sizeof(*out));
	hit = sts_cache_get(d->sts, role_arn, NULL, now, out);
	if (hit == 1)
		return 0;
	if (hit < 0)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	if (s_query_call(h, k, "sts", d->home_region, "AssumeRole", S_STS_VERSION, p, 2, NULL,
			 err) != 0)
		return -1;
	if (aws_xml_parse_assume_role(h->resp.data, h->resp.len, out, err) != 0)
		return -1;
	(void)sts_cache_put(d->sts, role_arn, NULL, out, NULL);
	return 0;
}

/* Split "scheme://host[:port][/path]" into the Host header value and the
 * path to sign ("/" when none). */
static int s_split_url(const char *url, char *host, size_t host_len, const char **path,
		       struct si_err *err)
{
	const char *p = strstr(url, "://"), *slash;
	size_t n;

	if (p == NULL)
		return si_err_set(err, SI_ERR_INVALID, "org: endpoint is not a URL");
	p += 3;
	slash = strchr(p, '/');
	n = slash ? (size_t)(slash - p) : strlen(p);
	if (n == 0 || n >= host_len)
		return si_err_set(err, SI_ERR_INVALID, "org: bad endpoint host");
	memcpy(host, p, n);
	host[n] = '\0';
	*path = slash ? slash : "/";
	return 0;
}

/* The JSON request body: {"MaxResults":20[,"NextToken":"..."]}, escaped by
 * json-c. Caller frees. */
static char *s_list_body(const char *token)
{
	struct json_object *o = json_object_new_object();
	char *s = NULL;

	if (o == NULL)
		return NULL;
	if (json_object_object_add(o, "MaxResults", json_object_new_int(ORG_PAGE_SIZE)) == 0 &&
	    (token == NULL ||
	     json_object_object_add(o, "NextToken", json_object_new_string(token)) == 0))
		s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

/* The "__type" of a JSON-protocol error, without its "namespace#" part
 * (copied into code). */
static void s_json_error(const char *body, size_t len, char *code, size_t code_len,
			 char *msg, size_t msg_len)
{
	struct json_tokener *tok = json_tokener_new_ex(ORG_JSON_DEPTH);
	struct json_object *root = NULL, *v = NULL;
	const char *s;

	code[0] = msg[0] = '\0';
	if (tok == NULL || len > ORG_MAX_JSON)
		goto out;
	root = json_tokener_parse_ex(tok, body ? body : "", (int)len);
	if (root == NULL || !json_object_is_type(root, json_type_object))
		goto out;
	if (json_object_object_get_ex(root, "__type", &v) && json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		snprintf(code, code_len, "%s", strchr(s, '#') ? strchr(s, '#') + 1 : s);
	}
	if ((json_object_object_get_ex(root, "message", &v) ||
	     json_object_object_get_ex(root, "Message", &v)) &&
	    json_object_is_type(v, json_type_string))
		snprintf(msg, msg_len, "%s", json_object_get_string(v));
out:
	json_object_put(root);
	if (tok != NULL)
		json_tokener_free(tok);
}

/* Build the signed header list of one ListAccounts call. */
static int s_orgs_headers(struct org_discovery *d, const struct s_keys *k, const char *url,
			  const char *region, const char *body, struct curl_slist **hdrs,
			  struct si_err *err)
{
	char host[AWS_QUERY_MAX_URL], line[AWS_QUERY_MAX_URL + 64];
	const char *path = "/";
	struct sigv4_header sh[3];
	struct sigv4_credentials sc = { k->akid, k->secret, k->token };
	struct sigv4_request sr;
	struct sigv4_params sp;
	struct sigv4_result res;
	int rc = -1;

	memset(&res, 0, sizeof(res));
	if (s_split_url(url, host, sizeof(host), &path, err) != 0)
		return -1;
	sh[0] = (struct sigv4_header){ "Host", host };
	sh[1] = (struct sigv4_header){ "X-Amz-Target", S_ORGS_TARGET };
	sh[2] = (struct sigv4_header){ "Content-Type", S_ORGS_CONTENT_TYPE };
	sr = (struct sigv4_request){ "POST", path, NULL, sh, 3, body, strlen(body) };
	memset(&sp, 0, sizeof(sp));
	sp.region = region;
	sp.service = "organizations";
	sp.now = time(NULL); /* AWS checks the signing time against its clock */
	sp.normalize_path = 1;
	sp.mode = SIGV4_MODE_HEADER;
	sp.cache = d->keys;
	if (sigv4_sign(&sr, &sc, &sp, &res, err) != 0)
		return -1;
	for (size_t i = 0; i < 3 + res.n_add + 1; i++) {
		struct curl_slist *t;
		int n;

		if (i < 3)
			n = snprintf(line, sizeof(line), "%s: %s", sh[i].name, sh[i].value);
		else if (i < 3 + res.n_add)
			n = snprintf(line, sizeof(line), "%s: %s", res.add[i - 3].name,
				     res.add[i - 3].value);
		else
			n = snprintf(line, sizeof(line), "Expect:");
		if (n <= 0 || (size_t)n >= sizeof(line)) {
			si_err_set(err, SI_ERR_LIMIT, "org: header too long");
			goto out;
		}
		t = curl_slist_append(*hdrs, line);
		if (t == NULL) {
			si_err_set(err, SI_ERR_NOMEM, "out of memory");
			goto out;
		}
		*hdrs = t;
	}
	rc = 0;
out:
	/* line last held the Authorization or token value */
	OPENSSL_cleanse(line, sizeof(line));
	sigv4_result_free(&res);
	return rc;
}

/* One ListAccounts page with retries; parsed into *page. */
static int s_list_page(struct s_http *h, const struct s_keys *k, const char *token,
		       struct org_account_page *page, int *bad_creds, struct si_err *err)
{
	struct org_discovery *d = h->d;
	struct curl_slist *hdrs = NULL;
	char *url = NULL, *sregion = NULL, *body = s_list_body(token);
	char code[128], msg[160];
	long status = 0;
	int rc = -1, transport;

	if (body == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* AWS_ENDPOINT_URL_ORGANIZATIONS, AWS_ENDPOINT_URL, then
	 * https://organizations.<home>.amazonaws.com: the same SDK rule. */
	if (aws_query_resolve_endpoint("organizations", d->home_region, d->envp, &url, &sregion,
				       err) != 0)
		goto out;
	for (int attempt = 1; attempt <= d->max_attempts; attempt++) {
		curl_slist_free_all(hdrs);
		hdrs = NULL;
		if (s_orgs_headers(d, k, url, sregion, body, &hdrs, err) != 0)
			goto out;
		transport = s_post(h, url, hdrs, body, strlen(body), &status, err) != 0;
		if (!transport && status == 200) {
			rc = org_parse_list_accounts(h->resp.data, h->resp.len, page, err);
			goto out;
		}
		code[0] = '\0';
		if (!transport) {
			s_json_error(h->resp.data, h->resp.len, code, sizeof(code), msg, sizeof(msg));
			si_err_set(err, SI_ERR_REMOTE, "organizations ListAccounts: HTTP %ld %s: %s",
				   status, code[0] ? code : "(no code)", msg);
		}
		if (!s_retry(d, status, code[0] ? code : NULL, transport, attempt))
			break;
	}
	*bad_creds = s_is_bad_creds(code);
out:
	curl_slist_free_all(hdrs);
	free(url);
	free(sregion);
	free(body);
	return rc;
}

/* ---- refresh ------------------------------------------------------------- */

/* Every page's entries, moved into one list. */
static int s_list_all(struct s_http *h, const struct s_keys *k, struct org_account_page *all,
		      int *bad_creds, struct si_err *err)
{
	struct org_account_page page;
	char *token = NULL;
	int rc = -1;

	memset(&page, 0, sizeof(page));
	for (int pages = 0; pages < ORG_MAX_PAGES; pages++) {
		struct org_account_info *grown;

		if (s_list_page(h, k, token, &page, bad_creds, err) != 0)
			goto out;
		if (all->n + page.n > ORG_MAX_ACCOUNTS) {
			si_err_set(err, SI_ERR_LIMIT, "organizations: more than %d accounts",
				   ORG_MAX_ACCOUNTS);
			goto out;
		}
		grown = realloc(all->accounts, (all->n + page.n + 1) * sizeof(*grown));
		if (grown == NULL) {
			si_err_set(err, SI_ERR_NOMEM, "out of memory");
			goto out;
		}
		all->accounts = grown;
		memcpy(all->accounts + all->n, page.accounts, page.n * sizeof(*grown));
		all->n += page.n;
		free(page.accounts);
		page.accounts = NULL;
		page.n = 0;
		free(token);
		token = page.next_token;
		page.next_token = NULL;
		if (token == NULL) {
			rc = 0;
			goto out;
		}
	}
	si_err_set(err, SI_ERR_LIMIT, "organizations: more than %d ListAccounts pages",
		   ORG_MAX_PAGES);
out:
	org_account_page_clear(&page);
	free(token);
	return rc;
}

/* The enabled regions of account a: assume its role, DescribeRegions. */
static int s_account_regions(struct s_http *h, const struct s_keys *base,
			     struct si_account *a, time_t now, struct si_err *err)
{
	struct org_discovery *d = h->d;
	struct sts_credentials sc;
	struct s_keys k;
	char *code = NULL;
	int rc = -1;

	if (s_assume(h, base, a->role_arn, now, &sc, err) != 0)
		goto out;
	k = (struct s_keys){ sc.access_key_id, sc.secret_access_key, sc.session_token };
	if (s_query_call(h, &k, "ec2", d->home_region, "DescribeRegions", S_EC2_VERSION, NULL, 0,
			 &code, err) != 0) {
		if (s_is_bad_creds(code))
			sts_cache_drop(d->sts, a->role_arn, NULL);
		goto out;
	}
	if (aws_xml_parse_describe_regions(h->resp.data, h->resp.len, &a->regions, &a->n_regions,
					   err) != 0)
		goto out;
	if (a->n_regions == 0) {
		si_err_set(err, SI_ERR_INVALID, "DescribeRegions: no regions");
		goto out;
	}
	rc = 0;
out:
	free(code);
	sts_credentials_clear(&sc);
	return rc;
}

/* Regions of account a in prev (same role ARN), copied; 0 when found. */
static int s_prev_regions(const struct org_snapshot *prev, struct si_account *a)
{
	for (size_t i = 0; prev != NULL && i < prev->n; i++)
		if (strcmp(prev->accounts[i].role_arn, a->role_arn) == 0)
			return s_strv_copy(&a->regions, &a->n_regions, prev->accounts[i].regions,
					   prev->accounts[i].n_regions, NULL);
	return -1;
}

static void s_log_partial(struct org_discovery *d, size_t failed, size_t dropped,
			  const char *alias, const struct si_err *first)
{
	struct logfmt l;

	logfmt_begin(&l, "warn");
	logfmt_str(&l, "msg", "org region discovery failed for some accounts");
	logfmt_int(&l, "accounts_failed", (long long)failed);
	logfmt_int(&l, "accounts_left_out", (long long)dropped);
	logfmt_str(&l, "first_account", alias);
	logfmt_str(&l, "first_error", first->msg);
	logfmt_emit(&l, d->log);
}

/* regions = all: discover each account's regions, falling back to prev;
 * accounts with neither are removed (compacting accs). */
static int s_fill_regions(struct s_http *h, const struct s_keys *base,
			  const struct org_snapshot *prev, struct si_account *accs, size_t *n,
			  time_t now, struct si_err *err)
{
	struct org_discovery *d = h->d;
	struct si_err first, e;
	char first_alias[S_ALIAS_MAX] = "";
	size_t failed = 0, kept = 0;

	si_err_clear(&first);
	for (size_t i = 0; i < *n; i++) {
		if (atomic_load(&d->stopping))
			return si_err_set(err, SI_ERR_INTERNAL, "org: stopping");
		si_err_clear(&e);
		if (s_account_regions(h, base, &accs[i], now, &e) != 0) {
			if (failed++ == 0) {
				first = e;
				snprintf(first_alias, sizeof(first_alias), "%s", accs[i].alias);
			}
			if (e.code == SI_ERR_NOMEM)
				return si_err_set(err, SI_ERR_NOMEM, "out of memory");
			if (s_prev_regions(prev, &accs[i]) != 0) {
				s_account_clear(&accs[i]);
				continue;
			}
		}
		if (kept != i) {
			accs[kept] = accs[i];
			memset(&accs[i], 0, sizeof(accs[i]));
		}
		kept++;
	}
	if (failed > 0)
		s_log_partial(d, failed, *n - kept, first_alias, &first);
	*n = kept;
	return 0;
}

static int s_build_snapshot(struct org_discovery *d, struct s_http *h, const struct s_keys *base,
			    const struct org_account_page *all, time_t now,
			    struct org_snapshot **out, struct si_err *err)
{
	struct s_snapshot *s = calloc(1, sizeof(*s));
	struct org_snapshot *prev = org_discovery_get(d);
	int rc = -1;

	if (s == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	atomic_init(&s->refs, 1);
	s->pub.fetched_at = now;
	if (org_accounts_build(all->accounts, all->n, d->partition, d->role_name, d->regions,
			       d->n_regions, &s->pub.accounts, &s->pub.n, err) != 0)
		goto out;
	if (d->all_regions &&
	    s_fill_regions(h, base, prev, s->pub.accounts, &s->pub.n, now, err) != 0)
		goto out;
	*out = &s->pub;
	s = NULL;
	rc = 0;
out:
	org_snapshot_unref(prev);
	if (s != NULL)
		org_snapshot_unref(&s->pub);
	return rc;
}

static int s_refresh(struct org_discovery *d, struct s_http *h, time_t now,
		     struct org_snapshot **out, struct si_err *err)
{
	struct aws_creds bc;
	struct sts_credentials mc;
	struct org_account_page all;
	struct s_keys bk, mk;
	int rc = -1, bad_creds = 0;

	memset(&bc, 0, sizeof(bc));
	memset(&mc, 0, sizeof(mc));
	memset(&all, 0, sizeof(all));
	if (aws_creds_provider_get(d->base, now, &bc, err) != 0)
		goto out;
	bk = (struct s_keys){ bc.access_key_id, bc.secret_access_key, bc.session_token };
	if (s_assume(h, &bk, d->mgmt_role_arn, now, &mc, err) != 0)
		goto out;
	mk = (struct s_keys){ mc.access_key_id, mc.secret_access_key, mc.session_token };
	if (s_list_all(h, &mk, &all, &bad_creds, err) != 0) {
		if (bad_creds)
			sts_cache_drop(d->sts, d->mgmt_role_arn, NULL);
		goto out;
	}
	rc = s_build_snapshot(d, h, &bk, &all, now, out, err);
out:
	org_account_page_clear(&all);
	sts_credentials_clear(&mc);
	aws_creds_clear(&bc);
	return rc;
}

int org_discovery_refresh(struct org_discovery *d, time_t now, struct si_err *err)
{
	struct s_http h;
	struct org_snapshot *snap = NULL, *old;
	int rc = -1;

	if (d == NULL)
		return si_err_set(err, SI_ERR_INVALID, "org: NULL argument");
	memset(&h, 0, sizeof(h));
	h.d = d;
	/* Answers are XML (STS, EC2) or JSON (Organizations): the larger cap. */
	si_buf_init(&h.resp, AWS_XML_MAX_DOC > ORG_MAX_JSON ? AWS_XML_MAX_DOC : ORG_MAX_JSON);
	pthread_mutex_lock(&d->refresh_mu);
	h.easy = curl_easy_init();
	if (h.easy == NULL) {
		si_err_set(err, SI_ERR_INTERNAL, "org: curl_easy_init failed");
		goto out;
	}
	if (s_refresh(d, &h, now, &snap, err) != 0)
		goto out;
	pthread_mutex_lock(&d->mu);
	old = d->snap;
	d->snap = snap;
	pthread_mutex_unlock(&d->mu);
	org_snapshot_unref(old);
	rc = 0;
out:
	if (h.easy != NULL)
		curl_easy_cleanup(h.easy);
	pthread_mutex_unlock(&d->refresh_mu);
	/* Answers carried assumed-role secrets. */
	si_buf_free(&h.resp, 1);
	return rc;
}

/* ---- background thread --------------------------------------------------- */

static void s_log_result(struct org_discovery *d, int rc, const struct si_err *e)
{
	struct org_snapshot *s = org_discovery_get(d);
	struct logfmt l;

	logfmt_begin(&l, rc == 0 ? "info" : "warn");
	logfmt_str(&l, "msg", rc == 0 ? "org refresh done" : "org refresh failed");
	if (rc != 0) {
		logfmt_str(&l, "error", si_err_code_name(e->code));
		logfmt_str(&l, "reason", e->msg);
	}
	/* On failure: how many accounts the kept snapshot still serves. */
	logfmt_int(&l, "accounts", s != NULL ? (long long)s->n : 0);
	logfmt_emit(&l, d->log);
	org_snapshot_unref(s);
}

static void *s_thread(void *arg)
{
	struct org_discovery *d = arg;

	do {
		struct si_err e;
		int rc;

		si_err_clear(&e);
		rc = org_discovery_refresh(d, time(NULL), &e);
		if (atomic_load(&d->stopping))
			break;
		s_log_result(d, rc, &e);
	} while (!s_wait(d, (long)d->refresh_s * 1000L));
	return NULL;
}

int org_discovery_start(struct org_discovery *d, struct si_err *err)
{
	int rc = 0;

	if (d == NULL)
		return si_err_set(err, SI_ERR_INVALID, "org: NULL argument");
	pthread_mutex_lock(&d->mu);
	if (d->started)
		rc = si_err_set(err, SI_ERR_INVALID, "org: discovery already started");
	else if (pthread_create(&d->thread, NULL, s_thread, d) != 0)
		rc = si_err_set(err, SI_ERR_INTERNAL, "org: pthread_create failed");
	else
		d->started = 1;
	pthread_mutex_unlock(&d->mu);
	return rc;
}

void org_discovery_free(struct org_discovery *d)
{
	int started;

	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->stop = 1;
	atomic_store(&d->stopping, 1);
	started = d->started;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	if (started)
		pthread_join(d->thread, NULL);
	org_snapshot_unref(d->snap);
	sts_cache_free(d->sts);
	sigv4_key_cache_free(d->keys);
	for (size_t i = 0; d->envp != NULL && d->envp[i] != NULL; i++)
		free(d->envp[i]);
	free(d->envp);
	free(d->ca_bundle);
	for (size_t i = 0; i < d->n_regions; i++)
		free(d->regions[i]);
	free(d->regions);
	free(d->role_name);
	free(d->mgmt_role_arn);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	pthread_mutex_destroy(&d->refresh_mu);
	free(d);
}
