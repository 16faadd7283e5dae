/*
 * rt_asg.c - EC2 Auto Scaling groups (API 2011-01-01), by ARN and name.
 *
 * An ARN names the group (its resource is
 * "<uuid>:autoScalingGroupName/<name>"), and DescribeAutoScalingGroups
 * with AutoScalingGroupNames answers an empty list for a name the target
 * does not hold, so a lookup needs no "not found" code. A name search
 * lists every group of the target (paged by NextToken) and keeps those
 * whose name holds the term, ASCII case ignored: the API has no filter on
 * the group's name. A listing (SEARCH_TERM_LIST, the inventory crawler)
 * is the same paged call, every group kept.
 */
#include "search/private/qxml.h"
#include "search/private/types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/xml.h"
#include "util/buf.h"
#include "util/strutil.h"

#define S_SERVICE "autoscaling"
#define S_VERSION "2011-01-01"

/* MaxRecords we ask for in a listing: the API's default, half its most.
 * A group lists every instance it holds, so a page of 100 large groups
 * could pass the XML reader's element cap (AWS_XML_MAX_NODES) where 50
 * leaves each group ~2,600 elements. A page holding more than the API's
 * most (100) is refused. */
#define S_MAX_RECORDS "50"
#define S_MAX_PAGE 100
/* Instances of one group: the relations of one resource stop at
 * RES_MAX_RELS, which a group this large fills anyway. */
#define S_MAX_INSTANCES RES_MAX_RELS
/* Zones, subnets, load balancers, target groups of one group. */
#define S_MAX_LIST 64
/* Longest field value built from a list. */
#define S_MAX_FIELD ((size_t)4096)

/* What a group's ARN holds before its name. */
#define S_ARN_NAME "autoScalingGroupName/"

enum s_step {
	S_GROUPS = 1   /* DescribeAutoScalingGroups */
};

/* ---- requests -------------------------------------------------------- */

static int s_plan1(struct rt_plan *p, const char *name, const char *value)
{
	const struct aws_query_param q[] = { { name, value } };
	const struct rt_request rq = {
		.service = S_SERVICE, .proto = AWS_PROTO_QUERY,
		.action = "DescribeAutoScalingGroups", .version = S_VERSION, .params = q,
		.n_params = 1, .page_param = "NextToken", .step = S_GROUPS,
		.parent = RT_NO_PARENT,
	};

	return rt_plan_request(p, &rq);
}

/* The group name in an ARN's resource part, or NULL. */
static const char *s_arn_name(const struct search_term *t)
{
	const char *s = t->resource != NULL ? t->resource : t->value;
	const char *k = s != NULL ? strstr(s, S_ARN_NAME) : NULL;

	if (k == NULL || k[SI_LITLEN(S_ARN_NAME)] == '\0')
		return NULL;
	return k + SI_LITLEN(S_ARN_NAME);
}

static int s_plan(struct rt_plan *p)
{
	const struct search_term *t = p->term;
	const char *name;

	if (!qx_in_target(p->term, p->region, p->account_id))
		return 0;
	switch (t->kind) {
	case SEARCH_TERM_ARN:
		name = s_arn_name(t);
		if (t->type != &rt_asg || name == NULL)
			return 0;
		return s_plan1(p, "AutoScalingGroupNames.member.1", name);
	case SEARCH_TERM_LIST:
		if (t->type != NULL && t->type != &rt_asg)
			return 0;
		return s_plan1(p, "MaxRecords", S_MAX_RECORDS);
	case SEARCH_TERM_NAME:
		return s_plan1(p, "MaxRecords", S_MAX_RECORDS);
	case SEARCH_TERM_CHECK:
		return s_plan1(p, "MaxRecords", "1");
	default:
		return 0;
	}
}

/* ---- reading answers --------------------------------------------------- */

/* The texts of n at paths appended to b, each present one after its
 * prefix (none before the first text b holds). */
