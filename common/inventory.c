/*
 * inventory.c - the inventory crawler (see inventory.h): targets from the
 * search's accounts, due from the store's last tries, listed in batches of
 * one service by the search engine, written one target per transaction.
 */
#include "inventory.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "aws/account.h"
#include "aws/ec2_types.h"
#include "search/collect.h"
#include "search/registry.h"
#include "util/clock.h"
#include "util/iso8601.h"
#include "util/logfmt.h"
#include "util/metrics.h"
#include "util/strutil.h"

/* Targets one search crawls at most. Each waits on its own request
 * budget, so a batch takes about as long as its slowest target (a second
 * or two at 5 requests a second); 256 keeps the terms (targets x types)
 * and the matches of one search small enough to plan and sort quickly. */
#define S_BATCH_TARGETS 256
/* Resources a batch is planned to hold: half the search's cap, so last
 * crawl's counts may grow by half before a batch overflows it. */
#define S_BATCH_MATCHES (SEARCH_MAX_MATCHES / 2)
/* What a target never crawled counts as when batches are planned. */
#define S_GUESS_RESOURCES 64
/* A batch's deadline: this for AssumeRole, retries with back-off and a
 * slow answer, plus its slowest target's calls at the rate, plus all its
 * calls at S_CALL_MS over the engine's concurrency. */
#define S_DEADLINE_BASE_MS 30000
#define S_CALL_MS 500
#define S_DEADLINE_MAX_MS 3600000
/* Items per page assumed when counting a target's calls: Lambda's and
 * Auto Scaling's pages of 50 are the smallest of the listings. */
#define S_PAGE_ITEMS 50
/* Cycles start at least this far apart: a target whose write failed is
 * due again at once, and must not make the thread spin. */
#define S_CYCLE_GAP_S 5
/* After a cycle in which the store failed, wait at least this (or
 * refresh_s when shorter) before trying it again. */
#define S_STORE_RETRY_S 30
/* inv_prune calls per cycle at most: each deletes up to INV_PRUNE_BATCH
 * rows per table, so a cycle removes at most 100,000 rows of backlog. */
#define S_PRUNE_CALLS_MAX 100
/* A batch's claim (inv_claim) lasts its deadline and this much more for
 * writing its targets: a crawler killed mid-batch holds them no longer. */
#define S_CLAIM_WRITE_S 60
/* "Code: message" recorded for a failed target (the store cuts at
 * INV_ERROR_MAX). */
#define S_ERROR_MAX 512
/* The type's one-line summary and console link, in a card. */
#define S_SUMMARY_MAX 512
#define S_URL_MAX 2048

/* ------------------------------------------------------------------ */
/* services                                                            */

static struct {
	struct crawl_service v[CRAWL_SERVICES_MAX];
	size_t n;
	struct si_err err;
	int rc;
} s_svc;
static pthread_once_t s_svc_once = PTHREAD_ONCE_INIT;

/* The service t's listing calls: its first planned request's, checked
 * to be the same for every request. Returns 1 when t lists nothing (not
 * crawled), 0 with name filled, -1 with s_svc.err set. */
static int s_type_service(const struct rt_type *t, char name[INV_SERVICE_MAX])
{
	const struct search_term term = { .kind = SEARCH_TERM_LIST, .value = "", .type = t };
	struct rt_collect col;
	int rc = 0;

	memset(&col, 0, sizeof(col));
	if (rt_collect_plan(t, &term, "us-east-1", "000000000000", 1, &col) != 0) {
		rt_collect_free(&col);
		return si_err_set(&s_svc.err, SI_ERR_NOMEM, "out of memory");
	}
	if (col.n_reqs == 0 || col.reqs[0].service == NULL) {
		rt_collect_free(&col);
		return 1;
	}
	for (size_t i = 1; i < col.n_reqs && rc == 0; i++)
		if (col.reqs[i].service == NULL || strcmp(col.reqs[i].service,
							  col.reqs[0].service) != 0)
			rc = si_err_set(&s_svc.err, SI_ERR_INTERNAL, "type %s lists with two "
					"services", t->name);
	if (rc == 0 && snprintf(name, INV_SERVICE_MAX, "%s", col.reqs[0].service) >=
		       INV_SERVICE_MAX)
		rc = si_err_set(&s_svc.err, SI_ERR_LIMIT, "service of %s too long", t->name);
	rt_collect_free(&col);
	return rc;
}

/* Why from the plans and not a table here: a type added to the registry
 * is crawled, under the service it calls, without a line in this file;
 * and the grouping is then by construction the engine's budget key (the
 * request's service). Runs once (pthread_once); the result is static. */
static void s_services_init(void)
{
	for (size_t i = 0; rt_types[i] != NULL && s_svc.rc == 0; i++) {
		const struct rt_type *t = rt_types[i];
		char name[INV_SERVICE_MAX];
		struct crawl_service *sv = NULL;
		int r;

		if (t->plan == NULL)
			continue;
		r = s_type_service(t, name);
		if (r != 0) {
			s_svc.rc = r < 0 ? -1 : 0;
			continue;
		}
		for (size_t k = 0; k < s_svc.n && sv == NULL; k++)
			if (strcmp(s_svc.v[k].name, name) == 0)
				sv = &s_svc.v[k];
		if (sv == NULL && s_svc.n == CRAWL_SERVICES_MAX) {
			s_svc.rc = si_err_set(&s_svc.err, SI_ERR_LIMIT, "more than %d services",
					      CRAWL_SERVICES_MAX);
			break;
		}
		if (sv == NULL) {
			sv = &s_svc.v[s_svc.n++];
			memcpy(sv->name, name, sizeof(sv->name));
			sv->global = t->global;
		}
		if (sv->global != t->global || sv->n_types == CRAWL_TYPES_MAX) {
			s_svc.rc = si_err_set(&s_svc.err, SI_ERR_INTERNAL, "type %s does not fit "
					      "service %s (global or count)", t->name, name);
			break;
		}
		sv->types[sv->n_types++] = t;
	}
}

int crawl_services(const struct crawl_service **out, size_t *n, struct si_err *err)
{
	pthread_once(&s_svc_once, s_services_init);
	if (s_svc.rc != 0) {
		if (err != NULL)
			*err = s_svc.err;
		return -1;
	}
	*out = s_svc.v;
	*n = s_svc.n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* cards                                                               */

/* Add key = v (a string; NULL: nothing). 0, or -1 on OOM. */
static int s_jstr(struct json_object *o, const char *key, const char *v)
{
	struct json_object *js;

	if (v == NULL)
		return 0;
	js = json_object_new_string(v);
	if (js == NULL || json_object_object_add(o, key, js) != 0) {
		json_object_put(js);
		return -1;
	}
	return 0;
}

/* Add key = o2 (owned: released on failure). */
static int s_jobj(struct json_object *o, const char *key, struct json_object *o2)
{
	if (o2 == NULL || json_object_object_add(o, key, o2) != 0) {
		json_object_put(o2);
		return -1;
	}
	return 0;
}

static int s_jput(struct json_object *arr, struct json_object *v)
{
	if (v == NULL || json_object_array_add(arr, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

/* An array of the n strings v (NULL ones skipped), or NULL on OOM. */
static struct json_object *s_jstrv(char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		if (v[i] != NULL && s_jput(a, json_object_new_string(v[i])) != 0) {
			json_object_put(a);
			a = NULL;
		}
	return a;
}

/* Add tag key = value to the tags object *o (NULL key: skipped); on OOM
 * *o is released and NULL, and later calls do nothing. A key given twice
 * keeps the last, as AWS cannot. */
static void s_jtag(struct json_object **o, const char *key, const char *value)
{
	if (*o != NULL && key != NULL && s_jstr(*o, key, value != NULL ? value : "") != 0) {
		json_object_put(*o);
		*o = NULL;
	}
}

static struct json_object *s_jtags_ec2(const struct ec2_tag *t, size_t n)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < n; i++)
		s_jtag(&o, t[i].key, t[i].value);
	return o;
}

static struct json_object *s_jtags_kv(const struct res_kv *t, size_t n)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < n; i++)
		s_jtag(&o, t[i].key, t[i].value);
	return o;
}

