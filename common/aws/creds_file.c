/*
 * aws_creds_file.c - the shared credentials file (~/.aws/credentials),
 * parsed with inih.
 *
 * Debian's inih reads lines into a 200-byte buffer, but a session token in
 * this file is routinely 1-2 KiB. Rather than change inih's process-wide
 * settings (global, shared with config.c), the file is read into memory and
 * fed to ini_parse_stream() by our own reader: a line too long for inih's
 * buffer is handed over as "key = <US>offset:length", and the handler looks
 * the real value up in the file buffer. Control characters are refused in
 * the file, so the US (0x1f) marker cannot be forged by its content.
 */
#include "aws/creds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "aws/private/creds.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/strutil.h"

/* Real credentials files hold a handful of profiles (~2 KiB each with a
 * token); 1 MiB is generous and keeps a wrong path (a log, a device) from
 * being slurped. */
#define S_MAX_FILE_BYTES ((size_t)1024 * 1024)
/* PATH_MAX-sized: longer names are not real files. */
#define S_MAX_PATH 4096
/* AWS CLI profile names are short identifiers; 128 refuses junk. */
#define S_MAX_PROFILE 128
/* The marker that stands for a long value. */
#define S_LONG_MARK '\x1f'
/* Room the marker needs in inih's line: mark, two size_t numbers, ':',
 * newline, NUL. */
#define S_MARK_ROOM 48

struct s_profile {
	char *path;      /* NULL when neither the variable nor HOME is set */
	char *profile;
};

/* State of one parse: reader position and the values found. */
struct s_parse {
	const char *text;
	size_t len;
	size_t pos;
	int too_long_line;   /* line number of an unrepresentable line, 0 none */
	int lineno;
	const char *profile;
	int seen_section;
	char *akid, *secret, *token;   /* owned; wiped on free */
	int oom;
};

/* inih's reader: one physical line per call, long values swapped for a
 * marker (see the top of the file). */
static char *s_read_line(char *str, int num, void *stream)
{
	struct s_parse *ps = stream;
	const char *line, *nl, *eq;
	size_t n, cap, key_len;
	int k;

	if (ps->pos >= ps->len || num < 2 || ps->too_long_line)
		return NULL;
	line = ps->text + ps->pos;
	nl = memchr(line, '\n', ps->len - ps->pos);
	n = nl != NULL ? (size_t)(nl - line) + 1 : ps->len - ps->pos;
	ps->pos += n;
	ps->lineno++;
	cap = (size_t)num - 1;
	if (n <= cap) {
		memcpy(str, line, n);
		str[n] = '\0';
		return str;
	}
	eq = memchr(line, '=', n);
	key_len = eq != NULL ? (size_t)(eq - line) + 1 : n;
	if (eq == NULL || key_len + S_MARK_ROOM > cap) {
		ps->too_long_line = ps->lineno;
		return NULL;
	}
	memcpy(str, line, key_len);
	k = snprintf(str + key_len, cap + 1 - key_len, " %c%zu:%zu\n", S_LONG_MARK,
		     (size_t)(eq + 1 - ps->text), (size_t)(line + n - (eq + 1)));
	if (k < 0 || (size_t)k > cap - key_len) {
		ps->too_long_line = ps->lineno;
		return NULL;
	}
	return str;
}

/* Resolve a value: itself, or the long value a marker stands for, trimmed
 * as inih trims (leading/trailing space, inline " ;" comment). */
static char *s_value_dup(struct s_parse *ps, const char *value)
{
	const char *v = value, *end;
	size_t off, len;
	char *stop = NULL, *p;

	if (value[0] == S_LONG_MARK) {
		errno = 0;
		off = strtoull(value + 1, &stop, 10);
		if (errno != 0 || stop == value + 1 || *stop != ':')
			return NULL;
		p = stop + 1;
		len = strtoull(p, &stop, 10);
		if (errno != 0 || stop == p || *stop != '\0' || off > ps->len ||
		    len > ps->len - off)
			return NULL;
		v = ps->text + off;
		end = v + len;
		while (v < end && si_ascii_space((unsigned char)*v))
			v++;
		for (const char *q = v + 1; q < end; q++)
			if (*q == ';' && si_ascii_space((unsigned char)q[-1])) {
				end = q;
				break;
			}
		while (end > v && si_ascii_space((unsigned char)end[-1]))
			end--;
		return strndup(v, (size_t)(end - v));
	}
	return strdup(v);
}

