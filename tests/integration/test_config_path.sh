#!/usr/bin/env bash
# Issue 11: "An ini path that is a FIFO hangs startup forever." The worker,
# started the way spawn-fcgi or systemd starts it (and as the CLI), must
# refuse a configuration path that is not a regular file at once, with a
# message naming it, instead of blocking on open(2) or read(2).
. "$(dirname "$0")/lib.sh"

FIFO=$TMP/slash-infra.ini
mkfifo "$FIFO"; check "a FIFO stands where the ini file should be" $?

# Bounded: a regression hangs, so the run is cut at 10 s and fails.
run_bounded() { # run_bounded OUTFILE ARGS...: exit status, 124 on timeout
	local out=$1; shift
	timeout 10 "$@" >"$out" 2>&1 </dev/null
}

for how in "--config" "env" "--check-config" "search"; do
	out=$TMP/out.$how
	case $how in
	--config) run_bounded "$out" "$WORKER" --listen "$TMP/sock" --config "$FIFO" ;;
	env) SLASH_INFRA_CONFIG=$FIFO run_bounded "$out" "$WORKER" --listen "$TMP/sock" ;;
	--check-config) run_bounded "$out" "$WORKER" --check-config --config "$FIFO" ;;
	search) run_bounded "$out" "$WORKER" search --config "$FIFO" i-0123abcd ;;
	esac
	rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
	check "$how FIFO: refused with an error exit, not a hang (exit $rc)" $?
	grep -q "not a regular file" "$out"
	check "$how FIFO: the message says why" $? "$(head -c 300 "$out")"
done

# A directory is no better than a FIFO.
mkdir "$TMP/dir.ini"
run_bounded "$TMP/out.dir" "$WORKER" --check-config --config "$TMP/dir.ini"
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "not a regular file" "$TMP/out.dir"
check "a directory as the ini path is refused (exit $rc)" $?

finish
