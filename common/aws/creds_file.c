/*
 * creds_file.c - the profile files (~/.aws/credentials, ~/.aws/config),
 * parsed with inih, and the two providers of static keys in them: the
 * shared credentials file's and the config file's.
 *
 * Debian's inih reads lines into a 200-byte buffer, but a session token in
 * these files is routinely 1-2 KiB. Rather than change inih's process-wide
 * settings (global, shared with config.c), the file is read into memory and
 * fed to ini_parse_stream() by our own reader: a line too long for inih's
 * buffer is handed over as "key = <US>offset:length", and the handler looks
 * the real value up in the file buffer. Control characters are refused in
 * the file, so the US (0x1f) marker cannot be forged by its content.
 */
#include "aws/creds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "aws/private/creds.h"
#include "util/buf.h"
#include "util/strutil.h"

/* Real credentials files hold a handful of profiles (~2 KiB each with a
 * token); 1 MiB is generous and keeps a wrong path (a log, a device) from
 * being slurped. */
#define S_MAX_FILE_BYTES ((size_t)1024 * 1024)
/* PATH_MAX-sized: longer names are not real files. */
#define S_MAX_PATH 4096
/* The marker that stands for a long value. */
#define S_LONG_MARK '\x1f'
/* Room the marker needs in inih's line: mark, two size_t numbers, ':',
 * newline, NUL. */
#define S_MARK_ROOM 48

/* The keys of enum aws_pkey, as written in the files (case-insensitive,
 * as configparser lowercases them). */
static const char *const s_keys[AWS_PK_N] = {
	[AWS_PK_ACCESS_KEY_ID] = "aws_access_key_id",
	[AWS_PK_SECRET_ACCESS_KEY] = "aws_secret_access_key",
	[AWS_PK_SESSION_TOKEN] = "aws_session_token",
	[AWS_PK_ROLE_ARN] = "role_arn",
	[AWS_PK_SOURCE_PROFILE] = "source_profile",
	[AWS_PK_CREDENTIAL_SOURCE] = "credential_source",
	[AWS_PK_EXTERNAL_ID] = "external_id",
	[AWS_PK_ROLE_SESSION_NAME] = "role_session_name",
	[AWS_PK_WEB_IDENTITY_TOKEN_FILE] = "web_identity_token_file",
	[AWS_PK_CREDENTIAL_PROCESS] = "credential_process",
	[AWS_PK_MFA_SERIAL] = "mfa_serial",
	[AWS_PK_REGION] = "region",
};

/* State of one parse: reader position and where the values go. */
struct s_parse {
	const char *text;
	size_t len;
	size_t pos;
	int too_long_line;   /* line number of an unrepresentable line, 0 none */
	int lineno;
	int is_config;
	enum aws_pfile file;
	struct aws_profiles *ps;
	int too_many;        /* more than AWS_PROFILES_MAX profiles */
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

/* The profile a section stands for, or NULL when the section is not a
 * profile. Credentials file: "[NAME]". Config file: "[profile NAME]"
 * (any blanks between) and "[default]"; other sections there ("[sso-session
 * x]", "[services y]", a bare "[NAME]") are not profiles, as in botocore. */
static const char *s_section_profile(const char *section, int is_config)
{
	const char *p;

	if (!is_config)
		return section;
	if (strcmp(section, "default") == 0)
		return section;
	p = SI_AFTER_PREFIX(section, "profile");
	if (p == NULL || (*p != ' ' && *p != '\t'))
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p != '\0' ? p : NULL;
}

/* Find the profile called name, adding it (zeroed) when absent; NULL when
 * the name is too long (ignored: it cannot be asked for) or on the caps. */
static struct aws_profile *s_profile_slot(struct s_parse *ps, const char *name)
{
	struct aws_profiles *all = ps->ps;
	struct aws_profile *grown;

	for (size_t i = 0; i < all->n; i++)
		if (strcmp(all->p[i].name, name) == 0)
			return &all->p[i];
	if (strlen(name) > AWS_PROFILE_NAME_MAX)
		return NULL;
	if (all->n >= AWS_PROFILES_MAX) {
		ps->too_many = 1;
		return NULL;
	}
	grown = realloc(all->p, (all->n + 1) * sizeof(*all->p));
	if (grown == NULL) {
		ps->oom = 1;
		return NULL;
	}
	all->p = grown;
	memset(&all->p[all->n], 0, sizeof(all->p[0]));
	memcpy(all->p[all->n].name, name, strlen(name) + 1);
	return &all->p[all->n++];
}

/* inih's handler: every known key of every profile section goes into the
 * profile's slot for this file (a later value of a key wins, as inih
 * reports duplicates in order); unknown keys and non-profile sections are
 * skipped, as the SDKs skip them. Returning 0 stops inih (OOM, caps). */
static int s_on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct s_parse *ps = user;
	const char *pname = s_section_profile(section, ps->is_config);
	struct aws_profile *pr;
	char **slot = NULL;
	char *v;

