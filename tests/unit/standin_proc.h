/*
 * standin_proc.h - test helper: run one of the Python stand-ins in
 * tests/standin/ as a child process on an ephemeral loopback port, talk to
 * its control API, and stop it. Shared by the cmocka tests that need a
 * live peer (search pool, response_url posting).
 */
#ifndef SI_TEST_STANDIN_PROC_H
#define SI_TEST_STANDIN_PROC_H

#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

struct standin_proc {
	pid_t pid;
	int port;
	char dir[64];          /* temp dir holding the port file */
};

/* A response body; large enough for the receiver's /_messages. */
struct standin_body {
	char data[262144];
	size_t len;
};

void standin_sleep_ms(long ms);

/* Start tests/standin/<script> (SI_SRCDIR locates the tree, default ".")
 * with --port 0 --port-file, and wait (bounded) for its port. 0 or -1;
 * standin_proc_stop() is safe either way. */
int standin_proc_start(struct standin_proc *s, const char *script);
void standin_proc_stop(struct standin_proc *s);

/* Run python3 with argv (argv[0] "python3", NULL-terminated; borrowed for
 * the call) and wait (bounded) until it writes its port to port_file.
 * quiet sends the child's stdout and stderr to /dev/null. s->dir is left
 * as the caller set it (standin_proc_stop removes dir/port and dir when it
 * is not empty). 0 or -1; standin_proc_stop() is safe either way. */
int standin_proc_run(struct standin_proc *s, char *const argv[], const char *port_file,
		     int quiet);

/* POST body (when not NULL) or GET path on the stand-in; fails the test
 * on a transport error; returns the HTTP status. out may be NULL. */
long standin_http(const struct standin_proc *s, const char *path, const char *body,
		  struct standin_body *out);

/* The receiver's GET /_messages?path=P, parsed (caller puts it). */
struct json_object *standin_messages(const struct standin_proc *recv, const char *path);

/* root.<group>.<key> as an int, 0 when absent. */
int standin_count(struct json_object *root, const char *group, const char *key);

#endif
