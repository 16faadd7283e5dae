/*
 * inventory.c - the resource inventory on the state store's generic
 * statements (store/private/backend.h): one SQL text per statement for
 * both databases, $1..$n placeholders, times as Unix seconds.
 *
 * inventory.h says what is stored and why. This file: checking and
 * copying a crawl's items (inv_put), writing a crawl in one transaction
 * (inv_end_target: read the target's present rows, merge them with the
 * crawl's items in C, write only what changed), and the lookups.
 */
#include <arpa/inet.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/inventory.h"
#include "store/private/backend.h"
#include "util/buf.h"
#include "util/cidr.h"
#include "util/strutil.h"
#include "util/utf8.h"

_Static_assert(sizeof(long) >= sizeof(int64_t),
	       "row ids and times are read back with si_parse_long");

/* Rows of one target read back at the start of its crawl: a target
 * written by an earlier build with a higher cap may hold more than one
 * crawl may, so twice the crawl cap; past it the crawl fails (LIMIT). */
#define S_TARGET_ROWS_MAX (2 * (size_t)INV_CRAWL_ITEMS_MAX)

/* Open stretches of one resource: at most its addresses, unless an
 * earlier crawl carried more than this build allows. */
#define S_OPEN_ROWS_MAX (4 * INV_ADDRS_MAX)

/* A hash as decimal text ("-9223372036854775808" and a NUL). */
#define S_HASH_TEXT 24

#define S_DAY_S 86400

/* The FNV-1a 64-bit parameters (draft-eastlake-fnv): a fast hash with no
 * key, enough to tell "changed" from "unchanged" (a collision only delays
 * a change to the next one). */
#define S_FNV_OFFSET 0xcbf29ce484222325ULL
#define S_FNV_PRIME 0x100000001b3ULL

/* --- a crawl in memory ---------------------------------------------------- */

/* One item as inv_put checked and copied it; every string owned. */
struct s_item {
	char *type, *id, *arn, *name, *name_lc, *state;
	char *id_lc, *arn_lc;
	int64_t created, hold_start, ended_at;  /* 0: unknown / not ended */
	char **addrs;      /* canonical, distinct */
	size_t n_addrs;
	char **dns;        /* lower-case, no trailing dot, distinct */
	size_t n_dns;
	char **alt_ids;    /* lower-case, distinct, none the id */
	size_t n_alt_ids;
	char *tags;        /* JSON object text */
	char *card;
	char content_hash[S_HASH_TEXT];
	char ident_hash[S_HASH_TEXT];
	size_t order;      /* inv_put sequence: the later of two equal wins */
	size_t bytes;      /* what it holds, for INV_CRAWL_BYTES_MAX */
};

struct inv_crawl {
	struct store *st;
	char account[INV_ACCOUNT_LEN + 1];
	char region[INV_REGION_MAX + 1];
	char service[INV_SERVICE_MAX + 1];
	int64_t t;         /* the crawl's observation time */
	struct s_item *items;
	size_t n, cap;
	size_t bytes;
	void (*on_write)(void *ctx, size_t n);
	void *on_write_ctx;
	char owner[INV_OWNER_MAX + 1]; /* whose claim its end releases; "": none */
};

/* Free each of the n strings a struct owns (listed by the caller). */
static void s_free_strs(char *const *owned, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(owned[i]);
}

#define S_FREE_STRS(...)                                                   \
	s_free_strs((char *[]){ __VA_ARGS__ },                            \
		    sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *))

static void s_strv_free(char **v, size_t n)
{
	if (v != NULL)
		s_free_strs(v, n);
	free(v);
}

static void s_item_clear(struct s_item *it)
{
	S_FREE_STRS(it->type, it->id, it->arn, it->name, it->name_lc, it->state, it->id_lc,
		    it->arn_lc, it->tags, it->card);
	s_strv_free(it->addrs, it->n_addrs);
	s_strv_free(it->dns, it->n_dns);
	s_strv_free(it->alt_ids, it->n_alt_ids);
	memset(it, 0, sizeof(*it));
}

void inv_crawl_free(struct inv_crawl *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		s_item_clear(&c->items[i]);
	free(c->items);
	free(c);
}

void inv_private_on_write(struct inv_crawl *c, void (*fn)(void *ctx, size_t n), void *ctx)
{
	if (c == NULL)
		return;
	c->on_write = fn;
	c->on_write_ctx = ctx;
}

/* --- checks and canonical forms ------------------------------------------ */

static const char *s_nz(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* A [a-z0-9_-] word of 1..max bytes: type, region and service names. */
static int s_check_word(const char *what, const char *s, size_t max, struct si_err *err)
{
	size_t n;

	if (s == NULL || s[0] == '\0')
		return si_err_set(err, SI_ERR_INVALID, "no %s", what);
	n = strnlen(s, max + 1);
	if (n > max)
		return si_err_set(err, SI_ERR_LIMIT, "%s is longer than %zu bytes", what, max);
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		      ch == '_'))
			return si_err_set(err, SI_ERR_INVALID, "%s '%.64s' is not a lower-case "
					  "word", what, s);
	}
	return 0;
}

static int s_check_account(const char *s, struct si_err *err)
{
	if (s == NULL || strnlen(s, INV_ACCOUNT_LEN + 1) != INV_ACCOUNT_LEN)
		return si_err_set(err, SI_ERR_INVALID, "account is not %d digits",
				  INV_ACCOUNT_LEN);
	for (size_t i = 0; i < INV_ACCOUNT_LEN; i++)
		if (s[i] < '0' || s[i] > '9')
			return si_err_set(err, SI_ERR_INVALID, "account is not %d digits",
					  INV_ACCOUNT_LEN);
	return 0;
}

/* A required text: present, UTF-8, at most max bytes. */
static int s_check_req(const char *what, const char *s, size_t max, struct si_err *err)
{
	if (s_nz(s) == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no %s", what);
	return store_private_check_text(what, s, max, err);
}

/* The one canonical text of an IP address (inet_ntop: dotted quad, RFC
 * 5952 IPv6) or CIDR block (si_cidr_format: masked), so that every
 * spelling of an address finds the same rows. -1 when s is neither. */
static int s_canon_addr(const char *s, char out[SI_CIDR_STRLEN])
{
	unsigned char bin[16];
	struct si_cidr c;

	if (inet_pton(AF_INET, s, bin) == 1)
		return inet_ntop(AF_INET, bin, out, SI_CIDR_STRLEN) != NULL ? 0 : -1;
	if (inet_pton(AF_INET6, s, bin) == 1)
		return inet_ntop(AF_INET6, bin, out, SI_CIDR_STRLEN) != NULL ? 0 : -1;
	if (si_cidr_parse(s, &c, NULL) == 0)
		return si_cidr_format(&c, out, SI_CIDR_STRLEN);
	return -1;
}

/* ASCII lower-case copy of an identifier without one trailing dot (DNS
 * names are written both ways); NULL on OOM. */
static char *s_ident_lc(const char *s)
{
	size_t n = strlen(s);
	char *out;

	if (n > 1 && s[n - 1] == '.')
		n--;
	out = si_strndup(s, n);
	if (out != NULL)
		si_ascii_lower(out);
	return out;
}

/* A DNS name as stored: printable ASCII without spaces, 1..253 bytes
 * once the trailing dot is gone. */
static int s_check_dns(const char *s, struct si_err *err)
{
	size_t n = strnlen(s, INV_DNS_NAME_MAX + 2);

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > INV_DNS_NAME_MAX)
		return si_err_set(err, SI_ERR_INVALID, "DNS name of %zu bytes", n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return si_err_set(err, SI_ERR_INVALID, "DNS name '%.64s' has a byte "
					  "outside printable ASCII", s);
	return 0;
}

/* --- hashing -------------------------------------------------------------- */

static uint64_t s_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= S_FNV_PRIME;
	}
	return h;
}

/* A string with its end and whether it is absent, so ("ab","c") and
 * ("a","bc"), NULL and "" all hash apart. */
static uint64_t s_fnv_str(uint64_t h, const char *s)
{
	unsigned char present = s != NULL;

	h = s_fnv(h, &present, 1);
	return s != NULL ? s_fnv(h, s, strlen(s) + 1) : h;
}

static uint64_t s_fnv_int(uint64_t h, int64_t v)
{
	return s_fnv(h, &v, sizeof(v));
}

static uint64_t s_fnv_strv(uint64_t h, char *const *v, size_t n)
{
	h = s_fnv_int(h, (int64_t)n);
	for (size_t i = 0; i < n; i++)
		h = s_fnv_str(h, v[i]);
	return h;
}

static void s_hash_text(uint64_t h, char out[S_HASH_TEXT])
{
	snprintf(out, S_HASH_TEXT, "%lld", (long long)(int64_t)h);
}

/* Two hashes: of what identifies the item and shapes its address history
 * (a change rewrites its identifiers and re-checks its stretches), and of
 * everything (a change rewrites its row). */
static void s_item_hashes(struct s_item *it)
{
	uint64_t h = S_FNV_OFFSET;

	h = s_fnv_str(h, it->id_lc);
	h = s_fnv_str(h, it->arn_lc);
	h = s_fnv_int(h, it->hold_start);
	h = s_fnv_int(h, it->ended_at);
	h = s_fnv_strv(h, it->addrs, it->n_addrs);
	h = s_fnv_strv(h, it->dns, it->n_dns);
	h = s_fnv_strv(h, it->alt_ids, it->n_alt_ids);
	s_hash_text(h, it->ident_hash);
	h = s_fnv_str(h, it->id);
	h = s_fnv_str(h, it->arn);
	h = s_fnv_str(h, it->name);
	h = s_fnv_str(h, it->state);
	h = s_fnv_int(h, it->created);
	h = s_fnv_str(h, it->tags);
	h = s_fnv_str(h, it->card);
	s_hash_text(h, it->content_hash);
}

/* --- inv_put -------------------------------------------------------------- */

/* Copy src (may be NULL) into *dst, adding its size to *bytes. */
static int s_dup(char **dst, const char *src, size_t *bytes, struct si_err *err)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	*dst = si_strndup(src, strlen(src));
	if (*dst == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	*bytes += strlen(src) + 1;
	return 0;
}

