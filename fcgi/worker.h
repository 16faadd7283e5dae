/*
 * worker.h - request threads: a complete request from the door in,
 * app_preflight()/app_handle(), the FastCGI answer out.
 */
#ifndef SI_WORKER_H
#define SI_WORKER_H

#include "app.h"
#include "door.h"

struct worker_shared {
	struct app *app;        /* borrowed, thread-safe */
	struct door *door;      /* borrowed: where requests come from */
	int index;              /* thread number, for request ids */
};

/* pthread entry point; arg is a struct worker_shared owned by main.
 * Returns when the door has stopped and its queue is empty. */
void *worker_run(void *arg);

/* door_busy_fn: answer c "busy" on the door thread (arg: struct app *). */
void worker_busy(void *arg, struct door_conn *c);

#endif
