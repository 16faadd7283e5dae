#include "render.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "aws/sigv4.h"
#include "search/registry.h"
#include "util/buf.h"
#include "util/iso8601.h"
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
	const struct render_links *links;  /* borrowed (render_opts); NULL */
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

/* ---- links ---------------------------------------------------------------- */

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

/* A console link's target longer than this (an SSO shortcut wrapping a
 * long ARN) is not made: the id is shown unlinked. Above S_URL_MAX, so a
 * plain console URL the types give is always linked. */
#define S_LINK_CHARS 1400

/* A console URL's buffer: the types' URLs are far shorter; one that fills
 * it may have been cut by a snprintf, so it is not linked. */
#define S_URL_MAX 1024

/* The account id a console link is for: the match's, else the one its own
 * struct carries (an instance's reservation owner, an interface's owner);
 * NULL unless it is all digits, as AWS account ids are. */
static const char *s_link_account(const struct search_match *m)
{
	const char *id = m->account_id;
	size_t i;

	if (id == NULL && m->kind == SEARCH_MATCH_INSTANCE)
		id = m->instance.owner_id;
	else if (id == NULL && m->kind == SEARCH_MATCH_ENI)
		id = m->eni.owner_id;
	if (id == NULL || id[0] == '\0' || strlen(id) > 20)
		return NULL;
	for (i = 0; id[i] != '\0'; i++)
		if (id[i] < '0' || id[i] > '9')
			return NULL;
	return id;
}

/* 1 when [links] asks for IAM Identity Center's shortcut and its start URL
 * can be the front of a link: https, safe characters, no query or
 * fragment of its own (the shortcut adds "#/console?…"). */
static int s_sso_on(const struct render_links *l)
{
	return l != NULL && l->sso_start_url != NULL && l->role_name != NULL &&
	       l->role_name[0] != '\0' && s_link_safe(l->sso_start_url) &&
	       strchr(l->sso_start_url, '#') == NULL && strchr(l->sso_start_url, '?') == NULL;
}

/* The target of a link to url (s_link_safe) in t, raw (s_put_url writes
 * it): IAM Identity Center's shortcut SSO/#/console?account_id=&role_name=
 * &destination=<url, percent-encoded> when c->links is on and the account
 * is known, so a click lands in that account and role; else url. The
 * encoder is the one SigV4 uses (RFC 3986 unreserved kept). */
static void s_target(struct s_ctx *c, struct si_buf *t, const char *account, const char *url)
{
	const struct render_links *l = c->links;
	size_t n;

	si_buf_reset(t);
	if (account != NULL && s_sso_on(l)) {
		n = strlen(l->sso_start_url);
		while (n > 0 && l->sso_start_url[n - 1] == '/')
			n--;
		s_put(c, t, l->sso_start_url, n);
		s_puts(c, t, "/#/console?account_id=");
		s_puts(c, t, account);
		s_puts(c, t, "&role_name=");
		if (sigv4_uri_encode(t, l->role_name, strlen(l->role_name), 0, NULL) == 0) {
			s_puts(c, t, "&destination=");
			if (sigv4_uri_encode(t, url, strlen(url), 0, NULL) == 0)
				return;
		}
		si_buf_reset(t);
	}
	s_puts(c, t, url);
}

/* "<target|" of a link to url for m's account, and 1; or nothing and 0
 * when url is empty or unsafe or the target too long. The caller writes
 * the label and ">" when 1. */
static int s_link_open(struct s_ctx *c, struct si_buf *b, const struct search_match *m,
		       const char *url)
{
	struct si_buf t;
	int ok = 0;

	if (url == NULL || url[0] == '\0' || !s_link_safe(url))
		return 0;
	si_buf_init(&t, S_TEXT_BUF_MAX);
	s_target(c, &t, s_link_account(m), url);
	if (!c->failed && t.data != NULL && t.len > 0 && t.len <= S_LINK_CHARS) {
		s_puts(c, b, "<");
		s_put_url(c, b, t.data);
		s_puts(c, b, "|");
		ok = 1;
	}
	si_buf_free(&t, 0);
	return ok;
}

/* An EC2 console page of an instance or interface: "InstanceDetails:
 * instanceId=", "NetworkInterface:networkInterfaceId=", into url; "" when
 * region or id is not URL-safe (they go into the link unescaped). */
static const char *s_ec2_url(const char *region, const char *page, const char *id, char *url,
			     size_t n)
{
	int w;

	url[0] = '\0';
	if (!s_url_safe(region) || !s_url_safe(id))
		return url;
	w = snprintf(url, n, "https://%s.console.aws.amazon.com/ec2/home?region=%s#%s%s", region,
		     region, page, id);
	if (w < 0 || (size_t)w >= n)
		url[0] = '\0';
	return url;
}

static void s_date(struct s_ctx *c, struct si_buf *b, time_t t, int exact, int plain);

/* An ISO 8601 time AWS gave (LaunchTime, CreatedTime) as a Slack date,
 * or the text as it came (escaped) when it does not parse. */
