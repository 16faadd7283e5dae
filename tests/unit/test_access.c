#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"

/* Lists in the tables are written "A,B"; NULL or "" is an empty list. */
#define T_LIST_MAX 4

struct t_list {
	char buf[64];
	char *items[T_LIST_MAX];
	size_t n;
};

static void t_list(struct t_list *l, const char *spec)
{
	char *save = NULL;

	memset(l, 0, sizeof(*l));
	if (spec == NULL)
		return;
	assert_true(strlen(spec) < sizeof(l->buf));
	memcpy(l->buf, spec, strlen(spec) + 1);
	for (char *tok = strtok_r(l->buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		assert_true(l->n < T_LIST_MAX);
		l->items[l->n++] = tok;
	}
}

struct t_check_row {
	const char *teams, *channels, *users;          /* config */
	const char *team, *enterprise, *channel, *user; /* request */
	int allowed;
	const char *log_reason;                         /* NULL when allowed */
};

#define T_TEAM "team not allowed"
#define T_CHAN "channel not allowed"
#define T_USER "user not allowed"

static const struct t_check_row s_check_rows[] = {
	/* No lists: everyone, even with ids missing. */
	{ NULL, NULL, NULL, "T1", NULL, "C1", "U1", 1, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, NULL },
	/* Teams: team_id matches, enterprise_id matches, neither, missing. */
	{ "T1", NULL, NULL, "T1", NULL, "C1", "U1", 1, NULL },
	{ "T1,T2", NULL, NULL, "T2", NULL, "C1", "U1", 1, NULL },
	{ "E1", NULL, NULL, "T9", "E1", "C1", "U1", 1, NULL },
	{ "T1", NULL, NULL, "T1", "E9", "C1", "U1", 1, NULL },
	{ "T1", NULL, NULL, "T2", NULL, "C1", "U1", 0, T_TEAM },
	{ "T1", NULL, NULL, "T2", "E1", "C1", "U1", 0, T_TEAM },
	{ "E1", NULL, NULL, "T1", "E2", "C1", "U1", 0, T_TEAM },
	{ "T1", NULL, NULL, NULL, NULL, "C1", "U1", 0, T_TEAM },
	{ "T1", NULL, NULL, "", "", "C1", "U1", 0, T_TEAM },
	/* Exact match only: case and prefixes do not count. */
	{ "T1", NULL, NULL, "t1", NULL, "C1", "U1", 0, T_TEAM },
	{ "T1", NULL, NULL, "T10", NULL, "C1", "U1", 0, T_TEAM },
	{ "T10", NULL, NULL, "T1", NULL, "C1", "U1", 0, T_TEAM },
	/* An enterprise id is not a channel or user id, and vice versa. */
	{ "C1", NULL, NULL, "T1", NULL, "C1", "U1", 0, T_TEAM },
	/* Channels. */
	{ NULL, "C1", NULL, "T1", NULL, "C1", "U1", 1, NULL },
	{ NULL, "C1,C2", NULL, "T1", NULL, "C2", "U1", 1, NULL },
	{ NULL, "C1", NULL, "T1", NULL, "C2", "U1", 0, T_CHAN },
	{ NULL, "C1", NULL, "T1", NULL, NULL, "U1", 0, T_CHAN },
	{ NULL, "C1", NULL, "T1", NULL, "", "U1", 0, T_CHAN },
	/* Users. */
	{ NULL, NULL, "U1", "T1", NULL, "C1", "U1", 1, NULL },
	{ NULL, NULL, "U1,U2", "T1", NULL, "C1", "U2", 1, NULL },
	{ NULL, NULL, "U1", "T1", NULL, "C1", "U2", 0, T_USER },
	{ NULL, NULL, "U1", "T1", NULL, "C1", NULL, 0, T_USER },
	/* All three lists: all pass, each one failing alone. */
	{ "T1", "C1", "U1", "T1", NULL, "C1", "U1", 1, NULL },
	{ "E1", "C1", "U1", "T7", "E1", "C1", "U1", 1, NULL },
	{ "T1", "C1", "U1", "T2", NULL, "C1", "U1", 0, T_TEAM },
	{ "T1", "C1", "U1", "T1", NULL, "C2", "U1", 0, T_CHAN },
	{ "T1", "C1", "U1", "T1", NULL, "C1", "U2", 0, T_USER },
	/* Several failing: the first in team, channel, user order decides. */
	{ "T1", "C1", "U1", "T2", NULL, "C2", "U2", 0, T_TEAM },
	{ "T1", "C1", "U1", "T1", NULL, "C2", "U2", 0, T_CHAN },
	{ "T1", "C1", "U1", "T2", NULL, "C1", "U2", 0, T_TEAM },
	{ NULL, "C1", "U1", "T2", NULL, "C2", "U2", 0, T_CHAN },
};

static void test_check_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_check_rows) / sizeof(s_check_rows[0]); i++) {
		const struct t_check_row *r = &s_check_rows[i];
		struct t_list teams, channels, users;
		struct si_config cfg;
		struct slack_cmd cmd;
		struct access_decision d;
		int got;

		t_list(&teams, r->teams);
		t_list(&channels, r->channels);
		t_list(&users, r->users);
		memset(&cfg, 0, sizeof(cfg));
		cfg.allowed_teams = teams.items;
		cfg.n_allowed_teams = teams.n;
		cfg.allowed_channels = channels.items;
		cfg.n_allowed_channels = channels.n;
		cfg.allowed_users = users.items;
		cfg.n_allowed_users = users.n;
		memset(&cmd, 0, sizeof(cmd));
		cmd.team_id = (char *)r->team;
		cmd.enterprise_id = (char *)r->enterprise;
		cmd.channel_id = (char *)r->channel;
		cmd.user_id = (char *)r->user;
		memset(&d, 0xa5, sizeof(d));

		got = access_check(&cfg, &cmd, &d);
		if (got != r->allowed)
			fail_msg("row %zu: got %d, want %d", i, got, r->allowed);
		assert_int_equal(d.allowed, r->allowed);
		if (r->allowed) {
			assert_null(d.user_reason);
			assert_null(d.log_reason);
			continue;
		}
		assert_non_null(d.user_reason);
		assert_non_null(d.log_reason);
		if (strcmp(d.log_reason, r->log_reason) != 0)
			fail_msg("row %zu: reason %s, want %s", i, d.log_reason, r->log_reason);
		/* The reply never echoes a request id. */
		if (r->team != NULL && r->team[0] != '\0')
			assert_null(strstr(d.user_reason, r->team));
		if (r->channel != NULL && r->channel[0] != '\0')
			assert_null(strstr(d.user_reason, r->channel));
	}
}

