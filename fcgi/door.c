#include "door.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/logfmt.h"

/* Receive buffer per connection: it starts small (a Slack request from
 * nginx is about 3 KiB) and grows to one whole record at most. */
#define DOOR_IN_MIN 4096
#define DOOR_IN_MAX (FCGI_HEADER_LEN + FCGI_MAX_CONTENT + 255)
/* Connections taken per wake-up, so reading is not starved by a burst. */
#define DOOR_ACCEPT_BATCH 64
/* Out of descriptors: stop accepting for this long, doubling up to the
 * maximum while it lasts (slowcgi backs off one second). */
#define DOOR_BACKOFF_MIN_MS 50
#define DOOR_BACKOFF_MAX_MS 1000
/* How often deadlines are checked; a timeout fires at most this late. */
#define DOOR_TICK_MS 100
/* At stop, connections taken from the listen backlog at most. */
#define DOOR_DRAIN_MAX 4096
/* At stop, what a connection still being read gets: nginx writes its
 * request right after connecting, so only a stuck peer needs longer. */
#define DOOR_STOP_GRACE_MS 1000
#define DOOR_EVENTS 64

struct door {
	struct door_opts o;
	int ep;
	int wake_fd;                 /* eventfd: door_stop() wakes epoll_wait */
	int reserve_fd;              /* kept open to accept one when out of fds */
	int listening;               /* listen fd is in the epoll set */
	int shedding;                /* a connection holds the reserve */
	unsigned long shed_count;    /* answered "busy" for lack of fds, unlogged */
	long long shed_logged;       /* mono ms of the last such log line */
	long long paused_until;      /* mono ms; 0: not backing off */
	int backoff_ms;
	atomic_int stopping;
	atomic_size_t live;          /* connections open: read, queued, served */
	int drained;                 /* stop: backlog taken, listening over */
	char listen_tag, wake_tag;   /* epoll tags */

	/* Every open connection, from accept to close: read by the door,
	 * queued, served by a thread, or kept idle. Request threads change
	 * it too (door_done, door_release), hence the lock. */
	pthread_mutex_t tlock;
	struct door_conn **conns;
	size_t n_conns;
	size_t n_serving;            /* of them queued or with a thread */
	size_t kept;                 /* of them kept idle */
	size_t keep_max;
	int idle_timeout_ms;

	pthread_mutex_t lock;        /* guards the queue and finished */
	pthread_cond_t cond;
	struct door_conn *head, *tail;
	size_t queued;
	int finished;
};

static long long s_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000L;
}

/* One logfmt line: msg, an optional string and an optional number. */
static void s_log(const char *level, const char *msg, const char *key, const char *val,
		  const char *nkey, long long n)
{
	struct logfmt l;

	logfmt_begin(&l, level);
	logfmt_str(&l, "msg", msg);
	if (key != NULL)
		logfmt_str(&l, key, val);
	if (nkey != NULL)
		logfmt_int(&l, nkey, n);
	logfmt_emit(&l, stderr);
}

static void s_reserve_open(struct door *d)
{
	if (d->reserve_fd < 0)
		d->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	d->shedding = 0;
}

/* The door's defaults are set here, once. keep_max unset means no cap of
 * its own (conns_max bounds the table): a kept connection closed while
 * nginx holds it in its cache would turn its next POST into a 502 (nginx
 * does not resend a POST), so the web server's keepalive bounds them. */
struct door *door_new(const struct door_opts *o, struct si_err *err)
{
	struct door *d = si_zalloc(sizeof(*d), err);
	struct epoll_event ev = {.events = EPOLLIN};

	if (d == NULL)
		return NULL;
	d->o = *o;
	d->ep = -1;
	d->wake_fd = -1;
	d->reserve_fd = -1;
	d->backoff_ms = DOOR_BACKOFF_MIN_MS;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	pthread_mutex_init(&d->tlock, NULL);
	d->idle_timeout_ms = o->idle_timeout_ms > 0 ? o->idle_timeout_ms : DOOR_IDLE_TIMEOUT_MS;
	d->keep_max = o->keep_max > 0 ? o->keep_max : o->conns_max;
	d->conns = calloc(o->conns_max ? o->conns_max : 1, sizeof(*d->conns));
	d->ep = epoll_create1(EPOLL_CLOEXEC);
	d->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s_reserve_open(d);
	ev.data.ptr = &d->wake_tag;
	if (d->conns == NULL || d->ep < 0 || d->wake_fd < 0 || d->reserve_fd < 0 ||
	    epoll_ctl(d->ep, EPOLL_CTL_ADD, d->wake_fd, &ev) != 0) {
		si_err_set(err, SI_ERR_IO, "door: cannot set up epoll (errno %d)", errno);
		door_free(d);
		return NULL;
	}
	return d;
}

