/*
 * strutil.h - the small string helpers every layer uses: prefix tests with
 * the length taken from the literal, hex, and bounded number parsing.
 *
 * One copy of each, so that the rules (what counts as a digit, how big a
 * number may be, what a hex digit is) cannot drift between modules. Nothing
 * here allocates except si_strndup() and si_strdup_opt().
 */
#ifndef SI_UTIL_STRUTIL_H
#define SI_UTIL_STRUTIL_H

#include <stddef.h>
#include <string.h>

/* Length of a string literal, counted by the compiler: never write 27 for
 * "AWS_STS_REGIONAL_ENDPOINTS=". */
#define SI_LITLEN(lit) (sizeof(lit) - 1)

/* True when s starts with the string literal lit (case-sensitive). */
#define SI_HAS_PREFIX(s, lit) (strncmp((s), (lit), SI_LITLEN(lit)) == 0)

/* True when s starts with the string literal lit, ASCII case ignored. */
#define SI_HAS_PREFIX_CI(s, lit) (strncasecmp((s), (lit), SI_LITLEN(lit)) == 0)

/* s past the literal prefix lit, or NULL when s does not start with it. */
#define SI_AFTER_PREFIX(s, lit) (SI_HAS_PREFIX((s), (lit)) ? (s) + SI_LITLEN(lit) : NULL)

/* Runtime form of SI_HAS_PREFIX for prefixes that are not literals. */
int si_str_has_prefix(const char *s, const char *prefix);

/* The value 0..15 of one hex digit (either case), or -1. */
int si_hexval(int c);

/* The same for lower-case hex only (0-9, a-f), or -1: for formats with one
 * canonical spelling, such as Slack's "v0=" signatures. */
int si_hexval_lower(int c);

/* Write the 2*n lower-case hex digits of in[0..n) and a NUL to out, which
 * holds at least 2*n+1 bytes. */
void si_hex_encode(const unsigned char *in, size_t n, char *out);

/* Parse exactly n ASCII digits at s (no sign, no space) into *out; n is at
 * most 9 so the value fits an int. Returns 0, or -1 when a byte is not a
 * digit. */
int si_parse_digits(const char *s, size_t n, int *out);

/* Parse the whole NUL-terminated s as a decimal integer in [lo, hi] with
 * strtol's grammar minus leading space (an optional '-' only when lo < 0).
 * Returns 0 and sets *out, or -1 (nothing written) on an empty string,
 * trailing bytes, overflow or a value out of range. */
int si_parse_long(const char *s, long lo, long hi, long *out);

/* ASCII-only lower-casing in place (locale-free, unlike tolower). */
void si_ascii_lower(char *s);

/* True for ' ', '\t', '\n', '\v', '\f', '\r' (locale-free isspace). */
int si_ascii_space(int c);

/* Environment entries anyone looks at. getenv() has no limit, but an envp
 * of a million entries is a bug, not a configuration; the bound keeps every
 * loop over envp finite even if envp lacks its NULL. */
#define SI_ENV_MAX 65536

/* The value of NAME in envp ("NAME=value" strings, NULL-terminated), first
 * match as getenv finds it, or NULL. envp may be NULL. The value points
 * into envp. */
const char *si_env_get(char *const *envp, const char *name);

/* Wipe the NUL-terminated secret s (OPENSSL_cleanse, which the compiler
 * cannot drop as a dead store) and free it. NULL is safe. */
void si_secret_free(char *s);

/* malloc'd copy of the first n bytes of s (stopping early at a NUL) with a
 * NUL added, or NULL on OOM; the caller frees it. s may be NULL: NULL. */
char *si_strndup(const char *s, size_t n);

/* malloc'd copy of an optional string: NULL for NULL, else a copy (or NULL
 * on OOM); the caller frees it. A caller that must tell OOM from an absent
 * value tests "s != NULL && copy == NULL". */
char *si_strdup_opt(const char *s);

/* strcmp with NULL ordered as "": for sorts over optional fields. */
int si_strcmp0(const char *a, const char *b);

/* 1 when list[0..n) is empty (no restriction) or holds s, compared ASCII
 * case-insensitively (account aliases, regions); NULL entries never
 * match. */
int si_in_list_ci(const char *s, const char *const *list, size_t n);

#endif
