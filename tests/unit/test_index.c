/*
 * test_index.c - the search asks the inventory first (common/index.h).
 *
 * A SQLite state store in a temporary directory, filled with inv_* as the
 * crawler would (inv_begin_target / inv_put / inv_end_target), and three
 * configured accounts. Each test plans a query as the pool does
 * (query_parse_at, plan_from_query) and checks what idx_prepare made of
 * the spec and what idx_finish added to a live result built by hand.
 *
 * The history is the issue's own (as in test_inventory.c): 10.1.2.3 held
 * by i-old (prod-web-3) from 28 Nov 09:14, terminated 1 Dec 11:58:03 (the
 * time in its StateTransitionReason), then by i-new (prod-web-7) launched
 * at 12:03.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index.h"
#include "render.h"
#include "search/plan.h"
#include "inventory_story.h"
#include "search/registry.h"
#include "store/inventory.h"
#include "store/private/backend.h"
#include "store/store.h"

#define T_ASKED ((time_t)1796130240)      /* 1 Dec 13:04 */

#define A3 "333333333333"
#define A9 "999999999999"  /* in the inventory, not configured */
#define R2 "us-east-1"

#define OLD "i-0a1d000000000a001"
#define NEW "i-0e3d000000000a002"

/* --- the accounts the search sees ---------------------------------------- */

static char *s_prod_regions[] = { "eu-west-2", "us-east-1" };
static char *s_stag_regions[] = { "eu-west-2", "eu-west-1" };
static char *s_dev_regions[] = { "eu-west-2" };

static struct si_account s_accounts[] = {
	{ .alias = "production", .role_arn = "arn:aws:iam::111111111111:role/Search",
	  .regions = s_prod_regions, .n_regions = 2 },
	{ .alias = "staging", .role_arn = "arn:aws:iam::222222222222:role/Search",
	  .regions = s_stag_regions, .n_regions = 2 },
	{ .alias = "dev", .role_arn = "arn:aws:iam::333333333333:role/Search",
	  .regions = s_dev_regions, .n_regions = 1 },
};

static const struct si_account *s_account_v[] = { &s_accounts[0], &s_accounts[1],
						  &s_accounts[2] };
static const struct search_accounts s_accs = { s_account_v, 3, NULL };

/* The accounts t_prepare_as plans with (a test of many accounts swaps
 * its own in and back). */
static const struct search_accounts *s_use = &s_accs;

/* --- fixtures ------------------------------------------------------------- */

struct t_ctx {
	char dir[PATH_MAX];
	char path[PATH_MAX];
	struct store *st;
	struct idx *ix;
	/* the last prepared search and what it borrows */
	struct query q;
	struct plan plan;
	struct idx_search xs;
};

