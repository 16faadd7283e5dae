/*
 * rt_route53.c - Route 53: a host name in any hosted zone (public or
 * private) of the searched accounts becomes its record sets, and each
 * CNAME, ALIAS or address is followed to what is behind it; hosted zones
 * by ARN.
 *
 * Route 53 is one global service per account (REST-XML on
 * route53.amazonaws.com, signed for us-east-1), so both types plan once
 * per account. A host is looked up in three steps:
 *  1. the account's hosted zones: ListHostedZones (paged by marker), or
 *     the list cached for the account (5 minutes: zones change rarely and
 *     the listing costs a call per 100 zones);
 *  2. in each zone whose name is a suffix of the host (label-wise), the
 *     record sets from the host's name on: ListResourceRecordSets with
 *     name=HOST., keeping the sets whose name is the host (paged by
 *     NextRecordName/NextRecordType/NextRecordIdentifier while the host's
 *     sets continue);
 *  3. when the host has no record set (and no names below it, RFC 4592's
 *     rule for wildcards), the wildcard one level up, "*.PARENT.", then
 *     the next, up to the zone's apex (at most S_MAX_WILD_LEVELS).
 * A matching set becomes a resource (id: the host) and its targets are
 * followed with rt_follow_host: a CNAME's name, an ALIAS's DNS name
 * ("dualstack." and the final dot dropped) and an A/AAAA record's
 * addresses, each hop written "api.example.com → CNAME x.elb.amazonaws.com".
 *
 * A listing (SEARCH_TERM_LIST, the inventory crawler), once per account:
 * the record type lists the zones (ListHostedZones, never the cached
 * list: a crawl is what refreshes it) and every zone's record sets whole
 * (ListResourceRecordSets without a name, 300 a page, paged by
 * NextRecordName/Type/Identifier up to S_MAX_LIST_PAGES), each set a
 * resource (id: its name), its CNAME, ALIAS and addresses kept but not
 * followed: what they point to is crawled in its own right. The zone type
 * lists the zones as its own resources from the same ListHostedZones
 * (one more call per 100 zones; a private zone's VPCs, which only
 * GetHostedZone names, are left to the live lookup of the zone).
 *
 * Why zones are interned: an answer to ListResourceRecordSets does not
 * name its zone, and struct rt_answer carries the request's parameters,
 * not its path. The zone (id, name, private) a request lists is kept in a
 * process-wide table, immutable once added (zone ids are unique across
 * AWS), and its index travels in the request's step (S_STEP_* in the low
 * 4 bits, the page count in the next 8, the zone handle above that).
 *
 * Both tables are bounded, process-wide and behind one mutex: every
 * search thread plans and parses here.
 */
#include "search/private/qxml.h"
#include "search/private/types.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/xml.h"
#include "util/clock.h"
#include "util/strutil.h"

#define S_SERVICE "route53"
#define S_VERSION "2013-04-01"
#define S_ZONES_PATH "/2013-04-01/hostedzone"
/* ListHostedZones answers at most 100 zones a page (its maximum). */
#define S_ZONES_PAGE "100"
/* Record sets per ListResourceRecordSets page (AWS allows 300): a host
 * rarely has more than a few (one per type, or per weighted/latency set
 * identifier); the rest of the page is the names after it. */
#define S_RECORDS_PAGE "100"
/* Element caps per answer, well above AWS's own page maxima (100 zones,
 * 300 record sets, 400 values per set), so only hostile answers hit
 * them (SI_ERR_LIMIT). */
#define S_MAX_ZONES_ANSWER 1000
#define S_MAX_SETS_ANSWER 1000
#define S_MAX_VALUES 400
#define S_MAX_NAME_SERVERS 64
#define S_MAX_VPCS 1000
/* Hosted zone ids are upper-case letters and digits ("Z1PA6795UKMFR9");
 * 32 leaves room. They go into a path, so nothing else is accepted. */
#define S_MAX_ZONE_ID 32
/* A decoded DNS name is at most 253 characters; longer is not a name. */
#define S_MAX_NAME 256
/* Further pages of one host's record sets (each up to S_RECORDS_PAGE). */
#define S_MAX_RECORD_PAGES 8
/* A listing's page of a zone's record sets (AWS's most), and the pages of
 * one zone read: 200 x 300 is six times Route 53's default quota of
 * 10,000 records a zone, and far past SEARCH_MAX_MATCHES; the bound only
 * stops an endpoint that pages for ever. At most 255 (the step's field). */
#define S_LIST_RECORDS_PAGE "300"
#define S_MAX_LIST_PAGES 200
/* Wildcard levels tried above a host with no record set: "*.b.example
 * .com", then "*.example.com"; each costs a sequential call. */
#define S_MAX_WILD_LEVELS 4
/* Addresses of one A/AAAA set followed as terms: each costs a search of
 * every network interface of the account. */
#define S_MAX_FOLLOW_ADDRS 8
/* Hop texts: RT_MAX_HOPS steps of a name (253) and a label each. */
#define S_MAX_HOP 2048
/* A card's Values field: a few dozen addresses; the count says the rest. */
#define S_MAX_VALUES_TEXT 1024

/* The zone table (see the top). 65,536 zones is more than the biggest
 * organisations hold (Route 53 allows 500 per account by default); past
 * it new zones get no handle: their records are still found, without
 * zone fields, wildcards or further pages. */
#define S_MAX_ZONE_REFS 65536
#define S_ZONE_SLOTS (2 * S_MAX_ZONE_REFS)   /* open addressing, half full */
#define S_ZONE_CHUNK 1024                    /* entries never move */

/* The cache of each account's zone list: accounts searched (4,096, as
 * the STS cache), zone handles held in all (4 bytes each), and how long a
 * list is trusted (zones come and go by hand, rarely). */
#define S_CACHE_ACCOUNTS 4096
#define S_CACHE_MAX_HANDLES 65536
#define S_CACHE_TTL_MS (300 * 1000LL)

enum {
	S_STEP_ZONES,       /* ListHostedZones for a host */
	S_STEP_EXACT,       /* ListResourceRecordSets name=HOST. */
	S_STEP_WILD,        /* ListResourceRecordSets name=*.PARENT. */
	S_STEP_ZONE_GET,    /* GetHostedZone (rt_dns_zone) */
	S_STEP_CHECK,       /* --check-config: not parsed */
	S_STEP_ALL,         /* ListResourceRecordSets of a whole zone (LIST) */
	S_STEP_ZONE_LIST    /* ListHostedZones for rt_dns_zone's LIST */
};

/* Handles are at most S_MAX_ZONE_REFS (2^16): 17 bits from bit 12. */
#define S_STEP(kind, page, handle) ((int)((kind) | ((page) << 4) | ((handle) << 12)))
#define S_STEP_KIND(step) ((unsigned)(step) & 0x0Fu)
#define S_STEP_PAGE(step) (((unsigned)(step) >> 4) & 0xFFu)
#define S_STEP_HANDLE(step) ((uint32_t)((unsigned)(step) >> 12))

struct s_zone {
	char id[S_MAX_ZONE_ID + 1];
	char *name;            /* lower case, no final dot */
	int private_zone;
};

