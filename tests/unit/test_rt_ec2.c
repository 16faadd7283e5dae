/*
 * test_rt_ec2.c - the EC2 family type modules (rt_ec2net.c, rt_ec2store.c)
 * through the offline collector (search/collect.h): what each term kind
 * plans, and what each answer becomes.
 *
 * The oracles are data: every EC2 sample in $SI_TESTDATA/aws-xml with
 * botocore's expected parse is checked item by item and field by field
 * against that JSON (every key of it mapped, so a new upstream field is
 * noticed); the AWS documentation samples against the values their
 * README entry names; DescribeImages, which has no XML sample, through
 * wire XML built here from botocore's example output. Then the rules:
 * case-insensitive names, CIDR relations, paging, hostile answers, the
 * volume's follow-up that names its instances, and the inventory's
 * listings (SEARCH_TERM_LIST) of every EC2 type, instances and network
 * interfaces included.
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

#include "fixture.h"
#include "rt_testlib.h"
#include "search/collect.h"
#include "search/registry.h"
#include "util/buf.h"
#include "util/strutil.h"

#define S_REGION "us-west-2"
#define S_ACCOUNT "123456789012"

/* ---- helpers --------------------------------------------------------- */

static const struct rt_type *s_type(const char *name)
{
	const struct rt_type *t = rt_by_name(name);

	if (t == NULL)
		fail_msg("no type %s in the registry", name);
	return t;
}

static struct search_term s_term(enum search_term_kind kind, const char *value)
{
	struct search_term t;

	memset(&t, 0, sizeof(t));
	t.kind = kind;
	t.value = value;
	return t;
}

/* A planned term and the answer to one of its requests. */
struct s_run {
	struct rt_collect plan;
	struct rt_collect got;
	struct si_err err;
	int rc;
};

/* Plan t for type in the test target, then feed body as the answer to
 * planned request k (its step and parent). */
static void s_ask(struct s_run *r, const struct rt_type *type, const struct search_term *t,
		  size_t k, const char *body, size_t len)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(rt_collect_plan(type, t, S_REGION, S_ACCOUNT, 1, &r->plan), 0);
	if (r->plan.n_reqs <= k)
		fail_msg("%s planned %zu requests for \"%s\", wanted %zu", type->name,
			 r->plan.n_reqs, t->value ? t->value : "", k + 1);
	r->rc = rt_collect_answer(type, r->plan.reqs[k].step, r->plan.reqs[k].parent, t,
				  S_REGION, S_ACCOUNT, NULL, 0, body, len, &r->got, &r->err);
}

static void s_run_free(struct s_run *r)
{
	rt_collect_free(&r->plan);
	rt_collect_free(&r->got);
}

/* ---- botocore's parse as the oracle ----------------------------------- */

enum s_conv {
	S_STR,      /* a string; "" is absent (our NULL) */
	S_INT,      /* a number, shown in decimal */
	S_GIB,      /* a number of GiB: "8 GiB" */
	S_BOOL,     /* true/false: "yes"/"no" */
	S_LEN,      /* a list: its length */
	S_SKIP      /* checked by the test itself, or not shown */
};

/* JSON key -> where we keep it: "@id", "@state", "@created" or a field. */
struct s_map {
	const char *key;
	const char *where;
	enum s_conv conv;
};

/* The value botocore's v means, as we show it (into buf). */
static const char *s_shown(struct json_object *v, enum s_conv conv, char *buf, size_t n)
{
	const char *s;

	switch (conv) {
	case S_STR:
		s = json_object_get_string(v);
		return s != NULL && s[0] != '\0' ? s : NULL;
	case S_INT:
		snprintf(buf, n, "%lld", (long long)json_object_get_int64(v));
		return buf;
	case S_GIB:
		snprintf(buf, n, "%lld GiB", (long long)json_object_get_int64(v));
		return buf;
	case S_BOOL:
		return json_object_get_boolean(v) ? "yes" : "no";
	case S_LEN:
		snprintf(buf, n, "%zu", json_object_array_length(v));
		return buf;
	default:
		return NULL;
	}
}

static const char *s_where(const struct res_resource *r, const char *where)
{
	if (strcmp(where, "@id") == 0)
		return r->id;
	if (strcmp(where, "@state") == 0)
		return r->state;
	if (strcmp(where, "@created") == 0)
		return r->created;
	return res_field(r, where);
}

/* The value of tag key in botocore's Tags list, or NULL. */
static const char *s_json_tag(struct json_object *item, const char *key)
{
	struct json_object *tags = fixture_get(item, "Tags");

	for (size_t i = 0; tags != NULL && i < json_object_array_length(tags); i++) {
		struct json_object *t = json_object_array_get_idx(tags, i);
		const char *k = json_object_get_string(fixture_get(t, "Key"));

		if (k != NULL && strcmp(k, key) == 0)
			return json_object_get_string(fixture_get(t, "Value"));
	}
	return NULL;
}

/*
 * Check r against botocore's item: every key of the item must be in map
 * (so a field botocore parses and we ignore is a decision, not an
 * accident) and every mapped value must equal what we show. The name is
 * the Name tag, else the key own_name holds (NULL: none).
 */
static void s_check_item(const char *what, struct json_object *item, const struct res_resource *r,
			 const struct s_map *map, size_t n_map, const char *own_name)
{
	const char *tag = s_json_tag(item, "Name");
	const char *own = own_name != NULL
				  ? json_object_get_string(fixture_get(item, own_name)) : NULL;
	struct json_object *tags;

	json_object_object_foreach(item, key, val) {
		size_t i;
		char buf[64];

		if (strcmp(key, "Tags") == 0)
			continue;
		for (i = 0; i < n_map; i++)
			if (strcmp(map[i].key, key) == 0)
				break;
		if (i == n_map)
			fail_msg("%s: botocore's %s is not mapped", what, key);
		if (map[i].conv == S_SKIP)
			continue;
		rtt_expect(what, key, s_shown(val, map[i].conv, buf, sizeof(buf)),
			   s_where(r, map[i].where));
	}
	rtt_expect(what, "name", tag != NULL && tag[0] != '\0' ? tag : own, r->name);
	tags = fixture_get(item, "Tags");
	assert_int_equal(r->n_tags, tags != NULL ? json_object_array_length(tags) : 0);
	for (size_t i = 0; i < r->n_tags; i++)
		rtt_expect(what, r->tags[i].key, s_json_tag(item, r->tags[i].key),
			   r->tags[i].value);
}

/*
 * Every item of a sample: looked up by its own id (an ID term, as a user
 * would paste it), the whole answer fed, exactly that item kept, then
 * checked by s_check_item and, where given, by more(item, r).
 */
static void s_sample_items(const char *type, const char *base, const char *list,
			   const char *id_key, const struct s_map *map, size_t n_map,
			   const char *own_name,
			   void (*more)(struct json_object *, const struct res_resource *,
					const struct rt_collect *))
{
	char xml_name[128], json_name[128];
	struct fixture_blob b;
	struct json_object *j, *items;
	size_t n;

	snprintf(xml_name, sizeof(xml_name), "%s.botocore.xml", base);
	snprintf(json_name, sizeof(json_name), "%s.botocore.expected.json", base);
	b = rtt_sample(xml_name);
	j = rtt_sample_json(json_name);
	items = fixture_get(j, list);
	assert_non_null(items);
	n = json_object_array_length(items);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(items, i);
		const char *id = json_object_get_string(fixture_get(item, id_key));
		struct search_term t = s_term(SEARCH_TERM_ID, id);
		struct s_run run;

		s_ask(&run, s_type(type), &t, 0, b.data, b.len);
		if (run.rc != 0)
			fail_msg("%s %s: %s", base, id, run.err.msg);
		assert_int_equal(run.got.result.n_matches, 1);
		s_check_item(id, item, rtt_res(&run.got, id), map, n_map, own_name);
		if (more != NULL)
			more(item, rtt_res(&run.got, id), &run.got);
		s_run_free(&run);
	}
	json_object_put(j);
	free(b.data);
}

/* ---- samples with botocore's parse ------------------------------------ */

static void test_security_groups(void **state)
{
	static const struct s_map map[] = {
		{ "GroupId", "@id", S_STR }, { "GroupName", "Group name", S_STR },
		{ "Description", "Description", S_STR }, { "VpcId", "VPC", S_STR },
		{ "OwnerId", "Owner", S_STR }, { "IpPermissions", "Inbound rules", S_LEN },
		{ "IpPermissionsEgress", "Outbound rules", S_LEN },
	};

	(void)state;
	s_sample_items("security-group", "ec2-describe-security-groups", "SecurityGroups",
		       "GroupId", map, sizeof(map) / sizeof(map[0]), "GroupName", NULL);
}

static void test_subnets(void **state)
{
	static const struct s_map map[] = {
		{ "SubnetId", "@id", S_STR }, { "State", "@state", S_STR },
		{ "VpcId", "VPC", S_STR }, { "CidrBlock", "CIDR", S_STR },
		{ "AvailableIpAddressCount", "Free IPs", S_INT },
		{ "AvailabilityZone", "AZ", S_STR }, { "DefaultForAz", "Default", S_BOOL },
		{ "MapPublicIpOnLaunch", "Public IP on launch", S_BOOL },
	};

	(void)state;
	s_sample_items("subnet", "ec2-describe-subnets", "Subnets", "SubnetId", map,
		       sizeof(map) / sizeof(map[0]), NULL, NULL);
}

static void s_vpc_more(struct json_object *item, const struct res_resource *r,
		       const struct rt_collect *c)
{
	(void)c;
	/* The block is an address the inventory indexes. */
	assert_true(rtt_has_addr(r, json_object_get_string(fixture_get(item, "CidrBlock"))));
}

static void test_vpcs(void **state)
{
	static const struct s_map map[] = {
		{ "VpcId", "@id", S_STR }, { "State", "@state", S_STR },
		{ "CidrBlock", "CIDR", S_STR }, { "DhcpOptionsId", "DHCP options", S_STR },
		{ "InstanceTenancy", "Tenancy", S_STR }, { "IsDefault", "Default", S_BOOL },
	};

	(void)state;
	s_sample_items("vpc", "ec2-describe-vpcs", "Vpcs", "VpcId", map,
		       sizeof(map) / sizeof(map[0]), NULL, s_vpc_more);
}

