/*
 * test_rt_elb_rds_asg.c - the load balancer, RDS and Auto Scaling types
 * (search/rt_elb.c, rt_rds.c, rt_asg.c) through the collector
 * (search/collect.h): every shared sample of their services parsed
 * (against botocore's expected parse where one exists), the calls each
 * kind of term plans, the follow-up chain of a load balancer down to its
 * targets' health and names, DNS and name matching, pages, hostile
 * answers, and the inventory's listings (SEARCH_TERM_LIST: everything,
 * no follow-up).
 *
 * Inputs are the shared samples ($SI_TESTDATA/aws-xml), two AWS API
 * reference examples quoted below (no shared copy exists), and edits of
 * those (a DNS name, a state, a page token put in) where a case needs a
 * value the samples lack; each edit says what it changes.
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
#include "search/private/types.h"
#include "util/buf.h"
#include "util/strutil.h"

#define S_ACCOUNT "123456789012"

/* AWS ELB (v2) API Reference, DescribeListeners, Example 3 "Describe the
 * listeners for a load balancer", Sample Response
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/
 * API_DescribeListeners.html), as published: its root element is
 * DescribeLoadBalancersResponse, a slip of the page (AWS answers
 * DescribeListenersResponse; Examples 1 and 2 there have it right). */
static const char s_listeners_doc[] =
	"<DescribeLoadBalancersResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/"
	"2015-12-01/\">\n"
	"  <DescribeListenersResult>\n"
	"    <Listeners>\n"
	"      <member>\n"
	"        <LoadBalancerArn>arn:aws:elasticloadbalancing:us-west-2:123456789012:"
	"loadbalancer/app/my-load-balancer/50dc6c495c0c9188</LoadBalancerArn>\n"
	"        <Protocol>HTTPS</Protocol>\n"
	"        <Certificates>\n"
	"          <member>\n"
	"            <CertificateArn>arn:aws:iam::123456789012:server-certificate/"
	"my-server-cert</CertificateArn>\n"
	"          </member>\n"
	"        </Certificates>\n"
	"        <Port>443</Port>\n"
	"        <SslPolicy>ELBSecurityPolicy-2016-08</SslPolicy>\n"
	"        <ListenerArn>arn:aws:elasticloadbalancing:us-west-2:123456789012:listener/app/"
	"my-load-balancer/50dc6c495c0c9188/0467ef3c8400ae65</ListenerArn>\n"
	"        <DefaultActions>\n"
	"          <member>\n"
	"            <Type>forward</Type>\n"
	"            <TargetGroupArn>arn:aws:elasticloadbalancing:us-west-2:123456789012:"
	"targetgroup/my-targets/73e2d6bc24d8a067</TargetGroupArn>\n"
	"          </member>\n"
	"        </DefaultActions>\n"
	"      </member>\n"
	"      <member>\n"
	"        <LoadBalancerArn>arn:aws:elasticloadbalancing:us-west-2:123456789012:"
	"loadbalancer/app/my-load-balancer/50dc6c495c0c9188</LoadBalancerArn>\n"
	"        <Protocol>HTTP</Protocol>\n"
	"        <Port>80</Port>\n"
	"        <ListenerArn>arn:aws:elasticloadbalancing:us-west-2:123456789012:listener/app/"
	"my-load-balancer/50dc6c495c0c9188/f2f7dc8efc522ab2</ListenerArn>\n"
	"        <DefaultActions>\n"
	"          <member>\n"
	"            <Type>forward</Type>\n"
	"            <TargetGroupArn>arn:aws:elasticloadbalancing:us-west-2:123456789012:"
	"targetgroup/my-targets/73e2d6bc24d8a067</TargetGroupArn>\n"
	"          </member>\n"
	"        </DefaultActions>\n"
	"      </member>\n"
	"    </Listeners>\n"
	"  </DescribeListenersResult>\n"
	"  <ResponseMetadata>\n"
	"    <RequestId>65a3a7ea-f39c-11e5-b543-9f2c3fbb9bee</RequestId>\n"
	"  </ResponseMetadata>\n"
	"</DescribeLoadBalancersResponse>\n";

/* AWS ELB (classic) API Reference, DescribeInstanceHealth, Example 4
 * "Response for an unhealthy instance" (https://docs.aws.amazon.com/
 * elasticloadbalancing/2012-06-01/APIReference/
 * API_DescribeInstanceHealth.html), as published. */
static const char s_instance_health_doc[] =
	"<DescribeInstanceHealthResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/"
	"2012-06-01/\">\n"
	"  <DescribeInstanceHealthResult>\n"
	"    <InstanceStates>\n"
	"      <member>\n"
	"        <Description>Instance has failed at least the UnhealthyThreshold number of "
	"health checks consecutively.</Description>\n"
	"        <InstanceId>i-fda142c9</InstanceId>\n"
	"        <State>OutOfService</State>\n"
	"        <ReasonCode>Instance</ReasonCode>\n"
	"      </member>\n"
	"    </InstanceStates>\n"
	"  </DescribeInstanceHealthResult>\n"
	"  <ResponseMetadata>\n"
	"    <RequestId>83c88b9d-12b7-11e3-8b82-87b12EXAMPLE</RequestId>\n"
	"</ResponseMetadata>\n"
	"</DescribeInstanceHealthResponse>\n";

/* ---- helpers --------------------------------------------------------- */

/* A sample file with one edit. */
static char *s_edited(const char *name, const char *from, const char *to)
{
	struct fixture_blob b = rtt_sample(name);
	char *out = rtt_subst(b.data, from, to);

	free(b.data);
	return out;
}

static struct search_term s_name(const char *typed, const char *lc)
{
	return (struct search_term){ .kind = SEARCH_TERM_NAME, .value = typed, .name_lc = lc };
}

static struct search_term s_arn(const struct rt_type *t, const char *arn, const char *res)
{
	return (struct search_term){ .kind = SEARCH_TERM_ARN, .value = arn, .type = t,
				     .resource = res };
}

static struct search_term s_host(const struct rt_type *t, const char *host)
{
	return (struct search_term){ .kind = SEARCH_TERM_HOST, .value = host, .type = t };
}

/* Feed body to t as the answer to collected request i (its step, parent
 * and parameters). */
static int s_replay(const struct rt_type *t, struct rt_collect *c, size_t i,
		    const struct search_term *term, const char *region, const char *body,
		    struct si_err *err)
{
	assert_true(i < c->n_reqs);
	return rtt_replay(t, &c->reqs[i], term, region, S_ACCOUNT, body, strlen(body), c, err);
}

/* The same with a shared sample as the body; must succeed. */
static void s_replay_sample(const struct rt_type *t, struct rt_collect *c, size_t i,
			    const struct search_term *term, const char *region, const char *name)
{
	struct fixture_blob b = rtt_sample(name);
	struct si_err err = { 0 };

	if (s_replay(t, c, i, term, region, b.data, &err) != 0)
		fail_msg("%s: %s", name, err.msg);
	free(b.data);
}

/* Feed body as the answer to a listing planned for term; returns rc. */
static int s_list(const struct rt_type *t, const struct search_term *term, size_t req,
		  const char *region, const char *body, struct rt_collect *c, struct si_err *err)
{
	assert_int_equal(rt_collect_plan(t, term, region, S_ACCOUNT, 1, c), 0);
	return s_replay(t, c, req, term, region, body, err);
}

/* The n-th request (from 0) of action at or after index from, or -1. */
static long s_find(const struct rt_collect *c, size_t from, const char *action)
{
	for (size_t i = from; i < c->n_reqs; i++)
		if (strcmp(c->reqs[i].action, action) == 0)
			return (long)i;
	return -1;
}

static const char *s_param(const struct rt_collect *c, long i, const char *name)
{
	assert_true(i >= 0 && (size_t)i < c->n_reqs);
	return rt_collected_param(&c->reqs[i], name);
}

static int s_in_list(const char *const *v, const char *s)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static const char s_v2_arn[] = "arn:aws:elasticloadbalancing:us-west-2:123456789012:"
			       "loadbalancer/app/my-load-balancer/50dc6c495c0c9188";
static const char s_v2_dns[] = "my-load-balancer-424835706.us-west-2.elb.amazonaws.com";
/* The v2 sample every chain starts from. */
#define S_V2_LBS "elbv2-describe-load-balancers.awsdocs.xml"

static const char s_tg_arn[] = "arn:aws:elasticloadbalancing:us-west-2:123456789012:"
			       "targetgroup/my-targets/73e2d6bc24d8a067";

/* The v2 sample's load balancer, looked up by ARN, with its target
 * groups answered: where the health cases start. */
static struct search_term s_v2_term(void)
{
	return s_arn(&rt_elbv2, s_v2_arn, "app/my-load-balancer/50dc6c495c0c9188");
}

static void s_v2_to_groups(const struct search_term *t, struct rt_collect *c)
{
	assert_int_equal(rt_collect_plan(&rt_elbv2, t, "us-west-2", S_ACCOUNT, 1, c), 0);
	s_replay_sample(&rt_elbv2, c, 0, t, "us-west-2", S_V2_LBS);
	s_replay_sample(&rt_elbv2, c, (size_t)s_find(c, 0, "DescribeTargetGroups"), t,
			"us-west-2", "elbv2-describe-target-groups.awsdocs.xml");
}

/* ---- the registry entries ---------------------------------------------- */

