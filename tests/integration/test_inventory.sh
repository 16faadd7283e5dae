#!/usr/bin/env bash
# Issue 13: the inventory crawler against the AWS stand-in, on SQLite in
# the test's directory. `inventory refresh` writes every target; an
# instance terminated and its address reused by a new one shows as two
# holders with AWS's times; kill -9 in the middle of a refresh keeps the
# last data; the served worker's crawler fills the store by itself and
# stops at once; the request budget holds; a batch past the search's match
# cap is crawled again target by target; a broken store is reported.
# Every wait is bounded; no fixed sleeps.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_aws.sh"

aws_start || exit 1
aws_env
export SLASH_INFRA_STATE_PATH=$TMP/inventory.db

INV() { "$WORKER" inventory "$@"; }
now_ms() { date +%s%3N; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
calls() { aws_stats | json_get 'j["total"]'; }
# ec2 calls to one account and region so far.
ec2_calls() {
	aws_stats | json_get "sum(v for k, v in j['by_call_key'].items() if k.startswith('ec2:') and k.endswith(':$1:$2'))"
}
# Stop nginx and the served worker only (stack_stop would also end the
# AWS stand-in); bounded wait.
served_stop() {
	local keep=() p
	[ -f "$TMP/nginx.pid" ] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null
	kill -TERM "$WORKER_PID" 2>/dev/null
	for _ in $(seq 1200); do kill -0 "$WORKER_PID" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$WORKER_PID" 2>/dev/null
	for _ in $(seq 1200); do [ -f "$TMP/nginx.pid" ] || break; sleep 0.05; done
	for p in "${PIDS[@]}"; do [ "$p" = "$WORKER_PID" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}
# "alias region service resources" of every status row (no ages).
status_rows() { INV status | awk 'NR > 1 && $2 ~ /^[0-9]+$/ { print $1, $3, $4, $5 }'; }

# --- 1. a refresh writes every target -----------------------------------------
c0=$(calls); t0=$(now_ms)
out=$(INV refresh 2>&1); rc=$?
t1=$(now_ms); c1=$(calls)
printf '%s\n' "$out" > "$TMP/refresh1.out"
expect_eq "inventory refresh exits 0 (every target written)" "$rc" 0
summary=$(printf '%s\n' "$out" | tail -n 1)
ntargets=$(printf '%s\n' "$summary" | awk '{ print $1 }')
log "figure: refresh of the default fixture: $ntargets targets, $((c1 - c0)) AWS calls, $((t1 - t0)) ms"
log "figure: $summary"
expect_contains "no target failed" "$summary" "written, 0 failed"
for t in "production eu-west-2" "production us-east-1" "staging eu-west-2" "staging eu-west-1" \
	"dev eu-west-2" "dev us-west-2" "dev us-east-1"; do
	a=${t% *}; r=${t#* }
	printf '%s\n' "$out" | grep -qE "^$a +[0-9]{12} +$r +ec2 +[0-9]+ resources"
	check "refresh wrote $a $r ec2" $?
done
for a in production staging dev; do
	printf '%s\n' "$out" | grep -qE "^$a +[0-9]{12} +global +route53 +[0-9]+ resources"
	check "refresh wrote $a's Route 53 (global)" $?
done
rows=$(status_rows)
expect_eq "status shows every target refresh wrote" "$(printf '%s\n' "$rows" | wc -l)" "$ntargets"
st=$(INV status); rc=$?
expect_eq "inventory status exits 0" "$rc" 0
expect_contains "status: no target with an error" "$(printf '%s\n' "$st" | tail -n 1)" \
	"resources, 0 with an error"
# What the stand-in holds in production eu-west-2 is in the index: every
# instance with an address is found by its id.
for id in $(curl -s "$AWS_URL/_control/region?account=111111111111&region=eu-west-2" |
	json_get '" ".join(i["id"] for i in j["instances"] if i.get("private_ip"))'); do
	INV history "$id" >/dev/null
	check "instance $id is in the index" $?
done
expect_contains "status: totals say nothing is never crawled" "$(printf '%s\n' "$st" | tail -n 1)" \
	"0 never crawled"
expect_contains "status: the size per 100,000 resources" "$(printf '%s\n' "$st" | tail -n 1)" \
	"per 100,000 resources"
# account: and region: narrow the lines (alias or id) and the totals.
st=$(INV status account:staging region:eu-west-2); rc=$?
expect_eq "status account:staging region:eu-west-2 exits 0" "$rc" 0
expect_eq "status narrowed: staging's eu-west-2 targets only" \
	"$(printf '%s\n' "$st" | awk 'NR > 1 && $2 ~ /^[0-9]+$/ { print $1, $3 }' | sort -u)" \
	"staging eu-west-2"
sid=$(printf '%s\n' "$st" | awk 'NR == 2 { print $2 }')
# The same rows but for their age, which may tick between the two calls.
expect_eq "status by account id shows the same rows as by alias" \
	"$(INV status "account:$sid" region:eu-west-2 |
		awk 'NR > 1 && $2 ~ /^[0-9]+$/ { print $1, $2, $3, $4, $5 }')" \
	"$(printf '%s\n' "$st" | awk 'NR > 1 && $2 ~ /^[0-9]+$/ { print $1, $2, $3, $4, $5 }')"
INV status region:nowhere-1 >/dev/null; rc=$?
expect_eq "status of a region never crawled exits 1" "$rc" 1
INV status bogus >/dev/null 2>&1; rc=$?
expect_eq "status with a word that is no filter exits 2" "$rc" 2
INV history 192.0.2.99 >/dev/null; rc=$?
expect_eq "history of an address nobody held exits 1" "$rc" 1
INV frobnicate >/dev/null 2>&1; rc=$?
expect_eq "an unknown inventory subcommand exits 2" "$rc" 2
INV refresh account:nosuch >/dev/null 2>&1; rc=$?
expect_eq "refresh of an unknown account exits 2" "$rc" 2

# --- 2. history: an address reused after its holder was terminated ----------
now=$(curl -s "$AWS_URL/_control/clock" | json_get 'int(j["now_epoch"])')
t_term=$((now - 600)); t_launch=$((now - 300))
term=$(aws_control /_control/terminate "{\"account\":\"111111111111\",\"region\":\"eu-west-2\",\"instance\":\"i-0a1b2c3d4e5f60002\",\"at\":\"$(iso $t_term)\"}")
expect_contains "stand-in terminated prod-web-2" "$term" '"state": "terminated"'
old_launch=$(printf '%s' "$term" | json_get 'j["launch_time"]')
old_launch=${old_launch%.000Z}Z
launch=$(aws_control /_control/launch "{\"account\":\"111111111111\",\"region\":\"eu-west-2\",\"instance\":\"i-0a1b2c3d4e5f6000f\",\"subnet\":\"subnet-0111000000000a002\",\"private_ip\":\"10.10.2.20\",\"name\":\"prod-web-7\",\"launch_time\":\"$(iso $t_launch)\"}")
expect_contains "stand-in launched prod-web-7 on 10.10.2.20" "$launch" '"private_ip": "10.10.2.20"'
out=$(INV refresh account:production region:eu-west-2 2>&1); rc=$?
expect_eq "second refresh (production eu-west-2) exits 0" "$rc" 0
case "$(printf '%s\n' "$out" | grep ' ec2 ')" in
*"(0 new, 0 changed, 0 gone)"*) check "second refresh: ec2 saw the change" 1 ;;
*) check "second refresh: ec2 saw the change" 0 ;;
esac
hist=$(INV history 10.10.2.20); rc=$?
printf '%s\n' "$hist" > "$TMP/history.out"
expect_eq "history 10.10.2.20 exits 0" "$rc" 0
expect_eq "history 10.10.2.20: two holders" "$(printf '%s\n' "$hist" | sed -n '1s/.*: \([0-9]*\) stretch.*/\1/p')" 2
l1=$(printf '%s\n' "$hist" | sed -n 2p); l2=$(printf '%s\n' "$hist" | sed -n 3p)
expect_contains "first holder: prod-web-2 from its LaunchTime to AWS's termination time" "$l1" \
	"$old_launch → $(iso $t_term)  10.10.2.20  instance i-0a1b2c3d4e5f60002 (prod-web-2)"
