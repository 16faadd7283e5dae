/*
 * fuzz_audit.c - audit_line() on arbitrary Slack fields and queries.
 *
 * The input is split at NUL bytes into team_id, enterprise_id, user_id,
 * user_name, channel_id, channel_name and query (missing ones are NULL).
 * Besides memory safety, checks that the line is never cut by logfmt, holds
 * no raw control byte, parses back as key=value pairs with each key once,
 * and that every string decodes to its input or to a cut prefix of it
 * ending in "...".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "util/strutil.h"

#define S_N_FIELDS 7

static const char *const s_keys[S_N_FIELDS] = {
	"team_id", "enterprise_id", "user_id", "user_name",
	"channel_id", "channel_name", "query",
};
static const size_t s_caps[S_N_FIELDS] = {
	AUDIT_ID_MAX, AUDIT_ID_MAX, AUDIT_ID_MAX, AUDIT_NAME_MAX,
	AUDIT_ID_MAX, AUDIT_NAME_MAX, AUDIT_QUERY_MAX,
};

static int s_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode the value starting at s[*i] into out; advance *i past it. */
static size_t s_value(const char *s, size_t len, size_t *i, char *out)
{
	size_t n = 0;

	if (*i >= len || s[*i] != '"') {
		while (*i < len && s[*i] != ' ') {
			if (s[*i] == '"' || s[*i] == '=')
				abort();
			out[n++] = s[(*i)++];
		}
		return n;
	}
	for ((*i)++;; (*i)++) {
		if (*i >= len)
			abort();      /* unterminated quote: the line was cut */
		if (s[*i] == '"')
			break;
		if (s[*i] != '\\') {
			out[n++] = s[*i];
			continue;
		}
		if (*i + 1 < len && (s[*i + 1] == '"' || s[*i + 1] == '\\')) {
			out[n++] = s[++(*i)];
		} else if (*i + 3 < len && s[*i + 1] == 'x' && s_hex(s[*i + 2]) >= 0 &&
			   s_hex(s[*i + 3]) >= 0) {
			out[n++] = (char)(s_hex(s[*i + 2]) << 4 | s_hex(s[*i + 3]));
			*i += 3;
		} else {
			abort();
		}
	}
	(*i)++;
	return n;
}

static void s_check_field(const char *key, const char *val, size_t n,
			  const char *const *in, int *seen)
{
	for (size_t k = 0; k < S_N_FIELDS; k++) {
		size_t in_len;

		if (strcmp(key, s_keys[k]) != 0)
			continue;
		if (seen[k]++ || in[k] == NULL)
			abort();
		in_len = strlen(in[k]);
		if (n == in_len && memcmp(val, in[k], n) == 0 && n <= s_caps[k])
			return;
		/* Cut: a prefix of the input, at most cap bytes, plus "...". */
		if (n < 3 || memcmp(val + n - 3, "...", SI_LITLEN("...")) != 0 ||
		    n - 3 > s_caps[k] || n - 3 > in_len || memcmp(val, in[k], n - 3) != 0)
			abort();
		return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	const char *in[S_N_FIELDS] = { NULL };
	struct audit_record r;
	struct logfmt l;
	static char val[LOGFMT_LINE_MAX];
	int seen[S_N_FIELDS] = { 0 };
	size_t i = 0, f = 0;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (size_t p = 0; f < S_N_FIELDS && p <= size; f++) {
		in[f] = copy + p;
		p += strlen(copy + p) + 1;
	}
	memset(&r, 0, sizeof(r));
	r.team_id = in[0];
	r.enterprise_id = in[1];
	r.user_id = in[2];
	r.user_name = in[3];
	r.channel_id = in[4];
	r.channel_name = in[5];
	r.query = in[6];
	r.targets = size;
	r.duration_ms = -(long long)size;
	if (audit_line(&l, &r) != 0 || l.len + 5 >= LOGFMT_LINE_MAX)
		abort();
	for (size_t k = 0; k < l.len; k++)
		if ((unsigned char)l.buf[k] < 0x20 || l.buf[k] == 0x7f)
			abort();
	while (i < l.len) {
		char key[32];
		size_t k = 0, n;

		while (i < l.len && l.buf[i] != '=') {
			if (k + 1 >= sizeof(key) || l.buf[i] == ' ' || l.buf[i] == '"')
				abort();
			key[k++] = l.buf[i++];
		}
		key[k] = '\0';
		i++;
		n = s_value(l.buf, l.len, &i, val);
		s_check_field(key, val, n, in, seen);
		if (i < l.len && l.buf[i++] != ' ')
			abort();
	}
	free(copy);
	return 0;
}
