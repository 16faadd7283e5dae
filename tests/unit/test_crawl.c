/*
 * test_crawl.c - the inventory crawler (common/inventory.h) without AWS:
 * the time in a StateTransitionReason (aws/ec2_types.h, a table), what a
 * search match becomes for the store (instances and security groups from
 * the shared AWS samples through their type modules, cards read back as
 * JSON), the services the registry's types are crawled under, role ARNs,
 * and the background thread's life: a store that cannot be opened is an
 * error, not a crash, and a stop ends the thread's wait at once.
 *
 * The crawl against a live peer (targets written, history, kill -9, the
 * request budget) is tests/integration/test_inventory.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <libxml/parser.h>

#include "aws/client.h"
#include "aws/creds.h"
#include "aws/ec2_types.h"
#include "config.h"
#include "fixture.h"
#include "inventory.h"
#include "rt_testlib.h"
#include "search/collect.h"
#include "search/registry.h"
#include "util/clock.h"

#define S_REGION "us-west-2"
#define S_ACCOUNT "123456789012"

/* ---- StateTransitionReason ------------------------------------------- */

static const struct {
	const char *reason;
	int rc;
	time_t want;
} s_reasons[] = {
	/* The shape of botocore's DescribeInstances sample (its stopped
	 * instance's reason). */
	{ "User initiated (2013-03-01 17:24:16 GMT)", 0, 1362158656 },
	/* Any words before the parenthesis. */
	{ "Service initiated (2013-03-01 17:24:16 GMT)", 0, 1362158656 },
	{ "x (2017-01-01 00:00:00 GMT)", 0, 1483228800 },
	/* The leap second counts as the next midnight (iso8601.h's rule). */
	{ "User initiated (2016-12-31 23:59:60 GMT)", 0, 1483228800 },
	{ NULL, -1, 0 },
	{ "", -1, 0 },
	{ "User initiated shutdown", -1, 0 },
	{ "Client.UserInitiatedShutdown: User initiated shutdown", -1, 0 },
	{ "(2013-03-01 17:24:16 GMT)", -1, 0 },
	{ "User initiated (2013-03-01 17:24:16 GMT) ", -1, 0 },
	{ "User initiated (2013-03-01 17:24:16 UTC)", -1, 0 },
	{ "User initiated (2013-03-01T17:24:16 GMT)", -1, 0 },
	{ "User initiated (2013-03-01 17:24:16GMT)", -1, 0 },
	{ "User initiated(2013-03-01 17:24:16 GMT)", -1, 0 },
	{ "User initiated (2013-02-30 17:24:16 GMT)", -1, 0 },
	{ "User initiated (2013-03-01 24:00:00 GMT)", -1, 0 },
	{ "User initiated (1969-12-31 23:59:59 GMT)", -1, 0 },
	{ "User initiated (2013-3-01 17:24:16 GMT)", -1, 0 },
	{ "User initiated (2013-03-01 17:24:1x GMT)", -1, 0 },
};

static void test_reason_time_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_reasons) / sizeof(s_reasons[0]); i++) {
		time_t got = 42;
		int rc = ec2_reason_time(s_reasons[i].reason, &got);

		if (rc != s_reasons[i].rc || got != s_reasons[i].want)
			fail_msg("\"%s\": rc %d time %lld, want %d %lld",
				 s_reasons[i].reason ? s_reasons[i].reason : "(null)", rc,
				 (long long)got, s_reasons[i].rc, (long long)s_reasons[i].want);
	}
}

/* ---- matches from the samples ------------------------------------------ */

static const struct rt_type *s_type(const char *name)
{
	const struct rt_type *t = rt_by_name(name);

	if (t == NULL)
		fail_msg("no type %s in the registry", name);
	return t;
}

/* List type in the test target and answer its first request with the
 * shared sample name (whose body is edited from -> to, when from is not
 * NULL); the matches land in out. */
static void s_list(const char *type, const char *sample, const char *from, const char *to,
		   struct rt_collect *out)
{
	const struct rt_type *t = s_type(type);
	const struct search_term term = { .kind = SEARCH_TERM_LIST, .value = "", .type = t };
	struct fixture_blob b = rtt_sample(sample);
	struct rt_collect plan;
	struct si_err err;
	char *body = from != NULL ? rtt_subst(b.data, from, to) : b.data;