static void test_check_friendly_reasons(void **state)
{
	char *team[] = { (char *)"T1" }, *chan[] = { (char *)"C1" }, *user[] = { (char *)"U1" };
	struct si_config cfg;
	struct slack_cmd cmd;
	struct access_decision d;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	memset(&cmd, 0, sizeof(cmd));
	cmd.team_id = (char *)"T2";
	cmd.channel_id = (char *)"C2";
	cmd.user_id = (char *)"U2";
	cfg.allowed_teams = team;
	cfg.n_allowed_teams = 1;
	assert_int_equal(access_check(&cfg, &cmd, &d), 0);
	assert_string_equal(d.user_reason, "This workspace is not allowed to use /infra-search.");
	cfg.n_allowed_teams = 0;
	cfg.allowed_channels = chan;
	cfg.n_allowed_channels = 1;
	assert_int_equal(access_check(&cfg, &cmd, &d), 0);
	assert_string_equal(d.user_reason, "/infra-search is not enabled in this channel.");
	cfg.n_allowed_channels = 0;
	cfg.allowed_users = user;
	cfg.n_allowed_users = 1;
	assert_int_equal(access_check(&cfg, &cmd, &d), 0);
	assert_string_equal(d.user_reason, "You are not allowed to use /infra-search.");
}

