/*
 * door.h - the one thread per worker process that accepts FastCGI
 * connections and reads requests, so request threads only ever see
 * complete ones.
 *
 * Why a door apart from the request threads (slowcgi's model): a thread
 * that accepts and then blocks reading can be pinned by any peer that
 * connects and says nothing, and a thread that waits for a search cannot
 * accept. The door holds every connection in one epoll set with a
 * deadline for the whole request, never blocks on a peer, and queues a
 * request for the threads only once BEGIN_REQUEST, PARAMS and STDIN are in
 * and valid (proto.h). A full queue, or a connection taken from the
 * reserve descriptor when the process is out of them, is answered "busy"
 * at once; running out of descriptors backs off instead of spinning.
 */
#ifndef SI_FCGI_DOOR_H
#define SI_FCGI_DOOR_H

#include <stddef.h>

#include "proto.h"
#include "util/err.h"

struct door;

/* A complete request, handed to one request thread. */
struct door_conn {
	int fd;                      /* blocking, with send/receive timeouts */
	struct fcgi_req req;
	long long accepted_ms;       /* wall clock (ms since the epoch) */
	long long accepted_mono_ms;  /* si_mono_ms() at accept */

	/* door-internal */
	unsigned char *in;
	size_t in_len, in_cap;
	long long deadline_mono_ms;
	int shed;                    /* taken with the reserve fd: answer busy */
	size_t slot;                 /* index in the door's table */
	struct door *door;
	struct door_conn *next;
};

/* Answer c "busy" without a request thread (full queue, shedding); called
 * on the door thread, must not block: c->fd is non-blocking then. */
typedef void (*door_busy_fn)(void *arg, struct door_conn *c);

struct door_opts {
	int listen_fd;               /* shared by every worker; borrowed */
	size_t max_body;             /* STDIN kept per request */
	int read_timeout_ms;         /* a whole request must arrive within this */
	int write_timeout_ms;        /* per blocking write of an answer */
	size_t queue_max;            /* complete requests waiting for a thread */
	size_t conns_max;            /* connections open at once (read, queued
				      * or being answered): the descriptor
				      * budget; at the cap the door stops
				      * accepting and the backlog waits */
	door_busy_fn busy;
	void *busy_arg;
};

/* Returns NULL with err on failure; free with door_free() after
 * door_run() returned and every door_next() caller is done. */
struct door *door_new(const struct door_opts *o, struct si_err *err);
void door_free(struct door *d);

/* The door thread's body: returns once door_stop() was called and every
 * connection it had accepted is queued, answered or timed out. */
void door_run(struct door *d);

/* Stop: accept what is already waiting in the listen backlog (so no
 * queued connection is dropped), then no more; finish reading what was
 * accepted. Safe from any thread; returns at once. */
void door_stop(struct door *d);

/* Request threads: the next complete request (caller owns it; release
 * with door_conn_free), or NULL once the door has stopped and the queue is
 * empty. */
struct door_conn *door_next(struct door *d);

/* Request threads: close c's socket and free it (the door may then take
 * another connection). NULL is fine. */
void door_release(struct door_conn *c);

/* Requests waiting in the queue right now (for logs). */
size_t door_queued(struct door *d);

#endif