static void s_conn_free(struct door_conn *c)
{
	struct door *d;

	if (c == NULL)
		return;
	d = c->door;
	if (c->fd >= 0)
		close(c->fd);
	fcgi_req_clear(&c->req);
	free(c->in);
	free(c);
	if (d != NULL)
		atomic_fetch_sub(&d->live, 1);
}

/* A lingering close, as libfcgi's OS_IpcClose and every careful HTTP server
 * do: when we answered before the peer finished sending its body (it was
 * over max_body, answered 413), closing at once would reset the connection
 * under a web server still writing, and Apache's mod_proxy_fcgi then shows
 * the user a 503 instead of our answer. Say we are done writing, then read
 * and drop what is still coming, bounded in bytes and time. */
#define DOOR_LINGER_MS 1000
#define DOOR_LINGER_MAX (1024 * 1024)
#define DOOR_LINGER_GAP_MS 200     /* nothing for this long: the peer is done */
static void s_linger(struct door_conn *c)
{
	long long until = si_mono_ms() + DOOR_LINGER_MS;
	unsigned char sink[4096];
	size_t dropped = 0;

	if (c->fd < 0 || shutdown(c->fd, SHUT_WR) != 0)
		return;
	/* The socket is non-blocking: wait for each piece with poll. */
	while (dropped < DOOR_LINGER_MAX) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		long long left = until - si_mono_ms();
		ssize_t n;

		if (left > DOOR_LINGER_GAP_MS)
			left = DOOR_LINGER_GAP_MS;
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		n = read(c->fd, sink, sizeof(sink));
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n <= 0)
			break;
		dropped += (size_t)n;
	}
}

/* Take c out of the table (tlock held); the caller closes or frees it.
 * Closing the socket takes it out of the epoll set. */
static void s_untrack(struct door *d, struct door_conn *c)
{
	if (c->serving)
		d->n_serving--;
	if (c->idle)
		d->kept--;
	d->conns[c->slot] = d->conns[--d->n_conns];
	d->conns[c->slot]->slot = c->slot;
}

void door_release(struct door_conn *c)
{
	struct door *d = c != NULL ? c->door : NULL;
	uint64_t one = 1;

	if (d != NULL) {
		pthread_mutex_lock(&d->tlock);
		s_untrack(d, c);
		pthread_mutex_unlock(&d->tlock);
	}
	if (c != NULL && c->req.body_over)
		s_linger(c);
	s_conn_free(c);
	/* At the cap the door stopped listening: let it look again. */
	if (d != NULL && atomic_load(&d->live) + 1 >= d->o.conns_max)
		(void)!write(d->wake_fd, &one, sizeof(one));
}

void door_free(struct door *d)
{
	if (d == NULL)
		return;
	/* Queued connections are in the table too. */
	for (size_t i = 0; i < d->n_conns; i++)
		s_conn_free(d->conns[i]);
	if (d->ep >= 0)
		close(d->ep);
	if (d->wake_fd >= 0)
		close(d->wake_fd);
	if (d->reserve_fd >= 0)
		close(d->reserve_fd);
	free(d->conns);
	pthread_mutex_destroy(&d->tlock);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	free(d);
}

/* Door thread: close c, which the door holds (not serving). A connection
 * that used the reserve gives it back. */
static void s_drop(struct door *d, struct door_conn *c)
{
	int shed = c->shed;

	pthread_mutex_lock(&d->tlock);
	s_untrack(d, c);
	pthread_mutex_unlock(&d->tlock);
	s_conn_free(c);
	if (shed)
		s_reserve_open(d);
}

/* Wait for c's next readable event (once: EPOLLONESHOT). 0 or -1. */
static int s_arm(struct door *d, struct door_conn *c, int op)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT};

	ev.data.ptr = c;
	return epoll_ctl(d->ep, op, c->fd, &ev);
}

static void s_track(struct door *d, int fd, int shed)
{
	struct door_conn *c = calloc(1, sizeof(*c));
	size_t n;

	pthread_mutex_lock(&d->tlock);
	n = d->n_conns;
	pthread_mutex_unlock(&d->tlock);
	if (c == NULL || n >= d->o.conns_max) {
		free(c);
		close(fd);
		if (shed)
			s_reserve_open(d);
		return;
	}
	c->fd = fd;
	c->shed = shed;
	c->door = d;
	atomic_fetch_add(&d->live, 1);
	c->accepted_ms = s_wall_ms();
	c->accepted_mono_ms = si_mono_ms();
	c->deadline_mono_ms = c->accepted_mono_ms + d->o.read_timeout_ms;
	fcgi_req_init(&c->req, d->o.max_body);
	pthread_mutex_lock(&d->tlock);
	c->slot = d->n_conns;
	d->conns[d->n_conns++] = c;
	pthread_mutex_unlock(&d->tlock);
	if (s_arm(d, c, EPOLL_CTL_ADD) != 0)
		s_drop(d, c);
}

