/*
 * store_bench.c - time the state store's hot calls on one backend
 * (bench/store runs it on SQLite and on a real PostgreSQL).
 *
 * Usage: store_bench PATH|postgresql://... N
 * Prints one "key=value" line per figure: N replay claims (each a new
 * signature, as in production), N journal adds, then claims of all N as
 * orphans in batches of STORE_CLAIM_MAX, then N delivered marks. Rows are
 * shaped like real ones (a hooks.slack.com response_url, a short query, ten
 * account ids) so that the size figures bench/store derives are honest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "util/strutil.h"

#define B_T0 ((time_t)1700000000)
#define B_MAX_N 1000000

static double b_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void b_report(const char *what, long n, double ms)
{
	printf("%s_n=%ld %s_ms=%.1f %s_us_each=%.1f\n", what, n, what, ms, what,
	       ms * 1e3 / (double)n);
}

static int b_replay(struct store *st, long n)
{
	struct si_err err;
	double t = b_now_ms();

	for (long i = 0; i < n; i++) {
		char sig[68];
		enum store_replay r;

		snprintf(sig, sizeof(sig), "v0=%064lx", (unsigned long)i);
		if (store_replay_claim(st, sig, B_T0 + 300, B_T0, &r, &err) != 0 ||
		    r != STORE_REPLAY_NEW) {
			fprintf(stderr, "replay claim %ld: %s\n", i, err.msg);
			return -1;
		}
	}
	b_report("replay_claim", n, b_now_ms() - t);
	return 0;
}

static int b_journal(struct store *st, long n, char (*ids)[STORE_JOB_ID_SIZE])
{
	struct store_job j;
	struct si_err err;
	double t = b_now_ms();

	memset(&j, 0, sizeof(j));
	j.response_url = "https://hooks.slack.com/commands/T0123ABCD/6123456789012/"
			 "aBcDeFgHiJkLmNoPqRsTuVwX";
	j.text = "env:prod role:web state:running";
	j.response_type = "ephemeral";
	j.team_id = "T0123ABCD";
	j.team_name = "acme-corp";
	j.user_id = "U0123ABCDEF";
	j.user_name = "ada.lovelace";
	j.channel_id = "C0123ABCDEF";
	j.channel_name = "incident-4711";
	j.accounts = "111111111111,222222222222,333333333333,444444444444,555555555555,"
		     "666666666666,777777777777,888888888888,999999999999,101010101010";
	j.created_at = B_T0;
	for (long i = 0; i < n; i++)
		if (store_journal_add(st, &j, ids[i], &err) != 0) {
			fprintf(stderr, "journal add %ld: %s\n", i, err.msg);
			return -1;
		}
	b_report("journal_add", n, b_now_ms() - t);
	return 0;
}

static int b_claim_and_deliver(struct store *st, long n, char (*ids)[STORE_JOB_ID_SIZE])
{
	struct si_err err;
	long got = 0;
	double t = b_now_ms();

	for (;;) {
		struct store_job *jobs;
		size_t k;

		if (store_journal_claim_orphans(st, "bench:1:1", B_T0 + 1, 60, STORE_CLAIM_MAX,
						&jobs, &k, &err) != 0) {
			fprintf(stderr, "claim: %s\n", err.msg);
			return -1;
		}
		store_jobs_free(jobs, k);
		if (k == 0)
			break;
		got += (long)k;
	}
	b_report("journal_claim", got, b_now_ms() - t);
	t = b_now_ms();
	for (long i = 0; i < n; i++)
		if (store_journal_delivered(st, ids[i], B_T0 + 2, &err) != 0) {
			fprintf(stderr, "delivered: %s\n", err.msg);
			return -1;
		}
	b_report("journal_delivered", n, b_now_ms() - t);
	return got == n ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct store_settings set = { 0 };
	char (*ids)[STORE_JOB_ID_SIZE];
	struct store *st;
	struct si_err err;
	long n;
	int rc;

	if (argc != 3 || si_parse_long(argv[2], 1, B_MAX_N, &n) != 0) {
		fprintf(stderr, "usage: store_bench PATH|postgresql://... N (1..%d)\n", B_MAX_N);
		return 2;
	}
	if (SI_HAS_PREFIX(argv[1], "postgres"))
		set.url = argv[1];
	else
		set.path = argv[1];
	st = store_open(&set, &err);
	if (st == NULL) {
		fprintf(stderr, "store_open: %s\n", err.msg);
		return 1;
	}
	ids = calloc((size_t)n, sizeof(*ids));
	rc = ids == NULL || b_replay(st, n) != 0 || b_journal(st, n, ids) != 0 ||
	     b_claim_and_deliver(st, n, ids) != 0;
	printf("backend=%s\n", store_backend_name(st));
	free(ids);
	store_close(st);
	return rc;
}
