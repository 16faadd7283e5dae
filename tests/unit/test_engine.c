/*
 * test_engine.c - the search engine (common/search/engine.c) driving the
 * registered types end to end: DNS fallback for a host in no hosted zone,
 * a Route 53 chain to a load balancer and its targets, the hop bound and
 * CNAME loops, "not here" answers, dedupe, case-insensitive Names, the
 * inventory's listing of a target (SEARCH_TERM_LIST) and the request
 * budget (search_spec.rate_per_s).
 *
 * Runs against tests/standin/aws_standin.py, started here on 127.0.0.1
 * with an ephemeral port and stopped at teardown. It serves the default
 * fixture (tests/standin/fixture.json, described in tests/standin/
 * README.md) plus two record chains the default lacks, written into a
 * temp copy. The expected values below are that fixture's; each names
 * the README's line it comes from. No assertion depends on timing but
 * the budget's, which is a lower bound on the time a search takes: a
 * loaded machine only makes it longer.
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
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "aws/client.h"
#include "aws/creds.h"
#include "search/engine.h"
#include "search/plan.h"
#include "search/query.h"
#include "search/registry.h"
#include "standin_proc.h"
#include "util/clock.h"

/* The default fixture's base identity (tests/standin/fixture.json; not a
 * real AWS key). */
#define BASE_AKID "AKIASLASHINFRADEMO01"
#define BASE_SECRET "slashInfraDemoSecretKey/K7MDENG+bPxRfiCYEX"

/* README "production eu-west-2": prod-web-1, its private address, and the
 * web tier's security group, Name tag Prod-Web-SG. */
#define PROD "111111111111"
#define PROD_ALIAS "production"
#define WEB1 "i-0a1b2c3d4e5f60001"
#define WEB1_NAME "prod-web-1"
#define WEB1_IP "10.10.1.10"
#define WEB2 "i-0a1b2c3d4e5f60002"
#define WEB2_NAME "prod-web-2"
#define WEB_SG "sg-0111000000000a001"
#define WEB_SG_NAME "Prod-Web-SG"
/* README "production Route 53": the public zone and its 3-hop chain,
 * api.example.com CNAME www.example.com ALIAS (dualstack.)prod-alb. */
#define PUBLIC_ZONE "Z0111111PUBLIC00001"
#define API_HOST "api.example.com"
#define WWW_HOST "www.example.com"
#define ALB_NAME "prod-alb"
#define ALB_DNS "prod-alb-1234567890.eu-west-2.elb.amazonaws.com"
#define ALB_TG "prod-web-tg"
/* README "production eu-west-2": prod-web-tg's targets. */
#define WEB1_HEALTH "healthy"
#define WEB2_HEALTH "unhealthy (Target.ResponseCodeMismatch)"

/* What this test adds to the public zone: a chain two hops longer than
 * the engine follows (hop1 -> hop2 -> ... -> hop8: 7 CNAMEs, the last name
 * an A record), and a loop (a -> b -> a). */
#define CHAIN_FMT "hop%d.chain.example.com"
#define CHAIN_CNAMES 7
#define LOOP_A "a.loop.example.com"
#define LOOP_B "b.loop.example.com"
/* An address for the chain's end (RFC 5737 documentation block). */
#define CHAIN_END_ADDR "192.0.2.1"

/* A host in no zone of any account, and stats keys (README "Control
 * API": by_call names the API as botocore does). */
#define NOZONE_HOST "shop.example.net"
#define CALL_RRSETS "route53:ListResourceRecordSets"
#define CALL_GET_FUNCTION "lambda:GetFunction"
#define CALL_V2_LBS "elbv2:DescribeLoadBalancers"
#define CALL_CLB_LBS "elb:DescribeLoadBalancers"

/* Generous: the stand-in answers in milliseconds, but valgrind slows the
 * client down tenfold; the bound only keeps a broken run from hanging. */
#define DEADLINE_MS 60000
#define MAX_INFLIGHT 16

/* The three accounts of tests/integration/accounts.ini. */
static char *s_prod_regions[] = { "eu-west-2", "us-east-1" };
static char *s_staging_regions[] = { "eu-west-2", "eu-west-1" };
static char *s_dev_regions[] = { "eu-west-2", "us-west-2", "us-east-1" };
static const struct si_account s_accounts[] = {
	{ .alias = PROD_ALIAS, .role_arn = "arn:aws:iam::" PROD ":role/InfraSearchReadOnly",
	  .external_id = "slash-infra-demo", .regions = s_prod_regions, .n_regions = 2 },
	{ .alias = "staging", .role_arn = "arn:aws:iam::222222222222:role/InfraSearchReadOnly",
	  .external_id = "slash-infra-demo", .regions = s_staging_regions, .n_regions = 2 },
	{ .alias = "dev", .role_arn = "arn:aws:iam::333333333333:role/InfraSearchReadOnly",
	  .regions = s_dev_regions, .n_regions = 3 },
};

