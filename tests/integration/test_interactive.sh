#!/usr/bin/env bash
# Issue 14: the reply's buttons end to end. Real nginx (nginx.conf.example's
# /slack/interactive location) -> spawn-fcgi -> the worker -> the AWS
# stand-in (a generated organisation) -> the loopback response_url receiver,
# with the SQLite state store keeping the results.
#
# A search with many matches is answered ephemerally with buttons; each
# button is then pressed with a signed block_actions payload built from
# Slack's documented example (tests/data/shared/slack/
# interactivity-block-actions.java-slack-sdk.json: ids, response_url,
# container, action_id and value substituted), and what the receiver gets
# is checked as JSON: "Show all" posts the pages (every one within the
# size budget: <= 12,000 characters of block text, <= 50 blocks), 5 posts
# at most per press (4 pages and a "more" button past 5), "more" the
# rest; "Share" the kept in_channel message, once; "Refresh" one message
# replacing the pressed one; and the refusals: a forged signature (401,
# nothing posted), a replayed press, an expired id, another channel.
#
# Bounded: every wait polls with a limit (60 s), never a fixed sleep.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_aws.sh"

SLACK_DATA="${SI_TESTDATA:-$SI_SRCDIR/tests/data/shared}/slack"
EXAMPLE="$SLACK_DATA/interactivity-block-actions.java-slack-sdk.json"

# Ephemeral answers (so "Share in channel" is offered); searches of a few
# seconds at most on this generated organisation, answered inline or
# through the response_url alike (ask() takes either).
export SLASH_INFRA_SEARCH_RESPONSE_TYPE=ephemeral
export SLASH_INFRA_SEARCH_INLINE_BUDGET_MS=2500
export SLASH_INFRA_AWS_MAX_ATTEMPTS=1

# 4 generated accounts, one region, 400 instances each: a Name held by
# hundreds of resources (instances and their root volumes), so "Show all"
# needs more than 5 pages.
N_ACCOUNTS=4
aws_start --quiet --generate-org "$N_ACCOUNTS" 1 400 || exit 1
receiver_start || exit 1
export AWS_ACCESS_KEY_ID=AKIASTANDINBASE00001
export AWS_SECRET_ACCESS_KEY=standinBaseSecretKey/0000000000000000000
unset AWS_SESSION_TOKEN AWS_PROFILE SLASH_INFRA_CONFIG
export AWS_EC2_METADATA_DISABLED=true
export AWS_ENDPOINT_URL=$AWS_URL
export SLASH_INFRA_SLACK_RESPONSE_URL_PREFIXES="$RECV_URL/"
for i in $(seq 0 $((N_ACCOUNTS - 1))); do
	export "AWS_ROLE_G$i=arn:aws:iam::$((400000000000 + i)):role/InfraSearchReadOnly"
done
stack_start || exit 1

. "$(dirname "$0")/lib_search.sh"

# The checks on messages, in Python: the budget, the buttons, the pages.
cat > "$TMP/msg.py" <<'EOF'
import json, sys

def strings(o):
    if isinstance(o, str):
        yield o
    elif isinstance(o, dict):
        for v in o.values():
            yield from strings(v)
    elif isinstance(o, list):
        for v in o:
            yield from strings(v)

