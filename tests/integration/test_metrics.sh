#!/usr/bin/env bash
# /metrics (issue 15), end to end: nginx (the shipped site) -> the worker
# under its supervisor with 2 worker processes -> the AWS stand-in. One
# account fails (STS AccessDenied), a search runs, and /metrics, scraped
# through nginx from 127.0.0.1 and read with a real Prometheus text parser
# (Debian's python3-prometheus-client), shows the search by outcome, the
# failing account's failures (and none for the good ones), the AWS
# requests by code with the fault's code, STS refreshes by result, a
# histogram whose buckets only grow and end at its count, and a replay
# refusal. Every scrape, whichever worker answers it, shows the same
# totals: the counters are shared by the worker processes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_aws.sh"

# Two workers: a scrape reaches one of them, and must show both's counts.
export SLASH_INFRA_WORKERS=2

# The parser is Debian's package, for the system python3 (a developer's
# pyenv python3 may lack it).
PROM_PY=/usr/bin/python3
"$PROM_PY" -c 'import prometheus_client.parser' 2>/dev/null || PROM_PY=$PYTHON3
if ! "$PROM_PY" -c 'import prometheus_client.parser' 2>/dev/null; then
	check "python3-prometheus-client is installed (apt-get install python3-prometheus-client)" 1
	exit 1
fi

STAGING=222222222222

receiver_start || exit 1
aws_start || exit 1
aws_env
stack_start || exit 1

# scrape FILE: GET /metrics through nginx; prints the HTTP status and the
# Content-Type, the body in FILE.
scrape() {
	curl -s --max-time 5 -o "$1" -w '%{http_code} %{content_type}' "$BASE/metrics"
}

# prom FILE EXPR: evaluate a Python expression over FILE's samples, parsed
# by prometheus_client: s(name, **labels) is the value of the one sample
# with exactly that name and those labels (None when absent), samples the
# list of (name, labels, value). Prints the result; a parse error fails.
prom() {
	"$PROM_PY" - "$1" "$2" <<'PY'
import math, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1], encoding="utf-8").read()
samples = [(x.name, dict(x.labels), x.value)
           for fam in text_string_to_metric_families(text) for x in fam.samples]
def s(name, **labels):
    got = [v for n, l, v in samples if n == name and l == labels]
    return got[0] if len(got) == 1 else None
print(eval(sys.argv[2]))
PY
}

audit_count() { grep -c 'event=audit ' "$TMP/worker.log" 2>/dev/null || true; }
audits_at_least() { [ "$(audit_count)" -ge "$1" ]; }

# ---- before any search: the format and the empty series -----------------------

out=$(scrape "$TMP/m0.txt")
expect_eq "GET /metrics -> 200 text/plain version 0.0.4" "$out" \
	"200 text/plain; version=0.0.4; charset=utf-8"
got=$(prom "$TMP/m0.txt" "len(samples) > 0")
expect_eq "the text parses with prometheus_client ($got)" "$got" True
for acct in production staging dev; do
	expect_eq "before: failures of $acct at 0 (a configured account has its series)" \
		"$(prom "$TMP/m0.txt" "s('slash_infra_search_target_failures_total', account='$acct')")" 0.0
done
expect_eq "before: inventory age NaN (no inventory)" \
	"$(prom "$TMP/m0.txt" "math.isnan(s('slash_infra_inventory_age_seconds'))")" True
expect_eq "POST /metrics -> 405" \
	"$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$BASE/metrics")" 405

# ---- a search where staging's role cannot be assumed ---------------------------

aws_fault "{\"account\":\"$STAGING\",\"kind\":\"sts-access-denied\"}"
audits=$(audit_count)
r=$(post_signed "$(slack_body web "$RECV_URL/hooks/T1/B1/metrics")")
case "$r" in 200\ *) check "search answered (200)" 0 ;; *) check "search answered (200)" 1 "($r)" ;; esac
# The search's counters are written with its audit line (inline or once
# delivered): wait for that, bounded, never a fixed time.
wait_for 30 audits_at_least $((audits + 1))
check "the search ended (its audit line)" $?
grep -q 'event=audit .*outcome=partial' "$TMP/worker.log"
check "the audit line says partial" $?

# A replay of one signed request: refused, and counted.
ts=$(date +%s)
body=$(slack_body help)
post_signed "$body" "$ts" >/dev/null
r=$(post_signed "$body" "$ts")
expect_eq "the same signed request again -> 401 replayed" "$r" "401 replayed"

# ---- scrape: several times, whichever worker answers ---------------------------

for i in 1 2 3 4 5 6; do
	out=$(scrape "$TMP/m$i.txt")
	expect_eq "scrape $i -> 200" "${out%% *}" 200
done
M=$TMP/m1.txt

got=$(prom "$M" "s('slash_infra_search_target_failures_total', account='staging')")
[ "$("$PROM_PY" -c "print(float('${got:-0}') > 0)")" = True ]
check "failures of the failing account (staging) > 0 ($got)" $?
for acct in production dev; do
	expect_eq "failures of the good account $acct == 0" \
		"$(prom "$M" "s('slash_infra_search_target_failures_total', account='$acct')")" 0.0
done
expect_eq "searches by outcome: one partial (failures in one account)" \
	"$(prom "$M" "sum(v for n, l, v in samples if n == 'slash_infra_searches_total' and l['outcome'] == 'partial')")" 1.0