struct fixture {
	struct standin_proc aws;
	/* The temp tree the stand-in runs from: DIR/tests/standin/ holds a
	 * link to the real script and the fixture it serves. */
	char dir[64];
	char sub[2][96];             /* DIR/tests, DIR/tests/standin */
	char files[2][128];          /* the link, fixture.json */
	char env_store[3][256];
	char *envp[4];
	struct aws_creds_provider *base;
	struct aws_client *client;
};

/* The injected resolver: counts its calls and answers one address. */
struct s_resolver {
	int calls;
	char host[256];
	const char *addr;            /* NULL: resolves to nothing */
};

static size_t s_resolve(void *arg, const char *host, char (*out)[46], size_t max)
{
	struct s_resolver *r = arg;

	r->calls++;
	snprintf(r->host, sizeof(r->host), "%s", host);
	if (r->addr == NULL || max == 0)
		return 0;
	snprintf(out[0], sizeof(out[0]), "%s", r->addr);
	return 1;
}

/* ---- the fixture the stand-in serves ------------------------------------ */

/* The element of array arr whose member key is the string value. */
static json_object *s_find(json_object *arr, const char *key, const char *value)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i), *v;

		if (json_object_object_get_ex(o, key, &v) &&
		    strcmp(json_object_get_string(v), value) == 0)
			return o;
	}
	return NULL;
}

static json_object *s_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o != NULL && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int s_add_record(json_object *records, const char *name, const char *type,
			const char *value)
{
	json_object *r = json_object_new_object(), *values = json_object_new_array();

	if (r == NULL || values == NULL ||
	    json_object_array_add(values, json_object_new_string(value)) != 0) {
		json_object_put(r);
		json_object_put(values);
		return -1;
	}
	json_object_object_add(r, "name", json_object_new_string(name));
	json_object_object_add(r, "type", json_object_new_string(type));
	json_object_object_add(r, "ttl", json_object_new_int(60));
	json_object_object_add(r, "values", values);
	return json_object_array_add(records, r);
}

/* The default fixture plus the chain and the loop in the public zone,
 * written to path. */
static int s_write_fixture(const char *src, const char *path)
{
	char in[PATH_MAX];
	json_object *doc, *acct, *zone, *records;
	int rc = -1;

	snprintf(in, sizeof(in), "%s/tests/standin/fixture.json", src);
	doc = json_object_from_file(in);
	acct = s_find(s_get(doc, "accounts"), "id", PROD);
	zone = s_find(s_get(s_get(acct, "route53"), "zones"), "id", PUBLIC_ZONE);
	records = s_get(zone, "records");
	if (records == NULL)
		goto out;
	for (int i = 1; i <= CHAIN_CNAMES; i++) {
		char name[64], next[64];

		snprintf(name, sizeof(name), CHAIN_FMT, i);
		snprintf(next, sizeof(next), CHAIN_FMT, i + 1);
		if (s_add_record(records, name, "CNAME", next) != 0)
			goto out;
	}
	{
		char last[64];

		snprintf(last, sizeof(last), CHAIN_FMT, CHAIN_CNAMES + 1);
		if (s_add_record(records, last, "A", CHAIN_END_ADDR) != 0 ||
		    s_add_record(records, LOOP_A, "CNAME", LOOP_B) != 0 ||
		    s_add_record(records, LOOP_B, "CNAME", LOOP_A) != 0)
			goto out;
	}
	rc = json_object_to_file(path, doc) == 0 ? 0 : -1;
out:
	json_object_put(doc);
	return rc;
}

static void fixture_free(struct fixture *fx)
{
	aws_client_free(fx->client);
	aws_creds_provider_free(fx->base);
	standin_proc_stop(&fx->aws);
	for (size_t i = 0; i < 2; i++)
		if (fx->files[i][0])
			(void)unlink(fx->files[i]);
	for (size_t i = 2; i-- > 0;)
		if (fx->sub[i][0])
			(void)rmdir(fx->sub[i]);
	if (fx->dir[0])
		(void)rmdir(fx->dir);
	free(fx);
}

/* Why a temp tree: standin_proc_start() runs SI_SRCDIR/tests/standin/
 * SCRIPT with its default fixture, the fixture.json beside the script as
 * named (the script does not resolve links). A tree holding a link to the
 * real script and our fixture makes it serve ours; SI_SRCDIR is pointed
 * there only for the start. Assumes python3 and SI_SRCDIR (default ".")
 * as the other stand-in tests do. */
