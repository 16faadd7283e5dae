#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "standin_proc.h"

/* Python starts in ~100-300 ms; 10 s bounds a loaded CI box. */
#define STANDIN_WAIT_STEPS 400
#define STANDIN_WAIT_STEP_MS 25

void standin_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int standin_proc_run(struct standin_proc *s, char *const argv[], const char *port_file,
		     int quiet)
{
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		/* The port goes to the port file; keep the test output clean. */
		if (quiet && (freopen("/dev/null", "w", stdout) == NULL ||
			      freopen("/dev/null", "w", stderr) == NULL))
			_exit(127);
		execvp("python3", argv);
		_exit(127);
	}
	for (int i = 0; i < STANDIN_WAIT_STEPS; i++) {
		FILE *f;
		int st;

		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			s->pid = 0;
			return -1;
		}
		f = fopen(port_file, "r");
		if (f != NULL) {
			int ok = fscanf(f, "%d", &s->port) == 1;

			fclose(f);
			if (ok && s->port > 0)
				return 0;
		}
		standin_sleep_ms(STANDIN_WAIT_STEP_MS);
	}
	return -1;
}

int standin_proc_start(struct standin_proc *s, const char *script_name)
{
	const char *src = getenv("SI_SRCDIR");
	char script[1100], pf[128];
	char *argv[] = { "python3", script, "--port", "0", "--port-file", pf, NULL };

	if (src == NULL || src[0] == '\0')
		src = ".";
	snprintf(s->dir, sizeof(s->dir), "/tmp/si_standin.XXXXXX");
	if (mkdtemp(s->dir) == NULL) {
		s->dir[0] = '\0';
		return -1;
	}
	snprintf(script, sizeof(script), "%s/tests/standin/%s", src, script_name);
	snprintf(pf, sizeof(pf), "%s/port", s->dir);
	return standin_proc_run(s, argv, pf, 1);
}

void standin_proc_stop(struct standin_proc *s)
{
	char p[128];
	int st;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		(void)waitpid(s->pid, &st, 0);
		s->pid = 0;
	}
	if (s->dir[0]) {
		snprintf(p, sizeof(p), "%s/port", s->dir);
		(void)unlink(p);
		(void)rmdir(s->dir);
		s->dir[0] = '\0';
	}
}

static size_t s_collect(char *p, size_t sz, size_t nm, void *ud)
{
	struct standin_body *b = ud;
	size_t n = sz * nm;

	if (b == NULL)
		return n;
	if (b->len + n >= sizeof(b->data))
		return 0;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

long standin_http(const struct standin_proc *s, const char *path, const char *body,
		  struct standin_body *out)
{
	char url[256];
	long status = 0;
	CURL *c = curl_easy_init();

	assert_non_null(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (out != NULL)
		out->len = 0;
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

struct json_object *standin_messages(const struct standin_proc *recv, const char *path)
{
	struct standin_body *b = calloc(1, sizeof(*b));
	struct json_object *root;
	char q[256];

	assert_non_null(b);
	snprintf(q, sizeof(q), "/_messages?path=%s", path);
	assert_int_equal(standin_http(recv, q, NULL, b), 200);
	root = json_tokener_parse(b->data);
	assert_non_null(root);
	free(b);
	return root;
}

int standin_count(struct json_object *root, const char *group, const char *key)
{
	struct json_object *g, *v;

	if (json_object_object_get_ex(root, group, &g) && json_object_object_get_ex(g, key, &v))
		return json_object_get_int(v);
	return 0;
}
