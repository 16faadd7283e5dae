/*
 * creds_process.c - credential_process: run the command a profile names
 * and read the credentials it prints (botocore's ProcessProvider).
 *
 * No shell runs: botocore splits the line with shlex.split and hands the
 * words to subprocess.Popen, so does this file (aws_creds_argv_split, the
 * same POSIX rules), then posix_spawnp. The child gets the provider's copy
 * of the environment, /dev/null as stdin (a FastCGI worker's stdin is its
 * socket), default signal dispositions and an empty signal mask (the
 * worker's threads block SIGTERM), and its own process group, so a timeout
 * kills what it started too. Its stdout is the secret: capped, wiped,
 * never quoted in an error; its stderr's first line explains a failure.
 */
#include "aws/creds.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "aws/json.h"
#include "aws/private/creds.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/strutil.h"

/* stderr kept for the error message: its first line is all we show, and a
 * line longer than 1 KiB is not an explanation. */
#define S_STDERR_KEEP 1024
/* The part of that line that goes into an error (SI_ERR_MSG_MAX is 512,
 * and the command's name comes first). */
#define S_ERR_LINE 160
/* The document is flat: {"Version": 1, ...} is 2 deep; a little room. */
#define S_JSON_DEPTH 4
/* How often a child that closed its pipes is polled for its exit. */
#define S_REAP_STEP_MS 5

/* ---- the command line ---------------------------------------------------- */

static int s_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Why by hand: botocore's shlex.split (POSIX mode) is the contract an
 * operator's profile was written against, and no C library offers it
 * without a shell (wordexp would expand variables and run `...`). One
 * allocation holds the pointer array and the words; every input byte
 * yields at most one output byte, plus one NUL per word, so 2 * len + 1
 * bytes always suffice. */
int aws_creds_argv_split(const char *cmd, char ***argv, size_t *argc, struct si_err *err)
{
	size_t len, i = 0, nw = 0;
	char **av;
	char *w;
	int in_word = 0;

	*argv = NULL;
	*argc = 0;
	if (cmd == NULL)
		return si_err_set(err, SI_ERR_INVALID, "credential_process: empty command");
	len = strnlen(cmd, AWS_CREDS_PROCESS_MAX_LINE + 1);
	if (len > AWS_CREDS_PROCESS_MAX_LINE)
		return si_err_set(err, SI_ERR_LIMIT, "credential_process longer than %d bytes",
				  AWS_CREDS_PROCESS_MAX_LINE);
	av = calloc(1, (AWS_CREDS_PROCESS_MAX_ARGS + 1) * sizeof(*av) + 2 * len + 1);
	if (av == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	w = (char *)(av + AWS_CREDS_PROCESS_MAX_ARGS + 1);
	while (i < len) {
		char c = cmd[i];

		if (s_blank(c)) {
			if (in_word)
				*w++ = '\0';
			in_word = 0;
			i++;
			continue;
		}
		if (!in_word) {
			if (nw == AWS_CREDS_PROCESS_MAX_ARGS) {
				free(av);
				return si_err_set(err, SI_ERR_LIMIT,
						  "credential_process has more than %d words",
						  AWS_CREDS_PROCESS_MAX_ARGS);
			}
			av[nw++] = w;
			in_word = 1;
		}
		if (c == '\'' || c == '"') {
			for (i++; i < len && cmd[i] != c; i++) {
				/* In "...", a backslash escapes only " and itself. */
				if (c == '"' && cmd[i] == '\\' && i + 1 < len &&
				    (cmd[i + 1] == '"' || cmd[i + 1] == '\\'))
					i++;
				*w++ = cmd[i];
			}
			if (i == len) {
				free(av);
				return si_err_set(err, SI_ERR_INVALID,
						  "credential_process: unterminated quote");
			}
			i++;
		} else if (c == '\\') {
			if (i + 1 >= len) {
				free(av);
				return si_err_set(err, SI_ERR_INVALID,
						  "credential_process: trailing backslash");
			}
			*w++ = cmd[i + 1];
			i += 2;
		} else {
			*w++ = c;
			i++;
		}
	}
	if (in_word)
		*w = '\0';
	if (nw == 0) {
		free(av);
		return si_err_set(err, SI_ERR_INVALID, "credential_process: empty command");
	}
	*argv = av;
	*argc = nw;
	return 0;
}

/* ---- running it ----------------------------------------------------------- */

/* Read the child's stdout into ob (capped by ob's max: over it is an error)
 * and the first S_STDERR_KEEP bytes of its stderr into eb (the rest is
 * read and dropped, so the child never blocks on a full pipe), until both
 * end or deadline (si_mono_ms) passes. */
static int s_collect(int ofd, int efd, struct si_buf *ob, struct si_buf *eb, long long deadline,
		     struct si_err *err)
{
	struct pollfd pf[2] = {{ofd, POLLIN, 0}, {efd, POLLIN, 0}};
	char chunk[4096];
	char ebuf[SI_STRERROR_MAX];
	int rc = -1;

	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		long long left = deadline - si_mono_ms();
		int k;

		if (left <= 0) {
			si_err_set(err, SI_ERR_TIMEOUT, "timed out");
			goto out;
		}
		k = poll(pf, 2, left > INT_MAX ? INT_MAX : (int)left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			si_err_set(err, SI_ERR_IO, "poll: %s",
				   si_strerror(errno, ebuf, sizeof(ebuf)));
			goto out;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t r;

			if (pf[i].fd < 0 || pf[i].revents == 0)
				continue;
			r = read(pf[i].fd, chunk, sizeof(chunk));
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				pf[i].fd = -1;   /* poll skips it; the caller closes */
				continue;
			}
			if (i == 0 && si_buf_append(ob, chunk, (size_t)r, NULL) != 0) {
				si_err_set(err, SI_ERR_LIMIT, "output larger than %zu bytes",
					   ob->max);
				goto out;
			}
			if (i == 1 && eb->len < eb->max &&
			    si_buf_append(eb, chunk,
					  (size_t)r < eb->max - eb->len ? (size_t)r
									: eb->max - eb->len,
					  NULL) != 0) {
				si_err_set(err, SI_ERR_NOMEM, "out of memory");
				goto out;
			}
		}
	}
	rc = 0;
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	return rc;
}

