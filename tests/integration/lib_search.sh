#!/usr/bin/env bash
# Helpers for the end-to-end search tests (sourced after lib.sh and
# lib_aws.sh; the functions that send need the stack started): signed slash
# commands that wait for the final answer wherever it comes (inline or
# response_url), signed button presses, JSON checks of the Slack message
# queued and evaluated in one python run, and checks of what the receiver
# got. $TMP/jx.py is importable (from jx import *) by a test's own Python.

# Python helpers for checks: eval an expression with j = the message.
cat > "$TMP/jx.py" <<'EOF'
import json, re, sys

def texts(o):
    """Every mrkdwn/plain text in a message, in order."""
    out = []
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "text" and isinstance(v, str):
                out.append(v)
            else:
                out.extend(texts(v))
    elif isinstance(o, list):
        for v in o:
            out.extend(texts(v))
    return out

def alltext(o):
    return "\n".join(texts(o))

def sections(j):
    return [b for b in j.get("blocks", []) if b.get("type") == "section"]

def contexts(j):
    return [e.get("text", "") for b in j.get("blocks", []) if b.get("type") == "context"
            for e in b.get("elements", [])]

def match_blocks(j):
    """Sections that describe one match (they carry fields)."""
    return [b for b in sections(j) if "fields" in b]

def fields(b):
    """{label: value} of a section's '*Label*\\nvalue' fields."""
    out = {}
    for f in b.get("fields", []):
        lab, _, val = f["text"].partition("\n")
        out[lab.strip("*")] = val
    return out

def block_for(j, needle):
    """The match block whose title text contains needle (an id)."""
    for b in match_blocks(j):
        if needle in b["text"]["text"]:
            return b
    return None

def links(b):
    return re.findall(r"<(https://[^|>]+)\|", b["text"]["text"])

def mrkdwn_objects(o):
    """Every {"type": "mrkdwn"} text object in a message."""
    out = []
    if isinstance(o, dict):
        if o.get("type") == "mrkdwn":
            out.append(o)
        for v in o.values():
            out.extend(mrkdwn_objects(v))
    elif isinstance(o, list):
        for v in o:
            out.extend(mrkdwn_objects(v))
    return out

def label(b):
    """The label of a match block's console link: the escaped Name."""
    return b["text"]["text"].split("|", 1)[1].split(">*", 1)[0]

def strings(o):
    """Every string value in o (texts, URLs, ids, values), in order."""
    if isinstance(o, str):
        yield o
    elif isinstance(o, dict):
        for v in o.values():
            yield from strings(v)
    elif isinstance(o, list):
        for v in o:
            yield from strings(v)

def allstrings(m):
    return "\n".join(strings(m))

