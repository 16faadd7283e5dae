#!/usr/bin/env bash
# The worker's AWS layer against the stand-in over loopback HTTP (issue 3):
# AssumeRole per account, describes in several regions, the credential
# cache, paging, retries on throttling, per-target failures, the timeout,
# --check-config, a wrong base secret, and base credentials from the
# container endpoint and from IMDSv2. The real worker binary, through its
# CLI (same engine as the FastCGI path) and through nginx; the stand-in's
# /_control/stats counters prove what went over the wire.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_aws.sh"

PROD=111111111111
STAGING=222222222222
DEV=333333333333
# Instances added to staging/eu-west-1 for the paging case: 12 pages of
# 200 (the engine's MaxResults, issue 11).
BULK=2345
# Instances added to dev/us-west-2 past the per-search cap of 10,000
# matches (SEARCH_MAX_MATCHES): a hostile or runaway answer is cut there,
# with the target named, instead of growing the worker without bound.
MANY=10050

# ---- helpers (this file only) ---------------------------------------------

# A fixture = the default one plus BULK instances named bulk-node-NNNN in
# staging/eu-west-1, so a name search there needs 12 pages of 200, and
# MANY named many-node-NNNNN in dev/us-west-2.
make_bulk_fixture() {
	"$PYTHON3" - "$SI_SRCDIR/tests/standin/fixture.json" "$1" "$BULK" "$MANY" <<'EOF'
import json, sys
src, dst, n, many = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
doc = json.load(open(src))

def add(account, region, count, base, net, name):
    acc = next(a for a in doc["accounts"] if a["id"] == account)
    insts = acc["regions"][region]["instances"]
    for k in range(count):
        insts.append({"id": "i-%017x" % (base + k), "type": "t3.micro", "state": "running",
                      "launch_time": "2025-03-01T09:00:00.000Z",
                      "image": "ami-0123456789abcdef0",
                      "vpc": "vpc-0bulk0000000000001", "subnet": "subnet-0bulk00000000001",
                      "az": region + "a",
                      "private_ip": "10.%d.%d.%d" % (net, k // 250, k % 250 + 4),
                      "tags": {"Name": name % k}})

add("222222222222", "eu-west-1", n, 0xb0000, 99, "bulk-node-%04d")
add("333333333333", "us-west-2", many, 0x100000, 98, "many-node-%05d")
json.dump(doc, open(dst, "w"))
EOF
}

# st EXPR: evaluate a Python expression on the stand-in's stats (as j).
st() { aws_stats | json_get "$1"; }
# stat_sum PREFIX: sum of by_key counters whose key starts with PREFIX.
stat_sum() { aws_stats | json_get "sum(v for k, v in j['by_key'].items() if k.startswith('$1'))"; }
# ec2_calls ACCOUNT: every EC2 call (any action) into ACCOUNT.
ec2_calls() { aws_stats | json_get "sum(v for k, v in j['by_call_key'].items() if k.startswith('ec2:') and k.split(':')[2] == '$1')"; }

ms_now() { date +%s%3N; }

# worker_restart: a new worker process behind the same nginx (a cold
# credential cache); waits until /healthz answers.
worker_restart() {
	kill -TERM "$WORKER_PID" 2>/dev/null
	wait "$WORKER_PID" 2>/dev/null
	rm -f "$TMP/worker.sock"
	"$SPAWN_FCGI" -n -s "$TMP/worker.sock" "${SOCK_OPTS[@]}" -- "$WORKER" 2>>"$TMP/worker.log" &
	WORKER_PID=$!
	PIDS+=("$WORKER_PID")
	for _ in $(seq 100); do [ -S "$TMP/worker.sock" ] && break; sleep 0.05; done
	wait_http "$BASE/healthz"
}

# cli [VAR=VALUE...] -- ARGS...: run the worker's CLI with extra environment;
# sets CLI_RC, CLI_MS (wall time) and leaves its output in $TMP/cli.out.
cli() {
	local envs=() t0
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	t0=$(ms_now)
	env "${envs[@]}" timeout 30 "$WORKER" "$@" > "$TMP/cli.out" 2> "$TMP/cli.err"
	CLI_RC=$?
	CLI_MS=$(( $(ms_now) - t0 ))
	CLI_OUT=$(cat "$TMP/cli.out" "$TMP/cli.err")
}

# ---- setup ------------------------------------------------------------------

make_bulk_fixture "$TMP/fixture.json"
aws_start --fixture "$TMP/fixture.json" || exit 1
# The stand-in read it at start-up; it holds the base secret, which the
# harness's final scan must find nowhere under $TMP.
rm -f "$TMP/fixture.json"
receiver_start || exit 1
aws_env

# ---- assume role per account, describe in several regions -----------------

aws_reset
cli -- search web
expect_eq "search web: exit 0 (found)" "$CLI_RC" 0
# A Name is asked of every named type (issue 12): the 4 instances, and
# 6 other resources whose name holds "web" in any case (security groups,
# root volumes, the AMI, the launch template, the Auto Scaling group).
expect_contains "search web: 10 matches over 7 account-regions" "$CLI_OUT" "10 matches for web in 7 account-regions"
for n in prod-web-1 prod-web-2 staging-web-1 dev-web-1; do
	expect_contains "search web: $n listed" "$CLI_OUT" "$n"
done
expect_eq "7 account-regions -> 3 AssumeRole in all" "$(st "j['by_action'].get('AssumeRole', 0)")" 3
for a in $PROD $STAGING $DEV; do
	expect_eq "exactly one AssumeRole into $a" "$(stat_sum "AssumeRole:$a:")" 1
done
# One DescribeInstances per target for the Name, and one more in each
# account-region whose matching volumes are attached (their instances
# named: production and staging eu-west-2).
expect_eq "one Name DescribeInstances per account-region, +1 per volume follow-up" \
	"$(st "j['by_action'].get('DescribeInstances', 0)")" 9
expect_eq "every type asked once per target: DescribeVpcs in all 7" \
	"$(st "sorted(k.split(':', 1)[1] for k, v in j['by_key'].items() if k.startswith('DescribeVpcs:') and v == 1)")" \
	"$(st "sorted(k.split(':', 1)[1] for k in j['by_key'] if k.startswith('DescribeInstances:'))")"
BASE_EC2_STAGING=$(ec2_calls "$STAGING")
BASE_EC2_OTHERS=$(( $(ec2_calls "$PROD") + $(ec2_calls "$DEV") ))
expect_eq "describes signed for 4 distinct regions" \
	"$(st "len({k.split(':')[2] for k in j['by_key'] if k.startswith('DescribeInstances:')})")" 4
expect_eq "every describe in dev's 3 regions" "$(stat_sum "DescribeInstances:$DEV:")" 3
expect_eq "no error answers" "$(st "sorted(j['by_status'])")" "['200']"

# ---- credentials cached across searches in one worker process --------------

stack_start || exit 1
aws_reset
# Instance ids: one call per target, so both answer inline on a loaded box.
r=$(post_signed "$(slack_body 'i-0a1b2c3d4e5f60001' "$RECV_URL/hooks/T1/B1/cache1")")
expect_eq "nginx search 1 -> 200" "${r%% *}" 200
expect_contains "nginx search 1 answers inline with prod-web-1" "$r" "prod-web-1"
r=$(post_signed "$(slack_body 'i-0b2c3d4e5f6a70005' "$RECV_URL/hooks/T1/B1/cache2")")
expect_contains "nginx search 2 answers inline with staging-web-1" "$r" "staging-web-1"
expect_eq "two searches in one worker -> still 3 AssumeRole" "$(st "j['by_action'].get('AssumeRole', 0)")" 3
expect_eq "... while both searches described all 7 targets" "$(st "j['by_action'].get('DescribeInstances', 0)")" 14

# ---- paging: 3 pages for one target -----------------------------------------

aws_reset
# Thousands of instances on many pages: the deadline is raised (under the
# 30 s the cli helper allows) so a slow (sanitizer) build still reaches the
# end; the cap, not the clock, is tested.
cli SLASH_INFRA_SEARCH_DEADLINE_MS=25000 -- search bulk-node
expect_eq "paging: exit 0" "$CLI_RC" 0
# (counts from 1,000 up are printed with thousands separators)
expect_contains "paging: every instance counted" "$CLI_OUT" "2,345 matches for bulk-node in 7 account-regions"
expect_eq "paging: $BULK rows printed" "$(grep -c ' bulk-node-[0-9]\{4\} ' "$TMP/cli.out")" "$BULK"
expect_eq "paging: first and last instance present" \
	"$(grep -c -e ' bulk-node-0000 ' -e " bulk-node-$(printf %04d $((BULK - 1))) " "$TMP/cli.out")" 2
expect_eq "paging: 12 DescribeInstances for staging/eu-west-1" \
	"$(st "j['by_key'].get('DescribeInstances:$STAGING:eu-west-1', 0)")" 12
expect_eq "paging: 1 DescribeInstances for each other target" "$(st "j['by_action']['DescribeInstances']")" 18

# ---- the per-search match cap -------------------------------------------------

aws_reset
cli SLASH_INFRA_SEARCH_DEADLINE_MS=25000 -- search many-node
expect_contains "match cap: 10,000 matches kept" "$CLI_OUT" "10,000 matches for many-node"
expect_contains "match cap: the overflowing target is named" "$CLI_OUT" \
	"failed: dev/us-west-2: TooManyMatches (more than 10000 matches; narrow the search)"
expect_eq "match cap: 10,000 rows printed" "$(grep -c ' many-node-[0-9]\{5\} ' "$TMP/cli.out")" 10000
expect_eq "match cap: no page asked for past the cap (51 of 200)" \
	"$(st "j['by_key'].get('DescribeInstances:$DEV:us-west-2', 0)")" 51

# ---- throttling, then success ------------------------------------------------

aws_reset
aws_fault "{\"account\":\"$STAGING\",\"kind\":\"throttle-count\",\"arg\":2,\"service\":\"ec2\"}"
cli -- search web
expect_eq "throttled account: exit 0" "$CLI_RC" 0
expect_contains "throttled account's result still arrives" "$CLI_OUT" "staging-web-1"
! grep -q '^failed:' "$TMP/cli.out"; check "throttled: no target failed" $?
expect_eq "throttled: stats show 2 RequestLimitExceeded (503) answers" "$(st "j['by_status'].get('503', 0)")" 2
expect_eq "throttled: staging's EC2 calls + 2 retries" "$(ec2_calls "$STAGING")" \
	"$((BASE_EC2_STAGING + 2))"
expect_eq "throttled: other accounts' EC2 calls as without throttling" \
	"$(( $(ec2_calls "$PROD") + $(ec2_calls "$DEV") ))" "$BASE_EC2_OTHERS"

# ---- AccessDenied in one account, the others answer --------------------------

aws_reset
aws_fault "{\"account\":\"$STAGING\",\"kind\":\"sts-access-denied\"}"
cli -- search web
expect_eq "AccessDenied in staging: exit 0 (others found)" "$CLI_RC" 0
expect_contains "names staging/eu-west-2" "$CLI_OUT" "failed: staging/eu-west-2: AccessDenied"
expect_contains "names staging/eu-west-1" "$CLI_OUT" "failed: staging/eu-west-1: AccessDenied"
expect_contains "prod-web-1 still found" "$CLI_OUT" "prod-web-1"
expect_contains "dev-web-1 still found" "$CLI_OUT" "dev-web-1"
expect_contains "9 matches (staging's missing)" "$CLI_OUT" "9 matches for web"
expect_eq "AccessDenied is not retried: 1 AssumeRole into staging" "$(stat_sum "AssumeRole:$STAGING:")" 1
expect_eq "no describe for the denied account" "$(stat_sum "DescribeInstances:$STAGING:")" 0
# The same through nginx: the Slack answer names the failed targets. The
# worker cached every role in the searches above, so restart it first.
worker_restart; check "worker restarted with a cold credential cache" $?
aws_reset
aws_fault "{\"account\":\"$DEV\",\"kind\":\"sts-access-denied\"}"
r=$(post_signed "$(slack_body 'web' "$RECV_URL/hooks/T1/B1/denied")")
expect_eq "nginx: AccessDenied in dev -> 200" "${r%% *}" 200
# The failure summary groups targets by code: "3 of 7 targets failed: AccessDenied: dev/eu-west-2, ..."
fails=$(printf '%s' "${r#* }" | json_get '" ".join(e.get("text","") for b in j["blocks"] if b.get("type")=="context" for e in b.get("elements",[]))')
expect_contains "nginx: Slack answer counts the failed targets" "$fails" "3 of 7 targets failed: AccessDenied: "
expect_contains "nginx: Slack answer names dev/eu-west-2" "$fails" "dev/eu-west-2"
expect_contains "nginx: Slack answer names dev/us-east-1" "$fails" "dev/us-east-1"
expect_contains "nginx: other accounts' matches present" "$r" "staging-web-1"

# ---- a hang cut by the per-call timeout ---------------------------------------

aws_reset
aws_fault "{\"account\":\"$DEV\",\"kind\":\"hang\"}"
cli SLASH_INFRA_AWS_TIMEOUT_MS=1000 SLASH_INFRA_AWS_MAX_ATTEMPTS=2 SLASH_INFRA_SEARCH_DEADLINE_MS=4000 \
	-- search web
expect_eq "hang: exit 0 (others found)" "$CLI_RC" 0
[ "$CLI_MS" -lt 6000 ]; check "hang: search returns within deadline + 2 s (${CLI_MS} ms)" $?
[ "$CLI_MS" -ge 1900 ]; check "hang: the timeout waited for 2 attempts of 1 s (${CLI_MS} ms)" $?
for rg in eu-west-2 us-west-2 us-east-1; do
	expect_contains "hang: dev/$rg named as Timeout" "$CLI_OUT" "failed: dev/$rg: Timeout"
done
expect_contains "hang: prod-web-1 present" "$CLI_OUT" "prod-web-1"
expect_contains "hang: staging-web-1 present" "$CLI_OUT" "staging-web-1"
# Wait for the event (both attempts counted by the stand-in), with a
# generous bound (10 s) for a busy machine, rather than a fixed time.
for _ in $(seq 100); do [ "$(stat_sum "AssumeRole:$DEV:")" -ge 2 ] && break; sleep 0.1; done
expect_eq "hang: the AssumeRole into dev was tried twice (max_attempts 2)" "$(stat_sum "AssumeRole:$DEV:")" 2

# Hang in EC2 only, cut by the overall deadline instead: timeout 3 s x 3
# attempts would take 9 s; the 2 s deadline stops it.
aws_reset
aws_fault "{\"account\":\"$PROD\",\"kind\":\"hang\",\"service\":\"ec2\"}"
cli SLASH_INFRA_AWS_TIMEOUT_MS=3000 SLASH_INFRA_SEARCH_DEADLINE_MS=2000 SLASH_INFRA_SEARCH_INLINE_BUDGET_MS=1000 \
	-- search web
[ "$CLI_MS" -lt 4000 ]; check "deadline: search returns within deadline + 2 s (${CLI_MS} ms)" $?
expect_contains "deadline: production/eu-west-2 named as Timeout" "$CLI_OUT" "failed: production/eu-west-2: Timeout"
expect_contains "deadline: production/us-east-1 named as Timeout" "$CLI_OUT" "failed: production/us-east-1: Timeout"
expect_contains "deadline: dev-web-1 present" "$CLI_OUT" "dev-web-1"
expect_contains "deadline: staging-web-1 present" "$CLI_OUT" "staging-web-1"

# ---- --check-config -------------------------------------------------------------

aws_reset
cli -- --check-config
expect_eq "--check-config all ok -> exit 0" "$CLI_RC" 0
# One line per target and action (issue 12): every action a search may
# call, in every target; Route 53's once per account, as region "global".
ACTIONS=$("$WORKER" --list-actions | grep -vc '^route53:')
R53=$("$WORKER" --list-actions | grep -c '^route53:')
expect_eq "--check-config: an ok line per target and action" \
	"$(grep -cE '^(production|staging|dev) +[a-z0-9-]+ +[a-z0-9]+:[A-Za-z]+ +ok$' "$TMP/cli.out")" \
	"$((7 * ACTIONS + 3 * R53))"
expect_eq "--check-config: every declared action checked" \
	"$(awk '$4 == "ok" {print $3}' "$TMP/cli.out" | sort -u | xargs)" \
	"$("$WORKER" --list-actions | xargs)"
expect_contains "--check-config: summary" "$CLI_OUT" "all targets ok"
! grep -q 'slash-infra-demo' "$TMP/cli.out"; check "--check-config never shows the external id" $?
aws_reset
aws_fault "{\"account\":\"$STAGING\",\"kind\":\"sts-access-denied\"}"
cli -- --check-config
[ "$CLI_RC" -ne 0 ]; check "--check-config with staging denied -> non-zero ($CLI_RC)" $?
grep -qE '^staging +eu-west-2 +\(all\) +AccessDenied' "$TMP/cli.out"; check "--check-config names staging eu-west-2 AccessDenied" $?
grep -qE '^staging +eu-west-1 +\(all\) +AccessDenied' "$TMP/cli.out"; check "--check-config names staging eu-west-1 AccessDenied" $?
expect_eq "--check-config: the 5 other targets ok" \
	"$(grep -E ' ok$' "$TMP/cli.out" | awk '$2 != "global" {print $1 "/" $2}' | sort -u | xargs)" \
	"dev/eu-west-2 dev/us-east-1 dev/us-west-2 production/eu-west-2 production/us-east-1"
# A role that may not call one service: the others still ok, and that
# service's actions named in every region (the first version probed only
# DescribeInstances and said "ok" for a role without the rest).
aws_reset
aws_fault "{\"account\":\"$DEV\",\"kind\":\"unauthorized\",\"service\":\"elasticloadbalancing\"}"
cli -- --check-config
[ "$CLI_RC" -ne 0 ]; check "--check-config with dev's ELB denied -> non-zero ($CLI_RC)" $?
expect_eq "--check-config: dev's ELB actions named denied in its 3 regions" \
	"$(grep -cE '^dev +[a-z0-9-]+ +elasticloadbalancing:[A-Za-z]+ +AccessDenied' "$TMP/cli.out")" \
	"$((3 * $("$WORKER" --list-actions | grep -c '^elasticloadbalancing:')))"
expect_eq "--check-config: dev's EC2 still ok" \
	"$(grep -cE '^dev +[a-z0-9-]+ +ec2:[A-Za-z]+ +ok$' "$TMP/cli.out")" \
	"$((3 * $("$WORKER" --list-actions | grep -c '^ec2:')))"

# ---- wrong base secret: every target fails with a signature error ------------

aws_reset
cli AWS_SECRET_ACCESS_KEY=wrongSecretKeyForTheSlashInfraTests0000000 -- search web
# Exit status per slash-infra(8): 1 nothing found, 2 an error talking to AWS.
[ "$CLI_RC" -eq 1 ] || [ "$CLI_RC" -eq 2 ]; check "wrong secret: exit 1 or 2 (got $CLI_RC)" $?
expect_contains "wrong secret: nothing found" "$CLI_OUT" "0 matches for web"
expect_eq "wrong secret: all 7 targets named with SignatureDoesNotMatch" \
	"$(grep -cE '^failed: [a-z]+/[a-z0-9-]+: (SignatureDoesNotMatch|AuthFailure)' "$TMP/cli.out")" 7
expect_eq "wrong secret: stand-in saw only 403s" "$(st "sorted(j['by_status'])")" "['403']"
expect_eq "wrong secret: no describe was attempted" "$(st "j['by_action'].get('DescribeInstances', 0)")" 0
# Skewed clock: not testable without faketime (the worker signs with the
# real time); the stand-in's skew answers are covered by its self-test.

# ---- base credentials from the container endpoint and from IMDSv2 -------------

# tests/standin/creds_standin.py serves fixed keys (ASIA<MODE>STANDIN with a
# session token) that the AWS stand-in does not know, and has no option to
# serve others. So first prove the worker really uses what the container
# endpoint hands out (the stand-in rejects that key as unknown), then serve
# the stand-in's base identity from a small endpoint of our own.
rm -f "$TMP/creds.port"
"$PYTHON3" "$SI_SRCDIR/tests/standin/creds_standin.py" --port 0 --port-file "$TMP/creds.port" \
	--mode container --token ctoken-123 >/dev/null 2>>"$TMP/creds.log" &
PIDS+=("$!")
wait_port_file "$TMP/creds.port"; check "creds_standin (container) started" $?
CREDS_PORT=$(cat "$TMP/creds.port")
# env(1) wants its -u options before any assignment.
NOKEYS=(-u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN)
NOFILES=(AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_CONFIG_FILE=/nonexistent)
aws_reset
cli "${NOKEYS[@]}" "${NOFILES[@]}" AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$CREDS_PORT/v2/credentials" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN=ctoken-123 -- search web
expect_eq "creds_standin keys: the AWS stand-in refuses them (exit 2, no target answered)" "$CLI_RC" 2
expect_eq "creds_standin keys: every target InvalidClientTokenId" \
	"$(grep -c '^failed: .*: InvalidClientTokenId' "$TMP/cli.out")" 7
[ "$(curl -s --max-time 5 "http://127.0.0.1:$CREDS_PORT/_stats" | json_get 'sum(j.values())')" -ge 1 ]
check "creds_standin: the worker fetched its credentials there" $?

# Our own endpoint: container (GET with Authorization) and IMDSv2 (PUT token,
# GET role, GET credentials with the token), handing out the base identity.
cat > "$TMP/base_creds.py" <<'EOF'
import datetime, json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
mode, port_file, akid, secret = sys.argv[1:5]
hits = {"n": 0}
TOKEN, AUTH, ROLE = "imds-session-token-1", "ctoken-base", "slash-infra-node"
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def send(self, code, body):
        b = body.encode()
        self.send_response(code); self.send_header("Content-Length", str(len(b)))
        self.end_headers(); self.wfile.write(b)
    def doc(self):
        hits["n"] += 1
        exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=6)
        return json.dumps({"Code": "Success", "AccessKeyId": akid, "SecretAccessKey": secret,
                           "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")})
    def do_PUT(self):
        if mode == "imds" and self.path == "/latest/api/token" and \
           self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.send(200, TOKEN)
        self.send(403, "")
    def do_GET(self):
        if self.path == "/_hits":
            return self.send(200, str(hits["n"]))
        if mode == "container":
            if self.headers.get("Authorization") != AUTH:
                return self.send(401, "")
            return self.send(200, self.doc())
        if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            return self.send(401, "")
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == base:
            return self.send(200, ROLE)
        if self.path == base + ROLE:
            return self.send(200, self.doc())
        self.send(404, "")
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os; os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
EOF
for mode in container imds; do
	rm -f "$TMP/$mode.port"
	"$PYTHON3" "$TMP/base_creds.py" "$mode" "$TMP/$mode.port" "$BASE_AKID" "$BASE_SECRET" \
		>/dev/null 2>>"$TMP/creds.log" &
	PIDS+=("$!")
	wait_port_file "$TMP/$mode.port"; check "$mode credential endpoint started" $?