/* Wait for pid until deadline; after the pipes closed it normally exits at
 * once. 0 and *status, or -1 (still running, or its status was lost). */
static int s_reap(pid_t pid, long long deadline, int *status)
{
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);

		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -1;
		if (si_mono_ms() >= deadline)
			return -1;
		if (w == 0)
			si_sleep_ms(S_REAP_STEP_MS);
	}
}

/* Kill the child's whole group and collect it. */
static void s_kill(pid_t pid)
{
	int st;

	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

/* The first line of what the child said on stderr, printable ASCII only,
 * cut at S_ERR_LINE bytes: enough to explain ("token expired, run
 * login"), too little to carry a document. */
static void s_first_line(const struct si_buf *eb, char *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < eb->len && n + 1 < cap && n < S_ERR_LINE; i++) {
		unsigned char c = (unsigned char)eb->data[i];

		if (c == '\n' || c == '\r')
			break;
		out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[n] = '\0';
}

/* The spawn attributes: own process group, empty mask, default
 * dispositions for what the worker blocks or ignores. */
static int s_spawn_attr(posix_spawnattr_t *at)
{
	static const int sigs[] = {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1,
				   SIGUSR2};
	sigset_t none, def;

	sigemptyset(&none);
	sigemptyset(&def);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&def, sigs[i]);
	if (posix_spawnattr_setsigmask(at, &none) != 0 ||
	    posix_spawnattr_setsigdefault(at, &def) != 0 || posix_spawnattr_setpgroup(at, 0) != 0)
		return -1;
	return posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						    POSIX_SPAWN_SETSIGDEF);
}

/* stdin /dev/null, stdout and stderr the pipes' write ends, and (glibc
 * 2.34+) nothing else of ours: the pipes' read ends are close-on-exec, and
 * so is every descriptor this program opens, but a library's may not be. */
