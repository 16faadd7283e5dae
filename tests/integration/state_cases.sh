# The state store through real nginx (issue 11), for one backend: sourced
# by test_state_sqlite.sh and test_state_pg.sh after they chose it
# (STATE_BACKEND=sqlite|pg; for pg, lib_pg.sh's server is up and
# SLASH_INFRA_STATE_URL points at it). The cases:
#   (b) a captured signed request replayed after a full restart -> 401
#       replayed; Slack's retry of it -> 200, nothing started;
#   (a) kill -9 of the worker holding most of 10 deferred searches (AWS
#       slow): 10 final messages at the response_url receiver, exactly once
#       each, and no second "Searching..." notice;
#   (d) the store gone: searches still answered live, /healthz says
#       "degraded: state store: ...", one log line per worker, and the
#       return logged once;
#   (c) two supervisors on two sockets behind ONE nginx upstream sharing
#       the store: a replay sent to the second (which never saw the
#       original) is refused; a search whose whole first supervisor was
#       killed (kill -9, its workers too) is finished by the other.
# Every wait is for an event, with a generous bound.
. "$(dirname "$0")/lib_aws.sh"

export SLASH_INFRA_WORKERS=2
export SLASH_INFRA_AWS_TIMEOUT_MS=20000
export SLASH_INFRA_AWS_MAX_ATTEMPTS=1
export SLASH_INFRA_SEARCH_DEADLINE_MS=60000

aws_start --quiet || exit 1
receiver_start || exit 1
aws_env
stack_start || exit 1

kids_of() { pgrep -P "$1" | sort; }
# wait_for N CMD...: until CMD succeeds, N x 0.1 s at most.
wait_for() { local n=$1; shift; for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done; return 1; }
# stores_open N: the worker log shows at least N stores opened. A worker
# whose first open failed (two workers creating a fresh database on a
# loaded machine can wait out the busy timeout) checks replays in memory
# only until its journal opens the store on a later tick: the cases below
# need every worker's store open, so they wait for it (bounded, 60 s).
stores_open() { [ "$(grep -c 'msg="state store open"' "$TMP/worker.log")" -ge "$1" ]; }
wait_for 600 stores_open "$SLASH_INFRA_WORKERS"
healthz_body() { curl -s --max-time 5 "$BASE/healthz"; }
healthz_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/healthz"; }

# state_sql SQL: rows of a query on the store, fields joined by '|'.
state_sql() {
	if [ "$STATE_BACKEND" = pg ]; then
		"$PG_BINDIR/psql" -At -h "$PG_DIR" -p 5432 -U "$PG_TEST_USER" -d "$PG_DB" -c "$1"
	else
		"$PYTHON3" - "$SLASH_INFRA_STATE_PATH" "$1" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
for r in c.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in r))
PY
	fi
}

# tag_counts TAG: "paths notices finals max_per_path" over /hooks/TAG/*.
tag_counts() {
	recv_messages | "$PYTHON3" -c '
import json, sys
tag = sys.argv[1]
j = json.load(sys.stdin)
ms = [m for m in j["messages"] if m["path"].startswith("/hooks/%s/" % tag)]
paths = {m["path"] for m in ms}
notices = sum("Searching" in m["raw"] for m in ms)
per = {}
for m in ms:
    per[m["path"]] = per.get(m["path"], 0) + 1
print(len(paths), notices, len(ms) - notices, max(per.values()) if per else 0)
' "$1"
}
# tag_at_least TAG FIELD N: field (1 paths, 2 notices, 3 finals) >= N.
tag_at_least() { [ "$(tag_counts "$1" | cut -d' ' -f"$2")" -ge "$3" ]; }

# finals_once TAG N: wait (bounded, 90 s) for N finals, then check that
# each of the N paths got exactly one notice and one final.
finals_once() {
	local tag=$1 n=$2 c
	wait_for 900 tag_at_least "$tag" 3 "$n"
	sleep 1   # a duplicate, if any, would arrive now: checked below
	c=$(tag_counts "$tag")
	expect_eq "$STATE_BACKEND: $n searches ($tag): paths notices finals max-per-path" "$c" \
		"$n $n $n 2"
}

