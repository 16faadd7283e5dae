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
	env "$@" "$SPAWN_FCGI" -n -s "$TMP/worker.sock" "${SOCK_OPTS[@]}" -- "$WORKER" 2>>"$TMP/worker.log" &
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

# Every search, inline or deferred, ends with one audit line, written once
# its answer was handed over (returned inline, or the final POST finished,
# retries included). Tests of delivery wait for that event, never for a
# fixed time: a busy 2-core machine may take seconds to get there.
audit_count() { grep -c 'event=audit ' "$TMP/worker.log" 2>/dev/null || true; }
# wait_audit N: until the worker log holds N audit lines (bounded, 30 s).
wait_audit() {
	for _ in $(seq 300); do
		[ "$(audit_count)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# tree_hwm_kb PID: the largest VmHWM (peak RSS, kB) of PID and every
# process below it: the worker may run its requests in child processes.
tree_hwm_kb() {
	local max=0 p h todo=("$1")
	while [ ${#todo[@]} -gt 0 ]; do
		p=${todo[0]}; todo=("${todo[@]:1}")
		h=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null)
		[ "${h:-0}" -gt "$max" ] && max=$h
		for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do todo+=("$c"); done
	done
	echo "$max"
}
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
	local t0 body msgs audits
	RPATH="/hooks/T1/B1/$NAME"
	audits=$(audit_count)
	LOG_MARK=$(wc -l < "$TMP/worker.log")
	post_body "$(slack_body "$1" "$RECV_URL$RPATH")"
	t0=$T0
	HTTP_STATUS=$(cat "$TMP/post.code")
	body=$(cat "$TMP/post.out")
	NOTICE=""
	if [ "$body" = '{"response_type":"in_channel"}' ]; then
		MODE=deferred
		recv_wait "$RPATH" 2 || log "($NAME: notice and final not both received in 15 s)"
		# The final's delivery has ended (its audit line) before counting,
		# so a duplicate or a late retry would be counted, not missed.
		wait_audit $((audits + 1)) || log "($NAME: no audit line in 30 s)"
		msgs=$(recv_messages "$RPATH")
		N_MSGS=$(printf '%s' "$msgs" | json_get "len(j['messages'])")
		NOTICE=$(printf '%s' "$msgs" | json_get "json.dumps(j['messages'][0]['body'], ensure_ascii=False) if j['messages'] else ''")
		ANSWER=$(printf '%s' "$msgs" | json_get "json.dumps(j['messages'][-1]['body'], ensure_ascii=False) if j['messages'] else ''")
		FINAL_S=$(printf '%s' "$msgs" | json_get "round(j['messages'][-1]['time'] - $t0, 2) if j['messages'] else 999")
	else
		MODE=inline
		ANSWER=$body
		FINAL_S=$(echo "$(date +%s.%N) - $t0" | bc)
		# Nothing may be posted for an inline answer: count once the
		# search has finished (its audit line), not after a guessed time.
		wait_audit $((audits + 1)) || log "($NAME: no audit line in 30 s)"
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
# named CODE[|CODE...] ALIAS/REGION...: each target is named with (one of) CODE in the
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
        if name in code.split("|") and target in [x.strip() for x in items.split(",")]:
            ok = True
sys.exit(0 if ok else 1)' "$c" "$t"
		check "$NAME: $t named $c" $? "($(printf %s "$ANSWER" | head -c 400))"
	done
}
# logged CODE_RE N [SERVICE ACTION_RE [RID]]: the worker logged exactly N
# "target failed" lines for the last search (issue 15: one per failed
# target), each with a code matching CODE_RE, the account's id, and the
# request id of its audit line, which is also the id of a request line (so
# the three join); with SERVICE, the call that failed is named (and with
# RID=rid, AWS's request id too).
logged() {
	local code=$1 n=$2 svc=${3:-} act=${4:-} rid=${5:-} lines audit id
	lines=$(tail -n +"$((LOG_MARK + 1))" "$TMP/worker.log" | grep 'msg="target failed"')
	expect_eq "$NAME: $n \"target failed\" lines logged" \
		"$(printf '%s' "$lines" | grep -c 'level=warn msg="target failed"')" "$n"
	expect_eq "$NAME: each with code $code and the account's id" \
		"$(printf '%s' "$lines" | grep -cE " account_id=[0-9]{12} .* code=($code) ")" "$n"
	audit=$(tail -n +"$((LOG_MARK + 1))" "$TMP/worker.log" | grep 'event=audit ' | head -n 1)
	id=$(printf '%s' "$audit" | sed -n 's/.* request_id=\([^ ]*\) .*/\1/p')
	# An inline answer's request line follows its audit line (written once
	# the response is out): wait for it, bounded.
	for _ in $(seq 50); do
		grep -q "msg=request request_id=$id " "$TMP/worker.log" && break
		sleep 0.1
	done
	[ -n "$id" ] && grep -q "msg=request request_id=$id " "$TMP/worker.log"
	check "$NAME: the audit line's request_id ($id) is a request line's" $?
	expect_eq "$NAME: the failure lines carry it" \
		"$(printf '%s' "$lines" | grep -c " request_id=$id ")" "$n"
	if [ -n "$svc" ]; then
		expect_eq "$NAME: each names the call ($svc $act)" \
			"$(printf '%s' "$lines" | grep -cE " service=$svc action=($act) ")" "$n"
	fi
	if [ "$rid" = rid ]; then
		expect_eq "$NAME: each carries AWS's request id" \
			"$(printf '%s' "$lines" | grep -cE ' aws_request_id=[A-Za-z0-9-]{8,} ')" "$n"
	fi
	case "$lines" in
	*AKIA*|*SECRET*|*aws_secret*|*session_token*|*Signature=*)
		check "$NAME: no credential in the failure lines" 1 ;;
	*) check "$NAME: no credential in the failure lines" 0 ;;
	esac
}
no_failure() { case "$ANSWER" in *"targets failed:"*|*"target failed:"*) check "$NAME: no target failed" 1 "($(printf %s "$ANSWER" | head -c 300))" ;; *) check "$NAME: no target failed" 0 ;; esac; }

