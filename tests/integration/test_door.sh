#!/usr/bin/env bash
# Issue 11: hostile or stuck FastCGI peers and running out of descriptors
# cost a table slot, never a thread, never a spin. Through real nginx, two
# worker processes:
#   - 16 idle FastCGI connections (and 4 that send half a record) straight
#     to the worker's socket: /healthz and a signed search are still
#     answered within 1 s; the worker cuts them at its read timeout;
#   - SIGTERM with an idle connection open: the exit is not held up;
#   - `ulimit -n 40` (FD_LIMIT) and 100 concurrent searches: every request
#     gets an HTTP answer (an answer, an acknowledgement or "busy"), and
#     the workers' CPU time stays bounded (no accept() spin on EMFILE).
#     The issue measured 64 on its machine; here the previous worker needs
#     40 to run out (it then spins: 19.6 s CPU in 9 s).
# Issue 15: kept connections (FCGI_KEEP_CONN) straight to the socket (two
# requests on one, closed without KEEP_CONN, idle ones closed after the
# idle timeout, a malformed record closes only its own, at most the cap
# kept) and through nginx with fastcgi_keep_conn + upstream keepalive.
# Before: 8 idle connections (= the acceptor threads) stalled the service
# (504 after 15 s), one delayed SIGTERM to 38.8 s, and EMFILE made accept()
# spin (62,255 calls in 3 s, 17.6 s CPU).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_aws.sh"

export SLASH_INFRA_WORKERS=2

aws_start --quiet || exit 1
receiver_start || exit 1
aws_env
stack_start || exit 1

ms_now() { date +%s%3N; }
wait_for() { for _ in $(seq 200); do "$@" && return 0; sleep 0.05; done; return 1; }

# worker_restart [PREFIX...]: a new supervisor behind the same nginx,
# started through PREFIX (e.g. a ulimit wrapper).
worker_restart() {
	kill -TERM "$WORKER_PID" 2>/dev/null
	for _ in $(seq 300); do kill -0 "$WORKER_PID" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$WORKER_PID" 2>/dev/null; wait "$WORKER_PID" 2>/dev/null
	rm -f "$TMP/worker.sock"
	"$@" "$SPAWN_FCGI" -n -s "$TMP/worker.sock" "${SOCK_OPTS[@]}" -- "$WORKER" 2>>"$TMP/worker.log" &
	WORKER_PID=$!
	PIDS+=("$WORKER_PID")
	wait_http "$BASE/healthz"
}

# cpu_s PID: CPU seconds of the supervisor, its reaped children and its
# live children (utime + stime + cutime + cstime from /proc).
cpu_s() {
	"$PYTHON3" - "$1" <<'PY'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
def fields(p):
    s = open("/proc/%s/stat" % p).read()
    return s[s.rindex(")") + 2:].split()
sup = sys.argv[1]
f = fields(sup)
total = sum(int(x) for x in f[11:15])
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            g = fields(p)
        except OSError:
            continue
        if g[1] == sup:
            total += int(g[11]) + int(g[12])
print("%.2f" % (total / tick))
PY
}

# ---- idle and trickling connections ---------------------------------------
"$PYTHON3" - "$TMP/worker.sock" "$TMP/idle.ready" > "$TMP/idle.out" <<'PY' &
import socket, struct, sys, time
path, ready = sys.argv[1], sys.argv[2]
conns = []
for i in range(20):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    if i >= 16:  # trickling: half a BEGIN_REQUEST record, then nothing
        s.sendall(struct.pack("!BBHH", 1, 1, 1, 8))
    conns.append(s)
open(ready, "w").close()
t0 = time.monotonic()
closed = 0
for s in conns:
    s.settimeout(max(0.1, 15 - (time.monotonic() - t0)))
    try:
        if s.recv(1) == b"":
            closed += 1
    except OSError:
        pass
