#!/usr/bin/env bash
# Issue 14: the reply's buttons end to end. Real nginx (nginx-slash-infra.conf's
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

# Ephemeral answers (so "Share in channel" is offered); searches of a few
# seconds at most on this generated organisation, answered inline or
# through the response_url alike (ask() takes either).
export SLASH_INFRA_SEARCH_RESPONSE_TYPE=ephemeral
export SLASH_INFRA_SEARCH_INLINE_BUDGET_MS=2500
export SLASH_INFRA_AWS_MAX_ATTEMPTS=1

# 4 generated accounts, one region, 400 instances each: a Name held by
# hundreds of resources (instances and their root volumes), so "Show all"
# needs more than 5 pages.
aws_org_env 4 1 400 || exit 1
stack_start || exit 1

. "$(dirname "$0")/lib_search.sh"

# msgs PATH: the messages the receiver got at PATH, as a JSON array.
msgs() { recv_messages "$1" | json_get 'json.dumps([m["body"] for m in j["messages"]])'; }

# kept ID COLUMN: COLUMN of the result kept as ID, read from the SQLite
# state store (read-only).
kept() {
	"$PYTHON3" - "$TMP/state.db" "$1" "$2" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
sql = "SELECT %s FROM kept_results WHERE id = ?" % sys.argv[3]
print(db.execute(sql, (sys.argv[2],)).fetchone()[0])
PY
}