static void test_check_null_arguments_refuse(void **state)
{
	struct si_config cfg;
	struct slack_cmd cmd;
	struct access_decision d;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	memset(&cmd, 0, sizeof(cmd));
	assert_int_equal(access_check(NULL, &cmd, &d), 0);
	assert_int_equal(d.allowed, 0);
	assert_non_null(d.user_reason);
	assert_int_equal(access_check(&cfg, NULL, &d), 0);
	assert_int_equal(access_check(&cfg, &cmd, NULL), 1);
	assert_int_equal(access_check(NULL, NULL, NULL), 0);
}

/* Configuration never holds an empty id, but if one slipped in it must not
 * admit requests that lack the id. */
static void test_empty_id_never_matches(void **state)
{
	char *empty[] = { (char *)"" };
	struct si_config cfg;
	struct slack_cmd cmd;
	struct si_account a;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	memset(&cmd, 0, sizeof(cmd));
	memset(&a, 0, sizeof(a));
	cfg.allowed_channels = empty;
	cfg.n_allowed_channels = 1;
	cmd.channel_id = (char *)"";
	assert_int_equal(access_check(&cfg, &cmd, NULL), 0);
	a.allowed_channels = empty;
	a.n_allowed_channels = 1;
	assert_int_equal(access_account_allowed(&a, ""), 0);
}

struct t_account_row {
	const char *allowed_channels;  /* account's list, NULL = none */
	const char *channel;
	int allowed;
};

static const struct t_account_row s_account_rows[] = {
	{ NULL, "C1", 1 },
	{ NULL, NULL, 1 },
	{ NULL, "", 1 },
	{ "C1", "C1", 1 },
	{ "C1,C2", "C2", 1 },
	{ "C1", "C2", 0 },
	{ "C1", "c1", 0 },
	{ "C1", "C1 ", 0 },
	{ "C1", "C", 0 },
	{ "C1", NULL, 0 },
	{ "C1", "", 0 },
};

static void test_account_allowed_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_account_rows) / sizeof(s_account_rows[0]); i++) {
		const struct t_account_row *r = &s_account_rows[i];
		struct t_list l;
		struct si_account a;

		t_list(&l, r->allowed_channels);
		memset(&a, 0, sizeof(a));
		a.alias = (char *)"production";
		a.allowed_channels = l.items;
		a.n_allowed_channels = l.n;
		if (access_account_allowed(&a, r->channel) != r->allowed)
			fail_msg("row %zu: want %d", i, r->allowed);
	}
	assert_int_equal(access_account_allowed(NULL, "C1"), 0);
}

/* Three accounts as config.c sorts them: dev is unrestricted, production
 * is limited to C1 and C2, staging to C3. */
struct t_accounts {
	char *prod_ch[2];
	char *stag_ch[1];
	struct si_account acc[3];
	struct si_config cfg;
};

static void t_accounts(struct t_accounts *t)
{
	memset(t, 0, sizeof(*t));
	t->prod_ch[0] = (char *)"C1";
	t->prod_ch[1] = (char *)"C2";
	t->stag_ch[0] = (char *)"C3";
	t->acc[0].alias = (char *)"dev";
	t->acc[1].alias = (char *)"production";
	t->acc[1].allowed_channels = t->prod_ch;
	t->acc[1].n_allowed_channels = 2;
	t->acc[2].alias = (char *)"staging";
	t->acc[2].allowed_channels = t->stag_ch;
	t->acc[2].n_allowed_channels = 1;
	t->cfg.accounts = t->acc;
	t->cfg.n_accounts = 3;
}

struct t_split_row {
	const char *channel;
	const char *allowed;   /* comma-joined, in config order */
	const char *skipped;
	const char *note;
};

static const struct t_split_row s_split_rows[] = {
	{ "C1", "dev,production", "staging",
	  "staging was skipped: not allowed from this channel." },
	{ "C2", "dev,production", "staging",
	  "staging was skipped: not allowed from this channel." },
	{ "C3", "dev,staging", "production",
	  "production was skipped: not allowed from this channel." },
	{ "C9", "dev", "production,staging",
	  "production, staging were skipped: not allowed from this channel." },
	{ NULL, "dev", "production,staging",
	  "production, staging were skipped: not allowed from this channel." },
	{ "", "dev", "production,staging",
	  "production, staging were skipped: not allowed from this channel." },
};

