/*
 * fuzz_render.c - build a search_result from fuzz bytes (strings of any
 * bytes, invalid UTF-8 included; counts large enough to overflow Slack's
 * limits): instances, interfaces and resources of every registered type
 * (fields, relations, DNS names, addresses, tags and the DNS hop, within
 * resource.h's caps), failures and a DNS note. Render it every way, and
 * check each output is strict JSON (UTF-8 validated by json-c) with at
 * most RENDER_MAX_BLOCKS blocks and no bidi control or invisible format
 * character.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "render.h"
#include "search/registry.h"
#include "search/resource.h"
#include "util/utf8.h"

/* Caps that keep one input fast while still exceeding every Slack limit. */
#define S_MAX_MATCHES 120
#define S_MAX_TAGS 16
#define S_MAX_IPS 4
#define S_MAX_FAILURES 8
/* Per resource: up to resource.h's caps, but relations (RES_MAX_RELS is
 * 4,096) to one byte's worth, which already overflows every card limit
 * (ten a kind, six kinds) while keeping an input fast. */
#define S_MAX_RES_RELS 255

/* Words the type modules' summaries and the renderer look for: a byte
 * below 0x80 picks one, so that the fuzzer reaches the branches keyed on
 * them (a load balancer's "Type", a target's "healthy" detail); above,
 * the string comes from the input. */
static const char *const s_labels[] = {
	"Type", "State", "Scheme", "Engine", "Size", "CIDR", "IPv6 CIDR", "VPC", "Subnet",
	"Zone", "Zone ID", "Zone type", "Values", "Records", "Default", "Memory", "Runtime",
	"Timeout", "Class", "Multi-AZ", "Free IPs", "Service", "Listeners", "Port",
};
static const char *const s_values[] = {
	"application", "network", "gateway", "classic", "internet-facing", "CNAME", "A",
	"AAAA", "private", "public", "true", "false", "8", "128", "available",
};
static const char *const s_kinds[] = {
	"target", "member", "instance", "target group", "attached to", "alias", "cname",
	"zone", "vpc", "subnet", "security group",
};
static const char *const s_details[] = {
	"healthy", "unhealthy (Target.ResponseCodeMismatch) · web:80", "InService",
	"OutOfService (Instance)", "writer", "reader", "unused",
};
#define S_NWORDS(a) (sizeof(a) / sizeof((a)[0]))

struct s_rd {
	const uint8_t *p;
	size_t n;
};

static unsigned s_byte(struct s_rd *r)
{
	unsigned b;

	if (r->n == 0)
		return 0;
	b = r->p[0];
	r->p++;
	r->n--;
	return b;
}

/* A length byte then that many bytes; 0xff or end of input gives NULL.
 * Embedded NULs simply end the C string early. */
static char *s_str(struct s_rd *r)
{
	size_t len;
	char *s;

	if (r->n == 0)
		return NULL;
	len = s_byte(r);
	if (len == 0xff)
		return NULL;
	if (len > r->n)
		len = r->n;
	s = malloc(len + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, r->p, len);
	s[len] = '\0';
	r->p += len;
	r->n -= len;
	return s;
}

static void s_tags(struct s_rd *r, struct ec2_tag **tags, size_t *n)
{
	size_t i, want = s_byte(r) % (S_MAX_TAGS + 1);

	*tags = want ? calloc(want, sizeof(**tags)) : NULL;
	if (*tags == NULL)
		return;
	for (i = 0; i < want; i++) {
		(*tags)[i].key = s_str(r);
		(*tags)[i].value = s_str(r);
	}
	*n = want;
}

static void s_eni(struct s_rd *r, struct ec2_eni *e)
{
	size_t i, want;

	e->eni_id = s_str(r);
	e->description = s_str(r);
	e->interface_type = s_str(r);
	e->requester_id = s_str(r);
	e->requester_managed = (int)(s_byte(r) & 1);
	e->status = s_str(r);
	e->vpc_id = s_str(r);
	e->subnet_id = s_str(r);
	e->az = s_str(r);
	e->owner_id = s_str(r);
	e->attached_instance_id = s_str(r);
	want = s_byte(r) % (S_MAX_IPS + 1);
	e->ips = want ? calloc(want, sizeof(*e->ips)) : NULL;
	if (e->ips != NULL) {
		e->n_ips = want;
		for (i = 0; i < want; i++) {
			e->ips[i].private_ip = s_str(r);
			e->ips[i].public_ip = s_str(r);
		}
	}
	want = s_byte(r) % 3;
	e->ipv6 = want ? calloc(want, sizeof(char *)) : NULL;
	if (e->ipv6 != NULL) {
		e->n_ipv6 = want;
		for (i = 0; i < want; i++)
			e->ipv6[i] = s_str(r);
	}
	s_tags(r, &e->tags, &e->n_tags);
}

