/*
 * fixture.c - test helper: see fixture.h.
 */
#include "fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

int fixture_try_load(const char *path, struct fixture_blob *b)
{
	FILE *f = fopen(path, "rb");
	long n;

	b->data = NULL;
	b->len = 0;
	if (f == NULL)
		return -1;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	b->len = (size_t)n;
	b->data = malloc(b->len + 1);
	assert_non_null(b->data);
	assert_int_equal(fread(b->data, 1, b->len, f), b->len);
	b->data[b->len] = '\0';
	fclose(f);
	return 0;
}

struct fixture_blob fixture_load(const char *path)
{
	struct fixture_blob b;

	if (fixture_try_load(path, &b) != 0)
		fail_msg("cannot open %s", path);
	return b;
}

struct fixture_blob fixture_load_in(const char *dir, const char *name)
{
	char path[1024];
	int k;

	assert_non_null(dir);
	k = snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_true(k > 0 && (size_t)k < sizeof(path));
	return fixture_load(path);
}

void fixture_path(char *out, size_t cap, const char *sub, const char *name)
{
	const char *root = getenv("SI_TESTDATA");
	int k;

	if (root == NULL)
		fail_msg("SI_TESTDATA is not set");
	k = snprintf(out, cap, "%s/%s%s%s", root, sub, name ? "/" : "", name ? name : "");
	assert_true(k > 0 && (size_t)k < cap);
}

struct fixture_blob fixture_shared(const char *sub, const char *name)
{
	char path[1024];

	fixture_path(path, sizeof(path), sub, name);
	return fixture_load(path);
}

struct json_object *fixture_json(const struct fixture_blob *b, const char *what)
{
	struct json_object *j = json_tokener_parse(b->data);

	if (j == NULL)
		fail_msg("cannot parse %s", what);
	return j;
}

struct json_object *fixture_get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}
