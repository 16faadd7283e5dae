#include "search/registry.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "search/private/sink.h"
#include "search/private/types.h"
#include "util/strutil.h"

/* The order is the classifier's and the help text's: the commonest
 * things an alert names first. */
const struct rt_type *const rt_types[] = {
	&rt_instance,
	&rt_eni,
	&rt_security_group,
	&rt_subnet,
	&rt_vpc,
	&rt_volume,
	&rt_image,
	&rt_snapshot,
	&rt_nat_gateway,
	&rt_internet_gateway,
	&rt_vpc_endpoint,
	&rt_transit_gateway,
	&rt_launch_template,
	&rt_elbv2,
	&rt_elb_classic,
	&rt_db_instance,
	&rt_db_cluster,
	&rt_asg,
	&rt_lambda,
	&rt_dns_record,
	&rt_dns_zone,
	NULL
};

/* An ID's prefix: up to and including its last '-' ("tgw-attach-" for
 * "tgw-attach-0123abcd", so that it is not taken for a "tgw-"). Returns
 * its length, 0 when id has no '-'. */
static size_t s_id_prefix_len(const char *id)
{
	const char *dash = strrchr(id, '-');

	return dash != NULL ? (size_t)(dash - id) + 1 : 0;
}

/* Contract in registry.h. Only the prefix is compared (ASCII case
 * ignored): the digits are the caller's to check, so that the classifier
 * can say what is wrong with "sg-123" instead of not knowing "sg-". */
const struct rt_type *rt_by_id_prefix(const char *id)
{
	size_t n = id != NULL ? s_id_prefix_len(id) : 0;

	if (n == 0)
		return NULL;
	for (size_t i = 0; rt_types[i] != NULL; i++) {
		const char *const *p = rt_types[i]->id_prefixes;

		for (size_t k = 0; p != NULL && p[k] != NULL; k++)
			if (strlen(p[k]) == n && strncasecmp(id, p[k], n) == 0)
				return rt_types[i];
	}
	return NULL;
}

/* ARN services are lower case and resource types case-sensitive in AWS's
 * own ARNs ("autoScalingGroup"); a pasted ARN may have been re-cased, and
 * no two AWS resource types differ by case only, so case is ignored. */
const struct rt_type *rt_by_arn(const char *svc, const char *restype)
{
	if (svc == NULL || restype == NULL)
		return NULL;
	for (size_t i = 0; rt_types[i] != NULL; i++) {
		const struct rt_type *t = rt_types[i];

		if (t->arn_service == NULL || strcasecmp(t->arn_service, svc) != 0)
			continue;
		for (size_t k = 0; t->arn_types != NULL && t->arn_types[k] != NULL; k++)
			if (strcasecmp(t->arn_types[k], restype) == 0)
				return t;
	}
	return NULL;
}

/* How many labels of host, counted from the right, the suffix (leading
 * dot, labels of which "*" matches any one label) covers; 0 when it does
 * not end host or leaves no label of host before it. */
static size_t s_dns_match(const char *host, size_t hl, const char *suffix)
{
	size_t sl = strlen(suffix), labels = 0;

	if (sl < 2 || suffix[0] != '.')
		return 0;
	/* Walk both from the right, one label at a time. */
	while (sl > 0) {
		const char *sdot = memrchr(suffix, '.', sl);
		const char *hdot = hl > 0 ? memrchr(host, '.', hl) : NULL;
		size_t slab = sl - (size_t)(sdot - suffix) - 1;
		size_t hstart = hdot != NULL ? (size_t)(hdot - host) + 1 : 0;
		size_t hlab = hl - hstart;

		if (hdot == NULL || hlab == 0)
			return 0;     /* host ran out: nothing left before */
		if (!(slab == 1 && sdot[1] == '*') &&
		    (slab != hlab || memcmp(sdot + 1, host + hstart, hlab) != 0))
			return 0;
		labels++;
		sl = (size_t)(sdot - suffix);
		hl = hstart - 1;
	}
	return hl > 0 ? labels : 0;
}

/* Contract in registry.h. Where several suffixes end host the one of most
 * labels wins (the most specific), then the first type in rt_types[]. */