def text_chars(m):
    """Characters (UTF-16 units) of every string inside "blocks"."""
    return sum(len(s.encode("utf-16-le")) // 2 for s in strings(m.get("blocks", [])))

def within_budget(m):
    return text_chars(m) <= 12000 and len(m.get("blocks", [])) <= 50

def buttons(m):
    """{action_id: value} of the message's buttons."""
    return {e["action_id"]: e.get("value") for b in m.get("blocks", [])
            if b.get("type") == "actions" for e in b.get("elements", [])}

def alltext(m):
    return "\n".join(strings(m))
EOF

# msgs PATH: the messages the receiver got at PATH, as a JSON array.
msgs() { recv_messages "$1" | json_get 'json.dumps([m["body"] for m in j["messages"]])'; }

# mcheck NAME PATH EXPR: EXPR (Python; ms = the messages at PATH, and the
# helpers of msg.py) must be truthy.
mcheck() {
	local out
	out=$(msgs "$2" | "$PYTHON3" -c "
import sys, json
sys.path.insert(0, '$TMP')
from msg import *
ms = json.load(sys.stdin)
v = $3
print('' if v else 'false: ' + json.dumps(ms)[:600])" 2>&1)
	if [ -z "$out" ]; then check "$1" 0; else check "$1" 1 "($out)"; fi
}

# wait_msgs PATH N: until PATH got N messages (bounded: 60 s).
wait_msgs() {
	local got
	for _ in $(seq 600); do
		got=$(recv_messages "$1" | json_get 'len(j["messages"])' 2>/dev/null)
		[ "${got:-0}" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# The press's form body: Slack's example with our ids and button, as
# Slack sends it (payload=, form-encoded). MESSAGE_FILE (optional): the
# message the button was on, echoed in "message" as Slack does for a
# message that is not ephemeral.
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
# Sets ST (HTTP status) and PBODY (its body file, for a replay).
press() {
	local name=$1 action=$2 value=$3 channel=${4:-C2147483705} team=${5:-T0001}
	local secret=${6:-$SECRET} eph=${7:-1} message=${8:-}
	PBODY="$TMP/press.$name.body"
	"$PYTHON3" "$TMP/press.py" "$EXAMPLE" "$PBODY" "$team" "$channel" \
		"$RECV_URL/hooks/press/$name" "$action" "$value" "$eph" "$message"
	press_send "$PBODY" "$secret"
}

# press_send BODYFILE [SECRET]: POST it signed now; sets ST, PTS, PSIG.
press_send() {
	PTS=$(date +%s)
	PSIG=$({ printf 'v0:%s:' "$PTS"; cat "$1"; } | openssl dgst -sha256 -hmac "${2:-$SECRET}" -r)
	PSIG="v0=${PSIG%% *}"
	press_raw "$1"
}

# press_raw BODYFILE: POST it with PTS and PSIG as they are (a replay).
press_raw() {
	ST=$(curl -s --max-time 10 -o "$TMP/press.out" -w '%{http_code}' \
		-H "Content-Type: application/x-www-form-urlencoded" \
		-H "X-Slack-Request-Timestamp: $PTS" -H "X-Slack-Signature: $PSIG" \
		--data-binary "@$1" "$BASE/slack/interactive")
}

# ---- the search: many matches, ephemeral, with buttons ----------------------
ask big web
expect_eq "search: 200" "$ST" 200
cp "$ANS" "$TMP/answer.json"
jcheck "search: ephemeral" "$ANS" 'j["response_type"] == "ephemeral"'
jflush
ID=$("$PYTHON3" -c "
import json, sys
sys.path.insert(0, '$TMP')
from msg import buttons
b = buttons(json.load(open('$ANS')))
print(b.get('si_show_all') or '')")
[ ${#ID} -eq 32 ]; check "search: the answer's Show all button carries a result id ($ID)" $?
jcheck "search: Show all, Share in channel and Refresh buttons, one id" "$ANS" \
	"(lambda b: set(b) == {'si_show_all', 'si_share', 'si_refresh'} and set(b.values()) == {'$ID'})({e['action_id']: e['value'] for bl in j['blocks'] if bl['type'] == 'actions' for e in bl['elements']})"
jflush
N_MATCHES=$("$PYTHON3" - "$TMP/state.db" "$ID" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print(db.execute("SELECT n_matches FROM kept_results WHERE id = ?", (sys.argv[2],)).fetchone()[0])
PY
)
log "kept: $N_MATCHES matches"
[ "${N_MATCHES:-0}" -gt 300 ]; check "search: hundreds of matches kept ($N_MATCHES)" $?

# ---- Show all -----------------------------------------------------------------
press show si_show_all "$ID"
expect_eq "show all: 200" "$ST" 200
expect_eq "show all: empty body" "$(cat "$TMP/press.out")" ""
wait_msgs /hooks/press/show 1; check "show all: the first page arrives" $?
N_PAGES=$(msgs /hooks/press/show | "$PYTHON3" -c '
import json, re, sys
print(re.search(r"Page 1 of (\d+)", json.dumps(json.load(sys.stdin)[0])).group(1))')
log "show all: $N_PAGES pages"
[ "${N_PAGES:-0}" -gt 5 ]; check "show all: more than 5 pages ($N_PAGES)" $?
wait_msgs /hooks/press/show 5; check "show all: 5 posts" $?
mcheck "show all: exactly 5 posts (Slack's five uses)" /hooks/press/show 'len(ms) == 5'
mcheck "show all: every post ephemeral, replacing nothing" /hooks/press/show \
	'all(m["response_type"] == "ephemeral" and m["replace_original"] is False for m in ms)'
mcheck "show all: every page within the budget" /hooks/press/show \
	'all(within_budget(m) for m in ms)'
mcheck "show all: pages 1-4 in order" /hooks/press/show \
	"all('Page %d of $N_PAGES' % (i + 1) in alltext(m) for i, m in enumerate(ms[:4]))"
mcheck "show all: the 5th says more, its button continues at page 4" /hooks/press/show \
	"buttons(ms[4]) == {'si_more': '$ID:4'}"

# ---- more -----------------------------------------------------------------------
press more si_more "$ID:4"
expect_eq "more: 200" "$ST" 200
WANT_MORE=$(( N_PAGES - 4 > 5 ? 5 : N_PAGES - 4 ))
wait_msgs /hooks/press/more "$WANT_MORE"; check "more: $WANT_MORE posts" $?
mcheck "more: page 5 first, every page within budget" /hooks/press/more \
	"'Page 5 of $N_PAGES' in alltext(ms[0]) and all(within_budget(m) for m in ms)"
if [ "$N_PAGES" -le 9 ]; then
	mcheck "more: the rest, to page $N_PAGES" /hooks/press/more \
		"len(ms) == $N_PAGES - 4 and 'Page $N_PAGES of $N_PAGES' in alltext(ms[-1])"
else
	mcheck "more: 4 pages and another more" /hooks/press/more \
		"len(ms) == 5 and buttons(ms[4]) == {'si_more': '$ID:8'}"
fi

# ---- Share ----------------------------------------------------------------------
press share si_share "$ID"
expect_eq "share: 200" "$ST" 200
wait_msgs /hooks/press/share 1; check "share: posted" $?
"$PYTHON3" - "$TMP/state.db" "$ID" > "$TMP/share.kept.json" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print(db.execute("SELECT share_json FROM kept_results WHERE id = ?", (sys.argv[2],)).fetchone()[0])
PY
mcheck "share: one in_channel message, replacing nothing" /hooks/press/share \
	'len(ms) == 1 and ms[0]["response_type"] == "in_channel" and ms[0]["replace_original"] is False'
mcheck "share: the kept share message" /hooks/press/share \
	"ms[0] == dict(json.load(open('$TMP/share.kept.json')), response_type='in_channel', replace_original=False)"
mcheck "share: within the budget, no Share button in the channel" /hooks/press/share \
	"within_budget(ms[0]) and 'si_share' not in buttons(ms[0])"
msgs /hooks/press/share | json_get 'json.dumps(j[0])' > "$TMP/shared.json"

# Show all pressed on the shared message by someone else in the channel:
# Slack echoes the whole (in_channel) message in the payload, the biggest
# body a press makes; it must pass nginx and [server] max_body.
press shared_show si_show_all "$ID" C2147483705 T0001 "$SECRET" 0 "$TMP/shared.json"
log "figure: a press on the shared message: $(wc -c < "$PBODY") bytes of body"
expect_eq "show all on the shared message: 200" "$ST" 200
wait_msgs /hooks/press/shared_show 5; check "show all on the shared message: 5 posts" $?

# ---- Refresh ------------------------------------------------------------------
press refresh si_refresh "$ID"
expect_eq "refresh: 200" "$ST" 200
expect_eq "refresh: empty body" "$(cat "$TMP/press.out")" ""
wait_msgs /hooks/press/refresh 1; check "refresh: the new answer arrives" $?
mcheck "refresh: one message replacing the pressed one" /hooks/press/refresh \
	'len(ms) == 1 and ms[0].get("replace_original") is True'
mcheck "refresh: the new answer, ephemeral as the pressed one, with new buttons" \
	/hooks/press/refresh \
	"ms[0]['response_type'] == 'ephemeral' and 'matches for web' in alltext(ms[0]) and len(set(buttons(ms[0]).values())) == 1 and '$ID' not in buttons(ms[0]).values()"
mcheck "refresh: within the budget" /hooks/press/refresh 'within_budget(ms[0])'

# ---- refusals -------------------------------------------------------------------
press forged si_show_all "$ID" C2147483705 T0001 "not-the-secret"
expect_eq "forged signature: 401" "$ST" 401

press replay si_share "$ID"
expect_eq "replay: the first press 200" "$ST" 200
press_raw "$PBODY"
expect_eq "replay: the same press again refused (401)" "$ST" 401
expect_eq "replay: says replayed" "$(cat "$TMP/press.out")" "replayed"
wait_msgs /hooks/press/replay 1; check "replay: the first press answered" $?

press expired si_show_all 0123456789abcdef0123456789abcdef
expect_eq "unknown id: 200" "$ST" 200
wait_msgs /hooks/press/expired 1; check "unknown id: told" $?
mcheck "unknown id: the expired message, ephemeral" /hooks/press/expired \
	'len(ms) == 1 and ms[0]["response_type"] == "ephemeral" and "This result has expired (results are kept 30 minutes); run the search again." in alltext(ms[0])'

press elsewhere si_show_all "$ID" C0OTHER01
expect_eq "another channel: 200" "$ST" 200
wait_msgs /hooks/press/elsewhere 1; check "another channel: told" $?
mcheck "another channel: refused, nothing of the result shown" /hooks/press/elsewhere \
	'len(ms) == 1 and "This result belongs to another channel" in alltext(ms[0]) and "Page" not in alltext(ms[0])'

press unknown WaXA click_me_123
expect_eq "a button that is not ours: 200" "$ST" 200

# Everything above was answered before this point; the forged and the
# replayed presses and the unknown button posted nothing, the replay once.
press last si_show_all 0123456789abcdef0123456789abcdee
wait_msgs /hooks/press/last 1; check "a last press answered" $?
expect_eq "forged signature: nothing posted" \
	"$(recv_messages /hooks/press/forged | json_get 'len(j["messages"])')" 0
expect_eq "replay: posted once" \
	"$(recv_messages /hooks/press/replay | json_get 'len(j["messages"])')" 1
expect_eq "a button that is not ours: nothing posted" \
	"$(recv_messages /hooks/press/unknown | json_get 'len(j["messages"])')" 0

# The log: one audit line per press, naming the action; the request log
# names the route.
grep -q 'event=audit.*reason=si_show_all' "$TMP/worker.log"
check "audit: a line naming si_show_all" $?
grep -q 'event=audit.*outcome=refused.*reason=si_show_all' "$TMP/worker.log"
check "audit: the press from another channel refused" $?
grep -q 'route=interactive' "$TMP/worker.log"
check "request log: route=interactive" $?
