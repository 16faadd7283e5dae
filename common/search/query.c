#include "search/query.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aws/region.h"
#include "util/strutil.h"
#include "util/utf8.h"

/* How much of a bad term is quoted back to the user: enough to recognise
 * it, short enough that the reason fits QUERY_REASON_MAX. */
#define S_QUOTE "%.60s"

/* The hex digit counts EC2 has used for resource IDs: 8 before 2016, 17
 * since ("longer resource IDs"). */
#define S_ID_SHORT 8
#define S_ID_LONG 17

#define S_US_EAST_1 "us-east-1"

/* Spellings the classifier looks for at the start of a term. */
#define S_ARN_INSTANCE "instance/"
#define S_IP_PREFIX "ip-"
#define S_MOD_ACCOUNT "account:"
#define S_MOD_REGION "region:"

/* ---- small helpers ---------------------------------------------------- */

static int s_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int s_suffix(const char *s, size_t n, const char *suffix, size_t *cut)
{
	size_t m = strlen(suffix);

	if (n < m || memcmp(s + n - m, suffix, m) != 0)
		return 0;
	*cut = n - m;
	return 1;
}

static void s_copy(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Copy n bytes of src lower-cased into dst (size cap), NUL-terminated.
 * Callers guarantee n < cap. */
static void s_copy_lower(char *dst, size_t cap, const char *src, size_t n)
{
	s_copy(dst, cap, src, n);
	si_ascii_lower(dst);
}

__attribute__((format(printf, 2, 3)))
static enum query_kind s_malformed(struct query_term *out, const char *fmt, ...)
{
	va_list ap;

	out->kind = QUERY_MALFORMED;
	va_start(ap, fmt);
	(void)vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	return QUERY_MALFORMED;
}


/* Number of characters in s[0..n) if it is valid UTF-8 without control
 * characters; -1 otherwise. */
static long s_text_chars(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	long chars = 0;

	while (i < n) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return -1;
		k = utf8_seq(p + i, n - i, NULL);
		if (k == 0)
			return -1;
		i += k;
		chars++;
	}
	return chars;
}

/* ---- shapes shared by several matchers -------------------------------- */

/*
 * Strict IPv4: four decimal numbers 0..255 separated by sep, no leading
 * zeros, no signs or spaces. On success writes the dotted form to dotted
 * (>= 16 bytes) and returns 0; otherwise a reason quoting term.
 */
static int s_ipv4_strict(const char *s, size_t n, char sep, char *dotted,
			 const char *term, struct query_term *out)
{
	unsigned int val[4] = { 0, 0, 0, 0 };
	size_t i, parts = 0, digits = 0, zero_lead = 0;
	unsigned char bin[4];

	for (i = 0; i <= n; i++) {
		char c = i < n ? s[i] : sep;

		if (c == sep) {
			if (digits == 0 || parts >= 4)
				goto shape;
			if (digits > 3 || val[parts] > 255) {
				s_malformed(out, "'" S_QUOTE "' is not an IPv4 address: "
					    "each number must be 0 to 255", term);
				return -1;
			}
			if (digits > 1 && s[i - digits] == '0')
				zero_lead = 1;
			parts++;
			digits = 0;
			continue;
		}
		/* A fifth number has nowhere to go: "1.2.3.4.5". */
		if (!s_is_digit(c) || parts >= 4)
			goto shape;
		if (digits < 4)
			val[parts] = val[parts] * 10 + (unsigned int)(c - '0');
		digits++;
	}
	if (parts != 4)
		goto shape;
	if (zero_lead) {
		s_malformed(out, "'" S_QUOTE "' has a number with a leading zero, "
			    "which some tools read as octal; write %u.%u.%u.%u if "
			    "that is what you mean", term, val[0], val[1], val[2], val[3]);
		return -1;
	}
	(void)snprintf(dotted, 16, "%u.%u.%u.%u", val[0], val[1], val[2], val[3]);
	/* Belt and braces: the C library must agree it is an address. */
	if (inet_pton(AF_INET, dotted, bin) != 1)
		goto shape;
	return 0;
shape:
	s_malformed(out, "'" S_QUOTE "' is not an IPv4 address: it needs four "
		    "numbers, like 10.0.0.1", term);
	return -1;
}