static int s_has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* Append canonical copies of the addresses, skipping repeats. */
static int s_put_addrs(struct s_item *it, const struct inv_item *in, struct si_err *err)
{
	if (in->n_addrs > INV_ADDRS_MAX)
		return si_err_set(err, SI_ERR_LIMIT, "%zu addresses: at most %d",
				  in->n_addrs, INV_ADDRS_MAX);
	if (in->n_addrs > 0 && in->addrs == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no address array");
	it->addrs = in->n_addrs > 0 ? si_zalloc(in->n_addrs * sizeof(char *), err) : NULL;
	if (in->n_addrs > 0 && it->addrs == NULL)
		return -1;
	for (size_t i = 0; i < in->n_addrs; i++) {
		const char *a = in->addrs[i] != NULL ? in->addrs[i] : "";
		char canon[SI_CIDR_STRLEN];

		if (s_canon_addr(a, canon) != 0)
			return si_err_set(err, SI_ERR_INVALID, "'%.64s' is not an IP address "
					  "or CIDR block", a);
		if (s_has(it->addrs, it->n_addrs, canon))
			continue;
		if (s_dup(&it->addrs[it->n_addrs], canon, &it->bytes, err) != 0)
			return -1;
		it->n_addrs++;
	}
	return 0;
}

static int s_put_dns(struct s_item *it, const struct inv_item *in, struct si_err *err)
{
	if (in->n_dns > INV_DNS_MAX)
		return si_err_set(err, SI_ERR_LIMIT, "%zu DNS names: at most %d", in->n_dns,
				  INV_DNS_MAX);
	if (in->n_dns > 0 && in->dns == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no DNS name array");
	it->dns = in->n_dns > 0 ? si_zalloc(in->n_dns * sizeof(char *), err) : NULL;
	if (in->n_dns > 0 && it->dns == NULL)
		return -1;
	for (size_t i = 0; i < in->n_dns; i++) {
		char *lc;

		if (in->dns[i] == NULL)
			return si_err_set(err, SI_ERR_INVALID, "no DNS name");
		if (s_check_dns(in->dns[i], err) != 0)
			return -1;
		lc = s_ident_lc(in->dns[i]);
		if (lc == NULL)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
		if (s_has(it->dns, it->n_dns, lc)) {
			free(lc);
			continue;
		}
		it->dns[it->n_dns++] = lc;
		it->bytes += strlen(lc) + 1;
	}
	return 0;
}

/* The other ids, checked as the id is, lower-cased, without repeats or
 * the id itself. */
static int s_put_alt_ids(struct s_item *it, const struct inv_item *in, struct si_err *err)
{
	if (in->n_alt_ids > INV_ALT_IDS_MAX)
		return si_err_set(err, SI_ERR_LIMIT, "%zu other ids: at most %d", in->n_alt_ids,
				  INV_ALT_IDS_MAX);
	if (in->n_alt_ids > 0 && in->alt_ids == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no other-id array");
	it->alt_ids = in->n_alt_ids > 0 ? si_zalloc(in->n_alt_ids * sizeof(char *), err) : NULL;
	if (in->n_alt_ids > 0 && it->alt_ids == NULL)
		return -1;
	for (size_t i = 0; i < in->n_alt_ids; i++) {
		char *lc;

		if (s_check_req("other id", in->alt_ids[i], INV_ID_MAX, err) != 0)
			return -1;
		lc = s_ident_lc(in->alt_ids[i]);
		if (lc == NULL)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
		if (strcmp(lc, it->id_lc) == 0 || s_has(it->alt_ids, it->n_alt_ids, lc)) {
			free(lc);
			continue;
		}
		it->alt_ids[it->n_alt_ids++] = lc;
		it->bytes += strlen(lc) + 1;
	}
	return 0;
}

/* The tags as one JSON object (json-c keeps their order; a repeated key
 * keeps its last value). */
static int s_put_tags(struct s_item *it, const struct inv_item *in, struct si_err *err)
{
	struct json_object *o;
	int rc = 0;

	if (in->n_tags > INV_TAGS_MAX)
		return si_err_set(err, SI_ERR_LIMIT, "%zu tags: at most %d", in->n_tags,
				  INV_TAGS_MAX);
	if (in->n_tags > 0 && in->tags == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no tag array");
	o = json_object_new_object();
	if (o == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < in->n_tags && rc == 0; i++) {
		const struct inv_kv *kv = &in->tags[i];
		const char *v = kv->value != NULL ? kv->value : "";
		struct json_object *js;

		if (kv->key == NULL)
			continue;
		if (store_private_check_text("tag key", kv->key, INV_TAG_KEY_MAX, err) != 0 ||
		    store_private_check_text("tag value", v, INV_TAG_VALUE_MAX, err) != 0) {
			rc = -1;
			break;
		}
		js = json_object_new_string(v);
		if (js == NULL || json_object_object_add(o, kv->key, js) != 0) {
			json_object_put(js);
			rc = si_err_set(err, SI_ERR_NOMEM, "out of memory");
		}
	}
	if (rc == 0) {
		int how = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;

		rc = s_dup(&it->tags, json_object_to_json_string_ext(o, how), &it->bytes, err);
	}
	json_object_put(o);
	return rc;
}

static int s_check_times(const struct inv_item *in, struct si_err *err)
{
	if (in->created < 0 || in->hold_start < 0 || in->ended_at < 0)
		return si_err_set(err, SI_ERR_INVALID, "a time before 1970");
	if (in->ended_at != 0 && in->hold_start != 0 && in->ended_at < in->hold_start)
		return si_err_set(err, SI_ERR_INVALID, "ended before it began holding");
	return 0;
}

/* Every scalar field of in, checked, into it. */
static int s_put_fields(struct s_item *it, const struct inv_item *in, struct si_err *err)
{
	if (s_check_word("type", in->type, INV_TYPE_MAX, err) != 0 ||
	    s_check_req("id", in->id, INV_ID_MAX, err) != 0 ||
	    store_private_check_text("ARN", s_nz(in->arn), INV_ID_MAX, err) != 0 ||
	    store_private_check_text("name", s_nz(in->name), INV_NAME_MAX, err) != 0 ||
	    store_private_check_text("state", s_nz(in->state), INV_STATE_MAX, err) != 0 ||
	    store_private_check_text("card", s_nz(in->card), INV_CARD_MAX, err) != 0 ||
	    s_check_times(in, err) != 0)
		return -1;
	if (s_dup(&it->type, in->type, &it->bytes, err) != 0 ||
	    s_dup(&it->id, in->id, &it->bytes, err) != 0 ||
	    s_dup(&it->arn, s_nz(in->arn), &it->bytes, err) != 0 ||
	    s_dup(&it->name, s_nz(in->name), &it->bytes, err) != 0 ||
	    s_dup(&it->name_lc, s_nz(in->name), &it->bytes, err) != 0 ||
	    s_dup(&it->state, s_nz(in->state), &it->bytes, err) != 0 ||
	    s_dup(&it->card, s_nz(in->card), &it->bytes, err) != 0)
		return -1;
	if (it->name_lc != NULL)
		si_ascii_lower(it->name_lc);
	it->id_lc = s_ident_lc(it->id);
	it->arn_lc = it->arn != NULL ? s_ident_lc(it->arn) : NULL;
	if (it->id_lc == NULL || (it->arn != NULL && it->arn_lc == NULL))
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	it->bytes += 2 * strlen(it->id) + (it->arn != NULL ? strlen(it->arn) : 0) + 2;
	it->created = in->created;
	it->hold_start = in->hold_start;
	it->ended_at = in->ended_at;
	return 0;
}

static int s_grow(struct inv_crawl *c, struct si_err *err)
{
	size_t cap = c->cap == 0 ? 64 : c->cap * 2;
	struct s_item *v;

	if (c->n < c->cap)
		return 0;
	if (cap > INV_CRAWL_ITEMS_MAX)
		cap = INV_CRAWL_ITEMS_MAX;
	v = realloc(c->items, cap * sizeof(*v));
	if (v == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	c->items = v;
	c->cap = cap;
	return 0;
}

struct inv_crawl *inv_begin_target(struct store *st, const char *account, const char *region,
				   const char *service, time_t now, struct si_err *err)
{
	struct inv_crawl *c;

	if (st == NULL) {
		si_err_set(err, SI_ERR_INVALID, "no state store");
		return NULL;
	}
	if (s_check_account(account, err) != 0 ||
	    s_check_word("region", region, INV_REGION_MAX, err) != 0 ||
	    s_check_word("service", service, INV_SERVICE_MAX, err) != 0)
		return NULL;
	if (now <= 0) {
		si_err_set(err, SI_ERR_INVALID, "no crawl time");
		return NULL;
	}
	c = si_zalloc(sizeof(*c), err);
	if (c == NULL)
		return NULL;
	c->st = st;
	snprintf(c->account, sizeof(c->account), "%s", account);
	snprintf(c->region, sizeof(c->region), "%s", region);
	snprintf(c->service, sizeof(c->service), "%s", service);
	c->t = now;
	return c;
}

int inv_put(struct inv_crawl *c, const struct inv_item *in, struct si_err *err)
{
	struct s_item it;

	if (c == NULL || in == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no crawl or no item");
	if (c->n >= INV_CRAWL_ITEMS_MAX)
		return si_err_set(err, SI_ERR_LIMIT, "crawl of %s %s %s has %d resources: the "
				  "most one crawl takes", c->account, c->region, c->service,
				  INV_CRAWL_ITEMS_MAX);
	memset(&it, 0, sizeof(it));
	it.bytes = sizeof(it);
	if (s_put_fields(&it, in, err) != 0 || s_put_addrs(&it, in, err) != 0 ||
	    s_put_dns(&it, in, err) != 0 || s_put_alt_ids(&it, in, err) != 0 ||
	    s_put_tags(&it, in, err) != 0)
		goto fail;
	if (c->bytes + it.bytes > INV_CRAWL_BYTES_MAX) {
		si_err_set(err, SI_ERR_LIMIT, "crawl of %s %s %s holds more than %zu bytes",
			   c->account, c->region, c->service, INV_CRAWL_BYTES_MAX);
		goto fail;
	}
	if (s_grow(c, err) != 0)
		goto fail;
	s_item_hashes(&it);
	it.order = c->n;
	c->bytes += it.bytes;
	c->items[c->n++] = it;
	return 0;
fail:
	s_item_clear(&it);
	return -1;
}

/* --- statements ----------------------------------------------------------- */

static struct store_arg s_time_arg(int64_t t)
{
	struct store_arg a = STORE_TXT(NULL);

	if (t != 0) {
		a.is_int = 1;
		a.i = t;
	}
	return a;
}

/* A column as a time: NULL is 0. */
static int s_col_time(const char *s, time_t *out, struct si_err *err)
{
	long v = 0;

	if (s != NULL && si_parse_long(s, LONG_MIN, LONG_MAX, &v) != 0)
		return si_err_set(err, SI_ERR_INTERNAL, "inventory: not a number: %.40s", s);
	*out = (time_t)v;
	return 0;
}

static int s_col_i64(const char *s, int64_t *out, struct si_err *err)
{
	time_t t = 0;

	if (s_col_time(s, &t, err) != 0)
		return -1;
	*out = (int64_t)t;
	return 0;
}

/* A column as an owned copy (NULL stays NULL). */
static int s_col_str(const char *s, char **out, struct si_err *err)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	*out = si_strndup(s, strlen(s));
	return *out != NULL ? 0 : si_err_set(err, SI_ERR_NOMEM, "out of memory");
}

struct s_one {
	const struct store_backend_vtable *vt;
	void *impl;
	struct store_stmt *s;
};

static int s_one_body(void *ctx, struct si_err *err)
{
	struct s_one *o = ctx;

	return o->vt->stmt(o->impl, o->s, err);
}

/* Run one statement outside a transaction, counting it for health;
 * *changes (may be NULL) gets the rows it changed. */
static int s_run_n(struct store *st, const char *sql, const struct store_arg *args,
		   size_t nargs, store_row_fn row, void *ctx, size_t *changes, struct si_err *err)
{
	struct store_stmt s = { sql, args, nargs, row, ctx, 0 };
	struct s_one o = { NULL, NULL, &s };
	struct si_err e;
	int rc;

	store_private_backend(st, &o.vt, &o.impl);
	si_err_clear(&e);
	rc = store_private_done(st, o.vt->run(o.impl, 0, s_one_body, &o, &e), &e, err);
	if (changes != NULL)
		*changes = rc == 0 ? s.changes : 0;
	return rc;
}

static int s_run(struct store *st, const char *sql, const struct store_arg *args, size_t nargs,
		 store_row_fn row, void *ctx, struct si_err *err)
{
	return s_run_n(st, sql, args, nargs, row, ctx, NULL, err);
}

/* --- closing address stretches ------------------------------------------- */

/* Which open stretches s_close_holds closes: a resource's, one stretch
 * (by hid), or those of every present resource of a target. */
enum s_close_by {
	S_CLOSE_RESOURCE = 0,
	S_CLOSE_STRETCH,
	S_CLOSE_TARGET
};

/* The one way a stretch ends: at `to` ($2), never before it began, with
 * whether AWS gave that time ($3) and why ($4). */
#define S_CLOSE_SET                                                                      \
	"UPDATE inv_addr_history SET to_ts = CASE WHEN from_ts > $2 THEN from_ts ELSE $2"  \
	" END, to_exact = $3, end_reason = $4 WHERE "

static const char *const s_close_sql[] = {
	S_CLOSE_SET "rid = $1 AND to_ts IS NULL",
	S_CLOSE_SET "hid = $1",
	S_CLOSE_SET "to_ts IS NULL AND rid IN (SELECT rid FROM inv_resource WHERE tid = $1"
		    " AND gone_at IS NULL)",
};

/* Close the stretches `by` selects with key (a rid, hid or tid), inside
 * the caller's run; *changes (may be NULL) gets the rows closed. */
static int s_close_holds(const struct store_backend_vtable *vt, void *impl, enum s_close_by by,
			 int64_t key, int64_t to, int exact, const char *reason, size_t *changes,
			 struct si_err *err)
{
	struct store_arg a[] = { STORE_INT(key), STORE_INT(to), STORE_INT(exact != 0),
				 STORE_TXT(reason) };
	struct store_stmt s = { s_close_sql[by], a, sizeof(a) / sizeof(a[0]), NULL, NULL, 0 };

	if (vt->stmt(impl, &s, err) != 0)
		return -1;
	if (changes != NULL)
		*changes = s.changes;
	return 0;
}

/* Read the first column of the first row as an integer. */
static int s_first_int(void *ctx, const char *const *col, int ncol, struct si_err *err)
{
	(void)ncol;
	return s_col_i64(col[0], ctx, err);
}

/* --- inv_end_target ------------------------------------------------------- */

/* One present row of the target, as the crawl reads it back. */
struct s_row {
	int64_t rid;
	char *type, *id;
	char content_hash[S_HASH_TEXT];
	char ident_hash[S_HASH_TEXT];
};

/* An open stretch of one resource. */
struct s_open {
	int64_t hid;
	char *addr;
};

struct s_end {
	struct inv_crawl *c;
	const struct store_backend_vtable *vt;
	void *impl;
	int64_t tid;
	int64_t prev_ok;          /* the target's last good crawl, 0: none */
	struct s_row *rows;
	size_t n_rows, cap_rows;
	struct s_open *open;
	size_t n_open;
	struct inv_end_stats stats;
};

static int s_q(struct s_end *e, const char *sql, const struct store_arg *args, size_t nargs,
	       store_row_fn row, void *ctx, size_t *changes, struct si_err *err)
{
	struct store_stmt s = { sql, args, nargs, row, ctx, 0 };

	if (e->vt->stmt(e->impl, &s, err) != 0)
		return -1;
	if (changes != NULL)
		*changes = s.changes;
	return 0;
}

#define S_NARGS(a) (sizeof(a) / sizeof((a)[0]))

static int s_target_row(void *ctx, const char *const *col, int ncol, struct si_err *err)
{
	struct s_end *e = ctx;

	(void)ncol;
	return s_col_i64(col[0], &e->tid, err) != 0 ? -1 : s_col_i64(col[1], &e->prev_ok, err);
}

/* Create or touch the target row. On PostgreSQL the upsert also locks
 * it until commit, so two workers crawling one target write one after
 * the other, each reading the other's result. */
static int s_lock_target(struct s_end *e, struct si_err *err)
{
	struct inv_crawl *c = e->c;
	struct store_arg a[] = { STORE_TXT(c->account), STORE_TXT(c->region),
				 STORE_TXT(c->service), STORE_INT(c->t),
				 STORE_TXT(c->owner[0] != '\0' ? c->owner : NULL) };

	e->tid = 0;
	/* The crawl's owner's claim ends with this write ($5 NULL: no claim
	 * is touched; SET reads the row as it was, so both CASEs see the
	 * claim). */
	if (s_q(e, "INSERT INTO inv_target (account, region, service, last_try_at)"
		" VALUES ($1, $2, $3, $4) ON CONFLICT (account, region, service)"
		" DO UPDATE SET last_try_at = excluded.last_try_at,"
		" claimed_by = CASE WHEN inv_target.claimed_by = $5 THEN NULL"
		" ELSE inv_target.claimed_by END,"
		" claimed_until = CASE WHEN inv_target.claimed_by = $5 THEN NULL"
		" ELSE inv_target.claimed_until END RETURNING tid, last_ok_at",
		a, S_NARGS(a), s_target_row, e, NULL, err) != 0)
		return -1;
	return e->tid != 0 ? 0 : si_err_set(err, SI_ERR_INTERNAL, "inventory: no target row");
}

static int s_present_row(void *ctx, const char *const *col, int ncol, struct si_err *err)
{
	struct s_end *e = ctx;
	struct s_row *r;

	(void)ncol;
	if (e->n_rows >= S_TARGET_ROWS_MAX)
		return si_err_set(err, SI_ERR_LIMIT, "target holds more than %zu resources",
				  S_TARGET_ROWS_MAX);
	if (e->n_rows == e->cap_rows) {
		size_t cap = e->cap_rows == 0 ? 64 : e->cap_rows * 2;
		struct s_row *v = realloc(e->rows, cap * sizeof(*v));

		if (v == NULL)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
		e->rows = v;
		e->cap_rows = cap;
	}
	/* Counted before it is filled: the caller frees what it holds. */
	r = &e->rows[e->n_rows++];
	memset(r, 0, sizeof(*r));
	if (s_col_i64(col[0], &r->rid, err) != 0 || s_col_str(col[1], &r->type, err) != 0 ||
	    s_col_str(col[2], &r->id, err) != 0)
		return -1;
	if (r->type == NULL || r->id == NULL || col[3] == NULL || col[4] == NULL)
		return si_err_set(err, SI_ERR_INTERNAL, "inventory: resource row with NULLs");
	snprintf(r->content_hash, sizeof(r->content_hash), "%s", col[3]);
	snprintf(r->ident_hash, sizeof(r->ident_hash), "%s", col[4]);
	return 0;
}

static int s_cmp_key(const char *ta, const char *ia, const char *tb, const char *ib)
{
	int d = strcmp(ta, tb);

	return d != 0 ? d : strcmp(ia, ib);
}

static int s_cmp_items(const void *a, const void *b)
{
	const struct s_item *x = a, *y = b;
	int d = s_cmp_key(x->type, x->id, y->type, y->id);

	if (d != 0)
		return d;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int s_cmp_rows(const void *a, const void *b)
{
	const struct s_row *x = a, *y = b;

	return s_cmp_key(x->type, x->id, y->type, y->id);
}

/* Sort the crawl's items by (type, id) and keep the last put of each. */
static void s_dedupe(struct inv_crawl *c)
{
	size_t w = 0;

	if (c->n == 0)
		return;
	qsort(c->items, c->n, sizeof(*c->items), s_cmp_items);
	for (size_t i = 0; i < c->n; i++) {
		if (i + 1 < c->n && s_cmp_key(c->items[i].type, c->items[i].id,
					      c->items[i + 1].type, c->items[i + 1].id) == 0) {
			s_item_clear(&c->items[i]);
			continue;
		}
		c->items[w++] = c->items[i];
	}
	c->n = w;
}

/* Insert or update the resource row (by its unique key: a row gone from
 * this target or held by another target's crawl is taken over), and get
 * its rid. first_seen is kept; gone_at cleared. */
static int s_upsert(struct s_end *e, const struct s_item *it, int64_t *rid, struct si_err *err)
{
	struct inv_crawl *c = e->c;
	struct store_arg a[] = {
		STORE_INT(e->tid), STORE_TXT(it->type), STORE_TXT(c->account),
		STORE_TXT(c->region), STORE_TXT(it->id), STORE_TXT(it->arn), STORE_TXT(it->name),
		STORE_TXT(it->name_lc), STORE_TXT(it->state), s_time_arg(it->created),
		s_time_arg(it->ended_at), STORE_INT(c->t), STORE_TXT(it->content_hash),
		STORE_TXT(it->ident_hash), STORE_TXT(it->card), STORE_TXT(it->tags)
	};

	*rid = 0;
	if (s_q(e, "INSERT INTO inv_resource (tid, type, account, region, id, arn, name, name_lc,"
		" state, created, ended_at, first_seen, last_seen, content_hash, ident_hash, card,"
		" tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12,"
		" CAST($13 AS BIGINT), CAST($14 AS BIGINT), $15, $16)"
		" ON CONFLICT (type, account, region, id) DO UPDATE SET tid = excluded.tid,"
		" arn = excluded.arn, name = excluded.name, name_lc = excluded.name_lc,"
		" state = excluded.state, created = excluded.created, ended_at = excluded.ended_at,"
		" last_seen = excluded.last_seen, gone_at = NULL,"
		" content_hash = excluded.content_hash, ident_hash = excluded.ident_hash,"
		" card = excluded.card, tags = excluded.tags RETURNING rid",
		a, S_NARGS(a), s_first_int, rid, NULL, err) != 0)
		return -1;
	return *rid != 0 ? 0 : si_err_set(err, SI_ERR_INTERNAL, "inventory: no resource row");
}

static int s_add_ident(struct s_end *e, int64_t rid, const char *kind, const char *value,
		       struct si_err *err)
{
	struct store_arg a[] = { STORE_INT(rid), STORE_TXT(kind), STORE_TXT(value) };

	return s_q(e, "INSERT INTO inv_ident (rid, kind, value) VALUES ($1, $2, $3)"
		   " ON CONFLICT DO NOTHING", a, S_NARGS(a), NULL, NULL, NULL, err);
}

/* Replace the resource's identifiers (fresh: a new row, which has none). */
static int s_write_idents(struct s_end *e, const struct s_item *it, int64_t rid, int fresh,
			  struct si_err *err)
{
	struct store_arg a[] = { STORE_INT(rid) };

	if ((!fresh && s_q(e, "DELETE FROM inv_ident WHERE rid = $1", a, S_NARGS(a), NULL,
			   NULL, NULL, err) != 0) ||
	    s_add_ident(e, rid, "id", it->id_lc, err) != 0 ||
	    (it->arn_lc != NULL && s_add_ident(e, rid, "arn", it->arn_lc, err) != 0))
		return -1;
	for (size_t i = 0; i < it->n_addrs; i++)
		if (s_add_ident(e, rid, "addr", it->addrs[i], err) != 0)
			return -1;
	for (size_t i = 0; i < it->n_dns; i++)
		if (s_add_ident(e, rid, "dns", it->dns[i], err) != 0)
			return -1;
	for (size_t i = 0; i < it->n_alt_ids; i++)
		if (s_add_ident(e, rid, "id", it->alt_ids[i], err) != 0)
			return -1;
	return 0;
}

static void s_open_clear(struct s_end *e)
{
	for (size_t i = 0; i < e->n_open; i++)
		free(e->open[i].addr);
	free(e->open);
	e->open = NULL;
	e->n_open = 0;
}

static int s_open_row(void *ctx, const char *const *col, int ncol, struct si_err *err)
{
	struct s_end *e = ctx;
	struct s_open *o;

	(void)ncol;
	if (e->n_open >= S_OPEN_ROWS_MAX)
		return si_err_set(err, SI_ERR_LIMIT, "resource holds more than %d open stretches",
				  S_OPEN_ROWS_MAX);
	if (e->open == NULL) {
		e->open = si_zalloc(S_OPEN_ROWS_MAX * sizeof(*e->open), err);
		if (e->open == NULL)
			return -1;
	}
	o = &e->open[e->n_open];
	if (s_col_i64(col[0], &o->hid, err) != 0 || s_col_str(col[1], &o->addr, err) != 0)
		return -1;
	if (o->addr == NULL)
		return si_err_set(err, SI_ERR_INTERNAL, "inventory: stretch without address");
	e->n_open++;
	return 0;
}

/* Open a stretch of addr for the resource from `from` (exact: AWS's
 * time), closed at `to` when to is not 0. */
static int s_add_stretch(struct s_end *e, const struct s_item *it, int64_t rid,
			 const char *addr, int64_t from, int exact, int64_t to, struct si_err *err)
{
	struct inv_crawl *c = e->c;
	struct store_arg a[] = {
		STORE_TXT(addr), STORE_INT(rid), STORE_TXT(it->type), STORE_TXT(c->account),
		STORE_TXT(c->region), STORE_TXT(it->id), STORE_TXT(it->name), STORE_INT(from),
		STORE_INT(exact), s_time_arg(to), STORE_TXT(to != 0 ? s_nz(it->state) : NULL)
	};

	if (to == 0)
		return s_q(e, "INSERT INTO inv_addr_history (addr, rid, type, account, region,"
			   " res_id, name, from_ts, from_exact) VALUES ($1, $2, $3, $4, $5, $6,"
			   " $7, $8, $9)", a, 9, NULL, NULL, NULL, err);
	if (a[10].s == NULL)
		a[10].s = "ended";
	/* Already recorded (open and closed by this very end, or closed by an
	 * earlier crawl that saw the end): nothing to add. */
	return s_q(e, "INSERT INTO inv_addr_history (addr, rid, type, account, region, res_id,"
		   " name, from_ts, from_exact, to_ts, to_exact, end_reason)"
		   " SELECT CAST($1 AS TEXT), CAST($2 AS BIGINT), CAST($3 AS TEXT),"
		   " CAST($4 AS TEXT), CAST($5 AS TEXT), CAST($6 AS TEXT), CAST($7 AS TEXT),"
		   " CAST($8 AS BIGINT), CAST($9 AS INTEGER), CAST($10 AS BIGINT), 1,"
		   " CAST($11 AS TEXT) WHERE NOT EXISTS (SELECT 1 FROM inv_addr_history"
		   " WHERE rid = CAST($2 AS BIGINT) AND addr = CAST($1 AS TEXT))",
		   a, S_NARGS(a), NULL, NULL, NULL, err);
}

/*
 * When the resource began holding an address it holds now but did not
 * hold at its last sighting `seen` (0: never seen). AWS's time (hold
 * start, else creation) when it is later than that sighting: the
 * resource is new, or restarted since (LaunchTime moves on a start).
 * Otherwise AWS is silent about this address and the crawl time (or the
 * end, for a resource that already ended) is all we know.
 */
static int64_t s_hold_from(const struct s_end *e, const struct s_item *it, int64_t seen,
			   int *exact)
{
	int64_t known = it->hold_start != 0 ? it->hold_start : it->created;
	int64_t limit = it->ended_at != 0 ? it->ended_at : e->c->t;

	*exact = known != 0 && known > seen && known <= limit;
	return *exact ? known : limit;
}

/* The stretches of a resource that ended: every open one closes at its
 * end time (AWS's, exact), and an address it still lists that has no
 * stretch at all (first seen already terminated) gets a closed one. */
static int s_history_ended(struct s_end *e, const struct s_item *it, int64_t rid,
			   int64_t seen, struct si_err *err)
{
	int exact;
	int64_t from = s_hold_from(e, it, seen, &exact);

	if (s_close_holds(e->vt, e->impl, S_CLOSE_RESOURCE, rid, it->ended_at, 1,
			  s_nz(it->state) != NULL ? it->state : "ended", NULL, err) != 0)
		return -1;
	for (size_t i = 0; i < it->n_addrs; i++)
		if (s_add_stretch(e, it, rid, it->addrs[i], from, exact, it->ended_at, err) != 0)
			return -1;
	return 0;
}

static int s_open_has(const struct s_end *e, const char *addr)
{
	for (size_t j = 0; j < e->n_open; j++)
		if (strcmp(e->open[j].addr, addr) == 0)
			return 1;
	return 0;
}

/*
 * Bring the resource's address stretches in line with the item (fresh:
 * a new row, which has none yet). A live resource closes the stretches
 * of addresses it no longer lists ("released", at the crawl time) and
 * opens one for each new address (from s_hold_from); one that ended is
 * s_history_ended's. Idempotent: run twice, it changes nothing the
 * second time.
 */
static int s_history(struct s_end *e, const struct s_item *it, int64_t rid, int64_t seen,
		     int fresh, struct si_err *err)
{
	struct store_arg a[] = { STORE_INT(rid) };
	int64_t from;
	int exact, rc = 0;

	if (it->ended_at != 0)
		return s_history_ended(e, it, rid, seen, err);
	if (!fresh)
		rc = s_q(e, "SELECT hid, addr FROM inv_addr_history WHERE rid = $1"
			 " AND to_ts IS NULL", a, S_NARGS(a), s_open_row, e, NULL, err);
	for (size_t i = 0; i < e->n_open && rc == 0; i++)
		if (!s_has(it->addrs, it->n_addrs, e->open[i].addr))
			rc = s_close_holds(e->vt, e->impl, S_CLOSE_STRETCH, e->open[i].hid,
					   e->c->t, 0, "released", NULL, err);
	from = s_hold_from(e, it, seen, &exact);
	for (size_t i = 0; i < it->n_addrs && rc == 0; i++)
		if (!s_open_has(e, it->addrs[i]))
			rc = s_add_stretch(e, it, rid, it->addrs[i], from, exact, 0, err);
	s_open_clear(e);
	return rc;
}

/* An item the target did not hold: new, back from gone, or moved from
 * another target. Its last sighting (for s_hold_from) is read first. */
static int s_write_new(struct s_end *e, const struct s_item *it, struct si_err *err)
{
	struct inv_crawl *c = e->c;
	struct store_arg a[] = { STORE_TXT(it->type), STORE_TXT(c->account),
				 STORE_TXT(c->region), STORE_TXT(it->id) };
	int64_t seen = 0, rid;
	int fresh;

	/* A row back from gone was last seen at its last_seen; one that
	 * another target's crawl wrote, at least then. No row: fresh. */
	if (s_q(e, "SELECT last_seen FROM inv_resource WHERE type = $1 AND account = $2"
		" AND region = $3 AND id = $4", a, S_NARGS(a), s_first_int, &seen, NULL,
		err) != 0)
		return -1;
	fresh = seen == 0;
	if (s_upsert(e, it, &rid, err) != 0 || s_write_idents(e, it, rid, fresh, err) != 0 ||
	    s_history(e, it, rid, seen, fresh, err) != 0)
		return -1;
	e->stats.added++;
	return 0;
}

/* An item the target held: rewrite only what its hashes say changed. */
static int s_write_known(struct s_end *e, const struct s_item *it, const struct s_row *r,
			 struct si_err *err)
{
	int64_t rid;

	if (strcmp(r->content_hash, it->content_hash) == 0)
		return 0;
	if (s_upsert(e, it, &rid, err) != 0)
		return -1;
	e->stats.changed++;
	if (strcmp(r->ident_hash, it->ident_hash) == 0)
		return 0;
	if (s_write_idents(e, it, rid, 0, err) != 0)
		return -1;
	return s_history(e, it, rid, e->prev_ok, 0, err);
}

/* A row the crawl did not list: gone at the crawl time, last seen at
 * the target's previous good crawl; its open stretches close ("gone"). */
static int s_write_gone(struct s_end *e, const struct s_row *r, struct si_err *err)
{
	struct store_arg a[] = { STORE_INT(r->rid), STORE_INT(e->c->t), STORE_INT(e->prev_ok) };

	if (s_close_holds(e->vt, e->impl, S_CLOSE_RESOURCE, r->rid, e->c->t, 0, "gone", NULL,
			  err) != 0 ||
	    s_q(e, "UPDATE inv_resource SET gone_at = $2, last_seen = CASE WHEN $3 > last_seen"
		" THEN $3 ELSE last_seen END WHERE rid = $1", a, 3, NULL, NULL, NULL, err) != 0)
		return -1;
	e->stats.gone++;
	return 0;
}

static void s_wrote(struct s_end *e, size_t n)
{
	if (e->c->on_write != NULL)
		e->c->on_write(e->c->on_write_ctx, n);
}

/* Walk the sorted items and the sorted present rows together: an item
 * alone is new, a row alone is gone, both is known. */
static int s_merge(struct s_end *e, struct si_err *err)
{
	struct inv_crawl *c = e->c;
	size_t i = 0, j = 0, done = 0;

	while (i < c->n || j < e->n_rows) {
		int d;

		if (i == c->n)
			d = 1;
		else if (j == e->n_rows)
			d = -1;
		else
			d = s_cmp_key(c->items[i].type, c->items[i].id, e->rows[j].type,
				      e->rows[j].id);
		if (d < 0) {
			if (s_write_new(e, &c->items[i++], err) != 0)
				return -1;
			s_wrote(e, ++done);
		} else if (d > 0) {
			if (s_write_gone(e, &e->rows[j++], err) != 0)
				return -1;
		} else {
			if (s_write_known(e, &c->items[i++], &e->rows[j++], err) != 0)
				return -1;
			s_wrote(e, ++done);
		}
	}
	return 0;
}

/* The transaction of a complete crawl (inventory.h: "One crawl, one
 * transaction"). */
static int s_end_ok(void *ctx, struct si_err *err)
{
	struct s_end *e = ctx;
	struct store_arg a[] = { STORE_INT(0), STORE_INT(e->c->t), STORE_INT(0) };

	if (s_lock_target(e, err) != 0)
		return -1;
	a[0].i = e->tid;
	if (s_q(e, "SELECT rid, type, id, content_hash, ident_hash FROM inv_resource"
		" WHERE tid = $1 AND gone_at IS NULL", a, 1, s_present_row, e, NULL, err) != 0)
		return -1;
	if (e->n_rows > 0)
		qsort(e->rows, e->n_rows, sizeof(*e->rows), s_cmp_rows);
	if (s_merge(e, err) != 0)
		return -1;
	e->stats.items = e->c->n;
	a[2].i = (int64_t)e->c->n;
	return s_q(e, "UPDATE inv_target SET last_ok_at = $2, n_resources = $3,"
		   " last_error = NULL, last_error_at = NULL WHERE tid = $1", a, S_NARGS(a),
		   NULL, NULL, NULL, err);
}

/* The error text as kept: cut to INV_ERROR_MAX at a character boundary
 * (a character the cut splits, or anything after it, is dropped); text
 * with a bad sequence before the cut is replaced, never refused (an
 * error report must not fail for its wording). */
static void s_error_text(const char *in, char out[INV_ERROR_MAX + 1])
{
	size_t n = strnlen(in, INV_ERROR_MAX + 1), i = 0;

	if (n > INV_ERROR_MAX)
		n = INV_ERROR_MAX;
	while (i < n) {
		size_t k = utf8_seq((const unsigned char *)in + i, n - i, NULL);

		if (k == 0)
			break;
		i += k;
	}
	if (i < n && n < INV_ERROR_MAX) {
		snprintf(out, INV_ERROR_MAX + 1, "(error text is not UTF-8)");
		return;
	}
	memcpy(out, in, i);
	out[i] = '\0';
}

struct s_fail_ctx {
	struct s_end *e;
	const char *error;
	int64_t at;
};

static int s_end_failed(void *ctx, struct si_err *err)
{
	struct s_fail_ctx *f = ctx;
	struct store_arg a[] = { STORE_INT(0), STORE_TXT(f->error), STORE_INT(f->at) };

	if (s_lock_target(f->e, err) != 0)
		return -1;
	a[0].i = f->e->tid;
	return s_q(f->e, "UPDATE inv_target SET last_error = $2, last_error_at = $3"
		   " WHERE tid = $1", a, S_NARGS(a), NULL, NULL, NULL, err);
}

/* One transaction either way (a complete crawl, or a failure recorded on
 * the target); then the crawl and what the transaction read are freed
 * whatever happened, and the outcome is counted for store_health(). */
int inv_end_target(struct inv_crawl *c, const char *error, time_t now,
		   struct inv_end_stats *stats, struct si_err *err)
{
	struct s_end e;
	struct si_err le;
	int rc;

	if (stats != NULL)
		memset(stats, 0, sizeof(*stats));
	if (c == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no crawl");
	memset(&e, 0, sizeof(e));
	e.c = c;
	store_private_backend(c->st, &e.vt, &e.impl);
	si_err_clear(&le);
	if (error != NULL) {
		char text[INV_ERROR_MAX + 1];
		struct s_fail_ctx f = { &e, text, now };

		s_error_text(error[0] != '\0' ? error : "failed", text);
		rc = e.vt->run(e.impl, 1, s_end_failed, &f, &le);
	} else {
		s_dedupe(c);
		rc = e.vt->run(e.impl, 1, s_end_ok, &e, &le);
	}
	for (size_t i = 0; i < e.n_rows; i++) {
		free(e.rows[i].type);
		free(e.rows[i].id);
	}
	free(e.rows);
	s_open_clear(&e);
	rc = store_private_done(c->st, rc, &le, err);
	if (rc == 0 && stats != NULL && error == NULL)
		*stats = e.stats;
	inv_crawl_free(c);
	return rc;
}

/* --- claims ----------------------------------------------------------------- */

/* An owner name as stored: printable ASCII without spaces, so that it
 * shows as one word in status and logs. */
static int s_check_owner(const char *owner, struct si_err *err)
{
	size_t n = owner != NULL ? strnlen(owner, INV_OWNER_MAX + 1) : 0;

	if (n == 0)
		return si_err_set(err, SI_ERR_INVALID, "no claim owner");
	if (n > INV_OWNER_MAX)
		return si_err_set(err, SI_ERR_LIMIT, "claim owner longer than %d bytes",
				  INV_OWNER_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)owner[i] <= ' ' || (unsigned char)owner[i] >= 0x7f)
			return si_err_set(err, SI_ERR_INVALID, "claim owner '%.64s' has a byte "
					  "outside printable ASCII", owner);
	return 0;
}

int inv_crawl_owner(struct inv_crawl *c, const char *owner, struct si_err *err)
{
	if (c == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no crawl");
	if (s_check_owner(owner, err) != 0)
		return -1;
	snprintf(c->owner, sizeof(c->owner), "%s", owner);
	return 0;
}

struct s_claim {
	const struct store_backend_vtable *vt;
	void *impl;
	const char *owner;
	int64_t now, until, tried_before;
	struct inv_claim **order; /* the entries in claiming order */
	size_t n, claimed;
	int got;                 /* the upsert returned its row */
};

static int s_claim_got(void *ctx, const char *const *col, int ncol, struct si_err *err)
{
	(void)col;
	(void)ncol;
	(void)err;
	((struct s_claim *)ctx)->got = 1;
	return 0;
}

/* Why a target was not claimed: the row as it is now. */
static int s_claim_why(void *ctx, const char *const *col, int ncol, struct si_err *err)
{
	struct inv_claim *cl = ctx;

	(void)ncol;
	if (s_col_time(col[1], &cl->held_until, err) != 0 ||
	    s_col_time(col[2], &cl->last_try_at, err) != 0)
		return -1;
	snprintf(cl->holder, sizeof(cl->holder), "%s", col[0] != NULL ? col[0] : "");
	return 0;
}

/* One target's claim: $1..$3 the target, $4 the owner, $5 until, $6 now,
 * $7 tried_before (0: regardless). */
#define S_CLAIM_SQL                                                                     \
	"INSERT INTO inv_target (account, region, service, claimed_by, claimed_until)"    \
	" VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account, region, service)"              \
	" DO UPDATE SET claimed_by = excluded.claimed_by,"                                \
	" claimed_until = excluded.claimed_until WHERE (inv_target.claimed_by IS NULL"    \
	" OR inv_target.claimed_by = excluded.claimed_by"                                 \
	" OR inv_target.claimed_until IS NULL OR inv_target.claimed_until <= $6)"         \
	" AND (CAST($7 AS BIGINT) = 0 OR inv_target.last_try_at IS NULL"                  \
	" OR inv_target.last_try_at <= CAST($7 AS BIGINT)) RETURNING tid"

/*
 * Each target, in order: one conditional upsert. A new row is inserted
 * claimed; an existing one is updated only when nobody else holds a live
 * claim and (unless forced) it is due, which the database decides on the
 * row's latest version (see inventory.h), and returns its row only then.
 * For the ones not claimed, who holds them or when they were tried.
 */
static int s_claim_body(void *ctx, struct si_err *err)
{
	struct s_claim *k = ctx;

	for (size_t j = 0; j < k->n; j++) {
		struct inv_claim *cl = k->order[j];
		struct store_arg a[] = { STORE_TXT(cl->account), STORE_TXT(cl->region),
					 STORE_TXT(cl->service), STORE_TXT(k->owner),
					 STORE_INT(k->until), STORE_INT(k->now),
					 STORE_INT(k->tried_before) };
		struct store_stmt q = { S_CLAIM_SQL, a, S_NARGS(a), s_claim_got, k, 0 };
		struct store_stmt why = {
			"SELECT claimed_by, claimed_until, last_try_at FROM inv_target"
			" WHERE account = $1 AND region = $2 AND service = $3",
			a, 3, s_claim_why, cl, 0
		};

		k->got = 0;
		if (k->vt->stmt(k->impl, &q, err) != 0)
			return -1;
		cl->claimed = k->got;
		if (k->got) {
			k->claimed++;
			continue;
		}
		if (k->vt->stmt(k->impl, &why, err) != 0)
			return -1;
		/* A lapsed claim of another is no hold: the target was not
		 * due, whoever tried it. */
		if (cl->held_until <= k->now || strcmp(cl->holder, k->owner) == 0) {
			cl->held_until = 0;
			cl->holder[0] = '\0';
		}
	}
	return 0;
}

/* Byte order of (account, region, service), for the claiming order. */
static int s_cmp_claim(const void *a, const void *b)
{
	const struct inv_claim *x = *(struct inv_claim *const *)a;
	const struct inv_claim *y = *(struct inv_claim *const *)b;
	int d = strcmp(x->account, y->account);

	if (d == 0)
		d = strcmp(x->region, y->region);
	return d != 0 ? d : strcmp(x->service, y->service);
}

/* Every entry's key checked and its out fields zeroed. */
static int s_claim_check(struct inv_claim *v, size_t n, struct si_err *err)
{
	for (size_t i = 0; i < n; i++) {
		if (s_check_account(v[i].account, err) != 0 ||
		    s_check_word("region", v[i].region, INV_REGION_MAX, err) != 0 ||
		    s_check_word("service", v[i].service, INV_SERVICE_MAX, err) != 0)
			return -1;
		v[i].claimed = 0;
		v[i].held_until = 0;
		v[i].last_try_at = 0;
		v[i].holder[0] = '\0';
	}
	return 0;
}

/* Contract and design in inventory.h. Why a sorted copy of pointers: the
 * fixed order is what keeps two claimers from deadlocking on PostgreSQL's
 * row locks, and the caller's array keeps its own order. */
int inv_claim(struct store *st, const char *owner, time_t now, time_t until,
	      time_t tried_before, struct inv_claim *v, size_t n, size_t *n_claimed,
	      struct si_err *err)
{
	struct s_claim k;
	struct si_err e;
	struct inv_claim **order;
	int rc;

	if (n_claimed != NULL)
		*n_claimed = 0;
	if (st == NULL || (v == NULL && n > 0))
		return si_err_set(err, SI_ERR_INVALID, "no state store or no targets");
	if (n > INV_CLAIM_MAX)
		return si_err_set(err, SI_ERR_LIMIT, "%zu targets to claim: at most %d", n,
				  INV_CLAIM_MAX);
	if (s_check_owner(owner, err) != 0 || s_claim_check(v, n, err) != 0)
		return -1;
	if (now <= 0 || until <= now || tried_before < 0)
		return si_err_set(err, SI_ERR_INVALID, "a claim needs now > 0, until > now and "
				  "tried_before >= 0");
	if (n == 0)
		return 0;
	order = si_zalloc(n * sizeof(*order), err);
	if (order == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		order[i] = &v[i];
	qsort(order, n, sizeof(*order), s_cmp_claim);
	memset(&k, 0, sizeof(k));
	store_private_backend(st, &k.vt, &k.impl);
	k.owner = owner;
	k.now = now;
	k.until = until;
	k.tried_before = tried_before;
	k.order = order;
	k.n = n;
	si_err_clear(&e);
	rc = store_private_done(st, k.vt->run(k.impl, 1, s_claim_body, &k, &e), &e, err);
	free(order);
	if (rc != 0) {
		for (size_t i = 0; i < n; i++)
			v[i].claimed = 0;
		return -1;
	}
	if (n_claimed != NULL)
		*n_claimed = k.claimed;
	return 0;
}

int inv_release(struct store *st, const char *owner, size_t *released, struct si_err *err)
{
	struct store_arg a[] = { STORE_TXT(owner) };

	if (released != NULL)
		*released = 0;
	if (st == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no state store");
	if (s_check_owner(owner, err) != 0)
		return -1;
	return s_run_n(st, "UPDATE inv_target SET claimed_by = NULL, claimed_until = NULL"
		       " WHERE claimed_by = $1", a, S_NARGS(a), NULL, NULL, released, err);
}

/* --- result lists --------------------------------------------------------- */

/* Clear each of n entries of size bytes with clear, then free the array:
 * the one shape of every list's free. */
static void s_free_entries(void *items, size_t n, size_t size, void (*clear)(void *))
{
	for (size_t i = 0; i < n; i++)
		clear((char *)items + i * size);
	free(items);
}

static void s_res_clear(void *p)
{
	struct inv_res *r = p;

	S_FREE_STRS(r->type, r->account, r->region, r->service, r->id, r->arn, r->name,
		    r->state, r->card, r->tags, r->matched);
}

static void s_hold_clear(void *p)
{
	struct inv_hold *h = p;

	S_FREE_STRS(h->addr, h->type, h->account, h->region, h->id, h->name, h->end_reason);
}

static void s_status_clear(void *p)
{
	struct inv_target_status *t = p;

	S_FREE_STRS(t->account, t->region, t->service, t->last_error, t->claimed_by);
}

void inv_res_list_free(struct inv_res_list *l)
{
	if (l == NULL)
		return;
	s_free_entries(l->items, l->n, sizeof(*l->items), s_res_clear);
	memset(l, 0, sizeof(*l));
}

void inv_hold_list_free(struct inv_hold_list *l)
{
	if (l == NULL)
		return;
	s_free_entries(l->items, l->n, sizeof(*l->items), s_hold_clear);
	memset(l, 0, sizeof(*l));
}

void inv_status_list_free(struct inv_status_list *l)
{
	if (l == NULL)
		return;
	s_free_entries(l->items, l->n, sizeof(*l->items), s_status_clear);
	memset(l, 0, sizeof(*l));
}

/* A growing result array: room for one more element of size `size`, at
 * most max elements (the caller stops at max). */
static void *s_slot(void **items, size_t n, size_t *cap, size_t size, size_t max,
		    struct si_err *err)
{
	if (n == *cap) {
		size_t c = *cap == 0 ? 16 : *cap * 2;
		char *v;

		if (c > max)
			c = max;
		v = realloc(*items, c * size);
		if (v == NULL) {
			si_err_set(err, SI_ERR_NOMEM, "out of memory");
			return NULL;
		}
		*items = v;
		*cap = c;
	}
	return memset((char *)*items + n * size, 0, size);
}

/* Rows into an inv_res_list: at most max, then truncated. */
struct s_res_sink {
	struct inv_res_list *out;
	size_t cap, max;
};

/* The resource columns every resource query selects, in this order; a
 * present resource was last seen at its target's last good crawl. */
#define S_RES_COLS                                                                      \
	"r.type, r.account, r.region, t.service, r.id, r.arn, r.name, r.state, r.created," \
	" r.ended_at, r.first_seen, CASE WHEN r.gone_at IS NULL AND t.last_ok_at IS NOT"   \
	" NULL THEN t.last_ok_at ELSE r.last_seen END, r.gone_at, r.card, r.tags"
#define S_RES_NCOLS 15

/* One resource row (S_RES_COLS, then the matched kind when selected)
 * into the next entry; past max the list is only marked truncated. The
 * entry is counted before it is filled, so a half-filled one is freed
 * with the list when a column fails. */
static int s_res_row(void *ctx, const char *const *col, int ncol, struct si_err *err)
{
	struct s_res_sink *k = ctx;
	struct inv_res *r;

	if (ncol < S_RES_NCOLS)
		return si_err_set(err, SI_ERR_INTERNAL, "inventory: %d columns", ncol);
	if (k->out->n >= k->max) {
		k->out->truncated = 1;
		return 0;
	}
	r = s_slot((void **)&k->out->items, k->out->n, &k->cap, sizeof(*r), k->max, err);
	if (r == NULL)
		return -1;
	k->out->n++;
	char **strs[] = { &r->type, &r->account, &r->region, &r->service,
			  &r->id, &r->arn, &r->name, &r->state };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (s_col_str(col[i], strs[i], err) != 0)
			return -1;
	if (s_col_time(col[8], &r->created, err) != 0 ||
	    s_col_time(col[9], &r->ended_at, err) != 0 ||
	    s_col_time(col[10], &r->first_seen, err) != 0 ||
	    s_col_time(col[11], &r->last_seen, err) != 0 ||
	    s_col_time(col[12], &r->gone_at, err) != 0 ||
	    s_col_str(col[13], &r->card, err) != 0 || s_col_str(col[14], &r->tags, err) != 0)
		return -1;
	if (ncol > S_RES_NCOLS && s_col_str(col[S_RES_NCOLS], &r->matched, err) != 0)
		return -1;
	/* A resource whose target was pruned has no service. */
	return r->service == NULL ? s_col_str("", &r->service, err) : 0;
}

/* Rows into an inv_hold_list. Columns: addr, type, account, region, id,
 * name, from, to, from_exact, to_exact, end_reason. */
struct s_hold_sink {
	struct inv_hold_list *out;
	size_t cap, max;
};

#define S_HOLD_NCOLS 11

static int s_hold_row(void *ctx, const char *const *col, int ncol, struct si_err *err)
{
	struct s_hold_sink *k = ctx;
	struct inv_hold *h;
	time_t fe = 0, te = 0;

	if (ncol < S_HOLD_NCOLS)
		return si_err_set(err, SI_ERR_INTERNAL, "inventory: %d columns", ncol);
	if (k->out->n >= k->max) {
		k->out->truncated = 1;
		return 0;
	}
	h = s_slot((void **)&k->out->items, k->out->n, &k->cap, sizeof(*h), k->max, err);
	if (h == NULL)
		return -1;
	k->out->n++;
	if (s_col_str(col[0], &h->addr, err) != 0 || s_col_str(col[1], &h->type, err) != 0 ||
	    s_col_str(col[2], &h->account, err) != 0 ||
	    s_col_str(col[3], &h->region, err) != 0 || s_col_str(col[4], &h->id, err) != 0 ||
	    s_col_str(col[5], &h->name, err) != 0 || s_col_time(col[6], &h->from, err) != 0 ||
	    s_col_time(col[7], &h->to, err) != 0 || s_col_time(col[8], &fe, err) != 0 ||
	    s_col_time(col[9], &te, err) != 0 || s_col_str(col[10], &h->end_reason, err) != 0)
		return -1;
	h->from_exact = fe != 0;
	h->to_exact = te != 0;
	return 0;
}

/* --- lookups -------------------------------------------------------------- */

static int s_check_max(size_t max, size_t cap, struct si_err *err)
{
	if (max == 0)
		return si_err_set(err, SI_ERR_INVALID, "a limit of 0 rows");
	if (max > cap)
		return si_err_set(err, SI_ERR_LIMIT, "a limit of %zu rows: at most %zu", max, cap);
	return 0;
}

/* Common checks of a lookup: a store, an output (zeroed here), a
 * non-empty UTF-8 text within INV_QUERY_MAX, a limit within cap. */
static int s_check_lookup(struct store *st, const char *text, size_t max, size_t cap,
			  void *out, size_t out_size, struct si_err *err)
{
	if (out == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no output");
	memset(out, 0, out_size);
	if (st == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no state store");
	if (s_check_req("lookup text", text, INV_QUERY_MAX, err) != 0)
		return -1;
	return s_check_max(max, cap, err);
}

/* The text as the identifiers are stored: an address canonically, any
 * other identifier lower-cased without a trailing dot. *is_addr says
 * which. NULL on OOM. */
static char *s_lookup_key(const char *text, int *is_addr)
{
	char canon[SI_CIDR_STRLEN];

	*is_addr = s_canon_addr(text, canon) == 0;
	return *is_addr ? si_strndup(canon, sizeof(canon)) : s_ident_lc(text);
}

int inv_lookup_ident(struct store *st, const char *text, size_t max, struct inv_res_list *out,
		     struct si_err *err)
{
	struct s_res_sink k = { out, 0, max };
	char *key;
	int is_addr, rc;

	if (s_check_lookup(st, text, max, INV_LOOKUP_MAX, out, sizeof(*out), err) != 0)
		return -1;
	key = s_lookup_key(text, &is_addr);
	if (key == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	{
		struct store_arg a[] = { STORE_TXT(key), STORE_INT(max + 1) };

		rc = s_run(st, "SELECT " S_RES_COLS ", (SELECT MIN(i.kind) FROM inv_ident i"
			   " WHERE i.rid = r.rid AND i.value = $1) FROM inv_resource r"
			   " LEFT JOIN inv_target t ON t.tid = r.tid"
			   " WHERE r.rid IN (SELECT rid FROM inv_ident WHERE value = $1)"
			   " ORDER BY (r.gone_at IS NOT NULL), r.gone_at DESC, r.rid LIMIT $2",
			   a, S_NARGS(a), s_res_row, &k, err);
	}
	free(key);
	if (rc != 0)
		inv_res_list_free(out);
	return rc;
}

/* How a name is searched on this store. */
enum s_name_way {
	S_NAME_FTS = 0,   /* SQLite FTS5 trigram MATCH (terms of 3+ chars) */
	S_NAME_INSTR,     /* SQLite instr() scan */
	S_NAME_LIKE       /* PostgreSQL LIKE, pg_trgm-indexed when present */
};

/* The three statements of one way: present names, gone names, names
 * alive at $3. $1 is the way's pattern, $2 the limit; the first two keep
 * to account $3 and region $4 when not '' (inv_scope; a global service's
 * rows are in every region). */
#define S_NAME_FROM_FTS                                                             \
	" FROM inv_name_fts JOIN inv_resource r ON r.rid = inv_name_fts.rowid"      \
	" LEFT JOIN inv_target t ON t.tid = r.tid WHERE inv_name_fts MATCH $1"
#define S_NAME_FROM_INSTR                                                           \
	" FROM inv_resource r LEFT JOIN inv_target t ON t.tid = r.tid"               \
	" WHERE instr(r.name_lc, $1) > 0"
#define S_NAME_FROM_LIKE                                                            \
	" FROM inv_resource r LEFT JOIN inv_target t ON t.tid = r.tid"               \
	" WHERE r.name_lc LIKE $1"
/* A name's life: from creation (or first sighting) to its end (or
 * vanishing). */
#define S_LIFE_FROM "COALESCE(r.created, r.first_seen)"
#define S_LIFE_TO "COALESCE(r.ended_at, r.gone_at)"
#define S_NAME_SCOPE                                                                \
	" AND ($3 = '' OR r.account = $3)"                                           \
	" AND ($4 = '' OR r.region = $4 OR r.region = 'global')"
#define S_NAME_SQL(FROM)                                                            \
	{ "SELECT " S_RES_COLS FROM S_NAME_SCOPE " AND r.gone_at IS NULL LIMIT $2",   \
	  "SELECT " S_RES_COLS FROM S_NAME_SCOPE " AND r.gone_at IS NOT NULL"         \
	  " ORDER BY r.gone_at DESC, r.rid LIMIT $2",                                 \
	  "SELECT NULL, r.type, r.account, r.region, r.id, r.name, " S_LIFE_FROM ","  \
	  " " S_LIFE_TO ", CASE WHEN r.created IS NULL THEN 0 ELSE 1 END,"             \
	  " CASE WHEN r.ended_at IS NULL THEN 0 ELSE 1 END, CASE WHEN r.ended_at IS"  \
	  " NOT NULL THEN COALESCE(r.state, 'ended') WHEN r.gone_at IS NOT NULL THEN" \
	  " 'gone' END" FROM " AND " S_LIFE_FROM " <= $3 AND (" S_LIFE_TO " IS NULL"  \
	  " OR " S_LIFE_TO " > $3) ORDER BY " S_LIFE_FROM " DESC, r.rid DESC LIMIT $2" }

static const char *const s_name_sql[3][3] = {
	S_NAME_SQL(S_NAME_FROM_FTS),
	S_NAME_SQL(S_NAME_FROM_INSTR),
	S_NAME_SQL(S_NAME_FROM_LIKE),
};

/* Which way this store searches names, and the pattern for that way
 * (malloc'd): an FTS5 phrase (its quotes doubled), the bare term for
 * instr(), or a LIKE pattern with the term's wildcards escaped
 * (PostgreSQL's default LIKE escape is the backslash). */
static int s_name_way(struct store *st, const char *term_lc, enum s_name_way *way,
		      char **pattern, struct si_err *err)
{
	const struct store_backend_vtable *vt;
	const char *edge = "";
	struct si_buf b;
	int64_t fts = 0;
	size_t chars = 0;
	void *impl;
	int rc;

	*pattern = NULL;
	store_private_backend(st, &vt, &impl);
	*way = S_NAME_LIKE;
	if (vt->dialect == STORE_DIALECT_SQLITE) {
		if (s_run(st, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'inv_name_fts'",
			  NULL, 0, s_first_int, &fts, err) != 0)
			return -1;
		for (size_t i = 0; term_lc[i] != '\0'; i++)
			chars += ((unsigned char)term_lc[i] & 0xc0) != 0x80;
		/* A trigram index knows nothing of shorter terms. */
		*way = fts != 0 && chars >= 3 ? S_NAME_FTS : S_NAME_INSTR;
	}
	if (*way != S_NAME_INSTR)
		edge = *way == S_NAME_FTS ? "\"" : "%";
	si_buf_init(&b, 2 * INV_QUERY_MAX + 8);
	rc = si_buf_puts(&b, edge, err);
	for (const char *p = term_lc; *p != '\0' && rc == 0; p++) {
		if (*way == S_NAME_FTS && *p == '"')
			rc = si_buf_puts(&b, "\"\"", err);
		else if (*way == S_NAME_LIKE && (*p == '%' || *p == '_' || *p == '\\'))
			rc = si_buf_printf(&b, err, "\\%c", *p);
		else
			rc = si_buf_append(&b, p, 1, err);
	}
	if (rc == 0)
		rc = si_buf_puts(&b, edge, err);
	if (rc == 0)
		*pattern = si_buf_steal(&b);
	si_buf_free(&b, 0);
	if (rc == 0 && *pattern == NULL)
		rc = si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return rc;
}

/* Present names in a stable order: by name, then where. */
static int s_cmp_res(const void *a, const void *b)
{
	const struct inv_res *x = a, *y = b;
	int d = si_strcmp0(x->name, y->name);

	if (d == 0)
		d = strcmp(x->account, y->account);
	if (d == 0)
		d = strcmp(x->region, y->region);
	if (d == 0)
		d = strcmp(x->type, y->type);
	return d != 0 ? d : strcmp(x->id, y->id);
}

/* The lower-cased term of a name lookup and how to search it. */
static int s_name_term(struct store *st, const char *text, enum s_name_way *way,
		       char **pattern, struct si_err *err)
{
	char *term = si_strndup(text, strlen(text));
	int rc;

	if (term == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	si_ascii_lower(term);
	rc = s_name_way(st, term, way, pattern, err);
	free(term);
	return rc;
}

int inv_lookup_name(struct store *st, const char *substring, size_t max,
		    struct inv_res_list *out, struct si_err *err)
{
	return inv_lookup_name_in(st, substring, NULL, max, out, err);
}

/* Contract in inventory.h. Why two statements: present names fill the
 * rows first (the search confirms those live); gone ones only take what
 * is left, newest first. The scope is in the SQL, so max counts rows of
 * the account or region asked, not of the organisation. */
int inv_lookup_name_in(struct store *st, const char *substring, const struct inv_scope *scope,
		       size_t max, struct inv_res_list *out, struct si_err *err)
{
	const char *acct = scope != NULL && scope->account != NULL ? scope->account : "";
	const char *region = scope != NULL && scope->region != NULL ? scope->region : "";
	struct s_res_sink k = { out, 0, max };
	enum s_name_way way;
	char *pattern;
	size_t present;
	int rc;

	if (s_check_lookup(st, substring, max, INV_LOOKUP_MAX, out, sizeof(*out), err) != 0 ||
	    s_name_term(st, substring, &way, &pattern, err) != 0)
		return -1;
	{
		struct store_arg a[] = { STORE_TXT(pattern), STORE_INT(max + 1), STORE_TXT(acct),
					 STORE_TXT(region) };

		rc = s_run(st, s_name_sql[way][0], a, S_NARGS(a), s_res_row, &k, err);
		present = out->n;
		if (rc == 0 && !out->truncated && out->n < max) {
			a[1].i = (int64_t)(max - out->n + 1);
			rc = s_run(st, s_name_sql[way][1], a, S_NARGS(a), s_res_row, &k, err);
		}
	}
	free(pattern);
	if (rc != 0) {
		inv_res_list_free(out);
		return -1;
	}
	if (present > 1)
		qsort(out->items, present, sizeof(*out->items), s_cmp_res);
	return 0;
}

/* The stretch columns (s_hold_row's order) and joins of the history
 * queries; the holder's name is its current one while it exists. */
#define S_HOLD_FROM                                                                     \
	"SELECT h.addr, h.type, h.account, h.region, h.res_id, COALESCE(r.name, h.name),"  \
	" h.from_ts, h.to_ts, h.from_exact, h.to_exact, h.end_reason"                      \
	" FROM inv_addr_history h LEFT JOIN inv_resource r ON r.rid = h.rid"
#define S_HOLD_LATEST " ORDER BY h.from_ts DESC, h.hid DESC LIMIT $2"

static void s_reverse(struct inv_hold_list *l)
{
	for (size_t i = 0, j = l->n; i + 1 < j; i++, j--) {
		struct inv_hold t = l->items[i];

		l->items[i] = l->items[j - 1];
		l->items[j - 1] = t;
	}
}

int inv_history(struct store *st, const char *addr_or_id, size_t max,
		struct inv_hold_list *out, struct si_err *err)
{
	struct s_hold_sink k = { out, 0, max };
	char *key;
	int is_addr, rc;

	if (s_check_lookup(st, addr_or_id, max, INV_LOOKUP_MAX, out, sizeof(*out), err) != 0)
		return -1;
	key = s_lookup_key(addr_or_id, &is_addr);
	if (key == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	{
		struct store_arg a[] = { STORE_TXT(key), STORE_INT(max + 1) };

		if (is_addr)
			rc = s_run(st, S_HOLD_FROM " WHERE h.addr = $1" S_HOLD_LATEST, a,
				   S_NARGS(a), s_hold_row, &k, err);
		else
			rc = s_run(st, S_HOLD_FROM " WHERE h.rid IN (SELECT rid FROM inv_ident"
				   " WHERE value = $1 AND kind IN ('id', 'arn'))" S_HOLD_LATEST,
				   a, S_NARGS(a), s_hold_row, &k, err);
	}
	free(key);
	if (rc != 0) {
		inv_hold_list_free(out);
		return -1;
	}
	s_reverse(out);
	return 0;
}

int inv_at(struct store *st, const char *text, time_t when, size_t max,
	   struct inv_hold_list *out, struct si_err *err)
{
	struct s_hold_sink k = { out, 0, max };
	enum s_name_way way;
	char *key;
	int is_addr, rc;

	if (s_check_lookup(st, text, max, INV_LOOKUP_MAX, out, sizeof(*out), err) != 0)
		return -1;
	key = s_lookup_key(text, &is_addr);
	if (key == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	if (!is_addr) {
		free(key);
		if (s_name_term(st, text, &way, &key, err) != 0)
			return -1;
	}
	{
		struct store_arg a[] = { STORE_TXT(key), STORE_INT(max + 1), STORE_INT(when) };

		if (is_addr)
			rc = s_run(st, S_HOLD_FROM " WHERE h.addr = $1 AND h.from_ts <= $3 AND"
				   " (h.to_ts IS NULL OR h.to_ts > $3)" S_HOLD_LATEST, a,
				   S_NARGS(a), s_hold_row, &k, err);
		else
			rc = s_run(st, s_name_sql[way][2], a, S_NARGS(a), s_hold_row, &k, err);
	}
	free(key);
	if (rc != 0)
		inv_hold_list_free(out);
	return rc;
}

/* --- status, retention, size ---------------------------------------------- */

struct s_status_sink {
	struct inv_status_list *out;
	size_t cap, max;
};

static int s_status_row(void *ctx, const char *const *col, int ncol, struct si_err *err)
{
	struct s_status_sink *k = ctx;
	struct inv_target_status *t;
	int64_t n = 0;

	(void)ncol;
	if (k->out->n >= k->max) {
		k->out->truncated = 1;
		return 0;
	}
	t = s_slot((void **)&k->out->items, k->out->n, &k->cap, sizeof(*t), k->max, err);
	if (t == NULL)
		return -1;
	k->out->n++;
	if (s_col_str(col[0], &t->account, err) != 0 || s_col_str(col[1], &t->region, err) != 0 ||
	    s_col_str(col[2], &t->service, err) != 0 || s_col_i64(col[3], &n, err) != 0 ||
	    s_col_time(col[4], &t->last_ok_at, err) != 0 ||
	    s_col_time(col[5], &t->last_try_at, err) != 0 ||
	    s_col_str(col[6], &t->last_error, err) != 0 ||
	    s_col_time(col[7], &t->last_error_at, err) != 0 ||
	    s_col_str(col[8], &t->claimed_by, err) != 0 ||
	    s_col_time(col[9], &t->claimed_until, err) != 0)
		return -1;
	if (t->account == NULL || t->region == NULL || t->service == NULL)
		return si_err_set(err, SI_ERR_INTERNAL, "inventory: target without a key");
	t->resources = n > 0 ? (size_t)n : 0;
	return 0;
}

static int s_cmp_status(const void *a, const void *b)
{
	const struct inv_target_status *x = a, *y = b;
	int d = strcmp(x->account, y->account);

	if (d == 0)
		d = strcmp(x->region, y->region);
	return d != 0 ? d : strcmp(x->service, y->service);
}

int inv_status(struct store *st, size_t max, struct inv_status_list *out, struct si_err *err)
{
	struct s_status_sink k = { out, 0, max };
	struct store_arg a[] = { STORE_INT(max + 1) };

	if (out == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no output");
	memset(out, 0, sizeof(*out));
	if (st == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no state store");
	if (s_check_max(max, INV_STATUS_MAX, err) != 0)
		return -1;
	if (s_run(st, "SELECT account, region, service, n_resources, last_ok_at, last_try_at,"
		  " last_error, last_error_at, claimed_by, claimed_until FROM inv_target"
		  " ORDER BY tid LIMIT $1",
		  a, S_NARGS(a), s_status_row, &k, err) != 0) {
		inv_status_list_free(out);
		return -1;
	}
	/* In C, so both databases sort alike whatever their collation. */
	if (out->n > 1)
		qsort(out->items, out->n, sizeof(*out->items), s_cmp_status);
	return 0;
}

struct s_prune {
	const struct store_backend_vtable *vt;
	void *impl;
	int64_t cut;
	size_t deleted;
	int64_t stale_tid, stale_ok;
};

static int s_pq(struct s_prune *p, const char *sql, const struct store_arg *a, size_t n,
		store_row_fn row, void *ctx, struct si_err *err)
{
	struct store_stmt s = { sql, a, n, row, ctx, 0 };

	if (p->vt->stmt(p->impl, &s, err) != 0)
		return -1;
	p->deleted += s.changes;
	return 0;
}

static int s_stale_row(void *ctx, const char *const *col, int ncol, struct si_err *err)
{
	struct s_prune *p = ctx;

	(void)ncol;
	if (s_col_i64(col[0], &p->stale_tid, err) != 0 ||
	    s_col_i64(col[1], &p->stale_ok, err) != 0)
		return -1;
	return 0;
}

/* Retire one target nobody tried within the retention: a target dropped
 * from the configuration would otherwise keep its resources "present"
 * forever. They become gone at its last good crawl (or the cut-off), and
 * age out with the next prunes. */
static int s_prune_stale(struct s_prune *p, struct si_err *err)
{
	struct store_arg a[] = { STORE_INT(p->cut) };
	struct store_arg b[] = { STORE_INT(0), STORE_INT(0) };
	size_t closed = 0;

	/* A target claimed but never tried yet counts as tried at its
	 * claim's end: another crawler may be listing it right now. */
	if (s_pq(p, "SELECT tid, last_ok_at FROM inv_target"
		 " WHERE COALESCE(last_try_at, claimed_until, 0) < $1"
		 " ORDER BY tid LIMIT 1", a, S_NARGS(a), s_stale_row, p, err) != 0)
		return -1;
	if (p->stale_tid == 0)
		return 0;
	b[0].i = p->stale_tid;
	b[1].i = p->stale_ok != 0 ? p->stale_ok : p->cut;
	if (s_close_holds(p->vt, p->impl, S_CLOSE_TARGET, b[0].i, b[1].i, 0, "stale", &closed,
			  err) != 0)
		return -1;
	p->deleted += closed;
	return s_pq(p, "UPDATE inv_resource SET gone_at = $2, last_seen = $2"
		    " WHERE tid = $1 AND gone_at IS NULL", b, S_NARGS(b), NULL, NULL, err) != 0 ||
	       s_pq(p, "DELETE FROM inv_target WHERE tid = $1", b, 1, NULL, NULL, err) != 0
	       ? -1 : 0;
}

/* One prune batch, one transaction: the oldest closed stretches, the
 * longest-gone resources (identifiers first: the same ordered batch),
 * one stale target. */
static int s_prune_body(void *ctx, struct si_err *err)
{
	struct s_prune *p = ctx;
	struct store_arg a[] = { STORE_INT(p->cut), STORE_INT(INV_PRUNE_BATCH) };

	if (s_pq(p, "DELETE FROM inv_addr_history WHERE hid IN (SELECT hid FROM inv_addr_history"
		 " WHERE to_ts < $1 ORDER BY to_ts, hid LIMIT $2)", a, S_NARGS(a), NULL, NULL,
		 err) != 0 ||
	    s_pq(p, "DELETE FROM inv_ident WHERE rid IN (SELECT rid FROM inv_resource"
		 " WHERE gone_at < $1 ORDER BY gone_at, rid LIMIT $2)", a, S_NARGS(a), NULL,
		 NULL, err) != 0 ||
	    s_pq(p, "DELETE FROM inv_resource WHERE rid IN (SELECT rid FROM inv_resource"
		 " WHERE gone_at < $1 ORDER BY gone_at, rid LIMIT $2)", a, S_NARGS(a), NULL,
		 NULL, err) != 0)
		return -1;
	return s_prune_stale(p, err);
}

int inv_prune(struct store *st, long history_days, time_t now, size_t *deleted,
	      struct si_err *err)
{
	struct s_prune p;
	struct si_err e;
	int rc;

	if (deleted != NULL)
		*deleted = 0;
	if (st == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no state store");
	if (history_days < 1 || history_days > INV_HISTORY_DAYS_MAX)
		return si_err_set(err, SI_ERR_INVALID, "history of %ld days is outside 1..%d",
				  history_days, INV_HISTORY_DAYS_MAX);
	memset(&p, 0, sizeof(p));
	store_private_backend(st, &p.vt, &p.impl);
	p.cut = (int64_t)now - (int64_t)history_days * S_DAY_S;
	si_err_clear(&e);
	rc = store_private_done(st, p.vt->run(p.impl, 1, s_prune_body, &p, &e), &e, err);
	if (rc == 0 && deleted != NULL)
		*deleted = p.deleted;
	return rc;
}

static int s_size_row(void *ctx, const char *const *col, int ncol, struct si_err *err)
{
	struct inv_size *s = ctx;
	int64_t *v[] = { &s->targets, &s->resources, &s->present, &s->idents, &s->history };

	(void)ncol;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (s_col_i64(col[i], v[i], err) != 0)
			return -1;
	return 0;
}

int inv_size(struct store *st, struct inv_size *out, struct si_err *err)
{
	const struct store_backend_vtable *vt;
	int pg;
	int64_t idx = 0;
	void *impl;

	if (out == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no output");
	memset(out, 0, sizeof(*out));
	out->name_index = "scan";
	if (st == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no state store");
	store_private_backend(st, &vt, &impl);
	pg = vt->dialect == STORE_DIALECT_PG;
	if (s_run(st, "SELECT (SELECT COUNT(*) FROM inv_target), (SELECT COUNT(*) FROM"
		  " inv_resource), (SELECT COUNT(*) FROM inv_resource WHERE gone_at IS NULL),"
		  " (SELECT COUNT(*) FROM inv_ident), (SELECT COUNT(*) FROM inv_addr_history)",
		  NULL, 0, s_size_row, out, err) != 0 ||
	    s_run(st, pg ? "SELECT pg_database_size(current_database())"
		  : "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
		  NULL, 0, s_first_int, &out->db_bytes, err) != 0 ||
	    s_run(st, pg ? "SELECT COUNT(*) FROM pg_indexes"
		  " WHERE indexname = 'inv_resource_name_trgm'"
		  : "SELECT COUNT(*) FROM sqlite_master WHERE name = 'inv_name_fts'",
		  NULL, 0, s_first_int, &idx, err) != 0)
		return -1;
	if (idx != 0)
		out->name_index = pg ? "pg_trgm" : "fts5-trigram";
	return 0;
}