static int t_setup(void **state)
{
	struct t_ctx *c = calloc(1, sizeof(*c));
	struct store_settings set = { 0 };
	struct si_err err;

	assert_non_null(c);
	snprintf(c->dir, sizeof(c->dir), "%s/test_index.XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->path, sizeof(c->path), "%s/state.db", c->dir);
	set.path = c->path;
	c->st = store_open(&set, &err);
	if (c->st == NULL)
		fail_msg("store_open: %s", err.msg);
	c->ix = idx_new_store(c->st, &err);
	assert_non_null(c->ix);
	*state = c;
	return 0;
}

static void t_rm(const char *dir, const char *name)
{
	char p[PATH_MAX + 32];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	(void)unlink(p);
}

static int t_teardown(void **state)
{
	struct t_ctx *c = *state;

	idx_search_free(&c->xs);
	idx_free(c->ix);
	store_close(c->st);
	t_rm(c->dir, "state.db");
	t_rm(c->dir, "state.db-wal");
	t_rm(c->dir, "state.db-shm");
	(void)rmdir(c->dir);
	free(c);
	return 0;
}

/* --- filling the inventory ------------------------------------------------ */

struct t_res {
	const char *type, *id, *arn, *name, *state;
	time_t created, hold, ended;
	const char *addrs[2];
	const char *card;
};

/* One complete crawl of account/region/service at t. */
static void t_crawl(struct store *st, const char *account, const char *region,
		    const char *service, time_t t, const struct t_res *rs, size_t n)
{
	struct si_err err;
	struct inv_crawl *cr = inv_begin_target(st, account, region, service, t, &err);

	if (cr == NULL)
		fail_msg("begin: %s", err.msg);
	for (size_t i = 0; i < n; i++) {
		struct inv_kv tag = { "Name", rs[i].name };
		struct inv_item it;

		memset(&it, 0, sizeof(it));
		it.type = rs[i].type;
		it.id = rs[i].id;
		it.arn = rs[i].arn;
		it.name = rs[i].name;
		it.state = rs[i].state;
		it.created = rs[i].created;
		it.hold_start = rs[i].hold;
		it.ended_at = rs[i].ended;
		it.addrs = rs[i].addrs;
		it.n_addrs = rs[i].addrs[1] != NULL ? 2 : rs[i].addrs[0] != NULL ? 1 : 0;
		if (rs[i].name != NULL) {
			it.tags = &tag;
			it.n_tags = 1;
		}
		it.card = rs[i].card;
		if (inv_put(cr, &it, &err) != 0)
			fail_msg("put %s: %s", rs[i].id, err.msg);
	}
	if (inv_end_target(cr, NULL, t + 5, NULL, &err) != 0)
		fail_msg("end: %s", err.msg);
}

static const struct t_res s_old_running = {
	.type = "instance", .id = OLD,
	.arn = "arn:aws:ec2:eu-west-2:111111111111:instance/" OLD,
	.name = "prod-web-3", .state = "running", .created = T_OLD_LAUNCH,
	.hold = T_OLD_LAUNCH, .addrs = { "10.1.2.3" },
	.card = "{\"v\":1,\"type\":\"instance\",\"id\":\"" OLD "\",\"instance_type\":"
		"\"t3.large\",\"private_ip\":\"10.1.2.3\",\"vpc_id\":\"vpc-0111\"}"
};
static const struct t_res s_old_terminated = {
	.type = "instance", .id = OLD,
	.arn = "arn:aws:ec2:eu-west-2:111111111111:instance/" OLD,
	.name = "prod-web-3", .state = "terminated", .created = T_OLD_LAUNCH,
	.hold = T_OLD_LAUNCH, .ended = T_OLD_END
};
static const struct t_res s_new_running = {
	.type = "instance", .id = NEW, .name = "prod-web-7", .state = "running",
	.created = T_NEW_LAUNCH, .hold = T_NEW_LAUNCH, .addrs = { "10.1.2.3" }
};

/* The history: i-old crawled running, then terminated with i-new
 * on its address, then forgotten by AWS (gone). */
static void t_fill_history(struct store *st)
{
	const struct t_res crawl2[] = { s_old_terminated, s_new_running };

	t_crawl(st, A1, R1, "ec2", T_CRAWL1, &s_old_running, 1);
	t_crawl(st, A1, R1, "ec2", T_CRAWL2, crawl2, 2);
	t_crawl(st, A1, R1, "ec2", T_AFTER, &s_new_running, 1);
}

/* --- searching ------------------------------------------------------------ */

/* Plan text as the pool does (parsed at `asked`, the request's accounts
 * limited to only[] when given) and prepare it at `asked`. */
static struct idx_search *t_prepare_as(struct t_ctx *c, struct idx *ix, const char *text,
				       time_t asked, const char *const *only, size_t n_only)
{
	struct si_err err;

	idx_search_free(&c->xs);
	if (query_parse_at(text, asked, &c->q, &err) != 0)
		fail_msg("parse %s: %s", text, err.msg);
	plan_from_query(&c->plan, &c->q, text);
	for (size_t i = 0; i < n_only; i++)
		c->plan.accounts[i] = only[i];
	if (n_only > 0)
		c->plan.spec.n_accounts = n_only;
	idx_prepare(ix, s_use, &c->q, &c->plan.spec, asked, &c->xs);
	return &c->xs;
}

static struct idx_search *t_prepare(struct t_ctx *c, const char *text)
{
	return t_prepare_as(c, c->ix, text, T_ASKED, NULL, 0);
}

/* xs's spec is exactly the plan's: nothing narrowed, nothing added. */
static void t_expect_unchanged(struct t_ctx *c, const struct idx_search *xs)
{
	assert_int_equal(xs->spec.n_terms, c->plan.spec.n_terms);
	for (size_t i = 0; i < xs->spec.n_terms; i++) {
		assert_int_equal(xs->spec.terms[i].kind, c->plan.spec.terms[i].kind);
		assert_string_equal(xs->spec.terms[i].value, c->plan.spec.terms[i].value);
		assert_ptr_equal(xs->spec.terms[i].account_id, c->plan.spec.terms[i].account_id);
		assert_ptr_equal(xs->spec.terms[i].region, c->plan.spec.terms[i].region);
	}
	assert_int_equal(xs->spec.n_accounts, c->plan.spec.n_accounts);
	assert_int_equal(xs->n_history, 0);
}

/* A live match as the engine gives it. */
static struct search_match *t_live(struct search_result *r, const char *alias,
				   const char *account, const char *region, const char *id)
{
	struct search_match *m = realloc(r->matches, (r->n_matches + 1) * sizeof(*m));

	assert_non_null(m);
	r->matches = m;
	m = &m[r->n_matches++];
	memset(m, 0, sizeof(*m));
	m->kind = SEARCH_MATCH_INSTANCE;
	m->account_alias = strdup(alias);
	m->account_id = strdup(account);
	m->region = strdup(region);
	m->instance.instance_id = strdup(id);
	return m;
}

static void t_fail_target(struct search_result *r, const char *alias, const char *region)
{
	struct search_failure *f = realloc(r->failures, (r->n_failures + 1) * sizeof(*f));

	assert_non_null(f);
	r->failures = f;
	f = &f[r->n_failures++];
	memset(f, 0, sizeof(*f));
	f->account_alias = strdup(alias);
	f->region = strdup(region);
	f->code = strdup("Timeout");
}

/* --- narrowing ------------------------------------------------------------ */

/* An instance id the inventory knows is asked in its own target only. */
static void test_narrows_known_id(void **state)
{
	struct t_ctx *c = *state;
	struct idx_search *xs;

	t_crawl(c->st, A1, R1, "ec2", T_CRAWL1, &s_old_running, 1);
	xs = t_prepare(c, OLD);
	assert_true(xs->used);
	assert_false(xs->at_only);
	assert_int_equal(xs->spec.n_terms, 1);
	assert_int_equal(xs->spec.terms[0].kind, SEARCH_TERM_INSTANCE_ID);
	assert_string_equal(xs->spec.terms[0].value, OLD);
	assert_string_equal(xs->spec.terms[0].account_id, A1);
	assert_string_equal(xs->spec.terms[0].region, R1);
	assert_true(xs->per[0].narrowed);
	assert_int_equal(xs->per[0].n_targets, 1);
	assert_non_null(strstr(xs->note, OLD " \xe2\x86\x92 production/eu-west-2"));
	/* the spec keeps the rest of the plan: text, account and region lists */
	assert_string_equal(xs->spec.text, OLD);
	assert_int_equal(xs->spec.n_accounts, 0);
	/* its ARN, in any case, too */
	xs = t_prepare(c, "arn:aws:ec2:eu-west-2:111111111111:instance/" OLD);
	assert_int_equal(xs->spec.n_terms, 1);
	assert_string_equal(xs->spec.terms[0].account_id, A1);
	assert_string_equal(xs->spec.terms[0].region, R1);
}

/* A term the inventory does not know: the spec is the plan's, untouched,
 * and the other terms of the query are still narrowed (unknown ones
 * first, in order, then the copies). */
static void test_unknown_term_unchanged(void **state)
{
	struct t_ctx *c = *state;
	struct idx_search *xs;

	t_crawl(c->st, A1, R1, "ec2", T_CRAWL1, &s_old_running, 1);
	xs = t_prepare(c, "i-0123456789abcdef0");
	assert_true(xs->used);
	t_expect_unchanged(c, xs);
	assert_false(xs->per[0].narrowed);
	assert_string_equal(xs->note, "");
	xs = t_prepare(c, OLD " sg-0123456789abcdef0 www.example.com");
	assert_int_equal(xs->spec.n_terms, 3);
	assert_string_equal(xs->spec.terms[0].value, "sg-0123456789abcdef0");
	assert_null(xs->spec.terms[0].account_id);
	assert_string_equal(xs->spec.terms[1].value, "www.example.com");
	assert_string_equal(xs->spec.terms[2].value, OLD);
	assert_string_equal(xs->spec.terms[2].account_id, A1);
}

/* An address held in two targets is searched in both, once each; the
 * same address gone everywhere fans out (anyone may hold it now). */
static void test_address_targets(void **state)
{
	struct t_ctx *c = *state;
	const struct t_res other = { .type = "network-interface", .id = "eni-0b",
				     .state = "in-use", .addrs = { "10.1.2.3" } };
	struct idx_search *xs;

	t_crawl(c->st, A1, R1, "ec2", T_CRAWL1, &s_old_running, 1);
	t_crawl(c->st, A2, "eu-west-1", "ec2", T_CRAWL1, &other, 1);
	xs = t_prepare(c, "10.1.2.3");
	assert_int_equal(xs->spec.n_terms, 2);
	assert_int_equal(xs->per[0].n_targets, 2);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(xs->spec.terms[i].kind, SEARCH_TERM_IPV4);
	assert_string_equal(xs->spec.terms[0].account_id, A1);
	assert_string_equal(xs->spec.terms[0].region, R1);
	assert_string_equal(xs->spec.terms[1].account_id, A2);
	assert_string_equal(xs->spec.terms[1].region, "eu-west-1");
	/* an EC2 DNS name is searched as its address, in its region only */
	xs = t_prepare(c, "ip-10-1-2-3.eu-west-2.compute.internal");
	assert_int_equal(xs->spec.n_terms, 1);
	assert_string_equal(xs->spec.terms[0].account_id, A1);
	/* both holders gone: everywhere, and the history says who held it */
	t_crawl(c->st, A1, R1, "ec2", T_CRAWL2, NULL, 0);
	t_crawl(c->st, A2, "eu-west-1", "ec2", T_CRAWL2, NULL, 0);
	xs = t_prepare(c, "10.1.2.3");
	assert_int_equal(xs->spec.n_terms, 1);
	assert_null(xs->spec.terms[0].account_id);
	assert_false(xs->per[0].narrowed);
	assert_int_equal(xs->n_history, 1);
	assert_int_equal(xs->history[0].n_holds, 2);
}

/* An address a Route 53 record holds (a global service, filed under
 * region "global"): that copy asks Route 53 only, once, in the account's
 * first region, where the engine plans global types. */
static void test_global_holder(void **state)
{
	struct t_ctx *c = *state;
	const struct t_res rec = { .type = "dns-record", .id = "web1.internal.example.com",
				   .addrs = { "10.1.2.3" } };
	struct idx_search *xs;

	t_crawl(c->st, A1, R1, "ec2", T_CRAWL1, &s_old_running, 1);
	t_crawl(c->st, A2, "global", "route53", T_CRAWL1, &rec, 1);
	xs = t_prepare(c, "10.1.2.3");
	assert_int_equal(xs->per[0].n_targets, 2);
	assert_int_equal(xs->spec.n_terms, 2);
	assert_string_equal(xs->spec.terms[0].account_id, A1);
	assert_string_equal(xs->spec.terms[0].region, R1);
	assert_null(xs->spec.terms[0].type);
	assert_string_equal(xs->spec.terms[1].account_id, A2);
	assert_string_equal(xs->spec.terms[1].region, "eu-west-2");
	assert_ptr_equal(xs->spec.terms[1].type, rt_by_name("dns-record"));
	assert_non_null(strstr(xs->note, "staging/global"));
	/* with region:eu-west-1, staging's first region left is eu-west-1 */
	xs = t_prepare(c, "10.1.2.3 region:eu-west-1");
	assert_int_equal(xs->spec.n_terms, 1);
	assert_string_equal(xs->spec.terms[0].account_id, A2);
	assert_string_equal(xs->spec.terms[0].region, "eu-west-1");
}

/* More holders than IDX_TARGETS_PER_TERM: everywhere, and the note says
 * why. */
static void test_too_many_targets(void **state)
{
	struct t_ctx *c = *state;
	static const char *const regions[] = {
		"eu-west-2", "us-east-1", "eu-west-1", "us-west-2", "eu-central-1", "ap-south-1"
	};
	const struct t_res r = { .type = "network-interface", .id = "eni-0c",
				 .state = "in-use", .addrs = { "10.0.0.5" } };
	struct idx_search *xs;
	char acct[16];

	/* 3 configured accounts x their regions hold it, and 20 others */
	for (size_t a = 0; a < 3; a++)
		for (size_t k = 0; k < s_accounts[a].n_regions; k++)
			t_crawl(c->st, a == 0 ? A1 : a == 1 ? A2 : A3, s_accounts[a].regions[k],
				"ec2", T_CRAWL1, &r, 1);
	xs = t_prepare(c, "10.0.0.5");
	assert_true(xs->per[0].narrowed);
	assert_int_equal(xs->spec.n_terms, 5);
	for (size_t i = 0; i < 20; i++) {
		snprintf(acct, sizeof(acct), "1000000000%02zu", i);
		t_crawl(c->st, acct, regions[i % 6], "ec2", T_CRAWL1, &r, 1);
	}
	/* the unconfigured ones are invisible: still 5 */
	xs = t_prepare(c, "10.0.0.5");
	assert_int_equal(xs->spec.n_terms, 5);
	/* with IDX_TARGETS_PER_TERM + 1 visible ones: everywhere */
	{
		char *many[IDX_TARGETS_PER_TERM + 1];
		struct si_account accs[IDX_TARGETS_PER_TERM + 1];
		const struct si_account *v[IDX_TARGETS_PER_TERM + 1];
		char arn[IDX_TARGETS_PER_TERM + 1][64], alias[IDX_TARGETS_PER_TERM + 1][16];
		const struct search_accounts wide = { v, IDX_TARGETS_PER_TERM + 1, NULL };
		struct si_err err;

		memset(accs, 0, sizeof(accs));
		for (size_t i = 0; i <= IDX_TARGETS_PER_TERM; i++) {
			snprintf(arn[i], sizeof(arn[i]), "arn:aws:iam::1000000000%02zu:role/S", i);
			snprintf(alias[i], sizeof(alias[i]), "acct%zu", i);
			many[i] = (char *)regions[i % 6];
			accs[i].alias = alias[i];
			accs[i].role_arn = arn[i];
			accs[i].regions = &many[i];
			accs[i].n_regions = 1;
			v[i] = &accs[i];
		}
		idx_search_free(&c->xs);
		assert_int_equal(query_parse_at("10.0.0.5", T_ASKED, &c->q, &err), 0);
		plan_from_query(&c->plan, &c->q, "10.0.0.5");
		idx_prepare(c->ix, &wide, &c->q, &c->plan.spec, T_ASKED, &c->xs);
		assert_int_equal(c->xs.per[0].n_targets, IDX_TARGETS_PER_TERM + 1);
		assert_false(c->xs.per[0].narrowed);
		t_expect_unchanged(c, &c->xs);
		assert_non_null(strstr(c->xs.note, "10.0.0.5 is in more than 16 account-regions"));
		idx_search_free(&c->xs);
	}
}

/* What the request may not see is not narrowed to and not shown: another
 * account (channel rules, account:), another region (region:), an
 * account that is not configured. */
static void test_access_filters(void **state)
{
	struct t_ctx *c = *state;
	const char *const staging[] = { "staging" };
	const struct t_res secret = { .type = "instance", .id = "i-0999000000000a009",
				      .name = "elsewhere", .state = "running",
				      .addrs = { "10.9.9.9" } };
	struct idx_search *xs;

	t_fill_history(c->st);
	t_crawl(c->st, A9, R1, "ec2", T_CRAWL1, &secret, 1);
	xs = t_prepare_as(c, c->ix, OLD, T_ASKED, staging, 1);
	t_expect_unchanged(c, xs);
	assert_false(xs->per[0].narrowed);
	xs = t_prepare_as(c, c->ix, "10.1.2.3", T_ASKED, staging, 1);
	t_expect_unchanged(c, xs);
	xs = t_prepare(c, OLD " region:us-east-1");
	t_expect_unchanged(c, xs);
	xs = t_prepare(c, "i-0999000000000a009");
	t_expect_unchanged(c, xs);
	xs = t_prepare(c, "10.9.9.9");
	t_expect_unchanged(c, xs);
	/* at: says nobody rather than naming what the request cannot see */
	xs = t_prepare_as(c, c->ix, "10.1.2.3 at:2026-11-30T03:00Z", T_ASKED, staging, 1);
	assert_true(xs->at_only);
	assert_int_equal(xs->n_history, 1);
	assert_int_equal(xs->history[0].n_holds, 0);
	/* and an instance ARN keeps its own account: the index cannot widen it */
	xs = t_prepare(c, "arn:aws:ec2:eu-west-2:222222222222:instance/" OLD);
	assert_int_equal(xs->spec.n_terms, 1);
	assert_string_equal(xs->spec.terms[0].account_id, A2);
	assert_false(xs->per[0].narrowed);
}

/* --- history -------------------------------------------------------------- */

static void t_hold(const struct search_hold *h, const char *id, const char *name,
		   time_t from, time_t to, const char *reason)
{
	assert_string_equal(h->id, id);
	assert_string_equal(h->name, name);
	assert_int_equal(h->from, from);
	assert_int_equal(h->to, to);
	assert_true(h->from_exact);
	assert_int_equal(h->to_exact, to != 0);
	assert_string_equal(h->account_alias, "production");
	assert_string_equal(h->account_id, A1);
	assert_string_equal(h->region, R1);
	if (reason == NULL)
		assert_null(h->end_reason);
	else
		assert_string_equal(h->end_reason, reason);
}

/* The reused address: both holders, in order, with AWS's times; the
 * reply says so ("now: ... since 12:03 · before: ... 28 Nov 09:14 → 1 Dec
 * 11:58, terminated") in Slack dates and, on the terminal, plain UTC. */
static void test_history_in_order(void **state)
{
	struct t_ctx *c = *state;
	struct search_result res;
	struct idx_search *xs;
	char *js, *out = NULL;
	size_t len = 0;
	FILE *fp;

	t_fill_history(c->st);
	xs = t_prepare(c, "10.1.2.3");
	/* narrowed to the present holder's target */
	assert_int_equal(xs->spec.n_terms, 1);
	assert_string_equal(xs->spec.terms[0].account_id, A1);
	assert_int_equal(xs->n_history, 1);
	assert_string_equal(xs->history[0].subject, "10.1.2.3");
	assert_false(xs->history[0].of_resource);
	assert_int_equal(xs->history[0].n_holds, 2);
	t_hold(&xs->history[0].holds[0], OLD, "prod-web-3", T_OLD_LAUNCH, T_OLD_END,
	       "terminated");
	assert_string_equal(xs->history[0].holds[0].addr, "10.1.2.3");
	t_hold(&xs->history[0].holds[1], NEW, "prod-web-7", T_NEW_LAUNCH, 0, NULL);
	/* the live search found i-new: finish moves the history into the result */
	memset(&res, 0, sizeof(res));
	res.query_text = strdup("10.1.2.3");
	res.n_targets = 1;
	t_live(&res, "production", A1, R1, NEW);
	idx_finish(xs, &s_accs, &res);
	assert_int_equal(xs->n_history, 0);
	assert_int_equal(res.n_history, 1);
	assert_int_equal(res.n_matches, 1);
	assert_int_equal(res.index_now, T_ASKED);
	assert_non_null(strstr(res.index_note, "10.1.2.3 \xe2\x86\x92 production/eu-west-2"));
	js = render_result(&res, NULL, NULL);
	assert_non_null(js);
	assert_non_null(strstr(js, "*10.1.2.3*: now: `" NEW "` prod-web-7 since "
			       "<!date^1796126580^{date_short_pretty} {time}|1 Dec 2026 12:03 UTC>"
			       " \xc2\xb7 before: `" OLD "` prod-web-3 "
			       "<!date^1795857240^{date_short_pretty} {time}|28 Nov 2026 09:14 UTC>"
			       " \xe2\x86\x92 "
			       "<!date^1796126283^{date_short_pretty} {time}|1 Dec 2026 11:58 UTC>"
			       ", terminated"));
	free(js);
	fp = open_memstream(&out, &len);
	assert_non_null(fp);
	assert_int_equal(render_text(&res, fp, NULL), 0);
	fclose(fp);
	assert_non_null(strstr(out, "\n10.1.2.3: now: " NEW " (prod-web-7) since 2026-12-01 12:03 "
			       "UTC \xc2\xb7 before: " OLD " (prod-web-3) 2026-11-28 09:14 UTC "
			       "\xe2\x86\x92 2026-12-01 11:58 UTC, terminated\n"));
	free(out);
	search_result_free(&res);
	/* an instance id's history: the addresses it held */
	xs = t_prepare(c, OLD);
	assert_int_equal(xs->n_history, 1);
	assert_true(xs->history[0].of_resource);
	assert_int_equal(xs->history[0].n_holds, 1);
	t_hold(&xs->history[0].holds[0], OLD, "prod-web-3", T_OLD_LAUNCH, T_OLD_END,
	       "terminated");
	/* an address with only a present holder has no past to show */
	xs = t_prepare(c, NEW);
	assert_int_equal(xs->n_history, 0);
}

/* at: the holder before and after the reuse, nobody between; by name;
 * an id that existed then, with what it held; nothing is run live. */
static void test_at_picks_holder(void **state)
{
	struct t_ctx *c = *state;
	static const struct {
		const char *text;
		const char *id;    /* expected holder, NULL: nobody */
	} cases[] = {
		{ "10.1.2.3 at:2026-11-30T03:00Z", OLD },
		{ "10.1.2.3 at:2026-11-28T09:14Z", OLD },
		{ "10.1.2.3 at:2026-11-28T09:13Z", NULL },
		{ "10.1.2.3 at:2026-12-01T11:58:02Z", OLD },
		{ "10.1.2.3 at:2026-12-01T11:58:03Z", NULL },
		{ "10.1.2.3 at:2026-12-01T12:00Z", NULL },
		{ "10.1.2.3 at:2026-12-01T12:03Z", NEW },
		{ "10.1.2.3 at:-1m", NEW },
		{ "10.1.2.3 at:-62m", NULL },
		{ "10.1.2.3 at:-2d", OLD },
		{ "PROD-WEB-3 at:2026-11-30T03:00Z", OLD },
		{ "prod-web at:2026-11-30T03:00Z", OLD },
		{ "prod-web at:-1m", NEW },
		{ OLD " at:2026-11-30T03:00Z", OLD },
		{ OLD " at:2026-12-01T13:00Z", NULL },
	};
	struct search_result res;
	struct idx_search *xs;
	char *js;

	t_fill_history(c->st);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		xs = t_prepare(c, cases[i].text);
		if (!xs->at_only || xs->n_history != 1)
			fail_msg("%s: at_only %d, %zu entries", cases[i].text, xs->at_only,
				 xs->n_history);
		if (cases[i].id == NULL) {
			if (xs->history[0].n_holds != 0)
				fail_msg("%s: %s held it", cases[i].text,
					 xs->history[0].holds[0].id);
			continue;
		}
		if (xs->history[0].n_holds != 1)
			fail_msg("%s: %zu holders", cases[i].text, xs->history[0].n_holds);
		assert_string_equal(xs->history[0].holds[0].id, cases[i].id);
	}
	/* an id then: it held 10.1.2.3 */
	xs = t_prepare(c, OLD " at:2026-11-30T03:00Z");
	assert_true(xs->history[0].of_resource);
	assert_string_equal(xs->history[0].holds[0].addr, "10.1.2.3");
	/* the answer says it comes from the inventory only, for that moment */
	xs = t_prepare(c, "10.1.2.3 at:2026-11-30T03:00Z");
	memset(&res, 0, sizeof(res));
	res.query_text = strdup("10.1.2.3 at:2026-11-30T03:00Z");
	idx_finish(xs, &s_accs, &res);
	assert_true(res.at_answered);
	assert_int_equal(res.at, T_NIGHT);
	js = render_result(&res, NULL, NULL);
	assert_non_null(strstr(js, "At <!date^1796007600^{date_short_pretty} {time}|30 Nov 2026 "
			       "03:00 UTC>, from the inventory only (AWS keeps no past), for "
			       "10.1.2.3 at:2026-11-30T03:00Z"));
	assert_non_null(strstr(js, "*10.1.2.3*: `" OLD "` prod-web-3 <!date^1795857240^"));
	free(js);
	search_result_free(&res);
}

