/*
 * test_render.c - Block Kit rendering: golden messages, Slack limits,
 * escaping and the plain-text table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "render.h"
#include "search/registry.h"
#include "search/resource.h"
#include "util/strutil.h"

/* ---- building results by hand ---- */

static char *s_dup(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	assert_non_null(d);
	return d;
}

static void s_tag(struct ec2_tag **tags, size_t *n, const char *k, const char *v)
{
	struct ec2_tag *t = realloc(*tags, (*n + 1) * sizeof(**tags));

	assert_non_null(t);
	*tags = t;
	t[*n].key = s_dup(k);
	t[*n].value = s_dup(v);
	(*n)++;
}

static struct search_match *s_add_match(struct search_result *r, enum search_match_kind kind,
					const char *alias, const char *account_id,
					const char *region)
{
	struct search_match *m = realloc(r->matches, (r->n_matches + 1) * sizeof(*m));

	assert_non_null(m);
	r->matches = m;
	m = &r->matches[r->n_matches++];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->account_alias = s_dup(alias);
	m->account_id = s_dup(account_id);
	m->region = s_dup(region);
	return m;
}

static void s_add_failure(struct search_result *r, const char *alias, const char *region,
			  const char *code, const char *message)
{
	struct search_failure *f = realloc(r->failures, (r->n_failures + 1) * sizeof(*f));

	assert_non_null(f);
	r->failures = f;
	f = &r->failures[r->n_failures++];
	f->account_alias = s_dup(alias);
	f->region = s_dup(region);
	f->code = s_dup(code);
	f->message = s_dup(message);
}

static struct ec2_instance *s_instance(struct search_match *m, const char *id,
				       const char *type, const char *state, const char *az)
{
	struct ec2_instance *in = &m->instance;

	in->instance_id = s_dup(id);
	in->instance_type = s_dup(type);
	in->state = s_dup(state);
	in->az = s_dup(az);
	return in;
}

static void s_eni_ip(struct ec2_eni *e, const char *priv, const char *pub)
{
	struct ec2_private_ip *ip = realloc(e->ips, (e->n_ips + 1) * sizeof(*ip));

	assert_non_null(ip);
	e->ips = ip;
	ip = &e->ips[e->n_ips++];
	memset(ip, 0, sizeof(*ip));
	ip->private_ip = s_dup(priv);
	ip->public_ip = s_dup(pub);
	ip->primary = e->n_ips == 1;
}

/* The fixture behind tests/data/render/result_basic.json. */
static void s_basic(struct search_result *r)
{
	struct search_match *m;
	struct ec2_instance *in;
	struct ec2_eni *e;

	memset(r, 0, sizeof(*r));
	r->query_text = s_dup("web");
	r->n_targets = 12;
	r->n_accounts = 3;
	r->n_regions = 4;
	r->elapsed_s = 0.41;

	m = s_add_match(r, SEARCH_MATCH_INSTANCE, "production", "123456789012", "eu-west-2");
	in = s_instance(m, "i-0123456789abcdef0", "t3.micro", "running", "eu-west-2a");
	in->launch_time = s_dup("2024-01-02T03:04:05.000Z");
	in->private_ip = s_dup("10.4.2.17");
	in->public_ip = s_dup("3.8.1.2");
	s_tag(&in->tags, &in->n_tags, "Name", "web-1 & co");
	s_tag(&in->tags, &in->n_tags, "team", "a&b");
	s_tag(&in->tags, &in->n_tags, "Environment", "prod");
	s_tag(&in->tags, &in->n_tags, "note", "<!channel> <http://x|y>");
	s_tag(&in->tags, &in->n_tags, "Role", "web");

	/* No account_id from the search: the reservation owner is used. No
	 * public IP, no tags: those fields are left out. */
	m = s_add_match(r, SEARCH_MATCH_INSTANCE, "staging", NULL, "us-east-1");
	in = s_instance(m, "i-0fedcba9876543210", "m5.large", "stopped", "us-east-1c");
	in->owner_id = s_dup("210987654321");
	in->launch_time = s_dup("2023-11-30T23:59:59.000Z");
	in->private_ip = s_dup("10.9.0.5");

	m = s_add_match(r, SEARCH_MATCH_ENI, "production", "123456789012", "eu-west-2");
	e = &m->eni;
	e->eni_id = s_dup("eni-0a1b2c3d4e5f60718");
	e->description = s_dup("ELB app/web-alb/50dc6c495c0c9188");
	e->interface_type = s_dup("interface");
	e->requester_id = s_dup("amazon-elb");
	e->requester_managed = 1;
	e->status = s_dup("in-use");
	e->vpc_id = s_dup("vpc-11111111");
	e->subnet_id = s_dup("subnet-22222222");
	e->az = s_dup("eu-west-2b");
	s_eni_ip(e, "10.4.3.9", "18.130.1.2");
	s_eni_ip(e, "10.4.3.10", NULL);

	s_add_failure(r, "staging", "eu-west-1", "AccessDenied", "User is not authorized");
	s_add_failure(r, "dev", "us-east-1", "Timeout", NULL);
}

/* n running instances named web-<i> in one account-region. */
static void s_many(struct search_result *r, size_t n, const char *tag_value)
{
	char id[32], name[32];
	size_t i;

	memset(r, 0, sizeof(*r));
	r->query_text = s_dup("web");
	r->n_targets = r->n_accounts = r->n_regions = 1;
	for (i = 0; i < n; i++) {
		struct search_match *m = s_add_match(r, SEARCH_MATCH_INSTANCE, "production",
						     "123456789012", "eu-west-2");
		struct ec2_instance *in;

		(void)snprintf(id, sizeof(id), "i-%017zx", i);
		(void)snprintf(name, sizeof(name), "web-%zu", i);
		in = s_instance(m, id, "t3.micro", "running", "eu-west-2a");
		s_tag(&in->tags, &in->n_tags, "Name", name);
		if (tag_value != NULL)
			s_tag(&in->tags, &in->n_tags, "Description", tag_value);
	}
}

/* ---- resources of the registered types (search/resource.h) ---- */

/* The registry's type, copied so that the test owns its card callbacks:
 * the modules' own summary and console link may change wording without
 * touching these goldens. with_cb 0: no summary, no link (the fallbacks). */
static void s_local_type(struct rt_type *out, const char *name, int with_cb);

static struct search_match *s_add_res(struct search_result *r, const struct rt_type *t,
				      const char *alias, const char *account_id,
				      const char *region, const char *id, const char *name,
				      const char *state)
{
	struct search_match *m = s_add_match(r, SEARCH_MATCH_RESOURCE, alias, account_id,
					     region);

	m->res.type = t;
	assert_int_equal(res_set(&m->res.id, id, NULL), 0);
	assert_int_equal(res_set(&m->res.name, name, NULL), 0);
	assert_int_equal(res_set(&m->res.state, state, NULL), 0);
	return m;
}

static void s_fld(struct res_resource *res, const char *label, const char *value)
{
	assert_int_equal(res_add_field(res, label, value, NULL), 0);
}

/* A relation; name is the other end's Name (set directly: res_add_rel
 * leaves it to the module). */
static void s_rel(struct res_resource *res, const char *kind, const char *type,
		  const char *id, const char *detail, const char *name)
{
	assert_int_equal(res_add_rel(res, kind, type, id, detail, NULL), 0);
	assert_int_equal(res_set(&res->rels[res->n_rels - 1].name, name, NULL), 0);
}

/* The test's console link: the shape registry.h describes, keyed by the
 * type's name so every type links somewhere distinct. */
static void s_test_url(const struct res_resource *r, const char *region, char *out, size_t n)
{
	(void)snprintf(out, n, "https://%s.console.aws.amazon.com/test/home?region=%s#%s:id=%s",
		       region, region, r->type->name, r->id);
}

static void s_test_summary(const struct res_resource *r, char *out, size_t n)
{
	(void)snprintf(out, n, "test summary: %s, %zu related",
		       r->state != NULL ? r->state : "no state", r->n_rels);
}

static void s_local_type(struct rt_type *out, const char *name, int with_cb)
{
	const struct rt_type *real = rt_by_name(name);

	if (real == NULL)
		fail_msg("no registry type %s", name);
	*out = *real;
	out->summary = with_cb ? s_test_summary : NULL;
	out->console_url = with_cb ? s_test_url : NULL;
}

/* One-match (or more) results for the resource goldens. */
static void s_res_result(struct search_result *r, const char *query)
{
	memset(r, 0, sizeof(*r));
	r->query_text = s_dup(query);
	r->n_targets = 6;
	r->n_accounts = 2;
	r->n_regions = 3;
	r->elapsed_s = 0.52;
}

/* Free r's failures (keeping the array for search_result_free). */
static void s_drop_failures(struct search_result *r)
{
	size_t i;

	for (i = 0; i < r->n_failures; i++) {
		free(r->failures[i].account_alias);
		free(r->failures[i].region);
		free(r->failures[i].code);
		free(r->failures[i].message);
	}
	r->n_failures = 0;
}

/* ---- checking output ---- */

static json_object *s_parse(const char *js)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;

	assert_non_null(js);
	assert_non_null(tok);
	/* Strict UTF-8: the renderer must never emit invalid sequences. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, js, (int)strlen(js) + 1);
	if (o == NULL)
		fail_msg("output is not strict JSON: %s\n%s",
			 json_tokener_error_desc(json_tokener_get_error(tok)), js);
	json_tokener_free(tok);
	return o;
}

static char *s_read_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* The golden file's text pretty-printed, one value a line, so that a
 * mismatch reads as a diff. */
static const char *s_pretty(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_SPACED |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
}

/*
 * Compare js with the golden file tests/data/<dir>/<name> after
 * normalising both with json-c (parse, json_object_equal: key order and
 * spacing do not matter). On a mismatch both are printed pretty, one value
 * a line, for diff. SI_UPDATE_GOLDEN=1 in the environment rewrites the
 * golden file from js instead (run once by hand after an intended change,
 * then review the diff with git; the test suite never sets it).
 */
static void s_golden_in(const char *dir, const char *name, const char *js)
{
	const char *src = getenv("SI_SRCDIR"), *upd = getenv("SI_UPDATE_GOLDEN");
	char path[1024];
	char *want_text;
	json_object *want, *got;

	(void)snprintf(path, sizeof(path), "%s/tests/data/%s/%s", src != NULL ? src : ".", dir,
		       name);
	got = s_parse(js);
	want_text = NULL;
	want = NULL;
	if (access(path, R_OK) == 0) {
		want_text = s_read_file(path);
		want = json_tokener_parse(want_text);
	}
	/* Rewritten only when it differs, so equal files keep their layout. */
	if (upd != NULL && strcmp(upd, "1") == 0 &&
	    (want == NULL || !json_object_equal(want, got))) {
		FILE *fp = fopen(path, "wb");

		if (fp == NULL)
			fail_msg("cannot write %s", path);
		fprintf(fp, "%s\n", s_pretty(got));
		fclose(fp);
		json_object_put(want);
		free(want_text);
		want_text = s_read_file(path);
		want = json_tokener_parse(want_text);
	}
	if (want_text == NULL)
		fail_msg("no golden %s (SI_UPDATE_GOLDEN=1 writes it)", path);
	if (want == NULL)
		fail_msg("golden %s is not JSON", path);
	if (!json_object_equal(want, got)) {
		char *w = strdup(s_pretty(want));

		assert_non_null(w);
		fail_msg("%s differs (SI_UPDATE_GOLDEN=1 rewrites it):\n--- want\n%s\n+++ got\n%s",
			 path, w, s_pretty(got));
		free(w);
	}
	json_object_put(want);
	json_object_put(got);
	free(want_text);
}

/* The renderer's goldens of earlier issues, tests/data/render/<name>. */
static void s_golden(const char *name, const char *js)
{
	s_golden_in("render", name, js);
}

/* Limits from the shared reference data, not from our own header. */
struct s_limits {
	size_t blocks, section_text, fields, field_text;
};

static size_t s_limit(json_object *limits, const char *name)
{
	size_t i;

	for (i = 0; i < json_object_array_length(limits); i++) {
		json_object *l = json_object_array_get_idx(limits, i), *v;

		if (json_object_object_get_ex(l, "name", &v) &&
		    strcmp(json_object_get_string(v), name) == 0 &&
		    json_object_object_get_ex(l, "max", &v))
			return (size_t)json_object_get_int(v);
	}
	fail_msg("limit %s not in block-kit-limits.json", name);
	return 0;
}

static struct s_limits s_load_limits(void)
{
	const char *td = getenv("SI_TESTDATA");
	char path[1024];
	char *text;
	json_object *root, *limits;
	struct s_limits l;

	if (td == NULL)
		fail_msg("SI_TESTDATA is not set");
	(void)snprintf(path, sizeof(path), "%s/slack/block-kit-limits.json", td);
	text = s_read_file(path);
	root = json_tokener_parse(text);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "limits", &limits));
	l.blocks = s_limit(limits, "blocks_per_message");
	l.section_text = s_limit(limits, "section.text_max_chars");
	l.fields = s_limit(limits, "section.fields_max_items");
	l.field_text = s_limit(limits, "section.fields_item_text_max_chars");
	json_object_put(root);
	free(text);
	return l;
}

/* Characters as code points: the stricter UTF-16 count is the renderer's
 * own business; here we check the documented character limit. */
static size_t s_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static const char *s_text_of(json_object *o)
{
	json_object *t, *s;

	if (!json_object_object_get_ex(o, "text", &t))
		return NULL;
	if (json_object_is_type(t, json_type_string))
		return json_object_get_string(t);
	if (json_object_object_get_ex(t, "text", &s))
		return json_object_get_string(s);
	return NULL;
}

/* No mention or link could have come from data: every '<' is one of our
 * console links. */
/* Our own date token: "<!date^" digits "^{date_short_pretty} {time}|",
 * then a fallback of letters, digits, spaces and ':' up to '>'. */
static int s_our_date(const char *p)
{
	static const char fmt[] = "^{date_short_pretty} {time}|";

	if (!SI_HAS_PREFIX(p, "<!date^"))
		return 0;
	p += SI_LITLEN("<!date^");
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (strncmp(p, fmt, SI_LITLEN(fmt)) != 0)
		return 0;
	for (p += SI_LITLEN(fmt); *p != '>'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= 'a' && *p <= 'z') || *p == ' ' || *p == ':' || *p == '-'))
			return 0;
	return 1;
}

static void s_no_injection(const char *text)
{
	const char *p = text;

	while ((p = strchr(p, '<')) != NULL) {
		if ((!SI_HAS_PREFIX(p, "<https://") || strchr(p, '>') == NULL) && !s_our_date(p))
			fail_msg("raw '<' not from our links in: %s", text);
		p++;
	}
}

/* Walk a message: every limit, and returns the parsed root. */
static json_object *s_check_message(const char *js)
{
	struct s_limits l = s_load_limits();
	json_object *root = s_parse(js), *blocks, *fields, *els;
	size_t i, j;
	const char *t;

	t = s_text_of(root);
	assert_non_null(t);  /* the notification fallback is always there */
	assert_true(s_chars(t) <= l.section_text);
	s_no_injection(t);
	assert_true(json_object_object_get_ex(root, "blocks", &blocks));
	assert_true(json_object_array_length(blocks) <= l.blocks);
	for (i = 0; i < json_object_array_length(blocks); i++) {
		json_object *b = json_object_array_get_idx(blocks, i);

		t = s_text_of(b);
		if (t != NULL) {
			assert_true(s_chars(t) <= l.section_text);
			s_no_injection(t);
		}
		if (json_object_object_get_ex(b, "fields", &fields)) {
			assert_true(json_object_array_length(fields) <= l.fields);
			for (j = 0; j < json_object_array_length(fields); j++) {
				t = s_text_of(json_object_array_get_idx(fields, j));
				assert_non_null(t);
				assert_true(s_chars(t) <= l.field_text);
				s_no_injection(t);
			}
		}
		if (json_object_object_get_ex(b, "elements", &els)) {
			for (j = 0; j < json_object_array_length(els); j++) {
				t = s_text_of(json_object_array_get_idx(els, j));
				assert_non_null(t);
				assert_true(s_chars(t) <= l.section_text);
				s_no_injection(t);
			}
		}
	}
	return root;
}

static size_t s_n_blocks(json_object *root)
{
	json_object *blocks;

	assert_true(json_object_object_get_ex(root, "blocks", &blocks));
	return json_object_array_length(blocks);
}

static const char *s_block_text(json_object *root, size_t i)
{
	json_object *blocks;

	assert_true(json_object_object_get_ex(root, "blocks", &blocks));
	return s_text_of(json_object_array_get_idx(blocks, i));
}

/* "1,373" at p, commas skipped. */
static size_t s_parse_count(const char *p)
{
	size_t n = 0;

	for (; (*p >= '0' && *p <= '9') || *p == ','; p++)
		if (*p != ',')
			n = n * 10 + (size_t)(*p - '0');
	return n;
}

/* What a result message shows: full cards (a section with fields), the
 * compact list's lines (lines of the sections without fields, past the
 * summary, that do not start with '*' and end in " · region"), its
 * account headings (lines starting with '*' in those sections), and the
 * count of the "*N more* — narrow…" line. */
