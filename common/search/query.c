/*
 * query.c - the classifier of search terms and the parser of the text
 * (decisions in query.h).
 *
 * Each term runs through a fixed table of matchers (s_matchers[]): small
 * parsers with explicit limits, apart from the code that acts on the
 * result. What resource types exist is asked of the registry
 * (search/registry.h), never spelled out here.
 */
#include "search/query.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aws/region.h"
#include "search/registry.h"
#include "util/cidr.h"
#include "util/iso8601.h"
#include "util/strutil.h"
#include "util/utf8.h"

/* How much of a bad term is quoted back to the user: enough to recognise
 * it, short enough that the reason fits QUERY_REASON_MAX. */
#define S_QUOTE "%.60s"

/* The hex digit counts EC2 has used for resource IDs: 8 before 2016, 17
 * since ("longer resource IDs"). */
#define S_ID_SHORT 8
#define S_ID_LONG 17

/* A claimed prefix followed by this many hex digits or more (one of them
 * decimal) but not 8 or 17 is an ID cut short or overrun by a paste, not
 * a Name: "sg-0123abc". Fewer ("sg-db", "vpc-cafe") reads as a Name. */
#define S_ID_NEAR_MIN 6

/* An unknown ID's prefix: at most 4 groups ("ipam-resource-discovery-
 * assoc-") of at most 16 letters, the longest AWS uses today. */
#define S_UNKNOWN_GROUPS 4
#define S_UNKNOWN_GROUP_LEN 16

/* DNS limits (RFC 1035 2.3.4): 63 bytes a label, 253 a name as text. */
#define S_DNS_LABEL_MAX 63
#define S_DNS_NAME_MAX 253
/* A 253-byte name has at most 127 labels. */
#define S_DNS_LABELS_MAX 128

/* ARN account ids are 12 digits. */
#define S_ACCOUNT_DIGITS 12

#define S_US_EAST_1 "us-east-1"

/* Spellings the classifier looks for at the start of a term. */
#define S_ARN "arn:"
#define S_IDN_PREFIX "xn--"
#define S_IP_PREFIX "ip-"
#define S_MOD_ACCOUNT "account:"
#define S_MOD_REGION "region:"
#define S_MOD_AT "at:"

/* at:-N<unit>: the units a responder types, in seconds. */
#define S_MINUTE 60
#define S_HOUR 3600
#define S_DAY 86400
#define S_WEEK (7 * S_DAY)

/* A time ago of at most 10 years: past any retention the inventory keeps
 * (history_days is capped at 3,650), and small enough that the product
 * never overflows. Six digits are enough for "-525600m" (a year). */
#define S_AT_AGO_MAX ((long)3650 * S_DAY)
#define S_AT_DIGITS_MAX 6

/* "YYYY-MM-DD" and "YYYY-MM-DDTHH:MM", the shortest forms at: takes; the
 * normalised text (seconds and a zone added) fits S_AT_TEXT_MAX. */
#define S_AT_DATE_LEN 10
#define S_AT_MINUTE_LEN 16
#define S_AT_TEXT_MAX 64

/* What every at: error shows, so the user can retype it. */
#define S_AT_HELP "e.g. at:2026-11-30T03:00Z (UTC unless a zone is given) or a time " \
	"ago: at:-6h, at:-30m, at:-2d"

/* EC2's resource-based host names start with the instance id ("i-0123.
 * eu-west-2.compute.internal"): a DNS format, like "ip-", not a claim of
 * the instance type. */
#define S_RBN_PREFIX "i-"

/* The partitions an ARN may name (issue 12). */
static const char *const s_partitions[] = { "aws", "aws-cn", "aws-us-gov" };

/* The types of the first version keep their query kinds, so that their
 * terms plan as before (the engine asks both EC2 types for them), and
 * their strictness: a term with their prefix that is not an ID is
 * malformed. Found by type name, so the prefixes still come from the
 * registry. */
struct s_compat {
	const char *type;
	enum query_kind id_kind;
	enum query_kind arn_kind;
};

static const struct s_compat s_compat[] = {
	{ "instance", QUERY_INSTANCE_ID, QUERY_INSTANCE_ARN },
	{ "network-interface", QUERY_ENI_ID, QUERY_ARN },
};

/* ---- small helpers ---------------------------------------------------- */

#define S_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int s_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int s_is_lower_alpha(char c)
{
	return c >= 'a' && c <= 'z';
}