static int s_on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct s_parse *ps = user;
	char **slot = NULL;
	char *v;

	if (strcmp(section, ps->profile) != 0)
		return 1;
	ps->seen_section = 1;
	/* Keys are case-insensitive in the SDKs (configparser lowercases). */
	if (strcasecmp(name, "aws_access_key_id") == 0)
		slot = &ps->akid;
	else if (strcasecmp(name, "aws_secret_access_key") == 0)
		slot = &ps->secret;
	else if (strcasecmp(name, "aws_session_token") == 0)
		slot = &ps->token;
	if (slot == NULL)
		return 1;
	v = s_value_dup(ps, value);
	if (v == NULL) {
		ps->oom = 1;
		return 0;
	}
	si_secret_free(*slot);
	*slot = v;
	return 1;
}

/* Read the whole file into b (capped), refusing control characters. Why
 * refuse them: the line reader marks over-long values with a US (0x1f)
 * byte (see the top of this file), so the file itself must not contain
 * one. Only regular files are read: a FIFO or device could block or never
 * end. The loop is bounded by the cap even if the file grows while read,
 * and chunk is wiped because it held keys and tokens. */
static int s_slurp(const char *path, struct si_buf *b, struct si_err *err)
{
	char chunk[4096];
	char ebuf[SI_STRERROR_MAX];
	struct stat st;
	ssize_t r;
	int fd, rc = -1;

	fd = si_open_regular(path, &st);
	if (fd == SI_OPEN_NOT_REGULAR)
		return si_err_set(err, SI_ERR_IO, "%s: not a regular file", path);
	if (fd < 0)
		return si_err_set(err, errno == ENOENT ? SI_ERR_NOTFOUND : SI_ERR_IO,
				  "%s: %s", path, si_strerror(errno, ebuf, sizeof(ebuf)));
	for (int guard = 0; guard < (int)(S_MAX_FILE_BYTES / sizeof(chunk)) + 2; guard++) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			si_err_set(err, SI_ERR_IO, "%s: %s", path,
				   si_strerror(errno, ebuf, sizeof(ebuf)));
			goto out;
		}
		if (r == 0) {
			rc = 0;
			break;
		}
		for (ssize_t i = 0; i < r; i++) {
			unsigned char c = (unsigned char)chunk[i];

			if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) {
				si_err_set(err, SI_ERR_INVALID, "%s: control character in file",
					   path);
				goto out;
			}
		}
		if (si_buf_append(b, chunk, (size_t)r, err) != 0) {
			if (err != NULL && err->code == SI_ERR_LIMIT)
				si_err_set(err, SI_ERR_LIMIT, "%s: larger than %zu bytes", path,
					   S_MAX_FILE_BYTES);
			goto out;
		}
	}
	if (rc != 0)
		si_err_set(err, SI_ERR_LIMIT, "%s: larger than %zu bytes", path, S_MAX_FILE_BYTES);
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	close(fd);
	return rc;
}

static void s_parse_free(struct s_parse *ps)
{
	char **slots[3] = {&ps->akid, &ps->secret, &ps->token};

	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		si_secret_free(*slots[i]);
		*slots[i] = NULL;
	}
}

/* The shared-file provider's get: read the whole file (bounded, regular
 * files only), parse it with inih through s_read_line and pick the profile.
 * Re-reads on every call because the chain's cache sits in front of it; a
 * missing file, HOME or profile is NOTFOUND so the chain moves on. */