static int s_start_standin(struct fixture *fx)
{
	const char *env = getenv("SI_SRCDIR");
	char src[PATH_MAX], script[PATH_MAX + 64];
	int rc;

	if (realpath(env != NULL && env[0] ? env : ".", src) == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_engine.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		fx->dir[0] = '\0';
		return -1;
	}
	snprintf(fx->sub[0], sizeof(fx->sub[0]), "%s/tests", fx->dir);
	snprintf(fx->sub[1], sizeof(fx->sub[1]), "%s/tests/standin", fx->dir);
	for (size_t i = 0; i < 2; i++)
		if (mkdir(fx->sub[i], 0700) != 0) {
			fx->sub[i][0] = '\0';
			return -1;
		}
	snprintf(script, sizeof(script), "%s/tests/standin/aws_standin.py", src);
	snprintf(fx->files[0], sizeof(fx->files[0]), "%s/aws_standin.py", fx->sub[1]);
	if (symlink(script, fx->files[0]) != 0) {
		fx->files[0][0] = '\0';
		return -1;
	}
	snprintf(fx->files[1], sizeof(fx->files[1]), "%s/fixture.json", fx->sub[1]);
	if (s_write_fixture(src, fx->files[1]) != 0)
		return -1;
	if (setenv("SI_SRCDIR", fx->dir, 1) != 0)
		return -1;
	rc = standin_proc_start(&fx->aws, "aws_standin.py");
	if ((env != NULL ? setenv("SI_SRCDIR", src, 1) : unsetenv("SI_SRCDIR")) != 0)
		return -1;
	return rc;
}

static int group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct aws_client_opts co = { 0 };
	struct si_err err;

	if (fx == NULL)
		return -1;
	if (s_start_standin(fx) != 0) {
		fprintf(stderr, "cannot start the AWS stand-in\n");
		goto fail;
	}
	snprintf(fx->env_store[0], sizeof(fx->env_store[0]), "AWS_ENDPOINT_URL=http://127.0.0.1:%d",
		 fx->aws.port);
	snprintf(fx->env_store[1], sizeof(fx->env_store[1]), "AWS_ACCESS_KEY_ID=" BASE_AKID);
	snprintf(fx->env_store[2], sizeof(fx->env_store[2]), "AWS_SECRET_ACCESS_KEY=" BASE_SECRET);
	for (size_t i = 0; i < 3; i++)
		fx->envp[i] = fx->env_store[i];
	fx->base = aws_creds_provider_env_new(fx->envp, &err);
	if (fx->base == NULL) {
		fprintf(stderr, "base credentials: %s\n", err.msg);
		goto fail;
	}
	fx->client = aws_client_new(&co, fx->envp, fx->base, &err);
	if (fx->client == NULL) {
		fprintf(stderr, "aws_client_new: %s\n", err.msg);
		goto fail;
	}
	*state = fx;
	return 0;
fail:
	fixture_free(fx);
	return -1;
}

static int group_teardown(void **state)
{
	fixture_free(*state);
	return 0;
}

/* Every test starts without faults (stats are compared as deltas). */
static int setup(void **state)
{
	struct fixture *fx = *state;

	return standin_http(&fx->aws, "/_control/clear-faults", "{}", NULL) == 200 ? 0 : -1;
}

/* ---- helpers --------------------------------------------------------------- */

/* An engine over the three accounts with the injected resolver res
 * (may be NULL) and [search] resolve_dns on or off. */
static struct search_engine *s_engine(struct fixture *fx, struct s_resolver *res,
				      int resolve_dns)
{
	struct search_settings ss = {
		.accounts = s_accounts,
		.n_accounts = sizeof(s_accounts) / sizeof(s_accounts[0]),
		.deadline_ms = DEADLINE_MS,
		.max_inflight = MAX_INFLIGHT,
		.resolve_dns = resolve_dns,
		.resolve = s_resolve,
		.resolve_arg = res,
	};
	struct si_err err;
	struct search_engine *e = search_engine_new(&ss, fx->client, &err);

	if (e == NULL)
		fail_msg("search_engine_new: %s", err.msg);
	return e;
}

/* Parse text as the slash command does and search it. */
static void s_search(struct search_engine *e, const char *text, struct search_result *out)
{
	struct query *q = calloc(1, sizeof(*q));
	struct plan *p = calloc(1, sizeof(*p));
	struct search_ctx *ctx;
	struct si_err err;

	assert_non_null(q);
	assert_non_null(p);
	if (query_parse(text, q, &err) != 0)
		fail_msg("query_parse(%s): %s", text, err.msg);
	plan_from_query(p, q, text);
	ctx = search_ctx_new(1, &err);
	assert_non_null(ctx);
	if (search_run(e, ctx, &p->spec, out, &err) != 0)
		fail_msg("search_run(%s): %s", text, err.msg);
	search_ctx_free(ctx);
	free(p);
	free(q);
}

/* The stand-in's count of API:Action calls so far. */
static int s_calls(const struct fixture *fx, const char *call)
{
	struct standin_body *b = calloc(1, sizeof(*b));
	json_object *root;
	int n;

	assert_non_null(b);
	assert_int_equal(standin_http(&fx->aws, "/_control/stats", NULL, b), 200);
	root = json_tokener_parse(b->data);
	assert_non_null(root);
	n = standin_count(root, "by_call", call);
	json_object_put(root);
	free(b);
	return n;
}

/* No target failed; else the failures are printed. */
static void s_no_failures(const struct search_result *r)
{
	for (size_t i = 0; i < r->n_failures; i++)
		fprintf(stderr, "failure: %s/%s %s: %s\n", r->failures[i].account_alias,
			r->failures[i].region, r->failures[i].code,
			r->failures[i].message ? r->failures[i].message : "");
	assert_int_equal(r->n_failures, 0);
}

