#!/usr/bin/env bash
# The inventory's unit tests (tests/unit/test_inventory.c) against a real
# PostgreSQL: lib_pg.sh starts Debian's server in a temporary cluster (unix
# socket only, a non-root user), and test_inventory runs its PostgreSQL
# group, the same test functions the SQLite group runs in `make check`.
# pg_trgm ships with Debian's server package: the name index must be there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

TEST_INVENTORY=$SI_BUILDDIR/tests/unit/test_inventory
if [ ! -x "$TEST_INVENTORY" ]; then
	log "$TEST_INVENTORY not built (make check builds it)"
	exit 1
fi

pg_start
check "PostgreSQL started (unix socket only, user ${PG_TEST_USER:-?})" $?
[ "$FAIL" -eq 0 ] || exit 1

out=$(SI_TEST_STORE=pg "$TEST_INVENTORY" 2>&1)
rc=$?
printf '%s\n' "$out" >&2
check "test_inventory passes against PostgreSQL" $rc
expect_contains "the kill -9 case ran" "$out" "OK ] test_killed_mid_transaction"
expect_contains "the pg_trgm name index case ran" "$out" "OK ] test_name_substring"
expect_contains "the v1 upgrade case ran" "$out" "OK ] test_migrate_v1"
expect_contains "the v2 upgrade case ran" "$out" "OK ] test_migrate_v2"
expect_contains "two crawlers' claims are disjoint" "$out" "OK ] test_claim_disjoint"
expect_contains "a lapsed claim is taken" "$out" "OK ] test_claim_lapse"
