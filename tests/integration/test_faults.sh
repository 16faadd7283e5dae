#!/usr/bin/env bash
# Faults (issue 5), end to end: nginx -> spawn-fcgi -> the worker -> the AWS
# stand-in, answers to the response_url receiver. One account at a time gets
# a fault; every search must still answer: the other accounts' results, the
# failing targets named (or, for faults that pass, the account's result),
# the final message before the deadline, exactly one final message, and the
# worker still healthy. Then the response_url itself fails.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_aws.sh"

PROD=111111111111
STAGING=222222222222
DEV=333333333333
# A latency larger than the inline budget forces deferred delivery.
SLOW_MS=1300

# Defaults for every scenario; worker_restart VAR=VALUE overrides them.
export SLASH_INFRA_SEARCH_INLINE_BUDGET_MS=1000
export SLASH_INFRA_SEARCH_DEADLINE_MS=5000
# Above SLOW_MS, so a slow answer is waited for.
export SLASH_INFRA_AWS_TIMEOUT_MS=2000
export SLASH_INFRA_AWS_CONNECT_TIMEOUT_MS=500
export SLASH_INFRA_AWS_MAX_ATTEMPTS=2

# ---- helpers (this file only) ---------------------------------------------

# worker_restart [VAR=VALUE...]: a new worker behind the same nginx, so each
# scenario starts with a cold credential cache (an STS fault would otherwise
# never be seen) and its own settings.
worker_restart() {
	kill -TERM "$WORKER_PID" 2>/dev/null
	wait "$WORKER_PID" 2>/dev/null
	rm -f "$TMP/worker.sock"
	env "$@" "$SPAWN_FCGI" -n -s "$TMP/worker.sock" -M 0666 -- "$WORKER" 2>>"$TMP/worker.log" &
	WORKER_PID=$!
	PIDS+=("$WORKER_PID")
	for _ in $(seq 100); do [ -S "$TMP/worker.sock" ] && break; sleep 0.05; done
	wait_http "$BASE/healthz"
}

fault() { # fault ACCOUNT KIND [ARG] [SERVICE]
	local arg=${3:+,\"arg\":$3} svc=${4:+,\"service\":\"$4\"}
	aws_fault "{\"account\":\"$1\",\"kind\":\"$2\"$arg$svc}"
}

key_count() { aws_stats | json_get "sum(v for k, v in j['by_key'].items() if k.startswith('$1'))"; }
status_count() { aws_stats | json_get "j['by_status'].get('$1', 0)"; }

# begin NAME [VAR=VALUE...]: fresh worker, stand-in and receiver state.
begin() {
	NAME=$1; shift
	log "# $NAME"
	worker_restart "$@" || { check "$NAME: worker started" 1; return 1; }
	aws_reset
	aws_control /_control/reset '{"credentials":true}' >/dev/null
	recv_reset
}

# post_body BODY: as lib.sh's post_signed, but everything slow (python
# start-up for the signature) happens before the clock starts: sets T0 and
# runs $SEARCH_HOOK (if set) in the background just before the request.
post_body() {
	local ts sig
	ts=$(date +%s)
	printf '%s' "$1" > "$TMP/post.body"
	sig=$("$PYTHON3" "$SI_SRCDIR/tests/integration/slack_sign.py" "$SECRET" "$ts" "$TMP/post.body")
	T0=$(date +%s.%N)
	HOOK_PID=""
	if [ -n "${SEARCH_HOOK:-}" ]; then
		( eval "$SEARCH_HOOK" ) &
		HOOK_PID=$!
	fi
	curl -s --max-time 10 -o "$TMP/post.out" -w '%{http_code}' \
		-H "Content-Type: application/x-www-form-urlencoded" \
		-H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: $sig" \
		--data-binary "@$TMP/post.body" "$BASE/slack/infra-search" > "$TMP/post.code"
}

# search QUERY: a signed slash command whose response_url is unique to the
# scenario. Sets MODE (inline|deferred), ANSWER (the final message JSON),
# NOTICE (deferred only), N_MSGS (messages the receiver accepted on that
# path) and FINAL_S (seconds from the request to the final message).
search() {
	local t0 body msgs
	RPATH="/hooks/T1/B1/$NAME"
	post_body "$(slack_body "$1" "$RECV_URL$RPATH")"
	t0=$T0
	HTTP_STATUS=$(cat "$TMP/post.code")
	body=$(cat "$TMP/post.out")
	NOTICE=""
	if [ "$body" = '{"response_type":"in_channel"}' ]; then
		MODE=deferred
		recv_wait "$RPATH" 2
		sleep 0.3   # a duplicate final would arrive right after the first
		msgs=$(recv_messages "$RPATH")
		N_MSGS=$(printf '%s' "$msgs" | json_get "len(j['messages'])")
		NOTICE=$(printf '%s' "$msgs" | json_get "json.dumps(j['messages'][0]['body'], ensure_ascii=False) if j['messages'] else ''")
		ANSWER=$(printf '%s' "$msgs" | json_get "json.dumps(j['messages'][-1]['body'], ensure_ascii=False) if j['messages'] else ''")
		FINAL_S=$(printf '%s' "$msgs" | json_get "round(j['messages'][-1]['time'] - $t0, 2) if j['messages'] else 999")
	else
		MODE=inline
		ANSWER=$body
		FINAL_S=$(echo "$(date +%s.%N) - $t0" | bc)
		sleep 0.3   # nothing may be posted for an inline answer
		N_MSGS=$(recv_messages "$RPATH" | json_get "len(j['messages'])")
	fi
}

# delivered WANT_MODE DEADLINE_MS: the checks every scenario shares.
delivered() {
	local want=$1 deadline_s
	deadline_s=$(echo "scale=2; $2 / 1000" | bc)
	expect_eq "$NAME: slash command -> 200" "$HTTP_STATUS" 200
	expect_eq "$NAME: answered $want" "$MODE" "$want"
	if [ "$want" = deferred ]; then
		expect_eq "$NAME: exactly 2 messages on the response_url (notice + final)" "$N_MSGS" 2
		expect_contains "$NAME: the first one is the notice" "$NOTICE" "Searching"
	else
		expect_eq "$NAME: nothing posted to the response_url" "$N_MSGS" 0
	fi
	[ "$(echo "$FINAL_S < $deadline_s" | bc)" = 1 ]
	check "$NAME: final answer before the ${deadline_s} s deadline (${FINAL_S} s)" $?
	expect_eq "$NAME: worker still healthy" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/healthz")" 200
	kill -0 "$WORKER_PID" 2>/dev/null; check "$NAME: worker process still running" $?
}

# found NAME...: each instance name is in the answer.
found() { for n in "$@"; do expect_contains "$NAME: $n present" "$ANSWER" "$n"; done; }
# named CODE ALIAS/REGION...: each target is named with CODE in the
# failure summary ("N of M targets failed: CODE: a/r, a/r; CODE2: ...").
named() {
	local c=$1; shift
	for t in "$@"; do
		printf '%s' "$ANSWER" | "$PYTHON3" -c '
import json, re, sys
code, target = sys.argv[1], sys.argv[2]
j = json.load(sys.stdin)
texts = [e.get("text", "") for b in j.get("blocks", []) if b.get("type") == "context"
         for e in b.get("elements", [])]
ok = False
for t in texts:
    if "targets failed:" not in t and "target failed:" not in t:
        continue
    for group in t.split(":", 1)[1].split(";"):
        name, _, items = group.strip().partition(": ")
        if name == code and target in [x.strip() for x in items.split(",")]:
            ok = True
sys.exit(0 if ok else 1)' "$c" "$t"
		check "$NAME: $t named $c" $? "($(printf %s "$ANSWER" | head -c 400))"
	done
}
no_failure() { case "$ANSWER" in *"targets failed:"*|*"target failed:"*) check "$NAME: no target failed" 1 "($(printf %s "$ANSWER" | head -c 300))" ;; *) check "$NAME: no target failed" 0 ;; esac; }

