#include "aws/ec2_types.h"

#include <stdlib.h>
#include <string.h>

#include "util/iso8601.h"
#include "util/strutil.h"

/* What ends a StateTransitionReason that carries a time:
 * " (YYYY-MM-DD HH:MM:SS GMT)". */
#define S_REASON_OPEN " ("
#define S_REASON_DATE_LEN (sizeof "YYYY-MM-DD HH:MM:SS" - 1)
#define S_REASON_DAY_LEN (sizeof "YYYY-MM-DD" - 1)
#define S_REASON_CLOSE " GMT)"
#define S_REASON_TAIL_LEN \
	(sizeof S_REASON_OPEN - 1 + S_REASON_DATE_LEN + sizeof S_REASON_CLOSE - 1)

static void s_free_tags(struct ec2_tag *tags, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(tags[i].key);
		free(tags[i].value);
	}
	free(tags);
}

static void s_free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void ec2_eni_clear(struct ec2_eni *e)
{
	if (e == NULL)
		return;
	free(e->eni_id);
	free(e->description);
	free(e->interface_type);
	free(e->requester_id);
	free(e->status);
	free(e->vpc_id);
	free(e->subnet_id);
	free(e->az);
	free(e->owner_id);
	free(e->attached_instance_id);
	free(e->mac);
	for (size_t i = 0; i < e->n_ips; i++) {
		free(e->ips[i].private_ip);
		free(e->ips[i].private_dns);
		free(e->ips[i].public_ip);
		free(e->ips[i].public_dns);
	}
	free(e->ips);
	s_free_strv(e->ipv6, e->n_ipv6);
	s_free_tags(e->tags, e->n_tags);
	memset(e, 0, sizeof(*e));
}

void ec2_instance_clear(struct ec2_instance *in)
{
	if (in == NULL)
		return;
	free(in->instance_id);
	free(in->instance_type);
	free(in->state);
	free(in->az);
	free(in->launch_time);
	free(in->state_reason);
	free(in->image_id);
	free(in->vpc_id);
	free(in->subnet_id);
	free(in->private_ip);
	free(in->private_dns);
	free(in->public_ip);
	free(in->public_dns);
	free(in->key_name);
	free(in->platform);
	free(in->owner_id);
	for (size_t i = 0; i < in->n_enis; i++)
		ec2_eni_clear(&in->enis[i]);
	free(in->enis);
	s_free_strv(in->ipv6, in->n_ipv6);
	s_free_tags(in->tags, in->n_tags);
	memset(in, 0, sizeof(*in));
}

void ec2_instance_list_free(struct ec2_instance_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		ec2_instance_clear(&l->items[i]);
	free(l->items);
	free(l->next_token);
	memset(l, 0, sizeof(*l));
}

void ec2_eni_list_free(struct ec2_eni_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		ec2_eni_clear(&l->items[i]);
	free(l->items);
	free(l->next_token);
	memset(l, 0, sizeof(*l));
}

void sts_credentials_clear(struct sts_credentials *c)
{
	if (c == NULL)
		return;
	free(c->access_key_id);
	si_secret_free(c->secret_access_key);
	si_secret_free(c->session_token);
	free(c->assumed_role_arn);
	memset(c, 0, sizeof(*c));
}

void aws_error_clear(struct aws_error *e)
{
	if (e == NULL)
		return;
	free(e->code);
	free(e->message);
	free(e->request_id);
	memset(e, 0, sizeof(*e));
}

const char *ec2_tag_get(const struct ec2_tag *tags, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (tags[i].key != NULL && strcmp(tags[i].key, key) == 0)
			return tags[i].value;
	return NULL;
}

/* Contract in ec2_types.h. Why a rewrite into ISO 8601 and not a parser
 * of its own: the date and time are the extended form with a blank for
 * the 'T' and "GMT" for the 'Z', so the one timestamp parser (its range
 * rules included) reads them once the two separators are put back. */
int ec2_reason_time(const char *reason, time_t *out)
{
	char iso[S_REASON_DATE_LEN + 2];
	const char *date;
	size_t len;

	*out = 0;
	if (reason == NULL)
		return -1;
	len = strlen(reason);
	if (len < S_REASON_TAIL_LEN)
		return -1;
	date = reason + len - S_REASON_TAIL_LEN + (sizeof S_REASON_OPEN - 1);
	if (memcmp(date - (sizeof S_REASON_OPEN - 1), S_REASON_OPEN,
		   sizeof S_REASON_OPEN - 1) != 0 ||
	    memcmp(date + S_REASON_DATE_LEN, S_REASON_CLOSE, sizeof S_REASON_CLOSE - 1) != 0 ||
	    date[S_REASON_DAY_LEN] != ' ')
		return -1;
	memcpy(iso, date, S_REASON_DATE_LEN);
	iso[S_REASON_DAY_LEN] = 'T';
	iso[S_REASON_DATE_LEN] = 'Z';
	iso[S_REASON_DATE_LEN + 1] = '\0';
	if (si_iso8601_parse_utc(iso, S_REASON_DATE_LEN + 1, out, NULL) != 0) {
		*out = 0;
		return -1;
	}
	return 0;
}