# ---- setup ------------------------------------------------------------------

receiver_start || exit 1
aws_start || exit 1
aws_env
stack_start || exit 1

# ---- /readyz (issue 15): ready; not while the state store cannot be written --

out=$(curl -s -w ' %{http_code}' --max-time 5 "$BASE/readyz")
expect_eq "readyz: 200 ready (config loaded, store writable, queue free)" "$out" "ready
 200"
# A store whose directory is missing cannot be opened, let alone written.
worker_restart SLASH_INFRA_STATE_PATH="$TMP/missing-dir/state.db"
out=$(curl -s -w ' %{http_code}' --max-time 5 "$BASE/readyz")
case "$out" in
"not ready: state store: "*" 503") check "readyz: 503 naming the state store" 0 ;;
*) check "readyz: 503 naming the state store" 1 "($out)" ;;
esac
expect_eq "readyz: /healthz (liveness) still 200" \
	"$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/healthz")" 200
grep -q 'msg=request request_id=[0-9a-f]* method=GET route=readyz status=503' "$TMP/worker.log"
check "readyz: the worker logged the refusal" $?

# ---- STS AccessDenied (inline) ----------------------------------------------

begin sts-access-denied
fault $STAGING sts-access-denied
search web
delivered inline 5000
named AccessDenied staging/eu-west-2 staging/eu-west-1
found prod-web-1 prod-web-2 dev-web-1
logged AccessDenied 2 sts AssumeRole rid
expect_eq "$NAME: denied AssumeRole not retried" "$(key_count "AssumeRole:$STAGING:")" 1

# ---- EC2 UnauthorizedOperation (deferred) -------------------------------------

begin ec2-unauthorized
fault $DEV ec2-unauthorized
fault $PROD latency $SLOW_MS
search web
delivered deferred 5000
named UnauthorizedOperation dev/eu-west-2 dev/us-west-2 dev/us-east-1
found prod-web-1 staging-web-1
logged UnauthorizedOperation 3 ec2 'Describe[A-Za-z]+' rid
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
logged x 0
[ "$(status_count 400)" -ge 2 ]; check "$NAME: stand-in answered Throttling and the call was retried" $?
expect_eq "$NAME: one successful AssumeRole into production" "$(( $(key_count "AssumeRole:$PROD:") - $(status_count 400) ))" 1

# ---- HTTP 500 (inline) ----------------------------------------------------------

begin http500
fault $STAGING http500
search web
delivered inline 5000
named InternalFailure staging/eu-west-2 staging/eu-west-1
found prod-web-1 dev-web-1
logged InternalFailure 2 sts AssumeRole
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
logged Timeout 2

# ---- a connection refused (closed without an answer; inline) ------------------------

begin refuse
fault $PROD refuse
search web
delivered inline 5000
named ConnectionError production/eu-west-2 production/us-east-1
found staging-web-1 dev-web-1
logged ConnectionError 2

# ---- expired credentials mid-search: re-assumed once, the search recovers ------