def text_chars(m):
    """Characters (UTF-16 units) of every string inside "blocks", URLs
    included: what Slack's msg_blocks_too_long counts (render.h
    RENDER_MAX_TEXT_TOTAL, slack_receiver.py's reject_blocks_over)."""
    return sum(len(s.encode("utf-16-le")) // 2 for s in strings(m.get("blocks", [])))

def within_budget(m):
    """Slack's budget: <= 12,000 characters of block text, <= 50 blocks."""
    return text_chars(m) <= 12000 and len(m.get("blocks", [])) <= 50

def buttons(m):
    """{action_id: value} of the message's buttons."""
    return {e["action_id"]: e.get("value") for b in m.get("blocks", [])
            if b.get("type") == "actions" for e in b.get("elements", [])}

def is_fallback(m):
    """The minimal message sent after a refused reply (render.h
    render_fallback): <= 3 blocks, <= 3,000 characters, no link, no
    button, the counts by account and how to narrow."""
    t = allstrings(m)
    return (1 <= len(m.get("blocks", [])) <= 3 and text_chars(m) <= 3000
            and "https://" not in t and not buttons(m) and "narrow" in t
            and "account:" in t)

# One line per queued check: NAME \t FILE \t EXPR. Prints one line per
# check: "0<TAB>NAME<TAB>" or "1<TAB>NAME<TAB>detail".
if __name__ == "__main__":
    for line in open(sys.argv[1], encoding="utf-8"):
        name, path, expr = line.rstrip("\n").split("\t", 2)
        try:
            j = json.load(open(path, encoding="utf-8"))
            v = eval(expr)
            detail = "" if v else "(false: %s; message: %s)" % (expr, json.dumps(j)[:500])
        except Exception as e:  # a missing block or field fails the check
            v, detail = False, "(%s: %s; expr: %s)" % (type(e).__name__, e, expr)
        print("%d\t%s\t%s" % (0 if v else 1, name, detail.replace("\n", " ")))
EOF

# jcheck NAME FILE EXPR: EXPR (Python, j = parsed FILE) must be truthy.
# Every file checked is written once and never changed, so checks are
# queued and evaluated together by jflush: one python start, not one per
# check.
jcheck() {
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$TMP/checks.tsv"
}
jflush() {
	local rc name detail
	[ -s "$TMP/checks.tsv" ] || return 0
	"$PYTHON3" "$TMP/jx.py" "$TMP/checks.tsv" > "$TMP/checks.out" 2>&1 ||
		{ check "json checks ran" 1 "$(head -c 500 "$TMP/checks.out")"; return; }
	while IFS=$'\t' read -r rc name detail; do
		check "$name" "$rc" "$detail"
	done < "$TMP/checks.out"
	: > "$TMP/checks.tsv"
}

# recv_check NAME PATH EXPR: EXPR (Python; r = the receiver's /_messages
# for PATH, ms = the bodies it accepted there, and jx.py's helpers) must be
# truthy.
recv_check() {
	local out
	out=$(recv_messages "$2" | "$PYTHON3" -c "
import sys, json
sys.path.insert(0, '$TMP')
from jx import *
r = json.load(sys.stdin)
ms = [m['body'] for m in r['messages']]
v = $3
print('' if v else 'false: ' + json.dumps(r)[:800])" 2>&1)
	if [ -z "$out" ]; then check "$1" 0; else check "$1" 1 "($out)"; fi
}

# snap NAME: keep the stand-in's stats now, in $TMP/stats.NAME.json.
snap() { aws_stats > "$TMP/stats.$1.json"; }

# urlenc STRING: application/x-www-form-urlencoded, byte by byte.
urlenc() {
	local LC_ALL=C s=$1 out="" c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[a-zA-Z0-9._~-]) out+=$c ;;
		' ') out+=+ ;;
		*) printf -v c '%%%02X' "'$c"; out+=$c ;;
		esac
	done
	printf '%s' "$out"
}

# slack_sig TS [SECRET]: Slack's signature (X-Slack-Signature: v0=hex) of
# the body on stdin sent at TS, with SECRET (the test's unless given);
# openssl instead of a python start per request.
slack_sig() {
	local sig
	sig=$({ printf 'v0:%s:' "$1"; cat; } | openssl dgst -sha256 -hmac "${2:-$SECRET}" -r)
	printf 'v0=%s' "${sig%% *}"
}

# post TEXT RESPONSE_URL OUTFILE: a signed slash command as Slack sends it
# (the fields of lib.sh's slack_body). Prints the HTTP status.
post() {
	local ts body sig
	ts=$(date +%s)
	body="token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&channel_id=C2147483705&channel_name=test&user_id=U2147483697&user_name=Steve&command=%2Finfra-search&text=$(urlenc "$1")&response_url=$(urlenc "$2")&trigger_id=13345224609.738474920.8088930838d88f008e0&api_app_id=A123456"
	sig=$(printf '%s' "$body" | slack_sig "$ts")
	curl -s --max-time 10 -o "$3" -w '%{http_code}' \
		-H "Content-Type: application/x-www-form-urlencoded" \
		-H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: $sig" \
		--data-binary "$body" "$BASE/slack/infra-search"
}

