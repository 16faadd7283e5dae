#!/usr/bin/env bash
# Results kept for the buttons (tests/unit/test_kept.c) against a real
# PostgreSQL: lib_pg.sh starts Debian's server in a temporary cluster (unix
# socket only, a non-root user), and test_kept runs its PostgreSQL group,
# the same test functions the SQLite group runs in `make check`: the round
# trip of 1 MiB texts, expiry to the second, the row cap, two handles, the
# v3 -> v4 and v1 -> v4 upgrades in place, the journal's wrappers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

TEST_KEPT=$SI_BUILDDIR/tests/unit/test_kept
if [ ! -x "$TEST_KEPT" ]; then
	log "$TEST_KEPT not built (make check builds it)"
	exit 1
fi

pg_start
check "PostgreSQL started (unix socket only, user ${PG_TEST_USER:-?})" $?
[ "$FAIL" -eq 0 ] || exit 1

out=$(SI_TEST_STORE=pg "$TEST_KEPT" 2>&1)
rc=$?
printf '%s\n' "$out" >&2
check "test_kept passes against PostgreSQL" $rc
expect_contains "the journal opened PostgreSQL" "$out" "backend=postgresql"
expect_contains "the 1 MiB round trip ran" "$out" "OK ] test_roundtrip_large"
expect_contains "the row cap case ran" "$out" "OK ] test_row_cap"
expect_contains "the v3 upgrade case ran" "$out" "OK ] test_migrate_v3"
expect_contains "the v1 upgrade case ran" "$out" "OK ] test_migrate_v1"
expect_contains "the journal case ran" "$out" "OK ] test_journal_wrappers"