static void s_instance(struct s_rd *r, struct ec2_instance *in)
{
	in->instance_id = s_str(r);
	in->instance_type = s_str(r);
	in->state = s_str(r);
	in->az = s_str(r);
	in->launch_time = s_str(r);
	in->private_ip = s_str(r);
	in->public_ip = s_str(r);
	in->owner_id = s_str(r);
	if (s_byte(r) & 1) {
		in->ipv6 = calloc(1, sizeof(char *));
		if (in->ipv6 != NULL) {
			in->ipv6[0] = s_str(r);
			in->n_ipv6 = 1;
		}
	}
	s_tags(r, &in->tags, &in->n_tags);
}

/* A word of words[] or, when the selector byte says so, a string of the
 * input (owned by the caller: *own, freed after use). */
static const char *s_word(struct s_rd *r, const char *const *words, size_t n, char **own)
{
	unsigned sel = s_byte(r);

	*own = NULL;
	if (sel < 0x80)
		return words[sel % n];
	*own = s_str(r);
	return *own;
}

/* res_set of a string of the input. */
static void s_res_str(struct s_rd *r, char **slot)
{
	char *v = s_str(r);

	(void)res_set(slot, v, NULL);
	free(v);
}

static void s_res_fields(struct s_rd *r, struct res_resource *x)
{
	size_t want = s_byte(r) % (RES_MAX_FIELDS + 1);

	for (size_t i = 0; i < want; i++) {
		char *lo, *vo;
		const char *l = s_word(r, s_labels, S_NWORDS(s_labels), &lo);
		const char *v = s_word(r, s_values, S_NWORDS(s_values), &vo);

		(void)res_add_field(x, l, v, NULL);
		free(lo);
		free(vo);
	}
}

static void s_res_rels(struct s_rd *r, struct res_resource *x)
{
	size_t want = s_byte(r) % (S_MAX_RES_RELS + 1);

	for (size_t i = 0; i < want; i++) {
		char *ko, *dto, *id = s_str(r), *type = s_str(r), *name = s_str(r);
		const char *k = s_word(r, s_kinds, S_NWORDS(s_kinds), &ko);
		const char *d = s_word(r, s_details, S_NWORDS(s_details), &dto);
		size_t before = x->n_rels;

		if (k != NULL && res_add_rel(x, k, type, id, d, NULL) == 0 && x->n_rels > before)
			(void)res_set(&x->rels[x->n_rels - 1].name, name, NULL);
		free(ko);
		free(dto);
		free(id);
		free(type);
		free(name);
	}
}

/* addrs, dns and tags: each up to its cap, strings of the input. */
static void s_res_lists(struct s_rd *r, struct res_resource *x)
{
	size_t want = s_byte(r) % (RES_MAX_ADDRS + 1);

	for (size_t i = 0; i < want; i++) {
		char *v = s_str(r);

		(void)res_add_addr(x, v, NULL);
		free(v);
	}
	want = s_byte(r) % (RES_MAX_DNS + 1);
	for (size_t i = 0; i < want; i++) {
		char *v = s_str(r);

		(void)res_add_dns(x, v, NULL);
		free(v);
	}
	want = s_byte(r) % (RES_MAX_TAGS + 1);
	for (size_t i = 0; i < want; i++) {
		char *k = s_str(r), *v = s_str(r);

		(void)res_add_tag(x, k, v, NULL);
		free(k);
		free(v);
	}
}

/* A resource of any registered type (the renderer calls the type's
 * summary and console_url on whatever the strings hold). */
static void s_resource(struct s_rd *r, struct res_resource *x)
{
	size_t n_types = 0;

	while (rt_types[n_types] != NULL)
		n_types++;
	x->type = rt_types[s_byte(r) % n_types];
	s_res_str(r, &x->id);
	s_res_str(r, &x->arn);
	s_res_str(r, &x->name);
	s_res_str(r, &x->state);
	s_res_str(r, &x->created);
	s_res_str(r, &x->hop);
	s_res_fields(r, x);
	s_res_rels(r, x);
	s_res_lists(r, x);
}

static void s_build(struct s_rd *r, struct search_result *res)
{
	size_t i, want;

	memset(res, 0, sizeof(*res));
	res->query_text = s_str(r);
	res->n_targets = s_byte(r);
	res->n_accounts = s_byte(r);
	res->n_regions = s_byte(r);
	res->elapsed_s = s_byte(r) / 7.0;
	res->dns_note = s_str(r);
	want = s_byte(r) % (S_MAX_MATCHES + 1);
	res->matches = want ? calloc(want, sizeof(*res->matches)) : NULL;
	if (res->matches != NULL) {
		res->n_matches = want;
		for (i = 0; i < want; i++) {
			struct search_match *m = &res->matches[i];

			unsigned k = s_byte(r) % 3;

			m->kind = k == 0 ? SEARCH_MATCH_INSTANCE
				: k == 1 ? SEARCH_MATCH_ENI : SEARCH_MATCH_RESOURCE;
			m->account_alias = s_str(r);
			m->account_id = s_str(r);
			m->region = s_str(r);
			if (m->kind == SEARCH_MATCH_ENI)
				s_eni(r, &m->eni);
			else if (m->kind == SEARCH_MATCH_RESOURCE)
				s_resource(r, &m->res);
			else
				s_instance(r, &m->instance);
		}
	}
	want = s_byte(r) % (S_MAX_FAILURES + 1);
	res->failures = want ? calloc(want, sizeof(*res->failures)) : NULL;
	if (res->failures != NULL) {
		res->n_failures = want;
		for (i = 0; i < want; i++) {
			res->failures[i].account_alias = s_str(r);
			res->failures[i].region = s_str(r);
			res->failures[i].code = s_str(r);
			res->failures[i].message = s_str(r);
		}
	}
}

