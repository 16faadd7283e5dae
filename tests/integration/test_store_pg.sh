#!/usr/bin/env bash
# The state store's unit tests (tests/unit/test_store.c) against a real
# PostgreSQL: lib_pg.sh starts Debian's server in a temporary cluster (unix
# socket only, a non-root user), and test_store runs its PostgreSQL group
# (the same test functions the SQLite group runs in `make check`), including
# the server going away and coming back (SI_TEST_PG_STOP / SI_TEST_PG_START).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

TEST_STORE=$SI_BUILDDIR/tests/unit/test_store
if [ ! -x "$TEST_STORE" ]; then
	log "$TEST_STORE not built (make check builds it)"
	exit 1
fi

pg_start
check "PostgreSQL started (unix socket only, user ${PG_TEST_USER:-?})" $?
[ "$FAIL" -eq 0 ] || exit 1

out=$(SI_TEST_STORE=pg "$TEST_STORE" 2>&1)
rc=$?
printf '%s\n' "$out" >&2
check "test_store passes against PostgreSQL" $rc
expect_contains "the PostgreSQL-only case ran" "$out" "OK ] test_pg_reconnect"
expect_contains "the server-restart case ran" "$out" "while the server is down:"

# Only the socket: the cluster listens on no TCP port.
if command -v ss >/dev/null; then
	tcp=$(ss -ltnp 2>/dev/null | grep -c "postgres" || true)
	expect_eq "PostgreSQL listens on no TCP socket" "$tcp" 0
fi
