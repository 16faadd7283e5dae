/*
 * worker.h - FastCGI acceptor threads: bytes in, app_handle(), bytes out.
 */
#ifndef SI_WORKER_H
#define SI_WORKER_H

#include <stdatomic.h>

#include "app.h"

struct worker_shared {
	struct app *app;        /* borrowed, thread-safe */
	int listen_fd;          /* FastCGI listening socket */
	atomic_int *stopping;   /* set by main when a stop signal arrives */
	int index;              /* thread number, for request ids */
	atomic_int in_accept;   /* 1 while blocked in FCGX_Accept_r */
};

/* pthread entry point; arg is a struct worker_shared owned by main. */
void *worker_run(void *arg);

#endif
