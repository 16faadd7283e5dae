#include "supervise.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/logfmt.h"

/* Worker processes alive at once at most: one generation per slot plus
 * older ones still finishing after reloads. */
#define SUPERVISE_CHILDREN_MAX 256

struct s_child {
	pid_t pid;              /* 0: free entry */
	int slot;
	int retiring;           /* told to stop (reload or stop): not restarted */
	long long started_ms;
	time_t started;         /* wall clock, for supervise_opts.died */
};

struct s_state {
	const struct supervise_opts *o;
	struct s_child kids[SUPERVISE_CHILDREN_MAX];
	long long *restart_at;  /* per slot, mono ms; 0: running or not due */
	long long *last_start;  /* per slot, mono ms */
	int *quick_deaths;      /* per slot: deaths in a row within a second of start */
	pid_t self;
	int stopping;
	long long kill_at;      /* mono ms: SIGKILL what is left */
	int killed;
};

static void s_log_child(const char *msg, const struct s_child *k, int status,
			long long restart_in_ms)
{
	struct logfmt l;

	logfmt_begin(&l, status >= 0 && WIFSIGNALED(status) ? "error" : "info");
	logfmt_str(&l, "msg", msg);
	logfmt_int(&l, "slot", k->slot);
	logfmt_int(&l, "pid", k->pid);
	if (status >= 0 && WIFSIGNALED(status)) {
		const char *name = sigabbrev_np(WTERMSIG(status));

		logfmt_int(&l, "signal", WTERMSIG(status));
		logfmt_str(&l, "signal_name", name != NULL ? name : "?");
		if (WCOREDUMP(status))
			logfmt_str(&l, "core_dumped", "true");
	} else if (status >= 0 && WIFEXITED(status)) {
		logfmt_int(&l, "exit_status", WEXITSTATUS(status));
	}
	if (status >= 0)
		logfmt_str(&l, "retiring", k->retiring ? "true" : "false");
	if (restart_in_ms >= 0)
		logfmt_int(&l, "restart_in_ms", restart_in_ms);
	logfmt_emit(&l, stderr);
}

static void s_log(const char *level, const char *msg, const char *key, long long v)
{
	struct logfmt l;

	logfmt_begin(&l, level);
	logfmt_str(&l, "msg", msg);
	if (key != NULL)
		logfmt_int(&l, key, v);
	logfmt_emit(&l, stderr);
}

/* Fork one worker for slot. In the child: default signal handling with
 * only the stop signals blocked, death with the supervisor, then the
 * worker itself. */
static void s_start(struct s_state *st, int slot)
{
	struct s_child *k = NULL;
	sigset_t stop;
	time_t started = time(NULL);
	pid_t pid;

	for (int i = 0; i < SUPERVISE_CHILDREN_MAX && k == NULL; i++)
		if (st->kids[i].pid == 0)
			k = &st->kids[i];
	if (k == NULL) {
		s_log("error", "too many worker processes, not starting one", "slot", slot);
		st->restart_at[slot] = si_mono_ms() + SUPERVISE_RESTART_MIN_MS;
		return;
	}
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		s_log("error", "fork failed, retrying", "errno", errno);
		st->restart_at[slot] = si_mono_ms() + SUPERVISE_RESTART_MIN_MS;
		return;
	}
	if (pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		/* SIGTERM and SIGINT stay blocked: a stop that arrives before the
		 * worker is ready stays pending for its sigwait(). */
		sigemptyset(&stop);
		sigaddset(&stop, SIGTERM);
		sigaddset(&stop, SIGINT);
		sigprocmask(SIG_SETMASK, &stop, NULL);
		/* A worker outliving its supervisor would hold the socket. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != st->self)
			_exit(0);
		exit(st->o->child(st->o->arg, slot, started));
	}
	memset(k, 0, sizeof(*k));
	k->pid = pid;
	k->slot = slot;
	k->started_ms = si_mono_ms();
	k->started = started;
	st->last_start[slot] = k->started_ms;
	st->restart_at[slot] = 0;
	s_log_child("worker started", k, -1, -1);
}

static void s_signal_all(struct s_state *st, int sig, int retire)
{
	for (int i = 0; i < SUPERVISE_CHILDREN_MAX; i++) {
		if (st->kids[i].pid == 0 || (retire && st->kids[i].retiring))
			continue;
		if (retire)
			st->kids[i].retiring = 1;
		kill(st->kids[i].pid, sig);
	}
}

static int s_alive(const struct s_state *st)
{
	int n = 0;

	for (int i = 0; i < SUPERVISE_CHILDREN_MAX; i++)
		n += st->kids[i].pid != 0;
	return n;
}

/* A worker that ran for a while is replaced at once; one that keeps dying
 * right after its start (a bad host, a broken dependency) is replaced
 * after 100 ms, 200 ms, ... up to SUPERVISE_RESTART_MIN_MS, so a crash
 * loop costs little CPU and a crash is still answered within a second. */
static long long s_restart_delay(struct s_state *st, const struct s_child *k, long long now)
{
	int *q = &st->quick_deaths[k->slot];

	if (now - k->started_ms >= SUPERVISE_RESTART_MIN_MS) {
		*q = 0;
		return 0;
	}
	if (++*q <= 1)
		return 0;
	return *q - 2 >= 4 ? SUPERVISE_RESTART_MIN_MS
			   : SUPERVISE_RESTART_MIN_MS / 10 << (*q - 2);
}

/* Collect every worker that ended; a current one is restarted as soon as
 * SUPERVISE_RESTART_MIN_MS after its slot's last start allows. */
static void s_reap(struct s_state *st)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct s_child *k = NULL;
		long long now = si_mono_ms(), at;

		for (int i = 0; i < SUPERVISE_CHILDREN_MAX && k == NULL; i++)
			if (st->kids[i].pid == pid)
				k = &st->kids[i];
		if (k == NULL)
			continue;
		if (k->retiring || st->stopping) {
			s_log_child("worker exited", k, status, -1);
		} else {
			at = now + s_restart_delay(st, k, now);
			st->restart_at[k->slot] = at;
			s_log_child("worker exited", k, status, at - now);
		}
		if (st->o->died != NULL)
			st->o->died(st->o->arg, (long)k->pid, k->started);
		k->pid = 0;
	}
}