static int s_profile_get(void *impl, time_t now, struct aws_creds *out, struct si_err *err)
{
	struct s_profile *pr = impl;
	struct s_parse ps;
	struct si_buf b;
	int prc, rc = -1;

	(void)now;
	memset(&ps, 0, sizeof(ps));
	si_buf_init(&b, S_MAX_FILE_BYTES);
	if (pr->path == NULL)
		return si_err_set(err, SI_ERR_NOTFOUND,
				  "neither AWS_SHARED_CREDENTIALS_FILE nor HOME set");
	if (s_slurp(pr->path, &b, err) != 0)
		goto out;
	ps.text = b.data != NULL ? b.data : "";
	ps.len = b.len;
	ps.profile = pr->profile;
	prc = ini_parse_stream(s_read_line, &ps, s_on_entry, &ps);
	if (ps.oom) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (ps.too_long_line) {
		si_err_set(err, SI_ERR_LIMIT, "%s:%d: line too long", pr->path, ps.too_long_line);
		goto out;
	}
	if (prc != 0) {
		/* inih: >0 is the first bad line, -2 OOM. Line numbers, never
		 * content: the bad line may hold a secret. */
		si_err_set(err, prc == -2 ? SI_ERR_NOMEM : SI_ERR_INVALID,
			   "%s:%d: syntax error", pr->path, prc);
		goto out;
	}
	if (!ps.seen_section) {
		si_err_set(err, SI_ERR_NOTFOUND, "%s: no profile [%s]", pr->path, pr->profile);
		goto out;
	}
	if (ps.akid == NULL || ps.akid[0] == '\0' || ps.secret == NULL || ps.secret[0] == '\0') {
		si_err_set(err, SI_ERR_INVALID, "%s: profile [%s] lacks %s", pr->path, pr->profile,
			   ps.akid == NULL || ps.akid[0] == '\0' ? "aws_access_key_id"
								 : "aws_secret_access_key");
		goto out;
	}
	rc = aws_creds_set(out, ps.akid, ps.secret, ps.token, 0, "profile", err);
out:
	s_parse_free(&ps);
	si_buf_free(&b, 1);
	return rc;
}

static void s_profile_destroy(void *impl)
{
	struct s_profile *pr = impl;

	if (pr == NULL)
		return;
	free(pr->path);
	free(pr->profile);
	free(pr);
}

static const struct aws_creds_provider_vtable s_profile_vt = {s_profile_get, s_profile_destroy};

/* The file's path from envp, or NULL (not an error: the provider then just
 * has nothing). Sets *bad on a real error. */
static char *s_path(char *const *envp, int *bad, struct si_err *err)
{
	const char *f = aws_creds_env_get(envp, "AWS_SHARED_CREDENTIALS_FILE");
	const char *home = aws_creds_env_get(envp, "HOME");
	char buf[S_MAX_PATH];
	int n;

	*bad = 0;
	if (home != NULL && home[0] == '\0')
		home = NULL;
	if (f != NULL && f[0] != '\0') {
		if (!SI_HAS_PREFIX(f, "~/"))
			n = snprintf(buf, sizeof(buf), "%s", f);
		else if (home == NULL)
			return NULL;
		else
			n = snprintf(buf, sizeof(buf), "%s%s", home, f + 1);
	} else if (home != NULL) {
		n = snprintf(buf, sizeof(buf), "%s/.aws/credentials", home);
	} else {
		return NULL;
	}
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		*bad = 1;
		si_err_set(err, SI_ERR_LIMIT, "shared credentials file path too long");
		return NULL;
	}
	char *p = strdup(buf);
	if (p == NULL) {
		*bad = 1;
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	return p;
}

struct aws_creds_provider *aws_creds_provider_profile_new(char *const *envp, struct si_err *err)
{
	const char *profile = aws_creds_env_get(envp, "AWS_PROFILE");
	struct s_profile *pr;
	int bad;

	if (profile == NULL || profile[0] == '\0')
		profile = "default";
	if (strlen(profile) > S_MAX_PROFILE) {
		si_err_set(err, SI_ERR_LIMIT, "AWS_PROFILE longer than %d characters",
			   S_MAX_PROFILE);
		return NULL;
	}
	pr = si_zalloc(sizeof(*pr), err);
	if (pr == NULL)
		return NULL;
	pr->path = s_path(envp, &bad, err);
	pr->profile = strdup(profile);
	if (bad || pr->profile == NULL) {
		if (!bad)
			si_err_set(err, SI_ERR_NOMEM, "out of memory");
		s_profile_destroy(pr);
		return NULL;
	}
	return aws_creds_provider_new(&s_profile_vt, pr, err);
}
