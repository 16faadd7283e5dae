/*
 * fuzz_render.c - build a search_result from fuzz bytes (strings of any
 * bytes, invalid UTF-8 included; counts large enough to overflow Slack's
 * limits), render it every way, and check each output is strict JSON
 * (UTF-8 validated by json-c) with at most RENDER_MAX_BLOCKS blocks and no
 * bidi control or invisible format character.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "render.h"
#include "util/utf8.h"

/* Caps that keep one input fast while still exceeding every Slack limit. */
#define S_MAX_MATCHES 120
#define S_MAX_TAGS 16
#define S_MAX_IPS 4
#define S_MAX_FAILURES 8

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

static void s_build(struct s_rd *r, struct search_result *res)
{
	size_t i, want;

	memset(res, 0, sizeof(*res));
	res->query_text = s_str(r);
	res->n_targets = s_byte(r);
	res->n_accounts = s_byte(r);
	res->n_regions = s_byte(r);
	res->elapsed_s = s_byte(r) / 7.0;
	want = s_byte(r) % (S_MAX_MATCHES + 1);
	res->matches = want ? calloc(want, sizeof(*res->matches)) : NULL;
	if (res->matches != NULL) {
		res->n_matches = want;
		for (i = 0; i < want; i++) {
			struct search_match *m = &res->matches[i];

			m->kind = (s_byte(r) & 1) ? SEARCH_MATCH_ENI : SEARCH_MATCH_INSTANCE;
			m->account_alias = s_str(r);
			m->account_id = s_str(r);
			m->region = s_str(r);
			if (m->kind == SEARCH_MATCH_ENI)
				s_eni(r, &m->eni);
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

/* Strict JSON, valid UTF-8, at most RENDER_MAX_BLOCKS blocks, nothing
 * invisible. */
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
	if (json_object_object_get_ex(o, "blocks", &blocks) &&
	    json_object_array_length(blocks) > RENDER_MAX_BLOCKS)
		abort();
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
