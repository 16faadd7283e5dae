/*
 * inventory_bench.c - what the inventory (store/inventory.h) and the
 * index-first search (index.h) cost at the scale of issue 13, on one
 * backend (bench/inventory runs it on SQLite and on a real PostgreSQL and
 * prints the two side by side).
 *
 * Usage: inventory_bench PATH|postgresql://... N ACCOUNTS REGIONS DAYS CHURN_PCT LOOKUPS
 *
 * It builds an estate of N resources over ACCOUNTS x REGIONS (each an
 * account-region "cell" of N / cells resources) shaped like a real one:
 * per ten resources two instances (private and public address, private and
 * public DNS name, Name and tags, a card of the size the crawler writes),
 * their network interfaces and root volumes, a security group, a subnet
 * (a CIDR block), a load balancer (DNS name, two addresses) and an RDS
 * instance (endpoint DNS name), in the services the crawler uses (ec2,
 * elasticloadbalancing, rds: one target per cell and service). Everything
 * goes through the real write path: inv_begin_target, inv_put,
 * inv_end_target, one target at a time, as the crawler writes.
 *
 * Then, in this order, each printed as "key value ..." lines for the
 * script: the first load, a recrawl of every target with a few changes,
 * DAYS days of address churn (CHURN_PCT % of the instances replaced a day
 * by a new instance that reuses the private address; the old one is seen
 * terminated, then gone) with the database size after each day, and
 * LOOKUPS random lookups of each kind, timed one by one: at the store
 * (inv_lookup_ident / inv_lookup_name / inv_at / inv_history) and through
 * the index path a search takes (query_parse_at, plan_from_query,
 * idx_prepare over all ACCOUNTS x REGIONS configured, idx_search_free).
 *
 * Results are checked (every exact lookup must find its resource, every
 * index lookup of an id must be narrowed) and wrong answers counted: a
 * fast wrong answer is not a figure. Timings are never judged here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/account.h"
#include "index.h"
#include "search/engine.h"
#include "search/plan.h"
#include "search/query.h"
#include "store/inventory.h"
#include "store/store.h"
#include "util/strutil.h"

/* 2026-11-01 00:00Z: the first crawl; every later `now` counts from it. */
#define IB_T0 ((time_t)1793491200)
#define IB_DAY 86400
#define IB_MAX_N 2000000
#define IB_MAX_ACCOUNTS 100000
#define IB_MAX_DAYS 365
#define IB_MAX_LOOKUPS 100000
/* Resources of one cell: the private addresses of a cell are 10.A.B.k
 * with k < 256, and a load balancer takes two. */
#define IB_CELL_MAX 120
/* The slot pattern repeats every IB_MIX resources of a cell. */
#define IB_MIX 10
/* Replacements of one instance over the run (its generation). */
#define IB_GEN_MAX 60000

/* The regions, in the AWS stand-in's order (tests/standin/aws_standin.py
 * _REGION_NAMES), so both parts of bench/inventory speak of the same. */
static const char *const ib_regions[] = {
	"us-east-1", "eu-west-2", "eu-west-1", "us-west-2", "eu-central-1",
	"ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "us-east-2",
	"us-west-1", "ca-central-1", "eu-north-1", "eu-west-3", "ap-south-1",
	"sa-east-1", "ap-northeast-2", "eu-south-1", "af-south-1", "me-south-1",
	"ap-east-1"
};
#define IB_REGIONS_MAX (sizeof(ib_regions) / sizeof(ib_regions[0]))

static const char *const ib_envs[] = { "prod", "staging", "dev", "qa" };

enum ib_kind { IB_INSTANCE, IB_ENI, IB_VOLUME, IB_SG, IB_SUBNET, IB_LB, IB_RDS };

/* Slot k % IB_MIX of a cell: two instances each followed by its interface
 * and root volume, then one of each other kind. */
static const enum ib_kind ib_mix[IB_MIX] = {
	IB_INSTANCE, IB_ENI, IB_VOLUME, IB_INSTANCE, IB_ENI, IB_VOLUME,
	IB_SG, IB_SUBNET, IB_LB, IB_RDS
};

/* Crawler services (common/inventory.h's grouping of the registry). */
enum ib_service { IB_SVC_EC2, IB_SVC_ELB, IB_SVC_RDS, IB_SVC_N };
static const char *const ib_service_names[IB_SVC_N] = {
	"ec2", "elasticloadbalancing", "rds"
};

/* The estate: sizes and, per resource, its generation (an instance
 * replaced g times has id generation g) and the day it was last replaced
 * (0: never), so any crawl can be rebuilt from the index alone. */
struct ib_org {
	long n;
	int accounts, regions;
	long cells;
	long per, extra;        /* per cell: per, the first `extra` one more */
	uint16_t *gen;
	uint16_t *died;         /* day + 1 of the last replacement, 0: none */
};