static void t_join(const char **names, size_t n, char *out, size_t out_len)
{
	size_t pos = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(out + pos, out_len - pos, "%s%s", i > 0 ? "," : "", names[i]);

		assert_true(w > 0 && (size_t)w < out_len - pos);
		pos += (size_t)w;
	}
}

static void test_accounts_for_channel_table(void **state)
{
	struct t_accounts t;

	(void)state;
	t_accounts(&t);
	for (size_t i = 0; i < sizeof(s_split_rows) / sizeof(s_split_rows[0]); i++) {
		const struct t_split_row *r = &s_split_rows[i];
		struct access_accounts a;
		struct si_err err;
		char got[128], note[128];

		assert_int_equal(access_accounts_for_channel(&t.cfg, r->channel, &a, &err), 0);
		assert_int_equal(a.n_allowed + a.n_skipped, 3);
		t_join(a.allowed, a.n_allowed, got, sizeof(got));
		assert_string_equal(got, r->allowed);
		t_join(a.skipped, a.n_skipped, got, sizeof(got));
		assert_string_equal(got, r->skipped);
		/* Aliases are borrowed from the configuration, not copied. */
		assert_ptr_equal(a.allowed[0], t.acc[0].alias);
		assert_int_equal(access_skipped_note(&a, note, sizeof(note)), strlen(r->note));
		assert_string_equal(note, r->note);
		access_accounts_free(&a);
		assert_null(a.allowed);
		assert_int_equal(a.n_skipped, 0);
	}
}

static void test_accounts_unrestricted_skip_nothing(void **state)
{
	struct t_accounts t;
	struct access_accounts a;
	char note[64];

	(void)state;
	t_accounts(&t);
	t.acc[1].n_allowed_channels = 0;
	t.acc[2].n_allowed_channels = 0;
	assert_int_equal(access_accounts_for_channel(&t.cfg, "C9", &a, NULL), 0);
	assert_int_equal(a.n_allowed, 3);
	assert_int_equal(a.n_skipped, 0);
	memset(note, 'x', sizeof(note));
	assert_int_equal(access_skipped_note(&a, note, sizeof(note)), 0);
	assert_string_equal(note, "");
	access_accounts_free(&a);
}

static void test_accounts_none_configured(void **state)
{
	struct si_config cfg;
	struct access_accounts a;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	memset(&a, 0xa5, sizeof(a));
	assert_int_equal(access_accounts_for_channel(&cfg, "C1", &a, NULL), 0);
	assert_int_equal(a.n_allowed, 0);
	assert_int_equal(a.n_skipped, 0);
	assert_null(a.allowed);
	access_accounts_free(&a);
	access_accounts_free(NULL);
}

