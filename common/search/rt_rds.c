/*
 * rt_rds.c - RDS DB instances and DB clusters (API 2014-10-31), by
 * identifier (from an ARN), endpoint DNS name and name.
 *
 * Lookups use the db-instance-id / db-cluster-id filters, which answer an
 * empty list for an identifier the target does not hold, where the
 * DBInstanceIdentifier parameter fails the call (DBInstanceNotFound).
 *
 * Endpoints. The classifier pins ".rds.amazonaws.com" to rt_db_instance,
 * and its plan asks whichever of the two APIs the endpoint's shape names:
 * an endpoint starts with the identifier of what it reaches
 * ("<db>.<xyz>.<region>.rds.amazonaws.com" for an instance,
 * "<cluster>.cluster-<xyz>…" and "<cluster>.cluster-ro-<xyz>…" for a
 * cluster's writer and reader endpoints), so one filtered call answers
 * where a listing would page through every database of the region. A
 * custom cluster endpoint is named for itself, not for its cluster, so
 * it lists the clusters. Both types share one answer function (the step
 * names the parser), so the cluster call planned by rt_db_instance still
 * makes cluster resources; each answer keeps only what has the endpoint.
 *
 * A listing (SEARCH_TERM_LIST, the inventory crawler) is each type's own
 * Describe call, paged by Marker, everything kept: no follow-ups exist.
 */
#include "search/private/qxml.h"
#include "search/private/types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/xml.h"
#include "util/strutil.h"

#define S_SERVICE "rds"
#define S_VERSION "2014-10-31"

/* MaxRecords we ask for in a listing: RDS's most per page. A page holding
 * more is refused. */
#define S_MAX_RECORDS "100"
#define S_MAX_PAGE 100
/* Members of one cluster: Aurora has a writer and at most 15 replicas. */
#define S_MAX_MEMBERS 64
/* Security groups, zones, replicas, custom endpoints of one database. */
#define S_MAX_LIST 64
/* DB identifiers are at most 63 characters (RDS naming constraints). */
#define S_MAX_ID 63

enum s_step {
	S_INSTANCES = 1,   /* DescribeDBInstances */
	S_CLUSTERS         /* DescribeDBClusters */
};

/* ---- requests -------------------------------------------------------- */

static int s_plan(struct rt_plan *p, int step, const struct aws_query_param *q, size_t n)
{
	const struct rt_request rq = {
		.service = S_SERVICE, .proto = AWS_PROTO_QUERY,
		.action = step == S_CLUSTERS ? "DescribeDBClusters" : "DescribeDBInstances",
		.version = S_VERSION, .params = q, .n_params = n, .page_param = "Marker",
		.step = step, .parent = RT_NO_PARENT,
	};

	return rt_plan_request(p, &rq);
}

/* Every database of the target, MaxRecords at a time. */
static int s_plan_list(struct rt_plan *p, int step, const char *max)
{
	const struct aws_query_param q[] = { { "MaxRecords", max } };

	return s_plan(p, step, q, 1);
}

/* The one database called id (filter db-instance-id or db-cluster-id). */
static int s_plan_id(struct rt_plan *p, int step, const char *id)
{
	const char *filter = step == S_CLUSTERS ? "db-cluster-id" : "db-instance-id";
	const struct aws_query_param q[] = {
		{ "Filters.Filter.1.Name", filter },
		{ "Filters.Filter.1.Values.Value.1", id },
	};

	return s_plan(p, step, q, 2);
}

/* An endpoint: the API its shape names, asked for its first label (see
 * the top of the file). A name of another shape lists both. RDS Proxy
 * endpoints ("<proxy>.proxy-<xyz>…") are no type of ours. */
static int s_plan_host(struct rt_plan *p)
{
	const char *h = p->term->value, *dot = h != NULL ? strchr(h, '.') : NULL;
	char id[S_MAX_ID + 1];
	size_t k = dot != NULL ? (size_t)(dot - h) : 0;

	if (k == 0 || k > S_MAX_ID) {
		if (s_plan_list(p, S_INSTANCES, S_MAX_RECORDS) != 0)
			return -1;
		return s_plan_list(p, S_CLUSTERS, S_MAX_RECORDS);
	}
	memcpy(id, h, k);
	id[k] = '\0';
	if (SI_HAS_PREFIX(dot + 1, "cluster-custom-"))
		return s_plan_list(p, S_CLUSTERS, S_MAX_RECORDS);
	if (SI_HAS_PREFIX(dot + 1, "cluster-"))
		return s_plan_id(p, S_CLUSTERS, id);
	if (SI_HAS_PREFIX(dot + 1, "proxy-"))
		return 0;
	return s_plan_id(p, S_INSTANCES, id);
}