/* One resource's strings, built in place for inv_put. */
struct ib_item {
	char account[INV_ACCOUNT_LEN + 1];
	char id[96], arn[256], name[64], state[16];
	char addr[2][48], dns[2][128];
	char tagv[3][64];
	char card[1536];
	const char *addrs[2], *dnsv[2];
	struct inv_kv tags[3];
	struct inv_item it;
};

static double ib_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* xorshift64*: reproducible draws, the same on both backends. */
static uint64_t ib_seed = 88172645463325252ULL;

static uint64_t ib_rand(void)
{
	ib_seed ^= ib_seed >> 12;
	ib_seed ^= ib_seed << 25;
	ib_seed ^= ib_seed >> 27;
	return ib_seed * 2685821657736338717ULL;
}

static long ib_randn(long n)
{
	return (long)(ib_rand() % (uint64_t)n);
}

/* --- the estate ----------------------------------------------------------- */

static long ib_cell_base(const struct ib_org *o, long c)
{
	return c * o->per + (c < o->extra ? c : o->extra);
}

static long ib_cell_size(const struct ib_org *o, long c)
{
	return o->per + (c < o->extra ? 1 : 0);
}

/* The cell holding resource g. */
static long ib_cell_of(const struct ib_org *o, long g)
{
	long big = o->extra * (o->per + 1);

	return g < big ? g / (o->per + 1) : o->extra + (g - big) / o->per;
}

static enum ib_service ib_service_of(enum ib_kind k)
{
	return k == IB_LB ? IB_SVC_ELB : k == IB_RDS ? IB_SVC_RDS : IB_SVC_EC2;
}

/* The instance a slot belongs to (its interface and volume follow it), or
 * the slot itself: whose generation names it. */
static long ib_owner(long g, long k)
{
	enum ib_kind kind = ib_mix[k % IB_MIX];

	return kind == IB_ENI ? g - 1 : kind == IB_VOLUME ? g - 2 : g;
}

/* 17 hex digits that look like AWS's and are distinct for distinct
 * (kind, resource, generation): the 64-bit multiply by an odd constant is
 * a bijection. */
static void ib_hexid(char *buf, size_t size, const char *prefix, int kind, long g,
		     unsigned gen)
{
	uint64_t key = ((uint64_t)g << 16 | gen) ^ ((uint64_t)kind << 56);

	snprintf(buf, size, "%s0%016llx", prefix,
		 (unsigned long long)(key * 0x9E3779B97F4A7C15ULL));
}

/* Private address of slot k of cell c (10.A.B.x, one /24 per cell). */
static void ib_private(char *buf, size_t size, long c, long k)
{
	snprintf(buf, size, "10.%ld.%ld.%ld", (c >> 8) & 255, c & 255, k + 4);
}

/* EC2's private DNS name of that address: us-east-1 has its own shape. */
static void ib_private_dns(char *buf, size_t size, long c, long k, const char *region)
{
	if (strcmp(region, "us-east-1") == 0)
		snprintf(buf, size, "ip-10-%ld-%ld-%ld.ec2.internal", (c >> 8) & 255, c & 255,
			 k + 4);
	else
		snprintf(buf, size, "ip-10-%ld-%ld-%ld.%s.compute.internal", (c >> 8) & 255,
			 c & 255, k + 4, region);
}

/* The Name of resource g in account a: "prod-web-1234" and the like. */
static void ib_name(char *buf, size_t size, int a, const char *role, long g)
{
	snprintf(buf, size, "%s-%s-%ld", ib_envs[a % 4], role, g);
}

static void ib_tags(struct ib_item *x, int a, const char *team)
{
	snprintf(x->tagv[0], sizeof(x->tagv[0]), "%s", x->name);
	snprintf(x->tagv[1], sizeof(x->tagv[1]), "%s", ib_envs[a % 4]);
	snprintf(x->tagv[2], sizeof(x->tagv[2]), "%s", team);
	x->tags[0] = (struct inv_kv){ "Name", x->tagv[0] };
	x->tags[1] = (struct inv_kv){ "env", x->tagv[1] };
	x->tags[2] = (struct inv_kv){ "team", x->tagv[2] };
	x->it.tags = x->tags;
	x->it.n_tags = 3;
}

/* An instance card of about the size the crawler's (common/inventory.c,
 * every field of struct ec2_instance and its interfaces) has. */
static void ib_card_instance(struct ib_item *x, const char *region, long c)
{
	snprintf(x->card, sizeof(x->card),
		 "{\"v\":1,\"type\":\"instance\",\"id\":\"%s\",\"name\":\"%s\",\"state\":\"%s\","
		 "\"instance_type\":\"m5.large\",\"az\":\"%sa\",\"launch_time\":"
		 "\"2026-10-01T00:00:00.000Z\",\"image_id\":\"ami-0abcdef1234567890\","
		 "\"vpc_id\":\"vpc-%08lx\",\"subnet_id\":\"subnet-%08lx\",\"private_ip\":\"%s\","
		 "\"private_dns\":\"%s\",\"public_ip\":\"%s\",\"public_dns\":\"%s\","
		 "\"key_name\":\"ops\",\"owner_id\":\"%s\",\"enis\":[{\"id\":\"eni-%08lx\","
		 "\"private_ip\":\"%s\",\"private_dns\":\"%s\",\"status\":\"in-use\","
		 "\"groups\":[\"sg-%08lx\"]}],\"ipv6\":[],\"tags\":{\"Name\":\"%s\","
		 "\"env\":\"%s\",\"team\":\"%s\"}}",
		 x->id, x->name, x->state, region, c, c, x->addr[0], x->dns[0], x->addr[1],
		 x->dns[1], x->account, c, x->addr[0], x->dns[0], c, x->name, x->tagv[1],
		 x->tagv[2]);
}

