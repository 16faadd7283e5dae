#include "slack/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "slack/form.h"
#include "util/strutil.h"

/* Between a URL's scheme and its authority (RFC 3986 3). */
#define S_SCHEME_SEP "://"

/* The string fields, as a table so adding one Slack field is one line. */
static const struct {
	const char *name;
	size_t offset;
} s_fields[] = {
	{ "command", offsetof(struct slack_cmd, command) },
	{ "text", offsetof(struct slack_cmd, text) },
	{ "response_url", offsetof(struct slack_cmd, response_url) },
	{ "user_id", offsetof(struct slack_cmd, user_id) },
	{ "user_name", offsetof(struct slack_cmd, user_name) },
	{ "team_id", offsetof(struct slack_cmd, team_id) },
	{ "team_domain", offsetof(struct slack_cmd, team_domain) },
	{ "enterprise_id", offsetof(struct slack_cmd, enterprise_id) },
	{ "enterprise_name", offsetof(struct slack_cmd, enterprise_name) },
	{ "channel_id", offsetof(struct slack_cmd, channel_id) },
	{ "channel_name", offsetof(struct slack_cmd, channel_name) },
	{ "trigger_id", offsetof(struct slack_cmd, trigger_id) },
	{ "api_app_id", offsetof(struct slack_cmd, api_app_id) },
	{ "token", offsetof(struct slack_cmd, token) },
};

#define S_N_FIELDS (sizeof(s_fields) / sizeof(s_fields[0]))

static char **s_slot(struct slack_cmd *c, size_t i)
{
	return (char **)((char *)c + s_fields[i].offset);
}

void slack_cmd_free(struct slack_cmd *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < S_N_FIELDS; i++)
		free(*s_slot(c, i));
	memset(c, 0, sizeof(*c));
}

/* Parse a two-valued flag; the caller names it in the message. */
static int s_flag(const struct form *f, const char *key, const char *yes,
		  const char *no, bool *out, struct si_err *err)
{
	const char *v = form_get(f, key);

	*out = false;
	if (v == NULL)
		return 0;
	if (form_count_key(f, key) > 1)
		return si_err_set(err, SI_ERR_INVALID, "field %s sent more than once", key);
	if (strcmp(v, yes) == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(v, no) == 0)
		return 0;
	return si_err_set(err, SI_ERR_INVALID, "field %s is neither \"%s\" nor \"%s\"",
			  key, yes, no);
}

static int s_copy_fields(const struct form *f, struct slack_cmd *c, struct si_err *err)
{
	const char *v;
	size_t i;

	for (i = 0; i < S_N_FIELDS; i++) {
		v = form_get(f, s_fields[i].name);
		if (v == NULL)
			continue;
		if (form_count_key(f, s_fields[i].name) > 1)
			return si_err_set(err, SI_ERR_INVALID, "field %s sent more than once",
					  s_fields[i].name);
		*s_slot(c, i) = strdup(v);
		if (*s_slot(c, i) == NULL)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory copying %s",
					  s_fields[i].name);
	}
	return 0;
}

int slack_cmd_parse(const char *body, size_t len, struct slack_cmd *out,
		    struct si_err *err)
{
	struct form f = { NULL, 0 };
	struct slack_cmd c;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	if (form_parse(body, len, &f, err) != 0)
		goto out;
	if (s_copy_fields(&f, &c, err) != 0 ||
	    s_flag(&f, "is_enterprise_install", "true", "false",
		   &c.is_enterprise_install, err) != 0 ||
	    s_flag(&f, "ssl_check", "1", "0", &c.ssl_check, err) != 0)
		goto out;
	*out = c;
	memset(&c, 0, sizeof(c));
	rc = 0;
out:
	slack_cmd_free(&c);
	form_free(&f);
	return rc;
}

/* Bytes that never belong in a URL we will hand to libcurl: controls and
 * space (header/log injection, parser confusion), non-ASCII (IDN
 * look-alikes), and '\' (WHATWG parsers read it as '/' in http(s) URLs,
 * so "https://good\@evil" means different hosts to different parsers). */
static int s_bad_url_byte(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == '\\';
}

/* Whether the path (len bytes, query and fragment excluded) has a segment
 * that is exactly "." or "..": after normalisation (which libcurl
 * performs) it would step outside an allowed path prefix. An encoded dot
 * ("%2e") is refused too, as servers may decode it before normalising;
 * Slack's response URLs never contain one. */
static int s_has_dot_segment(const char *path, size_t len)
{
	size_t i = 0, n;

	for (n = 0; n + 2 < len; n++) {
		if (path[n] == '%' && path[n + 1] == '2' &&
		    (path[n + 2] == 'e' || path[n + 2] == 'E'))
			return 1;
	}
	while (i < len) {
		if (path[i] != '/') {
			i++;
			continue;
		}
		i++;
		for (n = 0; i + n < len && path[i + n] != '/'; n++)
			;
		if ((n == 1 && path[i] == '.') || (n == 2 && path[i] == '.' && path[i + 1] == '.'))
			return 1;
		i += n;
	}
	return 0;
}

/* Contract in cmd.h. response_url comes from the request body and our
 * answer (search results) is POSTed to it, so the check is by exact
 * authority, never by string prefix alone: control bytes, userinfo and dot
 * segments are refused before any prefix is compared. */
int slack_cmd_response_url_allowed(const char *url, const char *const *prefixes,
				   size_t n_prefixes)
{
	const char *sep, *auth, *path;
	size_t auth_end, i, plen;

	if (url == NULL || prefixes == NULL)
		return 0;
	for (i = 0; url[i] != '\0'; i++) {
		if (s_bad_url_byte((unsigned char)url[i]))
			return 0;
	}
	sep = strstr(url, S_SCHEME_SEP);
	if (sep == NULL || sep == url)
		return 0;
	auth = sep + SI_LITLEN(S_SCHEME_SEP);
	auth_end = (size_t)(auth - url) + strcspn(auth, "/?#");
	/* userinfo ("user@host") is how "https://hooks.slack.com@evil" hides
	 * the real host behind an allowed-looking prefix. */
	if (memchr(auth, '@', auth_end - (size_t)(auth - url)) != NULL)
		return 0;
	path = url + auth_end;
	if (s_has_dot_segment(path, strcspn(path, "?#")))
		return 0;
	for (i = 0; i < n_prefixes; i++) {
		if (prefixes[i] == NULL)
			continue;
		plen = strlen(prefixes[i]);
		/* The prefix must reach the end of the authority, so the host
		 * (and port) are matched exactly, never as a string prefix. */
		if (plen < auth_end)
			continue;
		if (strncmp(url, prefixes[i], plen) == 0)
			return 1;
	}
	return 0;
}
