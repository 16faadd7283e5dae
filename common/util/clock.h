/*
 * clock.h - the one monotonic clock and the one bounded sleep.
 *
 * Deadlines, retry times and "how long did this take" are measured on
 * CLOCK_MONOTONIC, never the wall clock: a wall-clock step (NTP, a manual
 * change) must not stretch or cut a wait. Code that needs the time as a
 * decision input still takes it as a parameter (STYLE.md habit 8); these
 * helpers are for the few places that read the clock on purpose (the
 * search loop, the retry sleeps).
 */
#ifndef SI_UTIL_CLOCK_H
#define SI_UTIL_CLOCK_H

/* Milliseconds on CLOCK_MONOTONIC (arbitrary origin). */
long long si_mono_ms(void);

/* Sleep ms milliseconds (nothing when ms <= 0), resuming after signals. */
void si_sleep_ms(long ms);

#endif
