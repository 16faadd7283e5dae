/*
 * private/creds.h - what a credential provider implementation needs, and
 * callers of the providers do not (aws-c-auth keeps the same split:
 * include/aws/auth/private/).
 *
 * Used by creds.c, creds_file.c, creds_http.c, creds_process.c,
 * creds_sts.c and their tests; nothing outside common/aws includes it.
 */
#ifndef SI_AWS_PRIVATE_CREDS_H
#define SI_AWS_PRIVATE_CREDS_H

#include <time.h>

#include <json-c/json.h>

#include "aws/creds.h"
#include "util/buf.h"
#include "util/err.h"

/* What a provider implementation supplies (as aws-c-auth's
 * aws_credentials_provider_vtable). get has the contract of
 * aws_creds_provider_get; destroy frees impl (may be NULL if impl needs no
 * freeing). The vtable must outlive the provider (use a static const). */
struct aws_creds_provider_vtable {
	int (*get)(void *impl, time_t now, struct aws_creds *out, struct si_err *err);
	void (*destroy)(void *impl);
};

/* Wrap impl in a provider. On success the provider owns impl (destroy is
 * called on it by aws_creds_provider_free); on failure (OOM) impl is
 * destroyed too, so the caller never leaks it. */
struct aws_creds_provider *aws_creds_provider_new(const struct aws_creds_provider_vtable *vt,
						  void *impl, struct si_err *err);

/* Value of name in envp (first match, like getenv), or NULL. envp may be
 * NULL. The result points into envp. */
const char *aws_creds_env_get(char *const *envp, const char *name);

/* Fill *out with copies of the strings (token may be NULL or "") and
 * source. Access key and secret must be non-empty. */
int aws_creds_set(struct aws_creds *out, const char *access_key_id, const char *secret_access_key,
		  const char *session_token, time_t expiration, const char *source,
		  struct si_err *err);

/* Parse an ISO 8601 UTC timestamp as AWS writes it
 * ("2024-05-01T12:00:00Z", optional fraction, "Z" or "+00:00"). */
int aws_creds_parse_time(const char *s, time_t *out, struct si_err *err);

/* Read the regular file path into b (whose own max caps it: SI_ERR_LIMIT
 * "<what>: larger than N bytes"). Missing file: SI_ERR_NOTFOUND; a FIFO,
 * device or directory: SI_ERR_IO "<what>: not a regular file". Messages
 * name what, never the content. The read buffer is wiped (token and key
 * files go through here). */
int aws_creds_read_file(const char *path, const char *what, struct si_buf *b,
			struct si_err *err);

/* Wipe the string member key of o in place (json-c keeps its own copy of
 * every string) before the tree is freed. */
void aws_creds_json_wipe(struct json_object *o, const char *key);

/* A copy of envp (at most SI_ENV_MAX entries), NULL-terminated, for the
 * providers that need the environment later (endpoint variables for STS,
 * the sources credential_source names, a credential_process child).
 * Free with aws_creds_envp_free, which wipes every entry (it may hold
 * AWS_SECRET_ACCESS_KEY). NULL envp gives an empty array. */
char **aws_creds_envp_dup(char *const *envp, struct si_err *err);
void aws_creds_envp_free(char **envp);

/* ---- profiles: ~/.aws/credentials and ~/.aws/config (creds_file.c) ---- */

/* The profile keys this service understands; every other key is ignored
 * (as the SDKs ignore keys they do not know). */
enum aws_pkey {
	AWS_PK_ACCESS_KEY_ID,
	AWS_PK_SECRET_ACCESS_KEY,
	AWS_PK_SESSION_TOKEN,
	AWS_PK_ROLE_ARN,
	AWS_PK_SOURCE_PROFILE,
	AWS_PK_CREDENTIAL_SOURCE,
	AWS_PK_EXTERNAL_ID,
	AWS_PK_ROLE_SESSION_NAME,
	AWS_PK_WEB_IDENTITY_TOKEN_FILE,
	AWS_PK_CREDENTIAL_PROCESS,
	AWS_PK_MFA_SERIAL,
	AWS_PK_REGION,
	AWS_PK_N
};

/* Which file a value came from. */
enum aws_pfile { AWS_PF_CREDENTIALS, AWS_PF_CONFIG, AWS_PF_N };

