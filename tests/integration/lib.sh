# Shared harness for the integration tests: real nginx (its own config from
# nginx.conf.example), the real worker under spawn-fcgi, real HTTP with curl.
# Source it; call stack_start; use post_signed/check; the EXIT trap tears
# everything down even when a test fails.

set -u

SI_SRCDIR=${SI_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SI_BUILDDIR=${SI_BUILDDIR:-$SI_SRCDIR}
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
unset NGINX  # nginx reads $NGINX as inherited sockets (binary upgrade)
SPAWN_FCGI=${SPAWN_FCGI:-$(command -v spawn-fcgi || echo /usr/bin/spawn-fcgi)}
PYTHON3=${PYTHON3:-python3}
WORKER=${WORKER:-$SI_BUILDDIR/slash-infra}

# One worker process unless a test asks for more (--workers or this): the
# tests that count per-process state (credential caches, the in-memory
# replay cache) see one process, as they assume; test_supervise.sh runs
# several.
export SLASH_INFRA_WORKERS=${SLASH_INFRA_WORKERS:-1}

# Fixed test secret: not a real one, and never printed by the worker.
SECRET=${SECRET:-test-signing-secret-0123456789abcdef}
export SLACK_SIGNING_SECRET=$SECRET
# Loopback only: a host name in no hosted zone is never handed to the
# machine's resolver in a test ([search] resolve_dns); tests of the DNS
# fallback inject a resolver (tests/unit/test_engine.c).
export SLASH_INFRA_SEARCH_RESOLVE_DNS=off

TMP=$(mktemp -d /tmp/slash-infra-it.XXXXXX)
chmod 755 "$TMP"

# The state store (SQLite by default) lives in the test's own directory,
# never in /var/lib/slash-infra; a test that sets SLASH_INFRA_STATE_URL
# (PostgreSQL, lib_pg.sh) unsets this.
export SLASH_INFRA_STATE_PATH=${SLASH_INFRA_STATE_PATH:-$TMP/state.db}

# The inventory crawler (worker 0's background thread) is off unless a
# test turns it on: its listings would change every other test's exact
# AWS call counts. test_inventory.sh sets it on where it tests it.
export SLASH_INFRA_INVENTORY_ENABLED=${SLASH_INFRA_INVENTORY_ENABLED:-off}
PASS=0
FAIL=0
PIDS=()

log() { printf '%s\n' "$*" >&2; }

stack_stop() {
	local p
	if [ -f "$TMP/nginx.pid" ]; then
		kill "$(cat "$TMP/nginx.pid")" 2>/dev/null
	fi
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	# Bounded wait: 50 x 0.1 s, then force.
	for _ in $(seq 50); do
		local alive=0
		for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive -eq 0 ] && break
		sleep 0.1
	done
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	PIDS=()
}

# Secrets must never reach a log, an error or a reply: before teardown,
# collect every secret in play (the signing secret, the AWS stand-in's base
# secret and every key and session token it issued) and everything the
# test captured (worker, nginx, stand-in and receiver logs, the replies
# Slack got), and grep the lot.
secrets_check() {
	[ "${SI_DEMO:-0}" = 1 ] && return 0
	[ -d "$TMP" ] || return 0
	local list="$TMP/secrets.list"
	printf '%s\n' "$SECRET" > "$list"
	[ -n "${BASE_SECRET:-}" ] && printf '%s\n' "$BASE_SECRET" >> "$list"
	if [ -n "${AWS_URL:-}" ]; then
		curl -s --max-time 5 "$AWS_URL/_control/issued-secrets" 2>/dev/null |
			"$PYTHON3" -c 'import sys,json; [print(s) for s in json.load(sys.stdin)]' \
			>> "$list" 2>/dev/null
	fi
	if [ -n "${RECV_URL:-}" ]; then
		curl -s --max-time 5 "$RECV_URL/_messages" > "$TMP/received.json" 2>/dev/null
	fi
	"$PYTHON3" - "$list" "$TMP" <<'PY'
import os, sys
secrets = [l.strip() for l in open(sys.argv[1]) if len(l.strip()) >= 8]
bad = []
for root, _, files in os.walk(sys.argv[2]):
    for f in files:
        p = os.path.join(root, f)
        if p == sys.argv[1] or not os.path.isfile(p):
            continue
        try:
            data = open(p, "rb").read(16 << 20).decode("utf-8", "replace")
        except OSError:
            continue
        bad += ["%s (secret #%d)" % (os.path.relpath(p, sys.argv[2]), i)
                for i, s in enumerate(secrets) if s in data]
if bad:
    print("secret found in: " + ", ".join(sorted(set(bad))[:10]))
    sys.exit(1)
print("%d secrets checked" % len(secrets))
PY
}

