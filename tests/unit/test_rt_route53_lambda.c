/*
 * test_rt_route53_lambda.c - the Route 53 and Lambda types
 * (search/rt_route53.c, search/rt_lambda.c) through the collector: what
 * they plan, how they read AWS's answers, what they follow.
 *
 * Authentic answers come from $SI_TESTDATA: every Route 53 sample in
 * aws-xml (ListHostedZones, ListResourceRecordSets, the three
 * GetHostedZone examples and the InvalidInput error) and Lambda's
 * GetFunction and ListFunctions examples in aws-json, whose values are read
 * from the files themselves. AWS publishes no CNAME, ALIAS, A or wildcard
 * example answer; those cases are built here in the shape of the
 * ListResourceRecordSets sample (same elements, same namespace), and what
 * they assert is what they carry.
 *
 * The Route 53 zone tables are process-wide: each test uses its own
 * account ids so that tests do not see each other's cached lists.
 *
 * The inventory's listings (SEARCH_TERM_LIST) are here too: every zone,
 * every record set of every zone, paged and bounded, nothing followed;
 * every function.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <libxml/parser.h>

#include "aws/xml.h"
#include "fixture.h"
#include "rt_testlib.h"
#include "search/collect.h"
#include "search/private/types.h"

#define NS "xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\""

/* ---- helpers --------------------------------------------------------- */

static struct search_term s_host(const char *host)
{
	return (struct search_term){ .kind = SEARCH_TERM_HOST, .value = host };
}

/* Answer request r (collected in c) with body; returns what the module
 * returned, the results landing in out. */
static int s_answer(const struct rt_type *t, const struct rt_collected *r,
		    const struct search_term *term, const char *account, const char *body,
		    size_t len, struct rt_collect *out, struct si_err *err)
{
	return rtt_replay(t, r, term, "us-east-1", account, body, len, out, err);
}

static int s_answer_str(const struct rt_type *t, const struct rt_collected *r,
			const struct search_term *term, const char *account, const char *body,
			struct rt_collect *out, struct si_err *err)
{
	return s_answer(t, r, term, account, body, strlen(body), out, err);
}

/* The sample must hold the literal a test asserts (so the expected value
 * is the file's, not ours). */
static void s_file_has(const struct fixture_blob *b, const char *lit)
{
	if (strstr(b->data, lit) == NULL)
		fail_msg("the sample does not hold '%s'", lit);
}

/* Append printf-style text at *used in buf (cap bytes), failing the test
 * when it does not fit. */
static void s_put(char *buf, size_t cap, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void s_put(char *buf, size_t cap, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *used, cap - *used, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < cap - *used);
	*used += (size_t)n;
}

/* A ListHostedZones answer of the given <HostedZone> elements. */
static char *s_zones_body(const char *zones, const char *trailer)
{
	size_t cap = strlen(zones) + strlen(trailer) + 512, used = 0;
	char *b = malloc(cap);

	assert_non_null(b);
	s_put(b, cap, &used, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<ListHostedZonesResponse " NS "><HostedZones>%s</HostedZones>%s"
	      "</ListHostedZonesResponse>", zones, trailer);
	return b;
}

#define ZONE(id, name, priv)                                                        \
	"<HostedZone><Id>/hostedzone/" id "</Id><Name>" name "</Name>"               \
	"<CallerReference>r</CallerReference><Config><PrivateZone>" priv             \
	"</PrivateZone></Config><ResourceRecordSetCount>3</ResourceRecordSetCount>"  \
	"</HostedZone>"

#define ONE_PAGE "<IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>"

/* A ListResourceRecordSets answer of the given <ResourceRecordSet>s. */
static char *s_sets_body(const char *sets, const char *trailer)
{
	size_t cap = strlen(sets) + strlen(trailer) + 512, used = 0;
	char *b = malloc(cap);

	assert_non_null(b);
	s_put(b, cap, &used, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<ListResourceRecordSetsResponse " NS "><ResourceRecordSets>%s"
	      "</ResourceRecordSets>%s</ListResourceRecordSetsResponse>", sets, trailer);
	return b;
}

#define SET(name, type, values)                                                      \
	"<ResourceRecordSet><Name>" name "</Name><Type>" type "</Type><TTL>300</TTL>"  \
	"<ResourceRecords>" values "</ResourceRecords></ResourceRecordSet>"
#define VAL(v) "<ResourceRecord><Value>" v "</Value></ResourceRecord>"

/* Plan host for account (first target), answer ListHostedZones with body,
 * and return in c the record listings it followed. */
static void s_zones_then(const char *account, const char *host, const char *body,
			 struct rt_collect *c)
{
	const struct search_term t = s_host(host);
	struct rt_collect plan;
	struct si_err err;

	memset(&plan, 0, sizeof(plan));
	memset(c, 0, sizeof(*c));
	assert_int_equal(rt_collect_plan(&rt_dns_record, &t, "us-east-1", account, 1, &plan), 0);
	assert_int_equal(plan.n_reqs, 1);
	assert_string_equal(plan.reqs[0].action, "ListHostedZones");
	if (s_answer_str(&rt_dns_record, &plan.reqs[0], &t, account, body, c, &err) != 0)
		fail_msg("ListHostedZones answer: %s", err.msg);
	rt_collect_free(&plan);
}

/* ---- Route 53: planning ------------------------------------------------ */

/* A host, first target of the account: ListHostedZones on the global
 * endpoint, paged by marker. Global type: nothing in the other targets;
 * nothing for other kinds of term or terms given to another type. */
static void test_r53_plan_lists_zones(void **state)
{
	struct search_term t = s_host("www.example.com");
	const struct rt_collected *r;
	struct rt_collect c;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(rt_dns_record.global, 1);
	assert_int_equal(rt_collect_plan(&rt_dns_record, &t, "eu-west-2", "100000000001", 1, &c),
			 0);
	assert_int_equal(c.n_reqs, 1);
	r = &c.reqs[0];
	assert_string_equal(r->service, "route53");
	assert_int_equal(r->proto, AWS_PROTO_REST_XML);
	assert_int_equal(r->global, 1);
	assert_string_equal(r->path, "/2013-04-01/hostedzone");
	assert_string_equal(r->page_param, "marker");
	assert_string_equal(rt_collected_param(r, "maxitems"), "100");
	rt_collect_free(&c);

	assert_int_equal(rt_collect_plan(&rt_dns_record, &t, "eu-west-1", "100000000001", 0, &c),
			 0);
	assert_int_equal(c.n_reqs, 0);
	t.type = &rt_lambda;
	assert_int_equal(rt_collect_plan(&rt_dns_record, &t, "eu-west-1", "100000000001", 1, &c),
			 0);
	assert_int_equal(c.n_reqs, 0);
	t = (struct search_term){ .kind = SEARCH_TERM_NAME, .value = "web", .name_lc = "web" };
	assert_int_equal(rt_collect_plan(&rt_dns_record, &t, "eu-west-1", "100000000001", 1, &c),
			 0);
	assert_int_equal(c.n_reqs, 0);
	t = (struct search_term){ .kind = SEARCH_TERM_CHECK };
	assert_int_equal(rt_collect_plan(&rt_dns_record, &t, "eu-west-1", "100000000001", 1, &c),
			 0);
	assert_int_equal(c.n_reqs, 2);
	assert_string_equal(c.reqs[0].action, "ListHostedZones");
	assert_string_equal(c.reqs[1].action, "ListResourceRecordSets");
	rt_collect_free(&c);
}

/* ---- Route 53: the authentic samples --------------------------------- */

/* ListHostedZones (AWS's example): one public zone, Id with the
 * "/hostedzone/" prefix, Name with its final dot, IsTruncated and
 * NextMarker. The zone holds www.example.com and the apex, not a name
 * that merely ends in its letters. */
static void test_r53_list_hosted_zones_sample(void **state)
{
	struct fixture_blob b = fixture_shared("aws-xml", "route53-list-hosted-zones.awsdocs.xml");
	static const struct {
		const char *host;
		int listed;
	} rows[] = {
		{ "www.example.com", 1 }, { "example.com", 1 }, { "a.b.example.com", 1 },
		{ "www.ample.com", 0 }, { "ample.com", 0 }, { "example.com.evil.org", 0 },
		{ "www.example.org", 0 },
	};

	(void)state;
	s_file_has(&b, "<Id>/hostedzone/Z111111QQQQQQQ</Id>");
	s_file_has(&b, "<Name>example.com.</Name>");
	s_file_has(&b, "<IsTruncated>true</IsTruncated>");
	s_file_has(&b, "<NextMarker>Z222222VVVVVVV</NextMarker>");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rt_collect c;
		char name[128];

		s_zones_then("100000000002", rows[i].host, b.data, &c);
		assert_string_equal(c.next_token, "Z222222VVVVVVV");
		assert_int_equal(c.result.n_matches, 0);
		if (!rows[i].listed) {
			if (c.n_reqs != 0)
				fail_msg("%s: listed %s", rows[i].host, c.reqs[0].path);
			rt_collect_free(&c);
			continue;
		}
		assert_int_equal(c.n_reqs, 1);
		assert_string_equal(c.reqs[0].action, "ListResourceRecordSets");
		assert_string_equal(c.reqs[0].path, "/2013-04-01/hostedzone/Z111111QQQQQQQ/rrset");
		assert_int_equal(c.reqs[0].global, 1);
		snprintf(name, sizeof(name), "%s.", rows[i].host);
		assert_string_equal(rt_collected_param(&c.reqs[0], "name"), name);
		rt_collect_free(&c);
	}
	free(b.data);
}

