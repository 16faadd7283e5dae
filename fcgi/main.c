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
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "app.h"
#include "aws/client.h"
#include "aws/creds.h"
#include "util/logfmt.h"
#include "aws/org.h"
#include "search/plan.h"
#include "search/query.h"
#include "render.h"
#include "search/engine.h"
#include "search_pool.h"
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
	int search;            /* the "search" subcommand */
	int json;              /* search --json */
	int qargc;             /* search: the query words */
	char **qargv;
};

static void s_usage(FILE *f)
{
	fprintf(f,
		"usage: slash-infra [--listen ADDR] [--threads N] [--config FILE]\n"
		"       slash-infra --check-config [--config FILE]\n"
		"       slash-infra search [--json] [--config FILE] QUERY...\n"
		"       slash-infra --help | --version\n"
		"\n"
		"  --listen ADDR    open a FastCGI socket: HOST:PORT or a path; without it\n"
		"                   the socket is inherited on fd 0 (spawn-fcgi, systemd)\n"
		"  --threads N      acceptor threads (default 8, [server] threads)\n"
		"  --config FILE    ini file (default $SLASH_INFRA_CONFIG)\n"
		"  --check-config   print the accounts and regions, assume each role and\n"
		"                   make one EC2 call per region; exit 0 when all answer\n"
		"  search QUERY     run a search from the command line (--json: the Slack\n"
		"                   message); exit 0 found, 1 nothing found, 2 error\n"
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
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;
	char *end;

	if (argc > 1 && strcmp(argv[1], "search") == 0) {
		o->search = 1;
		argc--;
		argv++;
	}
	/* "+": stop at the first query word, so a term is never an option. */
	while ((c = getopt_long(argc, argv, "+l:t:c:hVj", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (!o->search) {
				fputs("slash-infra: --json goes with the search subcommand\n",
				      stderr);
				return -1;
			}
			o->json = 1;
			break;
		case 'l': o->listen = optarg; break;
		case 'c': o->config = optarg; break;
		case 'C': o->check_config = 1; break;
		case 't':
			errno = 0;
			o->threads = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || o->threads < 1 ||
			    o->threads > MAIN_THREADS_MAX) {
				fprintf(stderr, "slash-infra: --threads must be 1..%d\n",
					MAIN_THREADS_MAX);
				return -1;
			}
			break;
		case 'h': s_usage(stdout); return 1;
		case 'V': printf("slash-infra %s\n", PACKAGE_VERSION); return 1;
		default: s_usage(stderr); return -1;
		}
	}
	if (o->search) {
		o->qargc = argc - optind;
		o->qargv = argv + optind;
		if (o->qargc == 0) {
			fprintf(stderr, "slash-infra: search needs a query\n");
			return -1;
		}
		return 0;
	}
	if (optind != argc) {
		fprintf(stderr, "slash-infra: unexpected argument '%s'\n", argv[optind]);
		s_usage(stderr);
		return -1;
	}
	return 0;
}

/* Everything that talks to AWS, built once and shared: the base identity,
 * the one client over it (one credential cache for the search and for
 * discovery), the search engine and, with [organization], discovery. */
struct s_aws {
	struct aws_creds_provider *base;
	struct aws_client *client;
	struct search_engine *engine;
	struct org_discovery *org;
};

static void s_aws_free(struct s_aws *a)
{
	/* Users of the client first, then the client, then its base. */
	org_discovery_free(a->org);
	search_engine_free(a->engine);
	aws_client_free(a->client);
	aws_creds_provider_free(a->base);
	memset(a, 0, sizeof(*a));
}

/* Discovery through AWS Organizations, when [organization] is set. With
 * background set, a thread refreshes the list every refresh_s; otherwise
 * (the command line) one synchronous refresh. A failed refresh is logged
 * and leaves the configured accounts searchable. */
static void s_org_start(const struct si_config *cfg, struct s_aws *a, int background)
{
	const struct org_settings os = {
		.role_name = cfg->org_role_name,
		.management_role_arn = cfg->org_management_role_arn,
		.regions = cfg->org_regions,
		.n_regions = cfg->n_org_regions,
		.refresh_s = cfg->org_refresh_s,
	};
	struct si_err err;

	if (cfg->org_role_name == NULL)
		return;
	a->org = org_discovery_new(&os, a->client, &err);
	if (a->org == NULL) {
		fprintf(stderr, "slash-infra: organization discovery: %s\n", err.msg);
		return;
	}
	if (background ? org_discovery_start(a->org, &err) != 0
		       : org_discovery_refresh(a->org, time(NULL), &err) != 0)
		fprintf(stderr, "slash-infra: organization discovery: %s\n", err.msg);
	search_engine_set_org(a->engine, a->org);
}

/* The base identity is the SDKs' default chain, cached so an IMDS or
 * container lookup happens once per credential lifetime, not per search.
 * Why one function: the command line, --check-config and the server all
 * need the same wiring. Returns 0, or -1 with err (a is then freed). */
static int s_aws_new(const struct si_config *cfg, struct s_aws *a, struct si_err *err)
{
	const struct aws_client_opts co = {
		.connect_timeout_ms = cfg->aws_connect_timeout_ms,
		.timeout_ms = cfg->aws_timeout_ms,
		.max_attempts = cfg->aws_max_attempts,
	};
	const struct search_settings ss = {
		.accounts = cfg->accounts,
		.n_accounts = cfg->n_accounts,
		.deadline_ms = cfg->deadline_ms,
		.max_inflight = cfg->max_inflight,
	};
	struct aws_creds_provider *chain;

	memset(a, 0, sizeof(*a));
	chain = aws_creds_provider_chain_default_new(environ, NULL, err);
	if (chain == NULL)
		return -1;
	a->base = aws_creds_provider_cached_new(chain, AWS_CREDS_REFRESH_MARGIN_S, err);
	if (a->base == NULL)
		return -1;
	a->client = aws_client_new(&co, environ, a->base, err);
	if (a->client != NULL)
		a->engine = search_engine_new(&ss, a->client, err);
	if (a->engine == NULL) {
		s_aws_free(a);
		return -1;
	}
	return 0;
}

/* --check-config: what would be searched, then whether it can be. */
static int s_check_config(const struct si_config *cfg)
{
	struct s_aws aws;
	struct search_ctx *ctx = NULL;
	struct si_err err;
	size_t failed;
	int rc = 1;

	if (si_config_describe(cfg, stdout) != 0)
		return 1;
	if (cfg->n_accounts == 0 && cfg->org_role_name == NULL) {
		printf("no accounts configured: "
		       "set AWS_ROLE_<ALIAS> or an [account NAME] section\n");
		return 1;
	}
	if (s_aws_new(cfg, &aws, &err) != 0) {
		fprintf(stderr, "slash-infra: %s\n", err.msg);
		return 1;
	}
	ctx = search_ctx_new(1, &err);
	if (ctx == NULL) {
		fprintf(stderr, "slash-infra: %s\n", err.msg);
		goto out;
	}
	s_org_start(cfg, &aws, 0);
	printf("\nchecking access (AssumeRole + DescribeInstances per account and region):\n");
	fflush(stdout);
	failed = search_check_access(aws.engine, ctx, stdout);
	printf("%s\n", failed == 0 ? "all targets ok" : "some targets failed");
	rc = failed == 0 ? 0 : 1;
out:
	search_ctx_free(ctx);
	s_aws_free(&aws);
	return rc;
}

/* slash-infra search [--json] QUERY...: the same search as the Slack path,
 * printed as a table (or the Slack JSON). Exit 0 found, 1 none, 2 error. */
static int s_cmd_search(const struct si_config *cfg, int json, int argc, char **argv)
{
	char text[QUERY_MAX_TEXT_LEN + 1];
	struct s_aws aws;
	struct search_ctx *ctx = NULL;
	struct search_result res;
	struct si_err err;
	struct query q;
	struct plan plan;
	size_t used = 0;
	int rc = 2;

	memset(&res, 0, sizeof(res));
	memset(&aws, 0, sizeof(aws));
	text[0] = '\0';
	for (int i = 0; i < argc; i++) {
		int n = snprintf(text + used, sizeof(text) - used, "%s%s", i ? " " : "", argv[i]);

		if (n < 0 || (size_t)n >= sizeof(text) - used) {
			fprintf(stderr, "slash-infra: query longer than %d characters\n",
				QUERY_MAX_TEXT_LEN);
			return 2;
		}
		used += (size_t)n;
	}
	if (query_parse(text, &q, &err) != 0) {
		fprintf(stderr, "slash-infra: %s\n", err.msg);
		return 2;
	}
	if (q.kind == QUERY_HELP) {
		fprintf(stderr, "slash-infra: give a query, e.g. slash-infra search 10.4.2.17\n");
		return 2;
	}
	ctx = s_aws_new(cfg, &aws, &err) == 0 ? search_ctx_new(1, &err) : NULL;
	if (ctx == NULL) {
		fprintf(stderr, "slash-infra: %s\n", err.msg);
		goto out;
	}
	s_org_start(cfg, &aws, 0);
	plan_from_query(&plan, &q, text);
	if (search_run(aws.engine, ctx, &plan.spec, &res, &err) != 0) {
		fprintf(stderr, "slash-infra: %s\n", err.msg);
		goto out;
	}
	if (json) {
		char *out = render_result(&res, NULL, &err);
		char *esc;

		if (out == NULL) {
			fprintf(stderr, "slash-infra: %s\n", err.msg);
			goto out;
		}
		printf("%s\n", out);
		/* Block Kit Builder shows a message from its URL fragment. */
		esc = curl_easy_escape(NULL, out, 0);
		if (esc != NULL)
			printf("\npreview: https://app.slack.com/block-kit-builder/#%s\n", esc);
		curl_free(esc);
		free(out);
	} else if (render_text(&res, stdout, &err) != 0) {
		fprintf(stderr, "slash-infra: %s\n", err.msg);
		goto out;
	}
	/* 0 found; 1 nothing found; 2 when no target could be searched at
	 * all (every one failed), which is an error, not an empty answer. */
	if (res.n_matches > 0)
		rc = 0;
	else if (res.n_targets > 0 && res.n_failures >= res.n_targets)
		rc = 2;
	else
		rc = 1;
out:
	search_result_free(&res);
	search_ctx_free(ctx);
	s_aws_free(&aws);
	return rc;
}

static void s_log_event(const char *what, long threads, size_t accounts)
{
	struct logfmt l;

	logfmt_begin(&l, "info");
	logfmt_str(&l, "msg", what);
	logfmt_int(&l, "threads", threads);
	logfmt_int(&l, "accounts", (long long)accounts);
	logfmt_emit(&l, stderr);
}

/* How long shutdown keeps waking acceptors before giving up on them:
 * 400 x 25 ms = 10 s, the same as the default search deadline. */
#define MAIN_WAKE_ROUNDS 400
#define MAIN_WAKE_INTERVAL_MS 25

static void s_noop_handler(int sig)
{
	(void)sig;
}

/* Wake one thread blocked in accept() on listen_fd by connecting to it and
 * hanging up: libfcgi reads EOF, sees shutdownPending and returns. The
 * socket itself is left alone, since it may be shared: systemd keeps it
 * across restarts (socket activation), so shutdown() is not ours to call.
 * Returns 0 when a connection was made. */
static int s_poke_listener(int listen_fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd, rc = -1;

	if (getsockname(listen_fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		if (in->sin_addr.s_addr == htonl(INADDR_ANY))
			in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
			in6->sin6_addr = in6addr_loopback;
	} else if (ss.ss_family != AF_UNIX) {
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) == 0)
		rc = 0;
	close(fd);
	return rc;
}

/* Stop: no new requests; every acceptor finishes the request it holds
 * and returns. Requests in flight are never interrupted: only a thread
 * known to sit in accept() gets the fallback signal. */
static void s_stop_acceptors(pthread_t *threads, struct worker_shared *shared, long n,
			     int listen_fd)
{
	int *joined = calloc((size_t)n, sizeof(*joined));
	long left = n;

	FCGX_ShutdownPending();
	for (long i = 0; i < n; i++)
		atomic_store(shared[i].stopping, 1);
	for (int round = 0; round < MAIN_WAKE_ROUNDS && left > 0; round++) {
		struct timespec ts = {0, MAIN_WAKE_INTERVAL_MS * 1000000L};

		for (long i = 0; i < n; i++) {
			if (joined != NULL && joined[i])
				continue;
			if (!atomic_load(&shared[i].in_accept))
				continue;
			if (s_poke_listener(listen_fd) != 0)
				pthread_kill(threads[i], SIGUSR2);
		}
		nanosleep(&ts, NULL);
		for (long i = 0; i < n; i++) {
			if (joined != NULL && !joined[i] &&
			    pthread_tryjoin_np(threads[i], NULL) == 0) {
				joined[i] = 1;
				left--;
			}
		}
	}
	for (long i = 0; i < n; i++)
		if (joined == NULL || !joined[i])
			pthread_join(threads[i], NULL);
	free(joined);
}

/* Why main owns everything: process-wide state (configuration, the AWS
 * client and its caches, the pool, the threads) is created here in order
 * and freed here in reverse, so no module needs globals. Assumes nothing
 * was started before it; setup failures exit 2, a clean stop exits 0. */
int main(int argc, char **argv)
{
	struct main_opts opts = {0};
	struct si_config cfg;
	struct si_err err;
	struct app *app = NULL;
	struct s_aws aws;
	struct search_pool *pool = NULL;
	struct worker_shared *shared = NULL;
	pthread_t *threads = NULL;
	sigset_t stopset;
	struct sigaction sa;
	atomic_int stopping = 0;
	long n_threads, started = 0;
	int listen_fd = 0, rc = 2, r;
	const char *config_path;

	memset(&cfg, 0, sizeof(cfg));
	memset(&aws, 0, sizeof(aws));
	/* glibc gives busy threads their own malloc arenas (up to 8 per core);
	 * with dozens of request and search threads the arenas fragment and
	 * RSS creeps (seen in the soak test). Four arenas keep contention low
	 * and memory flat. */
	mallopt(M_ARENA_MAX, 4);
	r = s_parse_args(argc, argv, &opts);
	if (r != 0)
		return r > 0 ? 0 : 2;
	config_path = si_config_path(opts.config, environ);
	if (si_config_load(&cfg, config_path, environ, &err) != 0) {
		fprintf(stderr, "slash-infra: configuration: %s\n", err.msg);
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "slash-infra: curl_global_init failed\n");
		goto out;
	}
	/* libxml2 must be initialised once before threads use it. */
	xmlInitParser();
	if (opts.check_config) {
		rc = s_check_config(&cfg);
		goto out;
	}
	if (opts.search) {
		rc = s_cmd_search(&cfg, opts.json, opts.qargc, opts.qargv);
		goto out;
	}
	/* Block the stop signals before the first thread starts, so every
	 * thread inherits the mask and only the signal thread's sigwait() sees
	 * them (libfcgi installs a SIGTERM handler of its own that would
	 * otherwise swallow the signal in whichever thread got it). SIGPIPE is
	 * ignored so a client that went away cannot kill the process. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGTERM);
	sigaddset(&stopset, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stopset, NULL);
	/* SIGUSR2 only interrupts a blocked accept(): no SA_RESTART. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = s_noop_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	if (s_aws_new(&cfg, &aws, &err) != 0) {
		fprintf(stderr, "slash-infra: %s\n", err.msg);
		goto out;
	}
	s_org_start(&cfg, &aws, 1);
	pool = search_pool_new(aws.engine, cfg.search_workers, cfg.queue_size, &err);
	if (pool == NULL) {
		fprintf(stderr, "slash-infra: %s\n", err.msg);
		goto out;
	}
	app = app_new(&cfg, pool, &err);
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
	s_log_event("started", started, cfg.n_accounts);
	if (started == n_threads) {
		int sig = 0;

		/* main waits for the stop signal, then stops the acceptors. */
		sigwait(&stopset, &sig);
		s_log_event("stopping", started, cfg.n_accounts);
	}
	s_stop_acceptors(threads, shared, started, listen_fd);
	/* Every accepted search still gets its final message before we exit. */
	search_pool_free(pool);
	pool = NULL;
	s_log_event("stopped", started, cfg.n_accounts);
	rc = started == n_threads && atomic_load(&stopping) ? 0 : 1;
out:
	free(threads);
	free(shared);
	app_free(app);
	search_pool_free(pool);
	s_aws_free(&aws);
	si_config_free(&cfg);
	return rc;
}