static void test_types_declared(void **state)
{
	(void)state;
	assert_string_equal(rt_elbv2.name, "load-balancer");
	assert_string_equal(rt_elb_classic.name, "classic-load-balancer");
	assert_string_equal(rt_db_instance.name, "db-instance");
	assert_string_equal(rt_db_cluster.name, "db-cluster");
	assert_string_equal(rt_asg.name, "auto-scaling-group");
	assert_int_equal(rt_elbv2.by, RT_BY_ARN | RT_BY_NAME | RT_BY_HOST);
	/* Without suffixes RT_BY_HOST would mean "any host name". */
	assert_int_equal(rt_elb_classic.by & RT_BY_HOST, 0);
	assert_null(rt_elb_classic.dns_suffixes);
	assert_int_equal(rt_db_instance.by, RT_BY_ARN | RT_BY_NAME | RT_BY_HOST);
	assert_int_equal(rt_db_cluster.by & RT_BY_HOST, 0);
	assert_int_equal(rt_asg.by, RT_BY_ARN | RT_BY_NAME);
	assert_string_equal(rt_elbv2.arn_service, "elasticloadbalancing");
	assert_true(s_in_list(rt_elbv2.arn_types, "loadbalancer/app"));
	assert_true(s_in_list(rt_elbv2.arn_types, "loadbalancer/net"));
	assert_true(s_in_list(rt_elbv2.arn_types, "loadbalancer/gwy"));
	assert_true(s_in_list(rt_elb_classic.arn_types, "loadbalancer"));
	assert_true(s_in_list(rt_elbv2.dns_suffixes, ".elb.amazonaws.com"));
	assert_true(s_in_list(rt_elbv2.dns_suffixes, ".elb.*.amazonaws.com"));
	assert_string_equal(rt_db_instance.arn_service, "rds");
	assert_true(s_in_list(rt_db_instance.arn_types, "db"));
	assert_true(s_in_list(rt_db_cluster.arn_types, "cluster"));
	assert_true(s_in_list(rt_db_instance.dns_suffixes, ".rds.amazonaws.com"));
	assert_string_equal(rt_asg.arn_service, "autoscaling");
	assert_true(s_in_list(rt_asg.arn_types, "autoScalingGroup"));
	assert_true(s_in_list(rt_elbv2.actions, "elasticloadbalancing:DescribeTargetHealth"));
	assert_true(s_in_list(rt_elbv2.actions, "ec2:DescribeInstances"));
	assert_true(s_in_list(rt_elb_classic.actions,
			      "elasticloadbalancing:DescribeInstanceHealth"));
	assert_true(s_in_list(rt_asg.actions, "autoscaling:DescribeAutoScalingGroups"));
	/* What a lookup of a name or ARN the target lacks answers. */
	assert_true(s_in_list(rt_elbv2.absent_codes, "LoadBalancerNotFound"));
	assert_true(s_in_list(rt_elb_classic.absent_codes, "LoadBalancerNotFound"));
	assert_true(s_in_list(rt_db_instance.absent_codes, "DBInstanceNotFound"));
	assert_true(s_in_list(rt_db_cluster.absent_codes, "DBClusterNotFoundFault"));
}

/* What the registry (the classifier's lookups) makes of the shapes these
 * types declare: every load balancer DNS name is rt_elbv2's, every RDS
 * endpoint rt_db_instance's, each ARN type its own type's. */
static void test_registry_claims(void **state)
{
	static const char *const elb_hosts[] = {
		"my-load-balancer-424835706.us-west-2.elb.amazonaws.com",
		"internal-my-load-balancer-424835706.us-west-2.elb.amazonaws.com",
		"my-loadbalancer-123456789.us-east-1.elb.amazonaws.com",
		"my-nlb-50dc6c495c0c9188.elb.us-east-2.amazonaws.com",
		"dualstack.my-load-balancer-424835706.us-west-2.elb.amazonaws.com",
	};
	static const char *const rds_hosts[] = {
		"simcoprod01.cu7u2t4uz396.us-east-1.rds.amazonaws.com",
		"sample-cluster3.cluster-cefgqfx9y5fy.us-east-1.rds.amazonaws.com",
		"sample-cluster3.cluster-ro-cefgqfx9y5fy.us-east-1.rds.amazonaws.com",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(elb_hosts) / sizeof(elb_hosts[0]); i++)
		assert_ptr_equal(rt_by_dns(elb_hosts[i]), &rt_elbv2);
	for (size_t i = 0; i < sizeof(rds_hosts) / sizeof(rds_hosts[0]); i++)
		assert_ptr_equal(rt_by_dns(rds_hosts[i]), &rt_db_instance);
	assert_ptr_equal(rt_by_arn("elasticloadbalancing", "loadbalancer/app"), &rt_elbv2);
	assert_ptr_equal(rt_by_arn("elasticloadbalancing", "loadbalancer/net"), &rt_elbv2);
	assert_ptr_equal(rt_by_arn("elasticloadbalancing", "loadbalancer"), &rt_elb_classic);
	assert_ptr_equal(rt_by_arn("rds", "db"), &rt_db_instance);
	assert_ptr_equal(rt_by_arn("rds", "cluster"), &rt_db_cluster);
	assert_ptr_equal(rt_by_arn("autoscaling", "autoScalingGroup"), &rt_asg);
	assert_ptr_equal(rt_by_name("load-balancer"), &rt_elbv2);
}

/* Every request any term plans is an action the type declares (the IAM
 * kit and --check-config read them), on the query protocol, with the
 * page parameter of its API. */
static void test_plans_use_declared_actions(void **state)
{
	const struct rt_type *types[] = { &rt_elbv2, &rt_elb_classic, &rt_db_instance,
					  &rt_db_cluster, &rt_asg };
	const char *arn_res[] = { "app/x/1", "x", "x", "x", "u:autoScalingGroupName/x" };
	size_t planned = 0;

	(void)state;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		struct search_term terms[] = {
			s_name("x", "x"),
			s_arn(types[t], "arn:aws:x:eu-west-2:123456789012:x", arn_res[t]),
			s_host(types[t], "x-1.eu-west-2.elb.amazonaws.com"),
			s_host(types[t], "x.y.eu-west-2.rds.amazonaws.com"),
			{ .kind = SEARCH_TERM_CHECK, .value = "" },
		};

		for (size_t k = 0; k < sizeof(terms) / sizeof(terms[0]); k++) {
			struct rt_collect c = { 0 };

			assert_int_equal(rt_collect_plan(types[t], &terms[k], "eu-west-2",
							 S_ACCOUNT, 1, &c), 0);
			for (size_t i = 0; i < c.n_reqs; i++) {
				const struct rt_collected *r = &c.reqs[i];
				char action[128];

				snprintf(action, sizeof(action), "%s:%s", r->service, r->action);
				if (!s_in_list(types[t]->actions, action))
					fail_msg("%s plans %s, not in its actions", types[t]->name,
						 action);
				assert_int_equal(r->proto, AWS_PROTO_QUERY);
				assert_int_equal(r->parent, RT_NO_PARENT);
				if (strcmp(r->service, "autoscaling") == 0)
					assert_string_equal(r->page_param, "NextToken");
				else if (strcmp(r->service, "ec2") != 0)
					assert_string_equal(r->page_param, "Marker");
				planned++;
			}
			rt_collect_free(&c);
		}
	}
	assert_true(planned >= 20);
}

/* A term that names another region (ARNs, DNS names) or another account
 * plans nothing here. */
static void test_plan_other_target(void **state)
{
	struct search_term t = s_arn(&rt_elbv2, s_v2_arn, "app/my-load-balancer/1");
	struct rt_collect c = { 0 };

	(void)state;
	t.region = "us-west-2";
	assert_int_equal(rt_collect_plan(&rt_elbv2, &t, "eu-west-2", S_ACCOUNT, 1, &c), 0);
	assert_int_equal(c.n_reqs, 0);
	t.region = NULL;
	t.account_id = "999999999999";
	assert_int_equal(rt_collect_plan(&rt_elbv2, &t, "us-west-2", S_ACCOUNT, 1, &c), 0);
	assert_int_equal(c.n_reqs, 0);
	/* An ARN pinned to another type is not ours to look up. */
	t = s_arn(&rt_elb_classic, s_v2_arn, "x");
	assert_int_equal(rt_collect_plan(&rt_elbv2, &t, "us-west-2", S_ACCOUNT, 1, &c), 0);
	assert_int_equal(c.n_reqs, 0);
	rt_collect_free(&c);
}

/* ---- ELB v2 -------------------------------------------------------------- */

/* By ARN, through the whole chain: the load balancer, its listeners and
 * target groups, the group's targets with their health, and their
 * names. */
