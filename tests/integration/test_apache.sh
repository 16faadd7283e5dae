#!/usr/bin/env bash
# The Slack front door through Apache: real Apache httpd with mod_proxy_fcgi
# and conf/apache-slash-infra.conf (only its marked lines substituted) ->
# spawn-fcgi -> the worker. The same requests as test_frontdoor.sh, and
# button presses on /slack/interactive (the Slack app's Interactivity
# Request URL) answered through the loopback response_url receiver.
#
# Needs Apache 2.4 (Debian: apt-get install apache2). Without it the test
# exits 77, which automake counts as SKIP.

# Found before lib.sh is sourced: its EXIT trap would turn 77 into 0.
APACHE_BIN=${APACHE_BIN:-$(command -v apache2 || command -v httpd || true)}
for c in /usr/sbin/apache2 /usr/sbin/httpd; do
	[ -n "$APACHE_BIN" ] && break
	[ -x "$c" ] && APACHE_BIN=$c
done
if [ -z "$APACHE_BIN" ]; then
	echo "SKIP: Apache httpd not found (Debian: apt-get install apache2; or set APACHE_BIN)"
	exit 77
fi
if [ -z "${APACHE_MODULES:-}" ]; then
	for d in /usr/lib/apache2/modules /usr/lib64/httpd/modules /usr/lib/httpd/modules; do
		[ -f "$d/mod_proxy_fcgi.so" ] && APACHE_MODULES=$d && break
	done
fi
if [ -z "${APACHE_MODULES:-}" ] || [ ! -f "$APACHE_MODULES/mod_proxy_fcgi.so" ]; then
	echo "SKIP: mod_proxy_fcgi.so not found (set APACHE_MODULES to Apache's module directory)"
	exit 77
fi

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_aws.sh"
. "$(dirname "$0")/lib_search.sh"

MARKER='# (test: substituted)'

# The user Debian's apache2 runs its children as (lib.sh makes the socket's
# group www-data, which this must match).
read -r APACHE_RUN_USER APACHE_RUN_GROUP < <(
	set +u
	[ -r /etc/apache2/envvars ] && . /etc/apache2/envvars >/dev/null 2>&1
	echo "${APACHE_RUN_USER:-www-data} ${APACHE_RUN_GROUP:-www-data}")

# load_module NAME: LoadModule line unless the module is compiled in.
load_module() {
	if "$APACHE_BIN" -l 2>/dev/null | grep -qx "  mod_$1.c"; then
		return 0
	fi
	printf 'LoadModule %s_module "%s/mod_%s.so"\n' "$1" "$APACHE_MODULES" "$1"
}

# The site file with only the marked lines changed: ports, logs, socket.
apache_site_conf() {
	local port=$1 sock=$2
	sed -e "s|^Listen 127.0.0.1:8080\$|Listen 127.0.0.1:$port|" \
	    -e "s|^<VirtualHost 127.0.0.1:8080>\$|<VirtualHost 127.0.0.1:$port>|" \
	    -e "s|ErrorLog /var/log/apache2/slash-infra-error.log|ErrorLog $TMP/error.log|" \
	    -e "s|CustomLog /var/log/apache2/slash-infra-access.log|CustomLog $TMP/access.log|" \
	    -e "s|unix:/run/slash-infra/slash-infra.sock|unix:$sock|g" \
	    "$SI_SRCDIR/conf/apache-slash-infra.conf" > "$TMP/slash-infra.conf"
}

# The server-wide part a distribution's apache2.conf would hold, with every
# path under $TMP, then the site file.
apache_main_conf() {
	{
		echo "ServerRoot \"$TMP\""
		echo "PidFile \"$TMP/apache.pid\""
		echo "DefaultRuntimeDir \"$TMP\""
		echo "Mutex file:$TMP default"
		echo "ErrorLog \"$TMP/error.log\""
		echo "LogLevel warn"
		echo "ServerName 127.0.0.1"
		load_module mpm_event
		load_module unixd
		load_module log_config
		load_module authz_core
		load_module authz_host
		load_module proxy
		load_module proxy_fcgi
		load_module headers
		load_module reqtimeout
		if [ "$(id -u)" = 0 ]; then
			# As Debian's apache2.conf: User ${APACHE_RUN_USER} and
			# Group ${APACHE_RUN_GROUP} from /etc/apache2/envvars
			# (www-data); a root master, unprivileged children.
			echo "User $APACHE_RUN_USER"; echo "Group $APACHE_RUN_GROUP"
		fi
		# Small, bounded: one process, enough threads for the concurrency test.
		echo "StartServers 1"
		echo "ServerLimit 2"
		echo "ThreadsPerChild 64"
		echo "MaxRequestWorkers 128"
		echo "Include \"$TMP/slash-infra.conf\""
	} > "$TMP/httpd.conf"
}

