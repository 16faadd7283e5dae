/*
 * rt_lambda.c - Lambda functions by ARN or name.
 *
 * Lambda speaks REST-JSON on its regional endpoint:
 *  - an ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]) is
 *    searched in its own account and region with GetFunction,
 *    GET /2015-03-31/functions/NAME[?Qualifier=Q]; a function that is not
 *    there answers 404 ResourceNotFoundException (the code only in the
 *    X-Amzn-ErrorType header), which absent_codes makes an empty answer;
 *  - a name is a case-insensitive substring of function names: Lambda has
 *    no name filter, so ListFunctions (GET /2015-03-31/functions/?
 *    MaxItems=50, paged by Marker/NextMarker) lists them all and
 *    res_name_matches keeps the matches;
 *  - a listing (SEARCH_TERM_LIST, the inventory crawler) is the same
 *    ListFunctions, every function kept.
 * The card: runtime, handler, memory, timeout, last modified, state,
 * package type and code size; the role, VPC, subnets and security groups
 * as relations; the tags. Environment variables are never read out: they
 * hold secrets more often than not.
 *
 * Answers are read with json-c under the client's size cap
 * (AWS_CLIENT_MAX_RESPONSE), a nesting cap and item caps.
 */
#include "search/private/qxml.h"
#include "search/private/types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "aws/json.h"

#define S_SERVICE "lambda"
#define S_VERSION "2015-03-31"
#define S_FUNCTIONS_PATH "/2015-03-31/functions/"
/* ListFunctions' MaxItems maximum. */
#define S_PAGE "50"
/* Nesting of a function document: Configuration → ImageConfigResponse →
 * ImageConfig → EntryPoint[] is four levels; 32 refuses only hostile
 * documents, before json-c recurses into them. */
#define S_JSON_DEPTH 32
/* Functions per answer: AWS sends at most 50 (S_PAGE). */
#define S_MAX_FUNCTIONS 200
/* A function has at most 16 subnets and 5 security groups (Lambda
 * quotas) and one or two architectures. */
#define S_MAX_IDS 64
/* Names: 64 characters; qualifiers (version or alias): 128. */
#define S_MAX_FUNCTION_NAME 64
#define S_MAX_QUALIFIER 128

enum { S_STEP_GET, S_STEP_LIST, S_STEP_CHECK };

/* ---- requests -------------------------------------------------------------- */

/* Function names and qualifiers as Lambda allows them ([A-Za-z0-9_-],
 * '$' in "$LATEST"): nothing that needs encoding in a path, so a name
 * that passes goes into the path as it is. */
static int s_name_ok(const char *s, size_t max, int dollar)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' ||
		      (dollar && s[i] == '$')))
			return 0;
	return 1;
}

/* GetFunction for "NAME" or "NAME:QUALIFIER" (an ARN's resource part). */
static int s_plan_get(struct rt_plan *p, const char *resource, int step)
{
	char name[S_MAX_FUNCTION_NAME + 1], path[sizeof(S_FUNCTIONS_PATH) + S_MAX_FUNCTION_NAME];
	const char *colon = strchr(resource, ':');
	size_t n = colon != NULL ? (size_t)(colon - resource) : strlen(resource);
	struct aws_query_param q[1];
	struct rt_request rq = {
		.service = S_SERVICE, .proto = AWS_PROTO_REST_JSON, .action = "GetFunction",
		.version = S_VERSION, .method = "GET", .path = path, .params = q,
		.step = step, .parent = RT_NO_PARENT,
	};

	if (n == 0 || n > S_MAX_FUNCTION_NAME)
		return 0;
	memcpy(name, resource, n);
	name[n] = '\0';
	if (!s_name_ok(name, S_MAX_FUNCTION_NAME, 0) ||
	    (colon != NULL && !s_name_ok(colon + 1, S_MAX_QUALIFIER, 1)))
		return 0;       /* no function can be called that */
	snprintf(path, sizeof(path), S_FUNCTIONS_PATH "%s", name);
	if (colon != NULL)
		q[rq.n_params++] = (struct aws_query_param){ "Qualifier", colon + 1 };
	return rt_plan_request(p, &rq);
}