struct s_acct {
	char id[16];           /* 12 digits */
	unsigned long long born;   /* insertion order: the oldest goes first */
	long long at_ms;       /* when zones was completed; 0: never */
	uint32_t *zones;       /* handles of the complete list */
	size_t n_zones;
	uint32_t *pend;        /* pages read so far of a listing */
	size_t n_pend;
	int pend_on;           /* a listing is being read */
	char pend_next[S_MAX_ZONE_ID + 1];   /* the marker its next page must carry */
};

static pthread_mutex_t s_mu = PTHREAD_MUTEX_INITIALIZER;
static struct s_zone *s_chunks[S_MAX_ZONE_REFS / S_ZONE_CHUNK];
static uint32_t *s_slots;           /* handle, 0: empty */
static size_t s_n_zones;
static struct s_acct *s_accts;
static size_t s_n_accts;
static size_t s_cached_handles;
static unsigned long long s_born;

/* ---- names ---------------------------------------------------------------- */

/* A DNS name as Route 53 writes it ("\052.Example.com.") into the form
 * terms use ("*.example.com"): octal escapes decoded, ASCII lower-cased,
 * the final dot dropped. Returns 0, or -1 when it does not fit or decodes
 * to a NUL or a control byte (nothing a host name holds). */
static int s_dns_decode(const char *in, char *out, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; in[i] != '\0'; i++) {
		int c = (unsigned char)in[i];

		if (c == '\\' && in[i + 1] >= '0' && in[i + 1] <= '3' && in[i + 2] >= '0' &&
		    in[i + 2] <= '7' && in[i + 3] >= '0' && in[i + 3] <= '7') {
			c = (in[i + 1] - '0') * 64 + (in[i + 2] - '0') * 8 + (in[i + 3] - '0');
			i += 3;
		}
		if (c < 0x21 || c == 0x7F || k + 1 >= n)
			return -1;
		out[k++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	if (k > 0 && out[k - 1] == '.')
		k--;
	out[k] = '\0';
	return k > 0 ? 0 : -1;
}

/* 1 when host is zone or lies below it (whole labels: "ample.com" is not
 * in "example.com"). */
static int s_in_zone(const char *host, const char *zone)
{
	size_t h = strlen(host), z = strlen(zone);

	if (h == z)
		return strcmp(host, zone) == 0;
	return h > z && host[h - z - 1] == '.' && strcmp(host + h - z, zone) == 0;
}

/* The name one label up ("b.example.com" for "a.b.example.com"), or NULL
 * at the top. */
static const char *s_parent(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot != NULL && dot[1] != '\0' ? dot + 1 : NULL;
}

/* Hosted zone ids as they may go into a path. */
static int s_zone_id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > S_MAX_ZONE_ID)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9')))
			return 0;
	return 1;
}

/* ---- the zone table ------------------------------------------------------- */