	if (pname == NULL)
		return 1;
	pr = s_profile_slot(ps, pname);
	if (pr == NULL)
		return ps->oom || ps->too_many ? 0 : 1;
	pr->seen[ps->file] = 1;
	/* A section header alone reaches us as name == NULL with
	 * INI_CALL_HANDLER_ON_NEW_SECTION; Debian's inih does not set it. */
	if (name == NULL)
		return 1;
	/* Keys are case-insensitive in the SDKs (configparser lowercases). */
	for (size_t k = 0; k < AWS_PK_N && slot == NULL; k++)
		if (strcasecmp(name, s_keys[k]) == 0)
			slot = &pr->v[ps->file][k];
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
 * one. */
static int s_slurp(const char *path, struct si_buf *b, struct si_err *err)
{
	if (aws_creds_read_file(path, path, b, err) != 0)
		return -1;
	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
			return si_err_set(err, SI_ERR_INVALID, "%s: control character in file",
					  path);
	}
	return 0;
}

/* Why the whole file at once: inih needs a line reader, and values longer
 * than its buffer are found again in the text (see the top of the file).
 * Assumes ps holds profiles of other files already or is empty; on
 * failure it keeps what was read before the error (callers free it). */
int aws_profiles_read(struct aws_profiles *ps, const char *path, int is_config,
		      struct si_err *err)
{
	struct s_parse st;
	struct si_buf b;
	int prc, rc = -1;

	memset(&st, 0, sizeof(st));
	si_buf_init(&b, S_MAX_FILE_BYTES);
	if (s_slurp(path, &b, err) != 0)
		goto out;
	st.text = b.data != NULL ? b.data : "";
	st.len = b.len;
	st.is_config = is_config;
	st.file = is_config ? AWS_PF_CONFIG : AWS_PF_CREDENTIALS;
	st.ps = ps;
	prc = ini_parse_stream(s_read_line, &st, s_on_entry, &st);
	if (st.oom) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (st.too_many) {
		si_err_set(err, SI_ERR_LIMIT, "%s: more than %d profiles", path, AWS_PROFILES_MAX);
		goto out;
	}
	if (st.too_long_line) {
		si_err_set(err, SI_ERR_LIMIT, "%s:%d: line too long", path, st.too_long_line);
		goto out;
	}
	if (prc != 0) {
		/* inih: >0 is the first bad line, -2 OOM. Line numbers, never
		 * content: the bad line may hold a secret. */
		si_err_set(err, prc == -2 ? SI_ERR_NOMEM : SI_ERR_INVALID, "%s:%d: syntax error",
			   path, prc);
		goto out;
	}
	rc = 0;
out:
	si_buf_free(&b, 1);
	return rc;
}

int aws_profiles_load(const struct aws_profile_src *s, struct aws_profiles *ps,
		      struct si_err *err)
{
	struct si_err e;

	/* The config file first: the credentials file's values win. */
	if (s->config_path != NULL && aws_profiles_read(ps, s->config_path, 1, &e) != 0 &&
	    e.code != SI_ERR_NOTFOUND)
		return si_err_set(err, e.code, "%s", e.msg);
	if (s->creds_path != NULL && aws_profiles_read(ps, s->creds_path, 0, &e) != 0 &&
	    e.code != SI_ERR_NOTFOUND)
		return si_err_set(err, e.code, "%s", e.msg);
	return 0;
}

void aws_profiles_free(struct aws_profiles *ps)
{
	if (ps == NULL)
		return;
	for (size_t i = 0; i < ps->n; i++)
		for (int f = 0; f < AWS_PF_N; f++)
			for (int k = 0; k < AWS_PK_N; k++)
				si_secret_free(ps->p[i].v[f][k]);
	free(ps->p);
	ps->p = NULL;
	ps->n = 0;
}

const struct aws_profile *aws_profiles_find(const struct aws_profiles *ps, const char *name)
{
	for (size_t i = 0; ps != NULL && name != NULL && i < ps->n; i++)
		if (strcmp(ps->p[i].name, name) == 0)
			return &ps->p[i];
	return NULL;
}

const char *aws_profile_get(const struct aws_profile *p, enum aws_pkey k)
{
	const char *v;

	if (p == NULL || (int)k < 0 || k >= AWS_PK_N)
		return NULL;
	v = p->v[AWS_PF_CREDENTIALS][k];
	if (v != NULL && v[0] != '\0')
		return v;
	v = p->v[AWS_PF_CONFIG][k];
	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* ---- where the files are ------------------------------------------------ */

/* The path from variable var in envp ("~/" expanded with HOME), else
 * $HOME/<fallback>, else NULL (not an error: the source then just has
 * nothing). Sets *bad on a real error. */
static char *s_path(char *const *envp, const char *var, const char *fallback, int *bad,
		    struct si_err *err)
{
	const char *f = aws_creds_env_get(envp, var);
	const char *home = aws_creds_env_get(envp, "HOME");
	char buf[S_MAX_PATH];
	char *p;
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
		n = snprintf(buf, sizeof(buf), "%s/%s", home, fallback);
	} else {
		return NULL;
	}
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		*bad = 1;
		si_err_set(err, SI_ERR_LIMIT, "%s path too long", var);
		return NULL;
	}
	p = strdup(buf);
	if (p == NULL) {
		*bad = 1;
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	return p;
}