print(closed, "%.1f" % (time.monotonic() - t0))
PY
holder=$!
wait_for test -e "$TMP/idle.ready"
t0=$(ms_now)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/healthz")
t1=$(ms_now)
expect_eq "20 stuck connections: healthz -> 200" "$code" 200
[ $((t1 - t0)) -le 1000 ]; check "... within 1 s ($((t1 - t0)) ms)" $?
# An instance id: one call per target, so the answer is inline even on a
# loaded machine (a Name is asked of every named type).
body=$(slack_body 'i-0a1b2c3d4e5f60001' "$RECV_URL/hooks/idle/1")
t0=$(ms_now)
r=$(post_signed "$body")
t1=$(ms_now)
expect_eq "20 stuck connections: signed search -> 200" "${r%% *}" 200
expect_contains "... answered inline" "$r" "1 match for i-0a1b2c3d4e5f60001"
# post_signed spends ~50 ms signing with Python before the request.
[ $((t1 - t0)) -le 1000 ]; check "... within 1 s ($((t1 - t0)) ms)" $?
wait "$holder"
read -r closed secs < "$TMP/idle.out"
expect_eq "the worker cut all 20 stuck connections (after ${secs} s)" "$closed" 20
grep -q 'fastcgi read timeout' "$TMP/worker.log"; check "the read timeouts are logged" $?

# ---- SIGTERM with an idle connection open -----------------------------------
"$PYTHON3" - "$TMP/worker.sock" "$TMP/idle1.ready" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
open(sys.argv[2], "w").close()
time.sleep(20)
PY
idle1=$!
PIDS+=("$idle1")
wait_for test -e "$TMP/idle1.ready"
t0=$(ms_now)
kill -TERM "$WORKER_PID"
for _ in $(seq 200); do kill -0 "$WORKER_PID" 2>/dev/null || break; sleep 0.05; done
t1=$(ms_now)
kill -0 "$WORKER_PID" 2>/dev/null && kill -9 "$WORKER_PID"   # bounded: 10 s
wait "$WORKER_PID"; rc=$?
expect_eq "SIGTERM with an idle connection: exit 0" "$rc" 0
# At a stop a connection still being read gets 1 s more, not the read timeout.
[ $((t1 - t0)) -le 2000 ]; check "... within 2 s ($((t1 - t0)) ms)" $?
kill "$idle1" 2>/dev/null

# ---- ulimit -n 40: no accept() spin, every request answered -----------------
FD_LIMIT=${FD_LIMIT:-40}
worker_restart bash -c "ulimit -n $FD_LIMIT && exec \"\$@\"" limited
aws_fault '{"account":"*","kind":"latency","arg":1000}'
cpu0=$(cpu_s "$WORKER_PID")
t0=$(ms_now)
"$PYTHON3" "$SI_SRCDIR/tests/integration/slack_load.py" "$BASE" "$SECRET" 100 web \
	"$RECV_URL/hooks" --tag fd64 > "$TMP/fd64.out"
t1=$(ms_now)
# The searches still running use descriptors too: measure until they end.
sleep_until_quiet() {
	local prev="" cur
	for _ in $(seq 40); do
		cur=$(wc -l < "$TMP/worker.log")
		[ "$cur" = "$prev" ] && return 0
		prev=$cur
		sleep 0.5
	done
}
sleep_until_quiet
cpu1=$(cpu_s "$WORKER_PID")
read -r n200 maxs kinds <<< "$("$PYTHON3" - "$TMP/fd64.out" <<'PY'
import json, sys, collections
rs = [json.loads(l) for l in open(sys.argv[1])]
k = collections.Counter(r["kind"] for r in rs)
print(sum(r["status"] == 200 for r in rs), "%.2f" % max(r["elapsed"] for r in rs),
      ",".join("%s=%d" % kv for kv in sorted(k.items())))
PY
)"
cpu=$(echo "$cpu1 - $cpu0" | bc)
log "# ulimit -n $FD_LIMIT: 100 searches: 200s=$n200 max=${maxs}s $kinds; worker CPU ${cpu} s over $((t1 - t0)) ms + the searches' tail"
expect_eq "ulimit -n $FD_LIMIT: every request answered 200 (answer, ack or busy)" "$n200" 100
[ "$(echo "$maxs < 10" | bc)" = 1 ]; check "... none waited more than 10 s (max ${maxs} s)" $?
# A spin on accept keeps a core busy for as long as descriptors are short
# (the load and its searches' tail); honest work is ~0.4 s in the normal
# build, and AddressSanitizer multiplies it by up to ~8.
cpu_max=3
[ -z "${SI_SANITIZERS:-}" ] || cpu_max=8
[ "$(echo "$cpu < $cpu_max" | bc)" = 1 ]
check "... worker CPU under $cpu_max s (${cpu} s): no accept spin" $?
kill -0 "$WORKER_PID"; check "... the supervisor is still running" $?
# Its search threads may still hold every descriptor (their connection
# caches): then healthz says busy (503) rather than ok, but at once.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/healthz")
case $code in 200|503) check "... and healthz still answers at once ($code)" 0 ;;
	*) check "... and healthz still answers at once" 1 "(got $code)" ;; esac