/* A generic card (fields as label/value pairs), as s_card_resource. */
static void ib_card_generic(struct ib_item *x, const char *type, const char *f1, long c)
{
	snprintf(x->card, sizeof(x->card),
		 "{\"v\":1,\"type\":\"%s\",\"id\":\"%s\",\"name\":\"%s\",\"arn\":\"%s\","
		 "\"fields\":[[\"VPC\",\"vpc-%08lx\"],[\"%s\",\"%s\"],[\"State\",\"%s\"]],"
		 "\"rels\":[],\"tags\":{\"env\":\"%s\"}}",
		 type, x->id, x->name, x->arn, c, f1, x->addr[0][0] ? x->addr[0] : "-",
		 x->state, x->tagv[1]);
}

/*
 * Build resource g (slot k of cell c) as the crawler would see it on
 * `day`, generation gen (an instance's own or its owner's), dead: the
 * replaced generation, seen terminated with AWS's end time. One function
 * for every kind so that load, recrawl, churn and the lookups' expected
 * answers all agree on what a resource looks like.
 */
static void ib_build(const struct ib_org *o, long c, long k, long g, unsigned gen, int dead,
		     int day, struct ib_item *x)
{
	int a = (int)(c / o->regions);
	const char *region = ib_regions[c % o->regions];
	enum ib_kind kind = ib_mix[k % IB_MIX];
	long own = ib_owner(g, k);
	/* An original resource was launched before the first crawl, a
	 * replacement ten minutes before the crawl of the day it came. */
	time_t launch = gen > 0 && !dead && o->died[own] > 0
				? IB_T0 + (time_t)(o->died[own] - 1) * IB_DAY - 600
				: IB_T0 - 30 * IB_DAY;
	int use1 = strcmp(region, "us-east-1") == 0;
	long p1 = ((g >> 16) + 8 * (long)gen) & 255, p2 = (g >> 8) & 255, p3 = g & 255;

	memset(x, 0, sizeof(*x));
	snprintf(x->account, sizeof(x->account), "%012lld", 400000000000LL + a);
	x->it.created = launch;
	x->it.addrs = x->addrs;
	x->it.dns = x->dnsv;
	x->it.card = x->card;
	snprintf(x->state, sizeof(x->state), "%s", dead ? "terminated" : "running");
	switch (kind) {
	case IB_INSTANCE:
		x->it.type = "instance";
		ib_hexid(x->id, sizeof(x->id), "i-", kind, g, gen);
		snprintf(x->arn, sizeof(x->arn), "arn:aws:ec2:%s:%s:instance/%s", region,
			 x->account, x->id);
		ib_name(x->name, sizeof(x->name), a, k % IB_MIX == 0 ? "web" : "api", g);
		ib_private(x->addr[0], sizeof(x->addr[0]), c, k);
		snprintf(x->addr[1], sizeof(x->addr[1]), "54.%ld.%ld.%ld", p1, p2, p3);
		ib_private_dns(x->dns[0], sizeof(x->dns[0]), c, k, region);
		/* EC2's public names: us-east-1 has its own shape. */
		snprintf(x->dns[1], sizeof(x->dns[1]), "ec2-54-%ld-%ld-%ld.%s%s", p1, p2, p3,
			 use1 ? "" : region, use1 ? "compute-1.amazonaws.com"
						  : ".compute.amazonaws.com");
		x->it.hold_start = launch;
		x->it.ended_at = dead ? (time_t)day * IB_DAY + IB_T0 - 900 : 0;
		x->it.n_addrs = dead ? 0 : 2;
		x->it.n_dns = dead ? 0 : 2;
		ib_tags(x, a, k % IB_MIX == 0 ? "frontend" : "platform");
		ib_card_instance(x, region, c);
		break;
	case IB_ENI:
		x->it.type = "network-interface";
		ib_hexid(x->id, sizeof(x->id), "eni-", kind, g, gen);
		ib_private(x->addr[0], sizeof(x->addr[0]), c, k - 1);
		ib_private_dns(x->dns[0], sizeof(x->dns[0]), c, k - 1, region);
		snprintf(x->state, sizeof(x->state), "in-use");
		x->it.n_addrs = 1;
		x->it.n_dns = 1;
		ib_card_generic(x, "network-interface", "Private IP", c);
		break;
	case IB_VOLUME:
		x->it.type = "volume";
		ib_hexid(x->id, sizeof(x->id), "vol-", kind, g, gen);
		snprintf(x->state, sizeof(x->state), "in-use");
		ib_card_generic(x, "volume", "Size", c);
		break;
	case IB_SG:
		x->it.type = "security-group";
		ib_hexid(x->id, sizeof(x->id), "sg-", kind, g, 0);
		ib_name(x->name, sizeof(x->name), a, "sg", g);
		ib_card_generic(x, "security-group", "Rules", c);
		break;
	case IB_SUBNET:
		x->it.type = "subnet";
		ib_hexid(x->id, sizeof(x->id), "subnet-", kind, g, 0);
		ib_name(x->name, sizeof(x->name), a, "private", g);
		snprintf(x->addr[0], sizeof(x->addr[0]), "10.%ld.%ld.0/24", (c >> 8) & 255,
			 c & 255);
		snprintf(x->state, sizeof(x->state), "available");
		x->it.n_addrs = 1;
		ib_card_generic(x, "subnet", "CIDR", c);
		break;
	case IB_LB:
		x->it.type = "load-balancer";
		ib_name(x->name, sizeof(x->name), a, "lb", g);
		snprintf(x->id, sizeof(x->id), "%s", x->name);
		snprintf(x->arn, sizeof(x->arn),
			 "arn:aws:elasticloadbalancing:%s:%s:loadbalancer/app/%s/%016lx",
			 region, x->account, x->name, (unsigned long)g * 2654435761UL);
		snprintf(x->dns[0], sizeof(x->dns[0]), "%s-%ld.%s.elb.amazonaws.com", x->name,
			 1000000000L + g, region);
		ib_private(x->addr[0], sizeof(x->addr[0]), c, k);
		ib_private(x->addr[1], sizeof(x->addr[1]), c, k + IB_CELL_MAX);
		snprintf(x->state, sizeof(x->state), "active");
		x->it.n_addrs = 2;
		x->it.n_dns = 1;
		ib_tags(x, a, "frontend");
		ib_card_generic(x, "load-balancer", "DNS name", c);
		break;
	case IB_RDS:
		x->it.type = "db-instance";
		ib_name(x->name, sizeof(x->name), a, "db", g);
		snprintf(x->id, sizeof(x->id), "%s", x->name);
		snprintf(x->arn, sizeof(x->arn), "arn:aws:rds:%s:%s:db:%s", region, x->account,
			 x->name);
		snprintf(x->dns[0], sizeof(x->dns[0]), "%s.c%09ld.%s.rds.amazonaws.com", x->name,
			 (long)(c % 1000000000L), region);
		snprintf(x->state, sizeof(x->state), "available");
		x->it.n_dns = 1;
		ib_tags(x, a, "data");
		ib_card_generic(x, "db-instance", "Engine", c);
		break;
	}
	if (kind == IB_ENI || kind == IB_VOLUME || kind == IB_SG || kind == IB_SUBNET)
		snprintf(x->tagv[1], sizeof(x->tagv[1]), "%s", ib_envs[a % 4]);
	x->addrs[0] = x->addr[0];
	x->addrs[1] = x->addr[1];
	x->dnsv[0] = x->dns[0];
	x->dnsv[1] = x->dns[1];
	x->it.id = x->id;
	x->it.arn = x->arn[0] ? x->arn : NULL;
	x->it.name = x->name[0] ? x->name : NULL;
	x->it.state = x->state;
}