const struct rt_type *rt_by_dns(const char *host)
{
	const struct rt_type *best = NULL;
	size_t best_labels = 0, hl;

	if (host == NULL)
		return NULL;
	hl = strlen(host);
	for (size_t i = 0; rt_types[i] != NULL; i++) {
		const char *const *d = rt_types[i]->dns_suffixes;

		for (size_t k = 0; d != NULL && d[k] != NULL; k++) {
			size_t labels = s_dns_match(host, hl, d[k]);

			if (labels > best_labels) {
				best = rt_types[i];
				best_labels = labels;
			}
		}
	}
	return best;
}

const struct rt_type *rt_by_name(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; rt_types[i] != NULL; i++)
		if (strcmp(rt_types[i]->name, name) == 0)
			return rt_types[i];
	return NULL;
}

/* Append the formatted text to out[*used..n); on truncation out keeps what
 * fitted up to the last whole item and *used becomes n (nothing more is
 * appended). */
__attribute__((format(printf, 4, 5)))
static void s_describe_add(char *out, size_t n, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*used >= n)
		return;
	va_start(ap, fmt);
	k = vsnprintf(out + *used, n - *used, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= n - *used) {
		out[*used] = '\0';
		*used = n;
		return;
	}
	*used += (size_t)k;
}

/* A label's first letter as it reads mid-sentence: "Load balancer" ->
 * 'l', but "VPC endpoint" keeps its acronym. */
static char s_mid_sentence(const char *label)
{
	if (label[0] >= 'A' && label[0] <= 'Z' && !(label[1] >= 'A' && label[1] <= 'Z'))
		return (char)(label[0] | 0x20);
	return label[0];
}

/* 1 when some type before rt_types[i] has the same ARN service. */
static int s_service_seen(size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (rt_types[k]->arn_service != NULL &&
		    strcmp(rt_types[k]->arn_service, rt_types[i]->arn_service) == 0)
			return 1;
	return 0;
}

/* Contract in registry.h. Why one sentence built from the registry: the
 * explanation of an unknown ID or ARN must name what can be searched
 * today, and must not go stale when a module is added. It lists the ID
 * prefixes, the ARN services, the types found by DNS name, then the kinds of term
 * some type answers (RT_BY_*), in rt_types[] order; the text is cut at a
 * whole item when n is too small. */
void rt_describe_known(char *out, size_t n)
{
	size_t used = 0, count;
	unsigned by = 0;

	if (out == NULL || n == 0)
		return;
	out[0] = '\0';
	count = 0;
	for (size_t i = 0; rt_types[i] != NULL; i++) {
		const char *const *p = rt_types[i]->id_prefixes;

		/* "host names" only when some type takes any host (Route 53);
		 * those of a DNS suffix are listed by type below. */
		by |= rt_types[i]->by & ~RT_BY_HOST;
		if ((rt_types[i]->by & RT_BY_HOST) && rt_types[i]->dns_suffixes == NULL)
			by |= RT_BY_HOST;
		for (size_t k = 0; p != NULL && p[k] != NULL; k++)
			s_describe_add(out, n, &used, "%s%s", count++ ? ", " : "IDs ", p[k]);
	}
	count = 0;
	for (size_t i = 0; rt_types[i] != NULL; i++)
		if (rt_types[i]->arn_service != NULL && !s_service_seen(i))
			s_describe_add(out, n, &used, "%s%s", count++ ? ", " : used ? "; ARNs of "
					: "ARNs of ", rt_types[i]->arn_service);
	count = 0;
	for (size_t i = 0; rt_types[i] != NULL; i++) {
		const char *l = rt_types[i]->label;

		if (rt_types[i]->dns_suffixes == NULL || l == NULL || l[0] == '\0')
			continue;
		s_describe_add(out, n, &used, "%s%c%ss", count++ ? ", " : used ? "; DNS names of "
			       : "DNS names of ", s_mid_sentence(l), l + 1);
	}
	if (by & RT_BY_HOST)
		s_describe_add(out, n, &used, "%shost names", used ? "; " : "");
	if (by & RT_BY_ADDR)
		s_describe_add(out, n, &used, "%sIP addresses", used ? "; " : "");
	if (by & RT_BY_CIDR)
		s_describe_add(out, n, &used, "%sCIDR blocks", used ? "; " : "");
	if (by & RT_BY_NAME)
		s_describe_add(out, n, &used, "%sNames", used ? "; " : "");
}

/* Append s to storage with EC2's filter escapes ('*', '?', '\' take a
 * backslash). Returns the start, or NULL when storage is full. */