# ---- setup ------------------------------------------------------------------

receiver_start || exit 1
aws_start || exit 1
aws_env
stack_start || exit 1

# ---- STS AccessDenied (inline) ----------------------------------------------

begin sts-access-denied
fault $STAGING sts-access-denied
search web
delivered inline 5000
named AccessDenied staging/eu-west-2 staging/eu-west-1
found prod-web-1 prod-web-2 dev-web-1
expect_eq "$NAME: denied AssumeRole not retried" "$(key_count "AssumeRole:$STAGING:")" 1

# ---- EC2 UnauthorizedOperation (deferred) -------------------------------------

begin ec2-unauthorized
fault $DEV ec2-unauthorized
fault $PROD latency $SLOW_MS
search web
delivered deferred 5000
named UnauthorizedOperation dev/eu-west-2 dev/us-west-2 dev/us-east-1
found prod-web-1 staging-web-1
expect_eq "$NAME: one describe per dev target, no retry" "$(key_count "DescribeInstances:$DEV:")" 3

# ---- throttling on every call for 2 s: the search recovers ---------------------

# 10 attempts with backoff capped at the 5 s call timeout outlast 2 s of
# throttling (a 1-in-10000 chance that 9 random backoffs sum under 2 s).
begin throttle-2s SLASH_INFRA_AWS_MAX_ATTEMPTS=10 SLASH_INFRA_AWS_TIMEOUT_MS=5000 \
	SLASH_INFRA_SEARCH_DEADLINE_MS=15000
fault $PROD throttle 2
search web
delivered deferred 15000
found prod-web-1 prod-web-2 staging-web-1 dev-web-1
no_failure
[ "$(status_count 400)" -ge 2 ]; check "$NAME: stand-in answered Throttling and the call was retried" $?
expect_eq "$NAME: one successful AssumeRole into production" "$(( $(key_count "AssumeRole:$PROD:") - $(status_count 400) ))" 1

# ---- HTTP 500 (inline) ----------------------------------------------------------

