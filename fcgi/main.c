/*
 * slash-infra - the FastCGI service behind /slack/infra-search.
 *
 * main() loads the configuration and takes the listening socket, then
 * becomes the supervisor (supervise.h): it forks --workers worker
 * processes and never runs request code itself. Each worker (s_worker_main)
 * owns its process-wide state: the AWS client, the search pool, the app,
 * the door thread (door.h) and the request threads (worker.h). Signals are
 * taken with sigwait()/sigtimedwait(), so no code runs in signal context.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netdb.h>
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
#include "search/registry.h"
#include "render.h"
#include "search/engine.h"
#include "search_pool.h"
#include "door.h"
#include "index.h"
#include "inventory.h"
#include "journal.h"
#include "store/inventory.h"
#include "store/store.h"
#include "supervise.h"
#include "util/clock.h"
#include "util/metrics.h"
#include "util/strutil.h"
#include "worker.h"

/* More request threads than this buys nothing on the machines we target
 * and risks running out of file descriptors. */
#define MAIN_THREADS_MAX 256
/* Backlog for a socket we open ourselves (spawn-fcgi uses its own). */
#define MAIN_LISTEN_BACKLOG 1024
/* Worker processes: two survive one crash with the service answering;
 * more than 64 only multiplies the credential caches. */
#define MAIN_WORKERS_DEFAULT 2
#define MAIN_WORKERS_MAX 64
/* A stop ends within this (default): under systemd's TimeoutStopSec=15 s
 * in conf/slash-infra.service, with room for the supervisor's kill grace. */
#define MAIN_STOP_BUDGET_DEFAULT_MS 10000
#define MAIN_STOP_BUDGET_MAX_MS 600000
/* A whole FastCGI request must arrive within this from accept: nginx sends
 * it in one go (it buffers the client's body first), so anything slower
 * is a stuck or hostile peer, and Slack's 3 s would be gone anyway. */
#define MAIN_READ_TIMEOUT_DEFAULT_MS 5000
#define MAIN_READ_TIMEOUT_MAX_MS 60000
/* Writing an answer: the same bound. */
#define MAIN_WRITE_TIMEOUT_MS 5000
/* How long a stopping worker waits for the crawler beyond the rest of
 * its stop: enough for one between-batches check, not for a search. */
#define MAIN_CRAWLER_JOIN_MS 200
/* Slack's Block Kit Builder shows the message in its URL fragment
 * (search --preview). */
#define MAIN_BLOCK_KIT_BUILDER "https://app.slack.com/block-kit-builder/"
/* Requests read and waiting for a request thread, per worker process. */
#define MAIN_QUEUE_MAX 256
/* Descriptors a worker keeps for everything but FastCGI connections:
 * stdio, the listen socket, epoll, the reserve, and the search threads'
 * curl handles (a wake-up pair each plus connections). */
#define MAIN_FD_HEADROOM 32
/* A search thread's descriptors: its search's requests in flight (at most
 * SEARCH_AUTO_MAX by default) and the idle connections its multi handle
 * keeps for the next search (256), plus a few. */
#define MAIN_FD_PER_SEARCH_THREAD 400
/* The soft descriptor limit the server raises itself to, within the hard
 * one (systemd's default is 1024 soft, 524288 hard; Go's runtime raises
 * it the same way). */
#define MAIN_NOFILE_WANT 65536
#define MAIN_CONNS_MIN 8
#define MAIN_CONNS_MAX 4096

extern char **environ;

struct main_opts {
	const char *listen;
	const char *listen_group;  /* --listen-group: the Unix socket's group */
	const char *config;
	long threads;          /* 0 = from configuration */
	long workers;          /* 0 = $SLASH_INFRA_WORKERS or the default */
	long stop_budget_ms;   /* 0 = $SLASH_INFRA_STOP_BUDGET_MS or the default */
	long read_timeout_ms;  /* 0 = the default */
	int check_config;
	int list_actions;      /* --list-actions */
	int search;            /* the "search" subcommand */
	int json;              /* search --json */
	int preview;           /* search --preview */
	int qargc;             /* search: the query words */
	char **qargv;
	int inventory;         /* the "inventory" subcommand */
	int iargc;             /* inventory: its subcommand and arguments */
	char **iargv;
};

/* The usage text: every option and subcommand in one place, which the
 * manual page test compares with doc/slash-infra.8. */
static void s_usage(FILE *f)
{
	fprintf(f,
		"usage: slash-infra [--listen ADDR [--listen-group GROUP]] [--workers N]\n"
		"                   [--threads N] [--stop-budget-ms MS] [--read-timeout-ms MS]\n"
		"                   [--config FILE]\n"
		"       slash-infra --check-config [--config FILE]\n"
		"       slash-infra --list-actions\n"
		"       slash-infra search [--json] [--preview] [--config FILE] QUERY...\n"
		"       slash-infra inventory [--config FILE] status [account:ALIAS] "
		"[region:REGION]\n"
		"       slash-infra inventory [--config FILE] refresh [account:ALIAS] "
		"[region:REGION]\n"
		"       slash-infra inventory [--config FILE] history ADDRESS|ID\n"
		"       slash-infra --help | --version\n"
		"\n"
		"  --listen ADDR    open a FastCGI socket: HOST:PORT or a path; without it\n"
		"                   the socket is inherited on fd 0 (spawn-fcgi, systemd);\n"
		"                   a path is made mode 0660\n"
		"  --listen-group GROUP  the Unix socket's group (the web server's, www-data)\n"
		"  --workers N      worker processes (default 2, $SLASH_INFRA_WORKERS)\n"
		"  --threads N      request threads per worker (default 8, [server] threads)\n"
		"  --stop-budget-ms MS  SIGTERM ends within this (default 10000,\n"
		"                   $SLASH_INFRA_STOP_BUDGET_MS)\n"
		"  --read-timeout-ms MS  a FastCGI request must arrive within this\n"
		"                   (default 5000)\n"
		"  --config FILE    ini file (default $SLASH_INFRA_CONFIG)\n"
		"  --check-config   print the accounts and regions, assume each role and\n"
		"                   make one call of every action a search may make, in\n"
		"                   every region; exit 0 when all are allowed\n"
		"  --list-actions   print the IAM actions a search may call (the\n"
		"                   inspection role's permissions), one per line\n"
		"  search QUERY     run a search from the command line, as a table (--json:\n"
		"                   the Slack message alone on stdout; --preview: a Block Kit\n"
		"                   Builder link to it on stderr); exit 0 found, 1 nothing\n"
		"                   found, 2 error; search help: its usage\n"
		"  inventory status   each crawl target (account, region, service):\n"
		"                   resources, age, last error, then the totals (account:/\n"
		"                   region: narrow it); exit 0, 1 none yet, 2 error\n"
		"  inventory refresh  crawl now, in the foreground (account:/region: narrow\n"
		"                   it; region:global is Route 53), one line per target;\n"
		"                   exit 0 all written, 1 some failed, 2 none could be\n"
		"  inventory history  every holder of an address, or every address a\n"
		"                   resource held, oldest first; exit 0, 1 none, 2 error\n"
		"  --help           this text\n"
		"  --version        the version\n");
}

