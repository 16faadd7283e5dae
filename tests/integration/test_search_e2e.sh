#!/usr/bin/env bash
# Issue 4: /infra-search end to end. Real nginx -> spawn-fcgi -> the worker
# -> the AWS stand-in (STS + EC2 over SigV4) -> the loopback response_url
# receiver. Every check parses the Slack JSON (python3 json) where structure
# matters; AWS traffic is proven with the stand-in's /_control/stats.
#
# Fixture: tests/data/integration/search_fixture.json = the default
# tests/standin/fixture.json plus one dev/us-east-1 instance
# (i-0c3d4e5f6a7b8000c) whose Name tag is hostile Slack markup
# ("<!channel> & <http://evil|x> *bold* _it_ `code` ~gone~
# https://evil.example/login evil.example", then U+202E "gnp.exe" U+202C and
# U+200B "zw") and which has no Environment/Role tags
# (every instance of the default fixture has both, so "fields hidden when
# the tag is absent" needs it).
#
# Bounded: every wait has a limit. About 30 s on an idle machine; it
# spawns few processes per request (signing with openssl, one python run
# for all JSON checks) so that a loaded CI box stays under 90 s. A normal
# search that a loaded machine makes slower than the inline budget is still
# checked: ask() then takes the answer from the response_url.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_aws.sh"

FIXTURE="$SI_SRCDIR/tests/data/integration/search_fixture.json"

# Chosen together: SLOW_MS (latency injected on one account) is well above
# the inline budget, so that answer must be deferred, and well below the
# per-request AWS timeout, so the slow account still answers. Normal
# searches take tens of ms.
export SLASH_INFRA_SEARCH_INLINE_BUDGET_MS=700
SLOW_MS=1500
export SLASH_INFRA_AWS_TIMEOUT_MS=3000
# One try per AWS request: the hanging account below then fails after one
# timeout instead of three (retries are tested elsewhere).
export SLASH_INFRA_AWS_MAX_ATTEMPTS=1

aws_start --quiet --fixture "$FIXTURE" || exit 1
receiver_start || exit 1
aws_env
stack_start || exit 1

. "$(dirname "$0")/lib_search.sh"

# ---- one account failing while the others answer (STS) -------------------
# First, before any credentials are cached: staging's AssumeRole is denied.
aws_reset
aws_fault '{"account":"222222222222","kind":"sts-access-denied"}'
ask sts_denied 10.10.1.10
expect_eq "sts denied: 200" "$ST" 200
jcheck "sts denied: other accounts still answer" "$ANS" \
	'len(match_blocks(j)) == 2 and {fields(b)["Account"] for b in match_blocks(j)} == {"production (111111111111)", "dev (333333333333)"}'
jcheck "sts denied: context names both staging targets" "$ANS" \
	'any("staging/eu-west-2" in c and "staging/eu-west-1" in c and "AccessDenied" in c for c in contexts(j))'
aws_reset

# ---- the Go original's behaviours -------------------------------------------

# Found by instance ID across 3 accounts: the right account is named, and
# every account was asked.
aws_reset
ask by_id i-0b2c3d4e5f6a70007
expect_eq "by id: 200" "$ST" 200
jcheck "by id: in_channel (command stays visible)" "$ANS" 'j["response_type"] == "in_channel"'
jcheck "by id: one match, staging named" "$ANS" \
	'len(match_blocks(j)) == 1 and fields(match_blocks(j)[0])["Account"] == "staging (222222222222)"'
jcheck "by id: its region and AZ" "$ANS" \
	'fields(match_blocks(j)[0])["Region"] == "eu-west-1 (eu-west-1b)"'
jcheck "by id: console link in the instance's own region" "$ANS" \
	'"https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#InstanceDetails:instanceId=i-0b2c3d4e5f6a70007" in links(match_blocks(j)[0])'
jcheck "by id: AWS Config timeline link" "$ANS" \
	'"https://eu-west-1.console.aws.amazon.com/config/home?region=eu-west-1#/timeline/AWS::EC2::Instance/i-0b2c3d4e5f6a70007/configuration" in links(match_blocks(j)[0])'
