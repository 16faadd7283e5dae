/*
 * supervise.h - the process that owns the listening socket and never runs
 * request code: it forks the worker processes, restarts one that dies,
 * reloads on SIGHUP and stops them all on SIGTERM.
 *
 * Why processes and not only threads: a crash in request code (a library
 * assertion, a bug on hostile input) ends one worker; the others keep
 * answering on the shared socket and the supervisor starts a replacement
 * within a second, logging why the old one ended.
 */
#ifndef SI_FCGI_SUPERVISE_H
#define SI_FCGI_SUPERVISE_H

/* A worker that dies within this of its start counts as crash-looping:
 * its replacements are delayed (up to this), so it cannot fork-loop the
 * machine, and a crash is still answered with a new worker within it. */
#define SUPERVISE_RESTART_MIN_MS 1000
/* After the workers' stop budget, how long they get to exit before they
 * are killed (they end themselves at the budget; this covers the exit). */
#define SUPERVISE_KILL_GRACE_MS 2000

#include <time.h>

struct supervise_opts {
	int workers;                /* worker processes */
	int stop_budget_ms;         /* what each worker has for a stop */
	/* In the forked child: run one worker; the return value is its exit
	 * status. slot is 0..workers-1; started is the wall-clock second the
	 * supervisor recorded for it (with its pid, it names the worker to
	 * died() below). It starts with SIGTERM and SIGINT blocked (take them
	 * with sigwait) and everything else default. */
	int (*child)(void *arg, int slot, time_t started);
	/* In the supervisor, after a worker (pid, started) ended for any
	 * reason: hand on what it held. Must not block. May be NULL. */
	void (*died)(void *arg, long pid, time_t started);
	/* On SIGHUP, in the supervisor: load the configuration again; 0 when
	 * the new one is in place (new workers get it), -1 to keep the old. */
	int (*reload)(void *arg);
	void *arg;
};

/* Run until SIGTERM or SIGINT and every worker has exited. Assumes the
 * caller started no threads (workers are forked from this process) and
 * blocks nothing yet. Returns the process exit status: 0 when every
 * worker stopped by itself, 1 when one had to be killed. */
int supervise_run(const struct supervise_opts *o);

#endif