static void s_listen_set(struct door *d, int on)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE};

	if (on == d->listening)
		return;
	ev.data.ptr = &d->listen_tag;
	if (on && epoll_ctl(d->ep, EPOLL_CTL_ADD, d->o.listen_fd, &ev) != 0)
		return;
	if (!on)
		epoll_ctl(d->ep, EPOLL_CTL_DEL, d->o.listen_fd, NULL);
	d->listening = on;
}

/* Out of descriptors (or kernel memory): slowcgi's accept_reserve. Give up
 * the reserve to take one waiting connection, which is answered "busy"
 * once its request is in; listening resumes when it is done (the reserve
 * is back), so the backlog is answered one by one instead of waiting, and
 * each accept() is paid for by a connection taken. When even that fails,
 * stop accepting for a while, doubling the pause while the shortage
 * lasts: the loop never spins on accept(). */
static void s_out_of_fds(struct door *d, int e)
{
	long long now = si_mono_ms();
	char what[32];

	if (d->reserve_fd >= 0) {
		int fd;

		close(d->reserve_fd);
		d->reserve_fd = -1;
		fd = accept4(d->o.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			s_track(d, fd, 1);
			d->shedding = d->reserve_fd < 0;
			d->shed_count++;
			if (now - d->shed_logged >= DOOR_BACKOFF_MAX_MS) {
				s_log("warn", "out of descriptors: answering busy", NULL, NULL,
				      "count", (long long)d->shed_count);
				d->shed_logged = now;
				d->shed_count = 0;
			}
			s_listen_set(d, 0);
			return;
		}
		s_reserve_open(d);
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
	}
	if (e == EMFILE || e == ENFILE)
		(void)snprintf(what, sizeof(what), "%s", e == EMFILE ? "EMFILE" : "ENFILE");
	else
		(void)snprintf(what, sizeof(what), "%d", e);
	s_log("warn", "accept failed, backing off", "errno", what,
	      "pause_ms", d->backoff_ms);
	d->paused_until = now + d->backoff_ms;
	d->backoff_ms = d->backoff_ms * 2 > DOOR_BACKOFF_MAX_MS ? DOOR_BACKOFF_MAX_MS
								 : d->backoff_ms * 2;
	s_listen_set(d, 0);
}

/* Accept up to max connections; returns how many. Every listen socket is
 * shared by all worker processes, so EAGAIN (another took it) is normal. */
