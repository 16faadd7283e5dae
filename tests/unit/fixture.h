/*
 * fixture.h - test helper: read reference files (the shared data under
 * $SI_TESTDATA, our own inputs) and botocore's expected parses (JSON);
 * build an envp for the credential providers (fixture_env_*), write small
 * input files, and capture stderr while a test reads what was logged
 * (fixture_log_*). Shared by the unit tests so these rules live once.
 * Every function fails the running cmocka test instead of returning an
 * error, except fixture_try_load, for files that may be absent.
 */
#ifndef SI_TEST_FIXTURE_H
#define SI_TEST_FIXTURE_H

#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

/* A whole file, NUL-terminated (len excludes the NUL); free data. */
struct fixture_blob {
	char *data;
	size_t len;
};

/* Read path into *b: 0, or -1 (b zeroed) when it cannot be opened. */
int fixture_try_load(const char *path, struct fixture_blob *b);

/* Read path, failing the test when it cannot be read. */
struct fixture_blob fixture_load(const char *path);

/* dir/name, failing the test when dir is NULL or the file unreadable. */
struct fixture_blob fixture_load_in(const char *dir, const char *name);

/* "$SI_TESTDATA/sub" (name NULL) or "$SI_TESTDATA/sub/name" into out. */
void fixture_path(char *out, size_t cap, const char *sub, const char *name);

/* $SI_TESTDATA/sub/name, read. */
struct fixture_blob fixture_shared(const char *sub, const char *name);

/* The JSON document in b (what names it in a failure); json_object_put. */
struct json_object *fixture_json(const struct fixture_blob *b, const char *what);

/* Member key of o, or NULL (o may be NULL); borrowed from o. */
struct json_object *fixture_get(struct json_object *o, const char *key);

/* An envp built from formatted strings: v is NULL-terminated and points
 * into store (owned by the struct; free the struct, nothing else). */
#define FIXTURE_ENV_MAX 24
#define FIXTURE_ENV_LEN 2048

struct fixture_env {
	char store[FIXTURE_ENV_MAX][FIXTURE_ENV_LEN];
	char *v[FIXTURE_ENV_MAX + 1];
	size_t n;
};

/* An empty envp (v[0] NULL), calloc'd: free() it. */
struct fixture_env *fixture_env_new(void);

/* The envp of a profile-file test: HOME and PATH that reach nothing of the
 * machine, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE in dir, IMDS
 * off. calloc'd: free() it. */
struct fixture_env *fixture_env_profiles(const char *dir);

/* Append one "NAME=value" entry, failing the test when full or too long. */
void fixture_env_add(struct fixture_env *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Write text to dir/name (created or truncated). */
void fixture_write_file(const char *dir, const char *name, const char *text);

/* stderr into a temporary file while a test reads the lines the code logs
 * (audit lines): fixture_log_begin redirects it, fixture_log_end restores
 * it, echoes the text to the real stderr (it stays in the test's output)
 * and returns it (malloc'd, the caller frees). */
struct fixture_log {
	int saved;
	FILE *f;
};

void fixture_log_begin(struct fixture_log *c);
char *fixture_log_end(struct fixture_log *c);

#endif
