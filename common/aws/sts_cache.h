/*
 * sts_cache.h - temporary credentials per role, shared by every thread.
 *
 * One entry per (role ARN, external id). Entries are refreshed by whoever
 * finds them stale: sts_cache_get() answers "fresh" only while the
 * credentials have more than the refresh margin left, so a search never
 * starts with credentials that could expire under it.
 */
#ifndef SI_STS_CACHE_H
#define SI_STS_CACHE_H

#include <time.h>

#include "aws/ec2_types.h"
#include "util/err.h"

/* The SDKs refresh assumed-role credentials 5 minutes before expiry (the
 * issue's "5-minute margin"); a search lasts seconds, far inside it. */
#define STS_CACHE_REFRESH_MARGIN_S 300

struct sts_cache;

/* A cache holding at most capacity roles. NULL on OOM. */
struct sts_cache *sts_cache_new(size_t capacity);
void sts_cache_free(struct sts_cache *c);

/* Copy the cached credentials of role_arn/external_id (external_id may be
 * NULL) into *out when they are valid beyond now + margin. Returns 1 when
 * copied (caller clears *out with sts_credentials_clear), 0 when absent or
 * stale, -1 on OOM. */
int sts_cache_get(struct sts_cache *c, const char *role_arn, const char *external_id,
		  time_t now, struct sts_credentials *out);

/* Store a copy of creds for the role (replacing the old entry). */
int sts_cache_put(struct sts_cache *c, const char *role_arn, const char *external_id,
		  const struct sts_credentials *creds, struct si_err *err);

/* Forget a role's credentials (e.g. after AWS said they expired). */
void sts_cache_drop(struct sts_cache *c, const char *role_arn, const char *external_id);

/* Deep copy; dst is cleared first. */
int sts_credentials_copy(struct sts_credentials *dst, const struct sts_credentials *src);

#endif
