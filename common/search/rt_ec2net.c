/*
 * rt_ec2net.c - the EC2 networking types (security groups, subnets, VPCs,
 * NAT gateways, internet gateways, VPC endpoints, transit gateways) and
 * the Describe* machinery every EC2 family module shares
 * (search/private/ec2.h).
 *
 * How a term becomes calls, in each target:
 *  - an ID, an ARN (or a VPC endpoint's DNS name): one call with the
 *    type's id filter ("group-id"), so an id this target does not hold is
 *    an empty answer, not a *.NotFound error. APIs without an id filter
 *    send the id list ("ImageId.1") and name their *.NotFound codes in
 *    rt_type.absent_codes. Either way the answer is narrowed to the exact
 *    id, so an endpoint that ignored the filter cannot list a region;
 *  - a name: the Name tag filter of rt_ec2_name_filter (a case-folded
 *    window of the term, so the answer is a superset), narrowed to the
 *    whole term case-insensitively. Types with a name of their own (a
 *    security group's GroupName, an AMI's name, a launch template's name)
 *    make a second call with that name's filter, because AWS ANDs filters
 *    of different names: the union needs two calls. The second keeps only
 *    what the first cannot have found (own name matches, Name tag does
 *    not), so nothing is listed twice;
 *  - a CIDR block (VPCs and subnets): a paged listing, kept where one of
 *    the resource's blocks equals, contains or lies inside the term's
 *    (EC2 has filters for equal blocks only);
 *  - a listing (SEARCH_TERM_LIST, the inventory crawler): the same paged
 *    listing for every type, everything kept. AMIs and snapshots are
 *    listed with Owner.1=self: the account's own, not the region's public
 *    catalogue (an AMI shared with us is found by id, as before);
 *  - --check-config: the action with the smallest page.
 */
#include "search/private/ec2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/xml.h"
#include "search/private/types.h"
#include "util/cidr.h"
#include "util/strutil.h"

/* Items one answer may hold: AWS's largest page is 1,000 and we ask for
 * 200 or fewer, so more is a broken or hostile endpoint. */
#define S_MAX_ITEMS 1000
/* Items of a nested list walked per resource (blocks, addresses,
 * attachments, subnets, DNS entries): AWS allows far fewer (50 IPv4
 * blocks per VPC at most, 16 attachments, one endpoint per AZ). */
#define S_MAX_NESTED 256
/* Rules of a security group, only counted: 60 each way by default, 1,000
 * in all with raised quotas. */
#define S_MAX_RULES 1000
/* --check-config asks for the smallest page AWS allows (5). */
#define S_CHECK_PAGE "5"
/* A page of listed or filtered items. 200 items of a rich type (50 tags
 * are 150 elements) stay far under AWS_XML_MAX_NODES. */
#define S_PAGE "200"
/* Security groups carry their rules (a few elements each, up to 120 rules
 * and their address ranges), so a page holds fewer. */
#define S_SG_PAGE "50"
/* "DescribeTransitGatewaysResponse" and the like. */
#define S_MAX_ROOT 96

/* ---- planning ------------------------------------------------------------ */

static int s_request(struct rt_plan *p, const struct rt_ec2_kind *k, int step,
		     const struct aws_query_param *params, size_t n, int paged)
{
	const struct rt_request rq = {
		.service = RT_EC2_SERVICE, .proto = AWS_PROTO_QUERY, .action = k->action,
		.version = RT_EC2_VERSION, .params = params, .n_params = n,
		.page_param = paged ? "NextToken" : NULL, .step = step,
		.parent = RT_NO_PARENT,
	};

	return rt_plan_request(p, &rq);
}

/* id, lower-cased into out, when it is one of t's prefixes followed by hex
 * digits (0); else -1. id and out may be the same buffer. */
static int s_valid_id(const struct rt_type *t, const char *id, char *out, size_t n)
{
	size_t len = id != NULL ? strlen(id) : 0;

	if (len == 0 || len >= n || t->id_prefixes == NULL)
		return -1;
	for (size_t k = 0; t->id_prefixes[k] != NULL; k++) {
		size_t pl = strlen(t->id_prefixes[k]), i = pl;

		if (len <= pl || strncasecmp(id, t->id_prefixes[k], pl) != 0)
			continue;
		while (i < len && si_hexval(id[i]) >= 0)
			i++;
		if (i != len)
			continue;
		memmove(out, id, len + 1);
		si_ascii_lower(out);
		return 0;
	}
	return -1;
}

/* The id term t names for k (0, in out), or -1: none of k's. */
static int s_term_id(const struct rt_ec2_kind *k, const struct search_term *t,
		     const char *region, char *out, size_t n)
{
	switch (t->kind) {
	case SEARCH_TERM_ID:
		return s_valid_id(k->type, t->value, out, n);
	case SEARCH_TERM_ARN:
		return s_valid_id(k->type, t->resource, out, n);
	case SEARCH_TERM_HOST:
		if (k->host_id == NULL || t->value == NULL ||
		    k->host_id(t->value, region, out, n) != 0)
			return -1;
		return s_valid_id(k->type, out, out, n);
	default:
		return -1;
	}
}

static int s_plan_id(const struct rt_ec2_kind *k, struct rt_plan *p, const char *id)
{
	if (k->id_filter != NULL) {
		const struct aws_query_param params[] = {
			{ "Filter.1.Name", k->id_filter }, { "Filter.1.Value.1", id },
			{ "MaxResults", k->page_size },
		};

		return s_request(p, k, RT_EC2_STEP_LIST, params, 3, 1);
	}
	/* An id list: AWS refuses MaxResults beside it, and it never pages. */
	const struct aws_query_param one[] = { { k->id_param, id } };

	return s_request(p, k, RT_EC2_STEP_LIST, one, 1, 0);
}

