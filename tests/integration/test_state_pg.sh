#!/usr/bin/env bash
# Issue 11: the replay cache and the search journal through real nginx,
# on PostgreSQL: lib_pg.sh starts Debian's server in a temporary cluster
# (unix socket only, a non-root user) and every worker uses it through
# [state] url (SLASH_INFRA_STATE_URL). The cases are in state_cases.sh,
# shared with test_state_sqlite.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
STATE_BACKEND=pg
pg_start
check "PostgreSQL started (unix socket only, user ${PG_TEST_USER:-?})" $?
[ "$FAIL" -eq 0 ] || exit 1
unset SLASH_INFRA_STATE_PATH
export SLASH_INFRA_STATE_URL=$SI_TEST_PG_URL
. "$(dirname "$0")/state_cases.sh"
