/*
 * strutil.c - the small string helpers every layer uses (see strutil.h).
 *
 * Everything here is ASCII-only and locale-free on purpose: the inputs are
 * protocol text (HTTP headers, AWS XML, Slack forms, INI files), whose
 * grammars define digits, hex and white space as ASCII bytes, and a process
 * that called setlocale() must not parse them differently.
 */
#include "util/strutil.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

/* si_parse_digits() keeps its value in an int: 9 digits is 999,999,999,
 * below INT_MAX even for a 32-bit int. */
#define S_MAX_DIGITS 9

int si_str_has_prefix(const char *s, const char *prefix)
{
	if (s == NULL || prefix == NULL)
		return 0;
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int si_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int si_hexval_lower(int c)
{
	return c >= 'A' && c <= 'F' ? -1 : si_hexval(c);
}

void si_hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

int si_parse_digits(const char *s, size_t n, int *out)
{
	int v = 0;
	size_t i;

	if (s == NULL || n == 0 || n > S_MAX_DIGITS)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int si_parse_long(const char *s, long lo, long hi, long *out)
{
	char *end = NULL;
	long v;

	/* strtol would skip leading space and take '+' and, for a range that
	 * excludes negatives, "-0"; we accept only what a person would write
	 * for that range, so the first byte must be a digit or a wanted '-'. */
	if (s == NULL || lo > hi)
		return -1;
	if (!(s[0] >= '0' && s[0] <= '9') && !(s[0] == '-' && lo < 0))
		return -1;
	if (s[0] == '-' && !(s[1] >= '0' && s[1] <= '9'))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

void si_ascii_lower(char *s)
{
	if (s == NULL)
		return;
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

int si_ascii_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

const char *si_env_get(char *const *envp, const char *name)
{
	size_t len;

	if (envp == NULL || name == NULL)
		return NULL;
	len = strlen(name);
	for (size_t i = 0; i < SI_ENV_MAX && envp[i] != NULL; i++)
		if (strncmp(envp[i], name, len) == 0 && envp[i][len] == '=')
			return envp[i] + len + 1;
	return NULL;
}

void si_secret_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

char *si_strndup(const char *s, size_t n)
{
	char *d;
	size_t len;

	if (s == NULL)
		return NULL;
	len = strnlen(s, n);
	if (len == SIZE_MAX)
		return NULL;
	d = malloc(len + 1);
	if (d == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *si_strdup_opt(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

int si_strcmp0(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

int si_in_list_ci(const char *s, const char *const *list, size_t n)
{
	if (n == 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (list[i] != NULL && s != NULL && strcasecmp(s, list[i]) == 0)
			return 1;
	return 0;
}
