/*
 * fixture.h - test helper: read reference files (the shared data under
 * $SI_TESTDATA, our own inputs) and botocore's expected parses (JSON).
 * Shared by the AWS parser tests so the loading rules live once. Every
 * function fails the running cmocka test instead of returning an error,
 * except fixture_try_load, for files that may be absent.
 */
#ifndef SI_TEST_FIXTURE_H
#define SI_TEST_FIXTURE_H

#include <stddef.h>

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

#endif