# ---- the search: many matches, ephemeral, with buttons ----------------------
ask big web
expect_eq "search: 200" "$ST" 200
cp "$ANS" "$TMP/answer.json"
jcheck "search: ephemeral" "$ANS" 'j["response_type"] == "ephemeral"'
jcheck "search: within the budget" "$ANS" 'within_budget(j)'
jflush
ID=$("$PYTHON3" -c "import json, sys; sys.path.insert(0, '$TMP'); from jx import buttons
print(buttons(json.load(open('$ANS'))).get('si_show_all') or '')")
[ ${#ID} -eq 32 ]; check "search: the answer's Show all button carries a result id ($ID)" $?
jcheck "search: Show all, Share in channel and Refresh buttons, one id" "$ANS" \
	"set(buttons(j)) == {'si_show_all', 'si_share', 'si_refresh'} and set(buttons(j).values()) == {'$ID'}"
jflush
N_MATCHES=$(kept "$ID" n_matches)
log "kept: $N_MATCHES matches"
[ "${N_MATCHES:-0}" -gt 300 ]; check "search: hundreds of matches kept ($N_MATCHES)" $?

# ---- Show all -----------------------------------------------------------------
press show si_show_all "$ID"
expect_eq "show all: 200" "$ST" 200
expect_eq "show all: empty body" "$(cat "$TMP/press.out")" ""
recv_wait /hooks/press/show 1 60; check "show all: the first page arrives" $?
N_PAGES=$(msgs /hooks/press/show | "$PYTHON3" -c '
import json, re, sys
print(re.search(r"Page 1 of (\d+)", json.dumps(json.load(sys.stdin)[0])).group(1))')
log "show all: $N_PAGES pages"
[ "${N_PAGES:-0}" -gt 5 ]; check "show all: more than 5 pages ($N_PAGES)" $?
recv_wait /hooks/press/show 5 60; check "show all: 5 posts" $?
recv_check "show all: exactly 5 posts (Slack's five uses)" /hooks/press/show 'len(ms) == 5'
recv_check "show all: every post ephemeral, replacing nothing" /hooks/press/show \
	'all(m["response_type"] == "ephemeral" and m["replace_original"] is False for m in ms)'
recv_check "show all: every page within the budget" /hooks/press/show \
	'all(within_budget(m) for m in ms)'
recv_check "show all: pages 1-4 in order" /hooks/press/show \
	"all('Page %d of $N_PAGES' % (i + 1) in allstrings(m) for i, m in enumerate(ms[:4]))"
recv_check "show all: the 5th says more, its button continues at page 4" /hooks/press/show \
	"buttons(ms[4]) == {'si_more': '$ID:4'}"

# ---- more -----------------------------------------------------------------------
press more si_more "$ID:4"
expect_eq "more: 200" "$ST" 200
WANT_MORE=$(( N_PAGES - 4 > 5 ? 5 : N_PAGES - 4 ))
recv_wait /hooks/press/more "$WANT_MORE" 60; check "more: $WANT_MORE posts" $?
recv_check "more: page 5 first, every page within budget" /hooks/press/more \
	"'Page 5 of $N_PAGES' in allstrings(ms[0]) and all(within_budget(m) for m in ms)"
if [ "$N_PAGES" -le 9 ]; then
	recv_check "more: the rest, to page $N_PAGES" /hooks/press/more \
		"len(ms) == $N_PAGES - 4 and 'Page $N_PAGES of $N_PAGES' in allstrings(ms[-1])"
else
	recv_check "more: 4 pages and another more" /hooks/press/more \
		"len(ms) == 5 and buttons(ms[4]) == {'si_more': '$ID:8'}"
fi

# ---- Share ----------------------------------------------------------------------
press share si_share "$ID"
expect_eq "share: 200" "$ST" 200
recv_wait /hooks/press/share 1 60; check "share: posted" $?
kept "$ID" share_json > "$TMP/share.kept.json"
recv_check "share: one in_channel message, replacing nothing" /hooks/press/share \
	'len(ms) == 1 and ms[0]["response_type"] == "in_channel" and ms[0]["replace_original"] is False'
recv_check "share: the kept share message" /hooks/press/share \
	"ms[0] == dict(json.load(open('$TMP/share.kept.json')), response_type='in_channel', replace_original=False)"
recv_check "share: within the budget, no Share button in the channel" /hooks/press/share \
	"within_budget(ms[0]) and 'si_share' not in buttons(ms[0])"
msgs /hooks/press/share | json_get 'json.dumps(j[0])' > "$TMP/shared.json"

# Show all pressed on the shared message by someone else in the channel:
# Slack echoes the whole (in_channel) message in the payload, the biggest
# body a press makes; it must pass nginx and [server] max_body.
press shared_show si_show_all "$ID" C2147483705 T0001 "$SECRET" 0 "$TMP/shared.json"
log "figure: a press on the shared message: $(wc -c < "$PBODY") bytes of body"
expect_eq "show all on the shared message: 200" "$ST" 200
recv_wait /hooks/press/shared_show 5 60; check "show all on the shared message: 5 posts" $?

# ---- Refresh ------------------------------------------------------------------
press refresh si_refresh "$ID"
expect_eq "refresh: 200" "$ST" 200
expect_eq "refresh: empty body" "$(cat "$TMP/press.out")" ""
recv_wait /hooks/press/refresh 1 60; check "refresh: the new answer arrives" $?
recv_check "refresh: one message replacing the pressed one" /hooks/press/refresh \
	'len(ms) == 1 and ms[0].get("replace_original") is True'
recv_check "refresh: the new answer, ephemeral as the pressed one, with new buttons" \
	/hooks/press/refresh \
	"ms[0]['response_type'] == 'ephemeral' and 'matches for web' in allstrings(ms[0]) and len(set(buttons(ms[0]).values())) == 1 and '$ID' not in buttons(ms[0]).values()"
recv_check "refresh: within the budget" /hooks/press/refresh 'within_budget(ms[0])'

# ---- refusals -------------------------------------------------------------------
press forged si_show_all "$ID" C2147483705 T0001 "not-the-secret"
expect_eq "forged signature: 401" "$ST" 401

press replay si_share "$ID"
expect_eq "replay: the first press 200" "$ST" 200
press_raw "$PBODY"
expect_eq "replay: the same press again refused (401)" "$ST" 401
expect_eq "replay: says replayed" "$(cat "$TMP/press.out")" "replayed"
recv_wait /hooks/press/replay 1 60; check "replay: the first press answered" $?

press expired si_show_all 0123456789abcdef0123456789abcdef
expect_eq "unknown id: 200" "$ST" 200
recv_wait /hooks/press/expired 1 60; check "unknown id: told" $?
recv_check "unknown id: the expired message, ephemeral" /hooks/press/expired \
	'len(ms) == 1 and ms[0]["response_type"] == "ephemeral" and "This result has expired (results are kept 30 minutes); run the search again." in allstrings(ms[0])'

press elsewhere si_show_all "$ID" C0OTHER01
expect_eq "another channel: 200" "$ST" 200
recv_wait /hooks/press/elsewhere 1 60; check "another channel: told" $?
recv_check "another channel: refused, nothing of the result shown" /hooks/press/elsewhere \
	'len(ms) == 1 and "This result belongs to another channel" in allstrings(ms[0]) and "Page" not in allstrings(ms[0])'

press unknown WaXA click_me_123
expect_eq "a button that is not ours: 200" "$ST" 200

# Everything above was answered before this point; the forged and the
# replayed presses and the unknown button posted nothing, the replay once.
press last si_show_all 0123456789abcdef0123456789abcdee
recv_wait /hooks/press/last 1 60; check "a last press answered" $?
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