static void test_elbv2_chain(void **state)
{
	struct search_term t = s_v2_term();
	struct rt_collect c = { 0 };
	const struct res_resource *r;
	struct si_err err = { 0 };
	char *fixed, line[256];
	long i;

	(void)state;
	assert_int_equal(rt_collect_plan(&rt_elbv2, &t, "us-west-2", S_ACCOUNT, 1, &c), 0);
	assert_int_equal(c.n_reqs, 1);
	assert_string_equal(c.reqs[0].service, "elasticloadbalancing");
	assert_string_equal(c.reqs[0].action, "DescribeLoadBalancers");
	assert_string_equal(s_param(&c, 0, "LoadBalancerArns.member.1"), s_v2_arn);
	s_replay_sample(&rt_elbv2, &c, 0, &t, "us-west-2", S_V2_LBS);
	assert_int_equal(c.result.n_matches, 1);
	assert_null(c.next_token);
	r = rtt_res_at(&c, 0);
	assert_ptr_equal(r->type, &rt_elbv2);
	assert_string_equal(r->id, "my-load-balancer");
	assert_string_equal(r->name, "my-load-balancer");
	assert_string_equal(r->arn, s_v2_arn);
	assert_string_equal(r->state, "active");
	assert_string_equal(r->created, "2016-03-25T21:26:12.920Z");
	rtt_field_is(r, "Scheme", "internet-facing");
	rtt_field_is(r, "Type", "application");
	rtt_field_is(r, "VPC", "vpc-3ac0fb5f");
	rtt_field_is(r, "DNS name", s_v2_dns);
	rtt_field_is(r, "Zones", "us-west-2a, us-west-2b");
	rtt_field_is(r, "Subnets", "subnet-8360a9e7, subnet-b7d581c0");
	rtt_field_is(r, "Security groups", "sg-5943793c");
	assert_true(rtt_has_dns(r, s_v2_dns));
	rt_elbv2.summary(r, line, sizeof(line));
	assert_string_equal(line, "ALB internet-facing, active · no targets");
	rt_elbv2.console_url(r, "us-west-2", line, sizeof(line));
	assert_string_equal(line, "https://us-west-2.console.aws.amazon.com/ec2/home?region="
			    "us-west-2#LoadBalancer:loadBalancerArn=arn:aws:elasticloadbalancing:"
			    "us-west-2:123456789012:loadbalancer/app/my-load-balancer/"
			    "50dc6c495c0c9188");

	/* The follow-ups of the load balancer (index 0). */
	assert_int_equal(c.n_reqs, 3);
	i = s_find(&c, 1, "DescribeListeners");
	assert_true(i > 0);
	assert_int_equal(c.reqs[i].parent, 0);
	assert_string_equal(s_param(&c, i, "LoadBalancerArn"), s_v2_arn);
	/* The page as published has the wrong root: refused. */
	assert_int_equal(s_replay(&rt_elbv2, &c, (size_t)i, &t, "us-west-2", s_listeners_doc,
				  &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	fixed = rtt_subst(s_listeners_doc, "<DescribeLoadBalancersResponse",
			  "<DescribeListenersResponse");
	{
		char *both = rtt_subst(fixed, "</DescribeLoadBalancersResponse>",
				       "</DescribeListenersResponse>");

		assert_int_equal(s_replay(&rt_elbv2, &c, (size_t)i, &t, "us-west-2", both, &err),
				 0);
		free(both);
	}
	free(fixed);
	rtt_field_is(rtt_res_at(&c, 0), "Listeners", "HTTPS:443, HTTP:80");

	i = s_find(&c, 1, "DescribeTargetGroups");
	assert_true(i > 0);
	assert_int_equal(c.reqs[i].parent, 0);
	assert_string_equal(s_param(&c, i, "LoadBalancerArn"), s_v2_arn);
	s_replay_sample(&rt_elbv2, &c, (size_t)i, &t, "us-west-2",
			"elbv2-describe-target-groups.awsdocs.xml");
	r = rtt_res_at(&c, 0);
	assert_int_equal(r->n_rels, 1);
	assert_string_equal(r->rels[0].kind, "target group");
	assert_string_equal(r->rels[0].id, s_tg_arn);
	assert_string_equal(r->rels[0].name, "my-targets");
	assert_string_equal(r->rels[0].detail, "HTTP:80");

	i = s_find(&c, 1, "DescribeTargetHealth");
	assert_true(i > 0);
	assert_int_equal(c.reqs[i].parent, 0);
	assert_string_equal(s_param(&c, i, "TargetGroupArn"), s_tg_arn);
	s_replay_sample(&rt_elbv2, &c, (size_t)i, &t, "us-west-2",
			"elbv2-describe-target-health.awsdocs.xml");
	r = rtt_res_at(&c, 0);
	assert_int_equal(r->n_rels, 3);   /* the group and its two members */
	for (size_t k = 1; k < 3; k++) {
		assert_string_equal(r->rels[k].kind, "target");
		assert_string_equal(r->rels[k].type, "instance");
		assert_string_equal(r->rels[k].id, "i-0f76fade");
		assert_string_equal(r->rels[k].detail, "healthy · my-targets:80");
	}
	rt_elbv2.summary(r, line, sizeof(line));
	assert_string_equal(line, "ALB internet-facing, active · 2 targets, all healthy");

	/* One DescribeInstances for the names, the instance asked for once. */
	i = s_find(&c, 1, "DescribeInstances");
	assert_true(i > 0);
	assert_string_equal(c.reqs[i].service, "ec2");
	assert_int_equal(c.reqs[i].parent, 0);
	assert_string_equal(s_param(&c, i, "Filter.1.Name"), "instance-id");
	assert_string_equal(s_param(&c, i, "Filter.1.Value.1"), "i-0f76fade");
	assert_null(s_param(&c, i, "Filter.1.Value.2"));
	assert_int_equal(s_find(&c, (size_t)i + 1, "DescribeInstances"), -1);
	rt_collect_free(&c);
}

/* The last step: instance targets get their Name tag. The target id is
 * the EC2 sample's instance (the health sample edited to name it). */
static void test_elbv2_target_names(void **state)
{
	struct search_term t = s_v2_term();
	struct rt_collect c = { 0 };
	const struct res_resource *r;
	struct si_err err = { 0 };
	char *health;
	long i;

	(void)state;
	s_v2_to_groups(&t, &c);
	health = s_edited("elbv2-describe-target-health.one-target.awsdocs.xml", "i-0f76fade",
			  "i-1234567890abcdef0");
	assert_int_equal(s_replay(&rt_elbv2, &c, (size_t)s_find(&c, 0, "DescribeTargetHealth"),
				  &t, "us-west-2", health, &err), 0);
	free(health);
	i = s_find(&c, 0, "DescribeInstances");
	assert_string_equal(s_param(&c, i, "Filter.1.Value.1"), "i-1234567890abcdef0");
	s_replay_sample(&rt_elbv2, &c, (size_t)i, &t, "us-west-2",
			"ec2-describe-instances.awsdocs.xml");
	r = rtt_res_at(&c, 0);
	assert_int_equal(r->n_rels, 2);
	assert_string_equal(r->rels[1].id, "i-1234567890abcdef0");
	assert_string_equal(r->rels[1].name, "Server_1");
	assert_string_equal(r->rels[0].name, "my-targets");   /* the group keeps its own */
	rt_collect_free(&c);
}

/* Unhealthy targets count in the summary and say why; a target group of
 * IP addresses makes untyped targets and no DescribeInstances. */
static void test_elbv2_health_kinds(void **state)
{
	struct search_term t = s_v2_term();
	struct rt_collect c = { 0 };
	const struct res_resource *r;
	struct si_err err = { 0 };
	char *body, line[256];
	size_t before;

	(void)state;
	s_v2_to_groups(&t, &c);
	/* Edit: the first target fails its health checks. */
	body = s_edited("elbv2-describe-target-health.awsdocs.xml", "<State>healthy</State>",
			"<State>unhealthy</State><Reason>Target.ResponseCodeMismatch</Reason>");
	assert_int_equal(s_replay(&rt_elbv2, &c, (size_t)s_find(&c, 0, "DescribeTargetHealth"), &t,
				  "us-west-2", body, &err), 0);
	free(body);
	r = rtt_res_at(&c, 0);
	assert_string_equal(r->rels[1].detail,
			    "unhealthy (Target.ResponseCodeMismatch) · my-targets:80");
	assert_string_equal(r->rels[2].detail, "healthy · my-targets:80");
	rt_elbv2.summary(r, line, sizeof(line));
	assert_string_equal(line, "ALB internet-facing, active · 2 targets, 1 unhealthy");

	/* Edit: a second target group of IP targets. */
	body = s_edited("elbv2-describe-target-groups.awsdocs.xml", "<Protocol>HTTP</Protocol>",
			"<Protocol>HTTP</Protocol><TargetType>ip</TargetType>");
	assert_int_equal(s_replay(&rt_elbv2, &c, (size_t)s_find(&c, 0, "DescribeTargetGroups"),
				  &t, "us-west-2", body, &err), 0);
	free(body);
	before = c.n_reqs;
	s_replay_sample(&rt_elbv2, &c, c.n_reqs - 1, &t, "us-west-2",
			"elbv2-describe-target-health.one-target.awsdocs.xml");
	r = rtt_res_at(&c, 0);
	assert_null(r->rels[r->n_rels - 1].type);
	assert_string_equal(r->rels[r->n_rels - 1].kind, "target");
	assert_int_equal(c.n_reqs, before);   /* no names to ask for */
	rt_collect_free(&c);
}

/* A DNS name: the listing keeps the load balancer whose DNSName it is,
 * in any case, also behind Route 53's "dualstack." prefix. */
static void test_elbv2_dns(void **state)
{
	struct {
		const char *host, *dns_edit, *type_edit;
		int kept;
		const char *summary;
	} cases[] = {
		{ s_v2_dns, NULL, NULL, 1, "ALB internet-facing, active · no targets" },
		{ "dualstack.my-load-balancer-424835706.us-west-2.elb.amazonaws.com", NULL, NULL,
		  1, NULL },
		{ "other-424835706.us-west-2.elb.amazonaws.com", NULL, NULL, 0, NULL },
		/* Edit: AWS spells a name with capitals as it was created. */
		{ s_v2_dns, "My-Load-Balancer-424835706.us-west-2.elb.amazonaws.com", NULL, 1,
		  NULL },
		/* Edit: an internal ALB's name starts "internal-". */
		{ "internal-my-load-balancer-424835706.us-west-2.elb.amazonaws.com",
		  "internal-my-load-balancer-424835706.us-west-2.elb.amazonaws.com", NULL, 1,
		  NULL },
		{ s_v2_dns, "internal-my-load-balancer-424835706.us-west-2.elb.amazonaws.com", NULL,
		  0, NULL },
		/* Edit: an NLB's name puts the region after "elb". */
		{ "my-load-balancer-50dc6c495c0c9188.elb.us-west-2.amazonaws.com",
		  "my-load-balancer-50dc6c495c0c9188.elb.us-west-2.amazonaws.com",
		  "<Type>network</Type>", 1, "NLB internet-facing, active · no targets" },
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct search_term t = s_host(&rt_elbv2, cases[k].host);
		struct rt_collect c = { 0 };
		struct si_err err = { 0 };
		char *body = s_edited("elbv2-describe-load-balancers.awsdocs.xml", s_v2_dns,
				      cases[k].dns_edit ? cases[k].dns_edit : s_v2_dns);

		if (cases[k].type_edit != NULL) {
			char *b2 = rtt_subst(body, "<Type>application</Type>", cases[k].type_edit);

			free(body);
			body = b2;
		}
		assert_int_equal(s_list(&rt_elbv2, &t, 0, "us-west-2", body, &c, &err), 0);
		assert_int_equal(c.result.n_matches, cases[k].kept);
		if (cases[k].summary != NULL) {
			char line[128];

			rt_elbv2.summary(rtt_res_at(&c, 0), line, sizeof(line));
			assert_string_equal(line, cases[k].summary);
		}
		/* A listing asks for the largest pages. */
		assert_string_equal(s_param(&c, 0, "PageSize"), "400");
		free(body);
		rt_collect_free(&c);
	}
}

/* ALB and classic names look alike: both APIs are listed, NLB names only
 * v2; the classic answer to rt_elbv2's request makes a classic card. */
static void test_elbv2_dns_plans_classic(void **state)
{
	const char *clb = "my-loadbalancer-123456789.us-east-1.elb.amazonaws.com";
	struct search_term t = s_host(&rt_elbv2, clb);
	struct rt_collect c = { 0 };

	(void)state;
	t.region = "us-east-1";
	assert_int_equal(rt_collect_plan(&rt_elbv2, &t, "us-east-1", S_ACCOUNT, 1, &c), 0);
	assert_int_equal(c.n_reqs, 2);
	assert_string_equal(c.reqs[0].action, "DescribeLoadBalancers");
	assert_string_equal(c.reqs[1].action, "DescribeLoadBalancers");
	assert_true(c.reqs[0].step != c.reqs[1].step);
	/* The v2 listing of that region has no such name... */
	s_replay_sample(&rt_elbv2, &c, 0, &t, "us-east-1", S_V2_LBS);
	assert_int_equal(c.result.n_matches, 0);
	/* ...the classic one has. */
	s_replay_sample(&rt_elbv2, &c, 1, &t, "us-east-1",
			"elb-describe-load-balancers.awsdocs.xml");
	assert_int_equal(c.result.n_matches, 1);
	assert_ptr_equal(rtt_res_at(&c, 0)->type, &rt_elb_classic);
	assert_string_equal(rtt_res_at(&c, 0)->id, "my-loadbalancer");
	rt_collect_free(&c);

	t = s_host(&rt_elbv2, "my-nlb-50dc6c495c0c9188.elb.us-east-2.amazonaws.com");
	assert_int_equal(rt_collect_plan(&rt_elbv2, &t, "us-east-2", S_ACCOUNT, 1, &c), 0);
	assert_int_equal(c.n_reqs, 1);
	rt_collect_free(&c);
}

/* A name: every load balancer listed, kept when its name holds the term
 * (ASCII case ignored); the next page asked for by NextMarker. */
static void test_elbv2_name_and_pages(void **state)
{
	struct {
		const char *typed, *lc;
		size_t kept;
	} cases[] = {
		{ "LOAD-Bal", "load-bal", 1 }, { "my-load-balancer", "my-load-balancer", 1 },
		{ "BALANCER", "balancer", 1 }, { "my-loadbalancer", "my-loadbalancer", 0 },
		{ "prod", "prod", 0 },
	};
	struct search_term t;
	struct rt_collect c = { 0 };
	struct si_err err = { 0 };
	char *body;

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		t = s_name(cases[k].typed, cases[k].lc);
		assert_int_equal(rt_collect_plan(&rt_elbv2, &t, "us-west-2", S_ACCOUNT, 1, &c), 0);
		assert_int_equal(c.n_reqs, 1);
		s_replay_sample(&rt_elbv2, &c, 0, &t, "us-west-2",
				"elbv2-describe-load-balancers.awsdocs.xml");
		assert_int_equal(c.result.n_matches, cases[k].kept);
		assert_null(c.next_token);
		rt_collect_free(&c);
	}
	/* Edit: a NextMarker after the list, as DescribeLoadBalancers sends. */
	t = s_name("x", "x");
	body = s_edited("elbv2-describe-load-balancers.awsdocs.xml", "</LoadBalancers>",
			"</LoadBalancers><NextMarker>ZXhhbXBsZQ==</NextMarker>");
	assert_int_equal(s_list(&rt_elbv2, &t, 0, "us-west-2", body, &c, &err), 0);
	assert_string_equal(c.next_token, "ZXhhbXBsZQ==");
	assert_string_equal(c.reqs[0].page_param, "Marker");
	free(body);
	rt_collect_free(&c);
}

/* --check-config plans one call of each action, made-up names for the
 * calls that need one (answered "not found", which proves the right). */
static void test_elb_check(void **state)
{
	const struct search_term t = { .kind = SEARCH_TERM_CHECK, .value = "" };
	struct rt_collect c = { 0 };
	long i;

	(void)state;
	assert_int_equal(rt_collect_plan(&rt_elbv2, &t, "eu-west-2", S_ACCOUNT, 1, &c), 0);
	for (size_t k = 0; rt_elbv2.actions[k] != NULL; k++)
		assert_true(s_find(&c, 0, strchr(rt_elbv2.actions[k], ':') + 1) >= 0);
	i = s_find(&c, 0, "DescribeTargetHealth");
	assert_string_equal(s_param(&c, i, "TargetGroupArn"),
			    "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/"
			    "slash-infra-check/0000000000000000");
	rt_collect_free(&c);
	assert_int_equal(rt_collect_plan(&rt_elb_classic, &t, "cn-north-1", S_ACCOUNT, 1, &c), 0);
	assert_true(s_find(&c, 0, "DescribeInstanceHealth") >= 0);
	rt_collect_free(&c);
}

/* A list field (search/qxml.c): security groups in one value, cut at a
 * whole value with ", …" once past what a card line holds, never failing
 * the answer; past the item cap (64) the answer is refused. Edit: the
 * sample's one group becomes n. */
#define S_CUT ", \xe2\x80\xa6"

static void test_elbv2_long_list(void **state)
{
	const size_t counts[] = { 40, 65 };
	struct search_term t = s_name("my-load", "my-load");
	struct rt_collect c = { 0 };
	struct si_err err = { 0 };

	(void)state;
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		struct si_buf b;
		char *body;
		const char *f;

		si_buf_init(&b, 0);
		for (size_t i = 0; i < counts[k]; i++)
			assert_int_equal(si_buf_printf(&b, NULL, "<member>sg-%017zx</member>", i),
					 0);
		body = s_edited("elbv2-describe-load-balancers.awsdocs.xml",
				"<member>sg-5943793c</member>", b.data);
		if (counts[k] > 64) {
			assert_int_equal(s_list(&rt_elbv2, &t, 0, "us-west-2", body, &c, &err), -1);
			assert_int_equal(err.code, SI_ERR_LIMIT);
		} else {
			assert_int_equal(s_list(&rt_elbv2, &t, 0, "us-west-2", body, &c, &err), 0);
			f = res_field(rtt_res_at(&c, 0), "Security groups");
			assert_non_null(f);
			assert_true(strlen(f) < 512);
			assert_true(SI_HAS_PREFIX(f, "sg-00000000000000000, sg-00000000000000001"));
			assert_string_equal(f + strlen(f) - strlen(S_CUT), S_CUT);
		}
		rt_collect_free(&c);
		si_buf_free(&b, 0);
		free(body);
	}
}