# restart_supervisor [gone]: a full restart of the first supervisor
# (SIGTERM, wait, start again on the same socket and the same store), ready
# once every worker opened the store (not waited for with "gone": a store
# that cannot open).
restart_supervisor() {
	local opened
	opened=$(grep -c 'msg="state store open"' "$TMP/worker.log")
	kill -TERM "$WORKER_PID"
	wait_for 300 eval '! kill -0 "$WORKER_PID" 2>/dev/null'
	wait "$WORKER_PID" 2>/dev/null
	rm -f "$TMP/worker.sock"
	"$SPAWN_FCGI" -n -s "$TMP/worker.sock" "${SOCK_OPTS[@]}" -- "$WORKER" 2>>"$TMP/worker.log" &
	WORKER_PID=$!
	PIDS+=("$WORKER_PID")
	wait_http "$BASE/healthz" || return 1
	[ "${1:-}" = gone ] || wait_for 600 stores_open $((opened + SLASH_INFRA_WORKERS))
}

# ---- (b) replay after a full restart ----------------------------------------
body=$(slack_body 'help' "$RECV_URL/hooks/replay/1")
ts=$(date +%s)
r=$(post_signed "$body" "$ts")
expect_eq "$STATE_BACKEND: a signed request -> 200" "${r%% *}" 200
restart_supervisor
check "$STATE_BACKEND: restarted" $?
r=$(post_signed "$body" "$ts")
expect_eq "$STATE_BACKEND: the same request after a full restart -> 401 replayed" "$r" \
	"401 replayed"
r=$(post_signed "$body" "$ts" -H 'X-Slack-Retry-Num: 1')
expect_eq "$STATE_BACKEND: Slack's retry of it after the restart -> 200, empty" "$r" "200 "

# ---- (a) kill -9 of a worker during 10 deferred searches --------------------
wait_for 100 eval '[ "$(kids_of "$WORKER_PID" | wc -l)" = 2 ]'
aws_fault '{"account":"*","kind":"latency","arg":3000}'
"$PYTHON3" "$SI_SRCDIR/tests/integration/slack_load.py" "$BASE" "$SECRET" 10 web \
	"$RECV_URL/hooks" --tag k9 > "$TMP/k9.out"
expect_eq "$STATE_BACKEND: 10 searches acknowledged (deferred)" \
	"$(grep -c '"kind": "ack"' "$TMP/k9.out")" 10
wait_for 300 tag_at_least k9 2 10
# The worker holding most of them, from the journal itself.
owners=$(state_sql "SELECT owner FROM journal WHERE delivered_at IS NULL AND response_url LIKE '%/hooks/k9/%'")
expect_eq "$STATE_BACKEND: the 10 acknowledged searches are in the journal" \
	"$(printf '%s\n' "$owners" | grep -c .)" 10
victim=$(printf '%s\n' "$owners" | cut -d: -f2 | sort | uniq -c | sort -rn | head -n 1 |
	awk '{print $2}')
kids_of "$WORKER_PID" | grep -qx "$victim"
check "$STATE_BACKEND: the victim ($victim) is one of the supervisor's workers" $?
kill -9 "$victim"
finals_once k9 10
left=$(state_sql "SELECT count(*) FROM journal WHERE delivered_at IS NULL AND response_url LIKE '%/hooks/k9/%'")
expect_eq "$STATE_BACKEND: all 10 marked delivered in the journal" "$left" 0
grep -q "a dead worker's searches released.*worker_pid=$victim" "$TMP/worker.log"
check "$STATE_BACKEND: the supervisor released the dead worker's searches" $?
grep -q 'msg="journal search claimed"' "$TMP/worker.log"
check "$STATE_BACKEND: another worker claimed them" $?
aws_reset

# ---- (d) the store gone -----------------------------------------------------
degraded_lines() { grep -c 'msg="state store degraded' "$1"; }
healthz_degraded() { case "$(healthz_body)" in "degraded: state store: "*) return 0 ;; esac; return 1; }
healthz_ok() { [ "$(healthz_body)" = ok ]; }
before=$(degraded_lines "$TMP/worker.log")
if [ "$STATE_BACKEND" = pg ]; then
	pg_server_stop
else
	# SQLite: a state directory that does not exist (yet), from the start
	# (as root, a directory made unwritable would still be written).
	saved_path=$SLASH_INFRA_STATE_PATH
	export SLASH_INFRA_STATE_PATH="$TMP/gone/state.db"
	restart_supervisor gone
fi
r=$(post_signed "$(slack_body 'web' "$RECV_URL/hooks/gone/inline")")
expect_contains "$STATE_BACKEND: store gone: a search answered inline" "$r" '"blocks"'
aws_fault '{"account":"*","kind":"latency","arg":2500}'
r=$(post_signed "$(slack_body 'web' "$RECV_URL/hooks/gone/1")")
expect_eq "$STATE_BACKEND: store gone: a slow search acknowledged" "$r" \
	'200 {"response_type":"in_channel"}'
