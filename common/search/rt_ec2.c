/*
 * rt_ec2.c - the two types of the first version: EC2 instances and
 * network interfaces, answered with their own structs (aws/ec2_types.h)
 * because the cards, the audit and the tests of the first version read
 * them field by field.
 *
 * Addresses are looked up on network interfaces, which hold every private
 * (primary and secondary), public and IPv6 address of every instance, and
 * of load balancers, NAT gateways, Lambda functions and endpoints too.
 * Filters of different names are AND-ed by AWS, so private and public need
 * a call each; the owning instances are fetched by id once their
 * interfaces are known.
 *
 * A listing (SEARCH_TERM_LIST, the inventory crawler) asks for every
 * instance (terminated ones too, while AWS still shows them: their
 * StateTransitionReason ends an address's history) and every interface,
 * each one paged call. Of the interfaces only those not attached to an
 * instance are kept, and their instances are not asked for: an
 * instance's own listing carries each of its interfaces (id, private,
 * public and IPv6 addresses), so keeping the attached ones would name two
 * holders of one address, and asking for their instances would repeat
 * the instance listing. No filter selects "not attached to an instance"
 * (load balancer and endpoint interfaces are "attached" too), so the
 * listing is of all of them, narrowed here.
 */
#include "search/private/types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/xml.h"

#define S_EC2 "ec2"
#define S_VERSION "2016-11-15"
/* Per page: AWS allows 5..1000 for DescribeInstances. 200 keeps a page of
 * the richest real instances (~450 XML elements each) well under
 * AWS_XML_MAX_NODES, so the element cap only ever refuses hostile pages,
 * and keeps each answer's tree small (issue 11). */
#define S_PAGE_SIZE "200"
/* Instance ids of attached interfaces looked up per follow-up call. */
#define S_MAX_IDS_PER_CALL 50

enum { S_STEP_INSTANCES, S_STEP_ENIS, S_STEP_CHECK };

/* One describe call with one filter (and MaxResults, paged). */
static int s_filter(struct rt_plan *p, const char *action, int step, const char *filter,
		    const char *value)
{
	const struct aws_query_param params[] = {
		{ "Filter.1.Name", filter }, { "Filter.1.Value.1", value },
		{ "MaxResults", S_PAGE_SIZE },
	};
	const struct rt_request rq = {
		.service = S_EC2, .proto = AWS_PROTO_QUERY, .action = action,
		.version = S_VERSION, .params = params, .n_params = 3,
		.page_param = "NextToken", .step = step, .parent = RT_NO_PARENT,
	};

	return rt_plan_request(p, &rq);
}

/* Everything of an action in the target, paged (SEARCH_TERM_LIST). */
static int s_list(struct rt_plan *p, const char *action, int step)
{
	const struct aws_query_param params[] = { { "MaxResults", S_PAGE_SIZE } };
	const struct rt_request rq = {
		.service = S_EC2, .proto = AWS_PROTO_QUERY, .action = action,
		.version = S_VERSION, .params = params, .n_params = 1,
		.page_param = "NextToken", .step = step, .parent = RT_NO_PARENT,
	};

	return rt_plan_request(p, &rq);
}

/* The cheapest call of an action, for --check-config. */
static int s_check(struct rt_plan *p, const char *action)
{
	const struct aws_query_param params[] = { { "MaxResults", "5" } };
	const struct rt_request rq = {
		.service = S_EC2, .proto = AWS_PROTO_QUERY, .action = action,
		.version = S_VERSION, .params = params, .n_params = 1,
		.step = S_STEP_CHECK, .parent = RT_NO_PARENT,
	};

	return rt_plan_request(p, &rq);
}

/* The id a term names: its value, or an ARN's resource part. */
static const char *s_id(const struct search_term *t)
{
	return t->kind == SEARCH_TERM_ARN && t->resource != NULL ? t->resource : t->value;
}

/* Why each kind becomes the filter it does: instance ids go through a
 * filter so an id unknown in a target is an empty answer, EC2 DNS names
 * through the DNS filters (the classifier decoded what it could), and a
 * Name through the case-folded window of rt_ec2_name_filter. */
