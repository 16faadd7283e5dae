/*
 * clock.c - monotonic milliseconds and a sleep that survives signals.
 */
#include "util/clock.h"

#include <errno.h>
#include <time.h>

long long si_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000L;
}

void si_sleep_ms(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	/* nanosleep leaves the remaining time in ts when a signal cuts it. */
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}
