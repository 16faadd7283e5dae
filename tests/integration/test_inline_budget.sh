#!/usr/bin/env bash
# Issue 11: answers inside Slack's 3 s whatever the load. 100 signed
# searches sent at once through real nginx, two worker processes, the AWS
# stand-in answering every call after 1 s and then after 4 s: every HTTP
# response must come within 2.5 s of sending (the client's clock), whether
# it is the answer (inline), the acknowledgement (deferred) or "busy"; and
# every acknowledged search gets exactly one notice and one final message.
#
# Before: the inline wait held one of 8 acceptor threads and its 1.5 s
# budget started at pickup, so acks came in waves (84 of 100 after 3 s).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_aws.sh"

N=${LOAD_N:-100}
LIMIT_S=2.5
export SLASH_INFRA_WORKERS=2
# Enough search threads that every acknowledged search runs at once, so
# the finals arrive within the bounded wait below (the HTTP bound does not
# depend on it: a search not started is still acknowledged in time).
export SLASH_INFRA_SEARCH_WORKERS=64
export SLASH_INFRA_SEARCH_QUEUE_SIZE=1024
# Above 4 s of stand-in latency, so the slow case is answered, not failed.
export SLASH_INFRA_AWS_TIMEOUT_MS=8000
export SLASH_INFRA_AWS_MAX_ATTEMPTS=1
export SLASH_INFRA_SEARCH_DEADLINE_MS=30000

aws_start --quiet || exit 1
receiver_start || exit 1
aws_env
stack_start || exit 1

# summary FILE: "n200 late max kinds" from slack_load.py's lines.
summary() {
	"$PYTHON3" - "$1" "$LIMIT_S" <<'PY'
import json, sys, collections
rs = [json.loads(l) for l in open(sys.argv[1])]
lim = float(sys.argv[2])
kinds = collections.Counter(r["kind"] for r in rs)
print(sum(r["status"] == 200 for r in rs), sum(r["elapsed"] > lim for r in rs),
      "%.2f" % max(r["elapsed"] for r in rs),
      ",".join("%s=%d" % kv for kv in sorted(kinds.items())))
PY
}

# finals_ok TAG N_ACKED: every acknowledged request i (kind ack) has exactly
# two messages on /hooks/TAG/i (notice, then final); waits up to 60 s.
finals_check() {
	local tag=$1 file=$2
	"$PYTHON3" - "$RECV_URL" "$tag" "$file" <<'PY'
import json, sys, time, urllib.request
url, tag, f = sys.argv[1:4]
acked = [json.loads(l)["i"] for l in open(f) if json.loads(l)["kind"] == "ack"]
want = {"/hooks/%s/%d" % (tag, i) for i in acked}
deadline = time.time() + 60
while True:
    j = json.load(urllib.request.urlopen(url + "/_messages", timeout=5))
    counts = {p: n for p, n in j["counts"].items() if p.startswith("/hooks/%s/" % tag)}
    done = all(counts.get(p, 0) >= 2 for p in want)
    if done or time.time() > deadline:
        break
    time.sleep(0.2)
time.sleep(0.5)  # anything extra (a duplicate) would show up now
j = json.load(urllib.request.urlopen(url + "/_messages", timeout=5))
counts = {p: n for p, n in j["counts"].items() if p.startswith("/hooks/%s/" % tag)}
missing = sum(counts.get(p, 0) < 2 for p in want)
extra = sum(n > 2 for p, n in counts.items()) + sum(p not in want for p in counts)
finals = [m for m in j["messages"] if m["path"] in want and "Searching" not in m["raw"]]
print(len(want), missing, extra, len(finals))
PY
}

for lat in 1000 4000; do
	aws_reset
	aws_fault "{\"account\":\"*\",\"kind\":\"latency\",\"arg\":$lat}"
	out="$TMP/load.$lat"
	# An instance id: one call per target (7 per search), the load this
	# bound was set for. A Name is asked of every named type (~21 calls
	# per target), and 100 of them at once would measure the stand-in's
	# threads on this 2-core machine, not the worker's answer path.
	"$PYTHON3" "$SI_SRCDIR/tests/integration/slack_load.py" "$BASE" "$SECRET" "$N" \
		i-0a1b2c3d4e5f60001 "$RECV_URL/hooks" --tag "lat$lat" > "$out"
	read -r n200 late max kinds <<< "$(summary "$out")"
	log "# AWS at ${lat} ms: $N searches: 200s=$n200 after-${LIMIT_S}s=$late max=${max}s $kinds"
	expect_eq "AWS ${lat} ms: $N concurrent searches -> $N x HTTP 200" "$n200" "$N"
	expect_eq "AWS ${lat} ms: no response later than ${LIMIT_S} s (max ${max} s)" "$late" 0
	read -r acked missing extra finals <<< "$(finals_check "lat$lat" "$out")"
	log "# AWS at ${lat} ms: acknowledged=$acked missing=$missing extra=$extra finals=$finals"
	expect_eq "AWS ${lat} ms: every acknowledged search got notice + final" "$missing" 0
	expect_eq "AWS ${lat} ms: no message twice, none unasked" "$extra" 0
	expect_eq "AWS ${lat} ms: one final per acknowledged search" "$finals" "$acked"
done