/* The ListResourceRecordSets example: the zone apex's SOA (its value with
 * spaces, TTL 900), truncated with NextRecordName example.com. and
 * NextRecordType NS: the apex's sets continue, so the next page is asked
 * with both. The zone's fields come from the ListHostedZones sample. */
static void test_r53_list_record_sets_sample(void **state)
{
	struct fixture_blob zones =
		fixture_shared("aws-xml", "route53-list-hosted-zones.awsdocs.xml");
	struct fixture_blob sets =
		fixture_shared("aws-xml", "route53-list-resource-record-sets.awsdocs.xml");
	const struct search_term t = s_host("example.com");
	const char *soa = "ns-2048.awsdns-64.net. hostmaster.awsdns.com. 1 7200 900 1209600 86400";
	const struct res_resource *r;
	struct rt_collect z, c;
	struct si_err err;
	char url[256];

	(void)state;
	s_file_has(&sets, "<Name>example.com.</Name>");
	s_file_has(&sets, "<Type>SOA</Type>");
	s_file_has(&sets, "<TTL>900</TTL>");
	s_file_has(&sets, soa);
	s_file_has(&sets, "<NextRecordName>example.com.</NextRecordName>");
	s_file_has(&sets, "<NextRecordType>NS</NextRecordType>");
	s_zones_then("100000000003", "example.com", zones.data, &z);
	assert_int_equal(z.n_reqs, 1);
	memset(&c, 0, sizeof(c));
	if (s_answer(&rt_dns_record, &z.reqs[0], &t, "100000000003", sets.data, sets.len, &c,
		     &err) != 0)
		fail_msg("answer: %s", err.msg);
	assert_int_equal(c.result.n_matches, 1);
	r = rtt_res_at(&c, 0);
	assert_ptr_equal(r->type, &rt_dns_record);
	assert_string_equal(r->id, "example.com");
	assert_string_equal(r->name, "example.com");
	rtt_field_is(r, "Type", "SOA");
	rtt_field_is(r, "TTL", "900");
	rtt_field_is(r, "Values", soa);
	rtt_field_is(r, "Record", NULL);
	rtt_field_is(r, "Zone", "example.com");
	rtt_field_is(r, "Zone ID", "Z111111QQQQQQQ");
	rtt_field_is(r, "Zone type", "public");
	assert_true(rtt_has_rel(r, "zone", "Z111111QQQQQQQ", "example.com"));
	assert_int_equal(r->n_addrs, 0);
	assert_int_equal(c.n_hosts, 0);        /* an SOA leads nowhere */
	/* The next page of the apex's sets. */
	assert_int_equal(c.n_reqs, 1);
	assert_string_equal(c.reqs[0].path, "/2013-04-01/hostedzone/Z111111QQQQQQQ/rrset");
	assert_string_equal(rt_collected_param(&c.reqs[0], "name"), "example.com.");
	assert_string_equal(rt_collected_param(&c.reqs[0], "type"), "NS");
	assert_null(rt_collected_param(&c.reqs[0], "identifier"));
	/* Card. */
	rt_dns_record.console_url(r, "eu-west-2", url, sizeof(url));
	assert_string_equal(url, "https://us-east-1.console.aws.amazon.com/route53/v2/"
				 "hostedzones#ListRecordSets/Z111111QQQQQQQ");
	rt_dns_record.summary(r, url, sizeof(url));
	assert_string_equal(url, "SOA ns-2048.awsdns-64.net. hostmaster.awsdns.com. 1 7200 900 "
				 "1209600 86400 · public zone example.com");
	rt_collect_free(&c);
	rt_collect_free(&z);
	free(zones.data);
	free(sets.data);
}

/* The same sample answering www.example.com: the SOA is not www's, so no
 * card; www has no set and no name below it, so the wildcard of its
 * parent is asked next. */
static void test_r53_sample_other_host_asks_wildcard(void **state)
{
	struct fixture_blob zones =
		fixture_shared("aws-xml", "route53-list-hosted-zones.awsdocs.xml");
	struct fixture_blob sets =
		fixture_shared("aws-xml", "route53-list-resource-record-sets.awsdocs.xml");
	const struct search_term t = s_host("www.example.com");
	struct rt_collect z, c;
	struct si_err err;

	(void)state;
	s_zones_then("100000000004", "www.example.com", zones.data, &z);
	memset(&c, 0, sizeof(c));
	assert_int_equal(s_answer(&rt_dns_record, &z.reqs[0], &t, "100000000004", sets.data,
				  sets.len, &c, &err), 0);
	assert_int_equal(c.result.n_matches, 0);
	assert_int_equal(c.n_reqs, 1);
	assert_string_equal(rt_collected_param(&c.reqs[0], "name"), "*.example.com.");
	assert_string_equal(c.reqs[0].path, "/2013-04-01/hostedzone/Z111111QQQQQQQ/rrset");
	rt_collect_free(&c);
	rt_collect_free(&z);
	free(zones.data);
	free(sets.data);
}

/* The three GetHostedZone examples through the zone type (hosted zone
 * ARNs): public with AWS's name servers, with a reusable delegation set,
 * and private with its VPC. */
static void test_r53_get_hosted_zone_samples(void **state)
{
	static const char *const ns = "ns-2048.awsdns-64.com, ns-2049.awsdns-65.net, "
				      "ns-2050.awsdns-66.org, ns-2051.awsdns-67.co.uk";
	static const struct {
		const char *file, *type, *ns, *dset, *vpc, *vpc_region;
	} rows[] = {
		{ "route53-get-hosted-zone.public.awsdocs.xml", "public", ns, NULL, NULL, NULL },
		{ "route53-get-hosted-zone.reusable-delegation-set.awsdocs.xml", "public", ns,
		  "NU241VPSAMPLE", NULL, NULL },
		{ "route53-get-hosted-zone.private.awsdocs.xml", "private", NULL, NULL,
		  "vpc-1a2b3c4d", "us-east-2" },
	};
	const struct search_term t = { .kind = SEARCH_TERM_ARN,
				       .value = "arn:aws:route53:::hostedzone/Z1PA6795UKMFR9",
				       .type = &rt_dns_zone, .resource = "Z1PA6795UKMFR9" };
	struct rt_collect plan;
	char out[256];

	(void)state;
	memset(&plan, 0, sizeof(plan));
	assert_int_equal(rt_collect_plan(&rt_dns_zone, &t, "us-east-1", "100000000005", 1, &plan),
			 0);
	assert_int_equal(plan.n_reqs, 1);
	assert_string_equal(plan.reqs[0].action, "GetHostedZone");
	assert_string_equal(plan.reqs[0].path, "/2013-04-01/hostedzone/Z1PA6795UKMFR9");
	assert_int_equal(plan.reqs[0].global, 1);
	{
		/* A lower-cased paste asks the same zone; not a zone id: nothing. */
		struct search_term lc = t;
		struct rt_collect c;

		memset(&c, 0, sizeof(c));
		lc.resource = "z1pa6795ukmfr9";
		assert_int_equal(rt_collect_plan(&rt_dns_zone, &lc, "us-east-1", "100000000005", 1,
						 &c), 0);
		assert_string_equal(c.reqs[0].path, "/2013-04-01/hostedzone/Z1PA6795UKMFR9");
		rt_collect_free(&c);
		lc.resource = "Z1/../x";
		assert_int_equal(rt_collect_plan(&rt_dns_zone, &lc, "us-east-1", "100000000005", 1,
						 &c), 0);
		assert_int_equal(c.n_reqs, 0);
		assert_int_equal(rt_collect_plan(&rt_dns_zone, &t, "us-east-1", "100000000005", 0,
						 &c), 0);
		assert_int_equal(c.n_reqs, 0);
		lc = (struct search_term){ .kind = SEARCH_TERM_CHECK };
		assert_int_equal(rt_collect_plan(&rt_dns_zone, &lc, "us-east-1", "100000000005", 1,
						 &c), 0);
		assert_int_equal(c.n_reqs, 1);
		assert_string_equal(c.reqs[0].action, "GetHostedZone");
		rt_collect_free(&c);
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fixture_blob b = fixture_shared("aws-xml", rows[i].file);
		const struct res_resource *r;
		struct rt_collect c;
		struct si_err err;

		s_file_has(&b, "<Id>/hostedzone/Z1PA6795UKMFR9</Id>");
		s_file_has(&b, "<ResourceRecordSetCount>17</ResourceRecordSetCount>");
		s_file_has(&b, "<Comment>This is my first hosted zone.</Comment>");
		memset(&c, 0, sizeof(c));
		if (s_answer(&rt_dns_zone, &plan.reqs[0], &t, "100000000005", b.data, b.len, &c,
			     &err) != 0)
			fail_msg("%s: %s", rows[i].file, err.msg);
		assert_int_equal(c.result.n_matches, 1);
		r = rtt_res_at(&c, 0);
		assert_ptr_equal(r->type, &rt_dns_zone);
		assert_string_equal(r->id, "Z1PA6795UKMFR9");
		assert_string_equal(r->arn, "arn:aws:route53:::hostedzone/Z1PA6795UKMFR9");
		assert_string_equal(r->name, "example.com");
		rtt_field_is(r, "Zone type", rows[i].type);
		rtt_field_is(r, "Records", "17");
		rtt_field_is(r, "Comment", "This is my first hosted zone.");
		rtt_field_is(r, "Name servers", rows[i].ns);
		rtt_field_is(r, "Delegation set", rows[i].dset);
		if (rows[i].vpc != NULL) {
			s_file_has(&b, rows[i].vpc);
			assert_true(rtt_has_rel(r, "vpc", rows[i].vpc, rows[i].vpc_region));
		}
		rt_dns_zone.summary(r, out, sizeof(out));
		assert_non_null(strstr(out, "17 records"));
		rt_dns_zone.console_url(r, "eu-west-1", out, sizeof(out));
		assert_string_equal(out, "https://us-east-1.console.aws.amazon.com/route53/v2/"
					 "hostedzones#ListRecordSets/Z1PA6795UKMFR9");
		rt_collect_free(&c);
		free(b.data);
	}
	rt_collect_free(&plan);
}