static const char *s_store(char *storage, size_t len, size_t *used, const char *s, size_t n)
{
	char *start = storage + *used;
	size_t u = *used;

	if (u + 2 * n + 3 > len)
		return NULL;
	storage[u++] = '*';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '*' || s[i] == '?' || s[i] == '\\')
			storage[u++] = '\\';
		storage[u++] = s[i];
	}
	storage[u++] = '*';
	storage[u++] = '\0';
	*used = u;
	return start;
}

/* Why a window and not the whole term: every upper/lower combination of
 * n letters is 2^n filter values, and AWS takes a few hundred per filter;
 * 7 letters (128 values) keep it to one call, and the caller narrows the
 * superset with the whole term. Why not "tag-key=Name" and filter here:
 * that lists every named instance of every target on every search. */
size_t rt_ec2_name_filter(const char *term, int filter_n, struct aws_query_param *params,
			  char *storage, size_t storage_len)
{
	char win[RT_NAME_WINDOW + 1];
	size_t wl = 0, np = 0, used = 0, letters[RT_NAME_WINDOW], nl = 0;
	int len;
	char *fname = storage;

	/* The window: the first RT_NAME_WINDOW bytes, cut back to a whole
	 * UTF-8 character (letters are ASCII only: tags are compared
	 * byte-wise, and case folding beyond ASCII is not ours to guess). */
	while (term[wl] != '\0' && wl < RT_NAME_WINDOW)
		wl++;
	while (wl > 0 && term[wl] != '\0' && ((unsigned char)term[wl] & 0xC0) == 0x80)
		wl--;
	memcpy(win, term, wl);
	win[wl] = '\0';
	for (size_t i = 0; i < wl; i++)
		if ((win[i] >= 'a' && win[i] <= 'z') || (win[i] >= 'A' && win[i] <= 'Z'))
			letters[nl++] = i;
	len = snprintf(fname, storage_len, "Filter.%d.Name", filter_n);
	if (len < 0 || (size_t)len + 1 >= storage_len)
		return 0;
	used = (size_t)len + 1;
	params[np++] = (struct aws_query_param){ fname, "tag:Name" };
	for (unsigned long mask = 0; mask < (1UL << nl); mask++) {
		char name[40], *nm;
		const char *v;

		for (size_t b = 0; b < nl; b++) {
			char c = win[letters[b]];

			win[letters[b]] = (mask >> b) & 1 ? (char)(c & ~0x20) : (char)(c | 0x20);
		}
		len = snprintf(name, sizeof(name), "Filter.%d.Value.%lu", filter_n, mask + 1);
		if (len < 0 || used + (size_t)len + 1 > storage_len)
			return np;
		nm = storage + used;
		memcpy(nm, name, (size_t)len + 1);
		used += (size_t)len + 1;
		v = s_store(storage, storage_len, &used, win, wl);
		if (v == NULL)
			return np;
		params[np++] = (struct aws_query_param){ nm, v };
	}
	return np;
}

/* ---- dispatch to the sink (search/private/sink.h) ---------------------- */

static const struct rt_sink_ops *s_ops(void *priv)
{
	return ((const struct rt_sink *)priv)->ops;
}

int rt_plan_request(struct rt_plan *p, const struct rt_request *rq)
{
	return s_ops(p->priv)->plan_request(p, rq);
}

struct res_resource *rt_new_resource(struct rt_answer *a, const struct rt_type *t,
				     size_t *index)
{
	return s_ops(a->priv)->new_resource(a, t, index);
}

struct res_resource *rt_resource(struct rt_answer *a, size_t index)
{
	if (index == RT_NO_PARENT)
		return NULL;
	return s_ops(a->priv)->resource(a, index);
}

int rt_follow(struct rt_answer *a, const struct rt_request *rq)
{
	return s_ops(a->priv)->follow(a, rq);
}

int rt_next_page(struct rt_answer *a, const char *token)
{
	if (token == NULL || token[0] == '\0')
		return 0;
	return s_ops(a->priv)->next_page(a, token);
}

int rt_follow_host(struct rt_answer *a, const char *host, const char *hop)
{
	return s_ops(a->priv)->follow_host(a, host, hop);
}

const char *rt_hop(const struct rt_answer *a)
{
	const char *h = s_ops(a->priv)->hop(a);

	return h != NULL ? h : "";
}

void rt_take_instances(struct rt_answer *a, struct ec2_instance_list *l)
{
	s_ops(a->priv)->take_instances(a, l);
}

void rt_take_enis(struct rt_answer *a, struct ec2_eni_list *l)
{
	s_ops(a->priv)->take_enis(a, l);
}
