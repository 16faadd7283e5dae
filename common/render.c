#include "render.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "search/registry.h"
#include "util/buf.h"
#include "util/strutil.h"
#include "util/utf8.h"

/* A text is built in full, then cut to its Slack limit; 64 KiB is far
 * above any limit, so only hostile input ever hits this cap (and then the
 * text is simply cut shorter). */
#define S_TEXT_BUF_MAX ((size_t)64 * 1024)

/* Per-value caps, in characters, so one huge tag or query cannot crowd the
 * rest of a section out; well under RENDER_MAX_FIELD_TEXT. */
#define S_QUERY_CHARS 200
#define S_VALUE_CHARS 200
#define S_TAG_KEY_CHARS 64
#define S_TAG_VALUE_CHARS 128
#define S_FAIL_CHARS 100

/* The mark of a cut. */
#define S_ELLIPSIS "\xe2\x80\xa6"

/* Separator between counted items, as Slack users know it from menus. */
#define S_DOT " \xc2\xb7 "

/* A size_t in decimal with thousands separators: 20 digits, 6 commas and
 * the NUL fit. */
#define S_NUM_MAX 32

/* With an organisation of hundreds of accounts, a bad role or an outage
 * fails hundreds of targets at once. The reader needs the pattern (which
 * error, which accounts), not every name: at most this many items per
 * error code and this many codes, the rest counted ("… and K more"). The
 * command line prints every failed target on its own line as well. */
#define S_FAIL_PER_CODE 5
#define S_FAIL_CODES 6

/* Accounts (or regions) named in the "where are the matches" section;
 * ten fit on one line or two and cover the accounts worth narrowing to. */
#define S_COUNT_ITEMS 10

/* Cells of the plain-text table (and values in its failure line) are cut
 * at this many bytes so one odd value keeps the output readable. */
#define S_CELL_MAX 48

/* The context line for addresses found by resolving a host name that no
 * hosted zone of the searched accounts holds; the note itself (search/
 * types.h) is cut at S_NOTE_CHARS, room for a name and a dozen
 * addresses. */
#define S_DNS_NOTE "Not in any hosted zone; resolved with DNS: "
#define S_NOTE_CHARS 1000

/* Fewest blocks that can say anything: summary, context (DNS note,
 * failures), one match and the "more" line. */
#define S_MIN_BLOCKS 4

#define S_REPLACEMENT "\xef\xbf\xbd"

/* Sticky error: builders record the first failure and keep going, and the
 * top level checks once. */
struct s_ctx {
	int failed;
	struct si_err *err;
	time_t now;             /* the result's index_now: ages count from it */
};

static void s_fail(struct s_ctx *c, enum si_err_code code, const char *what)
{
	if (!c->failed)
		si_err_set(c->err, code, "render: %s", what);
	c->failed = 1;
}

/* ---- text: sanitising, escaping and cutting -------------------------- */


/* Slack-length of one code point: UTF-16 units, an upper bound on
 * "characters" however Slack counts them. */
static size_t s_units(unsigned int cp)
{
	return cp >= 0x10000 ? 2 : 1;
}

static void s_put(struct s_ctx *c, struct si_buf *b, const char *s, size_t n)
{
	if (c->failed)
		return;
	if (si_buf_append(b, s, n, NULL) != 0 && b->len + n <= b->max)
		s_fail(c, SI_ERR_NOMEM, "out of memory");
	/* Past S_TEXT_BUF_MAX the append is dropped: s_fit cuts anyway. */
}

static void s_puts(struct s_ctx *c, struct si_buf *b, const char *s)
{
	s_put(c, b, s, strlen(s));
}

__attribute__((format(printf, 3, 4)))
static void s_printf(struct s_ctx *c, struct si_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		s_fail(c, SI_ERR_INTERNAL, "formatted text too long");
		return;
	}
	s_put(c, b, tmp, (size_t)n);
}

/* An ASCII letter or digit: Slack's mrkdwn only opens or closes *bold*,
 * _italic_ and ~strike~ at a word boundary, so a marker with one of these
 * on both sides ("prod_web_1", "2*3") formats nothing and is kept. */
static int s_word(unsigned int cp)
{
	return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
}

/* The first code point of src[i..n) that s_esc would show (invisible
 * format characters are skipped), or 0 at the end. */
static unsigned int s_next_shown(const unsigned char *src, size_t i, size_t n)
{
	unsigned int cp = 0;
	size_t k;

	while (i < n) {
		k = utf8_seq(src + i, n - i, &cp);
		if (k == 0)
			return 0xfffd;
		if (!utf8_is_invisible(cp))
			return cp;
		i += k;
	}
	return 0;
}

/*
 * What s_esc writes for a mrkdwn-significant code point, or NULL to copy
 * it. & < > are the escapes Slack documents. Slack documents none for the
 * formatting markers (a backslash shows up literally and still formats),
 * so a marker that could format is replaced by its look-alike, which
 * Slack's parser cannot take for markup whatever its rules: * -> U+2217,
 * _ -> U+02CD, ~ -> U+223C, and ` -> U+02CB always (`code` and ```pre```
 * open anywhere). A '>' that starts the value is U+FF1E: a value can
 * start a line ("*Label*\nvalue") and "&gt;" there is a block quote.
 * Markers inside a word are kept, so ordinary names copy back unchanged.
 */
static const char *s_mrkdwn_subst(unsigned int cp, int first, int prev_word, int next_word)
{
	int inside = prev_word && next_word;

	switch (cp) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return first ? "\xef\xbc\x9e" : "&gt;";
	case '`':
		return "\xcb\x8b";
	case '*':
		return inside ? NULL : "\xe2\x88\x97";
	case '_':
		return inside ? NULL : "\xcb\x8d";
	case '~':
		return inside ? NULL : "\xe2\x88\xbc";
	}
	return NULL;
}

/*
 * Append untrusted src (may be NULL) to b so that Slack shows it as text,
 * never as markup: bad UTF-8 -> U+FFFD; control characters and the line
 * and paragraph separators -> space; bidi controls and other invisible
 * format characters (utf8_is_invisible) dropped, so nothing can reorder or
 * hide what follows; & < > escaped and formatting markers defused
 * (s_mrkdwn_subst); at most max_chars characters of source text (an
 * ellipsis replaces the rest). Bare URLs and #channel or @here text stay
 * unlinked because every mrkdwn object is verbatim (s_mrkdwn).
 */
static void s_esc(struct s_ctx *c, struct si_buf *b, const char *src, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t n, i = 0, k, used = 0;
	unsigned int cp = 0, prev = 0;
	const char *sub;

	if (src == NULL)
		return;
	n = strlen(src);
	while (i < n) {
		if (used + 1 > max_chars) {
			s_puts(c, b, S_ELLIPSIS);
			return;
		}
		k = utf8_seq(p + i, n - i, &cp);
		if (k == 0) {
			s_puts(c, b, S_REPLACEMENT);
			prev = 0xfffd;
			i++;
			used++;
			continue;
		}
		i += k;
		if (utf8_is_invisible(cp))
			continue;
		sub = s_mrkdwn_subst(cp, prev == 0, s_word(prev), s_word(s_next_shown(p, i, n)));
		if (sub != NULL)
			s_puts(c, b, sub);
		else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
			 cp == 0x2028 || cp == 0x2029)
			s_puts(c, b, " ");
		else
			s_put(c, b, src + i - k, k);
		used += s_units(cp);
		prev = cp;
	}
}

/*
 * Cut the (already escaped, valid UTF-8) text in b to at most max Slack
 * characters, ending with an ellipsis when cut. The cut never splits a
 * UTF-8 sequence, an entity (&amp;) or our own markup (<url|label>): every
 * raw '&' and '<' in the text is ours, because s_esc escaped the others.
 */
static void s_fit(struct s_ctx *c, struct si_buf *b, size_t max)
{
	const unsigned char *p = (const unsigned char *)b->data;
	size_t n = b->len, i = 0, units = 0, k, cut = 0, safe = 0;
	unsigned int cp = 0;
	int in_link = 0, in_ent = 0, cutting = 0;

	while (i < n) {
		k = utf8_seq(p + i, n - i, &cp);
		if (k == 0) {
			k = 1;  /* cannot happen after s_esc; count it anyway */
			cp = 0xfffd;
		}
		if (!in_link && !in_ent)
			safe = i;
		if (!cutting && units + s_units(cp) > max - 1) {
			cutting = 1;
			cut = safe;
		}
		units += s_units(cp);
		if (cp == '<')
			in_link = 1;
		else if (cp == '>')
			in_link = 0;
		else if (cp == '&')
			in_ent = 1;
		else if (cp == ';')
			in_ent = 0;
		i += k;
	}
	if (units <= max || !cutting)
		return;
	while (cut > 0 && (b->data[cut - 1] == ' ' || b->data[cut - 1] == '\n'))
		cut--;
	b->len = cut;
	b->data[cut] = '\0';
	/* Shorter than what was cut, so it fits under b->max. */
	s_puts(c, b, S_ELLIPSIS);
}

/* Slack length of n bytes of (escaped, valid UTF-8) text, counted as
 * s_fit counts it. */
static size_t s_text_units(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, units = 0, k;
	unsigned int cp = 0;

	while (i < n) {
		k = utf8_seq(p + i, n - i, &cp);
		if (k == 0) {
			k = 1;
			cp = 0xfffd;
		}
		units += s_units(cp);
		i += k;
	}
	return units;
}

/* A value is safe inside a console URL if it is [A-Za-z0-9-] only; AWS
 * IDs and regions always are, so anything else is not linked at all. */
static int s_url_safe(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* ---- json-c helpers --------------------------------------------------- */

static json_object *s_jstr(struct s_ctx *c, const char *s)
{
	json_object *o;

	if (c->failed)
		return NULL;
	o = json_object_new_string(s);
	if (o == NULL)
		s_fail(c, SI_ERR_NOMEM, "out of memory");
	return o;
}

static json_object *s_jobj(struct s_ctx *c)
{
	json_object *o = c->failed ? NULL : json_object_new_object();

	if (o == NULL)
		s_fail(c, SI_ERR_NOMEM, "out of memory");
	return o;
}

static json_object *s_jarr(struct s_ctx *c)
{
	json_object *o = c->failed ? NULL : json_object_new_array();

	if (o == NULL)
		s_fail(c, SI_ERR_NOMEM, "out of memory");
	return o;
}

/* Takes ownership of val in every case. */
static void s_set(struct s_ctx *c, json_object *obj, const char *key, json_object *val)
{
	if (obj == NULL || val == NULL || json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		s_fail(c, SI_ERR_NOMEM, "out of memory");
	}
}

static void s_push(struct s_ctx *c, json_object *arr, json_object *val)
{
	if (arr == NULL || val == NULL || json_object_array_add(arr, val) != 0) {
		json_object_put(val);
		s_fail(c, SI_ERR_NOMEM, "out of memory");
	}
}

/* {"type":"mrkdwn","text":...,"verbatim":true}, the buffer's text cut to
 * max. Why verbatim: without it Slack turns bare URLs and host names into
 * links and parses #channel and @here itself ("automatic parsing"); with
 * it, Slack's text object reference says it "won't modify any plain-text
 * content" while still honouring our own <url|label> links and *bold*.
 * So a tag value "https://evil.example" stays text. */
static json_object *s_mrkdwn(struct s_ctx *c, struct si_buf *b, size_t max)
{
	json_object *o = s_jobj(c), *t = NULL;

	if (b->data != NULL)
		s_fit(c, b, max);
	s_set(c, o, "type", s_jstr(c, "mrkdwn"));
	s_set(c, o, "text", s_jstr(c, b->data != NULL ? b->data : ""));
	if (!c->failed) {
		t = json_object_new_boolean(1);
		if (t == NULL)
			s_fail(c, SI_ERR_NOMEM, "out of memory");
	}
	s_set(c, o, "verbatim", t);
	return o;
}

static json_object *s_section(struct s_ctx *c, struct si_buf *text)
{
	json_object *o = s_jobj(c);

	s_set(c, o, "type", s_jstr(c, "section"));
	s_set(c, o, "text", s_mrkdwn(c, text, RENDER_MAX_SECTION_TEXT));
	return o;
}

/* Append a "*Label*\nvalue" field unless value is NULL/empty or the
 * fields are full. value is untrusted and escaped. */
static void s_field(struct s_ctx *c, json_object *fields, const char *label,
		    const char *value)
{
	struct si_buf b;

	if (value == NULL || value[0] == '\0' || c->failed ||
	    json_object_array_length(fields) >= RENDER_MAX_FIELDS)
		return;
	si_buf_init(&b, S_TEXT_BUF_MAX);
	s_printf(c, &b, "*%s*\n", label);
	s_esc(c, &b, value, S_VALUE_CHARS);
	s_push(c, fields, s_mrkdwn(c, &b, RENDER_MAX_FIELD_TEXT));
	si_buf_free(&b, 0);
}

/* Attach the fields array to a block, or drop it when it stayed empty
 * (Block Kit rejects "fields": []). */
static void s_set_fields(struct s_ctx *c, json_object *o, json_object *fields)
{
	if (fields != NULL && json_object_array_length(fields) > 0)
		s_set(c, o, "fields", fields);
	else
		json_object_put(fields);
}

/* Field whose value is our own (already escaped) text in b. */
static void s_field_buf(struct s_ctx *c, json_object *fields, const char *label,
			struct si_buf *val)
{
	struct si_buf b;

	if (val->len == 0 || c->failed ||
	    json_object_array_length(fields) >= RENDER_MAX_FIELDS)
		return;
	si_buf_init(&b, S_TEXT_BUF_MAX);
	s_printf(c, &b, "*%s*\n", label);
	s_put(c, &b, val->data, val->len);
	s_push(c, fields, s_mrkdwn(c, &b, RENDER_MAX_FIELD_TEXT));
	si_buf_free(&b, 0);
}

static char *s_finish(struct s_ctx *c, json_object *root)
{
	const char *js;
	char *out = NULL;

	if (!c->failed) {
		js = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE);
		out = js != NULL ? strdup(js) : NULL;
		if (out == NULL)
			s_fail(c, SI_ERR_NOMEM, "out of memory serialising JSON");
	}
	json_object_put(root);
	return out;
}

