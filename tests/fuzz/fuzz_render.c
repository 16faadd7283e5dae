/*
 * fuzz_render.c - build a search_result from fuzz bytes (strings of any
 * bytes, invalid UTF-8 included; counts large enough to overflow Slack's
 * limits): instances, interfaces and resources of every registered type
 * (fields, relations, DNS names, addresses, tags and the DNS hop, within
 * resource.h's caps), failures and a DNS note. Render it every way, and
 * check each output is strict JSON (UTF-8 validated by json-c) with at
 * most RENDER_MAX_BLOCKS blocks and no bidi control or invisible format
 * character.
 *
 * The property of issue 14: every message (render_result with and without
 * a result id and [links], each page of render_pages, render_fallback,
 * render_more_pages) is within Slack's budget as render_measure counts it
 * (RENDER_MAX_TEXT_TOTAL characters of block text, RENDER_MAX_BLOCKS
 * blocks) and every per-element limit (section text, fields, context
 * elements, buttons); the fallback within 3 blocks and 3000 characters.
 * Any breach aborts.
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
/* A button's text, action_id and value within Block Kit's limits. */
static void s_check_button(json_object *e)
{
	json_object *t, *v;

	if (!json_object_object_get_ex(e, "text", &t) ||
	    !json_object_object_get_ex(t, "text", &v) ||
	    s_units(json_object_get_string(v)) > RENDER_MAX_BUTTON_TEXT)
		abort();
	if (!json_object_object_get_ex(e, "action_id", &v) ||
	    strlen(json_object_get_string(v)) > RENDER_MAX_ACTION_ID)
		abort();
	if (!json_object_object_get_ex(e, "value", &v) ||
	    strlen(json_object_get_string(v)) > RENDER_MAX_BUTTON_VALUE)
		abort();
}

static void s_check_block(json_object *b)
{
	json_object *fields, *els, *type;

	s_check_text(b, RENDER_MAX_SECTION_TEXT);
	if (json_object_object_get_ex(b, "fields", &fields)) {
		if (json_object_array_length(fields) > RENDER_MAX_FIELDS)
			abort();
		for (size_t i = 0; i < json_object_array_length(fields); i++)
			s_check_text(json_object_array_get_idx(fields, i), RENDER_MAX_FIELD_TEXT);
	}
	if (json_object_object_get_ex(b, "elements", &els)) {
		int actions = json_object_object_get_ex(b, "type", &type) &&
			      strcmp(json_object_get_string(type), "actions") == 0;

		if (actions && json_object_array_length(els) > 25)
			abort();
		for (size_t i = 0; i < json_object_array_length(els); i++) {
			if (actions)
				s_check_button(json_object_array_get_idx(els, i));
			else
				s_check_text(json_object_array_get_idx(els, i),
					     RENDER_MAX_SECTION_TEXT);
		}
	}
}

/* Strict JSON, valid UTF-8, nothing invisible; returns the parsed
 * document (the caller puts it). */
static json_object *s_parse(const char *js)
{
	json_tokener *tok;
	json_object *o;

	s_check_visible(js);
	tok = json_tokener_new();
	if (tok == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, js, (int)strlen(js) + 1);
	if (o == NULL)
		abort();
	json_tokener_free(tok);
	return o;
}

/* One message: within the budget as render_measure counts it (at most
 * max_units characters of block text, max_blocks blocks), every block
 * within Slack's element limits. */
static void s_check_msg(const char *js, size_t max_units, size_t max_blocks)
{
	struct render_size sz;
	json_object *o = s_parse(js), *blocks;

	if (render_measure(js, &sz, NULL) != 0 || sz.text_chars > max_units ||
	    sz.blocks > max_blocks)
		abort();
	s_check_text(o, RENDER_MAX_SECTION_TEXT);
	if (json_object_object_get_ex(o, "blocks", &blocks)) {
		if (json_object_array_length(blocks) > RENDER_MAX_BLOCKS)
			abort();
		for (size_t i = 0; i < json_object_array_length(blocks); i++)
			s_check_block(json_object_array_get_idx(blocks, i));
	}
	json_object_put(o);
}

/* s_check_msg with the budget of every message, then free js. */
static void s_check(char *js)
{
	if (js == NULL)
		return;   /* only on OOM */
	s_check_msg(js, RENDER_MAX_TEXT_TOTAL, RENDER_MAX_BLOCKS);
	free(js);
}

/* render_pages' array: 1..RENDER_PAGES_MAX pages, each a message within
 * the budget. */
static void s_check_pages(char *js, size_t n_pages)
{
	json_object *arr;
	size_t i;

	if (js == NULL)
		return;
	arr = s_parse(js);
	if (!json_object_is_type(arr, json_type_array) || n_pages == 0 ||
	    n_pages > RENDER_PAGES_MAX || json_object_array_length(arr) != n_pages)
		abort();
	for (i = 0; i < n_pages; i++)
		s_check_msg(json_object_to_json_string_ext(json_object_array_get_idx(arr, i),
							   JSON_C_TO_STRING_PLAIN),
			    RENDER_MAX_TEXT_TOTAL, RENDER_MAX_BLOCKS);
	json_object_put(arr);
	free(js);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s_rd r = { data, size };
	struct render_opts opts;
	struct render_links links;
	struct search_result res;
	const char *aliases[2];
	char *out = NULL, *sso, *role, *js;
	size_t out_len = 0, n_pages = 0, next;
	FILE *fp;

	memset(&opts, 0, sizeof(opts));
	opts.response_type = (s_byte(&r) & 1) ? RENDER_EPHEMERAL : RENDER_IN_CHANNEL;
	opts.max_blocks = s_byte(&r);
	next = s_byte(&r);
	/* [links] as the config could hold them, or anything. */
	sso = s_str(&r);
	role = s_str(&r);
	links.sso_start_url = (next & 1) && sso != NULL ? sso :
			      "https://d-1234567890.awsapps.com/start";
	links.role_name = (next & 2) && role != NULL ? role : "ReadOnly";
	s_build(&r, &res);

	s_check(render_result(&res, &opts, NULL));
	opts.result_id = (next & 4) && res.query_text != NULL ? res.query_text :
			 "0123456789abcdef0123456789abcdef";
	opts.links = &links;
	opts.replace_original = (int)(next & 8);
	s_check(render_result(&res, &opts, NULL));
	s_check_pages(render_pages(&res, &opts, &n_pages, NULL), n_pages);
	js = render_fallback(&res, &opts, NULL);
	if (js != NULL)
		s_check_msg(js, 3000, 3);
	free(js);
	s_check(render_more_pages(opts.result_id, next % 7, next % 11, NULL));
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
	free(sso);
	free(role);
	return 0;
}