apache_stack_start() {
	local sock="$TMP/worker.sock"
	PORT=$(free_port)
	BASE="http://127.0.0.1:$PORT"
	apache_site_conf "$PORT" "$sock"
	apache_main_conf
	"$SPAWN_FCGI" -n -s "$sock" "${SOCK_OPTS[@]}" -- "$WORKER" "$@" 2>>"$TMP/worker.log" &
	WORKER_PID=$!
	PIDS+=("$WORKER_PID")
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	"$APACHE_BIN" -f "$TMP/httpd.conf" -DFOREGROUND 2>>"$TMP/error.log" &
	APACHE_PID=$!
	PIDS+=("$APACHE_PID")
	wait_http "$BASE/healthz" || { log "stack did not come up"; return 1; }
}

# Only marked lines may differ from the shipped file: the test runs the
# configuration users get, not a look-alike.
apache_site_conf 18080 /tmp/x.sock
unmarked=$(awk -v marker="$MARKER" '
	NR == FNR { orig[FNR] = $0; next }
	{ prev = orig[FNR - 1]; sub(/^[ \t]+/, "", prev)
	  if ($0 != orig[FNR] && prev != marker) print FNR }
	' "$SI_SRCDIR/conf/apache-slash-infra.conf" "$TMP/slash-infra.conf")
expect_eq "only marked lines are substituted" "$unmarked" ""
expect_eq "substitution keeps the line count" \
	"$(wc -l < "$TMP/slash-infra.conf")" "$(wc -l < "$SI_SRCDIR/conf/apache-slash-infra.conf")"

apache_main_conf
out=$("$APACHE_BIN" -t -f "$TMP/httpd.conf" 2>&1)
expect_contains "apache -t accepts the configuration" "$out" "Syntax OK"

# The presses' response_url goes to the receiver; the commands keep
# Slack's (answered inline: no accounts configured, nothing is posted).
receiver_start || exit 1
export SLASH_INFRA_SLACK_RESPONSE_URL_PREFIXES="https://hooks.slack.com/,$RECV_URL/"

apache_stack_start || exit 1

# /healthz
out=$(curl -s -w ' %{http_code}' "$BASE/healthz")
expect_eq "healthz answers 200 ok" "$out" "ok
 200"

# Served as Debian serves it: a root master, www-data children, through the
# socket only www-data may use; /metrics for loopback only.
web_user_checks apache "$APACHE_PID" "$TMP/worker.sock"
expect_eq "apache: Debian's envvars run its children as www-data (the socket's group)" \
	"$APACHE_RUN_USER:$APACHE_RUN_GROUP" "www-data:www-data"
grep -A2 '^ *<Location "/metrics">' "$SI_SRCDIR/conf/apache-slash-infra.conf" |
	grep -qx ' *Require ip 127.0.0.1 ::1'
check "the conf admits only 127.0.0.1 and ::1 to /metrics" $?
metrics_access_checks apache

# A correctly signed command: 200 JSON that keeps the command in the channel.
r=$(post_signed "$(slack_body 'i-0123456789abcdef0')")
expect_eq "signed command -> 200" "${r%% *}" 200
expect_contains "signed command -> in_channel JSON" "$r" '"response_type":"in_channel"'

r=$(post_signed "$(slack_body 'help')")
expect_contains "help -> ephemeral usage" "$r" '"response_type":"ephemeral"'

# Bad signature, stale and future timestamps, no signature at all.
r=$(SECRET=wrong-secret post_signed "$(slack_body 'x1')")
expect_eq "bad signature -> 401" "${r%% *}" 401
expect_contains "bad signature reason" "$r" "bad signature"
r=$(post_signed "$(slack_body 'x1')" $(( $(date +%s) - 400 )))
expect_eq "stale timestamp -> 401" "${r%% *}" 401
expect_contains "stale reason" "$r" "stale timestamp"
r=$(post_signed "$(slack_body 'x1')" $(( $(date +%s) + 400 )))
expect_eq "future timestamp -> 401" "${r%% *}" 401
code=$(curl -s -o "$TMP/o" -w '%{http_code}' --data-binary "$(slack_body x1)" \
	-H 'Content-Type: application/x-www-form-urlencoded' "$BASE/slack/infra-search")
expect_eq "missing signature -> 401" "$code" 401
expect_contains "missing signature reason" "$(cat "$TMP/o")" "missing signature"

# A query string on the route: Apache sends it in REQUEST_URI, the worker
# routes on SCRIPT_NAME without it.
body=$(slack_body 'i-0123456789abcdef0')
printf '%s' "$body" > "$TMP/qs.body"
ts=$(date +%s)
sig=$("$PYTHON3" "$SI_SRCDIR/tests/integration/slack_sign.py" "$SECRET" "$ts" "$TMP/qs.body")
code=$(curl -s -o "$TMP/o" -w '%{http_code}' --max-time 10 \
	-H "Content-Type: application/x-www-form-urlencoded" \
	-H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: $sig" \
	--data-binary "@$TMP/qs.body" "$BASE/slack/infra-search?from=apache")
expect_eq "signed command with a query string -> 200" "$code" 200

# Oversized body: 413 from Apache's LimitRequestBody (the worker's max_body).
head -c 70000 /dev/zero | tr '\0' 'a' > "$TMP/big"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$TMP/big" "$BASE/slack/infra-search")
expect_eq "oversized -> 413" "$code" 413
# Just under the limit reaches the worker (and fails the signature check).
head -c 65000 /dev/zero | tr '\0' 'a' > "$TMP/big"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$TMP/big" "$BASE/slack/infra-search")
expect_eq "65000-byte body reaches the worker -> 401" "$code" 401

# Wrong method and unknown path.
code=$(curl -s -o /dev/null -D "$TMP/h" -w '%{http_code}' "$BASE/slack/infra-search")
expect_eq "GET on slack route -> 405" "$code" 405
expect_contains "405 carries Allow: POST" "$(tr -d '\r' < "$TMP/h")" "Allow: POST"
code=$(curl -s -o "$TMP/o" -w '%{http_code}' "$BASE/nope")
expect_eq "unknown path -> 404" "$code" 404
expect_contains "404 comes from the worker" "$(cat "$TMP/o")" "not found"

# /slack/interactive: the shipped file names the route before its
# catch-all (which would also reach the worker, with a shorter timeout).
n_route=$(grep -n '^ *ProxyPass "/slack/interactive" ' "$SI_SRCDIR/conf/apache-slash-infra.conf" | cut -d: -f1)
n_all=$(grep -n '^ *ProxyPass "/" ' "$SI_SRCDIR/conf/apache-slash-infra.conf" | cut -d: -f1)
[ -n "$n_route" ] && [ -n "$n_all" ] && [ "$n_route" -lt "$n_all" ]
check "the conf routes /slack/interactive before the catch-all" $?
# A press with a bad signature is refused by the worker (401, not 404).
press forged si_show_all 0123456789abcdef0123456789abcdef C2147483705 T0001 wrong-secret
expect_eq "interactive: bad signature -> 401 from the worker" "$ST" 401
expect_contains "interactive: bad signature reason" "$(cat "$TMP/press.out")" "bad signature"
# A correctly signed block_actions press (Slack's example payload, as
# test_interactive.sh sends it) of Show all on a result id nobody kept:
# 200 with an empty body, and the "expired" message through response_url.
press unknown si_show_all 0123456789abcdef0123456789abcdef
expect_eq "interactive: signed press, unknown result id -> 200" "$ST" 200
expect_eq "interactive: empty body" "$(cat "$TMP/press.out")" ""
recv_wait /hooks/press/unknown 1 60; check "interactive: answered through response_url" $?
recv_check "interactive: the result has expired, one ephemeral message" /hooks/press/unknown \
	'len(ms) == 1 and ms[0]["response_type"] == "ephemeral" and "This result has expired" in allstrings(ms[0])'

# 100 concurrent valid requests (distinct, as replay protection requires):
# every one answers 200.
export -f post_signed
export BASE SECRET TMP PYTHON3 SI_SRCDIR
seq 100 | xargs -P 25 -I{} bash -c 'r=$(post_signed "$0&nonce=a{}"); echo "${r%% *}"' "$body" > "$TMP/codes"
expect_eq "100 concurrent signed requests -> 200 each" "$(grep -c '^200$' "$TMP/codes")" 100

# The worker saw the routes it serves (not a PHP-FPM style rewrite); a
# request's line is written after its answer, hence the bounded waits.
wait_for 30 grep -q 'route=infra-search status=200' "$TMP/worker.log"
check "worker logged route=infra-search" $?
wait_for 30 grep -q 'route=healthz status=200' "$TMP/worker.log"; check "worker logged route=healthz" $?
wait_for 30 grep -q 'route=interactive status=401' "$TMP/worker.log"
check "worker logged route=interactive (the forged press)" $?
wait_for 30 grep -q 'route=interactive status=200' "$TMP/worker.log"
check "worker logged route=interactive (the signed press)" $?
! grep -q "$SECRET" "$TMP/worker.log" "$TMP/error.log" "$TMP/access.log"; check "secret never logged" $?