/* One name call: the tag:Name filter (step NAME_TAG) or, with the same
 * case-folded values, the type's own name filter (NAME_OWN). */
static int s_plan_name(const struct rt_ec2_kind *k, struct rt_plan *p, int step)
{
	struct aws_query_param params[RT_MAX_PARAMS];
	char storage[RT_NAME_STORAGE];
	size_t n;

	if (p->term->value == NULL)
		return 0;
	n = rt_ec2_name_filter(p->term->value, 1, params, storage, sizeof(storage));
	if (n == 0)
		return 0;
	/* params[0] is Filter.1.Name (registry.h): same values, other name. */
	if (step == RT_EC2_STEP_NAME_OWN)
		params[0].value = k->own_name_filter;
	if (k->owner_self)
		params[n++] = (struct aws_query_param){ "Owner.1", "self" };
	params[n++] = (struct aws_query_param){ "MaxResults", k->page_size };
	return s_request(p, k, step, params, n, 1);
}

/* Everything of the type in the target, paged (CIDR, LIST), or its first
 * page only (--check-config). */
static int s_plan_list(const struct rt_ec2_kind *k, struct rt_plan *p, const char *page,
		       int paged)
{
	struct aws_query_param params[2];
	size_t n = 0;

	if (k->owner_self)
		params[n++] = (struct aws_query_param){ "Owner.1", "self" };
	params[n++] = (struct aws_query_param){ "MaxResults", page };
	return s_request(p, k, RT_EC2_STEP_LIST, params, n, paged);
}

/* The calls of one term in one target, by its kind (see the top of the
 * file): a type asks only for what it can hold, so a term pinned to
 * another type, or naming another account or region, costs nothing. */
int rt_ec2_plan(const struct rt_ec2_kind *k, struct rt_plan *p)
{
	const struct search_term *t = p->term;
	char id[RT_EC2_MAX_ID];
	struct si_cidr block;

	if (t->type != NULL && t->type != k->type)
		return 0;
	switch (t->kind) {
	case SEARCH_TERM_ID:
	case SEARCH_TERM_ARN:
	case SEARCH_TERM_HOST:
		if (!qx_in_target(t, p->region, p->account_id) ||
		    s_term_id(k, t, p->region, id, sizeof(id)) != 0)
			return 0;
		return s_plan_id(k, p, id);
	case SEARCH_TERM_NAME:
		if (!(k->type->by & RT_BY_NAME))
			return 0;
		if (s_plan_name(k, p, RT_EC2_STEP_NAME_TAG) != 0)
			return -1;
		return k->own_name_elem != NULL ? s_plan_name(k, p, RT_EC2_STEP_NAME_OWN) : 0;
	case SEARCH_TERM_CIDR:
		if (!(k->type->by & RT_BY_CIDR) || t->value == NULL ||
		    si_cidr_parse(t->value, &block, NULL) != 0)
			return 0;
		return s_plan_list(k, p, k->page_size, 1);
	case SEARCH_TERM_CHECK:
		return s_plan_list(k, p, S_CHECK_PAGE, 0);
	case SEARCH_TERM_LIST:
		return s_plan_list(k, p, k->page_size, 1);
	default:
		return 0;
	}
}

/* ---- answers ------------------------------------------------------------- */

/* What an answer keeps, worked out once per answer from its term. */
struct s_keep {
	enum search_term_kind kind;
	int step;
	int has_id;
	char id[RT_EC2_MAX_ID];
	int has_block;
	struct si_cidr block;
	const char *needle;       /* NAME: lower case */
};

static void s_keep_init(const struct rt_ec2_kind *k, const struct rt_answer *a,
			struct s_keep *kp)
{
	const struct search_term *t = a->term;

	memset(kp, 0, sizeof(*kp));
	kp->kind = t->kind;
	kp->step = a->step;
	kp->has_id = s_term_id(k, t, a->region, kp->id, sizeof(kp->id)) == 0;
	kp->has_block = t->kind == SEARCH_TERM_CIDR && t->value != NULL &&
			si_cidr_parse(t->value, &kp->block, NULL) == 0;
	kp->needle = t->kind == SEARCH_TERM_NAME ? t->name_lc : NULL;
}

/* 1 when r (id, tags and name set; own: its own name or NULL) is one the
 * term names, 0 when not; CIDR terms are decided later (1 here); a
 * listing keeps everything. */
static int s_named(const struct s_keep *kp, const struct res_resource *r, const char *own)
{
	const char *tag;
	int tag_hit;

	switch (kp->kind) {
	case SEARCH_TERM_ID:
	case SEARCH_TERM_ARN:
	case SEARCH_TERM_HOST:
		return kp->has_id && strcasecmp(r->id, kp->id) == 0;
	case SEARCH_TERM_NAME:
		if (kp->needle == NULL)
			return 0;
		/* With a Name tag, r->name is the tag. */
		tag = res_tag(r, "Name");
		tag_hit = tag != NULL && tag[0] != '\0' && res_name_matches(r, kp->needle);
		if (kp->step == RT_EC2_STEP_NAME_OWN)
			return !tag_hit && own != NULL && strcasestr(own, kp->needle) != NULL;
		return tag_hit;
	case SEARCH_TERM_CIDR:
		return kp->has_block;
	case SEARCH_TERM_LIST:
		return 1;
	default:
		return 0;     /* --check-config keeps nothing */
	}
}