/* The plan of either type (self), whose own API is step: an ARN is
 * looked up by its identifier, a name or a listing lists the target, an
 * endpoint is the instance type's (it plans either API). */
static int s_type_plan(struct rt_plan *p, const struct rt_type *self, int step)
{
	const struct search_term *t = p->term;

	if (!qx_in_target(p->term, p->region, p->account_id))
		return 0;
	switch (t->kind) {
	case SEARCH_TERM_ARN:
		if (t->type != self || t->resource == NULL || t->resource[0] == '\0')
			return 0;
		return s_plan_id(p, step, t->resource);
	case SEARCH_TERM_HOST:
		return self == &rt_db_instance ? s_plan_host(p) : 0;
	case SEARCH_TERM_LIST:
		if (t->type != NULL && t->type != self)
			return 0;
		return s_plan_list(p, step, S_MAX_RECORDS);
	case SEARCH_TERM_NAME:
		return s_plan_list(p, step, S_MAX_RECORDS);
	case SEARCH_TERM_CHECK:
		return s_plan_list(p, step, "20");   /* RDS's least MaxRecords */
	default:
		return 0;
	}
}

static int s_instance_plan(struct rt_plan *p)
{
	return s_type_plan(p, &rt_db_instance, S_INSTANCES);
}

static int s_cluster_plan(struct rt_plan *p)
{
	return s_type_plan(p, &rt_db_cluster, S_CLUSTERS);
}

/* ---- reading answers --------------------------------------------------- */

/* The texts of item/a and item/b joined by sep as field label: "mysql
 * 5.1.50", "host:3306". Either alone when the other is absent. */
static int s_pair_field(struct res_resource *r, const char *label, const xmlNode *item,
			const char *a, const char *sep, const char *b, struct si_err *err)
{
	char *x = NULL, *y = NULL, v[1024];
	int rc = -1;

	if (aws_xml_child_text(item, a, &x, err) != 0 || aws_xml_child_text(item, b, &y, err) != 0)
		goto out;
	rc = 0;
	if (x == NULL && y == NULL)
		goto out;
	snprintf(v, sizeof(v), "%s%s%s", x ? x : "", x && y ? sep : "", y ? y : "");
	rc = res_add_field(r, label, v, err);
out:
	free(x);
	free(y);
	return rc;
}

/* 1 when the text at path of item is host (ASCII case ignored). */
static int s_is_host(const xmlNode *item, const char *path, const char *host,
		     struct si_err *err)
{
	char *v;
	int yes;

	if (aws_xml_child_text(item, path, &v, err) != 0)
		return -1;
	yes = v != NULL && strcasecmp(v, host) == 0;
	free(v);
	return yes;
}

/* Whether the database of item is what the term asks for: 1, 0, or -1
 * with err set. An ARN lookup asked AWS for exactly this one and a
 * listing wants them all; an endpoint must be one of the database's
 * (hosts lists the paths that hold one). */
static int s_keep(const struct search_term *t, const xmlNode *item, const char *id_path,
		  const char *const *hosts, struct si_err *err)
{
	char *id;
	int keep = 0;

	switch (t->kind) {
	case SEARCH_TERM_ARN:
	case SEARCH_TERM_LIST:
		return 1;
	case SEARCH_TERM_NAME:
		if (aws_xml_child_text(item, id_path, &id, err) != 0)
			return -1;
		{
			const struct res_resource probe = { .name = id };

			keep = res_name_matches(&probe, t->name_lc);
		}
		free(id);
		return keep;
	case SEARCH_TERM_HOST:
		for (size_t i = 0; t->value != NULL && hosts[i] != NULL && keep == 0; i++)
			keep = s_is_host(item, hosts[i], t->value, err);
		return keep;
	default:
		return 0;
	}
}