expect_contains "first holder ended: terminated" "$l1" "terminated"
expect_contains "second holder: prod-web-7 from its launch time, still held" "$l2" \
	"$(iso $t_launch) → now  10.10.2.20  instance i-0a1b2c3d4e5f6000f (prod-web-7)"
expect_contains "second holder is held" "$l2" "held"
hist=$(INV history i-0a1b2c3d4e5f60002)
expect_contains "history by id: its public address ended at the termination too" "$hist" \
	"→ $(iso $t_term)  18.130.20.20"

# --- 3. kill -9 in the middle of a refresh ------------------------------------
before=$(status_rows)
c0=$(calls)
SLASH_INFRA_INVENTORY_RATE_PER_S=1 "$WORKER" inventory refresh > "$TMP/killed.out" 2>&1 &
kpid=$!
for _ in $(seq 1200); do
	[ "$(calls)" -ge $((c0 + 8)) ] && break
	sleep 0.05
done
[ "$(calls)" -ge $((c0 + 8)) ]; check "the slow refresh started calling AWS" $?
# While it lists, status names it on the targets it holds, and a second
# refresh of such a target leaves it to it (held, not crawled twice).
held=0 claimed=
for _ in $(seq 3); do
	claimed=$(INV status | grep -F '[being crawled by ' | head -n 1)
	[ -n "$claimed" ] || continue
	out=$(INV refresh "account:$(printf '%s\n' "$claimed" | awk '{ print $1 }')" \
		"region:$(printf '%s\n' "$claimed" | awk '{ print $3 }')" 2>&1)
	held=$(printf '%s\n' "$out" | tail -n 1 | sed -n 's/.* \([0-9]*\) held by another crawler.*/\1/p')
	[ "${held:-0}" -ge 1 ] && break