static int s_spawn_files(posix_spawn_file_actions_t *fa, int out_w, int err_w)
{
	if (posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_adddup2(fa, out_w, 1) != 0 ||
	    posix_spawn_file_actions_adddup2(fa, err_w, 2) != 0)
		return -1;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	if (posix_spawn_file_actions_addclosefrom_np(fa, 3) != 0)
		return -1;
#endif
	return 0;
}

/* {"Version": 1, "AccessKeyId", "SecretAccessKey"[, "SessionToken"]
 * [, "Expiration"]} -> *out; the secrets in json-c's tree are wiped. */
static int s_parse(const struct si_buf *ob, struct aws_creds *out, struct si_err *err)
{
	static const struct si_json_opts opts = {"credential_process output", 0, S_JSON_DEPTH,
						 SI_JSON_STRICT | SI_JSON_UTF8};
	struct json_object *o, *v;
	const char *akid, *secret, *token, *exp_s;
	size_t alen = 0, slen = 0, tlen = 0;
	time_t exp = 0;
	int rc = -1;

	o = si_json_read(ob->data, ob->len, &opts, err);
	if (o == NULL)
		return -1;
	if (!json_object_object_get_ex(o, "Version", &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) != 1) {
		si_err_set(err, SI_ERR_INVALID, "credential_process output: Version must be 1");
		goto out;
	}
	akid = aws_json_str(o, "AccessKeyId", &alen);
	secret = aws_json_str(o, "SecretAccessKey", &slen);
	token = aws_json_str(o, "SessionToken", &tlen);
	exp_s = aws_json_str(o, "Expiration", NULL);
	if (akid == NULL || secret == NULL || alen != strlen(akid) || slen != strlen(secret) ||
	    (token != NULL && tlen != strlen(token))) {
		si_err_set(err, SI_ERR_INVALID,
			   "credential_process output: AccessKeyId or SecretAccessKey missing");
		goto out;
	}
	if (exp_s != NULL && aws_creds_parse_time(exp_s, &exp, err) != 0) {
		si_err_set(err, SI_ERR_INVALID, "credential_process output: bad Expiration");
		goto out;
	}
	rc = aws_creds_set(out, akid, secret, token, exp, "process", err);
out:
	aws_creds_json_wipe(o, "SecretAccessKey");
	aws_creds_json_wipe(o, "SessionToken");
	json_object_put(o);
	return rc;
}

/* Why a deadline over the whole run (not per read): a helper that prints
 * slowly or never exits must not hold a search thread longer than the
 * timeout. The order is spawn, collect until both pipes close, reap;
 * any failure after the spawn kills the process group before returning.
 * Assumes envp is the environment the child should see. */
