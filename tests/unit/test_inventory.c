/*
 * test_inventory.c - the inventory (common/store/inventory.h), the same
 * tests against every backend: SQLite in a temporary directory always,
 * and PostgreSQL when SI_TEST_PG_URL names a database
 * (tests/integration/test_inventory_pg.sh starts a real server and runs
 * this file under it). Each test starts from an empty, freshly migrated
 * store.
 *
 * The history scenario is the issue's own: 10.1.2.3 held by i-old
 * (prod-web-3) from 28 Nov 09:14, terminated 1 Dec 11:58:03 (the time in
 * its StateTransitionReason), then by i-new (prod-web-7) launched at
 * 12:03.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inventory_story.h"
#include "store/inventory.h"
#include "store/private/backend.h"
#include "store_fixture.h"
#include "store/store.h"

#define T_DAY 86400

/* Resources of the prune batching test: more than one batch. */
#define T_MANY (INV_PRUNE_BATCH + 200)

/* --- fixtures ------------------------------------------------------------- */

static int t_setup_sqlite(void **state)
{
	return store_fixture_setup_sqlite(state, "test_inventory");
}

static int t_teardown(void **state)
{
	store_fixture_teardown(*state, NULL, 0);
	return 0;
}

/* --- building crawls ------------------------------------------------------ */

/* A resource as the tests write it: up to 4 addresses, DNS names, tags. */
struct t_res {
	const char *type, *id, *arn, *name, *state;
	time_t created, hold, ended;
	const char *addrs[4];
	const char *dns[4];
	const char *tag_k, *tag_v;
	const char *card;
};

static size_t t_count(const char *const *v, size_t max)
{
	size_t n = 0;

	while (n < max && v[n] != NULL)
		n++;
	return n;
}

static struct inv_item t_item(const struct t_res *r, struct inv_kv *tag)
{
	struct inv_item it;

	memset(&it, 0, sizeof(it));
	it.type = r->type;
	it.id = r->id;
	it.arn = r->arn;
	it.name = r->name;
	it.state = r->state;
	it.created = r->created;
	it.hold_start = r->hold;
	it.ended_at = r->ended;
	it.addrs = r->addrs;
	it.n_addrs = t_count(r->addrs, 4);
	it.dns = r->dns;
	it.n_dns = t_count(r->dns, 4);
	if (r->tag_k != NULL) {
		tag->key = r->tag_k;
		tag->value = r->tag_v;
		it.tags = tag;
		it.n_tags = 1;
	}
	it.card = r->card;
	return it;
}

static struct inv_crawl *t_begin(struct store *st, const char *account, const char *service,
				 time_t t)
{
	struct si_err err;
	struct inv_crawl *c = inv_begin_target(st, account, R1, service, t, &err);

	if (c == NULL)
		fail_msg("begin: %s", err.msg);
	return c;
}

static void t_put(struct inv_crawl *c, const struct t_res *r)
{
	struct inv_kv tag;
	struct inv_item it = t_item(r, &tag);
	struct si_err err;

	if (inv_put(c, &it, &err) != 0)
		fail_msg("put %s: %s", r->id, err.msg);
}

/* One complete crawl of A1 eu-west-2 "ec2" at t with n resources. */
static struct inv_end_stats t_crawl_svc(struct store *st, const char *account,
					const char *service, time_t t, const struct t_res *rs,
					size_t n)
{
	struct inv_crawl *c = t_begin(st, account, service, t);
	struct inv_end_stats stats;
	struct si_err err;

	for (size_t i = 0; i < n; i++)
		t_put(c, &rs[i]);
	if (inv_end_target(c, NULL, t + 5, &stats, &err) != 0)
		fail_msg("end: %s", err.msg);
	return stats;
}

static struct inv_end_stats t_crawl(struct store *st, time_t t, const struct t_res *rs,
				    size_t n)
{
	return t_crawl_svc(st, A1, "ec2", t, rs, n);
}

static struct inv_res_list t_ident(struct store *st, const char *text)
{
	struct inv_res_list l;
	struct si_err err;

	if (inv_lookup_ident(st, text, 50, &l, &err) != 0)
		fail_msg("lookup %s: %s", text, err.msg);
	return l;
}

static struct inv_res_list t_name(struct store *st, const char *text, size_t max)
{
	struct inv_res_list l;
	struct si_err err;

	if (inv_lookup_name(st, text, max, &l, &err) != 0)
		fail_msg("name %s: %s", text, err.msg);
	return l;
}

static struct inv_hold_list t_history(struct store *st, const char *text)
{
	struct inv_hold_list l;
	struct si_err err;

	if (inv_history(st, text, 50, &l, &err) != 0)
		fail_msg("history %s: %s", text, err.msg);
	return l;
}

static struct inv_hold_list t_at(struct store *st, const char *text, time_t when)
{
	struct inv_hold_list l;
	struct si_err err;

	if (inv_at(st, text, when, 50, &l, &err) != 0)
		fail_msg("at %s: %s", text, err.msg);
	return l;
}

/* The single resource text finds, checked to be id. */
static void t_expect_one(struct store *st, const char *text, const char *id,
			 const char *matched)
{
	struct inv_res_list l = t_ident(st, text);

	if (l.n != 1)
		fail_msg("lookup %s: %zu results", text, l.n);
	assert_string_equal(l.items[0].id, id);
	assert_string_equal(l.items[0].matched, matched);
	inv_res_list_free(&l);
}

/* The resources of the history scenario. */
static const struct t_res s_old_running = {
	.type = "instance", .id = "i-0old0000000000001",
	.arn = "arn:aws:ec2:eu-west-2:111111111111:instance/i-0old0000000000001",
	.name = "prod-web-3", .state = "running", .created = T_OLD_LAUNCH,
	.hold = T_OLD_LAUNCH, .addrs = { "10.1.2.3" },
	.dns = { "ip-10-1-2-3.eu-west-2.compute.internal" },
	.tag_k = "Name", .tag_v = "prod-web-3"
};
static const struct t_res s_old_terminated = {
	.type = "instance", .id = "i-0old0000000000001",
	.arn = "arn:aws:ec2:eu-west-2:111111111111:instance/i-0old0000000000001",
	.name = "prod-web-3", .state = "terminated", .created = T_OLD_LAUNCH,
	.hold = T_OLD_LAUNCH, .ended = T_OLD_END,
	.tag_k = "Name", .tag_v = "prod-web-3"
};
static const struct t_res s_new_running = {
	.type = "instance", .id = "i-0new0000000000002",
	.name = "prod-web-7", .state = "running", .created = T_NEW_LAUNCH,
	.hold = T_NEW_LAUNCH, .addrs = { "10.1.2.3" },
	.tag_k = "Name", .tag_v = "prod-web-7"
};

/* --- writing and exact lookups -------------------------------------------- */

static void test_put_and_lookup(void **state)
{
	struct store_fixture *c = *state;
	const struct t_res rs[] = {
		s_old_running,
		{ .type = "load-balancer", .id = "my-lb",
		  .arn = "arn:aws:elasticloadbalancing:eu-west-2:111111111111:"
			 "loadbalancer/app/my-lb/50dc6c495c0c9188",
		  .name = "my-lb", .state = "active", .created = T_OLD_LAUNCH - T_DAY,
		  .dns = { "my-lb-1234567890.eu-west-2.elb.amazonaws.com" },
		  .card = "{\"fields\":[[\"Scheme\",\"internet-facing\"]]}" },
		{ .type = "network-interface", .id = "eni-0abc", .state = "in-use",
		  .addrs = { "10.1.9.9", "2001:DB8:0:0:0:0:0:1", "10.1.9.9" } },
		{ .type = "vpc", .id = "vpc-0123", .addrs = { "10.1.0.0/16" } },
	};
	struct inv_end_stats s = t_crawl(c->st, T_CRAWL1, rs, 4);
	struct inv_res_list l;

	assert_int_equal(s.items, 4);
	assert_int_equal(s.added, 4);
	assert_int_equal(s.gone, 0);
	/* by id, ARN (any case), address, DNS name (any case, trailing dot) */
	l = t_ident(c->st, "i-0old0000000000001");
	assert_int_equal(l.n, 1);
	assert_false(l.truncated);
	assert_string_equal(l.items[0].type, "instance");
	assert_string_equal(l.items[0].account, A1);
	assert_string_equal(l.items[0].region, R1);
	assert_string_equal(l.items[0].service, "ec2");
	assert_string_equal(l.items[0].name, "prod-web-3");
	assert_string_equal(l.items[0].state, "running");
	assert_string_equal(l.items[0].arn, s_old_running.arn);
	assert_string_equal(l.items[0].tags, "{\"Name\":\"prod-web-3\"}");
	assert_null(l.items[0].card);
	assert_int_equal(l.items[0].created, T_OLD_LAUNCH);
	assert_int_equal(l.items[0].first_seen, T_CRAWL1);
	assert_int_equal(l.items[0].last_seen, T_CRAWL1);
	assert_int_equal(l.items[0].gone_at, 0);
	assert_int_equal(l.items[0].ended_at, 0);
	assert_string_equal(l.items[0].matched, "id");
	inv_res_list_free(&l);
	t_expect_one(c->st, "ARN:AWS:EC2:EU-WEST-2:111111111111:INSTANCE/I-0OLD0000000000001",
		     "i-0old0000000000001", "arn");
	t_expect_one(c->st, "10.1.2.3", "i-0old0000000000001", "addr");
	t_expect_one(c->st, "IP-10-1-2-3.eu-west-2.compute.internal.", "i-0old0000000000001",
		     "dns");
	t_expect_one(c->st, "my-lb-1234567890.eu-west-2.elb.amazonaws.com", "my-lb", "dns");
	/* IPv6 in any spelling, a CIDR block by its own (canonical) text */
	t_expect_one(c->st, "2001:db8::1", "eni-0abc", "addr");
	t_expect_one(c->st, "2001:0db8:0000::0001", "eni-0abc", "addr");
	t_expect_one(c->st, "10.1.0.0/16", "vpc-0123", "addr");
	l = t_ident(c->st, "my-lb");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].card, "{\"fields\":[[\"Scheme\",\"internet-facing\"]]}");
	assert_string_equal(l.items[0].tags, "{}");
	inv_res_list_free(&l);
	/* unknown: success, nothing */
	l = t_ident(c->st, "i-0nothere");
	assert_int_equal(l.n, 0);
	assert_null(l.items);
	inv_res_list_free(&l);
	l = t_ident(c->st, "10.1.2.4");
	assert_int_equal(l.n, 0);
	inv_res_list_free(&l);
}

