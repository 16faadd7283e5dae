#!/usr/bin/env bash
# Issue 14: a reply Slack refuses is followed by one minimal message. Real
# nginx -> spawn-fcgi -> the worker -> the AWS stand-in (a generated
# organisation) -> the loopback response_url receiver, which refuses as
# Slack does: HTTP 400 {"ok":false,"error":"msg_blocks_too_long"} for a
# message whose blocks hold more text than a limit (slack_receiver.py's
# reject_blocks_over).
#
# - At Slack's own limit (12,000 characters) the largest reply the
#   organisation produces (a Name held by hundreds of resources) goes
#   through as it is: no fallback.
# - Under a stricter limit (1,500) the same reply is refused, and the
#   asker gets exactly one fallback (the counts and how to narrow: <= 3
#   blocks, <= 3,000 characters, no links, no buttons) after the
#   "Searching..." notice; nothing else is posted for the search once its
#   audit line is out (the pool's last word on it); the worker logs the
#   refusal and the fallback with Slack's error text. The plain-text form
#   of the refusal (response_url's usual "msg_blocks_too_long") the same.
#
# Bounded: every wait polls with a limit (60 s), never a fixed sleep.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_aws.sh"

# Deferred answers: the stand-in answers every call after 1.5 s, well past
# the inline budget, so each answer goes through the receiver.
export SLASH_INFRA_SEARCH_INLINE_BUDGET_MS=500
export SLASH_INFRA_AWS_MAX_ATTEMPTS=1

# 4 generated accounts, one region, 400 instances each.
aws_org_env 4 1 400 || exit 1
stack_start || exit 1

. "$(dirname "$0")/lib_search.sh"

aws_fault '{"account":"*","kind":"latency","arg":1500}'

# wait_audit N: until the worker logged N audit lines of deferred searches
# (bounded: 60 s). A search's audit line follows its last post.
wait_audit() {
	for _ in $(seq 600); do
		[ "$(grep -c 'event=audit.*delivery=\(deferred\|error\)' "$TMP/worker.log")" -ge "$1" ] &&
			return 0
		sleep 0.1
	done
	return 1
}

# run NAME CONTROL: reset the receiver, apply CONTROL, ask "web" with
# response_url /hooks/fb/NAME and wait for its audit line (the Nth).
N_AUDIT=0
run() {
	recv_reset
	recv_control "$2"
	ST=$(post web "$RECV_URL/hooks/fb/$1" "$TMP/http.$1.json")
	expect_eq "$1: acknowledged" "$ST" 200
	expect_eq "$1: deferred" "$(cat "$TMP/http.$1.json")" '{"response_type":"in_channel"}'
	N_AUDIT=$((N_AUDIT + 1))
	wait_audit "$N_AUDIT"
	check "$1: the search ended (audit line)" $?
}

# At Slack's limit: the reply itself is accepted (it is within the budget).
run slack-limit '{"reject_blocks_over":12000}'
recv_check "slack-limit: notice and answer, nothing refused" /hooks/fb/slack-limit \
	'r["attempts"].get("/hooks/fb/slack-limit") == 2 and len(ms) == 2 and not r["rejected"]'
recv_check "slack-limit: the answer is the full reply (hundreds of matches, links)" \
	/hooks/fb/slack-limit \
	'"Searching" in allstrings(ms[0]) and "https://" in allstrings(ms[1]) and text_chars(ms[1]) > 1500 and within_budget(ms[1])'

# Stricter than the reply: refused once, then the fallback, once.
run strict '{"reject_blocks_over":1500}'
recv_check "strict: the reply was refused as too long" /hooks/fb/strict \
	'len(r["rejected"]) == 1 and r["rejected"][0]["error"] == "msg_blocks_too_long" and r["rejected"][0]["text_chars"] > 1500'
recv_check "strict: three posts: notice, refused reply, fallback" /hooks/fb/strict \
	'r["attempts"].get("/hooks/fb/strict") == 3 and len(ms) == 2 and "Searching" in allstrings(ms[0])'
recv_check "strict: the fallback is the minimal message with the counts" /hooks/fb/strict \
	'is_fallback(ms[1]) and ms[1]["response_type"] == "in_channel" and "matches" in allstrings(ms[1])'
grep 'kind=final' "$TMP/worker.log" | grep -q 'result=refused.*msg_blocks_too_long'
check "strict: the refusal is logged with Slack's error" $?
grep 'kind=fallback' "$TMP/worker.log" | grep -q 'result=delivered.*slack_error=msg_blocks_too_long'
check "strict: the fallback is logged with Slack's error" $?
grep 'event=audit' "$TMP/worker.log" | tail -n 1 | grep -q 'delivery=deferred.*reason=fallback'
check "strict: audited as a fallback delivery" $?

# The plain-text refusal, as response_url usually words it.
run strict-text '{"reject_blocks_over":1500,"error_format":"text"}'
recv_check "strict-text: refused once, one fallback" /hooks/fb/strict-text \
	'r["attempts"].get("/hooks/fb/strict-text") == 3 and len(r["rejected"]) == 1 and len(ms) == 2 and is_fallback(ms[1])'

# Nothing more from the worker once it stopped (a graceful stop finishes
# or hands off whatever is owed): still the same three posts.
kill "$WORKER_PID" 2>/dev/null
for _ in $(seq 600); do kill -0 "$WORKER_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$WORKER_PID" 2>/dev/null
check "the worker stopped" $((1 - $?))
recv_check "strict-text: nothing posted after its audit line" /hooks/fb/strict-text \
	'r["attempts"].get("/hooks/fb/strict-text") == 3 and len(ms) == 2'
