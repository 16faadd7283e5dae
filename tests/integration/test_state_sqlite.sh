#!/usr/bin/env bash
# Issue 11: the replay cache and the search journal through real nginx,
# on the default store (SQLite, one file in the test's directory). The
# cases are in state_cases.sh, shared with test_state_pg.sh.
. "$(dirname "$0")/lib.sh"
STATE_BACKEND=sqlite
. "$(dirname "$0")/state_cases.sh"