static size_t s_accept(struct door *d, size_t max)
{
	size_t n = 0;

	while (n < max && atomic_load(&d->live) < d->o.conns_max) {
		int fd = accept4(d->o.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			s_track(d, fd, 0);
			d->backoff_ms = DOOR_BACKOFF_MIN_MS;
			n++;
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		/* EMFILE, ENFILE, ENOBUFS, ENOMEM, or anything unexpected:
		 * pause rather than retry at once. */
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			s_out_of_fds(d, errno);
		break;
	}
	return n;
}

/* The request is in: hand it to a thread, or answer "busy" here when the
 * queue is full or the connection came from the reserve. */
static void s_complete(struct door *d, struct door_conn *c)
{
	int full;

	pthread_mutex_lock(&d->lock);
	full = d->queued >= d->o.queue_max;
	pthread_mutex_unlock(&d->lock);
	if (c->shed || full) {
		c->nowait = 1;
		if (d->o.busy != NULL)
			d->o.busy(d->o.busy_arg, c);
		s_drop(d, c);
		return;
	}
	pthread_mutex_lock(&d->tlock);
	c->serving = 1;
	d->n_serving++;
	pthread_mutex_unlock(&d->tlock);
	pthread_mutex_lock(&d->lock);
	if (d->tail != NULL)
		d->tail->next = c;
	else
		d->head = c;
	d->tail = c;
	d->queued++;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

/* A kept connection's next request begins: from now on it has the read
 * timeout, and its times are this request's. */
static void s_wake_kept(struct door *d, struct door_conn *c)
{
	c->accepted_ms = s_wall_ms();
	c->accepted_mono_ms = si_mono_ms();
	pthread_mutex_lock(&d->tlock);
	c->idle = 0;
	d->kept--;
	c->deadline_mono_ms = c->accepted_mono_ms + d->o.read_timeout_ms;
	pthread_mutex_unlock(&d->tlock);
}

/* Read what is there, feed the parser, keep a partial record. Why the
 * buffer grows only to one record: the parser consumes whole records and
 * keeps what it needs, so a peer can never make us hold more than
 * FCGI_PARAMS_MAX + max_body + one record per connection. */
static void s_read(struct door *d, struct door_conn *c)
{
	struct si_err err;

	for (;;) {
		size_t used;
		ssize_t n;

		if (c->in_cap - c->in_len < DOOR_IN_MIN && c->in_cap < DOOR_IN_MAX) {
			size_t cap = c->in_cap ? c->in_cap * 2 : DOOR_IN_MIN;
			unsigned char *nb;

			if (cap > DOOR_IN_MAX)
				cap = DOOR_IN_MAX;
			nb = realloc(c->in, cap);
			if (nb == NULL) {
				s_drop(d, c);
				return;
			}
			c->in = nb;
			c->in_cap = cap;
		}
		n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (s_arm(d, c, EPOLL_CTL_MOD) != 0)
				s_drop(d, c);
			return;
		}
		if (n <= 0) {
			s_drop(d, c);     /* peer gone before its request was in */
			return;
		}
		if (c->idle)
			s_wake_kept(d, c);
		c->in_len += (size_t)n;
		if (fcgi_req_feed(&c->req, c->in, c->in_len, &used, &err) != 0) {
			s_log("warn", "fastcgi protocol error, connection closed", "error",
			      err.msg, NULL, 0);
			s_drop(d, c);
			return;
		}
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		if (c->req.stage == FCGI_STAGE_DONE) {
			s_complete(d, c);
			return;
		}
	}
}

/* Cut connections whose request did not arrive within read_timeout_ms:
 * idle or trickling peers cost a table slot for that long, never a
 * thread. Kept connections idle for idle_timeout_ms are closed too (not
 * logged: that is their normal end). */
static void s_expire(struct door *d, long long now)
{
	size_t cut = 0;

	pthread_mutex_lock(&d->tlock);
	for (size_t i = 0; i < d->n_conns;) {
		struct door_conn *c = d->conns[i];
		int shed = c->shed;

		if (c->serving || c->deadline_mono_ms > now) {
			i++;
			continue;
		}
		if (!c->idle)
			cut++;
		s_untrack(d, c);    /* the last one moved into slot i */
		s_conn_free(c);
		if (shed)
			s_reserve_open(d);
	}
	pthread_mutex_unlock(&d->tlock);
	if (cut > 0)
		s_log("info", "fastcgi read timeout, connections closed", NULL, NULL,
		      "count", (long long)cut);
}

/* At stop: what is already in the listen backlog was sent to us by the
 * web server and must not be dropped (nginx would answer 502 or 504):
 * take it, read it and serve it like any other. */
static void s_drain_backlog(struct door *d)
{
	long long cut = si_mono_ms() + DOOR_STOP_GRACE_MS;
	size_t n = s_accept(d, DOOR_DRAIN_MAX);

	/* Kept idle connections hold no request: close them now (nginx
	 * drops them from its cache on the close). */
	pthread_mutex_lock(&d->tlock);
	for (size_t i = 0; i < d->n_conns;) {
		struct door_conn *c = d->conns[i];

		if (!c->serving && c->idle) {
			s_untrack(d, c);
			s_conn_free(c);
			continue;
		}
		if (!c->serving && c->deadline_mono_ms > cut)
			c->deadline_mono_ms = cut;
		i++;
	}
	pthread_mutex_unlock(&d->tlock);
	s_listen_set(d, 0);
	d->drained = 1;
	if (n > 0)
		s_log("info", "stop: connections taken from the backlog", NULL, NULL,
		      "count", (long long)n);
}

static int s_timeout(const struct door *d, long long now)
{
	long long t = DOOR_TICK_MS;

	if (d->paused_until != 0 && d->paused_until - now < t)
		t = d->paused_until - now;
	return t < 0 ? 0 : (int)t;
}

/* Why one loop does everything: accepting, reading and cutting are all
 * cheap and non-blocking, so one thread per process serves any number of
 * connections; the only shared state is the hand-off queue and the table
 * of connections (request threads give kept ones back and close the
 * others). Assumes the listen socket is shared (every worker process polls
 * it, EPOLLEXCLUSIVE keeps the wake-ups down). Ends after door_stop()
 * once nothing is left being read. */
void door_run(struct door *d)
{
	struct epoll_event evs[DOOR_EVENTS];
	long long last_tick = si_mono_ms();

	for (;;) {
		long long now = si_mono_ms();
		int n, left;

		if (atomic_load(&d->stopping) && !d->drained)
			s_drain_backlog(d);
		pthread_mutex_lock(&d->tlock);
		left = d->n_conns > d->n_serving;
		pthread_mutex_unlock(&d->tlock);
		if (d->drained && !left)
			break;
		if (d->paused_until != 0 && now >= d->paused_until)
			d->paused_until = 0;
		/* The reserve could not be reopened (another thread took the
		 * descriptor just freed): try again, or shedding stays off for
		 * as long as descriptors are short. */
		if (d->reserve_fd < 0 && !d->shedding)
			s_reserve_open(d);
		s_listen_set(d, !d->drained && d->paused_until == 0 && !d->shedding &&
				atomic_load(&d->live) < d->o.conns_max);
		n = epoll_wait(d->ep, evs, DOOR_EVENTS, s_timeout(d, now));
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			if (p == &d->listen_tag) {
				s_accept(d, DOOR_ACCEPT_BATCH);
			} else if (p == &d->wake_tag) {
				uint64_t v;

				(void)!read(d->wake_fd, &v, sizeof(v));
			} else {
				s_read(d, p);
			}
		}
		now = si_mono_ms();
		if (now - last_tick >= DOOR_TICK_MS) {
			s_expire(d, now);
			last_tick = now;
		}
	}
	pthread_mutex_lock(&d->lock);
	d->finished = 1;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

/* Why the checks: a kept connection must be exactly where a new one is,
 * waiting for BEGIN_REQUEST with nothing buffered (bytes past the request
 * would be a second request sent before the answer: not what a web server
 * does, so the connection is closed), and a body over max_body was not
 * all read. The table is changed and the socket re-armed under tlock, so
 * the door never sees the connection half given back; after the re-arm
 * only the door touches it. */
void door_done(struct door_conn *c, int answered)
{
	struct door *d = c->door;
	int keep = answered && c->req.keep_conn && !c->req.body_over && c->in_len == 0 &&
		   !c->shed;

	if (keep) {
		fcgi_req_reset(&c->req, d->o.max_body);
		if (c->in_cap > DOOR_IN_MIN) {   /* an idle connection holds little */
			free(c->in);
			c->in = NULL;
			c->in_cap = 0;
		}
		c->served++;
		pthread_mutex_lock(&d->tlock);
		keep = !atomic_load(&d->stopping) && d->kept < d->keep_max;
		if (keep) {
			c->serving = 0;
			d->n_serving--;
			c->idle = 1;
			d->kept++;
			c->deadline_mono_ms = si_mono_ms() + d->idle_timeout_ms;
			if (s_arm(d, c, EPOLL_CTL_MOD) != 0) {
				c->serving = 1;
				d->n_serving++;
				c->idle = 0;
				d->kept--;
				keep = 0;
			}
		}
		pthread_mutex_unlock(&d->tlock);
		if (keep)
			return;
	}
	door_release(c);
}

/* Why poll and not a blocking socket with SO_SNDTIMEO: the socket stays
 * non-blocking for the door (no mode switch per request, two syscalls
 * fewer), and an answer is written with one writev almost always (it
 * fits the socket buffer); only a peer slow to read makes us wait, for
 * write_timeout_ms in all, never on the door thread (nowait). */
int door_write(struct door_conn *c, struct iovec *iov, int n)
{
	long long until = si_mono_ms() + c->door->o.write_timeout_ms;

	while (n > 0) {
		ssize_t w = writev(c->fd, iov, n);
		struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
		long long left;

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			left = until - si_mono_ms();
			if (c->nowait || left <= 0)
				return -1;
			if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
				return -1;
			continue;
		}
		if (w <= 0)
			return -1;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

void door_stop(struct door *d)
{
	uint64_t one = 1;

	atomic_store(&d->stopping, 1);
	(void)!write(d->wake_fd, &one, sizeof(one));
}

struct door_conn *door_next(struct door *d)
{
	struct door_conn *c;

	pthread_mutex_lock(&d->lock);
	while (d->head == NULL && !d->finished)
		pthread_cond_wait(&d->cond, &d->lock);
	c = d->head;
	if (c != NULL) {
		d->head = c->next;
		if (d->head == NULL)
			d->tail = NULL;
		d->queued--;
		c->next = NULL;
	}
	pthread_mutex_unlock(&d->lock);
	return c;
}

size_t door_queued(struct door *d)
{
	size_t n;

	pthread_mutex_lock(&d->lock);
	n = d->queued;
	pthread_mutex_unlock(&d->lock);
	return n;
}