done
[ -n "$claimed" ]; check "status names the crawler listing a target ($claimed)" $?
[ "${held:-0}" -ge 1 ]; check "a second refresh leaves the targets it lists to it ($held held)" $?
kill -9 "$kpid" 2>/dev/null; wait "$kpid" 2>/dev/null
after=$(status_rows); rc=$?
expect_eq "after kill -9 the store reads, with the previous data" "$after" "$before"
INV history 10.10.2.20 >/dev/null; check "history still answers after kill -9" $?
out=$(INV refresh 2>&1); rc=$?
expect_eq "the next refresh completes" "$rc" 0
expect_contains "the next refresh wrote every target" "$(printf '%s\n' "$out" | tail -n 1)" \
	"$ntargets targets: $ntargets written"

# --- 4. the request budget: rate_per_s=2 ---------------------------------------
c0=$(ec2_calls 111111111111 eu-west-2); t0=$(now_ms)
SLASH_INFRA_INVENTORY_RATE_PER_S=2 INV refresh account:production region:eu-west-2 >/dev/null
rc=$?
t1=$(now_ms); n=$(( $(ec2_calls 111111111111 eu-west-2) - c0 ))
expect_eq "refresh at 2 requests/s exits 0" "$rc" 0
[ "$n" -ge 13 ]; check "one target's EC2 listing made its calls ($n)" $?
# A bucket of 2 tokens, refilled at 2 a second: n calls take at least
# (n - 2) / 2 seconds.
floor=$(( (n - 2) * 1000 / 2 ))
log "figure: $n EC2 calls of one target at 2/s in $((t1 - t0)) ms (floor $floor ms)"
[ $((t1 - t0)) -ge "$floor" ]; check "EC2 calls no faster than 2 a second ($((t1 - t0)) >= $floor ms)" $?