static int s_is_type(const struct search_match *m, const char *type)
{
	return m->kind == SEARCH_MATCH_RESOURCE && m->res.type != NULL &&
	       strcmp(m->res.type->name, type) == 0;
}

/* The resource match of type whose id is id, or NULL. */
static const struct search_match *s_res(const struct search_result *r, const char *type,
					const char *id)
{
	for (size_t i = 0; i < r->n_matches; i++)
		if (s_is_type(&r->matches[i], type) && r->matches[i].res.id != NULL &&
		    strcmp(r->matches[i].res.id, id) == 0)
			return &r->matches[i];
	return NULL;
}

/* The resource match of type whose name is name, or NULL. */
static const struct search_match *s_res_named(const struct search_result *r, const char *type,
					      const char *name)
{
	for (size_t i = 0; i < r->n_matches; i++)
		if (s_is_type(&r->matches[i], type) && r->matches[i].res.name != NULL &&
		    strcmp(r->matches[i].res.name, name) == 0)
			return &r->matches[i];
	return NULL;
}

static size_t s_count_type(const struct search_result *r, const char *type)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_matches; i++)
		n += s_is_type(&r->matches[i], type);
	return n;
}

/* The instance match id in account alias, or NULL. */
static const struct search_match *s_instance(const struct search_result *r, const char *alias,
					     const char *id)
{
	for (size_t i = 0; i < r->n_matches; i++) {
		const struct search_match *m = &r->matches[i];

		if (m->kind == SEARCH_MATCH_INSTANCE && m->instance.instance_id != NULL &&
		    strcmp(m->instance.instance_id, id) == 0 &&
		    strcmp(m->account_alias, alias) == 0)
			return m;
	}
	return NULL;
}

/* The relation of kind to id, or NULL. */
static const struct res_rel *s_rel(const struct res_resource *res, const char *kind,
				   const char *id)
{
	for (size_t i = 0; i < res->n_rels; i++)
		if (strcmp(res->rels[i].kind, kind) == 0 && strcmp(res->rels[i].id, id) == 0)
			return &res->rels[i];
	return NULL;
}

