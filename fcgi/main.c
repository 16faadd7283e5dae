/*
 * slash-infra - the FastCGI worker behind /slack/infra-search.
 *
 * main() owns all process-wide state: the configuration, the app, the
 * listening socket, the stop flag and the threads. Signals are handled by
 * one thread with sigwait(), so no code runs in signal context.
 */
#include "config.h"

#include <errno.h>
#include <fcgiapp.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "app.h"
#include "worker.h"

/* More acceptor threads than this buys nothing on the machines we target
 * and risks running out of file descriptors. */
#define MAIN_THREADS_MAX 256
/* Backlog for a socket we open ourselves (spawn-fcgi uses its own). */
#define MAIN_LISTEN_BACKLOG 1024

extern char **environ;

struct main_opts {
	const char *listen;
	const char *config;
	long threads;          /* 0 = from configuration */
	int check_config;
};

static void s_usage(FILE *f)
{
	fprintf(f,
		"usage: slash-infra [--listen ADDR] [--threads N] [--config FILE]\n"
		"       slash-infra --check-config [--config FILE]\n"
		"       slash-infra --help | --version\n"
		"\n"
		"  --listen ADDR    open a FastCGI socket: HOST:PORT or a path; without it\n"
		"                   the socket is inherited on fd 0 (spawn-fcgi, systemd)\n"
		"  --threads N      acceptor threads (default 8, [server] threads)\n"
		"  --config FILE    ini file (default $SLASH_INFRA_CONFIG)\n"
		"  --check-config   print the accounts and regions to search, then exit\n"
		"  --help           this text\n"
		"  --version        the version\n");
}

/* Returns 0 to go on, 1 to exit 0, -1 to exit 2. */
static int s_parse_args(int argc, char **argv, struct main_opts *o)
{
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"threads", required_argument, NULL, 't'},
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;
	char *end;

	while ((c = getopt_long(argc, argv, "l:t:c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': o->listen = optarg; break;
		case 'c': o->config = optarg; break;
		case 'C': o->check_config = 1; break;
		case 't':
			errno = 0;
			o->threads = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || o->threads < 1 || o->threads > MAIN_THREADS_MAX) {
				fprintf(stderr, "slash-infra: --threads must be 1..%d\n", MAIN_THREADS_MAX);
				return -1;
			}
			break;
		case 'h': s_usage(stdout); return 1;
		case 'V': printf("slash-infra %s\n", PACKAGE_VERSION); return 1;
		default: s_usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "slash-infra: unexpected argument '%s'\n", argv[optind]);
		s_usage(stderr);
		return -1;
	}
	return 0;
}

struct main_signals {
	sigset_t set;
	atomic_int *stopping;
	int listen_fd;
};

/* Wait for SIGTERM/SIGINT, then stop accepting: shutdown() on the listening
 * socket wakes every thread blocked in accept() (Linux semantics), and
 * requests already accepted run to completion. */
static void *s_signal_thread(void *arg)
{
	struct main_signals *s = arg;
	int sig = 0;

	if (sigwait(&s->set, &sig) != 0)
		return NULL;
	atomic_store(s->stopping, 1);
	FCGX_ShutdownPending();
	(void)shutdown(s->listen_fd, SHUT_RDWR);
	return NULL;
}

int main(int argc, char **argv)
{
	struct main_opts opts = {0};
	struct si_config cfg;
	struct si_err err;
	struct app *app = NULL;
	struct worker_shared *shared = NULL;
	pthread_t *threads = NULL;
	pthread_t sigthread;
	struct main_signals sigs;
	atomic_int stopping = 0;
	long n_threads, started = 0;
	int listen_fd = 0, rc = 2, r;
	const char *config_path;

	memset(&cfg, 0, sizeof(cfg));
	r = s_parse_args(argc, argv, &opts);
	if (r != 0)
		return r > 0 ? 0 : 2;
	config_path = si_config_path(opts.config, environ);
	if (si_config_load(&cfg, config_path, environ, &err) != 0) {
		fprintf(stderr, "slash-infra: configuration: %s\n", err.msg);
		goto out;
	}
	if (opts.check_config) {
		rc = si_config_describe(&cfg, stdout) == 0 ? 0 : 1;
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "slash-infra: curl_global_init failed\n");
		goto out;
	}
	/* libxml2 must be initialised once before threads use it. */
	xmlInitParser();
	app = app_new(&cfg, &err);
	if (app == NULL) {
		fprintf(stderr, "slash-infra: %s\n", err.msg);
		goto out;
	}
	if (FCGX_Init() != 0) {
		fprintf(stderr, "slash-infra: FCGX_Init failed\n");
		goto out;
	}
	if (opts.listen != NULL) {
		listen_fd = FCGX_OpenSocket(opts.listen, MAIN_LISTEN_BACKLOG);
		if (listen_fd < 0) {
			fprintf(stderr, "slash-infra: cannot listen on %s\n", opts.listen);
			goto out;
		}
	}
	n_threads = opts.threads > 0 ? opts.threads : cfg.threads;
	threads = calloc((size_t)n_threads, sizeof(*threads));
	shared = calloc((size_t)n_threads, sizeof(*shared));
	if (threads == NULL || shared == NULL) {
		fprintf(stderr, "slash-infra: out of memory\n");
		goto out;
	}

	/* Block the stop signals in every thread; one thread sigwait()s. SIGPIPE
	 * is ignored so a client that went away cannot kill the process. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs.set);
	sigaddset(&sigs.set, SIGTERM);
	sigaddset(&sigs.set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs.set, NULL);
	sigs.stopping = &stopping;
	sigs.listen_fd = listen_fd;
	if (pthread_create(&sigthread, NULL, s_signal_thread, &sigs) != 0) {
		fprintf(stderr, "slash-infra: cannot start the signal thread\n");
		goto out;
	}
	pthread_detach(sigthread);

	for (long i = 0; i < n_threads; i++) {
		shared[i].app = app;
		shared[i].listen_fd = listen_fd;
		shared[i].stopping = &stopping;
		shared[i].index = (int)i;
		if (pthread_create(&threads[i], NULL, worker_run, &shared[i]) != 0) {
			fprintf(stderr, "slash-infra: cannot start thread %ld\n", i);
			break;
		}
		started++;
	}
	fprintf(stderr, "time=- level=info msg=\"started\" threads=%ld accounts=%zu\n",
		started, cfg.n_accounts);
	for (long i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	fprintf(stderr, "time=- level=info msg=\"stopped\"\n");
	rc = started == n_threads && atomic_load(&stopping) ? 0 : 1;
out:
	free(threads);
	free(shared);
	app_free(app);
	si_config_free(&cfg);
	return rc;
}