static int s_plan_list(struct rt_plan *p, const char *max, int step)
{
	const struct aws_query_param q[] = { { "MaxItems", max } };
	const struct rt_request rq = {
		.service = S_SERVICE, .proto = AWS_PROTO_REST_JSON, .action = "ListFunctions",
		.version = S_VERSION, .method = "GET", .path = S_FUNCTIONS_PATH, .params = q,
		.n_params = 1, .page_param = step == S_STEP_LIST ? "Marker" : NULL,
		.step = step, .parent = RT_NO_PARENT,
	};

	return rt_plan_request(p, &rq);
}

static int s_plan(struct rt_plan *p)
{
	const struct search_term *t = p->term;

	switch (t->kind) {
	case SEARCH_TERM_ARN:
		if (t->type != &rt_lambda || t->resource == NULL)
			return 0;
		return s_plan_get(p, t->resource, S_STEP_GET);
	case SEARCH_TERM_NAME:
		return t->name_lc != NULL && t->name_lc[0] != '\0' ?
			       s_plan_list(p, S_PAGE, S_STEP_LIST) : 0;
	case SEARCH_TERM_LIST:
		return t->type == NULL || t->type == &rt_lambda ?
			       s_plan_list(p, S_PAGE, S_STEP_LIST) : 0;
	case SEARCH_TERM_CHECK:
		/* A made-up name answers ResourceNotFoundException, which
		 * proves the right to ask. */
		if (s_plan_list(p, "1", S_STEP_CHECK) != 0)
			return -1;
		return s_plan_get(p, "slash-infra-check", S_STEP_CHECK);
	default:
		return 0;
	}
}

/* ---- reading the answer ---------------------------------------------------- */

/* The one JSON object in body[0..len) (aws_json_read under the client's
 * size cap), or NULL with err set. */
static struct json_object *s_read(const char *body, size_t len, struct si_err *err)
{
	struct si_err sub = { 0 };
	struct json_object *root;

	if (len > AWS_CLIENT_MAX_RESPONSE) {
		si_err_set(err, SI_ERR_LIMIT, "lambda: answer over %zu bytes",
			   (size_t)AWS_CLIENT_MAX_RESPONSE);
		return NULL;
	}
	root = aws_json_read(body, len, S_JSON_DEPTH, &sub);
	if (root == NULL)
		si_err_set(err, sub.code, "lambda: %s", sub.msg);
	return root;
}

/* Member key of o when it has type ty, else NULL (borrowed from o). */
static struct json_object *s_get(struct json_object *o, const char *key, json_type ty)
{
	struct json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, ty))
		return NULL;
	return v;
}

/* String member, or NULL (absent, null, not a string). */
static const char *s_str(struct json_object *o, const char *key)
{
	return aws_json_str(o, key, NULL);
}

/* Integer member as text with a unit ("256 MB"), or "" when absent. */
static void s_int(struct json_object *o, const char *key, const char *unit, char *out, size_t n)
{
	struct json_object *v = s_get(o, key, json_type_int);

	out[0] = '\0';
	if (v != NULL)
		snprintf(out, n, "%lld%s", (long long)json_object_get_int64(v), unit);
}

/* Relations to the ids of an array member (subnets, security groups). */
static int s_rels(struct res_resource *r, struct json_object *arr, const char *kind,
		  const char *type, struct si_err *err)
{
	size_t n = arr != NULL ? json_object_array_length(arr) : 0;

	if (n > S_MAX_IDS)
		return si_err_set(err, SI_ERR_LIMIT, "lambda: more than %d %ss", S_MAX_IDS, kind);
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);

		if (json_object_is_type(v, json_type_string) &&
		    res_add_rel(r, kind, type, json_object_get_string(v), NULL, err) != 0)
			return -1;
	}
	return 0;
}

/* "x86_64" or "arm64" (an array, though a function has one). */
static void s_join(struct json_object *arr, char *out, size_t n)
{
	size_t len = arr != NULL ? json_object_array_length(arr) : 0, used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < len && i < S_MAX_IDS; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		int k;

		if (!json_object_is_type(v, json_type_string))
			continue;
		k = snprintf(out + used, n - used, "%s%s", used ? ", " : "",
			     json_object_get_string(v));
		if (k < 0 || (size_t)k >= n - used)
			return;
		used += (size_t)k;
	}
}