static const char *s_rel_word(enum si_cidr_rel rel)
{
	switch (rel) {
	case SI_CIDR_EQUAL:
		return "equal";
	case SI_CIDR_CONTAINS:
		return "contains";
	case SI_CIDR_INSIDE:
		return "inside";
	default:
		return NULL;
	}
}

/* 1 (and the "Block" field set) when one of r's blocks meets the term's,
 * 0 when none does, -1 on error. One family's blocks of a VPC or subnet
 * never overlap, so all that meet the term meet it the same way: the
 * first says how. */
static int s_block_hit(const struct s_keep *kp, struct res_resource *r, struct si_err *err)
{
	for (size_t i = 0; i < r->n_addrs; i++) {
		struct si_cidr c;
		enum si_cidr_rel rel;

		if (si_cidr_parse(r->addrs[i], &c, NULL) != 0)
			continue;
		rel = si_cidr_relation(&c, &kp->block);
		if (rel != SI_CIDR_DISJOINT)
			return res_add_field(r, "Block", s_rel_word(rel), err) != 0 ? -1 : 1;
	}
	return 0;
}

/* Hand r (ours, complete) to the search; r is left empty. 0, 1 when the
 * search holds no more (stop: no further item, no next page), -1. */
static int s_place(const struct rt_ec2_kind *k, struct rt_answer *a, struct res_resource *r,
		   struct si_err *err)
{
	const char *hop = rt_hop(a);
	struct res_resource *dst;
	size_t index;

	if (hop[0] != '\0' && res_set(&r->hop, hop, err) != 0)
		return -1;
	if (a->term->kind == SEARCH_TERM_ARN && r->arn == NULL &&
	    res_set(&r->arn, a->term->value, err) != 0)
		return -1;
	dst = rt_new_resource(a, k->type, &index);
	if (dst == NULL)
		return 1;     /* SEARCH_MAX_MATCHES reached: no more, no next page */
	*dst = *r;
	dst->type = k->type;
	memset(r, 0, sizeof(*r));
	return k->placed != NULL ? k->placed(a, index, dst, err) : 0;
}

/* What one answer's items are read with (qx_walk's ctx). */
struct s_walk {
	const struct rt_ec2_kind *k;
	struct s_keep kp;
};

/*
 * One item: parsed into a resource of our own first (id, tags, name), kept
 * only when the term names it, then filled by the kind and handed to the
 * search. Deciding before rt_new_resource matters: the search has no way
 * to take a resource back. An item without an id names nothing and is
 * skipped. Returns what s_place does (1: the search is full).
 */
static int s_item(struct rt_answer *a, const xmlNode *item, void *ctx, struct si_err *err)
{
	const struct s_walk *w = ctx;
	const struct rt_ec2_kind *k = w->k;
	const struct s_keep *kp = &w->kp;
	struct res_resource r;
	char *own = NULL;
	const char *tag;
	int rc = -1, hit;

	memset(&r, 0, sizeof(r));
	if (qx_set(&r.id, item, k->id_elem, err) != 0)
		goto out;
	if (r.id == NULL) {
		rc = 0;
		goto out;
	}
	if (qx_tags(&r, item, &qx_tags_ec2, err) != 0)
		goto out;
	if (k->own_name_elem != NULL && qx_text(item, k->own_name_elem, &own, err) != 0)
		goto out;
	tag = res_tag(&r, "Name");
	if (res_set(&r.name, tag != NULL && tag[0] != '\0' ? tag : own, err) != 0)
		goto out;
	rc = 0;
	if (!s_named(kp, &r, own))
		goto out;
	rc = -1;
	if (k->fill(a, item, &r, err) != 0)
		goto out;
	if (kp->kind == SEARCH_TERM_CIDR) {
		hit = s_block_hit(kp, &r, err);
		if (hit <= 0) {
			rc = hit;
			goto out;
		}
	}
	rc = s_place(k, a, &r, err);
out:
	free(own);
	res_clear(&r);
	return rc;
}

/*
 * One answer page of a shared step: the root must be <Action>Response (a
 * wrong root or an AWS error envelope fails the target), the item count is
 * capped before anything is parsed, every item is kept or dropped by
 * s_item, and the next page is asked for unless the search is full or
 * this was --check-config's single page.
 */
int rt_ec2_answer(const struct rt_ec2_kind *k, struct rt_answer *a, const char *body,
		  size_t len, struct si_err *err)
{
	char root[S_MAX_ROOT];
	struct s_walk w = { .k = k };
	struct qx_list l = { .root = root, .list = k->set, .item = "item", .max = S_MAX_ITEMS };
	int n = snprintf(root, sizeof(root), "%sResponse", k->action);

	if (n < 0 || (size_t)n >= sizeof(root))
		return si_err_set(err, SI_ERR_INTERNAL, "action %s: name too long", k->action);
	s_keep_init(k, a, &w.kp);
	l.token = w.kp.kind != SEARCH_TERM_CHECK ? "nextToken" : NULL;
	return qx_walk(a, body, len, &l, s_item, &w, err);
}

/* ---- helpers for the kinds ----------------------------------------------- */

int rt_ec2_join_addrs(struct res_resource *r, const char *label, int family,
		      struct si_err *err)
{
	struct qx_joined j;

	qx_joined_init(&j);
	for (size_t i = 0; i < r->n_addrs; i++) {
		int v6 = strchr(r->addrs[i], ':') != NULL;

		if ((family == 6) == v6 && qx_joined_add(&j, r->addrs[i]) != 0)
			break;
	}
	return res_add_field(r, label, j.text, err);
}

