/*
 * aws/creds.h - where the service's own AWS identity comes from.
 *
 * Modelled on awslabs/aws-c-auth: every credential source is a provider
 * behind one small vtable (get, destroy); the chain is a provider holding
 * providers, the cache is a provider wrapping a provider. A new source adds
 * a file and a constructor, never a branch in a switch. The interface a
 * provider implements (vtable, helpers) is in aws/private/creds.h, for
 * the provider files and their tests only.
 *
 * Nothing here reads the process environment (no getenv): constructors take
 * an envp array and copy what they need, so tests and callers decide what
 * the providers see. The clock is a parameter of every get.
 *
 * Secrets (secret key, session token, container authorization token) never
 * appear in error messages; buffers that held them are wiped before free.
 *
 * Thread safety: every provider in this module may be shared between
 * threads. env/profile/config/assume-role/web-identity/process/container/
 * imds keep no mutable state after construction (the file-based ones read
 * their files, and the STS ones make a client, on every get); the chain
 * remembers its winner atomically; the cache holds a
 * mutex. HTTP providers block for up to their timeouts, so callers on a
 * latency-sensitive thread should put an aws_creds_provider_cached_new() in
 * front. The HTTP providers need curl_global_init() to have been called once
 * by the program before the first get.
 */
#ifndef SI_AWS_CREDS_H
#define SI_AWS_CREDS_H

#include <stddef.h>
#include <time.h>

#include "util/err.h"

/* One set of credentials. Strings are owned by the struct and freed (after
 * wiping) by aws_creds_clear(); session_token is NULL for long-term keys. */
struct aws_creds {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;
	time_t expiration;   /* 0 = static, never expires */
	char source[32];     /* provider that produced them: "env", "profile",
	                      * "assume-role", "web-identity", "process",
	                      * "config", "container", "imds" (never secret) */
};

/* Wipe the secrets with OPENSSL_cleanse, free every string and zero the
 * whole struct. Safe on a zeroed struct and on NULL. */
void aws_creds_clear(struct aws_creds *c);

/* Deep copy src into dst (dst is cleared first; on failure dst is left
 * cleared). */
int aws_creds_copy(struct aws_creds *dst, const struct aws_creds *src, struct si_err *err);

/* ---- the provider interface --------------------------------------------- */

struct aws_creds_provider;

/* Fill *out (which the caller zeroed or cleared; the caller frees it with
 * aws_creds_clear) with credentials valid at time now. On failure *out is
 * left cleared and err says why, without secrets. A provider that is simply
 * not configured (variable unset, file absent) fails with SI_ERR_NOTFOUND so
 * that a chain can tell "not here" from "here but broken". */
int aws_creds_provider_get(struct aws_creds_provider *p, time_t now, struct aws_creds *out,
			   struct si_err *err);

/* Destroy p and everything it owns. NULL is fine. */
void aws_creds_provider_free(struct aws_creds_provider *p);

/* ---- the sources ------------------------------------------------------- */

/* AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), read from
 * envp at construction. Empty values count as unset. The legacy names
 * AWS_ACCESS_KEY / AWS_SECRET_KEY are NOT accepted: botocore, the AWS CLI
 * and aws-c-auth ignore them (only Java v1 and Go take them), and accepting
 * them here would make the same environment mean different identities to
 * this service and to the CLI an operator debugs it with. */
struct aws_creds_provider *aws_creds_provider_env_new(char *const *envp, struct si_err *err);

/* Shared credentials file: AWS_SHARED_CREDENTIALS_FILE (a leading "~/" is
 * expanded with HOME, as the SDKs do), default $HOME/.aws/credentials;
 * profile AWS_PROFILE or "default". Keys aws_access_key_id,
 * aws_secret_access_key, aws_session_token of the section named exactly
 * like the profile. The file is read on every get (so rotated files are
 * seen; put a cache in front). */
struct aws_creds_provider *aws_creds_provider_profile_new(char *const *envp, struct si_err *err);

/* Timeouts and limits of the HTTP providers. Pass NULL, or leave a field 0,
 * for the default; the SDK variables AWS_METADATA_SERVICE_TIMEOUT (seconds)
 * and AWS_METADATA_SERVICE_NUM_ATTEMPTS in envp are used for fields left 0. */