/* The card's text (malloc'd), or NULL when o is NULL, out of memory or
 * over INV_CARD_MAX; *big says which of the last two. */
static char *s_card_text(struct json_object *o, int *big)
{
	const char *s;

	*big = 0;
	if (o == NULL)
		return NULL;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL)
		return NULL;
	if (strlen(s) > INV_CARD_MAX) {
		*big = 1;
		return NULL;
	}
	return strdup(s);
}

/* A new card object: {"v": 1, "type": type}. */
static struct json_object *s_card_new(const char *type)
{
	struct json_object *o = json_object_new_object();

	if (o != NULL && (s_jobj(o, "v", json_object_new_int(1)) != 0 ||
			  s_jstr(o, "type", type) != 0)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* One interface as JSON: every field of struct ec2_eni by its name. */
static struct json_object *s_json_eni(const struct ec2_eni *e, const char *type)
{
	struct json_object *o = type != NULL ? s_card_new(type) : json_object_new_object();
	struct json_object *ips = json_object_new_array();
	int bad = o == NULL || ips == NULL;

	bad = bad || s_jstr(o, "id", e->eni_id) || s_jstr(o, "description", e->description) ||
	      s_jstr(o, "interface_type", e->interface_type) ||
	      s_jstr(o, "requester_id", e->requester_id) || s_jstr(o, "status", e->status) ||
	      s_jstr(o, "vpc_id", e->vpc_id) || s_jstr(o, "subnet_id", e->subnet_id) ||
	      s_jstr(o, "az", e->az) || s_jstr(o, "owner_id", e->owner_id) ||
	      s_jstr(o, "attached_instance_id", e->attached_instance_id) ||
	      s_jstr(o, "mac", e->mac) ||
	      s_jobj(o, "requester_managed", json_object_new_boolean(e->requester_managed));
	for (size_t i = 0; !bad && i < e->n_ips; i++) {
		const struct ec2_private_ip *p = &e->ips[i];
		struct json_object *ip = json_object_new_object();

		bad = ip == NULL || s_jstr(ip, "private_ip", p->private_ip) ||
		      s_jstr(ip, "private_dns", p->private_dns) ||
		      s_jstr(ip, "public_ip", p->public_ip) ||
		      s_jstr(ip, "public_dns", p->public_dns) ||
		      s_jobj(ip, "primary", json_object_new_boolean(p->primary));
		bad = s_jput(ips, ip) != 0 || bad;
	}
	if (!bad) {
		bad = s_jobj(o, "ips", ips) != 0;
		ips = NULL;
	}
	bad = bad || s_jobj(o, "ipv6", s_jstrv(e->ipv6, e->n_ipv6)) ||
	      s_jobj(o, "tags", s_jtags_ec2(e->tags, e->n_tags));
	json_object_put(ips);
	if (bad) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* An instance as JSON: every field of struct ec2_instance by its name. */
static struct json_object *s_json_instance(const struct ec2_instance *in)
{
	struct json_object *o = s_card_new("instance");
	struct json_object *enis = json_object_new_array();
	int bad = o == NULL || enis == NULL;

	bad = bad || s_jstr(o, "id", in->instance_id) ||
	      s_jstr(o, "name", ec2_tag_get(in->tags, in->n_tags, "Name")) ||
	      s_jstr(o, "state", in->state) || s_jstr(o, "state_reason", in->state_reason) ||
	      s_jstr(o, "instance_type", in->instance_type) || s_jstr(o, "az", in->az) ||
	      s_jstr(o, "launch_time", in->launch_time) || s_jstr(o, "image_id", in->image_id) ||
	      s_jstr(o, "vpc_id", in->vpc_id) || s_jstr(o, "subnet_id", in->subnet_id) ||
	      s_jstr(o, "private_ip", in->private_ip) ||
	      s_jstr(o, "private_dns", in->private_dns) ||
	      s_jstr(o, "public_ip", in->public_ip) || s_jstr(o, "public_dns", in->public_dns) ||
	      s_jstr(o, "key_name", in->key_name) || s_jstr(o, "platform", in->platform) ||
	      s_jstr(o, "owner_id", in->owner_id);
	for (size_t i = 0; !bad && i < in->n_enis; i++)
		bad = s_jput(enis, s_json_eni(&in->enis[i], NULL)) != 0;
	if (!bad) {
		bad = s_jobj(o, "enis", enis) != 0;
		enis = NULL;
	}
	bad = bad || s_jobj(o, "ipv6", s_jstrv(in->ipv6, in->n_ipv6)) ||
	      s_jobj(o, "tags", s_jtags_ec2(in->tags, in->n_tags));
	json_object_put(enis);
	if (bad) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *s_json_rels(const struct res_resource *r)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a != NULL && i < r->n_rels; i++) {
		const struct res_rel *rl = &r->rels[i];
		struct json_object *o = json_object_new_object();
		int bad = o == NULL || s_jstr(o, "kind", rl->kind) || s_jstr(o, "type", rl->type) ||
			  s_jstr(o, "id", rl->id) || s_jstr(o, "detail", rl->detail) ||
			  s_jstr(o, "name", rl->name);

		if (bad)
			json_object_put(o);
		if (bad || s_jput(a, o) != 0) {
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

/*
 * A generic resource's card: struct res_resource whole (fields as
 * [label, value] pairs in card order, relations as objects, tags as one
 * object) plus what the type derives from it (label, summary, console
 * link), so an index answer shows the card the live search would. Why
 * relations may be left out: they are the one unbounded part (a load
 * balancer's targets); without them the card still fits and says how
 * many it lost.
 */
static char *s_card_resource(const struct res_resource *r, const char *region)
{
	const struct rt_type *t = r->type;
	struct json_object *o = s_card_new(t != NULL ? t->name : "");
	struct json_object *fields = json_object_new_array();
	char summary[S_SUMMARY_MAX] = "", url[S_URL_MAX] = "";
	char *text = NULL;
	int bad = o == NULL || fields == NULL, big = 0;

	if (t != NULL && t->summary != NULL)
		t->summary(r, summary, sizeof(summary));
	if (t != NULL && t->console_url != NULL)
		t->console_url(r, region, url, sizeof(url));
	bad = bad || s_jstr(o, "label", t != NULL ? t->label : NULL) || s_jstr(o, "id", r->id) ||
	      s_jstr(o, "arn", r->arn) || s_jstr(o, "name", r->name) ||
	      s_jstr(o, "state", r->state) || s_jstr(o, "created", r->created) ||
	      s_jstr(o, "summary", summary[0] ? summary : NULL) ||
	      s_jstr(o, "console_url", url[0] ? url : NULL);
	for (size_t i = 0; !bad && i < r->n_fields; i++) {
		struct json_object *pair = json_object_new_array();

		bad = pair == NULL ||
		      s_jput(pair, json_object_new_string(r->fields[i].key ? r->fields[i].key
									  : "")) ||
		      s_jput(pair, json_object_new_string(r->fields[i].value
							  ? r->fields[i].value : ""));
		bad = s_jput(fields, pair) != 0 || bad;
	}
	if (!bad) {
		bad = s_jobj(o, "fields", fields) != 0;
		fields = NULL;
	}
	bad = bad || s_jobj(o, "addrs", s_jstrv(r->addrs, r->n_addrs)) ||
	      s_jobj(o, "dns", s_jstrv(r->dns, r->n_dns)) ||
	      s_jobj(o, "tags", s_jtags_kv(r->tags, r->n_tags)) ||
	      s_jobj(o, "rels", s_json_rels(r));
	json_object_put(fields);
	if (!bad)
		text = s_card_text(o, &big);
	if (big) {
		json_object_object_del(o, "rels");
		if (s_jobj(o, "rels_omitted", json_object_new_int64((int64_t)r->n_rels)) == 0)
			text = s_card_text(o, &big);
	}
	json_object_put(o);
	return text;
}

/* ------------------------------------------------------------------ */
/* items                                                               */

/* Append s to v (n of cap) unless absent, empty, already there (DNS
 * names compared ASCII case-insensitively) or v is full. */
static void s_add(const char **v, size_t *n, size_t cap, const char *s, int icase)
{
	if (s == NULL || s[0] == '\0' || *n >= cap)
		return;
	for (size_t k = 0; k < *n; k++)
		if ((icase ? strcasecmp(v[k], s) : strcmp(v[k], s)) == 0)
			return;
	v[(*n)++] = s;
}

static void s_add_eni(struct crawl_item *ci, const struct ec2_eni *e)
{
	struct inv_item *it = &ci->item;

	for (size_t i = 0; i < e->n_ips; i++) {
		s_add(ci->addrs, &it->n_addrs, INV_ADDRS_MAX, e->ips[i].private_ip, 0);
		s_add(ci->addrs, &it->n_addrs, INV_ADDRS_MAX, e->ips[i].public_ip, 0);
		s_add(ci->dns, &it->n_dns, INV_DNS_MAX, e->ips[i].private_dns, 1);
		s_add(ci->dns, &it->n_dns, INV_DNS_MAX, e->ips[i].public_dns, 1);
	}
	for (size_t i = 0; i < e->n_ipv6; i++)
		s_add(ci->addrs, &it->n_addrs, INV_ADDRS_MAX, e->ipv6[i], 0);
}

static void s_tags_ec2(struct crawl_item *ci, const struct ec2_tag *t, size_t n)
{
	for (size_t i = 0; i < n && ci->item.n_tags < INV_TAGS_MAX; i++) {
		if (t[i].key == NULL)
			continue;
		ci->tags[ci->item.n_tags].key = t[i].key;
		ci->tags[ci->item.n_tags].value = t[i].value != NULL ? t[i].value : "";
		ci->item.n_tags++;
	}
}

/* An ISO 8601 time AWS sent, or 0 when absent or unreadable (a creation
 * time is a detail: a resource is not refused for it). */
static time_t s_time(const char *iso)
{
	time_t t = 0;

	if (iso == NULL || si_iso8601_parse(iso, strlen(iso), &t, NULL) != 0)
		return 0;
	return t;
}

/* ARN of an EC2 resource of kind (EC2's ARN resource type) into ci->arn;
 * left empty when it does not fit. */
static void s_ec2_arn(struct crawl_item *ci, const char *partition, const char *region,
		      const char *account, const char *kind, const char *id)
{
	int n = snprintf(ci->arn, sizeof(ci->arn), "arn:%s:ec2:%s:%s:%s/%s", partition, region,
			 account, kind, id);

	if (n < 0 || (size_t)n >= sizeof(ci->arn))
		ci->arn[0] = '\0';
	ci->item.arn = ci->arn[0] ? ci->arn : NULL;
}

/* Why LaunchTime is both created and hold_start: EC2 gives no other
 * time; an instance holds its private addresses from launch, and one
 * stopped and started again has a new LaunchTime, which the store takes
 * as a restart only when it is later than its last crawl. A terminated
 * instance's StateTransitionReason time ends its holds (a stopped one's
 * reason dates the stop, which releases nothing the listing still
 * shows). */
static void s_item_instance(struct crawl_item *ci, const struct search_match *m,
			    const char *account, const char *partition)
{
	const struct ec2_instance *in = &m->instance;
	struct inv_item *it = &ci->item;
	time_t ended = 0;

	it->type = "instance";
	it->id = in->instance_id;
	it->name = ec2_tag_get(in->tags, in->n_tags, "Name");
	it->state = in->state;
	it->created = it->hold_start = s_time(in->launch_time);
	if (in->state != NULL && strcmp(in->state, "terminated") == 0 &&
	    ec2_reason_time(in->state_reason, &ended) == 0 &&
	    (it->hold_start == 0 || ended >= it->hold_start))
		it->ended_at = ended;
	s_ec2_arn(ci, partition, m->region, account, "instance", in->instance_id);
	s_tags_ec2(ci, in->tags, in->n_tags);
	/* Its interfaces' ids find it: an eni- pasted from a flow log is an
	 * instance's far more often than not. */
	for (size_t i = 0; i < in->n_enis && it->n_alt_ids < INV_ALT_IDS_MAX; i++)
		if (in->enis[i].eni_id != NULL)
			ci->alt_ids[it->n_alt_ids++] = in->enis[i].eni_id;
	it->alt_ids = ci->alt_ids;
}

/* An interface no instance owns (a load balancer's, a NAT gateway's, a
 * Lambda's): no time of its own in the listing, so the crawl's. */
static void s_item_eni(struct crawl_item *ci, const struct search_match *m,
		       const char *account, const char *partition)
{
	const struct ec2_eni *e = &m->eni;
	struct inv_item *it = &ci->item;

	it->type = "network-interface";
	it->id = e->eni_id;
	it->name = ec2_tag_get(e->tags, e->n_tags, "Name");
	it->state = e->status;
	s_ec2_arn(ci, partition, m->region, account, "network-interface", e->eni_id);
	s_tags_ec2(ci, e->tags, e->n_tags);
}

static void s_item_resource(struct crawl_item *ci, const struct search_match *m)
{
	const struct res_resource *r = &m->res;
	struct inv_item *it = &ci->item;

	it->type = r->type != NULL ? r->type->name : NULL;
	it->id = r->id;
	it->arn = r->arn;
	it->name = r->name;
	it->state = r->state;
	it->created = s_time(r->created);
	for (size_t i = 0; i < r->n_tags && it->n_tags < INV_TAGS_MAX; i++) {
		if (r->tags[i].key == NULL)
			continue;
		ci->tags[it->n_tags].key = r->tags[i].key;
		ci->tags[it->n_tags].value = r->tags[i].value != NULL ? r->tags[i].value : "";
		it->n_tags++;
	}
}

/* Append the addresses and DNS names m holds to ci (deduplicated, cut at
 * the store's caps): an instance's own and every interface's, an
 * interface's, or a resource's. */
static void s_item_addrs(struct crawl_item *ci, const struct search_match *m)
{
	struct inv_item *it = &ci->item;

	if (m->kind == SEARCH_MATCH_INSTANCE) {
		const struct ec2_instance *in = &m->instance;

		s_add(ci->addrs, &it->n_addrs, INV_ADDRS_MAX, in->private_ip, 0);
		s_add(ci->addrs, &it->n_addrs, INV_ADDRS_MAX, in->public_ip, 0);
		s_add(ci->dns, &it->n_dns, INV_DNS_MAX, in->private_dns, 1);
		s_add(ci->dns, &it->n_dns, INV_DNS_MAX, in->public_dns, 1);
		for (size_t i = 0; i < in->n_enis; i++)
			s_add_eni(ci, &in->enis[i]);
		for (size_t i = 0; i < in->n_ipv6; i++)
			s_add(ci->addrs, &it->n_addrs, INV_ADDRS_MAX, in->ipv6[i], 0);
	} else if (m->kind == SEARCH_MATCH_ENI) {
		s_add_eni(ci, &m->eni);
	} else {
		for (size_t i = 0; i < m->res.n_addrs; i++)
			s_add(ci->addrs, &it->n_addrs, INV_ADDRS_MAX, m->res.addrs[i], 0);
		for (size_t i = 0; i < m->res.n_dns; i++)
			s_add(ci->dns, &it->n_dns, INV_DNS_MAX, m->res.dns[i], 1);
	}
}

/* Contract in inventory.h. Why one function for the three kinds: the
 * crawler hands every match of a search to the store the same way, and
 * the instance and interface kinds keep their richer structs (ec2_types.h)
 * where every other type is a struct res_resource. The card is built
 * from the same match, so the index shows what the live search showed. */
int crawl_item_from_match(const struct search_match *m, const char *account,
			  const char *partition, struct crawl_item *out, struct si_err *err)
{
	struct json_object *card = NULL;
	int big = 0;

	memset(out, 0, sizeof(*out));
	out->item.addrs = out->addrs;
	out->item.dns = out->dns;
	out->item.tags = out->tags;
	switch (m->kind) {
	case SEARCH_MATCH_INSTANCE:
		s_item_instance(out, m, account, partition);
		card = s_json_instance(&m->instance);
		out->card = s_card_text(card, &big);
		break;
	case SEARCH_MATCH_ENI:
		s_item_eni(out, m, account, partition);
		card = s_json_eni(&m->eni, "network-interface");
		out->card = s_card_text(card, &big);
		break;
	default:
		s_item_resource(out, m);
		out->card = s_card_resource(&m->res, m->region);
		card = NULL;
		big = out->card == NULL;
		break;
	}
	json_object_put(card);
	s_item_addrs(out, m);
	if (out->item.id == NULL || out->item.type == NULL)
		return si_err_set(err, SI_ERR_INVALID, "a resource without an id or type");
	if (out->card == NULL && !big)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	out->item.card = out->card;
	return 0;
}

void crawl_item_clear(struct crawl_item *ci)
{
	if (ci == NULL)
		return;
	free(ci->card);
	memset(ci, 0, sizeof(*ci));
}

/* ------------------------------------------------------------------ */
/* the crawler                                                         */

enum s_store_state { S_STORE_UNKNOWN, S_STORE_OK, S_STORE_BAD };

struct crawler {
	struct crawl_settings set;       /* store strings point below */
	char *store_path;                /* owned */
	char *store_url;                 /* owned, a secret: wiped */
	struct search_engine *e;         /* borrowed */
	struct search_ctx *ctx;          /* owned: the crawling thread's */
	struct store *st;                /* owned; NULL until opened */
	int store_failed;                /* a call failed: reopen next cycle */
	enum s_store_state logged;       /* the store state last logged */
	time_t next_due;                 /* wall clock: first target due */
	char owner[INV_OWNER_MAX + 1];   /* its name on claims: host:pid:n:rand */
	atomic_int stop;                 /* crawl_stop was called */
	pthread_mutex_t mu;              /* guards the fields below */
	pthread_cond_t cv;               /* CLOCK_MONOTONIC */
	int started;
	int done;                        /* the thread has left its loop */
	pthread_t thread;
};

/* One crawl target, and what the store says of it. */
struct s_target {
	const struct si_account *acct;   /* borrowed from the accounts snapshot */
	char account[INV_ACCOUNT_LEN + 1];
	char partition[CRAWL_PARTITION_MAX];
	const char *region;              /* the store's: "global" for a global
	                                  * service */
	const char *search_region;       /* where the search asks it */
	const struct crawl_service *svc;
	size_t resources;                /* present after the last crawl */
	time_t last_try;                 /* 0: never */
};

static time_t s_now(const struct crawler *c)
{
	return c->set.now != NULL ? c->set.now(c->set.now_arg) : time(NULL);
}

/* A name no other live crawler has: the host, the process, a count of the
 * process's crawlers and 32 random bits (a recycled pid on a restarted
 * host is told apart too), printable for status and logs. */
static void s_owner_name(char out[INV_OWNER_MAX + 1])
{
	static atomic_uint seq;
	char host[64] = "host";
	unsigned rnd = (unsigned)time(NULL);

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "host");
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			*p = '_';
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd ^= (unsigned)si_mono_ms();
	snprintf(out, INV_OWNER_MAX + 1, "%s:%ld:%u:%08x", host, (long)getpid(),
		 atomic_fetch_add(&seq, 1u), rnd);
}

/* Contract in inventory.h. Why the copies: the settings' strings are the
 * configuration's, which a reload frees while the crawler of a retiring
 * worker may still run; the URL is a secret (wiped on free). */
struct crawler *crawl_new(const struct crawl_settings *s, struct search_engine *e,
			  struct si_err *err)
{
	struct crawler *c;
	pthread_condattr_t ca;

	if (s == NULL || e == NULL) {
		si_err_set(err, SI_ERR_INVALID, "crawler: NULL argument");
		return NULL;
	}
	if (s->refresh_s < 0 || s->rate_per_s < 0 || s->history_days < 0 ||
	    s->history_days > INV_HISTORY_DAYS_MAX) {
		si_err_set(err, SI_ERR_INVALID, "crawler: settings out of range");
		return NULL;
	}
	c = si_zalloc(sizeof(*c), err);
	if (c == NULL)
		return NULL;
	c->set = *s;
	if (c->set.refresh_s == 0)
		c->set.refresh_s = CRAWL_REFRESH_S_DEFAULT;
	if (c->set.rate_per_s == 0)
		c->set.rate_per_s = CRAWL_RATE_DEFAULT;
	if (c->set.history_days == 0)
		c->set.history_days = INV_HISTORY_DAYS_DEFAULT;
	if (c->set.max_inflight <= 0)  /* auto: the engine's floor */
		c->set.max_inflight = SEARCH_AUTO_MIN;
	c->store_path = si_strdup_opt(s->store.path);
	c->store_url = si_strdup_opt(s->store.url);
	c->set.store.path = c->store_path;
	c->set.store.url = c->store_url;
	c->e = e;
	s_owner_name(c->owner);
	atomic_init(&c->stop, 0);
	pthread_mutex_init(&c->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cv, &ca);
	pthread_condattr_destroy(&ca);
	c->ctx = search_ctx_new((unsigned)time(NULL) ^ 0x1a7e11u, err);
	if (c->ctx == NULL || (s->store.path != NULL && c->store_path == NULL) ||
	    (s->store.url != NULL && c->store_url == NULL)) {
		if (c->ctx != NULL)
			si_err_set(err, SI_ERR_NOMEM, "out of memory");
		crawl_free(c);
		return NULL;
	}
	return c;
}

void crawl_free(struct crawler *c)
{
	if (c == NULL)
		return;
	store_close(c->st);
	search_ctx_free(c->ctx);
	free(c->store_path);
	si_secret_free(c->store_url);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* Log the store's state when it changed (once per change, as journal.c
 * does: a broken disk must not write a line per target per cycle). */
static void s_log_store(struct crawler *c, enum s_store_state now, const char *why)
{
	struct logfmt l;

	if (c->logged == now || (c->logged == S_STORE_UNKNOWN && now == S_STORE_OK)) {
		c->logged = now;
		return;
	}
	c->logged = now;
	logfmt_begin(&l, now == S_STORE_OK ? "info" : "error");
	logfmt_str(&l, "msg", now == S_STORE_OK ? "inventory: state store ok again"
				 : "inventory: state store unavailable: the crawl is not kept");
	logfmt_str(&l, "error", why);
	logfmt_emit(&l, stderr);
}

/* The crawler's store, opened (again, after a failure) on demand. */
static int s_store(struct crawler *c, struct si_err *err)
{
	if (c->st != NULL && !c->store_failed)
		return 0;
	store_close(c->st);
	c->store_failed = 0;
	c->st = store_open(&c->set.store, err);
	return c->st != NULL ? 0 : -1;
}

/* Contract in inventory.h. */
int crawl_role_account(const char *arn, char account[INV_ACCOUNT_LEN + 1],
		       char partition[CRAWL_PARTITION_MAX])
{
	const char *f[5];
	const char *p = arn;
	size_t plen;

	for (int i = 0; i < 5; i++) {
		f[i] = p;
		p = p != NULL ? strchr(p, ':') : NULL;
		if (p == NULL)
			return -1;
		p++;
	}
	plen = (size_t)(f[2] - f[1]) - 1;
	if (arn == NULL || strncmp(f[0], "arn:", sizeof "arn:" - 1) != 0 || plen == 0 ||
	    plen >= CRAWL_PARTITION_MAX || p - f[4] - 1 != INV_ACCOUNT_LEN)
		return -1;
	for (size_t i = 0; i < INV_ACCOUNT_LEN; i++)
		if (f[4][i] < '0' || f[4][i] > '9')
			return -1;
	memcpy(partition, f[1], plen);
	partition[plen] = '\0';
	memcpy(account, f[4], INV_ACCOUNT_LEN);
	account[INV_ACCOUNT_LEN] = '\0';
	return 0;
}

/* Append acc's targets of service sv that f selects to v[*n]: one per
 * region, or one in region "global" (asked in the account's first
 * region) for a global service. */
static void s_account_targets(const struct si_account *acc, const struct crawl_service *sv,
			      const struct crawl_filter *f, struct s_target *v, size_t *n)
{
	struct s_target t = { .acct = acc, .svc = sv };

	if (acc->n_regions == 0 || !si_in_list_ci(acc->alias, f->accounts, f->n_accounts) ||
	    crawl_role_account(acc->role_arn, t.account, t.partition) != 0)
		return;
	for (size_t r = 0; r < acc->n_regions; r++) {
		t.region = sv->global ? "global" : acc->regions[r];
		t.search_region = sv->global ? acc->regions[0] : acc->regions[r];
		if (si_in_list_ci(t.region, f->regions, f->n_regions))
			v[(*n)++] = t;
		if (sv->global)
			return;
	}
}

/*
 * Every target of the accounts f selects, in crawl order: by service,
 * then account (as the search lists them), then region, so a batch of
 * one service covers few accounts (the engine walks accounts x regions
 * against the batch's terms: the alias filter keeps that walk short).
 * *out is malloc'd (free), *n its length.
 */
static int s_targets(const struct search_accounts *accs, const struct crawl_service *svcs,
		     size_t n_svcs, const struct crawl_filter *f, struct s_target **out,
		     size_t *n, struct si_err *err)
{
	static const struct crawl_filter none;
	size_t cap = 0;

	if (f == NULL)
		f = &none;
	for (size_t a = 0; a < accs->n; a++)
		cap += accs->v[a]->n_regions + 1;
	*n = 0;
	*out = calloc(cap * n_svcs + 1, sizeof(**out));
	if (*out == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	for (size_t s = 0; s < n_svcs; s++)
		for (size_t a = 0; a < accs->n; a++)
			s_account_targets(accs->v[a], &svcs[s], f, *out, n);
	return 0;
}

static int s_cmp_triple(const char *a1, const char *a2, const char *a3, const char *b1,
			const char *b2, const char *b3)
{
	int d = strcmp(a1, b1);

	if (d == 0)
		d = strcmp(a2, b2);
	return d != 0 ? d : strcmp(a3, b3);
}

static int s_cmp_status(const void *pa, const void *pb)
{
	const struct inv_target_status *a = pa, *b = pb;

	return s_cmp_triple(a->account, a->region, a->service, b->account, b->region,
			    b->service);
}

/* bsearch: a target against a status row. */
static int s_cmp_target_status(const void *key, const void *elem)
{
	const struct s_target *t = key;
	const struct inv_target_status *b = elem;

	return s_cmp_triple(t->account, t->region, t->svc->name, b->account, b->region,
			    b->service);
}

/* Each target's last try and resource count from the store's status
 * (sorted here by byte order: PostgreSQL's ORDER BY follows the
 * database's collation, which need not be strcmp's). */
static void s_apply_status(struct inv_status_list *sl, struct s_target *tv, size_t n)
{
	if (sl->n > 1)
		qsort(sl->items, sl->n, sizeof(*sl->items), s_cmp_status);
	for (size_t i = 0; i < n && sl->n > 0; i++) {
		const struct inv_target_status *st = bsearch(&tv[i], sl->items, sl->n,
							     sizeof(*sl->items),
							     s_cmp_target_status);

		if (st == NULL)
			continue;
		tv[i].resources = st->resources;
		tv[i].last_try = st->last_try_at;
		metrics_inventory_ok(st->last_ok_at);
	}
}

/* What one batch shares while its targets are written. */
struct s_batch {
	struct crawler *c;
	struct s_target *tv;
	size_t n;
	crawl_report_fn fn;
	void *arg;
	struct crawl_totals *tot;
	int force;                       /* claims ignore the last try */
	time_t observed;                 /* when the search started */
	long long elapsed_ms;
};

/* The failure the search reported for target t, or NULL. A global
 * service's failure is reported under the region it was asked in. */
static const struct search_failure *s_failure(const struct search_result *res,
					      const struct s_target *t)
{
	for (size_t i = 0; i < res->n_failures; i++) {
		const struct search_failure *f = &res->failures[i];

		if (f->account_alias != NULL && f->region != NULL &&
		    strcmp(f->account_alias, t->acct->alias) == 0 &&
		    strcmp(f->region, t->search_region) == 0)
			return f;
	}
	return NULL;
}

/* What the store keys a match by (its type and id), and where it is. */
struct s_key {
	const char *type, *id;
	size_t match;                    /* index into the search's matches */
};

static void s_match_key(const struct search_result *res, size_t i, struct s_key *k)
{
	const struct search_match *m = &res->matches[i];

	k->match = i;
	if (m->kind == SEARCH_MATCH_INSTANCE) {
		k->type = "instance";
		k->id = m->instance.instance_id;
	} else if (m->kind == SEARCH_MATCH_ENI) {
		k->type = "network-interface";
		k->id = m->eni.eni_id;
	} else {
		k->type = m->res.type != NULL ? m->res.type->name : NULL;
		k->id = m->res.id;
	}
}

/* By type and id, then in the search's order (the first one's card). */
static int s_cmp_key(const void *pa, const void *pb)
{
	const struct s_key *a = pa, *b = pb;
	int d = si_strcmp0(a->type, b->type);

	if (d == 0)
		d = si_strcmp0(a->id, b->id);
	if (d == 0)
		d = (a->match > b->match) - (a->match < b->match);
	return d;
}

/*
 * Put the matches g[0..n) of one type and id as one resource: the store
 * keys resources by type and id, and several record sets of one name (A
 * and AAAA, weighted sets) are one name holding all their addresses, so
 * the first match's card and fields and every match's addresses and DNS
 * names. An item the store refuses (a field it cannot take) is tried once
 * more with its identity and times only, so the resource is still known
 * to be there. Returns 0 (put), 1 (refused: counted), -1 with err set
 * when the crawl itself cannot go on (a crawl cap, OOM).
 */
static int s_put(struct inv_crawl *cr, const struct search_result *res, const struct s_key *g,
		 size_t n, const struct s_target *t, struct si_err *err)
{
	struct crawl_item ci;
	int rc;

	if (crawl_item_from_match(&res->matches[g[0].match], t->account, t->partition, &ci,
				  err) != 0) {
		rc = err->code == SI_ERR_NOMEM ? -1 : 1;
		crawl_item_clear(&ci);
		return rc;
	}
	for (size_t i = 1; i < n; i++)
		s_item_addrs(&ci, &res->matches[g[i].match]);
	rc = inv_put(cr, &ci.item, err);
	if (rc != 0 && err->code == SI_ERR_INVALID) {
		ci.item.n_addrs = ci.item.n_dns = ci.item.n_tags = 0;
		ci.item.card = NULL;
		rc = inv_put(cr, &ci.item, err) != 0 ? 1 : 0;
		if (rc != 0 && err->code != SI_ERR_INVALID)
			rc = -1;
	} else if (rc != 0) {
		rc = -1;
	}
	crawl_item_clear(&ci);
	return rc;
}

/* Put every match of target k (midx[i] == k) into cr, one resource per
 * type and id. Returns the resources refused, or -1 with err set when
 * the crawl cannot be complete. */
static long s_put_target(struct inv_crawl *cr, const struct search_result *res,
			 const size_t *midx, size_t k, const struct s_target *t, struct si_err *err)
{
	struct s_key *keys;
	size_t n = 0;
	long refused = 0;

	for (size_t i = 0; i < res->n_matches; i++)
		n += midx[i] == k;
	keys = calloc(n + 1, sizeof(*keys));
	if (keys == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	n = 0;
	for (size_t i = 0; i < res->n_matches; i++)
		if (midx[i] == k)
			s_match_key(res, i, &keys[n++]);
	if (n > 1)
		qsort(keys, n, sizeof(*keys), s_cmp_key);
	for (size_t i = 0; i < n && refused >= 0;) {
		size_t g = 1;
		int rc;

		while (i + g < n && si_strcmp0(keys[i + g].type, keys[i].type) == 0 &&
		       si_strcmp0(keys[i + g].id, keys[i].id) == 0)
			g++;
		rc = s_put(cr, res, &keys[i], g, t, err);
		refused = rc < 0 ? -1 : refused + rc;
		i += g;
	}
	free(keys);
	return refused;
}

/* Write target k of b: an error (why, when not NULL; else the search's
 * failure of it), or its matches (midx[i] == k) as one complete crawl;
 * then report it. */
static void s_write_target(struct s_batch *b, size_t k, const struct search_result *res,
			   const size_t *midx, const char *why)
{
	struct crawler *c = b->c;
	const struct s_target *t = &b->tv[k];
	const struct search_failure *fail = why == NULL ? s_failure(res, t) : NULL;
	struct crawl_report r = { .alias = t->acct->alias, .account = t->account,
				  .region = t->region, .service = t->svc->name,
				  .elapsed_ms = b->elapsed_ms };
	char error[S_ERROR_MAX] = "";
	struct si_err err = { 0 };
	struct inv_crawl *cr;
	int stored = 0;

	if (why != NULL)
		snprintf(error, sizeof(error), "inventory: %s", why);
	else if (fail != NULL)
		snprintf(error, sizeof(error), "%s: %s", fail->code ? fail->code : "Error",
			 fail->message ? fail->message : "failed");
	cr = inv_begin_target(c->st, t->account, t->region, t->svc->name, b->observed, &err);
	if (cr != NULL && inv_crawl_owner(cr, c->owner, &err) != 0) {
		inv_crawl_free(cr);
		cr = NULL;
	}
	if (cr != NULL && !error[0]) {
		long refused = s_put_target(cr, res, midx, k, t, &err);

		if (refused < 0)
			snprintf(error, sizeof(error), "inventory: %s", err.msg);
		else
			r.rejected = (size_t)refused;
	}
	if (cr != NULL)
		stored = inv_end_target(cr, error[0] ? error : NULL, s_now(c), &r.stats,
					&err) == 0;
	b->tot->targets++;
	b->tot->rejected += r.rejected;
	if (!stored) {
		r.store_error = err.msg;
		c->store_failed = 1;
		b->tot->store_failed++;
	} else if (error[0]) {
		r.error = error;
		b->tot->failed++;
	} else {
		metrics_inventory_ok(s_now(c));
		b->tot->written++;
		b->tot->resources += r.stats.items;
		b->tot->added += r.stats.added;
		b->tot->changed += r.stats.changed;
		b->tot->gone += r.stats.gone;
	}
	if (b->fn != NULL)
		b->fn(b->arg, &r);
}

/* The search stopped paging because it held SEARCH_MAX_MATCHES: what it
 * holds of any target may be short. */
static int s_overflowed(const struct search_result *res)
{
	if (res->n_matches >= SEARCH_MAX_MATCHES)
		return 1;
	for (size_t i = 0; i < res->n_failures; i++)
		if (res->failures[i].code != NULL &&
		    strcmp(res->failures[i].code, "TooManyMatches") == 0)
			return 1;
	return 0;
}

/* Resources a target is expected to hold, for batch planning. */
static size_t s_expected(const struct s_target *t)
{
	if (t->resources > 0)
		return t->resources;
	return t->last_try != 0 ? 1 : S_GUESS_RESOURCES;
}

/* A batch's deadline (see S_DEADLINE_BASE_MS): its slowest target's calls
 * at the budget's rate, and all its calls through the engine's
 * concurrency. Each target's calls are counted as one per type and page
 * of what it held last time. */
static int s_deadline_ms(const struct crawler *c, const struct s_target *tv, size_t n)
{
	long long worst = 0, total = 0, ms;

	for (size_t i = 0; i < n; i++) {
		long long calls = (long long)tv[i].svc->n_types +
				  (long long)(s_expected(&tv[i]) / S_PAGE_ITEMS);

		worst = calls > worst ? calls : worst;
		total += calls;
	}
	ms = S_DEADLINE_BASE_MS + worst * 1000 / c->set.rate_per_s +
	     total * S_CALL_MS / c->set.max_inflight;
	return ms > S_DEADLINE_MAX_MS ? S_DEADLINE_MAX_MS : (int)ms;
}

/* Index into tv of the target m was found in, or n. */
static size_t s_match_target(const struct search_match *m, const struct s_target *tv, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (m->account_id != NULL && m->region != NULL &&
		    strcmp(m->account_id, tv[k].account) == 0 &&
		    strcmp(m->region, tv[k].region) == 0)
			return k;
	return n;
}

/* Append s to v[0..*n) unless there. */
static void s_add_name(const char **v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(v[i], s) == 0)
			return;
	v[(*n)++] = s;
}

/* A store failure before the batch's search: each target reported as
 * not stored (nothing listed, nothing written). */
static void s_batch_unstored(struct s_batch *b, struct s_target *tv, size_t n, const char *why)
{
	for (size_t k = 0; k < n; k++) {
		struct crawl_report r = { .alias = tv[k].acct->alias, .account = tv[k].account,
					  .region = tv[k].region, .service = tv[k].svc->name,
					  .store_error = why };

		b->tot->targets++;
		b->tot->store_failed++;
		if (b->fn != NULL)
			b->fn(b->arg, &r);
	}
}

/* 1 when owner (host:pid:...) names a crawler process of this host that
 * no longer exists: a crawler killed mid-batch, whose claims a restart
 * may take at once instead of at their lease's end. A pid that exists
 * (even one reused by another program, or another user's: EPERM) counts
 * as alive, so a doubt only waits for the lease. */
static int s_holder_dead(const struct crawler *c, const char *owner)
{
	const char *colon = strchr(c->owner, ':');
	size_t hl = colon != NULL ? (size_t)(colon - c->owner) + 1 : 0;
	long pid;
	char *end;

	if (hl == 0 || strncmp(owner, c->owner, hl) != 0)
		return 0;
	errno = 0;
	pid = strtol(owner + hl, &end, 10);
	if (errno != 0 || end == owner + hl || *end != ':' || pid <= 1 || pid == (long)getpid())
		return 0;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Release the claims of every dead crawler of this host among v's
 * holders. Returns how many holders were released (0: none dead). */
static size_t s_release_dead(struct crawler *c, const struct inv_claim *v, size_t n)
{
	size_t freed = 0;

	for (size_t i = 0; i < n; i++) {
		struct si_err err;
		int seen = 0;

		if (v[i].claimed || v[i].holder[0] == '\0' || !s_holder_dead(c, v[i].holder))
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(v[j].holder, v[i].holder) == 0;
		if (!seen && inv_release(c->st, v[i].holder, NULL, &err) == 0)
			freed++;
	}
	return freed;
}

/*
 * Claim tv[0..n) for this crawler (store/inventory.h: inv_claim) until
 * the batch's deadline plus time to write it, and keep, in order, only
 * the targets claimed: another crawler holds the rest (or wrote them
 * since the due list was read). Those count as held, and the next cycle
 * comes no later than the end of the other's lease, so the targets of a
 * crawler that died are taken soon after its lease lapses, or at once
 * when it ran on this host (s_release_dead). Returns the
 * targets kept, or -1 when the store failed (reported, nothing crawled).
 */
static long s_claim_batch(struct crawler *c, struct s_target *tv, size_t n, struct s_batch *b)
{
	struct inv_claim *v = calloc(n, sizeof(*v));
	time_t now = s_now(c);
	time_t until = now + s_deadline_ms(c, tv, n) / 1000 + S_CLAIM_WRITE_S;
	struct si_err err = { 0 };
	size_t kept = 0;

	if (v == NULL) {
		s_batch_unstored(b, tv, n, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		v[i].account = tv[i].account;
		v[i].region = tv[i].region;
		v[i].service = tv[i].svc->name;
	}
	/* Twice when a dead crawler of this host held some: its claims are
	 * released, and the second claim takes them (and renews ours). */
	if (inv_claim(c->st, c->owner, now, until, b->force ? 0 : now - c->set.refresh_s, v, n,
		      NULL, &err) != 0 ||
	    (s_release_dead(c, v, n) > 0 &&
	     inv_claim(c->st, c->owner, now, until, b->force ? 0 : now - c->set.refresh_s, v, n,
		       NULL, &err) != 0)) {
		c->store_failed = 1;
		s_log_store(c, S_STORE_BAD, err.msg);
		s_batch_unstored(b, tv, n, err.msg);
		free(v);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		time_t due = v[i].held_until != 0 ? v[i].held_until
						  : v[i].last_try_at + c->set.refresh_s;

		if (v[i].claimed) {
			tv[kept++] = tv[i];
			continue;
		}
		b->tot->held++;
		if (due < c->next_due)
			c->next_due = due;
	}
	free(v);
	return (long)kept;
}

static void s_batch(struct crawler *c, struct s_target *tv, size_t n, struct s_batch *proto);

/*
 * Crawl targets tv[0..n) of one service in one search, then write each.
 * Assumes the targets share tv[0].svc. Why the alias and region filters
 * besides the pinned terms: the engine builds its targets by walking
 * every account x region against every term, and the filters cut that
 * walk to the batch's accounts. A batch that overflowed the search's
 * match cap is crawled again one target per search. A search that could
 * not start at all (no memory) fails every target with its message. A
 * stop asked during the search discards it (nothing of it is written).
 */
static void s_batch_run(struct crawler *c, struct s_target *tv, size_t n,
			struct s_batch *proto)
{
	const struct crawl_service *svc = tv[0].svc;
	const size_t n_terms = n * svc->n_types;
	struct search_term *terms = calloc(n_terms, sizeof(*terms));
	const char **aliases = calloc(n, sizeof(*aliases));
	const char **regions = calloc(n, sizeof(*regions));
	size_t *midx = NULL, na = 0, nr = 0;
	struct s_batch b = *proto;
	struct search_result res;
	struct search_spec spec;
	struct si_err err = { 0 };
	long long t0;
	int rc = -1;

	memset(&res, 0, sizeof(res));
	memset(&spec, 0, sizeof(spec));
	b.tv = tv;
	b.n = n;
	if (terms != NULL && aliases != NULL && regions != NULL) {
		for (size_t i = 0; i < n; i++) {
			s_add_name(aliases, &na, tv[i].acct->alias);
			s_add_name(regions, &nr, tv[i].search_region);
			for (size_t k = 0; k < svc->n_types; k++) {
				struct search_term *t = &terms[i * svc->n_types + k];

				t->kind = SEARCH_TERM_LIST;
				t->value = "";
				t->region = tv[i].search_region;
				t->account_id = tv[i].account;
				t->type = svc->types[k];
			}
		}
		spec.terms = terms;
		spec.n_terms = n_terms;
		spec.accounts = aliases;
		spec.n_accounts = na;
		spec.regions = regions;
		spec.n_regions = nr;
		spec.text = "inventory crawl";
		spec.deadline_ms = s_deadline_ms(c, tv, n);
		spec.rate_per_s = (double)c->set.rate_per_s;
		b.observed = s_now(c);
		t0 = si_mono_ms();
		rc = search_run(c->e, c->ctx, &spec, &res, &err);
		b.elapsed_ms = si_mono_ms() - t0;
		b.tot->searches++;
	} else {
		si_err_set(&err, SI_ERR_NOMEM, "out of memory");
	}
	if (rc == 0 && n > 1 && s_overflowed(&res)) {
		search_result_free(&res);
		for (size_t i = 0; i < n && !atomic_load(&c->stop); i++)
			s_batch(c, &tv[i], 1, proto);
		goto out;
	}
	if (atomic_load(&c->stop))
		goto out;
	if (rc == 0)
		midx = calloc(res.n_matches + 1, sizeof(*midx));
	if (rc == 0 && midx == NULL)
		si_err_set(&err, SI_ERR_NOMEM, "out of memory");
	for (size_t i = 0; midx != NULL && i < res.n_matches; i++)
		midx[i] = s_match_target(&res.matches[i], tv, n);
	for (size_t k = 0; k < n; k++)
		s_write_target(&b, k, &res, midx, midx == NULL ? err.msg : NULL);
out:
	free(midx);
	search_result_free(&res);
	free(terms);
	free(aliases);
	free(regions);
}

/* Claim the batch, then crawl what was claimed. The overflow path's
 * searches of one target come back here, so each renews its claim (its
 * own lease) before its search. */
static void s_batch(struct crawler *c, struct s_target *tv, size_t n, struct s_batch *proto)
{
	long kept = s_claim_batch(c, tv, n, proto);

	if (kept > 0)
		s_batch_run(c, tv, (size_t)kept, proto);
}

/* Crawl tv[0..n) (due, in crawl order) in batches of one service, each
 * within S_BATCH_TARGETS targets and S_BATCH_MATCHES expected matches.
 * Stops between batches when asked. */
static void s_crawl(struct crawler *c, struct s_target *tv, size_t n, struct s_batch *proto)
{
	size_t i = 0;

	while (i < n && !atomic_load(&c->stop)) {
		size_t k = 1, sum = s_expected(&tv[i]);

		while (i + k < n && k < S_BATCH_TARGETS && tv[i + k].svc == tv[i].svc &&
		       sum + s_expected(&tv[i + k]) <= S_BATCH_MATCHES)
			sum += s_expected(&tv[i + k++]);
		s_batch(c, &tv[i], k, proto);
		i += k;
	}
}

/* Retention: inv_prune until it deletes nothing (bounded per cycle). */
static void s_prune(struct crawler *c, time_t now, struct crawl_totals *tot)
{
	for (int i = 0; i < S_PRUNE_CALLS_MAX && !atomic_load(&c->stop); i++) {
		struct si_err err;
		size_t del = 0;

		if (inv_prune(c->st, c->set.history_days, now, &del, &err) != 0) {
			c->store_failed = 1;
			s_log_store(c, S_STORE_BAD, err.msg);
			return;
		}
		tot->pruned += del;
		if (del == 0)
			return;
	}
}

/*
 * Contract in inventory.h. Why every cycle reads the store's status
 * first: the store, not this process, knows what was crawled last (by a
 * predecessor killed mid-cycle, or another crawler), so due-ness and the
 * batch sizes come from it. Assumes c is used by this thread only.
 */
int crawl_run(struct crawler *c, const struct crawl_filter *f, int force, crawl_report_fn fn,
	      void *arg, struct crawl_totals *totals, struct si_err *err)
{
	struct crawl_totals tot;
	struct s_batch proto = { .c = c, .fn = fn, .arg = arg, .tot = &tot, .force = force };
	const struct crawl_service *svcs;
	struct search_accounts accs;
	struct inv_status_list sl;
	struct s_target *tv = NULL;
	long long t0 = si_mono_ms();
	time_t now = s_now(c);
	size_t n = 0, nd = 0, n_svcs = 0;
	int rc = -1;

	memset(&tot, 0, sizeof(tot));
	memset(&accs, 0, sizeof(accs));
	memset(&sl, 0, sizeof(sl));
	c->next_due = now + c->set.refresh_s;
	if (crawl_services(&svcs, &n_svcs, err) != 0)
		goto out;
	if (s_store(c, err) != 0 || inv_status(c->st, INV_STATUS_MAX, &sl, err) != 0) {
		c->store_failed = 1;
		s_log_store(c, S_STORE_BAD, err->msg);
		goto out;
	}
	if (search_engine_accounts(c->e, &accs, err) != 0 ||
	    s_targets(&accs, svcs, n_svcs, f, &tv, &n, err) != 0)
		goto out;
	s_apply_status(&sl, tv, n);
	for (size_t i = 0; i < n; i++) {
		time_t due = tv[i].last_try + c->set.refresh_s;

		if (force || tv[i].last_try == 0 || due <= now) {
			tv[nd++] = tv[i];
			continue;
		}
		tot.skipped++;
		if (due < c->next_due)
			c->next_due = due;
	}
	s_crawl(c, tv, nd, &proto);
	/* Claims of batches a stop discarded: free now, not at their lease. */
	if (!c->store_failed) {
		struct si_err rerr;

		if (inv_release(c->st, c->owner, NULL, &rerr) != 0) {
			c->store_failed = 1;
			s_log_store(c, S_STORE_BAD, rerr.msg);
		}
	}
	if (!c->store_failed)
		s_prune(c, now, &tot);
	if (!c->store_failed)
		s_log_store(c, S_STORE_OK, NULL);
	rc = 0;
out:
	free(tv);
	inv_status_list_free(&sl);
	search_accounts_release(&accs);
	tot.elapsed_ms = si_mono_ms() - t0;
	if (totals != NULL)
		*totals = tot;
	return rc;
}

/* ------------------------------------------------------------------ */
/* the background thread                                               */

/* The report callback of the thread: a failed target is one warn line
 * (the store's failures are logged once per change instead). */
static void s_log_report(void *arg, const struct crawl_report *r)
{
	struct crawler *c = arg;
	struct logfmt l;

	if (r->store_error != NULL) {
		s_log_store(c, S_STORE_BAD, r->store_error);
		return;
	}
	if (r->error == NULL)
		return;
	logfmt_begin(&l, "warn");
	logfmt_str(&l, "msg", "inventory: target failed, its last data kept");
	logfmt_str(&l, "account", r->alias);
	logfmt_str(&l, "account_id", r->account);
	logfmt_str(&l, "region", r->region);
	logfmt_str(&l, "service", r->service);
	logfmt_str(&l, "error", r->error);
	logfmt_emit(&l, stderr);
}

static void s_log_cycle(const struct crawl_totals *t)
{
	struct logfmt l;

	logfmt_begin(&l, "info");
	logfmt_str(&l, "msg", "inventory: crawl cycle done");
	logfmt_int(&l, "targets", (long long)t->targets);
	logfmt_int(&l, "written", (long long)t->written);
	logfmt_int(&l, "failed", (long long)t->failed);
	logfmt_int(&l, "store_failed", (long long)t->store_failed);
	logfmt_int(&l, "fresh", (long long)t->skipped);
	logfmt_int(&l, "held", (long long)t->held);
	logfmt_int(&l, "resources", (long long)t->resources);
	logfmt_int(&l, "added", (long long)t->added);
	logfmt_int(&l, "changed", (long long)t->changed);
	logfmt_int(&l, "gone", (long long)t->gone);
	logfmt_int(&l, "pruned", (long long)t->pruned);
	logfmt_int(&l, "searches", (long long)t->searches);
	logfmt_int(&l, "elapsed_ms", t->elapsed_ms);
	logfmt_emit(&l, stderr);
}

/* How long to wait after a cycle: until the first target falls due,
 * within [S_CYCLE_GAP_S, refresh_s]; after a store failure at least
 * S_STORE_RETRY_S (or refresh_s when shorter). */
static long long s_wait_ms(const struct crawler *c, int ok)
{
	long long wait = (long long)(c->next_due - s_now(c));
	long long retry = S_STORE_RETRY_S < c->set.refresh_s ? S_STORE_RETRY_S
							     : c->set.refresh_s;

	if (wait < S_CYCLE_GAP_S)
		wait = S_CYCLE_GAP_S;
	if (wait > c->set.refresh_s)
		wait = c->set.refresh_s;
	if ((!ok || c->store_failed) && wait < retry)
		wait = retry;
	return wait * 1000;
}

/* Wait on c->cv until mono_ms (si_mono_ms's clock, CLOCK_MONOTONIC, the
 * condition variable's) or until what should end the wait: a stop
 * (stopping 1) or the thread's end (stopping 0). c->mu held. */
static void s_wait_until(struct crawler *c, long long mono_ms, int stopping)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(mono_ms / 1000);
	ts.tv_nsec = (long)(mono_ms % 1000) * 1000000L;
	while (si_mono_ms() < mono_ms &&
	       !(stopping ? atomic_load(&c->stop) != 0 : c->done != 0))
		pthread_cond_timedwait(&c->cv, &c->mu, &ts);
}

/* The thread: a cycle, then a wait on the condition variable (never a
 * plain sleep, so crawl_stop ends the wait at once), until stopped. */
static void *s_main(void *arg)
{
	struct crawler *c = arg;

	pthread_mutex_lock(&c->mu);
	while (!atomic_load(&c->stop)) {
		struct crawl_totals tot;
		struct si_err err = { 0 };
		int ok;

		pthread_mutex_unlock(&c->mu);
		ok = crawl_run(c, NULL, 0, s_log_report, c, &tot, &err) == 0;
		if (ok && (tot.targets > 0 || tot.pruned > 0 || tot.held > 0))
			s_log_cycle(&tot);
		if (!ok && !c->store_failed) {
			struct logfmt l;

			logfmt_begin(&l, "error");
			logfmt_str(&l, "msg", "inventory: crawl cycle failed");
			logfmt_str(&l, "error", err.msg);
			logfmt_emit(&l, stderr);
		}
		pthread_mutex_lock(&c->mu);
		s_wait_until(c, si_mono_ms() + s_wait_ms(c, ok), 1);
	}
	c->done = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int crawl_start(struct crawler *c, struct si_err *err)
{
	const struct crawl_service *svcs;
	size_t n;

	if (c == NULL || c->started)
		return si_err_set(err, SI_ERR_INVALID, "crawler: NULL or already started");
	if (crawl_services(&svcs, &n, err) != 0)
		return -1;
	if (pthread_create(&c->thread, NULL, s_main, c) != 0)
		return si_err_set(err, SI_ERR_INTERNAL, "cannot start the inventory thread");
	c->started = 1;
	return 0;
}

void crawl_stop(struct crawler *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	atomic_store(&c->stop, 1);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

int crawl_join(struct crawler *c, long long deadline_ms)
{
	int done;

	if (c == NULL || !c->started)
		return 0;
	pthread_mutex_lock(&c->mu);
	s_wait_until(c, deadline_ms, 0);
	done = c->done;
	pthread_mutex_unlock(&c->mu);
	if (!done)
		return -1;
	pthread_join(c->thread, NULL);
	c->started = 0;
	return 0;
}
