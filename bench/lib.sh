# Shared setup for the bench/ scripts. Source it from a script in bench/.
#
# Reuses the integration harness (tests/integration/lib.sh, lib_aws.sh):
# real nginx from the shipped nginx.conf.example and site file, the worker
# under spawn-fcgi, the AWS stand-in and the response_url receiver, all on
# 127.0.0.1. The harness's
# pass/fail summary is replaced by a plain teardown: benchmarks print
# figures, they never pass or fail on timing.

set -u

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SI_SRCDIR=${SI_SRCDIR:-$(cd "$BENCH_DIR/.." && pwd)}
SI_BUILDDIR=${SI_BUILDDIR:-$PWD}
export SI_SRCDIR SI_BUILDDIR
# shellcheck source=/dev/null
. "$SI_SRCDIR/tests/integration/lib.sh"
# shellcheck source=/dev/null
. "$SI_SRCDIR/tests/integration/lib_aws.sh"

BENCH_PY="$BENCH_DIR/bench.py"
# STANDIN_NODELAY=1: run the stand-in with TCP_NODELAY (see
# standin_nodelay.py: without it, calls on reused connections wait ~40 ms
# for a delayed ACK, an artefact of the stand-in).
STANDIN_NODELAY=${STANDIN_NODELAY:-0}
if [ "$STANDIN_NODELAY" = 1 ]; then
	STANDIN="$BENCH_DIR/standin_nodelay.py"
fi
# Every script stops itself after this many seconds, whatever happens.
BENCH_TIMEOUT=${BENCH_TIMEOUT:-1800}

if [ ! -x "$WORKER" ]; then
	echo "bench: no worker at $WORKER (run from the build dir or set SI_BUILDDIR)" >&2
	exit 2
fi

bench_finish() {
	local rc=$?
	[ -n "${BENCH_WATCHDOG:-}" ] && kill "$BENCH_WATCHDOG" 2>/dev/null
	stack_stop
	if [ $rc -ne 0 ] || [ "${KEEP_TMP:-0}" = 1 ]; then
		log "--- worker log (tail) ---"; tail -n 20 "$TMP/worker.log" 2>/dev/null >&2
		log "--- nginx error log (tail) ---"; tail -n 10 "$TMP/error.log" 2>/dev/null >&2
		log "(kept $TMP)"
	else
		rm -rf "$TMP"
	fi
	exit $rc
}
trap bench_finish EXIT
s_watchdog() {
	local s
	sleep "$BENCH_TIMEOUT" &
	s=$!
	trap 'kill $s 2>/dev/null; exit 0' TERM
	wait $s || exit 0
	log "bench: timeout after ${BENCH_TIMEOUT}s"
	kill -TERM $$
}
s_watchdog &
BENCH_WATCHDOG=$!

bpy() { "$PYTHON3" "$BENCH_PY" "$@"; }

# worker_restart: a fresh worker process (empty STS cache, no connections)
# behind the same nginx, with the environment exported now.
worker_restart() {
	local sock="$TMP/worker.sock"
	kill "$WORKER_PID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$WORKER_PID" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$WORKER_PID" 2>/dev/null
	wait "$WORKER_PID" 2>/dev/null
	rm -f "$sock"
	"$SPAWN_FCGI" -n -s "$sock" "${SOCK_OPTS[@]}" -- "$WORKER" "$@" 2>>"$TMP/worker.log" &
	WORKER_PID=$!
	PIDS+=("$WORKER_PID")
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	wait_http "$BASE/healthz" || { log "worker did not come back"; return 1; }
}

# STANDIN_TLS=1: standin_restart serves HTTPS with a certificate of a
# throw-away CA made once per run in $TMP/tls (tests/standin/
# make_test_ca.sh: ECDSA P-256, loopback names only), and
# the worker trusts that CA through AWS_CA_BUNDLE (the AWS SDKs' variable,
# which the worker reads), curl(1) through CURL_CA_BUNDLE. Restart the
# worker after switching: it reads its environment at start.
STANDIN_TLS=${STANDIN_TLS:-0}

# A fresh stand-in with these arguments (replacing the running one, if any),
# over HTTPS when STANDIN_TLS=1.
standin_restart() {
	local tls=()
	if [ -n "${STANDIN_PID:-}" ]; then
		kill "$STANDIN_PID" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$STANDIN_PID" 2>/dev/null || break; sleep 0.05; done
		wait "$STANDIN_PID" 2>/dev/null
	fi
	if [ "$STANDIN_TLS" = 1 ]; then
		if [ ! -s "$TMP/tls/ca.pem" ]; then
			bash "$SI_SRCDIR/tests/standin/make_test_ca.sh" "$TMP/tls" || return 1
		fi
		tls=(--tls-cert "$TMP/tls/server.pem" --tls-key "$TMP/tls/server.key")
	fi
	aws_start --quiet "${tls[@]}" "$@" || return 1
	STANDIN_PID=${PIDS[${#PIDS[@]}-1]}
	if [ "$STANDIN_TLS" = 1 ]; then
		AWS_URL="https://127.0.0.1:$AWS_PORT"
		export AWS_CA_BUNDLE="$TMP/tls/ca.pem" CURL_CA_BUNDLE="$TMP/tls/ca.pem"
	else
		unset AWS_CA_BUNDLE CURL_CA_BUNDLE
	fi
	export AWS_ENDPOINT_URL=$AWS_URL
}

# inflight_env VALUE: "auto" leaves [search] max_inflight at its default (no
# knob turned); a number sets it through the environment.
inflight_env() {
	if [ "$1" = auto ]; then
		unset SLASH_INFRA_SEARCH_MAX_INFLIGHT
	else
		export SLASH_INFRA_SEARCH_MAX_INFLIGHT=$1
	fi
}

# Print a horizontal rule the width of the tables.
rule() { printf '%s\n' "------------------------------------------------------------------------------"; }

# f3 X: three decimals, or "-" for a missing value.
f3() { if [ -z "${1:-}" ] || [ "$1" = "-" ]; then printf -- '-'; else printf '%.3f' "$1"; fi; }
# ratio A B: A/B with two decimals, or "-".
ratio() {
	if [ -z "${1:-}" ] || [ -z "${2:-}" ] || [ "$1" = "-" ] || [ "$2" = "-" ]; then printf -- '-'; return; fi
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'
}
