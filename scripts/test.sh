#!/usr/bin/env bash
# Run every test: install dependencies, build, then
#   1. the whole suite (unit + integration) in a normal -Werror build,
#   2. the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer,
#   3. the unit tests under valgrind with leak checking,
#   4. make distcheck (the tarball builds, passes the unit tests and the
#      integration tests of each kind of file it carries, installs),
#   5. the Debian package: dpkg-buildpackage, lintian, and with
#      SI_DEB_INSTALL=1 (.ci/run sets it) installed on this machine, its
#      --version and systemd-analyze verify on the installed units, purged,
#   6. every fuzz target for FUZZ_SECONDS (default 45) on its seed corpus,
#      two at a time (a fuzzer uses one core).
# Usage: scripts/test.sh [--quick]   (--quick: step 1 only)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
JOBS=$(nproc 2>/dev/null || echo 2)

scripts/deps.sh
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi

build() { # build DIR CONFIGURE-ARGS...
	local dir=$1; shift
	mkdir -p "$dir"
	(cd "$dir" && "$SRC/configure" -q --enable-werror "$@" && make -s -j"$JOBS")
}

status=0
echo "== normal build: unit + integration tests"
build _build/default
make -C _build/default -s check -j"$JOBS" VERBOSE=1 || status=1

if [ "${1:-}" != "--quick" ]; then
	echo "== ASan + UBSan build: unit + integration tests"
	build _build/asan --enable-sanitizers CC=clang
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		make -C _build/asan -s check -j"$JOBS" VERBOSE=1 || status=1

	echo "== valgrind: unit tests"
	make -C _build/default -s check-valgrind || status=1

	echo "== make distcheck: the release tarball builds, tests, installs and uninstalls"
	# DISTCHECK_TESTS (Makefile.am): the integration suite ran twice above.
	make -C _build/default -s distcheck TESTS='$(DISTCHECK_TESTS)' >_build/distcheck.log 2>&1 ||
		{ status=1; tail -n 60 _build/distcheck.log; }
	grep -E 'archives ready|^(PASS|FAIL|ERROR):' _build/distcheck.log | tail -n 30

	echo "== Debian package: build, lintian${SI_DEB_INSTALL:+, install, --version, systemd-analyze verify}"
	deb_rc=0
	bash tests/integration/test_deb.sh >_build/deb.log 2>&1 || deb_rc=$?
	grep -E '^(ok|FAIL|skip) |passed, .* failed' _build/deb.log
	[ $deb_rc -eq 0 ] || { status=1; tail -n 40 _build/deb.log; }

	echo "== fuzz smoke: every libFuzzer target for ${FUZZ_SECONDS:-45} s, two at a time"
	build _build/fuzz --enable-fuzzing CC=clang
	make -C _build/fuzz -s fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-45}" FUZZ_JOBS=2 ||
		status=1
fi

# One closing line a machine can read: every automake test result (each
# unit test binary and integration script, per build) plus the valgrind runs.
passed=0; failed=0
for trs in _build/default/tests/*/*.trs _build/asan/tests/*/*.trs; do
	[ -f "$trs" ] || continue
	if grep -q '^:test-result: PASS' "$trs"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
# The package step counts as one test (77: skipped, not counted).
case ${deb_rc:-77} in 0) passed=$((passed + 1)) ;; 77) ;; *) failed=$((failed + 1)) ;; esac
if [ $status -eq 0 ]; then echo "ALL TESTS PASSED"; else echo "SOME TESTS FAILED"; fi
[ $status -eq 0 ] || [ $failed -gt 0 ] || failed=1
echo "total: $passed passed, $failed failed"
exit $status
