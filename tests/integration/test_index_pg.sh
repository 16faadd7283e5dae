#!/usr/bin/env bash
# Issue 13 on PostgreSQL: the crawler and the index-first search end to end
# with the inventory in a real PostgreSQL (lib_pg.sh: Debian's server in a
# temporary cluster, unix socket only) given as [state] url
# (SLASH_INFRA_STATE_URL), the store several workers share.
#
# - `inventory refresh` fills PostgreSQL; an exact id the inventory knows
#   is then asked of its own account x region only (the stand-in's
#   per-call counts by account and region prove it).
# - An address reused after its holder was terminated (stand-in
#   /_control/terminate, /_control/launch, a refresh) shows both holders;
#   at: picks the holder of the moment from the index alone.
# - Two served workers (two worker processes under their own spawn-fcgi,
#   each running its crawler) start together on one inventory: the
#   store's claims split the targets, and the stand-in's counts per
#   service:action:account:region equal one crawl's exactly (each target
#   x service listed once, not twice); the claims show in their logs.
# - PostgreSQL stopped mid-way: the search falls back to the live fan-out
#   and answers right, with no word of the inventory; a served crawler
#   logs the store unavailable, and after pg_server_start it says so and
#   crawls again; the search is index-first again.
#
# Fixture: tests/standin/fixture.json; accounts.ini has 7 targets. No
# fixed sleeps; every wait is bounded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_aws.sh"
. "$(dirname "$0")/lib_pg.sh"

export SLASH_INFRA_SEARCH_INLINE_BUDGET_MS=2500
export SLASH_INFRA_AWS_MAX_ATTEMPTS=1
# The nginx-served worker's crawler stays off: its searches' counts are
# the search's alone. The crawling workers below turn theirs on.
export SLASH_INFRA_INVENTORY_ENABLED=off

pg_start
check "PostgreSQL started (unix socket only, user ${PG_TEST_USER:-?})" $?
[ "$FAIL" -eq 0 ] || exit 1
unset SLASH_INFRA_STATE_PATH
export SLASH_INFRA_STATE_URL=$SI_TEST_PG_URL

aws_start --quiet --fixture "$SI_SRCDIR/tests/standin/fixture.json" || exit 1
receiver_start || exit 1
aws_env
stack_start || exit 1
. "$(dirname "$0")/lib_search.sh"

