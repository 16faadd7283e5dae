/*
 * test_backoff.c - full-jitter backoff (common/util/backoff.c), table-driven.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "util/backoff.h"

struct backoff_row {
	int attempt;
	long base;
	long cap;
	uint32_t random;
	long want;
};

static void test_backoff_table(void **state)
{
	/* Ceiling = min(cap, base * 2^attempt); result = random % (ceiling + 1). */
	static const struct backoff_row rows[] = {
		{0, 100, 20000, 0, 0},
		{0, 100, 20000, 100, 100},          /* ceiling 100, inclusive */
		{0, 100, 20000, 101, 0},            /* 101 % 101 */
		{1, 100, 20000, 200, 200},
		{3, 100, 20000, 800, 800},          /* 100 * 8 */
		{3, 100, 20000, 801, 0},
		{7, 100, 20000, 12800, 12800},      /* 100 * 128 */
		{8, 100, 20000, 20000, 20000},      /* 25600 capped at 20000 */
		{8, 100, 20000, 20001, 0},
		{0, 500, 200, 200, 200},            /* base above cap: cap */
		{0, 500, 200, 201, 0},
		{-5, 100, 20000, 100, 100},         /* negative attempt = 0 */
		{2, 0, 20000, 12345, 0},            /* no base: no sleep */
		{2, 100, 0, 12345, 0},
		{2, -1, 20000, 12345, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct backoff_row *r = &rows[i];
		long got = si_backoff_ms(r->attempt, r->base, r->cap, r->random);

		if (got != r->want)
			fail_msg("row %zu: attempt %d base %ld cap %ld random %u: got %ld want %ld",
				 i, r->attempt, r->base, r->cap, (unsigned)r->random, got, r->want);
	}
}

/* Large attempts must neither overflow nor exceed cap; the ceiling is then
 * exactly cap, so random = cap yields cap and cap + 1 wraps to 0. */
static void test_backoff_overflow_safe(void **state)
{
	static const int attempts[] = {31, 32, 62, 63, 64, 100, 1000, INT_MAX};
	size_t i;
	uint32_t r;

	(void)state;
	for (i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
		assert_int_equal(si_backoff_ms(attempts[i], 100, 20000, 20000), 20000);
		assert_int_equal(si_backoff_ms(attempts[i], 100, 20000, 20001), 0);
		assert_int_equal(si_backoff_ms(attempts[i], LONG_MAX, LONG_MAX, 7), 7);
		/* From 2^32 on the ceiling exceeds any 32-bit random value. */
		if (attempts[i] >= 32)
			assert_int_equal(si_backoff_ms(attempts[i], 1, LONG_MAX, UINT32_MAX),
					 (long)UINT32_MAX);
		for (r = 0; r < 4000000000u; r += 123456789u) {
			long v = si_backoff_ms(attempts[i], 100, 20000, r);

			assert_true(v >= 0 && v <= 20000);
		}
	}
	/* 2^31 is the ceiling at attempt 31: 0xffffffff % (2^31 + 1). */
	assert_int_equal(si_backoff_ms(31, 1, LONG_MAX, UINT32_MAX), 0x7ffffffeL);
	/* Large base with a small attempt: no overflow of base * 2^attempt. */
	assert_int_equal(si_backoff_ms(2, LONG_MAX / 2, LONG_MAX, 5), 5);
}

/* The generator is a pure function of its state: the same seed gives the
 * same jitter (tests pin it), and a zero state still moves. */
static void test_rand_is_seeded(void **state)
{
	uint32_t a = 42, b = 42, z = 0;
	uint32_t first = si_backoff_rand(&a);

	(void)state;
	assert_int_equal(first, si_backoff_rand(&b));
	assert_int_not_equal(si_backoff_rand(&a), first);
	assert_int_not_equal(si_backoff_rand(&z), 0);
	assert_int_not_equal(z, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_table),
		cmocka_unit_test(test_backoff_overflow_safe),
		cmocka_unit_test(test_rand_is_seeded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
