#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "slack/replay.h"

/* Slack's replay window, as slack_sig.h's SLACK_SIG_MAX_SKEW. */
#define T_WINDOW 300
#define T_T0 ((time_t)1700000000)
#define T_SIG_LEN 67

/* A signature header whose MAC is SHA-256(n): as uniform as a real HMAC,
 * and reproducible, so test runs are identical. */
static int t_sig_raw(unsigned n, char out[T_SIG_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	uint8_t in[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16),
			  (uint8_t)(n >> 8), (uint8_t)n };

	if (EVP_Digest(in, sizeof(in), md, &md_len, EVP_sha256(), NULL) != 1 ||
	    md_len != 32)
		return -1;
	memcpy(out, "v0=", 3);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 3 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static void t_sig(unsigned n, char out[T_SIG_LEN + 1])
{
	assert_int_equal(t_sig_raw(n, out), 0);
}

static struct replay_cache *t_cache(size_t capacity, int window)
{
	struct si_err err;
	struct replay_cache *c = replay_cache_new(capacity, window, &err);

	assert_non_null(c);
	return c;
}

static void test_new_then_duplicate(void **state)
{
	struct replay_cache *c = t_cache(16, T_WINDOW);
	char a[T_SIG_LEN + 1], b[T_SIG_LEN + 1];

	(void)state;
	t_sig(1, a);
	t_sig(2, b);
	assert_int_equal(replay_check(c, a, 0, T_T0), REPLAY_NEW);
	assert_int_equal(replay_check(c, a, 0, T_T0 + 1), REPLAY_DUPLICATE);
	assert_int_equal(replay_check(c, a, 0, T_T0 + 2), REPLAY_DUPLICATE);
	/* A different signature is unaffected. */
	assert_int_equal(replay_check(c, b, 0, T_T0 + 2), REPLAY_NEW);
	replay_cache_free(c);
}

static void test_retry_of_seen_request_is_retry(void **state)
{
	struct replay_cache *c = t_cache(16, T_WINDOW);
	char a[T_SIG_LEN + 1];

	(void)state;
	t_sig(7, a);
	assert_int_equal(replay_check(c, a, 0, T_T0), REPLAY_NEW);
	/* Slack retries up to three times. */
	assert_int_equal(replay_check(c, a, 1, T_T0 + 3), REPLAY_RETRY);
	assert_int_equal(replay_check(c, a, 1, T_T0 + 60), REPLAY_RETRY);
	assert_int_equal(replay_check(c, a, 1, T_T0 + 240), REPLAY_RETRY);
	/* A retry does not make the plain copy acceptable again. */
	assert_int_equal(replay_check(c, a, 0, T_T0 + 241), REPLAY_DUPLICATE);
	replay_cache_free(c);
}

static void test_retry_never_seen_is_new(void **state)
{
	struct replay_cache *c = t_cache(16, T_WINDOW);
	char a[T_SIG_LEN + 1];

	(void)state;
	t_sig(8, a);
	/* E.g. the original reached the service before a restart. */
	assert_int_equal(replay_check(c, a, 1, T_T0), REPLAY_NEW);
	assert_int_equal(replay_check(c, a, 1, T_T0 + 1), REPLAY_RETRY);
	assert_int_equal(replay_check(c, a, 0, T_T0 + 2), REPLAY_DUPLICATE);
	replay_cache_free(c);
}

static void test_expiry_at_window_boundary(void **state)
{
	struct replay_cache *c = t_cache(16, T_WINDOW);
	char a[T_SIG_LEN + 1];

	(void)state;
	t_sig(9, a);
	assert_int_equal(replay_check(c, a, 0, T_T0), REPLAY_NEW);
	/* The verifier still accepts at exactly 300 s, so must we refuse. */
	assert_int_equal(replay_check(c, a, 0, T_T0 + T_WINDOW), REPLAY_DUPLICATE);
	/* The duplicate did not extend the life: one second later it is gone. */
	assert_int_equal(replay_check(c, a, 0, T_T0 + T_WINDOW + 1), REPLAY_NEW);
	assert_int_equal(replay_check(c, a, 0, T_T0 + T_WINDOW + 2), REPLAY_DUPLICATE);
	replay_cache_free(c);
}

static void test_retry_after_expiry_is_new(void **state)
{
	struct replay_cache *c = t_cache(16, T_WINDOW);
	char a[T_SIG_LEN + 1];

	(void)state;
	t_sig(10, a);
	assert_int_equal(replay_check(c, a, 0, T_T0), REPLAY_NEW);
	assert_int_equal(replay_check(c, a, 1, T_T0 + T_WINDOW + 1), REPLAY_NEW);
	replay_cache_free(c);
}

static void test_window_is_a_parameter(void **state)
{
	struct replay_cache *c = t_cache(16, 10);
	char a[T_SIG_LEN + 1];

	(void)state;
	t_sig(11, a);
	assert_int_equal(replay_check(c, a, 0, T_T0), REPLAY_NEW);
	assert_int_equal(replay_check(c, a, 0, T_T0 + 10), REPLAY_DUPLICATE);
	assert_int_equal(replay_check(c, a, 0, T_T0 + 11), REPLAY_NEW);
	replay_cache_free(c);
}

static void test_clock_stepped_back_is_symmetric(void **state)
{
	struct replay_cache *c = t_cache(16, T_WINDOW);
	char a[T_SIG_LEN + 1];

	(void)state;
	t_sig(12, a);
	assert_int_equal(replay_check(c, a, 0, T_T0), REPLAY_NEW);
	assert_int_equal(replay_check(c, a, 0, T_T0 - T_WINDOW), REPLAY_DUPLICATE);
	assert_int_equal(replay_check(c, a, 0, T_T0 - T_WINDOW - 1), REPLAY_NEW);
	replay_cache_free(c);
}

static void test_extreme_clock_values_do_not_overflow(void **state)
{
	struct replay_cache *c = t_cache(16, T_WINDOW);
	char a[T_SIG_LEN + 1];

	(void)state;
	t_sig(13, a);
	assert_int_equal(replay_check(c, a, 0, (time_t)INT64_MIN), REPLAY_NEW);
	/* The distance overflows int64; it must still count as expired. */
	assert_int_equal(replay_check(c, a, 0, (time_t)INT64_MAX), REPLAY_NEW);
	assert_int_equal(replay_check(c, a, 0, (time_t)INT64_MAX), REPLAY_DUPLICATE);
	replay_cache_free(c);
}

static void test_malformed_signatures_are_invalid(void **state)
{
	struct replay_cache *c = t_cache(16, T_WINDOW);
	char good[T_SIG_LEN + 1], bad[T_SIG_LEN + 8];
	static const char *const fixed[] = {
		"", "v0=", "v0=abc", "v1=", "sha256=00",
	};

	(void)state;
	t_sig(14, good);
	assert_int_equal(replay_check(c, NULL, 0, T_T0), REPLAY_INVALID);
	assert_int_equal(replay_check(NULL, good, 0, T_T0), REPLAY_INVALID);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		assert_int_equal(replay_check(c, fixed[i], 0, T_T0), REPLAY_INVALID);
	/* Upper-case hex: the verifier refuses it, so a second spelling of one
	 * MAC can never be counted as a different request. */
	memcpy(bad, good, sizeof(good));
	for (char *p = bad + 3; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(replay_check(c, bad, 0, T_T0), REPLAY_INVALID);
	/* One digit too many, one too few, a non-hex digit, another version. */
	snprintf(bad, sizeof(bad), "%s0", good);
	assert_int_equal(replay_check(c, bad, 0, T_T0), REPLAY_INVALID);
	memcpy(bad, good, sizeof(good));
	bad[T_SIG_LEN - 1] = '\0';
	assert_int_equal(replay_check(c, bad, 0, T_T0), REPLAY_INVALID);
	memcpy(bad, good, sizeof(good));
	bad[10] = 'g';
	assert_int_equal(replay_check(c, bad, 0, T_T0), REPLAY_INVALID);
	memcpy(bad, good, sizeof(good));
	bad[1] = '1';
	assert_int_equal(replay_check(c, bad, 0, T_T0), REPLAY_INVALID);
	/* None of them was remembered. */
	assert_int_equal(replay_check(c, good, 0, T_T0), REPLAY_NEW);
	replay_cache_free(c);
}

static void test_new_rejects_bad_parameters(void **state)
{
	struct si_err err;

	(void)state;
	assert_null(replay_cache_new(0, T_WINDOW, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(replay_cache_new(16, 0, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(replay_cache_new(16, -1, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(replay_cache_new(16, REPLAY_WINDOW_MAX + 1, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(replay_cache_new(REPLAY_CAPACITY_MAX + 1, T_WINDOW, &err));
	assert_int_equal(err.code, SI_ERR_LIMIT);
	assert_null(replay_cache_new(16, 0, NULL));
	replay_cache_free(NULL);
}

/* capacity 4 gives 8 slots, fewer than the probe bound: every signature
 * shares one window, so "oldest" is the oldest in the whole cache. */
static void test_full_cache_evicts_oldest(void **state)
{
	struct replay_cache *c = t_cache(4, T_WINDOW);
	struct replay_stats st;
	char s[10][T_SIG_LEN + 1];

	(void)state;
	for (unsigned i = 0; i < 10; i++)
		t_sig(100 + i, s[i]);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(replay_check(c, s[i], 0, T_T0 + i), REPLAY_NEW);
	replay_cache_stats(c, T_T0 + 8, &st);
	assert_int_equal(st.slots, 8);
	assert_int_equal(st.live, 8);
	assert_int_equal(st.evictions, 0);

	/* A ninth live signature pushes out s[0], the oldest. */
	assert_int_equal(replay_check(c, s[8], 0, T_T0 + 8), REPLAY_FULL);
	for (unsigned i = 1; i < 9; i++)
		assert_int_equal(replay_check(c, s[i], 0, T_T0 + 9), REPLAY_DUPLICATE);
	/* s[0] was forgotten: it is accepted again (and evicts s[1]). */
	assert_int_equal(replay_check(c, s[0], 0, T_T0 + 9), REPLAY_FULL);
	assert_int_equal(replay_check(c, s[1], 1, T_T0 + 9), REPLAY_FULL);
	assert_int_equal(replay_check(c, s[0], 0, T_T0 + 9), REPLAY_DUPLICATE);
	replay_cache_stats(c, T_T0 + 9, &st);
	assert_int_equal(st.live, 8);
	assert_int_equal(st.evictions, 3);
	replay_cache_free(c);
}

static void test_expired_slots_reused_without_eviction(void **state)
{
	struct replay_cache *c = t_cache(4, T_WINDOW);
	struct replay_stats st;
	char s[T_SIG_LEN + 1];

	(void)state;
	for (unsigned i = 0; i < 8; i++) {
		t_sig(200 + i, s);
		assert_int_equal(replay_check(c, s, 0, T_T0), REPLAY_NEW);
	}
	for (unsigned i = 0; i < 8; i++) {
		t_sig(300 + i, s);
		assert_int_equal(replay_check(c, s, 0, T_T0 + T_WINDOW + 1), REPLAY_NEW);
	}
	replay_cache_stats(c, T_T0 + T_WINDOW + 1, &st);
	assert_int_equal(st.live, 8);
	assert_int_equal(st.evictions, 0);
	replay_cache_free(c);
}

/* At its rated capacity the cache must hold every signature: evicting
 * below it would quietly weaken replay protection. */
#define T_RATED 100000
static void test_rated_capacity_holds_without_eviction(void **state)
{
	struct replay_cache *c = t_cache(T_RATED, T_WINDOW);
	struct replay_stats st;
	char s[T_SIG_LEN + 1];
	size_t full = 0;

	(void)state;
	for (unsigned i = 0; i < T_RATED; i++) {
		enum replay_status r;

		t_sig(1000000 + i, s);
		r = replay_check(c, s, 0, T_T0);
		assert_true(r == REPLAY_NEW || r == REPLAY_FULL);
		full += r == REPLAY_FULL;
	}
	assert_int_equal(full, 0);
	replay_cache_stats(c, T_T0, &st);
	assert_int_equal(st.live, T_RATED);
	assert_int_equal(st.slots, 262144);
	replay_cache_free(c);
}

static void test_memory_bounded_under_flood(void **state)
{
	struct replay_cache *c = t_cache(1000, T_WINDOW);
	struct replay_stats st;
	char s[T_SIG_LEN + 1];
	size_t n_new = 0, n_full = 0;

	(void)state;
	for (unsigned i = 0; i < 50000; i++) {
		enum replay_status r;

		t_sig(5000000 + i, s);
		r = replay_check(c, s, 0, T_T0);
		n_new += r == REPLAY_NEW;
		n_full += r == REPLAY_FULL;
	}
	assert_int_equal(n_new + n_full, 50000);
	replay_cache_stats(c, T_T0, &st);
	assert_int_equal(st.slots, 2048);
	assert_true(st.live <= st.slots);
	/* Every insertion either filled a free slot or replaced one. */
	assert_int_equal(st.evictions, n_full);
	assert_int_equal(n_new, st.live);
	/* The most recent signature is still remembered. */
	assert_int_equal(replay_check(c, s, 0, T_T0), REPLAY_DUPLICATE);
	replay_cache_free(c);
}

#define T_THREADS 8
#define T_SIGS 2000

struct t_worker {
	struct replay_cache *c;
	unsigned id;
	size_t count[REPLAY_INVALID + 1];
};

static void *t_hammer(void *arg)
{
	struct t_worker *w = arg;
	char s[T_SIG_LEN + 1];

	/* Each thread walks the same signatures from a different start, and
	 * odd threads claim to be retries, so first sightings race. */
	for (unsigned k = 0; k < T_SIGS; k++) {
		unsigned i = (k + w->id * (T_SIGS / T_THREADS)) % T_SIGS;

		/* No cmocka asserts off the main thread: they longjmp. A
		 * failed digest shows up as a missing count below. */
		if (t_sig_raw(9000000 + i, s) != 0)
			continue;
		w->count[replay_check(w->c, s, (int)(w->id & 1), T_T0)]++;
	}
	return NULL;
}

static void test_threads_decide_each_signature_once(void **state)
{
	struct replay_cache *c = t_cache(4 * T_SIGS, T_WINDOW);
	struct t_worker w[T_THREADS];
	pthread_t th[T_THREADS];
	size_t total[REPLAY_INVALID + 1] = { 0 };
	struct replay_stats st;

	(void)state;
	memset(w, 0, sizeof(w));
	for (unsigned i = 0; i < T_THREADS; i++) {
		w[i].c = c;
		w[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, t_hammer, &w[i]), 0);
	}
	for (unsigned i = 0; i < T_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		for (unsigned s = 0; s <= REPLAY_INVALID; s++)
			total[s] += w[i].count[s];
	}
	/* Exactly one first sighting per signature, never lost or doubled. */
	assert_int_equal(total[REPLAY_NEW], T_SIGS);
	assert_int_equal(total[REPLAY_FULL], 0);
	assert_int_equal(total[REPLAY_INVALID], 0);
	assert_int_equal(total[REPLAY_DUPLICATE] + total[REPLAY_RETRY],
			 (T_THREADS - 1) * T_SIGS);
	/* Only retry-claiming (odd) threads can see REPLAY_RETRY, and only
	 * even threads REPLAY_DUPLICATE. */
	for (unsigned i = 0; i < T_THREADS; i++) {
		if (i & 1)
			assert_int_equal(w[i].count[REPLAY_DUPLICATE], 0);
		else
			assert_int_equal(w[i].count[REPLAY_RETRY], 0);
	}
	replay_cache_stats(c, T_T0, &st);
	assert_int_equal(st.live, T_SIGS);
	replay_cache_free(c);
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(replay_status_name(REPLAY_NEW), "new");
	assert_string_equal(replay_status_name(REPLAY_DUPLICATE), "duplicate");
	assert_string_equal(replay_status_name(REPLAY_RETRY), "retry");
	assert_string_equal(replay_status_name(REPLAY_FULL), "full");
	assert_string_equal(replay_status_name(REPLAY_INVALID), "invalid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_then_duplicate),
		cmocka_unit_test(test_retry_of_seen_request_is_retry),
		cmocka_unit_test(test_retry_never_seen_is_new),
		cmocka_unit_test(test_expiry_at_window_boundary),
		cmocka_unit_test(test_retry_after_expiry_is_new),
		cmocka_unit_test(test_window_is_a_parameter),
		cmocka_unit_test(test_clock_stepped_back_is_symmetric),
		cmocka_unit_test(test_extreme_clock_values_do_not_overflow),
		cmocka_unit_test(test_malformed_signatures_are_invalid),
		cmocka_unit_test(test_new_rejects_bad_parameters),
		cmocka_unit_test(test_full_cache_evicts_oldest),
		cmocka_unit_test(test_expired_slots_reused_without_eviction),
		cmocka_unit_test(test_rated_capacity_holds_without_eviction),
		cmocka_unit_test(test_memory_bounded_under_flood),
		cmocka_unit_test(test_threads_decide_each_signature_once),
		cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