/*
 * An "<prefix><hex>" resource ID: 8 or 17 hex digits, any case. Writes the
 * lower-case ID to dst (>= 4 + S_ID_LONG + 1 bytes) or a reason.
 */
static int s_resource_id(const char *s, const char *prefix, const char *what,
			 const char *term, char *dst, size_t cap,
			 struct query_term *out)
{
	size_t plen = strlen(prefix), n = strlen(s), i;

	if (n == plen)
		return s_malformed(out, "'" S_QUOTE "' needs the hex digits of the %s "
				   "after it, e.g. %s0123456789abcdef0", term, what,
				   prefix), -1;
	for (i = plen; i < n; i++)
		if (si_hexval((unsigned char)s[i]) < 0)
			return s_malformed(out, "'" S_QUOTE "' is not a valid %s: '%c' "
					   "is not a hex digit", term, what,
					   s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?'), -1;
	if (n - plen != S_ID_SHORT && n - plen != S_ID_LONG)
		return s_malformed(out, "'" S_QUOTE "' is not a valid %s: it has %zu "
				   "hex digits, %s IDs have 8 or 17", term, what,
				   n - plen, what), -1;
	s_copy_lower(dst, cap, s, n);
	return 0;
}

/* ---- the matchers, tried in table order ------------------------------ */

/*
 * A matcher returns 0 when the term is not its kind (the next is tried), or
 * 1 when it claims the term, having set out->kind (possibly to
 * QUERY_MALFORMED with a reason). term is the user's text, NUL-terminated,
 * free of whitespace and control characters, at most QUERY_MAX_TERM_LEN.
 */
struct s_matcher {
	const char *name;
	int (*match)(const char *term, size_t n, struct query_term *out);
};

/* An EC2 instance ARN, arn:PARTITION:ec2:REGION:ACCOUNT:instance/i-...: the
 * most precise term there is, since it names the account and region to ask.
 * Claims every term starting "arn:" so that a wrong ARN gets a reason that
 * names the bad field instead of falling through to a Name search. */
static int s_match_arn(const char *term, size_t n, struct query_term *out)
{
	char lower[QUERY_MAX_TERM_LEN + 1];
	char *field[6];
	const char *part, *res;
	char *p;
	size_t nf = 0, i;

	if (!SI_HAS_PREFIX_CI(term, "arn:"))
		return 0;
	s_copy_lower(lower, sizeof(lower), term, n);
	/* arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE */
	p = lower;
	while (nf < 6) {
		field[nf++] = p;
		p = strchr(p, ':');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	if (nf != 6 || p != NULL)
		return s_malformed(out, "'" S_QUOTE "' is not an ARN of the form "
				   "arn:aws:ec2:REGION:ACCOUNT:instance/i-...", term), 1;
	part = SI_AFTER_PREFIX(field[1], "aws");
	if (part == NULL || (*part != '\0' && *part != '-'))
		return s_malformed(out, "'" S_QUOTE "' has an unknown partition "
				   "(expected aws, aws-cn, aws-us-gov, ...)", term), 1;
	res = SI_AFTER_PREFIX(field[5], S_ARN_INSTANCE);
	if (strcmp(field[2], "ec2") != 0 || res == NULL)
		return s_malformed(out, "only EC2 instance ARNs can be searched "
				   "(arn:aws:ec2:REGION:ACCOUNT:instance/i-...), not '"
				   S_QUOTE "'", term), 1;
	if (!aws_region_valid(field[3]))
		return s_malformed(out, "'%.32s' in the ARN is not a region name "
				   "like eu-west-2", field[3]), 1;
	for (i = 0; field[4][i] != '\0'; i++)
		if (!s_is_digit(field[4][i]))
			break;
	if (i != 12 || field[4][i] != '\0')
		return s_malformed(out, "the account in ARN '" S_QUOTE "' must be "
				   "12 digits", term), 1;
	if (s_resource_id(res, "i-", "instance ID", res,
			  out->instance_id, sizeof(out->instance_id), out) != 0)
		return 1;
	out->kind = QUERY_INSTANCE_ARN;
	s_copy(out->region, sizeof(out->region), field[3], strlen(field[3]));
	s_copy(out->account_id, sizeof(out->account_id), field[4], 12);
	(void)snprintf(out->value, sizeof(out->value), "arn:%s:ec2:%s:%s:instance/%s",
		       field[1], out->region, out->account_id, out->instance_id);
	return 1;
}

/* The EC2 DNS suffixes, longest first where one ends another. */
struct s_dns_suffix {
	const char *suffix;
	enum query_kind kind;
	const char *region;    /* fixed region, or NULL: encoded before suffix */
	const char *host_prefix;
};

static const struct s_dns_suffix s_dns_suffixes[] = {
	{ ".ec2.internal", QUERY_PRIVATE_DNS, S_US_EAST_1, NULL },
	{ ".compute.internal", QUERY_PRIVATE_DNS, NULL, NULL },
	{ ".compute-1.amazonaws.com", QUERY_PUBLIC_DNS, S_US_EAST_1, "ec2-" },
	{ ".compute.amazonaws.com", QUERY_PUBLIC_DNS, NULL, "ec2-" },
	{ ".compute.amazonaws.com.cn", QUERY_PUBLIC_DNS, NULL, "ec2-" },
};

/* Decode the host label of an EC2 name: "ip-A-B-C-D", "ec2-A-B-C-D" or
 * (private only) "i-<17 hex>". */
static int s_dns_host(const char *host, size_t hn, const struct s_dns_suffix *sx,
		      const char *term, struct query_term *out)
{
	char label[QUERY_MAX_TERM_LEN + 1];
	const char *want = sx->host_prefix ? sx->host_prefix : "ip-";
	size_t wl = strlen(want);

	s_copy(label, sizeof(label), host, hn);
	if (sx->kind == QUERY_PRIVATE_DNS && SI_HAS_PREFIX(label, "i-"))
		return s_resource_id(label, "i-", "instance ID", term,
				     out->instance_id, sizeof(out->instance_id), out);
	if (hn <= wl || strncmp(label, want, wl) != 0) {
		s_malformed(out, "'" S_QUOTE "' looks like an EC2 DNS name, but "
			    "its first part should be %sA-B-C-D", term, want);
		return -1;
	}
	return s_ipv4_strict(label + wl, hn - wl, '-', out->ip, term, out);
}

/* An EC2 DNS name (ip-10-1-2-3.eu-west-2.compute.internal,
 * ec2-203-0-113-5.compute-1.amazonaws.com, ...): the suffix table says
 * public or private and where the region is; the host label carries the
 * address or instance id. Assumes term is at most QUERY_MAX_TERM_LEN. */
static int s_match_dns(const char *term, size_t n, struct query_term *out)
{
	char name[QUERY_MAX_TERM_LEN + 1];
	const struct s_dns_suffix *sx = NULL;
	size_t i, cut = 0, hn;
	const char *dot;

	s_copy_lower(name, sizeof(name), term, n);
	if (n > 1 && name[n - 1] == '.')   /* fully qualified form */
		name[--n] = '\0';
	for (i = 0; i < sizeof(s_dns_suffixes) / sizeof(s_dns_suffixes[0]); i++) {
		if (s_suffix(name, n, s_dns_suffixes[i].suffix, &cut)) {
			sx = &s_dns_suffixes[i];
			break;
		}
	}
	if (sx == NULL)
		return 0;
	name[cut] = '\0';
	dot = strchr(name, '.');
	if (sx->region != NULL) {
		if (dot != NULL || cut == 0)
			return s_malformed(out, "'" S_QUOTE "' is not an EC2 DNS name: "
					   "expected one label before %s", term,
					   sx->suffix + 1), 1;
		s_copy(out->region, sizeof(out->region), sx->region, strlen(sx->region));
		hn = cut;
	} else {
		if (dot == NULL || strchr(dot + 1, '.') != NULL ||
		    !aws_region_valid(dot + 1))
			return s_malformed(out, "'" S_QUOTE "' is not an EC2 DNS name: "
					   "expected HOST.REGION%s", term, sx->suffix), 1;
		s_copy(out->region, sizeof(out->region), dot + 1, strlen(dot + 1));
		hn = (size_t)(dot - name);
	}
	if (s_dns_host(name, hn, sx, term, out) != 0)
		return 1;
	name[cut] = sx->suffix[0];
	out->kind = sx->kind;
	s_copy(out->value, sizeof(out->value), name, n);
	return 1;
}

/* "ip-10-1-2-3" as a shell prompt shows the host name: claimed only if
 * its shape is ip-N-N-N-N, so Names like "ip-allowlist" stay Names. */
static int s_match_bare_host(const char *term, size_t n, struct query_term *out)
{
	size_t i, dashes = 0;

	if (!SI_HAS_PREFIX_CI(term, S_IP_PREFIX) || n < SI_LITLEN("ip-0-0-0-0"))
		return 0;
	for (i = SI_LITLEN(S_IP_PREFIX); i < n; i++) {
		if (term[i] == '-')
			dashes++;
		else if (!s_is_digit(term[i]))
			return 0;
	}
	if (dashes != 3)
		return 0;
	if (s_ipv4_strict(term + SI_LITLEN(S_IP_PREFIX), n - SI_LITLEN(S_IP_PREFIX), '-',
			  out->ip, term, out) != 0)
		return 1;
	out->kind = QUERY_PRIVATE_DNS;
	s_copy_lower(out->value, sizeof(out->value), term, n);
	return 1;
}

static int s_match_ipv6(const char *term, size_t n, struct query_term *out)
{
	unsigned char bin[16];
	size_t i;

	if (memchr(term, ':', n) == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (si_hexval((unsigned char)term[i]) < 0 && term[i] != ':' && term[i] != '.')
			return 0;
	if (inet_pton(AF_INET6, term, bin) != 1)
		return s_malformed(out, "'" S_QUOTE "' is not a valid IPv6 address",
				   term), 1;
	if (inet_ntop(AF_INET6, bin, out->ip, sizeof(out->ip)) == NULL)
		return s_malformed(out, "'" S_QUOTE "' could not be normalised", term), 1;
	out->kind = QUERY_IPV6;
	s_copy(out->value, sizeof(out->value), out->ip, strlen(out->ip));
	return 1;
}

static int s_match_ipv4(const char *term, size_t n, struct query_term *out)
{
	size_t i;

	if (memchr(term, '.', n) == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (!s_is_digit(term[i]) && term[i] != '.')
			return 0;
	if (s_ipv4_strict(term, n, '.', out->ip, term, out) != 0)
		return 1;
	out->kind = QUERY_IPV4;
	s_copy(out->value, sizeof(out->value), out->ip, strlen(out->ip));
	return 1;
}

static int s_match_instance_id(const char *term, size_t n, struct query_term *out)
{
	(void)n;
	if (!SI_HAS_PREFIX_CI(term, "i-"))
		return 0;
	if (s_resource_id(term, "i-", "instance ID", term, out->value,
			  sizeof(out->value), out) != 0)
		return 1;
	out->kind = QUERY_INSTANCE_ID;
	s_copy(out->instance_id, sizeof(out->instance_id), out->value,
	       strlen(out->value));
	return 1;
}

static int s_match_eni_id(const char *term, size_t n, struct query_term *out)
{
	(void)n;
	if (!SI_HAS_PREFIX_CI(term, "eni-"))
		return 0;
	if (s_resource_id(term, "eni-", "network interface ID", term, out->value,
			  sizeof(out->value), out) != 0)
		return 1;
	out->kind = QUERY_ENI_ID;
	return 1;
}

static int s_match_name(const char *term, size_t n, struct query_term *out)
{
	size_t i, k = 0;

	if (s_text_chars(term, n) < 2)
		return s_malformed(out, "'" S_QUOTE "' is too short: search for at "
				   "least 2 characters of a Name tag", term), 1;
	if (strpbrk(term, "*?") != NULL)
		return s_malformed(out, "'" S_QUOTE "': wildcards * and ? are not "
				   "needed, names already match anywhere in the "
				   "Name tag", term), 1;
	out->kind = QUERY_NAME;
	s_copy(out->value, sizeof(out->value), term, n);
	/* EC2 filter values treat '\' as an escape, so a literal backslash in
	 * a Name must be doubled; filter has room for 2n + 3. */
	out->filter[k++] = '*';
	for (i = 0; i < n; i++) {
		if (term[i] == '\\')
			out->filter[k++] = '\\';
		out->filter[k++] = term[i];
	}
	out->filter[k++] = '*';
	out->filter[k] = '\0';
	return 1;
}

/* Order matters: ARNs and DNS names contain ':' and '.', resource-based
 * DNS names start with "i-"; everything unclaimed is a Name. */
static const struct s_matcher s_matchers[] = {
	{ "instance-arn", s_match_arn },
	{ "dns", s_match_dns },
	{ "bare-host", s_match_bare_host },
	{ "ipv6", s_match_ipv6 },
	{ "ipv4", s_match_ipv4 },
	{ "instance-id", s_match_instance_id },
	{ "eni-id", s_match_eni_id },
	{ "name", s_match_name },
};

enum query_kind query_classify(const char *term, struct query_term *out)
{
	size_t n, i;

	memset(out, 0, sizeof(*out));
	if (term == NULL || term[0] == '\0')
		return s_malformed(out, "empty search term");
	n = strlen(term);
	if (n > QUERY_MAX_TERM_LEN)
		return s_malformed(out, "'%.40s...' is too long for a search term "
				   "(at most %d bytes)", term, QUERY_MAX_TERM_LEN);
	if (s_text_chars(term, n) < 0)
		return s_malformed(out, "a search term contains control characters "
				   "or is not valid UTF-8");
	for (i = 0; i < n; i++)
		if (term[i] == ' ')
			return s_malformed(out, "a search term cannot contain spaces");
	for (i = 0; i < sizeof(s_matchers) / sizeof(s_matchers[0]); i++)
		if (s_matchers[i].match(term, n, out))
			return out->kind;
	return s_malformed(out, "'" S_QUOTE "' was not understood", term);
}

/* ---- whole text -------------------------------------------------------- */

/* Separator at s[0] (n bytes left): its length, or 0. NBSP counts because
 * Slack clients insert it when text is pasted. */
static size_t s_sep_len(const char *s, size_t n)
{
	if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' ||
	    *s == '\f')
		return 1;
	if (n >= 2 && (unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xa0)
		return 2;
	return 0;
}

/* Next token of text[*pos..len): sets *tok and *tn, returns 0 at the end. */
static int s_next_token(const char *text, size_t len, size_t *pos,
			const char **tok, size_t *tn)
{
	size_t i = *pos, k, start;

	while (i < len && (k = s_sep_len(text + i, len - i)) > 0)
		i += k;
	if (i >= len) {
		*pos = len;
		return 0;
	}
	start = i;
	while (i < len && s_sep_len(text + i, len - i) == 0)
		i++;
	*tok = text + start;
	*tn = i - start;
	*pos = i;
	return 1;
}

static int s_alias_valid(const char *a)
{
	size_t i;

	for (i = 0; a[i] != '\0'; i++)
		if (!s_is_digit(a[i]) && !(a[i] >= 'a' && a[i] <= 'z') &&
		    a[i] != '_' && a[i] != '-')
			return 0;
	return i > 0;
}

/* Add value (already lower-cased) to a modifier list unless present. */
static int s_add_modifier(char *list, size_t *n, size_t width,
			  const char *value, struct si_err *err)
{
	size_t i;
	char *row;

	for (i = 0; i < *n; i++) {
		row = list + i * width;
		if (strcmp(row, value) == 0)
			return 0;
	}
	if (*n >= QUERY_MAX_MODIFIERS)
		return si_err_set(err, SI_ERR_LIMIT, "Too many account: or region: "
				  "modifiers (at most %d of each)", QUERY_MAX_MODIFIERS);
	row = list + (*n) * width;
	s_copy(row, width, value, strlen(value));
	(*n)++;
	return 0;
}

/* Returns 1 if tok was a modifier (handled, 0 error code in *rc). */
static int s_modifier(struct query *q, const char *tok, size_t tn, int *rc,
		      struct si_err *err)
{
	char v[QUERY_MAX_TERM_LEN + 1];
	size_t n;

	*rc = 0;
	if (SI_HAS_PREFIX_CI(tok, S_MOD_ACCOUNT) && tn >= SI_LITLEN(S_MOD_ACCOUNT)) {
		n = tn - SI_LITLEN(S_MOD_ACCOUNT);
		s_copy_lower(v, sizeof(v), tok + SI_LITLEN(S_MOD_ACCOUNT), n);
		if (n > QUERY_MAX_ALIAS_LEN || !s_alias_valid(v))
			*rc = si_err_set(err, SI_ERR_INVALID, "'account:%.40s' needs an "
					 "account alias of letters, digits, _ and -, "
					 "e.g. account:production", v);
		else
			*rc = s_add_modifier(q->accounts[0], &q->n_accounts,
					     sizeof(q->accounts[0]), v, err);
		return 1;
	}
	if (SI_HAS_PREFIX_CI(tok, S_MOD_REGION) && tn >= SI_LITLEN(S_MOD_REGION)) {
		n = tn - SI_LITLEN(S_MOD_REGION);
		s_copy_lower(v, sizeof(v), tok + SI_LITLEN(S_MOD_REGION), n);
		if (n > QUERY_MAX_REGION_LEN || !aws_region_valid(v))
			*rc = si_err_set(err, SI_ERR_INVALID, "'region:%.40s' needs a "
					 "region name, e.g. region:eu-west-2", v);
		else
			*rc = s_add_modifier(q->regions[0],
					     &q->n_regions, sizeof(q->regions[0]), v, err);
		return 1;
	}
	return 0;
}

static int s_add_term(struct query *q, const char *tok, size_t tn,
		      struct si_err *err)
{
	char term[QUERY_MAX_TERM_LEN + 1];
	struct query_term *t;
	size_t i;

	if (tn > QUERY_MAX_TERM_LEN)
		return si_err_set(err, SI_ERR_LIMIT, "'%.40s...' is too long for a "
				  "search term (at most %d bytes)", tok,
				  QUERY_MAX_TERM_LEN);
	s_copy(term, sizeof(term), tok, tn);
	if (q->n_terms >= QUERY_MAX_TERMS)
		return si_err_set(err, SI_ERR_LIMIT, "Too many search terms: at most "
				  "%d at a time", QUERY_MAX_TERMS);
	t = &q->terms[q->n_terms];
	if (query_classify(term, t) == QUERY_MALFORMED)
		return si_err_set(err, SI_ERR_INVALID, "%s", t->reason);
	for (i = 0; i < q->n_terms; i++) {
		if (q->terms[i].kind == t->kind &&
		    strcmp(q->terms[i].value, t->value) == 0) {
			memset(t, 0, sizeof(*t));
			return 0;
		}
	}
	q->n_terms++;
	return 0;
}

/* Contract in query.h. Untrusted text from Slack: checked for length and
 * UTF-8 first, then split on white space into at most QUERY_MAX_TERMS terms
 * and QUERY_MAX_MODIFIERS modifiers, each classified on its own (kcgi's
 * habit: small parsers with explicit limits, apart from the code that acts).
 * Every failure leaves out->kind == QUERY_MALFORMED and a message for the user. */
int query_parse(const char *text, struct query *out, struct si_err *err)
{
	const char *tok = NULL;
	size_t len, pos = 0, tn = 0, n_tok = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->kind = QUERY_MALFORMED;
	if (text == NULL)
		text = "";
	len = strlen(text);
	if (len > QUERY_MAX_TEXT_LEN)
		return si_err_set(err, SI_ERR_LIMIT, "That search is too long (%zu "
				  "bytes, at most %d)", len, QUERY_MAX_TEXT_LEN);
	if (s_text_chars(text, len) < 0) {
		/* Control characters other than whitespace are still refused. */
		size_t i;

		for (i = 0; i < len; i++)
			if (s_sep_len(text + i, len - i) == 0 &&
			    ((unsigned char)text[i] < 0x20 || text[i] == 0x7f))
				return si_err_set(err, SI_ERR_INVALID, "The search "
						  "contains control characters");
		for (i = 0; i < len; i++)
			if ((unsigned char)text[i] >= 0x80 &&
			    utf8_seq((const unsigned char *)text + i, len - i, NULL) == 0)
				return si_err_set(err, SI_ERR_INVALID, "The search is "
						  "not valid UTF-8 text");
	}
	while (rc == 0 && s_next_token(text, len, &pos, &tok, &tn)) {
		n_tok++;
		if (n_tok == 1 && tn == 4 && SI_HAS_PREFIX_CI(tok, "help")) {
			size_t p2 = pos;
			const char *t2;
			size_t n2;

			if (!s_next_token(text, len, &p2, &t2, &n2)) {
				out->kind = QUERY_HELP;
				return 0;
			}
		}
		if (!s_modifier(out, tok, tn, &rc, err))
			rc = s_add_term(out, tok, tn, err);
	}
	if (rc != 0)
		goto fail;
	if (n_tok == 0) {
		out->kind = QUERY_HELP;
		return 0;
	}
	if (out->n_terms == 0) {
		rc = si_err_set(err, SI_ERR_INVALID, "Add something to search for "
				"(an instance ID, IP address, DNS name or Name) "
				"besides account: and region:");
		goto fail;
	}
	out->kind = out->terms[0].kind;
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	out->kind = QUERY_MALFORMED;
	return -1;
}

/* ---- checks against the configuration --------------------------------- */

/* account:/region: modifiers must name something configured; the error
 * lists what is, so the user can correct the command without reading the
 * config. The list is cut to fit the error message rather than failing. */
static int s_check_known(const char *list, size_t n, size_t width,
			 const char *const *known, size_t n_known,
			 const char *what, struct si_err *err)
{
	char names[SI_ERR_MSG_MAX];
	size_t i, j, used = 0;
	int w;

	for (i = 0; i < n; i++) {
		const char *v = list + i * width;

		for (j = 0; j < n_known; j++)
			if (known[j] != NULL && strcmp(known[j], v) == 0)
				break;
		if (j < n_known)
			continue;
		names[0] = '\0';
		for (j = 0; j < n_known && known[j] != NULL; j++) {
			w = snprintf(names + used, sizeof(names) - used, "%s%s",
				     j ? ", " : "", known[j]);
			if (w < 0 || (size_t)w >= sizeof(names) - used) {
				names[used] = '\0';
				break;
			}
			used += (size_t)w;
		}
		return si_err_set(err, SI_ERR_NOTFOUND, "Unknown %s '%s'. Known %ss: "
				  "%.160s", what, v, what, n_known ? names : "(none)");
	}
	return 0;
}

int query_check_accounts(const struct query *q, const char *const *aliases,
			 size_t n, struct si_err *err)
{
	return s_check_known(q->accounts[0], q->n_accounts, sizeof(q->accounts[0]),
			     aliases, n, "account", err);
}

int query_check_regions(const struct query *q, const char *const *regions,
			size_t n, struct si_err *err)
{
	return s_check_known(q->regions[0], q->n_regions, sizeof(q->regions[0]),
			     regions, n, "region", err);
}

const char *query_kind_name(enum query_kind kind)
{
	switch (kind) {
	case QUERY_MALFORMED: return "malformed";
	case QUERY_INSTANCE_ID: return "instance-id";
	case QUERY_INSTANCE_ARN: return "instance-arn";
	case QUERY_IPV4: return "ipv4";
	case QUERY_IPV6: return "ipv6";
	case QUERY_PRIVATE_DNS: return "private-dns";
	case QUERY_PUBLIC_DNS: return "public-dns";
	case QUERY_ENI_ID: return "eni-id";
	case QUERY_NAME: return "name";
	case QUERY_HELP: return "help";
	}
	return "unknown";
}
