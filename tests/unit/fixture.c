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
#include <unistd.h>

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

struct fixture_env *fixture_env_new(void)
{
	struct fixture_env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	return e;
}

struct fixture_env *fixture_env_profiles(const char *dir)
{
	struct fixture_env *e = fixture_env_new();

	fixture_env_add(e, "HOME=/nonexistent-test-home");
	fixture_env_add(e, "PATH=/usr/bin:/bin");
	fixture_env_add(e, "AWS_CONFIG_FILE=%s/config", dir);
	fixture_env_add(e, "AWS_SHARED_CREDENTIALS_FILE=%s/credentials", dir);
	fixture_env_add(e, "AWS_EC2_METADATA_DISABLED=true");
	return e;
}

void fixture_env_add(struct fixture_env *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	assert_true(e->n < FIXTURE_ENV_MAX);
	va_start(ap, fmt);
	n = vsnprintf(e->store[e->n], sizeof(e->store[0]), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(e->store[0]));
	e->v[e->n] = e->store[e->n];
	e->n++;
	e->v[e->n] = NULL;
}

void fixture_write_file(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;
	int k;

	k = snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_true(k > 0 && (size_t)k < sizeof(path));
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

void fixture_log_begin(struct fixture_log *c)
{
	fflush(stderr);
	c->f = tmpfile();
	assert_non_null(c->f);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_true(dup2(fileno(c->f), STDERR_FILENO) >= 0);
}

char *fixture_log_end(struct fixture_log *c)
{
	long n;
	char *text;

	fflush(stderr);
	assert_true(dup2(c->saved, STDERR_FILENO) >= 0);
	close(c->saved);
	n = ftell(c->f);
	assert_true(n >= 0);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	rewind(c->f);
	assert_int_equal(fread(text, 1, (size_t)n, c->f), (size_t)n);
	fclose(c->f);
	fputs(text, stderr);     /* still in the test's own output */
	return text;
}