/* The current view of resource g (its generation as of now). */
static void ib_current(const struct ib_org *o, long g, struct ib_item *x)
{
	long c = ib_cell_of(o, g), k = g - ib_cell_base(o, c);

	ib_build(o, c, k, g, o->gen[ib_owner(g, k)], 0, 0, x);
}

/* --- crawling ------------------------------------------------------------- */

struct ib_totals {
	long targets, items, added, changed, gone;
};

/*
 * One crawl of cell c and service svc at now, as the crawler would write
 * it: every resource of that service in its current generation, plus, for
 * an instance replaced on `day`, the old one seen terminated (AWS lists a
 * terminated instance for about an hour). change_every > 0: every
 * change_every-th instance is seen stopped (the recrawl's few changes).
 */
static int ib_crawl(struct store *st, const struct ib_org *o, long c, enum ib_service svc,
		    time_t now, int day, long change_every, struct ib_totals *tot)
{
	struct inv_end_stats es;
	struct si_err err;
	struct inv_crawl *cr;
	struct ib_item x;
	char account[INV_ACCOUNT_LEN + 1];
	long base = ib_cell_base(o, c), size = ib_cell_size(o, c);

	snprintf(account, sizeof(account), "%012lld", 400000000000LL + c / o->regions);
	cr = inv_begin_target(st, account, ib_regions[c % o->regions], ib_service_names[svc], now,
			      &err);
	if (cr == NULL) {
		fprintf(stderr, "inv_begin_target: %s\n", err.msg);
		return -1;
	}
	for (long k = 0; k < size; k++) {
		long g = base + k, own = ib_owner(g, k);
		enum ib_kind kind = ib_mix[k % IB_MIX];

		if (ib_service_of(kind) != svc)
			continue;
		ib_build(o, c, k, g, o->gen[own], 0, day, &x);
		if (change_every > 0 && kind == IB_INSTANCE && g % change_every == 0)
			x.it.state = "stopped";
		if (inv_put(cr, &x.it, &err) != 0)
			goto fail;
		if (kind == IB_INSTANCE && day > 0 && o->died[g] == day + 1) {
			ib_build(o, c, k, g, o->gen[g] - 1u, 1, day, &x);
			if (inv_put(cr, &x.it, &err) != 0)
				goto fail;
		}
	}
	if (inv_end_target(cr, NULL, now, &es, &err) != 0) {
		fprintf(stderr, "inv_end_target: %s\n", err.msg);
		return -1;
	}
	tot->targets++;
	tot->items += (long)es.items;
	tot->added += (long)es.added;
	tot->changed += (long)es.changed;
	tot->gone += (long)es.gone;
	return 0;
fail:
	fprintf(stderr, "inv_put %s: %s\n", x.id, err.msg);
	inv_crawl_free(cr);
	return -1;
}

