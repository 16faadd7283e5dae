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
 *
 * Kept connections (FCGI_KEEP_CONN, nginx's `fastcgi_keep_conn on;` with an
 * upstream `keepalive N;`): once a request thread has answered, door_done()
 * gives the connection back to the door, which waits for the next request
 * on it like on a new one: one request at a time, idle ones closed after
 * idle_timeout_ms, at most keep_max kept idle, a protocol error closes it.
 * A connection is in the door's table from accept to close; its sockets
 * stay non-blocking (door_write waits with poll), and it is armed in epoll
 * one event at a time (EPOLLONESHOT), so a request costs one re-arm, no
 * add/delete and no blocking-mode switches.
 */
#ifndef SI_FCGI_DOOR_H
#define SI_FCGI_DOOR_H

#include <stddef.h>
#include <sys/uio.h>

#include "proto.h"
#include "util/err.h"

struct door;

/* A complete request, handed to one request thread. */
struct door_conn {
	int fd;                      /* non-blocking; write with door_write */
	struct fcgi_req req;
	long long accepted_ms;       /* wall clock (ms since the epoch) at accept,
				      * or when a kept connection's next request
				      * began to arrive */
	long long accepted_mono_ms;  /* si_mono_ms() at the same moment */

	/* door-internal */
	unsigned char *in;
	size_t in_len, in_cap;
	long long deadline_mono_ms;
	int shed;                    /* taken with the reserve fd: answer busy */
	int nowait;                  /* door_write must not wait (door thread) */
	int serving;                 /* a request thread has it (door's tlock) */
	int idle;                    /* kept, no byte of a next request yet */
	size_t served;               /* requests answered on it */
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
	int write_timeout_ms;        /* writing one answer */
	int idle_timeout_ms;         /* a kept connection with no request;
				      * 0: DOOR_IDLE_TIMEOUT_MS */
	size_t keep_max;             /* connections kept idle at most; more are
				      * closed after their answer; 0: conns_max
				      * (the web server's keepalive bounds them) */
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

/* Request threads, once the answer to c's request is written (answered:
 * door_write returned 0): give c back to the door for the peer's next
 * request when the peer asked to keep it (FCGI_KEEP_CONN), it sent nothing
 * past the request, the door is not stopping and fewer than keep_max are
 * kept; else door_release(c). The caller must not touch c afterwards. */
void door_done(struct door_conn *c, int answered);

/* Write the iovecs to c whole, waiting at most write_timeout_ms in all for
 * the peer to read (not at all when c->nowait). 0, or -1 (peer gone,
 * timed out). iov is changed. */
int door_write(struct door_conn *c, struct iovec *iov, int n);

/* Idle kept connections: closed after this without a request (longer than
 * nginx's default upstream keepalive_timeout, 60 s, so nginx closes first
 * and never sends a request on a connection we are closing). */
#define DOOR_IDLE_TIMEOUT_MS 75000

/* Requests waiting in the queue right now (for logs). */
size_t door_queued(struct door *d);

#endif