/* A search re-run from the journal re-parses its text at the time it was
 * asked: at:-6h names the same moment, whenever the re-run happens. */
static void test_at_rerun_same_moment(void **state)
{
	struct t_ctx *c = *state;
	struct idx_search *xs;

	t_fill_history(c->st);
	xs = t_prepare_as(c, c->ix, "10.1.2.3 at:-61m", T_NEW_LAUNCH + 3600, NULL, 0);
	assert_int_equal(c->q.at, T_NEW_LAUNCH - 60);
	assert_int_equal(xs->history[0].n_holds, 0);
	xs = t_prepare_as(c, c->ix, "10.1.2.3 at:-59m", T_NEW_LAUNCH + 3600, NULL, 0);
	assert_string_equal(xs->history[0].holds[0].id, NEW);
}

/* --- what only the inventory knows ---------------------------------------- */

/* A gone instance: asked in its target only, not found live, shown from
 * the inventory with its age and end; found live, it is not repeated. */
static void test_unconfirmed_shown_with_age(void **state)
{
	struct t_ctx *c = *state;
	struct search_result res;
	struct idx_search *xs;
	const struct search_match *m;
	char *js;

	t_fill_history(c->st);
	xs = t_prepare(c, OLD);
	assert_string_equal(xs->spec.terms[0].account_id, A1);
	memset(&res, 0, sizeof(res));
	res.query_text = strdup(OLD);
	res.n_targets = 1;
	idx_finish(xs, &s_accs, &res);
	assert_int_equal(res.n_matches, 1);
	m = &res.matches[0];
	assert_int_equal(m->kind, SEARCH_MATCH_RESOURCE);
	assert_int_equal(m->source, SEARCH_SOURCE_GONE);
	assert_int_equal(m->seen_at, T_CRAWL2);
	assert_int_equal(m->gone_at, T_AFTER);
	assert_int_equal(m->ended_at, T_OLD_END);
	assert_string_equal(m->account_alias, "production");
	assert_string_equal(m->region, R1);
	assert_string_equal(m->res.id, OLD);
	assert_string_equal(m->res.name, "prod-web-3");
	assert_string_equal(m->res.state, "terminated");
	assert_string_equal(res_tag(&m->res, "Name"), "prod-web-3");
	js = render_result(&res, NULL, NULL);
	assert_non_null(strstr(js, "_From the inventory:_ terminated <!date^1796126283^"));
	assert_non_null(strstr(js, "gone from AWS since ~<!date^1796130000^"));
	assert_non_null(strstr(js, "last seen 34 min ago"));
	free(js);
	search_result_free(&res);
	/* present in the inventory, target did not answer: seen N min ago */
	t_crawl(c->st, A1, R1, "ec2", T_AFTER + 60, &s_old_running, 1);
	xs = t_prepare(c, OLD);
	memset(&res, 0, sizeof(res));
	t_fail_target(&res, "production", R1);
	idx_finish(xs, &s_accs, &res);
	assert_int_equal(res.n_matches, 1);
	assert_int_equal(res.matches[0].source, SEARCH_SOURCE_UNCONFIRMED);
	/* the card carried the instance's fields */
	assert_string_equal(res_field(&res.matches[0].res, "Type"), "t3.large");
	assert_string_equal(res.matches[0].res.addrs[0], "10.1.2.3");
	search_result_free(&res);
	/* the target answered without it: AWS no longer lists it */
	memset(&res, 0, sizeof(res));
	idx_finish(xs, &s_accs, &res);
	assert_int_equal(res.n_matches, 1);
	assert_int_equal(res.matches[0].source, SEARCH_SOURCE_MISSING);
	search_result_free(&res);
	/* confirmed live: nothing added */
	memset(&res, 0, sizeof(res));
	t_live(&res, "production", A1, R1, "I-0A1D000000000A001");
	idx_finish(xs, &s_accs, &res);
	assert_int_equal(res.n_matches, 1);
	assert_int_equal(res.matches[0].source, SEARCH_SOURCE_AWS);
	search_result_free(&res);
}

