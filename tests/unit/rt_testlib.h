/*
 * rt_testlib.h - test helper for the resource-type module tests
 * (test_rt_*.c, test_registry.c): the shared AWS samples, edits of them,
 * answering a request a module planned, and looking at what it found.
 *
 * One copy of each, so the module tests check resources the same way.
 * Every function fails the running cmocka test instead of returning an
 * error where it says so (the rtt_has_* ones only answer).
 */
#ifndef SI_TEST_RT_TESTLIB_H
#define SI_TEST_RT_TESTLIB_H

#include <stddef.h>

#include <json-c/json.h>

#include "fixture.h"
#include "search/collect.h"
#include "search/registry.h"

/* $SI_TESTDATA/aws-xml/name, read (free data). */
struct fixture_blob rtt_sample(const char *name);

/* The JSON document $SI_TESTDATA/aws-xml/name (botocore's expected parse
 * of a sample); json_object_put. */
struct json_object *rtt_sample_json(const char *name);

/* A copy of s (malloc'd) with the first from replaced by to; from must
 * occur (else the test fails). */
char *rtt_subst(const char *s, const char *from, const char *to);

/* String member key of o; the test fails when it is absent. */
const char *rtt_jstr(struct json_object *o, const char *key);

/* Feed body[0..len) to t as the answer to request q (its step, parent and
 * parameters, all read before the call, so q may lie in out's own
 * requests), in region and account; the results land in out. Returns
 * what the module returned. */
int rtt_replay(const struct rt_type *t, const struct rt_collected *q,
	       const struct search_term *term, const char *region, const char *account,
	       const char *body, size_t len, struct rt_collect *out, struct si_err *err);

/* The resource of match i, which must be a resource match. */
const struct res_resource *rtt_res_at(const struct rt_collect *c, size_t i);

/* The resource whose id is id; the test fails when there is none. */
const struct res_resource *rtt_res(const struct rt_collect *c, const char *id);

/* Fail the test (naming what and field) unless got is want; NULL is a
 * value here: both NULL pass. */
void rtt_expect(const char *what, const char *field, const char *want, const char *got);

/* Field label of r is want (NULL: r has no such field). */
void rtt_field_is(const struct res_resource *r, const char *label, const char *want);

/* 1 when r holds the address / DNS name, else 0. */
int rtt_has_addr(const struct res_resource *r, const char *addr);
int rtt_has_dns(const struct res_resource *r, const char *name);

/* 1 when r has a relation kind to id (with detail, unless detail is
 * NULL), else 0. */
int rtt_has_rel(const struct res_resource *r, const char *kind, const char *id,
		const char *detail);

/* The first relation kind to id of r; the test fails when there is none. */
const struct res_rel *rtt_rel(const struct res_resource *r, const char *kind, const char *id);

#endif