# --- 5. a store that cannot be used is reported, never a crash ---------------
out=$(SLASH_INFRA_STATE_PATH=$TMP/no-such-dir/state.db INV refresh 2>&1); rc=$?
expect_eq "refresh into a missing directory exits 2" "$rc" 2
expect_contains "refresh says why" "$out" "no-such-dir"
head -c 8192 /dev/urandom > "$TMP/corrupt.db"
out=$(SLASH_INFRA_STATE_PATH=$TMP/corrupt.db INV status 2>&1); rc=$?
expect_eq "status of a corrupt store exits 2" "$rc" 2
out=$(SLASH_INFRA_STATE_PATH=$TMP/corrupt.db INV refresh 2>&1); rc=$?
expect_eq "refresh into a corrupt store exits 2" "$rc" 2

# --- 6. the crawler thread of the served worker ----------------------------------
export SLASH_INFRA_STATE_PATH=$TMP/served.db
export SLASH_INFRA_INVENTORY_ENABLED=on SLASH_INFRA_INVENTORY_REFRESH_S=5
stack_start || exit 1
ok=1
for _ in $(seq 600); do
	n=$(INV status 2>>"$TMP/status-wait.err" | awk 'NR > 1 && $2 ~ /^[0-9]+$/ && $6 != "never"' | wc -l)
	echo "n=$n" >> "$TMP/status-wait.err"; [ "$n" -eq "$ntargets" ] && { ok=0; break; }
	sleep 0.1
done
check "the served worker's crawler wrote all $ntargets targets, no command given" $ok
grep -q 'msg="inventory crawler started"' "$TMP/worker.log"; check "worker 0 logged its crawler" $?
for _ in $(seq 600); do
	[ "$(grep -c 'inventory: crawl cycle done' "$TMP/worker.log")" -ge 2 ] && break
	sleep 0.1
done
[ "$(grep -c 'inventory: crawl cycle done' "$TMP/worker.log")" -ge 2 ]
check "the crawler refreshed again after refresh_s" $?
st=$(curl -s "$BASE/healthz")
expect_eq "/healthz ok while the crawler runs" "$st" "ok"
served_stop

# The stop does not wait for a crawl in progress (its search is
# discarded; nothing half-written stays).
export SLASH_INFRA_STATE_PATH=$TMP/served-slow.db SLASH_INFRA_INVENTORY_RATE_PER_S=1
c0=$(calls)
stack_start || exit 1
for _ in $(seq 1200); do
	[ "$(calls)" -ge $((c0 + 8)) ] && break
	sleep 0.05
done
t0=$(now_ms)
kill -TERM "$WORKER_PID"
for _ in $(seq 1200); do kill -0 "$WORKER_PID" 2>/dev/null || break; sleep 0.05; done
t1=$(now_ms)
kill -0 "$WORKER_PID" 2>/dev/null; alive=$?
expect_eq "the worker stopped" "$alive" 1
log "figure: stop during a crawl took $((t1 - t0)) ms"
[ $((t1 - t0)) -lt 3000 ]; check "a stop during a crawl takes under 3 s ($((t1 - t0)) ms)" $?
grep -q 'inventory crawl interrupted at stop' "$TMP/worker.log"
check "the interrupted crawl is logged" $?
INV status >/dev/null; rc=$?
[ "$rc" -le 1 ]; check "the store reads after the interrupted crawl (exit $rc)" $?
served_stop
unset SLASH_INFRA_INVENTORY_RATE_PER_S

# A served worker whose store is corrupt: the crawler logs it once, the
# worker serves and /healthz says degraded.
cp "$TMP/corrupt.db" "$TMP/served-corrupt.db"
export SLASH_INFRA_STATE_PATH=$TMP/served-corrupt.db
: > "$TMP/worker.log"
stack_start || exit 1
for _ in $(seq 1200); do
	grep -q 'inventory: state store unavailable' "$TMP/worker.log" && break
	sleep 0.05
done
grep -q 'inventory: state store unavailable' "$TMP/worker.log"
check "a corrupt store is logged by the crawler" $?
st=$(curl -s "$BASE/healthz")
expect_contains "/healthz degraded, the worker serving" "$st" "degraded"
served_stop
export SLASH_INFRA_INVENTORY_ENABLED=off
unset SLASH_INFRA_INVENTORY_REFRESH_S