# ---- button presses (POST /slack/interactive) ----------------------------------
# The press's form body: Slack's documented block_actions example
# (tests/data/shared/slack/interactivity-block-actions.java-slack-sdk.json)
# with our ids and button, as Slack sends it (payload=, form-encoded).
# MESSAGE_FILE (optional): the message the button was on, echoed in
# "message" as Slack does for a message that is not ephemeral.
PRESS_EXAMPLE="${SI_TESTDATA:-$SI_SRCDIR/tests/data/shared}/slack/interactivity-block-actions.java-slack-sdk.json"
cat > "$TMP/press.py" <<'EOF'
import json, sys, urllib.parse
(example, out, team, channel, url, action_id, value, ephemeral, message) = sys.argv[1:10]
j = json.load(open(example))
j["team"]["id"] = team
j["user"] = {"id": "U2147483697", "username": "Steve", "name": "Steve", "team_id": team}
j["channel"] = {"id": channel, "name": "test"}
j["container"] = {"type": "message", "message_ts": "1548261231.000200", "channel_id": channel,
                  "is_ephemeral": ephemeral == "1"}
j["response_url"] = url
j["actions"][0].update({"action_id": action_id, "value": value, "block_id": "si"})
j["actions"][0]["text"]["text"] = action_id
if message:
    j["message"].update(json.load(open(message)))
else:
    del j["message"]
open(out, "w").write("payload=" + urllib.parse.quote_plus(json.dumps(j)))
EOF

# press NAME ACTION VALUE [CHANNEL [TEAM [SECRET [EPHEMERAL [MESSAGE_FILE]]]]]:
# one signed press whose response_url is the receiver's /hooks/press/NAME.
# Sets ST (HTTP status) and PBODY (its body file, for a replay); the HTTP
# answer's body is left in $TMP/press.out.
press() {
	local name=$1 action=$2 value=$3 channel=${4:-C2147483705} team=${5:-T0001}
	local secret=${6:-$SECRET} eph=${7:-1} message=${8:-}
	PBODY="$TMP/press.$name.body"
	"$PYTHON3" "$TMP/press.py" "$PRESS_EXAMPLE" "$PBODY" "$team" "$channel" \
		"$RECV_URL/hooks/press/$name" "$action" "$value" "$eph" "$message"
	press_send "$PBODY" "$secret"
}

# press_send BODYFILE [SECRET]: POST it signed now; sets ST, PTS, PSIG.
press_send() {
	PTS=$(date +%s)
	PSIG=$(slack_sig "$PTS" "${2:-$SECRET}" < "$1")
	press_raw "$1"
}

# press_raw BODYFILE: POST it with PTS and PSIG as they are (a replay).
press_raw() {
	ST=$(curl -s --max-time 10 -o "$TMP/press.out" -w '%{http_code}' \
		-H "Content-Type: application/x-www-form-urlencoded" \
		-H "X-Slack-Request-Timestamp: $PTS" -H "X-Slack-Signature: $PSIG" \
		--data-binary "@$1" "$BASE/slack/interactive")
}

# ask NAME TEXT: one signed slash command with its own response_url
# (/hooks/e2e/NAME). Sets ST (HTTP status), ANS (file: the answer, whether
# it came inline or, after an ack, through the response_url) and MODE
# (inline|deferred|other). Inline paths are remembered to check later that
# nothing was ever posted to them.
INLINE_PATHS=()
DEFERRED_PATHS=()
ask() {
	local name=$1 text=$2 path="/hooks/e2e/$1"
	ANS="$TMP/http.$name.json"
	ST=$(post "$text" "$RECV_URL$path" "$ANS")
	MODE=other
	if [ "$ST" != 200 ]; then
		return
	fi
	if [ "$(cat "$ANS")" = '{"response_type":"in_channel"}' ]; then
		MODE=deferred
		DEFERRED_PATHS+=("$path")
		if recv_wait "$path" 2 60; then
			recv_messages "$path" | json_get 'json.dumps(j["messages"][-1]["body"])' > "$TMP/final.$name.json"
			ANS="$TMP/final.$name.json"
		fi
	else
		MODE=inline
		INLINE_PATHS+=("$path")
	fi
}