snap s1
jcheck "by id: all 3 accounts searched" "$TMP/stats.s1.json" \
	'sorted(j["by_account"]) == ["111111111111", "222222222222", "333333333333"]'
jcheck "by id: summary names 7 account-regions" "$ANS" '"in 7 account-regions" in j["text"]'

# Environment/Role tag fields when the tags exist; IPs shown when present.
ask web1 i-0a1b2c3d4e5f60001
jcheck "prod-web-1: Environment and Role fields" "$ANS" \
	'fields(block_for(j, "i-0a1b2c3d4e5f60001"))["Environment"] == "production" and fields(block_for(j, "i-0a1b2c3d4e5f60001"))["Role"] == "web"'
jcheck "prod-web-1: private, public and IPv6 fields" "$ANS" \
	'(lambda f: f["Private IP"] == "10.10.1.10" and f["Public IP"] == "18.130.10.10" and f["IPv6"] == "2a05:d01c:abc:1000::10")(fields(block_for(j, "i-0a1b2c3d4e5f60001")))'
jcheck "prod-web-1: state running" "$ANS" \
	'fields(block_for(j, "i-0a1b2c3d4e5f60001"))["State"].endswith("running")'

# IPs hidden when absent: prod-db-1 has no public IP.
ask db1 prod-db-1
jcheck "prod-db-1: found by Name" "$ANS" 'block_for(j, "i-0a1b2c3d4e5f60003") is not None'
jcheck "prod-db-1: no Public IP field" "$ANS" \
	'"Public IP" not in fields(block_for(j, "i-0a1b2c3d4e5f60003")) and fields(block_for(j, "i-0a1b2c3d4e5f60003"))["Private IP"] == "10.10.3.30"'
jcheck "prod-db-1: Environment/Role db" "$ANS" \
	'fields(block_for(j, "i-0a1b2c3d4e5f60003"))["Role"] == "db"'

# Tags absent -> no Environment/Role fields, and no IPv6/public IP.
ask notags i-0c3d4e5f6a7b8000c
jcheck "untagged instance: no Environment/Role/Public IP/IPv6 fields" "$ANS" \
	'(lambda f: not ({"Environment", "Role", "Public IP", "IPv6"} & set(f)) and f["Private IP"] == "10.42.0.12")(fields(block_for(j, "i-0c3d4e5f6a7b8000c")))'

# Console link in the instance's own region (us-east-1, stopped instance
# without a public IP, found through its ARN).
aws_reset
ask arn 'arn:aws:ec2:us-east-1:111111111111:instance/i-0a1b2c3d4e5f60004'
jcheck "arn: prod-batch-1 found" "$ANS" \
	'len(match_blocks(j)) == 1 and "prod-batch-1" in match_blocks(j)[0]["text"]["text"]'
jcheck "arn: us-east-1 console and Config links" "$ANS" \
	'links(match_blocks(j)[0])[:2] == ["https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#InstanceDetails:instanceId=i-0a1b2c3d4e5f60004", "https://us-east-1.console.aws.amazon.com/config/home?region=us-east-1#/timeline/AWS::EC2::Instance/i-0a1b2c3d4e5f60004/configuration"]'
jcheck "arn: stopped instance shows no Public IP" "$ANS" \
	'fields(match_blocks(j)[0])["State"].endswith("stopped") and "Public IP" not in fields(match_blocks(j)[0])'
snap s2
jcheck "arn: only that account and region searched" "$TMP/stats.s2.json" \
	'(sorted(j["by_account"]), sorted(j["by_region"])) == (["111111111111"], ["us-east-1"])'
jcheck "arn: summary says 1 account-region" "$ANS" '"in 1 account-region," in j["text"]'

# ---- search kinds ------------------------------------------------------------