/* botocore's rest-xml error for GetHostedZone: handed to a parser as if
 * it were a 200 it is SI_ERR_REMOTE naming the code, and the client's
 * reading of it matches botocore's expected parse. */
static void test_r53_error_sample(void **state)
{
	struct fixture_blob b = fixture_shared(
		"aws-xml", "route53-get-hosted-zone.error-invalidinput.botocore.xml");
	struct fixture_blob e = fixture_shared(
		"aws-xml", "route53-get-hosted-zone.error-invalidinput.botocore.expected.json");
	struct json_object *want = fixture_json(&e, "expected");
	struct json_object *werr = fixture_get(want, "Error");
	const struct search_term t = s_host("www.example.com");
	struct rt_collect plan, c;
	struct aws_error ae;
	struct si_err err;

	(void)state;
	memset(&plan, 0, sizeof(plan));
	memset(&c, 0, sizeof(c));
	assert_int_equal(rt_collect_plan(&rt_dns_record, &t, "us-east-1", "100000000006", 1, &plan),
			 0);
	assert_int_equal(s_answer(&rt_dns_record, &plan.reqs[0], &t, "100000000006", b.data, b.len,
				  &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_REMOTE);
	assert_non_null(strstr(err.msg,
			       json_object_get_string(fixture_get(werr, "Code"))));
	assert_int_equal(aws_error_describe(400, b.data, b.len, NULL, &ae, &err), 0);
	assert_string_equal(ae.code, json_object_get_string(fixture_get(werr, "Code")));
	assert_string_equal(ae.message, json_object_get_string(fixture_get(werr, "Message")));
	assert_string_equal(ae.request_id,
			    rtt_jstr(fixture_get(want, "ResponseMetadata"), "RequestId"));
	aws_error_clear(&ae);
	rt_collect_free(&plan);
	rt_collect_free(&c);
	json_object_put(want);
	free(b.data);
	free(e.data);
}

/* ---- Route 53: the zone cache ----------------------------------------- */

/* A list read whole is kept for the account: the next plan for it asks
 * the zones that can hold the host (public and private of one name
 * alike), not ListHostedZones; another account still lists its own. */
static void test_r53_zone_cache(void **state)
{
	char *body = s_zones_body(ZONE("Z1AAAAAAAAAAAA", "example.com.", "false")
				  ZONE("Z2BBBBBBBBBBBB", "example.com.", "true")
				  ZONE("Z3CCCCCCCCCCCC", "other.org.", "false")
				  ZONE("Z4DDDDDDDDDDDD", "api.example.com.", "true"),
				  ONE_PAGE);
	const struct search_term t = s_host("web.example.com");
	const struct search_term t2 = s_host("x.api.example.com");
	struct rt_collect z, c;

	(void)state;
	s_zones_then("100000000007", "web.example.com", body, &z);
	assert_int_equal(z.n_reqs, 2);          /* the answer itself listed both */
	assert_null(z.next_token);
	rt_collect_free(&z);

	memset(&c, 0, sizeof(c));
	assert_int_equal(rt_collect_plan(&rt_dns_record, &t, "us-east-1", "100000000007", 1, &c),
			 0);
	assert_int_equal(c.n_reqs, 2);
	assert_string_equal(c.reqs[0].path, "/2013-04-01/hostedzone/Z1AAAAAAAAAAAA/rrset");
	assert_string_equal(c.reqs[1].path, "/2013-04-01/hostedzone/Z2BBBBBBBBBBBB/rrset");
	assert_string_equal(rt_collected_param(&c.reqs[1], "name"), "web.example.com.");
	rt_collect_free(&c);
	/* A delegated sub-zone and its parents all may hold it. */
	assert_int_equal(rt_collect_plan(&rt_dns_record, &t2, "us-east-1", "100000000007", 1, &c),
			 0);
	assert_int_equal(c.n_reqs, 3);
	assert_string_equal(c.reqs[2].path, "/2013-04-01/hostedzone/Z4DDDDDDDDDDDD/rrset");
	rt_collect_free(&c);
	/* A host in none of them: nothing to ask. */
	{
		const struct search_term none = s_host("www.example.net");

		assert_int_equal(rt_collect_plan(&rt_dns_record, &none, "us-east-1",
						 "100000000007", 1, &c), 0);
		assert_int_equal(c.n_reqs, 0);
	}
	/* Another account, and an unknown one (never cached). */
	assert_int_equal(rt_collect_plan(&rt_dns_record, &t, "us-east-1", "100000000008", 1, &c),
			 0);
	assert_int_equal(c.n_reqs, 1);
	assert_string_equal(c.reqs[0].action, "ListHostedZones");
	rt_collect_free(&c);
	s_zones_then("", "web.example.com", body, &z);
	rt_collect_free(&z);
	assert_int_equal(rt_collect_plan(&rt_dns_record, &t, "us-east-1", "", 1, &c), 0);
	assert_string_equal(c.reqs[0].action, "ListHostedZones");
	rt_collect_free(&c);
	free(body);
	/* The same id under another name (a stand-in copying a sample): a zone
	 * of its own, never taken for the first. */
	body = s_zones_body(ZONE("Z1AAAAAAAAAAAA", "other.net.", "false"), ONE_PAGE);
	s_zones_then("100000000018", "web.other.net", body, &z);
	rt_collect_free(&z);
	{
		const struct search_term t3 = s_host("web.other.net");

		assert_int_equal(rt_collect_plan(&rt_dns_record, &t3, "us-east-1",
						 "100000000018", 1, &c), 0);
		assert_int_equal(c.n_reqs, 1);
		assert_string_equal(c.reqs[0].path, "/2013-04-01/hostedzone/Z1AAAAAAAAAAAA/rrset");
		rt_collect_free(&c);
		assert_int_equal(rt_collect_plan(&rt_dns_record, &t, "us-east-1", "100000000018",
						 1, &c), 0);
		assert_int_equal(c.n_reqs, 0);
	}
	free(body);
}

/* Pages: a list is cached only when read whole, each page carrying the
 * marker the previous one announced; a page out of the chain (another
 * search's listing, a stale marker) keeps it from being published. */
static void test_r53_zone_cache_pages(void **state)
{
	struct fixture_blob first =
		fixture_shared("aws-xml", "route53-list-hosted-zones.awsdocs.xml");
	char *second = s_zones_body(ZONE("Z222222VVVVVVV", "example.net.", "false"), ONE_PAGE);
	const struct search_term t = s_host("www.example.net");
	const struct aws_query_param bad[] = { { "marker", "Z999999XXXXXXX" },
					       { "maxitems", "100" } };
	struct aws_query_param good[] = { { "marker", "Z222222VVVVVVV" },
					  { "maxitems", "100" } };
	struct rt_collect plan, c;
	struct si_err err;

	(void)state;
	/* Page 1 (the sample, truncated), then a page with the wrong marker:
	 * still no list for the account. */
	s_zones_then("100000000009", "www.example.net", first.data, &c);
	rt_collect_free(&c);
	memset(&plan, 0, sizeof(plan));
	assert_int_equal(rt_collect_answer(&rt_dns_record, 0, RT_NO_PARENT, &t, "us-east-1",
					   "100000000009", bad, 2, second, strlen(second), &c,
					   &err), 0);
	assert_int_equal(c.n_reqs, 1);          /* this search still asks the zone */
	rt_collect_free(&c);
	assert_int_equal(rt_collect_plan(&rt_dns_record, &t, "us-east-1", "100000000009", 1,
					 &plan), 0);
	assert_string_equal(plan.reqs[0].action, "ListHostedZones");
	rt_collect_free(&plan);
	/* Page 1 again, then page 2 with its marker: published. */
	s_zones_then("100000000009", "www.example.net", first.data, &c);
	rt_collect_free(&c);
	assert_int_equal(rt_collect_answer(&rt_dns_record, 0, RT_NO_PARENT, &t, "us-east-1",
					   "100000000009", good, 2, second, strlen(second), &c,
					   &err), 0);
	rt_collect_free(&c);
	assert_int_equal(rt_collect_plan(&rt_dns_record, &t, "us-east-1", "100000000009", 1,
					 &plan), 0);
	assert_int_equal(plan.n_reqs, 1);
	assert_string_equal(plan.reqs[0].path, "/2013-04-01/hostedzone/Z222222VVVVVVV/rrset");
	rt_collect_free(&plan);
	{
		/* Zones of both pages are in it. */
		const struct search_term t2 = s_host("www.example.com");

		assert_int_equal(rt_collect_plan(&rt_dns_record, &t2, "us-east-1", "100000000009",
						 1, &plan), 0);
		assert_int_equal(plan.n_reqs, 1);
		assert_string_equal(plan.reqs[0].path,
				    "/2013-04-01/hostedzone/Z111111QQQQQQQ/rrset");
		rt_collect_free(&plan);
	}
	free(second);
	free(first.data);
}

/* The cache holds 4,096 accounts: the oldest goes first. */
static void test_r53_zone_cache_bounded(void **state)
{
	char *body = s_zones_body(ZONE("Z5EEEEEEEEEEEE", "example.io.", "false"), ONE_PAGE);
	const struct search_term t = s_host("www.example.io");
	struct rt_collect c;
	char acct[16];

	(void)state;
	for (int i = 0; i <= 4096; i++) {
		struct rt_collect z;

		snprintf(acct, sizeof(acct), "2%011d", i);
		s_zones_then(acct, "www.example.io", body, &z);
		rt_collect_free(&z);
	}
	memset(&c, 0, sizeof(c));
	assert_int_equal(rt_collect_plan(&rt_dns_record, &t, "us-east-1", "200000000000", 1, &c),
			 0);
	assert_string_equal(c.reqs[0].action, "ListHostedZones");   /* evicted */
	rt_collect_free(&c);
	assert_int_equal(rt_collect_plan(&rt_dns_record, &t, "us-east-1", "200000004096", 1, &c),
			 0);
	assert_string_equal(c.reqs[0].action, "ListResourceRecordSets");
	rt_collect_free(&c);
	free(body);
}

/* ---- Route 53: records and what they lead to --------------------------- */

/* The zone handle's listing for host in a fresh account: plan, answer
 * ListHostedZones with one zone, keep the followed listing in *req. */
struct s_listing {
	struct rt_collect z;
	const struct rt_collected *req;
};

static void s_listing(struct s_listing *l, const char *account, const char *host,
		      const char *zone_xml)
{
	char *body = s_zones_body(zone_xml, ONE_PAGE);

	s_zones_then(account, host, body, &l->z);
	assert_int_equal(l->z.n_reqs, 1);
	l->req = &l->z.reqs[0];
	free(body);
}

/* A CNAME: the card, the relation, and the target followed as a host with
 * the hop text; the hop so far (a term reached by following) leads it. */
static void test_r53_cname_followed(void **state)
{
	char *sets = s_sets_body(SET("api.example.com.", "CNAME",
				     VAL("prod-web-123.eu-west-2.elb.amazonaws.com"))
				 SET("app.example.com.", "A", VAL("192.0.2.9")),
				 "<IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>");
	const struct search_term t = s_host("api.example.com");
	const struct res_resource *r;
	struct s_listing l;
	struct rt_collect c;
	struct si_err err;
	char line[256];

	(void)state;
	s_listing(&l, "100000000010", "api.example.com",
		  ZONE("Z6FFFFFFFFFFFF", "example.com.", "true"));
	memset(&c, 0, sizeof(c));
	assert_int_equal(s_answer_str(&rt_dns_record, l.req, &t, "100000000010", sets, &c, &err),
			 0);
	assert_int_equal(c.result.n_matches, 1);
	r = rtt_res_at(&c, 0);
	assert_string_equal(r->id, "api.example.com");
	rtt_field_is(r, "Type", "CNAME");
	rtt_field_is(r, "Values", "prod-web-123.eu-west-2.elb.amazonaws.com");
	rtt_field_is(r, "Zone type", "private");
	assert_true(rtt_has_rel(r, "cname", "prod-web-123.eu-west-2.elb.amazonaws.com", NULL));
	assert_null(r->hop);
	assert_int_equal(c.n_hosts, 1);
	assert_string_equal(c.hosts[0], "prod-web-123.eu-west-2.elb.amazonaws.com");
	assert_string_equal(c.hops[0], "api.example.com → CNAME "
				       "prod-web-123.eu-west-2.elb.amazonaws.com");
	assert_int_equal(c.n_reqs, 0);
	rt_dns_record.summary(r, line, sizeof(line));
	assert_string_equal(line, "CNAME prod-web-123.eu-west-2.elb.amazonaws.com · private zone "
				  "example.com");
	rt_collect_free(&c);

	/* Reached by following: the hop so far leads, and the card says it. */
	memset(&c, 0, sizeof(c));
	c.hop = "www.example.org → CNAME api.example.com";
	assert_int_equal(s_answer_str(&rt_dns_record, l.req, &t, "100000000010", sets, &c, &err),
			 0);
	assert_string_equal(rtt_res_at(&c, 0)->hop, "www.example.org → CNAME api.example.com");
	assert_string_equal(c.hops[0], "www.example.org → CNAME api.example.com → CNAME "
				       "prod-web-123.eu-west-2.elb.amazonaws.com");
	c.hop = NULL;
	rt_collect_free(&c);
	rt_collect_free(&l.z);
	free(sets);
}

/* An ALIAS: "dualstack." and the final dot dropped and the name
 * lower-cased for the follow; the card shows the target as AWS has it. */
static void test_r53_alias_followed(void **state)
{
	char *sets = s_sets_body(
		"<ResourceRecordSet><Name>www.example.com.</Name><Type>A</Type>"
		"<AliasTarget><HostedZoneId>Z3GKZC51ZF0DB4</HostedZoneId>"
		"<DNSName>dualstack.Prod-Web-123.eu-west-2.elb.amazonaws.com.</DNSName>"
		"<EvaluateTargetHealth>true</EvaluateTargetHealth></AliasTarget>"
		"</ResourceRecordSet>",
		"<IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>");
	const struct search_term t = s_host("www.example.com");
	const struct res_resource *r;
	struct s_listing l;
	struct rt_collect c;
	struct si_err err;

	(void)state;
	s_listing(&l, "100000000011", "www.example.com",
		  ZONE("Z7GGGGGGGGGGGG", "example.com.", "false"));
	memset(&c, 0, sizeof(c));
	assert_int_equal(s_answer_str(&rt_dns_record, l.req, &t, "100000000011", sets, &c, &err),
			 0);
	assert_int_equal(c.result.n_matches, 1);
	r = rtt_res_at(&c, 0);
	rtt_field_is(r, "Type", "A");
	rtt_field_is(r, "TTL", NULL);
	rtt_field_is(r, "Values", "ALIAS → dualstack.prod-web-123.eu-west-2.elb.amazonaws.com");
	assert_true(rtt_has_rel(r, "alias", "prod-web-123.eu-west-2.elb.amazonaws.com",
				"Z3GKZC51ZF0DB4"));
	assert_int_equal(r->n_addrs, 0);
	assert_int_equal(c.n_hosts, 1);
	assert_string_equal(c.hosts[0], "prod-web-123.eu-west-2.elb.amazonaws.com");
	assert_string_equal(c.hops[0], "www.example.com → ALIAS "
				       "prod-web-123.eu-west-2.elb.amazonaws.com");
	rt_collect_free(&c);
	rt_collect_free(&l.z);
	free(sets);
}

/* A and AAAA sets: their addresses are the resource's and each is
 * followed as an address; a value that is not an address is neither. */
static void test_r53_addresses_followed(void **state)
{
	char *sets = s_sets_body(SET("db.example.com.", "A",
				     VAL("192.0.2.1") VAL("not-an-ip") VAL("192.0.2.7"))
				 SET("db.example.com.", "AAAA", VAL("2001:db8::1"))
				 SET("db.example.com.", "TXT", VAL("\"v=spf1 -all\"")),
				 "<IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>");
	const struct search_term t = s_host("db.example.com");
	const struct res_resource *r;
	struct s_listing l;
	struct rt_collect c;
	struct si_err err;

	(void)state;
	s_listing(&l, "100000000012", "db.example.com",
		  ZONE("Z8HHHHHHHHHHHH", "example.com.", "false"));
	memset(&c, 0, sizeof(c));
	assert_int_equal(s_answer_str(&rt_dns_record, l.req, &t, "100000000012", sets, &c, &err),
			 0);
	assert_int_equal(c.result.n_matches, 3);
	r = rtt_res_at(&c, 0);
	rtt_field_is(r, "Values", "192.0.2.1, not-an-ip, 192.0.2.7");
	assert_int_equal(r->n_addrs, 2);
	assert_string_equal(r->addrs[0], "192.0.2.1");
	assert_string_equal(r->addrs[1], "192.0.2.7");
	r = rtt_res_at(&c, 1);
	assert_int_equal(r->n_addrs, 1);
	assert_string_equal(r->addrs[0], "2001:db8::1");
	assert_int_equal(rtt_res_at(&c, 2)->n_addrs, 0);
	assert_int_equal(c.n_hosts, 3);
	assert_string_equal(c.hosts[0], "192.0.2.1");
	assert_string_equal(c.hops[0], "db.example.com → A 192.0.2.1");
	assert_string_equal(c.hosts[1], "192.0.2.7");
	assert_string_equal(c.hosts[2], "2001:db8::1");
	assert_string_equal(c.hops[2], "db.example.com → AAAA 2001:db8::1");
	assert_int_equal(c.n_reqs, 0);
	rt_collect_free(&c);
	rt_collect_free(&l.z);
	free(sets);
}

/* A host with no set of its own: the wildcard one level up is asked, and
 * "\052.example.com." (Route 53's escape for '*') answers it; the card's
 * id is the host, its name and Record the wildcard. A host that exists
 * only as the parent of other names gets no wildcard (RFC 4592). */
static void test_r53_wildcard(void **state)
{
	char *exact = s_sets_body(SET("www.example.com.", "A", VAL("192.0.2.80")),
				  "<IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>");
	char *wild = s_sets_body(SET("\\052.example.com.", "A", VAL("192.0.2.44"))
				 SET("api.example.com.", "A", VAL("192.0.2.45")),
				 "<IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>");
	char *below = s_sets_body(SET("x.b.example.com.", "A", VAL("192.0.2.46")),
				  "<IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>");
	const struct search_term t = s_host("foo.example.com");
	const struct search_term tb = s_host("b.example.com");
	const struct res_resource *r;
	struct s_listing l, lb;
	struct rt_collect c, w;
	struct si_err err;

	(void)state;
	s_listing(&l, "100000000013", "foo.example.com",
		  ZONE("Z9IIIIIIIIIIII", "example.com.", "false"));
	memset(&c, 0, sizeof(c));
	memset(&w, 0, sizeof(w));
	assert_int_equal(s_answer_str(&rt_dns_record, l.req, &t, "100000000013", exact, &c, &err),
			 0);
	assert_int_equal(c.result.n_matches, 0);
	assert_int_equal(c.n_reqs, 1);
	assert_string_equal(rt_collected_param(&c.reqs[0], "name"), "*.example.com.");
	assert_int_equal(s_answer_str(&rt_dns_record, &c.reqs[0], &t, "100000000013", wild, &w,
				      &err), 0);
	assert_int_equal(w.result.n_matches, 1);
	r = rtt_res_at(&w, 0);
	assert_string_equal(r->id, "foo.example.com");
	assert_string_equal(r->name, "*.example.com");
	rtt_field_is(r, "Record", "*.example.com");
	rtt_field_is(r, "Values", "192.0.2.44");
	assert_string_equal(w.hops[0], "foo.example.com → A 192.0.2.44");
	assert_int_equal(w.n_reqs, 0);          /* the apex: no level further up */
	rt_collect_free(&w);
	rt_collect_free(&c);

	s_listing(&lb, "100000000014", "b.example.com",
		  ZONE("Z9IIIIIIIIIIII", "example.com.", "false"));
	assert_int_equal(s_answer_str(&rt_dns_record, lb.req, &tb, "100000000014", below, &c,
				      &err), 0);
	assert_int_equal(c.result.n_matches, 0);
	assert_int_equal(c.n_reqs, 0);
	rt_collect_free(&c);
	rt_collect_free(&lb.z);
	rt_collect_free(&l.z);
	free(exact);
	free(wild);
	free(below);
}

/* Weighted sets of one name over several pages: each page that ends
 * inside the host's sets asks the next (name, type, identifier), up to a
 * bound; the routing shows on the card. */
static void test_r53_record_pages_bounded(void **state)
{
	char *page = s_sets_body(
		"<ResourceRecordSet><Name>w.example.com.</Name><Type>A</Type>"
		"<SetIdentifier>blue</SetIdentifier><Weight>10</Weight><TTL>60</TTL>"
		"<ResourceRecords>" VAL("192.0.2.10") "</ResourceRecords></ResourceRecordSet>",
		"<IsTruncated>true</IsTruncated><MaxItems>1</MaxItems>"
		"<NextRecordName>w.example.com.</NextRecordName><NextRecordType>A</NextRecordType>"
		"<NextRecordIdentifier>green</NextRecordIdentifier>");
	const struct search_term t = s_host("w.example.com");
	struct s_listing l;
	struct rt_collect c[16];
	const struct rt_collected *req;
	size_t pages = 0;
	struct si_err err;

	(void)state;
	s_listing(&l, "100000000015", "w.example.com",
		  ZONE("Z0JJJJJJJJJJJJ", "example.com.", "false"));
	req = l.req;
	for (;;) {
		memset(&c[pages], 0, sizeof(c[pages]));
		assert_int_equal(s_answer_str(&rt_dns_record, req, &t, "100000000015", page,
					      &c[pages], &err), 0);
		assert_int_equal(c[pages].result.n_matches, 1);
		rtt_field_is(rtt_res_at(&c[pages], 0), "Routing", "weight 10");
		rtt_field_is(rtt_res_at(&c[pages], 0), "Set ID", "blue");
		if (c[pages].n_reqs == 0)
			break;
		req = &c[pages].reqs[0];
		assert_string_equal(rt_collected_param(req, "type"), "A");
		assert_string_equal(rt_collected_param(req, "identifier"), "green");
		pages++;
		assert_true(pages < 16);
	}
	assert_int_equal(pages + 1, 8);         /* the first and 7 more */
	for (size_t i = 0; i <= pages; i++)
		rt_collect_free(&c[i]);
	rt_collect_free(&l.z);
	free(page);
}

/* ---- Route 53: listings (SEARCH_TERM_LIST) ------------------------------ */

static const struct search_term s_listing_term = { .kind = SEARCH_TERM_LIST, .value = "" };

/* The record type lists the zones afresh (a crawl is what refreshes the
 * cached list), and from the ListHostedZones sample asks for the whole of
 * its zone (no name, AWS's largest page) and the next page of zones. */
static void test_r53_listing_zones(void **state)
{
	struct fixture_blob b = fixture_shared("aws-xml", "route53-list-hosted-zones.awsdocs.xml");
	char *one = s_zones_body(ZONE("Z0LLLLLLLLLLLL", "example.com.", "false"), ONE_PAGE);
	struct rt_collect warm, plan, c;
	struct si_err err;

	(void)state;
	/* The account's zones cached by a host search ... */
	s_zones_then("100000000101", "www.example.com", one, &warm);
	rt_collect_free(&warm);
	memset(&plan, 0, sizeof(plan));
	assert_int_equal(rt_collect_plan(&rt_dns_record, &s_listing_term, "eu-west-2",
					 "100000000101", 1, &plan), 0);
	/* ... are listed again all the same. */
	assert_int_equal(plan.n_reqs, 1);
	assert_string_equal(plan.reqs[0].action, "ListHostedZones");
	assert_string_equal(plan.reqs[0].page_param, "marker");
	memset(&c, 0, sizeof(c));
	if (s_answer(&rt_dns_record, &plan.reqs[0], &s_listing_term, "100000000101", b.data,
		     b.len, &c, &err) != 0)
		fail_msg("answer: %s", err.msg);
	assert_int_equal(c.result.n_matches, 0);
	assert_string_equal(c.next_token, "Z222222VVVVVVV");
	assert_int_equal(c.n_reqs, 1);
	assert_string_equal(c.reqs[0].action, "ListResourceRecordSets");
	assert_string_equal(c.reqs[0].path, "/2013-04-01/hostedzone/Z111111QQQQQQQ/rrset");
	assert_int_equal(c.reqs[0].global, 1);
	assert_null(rt_collected_param(&c.reqs[0], "name"));
	assert_string_equal(rt_collected_param(&c.reqs[0], "maxitems"), "300");
	rt_collect_free(&c);
	rt_collect_free(&plan);
	free(one);
	free(b.data);
}

/* The zone type lists the zones as cards (the sample's one zone: its id,
 * name, count and comment are the file's) and asks for the next page,
 * nothing else. */
static void test_r53_listing_zone_cards(void **state)
{
	struct fixture_blob b = fixture_shared("aws-xml", "route53-list-hosted-zones.awsdocs.xml");
	const struct res_resource *r;
	struct rt_collect plan, c;
	struct si_err err;

	(void)state;
	s_file_has(&b, "<ResourceRecordSetCount>42</ResourceRecordSetCount>");
	s_file_has(&b, "<Comment>This is my first hosted zone.</Comment>");
	memset(&plan, 0, sizeof(plan));
	assert_int_equal(rt_collect_plan(&rt_dns_zone, &s_listing_term, "eu-west-2",
					 "100000000102", 1, &plan), 0);
	assert_int_equal(plan.n_reqs, 1);
	assert_string_equal(plan.reqs[0].action, "ListHostedZones");
	memset(&c, 0, sizeof(c));
	if (s_answer(&rt_dns_zone, &plan.reqs[0], &s_listing_term, "100000000102", b.data, b.len,
		     &c, &err) != 0)
		fail_msg("answer: %s", err.msg);
	assert_int_equal(c.result.n_matches, 1);
	r = rtt_res_at(&c, 0);
	assert_ptr_equal(r->type, &rt_dns_zone);
	assert_string_equal(r->id, "Z111111QQQQQQQ");
	assert_string_equal(r->arn, "arn:aws:route53:::hostedzone/Z111111QQQQQQQ");
	assert_string_equal(r->name, "example.com");
	assert_true(rtt_has_dns(r, "example.com"));
	rtt_field_is(r, "Zone type", "public");
	rtt_field_is(r, "Records", "42");
	rtt_field_is(r, "Comment", "This is my first hosted zone.");
	assert_string_equal(c.next_token, "Z222222VVVVVVV");
	assert_int_equal(c.n_reqs, 0);
	rt_collect_free(&c);
	rt_collect_free(&plan);
	free(b.data);
}

/* A zone's record sets, listed: the sample's SOA a card of its own (id:
 * its name), the next page asked with NextRecordName/Type; built sets of
 * every kind kept, their targets as relations and addresses, nothing
 * followed. */
static void test_r53_listing_records(void **state)
{
	struct fixture_blob zones =
		fixture_shared("aws-xml", "route53-list-hosted-zones.awsdocs.xml");
	struct fixture_blob sets =
		fixture_shared("aws-xml", "route53-list-resource-record-sets.awsdocs.xml");
	char *mixed = s_sets_body(
		SET("api.example.com.", "CNAME", VAL("www.example.com"))
		"<ResourceRecordSet><Name>www.example.com.</Name><Type>A</Type><AliasTarget>"
		"<HostedZoneId>ZHURV8PSTC4K8</HostedZoneId><DNSName>dualstack.lb-1.eu-west-2.elb"
		".amazonaws.com.</DNSName><EvaluateTargetHealth>true</EvaluateTargetHealth>"
		"</AliasTarget></ResourceRecordSet>"
		SET("web.example.com.", "A", VAL("192.0.2.10") VAL("192.0.2.11"))
		SET("\\052.example.com.", "A", VAL("192.0.2.99")),
		ONE_PAGE);
	const struct res_resource *r;
	struct rt_collect z, plan, c;
	struct si_err err;

	(void)state;
	memset(&plan, 0, sizeof(plan));
	memset(&z, 0, sizeof(z));
	assert_int_equal(rt_collect_plan(&rt_dns_record, &s_listing_term, "eu-west-2",
					 "100000000103", 1, &plan), 0);
	assert_int_equal(s_answer(&rt_dns_record, &plan.reqs[0], &s_listing_term, "100000000103",
				  zones.data, zones.len, &z, &err), 0);
	assert_int_equal(z.n_reqs, 1);
	memset(&c, 0, sizeof(c));
	if (s_answer(&rt_dns_record, &z.reqs[0], &s_listing_term, "100000000103", sets.data,
		     sets.len, &c, &err) != 0)
		fail_msg("answer: %s", err.msg);
	assert_int_equal(c.result.n_matches, 1);
	r = rtt_res_at(&c, 0);
	assert_string_equal(r->id, "example.com");
	rtt_field_is(r, "Type", "SOA");
	rtt_field_is(r, "Zone ID", "Z111111QQQQQQQ");
	assert_int_equal(c.n_reqs, 1);
	assert_string_equal(c.reqs[0].path, "/2013-04-01/hostedzone/Z111111QQQQQQQ/rrset");
	assert_string_equal(rt_collected_param(&c.reqs[0], "name"), "example.com.");
	assert_string_equal(rt_collected_param(&c.reqs[0], "type"), "NS");
	assert_string_equal(rt_collected_param(&c.reqs[0], "maxitems"), "300");
	rt_collect_free(&c);

	/* The last page (IsTruncated false): every set kept, none followed. */
	memset(&c, 0, sizeof(c));
	if (s_answer_str(&rt_dns_record, &z.reqs[0], &s_listing_term, "100000000103", mixed, &c,
			 &err) != 0)
		fail_msg("answer: %s", err.msg);
	assert_int_equal(c.result.n_matches, 4);
	assert_int_equal(c.n_hosts, 0);
	assert_int_equal(c.n_reqs, 0);
	r = rtt_res(&c, "api.example.com");
	assert_true(rtt_has_rel(r, "cname", "www.example.com", NULL));
	assert_true(rtt_has_dns(r, "api.example.com"));
	assert_null(r->hop);
	r = rtt_res(&c, "www.example.com");
	assert_true(rtt_has_rel(r, "alias", "lb-1.eu-west-2.elb.amazonaws.com", "ZHURV8PSTC4K8"));
	r = rtt_res(&c, "web.example.com");
	assert_true(rtt_has_addr(r, "192.0.2.10") && rtt_has_addr(r, "192.0.2.11"));
	/* The wildcard: its name is its id, not a DNS name of the card. */
	r = rtt_res(&c, "*.example.com");
	assert_int_equal(r->n_dns, 0);
	assert_true(rtt_has_addr(r, "192.0.2.99"));
	rt_collect_free(&c);
	rt_collect_free(&z);
	rt_collect_free(&plan);
	free(mixed);
	free(zones.data);
	free(sets.data);
}

/* A zone whose listing pages for ever is read S_MAX_LIST_PAGES (200)
 * pages deep, then left. */
static void test_r53_listing_pages_bounded(void **state)
{
	char *page = s_sets_body(SET("w.example.com.", "A", VAL("192.0.2.10")),
				 "<IsTruncated>true</IsTruncated><MaxItems>1</MaxItems>"
				 "<NextRecordName>w.example.com.</NextRecordName>"
				 "<NextRecordType>A</NextRecordType>");
	char *zones = s_zones_body(ZONE("Z0MMMMMMMMMMMM", "example.com.", "false"), ONE_PAGE);
	struct rt_collect plan, c;
	struct si_err err;
	size_t pages = 0;

	(void)state;
	memset(&plan, 0, sizeof(plan));
	memset(&c, 0, sizeof(c));
	assert_int_equal(rt_collect_plan(&rt_dns_record, &s_listing_term, "eu-west-2",
					 "100000000104", 1, &plan), 0);
	assert_int_equal(s_answer_str(&rt_dns_record, &plan.reqs[0], &s_listing_term,
				      "100000000104", zones, &c, &err), 0);
	assert_int_equal(c.n_reqs, 1);
	while (pages < c.n_reqs) {
		assert_int_equal(s_answer_str(&rt_dns_record, &c.reqs[pages], &s_listing_term,
					      "100000000104", page, &c, &err), 0);
		pages++;
		assert_true(pages <= 1000);
	}
	assert_int_equal(pages, 200);
	assert_int_equal(c.result.n_matches, 200);
	rt_collect_free(&c);
	rt_collect_free(&plan);
	free(zones);
	free(page);
}

/* Bodies that are not what the calls return, and answers over the caps. */
static void test_r53_malformed_and_caps(void **state)
{
	const struct search_term t = s_host("www.example.com");
	struct s_listing l;
	struct rt_collect plan, c;
	struct si_err err;
	char *big, *p;
	size_t cap = 1001 * 200 + 4096, used = 0;

	(void)state;
	memset(&plan, 0, sizeof(plan));
	memset(&c, 0, sizeof(c));
	assert_int_equal(rt_collect_plan(&rt_dns_record, &t, "us-east-1", "100000000016", 1, &plan),
			 0);
	assert_int_equal(s_answer_str(&rt_dns_record, &plan.reqs[0], &t, "100000000016",
				      "<ListHostedZonesResponse><HostedZones>", &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_int_equal(s_answer_str(&rt_dns_record, &plan.reqs[0], &t, "100000000016",
				      "<ListResourceRecordSetsResponse/>", &c, &err), -1);
	assert_int_equal(s_answer_str(&rt_dns_record, &plan.reqs[0], &t, "100000000016",
				      "{\"HostedZones\":[]}", &c, &err), -1);
	/* A zone whose id could not go into a path is skipped, not listed. */
	p = s_zones_body(ZONE("Z1/../../x", "example.com.", "false"), ONE_PAGE);
	assert_int_equal(s_answer_str(&rt_dns_record, &plan.reqs[0], &t, "100000000016", p, &c,
				      &err), 0);
	assert_int_equal(c.n_reqs, 0);
	free(p);
	/* 1,001 zones in one answer. */
	big = malloc(cap);
	assert_non_null(big);
	s_put(big, cap, &used, "<ListHostedZonesResponse><HostedZones>");
	for (int i = 0; i < 1001; i++)
		s_put(big, cap, &used, "<HostedZone><Id>/hostedzone/Z%d</Id><Name>z%d.com.</Name>"
		      "</HostedZone>", i, i);
	s_put(big, cap, &used, "</HostedZones>" ONE_PAGE "</ListHostedZonesResponse>");
	assert_int_equal(s_answer_str(&rt_dns_record, &plan.reqs[0], &t, "100000000016", big, &c,
				      &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	/* A set of 401 values. */
	s_listing(&l, "100000000017", "www.example.com",
		  ZONE("Z0KKKKKKKKKKKK", "example.com.", "false"));
	used = 0;
	s_put(big, cap, &used, "<ListResourceRecordSetsResponse><ResourceRecordSets>"
	      "<ResourceRecordSet><Name>www.example.com.</Name><Type>A</Type>"
	      "<ResourceRecords>");
	for (int i = 0; i < 401; i++)
		s_put(big, cap, &used, VAL("10.0.%d.%d"), i / 256, i % 256);
	s_put(big, cap, &used, "</ResourceRecords></ResourceRecordSet></ResourceRecordSets>"
	      "<IsTruncated>false</IsTruncated></ListResourceRecordSetsResponse>");
	assert_int_equal(s_answer_str(&rt_dns_record, l.req, &t, "100000000017", big, &c, &err),
			 -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	/* A name with a control byte escaped in is no name: skipped. */
	p = s_sets_body(SET("www\\012.example.com.", "A", VAL("192.0.2.1")),
			"<IsTruncated>false</IsTruncated>");
	rt_collect_free(&c);
	assert_int_equal(s_answer_str(&rt_dns_record, l.req, &t, "100000000017", p, &c, &err), 0);
	assert_int_equal(c.result.n_matches, 0);
	free(p);
	rt_collect_free(&c);
	rt_collect_free(&l.z);
	rt_collect_free(&plan);
	free(big);
}

/* ---- Lambda ------------------------------------------------------------- */

/* An ARN: GetFunction of the name in the ARN's target (a qualifier goes
 * as Qualifier); a name: ListFunctions paged by Marker; --check-config:
 * one of each. Nothing for names no function can have. */
static void test_lambda_plan(void **state)
{
	struct search_term t = {
		.kind = SEARCH_TERM_ARN, .type = &rt_lambda, .resource = "my-function",
		.value = "arn:aws:lambda:us-west-2:123456789012:function:my-function" };
	struct rt_collect c;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(rt_lambda.global, 0);
	assert_int_equal(rt_collect_plan(&rt_lambda, &t, "us-west-2", "123456789012", 0, &c), 0);
	assert_int_equal(c.n_reqs, 1);
	assert_string_equal(c.reqs[0].service, "lambda");
	assert_int_equal(c.reqs[0].proto, AWS_PROTO_REST_JSON);
	assert_string_equal(c.reqs[0].action, "GetFunction");
	assert_string_equal(c.reqs[0].path, "/2015-03-31/functions/my-function");
	assert_int_equal(c.reqs[0].n_params, 0);
	assert_int_equal(c.reqs[0].global, 0);
	rt_collect_free(&c);
	t.resource = "my-function:$LATEST";
	assert_int_equal(rt_collect_plan(&rt_lambda, &t, "us-west-2", "123456789012", 0, &c), 0);
	assert_string_equal(c.reqs[0].path, "/2015-03-31/functions/my-function");
	assert_string_equal(rt_collected_param(&c.reqs[0], "Qualifier"), "$LATEST");
	rt_collect_free(&c);
	static const char *const bad[] = { "a/b", "", ":v1", "f:", "f:v 1", "f%3Ax",
		"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcde" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t.resource = bad[i];
		assert_int_equal(rt_collect_plan(&rt_lambda, &t, "us-west-2", "1", 0, &c), 0);
		if (c.n_reqs != 0)
			fail_msg("planned for '%s'", bad[i]);
	}
	t = (struct search_term){ .kind = SEARCH_TERM_NAME, .value = "Hello", .name_lc = "hello" };
	assert_int_equal(rt_collect_plan(&rt_lambda, &t, "us-west-2", "1", 0, &c), 0);
	assert_int_equal(c.n_reqs, 1);
	assert_string_equal(c.reqs[0].action, "ListFunctions");
	assert_string_equal(c.reqs[0].path, "/2015-03-31/functions/");
	assert_string_equal(rt_collected_param(&c.reqs[0], "MaxItems"), "50");
	assert_string_equal(c.reqs[0].page_param, "Marker");
	rt_collect_free(&c);
	t = (struct search_term){ .kind = SEARCH_TERM_CHECK };
	assert_int_equal(rt_collect_plan(&rt_lambda, &t, "us-west-2", "1", 0, &c), 0);
	assert_int_equal(c.n_reqs, 2);
	rt_collect_free(&c);
	t = s_host("www.example.com");
	assert_int_equal(rt_collect_plan(&rt_lambda, &t, "us-west-2", "1", 0, &c), 0);
	assert_int_equal(c.n_reqs, 0);
}

/* Every card field against the function in the file; environment
 * variables are never copied anywhere. */
static void s_check_function(const struct res_resource *r, struct json_object *f)
{
	struct json_object *vpc = fixture_get(f, "VpcConfig");
	char want[64];

	assert_ptr_equal(r->type, &rt_lambda);
	assert_string_equal(r->id, rtt_jstr(f, "FunctionName"));
	assert_string_equal(r->name, rtt_jstr(f, "FunctionName"));
	assert_string_equal(r->arn, rtt_jstr(f, "FunctionArn"));
	rtt_field_is(r, "Runtime", rtt_jstr(f, "Runtime"));
	rtt_field_is(r, "Handler", rtt_jstr(f, "Handler"));
	snprintf(want, sizeof(want), "%d MB", json_object_get_int(fixture_get(f, "MemorySize")));
	rtt_field_is(r, "Memory", want);
	snprintf(want, sizeof(want), "%d s", json_object_get_int(fixture_get(f, "Timeout")));
	rtt_field_is(r, "Timeout", want);
	snprintf(want, sizeof(want), "%d bytes", json_object_get_int(fixture_get(f, "CodeSize")));
	rtt_field_is(r, "Code size", want);
	rtt_field_is(r, "Last modified", rtt_jstr(f, "LastModified"));
	rtt_field_is(r, "Version", rtt_jstr(f, "Version"));
	assert_true(rtt_has_rel(r, "role", rtt_jstr(f, "Role"), NULL));
	if (fixture_get(f, "State") != NULL)
		assert_string_equal(r->state, rtt_jstr(f, "State"));
	else
		assert_null(r->state);
	if (fixture_get(f, "LastUpdateStatus") != NULL)
		rtt_field_is(r, "Last update", rtt_jstr(f, "LastUpdateStatus"));
	if (rtt_jstr(f, "Description")[0] != '\0')
		rtt_field_is(r, "Description", rtt_jstr(f, "Description"));
	else
		rtt_field_is(r, "Description", NULL);
	if (vpc != NULL && rtt_jstr(vpc, "VpcId")[0] == '\0') {
		rtt_field_is(r, "VPC", NULL);
		assert_int_equal(r->n_rels, 1);        /* the role only */
	}
	for (size_t i = 0; i < r->n_fields; i++)
		assert_null(strstr(r->fields[i].value, "my-bucket-1xpuxmplzrlbh"));
}

static void test_lambda_get_function_sample(void **state)
{
	struct fixture_blob b =
		fixture_shared("aws-json", "lambda-get-function.example-output.botocore.json");
	struct json_object *doc = fixture_json(&b, "GetFunction");
	struct json_object *conf = fixture_get(doc, "Configuration");
	const struct search_term t = {
		.kind = SEARCH_TERM_ARN, .type = &rt_lambda, .value = rtt_jstr(conf, "FunctionArn"),
		.resource = rtt_jstr(conf, "FunctionName") };
	const struct res_resource *r;
	struct rt_collect plan, c;
	struct si_err err;
	char line[256];
	size_t n_tags = 0;

	(void)state;
	memset(&plan, 0, sizeof(plan));
	memset(&c, 0, sizeof(c));
	assert_int_equal(rt_collect_plan(&rt_lambda, &t, "us-west-2", "123456789012", 0, &plan),
			 0);
	if (s_answer(&rt_lambda, &plan.reqs[0], &t, "123456789012", b.data, b.len, &c, &err) != 0)
		fail_msg("answer: %s", err.msg);
	assert_int_equal(c.result.n_matches, 1);
	r = rtt_res_at(&c, 0);
	s_check_function(r, conf);
	json_object_object_foreach(fixture_get(doc, "Tags"), key, val) {
		assert_non_null(res_tag(r, key));
		assert_string_equal(res_tag(r, key), json_object_get_string(val));
		n_tags++;
	}
	assert_int_equal(r->n_tags, n_tags);
	rt_lambda.summary(r, line, sizeof(line));
	snprintf(line + 128, 128, "%s · %d MB · %d s · %s", rtt_jstr(conf, "Runtime"),
		 json_object_get_int(fixture_get(conf, "MemorySize")),
		 json_object_get_int(fixture_get(conf, "Timeout")), rtt_jstr(conf, "State"));
	assert_string_equal(line, line + 128);
	rt_lambda.console_url(r, "us-west-2", line, sizeof(line));
	snprintf(line + 128, 128, "https://us-west-2.console.aws.amazon.com/lambda/home?"
		 "region=us-west-2#/functions/%s", rtt_jstr(conf, "FunctionName"));
	assert_string_equal(line, line + 128);
	rt_collect_free(&c);
	rt_collect_free(&plan);
	json_object_put(doc);
	free(b.data);
}

/* ListFunctions: a case-insensitive substring of the name keeps a
 * function; "NextMarker": "" is the end of the list. */
static void test_lambda_list_functions_sample(void **state)
{
	struct fixture_blob b =
		fixture_shared("aws-json", "lambda-list-functions.example-output.botocore.json");
	struct json_object *doc = fixture_json(&b, "ListFunctions");
	struct json_object *fns = fixture_get(doc, "Functions");
	static const struct {
		const char *name_lc;
		size_t n;
		size_t first;
	} rows[] = { { "hello", 1, 0 }, { "y-func", 1, 1 }, { "o", 2, 0 }, { "zzz", 0, 0 } };

	(void)state;
	assert_int_equal(json_object_array_length(fns), 2);
	assert_string_equal(rtt_jstr(doc, "NextMarker"), "");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct search_term t = { .kind = SEARCH_TERM_NAME, .value = rows[i].name_lc,
					       .name_lc = rows[i].name_lc };
		struct rt_collect plan, c;
		struct si_err err;

		memset(&plan, 0, sizeof(plan));
		memset(&c, 0, sizeof(c));
		assert_int_equal(rt_collect_plan(&rt_lambda, &t, "us-west-2", "123456789012", 0,
						 &plan), 0);
		if (s_answer(&rt_lambda, &plan.reqs[0], &t, "123456789012", b.data, b.len, &c,
			     &err) != 0)
			fail_msg("answer: %s", err.msg);
		assert_int_equal(c.result.n_matches, rows[i].n);
		for (size_t k = 0; k < rows[i].n; k++)
			s_check_function(rtt_res_at(&c, k),
					 json_object_array_get_idx(fns, rows[i].first + k));
		assert_null(c.next_token);
		rt_collect_free(&c);
		rt_collect_free(&plan);
	}
	json_object_put(doc);
	free(b.data);
}

/* A listing keeps every function of the page (the sample's two). */
static void test_lambda_listing(void **state)
{
	struct fixture_blob b =
		fixture_shared("aws-json", "lambda-list-functions.example-output.botocore.json");
	struct json_object *doc = fixture_json(&b, "ListFunctions");
	struct json_object *fns = fixture_get(doc, "Functions");
	struct rt_collect plan, c;
	struct si_err err;

	(void)state;
	memset(&plan, 0, sizeof(plan));
	memset(&c, 0, sizeof(c));
	assert_int_equal(rt_collect_plan(&rt_lambda, &s_listing_term, "us-west-2", "123456789012",
					 0, &plan), 0);
	assert_int_equal(plan.n_reqs, 1);
	assert_string_equal(plan.reqs[0].action, "ListFunctions");
	assert_string_equal(plan.reqs[0].page_param, "Marker");
	if (s_answer(&rt_lambda, &plan.reqs[0], &s_listing_term, "123456789012", b.data, b.len,
		     &c, &err) != 0)
		fail_msg("answer: %s", err.msg);
	assert_int_equal(c.result.n_matches, json_object_array_length(fns));
	for (size_t k = 0; k < c.result.n_matches; k++)
		s_check_function(rtt_res_at(&c, k), json_object_array_get_idx(fns, k));
	rt_collect_free(&c);
	rt_collect_free(&plan);
	json_object_put(doc);
	free(b.data);
}

/* A page with a next marker and a function in a VPC. */
static void test_lambda_vpc_and_pages(void **state)
{
	static const char body[] =
		"{\"Functions\":[{\"FunctionName\":\"Api-Handler\",\"Runtime\":\"python3.12\","
		"\"PackageType\":\"Zip\",\"Architectures\":[\"arm64\"],"
		"\"Role\":\"arn:aws:iam::123456789012:role/api\",\"VpcConfig\":{\"VpcId\":"
		"\"vpc-0a1b2c3d\",\"SubnetIds\":[\"subnet-1\",\"subnet-2\"],"
		"\"SecurityGroupIds\":[\"sg-1\"]},\"Environment\":{\"Variables\":"
		"{\"DB_PASSWORD\":\"hunter2\"}}}],\"NextMarker\":\"page-2==\"}";
	const struct search_term t = { .kind = SEARCH_TERM_NAME, .value = "API", .name_lc = "api" };
	const struct res_resource *r;
	struct rt_collect plan, c;
	struct si_err err;
	char line[128];

	(void)state;
	memset(&plan, 0, sizeof(plan));
	memset(&c, 0, sizeof(c));
	assert_int_equal(rt_collect_plan(&rt_lambda, &t, "eu-west-2", "1", 0, &plan), 0);
	assert_int_equal(s_answer_str(&rt_lambda, &plan.reqs[0], &t, "1", body, &c, &err), 0);
	assert_string_equal(c.next_token, "page-2==");
	r = rtt_res_at(&c, 0);
	rtt_field_is(r, "VPC", "vpc-0a1b2c3d");
	rtt_field_is(r, "Package", "Zip");
	rtt_field_is(r, "Architecture", "arm64");
	rtt_field_is(r, "Memory", NULL);
	assert_true(rtt_has_rel(r, "vpc", "vpc-0a1b2c3d", NULL));
	assert_true(rtt_has_rel(r, "subnet", "subnet-1", NULL));
	assert_true(rtt_has_rel(r, "subnet", "subnet-2", NULL));
	assert_true(rtt_has_rel(r, "security group", "sg-1", NULL));
	for (size_t i = 0; i < r->n_fields; i++)
		assert_null(strstr(r->fields[i].value, "hunter2"));
	rt_lambda.summary(r, line, sizeof(line));
	assert_string_equal(line, "python3.12 · ? MB · ? s");
	rt_collect_free(&c);
	rt_collect_free(&plan);
}

/* Not JSON, not the call's shape, over the caps. */
static void test_lambda_malformed_and_caps(void **state)
{
	static const struct {
		int list;
		const char *body;
		enum si_err_code code;
	} rows[] = {
		{ 1, "{", SI_ERR_INVALID },
		{ 1, "[]", SI_ERR_INVALID },
		{ 1, "{\"Functions\":[]} x", SI_ERR_INVALID },
		{ 1, "{\"Functions\":[]}\v", SI_ERR_INVALID },   /* not JSON's whitespace */
		{ 1, "{\"Functions\":[]}\n\"x\"", SI_ERR_INVALID },
		{ 1, "{\"NextMarker\":\"\"}", SI_ERR_INVALID },
		{ 1, "{\"Functions\":[1]}", SI_ERR_INVALID },
		{ 1, "{\"Functions\":[{\"Runtime\":\"x\"}]}", SI_ERR_INVALID },
		{ 0, "{\"Code\":{}}", SI_ERR_INVALID },
		{ 0, "", SI_ERR_INVALID },
	};
	const struct search_term tl = { .kind = SEARCH_TERM_NAME, .value = "a", .name_lc = "a" };
	const struct search_term tg = { .kind = SEARCH_TERM_ARN, .type = &rt_lambda,
					.value = "arn:aws:lambda:r:1:function:f", .resource = "f" };
	struct rt_collect pl, pg, c;
	struct si_err err;
	size_t cap = 64 * 1024, used = 0;
	char *big;

	(void)state;
	memset(&pl, 0, sizeof(pl));
	memset(&pg, 0, sizeof(pg));
	memset(&c, 0, sizeof(c));
	assert_int_equal(rt_collect_plan(&rt_lambda, &tl, "r", "1", 0, &pl), 0);
	assert_int_equal(rt_collect_plan(&rt_lambda, &tg, "r", "1", 0, &pg), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct rt_collected *rq = rows[i].list ? &pl.reqs[0] : &pg.reqs[0];
		const struct search_term *t = rows[i].list ? &tl : &tg;

		if (s_answer_str(&rt_lambda, rq, t, "1", rows[i].body, &c, &err) != -1 ||
		    err.code != rows[i].code)
			fail_msg("row %zu: code %d", i, (int)err.code);
	}
	assert_int_equal(c.result.n_matches, 0);
	big = malloc(cap);
	assert_non_null(big);
	/* Nesting past the cap: refused as malformed, as every JSON answer is
	 * (aws_json_read), before json-c recurses into it. */
	s_put(big, cap, &used, "{\"Functions\":[");
	for (int i = 0; i < 40; i++)
		s_put(big, cap, &used, "[");
	s_put(big, cap, &used, "]");
	assert_int_equal(s_answer_str(&rt_lambda, &pl.reqs[0], &tl, "1", big, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	/* 201 functions in a page. */
	used = 0;
	s_put(big, cap, &used, "{\"Functions\":[");
	for (int i = 0; i < 201; i++)
		s_put(big, cap, &used, "%s{\"FunctionName\":\"f%d\"}", i ? "," : "", i);
	s_put(big, cap, &used, "]}");
	assert_int_equal(s_answer_str(&rt_lambda, &pl.reqs[0], &tl, "1", big, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	/* 65 subnets. */
	used = 0;
	s_put(big, cap, &used, "{\"Configuration\":{\"FunctionName\":\"f\",\"VpcConfig\":"
	      "{\"SubnetIds\":[");
	for (int i = 0; i < 65; i++)
		s_put(big, cap, &used, "%s\"subnet-%d\"", i ? "," : "", i);
	s_put(big, cap, &used, "]}}}");
	assert_int_equal(s_answer_str(&rt_lambda, &pg.reqs[0], &tg, "1", big, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	/* Over the client's answer cap, refused before parsing. */
	assert_int_equal(rt_collect_answer(&rt_lambda, pl.reqs[0].step, RT_NO_PARENT, &tl, "r",
					   "1", NULL, 0, big, (size_t)AWS_CLIENT_MAX_RESPONSE + 1,
					   &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	rt_collect_free(&c);
	rt_collect_free(&pl);
	rt_collect_free(&pg);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_r53_plan_lists_zones),
		cmocka_unit_test(test_r53_list_hosted_zones_sample),
		cmocka_unit_test(test_r53_list_record_sets_sample),
		cmocka_unit_test(test_r53_sample_other_host_asks_wildcard),
		cmocka_unit_test(test_r53_get_hosted_zone_samples),
		cmocka_unit_test(test_r53_error_sample),
		cmocka_unit_test(test_r53_zone_cache),
		cmocka_unit_test(test_r53_zone_cache_pages),
		cmocka_unit_test(test_r53_zone_cache_bounded),
		cmocka_unit_test(test_r53_cname_followed),
		cmocka_unit_test(test_r53_alias_followed),
		cmocka_unit_test(test_r53_addresses_followed),
		cmocka_unit_test(test_r53_wildcard),
		cmocka_unit_test(test_r53_record_pages_bounded),
		cmocka_unit_test(test_r53_listing_zones),
		cmocka_unit_test(test_r53_listing_zone_cards),
		cmocka_unit_test(test_r53_listing_records),
		cmocka_unit_test(test_r53_listing_pages_bounded),
		cmocka_unit_test(test_r53_malformed_and_caps),
		cmocka_unit_test(test_lambda_plan),
		cmocka_unit_test(test_lambda_get_function_sample),
		cmocka_unit_test(test_lambda_list_functions_sample),
		cmocka_unit_test(test_lambda_listing),
		cmocka_unit_test(test_lambda_vpc_and_pages),
		cmocka_unit_test(test_lambda_malformed_and_caps),
	};

	xmlInitParser();
	return cmocka_run_group_tests_name("rt_route53_lambda", tests, NULL, NULL);
}