/* Profile names: AWS CLI profile names are short identifiers; 128 refuses
 * junk. Profiles per file: real files hold a handful; 256 bounds a
 * generated one. */
#define AWS_PROFILE_NAME_MAX 128
#define AWS_PROFILES_MAX 256

struct aws_profile {
	char name[AWS_PROFILE_NAME_MAX + 1];
	int seen[AWS_PF_N];                 /* a section of this name in the file */
	char *v[AWS_PF_N][AWS_PK_N];        /* owned, wiped on free; NULL: absent */
};

/* Both files' profiles, merged by name (the SDKs' view: the credentials
 * file's value of a key wins over the config file's). */
struct aws_profiles {
	struct aws_profile *p;   /* owned array of n */
	size_t n;
};

/* Where the files are and which profile is meant, from envp (resolved
 * once, at a provider's construction). A path is NULL when neither its
 * variable nor HOME is set. */
struct aws_profile_src {
	char *creds_path;    /* AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials */
	char *config_path;   /* AWS_CONFIG_FILE, ~/.aws/config */
	char profile[AWS_PROFILE_NAME_MAX + 1];   /* AWS_PROFILE or "default" */
};

/* Fill *s from envp. -1 with err on a path or profile name too long, OOM. */
int aws_profile_src_init(struct aws_profile_src *s, char *const *envp, struct si_err *err);
void aws_profile_src_clear(struct aws_profile_src *s);

/* Read one file into *ps (merged with what is there). is_config: sections
 * are "[profile NAME]" and "[default]" (others ignored), else "[NAME]".
 * Missing file: -1 with SI_ERR_NOTFOUND (the caller decides what that
 * means); syntax errors name the line, never its content. */
int aws_profiles_read(struct aws_profiles *ps, const char *path, int is_config,
		      struct si_err *err);

/* Both files of s into *ps (zeroed by the caller); a missing file counts
 * as empty. Free with aws_profiles_free. */
int aws_profiles_load(const struct aws_profile_src *s, struct aws_profiles *ps,
		      struct si_err *err);
void aws_profiles_free(struct aws_profiles *ps);

/* The profile called name, or NULL. */
const struct aws_profile *aws_profiles_find(const struct aws_profiles *ps, const char *name);

/* The merged value of k in p (credentials file first), or NULL; empty
 * values count as absent. p may be NULL. */
const char *aws_profile_get(const struct aws_profile *p, enum aws_pkey k);

/* ---- credential_process (creds_process.c) ---------------------------- */

/* The command line is split into words as the SDKs do (botocore:
 * shlex.split, POSIX rules; no shell runs): blanks separate words, '...'
 * is literal, "..." keeps everything but \" and \\ escapes, a backslash
 * outside quotes escapes the next character. No variables, globs,
 * redirections or comments. Limits: the line, the words. */
#define AWS_CREDS_PROCESS_MAX_LINE 4096
#define AWS_CREDS_PROCESS_MAX_ARGS 64

/* Split cmd into *argv (NULL-terminated, *argc words, one allocation the
 * caller frees with free()). -1 with SI_ERR_INVALID on an unterminated
 * quote or trailing backslash, no word at all, or a NUL-free limit
 * exceeded (SI_ERR_LIMIT). */
int aws_creds_argv_split(const char *cmd, char ***argv, size_t *argc, struct si_err *err);

/* Run cmd (split as above, found on PATH, no shell) with envp as its
 * environment, stdin /dev/null, in its own process group; read stdout (at
 * most max_out bytes) and stderr (its first line kept for the error) for
 * at most timeout_ms, then kill the group. Exit 0 and the JSON document
 * {Version: 1, AccessKeyId, SecretAccessKey[, SessionToken][, Expiration]}
 * fill *out (source "process"); anything else is -1 with err (stdout is
 * never quoted: it holds the secret). */
int aws_creds_process_run(const char *cmd, char *const *envp, long timeout_ms, size_t max_out,
			  struct aws_creds *out, struct si_err *err);

/* aws_creds_provider_process_new with the timeout and output cap given
 * (tests; 0 for the defaults). */
struct aws_creds_provider *aws_creds_provider_process_new_opts(char *const *envp,
							       long timeout_ms, size_t max_out,
							       struct si_err *err);

#endif