/* No bidi control or invisible format character survives into Slack
 * (issue 11): they could reorder or hide what the reader sees. */
static void s_check_visible(const char *js)
{
	const unsigned char *p = (const unsigned char *)js;
	size_t n = strlen(js), i = 0, k;
	unsigned int cp;

	while (i < n) {
		k = utf8_seq(p + i, n - i, &cp);
		if (k == 0 || utf8_is_invisible(cp))
			abort();
		i += k;
	}
}

/* Length as Slack counts it, in UTF-16 code units (render.h). */
static size_t s_units(const char *t)
{
	const unsigned char *p = (const unsigned char *)t;
	size_t n = strlen(t), i = 0, units = 0, k;
	unsigned int cp;

	while (i < n) {
		k = utf8_seq(p + i, n - i, &cp);
		if (k == 0)
			abort();
		units += cp >= 0x10000 ? 2 : 1;
		i += k;
	}
	return units;
}

/* o's "text", itself a string or an object holding one ({"type":
 * "mrkdwn","text":…}); NULL when none. */
static const char *s_text(json_object *o)
{
	json_object *t, *inner;

	if (!json_object_object_get_ex(o, "text", &t))
		return NULL;
	if (json_object_is_type(t, json_type_string))
		return json_object_get_string(t);
	if (json_object_object_get_ex(t, "text", &inner))
		return json_object_get_string(inner);
	return NULL;
}

static void s_check_text(json_object *o, size_t max)
{
	const char *t = s_text(o);

	if (t != NULL && s_units(t) > max)
		abort();
}

/* Slack's limits on one block (render.h): section text, fields and their
 * text, context elements. */
static void s_check_block(json_object *b)
{
	json_object *fields, *els;

	s_check_text(b, RENDER_MAX_SECTION_TEXT);
	if (json_object_object_get_ex(b, "fields", &fields)) {
		if (json_object_array_length(fields) > RENDER_MAX_FIELDS)
			abort();
		for (size_t i = 0; i < json_object_array_length(fields); i++)
			s_check_text(json_object_array_get_idx(fields, i), RENDER_MAX_FIELD_TEXT);
	}
	if (json_object_object_get_ex(b, "elements", &els))
		for (size_t i = 0; i < json_object_array_length(els); i++)
			s_check_text(json_object_array_get_idx(els, i), RENDER_MAX_SECTION_TEXT);
}

/* Strict JSON, valid UTF-8, at most RENDER_MAX_BLOCKS blocks each within
 * Slack's text limits, nothing invisible. */
static void s_check(char *js)
{
	json_tokener *tok;
	json_object *o, *blocks;

	if (js == NULL)
		return;   /* only on OOM */
	s_check_visible(js);
	tok = json_tokener_new();
	if (tok == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, js, (int)strlen(js) + 1);
	if (o == NULL)
		abort();
	s_check_text(o, RENDER_MAX_SECTION_TEXT);
	if (json_object_object_get_ex(o, "blocks", &blocks)) {
		if (json_object_array_length(blocks) > RENDER_MAX_BLOCKS)
			abort();
		for (size_t i = 0; i < json_object_array_length(blocks); i++)
			s_check_block(json_object_array_get_idx(blocks, i));
	}
	json_object_put(o);
	json_tokener_free(tok);
	free(js);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s_rd r = { data, size };
	struct render_opts opts;
	struct search_result res;
	const char *aliases[2];
	char *out = NULL;
	size_t out_len = 0;
	FILE *fp;

	opts.response_type = (s_byte(&r) & 1) ? RENDER_EPHEMERAL : RENDER_IN_CHANNEL;
	opts.max_blocks = s_byte(&r);
	s_build(&r, &res);

	s_check(render_result(&res, &opts, NULL));
	s_check(render_nothing_found(&res, &opts, NULL));
	s_check(render_error(res.query_text, NULL));
	aliases[0] = res.query_text != NULL ? res.query_text : "x";
	aliases[1] = res.n_failures ? res.failures[0].code : NULL;
	s_check(render_help(res.query_text, aliases, 2, aliases, 1, NULL));
	s_check(render_pending(res.n_accounts, res.n_regions, NULL));

	fp = open_memstream(&out, &out_len);
	if (fp != NULL) {
		(void)render_text(&res, fp, NULL);
		fclose(fp);
		free(out);
	}
	search_result_free(&res);
	return 0;
}
