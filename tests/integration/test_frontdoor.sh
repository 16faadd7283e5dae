#!/usr/bin/env bash
# The Slack front door end to end: real nginx -> spawn-fcgi -> the worker.
# nginx runs the shipped nginx.conf.example and conf/nginx-slash-infra.conf
# with only their marked paths and ports substituted, as Debian runs it: a
# root master and www-data workers (when the test runs as root).
. "$(dirname "$0")/lib.sh"

MAIN_EX=$SI_SRCDIR/nginx.conf.example
SITE_EX=$SI_SRCDIR/conf/nginx-slash-infra.conf

# only_marked SHIPPED COPY: the numbers of the lines that differ without the
# end-of-line marker (none when the copy is the shipped file, substituted).
only_marked() {
	awk 'NR == FNR { orig[FNR] = $0; next }
	     $0 != orig[FNR] && orig[FNR] !~ /# \(test: substituted\)$/ { print FNR }
	     END { if (FNR != length(orig)) print "line count" }' "$1" "$2"
}

# The shipped files are whole and Debian's: www-data workers, Debian's pid
# path (its nginx.service), no test-only location.
grep -qx 'user www-data;' "$MAIN_EX"; check "nginx.conf.example: user www-data" $?
grep -qx 'pid /run/nginx.pid; *# (test: substituted)' "$MAIN_EX"
check "nginx.conf.example: pid /run/nginx.pid (Debian's nginx.service)" $?
grep -qx ' *include /etc/nginx/sites-enabled/\*; *# (test: substituted)' "$MAIN_EX"
check "nginx.conf.example includes sites-enabled/ (where the site is linked)" $?
! grep -q 'location' "$MAIN_EX"; check "nginx.conf.example: no location (all in the site)" $?
! grep -q 'static-probe' "$MAIN_EX" "$SITE_EX"; check "no test-only /static-probe shipped" $?
for loc in /slack/infra-search /slack/interactive /healthz /readyz /metrics; do
	grep -q "^ *location = $loc {" "$SITE_EX"; check "site: location = $loc" $?
done
expect_eq "site: /metrics admits 127.0.0.1 and ::1 only" \
	"$(sed -n '/location = \/metrics {/,/}/p' "$SITE_EX" | grep -E '^ *(allow|deny) ' |
		tr -s ' ' | tr '\n' '|')" " allow 127.0.0.1;| allow ::1;| deny all;|"

stack_start || exit 1

expect_eq "nginx.conf: only marked lines substituted" \
	"$(only_marked "$MAIN_EX" "$TMP/nginx.conf")" ""
expect_eq "site: only marked lines substituted" "$(only_marked "$SITE_EX" "$NGINX_SITE")" ""

# /healthz
out=$(curl -s -w ' %{http_code}' "$BASE/healthz")
expect_eq "healthz answers 200 ok" "$out" "ok
 200"

# Through the unprivileged workers, on the socket only they may use;
# /readyz answers; /metrics is for loopback only.
web_user_checks nginx "$(cat "$TMP/nginx.pid")" "$TMP/worker.sock"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz")
expect_eq "readyz through the site -> 200" "$code" 200
metrics_access_checks nginx

# --listen PATH: the worker makes its socket itself, 0660 from the start,
# and --listen-group gives it to the web server's group.
grp=www-data
[ "$(id -u)" = 0 ] || grp=$(id -gn)
"$WORKER" --listen "$TMP/own.sock" --listen-group "$grp" --workers 1 2>>"$TMP/own.log" &
own=$!
PIDS+=("$own")
wait_for 20 test -S "$TMP/own.sock"; check "--listen PATH: the worker made its socket" $?
expect_eq "--listen-group $grp: mode 660, group $grp" \
	"$(stat -c '%a %G' "$TMP/own.sock" 2>&1)" "660 $grp"
kill -TERM "$own" 2>/dev/null; wait "$own" 2>/dev/null
"$WORKER" --listen "$TMP/bad.sock" --listen-group no-such-group-si >/dev/null 2>"$TMP/bad.err"
expect_eq "--listen-group with an unknown group: exit 2" "$?" 2
expect_contains "... and says which" "$(cat "$TMP/bad.err")" "no group no-such-group-si"
[ ! -e "$TMP/bad.sock" ]; check "... and makes no socket" $?
"$WORKER" --listen-group "$grp" >/dev/null 2>"$TMP/bad.err" </dev/null
expect_eq "--listen-group without --listen: exit 2" "$?" 2

# A correctly signed command: 200 JSON that keeps the command in the channel.
r=$(post_signed "$(slack_body 'i-0123456789abcdef0')")
expect_eq "signed command -> 200" "${r%% *}" 200
expect_contains "signed command -> in_channel JSON" "$r" '"response_type":"in_channel"'

# help and empty text: ephemeral usage.
r=$(post_signed "$(slack_body 'help')")
expect_contains "help -> ephemeral usage" "$r" '"response_type":"ephemeral"'
expect_contains "help -> usage text" "$r" 'Usage'
r=$(post_signed "$(slack_body '')")
expect_contains "empty text -> usage" "$r" 'Usage'