static int s_is_alpha(char c)
{
	return s_is_lower_alpha(c) || (c >= 'A' && c <= 'Z');
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

/* An ID or ARN we cannot search: the term as value, its first lower_n
 * bytes (the parts AWS spells in lower case) lower-cased, and the reason:
 * the formatted head, then what we can search (cut at a whole item). */
__attribute__((format(printf, 5, 6)))
static int s_unknown(struct query_term *out, const char *term, size_t n, size_t lower_n,
		     const char *fmt, ...)
{
	va_list ap;
	int k;

	out->kind = QUERY_UNKNOWN;
	s_copy(out->value, sizeof(out->value), term, n);
	for (size_t i = 0; i < lower_n && out->value[i] != '\0'; i++)
		if (out->value[i] >= 'A' && out->value[i] <= 'Z')
			out->value[i] = (char)(out->value[i] | 0x20);
	va_start(ap, fmt);
	k = vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	if (k > 0 && (size_t)k < sizeof(out->reason))
		rt_describe_known(out->reason + k, sizeof(out->reason) - (size_t)k);
	return 1;
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

/* 1 when s[0..n) is n >= 1 hex digits; *digit says whether one of them is
 * decimal and *letter whether one is a-f (either case). */
static int s_hex_run(const char *s, size_t n, int *digit, int *letter)
{
	*digit = *letter = 0;
	for (size_t i = 0; i < n; i++) {
		if (si_hexval((unsigned char)s[i]) < 0)
			return 0;
		if (s_is_digit(s[i]))
			*digit = 1;
		else
			*letter = 1;
	}
	return n > 0;
}

/* The length of an ID's prefix: up to and including the last '-' (as
 * rt_by_id_prefix reads it), 0 when there is none. */
static size_t s_id_prefix_len(const char *s, size_t n)
{
	const char *dash = memrchr(s, '-', n);

	return dash != NULL ? (size_t)(dash - s) + 1 : 0;
}

/* "security group ID" from the label "Security group", "VPC ID" from
 * "VPC": the label's first letter lowered unless it starts an acronym. */
static void s_what(const struct rt_type *t, char *out, size_t n)
{
	const char *l = t->label != NULL ? t->label : t->name;

	(void)snprintf(out, n, "%s ID", l);
	if (out[0] >= 'A' && out[0] <= 'Z' && !(out[1] >= 'A' && out[1] <= 'Z'))
		out[0] = (char)(out[0] | 0x20);
}

/* The first-version kinds of t, or NULL. */
static const struct s_compat *s_compat_of(const struct rt_type *t)
{
	for (size_t i = 0; i < S_NELEM(s_compat); i++)
		if (rt_by_name(s_compat[i].type) == t)
			return &s_compat[i];
	return NULL;
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
 * The digits of a resource ID s whose prefix (plen bytes) a type claims:
 * 8 or 17 hex digits, any case. Writes the lower-case ID to dst (size cap)
 * and returns 0, or a reason naming what (e.g. "security group ID") and
 * quoting term, and -1.
 */
static int s_id_digits(const char *s, size_t plen, const char *what, const char *term,
		       char *dst, size_t cap, struct query_term *out)
{
	size_t n = strlen(s), i;

	if (n == plen)
		return s_malformed(out, "'" S_QUOTE "' needs the hex digits of the %s "
				   "after it, e.g. %.*s0123456789abcdef0", term, what,
				   (int)plen, s), -1;
	for (i = plen; i < n; i++)
		if (si_hexval((unsigned char)s[i]) < 0)
			return s_malformed(out, "'" S_QUOTE "' is not a valid %s: '%c' "
					   "is not a hex digit", term, what,
					   s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?'), -1;
	if (n - plen != S_ID_SHORT && n - plen != S_ID_LONG)
		return s_malformed(out, "'" S_QUOTE "' is not a valid %s: it has %zu "
				   "hex digits, not 8 or 17", term, what,
				   n - plen), -1;
	if (n >= cap)
		return s_malformed(out, "'" S_QUOTE "' is too long", term), -1;
	s_copy_lower(dst, cap, s, n);
	return 0;
}

/* ---- the matchers, tried in table order ------------------------------ */

/*
 * A matcher returns 0 when the term is not its kind (the next is tried), or
 * 1 when it claims the term, having set out->kind (possibly to
 * QUERY_MALFORMED or QUERY_UNKNOWN with a reason). term is the user's
 * text, NUL-terminated, free of whitespace and control characters, at most
 * QUERY_MAX_TERM_LEN.
 */
struct s_matcher {
	const char *name;
	int (*match)(const char *term, size_t n, struct query_term *out);
};

static int s_partition_known(const char *p)
{
	for (size_t i = 0; i < S_NELEM(s_partitions); i++)
		if (strcmp(s_partitions[i], p) == 0)
			return 1;
	return 0;
}

/* "" or 12 digits. */
static int s_account_valid(const char *a)
{
	size_t i = 0;

	while (s_is_digit(a[i]))
		i++;
	return a[i] == '\0' && (i == 0 || i == S_ACCOUNT_DIGITS);
}

/* A service name as ARNs spell it: lower-case letters, digits, '-'. */
static int s_service_valid(const char *s)
{
	size_t i = 0;

	while (s_is_lower_alpha(s[i]) || s_is_digit(s[i]) || s[i] == '-')
		i++;
	return s[i] == '\0' && i > 0 && i <= QUERY_MAX_SERVICE_LEN;
}

/* The type of an ARN's resource res (of service svc): its first two parts
 * when a type claims them and a third part follows ("loadbalancer/app" of
 * loadbalancer/app/NAME/ID), else its first part ("db" of db:NAME), else
 * "" (no separator: an S3 bucket). *rid receives the resource id part
 * (after the first separator, or all of res), typed the one-part type
 * (for messages, size cap). */
static const struct rt_type *s_arn_type(const char *svc, const char *res, const char **rid,
					char *typed, size_t cap)
{
	size_t i1 = strcspn(res, "/:"), i2;
	const struct rt_type *t = NULL;

	*rid = res[i1] != '\0' ? res + i1 + 1 : res;
	if (res[i1] != '\0') {
		i2 = i1 + 1 + strcspn(res + i1 + 1, "/:");
		if (res[i2] != '\0') {
			s_copy(typed, cap, res, i2);
			t = rt_by_arn(svc, typed);
		}
	}
	s_copy(typed, cap, res, res[i1] != '\0' ? i1 : 0);
	if (t == NULL)
		t = rt_by_arn(svc, typed);
	return t;
}

/* The resource of an ARN whose type t is known, fields already checked:
 * fills the kind, value and resource; an EC2-style id in it must be one of
 * t's (and is lower-cased). */
static int s_arn_known(const char *term, const char *res, const char *rid,
		       const struct rt_type *t, struct query_term *out)
{
	const struct s_compat *c = s_compat_of(t);
	char what[64];
	int w;

	s_copy(out->resource, sizeof(out->resource), rid, strlen(rid));
	if (t->id_prefixes != NULL) {
		s_what(t, what, sizeof(what));
		if (rt_by_id_prefix(rid) != t)
			return s_malformed(out, "'" S_QUOTE "' ends in '%.40s', which is "
					   "not a %s", term, rid, what), 1;
		if (s_id_digits(rid, s_id_prefix_len(rid, strlen(rid)), what, rid,
				out->resource, sizeof(out->resource), out) != 0)
			return 1;
	}
	out->kind = c != NULL ? c->arn_kind : QUERY_ARN;
	if (out->kind == QUERY_INSTANCE_ARN)
		s_copy(out->instance_id, sizeof(out->instance_id), out->resource,
		       strlen(out->resource));
	else
		out->type = t;
	w = snprintf(out->value, sizeof(out->value), "arn:%s:%s:%s:%s:%.*s%s", out->partition,
		     out->service, out->region, out->account_id, (int)(rid - res), res,
		     out->resource);
	if (w < 0 || (size_t)w >= sizeof(out->value))
		return s_malformed(out, "'" S_QUOTE "' is too long", term), 1;
	return 1;
}

/*
 * An ARN, arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE: the most precise
 * term there is, since it names the account and region to ask. Claims
 * every term starting "arn:" so that a wrong ARN gets a reason that names
 * the bad field instead of falling through to a Name search. The fields
 * are checked in order, the resource's type is asked of the registry
 * (s_arn_type), and an ARN of a type no module claims is QUERY_UNKNOWN
 * with the list of what can be searched.
 */
static int s_match_arn(const char *term, size_t n, struct query_term *out)
{
	char buf[QUERY_MAX_TERM_LEN + 1], typed[QUERY_MAX_TERM_LEN + 1];
	const struct rt_type *t;
	const char *res, *rid;
	char *field[5], *p;
	size_t nf;

	if (!SI_HAS_PREFIX_CI(term, S_ARN))
		return 0;
	s_copy(buf, sizeof(buf), term, n);
	p = buf;
	for (nf = 0; nf < S_NELEM(field); nf++) {
		field[nf] = p;
		p = strchr(p, ':');
		if (p == NULL)
			return s_malformed(out, "'" S_QUOTE "' is not an ARN of the form "
					   "arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE",
					   term), 1;
		*p++ = '\0';
		si_ascii_lower(field[nf]);
	}
	res = p;
	if (!s_partition_known(field[1]))
		return s_malformed(out, "'" S_QUOTE "' has an unknown partition "
				   "(expected aws, aws-cn or aws-us-gov)", term), 1;
	if (!s_service_valid(field[2]))
		return s_malformed(out, "'" S_QUOTE "' has no valid service name "
				   "(like ec2 or rds) after the partition", term), 1;
	if (field[3][0] != '\0' && !aws_region_valid(field[3]))
		return s_malformed(out, "'%.32s' in the ARN is not a region name "
				   "like eu-west-2", field[3]), 1;
	if (!s_account_valid(field[4]))
		return s_malformed(out, "the account in ARN '" S_QUOTE "' must be "
				   "12 digits", term), 1;
	if (res[0] == '\0')
		return s_malformed(out, "'" S_QUOTE "' has no resource after the "
				   "account", term), 1;
	s_copy(out->partition, sizeof(out->partition), field[1], strlen(field[1]));
	s_copy(out->service, sizeof(out->service), field[2], strlen(field[2]));
	s_copy(out->region, sizeof(out->region), field[3], strlen(field[3]));
	s_copy(out->account_id, sizeof(out->account_id), field[4], strlen(field[4]));
	t = s_arn_type(out->service, res, &rid, typed, sizeof(typed));
	if (t != NULL)
		return s_arn_known(term, res, rid, t, out);
	if (typed[0] == '\0')
		return s_unknown(out, term, n, (size_t)(res - buf), "I can't look up "
				 "%s resources yet; I can search: ", out->service);
	return s_unknown(out, term, n, (size_t)(res - buf), "I can't look up %s/%.40s yet; "
			 "I can search: ", out->service, typed);
}

/* Does s[0..an) look like the address of a block: digits and dots with a
 * dot, or hex digits, dots and colons with a colon? */
static int s_address_like(const char *s, size_t an)
{
	int colon = memchr(s, ':', an) != NULL, dot = memchr(s, '.', an) != NULL;

	for (size_t i = 0; i < an; i++) {
		if (s_is_digit(s[i]) || s[i] == '.')
			continue;
		if (!colon || (s[i] != ':' && si_hexval((unsigned char)s[i]) < 0))
			return 0;
	}
	return an > 0 && (colon || dot);
}

/* A CIDR block, "10.10.0.0/16" or "2a05:d01c:abc::/56", checked part by
 * part for a reason that names the bad one, then read by si_cidr_parse.
 * Host bits are cleared, and said so in note. */
static int s_match_cidr(const char *term, size_t n, struct query_term *out)
{
	const char *slash = memchr(term, '/', n);
	char dotted[16], addr[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	struct si_cidr c;
	size_t an;
	int masked = 0, v6;

	if (slash == NULL || !s_address_like(term, (size_t)(slash - term)))
		return 0;
	an = (size_t)(slash - term);
	v6 = memchr(term, ':', an) != NULL;
	if (!v6 && s_ipv4_strict(term, an, '.', dotted, term, out) != 0)
		return 1;
	if (v6 && an < sizeof(addr))
		s_copy(addr, sizeof(addr), term, an);
	if (v6 && (an >= sizeof(addr) || inet_pton(AF_INET6, addr, bin) != 1))
		return s_malformed(out, "'" S_QUOTE "' is not a valid IPv6 block", term), 1;
	if (si_cidr_parse(term, &c, &masked) != 0)
		return s_malformed(out, "'" S_QUOTE "' needs a prefix length of 0 to %d "
				   "after the '/', like %s", term, v6 ? 128 : 32,
				   v6 ? "2001:db8::/56" : "10.0.0.0/16"), 1;
	if (si_cidr_format(&c, out->value, sizeof(out->value)) != 0)
		return s_malformed(out, "'" S_QUOTE "' could not be normalised", term), 1;
	if (masked)
		(void)snprintf(out->note, sizeof(out->note), "Searching %s: %.60s has bits "
			       "set past the /%u prefix", out->value, term, c.prefix);
	out->kind = QUERY_CIDR;
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
	const char *want = sx->host_prefix ? sx->host_prefix : S_IP_PREFIX;
	size_t wl = strlen(want);

	s_copy(label, sizeof(label), host, hn);
	if (sx->kind == QUERY_PRIVATE_DNS && SI_HAS_PREFIX(label, S_RBN_PREFIX))
		return s_id_digits(label, SI_LITLEN(S_RBN_PREFIX), "instance ID", term,
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
	for (i = 0; i < S_NELEM(s_dns_suffixes); i++) {
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

/* One label of a DNS name: offset and length. */
struct s_label {
	size_t off;
	size_t len;
};

/* Split s[0..n) at dots into at most max labels; returns the count, or 0
 * when there are more. Empty labels are kept (the caller rejects them). */
static size_t s_labels(const char *s, size_t n, struct s_label *lab, size_t max)
{
	size_t count = 0, start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (count == max)
			return 0;
		lab[count++] = (struct s_label){ start, i - start };
		start = i + 1;
	}
	return count;
}

/* Where host (nh labels) ends in suffix (a type's DNS suffix, "*" labels
 * matching any label): the number of suffix labels and, in *region, the
 * index of the label that carries the region (the first "*" one, else the
 * one before the suffix). 0 when it does not match. */
static size_t s_suffix_region(const char *host, const struct s_label *hl, size_t nh,
			      const char *suffix, size_t *region)
{
	struct s_label sl[S_DNS_LABELS_MAX];
	size_t ns, star = 0, have_star = 0;

	if (suffix[0] != '.')
		return 0;
	ns = s_labels(suffix + 1, strlen(suffix + 1), sl, S_DNS_LABELS_MAX);
	if (ns == 0 || ns >= nh)
		return 0;
	for (size_t k = 0; k < ns; k++) {
		const struct s_label *a = &sl[k], *b = &hl[nh - ns + k];
		const char *st = suffix + 1 + a->off;

		if (a->len == 1 && st[0] == '*') {
			if (!have_star)
				star = nh - ns + k;
			have_star = 1;
			continue;
		}
		if (a->len != b->len || memcmp(st, host + b->off, a->len) != 0)
			return 0;
	}
	*region = have_star ? star : nh - ns - 1;
	return ns;
}

/*
 * A host claimed by type t's DNS suffix names its region (decisions in
 * query.h): find the longest of t's suffixes that ends host, as rt_by_dns
 * did, take the region label and check it. Returns 0 with out->region
 * set, or -1 with a reason.
 */
static int s_host_region(const char *host, size_t n, const struct rt_type *t,
			 const char *term, struct query_term *out)
{
	struct s_label hl[S_DNS_LABELS_MAX];
	size_t nh = s_labels(host, n, hl, S_DNS_LABELS_MAX), best = 0, region = 0;
	const char *suffix = "";
	char label[S_DNS_LABEL_MAX + 1];

	for (size_t k = 0; t->dns_suffixes != NULL && t->dns_suffixes[k] != NULL; k++) {
		size_t r = 0, ns = s_suffix_region(host, hl, nh, t->dns_suffixes[k], &r);

		if (ns > best) {
			best = ns;
			region = r;
			suffix = t->dns_suffixes[k];
		}
	}
	if (best == 0)
		return 0;     /* rt_by_dns and we disagree: no region, no harm */
	s_copy(label, sizeof(label), host + hl[region].off, hl[region].len);
	if (!aws_region_valid(label)) {
		s_malformed(out, "'" S_QUOTE "' ends in %s, but '%s' where the region "
			    "goes is not a region name like eu-west-2", term, suffix, label);
		return -1;
	}
	if (region == 0) {
		s_malformed(out, "'" S_QUOTE "' needs a name before the region %s",
			    term, label);
		return -1;
	}
	s_copy(out->region, sizeof(out->region), label, strlen(label));
	return 0;
}

/* Is c allowed in a host term: ASCII letters, digits, '-', '_', '.'? */
static int s_host_char(char c)
{
	return s_is_alpha(c) || s_is_digit(c) || c == '-' || c == '_' || c == '.';
}

/* Is the last label l[0..n) one that ends a host name: letters only, or
 * an IDN "xn--" label (a Name like "v1.2" or "node.v2" ends otherwise)? */
static int s_tld_like(const char *l, size_t n)
{
	size_t i;

	if (n > SI_LITLEN(S_IDN_PREFIX) && SI_HAS_PREFIX(l, S_IDN_PREFIX))
		return 1;
	for (i = 0; i < n && s_is_lower_alpha(l[i]); i++)
		;
	return n > 0 && i == n;
}

/*
 * A host name (decisions in query.h): claimed by its shape (ASCII host
 * characters, a dot, a last label of letters), then held to RFC 1123
 * (labels of 1 to 63 bytes, no '-' at either end, 253 bytes in all) so
 * that a mistyped name gets a reason rather than a silent Name search.
 * The registry says whether a type owns its DNS suffix (ELB, RDS); that
 * type is pinned and the region read from the name.
 */
static int s_match_host(const char *term, size_t n, struct query_term *out)
{
	char host[QUERY_MAX_TERM_LEN + 1];
	struct s_label lab[S_DNS_LABELS_MAX];
	const struct rt_type *t;
	size_t nl, i;

	for (i = 0; i < n; i++)
		if (!s_host_char(term[i]))
			return 0;
	s_copy_lower(host, sizeof(host), term, n);
	if (n > 1 && host[n - 1] == '.')
		host[--n] = '\0';
	if (memchr(host, '.', n) == NULL)
		return 0;
	nl = s_labels(host, n, lab, S_DNS_LABELS_MAX);
	if (nl == 0 || !s_tld_like(host + lab[nl - 1].off, lab[nl - 1].len))
		return 0;
	if (n > S_DNS_NAME_MAX)
		return s_malformed(out, "'%.40s...' is longer than a host name can be "
				   "(%d bytes)", term, S_DNS_NAME_MAX), 1;
	for (i = 0; i < nl; i++) {
		const char *l = host + lab[i].off;

		if (lab[i].len == 0)
			return s_malformed(out, "'" S_QUOTE "' is not a host name: it has "
					   "an empty part (two dots in a row, or a dot "
					   "first)", term), 1;
		if (lab[i].len > S_DNS_LABEL_MAX)
			return s_malformed(out, "'%.40s...' is not a host name: a part "
					   "is longer than %d characters", term,
					   S_DNS_LABEL_MAX), 1;
		if (l[0] == '-' || l[lab[i].len - 1] == '-')
			return s_malformed(out, "'" S_QUOTE "' is not a host name: a part "
					   "starts or ends with '-'", term), 1;
	}
	t = rt_by_dns(host);
	if (t != NULL && s_host_region(host, n, t, term, out) != 0)
		return 1;
	out->type = t;
	out->kind = QUERY_HOST;
	s_copy(out->value, sizeof(out->value), host, n);
	return 1;
}

/* 1 when term[0..plen) is 1 to S_UNKNOWN_GROUPS groups of letters each
 * followed by '-' ("xyz-", "tgw-attach-"). */
static int s_id_prefix_shape(const char *term, size_t plen)
{
	size_t groups = 0, len = 0;

	for (size_t i = 0; i < plen; i++) {
		if (term[i] == '-') {
			if (len == 0 || ++groups > S_UNKNOWN_GROUPS)
				return 0;
			len = 0;
		} else if (!s_is_alpha(term[i]) || ++len > S_UNKNOWN_GROUP_LEN) {
			return 0;
		}
	}
	return groups > 0 && len == 0;
}

/*
 * Resource IDs, their prefix looked up in the registry (decisions in
 * query.h): a claimed prefix with 8 or 17 hex digits is that type's ID;
 * near misses are malformed; the first version's two types are strict and
 * keep their kinds. An unclaimed prefix in the shape of an AWS ID is
 * QUERY_UNKNOWN, never a public "No matches".
 */
static int s_match_id(const char *term, size_t n, struct query_term *out)
{
	size_t plen = s_id_prefix_len(term, n), nd = n - plen;
	const struct rt_type *t;
	const struct s_compat *c;
	int digit = 0, letter = 0, hex;
	char what[64], prefix[QUERY_MAX_TERM_LEN + 1];

	if (plen == 0)
		return 0;
	t = rt_by_id_prefix(term);
	hex = s_hex_run(term + plen, nd, &digit, &letter);
	if (t == NULL) {
		if (!hex || !digit || !s_id_prefix_shape(term, plen) ||
		    (nd != S_ID_LONG && (nd != S_ID_SHORT || !letter)))
			return 0;
		s_copy_lower(prefix, sizeof(prefix), term, plen);
		return s_unknown(out, term, n, n, "I don't know what %s\xe2\x80\xa6 is yet; "
				 "I can search: ", prefix);
	}
	c = s_compat_of(t);
	if (c == NULL && !(hex && (nd == S_ID_SHORT || nd == S_ID_LONG ||
				   (digit && nd >= S_ID_NEAR_MIN))))
		return 0;
	s_what(t, what, sizeof(what));
	if (s_id_digits(term, plen, what, term, out->value, sizeof(out->value), out) != 0)
		return 1;
	out->kind = c != NULL ? c->id_kind : QUERY_RESOURCE_ID;
	if (out->kind == QUERY_INSTANCE_ID)
		s_copy(out->instance_id, sizeof(out->instance_id), out->value,
		       strlen(out->value));
	if (c == NULL)
		out->type = t;
	return 1;
}

static int s_match_name(const char *term, size_t n, struct query_term *out)
{
	if (s_text_chars(term, n) < 2)
		return s_malformed(out, "'" S_QUOTE "' is too short: search for at "
				   "least 2 characters of a name", term), 1;
	if (strpbrk(term, "*?") != NULL)
		return s_malformed(out, "'" S_QUOTE "': wildcards * and ? are not "
				   "needed, names already match anywhere in the "
				   "name", term), 1;
	out->kind = QUERY_NAME;
	s_copy(out->value, sizeof(out->value), term, n);
	s_copy_lower(out->name_lc, sizeof(out->name_lc), term, n);
	return 1;
}

/* Order matters: ARNs contain ':' and '/', CIDR blocks '/', EC2 DNS names
 * are host names that encode an address, addresses are dotted, and
 * resource-based DNS names start with "i-"; everything unclaimed is a
 * Name. */
static const struct s_matcher s_matchers[] = {
	{ "arn", s_match_arn },
	{ "cidr", s_match_cidr },
	{ "ec2-dns", s_match_dns },
	{ "bare-host", s_match_bare_host },
	{ "ipv6", s_match_ipv6 },
	{ "ipv4", s_match_ipv4 },
	{ "host", s_match_host },
	{ "id", s_match_id },
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
	for (i = 0; i < S_NELEM(s_matchers); i++)
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

/* "-6h": a time ago, v[0..n) with the '-' at v[0]; seconds into *ago. */
static int s_at_ago(const char *v, size_t n, long *ago)
{
	static const struct {
		char unit;
		long secs;
	} units[] = { { 's', 1 }, { 'm', S_MINUTE }, { 'h', S_HOUR }, { 'd', S_DAY },
		      { 'w', S_WEEK } };
	char digits[S_AT_DIGITS_MAX + 1];
	long num;
	char u;

	if (n < 3 || n - 2 > S_AT_DIGITS_MAX)
		return -1;
	s_copy(digits, sizeof(digits), v + 1, n - 2);
	if (!s_is_digit(digits[0]) || si_parse_long(digits, 0, S_AT_AGO_MAX, &num) != 0)
		return -1;
	u = (char)(v[n - 1] | 0x20);
	for (size_t i = 0; i < S_NELEM(units); i++) {
		if (units[i].unit != u)
			continue;
		if (num > S_AT_AGO_MAX / units[i].secs)
			return -1;
		*ago = num * units[i].secs;
		return 0;
	}
	return -1;
}

/* An ISO 8601 moment, read by the one parser (util/iso8601.h) once the
 * short forms people type are completed: a date alone is its midnight,
 * minutes get ":00" seconds, and no zone means UTC (what AWS logs, flow
 * logs and CloudTrail write). */
static int s_at_moment(const char *v, size_t n, time_t *out)
{
	char buf[S_AT_TEXT_MAX];
	size_t used;
	int zoned;

	if (n == S_AT_DATE_LEN) {
		if (n + sizeof("T00:00:00Z") > sizeof(buf))
			return -1;
		memcpy(buf, v, n);
		memcpy(buf + n, "T00:00:00Z", sizeof("T00:00:00Z"));
		return si_iso8601_parse(buf, strlen(buf), out, NULL);
	}
	if (n < S_AT_MINUTE_LEN || n + sizeof(":00Z") > sizeof(buf))
		return -1;
	memcpy(buf, v, S_AT_MINUTE_LEN);
	used = S_AT_MINUTE_LEN;
	if (n == S_AT_MINUTE_LEN || v[S_AT_MINUTE_LEN] != ':') {
		memcpy(buf + used, ":00", SI_LITLEN(":00"));
		used += SI_LITLEN(":00");
	}
	memcpy(buf + used, v + S_AT_MINUTE_LEN, n - S_AT_MINUTE_LEN);
	used += n - S_AT_MINUTE_LEN;
	zoned = (v[n - 1] | 0x20) == 'z' ||
		memchr(v + S_AT_MINUTE_LEN, '+', n - S_AT_MINUTE_LEN) != NULL ||
		memchr(v + S_AT_MINUTE_LEN, '-', n - S_AT_MINUTE_LEN) != NULL;
	if (!zoned)
		buf[used++] = 'Z';
	return si_iso8601_parse(buf, used, out, NULL);
}

/* at:WHEN (decisions in query.h): one per query, a moment or a time ago,
 * never after now. now < 0: the caller has no request time. */
static int s_at(struct query *q, const char *v, size_t n, time_t now, struct si_err *err)
{
	long ago = 0;
	time_t when = 0;

	if (now < 0)
		return si_err_set(err, SI_ERR_INVALID, "at: cannot be used here: this caller "
				  "has no request time to count from");
	if (q->has_at)
		return si_err_set(err, SI_ERR_INVALID, "Only one at: per search");
	if (n > 0 && v[0] == '-') {
		if (s_at_ago(v, n, &ago) != 0)
			return si_err_set(err, SI_ERR_INVALID, "'at:%.40s' is not a time "
					  "ago I understand: %s", v, S_AT_HELP);
		if ((long long)now < (long long)ago)
			return si_err_set(err, SI_ERR_INVALID, "'at:%.40s' is before 1970", v);
		when = now - (time_t)ago;
	} else if (s_at_moment(v, n, &when) != 0) {
		return si_err_set(err, SI_ERR_INVALID, "'at:%.40s' is not a time I "
				  "understand: %s", v, S_AT_HELP);
	}
	if (when > now)
		return si_err_set(err, SI_ERR_INVALID, "'at:%.40s' is in the future: at: asks "
				  "who held an address or name at a past moment", v);
	q->has_at = 1;
	q->at = when;
	return 0;
}

/* Returns 1 if tok was a modifier (handled, 0 error code in *rc). */
static int s_modifier(struct query *q, const char *tok, size_t tn, time_t now, int *rc,
		      struct si_err *err)
{
	char v[QUERY_MAX_TERM_LEN + 1];
	size_t n;

	*rc = 0;
	if (SI_HAS_PREFIX_CI(tok, S_MOD_AT) && tn >= SI_LITLEN(S_MOD_AT)) {
		n = tn - SI_LITLEN(S_MOD_AT);
		if (n > QUERY_MAX_TERM_LEN)
			n = QUERY_MAX_TERM_LEN;
		s_copy(v, sizeof(v), tok + SI_LITLEN(S_MOD_AT), n);
		*rc = s_at(q, v, n, now, err);
		return 1;
	}
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
	/* An unknown ID or ARN stops the search like a typing mistake: it
	 * must not reach AWS, nor end in a public "No matches". */
	if (query_classify(term, t) == QUERY_MALFORMED || t->kind == QUERY_UNKNOWN)
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
 * Every failure leaves out->kind == QUERY_MALFORMED (QUERY_UNKNOWN when an
 * unknown ID or ARN stopped it) and a message for the user. */
int query_parse_at(const char *text, time_t now, struct query *out, struct si_err *err)
{
	const char *tok = NULL;
	size_t len, pos = 0, tn = 0, n_tok = 0;
	enum query_kind fail_kind = QUERY_MALFORMED;
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
		if (!s_modifier(out, tok, tn, now, &rc, err)) {
			rc = s_add_term(out, tok, tn, err);
			/* The failed term sits in the slot after the last kept. */
			if (rc != 0 && out->n_terms < QUERY_MAX_TERMS &&
			    out->terms[out->n_terms].kind == QUERY_UNKNOWN)
				fail_kind = QUERY_UNKNOWN;
		}
	}
	if (rc != 0)
		goto fail;
	if (n_tok == 0) {
		out->kind = QUERY_HELP;
		return 0;
	}
	if (out->n_terms == 0) {
		rc = si_err_set(err, SI_ERR_INVALID, "Add something to search for "
				"(an ID, ARN, IP address, CIDR block, host name or "
				"Name) besides account:, region: and at:");
		goto fail;
	}
	out->kind = out->terms[0].kind;
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	out->kind = fail_kind;
	return -1;
}

/* Contract in query.h: no request time, so at: is refused. */
int query_parse(const char *text, struct query *out, struct si_err *err)
{
	return query_parse_at(text, (time_t)-1, out, err);
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
	case QUERY_RESOURCE_ID: return "resource-id";
	case QUERY_ARN: return "arn";
	case QUERY_CIDR: return "cidr";
	case QUERY_HOST: return "host";
	case QUERY_UNKNOWN: return "unsupported";
	case QUERY_HELP: return "help";
	}
	return "unknown";
}