/* A Name runs live everywhere; the inventory adds the gone resources of
 * that name, and an address's holder only when its target failed. */
static void test_name_and_address_additions(void **state)
{
	struct t_ctx *c = *state;
	struct search_result res;
	struct idx_search *xs;

	t_fill_history(c->st);
	/* a Name the inventory holds (case aside) in one target: asked there
	 * only; its gone namesake is added */
	xs = t_prepare(c, "Prod-Web");
	assert_int_equal(xs->per[0].found.n, 2);
	assert_true(xs->per[0].narrowed);
	assert_false(xs->per[0].index_only);
	assert_int_equal(xs->spec.n_terms, 1);
	assert_string_equal(xs->spec.terms[0].account_id, A1);
	assert_string_equal(xs->spec.terms[0].region, R1);
	assert_non_null(strstr(xs->note, "Prod-Web \xe2\x86\x92 production/eu-west-2"));
	memset(&res, 0, sizeof(res));
	t_live(&res, "production", A1, R1, NEW);
	idx_finish(xs, &s_accs, &res);
	assert_int_equal(res.n_matches, 2);
	assert_int_equal(res.matches[1].source, SEARCH_SOURCE_GONE);
	assert_string_equal(res.matches[1].res.id, OLD);
	search_result_free(&res);
	/* an address: the past is history, not a card */
	xs = t_prepare(c, "10.1.2.3");
	memset(&res, 0, sizeof(res));
	idx_finish(xs, &s_accs, &res);
	assert_int_equal(res.n_matches, 0);
	assert_int_equal(res.n_history, 1);
	search_result_free(&res);
	xs = t_prepare(c, "10.1.2.3");
	memset(&res, 0, sizeof(res));
	t_fail_target(&res, "production", R1);
	idx_finish(xs, &s_accs, &res);
	assert_int_equal(res.n_matches, 1);
	assert_int_equal(res.matches[0].source, SEARCH_SOURCE_UNCONFIRMED);
	assert_string_equal(res.matches[0].res.id, NEW);
	search_result_free(&res);
}