/* Console links (qx_console_url): a name is percent-encoded by libcurl,
 * an ARN keeps its ':' and '/' (what the console expects) and has the
 * rest encoded; a link that does not fit is none, and a group's falls
 * back to the list of groups. */
static void test_console_links_encoded(void **state)
{
	char asg_name[] = "web tier/blue#1", lb_arn[] = "arn:aws:elasticloadbalancing:"
		"us-west-2:123456789012:loadbalancer/app/x\"><b>/50dc6c495c0c9188";
	struct res_resource asg = { .type = &rt_asg, .id = asg_name };
	struct res_resource lb = { .type = &rt_elbv2, .arn = lb_arn };
	struct res_resource none = { .type = &rt_asg };
	char line[512];

	(void)state;
	rt_asg.console_url(&asg, "us-east-1", line, sizeof(line));
	assert_string_equal(line, "https://us-east-1.console.aws.amazon.com/ec2/home?region="
			    "us-east-1#AutoScalingGroupDetails:id=web%20tier%2Fblue%231;"
			    "view=details");
	rt_asg.console_url(&asg, "us-east-1", line, 100);
	assert_string_equal(line, "https://us-east-1.console.aws.amazon.com/ec2/home?region="
			    "us-east-1#AutoScalingGroups:");
	rt_asg.console_url(&none, "us-east-1", line, sizeof(line));
	assert_string_equal(line, "https://us-east-1.console.aws.amazon.com/ec2/home?region="
			    "us-east-1#AutoScalingGroups:");
	rt_asg.console_url(&asg, NULL, line, sizeof(line));
	assert_string_equal(line, "");
	rt_elbv2.console_url(&lb, "us-west-2", line, sizeof(line));
	assert_string_equal(line, "https://us-west-2.console.aws.amazon.com/ec2/home?region="
			    "us-west-2#LoadBalancer:loadBalancerArn=arn:aws:elasticloadbalancing:"
			    "us-west-2:123456789012:loadbalancer/app/x%22%3E%3Cb%3E/"
			    "50dc6c495c0c9188");
	rt_elbv2.console_url(&lb, "us-west-2", line, 64);
	assert_string_equal(line, "");
}

/* ---- classic ELB ------------------------------------------------------- */

/* botocore's fixture: an empty list, as botocore parses it. */
static void test_elb_classic_botocore(void **state)
{
	struct json_object *j =
		rtt_sample_json("elb-describe-load-balancers.botocore.expected.json");
	struct search_term t = s_name("a", "a");
	struct rt_collect c = { 0 };

	(void)state;
	assert_int_equal(rt_collect_plan(&rt_elb_classic, &t, "us-east-1", S_ACCOUNT, 1, &c), 0);
	s_replay_sample(&rt_elb_classic, &c, 0, &t, "us-east-1",
			"elb-describe-load-balancers.botocore.xml");
	assert_int_equal(c.result.n_matches,
			 json_object_array_length(fixture_get(j, "LoadBalancerDescriptions")));
	assert_null(c.next_token);
	assert_int_equal(c.n_reqs, 1);   /* nothing found, nothing followed */
	rt_collect_free(&c);
	json_object_put(j);
}