static uint32_t s_hash(const char *s)
{
	uint32_t h = 2166136261u;      /* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct s_zone *s_zone_at(uint32_t handle)
{
	return &s_chunks[(handle - 1) / S_ZONE_CHUNK][(handle - 1) % S_ZONE_CHUNK];
}

/* The handle (1-based) of the zone (id, name, private), added when new;
 * 0 when the table is full or memory ran out. Caller holds s_mu. Why the
 * whole triple is the key: AWS never reuses an id, but a stand-in or a
 * copied sample may, and a handle must never name another zone. Why
 * linear probing over a fixed slot array: lookups happen for every zone
 * of every listing, the table only grows, and entries never move
 * (chunks), so a handle stays valid for the life of the process. */
static uint32_t s_intern_locked(const char *id, const char *name, int private_zone)
{
	uint32_t i, h;
	struct s_zone *z;

	if (s_slots == NULL && (s_slots = calloc(S_ZONE_SLOTS, sizeof(*s_slots))) == NULL)
		return 0;
	for (i = (s_hash(id) ^ s_hash(name)) % S_ZONE_SLOTS; s_slots[i] != 0;
	     i = (i + 1) % S_ZONE_SLOTS) {
		z = s_zone_at(s_slots[i]);
		if (strcmp(z->id, id) == 0 && strcmp(z->name, name) == 0 &&
		    z->private_zone == private_zone)
			return s_slots[i];
	}
	if (s_n_zones >= S_MAX_ZONE_REFS)
		return 0;
	if (s_n_zones % S_ZONE_CHUNK == 0 && s_chunks[s_n_zones / S_ZONE_CHUNK] == NULL) {
		s_chunks[s_n_zones / S_ZONE_CHUNK] = calloc(S_ZONE_CHUNK, sizeof(struct s_zone));
		if (s_chunks[s_n_zones / S_ZONE_CHUNK] == NULL)
			return 0;
	}
	h = (uint32_t)s_n_zones + 1;
	z = s_zone_at(h);
	z->name = strdup(name);
	if (z->name == NULL)
		return 0;
	snprintf(z->id, sizeof(z->id), "%s", id);
	z->private_zone = private_zone;
	s_slots[i] = h;
	s_n_zones++;
	return h;
}

static uint32_t s_intern(const char *id, const char *name, int private_zone)
{
	uint32_t h;

	pthread_mutex_lock(&s_mu);
	h = s_intern_locked(id, name, private_zone);
	pthread_mutex_unlock(&s_mu);
	return h;
}

/* A copy of zone handle's fields (zeroed when the handle is unknown). */
static int s_zone_get(uint32_t handle, char *id, char *name, int *private_zone)
{
	int ok = 0;

	id[0] = name[0] = '\0';
	*private_zone = 0;
	pthread_mutex_lock(&s_mu);
	if (handle >= 1 && handle <= s_n_zones) {
		const struct s_zone *z = s_zone_at(handle);

		snprintf(id, S_MAX_ZONE_ID + 1, "%s", z->id);
		snprintf(name, S_MAX_NAME, "%s", z->name);
		*private_zone = z->private_zone;
		ok = 1;
	}
	pthread_mutex_unlock(&s_mu);
	return ok;
}

/* ---- the per-account cache of zone lists ------------------------------- */

static struct s_acct *s_acct_find_locked(const char *account)
{
	for (size_t i = 0; i < s_n_accts; i++)
		if (strcmp(s_accts[i].id, account) == 0)
			return &s_accts[i];
	return NULL;
}

static void s_acct_drop_locked(size_t i)
{
	s_cached_handles -= s_accts[i].n_zones;
	free(s_accts[i].zones);
	free(s_accts[i].pend);
	s_accts[i] = s_accts[--s_n_accts];
}

/* Drop the oldest account (by insertion) but keep. */
static int s_acct_evict_locked(const struct s_acct *keep)
{
	size_t old = s_n_accts;

	for (size_t i = 0; i < s_n_accts; i++)
		if (&s_accts[i] != keep &&
		    (old == s_n_accts || s_accts[i].born < s_accts[old].born))
			old = i;
	if (old == s_n_accts)
		return -1;
	s_acct_drop_locked(old);
	return 0;
}

/* The account's entry, created (evicting the oldest) when new; NULL on
 * OOM. */
static struct s_acct *s_acct_get_locked(const char *account)
{
	struct s_acct *a = s_acct_find_locked(account);

	if (a != NULL)
		return a;
	if (s_accts == NULL && (s_accts = calloc(S_CACHE_ACCOUNTS, sizeof(*s_accts))) == NULL)
		return NULL;
	if (s_n_accts >= S_CACHE_ACCOUNTS && s_acct_evict_locked(NULL) != 0)
		return NULL;
	a = &s_accts[s_n_accts++];
	memset(a, 0, sizeof(*a));
	snprintf(a->id, sizeof(a->id), "%s", account);
	a->born = ++s_born;
	return a;
}

/* The account's zone handles when its list is fresh: a malloc'd copy the
 * caller frees (*n may be 0 for an account with no zone), or NULL (miss,
 * or OOM: the caller lists again). */
static uint32_t *s_cache_get(const char *account, size_t *n)
{
	uint32_t *v = NULL;
	struct s_acct *a;

	*n = 0;
	if (account == NULL || account[0] == '\0')
		return NULL;
	pthread_mutex_lock(&s_mu);
	a = s_acct_find_locked(account);
	if (a != NULL && a->at_ms != 0 && si_mono_ms() - a->at_ms < S_CACHE_TTL_MS &&
	    (v = malloc((a->n_zones + 1) * sizeof(*v))) != NULL) {
		memcpy(v, a->zones, a->n_zones * sizeof(*v));
		*n = a->n_zones;
	}
	pthread_mutex_unlock(&s_mu);
	return v;
}

/* Append a page of handles to the account's listing in progress. Why the
 * marker chain: concurrent searches list the same account at once; a page
 * counts only when its marker is the one the previous page announced, so
 * a list is published only when it was read whole, first page to last.
 * next is the page's NextMarker (NULL on the last page). */
static void s_cache_page(const char *account, const char *marker, const uint32_t *h, size_t n,
			 int complete, const char *next)
{
	struct s_acct *a;
	uint32_t *p;

	if (account == NULL || account[0] == '\0')
		return;
	pthread_mutex_lock(&s_mu);
	a = s_acct_get_locked(account);
	if (a == NULL)
		goto out;
	if (marker == NULL) {
		a->n_pend = 0;
		a->pend_on = 1;
	} else if (!a->pend_on || strcmp(a->pend_next, marker) != 0) {
		goto out;               /* not the page this listing waits for */
	}
	a->pend_on = complete && a->n_pend + n <= S_CACHE_MAX_HANDLES;
	if (!a->pend_on)
		goto out;
	p = realloc(a->pend, (a->n_pend + n + 1) * sizeof(*p));
	if (p == NULL) {
		a->pend_on = 0;
		goto out;
	}
	a->pend = p;
	memcpy(a->pend + a->n_pend, h, n * sizeof(*h));
	a->n_pend += n;
	if (next != NULL) {
		snprintf(a->pend_next, sizeof(a->pend_next), "%s", next);
		goto out;
	}
	/* The last page: publish, making room among the other accounts. */
	while (s_cached_handles - a->n_zones + a->n_pend > S_CACHE_MAX_HANDLES &&
	       s_acct_evict_locked(a) == 0)
		a = s_acct_find_locked(account);   /* the eviction may move it */
	s_cached_handles = s_cached_handles - a->n_zones + a->n_pend;
	free(a->zones);
	a->zones = a->pend;
	a->n_zones = a->n_pend;
	a->pend = NULL;
	a->n_pend = 0;
	a->pend_on = 0;
	a->at_ms = si_mono_ms();
out:
	pthread_mutex_unlock(&s_mu);
}

/* ---- requests -------------------------------------------------------------- */

/* A ListResourceRecordSets call, built in place (the engine copies it). */
struct s_rrq {
	char path[sizeof(S_ZONES_PATH) + S_MAX_ZONE_ID + sizeof("/rrset")];
	char name[S_MAX_NAME + 4];
	struct aws_query_param params[4];
	struct rt_request rq;
};

/* Build the call listing zone's record sets from name (as sent: "HOST.",
 * "*.PARENT.", or a NextRecordName) on; type and ident continue a page.
 * name NULL: from the zone's first name (a listing's first page). Returns
 * 0, or -1 when name does not fit (nothing to ask). */
static int s_rrq_init(struct s_rrq *q, const char *zone_id, uint32_t handle, unsigned kind,
		      unsigned page, const char *name, const char *type, const char *ident)
{
	size_t n = 0;
	int k;

	memset(q, 0, sizeof(*q));
	k = snprintf(q->path, sizeof(q->path), S_ZONES_PATH "/%s/rrset", zone_id);
	if (k < 0 || (size_t)k >= sizeof(q->path) || !s_zone_id_ok(zone_id))
		return -1;
	if (name != NULL) {
		k = snprintf(q->name, sizeof(q->name), "%s", name);
		if (k < 0 || (size_t)k >= sizeof(q->name))
			return -1;
		q->params[n++] = (struct aws_query_param){ "name", q->name };
	}
	if (name != NULL && type != NULL)
		q->params[n++] = (struct aws_query_param){ "type", type };
	if (name != NULL && type != NULL && ident != NULL)
		q->params[n++] = (struct aws_query_param){ "identifier", ident };
	q->params[n++] = (struct aws_query_param){
		"maxitems", kind == S_STEP_ALL ? S_LIST_RECORDS_PAGE : S_RECORDS_PAGE
	};
	q->rq = (struct rt_request){
		.service = S_SERVICE, .proto = AWS_PROTO_REST_XML,
		.action = "ListResourceRecordSets", .version = S_VERSION, .method = "GET",
		.path = q->path, .global = 1, .params = q->params, .n_params = n,
		.step = S_STEP(kind, page, handle), .parent = RT_NO_PARENT,
	};
	return 0;
}

/* The first listing of host's record sets in a zone. */
static int s_rrq_exact(struct s_rrq *q, const char *zone_id, uint32_t handle, const char *host)
{
	char name[S_MAX_NAME + 4];
	int k = snprintf(name, sizeof(name), "%s.", host);

	if (k < 0 || (size_t)k >= sizeof(name))
		return -1;
	return s_rrq_init(q, zone_id, handle, S_STEP_EXACT, 0, name, NULL, NULL);
}

static const struct aws_query_param s_zones_params[] = { { "maxitems", S_ZONES_PAGE } };

static const struct rt_request s_zones_rq = {
	.service = S_SERVICE, .proto = AWS_PROTO_REST_XML, .action = "ListHostedZones",
	.version = S_VERSION, .method = "GET", .path = S_ZONES_PATH, .global = 1,
	.params = s_zones_params, .n_params = 1, .page_param = "marker",
	.step = S_STEP_ZONES, .parent = RT_NO_PARENT,
};

/* --check-config: one listing of each kind. A made-up zone answers
 * NoSuchHostedZone, which proves the right to ask. */
static int s_plan_check(struct rt_plan *p)
{
	static const struct aws_query_param one[] = { { "maxitems", "1" } };
	struct rt_request rq = s_zones_rq;

	rq.params = one;
	rq.page_param = NULL;
	rq.step = S_STEP_CHECK;
	if (rt_plan_request(p, &rq) != 0)
		return -1;
	rq.action = "ListResourceRecordSets";
	rq.path = S_ZONES_PATH "/Z0000000000000000000/rrset";
	return rt_plan_request(p, &rq);
}

/* Why the cache first: a host is searched in every account, and most
 * searches of one account come minutes apart; with the account's zones
 * known, only the zones that can hold the host are asked, in the first
 * round of calls. Without them, ListHostedZones, whose answer plans the
 * rest (s_zones_answer). */
static int s_record_plan(struct rt_plan *p)
{
	const struct search_term *t = p->term;
	char id[S_MAX_ZONE_ID + 1], name[S_MAX_NAME];
	uint32_t *h;
	size_t n;
	int priv, rc = 0;

	if (!p->first_of_account)
		return 0;           /* a global type: once per account */
	if (t->kind == SEARCH_TERM_CHECK)
		return s_plan_check(p);
	if (t->type != NULL && t->type != &rt_dns_record)
		return 0;
	if (t->kind == SEARCH_TERM_LIST)
		return rt_plan_request(p, &s_zones_rq);     /* fresh: see the top */
	if (t->kind != SEARCH_TERM_HOST || t->value == NULL || t->value[0] == '\0')
		return 0;
	h = s_cache_get(p->account_id, &n);
	if (h == NULL)
		return rt_plan_request(p, &s_zones_rq);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct s_rrq q;

		if (s_zone_get(h[i], id, name, &priv) && s_in_zone(t->value, name) &&
		    s_rrq_exact(&q, id, h[i], t->value) == 0)
			rc = rt_plan_request(p, &q.rq);
	}
	free(h);
	return rc;
}