/* ---- DB instances ---------------------------------------------------------- */

/* A database's name is its identifier. */
static const struct qx_ident s_instance_ident = {
	"DBInstanceIdentifier", "DBInstanceIdentifier", "DBInstanceArn", "DBInstanceStatus",
	"InstanceCreateTime"
};
static const struct qx_ident s_cluster_ident = {
	"DBClusterIdentifier", "DBClusterIdentifier", "DBClusterArn", "Status", "ClusterCreateTime"
};

/* One <DBInstance>: the card when the term wants it. Its cluster and
 * replicas become relations (the cluster's card lists its members). */
static int s_instance(struct rt_answer *a, const xmlNode *m, void *ctx, struct si_err *err)
{
	static const char *const hosts[] = { "Endpoint/Address", NULL };
	struct res_resource *r;
	char *storage = NULL, *stype = NULL, v[128];
	int keep = s_keep(a->term, m, "DBInstanceIdentifier", hosts, err), rc = -1;

	(void)ctx;
	if (keep <= 0)
		return keep;
	r = rt_new_resource(a, &rt_db_instance, NULL);
	if (r == NULL)
		return 0;   /* the search holds all it may: stop adding */
	if (qx_ident(r, m, &s_instance_ident, err) != 0 ||
	    s_pair_field(r, "Engine", m, "Engine", " ", "EngineVersion", err) != 0 ||
	    qx_field(r, "Class", m, "DBInstanceClass", err) != 0 ||
	    s_pair_field(r, "Endpoint", m, "Endpoint/Address", ":", "Endpoint/Port", err) != 0 ||
	    qx_flag(r, "Multi-AZ", m, "MultiAZ", err) != 0 ||
	    qx_field(r, "Zone", m, "AvailabilityZone", err) != 0 ||
	    qx_field(r, "VPC", m, "DBSubnetGroup/VpcId", err) != 0 ||
	    qx_join(r, "Security groups", aws_xml_child(m, "VpcSecurityGroups"),
		    "VpcSecurityGroupMembership", "VpcSecurityGroupId", S_MAX_LIST, err) != 0 ||
	    qx_flag(r, "Public", m, "PubliclyAccessible", err) != 0 ||
	    aws_xml_child_text(m, "AllocatedStorage", &storage, err) != 0 ||
	    aws_xml_child_text(m, "StorageType", &stype, err) != 0)
		goto out;
	if (storage != NULL) {
		snprintf(v, sizeof(v), "%s GiB%s%s", storage, stype ? " " : "", stype ? stype : "");
		if (res_add_field(r, "Storage", v, err) != 0)
			goto out;
	}
	if (qx_tags(r, m, &qx_tags_rds, err) != 0 || qx_dns(r, m, "Endpoint/Address", err) != 0 ||
	    qx_rel(r, "cluster", rt_db_cluster.name, m, "DBClusterIdentifier", NULL, err) != 0 ||
	    qx_rel(r, "replica of", rt_db_instance.name, m, "ReadReplicaSourceDBInstanceIdentifier",
		   NULL, err) != 0)
		goto out;
	rc = qx_rels(r, "replica", rt_db_instance.name,
		     aws_xml_child(m, "ReadReplicaDBInstanceIdentifiers"),
		     "ReadReplicaDBInstanceIdentifier", NULL, NULL, S_MAX_LIST, err);
out:
	free(storage);
	free(stype);
	return rc;
}

/* ---- DB clusters ----------------------------------------------------------- */