finish() {
	local rc=$?
	if [ "${SI_DEMO:-0}" != 1 ] && [ -d "$TMP" ]; then
		out=$(secrets_check 2>&1)
		check "no secret in any captured output ($out)" $?
	fi
	stack_stop
	if [ "$FAIL" -ne 0 ] || [ "${KEEP_TMP:-0}" = 1 ]; then
		log "--- worker log (tail) ---"; tail -n 40 "$TMP/worker.log" >&2 2>/dev/null
		log "--- nginx error log (tail) ---"; tail -n 20 "$TMP/error.log" >&2 2>/dev/null
		log "(kept $TMP)"
	else
		rm -rf "$TMP"
	fi
	[ "${SI_DEMO:-0}" = 1 ] || echo "$PASS passed, $FAIL failed"
	if [ "$FAIL" -ne 0 ] || [ $rc -ne 0 ]; then exit 1; fi
	exit 0
}
trap finish EXIT
trap 'exit 1' INT TERM

check() { # check NAME CONDITION-RESULT(0/1) [detail]
	if [ "$2" -eq 0 ]; then
		PASS=$((PASS + 1)); log "ok   - $1"
	else
		FAIL=$((FAIL + 1)); log "FAIL - $1 ${3:-}"
	fi
}

expect_eq() { # expect_eq NAME GOT WANT
	if [ "$2" = "$3" ]; then check "$1" 0; else check "$1" 1 "(got '$2', want '$3')"; fi
}

expect_contains() { # expect_contains NAME HAYSTACK NEEDLE
	case "$2" in *"$3"*) check "$1" 0 ;; *) check "$1" 1 "('$3' not in '$(printf %s "$2" | head -c 300)')" ;; esac
}

free_port() { "$PYTHON3" "$SI_SRCDIR/tests/integration/free_port.py"; }

# Write nginx.conf from the example, substituting only paths and ports.
nginx_conf() {
	local port=$1 sock=$2
	sed -e "s|^pid .*;|pid $TMP/nginx.pid;|" \
	    -e "s|^error_log .*;|error_log $TMP/error.log;|" \
	    -e "s|access_log [^;]*;|access_log $TMP/access.log;|" \
	    -e "s|_temp_path /var/lib/nginx/\([a-z]*\);|_temp_path $TMP/\1;|" \
	    -e "s|server unix:[^;]*;|server unix:$sock;|" \
	    -e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$port;|" \
	    "$SI_SRCDIR/nginx.conf.example" > "$TMP/nginx.conf"
	if [ "$(id -u)" = 0 ]; then
		# A root master, unprivileged workers (as a packaged nginx):
		# they reach the socket (0666) through $TMP (0755); nginx
		# creates its temp paths for them.
		sed -i "1i user nobody $(id -gn nobody 2>/dev/null || echo nogroup);" "$TMP/nginx.conf"
	fi
}

# wait_for SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds
# (returns 0) or SECONDS have passed (returns 1): a bounded wait for an
# event, never a fixed sleep.
wait_for() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		"${@:2}" && return 0
		sleep 0.1
	done
	return 1
}

wait_http() { # wait_http URL: bounded 100 x 0.1 s, until it answers 200
	for _ in $(seq 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

# stack_start [worker args...]: worker under spawn-fcgi + nginx in front.
stack_start() {
	local sock="$TMP/worker.sock"
	PORT=$(free_port)
	BASE="http://127.0.0.1:$PORT"
	nginx_conf "$PORT" "$sock"
	"$SPAWN_FCGI" -n -s "$sock" -M 0666 -- "$WORKER" "$@" 2>>"$TMP/worker.log" &
	WORKER_PID=$!
	PIDS+=("$WORKER_PID")
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	"$NGINX_BIN" -c "$TMP/nginx.conf" -p "$TMP" -e "$TMP/error.log" -g 'daemon on;' \
		2>>"$TMP/error.log" || { log "nginx failed to start"; cat "$TMP/error.log" >&2; return 1; }
	wait_http "$BASE/healthz" || { log "stack did not come up"; return 1; }
}

# post_signed BODY [TIMESTAMP] [extra curl args...]: prints "STATUS BODY".
post_signed() {
	local body=$1 ts=${2:-$(date +%s)} sig
	local f="$TMP/req.$BASHPID.$RANDOM"
	shift; [ $# -gt 0 ] && shift
	printf '%s' "$body" > "$f.body"
	sig=$("$PYTHON3" "$SI_SRCDIR/tests/integration/slack_sign.py" "$SECRET" "$ts" "$f.body")
	curl -s --max-time 10 -o "$f.out" -w '%{http_code}' \
		-H "Content-Type: application/x-www-form-urlencoded" \
		-H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: $sig" \
		--data-binary "@$f.body" "$@" "$BASE/slack/infra-search"
	printf ' '
	cat "$f.out"
	rm -f "$f.body" "$f.out"
}

slack_body() { # slack_body TEXT [RESPONSE_URL]
	local text=$1 url=${2:-https://hooks.slack.com/commands/T0001/1234/abcd}
	local etext eurl
	etext=$("$PYTHON3" -c 'import sys,urllib.parse;print(urllib.parse.quote_plus(sys.argv[1]))' "$text")
	eurl=$("$PYTHON3" -c 'import sys,urllib.parse;print(urllib.parse.quote_plus(sys.argv[1]))' "$url")
	printf 'token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&channel_id=C2147483705&channel_name=test&user_id=U2147483697&user_name=Steve&command=%%2Finfra-search&text=%s&response_url=%s&trigger_id=13345224609.738474920.8088930838d88f008e0&api_app_id=A123456' "$etext" "$eurl"
}