expect_eq "searches: one in all" \
	"$(prom "$M" "sum(v for n, l, v in samples if n == 'slash_infra_searches_total')")" 1.0
got=$(prom "$M" "s('slash_infra_aws_requests_total', service='sts', action='AssumeRole', code='AccessDenied')")
[ "$("$PROM_PY" -c "print(float('${got:-0}') >= 1)")" = True ]
check "AWS requests by code include the fault's AccessDenied (sts AssumeRole: $got)" $?
got=$(prom "$M" "sum(v for n, l, v in samples if n == 'slash_infra_aws_requests_total' and l['service'] == 'ec2' and l['code'] == 'ok')")
[ "$("$PROM_PY" -c "print(float('${got:-0}') >= 1)")" = True ]
check "AWS requests: ec2 calls answered ok ($got)" $?
expect_eq "STS refreshes: 2 ok (production, dev), 1 error (staging)" \
	"$(prom "$M" "(s('slash_infra_sts_refreshes_total', result='ok'), s('slash_infra_sts_refreshes_total', result='error'))")" \
	"(2.0, 1.0)"
expect_eq "replay refusals: 1" "$(prom "$M" "s('slash_infra_replay_refusals_total')")" 1.0
expect_eq "queue depth 0 and journal backlog 0 once answered" \
	"$(prom "$M" "(s('slash_infra_search_queue_depth'), s('slash_infra_journal_backlog'))")" \
	"(0.0, 0.0)"

# Every histogram: per label set, buckets non-decreasing in le, +Inf ==
# _count, and every AWS request of the service counted once in it.
got=$("$PROM_PY" - "$M" <<'PY'
import math, sys
from prometheus_client.parser import text_string_to_metric_families
samples = [(x.name, dict(x.labels), x.value)
           for fam in text_string_to_metric_families(open(sys.argv[1]).read())
           for x in fam.samples]
H = "slash_infra_aws_request_duration_seconds"
bad = []
for svc in sorted({l["service"] for n, l, v in samples if n == H + "_count"}):
    bs = sorted((float(l["le"]), v) for n, l, v in samples
                if n == H + "_bucket" and l["service"] == svc)
    count = [v for n, l, v in samples if n == H + "_count" and l["service"] == svc][0]
    reqs = sum(v for n, l, v in samples
               if n == "slash_infra_aws_requests_total" and l["service"] == svc)
    if [v for _, v in bs] != sorted(v for _, v in bs):
        bad.append(svc + ": buckets decrease")
    if not bs or bs[-1][0] != math.inf or bs[-1][1] != count:
        bad.append(svc + ": +Inf is not the count")
    if count != reqs:
        bad.append("%s: count %s, requests %s" % (svc, count, reqs))
print("; ".join(bad) or "ok")
PY
)
expect_eq "histogram: buckets monotonic, +Inf == count == the service's requests" "$got" ok
expect_eq "histogram: a series for sts and for ec2" \
	"$(prom "$M" "sorted({l['service'] for n, l, v in samples if n == 'slash_infra_aws_request_duration_seconds_count'} & {'sts', 'ec2'})")" \
	"['ec2', 'sts']"

# The same totals from every scrape, whichever worker answered it.
ref=$(prom "$M" "sorted((n, sorted(l.items()), v) for n, l, v in samples if n in ('slash_infra_search_target_failures_total', 'slash_infra_searches_total', 'slash_infra_sts_refreshes_total'))")
same=0
for i in 2 3 4 5 6; do
	[ "$(prom "$TMP/m$i.txt" "sorted((n, sorted(l.items()), v) for n, l, v in samples if n in ('slash_infra_search_target_failures_total', 'slash_infra_searches_total', 'slash_infra_sts_refreshes_total'))")" = "$ref" ] || same=1
done
check "every scrape shows the same search, failure and STS totals (shared by the workers)" $same
workers=$(grep -o 'msg="worker ready"' "$TMP/worker.log" | wc -l)
[ "$workers" -ge 2 ]; check "two worker processes served ($workers ready)" $?

# Proof that the counters live outside the workers: kill both (the
# supervisor starts new ones, which have counted nothing themselves); the
# next scrape, from a new worker, still shows every total.
ready_count() { grep -c 'msg="worker ready"' "$TMP/worker.log"; }
ready=$(ready_count)
kids=$(cat /proc/"$WORKER_PID"/task/*/children 2>/dev/null)
expect_eq "the supervisor has 2 workers" "$(printf '%s\n' $kids | grep -c .)" 2
for k in $kids; do kill -KILL "$k" 2>/dev/null; done
ready_again() { [ "$(ready_count)" -ge $((ready + 2)) ]; }
wait_for 30 ready_again
check "both workers replaced" $?
wait_http "$BASE/healthz"
out=$(scrape "$TMP/m7.txt")
expect_eq "scrape after the restart -> 200" "${out%% *}" 200
expect_eq "a new worker answers with the same totals" \
	"$(prom "$TMP/m7.txt" "sorted((n, sorted(l.items()), v) for n, l, v in samples if n in ('slash_infra_search_target_failures_total', 'slash_infra_searches_total', 'slash_infra_sts_refreshes_total'))")" \
	"$ref"
expect_eq "and a queue depth of 0 (the dead workers' slots were reset)" \
	"$(prom "$TMP/m7.txt" "s('slash_infra_search_queue_depth')")" 0.0