ask priv 10.10.1.10
jcheck "private IP: prod-web-1 and dev-sandbox-1 (same IP, two accounts)" "$ANS" \
	'block_for(j, "i-0a1b2c3d4e5f60001") is not None and block_for(j, "i-0c3d4e5f6a7b80009") is not None and len(match_blocks(j)) == 2'

ask pub 18.130.20.20
jcheck "public IP: prod-web-2" "$ANS" \
	'len(match_blocks(j)) == 1 and block_for(j, "i-0a1b2c3d4e5f60002") is not None'

ask secondary 10.10.1.11
jcheck "secondary private IP: prod-web-1" "$ANS" \
	'len(match_blocks(j)) == 1 and block_for(j, "i-0a1b2c3d4e5f60001") is not None'

ask extra_eni_secondary 10.10.3.32
jcheck "secondary IP on a second ENI: prod-db-1" "$ANS" \
	'block_for(j, "i-0a1b2c3d4e5f60003") is not None'

ask ipv6 2a05:d01c:def:2000::a
jcheck "IPv6: staging-api-1" "$ANS" \
	'len(match_blocks(j)) == 1 and block_for(j, "i-0b2c3d4e5f6a70006") is not None'
ask ipv6_long 2A05:D01C:ABC:1000:0:0:0:10
jcheck "IPv6 in long upper-case form: normalised, prod-web-1" "$ANS" \
	'len(match_blocks(j)) == 1 and block_for(j, "i-0a1b2c3d4e5f60001") is not None'

aws_reset
ask pdns ip-10-10-1-10.eu-west-2.compute.internal
jcheck "private DNS: both 10.10.1.10 instances in eu-west-2" "$ANS" \
	'len(match_blocks(j)) == 2 and block_for(j, "i-0a1b2c3d4e5f60001") is not None and block_for(j, "i-0c3d4e5f6a7b80009") is not None'
snap s3
jcheck "private DNS: only its region searched" "$TMP/stats.s3.json" \
	'sorted(j["by_region"]) == ["eu-west-2"]'

aws_reset
ask dns ec2-18-130-10-10.eu-west-2.compute.amazonaws.com
jcheck "public DNS: prod-web-1" "$ANS" \
	'len(match_blocks(j)) == 1 and block_for(j, "i-0a1b2c3d4e5f60001") is not None'
snap s4
jcheck "public DNS: only its region searched" "$TMP/stats.s4.json" \
	'sorted(j["by_region"]) == ["eu-west-2"]'

ask name staging-api
jcheck "Name substring: staging-api-1 only" "$ANS" \
	'len(match_blocks(j)) == 1 and block_for(j, "i-0b2c3d4e5f6a70006") is not None'
ask name_many prod-web
# A Name is matched, case-insensitively, on every type with a name (issue
# 12): the two instances, and production's AMI Prod-Web-Golden, security
# group Prod-Web-SG, the instances' root volumes, the Auto Scaling group
# and the launch template (tests/standin/README.md lists the estate).
jcheck "Name substring: prod-web-1 and prod-web-2" "$ANS" \
	'"|i-0a1b2c3d4e5f60001> prod-web-1 " in alltext(j) and "|i-0a1b2c3d4e5f60002> prod-web-2 " in alltext(j)'
jcheck "Name substring: every named type, whatever the case" "$ANS" \
	'match_blocks(j) == [] and j["text"].startswith("8 matches for prod-web") and "Prod-Web-SG" in alltext(j) and "Prod-Web-Golden" in alltext(j)'

ask eni eni-0e1b000000000a001
jcheck "ENI id: the ALB's interface, ALB named" "$ANS" \
	'len(match_blocks(j)) == 1 and match_blocks(j)[0]["text"]["text"].endswith("|Application load balancer app/prod-alb/50dc6c495c0c9188>") and alltext(j).count("prod-alb") == 2'