struct aws_creds_http_opts {
	long connect_timeout_ms;  /* default AWS_CREDS_HTTP_TIMEOUT_MS */
	long total_timeout_ms;    /* per request; default AWS_CREDS_HTTP_TIMEOUT_MS */
	int attempts;             /* tries per request; default AWS_CREDS_HTTP_ATTEMPTS */
	size_t max_body;          /* response cap; default AWS_CREDS_HTTP_MAX_BODY */
};

/* The SDKs' metadata defaults (botocore: timeout 1 s, 1 attempt): the
 * endpoints are link-local and answer in milliseconds, and a host without
 * them must fail fast so the chain can move on. */
#define AWS_CREDS_HTTP_TIMEOUT_MS 1000L
#define AWS_CREDS_HTTP_ATTEMPTS 1
/* A credentials document is ~1-2 KiB (the session token dominates); 64 KiB
 * leaves room for growth and stops a broken endpoint from filling memory. */
#define AWS_CREDS_HTTP_MAX_BODY ((size_t)64 * 1024)

/* Container credentials (ECS task role, EKS pod identity):
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI -> http://169.254.170.2<uri>;
 * otherwise AWS_CONTAINER_CREDENTIALS_FULL_URI, which must be https or name
 * a loopback host (127.0.0.0/8, [::1], localhost) or the ECS/EKS agent
 * (169.254.170.2, 169.254.170.23, [fd00:ec2::23]) - the rule of the AWS
 * SDKs. Authorization header from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
 * (re-read on every get: EKS rotates it) or AWS_CONTAINER_AUTHORIZATION_TOKEN.
 * A FULL_URI that breaks the rule fails construction (SI_ERR_INVALID), as the
 * SDKs refuse it, rather than silently falling through to another identity.
 * opts may be NULL; it is copied. */
struct aws_creds_provider *aws_creds_provider_container_new(char *const *envp,
							    const struct aws_creds_http_opts *opts,
							    struct si_err *err);

/* EC2 instance metadata, IMDSv2 only: PUT /latest/api/token, then the role
 * name and the role's credentials with X-aws-ec2-metadata-token. Endpoint
 * http://169.254.169.254, or AWS_EC2_METADATA_SERVICE_ENDPOINT, or
 * http://[fd00:ec2::254] with AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6.
 * AWS_EC2_METADATA_DISABLED=true (any case) makes get fail with
 * SI_ERR_NOTFOUND. Unlike the SDKs there is no fallback to tokenless IMDSv1:
 * this service should run on instances that require IMDSv2. */
struct aws_creds_provider *aws_creds_provider_imds_new(char *const *envp,
						       const struct aws_creds_http_opts *opts,
						       struct si_err *err);

/* ---- ~/.aws/config profiles and STS ------------------------------------ */

/*
 * The providers below read the config file (AWS_CONFIG_FILE, a leading
 * "~/" expanded with HOME; default $HOME/.aws/config; sections
 * "[profile NAME]" and "[default]") merged with the shared credentials
 * file (a key there wins, as in botocore), for the profile AWS_PROFILE or
 * "default", on every get. They keep a copy of envp (wiped on free): STS
 * calls follow the project's endpoint variables (AWS_ENDPOINT_URL_STS,
 * AWS_ENDPOINT_URL: aws/query.h) and AWS_CA_BUNDLE, go to the regional
 * endpoint https://sts.<region>.amazonaws.com when a region is known
 * (AWS_REGION, AWS_DEFAULT_REGION, the profile's region; unless
 * AWS_STS_REGIONAL_ENDPOINTS=legacy) and to https://sts.amazonaws.com
 * otherwise, with the aws_client defaults (timeouts, 3 attempts).
 * RoleSessionName: AWS_ROLE_SESSION_NAME (web identity only), the
 * profile's role_session_name, else "slash-infra-session-<unix time of
 * construction>" (botocore's shape, "botocore-session-<time>", with our
 * name, so CloudTrail says who assumed the role). Not supported:
 * mfa_serial (needs a person at a prompt; refused with an error), SSO
 * profiles (sso_* keys are ignored, so the chain moves on to the next
 * source), duration_seconds (the client's hour is asked for).
 */

/* The longest web identity token STS takes (WebIdentityToken: 20,000
 * characters); a longer file is not a token. */
#define AWS_CREDS_WEB_IDENTITY_TOKEN_MAX 20000

