#!/usr/bin/env bash
# The SDKs' credential chain in the real binary against the AWS stand-in
# (issue 15), loopback only:
#  - web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, as EKS and CI
#    OIDC set them): a CLI search, then a long-lived worker behind nginx
#    whose token file is rotated between two searches. The stand-in issues
#    credentials that live less than the 5-minute refresh margin, so every
#    search refreshes them (no waiting), and it records every token it was
#    shown: the second search must have shown the new one;
#  - a refused token: the search fails, saying InvalidIdentityToken, and
#    never prints the token;
#  - a credential_process profile, and a role_arn profile whose
#    source_profile is that one (AssumeRole signed with its keys).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_aws.sh"

TOK_A=eyJhbGciOiJSUzI1NiJ9.token-A.sig-EXAMPLE
TOK_B=eyJhbGciOiJSUzI1NiJ9.token-B.sig-EXAMPLE
TOK_BAD=eyJhbGciOiJSUzI1NiJ9.token-revoked.sig-EXAMPLE
WEB_ROLE=arn:aws:iam::111111111111:role/slash-infra-irsa

# cli ARGS...: the worker's CLI with this shell's environment; sets CLI_RC
# and CLI_OUT (stdout and stderr).
cli() {
	timeout 30 "$WORKER" "$@" > "$TMP/cli.out" 2> "$TMP/cli.err"
	CLI_RC=$?
	CLI_OUT=$(cat "$TMP/cli.out" "$TMP/cli.err")
}
st() { aws_stats | json_get "$1"; }
# seen: the tokens the stand-in was shown, in order, space-separated.
seen() { curl -s --max-time 5 "$AWS_URL/_control/web-identity" | json_get "' '.join(j['seen'])"; }
last_seen() { seen | awk '{print $NF}'; }

aws_start --web-identity-token "$TOK_A" --web-identity-token "$TOK_B" --credential-ttl 120 ||
	exit 1
receiver_start || exit 1
aws_env
# No static keys anywhere: the identity must come from the token.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
export HOME="$TMP/home"
mkdir -p "$HOME"
export AWS_CONFIG_FILE="$TMP/aws-config" AWS_SHARED_CREDENTIALS_FILE="$TMP/aws-credentials"
: > "$AWS_CONFIG_FILE"
: > "$AWS_SHARED_CREDENTIALS_FILE"
export AWS_REGION=us-east-1 AWS_ROLE_ARN=$WEB_ROLE AWS_WEB_IDENTITY_TOKEN_FILE="$TMP/token"
printf '%s' "$TOK_A" > "$TMP/token"

# ---- web identity, one process ----------------------------------------------

aws_reset
cli search web
expect_eq "web identity: CLI search succeeds" "$CLI_RC" 0
expect_contains "... and finds the fixture's web servers" "$CLI_OUT" "prod-web-1"
# The base credentials live 120 s, inside the refresh margin: each of the
# search's AssumeRoles (one per account) refreshes them from the token.
expect_eq "... one AssumeRoleWithWebIdentity per AssumeRole (short-lived base)" \
	"$(st "j['by_action'].get('AssumeRoleWithWebIdentity', 0)")" \
	"$(st "j['by_action'].get('AssumeRole', 0)")"
expect_eq "... showing the token in the file" "$(last_seen)" "$TOK_A"

# ---- web identity, a long-lived worker: the token file is read again --------

stack_start || exit 1
r=$(post_signed "$(slack_body 'i-0a1b2c3d4e5f60001' "$RECV_URL/hooks/T1/B1/web1")")
expect_contains "worker search 1 answers with prod-web-1" "$r" "prod-web-1"
expect_eq "... with token A" "$(last_seen)" "$TOK_A"
printf '%s\n' "$TOK_B" > "$TMP/token.new"
mv "$TMP/token.new" "$TMP/token"   # as the kubelet swaps it: atomically
r=$(post_signed "$(slack_body 'i-0a1b2c3d4e5f60001' "$RECV_URL/hooks/T1/B1/web2")")
expect_contains "worker search 2 (credentials refreshed) answers" "$r" "prod-web-1"
expect_eq "... having read the rotated token B" "$(last_seen)" "$TOK_B"

# ---- a refused token --------------------------------------------------------

printf '%s' "$TOK_BAD" > "$TMP/token"
cli search web
expect_eq "revoked token: the search fails (exit 2)" "$CLI_RC" 2
expect_contains "... saying why" "$CLI_OUT" "InvalidIdentityToken"
check "... without printing the token" "$(case "$CLI_OUT" in *"$TOK_BAD"*) echo 1 ;; *) echo 0 ;; esac)"
check "the worker's log never shows a token" \
	"$(grep -c -e "$TOK_A" -e "$TOK_B" -e "$TOK_BAD" "$TMP/worker.log" | awk '{print ($1 > 0)}')"

# ---- credential_process and a role over it ------------------------------------

unset AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN
cat > "$AWS_CONFIG_FILE" <<EOF
[profile helper]
credential_process = printf '{"Version": 1, "AccessKeyId": "$BASE_AKID", "SecretAccessKey": "$BASE_SECRET"}'

[profile ops]
role_arn = arn:aws:iam::111111111111:role/InfraSearchReadOnly
external_id = slash-infra-demo
source_profile = helper
EOF
aws_reset
AWS_PROFILE=helper cli search web
expect_eq "credential_process profile: the search succeeds" "$CLI_RC" 0
expect_contains "... and finds prod-web-1" "$CLI_OUT" "prod-web-1"
assumed=$(st "j['by_action'].get('AssumeRole', 0)")
aws_reset
AWS_PROFILE=ops cli search web
expect_eq "role_arn + source_profile (credential_process): succeeds" "$CLI_RC" 0
# Each account's AssumeRole refreshes the short-lived base, which is
# itself an AssumeRole of the profile's role: twice the helper's count.
expect_eq "... with the profile's role assumed before each account's" \
	"$(st "j['by_action'].get('AssumeRole', 0)")" "$((assumed * 2))"
# The config file held the base secret: the final scan must find it nowhere.
rm -f "$AWS_CONFIG_FILE"

finish