/* `slash-infra search help` and `search --help`: the subcommand's usage
 * and what a query may be (the Slack help's examples, for a terminal). */
static void s_search_usage(FILE *f)
{
	fprintf(f,
		"usage: slash-infra search [--json] [--preview] [--config FILE] QUERY...\n"
		"\n"
		"Search every configured account and region, the inventory first, as the\n"
		"Slack command does. Needs the AWS settings only: no Slack signing secret.\n"
		"\n"
		"  --json           print only the Slack message (JSON) on stdout, e.g. for jq\n"
		"  --preview        print a Block Kit Builder link showing the message on\n"
		"                   stderr (with or without --json)\n"
		"  --config FILE    ini file (default $SLASH_INFRA_CONFIG)\n"
		"  --help           this text (as does `slash-infra search help`)\n"
		"\n"
		"QUERY: an IP address or CIDR, an EC2 ID (i-, sg-, vpc-, subnet-, vol-, ami-,\n"
		"eni-, ...), an ARN, a DNS name (EC2, load balancer, RDS, or any host in a\n"
		"hosted zone), or part of a Name; narrow it with account:ALIAS and\n"
		"region:REGION. Examples:\n"
		"  slash-infra search 10.4.2.17\n"
		"  slash-infra search i-0123456789abcdef0\n"
		"  slash-infra search web account:production region:eu-west-2\n"
		"  slash-infra search --json prod-db | jq .text\n"
		"\n"
		"Exit status: 0 found, 1 nothing found, 2 error (a malformed query, a\n"
		"configuration error, or every target failed).\n");
}

static int s_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every action of every registered type (registry.h), sorted and once
 * each: what the IAM kit's inspection role must grant. Returns the exit
 * status. */
static int s_list_actions(FILE *f)
{
	const char *v[512];
	size_t n = 0;

	for (size_t i = 0; rt_types[i] != NULL; i++)
		for (size_t k = 0; rt_types[i]->actions != NULL &&
		     rt_types[i]->actions[k] != NULL && n < sizeof(v) / sizeof(v[0]); k++)
			v[n++] = rt_types[i]->actions[k];
	qsort(v, n, sizeof(v[0]), s_cmp_str);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			fprintf(f, "%s\n", v[i]);
	return fflush(f) == 0 ? 0 : 2;
}

/* A number in [min, max] or -1: strtol with end and range checks. */
static long s_number(const char *v, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
		return -1;
	return n;
}