static int s_instance_plan(struct rt_plan *p)
{
	const struct search_term *t = p->term;

	switch (t->kind) {
	case SEARCH_TERM_INSTANCE_ID:
	case SEARCH_TERM_ID:
	case SEARCH_TERM_ARN:
		/* A filter, not InstanceId.1: an id unknown in this account is
		 * an empty answer, not an InvalidInstanceID.NotFound error. */
		return s_filter(p, "DescribeInstances", S_STEP_INSTANCES, "instance-id", s_id(t));
	case SEARCH_TERM_PRIVATE_DNS:
		return s_filter(p, "DescribeInstances", S_STEP_INSTANCES, "private-dns-name",
				t->value);
	case SEARCH_TERM_PUBLIC_DNS:
		return s_filter(p, "DescribeInstances", S_STEP_INSTANCES, "dns-name", t->value);
	case SEARCH_TERM_NAME: {
		struct aws_query_param params[RT_MAX_PARAMS];
		char storage[RT_NAME_STORAGE];
		size_t n = rt_ec2_name_filter(t->value, 1, params, storage, sizeof(storage));
		struct rt_request rq = {
			.service = S_EC2, .proto = AWS_PROTO_QUERY, .action = "DescribeInstances",
			.version = S_VERSION, .params = params, .page_param = "NextToken",
			.step = S_STEP_INSTANCES, .parent = RT_NO_PARENT,
		};

		if (n == 0)
			return 0;
		params[n++] = (struct aws_query_param){ "MaxResults", S_PAGE_SIZE };
		rq.n_params = n;
		return rt_plan_request(p, &rq);
	}
	case SEARCH_TERM_CHECK:
		return s_check(p, "DescribeInstances");
	case SEARCH_TERM_LIST:
		return t->type == NULL || t->type == &rt_instance ?
			       s_list(p, "DescribeInstances", S_STEP_INSTANCES) : 0;
	default:
		return 0;
	}
}

/* The Name tag holds needle (lower case), compared case-insensitively. */
static int s_name_has(const struct ec2_instance *in, const char *needle_lc)
{
	const char *n = ec2_tag_get(in->tags, in->n_tags, "Name");

	return n != NULL && strcasestr(n, needle_lc) != NULL;
}

static int s_instance_answer(struct rt_answer *a, const char *body, size_t len,
			     struct si_err *err)
{
	struct ec2_instance_list l;

	memset(&l, 0, sizeof(l));
	if (aws_xml_parse_describe_instances(body, len, &l, err) != 0)
		return -1;
	/* The filter sent a case-folded window of the term (a superset):
	 * keep what holds the whole term. */
	if (a->term->kind == SEARCH_TERM_NAME && a->term->name_lc != NULL)
		for (size_t i = 0; i < l.n; i++)
			if (!s_name_has(&l.items[i], a->term->name_lc))
				ec2_instance_clear(&l.items[i]);
	rt_take_instances(a, &l);
	if (rt_next_page(a, l.next_token) != 0) {
		ec2_instance_list_free(&l);
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	ec2_instance_list_free(&l);
	return 0;
}

static void s_instance_url(const struct res_resource *r, const char *region, char *out,
			   size_t n)
{
	(void)r;
	(void)region;
	if (n > 0)
		out[0] = '\0';      /* the instance card builds its own links */
}

static int s_eni_plan(struct rt_plan *p)
{
	const struct search_term *t = p->term;

	switch (t->kind) {
	case SEARCH_TERM_ENI_ID:
	case SEARCH_TERM_ID:
	case SEARCH_TERM_ARN:
		return s_filter(p, "DescribeNetworkInterfaces", S_STEP_ENIS,
				"network-interface-id", s_id(t));
	case SEARCH_TERM_IPV4:
		if (s_filter(p, "DescribeNetworkInterfaces", S_STEP_ENIS,
			     "addresses.private-ip-address", t->value) != 0)
			return -1;
		return s_filter(p, "DescribeNetworkInterfaces", S_STEP_ENIS,
				"association.public-ip", t->value);
	case SEARCH_TERM_IPV6:
		return s_filter(p, "DescribeNetworkInterfaces", S_STEP_ENIS,
				"ipv6-addresses.ipv6-address", t->value);
	case SEARCH_TERM_CHECK:
		return s_check(p, "DescribeNetworkInterfaces");
	case SEARCH_TERM_LIST:
		return t->type == NULL || t->type == &rt_eni ?
			       s_list(p, "DescribeNetworkInterfaces", S_STEP_ENIS) : 0;
	default:
		return 0;
	}
}

/* Ask for the instances of ids[0..n) (one follow-up call). */
static int s_follow_instances(struct rt_answer *a, char (*names)[32], const char **ids, size_t n)
{
	struct aws_query_param params[S_MAX_IDS_PER_CALL];
	const struct rt_request rq = {
		.service = S_EC2, .proto = AWS_PROTO_QUERY, .action = "DescribeInstances",
		.version = S_VERSION, .params = params, .n_params = n,
		.step = S_STEP_INSTANCES, .parent = RT_NO_PARENT,
	};

	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "InstanceId.%zu", i + 1);
		params[i] = (struct aws_query_param){ names[i], ids[i] };
	}
	return n > 0 ? rt_follow(a, &rq) : 0;
}

