#include "search/registry.h"

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
	NULL
};

static int s_all_hex(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (si_hexval(*s) < 0)
			return 0;
	return 1;
}

const struct rt_type *rt_by_id_prefix(const char *id)
{
	const struct rt_type *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; rt_types[i] != NULL; i++) {
		const char *const *p = rt_types[i]->id_prefixes;

		for (size_t k = 0; p != NULL && p[k] != NULL; k++) {
			size_t n = strlen(p[k]);

			if (n > best_len && strncasecmp(id, p[k], n) == 0 && s_all_hex(id + n)) {
				best = rt_types[i];
				best_len = n;
			}
		}
	}
	return best;
}

const struct rt_type *rt_by_arn(const char *svc, const char *restype)
{
	for (size_t i = 0; rt_types[i] != NULL; i++) {
		const struct rt_type *t = rt_types[i];

		if (t->arn_service == NULL || strcmp(t->arn_service, svc) != 0)
			continue;
		for (size_t k = 0; t->arn_types != NULL && t->arn_types[k] != NULL; k++)
			if (strcmp(t->arn_types[k], restype) == 0)
				return t;
	}
	return NULL;
}

const struct rt_type *rt_by_dns(const char *host)
{
	size_t hl = strlen(host);

	for (size_t i = 0; rt_types[i] != NULL; i++) {
		const char *const *d = rt_types[i]->dns_suffixes;

		for (size_t k = 0; d != NULL && d[k] != NULL; k++) {
			size_t n = strlen(d[k]);

			if (hl > n && strcmp(host + hl - n, d[k]) == 0)
				return rt_types[i];
		}
	}
	return NULL;
}

const struct rt_type *rt_by_name(const char *name)
{
	for (size_t i = 0; rt_types[i] != NULL; i++)
		if (strcmp(rt_types[i]->name, name) == 0)
			return rt_types[i];
	return NULL;
}

void rt_describe_known(char *out, size_t n)
{
	size_t used = 0;

	if (n == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; rt_types[i] != NULL && used < n; i++) {
		const struct rt_type *t = rt_types[i];
		int k;

		if (t->id_prefixes != NULL && t->id_prefixes[0] != NULL)
			k = snprintf(out + used, n - used, "%s%s (%s…)", used ? ", " : "", t->name,
				     t->id_prefixes[0]);
		else
			k = snprintf(out + used, n - used, "%s%s", used ? ", " : "", t->name);
		if (k < 0 || (size_t)k >= n - used) {
			out[used] = '\0';
			return;
		}
		used += (size_t)k;
	}
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