/* Returns 0 to go on, 1 to exit 0, -1 to exit 2. */
static int s_parse_args(int argc, char **argv, struct main_opts *o)
{
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"listen-group", required_argument, NULL, 'g'},
		{"threads", required_argument, NULL, 't'},
		{"workers", required_argument, NULL, 'w'},
		{"stop-budget-ms", required_argument, NULL, 'S'},
		{"read-timeout-ms", required_argument, NULL, 'R'},
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'C'},
		{"list-actions", no_argument, NULL, 'A'},
		{"json", no_argument, NULL, 'j'},
		{"preview", no_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	if (argc > 1 && strcmp(argv[1], "search") == 0) {
		o->search = 1;
		argc--;
		argv++;
	} else if (argc > 1 && strcmp(argv[1], "inventory") == 0) {
		o->inventory = 1;
		argc--;
		argv++;
	}
	/* "+": stop at the first query word, so a term is never an option. */
	while ((c = getopt_long(argc, argv, "+l:g:t:w:S:R:c:hVjA", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (!o->search) {
				fputs("slash-infra: --json goes with the search subcommand\n",
				      stderr);
				return -1;
			}
			o->json = 1;
			break;
		case 'P':
			if (!o->search) {
				fputs("slash-infra: --preview goes with the search subcommand\n",
				      stderr);
				return -1;
			}
			o->preview = 1;
			break;
		case 'l': o->listen = optarg; break;
		case 'g': o->listen_group = optarg; break;
		case 'c': o->config = optarg; break;
		case 'C': o->check_config = 1; break;
		case 'A': o->list_actions = 1; break;
		case 't':
			o->threads = s_number(optarg, 1, MAIN_THREADS_MAX);
			if (o->threads < 0) {
				fprintf(stderr, "slash-infra: --threads must be 1..%d\n",
					MAIN_THREADS_MAX);
				return -1;
			}
			break;
		case 'w':
			o->workers = s_number(optarg, 1, MAIN_WORKERS_MAX);
			if (o->workers < 0) {
				fprintf(stderr, "slash-infra: --workers must be 1..%d\n",
					MAIN_WORKERS_MAX);
				return -1;
			}
			break;
		case 'S':
			o->stop_budget_ms = s_number(optarg, 100, MAIN_STOP_BUDGET_MAX_MS);
			if (o->stop_budget_ms < 0) {
				fprintf(stderr, "slash-infra: --stop-budget-ms must be 100..%d\n",
					MAIN_STOP_BUDGET_MAX_MS);
				return -1;
			}
			break;
		case 'R':
			o->read_timeout_ms = s_number(optarg, 100, MAIN_READ_TIMEOUT_MAX_MS);
			if (o->read_timeout_ms < 0) {
				fprintf(stderr, "slash-infra: --read-timeout-ms must be 100..%d\n",
					MAIN_READ_TIMEOUT_MAX_MS);
				return -1;
			}
			break;
		case 'h':
			if (o->search)
				s_search_usage(stdout);
			else
				s_usage(stdout);
			return 1;
		case 'V': printf("slash-infra %s\n", PACKAGE_VERSION); return 1;
		default: s_usage(stderr); return -1;
		}
	}
	if (o->search) {
		o->qargc = argc - optind;
		o->qargv = argv + optind;
		if (o->qargc == 0) {
			fprintf(stderr, "slash-infra: search needs a query (slash-infra search "
					"help)\n");
			return -1;
		}
		return 0;
	}
	if (o->inventory) {
		o->iargc = argc - optind;
		o->iargv = argv + optind;
		if (o->iargc == 0) {
			fprintf(stderr, "slash-infra: inventory needs status, refresh or "
					"history\n");
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
		.resolve_dns = cfg->resolve_dns,
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

static struct store_settings s_store_settings(const struct si_config *cfg);

/* The query of `slash-infra search WORDS...`: the words joined by spaces
 * into text (size bytes), parsed as the Slack path parses them. Done before
 * the configuration is read, so `search help` works with none. Returns 0,
 * 1 when the query asks for help (the usage is printed on stdout), -1 on
 * a bad query (said on stderr). */
static int s_search_query(int argc, char **argv, char *text, size_t size, struct query *q)
{
	struct si_err err;
	size_t used = 0;

	text[0] = '\0';
	for (int i = 0; i < argc; i++) {
		int n = snprintf(text + used, size - used, "%s%s", i ? " " : "", argv[i]);

		if (n < 0 || (size_t)n >= size - used) {
			fprintf(stderr, "slash-infra: query longer than %zu characters\n",
				size - 1);
			return -1;
		}
		used += (size_t)n;
	}
	if (query_parse_at(text, time(NULL), q, &err) != 0) {
		fprintf(stderr, "slash-infra: %s\n", err.msg);
		return -1;
	}
	if (q->kind == QUERY_HELP) {
		s_search_usage(stdout);
		return 1;
	}
	return 0;
}

/* --json and --preview: the Slack message the service would answer with
 * (the configured response type, account-aware links with [links]). Only
 * the JSON goes to stdout, so `| jq` works; the Block Kit Builder link,
 * which shows a message from its URL fragment, goes to stderr. Returns 0
 * or -1 (said on stderr). */
static int s_search_json(const struct si_config *cfg, const struct search_result *res,
			 int json, int preview)
{
	const struct render_links links = {
		.sso_start_url = cfg->link_sso_start_url,
		.role_name = cfg->link_role_name,
	};
	const struct render_opts ro = {
		.response_type = cfg->response_type == SI_RESPONSE_EPHEMERAL ? RENDER_EPHEMERAL
									     : RENDER_IN_CHANNEL,
		.links = &links,
	};
	struct si_err err;
	char *out = render_result(res, &ro, &err);
	char *esc = NULL;
	int rc = 0;

	if (out == NULL) {
		fprintf(stderr, "slash-infra: %s\n", err.msg);
		return -1;
	}
	if (json && (printf("%s\n", out) < 0 || fflush(stdout) != 0)) {
		fprintf(stderr, "slash-infra: writing the message failed\n");
		rc = -1;
	}
	if (preview) {
		esc = curl_easy_escape(NULL, out, 0);
		if (esc != NULL)
			fprintf(stderr, "preview: %s#%s\n", MAIN_BLOCK_KIT_BUILDER, esc);
		else
			fprintf(stderr, "slash-infra: no preview link (out of memory)\n");
		curl_free(esc);
	}
	free(out);
	return rc;
}

/* slash-infra search [--json] [--preview] QUERY...: the same search as
 * the Slack path, the inventory first, printed as a table (or the Slack
 * JSON). text and q come from s_search_query. Exit 0 found, 1 none, 2
 * error. */
static int s_cmd_search(const struct si_config *cfg, const struct main_opts *o,
			const char *text, const struct query *q)
{
	struct s_aws aws;
	struct search_ctx *ctx = NULL;
	struct search_result res;
	struct si_err err;
	struct plan plan;
	struct idx *ix = NULL;
	int rc = 2;

	memset(&res, 0, sizeof(res));
	memset(&aws, 0, sizeof(aws));
	ctx = s_aws_new(cfg, &aws, &err) == 0 ? search_ctx_new(1, &err) : NULL;
	if (ctx == NULL) {
		fprintf(stderr, "slash-infra: %s\n", err.msg);
		goto out;
	}
	s_org_start(cfg, &aws, 0);
	plan_from_query(&plan, q, text);
	/* The inventory first, as the service does (index.h); without a
	 * usable store this is the plain live search. */
	{
		const struct store_settings ss = s_store_settings(cfg);

		ix = idx_new(&ss, &err);
	}
	if (idx_run(ix, aws.engine, ctx, q, &plan.spec, time(NULL), &res, &err) != 0) {
		fprintf(stderr, "slash-infra: %s\n", err.msg);
		goto out;
	}
	if (o->json || o->preview) {
		if (s_search_json(cfg, &res, o->json, o->preview) != 0)
			goto out;
	}
	if (!o->json && render_text(&res, stdout, &err) != 0) {
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
	idx_free(ix);
	search_ctx_free(ctx);
	s_aws_free(&aws);
	return rc;
}

/* One info line: what happened, our pid, a count (key) and the accounts. */
static void s_log_event(const char *what, const char *key, long n, size_t accounts)
{
	struct logfmt l;

	logfmt_begin(&l, "info");
	logfmt_str(&l, "msg", what);
	logfmt_int(&l, "pid", (long long)getpid());
	logfmt_int(&l, key, n);
	logfmt_int(&l, "accounts", (long long)accounts);
	logfmt_emit(&l, stderr);
}

/* A number from the environment (the systemd unit's Environment=), or def
 * when unset; an invalid value is an error (-1), as a bad option is. */
static long s_env_number(const char *name, long min, long max, long def)
{
	const char *v = getenv(name);
	long n;

	if (v == NULL || v[0] == '\0')
		return def;
	n = s_number(v, min, max);
	if (n < 0)
		fprintf(stderr, "slash-infra: %s must be %ld..%ld\n", name, min, max);
	return n;
}

/* Open the FastCGI socket ourselves (--listen): HOST:PORT (":PORT" for
 * every address) or a path. A stale socket file at the path is replaced.
 * Returns the listening fd or -1 with a message printed. */
/* --listen-group's gid into *gid; NULL group leaves it (-1: keep). */
static int s_socket_group(const char *group, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096];

	if (group == NULL)
		return 0;
	if (getgrnam_r(group, &gr, buf, sizeof(buf), &res) != 0 || res == NULL) {
		fprintf(stderr, "slash-infra: --listen-group: no group %s\n", group);
		return -1;
	}
	*gid = gr.gr_gid;
	return 0;
}

/* --listen: bind and listen on ADDR ourselves (HOST:PORT, or a Unix socket
 * path, 0660 and given to group when set), for running without spawn-fcgi
 * or systemd. A stale socket file from an earlier run is replaced; any
 * other file at the path is an error, never deleted. -1 after saying why
 * on stderr. */
static int s_open_listener(const char *addr, const char *group)
{
	const char *colon = strrchr(addr, ':');
	int fd = -1;

	if (addr[0] != '/' && colon != NULL) {
		if (group != NULL) {
			fputs("slash-infra: --listen-group goes with a Unix socket path\n", stderr);
			return -1;
		}
		struct addrinfo hints = {.ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM};
		struct addrinfo *ai = NULL;
		char host[256];
		int one = 1;

		if ((size_t)(colon - addr) >= sizeof(host) ||
		    snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr) < 0 ||
		    getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai) != 0) {
			fprintf(stderr, "slash-infra: cannot resolve %s\n", addr);
			return -1;
		}
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
				bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)) {
			close(fd);
			fd = -1;
		}
		freeaddrinfo(ai);
	} else {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		struct stat st;
		gid_t gid = (gid_t)-1;
		mode_t old_mask;

		if (strlen(addr) >= sizeof(sun.sun_path)) {
			fprintf(stderr, "slash-infra: socket path too long: %s\n", addr);
			return -1;
		}
		memcpy(sun.sun_path, addr, strlen(addr) + 1);
		if (s_socket_group(group, &gid) != 0)
			return -1;
		if (lstat(addr, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(addr);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		/* 0660 from the start (the process is still single-threaded, so
		 * the umask switch touches nobody else): never a moment when
		 * any local user may connect. */
		old_mask = umask(0117);
		if (fd >= 0 && bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
			close(fd);
			fd = -1;
		}
		umask(old_mask);
		if (fd >= 0 && group != NULL && chown(addr, (uid_t)-1, gid) != 0) {
			fprintf(stderr, "slash-infra: cannot give %s to group %s (errno %d)\n",
				addr, group, errno);
			close(fd);
			return -1;
		}
	}
	if (fd < 0 || listen(fd, MAIN_LISTEN_BACKLOG) != 0) {
		fprintf(stderr, "slash-infra: cannot listen on %s (errno %d)\n", addr, errno);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The inherited socket (spawn-fcgi, systemd) must be a listening one: a
 * worker started by hand on a terminal would otherwise fail obscurely. */
static int s_is_listener(int fd)
{
	int on = 0;
	socklen_t len = sizeof(on);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on;
}

/* What the supervisor keeps and each forked worker starts from. */
struct s_server {
	struct main_opts *opts;
	const char *config_path;
	struct si_config cfg;       /* current; replaced on SIGHUP */
	int listen_fd;
	int workers;
	int stop_budget_ms;
	int read_timeout_ms;
};

/* SIGHUP in the supervisor: the new configuration replaces the old only
 * when it loads; workers forked afterwards get it. */
static int s_reload(void *arg)
{
	struct s_server *srv = arg;
	struct si_config cfg;
	struct si_err err;

	memset(&cfg, 0, sizeof(cfg));
	if (si_config_load(&cfg, srv->config_path, environ, &err) != 0) {
		fprintf(stderr, "slash-infra: reload: configuration: %s\n", err.msg);
		si_config_free(&cfg);
		return -1;
	}
	si_config_free(&srv->cfg);
	srv->cfg = cfg;
	return 0;
}

/* The one hand-off point for searches not answered within the stop
 * budget: the pool has handed each back to the journal (h->journal says
 * how it went), so a live worker, or the next one, finishes it. One line
 * each (without the response_url, a bearer capability) so an operator
 * sees what moved. */
static void s_handoff(const struct search_handoff *h, void *arg)
{
	struct logfmt l;
	int journaled = strcmp(h->journal, "handed back") == 0;

	(void)arg;
	logfmt_begin(&l, journaled ? "warn" : "error");
	logfmt_str(&l, "msg", "search unanswered at stop, handed off");
	logfmt_str(&l, "journal", h->journal);
	logfmt_str(&l, "team_id", h->who->team_id ? h->who->team_id : "");
	logfmt_str(&l, "user_id", h->who->user_id ? h->who->user_id : "");
	logfmt_str(&l, "channel_id", h->who->channel_id ? h->who->channel_id : "");
	logfmt_str(&l, "started", h->started ? "true" : "false");
	logfmt_str(&l, "deferred", h->deferred ? "true" : "false");
	logfmt_str(&l, "notice_posted", h->notice_posted ? "true" : "false");
	logfmt_int(&l, "age_ms", si_mono_ms() - h->submitted_ms);
	logfmt_emit(&l, stderr);
}

/* The [state] settings of cfg, as the store wants them. */
static struct store_settings s_store_settings(const struct si_config *cfg)
{
	struct store_settings s = { .path = cfg->state_path, .url = cfg->state_url };

	return s;
}

/* ---- slash-infra inventory ------------------------------------------------ */

/* Rows `inventory history` and lookups print at most. */
#define MAIN_INV_ROWS INV_LOOKUP_MAX
/* A time or an age as text: "2026-12-01T11:58:03Z", "2d03h". */
#define MAIN_TIME_TEXT 32

/* The [inventory] settings of cfg, as the crawler wants them. */
static struct crawl_settings s_crawl_settings(const struct si_config *cfg)
{
	struct crawl_settings s = {
		.refresh_s = cfg->inventory_refresh_s,
		.rate_per_s = cfg->inventory_rate_per_s,
		.history_days = cfg->inventory_history_days,
		.max_inflight = cfg->max_inflight,
		.store = s_store_settings(cfg),
	};

	return s;
}

/* The configured alias of account id, or "-" (a discovered account is
 * named only where discovery ran: refresh). */
static const char *s_alias_of(const struct si_config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->n_accounts; i++) {
		char acct[INV_ACCOUNT_LEN + 1], part[CRAWL_PARTITION_MAX];

		if (crawl_role_account(cfg->accounts[i].role_arn, acct, part) == 0 &&
		    strcmp(acct, id) == 0)
			return cfg->accounts[i].alias;
	}
	return "-";
}

/* t as 2026-12-01T11:58:03Z (gmtime_r: no shared state), or "?". */
static void s_utc(time_t t, char out[MAIN_TIME_TEXT])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, MAIN_TIME_TEXT, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, MAIN_TIME_TEXT, "?");
}

/* An age: "42s", "4m12s", "3h05m", "2d03h". */
static void s_age(long long s, char out[MAIN_TIME_TEXT])
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(out, MAIN_TIME_TEXT, "%llds", s);
	else if (s < 3600)
		snprintf(out, MAIN_TIME_TEXT, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, MAIN_TIME_TEXT, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(out, MAIN_TIME_TEXT, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

static struct store *s_inv_store(const struct si_config *cfg)
{
	struct store_settings ss = s_store_settings(cfg);
	struct si_err err;
	struct store *st = store_open(&ss, &err);

	if (st == NULL)
		fprintf(stderr, "slash-infra: inventory: state store: %s\n", err.msg);
	return st;
}

/* account:ALIAS and region:REGION words into f (pointing into argv). */
static int s_inv_filter(const char *cmd, int argc, char **argv, const char **accts,
			const char **regions, struct crawl_filter *f)
{
	static const char acc[] = "account:", reg[] = "region:";

	memset(f, 0, sizeof(*f));
	for (int i = 0; i < argc; i++) {
		if (strncasecmp(argv[i], acc, sizeof(acc) - 1) == 0 && argv[i][sizeof(acc) - 1])
			accts[f->n_accounts++] = argv[i] + sizeof(acc) - 1;
		else if (strncasecmp(argv[i], reg, sizeof(reg) - 1) == 0 &&
			 argv[i][sizeof(reg) - 1])
			regions[f->n_regions++] = argv[i] + sizeof(reg) - 1;
		else {
			fprintf(stderr, "slash-infra: inventory %s: '%s' is not "
					"account:ALIAS or region:REGION\n", cmd, argv[i]);
			return -1;
		}
	}
	f->accounts = accts;
	f->regions = regions;
	return 0;
}

/* A status row passes f: an account: word names its alias or its id, a
 * region: word its region (none of a kind: all pass). */
static int s_inv_shown(const struct si_config *cfg, const struct crawl_filter *f,
		       const struct inv_target_status *t)
{
	return (si_in_list_ci(t->account, f->accounts, f->n_accounts) ||
		si_in_list_ci(s_alias_of(cfg, t->account), f->accounts, f->n_accounts)) &&
	       si_in_list_ci(t->region, f->regions, f->n_regions);
}

/*
 * inventory status [account:A] [region:R]: one line per target shown,
 * then the totals of those. Why the totals say more than a sum: an
 * operator of 17,000 targets reads the last lines, so they name how many
 * never succeeded, the oldest complete crawl (what the index may be
 * missing at worst) and the store's size per 100,000 resources (what the
 * issue asks to plan disk by).
 */
static int s_inv_status(const struct si_config *cfg, int argc, char **argv)
{
	const char **accts = calloc((size_t)argc + 1, sizeof(*accts));
	const char **regions = calloc((size_t)argc + 1, sizeof(*regions));
	struct store *st = NULL;
	struct inv_status_list sl = { 0 };
	struct crawl_filter f;
	struct inv_size sz;
	struct si_err err;
	size_t resources = 0, failing = 0, shown = 0, never = 0;
	time_t now = time(NULL), oldest = 0;
	int rc = 2;

	if (accts == NULL || regions == NULL ||
	    s_inv_filter("status", argc, argv, accts, regions, &f) != 0 ||
	    (st = s_inv_store(cfg)) == NULL)
		goto out;
	if (inv_status(st, INV_STATUS_MAX, &sl, &err) != 0) {
		fprintf(stderr, "slash-infra: inventory: %s\n", err.msg);
		goto out;
	}
	printf("%-16s %-12s %-14s %-20s %9s %-9s %s\n", "ACCOUNT", "ID", "REGION", "SERVICE",
	       "RESOURCES", "AGE", "LAST ERROR");
	for (size_t i = 0; i < sl.n; i++) {
		const struct inv_target_status *t = &sl.items[i];
		char age[MAIN_TIME_TEXT] = "never", at[MAIN_TIME_TEXT];

		if (!s_inv_shown(cfg, &f, t))
			continue;
		shown++;
		if (t->last_ok_at != 0)
			s_age((long long)(now - t->last_ok_at), age);
		else
			never++;
		if (t->last_ok_at != 0 && (oldest == 0 || t->last_ok_at < oldest))
			oldest = t->last_ok_at;
		printf("%-16s %-12s %-14s %-20s %9zu %-9s", s_alias_of(cfg, t->account),
		       t->account, t->region, t->service, t->resources, age);
		if (t->last_error != NULL) {
			s_utc(t->last_error_at, at);
			printf(" %s (at %s)", t->last_error, at);
			failing++;
		}
		if (t->claimed_by != NULL && t->claimed_until > now) {
			s_utc(t->claimed_until, at);
			printf(" [being crawled by %s, until %s]", t->claimed_by, at);
		}
		printf("\n");
		resources += t->resources;
	}
	printf("%zu targets%s, %zu resources, %zu with an error, %zu never crawled", shown,
	       sl.truncated ? " (more not shown)" : "", resources, failing, never);
	if (oldest != 0) {
		char age[MAIN_TIME_TEXT];

		s_age((long long)(now - oldest), age);
		printf("; oldest crawl %s ago", age);
	}
	if (inv_size(st, &sz, &err) == 0) {
		printf("; database %.1f MiB, %lld history rows, name index %s",
		       (double)sz.db_bytes / (1024.0 * 1024.0), (long long)sz.history,
		       sz.name_index);
		if (sz.resources > 0)
			printf("; %.1f MiB per 100,000 resources",
			       (double)sz.db_bytes * 100000.0 / (double)sz.resources /
				       (1024.0 * 1024.0));
	}
	printf("\n");
	rc = shown > 0 ? 0 : 1;
out:
	inv_status_list_free(&sl);
	store_close(st);
	free(accts);
	free(regions);
	return rc;
}

/* crawl_report_fn of `inventory refresh`: one line per target, flushed
 * (a refresh killed half-way has printed what it wrote). */
static void s_inv_print(void *arg, const struct crawl_report *r)
{
	FILE *f = arg;

	fprintf(f, "%-16s %-12s %-14s %-20s ", r->alias, r->account, r->region, r->service);
	if (r->store_error != NULL)
		fprintf(f, "NOT STORED: %s\n", r->store_error);
	else if (r->error != NULL)
		fprintf(f, "FAILED (last data kept): %s\n", r->error);
	else if (r->rejected == 0)
		fprintf(f, "%zu resources (%zu new, %zu changed, %zu gone)\n", r->stats.items,
			r->stats.added, r->stats.changed, r->stats.gone);
	else
		fprintf(f, "%zu resources (%zu new, %zu changed, %zu gone, %zu refused)\n",
			r->stats.items, r->stats.added, r->stats.changed, r->stats.gone,
			r->rejected);
	fflush(f);
}

/* inventory refresh [account:A] [region:R]: one crawl of every selected
 * target now, whatever its age, with the service's accounts (discovery
 * included) and the [inventory] budget. */
static int s_inv_refresh(const struct si_config *cfg, int argc, char **argv)
{
	const char **accts = calloc((size_t)argc + 1, sizeof(*accts));
	const char **regions = calloc((size_t)argc + 1, sizeof(*regions));
	struct crawl_settings cs = s_crawl_settings(cfg);
	struct crawler *c = NULL;
	struct crawl_filter f;
	struct crawl_totals t;
	struct s_aws aws;
	struct si_err err;
	int rc = 2;

	memset(&aws, 0, sizeof(aws));
	if (accts == NULL || regions == NULL ||
	    s_inv_filter("refresh", argc, argv, accts, regions, &f) != 0)
		goto out;
	if (s_aws_new(cfg, &aws, &err) != 0 || (c = crawl_new(&cs, aws.engine, &err)) == NULL) {
		fprintf(stderr, "slash-infra: inventory: %s\n", err.msg);
		goto out;
	}
	s_org_start(cfg, &aws, 0);
	if (crawl_run(c, &f, 1, s_inv_print, stdout, &t, &err) != 0) {
		fprintf(stderr, "slash-infra: inventory: %s\n", err.msg);
		goto out;
	}
	if (t.targets == 0 && t.held == 0) {
		fprintf(stderr, "slash-infra: inventory: no account x region matches\n");
		goto out;
	}
	printf("%zu targets: %zu written, %zu failed (last data kept), %zu not stored; "
	       "%zu held by another crawler; "
	       "%zu resources (%zu new, %zu changed, %zu gone); %zu searches; "
	       "%zu old rows pruned; %.1f s\n", t.targets, t.written, t.failed, t.store_failed,
	       t.held, t.resources, t.added, t.changed, t.gone, t.searches, t.pruned,
	       (double)t.elapsed_ms / 1000.0);
	/* Targets another crawler is listing right now are being refreshed:
	 * not a failure of this one. */
	rc = t.written == t.targets ? 0 : t.written > 0 ? 1 : 2;
out:
	crawl_free(c);
	s_aws_free(&aws);
	free(accts);
	free(regions);
	return rc;
}

/* inventory history ADDRESS|ID: every stretch, oldest first; a time AWS
 * did not give (a crawl's) is marked "~". */
static int s_inv_history(const struct si_config *cfg, const char *text)
{
	struct store *st = s_inv_store(cfg);
	struct inv_hold_list hl = { 0 };
	struct si_err err;
	int rc = 2;

	if (st == NULL)
		return 2;
	if (inv_history(st, text, MAIN_INV_ROWS, &hl, &err) != 0) {
		fprintf(stderr, "slash-infra: inventory: %s\n", err.msg);
		goto out;
	}
	printf("history of %s: %zu stretch%s%s (~: a crawl's time; otherwise AWS's)\n", text,
	       hl.n, hl.n == 1 ? "" : "es", hl.truncated ? ", the latest shown" : "");
	for (size_t i = 0; i < hl.n; i++) {
		const struct inv_hold *h = &hl.items[i];
		char from[MAIN_TIME_TEXT], to[MAIN_TIME_TEXT] = "now";

		s_utc(h->from, from);
		if (h->to != 0)
			s_utc(h->to, to);
		printf("%s%s → %s%s  %s  %s %s%s%s%s  %s %s %s  %s\n", h->from_exact ? "" : "~",
		       from, h->to != 0 && !h->to_exact ? "~" : "", to, h->addr ? h->addr : "-",
		       h->type, h->id, h->name ? " (" : "", h->name ? h->name : "",
		       h->name ? ")" : "", s_alias_of(cfg, h->account), h->account, h->region,
		       h->end_reason ? h->end_reason : "held");
	}
	rc = hl.n > 0 ? 0 : 1;
out:
	inv_hold_list_free(&hl);
	store_close(st);
	return rc;
}

/* slash-infra inventory SUBCOMMAND ...: exit codes as `search`'s. */
static int s_cmd_inventory(const struct si_config *cfg, int argc, char **argv)
{
	if (strcmp(argv[0], "status") == 0)
		return s_inv_status(cfg, argc - 1, argv + 1);
	if (strcmp(argv[0], "refresh") == 0)
		return s_inv_refresh(cfg, argc - 1, argv + 1);
	if (strcmp(argv[0], "history") == 0 && argc == 2)
		return s_inv_history(cfg, argv[1]);
	fprintf(stderr, "slash-infra: inventory: status or refresh [account:ALIAS] "
			"[region:REGION], or history ADDRESS|ID\n");
	return 2;
}

/* In the helper process: release the dead worker's leases. */
static void s_release_owner(const struct si_config *cfg, long pid, time_t started)
{
	struct store_settings ss = s_store_settings(cfg);
	char owner[STORE_OWNER_MAX];
	struct store *st = NULL;
	struct si_err err;
	struct logfmt l;
	size_t n = 0;
	int rc = -1;

	if (store_owner_for(owner, pid, started, &err) == 0 &&
	    (st = store_open(&ss, &err)) != NULL)
		rc = store_journal_release(st, owner, &n, &err);
	store_close(st);
	if (rc == 0 && n == 0)
		return;
	logfmt_begin(&l, rc == 0 ? "info" : "warn");
	logfmt_str(&l, "msg", rc == 0 ? "journal: a dead worker's searches released"
				      : "journal: cannot release a dead worker's searches "
					"(their leases run out instead)");
	logfmt_int(&l, "worker_pid", pid);
	logfmt_int(&l, "released", (long long)n);
	if (rc != 0)
		logfmt_str(&l, "error", err.msg);
	logfmt_emit(&l, stderr);
}

/* supervise_opts.died: a worker ended, so its unanswered searches can be
 * taken by the others now rather than when their leases run out. Why a
 * detached grandchild does it: the supervisor forks workers, and a
 * database connection must never cross a fork; nor may the supervisor
 * wait on a database (it restarts workers within a second). The
 * intermediate child exits at once (the supervisor's loop reaps it like
 * any ended child), so the supervisor's children stay its workers; the
 * grandchild's store calls are bounded (busy and connect timeouts). */
static void s_died(void *arg, long pid, time_t started)
{
	struct s_server *srv = arg;
	pid_t h;

	fflush(stderr);
	h = fork();
	if (h != 0)
		return;   /* the supervisor, or no fork: the leases run out */
	if (fork() != 0)
		_exit(0);
	s_release_owner(&srv->cfg, pid, started);
	fflush(stderr);
	_exit(0);
}

/* Raise the soft RLIMIT_NOFILE toward MAIN_NOFILE_WANT (never above the
 * hard limit): a fan-out over hundreds of targets holds hundreds of
 * connections per search, far past the usual 1024. Best effort. */
static void s_raise_nofile(void)
{
	struct rlimit rl;
	rlim_t want = MAIN_NOFILE_WANT;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= want)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		want = rl.rlim_max;
	rl.rlim_cur = want;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

/* Connections one worker may hold: what RLIMIT_NOFILE leaves after the
 * descriptors the rest of the process needs (a floor of MAIN_CONNS_MIN:
 * the door's reserve and back-off handle the rest). */
static size_t s_conns_max(const struct si_config *cfg)
{
	struct rlimit rl;
	long long room;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return MAIN_CONNS_MAX;
	room = (long long)rl.rlim_cur - MAIN_FD_HEADROOM -
	       (long long)cfg->search_workers * MAIN_FD_PER_SEARCH_THREAD;
	if (room < MAIN_CONNS_MIN)
		return MAIN_CONNS_MIN;
	return room > MAIN_CONNS_MAX ? MAIN_CONNS_MAX : (size_t)room;
}

/* Join t by the monotonic deadline; 0 joined, -1 still running. */
static int s_join_by(pthread_t t, long long deadline_ms)
{
	long long left = deadline_ms - si_mono_ms();
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	if (left < 0)
		left = 0;
	until.tv_sec += left / 1000;
	until.tv_nsec += (left % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(t, NULL, &until) == 0 ? 0 : -1;
}

/* Everything one worker process runs, started in order and stopped in
 * reverse. */
struct s_worker {
	struct s_aws aws;
	struct journal *journal;
	struct search_pool *pool;
	struct app *app;
	struct door *door;
	pthread_t door_thread;
	int door_started;
	pthread_t *threads;
	struct worker_shared *shared;
	long n_threads, started;
	struct crawler *crawler;    /* the inventory crawler: slot 0 only */
	int crawler_late;           /* still in a search when the stop ended */
};

static void *s_door_main(void *arg)
{
	door_run(arg);
	return NULL;
}

/*
 * The inventory crawler (inventory.h), in the worker of slot 0 only. Why
 * slot 0 and not a lease in the store: the supervisor gives slot 0 to
 * exactly one live worker per host, restarts it within a second when it
 * dies, and needs no database to decide; the store has no lease but the
 * journal's, which belongs to searches. Two crawlers at once (a reload's
 * overlap, a second host sharing PostgreSQL) cost duplicate listings,
 * never wrong data: each target is one transaction, and a cycle skips
 * targets crawled within refresh_s, whoever crawled them. A crawler that
 * cannot start is logged; the worker serves without it.
 */
static void s_crawler_start(const struct si_config *cfg, struct s_worker *w, int slot)
{
	struct crawl_settings cs = s_crawl_settings(cfg);
	struct si_err err;
	struct logfmt l;

	if (slot != 0 || !cfg->inventory_enabled)
		return;
	w->crawler = crawl_new(&cs, w->aws.engine, &err);
	if (w->crawler != NULL && crawl_start(w->crawler, &err) != 0) {
		crawl_free(w->crawler);
		w->crawler = NULL;
	}
	logfmt_begin(&l, w->crawler != NULL ? "info" : "error");
	logfmt_str(&l, "msg", w->crawler != NULL ? "inventory crawler started"
						 : "inventory crawler not started");
	logfmt_int(&l, "pid", (long long)getpid());
	logfmt_int(&l, "refresh_s", cfg->inventory_refresh_s);
	logfmt_int(&l, "rate_per_s", cfg->inventory_rate_per_s);
	if (w->crawler == NULL)
		logfmt_str(&l, "error", err.msg);
	logfmt_emit(&l, stderr);
}

/* Build the worker's state; returns 0 or -1 (logged). The state store is
 * opened here, in the worker, after the fork (one connection per
 * process); a store that cannot be opened leaves the worker answering
 * live, degraded (journal.h). */
static int s_worker_start(struct s_server *srv, struct s_worker *w, int slot, time_t started)
{
	const struct si_config *cfg = &srv->cfg;
	struct store_settings ss = s_store_settings(cfg);
	struct door_opts dopts = {0};
	struct si_err err;
	size_t conns;
	long keep_env;

	/* Counters: this worker's slot, and the configured accounts (a
	 * reload's new ones too) get their failure series. */
	metrics_set_slot(slot);
	for (size_t i = 0; i < cfg->n_accounts; i++)
		(void)metrics_add_account(cfg->accounts[i].alias);
	if (s_aws_new(cfg, &w->aws, &err) != 0)
		goto fail;
	s_org_start(cfg, &w->aws, 1);
	w->journal = journal_new(&ss, started, &err);
	if (w->journal == NULL)
		goto fail;
	w->pool = search_pool_new(w->aws.engine, cfg->search_workers, cfg->queue_size, &err);
	if (w->pool == NULL || search_pool_set_journal(w->pool, w->journal, &err) != 0)
		goto fail;
	w->app = app_new(cfg, w->pool, &err);
	if (w->app == NULL)
		goto fail;
	app_set_journal(w->app, w->journal);
	conns = s_conns_max(cfg);
	dopts.listen_fd = srv->listen_fd;
	dopts.max_body = cfg->max_body;
	dopts.read_timeout_ms = srv->read_timeout_ms;
	dopts.write_timeout_ms = MAIN_WRITE_TIMEOUT_MS;
	/* Kept FastCGI connections (door.h): 0 (unset or invalid) is the
	 * door's default; tests shorten the idle time and lower the cap. */
	keep_env = s_env_number("SLASH_INFRA_FCGI_IDLE_MS", 100, 3600000, 0);
	dopts.idle_timeout_ms = keep_env > 0 ? (int)keep_env : 0;
	keep_env = s_env_number("SLASH_INFRA_FCGI_KEEP_MAX", 1, MAIN_CONNS_MAX, 0);
	dopts.keep_max = keep_env > 0 ? (size_t)keep_env : 0;
	dopts.conns_max = conns;
	dopts.queue_max = conns < MAIN_QUEUE_MAX ? conns : MAIN_QUEUE_MAX;
	dopts.busy = worker_busy;
	dopts.busy_arg = w->app;
	w->door = door_new(&dopts, &err);
	if (w->door == NULL)
		goto fail;
	w->n_threads = srv->opts->threads > 0 ? srv->opts->threads : cfg->threads;
	w->threads = calloc((size_t)w->n_threads, sizeof(*w->threads));
	w->shared = calloc((size_t)w->n_threads, sizeof(*w->shared));
	if (w->threads == NULL || w->shared == NULL) {
		si_err_set(&err, SI_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (long i = 0; i < w->n_threads; i++) {
		w->shared[i].app = w->app;
		w->shared[i].door = w->door;
		w->shared[i].index = (int)i;
		if (pthread_create(&w->threads[i], NULL, worker_run, &w->shared[i]) != 0) {
			si_err_set(&err, SI_ERR_INTERNAL, "cannot start request thread %ld", i);
			goto fail;
		}
		w->started++;
	}
	if (pthread_create(&w->door_thread, NULL, s_door_main, w->door) != 0) {
		si_err_set(&err, SI_ERR_INTERNAL, "cannot start the door thread");
		goto fail;
	}
	w->door_started = 1;
	s_crawler_start(cfg, w, slot);
	return 0;
fail:
	fprintf(stderr, "slash-infra: %s\n", err.msg);
	return -1;
}

/* Stop within the budget: the door takes the listen backlog and finishes
 * reading; the request threads answer what is queued (inline waits are
 * bounded by the inline budget); the pool gets what is left of the
 * budget for deferred searches, then hands the rest off. Returns the
 * number of searches handed off, or -1 when a request thread did not
 * finish in time (the caller must then _exit too). */
static long s_worker_stop(struct s_worker *w, long long deadline_ms)
{
	int late = 0;
	size_t handed;

	/* First, so it stops between searches while the rest stops. */
	crawl_stop(w->crawler);
	if (w->door != NULL)
		door_stop(w->door);
	if (w->door_started && s_join_by(w->door_thread, deadline_ms) != 0)
		late = 1;
	for (long i = 0; i < w->started; i++)
		if (s_join_by(w->threads[i], deadline_ms) != 0)
			late = 1;
	handed = search_pool_drain(w->pool, deadline_ms, s_handoff, NULL);
	/* The crawler is not waited for beyond what the rest took: a search
	 * it is in cannot be cut short, and nothing of it is written until
	 * it ends (the caller then ends the process, which loses nothing
	 * committed). */
	if (crawl_join(w->crawler, si_mono_ms() + MAIN_CRAWLER_JOIN_MS) != 0)
		w->crawler_late = 1;
	if (late)
		return -1;
	return (long)handed;
}

static void s_worker_free(struct s_worker *w)
{
	crawl_free(w->crawler);
	door_free(w->door);
	free(w->threads);
	free(w->shared);
	app_free(w->app);
	search_pool_free(w->pool);
	s_aws_free(&w->aws);
	journal_free(w->journal);
}

/* Why a worker is its own process with all its state: a crash here (a
 * bug, a library assertion on hostile input) ends this worker only; the
 * supervisor starts another and the others keep serving. Assumes it was
 * just forked from the single-threaded supervisor (signal mask empty). A
 * stop that would outlast the budget ends the process with _exit, after
 * the hand-off: threads may still be running, so nothing is freed. */
static int s_worker_main(void *arg, int slot, time_t started)
{
	struct s_server *srv = arg;
	struct s_worker w;
	sigset_t stopset;
	long long deadline;
	long handed;
	int sig = 0;

	memset(&w, 0, sizeof(w));
	/* Stop signals go to sigwait() below only; SIGHUP belongs to the
	 * supervisor (a worker that gets one keeps serving). */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGTERM);
	sigaddset(&stopset, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stopset, NULL);
	if (s_worker_start(srv, &w, slot, started) != 0) {
		if (w.started > 0 || w.door_started) {
			fflush(stderr);
			_exit(2);
		}
		s_worker_free(&w);
		return 2;
	}
	s_log_event("worker ready", "threads", w.n_threads, srv->cfg.n_accounts);
	sigwait(&stopset, &sig);
	deadline = si_mono_ms() + srv->stop_budget_ms;
	s_log_event("worker stopping", "threads", w.n_threads, srv->cfg.n_accounts);
	handed = s_worker_stop(&w, deadline);
	if (handed != 0) {
		struct logfmt l;

		logfmt_begin(&l, "warn");
		logfmt_str(&l, "msg", "worker stopped at its stop budget");
		logfmt_int(&l, "handed_off", handed < 0 ? 0 : handed);
		logfmt_str(&l, "request_threads_done", handed < 0 ? "false" : "true");
		logfmt_emit(&l, stderr);
		fflush(stderr);
		_exit(0);
	}
	if (w.crawler_late) {
		struct logfmt l;

		logfmt_begin(&l, "info");
		logfmt_str(&l, "msg", "inventory crawl interrupted at stop: its current "
				      "search is not written (the next crawl redoes it)");
		logfmt_emit(&l, stderr);
		fflush(stderr);
		_exit(0);
	}
	s_worker_free(&w);
	s_log_event("worker stopped", "handed_off", 0, srv->cfg.n_accounts);
	return 0;
}

/* The server: settings from options and environment, the socket, then
 * the supervisor. Returns the exit status. */
static int s_serve(struct main_opts *opts, struct s_server *srv)
{
	struct supervise_opts so = {0};
	long workers, budget;

	workers = opts->workers > 0 ? opts->workers
				    : s_env_number("SLASH_INFRA_WORKERS", 1, MAIN_WORKERS_MAX,
						   MAIN_WORKERS_DEFAULT);
	budget = opts->stop_budget_ms > 0
		       ? opts->stop_budget_ms
		       : s_env_number("SLASH_INFRA_STOP_BUDGET_MS", 100, MAIN_STOP_BUDGET_MAX_MS,
				      MAIN_STOP_BUDGET_DEFAULT_MS);
	if (workers < 0 || budget < 0)
		return 2;
	srv->workers = (int)workers;
	srv->stop_budget_ms = (int)budget;
	srv->read_timeout_ms = opts->read_timeout_ms > 0 ? (int)opts->read_timeout_ms
							  : MAIN_READ_TIMEOUT_DEFAULT_MS;
	srv->listen_fd = 0;
	s_raise_nofile();
	if (opts->listen_group != NULL && opts->listen == NULL) {
		fputs("slash-infra: --listen-group goes with --listen PATH\n", stderr);
		return 2;
	}
	if (opts->listen != NULL) {
		srv->listen_fd = s_open_listener(opts->listen, opts->listen_group);
		if (srv->listen_fd < 0)
			return 2;
	} else if (!s_is_listener(0)) {
		fprintf(stderr, "slash-infra: fd 0 is not a listening socket: start under "
				"spawn-fcgi or systemd, or pass --listen\n");
		return 2;
	}
	/* Every worker polls the shared socket and accepts without blocking;
	 * O_NONBLOCK is on the open file, so set it once here. */
	(void)fcntl(srv->listen_fd, F_SETFL, fcntl(srv->listen_fd, F_GETFL) | O_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	/* Before the fork: every worker counts into one region, so any one
	 * answers /metrics for the service. Without it each counts alone. */
	{
		struct si_err merr;

		if (metrics_share(&merr) != 0)
			fprintf(stderr, "slash-infra: %s: /metrics shows one worker each\n",
				merr.msg);
	}
	s_log_event("started", "workers", srv->workers, srv->cfg.n_accounts);
	so.workers = srv->workers;
	so.stop_budget_ms = srv->stop_budget_ms;
	so.child = s_worker_main;
	so.reload = s_reload;
	so.died = s_died;
	so.arg = srv;
	return supervise_run(&so);
}

/* Why main does little: the subcommands run here and exit; the server
 * path loads the configuration once (so a broken one fails at start, not
 * in every worker) and hands over to the supervisor, which starts no
 * threads of its own. Setup failures exit 2, a clean stop exits 0. */
int main(int argc, char **argv)
{
	struct main_opts opts = {0};
	char qtext[QUERY_MAX_TEXT_LEN + 1];
	struct query q;
	struct s_server srv;
	struct si_err err;
	int rc = 2, r;

	memset(&srv, 0, sizeof(srv));
	/* glibc gives busy threads their own malloc arenas (up to 8 per core);
	 * with dozens of request and search threads the arenas fragment and
	 * RSS creeps (seen in the soak test). Four arenas keep contention low
	 * and memory flat. */
	mallopt(M_ARENA_MAX, 4);
	r = s_parse_args(argc, argv, &opts);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (opts.list_actions)
		return s_list_actions(stdout);
	if (opts.search) {
		r = s_search_query(opts.qargc, opts.qargv, qtext, sizeof(qtext), &q);
		if (r != 0)
			return r > 0 ? 0 : 2;
	}
	srv.opts = &opts;
	srv.config_path = si_config_path(opts.config, environ);
	/* The subcommands never verify a Slack request: no signing secret
	 * needed. The server (and --check-config, which checks it) does. */
	if (si_config_load_for(&srv.cfg, srv.config_path, environ,
			       opts.search || opts.inventory ? SI_CONFIG_CLI : SI_CONFIG_SERVE,
			       &err) != 0) {
		fprintf(stderr, "slash-infra: configuration: %s\n", err.msg);
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "slash-infra: curl_global_init failed\n");
		goto out;
	}
	/* libxml2 must be initialised once before threads use it. */
	xmlInitParser();
	if (opts.check_config)
		rc = s_check_config(&srv.cfg);
	else if (opts.search)
		rc = s_cmd_search(&srv.cfg, &opts, qtext, &q);
	else if (opts.inventory)
		rc = s_cmd_inventory(&srv.cfg, opts.iargc, opts.iargv);
	else
		rc = s_serve(&opts, &srv);
out:
	si_config_free(&srv.cfg);
	return rc;
}