/* ---- answers: hosted zones ------------------------------------------------- */

/* One <HostedZone>: its id without "/hostedzone/", name decoded, private
 * flag. Returns 0, 1 when the element is unusable (skipped), -1 on a cap
 * or OOM. */
static int s_zone_read(const xmlNode *z, char *id, char *name, int *private_zone,
		       struct si_err *err)
{
	char *rid = NULL, *rname = NULL, *priv = NULL;
	const char *bare;
	int rc = -1;

	if (aws_xml_child_text(z, "Id", &rid, err) != 0 ||
	    aws_xml_child_text(z, "Name", &rname, err) != 0 ||
	    aws_xml_child_text(z, "Config/PrivateZone", &priv, err) != 0)
		goto out;
	rc = 1;
	if (rid == NULL || rname == NULL)
		goto out;
	bare = SI_HAS_PREFIX(rid, "/hostedzone/") ? rid + SI_LITLEN("/hostedzone/") : rid;
	if (!s_zone_id_ok(bare) || s_dns_decode(rname, name, S_MAX_NAME) != 0)
		goto out;
	snprintf(id, S_MAX_ZONE_ID + 1, "%s", bare);
	*private_zone = priv != NULL && strcmp(priv, "true") == 0;
	rc = 0;
out:
	free(rid);
	free(rname);
	free(priv);
	return rc;
}

/* Why one pass does three things: each zone of the page is interned (its
 * handle travels in the record listings' step), remembered for the
 * account's cache (s_cache_page publishes a list read whole), and, when
 * its name is a suffix of the host (any zone, for a listing), listed at
 * once (rt_follow), so a search never waits for the last page before
 * asking the right zone. A zone the full table gives no handle is listed
 * by a listing all the same, its first page only (the next page's path
 * needs the zone the handle names). */