void rt_ec2_console(const struct res_resource *r, const char *region, const char *console,
		    const char *page, const char *key, char *out, size_t n)
{
	char fragment[S_MAX_ROOT];
	int w = snprintf(fragment, sizeof(fragment), "%s:%s=", page, key);

	if (n > 0)
		out[0] = '\0';
	if (r->id == NULL || w < 0 || (size_t)w >= sizeof(fragment))
		return;
	qx_console_url(out, n, region, console, fragment, r->id, NULL, 0);
}

void rt_ec2_summary(char *out, size_t n, const char *const *parts, size_t k)
{
	size_t used = 0;

	if (n == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < k; i++) {
		int w;

		if (parts[i] == NULL || parts[i][0] == '\0')
			continue;
		w = snprintf(out + used, n - used, "%s%s", used ? ", " : "", parts[i]);
		if (w < 0 || (size_t)w >= n - used)
			return;       /* snprintf cut it; the renderer cuts anyway */
		used += (size_t)w;
	}
}

/* ---- shared by the network types ----------------------------------------- */

/* A block association being or already taken away: "disassociating",
 * "disassociated", "failing", "failed". */
static int s_block_gone(const char *state)
{
	return state != NULL && (SI_HAS_PREFIX(state, "disassociat") ||
				 SI_HAS_PREFIX(state, "fail"));
}

/* Blocks of an association set (item/<elem>, state at item/<state>),
 * except those being or already taken away. */