/* SIGHUP: new workers with the new configuration first, then the old
 * ones are told to stop; they finish what they hold (door_stop takes the
 * listen backlog too), so no request is dropped, and the new generation is
 * already accepting on the same socket. */
static void s_reload(struct s_state *st)
{
	if (st->o->reload(st->o->arg) != 0) {
		s_log("error", "reload failed, keeping the running configuration", NULL, 0);
		return;
	}
	s_signal_all(st, SIGTERM, 1);
	for (int s = 0; s < st->o->workers; s++)
		s_start(st, s);
	s_log("info", "reloaded", "workers", st->o->workers);
}

static void s_stop(struct s_state *st)
{
	if (st->stopping)
		return;
	st->stopping = 1;
	st->kill_at = si_mono_ms() + st->o->stop_budget_ms + SUPERVISE_KILL_GRACE_MS;
	s_log("info", "stopping", "stop_budget_ms", st->o->stop_budget_ms);
	s_signal_all(st, SIGTERM, 1);
}

/* How long sigtimedwait may sleep: until the next due restart or kill. */
static long long s_wait_ms(const struct s_state *st, long long now)
{
	long long t = 1000;

	for (int s = 0; s < st->o->workers; s++)
		if (st->restart_at[s] != 0 && st->restart_at[s] - now < t)
			t = st->restart_at[s] - now;
	if (st->stopping && st->kill_at - now < t)
		t = st->kill_at - now;
	return t < 0 ? 0 : t;
}

/* One step of the loop after a signal or a timeout: restarts that are
 * due, or, stopping, the kill of workers past their budget. */
static void s_tick(struct s_state *st)
{
	long long now = si_mono_ms();

	if (st->stopping) {
		if (!st->killed && now >= st->kill_at && s_alive(st) > 0) {
			s_log("error", "workers past the stop budget, killing", "alive",
			      s_alive(st));
			s_signal_all(st, SIGKILL, 0);
			st->killed = 1;
		}
		return;
	}
	for (int s = 0; s < st->o->workers; s++)
		if (st->restart_at[s] != 0 && now >= st->restart_at[s])
			s_start(st, s);
}

/* Why sigtimedwait and not handlers: every event (a worker ended, reload,
 * stop) is handled in this loop, in order, with no code in signal
 * context, and the timeout drives delayed restarts and the stop kill. */
int supervise_run(const struct supervise_opts *o)
{
	struct s_state st;
	sigset_t set;
	int rc;

	memset(&st, 0, sizeof(st));
	st.o = o;
	st.self = getpid();
	st.restart_at = calloc((size_t)o->workers, sizeof(*st.restart_at));
	st.last_start = calloc((size_t)o->workers, sizeof(*st.last_start));
	st.quick_deaths = calloc((size_t)o->workers, sizeof(*st.quick_deaths));
	if (st.restart_at == NULL || st.last_start == NULL || st.quick_deaths == NULL) {
		rc = 2;
		goto out;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (int s = 0; s < o->workers; s++)
		s_start(&st, s);
	while (!st.stopping || s_alive(&st) > 0) {
		long long w = s_wait_ms(&st, si_mono_ms());
		struct timespec ts = {w / 1000, (w % 1000) * 1000000L};
		int sig = sigtimedwait(&set, NULL, &ts);

		if (sig == SIGTERM || sig == SIGINT)
			s_stop(&st);
		else if (sig == SIGHUP && !st.stopping)
			s_reload(&st);
		s_reap(&st);
		s_tick(&st);
	}
	rc = st.killed ? 1 : 0;
	s_log("info", "stopped", "exit_status", rc);
out:
	free(st.restart_at);
	free(st.last_start);
	free(st.quick_deaths);
	return rc;
}