/* A crawl that finds the same thing changes nothing; one field changed
 * rewrites one row; the same id put twice keeps the last. */
static void test_recrawl_changes_only(void **state)
{
	struct store_fixture *c = *state;
	struct t_res rs[2] = { s_old_running, s_new_running };
	struct inv_end_stats s;
	struct inv_res_list l;

	t_crawl(c->st, T_CRAWL1, rs, 2);
	s = t_crawl(c->st, T_CRAWL1 + 300, rs, 2);
	assert_int_equal(s.items, 2);
	assert_int_equal(s.added + s.changed + s.gone, 0);
	/* unchanged rows are still seen at the new crawl */
	l = t_ident(c->st, "i-0new0000000000002");
	assert_int_equal(l.items[0].last_seen, T_CRAWL1 + 300);
	assert_int_equal(l.items[0].first_seen, T_CRAWL1);
	inv_res_list_free(&l);
	rs[1].state = "stopping";
	rs[1].name = "Prod-Web-8";
	{
		struct inv_crawl *cr = t_begin(c->st, A1, "ec2", T_CRAWL1 + 600);
		struct t_res first = rs[0];

		first.state = "pending"; /* replaced by the second put */
		t_put(cr, &first);
		t_put(cr, &rs[0]);
		t_put(cr, &rs[1]);
		assert_int_equal(inv_end_target(cr, NULL, T_CRAWL1 + 601, &s, NULL), 0);
	}
	assert_int_equal(s.items, 2);
	assert_int_equal(s.changed, 1);
	l = t_ident(c->st, "i-0old0000000000001");
	assert_string_equal(l.items[0].state, "running");
	inv_res_list_free(&l);
	/* the rename reached the name index */
	l = t_name(c->st, "web-8", 10);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].state, "stopping");
	inv_res_list_free(&l);
	l = t_name(c->st, "web-7", 10);
	assert_int_equal(l.n, 0);
	inv_res_list_free(&l);
}

/* --- name search ---------------------------------------------------------- */

static void t_expect_names(struct store *st, const char *term, const char *want)
{
	struct inv_res_list l = t_name(st, term, 20);
	char got[512] = "";

	for (size_t i = 0; i < l.n; i++) {
		size_t n = strlen(got);

		snprintf(got + n, sizeof(got) - n, "%s%s", i > 0 ? "," : "",
			 l.items[i].name != NULL ? l.items[i].name : "(none)");
	}
	inv_res_list_free(&l);
	if (strcmp(got, want) != 0)
		fail_msg("names for '%s': got '%s', want '%s'", term, got, want);
}

static void t_name_cases(struct store *st)
{
	t_expect_names(st, "WEB", "Prod-Web-3,Staging-Web");
	t_expect_names(st, "prod", "Prod-Web-3,prod-db-1");
	t_expect_names(st, "b", "Prod-Web-3,Staging-Web,a_b%c,ab,prod-db-1");
	t_expect_names(st, "Ab", "ab");
	t_expect_names(st, "_b%", "a_b%c");
	t_expect_names(st, "b%c", "a_b%c");
	t_expect_names(st, "%", "a_b%c");
	t_expect_names(st, "\"hi\"", "say \"hi\"");
	t_expect_names(st, "CAF\xc3\xa9", "caf\xc3\xa9-1");
	t_expect_names(st, "nothing-like-this", "");
}

static const struct t_res s_named[] = {
	{ .type = "instance", .id = "i-1", .name = "Prod-Web-3" },
	{ .type = "instance", .id = "i-2", .name = "prod-db-1" },
	{ .type = "instance", .id = "i-3", .name = "Staging-Web" },
	{ .type = "security-group", .id = "sg-1", .name = "ab" },
	{ .type = "security-group", .id = "sg-2", .name = "a_b%c" },
	{ .type = "security-group", .id = "sg-3", .name = "say \"hi\"" },
	{ .type = "security-group", .id = "sg-4", .name = "caf\xc3\xa9-1" },
	{ .type = "security-group", .id = "sg-5" },
};

static void test_name_substring(void **state)
{
	struct store_fixture *c = *state;
	struct inv_res_list l;
	struct inv_size sz;

	t_crawl(c->st, T_CRAWL1, s_named, 8);
	assert_int_equal(inv_size(c->st, &sz, NULL), 0);
	assert_string_equal(sz.name_index, c->is_pg ? "pg_trgm" : "fts5-trigram");
	t_name_cases(c->st);
	/* a limit: the first of them, and the rest are said to exist */
	l = t_name(c->st, "web", 1);
	assert_int_equal(l.n, 1);
	assert_true(l.truncated);
	inv_res_list_free(&l);
	/* gone ones come after the present ones, gone_at set */
	t_crawl(c->st, T_CRAWL2, s_named, 2);
	l = t_name(c->st, "web", 10);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.items[0].name, "Prod-Web-3");
	assert_int_equal(l.items[0].gone_at, 0);
	assert_string_equal(l.items[1].name, "Staging-Web");
	assert_int_equal(l.items[1].gone_at, T_CRAWL2);
	assert_int_equal(l.items[1].last_seen, T_CRAWL1);
	inv_res_list_free(&l);
}

/* An instance's other ids (its interfaces, as the crawler gives them)
 * find it like its id, in any case; the id among them is not doubled;
 * a recrawl without one drops it. */
static void test_alt_ids(void **state)
{
	struct store_fixture *c = *state;
	const char *alt[] = { "eni-0A1B000000000A001", "eni-0a1b000000000a001", "i-7",
			      "eni-0a1b000000000a002" };
	struct inv_item it = { .type = "instance", .id = "i-7", .name = "web-7",
			       .alt_ids = alt, .n_alt_ids = 4 };
	struct inv_crawl *cr = t_begin(c->st, A1, "ec2", T_CRAWL1);
	struct inv_res_list l;
	struct si_err err;

	assert_int_equal(inv_put(cr, &it, &err), 0);
	assert_int_equal(inv_end_target(cr, NULL, T_CRAWL1, NULL, &err), 0);
	l = t_ident(c->st, "ENI-0a1b000000000a001");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].id, "i-7");
	assert_string_equal(l.items[0].matched, "id");
	inv_res_list_free(&l);
	l = t_ident(c->st, "eni-0a1b000000000a002");
	assert_int_equal(l.n, 1);
	inv_res_list_free(&l);
	l = t_ident(c->st, "i-7");
	assert_int_equal(l.n, 1);
	inv_res_list_free(&l);
	/* the second interface detached: the next crawl forgets its id */
	it.n_alt_ids = 1;
	cr = t_begin(c->st, A1, "ec2", T_CRAWL2);
	assert_int_equal(inv_put(cr, &it, &err), 0);
	assert_int_equal(inv_end_target(cr, NULL, T_CRAWL2, NULL, &err), 0);
	l = t_ident(c->st, "eni-0a1b000000000a002");
	assert_int_equal(l.n, 0);
	inv_res_list_free(&l);
	l = t_ident(c->st, "eni-0a1b000000000a001");
	assert_int_equal(l.n, 1);
	inv_res_list_free(&l);
}

/* A scope keeps a name lookup to one account and one region (a global
 * service's rows in every region), so a request narrowed to them gets
 * its own rows, not the organisation's first ones. */