	memset(&plan, 0, sizeof(plan));
	memset(out, 0, sizeof(*out));
	assert_int_equal(rt_collect_plan(t, &term, S_REGION, S_ACCOUNT, 1, &plan), 0);
	assert_true(plan.n_reqs >= 1);
	if (rtt_replay(t, &plan.reqs[0], &term, S_REGION, S_ACCOUNT, body, strlen(body), out,
		       &err) != 0)
		fail_msg("%s answer: %s", type, err.msg);
	if (body != b.data)
		free(body);
	free(b.data);
	rt_collect_free(&plan);
}

/* The match of c whose instance id / resource id is id. */
static const struct search_match *s_match(const struct rt_collect *c, const char *id)
{
	for (size_t i = 0; i < c->result.n_matches; i++) {
		const struct search_match *m = &c->result.matches[i];
		const char *mid = m->kind == SEARCH_MATCH_INSTANCE ? m->instance.instance_id
				  : m->kind == SEARCH_MATCH_ENI ? m->eni.eni_id : m->res.id;

		if (mid != NULL && strcmp(mid, id) == 0)
			return m;
	}
	fail_msg("no match %s", id);
	return NULL;
}

static int s_has(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* The card of ci, parsed (json_object_put). */
static struct json_object *s_card(const struct crawl_item *ci)
{
	struct json_object *o;

	assert_non_null(ci->item.card);
	o = json_tokener_parse(ci->item.card);
	if (o == NULL || !json_object_is_type(o, json_type_object))
		fail_msg("card is not a JSON object: %.200s", ci->item.card);
	return o;
}

static const char *s_jget(struct json_object *o, const char *key)
{
	struct json_object *v = fixture_get(o, key);

	return v != NULL ? json_object_get_string(v) : NULL;
}

/* The aws layer keeps StateTransitionReason as botocore reads it. */
static void test_instance_reason_parsed(void **state)
{
	struct json_object *want = rtt_sample_json("ec2-describe-instances.botocore.expected.json");
	struct json_object *res = fixture_get(want, "Reservations");
	struct rt_collect c;
	size_t checked = 0;

	(void)state;
	s_list("instance", "ec2-describe-instances.botocore.xml", NULL, NULL, &c);
	for (size_t r = 0; r < json_object_array_length(res); r++) {
		struct json_object *ins = fixture_get(json_object_array_get_idx(res, r),
						      "Instances");

		for (size_t i = 0; i < json_object_array_length(ins); i++) {
			struct json_object *in = json_object_array_get_idx(ins, i);
			const char *reason = s_jget(in, "StateTransitionReason");
			const struct search_match *m = s_match(&c, s_jget(in, "InstanceId"));

			rtt_expect(m->instance.instance_id, "state_reason",
				   reason != NULL && reason[0] ? reason : NULL,
				   m->instance.state_reason);
			checked++;
		}
	}
	assert_int_equal(checked, 2);
	rt_collect_free(&c);
	json_object_put(want);
}

/* A running instance: identity, AWS's launch time, every address and
 * DNS name, and its card. */
static void test_item_running_instance(void **state)
{
	struct rt_collect c;
	struct crawl_item ci;
	struct si_err err;
	struct json_object *card;
	const struct search_match *m;

	(void)state;
	s_list("instance", "ec2-describe-instances.botocore.xml", NULL, NULL, &c);
	m = s_match(&c, "i-78f1b94a");
	assert_int_equal(crawl_item_from_match(m, S_ACCOUNT, "aws", &ci, &err), 0);
	assert_string_equal(ci.item.type, "instance");
	assert_string_equal(ci.item.id, "i-78f1b94a");
	assert_string_equal(ci.item.arn, "arn:aws:ec2:us-west-2:123456789012:instance/i-78f1b94a");
	assert_string_equal(ci.item.state, "running");
	assert_null(ci.item.name);
	/* 2013-03-12T01:55:59.000Z */
	assert_int_equal(ci.item.created, 1363053359);
	assert_int_equal(ci.item.hold_start, 1363053359);
	assert_int_equal(ci.item.ended_at, 0);
	assert_true(s_has(ci.item.addrs, ci.item.n_addrs, "10.253.17.74"));
	assert_true(s_has(ci.item.addrs, ci.item.n_addrs, "54.245.16.142"));
	assert_true(s_has(ci.item.dns, ci.item.n_dns,
			  "ip-10-253-17-74.us-west-2.compute.internal"));
	assert_true(s_has(ci.item.dns, ci.item.n_dns,
			  "ec2-54-245-16-142.us-west-2.compute.amazonaws.com"));
	/* Each address once, though the instance and its interface both
	 * name it. */
	for (size_t i = 0; i < ci.item.n_addrs; i++)
		for (size_t k = i + 1; k < ci.item.n_addrs; k++)
			assert_string_not_equal(ci.item.addrs[i], ci.item.addrs[k]);
	card = s_card(&ci);
	assert_string_equal(s_jget(card, "type"), "instance");
	assert_string_equal(s_jget(card, "id"), "i-78f1b94a");
	assert_string_equal(s_jget(card, "launch_time"), "2013-03-12T01:55:59.000Z");
	assert_string_equal(s_jget(card, "private_ip"), "10.253.17.74");
	assert_true(json_object_is_type(fixture_get(card, "enis"), json_type_array));
	json_object_put(card);
	crawl_item_clear(&ci);
	rt_collect_free(&c);
}

/* An instance's interfaces are not kept as resources of their own (the
 * interface listing drops attached ones): their ids are the instance's
 * other ids, so an eni- pasted from a flow log finds it. AWS's sample
 * (networkInterfaceSet, eni-551ba033). */
static void test_item_instance_eni_ids(void **state)
{
	struct rt_collect c;
	struct crawl_item ci;
	struct si_err err;

	(void)state;
	s_list("instance", "ec2-describe-instances.awsdocs.xml", NULL, NULL, &c);
	assert_int_equal(crawl_item_from_match(s_match(&c, "i-1234567890abcdef0"), S_ACCOUNT,
					       "aws", &ci, &err), 0);
	assert_int_equal(ci.item.n_alt_ids, 1);
	assert_string_equal(ci.item.alt_ids[0], "eni-551ba033");
	crawl_item_clear(&ci);
	rt_collect_free(&c);
}

/* A stopped instance's reason dates the stop: its holds do not end. The
 * same instance terminated: the reason's time ends them. */
static void test_item_terminated_instance(void **state)
{
	struct rt_collect c;
	struct crawl_item ci;
	struct si_err err;

	(void)state;
	s_list("instance", "ec2-describe-instances.botocore.xml", NULL, NULL, &c);
	assert_int_equal(crawl_item_from_match(s_match(&c, "i-fde9cece"), S_ACCOUNT, "aws", &ci,
					       &err), 0);
	assert_string_equal(ci.item.state, "stopped");
	assert_int_equal(ci.item.ended_at, 0);
	assert_int_equal(ci.item.hold_start, 1350417613);   /* 2012-10-16T20:00:13Z */
	crawl_item_clear(&ci);
	rt_collect_free(&c);

	s_list("instance", "ec2-describe-instances.botocore.xml", "<name>stopped</name>",
	       "<name>terminated</name>", &c);
	assert_int_equal(crawl_item_from_match(s_match(&c, "i-fde9cece"), S_ACCOUNT, "aws", &ci,
					       &err), 0);
	assert_string_equal(ci.item.state, "terminated");
	assert_int_equal(ci.item.ended_at, 1362158656);     /* 2013-03-01 17:24:16 GMT */
	assert_int_equal(ci.item.n_addrs, 0);
	crawl_item_clear(&ci);
	rt_collect_free(&c);
}

/* A generic resource: the module's id, ARN and name, its card with the
 * fields in order, the type's summary and console link. */
static void test_item_security_group(void **state)
{
	struct rt_collect c;
	struct crawl_item ci;
	struct si_err err;
	struct json_object *card, *fields;
	const struct search_match *m;

	(void)state;
	s_list("security-group", "ec2-describe-security-groups.botocore.xml", NULL, NULL, &c);
	assert_int_equal(c.result.n_matches, 5);
	m = s_match(&c, "sg-97b1aefb");
	assert_int_equal(crawl_item_from_match(m, S_ACCOUNT, "aws", &ci, &err), 0);
	assert_string_equal(ci.item.type, "security-group");
	assert_string_equal(ci.item.id, "sg-97b1aefb");
	rtt_expect("sg-97b1aefb", "arn", m->res.arn, ci.item.arn);
	rtt_expect("sg-97b1aefb", "name", m->res.name, ci.item.name);
	card = s_card(&ci);
	assert_string_equal(s_jget(card, "type"), "security-group");
	assert_string_equal(s_jget(card, "label"), s_type("security-group")->label);
	assert_string_equal(s_jget(card, "id"), "sg-97b1aefb");
	assert_non_null(s_jget(card, "console_url"));
	assert_non_null(strstr(s_jget(card, "console_url"), "sg-97b1aefb"));
	fields = fixture_get(card, "fields");
	assert_true(json_object_is_type(fields, json_type_array));
	assert_int_equal(json_object_array_length(fields), m->res.n_fields);
	for (size_t i = 0; i < m->res.n_fields; i++) {
		struct json_object *pair = json_object_array_get_idx(fields, i);

		assert_string_equal(json_object_get_string(json_object_array_get_idx(pair, 0)),
				    m->res.fields[i].key);
		assert_string_equal(json_object_get_string(json_object_array_get_idx(pair, 1)),
				    m->res.fields[i].value);
	}
	assert_true(json_object_is_type(fixture_get(card, "tags"), json_type_object));
	json_object_put(card);
	crawl_item_clear(&ci);
	rt_collect_free(&c);
}

/* An interface of its own (built here: no sample holds an unattached
 * one): the store's id, ARN, addresses and status. */
static void test_item_interface(void **state)
{
	char *ipv6[] = { "2600:1f14::5" };
	struct ec2_private_ip ips[] = {
		{ "10.0.1.5", "ip-10-0-1-5.us-west-2.compute.internal", "3.4.5.6", NULL, 1 },
		{ "10.0.1.6", NULL, NULL, NULL, 0 },
	};
	struct ec2_tag tags[] = { { "Name", "lb-eni" } };
	struct search_match m;
	struct crawl_item ci;
	struct si_err err;
	struct json_object *card;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.kind = SEARCH_MATCH_ENI;
	m.region = S_REGION;
	m.eni.eni_id = "eni-0123456789abcdef0";
	m.eni.status = "in-use";
	m.eni.requester_id = "amazon-elb";
	m.eni.ips = ips;
	m.eni.n_ips = 2;
	m.eni.ipv6 = ipv6;
	m.eni.n_ipv6 = 1;
	m.eni.tags = tags;
	m.eni.n_tags = 1;
	assert_int_equal(crawl_item_from_match(&m, S_ACCOUNT, "aws-us-gov", &ci, &err), 0);
	assert_string_equal(ci.item.type, "network-interface");
	assert_string_equal(ci.item.arn, "arn:aws-us-gov:ec2:us-west-2:123456789012:"
				       "network-interface/eni-0123456789abcdef0");
	assert_string_equal(ci.item.name, "lb-eni");
	assert_string_equal(ci.item.state, "in-use");
	assert_int_equal(ci.item.n_addrs, 4);
	assert_true(s_has(ci.item.addrs, ci.item.n_addrs, "2600:1f14::5"));
	assert_int_equal(ci.item.n_dns, 1);
	assert_int_equal(ci.item.n_tags, 1);
	card = s_card(&ci);
	assert_string_equal(s_jget(card, "type"), "network-interface");
	assert_string_equal(s_jget(card, "requester_id"), "amazon-elb");
	json_object_put(card);
	crawl_item_clear(&ci);
}

/* A card over INV_CARD_MAX loses its relations and says how many; the
 * item keeps its identity. */
static void test_card_cap(void **state)
{
	struct search_match m;
	struct crawl_item ci;
	struct si_err err;
	struct json_object *card;
	char id[200];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.kind = SEARCH_MATCH_RESOURCE;
	m.region = S_REGION;
	m.res.type = s_type("load-balancer");
	assert_int_equal(res_set(&m.res.id, "big-alb", &err), 0);
	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	for (int i = 0; i < RES_MAX_RELS; i++)
		assert_int_equal(res_add_rel(&m.res, "target", "instance", id, "healthy", &err), 0);
	assert_int_equal(crawl_item_from_match(&m, S_ACCOUNT, "aws", &ci, &err), 0);
	assert_true(strlen(ci.item.card) <= INV_CARD_MAX);
	card = s_card(&ci);
	assert_null(fixture_get(card, "rels"));
	assert_int_equal(json_object_get_int(fixture_get(card, "rels_omitted")), RES_MAX_RELS);
	json_object_put(card);
	crawl_item_clear(&ci);
	res_clear(&m.res);
}

/* A match without an id is refused, not written as "". */
static void test_item_without_id(void **state)
{
	struct search_match m;
	struct crawl_item ci;
	struct si_err err;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.kind = SEARCH_MATCH_INSTANCE;
	m.region = S_REGION;
	assert_int_equal(crawl_item_from_match(&m, S_ACCOUNT, "aws", &ci, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	crawl_item_clear(&ci);
}

/* ---- services ------------------------------------------------------------ */

static const struct crawl_service *s_service(const struct crawl_service *v, size_t n,
					     const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	fail_msg("no service %s", name);
	return NULL;
}

static int s_in_service(const struct crawl_service *s, const char *type)
{
	for (size_t i = 0; i < s->n_types; i++)
		if (strcmp(s->types[i]->name, type) == 0)
			return 1;
	return 0;
}

/* Every type with a plan is crawled under exactly one service, the one
 * its listing calls; Route 53 is the global one. */
static void test_services(void **state)
{
	const struct crawl_service *v;
	struct si_err err;
	size_t n = 0;

	(void)state;
	assert_int_equal(crawl_services(&v, &n, &err), 0);
	for (size_t t = 0; rt_types[t] != NULL; t++) {
		size_t found = 0;

		for (size_t i = 0; i < n; i++)
			found += s_in_service(&v[i], rt_types[t]->name);
		if (found != 1)
			fail_msg("type %s is in %zu services", rt_types[t]->name, found);
	}
	for (size_t i = 0; i < n; i++)
		for (const char *p = v[i].name; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
				    *p == '-' || *p == '_');
	assert_true(s_in_service(s_service(v, n, "ec2"), "instance"));
	assert_true(s_in_service(s_service(v, n, "ec2"), "network-interface"));
	assert_true(s_in_service(s_service(v, n, "ec2"), "security-group"));
	assert_true(s_in_service(s_service(v, n, "elasticloadbalancing"), "load-balancer"));
	assert_true(s_in_service(s_service(v, n, "elasticloadbalancing"),
				 "classic-load-balancer"));
	assert_true(s_in_service(s_service(v, n, "rds"), "db-cluster"));
	assert_true(s_in_service(s_service(v, n, "route53"), "dns-record"));
	assert_true(s_service(v, n, "route53")->global);
	assert_false(s_service(v, n, "ec2")->global);
}

static void test_role_account(void **state)
{
	static const struct {
		const char *arn;
		int rc;
		const char *account, *partition;
	} cases[] = {
		{ "arn:aws:iam::111111111111:role/InfraSearchReadOnly", 0, "111111111111", "aws" },
		{ "arn:aws-us-gov:iam::222222222222:role/path/R", 0, "222222222222",
		  "aws-us-gov" },
		{ "arn:aws:iam::11111111111:role/R", -1, NULL, NULL },
		{ "arn:aws:iam::1111111111112:role/R", -1, NULL, NULL },
		{ "arn:aws:iam::11111111111x:role/R", -1, NULL, NULL },
		{ "arn::iam::111111111111:role/R", -1, NULL, NULL },
		{ "nra:aws:iam::111111111111:role/R", -1, NULL, NULL },
		{ "arn:aws:iam::111111111111", -1, NULL, NULL },
		{ "", -1, NULL, NULL },
		{ NULL, -1, NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char acct[INV_ACCOUNT_LEN + 1] = "", part[CRAWL_PARTITION_MAX] = "";
		int rc = crawl_role_account(cases[i].arn, acct, part);

		if (rc != cases[i].rc)
			fail_msg("%s: rc %d", cases[i].arn ? cases[i].arn : "(null)", rc);
		if (rc == 0) {
			assert_string_equal(acct, cases[i].account);
			assert_string_equal(part, cases[i].partition);
		}
	}
}

/* ---- the crawler without accounts ------------------------------------ */

struct s_engine {
	char *envp[4];
	struct aws_creds_provider *base;
	struct aws_client *client;
	struct search_engine *e;
};

/* An engine over accounts (borrowed; none: nothing to crawl, nothing
 * asked of AWS). Its AWS is a closed loopback port: a call fails at
 * once, never leaves the machine. */
static void s_engine_with(struct s_engine *x, const struct si_account *accts, size_t n)
{
	struct aws_client_opts co = { .max_attempts = 1 };
	struct search_settings ss = { .accounts = accts, .n_accounts = n };
	struct si_err err;

	memset(x, 0, sizeof(*x));
	x->envp[0] = "AWS_ACCESS_KEY_ID=AKIDEXAMPLE";
	x->envp[1] = "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	x->envp[2] = "AWS_ENDPOINT_URL=http://127.0.0.1:1";
	x->base = aws_creds_provider_env_new(x->envp, &err);
	assert_non_null(x->base);
	x->client = aws_client_new(&co, x->envp, x->base, &err);
	assert_non_null(x->client);
	x->e = search_engine_new(&ss, x->client, &err);
	assert_non_null(x->e);
}

static void s_engine_new(struct s_engine *x)
{
	s_engine_with(x, NULL, 0);
}

static void s_engine_free(struct s_engine *x)
{
	search_engine_free(x->e);
	aws_client_free(x->client);
	aws_creds_provider_free(x->base);
}

/* A crawler over x's engine and the SQLite file path. */
static struct crawler *s_crawler(struct s_engine *x, const char *path, int refresh_s)
{
	struct crawl_settings cs = { .refresh_s = refresh_s, .store = { .path = path } };
	struct si_err err;
	struct crawler *c;

	s_engine_new(x);
	c = crawl_new(&cs, x->e, &err);
	if (c == NULL)
		fail_msg("crawl_new: %s", err.msg);
	return c;
}

/* A path whose directory does not exist. */
#define S_NO_DIR_DB "/nonexistent-dir-si/x/state.db"

/* A store that cannot be opened: crawl_run says why, nothing crashes,
 * and the crawler can be freed. */
static void test_store_unavailable(void **state)
{
	struct crawl_totals t;
	struct s_engine x;
	struct crawler *c = s_crawler(&x, S_NO_DIR_DB, 0);
	struct si_err err;

	(void)state;
	assert_int_equal(crawl_run(c, NULL, 1, NULL, NULL, &t, &err), -1);
	assert_true(err.msg[0] != '\0');
	assert_int_equal(t.targets, 0);
	crawl_free(c);
	s_engine_free(&x);
}

/* The thread crawls (no target), then waits refresh_s on its condition
 * variable; a stop ends that wait at once, and join sees the end. */
static void test_thread_stops_promptly(void **state)
{
	char dir[] = "/tmp/si-crawl-XXXXXX", path[64];
	struct s_engine x;
	struct crawler *c;
	struct si_err err;
	struct crawl_totals t;
	long long t0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.db", dir);
	c = s_crawler(&x, path, CRAWL_REFRESH_S_MAX);
	/* The store opens; no account, no target. */
	assert_int_equal(crawl_run(c, NULL, 0, NULL, NULL, &t, &err), 0);
	assert_int_equal(t.targets, 0);
	assert_int_equal(crawl_start(c, &err), 0);
	assert_int_equal(crawl_start(c, &err), -1);      /* once */
	/* Still waiting: a join by a near deadline times out. */
	assert_int_equal(crawl_join(c, si_mono_ms() + 100), -1);
	t0 = si_mono_ms();
	crawl_stop(c);
	assert_int_equal(crawl_join(c, si_mono_ms() + 5000), 0);
	assert_true(si_mono_ms() - t0 < 1000);
	assert_int_equal(crawl_join(c, si_mono_ms()), 0); /* joined: nothing left */
	crawl_free(c);
	s_engine_free(&x);
	unlink(path);
	rmdir(dir);
}

/*
 * holder claims every target of the one account (a live claim in the
 * shared store), then a crawler runs, forced and not. dead: holder names
 * a process of this host that is gone. Returns after checking: a live
 * holder's targets are not listed (no search), counted as held, its
 * claims left alone; a dead one's are taken and crawled at once (each
 * fails on the closed port and is written as failed), no claim left.
 */
static void s_claimed_by(const char *holder, int dead)
{
	char *regions[] = { "us-west-2", "eu-west-1" };
	struct si_account acct = { .alias = "production",
				   .role_arn = "arn:aws:iam::" S_ACCOUNT ":role/si",
				   .regions = regions, .n_regions = 2 };
	char dir[] = "/tmp/si-crawl-XXXXXX", path[64];
	struct inv_claim v[2 * CRAWL_SERVICES_MAX];
	const struct crawl_service *svcs;
	struct store_settings ss = { 0 };
	struct inv_status_list sl;
	struct crawl_totals t;
	struct s_engine x;
	struct crawl_settings cs = { 0 };
	struct crawler *c;
	struct store *st;
	struct si_err err;
	size_t n_svcs, n = 0, got = 0;
	time_t now = time(NULL);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.db", dir);
	ss.path = path;
	st = store_open(&ss, &err);
	assert_non_null(st);
	assert_int_equal(crawl_services(&svcs, &n_svcs, &err), 0);
	memset(v, 0, sizeof(v));
	for (size_t i = 0; i < n_svcs; i++)
		for (size_t r = 0; r < (svcs[i].global ? 1 : 2); r++) {
			v[n].account = S_ACCOUNT;
			v[n].region = svcs[i].global ? "global" : regions[r];
			v[n++].service = svcs[i].name;
		}
	assert_int_equal(inv_claim(st, holder, now, now + 600, 0, v, n, &got, &err), 0);
	assert_int_equal(got, n);
	s_engine_with(&x, &acct, 1);
	cs.store.path = path;
	c = crawl_new(&cs, x.e, &err);
	assert_non_null(c);
	for (int force = dead; force < 2; force++) {
		assert_int_equal(crawl_run(c, NULL, force, NULL, NULL, &t, &err), 0);
		assert_int_equal(t.held, dead ? 0 : n);
		assert_int_equal(t.targets, dead ? n : 0);
		assert_int_equal(t.failed, dead ? n : 0);
		if (!dead)
			assert_int_equal(t.searches, 0);
	}
	assert_int_equal(inv_status(st, 100, &sl, &err), 0);
	assert_int_equal(sl.n, n);
	for (size_t i = 0; i < sl.n; i++) {
		if (dead) {
			assert_null(sl.items[i].claimed_by);
			assert_true(sl.items[i].last_try_at >= now);
			assert_non_null(sl.items[i].last_error);
			continue;
		}
		assert_string_equal(sl.items[i].claimed_by, holder);
		assert_int_equal(sl.items[i].last_try_at, 0);
	}
	inv_status_list_free(&sl);
	crawl_free(c);
	s_engine_free(&x);
	store_close(st);
	unlink(path);
	rmdir(dir);
}

/* Another host's crawler holds the targets: not listed, forced or not. */
static void test_claimed_elsewhere(void **state)
{
	(void)state;
	s_claimed_by("other-host:1:0:00000001", 0);
}

/* A crawler of this host that was killed holding them (its pid is gone):
 * a restart takes them at once, not at the lease's end. */
static void test_claimed_by_dead(void **state)
{
	char host[64] = "", holder[128];
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	snprintf(holder, sizeof(holder), "%s:%ld:0:0000dead", host, (long)pid);
	s_claimed_by(holder, 1);
}

/* A stop asked before the thread starts its first cycle: it still ends. */
static void test_stop_before_start(void **state)
{
	struct s_engine x;
	struct crawler *c = s_crawler(&x, S_NO_DIR_DB, 0);
	struct si_err err;

	(void)state;
	crawl_stop(c);
	assert_int_equal(crawl_start(c, &err), 0);
	assert_int_equal(crawl_join(c, si_mono_ms() + 5000), 0);
	crawl_free(c);
	crawl_stop(NULL);
	assert_int_equal(crawl_join(NULL, 0), 0);
	crawl_free(NULL);
	s_engine_free(&x);
}

static void test_bad_settings(void **state)
{
	struct crawl_settings cs = { .history_days = INV_HISTORY_DAYS_MAX + 1 };
	struct s_engine x;
	struct si_err err;

	(void)state;
	s_engine_new(&x);
	assert_null(crawl_new(&cs, x.e, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	cs.history_days = 0;
	assert_null(crawl_new(&cs, NULL, &err));
	s_engine_free(&x);
}

/* ---- [inventory] settings ---------------------------------------------- */

/* Load the configuration from the environment with one more variable
 * (NULL: none); returns what si_config_load returned. */
static int s_config(const char *var, struct si_config *cfg)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=test-signing-secret-0123456789abcdef",
			 (char *)var, NULL };
	struct si_err err;

	return si_config_load(cfg, NULL, envp, &err);
}

static void test_config_defaults_and_bounds(void **state)
{
	static const struct {
		const char *var;
		int rc;
	} cases[] = {
		{ "SLASH_INFRA_INVENTORY_ENABLED=off", 0 },
		{ "SLASH_INFRA_INVENTORY_ENABLED=maybe", -1 },
		{ "SLASH_INFRA_INVENTORY_REFRESH_S=5", 0 },
		{ "SLASH_INFRA_INVENTORY_REFRESH_S=4", -1 },
		{ "SLASH_INFRA_INVENTORY_REFRESH_S=604801", -1 },
		{ "SLASH_INFRA_INVENTORY_RATE_PER_S=1", 0 },
		{ "SLASH_INFRA_INVENTORY_RATE_PER_S=0", -1 },
		{ "SLASH_INFRA_INVENTORY_RATE_PER_S=1001", -1 },
		{ "SLASH_INFRA_INVENTORY_HISTORY_DAYS=3650", 0 },
		{ "SLASH_INFRA_INVENTORY_HISTORY_DAYS=0", -1 },
		{ "SLASH_INFRA_INVENTORY_HISTORY_DAYS=3651", -1 },
		{ "SLASH_INFRA_INVENTORY_TYPO=1", -1 },
	};
	struct si_config cfg;

	(void)state;
	assert_int_equal(s_config(NULL, &cfg), 0);
	assert_int_equal(cfg.inventory_enabled, 1);
	assert_int_equal(cfg.inventory_refresh_s, CRAWL_REFRESH_S_DEFAULT);
	assert_int_equal(cfg.inventory_rate_per_s, CRAWL_RATE_DEFAULT);
	assert_int_equal(cfg.inventory_history_days, INV_HISTORY_DAYS_DEFAULT);
	si_config_free(&cfg);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = s_config(cases[i].var, &cfg);

		if (rc != cases[i].rc)
			fail_msg("%s: rc %d, want %d", cases[i].var, rc, cases[i].rc);
		si_config_free(&cfg);
	}
	assert_int_equal(s_config("SLASH_INFRA_INVENTORY_ENABLED=off", &cfg), 0);
	assert_int_equal(cfg.inventory_enabled, 0);
	si_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_time_table),
		cmocka_unit_test(test_instance_reason_parsed),
		cmocka_unit_test(test_item_running_instance),
		cmocka_unit_test(test_item_instance_eni_ids),
		cmocka_unit_test(test_item_terminated_instance),
		cmocka_unit_test(test_item_security_group),
		cmocka_unit_test(test_item_interface),
		cmocka_unit_test(test_card_cap),
		cmocka_unit_test(test_item_without_id),
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_role_account),
		cmocka_unit_test(test_store_unavailable),
		cmocka_unit_test(test_thread_stops_promptly),
		cmocka_unit_test(test_stop_before_start),
		cmocka_unit_test(test_claimed_elsewhere),
		cmocka_unit_test(test_claimed_by_dead),
		cmocka_unit_test(test_bad_settings),
		cmocka_unit_test(test_config_defaults_and_bounds),
	};
	int rc;

	xmlInitParser();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