/* Attachments: one "attached to" relation each (detail: the device), and
 * one follow-up for the attached instances' names. */
static void s_volume_more(struct json_object *item, const struct res_resource *r,
			  const struct rt_collect *c)
{
	struct json_object *att = fixture_get(item, "Attachments");
	size_t n = att != NULL ? json_object_array_length(att) : 0;

	assert_int_equal(r->n_rels, n);
	assert_int_equal(c->n_reqs, n > 0);
	for (size_t i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(att, i);
		const char *iid = json_object_get_string(fixture_get(a, "InstanceId"));
		const struct res_rel *rel = rtt_rel(r, "attached to", iid);
		char pname[32];

		rtt_expect(r->id, "attachment type", "instance", rel->type);
		rtt_expect(r->id, "Device", json_object_get_string(fixture_get(a, "Device")),
			   rel->detail);
		snprintf(pname, sizeof(pname), "InstanceId.%zu", i + 1);
		rtt_expect(r->id, pname, iid, rt_collected_param(&c->reqs[0], pname));
	}
}

static void test_volumes(void **state)
{
	static const struct s_map map[] = {
		{ "VolumeId", "@id", S_STR }, { "Size", "Size", S_GIB },
		{ "SnapshotId", "Snapshot", S_STR }, { "AvailabilityZone", "AZ", S_STR },
		{ "State", "@state", S_STR }, { "CreateTime", "@created", S_STR },
		{ "VolumeType", "Type", S_STR }, { "Attachments", NULL, S_SKIP },
	};

	(void)state;
	s_sample_items("volume", "ec2-describe-volumes", "Volumes", "VolumeId", map,
		       sizeof(map) / sizeof(map[0]), NULL, s_volume_more);
}

static void s_snapshot_more(struct json_object *item, const struct res_resource *r,
			    const struct rt_collect *c)
{
	const char *vol = json_object_get_string(fixture_get(item, "VolumeId"));

	(void)c;
	rtt_expect(r->id, "volume type", "volume", rtt_rel(r, "volume", vol)->type);
}

static void test_snapshots(void **state)
{
	static const struct s_map map[] = {
		{ "SnapshotId", "@id", S_STR }, { "State", "@state", S_STR },
		{ "StartTime", "@created", S_STR }, { "Progress", "Progress", S_STR },
		{ "OwnerId", "Owner", S_STR }, { "VolumeSize", "Size", S_GIB },
		{ "Description", "Description", S_STR }, { "VolumeId", NULL, S_SKIP },
	};

	(void)state;
	s_sample_items("snapshot", "ec2-describe-snapshots", "Snapshots", "SnapshotId", map,
		       sizeof(map) / sizeof(map[0]), NULL, s_snapshot_more);
}

/* ---- AWS documentation samples: the values their README entry names --- */

static void test_nat_gateways(void **state)
{
	struct fixture_blob b = rtt_sample("ec2-describe-nat-gateways.awsdocs.xml");
	struct search_term t = s_term(SEARCH_TERM_ID, "nat-05a4fd8a2a3e2574d");
	const struct res_resource *r;
	struct s_run run;

	(void)state;
	s_ask(&run, s_type("nat-gateway"), &t, 0, b.data, b.len);
	assert_int_equal(run.rc, 0);
	assert_int_equal(run.got.result.n_matches, 1);
	r = rtt_res(&run.got, "nat-05a4fd8a2a3e2574d");
	rtt_expect(r->id, "name", "MyNatGateway", r->name);
	rtt_expect(r->id, "state", "available", r->state);
	rtt_expect(r->id, "created", "2017-02-22T09:30:33.000Z", r->created);
	rtt_expect(r->id, "Subnet", "subnet-7b16de0c", res_field(r, "Subnet"));
	rtt_expect(r->id, "VPC", "vpc-1a2b3c4d", res_field(r, "VPC"));
	rtt_expect(r->id, "Public IP", "203.0.113.5", res_field(r, "Public IP"));
	rtt_expect(r->id, "Private IP", "10.0.0.174", res_field(r, "Private IP"));
	rtt_expect(r->id, "Allocation", "eipalloc-8f409cb1", res_field(r, "Allocation"));
	rtt_expect(r->id, "interface", "10.0.0.174",
		   rtt_rel(r, "interface", "eni-1c8fa2fc")->detail);
	assert_true(rtt_has_addr(r, "10.0.0.174"));
	assert_true(rtt_has_addr(r, "203.0.113.5"));
	rtt_expect(r->id, "tag Name", "MyNatGateway", res_tag(r, "Name"));
	s_run_free(&run);
	free(b.data);
}

static void s_check_vpce(const char *body, size_t len, const char *id, const char *name,
			 const char *type, const char *service, const char *vpc,
			 const char *created)
{
	struct search_term t = s_term(SEARCH_TERM_ID, id);
	const struct res_resource *r;
	struct s_run run;

	s_ask(&run, s_type("vpc-endpoint"), &t, 0, body, len);
	assert_int_equal(run.rc, 0);
	assert_int_equal(run.got.result.n_matches, 1);
	r = rtt_res(&run.got, id);
	rtt_expect(id, "name", name, r->name);
	rtt_expect(id, "state", "available", r->state);
	rtt_expect(id, "Type", type, res_field(r, "Type"));
	rtt_expect(id, "Service", service, res_field(r, "Service"));
	rtt_expect(id, "VPC", vpc, res_field(r, "VPC"));
	rtt_expect(id, "created", created, r->created);
	/* The raw policy document is not shown. */
	for (size_t i = 0; i < r->n_fields; i++)
		assert_null(strstr(r->fields[i].value, "Statement"));
	s_run_free(&run);
}

/* One endpoint of each kind, and what each holds: DNS entries, groups,
 * subnets, interfaces and route tables. */
static void test_vpc_endpoints(void **state)
{
	struct fixture_blob b = rtt_sample("ec2-describe-vpc-endpoints.awsdocs.xml");
	struct search_term t = s_term(SEARCH_TERM_ID, "vpce-0f89a33420c1931d7");
	const struct res_resource *r;
	struct s_run run;

	(void)state;
	s_check_vpce(b.data, b.len, "vpce-032a826a", "TeamA", "Gateway",
		     "com.amazonaws.us-east-1.dynamodb", "vpc-aabb1122", "2017-09-05T20:41:28Z");
	s_check_vpce(b.data, b.len, "vpce-0f89a33420c1931d7", "TeamA", "Interface",
		     "com.amazonaws.us-east-1.elasticloadbalancing", "vpc-1a2b3c4d",
		     "2017-09-05T17:55:27.583Z");
	s_check_vpce(b.data, b.len, "vpce-22223333bbbbaaaa1", NULL, "GatewayLoadBalancer",
		     "com.amazonaws.vpce.us-east-1.vpce-svc-abcd33a1c4321c123",
		     "vpc-abcabcabc12312312", "2020-11-11T08:06:03.522Z");

	s_ask(&run, s_type("vpc-endpoint"), &t, 0, b.data, b.len);
	r = rtt_res(&run.got, "vpce-0f89a33420c1931d7");
	assert_int_equal(r->n_dns, 3);
	assert_true(rtt_has_dns(r, "vpce-0f89a33420c1931d7-bluzidnv.elasticloadbalancing"
				   ".us-east-1.vpce.amazonaws.com"));
	assert_true(rtt_has_dns(r, "vpce-0f89a33420c1931d7-bluzidnv-us-east-1a"
				   ".elasticloadbalancing.us-east-1.vpce.amazonaws.com"));
	rtt_expect(r->id, "Private DNS", "no", res_field(r, "Private DNS"));
	rtt_expect(r->id, "group name", "default",
		   rtt_rel(r, "security group", "sg-54e8bf31")->name);
	rtt_expect(r->id, "group type", "security-group",
		   rtt_rel(r, "security group", "sg-54e8bf31")->type);
	rtt_expect(r->id, "subnet", "subnet", rtt_rel(r, "subnet", "subnet-d6fcaa8d")->type);
	rtt_expect(r->id, "subnet", "subnet", rtt_rel(r, "subnet", "subnet-7b16de0c")->type);
	rtt_expect(r->id, "eni", "network-interface",
		   rtt_rel(r, "interface", "eni-2ec2b084")->type);
	rtt_expect(r->id, "eni", "network-interface",
		   rtt_rel(r, "interface", "eni-1b4a65cf")->type);
	assert_int_equal(r->n_rels, 5);
	s_run_free(&run);

	t.value = "vpce-032a826a";
	s_ask(&run, s_type("vpc-endpoint"), &t, 0, b.data, b.len);
	r = rtt_res(&run.got, "vpce-032a826a");
	assert_int_equal(r->n_dns, 0);
	rtt_expect(r->id, "Private DNS", "yes", res_field(r, "Private DNS"));
	assert_null(rtt_rel(r, "route table", "rtb-3d560345")->type);
	assert_int_equal(r->n_rels, 1);
	s_run_free(&run);

	t.value = "vpce-22223333bbbbaaaa1";
	s_ask(&run, s_type("vpc-endpoint"), &t, 0, b.data, b.len);
	r = rtt_res(&run.got, "vpce-22223333bbbbaaaa1");
	rtt_expect(r->id, "Owner", "123456789012", res_field(r, "Owner"));
	rtt_rel(r, "interface", "eni-111111222222333aad");
	rtt_rel(r, "subnet", "subnet-aaaabbbb333322211");
	assert_int_equal(r->n_tags, 0);
	s_run_free(&run);
	free(b.data);
}

/* ---- types without a published sample: answers in the API's shape ---- */

/* Internet gateways: an attachment reported "available" (what AWS says of
 * an attached gateway) makes it attached; none, detached. */
