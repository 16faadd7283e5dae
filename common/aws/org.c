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

#include <json-c/json.h>

#include "aws/client.h"
#include "aws/json.h"
#include "aws/xml.h"
#include "util/buf.h"
#include "util/logfmt.h"
#include "util/strutil.h"

#define S_EC2_VERSION "2016-11-15"

/* Shows in CloudTrail of every account, so an operator can tell discovery
 * from searches ([\w+=,.@-], at most 64 characters). */
#define S_SESSION_NAME "slash-infra-org-discovery"

#define S_ORGS_TARGET "AWSOrganizationsV20161128.ListAccounts"

/* Longest field value accepted from a ListAccounts entry: names are at most
 * 50 characters, ARNs about 100; 2 KiB only stops abuse. */
#define S_MAX_FIELD 2048

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
static int s_field_copy(struct json_object *obj, const char *key, int required,
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
	s = aws_json_str(obj, key, &len);
	if (s == NULL)
		return si_err_set(err, SI_ERR_INVALID, "ListAccounts: %s is not a string", key);
	if (len > max)
		return si_err_set(err, SI_ERR_LIMIT, "ListAccounts: %s longer than %zu bytes",
				  key, max);
	if (strlen(s) != len)
		return si_err_set(err, SI_ERR_INVALID, "ListAccounts: %s holds a NUL byte", key);
	if (required && len == 0)
		return si_err_set(err, SI_ERR_INVALID, "ListAccounts: %s is empty", key);
	*out = si_strndup(s, len);
	if (*out == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return 0;
}

static int s_parse_entry(struct json_object *e, struct org_account_info *a, struct si_err *err)
{
	if (!json_object_is_type(e, json_type_object))
		return si_err_set(err, SI_ERR_INVALID, "ListAccounts: account is not an object");
	if (s_field_copy(e, "Id", 1, S_MAX_FIELD, &a->id, err) != 0 ||
	    s_field_copy(e, "Status", 1, S_MAX_FIELD, &a->status, err) != 0 ||
	    s_field_copy(e, "Name", 0, S_MAX_FIELD, &a->name, err) != 0 ||
	    s_field_copy(e, "Arn", 0, S_MAX_FIELD, &a->arn, err) != 0)
		return -1;
	/* The id goes into role ARNs and aliases: only 12 digits may. */
	if (!s_is_account_id(a->id, strlen(a->id)))
		return si_err_set(err, SI_ERR_INVALID, "ListAccounts: Id is not 12 digits");
	return 0;
}

/* The checks on one parsed ListAccounts document, apart from the JSON
 * tokenising so each can be read (and fuzzed, tests/fuzz/fuzz_org_json.c)
 * on its own. Assumes out is zeroed; on failure it may hold partial
 * entries, which the caller frees with org_account_page_clear(). Any
 * malformed entry fails the whole page: a page we cannot fully trust would
 * make accounts silently appear and vanish between refreshes. An empty
 * NextToken is treated as none, as the SDK paginators do. */
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
		return si_err_set(err, SI_ERR_LIMIT,
				  "ListAccounts: more than %d accounts in a page",
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
	if (s_field_copy(root, "NextToken", 0, ORG_MAX_TOKEN, &out->next_token, err) != 0)
		return -1;
	if (out->next_token != NULL && out->next_token[0] == '\0') {
		free(out->next_token);
		out->next_token = NULL;
	}
	return 0;
}

/* Why the shared bounded reader (aws/json.h) rather than
 * json_tokener_parse(): the body is not NUL-terminated (it is the HTTP
 * buffer), its length is capped here before json-c sees it, and the depth
 * is limited to ORG_JSON_DEPTH so a hostile answer cannot recurse deep.
 * json may be NULL only with len 0. On every failure *out is left zeroed,
 * so callers have nothing to free. */
int org_parse_list_accounts(const char *json, size_t len, struct org_account_page *out,
			    struct si_err *err)
{
	struct json_object *root = NULL;
	struct si_err sub = { 0 };
	int rc = -1;

	if (out == NULL)
		return si_err_set(err, SI_ERR_INVALID, "ListAccounts: NULL argument");
	memset(out, 0, sizeof(*out));
	if (json == NULL && len > 0)
		return si_err_set(err, SI_ERR_INVALID, "ListAccounts: NULL argument");
	if (len > ORG_MAX_JSON)
		return si_err_set(err, SI_ERR_LIMIT, "ListAccounts: answer over %zu bytes",
				  ORG_MAX_JSON);
	root = aws_json_read(json, len, ORG_JSON_DEPTH, &sub);
	if (root == NULL)
		return si_err_set(err, sub.code, "ListAccounts: %s", sub.msg);
	rc = s_parse_doc(root, out, err);
	if (rc != 0)
		org_account_page_clear(out);
	json_object_put(root);
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

/* Why the aliases are built this way: users type them (account:prod), so
 * they come from account names, and they must not change from one refresh
 * to the next just because AWS listed accounts in another order. Every
 * account whose sanitised name collides gets "-<id>" (not only the second
 * one), so which account keeps the bare name never depends on order.
 * Assumes infos came from org_parse_list_accounts (ids still re-checked:
 * they go into role ARNs) and that partition ("aws", "aws-cn", ...) and
 * role_name were validated by config.c. On failure nothing is returned
 * and every partial account is freed (m counts the one being filled). */
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
		return si_err_set(err, SI_ERR_LIMIT, "org: more than %d accounts",
				  ORG_MAX_ACCOUNTS);
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
	/* copied settings */
	char *role_name;
	char *mgmt_role_arn;
	char partition[32];
	const char *home_region;   /* static: where Organizations/EC2 are asked */
	char **regions;            /* fixed list; NULL when all */
	size_t n_regions;
	int all_regions;
	int refresh_s;

	struct aws_client *client; /* borrowed: shared with the search */
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
	const char *p = SI_AFTER_PREFIX(arn, "arn:"), *q;

	if (p == NULL || (q = strchr(p, ':')) == NULL)
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

/* Why: the settings are checked once here so that a refresh can only fail
 * for reasons outside the process. Assumes s's strings are valid for the
 * call (they are copied) and client outlives the discovery. */
struct org_discovery *org_discovery_new(const struct org_settings *s, struct aws_client *client,
					struct si_err *err)
{
	struct org_discovery *d;

	if (s == NULL || client == NULL) {
		si_err_set(err, SI_ERR_INVALID, "org: NULL argument");
		return NULL;
	}
	if (s->role_name == NULL || s->management_role_arn == NULL) {
		si_err_set(err, SI_ERR_INVALID, "[organization] is not configured");
		return NULL;
	}
	if (s->refresh_s <= 0 || s->n_regions == 0) {
		si_err_set(err, SI_ERR_INVALID, "[organization] needs refresh_s > 0 and regions");
		return NULL;
	}
	d = si_zalloc(sizeof(*d), err);
	if (d == NULL)
		return NULL;
	if (s_init_sync(d, err) != 0) {
		free(d);
		return NULL;
	}
	d->client = client;
	d->log = stderr;
	d->refresh_s = s->refresh_s;
	d->all_regions = s->n_regions == 1 && strcmp(s->regions[0], "all") == 0;
	d->role_name = strdup(s->role_name);
	d->mgmt_role_arn = strdup(s->management_role_arn);
	if (d->role_name == NULL || d->mgmt_role_arn == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (s_set_partition(d, d->mgmt_role_arn, err) != 0)
		goto fail;
	if (!d->all_regions &&
	    s_strv_copy(&d->regions, &d->n_regions, s->regions, s->n_regions, err) != 0)
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

/* The retry wait of the client's calls: the same condition variable, so
 * org_discovery_free never waits out a backoff. */
static int s_conn_wait(void *arg, long ms)
{
	return s_wait(arg, ms);
}

/* ---- the calls ------------------------------------------------------------- */

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

/* One ListAccounts page (with the client's retries); parsed into *page.
 * *bad_creds is set when AWS refused the credentials themselves. */
static int s_list_page(struct org_discovery *d, struct aws_conn *conn, const struct aws_keys *k,
		       const char *token, struct org_account_page *page, int *bad_creds,
		       struct si_err *err)
{
	struct aws_outcome o;
	struct aws_call call;
	const struct si_buf *b;
	char *body = s_list_body(token);
	int rc = -1;

	if (body == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	/* AWS_ENDPOINT_URL_ORGANIZATIONS, AWS_ENDPOINT_URL, then
	 * https://organizations.<home>.amazonaws.com: the same SDK rule. */
	memset(&call, 0, sizeof(call));
	call.proto = AWS_PROTO_JSON;
	call.service = "organizations";
	call.region = d->home_region;
	call.action = "ListAccounts";
	call.target = S_ORGS_TARGET;
	call.json_body = body;
	if (aws_conn_call(conn, &call, k, &o, err) == 0) {
		b = aws_conn_body(conn);
		rc = org_parse_list_accounts(b->data, b->len, page, err);
	} else {
		*bad_creds = o.creds_refused;
	}
	free(body);
	return rc;
}

/* ---- refresh ------------------------------------------------------------- */

/* Every page's entries, moved into one list. */
static int s_list_all(struct org_discovery *d, struct aws_conn *conn, const struct aws_keys *k,
		      struct org_account_page *all, int *bad_creds, struct si_err *err)
{
	struct org_account_page page;
	char *token = NULL;
	int rc = -1;

	memset(&page, 0, sizeof(page));
	for (int pages = 0; pages < ORG_MAX_PAGES; pages++) {
		struct org_account_info *grown;

		if (s_list_page(d, conn, k, token, &page, bad_creds, err) != 0)
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
static int s_account_regions(struct org_discovery *d, struct aws_conn *conn,
			     const struct aws_keys *base, struct si_account *a, time_t now,
			     struct si_err *err)
{
	const struct aws_call call = {
		.proto = AWS_PROTO_QUERY, .service = "ec2", .region = d->home_region,
		.action = "DescribeRegions", .version = S_EC2_VERSION,
	};
	const struct si_buf *b;
	struct sts_credentials sc;
	struct aws_outcome o;
	struct aws_keys k;
	int rc = -1;

	memset(&sc, 0, sizeof(sc));
	/* Credentials AWS refuses (expired, or a session the endpoint forgot)
	 * are dropped from the shared cache and the role assumed again, once. */
	for (int round = 0;; round++) {
		sts_credentials_clear(&sc);
		if (aws_conn_assume_role(conn, base, d->home_region, a->role_arn, NULL,
					 S_SESSION_NAME, now, &sc, err) != 0)
			goto out;
		k = (struct aws_keys){ sc.access_key_id, sc.secret_access_key, sc.session_token };
		if (aws_conn_call(conn, &call, &k, &o, err) == 0)
			break;
		if (!o.creds_refused)
			goto out;
		aws_client_forget_role(d->client, a->role_arn, NULL);
		if (round > 0)
			goto out;
	}
	b = aws_conn_body(conn);
	if (aws_xml_parse_describe_regions(b->data, b->len, &a->regions, &a->n_regions, err) != 0)
		goto out;
	if (a->n_regions == 0) {
		si_err_set(err, SI_ERR_INVALID, "DescribeRegions: no regions");
		goto out;
	}
	rc = 0;
out:
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
static int s_fill_regions(struct org_discovery *d, struct aws_conn *conn,
			  const struct aws_keys *base, const struct org_snapshot *prev,
			  struct si_account *accs, size_t *n, time_t now, struct si_err *err)
{
	struct si_err first, e;
	char first_alias[S_ALIAS_MAX] = "";
	size_t failed = 0, kept = 0;

	si_err_clear(&first);
	for (size_t i = 0; i < *n; i++) {
		if (atomic_load(&d->stopping))
			return si_err_set(err, SI_ERR_INTERNAL, "org: stopping");
		si_err_clear(&e);
		if (s_account_regions(d, conn, base, &accs[i], now, &e) != 0) {
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

static int s_build_snapshot(struct org_discovery *d, struct aws_conn *conn,
			    const struct aws_keys *base, const struct org_account_page *all,
			    time_t now, struct org_snapshot **out, struct si_err *err)
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
	    s_fill_regions(d, conn, base, prev, s->pub.accounts, &s->pub.n, now, err) != 0)
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

/* Why: one refresh is the whole story (management role, every page, then
 * each account's regions) and must either produce a complete snapshot or
 * none. Assumes refresh_mu is held. The base keys are fetched once and
 * sign every AssumeRole that the shared cache cannot answer. */
static int s_refresh(struct org_discovery *d, struct aws_conn *conn, time_t now,
		     struct org_snapshot **out, struct si_err *err)
{
	struct aws_creds bc;
	struct sts_credentials mc;
	struct org_account_page all;
	struct aws_keys bk, mk;
	int rc = -1, bad_creds = 0;

	memset(&bc, 0, sizeof(bc));
	memset(&mc, 0, sizeof(mc));
	memset(&all, 0, sizeof(all));
	if (aws_creds_provider_get(aws_client_base(d->client), now, &bc, err) != 0)
		goto out;
	bk = (struct aws_keys){ bc.access_key_id, bc.secret_access_key, bc.session_token };
	/* As in s_account_regions: refused credentials are assumed again once. */
	for (int round = 0;; round++) {
		sts_credentials_clear(&mc);
		org_account_page_clear(&all);
		bad_creds = 0;
		if (aws_conn_assume_role(conn, &bk, d->home_region, d->mgmt_role_arn, NULL,
					 S_SESSION_NAME, now, &mc, err) != 0)
			goto out;
		mk = (struct aws_keys){ mc.access_key_id, mc.secret_access_key, mc.session_token };
		if (s_list_all(d, conn, &mk, &all, &bad_creds, err) == 0)
			break;
		if (!bad_creds)
			goto out;
		aws_client_forget_role(d->client, d->mgmt_role_arn, NULL);
		if (round > 0)
			goto out;
	}
	rc = s_build_snapshot(d, conn, &bk, &all, now, out, err);
out:
	org_account_page_clear(&all);
	sts_credentials_clear(&mc);
	aws_creds_clear(&bc);
	return rc;
}

int org_discovery_refresh(struct org_discovery *d, time_t now, struct si_err *err)
{
	struct aws_conn *conn = NULL;
	struct org_snapshot *snap = NULL, *old;
	int rc = -1;

	if (d == NULL)
		return si_err_set(err, SI_ERR_INVALID, "org: NULL argument");
	pthread_mutex_lock(&d->refresh_mu);
	/* One connection per refresh: its easy handle keeps the connection
	 * to the endpoint alive from call to call. */
	conn = aws_conn_new(d->client, &d->stopping, s_conn_wait, d, err);
	if (conn == NULL)
		goto out;
	if (s_refresh(d, conn, now, &snap, err) != 0)
		goto out;
	pthread_mutex_lock(&d->mu);
	old = d->snap;
	d->snap = snap;
	pthread_mutex_unlock(&d->mu);
	org_snapshot_unref(old);
	rc = 0;
out:
	aws_conn_free(conn);
	pthread_mutex_unlock(&d->refresh_mu);
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
