/*
 * rt_elb.c - load balancers: ALB, NLB and GWLB (Elastic Load Balancing v2,
 * API 2015-12-01) and classic ELBs (2012-06-01), by ARN, DNS name and name.
 *
 * Both APIs share one endpoint and signing name and are told apart by
 * Version=. A load balancer found is completed by follow-up calls in its
 * account and region (rq.parent = its index):
 *   v2:      DescribeListeners (the "Listeners" field) and
 *            DescribeTargetGroups (one "target group" relation each); for
 *            each group DescribeTargetHealth (one "target" relation per
 *            target, its health in the detail); then ec2 DescribeInstances
 *            for the Name tags of instance targets;
 *   classic: DescribeInstanceHealth (the state of each registered
 *            instance) and DescribeInstances for their names.
 * A listing (SEARCH_TERM_LIST, the inventory crawler) is each API's
 * DescribeLoadBalancers, paged, everything kept, and none of these
 * follow-ups: what the inventory indexes (name, ARN, DNS name, addresses,
 * VPC, subnets, security groups; a classic ELB's listeners and registered
 * instances) is all in the listing; instance names are the instance
 * listing's; listeners, target groups and target health would cost two
 * calls per load balancer and one per group, where the rest of a crawl
 * costs one per type and page, and health is the moment's state, which
 * the live lookup of a load balancer the index names still shows whole.
 *
 * DNS names. A classic ELB and an ALB have names of one shape
 * (name-123.<region>.elb.amazonaws.com), so a DNS name cannot choose the
 * API; the classifier pins one type per suffix, so rt_elbv2 owns the
 * suffixes and its plan lists the classic load balancers too, except for
 * NLB-shaped names (name-hash.elb.<region>.amazonaws.com), which only v2
 * has. One answer function serves both types (the step names the parser),
 * so the classic listing asked for by rt_elbv2 still makes classic
 * resources. Giving classic the same suffixes would not work: the
 * classifier (rt_by_dns) names one type per host.
 */
#include "search/private/qxml.h"
#include "search/private/types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/xml.h"
#include "util/buf.h"
#include "util/strutil.h"

#define S_SERVICE "elasticloadbalancing"
#define S_V2 "2015-12-01"
#define S_CLB "2012-06-01"
#define S_EC2_VERSION "2016-11-15"

/* The PageSize we ask for: the most DescribeLoadBalancers (both APIs),
 * DescribeListeners and DescribeTargetGroups return in one page, so a
 * region takes the fewest round trips. A page holding more is refused. */
#define S_PAGE_SIZE "400"
#define S_MAX_PAGE 400
/* Targets per target group: AWS's quota is 1,000 (ELB quotas page), and
 * DescribeTargetHealth is not paged. */
#define S_MAX_TARGETS 1000
/* Instances registered with one classic ELB: no documented quota; the
 * relations of one resource stop at RES_MAX_RELS anyway. */
#define S_MAX_INSTANCES RES_MAX_RELS
/* Zones, subnets, security groups, addresses per zone of one load
 * balancer: a region has a few dozen zones; 5 security groups at most. */
#define S_MAX_LIST 64
/* Longest field value built from a list (listeners, zones). */
#define S_MAX_FIELD ((size_t)4096)
/* Instance ids per DescribeInstances: EC2 takes 200 values per filter;
 * 150 keeps a margin and a request well under RT_MAX_PARAMS. */
#define S_NAME_CHUNK 150
/* An ARN we build: arn:<partition>:elasticloadbalancing:<region>:<12
 * digits>:<resource>; names are at most 32 characters. */
#define S_MAX_ARN 256

enum s_step {
	S_V2_LBS = 1,      /* DescribeLoadBalancers 2015-12-01 */
	S_V2_LISTENERS,    /* DescribeListeners */
	S_V2_GROUPS,       /* DescribeTargetGroups */
	S_V2_HEALTH,       /* DescribeTargetHealth of an instance group */
	S_V2_HEALTH_IP,    /* ... of an ip or lambda group */
	S_V2_HEALTH_ALB,   /* ... of an alb group: the targets are ALBs */
	S_CLB_LBS,         /* DescribeLoadBalancers 2012-06-01 */
	S_CLB_HEALTH,      /* DescribeInstanceHealth */
	S_NAMES            /* ec2 DescribeInstances: instance targets' names */
};

/* ---- requests -------------------------------------------------------- */

static int s_plan(struct rt_plan *p, const char *action, const char *version,
		  const struct aws_query_param *q, size_t n, int step)
{
	const struct rt_request rq = {
		.service = S_SERVICE, .proto = AWS_PROTO_QUERY, .action = action,
		.version = version, .params = q, .n_params = n,
		.page_param = "Marker", .step = step, .parent = RT_NO_PARENT,
	};

	return rt_plan_request(p, &rq);
}