INV() { "$WORKER" inventory "$@"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
PROD=111111111111

# crawler_start NAME [VAR=VALUE...]: one more served worker (its own
# spawn-fcgi and socket, no nginx: only its crawler thread matters here)
# with the inventory crawler on; its log in $TMP/NAME.log, pid in
# CRAWLER_PID[NAME].
declare -A CRAWLER_PID
crawler_start() {
	local name=$1
	shift
	env SLASH_INFRA_INVENTORY_ENABLED=on "$@" \
		"$SPAWN_FCGI" -n -s "$TMP/$name.sock" -M 0600 -- "$WORKER" \
		2>>"$TMP/$name.log" &
	CRAWLER_PID[$name]=$!
	PIDS+=("$!")
}
crawler_stop() { # crawler_stop NAME: SIGTERM, then a bounded wait
	local p=${CRAWLER_PID[$1]}
	kill "$p" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$p" 2>/dev/null
}
# wait_for WHAT TRIES COMMAND...: poll COMMAND every 0.1 s, TRIES times.
wait_for() {
	local what=$1 tries=$2
	shift 2
	for _ in $(seq "$tries"); do "$@" && return 0; sleep 0.1; done
	log "gave up waiting for $what"
	return 1
}
# The inventory's targets, and those not yet tried or still claimed.
n_targets() { pg_sql "SELECT count(*) FROM inv_target"; }
all_written_since() { # all_written_since T: every target tried at or after T, no claim left
	[ "$(pg_sql "SELECT count(*) FROM inv_target WHERE COALESCE(last_try_at, 0) < $1
		OR claimed_by IS NOT NULL")" = 0 ] && [ "$(n_targets)" = "$TARGETS" ]
}
log_has() { grep -q "$2" "$TMP/$1.log" 2>/dev/null; }
# The sum of one logfmt field over a log's crawl-cycle lines.
cycle_sum() {
	grep 'inventory: crawl cycle done' "$TMP/$1.log" 2>/dev/null |
		sed -n "s/.* $2=\([0-9]*\).*/\1/p" | awk '{ s += $1 } END { print s + 0 }'
}

ask warm i-0a1b2c3d4e5f60001 # every account's credentials cached

# ---- 1. inventory refresh fills PostgreSQL -------------------------------------
reset_counts
out=$(INV refresh 2>&1); rc=$?
printf '%s\n' "$out" > "$TMP/refresh1.out"
expect_eq "inventory refresh on PostgreSQL exits 0" "$rc" 0
targets one_crawl
TARGETS=$(n_targets)
[ "${TARGETS:-0}" -gt 7 ]; check "PostgreSQL holds the targets ($TARGETS)" $?
[ "$(pg_sql "SELECT count(*) FROM inv_resource WHERE gone_at IS NULL")" -gt 10 ]
check "PostgreSQL holds the resources" $?
expect_eq "no claim left after the refresh" \
	"$(pg_sql "SELECT count(*) FROM inv_target WHERE claimed_by IS NOT NULL")" 0
expect_eq "schema version 4 (kept results)" "$(pg_sql "SELECT version FROM schema_version")" 4

# ---- 2. index, then confirm: a known id is asked in its own target only --------
search known i-0a1b2c3d4e5f60001
expect_eq "known id: calls only in production/eu-west-2" "$(cat "$TMP/targets.known")" \
	"$PROD:eu-west-2"
jcheck "known id: found live" "$ANS" "'prod-web-1' in alltext(j)"
jcheck "known id: the note says where the search went" "$ANS" \
	"any('Searched only where the inventory places it' in c for c in contexts(j))"

# ---- 3. an address reused: both holders, at: picks one --------------------------
reuse_prod_web_2 "$PROD"
search reused 10.10.2.20
expect_eq "reused address: asked in production/eu-west-2 only" \
	"$(cat "$TMP/targets.reused")" "$PROD:eu-west-2"
hist="[s for s in texts(j.get('blocks', [])) if s.startswith('*History*')][0]"
jcheck "reused address: both holders, present first, with AWS's times" "$ANS" \
	"(lambda h: h.index('i-0a1b2c3d4e5f6000f') < h.index('i-0a1b2c3d4e5f60002') and '<!date^$t_launch^' in h and '<!date^$t_term^' in h and ', terminated' in h)($hist)"
search at_before "10.10.2.20 at:$(iso $((t_term - 120)))"
expect_eq "at: before the reuse: no AWS call" "$(cat "$TMP/targets.at_before")" ""
jcheck "at: before the reuse: the old holder only" "$ANS" \
	"(lambda h: 'i-0a1b2c3d4e5f60002' in h and 'i-0a1b2c3d4e5f6000f' not in h)([s for s in texts(j.get('blocks', [])) if s.startswith('*10.10.2.20*')][0])"
search at_after "10.10.2.20 at:-2m"
jcheck "at: after the reuse: the new holder only" "$ANS" \
	"(lambda h: 'i-0a1b2c3d4e5f6000f' in h and 'i-0a1b2c3d4e5f60002' not in h)([s for s in texts(j.get('blocks', [])) if s.startswith('*10.10.2.20*')][0])"
jflush

# ---- 4. two served workers crawl one inventory at once -------------------------
# Everything due again (a new inventory), the same AWS: one crawl's calls
# are $TMP/calls.one_crawl.json (the refresh of step 1, the reuse aside:
# it changed instances, not what is listed). A slow budget (2 requests a
# second per target x service) keeps each batch in flight long enough
# that the two crawlers overlap.
pg_sql "TRUNCATE inv_target, inv_resource, inv_ident, inv_addr_history" >/dev/null
reset_counts
t0=$(date +%s)
for w in crawler_a crawler_b; do
	crawler_start "$w" SLASH_INFRA_INVENTORY_REFRESH_S=3600 SLASH_INFRA_INVENTORY_RATE_PER_S=2
done
wait_for "both crawlers' first cycles" 1200 all_written_since "$t0"
check "two crawlers: every target written once, no claim left" $?
wait_for "both crawl-cycle lines" 100 eval \
	'log_has crawler_a "crawl cycle done" && log_has crawler_b "crawl cycle done"'
targets two_crawlers
calls_compare one_crawl two_crawlers > "$TMP/two.diff"
check "two crawlers: each target x service listed once (the calls of one crawl)" $? \
	"$(cat "$TMP/two.diff")"
a=$(cycle_sum crawler_a targets)
b=$(cycle_sum crawler_b targets)
held=$(( $(cycle_sum crawler_a held) + $(cycle_sum crawler_b held) ))
log "figure: crawler a listed $a targets, crawler b $b, of $TARGETS; $held refused as held"
expect_eq "two crawlers: the targets split between them ($a + $b)" "$((a + b))" "$TARGETS"
[ "$held" -gt 0 ]; check "two crawlers: the claims refused the other's targets ($held)" $?
crawler_stop crawler_a
crawler_stop crawler_b

# ---- 5. PostgreSQL stopped mid-way: live fallback, then the crawler resumes ------
crawler_start crawler_c SLASH_INFRA_INVENTORY_REFRESH_S=5 SLASH_INFRA_INVENTORY_RATE_PER_S=1000
wait_for "crawler c's first cycle" 300 log_has crawler_c "crawl cycle done"
check "crawler c ran a cycle" $?
pg_server_stop
check "PostgreSQL stopped" $?
search pg_down i-0a1b2c3d4e5f60001
expect_eq "PostgreSQL down: the id fans out live to all 7 targets" \
	"$(wc -l < "$TMP/targets.pg_down")" 7
jcheck "PostgreSQL down: found live, in the channel" "$ANS" \
	"j.get('response_type') == 'in_channel' and 'prod-web-1' in alltext(j)"
jcheck "PostgreSQL down: no word of the inventory or of a failure" "$ANS" \
	"all(w not in alltext(j).lower() for w in ('inventory', 'error', 'failed', 'unavailable'))"
wait_for "crawler c to see the store gone" 400 log_has crawler_c 'state store unavailable'
check "crawler c logged the store unavailable" $?
t_back=$(date +%s)
pg_server_start
check "PostgreSQL started again" $?
wait_for "crawler c to resume" 600 log_has crawler_c 'state store ok again'
check "crawler c logged the store ok again" $?
wait_for "a crawl after the restart" 600 all_written_since "$t_back"
check "crawler c crawled every target after the restart" $?
crawler_stop crawler_c
search pg_back i-0a1b2c3d4e5f60001
expect_eq "PostgreSQL back: index-first again (production/eu-west-2 only)" \
	"$(cat "$TMP/targets.pg_back")" "$PROD:eu-west-2"
jcheck "PostgreSQL back: found" "$ANS" "'prod-web-1' in alltext(j)"
jflush
finish