static void test_accounts_null_config(void **state)
{
	struct access_accounts a;
	struct si_err err;

	(void)state;
	memset(&a, 0xa5, sizeof(a));
	assert_int_equal(access_accounts_for_channel(NULL, "C1", &a, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(a.allowed);
	assert_null(a.skipped);
	assert_int_equal(access_accounts_for_channel(NULL, "C1", NULL, NULL), -1);
}

static void test_skipped_note_falls_back_to_count(void **state)
{
	struct t_accounts t;
	struct access_accounts a;
	char small[60], tiny[8];
	size_t n;

	(void)state;
	t_accounts(&t);
	assert_int_equal(access_accounts_for_channel(&t.cfg, "C9", &a, NULL), 0);
	/* The two names need 66 bytes with the NUL; 60 only fit the count. */
	n = access_skipped_note(&a, small, sizeof(small));
	assert_int_equal(n, strlen(small));
	assert_string_equal(small, "2 accounts were skipped: not allowed from this channel.");
	/* Even the count does not fit: cut, but terminated. */
	assert_int_equal(access_skipped_note(&a, tiny, sizeof(tiny)), 7);
	assert_string_equal(tiny, "2 accou");
	assert_int_equal(access_skipped_note(&a, tiny, 0), 0);
	assert_int_equal(access_skipped_note(NULL, tiny, sizeof(tiny)), 0);
	assert_string_equal(tiny, "");
	access_accounts_free(&a);
}

static void test_skipped_note_exact_fit(void **state)
{
	struct t_accounts t;
	struct access_accounts a;
	const char *want = "staging was skipped: not allowed from this channel.";
	char buf[128];

	(void)state;
	t_accounts(&t);
	assert_int_equal(access_accounts_for_channel(&t.cfg, "C1", &a, NULL), 0);
	/* Exactly enough room for the text and its NUL: names, not a count. */
	assert_int_equal(access_skipped_note(&a, buf, strlen(want) + 1), strlen(want));
	assert_string_equal(buf, want);
	/* One byte less: the count version (which is then cut). */
	access_skipped_note(&a, buf, strlen(want));
	assert_memory_equal(buf, "1 account was", 13);
	access_accounts_free(&a);
}

/* The same rules through the real configuration loader, so the lists this
 * module reads are the ones an operator writes. No secret in this file, so
 * it needs no private mode. */
static const char s_ini[] =
	"[access]\n"
	"allowed_teams = T0001, E0001\n"
	"allowed_channels = C1, C2, C3\n"
	"[account production]\n"
	"role_arn = arn:aws:iam::222222222222:role/SlashInfraInspection\n"
	"allowed_channels = C1\n"
	"[account staging]\n"
	"role_arn = arn:aws:iam::333333333333:role/SlashInfraInspection\n";

static void test_with_loaded_config(void **state)
{
	char path[] = "/tmp/test_access_XXXXXX";
	char *envp[] = { (char *)"SLACK_SIGNING_SECRET=test-only-not-a-secret", NULL };
	struct si_config cfg;
	struct slack_cmd cmd;
	struct access_decision d;
	struct access_accounts a;
	struct si_err err;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, s_ini, sizeof(s_ini) - 1), (ssize_t)(sizeof(s_ini) - 1));
	close(fd);
	if (si_config_load(&cfg, path, envp, &err) != 0) {
		unlink(path);
		fail_msg("config: %s", err.msg);
	}
	unlink(path);

	memset(&cmd, 0, sizeof(cmd));
	cmd.team_id = (char *)"T0002";
	cmd.enterprise_id = (char *)"E0001";
	cmd.channel_id = (char *)"C2";
	cmd.user_id = (char *)"U1";
	assert_int_equal(access_check(&cfg, &cmd, &d), 1);
	cmd.enterprise_id = NULL;
	assert_int_equal(access_check(&cfg, &cmd, &d), 0);
	assert_string_equal(d.log_reason, "team not allowed");
	cmd.team_id = (char *)"T0001";
	cmd.channel_id = (char *)"C4";
	assert_int_equal(access_check(&cfg, &cmd, &d), 0);
	assert_string_equal(d.log_reason, "channel not allowed");

	assert_int_equal(access_accounts_for_channel(&cfg, "C2", &a, &err), 0);
	assert_int_equal(a.n_allowed, 1);
	assert_string_equal(a.allowed[0], "staging");
	assert_int_equal(a.n_skipped, 1);
	assert_string_equal(a.skipped[0], "production");
	access_accounts_free(&a);
	assert_int_equal(access_accounts_for_channel(&cfg, "C1", &a, &err), 0);
	assert_int_equal(a.n_allowed, 2);
	assert_int_equal(a.n_skipped, 0);
	access_accounts_free(&a);
	si_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_table),
		cmocka_unit_test(test_check_friendly_reasons),
		cmocka_unit_test(test_check_null_arguments_refuse),
		cmocka_unit_test(test_empty_id_never_matches),
		cmocka_unit_test(test_account_allowed_table),
		cmocka_unit_test(test_accounts_for_channel_table),
		cmocka_unit_test(test_accounts_unrestricted_skip_nothing),
		cmocka_unit_test(test_accounts_none_configured),
		cmocka_unit_test(test_accounts_null_config),
		cmocka_unit_test(test_skipped_note_falls_back_to_count),
		cmocka_unit_test(test_skipped_note_exact_fit),
		cmocka_unit_test(test_with_loaded_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