/* Web identity (EKS service accounts, CI OIDC): AWS_WEB_IDENTITY_TOKEN_FILE
 * + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME), each variable winning over the
 * profile's web_identity_token_file / role_arn / role_session_name (as
 * botocore). STS AssumeRoleWithWebIdentity, unsigned as the SDKs send it.
 * The token file is read again on every get (EKS rotates it); a trailing
 * newline is dropped. Not configured (no token file named): NOTFOUND. */
struct aws_creds_provider *aws_creds_provider_web_identity_new(char *const *envp,
							       struct si_err *err);

/* The profile's role_arn (a profile with web_identity_token_file is the
 * web identity provider's), assumed with STS AssumeRole signed by the
 * source: credential_source Environment / Ec2InstanceMetadata /
 * EcsContainer (this module's env / imds / container providers), or
 * source_profile, whose credentials are, as botocore resolves them, its
 * own role_arn assumed in turn (a chain of at most
 * AWS_CREDS_ROLE_CHAIN_MAX; a loop is refused), or its web identity,
 * static keys or credential_process. A profile naming itself as its
 * source uses its own static keys. external_id is sent as ExternalId.
 * No role_arn in the profile: NOTFOUND. */
#define AWS_CREDS_ROLE_CHAIN_MAX 8
struct aws_creds_provider *aws_creds_provider_assume_role_new(char *const *envp,
							      struct si_err *err);

/* The profile's credential_process: run as aws_creds_process_run says
 * (aws/private/creds.h: split like botocore's shlex.split, no shell, stdin
 * /dev/null, stdout capped at AWS_CREDS_PROCESS_MAX_OUTPUT, killed after
 * AWS_CREDS_PROCESS_TIMEOUT_MS), its JSON {"Version": 1, "AccessKeyId",
 * "SecretAccessKey", "SessionToken", "Expiration"} read with si_json_read.
 * A non-zero exit fails with the first line of its stderr (printable
 * ASCII, cut at 160 bytes). No credential_process: NOTFOUND. */
#define AWS_CREDS_PROCESS_TIMEOUT_MS 30000L
#define AWS_CREDS_PROCESS_MAX_OUTPUT ((size_t)64 * 1024)
struct aws_creds_provider *aws_creds_provider_process_new(char *const *envp,
							  struct si_err *err);

/* Static keys (aws_access_key_id, aws_secret_access_key,
 * aws_session_token) of the profile's section in the config file. */
struct aws_creds_provider *aws_creds_provider_config_new(char *const *envp, struct si_err *err);

/* ---- composition ------------------------------------------------------- */

/* A chain over n providers, tried in order; takes ownership of the
 * providers (also on failure). The first provider that answers is
 * remembered and asked first next time (as the SDKs do); if it then fails,
 * the whole chain is walked again. When none answers, err summarises each
 * provider's reason (never secrets); the code is SI_ERR_NOTFOUND when every
 * provider was merely unconfigured, else the first other code. */
struct aws_creds_provider *aws_creds_provider_chain_new(struct aws_creds_provider **providers,
							size_t n, struct si_err *err);

/* The SDKs' default order (botocore's create_credential_resolver): env,
 * assume-role (profile role_arn), web identity (env or profile), [SSO:
 * not supported], shared credentials file, credential_process, config
 * file static keys, container, IMDS. Fails if a source is misconfigured
 * (e.g. a non-loopback http FULL_URI). */
struct aws_creds_provider *aws_creds_provider_chain_default_new(
	char *const *envp, const struct aws_creds_http_opts *opts, struct si_err *err);

/* The SDKs refresh temporary credentials 5 minutes before they expire. */
#define AWS_CREDS_REFRESH_MARGIN_S 300

/* A cache in front of inner (owned, freed also on failure). Answers from the
 * cache while now < expiration - refresh_margin_s (static credentials,
 * expiration 0, are kept for good); otherwise asks inner. If that refresh
 * fails but the cached credentials have not yet expired, they are returned
 * (the margin is advisory, as in botocore). One mutex: concurrent callers
 * wait for one refresh instead of stampeding the metadata service. */
struct aws_creds_provider *aws_creds_provider_cached_new(struct aws_creds_provider *inner,
							 int refresh_margin_s, struct si_err *err);

#endif