recv_wait /hooks/gone/1 2
check "$STATE_BACKEND: store gone: its notice and final delivered" $?
aws_reset
for _ in 1 2 3 4; do post_signed "$(slack_body 'help')" >/dev/null; done
wait_for 100 healthz_degraded
b=$(healthz_body)
expect_contains "$STATE_BACKEND: /healthz says degraded" "$b" "degraded: state store: "
expect_eq "$STATE_BACKEND: /healthz stays 200 (searches are answered)" "$(healthz_code)" 200
n=$(($(degraded_lines "$TMP/worker.log") - before))
[ "$n" -ge 1 ] && [ "$n" -le 2 ]
check "$STATE_BACKEND: one degraded line per worker, not per request ($n for 2 workers)" $?
if [ "$STATE_BACKEND" = pg ]; then
	pg_server_start
else
	mkdir "$TMP/gone"
fi
wait_for 300 healthz_ok
expect_eq "$STATE_BACKEND: store back: /healthz ok" "$(healthz_body)" ok
grep -q 'msg="state store ok again"' "$TMP/worker.log"
check "$STATE_BACKEND: the return is logged" $?
if [ "$STATE_BACKEND" != pg ]; then
	export SLASH_INFRA_STATE_PATH=$saved_path
	restart_supervisor
fi

# ---- (c) two supervisors behind one upstream, one store ---------------------
# The original request reaches the first supervisor only (the second is
# not in the upstream yet), so the second can refuse its replay only
# through the shared store.
body=$(slack_body 'help' "$RECV_URL/hooks/two/0")
ts=$(date +%s)
r=$(post_signed "$body" "$ts")
expect_eq "$STATE_BACKEND: original request (first supervisor) -> 200" "${r%% *}" 200
"$SPAWN_FCGI" -n -s "$TMP/worker2.sock" "${SOCK_OPTS[@]}" -- "$WORKER" 2>>"$TMP/worker2.log" &
B_PID=$!
PIDS+=("$B_PID")
wait_for 100 test -S "$TMP/worker2.sock"
wait_for 100 grep -q 'worker ready' "$TMP/worker2.log"
kill "$(cat "$TMP/nginx.pid")"
wait_for 100 eval '! test -f "$TMP/nginx.pid"'
sed -i "s|server unix:$TMP/worker.sock;|&\n    server unix:$TMP/worker2.sock;|" "$NGINX_SITE"
"$NGINX_BIN" -c "$TMP/nginx.conf" -p "$TMP" -e "$TMP/error.log" -g 'daemon on;' \
	2>>"$TMP/error.log"
wait_http "$BASE/healthz"
check "$STATE_BACKEND: nginx with both supervisors in one upstream" $?
codes=""
for _ in 1 2 3 4; do r=$(post_signed "$body" "$ts"); codes="$codes${r} "; done
expect_eq "$STATE_BACKEND: the replay, 4 times through the upstream -> 401 each" "$codes" \
	"401 replayed 401 replayed 401 replayed 401 replayed "
grep -q 'reason=replayed' "$TMP/worker2.log"
check "$STATE_BACKEND: the second supervisor refused it (it never saw the original)" $?

aws_fault '{"account":"*","kind":"latency","arg":4000}'
"$PYTHON3" "$SI_SRCDIR/tests/integration/slack_load.py" "$BASE" "$SECRET" 6 web \
	"$RECV_URL/hooks" --tag two > "$TMP/two.out"
expect_eq "$STATE_BACKEND: 6 searches acknowledged across both" \
	"$(grep -c '"kind": "ack"' "$TMP/two.out")" 6
wait_for 300 tag_at_least two 2 6
a_kids=$(kids_of "$WORKER_PID" | tr '\n' ' ')
held=0
for p in $a_kids; do
	c=$(state_sql "SELECT count(*) FROM journal WHERE delivered_at IS NULL AND owner LIKE '%:$p:%'")
	held=$((held + c))
done
[ "$held" -ge 1 ]
check "$STATE_BACKEND: the first supervisor's workers hold $held of them" $?
# kill -9 the whole first supervisor: its workers first (a worker whose
# supervisor dies first would get SIGTERM and hand off gracefully).
# shellcheck disable=SC2086
kill -9 $a_kids "$WORKER_PID"
finals_once two 6
grep -q 'msg="journal search claimed"' "$TMP/worker2.log"
check "$STATE_BACKEND: the second supervisor claimed the orphans" $?
aws_reset