static void test_name_scope(void **state)
{
	struct store_fixture *c = *state;
	const struct t_res other = { .type = "instance", .id = "i-9", .name = "prod-web-9" };
	const struct t_res rec = { .type = "dns-record", .id = "web.example.com. A",
				   .name = "web.example.com" };
	const struct inv_scope a2 = { A2, NULL }, r1 = { NULL, R1 }, nowhere = { NULL, "xx-1" };
	const struct inv_scope a1r1 = { A1, R1 };
	struct inv_crawl *g;
	struct inv_res_list l;
	struct si_err err;

	t_crawl(c->st, T_CRAWL1, s_named, 8);
	t_crawl_svc(c->st, A2, "ec2", T_CRAWL1, &other, 1);
	g = inv_begin_target(c->st, A1, "global", "route53", T_CRAWL1, &err);
	assert_non_null(g);
	t_put(g, &rec);
	assert_int_equal(inv_end_target(g, NULL, T_CRAWL1 + 5, NULL, &err), 0);

	assert_int_equal(inv_lookup_name_in(c->st, "WEB", &a2, 10, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].id, "i-9");
	inv_res_list_free(&l);
	/* one result per account asked for: A2's row is not crowded out */
	assert_int_equal(inv_lookup_name_in(c->st, "web", &a2, 1, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_false(l.truncated);
	assert_string_equal(l.items[0].account, A2);
	inv_res_list_free(&l);
	assert_int_equal(inv_lookup_name_in(c->st, "web", &a1r1, 10, &l, &err), 0);
	assert_int_equal(l.n, 3);       /* Prod-Web-3, Staging-Web, the record */
	inv_res_list_free(&l);
	assert_int_equal(inv_lookup_name_in(c->st, "web", &r1, 10, &l, &err), 0);
	assert_int_equal(l.n, 4);
	inv_res_list_free(&l);
	/* a region nobody crawled: the global record only */
	assert_int_equal(inv_lookup_name_in(c->st, "web", &nowhere, 10, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].region, "global");
	inv_res_list_free(&l);
	assert_int_equal(inv_lookup_name_in(c->st, "web", NULL, 10, &l, &err), 0);
	assert_int_equal(l.n, 4);
	inv_res_list_free(&l);
}

/* Without the trigram index (SQLite without FTS5, PostgreSQL without
 * pg_trgm) the same answers come from a scan. */
static void test_name_without_index(void **state)
{
	struct store_fixture *c = *state;
	struct inv_size sz;

	t_crawl(c->st, T_CRAWL1, s_named, 8);
	assert_int_equal(store_private_exec(c->st, c->is_pg
					    ? "DROP INDEX inv_resource_name_trgm"
					    : "DROP TABLE inv_name_fts", NULL), 0);
	if (!c->is_pg) {
		/* the triggers name the table: they go with it in a real
		 * FTS5-less build, which never made them */
		assert_int_equal(store_private_exec(c->st, "DROP TRIGGER inv_name_ai", NULL), 0);
		assert_int_equal(store_private_exec(c->st, "DROP TRIGGER inv_name_ad", NULL), 0);
		assert_int_equal(store_private_exec(c->st, "DROP TRIGGER inv_name_au", NULL), 0);
	}
	assert_int_equal(inv_size(c->st, &sz, NULL), 0);
	assert_string_equal(sz.name_index, "scan");
	t_name_cases(c->st);
}

/* --- history -------------------------------------------------------------- */

static void t_expect_hold(const struct inv_hold *h, const char *id, time_t from, int fx,
			  time_t to, int tx, const char *reason)
{
	assert_string_equal(h->id, id);
	assert_int_equal(h->from, from);
	assert_int_equal(h->from_exact, fx);
	assert_int_equal(h->to, to);
	assert_int_equal(h->to_exact, tx);
	if (reason == NULL)
		assert_null(h->end_reason);
	else
		assert_string_equal(h->end_reason, reason);
}

static void t_expect_at(struct store *st, const char *text, time_t when, const char *id)
{
	struct inv_hold_list l = t_at(st, text, when);

	if (id == NULL) {
		if (l.n != 0)
			fail_msg("at %s %lld: %zu holders (%s)", text, (long long)when, l.n,
				 l.items[0].id);
	} else {
		if (l.n != 1)
			fail_msg("at %s %lld: %zu holders, want %s", text, (long long)when, l.n,
				 id);
		assert_string_equal(l.items[0].id, id);
	}
	inv_hold_list_free(&l);
}

static void test_address_reused(void **state)
{
	struct store_fixture *c = *state;
	const struct t_res crawl2[] = { s_old_terminated, s_new_running };
	struct inv_hold_list h;

	t_crawl(c->st, T_CRAWL1, &s_old_running, 1);
	t_crawl(c->st, T_CRAWL2, crawl2, 2);
	h = t_history(c->st, "10.1.2.3");
	assert_int_equal(h.n, 2);
	assert_false(h.truncated);
	/* both, in order, with AWS's times: "before: i-old (prod-web-3)
	 * 28 Nov 09:14 -> 1 Dec 11:58, terminated" */
	t_expect_hold(&h.items[0], "i-0old0000000000001", T_OLD_LAUNCH, 1, T_OLD_END, 1,
		      "terminated");
	assert_string_equal(h.items[0].name, "prod-web-3");
	assert_string_equal(h.items[0].addr, "10.1.2.3");
	assert_string_equal(h.items[0].type, "instance");
	assert_string_equal(h.items[0].account, A1);
	t_expect_hold(&h.items[1], "i-0new0000000000002", T_NEW_LAUNCH, 1, 0, 0, NULL);
	assert_string_equal(h.items[1].name, "prod-web-7");
	inv_hold_list_free(&h);
	/* at: the right holder either side of the switch, nobody between */
	t_expect_at(c->st, "10.1.2.3", T_NIGHT, "i-0old0000000000001");
	t_expect_at(c->st, "10.1.2.3", T_OLD_LAUNCH, "i-0old0000000000001");
	t_expect_at(c->st, "10.1.2.3", T_OLD_LAUNCH - 1, NULL);
	t_expect_at(c->st, "10.1.2.3", T_OLD_END - 1, "i-0old0000000000001");
	t_expect_at(c->st, "10.1.2.3", T_OLD_END, NULL);
	t_expect_at(c->st, "10.1.2.3", T_NOON, NULL);
	t_expect_at(c->st, "10.1.2.3", T_NEW_LAUNCH, "i-0new0000000000002");
	t_expect_at(c->st, "10.1.2.3", T_AFTER, "i-0new0000000000002");
	/* by name: who bore it then */
	t_expect_at(c->st, "PROD-WEB-3", T_NIGHT, "i-0old0000000000001");
	t_expect_at(c->st, "prod-web-3", T_AFTER, NULL);
	t_expect_at(c->st, "prod-web", T_AFTER, "i-0new0000000000002");
	t_expect_at(c->st, "prod-web", T_NIGHT, "i-0old0000000000001");
	/* an id's history: the addresses it held */
	h = t_history(c->st, "I-0OLD0000000000001");
	assert_int_equal(h.n, 1);
	t_expect_hold(&h.items[0], "i-0old0000000000001", T_OLD_LAUNCH, 1, T_OLD_END, 1,
		      "terminated");
	inv_hold_list_free(&h);
	/* AWS forgets i-old: it is gone, and its stretch keeps AWS's end */
	t_crawl(c->st, T_AFTER, &s_new_running, 1);
	h = t_history(c->st, "10.1.2.3");
	assert_int_equal(h.n, 2);
	t_expect_hold(&h.items[0], "i-0old0000000000001", T_OLD_LAUNCH, 1, T_OLD_END, 1,
		      "terminated");
	inv_hold_list_free(&h);
	{
		struct inv_res_list l = t_ident(c->st, "i-0old0000000000001");

		assert_int_equal(l.n, 1);
		assert_int_equal(l.items[0].gone_at, T_AFTER);
		assert_int_equal(l.items[0].last_seen, T_CRAWL2);
		assert_int_equal(l.items[0].ended_at, T_OLD_END);
		inv_res_list_free(&l);
	}
	/* the address now finds its present holder only */
	t_expect_one(c->st, "10.1.2.3", "i-0new0000000000002", "addr");
}

/* The first crawl already sees an instance AWS terminated an hour ago,
 * its address still listed: one closed stretch, written once. */
static void test_first_sight_terminated(void **state)
{
	struct store_fixture *c = *state;
	struct t_res r = s_old_terminated;
	struct inv_hold_list h;

	r.addrs[0] = "10.1.2.3";
	t_crawl(c->st, T_CRAWL2, &r, 1);
	t_crawl(c->st, T_CRAWL2 + 300, &r, 1);
	h = t_history(c->st, "10.1.2.3");
	assert_int_equal(h.n, 1);
	t_expect_hold(&h.items[0], "i-0old0000000000001", T_OLD_LAUNCH, 1, T_OLD_END, 1,
		      "terminated");
	inv_hold_list_free(&h);
}

/* Resources absent from a crawl are gone at its time, their stretches
 * closed then (AWS is silent); the others stay. */
static void test_gone_closes_history(void **state)
{
	struct store_fixture *c = *state;
	const struct t_res rs[] = {
		{ .type = "network-interface", .id = "eni-a", .addrs = { "10.0.0.5" } },
		{ .type = "network-interface", .id = "eni-b", .addrs = { "10.0.0.6" } },
	};
	struct inv_end_stats s;
	struct inv_hold_list h;
	struct inv_res_list l;

	t_crawl(c->st, T_CRAWL1, rs, 2);
	s = t_crawl(c->st, T_CRAWL2, &rs[1], 1);
	assert_int_equal(s.gone, 1);
	assert_int_equal(s.items, 1);
	l = t_ident(c->st, "eni-a");
	assert_int_equal(l.n, 1);
	assert_int_equal(l.items[0].gone_at, T_CRAWL2);
	assert_int_equal(l.items[0].last_seen, T_CRAWL1);
	inv_res_list_free(&l);
	h = t_history(c->st, "10.0.0.5");
	assert_int_equal(h.n, 1);
	/* no creation time: the first crawl's time, not exact */
	t_expect_hold(&h.items[0], "eni-a", T_CRAWL1, 0, T_CRAWL2, 0, "gone");
	inv_hold_list_free(&h);
	h = t_history(c->st, "10.0.0.6");
	assert_int_equal(h.n, 1);
	t_expect_hold(&h.items[0], "eni-b", T_CRAWL1, 0, 0, 0, NULL);
	inv_hold_list_free(&h);
	/* it comes back (a listing that missed it): a new stretch from now,
	 * never overlapping the closed one */
	s = t_crawl(c->st, T_AFTER, rs, 2);
	assert_int_equal(s.added, 1);
	h = t_history(c->st, "10.0.0.5");
	assert_int_equal(h.n, 2);
	t_expect_hold(&h.items[1], "eni-a", T_AFTER, 0, 0, 0, NULL);
	inv_hold_list_free(&h);
	l = t_ident(c->st, "eni-a");
	assert_int_equal(l.items[0].gone_at, 0);
	assert_int_equal(l.items[0].first_seen, T_CRAWL1);
	inv_res_list_free(&l);
}

/* A public address released on stop closes at the crawl time; a restart
 * (LaunchTime after the last crawl) opens the new one at LaunchTime; an
 * address added to a running instance opens at the crawl time. */
static void test_released_and_restarted(void **state)
{
	struct store_fixture *c = *state;
	struct t_res r = s_old_running;
	struct inv_hold_list h;
	time_t t2 = T_CRAWL1 + 3600, t3 = T_CRAWL1 + 7200, start = T_CRAWL1 + 5000;

	r.addrs[1] = "54.1.1.1";
	t_crawl(c->st, T_CRAWL1, &r, 1);
	r.addrs[1] = NULL;
	r.state = "stopped";
	t_crawl(c->st, t2, &r, 1);
	r.addrs[1] = "54.2.2.2";
	r.addrs[2] = "10.1.2.50";
	r.state = "running";
	r.hold = start;
	t_crawl(c->st, t3, &r, 1);
	h = t_history(c->st, "54.1.1.1");
	assert_int_equal(h.n, 1);
	t_expect_hold(&h.items[0], r.id, T_OLD_LAUNCH, 1, t2, 0, "released");
	inv_hold_list_free(&h);
	h = t_history(c->st, "54.2.2.2");
	assert_int_equal(h.n, 1);
	t_expect_hold(&h.items[0], r.id, start, 1, 0, 0, NULL);
	inv_hold_list_free(&h);
	/* the private address was held throughout: one stretch */
	h = t_history(c->st, "10.1.2.3");
	assert_int_equal(h.n, 1);
	t_expect_hold(&h.items[0], r.id, T_OLD_LAUNCH, 1, 0, 0, NULL);
	inv_hold_list_free(&h);
	/* a secondary address on the same restart: AWS's LaunchTime too */
	h = t_history(c->st, "10.1.2.50");
	assert_int_equal(h.n, 1);
	t_expect_hold(&h.items[0], r.id, start, 1, 0, 0, NULL);
	inv_hold_list_free(&h);
	/* added while running, no restart: AWS is silent, crawl time */
	r.addrs[3] = "10.1.2.51";
	t_crawl(c->st, t3 + 300, &r, 1);
	h = t_history(c->st, "10.1.2.51");
	assert_int_equal(h.n, 1);
	t_expect_hold(&h.items[0], r.id, t3 + 300, 0, 0, 0, NULL);
	inv_hold_list_free(&h);
	h = t_history(c->st, r.id);
	assert_int_equal(h.n, 5);
	for (size_t i = 1; i < h.n; i++)
		assert_true(h.items[i - 1].from <= h.items[i].from);
	inv_hold_list_free(&h);
}

/* --- failures and crashes ------------------------------------------------- */

static void test_failed_crawl_keeps_data(void **state)
{
	struct store_fixture *c = *state;
	const struct t_res rs[] = { s_old_running, s_new_running };
	struct inv_status_list sl;
	struct inv_res_list l;
	struct inv_crawl *cr;
	struct si_err err;
	char long_err[INV_ERROR_MAX + 100];

	t_crawl(c->st, T_CRAWL1, rs, 2);
	cr = t_begin(c->st, A1, "ec2", T_CRAWL2);
	t_put(cr, &rs[0]);
	assert_int_equal(inv_end_target(cr, "UnauthorizedOperation: You are not authorized",
					T_CRAWL2 + 7, NULL, &err), 0);
	/* both still there, as of the last good crawl */
	l = t_ident(c->st, "i-0new0000000000002");
	assert_int_equal(l.n, 1);
	assert_int_equal(l.items[0].gone_at, 0);
	assert_int_equal(l.items[0].last_seen, T_CRAWL1);
	inv_res_list_free(&l);
	assert_int_equal(inv_status(c->st, 10, &sl, &err), 0);
	assert_int_equal(sl.n, 1);
	assert_string_equal(sl.items[0].account, A1);
	assert_string_equal(sl.items[0].region, R1);
	assert_string_equal(sl.items[0].service, "ec2");
	assert_int_equal(sl.items[0].resources, 2);
	assert_int_equal(sl.items[0].last_ok_at, T_CRAWL1);
	assert_int_equal(sl.items[0].last_try_at, T_CRAWL2);
	assert_string_equal(sl.items[0].last_error,
			    "UnauthorizedOperation: You are not authorized");
	assert_int_equal(sl.items[0].last_error_at, T_CRAWL2 + 7);
	inv_status_list_free(&sl);
	/* an error text too long, or not UTF-8, is cut or replaced */
	memset(long_err, 'x', sizeof(long_err) - 1);
	long_err[sizeof(long_err) - 1] = '\0';
	cr = t_begin(c->st, A1, "ec2", T_CRAWL2 + 60);
	assert_int_equal(inv_end_target(cr, long_err, T_CRAWL2 + 61, NULL, &err), 0);
	assert_int_equal(inv_status(c->st, 10, &sl, &err), 0);
	assert_int_equal(strlen(sl.items[0].last_error), INV_ERROR_MAX);
	inv_status_list_free(&sl);
	cr = t_begin(c->st, A1, "ec2", T_CRAWL2 + 120);
	assert_int_equal(inv_end_target(cr, "bad \xff text", T_CRAWL2 + 121, NULL, &err), 0);
	assert_int_equal(inv_status(c->st, 10, &sl, &err), 0);
	assert_string_equal(sl.items[0].last_error, "(error text is not UTF-8)");
	inv_status_list_free(&sl);
	/* the next good crawl clears the error */
	t_crawl(c->st, T_AFTER, rs, 2);
	assert_int_equal(inv_status(c->st, 10, &sl, &err), 0);
	assert_null(sl.items[0].last_error);
	assert_int_equal(sl.items[0].last_error_at, 0);
	assert_int_equal(sl.items[0].last_ok_at, T_AFTER);
	inv_status_list_free(&sl);
	/* a target whose very first crawl fails shows up with its error */
	cr = t_begin(c->st, A2, "lambda", T_AFTER);
	assert_int_equal(inv_end_target(cr, "AccessDenied", T_AFTER + 1, NULL, &err), 0);
	assert_int_equal(inv_status(c->st, 10, &sl, &err), 0);
	assert_int_equal(sl.n, 2);
	assert_string_equal(sl.items[1].account, A2);
	assert_int_equal(sl.items[1].resources, 0);
	assert_int_equal(sl.items[1].last_ok_at, 0);
	assert_string_equal(sl.items[1].last_error, "AccessDenied");
	inv_status_list_free(&sl);
}

/* The crawl the previous one left, as every interrupted crawl must find
 * it: both resources present as of T_CRAWL1, nothing of the new crawl. */
static void t_expect_first_crawl(struct store *st)
{
	struct inv_status_list sl;
	struct inv_res_list l;
	struct inv_size sz;

	l = t_ident(st, "i-0new0000000000002");
	assert_int_equal(l.n, 1);
	assert_int_equal(l.items[0].gone_at, 0);
	assert_int_equal(l.items[0].last_seen, T_CRAWL1);
	assert_string_equal(l.items[0].state, "running");
	inv_res_list_free(&l);
	l = t_ident(st, "i-0crash-0");
	assert_int_equal(l.n, 0);
	inv_res_list_free(&l);
	assert_int_equal(inv_status(st, 10, &sl, NULL), 0);
	assert_int_equal(sl.n, 1);
	assert_int_equal(sl.items[0].resources, 2);
	assert_int_equal(sl.items[0].last_try_at, T_CRAWL1);
	inv_status_list_free(&sl);
	assert_int_equal(inv_size(st, &sz, NULL), 0);
	assert_int_equal(sz.resources, 2);
	assert_int_equal(sz.history, 2);
}

static struct t_res t_crash_item(size_t i, char *id, size_t n)
{
	struct t_res r = { .type = "instance", .state = "running" };

	snprintf(id, n, "i-0crash-%zu", i);
	r.id = id;
	return r;
}

static void test_interrupted_crawl(void **state)
{
	struct store_fixture *c = *state;
	const struct t_res rs[] = { s_old_running, s_new_running };
	struct inv_crawl *cr;
	struct t_res changed = s_new_running;
	char id[32];

	t_crawl(c->st, T_CRAWL1, rs, 2);
	/* begin, put, then the process stops without ending */
	cr = t_begin(c->st, A1, "ec2", T_CRAWL2);
	changed.state = "stopped";
	t_put(cr, &changed);
	for (size_t i = 0; i < 10; i++) {
		struct t_res r = t_crash_item(i, id, sizeof(id));

		t_put(cr, &r);
	}
	inv_crawl_free(cr);
	store_close(c->st);
	c->st = store_fixture_open(c);
	t_expect_first_crawl(c->st);
}

static void t_kill_self(void *ctx, size_t n)
{
	size_t *at = ctx;

	if (n == *at)
		raise(SIGKILL);
}

/* kill -9 in the middle of inv_end_target's transaction (after half the
 * resources were written): nothing of it is committed. The child opens
 * its own store, as a crawler process would. */
static void test_killed_mid_transaction(void **state)
{
	struct store_fixture *c = *state;
	const struct t_res rs[] = { s_old_running, s_new_running };
	size_t n = 300, kill_at = 150;
	int status = 0;
	pid_t pid;

	t_crawl(c->st, T_CRAWL1, rs, 2);
	store_close(c->st);
	c->st = NULL;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *st = store_open(&c->set, NULL);
		struct inv_crawl *cr;
		char id[32];

		if (st == NULL)
			_exit(2);
		cr = inv_begin_target(st, A1, R1, "ec2", T_CRAWL2, NULL);
		for (size_t i = 0; cr != NULL && i < n; i++) {
			struct t_res r = t_crash_item(i, id, sizeof(id));
			struct inv_kv tag;
			struct inv_item it = t_item(&r, &tag);

			if (inv_put(cr, &it, NULL) != 0)
				_exit(3);
		}
		inv_private_on_write(cr, t_kill_self, &kill_at);
		(void)inv_end_target(cr, NULL, T_CRAWL2 + 5, NULL, NULL);
		_exit(4); /* not reached: killed inside */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	c->st = store_fixture_open(c);
	t_expect_first_crawl(c->st);
	/* and the store takes the next crawl */
	t_crawl(c->st, T_AFTER, rs, 2);
}

/* A database failure is reported, counted for health, and rolls back. */
static void test_database_failure(void **state)
{
	struct store_fixture *c = *state;
	struct store_health h;
	struct inv_res_list l;
	struct inv_crawl *cr;
	struct si_err err;

	t_crawl(c->st, T_CRAWL1, &s_old_running, 1);
	assert_int_equal(store_private_exec(c->st, "DROP TABLE inv_addr_history", &err), 0);
	cr = t_begin(c->st, A1, "ec2", T_CRAWL2);
	t_put(cr, &s_new_running);
	assert_int_equal(inv_end_target(cr, NULL, T_CRAWL2, NULL, &err), -1);
	assert_int_equal(err.code, SI_ERR_IO);
	assert_int_equal(store_health(c->st, &h), STORE_HEALTH_DEGRADED);
	assert_int_equal(h.failures, 1);
	/* rolled back: the resource written before the failure is not there */
	l = t_ident(c->st, "i-0new0000000000002");
	assert_int_equal(l.n, 0);
	inv_res_list_free(&l);
	assert_int_equal(store_health(c->st, NULL), STORE_HEALTH_OK);
	assert_int_equal(inv_history(c->st, "10.1.2.3", 5, (struct inv_hold_list[1]){ 0 },
				     &err), -1);
	assert_int_equal(err.code, SI_ERR_IO);
	assert_int_equal(store_health(c->st, NULL), STORE_HEALTH_DEGRADED);
}

/* --- retention ------------------------------------------------------------ */

static void test_prune(void **state)
{
	struct store_fixture *c = *state;
	struct t_res *many = calloc(T_MANY, sizeof(*many));
	char (*ids)[32] = calloc(T_MANY, sizeof(*ids));
	char (*ips)[24] = calloc(T_MANY, sizeof(*ips));
	time_t now = T_CRAWL2 + 10 * T_DAY;
	size_t deleted = 0, total = 0, calls = 0;
	struct inv_status_list sl;
	struct inv_size sz;
	struct si_err err;

	assert_non_null(many);
	assert_non_null(ids);
	assert_non_null(ips);
	for (size_t i = 0; i < T_MANY; i++) {
		snprintf(ids[i], sizeof(ids[i]), "eni-%06zu", i);
		snprintf(ips[i], sizeof(ips[i]), "10.2.%zu.%zu", i / 250, i % 250 + 1);
		many[i].type = "network-interface";
		many[i].id = ids[i];
		many[i].addrs[0] = ips[i];
	}
	t_crawl_svc(c->st, A1, "vpc", T_CRAWL1, many, T_MANY);
	t_crawl_svc(c->st, A1, "vpc", T_CRAWL2, many, 0); /* all gone */
	/* another target, crawled recently, keeps everything; a third one,
	 * never tried again, is retired */
	t_crawl(c->st, now - 60, &s_new_running, 1);
	t_crawl_svc(c->st, A2, "ec2", T_CRAWL1, &s_old_running, 1);
	assert_int_equal(inv_prune(c->st, 30, now, &deleted, &err), 0);
	assert_int_equal(deleted, 0); /* nothing is 30 days old */
	/* 5 days of history: more than one batch, then the stale target */
	do {
		assert_int_equal(inv_prune(c->st, 5, now, &deleted, &err), 0);
		total += deleted;
		calls++;
	} while (deleted > 0 && calls < 10);
	assert_true(calls >= 3); /* batches of INV_PRUNE_BATCH */
	assert_true(total > 2 * T_MANY); /* stretches, identifiers, resources */
	assert_int_equal(inv_size(c->st, &sz, &err), 0);
	assert_int_equal(sz.resources, 1);
	assert_int_equal(sz.present, 1);
	assert_int_equal(sz.history, 1);
	assert_int_equal(sz.idents, 2); /* i-new: id and address */
	assert_true(sz.db_bytes > 0);
	/* the two stale targets (A1 vpc, A2 ec2) were retired */
	assert_int_equal(inv_status(c->st, 10, &sl, &err), 0);
	assert_int_equal(sl.n, 1);
	assert_string_equal(sl.items[0].account, A1);
	assert_string_equal(sl.items[0].service, "ec2");
	inv_status_list_free(&sl);
	t_expect_one(c->st, "10.1.2.3", "i-0new0000000000002", "addr");
	assert_int_equal(inv_prune(c->st, 0, now, NULL, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_int_equal(inv_prune(c->st, INV_HISTORY_DAYS_MAX + 1, now, NULL, &err), -1);
	free(many);
	free(ids);
	free(ips);
}

/* --- schema --------------------------------------------------------------- */

/* A version-1 database (this code's v1 schema: the v2 objects dropped,
 * the version set back) is upgraded in place at open; its journal and
 * replay rows survive. */
/* A schema newer than this build's is still refused. */
static void t_expect_newer_refused(struct store_fixture *c)
{
	char sql[64], want[32];
	struct si_err err;

	snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d",
		 STORE_SCHEMA_VERSION + 1);
	snprintf(want, sizeof(want), "schema version %d", STORE_SCHEMA_VERSION + 1);
	assert_int_equal(store_private_exec(c->st, sql, &err), 0);
	store_close(c->st);
	c->st = store_open(&c->set, &err);
	assert_null(c->st);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_non_null(strstr(err.msg, want));
}

static void test_migrate_v1(void **state)
{
	struct store_fixture *c = *state;
	const char *drops[] = {
		"DROP TABLE inv_target", "DROP TABLE inv_resource", "DROP TABLE inv_ident",
		"DROP TABLE inv_addr_history", "DROP TABLE kept_results",
		"UPDATE schema_version SET version = 1"
	};
	struct store_job j, *got = NULL;
	char id[STORE_JOB_ID_SIZE];
	enum store_replay r;
	struct si_err err;

	if (!c->is_pg)
		assert_int_equal(store_private_exec(c->st, "DROP TABLE inv_name_fts", &err), 0);
	for (size_t i = 0; i < sizeof(drops) / sizeof(drops[0]); i++)
		assert_int_equal(store_private_exec(c->st, drops[i], &err), 0);
	memset(&j, 0, sizeof(j));
	j.response_url = "https://hooks.slack.com/commands/T1/1/abc";
	j.text = "10.1.2.3";
	j.created_at = T_CRAWL1;
	assert_int_equal(store_journal_add(c->st, &j, id, &err), 0);
	assert_int_equal(store_replay_claim(c->st, "v0=abc", T_CRAWL1 + 300, T_CRAWL1, &r, &err),
			 0);
	/* v1 as the old code left it: no inventory */
	assert_int_equal(inv_status(c->st, 10, (struct inv_status_list[1]){ 0 }, &err), -1);
	store_close(c->st);
	c->st = store_fixture_open(c);
	assert_int_equal(store_journal_get(c->st, id, &got, &err), 0);
	assert_string_equal(got->text, "10.1.2.3");
	store_job_free(got);
	assert_int_equal(store_replay_claim(c->st, "v0=abc", T_CRAWL1 + 300, T_CRAWL1 + 1, &r,
					    &err), 0);
	assert_int_equal(r, STORE_REPLAY_SEEN);
	t_crawl(c->st, T_CRAWL1, s_named, 8);
	t_name_cases(c->st);
	t_expect_one(c->st, "sg-1", "sg-1", "id");
	t_expect_newer_refused(c);
}

/* --- claims ----------------------------------------------------------------- */

/* Targets the claim tests race over: 3 accounts x 4 regions x 3 services,
 * few enough for valgrind, enough that two claimers interleave. */
#define T_CLAIM_N 36
#define T_CLAIM_ROUNDS 12
#define T_LEASE 300

static const char *const s_accts[] = { A1, A2, "333333333333" };
static const char *const s_regions[] = { "eu-west-2", "us-east-1", "ap-south-1", "global" };
static const char *const s_svcs[] = { "ec2", "elb", "route53" };

static void t_claim_set(struct inv_claim v[T_CLAIM_N])
{
	memset(v, 0, T_CLAIM_N * sizeof(*v));
	for (size_t i = 0; i < T_CLAIM_N; i++) {
		v[i].account = s_accts[i / 12];
		v[i].region = s_regions[(i / 3) % 4];
		v[i].service = s_svcs[i % 3];
	}
}

/* inv_claim that must succeed and claim `want` of the n (SIZE_MAX: any). */
static size_t t_claim(struct store *st, const char *owner, time_t now, time_t tried_before,
		      struct inv_claim *v, size_t n, size_t want)
{
	struct si_err err;
	size_t got = 0, count = 0;

	if (inv_claim(st, owner, now, now + T_LEASE, tried_before, v, n, &got, &err) != 0)
		fail_msg("claim by %s: %s", owner, err.msg);
	for (size_t i = 0; i < n; i++)
		count += v[i].claimed != 0;
	assert_int_equal(count, got);
	if (want != SIZE_MAX && got != want)
		fail_msg("%s claimed %zu of %zu, want %zu", owner, got, n, want);
	return got;
}

struct t_claimer {
	struct store *st;
	const char *owner;
	time_t now;
	int reversed;             /* claims the list in the other order */
	struct inv_claim v[T_CLAIM_N];
	pthread_barrier_t *go;
	int rc;
	char msg[256];
};

static void *t_claim_racer(void *arg)
{
	struct t_claimer *r = arg;
	struct inv_claim tmp[T_CLAIM_N];
	struct si_err err;

	t_claim_set(tmp);
	for (size_t i = 0; i < T_CLAIM_N; i++)
		r->v[i] = tmp[r->reversed ? T_CLAIM_N - 1 - i : i];
	pthread_barrier_wait(r->go);
	r->rc = inv_claim(r->st, r->owner, r->now, r->now + T_LEASE, r->now - 60, r->v,
			  T_CLAIM_N, NULL, &err);
	if (r->rc != 0)
		snprintf(r->msg, sizeof(r->msg), "%s", err.msg);
	return NULL;
}

/* Index of target (a, r, s) in t_claim_set's order. */
static size_t t_claim_index(const struct inv_claim *c)
{
	for (size_t i = 0; i < T_CLAIM_N; i++)
		if (strcmp(c->account, s_accts[i / 12]) == 0 &&
		    strcmp(c->region, s_regions[(i / 3) % 4]) == 0 &&
		    strcmp(c->service, s_svcs[i % 3]) == 0)
			return i;
	fail_msg("no such target");
	return 0;
}

/*
 * Two store handles (two crawlers: two processes' connections on
 * PostgreSQL, two connections to one file on SQLite) claim the same
 * targets at the same moment, in opposite orders, round after round:
 * every target goes to exactly one of them, and no round deadlocks.
 */
static void test_claim_disjoint(void **state)
{
	struct store_fixture *c = *state;
	struct store *second = store_fixture_open(c);
	struct t_claimer r[2];

	for (int round = 0; round < T_CLAIM_ROUNDS; round++) {
		pthread_barrier_t go;
		pthread_t th[2];
		int owner_of[T_CLAIM_N];
		struct si_err err;

		memset(r, 0, sizeof(r));
		memset(owner_of, 0, sizeof(owner_of));
		pthread_barrier_init(&go, NULL, 2);
		for (int k = 0; k < 2; k++) {
			r[k].st = k == 0 ? c->st : second;
			r[k].owner = k == 0 ? "host-a:1:0:0000000a" : "host-b:2:0:0000000b";
			r[k].now = T_CRAWL1 + round * 1000;
			r[k].reversed = k;
			r[k].go = &go;
			assert_int_equal(pthread_create(&th[k], NULL, t_claim_racer, &r[k]), 0);
		}
		for (int k = 0; k < 2; k++)
			pthread_join(th[k], NULL);
		pthread_barrier_destroy(&go);
		for (int k = 0; k < 2; k++) {
			if (r[k].rc != 0)
				fail_msg("round %d: claimer %d: %s", round, k, r[k].msg);
			for (size_t i = 0; i < T_CLAIM_N; i++) {
				size_t at = t_claim_index(&r[k].v[i]);

				if (!r[k].v[i].claimed) {
					/* the other holds it, and it says so */
					assert_string_equal(r[k].v[i].holder, r[!k].owner);
					assert_int_equal(r[k].v[i].held_until, r[k].now + T_LEASE);
					continue;
				}
				if (owner_of[at] != 0)
					fail_msg("round %d: target %zu claimed twice", round, at);
				owner_of[at] = k + 1;
			}
		}
		for (size_t i = 0; i < T_CLAIM_N; i++)
			if (owner_of[i] == 0)
				fail_msg("round %d: target %zu claimed by nobody", round, i);
		assert_int_equal(inv_release(c->st, r[0].owner, NULL, &err), 0);
		assert_int_equal(inv_release(second, r[1].owner, NULL, &err), 0);
	}
	store_close(second);
}

/*
 * A lease: another's live claim holds the target (even for force); at
 * claimed_until it is free to take; a crawl that ends releases its own
 * claim only; a target written since is not due, except for force.
 */
static void test_claim_lapse(void **state)
{
	struct store_fixture *c = *state;
	struct inv_claim v[1] = { { .account = A1, .region = R1, .service = "ec2" } };
	struct inv_status_list sl;
	struct inv_crawl *cr;
	struct si_err err;
	size_t n = 0;

	/* a: a crawler that dies holding the target */
	t_claim(c->st, "a", T_CRAWL1, T_CRAWL1 - 60, v, 1, 1);
	t_claim(c->st, "b", T_CRAWL1 + 10, T_CRAWL1 - 60, v, 1, 0);
	assert_string_equal(v[0].holder, "a");
	assert_int_equal(v[0].held_until, T_CRAWL1 + T_LEASE);
	t_claim(c->st, "b", T_CRAWL1 + 10, 0, v, 1, 0);   /* force too */
	assert_int_equal(inv_status(c->st, 10, &sl, &err), 0);
	assert_int_equal(sl.n, 1);
	assert_string_equal(sl.items[0].claimed_by, "a");
	assert_int_equal(sl.items[0].claimed_until, T_CRAWL1 + T_LEASE);
	assert_int_equal(sl.items[0].last_try_at, 0);
	inv_status_list_free(&sl);
	/* a renews its own claim */
	t_claim(c->st, "a", T_CRAWL1 + 20, T_CRAWL1 - 60, v, 1, 1);
	/* the lease lapses: b takes it (a restarted crawler is a new owner) */
	t_claim(c->st, "b", T_CRAWL1 + 20 + T_LEASE - 1, T_CRAWL1 - 60, v, 1, 0);
	t_claim(c->st, "b", T_CRAWL1 + 20 + T_LEASE, T_CRAWL1 - 60, v, 1, 1);
	/* a's late write releases nothing of b's claim */
	cr = t_begin(c->st, A1, "ec2", T_CRAWL1 + 30);
	assert_int_equal(inv_crawl_owner(cr, "a", &err), 0);
	t_put(cr, &s_old_running);
	assert_int_equal(inv_end_target(cr, NULL, T_CRAWL1 + 400, NULL, &err), 0);
	assert_int_equal(inv_status(c->st, 10, &sl, &err), 0);
	assert_string_equal(sl.items[0].claimed_by, "b");
	inv_status_list_free(&sl);
	/* b's write releases b's claim, in the same transaction */
	cr = t_begin(c->st, A1, "ec2", T_CRAWL2);
	assert_int_equal(inv_crawl_owner(cr, "b", &err), 0);
	t_put(cr, &s_old_running);
	assert_int_equal(inv_end_target(cr, NULL, T_CRAWL2 + 5, NULL, &err), 0);
	assert_int_equal(inv_status(c->st, 10, &sl, &err), 0);
	assert_null(sl.items[0].claimed_by);
	assert_int_equal(sl.items[0].claimed_until, 0);
	assert_int_equal(sl.items[0].last_try_at, T_CRAWL2);
	inv_status_list_free(&sl);
	/* written since the due list was read: not due, and no holder */
	t_claim(c->st, "c", T_CRAWL2 + 10, T_CRAWL2 - 1, v, 1, 0);
	assert_string_equal(v[0].holder, "");
	assert_int_equal(v[0].held_until, 0);
	assert_int_equal(v[0].last_try_at, T_CRAWL2);
	/* due again, or forced: taken */
	t_claim(c->st, "c", T_CRAWL2 + 10, T_CRAWL2, v, 1, 1);
	assert_int_equal(inv_release(c->st, "c", &n, &err), 0);
	assert_int_equal(n, 1);
	t_claim(c->st, "d", T_CRAWL2 + 10, 0, v, 1, 1);
	/* a failed crawl releases its claim too */
	cr = t_begin(c->st, A1, "ec2", T_CRAWL2 + 20);
	assert_int_equal(inv_crawl_owner(cr, "d", &err), 0);
	assert_int_equal(inv_end_target(cr, "Throttling: slow down", T_CRAWL2 + 30, NULL, &err),
			 0);
	assert_int_equal(inv_release(c->st, "d", &n, &err), 0);
	assert_int_equal(n, 0);
}

/* A claimed target the crawler never wrote (killed before its first
 * crawl) is not retired by another crawler's prune while claimed. */
static void test_claim_not_pruned(void **state)
{
	struct store_fixture *c = *state;
	struct inv_claim v[1] = { { .account = A2, .region = R1, .service = "ec2" } };
	time_t now = T_CRAWL1 + 100 * T_DAY;
	struct inv_status_list sl;
	struct si_err err;
	size_t del = 0;

	t_claim(c->st, "a", now, now - 60, v, 1, 1);
	assert_int_equal(inv_prune(c->st, 1, now + 10, &del, &err), 0);
	assert_int_equal(inv_status(c->st, 10, &sl, &err), 0);
	assert_int_equal(sl.n, 1);
	inv_status_list_free(&sl);
}

static void test_claim_bad_input(void **state)
{
	struct store_fixture *c = *state;
	struct inv_claim v[1] = { { .account = A1, .region = R1, .service = "ec2" } };
	struct inv_claim bad[1] = { { .account = "1234", .region = R1, .service = "ec2" } };
	char longer[INV_OWNER_MAX + 2];
	struct inv_crawl *cr;
	struct si_err err;

	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(inv_claim(c->st, "", T_CRAWL1, T_CRAWL1 + 1, 0, v, 1, NULL, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_int_equal(inv_claim(c->st, "a b", T_CRAWL1, T_CRAWL1 + 1, 0, v, 1, NULL, &err),
			 -1);
	assert_int_equal(inv_claim(c->st, longer, T_CRAWL1, T_CRAWL1 + 1, 0, v, 1, NULL, &err),
			 -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	assert_int_equal(inv_claim(c->st, "a", T_CRAWL1, T_CRAWL1, 0, v, 1, NULL, &err), -1);
	assert_int_equal(inv_claim(c->st, "a", T_CRAWL1, T_CRAWL1 + 1, 0, bad, 1, NULL, &err),
			 -1);
	assert_int_equal(inv_claim(c->st, "a", T_CRAWL1, T_CRAWL1 + 1, 0, v,
				   INV_CLAIM_MAX + 1, NULL, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	assert_int_equal(inv_claim(NULL, "a", T_CRAWL1, T_CRAWL1 + 1, 0, v, 1, NULL, &err), -1);
	assert_int_equal(inv_claim(c->st, "a", T_CRAWL1, T_CRAWL1 + 1, 0, v, 0, NULL, &err), 0);
	assert_int_equal(inv_release(c->st, "a\n", NULL, &err), -1);
	cr = t_begin(c->st, A1, "ec2", T_CRAWL1);
	assert_int_equal(inv_crawl_owner(cr, longer, &err), -1);
	inv_crawl_free(cr);
	/* nothing was claimed by any of it */
	t_claim(c->st, "b", T_CRAWL1, 0, v, 1, 1);
}

/* v2 -> v3 in place: a v2 database (the inventory without the claim
 * columns, as the v2 code made it) keeps every row, and claims work. */
static void test_migrate_v2(void **state)
{
	struct store_fixture *c = *state;
	const char *to_v2[] = {
		"ALTER TABLE inv_target DROP COLUMN claimed_by",
		"ALTER TABLE inv_target DROP COLUMN claimed_until", "DROP TABLE kept_results",
		"UPDATE schema_version SET version = 2"
	};
	struct inv_claim v[2] = { { .account = A1, .region = R1, .service = "ec2" },
				  { .account = A1, .region = R1, .service = "elb" } };
	struct inv_status_list sl;
	struct inv_hold_list hl;
	struct si_err err;

	t_crawl(c->st, T_CRAWL1, &s_old_running, 1);
	t_crawl(c->st, T_CRAWL2, (const struct t_res[]){ s_old_terminated, s_new_running }, 2);
	t_crawl_svc(c->st, A1, "elb", T_CRAWL1, s_named, 3);
	for (size_t i = 0; i < sizeof(to_v2) / sizeof(to_v2[0]); i++)
		assert_int_equal(store_private_exec(c->st, to_v2[i], &err), 0);
	/* v2 as the old code left it: no claims */
	assert_int_equal(inv_claim(c->st, "a", T_AFTER, T_AFTER + 60, 0, v, 1, NULL, &err), -1);
	store_close(c->st);
	c->st = store_fixture_open(c);
	/* the history, the names and the targets are all still there */
	hl = t_history(c->st, "10.1.2.3");
	assert_int_equal(hl.n, 2);
	t_expect_hold(&hl.items[0], "i-0old0000000000001", T_OLD_LAUNCH, 1, T_OLD_END, 1,
		      "terminated");
	t_expect_hold(&hl.items[1], "i-0new0000000000002", T_NEW_LAUNCH, 1, 0, 0, NULL);
	inv_hold_list_free(&hl);
	t_expect_names(c->st, "-web-", "Prod-Web-3,prod-web-3,prod-web-7");
	t_expect_one(c->st, "i-2", "i-2", "id");
	assert_int_equal(inv_status(c->st, 10, &sl, &err), 0);
	assert_int_equal(sl.n, 2);
	assert_int_equal(sl.items[0].last_try_at, T_CRAWL2);
	assert_null(sl.items[0].claimed_by);
	assert_int_equal(sl.items[0].claimed_until, 0);
	inv_status_list_free(&sl);
	/* and the new columns work */
	t_claim(c->st, "a", T_AFTER, 0, v, 2, 2);
	t_expect_newer_refused(c);
}

/* --- caps and bad input --------------------------------------------------- */

static void t_put_fails(struct inv_crawl *c, const struct inv_item *it, enum si_err_code code,
			const char *needle)
{
	struct si_err err;

	assert_int_equal(inv_put(c, it, &err), -1);
	if (err.code != code || strstr(err.msg, needle) == NULL)
		fail_msg("put: got %s '%s', want %s '%s'", si_err_code_name(err.code), err.msg,
			 si_err_code_name(code), needle);
}

static void test_caps(void **state)
{
	struct store_fixture *c = *state;
	const char *addrs[INV_ADDRS_MAX + 1];
	const char *dns[INV_DNS_MAX + 1];
	struct inv_kv tags[INV_TAGS_MAX + 1];
	char (*ips)[24] = calloc(INV_ADDRS_MAX + 1, sizeof(*ips));
	char *big = malloc(INV_CARD_MAX + 2);
	struct inv_item it = { .type = "instance", .id = "i-1" };
	struct inv_crawl *cr = t_begin(c->st, A1, "ec2", T_CRAWL1);
	struct inv_end_stats s;
	struct inv_res_list l;
	struct si_err err;

	assert_non_null(ips);
	assert_non_null(big);
	for (size_t i = 0; i <= INV_ADDRS_MAX; i++) {
		snprintf(ips[i], sizeof(ips[i]), "10.3.%zu.%zu", i / 200, i % 200);
		addrs[i] = ips[i];
	}
	for (size_t i = 0; i <= INV_DNS_MAX; i++)
		dns[i] = "a.example.com";
	for (size_t i = 0; i <= INV_TAGS_MAX; i++) {
		tags[i].key = "k";
		tags[i].value = "v";
	}
	it.addrs = addrs;
	it.n_addrs = INV_ADDRS_MAX + 1;
	t_put_fails(cr, &it, SI_ERR_LIMIT, "addresses");
	it.n_addrs = INV_ADDRS_MAX; /* at the cap: taken */
	assert_int_equal(inv_put(cr, &it, &err), 0);
	it.n_addrs = 0;
	it.dns = dns;
	it.n_dns = INV_DNS_MAX + 1;
	t_put_fails(cr, &it, SI_ERR_LIMIT, "DNS");
	it.n_dns = 0;
	it.tags = tags;
	it.n_tags = INV_TAGS_MAX + 1;
	t_put_fails(cr, &it, SI_ERR_LIMIT, "tags");
	it.n_tags = 0;
	it.alt_ids = dns;
	it.n_alt_ids = INV_ALT_IDS_MAX + 1;
	t_put_fails(cr, &it, SI_ERR_LIMIT, "other ids");
	it.n_alt_ids = 0;
	memset(big, '{', INV_CARD_MAX + 1);
	big[INV_CARD_MAX + 1] = '\0';
	it.card = big;
	t_put_fails(cr, &it, SI_ERR_LIMIT, "card");
	it.card = NULL;
	assert_int_equal(inv_end_target(cr, NULL, T_CRAWL1, &s, &err), 0);
	assert_int_equal(s.items, 1);
	l = t_ident(c->st, "10.3.1.55");
	assert_int_equal(l.n, 1);
	inv_res_list_free(&l);
	/* result limits */
	assert_int_equal(inv_lookup_ident(c->st, "i-1", 0, &l, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_int_equal(inv_lookup_ident(c->st, "i-1", INV_LOOKUP_MAX + 1, &l, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	assert_int_equal(inv_lookup_name(c->st, "x", INV_LOOKUP_MAX + 1, &l, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	assert_int_equal(inv_status(c->st, INV_STATUS_MAX + 1,
				    (struct inv_status_list[1]){ 0 }, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	memset(big, 'a', INV_QUERY_MAX + 1);
	big[INV_QUERY_MAX + 1] = '\0';
	assert_int_equal(inv_lookup_ident(c->st, big, 5, &l, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	free(ips);
	free(big);
}

/* The crawl-size cap: the (INV_CRAWL_ITEMS_MAX + 1)-th put is refused.
 * Runs with SI_TEST_SLOW=1 (valgrind makes 100,000 puts take minutes). */
static void test_crawl_cap(void **state)
{
	struct store_fixture *c = *state;
	struct inv_item it = { .type = "instance" };
	struct inv_crawl *cr;
	struct si_err err;
	char id[32];

	if (getenv("SI_TEST_SLOW") == NULL) {
		print_message("skipped: set SI_TEST_SLOW=1 for the 100,000-put cap\n");
		return;
	}
	cr = t_begin(c->st, A1, "ec2", T_CRAWL1);
	it.id = id;
	for (size_t i = 0; i < INV_CRAWL_ITEMS_MAX; i++) {
		snprintf(id, sizeof(id), "i-%zu", i);
		assert_int_equal(inv_put(cr, &it, &err), 0);
	}
	assert_int_equal(inv_put(cr, &it, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	inv_crawl_free(cr);
}

static void test_bad_input(void **state)
{
	struct store_fixture *c = *state;
	const char *bad_addr[] = { "10.1.2" };
	const char *bad_dns[] = { "a b.example.com" };
	const char *null_addr[] = { NULL };
	struct inv_item it = { .type = "instance", .id = "i-1" };
	struct inv_item bad = it;
	struct inv_res_list l;
	struct inv_end_stats s;
	struct inv_crawl *cr;
	struct si_err err;

	assert_null(inv_begin_target(NULL, A1, R1, "ec2", T_CRAWL1, &err));
	assert_null(inv_begin_target(c->st, "12345", R1, "ec2", T_CRAWL1, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(inv_begin_target(c->st, "11111111111x", R1, "ec2", T_CRAWL1, &err));
	assert_null(inv_begin_target(c->st, A1, "EU-WEST-2", "ec2", T_CRAWL1, &err));
	assert_null(inv_begin_target(c->st, A1, R1, "", T_CRAWL1, &err));
	assert_null(inv_begin_target(c->st, A1, R1, "ec2", 0, &err));
	assert_int_equal(inv_end_target(NULL, NULL, T_CRAWL1, NULL, &err), -1);
	inv_crawl_free(NULL);
	cr = t_begin(c->st, A1, "ec2", T_CRAWL1);
	assert_int_equal(inv_put(NULL, &it, &err), -1);
	assert_int_equal(inv_put(cr, NULL, &err), -1);
	bad.type = NULL;
	t_put_fails(cr, &bad, SI_ERR_INVALID, "type");
	bad.type = "Instance";
	t_put_fails(cr, &bad, SI_ERR_INVALID, "type");
	bad = it;
	bad.id = "";
	t_put_fails(cr, &bad, SI_ERR_INVALID, "id");
	bad = it;
	bad.name = "bad \xc3\x28";
	t_put_fails(cr, &bad, SI_ERR_INVALID, "name");
	bad = it;
	bad.addrs = bad_addr;
	bad.n_addrs = 1;
	t_put_fails(cr, &bad, SI_ERR_INVALID, "10.1.2");
	bad.addrs = null_addr;
	t_put_fails(cr, &bad, SI_ERR_INVALID, "not an IP");
	bad.addrs = NULL;
	t_put_fails(cr, &bad, SI_ERR_INVALID, "array");
	bad = it;
	bad.dns = bad_dns;
	bad.n_dns = 1;
	t_put_fails(cr, &bad, SI_ERR_INVALID, "DNS");
	bad = it;
	bad.hold_start = T_CRAWL1;
	bad.ended_at = T_CRAWL1 - 1;
	t_put_fails(cr, &bad, SI_ERR_INVALID, "ended");
	bad = it;
	bad.created = -5;
	t_put_fails(cr, &bad, SI_ERR_INVALID, "1970");
	/* the crawl is still good after refused items */
	assert_int_equal(inv_put(cr, &it, &err), 0);
	assert_int_equal(inv_end_target(cr, NULL, T_CRAWL1, &s, &err), 0);
	assert_int_equal(s.items, 1);
	/* lookups */
	assert_int_equal(inv_lookup_ident(NULL, "i-1", 5, &l, &err), -1);
	assert_int_equal(inv_lookup_ident(c->st, NULL, 5, &l, &err), -1);
	assert_int_equal(inv_lookup_ident(c->st, "", 5, &l, &err), -1);
	assert_int_equal(inv_lookup_ident(c->st, "i-\xff", 5, &l, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_int_equal(inv_lookup_ident(c->st, "i-1", 5, NULL, &err), -1);
	assert_int_equal(inv_lookup_name(c->st, "", 5, &l, &err), -1);
	assert_int_equal(inv_history(c->st, NULL, 5, (struct inv_hold_list[1]){ 0 }, &err), -1);
	assert_int_equal(inv_at(c->st, "", T_CRAWL1, 5, (struct inv_hold_list[1]){ 0 }, &err),
			 -1);
	assert_int_equal(inv_status(NULL, 5, (struct inv_status_list[1]){ 0 }, &err), -1);
	assert_int_equal(inv_size(NULL, (struct inv_size[1]){ { 0 } }, &err), -1);
	assert_int_equal(inv_prune(NULL, 5, T_CRAWL1, NULL, &err), -1);
	inv_res_list_free(NULL);
	inv_hold_list_free(NULL);
	inv_status_list_free(NULL);
	/* caller mistakes never count against health */
	assert_int_equal(store_health(c->st, NULL), STORE_HEALTH_OK);
}

/* Targets are account x region x service: a failing or empty service
 * never touches another's resources. */
static void test_services_apart(void **state)
{
	struct store_fixture *c = *state;
	const struct t_res lambda = { .type = "lambda-function", .id = "my-fn",
				      .name = "my-fn" };
	struct inv_end_stats s;
	struct inv_res_list l;

	t_crawl(c->st, T_CRAWL1, &s_old_running, 1);
	t_crawl_svc(c->st, A1, "lambda", T_CRAWL1, &lambda, 1);
	s = t_crawl_svc(c->st, A1, "lambda", T_CRAWL2, NULL, 0);
	assert_int_equal(s.gone, 1);
	l = t_ident(c->st, "i-0old0000000000001");
	assert_int_equal(l.items[0].gone_at, 0);
	inv_res_list_free(&l);
	l = t_ident(c->st, "my-fn");
	assert_int_equal(l.items[0].gone_at, T_CRAWL2);
	assert_string_equal(l.items[0].service, "lambda");
	inv_res_list_free(&l);
}

/* --- runner --------------------------------------------------------------- */

#define T_ALL(setup)                                                                      \
	cmocka_unit_test_setup_teardown(test_put_and_lookup, setup, t_teardown),           \
	cmocka_unit_test_setup_teardown(test_recrawl_changes_only, setup, t_teardown),     \
	cmocka_unit_test_setup_teardown(test_name_substring, setup, t_teardown),           \
	cmocka_unit_test_setup_teardown(test_name_scope, setup, t_teardown),               \
	cmocka_unit_test_setup_teardown(test_alt_ids, setup, t_teardown),                  \
	cmocka_unit_test_setup_teardown(test_name_without_index, setup, t_teardown),       \
	cmocka_unit_test_setup_teardown(test_address_reused, setup, t_teardown),           \
	cmocka_unit_test_setup_teardown(test_first_sight_terminated, setup, t_teardown),   \
	cmocka_unit_test_setup_teardown(test_gone_closes_history, setup, t_teardown),      \
	cmocka_unit_test_setup_teardown(test_released_and_restarted, setup, t_teardown),   \
	cmocka_unit_test_setup_teardown(test_failed_crawl_keeps_data, setup, t_teardown),  \
	cmocka_unit_test_setup_teardown(test_interrupted_crawl, setup, t_teardown),        \
	cmocka_unit_test_setup_teardown(test_killed_mid_transaction, setup, t_teardown),   \
	cmocka_unit_test_setup_teardown(test_database_failure, setup, t_teardown),         \
	cmocka_unit_test_setup_teardown(test_prune, setup, t_teardown),                    \
	cmocka_unit_test_setup_teardown(test_migrate_v1, setup, t_teardown),               \
	cmocka_unit_test_setup_teardown(test_migrate_v2, setup, t_teardown),               \
	cmocka_unit_test_setup_teardown(test_claim_disjoint, setup, t_teardown),           \
	cmocka_unit_test_setup_teardown(test_claim_lapse, setup, t_teardown),              \
	cmocka_unit_test_setup_teardown(test_claim_not_pruned, setup, t_teardown),         \
	cmocka_unit_test_setup_teardown(test_claim_bad_input, setup, t_teardown),          \
	cmocka_unit_test_setup_teardown(test_caps, setup, t_teardown),                     \
	cmocka_unit_test_setup_teardown(test_crawl_cap, setup, t_teardown),                \
	cmocka_unit_test_setup_teardown(test_bad_input, setup, t_teardown),                \
	cmocka_unit_test_setup_teardown(test_services_apart, setup, t_teardown)

int main(void)
{
	const struct CMUnitTest sqlite_tests[] = { T_ALL(t_setup_sqlite) };
	const struct CMUnitTest pg_tests[] = { T_ALL(store_fixture_setup_pg) };

	return store_fixture_main("inventory", "test_inventory_pg.sh", sqlite_tests,
				  sizeof(sqlite_tests) / sizeof(sqlite_tests[0]), pg_tests,
				  sizeof(pg_tests) / sizeof(pg_tests[0]));
}
