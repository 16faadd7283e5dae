/*
 * private/creds.h - what a credential provider implementation needs, and
 * callers of the providers do not (aws-c-auth keeps the same split:
 * include/aws/auth/private/).
 *
 * Used by creds.c, creds_file.c, creds_http.c and their tests; nothing
 * outside common/aws includes it.
 */
#ifndef SI_AWS_PRIVATE_CREDS_H
#define SI_AWS_PRIVATE_CREDS_H

#include <time.h>

#include "aws/creds.h"
#include "util/err.h"

/* What a provider implementation supplies (as aws-c-auth's
 * aws_credentials_provider_vtable). get has the contract of
 * aws_creds_provider_get; destroy frees impl (may be NULL if impl needs no
 * freeing). The vtable must outlive the provider (use a static const). */
struct aws_creds_provider_vtable {
	int (*get)(void *impl, time_t now, struct aws_creds *out, struct si_err *err);
	void (*destroy)(void *impl);
};

/* Wrap impl in a provider. On success the provider owns impl (destroy is
 * called on it by aws_creds_provider_free); on failure (OOM) impl is
 * destroyed too, so the caller never leaks it. */
struct aws_creds_provider *aws_creds_provider_new(const struct aws_creds_provider_vtable *vt,
						  void *impl, struct si_err *err);

/* Value of name in envp (first match, like getenv), or NULL. envp may be
 * NULL. The result points into envp. */
const char *aws_creds_env_get(char *const *envp, const char *name);

/* Fill *out with copies of the strings (token may be NULL or "") and
 * source. Access key and secret must be non-empty. */
int aws_creds_set(struct aws_creds *out, const char *access_key_id, const char *secret_access_key,
		  const char *session_token, time_t expiration, const char *source,
		  struct si_err *err);

/* Parse an ISO 8601 UTC timestamp as AWS writes it
 * ("2024-05-01T12:00:00Z", optional fraction, "Z" or "+00:00"). */
int aws_creds_parse_time(const char *s, time_t *out, struct si_err *err);

#endif