done
CPORT=$(cat "$TMP/container.port")
IPORT=$(cat "$TMP/imds.port")

aws_reset
cli "${NOKEYS[@]}" "${NOFILES[@]}" AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$CPORT/v2/credentials" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN=ctoken-base -- search web
expect_eq "container credentials: search succeeds (exit 0)" "$CLI_RC" 0
expect_contains "container credentials: 10 matches" "$CLI_OUT" "10 matches for web in 7 account-regions"
expect_eq "container credentials: fetched once for 3 AssumeRole" \
	"$(curl -s --max-time 5 "http://127.0.0.1:$CPORT/_hits")" 1
expect_eq "container credentials: 3 AssumeRole signed with them" "$(st "j['by_action'].get('AssumeRole', 0)")" 3

aws_reset
cli "${NOKEYS[@]}" -u AWS_EC2_METADATA_DISABLED "${NOFILES[@]}" AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$IPORT" \
	-- search web
expect_eq "IMDSv2 credentials: search succeeds (exit 0)" "$CLI_RC" 0
expect_contains "IMDSv2 credentials: 10 matches" "$CLI_OUT" "10 matches for web in 7 account-regions"
expect_eq "IMDSv2 credentials: fetched once" "$(curl -s --max-time 5 "http://127.0.0.1:$IPORT/_hits")" 1

# IMDS disabled and no other source: a clear per-target error, no AWS call.
aws_reset
cli "${NOKEYS[@]}" "${NOFILES[@]}" -- search web
expect_eq "no credentials at all: exit 1 or 2" "$([ "$CLI_RC" -eq 1 ] || [ "$CLI_RC" -eq 2 ]; echo $?)" 0
expect_eq "no credentials at all: targets named NoCredentials" \
	"$(grep -c '^failed: .*: NoCredentials' "$TMP/cli.out")" 7
expect_eq "no credentials at all: nothing sent to AWS" "$(st "j['total']")" 0

# The worker behind nginx is still healthy after all of the above.
expect_eq "worker healthy at the end" "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" 200