/* The cluster's members: "member" relations, "writer" or "reader". */
static int s_members(struct res_resource *r, const xmlNode *m, struct si_err *err)
{
	const xmlNode *l = aws_xml_child(m, "DBClusterMembers");
	size_t n;

	if (qx_count(l, "DBClusterMember", S_MAX_MEMBERS, NULL, &n, err) != 0)
		return -1;
	for (const xmlNode *x = aws_xml_child(l, "DBClusterMember"); x != NULL;
	     x = aws_xml_next(x, "DBClusterMember")) {
		char *w, *id = NULL;
		int rc = -1;

		if (qx_text(x, "IsClusterWriter", &w, err) == 0 &&
		    qx_text(x, "DBInstanceIdentifier", &id, err) == 0)
			rc = res_add_rel(r, "member", rt_db_instance.name, id,
					 w != NULL && strcmp(w, "true") == 0 ? "writer" : "reader",
					 err);
		free(w);
		free(id);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* Every endpoint of the cluster: writer, reader and custom ones. */
static int s_cluster_dns(struct res_resource *r, const xmlNode *m, struct si_err *err)
{
	if (qx_dns(r, m, "Endpoint", err) != 0 || qx_dns(r, m, "ReaderEndpoint", err) != 0 ||
	    qx_dns_all(r, aws_xml_child(m, "CustomEndpoints"), "member", NULL, S_MAX_LIST,
		       err) != 0)
		return -1;
	return 0;
}

/* A custom endpoint of the cluster item is host: 1, 0, or -1. */
static int s_custom_is(const struct search_term *t, const xmlNode *m, struct si_err *err)
{
	const xmlNode *l = aws_xml_child(m, "CustomEndpoints");
	size_t n;
	int yes = 0;

	if (t->kind != SEARCH_TERM_HOST || t->value == NULL)
		return 0;
	if (aws_xml_count(l, "member", S_MAX_LIST, &n, err) != 0)
		return -1;
	for (const xmlNode *x = aws_xml_child(l, "member"); x != NULL && yes == 0;
	     x = aws_xml_next(x, "member")) {
		char *v;

		if (aws_xml_text(x, &v, err) != 0)
			return -1;
		yes = v != NULL && strcasecmp(v, t->value) == 0;
		free(v);
	}
	return yes;
}

/* One <DBCluster>: the card when the term wants it, its members as
 * relations. */
static int s_cluster(struct rt_answer *a, const xmlNode *m, void *ctx, struct si_err *err)
{
	static const char *const hosts[] = { "Endpoint", "ReaderEndpoint", NULL };
	struct res_resource *r;
	int keep = s_keep(a->term, m, "DBClusterIdentifier", hosts, err);

	(void)ctx;
	if (keep == 0)
		keep = s_custom_is(a->term, m, err);
	if (keep <= 0)
		return keep;
	r = rt_new_resource(a, &rt_db_cluster, NULL);
	if (r == NULL)
		return 0;   /* the search holds all it may: stop adding */
	if (qx_ident(r, m, &s_cluster_ident, err) != 0 ||
	    s_pair_field(r, "Engine", m, "Engine", " ", "EngineVersion", err) != 0 ||
	    s_pair_field(r, "Endpoint", m, "Endpoint", ":", "Port", err) != 0 ||
	    s_pair_field(r, "Reader endpoint", m, "ReaderEndpoint", ":", "Port", err) != 0 ||
	    qx_flag(r, "Multi-AZ", m, "MultiAZ", err) != 0 ||
	    qx_field(r, "Class", m, "DBClusterInstanceClass", err) != 0 ||
	    qx_join(r, "Zones", aws_xml_child(m, "AvailabilityZones"), "AvailabilityZone", NULL,
		    S_MAX_LIST, err) != 0 ||
	    qx_join(r, "Security groups", aws_xml_child(m, "VpcSecurityGroups"),
		    "VpcSecurityGroupMembership", "VpcSecurityGroupId", S_MAX_LIST, err) != 0 ||
	    qx_field(r, "Subnet group", m, "DBSubnetGroup", err) != 0 ||
	    qx_tags(r, m, &qx_tags_rds, err) != 0 || s_cluster_dns(r, m, err) != 0)
		return -1;
	return s_members(r, m, err);
}

static const struct qx_list s_instances_list =
	QX_QUERY_LIST("DescribeDBInstances", "DBInstances", "DBInstance", S_MAX_PAGE, "Marker");
static const struct qx_list s_clusters_list =
	QX_QUERY_LIST("DescribeDBClusters", "DBClusters", "DBCluster", S_MAX_PAGE, "Marker");

static int s_answer(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	switch (a->step) {
	case S_INSTANCES:
		return qx_walk(a, body, len, &s_instances_list, s_instance, NULL, err);
	case S_CLUSTERS:
		return qx_walk(a, body, len, &s_clusters_list, s_cluster, NULL, err);
	default:
		return si_err_set(err, SI_ERR_INTERNAL, "rds: no step %d", a->step);
	}
}

/* ---- card ---------------------------------------------------------------- */

/* "available · mysql 5.1.50, db.m1.large, Multi-AZ" */
static void s_instance_summary(const struct res_resource *r, char *out, size_t n)
{
	const char *engine = res_field(r, "Engine"), *cls = res_field(r, "Class");
	const char *maz = res_field(r, "Multi-AZ");

	snprintf(out, n, "%s · %s%s%s%s", r->state ? r->state : "unknown",
		 engine ? engine : "", engine && cls ? ", " : "", cls ? cls : "",
		 maz != NULL && strcmp(maz, "yes") == 0 ? ", Multi-AZ" : "");
}

/* "available · aurora-mysql 8.0.mysql_aurora.3.01.0 · 2 members, 1 writer" */
static void s_cluster_summary(const struct res_resource *r, char *out, size_t n)
{
	const char *engine = res_field(r, "Engine");
	size_t members = 0, writers = 0;

	for (size_t i = 0; i < r->n_rels; i++) {
		if (strcmp(r->rels[i].kind, "member") != 0)
			continue;
		members++;
		writers += r->rels[i].detail != NULL && strcmp(r->rels[i].detail, "writer") == 0;
	}
	if (members == 0)
		snprintf(out, n, "%s · %s · no members", r->state ? r->state : "unknown",
			 engine ? engine : "");
	else
		snprintf(out, n, "%s · %s · %zu member%s, %zu writer%s",
			 r->state ? r->state : "unknown", engine ? engine : "", members,
			 members == 1 ? "" : "s", writers, writers == 1 ? "" : "s");
}

/* The database's page; ";is-cluster=…" follows its id. */
static void s_url(const struct res_resource *r, const char *region, const char *after,
		  char *out, size_t n)
{
	if (n > 0)
		out[0] = '\0';
	if (r->id != NULL)
		qx_console_url(out, n, region, "rds", "database:id=", r->id, after, 0);
}

static void s_instance_url(const struct res_resource *r, const char *region, char *out,
			   size_t n)
{
	s_url(r, region, ";is-cluster=false", out, n);
}

static void s_cluster_url(const struct res_resource *r, const char *region, char *out,
			  size_t n)
{
	s_url(r, region, ";is-cluster=true", out, n);
}

/* ---- the types ----------------------------------------------------------- */

static const char *const s_instance_arn_types[] = { "db", NULL };
static const char *const s_cluster_arn_types[] = { "cluster", NULL };
static const char *const s_dns_suffixes[] = { ".rds.amazonaws.com", ".rds.amazonaws.com.cn",
					      NULL };
/* The endpoint plan may ask DescribeDBClusters for rt_db_instance. */
static const char *const s_instance_actions[] = {
	"rds:DescribeDBInstances",
	"rds:DescribeDBClusters",
	NULL
};
static const char *const s_cluster_actions[] = { "rds:DescribeDBClusters", NULL };
/* What the identifier parameters answer for an unknown database; the
 * filters used here answer an empty list instead, but an identifier that
 * vanished while a search ran is "not here" all the same. */
static const char *const s_absent[] = { "DBInstanceNotFound", "DBClusterNotFoundFault", NULL };

const struct rt_type rt_db_instance = {
	.name = "db-instance",
	.label = "RDS DB instance",
	.by = RT_BY_ARN | RT_BY_NAME | RT_BY_HOST,
	.arn_service = "rds",
	.arn_types = s_instance_arn_types,
	.dns_suffixes = s_dns_suffixes,
	.actions = s_instance_actions,
	.absent_codes = s_absent,
	.plan = s_instance_plan,
	.answer = s_answer,
	.summary = s_instance_summary,
	.console_url = s_instance_url,
};

const struct rt_type rt_db_cluster = {
	.name = "db-cluster",
	.label = "RDS DB cluster",
	.by = RT_BY_ARN | RT_BY_NAME,   /* endpoints: rt_db_instance plans both */
	.arn_service = "rds",
	.arn_types = s_cluster_arn_types,
	.actions = s_cluster_actions,
	.absent_codes = s_absent,
	.plan = s_cluster_plan,
	.answer = s_answer,
	.summary = s_cluster_summary,
	.console_url = s_cluster_url,
};
