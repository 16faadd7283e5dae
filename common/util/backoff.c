/*
 * backoff.c - full-jitter exponential backoff (see backoff.h).
 */
#include "util/backoff.h"

#include <limits.h>

/* A fixed non-zero start for a generator handed a zero state: xorshift
 * stays at 0 forever otherwise. Marsaglia's own example seed. */
#define S_DEFAULT_SEED 2463534242u

long si_backoff_ms(int attempt, long base_ms, long cap_ms, uint32_t random)
{
	unsigned long ceiling;
	int i;

	if (base_ms <= 0 || cap_ms <= 0)
		return 0;
	if (attempt < 0)
		attempt = 0;
	/* Double step by step and stop at cap: at most 63 doublings of a
	 * positive long reach any cap, so the loop is short and can never
	 * overflow (the check precedes each doubling). */
	ceiling = (unsigned long)(base_ms < cap_ms ? base_ms : cap_ms);
	for (i = 0; i < attempt && ceiling < (unsigned long)cap_ms; i++) {
		if (ceiling > (unsigned long)cap_ms / 2) {
			ceiling = (unsigned long)cap_ms;
			break;
		}
		ceiling *= 2;
	}
	if (ceiling > (unsigned long)cap_ms)
		ceiling = (unsigned long)cap_ms;
	/* Uniform over [0, ceiling] (modulo bias is irrelevant at these
	 * sizes). A ceiling >= 2^32 ms (49 days) is only reached through the
	 * 32-bit random value, which is plenty for a sleep. */
	if (ceiling >= (unsigned long)UINT32_MAX)
		return (long)random;
	return (long)(random % (ceiling + 1));
}

uint32_t si_backoff_rand(uint32_t *state)
{
	uint32_t x = *state != 0 ? *state : S_DEFAULT_SEED;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}