/* By ARN (the name after "loadbalancer/"): the card, the registered
 * instance, its health and name asked for, then its health read. */
static void test_elb_classic_awsdocs(void **state)
{
	struct search_term t = s_arn(&rt_elb_classic,
				     "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
				     "loadbalancer/my-loadbalancer", "my-loadbalancer");
	struct rt_collect c = { 0 };
	const struct res_resource *r;
	struct si_err err = { 0 };
	char line[256], *body;
	long i;

	(void)state;
	assert_int_equal(rt_collect_plan(&rt_elb_classic, &t, "us-east-1", S_ACCOUNT, 1, &c), 0);
	assert_int_equal(c.n_reqs, 1);
	assert_string_equal(s_param(&c, 0, "LoadBalancerNames.member.1"), "my-loadbalancer");
	s_replay_sample(&rt_elb_classic, &c, 0, &t, "us-east-1",
			"elb-describe-load-balancers.awsdocs.xml");
	assert_int_equal(c.result.n_matches, 1);
	r = rtt_res_at(&c, 0);
	assert_ptr_equal(r->type, &rt_elb_classic);
	assert_string_equal(r->id, "my-loadbalancer");
	assert_string_equal(r->arn, t.value);   /* written: the API returns none */
	assert_null(r->state);
	assert_string_equal(r->created, "2013-05-24T21:15:31.280Z");
	rtt_field_is(r, "Scheme", "internet-facing");
	rtt_field_is(r, "Listeners", "HTTP:80");
	rtt_field_is(r, "Zones", "us-east-1a");
	rtt_field_is(r, "Health check", "HTTP:80/");
	rtt_field_is(r, "DNS name", "my-loadbalancer-123456789.us-east-1.elb.amazonaws.com");
	assert_null(res_field(r, "Subnets"));          /* <Subnets/> */
	assert_null(res_field(r, "Security groups"));  /* <SecurityGroups/> */
	assert_true(rtt_has_dns(r, "my-loadbalancer-123456789.us-east-1.elb.amazonaws.com"));
	assert_int_equal(r->n_rels, 1);
	assert_string_equal(r->rels[0].kind, "target");
	assert_string_equal(r->rels[0].type, "instance");
	assert_string_equal(r->rels[0].id, "i-e4cbe38d");
	rt_elb_classic.summary(r, line, sizeof(line));
	assert_string_equal(line, "Classic ELB internet-facing · 1 target");
	rt_elb_classic.console_url(r, "us-east-1", line, sizeof(line));
	assert_string_equal(line, "https://us-east-1.console.aws.amazon.com/ec2/home?region="
			    "us-east-1#LoadBalancers:search=my-loadbalancer");

	i = s_find(&c, 1, "DescribeInstanceHealth");
	assert_true(i > 0);
	assert_int_equal(c.reqs[i].parent, 0);
	assert_string_equal(s_param(&c, i, "LoadBalancerName"), "my-loadbalancer");
	assert_string_equal(s_param(&c, s_find(&c, 1, "DescribeInstances"), "Filter.1.Value.1"),
			    "i-e4cbe38d");
	/* Edit: the documented unhealthy instance is the one registered. */
	body = rtt_subst(s_instance_health_doc, "i-fda142c9", "i-e4cbe38d");
	assert_int_equal(s_replay(&rt_elb_classic, &c, (size_t)i, &t, "us-east-1", body, &err), 0);
	free(body);
	r = rtt_res_at(&c, 0);
	assert_int_equal(r->n_rels, 1);
	assert_string_equal(r->rels[0].detail, "OutOfService (Instance)");
	rt_elb_classic.summary(r, line, sizeof(line));
	assert_string_equal(line, "Classic ELB internet-facing · 1 target, 1 unhealthy");
	/* As published: an instance the description did not list is added. */
	assert_int_equal(s_replay(&rt_elb_classic, &c, (size_t)i, &t, "us-east-1",
				  s_instance_health_doc, &err), 0);
	assert_int_equal(rtt_res_at(&c, 0)->n_rels, 2);
	assert_string_equal(rtt_res_at(&c, 0)->rels[1].id, "i-fda142c9");
	rt_collect_free(&c);
}

/* Name search over classic load balancers, and no ARN without the
 * account. */
static void test_elb_classic_name(void **state)
{
	struct search_term t = s_name("LoadBalancer", "loadbalancer");
	struct rt_collect c = { 0 };
	struct si_err err = { 0 };
	struct fixture_blob b = rtt_sample("elb-describe-load-balancers.awsdocs.xml");

	(void)state;
	assert_int_equal(rt_collect_plan(&rt_elb_classic, &t, "us-east-1", "", 1, &c), 0);
	assert_string_equal(s_param(&c, 0, "PageSize"), "400");
	assert_int_equal(rt_collect_answer(&rt_elb_classic, c.reqs[0].step, RT_NO_PARENT, &t,
					   "us-east-1", "", NULL, 0, b.data, b.len, &c, &err), 0);
	assert_int_equal(c.result.n_matches, 1);
	assert_null(rtt_res_at(&c, 0)->arn);
	rt_collect_free(&c);
	t = s_name("load-balancer", "load-balancer");
	assert_int_equal(s_list(&rt_elb_classic, &t, 0, "us-east-1", b.data, &c, &err), 0);
	assert_int_equal(c.result.n_matches, 0);
	rt_collect_free(&c);
	free(b.data);
}

/* ---- RDS ----------------------------------------------------------------- */

/* botocore's DescribeDBInstances fixture against botocore's parse. */
static void test_rds_instances_botocore(void **state)
{
	struct json_object *j = rtt_sample_json("rds-describe-db-instances.botocore.expected.json");
	struct json_object *jl = fixture_get(j, "DBInstances");
	struct search_term t = s_name("SIMCO", "simco");
	struct rt_collect c = { 0 };
	char want[256], line[256];

	(void)state;
	assert_int_equal(rt_collect_plan(&rt_db_instance, &t, "us-east-1", S_ACCOUNT, 1, &c), 0);
	assert_int_equal(c.n_reqs, 1);
	assert_string_equal(c.reqs[0].action, "DescribeDBInstances");
	assert_string_equal(s_param(&c, 0, "MaxRecords"), "100");
	s_replay_sample(&rt_db_instance, &c, 0, &t, "us-east-1",
			"rds-describe-db-instances.botocore.xml");
	assert_int_equal(c.result.n_matches, json_object_array_length(jl));
	for (size_t i = 0; i < c.result.n_matches; i++) {
		struct json_object *ji = json_object_array_get_idx(jl, i);
		struct json_object *ep = fixture_get(ji, "Endpoint"), *jr;
		const struct res_resource *r = rtt_res_at(&c, i);

		assert_ptr_equal(r->type, &rt_db_instance);
		assert_string_equal(r->id, rtt_jstr(ji, "DBInstanceIdentifier"));
		assert_string_equal(r->name, rtt_jstr(ji, "DBInstanceIdentifier"));
		assert_string_equal(r->state, rtt_jstr(ji, "DBInstanceStatus"));
		assert_string_equal(r->created, rtt_jstr(ji, "InstanceCreateTime"));
		snprintf(want, sizeof(want), "%s %s", rtt_jstr(ji, "Engine"),
			 rtt_jstr(ji, "EngineVersion"));
		rtt_field_is(r, "Engine", want);
		rtt_field_is(r, "Class", rtt_jstr(ji, "DBInstanceClass"));
		snprintf(want, sizeof(want), "%s:%d", rtt_jstr(ep, "Address"),
			 json_object_get_int(fixture_get(ep, "Port")));
		rtt_field_is(r, "Endpoint", want);
		rtt_field_is(r, "Multi-AZ",
			     json_object_get_boolean(fixture_get(ji, "MultiAZ")) ? "yes" : "no");
		rtt_field_is(r, "Zone", rtt_jstr(ji, "AvailabilityZone"));
		snprintf(want, sizeof(want), "%d GiB",
			 json_object_get_int(fixture_get(ji, "AllocatedStorage")));
		rtt_field_is(r, "Storage", want);
		assert_true(rtt_has_dns(r, rtt_jstr(ep, "Address")));
		jr = fixture_get(ji, "ReadReplicaDBInstanceIdentifiers");
		assert_int_equal(r->n_rels, json_object_array_length(jr));
		snprintf(want, sizeof(want), "%s · %s %s, %s", rtt_jstr(ji, "DBInstanceStatus"),
			 rtt_jstr(ji, "Engine"), rtt_jstr(ji, "EngineVersion"),
			 rtt_jstr(ji, "DBInstanceClass"));
		rt_db_instance.summary(r, line, sizeof(line));
		assert_string_equal(line, want);
		rt_db_instance.console_url(r, "us-east-1", line, sizeof(line));
		snprintf(want, sizeof(want), "https://us-east-1.console.aws.amazon.com/rds/home?"
			 "region=us-east-1#database:id=%s;is-cluster=false",
			 rtt_jstr(ji, "DBInstanceIdentifier"));
		assert_string_equal(line, want);
	}
	assert_null(c.next_token);
	rt_collect_free(&c);
	json_object_put(j);
}

/* What each term plans: identifier filters for ARNs and endpoints (the
 * API the endpoint's shape names), listings for names. */