static void test_internet_gateways(void **state)
{
	static const char xml[] = "<DescribeInternetGatewaysResponse><internetGatewaySet>"
		"<item><internetGatewayId>igw-0000000a</internetGatewayId><attachmentSet><item>"
		"<vpcId>vpc-0000000a</vpcId><state>available</state></item></attachmentSet>"
		"<ownerId>123456789012</ownerId><tagSet><item><key>Name</key><value>edge"
		"</value></item></tagSet></item><item><internetGatewayId>igw-0000000b"
		"</internetGatewayId><attachmentSet/></item></internetGatewaySet>"
		"</DescribeInternetGatewaysResponse>";
	struct search_term t = s_term(SEARCH_TERM_ID, "igw-0000000a");
	const struct res_resource *r;
	struct s_run run;

	(void)state;
	s_ask(&run, s_type("internet-gateway"), &t, 0, xml, sizeof(xml) - 1);
	assert_int_equal(run.rc, 0);
	r = rtt_res(&run.got, "igw-0000000a");
	rtt_expect(r->id, "state", "attached", r->state);
	rtt_expect(r->id, "name", "edge", r->name);
	rtt_expect(r->id, "vpc", "vpc", rtt_rel(r, "attached to", "vpc-0000000a")->type);
	rtt_expect(r->id, "Owner", "123456789012", res_field(r, "Owner"));
	s_run_free(&run);
	t.value = "igw-0000000b";
	s_ask(&run, s_type("internet-gateway"), &t, 0, xml, sizeof(xml) - 1);
	r = rtt_res(&run.got, "igw-0000000b");
	rtt_expect(r->id, "state", "detached", r->state);
	assert_int_equal(r->n_rels, 0);
	s_run_free(&run);
}

static void test_transit_gateways(void **state)
{
	static const char xml[] = "<DescribeTransitGatewaysResponse><transitGatewaySet><item>"
		"<transitGatewayId>tgw-0000000a</transitGatewayId><transitGatewayArn>"
		"arn:aws:ec2:us-west-2:123456789012:transit-gateway/tgw-0000000a"
		"</transitGatewayArn><state>available</state><ownerId>123456789012</ownerId>"
		"<description>core</description><creationTime>2019-07-10T14:02:12.000Z"
		"</creationTime><options><amazonSideAsn>64516</amazonSideAsn></options>"
		"</item></transitGatewaySet></DescribeTransitGatewaysResponse>";
	struct search_term t = s_term(SEARCH_TERM_ID, "tgw-0000000a");
	const struct res_resource *r;
	char sum[128];
	struct s_run run;

	(void)state;
	s_ask(&run, s_type("transit-gateway"), &t, 0, xml, sizeof(xml) - 1);
	assert_int_equal(run.rc, 0);
	r = rtt_res(&run.got, "tgw-0000000a");
	rtt_expect(r->id, "arn", "arn:aws:ec2:us-west-2:123456789012:transit-gateway/tgw-0000000a",
		   r->arn);
	rtt_expect(r->id, "created", "2019-07-10T14:02:12.000Z", r->created);
	rtt_expect(r->id, "ASN", "64516", res_field(r, "ASN"));
	r->type->summary(r, sum, sizeof(sum));
	assert_string_equal(sum, "available, ASN 64516, core");
	s_run_free(&run);
}

/* Launch templates: by their own name, whatever its case. */
static void test_launch_templates(void **state)
{
	static const char xml[] = "<DescribeLaunchTemplatesResponse><launchTemplates><item>"
		"<launchTemplateId>lt-0000000a</launchTemplateId><launchTemplateName>"
		"Web-Servers</launchTemplateName><createTime>2024-01-01T00:00:00.000Z"
		"</createTime><createdBy>arn:aws:iam::123456789012:root</createdBy>"
		"<defaultVersionNumber>2</defaultVersionNumber><latestVersionNumber>5"
		"</latestVersionNumber></item></launchTemplates></DescribeLaunchTemplatesResponse>";
	struct search_term t = s_term(SEARCH_TERM_NAME, "SERVERS");
	const struct res_resource *r;
	char sum[128];
	struct s_run run;

	(void)state;
	t.name_lc = "servers";
	s_ask(&run, s_type("launch-template"), &t, 0, xml, sizeof(xml) - 1);
	assert_int_equal(run.got.result.n_matches, 0);     /* no Name tag */
	s_run_free(&run);
	s_ask(&run, s_type("launch-template"), &t, 1, xml, sizeof(xml) - 1);
	assert_int_equal(run.rc, 0);
	r = rtt_res(&run.got, "lt-0000000a");
	rtt_expect(r->id, "name", "Web-Servers", r->name);
	rtt_expect(r->id, "Created by", "arn:aws:iam::123456789012:root",
		   res_field(r, "Created by"));
	r->type->summary(r, sum, sizeof(sum));
	assert_string_equal(sum, "default v2, latest v5");
	s_run_free(&run);
}

/* ---- DescribeImages: wire XML built from botocore's example output ----- */

/* botocore's member name -> the EC2 wire element (the model's
 * locationName: imageState and imageOwnerId, not state and ownerId). */
static const char *const s_image_wire[][2] = {
	{ "Architecture", "architecture" }, { "BlockDeviceMappings", "blockDeviceMapping" },
	{ "Description", "description" }, { "Hypervisor", "hypervisor" },
	{ "ImageId", "imageId" }, { "ImageLocation", "imageLocation" },
	{ "ImageType", "imageType" }, { "KernelId", "kernelId" }, { "Name", "name" },
	{ "OwnerId", "imageOwnerId" }, { "Public", "isPublic" },
	{ "RootDeviceName", "rootDeviceName" }, { "RootDeviceType", "rootDeviceType" },
	{ "State", "imageState" }, { "VirtualizationType", "virtualizationType" },
	{ "DeviceName", "deviceName" }, { "Ebs", "ebs" },
	{ "DeleteOnTermination", "deleteOnTermination" }, { "SnapshotId", "snapshotId" },
	{ "VolumeSize", "volumeSize" }, { "VolumeType", "volumeType" },
};

static const char *s_wire(const char *key)
{
	for (size_t i = 0; i < sizeof(s_image_wire) / sizeof(s_image_wire[0]); i++)
		if (strcmp(s_image_wire[i][0], key) == 0)
			return s_image_wire[i][1];
	fail_msg("no wire name for botocore's %s", key);
	return NULL;
}

static void s_put(struct si_buf *b, const char *s)
{
	struct si_err err;

	assert_int_equal(si_buf_puts(b, s, &err), 0);
}

/* A JSON value as EC2 XML: objects as elements, lists as <item>s. */
static void s_to_xml(struct si_buf *b, struct json_object *v)
{
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, val) {
			const char *el = s_wire(key);

			s_put(b, "<");
			s_put(b, el);
			s_put(b, ">");
			s_to_xml(b, val);
			s_put(b, "</");
			s_put(b, el);
			s_put(b, ">");
		}
	} else if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			s_put(b, "<item>");
			s_to_xml(b, json_object_array_get_idx(v, i));
			s_put(b, "</item>");
		}
	} else {
		const char *s = json_object_get_string(v);

		/* The example's values hold no markup characters. */
		assert_null(strpbrk(s, "<>&"));
		s_put(b, s);
	}
}

static void test_images(void **state)
{
	static const struct s_map map[] = {
		{ "ImageId", "@id", S_STR }, { "State", "@state", S_STR },
		{ "Name", "AMI name", S_STR }, { "OwnerId", "Owner", S_STR },
		{ "Architecture", "Architecture", S_STR },
		{ "Description", "Description", S_STR },
		{ "RootDeviceType", "Root device", S_STR },
		{ "VirtualizationType", "Virtualization", S_STR },
		{ "Public", "Public", S_BOOL }, { "ImageLocation", "Location", S_STR },
		/* checked below as relations */
		{ "BlockDeviceMappings", NULL, S_SKIP },
		/* not shown on a card */
		{ "Hypervisor", NULL, S_SKIP }, { "ImageType", NULL, S_SKIP },
		{ "KernelId", NULL, S_SKIP }, { "RootDeviceName", NULL, S_SKIP },
	};
	struct json_object *j = rtt_sample_json("ec2-describe-images.example-output.botocore.json");
	struct json_object *images = fixture_get(j, "Images");
	struct si_buf xml;
	struct s_run run;

	(void)state;
	assert_non_null(images);
	si_buf_init(&xml, 0);
	s_put(&xml, "<DescribeImagesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
		    "<requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId><imagesSet>");
	s_to_xml(&xml, images);
	s_put(&xml, "</imagesSet></DescribeImagesResponse>");
	for (size_t i = 0; i < json_object_array_length(images); i++) {
		struct json_object *item = json_object_array_get_idx(images, i);
		struct json_object *bdm = fixture_get(item, "BlockDeviceMappings");
		const char *id = json_object_get_string(fixture_get(item, "ImageId"));
		struct search_term t = s_term(SEARCH_TERM_ID, id);
		const struct res_resource *r;

		s_ask(&run, s_type("image"), &t, 0, xml.data, xml.len);
		if (run.rc != 0)
			fail_msg("%s: %s", id, run.err.msg);
		assert_int_equal(run.got.result.n_matches, 1);
		r = rtt_res(&run.got, id);
		s_check_item(id, item, r, map, sizeof(map) / sizeof(map[0]), "Name");
		assert_int_equal(r->n_rels, json_object_array_length(bdm));
		for (size_t k = 0; k < json_object_array_length(bdm); k++) {
			struct json_object *m = json_object_array_get_idx(bdm, k);
			const char *snap = json_object_get_string(
				fixture_get(fixture_get(m, "Ebs"), "SnapshotId"));

			rtt_expect(id, "device",
				   json_object_get_string(fixture_get(m, "DeviceName")),
				   rtt_rel(r, "snapshot", snap)->detail);
		}
		s_run_free(&run);
	}
	si_buf_free(&xml, 0);
	json_object_put(j);
}

/* ---- plans ------------------------------------------------------------ */

/* What an ID term asks of each type: the id filter (an unknown id is an
 * empty answer) or, where the API has none, the id list. */