int aws_profile_src_init(struct aws_profile_src *s, char *const *envp, struct si_err *err)
{
	const char *profile = aws_creds_env_get(envp, "AWS_PROFILE");
	int bad = 0;

	memset(s, 0, sizeof(*s));
	if (profile == NULL || profile[0] == '\0')
		profile = "default";
	if (strlen(profile) > AWS_PROFILE_NAME_MAX)
		return si_err_set(err, SI_ERR_LIMIT, "AWS_PROFILE longer than %d characters",
				  AWS_PROFILE_NAME_MAX);
	memcpy(s->profile, profile, strlen(profile) + 1);
	s->creds_path = s_path(envp, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", &bad,
			       err);
	if (!bad)
		s->config_path = s_path(envp, "AWS_CONFIG_FILE", ".aws/config", &bad, err);
	if (bad) {
		aws_profile_src_clear(s);
		return -1;
	}
	return 0;
}

void aws_profile_src_clear(struct aws_profile_src *s)
{
	if (s == NULL)
		return;
	free(s->creds_path);
	free(s->config_path);
	memset(s, 0, sizeof(*s));
}

/* ---- the static-key providers ------------------------------------------ */

struct s_static {
	struct aws_profile_src src;
	enum aws_pfile file;   /* which file's keys */
};

/* Both static-key providers' get: read the file (on every call: the
 * chain's cache sits in front, and rotated files are then seen) and take
 * the profile's keys from that file only. A missing file, HOME or profile
 * is NOTFOUND so the chain moves on; a section with half a key pair is
 * INVALID. The shared credentials file keeps its older rule: a section
 * without keys is INVALID too (it exists to hold keys). */
static int s_static_get(void *impl, time_t now, struct aws_creds *out, struct si_err *err)
{
	struct s_static *st = impl;
	int cfg = st->file == AWS_PF_CONFIG;
	const char *path = cfg ? st->src.config_path : st->src.creds_path;
	struct aws_profiles ps = {0};
	const struct aws_profile *p;
	const char *akid, *secret;
	int rc = -1;

	(void)now;
	if (path == NULL)
		return si_err_set(err, SI_ERR_NOTFOUND, "neither %s nor HOME set",
				  cfg ? "AWS_CONFIG_FILE" : "AWS_SHARED_CREDENTIALS_FILE");
	if (aws_profiles_read(&ps, path, cfg, err) != 0)
		goto out;
	p = aws_profiles_find(&ps, st->src.profile);
	if (p == NULL || !p->seen[st->file]) {
		si_err_set(err, SI_ERR_NOTFOUND, "%s: no profile [%s]", path, st->src.profile);
		goto out;
	}
	akid = p->v[st->file][AWS_PK_ACCESS_KEY_ID];
	secret = p->v[st->file][AWS_PK_SECRET_ACCESS_KEY];
	if (akid != NULL && akid[0] == '\0')
		akid = NULL;
	if (secret != NULL && secret[0] == '\0')
		secret = NULL;
	if (cfg && akid == NULL && secret == NULL) {
		si_err_set(err, SI_ERR_NOTFOUND, "%s: no keys in [%s]", path, st->src.profile);
		goto out;
	}
	if (akid == NULL || secret == NULL) {
		si_err_set(err, SI_ERR_INVALID, "%s: profile [%s] lacks %s", path, st->src.profile,
			   akid == NULL ? "aws_access_key_id" : "aws_secret_access_key");
		goto out;
	}
	rc = aws_creds_set(out, akid, secret, p->v[st->file][AWS_PK_SESSION_TOKEN], 0,
			   cfg ? "config" : "profile", err);
out:
	aws_profiles_free(&ps);
	return rc;
}

static void s_static_destroy(void *impl)
{
	struct s_static *st = impl;

	if (st == NULL)
		return;
	aws_profile_src_clear(&st->src);
	free(st);
}

static const struct aws_creds_provider_vtable s_static_vt = {s_static_get, s_static_destroy};

static struct aws_creds_provider *s_static_new(char *const *envp, enum aws_pfile file,
					       struct si_err *err)
{
	struct s_static *st = si_zalloc(sizeof(*st), err);

	if (st == NULL)
		return NULL;
	st->file = file;
	if (aws_profile_src_init(&st->src, envp, err) != 0) {
		free(st);
		return NULL;
	}
	return aws_creds_provider_new(&s_static_vt, st, err);
}

struct aws_creds_provider *aws_creds_provider_profile_new(char *const *envp, struct si_err *err)
{
	return s_static_new(envp, AWS_PF_CREDENTIALS, err);
}

struct aws_creds_provider *aws_creds_provider_config_new(char *const *envp, struct si_err *err)
{
	return s_static_new(envp, AWS_PF_CONFIG, err);
}