static void test_rds_plans(void **state)
{
	struct {
		const struct rt_type *type;
		struct search_term term;
		const char *action, *filter, *value;   /* NULL action: nothing */
		size_t n_reqs;
	} cases[] = {
		{ &rt_db_instance, s_arn(&rt_db_instance, "arn:aws:rds:us-east-1:123456789012:db:"
					 "simcoprod01", "simcoprod01"),
		  "DescribeDBInstances", "db-instance-id", "simcoprod01", 1 },
		{ &rt_db_cluster, s_arn(&rt_db_cluster, "arn:aws:rds:us-east-1:123456789012:"
					"cluster:sample-cluster3", "sample-cluster3"),
		  "DescribeDBClusters", "db-cluster-id", "sample-cluster3", 1 },
		{ &rt_db_instance,
		  s_host(&rt_db_instance, "simcoprod01.cu7u2t4uz396.us-east-1.rds.amazonaws.com"),
		  "DescribeDBInstances", "db-instance-id", "simcoprod01", 1 },
		{ &rt_db_instance, s_host(&rt_db_instance, "sample-cluster3.cluster-cefgqfx9y5fy."
					  "us-east-1.rds.amazonaws.com"),
		  "DescribeDBClusters", "db-cluster-id", "sample-cluster3", 1 },
		{ &rt_db_instance, s_host(&rt_db_instance, "sample-cluster3.cluster-ro-"
					  "cefgqfx9y5fy.us-east-1.rds.amazonaws.com"),
		  "DescribeDBClusters", "db-cluster-id", "sample-cluster3", 1 },
		{ &rt_db_instance, s_host(&rt_db_instance, "reporting.cluster-custom-"
					  "cefgqfx9y5fy.us-east-1.rds.amazonaws.com"),
		  "DescribeDBClusters", NULL, NULL, 1 },
		{ &rt_db_instance, s_host(&rt_db_instance, "myproxy.proxy-cefgqfx9y5fy."
					  "us-east-1.rds.amazonaws.com"), NULL, NULL, NULL, 0 },
		{ &rt_db_instance, s_host(&rt_db_instance, "rds.amazonaws.com"),
		  "DescribeDBInstances", "db-instance-id", "rds", 1 },
		{ &rt_db_cluster, s_host(&rt_db_cluster, "x.y.us-east-1.rds.amazonaws.com"), NULL,
		  NULL, NULL, 0 },
		{ &rt_db_cluster, s_name("x", "x"), "DescribeDBClusters", NULL, NULL, 1 },
		{ &rt_db_instance, s_arn(&rt_db_cluster, "arn:aws:rds:us-east-1:1:cluster:x", "x"),
		  NULL, NULL, NULL, 0 },
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct rt_collect c = { 0 };

		assert_int_equal(rt_collect_plan(cases[k].type, &cases[k].term, "us-east-1",
						 S_ACCOUNT, 1, &c), 0);
		assert_int_equal(c.n_reqs, cases[k].n_reqs);
		if (cases[k].action != NULL) {
			assert_string_equal(c.reqs[0].service, "rds");
			assert_string_equal(c.reqs[0].action, cases[k].action);
			if (cases[k].filter != NULL) {
				assert_string_equal(s_param(&c, 0, "Filters.Filter.1.Name"),
						    cases[k].filter);
				assert_string_equal(
					s_param(&c, 0, "Filters.Filter.1.Values.Value.1"),
					cases[k].value);
			} else {
				assert_string_equal(s_param(&c, 0, "MaxRecords"), "100");
			}
		}
		rt_collect_free(&c);
	}
	/* An endpoint whose first label is no identifier lists both APIs. */
	{
		char host[160];
		struct rt_collect c = { 0 };
		struct search_term t;

		memset(host, 'a', 70);
		snprintf(host + 70, sizeof(host) - 70, ".x.us-east-1.rds.amazonaws.com");
		t = s_host(&rt_db_instance, host);
		assert_int_equal(rt_collect_plan(&rt_db_instance, &t, "us-east-1", S_ACCOUNT, 1,
						 &c), 0);
		assert_int_equal(c.n_reqs, 2);
		assert_true(s_find(&c, 0, "DescribeDBInstances") >= 0);
		assert_true(s_find(&c, 0, "DescribeDBClusters") >= 0);
		rt_collect_free(&c);
	}
}

/* Endpoints: the instance kept only for its own address. */
static void test_rds_instance_endpoint(void **state)
{
	struct {
		const char *host;
		size_t kept;
	} cases[] = {
		{ "simcoprod01.cu7u2t4uz396.us-east-1.rds.amazonaws.com", 1 },
		{ "simcoprod01.zzzzzzzzzzzz.us-east-1.rds.amazonaws.com", 0 },
	};
	struct fixture_blob b = rtt_sample("rds-describe-db-instances.botocore.xml");

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct search_term t = s_host(&rt_db_instance, cases[k].host);
		struct rt_collect c = { 0 };
		struct si_err err = { 0 };

		assert_int_equal(s_list(&rt_db_instance, &t, 0, "us-east-1", b.data, &c, &err), 0);
		assert_int_equal(c.result.n_matches, cases[k].kept);
		rt_collect_free(&c);
	}
	free(b.data);
}

/* The documented DescribeDBClusters answer: by writer, reader and custom
 * endpoint, by name, members as writer and reader. */
static void test_rds_clusters(void **state)
{
	/* Edit: a reader and a custom endpoint beside sample-cluster3's. */
	static const char ep[] = "<Endpoint>sample-cluster3.cluster-cefgqfx9y5fy.us-east-1.rds."
				 "amazonaws.com</Endpoint>";
	static const char more[] =
		"<Endpoint>sample-cluster3.cluster-cefgqfx9y5fy.us-east-1.rds.amazonaws.com"
		"</Endpoint><ReaderEndpoint>sample-cluster3.cluster-ro-cefgqfx9y5fy.us-east-1.rds."
		"amazonaws.com</ReaderEndpoint><CustomEndpoints><member>reporting.cluster-custom-"
		"cefgqfx9y5fy.us-east-1.rds.amazonaws.com</member></CustomEndpoints>";
	struct {
		struct search_term term;
		int edited;
		const char *kept;
	} cases[] = {
		{ s_host(&rt_db_instance, "sample-cluster3.cluster-cefgqfx9y5fy.us-east-1.rds."
			 "amazonaws.com"), 0, "sample-cluster3" },
		{ s_host(&rt_db_instance, "sample-cluster3.cluster-ro-cefgqfx9y5fy.us-east-1.rds."
			 "amazonaws.com"), 1, "sample-cluster3" },
		{ s_host(&rt_db_instance, "sample-cluster3.cluster-ro-cefgqfx9y5fy.us-east-1.rds."
			 "amazonaws.com"), 0, NULL },
		{ s_host(&rt_db_instance, "reporting.cluster-custom-cefgqfx9y5fy.us-east-1.rds."
			 "amazonaws.com"), 1, "sample-cluster3" },
		{ s_name("CLUSTER2", "cluster2"), 0, "sample-cluster2" },
	};
	struct fixture_blob b = rtt_sample("rds-describe-db-clusters.awsdocs.xml");
	char *edited = rtt_subst(b.data, ep, more);

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct rt_type *planner = cases[k].term.kind == SEARCH_TERM_HOST
							? &rt_db_instance : &rt_db_cluster;
		struct rt_collect c = { 0 };
		struct si_err err = { 0 };

		assert_int_equal(s_list(planner, &cases[k].term, 0, "us-east-1",
					cases[k].edited ? edited : b.data, &c, &err), 0);
		assert_string_equal(c.reqs[0].action, "DescribeDBClusters");
		assert_int_equal(c.result.n_matches, cases[k].kept != NULL);
		if (cases[k].kept != NULL) {
			assert_ptr_equal(rtt_res_at(&c, 0)->type, &rt_db_cluster);
			assert_string_equal(rtt_res_at(&c, 0)->id, cases[k].kept);
		}
		rt_collect_free(&c);
	}
	{
		struct search_term t = s_name("Sample-Cluster", "sample-cluster");
		struct rt_collect c = { 0 };
		struct si_err err = { 0 };
		const struct res_resource *r;
		char line[256];

		assert_int_equal(s_list(&rt_db_cluster, &t, 0, "us-east-1", edited, &c, &err), 0);
		assert_int_equal(c.result.n_matches, 2);
		r = rtt_res_at(&c, 0);
		assert_string_equal(r->id, "sample-cluster2");
		assert_string_equal(r->state, "available");
		rtt_field_is(r, "Engine", "aurora-mysql 8.0.mysql_aurora.3.01.0");
		rtt_field_is(r, "Endpoint",
			     "sample-cluster2.cluster-cbfvmgb0y5fy.us-east-1.rds.amazonaws.com");
		rtt_field_is(r, "Subnet group", "my-subgroup");
		assert_int_equal(r->n_rels, 0);   /* <DBClusterMembers/> */
		rt_db_cluster.summary(r, line, sizeof(line));
		assert_string_equal(line, "available · aurora-mysql 8.0.mysql_aurora.3.01.0 · "
				    "no members");
		r = rtt_res_at(&c, 1);
		assert_int_equal(r->n_rels, 2);
		assert_string_equal(r->rels[0].kind, "member");
		assert_string_equal(r->rels[0].type, "db-instance");
		assert_string_equal(r->rels[0].id, "sample-cluster3-master");
		assert_string_equal(r->rels[0].detail, "writer");
		assert_string_equal(r->rels[1].id, "sample-cluster3-read1");
		assert_string_equal(r->rels[1].detail, "reader");
		assert_int_equal(r->n_dns, 3);
		rt_db_cluster.summary(r, line, sizeof(line));
		assert_string_equal(line, "available · aurora-mysql 8.0.mysql_aurora.3.01.0 · "
				    "2 members, 1 writer");
		rt_db_cluster.console_url(r, "us-east-1", line, sizeof(line));
		assert_string_equal(line, "https://us-east-1.console.aws.amazon.com/rds/home?"
				    "region=us-east-1#database:id=sample-cluster3;is-cluster=true");
		rt_collect_free(&c);
	}
	free(edited);
	free(b.data);
}