# Per-target call counts of the AWS stand-in (the index tests: which
# targets a search or a crawl asked).
#
# targets NAME: the account:region pairs the AWS calls went to since the
# last reset_counts, sorted, in $TMP/targets.NAME; the accounts whose
# Route 53 (global: its calls are signed for us-east-1 whatever the
# target) was asked, in $TMP/r53.NAME; the call counts per key
# (service:action:account:region) in $TMP/calls.NAME.json. STS is left
# out: credentials are cached.
targets() {
	aws_stats > "$TMP/stats.$1.json"
	"$PYTHON3" - "$TMP/stats.$1.json" "$TMP/targets.$1" "$TMP/r53.$1" \
		"$TMP/calls.$1.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
keys = {k: v for k, v in j.get("by_call_key", {}).items() if not k.startswith("sts:")}
pairs = sorted({":".join(k.split(":")[-2:]) for k in keys if not k.startswith("route53:")})
r53 = sorted({k.split(":")[-2] for k in keys if k.startswith("route53:")})
open(sys.argv[2], "w").write("".join(p + "\n" for p in pairs))
open(sys.argv[3], "w").write("".join(a + "\n" for a in r53))
json.dump(keys, open(sys.argv[4], "w"))
PY
}
reset_counts() { aws_control /_control/reset '{}' >/dev/null; }

# search NAME TEXT: counts zeroed, the search asked (ask), its targets
# taken (targets), and its answer checked to be 200.
search() {
	reset_counts
	ask "$1" "$2"
	targets "$1"
	expect_eq "$1: answered" "$ST" 200
}

# standin_reuse ACCOUNT REGION OLD_ID NEW_ID SUBNET IP NAME T_TERM T_LAUNCH:
# the stand-in terminates OLD_ID at T_TERM and launches NEW_ID (named NAME)
# on its address IP in SUBNET at T_LAUNCH (Unix seconds): an address
# reused, for the history cases. Checks both steps.
standin_reuse() {
	local out
	out=$(aws_control /_control/terminate "{\"account\":\"$1\",\"region\":\"$2\",\"instance\":\"$3\",\"at\":\"$(date -u -d "@$8" +%Y-%m-%dT%H:%M:%SZ)\"}")
	expect_contains "stand-in terminated $3" "$out" '"state": "terminated"'
	out=$(aws_control /_control/launch "{\"account\":\"$1\",\"region\":\"$2\",\"instance\":\"$4\",\"subnet\":\"$5\",\"private_ip\":\"$6\",\"name\":\"$7\",\"launch_time\":\"$(date -u -d "@$9" +%Y-%m-%dT%H:%M:%SZ)\"}")
	expect_contains "stand-in launched $7 on $6" "$out" "\"private_ip\": \"$6\""
}

# reuse_prod_web_2 ACCOUNT: in the default fixture's production account
# (eu-west-2), prod-web-2 (10.10.2.20) terminated 10 minutes ago on the
# stand-in's clock and its address taken by prod-web-7 5 minutes ago, then
# that target refreshed (`slash-infra inventory refresh`). Sets t_term and
# t_launch (Unix seconds) for the history checks.
reuse_prod_web_2() {
	local now rc
	now=$(curl -s "$AWS_URL/_control/clock" | json_get 'int(j["now_epoch"])')
	t_term=$((now - 600))
	t_launch=$((now - 300))
	standin_reuse "$1" eu-west-2 i-0a1b2c3d4e5f60002 i-0a1b2c3d4e5f6000f \
		subnet-0111000000000a002 10.10.2.20 prod-web-7 "$t_term" "$t_launch"
	"$WORKER" inventory refresh account:production region:eu-west-2 >/dev/null 2>&1; rc=$?
	expect_eq "refresh after the reuse exits 0" "$rc" 0
}

# calls_compare A B: 0 when the per-key call counts $TMP/calls.A.json and
# $TMP/calls.B.json are equal; else 1, printing the keys that differ.
calls_compare() {
	"$PYTHON3" - "$TMP/calls.$1.json" "$TMP/calls.$2.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
diff = {k: (a.get(k, 0), b.get(k, 0)) for k in set(a) | set(b) if a.get(k, 0) != b.get(k, 0)}
if diff:
    print(" ".join("%s=%s/%s" % (k, x, y) for k, (x, y) in sorted(diff.items())[:20]))
sys.exit(1 if diff else 0)
PY
}