static int s_follow(struct rt_answer *a, const char *action, const char *version,
		    const struct aws_query_param *q, size_t n, int step, size_t parent,
		    struct si_err *err)
{
	const struct rt_request rq = {
		.service = step == S_NAMES ? "ec2" : S_SERVICE, .proto = AWS_PROTO_QUERY,
		.action = action, .version = version, .params = q, .n_params = n,
		.page_param = step == S_NAMES ? NULL : "Marker", .step = step,
		.parent = parent,
	};

	if (rt_follow(a, &rq) != 0)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return 0;
}

/* The partition of region, for the ARNs we write ourselves. */
static const char *s_partition(const char *region)
{
	if (SI_HAS_PREFIX(region, "cn-"))
		return "aws-cn";
	if (SI_HAS_PREFIX(region, "us-gov-"))
		return "aws-us-gov";
	if (SI_HAS_PREFIX(region, "us-isob-"))
		return "aws-iso-b";
	if (SI_HAS_PREFIX(region, "us-iso-"))
		return "aws-iso";
	return "aws";
}

/* arn:<partition>:elasticloadbalancing:<region>:<account>:<resource>, or
 * -1 when it does not fit. */
static int s_arn(const char *region, const char *account, const char *resource, char *out,
		 size_t n)
{
	int k = snprintf(out, n, "arn:%s:%s:%s:%s:%s", s_partition(region), S_SERVICE, region,
			 account, resource);

	return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* --check-config: one call of each action a search makes. Calls that need
 * a load balancer or target group name one that does not exist: "not
 * found" proves the right to ask as well as an answer does. */
static int s_v2_check(struct rt_plan *p)
{
	const char *acct = p->account_id[0] != '\0' ? p->account_id : "000000000000";
	char lb[S_MAX_ARN], tg[S_MAX_ARN];
	const struct aws_query_param one[] = { { "PageSize", "1" } };
	const struct aws_query_param lq[] = { { "LoadBalancerArn", lb } };
	const struct aws_query_param tq[] = { { "TargetGroupArn", tg } };
	const struct aws_query_param iq[] = { { "MaxResults", "5" } };
	const struct rt_request ec2 = {
		.service = "ec2", .proto = AWS_PROTO_QUERY, .action = "DescribeInstances",
		.version = S_EC2_VERSION, .params = iq, .n_params = 1, .step = S_NAMES,
		.parent = RT_NO_PARENT,
	};

	if (s_arn(p->region, acct, "loadbalancer/app/slash-infra-check/0000000000000000", lb,
		  sizeof(lb)) != 0 ||
	    s_arn(p->region, acct, "targetgroup/slash-infra-check/0000000000000000", tg,
		  sizeof(tg)) != 0)
		return 0;
	if (s_plan(p, "DescribeLoadBalancers", S_V2, one, 1, S_V2_LBS) != 0 ||
	    s_plan(p, "DescribeListeners", S_V2, lq, 1, S_V2_LISTENERS) != 0 ||
	    s_plan(p, "DescribeTargetGroups", S_V2, one, 1, S_V2_GROUPS) != 0 ||
	    s_plan(p, "DescribeTargetHealth", S_V2, tq, 1, S_V2_HEALTH) != 0)
		return -1;
	return rt_plan_request(p, &ec2);
}

/* An NLB's name (name-hash.elb.<region>.amazonaws.com): ".elb." is not
 * followed by the domain, as it is in ALB and classic names. */
static int s_nlb_host(const char *host)
{
	const char *e = strstr(host, ".elb.");

	if (e == NULL)
		return 0;
	e += SI_LITLEN(".elb.");
	return strcmp(e, "amazonaws.com") != 0 && strcmp(e, "amazonaws.com.cn") != 0;
}

static int s_v2_plan(struct rt_plan *p)
{
	const struct search_term *t = p->term;
	const struct aws_query_param list[] = { { "PageSize", S_PAGE_SIZE } };
	const struct aws_query_param arn[] = { { "LoadBalancerArns.member.1", t->value } };

	if (!qx_in_target(p->term, p->region, p->account_id))
		return 0;
	switch (t->kind) {
	case SEARCH_TERM_ARN:
		if (t->type != &rt_elbv2 || t->value == NULL)
			return 0;
		return s_plan(p, "DescribeLoadBalancers", S_V2, arn, 1, S_V2_LBS);
	case SEARCH_TERM_HOST:
		if (s_plan(p, "DescribeLoadBalancers", S_V2, list, 1, S_V2_LBS) != 0)
			return -1;
		if (s_nlb_host(t->value))
			return 0;
		return s_plan(p, "DescribeLoadBalancers", S_CLB, list, 1, S_CLB_LBS);
	case SEARCH_TERM_NAME:
		return s_plan(p, "DescribeLoadBalancers", S_V2, list, 1, S_V2_LBS);
	case SEARCH_TERM_CHECK:
		return s_v2_check(p);
	case SEARCH_TERM_LIST:
		if (t->type != NULL && t->type != &rt_elbv2)
			return 0;
		return s_plan(p, "DescribeLoadBalancers", S_V2, list, 1, S_V2_LBS);
	default:
		return 0;
	}
}

static int s_clb_plan(struct rt_plan *p)
{
	const struct search_term *t = p->term;
	const struct aws_query_param list[] = { { "PageSize", S_PAGE_SIZE } };
	const struct aws_query_param one[] = { { "PageSize", "1" } };
	const struct aws_query_param name[] = { { "LoadBalancerNames.member.1", t->resource } };
	const struct aws_query_param health[] = { { "LoadBalancerName", "slash-infra-check" } };

	if (!qx_in_target(p->term, p->region, p->account_id))
		return 0;
	switch (t->kind) {
	case SEARCH_TERM_ARN:
		if (t->type != &rt_elb_classic || t->resource == NULL || t->resource[0] == '\0')
			return 0;
		return s_plan(p, "DescribeLoadBalancers", S_CLB, name, 1, S_CLB_LBS);
	case SEARCH_TERM_NAME:
		return s_plan(p, "DescribeLoadBalancers", S_CLB, list, 1, S_CLB_LBS);
	case SEARCH_TERM_CHECK:
		if (s_plan(p, "DescribeLoadBalancers", S_CLB, one, 1, S_CLB_LBS) != 0)
			return -1;
		return s_plan(p, "DescribeInstanceHealth", S_CLB, health, 1, S_CLB_HEALTH);
	case SEARCH_TERM_LIST:
		if (t->type != NULL && t->type != &rt_elb_classic)
			return 0;
		return s_plan(p, "DescribeLoadBalancers", S_CLB, list, 1, S_CLB_LBS);
	default:
		return 0;
	}
}

/* ---- reading answers --------------------------------------------------- */

/* Whether the load balancer called name with DNS name dns is what the
 * term asks for. An ARN or name lookup asked AWS for exactly this one; a
 * listing wants them all. Route 53 aliases point at "dualstack.<DNS
 * name>". */
static int s_keep(const struct search_term *t, char *name, const char *dns)
{
	const struct res_resource probe = { .name = name };
	const char *h = t->value;

	switch (t->kind) {
	case SEARCH_TERM_ARN:
	case SEARCH_TERM_LIST:
		return 1;
	case SEARCH_TERM_NAME:
		return res_name_matches(&probe, t->name_lc);
	case SEARCH_TERM_HOST:
		if (h == NULL || dns == NULL)
			return 0;
		if (SI_HAS_PREFIX_CI(h, "dualstack."))
			h += SI_LITLEN("dualstack.");
		return strcasecmp(h, dns) == 0;
	default:
		return 0;
	}
}

/* The "Listeners" field of r gains more (later pages add to it). */
static int s_add_listeners(struct res_resource *r, const char *more, struct si_err *err)
{
	struct si_buf b;
	int rc;

	for (size_t i = 0; i < r->n_fields; i++) {
		if (strcmp(r->fields[i].key, "Listeners") != 0)
			continue;
		si_buf_init(&b, S_MAX_FIELD);
		rc = si_buf_printf(&b, err, "%s, %s", r->fields[i].value, more);
		if (rc == 0)
			rc = res_set(&r->fields[i].value, b.data, err);
		si_buf_free(&b, 0);
		return rc;
	}
	return res_add_field(r, "Listeners", more, err);
}

/* "HTTPS:443" (or "HTTPS:443 → HTTP:8080" for a classic listener whose
 * instance side differs) appended to b. */
static int s_listener(struct si_buf *b, const xmlNode *l, const char *port_name,
		      struct si_err *err)
{
	char *proto = NULL, *port = NULL, *iproto = NULL, *iport = NULL;
	int rc = -1;

	if (aws_xml_child_text(l, "Protocol", &proto, err) != 0 ||
	    aws_xml_child_text(l, port_name, &port, err) != 0 ||
	    aws_xml_child_text(l, "InstanceProtocol", &iproto, err) != 0 ||
	    aws_xml_child_text(l, "InstancePort", &iport, err) != 0)
		goto out;
	rc = 0;
	if (proto == NULL && port == NULL)
		goto out;
	rc = si_buf_printf(b, err, "%s%s%s%s", b->len ? ", " : "", proto ? proto : "",
			   proto && port ? ":" : "", port ? port : "");
	if (rc == 0 && iport != NULL &&
	    (strcmp(iport, port ? port : "") != 0 ||
	     (iproto != NULL && strcmp(iproto, proto ? proto : "") != 0)))
		rc = si_buf_printf(b, err, " → %s%s%s", iproto ? iproto : "", iproto ? ":" : "",
				   iport);
out:
	free(proto);
	free(port);
	free(iproto);
	free(iport);
	return rc;
}

/* Every DNS name, address, zone and subnet of one v2 load balancer's
 * AvailabilityZones (NLBs hold static and private addresses there). */
static int s_v2_zones(struct res_resource *r, const xmlNode *lb, struct si_err *err)
{
	static const char *const addr_names[] = { "IpAddress", "PrivateIPv4Address",
						  "IPv6Address" };
	const xmlNode *azs = aws_xml_child(lb, "AvailabilityZones");
	size_t n;

	if (qx_join(r, "Zones", azs, "member", "ZoneName", S_MAX_LIST, err) != 0 ||
	    qx_join(r, "Subnets", azs, "member", "SubnetId", S_MAX_LIST, err) != 0)
		return -1;
	for (const xmlNode *z = aws_xml_child(azs, "member"); z != NULL;
	     z = aws_xml_next(z, "member")) {
		const xmlNode *addrs = aws_xml_child(z, "LoadBalancerAddresses");

		if (qx_count(addrs, "member", S_MAX_LIST, NULL, &n, err) != 0)
			return -1;
		for (const xmlNode *m = aws_xml_child(addrs, "member"); m != NULL;
		     m = aws_xml_next(m, "member"))
			for (size_t k = 0; k < sizeof(addr_names) / sizeof(addr_names[0]); k++)
				if (qx_addr(r, m, addr_names[k], err) != 0)
					return -1;
	}
	return 0;
}

/* ---- v2 ------------------------------------------------------------------ */

/* A load balancer's id is its name (what a user pastes); the ARN is
 * beside it. */
static const struct qx_ident s_v2_ident = {
	"LoadBalancerName", "LoadBalancerName", "LoadBalancerArn", "State/Code", "CreatedTime"
};

/* One <member> of a v2 DescribeLoadBalancers answer: the card when the
 * term wants it, then (but for a listing) its listeners and target
 * groups asked for. Why the
 * keep test comes first: a listing (name, DNS) holds every load balancer
 * of the region, and only the ones kept become resources. */
static int s_v2_lb(struct rt_answer *a, const xmlNode *m, void *ctx, struct si_err *err)
{
	struct res_resource *r;
	char *name = NULL, *dns = NULL;
	size_t idx;
	int rc = -1;

	(void)ctx;
	if (aws_xml_child_text(m, "LoadBalancerName", &name, err) != 0 ||
	    aws_xml_child_text(m, "DNSName", &dns, err) != 0)
		goto out;
	rc = 0;
	if (!s_keep(a->term, name, dns))
		goto out;
	r = rt_new_resource(a, &rt_elbv2, &idx);
	if (r == NULL)
		goto out;   /* the search holds all it may: stop adding */
	rc = -1;
	if (qx_ident(r, m, &s_v2_ident, err) != 0 ||
	    qx_field(r, "Scheme", m, "Scheme", err) != 0 ||
	    qx_field(r, "Type", m, "Type", err) != 0 ||
	    qx_field(r, "State reason", m, "State/Reason", err) != 0 ||
	    qx_field(r, "VPC", m, "VpcId", err) != 0 ||
	    res_add_field(r, "DNS name", dns, err) != 0 || res_add_dns(r, dns, err) != 0 ||
	    qx_field(r, "IP addresses", m, "IpAddressType", err) != 0 ||
	    qx_join(r, "Security groups", aws_xml_child(m, "SecurityGroups"), "member", NULL,
		    S_MAX_LIST, err) != 0 ||
	    s_v2_zones(r, m, err) != 0)
		goto out;
	if (r->arn != NULL && a->term->kind != SEARCH_TERM_LIST) {
		const struct aws_query_param q[] = { { "LoadBalancerArn", r->arn },
						     { "PageSize", S_PAGE_SIZE } };

		if (s_follow(a, "DescribeListeners", S_V2, q, 2, S_V2_LISTENERS, idx, err) != 0 ||
		    s_follow(a, "DescribeTargetGroups", S_V2, q, 2, S_V2_GROUPS, idx, err) != 0)
			goto out;
	}
	rc = 0;
out:
	free(name);
	free(dns);
	return rc;
}

static int s_v2_listener(struct rt_answer *a, const xmlNode *m, void *ctx, struct si_err *err)
{
	(void)a;
	return s_listener(ctx, m, "Port", err);
}

/* One target group: a relation of its load balancer (what later answers
 * read its name and port from), and its targets' health asked for. The
 * step carries the target type, which the health answer does not. */
static int s_v2_group(struct rt_answer *a, const xmlNode *m, void *ctx, struct si_err *err)
{
	struct res_resource *r = ctx;
	char *arn = NULL, *name = NULL, *type = NULL;
	struct si_buf b;
	int step, rc = -1;

	si_buf_init(&b, S_MAX_FIELD);
	if (aws_xml_child_text(m, "TargetGroupArn", &arn, err) != 0 ||
	    aws_xml_child_text(m, "TargetGroupName", &name, err) != 0 ||
	    aws_xml_child_text(m, "TargetType", &type, err) != 0 ||
	    s_listener(&b, m, "Port", err) != 0)
		goto out;
	rc = 0;
	if (arn == NULL)
		goto out;
	rc = -1;
	if (res_add_rel(r, "target group", NULL, arn, b.len ? b.data : NULL, err) != 0 ||
	    res_set(&r->rels[r->n_rels - 1].name, name, err) != 0)
		goto out;
	step = type == NULL || strcmp(type, "instance") == 0 ? S_V2_HEALTH
	       : strcmp(type, "alb") == 0                    ? S_V2_HEALTH_ALB
							     : S_V2_HEALTH_IP;
	{
		const struct aws_query_param q[] = { { "TargetGroupArn", arn } };

		rc = s_follow(a, "DescribeTargetHealth", S_V2, q, 1, step, a->parent, err);
	}
out:
	si_buf_free(&b, 0);
	free(arn);
	free(name);
	free(type);
	return rc;
}

/* What one health answer adds to: the load balancer, and the target group
 * the request named (its relation gives the name shown with each
 * target). */
struct s_health {
	struct res_resource *r;
	const char *group;       /* target group name, or NULL */
	const char *rel_type;    /* registry type of the targets, or NULL */
};

/* 1 when rel i of r is an instance whose name is still to be asked for
 * and no earlier rel (from on) asks for the same instance. */
static int s_unnamed_instance(const struct res_resource *r, size_t from, size_t i)
{
	const struct res_rel *x = &r->rels[i];

	if (x->type == NULL || strcmp(x->type, "instance") != 0 || x->name != NULL)
		return 0;
	for (size_t k = from; k < i; k++)
		if (r->rels[k].type != NULL && strcmp(r->rels[k].type, "instance") == 0 &&
		    strcmp(r->rels[k].id, x->id) == 0)
			return 0;
	return 1;
}

/* Ask EC2 for the Name tags of r's instance relations from rel `from`
 * on: one DescribeInstances per S_NAME_CHUNK instances, by the
 * instance-id filter, which leaves out an instance that no longer exists
 * where InstanceId.N would fail the whole call
 * (InvalidInstanceID.NotFound). */
static int s_follow_names(struct rt_answer *a, const struct res_resource *r, size_t from,
			  size_t parent, struct si_err *err)
{
	struct aws_query_param q[1 + S_NAME_CHUNK];
	char keys[S_NAME_CHUNK][sizeof("Filter.1.Value.") + 8];
	size_t n = 0;

	q[0] = (struct aws_query_param){ "Filter.1.Name", "instance-id" };
	for (size_t i = from; i < r->n_rels; i++) {
		if (!s_unnamed_instance(r, from, i))
			continue;
		snprintf(keys[n], sizeof(keys[n]), "Filter.1.Value.%zu", n + 1);
		q[1 + n] = (struct aws_query_param){ keys[n], r->rels[i].id };
		if (++n < S_NAME_CHUNK)
			continue;
		if (s_follow(a, "DescribeInstances", S_EC2_VERSION, q, 1 + n, S_NAMES, parent,
			     err) != 0)
			return -1;
		n = 0;
	}
	if (n == 0)
		return 0;
	return s_follow(a, "DescribeInstances", S_EC2_VERSION, q, 1 + n, S_NAMES, parent, err);
}

/* One TargetHealthDescriptions member: a "target" relation, its detail
 * "unhealthy (Target.ResponseCodeMismatch) · my-targets:80". */
static int s_v2_target(struct rt_answer *a, const xmlNode *m, void *ctx, struct si_err *err)
{
	const struct s_health *h = ctx;
	char *id = NULL, *port = NULL, *state = NULL, *reason = NULL;
	struct si_buf b;
	int rc = -1;

	(void)a;
	si_buf_init(&b, S_MAX_FIELD);
	if (aws_xml_child_text(m, "Target/Id", &id, err) != 0 ||
	    aws_xml_child_text(m, "Target/Port", &port, err) != 0 ||
	    aws_xml_child_text(m, "TargetHealth/State", &state, err) != 0 ||
	    aws_xml_child_text(m, "TargetHealth/Reason", &reason, err) != 0)
		goto out;
	if (si_buf_printf(&b, err, "%s%s%s%s", state ? state : "unknown", reason ? " (" : "",
			  reason ? reason : "", reason ? ")" : "") != 0 ||
	    (h->group != NULL && si_buf_printf(&b, err, " · %s", h->group) != 0) ||
	    (port != NULL && si_buf_printf(&b, err, "%s%s", h->group ? ":" : " · port ",
					   port) != 0))
		goto out;
	rc = res_add_rel(h->r, "target", h->rel_type, id, b.data, err);
out:
	si_buf_free(&b, 0);
	free(id);
	free(port);
	free(state);
	free(reason);
	return rc;
}

static const struct qx_list s_v2_lbs_list =
	QX_QUERY_LIST("DescribeLoadBalancers", "LoadBalancers", "member", S_MAX_PAGE, "NextMarker");
static const struct qx_list s_v2_listeners_list =
	QX_QUERY_LIST("DescribeListeners", "Listeners", "member", S_MAX_PAGE, "NextMarker");
static const struct qx_list s_v2_groups_list =
	QX_QUERY_LIST("DescribeTargetGroups", "TargetGroups", "member", S_MAX_PAGE, "NextMarker");
static const struct qx_list s_v2_health_list =
	QX_QUERY_LIST("DescribeTargetHealth", "TargetHealthDescriptions", "member",
		      S_MAX_TARGETS, NULL);

static int s_v2_health(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	struct s_health h = { rt_resource(a, a->parent), NULL, NULL };
	const char *arn = qx_param(a, "TargetGroupArn");
	size_t from;

	for (size_t i = 0; arn != NULL && i < h.r->n_rels; i++)
		if (strcmp(h.r->rels[i].kind, "target group") == 0 &&
		    strcmp(h.r->rels[i].id, arn) == 0)
			h.group = h.r->rels[i].name;
	h.rel_type = a->step == S_V2_HEALTH ? "instance"
		     : a->step == S_V2_HEALTH_ALB ? rt_elbv2.name : NULL;
	from = h.r->n_rels;
	if (qx_walk(a, body, len, &s_v2_health_list, s_v2_target, &h, err) != 0)
		return -1;
	return s_follow_names(a, h.r, from, a->parent, err);
}

/* ---- classic ------------------------------------------------------------- */

/* One classic DescribeLoadBalancers member: the card when the term wants
 * it, its instances as "target" relations, their health and names asked
 * for (but for a listing). The classic API returns no ARN: it is written from the account
 * and region when the account is known. */
static int s_clb_lb(struct rt_answer *a, const xmlNode *m, void *ctx, struct si_err *err)
{
	struct res_resource *r;
	const xmlNode *l, *insts = aws_xml_child(m, "Instances");
	char *name = NULL, *dns = NULL, arn[S_MAX_ARN], res[S_MAX_ARN];
	struct si_buf b;
	size_t idx, n;
	int rc = -1;

	(void)ctx;
	si_buf_init(&b, S_MAX_FIELD);
	if (aws_xml_child_text(m, "LoadBalancerName", &name, err) != 0 ||
	    aws_xml_child_text(m, "DNSName", &dns, err) != 0 ||
	    qx_count(insts, "member", S_MAX_INSTANCES, NULL, &n, err) != 0)
		goto out;
	rc = 0;
	if (!s_keep(a->term, name, dns) || (r = rt_new_resource(a, &rt_elb_classic, &idx)) == NULL)
		goto out;
	rc = -1;
	l = aws_xml_child(m, "ListenerDescriptions");
	for (const xmlNode *x = aws_xml_child(l, "member"); x != NULL;
	     x = aws_xml_next(x, "member"))
		if (s_listener(&b, aws_xml_child(x, "Listener"), "LoadBalancerPort", err) != 0)
			goto out;
	snprintf(res, sizeof(res), "loadbalancer/%s", name ? name : "");
	if (res_set(&r->id, name, err) != 0 || res_set(&r->name, name, err) != 0 ||
	    (a->account_id[0] != '\0' && name != NULL &&
	     s_arn(a->region, a->account_id, res, arn, sizeof(arn)) == 0 &&
	     res_set(&r->arn, arn, err) != 0) ||
	    aws_xml_child_text(m, "CreatedTime", &r->created, err) != 0 ||
	    qx_field(r, "Scheme", m, "Scheme", err) != 0 ||
	    res_add_field(r, "Type", "classic", err) != 0 ||
	    res_add_field(r, "Listeners", b.data, err) != 0 ||
	    qx_field(r, "VPC", m, "VPCId", err) != 0 ||
	    res_add_field(r, "DNS name", dns, err) != 0 || res_add_dns(r, dns, err) != 0 ||
	    qx_field(r, "Health check", m, "HealthCheck/Target", err) != 0 ||
	    qx_join(r, "Zones", aws_xml_child(m, "AvailabilityZones"), "member", NULL, S_MAX_LIST,
		    err) != 0 ||
	    qx_join(r, "Subnets", aws_xml_child(m, "Subnets"), "member", NULL, S_MAX_LIST,
		    err) != 0 ||
	    qx_join(r, "Security groups", aws_xml_child(m, "SecurityGroups"), "member", NULL,
		    S_MAX_LIST, err) != 0 ||
	    qx_rels(r, "target", "instance", insts, "member", "InstanceId", NULL, S_MAX_INSTANCES,
		    err) != 0)
		goto out;
	if (name != NULL && a->term->kind != SEARCH_TERM_LIST) {
		const struct aws_query_param q[] = { { "LoadBalancerName", name } };

		if (s_follow(a, "DescribeInstanceHealth", S_CLB, q, 1, S_CLB_HEALTH, idx,
			     err) != 0 ||
		    s_follow_names(a, r, 0, idx, err) != 0)
			goto out;
	}
	rc = 0;
out:
	si_buf_free(&b, 0);
	free(name);
	free(dns);
	return rc;
}

/* One InstanceStates member: the detail of its instance's relation
 * ("InService", "OutOfService (Instance)"); an instance the description
 * did not list (registered since) is added. */
static int s_clb_instance(struct rt_answer *a, const xmlNode *m, void *ctx,
			  struct si_err *err)
{
	struct res_resource *r = ctx;
	char *id = NULL, *state = NULL, *reason = NULL, detail[128];
	int rc = -1;

	(void)a;
	if (aws_xml_child_text(m, "InstanceId", &id, err) != 0 ||
	    aws_xml_child_text(m, "State", &state, err) != 0 ||
	    aws_xml_child_text(m, "ReasonCode", &reason, err) != 0)
		goto out;
	if (reason != NULL && strcmp(reason, "N/A") == 0) {
		free(reason);
		reason = NULL;
	}
	snprintf(detail, sizeof(detail), "%s%s%s%s", state ? state : "Unknown",
		 reason ? " (" : "", reason ? reason : "", reason ? ")" : "");
	rc = 0;
	if (id == NULL)
		goto out;
	for (size_t i = 0; i < r->n_rels; i++) {
		if (strcmp(r->rels[i].kind, "target") == 0 && strcmp(r->rels[i].id, id) == 0) {
			rc = res_set(&r->rels[i].detail, detail, err);
			goto out;
		}
	}
	rc = res_add_rel(r, "target", "instance", id, detail, err);
out:
	free(id);
	free(state);
	free(reason);
	return rc;
}

static const struct qx_list s_clb_lbs_list =
	QX_QUERY_LIST("DescribeLoadBalancers", "LoadBalancerDescriptions", "member",
		      S_MAX_PAGE, "NextMarker");
static const struct qx_list s_clb_health_list =
	QX_QUERY_LIST("DescribeInstanceHealth", "InstanceStates", "member", S_MAX_INSTANCES, NULL);

/* ---- answers ------------------------------------------------------------- */

/* The listeners of one load balancer, one field however many pages. */
static int s_v2_listeners(struct rt_answer *a, const char *body, size_t len,
			  struct si_err *err)
{
	struct res_resource *r = rt_resource(a, a->parent);
	struct si_buf b;
	int rc;

	si_buf_init(&b, S_MAX_FIELD);
	rc = qx_walk(a, body, len, &s_v2_listeners_list, s_v2_listener, &b, err);
	if (rc == 0 && r != NULL && b.len > 0)
		rc = s_add_listeners(r, b.data, err);
	si_buf_free(&b, 0);
	return rc;
}

/* Follow-ups need the resource they complete; without it (a bug, not an
 * answer) the body is still checked, so a bad one is named as such. */
static struct res_resource *s_parent(struct rt_answer *a, struct si_err *err)
{
	struct res_resource *r = rt_resource(a, a->parent);

	if (r == NULL)
		si_err_set(err, SI_ERR_INTERNAL, "a follow-up without its load balancer");
	return r;
}

static int s_answer(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	struct res_resource *r;

	switch (a->step) {
	case S_V2_LBS:
		return qx_walk(a, body, len, &s_v2_lbs_list, s_v2_lb, NULL, err);
	case S_V2_LISTENERS:
		return s_v2_listeners(a, body, len, err);
	case S_V2_GROUPS:
		r = s_parent(a, err);
		return r == NULL ? -1
				 : qx_walk(a, body, len, &s_v2_groups_list, s_v2_group, r, err);
	case S_V2_HEALTH:
	case S_V2_HEALTH_IP:
	case S_V2_HEALTH_ALB:
		return s_parent(a, err) == NULL ? -1 : s_v2_health(a, body, len, err);
	case S_CLB_LBS:
		return qx_walk(a, body, len, &s_clb_lbs_list, s_clb_lb, NULL, err);
	case S_CLB_HEALTH:
		r = s_parent(a, err);
		return r == NULL ? -1
				 : qx_walk(a, body, len, &s_clb_health_list, s_clb_instance, r,
					   err);
	case S_NAMES:
		return qx_name_instances(a, body, len, err);
	default:
		return si_err_set(err, SI_ERR_INTERNAL, "load balancer: no step %d", a->step);
	}
}

/* ---- card ---------------------------------------------------------------- */

/* "ALB internet-facing, active · 3 targets, 1 unhealthy". A target's
 * health is the start of its detail (v2 "healthy", "unhealthy
 * (reason)"; classic "InService", "OutOfService (reason)"). */
static void s_summary(const struct res_resource *r, char *out, size_t n)
{
	const char *type = res_field(r, "Type"), *scheme = res_field(r, "Scheme");
	const char *label = type == NULL                         ? "Load balancer"
			    : strcmp(type, "application") == 0 ? "ALB"
			    : strcmp(type, "network") == 0     ? "NLB"
			    : strcmp(type, "gateway") == 0     ? "GWLB"
			    : strcmp(type, "classic") == 0     ? "Classic ELB"
							       : type;
	size_t total = 0, good = 0, bad = 0;
	char tail[64];

	for (size_t i = 0; i < r->n_rels; i++) {
		const char *d = r->rels[i].detail;

		if (strcmp(r->rels[i].kind, "target") != 0)
			continue;
		total++;
		good += d != NULL && (SI_HAS_PREFIX(d, "healthy") || SI_HAS_PREFIX(d, "InService"));
		bad += d != NULL && (SI_HAS_PREFIX(d, "unhealthy") ||
				     SI_HAS_PREFIX(d, "OutOfService"));
	}
	if (total == 0)
		snprintf(tail, sizeof(tail), "no targets");
	else if (bad > 0)
		snprintf(tail, sizeof(tail), "%zu target%s, %zu unhealthy", total,
			 total == 1 ? "" : "s", bad);
	else if (good == total)
		snprintf(tail, sizeof(tail), "%zu target%s, all healthy", total,
			 total == 1 ? "" : "s");
	else
		snprintf(tail, sizeof(tail), "%zu target%s", total, total == 1 ? "" : "s");
	snprintf(out, n, "%s%s%s%s%s · %s", label, scheme ? " " : "", scheme ? scheme : "",
		 r->state ? ", " : "", r->state ? r->state : "", tail);
}

static void s_v2_url(const struct res_resource *r, const char *region, char *out, size_t n)
{
	if (n > 0)
		out[0] = '\0';
	if (r->arn != NULL)
		qx_console_url(out, n, region, "ec2", "LoadBalancer:loadBalancerArn=", r->arn,
			       NULL, QX_URL_ARN);
}

static void s_clb_url(const struct res_resource *r, const char *region, char *out, size_t n)
{
	if (n > 0)
		out[0] = '\0';
	if (r->id != NULL)
		qx_console_url(out, n, region, "ec2", "LoadBalancers:search=", r->id, NULL, 0);
}

/* ---- the types ----------------------------------------------------------- */

static const char *const s_v2_arn_types[] = { "loadbalancer/app", "loadbalancer/net",
					      "loadbalancer/gwy", NULL };
static const char *const s_v2_dns[] = { ".elb.amazonaws.com", ".elb.*.amazonaws.com",
					".elb.amazonaws.com.cn", ".elb.*.amazonaws.com.cn", NULL };
static const char *const s_v2_actions[] = {
	"elasticloadbalancing:DescribeLoadBalancers",
	"elasticloadbalancing:DescribeListeners",
	"elasticloadbalancing:DescribeTargetGroups",
	"elasticloadbalancing:DescribeTargetHealth",
	"ec2:DescribeInstances",
	NULL
};
/* An ARN names a load balancer in exactly one target; elsewhere, or once
 * deleted, AWS refuses the lookup instead of answering an empty list. A
 * group deleted between two calls is "not found" too. */
static const char *const s_v2_absent[] = { "LoadBalancerNotFound", "TargetGroupNotFound",
					   "ListenerNotFound", NULL };

const struct rt_type rt_elbv2 = {
	.name = "load-balancer",
	.label = "Load balancer",
	.by = RT_BY_ARN | RT_BY_NAME | RT_BY_HOST,
	.arn_service = "elasticloadbalancing",
	.arn_types = s_v2_arn_types,
	.dns_suffixes = s_v2_dns,
	.actions = s_v2_actions,
	.absent_codes = s_v2_absent,
	.plan = s_v2_plan,
	.answer = s_answer,
	.summary = s_summary,
	.console_url = s_v2_url,
};

static const char *const s_clb_arn_types[] = { "loadbalancer", NULL };
static const char *const s_clb_actions[] = {
	"elasticloadbalancing:DescribeLoadBalancers",
	"elasticloadbalancing:DescribeInstanceHealth",
	"ec2:DescribeInstances",
	NULL
};
static const char *const s_clb_absent[] = { "LoadBalancerNotFound", NULL };

const struct rt_type rt_elb_classic = {
	.name = "classic-load-balancer",
	.label = "Classic load balancer",
	.by = RT_BY_ARN | RT_BY_NAME,   /* DNS names: rt_elbv2 plans both */
	.arn_service = "elasticloadbalancing",
	.arn_types = s_clb_arn_types,
	.actions = s_clb_actions,
	.absent_codes = s_clb_absent,
	.plan = s_clb_plan,
	.answer = s_answer,
	.summary = s_summary,
	.console_url = s_clb_url,
};