/* RDS pages by Marker, in the request and in the answer. */
static void test_rds_pages(void **state)
{
	struct search_term t = s_name("x", "x");
	struct rt_collect c = { 0 };
	struct si_err err = { 0 };
	/* Edit: a Marker after the list, as a truncated listing sends. */
	char *body = s_edited("rds-describe-db-instances.botocore.xml", "</DBInstances>",
			      "</DBInstances><Marker>bWFya2Vy</Marker>");

	(void)state;
	assert_int_equal(s_list(&rt_db_instance, &t, 0, "us-east-1", body, &c, &err), 0);
	assert_string_equal(c.next_token, "bWFya2Vy");
	assert_string_equal(c.reqs[0].page_param, "Marker");
	free(body);
	rt_collect_free(&c);
	body = s_edited("rds-describe-db-clusters.awsdocs.xml", "</DBClusters>",
			"</DBClusters><Marker>Y2x1c3Rlcg==</Marker>");
	assert_int_equal(s_list(&rt_db_cluster, &t, 0, "us-east-1", body, &c, &err), 0);
	assert_string_equal(c.next_token, "Y2x1c3Rlcg==");
	free(body);
	rt_collect_free(&c);
}

/* ---- Auto Scaling ---------------------------------------------------- */

static void test_asg_botocore(void **state)
{
	struct json_object *j = rtt_sample_json("autoscaling-describe-auto-scaling-groups.botocore."
						"expected.json");
	struct search_term t = s_name("a", "a");
	struct rt_collect c = { 0 };

	(void)state;
	assert_int_equal(rt_collect_plan(&rt_asg, &t, "us-east-1", S_ACCOUNT, 1, &c), 0);
	s_replay_sample(&rt_asg, &c, 0, &t, "us-east-1",
			"autoscaling-describe-auto-scaling-groups.botocore.xml");
	assert_int_equal(c.result.n_matches,
			 json_object_array_length(fixture_get(j, "AutoScalingGroups")));
	assert_null(c.next_token);
	rt_collect_free(&c);
	json_object_put(j);
}

static void test_asg_awsdocs(void **state)
{
	static const char arn[] = "arn:aws:autoscaling:us-east-1:123456789012:"
				  "autoScalingGroup:12345678-1234-1234-1234-123456789012:"
				  "autoScalingGroupName/my-asg";
	struct search_term t = s_arn(&rt_asg, arn, "12345678-1234-1234-1234-123456789012:"
				     "autoScalingGroupName/my-asg");
	struct rt_collect c = { 0 };
	const struct res_resource *r;
	char line[256];

	(void)state;
	assert_int_equal(rt_collect_plan(&rt_asg, &t, "us-east-1", S_ACCOUNT, 1, &c), 0);
	assert_int_equal(c.n_reqs, 1);
	assert_string_equal(c.reqs[0].action, "DescribeAutoScalingGroups");
	assert_string_equal(s_param(&c, 0, "AutoScalingGroupNames.member.1"), "my-asg");
	s_replay_sample(&rt_asg, &c, 0, &t, "us-east-1",
			"autoscaling-describe-auto-scaling-groups.awsdocs.xml");
	assert_int_equal(c.result.n_matches, 1);
	r = rtt_res_at(&c, 0);
	assert_ptr_equal(r->type, &rt_asg);
	assert_string_equal(r->id, "my-asg");
	assert_string_equal(r->name, "my-asg");
	assert_string_equal(r->arn, arn);
	assert_string_equal(r->created, "2023-05-06T17:47:15.107Z");
	assert_null(r->state);   /* <Status /> */
	rtt_field_is(r, "Capacity", "min 2, desired 2, max 10");
	rtt_field_is(r, "Launch configuration", "my-lc");
	assert_null(res_field(r, "Launch template"));   /* <LaunchTemplate /> */
	rtt_field_is(r, "Subnets", "subnet-057fa0918fEXAMPLE, subnet-610acd08EXAMPLE");
	rtt_field_is(r, "Zones", "us-east-1a, us-east-1b");
	rtt_field_is(r, "Health check", "ELB, grace 300 s");
	assert_null(res_field(r, "Load balancers"));
	assert_string_equal(res_tag(r, "environment"), "test");
	assert_int_equal(r->n_rels, 1);
	assert_string_equal(r->rels[0].kind, "instance");
	assert_string_equal(r->rels[0].type, "instance");
	assert_string_equal(r->rels[0].id, "i-1234567890abcdef0");
	assert_string_equal(r->rels[0].detail, "InService, Healthy");
	rt_asg.summary(r, line, sizeof(line));
	assert_string_equal(line, "min 2, desired 2, max 10 · 1 instance, all InService");
	rt_asg.console_url(r, "us-east-1", line, sizeof(line));
	assert_string_equal(line, "https://us-east-1.console.aws.amazon.com/ec2/home?region="
			    "us-east-1#AutoScalingGroupDetails:id=my-asg;view=details");
	rt_collect_free(&c);
}

/* Name search, NextToken pages, unhealthy instances, target groups, a
 * launch template, and an ARN without a group name. */
static void test_asg_name_pages_and_edits(void **state)
{
	struct search_term t = s_name("My-ASG", "my-asg");
	struct rt_collect c = { 0 };
	struct si_err err = { 0 };
	const struct res_resource *r;
	char *body, *b2, *b3, line[256];

	(void)state;
	/* Edits: a page token; the instance unhealthy; a target group; a
	 * launch template. */
	body = s_edited("autoscaling-describe-auto-scaling-groups.awsdocs.xml",
			"</AutoScalingGroups>",
			"</AutoScalingGroups><NextToken>dG9rZW4=</NextToken>");
	b2 = rtt_subst(body, "<HealthStatus>Healthy</HealthStatus>",
		       "<HealthStatus>Unhealthy</HealthStatus>");
	b3 = rtt_subst(b2, "<TargetGroupARNs />", "<TargetGroupARNs><member>arn:aws:"
		       "elasticloadbalancing:us-east-1:123456789012:targetgroup/my-targets/"
		       "73e2d6bc24d8a067</member></TargetGroupARNs>");
	free(body);
	body = rtt_subst(b3, "<LaunchTemplate />", "<LaunchTemplate><LaunchTemplateId>"
			 "lt-0123456789abcdef0</LaunchTemplateId><LaunchTemplateName>my-template"
			 "</LaunchTemplateName><Version>$Latest</Version></LaunchTemplate>");
	free(b2);
	free(b3);
	assert_int_equal(s_list(&rt_asg, &t, 0, "us-east-1", body, &c, &err), 0);
	assert_string_equal(c.reqs[0].page_param, "NextToken");
	assert_string_equal(s_param(&c, 0, "MaxRecords"), "50");
	assert_string_equal(c.next_token, "dG9rZW4=");
	assert_int_equal(c.result.n_matches, 1);
	r = rtt_res_at(&c, 0);
	rtt_field_is(r, "Launch template", "my-template (lt-0123456789abcdef0), version $Latest");
	assert_int_equal(r->n_rels, 2);
	assert_string_equal(r->rels[1].kind, "target group");
	assert_string_equal(r->rels[1].name, "my-targets");
	rt_asg.summary(r, line, sizeof(line));
	assert_string_equal(line, "min 2, desired 2, max 10 · 1 instance, 1 unhealthy");
	rt_collect_free(&c);

	t = s_name("other", "other");
	assert_int_equal(s_list(&rt_asg, &t, 0, "us-east-1", body, &c, &err), 0);
	assert_int_equal(c.result.n_matches, 0);
	rt_collect_free(&c);
	free(body);

	t = s_arn(&rt_asg, "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:u", "u");
	assert_int_equal(rt_collect_plan(&rt_asg, &t, "us-east-1", S_ACCOUNT, 1, &c), 0);
	assert_int_equal(c.n_reqs, 0);
	rt_collect_free(&c);
}

/* ---- hostile and broken answers ---------------------------------------- */