/* Interfaces attached to an instance are reported as that instance,
 * fetched by id in follow-up calls of at most S_MAX_IDS_PER_CALL ids; the
 * others (load balancers, NAT gateways, Lambda, endpoints) are matches of
 * their own. The follow-up's answer is an instance page (S_STEP_INSTANCES
 * of this type), parsed like the instance type's. A listing drops the
 * attached ones without a follow-up (see the top of the file). */
static int s_eni_answer(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	struct ec2_eni_list l;
	char names[S_MAX_IDS_PER_CALL][32];
	const char *ids[S_MAX_IDS_PER_CALL];
	size_t n = 0;
	int rc = 0;

	if (a->step == S_STEP_INSTANCES)
		return s_instance_answer(a, body, len, err);
	memset(&l, 0, sizeof(l));
	if (aws_xml_parse_describe_network_interfaces(body, len, &l, err) != 0)
		return -1;
	for (size_t i = 0; i < l.n && rc == 0 && a->term->kind != SEARCH_TERM_LIST; i++) {
		const char *id = l.items[i].attached_instance_id;
		int dup = 0;

		if (id == NULL)
			continue;
		for (size_t k = 0; k < n; k++)
			dup |= strcmp(ids[k], id) == 0;
		if (!dup)
			ids[n++] = id;
		if (n == S_MAX_IDS_PER_CALL) {
			rc = s_follow_instances(a, names, ids, n);
			n = 0;
		}
	}
	if (rc == 0)
		rc = s_follow_instances(a, names, ids, n);
	for (size_t i = 0; i < l.n; i++)
		if (l.items[i].attached_instance_id != NULL)
			ec2_eni_clear(&l.items[i]);
	rt_take_enis(a, &l);
	if (rc == 0)
		rc = rt_next_page(a, l.next_token);
	ec2_eni_list_free(&l);
	return rc == 0 ? 0 : si_err_set(err, SI_ERR_NOMEM, "out of memory");
}

static const char *const s_instance_prefixes[] = { "i-", NULL };
static const char *const s_instance_arn[] = { "instance", NULL };
static const char *const s_instance_actions[] = { "ec2:DescribeInstances", NULL };

const struct rt_type rt_instance = {
	.name = "instance",
	.label = "EC2 instance",
	.by = RT_BY_ID | RT_BY_ARN | RT_BY_NAME,
	.id_prefixes = s_instance_prefixes,
	.arn_service = "ec2",
	.arn_types = s_instance_arn,
	.actions = s_instance_actions,
	.plan = s_instance_plan,
	.answer = s_instance_answer,
	.console_url = s_instance_url,
};

static const char *const s_eni_prefixes[] = { "eni-", NULL };
static const char *const s_eni_arn[] = { "network-interface", NULL };
static const char *const s_eni_actions[] = {
	"ec2:DescribeNetworkInterfaces", "ec2:DescribeInstances", NULL
};

const struct rt_type rt_eni = {
	.name = "network-interface",
	.label = "Network interface",
	.by = RT_BY_ID | RT_BY_ARN | RT_BY_ADDR,
	.id_prefixes = s_eni_prefixes,
	.arn_service = "ec2",
	.arn_types = s_eni_arn,
	.actions = s_eni_actions,
	.plan = s_eni_plan,
	.answer = s_eni_answer,
	.console_url = s_instance_url,
};
