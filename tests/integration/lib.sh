# Shared harness for the integration tests: real nginx (nginx.conf.example and
# the site conf/nginx-slash-infra.conf, as shipped), the real worker under
# spawn-fcgi, real HTTP with curl.
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

# nginx and Apache run as Debian runs them: a root master, workers as the
# shipped files say (nginx.conf.example: user www-data; Debian's apache2
# envvars: APACHE_RUN_USER=www-data). The worker's socket is what
# conf/slash-infra.socket makes (root:www-data, mode 0660): spawn-fcgi
# started as root keeps the socket root's. Not root (a developer's
# machine): nginx ignores `user` with a warning, Apache's workers stay the
# test's user, who owns the socket (0660).
if [ "$(id -u)" = 0 ]; then
	if ! getent passwd www-data >/dev/null || ! getent group www-data >/dev/null; then
		echo "as root, nginx and Apache run as the shipped files say (user" \
			"www-data), but this machine has no www-data user or group" \
			"(Debian's base-passwd has both)" >&2
		exit 1
	fi
	SOCK_OPTS=(-G www-data -M 0660)
else
	SOCK_OPTS=(-M 0660)
fi

TMP=$(mktemp -d /tmp/slash-infra-it.XXXXXX)
# Traversable by the web server's workers (www-data), which reach the
# socket in it; nginx's master makes its temp directories here for them.
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

# Write nginx.conf and its one site from the shipped files
# (nginx.conf.example, conf/nginx-slash-infra.conf), changing only the lines
# marked "(test: substituted)": paths and ports. The site goes where
# Debian's sites-enabled/ link would be, as $NGINX_SITE (a bench may edit
# its copy there: bench/ack adds /static-probe).
NGINX_SITE="$TMP/sites-enabled/slash-infra.conf"
nginx_conf() {
	local port=$1 sock=$2
	mkdir -p "$TMP/sites-enabled"
	sed -e "s|^pid .*;|pid $TMP/nginx.pid;|" \
	    -e "s|^error_log .*;|error_log $TMP/error.log;|" \
	    -e "s|access_log [^;]*;|access_log $TMP/access.log;|" \
	    -e "s|_temp_path /var/lib/nginx/\([a-z]*\);|_temp_path $TMP/\1;|" \
	    -e "s|include /etc/nginx/sites-enabled/\*;|include $TMP/sites-enabled/*;|" \
	    "$SI_SRCDIR/nginx.conf.example" > "$TMP/nginx.conf"
	sed -e "s|server unix:[^;]*;|server unix:$sock;|" \
	    -e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$port;|" \
	    "$SI_SRCDIR/conf/nginx-slash-infra.conf" > "$NGINX_SITE"
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
	"$SPAWN_FCGI" -n -s "$sock" "${SOCK_OPTS[@]}" -- "$WORKER" "$@" 2>>"$TMP/worker.log" &
	WORKER_PID=$!
	PIDS+=("$WORKER_PID")
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	"$NGINX_BIN" -c "$TMP/nginx.conf" -p "$TMP" -e "$TMP/error.log" -g 'daemon on;' \
		2>>"$TMP/error.log" || { log "nginx failed to start"; cat "$TMP/error.log" >&2; return 1; }
	wait_http "$BASE/healthz" || { log "stack did not come up"; return 1; }
}

# web_user_checks SERVER MASTER_PID SOCK: as root, SERVER's workers (the
# master's children) run as www-data, as the shipped configuration says,
# the worker's socket is root:www-data mode 0660 (conf/slash-infra.socket),
# and a process as nobody cannot connect to it: www-data and nobody else.
# Not root, only the socket's mode is checked.
web_user_checks() {
	local server=$1 master=$2 sock=$3 users py=/usr/bin/python3
	if [ "$(id -u)" != 0 ]; then
		expect_eq "$server: socket mode 0660 (not root: the test's user owns it)" \
			"$(stat -c '%a' "$sock")" 660
		return 0
	fi
	users=$(ps -o user= --ppid "$master" | sort -u | tr '\n' ' ')
	expect_eq "$server: root master, workers as www-data" \
		"$(ps -o user= -p "$master" | tr -d ' ') $users" "root www-data "
	expect_eq "$server: the socket is root:www-data 0660" \
		"$(stat -c '%U:%G %a' "$sock")" "root:www-data 660"
	[ -x "$py" ] || py=$(command -v python3)
	setpriv --reuid nobody --regid "$(id -gn nobody 2>/dev/null || echo nogroup)" \
		--clear-groups "$py" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except PermissionError:
    sys.exit(0)
sys.exit(1)' "$sock"
	check "$server: nobody (not www-data) may not connect to the socket" $?
}

# metrics_access_checks SERVER: /metrics is for this host's scraper only
# (allow 127.0.0.1; allow ::1; deny all). From 127.0.0.1 the request gets
# through to the worker (200 once /metrics exists, its "not found" 404
# before); from 127.0.0.2 (loopback, as every test connection, but not an
# address the rule admits) SERVER answers 403 itself (its HTML page: the
# worker answers plain text).
metrics_access_checks() {
	local server=$1 code other
	code=$(curl -s -o "$TMP/metrics.out" -w '%{http_code}' --max-time 5 "$BASE/metrics")
	case "$code" in
	200) check "$server: /metrics from 127.0.0.1 gets through (200)" 0 ;;
	404) expect_contains "$server: /metrics from 127.0.0.1 gets through (the worker's 404)" \
		"$(cat "$TMP/metrics.out")" "not found" ;;
	*) check "$server: /metrics from 127.0.0.1 gets through" 1 "(got $code)" ;;
	esac
	other=127.0.0.2
	code=$(curl -s -o "$TMP/metrics.out" -w '%{http_code}' --max-time 5 \
		--interface "$other" "$BASE/metrics")
	expect_eq "$server: /metrics from $other (not 127.0.0.1 or ::1) -> 403" "$code" 403
	expect_contains "$server: the 403 is the web server's own page" \
		"$(tr 'A-Z' 'a-z' < "$TMP/metrics.out")" "<html"
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --interface "$other" \
		"$BASE/healthz")
	expect_eq "$server: /healthz from $other -> 200 (only /metrics is restricted)" "$code" 200
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