static void s_tally_h(json_object *root, size_t *cards, size_t *lines, size_t *more,
		      size_t *headings)
{
	json_object *blocks, *fields;
	size_t i;

	*cards = *lines = *more = *headings = 0;
	assert_true(json_object_object_get_ex(root, "blocks", &blocks));
	for (i = 1; i < json_object_array_length(blocks); i++) {
		json_object *b = json_object_array_get_idx(blocks, i);
		const char *t = s_text_of(b), *p;

		if (json_object_object_get_ex(b, "fields", &fields)) {
			(*cards)++;
			continue;
		}
		if (t == NULL || SI_HAS_PREFIX(t, "*Matches by") || SI_HAS_PREFIX(t, "*History*"))
			continue;
		for (p = t; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p) {
			const char *end = strchr(p, '\n');
			const char *more_at = strstr(p, " more* \xe2\x80\x94");

			if (p[0] == '*' && more_at != NULL && (end == NULL || more_at < end))
				*more = s_parse_count(p + 1);
			else if (p[0] == '*')
				(*headings)++;
			else
				(*lines)++;
		}
	}
}

static void s_tally(json_object *root, size_t *cards, size_t *lines, size_t *more)
{
	size_t headings;

	s_tally_h(root, cards, lines, more, &headings);
}

/* Every message: within the budget of render.h (render_measure) as well
 * as the per-element limits s_check_message walks. */
static void s_budget(const char *js)
{
	struct render_size sz;
	struct si_err err;

	assert_int_equal(render_measure(js, &sz, &err), 0);
	if (sz.text_chars > RENDER_MAX_TEXT_TOTAL || sz.blocks > RENDER_MAX_BLOCKS)
		fail_msg("over budget: %zu blocks, %zu characters", sz.blocks, sz.text_chars);
	json_object_put(s_check_message(js));
}

/* ---- goldens ---- */