static const char *s_response_type(const struct render_opts *o)
{
	return (o != NULL && o->response_type == RENDER_EPHEMERAL) ?
	       "ephemeral" : "in_channel";
}

static const char *s_plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* n in decimal, with a comma every three digits from 1,000 on; returns
 * out. */
static const char *s_num(size_t n, char out[S_NUM_MAX])
{
	char digits[S_NUM_MAX];
	int len = snprintf(digits, sizeof(digits), "%zu", n);
	size_t i, o = 0;

	if (len <= 0 || (size_t)len >= sizeof(digits)) {
		out[0] = '\0';  /* cannot happen: a size_t has at most 20 digits */
		return out;
	}
	for (i = 0; i < (size_t)len; i++) {
		if (i > 0 && ((size_t)len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	return out;
}

/* ---- instances -------------------------------------------------------- */

struct s_state_emoji {
	const char *state;
	const char *emoji;
};

/* EC2 instance states (InstanceState.Name). */
static const struct s_state_emoji s_states[] = {
	{ "running", ":large_green_circle:" },
	{ "pending", ":large_yellow_circle:" },
	{ "stopping", ":large_yellow_circle:" },
	{ "shutting-down", ":large_orange_circle:" },
	{ "stopped", ":red_circle:" },
	{ "terminated", ":black_circle:" },
};

static const char *s_state_emoji(const char *state)
{
	size_t i;

	for (i = 0; state != NULL && i < sizeof(s_states) / sizeof(s_states[0]); i++)
		if (strcmp(state, s_states[i].state) == 0)
			return s_states[i].emoji;
	return ":white_circle:";
}

/* Tags shown as their own fields (as the Go original did) or in the
 * title, and so left out of the compact tag list. */
static int s_tag_has_field(const char *key)
{
	return key != NULL && (strcmp(key, "Name") == 0 ||
			       strcmp(key, "Environment") == 0 ||
			       strcmp(key, "Role") == 0);
}

static void s_account(struct s_ctx *c, struct si_buf *b, const struct search_match *m,
		      const char *fallback_id)
{
	const char *id = m->account_id != NULL ? m->account_id : fallback_id;

	s_esc(c, b, m->account_alias, S_VALUE_CHARS);
	if (id == NULL)
		return;
	s_puts(c, b, m->account_alias != NULL ? " (" : "(");
	s_esc(c, b, id, S_VALUE_CHARS);
	s_puts(c, b, ")");
}

static void s_region(struct s_ctx *c, struct si_buf *b, const char *region,
		     const char *az)
{
	s_esc(c, b, region, S_VALUE_CHARS);
	if (az == NULL)
		return;
	s_puts(c, b, region != NULL ? " (" : "(");
	s_esc(c, b, az, S_VALUE_CHARS);
	s_puts(c, b, ")");
}

/* The headline of an instance block: its Name (or id) linked to the EC2
 * console, the id, and links to Config and Session Manager. Links are only
 * made when region and id are URL-safe, because they go into Slack's
 * <url|text> syntax unescaped. */
static void s_instance_text(struct s_ctx *c, struct si_buf *t, const struct search_match *m)
{
	const struct ec2_instance *in = &m->instance;
	const char *name = ec2_tag_get(in->tags, in->n_tags, "Name");
	int link = s_url_safe(m->region) && s_url_safe(in->instance_id);
	size_t i, shown = 0;

	s_puts(c, t, "*");
	if (link)
		s_printf(c, t, "<https://%s.console.aws.amazon.com/ec2/home?region=%s"
			 "#InstanceDetails:instanceId=%s|", m->region, m->region,
			 in->instance_id);
	s_esc(c, t, name != NULL && name[0] != '\0' ? name : in->instance_id,
	      S_VALUE_CHARS);
	s_puts(c, t, link ? ">*" : "*");
	if (name != NULL && name[0] != '\0' && in->instance_id != NULL) {
		s_puts(c, t, " ");
		s_esc(c, t, in->instance_id, S_VALUE_CHARS);
	}
	if (link)
		s_printf(c, t, "\n<https://%s.console.aws.amazon.com/config/home?region=%s"
			 "#/timeline/AWS::EC2::Instance/%s/configuration|Config timeline>"
			 " \xc2\xb7 <https://%s.console.aws.amazon.com/systems-manager/"
			 "session-manager/%s?region=%s|Session Manager>", m->region,
			 m->region, in->instance_id, m->region, in->instance_id, m->region);
	for (i = 0; i < in->n_tags; i++) {
		if (s_tag_has_field(in->tags[i].key))
			continue;
		s_puts(c, t, shown++ == 0 ? "\n*Tags:* " : ", ");
		s_esc(c, t, in->tags[i].key, S_TAG_KEY_CHARS);
		s_puts(c, t, "=");
		s_esc(c, t, in->tags[i].value, S_TAG_VALUE_CHARS);
	}
}

/* One Block Kit section for a matched instance: headline text plus up to
 * RENDER_MAX_FIELDS fields. Assumes c->failed short-circuits every helper,
 * so a failed allocation ends in one error, not a half-built block. */
static json_object *s_instance_block(struct s_ctx *c, const struct search_match *m)
{
	const struct ec2_instance *in = &m->instance;
	json_object *o = s_jobj(c), *fields = s_jarr(c);
	struct si_buf t, v;

	si_buf_init(&t, S_TEXT_BUF_MAX);
	si_buf_init(&v, S_TEXT_BUF_MAX);
	s_instance_text(c, &t, m);
	s_set(c, o, "type", s_jstr(c, "section"));
	s_set(c, o, "text", s_mrkdwn(c, &t, RENDER_MAX_SECTION_TEXT));
	if (in->state != NULL) {
		s_printf(c, &v, "%s ", s_state_emoji(in->state));
		s_esc(c, &v, in->state, S_VALUE_CHARS);
		s_field_buf(c, fields, "State", &v);
	}
	s_field(c, fields, "Type", in->instance_type);
	si_buf_reset(&v);
	s_account(c, &v, m, in->owner_id);
	s_field_buf(c, fields, "Account", &v);
	si_buf_reset(&v);
	s_region(c, &v, m->region, in->az);
	s_field_buf(c, fields, "Region", &v);
	s_field(c, fields, "Private IP", in->private_ip);
	s_field(c, fields, "Public IP", in->public_ip);
	if (in->n_ipv6 > 0)
		s_field(c, fields, "IPv6", in->ipv6[0]);
	s_field(c, fields, "Launched", in->launch_time);
	s_field(c, fields, "Environment", ec2_tag_get(in->tags, in->n_tags, "Environment"));
	s_field(c, fields, "Role", ec2_tag_get(in->tags, in->n_tags, "Role"));
	s_set_fields(c, o, fields);
	si_buf_free(&t, 0);
	si_buf_free(&v, 0);
	return o;
}

/* ---- network interfaces ----------------------------------------------- */

/*
 * How to name an interface's owner. Fields left NULL match anything; the
 * first rule that matches wins. With strip set, the description after
 * that many bytes is appended ("ELB app/web/50dc..." -> "app/web/50dc...").
 */
struct s_owner_rule {
	const char *interface_type;
	const char *desc_prefix;
	const char *requester_id;
	const char *label;
	size_t strip;
};

static const struct s_owner_rule s_owner_rules[] = {
	{ "nat_gateway", NULL, NULL, "NAT gateway", 0 },
	{ NULL, "Interface for NAT Gateway", NULL, "NAT gateway", 0 },
	{ NULL, "ELB app/", NULL, "Application load balancer", 4 },
	{ NULL, "ELB net/", NULL, "Network load balancer", 4 },
	{ NULL, "ELB gwy/", NULL, "Gateway load balancer", 4 },
	{ NULL, "ELB ", NULL, "Classic load balancer", 4 },
	{ "network_load_balancer", NULL, NULL, "Network load balancer", 0 },
	{ "gateway_load_balancer", NULL, NULL, "Gateway load balancer", 0 },
	{ "gateway_load_balancer_endpoint", NULL, NULL, "Gateway load balancer endpoint", 0 },
	{ "lambda", NULL, NULL, "Lambda function", 0 },
	{ NULL, "AWS Lambda VPC ENI", NULL, "Lambda function", 0 },
	{ "vpc_endpoint", NULL, NULL, "VPC endpoint", 0 },
	{ NULL, "VPC Endpoint Interface", NULL, "VPC endpoint", 0 },
	{ "efs", NULL, NULL, "EFS mount target", 0 },
	{ NULL, "EFS mount target", NULL, "EFS mount target", 0 },
	{ "transit_gateway", NULL, NULL, "Transit gateway attachment", 0 },
	{ "api_gateway_managed", NULL, NULL, "API Gateway", 0 },
	{ "global_accelerator_managed", NULL, NULL, "Global Accelerator", 0 },
	{ "quicksight", NULL, NULL, "QuickSight", 0 },
	{ "trunk", NULL, NULL, "ECS trunk interface", 0 },
	{ "branch", NULL, NULL, "ECS task (branch interface)", 0 },
	{ NULL, "arn:aws:ecs:", NULL, "ECS task", 0 },
	{ NULL, "RDSNetworkInterface", NULL, "RDS database", 0 },
	{ NULL, NULL, "amazon-rds", "RDS database", 0 },
	{ NULL, "ElastiCache", NULL, "ElastiCache cluster", 0 },
	{ NULL, NULL, "amazon-elasticache", "ElastiCache cluster", 0 },
	{ NULL, "AWS created network interface for directory", NULL, "Directory Service", 0 },
	{ NULL, NULL, "amazon-elb", "Load balancer", 0 },
};

static int s_rule_matches(const struct s_owner_rule *r, const struct ec2_eni *e)
{
	if (r->interface_type != NULL &&
	    (e->interface_type == NULL || strcmp(r->interface_type, e->interface_type) != 0))
		return 0;
	if (r->desc_prefix != NULL &&
	    (e->description == NULL ||
	     !si_str_has_prefix(e->description, r->desc_prefix)))
		return 0;
	if (r->requester_id != NULL &&
	    (e->requester_id == NULL || strcmp(r->requester_id, e->requester_id) != 0))
		return 0;
	return 1;
}

const char *render_eni_owner(const struct ec2_eni *e, char *buf, size_t len)
{
	size_t i;
	int n = -1;

	if (buf == NULL || len == 0)
		return "";
	buf[0] = '\0';
	if (e == NULL)
		return buf;
	for (i = 0; i < sizeof(s_owner_rules) / sizeof(s_owner_rules[0]); i++) {
		const struct s_owner_rule *r = &s_owner_rules[i];

		if (!s_rule_matches(r, e))
			continue;
		if (r->strip > 0 && e->description[r->strip] != '\0')
			n = snprintf(buf, len, "%s %s", r->label, e->description + r->strip);
		else
			n = snprintf(buf, len, "%s", r->label);
		break;
	}
	if (n < 0 && e->attached_instance_id != NULL)
		n = snprintf(buf, len, "Instance %s", e->attached_instance_id);
	if (n < 0 && e->requester_managed && e->requester_id != NULL)
		n = snprintf(buf, len, "AWS service (%s)", e->requester_id);
	if (n < 0)
		n = snprintf(buf, len, "%s", e->status != NULL &&
			     strcmp(e->status, "available") == 0 ?
			     "Unattached interface" : "Network interface");
	(void)n;  /* truncation of a label is acceptable */
	return buf;
}

/* Comma-separated private (which = 0) or public (1) addresses. */
static void s_eni_ips(struct s_ctx *c, struct si_buf *b, const struct ec2_eni *e, int which)
{
	size_t i, shown = 0;

	for (i = 0; i < e->n_ips; i++) {
		const char *ip = which ? e->ips[i].public_ip : e->ips[i].private_ip;

		if (ip == NULL)
			continue;
		s_puts(c, b, shown++ ? ", " : "");
		s_esc(c, b, ip, S_VALUE_CHARS);
	}
	for (i = 0; which == 0 && i < e->n_ipv6; i++) {
		s_puts(c, b, shown++ ? ", " : "");
		s_esc(c, b, e->ipv6[i], S_VALUE_CHARS);
	}
}

/* One Block Kit section for a matched network interface: who owns it
 * (render_eni_owner's guess from type, description and requester), its
 * addresses and where it lives. Same failure rule as s_instance_block. */
static json_object *s_eni_block(struct s_ctx *c, const struct search_match *m)
{
	const struct ec2_eni *e = &m->eni;
	json_object *o = s_jobj(c), *fields = s_jarr(c);
	struct si_buf t, v;
	char owner[256];
	int link = s_url_safe(m->region) && s_url_safe(e->eni_id);

	si_buf_init(&t, S_TEXT_BUF_MAX);
	si_buf_init(&v, S_TEXT_BUF_MAX);
	render_eni_owner(e, owner, sizeof(owner));
	s_puts(c, &t, "*");
	if (link)
		s_printf(c, &t, "<https://%s.console.aws.amazon.com/ec2/home?region=%s"
			 "#NetworkInterface:networkInterfaceId=%s|", m->region, m->region,
			 e->eni_id);
	s_esc(c, &t, e->eni_id != NULL ? e->eni_id : "interface", S_VALUE_CHARS);
	s_puts(c, &t, link ? ">* " : "* ");
	s_esc(c, &t, owner, S_VALUE_CHARS);
	s_set(c, o, "type", s_jstr(c, "section"));
	s_set(c, o, "text", s_mrkdwn(c, &t, RENDER_MAX_SECTION_TEXT));

	s_field(c, fields, "Owner", owner);
	s_field(c, fields, "Type", e->interface_type);
	s_field(c, fields, "Status", e->status);
	s_account(c, &v, m, e->owner_id);
	s_field_buf(c, fields, "Account", &v);
	si_buf_reset(&v);
	s_region(c, &v, m->region, e->az);
	s_field_buf(c, fields, "Region", &v);
	si_buf_reset(&v);
	s_eni_ips(c, &v, e, 0);
	s_field_buf(c, fields, "Private IP", &v);
	si_buf_reset(&v);
	s_eni_ips(c, &v, e, 1);
	s_field_buf(c, fields, "Public IP", &v);
	si_buf_reset(&v);
	if (e->vpc_id != NULL || e->subnet_id != NULL) {
		s_esc(c, &v, e->vpc_id != NULL ? e->vpc_id : "-", S_VALUE_CHARS);
		s_puts(c, &v, " / ");
		s_esc(c, &v, e->subnet_id != NULL ? e->subnet_id : "-", S_VALUE_CHARS);
		s_field_buf(c, fields, "VPC / Subnet", &v);
	}
	s_field(c, fields, "Description", e->description);
	s_field(c, fields, "Attached to", e->attached_instance_id);
	s_set_fields(c, o, fields);
	si_buf_free(&t, 0);
	si_buf_free(&v, 0);
	return o;
}

/* ---- any other registered type (search/resource.h) ---------------------- */

/* Per-value caps for resource cards, in characters of source text, so one
 * hostile value cannot crowd the rest of a card out. A DNS chain holds up
 * to RT_MAX_HOPS names of up to 253 characters; a field value (a rule
 * list, a listener list) is longer than a tag but still well under
 * RENDER_MAX_FIELD_TEXT. */
#define S_LABEL_CHARS 64
#define S_HOP_CHARS 1400
#define S_FIELD_VALUE_CHARS 500
#define S_REL_ID_CHARS 128
#define S_REL_NAME_CHARS 64
#define S_REL_DETAIL_CHARS 100
#define S_SUMMARY_CHARS 160

/* What a card lists before counting the rest ("… and 990 more"): ten
 * targets of a kind read at a glance, six kinds cover every type we know,
 * and a few names and addresses identify a resource; the inventory holds
 * them all. */
#define S_REL_PER_KIND 10
#define S_REL_KINDS 6
#define S_RES_TAGS 10
#define S_RES_DNS 3
#define S_RES_ADDRS 5

/* A type's console URL (registry.h shapes) is far shorter; one that fills
 * this buffer may have been cut by the type's snprintf, so it is not
 * linked. */
#define S_URL_MAX 1024
#define S_SUMMARY_MAX 512

/* Kinds of relation written in capitals in a card ("2 CNAMEs:"). */
/* ---- facts from the inventory: dates and ages -------------------------- */

/* "1 Dec 2026 12:03 UTC": room for any year the inventory writes. */
#define S_DATE_MAX 48

static const char *const s_months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* t in UTC: "2026-12-01 12:03 UTC" for the terminal (plain), "1 Dec 2026
 * 12:03 UTC" as the fallback of a Slack date. */
static void s_date_text(time_t t, int plain, char *out, size_t n)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, n, "?");
		return;
	}
	if (plain)
		snprintf(out, n, "%04d-%02d-%02d %02d:%02d UTC", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
	else
		snprintf(out, n, "%d %s %04d %02d:%02d UTC", tm.tm_mday,
			 s_months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
}

/* A moment for the reader. In Slack a date token, which every reader sees
 * in their own zone and language (api.slack.com/reference/surfaces/
 * formatting#date-formatting: <!date^EPOCH^{date_short_pretty} {time}|
 * fallback>); on the terminal plain UTC. A time the crawler observed
 * rather than one AWS gave (exact 0) is marked "~": the event happened
 * within a refresh of it. */
static void s_date(struct s_ctx *c, struct si_buf *b, time_t t, int exact, int plain)
{
	char text[S_DATE_MAX];

	if (!exact)
		s_puts(c, b, "~");
	s_date_text(t, plain, text, sizeof(text));
	if (plain)
		s_puts(c, b, text);
	else
		s_printf(c, b, "<!date^%lld^{date_short_pretty} {time}|%s>", (long long)t, text);
}

/* How long before c->now t was: "just now", "4 min ago", "3 h ago",
 * "12 days ago". */
static void s_age(struct s_ctx *c, struct si_buf *b, time_t t)
{
	long long d = (long long)c->now - (long long)t;

	if (d < 60)
		s_puts(c, b, "just now");
	else if (d < 3600)
		s_printf(c, b, "%lld min ago", d / 60);
	else if (d < 48 * 3600)
		s_printf(c, b, "%lld h ago", d / 3600);
	else
		s_printf(c, b, "%lld days ago", d / 86400);
}

/* Why a match from the inventory alone is shown and how old its facts
 * are: "terminated 1 Dec 11:58, gone since ~1 Dec 13:00 · last seen 2 h
 * ago", "AWS did not answer for its account and region · seen 4 min
 * ago", "not asked of AWS · seen 4 min ago". Nothing for a match AWS
 * gave. */
static void s_source_text(struct s_ctx *c, struct si_buf *b, const struct search_match *m,
			  int plain)
{
	switch (m->source) {
	case SEARCH_SOURCE_AWS:
		return;
	case SEARCH_SOURCE_GONE:
		if (m->ended_at != 0) {
			s_puts(c, b, "terminated ");
			s_date(c, b, m->ended_at, 1, plain);
			s_puts(c, b, ", ");
		}
		s_puts(c, b, "gone from AWS since ");
		s_date(c, b, m->gone_at, 0, plain);
		s_puts(c, b, S_DOT "last seen ");
		break;
	case SEARCH_SOURCE_UNCONFIRMED:
		s_puts(c, b, "AWS did not answer for its account and region" S_DOT "seen ");
		break;
	case SEARCH_SOURCE_MISSING:
		s_puts(c, b, "AWS no longer lists it" S_DOT "last seen ");
		break;
	case SEARCH_SOURCE_INDEX:
		s_puts(c, b, "not asked of AWS" S_DOT "seen ");
		break;
	}
	s_age(c, b, m->seen_at);
}

static const char *const s_acronyms[] = { "vpc", "cname", "ami", "eni" };

/* 1 when url can go into Slack's <url|label> unchanged (but for '&',
 * written as &amp;): https, printable ASCII, none of the characters that
 * end or split the link (< > | space) or that Slack or a browser could take
 * differently (" ` \ ^ { }). */
static int s_link_safe(const char *url)
{
	const unsigned char *p;

	if (!SI_HAS_PREFIX(url, "https://") || url[SI_LITLEN("https://")] == '\0')
		return 0;
	for (p = (const unsigned char *)url; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("<>|\"`\\^{}", *p) != NULL)
			return 0;
	return 1;
}

/* The console URL of m's resource into url (n bytes), or "" when its type
 * gives none or the one given is not safe to link. The type's callback is
 * trusted to stay within n but not to produce something linkable. */
static const char *s_res_url(const struct search_match *m, char *url, size_t n)
{
	const struct rt_type *t = m->res.type;

	url[0] = '\0';
	if (t == NULL || t->console_url == NULL)
		return url;
	t->console_url(&m->res, m->region != NULL ? m->region : "", url, n);
	url[n - 1] = '\0';
	if (strlen(url) >= n - 1 || !s_link_safe(url))
		url[0] = '\0';
	return url;
}

/* A URL s_link_safe accepted, with '&' as the entity Slack expects. */
static void s_put_url(struct s_ctx *c, struct si_buf *b, const char *url)
{
	const char *amp;

	while ((amp = strchr(url, '&')) != NULL) {
		s_put(c, b, url, (size_t)(amp - url));
		s_puts(c, b, "&amp;");
		url = amp + 1;
	}
	s_puts(c, b, url);
}

static const char *s_res_label(const struct res_resource *r)
{
	return r->type != NULL && r->type->label != NULL ? r->type->label : "Resource";
}

/* What the user would paste: the id, else the ARN. */
static const char *s_res_id(const struct res_resource *r)
{
	return r->id != NULL ? r->id : r->arn;
}

/* "*<url|Label>* `id` name": the label links to the console when the type
 * gives a URL; the name is left out when it only repeats the id (a load
 * balancer's or a function's name is its id). */
static void s_res_title(struct s_ctx *c, struct si_buf *t, const struct search_match *m)
{
	const struct res_resource *r = &m->res;
	const char *id = s_res_id(r);
	char url[S_URL_MAX];

	s_res_url(m, url, sizeof(url));
	s_puts(c, t, "*");
	if (url[0] != '\0') {
		s_puts(c, t, "<");
		s_put_url(c, t, url);
		s_puts(c, t, "|");
	}
	s_esc(c, t, s_res_label(r), S_LABEL_CHARS);
	s_puts(c, t, url[0] != '\0' ? ">*" : "*");
	if (id != NULL) {
		s_puts(c, t, " `");
		s_esc(c, t, id, S_VALUE_CHARS);
		s_puts(c, t, "`");
	}
	if (r->name != NULL && (id == NULL || strcmp(r->name, id) != 0)) {
		s_puts(c, t, " ");
		s_esc(c, t, r->name, S_VALUE_CHARS);
	}
}

static const char *s_rel_kind(const struct res_rel *rel)
{
	return rel->kind != NULL && rel->kind[0] != '\0' ? rel->kind : "related";
}

/* 1 when the kind of r->rels[i] came earlier: its group is written. */
static int s_rel_kind_seen(const struct res_resource *r, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(s_rel_kind(&r->rels[j]), s_rel_kind(&r->rels[i])) == 0)
			return 1;
	return 0;
}

/* word (a one-word kind, room for 3 more bytes) in the plural: "targets",
 * "aliases", "policies". */
static void s_plural_word(char *word)
{
	size_t len = strlen(word);
	char last = len > 0 ? word[len - 1] : '\0';

	if (last == 's' || last == 'x')
		memcpy(word + len, "es", 3);
	else if (last == 'y' && len > 1 && strchr("aeiou", word[len - 2]) == NULL)
		memcpy(word + len - 1, "ies", 4);
	else
		memcpy(word + len, "s", 2);
}

/*
 * The heading of a group of n relations of one kind. A one-word kind is
 * counted ("1 target:", "2 targets:", "3 aliases:", "1 VPC:"); a phrase
 * cannot be pluralised reliably, so it is capitalised and counted in
 * brackets past one ("Attached to (2):"). Kinds come from the type
 * modules, but are escaped like any text.
 */
static void s_rel_heading(struct s_ctx *c, struct si_buf *b, const char *kind, size_t n)
{
	char word[S_LABEL_CHARS + 4], num[S_NUM_MAX];
	size_t len = strlen(kind), i;

	s_puts(c, b, "*");
	if (len > S_LABEL_CHARS) {
		s_esc(c, b, kind, S_LABEL_CHARS);
		s_puts(c, b, ":* ");
		return;
	}
	memcpy(word, kind, len + 1);
	if (strchr(kind, ' ') != NULL) {
		if (word[0] >= 'a' && word[0] <= 'z')
			word[0] = (char)(word[0] - 'a' + 'A');
		s_esc(c, b, word, S_LABEL_CHARS);
		if (n > 1)
			s_printf(c, b, " (%s)", s_num(n, num));
		s_puts(c, b, ":* ");
		return;
	}
	for (i = 0; i < sizeof(s_acronyms) / sizeof(s_acronyms[0]); i++)
		if (strcmp(kind, s_acronyms[i]) == 0)
			for (size_t k = 0; k < len; k++)
				word[k] = (char)(word[k] - 'a' + 'A');
	if (n != 1)
		s_plural_word(word);
	s_printf(c, b, "%s ", s_num(n, num));
	s_esc(c, b, word, sizeof(word));
	s_puts(c, b, ":* ");
}

/* One relation: "i-0abc (web-1) unhealthy (Target.ResponseCodeMismatch)". */
static void s_rel_item(struct s_ctx *c, struct si_buf *b, const struct res_rel *rel)
{
	s_esc(c, b, rel->id != NULL ? rel->id : "?", S_REL_ID_CHARS);
	if (rel->name != NULL && rel->name[0] != '\0') {
		s_puts(c, b, " (");
		s_esc(c, b, rel->name, S_REL_NAME_CHARS);
		s_puts(c, b, ")");
	}
	if (rel->detail != NULL && rel->detail[0] != '\0') {
		s_puts(c, b, " ");
		s_esc(c, b, rel->detail, S_REL_DETAIL_CHARS);
	}
}

/* The group of relations of r->rels[first]'s kind, in the order given:
 * "\n*2 targets:* a · b", at most S_REL_PER_KIND items then counted.
 * Returns the group's size. */
static size_t s_rel_group(struct s_ctx *c, struct si_buf *b, const struct res_resource *r,
			  size_t first)
{
	const char *kind = s_rel_kind(&r->rels[first]);
	size_t i, n = 0, shown = 0;
	char num[S_NUM_MAX];

	for (i = first; i < r->n_rels; i++)
		n += strcmp(s_rel_kind(&r->rels[i]), kind) == 0;
	s_puts(c, b, "\n");
	s_rel_heading(c, b, kind, n);
	for (i = first; i < r->n_rels && shown < S_REL_PER_KIND; i++) {
		if (strcmp(s_rel_kind(&r->rels[i]), kind) != 0)
			continue;
		if (shown++ > 0)
			s_puts(c, b, S_DOT);
		s_rel_item(c, b, &r->rels[i]);
	}
	if (n > shown)
		s_printf(c, b, S_DOT S_ELLIPSIS " and %s more", s_num(n - shown, num));
	return n;
}

/* The relations grouped by kind, kinds in the order they first appear,
 * at most S_REL_KINDS groups, the rest counted. Quadratic in the number
 * of relations, which resource.h caps at RES_MAX_RELS. */
static void s_res_rels(struct s_ctx *c, struct si_buf *b, const struct res_resource *r)
{
	size_t i, kinds = 0, done = 0, other_kinds = 0;
	char n1[S_NUM_MAX], n2[S_NUM_MAX];

	for (i = 0; i < r->n_rels && !c->failed; i++) {
		if (s_rel_kind_seen(r, i))
			continue;
		if (kinds == S_REL_KINDS) {
			other_kinds++;
			continue;
		}
		done += s_rel_group(c, b, r, i);
		kinds++;
	}
	if (other_kinds > 0)
		s_printf(c, b, "\n" S_ELLIPSIS " and %s more of %s other %s",
			 s_num(r->n_rels - done, n1), s_num(other_kinds, n2),
			 s_plural(other_kinds, "kind", "kinds"));
}

/* "\n*Label:* a, b, c, … and N more": the first max of n strings. */
static void s_res_list(struct s_ctx *c, struct si_buf *b, const char *label,
		       char *const *v, size_t n, size_t max)
{
	size_t i;
	char num[S_NUM_MAX];

	if (n == 0)
		return;
	s_printf(c, b, "\n*%s:* ", label);
	for (i = 0; i < n && i < max; i++) {
		s_puts(c, b, i > 0 ? ", " : "");
		s_esc(c, b, v[i], S_VALUE_CHARS);
	}
	if (n > max)
		s_printf(c, b, ", " S_ELLIPSIS " and %s more", s_num(n - max, num));
}

/* "\n*Tags:* k=v, …": the Name tag is the title's already. */
static void s_res_tags(struct s_ctx *c, struct si_buf *b, const struct res_resource *r)
{
	size_t i, shown = 0, skipped = 0;
	char num[S_NUM_MAX];

	for (i = 0; i < r->n_tags; i++) {
		if (r->tags[i].key != NULL && strcmp(r->tags[i].key, "Name") == 0) {
			skipped++;
			continue;
		}
		if (shown == S_RES_TAGS)
			break;
		s_puts(c, b, shown++ == 0 ? "\n*Tags:* " : ", ");
		s_esc(c, b, r->tags[i].key, S_TAG_KEY_CHARS);
		s_puts(c, b, "=");
		s_esc(c, b, r->tags[i].value, S_TAG_VALUE_CHARS);
	}
	for (; i < r->n_tags; i++)
		skipped += r->tags[i].key != NULL && strcmp(r->tags[i].key, "Name") == 0;
	if (r->n_tags > shown + skipped)
		s_printf(c, b, ", " S_ELLIPSIS " and %s more",
			 s_num(r->n_tags - shown - skipped, num));
}

/* A "*Label*\nvalue" field where both come from a type module and AWS:
 * both escaped. Returns 1 when added, 0 when the fields were full. */
static int s_field_esc(struct s_ctx *c, json_object *fields, const char *label,
		       const char *value)
{
	struct si_buf b;

	if (c->failed || json_object_array_length(fields) >= RENDER_MAX_FIELDS)
		return 0;
	si_buf_init(&b, S_TEXT_BUF_MAX);
	s_puts(c, &b, "*");
	s_esc(c, &b, label, S_LABEL_CHARS);
	s_puts(c, &b, "*\n");
	s_esc(c, &b, value, S_FIELD_VALUE_CHARS);
	s_push(c, fields, s_mrkdwn(c, &b, RENDER_MAX_FIELD_TEXT));
	si_buf_free(&b, 0);
	return 1;
}

/* The section fields of a resource card: state, account, region, then the
 * type's fields in order while there is room (RENDER_MAX_FIELDS). Returns
 * how many of the type's fields fit; the card's text lists the others. */
static size_t s_res_fields(struct s_ctx *c, json_object *fields, const struct search_match *m)
{
	const struct res_resource *r = &m->res;
	struct si_buf v;
	size_t i;

	si_buf_init(&v, S_TEXT_BUF_MAX);
	s_field(c, fields, "State", r->state);
	s_account(c, &v, m, NULL);
	s_field_buf(c, fields, "Account", &v);
	si_buf_reset(&v);
	s_region(c, &v, m->region, NULL);
	s_field_buf(c, fields, "Region", &v);
	si_buf_free(&v, 0);
	for (i = 0; i < r->n_fields; i++)
		if (!s_field_esc(c, fields, r->fields[i].key, r->fields[i].value))
			break;
	return i;
}

/*
 * One Block Kit section for a resource of any registered type. The text
 * holds, in the order a reader needs them and so the first to survive a
 * cut: the title (label linked to the console, id, name), the DNS chain
 * that led here, its DNS names and addresses, its relations by kind, the
 * type's fields (and creation time) that did not fit as section fields,
 * and its tags. Every
 * list is bounded and every value capped and escaped; the whole text is
 * then cut to RENDER_MAX_SECTION_TEXT by s_mrkdwn. Same failure rule as
 * s_instance_block.
 */
static json_object *s_res_block(struct s_ctx *c, const struct search_match *m)
{
	const struct res_resource *r = &m->res;
	json_object *o = s_jobj(c), *fields = s_jarr(c);
	struct si_buf t;
	size_t i, in_fields;

	si_buf_init(&t, S_TEXT_BUF_MAX);
	in_fields = s_res_fields(c, fields, m);
	s_res_title(c, &t, m);
	if (m->source != SEARCH_SOURCE_AWS) {
		s_puts(c, &t, "\n_From the inventory:_ ");
		s_source_text(c, &t, m, 0);
	}
	if (r->hop != NULL) {
		s_puts(c, &t, "\n*Via:* ");
		s_esc(c, &t, r->hop, S_HOP_CHARS);
	}
	s_res_list(c, &t, "DNS", r->dns, r->n_dns, S_RES_DNS);
	s_res_list(c, &t, "Addresses", r->addrs, r->n_addrs, S_RES_ADDRS);
	s_res_rels(c, &t, r);
	for (i = in_fields; i < r->n_fields; i++) {
		s_puts(c, &t, "\n*");
		s_esc(c, &t, r->fields[i].key, S_LABEL_CHARS);
		s_puts(c, &t, ":* ");
		s_esc(c, &t, r->fields[i].value, S_FIELD_VALUE_CHARS);
	}
	/* The creation time follows the type's fields, wherever they went. */
	if (r->created != NULL && in_fields == r->n_fields && !c->failed &&
	    json_object_array_length(fields) < RENDER_MAX_FIELDS) {
		s_field(c, fields, "Created", r->created);
	} else if (r->created != NULL) {
		s_puts(c, &t, "\n*Created:* ");
		s_esc(c, &t, r->created, S_VALUE_CHARS);
	}
	s_res_tags(c, &t, r);
	s_set(c, o, "type", s_jstr(c, "section"));
	s_set(c, o, "text", s_mrkdwn(c, &t, RENDER_MAX_SECTION_TEXT));
	s_set_fields(c, o, fields);
	si_buf_free(&t, 0);
	return o;
}

static json_object *s_match_block(struct s_ctx *c, const struct search_match *m)
{
	switch (m->kind) {
	case SEARCH_MATCH_ENI:
		return s_eni_block(c, m);
	case SEARCH_MATCH_RESOURCE:
		return s_res_block(c, m);
	case SEARCH_MATCH_INSTANCE:
		break;
	}
	return s_instance_block(c, m);
}

/* ---- whole messages ---------------------------------------------------- */

/* ---- grouping: failures by code, matches by account ------------------- */

/* Groups are runs of equal keys in an array of pointers sorted by that key
 * (the items are search_failure or search_match, hence void). */
typedef const char *(*s_key_fn)(const void *item);

static const char *s_fail_code(const void *p)
{
	const struct search_failure *f = p;

	return f->code != NULL && f->code[0] != '\0' ? f->code : "Error";
}

static const char *s_fail_account(const void *p)
{
	const struct search_failure *f = p;

	return f->account_alias != NULL ? f->account_alias : "?";
}

static const char *s_fail_region(const void *p)
{
	const struct search_failure *f = p;

	return f->region != NULL ? f->region : "?";
}

/* By code, then account, then region: codes group the summary, accounts
 * group inside a code, regions tell whether a whole account failed. */
static int s_cmp_fail(const void *pa, const void *pb)
{
	const void *a = *(const void *const *)pa, *b = *(const void *const *)pb;
	int d = strcmp(s_fail_code(a), s_fail_code(b));

	if (d == 0)
		d = strcmp(s_fail_account(a), s_fail_account(b));
	return d != 0 ? d : strcmp(s_fail_region(a), s_fail_region(b));
}

/* What a reader types after account:, or failing that, what identifies
 * the account. */
static const char *s_match_account(const void *p)
{
	const struct search_match *m = p;

	if (m->account_alias != NULL)
		return m->account_alias;
	return m->account_id != NULL ? m->account_id : "?";
}

static const char *s_match_region(const void *p)
{
	const struct search_match *m = p;

	return m->region != NULL ? m->region : "?";
}

static int s_cmp_match_account(const void *pa, const void *pb)
{
	return strcmp(s_match_account(*(const void *const *)pa),
		      s_match_account(*(const void *const *)pb));
}

static int s_cmp_match_region(const void *pa, const void *pb)
{
	return strcmp(s_match_region(*(const void *const *)pa),
		      s_match_region(*(const void *const *)pb));
}

/* End of the run of items with v[i]'s key. */
static size_t s_run_end(const void *const *v, size_t n, size_t i, s_key_fn key)
{
	size_t j = i + 1;

	while (j < n && strcmp(key(v[j]), key(v[i])) == 0)
		j++;
	return j;
}

static size_t s_count_runs(const void *const *v, size_t n, s_key_fn key)
{
	size_t i = 0, runs = 0;

	while (i < n) {
		i = s_run_end(v, n, i, key);
		runs++;
	}
	return runs;
}

/* Biggest group first; equal sizes by name, so the order never depends on
 * the order AWS answered in. */
static int s_ranks_before(size_t na, const char *a, size_t nb, const char *b)
{
	return na != nb ? na > nb : strcmp(a, b) < 0;
}

/*
 * The run that comes next in rank after the run (prev_len, prev_key), the
 * first one when prev_key is NULL. Returns its start (n if none is left)
 * and its length through len_out. Each call scans all runs, and callers
 * ask for a bounded number (S_FAIL_CODES, S_COUNT_ITEMS), which is cheaper
 * and simpler than sorting the runs into a second array.
 */
static size_t s_next_run(const void *const *v, size_t n, s_key_fn key,
			 const char *prev_key, size_t prev_len, size_t *len_out)
{
	size_t i, end, best = n, best_len = 0;

	for (i = 0; i < n; i = end) {
		end = s_run_end(v, n, i, key);
		if (prev_key != NULL && !s_ranks_before(prev_len, prev_key, end - i, key(v[i])))
			continue;
		if (best == n || s_ranks_before(end - i, key(v[i]), best_len, key(v[best]))) {
			best = i;
			best_len = end - i;
		}
	}
	*len_out = best_len;
	return best;
}

/* A new array of pointers to the n items of size bytes at base, sorted
 * with cmp; NULL (and c failed) on OOM. The caller frees it. */
static const void **s_sorted(struct s_ctx *c, const void *base, size_t n, size_t size,
			     int (*cmp)(const void *, const void *))
{
	const void **v;
	size_t i;

	if (c->failed)
		return NULL;
	v = calloc(n > 0 ? n : 1, sizeof(*v));
	if (v == NULL) {
		s_fail(c, SI_ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++)
		v[i] = (const char *)base + i * size;
	qsort(v, n, sizeof(*v), cmp);
	return v;
}

/* ---- failures ----------------------------------------------------------- */

static void s_cell(char *cell, const char *s);

/* An untrusted value: escaped for mrkdwn, or for the terminal (plain)
 * with control characters as '?' and cut at S_CELL_MAX bytes. */
static void s_value(struct s_ctx *c, struct si_buf *b, const char *s, int plain)
{
	char cell[S_CELL_MAX + 1];

	if (!plain) {
		s_esc(c, b, s, S_FAIL_CHARS);
		return;
	}
	s_cell(cell, s);
	s_puts(c, b, cell);
}

/*
 * The targets in v (n of them, one error code, sorted by account and
 * region) as " staging (all 17 regions), dev/us-east-1, … and K more".
 * An account is shown whole when it failed in as many distinct regions as
 * the search covered (n_regions): every target it has then failed with
 * this code, since a target fails at most once.
 */
static void s_code_targets(struct s_ctx *c, struct si_buf *b, const void *const *v,
			   size_t n, size_t n_regions, int plain)
{
	size_t i = 0, end, items = 0;
	char num[S_NUM_MAX];

	while (i < n && items < S_FAIL_PER_CODE) {
		end = s_run_end(v, n, i, s_fail_account);
		s_puts(c, b, items++ ? ", " : " ");
		s_value(c, b, s_fail_account(v[i]), plain);
		if (n_regions > 1 &&
		    s_count_runs(v + i, end - i, s_fail_region) == n_regions) {
			s_printf(c, b, " (all %s regions)", s_num(n_regions, num));
			i = end;
			continue;
		}
		s_puts(c, b, "/");
		s_value(c, b, s_fail_region(v[i]), plain);
		i++;
	}
	if (i < n)
		s_printf(c, b, ", " S_ELLIPSIS " and %s more", s_num(n - i, num));
}

/*
 * "N of M targets failed: AccessDenied: staging (all 17 regions);
 * Timeout: dev/us-west-2, … and 4 more; … and K more with 2 other codes".
 * Codes come biggest first. r->n_failures must be > 0.
 */
static void s_failures_text(struct s_ctx *c, struct si_buf *b,
			    const struct search_result *r, int plain)
{
	const void **v;
	const char *prev = NULL;
	size_t n = r->n_failures, start, len = 0, prev_len = 0, codes = 0, done = 0;
	/* A result counting fewer targets than failures is inconsistent; never
	 * print "3 of 1 targets". */
	size_t m = r->n_targets > n ? r->n_targets : n;
	char n1[S_NUM_MAX], n2[S_NUM_MAX];

	s_printf(c, b, "%s of %s %s failed:", s_num(n, n1), s_num(m, n2),
		 s_plural(m, "target", "targets"));
	v = s_sorted(c, r->failures, n, sizeof(*r->failures), s_cmp_fail);
	if (v == NULL)
		return;
	for (codes = 0; codes < S_FAIL_CODES; codes++) {
		start = s_next_run(v, n, s_fail_code, prev, prev_len, &len);
		if (start == n)
			break;
		s_puts(c, b, codes ? "; " : " ");
		s_value(c, b, s_fail_code(v[start]), plain);
		s_puts(c, b, ":");
		s_code_targets(c, b, v + start, len, r->n_regions, plain);
		done += len;
		prev = s_fail_code(v[start]);
		prev_len = len;
	}
	if (done < n) {
		size_t others = s_count_runs(v, n, s_fail_code) - codes;

		s_printf(c, b, "; " S_ELLIPSIS " and %s more with %s other %s",
			 s_num(n - done, n1), s_num(others, n2),
			 s_plural(others, "code", "codes"));
	}
	free(v);
}

/* ---- where the matches are ---------------------------------------------- */

/* " production: 120 · staging: 48 · … and K more in N other accounts"
 * for the n matches in v, sorted by key. */
static void s_count_line(struct s_ctx *c, struct si_buf *b, const void *const *v, size_t n,
			 s_key_fn key, const char *what, const char *whats)
{
	const char *prev = NULL;
	size_t start, len = 0, prev_len = 0, shown, done = 0;
	char n1[S_NUM_MAX], n2[S_NUM_MAX];

	for (shown = 0; shown < S_COUNT_ITEMS; shown++) {
		start = s_next_run(v, n, key, prev, prev_len, &len);
		if (start == n)
			break;
		s_puts(c, b, shown ? S_DOT : " ");
		s_esc(c, b, key(v[start]), S_VALUE_CHARS);
		s_printf(c, b, ": %s", s_num(len, n1));
		done += len;
		prev = key(v[start]);
		prev_len = len;
	}
	if (done < n) {
		size_t others = s_count_runs(v, n, key) - shown;

		s_printf(c, b, S_DOT S_ELLIPSIS " and %s more in %s other %s",
			 s_num(n - done, n1), s_num(others, n2),
			 s_plural(others, what, whats));
	}
}

/*
 * Where the matches are, so a reader facing "and 250 more" knows what to
 * narrow to: counts per account, and per region too when one account holds
 * them all. Writes to b and returns 1, or returns 0 (b untouched) when all
 * matches share one account and one region, as nothing narrows that.
 */
static int s_counts_text(struct s_ctx *c, struct si_buf *b, const struct search_result *r)
{
	const void **v;
	size_t n = r->n_matches, accounts, regions;
	int shown = 0;

	v = s_sorted(c, r->matches, n, sizeof(*r->matches), s_cmp_match_account);
	if (v == NULL)
		return 0;
	accounts = s_count_runs(v, n, s_match_account);
	qsort(v, n, sizeof(*v), s_cmp_match_region);
	regions = s_count_runs(v, n, s_match_region);
	if (accounts > 1 || regions > 1) {
		shown = 1;
		qsort(v, n, sizeof(*v), s_cmp_match_account);
		s_puts(c, b, "*Matches by account:*");
		s_count_line(c, b, v, n, s_match_account, "account", "accounts");
	}
	if (accounts == 1 && regions > 1) {
		qsort(v, n, sizeof(*v), s_cmp_match_region);
		s_puts(c, b, "\n*Matches by region:*");
		s_count_line(c, b, v, n, s_match_region, "region", "regions");
	}
	free(v);
	return shown;
}

/* ---- one line per match ---------------------------------------------------- */

/* When not every match gets a card, the first few (the search's best) get
 * one and the rest a line each: a section of some 25 lines shows what 25
 * cards would, and the block budget then reaches hundreds of matches. */
#define S_CARDS_BEFORE_LINES 10

/* A line is cut here so that even hostile values leave room for six lines
 * per section. */
#define S_LINE_CHARS 480

/* A match's place in the one-line list. */
struct s_line_ref {
	const struct search_match *m;
	size_t idx;   /* position among the listed matches: the search's order */
	size_t rank;  /* idx of the first listed match of the same account */
};

/* The label the registry gives the type named name. */
static const char *s_type_label(const char *name)
{
	const struct rt_type *t = rt_by_name(name);

	return t != NULL && t->label != NULL ? t->label : name;
}

/* "a, b, c" of the non-empty strings among the n in v, into out (plain
 * text, cut at n_out bytes: the line is cut later anyway). */
static void s_join(char *out, size_t n_out, const char *const *v, size_t n)
{
	size_t used = 0, i;
	int k;

	out[0] = '\0';
	for (i = 0; i < n && used < n_out; i++) {
		if (v[i] == NULL || v[i][0] == '\0')
			continue;
		k = snprintf(out + used, n_out - used, "%s%s", used > 0 ? ", " : "", v[i]);
		if (k < 0)
			return;
		used += (size_t)k;
	}
}

/* The one-line summary of a resource: the type's own, else its state. */
static void s_res_summary(const struct res_resource *r, char *out, size_t n)
{
	out[0] = '\0';
	if (r->type != NULL && r->type->summary != NULL) {
		r->type->summary(r, out, n);
		out[n - 1] = '\0';
	}
	if (out[0] == '\0' && r->state != NULL)
		s_join(out, n, (const char *const *)&r->state, 1);
}

/*
 * "Label `id` name — summary · account/region" for any match. Instances
 * and interfaces are summarised here from their own structs (state, type,
 * address); other types by their summary callback, or their state.
 */
static void s_line(struct s_ctx *c, struct si_buf *b, const struct search_match *m)
{
	const char *label, *id, *name, *parts[3];
	char sum[S_SUMMARY_MAX], owner[256];

	if (m->kind == SEARCH_MATCH_INSTANCE) {
		const struct ec2_instance *in = &m->instance;

		label = s_type_label("instance");
		id = in->instance_id;
		name = ec2_tag_get(in->tags, in->n_tags, "Name");
		parts[0] = in->state;
		parts[1] = in->instance_type;
		parts[2] = in->private_ip;
		s_join(sum, sizeof(sum), parts, 3);
	} else if (m->kind == SEARCH_MATCH_ENI) {
		const struct ec2_eni *e = &m->eni;

		label = s_type_label("network-interface");
		id = e->eni_id;
		name = render_eni_owner(e, owner, sizeof(owner));
		parts[0] = e->status;
		parts[1] = e->n_ips > 0 ? e->ips[0].private_ip : NULL;
		s_join(sum, sizeof(sum), parts, 2);
	} else {
		label = s_res_label(&m->res);
		id = s_res_id(&m->res);
		name = m->res.name;
		if (name != NULL && id != NULL && strcmp(name, id) == 0)
			name = NULL;
		s_res_summary(&m->res, sum, sizeof(sum));
	}
	s_esc(c, b, label, S_LABEL_CHARS);
	if (id != NULL) {
		s_puts(c, b, " `");
		s_esc(c, b, id, S_VALUE_CHARS);
		s_puts(c, b, "`");
	}
	if (name != NULL && name[0] != '\0') {
		s_puts(c, b, " ");
		s_esc(c, b, name, S_VALUE_CHARS);
	}
	if (sum[0] != '\0') {
		s_puts(c, b, " \xe2\x80\x94 ");
		s_esc(c, b, sum, S_SUMMARY_CHARS);
	}
	s_puts(c, b, S_DOT);
	s_esc(c, b, s_match_account(m), S_VALUE_CHARS);
	s_puts(c, b, "/");
	s_esc(c, b, s_match_region(m), S_VALUE_CHARS);
	if (m->source != SEARCH_SOURCE_AWS) {
		s_puts(c, b, S_DOT "_inventory:_ ");
		s_source_text(c, b, m, 0);
	}
}

static int s_cmp_size(size_t a, size_t b)
{
	return (a > b) - (a < b);
}

static int s_cmp_ref_account(const void *pa, const void *pb)
{
	const struct s_line_ref *a = pa, *b = pb;
	int d = strcmp(s_match_account(a->m), s_match_account(b->m));

	return d != 0 ? d : s_cmp_size(a->idx, b->idx);
}

static int s_cmp_ref_rank(const void *pa, const void *pb)
{
	const struct s_line_ref *a = pa, *b = pb;
	int d = s_cmp_size(a->rank, b->rank);

	return d != 0 ? d : s_cmp_size(a->idx, b->idx);
}

/* The matches from first on, grouped by account: accounts in the order
 * they first appear, matches in the search's order inside each (sorting on
 * the position too keeps qsort stable). The caller frees the array; NULL
 * (c failed) on OOM. */
static struct s_line_ref *s_line_order(struct s_ctx *c, const struct search_result *r,
				       size_t first)
{
	size_t n = r->n_matches - first, i;
	struct s_line_ref *v;

	v = calloc(n > 0 ? n : 1, sizeof(*v));
	if (v == NULL) {
		s_fail(c, SI_ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		v[i].m = &r->matches[first + i];
		v[i].idx = i;
	}
	qsort(v, n, sizeof(*v), s_cmp_ref_account);
	for (i = 0; i < n; i++) {
		int same = i > 0 && strcmp(s_match_account(v[i - 1].m),
					   s_match_account(v[i].m)) == 0;

		v[i].rank = same ? v[i - 1].rank : v[i].idx;
	}
	qsort(v, n, sizeof(*v), s_cmp_ref_rank);
	return v;
}

/*
 * The one-line forms of the matches from first on (s_line_order), packed
 * into at most max_blocks sections of at most RENDER_MAX_SECTION_TEXT
 * each; a line is never split between two. Returns how many matches got a
 * line: the caller counts the rest in its "more" line.
 */
static size_t s_push_lines(struct s_ctx *c, json_object *blocks, const struct search_result *r,
			   size_t first, size_t max_blocks)
{
	struct s_line_ref *v;
	struct si_buf sec, line;
	size_t i, n = r->n_matches - first, used = 0, units = 0, u, shown = 0;

	if (max_blocks == 0 || n == 0 || (v = s_line_order(c, r, first)) == NULL)
		return 0;
	si_buf_init(&sec, S_TEXT_BUF_MAX);
	si_buf_init(&line, S_TEXT_BUF_MAX);
	for (i = 0; i < n && !c->failed; i++) {
		si_buf_reset(&line);
		s_line(c, &line, v[i].m);
		s_fit(c, &line, S_LINE_CHARS);
		u = s_text_units(line.data, line.len);
		if (sec.len > 0 && units + 1 + u > RENDER_MAX_SECTION_TEXT) {
			s_push(c, blocks, s_section(c, &sec));
			si_buf_reset(&sec);
			units = 0;
			used++;
		}
		if (used == max_blocks)
			break;
		if (sec.len > 0) {
			s_puts(c, &sec, "\n");
			units++;
		}
		s_put(c, &sec, line.data, line.len);
		units += u;
		shown++;
	}
	if (sec.len > 0)
		s_push(c, blocks, s_section(c, &sec));
	si_buf_free(&sec, 0);
	si_buf_free(&line, 0);
	free(v);
	return shown;
}

/* ---- history from the inventory ----------------------------------------- */

/* Subjects in the history section and stretches per subject: the latest
 * few answer "who had it before"; the rest are counted. */
#define S_HISTORY_SUBJECTS 5
#define S_HISTORY_HOLDS 6

/* Do the holds of h span more than one account or region? Then each
 * holder says where it is (addresses repeat across VPCs and accounts). */
static int s_holds_spread(const struct search_history *h)
{
	for (size_t i = 1; i < h->n_holds; i++)
		if (strcmp(h->holds[i].account_id ? h->holds[i].account_id : "",
			   h->holds[0].account_id ? h->holds[0].account_id : "") != 0 ||
		    strcmp(h->holds[i].region ? h->holds[i].region : "",
			   h->holds[0].region ? h->holds[0].region : "") != 0)
			return 1;
	return 0;
}

/* "`i-new` prod-web-7", with " (production/eu-west-2)" when where. */
static void s_holder(struct s_ctx *c, struct si_buf *b, const struct search_hold *h,
		     int where, int plain)
{
	s_puts(c, b, plain ? "" : "`");
	s_value(c, b, h->id, plain);
	s_puts(c, b, plain ? "" : "`");
	if (h->name != NULL && h->name[0] != '\0') {
		s_puts(c, b, plain ? " (" : " ");
		s_value(c, b, h->name, plain);
		s_puts(c, b, plain ? ")" : "");
	}
	if (where) {
		s_puts(c, b, " in ");
		s_value(c, b, h->account_alias != NULL ? h->account_alias : h->account_id,
			plain);
		s_puts(c, b, "/");
		s_value(c, b, h->region, plain);
	}
}

/* "28 Nov 09:14 → 1 Dec 11:58, terminated", or "since 12:03" while held. */
static void s_stretch(struct s_ctx *c, struct si_buf *b, const struct search_hold *h,
		      int plain)
{
	if (h->to == 0) {
		s_puts(c, b, "since ");
		s_date(c, b, h->from, h->from_exact, plain);
		return;
	}
	s_date(c, b, h->from, h->from_exact, plain);
	s_puts(c, b, " \xe2\x86\x92 ");
	s_date(c, b, h->to, h->to_exact, plain);
	if (h->end_reason != NULL) {
		s_puts(c, b, ", ");
		s_value(c, b, h->end_reason, plain);
	}
}

/* at: who held (or bore) the subject at the moment, latest first:
 * "`i-old` prod-web-3 28 Nov 09:14 → 1 Dec 11:58, terminated". */
static void s_history_at(struct s_ctx *c, struct si_buf *b, const struct search_history *h,
			 int plain)
{
	int where = s_holds_spread(h);
	size_t i;

	if (h->n_holds == 0) {
		s_puts(c, b, h->of_resource ? "not in the inventory then"
					    : "nobody in the inventory");
		return;
	}
	for (i = 0; i < h->n_holds && i < S_HISTORY_HOLDS; i++) {
		const struct search_hold *s = &h->holds[i];

		s_puts(c, b, i ? "; " : "");
		if (h->of_resource && s->addr != NULL) {
			s_puts(c, b, "held ");
			s_value(c, b, s->addr, plain);
		} else if (h->of_resource) {
			s_puts(c, b, "existed");
		} else {
			s_holder(c, b, s, where, plain);
		}
		s_puts(c, b, " ");
		s_stretch(c, b, s, plain);
	}
	if (i < h->n_holds)
		s_printf(c, b, "; " S_ELLIPSIS " and %zu more", h->n_holds - i);
}

/* The past: "now: `i-new` prod-web-7 since 12:03 · before: `i-old`
 * prod-web-3 28 Nov 09:14 → 1 Dec 11:58, terminated" for an address
 * (present holders, then the past newest first), "held: 10.1.2.3 28 Nov
 * 09:14 → 1 Dec 11:58, terminated" for a resource. holds come oldest
 * first. */
static void s_history_past(struct s_ctx *c, struct si_buf *b, const struct search_history *h,
			   int plain)
{
	int where = s_holds_spread(h);
	size_t shown = 0, now = 0, past = 0;

	for (size_t i = 0; !h->of_resource && i < h->n_holds; i++) {
		if (h->holds[i].to != 0 || shown == S_HISTORY_HOLDS)
			continue;
		s_puts(c, b, now++ ? ", " : "now: ");
		s_holder(c, b, &h->holds[i], where, plain);
		s_puts(c, b, " ");
		s_stretch(c, b, &h->holds[i], plain);
		shown++;
	}
	for (size_t i = h->n_holds; i-- > 0 && shown < S_HISTORY_HOLDS;) {
		const struct search_hold *s = &h->holds[i];

		if (!h->of_resource && s->to == 0)
			continue;
		if (past++ == 0)
			s_puts(c, b, h->of_resource ? "held: "
						    : now ? S_DOT "before: " : "before: ");
		else
			s_puts(c, b, h->of_resource ? S_DOT : "; ");
		if (h->of_resource)
			s_value(c, b, s->addr, plain);
		else
			s_holder(c, b, s, where, plain);
		s_puts(c, b, " ");
		s_stretch(c, b, s, plain);
		shown++;
	}
	if (shown < h->n_holds)
		s_printf(c, b, "; " S_ELLIPSIS " and %zu more", h->n_holds - shown);
	if (h->truncated)
		s_puts(c, b, " (older stretches not shown)");
}

/* One line per subject: its name in bold, then its past (or, with at:,
 * who had it then). At most S_HISTORY_SUBJECTS subjects. */
static void s_history_text(struct s_ctx *c, struct si_buf *b, const struct search_result *r,
			   int plain)
{
	size_t i;

	for (i = 0; i < r->n_history && i < S_HISTORY_SUBJECTS; i++) {
		const struct search_history *h = &r->history[i];

		s_puts(c, b, i ? "\n" : "");
		s_puts(c, b, plain ? "" : "*");
		s_value(c, b, h->subject, plain);
		s_puts(c, b, plain ? ": " : "*: ");
		if (r->at_answered)
			s_history_at(c, b, h, plain);
		else
			s_history_past(c, b, h, plain);
	}
	if (i < r->n_history)
		s_printf(c, b, "\n" S_ELLIPSIS " and %zu more", r->n_history - i);
}

/* The history section, when the inventory gave any. */
static json_object *s_history_block(struct s_ctx *c, const struct search_result *r)
{
	struct si_buf t;
	json_object *o;

	si_buf_init(&t, S_TEXT_BUF_MAX);
	if (!r->at_answered)
		s_puts(c, &t, "*History* (from the inventory)\n");
	s_history_text(c, &t, r, 0);
	o = s_section(c, &t);
	si_buf_free(&t, 0);
	return o;
}

/* The summary of an at: answer: "At 30 Nov 03:00, from the inventory
 * only (AWS keeps no past), for 10.1.2.3 at:-6h". */
static void s_at_summary(struct s_ctx *c, struct si_buf *t, const struct search_result *r,
			 int plain)
{
	s_puts(c, t, "At ");
	s_date(c, t, r->at, 1, plain);
	s_puts(c, t, ", from the inventory only (AWS keeps no past), for ");
	s_value(c, t, r->query_text, plain);
}

/* Root object with response_type, the escaped fallback text and an empty
 * blocks array (returned through blocks). */
static json_object *s_root(struct s_ctx *c, const char *response_type,
			   struct si_buf *text, json_object **blocks)
{
	json_object *root = s_jobj(c);

	*blocks = s_jarr(c);
	s_set(c, root, "response_type", s_jstr(c, response_type));
	if (text->data != NULL)
		s_fit(c, text, RENDER_MAX_SECTION_TEXT);
	s_set(c, root, "text", s_jstr(c, text->data != NULL ? text->data : ""));
	s_set(c, root, "blocks", *blocks);
	return root;
}

/* A host name in no hosted zone was resolved with DNS, or targets failed:
 * a context block says so under the summary. */
static int s_has_context(const struct search_result *r)
{
	return r->n_failures > 0 || (r->dns_note != NULL && r->dns_note[0] != '\0') ||
	       (r->query_note != NULL && r->query_note[0] != '\0') ||
	       (r->index_note != NULL && r->index_note[0] != '\0');
}

/* The context block under the summary: one element saying which addresses
 * came from DNS rather than from a hosted zone (so the reader knows the
 * matches were found by address), one with the failed targets; each
 * element shares the section text limit. Only when s_has_context(r). */
static json_object *s_context_block(struct s_ctx *c, const struct search_result *r)
{
	json_object *o = s_jobj(c), *els = s_jarr(c);
	struct si_buf t;

	si_buf_init(&t, S_TEXT_BUF_MAX);
	if (r->query_note != NULL && r->query_note[0] != '\0') {
		s_esc(c, &t, r->query_note, S_NOTE_CHARS);
		s_push(c, els, s_mrkdwn(c, &t, RENDER_MAX_SECTION_TEXT));
		si_buf_reset(&t);
	}
	if (r->dns_note != NULL && r->dns_note[0] != '\0') {
		s_puts(c, &t, S_DNS_NOTE);
		s_esc(c, &t, r->dns_note, S_NOTE_CHARS);
		s_push(c, els, s_mrkdwn(c, &t, RENDER_MAX_SECTION_TEXT));
		si_buf_reset(&t);
	}
	if (r->index_note != NULL && r->index_note[0] != '\0') {
		s_esc(c, &t, r->index_note, S_NOTE_CHARS);
		s_push(c, els, s_mrkdwn(c, &t, RENDER_MAX_SECTION_TEXT));
		si_buf_reset(&t);
	}
	if (r->n_failures > 0) {
		s_failures_text(c, &t, r, 0);
		s_push(c, els, s_mrkdwn(c, &t, RENDER_MAX_SECTION_TEXT));
	}
	s_set(c, o, "type", s_jstr(c, "context"));
	s_set(c, o, "elements", els);
	si_buf_free(&t, 0);
	return o;
}

/* extra: blocks beyond S_MIN_BLOCKS that must fit too (the counts). */
static size_t s_block_budget(const struct render_opts *o, size_t extra)
{
	size_t max = o != NULL ? o->max_blocks : 0;

	if (max == 0 || max > RENDER_MAX_BLOCKS)
		max = RENDER_MAX_BLOCKS;
	return max < S_MIN_BLOCKS + extra ? S_MIN_BLOCKS + extra : max;
}

/* Contract in render.h. Why the at: branch: an answer from the inventory
 * alone has no live matches by design, and its summary must say which
 * moment it answers for, not "No matches"; the history block carries it. */
char *render_nothing_found(const struct search_result *r,
			   const struct render_opts *opts, struct si_err *err)
{
	struct s_ctx c = { 0, err, 0 };
	struct si_buf t;
	json_object *root, *blocks;
	char *out, n1[S_NUM_MAX], n2[S_NUM_MAX], n3[S_NUM_MAX];

	if (r == NULL) {
		si_err_set(err, SI_ERR_INVALID, "render: no result");
		return NULL;
	}
	c.now = r->index_now;
	si_buf_init(&t, S_TEXT_BUF_MAX);
	if (r->at_answered) {
		s_at_summary(&c, &t, r, 0);
	} else {
		s_puts(&c, &t, "No matches for ");
		s_esc(&c, &t, r->query_text, S_QUERY_CHARS);
		s_printf(&c, &t, " in %s %s and %s %s (%s %s), %.2f s",
			 s_num(r->n_accounts, n1), s_plural(r->n_accounts, "account", "accounts"),
			 s_num(r->n_regions, n2), s_plural(r->n_regions, "region", "regions"),
			 s_num(r->n_targets, n3),
			 s_plural(r->n_targets, "account-region", "account-regions"),
			 r->elapsed_s);
	}
	root = s_root(&c, s_response_type(opts), &t, &blocks);
	s_push(&c, blocks, s_section(&c, &t));
	if (s_has_context(r))
		s_push(&c, blocks, s_context_block(&c, r));
	if (r->n_history > 0)
		s_push(&c, blocks, s_history_block(&c, r));
	si_buf_free(&t, 0);
	out = s_finish(&c, root);
	return out;
}

/* The summary section text: "2 matches for X in 12 account-regions, 0.41 s". */
static void s_summary_text(struct s_ctx *c, struct si_buf *t, const struct search_result *r)
{
	char n1[S_NUM_MAX], n2[S_NUM_MAX];

	s_printf(c, t, "%s %s for ", s_num(r->n_matches, n1),
		 s_plural(r->n_matches, "match", "matches"));
	s_esc(c, t, r->query_text, S_QUERY_CHARS);
	s_printf(c, t, " in %s %s, %.2f s", s_num(r->n_targets, n2),
		 s_plural(r->n_targets, "account-region", "account-regions"),
		 r->elapsed_s);
}

/* Contract in render.h. Why the block budget arithmetic: Slack rejects a
 * message over its block limit outright, so the summary, the context line
 * (DNS note, failures) and (when matches are cut) the counts line are
 * reserved first and the matches get what is left. When not every match
 * gets a card, the first few do and the rest get one line each, packed
 * into sections (s_push_lines); a last section counts what still did not
 * fit. Assumes c.failed stops all further building after the first
 * allocation failure. */
char *render_result(const struct search_result *r, const struct render_opts *opts,
		    struct si_err *err)
{
	struct s_ctx c = { 0, err, 0 };
	struct si_buf t, counts;
	json_object *root, *blocks;
	size_t budget, cards, shown, i, has_context, has_history;
	int has_counts = 0;
	char num[S_NUM_MAX];

	if (r == NULL) {
		si_err_set(err, SI_ERR_INVALID, "render: no result");
		return NULL;
	}
	if (r->n_matches == 0)
		return render_nothing_found(r, opts, err);
	c.now = r->index_now;
	si_buf_init(&t, S_TEXT_BUF_MAX);
	si_buf_init(&counts, S_TEXT_BUF_MAX);
	has_context = s_has_context(r) ? 1 : 0;
	has_history = r->n_history > 0 ? 1 : 0;
	/* Blocks left for matches after the summary, the context and the
	 * history. When not all fit, the counts tell where the rest are (and
	 * take a block). */
	budget = s_block_budget(opts, has_history) - 1 - has_context - has_history;
	if (r->n_matches > budget && s_counts_text(&c, &counts, r)) {
		has_counts = 1;
		budget = s_block_budget(opts, 1 + has_history) - 2 - has_context - has_history;
	}
	s_summary_text(&c, &t, r);
	root = s_root(&c, s_response_type(opts), &t, &blocks);
	s_push(&c, blocks, s_section(&c, &t));
	if (has_counts)
		s_push(&c, blocks, s_section(&c, &counts));
	if (has_context)
		s_push(&c, blocks, s_context_block(&c, r));
	if (has_history)
		s_push(&c, blocks, s_history_block(&c, r));
	/* budget >= 2 (S_MIN_BLOCKS): one card and the "more" line at least;
	 * past that, as many blocks of lines as of cards, up to
	 * S_CARDS_BEFORE_LINES cards. One block stays for "N more". */
	cards = r->n_matches;
	if (cards > budget) {
		cards = (budget - 1) / 2 < S_CARDS_BEFORE_LINES ? (budget - 1) / 2 :
			S_CARDS_BEFORE_LINES;
		cards = cards > 0 ? cards : 1;
	}
	for (i = 0; i < cards && !c.failed; i++)
		s_push(&c, blocks, s_match_block(&c, &r->matches[i]));
	shown = cards;
	if (cards < r->n_matches)
		shown += s_push_lines(&c, blocks, r, cards, budget - cards - 1);
	if (shown < r->n_matches) {
		si_buf_reset(&t);
		s_printf(&c, &t, S_ELLIPSIS "and %s more %s not shown. To narrow the "
			 "search, add account:ALIAS or region:REGION.",
			 s_num(r->n_matches - shown, num),
			 s_plural(r->n_matches - shown, "match", "matches"));
		s_push(&c, blocks, s_section(&c, &t));
	}
	si_buf_free(&t, 0);
	si_buf_free(&counts, 0);
	return s_finish(&c, root);
}

/* A message with one section holding text (already escaped in b). */
static char *s_simple(struct s_ctx *c, const char *response_type, struct si_buf *b)
{
	json_object *root, *blocks;

	root = s_root(c, response_type, b, &blocks);
	s_push(c, blocks, s_section(c, b));
	si_buf_free(b, 0);
	return s_finish(c, root);
}

char *render_error(const char *text, struct si_err *err)
{
	struct s_ctx c = { 0, err, 0 };
	struct si_buf b;

	si_buf_init(&b, S_TEXT_BUF_MAX);
	s_puts(&c, &b, ":warning: ");
	s_esc(&c, &b, text != NULL ? text : "Something went wrong.", RENDER_MAX_SECTION_TEXT);
	return s_simple(&c, "ephemeral", &b);
}

char *render_pending(size_t n_accounts, size_t n_regions, struct si_err *err)
{
	struct s_ctx c = { 0, err, 0 };
	struct si_buf b;
	char n1[S_NUM_MAX], n2[S_NUM_MAX];

	si_buf_init(&b, S_TEXT_BUF_MAX);
	s_printf(&c, &b, ":mag: Searching %s %s in %s %s\xe2\x80\xa6", s_num(n_accounts, n1),
		 s_plural(n_accounts, "account", "accounts"), s_num(n_regions, n2),
		 s_plural(n_regions, "region", "regions"));
	return s_simple(&c, "ephemeral", &b);
}

static void s_list(struct s_ctx *c, struct si_buf *b, const char *const *v, size_t n)
{
	size_t i;

	if (n == 0 || v == NULL) {
		s_puts(c, b, "(none configured)");
		return;
	}
	for (i = 0; i < n; i++) {
		s_puts(c, b, i ? ", " : "");
		s_esc(c, b, v[i] != NULL ? v[i] : "?", S_VALUE_CHARS);
	}
}

/* The examples: one of each common shape of term. */
static const char *const s_examples[] = {
	"i-0123456789abcdef0",
	"sg-0a1b2c3d4e5f60718",
	"10.4.2.17",
	"10.4.0.0/16",
	"api.example.com",
	"web account:production region:eu-west-2",
	"10.4.2.17 at:2026-11-30T03:00Z",
};

/* A line of the help's list of what a TERM may be. */
#define S_HELP_BULLET "\n\xe2\x80\xa2 "

/* What a TERM may be, one bullet per kind. Why the ID prefixes come from
 * the registry: the help must not go stale when a type module is added
 * (the explanation of an unknown ID or ARN reads it too, and lists the
 * ARN services, so the help need not). */
static void s_help_terms(struct s_ctx *c, struct si_buf *b)
{
	size_t n = 0;

	s_puts(c, b, S_HELP_BULLET "an ID: ");
	for (size_t i = 0; rt_types[i] != NULL; i++) {
		const char *const *p = rt_types[i]->id_prefixes;

		for (size_t k = 0; p != NULL && p[k] != NULL; k++)
			s_printf(c, b, "%s`%s" S_ELLIPSIS "`", n++ ? ", " : "", p[k]);
	}
	s_puts(c, b, S_HELP_BULLET "an ARN, searched in its own account and region only"
	       S_HELP_BULLET "an IPv4 or IPv6 address, or an EC2 DNS name"
	       S_HELP_BULLET "a CIDR block: the VPCs and subnets equal to, inside or around it"
	       S_HELP_BULLET "a load balancer or RDS DNS name (`*.elb.amazonaws.com`, "
	       "`*.rds.amazonaws.com`)"
	       S_HELP_BULLET "any other host name: its Route 53 records, followed through "
	       "CNAME and ALIAS to what is behind them"
	       S_HELP_BULLET "part of a Name, in any case (`web` finds Prod-Web-1)"
	       "\n`at:WHEN` (`at:2026-11-30T03:00Z`, UTC unless a zone is given, or "
	       "`at:-6h`, `-30m`, `-2d`) asks who held an address or name at that "
	       "moment, from the inventory");
}

/* Contract in render.h. The help lists the configured accounts and
 * regions, because the most common mistake is asking for an account or
 * region the service does not know. The arrays are borrowed. */
char *render_help(const char *command, const char *const *aliases, size_t n_aliases,
		  const char *const *regions, size_t n_regions, struct si_err *err)
{
	struct s_ctx c = { 0, err, 0 };
	struct si_buf b;
	json_object *root, *blocks;
	size_t i;

	if (command == NULL)
		command = "/infra-search";
	si_buf_init(&b, S_TEXT_BUF_MAX);
	s_puts(&c, &b, "Usage: ");
	s_esc(&c, &b, command, S_VALUE_CHARS);
	s_puts(&c, &b, " TERM [TERM \xe2\x80\xa6] [account:ALIAS] [region:REGION] [at:WHEN]");
	root = s_root(&c, "ephemeral", &b, &blocks);

	si_buf_reset(&b);
	s_puts(&c, &b, "*Usage:* `");
	s_esc(&c, &b, command, S_VALUE_CHARS);
	s_puts(&c, &b, " TERM [TERM \xe2\x80\xa6] [account:ALIAS] [region:REGION] [at:WHEN]`\n"
	       "Searches every configured account and region. A TERM is:");
	s_help_terms(&c, &b);
	s_push(&c, blocks, s_section(&c, &b));

	si_buf_reset(&b);
	s_puts(&c, &b, "*Examples:*");
	for (i = 0; i < sizeof(s_examples) / sizeof(s_examples[0]); i++) {
		s_puts(&c, &b, "\n`");
		s_esc(&c, &b, command, S_VALUE_CHARS);
		s_printf(&c, &b, " %s`", s_examples[i]);
	}
	s_push(&c, blocks, s_section(&c, &b));

	si_buf_reset(&b);
	s_puts(&c, &b, "*Accounts:* ");
	s_list(&c, &b, aliases, n_aliases);
	s_puts(&c, &b, "\n*Regions:* ");
	s_list(&c, &b, regions, n_regions);
	s_push(&c, blocks, s_section(&c, &b));
	si_buf_free(&b, 0);
	return s_finish(&c, root);
}

char *render_ack(struct si_err *err)
{
	struct s_ctx c = { 0, err, 0 };
	json_object *root = s_jobj(&c);

	s_set(&c, root, "response_type", s_jstr(&c, "in_channel"));
	return s_finish(&c, root);
}

/* ---- plain text -------------------------------------------------------- */

#define S_COLS 8

static const char *const s_headers[S_COLS] = {
	"ACCOUNT", "REGION", "ID", "NAME", "STATE", "TYPE", "PRIVATE IP", "PUBLIC IP"
};

/* Copy s into out (max bytes and the NUL), control and invisible format
 * characters as '?', cut at a UTF-8 boundary. */
static void s_plain(char *out, size_t max, const char *s)
{
	size_t i = 0, o = 0, k;
	unsigned int cp;

	if (s == NULL)
		s = "-";
	while (s[i] != '\0') {
		k = utf8_seq((const unsigned char *)s + i, strlen(s + i), &cp);
		if (k == 0) {
			k = 1;
			cp = 0;  /* shown as '?' below */
		}
		/* A terminal obeys bidi controls too: each invisible format
		 * character is shown as '?', never passed through. */
		if (k == 1 && (cp < 0x20 || cp == 0x7f)) {
			if (o + 1 > max)
				break;
			out[o++] = '?';
		} else if (utf8_is_invisible(cp)) {
			if (o + 1 > max)
				break;
			out[o++] = '?';
		} else {
			if (o + k > max)
				break;
			memcpy(out + o, s + i, k);
			o += k;
		}
		i += k;
	}
	out[o] = '\0';
}

/* A table cell: s_plain cut at S_CELL_MAX bytes. */
static void s_cell(char *cell, const char *s)
{
	s_plain(cell, S_CELL_MAX, s);
}

/* One row of render_text's plain table; every kind shares the columns, so
 * the ENI row puts its owner where an instance has its Name, and another
 * resource its type's label under TYPE and no addresses (its own may be
 * blocks, not IPs). Cells are cut to S_CELL_MAX by s_cell. */
static void s_row(const struct search_match *m, char cells[S_COLS][S_CELL_MAX + 1])
{
	char owner[S_CELL_MAX + 1];
	const char *priv = NULL, *pub = NULL;

	s_cell(cells[0], m->account_alias);
	s_cell(cells[1], m->region);
	if (m->kind == SEARCH_MATCH_ENI) {
		const struct ec2_eni *e = &m->eni;

		if (e->n_ips > 0) {
			priv = e->ips[0].private_ip;
			pub = e->ips[0].public_ip;
		}
		s_cell(cells[2], e->eni_id);
		s_cell(cells[3], render_eni_owner(e, owner, sizeof(owner)));
		s_cell(cells[4], e->status);
		s_cell(cells[5], e->interface_type);
	} else if (m->kind == SEARCH_MATCH_RESOURCE) {
		const struct res_resource *res = &m->res;

		s_cell(cells[2], s_res_id(res));
		s_cell(cells[3], res->name);
		s_cell(cells[4], res->state);
		s_cell(cells[5], s_res_label(res));
	} else {
		const struct ec2_instance *in = &m->instance;

		priv = in->private_ip;
		pub = in->public_ip;
		s_cell(cells[2], in->instance_id);
		s_cell(cells[3], ec2_tag_get(in->tags, in->n_tags, "Name"));
		s_cell(cells[4], in->state);
		s_cell(cells[5], in->instance_type);
	}
	s_cell(cells[6], priv);
	s_cell(cells[7], pub);
}

static int s_print_row(FILE *fp, char cells[S_COLS][S_CELL_MAX + 1], const int *w)
{
	int j;

	for (j = 0; j + 1 < S_COLS; j++)
		if (fprintf(fp, "%-*s  ", w[j], cells[j]) < 0)
			return -1;
	return fprintf(fp, "%s\n", cells[S_COLS - 1]) < 0 ? -1 : 0;
}

/* The failure summary line of the Slack message, for the terminal. */
static int s_text_failures(const struct search_result *r, FILE *fp, struct si_err *err)
{
	struct s_ctx c = { 0, err, 0 };
	struct si_buf b;
	int rc = 0;

	if (r->n_failures == 0)
		return 0;
	si_buf_init(&b, S_TEXT_BUF_MAX);
	s_failures_text(&c, &b, r, 1);
	if (c.failed)
		rc = -1;   /* err already says why */
	else if (fprintf(fp, "%s\n", b.data != NULL ? b.data : "") < 0)
		rc = si_err_set(err, SI_ERR_IO, "render_text: write failed");
	si_buf_free(&b, 0);
	return rc;
}

/* What the inventory added, for the terminal, in plain UTC: the at:
 * summary (summary 1), or the history lines and one line per match
 * from the inventory alone ("i-0old…: terminated 2026-12-01 11:58 UTC,
 * gone from AWS since ~2026-12-01 13:00 UTC · last seen 2 h ago"). */
static int s_text_inventory(const struct search_result *r, int summary, FILE *fp,
			    struct si_err *err)
{
	struct s_ctx c = { 0, err, r->index_now };
	struct si_buf b;
	int rc = 0;

	si_buf_init(&b, S_TEXT_BUF_MAX);
	if (summary) {
		s_at_summary(&c, &b, r, 1);
		s_puts(&c, &b, "\n");
	}
	if (r->n_history > 0) {
		s_history_text(&c, &b, r, 1);
		s_puts(&c, &b, "\n");
	}
	for (size_t i = 0; !summary && i < r->n_matches; i++) {
		const struct search_match *m = &r->matches[i];

		if (m->source == SEARCH_SOURCE_AWS)
			continue;
		s_puts(&c, &b, "inventory: ");
		s_value(&c, &b, s_res_id(&m->res), 1);
		s_puts(&c, &b, ": ");
		s_source_text(&c, &b, m, 1);
		s_puts(&c, &b, "\n");
	}
	if (c.failed)
		rc = -1;
	else if (b.len > 0 && fputs(b.data, fp) < 0)
		rc = si_err_set(err, SI_ERR_IO, "render_text: write failed");
	si_buf_free(&b, 0);
	return rc;
}

/* Contract in render.h. The command-line form of a result: fixed-width
 * columns sized to the widest cell (each cut to S_CELL_MAX), control
 * characters replaced so that AWS-supplied text cannot drive the terminal.
 * Assumes fp is open for writing; a failed write is reported as SI_ERR_IO. */
int render_text(const struct search_result *r, FILE *fp, struct si_err *err)
{
	char cells[S_COLS][S_CELL_MAX + 1], q[S_CELL_MAX + 1];
	char n1[S_NUM_MAX], n2[S_NUM_MAX];
	int w[S_COLS];
	size_t i;
	int j;

	if (r == NULL || fp == NULL)
		return si_err_set(err, SI_ERR_INVALID, "render_text: no result or file");
	/* Two passes over the rows (widths, then printing) rather than keeping
	 * them: memory stays at one row whatever the number of matches. */
	for (j = 0; j < S_COLS; j++)
		w[j] = (int)strlen(s_headers[j]);
	for (i = 0; i < r->n_matches; i++) {
		s_row(&r->matches[i], cells);
		for (j = 0; j < S_COLS; j++)
			if ((int)strlen(cells[j]) > w[j])
				w[j] = (int)strlen(cells[j]);
	}
	s_cell(q, r->query_text);
	if (r->at_answered) {
		if (s_text_inventory(r, 1, fp, err) != 0)
			return -1;
	} else if (fprintf(fp, "%s %s for %s in %s %s, %.2f s\n", s_num(r->n_matches, n1),
			   s_plural(r->n_matches, "match", "matches"), q,
			   s_num(r->n_targets, n2),
			   s_plural(r->n_targets, "account-region", "account-regions"),
			   r->elapsed_s) < 0) {
		goto io;
	}
	if (r->query_note != NULL && r->query_note[0] != '\0') {
		char note[S_NOTE_CHARS + 1];

		s_plain(note, S_NOTE_CHARS, r->query_note);
		if (fprintf(fp, "%s\n", note) < 0)
			goto io;
	}
	if (r->dns_note != NULL && r->dns_note[0] != '\0') {
		char note[S_NOTE_CHARS + 1];

		s_plain(note, S_NOTE_CHARS, r->dns_note);
		if (fprintf(fp, "%s%s\n", S_DNS_NOTE, note) < 0)
			goto io;
	}
	if (r->index_note != NULL && r->index_note[0] != '\0') {
		char note[S_NOTE_CHARS + 1];

		s_plain(note, S_NOTE_CHARS, r->index_note);
		if (fprintf(fp, "%s\n", note) < 0)
			goto io;
	}
	if (s_text_failures(r, fp, err) != 0)
		return -1;
	if (!r->at_answered && s_text_inventory(r, 0, fp, err) != 0)
		return -1;
	if (r->n_matches > 0) {
		for (j = 0; j < S_COLS; j++)
			s_cell(cells[j], s_headers[j]);
		if (s_print_row(fp, cells, w) != 0)
			goto io;
	}
	for (i = 0; i < r->n_matches; i++) {
		s_row(&r->matches[i], cells);
		if (s_print_row(fp, cells, w) != 0)
			goto io;
	}
	for (i = 0; i < r->n_failures; i++) {
		const struct search_failure *f = &r->failures[i];
		char a[S_CELL_MAX + 1], rg[S_CELL_MAX + 1], code[S_CELL_MAX + 1];
		char msg[S_CELL_MAX + 1];

		s_cell(a, f->account_alias);
		s_cell(rg, f->region);
		s_cell(code, f->code);
		s_cell(msg, f->message);
		if (fprintf(fp, "failed: %s/%s: %s%s%s%s\n", a, rg, code,
			    f->message ? " (" : "", f->message ? msg : "",
			    f->message ? ")" : "") < 0)
			goto io;
	}
	if (fflush(fp) != 0)
		goto io;
	return 0;
io:
	return si_err_set(err, SI_ERR_IO, "render_text: write failed");
}