static const struct {
	const char *type, *id, *action, *filter, *list;
} s_id_plans[] = {
	{ "security-group", "sg-0a1b2c3d", "DescribeSecurityGroups", "group-id", NULL },
	{ "subnet", "subnet-812910e8", "DescribeSubnets", "subnet-id", NULL },
	{ "vpc", "vpc-8d2910e4", "DescribeVpcs", "vpc-id", NULL },
	{ "nat-gateway", "nat-05a4fd8a2a3e2574d", "DescribeNatGateways", "nat-gateway-id",
	  NULL },
	{ "internet-gateway", "igw-0123abcd", "DescribeInternetGateways",
	  "internet-gateway-id", NULL },
	{ "vpc-endpoint", "vpce-032a826a", "DescribeVpcEndpoints", "vpc-endpoint-id", NULL },
	{ "transit-gateway", "tgw-0123456789abcdef0", "DescribeTransitGateways",
	  "transit-gateway-id", NULL },
	{ "volume", "vol-bc71579a", "DescribeVolumes", "volume-id", NULL },
	{ "image", "ami-5731123e", "DescribeImages", NULL, "ImageId.1" },
	{ "snapshot", "snap-b253e6da", "DescribeSnapshots", NULL, "SnapshotId.1" },
	{ "launch-template", "lt-0abcd290751193123", "DescribeLaunchTemplates", NULL,
	  "LaunchTemplateId.1" },
};

#define S_N_TYPES (sizeof(s_id_plans) / sizeof(s_id_plans[0]))

static void s_check_query(const struct rt_collected *q, const char *action)
{
	rtt_expect(action, "service", "ec2", q->service);
	rtt_expect(action, "action", action, q->action);
	assert_int_equal(q->proto, AWS_PROTO_QUERY);
	assert_int_equal(q->global, 0);
	assert_true(q->parent == RT_NO_PARENT);
}

/* Plan t for type; the requests land in c. */
static void s_plan(const char *type, const struct search_term *t, struct rt_collect *c)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(rt_collect_plan(s_type(type), t, S_REGION, S_ACCOUNT, 1, c), 0);
}

static void s_check_id_plan(size_t i, const struct rt_collect *c, const char *id)
{
	const struct rt_collected *q;

	assert_int_equal(c->n_reqs, 1);
	q = &c->reqs[0];
	s_check_query(q, s_id_plans[i].action);
	if (s_id_plans[i].filter != NULL) {
		rtt_expect(id, "filter", s_id_plans[i].filter,
			   rt_collected_param(q, "Filter.1.Name"));
		rtt_expect(id, "value", id, rt_collected_param(q, "Filter.1.Value.1"));
		/* Security groups carry their rules: smaller pages. */
		rtt_expect(id, "MaxResults", i == 0 ? "50" : "200",
			   rt_collected_param(q, "MaxResults"));
		rtt_expect(id, "page", "NextToken", q->page_param);
		assert_int_equal(q->n_params, 3);
	} else {
		rtt_expect(id, s_id_plans[i].list, id, rt_collected_param(q, s_id_plans[i].list));
		/* AWS refuses MaxResults beside an id list; it never pages. */
		assert_int_equal(q->n_params, 1);
		assert_null(q->page_param);
	}
}