static int s_blocks(struct res_resource *r, const xmlNode *set, const char *elem,
		    const char *state, struct si_err *err)
{
	size_t n;

	if (qx_count(set, "item", S_MAX_NESTED, elem, &n, err) != 0)
		return -1;
	for (const xmlNode *it = aws_xml_child(set, "item"); it != NULL;
	     it = aws_xml_next(it, "item")) {
		char *b = NULL, *st = NULL;
		int rc = -1;

		if (aws_xml_child_text(it, elem, &b, err) == 0 &&
		    aws_xml_child_text(it, state, &st, err) == 0)
			rc = s_block_gone(st) ? 0 : res_add_addr(r, b, err);
		free(b);
		free(st);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* The relation of a CIDR answer, said in words. */
static const char *s_block_phrase(const struct res_resource *r)
{
	const char *b = res_field(r, "Block");

	if (b == NULL)
		return NULL;
	if (strcmp(b, "equal") == 0)
		return "equals the block searched";
	return strcmp(b, "contains") == 0 ? "contains the block searched"
					  : "inside the block searched";
}

/* ---- security groups ----------------------------------------------------- */

static int s_rule_count(struct res_resource *r, const char *label, const xmlNode *set,
			struct si_err *err)
{
	char buf[24];
	size_t n;

	if (qx_count(set, "item", S_MAX_RULES, "rules", &n, err) != 0)
		return -1;
	snprintf(buf, sizeof(buf), "%zu", n);
	return res_add_field(r, label, buf, err);
}

static int s_sg_fill(struct rt_answer *a, const xmlNode *it, struct res_resource *r,
		     struct si_err *err)
{
	(void)a;
	if (qx_set(&r->arn, it, "securityGroupArn", err) != 0 ||
	    qx_field(r, "Group name", it, "groupName", err) != 0 ||
	    qx_field(r, "VPC", it, "vpcId", err) != 0 ||
	    qx_field(r, "Description", it, "groupDescription", err) != 0 ||
	    s_rule_count(r, "Inbound rules", aws_xml_child(it, "ipPermissions"), err) != 0 ||
	    s_rule_count(r, "Outbound rules", aws_xml_child(it, "ipPermissionsEgress"), err) != 0 ||
	    qx_field(r, "Owner", it, "ownerId", err) != 0)
		return -1;
	return 0;
}

/* Names: the Name tag and the group name (a filter each, see the top). */
static const struct rt_ec2_kind s_sg = {
	.type = &rt_security_group, .action = "DescribeSecurityGroups",
	.set = "securityGroupInfo", .id_elem = "groupId", .id_filter = "group-id",
	.own_name_elem = "groupName", .own_name_filter = "group-name",
	.page_size = S_SG_PAGE, .fill = s_sg_fill,
};

static int s_sg_plan(struct rt_plan *p)
{
	return rt_ec2_plan(&s_sg, p);
}

static int s_sg_answer(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	return rt_ec2_answer(&s_sg, a, body, len, err);
}

static void s_sg_summary(const struct res_resource *r, char *out, size_t n)
{
	char rules[64];
	const char *in = res_field(r, "Inbound rules"), *eg = res_field(r, "Outbound rules");
	const char *parts[2] = { res_field(r, "VPC"), NULL };

	if (in != NULL && eg != NULL &&
	    snprintf(rules, sizeof(rules), "%s inbound, %s outbound rules", in, eg) > 0)
		parts[1] = rules;
	rt_ec2_summary(out, n, parts, 2);
}

static void s_sg_url(const struct res_resource *r, const char *region, char *out, size_t n)
{
	rt_ec2_console(r, region, "ec2", "SecurityGroup", "groupId", out, n);
}

static const char *const s_sg_prefixes[] = { "sg-", NULL };
static const char *const s_sg_arn[] = { "security-group", NULL };
static const char *const s_sg_actions[] = { "ec2:DescribeSecurityGroups", NULL };

const struct rt_type rt_security_group = {
	.name = "security-group",
	.label = "Security group",
	.by = RT_BY_ID | RT_BY_ARN | RT_BY_NAME,
	.id_prefixes = s_sg_prefixes,
	.arn_service = "ec2",
	.arn_types = s_sg_arn,
	.actions = s_sg_actions,
	.plan = s_sg_plan,
	.answer = s_sg_answer,
	.summary = s_sg_summary,
	.console_url = s_sg_url,
};

/* ---- subnets ------------------------------------------------------------- */

static int s_subnet_fill(struct rt_answer *a, const xmlNode *it, struct res_resource *r,
			 struct si_err *err)
{
	(void)a;
	if (qx_set(&r->state, it, "state", err) != 0 ||
	    qx_set(&r->arn, it, "subnetArn", err) != 0 ||
	    qx_field(r, "VPC", it, "vpcId", err) != 0 ||
	    qx_field(r, "AZ", it, "availabilityZone", err) != 0 ||
	    qx_addr(r, it, "cidrBlock", err) != 0 ||
	    s_blocks(r, aws_xml_child(it, "ipv6CidrBlockAssociationSet"), "ipv6CidrBlock",
		     "ipv6CidrBlockState/state", err) != 0 ||
	    rt_ec2_join_addrs(r, "CIDR", 4, err) != 0 ||
	    rt_ec2_join_addrs(r, "IPv6 CIDR", 6, err) != 0 ||
	    qx_field(r, "Free IPs", it, "availableIpAddressCount", err) != 0 ||
	    qx_flag(r, "Default", it, "defaultForAz", err) != 0 ||
	    qx_flag(r, "Public IP on launch", it, "mapPublicIpOnLaunch", err) != 0 ||
	    qx_field(r, "Owner", it, "ownerId", err) != 0)
		return -1;
	return 0;
}

static const struct rt_ec2_kind s_subnet = {
	.type = &rt_subnet, .action = "DescribeSubnets", .set = "subnetSet",
	.id_elem = "subnetId", .id_filter = "subnet-id", .page_size = S_PAGE,
	.fill = s_subnet_fill,
};

static int s_subnet_plan(struct rt_plan *p)
{
	return rt_ec2_plan(&s_subnet, p);
}

static int s_subnet_answer(struct rt_answer *a, const char *body, size_t len,
			   struct si_err *err)
{
	return rt_ec2_answer(&s_subnet, a, body, len, err);
}

static void s_subnet_summary(const struct res_resource *r, char *out, size_t n)
{
	char free_ips[48];
	const char *f = res_field(r, "Free IPs"), *def = res_field(r, "Default");
	const char *parts[5] = { res_field(r, "CIDR"), s_block_phrase(r),
				 res_field(r, "AZ"), NULL,
				 def != NULL && strcmp(def, "yes") == 0 ? "default" : NULL };

	if (f != NULL && snprintf(free_ips, sizeof(free_ips), "%s free IPs", f) > 0)
		parts[3] = free_ips;
	rt_ec2_summary(out, n, parts, 5);
}

static void s_subnet_url(const struct res_resource *r, const char *region, char *out, size_t n)
{
	rt_ec2_console(r, region, "vpcconsole", "SubnetDetails", "subnetId", out, n);
}

static const char *const s_subnet_prefixes[] = { "subnet-", NULL };
static const char *const s_subnet_arn[] = { "subnet", NULL };
static const char *const s_subnet_actions[] = { "ec2:DescribeSubnets", NULL };

const struct rt_type rt_subnet = {
	.name = "subnet",
	.label = "Subnet",
	.by = RT_BY_ID | RT_BY_ARN | RT_BY_NAME | RT_BY_CIDR,
	.id_prefixes = s_subnet_prefixes,
	.arn_service = "ec2",
	.arn_types = s_subnet_arn,
	.actions = s_subnet_actions,
	.plan = s_subnet_plan,
	.answer = s_subnet_answer,
	.summary = s_subnet_summary,
	.console_url = s_subnet_url,
};

/* ---- VPCs ---------------------------------------------------------------- */

static int s_vpc_fill(struct rt_answer *a, const xmlNode *it, struct res_resource *r,
		      struct si_err *err)
{
	(void)a;
	/* The primary block first: it heads the "CIDR" field. */
	if (qx_set(&r->state, it, "state", err) != 0 || qx_addr(r, it, "cidrBlock", err) != 0 ||
	    s_blocks(r, aws_xml_child(it, "cidrBlockAssociationSet"), "cidrBlock",
		     "cidrBlockState/state", err) != 0 ||
	    s_blocks(r, aws_xml_child(it, "ipv6CidrBlockAssociationSet"), "ipv6CidrBlock",
		     "ipv6CidrBlockState/state", err) != 0 ||
	    rt_ec2_join_addrs(r, "CIDR", 4, err) != 0 ||
	    rt_ec2_join_addrs(r, "IPv6 CIDR", 6, err) != 0 ||
	    qx_flag(r, "Default", it, "isDefault", err) != 0 ||
	    qx_field(r, "Tenancy", it, "instanceTenancy", err) != 0 ||
	    qx_field(r, "DHCP options", it, "dhcpOptionsId", err) != 0 ||
	    qx_field(r, "Owner", it, "ownerId", err) != 0)
		return -1;
	return 0;
}

static const struct rt_ec2_kind s_vpc = {
	.type = &rt_vpc, .action = "DescribeVpcs", .set = "vpcSet", .id_elem = "vpcId",
	.id_filter = "vpc-id", .page_size = S_PAGE, .fill = s_vpc_fill,
};

static int s_vpc_plan(struct rt_plan *p)
{
	return rt_ec2_plan(&s_vpc, p);
}

static int s_vpc_answer(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	return rt_ec2_answer(&s_vpc, a, body, len, err);
}

static void s_vpc_summary(const struct res_resource *r, char *out, size_t n)
{
	const char *def = res_field(r, "Default");
	const char *parts[5] = { res_field(r, "CIDR"), res_field(r, "IPv6 CIDR"),
				 s_block_phrase(r), r->state,
				 def != NULL && strcmp(def, "yes") == 0 ? "default VPC" : NULL };

	rt_ec2_summary(out, n, parts, 5);
}

static void s_vpc_url(const struct res_resource *r, const char *region, char *out, size_t n)
{
	rt_ec2_console(r, region, "vpcconsole", "VpcDetails", "VpcId", out, n);
}

static const char *const s_vpc_prefixes[] = { "vpc-", NULL };
static const char *const s_vpc_arn[] = { "vpc", NULL };
static const char *const s_vpc_actions[] = { "ec2:DescribeVpcs", NULL };

const struct rt_type rt_vpc = {
	.name = "vpc",
	.label = "VPC",
	.by = RT_BY_ID | RT_BY_ARN | RT_BY_NAME | RT_BY_CIDR,
	.id_prefixes = s_vpc_prefixes,
	.arn_service = "ec2",
	.arn_types = s_vpc_arn,
	.actions = s_vpc_actions,
	.plan = s_vpc_plan,
	.answer = s_vpc_answer,
	.summary = s_vpc_summary,
	.console_url = s_vpc_url,
};

/* ---- NAT gateways -------------------------------------------------------- */

/* natGatewayAddressSet: every address into addrs, each interface a
 * relation (detail: its private address). */
static int s_nat_addresses(struct res_resource *r, const xmlNode *set, struct si_err *err)
{
	size_t n;

	if (qx_count(set, "item", S_MAX_NESTED, "NAT addresses", &n, err) != 0)
		return -1;
	for (const xmlNode *it = aws_xml_child(set, "item"); it != NULL;
	     it = aws_xml_next(it, "item"))
		if (qx_addr(r, it, "privateIp", err) != 0 || qx_addr(r, it, "publicIp", err) != 0 ||
		    qx_rel(r, "interface", "network-interface", it, "networkInterfaceId",
			   "privateIp", err) != 0)
			return -1;
	return 0;
}

static int s_nat_fill(struct rt_answer *a, const xmlNode *it, struct res_resource *r,
		      struct si_err *err)
{
	const xmlNode *addrs = aws_xml_child(it, "natGatewayAddressSet");

	(void)a;
	if (qx_set(&r->state, it, "state", err) != 0 ||
	    qx_set(&r->created, it, "createTime", err) != 0 ||
	    qx_field(r, "Connectivity", it, "connectivityType", err) != 0 ||
	    qx_field(r, "Subnet", it, "subnetId", err) != 0 ||
	    qx_field(r, "VPC", it, "vpcId", err) != 0 ||
	    s_nat_addresses(r, addrs, err) != 0 ||
	    qx_join(r, "Public IP", addrs, "item", "publicIp", S_MAX_NESTED, err) != 0 ||
	    qx_join(r, "Private IP", addrs, "item", "privateIp", S_MAX_NESTED, err) != 0 ||
	    qx_join(r, "Allocation", addrs, "item", "allocationId", S_MAX_NESTED, err) != 0 ||
	    qx_field(r, "Failure", it, "failureMessage", err) != 0)
		return -1;
	return 0;
}

static const struct rt_ec2_kind s_nat = {
	.type = &rt_nat_gateway, .action = "DescribeNatGateways", .set = "natGatewaySet",
	.id_elem = "natGatewayId", .id_filter = "nat-gateway-id", .page_size = S_PAGE,
	.fill = s_nat_fill,
};

static int s_nat_plan(struct rt_plan *p)
{
	return rt_ec2_plan(&s_nat, p);
}

static int s_nat_answer(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	return rt_ec2_answer(&s_nat, a, body, len, err);
}

static void s_nat_summary(const struct res_resource *r, char *out, size_t n)
{
	const char *pub = res_field(r, "Public IP");
	const char *parts[4] = { res_field(r, "Connectivity"), r->state,
				 pub != NULL ? pub : res_field(r, "Private IP"),
				 res_field(r, "Subnet") };

	rt_ec2_summary(out, n, parts, 4);
}

static void s_nat_url(const struct res_resource *r, const char *region, char *out, size_t n)
{
	rt_ec2_console(r, region, "vpcconsole", "NatGatewayDetails", "natGatewayId", out, n);
}

static const char *const s_nat_prefixes[] = { "nat-", NULL };
static const char *const s_nat_arn[] = { "natgateway", NULL };
static const char *const s_nat_actions[] = { "ec2:DescribeNatGateways", NULL };

const struct rt_type rt_nat_gateway = {
	.name = "nat-gateway",
	.label = "NAT gateway",
	.by = RT_BY_ID | RT_BY_ARN | RT_BY_NAME,
	.id_prefixes = s_nat_prefixes,
	.arn_service = "ec2",
	.arn_types = s_nat_arn,
	.actions = s_nat_actions,
	.plan = s_nat_plan,
	.answer = s_nat_answer,
	.summary = s_nat_summary,
	.console_url = s_nat_url,
};

/* ---- internet gateways --------------------------------------------------- */

/* Attachments become "attached to" relations to VPCs. An internet
 * gateway has no state of its own; the console says "Attached" when an
 * attachment is "available" (what DescribeInternetGateways reports for
 * an attached gateway) or "attached". */
static int s_igw_fill(struct rt_answer *a, const xmlNode *it, struct res_resource *r,
		      struct si_err *err)
{
	int attached = 0;

	(void)a;
	if (qx_field(r, "Owner", it, "ownerId", err) != 0 ||
	    qx_rels(r, "attached to", "vpc", aws_xml_child(it, "attachmentSet"), "item", "vpcId",
		    "state", S_MAX_NESTED, err) != 0)
		return -1;
	for (size_t i = 0; i < r->n_rels; i++)
		if (r->rels[i].detail != NULL && (strcmp(r->rels[i].detail, "available") == 0 ||
						  strcmp(r->rels[i].detail, "attached") == 0))
			attached = 1;
	return res_set(&r->state, attached ? "attached" : "detached", err);
}

static const struct rt_ec2_kind s_igw = {
	.type = &rt_internet_gateway, .action = "DescribeInternetGateways",
	.set = "internetGatewaySet", .id_elem = "internetGatewayId",
	.id_filter = "internet-gateway-id", .page_size = S_PAGE, .fill = s_igw_fill,
};

static int s_igw_plan(struct rt_plan *p)
{
	return rt_ec2_plan(&s_igw, p);
}

static int s_igw_answer(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	return rt_ec2_answer(&s_igw, a, body, len, err);
}

static void s_igw_summary(const struct res_resource *r, char *out, size_t n)
{
	const char *parts[2] = { r->state, r->n_rels > 0 ? r->rels[0].id : NULL };

	rt_ec2_summary(out, n, parts, 2);
}

static void s_igw_url(const struct res_resource *r, const char *region, char *out, size_t n)
{
	rt_ec2_console(r, region, "vpcconsole", "InternetGateway", "internetGatewayId", out, n);
}

static const char *const s_igw_prefixes[] = { "igw-", NULL };
static const char *const s_igw_arn[] = { "internet-gateway", NULL };
static const char *const s_igw_actions[] = { "ec2:DescribeInternetGateways", NULL };

const struct rt_type rt_internet_gateway = {
	.name = "internet-gateway",
	.label = "Internet gateway",
	.by = RT_BY_ID | RT_BY_ARN | RT_BY_NAME,
	.id_prefixes = s_igw_prefixes,
	.arn_service = "ec2",
	.arn_types = s_igw_arn,
	.actions = s_igw_actions,
	.plan = s_igw_plan,
	.answer = s_igw_answer,
	.summary = s_igw_summary,
	.console_url = s_igw_url,
};

/* ---- VPC endpoints ------------------------------------------------------- */

/* groupSet/item/{groupId,groupName}: relations named by the group. */
static int s_vpce_groups(struct res_resource *r, const xmlNode *set, struct si_err *err)
{
	size_t n;

	if (qx_count(set, "item", S_MAX_NESTED, "security groups", &n, err) != 0)
		return -1;
	for (const xmlNode *it = aws_xml_child(set, "item"); it != NULL;
	     it = aws_xml_next(it, "item")) {
		size_t before = r->n_rels;

		if (qx_rel(r, "security group", "security-group", it, "groupId", NULL, err) != 0)
			return -1;
		if (r->n_rels > before &&
		    qx_set(&r->rels[before].name, it, "groupName", err) != 0)
			return -1;
	}
	return 0;
}

/* The policy document is left out: raw JSON, long, and not what an
 * on-call engineer asks an endpoint for. */
static int s_vpce_fill(struct rt_answer *a, const xmlNode *it, struct res_resource *r,
		       struct si_err *err)
{
	(void)a;
	if (qx_set(&r->state, it, "state", err) != 0 ||
	    qx_set(&r->created, it, "creationTimestamp", err) != 0 ||
	    qx_field(r, "Service", it, "serviceName", err) != 0 ||
	    qx_field(r, "Type", it, "vpcEndpointType", err) != 0 ||
	    qx_field(r, "VPC", it, "vpcId", err) != 0 ||
	    qx_flag(r, "Private DNS", it, "privateDnsEnabled", err) != 0 ||
	    qx_field(r, "Owner", it, "ownerId", err) != 0 ||
	    qx_dns_all(r, aws_xml_child(it, "dnsEntrySet"), "item", "dnsName", RES_MAX_DNS,
		       err) != 0 ||
	    qx_rels(r, "subnet", "subnet", aws_xml_child(it, "subnetIdSet"), "item", NULL, NULL,
		    S_MAX_NESTED, err) != 0 ||
	    qx_rels(r, "interface", "network-interface", aws_xml_child(it, "networkInterfaceIdSet"),
		    "item", NULL, NULL, S_MAX_NESTED, err) != 0 ||
	    qx_rels(r, "route table", NULL, aws_xml_child(it, "routeTableIdSet"), "item", NULL,
		    NULL, S_MAX_NESTED, err) != 0 ||
	    s_vpce_groups(r, aws_xml_child(it, "groupSet"), err) != 0)
		return -1;
	return 0;
}

static const char *const s_vpce_dns_suffixes[] = {
	".vpce.amazonaws.com", ".vpce.amazonaws.com.cn", NULL
};

/* Where host's endpoint suffix starts (0: not an endpoint name). */
static size_t s_vpce_suffix_at(const char *host, size_t hl)
{
	for (size_t k = 0; s_vpce_dns_suffixes[k] != NULL; k++) {
		size_t sl = strlen(s_vpce_dns_suffixes[k]);

		if (hl > sl && strcmp(host + hl - sl, s_vpce_dns_suffixes[k]) == 0)
			return hl - sl;
	}
	return 0;
}

/*
 * An endpoint's DNS names hold its id as a label and end with its region:
 * "vpce-0f89a33420c1931d7-bluzidnv[-us-east-1b].elasticloadbalancing
 * .us-east-1.vpce.amazonaws.com", or for S3 "bucket.vpce-1a2b3c4d-5e6f.s3
 * .us-east-1.vpce.amazonaws.com". So a CNAME chain that lands on one is
 * answered by one id lookup in that region. Endpoint service names
 * ("vpce-svc-…") are not endpoints and are not ours.
 */
static int s_vpce_host_id(const char *host, const char *region, char *out, size_t n)
{
	size_t hl = strlen(host), end = s_vpce_suffix_at(host, hl), r0 = end;

	if (end == 0)
		return -1;
	while (r0 > 0 && host[r0 - 1] != '.')
		r0--;           /* the region: the label before the suffix */
	if (region != NULL && r0 > 0 &&
	    (strlen(region) != end - r0 || strncmp(host + r0, region, end - r0) != 0))
		return -1;
	for (const char *lab = host; lab != NULL && lab < host + end;) {
		const char *hex = SI_AFTER_PREFIX(lab, "vpce-");
		size_t i = 0, len;

		while (hex != NULL && si_hexval(hex[i]) >= 0)
			i++;
		if (i > 0 && (hex[i] == '-' || hex[i] == '.')) {
			len = (size_t)(hex + i - lab);
			if (len >= n)
				return -1;
			memcpy(out, lab, len);
			out[len] = '\0';
			return 0;
		}
		lab = strchr(lab, '.');
		lab = lab != NULL ? lab + 1 : NULL;
	}
	return -1;
}

static const struct rt_ec2_kind s_vpce = {
	.type = &rt_vpc_endpoint, .action = "DescribeVpcEndpoints", .set = "vpcEndpointSet",
	.id_elem = "vpcEndpointId", .id_filter = "vpc-endpoint-id", .page_size = S_PAGE,
	.fill = s_vpce_fill, .host_id = s_vpce_host_id,
};

static int s_vpce_plan(struct rt_plan *p)
{
	return rt_ec2_plan(&s_vpce, p);
}

static int s_vpce_answer(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	return rt_ec2_answer(&s_vpce, a, body, len, err);
}

static void s_vpce_summary(const struct res_resource *r, char *out, size_t n)
{
	const char *parts[3] = { res_field(r, "Type"), res_field(r, "Service"), r->state };

	rt_ec2_summary(out, n, parts, 3);
}

static void s_vpce_url(const struct res_resource *r, const char *region, char *out, size_t n)
{
	rt_ec2_console(r, region, "vpcconsole", "EndpointDetails", "vpcEndpointId", out, n);
}

static const char *const s_vpce_prefixes[] = { "vpce-", NULL };
static const char *const s_vpce_arn[] = { "vpc-endpoint", NULL };
static const char *const s_vpce_actions[] = { "ec2:DescribeVpcEndpoints", NULL };

const struct rt_type rt_vpc_endpoint = {
	.name = "vpc-endpoint",
	.label = "VPC endpoint",
	.by = RT_BY_ID | RT_BY_ARN | RT_BY_NAME | RT_BY_HOST,
	.id_prefixes = s_vpce_prefixes,
	.arn_service = "ec2",
	.arn_types = s_vpce_arn,
	.dns_suffixes = s_vpce_dns_suffixes,
	.actions = s_vpce_actions,
	.plan = s_vpce_plan,
	.answer = s_vpce_answer,
	.summary = s_vpce_summary,
	.console_url = s_vpce_url,
};

/* ---- transit gateways ---------------------------------------------------- */

static int s_tgw_fill(struct rt_answer *a, const xmlNode *it, struct res_resource *r,
		      struct si_err *err)
{
	(void)a;
	if (qx_set(&r->state, it, "state", err) != 0 ||
	    qx_set(&r->created, it, "creationTime", err) != 0 ||
	    qx_set(&r->arn, it, "transitGatewayArn", err) != 0 ||
	    qx_field(r, "Description", it, "description", err) != 0 ||
	    qx_field(r, "ASN", it, "options/amazonSideAsn", err) != 0 ||
	    qx_field(r, "Owner", it, "ownerId", err) != 0)
		return -1;
	return 0;
}

static const struct rt_ec2_kind s_tgw = {
	.type = &rt_transit_gateway, .action = "DescribeTransitGateways",
	.set = "transitGatewaySet", .id_elem = "transitGatewayId",
	.id_filter = "transit-gateway-id", .page_size = S_PAGE, .fill = s_tgw_fill,
};

static int s_tgw_plan(struct rt_plan *p)
{
	return rt_ec2_plan(&s_tgw, p);
}

static int s_tgw_answer(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	return rt_ec2_answer(&s_tgw, a, body, len, err);
}

static void s_tgw_summary(const struct res_resource *r, char *out, size_t n)
{
	char asn[48];
	const char *a = res_field(r, "ASN");
	const char *parts[3] = { r->state, NULL, res_field(r, "Description") };

	if (a != NULL && snprintf(asn, sizeof(asn), "ASN %s", a) > 0)
		parts[1] = asn;
	rt_ec2_summary(out, n, parts, 3);
}

static void s_tgw_url(const struct res_resource *r, const char *region, char *out, size_t n)
{
	rt_ec2_console(r, region, "vpcconsole", "TransitGatewayDetails", "transitGatewayId", out,
		       n);
}

static const char *const s_tgw_prefixes[] = { "tgw-", NULL };
static const char *const s_tgw_arn[] = { "transit-gateway", NULL };
static const char *const s_tgw_actions[] = { "ec2:DescribeTransitGateways", NULL };

const struct rt_type rt_transit_gateway = {
	.name = "transit-gateway",
	.label = "Transit gateway",
	.by = RT_BY_ID | RT_BY_ARN | RT_BY_NAME,
	.id_prefixes = s_tgw_prefixes,
	.arn_service = "ec2",
	.arn_types = s_tgw_arn,
	.actions = s_tgw_actions,
	.plan = s_tgw_plan,
	.answer = s_tgw_answer,
	.summary = s_tgw_summary,
	.console_url = s_tgw_url,
};