/* A Name whose present resources are in more account-regions than
 * IDX_TARGETS_PER_TERM is answered from the inventory alone: nothing
 * left to ask AWS, every row shown with its age; one whose rows pass
 * IDX_NAME_MAX (truncated) likewise, in one target; one the inventory
 * does not know runs live everywhere. */
static void test_name_index_only(void **state)
{
	enum { N_ACC = IDX_TARGETS_PER_TERM + 4 };
	struct t_ctx *c = *state;
	static char *region[] = { R1 };
	struct si_account acc[N_ACC];
	const struct si_account *accv[N_ACC];
	const struct search_accounts many = { accv, N_ACC, NULL };
	char arn[N_ACC][64], alias[N_ACC][16], id[N_ACC][16], rid[IDX_NAME_MAX + 8][24];
	struct t_res *rs = calloc(IDX_NAME_MAX + 8, sizeof(*rs));
	struct search_result res;
	struct idx_search *xs;

	assert_non_null(rs);
	memset(acc, 0, sizeof(acc));
	for (size_t i = 0; i < N_ACC; i++) {
		snprintf(id[i], sizeof(id[i]), "4000000000%02zu", i);
		snprintf(arn[i], sizeof(arn[i]), "arn:aws:iam::%s:role/Search", id[i]);
		snprintf(alias[i], sizeof(alias[i]), "team%02zu", i);
		acc[i].alias = alias[i];
		acc[i].role_arn = arn[i];
		acc[i].regions = region;
		acc[i].n_regions = 1;
		accv[i] = &acc[i];
		snprintf(rid[i], sizeof(rid[i]), "sg-%017zx", i + 1);
		rs[i] = (struct t_res){ .type = "security-group", .id = rid[i],
					.name = "Edge-Proxy", .state = "available" };
		t_crawl(c->st, id[i], R1, "ec2", T_CRAWL2 + (time_t)i, &rs[i], 1);
	}
	s_use = &many;
	xs = t_prepare(c, "edge-prox");
	assert_true(xs->used);
	assert_true(xs->per[0].index_only);
	assert_false(xs->per[0].narrowed);
	assert_int_equal(xs->per[0].n_targets, N_ACC);
	assert_int_equal(xs->spec.n_terms, 0);
	assert_non_null(strstr(xs->note, "20 present resources of that name in 20 "
				     "account-regions, from the inventory"));
	memset(&res, 0, sizeof(res));
	idx_finish(xs, &many, &res);
	assert_int_equal(res.n_matches, N_ACC);
	for (size_t i = 0; i < res.n_matches; i++) {
		assert_int_equal(res.matches[i].source, SEARCH_SOURCE_INDEX);
		assert_true(res.matches[i].seen_at >= T_CRAWL2);
		assert_string_equal(res.matches[i].res.name, "Edge-Proxy");
	}
	search_result_free(&res);
	s_use = &s_accs;

	/* past IDX_NAME_MAX rows in one target: truncated, index alone */
	for (size_t i = 0; i < IDX_NAME_MAX + 8; i++) {
		snprintf(rid[i], sizeof(rid[i]), "sg-%017zx", i + 0x100);
		rs[i] = (struct t_res){ .type = "security-group", .id = rid[i],
					.name = "batch-worker", .state = "available" };
	}
	t_crawl(c->st, A2, R1, "ec2", T_CRAWL2, rs, IDX_NAME_MAX + 8);
	xs = t_prepare(c, "BATCH");
	assert_true(xs->per[0].found.truncated);
	assert_true(xs->per[0].index_only);
	assert_int_equal(xs->spec.n_terms, 0);
	assert_non_null(strstr(xs->note, "more than 200 resources of that name, from the "
				     "inventory"));
	assert_non_null(strstr(xs->note, "narrow with account: or region:"));

	/* a Name nobody holds: live everywhere, as before */
	xs = t_prepare(c, "no-such-name");
	assert_false(xs->per[0].index_only);
	assert_false(xs->per[0].narrowed);
	t_expect_unchanged(c, xs);
	free(rs);
}