begin http500
fault $STAGING http500
search web
delivered inline 5000
named InternalFailure staging/eu-west-2 staging/eu-west-1
found prod-web-1 dev-web-1
expect_eq "$NAME: the 500 was retried (max_attempts 2)" "$(key_count "AssumeRole:$STAGING:")" 2

# ---- malformed XML from EC2 (deferred) --------------------------------------------

begin malformed-xml
fault $DEV malformed-xml "" ec2
fault $STAGING latency $SLOW_MS ec2
search web
delivered deferred 5000
named MalformedResponse dev/eu-west-2 dev/us-west-2 dev/us-east-1
found prod-web-1 staging-web-1

# ---- a connection that hangs (deferred, cut by a 1 s call timeout x 2 attempts) --

begin hang SLASH_INFRA_AWS_TIMEOUT_MS=1000
fault $STAGING hang
search web
delivered deferred 5000
named Timeout staging/eu-west-2 staging/eu-west-1
found prod-web-1 dev-web-1

# ---- a connection refused (closed without an answer; inline) ------------------------

begin refuse
fault $PROD refuse
search web
delivered inline 5000
named ConnectionError production/eu-west-2 production/us-east-1
found staging-web-1 dev-web-1

# ---- expired credentials mid-search: re-assumed once, the search recovers ------

# AssumeRole into staging hands out already-expired credentials, slowly
# (2 s); the fault is lifted 0.8 s after the request, while that answer is
# on its way, so the engine's one re-assume (after EC2's RequestExpired)
# gets good credentials. (The stand-in picks a request's faults when the
# request arrives.)
# Both staging targets' describes carry the expired credentials: the first
# RequestExpired re-assumes, the second must wait for the new credentials
# rather than fail (common/search/engine.c s_done, credential generations).
begin expire-recover SLASH_INFRA_AWS_TIMEOUT_MS=3000
fault $STAGING expire-credentials
fault $STAGING latency 2000 sts
SEARCH_HOOK="sleep 0.8; aws_control /_control/clear-faults '{}' >/dev/null"
search web
SEARCH_HOOK=""
wait "$HOOK_PID"
delivered deferred 5000
found prod-web-1 dev-web-1 staging-web-1
no_failure
expect_eq "$NAME: AssumeRole into staging twice (expired, then re-assumed)" "$(key_count "AssumeRole:$STAGING:")" 2
[ "$(status_count 400)" -ge 1 ]; check "$NAME: EC2 answered RequestExpired first" $?

# Credentials that stay expired: re-assumed once only, then the target is named.
begin expire-always
fault $DEV expire-credentials
search web
delivered inline 5000
named RequestExpired dev/eu-west-2 dev/us-west-2 dev/us-east-1
found prod-web-1 staging-web-1
expect_eq "$NAME: re-assumed once, not in a loop" "$(key_count "AssumeRole:$DEV:")" 2

# ---- the response_url fails twice, then accepts ------------------------------------

begin recv-fail-twice
fault $PROD latency $SLOW_MS
# The notice must get through first: fail the receiver once it has arrived.
RPATH="/hooks/T1/B1/$NAME"
SEARCH_HOOK="recv_wait $RPATH 1 && recv_control '{\"fail_next\":2,\"status\":500}'"
search web
SEARCH_HOOK=""
wait "$HOOK_PID"
delivered deferred 5000
found prod-web-1 staging-web-1 dev-web-1
expect_eq "$NAME: 4 POSTs on the path (notice 1 + final 3)" \
	"$(recv_messages "$RPATH" | json_get "j['attempts'].get('$RPATH', 0)")" 4
grep -q 'msg="response_url delivery" kind=final attempts=3 http_status=200 result=delivered' "$TMP/worker.log"
check "$NAME: worker logs the final delivered on attempt 3" $?

# ---- the response_url always fails ---------------------------------------------------

begin recv-always-fail
fault $PROD latency $SLOW_MS
recv_control '{"always_fail":true}'
RPATH="/hooks/T1/B1/$NAME"
r=$(post_signed "$(slack_body web "$RECV_URL$RPATH")")
expect_eq "$NAME: slash command acknowledged" "$r" '200 {"response_type":"in_channel"}'
for _ in $(seq 100); do
	grep -q 'kind=final attempts=3 http_status=500 result=failed' "$TMP/worker.log" && break
	sleep 0.1
done
grep -q 'level=error msg="response_url delivery" kind=final attempts=3 http_status=500 result=failed' "$TMP/worker.log"
check "$NAME: worker logs the failed final delivery" $?
grep -q 'event=audit .*delivery=error' "$TMP/worker.log"
check "$NAME: audit line says the delivery failed" $?
expect_eq "$NAME: nothing accepted on the path" "$(recv_messages "$RPATH" | json_get "j['counts'].get('$RPATH', 0)")" 0
expect_eq "$NAME: 6 POSTs tried (notice 3 + final 3), no more" \
	"$(recv_messages "$RPATH" | json_get "j['attempts'].get('$RPATH', 0)")" 6
expect_eq "$NAME: worker still healthy" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/healthz")" 200
recv_control '{"always_fail":false}'