# Bad signature: sign with another secret.
r=$(SECRET=wrong-secret post_signed "$(slack_body 'x1')")
expect_eq "bad signature -> 401" "${r%% *}" 401
expect_contains "bad signature reason" "$r" "bad signature"

# Stale and future timestamps.
r=$(post_signed "$(slack_body 'x1')" $(( $(date +%s) - 400 )))
expect_eq "stale timestamp -> 401" "${r%% *}" 401
expect_contains "stale reason" "$r" "stale timestamp"
r=$(post_signed "$(slack_body 'x1')" $(( $(date +%s) + 400 )))
expect_eq "future timestamp -> 401" "${r%% *}" 401

# Missing signature headers.
code=$(curl -s -o "$TMP/o" -w '%{http_code}' --data-binary "$(slack_body x1)" \
	-H 'Content-Type: application/x-www-form-urlencoded' "$BASE/slack/infra-search")
expect_eq "missing signature -> 401" "$code" 401
expect_contains "missing signature reason" "$(cat "$TMP/o")" "missing signature"

# A response_url outside the allowed prefixes: 400 before any work.
r=$(post_signed "$(slack_body 'x1' 'https://evil.example.com/hook')")
expect_eq "foreign response_url -> 400" "${r%% *}" 400

# Malformed form (invalid escape) but correctly signed: 400.
r=$(post_signed 'text=%zz&response_url=https%3A%2F%2Fhooks.slack.com%2Fx')
expect_eq "invalid escape -> 400" "${r%% *}" 400

# ssl_check: 200 with an empty body.
r=$(post_signed 'token=abc&ssl_check=1')
expect_eq "ssl_check -> 200 empty" "$r" "200 "

# Oversized body: 413 (nginx's limit matches the worker's).
head -c 70000 /dev/zero | tr '\0' 'a' > "$TMP/big"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$TMP/big" "$BASE/slack/infra-search")
expect_eq "oversized -> 413" "$code" 413

# Straight to the worker's socket (nginx would never send these): a body
# shorter than CONTENT_LENGTH -> 400; a CONTENT_LENGTH over max_body -> 413
# without the worker reading it.
out=$("$PYTHON3" "$SI_SRCDIR/tests/integration/fcgi_probe.py" "$TMP/worker.sock" POST /slack/infra-search 100 'text=short')
expect_contains "short body -> 400 from the worker" "$out" "Status: 400"
out=$("$PYTHON3" "$SI_SRCDIR/tests/integration/fcgi_probe.py" "$TMP/worker.sock" POST /slack/infra-search 70000 'text=x')
expect_contains "CONTENT_LENGTH over max_body -> 413 from the worker" "$out" "Status: 413"

# Wrong method and unknown path.
code=$(curl -s -o /dev/null -D "$TMP/h" -w '%{http_code}' "$BASE/slack/infra-search")
expect_eq "GET on slack route -> 405" "$code" 405
expect_contains "405 carries Allow: POST" "$(tr -d '\r' < "$TMP/h")" "Allow: POST"
code=$(curl -s -o "$TMP/o" -w '%{http_code}' "$BASE/nope")
expect_eq "unknown path -> 404" "$code" 404
expect_contains "404 one-line body" "$(cat "$TMP/o")" "not found"

# Replay protection: the same signed request twice is refused the second
# time; Slack's own retry (X-Slack-Retry-Num) is answered 200 with nothing.
ts=$(date +%s)
body=$(slack_body 'help')
r1=$(post_signed "$body" "$ts")
r2=$(post_signed "$body" "$ts")
expect_eq "first delivery -> 200" "${r1%% *}" 200
expect_eq "replayed signature -> 401 replayed" "$r2" "401 replayed"
r3=$(post_signed "$body" "$ts" -H "X-Slack-Retry-Num: 1" -H "X-Slack-Retry-Reason: http_timeout")
expect_eq "Slack retry of a seen request -> 200, empty" "$r3" "200 "

# 200 concurrent valid requests (each signed, each distinct): 200 each.
export -f post_signed slack_body
export BASE SECRET TMP PYTHON3 SI_SRCDIR
seq 200 | xargs -P 50 -I{} bash -c 'r=$(post_signed "$(slack_body "i-0123456789abcdef0")&nonce=c{}"); echo "${r%% *}"' > "$TMP/codes"
n200=$(grep -c '^200$' "$TMP/codes")
expect_eq "200 concurrent signed requests -> 200 each" "$n200" 200

# The log: one logfmt line per request, never the secret or signature.
sleep 0.2
grep -q 'route=infra-search status=200' "$TMP/worker.log"; check "worker logs logfmt lines" $?
! grep -q "$SECRET" "$TMP/worker.log" "$TMP/error.log" "$TMP/access.log"; check "secret never logged" $?
! grep -q 'v0=' "$TMP/worker.log"; check "signature never logged" $?

# SIGTERM: the worker exits 0.
kill -TERM "$WORKER_PID"
rc=0
for _ in $(seq 50); do kill -0 "$WORKER_PID" 2>/dev/null || break; sleep 0.1; done
wait "$WORKER_PID"; rc=$?
expect_eq "SIGTERM -> worker exits 0" "$rc" 0