# ---- kept connections (FCGI_KEEP_CONN) ---------------------------------------
# Straight to the socket (fcgi_probe.py keep), one worker process, a short
# idle timeout and at most 4 kept: two requests one after another on one
# connection; none kept without FCGI_KEEP_CONN; an idle one closed after the
# timeout (bounded wait in the probe); a malformed record closes only its
# own connection; no more than the cap kept.
export SLASH_INFRA_WORKERS=1 SLASH_INFRA_FCGI_IDLE_MS=1000 SLASH_INFRA_FCGI_KEEP_MAX=4
worker_restart
probe() { "$PYTHON3" "$SI_SRCDIR/tests/integration/fcgi_probe.py" keep "$TMP/worker.sock" "$@"; }
expect_eq "keep-conn: two requests on one connection, both answered, still open" \
	"$(probe two)" "answers=2 status=200,200 open=1"
expect_eq "no keep-conn: the connection is closed after its answer" \
	"$(probe close)" "answers=1 eof=1"
out=$(probe idle 10)
expect_contains "keep-conn: an idle kept connection is closed" "$out" "answers=1 eof=1"
idle_s=$(printf '%s\n' "$out" | sed -n 's/.*idle_s=\([0-9.]*\).*/\1/p')
[ -n "$idle_s" ] && [ "$(echo "$idle_s >= 0.9 && $idle_s < 5" | bc)" = 1 ]
check "... after the idle timeout, 1 s (${idle_s:-?} s)" $?
expect_eq "keep-conn: a malformed record closes its connection, not another" \
	"$(probe malformed)" "a_eof=1 b_answers=2"
grep -q 'fastcgi protocol error' "$TMP/worker.log"; check "... and is logged" $?
expect_eq "keep-conn: at most SLASH_INFRA_FCGI_KEEP_MAX (4) kept, the rest closed" \
	"$(probe many 6)" "answers=6 open=4"

# Through nginx with `fastcgi_keep_conn on;` and an upstream `keepalive`:
# requests reuse connections (the request line's conn_req counts them),
# signed commands included. The worker's default idle timeout (longer than
# nginx's): nginx closes idle connections first. nginx runs a worker per
# CPU, each with its own idle connections: of 6 commands, the first on each
# nginx worker may open one, the others reuse (at least one, up to 5 CPUs).
unset SLASH_INFRA_FCGI_IDLE_MS SLASH_INFRA_FCGI_KEEP_MAX
worker_restart
# (The upstream and locations are in nginx.conf or in the site it includes.)
for f in "$TMP/nginx.conf" "$TMP"/sites-enabled/*; do
	[ -f "$f" ] || continue
	sed -i -e 's|^\([[:space:]]*\)server unix:\([^;]*\);|&\n\1keepalive 4;|' \
		-e 's|fastcgi_pass slash_infra;|& fastcgi_keep_conn on;|' "$f"
done
"$NGINX_BIN" -c "$TMP/nginx.conf" -p "$TMP" -s reload 2>>"$TMP/error.log"
check "nginx reloads with the keep-conn lines (an option, off as shipped)" $?
KEPT='conn_req=([2-9]|[1-9][0-9]+)'
reused() { curl -s -o /dev/null --max-time 2 "$BASE/healthz"; grep -Eq "$KEPT" "$TMP/worker.log"; }
wait_for reused; check "nginx keep-conn: /healthz requests share a FastCGI connection" $?
n0=$(grep -Ec "route=infra-search.*$KEPT" "$TMP/worker.log")
for i in 1 2 3 4 5 6; do
	r=$(post_signed "$(slack_body 'help' "$RECV_URL/hooks/keep/$i")")
	expect_contains "nginx keep-conn: signed help $i -> usage" "$r" 'Usage'
done
n1=$(grep -Ec "route=infra-search.*$KEPT" "$TMP/worker.log")
[ $((n1 - n0)) -ge 1 ]; check "... on reused connections ($((n1 - n0)) of 6)" $?