static void s_iso_date(struct s_ctx *c, struct si_buf *b, const char *iso)
{
	time_t t;

	if (iso != NULL && si_iso8601_parse(iso, strlen(iso), &t, NULL) == 0)
		s_date(c, b, t, 1, 0);
	else
		s_esc(c, b, iso, S_VALUE_CHARS);
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
 * console, the id, and links to Config and Session Manager (each through
 * the account's SSO shortcut when [links] is set). Links are only made
 * when region and id are URL-safe, because they go into Slack's
 * <url|text> syntax unescaped. */
static void s_instance_text(struct s_ctx *c, struct si_buf *t, const struct search_match *m)
{
	const struct ec2_instance *in = &m->instance;
	const char *name = ec2_tag_get(in->tags, in->n_tags, "Name");
	char url[S_URL_MAX];
	int link, w;
	size_t i, shown = 0;

	s_puts(c, t, "*");
	link = s_link_open(c, t, m, s_ec2_url(m->region, "InstanceDetails:instanceId=",
					     in->instance_id, url, sizeof(url)));
	s_esc(c, t, name != NULL && name[0] != '\0' ? name : in->instance_id,
	      S_VALUE_CHARS);
	s_puts(c, t, link ? ">*" : "*");
	if (name != NULL && name[0] != '\0' && in->instance_id != NULL) {
		s_puts(c, t, " ");
		s_esc(c, t, in->instance_id, S_VALUE_CHARS);
	}
	if (link) {
		w = snprintf(url, sizeof(url), "https://%s.console.aws.amazon.com/config/home?"
			     "region=%s#/timeline/AWS::EC2::Instance/%s/configuration", m->region,
			     m->region, in->instance_id);
		s_puts(c, t, "\n");
		if (w > 0 && (size_t)w < sizeof(url) && s_link_open(c, t, m, url))
			s_puts(c, t, "Config timeline>" S_DOT);
		w = snprintf(url, sizeof(url), "https://%s.console.aws.amazon.com/systems-manager/"
			     "session-manager/%s?region=%s", m->region, in->instance_id, m->region);
		if (w > 0 && (size_t)w < sizeof(url) && s_link_open(c, t, m, url))
			s_puts(c, t, "Session Manager>");
	}
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
 * RENDER_MAX_FIELDS fields, the launch time as a Slack date. Assumes
 * c->failed short-circuits every helper, so a failed allocation ends in
 * one error, not a half-built block. */
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
	si_buf_reset(&v);
	if (in->launch_time != NULL && in->launch_time[0] != '\0') {
		s_iso_date(c, &v, in->launch_time);
		s_field_buf(c, fields, "Launched", &v);
	}
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

/* The first rule of s_owner_rules that e matches, or NULL. */
static const struct s_owner_rule *s_owner_rule_of(const struct ec2_eni *e)
{
	size_t i;

	for (i = 0; e != NULL && i < sizeof(s_owner_rules) / sizeof(s_owner_rules[0]); i++)
		if (s_rule_matches(&s_owner_rules[i], e))
			return &s_owner_rules[i];
	return NULL;
}

const char *render_eni_owner(const struct ec2_eni *e, char *buf, size_t len)
{
	const struct s_owner_rule *r;
	int n = -1;

	if (buf == NULL || len == 0)
		return "";
	buf[0] = '\0';
	if (e == NULL)
		return buf;
	r = s_owner_rule_of(e);
	if (r != NULL && r->strip > 0 && e->description[r->strip] != '\0')
		n = snprintf(buf, len, "%s %s", r->label, e->description + r->strip);
	else if (r != NULL)
		n = snprintf(buf, len, "%s", r->label);
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

/* AWS's partition of a region, for an ARN. */
static const char *s_partition(const char *region)
{
	if (SI_HAS_PREFIX(region, "cn-"))
		return "aws-cn";
	if (SI_HAS_PREFIX(region, "us-gov-"))
		return "aws-us-gov";
	return "aws";
}

/*
 * The console URL of the load balancer that owns interface m->eni, into
 * url (n bytes), or "". Elastic Load Balancing describes its interfaces
 * "ELB app/NAME/ID" (also net/, gwy/): the load balancer's ARN is
 * arn:PARTITION:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID;
 * a classic one's is "ELB NAME", found by name. The URL comes from the
 * registry's own load balancer types, so there is one shape of each.
 */
static const char *s_eni_lb_url(const struct search_match *m, const struct s_owner_rule *rule,
				char *url, size_t n)
{
	const struct ec2_eni *e = &m->eni;
	const char *account = s_link_account(m), *rest;
	const struct rt_type *t;
	struct res_resource lb;
	char key[S_URL_MAX];
	int w, classic;

	url[0] = '\0';
	if (rule == NULL || rule->strip == 0 || !s_url_safe(m->region))
		return url;
	rest = e->description + rule->strip;
	classic = strcmp(rule->desc_prefix, "ELB ") == 0;
	if (rest[0] == '\0' || (!classic && account == NULL))
		return url;
	if (classic)
		w = snprintf(key, sizeof(key), "%s", rest);
	else
		w = snprintf(key, sizeof(key), "arn:%s:elasticloadbalancing:%s:%s:loadbalancer/%s",
			     s_partition(m->region), m->region, account, rest);
	t = rt_by_name(classic ? "classic-load-balancer" : "load-balancer");
	if (w < 0 || (size_t)w >= sizeof(key) || t == NULL || t->console_url == NULL)
		return url;
	memset(&lb, 0, sizeof(lb));
	lb.type = t;
	if (classic)
		lb.id = key;
	else
		lb.arn = key;
	t->console_url(&lb, m->region, url, n);
	url[n - 1] = '\0';
	if (strlen(url) >= n - 1 || !s_link_safe(url))
		url[0] = '\0';
	return url;
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

/*
 * One Block Kit section for a matched network interface: its id (linked to
 * the console) and who owns it (render_eni_owner's guess from type,
 * description and requester) in the title, linked to the load balancer
 * itself when one owns it; then its addresses and where it lives. The
 * owner is said once: the description is left out when the label was made
 * from it, "Attached to" when the label is that instance. Same failure
 * rule as s_instance_block.
 */
static json_object *s_eni_block(struct s_ctx *c, const struct search_match *m)
{
	const struct ec2_eni *e = &m->eni;
	const struct s_owner_rule *rule = s_owner_rule_of(e);
	json_object *o = s_jobj(c), *fields = s_jarr(c);
	struct si_buf t, v;
	char owner[256], url[S_URL_MAX];
	int link;

	si_buf_init(&t, S_TEXT_BUF_MAX);
	si_buf_init(&v, S_TEXT_BUF_MAX);
	render_eni_owner(e, owner, sizeof(owner));
	s_puts(c, &t, "*");
	link = s_link_open(c, &t, m, s_ec2_url(m->region, "NetworkInterface:networkInterfaceId=",
					      e->eni_id, url, sizeof(url)));
	s_esc(c, &t, e->eni_id != NULL ? e->eni_id : "interface", S_VALUE_CHARS);
	s_puts(c, &t, link ? ">* " : "* ");
	link = s_link_open(c, &t, m, s_eni_lb_url(m, rule, url, sizeof(url)));
	s_esc(c, &t, owner, S_VALUE_CHARS);
	s_puts(c, &t, link ? ">" : "");
	s_set(c, o, "type", s_jstr(c, "section"));
	s_set(c, o, "text", s_mrkdwn(c, &t, RENDER_MAX_SECTION_TEXT));

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
	if (rule == NULL || rule->strip == 0)
		s_field(c, fields, "Description", e->description);
	if (rule != NULL)
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
	int link;

	s_puts(c, t, "*");
	link = s_link_open(c, t, m, s_res_url(m, url, sizeof(url)));
	s_esc(c, t, s_res_label(r), S_LABEL_CHARS);
	s_puts(c, t, link ? ">*" : "*");
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
/* A type's "Owner" field that only repeats the match's account id (the
 * Account field already says it): not printed a second time. */
static int s_field_repeats(const struct search_match *m, size_t i)
{
	const struct res_kv *f = &m->res.fields[i];

	return m->account_id != NULL && f->key != NULL && f->value != NULL &&
	       strcmp(f->key, "Owner") == 0 && strcmp(f->value, m->account_id) == 0;
}

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
		if (!s_field_repeats(m, i) &&
		    !s_field_esc(c, fields, r->fields[i].key, r->fields[i].value))
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
		if (s_field_repeats(m, i))
			continue;
		s_puts(c, &t, "\n*");
		s_esc(c, &t, r->fields[i].key, S_LABEL_CHARS);
		s_puts(c, &t, ":* ");
		s_esc(c, &t, r->fields[i].value, S_FIELD_VALUE_CHARS);
	}
	/* The creation time follows the type's fields, wherever they went. */
	if (r->created != NULL && in_fields == r->n_fields && !c->failed &&
	    json_object_array_length(fields) < RENDER_MAX_FIELDS) {
		struct si_buf v;

		si_buf_init(&v, S_TEXT_BUF_MAX);
		s_iso_date(c, &v, r->created);
		s_field_buf(c, fields, "Created", &v);
		si_buf_free(&v, 0);
	} else if (r->created != NULL) {
		s_puts(c, &t, "\n*Created:* ");
		s_iso_date(c, &t, r->created);
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

/* A line's text (its link aside) is cut here so that even hostile values
 * leave room for several lines per section. */
#define S_LINE_CHARS 480

/* The strings a section block adds to its text: "section" and "mrkdwn"
 * (RENDER_MAX_TEXT_TOTAL counts every string inside "blocks"). */
#define S_SECTION_UNITS 13

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
 * "Label <url|id> name — summary · region" for any match, the one link its
 * console page (through the account's SSO shortcut when [links] is set;
 * the id in backticks when there is no link). with_account adds
 * " · account" for a line outside the list's account groups. Instances
 * and interfaces are summarised here from their own structs (state, type,
 * address); other types by their summary callback, or their state.
 */
static void s_line(struct s_ctx *c, struct si_buf *b, const struct search_match *m,
		   int with_account)
{
	const char *label, *id, *name, *parts[3];
	char sum[S_SUMMARY_MAX], owner[256], url[S_URL_MAX];
	int link;

	if (m->kind == SEARCH_MATCH_INSTANCE) {
		const struct ec2_instance *in = &m->instance;

		label = s_type_label("instance");
		id = in->instance_id;
		name = ec2_tag_get(in->tags, in->n_tags, "Name");
		parts[0] = in->state;
		parts[1] = in->instance_type;
		parts[2] = in->private_ip;
		s_join(sum, sizeof(sum), parts, 3);
		s_ec2_url(m->region, "InstanceDetails:instanceId=", id, url, sizeof(url));
	} else if (m->kind == SEARCH_MATCH_ENI) {
		const struct ec2_eni *e = &m->eni;

		label = s_type_label("network-interface");
		id = e->eni_id;
		name = render_eni_owner(e, owner, sizeof(owner));
		parts[0] = e->status;
		parts[1] = e->n_ips > 0 ? e->ips[0].private_ip : NULL;
		s_join(sum, sizeof(sum), parts, 2);
		s_ec2_url(m->region, "NetworkInterface:networkInterfaceId=", id, url, sizeof(url));
	} else {
		label = s_res_label(&m->res);
		id = s_res_id(&m->res);
		name = m->res.name;
		if (name != NULL && id != NULL && strcmp(name, id) == 0)
			name = NULL;
		s_res_summary(&m->res, sum, sizeof(sum));
		s_res_url(m, url, sizeof(url));
	}
	s_esc(c, b, label, S_LABEL_CHARS);
	if (id != NULL) {
		s_puts(c, b, " ");
		link = s_link_open(c, b, m, url);
		s_puts(c, b, link ? "" : "`");
		s_esc(c, b, id, S_VALUE_CHARS);
		s_puts(c, b, link ? ">" : "`");
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
	if (with_account) {
		s_esc(c, b, s_match_account(m), S_VALUE_CHARS);
		s_puts(c, b, "/");
	}
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
 * Lines packed into sections within a message's budget: units counts the
 * block text used so far (the open section's included, with its
 * S_SECTION_UNITS), and a chunk is only added when it fits under
 * max_units and max_blocks. blocks NULL is a dry run that only counts
 * (render_pages finds its page breaks so).
 */
struct s_pack {
	json_object *blocks;    /* borrowed; NULL: dry run */
	struct si_buf sec;      /* the section being filled */
	size_t sec_units;
	size_t units, max_units;
	size_t n_blocks, max_blocks;  /* sections pushed or open */
};

static void s_pack_init(struct s_pack *p, json_object *blocks, size_t max_units,
			size_t max_blocks)
{
	memset(p, 0, sizeof(*p));
	p->blocks = blocks;
	p->max_units = max_units;
	p->max_blocks = max_blocks;
	si_buf_init(&p->sec, S_TEXT_BUF_MAX);
}

/* Push the open section, if any. */
static void s_pack_flush(struct s_ctx *c, struct s_pack *p)
{
	if (p->sec.len > 0 && p->blocks != NULL)
		s_push(c, p->blocks, s_section(c, &p->sec));
	si_buf_reset(&p->sec);
	p->sec_units = 0;
}

static void s_pack_free(struct s_ctx *c, struct s_pack *p)
{
	s_pack_flush(c, p);
	si_buf_free(&p->sec, 0);
}

/* Add the chunk (u units, at most RENDER_MAX_SECTION_TEXT) to the open
 * section, or to a new one when it would overflow; 0 (nothing added) when
 * the message has no room for it. */
static int s_pack_add(struct s_ctx *c, struct s_pack *p, const char *chunk, size_t len,
		      size_t u)
{
	int same = p->sec.len > 0 && p->sec_units + 1 + u <= RENDER_MAX_SECTION_TEXT;
	size_t cost = same ? 1 + u : S_SECTION_UNITS + u;

	if (u > RENDER_MAX_SECTION_TEXT || p->units + cost > p->max_units ||
	    (!same && p->n_blocks + 1 > p->max_blocks))
		return 0;
	if (!same) {
		s_pack_flush(c, p);
		p->n_blocks++;
	} else {
		s_puts(c, &p->sec, "\n");
		p->sec_units++;
	}
	s_put(c, &p->sec, chunk, len);
	p->sec_units += u;
	p->units += cost;
	return 1;
}

/* "*production* (123456789012)": the heading of an account's lines, with
 * " (continued)" on a page that starts inside the account. */
static void s_heading(struct s_ctx *c, struct si_buf *b, const struct search_match *m,
		      int continued)
{
	const char *id = s_link_account(m);

	s_puts(c, b, "*");
	s_esc(c, b, s_match_account(m), S_VALUE_CHARS);
	s_puts(c, b, "*");
	if (id != NULL && m->account_alias != NULL) {
		s_puts(c, b, " (");
		s_esc(c, b, id, S_VALUE_CHARS);
		s_puts(c, b, ")");
	}
	if (continued)
		s_puts(c, b, " (continued)");
}

/*
 * The lines of v[start..end) (s_line_order) into p, each account's first
 * line after its bold heading (the heading and the line go in as one
 * chunk, so a heading never ends a section alone). Stops at the first line
 * that does not fit; returns how many were added.
 */
static size_t s_pack_lines(struct s_ctx *c, struct s_pack *p, const struct s_line_ref *v,
			   size_t start, size_t end)
{
	struct si_buf chunk, line;
	size_t i;
	int first;

	si_buf_init(&chunk, S_TEXT_BUF_MAX);
	si_buf_init(&line, S_TEXT_BUF_MAX);
	for (i = start; i < end && !c->failed; i++) {
		si_buf_reset(&chunk);
		si_buf_reset(&line);
		first = i == start || strcmp(s_match_account(v[i - 1].m),
					     s_match_account(v[i].m)) != 0;
		if (first) {
			s_heading(c, &chunk, v[i].m, i == start && i > 0 &&
				  strcmp(s_match_account(v[i - 1].m),
					 s_match_account(v[i].m)) == 0);
			s_puts(c, &chunk, "\n");
		}
		s_line(c, &line, v[i].m, 0);
		s_fit(c, &line, S_LINE_CHARS + S_LINK_CHARS);
		if (line.data != NULL)
			s_put(c, &chunk, line.data, line.len);
		if (chunk.data == NULL ||
		    !s_pack_add(c, p, chunk.data, chunk.len, s_text_units(chunk.data, chunk.len)))
			break;
	}
	si_buf_free(&chunk, 0);
	si_buf_free(&line, 0);
	return i - start;
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

/* What the blocks above the matches may take of RENDER_MAX_TEXT_TOTAL,
 * each at most (in UTF-16 units): a note (query, DNS, inventory: a name
 * and a dozen addresses), the failures (six codes of five targets), the
 * per-account counts, the summary. Together with the history (one
 * section) about 9,000 in the worst case, so at least a card or a few
 * lines always fit; ordinary ones are a few hundred. */
#define S_NOTE_UNITS 800
#define S_FAILURES_UNITS 1600
#define S_COUNTS_UNITS 1500
#define S_SUMMARY_UNITS 400

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
		s_push(c, els, s_mrkdwn(c, &t, S_NOTE_UNITS));
		si_buf_reset(&t);
	}
	if (r->dns_note != NULL && r->dns_note[0] != '\0') {
		s_puts(c, &t, S_DNS_NOTE);
		s_esc(c, &t, r->dns_note, S_NOTE_CHARS);
		s_push(c, els, s_mrkdwn(c, &t, S_NOTE_UNITS + SI_LITLEN(S_DNS_NOTE)));
		si_buf_reset(&t);
	}
	if (r->index_note != NULL && r->index_note[0] != '\0') {
		s_esc(c, &t, r->index_note, S_NOTE_CHARS);
		s_push(c, els, s_mrkdwn(c, &t, S_NOTE_UNITS));
		si_buf_reset(&t);
	}
	if (r->n_failures > 0) {
		s_failures_text(c, &t, r, 0);
		s_push(c, els, s_mrkdwn(c, &t, S_FAILURES_UNITS));
	}
	s_set(c, o, "type", s_jstr(c, "context"));
	s_set(c, o, "elements", els);
	si_buf_free(&t, 0);
	return o;
}

/* extra: blocks beyond S_MIN_BLOCKS that must fit too (counts, history,
 * buttons). */
static size_t s_block_budget(const struct render_opts *o, size_t extra)
{
	size_t max = o != NULL ? o->max_blocks : 0;

	if (max == 0 || max > RENDER_MAX_BLOCKS)
		max = RENDER_MAX_BLOCKS;
	return max < S_MIN_BLOCKS + extra ? S_MIN_BLOCKS + extra : max;
}

/* UTF-16 units of every string value inside o (RENDER_MAX_TEXT_TOTAL's
 * count; keys and other values do not count). */
static size_t s_json_units(json_object *o)
{
	size_t n = 0, i;

	switch (json_object_get_type(o)) {
	case json_type_string:
		return s_text_units(json_object_get_string(o),
				    (size_t)json_object_get_string_len(o));
	case json_type_array:
		for (i = 0; i < json_object_array_length(o); i++)
			n += s_json_units(json_object_array_get_idx(o, i));
		return n;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			n += s_json_units(val);
		}
		return n;
	}
	default:
		return 0;
	}
}

/* Push block onto blocks, adding its units to *used. */
static void s_push_counted(struct s_ctx *c, json_object *blocks, json_object *block,
			   size_t *used)
{
	if (block != NULL)
		*used += s_json_units(block);
	s_push(c, blocks, block);
}

/* A section of our own text in b, cut to max units. */
static json_object *s_section_max(struct s_ctx *c, struct si_buf *b, size_t max)
{
	json_object *o = s_jobj(c);

	s_set(c, o, "type", s_jstr(c, "section"));
	s_set(c, o, "text", s_mrkdwn(c, b, max));
	return o;
}

/* A result id fit for a button's value: 1-64 of [A-Za-z0-9_-] (ours are
 * 32 hex digits). */
static int s_id_ok(const char *id)
{
	size_t i;

	if (id == NULL || id[0] == '\0')
		return 0;
	for (i = 0; id[i] != '\0'; i++)
		if (i >= 64 || !((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
				 (id[i] >= '0' && id[i] <= '9') || id[i] == '-' || id[i] == '_'))
			return 0;
	return 1;
}

static const char *s_result_id(const struct render_opts *o)
{
	return o != NULL && s_id_ok(o->result_id) ? o->result_id : NULL;
}

/* {"type":"button","text":{"type":"plain_text","text":…},"action_id":…,
 * "value":…}; text is ours and short (RENDER_MAX_BUTTON_TEXT). */
static json_object *s_button(struct s_ctx *c, const char *text, const char *action,
			     const char *value)
{
	json_object *o = s_jobj(c), *t = s_jobj(c);

	s_set(c, t, "type", s_jstr(c, "plain_text"));
	s_set(c, t, "text", s_jstr(c, text));
	s_set(c, o, "type", s_jstr(c, "button"));
	s_set(c, o, "text", t);
	s_set(c, o, "action_id", s_jstr(c, action));
	s_set(c, o, "value", s_jstr(c, value));
	return o;
}

/* The buttons of an answer kept as id (render_opts): "Show all N" when
 * not every match has a card, "Share in channel" when ephemeral,
 * "Refresh". */
static json_object *s_buttons_block(struct s_ctx *c, const struct render_opts *o,
				    const char *id, size_t n_matches, int show_all)
{
	json_object *b = s_jobj(c), *els = s_jarr(c);
	char text[RENDER_MAX_BUTTON_TEXT], num[S_NUM_MAX];

	if (show_all) {
		snprintf(text, sizeof(text), "Show all %s", s_num(n_matches, num));
		s_push(c, els, s_button(c, text, RENDER_ACTION_SHOW_ALL, id));
	}
	if (o->response_type == RENDER_EPHEMERAL)
		s_push(c, els, s_button(c, "Share in channel", RENDER_ACTION_SHARE, id));
	s_push(c, els, s_button(c, "Refresh", RENDER_ACTION_REFRESH, id));
	s_set(c, b, "type", s_jstr(c, "actions"));
	s_set(c, b, "elements", els);
	return b;
}

/* "replace_original" at the top: true when asked; false on a message with
 * buttons, which may be posted to a button's response_url, where leaving
 * it out could replace the message pressed. */
static void s_replace_original(struct s_ctx *c, json_object *root, const struct render_opts *o)
{
	json_object *v;

	if (o == NULL || (!o->replace_original && s_result_id(o) == NULL) || c->failed)
		return;
	v = json_object_new_boolean(o->replace_original ? 1 : 0);
	if (v == NULL)
		s_fail(c, SI_ERR_NOMEM, "out of memory");
	s_set(c, root, "replace_original", v);
}

/* "No matches for X in N accounts and M regions (T account-regions), S s",
 * or the at: summary. */
static void s_nothing_text(struct s_ctx *c, struct si_buf *t, const struct search_result *r)
{
	char n1[S_NUM_MAX], n2[S_NUM_MAX], n3[S_NUM_MAX];

	if (r->at_answered) {
		s_at_summary(c, t, r, 0);
		return;
	}
	s_puts(c, t, "No matches for ");
	s_esc(c, t, r->query_text, S_QUERY_CHARS);
	s_printf(c, t, " in %s %s and %s %s (%s %s), %.2f s",
		 s_num(r->n_accounts, n1), s_plural(r->n_accounts, "account", "accounts"),
		 s_num(r->n_regions, n2), s_plural(r->n_regions, "region", "regions"),
		 s_num(r->n_targets, n3),
		 s_plural(r->n_targets, "account-region", "account-regions"),
		 r->elapsed_s);
}

/* Contract in render.h. Why the at: branch: an answer from the inventory
 * alone has no live matches by design, and its summary must say which
 * moment it answers for, not "No matches"; the history block carries it. */
char *render_nothing_found(const struct search_result *r,
			   const struct render_opts *opts, struct si_err *err)
{
	struct s_ctx c = { 0, err, 0, NULL };
	struct si_buf t;
	json_object *root, *blocks;

	if (r == NULL) {
		si_err_set(err, SI_ERR_INVALID, "render: no result");
		return NULL;
	}
	c.now = r->index_now;
	si_buf_init(&t, S_TEXT_BUF_MAX);
	s_nothing_text(&c, &t, r);
	root = s_root(&c, s_response_type(opts), &t, &blocks);
	if (opts != NULL && opts->replace_original) {
		struct render_opts o = { opts->response_type, 0, NULL, NULL, 1 };

		s_replace_original(&c, root, &o);
	}
	s_push(&c, blocks, s_section_max(&c, &t, S_SUMMARY_UNITS));
	if (s_has_context(r))
		s_push(&c, blocks, s_context_block(&c, r));
	if (r->n_history > 0)
		s_push(&c, blocks, s_history_block(&c, r));
	si_buf_free(&t, 0);
	return s_finish(&c, root);
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

/* "581 more — narrow with `account:` or `region:`" */
static json_object *s_more_block(struct s_ctx *c, size_t n)
{
	struct si_buf t;
	json_object *o;
	char num[S_NUM_MAX];

	si_buf_init(&t, S_TEXT_BUF_MAX);
	s_printf(c, &t, "*%s more* \xe2\x80\x94 narrow with `account:` or `region:`",
		 s_num(n, num));
	o = s_section(c, &t);
	si_buf_free(&t, 0);
	return o;
}

/* The line form of m in a section of its own, with its account, cut to
 * max units: a card that did not fit its share of the budget. */
static json_object *s_line_block(struct s_ctx *c, const struct search_match *m, size_t max)
{
	struct si_buf t;
	json_object *o;

	si_buf_init(&t, S_TEXT_BUF_MAX);
	s_line(c, &t, m, 1);
	o = s_section_max(c, &t, max);
	si_buf_free(&t, 0);
	return o;
}

/*
 * Make a card fit max units: drop its fields from the last (the least
 * needed: description, tags, role), then cut its text. Returns the card's
 * units, or 0 when even a cut text would not leave a useful card (the
 * caller shows a line instead). A cut at s_fit's safe points never splits
 * a link or an entity.
 */
static size_t s_card_trim(struct s_ctx *c, json_object *card, size_t max)
{
	json_object *fields, *text, *str;
	struct si_buf t;
	size_t u = s_json_units(card), tu, keep;

	while (u > max && json_object_object_get_ex(card, "fields", &fields)) {
		size_t n = json_object_array_length(fields);

		if (n <= 1)
			json_object_object_del(card, "fields");
		else
			json_object_array_del_idx(fields, n - 1, 1);
		u = s_json_units(card);
	}
	if (u <= max)
		return u;
	if (!json_object_object_get_ex(card, "text", &text) ||
	    !json_object_object_get_ex(text, "text", &str))
		return 0;
	tu = s_json_units(str);
	if (u - max >= tu || tu - (u - max) < S_LINE_CHARS)
		return 0;
	keep = tu - (u - max);
	si_buf_init(&t, S_TEXT_BUF_MAX);
	s_puts(c, &t, json_object_get_string(str));
	s_fit(c, &t, keep);
	s_set(c, text, "text", s_jstr(c, t.data != NULL ? t.data : ""));
	si_buf_free(&t, 0);
	return s_json_units(card);
}

/* What render_result builds on: the context, opts and the tallies. */
struct s_msg {
	struct s_ctx c;
	const struct search_result *r;
	const struct render_opts *opts;
	const char *id;          /* result id of the buttons, NULL: none */
	json_object *root, *blocks;
	size_t used;             /* units of the blocks pushed */
	size_t n_blocks, max_blocks;
};

/* The cards of 1..RENDER_CARDS_MAX matches, each within an equal share of
 * what the budget has left (reserve: the buttons still to come). */
static void s_cards(struct s_msg *g, size_t reserve)
{
	const struct search_result *r = g->r;
	struct s_ctx *c = &g->c;
	size_t i, left, share, u;
	json_object *card;

	for (i = 0; i < r->n_matches && !c->failed; i++) {
		left = RENDER_MAX_TEXT_TOTAL - g->used - reserve;
		share = left / (r->n_matches - i);
		card = s_match_block(c, &r->matches[i]);
		if (card == NULL)
			return;
		u = s_json_units(card);
		if (u > share && s_card_trim(c, card, share) == 0) {
			json_object_put(card);
			card = s_line_block(c, &r->matches[i], share > 2 * S_SECTION_UNITS ?
					    share - S_SECTION_UNITS : S_SECTION_UNITS);
		}
		s_push_counted(c, g->blocks, card, &g->used);
		g->n_blocks++;
	}
}

/* The compact list: every match a line, grouped by account, while the
 * budget lasts (reserve: the "more" line and the buttons); then the
 * "more" line. */
static void s_compact(struct s_msg *g, size_t reserve)
{
	struct s_ctx *c = &g->c;
	struct s_line_ref *v;
	struct s_pack p;
	size_t shown, n = g->r->n_matches;

	v = s_line_order(c, g->r, 0);
	if (v == NULL)
		return;
	s_pack_init(&p, g->blocks, RENDER_MAX_TEXT_TOTAL - g->used - reserve,
		    g->max_blocks - g->n_blocks - 1 - (g->id != NULL));
	shown = s_pack_lines(c, &p, v, 0, n);
	s_pack_free(c, &p);
	g->used += p.units;
	g->n_blocks += p.n_blocks;
	free(v);
	if (shown < n) {
		s_push_counted(c, g->blocks, s_more_block(c, n - shown), &g->used);
		g->n_blocks++;
	}
}

/* Matches reached by following a host name (res.hop set on one of them):
 * the chain reads as one answer, so it keeps its cards. */
static int s_is_chain(const struct search_result *r)
{
	for (size_t i = 0; i < r->n_matches; i++)
		if (r->matches[i].kind == SEARCH_MATCH_RESOURCE && r->matches[i].res.hop != NULL)
			return 1;
	return 0;
}

/* A message over the budget (which the layout above is built never to
 * produce) is replaced by the fallback: Slack must never refuse it. */
static char *s_checked(char *js, const struct search_result *r,
		       const struct render_opts *opts, struct si_err *err)
{
	struct render_size sz;

	if (js == NULL || render_measure(js, &sz, NULL) != 0 ||
	    (sz.text_chars <= RENDER_MAX_TEXT_TOTAL && sz.blocks <= RENDER_MAX_BLOCKS))
		return js;
	free(js);
	return render_fallback(r, opts, err);
}

/* Contract in render.h. Why the order: Slack refuses a message over its
 * block or text limits outright, so the blocks above the matches (each
 * capped) are built first, the buttons' and the "more" line's room is
 * reserved, and the matches get what is left: full cards for a few, else
 * one line each while the budget lasts. Assumes c.failed stops all
 * further building after the first allocation failure. */
char *render_result(const struct search_result *r, const struct render_opts *opts,
		    struct si_err *err)
{
	struct s_msg g;
	struct si_buf t, counts;
	json_object *buttons = NULL;
	size_t has_context, has_history, has_buttons, reserve, more_units;
	int cards, has_counts = 0;

	if (r == NULL) {
		si_err_set(err, SI_ERR_INVALID, "render: no result");
		return NULL;
	}
	if (r->n_matches == 0)
		return render_nothing_found(r, opts, err);
	memset(&g, 0, sizeof(g));
	g.c.err = err;
	g.c.now = r->index_now;
	g.c.links = opts != NULL ? opts->links : NULL;
	g.r = r;
	g.opts = opts;
	g.id = s_result_id(opts);
	si_buf_init(&t, S_TEXT_BUF_MAX);
	si_buf_init(&counts, S_TEXT_BUF_MAX);
	has_context = s_has_context(r) ? 1 : 0;
	has_history = r->n_history > 0 ? 1 : 0;
	has_buttons = g.id != NULL ? 1 : 0;
	g.max_blocks = s_block_budget(opts, has_history + has_buttons);
	/* Cards when few enough matches and their blocks fit; else the list,
	 * with the counts when the blocks allow. */
	cards = (r->n_matches <= RENDER_CARDS_MAX ||
		 (r->n_matches <= RENDER_CHAIN_CARDS_MAX && s_is_chain(r))) &&
		1 + has_context + has_history + r->n_matches + has_buttons <= g.max_blocks;
	if (!cards && s_counts_text(&g.c, &counts, r)) {
		g.max_blocks = s_block_budget(opts, 1 + has_history + has_buttons);
		has_counts = 1;
	}
	s_summary_text(&g.c, &t, r);
	g.root = s_root(&g.c, s_response_type(opts), &t, &g.blocks);
	s_replace_original(&g.c, g.root, opts);
	s_push_counted(&g.c, g.blocks, s_section_max(&g.c, &t, S_SUMMARY_UNITS), &g.used);
	if (has_counts)
		s_push_counted(&g.c, g.blocks, s_section_max(&g.c, &counts, S_COUNTS_UNITS),
			       &g.used);
	if (has_context)
		s_push_counted(&g.c, g.blocks, s_context_block(&g.c, r), &g.used);
	if (has_history)
		s_push_counted(&g.c, g.blocks, s_history_block(&g.c, r), &g.used);
	g.n_blocks = 1 + has_counts + has_context + has_history;
	if (has_buttons)
		buttons = s_buttons_block(&g.c, opts, g.id, r->n_matches, !cards);
	reserve = buttons != NULL ? s_json_units(buttons) : 0;
	if (cards) {
		s_cards(&g, reserve);
	} else {
		json_object *more = s_more_block(&g.c, r->n_matches);

		more_units = more != NULL ? s_json_units(more) : 0;
		json_object_put(more);
		s_compact(&g, reserve + more_units);
	}
	if (buttons != NULL)
		s_push_counted(&g.c, g.blocks, buttons, &g.used);
	si_buf_free(&t, 0);
	si_buf_free(&counts, 0);
	return s_checked(s_finish(&g.c, g.root), r, opts, err);
}

/* Contract in render.h. Why here: the pool, the fuzz target and the tests
 * all check a message against Slack's budget, and they must count exactly
 * as the renderer does (s_json_units). */
int render_measure(const char *json, struct render_size *out, struct si_err *err)
{
	json_tokener *tok;
	json_object *o, *blocks;
	size_t len;

	if (json == NULL || out == NULL)
		return si_err_set(err, SI_ERR_INVALID, "render_measure: no message");
	len = strlen(json);
	if (len >= (size_t)INT_MAX)
		return si_err_set(err, SI_ERR_INVALID, "render_measure: message too large");
	tok = json_tokener_new();
	if (tok == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	o = json_tokener_parse_ex(tok, json, (int)len + 1);
	json_tokener_free(tok);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return si_err_set(err, SI_ERR_INVALID, "render_measure: not a JSON object");
	}
	memset(out, 0, sizeof(*out));
	out->json_bytes = len;
	if (json_object_object_get_ex(o, "blocks", &blocks)) {
		if (!json_object_is_type(blocks, json_type_array)) {
			json_object_put(o);
			return si_err_set(err, SI_ERR_INVALID,
					  "render_measure: \"blocks\" is not an array");
		}
		out->blocks = json_object_array_length(blocks);
		out->text_chars = s_json_units(blocks);
	}
	json_object_put(o);
	return 0;
}

/* What a page's header and last line may take: "*Page 40 of 40* — N
 * matches for QUERY" and "N more — narrow…". */
#define S_PAGE_HEAD_UNITS 400
#define S_PAGE_MORE_UNITS 200

/* The page header: "*Page K of N* · 600 matches for X". */
static void s_page_head(struct s_ctx *c, struct si_buf *t, const struct search_result *r,
			size_t k, size_t n)
{
	char n1[S_NUM_MAX];

	s_printf(c, t, "*Page %zu of %zu* " S_DOT, k, n);
	s_printf(c, t, "%s %s for ", s_num(r->n_matches, n1),
		 s_plural(r->n_matches, "match", "matches"));
	s_esc(c, t, r->query_text, S_QUERY_CHARS);
}

/* One page: the lines of v[start..end), "N more" when rest > 0. */
static json_object *s_page(struct s_ctx *c, const struct search_result *r,
			   const struct s_line_ref *v, size_t start, size_t end, size_t k,
			   size_t n_pages, size_t rest)
{
	struct render_opts o = { RENDER_EPHEMERAL, 0, NULL, NULL, 0 };
	struct si_buf t;
	struct s_pack p;
	json_object *root, *blocks, *f;

	si_buf_init(&t, S_TEXT_BUF_MAX);
	s_page_head(c, &t, r, k + 1, n_pages);
	root = s_root(c, s_response_type(&o), &t, &blocks);
	f = c->failed ? NULL : json_object_new_boolean(0);
	s_set(c, root, "replace_original", f);
	s_push(c, blocks, s_section_max(c, &t, S_PAGE_HEAD_UNITS));
	s_pack_init(&p, blocks, RENDER_MAX_TEXT_TOTAL - S_PAGE_HEAD_UNITS - S_PAGE_MORE_UNITS -
		    2 * S_SECTION_UNITS, RENDER_MAX_BLOCKS - 2);
	(void)s_pack_lines(c, &p, v, start, end);
	s_pack_free(c, &p);
	if (rest > 0)
		s_push(c, blocks, s_more_block(c, rest));
	si_buf_free(&t, 0);
	return root;
}

/* Contract in render.h. Why two passes: each page says "Page K of N", so
 * the page breaks are found first by a dry run of the same packing
 * (s_pack with no blocks), then the pages are built with N known. */
char *render_pages(const struct search_result *r, const struct render_opts *opts,
		   size_t *n_pages, struct si_err *err)
{
	struct s_ctx c = { 0, err, 0, NULL };
	size_t starts[RENDER_PAGES_MAX + 1], pages = 0, i = 0, k, n;
	struct s_line_ref *v;
	struct s_pack p;
	json_object *arr;

	if (r == NULL || n_pages == NULL) {
		si_err_set(err, SI_ERR_INVALID, "render: no result");
		return NULL;
	}
	c.now = r->index_now;
	c.links = opts != NULL ? opts->links : NULL;
	n = r->n_matches;
	v = s_line_order(&c, r, 0);
	if (v == NULL)
		return NULL;
	while (i < n && pages < RENDER_PAGES_MAX && !c.failed) {
		starts[pages++] = i;
		s_pack_init(&p, NULL, RENDER_MAX_TEXT_TOTAL - S_PAGE_HEAD_UNITS -
			    S_PAGE_MORE_UNITS - 2 * S_SECTION_UNITS, RENDER_MAX_BLOCKS - 2);
		k = s_pack_lines(&c, &p, v, i, n);
		s_pack_free(&c, &p);
		if (k == 0)
			break;   /* cannot happen: a line is far under a page */
		i += k;
	}
	if (pages == 0)
		starts[pages++] = 0;
	starts[pages] = i;
	arr = s_jarr(&c);
	for (k = 0; k < pages && !c.failed; k++)
		s_push(&c, arr, s_page(&c, r, v, starts[k], starts[k + 1], k, pages,
				       k + 1 == pages ? n - i : 0));
	free(v);
	*n_pages = pages;
	return s_finish(&c, arr);
}

char *render_more_pages(const char *result_id, size_t next_page, size_t n_pages,
			struct si_err *err)
{
	struct s_ctx c = { 0, err, 0, NULL };
	struct si_buf t;
	json_object *root, *blocks, *actions, *els, *f;
	char text[RENDER_MAX_BUTTON_TEXT], value[96];

	if (!s_id_ok(result_id) || next_page == 0 || next_page >= n_pages) {
		si_err_set(err, SI_ERR_INVALID, "render: bad result id or page");
		return NULL;
	}
	si_buf_init(&t, S_TEXT_BUF_MAX);
	s_printf(&c, &t, "Pages 1-%zu of %zu shown.", next_page, n_pages);
	if (next_page + 1 == n_pages)
		snprintf(text, sizeof(text), "Show page %zu", n_pages);
	else
		snprintf(text, sizeof(text), "Show pages %zu-%zu", next_page + 1, n_pages);
	snprintf(value, sizeof(value), "%s:%zu", result_id, next_page);
	root = s_root(&c, "ephemeral", &t, &blocks);
	f = c.failed ? NULL : json_object_new_boolean(0);
	s_set(&c, root, "replace_original", f);
	s_push(&c, blocks, s_section(&c, &t));
	actions = s_jobj(&c);
	els = s_jarr(&c);
	s_push(&c, els, s_button(&c, text, RENDER_ACTION_MORE, value));
	s_set(&c, actions, "type", s_jstr(&c, "actions"));
	s_set(&c, actions, "elements", els);
	s_push(&c, blocks, actions);
	si_buf_free(&t, 0);
	return s_finish(&c, root);
}

/* Contract in render.h. Why so little: Slack refused the real answer for a
 * reason we may not know (size, a block it did not like), so this one
 * carries only our own short texts and the counts, each capped, well
 * inside every limit. */
char *render_fallback(const struct search_result *r, const struct render_opts *opts,
		      struct si_err *err)
{
	struct s_ctx c = { 0, err, 0, NULL };
	struct si_buf t;
	json_object *root, *blocks;
	char n1[S_NUM_MAX], n2[S_NUM_MAX];

	if (r == NULL) {
		si_err_set(err, SI_ERR_INVALID, "render: no result");
		return NULL;
	}
	c.now = r->index_now;
	si_buf_init(&t, S_TEXT_BUF_MAX);
	if (r->n_matches == 0)
		s_nothing_text(&c, &t, r);
	else
		s_summary_text(&c, &t, r);
	root = s_root(&c, s_response_type(opts), &t, &blocks);
	if (opts != NULL && opts->replace_original) {
		struct render_opts o = { opts->response_type, 0, NULL, NULL, 1 };

		s_replace_original(&c, root, &o);
	}
	s_push(&c, blocks, s_section_max(&c, &t, S_SUMMARY_UNITS));
	si_buf_reset(&t);
	if (r->n_matches > 0 && s_counts_text(&c, &t, r))
		s_push(&c, blocks, s_section_max(&c, &t, S_COUNTS_UNITS));
	si_buf_reset(&t);
	if (r->n_matches > 0)
		s_puts(&c, &t, "The full answer was too large to show here. To see the "
		       "matches, narrow the search with `account:ALIAS` or `region:REGION`.");
	if (r->n_failures > 0)
		s_printf(&c, &t, "%s%s of %s %s failed.", t.len > 0 ? " " : "",
			 s_num(r->n_failures, n1),
			 s_num(r->n_targets > r->n_failures ? r->n_targets : r->n_failures, n2),
			 s_plural(r->n_targets, "target", "targets"));
	if (t.len > 0)
		s_push(&c, blocks, s_section_max(&c, &t, S_SUMMARY_UNITS));
	si_buf_free(&t, 0);
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
	struct s_ctx c = { 0, err, 0, NULL };
	struct si_buf b;

	si_buf_init(&b, S_TEXT_BUF_MAX);
	s_puts(&c, &b, ":warning: ");
	s_esc(&c, &b, text != NULL ? text : "Something went wrong.", RENDER_MAX_SECTION_TEXT);
	return s_simple(&c, "ephemeral", &b);
}

char *render_pending(size_t n_accounts, size_t n_regions, struct si_err *err)
{
	struct s_ctx c = { 0, err, 0, NULL };
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
	struct s_ctx c = { 0, err, 0, NULL };
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
	struct s_ctx c = { 0, err, 0, NULL };
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
	struct s_ctx c = { 0, err, 0, NULL };
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
	struct s_ctx c = { 0, err, r->index_now, NULL };
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
		char *msg = NULL;
		int wr;

		s_cell(a, f->account_alias);
		s_cell(rg, f->region);
		s_cell(code, f->code);
		/* AWS's whole message: the reason a target failed is what the
		 * reader of this line came for. */
		if (f->message != NULL) {
			msg = malloc(strlen(f->message) + 1);
			if (msg == NULL)
				return si_err_set(err, SI_ERR_NOMEM, "out of memory");
			s_plain(msg, strlen(f->message), f->message);
		}
		wr = fprintf(fp, "failed: %s/%s: %s%s%s%s\n", a, rg, code, msg ? " (" : "",
			     msg ? msg : "", msg ? ")" : "");
		free(msg);
		if (wr < 0)
			goto io;
	}
	if (fflush(fp) != 0)
		goto io;
	return 0;
io:
	return si_err_set(err, SI_ERR_IO, "render_text: write failed");
}