static void test_plan_id(void **state)
{
	(void)state;
	for (size_t i = 0; i < S_N_TYPES; i++) {
		struct search_term t = s_term(SEARCH_TERM_ID, s_id_plans[i].id);
		char upper[64];
		struct rt_collect c;

		s_plan(s_id_plans[i].type, &t, &c);
		s_check_id_plan(i, &c, s_id_plans[i].id);
		rt_collect_free(&c);

		/* The classifier's type is honoured; upper case is folded. */
		snprintf(upper, sizeof(upper), "%s", s_id_plans[i].id);
		for (char *p = upper; *p != '\0'; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		t.value = upper;
		t.type = s_type(s_id_plans[i].type);
		s_plan(s_id_plans[i].type, &t, &c);
		s_check_id_plan(i, &c, s_id_plans[i].id);
		rt_collect_free(&c);

		/* Every other type plans nothing for this id. */
		t.value = s_id_plans[i].id;
		t.type = NULL;
		for (size_t k = 0; k < S_N_TYPES; k++) {
			if (k == i)
				continue;
			s_plan(s_id_plans[k].type, &t, &c);
			if (c.n_reqs != 0)
				fail_msg("%s planned for %s", s_id_plans[k].type, t.value);
			rt_collect_free(&c);
		}
		/* Nor does this type when the term is another's. */
		t.type = s_type(s_id_plans[(i + 1) % S_N_TYPES].type);
		s_plan(s_id_plans[i].type, &t, &c);
		assert_int_equal(c.n_reqs, 0);
		rt_collect_free(&c);
	}
}

/* An ARN: its resource is the id; only its own account and region. */
static void test_plan_arn(void **state)
{
	struct search_term t = s_term(SEARCH_TERM_ARN,
				      "arn:aws:ec2:us-west-2:123456789012:security-group/"
				      "sg-68d8a958");
	struct fixture_blob b = rtt_sample("ec2-describe-security-groups.botocore.xml");
	struct rt_collect c;
	struct s_run run;

	(void)state;
	t.resource = "sg-68d8a958";
	t.region = S_REGION;
	t.account_id = S_ACCOUNT;
	t.type = s_type("security-group");
	s_plan("security-group", &t, &c);
	s_check_id_plan(0, &c, "sg-68d8a958");
	rt_collect_free(&c);

	s_ask(&run, s_type("security-group"), &t, 0, b.data, b.len);
	assert_int_equal(run.rc, 0);
	assert_int_equal(run.got.result.n_matches, 1);
	rtt_expect("arn", "arn", t.value, rtt_res(&run.got, "sg-68d8a958")->arn);
	s_run_free(&run);

	t.region = "eu-west-2";
	s_plan("security-group", &t, &c);
	assert_int_equal(c.n_reqs, 0);
	rt_collect_free(&c);
	t.region = S_REGION;
	t.account_id = "210987654321";
	s_plan("security-group", &t, &c);
	assert_int_equal(c.n_reqs, 0);
	rt_collect_free(&c);

	/* AMI ARNs carry no account. */
	t = s_term(SEARCH_TERM_ARN, "arn:aws:ec2:us-west-2::image/ami-5731123e");
	t.resource = "ami-5731123e";
	t.region = S_REGION;
	t.type = s_type("image");
	s_plan("image", &t, &c);
	s_check_id_plan(8, &c, "ami-5731123e");
	rt_collect_free(&c);
	free(b.data);
}

/* Types with a name of their own make a second name call with its filter. */
static const struct {
	const char *type, *own_filter;
	int owner_self;
} s_name_plans[] = {
	{ "security-group", "group-name", 0 }, { "subnet", NULL, 0 }, { "vpc", NULL, 0 },
	{ "nat-gateway", NULL, 0 }, { "internet-gateway", NULL, 0 },
	{ "vpc-endpoint", NULL, 0 }, { "transit-gateway", NULL, 0 }, { "volume", NULL, 0 },
	{ "image", "name", 1 }, { "snapshot", NULL, 1 },
	{ "launch-template", "launch-template-name", 0 },
};

/* "Web" has three letters: 2^3 case variants, each "*…*". */
static void s_check_name_values(const struct rt_collected *q, const char *filter)
{
	static const char *const want[] = {
		"*web*", "*Web*", "*wEb*", "*WEb*", "*weB*", "*WeB*", "*wEB*", "*WEB*",
	};

	rtt_expect(q->action, "Filter.1.Name", filter, rt_collected_param(q, "Filter.1.Name"));
	for (size_t v = 0; v < 8; v++) {
		int found = 0;

		for (size_t k = 1; k <= 8; k++) {
			char name[32];
			const char *got;

			snprintf(name, sizeof(name), "Filter.1.Value.%zu", k);
			got = rt_collected_param(q, name);
			assert_non_null(got);
			found |= strcmp(got, want[v]) == 0;
		}
		if (!found)
			fail_msg("%s: no value %s", q->action, want[v]);
	}
	assert_null(rt_collected_param(q, "Filter.1.Value.9"));
	rtt_expect(q->action, "page", "NextToken", q->page_param);
	assert_non_null(rt_collected_param(q, "MaxResults"));
}

static void test_plan_name(void **state)
{
	struct search_term t = s_term(SEARCH_TERM_NAME, "Web");

	(void)state;
	t.name_lc = "web";
	for (size_t i = 0; i < sizeof(s_name_plans) / sizeof(s_name_plans[0]); i++) {
		struct rt_collect c;

		assert_string_equal(s_name_plans[i].type, s_id_plans[i].type);
		s_plan(s_name_plans[i].type, &t, &c);
		assert_int_equal(c.n_reqs, s_name_plans[i].own_filter != NULL ? 2 : 1);
		s_check_query(&c.reqs[0], s_id_plans[i].action);
		s_check_name_values(&c.reqs[0], "tag:Name");
		if (s_name_plans[i].own_filter != NULL) {
			s_check_query(&c.reqs[1], s_id_plans[i].action);
			s_check_name_values(&c.reqs[1], s_name_plans[i].own_filter);
			assert_int_not_equal(c.reqs[0].step, c.reqs[1].step);
		}
		for (size_t k = 0; k < c.n_reqs; k++)
			rtt_expect(s_name_plans[i].type, "Owner.1",
				   s_name_plans[i].owner_self ? "self" : NULL,
				   rt_collected_param(&c.reqs[k], "Owner.1"));
		rt_collect_free(&c);
	}
}

/* CIDR: VPCs and subnets list everything (paged); nobody else plans. */
static void test_plan_cidr(void **state)
{
	struct search_term t = s_term(SEARCH_TERM_CIDR, "10.0.0.0/16");

	(void)state;
	for (size_t i = 0; i < S_N_TYPES; i++) {
		int lists = strcmp(s_id_plans[i].type, "vpc") == 0 ||
			    strcmp(s_id_plans[i].type, "subnet") == 0;
		struct rt_collect c;

		s_plan(s_id_plans[i].type, &t, &c);
		assert_int_equal(c.n_reqs, lists);
		if (lists) {
			s_check_query(&c.reqs[0], s_id_plans[i].action);
			assert_null(rt_collected_param(&c.reqs[0], "Filter.1.Name"));
			assert_non_null(rt_collected_param(&c.reqs[0], "MaxResults"));
			rtt_expect(s_id_plans[i].type, "page", "NextToken", c.reqs[0].page_param);
			assert_true((s_type(s_id_plans[i].type)->by & RT_BY_CIDR) != 0);
		}
		rt_collect_free(&c);
	}
	t.value = "10.0.0.0/33";
	{
		struct rt_collect c;

		s_plan("vpc", &t, &c);
		assert_int_equal(c.n_reqs, 0);
		rt_collect_free(&c);
	}
}

/* --check-config: each type's action once, the smallest page, no paging. */
static void test_plan_check(void **state)
{
	struct search_term t = s_term(SEARCH_TERM_CHECK, NULL);

	(void)state;
	for (size_t i = 0; i < S_N_TYPES; i++) {
		const struct rt_type *type = s_type(s_id_plans[i].type);
		char want[64];
		struct rt_collect c;
		int listed = 0;

		s_plan(s_id_plans[i].type, &t, &c);
		assert_int_equal(c.n_reqs, 1);
		s_check_query(&c.reqs[0], s_id_plans[i].action);
		rtt_expect(type->name, "MaxResults", "5",
			   rt_collected_param(&c.reqs[0], "MaxResults"));
		assert_null(c.reqs[0].page_param);
		/* The IAM kit's actions hold what is called. */
		snprintf(want, sizeof(want), "ec2:%s", s_id_plans[i].action);
		for (size_t k = 0; type->actions[k] != NULL; k++)
			listed |= strcmp(type->actions[k], want) == 0;
		assert_true(listed);
		rt_collect_free(&c);
	}
}

/* A VPC endpoint's DNS name: its id, looked up in its own region only. */
static void test_plan_host(void **state)
{
	struct search_term t = s_term(SEARCH_TERM_HOST,
				      "vpce-0f89a33420c1931d7-bluzidnv-us-east-1b"
				      ".elasticloadbalancing.us-east-1.vpce.amazonaws.com");
	struct fixture_blob b = rtt_sample("ec2-describe-vpc-endpoints.awsdocs.xml");
	struct rt_collect c;
	struct si_err err;

	(void)state;
	assert_true(rt_by_dns(t.value) == s_type("vpc-endpoint"));
	t.type = s_type("vpc-endpoint");
	memset(&c, 0, sizeof(c));
	assert_int_equal(rt_collect_plan(t.type, &t, "us-east-1", S_ACCOUNT, 1, &c), 0);
	assert_int_equal(c.n_reqs, 1);
	rtt_expect("host", "filter", "vpc-endpoint-id",
		   rt_collected_param(&c.reqs[0], "Filter.1.Name"));
	rtt_expect("host", "value", "vpce-0f89a33420c1931d7",
		   rt_collected_param(&c.reqs[0], "Filter.1.Value.1"));
	assert_int_equal(rt_collect_answer(t.type, c.reqs[0].step, RT_NO_PARENT, &t, "us-east-1",
					   S_ACCOUNT, NULL, 0, b.data, b.len, &c, &err), 0);
	assert_int_equal(c.result.n_matches, 1);
	rtt_res(&c, "vpce-0f89a33420c1931d7");
	rt_collect_free(&c);

	s_plan("vpc-endpoint", &t, &c);          /* us-west-2: not its region */
	assert_int_equal(c.n_reqs, 0);
	rt_collect_free(&c);
	/* S3 interface endpoints put the bucket first. */
	t.value = "my-bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com";
	memset(&c, 0, sizeof(c));
	assert_int_equal(rt_collect_plan(t.type, &t, "us-east-1", S_ACCOUNT, 1, &c), 0);
	assert_int_equal(c.n_reqs, 1);
	rtt_expect("s3 host", "value", "vpce-1a2b3c4d",
		   rt_collected_param(&c.reqs[0], "Filter.1.Value.1"));
	rt_collect_free(&c);
	t.value = "vpce-svc-03d5ebb7d9579a2b3.us-east-1.vpce.amazonaws.com";
	memset(&c, 0, sizeof(c));
	assert_int_equal(rt_collect_plan(t.type, &t, "us-east-1", S_ACCOUNT, 1, &c), 0);
	assert_int_equal(c.n_reqs, 0);
	rt_collect_free(&c);
	free(b.data);
}

/* ---- names: the whole term, case-insensitively, listed once ----------- */

/* A DescribeSecurityGroups answer of groups (id, group name, Name tag). */
static char *s_groups_xml(const char *const (*g)[3], size_t n)
{
	struct si_buf b;

	si_buf_init(&b, 0);
	s_put(&b, "<DescribeSecurityGroupsResponse><securityGroupInfo>");
	for (size_t i = 0; i < n; i++) {
		s_put(&b, "<item><groupId>");
		s_put(&b, g[i][0]);
		s_put(&b, "</groupId><groupName>");
		s_put(&b, g[i][1]);
		s_put(&b, "</groupName>");
		if (g[i][2] != NULL) {
			s_put(&b, "<tagSet><item><key>Name</key><value>");
			s_put(&b, g[i][2]);
			s_put(&b, "</value></item></tagSet>");
		}
		s_put(&b, "</item>");
	}
	s_put(&b, "</securityGroupInfo></DescribeSecurityGroupsResponse>");
	return si_buf_steal(&b);
}

static void s_expect_ids(const struct rt_collect *c, const char *const *ids, size_t n)
{
	assert_int_equal(c->result.n_matches, n);
	for (size_t i = 0; i < n; i++)
		rtt_res(c, ids[i]);
}

static void test_name_narrowing(void **state)
{
	/* Filters are a superset (a case-folded window of the term, or an
	 * endpoint that ignored them): the answer keeps what holds the whole
	 * term in any case. The second call (group name) keeps only what the
	 * first (Name tag) cannot have found. */
	static const char *const groups[][3] = {
		{ "sg-00000001", "web-frontend", "Prod WEB frontend" },  /* both */
		{ "sg-00000002", "WEB-old", "legacy" },                  /* group name */
		{ "sg-00000003", "db", "web-cache" },                    /* tag */
		{ "sg-00000004", "we-b", "w-eb" },                       /* neither */
		{ "sg-00000005", "Webhooks", NULL },                     /* group name */
	};
	static const char *const by_tag[] = { "sg-00000001", "sg-00000003" };
	static const char *const by_own[] = { "sg-00000002", "sg-00000005" };
	char *xml = s_groups_xml(groups, 5);
	struct search_term t = s_term(SEARCH_TERM_NAME, "wEb");
	struct s_run run;

	(void)state;
	t.name_lc = "web";
	s_ask(&run, s_type("security-group"), &t, 0, xml, strlen(xml));
	assert_int_equal(run.rc, 0);
	s_expect_ids(&run.got, by_tag, 2);
	rtt_expect("sg-00000001", "name", "Prod WEB frontend",
		   rtt_res(&run.got, "sg-00000001")->name);
	s_run_free(&run);
	s_ask(&run, s_type("security-group"), &t, 1, xml, strlen(xml));
	assert_int_equal(run.rc, 0);
	s_expect_ids(&run.got, by_own, 2);
	rtt_expect("sg-00000005", "name", "Webhooks", rtt_res(&run.got, "sg-00000005")->name);
	rtt_expect("sg-00000002", "Group name", "WEB-old",
		   res_field(rtt_res(&run.got, "sg-00000002"), "Group name"));
	s_run_free(&run);

	/* The sample's groups have no tags: names by group name only. */
	{
		struct fixture_blob b = rtt_sample("ec2-describe-security-groups.botocore.xml");
		static const char *const quick[] = { "sg-68d8a958", "sg-72334242" };

		t.value = "QuickLaunch-";
		t.name_lc = "quicklaunch-";
		s_ask(&run, s_type("security-group"), &t, 0, b.data, b.len);
		assert_int_equal(run.got.result.n_matches, 0);
		s_run_free(&run);
		s_ask(&run, s_type("security-group"), &t, 1, b.data, b.len);
		s_expect_ids(&run.got, quick, 2);
		s_run_free(&run);
		free(b.data);
	}
	free(xml);
}

/* A type with the Name tag only: the NAT gateway sample, in any case. */
static void test_name_tag_only(void **state)
{
	struct fixture_blob b = rtt_sample("ec2-describe-nat-gateways.awsdocs.xml");
	static const char *const cases[][2] = {
		{ "mynatgateway", "1" }, { "NATGATE", "1" }, { "yNaTg", "1" }, { "nat-gw", "0" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char lc[32];
		struct search_term t = s_term(SEARCH_TERM_NAME, cases[i][0]);
		struct s_run run;

		snprintf(lc, sizeof(lc), "%s", cases[i][0]);
		si_ascii_lower(lc);
		t.name_lc = lc;
		s_ask(&run, s_type("nat-gateway"), &t, 0, b.data, b.len);
		assert_int_equal(run.rc, 0);
		assert_int_equal(run.got.result.n_matches, (size_t)(cases[i][1][0] - '0'));
		assert_int_equal(run.plan.n_reqs, 1);
		s_run_free(&run);
	}
	free(b.data);
}

/* ---- CIDR ------------------------------------------------------------- */

/* The samples' blocks (subnet 10.0.0.0/24 in VPC 10.0.0.0/16), plus IPv6
 * (and a secondary IPv4 block) added to them in the AWS shape. */
#define S_SUBNET_V6 "<cidrBlock>10.0.0.0/24</cidrBlock><ipv6CidrBlockAssociationSet>" \
	"<item><ipv6CidrBlock>2001:db8:1234:1a00::/64</ipv6CidrBlock>" \
	"<associationId>subnet-cidr-assoc-1</associationId><ipv6CidrBlockState><state>" \
	"associated</state></ipv6CidrBlockState></item><item><ipv6CidrBlock>" \
	"2001:db8:ffff::/64</ipv6CidrBlock><ipv6CidrBlockState><state>disassociated</state>" \
	"</ipv6CidrBlockState></item></ipv6CidrBlockAssociationSet>"
#define S_VPC_V6 "<cidrBlock>10.0.0.0/16</cidrBlock><cidrBlockAssociationSet><item>" \
	"<cidrBlock>10.0.0.0/16</cidrBlock><cidrBlockState><state>associated</state>" \
	"</cidrBlockState></item><item><cidrBlock>10.1.0.0/16</cidrBlock><cidrBlockState>" \
	"<state>associated</state></cidrBlockState></item></cidrBlockAssociationSet>" \
	"<ipv6CidrBlockAssociationSet><item><ipv6CidrBlock>2001:db8:1234:1a00::/56" \
	"</ipv6CidrBlock><ipv6CidrBlockState><state>associated</state></ipv6CidrBlockState>" \
	"</item></ipv6CidrBlockAssociationSet>"

static const struct {
	const char *type, *term, *block;  /* block: NULL = not listed */
} s_cidr_cases[] = {
	{ "subnet", "10.0.0.0/24", "equal" },
	{ "subnet", "10.0.0.0/26", "contains" },
	{ "subnet", "10.0.0.128/25", "contains" },
	{ "subnet", "10.0.0.0/16", "inside" },
	{ "subnet", "0.0.0.0/0", "inside" },
	{ "subnet", "10.0.1.0/24", NULL },
	{ "subnet", "192.168.0.0/16", NULL },
	{ "subnet", "2001:db8:1234:1a00::/64", "equal" },
	{ "subnet", "2001:db8:1234:1a00::/80", "contains" },
	{ "subnet", "2001:db8:1234::/48", "inside" },
	{ "subnet", "2001:db8:1234:1b00::/64", NULL },
	{ "subnet", "2001:db8:ffff::/64", NULL },     /* disassociated */
	{ "vpc", "10.0.0.0/16", "equal" },
	{ "vpc", "10.0.0.0/24", "contains" },
	{ "vpc", "10.1.2.0/24", "contains" },          /* the secondary block */
	{ "vpc", "10.0.0.0/8", "inside" },
	{ "vpc", "10.2.0.0/16", NULL },
	{ "vpc", "172.16.0.0/12", NULL },
	{ "vpc", "2001:db8:1234:1a00::/56", "equal" },
	{ "vpc", "2001:db8:1234:1a42::/64", "contains" },
	{ "vpc", "2001:db8::/32", "inside" },
	{ "vpc", "2001:db9::/32", NULL },
};

static void test_cidr(void **state)
{
	struct fixture_blob sb = rtt_sample("ec2-describe-subnets.botocore.xml");
	struct fixture_blob vb = rtt_sample("ec2-describe-vpcs.botocore.xml");
	char *subnets = rtt_subst(sb.data, "<cidrBlock>10.0.0.0/24</cidrBlock>", S_SUBNET_V6);
	char *vpcs = rtt_subst(vb.data, "<cidrBlock>10.0.0.0/16</cidrBlock>", S_VPC_V6);

	(void)state;
	for (size_t i = 0; i < sizeof(s_cidr_cases) / sizeof(s_cidr_cases[0]); i++) {
		int is_vpc = strcmp(s_cidr_cases[i].type, "vpc") == 0;
		const char *body = is_vpc ? vpcs : subnets;
		const char *v4 = is_vpc ? vb.data : sb.data;
		struct search_term t = s_term(SEARCH_TERM_CIDR, s_cidr_cases[i].term);
		const char *id = is_vpc ? "vpc-8d2910e4" : "subnet-812910e8";
		struct s_run run;

		s_ask(&run, s_type(s_cidr_cases[i].type), &t, 0, body, strlen(body));
		assert_int_equal(run.rc, 0);
		if (s_cidr_cases[i].block == NULL) {
			if (run.got.result.n_matches != 0)
				fail_msg("%s listed for %s", id, t.value);
		} else {
			assert_int_equal(run.got.result.n_matches, 1);
			rtt_expect(t.value, "Block", s_cidr_cases[i].block,
				   res_field(rtt_res(&run.got, id), "Block"));
		}
		s_run_free(&run);
		/* The samples as published (IPv4 only) agree on IPv4 terms. */
		if (strchr(t.value, ':') != NULL || strcmp(t.value, "10.1.2.0/24") == 0)
			continue;
		s_ask(&run, s_type(s_cidr_cases[i].type), &t, 0, v4, strlen(v4));
		assert_int_equal(run.got.result.n_matches, s_cidr_cases[i].block != NULL);
		s_run_free(&run);
	}
	{
		struct search_term t = s_term(SEARCH_TERM_CIDR, "2001:db8::/32");
		const struct res_resource *r;
		struct s_run run;

		s_ask(&run, s_type("vpc"), &t, 0, vpcs, strlen(vpcs));
		r = rtt_res(&run.got, "vpc-8d2910e4");
		rtt_expect(r->id, "CIDR", "10.0.0.0/16, 10.1.0.0/16", res_field(r, "CIDR"));
		rtt_expect(r->id, "IPv6 CIDR", "2001:db8:1234:1a00::/56",
			   res_field(r, "IPv6 CIDR"));
		assert_int_equal(r->n_addrs, 3);
		s_run_free(&run);
		s_ask(&run, s_type("subnet"), &t, 0, subnets, strlen(subnets));
		r = rtt_res(&run.got, "subnet-812910e8");
		rtt_expect(r->id, "IPv6 CIDR", "2001:db8:1234:1a00::/64",
			   res_field(r, "IPv6 CIDR"));
		assert_false(rtt_has_addr(r, "2001:db8:ffff::/64"));
		s_run_free(&run);
	}
	free(subnets);
	free(vpcs);
	free(sb.data);
	free(vb.data);
}

/* A VPC of 50 IPv4 blocks (AWS's most): every block is an address; the
 * field that lists them is cut with "…" at a whole value. */
static void test_long_lists(void **state)
{
	struct si_buf b;
	struct search_term t = s_term(SEARCH_TERM_CIDR, "10.49.0.0/16");
	const struct res_resource *r;
	const char *f;
	struct s_run run;

	(void)state;
	si_buf_init(&b, 0);
	s_put(&b, "<DescribeVpcsResponse><vpcSet><item><vpcId>vpc-0000000a</vpcId><cidrBlock>"
		  "10.0.0.0/16</cidrBlock><cidrBlockAssociationSet>");
	for (int i = 0; i < 50; i++) {
		char block[96];

		snprintf(block, sizeof(block), "<item><cidrBlock>10.%d.0.0/16</cidrBlock></item>",
			 i);
		s_put(&b, block);
	}
	s_put(&b, "</cidrBlockAssociationSet></item></vpcSet></DescribeVpcsResponse>");
	s_ask(&run, s_type("vpc"), &t, 0, b.data, b.len);
	assert_int_equal(run.rc, 0);
	r = rtt_res(&run.got, "vpc-0000000a");
	assert_int_equal(r->n_addrs, 50);
	rtt_expect(r->id, "Block", "equal", res_field(r, "Block"));
	f = res_field(r, "CIDR");
	assert_non_null(f);
	assert_true(strlen(f) < 512);
	assert_non_null(strstr(f, "10.0.0.0/16, 10.1.0.0/16, "));
	assert_string_equal(f + strlen(f) - strlen(", \xe2\x80\xa6"), ", \xe2\x80\xa6");
	s_run_free(&run);
	si_buf_free(&b, 0);
}

/* ---- paging ----------------------------------------------------------- */

static void test_pagination(void **state)
{
	struct fixture_blob b = rtt_sample("ec2-describe-subnets.botocore.xml");
	char *paged = rtt_subst(b.data, "</subnetSet>",
				"</subnetSet><nextToken>eyJ2IjoiMiIsImMiOiJ0b2tlbiJ9</nextToken>");
	struct search_term cidr = s_term(SEARCH_TERM_CIDR, "10.0.0.0/8");
	struct search_term check = s_term(SEARCH_TERM_CHECK, NULL);
	struct s_run run;

	(void)state;
	s_ask(&run, s_type("subnet"), &cidr, 0, paged, strlen(paged));
	assert_int_equal(run.rc, 0);
	assert_int_equal(run.got.result.n_matches, 1);
	rtt_expect("page", "token", "eyJ2IjoiMiIsImMiOiJ0b2tlbiJ9", run.got.next_token);
	s_run_free(&run);
	/* A token is handed on even when nothing on the page is kept. */
	cidr.value = "192.168.0.0/16";
	s_ask(&run, s_type("subnet"), &cidr, 0, paged, strlen(paged));
	assert_int_equal(run.got.result.n_matches, 0);
	rtt_expect("page", "token", "eyJ2IjoiMiIsImMiOiJ0b2tlbiJ9", run.got.next_token);
	s_run_free(&run);
	/* The last page has none; a --check-config call never pages. */
	s_ask(&run, s_type("subnet"), &cidr, 0, b.data, b.len);
	assert_null(run.got.next_token);
	s_run_free(&run);
	s_ask(&run, s_type("subnet"), &check, 0, paged, strlen(paged));
	assert_int_equal(run.rc, 0);
	assert_int_equal(run.got.result.n_matches, 0);
	assert_null(run.got.next_token);
	s_run_free(&run);
	free(paged);
	free(b.data);
}

/* ---- hostile and broken answers ---------------------------------------- */

/* n items (each with tags tags) of a DescribeSubnets answer. */
static char *s_many(size_t n, size_t tags)
{
	struct si_buf b;

	si_buf_init(&b, 0);
	s_put(&b, "<DescribeSubnetsResponse><subnetSet>");
	for (size_t i = 0; i < n; i++) {
		s_put(&b, "<item><subnetId>subnet-812910e8</subnetId><cidrBlock>10.0.0.0/24"
			  "</cidrBlock><tagSet>");
		for (size_t k = 0; k < tags; k++) {
			char tag[64];

			snprintf(tag, sizeof(tag), "<item><key>k%zu</key><value/></item>", k);
			s_put(&b, tag);
		}
		s_put(&b, "</tagSet></item>");
	}
	s_put(&b, "</subnetSet></DescribeSubnetsResponse>");
	return si_buf_steal(&b);
}

static void s_refused(const char *type, const char *body, size_t len, enum si_err_code code,
		      const char *what)
{
	struct search_term t = s_term(SEARCH_TERM_CIDR, "0.0.0.0/0");
	struct s_run run;

	if ((s_type(type)->by & RT_BY_CIDR) == 0) {
		t = s_term(SEARCH_TERM_NAME, "x");
		t.name_lc = "x";
	}
	s_ask(&run, s_type(type), &t, 0, body, len);
	if (run.rc != -1)
		fail_msg("%s: %s accepted", type, what);
	if (code != SI_OK && run.err.code != code)
		fail_msg("%s: %s: code %d, wanted %d (%s)", type, what, (int)run.err.code,
			 (int)code, run.err.msg);
	assert_true(run.err.msg[0] != '\0');
	assert_int_equal(run.got.result.n_matches, 0);
	s_run_free(&run);
}

static void test_malformed(void **state)
{
	struct fixture_blob env = rtt_sample("ec2-error-invalidinstanceid-notfound.awsdocs.xml");
	struct fixture_blob vpcs = rtt_sample("ec2-describe-vpcs.botocore.xml");
	static const char not_xml[] = "Service Unavailable\n";
	static const char cut[] = "<DescribeSubnetsResponse><subnetSet><item><subnetId>subn";
	char *many = s_many(1001, 0), *tags = s_many(1, RES_MAX_TAGS + 1);
	char *fine = s_many(1000, 0);

	(void)state;
	for (size_t i = 0; i < S_N_TYPES; i++) {
		const char *type = s_id_plans[i].type;

		s_refused(type, not_xml, sizeof(not_xml) - 1, SI_OK, "not XML");
		s_refused(type, "", 0, SI_OK, "an empty body");
		s_refused(type, cut, sizeof(cut) - 1, SI_OK, "a cut answer");
		s_refused(type, env.data, env.len, SI_ERR_REMOTE, "an error envelope");
		if (strcmp(type, "vpc") != 0)
			s_refused(type, vpcs.data, vpcs.len, SI_ERR_INVALID, "the wrong root");
	}
	s_refused("subnet", many, strlen(many), SI_ERR_LIMIT, "1001 items");
	s_refused("subnet", tags, strlen(tags), SI_ERR_LIMIT, "65 tags");
	{
		struct search_term t = s_term(SEARCH_TERM_CIDR, "10.0.0.0/24");
		struct s_run run;

		/* 1,000 is AWS's own largest page: fine. */
		s_ask(&run, s_type("subnet"), &t, 0, fine, strlen(fine));
		assert_int_equal(run.rc, 0);
		assert_int_equal(run.got.result.n_matches, 1000);
		s_run_free(&run);
		/* An error envelope carries its code. */
		s_ask(&run, s_type("subnet"), &t, 0, env.data, env.len);
		assert_non_null(strstr(run.err.msg, "InvalidInstanceID.NotFound"));
		s_run_free(&run);
		/* Items without an id name nothing: skipped, not a crash. */
		s_ask(&run, s_type("subnet"), &t, 0,
		      "<DescribeSubnetsResponse><subnetSet><item><cidrBlock>10.0.0.0/24"
		      "</cidrBlock></item><item/></subnetSet></DescribeSubnetsResponse>",
		      strlen("<DescribeSubnetsResponse><subnetSet><item><cidrBlock>10.0.0.0/24"
			     "</cidrBlock></item><item/></subnetSet></DescribeSubnetsResponse>"));
		assert_int_equal(run.rc, 0);
		assert_int_equal(run.got.result.n_matches, 0);
		s_run_free(&run);
	}
	free(many);
	free(tags);
	free(fine);
	free(env.data);
	free(vpcs.data);
}

/* ---- the volume's follow-up: its instances, named --------------------- */

/* Feed body to type as the answer to what t plans first, into c. */
static void s_answer_into(const char *type, const struct search_term *t, const char *body,
			  size_t len, struct rt_collect *c)
{
	struct rt_collect plan;
	struct si_err err;

	s_plan(type, t, &plan);
	assert_int_equal(plan.n_reqs, 1);
	if (rt_collect_answer(s_type(type), plan.reqs[0].step, plan.reqs[0].parent, t,
			      S_REGION, S_ACCOUNT, NULL, 0, body, len, c, &err) != 0)
		fail_msg("%s: %s", type, err.msg);
	rt_collect_free(&plan);
}

static void s_check_followup(const struct rt_collected *q, size_t parent, const char *one,
			     const char *two)
{
	rtt_expect("follow-up", "service", "ec2", q->service);
	rtt_expect("follow-up", "action", "DescribeInstances", q->action);
	assert_int_equal(q->proto, AWS_PROTO_QUERY);
	assert_int_equal(q->parent, parent);     /* the volume it completes */
	assert_null(q->page_param);              /* an id list: one page */
	assert_null(rt_collected_param(q, "MaxResults"));
	rtt_expect("follow-up", "InstanceId.1", one, rt_collected_param(q, "InstanceId.1"));
	rtt_expect("follow-up", "InstanceId.2", two, rt_collected_param(q, "InstanceId.2"));
	assert_int_equal(q->n_params, two != NULL ? 2 : 1);
}

/*
 * Two volumes of the sample, answered into one search: each asks for its
 * instances as a follow-up naming it (parent), and each follow-up's answer
 * names that volume's relations. The first is attached to the docs'
 * instance (Name=Server_1, the README says) and, Multi-Attach, to a second
 * one; the botocore instances carry no Name tag.
 */
static void test_volume_followup(void **state)
{
	struct fixture_blob vb = rtt_sample("ec2-describe-volumes.botocore.xml");
	struct fixture_blob named = rtt_sample("ec2-describe-instances.awsdocs.xml");
	struct fixture_blob unnamed = rtt_sample("ec2-describe-instances.botocore.xml");
	char *docs = rtt_subst(vb.data, "<instanceId>i-fde9cece</instanceId>",
			       "<instanceId>i-1234567890abcdef0</instanceId>");
	char *vols = rtt_subst(docs, "</attachmentSet>",
			       "<item><instanceId>i-0aaaaaaa</instanceId><device>/dev/sdf"
			       "</device></item></attachmentSet>");
	struct search_term a = s_term(SEARCH_TERM_ID, "vol-bc71579a");
	struct search_term b = s_term(SEARCH_TERM_ID, "vol-a8d2e991");
	const struct rt_collected *q;
	const struct res_resource *r;
	struct rt_collect c;
	struct si_err err;

	(void)state;
	memset(&c, 0, sizeof(c));
	s_answer_into("volume", &a, vols, strlen(vols), &c);
	s_answer_into("volume", &b, vols, strlen(vols), &c);
	assert_int_equal(c.result.n_matches, 2);
	assert_int_equal(c.n_reqs, 2);
	s_check_followup(&c.reqs[0], 0, "i-1234567890abcdef0", "i-0aaaaaaa");
	s_check_followup(&c.reqs[1], 1, "i-78f1b94a", NULL);

	q = &c.reqs[0];
	assert_int_equal(rt_collect_answer(s_type("volume"), q->step, q->parent, &a, S_REGION,
					   S_ACCOUNT, NULL, 0, named.data, named.len, &c, &err),
			 0);
	q = &c.reqs[1];
	assert_int_equal(rt_collect_answer(s_type("volume"), q->step, q->parent, &b, S_REGION,
					   S_ACCOUNT, NULL, 0, unnamed.data, unnamed.len, &c,
					   &err), 0);
	r = rtt_res(&c, "vol-bc71579a");
	rtt_expect(r->id, "instance name", "Server_1",
		   rtt_rel(r, "attached to", "i-1234567890abcdef0")->name);
	assert_null(rtt_rel(r, "attached to", "i-0aaaaaaa")->name);
	r = rtt_res(&c, "vol-a8d2e991");
	assert_null(rtt_rel(r, "attached to", "i-78f1b94a")->name);
	assert_int_equal(c.result.n_matches, 2);      /* follow-ups add nothing */
	assert_int_equal(c.n_reqs, 2);                /* nor ask more */

	/* A broken follow-up answer fails cleanly; a parent that is not
	 * there is nothing to fill. */
	q = &c.reqs[0];
	assert_int_equal(rt_collect_answer(s_type("volume"), q->step, q->parent, &a, S_REGION,
					   S_ACCOUNT, NULL, 0, "<oops", 5, &c, &err), -1);
	assert_int_equal(rt_collect_answer(s_type("volume"), q->step, 99, &a, S_REGION,
					   S_ACCOUNT, NULL, 0, named.data, named.len, &c, &err),
			 0);
	rt_collect_free(&c);

	/* A volume with no attachment asks nothing more. */
	{
		static const char lone[] = "<DescribeVolumesResponse><volumeSet><item><volumeId>"
			"vol-0000000a</volumeId><status>available</status></item></volumeSet>"
			"</DescribeVolumesResponse>";
		struct search_term id = s_term(SEARCH_TERM_ID, "vol-0000000a");

		memset(&c, 0, sizeof(c));
		s_answer_into("volume", &id, lone, sizeof(lone) - 1, &c);
		assert_int_equal(c.result.n_matches, 1);
		assert_int_equal(c.n_reqs, 0);
		rt_collect_free(&c);
	}
	free(docs);
	free(vols);
	free(vb.data);
	free(named.data);
	free(unnamed.data);
}

/* ---- listings (SEARCH_TERM_LIST) ----------------------------------------- */

/* The number of items botocore's parse of sample base holds in list
 * (list "Reservations/Instances": the instances of every reservation). */
static size_t s_expected_items(const char *base, const char *list)
{
	char name[128];
	struct json_object *j, *items;
	size_t n = 0;

	snprintf(name, sizeof(name), "%s.botocore.expected.json", base);
	j = rtt_sample_json(name);
	if (strcmp(list, "Reservations/Instances") == 0) {
		items = fixture_get(j, "Reservations");
		for (size_t i = 0; i < json_object_array_length(items); i++)
			n += json_object_array_length(
				fixture_get(json_object_array_get_idx(items, i), "Instances"));
	} else {
		n = json_object_array_length(fixture_get(j, list));
	}
	json_object_put(j);
	return n;
}

/* A listing of type answered with sample base keeps all of its items,
 * asks for nothing more and hands a next-page token on. */
static void s_list_keeps_all(const char *type, const char *base, const char *list,
			     const char *set_end)
{
	char xml[128];
	struct fixture_blob b;
	struct search_term t = s_term(SEARCH_TERM_LIST, "");
	char *paged, tail[96];
	struct s_run run;
	size_t want = s_expected_items(base, list);

	snprintf(xml, sizeof(xml), "%s.botocore.xml", base);
	b = rtt_sample(xml);
	snprintf(tail, sizeof(tail), "%s<nextToken>bGlzdGluZw==</nextToken>", set_end);
	paged = rtt_subst(b.data, set_end, tail);
	assert_true(want > 0);
	s_ask(&run, s_type(type), &t, 0, paged, strlen(paged));
	if (run.rc != 0)
		fail_msg("%s listing: %s", type, run.err.msg);
	if (run.got.result.n_matches != want)
		fail_msg("%s listing kept %zu of %zu", type, run.got.result.n_matches, want);
	assert_int_equal(run.got.n_reqs, 0);
	rtt_expect(type, "next page", "bGlzdGluZw==", run.got.next_token);
	/* One paged call, MaxResults set, no filter (test_registry.c too). */
	assert_int_equal(run.plan.n_reqs, 1);
	assert_non_null(rt_collected_param(&run.plan.reqs[0], "MaxResults"));
	assert_null(rt_collected_param(&run.plan.reqs[0], "Filter.1.Name"));
	s_run_free(&run);
	free(paged);
	free(b.data);
}

static void test_listings(void **state)
{
	(void)state;
	s_list_keeps_all("security-group", "ec2-describe-security-groups", "SecurityGroups",
			 "</securityGroupInfo>");
	s_list_keeps_all("subnet", "ec2-describe-subnets", "Subnets", "</subnetSet>");
	s_list_keeps_all("vpc", "ec2-describe-vpcs", "Vpcs", "</vpcSet>");
	/* Attached volumes: their instances' names are the instance
	 * listing's, so no follow-up (unlike test_volume_followup). */
	s_list_keeps_all("volume", "ec2-describe-volumes", "Volumes", "</volumeSet>");
	s_list_keeps_all("snapshot", "ec2-describe-snapshots", "Snapshots", "</snapshotSet>");
	s_list_keeps_all("instance", "ec2-describe-instances", "Reservations/Instances",
			 "</reservationSet>");
}

/* The interfaces among c's matches (the collector also hands on the
 * empty shells of those the module dropped: skipped). */
static size_t s_enis(const struct rt_collect *c, const char **first)
{
	size_t n = 0;

	for (size_t i = 0; i < c->result.n_matches; i++) {
		const struct search_match *m = &c->result.matches[i];

		if (m->kind != SEARCH_MATCH_ENI || m->eni.eni_id == NULL)
			continue;
		if (n++ == 0 && first != NULL)
			*first = m->eni.eni_id;
	}
	return n;
}

/* Interfaces: a listing keeps those not attached to an instance and asks
 * for no instance (the instance listing holds the attached ones), where
 * an address search reports an attached interface as its instance. */
static void test_listing_interfaces(void **state)
{
	struct fixture_blob b = rtt_sample("ec2-describe-network-interfaces.botocore.xml");
	char *detached = rtt_subst(b.data, "<instanceId>i-886401dc</instanceId>", "");
	struct search_term list = s_term(SEARCH_TERM_LIST, "");
	struct search_term addr = s_term(SEARCH_TERM_IPV4, "10.0.0.146");
	const struct rt_type *eni = s_type("network-interface");
	const char *kept = NULL;
	struct s_run run;

	(void)state;
	/* Both attached: nothing kept, nothing asked. */
	s_ask(&run, eni, &list, 0, b.data, b.len);
	assert_int_equal(run.rc, 0);
	assert_int_equal(s_enis(&run.got, NULL), 0);
	assert_int_equal(run.got.n_reqs, 0);
	s_run_free(&run);
	/* One detached: that one, as an interface. */
	s_ask(&run, eni, &list, 0, detached, strlen(detached));
	assert_int_equal(run.rc, 0);
	assert_int_equal(s_enis(&run.got, &kept), 1);
	assert_string_equal(kept, "eni-a66ed5cf");
	assert_int_equal(run.got.n_reqs, 0);
	s_run_free(&run);
	/* The same answer to an address search asks for the instance. */
	s_ask(&run, eni, &addr, 0, detached, strlen(detached));
	assert_int_equal(run.rc, 0);
	assert_int_equal(run.got.n_reqs, 1);
	assert_string_equal(run.got.reqs[0].action, "DescribeInstances");
	s_run_free(&run);
	free(detached);
	free(b.data);
}

/* ---- the registry's view: claims, cards, links ------------------------- */

static void test_registry(void **state)
{
	static const char *const arn_types[][2] = {
		{ "security-group", "security-group" }, { "subnet", "subnet" }, { "vpc", "vpc" },
		{ "nat-gateway", "natgateway" }, { "internet-gateway", "internet-gateway" },
		{ "vpc-endpoint", "vpc-endpoint" }, { "transit-gateway", "transit-gateway" },
		{ "volume", "volume" }, { "image", "image" }, { "snapshot", "snapshot" },
		{ "launch-template", "launch-template" },
	};

	(void)state;
	for (size_t i = 0; i < S_N_TYPES; i++) {
		const struct rt_type *t = s_type(s_id_plans[i].type);

		if (rt_by_id_prefix(s_id_plans[i].id) != t)
			fail_msg("%s is not %s's", s_id_plans[i].id, t->name);
		assert_true(rt_by_arn("ec2", arn_types[i][1]) == t);
		assert_string_equal(arn_types[i][0], t->name);
		assert_true((t->by & (RT_BY_ID | RT_BY_ARN | RT_BY_NAME)) ==
			    (RT_BY_ID | RT_BY_ARN | RT_BY_NAME));
		assert_non_null(t->plan);
		assert_non_null(t->answer);
		assert_non_null(t->summary);
		assert_non_null(t->console_url);
		assert_non_null(t->actions);
		assert_int_equal(t->global, 0);
		/* Types looked up by id list say which error means "not here"
		 * (and the volume, for its instances' follow-up). */
		if (s_id_plans[i].list != NULL || strcmp(t->name, "volume") == 0) {
			assert_non_null(t->absent_codes);
			assert_non_null(t->absent_codes[0]);
			assert_non_null(strstr(t->absent_codes[0], ".NotFound"));
		} else {
			assert_null(t->absent_codes);
		}
	}
}

static void test_cards(void **state)
{
	struct fixture_blob b = rtt_sample("ec2-describe-subnets.botocore.xml");
	struct search_term t = s_term(SEARCH_TERM_CIDR, "10.0.0.0/16");
	const struct res_resource *r;
	char sum[256], url[512];
	struct s_run run;

	(void)state;
	s_ask(&run, s_type("subnet"), &t, 0, b.data, b.len);
	r = rtt_res(&run.got, "subnet-812910e8");
	r->type->summary(r, sum, sizeof(sum));
	assert_string_equal(sum, "10.0.0.0/24, inside the block searched, us-west-2a, "
				 "251 free IPs");
	r->type->console_url(r, S_REGION, url, sizeof(url));
	assert_string_equal(url, "https://us-west-2.console.aws.amazon.com/vpcconsole/home?"
				 "region=us-west-2#SubnetDetails:subnetId=subnet-812910e8");
	r->type->console_url(r, S_REGION, url, 20);      /* too small: nothing */
	assert_string_equal(url, "");
	r->type->summary(r, sum, 8);                      /* cut, terminated */
	assert_true(strlen(sum) < 8);
	s_run_free(&run);
	free(b.data);

	b = rtt_sample("ec2-describe-security-groups.botocore.xml");
	t = s_term(SEARCH_TERM_ID, "sg-97b1aefb");
	s_ask(&run, s_type("security-group"), &t, 0, b.data, b.len);
	r = rtt_res(&run.got, "sg-97b1aefb");
	r->type->summary(r, sum, sizeof(sum));
	assert_string_equal(sum, "vpc-8d2910e4, 1 inbound, 1 outbound rules");
	r->type->console_url(r, "eu-west-2", url, sizeof(url));
	assert_string_equal(url, "https://eu-west-2.console.aws.amazon.com/ec2/home?"
				 "region=eu-west-2#SecurityGroup:groupId=sg-97b1aefb");
	s_run_free(&run);
	free(b.data);

	b = rtt_sample("ec2-describe-volumes.botocore.xml");
	t = s_term(SEARCH_TERM_ID, "vol-bc71579a");
	s_ask(&run, s_type("volume"), &t, 0, b.data, b.len);
	r = rtt_res(&run.got, "vol-bc71579a");
	r->type->summary(r, sum, sizeof(sum));
	assert_string_equal(sum, "8 GiB, standard, in-use, on i-fde9cece /dev/sda1");
	s_run_free(&run);
	free(b.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_security_groups),
		cmocka_unit_test(test_subnets),
		cmocka_unit_test(test_vpcs),
		cmocka_unit_test(test_volumes),
		cmocka_unit_test(test_snapshots),
		cmocka_unit_test(test_nat_gateways),
		cmocka_unit_test(test_vpc_endpoints),
		cmocka_unit_test(test_images),
		cmocka_unit_test(test_internet_gateways),
		cmocka_unit_test(test_transit_gateways),
		cmocka_unit_test(test_launch_templates),
		cmocka_unit_test(test_plan_id),
		cmocka_unit_test(test_plan_arn),
		cmocka_unit_test(test_plan_name),
		cmocka_unit_test(test_plan_cidr),
		cmocka_unit_test(test_plan_check),
		cmocka_unit_test(test_plan_host),
		cmocka_unit_test(test_name_narrowing),
		cmocka_unit_test(test_name_tag_only),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_long_lists),
		cmocka_unit_test(test_pagination),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_volume_followup),
		cmocka_unit_test(test_listings),
		cmocka_unit_test(test_listing_interfaces),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_cards),
	};
	int rc;

	xmlInitParser();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