jcheck "ENI id: console link to the interface" "$ANS" \
	'links(match_blocks(j)[0]) == ["https://eu-west-2.console.aws.amazon.com/ec2/home?region=eu-west-2#NetworkInterface:networkInterfaceId=eni-0e1b000000000a001", "https://eu-west-2.console.aws.amazon.com/ec2/home?region=eu-west-2#LoadBalancer:loadBalancerArn=arn:aws:elasticloadbalancing:eu-west-2:111111111111:loadbalancer/app/prod-alb/50dc6c495c0c9188"]'

ask alb_ip 10.10.1.200
jcheck "IP owned by a load balancer ENI: ALB named" "$ANS" \
	'len(match_blocks(j)) == 1 and "|Application load balancer app/prod-alb/" in match_blocks(j)[0]["text"]["text"]'
jcheck "ALB ENI: account and IPs" "$ANS" \
	'(lambda f: f["Account"] == "production (111111111111)" and f["Private IP"] == "10.10.1.200" and f["Public IP"] == "18.130.99.99")(fields(match_blocks(j)[0]))'

ask nat_ip 10.10.0.5
jcheck "NAT gateway ENI: named, type nat_gateway" "$ANS" \
	'len(match_blocks(j)) == 1 and match_blocks(j)[0]["text"]["text"].endswith("* NAT gateway") and fields(match_blocks(j)[0])["Type"] == "nat_gateway"'

# Not found: the message says how much was searched.
ask none nosuchthing-xyz
jcheck "not found: in_channel" "$ANS" 'j["response_type"] == "in_channel" and match_blocks(j) == []'
jcheck "not found: names 3 accounts, 4 regions, 7 account-regions" "$ANS" \
	'"No matches for nosuchthing-xyz in 3 accounts and 4 regions (7 account-regions)" in alltext(j)'

# ---- modifiers narrow the targets -------------------------------------------
aws_reset
ask mod_account 'web account:staging'
jcheck "account: staging-web-1 only" "$ANS" \
	'len(match_blocks(j)) == 1 and block_for(j, "i-0b2c3d4e5f6a70005") is not None'
snap s5
jcheck "account: only staging asked" "$TMP/stats.s5.json" \
	'sorted(j["by_account"]) == ["222222222222"]'

aws_reset
ask mod_region 'web region:us-east-1'
jcheck "region: not found in 2 accounts and 1 region" "$ANS" \
	'"in 2 accounts and 1 region (2 account-regions)" in j["text"]'
snap s6
jcheck "region: only us-east-1 asked" "$TMP/stats.s6.json" \
	'sorted(j["by_region"]) == ["us-east-1"]'

aws_reset
ask mod_both 'dev account:dev region:us-east-1'
jcheck "account+region: dev-tools-1" "$ANS" \
	'len(match_blocks(j)) == 1 and block_for(j, "i-0c3d4e5f6a7b8000b") is not None'
snap s7
jcheck "account+region: one target asked" "$TMP/stats.s7.json" \
	'(sorted(j["by_account"]), sorted(j["by_region"])) == (["333333333333"], ["us-east-1"])'

# ---- malformed input and help: ephemeral, never AWS -------------------------
aws_reset
for q in 'i-123' '300.1.1.1' 'account:nope x' 'account:nope web' 'region:xx-nowhere-9 web' '*'; do
	ask "bad_$(printf %s "$q" | tr -c 'a-z0-9' '_')" "$q"
	expect_eq "malformed '$q': 200" "$ST" 200
	jcheck "malformed '$q': ephemeral explanation" "$ANS" \
		'j["response_type"] == "ephemeral" and j["text"].startswith(":warning: ") and len(j["text"]) > 20'
done
jcheck "account:nope web: names the alias and lists the known ones" "$TMP/http.bad_account_nope_web.json" \
	'"nope" in j["text"] and all(a in j["text"] for a in ("production", "staging", "dev"))'
jcheck "i-123: says why" "$TMP/http.bad_i_123.json" '"i-123" in j["text"] and "instance ID" in j["text"]'
ask help help
jcheck "help: ephemeral usage" "$ANS" 'j["response_type"] == "ephemeral" and "Usage" in alltext(j)'
jcheck "help: lists the configured accounts" "$ANS" '"*Accounts:* dev, production, staging" in alltext(j)'
jcheck "help: lists the configured regions" "$ANS" \
	'all(r in alltext(j).split("*Regions:* ")[1] for r in ("eu-west-2", "us-east-1", "eu-west-1", "us-west-2"))'