/* The card's fields, in card order. */
static int s_fields(struct res_resource *r, struct json_object *c, struct si_err *err)
{
	char mem[32], timeout[32], size[40], arch[64];

	s_int(c, "MemorySize", " MB", mem, sizeof(mem));
	s_int(c, "Timeout", " s", timeout, sizeof(timeout));
	s_int(c, "CodeSize", " bytes", size, sizeof(size));
	s_join(s_get(c, "Architectures", json_type_array), arch, sizeof(arch));
	if (res_add_field(r, "Runtime", s_str(c, "Runtime"), err) != 0 ||
	    res_add_field(r, "Handler", s_str(c, "Handler"), err) != 0 ||
	    res_add_field(r, "Memory", mem, err) != 0 ||
	    res_add_field(r, "Timeout", timeout, err) != 0 ||
	    res_add_field(r, "Last modified", s_str(c, "LastModified"), err) != 0 ||
	    res_add_field(r, "Last update", s_str(c, "LastUpdateStatus"), err) != 0 ||
	    res_add_field(r, "Package", s_str(c, "PackageType"), err) != 0 ||
	    res_add_field(r, "Architecture", arch, err) != 0 ||
	    res_add_field(r, "Code size", size, err) != 0 ||
	    res_add_field(r, "Version", s_str(c, "Version"), err) != 0 ||
	    res_add_field(r, "Description", s_str(c, "Description"), err) != 0)
		return -1;
	return 0;
}

/* Role, VPC, subnets and security groups as relations; the VPC id also
 * as a field (an empty VpcId, as ListFunctions sends for a function
 * outside any VPC, is none). */
static int s_relations(struct res_resource *r, struct json_object *c, struct si_err *err)
{
	struct json_object *vpc = s_get(c, "VpcConfig", json_type_object);
	const char *vpc_id = s_str(vpc, "VpcId");

	if (res_add_rel(r, "role", NULL, s_str(c, "Role"), NULL, err) != 0 ||
	    res_add_field(r, "VPC", vpc_id, err) != 0 ||
	    (vpc_id != NULL && vpc_id[0] != '\0' &&
	     res_add_rel(r, "vpc", "vpc", vpc_id, NULL, err) != 0) ||
	    s_rels(r, s_get(vpc, "SubnetIds", json_type_array), "subnet", "subnet", err) != 0 ||
	    s_rels(r, s_get(vpc, "SecurityGroupIds", json_type_array), "security group",
		   "security-group", err) != 0)
		return -1;
	return 0;
}

static int s_tags(struct res_resource *r, struct json_object *tags, struct si_err *err)
{
	if (tags == NULL)
		return 0;
	json_object_object_foreach(tags, key, val) {
		if (json_object_is_type(val, json_type_string) &&
		    res_add_tag(r, key, json_object_get_string(val), err) != 0)
			return -1;
	}
	return 0;
}

/* One function (a GetFunction Configuration or a ListFunctions item)
 * becomes a resource. Returns 0, 1 when the search holds all it may, -1. */
static int s_function(struct rt_answer *a, struct json_object *c, struct json_object *tags,
		      struct si_err *err)
{
	const char *name = s_str(c, "FunctionName");
	struct res_resource *r;

	if (name == NULL || name[0] == '\0')
		return si_err_set(err, SI_ERR_INVALID, "lambda: a function without FunctionName");
	r = rt_new_resource(a, &rt_lambda, NULL);
	if (r == NULL)
		return 1;
	if (res_set(&r->id, name, err) != 0 || res_set(&r->name, name, err) != 0 ||
	    res_set(&r->arn, s_str(c, "FunctionArn"), err) != 0 ||
	    res_set(&r->state, s_str(c, "State"), err) != 0 ||
	    (r->hop == NULL && res_set(&r->hop, rt_hop(a), err) != 0) ||
	    s_fields(r, c, err) != 0 || s_relations(r, c, err) != 0 || s_tags(r, tags, err) != 0)
		return -1;
	return 0;
}