/* --- no index: exactly today's live search -------------------------------- */

/* No index, no store, an empty inventory, a store that cannot be opened:
 * the plan's spec, nothing added; an at: is run live and says why. */
static void test_fallback_without_inventory(void **state)
{
	struct t_ctx *c = *state;
	struct store_settings bad = { .path = "/nonexistent-dir/sub/state.db" };
	struct search_result res;
	struct idx_search *xs;
	struct idx *none, *unopenable;
	struct si_err err;

	xs = t_prepare(c, OLD);        /* empty inventory */
	assert_false(xs->used);
	t_expect_unchanged(c, xs);
	xs = t_prepare(c, "10.1.2.3 at:-6h");
	assert_false(xs->at_only);
	t_expect_unchanged(c, xs);
	assert_non_null(strstr(xs->note, "holds no data yet: this is what AWS holds now"));
	t_fill_history(c->st);
	xs = t_prepare_as(c, NULL, OLD, T_ASKED, NULL, 0);
	assert_false(xs->used);
	t_expect_unchanged(c, xs);
	none = idx_new_store(NULL, &err);
	xs = t_prepare_as(c, none, "10.1.2.3 at:-6h", T_ASKED, NULL, 0);
	t_expect_unchanged(c, xs);
	assert_non_null(strstr(xs->note, "is not available"));
	memset(&res, 0, sizeof(res));
	idx_finish(xs, &s_accs, &res);
	assert_false(res.at_answered);
	assert_non_null(strstr(res.index_note, "at: is answered from the inventory"));
	search_result_free(&res);
	idx_free(none);
	unopenable = idx_new(&bad, &err);
	assert_non_null(unopenable);
	xs = t_prepare_as(c, unopenable, OLD, T_ASKED, NULL, 0);
	assert_false(xs->used);
	t_expect_unchanged(c, xs);
	/* tried again only after IDX_REOPEN_S */
	xs = t_prepare_as(c, unopenable, OLD, T_ASKED + 1, NULL, 0);
	t_expect_unchanged(c, xs);
	idx_search_free(&c->xs);
	idx_free(unopenable);
}