/* Occurrences of needle in s. */
static size_t s_occurs(const char *s, const char *needle)
{
	size_t n = 0;

	while (s != NULL && (s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* ---- DNS fallback ------------------------------------------------------------ */

/* [search] max_inflight: auto (0) is 2 per target within [64, 128]; an
 * explicit value is used as given. */
static void test_inflight_cap(void **state)
{
	(void)state;
	assert_int_equal(search_inflight_cap(0, 0), SEARCH_AUTO_MIN);
	assert_int_equal(search_inflight_cap(0, 1), 64);
	assert_int_equal(search_inflight_cap(0, 32), 64);
	assert_int_equal(search_inflight_cap(0, 33), 66);
	assert_int_equal(search_inflight_cap(0, 64), 128);
	assert_int_equal(search_inflight_cap(0, 65), SEARCH_AUTO_MAX);
	assert_int_equal(search_inflight_cap(0, 1000), 128);
	assert_int_equal(search_inflight_cap(0, SIZE_MAX), 128);
	assert_int_equal(search_inflight_cap(-1, 40), 80);
	assert_int_equal(search_inflight_cap(1, 1000), 1);
	assert_int_equal(search_inflight_cap(32, 64), 32);
	assert_int_equal(search_inflight_cap(1024, 1), 1024);
}

static void test_host_in_no_zone_is_resolved(void **state)
{
	struct fixture *fx = *state;
	struct s_resolver res = { .addr = WEB1_IP };
	struct search_engine *e = s_engine(fx, &res, 1);
	struct search_result r;
	const struct search_match *m;

	s_search(e, NOZONE_HOST, &r);
	/* Asked once, for the host the user typed. */
	assert_int_equal(res.calls, 1);
	assert_string_equal(res.host, NOZONE_HOST);
	/* The address is searched like a term: prod-web-1 holds it. */
	m = s_instance(&r, PROD_ALIAS, WEB1);
	assert_non_null(m);
	assert_string_equal(m->region, "eu-west-2");
	/* The reply says where the address came from. */
	assert_non_null(r.dns_note);
	assert_non_null(strstr(r.dns_note, NOZONE_HOST));
	assert_non_null(strstr(r.dns_note, WEB1_IP));
	s_no_failures(&r);
	search_result_free(&r);
	search_engine_free(e);
}

static void test_resolve_dns_off_asks_no_resolver(void **state)
{
	struct fixture *fx = *state;
	struct s_resolver res = { .addr = WEB1_IP };
	/* The engine holds the resolver, but resolve_dns is off. */
	struct search_engine *e = s_engine(fx, &res, 0);
	struct search_result r;

	s_search(e, NOZONE_HOST, &r);
	assert_int_equal(res.calls, 0);
	assert_int_equal(r.n_matches, 0);
	assert_null(r.dns_note);
	s_no_failures(&r);
	search_result_free(&r);
	search_engine_free(e);
}

static void test_host_in_a_zone_is_not_resolved(void **state)
{
	struct fixture *fx = *state;
	struct s_resolver res = { .addr = WEB1_IP };
	struct search_engine *e = s_engine(fx, &res, 1);
	struct search_result r;

	s_search(e, API_HOST, &r);
	assert_int_equal(res.calls, 0);
	assert_null(r.dns_note);
	assert_non_null(s_res(&r, "dns-record", API_HOST));
	s_no_failures(&r);
	search_result_free(&r);
	search_engine_free(e);
}

/* ---- the Route 53 chain --------------------------------------------------- */

/* api.example.com -> CNAME www.example.com -> ALIAS prod-alb -> its
 * targets, each step a match carrying the chain so far. */
static void test_chain_to_load_balancer_targets(void **state)
{
	struct fixture *fx = *state;
	struct search_engine *e = s_engine(fx, NULL, 0);
	struct search_result r;
	const struct search_match *api, *www, *alb;
	const struct res_rel *t1, *t2;
	size_t n_www = 0;
	int www_a = 0, www_aaaa = 0;
	char hop[512];

	s_search(e, API_HOST, &r);
	s_no_failures(&r);

	/* The user's own record: no hop, a CNAME to www. */
	api = s_res(&r, "dns-record", API_HOST);
	assert_non_null(api);
	assert_null(api->res.hop);
	assert_string_equal(res_field(&api->res, "Type"), "CNAME");
	assert_non_null(s_rel(&api->res, "cname", WWW_HOST));
	assert_string_equal(res_field(&api->res, "Zone ID"), PUBLIC_ZONE);

	/* One hop on: www's alias record sets, A and AAAA (two resources
	 * that share the host as id: both shown), each with the hop. */
	www = s_res(&r, "dns-record", WWW_HOST);
	assert_non_null(www);
	for (size_t i = 0; i < r.n_matches; i++) {
		const struct search_match *m = &r.matches[i];

		if (!s_is_type(m, "dns-record") || strcmp(m->res.id, WWW_HOST) != 0)
			continue;
		assert_string_equal(m->res.hop, API_HOST " → CNAME " WWW_HOST);
		assert_non_null(s_rel(&m->res, "alias", ALB_DNS));
		n_www++;
		www_a |= strcmp(res_field(&m->res, "Type"), "A") == 0;
		www_aaaa |= strcmp(res_field(&m->res, "Type"), "AAAA") == 0;
	}

	/* Route 53 is global: its records are in no region. */
	for (size_t i = 0; i < r.n_matches; i++)
		if (s_is_type(&r.matches[i], "dns-record"))
			assert_string_equal(r.matches[i].region, "global");
	assert_string_equal(api->account_alias, PROD_ALIAS);
	assert_string_equal(api->account_id, PROD);

	/* Two hops on: the ALB, with the whole chain. */
	alb = s_res_named(&r, "load-balancer", ALB_NAME);
	assert_non_null(alb);
	snprintf(hop, sizeof(hop), "%s → ALIAS %s", www->res.hop, ALB_DNS);
	assert_string_equal(alb->res.hop, hop);
	assert_string_equal(alb->region, "eu-west-2");
	assert_string_equal(alb->account_alias, PROD_ALIAS);

	/* Its instance targets, named, with their health. */
	t1 = s_rel(&alb->res, "target", WEB1);
	t2 = s_rel(&alb->res, "target", WEB2);
	assert_non_null(t1);
	assert_non_null(t2);
	assert_string_equal(t1->type, "instance");
	assert_string_equal(t2->type, "instance");
	assert_true(strncmp(t1->detail, WEB1_HEALTH " ", strlen(WEB1_HEALTH " ")) == 0);
	assert_true(strncmp(t2->detail, WEB2_HEALTH " ", strlen(WEB2_HEALTH " ")) == 0);
	assert_non_null(strstr(t1->detail, ALB_TG));
	assert_non_null(t1->name);
	assert_non_null(t2->name);
	assert_string_equal(t1->name, WEB1_NAME);
	assert_string_equal(t2->name, WEB2_NAME);

	/* The user's record is ranked before what the chain reached. */
	assert_true(api < www && www < alb);
	/* Both of www's sets (checked last: the rest holds either way). */
	assert_int_equal(n_www, 2);
	assert_true(www_a && www_aaaa);
	search_result_free(&r);
	search_engine_free(e);
}

/* ---- the hop bound and loops ----------------------------------------------- */

static void test_chain_stops_after_max_hops(void **state)
{
	struct fixture *fx = *state;
	struct search_engine *e = s_engine(fx, NULL, 0);
	struct search_result r;
	int before = s_calls(fx, CALL_RRSETS), after;
	char first[64], name[64];

	snprintf(first, sizeof(first), CHAIN_FMT, 1);
	s_search(e, first, &r);
	after = s_calls(fx, CALL_RRSETS);
	s_no_failures(&r);
	/* The user's name and RT_MAX_HOPS hops, one listing each. */
	assert_int_equal(after - before, RT_MAX_HOPS + 1);
	assert_int_equal(s_count_type(&r, "dns-record"), RT_MAX_HOPS + 1);
	for (int i = 1; i <= RT_MAX_HOPS + 1; i++) {
		const struct search_match *m;

		snprintf(name, sizeof(name), CHAIN_FMT, i);
		m = s_res(&r, "dns-record", name);
		assert_non_null(m);
		/* Each match shows the hops that led to it. */
		assert_int_equal(s_occurs(m->res.hop, "→"), i - 1);
	}
	/* The last one's CNAME is shown, not followed. */
	snprintf(name, sizeof(name), CHAIN_FMT, RT_MAX_HOPS + 2);
	assert_null(s_res(&r, "dns-record", name));
	snprintf(first, sizeof(first), CHAIN_FMT, RT_MAX_HOPS + 1);
	assert_non_null(s_rel(&s_res(&r, "dns-record", first)->res, "cname", name));
	search_result_free(&r);
	search_engine_free(e);
}

static void test_cname_loop_ends_without_repeating(void **state)
{
	struct fixture *fx = *state;
	struct search_engine *e = s_engine(fx, NULL, 0);
	struct search_result r;
	int before = s_calls(fx, CALL_RRSETS), after;

	s_search(e, LOOP_A, &r);
	after = s_calls(fx, CALL_RRSETS);
	s_no_failures(&r);
	/* a and b, each asked once: back at a, the loop is seen. */
	assert_int_equal(after - before, 2);
	assert_int_equal(s_count_type(&r, "dns-record"), 2);
	assert_non_null(s_res(&r, "dns-record", LOOP_A));
	assert_non_null(s_res(&r, "dns-record", LOOP_B));
	search_result_free(&r);
	search_engine_free(e);
}

/* ---- "not in this target" ---------------------------------------------------- */

/* text is asked in its one account and region and answered not found:
 * no match and no failure, though the call named in call was made. */
static void s_absent(struct fixture *fx, const char *text, const char *call)
{
	struct search_engine *e = s_engine(fx, NULL, 0);
	struct search_result r;
	int before = s_calls(fx, call);

	s_search(e, text, &r);
	assert_true(s_calls(fx, call) > before);
	assert_int_equal(r.n_matches, 0);
	s_no_failures(&r);
	search_result_free(&r);
	search_engine_free(e);
}

static void test_absent_lambda_is_no_failure(void **state)
{
	/* 404 ResourceNotFoundException (README "lambda"). */
	s_absent(*state, "arn:aws:lambda:eu-west-2:" PROD ":function:no-such-function",
		 CALL_GET_FUNCTION);
}

static void test_absent_load_balancers_are_no_failure(void **state)
{
	/* 400 LoadBalancerNotFound, in both APIs (README
	 * "elasticloadbalancing"). */
	s_absent(*state, "arn:aws:elasticloadbalancing:eu-west-2:" PROD
		 ":loadbalancer/app/no-such-alb/0123456789abcdef", CALL_V2_LBS);
	s_absent(*state, "arn:aws:elasticloadbalancing:eu-west-2:" PROD
		 ":loadbalancer/no-such-clb", CALL_CLB_LBS);
	/* A DNS name of no load balancer: the region's are listed, none is
	 * it. */
	s_absent(*state, "no-such-alb-1234567890.eu-west-2.elb.amazonaws.com", CALL_V2_LBS);
}

/* ---- dedupe and Names ---------------------------------------------------------- */

static void test_same_resource_twice_is_shown_once(void **state)
{
	struct fixture *fx = *state;
	struct search_engine *e = s_engine(fx, NULL, 0);
	struct search_result r;

	s_search(e, WEB_SG " arn:aws:ec2:eu-west-2:" PROD ":security-group/" WEB_SG, &r);
	s_no_failures(&r);
	assert_int_equal(r.n_matches, 1);
	assert_non_null(s_res(&r, "security-group", WEB_SG));
	assert_string_equal(r.matches[0].region, "eu-west-2");
	search_result_free(&r);
	search_engine_free(e);
}

/* The match's name: the Name tag of an instance, a resource's name. */
static const char *s_match_name(const struct search_match *m)
{
	if (m->kind == SEARCH_MATCH_INSTANCE)
		return ec2_tag_get(m->instance.tags, m->instance.n_tags, "Name");
	if (m->kind == SEARCH_MATCH_RESOURCE)
		return m->res.name;
	return NULL;
}

static void test_name_any_case_across_types(void **state)
{
	struct fixture *fx = *state;
	struct search_engine *e = s_engine(fx, NULL, 0);
	struct search_result r;
	const struct search_match *sg;

	s_search(e, "prod-WEB", &r);
	s_no_failures(&r);
	sg = s_res(&r, "security-group", WEB_SG);
	assert_non_null(sg);
	assert_string_equal(sg->res.name, WEB_SG_NAME);
	assert_non_null(s_instance(&r, PROD_ALIAS, WEB1));
	/* Every match is named so, in some case. */
	for (size_t i = 0; i < r.n_matches; i++) {
		const char *n = s_match_name(&r.matches[i]);

		assert_non_null(n);
		assert_non_null(strcasestr(n, "prod-web"));
	}
	search_result_free(&r);
	search_engine_free(e);
}

/* ---- listings and the request budget ------------------------------------ */

/* README "production eu-west-2" and "production Route 53": the target a
 * listing is tried on, and what it holds that the assertions name. */
static const char *const s_list_accounts[] = { PROD_ALIAS };
static const char *const s_list_regions[] = { "eu-west-2" };
#define PROD_ZONES 2              /* the public and the private zone */

/* One call of every listing of one regional target and, once per
 * account, Route 53's: the stand-in's fixture holds less than a page of
 * each. Route 53's ListHostedZones is asked by both of its types. */
static const struct {
	const char *call;
	int n;
} s_list_calls[] = {
	{ "ec2:DescribeInstances", 1 },         { "ec2:DescribeNetworkInterfaces", 1 },
	{ "ec2:DescribeSecurityGroups", 1 },    { "ec2:DescribeSubnets", 1 },
	{ "ec2:DescribeVpcs", 1 },              { "ec2:DescribeVolumes", 1 },
	{ "ec2:DescribeImages", 1 },            { "ec2:DescribeSnapshots", 1 },
	{ "ec2:DescribeNatGateways", 1 },       { "ec2:DescribeInternetGateways", 1 },
	{ "ec2:DescribeVpcEndpoints", 1 },      { "ec2:DescribeTransitGateways", 1 },
	{ "ec2:DescribeLaunchTemplates", 1 },   { "elbv2:DescribeLoadBalancers", 1 },
	{ "elb:DescribeLoadBalancers", 1 },     { "rds:DescribeDBInstances", 1 },
	{ "rds:DescribeDBClusters", 1 },        { "autoscaling:DescribeAutoScalingGroups", 1 },
	{ "lambda:ListFunctions", 1 },          { "route53:ListHostedZones", 2 },
	{ "route53:ListResourceRecordSets", PROD_ZONES },
	/* The follow-ups a listing leaves out (see rt_elb.c, rt_route53.c). */
	{ "elbv2:DescribeListeners", 0 },       { "elbv2:DescribeTargetGroups", 0 },
	{ "elbv2:DescribeTargetHealth", 0 },    { "elb:DescribeInstanceHealth", 0 },
	{ "route53:GetHostedZone", 0 },
};
#define N_LIST_CALLS (sizeof(s_list_calls) / sizeof(s_list_calls[0]))

/* The services a listing calls, as the stand-in counts them. */
static const char *const s_list_services[] = {
	"ec2", "elasticloadbalancing", "rds", "autoscaling", "lambda", "route53"
};
#define N_LIST_SERVICES (sizeof(s_list_services) / sizeof(s_list_services[0]))

/* The stand-in's counts of group.key for each of keys. */
static void s_counts(const struct fixture *fx, const char *group, const char *const *keys,
		     size_t n, int *out)
{
	struct standin_body *b = calloc(1, sizeof(*b));
	json_object *root;

	assert_non_null(b);
	assert_int_equal(standin_http(&fx->aws, "/_control/stats", NULL, b), 200);
	root = json_tokener_parse(b->data);
	assert_non_null(root);
	for (size_t i = 0; i < n; i++)
		out[i] = standin_count(root, group, keys[i]);
	json_object_put(root);
	free(b);
}

/* A listing of production eu-west-2 at rate requests a second (0: no
 * budget): the result, the calls of each service it made and how long
 * search_run took (ms). */
static void s_list(struct fixture *fx, double rate, struct search_result *out,
		   int calls[N_LIST_SERVICES], long long *ms)
{
	const struct search_term t = { .kind = SEARCH_TERM_LIST, .value = "" };
	const struct search_spec spec = {
		.terms = &t, .n_terms = 1, .accounts = s_list_accounts, .n_accounts = 1,
		.regions = s_list_regions, .n_regions = 1, .text = "", .rate_per_s = rate,
	};
	struct search_engine *e = s_engine(fx, NULL, 0);
	int before[N_LIST_SERVICES];
	struct search_ctx *ctx;
	struct si_err err;
	long long t0;

	ctx = search_ctx_new(1, &err);
	assert_non_null(ctx);
	s_counts(fx, "by_service", s_list_services, N_LIST_SERVICES, before);
	t0 = si_mono_ms();
	if (search_run(e, ctx, &spec, out, &err) != 0)
		fail_msg("search_run(LIST): %s", err.msg);
	*ms = si_mono_ms() - t0;
	s_counts(fx, "by_service", s_list_services, N_LIST_SERVICES, calls);
	for (size_t i = 0; i < N_LIST_SERVICES; i++)
		calls[i] -= before[i];
	search_ctx_free(ctx);
	search_engine_free(e);
}

/* A listing returns everything every type holds in the target, at one
 * call per type and page and no follow-up (README "production
 * eu-west-2", "production Route 53"). */
static void test_list_target(void **state)
{
	struct fixture *fx = *state;
	const char *keys[N_LIST_CALLS];
	int before[N_LIST_CALLS], after[N_LIST_CALLS], calls[N_LIST_SERVICES];
	size_t instances = 0, enis = 0;
	struct search_result r;
	const struct search_match *api, *alb;
	long long ms;

	for (size_t i = 0; i < N_LIST_CALLS; i++)
		keys[i] = s_list_calls[i].call;
	s_counts(fx, "by_call", keys, N_LIST_CALLS, before);
	s_list(fx, 0, &r, calls, &ms);
	s_counts(fx, "by_call", keys, N_LIST_CALLS, after);
	s_no_failures(&r);
	for (size_t i = 0; i < N_LIST_CALLS; i++)
		if (after[i] - before[i] != s_list_calls[i].n)
			fail_msg("%s: %d calls, wanted %d", keys[i], after[i] - before[i],
				 s_list_calls[i].n);
	/* Every type holds something there; every match is of the target. */
	for (size_t i = 0; i < r.n_matches; i++) {
		const struct search_match *m = &r.matches[i];

		instances += m->kind == SEARCH_MATCH_INSTANCE;
		enis += m->kind == SEARCH_MATCH_ENI;
		assert_string_equal(m->account_alias, PROD_ALIAS);
		assert_null(m->kind == SEARCH_MATCH_RESOURCE ? m->res.hop : NULL);
	}
	assert_true(instances > 0 && enis > 0);
	for (size_t i = 0; rt_types[i] != NULL; i++)
		if (rt_types[i] != rt_by_name("instance") &&
		    rt_types[i] != rt_by_name("network-interface") &&
		    s_count_type(&r, rt_types[i]->name) == 0)
			fail_msg("the listing found no %s", rt_types[i]->name);
	assert_int_equal(s_count_type(&r, "dns-zone"), PROD_ZONES);
	/* Found by the instance listing, not through a volume or an ENI. */
	assert_non_null(s_instance(&r, PROD_ALIAS, WEB1));
	/* A record keeps what it points to, unfollowed. */
	api = s_res(&r, "dns-record", API_HOST);
	assert_non_null(api);
	assert_non_null(s_rel(&api->res, "cname", WWW_HOST));
	/* The ALB as listed: no targets asked for. */
	alb = s_res_named(&r, "load-balancer", ALB_NAME);
	assert_non_null(alb);
	assert_null(s_rel(&alb->res, "target", WEB1));
	assert_true(alb->res.n_dns > 0);
	search_result_free(&r);
}

/* At 5 requests a second (burst 5), the N calls one service makes in one
 * target take at least (N - 5) / 5 seconds: the last call is sent no
 * earlier than that after the first (asserted on the search's wall time,
 * a lower bound). The budget changes neither the calls nor the answer;
 * without it (rate 0) the same calls are made. */
static void test_list_request_budget(void **state)
{
	const double rate = 5.0, burst = 5.0;
	struct fixture *fx = *state;
	int free_calls[N_LIST_SERVICES], paced[N_LIST_SERVICES];
	struct search_result r0, r5;
	long long ms0, ms5, floor_ms;
	size_t busiest = 0;

	s_list(fx, 0, &r0, free_calls, &ms0);
	s_list(fx, rate, &r5, paced, &ms5);
	s_no_failures(&r0);
	s_no_failures(&r5);
	for (size_t i = 0; i < N_LIST_SERVICES; i++) {
		assert_int_equal(paced[i], free_calls[i]);
		if (paced[i] > paced[busiest])
			busiest = i;
	}
	assert_int_equal(r5.n_matches, r0.n_matches);
	/* EC2: 13 listings, more than the burst, so the bound says something. */
	assert_string_equal(s_list_services[busiest], "ec2");
	assert_true(paced[busiest] > (int)burst);
	floor_ms = (long long)(((double)paced[busiest] - burst) / rate * 1000.0);
	if (ms5 < floor_ms)
		fail_msg("%d %s calls at %.0f/s took %lld ms, less than %lld", paced[busiest],
			 s_list_services[busiest], rate, ms5, floor_ms);
	search_result_free(&r0);
	search_result_free(&r5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inflight_cap),
		cmocka_unit_test_setup(test_host_in_no_zone_is_resolved, setup),
		cmocka_unit_test_setup(test_resolve_dns_off_asks_no_resolver, setup),
		cmocka_unit_test_setup(test_host_in_a_zone_is_not_resolved, setup),
		cmocka_unit_test_setup(test_chain_to_load_balancer_targets, setup),
		cmocka_unit_test_setup(test_chain_stops_after_max_hops, setup),
		cmocka_unit_test_setup(test_cname_loop_ends_without_repeating, setup),
		cmocka_unit_test_setup(test_absent_lambda_is_no_failure, setup),
		cmocka_unit_test_setup(test_absent_load_balancers_are_no_failure, setup),
		cmocka_unit_test_setup(test_same_resource_twice_is_shown_once, setup),
		cmocka_unit_test_setup(test_name_any_case_across_types, setup),
		cmocka_unit_test_setup(test_list_target, setup),
		cmocka_unit_test_setup(test_list_request_budget, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