static int s_zones_answer(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	const int all = a->term->kind == SEARCH_TERM_LIST;
	const char *host = all ? NULL : a->term->value;
	const xmlNode *root, *zones, *z;
	char id[S_MAX_ZONE_ID + 1], name[S_MAX_NAME];
	char *trunc = NULL, *next = NULL;
	uint32_t *handles = NULL;
	size_t n = 0, k = 0;
	int complete = 1, priv, rc = -1;
	xmlDocPtr doc = aws_xml_read(body, len, "ListHostedZonesResponse", &root, err);

	if (doc == NULL)
		return -1;
	zones = aws_xml_child(root, "HostedZones");
	if (aws_xml_count(zones, "HostedZone", S_MAX_ZONES_ANSWER, &n, err) != 0 ||
	    aws_xml_child_text(root, "IsTruncated", &trunc, err) != 0 ||
	    aws_xml_child_text(root, "NextMarker", &next, err) != 0)
		goto out;
	handles = calloc(n + 1, sizeof(*handles));
	if (handles == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (z = aws_xml_child(zones, "HostedZone"); z != NULL; z = aws_xml_next(z, "HostedZone")) {
		struct s_rrq q;
		int r = s_zone_read(z, id, name, &priv, err);

		if (r < 0)
			goto out;
		if (r > 0) {
			complete = 0;       /* a zone we cannot name: no cached list */
			continue;
		}
		handles[k] = s_intern(id, name, priv);
		complete &= handles[k] != 0;
		if (host != NULL && s_in_zone(host, name) &&
		    s_rrq_exact(&q, id, handles[k], host) == 0 && rt_follow(a, &q.rq) != 0)
			goto nomem;
		if (all && s_rrq_init(&q, id, handles[k], S_STEP_ALL, 0, NULL, NULL, NULL) == 0 &&
		    rt_follow(a, &q.rq) != 0)
			goto nomem;
		k += handles[k] != 0;
	}
	if (trunc != NULL && strcmp(trunc, "true") == 0) {
		complete &= next != NULL && s_zone_id_ok(next);
		s_cache_page(a->account_id, qx_param(a, "marker"), handles, k, complete,
			     complete ? next : "");
		if (next != NULL && rt_next_page(a, next) != 0)
			goto nomem;
	} else {
		s_cache_page(a->account_id, qx_param(a, "marker"), handles, k, complete, NULL);
	}
	rc = 0;
	goto out;
nomem:
	si_err_set(err, SI_ERR_NOMEM, "out of memory");
out:
	free(handles);
	free(trunc);
	free(next);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- answers: record sets -------------------------------------------------- */

/* One <ResourceRecordSet>, its texts as AWS sent them (NULL: absent). */
struct s_set {
	char *name, *type, *ttl, *set_id, *weight, *region, *failover, *multi, *health;
	char *continent, *country, *subdivision;
	char *alias_dns, *alias_zone;
	char **values;
	size_t n_values;
};

/* The zone a listing was of, copied from the zone table. */
struct s_zinfo {
	int known;
	char id[S_MAX_ZONE_ID + 1];
	char name[S_MAX_NAME];
	int private_zone;
};

static void s_set_clear(struct s_set *s)
{
	char **str[] = { &s->name, &s->type, &s->ttl, &s->set_id, &s->weight, &s->region,
			 &s->failover, &s->multi, &s->health, &s->continent, &s->country,
			 &s->subdivision, &s->alias_dns, &s->alias_zone };

	for (size_t i = 0; i < sizeof(str) / sizeof(str[0]); i++)
		free(*str[i]);
	for (size_t i = 0; i < s->n_values; i++)
		free(s->values[i]);
	free(s->values);
	memset(s, 0, sizeof(*s));
}

/* Why every routing element is read: sets of one name differ only by
 * them (weighted, latency, failover, geolocation, multivalue), and the
 * card must say which set is which. Values are capped at S_MAX_VALUES
 * (Route 53's own limit per set is 400). On failure the caller clears s. */
static int s_set_read(const xmlNode *n, struct s_set *s, struct si_err *err)
{
	const struct {
		const char *path;
		char **slot;
	} f[] = {
		{ "Name", &s->name }, { "Type", &s->type }, { "TTL", &s->ttl },
		{ "SetIdentifier", &s->set_id }, { "Weight", &s->weight },
		{ "Region", &s->region }, { "Failover", &s->failover },
		{ "MultiValueAnswer", &s->multi }, { "HealthCheckId", &s->health },
		{ "GeoLocation/ContinentCode", &s->continent },
		{ "GeoLocation/CountryCode", &s->country },
		{ "GeoLocation/SubdivisionCode", &s->subdivision },
		{ "AliasTarget/DNSName", &s->alias_dns },
		{ "AliasTarget/HostedZoneId", &s->alias_zone },
	};
	const xmlNode *rr = aws_xml_child(n, "ResourceRecords"), *v;
	size_t nv = 0;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (aws_xml_child_text(n, f[i].path, f[i].slot, err) != 0)
			return -1;
	if (aws_xml_count(rr, "ResourceRecord", S_MAX_VALUES, &nv, err) != 0)
		return -1;
	s->values = calloc(nv + 1, sizeof(*s->values));
	if (s->values == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	for (v = aws_xml_child(rr, "ResourceRecord"); v != NULL;
	     v = aws_xml_next(v, "ResourceRecord")) {
		if (aws_xml_child_text(v, "Value", &s->values[s->n_values], err) != 0)
			return -1;
		s->n_values += s->values[s->n_values] != NULL;
	}
	return 0;
}

/* The card's Values: "192.0.2.1, 192.0.2.7" (with "… (+N more)" past
 * the room), or "ALIAS → target" for an alias. */
static void s_values_text(const struct s_set *s, const char *alias, char *out, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	if (alias != NULL) {
		snprintf(out, n, "ALIAS → %s", alias);
		return;
	}
	for (size_t i = 0; i < s->n_values; i++) {
		int k = snprintf(out + used, n - used, "%s%s", i ? ", " : "", s->values[i]);

		if (k < 0 || (size_t)k >= n - used - sizeof("… (+999 more)")) {
			snprintf(out + used, n - used, "… (+%zu more)", s->n_values - i);
			return;
		}
		used += (size_t)k;
	}
}

/* "weight 10", "latency eu-west-2", "failover PRIMARY", "geolocation
 * EU/FR/-", "multivalue": how a set shares its name, or "" (simple). */
static void s_routing(const struct s_set *s, char *out, size_t n)
{
	out[0] = '\0';
	if (s->weight != NULL)
		snprintf(out, n, "weight %s", s->weight);
	else if (s->region != NULL)
		snprintf(out, n, "latency %s", s->region);
	else if (s->failover != NULL)
		snprintf(out, n, "failover %s", s->failover);
	else if (s->continent != NULL || s->country != NULL)
		snprintf(out, n, "geolocation %s%s%s%s%s", s->continent ? s->continent : "",
			 s->continent && s->country ? "/" : "", s->country ? s->country : "",
			 s->subdivision ? "/" : "", s->subdivision ? s->subdivision : "");
	else if (s->multi != NULL && strcmp(s->multi, "true") == 0)
		snprintf(out, n, "multivalue");
}

/* Follow target as a new term, one hop on: "<hop so far or host> → KIND
 * target". */
static int s_follow(struct rt_answer *a, const char *kind, const char *target)
{
	const char *base = rt_hop(a)[0] != '\0' ? rt_hop(a) : a->term->value;
	char hop[S_MAX_HOP];

	snprintf(hop, sizeof(hop), "%s → %s %s", base, kind, target);
	return rt_follow_host(a, target, hop);
}

/* The card fields of a set, in card order. */
static int s_set_fields(struct res_resource *r, const struct s_set *s, const char *recname,
			const char *host, const char *alias, const struct s_zinfo *z,
			struct si_err *err)
{
	char values[S_MAX_VALUES_TEXT], routing[128];

	s_values_text(s, alias, values, sizeof(values));
	s_routing(s, routing, sizeof(routing));
	if (res_add_field(r, "Type", s->type, err) != 0 ||
	    res_add_field(r, "TTL", s->ttl, err) != 0 ||
	    res_add_field(r, "Values", values, err) != 0 ||
	    (strcmp(recname, host) != 0 && res_add_field(r, "Record", recname, err) != 0) ||
	    res_add_field(r, "Routing", routing, err) != 0 ||
	    res_add_field(r, "Set ID", s->set_id, err) != 0 ||
	    res_add_field(r, "Health check", s->health, err) != 0)
		return -1;
	if (!z->known)
		return 0;
	if (res_add_field(r, "Zone", z->name, err) != 0 ||
	    res_add_field(r, "Zone ID", z->id, err) != 0 ||
	    res_add_field(r, "Zone type", z->private_zone ? "private" : "public", err) != 0 ||
	    res_add_rel(r, "zone", "dns-zone", z->id, z->name, err) != 0)
		return -1;
	return 0;
}

/* Addresses of an A/AAAA set: kept (up to the resource's cap) and, but
 * for a listing, the first S_MAX_FOLLOW_ADDRS followed. Values that are
 * not addresses of the set's family are skipped. */
static int s_set_addrs(struct rt_answer *a, struct res_resource *r, const struct s_set *s,
		       struct si_err *err)
{
	const int follow = a->term->kind != SEARCH_TERM_LIST;
	int fam = strcmp(s->type, "A") == 0 ? AF_INET : AF_INET6;
	unsigned char bin[16];
	size_t followed = 0;

	for (size_t i = 0; i < s->n_values; i++) {
		if (inet_pton(fam, s->values[i], bin) != 1)
			continue;
		if (r->n_addrs < RES_MAX_ADDRS && res_add_addr(r, s->values[i], err) != 0)
			return -1;
		if (follow && followed++ < S_MAX_FOLLOW_ADDRS &&
		    s_follow(a, s->type, s->values[i]) != 0)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* Why here and not in the parser: a matching set is one card and the
 * start of a chain. The card names the host (id: the term, or for a
 * listing the record's own name), the record (name: the wildcard when
 * that matched), its values and zone; what it points to is followed
 * (but for a listing, which keeps it as a relation or address only): an
 * ALIAS's DNS name (without "dualstack.", which only selects IPv6
 * answers) or a CNAME's name as a host, an A/AAAA's addresses as
 * addresses. A wildcard's name is no DNS name of the card. Returns 0, 1
 * when the search holds all it may (stop), -1. */
static int s_emit(struct rt_answer *a, const struct s_set *s, const char *recname,
		  const struct s_zinfo *z, struct si_err *err)
{
	const int all = a->term->kind == SEARCH_TERM_LIST;
	const char *host = all ? recname : a->term->value;
	char alias[S_MAX_NAME], cname[S_MAX_NAME];
	const char *follow = NULL, *kind = NULL, *shown = NULL;
	struct res_resource *r;

	alias[0] = cname[0] = '\0';
	if (s->alias_dns != NULL && s_dns_decode(s->alias_dns, alias, sizeof(alias)) == 0) {
		follow = SI_HAS_PREFIX(alias, "dualstack.") ? alias + SI_LITLEN("dualstack.")
							    : alias;
		kind = "ALIAS";
		shown = alias;
	} else if (strcmp(s->type, "CNAME") == 0 && s->n_values > 0 &&
		   s_dns_decode(s->values[0], cname, sizeof(cname)) == 0) {
		follow = cname;
		kind = "CNAME";
	}
	r = rt_new_resource(a, &rt_dns_record, NULL);
	if (r == NULL)
		return 1;
	if (res_set(&r->id, host, err) != 0 || res_set(&r->name, recname, err) != 0 ||
	    (r->hop == NULL && res_set(&r->hop, rt_hop(a), err) != 0) ||
	    s_set_fields(r, s, recname, host, shown, z, err) != 0 ||
	    ((!all || host[0] != '*') && res_add_dns(r, host, err) != 0) ||
	    (recname[0] != '*' && strcmp(recname, host) != 0 && res_add_dns(r, recname, err)))
		return -1;
	if (follow != NULL) {
		if (res_add_rel(r, shown != NULL ? "alias" : "cname", NULL, follow,
				shown != NULL ? s->alias_zone : NULL, err) != 0)
			return -1;
		if (!all && s_follow(a, kind, follow) != 0)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	} else if (strcmp(s->type, "A") == 0 || strcmp(s->type, "AAAA") == 0) {
		return s_set_addrs(a, r, s, err);
	}
	return 0;
}

/* Labels in name (dots + 1). */
static size_t s_labels(const char *name)
{
	size_t n = 1;

	for (; *name != '\0'; name++)
		n += *name == '.';
	return n;
}

/* Where a ListResourceRecordSets page says the listing continues (owned
 * strings, NULL when absent): read once by every listing's answer. */
struct s_more {
	char *trunc, *name, *type, *ident;
};

static void s_more_clear(struct s_more *m)
{
	free(m->trunc);
	free(m->name);
	free(m->type);
	free(m->ident);
}

static int s_more_read(const xmlNode *root, struct s_more *m, struct si_err *err)
{
	memset(m, 0, sizeof(*m));
	if (aws_xml_child_text(root, "IsTruncated", &m->trunc, err) != 0 ||
	    aws_xml_child_text(root, "NextRecordName", &m->name, err) != 0 ||
	    aws_xml_child_text(root, "NextRecordType", &m->type, err) != 0 ||
	    aws_xml_child_text(root, "NextRecordIdentifier", &m->ident, err) != 0) {
		s_more_clear(m);
		return -1;
	}
	return 0;
}

/* A next page exists: AWS says truncated and names where it starts. */
static int s_more_truncated(const struct s_more *m)
{
	return m->trunc != NULL && strcmp(m->trunc, "true") == 0 && m->name != NULL &&
	       m->type != NULL;
}

/* The next page of the listing the answer is of, as the same kind. */
static int s_more_follow(struct rt_answer *a, const struct s_zinfo *z, unsigned kind,
			 const struct s_more *m, struct si_err *err)
{
	struct s_rrq q;

	if (s_rrq_init(&q, z->id, S_STEP_HANDLE(a->step), kind, S_STEP_PAGE(a->step) + 1,
		       m->name, m->type, m->ident) != 0)
		return 0;
	if (rt_follow(a, &q.rq) != 0)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return 0;
}

/* What to ask after a listing: the next page of the same name's sets
 * while they continue, else, when the name had none, the wildcard one
 * level up ("*.b.example.com" after "a.b.example.com", then
 * "*.example.com"), within the zone and S_MAX_WILD_LEVELS. */
static int s_sets_next(struct rt_answer *a, const struct s_more *m, const char *target,
		       size_t matched, int below, const struct s_zinfo *z, struct si_err *err)
{
	unsigned kind = S_STEP_KIND(a->step), page = S_STEP_PAGE(a->step);
	char dec[S_MAX_NAME], name[S_MAX_NAME + 4];
	const char *up;
	struct s_rrq q;

	if (!z->known)
		return 0;
	if (matched > 0) {
		if (s_more_truncated(m) && page + 1 < S_MAX_RECORD_PAGES &&
		    s_dns_decode(m->name, dec, sizeof(dec)) == 0 && strcmp(dec, target) == 0)
			return s_more_follow(a, z, kind, m, err);
		return 0;
	}
	if (below)
		return 0;
	up = s_parent(kind == S_STEP_EXACT ? target : target + SI_LITLEN("*."));
	if (up != NULL && s_in_zone(up, z->name) &&
	    s_labels(a->term->value) - s_labels(up) <= S_MAX_WILD_LEVELS &&
	    snprintf(name, sizeof(name), "*.%s.", up) < (int)sizeof(name) &&
	    s_rrq_init(&q, z->id, S_STEP_HANDLE(a->step), S_STEP_WILD, 0, name, NULL, NULL) == 0 &&
	    rt_follow(a, &q.rq) != 0)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return 0;
}

/* What a listing's walk does with one set: s_walk_exact keeps the sets
 * of the name asked, s_walk_all every set. Returns < 0 on error, > 0 when
 * the answer is full (stop), 0 to go on. */
struct s_walk {
	const char *target;      /* exact: the name asked, decoded */
	const char *host;        /* exact: the term */
	size_t matched;          /* exact: sets of that name */
	int below;               /* exact: a name below the host was listed */
};

typedef int (*s_walk_fn)(struct rt_answer *a, const struct s_set *s, const char *dec,
			 const struct s_zinfo *z, struct s_walk *w, struct si_err *err);

static int s_walk_exact(struct rt_answer *a, const struct s_set *s, const char *dec,
			const struct s_zinfo *z, struct s_walk *w, struct si_err *err)
{
	if (strcmp(dec, w->target) == 0) {
		w->matched++;
		return s_emit(a, s, dec, z, err);
	}
	if (s_in_zone(dec, w->host))
		w->below = 1;
	return 0;
}

static int s_walk_all(struct rt_answer *a, const struct s_set *s, const char *dec,
		      const struct s_zinfo *z, struct s_walk *w, struct si_err *err)
{
	(void)w;
	return s_emit(a, s, dec, z, err);
}

/* One ListResourceRecordSets page, the part every listing shares: the
 * zone it is of, each set read and its name decoded (a set whose name
 * does not decode is skipped: no host name has it) and given to fn, and
 * where the listing continues. *full says fn filled the answer (then no
 * next page is asked). */
static int s_walk_page(struct rt_answer *a, const char *body, size_t len, s_walk_fn fn,
		       struct s_walk *w, struct s_zinfo *z, struct s_more *m, int *full,
		       struct si_err *err)
{
	const xmlNode *root, *sets, *n;
	char dec[S_MAX_NAME];
	size_t count = 0;
	int rc = -1;
	xmlDocPtr doc;

	*full = 0;
	z->known = s_zone_get(S_STEP_HANDLE(a->step), z->id, z->name, &z->private_zone);
	doc = aws_xml_read(body, len, "ListResourceRecordSetsResponse", &root, err);
	if (doc == NULL)
		return -1;
	sets = aws_xml_child(root, "ResourceRecordSets");
	if (aws_xml_count(sets, "ResourceRecordSet", S_MAX_SETS_ANSWER, &count, err) != 0)
		goto out;
	for (n = aws_xml_child(sets, "ResourceRecordSet"); n != NULL && !*full;
	     n = aws_xml_next(n, "ResourceRecordSet")) {
		struct s_set s;
		int r = 0;

		memset(&s, 0, sizeof(s));
		if (s_set_read(n, &s, err) != 0) {
			s_set_clear(&s);
			goto out;
		}
		if (s.name != NULL && s.type != NULL &&
		    s_dns_decode(s.name, dec, sizeof(dec)) == 0)
			r = fn(a, &s, dec, z, w, err);
		s_set_clear(&s);
		if (r < 0)
			goto out;
		*full = r > 0;
	}
	rc = s_more_read(root, m, err);
out:
	xmlFreeDoc(doc);
	return rc;
}

/* Why the name is compared here: a listing starts at the name asked and
 * runs on through the zone's following names; only sets whose name is
 * the one asked (the host, or the wildcard "*.PARENT") answer the host.
 * A name below the host in the listing means the host exists as an
 * empty non-terminal, and then no wildcard applies (RFC 4592). */
static int s_sets_answer(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	const char *host = a->term->value, *asked = qx_param(a, "name");
	char target[S_MAX_NAME];
	struct s_walk w = { .target = target, .host = host };
	struct s_zinfo z;
	struct s_more m;
	int full, rc;

	if (host == NULL)
		return 0;
	if (S_STEP_KIND(a->step) == S_STEP_EXACT)
		snprintf(target, sizeof(target), "%s", host);
	else if (asked == NULL || s_dns_decode(asked, target, sizeof(target)) != 0 ||
		 !SI_HAS_PREFIX(target, "*."))
		return 0;
	if (s_walk_page(a, body, len, s_walk_exact, &w, &z, &m, &full, err) != 0)
		return -1;
	rc = full ? 0 : s_sets_next(a, &m, target, w.matched, w.below, &z, err);
	s_more_clear(&m);
	return rc;
}

/* One page of a whole zone's record sets (a listing): every set a card,
 * then the next page while AWS says there is one and within
 * S_MAX_LIST_PAGES (the zone must be known: its id makes the path). */
static int s_all_answer(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	struct s_walk w = { 0 };
	struct s_zinfo z;
	struct s_more m;
	int full, rc = 0;

	if (s_walk_page(a, body, len, s_walk_all, &w, &z, &m, &full, err) != 0)
		return -1;
	if (!full && z.known && s_more_truncated(&m) &&
	    S_STEP_PAGE(a->step) + 1 < S_MAX_LIST_PAGES)
		rc = s_more_follow(a, &z, S_STEP_ALL, &m, err);
	s_more_clear(&m);
	return rc;
}

static int s_record_answer(struct rt_answer *a, const char *body, size_t len,
			   struct si_err *err)
{
	switch (S_STEP_KIND(a->step)) {
	case S_STEP_ZONES:
		return s_zones_answer(a, body, len, err);
	case S_STEP_EXACT:
	case S_STEP_WILD:
		return s_sets_answer(a, body, len, err);
	case S_STEP_ALL:
		return s_all_answer(a, body, len, err);
	default:
		return 0;
	}
}

/* "A 192.0.2.1, 192.0.2.7 · public zone example.com". */
static void s_record_summary(const struct res_resource *r, char *out, size_t n)
{
	const char *type = res_field(r, "Type"), *values = res_field(r, "Values");
	const char *zone = res_field(r, "Zone"), *ztype = res_field(r, "Zone type");

	snprintf(out, n, "%s %s%s%s%s%s", type ? type : "?", values ? values : "",
		 zone ? " · " : "", zone && ztype ? ztype : "", zone ? " zone " : "",
		 zone ? zone : "");
}

/* The zone's record list in the console (Route 53 is global: us-east-1). */
static void s_zone_console(const char *zone_id, char *out, size_t n)
{
	if (n == 0)
		return;
	out[0] = '\0';
	if (zone_id != NULL && s_zone_id_ok(zone_id))
		snprintf(out, n, "https://us-east-1.console.aws.amazon.com/route53/v2/hostedzones"
			 "#ListRecordSets/%s", zone_id);
}

static void s_record_url(const struct res_resource *r, const char *region, char *out, size_t n)
{
	(void)region;
	s_zone_console(res_field(r, "Zone ID"), out, n);
}

/* ---- hosted zones by ARN (GetHostedZone) --------------------------------- */

/* arn:aws:route53:::hostedzone/ZONEID, asked of every account (the ARN
 * names none); the accounts that do not hold it answer NoSuchHostedZone.
 * A listing lists the account's zones. */
static int s_zone_plan(struct rt_plan *p)
{
	const struct search_term *t = p->term;
	char path[sizeof(S_ZONES_PATH) + S_MAX_ZONE_ID + 1];
	struct rt_request rq = {
		.service = S_SERVICE, .proto = AWS_PROTO_REST_XML, .action = "GetHostedZone",
		.version = S_VERSION, .method = "GET", .path = path, .global = 1,
		.step = S_STEP_ZONE_GET, .parent = RT_NO_PARENT,
	};
	char id[S_MAX_ZONE_ID + 1];
	int k;

	if (p->first_of_account && t->kind == SEARCH_TERM_CHECK) {
		/* A made-up zone answers NoSuchHostedZone: the right to ask. */
		rq.path = S_ZONES_PATH "/Z0000000000000000000";
		rq.step = S_STEP_CHECK;
		return rt_plan_request(p, &rq);
	}
	if (p->first_of_account && t->kind == SEARCH_TERM_LIST &&
	    (t->type == NULL || t->type == &rt_dns_zone)) {
		rq = s_zones_rq;
		rq.step = S_STEP_ZONE_LIST;
		return rt_plan_request(p, &rq);
	}
	if (!p->first_of_account || t->kind != SEARCH_TERM_ARN || t->resource == NULL ||
	    (t->type != NULL && t->type != &rt_dns_zone))
		return 0;
	/* Zone ids are upper case; a pasted one may have been lower-cased. */
	k = snprintf(id, sizeof(id), "%s", t->resource);
	if (k < 0 || (size_t)k >= sizeof(id))
		return 0;
	for (char *c = id; *c != '\0'; c++)
		*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
	if (!s_zone_id_ok(id))
		return 0;
	snprintf(path, sizeof(path), S_ZONES_PATH "/%s", id);
	return rt_plan_request(p, &rq);
}

/* Name servers, or the VPCs of a private zone: "vpc-1a2b3c4d (us-east-2)". */
static int s_zone_extras(struct res_resource *r, const xmlNode *root, struct si_err *err)
{
	if (qx_join(r, "Name servers", aws_xml_path(root, "DelegationSet/NameServers"),
		    "NameServer", NULL, S_MAX_NAME_SERVERS, err) != 0 ||
	    qx_rels(r, "vpc", "vpc", aws_xml_child(root, "VPCs"), "VPC", "VPCId", "VPCRegion",
		    S_MAX_VPCS, err) != 0)
		return -1;
	return 0;
}

/* The card of the zone <HostedZone> hz (id, name and private read from
 * it): what the zone is and holds; with GetHostedZone's root, its
 * delegation, name servers and VPCs too (a listing's item has none).
 * Returns 0, 1 when the search holds all it may, -1. */
static int s_zone_card(struct rt_answer *a, const xmlNode *hz, const xmlNode *root,
		       const char *id, const char *name, int priv, struct si_err *err)
{
	char *count = NULL, *comment = NULL, *dset = NULL, arn[128];
	struct res_resource *r;
	int rc = -1;

	if (aws_xml_child_text(hz, "ResourceRecordSetCount", &count, err) != 0 ||
	    aws_xml_child_text(hz, "Config/Comment", &comment, err) != 0 ||
	    (root != NULL && aws_xml_child_text(root, "DelegationSet/Id", &dset, err) != 0))
		goto out;
	r = rt_new_resource(a, &rt_dns_zone, NULL);
	rc = 1;
	if (r == NULL)
		goto out;
	snprintf(arn, sizeof(arn), "arn:aws:route53:::hostedzone/%s", id);
	rc = -1;
	if (res_set(&r->id, id, err) != 0 || res_set(&r->arn, arn, err) != 0 ||
	    res_set(&r->name, name, err) != 0 || res_add_dns(r, name, err) != 0 ||
	    res_add_field(r, "Zone type", priv ? "private" : "public", err) != 0 ||
	    res_add_field(r, "Records", count, err) != 0 ||
	    res_add_field(r, "Comment", comment, err) != 0 ||
	    res_add_field(r, "Delegation set", dset, err) != 0 ||
	    (root != NULL && s_zone_extras(r, root, err) != 0))
		goto out;
	rc = 0;
out:
	free(count);
	free(comment);
	free(dset);
	return rc;
}

/* Why a card of its own: a zone ARN pasted from a policy or a CloudTrail
 * event. The card says what the zone is (name, public or private and
 * where, records held, delegation) from GetHostedZone's answer; the zone
 * also joins the zone table so its records can be listed by handle. */
static int s_zone_get_answer(struct rt_answer *a, const char *body, size_t len,
			     struct si_err *err)
{
	const xmlNode *root, *hz;
	char id[S_MAX_ZONE_ID + 1], name[S_MAX_NAME];
	int priv, rc;
	xmlDocPtr doc;

	doc = aws_xml_read(body, len, "GetHostedZoneResponse", &root, err);
	if (doc == NULL)
		return -1;
	hz = aws_xml_child(root, "HostedZone");
	rc = hz == NULL ? 1 : s_zone_read(hz, id, name, &priv, err);
	if (rc > 0) {
		rc = si_err_set(err, SI_ERR_INVALID, "GetHostedZone: no usable HostedZone");
	} else if (rc == 0) {
		(void)s_intern(id, name, priv);
		rc = s_zone_card(a, hz, root, id, name, priv, err) < 0 ? -1 : 0;
	}
	xmlFreeDoc(doc);
	return rc;
}

/* A page of the account's zones (a listing): each zone a card (one that
 * cannot be named is skipped, as s_zones_answer skips it), then the next
 * page. */
static int s_zone_list_answer(struct rt_answer *a, const char *body, size_t len,
			      struct si_err *err)
{
	const xmlNode *root, *zones, *z;
	char id[S_MAX_ZONE_ID + 1], name[S_MAX_NAME];
	char *trunc = NULL, *next = NULL;
	size_t n = 0;
	int priv, rc = -1, full = 0;
	xmlDocPtr doc = aws_xml_read(body, len, "ListHostedZonesResponse", &root, err);

	if (doc == NULL)
		return -1;
	zones = aws_xml_child(root, "HostedZones");
	if (aws_xml_count(zones, "HostedZone", S_MAX_ZONES_ANSWER, &n, err) != 0 ||
	    aws_xml_child_text(root, "IsTruncated", &trunc, err) != 0 ||
	    aws_xml_child_text(root, "NextMarker", &next, err) != 0)
		goto out;
	for (z = aws_xml_child(zones, "HostedZone"); z != NULL && !full;
	     z = aws_xml_next(z, "HostedZone")) {
		int r = s_zone_read(z, id, name, &priv, err);

		if (r == 0)
			r = s_zone_card(a, z, NULL, id, name, priv, err);
		else if (r > 0)
			r = 0;
		if (r < 0)
			goto out;
		full = r > 0;
	}
	rc = 0;
	if (!full && trunc != NULL && strcmp(trunc, "true") == 0 && next != NULL &&
	    rt_next_page(a, next) != 0)
		rc = si_err_set(err, SI_ERR_NOMEM, "out of memory");
out:
	free(trunc);
	free(next);
	xmlFreeDoc(doc);
	return rc;
}

static int s_zone_answer(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	switch (S_STEP_KIND(a->step)) {
	case S_STEP_ZONE_GET:
		return s_zone_get_answer(a, body, len, err);
	case S_STEP_ZONE_LIST:
		return s_zone_list_answer(a, body, len, err);
	default:
		return 0;
	}
}

/* "public zone, 17 records". */
static void s_zone_summary(const struct res_resource *r, char *out, size_t n)
{
	const char *t = res_field(r, "Zone type"), *c = res_field(r, "Records");

	snprintf(out, n, "%s zone%s%s%s", t ? t : "hosted", c ? ", " : "", c ? c : "",
		 c ? " records" : "");
}

static void s_zone_url(const struct res_resource *r, const char *region, char *out, size_t n)
{
	(void)region;
	s_zone_console(r->id, out, n);
}

/* ---- the types ------------------------------------------------------------- */

static const char *const s_record_actions[] = {
	"route53:ListHostedZones", "route53:ListResourceRecordSets", NULL
};

/* A zone deleted since its account's list was cached. */
static const char *const s_absent[] = { "NoSuchHostedZone", NULL };

const struct rt_type rt_dns_record = {
	.name = "dns-record",
	.label = "Route 53 record",
	.by = RT_BY_HOST,
	.global = 1,
	.actions = s_record_actions,
	.absent_codes = s_absent,
	.plan = s_record_plan,
	.answer = s_record_answer,
	.summary = s_record_summary,
	.console_url = s_record_url,
};

static const char *const s_zone_arn_types[] = { "hostedzone", NULL };
static const char *const s_zone_actions[] = {
	"route53:GetHostedZone", "route53:ListHostedZones", NULL
};

/* Not in rt_types[] yet (registry.c): see the report of issue 12. */
const struct rt_type rt_dns_zone = {
	.name = "dns-zone",
	.label = "Route 53 hosted zone",
	.by = RT_BY_ARN,
	.arn_service = "route53",
	.arn_types = s_zone_arn_types,
	.global = 1,
	.actions = s_zone_actions,
	.absent_codes = s_absent,
	.plan = s_zone_plan,
	.answer = s_zone_answer,
	.summary = s_zone_summary,
	.console_url = s_zone_url,
};