/* n copies of item inside root/result/list. */
static char *s_many(const char *root, const char *result, const char *list, const char *item,
		    size_t n)
{
	struct si_buf b;
	char *s;

	si_buf_init(&b, 0);
	assert_int_equal(si_buf_printf(&b, NULL, "<%s><%s><%s>", root, result, list), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(si_buf_puts(&b, item, NULL), 0);
	assert_int_equal(si_buf_printf(&b, NULL, "</%s></%s></%s>", list, result, root), 0);
	s = si_buf_steal(&b);
	assert_non_null(s);
	return s;
}

/* Each answer parser refuses what a call does not return, and over-long
 * lists, with an error and without a crash or a leak (valgrind). */
/* ---- listings (SEARCH_TERM_LIST) ------------------------------------------ */

/* Occurrences of lit in s. */
static size_t s_occurs(const char *s, const char *lit)
{
	size_t n = 0;

	while ((s = strstr(s, lit)) != NULL) {
		n++;
		s += strlen(lit);
	}
	return n;
}

/* A listing of t answered with sample name: one planned request, every
 * item kept (the file holds item_lit once per item) and no follow-up
 * asked for. Returns the collection (rt_collect_free). */
static void s_list_sample(const struct rt_type *t, const char *name, const char *item_lit,
			  struct rt_collect *c)
{
	const struct search_term term = { .kind = SEARCH_TERM_LIST, .value = "" };
	struct fixture_blob b = rtt_sample(name);
	struct si_err err = { 0 };
	size_t want = s_occurs(b.data, item_lit);

	assert_true(want > 0);
	memset(c, 0, sizeof(*c));
	if (s_list(t, &term, 0, "us-west-2", b.data, c, &err) != 0)
		fail_msg("%s listing %s: %s", t->name, name, err.msg);
	if (c->n_reqs != 1)
		fail_msg("%s listing: %zu requests, wanted the listing alone", t->name, c->n_reqs);
	assert_non_null(c->reqs[0].page_param);
	if (c->result.n_matches != want)
		fail_msg("%s listing kept %zu of %zu", t->name, c->result.n_matches, want);
	for (size_t i = 0; i < want; i++)
		assert_ptr_equal(rtt_res_at(c, i)->type, t);
	free(b.data);
}

/* Each type's listing keeps every item; the load balancers ask for no
 * listener, group, health or name (the ELB module's top comment says
 * why), where a name search of the same answer asks for them. */
static void test_listings(void **state)
{
	const struct search_term name = s_name("my-load-balancer", "my-load-balancer");
	struct rt_collect c;
	struct si_err err = { 0 };
	struct fixture_blob b;

	(void)state;
	s_list_sample(&rt_elbv2, S_V2_LBS, "<LoadBalancerName>", &c);
	assert_non_null(rtt_res(&c, "my-load-balancer")->arn);
	rt_collect_free(&c);
	s_list_sample(&rt_elb_classic, "elb-describe-load-balancers.awsdocs.xml",
		      "<LoadBalancerName>", &c);
	/* Its registered instance, as described, health not asked for. */
	assert_true(rtt_has_rel(rtt_res_at(&c, 0), "target", "i-e4cbe38d", NULL));
	assert_null(rtt_rel(rtt_res_at(&c, 0), "target", "i-e4cbe38d")->detail);
	rt_collect_free(&c);
	s_list_sample(&rt_db_instance, "rds-describe-db-instances.botocore.xml", "<DBInstance>",
		      &c);
	rt_collect_free(&c);
	s_list_sample(&rt_db_cluster, "rds-describe-db-clusters.awsdocs.xml", "<DBCluster>", &c);
	rt_collect_free(&c);
	s_list_sample(&rt_asg, "autoscaling-describe-auto-scaling-groups.awsdocs.xml",
		      "<AutoScalingGroupName>", &c);
	rt_collect_free(&c);

	b = rtt_sample(S_V2_LBS);
	memset(&c, 0, sizeof(c));
	assert_int_equal(s_list(&rt_elbv2, &name, 0, "us-west-2", b.data, &c, &err), 0);
	assert_true(s_find(&c, 0, "DescribeListeners") > 0);
	assert_true(s_find(&c, 0, "DescribeTargetGroups") > 0);
	rt_collect_free(&c);
	free(b.data);
}

static void test_malformed(void **state)
{
	struct search_term name = s_name("x", "x");
	const struct rt_type *types[] = { &rt_elbv2, &rt_elb_classic, &rt_db_instance,
					  &rt_db_cluster, &rt_asg };
	char *many[] = {
		s_many("DescribeLoadBalancersResponse", "DescribeLoadBalancersResult",
		       "LoadBalancers", "<member/>", 401),
		s_many("DescribeLoadBalancersResponse", "DescribeLoadBalancersResult",
		       "LoadBalancerDescriptions", "<member/>", 401),
		s_many("DescribeDBInstancesResponse", "DescribeDBInstancesResult", "DBInstances",
		       "<DBInstance/>", 101),
		s_many("DescribeDBClustersResponse", "DescribeDBClustersResult", "DBClusters",
		       "<DBCluster/>", 101),
		s_many("DescribeAutoScalingGroupsResponse", "DescribeAutoScalingGroupsResult",
		       "AutoScalingGroups", "<member/>", 101),
	};
	const char *roots[] = { "DescribeLoadBalancersResponse", "DescribeLoadBalancersResponse",
				"DescribeDBInstancesResponse", "DescribeDBClustersResponse",
				"DescribeAutoScalingGroupsResponse" };
	struct fixture_blob errs[] = {
		rtt_sample("elb-describe-load-balancers.error-loadbalancernotfound.botocore.xml"),
		rtt_sample("elb-describe-load-balancers.error-loadbalancernotfound.botocore.xml"),
		rtt_sample("rds-describe-db-instances.error-dbinstancenotfound.botocore.xml"),
		rtt_sample("rds-describe-db-instances.error-dbinstancenotfound.botocore.xml"),
		rtt_sample("autoscaling-delete-policy.error-validationerror.botocore.xml"),
	};
	struct fixture_blob other = rtt_sample("ec2-describe-instances.awsdocs.xml");

	(void)state;
	for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		char bare[128], half[64];
		const char *bodies[] = { "", "not xml", "<a><b>", bare, half, other.data,
					 many[k], errs[k].data };
		enum si_err_code codes[] = { SI_ERR_INVALID, SI_ERR_INVALID, SI_ERR_INVALID,
					     SI_ERR_INVALID, SI_ERR_INVALID, SI_ERR_INVALID,
					     SI_ERR_LIMIT, SI_ERR_REMOTE };

		snprintf(bare, sizeof(bare), "<%s/>", roots[k]);
		snprintf(half, sizeof(half), "<%s><Describe", roots[k]);
		for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
			struct rt_collect c = { 0 };
			struct si_err err = { 0 };

			assert_int_equal(rt_collect_plan(types[k], &name, "us-east-1", S_ACCOUNT, 1,
							 &c), 0);
			if (s_replay(types[k], &c, 0, &name, "us-east-1", bodies[i], &err) != -1)
				fail_msg("%s accepted body %zu", types[k]->name, i);
			if (err.code != codes[i])
				fail_msg("%s body %zu: code %d (%s)", types[k]->name, i,
					 (int)err.code, err.msg);
			assert_true(err.msg[0] != '\0');
			assert_int_equal(c.result.n_matches, 0);
			rt_collect_free(&c);
		}
		free(many[k]);
		free(errs[k].data);
	}
	free(other.data);
}

/* Follow-up answers: broken bodies refused, a step the module never
 * planned refused, a follow-up without its load balancer refused. */
static void test_malformed_followups(void **state)
{
	struct search_term t = s_v2_term();
	const char *actions[] = { "DescribeListeners", "DescribeTargetGroups" };
	struct rt_collect c = { 0 };
	struct si_err err = { 0 };
	struct fixture_blob b;
	char *many;
	long i;

	(void)state;
	assert_int_equal(rt_collect_plan(&rt_elbv2, &t, "us-west-2", S_ACCOUNT, 1, &c), 0);
	s_replay_sample(&rt_elbv2, &c, 0, &t, "us-west-2", S_V2_LBS);
	for (size_t k = 0; k < 2; k++) {
		i = s_find(&c, 0, actions[k]);
		assert_int_equal(s_replay(&rt_elbv2, &c, (size_t)i, &t, "us-west-2", "<x/>", &err),
				 -1);
		assert_int_equal(err.code, SI_ERR_INVALID);
	}
	s_replay_sample(&rt_elbv2, &c, (size_t)s_find(&c, 0, "DescribeTargetGroups"), &t,
			"us-west-2", "elbv2-describe-target-groups.awsdocs.xml");
	i = s_find(&c, 0, "DescribeTargetHealth");
	many = s_many("DescribeTargetHealthResponse", "DescribeTargetHealthResult",
		      "TargetHealthDescriptions", "<member/>", 1001);
	assert_int_equal(s_replay(&rt_elbv2, &c, (size_t)i, &t, "us-west-2", many, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	free(many);
	/* Members without what they should hold add nothing, and no call. */
	many = s_many("DescribeTargetHealthResponse", "DescribeTargetHealthResult",
		      "TargetHealthDescriptions", "<member/>", 3);
	{
		size_t before = c.n_reqs, rels = rtt_res_at(&c, 0)->n_rels;

		assert_int_equal(s_replay(&rt_elbv2, &c, (size_t)i, &t, "us-west-2", many, &err),
				 0);
		assert_int_equal(c.n_reqs, before);
		assert_int_equal(rtt_res_at(&c, 0)->n_rels, rels);
	}
	free(many);
	/* The names answer must be a DescribeInstances answer. */
	i = s_find(&c, 0, "DescribeInstances");
	assert_true(i < 0);
	b = rtt_sample("elbv2-describe-target-health.awsdocs.xml");
	assert_int_equal(rt_collect_answer(&rt_elbv2, c.reqs[s_find(&c, 0, "DescribeTargetHealth")]
					   .step, RT_NO_PARENT, &t, "us-west-2", S_ACCOUNT, NULL,
					   0, b.data, b.len, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_INTERNAL);
	assert_int_equal(rt_collect_answer(&rt_elbv2, 9999, RT_NO_PARENT, &t, "us-west-2",
					   S_ACCOUNT, NULL, 0, b.data, b.len, &c, &err), -1);
	assert_int_equal(rt_collect_answer(&rt_db_instance, 9999, RT_NO_PARENT, &t, "us-west-2",
					   S_ACCOUNT, NULL, 0, b.data, b.len, &c, &err), -1);
	assert_int_equal(rt_collect_answer(&rt_asg, 9999, RT_NO_PARENT, &t, "us-west-2",
					   S_ACCOUNT, NULL, 0, b.data, b.len, &c, &err), -1);
	free(b.data);
	rt_collect_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types_declared),
		cmocka_unit_test(test_registry_claims),
		cmocka_unit_test(test_plans_use_declared_actions),
		cmocka_unit_test(test_plan_other_target),
		cmocka_unit_test(test_elbv2_chain),
		cmocka_unit_test(test_elbv2_target_names),
		cmocka_unit_test(test_elbv2_health_kinds),
		cmocka_unit_test(test_elbv2_dns),
		cmocka_unit_test(test_elbv2_dns_plans_classic),
		cmocka_unit_test(test_elbv2_name_and_pages),
		cmocka_unit_test(test_elbv2_long_list),
		cmocka_unit_test(test_console_links_encoded),
		cmocka_unit_test(test_elb_check),
		cmocka_unit_test(test_elb_classic_botocore),
		cmocka_unit_test(test_elb_classic_awsdocs),
		cmocka_unit_test(test_elb_classic_name),
		cmocka_unit_test(test_rds_instances_botocore),
		cmocka_unit_test(test_rds_plans),
		cmocka_unit_test(test_rds_instance_endpoint),
		cmocka_unit_test(test_rds_clusters),
		cmocka_unit_test(test_rds_pages),
		cmocka_unit_test(test_asg_botocore),
		cmocka_unit_test(test_asg_awsdocs),
		cmocka_unit_test(test_asg_name_pages_and_edits),
		cmocka_unit_test(test_listings),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_followups),
	};
	int rc;

	xmlInitParser();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