static void test_golden_result(void **state)
{
	struct search_result r;
	struct si_err err;
	char *js;
	json_object *root;

	(void)state;
	s_basic(&r);
	js = render_result(&r, NULL, &err);
	s_golden("result_basic.json", js);
	root = s_check_message(js);
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

static void test_golden_nothing_found(void **state)
{
	struct search_result r;
	struct render_opts o = { .response_type = RENDER_EPHEMERAL, .max_blocks = 0 };
	struct si_err err;
	char *js, *js2;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.query_text = s_dup("10.9.9.9");
	r.n_accounts = 3;
	r.n_regions = 1;
	r.n_targets = 3;
	r.elapsed_s = 1.5;
	s_add_failure(&r, "staging", "eu-west-1", "AccessDenied", NULL);
	js = render_nothing_found(&r, &o, &err);
	s_golden("nothing_found.json", js);
	/* render_result with no matches says the same. */
	js2 = render_result(&r, &o, &err);
	s_golden("nothing_found.json", js2);
	free(js);
	free(js2);
	search_result_free(&r);
}

static void test_golden_help(void **state)
{
	static const char *const aliases[] = { "production", "staging" };
	static const char *const regions[] = { "eu-west-2", "us-east-1" };
	char *js;

	(void)state;
	js = render_help(NULL, aliases, 2, regions, 2, NULL);
	s_golden("help.json", js);
	json_object_put(s_check_message(js));
	/* The ID list is the registry's: every type's prefixes, "`sg-…`". */
	for (size_t i = 0; rt_types[i] != NULL; i++) {
		const char *const *p = rt_types[i]->id_prefixes;

		for (size_t k = 0; p != NULL && p[k] != NULL; k++) {
			char want[64];

			snprintf(want, sizeof(want), "`%s\xe2\x80\xa6`", p[k]);
			if (strstr(js, want) == NULL)
				fail_msg("help lacks %s", want);
		}
	}
	free(js);
}

static void test_golden_pending_error_ack(void **state)
{
	char *js;

	(void)state;
	js = render_pending(3, 1, NULL);
	s_golden("pending.json", js);
	free(js);
	js = render_error("Unknown account 'dev' & <!here>", NULL);
	s_golden("error.json", js);
	free(js);
	js = render_ack(NULL);
	s_golden("ack.json", js);
	free(js);
}

/* ---- behaviour ---- */

static void test_singular_and_plural(void **state)
{
	struct search_result r;
	json_object *root;
	char *js;

	(void)state;
	s_many(&r, 1, NULL);
	r.elapsed_s = 0.004;
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	assert_string_equal(s_block_text(root, 0),
			    "1 match for web in 1 account-region, 0.00 s");
	json_object_put(root);
	free(js);
	search_result_free(&r);

	s_many(&r, 0, NULL);
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	assert_string_equal(s_block_text(root, 0), "No matches for web in 1 account "
			    "and 1 region (1 account-region), 0.00 s");
	json_object_put(root);
	free(js);
	search_result_free(&r);

	js = render_pending(1, 2, NULL);
	assert_non_null(strstr(js, "Searching 1 account in 2 regions"));
	free(js);
}

/* Count blocks that show one instance (their text starts with a link). */
static size_t s_count_matches(json_object *root)
{
	size_t i, n = 0;

	for (i = 0; i < s_n_blocks(root); i++) {
		const char *t = s_block_text(root, i);

		if (t != NULL && SI_HAS_PREFIX(t, "*<https://"))
			n++;
	}
	return n;
}

/* 200 matches do not all get a card: none does; one account heading, then
 * a line each while the budget lasts, then how many more. */
static void test_200_matches_compact_list(void **state)
{
	struct search_result r;
	json_object *root;
	size_t cards, lines, more, headings;
	char *js;

	(void)state;
	s_many(&r, 200, NULL);
	js = render_result(&r, NULL, NULL);
	s_budget(js);
	root = s_check_message(js);
	s_tally_h(root, &cards, &lines, &more, &headings);
	assert_int_equal(cards, 0);
	assert_int_equal(headings, 1);
	assert_true(lines >= 40);
	assert_int_equal(lines + more, 200);
	/* Order kept: the heading, then the first found. */
	assert_true(SI_HAS_PREFIX(s_block_text(root, 1), "*production* (123456789012)\n"
				  "EC2 instance <https://eu-west-2.console.aws.amazon.com/ec2/home?"
				  "region=eu-west-2#InstanceDetails:instanceId=i-00000000000000000|"
				  "i-00000000000000000> web-0 \xe2\x80\x94 running, t3.micro "
				  "\xc2\xb7 eu-west-2\n"));
	assert_non_null(strstr(js, " more* \xe2\x80\x94 narrow with `account:` or `region:`"));
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* Up to RENDER_CARDS_MAX matches get cards; a list that fits whole has no
 * "more" line. */
static void test_exactly_fitting_has_no_more_line(void **state)
{
	struct search_result r;
	json_object *root;
	size_t cards, lines, more;
	char *js;

	(void)state;
	s_many(&r, RENDER_CARDS_MAX, NULL);
	js = render_result(&r, NULL, NULL);
	s_budget(js);
	root = s_check_message(js);
	assert_int_equal(s_n_blocks(root), 1 + RENDER_CARDS_MAX);
	assert_int_equal(s_count_matches(root), RENDER_CARDS_MAX);
	json_object_put(root);
	free(js);
	search_result_free(&r);

	s_many(&r, 20, NULL);
	js = render_result(&r, NULL, NULL);
	s_budget(js);
	root = s_check_message(js);
	s_tally(root, &cards, &lines, &more);
	assert_int_equal(cards, 0);
	assert_int_equal(lines, 20);
	assert_int_equal(more, 0);
	assert_null(strstr(js, " more*"));
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

static void test_max_blocks_option_with_failures(void **state)
{
	struct search_result r;
	struct render_opts o = { .response_type = RENDER_IN_CHANNEL, .max_blocks = 10 };
	json_object *root;
	size_t cards, lines, more;
	char *js;

	(void)state;
	s_many(&r, 30, NULL);
	s_add_failure(&r, "dev", "us-east-1", "Timeout", NULL);
	js = render_result(&r, &o, NULL);
	s_budget(js);
	root = s_check_message(js);
	assert_true(s_n_blocks(root) <= 10);
	s_tally(root, &cards, &lines, &more);
	assert_int_equal(cards, 0);
	assert_int_equal(lines + more, 30);
	json_object_put(root);
	free(js);
	/* Absurd options are clamped, not obeyed. */
	o.max_blocks = 1000;
	js = render_result(&r, &o, NULL);
	s_budget(js);
	free(js);
	/* The smallest: summary, failures, one section of lines, "more". */
	o.max_blocks = 1;
	js = render_result(&r, &o, NULL);
	s_budget(js);
	root = s_check_message(js);
	assert_int_equal(s_n_blocks(root), 4);
	s_tally(root, &cards, &lines, &more);
	assert_true(lines > 0 && more > 0);
	assert_int_equal(lines + more, 30);
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

static void test_huge_tag_value_stays_within_limits(void **state)
{
	struct search_result r;
	struct ec2_instance *in;
	json_object *root;
	char *big, *js;
	size_t i;

	(void)state;
	/* 5000 two-byte characters: cutting at a byte count would split one. */
	big = malloc(2 * 5000 + 1);
	assert_non_null(big);
	for (i = 0; i < 5000; i++) {
		big[2 * i] = (char)0xc3;
		big[2 * i + 1] = (char)0xa9;
	}
	big[10000] = '\0';
	s_many(&r, 3, big);
	in = &r.matches[0].instance;
	s_tag(&in->tags, &in->n_tags, "Environment", big);
	s_tag(&in->tags, &in->n_tags, "Role", big);
	/* Many tags push the section text itself over 3000 characters. */
	for (i = 0; i < 60; i++)
		s_tag(&in->tags, &in->n_tags, "k&", big);
	free(r.query_text);
	r.query_text = s_dup(big);
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);   /* also validates UTF-8 strictly */
	/* The cut is marked and the links before it are intact. */
	assert_non_null(strstr(s_block_text(root, 1), "\xe2\x80\xa6"));
	assert_non_null(strstr(s_block_text(root, 1), "|Session Manager>"));
	assert_true(s_chars(s_block_text(root, 1)) <= RENDER_MAX_SECTION_TEXT);
	assert_true(s_chars(s_block_text(root, 1)) > RENDER_MAX_SECTION_TEXT - 200);
	json_object_put(root);
	free(js);
	free(big);
	search_result_free(&r);
}

static void test_cut_never_splits_entity(void **state)
{
	struct search_result r;
	struct ec2_instance *in;
	json_object *root;
	const char *t;
	char *js;
	size_t i;

	(void)state;
	s_many(&r, 1, NULL);
	in = &r.matches[0].instance;
	for (i = 0; i < 200; i++)
		s_tag(&in->tags, &in->n_tags, "a", "&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&");
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	t = s_block_text(root, 1);
	/* Every '&' begins a whole "&amp;". */
	for (; (t = strchr(t, '&')) != NULL; t++)
		if (!SI_HAS_PREFIX(t, "&amp;"))
			fail_msg("split entity at: %.20s", t);
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

static void test_astral_characters_counted_conservatively(void **state)
{
	struct search_result r;
	struct ec2_instance *in;
	json_object *root;
	char *js;
	size_t i;

	(void)state;
	s_many(&r, 1, NULL);
	in = &r.matches[0].instance;
	/* U+1F600: 4 bytes, 2 UTF-16 units, 1 code point. */
	for (i = 0; i < 100; i++)
		s_tag(&in->tags, &in->n_tags, "e", "\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
		      "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80");
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

static void test_injection_escaped_everywhere(void **state)
{
	struct search_result r;
	struct ec2_instance *in;
	json_object *root;
	char *js;

	(void)state;
	s_many(&r, 1, NULL);
	free(r.query_text);
	r.query_text = s_dup("<!everyone>");
	free(r.matches[0].account_alias);
	r.matches[0].account_alias = s_dup("<@U123>");
	in = &r.matches[0].instance;
	free(in->tags[0].value);
	in->tags[0].value = s_dup("<http://evil.example|click me>");
	free(in->state);
	in->state = s_dup("<!here>");
	s_add_failure(&r, "<!channel>", "eu-west-1", "<b>", NULL);
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);   /* s_no_injection on every text */
	assert_null(strstr(js, "<!"));
	assert_null(strstr(js, "<@"));
	assert_null(strstr(js, "<http://evil"));
	assert_non_null(strstr(js, "&lt;http://evil.example|click me&gt;"));
	assert_non_null(strstr(js, ":white_circle: &lt;!here&gt;"));
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* Every mrkdwn text object in the message is verbatim (no auto-links). */
static void s_all_verbatim(json_object *o, size_t *n)
{
	json_object *v;

	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			s_all_verbatim(json_object_array_get_idx(o, i), n);
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	if (json_object_object_get_ex(o, "type", &v) &&
	    strcmp(json_object_get_string(v), "mrkdwn") == 0) {
		assert_true(json_object_object_get_ex(o, "verbatim", &v));
		assert_true(json_object_get_boolean(v));
		(*n)++;
	}
	json_object_object_foreach(o, key, val) {
		(void)key;
		s_all_verbatim(val, n);
	}
}

/* Issue 11: text from AWS reached Slack with its formatting live. Slack
 * documents escapes for & < > only; the formatting markers are replaced by
 * look-alikes unless they sit inside a word, bidi and invisible format
 * characters are dropped, and every text object is verbatim so bare URLs
 * and host names are not linked. Data: hostile input -> what Slack gets. */
static void test_aws_text_cannot_format_link_or_reorder(void **state)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "*bold*", "\xe2\x88\x97" "bold" "\xe2\x88\x97" },
		{ "_it_", "\xcb\x8d" "it" "\xcb\x8d" },
		{ "~gone~", "\xe2\x88\xbc" "gone" "\xe2\x88\xbc" },
		{ "`code`", "\xcb\x8b" "code" "\xcb\x8b" },
		{ "```pre```", "\xcb\x8b\xcb\x8b\xcb\x8b" "pre" "\xcb\x8b\xcb\x8b\xcb\x8b" },
		{ "a *b* c", "a \xe2\x88\x97" "b" "\xe2\x88\x97 c" },
		/* inside a word nothing can format: copied back unchanged */
		{ "prod_web_1", "prod_web_1" },
		{ "2*3*4", "2*3*4" },
		{ "x~y", "x~y" },
		/* a value can start a line: no block quote */
		{ "> quoted", "\xef\xbc\x9e quoted" },
		{ "a > b", "a &gt; b" },
		/* RLO ... PDF: "gnp.exe" must not display as "exe.png" */
		{ "\xe2\x80\xae" "gnp.exe\xe2\x80\xac", "gnp.exe" },
		{ "\xe2\x81\xa6" "x\xe2\x81\xa9 \xd8\x9c" "y\xe2\x80\x8e\xe2\x80\x8f", "x y" },
		{ "a\xe2\x80\x8b" "b\xef\xbb\xbf" "c\xc2\xad" "d\xe2\x81\xa0" "e", "abcde" },
		/* an invisible character cannot hide a marker's word boundary */
		{ "a\xe2\x80\x8b_b_", "a_b\xcb\x8d" },
		{ "line\xe2\x80\xa8" "break", "line break" },
		{ "https://evil.example/login", "https://evil.example/login" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct search_result r;
		json_object *root, *blocks, *fields;
		const char *env;
		char *js;
		size_t n_verbatim = 0;

		s_many(&r, 1, NULL);
		s_tag(&r.matches[0].instance.tags, &r.matches[0].instance.n_tags, "Environment",
		      rows[i].in);
		js = render_result(&r, NULL, NULL);
		root = s_check_message(js);
		assert_true(json_object_object_get_ex(root, "blocks", &blocks));
		assert_true(json_object_object_get_ex(json_object_array_get_idx(blocks, 1),
						      "fields", &fields));
		env = NULL;
		for (size_t k = 0; k < json_object_array_length(fields); k++) {
			const char *t = s_text_of(json_object_array_get_idx(fields, k));

			if (si_str_has_prefix(t, "*Environment*\n"))
				env = t + SI_LITLEN("*Environment*\n");
		}
		if (env == NULL || strcmp(env, rows[i].out) != 0)
			fail_msg("row %zu: want \"%s\" got \"%s\"", i, rows[i].out,
				 env != NULL ? env : "(none)");
		s_all_verbatim(root, &n_verbatim);
		assert_true(n_verbatim >= 2);
		json_object_put(root);
		free(js);
		search_result_free(&r);
	}
}

/* The headline (the Name as the console link's label) and the command
 * line table get the same treatment. */
static void test_hostile_name_in_headline_and_table(void **state)
{
	struct search_result r;
	json_object *root;
	char *js, *out = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	s_many(&r, 1, NULL);
	free(r.matches[0].instance.tags[0].value);
	r.matches[0].instance.tags[0].value =
		s_dup("*x* <!here> \xe2\x80\xae" "gnp.exe evil.example");
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	assert_string_equal(s_block_text(root, 1),
			    "*<https://eu-west-2.console.aws.amazon.com/ec2/home?region=eu-west-2"
			    "#InstanceDetails:instanceId=i-00000000000000000|"
			    "\xe2\x88\x97x\xe2\x88\x97 &lt;!here&gt; gnp.exe evil.example>* "
			    "i-00000000000000000\n<https://eu-west-2.console.aws.amazon.com/config/"
			    "home?region=eu-west-2#/timeline/AWS::EC2::Instance/"
			    "i-00000000000000000/configuration|Config timeline> \xc2\xb7 "
			    "<https://eu-west-2.console.aws.amazon.com/systems-manager/"
			    "session-manager/i-00000000000000000?region=eu-west-2"
			    "|Session Manager>");
	assert_null(strstr(js, "\xe2\x80\xae"));
	json_object_put(root);
	free(js);
	fp = open_memstream(&out, &len);
	assert_non_null(fp);
	assert_int_equal(render_text(&r, fp, NULL), 0);
	fclose(fp);
	assert_null(strstr(out, "\xe2\x80\xae"));
	assert_non_null(strstr(out, "*x* <!here> ?gnp.exe"));
	free(out);
	search_result_free(&r);
}

static void test_invalid_utf8_and_controls_replaced(void **state)
{
	struct search_result r;
	struct ec2_instance *in;
	json_object *root;
	char *js;

	(void)state;
	s_many(&r, 1, NULL);
	in = &r.matches[0].instance;
	free(in->tags[0].value);
	in->tags[0].value = s_dup("ab\xff\xc3(\xed\xa0\x80z\x01\x1b[31m");
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	/* Each bad byte is U+FFFD, controls are spaces. */
	assert_non_null(strstr(s_block_text(root, 1), "|ab\xef\xbf\xbd\xef\xbf\xbd("
			       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz  [31m>"));
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

static void test_unsafe_ids_are_not_linked(void **state)
{
	struct search_result r;
	json_object *root;
	char *js;

	(void)state;
	s_many(&r, 1, NULL);
	free(r.matches[0].region);
	r.matches[0].region = s_dup("eu-west-2|evil");
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	assert_null(strstr(js, "https://"));
	assert_string_equal(s_block_text(root, 1), "*web-0* i-00000000000000000");
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

static void test_state_emoji(void **state)
{
	static const struct { const char *state, *emoji; } t[] = {
		{ "running", ":large_green_circle: running" },
		{ "stopped", ":red_circle: stopped" },
		{ "pending", ":large_yellow_circle: pending" },
		{ "stopping", ":large_yellow_circle: stopping" },
		{ "shutting-down", ":large_orange_circle: shutting-down" },
		{ "terminated", ":black_circle: terminated" },
		{ "rebooting", ":white_circle: rebooting" },
	};
	struct search_result r;
	size_t i;
	char *js;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		s_many(&r, 1, NULL);
		free(r.matches[0].instance.state);
		r.matches[0].instance.state = s_dup(t[i].state);
		js = render_result(&r, NULL, NULL);
		if (strstr(js, t[i].emoji) == NULL)
			fail_msg("state %s: no '%s' in %s", t[i].state, t[i].emoji, js);
		free(js);
		search_result_free(&r);
	}
}

struct owner_case {
	const char *type, *desc, *requester, *status, *attached;
	int managed;
	const char *want;
};

static void test_eni_owner_labels(void **state)
{
	static const struct owner_case t[] = {
		{ "nat_gateway", "Interface for NAT Gateway nat-0123", "123", "in-use", NULL, 1,
		  "NAT gateway" },
		{ "interface", "Interface for NAT Gateway nat-0123", NULL, NULL, NULL, 0,
		  "NAT gateway" },
		{ "interface", "ELB app/web/50dc6c495c0c9188", "amazon-elb", NULL, NULL, 1,
		  "Application load balancer app/web/50dc6c495c0c9188" },
		{ "network_load_balancer", "ELB net/nlb/abc", "amazon-elb", NULL, NULL, 1,
		  "Network load balancer net/nlb/abc" },
		{ "interface", "ELB my-classic", "amazon-elb", NULL, NULL, 1,
		  "Classic load balancer my-classic" },
		{ "interface", "ELB ", "amazon-elb", NULL, NULL, 1, "Classic load balancer" },
		{ "interface", NULL, "amazon-elb", NULL, NULL, 1, "Load balancer" },
		{ "lambda", "AWS Lambda VPC ENI-fn-1234", "AROA:x", NULL, NULL, 1,
		  "Lambda function" },
		{ "vpc_endpoint", "VPC Endpoint Interface vpce-1", NULL, NULL, NULL, 1,
		  "VPC endpoint" },
		{ "interface", "RDSNetworkInterface", "amazon-rds", NULL, NULL, 1, "RDS database" },
		{ "efs", "EFS mount target for fs-1", NULL, NULL, NULL, 1, "EFS mount target" },
		{ "interface", "arn:aws:ecs:eu-west-2:1:attachment/x", NULL, NULL, NULL, 1,
		  "ECS task" },
		{ "interface", "Primary network interface", NULL, "in-use",
		  "i-0123456789abcdef0", 0, "Instance i-0123456789abcdef0" },
		{ "interface", "", "some-service", "in-use", NULL, 1,
		  "AWS service (some-service)" },
		{ "interface", NULL, NULL, "available", NULL, 0, "Unattached interface" },
		{ NULL, NULL, NULL, NULL, NULL, 0, "Network interface" },
	};
	char buf[128], small[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ec2_eni e;

		memset(&e, 0, sizeof(e));
		e.interface_type = (char *)t[i].type;
		e.description = (char *)t[i].desc;
		e.requester_id = (char *)t[i].requester;
		e.status = (char *)t[i].status;
		e.attached_instance_id = (char *)t[i].attached;
		e.requester_managed = t[i].managed;
		if (strcmp(render_eni_owner(&e, buf, sizeof(buf)), t[i].want) != 0)
			fail_msg("case %zu: '%s', want '%s'", i, buf, t[i].want);
	}
	assert_string_equal(render_eni_owner(NULL, buf, sizeof(buf)), "");
	{
		struct ec2_eni e;

		memset(&e, 0, sizeof(e));
		e.interface_type = (char *)"nat_gateway";
		assert_string_equal(render_eni_owner(&e, small, sizeof(small)), "NAT gat");
	}
}

/* ---- organisation scale: failure summary, counts, big numbers ---- */

/* A running instance in alias/region, linkable so s_count_matches sees it. */
static void s_add_instance(struct search_result *r, const char *alias, const char *region)
{
	char id[32];
	struct search_match *m = s_add_match(r, SEARCH_MATCH_INSTANCE, alias, NULL, region);

	(void)snprintf(id, sizeof(id), "i-%017zx", r->n_matches);
	s_instance(m, id, "t3.micro", "running", NULL);
}

/* The context block's text, the first one, or fail. */
static const char *s_context_text(json_object *root)
{
	json_object *blocks, *type, *els;
	size_t i;

	assert_true(json_object_object_get_ex(root, "blocks", &blocks));
	for (i = 0; i < json_object_array_length(blocks); i++) {
		json_object *b = json_object_array_get_idx(blocks, i);

		if (json_object_object_get_ex(b, "type", &type) &&
		    strcmp(json_object_get_string(type), "context") == 0 &&
		    json_object_object_get_ex(b, "elements", &els))
			return s_text_of(json_object_array_get_idx(els, 0));
	}
	fail_msg("no context block");
	return NULL;
}

static char *s_text_output(const struct search_result *r)
{
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_non_null(fp);
	assert_int_equal(render_text(r, fp, NULL), 0);
	fclose(fp);
	return out;
}

/* The fixture behind tests/data/render/failures_1000.json: a big search,
 * three failures given out of order. */
static void test_golden_1000_targets_3_failed(void **state)
{
	struct search_result r;
	struct search_match *m;
	json_object *root;
	char *js, *out;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.query_text = s_dup("10.4.2.17");
	r.n_targets = 1000;
	r.n_accounts = 100;
	r.n_regions = 10;
	r.elapsed_s = 2.5;
	m = s_add_match(&r, SEARCH_MATCH_ENI, "production", NULL, "eu-west-2");
	m->eni.eni_id = s_dup("eni-0123456789abcdef0");
	s_add_failure(&r, "dev", "us-west-2", "Timeout", NULL);
	s_add_failure(&r, "staging", "eu-west-2", "AccessDenied", "not authorized");
	s_add_failure(&r, "staging", "eu-west-1", "AccessDenied", NULL);
	js = render_result(&r, NULL, NULL);
	s_golden("failures_1000.json", js);
	root = s_check_message(js);
	assert_string_equal(s_context_text(root), "3 of 1,000 targets failed: AccessDenied: "
			    "staging/eu-west-1, staging/eu-west-2; Timeout: dev/us-west-2");
	json_object_put(root);
	free(js);
	/* The command line prints the same summary, then each failure. */
	out = s_text_output(&r);
	assert_non_null(strstr(out, "1 match for 10.4.2.17 in 1,000 account-regions, 2.50 s\n"
			       "3 of 1,000 targets failed: AccessDenied: staging/eu-west-1, "
			       "staging/eu-west-2; Timeout: dev/us-west-2\n"));
	assert_non_null(strstr(out, "failed: staging/eu-west-2: AccessDenied (not authorized)\n"));
	free(out);
	search_result_free(&r);
}

/* 600 failures: accounts acct-000..acct-029, 20 regions each; acct-000..014
 * AccessDenied (300), acct-015..024 Timeout (200), acct-025..029
 * ConnectionError (100). Added in a scrambled order. */
static void s_600_failures(struct search_result *r, size_t n_regions)
{
	char alias[48], region[48];
	size_t i, k;

	memset(r, 0, sizeof(*r));
	r->query_text = s_dup("10.0.0.1");
	r->n_targets = 1000;
	r->n_accounts = 50;
	r->n_regions = n_regions;
	for (i = 0; i < 600; i++) {
		k = (i * 7) % 600;   /* 7 is coprime to 600: every k once */
		(void)snprintf(alias, sizeof(alias), "acct-%03zu", k / 20);
		(void)snprintf(region, sizeof(region), "region-%02zu", k % 20);
		s_add_failure(r, alias, region, k < 300 ? "AccessDenied" :
			      k < 500 ? "Timeout" : "ConnectionError", "some message");
	}
}

static void test_600_failures_bounded_per_code(void **state)
{
	struct search_result r;
	json_object *root;
	const char *t;
	char *js;

	(void)state;
	/* 21 regions searched: no account failed everywhere, so targets are
	 * listed one by one, five per code. */
	s_600_failures(&r, 21);
	js = render_nothing_found(&r, NULL, NULL);
	root = s_check_message(js);
	t = s_context_text(root);
	assert_string_equal(t, "600 of 1,000 targets failed: "
		"AccessDenied: acct-000/region-00, acct-000/region-01, acct-000/region-02, "
		"acct-000/region-03, acct-000/region-04, \xe2\x80\xa6 and 295 more; "
		"Timeout: acct-015/region-00, acct-015/region-01, acct-015/region-02, "
		"acct-015/region-03, acct-015/region-04, \xe2\x80\xa6 and 195 more; "
		"ConnectionError: acct-025/region-00, acct-025/region-01, acct-025/region-02, "
		"acct-025/region-03, acct-025/region-04, \xe2\x80\xa6 and 95 more");
	assert_true(s_chars(t) <= RENDER_MAX_SECTION_TEXT);
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

static void test_whole_accounts_shown_once(void **state)
{
	struct search_result r;
	json_object *root;
	char *js;

	(void)state;
	/* 20 regions searched: every account failed in all of them. */
	s_600_failures(&r, 20);
	js = render_nothing_found(&r, NULL, NULL);
	root = s_check_message(js);
	assert_string_equal(s_context_text(root), "600 of 1,000 targets failed: "
		"AccessDenied: acct-000 (all 20 regions), acct-001 (all 20 regions), "
		"acct-002 (all 20 regions), acct-003 (all 20 regions), "
		"acct-004 (all 20 regions), \xe2\x80\xa6 and 200 more; "
		"Timeout: acct-015 (all 20 regions), acct-016 (all 20 regions), "
		"acct-017 (all 20 regions), acct-018 (all 20 regions), "
		"acct-019 (all 20 regions), \xe2\x80\xa6 and 100 more; "
		"ConnectionError: acct-025 (all 20 regions), acct-026 (all 20 regions), "
		"acct-027 (all 20 regions), acct-028 (all 20 regions), "
		"acct-029 (all 20 regions)");
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* An account is "all regions" only when every region failed with the
 * same code. */
static void test_all_regions_needs_one_code(void **state)
{
	struct search_result r;
	json_object *root;
	char *js;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.query_text = s_dup("web");
	r.n_targets = 9;
	r.n_accounts = 3;
	r.n_regions = 3;
	s_add_failure(&r, "staging", "us-east-1", "Timeout", NULL);
	s_add_failure(&r, "staging", "eu-west-1", "AccessDenied", NULL);
	s_add_failure(&r, "dev", "us-east-1", "AccessDenied", NULL);
	s_add_failure(&r, "staging", "eu-west-2", "AccessDenied", NULL);
	s_add_failure(&r, "dev", "eu-west-2", "AccessDenied", NULL);
	s_add_failure(&r, "dev", "eu-west-1", "AccessDenied", NULL);
	js = render_nothing_found(&r, NULL, NULL);
	root = s_check_message(js);
	assert_string_equal(s_context_text(root), "6 of 9 targets failed: AccessDenied: "
			    "dev (all 3 regions), staging/eu-west-1, staging/eu-west-2; "
			    "Timeout: staging/us-east-1");
	json_object_put(root);
	free(js);
	search_result_free(&r);

	/* Three entries, but only two distinct regions of three (the same
	 * target reported twice): not the whole account. */
	memset(&r, 0, sizeof(r));
	r.n_targets = 3;
	r.n_regions = 3;
	s_add_failure(&r, "staging", "eu-west-1", "AccessDenied", NULL);
	s_add_failure(&r, "staging", "eu-west-2", "AccessDenied", NULL);
	s_add_failure(&r, "staging", "eu-west-1", "AccessDenied", NULL);
	js = render_nothing_found(&r, NULL, NULL);
	root = s_check_message(js);
	assert_string_equal(s_context_text(root), "3 of 3 targets failed: AccessDenied: "
			    "staging/eu-west-1, staging/eu-west-1, staging/eu-west-2");
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* Codes biggest first, at most six, the rest counted. */
static void test_many_codes_bounded(void **state)
{
	struct search_result r;
	json_object *root;
	char code[48], region[48];
	const char *t;
	char *js;
	size_t i, k;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.query_text = s_dup("web");
	r.n_targets = 100;
	r.n_regions = 60;
	/* Code<i> fails 10 - i targets: Code0 10, ..., Code9 1; 55 in all. */
	for (i = 0; i < 10; i++)
		for (k = 0; k < 10 - i; k++) {
			(void)snprintf(code, sizeof(code), "Code%zu", i);
			(void)snprintf(region, sizeof(region), "r-%zu-%zu", i, k);
			s_add_failure(&r, "a", region, code, NULL);
		}
	js = render_nothing_found(&r, NULL, NULL);
	root = s_check_message(js);
	t = s_context_text(root);
	assert_true(SI_HAS_PREFIX(t, "55 of 100 targets failed: Code0: a/r-0-0, "));
	assert_true(strstr(t, "Code4:") < strstr(t, "Code5:"));
	assert_null(strstr(t, "Code6"));
	/* Code5 shows all 5; 4+3+2+1 left over in four codes. */
	assert_non_null(strstr(t, "Code5: a/r-5-0, a/r-5-1, a/r-5-2, a/r-5-3, a/r-5-4; "
			       "\xe2\x80\xa6 and 10 more with 4 other codes"));
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* Hostile names: long, full of entities, astral characters; the summary
 * still fits and no entity is split. */
static void test_failure_summary_hostile_names_fit(void **state)
{
	struct search_result r;
	json_object *root;
	char alias[128], code[64];
	const char *t;
	char *js, *out;
	size_t i;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.query_text = s_dup("web");
	r.n_targets = 2;   /* fewer than the failures: M is raised to N */
	for (i = 0; i < 400; i++) {
		memset(alias, '&', 120);
		(void)snprintf(alias + 120, sizeof(alias) - 120, "%zu", i);
		(void)snprintf(code, sizeof(code), "<!here>\xf0\x9f\x98\x80%zu\x1b", i % 9);
		s_add_failure(&r, alias, "<@U1>", code, NULL);
	}
	js = render_nothing_found(&r, NULL, NULL);
	root = s_check_message(js);
	t = s_context_text(root);
	assert_true(SI_HAS_PREFIX(t, "400 of 400 targets failed: "));
	assert_true(s_chars(t) <= RENDER_MAX_SECTION_TEXT);
	for (; (t = strchr(t, '&')) != NULL; t++)
		if (!SI_HAS_PREFIX(t, "&amp;") && !SI_HAS_PREFIX(t, "&lt;") &&
		    !SI_HAS_PREFIX(t, "&gt;"))
			fail_msg("split entity at: %.20s", t);
	json_object_put(root);
	free(js);
	/* The terminal gets no escape sequences. */
	out = s_text_output(&r);
	assert_non_null(strstr(out, "400 of 400 targets failed: <!here>\xf0\x9f\x98\x80" "0?: "));
	assert_null(strchr(out, '\x1b'));
	free(out);
	search_result_free(&r);
}

static void test_300_matches_counted_by_account(void **state)
{
	static const char *const accounts[] = { "dev", "production", "sandbox", "staging" };
	struct search_result r;
	json_object *root;
	char *js;
	size_t i, cards, lines, more;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.query_text = s_dup("web");
	r.n_targets = 40;
	/* Interleaved: production 150, staging 90, dev 50, sandbox 10. */
	for (i = 0; i < 300; i++) {
		size_t k = i % 30;

		s_add_instance(&r, k < 15 ? accounts[1] : k < 24 ? accounts[3] :
			       k < 29 ? accounts[0] : accounts[2], "eu-west-2");
	}
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	assert_string_equal(s_block_text(root, 1), "*Matches by account:* production: 150"
			    " \xc2\xb7 staging: 90 \xc2\xb7 dev: 50 \xc2\xb7 sandbox: 10");
	/* summary + counts + the list: production's heading and lines (it
	 * comes first), as many as the budget holds, then the rest counted. */
	s_budget(js);
	s_tally(root, &cards, &lines, &more);
	assert_int_equal(cards, 0);
	assert_true(SI_HAS_PREFIX(s_block_text(root, 2), "*production*\n"));
	assert_int_equal(lines + more, 300);
	assert_true(lines >= 40);
	json_object_put(root);
	free(js);

	/* With failures too: summary, counts, failures, cards and lines. */
	s_add_failure(&r, "dev", "us-east-1", "Timeout", NULL);
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	assert_non_null(strstr(s_block_text(root, 1), "*Matches by account:* production: 150"));
	assert_string_equal(s_context_text(root), "1 of 40 targets failed: Timeout: dev/us-east-1");
	s_budget(js);
	s_tally(root, &cards, &lines, &more);
	assert_int_equal(cards, 0);
	assert_int_equal(lines + more, 300);
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

static void test_one_account_counted_by_region(void **state)
{
	struct search_result r;
	json_object *root;
	char *js;
	size_t i;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.query_text = s_dup("web");
	for (i = 0; i < 120; i++)
		s_add_instance(&r, "production", i % 6 < 3 ? "eu-west-2" :
			       i % 6 < 5 ? "us-east-1" : "eu-west-1");
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	assert_string_equal(s_block_text(root, 1), "*Matches by account:* production: 120\n"
			    "*Matches by region:* eu-west-2: 60 \xc2\xb7 us-east-1: 40 \xc2\xb7 "
			    "eu-west-1: 20");
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* 15 accounts: ten named, the rest counted; big numbers separated. */
static void test_counts_bounded_and_thousands(void **state)
{
	struct search_result r;
	json_object *root;
	char alias[16];
	char *js, *out;
	size_t i, cards, lines, more;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.query_text = s_dup("web");
	r.n_targets = 1000;
	for (i = 0; i < 1000; i++)
		s_add_instance(&r, "acct-00", "eu-west-2");
	for (i = 0; i < 14 * 30; i++) {
		(void)snprintf(alias, sizeof(alias), "acct-%02zu", 1 + i % 14);
		s_add_instance(&r, alias, "eu-west-2");
	}
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	assert_string_equal(s_block_text(root, 0),
			    "1,420 matches for web in 1,000 account-regions, 0.00 s");
	assert_string_equal(s_block_text(root, 1), "*Matches by account:* acct-00: 1,000"
			    " \xc2\xb7 acct-01: 30 \xc2\xb7 acct-02: 30 \xc2\xb7 acct-03: 30"
			    " \xc2\xb7 acct-04: 30 \xc2\xb7 acct-05: 30 \xc2\xb7 acct-06: 30"
			    " \xc2\xb7 acct-07: 30 \xc2\xb7 acct-08: 30 \xc2\xb7 acct-09: 30"
			    " \xc2\xb7 \xe2\x80\xa6 and 150 more in 5 other accounts");
	/* The list holds what the budget allows, the rest is counted. */
	s_budget(js);
	s_tally(root, &cards, &lines, &more);
	assert_int_equal(cards, 0);
	assert_int_equal(lines + more, 1420);
	assert_non_null(strstr(js, "more* \xe2\x80\x94 narrow"));
	json_object_put(root);
	free(js);
	out = s_text_output(&r);
	assert_true(SI_HAS_PREFIX(out, "1,420 matches for web in 1,000 account-regions, 0.00 s\n"
				  "ACCOUNT"));
	free(out);
	search_result_free(&r);

	js = render_pending(1234567, 999, NULL);
	assert_non_null(strstr(js, "Searching 1,234,567 accounts in 999 regions"));
	free(js);
}

/* The smallest budget still shows summary, counts, failures, a section of
 * lines and "more". */
static void test_min_blocks_with_counts(void **state)
{
	struct search_result r;
	struct render_opts o = { .response_type = RENDER_IN_CHANNEL, .max_blocks = 1 };
	json_object *root;
	char *js;
	size_t i;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.query_text = s_dup("web");
	for (i = 0; i < 10; i++)
		s_add_instance(&r, i < 6 ? "production" : "staging", "eu-west-2");
	s_add_failure(&r, "dev", "us-east-1", "Timeout", NULL);
	js = render_result(&r, &o, NULL);
	root = s_check_message(js);
	s_budget(js);
	assert_int_equal(s_n_blocks(root), 4);
	assert_string_equal(s_block_text(root, 1),
			    "*Matches by account:* production: 6 \xc2\xb7 staging: 4");
	/* All ten fit in the one section of lines: no "more". */
	assert_true(SI_HAS_PREFIX(s_block_text(root, 3), "*production*\n"));
	assert_non_null(strstr(s_block_text(root, 3), "\n*staging*\n"));
	assert_null(strstr(js, " more*"));
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

static void test_render_text_table(void **state)
{
	struct search_result r;
	char *out = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	s_basic(&r);
	free(r.matches[1].instance.instance_type);
	r.matches[1].instance.instance_type = s_dup("m5\x1b[2J");
	fp = open_memstream(&out, &len);
	assert_non_null(fp);
	assert_int_equal(render_text(&r, fp, NULL), 0);
	fclose(fp);
	assert_non_null(strstr(out, "3 matches for web in 12 account-regions, 0.41 s\n"
			       "2 of 12 targets failed: AccessDenied: staging/eu-west-1; "
			       "Timeout: dev/us-east-1\n"));
	assert_non_null(strstr(out, "ACCOUNT     REGION     ID                     NAME"));
	assert_non_null(strstr(out, "production  eu-west-2  i-0123456789abcdef0    web-1 & co"));
	assert_non_null(strstr(out, "m5?[2J"));
	assert_null(strchr(out, '\x1b'));
	assert_non_null(strstr(out, "eni-0a1b2c3d4e5f60718  Application load balancer"));
	assert_non_null(strstr(out, "failed: staging/eu-west-1: AccessDenied "
				    "(User is not authorized)\n"));
	assert_non_null(strstr(out, "failed: dev/us-east-1: Timeout\n"));
	free(out);
	search_result_free(&r);
}

static void test_null_arguments(void **state)
{
	struct si_err err;

	(void)state;
	si_err_clear(&err);
	assert_null(render_result(NULL, NULL, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(render_nothing_found(NULL, NULL, NULL));
	assert_int_equal(render_text(NULL, stdout, &err), -1);
	/* NULL lists in help are "none configured", not a crash. */
	{
		char *js = render_help("/x", NULL, 0, NULL, 0, NULL);

		assert_non_null(strstr(js, "(none configured)"));
		assert_non_null(strstr(js, "`/x i-0123456789abcdef0`"));
		free(js);
	}
	{
		char *js = render_error(NULL, NULL);

		assert_non_null(js);
		free(js);
	}
}

/* ---- resources of the registered types ---- */

/* The line of out starting with prefix holds the NULL-terminated tokens,
 * in order. */
static void s_row_has(const char *out, const char *prefix, ...)
{
	const char *line = strstr(out, prefix), *end, *tok, *at;
	char buf[1024];
	va_list ap;

	if (line == NULL)
		fail_msg("no row starting %s in:\n%s", prefix, out);
	end = strchr(line, '\n');
	assert_non_null(end);
	assert_true((size_t)(end - line) + 2 <= sizeof(buf));
	memcpy(buf, line, (size_t)(end - line) + 1);
	buf[end - line + 1] = '\0';
	at = buf + strlen(prefix);
	va_start(ap, prefix);
	while ((tok = va_arg(ap, const char *)) != NULL) {
		const char *hit = strstr(at, tok);

		if (hit == NULL)
			fail_msg("row '%s': no '%s' after '%s'", buf, tok, at);
		at = hit + strlen(tok) - 1;   /* tokens may share a space */
	}
	va_end(ap);
}

/* The fixture behind tests/data/render/res_security_group.json. */
static void test_golden_security_group(void **state)
{
	struct search_result r;
	struct rt_type sg;
	struct search_match *m;
	char *js;

	(void)state;
	s_local_type(&sg, "security-group", 1);
	s_res_result(&r, "sg-0a1b2c3d4e5f60718");
	m = s_add_res(&r, &sg, "production", "123456789012", "eu-west-2",
		      "sg-0a1b2c3d4e5f60718", "web-sg", NULL);
	s_fld(&m->res, "VPC", "vpc-0f1e2d3c4b5a69788");
	s_fld(&m->res, "Description", "Web tier: HTTPS from the ALB & SSH from <bastion>");
	s_fld(&m->res, "Inbound", "tcp 443 from sg-0123456789abcdef0, tcp 22 from 10.0.0.0/16");
	s_fld(&m->res, "Outbound", "all traffic to 0.0.0.0/0");
	assert_int_equal(res_add_addr(&m->res, "10.0.0.0/16", NULL), 0);
	assert_int_equal(res_add_addr(&m->res, "0.0.0.0/0", NULL), 0);
	s_rel(&m->res, "vpc", "vpc", "vpc-0f1e2d3c4b5a69788", NULL, "main");
	assert_int_equal(res_add_tag(&m->res, "Name", "web-sg", NULL), 0);
	assert_int_equal(res_add_tag(&m->res, "team", "web", NULL), 0);
	js = render_result(&r, NULL, NULL);
	s_golden("res_security_group.json", js);
	json_object_put(s_check_message(js));
	free(js);
	search_result_free(&r);
}

/* An ALB with three instance targets of mixed health, named. Fixture of
 * tests/data/render/res_load_balancer.json. */
static void test_golden_load_balancer(void **state)
{
	struct search_result r;
	struct rt_type lb;
	struct search_match *m;
	json_object *root;
	char *js;

	(void)state;
	s_local_type(&lb, "load-balancer", 1);
	s_res_result(&r, "prod-web");
	m = s_add_res(&r, &lb, "production", "123456789012", "eu-west-2", "prod-web", "prod-web",
		      "active");
	assert_int_equal(res_set(&m->res.arn, "arn:aws:elasticloadbalancing:eu-west-2:"
				 "123456789012:loadbalancer/app/prod-web/50dc6c495c0c9188",
				 NULL), 0);
	assert_int_equal(res_set(&m->res.created, "2023-06-01T10:00:00.000Z", NULL), 0);
	s_fld(&m->res, "Type", "application");
	s_fld(&m->res, "Scheme", "internet-facing");
	s_fld(&m->res, "Listeners", "HTTPS:443 \xe2\x86\x92 prod-web-tg, HTTP:80 \xe2\x86\x92 "
	      "redirect");
	s_fld(&m->res, "VPC", "vpc-0f1e2d3c4b5a69788");
	assert_int_equal(res_add_dns(&m->res, "prod-web-1234567890.eu-west-2.elb.amazonaws.com",
				     NULL), 0);
	s_rel(&m->res, "target group", "target-group", "prod-web-tg", "HTTPS:443", NULL);
	s_rel(&m->res, "target", "instance", "i-0a1b2c3d4e5f60001", "healthy", "web-1");
	s_rel(&m->res, "target", "instance", "i-0a1b2c3d4e5f60002",
	      "unhealthy (Target.ResponseCodeMismatch)", "web-2");
	s_rel(&m->res, "target", "instance", "i-0a1b2c3d4e5f60003", "healthy", "web-3");
	js = render_result(&r, NULL, NULL);
	s_golden("res_load_balancer.json", js);
	root = s_check_message(js);
	assert_non_null(strstr(s_block_text(root, 1), "\n*3 targets:* i-0a1b2c3d4e5f60001 "
			       "(web-1) healthy \xc2\xb7 i-0a1b2c3d4e5f60002 (web-2) unhealthy "
			       "(Target.ResponseCodeMismatch) \xc2\xb7 i-0a1b2c3d4e5f60003 (web-3) "
			       "healthy"));
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* An Aurora cluster and its members; more fields than a section holds, so
 * the last two and the creation time become lines of the text. Fixture of
 * tests/data/render/res_rds_cluster.json. */
static void test_golden_rds_cluster(void **state)
{
	struct search_result r;
	struct rt_type db;
	struct search_match *m;
	json_object *root, *blocks, *fields;
	char *js;

	(void)state;
	s_local_type(&db, "db-cluster", 1);
	s_res_result(&r, "orders");
	m = s_add_res(&r, &db, "production", "123456789012", "eu-west-2", "orders-db",
		      "orders-db", "available");
	s_fld(&m->res, "Engine", "aurora-postgresql 15.4");
	s_fld(&m->res, "Endpoint", "orders-db.cluster-c9akciq32.eu-west-2.rds.amazonaws.com");
	s_fld(&m->res, "Reader endpoint",
	      "orders-db.cluster-ro-c9akciq32.eu-west-2.rds.amazonaws.com");
	s_fld(&m->res, "Port", "5432");
	s_fld(&m->res, "Multi-AZ", "yes");
	s_fld(&m->res, "Storage", "aurora, encrypted");
	s_fld(&m->res, "VPC", "vpc-0f1e2d3c4b5a69788");
	s_fld(&m->res, "Parameter group", "default.aurora-postgresql15");
	s_fld(&m->res, "Backup retention", "7 days");
	assert_int_equal(res_set(&m->res.created, "2022-03-14T09:26:53.000Z", NULL), 0);
	assert_int_equal(res_add_dns(&m->res,
				     "orders-db.cluster-c9akciq32.eu-west-2.rds.amazonaws.com",
				     NULL), 0);
	assert_int_equal(res_add_dns(&m->res,
				     "orders-db.cluster-ro-c9akciq32.eu-west-2.rds.amazonaws.com",
				     NULL), 0);
	s_rel(&m->res, "member", "db-instance", "orders-db-1", "writer", NULL);
	s_rel(&m->res, "member", "db-instance", "orders-db-2", "reader", NULL);
	s_rel(&m->res, "member", "db-instance", "orders-db-3", "reader", NULL);
	js = render_result(&r, NULL, NULL);
	s_golden("res_rds_cluster.json", js);
	root = s_check_message(js);
	assert_true(json_object_object_get_ex(root, "blocks", &blocks));
	assert_true(json_object_object_get_ex(json_object_array_get_idx(blocks, 1), "fields",
					      &fields));
	assert_int_equal(json_object_array_length(fields), RENDER_MAX_FIELDS);
	assert_non_null(strstr(s_block_text(root, 1), "\n*Parameter group:* "
			       "default.aurora-postgresql15\n*Backup retention:* 7 days\n"
			       "*Created:* <!date^1647250013^{date_short_pretty} {time}|"
			       "14 Mar 2022 09:26 UTC>"));
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* A Route 53 record reached through three CNAMEs; the record aliases a
 * load balancer. Fixture of tests/data/render/res_route53_chain.json. */
static void test_golden_route53_chain(void **state)
{
	struct search_result r;
	struct rt_type rec;
	struct search_match *m;
	json_object *root;
	char *js;

	(void)state;
	s_local_type(&rec, "dns-record", 1);
	s_res_result(&r, "shop.example.com");
	m = s_add_res(&r, &rec, "production", "123456789012", "us-east-1", "edge.example.com",
		      NULL, NULL);
	assert_int_equal(res_set(&m->res.hop, "shop.example.com \xe2\x86\x92 CNAME "
				 "www.example.com \xe2\x86\x92 CNAME api.example.com "
				 "\xe2\x86\x92 CNAME edge.example.com", NULL), 0);
	s_fld(&m->res, "Type", "A (alias)");
	s_fld(&m->res, "Zone", "example.com (public, Z1D633PJN98FT9)");
	assert_int_equal(res_add_dns(&m->res, "edge.example.com", NULL), 0);
	s_rel(&m->res, "alias", "load-balancer",
	      "dualstack.prod-web-1234567890.eu-west-2.elb.amazonaws.com", "evaluate health",
	      NULL);
	js = render_result(&r, NULL, NULL);
	s_golden("res_route53_chain.json", js);
	root = s_check_message(js);
	assert_non_null(strstr(s_block_text(root, 1), "\n*Via:* shop.example.com \xe2\x86\x92 "
			       "CNAME www.example.com \xe2\x86\x92 CNAME api.example.com "
			       "\xe2\x86\x92 CNAME edge.example.com\n"));
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* A type's Owner field equal to the match's account id repeats the
 * Account field and is left out; an owner of another account (a shared
 * resource) stays. */
static void test_owner_not_repeated(void **state)
{
	struct search_result r;
	struct rt_type sg;
	struct search_match *m;
	char *js;

	(void)state;
	s_local_type(&sg, "security-group", 1);
	s_res_result(&r, "web-sg");
	m = s_add_res(&r, &sg, "production", "123456789012", "eu-west-2", "sg-0a1b2c3d4e5f60718",
		      "web-sg", NULL);
	s_fld(&m->res, "VPC", "vpc-11111111");
	s_fld(&m->res, "Owner", "123456789012");
	m = s_add_res(&r, &sg, "production", "123456789012", "eu-west-2", "sg-0a1b2c3d4e5f60719",
		      "web-sg-shared", NULL);
	s_fld(&m->res, "Owner", "210987654321");
	js = render_result(&r, NULL, NULL);
	s_budget(js);
	assert_non_null(strstr(js, "*VPC*"));
	/* One Owner: the other account's. */
	assert_non_null(strstr(js, "*Owner*\\n210987654321"));
	assert_null(strstr(js, "*Owner*\\n123456789012"));
	free(js);
	search_result_free(&r);
}

/* A host name followed to five things (the records, the load balancer,
 * its targets) keeps their cards: it is one answer. The same five found
 * by a Name are a list. */
static void test_chain_keeps_cards(void **state)
{
	struct search_result r;
	struct rt_type rec;
	json_object *root;
	size_t cards, lines, more, with_hop;
	char *js, id[32];

	(void)state;
	s_local_type(&rec, "dns-record", 1);
	for (with_hop = 0; with_hop < 2; with_hop++) {
		s_res_result(&r, "shop.example.com");
		for (size_t i = 0; i < RENDER_CARDS_MAX + 2; i++) {
			struct search_match *m;

			snprintf(id, sizeof(id), "rec-%zu.example.com", i);
			m = s_add_res(&r, &rec, "production", "123456789012", "us-east-1", id,
				      NULL, NULL);
			if (with_hop && i == 0)
				assert_int_equal(res_set(&m->res.hop, "shop.example.com "
							 "\xe2\x86\x92 CNAME rec-0.example.com",
							 NULL), 0);
		}
		js = render_result(&r, NULL, NULL);
		s_budget(js);
		root = s_check_message(js);
		s_tally(root, &cards, &lines, &more);
		assert_int_equal(cards, with_hop ? RENDER_CARDS_MAX + 2 : 0);
		assert_int_equal(lines, with_hop ? 0 : RENDER_CARDS_MAX + 2);
		json_object_put(root);
		free(js);
		search_result_free(&r);
	}
}

/* Thirty resources of eight types in three accounts, given interleaved;
 * a 12-block budget forces the one-line form. Fixture of
 * tests/data/render/res_compact_30.json. */
static void test_golden_compact_30(void **state)
{
	static const char *const names[] = {
		"security-group", "subnet", "volume", "load-balancer", "db-instance",
		"lambda-function", "auto-scaling-group", "dns-record",
	};
	static const char *const accounts[] = { "production", "staging", "dev" };
	static const char *const states[] = { NULL, "available", "in-use", "active" };
	struct rt_type types[8];
	struct search_result r;
	struct render_opts o = { .response_type = RENDER_IN_CHANNEL, .max_blocks = 12 };
	json_object *root;
	char id[64], name[64];
	char *js;
	size_t i;

	(void)state;
	for (i = 0; i < 8; i++)
		s_local_type(&types[i], names[i], i % 2 == 0);  /* half fall back */
	s_res_result(&r, "web");
	for (i = 0; i < 30; i++) {
		(void)snprintf(id, sizeof(id), "%s-%02zu", names[i % 8], i);
		(void)snprintf(name, sizeof(name), "web-%02zu", i);
		s_add_res(&r, &types[i % 8], accounts[i % 3], NULL, i % 2 ? "eu-west-2" :
			  "us-east-1", id, i % 5 == 0 ? NULL : name, states[i % 4]);
	}
	js = render_result(&r, &o, NULL);
	s_golden("res_compact_30.json", js);
	root = s_check_message(js);
	/* Summary, counts, two sections of lines: grouped by account under
	 * a heading each, accounts in the order they first appear
	 * (production, staging, dev), the order given inside each; a type
	 * with a console link links the id, one without shows it as code. */
	s_budget(js);
	assert_int_equal(s_n_blocks(root), 4);
	assert_true(SI_HAS_PREFIX(s_block_text(root, 2), "*production*\nSecurity group "
				  "<https://us-east-1.console.aws.amazon.com/test/home?region="
				  "us-east-1#security-group:id=security-group-00|"
				  "security-group-00> \xe2\x80\x94 test summary: no state, "
				  "0 related \xc2\xb7 us-east-1\n"
				  "Load balancer `load-balancer-03` web-03 \xe2\x80\x94 active "
				  "\xc2\xb7 eu-west-2\n"));
	assert_non_null(strstr(s_block_text(root, 2), "\n*staging*\nSubnet `subnet-01` web-01"));
	assert_null(strstr(js, " more*"));
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* A 10 KB value: 5000 two-byte characters, so a byte cut would split one. */
static char *s_big_value(void)
{
	char *big = malloc(2 * 5000 + 1);
	size_t i;

	assert_non_null(big);
	for (i = 0; i < 5000; i++) {
		big[2 * i] = (char)0xc3;
		big[2 * i + 1] = (char)0xa9;
	}
	big[10000] = '\0';
	return big;
}

/* Console link and summary callbacks returning what a careless module
 * might: Slack markup, a broken link, no NUL. */
static void s_evil_url(const struct res_resource *r, const char *region, char *out, size_t n)
{
	(void)r;
	(void)region;
	(void)snprintf(out, n, "https://x.example/a|<!channel>");
}

static void s_evil_summary(const struct res_resource *r, char *out, size_t n)
{
	(void)r;
	memset(out, '<', n);   /* no NUL: the renderer terminates it */
}

/* A resource whose every string is hostile in one of these ways. */
static const char *const s_hostile[] = {
	"<!channel>", "<http://x|y>", "*bold* _it_ `code` ~s~ > quote",
	"ab\xff\xc3(\xed\xa0\x80z\x01\x1b[31m", "\xe2\x80\xaegnp.exe", "<@U123> & <#C1>",
};
#define S_N_HOSTILE (sizeof(s_hostile) / sizeof(s_hostile[0]))

static void s_hostile_res(struct search_result *r, const struct rt_type *t, size_t k,
			  const char *big)
{
	const char *h = s_hostile[k % S_N_HOSTILE];
	struct search_match *m = s_add_res(r, t, h, h, h, h, h, h);
	size_t i;

	assert_int_equal(res_set(&m->res.hop, big, NULL), 0);
	assert_int_equal(res_set(&m->res.created, h, NULL), 0);
	for (i = 0; i < RES_MAX_FIELDS; i++)
		s_fld(&m->res, i % 2 ? h : big, i % 3 ? big : h);
	for (i = 0; i < 40; i++) {
		assert_int_equal(res_add_tag(&m->res, i % 2 ? h : big, big, NULL), 0);
		s_rel(&m->res, i % 4 ? h : big, h, i % 2 ? big : h, big, h);
	}
	for (i = 0; i < 30; i++) {
		char v[32];

		(void)snprintf(v, sizeof(v), "%zu%s", i, h);
		assert_int_equal(res_add_dns(&m->res, i % 2 ? v : big, NULL), 0);
		assert_int_equal(res_add_addr(&m->res, v, NULL), 0);
	}
}

/* Nothing from data turns into markup, a mention or a link; every text
 * stays within Slack's limits and valid UTF-8; cards and lines alike. */
static void s_assert_hostile_safe(const char *js)
{
	json_object *root = s_check_message(js);   /* limits, strict UTF-8, '<' */

	assert_null(strstr(js, "<!"));
	assert_null(strstr(js, "<@"));
	assert_null(strstr(js, "<#"));
	assert_null(strstr(js, "<http://"));
	assert_null(strstr(js, "|<"));
	assert_null(strstr(js, "\xe2\x80\xae"));
	assert_null(strstr(js, "`code`"));
	assert_null(strstr(js, "*bold*"));
	assert_null(strchr(js, '\x1b'));
	json_object_put(root);
}

static void test_hostile_resources_escaped_and_bounded(void **state)
{
	struct search_result r;
	struct rt_type plain, evil;
	struct render_opts o = { .response_type = RENDER_IN_CHANNEL, .max_blocks = 8 };
	char *big = s_big_value(), *js, *out;
	size_t i;

	(void)state;
	s_local_type(&plain, "load-balancer", 0);
	s_local_type(&evil, "security-group", 0);
	evil.console_url = s_evil_url;
	evil.summary = s_evil_summary;
	evil.label = "<!here> *label*";
	s_res_result(&r, "<!everyone>");
	free(r.query_text);
	r.query_text = s_dup(big);
	r.dns_note = s_dup(big);
	for (i = 0; i < 60; i++)
		s_hostile_res(&r, i % 2 ? &evil : &plain, i, big);
	s_add_failure(&r, "<!channel>", big, "<b>", big);
	/* Sixty: some cards, the rest in lines. */
	js = render_result(&r, NULL, NULL);
	s_assert_hostile_safe(js);
	free(js);
	/* A tight budget: one line section carries many hostile lines. */
	js = render_result(&r, &o, NULL);
	s_assert_hostile_safe(js);
	free(js);
	/* Only one match: its card alone. */
	for (i = 1; i < r.n_matches; i++)
		search_match_clear(&r.matches[i]);
	r.n_matches = 1;
	js = render_result(&r, NULL, NULL);
	s_assert_hostile_safe(js);
	free(js);
	/* The terminal gets no control or bidi characters. */
	out = s_text_output(&r);
	assert_null(strchr(out, '\x1b'));
	assert_null(strstr(out, "\xe2\x80\xae"));
	assert_non_null(strstr(out, "Not in any hosted zone; resolved with DNS: \xc3\xa9"));
	free(out);
	free(big);
	search_result_free(&r);
}

/* Only an https URL of printable ASCII without the characters that end or
 * split a Slack link is linked; '&' goes as &amp;. s_url_cb returns the
 * case under test. */
static const char *s_url_now;

static void s_url_cb(const struct res_resource *r, const char *region, char *out, size_t n)
{
	(void)r;
	(void)region;
	(void)snprintf(out, n, "%s", s_url_now);
}

static void s_url_fill(const struct res_resource *r, const char *region, char *out, size_t n)
{
	(void)r;
	(void)region;
	memcpy(out, "https://", SI_LITLEN("https://"));
	memset(out + SI_LITLEN("https://"), 'a', n - SI_LITLEN("https://") - 1);
	out[n - 1] = '\0';
}

static void test_console_links_only_when_safe(void **state)
{
	static const struct {
		const char *url;
		const char *want;   /* the title's start, or NULL: not linked */
	} t[] = {
		{ "https://eu-west-2.console.aws.amazon.com/ec2/home?region=eu-west-2"
		  "#SecurityGroup:groupId=sg-1", "*<https://eu-west-2.console.aws.amazon.com/ec2/"
		  "home?region=eu-west-2#SecurityGroup:groupId=sg-1|Security group>* `sg-1`" },
		{ "https://x.example/?a=1&b=2",
		  "*<https://x.example/?a=1&amp;b=2|Security group>*" },
		{ "https://us-east-1.console.aws.amazon.com/rds/home?region=us-east-1"
		  "#database:id=db-1;is-cluster=false",
		  "*<https://us-east-1.console.aws.amazon.com/rds/home?region=us-east-1"
		  "#database:id=db-1;is-cluster=false|Security group>*" },
		{ "", NULL },
		{ "http://eu-west-2.console.aws.amazon.com/", NULL },
		{ "javascript:alert(1)", NULL },
		{ "https://", NULL },
		{ "https://x.example/a|b", NULL },
		{ "https://x.example/a>b", NULL },
		{ "https://x.example/a b", NULL },
		{ "https://x.example/\xc3\xa9", NULL },
		{ "https://x.example/a\nb", NULL },
		{ "https://x.example/`x`", NULL },
	};
	struct rt_type ty;
	size_t i;

	(void)state;
	s_local_type(&ty, "security-group", 0);
	ty.console_url = s_url_cb;
	for (i = 0; i < sizeof(t) / sizeof(t[0]) + 1; i++) {
		struct search_result r;
		json_object *root;
		const char *text;
		char *js;

		if (i == sizeof(t) / sizeof(t[0]))
			ty.console_url = s_url_fill;   /* fills the buffer: maybe cut */
		else
			s_url_now = t[i].url;
		s_res_result(&r, "sg-1");
		s_add_res(&r, &ty, "production", "123456789012", "eu-west-2", "sg-1", NULL, NULL);
		js = render_result(&r, NULL, NULL);
		root = s_check_message(js);
		text = s_block_text(root, 1);
		if (i < sizeof(t) / sizeof(t[0]) && t[i].want != NULL) {
			if (!si_str_has_prefix(text, t[i].want))
				fail_msg("case %zu: want %s\ngot %s", i, t[i].want, text);
		} else if (strcmp(text, "*Security group* `sg-1`") != 0) {
			fail_msg("case %zu: linked: %s", i, text);
		}
		json_object_put(root);
		free(js);
		search_result_free(&r);
	}
}

/* Relations: grouped by kind in order of first appearance, counted
 * headings, ten items a kind, six kinds, the rest counted. */
static void test_relations_grouped_and_bounded(void **state)
{
	struct search_result r;
	struct rt_type ty;
	struct search_match *m;
	json_object *root;
	const char *t;
	char id[32], kind[32], *js;
	size_t i;

	(void)state;
	s_local_type(&ty, "load-balancer", 0);
	s_res_result(&r, "big");
	m = s_add_res(&r, &ty, "production", NULL, "eu-west-2", "big", NULL, "active");
	for (i = 0; i < 1000; i++) {
		(void)snprintf(id, sizeof(id), "i-%017zx", i);
		s_rel(&m->res, i == 500 ? "alias" : "target", "instance", id,
		      i % 2 ? "unhealthy" : "healthy", NULL);
	}
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	t = s_block_text(root, 1);
	assert_non_null(strstr(t, "\n*999 targets:* i-00000000000000000 healthy \xc2\xb7 "
			       "i-00000000000000001 unhealthy \xc2\xb7 "));
	assert_non_null(strstr(t, " \xc2\xb7 i-00000000000000009 unhealthy \xc2\xb7 "
			       "\xe2\x80\xa6 and 989 more\n"
			       "*1 alias:* i-000000000000001f4 healthy"));
	json_object_put(root);
	free(js);
	search_result_free(&r);

	s_res_result(&r, "kinds");
	m = s_add_res(&r, &ty, "production", NULL, "eu-west-2", "kinds", NULL, NULL);
	s_rel(&m->res, "vpc", "vpc", "vpc-1", NULL, NULL);
	s_rel(&m->res, "attached to", "instance", "i-1", "attached", "web-1");
	s_rel(&m->res, "attached to", "instance", "i-2", NULL, NULL);
	s_rel(&m->res, "policy", NULL, "p-1", NULL, NULL);
	s_rel(&m->res, "policy", NULL, "p-2", NULL, NULL);
	s_rel(&m->res, "cname", NULL, "a.example.com", NULL, NULL);
	s_rel(&m->res, "cname", NULL, "b.example.com", NULL, NULL);
	for (i = 0; i < 5; i++) {
		(void)snprintf(kind, sizeof(kind), "kind%zu", i);
		s_rel(&m->res, kind, NULL, "x", NULL, NULL);
	}
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	assert_string_equal(s_block_text(root, 1), "*Load balancer* `kinds`\n"
			    "*1 VPC:* vpc-1\n"
			    "*Attached to (2):* i-1 (web-1) attached \xc2\xb7 i-2\n"
			    "*2 policies:* p-1 \xc2\xb7 p-2\n"
			    "*2 CNAMEs:* a.example.com \xc2\xb7 b.example.com\n"
			    "*1 kind0:* x\n"
			    "*1 kind1:* x\n"
			    "\xe2\x80\xa6 and 3 more of 3 other kinds");
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* The lists of a card are bounded and counted: tags (Name left to the
 * title), DNS names, addresses. */
static void test_card_lists_bounded(void **state)
{
	struct search_result r;
	struct rt_type ty;
	struct search_match *m;
	json_object *root;
	char v[32], *js;
	size_t i;

	(void)state;
	s_local_type(&ty, "subnet", 0);
	s_res_result(&r, "subnet-1");
	m = s_add_res(&r, &ty, NULL, "123456789012", NULL, "subnet-1", "app-a", "available");
	assert_int_equal(res_add_tag(&m->res, "Name", "app-a", NULL), 0);
	for (i = 0; i < 12; i++) {
		(void)snprintf(v, sizeof(v), "k%zu", i);
		assert_int_equal(res_add_tag(&m->res, v, "", NULL), 0);
		(void)snprintf(v, sizeof(v), "10.0.%zu.0/24", i);
		assert_int_equal(res_add_addr(&m->res, v, NULL), 0);
		(void)snprintf(v, sizeof(v), "h%zu.example.com", i);
		assert_int_equal(res_add_dns(&m->res, v, NULL), 0);
	}
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	assert_string_equal(s_block_text(root, 1), "*Subnet* `subnet-1` app-a\n"
			    "*DNS:* h0.example.com, h1.example.com, h2.example.com, "
			    "\xe2\x80\xa6 and 9 more\n"
			    "*Addresses:* 10.0.0.0/24, 10.0.1.0/24, 10.0.2.0/24, 10.0.3.0/24, "
			    "10.0.4.0/24, \xe2\x80\xa6 and 7 more\n"
			    "*Tags:* k0=, k1=, k2=, k3=, k4=, k5=, k6=, k7=, k8=, k9=, "
			    "\xe2\x80\xa6 and 2 more");
	/* No alias, no region: the account is its id, the region left out. */
	assert_non_null(strstr(js, "\"*Account*\\n(123456789012)\""));
	assert_null(strstr(js, "*Region*"));
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* Every registered type renders through the registry entry itself, with
 * whatever card callbacks its module has (placeholders or real). */
static void test_every_registry_type_renders(void **state)
{
	struct search_result r;
	json_object *root;
	char id[64], *js, *out;
	size_t i, n = 0;

	(void)state;
	s_res_result(&r, "anything");
	for (i = 0; rt_types[i] != NULL; i++) {
		struct search_match *m;

		(void)snprintf(id, sizeof(id), "%s-0123456789abcdef0", rt_types[i]->name);
		m = s_add_res(&r, rt_types[i], "production", "123456789012", "eu-west-2", id,
			      "web", "available");
		s_fld(&m->res, "VPC", "vpc-0f1e2d3c4b5a69788");
		n++;
	}
	assert_true(n >= 20);
	/* All of them: a line each. */
	js = render_result(&r, NULL, NULL);
	s_budget(js);
	for (i = 0; rt_types[i] != NULL; i++) {
		(void)snprintf(id, sizeof(id), "%s-0123456789abcdef0", rt_types[i]->name);
		assert_non_null(strstr(js, rt_types[i]->label));
		assert_non_null(strstr(js, id));
	}
	free(js);
	/* One at a time: a card each. */
	for (i = 0; rt_types[i] != NULL; i++) {
		struct search_result one = r;

		one.matches = &r.matches[i];
		one.n_matches = 1;
		js = render_result(&one, NULL, NULL);
		s_budget(js);
		root = s_check_message(js);
		(void)snprintf(id, sizeof(id), "%s-0123456789abcdef0", rt_types[i]->name);
		assert_non_null(strstr(s_block_text(root, 1), rt_types[i]->label));
		assert_non_null(strstr(s_block_text(root, 1), id));
		json_object_put(root);
		free(js);
	}
	/* The one-line form too (a budget of four blocks). */
	{
		struct render_opts o = { .response_type = RENDER_IN_CHANNEL, .max_blocks = 4 };

		js = render_result(&r, &o, NULL);
		json_object_put(s_check_message(js));
		free(js);
	}
	out = s_text_output(&r);
	for (i = 0; rt_types[i] != NULL; i++)
		assert_non_null(strstr(out, rt_types[i]->label));
	free(out);
	search_result_free(&r);
}

/* A type with neither summary nor link: no link, the state in the line; a
 * summary callback that leaves "" falls back to the state too. */
static void s_empty_summary(const struct res_resource *r, char *out, size_t n)
{
	(void)r;
	(void)n;
	out[0] = '\0';
}

static void test_line_falls_back_to_state(void **state)
{
	struct search_result r;
	struct rt_type bare, empty;
	struct render_opts o = { .response_type = RENDER_IN_CHANNEL, .max_blocks = 4 };
	json_object *root;
	char *js;

	(void)state;
	s_local_type(&bare, "volume", 0);
	s_local_type(&empty, "snapshot", 0);
	empty.summary = s_empty_summary;
	s_res_result(&r, "data");
	s_add_res(&r, &bare, "production", NULL, "eu-west-2", "vol-1", "data-1", "in-use");
	s_add_res(&r, &bare, "production", NULL, "eu-west-2", "vol-2", "data-2", "available");
	s_add_res(&r, &empty, "production", NULL, "eu-west-2", "snap-3", "data-3", "completed");
	s_add_res(&r, &bare, "production", NULL, "eu-west-2", "vol-4", "vol-4", NULL);
	s_add_res(&r, &bare, "production", NULL, "eu-west-2", "vol-5", NULL, NULL);
	s_add_res(&r, &bare, "production", NULL, "eu-west-2", "vol-6", NULL, NULL);
	js = render_result(&r, &o, NULL);
	root = s_check_message(js);
	s_budget(js);
	assert_int_equal(s_n_blocks(root), 2);
	assert_string_equal(s_block_text(root, 1),
			    "*production*\n"
			    "EBS volume `vol-1` data-1 \xe2\x80\x94 in-use \xc2\xb7 eu-west-2\n"
			    "EBS volume `vol-2` data-2 \xe2\x80\x94 available \xc2\xb7 "
			    "eu-west-2\n"
			    "EBS snapshot `snap-3` data-3 \xe2\x80\x94 completed \xc2\xb7 "
			    "eu-west-2\n"
			    "EBS volume `vol-4` \xc2\xb7 eu-west-2\n"
			    "EBS volume `vol-5` \xc2\xb7 eu-west-2\n"
			    "EBS volume `vol-6` \xc2\xb7 eu-west-2");
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* Instances, interfaces and resources share the one-line form. */
static void test_lines_for_every_kind(void **state)
{
	struct search_result r;
	struct rt_type ty;
	struct render_opts o = { .response_type = RENDER_IN_CHANNEL, .max_blocks = 4 };
	json_object *root;
	char *js;

	(void)state;
	s_basic(&r);
	s_local_type(&ty, "security-group", 1);
	s_add_res(&r, &ty, "production", "123456789012", "eu-west-2", "sg-1", "web-sg", NULL);
	s_drop_failures(&r);   /* s_basic's failures are not the point here */
	js = render_result(&r, &o, NULL);
	root = s_check_message(js);
	s_budget(js);
	assert_int_equal(s_n_blocks(root), 3);
	/* summary, counts, one section of lines: production's (the first
	 * match's account), then staging's, each under its heading. */
	assert_string_equal(s_block_text(root, 2),
			    "*production* (123456789012)\n"
			    "EC2 instance <https://eu-west-2.console.aws.amazon.com/ec2/home?"
			    "region=eu-west-2#InstanceDetails:instanceId=i-0123456789abcdef0|"
			    "i-0123456789abcdef0> web-1 &amp; co \xe2\x80\x94 running, t3.micro, "
			    "10.4.2.17 \xc2\xb7 eu-west-2\n"
			    "Network interface <https://eu-west-2.console.aws.amazon.com/ec2/home?"
			    "region=eu-west-2#NetworkInterface:networkInterfaceId="
			    "eni-0a1b2c3d4e5f60718|eni-0a1b2c3d4e5f60718> Application load "
			    "balancer app/web-alb/50dc6c495c0c9188 \xe2\x80\x94 in-use, 10.4.3.9 "
			    "\xc2\xb7 eu-west-2\n"
			    "Security group <https://eu-west-2.console.aws.amazon.com/test/home?"
			    "region=eu-west-2#security-group:id=sg-1|sg-1> web-sg \xe2\x80\x94 "
			    "test summary: no state, 0 related \xc2\xb7 eu-west-2\n"
			    "*staging* (210987654321)\n"
			    "EC2 instance <https://us-east-1.console.aws.amazon.com/ec2/home?"
			    "region=us-east-1#InstanceDetails:instanceId=i-0fedcba9876543210|"
			    "i-0fedcba9876543210> \xe2\x80\x94 stopped, m5.large, 10.9.0.5 "
			    "\xc2\xb7 us-east-1");
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* Hundreds of resources with long names: sections packed to the limit,
 * none over it, and cards + lines + "more" account for every match. */
static void test_many_lines_packed_within_limits(void **state)
{
	struct search_result r;
	struct rt_type ty;
	json_object *root;
	char id[64], name[200];
	size_t i, lines, cards, more;
	char *js;

	(void)state;
	s_local_type(&ty, "lambda-function", 1);
	s_res_result(&r, "fn");
	for (i = 0; i < 3000; i++) {
		(void)snprintf(id, sizeof(id), "fn-%04zu", i);
		(void)snprintf(name, sizeof(name), "%0150zu", i);
		s_add_res(&r, &ty, i % 7 ? "production" : "dev", NULL, "eu-west-2", id, name,
			  "Active");
	}
	js = render_result(&r, NULL, NULL);
	s_budget(js);
	root = s_check_message(js);
	s_tally(root, &cards, &lines, &more);
	/* Full line sections are packed: each within 400 of the limit. */
	for (i = 2; i + 2 < s_n_blocks(root); i++)
		assert_true(s_chars(s_block_text(root, i)) > RENDER_MAX_SECTION_TEXT - 400);
	assert_int_equal(cards, 0);
	assert_true(lines > 0 && more > 0);
	assert_int_equal(lines + more, 3000);
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* A host name in no hosted zone, resolved with DNS: said under the
 * summary, before the failures, also when nothing matched, and on the
 * command line. */
static void test_dns_note(void **state)
{
	struct search_result r;
	json_object *root, *blocks, *els;
	char *js, *out;

	(void)state;
	s_many(&r, 1, NULL);
	r.dns_note = s_dup("www.example.com \xe2\x86\x92 192.0.2.1, 192.0.2.7");
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	assert_string_equal(s_context_text(root), "Not in any hosted zone; resolved with DNS: "
			    "www.example.com \xe2\x86\x92 192.0.2.1, 192.0.2.7");
	assert_int_equal(s_n_blocks(root), 3);
	json_object_put(root);
	free(js);
	out = s_text_output(&r);
	assert_non_null(strstr(out, "1 match for web in 1 account-region, 0.00 s\n"
			       "Not in any hosted zone; resolved with DNS: www.example.com "
			       "\xe2\x86\x92 192.0.2.1, 192.0.2.7\n"));
	free(out);

	/* With failures: one context block, two elements. */
	s_add_failure(&r, "dev", "us-east-1", "Timeout", NULL);
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	assert_true(json_object_object_get_ex(root, "blocks", &blocks));
	assert_true(json_object_object_get_ex(json_object_array_get_idx(blocks, 1), "elements",
					      &els));
	assert_int_equal(json_object_array_length(els), 2);
	assert_string_equal(s_text_of(json_object_array_get_idx(els, 1)),
			    "1 of 1 target failed: Timeout: dev/us-east-1");
	json_object_put(root);
	free(js);

	/* Nothing matched the addresses. */
	search_result_free(&r);
	s_many(&r, 0, NULL);
	r.dns_note = s_dup("www.example.com \xe2\x86\x92 192.0.2.1");
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	assert_string_equal(s_context_text(root), "Not in any hosted zone; resolved with DNS: "
			    "www.example.com \xe2\x86\x92 192.0.2.1");
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* How the query was taken (a block searched masked) is said in the
 * context block, escaped, and on the command line. */
static void test_query_note(void **state)
{
	struct search_result r;
	json_object *root;
	char *js, *out;

	(void)state;
	s_many(&r, 1, NULL);
	r.query_note = s_dup("Searching 10.1.0.0/16: 10.1.2.3/16 has bits <set>");
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	assert_string_equal(s_context_text(root),
			    "Searching 10.1.0.0/16: 10.1.2.3/16 has bits &lt;set&gt;");
	json_object_put(root);
	free(js);
	out = s_text_output(&r);
	assert_non_null(strstr(out, "\nSearching 10.1.0.0/16: 10.1.2.3/16 has bits <set>\n"));
	free(out);
	search_result_free(&r);
}

/* The command line lists resources: label, id, name, state, account,
 * region. */
static void test_render_text_resources(void **state)
{
	struct search_result r;
	struct rt_type ty;
	char *out;

	(void)state;
	s_local_type(&ty, "security-group", 0);
	s_basic(&r);
	s_add_res(&r, &ty, "production", "123456789012", "eu-west-2", "sg-0a1b2c3d4e5f60718",
		  "web-sg", NULL);
	s_add_res(&r, &ty, "staging", NULL, "us-east-1", "sg-1\x1b[2J", NULL, "x\xe2\x80\xae");
	out = s_text_output(&r);
	s_row_has(out, "production  eu-west-2  sg-0a1b2c3d4e5f60718 ", "web-sg", " - ",
		  " Security group ", " - ", " -\n", NULL);
	s_row_has(out, "staging     us-east-1  sg-1?[2J ", " - ", " x? ", " Security group ",
		  " - ", " -\n", NULL);
	assert_null(strchr(out, '\x1b'));
	free(out);
	search_result_free(&r);
}

/* ---- the inventory: history, at:, ages ---- */

/* The issue's times: i-old (prod-web-3) from 28 Nov 09:14, terminated 1
 * Dec 11:58:03, i-new (prod-web-7) from 12:03; asked at 13:04. */
#define T_OLD_LAUNCH ((time_t)1795857240)
#define T_OLD_END ((time_t)1796126283)
#define T_NEW_LAUNCH ((time_t)1796126580)
#define T_CRAWL2 ((time_t)1796128200)
#define T_AFTER ((time_t)1796130000)
#define T_NIGHT ((time_t)1796007600)
#define T_ASKED ((time_t)1796130240)

static struct search_history *s_add_history(struct search_result *r, const char *subject,
					    int of_resource)
{
	struct search_history *h = realloc(r->history, (r->n_history + 1) * sizeof(*h));

	assert_non_null(h);
	r->history = h;
	h = &h[r->n_history++];
	memset(h, 0, sizeof(*h));
	h->subject = s_dup(subject);
	h->of_resource = of_resource;
	return h;
}

static struct search_hold *s_add_hold(struct search_history *h, const char *addr,
				      const char *id, const char *name, time_t from, time_t to,
				      const char *reason)
{
	struct search_hold *v = realloc(h->holds, (h->n_holds + 1) * sizeof(*v));

	assert_non_null(v);
	h->holds = v;
	v = &v[h->n_holds++];
	memset(v, 0, sizeof(*v));
	v->addr = s_dup(addr);
	v->type = s_dup("instance");
	v->id = s_dup(id);
	v->name = s_dup(name);
	v->account_alias = s_dup("production");
	v->account_id = s_dup("111111111111");
	v->region = s_dup("eu-west-2");
	v->from = from;
	v->to = to;
	v->from_exact = 1;
	v->to_exact = to != 0;
	v->end_reason = s_dup(reason);
	return v;
}

/* 10.1.2.3: i-new now, i-old before, as idx_finish leaves it. */
static void s_history_result(struct search_result *r)
{
	struct search_history *h;
	struct search_match *m;
	struct ec2_instance *in;

	memset(r, 0, sizeof(*r));
	r->query_text = s_dup("10.1.2.3");
	r->n_targets = r->n_accounts = r->n_regions = 1;
	r->elapsed_s = 0.21;
	r->index_now = T_ASKED;
	r->index_note = s_dup("Searched only where the inventory places it: 10.1.2.3 "
			      "\xe2\x86\x92 production/eu-west-2");
	m = s_add_match(r, SEARCH_MATCH_INSTANCE, "production", "111111111111", "eu-west-2");
	in = s_instance(m, "i-0e3d000000000a002", "t3.large", "running", "eu-west-2a");
	in->private_ip = s_dup("10.1.2.3");
	s_tag(&in->tags, &in->n_tags, "Name", "prod-web-7");
	h = s_add_history(r, "10.1.2.3", 0);
	s_add_hold(h, "10.1.2.3", "i-0a1d000000000a001", "prod-web-3", T_OLD_LAUNCH,
		   T_OLD_END, "terminated");
	s_add_hold(h, "10.1.2.3", "i-0e3d000000000a002", "prod-web-7", T_NEW_LAUNCH, 0, NULL);
}

/* The history section: "now: … since 12:03 · before: … 28 Nov 09:14 → 1
 * Dec 11:58, terminated", every time a Slack date, after the context. */
static void test_golden_history(void **state)
{
	struct search_result r;
	json_object *root;
	char *js, *out;

	(void)state;
	s_history_result(&r);
	js = render_result(&r, NULL, NULL);
	s_golden("history_address.json", js);
	root = s_check_message(js);
	assert_int_equal(s_n_blocks(root), 4);
	assert_string_equal(s_context_text(root), "Searched only where the inventory places "
			    "it: 10.1.2.3 \xe2\x86\x92 production/eu-west-2");
	json_object_put(root);
	free(js);
	/* on the terminal, plain UTC */
	out = s_text_output(&r);
	assert_non_null(strstr(out, "\n10.1.2.3: now: i-0e3d000000000a002 (prod-web-7) since "
			       "2026-12-01 12:03 UTC \xc2\xb7 before: i-0a1d000000000a001 "
			       "(prod-web-3) 2026-11-28 09:14 UTC \xe2\x86\x92 2026-12-01 11:58 "
			       "UTC, terminated\n"));
	free(out);
	search_result_free(&r);
}

/* An at: answer has no live matches: its summary names the moment and
 * says the answer is the inventory's alone; a crawl's time is "~". */
static void test_golden_at(void **state)
{
	struct search_result r;
	struct search_history *h;
	json_object *root;
	char *js, *out;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.query_text = s_dup("10.1.2.3 prod-web-3 i-0a1d000000000a001 at:2026-11-30T03:00Z");
	r.index_now = T_ASKED;
	r.at_answered = 1;
	r.at = T_NIGHT;
	h = s_add_history(&r, "10.1.2.3", 0);
	s_add_hold(h, "10.1.2.3", "i-0a1d000000000a001", "prod-web-3", T_OLD_LAUNCH,
		   T_OLD_END, "terminated");
	h = s_add_history(&r, "prod-web-3", 0);
	s_add_hold(h, NULL, "i-0a1d000000000a001", "prod-web-3", T_OLD_LAUNCH, T_AFTER,
		   "gone")->to_exact = 0;
	h = s_add_history(&r, "i-0a1d000000000a001", 1);
	s_add_hold(h, "10.1.2.3", "i-0a1d000000000a001", "prod-web-3", T_OLD_LAUNCH, T_OLD_END,
		   "terminated");
	s_add_history(&r, "10.9.9.9", 0);
	s_add_history(&r, "i-0e3d000000000a002", 1);
	js = render_result(&r, NULL, NULL);
	s_golden("at_address.json", js);
	root = s_check_message(js);
	assert_int_equal(s_n_blocks(root), 2);
	json_object_put(root);
	free(js);
	out = s_text_output(&r);
	assert_string_equal(out, "At 2026-11-30 03:00 UTC, from the inventory only (AWS keeps "
			    "no past), for 10.1.2.3 prod-web-3 i-0a1d000000000a001 at:2026-"
			    "\n10.1.2.3: i-0a1d000000000a001 (prod-web-3) 2026-11-28 09:14 UTC "
			    "\xe2\x86\x92 2026-12-01 11:58 UTC, terminated"
			    "\nprod-web-3: i-0a1d000000000a001 (prod-web-3) 2026-11-28 09:14 UTC "
			    "\xe2\x86\x92 ~2026-12-01 13:00 UTC, gone"
			    "\ni-0a1d000000000a001: held 10.1.2.3 2026-11-28 09:14 UTC "
			    "\xe2\x86\x92 2026-12-01 11:58 UTC, terminated"
			    "\n10.9.9.9: nobody in the inventory"
			    "\ni-0e3d000000000a002: not in the inventory then\n");
	free(out);
	search_result_free(&r);
}

/* A match from the inventory alone says why and how old it is, on its
 * card, on its line and on the terminal; ages read as people say them. */
static void test_inventory_ages(void **state)
{
	static const struct {
		time_t ago;
		const char *text;
	} ages[] = {
		{ 0, "seen just now" }, { 59, "seen just now" }, { 60, "seen 1 min ago" },
		{ 240, "seen 4 min ago" }, { 3599, "seen 59 min ago" }, { 3600, "seen 1 h ago" },
		{ 47 * 3600, "seen 47 h ago" }, { 48 * 3600, "seen 2 days ago" },
		{ 90 * 86400, "seen 90 days ago" }, { -30, "seen just now" },
	};
	struct search_result r;
	struct render_opts o = { .response_type = RENDER_IN_CHANNEL, .max_blocks = 5 };
	struct search_match *m;
	json_object *root;
	char *js, *out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
		s_res_result(&r, "i-0a1d000000000a001");
		r.index_now = T_ASKED;
		m = s_add_res(&r, rt_by_name("instance"), "production", "111111111111",
			      "eu-west-2", "i-0a1d000000000a001", "prod-web-3", "running");
		m->source = SEARCH_SOURCE_UNCONFIRMED;
		m->seen_at = T_ASKED - ages[i].ago;
		js = render_result(&r, NULL, NULL);
		root = s_check_message(js);
		if (strstr(js, ages[i].text) == NULL)
			fail_msg("age %lld: no '%s' in %s", (long long)ages[i].ago, ages[i].text,
				 js);
		assert_non_null(strstr(js, "_From the inventory:_ AWS did not answer for its "
				       "account and region \xc2\xb7 seen"));
		json_object_put(root);
		free(js);
		search_result_free(&r);
	}
	/* gone and missing, as a card, as a line among many, on the terminal */
	s_many(&r, 30, NULL);
	r.index_now = T_ASKED;
	m = s_add_res(&r, rt_by_name("instance"), "production", "111111111111", "eu-west-2",
		      "i-0a1d000000000a001", "prod-web-3", "terminated");
	m->source = SEARCH_SOURCE_GONE;
	m->seen_at = T_CRAWL2;
	m->gone_at = T_AFTER;
	m->ended_at = T_OLD_END;
	m = s_add_res(&r, rt_by_name("security-group"), "production", "111111111111",
		      "eu-west-2", "sg-0a1d000000000a001", "old-sg", NULL);
	m->source = SEARCH_SOURCE_MISSING;
	m->seen_at = T_ASKED - 600;
	js = render_result(&r, &o, NULL);
	root = s_check_message(js);
	assert_non_null(strstr(js, "eu-west-2 \xc2\xb7 _inventory:_ terminated <!date^"
			       "1796126283^{date_short_pretty} {time}|1 Dec 2026 11:58 UTC>, gone "
			       "from AWS since ~<!date^1796130000^{date_short_pretty} {time}|1 Dec "
			       "2026 13:00 UTC> \xc2\xb7 last seen 34 min ago"));
	assert_non_null(strstr(js, "_inventory:_ AWS no longer lists it \xc2\xb7 last seen "
			       "10 min ago"));
	json_object_put(root);
	free(js);
	out = s_text_output(&r);
	assert_non_null(strstr(out, "\ninventory: i-0a1d000000000a001: terminated 2026-12-01 "
			       "11:58 UTC, gone from AWS since ~2026-12-01 13:00 UTC \xc2\xb7 "
			       "last seen 34 min ago\n"));
	assert_non_null(strstr(out, "\ninventory: sg-0a1d000000000a001: AWS no longer lists "
			       "it \xc2\xb7 last seen 10 min ago\n"));
	free(out);
	search_result_free(&r);
}

/* Hostile names in the history are text, never markup; a long history
 * is cut to the latest stretches and counted; many subjects too; every
 * limit holds. */
static void test_history_bounded_and_escaped(void **state)
{
	struct search_result r;
	struct search_history *h;
	json_object *root;
	char *js, *out, id[32], subj[32];
	size_t i;

	(void)state;
	s_history_result(&r);
	h = &r.history[0];
	for (i = 0; i < 40; i++) {
		(void)snprintf(id, sizeof(id), "i-%017zx", i);
		s_add_hold(h, "10.1.2.3", id, "<!channel> *b* `x` &amp; <http://e|y>",
			   T_OLD_LAUNCH + (time_t)i, T_OLD_LAUNCH + (time_t)i + 1, "released");
	}
	h->truncated = 1;
	for (i = 0; i < 8; i++) {
		(void)snprintf(subj, sizeof(subj), "10.0.0.%zu", i);
		h = s_add_history(&r, subj, 0);
		s_add_hold(h, subj, "i-0a1d000000000a001", NULL, T_OLD_LAUNCH, T_OLD_END, NULL);
	}
	js = render_result(&r, NULL, NULL);
	root = s_check_message(js);
	assert_null(strstr(js, "<!channel>"));
	assert_non_null(strstr(js, "&lt;!channel&gt;"));
	assert_non_null(strstr(js, "and 36 more (older stretches not shown)"));
	assert_non_null(strstr(js, "and 4 more"));
	json_object_put(root);
	free(js);
	out = s_text_output(&r);
	assert_null(strchr(out, '\x1b'));
	free(out);
	search_result_free(&r);
}

/* ---- issue 14: the size budget, buttons, pages, fallback, links ---- */

/* Walk a message for the limits s_check_message does not know: the actions
 * block's buttons (text, action_id, value) and its element count. */
static void s_check_buttons(json_object *root)
{
	json_object *blocks, *type, *els, *v, *t;
	size_t i, j;

	assert_true(json_object_object_get_ex(root, "blocks", &blocks));
	for (i = 0; i < json_object_array_length(blocks); i++) {
		json_object *b = json_object_array_get_idx(blocks, i);

		if (!json_object_object_get_ex(b, "type", &type) ||
		    strcmp(json_object_get_string(type), "actions") != 0)
			continue;
		assert_true(json_object_object_get_ex(b, "elements", &els));
		assert_true(json_object_array_length(els) <= 25);
		for (j = 0; j < json_object_array_length(els); j++) {
			json_object *e = json_object_array_get_idx(els, j);

			assert_true(json_object_object_get_ex(e, "text", &t));
			assert_true(json_object_object_get_ex(t, "text", &v));
			assert_true(s_chars(json_object_get_string(v)) <= RENDER_MAX_BUTTON_TEXT);
			assert_true(json_object_object_get_ex(e, "action_id", &v));
			assert_true(strlen(json_object_get_string(v)) <= RENDER_MAX_ACTION_ID);
			assert_true(json_object_object_get_ex(e, "value", &v));
			assert_true(strlen(json_object_get_string(v)) <= RENDER_MAX_BUTTON_VALUE);
		}
	}
}

/* s_budget, the buttons' limits too, and a golden file of
 * tests/data/golden. */
static void s_golden_msg(const char *name, const char *js)
{
	json_object *root;

	s_budget(js);
	root = s_parse(js);
	s_check_buttons(root);
	json_object_put(root);
	s_golden_in("golden", name, js);
}

/* Every page of a render_pages array within the budget; returns their
 * count. */
static size_t s_check_pages(const char *js)
{
	json_object *arr = s_parse(js);
	size_t i, n;

	assert_true(json_object_is_type(arr, json_type_array));
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		const char *page = json_object_to_json_string_ext(
			json_object_array_get_idx(arr, i), JSON_C_TO_STRING_PLAIN |
			JSON_C_TO_STRING_NOSLASHESCAPE);

		s_budget(page);
	}
	json_object_put(arr);
	return n;
}

/* An organisation's answer: n matches over n_accounts accounts (ids
 * 1000000000NN) and three regions, interleaved as a fan-out returns them;
 * mostly instances, every 7th an interface of a load balancer, every 5th a
 * security group (t: the test's copy of the type). */
static void s_org(struct search_result *r, size_t n, size_t n_accounts, const struct rt_type *t)
{
	static const char *const aliases[] = {
		"production", "staging", "dev", "sandbox", "analytics", "security", "shared",
		"payments", "search", "data", "ml", "edge",
	};
	static const char *const regions[] = { "eu-west-2", "us-east-1", "eu-west-1" };
	char alias[32], acct[16], id[64], name[64];
	size_t i;

	memset(r, 0, sizeof(*r));
	r->query_text = s_dup("web");
	r->n_accounts = n_accounts;
	r->n_regions = 3;
	r->n_targets = n_accounts * 3;
	r->elapsed_s = 4.2;
	for (i = 0; i < n; i++) {
		size_t a = (i * 7) % n_accounts;
		const char *region = regions[i % 3];
		struct search_match *m;

		if (a < sizeof(aliases) / sizeof(aliases[0]))
			(void)snprintf(alias, sizeof(alias), "%s", aliases[a]);
		else
			(void)snprintf(alias, sizeof(alias), "team-%02zu", a);
		(void)snprintf(acct, sizeof(acct), "1000000000%02zu", a);
		(void)snprintf(name, sizeof(name), "web-%zu", i);
		if (i % 5 == 4) {
			(void)snprintf(id, sizeof(id), "sg-%017zx", i);
			m = s_add_res(r, t, alias, acct, region, id, name, NULL);
			(void)m;
		} else if (i % 7 == 6) {
			struct ec2_eni *e;

			m = s_add_match(r, SEARCH_MATCH_ENI, alias, acct, region);
			e = &m->eni;
			(void)snprintf(id, sizeof(id), "eni-%017zx", i);
			e->eni_id = s_dup(id);
			e->description = s_dup("ELB app/web-alb/50dc6c495c0c9188");
			e->interface_type = s_dup("interface");
			e->status = s_dup("in-use");
			s_eni_ip(e, "10.4.3.9", NULL);
		} else {
			struct ec2_instance *in;

			m = s_add_match(r, SEARCH_MATCH_INSTANCE, alias, acct, region);
			(void)snprintf(id, sizeof(id), "i-%017zx", i);
			in = s_instance(m, id, "t3.micro", i % 11 ? "running" : "stopped", NULL);
			in->private_ip = s_dup("10.0.1.20");
			in->launch_time = s_dup("2026-11-30T03:00:00.000Z");
			s_tag(&in->tags, &in->n_tags, "Name", name);
		}
	}
}

static const struct render_links s_sso = { "https://d-1234567890.awsapps.com/start/",
					   "ReadOnly" };
static const char s_id[] = "0123456789abcdef0123456789abcdef";

static void test_golden_instance_card(void **state)
{
	struct search_result r, one;
	char *js;

	(void)state;
	s_basic(&r);
	one = r;
	one.n_matches = 1;
	one.n_failures = 0;
	js = render_result(&one, NULL, NULL);
	s_golden_msg("instance_card.json", js);
	/* The launch time as a Slack date, its fallback the UTC time. */
	assert_non_null(strstr(js, "*Launched*\\n<!date^1704164645^{date_short_pretty} {time}|"
			       "2 Jan 2024 03:04 UTC>"));
	free(js);
	search_result_free(&r);
}

/* Three matches: three cards; the load balancer's interface names its
 * owner once, linked to the load balancer. */
static void test_golden_cards_3(void **state)
{
	struct search_result r;
	json_object *root;
	const char *t;
	char *js;

	(void)state;
	s_basic(&r);
	js = render_result(&r, NULL, NULL);
	s_golden_msg("cards_3.json", js);
	root = s_check_message(js);
	assert_int_equal(s_count_matches(root), 3);
	t = s_block_text(root, 4);
	assert_string_equal(t, "*<https://eu-west-2.console.aws.amazon.com/ec2/home?region="
			    "eu-west-2#NetworkInterface:networkInterfaceId=eni-0a1b2c3d4e5f60718|"
			    "eni-0a1b2c3d4e5f60718>* <https://eu-west-2.console.aws.amazon.com/"
			    "ec2/home?region=eu-west-2#LoadBalancer:loadBalancerArn=arn:aws:"
			    "elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/web-alb/"
			    "50dc6c495c0c9188|Application load balancer app/web-alb/"
			    "50dc6c495c0c9188>");
	/* "web-alb" once in the whole card: the title; no Owner or
	 * Description field repeats it. */
	assert_null(strstr(js, "*Owner*"));
	assert_null(strstr(js, "*Description*\\nELB"));
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* A classic load balancer's interface links to it by name. */
static void test_classic_lb_link(void **state)
{
	struct search_result r;
	struct search_match *m;
	char *js;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.query_text = s_dup("10.1.2.3");
	m = s_add_match(&r, SEARCH_MATCH_ENI, "production", NULL, "us-east-1");
	m->eni.eni_id = s_dup("eni-0123456789abcdef0");
	m->eni.description = s_dup("ELB my-classic");
	m->eni.requester_id = s_dup("amazon-elb");
	js = render_result(&r, NULL, NULL);
	s_budget(js);
	assert_non_null(strstr(js, "* <https://us-east-1.console.aws.amazon.com/ec2/home?region="
			       "us-east-1#LoadBalancers:search=my-classic|Classic load balancer "
			       "my-classic>"));
	free(js);
	search_result_free(&r);
}

/* 40 matches in 3 accounts: the compact list, every one shown, grouped
 * under a heading per account. */
static void test_golden_list_40(void **state)
{
	struct search_result r;
	struct rt_type sg;
	json_object *root;
	size_t cards, lines, more, headings;
	char *js;

	(void)state;
	s_local_type(&sg, "security-group", 1);
	s_org(&r, 40, 3, &sg);
	js = render_result(&r, NULL, NULL);
	s_golden_msg("list_40.json", js);
	root = s_check_message(js);
	s_tally_h(root, &cards, &lines, &more, &headings);
	assert_int_equal(cards, 0);
	assert_int_equal(lines, 40);
	assert_int_equal(more, 0);
	assert_int_equal(headings, 3);
	assert_string_equal(s_block_text(root, 1), "*Matches by account:* production: 14 "
			    "\xc2\xb7 dev: 13 \xc2\xb7 staging: 13");
	assert_true(SI_HAS_PREFIX(s_block_text(root, 2), "*production* (100000000000)\n"));
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* 600 matches in 12 accounts with buttons: the list while the budget
 * lasts, "N more", Show all and Refresh (in channel: no Share). */
static void test_golden_list_600(void **state)
{
	struct search_result r;
	struct rt_type sg;
	struct render_opts o = { .response_type = RENDER_IN_CHANNEL, .result_id = s_id };
	struct render_size sz;
	json_object *root;
	size_t cards, lines, more;
	char *js;

	(void)state;
	s_local_type(&sg, "security-group", 1);
	s_org(&r, 600, 12, &sg);
	js = render_result(&r, &o, NULL);
	s_golden_msg("list_600.json", js);
	assert_int_equal(render_measure(js, &sz, NULL), 0);
	root = s_check_message(js);
	s_tally(root, &cards, &lines, &more);
	assert_int_equal(cards, 0);
	assert_true(lines >= 30);
	assert_int_equal(lines + more, 600);
	assert_non_null(strstr(js, "\"action_id\":\"si_show_all\",\"value\":\""
			       "0123456789abcdef0123456789abcdef\""));
	assert_non_null(strstr(js, "\"Show all 600\""));
	assert_non_null(strstr(js, "\"si_refresh\""));
	assert_null(strstr(js, "\"si_share\""));
	/* A message with buttons may be posted to a button's response_url. */
	assert_non_null(strstr(js, "\"replace_original\":false"));
	json_object_put(root);
	free(js);
	search_result_free(&r);
}

/* An ephemeral answer with a result id: Show all, Share in channel,
 * Refresh, each valued with the id; with replace_original (Refresh's
 * answer) "replace_original": true. */
static void test_golden_ephemeral_buttons(void **state)
{
	struct search_result r;
	struct rt_type sg;
	struct render_opts o = { .response_type = RENDER_EPHEMERAL, .result_id = s_id };
	char *js;

	(void)state;
	s_local_type(&sg, "security-group", 1);
	s_org(&r, 40, 3, &sg);
	js = render_result(&r, &o, NULL);
	s_golden_msg("ephemeral_buttons.json", js);
	assert_non_null(strstr(js, "{\"type\":\"button\",\"text\":{\"type\":\"plain_text\","
			       "\"text\":\"Show all 40\"},\"action_id\":\"si_show_all\","
			       "\"value\":\"0123456789abcdef0123456789abcdef\"}"));
	assert_non_null(strstr(js, "\"text\":\"Share in channel\"},\"action_id\":\"si_share\""));
	assert_non_null(strstr(js, "\"text\":\"Refresh\"},\"action_id\":\"si_refresh\""));
	free(js);
	o.replace_original = 1;
	js = render_result(&r, &o, NULL);
	s_budget(js);
	assert_non_null(strstr(js, "\"replace_original\":true"));
	free(js);
	/* Cards: no Show all. A bad id: no buttons at all. */
	search_result_free(&r);
	s_basic(&r);
	js = render_result(&r, &o, NULL);
	s_budget(js);
	assert_null(strstr(js, "si_show_all"));
	assert_non_null(strstr(js, "si_share"));
	free(js);
	o.result_id = "not a valid id";
	js = render_result(&r, &o, NULL);
	s_budget(js);
	assert_null(strstr(js, "\"actions\""));
	free(js);
	search_result_free(&r);
}

/* "Show all" for 600: pages of compact lines, each within the budget,
 * "Page K of N", every match once. */
static void test_golden_pages_600(void **state)
{
	struct search_result r;
	struct rt_type sg;
	size_t n = 0, i, seen = 0;
	char *js, id[64];

	(void)state;
	s_local_type(&sg, "security-group", 1);
	s_org(&r, 600, 12, &sg);
	js = render_pages(&r, NULL, &n, NULL);
	assert_non_null(js);
	assert_int_equal(s_check_pages(js), n);
	assert_true(n > 1 && n <= RENDER_PAGES_MAX);
	s_golden_in("golden", "pages_600.json", js);
	assert_non_null(strstr(js, "\"*Page 1 of "));
	assert_null(strstr(js, " more*"));
	assert_null(strstr(js, "si_"));
	/* Every match listed, once. */
	for (i = 0; i < 600; i++) {
		const char *p;

		(void)snprintf(id, sizeof(id), "%017zx>", i);
		p = strstr(js, id);
		assert_non_null(p);
		assert_null(strstr(p + 1, id));
		seen++;
	}
	assert_int_equal(seen, 600);
	free(js);
	search_result_free(&r);
}

/* More matches than RENDER_PAGES_MAX pages hold: the last page says how
 * many more and how to narrow. */
static void test_pages_capped(void **state)
{
	struct search_result r;
	struct rt_type sg;
	size_t n = 0;
	char *js;

	(void)state;
	s_local_type(&sg, "security-group", 1);
	s_org(&r, 5000, 40, &sg);
	js = render_pages(&r, NULL, &n, NULL);
	assert_non_null(js);
	assert_int_equal(n, RENDER_PAGES_MAX);
	assert_int_equal(s_check_pages(js), RENDER_PAGES_MAX);
	assert_non_null(strstr(js, "*Page 40 of 40*"));
	assert_non_null(strstr(js, " more* \xe2\x80\x94 narrow with `account:` or `region:`"));
	free(js);
	search_result_free(&r);
	/* No matches: one page. */
	memset(&r, 0, sizeof(r));
	js = render_pages(&r, NULL, &n, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(s_check_pages(js), 1);
	free(js);
	assert_null(render_pages(NULL, NULL, &n, NULL));
}

static void test_golden_more_pages(void **state)
{
	struct si_err err;
	char *js;

	(void)state;
	js = render_more_pages(s_id, 4, 9, &err);
	s_golden_msg("more_pages.json", js);
	assert_non_null(strstr(js, "Pages 1-4 of 9 shown."));
	assert_non_null(strstr(js, "\"text\":\"Show pages 5-9\"},\"action_id\":\"si_more\","
			       "\"value\":\"0123456789abcdef0123456789abcdef:4\""));
	free(js);
	js = render_more_pages(s_id, 8, 9, NULL);
	assert_non_null(strstr(js, "\"Show page 9\""));
	free(js);
	assert_null(render_more_pages(s_id, 9, 9, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(render_more_pages(s_id, 0, 9, NULL));
	assert_null(render_more_pages(NULL, 1, 9, NULL));
	assert_null(render_more_pages("bad id", 1, 9, NULL));
}

/* The fallback: summary, counts, how to narrow; no links, no buttons,
 * at most 3 blocks and 3000 characters. */
static void test_golden_fallback(void **state)
{
	struct search_result r;
	struct rt_type sg;
	struct render_opts o = { .response_type = RENDER_EPHEMERAL, .result_id = s_id };
	struct render_size sz;
	char *js;

	(void)state;
	s_local_type(&sg, "security-group", 1);
	s_org(&r, 600, 12, &sg);
	s_add_failure(&r, "dev", "us-east-1", "Timeout", NULL);
	js = render_fallback(&r, &o, NULL);
	s_golden_msg("fallback_600.json", js);
	assert_int_equal(render_measure(js, &sz, NULL), 0);
	assert_true(sz.blocks <= 3);
	assert_true(sz.text_chars <= 3000);
	assert_null(strstr(js, "<https"));
	assert_null(strstr(js, "\"actions\""));
	assert_non_null(strstr(js, "\"ephemeral\""));
	free(js);
	search_result_free(&r);
	/* No matches: the "no matches" summary. */
	memset(&r, 0, sizeof(r));
	r.query_text = s_dup("nothing");
	js = render_fallback(&r, NULL, NULL);
	s_budget(js);
	assert_non_null(strstr(js, "No matches for nothing"));
	free(js);
	search_result_free(&r);
}

/* [links]: every console link through IAM Identity Center's shortcut when
 * the match's account id is known (the trailing '/' of the start URL
 * dropped, the destination percent-encoded); plain when it is not. */
static void test_golden_sso_links(void **state)
{
	struct search_result r;
	struct rt_type sg;
	struct render_opts o = { .response_type = RENDER_IN_CHANNEL, .links = &s_sso };
	json_object *root;
	char *js;
	size_t n;

	(void)state;
	s_basic(&r);
	js = render_result(&r, &o, NULL);
	s_golden_msg("sso_cards_3.json", js);
	root = s_check_message(js);
	assert_true(SI_HAS_PREFIX(s_block_text(root, 2), "*<https://d-1234567890.awsapps.com/"
				  "start/#/console?account_id=123456789012&amp;role_name=ReadOnly"
				  "&amp;destination=https%3A%2F%2Feu-west-2.console.aws.amazon.com"
				  "%2Fec2%2Fhome%3Fregion%3Deu-west-2%23InstanceDetails%3A"
				  "instanceId%3Di-0123456789abcdef0|web-1 &amp; co>*"));
	/* staging's instance has no account id but its reservation owner. */
	assert_non_null(strstr(s_block_text(root, 3), "account_id=210987654321&amp;"));
	json_object_put(root);
	free(js);
	search_result_free(&r);

	s_local_type(&sg, "security-group", 1);
	s_org(&r, 40, 3, &sg);
	js = render_result(&r, &o, NULL);
	s_golden_msg("sso_list_40.json", js);
	free(js);
	js = render_pages(&r, &o, &n, NULL);
	assert_int_equal(s_check_pages(js), n);
	assert_non_null(strstr(js, "awsapps.com/start/#/console?account_id=100000000001&amp;"));
	free(js);
	/* No account id known: the plain console link. */
	free(r.matches[0].account_id);
	r.matches[0].account_id = NULL;
	js = render_result(&r, &o, NULL);
	assert_non_null(strstr(js, "<https://eu-west-2.console.aws.amazon.com/ec2/home?region="
			       "eu-west-2#InstanceDetails:instanceId=i-00000000000000000|"));
	free(js);
	/* Half a [links] (no role): plain links everywhere. */
	{
		struct render_links half = { s_sso.sso_start_url, NULL };

		o.links = &half;
		js = render_result(&r, &o, NULL);
		assert_null(strstr(js, "awsapps"));
		free(js);
	}
	search_result_free(&r);
}

/* render_measure counts blocks, every string inside them (UTF-16 units,
 * URLs included) and the bytes; a non-message is an error. */
static void test_render_measure(void **state)
{
	static const char msg[] = "{\"text\":\"x\",\"blocks\":[{\"type\":\"section\","
		"\"text\":{\"type\":\"mrkdwn\",\"text\":\"ab\xf0\x9f\x98\x80\"}}]}";
	struct render_size sz;
	struct si_err err;
	char *js;

	(void)state;
	assert_int_equal(render_measure(msg, &sz, &err), 0);
	assert_int_equal(sz.blocks, 1);
	assert_int_equal(sz.text_chars, 7 + 6 + 4);
	js = render_ack(NULL);
	assert_int_equal(render_measure(js, &sz, NULL), 0);
	assert_int_equal(sz.blocks, 0);
	assert_int_equal(sz.json_bytes, strlen(js));
	free(js);
	assert_int_equal(render_measure("[1]", &sz, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_int_equal(render_measure("{\"blocks\":3}", &sz, &err), -1);
	assert_int_equal(render_measure("not json", &sz, &err), -1);
	assert_int_equal(render_measure(NULL, &sz, &err), -1);
}

/* A hostile, huge answer: 10,000 matches with 200-character names, tags
 * and relations, failures in 500 accounts, long notes. Every message stays
 * within the budget whatever the options. */
static void test_huge_hostile_input_fits(void **state)
{
	struct search_result r;
	struct rt_type lb;
	struct render_opts o = { .response_type = RENDER_EPHEMERAL, .result_id = s_id,
				 .links = &s_sso };
	char big[256], id[64], alias[64];
	size_t i, k, n;
	char *js;

	(void)state;
	s_local_type(&lb, "load-balancer", 1);
	memset(big, 'x', 200);
	memcpy(big, "<!channel> *&* ", 15);
	big[200] = '\0';
	memset(&r, 0, sizeof(r));
	r.query_text = s_dup(big);
	r.dns_note = s_dup(big);
	r.query_note = s_dup(big);
	r.index_note = s_dup(big);
	r.n_targets = 1500;
	r.n_accounts = 500;
	r.n_regions = 3;
	for (i = 0; i < 10000; i++) {
		struct search_match *m;

		(void)snprintf(alias, sizeof(alias), "%.40s-%zu", big + 15, i % 500);
		(void)snprintf(id, sizeof(id), "lb-%zu-%.40s", i, big + 15);
		m = s_add_res(&r, &lb, alias, "123456789012", "eu-west-2", id, big, big);
		for (k = 0; k < 20; k++) {
			s_fld(&m->res, big, big);
			assert_int_equal(res_add_tag(&m->res, big, big, NULL), 0);
		}
		for (k = 0; i < 3 && k < 200; k++)
			s_rel(&m->res, k % 2 ? "target" : big, "instance", big, big, big);
	}
	for (i = 0; i < 1500; i++) {
		(void)snprintf(alias, sizeof(alias), "%.40s-%zu", big + 15, i % 500);
		s_add_failure(&r, alias, i % 3 ? "eu-west-2" : "us-east-1", i % 2 ? big : "Timeout",
			      big);
	}
	js = render_result(&r, NULL, NULL);
	s_budget(js);
	free(js);
	js = render_result(&r, &o, NULL);
	s_budget(js);
	assert_non_null(strstr(js, "si_show_all"));
	free(js);
	js = render_pages(&r, &o, &n, NULL);
	assert_int_equal(s_check_pages(js), n);
	assert_int_equal(n, RENDER_PAGES_MAX);
	free(js);
	js = render_fallback(&r, &o, NULL);
	s_budget(js);
	free(js);
	/* Three such cards, each with 200 relations and 20 fields of 200
	 * characters: cards still, within the budget. */
	n = r.n_matches;
	r.n_matches = 3;
	js = render_result(&r, &o, NULL);
	s_budget(js);
	free(js);
	r.n_matches = n;
	search_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_result),
		cmocka_unit_test(test_golden_nothing_found),
		cmocka_unit_test(test_golden_help),
		cmocka_unit_test(test_golden_pending_error_ack),
		cmocka_unit_test(test_singular_and_plural),
		cmocka_unit_test(test_200_matches_compact_list),
		cmocka_unit_test(test_exactly_fitting_has_no_more_line),
		cmocka_unit_test(test_chain_keeps_cards),
		cmocka_unit_test(test_owner_not_repeated),
		cmocka_unit_test(test_max_blocks_option_with_failures),
		cmocka_unit_test(test_huge_tag_value_stays_within_limits),
		cmocka_unit_test(test_cut_never_splits_entity),
		cmocka_unit_test(test_astral_characters_counted_conservatively),
		cmocka_unit_test(test_injection_escaped_everywhere),
		cmocka_unit_test(test_aws_text_cannot_format_link_or_reorder),
		cmocka_unit_test(test_hostile_name_in_headline_and_table),
		cmocka_unit_test(test_invalid_utf8_and_controls_replaced),
		cmocka_unit_test(test_unsafe_ids_are_not_linked),
		cmocka_unit_test(test_state_emoji),
		cmocka_unit_test(test_eni_owner_labels),
		cmocka_unit_test(test_golden_1000_targets_3_failed),
		cmocka_unit_test(test_600_failures_bounded_per_code),
		cmocka_unit_test(test_whole_accounts_shown_once),
		cmocka_unit_test(test_all_regions_needs_one_code),
		cmocka_unit_test(test_many_codes_bounded),
		cmocka_unit_test(test_failure_summary_hostile_names_fit),
		cmocka_unit_test(test_300_matches_counted_by_account),
		cmocka_unit_test(test_one_account_counted_by_region),
		cmocka_unit_test(test_counts_bounded_and_thousands),
		cmocka_unit_test(test_min_blocks_with_counts),
		cmocka_unit_test(test_render_text_table),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_golden_security_group),
		cmocka_unit_test(test_golden_load_balancer),
		cmocka_unit_test(test_golden_rds_cluster),
		cmocka_unit_test(test_golden_route53_chain),
		cmocka_unit_test(test_golden_compact_30),
		cmocka_unit_test(test_hostile_resources_escaped_and_bounded),
		cmocka_unit_test(test_console_links_only_when_safe),
		cmocka_unit_test(test_relations_grouped_and_bounded),
		cmocka_unit_test(test_card_lists_bounded),
		cmocka_unit_test(test_every_registry_type_renders),
		cmocka_unit_test(test_line_falls_back_to_state),
		cmocka_unit_test(test_lines_for_every_kind),
		cmocka_unit_test(test_many_lines_packed_within_limits),
		cmocka_unit_test(test_dns_note),
		cmocka_unit_test(test_query_note),
		cmocka_unit_test(test_render_text_resources),
		cmocka_unit_test(test_golden_history),
		cmocka_unit_test(test_golden_at),
		cmocka_unit_test(test_inventory_ages),
		cmocka_unit_test(test_history_bounded_and_escaped),
		cmocka_unit_test(test_golden_instance_card),
		cmocka_unit_test(test_golden_cards_3),
		cmocka_unit_test(test_classic_lb_link),
		cmocka_unit_test(test_golden_list_40),
		cmocka_unit_test(test_golden_list_600),
		cmocka_unit_test(test_golden_ephemeral_buttons),
		cmocka_unit_test(test_golden_pages_600),
		cmocka_unit_test(test_pages_capped),
		cmocka_unit_test(test_golden_more_pages),
		cmocka_unit_test(test_golden_fallback),
		cmocka_unit_test(test_golden_sso_links),
		cmocka_unit_test(test_render_measure),
		cmocka_unit_test(test_huge_hostile_input_fits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