snap bad
jcheck "malformed input and help: no AWS call at all" "$TMP/stats.bad.json" 'j["total"] == 0'

# ---- escaping of hostile tag values -----------------------------------------
ask evil evil
jcheck "escaping: the Name tag arrives as entities" "$ANS" \
	'"&lt;!channel&gt; &amp; &lt;http://evil|x&gt;" in block_for(j, "i-0c3d4e5f6a7b8000c")["text"]["text"]'
raw=$(cat "$ANS")
case "$raw" in *'<!channel>'*|*'<http://evil'*) r=1 ;; *) r=0 ;; esac
check "escaping: never the raw <!channel> or link markup" $r
jcheck "escaping: the link label is the escaped name" "$ANS" \
	'"|&lt;!channel&gt; &amp; &lt;http://evil|x&gt; " in block_for(j, "i-0c3d4e5f6a7b8000c")["text"]["text"]'
# Issue 11: formatting, links and reordering from AWS text. The whole
# label, as Slack receives it: markers as look-alikes (U+2217, U+02CD,
# U+02CB, U+223C), the bidi override and zero-width space gone.
jcheck "escaping: the Name cannot format, link or reorder (exact label)" "$ANS" \
	'label(block_for(j, "i-0c3d4e5f6a7b8000c")) == "&lt;!channel&gt; &amp; &lt;http://evil|x&gt; \u2217bold\u2217 \u02cdit\u02cd \u02cbcode\u02cb \u223cgone\u223c https://evil.example/login evil.example gnp.exe zw"'
jcheck "escaping: no formatting marker left in the Name" "$ANS" \
	'not set("*_~\x60") & set(label(block_for(j, "i-0c3d4e5f6a7b8000c")))'
jcheck "escaping: no bidi or zero-width character anywhere" "$ANS" \
	'not re.search("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]", json.dumps(j, ensure_ascii=False))'
jcheck "escaping: every mrkdwn text is verbatim (bare URLs and hosts not linked)" "$ANS" \
	'mrkdwn_objects(j) and all(o.get("verbatim") is True for o in mrkdwn_objects(j))'

# ---- one account failing while others answer (EC2) --------------------------
aws_fault '{"account":"222222222222","kind":"ec2-unauthorized"}'
ask ec2_denied staging-web
jcheck "ec2 denied: still in_channel" "$ANS" 'j["response_type"] == "in_channel"'
jcheck "ec2 denied: context names the failed staging targets" "$ANS" \
	'any("targets failed:" in c and "staging/eu-west-2" in c and "staging/eu-west-1" in c and "UnauthorizedOperation" in c for c in contexts(j))'
jcheck "ec2 denied: failed production/dev not blamed" "$ANS" \
	'not any("production/" in c or "dev/" in c for c in contexts(j))'
aws_reset
aws_fault '{"account":"222222222222","kind":"ec2-unauthorized"}'
ask ec2_denied_found 10.10.1.10
jcheck "ec2 denied: the other accounts' matches are still shown" "$ANS" \
	'len(match_blocks(j)) == 2 and contexts(j) != []'
aws_reset

# ---- slow target: deferred delivery, notice first ---------------------------
aws_fault "{\"account\":\"333333333333\",\"kind\":\"latency\",\"arg\":$SLOW_MS}"
ask slow prod-web
expect_eq "slow: 200" "$ST" 200
expect_eq "slow: deferred with the plain in_channel ack" "$MODE $(cat "$TMP/http.slow.json")" 'deferred {"response_type":"in_channel"}'
recv_messages /hooks/e2e/slow > "$TMP/slow.msgs.json"
jcheck "slow: exactly 2 messages (notice, answer)" "$TMP/slow.msgs.json" 'len(j["messages"]) == 2'
jcheck "slow: the ephemeral notice comes first" "$TMP/slow.msgs.json" \
	'j["messages"][0]["body"]["response_type"] == "ephemeral" and j["messages"][0]["body"]["text"] == ":mag: Searching 3 accounts in 4 regions\u2026"'
