/*
 * backoff.h - how long to wait before the next try of anything remote.
 *
 * Pure arithmetic: no clock, no sleeping, and the randomness comes from the
 * caller (a value, or a caller-held generator state), so tests pin both.
 * Used by every retry loop (AWS calls in aws/client, response_url posting in
 * slack/post); what is worth retrying is each caller's own business.
 */
#ifndef SI_UTIL_BACKOFF_H
#define SI_UTIL_BACKOFF_H

#include <stdint.h>

/*
 * Full-jitter exponential backoff ("Exponential Backoff and Jitter", AWS
 * Architecture Blog, 2015): sleep = random_between(0, min(cap, base *
 * 2^attempt)), both ends included. attempt is 0 for the wait after the
 * first failure. random is a uniformly random 32-bit value from the caller.
 * Never overflows: once base * 2^attempt would pass cap the ceiling is cap.
 * Returns 0 when base_ms or cap_ms is <= 0; a negative attempt counts as 0.
 */
long si_backoff_ms(int attempt, long base_ms, long cap_ms, uint32_t random);

/* Next value of a xorshift32 generator whose state the caller keeps (a
 * state of 0 is replaced by a fixed non-zero seed). Jitter only needs to
 * spread retries apart, not to be secret, so a tiny generator per thread
 * is enough and keeps tests deterministic. */
uint32_t si_backoff_rand(uint32_t *state);

#endif