/* Crawl every target of the cells marked in mask (NULL: all) at now. */
static int ib_crawl_all(struct store *st, const struct ib_org *o, const unsigned char *mask,
			time_t now, int day, long change_every, const char *what)
{
	struct ib_totals tot = { 0 };
	double t = ib_ms(), ms;

	for (long c = 0; c < o->cells; c++) {
		if (mask != NULL && !mask[c])
			continue;
		for (int s = 0; s < IB_SVC_N; s++) {
			enum ib_service svc = (enum ib_service)s;

			if (ib_crawl(st, o, c, svc, now, day, change_every, &tot) != 0)
				return -1;
		}
	}
	ms = ib_ms() - t;
	printf("crawl %s ms=%.0f targets=%ld items=%ld added=%ld changed=%ld gone=%ld "
	       "us_per_item=%.1f\n", what, ms, tot.targets, tot.items, tot.added, tot.changed,
	       tot.gone, tot.items > 0 ? ms * 1e3 / (double)tot.items : 0.0);
	return 0;
}

static int ib_size(struct store *st, struct inv_size *z)
{
	struct si_err err;

	if (inv_size(st, z, &err) != 0) {
		fprintf(stderr, "inv_size: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/*
 * DAYS days of churn: each day CHURN_PCT % of the instances are replaced
 * (new id, new public address, the private address reused), and the cells
 * touched that day or the day before are recrawled (the others would
 * write nothing: unchanged targets cost a read, no rows). Prints the
 * database growth per day: what history retention costs.
 */
static int ib_churn(struct store *st, struct ib_org *o, int days, double pct)
{
	unsigned char *today = calloc((size_t)o->cells, 1);
	unsigned char *mask = calloc((size_t)o->cells, 1);
	struct inv_size z0, z;
	long instances = 0, per_day;
	int rc = -1;

	if (today == NULL || mask == NULL || ib_size(st, &z0) != 0)
		goto out;
	for (long g = 0; g < o->n; g++)
		instances += ib_mix[(g - ib_cell_base(o, ib_cell_of(o, g))) % IB_MIX] ==
			     IB_INSTANCE;
	per_day = (long)((double)instances * pct / 100.0 + 0.5);
	for (int d = 1; d <= days; d++) {
		char what[32];

		memcpy(mask, today, (size_t)o->cells);
		memset(today, 0, (size_t)o->cells);
		for (long r = 0; r < per_day; r++) {
			long g = ib_randn(o->n), c = ib_cell_of(o, g);
			long k = g - ib_cell_base(o, c);

			if (ib_mix[k % IB_MIX] != IB_INSTANCE || o->died[g] == d + 1 ||
			    o->gen[g] >= IB_GEN_MAX) {
				r--;
				continue;
			}
			o->gen[g]++;
			o->died[g] = (uint16_t)(d + 1);
			today[c] = mask[c] = 1;
		}
		snprintf(what, sizeof(what), "day%d", d);
		if (ib_crawl_all(st, o, mask, IB_T0 + (time_t)d * IB_DAY, d, 0, what) != 0 ||
		    ib_size(st, &z) != 0)
			goto out;
		printf("day %d replaced=%ld db_bytes=%lld history=%lld idents=%lld "
		       "resources=%lld\n", d, per_day, (long long)z.db_bytes, (long long)z.history,
		       (long long)z.idents, (long long)z.resources);
	}
	printf("churn days=%d pct=%.2f replaced_per_day=%ld bytes_per_day=%.0f "
	       "history_rows_per_day=%.0f\n", days, pct, per_day,
	       days > 0 ? (double)(z.db_bytes - z0.db_bytes) / days : 0.0,
	       days > 0 ? (double)(z.history - z0.history) / days : 0.0);
	rc = 0;
out:
	free(today);
	free(mask);
	return rc;
}

/* --- lookups -------------------------------------------------------------- */

static int ib_cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One line per kind: percentiles over n timings, and the wrong answers. */
static void ib_report(const char *what, double *v, long n, long wrong, double found)
{
	qsort(v, (size_t)n, sizeof(double), ib_cmpd);
	printf("lookup %s n=%ld p50=%.3f p99=%.3f max=%.3f wrong=%ld rows=%.1f\n", what, n,
	       v[n / 2], v[n * 99 / 100 < n ? n * 99 / 100 : n - 1], v[n - 1], wrong,
	       found / (double)n);
}

/* A random resource of one kind (any: IB_MIX kinds all count). */
static long ib_pick(const struct ib_org *o, int want)
{
	for (;;) {
		long g = ib_randn(o->n);
		long k = g - ib_cell_base(o, ib_cell_of(o, g));

		if (want < 0 || ib_mix[k % IB_MIX] == (enum ib_kind)want)
			return g;
	}
}

enum ib_q { IB_Q_ID, IB_Q_IID, IB_Q_ADDR, IB_Q_ARN, IB_Q_DNS, IB_Q_NAME, IB_Q_BROAD, IB_Q_NONE };

/* The text of one random query of kind q, and the id it must find
 * (empty: any answer is right). */
static void ib_query(const struct ib_org *o, enum ib_q q, long i, char *text, size_t size,
		     char *want, size_t wsize)
{
	struct ib_item x;
	long g;

	want[0] = '\0';
	switch (q) {
	case IB_Q_ID:
		ib_current(o, ib_pick(o, -1), &x);
		snprintf(text, size, "%s", x.id);
		snprintf(want, wsize, "%s", x.id);
		break;
	case IB_Q_IID:
		ib_current(o, ib_pick(o, IB_INSTANCE), &x);
		snprintf(text, size, "%s", x.id);
		snprintf(want, wsize, "%s", x.id);
		break;
	case IB_Q_ADDR:
		ib_current(o, ib_pick(o, IB_INSTANCE), &x);
		snprintf(text, size, "%s", x.addr[0]);
		snprintf(want, wsize, "%s", x.id);
		break;
	case IB_Q_ARN:
		do
			g = ib_pick(o, -1), ib_current(o, g, &x);
		while (x.arn[0] == '\0');
		snprintf(text, size, "%s", x.arn);
		snprintf(want, wsize, "%s", x.id);
		break;
	case IB_Q_DNS:
		ib_current(o, ib_pick(o, i % 2 ? IB_LB : IB_INSTANCE), &x);
		snprintf(text, size, "%s", x.dns[i % 2 ? 0 : 1]);
		snprintf(want, wsize, "%s", x.id);
		break;
	case IB_Q_NAME:
		/* "web-12345": the name's tail, as a user remembers it (also
		 * matches web-123450..9, a few rows). */
		ib_current(o, ib_pick(o, IB_INSTANCE), &x);
		snprintf(text, size, "%s", strchr(x.name, '-') + 1);
		snprintf(want, wsize, "%s", x.id);
		break;
	case IB_Q_BROAD:
		snprintf(text, size, "%s", i % 2 ? "prod" : "web");
		break;
	case IB_Q_NONE:
		snprintf(text, size, "zq-nomatch-%ld", i);
		break;
	}
}

/* l holds want (a name lookup cut at its limit may rightly miss it). */
static int ib_has(const struct inv_res_list *l, const char *want)
{
	if (want[0] == '\0' || l->n >= IDX_LOOKUP_MAX)
		return 1;
	for (size_t k = 0; k < l->n; k++)
		if (strcmp(l->items[k].id, want) == 0)
			return 1;
	return 0;
}

/* LOOKUPS store lookups of kind q, timed one by one. */
static int ib_store_lookups(struct store *st, const struct ib_org *o, enum ib_q q,
			    const char *label, long n, double *v)
{
	char text[INV_QUERY_MAX], want[128];
	struct inv_res_list l;
	struct si_err err;
	long wrong = 0;
	double rows = 0;

	for (long i = 0; i < n; i++) {
		double t;
		int rc;

		ib_query(o, q, i, text, sizeof(text), want, sizeof(want));
		t = ib_ms();
		rc = q >= IB_Q_NAME ? inv_lookup_name(st, text, IDX_LOOKUP_MAX, &l, &err)
				    : inv_lookup_ident(st, text, IDX_LOOKUP_MAX, &l, &err);
		v[i] = ib_ms() - t;
		if (rc != 0) {
			fprintf(stderr, "lookup %s: %s\n", text, err.msg);
			return -1;
		}
		rows += (double)l.n;
		wrong += !ib_has(&l, want) || (q == IB_Q_NONE && l.n != 0);
		inv_res_list_free(&l);
	}
	ib_report(label, v, n, wrong, rows);
	return 0;
}

/* inv_at (who held it at a random moment of the run) and inv_history of
 * random instance addresses. */
static int ib_hold_lookups(struct store *st, const struct ib_org *o, int days, long n,
			   double *v)
{
	struct inv_hold_list l;
	struct si_err err;
	char text[64], want[128];
	double rows = 0;
	long wrong = 0;

	for (int at = 1; at >= 0; at--) {
		rows = 0;
		wrong = 0;
		for (long i = 0; i < n; i++) {
			time_t when = IB_T0 + 3600 + (time_t)ib_randn((long)days * IB_DAY + 1);
			double t;
			int rc;

			ib_query(o, IB_Q_ADDR, i, text, sizeof(text), want, sizeof(want));
			t = ib_ms();
			rc = at ? inv_at(st, text, when, IDX_LOOKUP_MAX, &l, &err)
				: inv_history(st, text, IDX_HISTORY_MAX, &l, &err);
			v[i] = ib_ms() - t;
			if (rc != 0) {
				fprintf(stderr, "%s %s: %s\n", at ? "at" : "history", text,
					err.msg);
				return -1;
			}
			rows += (double)l.n;
			wrong += l.n == 0;
			inv_hold_list_free(&l);
		}
		ib_report(at ? "at-addr" : "history-addr", v, n, wrong, rows);
	}
	return 0;
}

/* Every account configured, in every region: what the served worker's
 * search sees, and what idx_prepare filters the inventory's rows by. */
struct ib_accounts {
	struct si_account *a;
	const struct si_account **v;
	char (*arn)[64];
	char (*alias)[16];
	char rbuf[IB_REGIONS_MAX][16];
	char *rv[IB_REGIONS_MAX];
	struct search_accounts accs;
};

static int ib_accounts_new(struct ib_accounts *x, const struct ib_org *o)
{
	x->a = calloc((size_t)o->accounts, sizeof(*x->a));
	x->v = calloc((size_t)o->accounts, sizeof(*x->v));
	x->arn = calloc((size_t)o->accounts, sizeof(*x->arn));
	x->alias = calloc((size_t)o->accounts, sizeof(*x->alias));
	if (x->a == NULL || x->v == NULL || x->arn == NULL || x->alias == NULL)
		return -1;
	for (size_t r = 0; r < IB_REGIONS_MAX; r++) {
		snprintf(x->rbuf[r], sizeof(x->rbuf[r]), "%s", ib_regions[r]);
		x->rv[r] = x->rbuf[r];
	}
	for (int i = 0; i < o->accounts; i++) {
		snprintf(x->arn[i], sizeof(x->arn[i]),
			 "arn:aws:iam::%012lld:role/InfraSearchReadOnly", 400000000000LL + i);
		snprintf(x->alias[i], sizeof(x->alias[i]), "a%03d", i);
		x->a[i].alias = x->alias[i];
		x->a[i].role_arn = x->arn[i];
		x->a[i].regions = x->rv;
		x->a[i].n_regions = (size_t)o->regions;
		x->v[i] = &x->a[i];
	}
	x->accs.v = x->v;
	x->accs.n = (size_t)o->accounts;
	return 0;
}

static void ib_accounts_free(struct ib_accounts *x)
{
	free(x->a);
	free(x->v);
	free(x->arn);
	free(x->alias);
}

/*
 * The index path of one search, timed from the text: parse, plan,
 * idx_prepare (inventory non-empty check, lookup, history, narrowing over
 * every configured account) and free; no live call. An id or address
 * the inventory holds must come out narrowed, a Name with candidates.
 */
static int ib_index_lookups(struct idx *ix, const struct ib_accounts *ac,
			    const struct ib_org *o, enum ib_q q, const char *label, long n,
			    double *v)
{
	static struct idx_search xs;
	static struct query qy;
	static struct plan p;
	char text[INV_QUERY_MAX], want[128];
	struct si_err err;
	time_t asked = IB_T0 + 3600;
	long wrong = 0;
	double rows = 0;

	for (long i = 0; i < n; i++) {
		double t;

		ib_query(o, q, i, text, sizeof(text), want, sizeof(want));
		t = ib_ms();
		if (query_parse_at(text, asked, &qy, &err) != 0) {
			fprintf(stderr, "query %s: %s\n", text, err.msg);
			return -1;
		}
		plan_from_query(&p, &qy, text);
		idx_prepare(ix, &ac->accs, &qy, &p.spec, asked, &xs);
		v[i] = ib_ms() - t;
		rows += (double)xs.per[0].found.n;
		wrong += !xs.used || (q != IB_Q_NAME && !xs.per[0].narrowed) ||
			 !ib_has(&xs.per[0].found, want);
		idx_search_free(&xs);
	}
	ib_report(label, v, n, wrong, rows);
	return 0;
}

/* VmHWM of this process in KiB, or -1. */
static long ib_hwm(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* --- main ----------------------------------------------------------------- */

struct ib_args {
	const char *db;
	long n, accounts, regions, days, lookups;
	double pct;
};

static int ib_parse(int argc, char **argv, struct ib_args *a)
{
	char *end;

	if (argc != 8 || si_parse_long(argv[2], 1, IB_MAX_N, &a->n) != 0 ||
	    si_parse_long(argv[3], 1, IB_MAX_ACCOUNTS, &a->accounts) != 0 ||
	    si_parse_long(argv[4], 1, (long)IB_REGIONS_MAX, &a->regions) != 0 ||
	    si_parse_long(argv[5], 0, IB_MAX_DAYS, &a->days) != 0 ||
	    si_parse_long(argv[7], 10, IB_MAX_LOOKUPS, &a->lookups) != 0)
		return -1;
	a->pct = strtod(argv[6], &end);
	if (*end != '\0' || a->pct < 0 || a->pct > 50)
		return -1;
	a->db = argv[1];
	if (a->n > a->accounts * a->regions * IB_CELL_MAX || a->n < a->accounts * a->regions) {
		fprintf(stderr, "N must be 1..%d resources per account x region\n", IB_CELL_MAX);
		return -1;
	}
	return 0;
}

/* Every lookup kind, at the store and through the index. */
static int ib_all_lookups(struct store *st, const struct ib_org *o, const struct ib_args *a)
{
	double *v = calloc((size_t)a->lookups, sizeof(double));
	struct ib_accounts ac = { 0 };
	struct si_err err;
	struct idx *ix = NULL;
	long n = a->lookups;
	int rc = -1;

	if (v == NULL || ib_accounts_new(&ac, o) != 0)
		goto out;
	ix = idx_new_store(st, &err);
	if (ix == NULL)
		goto out;
	if (ib_store_lookups(st, o, IB_Q_ID, "store-id", n, v) != 0 ||
	    ib_store_lookups(st, o, IB_Q_ADDR, "store-addr", n, v) != 0 ||
	    ib_store_lookups(st, o, IB_Q_ARN, "store-arn", n, v) != 0 ||
	    ib_store_lookups(st, o, IB_Q_DNS, "store-dns", n, v) != 0 ||
	    ib_store_lookups(st, o, IB_Q_NAME, "store-name-selective", n, v) != 0 ||
	    ib_store_lookups(st, o, IB_Q_BROAD, "store-name-broad", n, v) != 0 ||
	    ib_store_lookups(st, o, IB_Q_NONE, "store-name-nomatch", n, v) != 0 ||
	    ib_hold_lookups(st, o, (int)(a->days > 0 ? a->days : 1), n, v) != 0 ||
	    ib_index_lookups(ix, &ac, o, IB_Q_IID, "index-instance-id", n, v) != 0 ||
	    ib_index_lookups(ix, &ac, o, IB_Q_ADDR, "index-addr", n, v) != 0 ||
	    ib_index_lookups(ix, &ac, o, IB_Q_DNS, "index-dns", n, v) != 0 ||
	    ib_index_lookups(ix, &ac, o, IB_Q_NAME, "index-name-selective", n, v) != 0)
		goto out;
	rc = 0;
out:
	idx_free(ix);
	ib_accounts_free(&ac);
	free(v);
	return rc;
}

int main(int argc, char **argv)
{
	struct store_settings set = { 0 };
	struct ib_org o = { 0 };
	struct inv_size z;
	struct ib_args a;
	struct si_err err;
	struct store *st;
	int rc = 1;

	if (ib_parse(argc, argv, &a) != 0) {
		fprintf(stderr, "usage: inventory_bench PATH|postgresql://... N ACCOUNTS REGIONS "
				"DAYS CHURN_PCT LOOKUPS\n");
		return 2;
	}
	o.n = a.n;
	o.accounts = (int)a.accounts;
	o.regions = (int)a.regions;
	o.cells = a.accounts * a.regions;
	o.per = a.n / o.cells;
	o.extra = a.n % o.cells;
	o.gen = calloc((size_t)a.n, sizeof(*o.gen));
	o.died = calloc((size_t)a.n, sizeof(*o.died));
	if (SI_HAS_PREFIX(a.db, "postgres"))
		set.url = a.db;
	else
		set.path = a.db;
	st = store_open(&set, &err);
	if (st == NULL || o.gen == NULL || o.died == NULL) {
		fprintf(stderr, "store_open: %s\n", st == NULL ? err.msg : "out of memory");
		goto out;
	}
	printf("backend %s\n", store_backend_name(st));
	if (ib_crawl_all(st, &o, NULL, IB_T0, 0, 0, "load") != 0 || ib_size(st, &z) != 0)
		goto out;
	printf("size load db_bytes=%lld resources=%lld idents=%lld history=%lld targets=%lld "
	       "name_index=%s\n", (long long)z.db_bytes, (long long)z.resources,
	       (long long)z.idents, (long long)z.history, (long long)z.targets, z.name_index);
	/* A few changes: one instance in 500 seen stopped. */
	if (ib_crawl_all(st, &o, NULL, IB_T0 + 300, 0, 500, "recrawl") != 0 ||
	    ib_churn(st, &o, (int)a.days, a.pct) != 0 || ib_all_lookups(st, &o, &a) != 0)
		goto out;
	printf("rss hwm_kib=%ld\n", ib_hwm());
	rc = 0;
out:
	store_close(st);
	free(o.gen);
	free(o.died);
	return rc;
}