static int s_join(const xmlNode *n, const char *const *paths, const char *const *prefixes,
		  size_t k, struct si_buf *b, struct si_err *err)
{
	for (size_t i = 0; i < k; i++) {
		char *v;
		int rc;

		if (aws_xml_child_text(n, paths[i], &v, err) != 0)
			return -1;
		rc = v != NULL ? si_buf_printf(b, err, "%s%s", b->len ? prefixes[i] : "", v) : 0;
		free(v);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* "Capacity": "min 2, desired 2, max 10". */
static int s_capacity(struct res_resource *r, const xmlNode *g, struct si_err *err)
{
	char *min = NULL, *want = NULL, *max = NULL, v[128];
	int rc = -1;

	if (aws_xml_child_text(g, "MinSize", &min, err) != 0 ||
	    aws_xml_child_text(g, "DesiredCapacity", &want, err) != 0 ||
	    aws_xml_child_text(g, "MaxSize", &max, err) != 0)
		goto out;
	snprintf(v, sizeof(v), "min %s, desired %s, max %s", min ? min : "?", want ? want : "?",
		 max ? max : "?");
	rc = res_add_field(r, "Capacity", v, err);
out:
	free(min);
	free(want);
	free(max);
	return rc;
}

/* "Launch template": "my-template (lt-0123…), version $Latest", from the
 * group's own template or its mixed-instances policy's. */
static int s_template(struct res_resource *r, const xmlNode *g, struct si_err *err)
{
	const xmlNode *lt = aws_xml_child(g, "LaunchTemplate");
	char *name = NULL, *id = NULL, *ver = NULL, v[512];
	int rc = -1;

	if (aws_xml_child(lt, "LaunchTemplateId") == NULL &&
	    aws_xml_child(lt, "LaunchTemplateName") == NULL)
		lt = aws_xml_path(g, "MixedInstancesPolicy/LaunchTemplate/"
				  "LaunchTemplateSpecification");
	if (aws_xml_child_text(lt, "LaunchTemplateName", &name, err) != 0 ||
	    aws_xml_child_text(lt, "LaunchTemplateId", &id, err) != 0 ||
	    aws_xml_child_text(lt, "Version", &ver, err) != 0)
		goto out;
	rc = 0;
	if (name == NULL && id == NULL)
		goto out;
	snprintf(v, sizeof(v), "%s%s%s%s%s%s", name ? name : id, name && id ? " (" : "",
		 name && id ? id : "", name && id ? ")" : "", ver ? ", version " : "",
		 ver ? ver : "");
	rc = res_add_field(r, "Launch template", v, err);
out:
	free(name);
	free(id);
	free(ver);
	return rc;
}

/* "Health check": "ELB, grace 300 s". */
static int s_health_check(struct res_resource *r, const xmlNode *g, struct si_err *err)
{
	static const char *const paths[] = { "HealthCheckType", "HealthCheckGracePeriod" };
	static const char *const prefixes[] = { "", ", grace " };
	struct si_buf b;
	int rc = -1;

	si_buf_init(&b, S_MAX_FIELD);
	if (s_join(g, paths, prefixes, 2, &b, err) != 0)
		goto out;
	if (aws_xml_child(g, "HealthCheckGracePeriod") != NULL && b.len > 0 &&
	    si_buf_puts(&b, " s", err) != 0)
		goto out;
	rc = b.len ? res_add_field(r, "Health check", b.data, err) : 0;
out:
	si_buf_free(&b, 0);
	return rc;
}

/* "Subnets": VPCZoneIdentifier, a comma list, with a space after each
 * comma so the card can wrap it. */
static int s_subnets(struct res_resource *r, const xmlNode *g, struct si_err *err)
{
	struct si_buf b;
	char *v;
	int rc = -1;

	if (aws_xml_child_text(g, "VPCZoneIdentifier", &v, err) != 0)
		return -1;
	si_buf_init(&b, S_MAX_FIELD);
	for (const char *p = v; p != NULL && *p != '\0'; p++)
		if ((*p == ',' ? si_buf_puts(&b, ", ", err)
			       : si_buf_append(&b, p, 1, err)) != 0)
			goto out;
	rc = b.len ? res_add_field(r, "Subnets", b.data, err) : 0;
out:
	si_buf_free(&b, 0);
	free(v);
	return rc;
}

/* A target group ARN (arn:…:targetgroup/NAME/hash) as a relation named
 * NAME. */
static int s_group_rel(struct res_resource *r, const xmlNode *m, struct si_err *err)
{
	char *arn, *name, tg[256];
	size_t before = r->n_rels;
	int rc;

	if (aws_xml_text(m, &arn, err) != 0)
		return -1;
	rc = res_add_rel(r, "target group", NULL, arn, NULL, err);
	name = arn != NULL ? strstr(arn, ":targetgroup/") : NULL;
	if (rc == 0 && name != NULL && r->n_rels > before) {
		name += SI_LITLEN(":targetgroup/");
		snprintf(tg, sizeof(tg), "%.*s", (int)strcspn(name, "/"), name);
		rc = res_set(&r->rels[r->n_rels - 1].name, tg, err);
	}
	free(arn);
	return rc;
}

/* Instances ("instance" relations, "InService, Healthy") and target
 * groups ("target group" relations named after the ARN's name part). */
static int s_rels(struct res_resource *r, const xmlNode *g, struct si_err *err)
{
	static const char *const paths[] = { "LifecycleState", "HealthStatus" };
	static const char *const prefixes[] = { "", ", " };
	const xmlNode *l = aws_xml_child(g, "Instances");
	size_t n;

	if (aws_xml_count(l, "member", S_MAX_INSTANCES, &n, err) != 0)
		return -1;
	for (const xmlNode *m = aws_xml_child(l, "member"); m != NULL;
	     m = aws_xml_next(m, "member")) {
		struct si_buf b;
		char *id;
		int rc = -1;

		si_buf_init(&b, S_MAX_FIELD);
		if (aws_xml_child_text(m, "InstanceId", &id, err) == 0 &&
		    s_join(m, paths, prefixes, 2, &b, err) == 0)
			rc = res_add_rel(r, "instance", "instance", id, b.len ? b.data : NULL, err);
		si_buf_free(&b, 0);
		free(id);
		if (rc != 0)
			return -1;
	}
	l = aws_xml_child(g, "TargetGroupARNs");
	if (aws_xml_count(l, "member", S_MAX_LIST, &n, err) != 0)
		return -1;
	for (const xmlNode *m = aws_xml_child(l, "member"); m != NULL;
	     m = aws_xml_next(m, "member"))
		if (s_group_rel(r, m, err) != 0)
			return -1;
	return 0;
}

/* A group's id is its name; the id is the name read for the keep test. */
static const struct qx_ident s_ident = {
	NULL, "AutoScalingGroupName", "AutoScalingGroupARN", "Status", "CreatedTime"
};

/* One group <member>: the card when the term wants it. An ARN lookup
 * asked AWS for exactly this group and a listing wants them all; a name
 * search keeps the groups whose name holds the term. */
static int s_group(struct rt_answer *a, const xmlNode *g, void *ctx, struct si_err *err)
{
	struct res_resource *r;
	char *name;
	int keep;

	(void)ctx;
	if (aws_xml_child_text(g, "AutoScalingGroupName", &name, err) != 0)
		return -1;
	{
		const struct res_resource probe = { .name = name };

		keep = a->term->kind == SEARCH_TERM_ARN || a->term->kind == SEARCH_TERM_LIST ||
		       (a->term->kind == SEARCH_TERM_NAME && res_name_matches(&probe,
									      a->term->name_lc));
	}
	r = keep ? rt_new_resource(a, &rt_asg, NULL) : NULL;
	if (r == NULL) {
		free(name);
		return 0;   /* not wanted, or the search holds all it may */
	}
	r->id = name;
	if (qx_ident(r, g, &s_ident, err) != 0 ||
	    s_capacity(r, g, err) != 0 || s_template(r, g, err) != 0 ||
	    qx_field(r, "Launch configuration", g, "LaunchConfigurationName", err) != 0 ||
	    s_subnets(r, g, err) != 0 ||
	    qx_join(r, "Zones", aws_xml_child(g, "AvailabilityZones"), "member", NULL, S_MAX_LIST,
		    err) != 0 ||
	    qx_join(r, "Load balancers", aws_xml_child(g, "LoadBalancerNames"), "member", NULL,
		    S_MAX_LIST, err) != 0 ||
	    s_health_check(r, g, err) != 0 || qx_tags(r, g, &qx_tags_member, err) != 0)
		return -1;
	return s_rels(r, g, err);
}

static const struct qx_list s_groups_list =
	QX_QUERY_LIST("DescribeAutoScalingGroups", "AutoScalingGroups", "member",
		      S_MAX_PAGE, "NextToken");

/* One DescribeAutoScalingGroups page: its groups, then the next page. */
static int s_answer(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	if (a->step != S_GROUPS)
		return si_err_set(err, SI_ERR_INTERNAL, "auto scaling: no step %d", a->step);
	return qx_walk(a, body, len, &s_groups_list, s_group, NULL, err);
}

/* ---- card ---------------------------------------------------------------- */

/* "min 2, desired 2, max 10 · 3 instances, 1 unhealthy" */
static void s_summary(const struct res_resource *r, char *out, size_t n)
{
	const char *cap = res_field(r, "Capacity");
	size_t total = 0, bad = 0, in = 0;

	for (size_t i = 0; i < r->n_rels; i++) {
		const char *d = r->rels[i].detail;

		if (strcmp(r->rels[i].kind, "instance") != 0)
			continue;
		total++;
		bad += d != NULL && strstr(d, "Unhealthy") != NULL;
		in += d != NULL && SI_HAS_PREFIX(d, "InService");
	}
	if (total == 0)
		snprintf(out, n, "%s · no instances", cap ? cap : "");
	else if (bad > 0)
		snprintf(out, n, "%s · %zu instance%s, %zu unhealthy", cap ? cap : "", total,
			 total == 1 ? "" : "s", bad);
	else
		snprintf(out, n, "%s · %zu instance%s, %s", cap ? cap : "", total,
			 total == 1 ? "" : "s",
			 in == total ? "all InService" : "not all InService");
}

/* The group's page (its name percent-encoded); the list of groups when
 * that does not fit. */
static void s_url(const struct res_resource *r, const char *region, char *out, size_t n)
{
	qx_console_url(out, n, region, "ec2", "AutoScalingGroupDetails:id=", r->id,
		       ";view=details", 0);
	if (n > 0 && (out[0] == '\0' || r->id == NULL))
		qx_console_url(out, n, region, "ec2", "AutoScalingGroups:", NULL, NULL, 0);
}

static const char *const s_arn_types[] = { "autoScalingGroup", NULL };
static const char *const s_actions[] = { "autoscaling:DescribeAutoScalingGroups", NULL };

const struct rt_type rt_asg = {
	.name = "auto-scaling-group",
	.label = "Auto Scaling group",
	.by = RT_BY_ARN | RT_BY_NAME,
	.arn_service = "autoscaling",
	.arn_types = s_arn_types,
	.actions = s_actions,
	.plan = s_plan,
	.answer = s_answer,
	.summary = s_summary,
	.console_url = s_url,
};