/* A ListFunctions page: the functions whose name holds the term (all of
 * them for a listing, and for --check-config, which is not parsed
 * anyway), then the next page. Why the name is checked before the resource exists: a resource
 * once made is in the result. */
static int s_list(struct rt_answer *a, struct json_object *root, struct si_err *err)
{
	struct json_object *fns = s_get(root, "Functions", json_type_array);
	size_t n = fns != NULL ? json_object_array_length(fns) : 0;
	const char *next = s_str(root, "NextMarker");

	if (fns == NULL)
		return si_err_set(err, SI_ERR_INVALID, "lambda: ListFunctions without Functions");
	if (n > S_MAX_FUNCTIONS)
		return si_err_set(err, SI_ERR_LIMIT, "lambda: more than %d functions in a page",
				  S_MAX_FUNCTIONS);
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(fns, i);
		struct res_resource probe;
		int rc;

		if (!json_object_is_type(c, json_type_object))
			return si_err_set(err, SI_ERR_INVALID,
					  "lambda: a function is not an object");
		memset(&probe, 0, sizeof(probe));
		probe.name = (char *)s_str(c, "FunctionName");
		if (probe.name == NULL)
			return si_err_set(err, SI_ERR_INVALID, "lambda: a function without "
					  "FunctionName");
		if (a->term->kind == SEARCH_TERM_NAME && a->term->name_lc != NULL &&
		    !res_name_matches(&probe, a->term->name_lc))
			continue;
		rc = s_function(a, c, NULL, err);
		if (rc < 0)
			return -1;
		if (rc > 0)
			return 0;   /* full: no further page either */
	}
	if (rt_next_page(a, next) != 0)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return 0;
}

static int s_answer(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	struct json_object *root, *conf;
	int rc = -1;

	if (a->step == S_STEP_CHECK)
		return 0;
	root = s_read(body, len, err);
	if (root == NULL)
		return -1;
	if (a->step == S_STEP_LIST) {
		rc = s_list(a, root, err);
	} else if ((conf = s_get(root, "Configuration", json_type_object)) == NULL) {
		si_err_set(err, SI_ERR_INVALID, "lambda: GetFunction without Configuration");
	} else {
		rc = s_function(a, conf, s_get(root, "Tags", json_type_object), err);
		rc = rc > 0 ? 0 : rc;
	}
	json_object_put(root);
	return rc;
}

/* ---- card ------------------------------------------------------------------ */

/* "nodejs12.x · 256 MB · 15 s · Active". */
static void s_summary(const struct res_resource *r, char *out, size_t n)
{
	const char *rt = res_field(r, "Runtime"), *mem = res_field(r, "Memory");
	const char *to = res_field(r, "Timeout");

	if (rt == NULL)
		rt = res_field(r, "Package");
	snprintf(out, n, "%s · %s · %s%s%s", rt ? rt : "?", mem ? mem : "? MB", to ? to : "? s",
		 r->state ? " · " : "", r->state ? r->state : "");
}

static void s_console_url(const struct res_resource *r, const char *region, char *out,
			  size_t n)
{
	if (n > 0)
		out[0] = '\0';
	if (r->id != NULL && s_name_ok(r->id, S_MAX_FUNCTION_NAME, 0))
		qx_console_url(out, n, region, "lambda", "/functions/", r->id, NULL, 0);
}

static const char *const s_arn_types[] = { "function", NULL };
static const char *const s_actions[] = { "lambda:GetFunction", "lambda:ListFunctions", NULL };
static const char *const s_absent[] = { "ResourceNotFoundException", NULL };

const struct rt_type rt_lambda = {
	.name = "lambda-function",
	.label = "Lambda function",
	.by = RT_BY_ARN | RT_BY_NAME,
	.arn_service = "lambda",
	.arn_types = s_arn_types,
	.actions = s_actions,
	.absent_codes = s_absent,
	.plan = s_plan,
	.answer = s_answer,
	.summary = s_summary,
	.console_url = s_console_url,
};