jcheck "slow: then the in_channel answer" "$TMP/slow.msgs.json" \
	'j["messages"][1]["body"]["response_type"] == "in_channel" and j["messages"][1]["body"]["text"].startswith("8 matches for prod-web") and j["messages"][0]["time"] <= j["messages"][1]["time"]'
jcheck "slow: the answer is complete (dev answered too, no failure)" "$ANS" \
	'len([l for b in sections(j)[1:] for l in b["text"]["text"].split("\n") if not l.startswith("*")]) == 8 and contexts(j) == []'

# The notice counts only what the modifiers leave.
ask slow_dev 'dev account:dev'
expect_eq "slow account:dev: deferred" "$MODE" deferred
recv_messages /hooks/e2e/slow_dev > "$TMP/slow_dev.msgs.json"
jcheck "slow account:dev: notice says 1 account in 3 regions" "$TMP/slow_dev.msgs.json" \
	'j["messages"][0]["body"]["text"] == ":mag: Searching 1 account in 3 regions\u2026"'
jcheck "slow account:dev: the answer lists dev's instances" "$ANS" \
	'[l for b in sections(j)[1:] for l in b["text"]["text"].split("\n") if l.startswith("*") and not l.startswith("*Matches")] == ["*dev* (333333333333)"] and len([l for b in sections(j)[1:] for l in b["text"]["text"].split("\n") if not l.startswith("*")]) >= 3'
aws_reset

# A hanging account: deferred, and the answer names the failed targets.
aws_fault '{"account":"333333333333","kind":"hang","service":"ec2"}'
ask hang prod-web
expect_eq "hang: deferred" "$MODE" deferred
jcheck "hang: prod matches delivered" "$ANS" 'len([l for b in sections(j)[1:] for l in b["text"]["text"].split("\n") if not l.startswith("*")]) == 8'
jcheck "hang: dev's targets named as failed" "$ANS" \
	'any(all(("dev/" + r) in c for r in ("eu-west-2", "us-west-2", "us-east-1")) for c in contexts(j))'
aws_reset

# ---- exactly one final message per search -----------------------------------
# Count per path once every deferred search's delivery has ended: its audit
# line is written after the final POST (retries included), so a late or
# duplicate post is counted, not missed, however busy the machine. Waiting
# for that event (bounded, 30 s), never for a guessed time (issue 11).
for _ in $(seq 300); do
	[ "$(grep -cE 'event=audit .*delivery=(deferred|error)' "$TMP/worker.log")" -ge \
		"${#DEFERRED_PATHS[@]}" ] && break
	sleep 0.1