int aws_creds_process_run(const char *cmd, char *const *envp, long timeout_ms, size_t max_out,
			  struct aws_creds *out, struct si_err *err)
{
	char *no_env[] = {NULL};
	char **argv = NULL;
	size_t argc = 0;
	int outp[2] = {-1, -1}, errp[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int fa_ok = 0, at_ok = 0, status = 0, e, rc = -1;
	pid_t pid = -1;
	struct si_buf ob, eb;
	struct si_err sub;
	char line[S_ERR_LINE + 1], ebuf[SI_STRERROR_MAX];
	long long deadline;

	aws_creds_clear(out);
	si_buf_init(&ob, max_out ? max_out : AWS_CREDS_PROCESS_MAX_OUTPUT);
	si_buf_init(&eb, S_STDERR_KEEP);
	if (timeout_ms <= 0)
		timeout_ms = AWS_CREDS_PROCESS_TIMEOUT_MS;
	if (aws_creds_argv_split(cmd, &argv, &argc, err) != 0)
		return -1;
	if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		si_err_set(err, SI_ERR_IO, "credential_process: pipe: %s",
			   si_strerror(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	fa_ok = posix_spawn_file_actions_init(&fa) == 0;
	at_ok = posix_spawnattr_init(&at) == 0;
	if (!fa_ok || !at_ok || s_spawn_files(&fa, outp[1], errp[1]) != 0 ||
	    s_spawn_attr(&at) != 0) {
		si_err_set(err, SI_ERR_INTERNAL, "credential_process: spawn setup failed");
		goto out;
	}
	deadline = si_mono_ms() + timeout_ms;
	e = posix_spawnp(&pid, argv[0], &fa, &at, argv, envp != NULL ? envp : no_env);
	if (e != 0) {
		pid = -1;
		si_err_set(err, SI_ERR_IO, "credential_process %.64s: %s", argv[0],
			   si_strerror(e, ebuf, sizeof(ebuf)));
		goto out;
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	si_err_clear(&sub);
	if (s_collect(outp[0], errp[0], &ob, &eb, deadline, &sub) != 0 ||
	    s_reap(pid, deadline, &status) != 0) {
		s_kill(pid);
		pid = -1;
		if (sub.code == SI_OK)
			si_err_set(&sub, SI_ERR_TIMEOUT, "timed out");
		si_err_set(err, sub.code, "credential_process %.64s: %s%s", argv[0], sub.msg,
			   sub.code == SI_ERR_TIMEOUT ? " (killed)" : "");
		goto out;
	}
	pid = -1;
	s_first_line(&eb, line, sizeof(line));
	if (WIFSIGNALED(status)) {
		si_err_set(err, SI_ERR_REMOTE, "credential_process %.64s: killed by signal %d%s%s",
			   argv[0], WTERMSIG(status), line[0] ? ": " : "", line);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		si_err_set(err, SI_ERR_REMOTE, "credential_process %.64s: exit status %d%s%s",
			   argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			   line[0] ? ": " : "", line);
		goto out;
	}
	rc = s_parse(&ob, out, err);
out:
	if (pid > 0)
		s_kill(pid);
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	if (at_ok)
		posix_spawnattr_destroy(&at);
	si_buf_free(&ob, 1);
	si_buf_free(&eb, 1);
	free(argv);
	return rc;
}

/* ---- the provider ---------------------------------------------------------- */

struct s_process {
	char **envp;                 /* owned copy: the child's environment */
	struct aws_profile_src src;
	long timeout_ms;
	size_t max_out;
};

/* Read the profile files (every get: the cache sits in front) and run the
 * profile's credential_process, if it has one. */
static int s_process_get(void *impl, time_t now, struct aws_creds *out, struct si_err *err)
{
	struct s_process *pr = impl;
	struct aws_profiles ps = {0};
	const char *cmd;
	int rc = -1;

	(void)now;
	if (aws_profiles_load(&pr->src, &ps, err) != 0)
		goto out;
	cmd = aws_profile_get(aws_profiles_find(&ps, pr->src.profile), AWS_PK_CREDENTIAL_PROCESS);
	if (cmd == NULL) {
		si_err_set(err, SI_ERR_NOTFOUND, "profile %s: no credential_process",
			   pr->src.profile);
		goto out;
	}
	rc = aws_creds_process_run(cmd, pr->envp, pr->timeout_ms, pr->max_out, out, err);
out:
	aws_profiles_free(&ps);
	return rc;
}

static void s_process_destroy(void *impl)
{
	struct s_process *pr = impl;

	if (pr == NULL)
		return;
	aws_creds_envp_free(pr->envp);
	aws_profile_src_clear(&pr->src);
	free(pr);
}

static const struct aws_creds_provider_vtable s_process_vt = {s_process_get, s_process_destroy};

struct aws_creds_provider *aws_creds_provider_process_new_opts(char *const *envp,
							       long timeout_ms, size_t max_out,
							       struct si_err *err)
{
	struct s_process *pr = si_zalloc(sizeof(*pr), err);

	if (pr == NULL)
		return NULL;
	pr->timeout_ms = timeout_ms > 0 ? timeout_ms : AWS_CREDS_PROCESS_TIMEOUT_MS;
	pr->max_out = max_out > 0 ? max_out : AWS_CREDS_PROCESS_MAX_OUTPUT;
	if (aws_profile_src_init(&pr->src, envp, err) != 0 ||
	    (pr->envp = aws_creds_envp_dup(envp, err)) == NULL) {
		s_process_destroy(pr);
		return NULL;
	}
	return aws_creds_provider_new(&s_process_vt, pr, err);
}

struct aws_creds_provider *aws_creds_provider_process_new(char *const *envp, struct si_err *err)
{
	return aws_creds_provider_process_new_opts(envp, 0, 0, err);
}