# --- 7. a batch past the search's match cap ----------------------------------------
# 16 generated accounts, one region, 400 instances each: 804 EC2
# resources a target, 12,864 in all, past SEARCH_MAX_MATCHES (10,000).
# The first crawl guesses small targets, puts all 16 in one search, and
# must crawl them again one by one; nothing may be marked gone.
aws_start --generate-org 16 1 400 || exit 1
export AWS_ACCESS_KEY_ID=AKIASTANDINBASE00001
export AWS_SECRET_ACCESS_KEY=standinBaseSecretKey/0000000000000000000
export AWS_ENDPOINT_URL=$AWS_URL
unset SLASH_INFRA_CONFIG
for i in $(seq 0 15); do
	export "AWS_ROLE_G$i=arn:aws:iam::$((400000000000 + i)):role/InfraSearchReadOnly"
done
export SLASH_INFRA_STATE_PATH=$TMP/org.db SLASH_INFRA_INVENTORY_RATE_PER_S=1000
out=$(INV refresh 2>&1); rc=$?
printf '%s\n' "$out" > "$TMP/org1.out"
expect_eq "generated org: refresh exits 0" "$rc" 0
n804=$(printf '%s\n' "$out" | grep -cE ' ec2 +804 resources')
expect_eq "every one of the 16 EC2 targets complete (804 resources)" "$n804" 16
expect_contains "generated org: no target failed" "$(printf '%s\n' "$out" | tail -n 1)" \
	"96 targets: 96 written, 0 failed"
log "figure: generated org first refresh: $(printf '%s\n' "$out" | tail -n 1)"
searches=$(printf '%s\n' "$out" | tail -n 1 | sed -n 's/.*; \([0-9]*\) searches;.*/\1/p')
# One search per service, plus the 16 EC2 targets again one by one.
[ "${searches:-0}" -ge 22 ]
check "the overflowing EC2 batch was searched again per target ($searches searches)" $?
out=$(INV refresh 2>&1); rc=$?
expect_eq "generated org: second refresh exits 0" "$rc" 0
expect_contains "second refresh: nothing new, changed or gone" \
	"$(printf '%s\n' "$out" | tail -n 1)" "(0 new, 0 changed, 0 gone)"
log "figure: generated org refresh: $(printf '%s\n' "$out" | tail -n 1)"

# A Name held in every account (past IDX_NAME_MAX rows): answered from
# the inventory alone, no AWS call, each match saying so; counted by
# the account-regions its matches are in.
c0=$(calls)
out=$("$WORKER" search web 2>&1); rc=$?
printf '%s\n' "$out" > "$TMP/org-name.out"
expect_eq "a Name of many holders: search exits 0 (found)" "$rc" 0
expect_eq "a Name of many holders: no AWS call" "$(calls)" "$c0"
expect_contains "a Name of many holders: the note says the inventory answered" "$out" \
	"more than 200 resources of that name, from the inventory (each with its age), not asked of AWS"
expect_contains "a Name of many holders: the note says how to narrow it" "$out" \
	"narrow with account: or region:"
expect_contains "a Name of many holders: 200 shown" "$out" "200 matches for web"
# account: narrows the inventory's lookup to that account's own rows
# (under IDX_NAME_MAX there): confirmed live in its one target only.
others() { # calls to accounts other than G3 so far (STS aside)
	aws_stats | json_get "sum(v for k, v in j['by_call_key'].items() if not k.startswith('sts:') and ':400000000003:' not in k)"
}
o0=$(others) c0=$(calls)
out=$("$WORKER" search web account:G3 2>&1); rc=$?
printf '%s\n' "$out" > "$TMP/org-name-g3.out"
expect_eq "a Name in one account: exits 0" "$rc" 0
expect_eq "a Name in one account: no call to another account" "$(others)" "$o0"
[ "$(calls)" -gt "$c0" ]; check "a Name in one account: confirmed live there" $?
expect_contains "a Name in one account: the note says where it went" "$out" \
	"Searched only where the inventory places it: web"
expect_contains "a Name in one account: in 1 account-region" "$out" "in 1 account-region,"