done
recv_messages > "$TMP/all.msgs.json"
printf '%s\n' "${DEFERRED_PATHS[@]}" > "$TMP/deferred.paths"
printf '%s\n' "${INLINE_PATHS[@]}" > "$TMP/inline.paths"
out=$("$PYTHON3" -c '
import json, sys
j = json.load(open(sys.argv[1]))
bad = []
for f, want in ((sys.argv[2], 2), (sys.argv[3], 0)):
    for p in filter(None, open(f).read().split("\n")):
        n = j["counts"].get(p, 0)
        if n != want:
            bad.append("%s=%d(want %d)" % (p, n, want))
if sum(j["attempts"].values()) != sum(j["counts"].values()):
    bad.append("rejected or retried posts")
print(" ".join(bad) or "none")' "$TMP/all.msgs.json" "$TMP/deferred.paths" "$TMP/inline.paths" 2>&1)
expect_eq "exactly one final per search: deferred = notice + answer, inline = nothing posted (${#DEFERRED_PATHS[@]} deferred, ${#INLINE_PATHS[@]} inline)" "$out" none
[ "${#DEFERRED_PATHS[@]}" -ge 3 ]; check "at least 3 searches went deferred" $?

# ---- the command line --------------------------------------------------------
# The CLI verifies no Slack request: every run here is without
# SLACK_SIGNING_SECRET (issue 14: it used to refuse to start).
cli() { env -u SLACK_SIGNING_SECRET -u SLASH_INFRA_SLACK_SIGNING_SECRET "$WORKER" "$@"; }

out=$(cli search 10.10.1.10 2>"$TMP/cli.err"); rc=$?
expect_eq "cli search 10.10.1.10 (no signing secret): exit 0" "$rc" 0
expect_contains "cli: summary line" "$out" "2 matches for 10.10.1.10 in 7 account-regions"
printf '%s\n' "$out" | grep -Eq '^ACCOUNT +REGION +ID +NAME +STATE +TYPE +PRIVATE IP +PUBLIC IP$'
check "cli: table header" $?
printf '%s\n' "$out" | grep -Eq '^production +eu-west-2 +i-0a1b2c3d4e5f60001 +prod-web-1 +running +t3\.large +10\.10\.1\.10 +18\.130\.10\.10$'
check "cli: prod-web-1 row" $?
printf '%s\n' "$out" | grep -Eq '^dev +eu-west-2 +i-0c3d4e5f6a7b80009 +dev-sandbox-1 +running'
check "cli: dev-sandbox-1 row" $?

out=$(cli search nosuchthing-xyz 2>>"$TMP/cli.err"); rc=$?
expect_eq "cli search nosuchthing-xyz: exit 1" "$rc" 1
expect_contains "cli: nothing found says so" "$out" "0 matches for nosuchthing-xyz"

cli search i-123 >/dev/null 2>"$TMP/cli.malformed.err"; rc=$?
expect_eq "cli search i-123: exit 2 (malformed)" "$rc" 2
expect_contains "cli search i-123: says why, in one phrase" "$(cat "$TMP/cli.malformed.err")" \
	"is not a valid EC2 instance ID: it has 3 hex digits, not 8 or 17"

# help: the subcommand's usage on stdout, exit 0, no AWS call.
aws_reset
for h in help --help; do
	out=$(cli search $h 2>>"$TMP/cli.err"); rc=$?
	expect_eq "cli search $h: exit 0" "$rc" 0
	expect_contains "cli search $h: the usage" "$out" "usage: slash-infra search [--json] [--preview]"
done
snap cli_help
jcheck "cli search help: no AWS call" "$TMP/stats.cli_help.json" 'j["total"] == 0'

# --json: stdout is the message and nothing else (| jq works).
cli search --json i-0a1b2c3d4e5f60001 > "$TMP/cli.json" 2>"$TMP/cli.json.err"; rc=$?
expect_eq "cli search --json: exit 0" "$rc" 0
"$PYTHON3" -c 'import json,sys; json.load(sys.stdin)' < "$TMP/cli.json"
check "cli --json: stdout is exactly one JSON document" $?
jcheck "cli --json: the Slack message" "$TMP/cli.json" \
	'j["response_type"] == "in_channel" and len(match_blocks(j)) == 1 and block_for(j, "i-0a1b2c3d4e5f60001") is not None'
grep -q 'block-kit-builder' "$TMP/cli.json" "$TMP/cli.json.err"
check "cli --json: no preview link without --preview" $(( ! $? ))

# --preview: the Block Kit Builder link on stderr, carrying the same message.
cli search --json --preview i-0a1b2c3d4e5f60001 > "$TMP/cli.pjson" 2>"$TMP/cli.pjson.err"; rc=$?
expect_eq "cli search --json --preview: exit 0" "$rc" 0
"$PYTHON3" -c 'import json,sys; json.load(sys.stdin)' < "$TMP/cli.pjson"
check "cli --json --preview: stdout is still pure JSON" $?
grep -q '^preview: https://app.slack.com/block-kit-builder/#' "$TMP/cli.pjson.err"
check "cli --preview: the Block Kit Builder link is on stderr" $?
out=$("$PYTHON3" -c '
import json, sys, urllib.parse
msg = json.load(open(sys.argv[1]))
prev = [l for l in open(sys.argv[2]).read().splitlines() if l.startswith("preview: ")][0]
frag = prev.split("#", 1)[1]
print(json.loads(urllib.parse.unquote(frag)) == msg)' "$TMP/cli.pjson" "$TMP/cli.pjson.err" 2>&1)
expect_eq "cli --preview: the link carries the same message" "$out" True
out=$(cli search --preview i-0a1b2c3d4e5f60001 2>"$TMP/cli.ptext.err")
expect_contains "cli --preview alone: the table on stdout" "$out" "i-0a1b2c3d4e5f60001"
grep -q '^preview: https://app.slack.com/block-kit-builder/#' "$TMP/cli.ptext.err"
check "cli --preview alone: the link on stderr" $?

# [links]: the CLI hands the configured portal to the renderer, so the
# message's console links sign in to the match's account (mrkdwn spells
# the URL's & as &amp;; Slack reads it back).
SLASH_INFRA_LINKS_SSO_START_URL=https://d-1234567890.awsapps.com/start/ \
SLASH_INFRA_LINKS_ROLE_NAME=ReadOnly \
	cli search --json i-0a1b2c3d4e5f60001 > "$TMP/cli.links.json" 2>>"$TMP/cli.err"
jcheck "cli --json with [links]: the console link goes through the portal, in the match's account" \
	"$TMP/cli.links.json" \
	'any(l.replace("&amp;", "&").startswith("https://d-1234567890.awsapps.com/start/#/console?account_id=111111111111&role_name=ReadOnly&destination=https%3A%2F%2Feu-west-2.console.aws.amazon.com%2Fec2%2F") for l in links(block_for(j, "i-0a1b2c3d4e5f60001")))'
SLASH_INFRA_LINKS_SSO_START_URL=http://d-1234567890.awsapps.com/start \
SLASH_INFRA_LINKS_ROLE_NAME=ReadOnly \
	cli search i-0a1b2c3d4e5f60001 >/dev/null 2>"$TMP/cli.badlinks.err"; rc=$?
expect_eq "cli with an http:// sso_start_url: exit 2" "$rc" 2
expect_contains "cli with an http:// sso_start_url: names the variable" \
	"$(cat "$TMP/cli.badlinks.err")" "SLASH_INFRA_LINKS_SSO_START_URL: expected an https:// URL"

# A failing target: the table carries AWS's whole message, not its first
# 48 bytes (the end of it names the role that was refused).
aws_reset
aws_fault '{"account":"222222222222","kind":"sts-access-denied"}'
out=$(cli search 10.10.1.10 2>>"$TMP/cli.err"); rc=$?
expect_eq "cli with staging denied: still exit 0 (the others answer)" "$rc" 0
line=$(printf '%s\n' "$out" | grep -m1 '^failed: staging/')
expect_contains "cli: the failed line names the code" "$line" "AccessDenied"
expect_contains "cli: the failed line has AWS's whole message" "$line" \
	"is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/"
msg=${line#*(}
[ "${#msg}" -gt 48 ]
check "cli: that message is longer than 48 characters (${#msg})" $?
aws_reset

# The server still refuses to start without the secret (bounded: a
# regression that starts would be cut at 10 s and fail).
env -u SLACK_SIGNING_SECRET -u SLASH_INFRA_SLACK_SIGNING_SECRET timeout 10 \
	"$WORKER" --listen "$TMP/nosecret.sock" >/dev/null 2>"$TMP/nosecret.err" </dev/null; rc=$?
expect_eq "server without SLACK_SIGNING_SECRET: exit 2" "$rc" 2
expect_contains "server without the secret: says which" "$(cat "$TMP/nosecret.err")" \
	"SLACK_SIGNING_SECRET is not set"

jflush