# The first AssumeRole into staging hands out already-expired credentials
# (expire-credentials:1, counted by the stand-in, so no timing is
# involved), so the engine's one re-assume (after EC2's RequestExpired)
# gets good credentials. AssumeRole answers take 0.6 s, which keeps the
# search past the inline budget and the replacement in flight while the
# second describe fails: both staging targets' describes carry the expired
# credentials; the first RequestExpired re-assumes, the second must wait
# for the new credentials rather than fail (common/search/engine.c s_done,
# credential generations).
begin expire-recover SLASH_INFRA_AWS_TIMEOUT_MS=3000
fault $STAGING expire-credentials 1
fault $STAGING latency 600 sts
search web
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
# Each service names expired credentials its own way (EC2 RequestExpired,
# Lambda ExpiredTokenException, ...): whichever answered first is shown.
named 'RequestExpired|ExpiredTokenException|ExpiredToken' dev/eu-west-2 dev/us-west-2 dev/us-east-1
found prod-web-1 staging-web-1
expect_eq "$NAME: re-assumed once, not in a loop" "$(key_count "AssumeRole:$DEV:")" 2

# ---- the endpoint forgets the sessions it issued: re-assumed once, recovered ------

# Issue 11: credentials AWS no longer recognises (AuthFailure from EC2,
# InvalidClientTokenId from STS) stayed cached until they would have
# expired (about 55 minutes), failing every search. Now they are dropped
# from the shared cache and each role is assumed again, once.
begin forget-credentials
NAME=forget-credentials-warm
search web           # fills the shared credential cache: one AssumeRole each
NAME=forget-credentials
warm=$(key_count "AssumeRole:")
forgotten=$(aws_control /_control/forget-credentials '{}' | json_get "j['forgotten']")
[ "${forgotten:-0}" -ge 3 ]; check "$NAME: the stand-in forgot the 3 cached sessions ($forgotten)" $?
search web
delivered inline 5000
found prod-web-1 prod-web-2 staging-web-1 dev-web-1
no_failure
expect_eq "$NAME: warm-up assumed each of the 3 roles once" "$warm" 3
for acct in $PROD $STAGING $DEV; do
	expect_eq "$NAME: role in $acct assumed again exactly once" \
		"$(key_count "AssumeRole:$acct:")" 2
done
[ "$(status_count 401)" -ge 1 ]; check "$NAME: EC2 answered AuthFailure first" $?

# ---- a hostile answer of 1,000,000 items: bounded memory, the target named ------

# Issue 11: a 7 MB answer of 1,000,000 "<item/>" drove the worker's RSS to
# 594 MB. The parser now stops at AWS_XML_MAX_NODES elements and the
# target fails as AnswerTooLarge; the others still answer. Measured on a
# 2-core box: peak 156 MB before the cap (one tree of 1,000,000 nodes at a
# time; the issue saw 594 MB with more at once), 49 MB after (3 answers of
# 7 MB buffered at once, then a parse stopped at 131,072 elements). The
# bound is twice the latter and still well under the former.
HWM_BOUND_KB=$((100 * 1024))
begin huge-answer
fault $DEV huge-answer 1000000 ec2
fault $PROD latency $SLOW_MS
# An instance id: one EC2 call per target, so 3 hostile answers are
# buffered at once as when this bound was set. A Name is asked of every
# EC2 type (15 calls per target), and the peak then grows with the answers
# in flight, up to [search] max_inflight x the 8 MiB answer cap.
search i-0a1b2c3d4e5f60001
delivered deferred 5000
named AnswerTooLarge dev/eu-west-2 dev/us-west-2 dev/us-east-1
found prod-web-1
hwm=$(tree_hwm_kb "$WORKER_PID")
log "($NAME: worker peak RSS (VmHWM) $((hwm / 1024)) MB, now (VmRSS)" \
	"$(awk '/^VmRSS:/ {print int($2 / 1024)}' "/proc/$WORKER_PID/status") MB)"
# Under AddressSanitizer the figure means nothing (shadow memory, and freed
# blocks held in quarantine): the bound is asserted in the plain build, which
# scripts/test.sh always runs too.
if [ -n "${SI_SANITIZERS:-}" ]; then
	log "($NAME: memory bound asserted only in the non-sanitizer build)"
else
	[ "$hwm" -gt 0 ] && [ "$hwm" -lt "$HWM_BOUND_KB" ]
	check "$NAME: worker peak RSS $((hwm / 1024)) MB < $((HWM_BOUND_KB / 1024)) MB" $?
fi

# ---- the response_url fails twice, then accepts ------------------------------------

begin recv-fail-twice
fault $PROD latency $SLOW_MS
# The notice must get through first: the receiver fails the next 2 POSTs
# to the path once it has accepted one (a rule set before the search, so
# nothing races the worker: issue 11 saw 2 POSTs where 4 were due when a
# polling hook armed the failure after the final had already arrived).
RPATH="/hooks/T1/B1/$NAME"
recv_control "{\"fail_next\":2,\"status\":500,\"path\":\"$RPATH\",\"after\":1}"
search web
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