/* A store that fails midway (a table gone): the whole index answer is
 * dropped, the plan's spec runs; it works again once the store does. */
static void test_fallback_store_error(void **state)
{
	struct t_ctx *c = *state;
	struct idx_search *xs;
	struct si_err err;

	t_fill_history(c->st);
	xs = t_prepare(c, NEW);
	assert_true(xs->used);
	assert_int_equal(store_private_exec(c->st, "DROP TABLE inv_addr_history", &err), 0);
	xs = t_prepare(c, NEW " 10.1.2.3");
	assert_false(xs->used);
	t_expect_unchanged(c, xs);
	assert_int_equal(xs->n_per, 0);
	xs = t_prepare(c, "10.1.2.3 at:-2d");
	assert_false(xs->at_only);
	t_expect_unchanged(c, xs);
	assert_int_equal(store_private_exec(c->st, "DROP TABLE inv_ident", &err), 0);
	xs = t_prepare(c, NEW);
	assert_false(xs->used);
	t_expect_unchanged(c, xs);
}

/* A second idx_new handle on the same file sees what the crawler's
 * handle wrote (the worker's own handle, as app.c opens it). */
static void test_own_handle(void **state)
{
	struct t_ctx *c = *state;
	struct store_settings set = { .path = c->path };
	struct idx_search *xs;
	struct idx *own;
	struct si_err err;

	own = idx_new(&set, &err);
	assert_non_null(own);
	t_fill_history(c->st);
	xs = t_prepare_as(c, own, NEW, T_ASKED, NULL, 0);
	assert_true(xs->used);
	assert_string_equal(xs->spec.terms[0].account_id, A1);
	idx_search_free(&c->xs);
	idx_free(own);
	assert_null(idx_new(NULL, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	idx_free(NULL);
	idx_search_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_narrows_known_id, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_term_unchanged, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_address_targets, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_global_holder, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_too_many_targets, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_access_filters, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_history_in_order, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_at_picks_holder, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_at_rerun_same_moment, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_unconfirmed_shown_with_age, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(test_name_and_address_additions, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(test_name_index_only, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_fallback_without_inventory, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(test_fallback_store_error, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_own_handle, t_setup, t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
