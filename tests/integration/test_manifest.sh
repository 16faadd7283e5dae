#!/usr/bin/env bash
# Issue 14: conf/slack-app-manifest.yml is the whole Slack app, pasted in
# "Create New App -> From an app manifest". A manifest that parses but
# names a path the worker does not serve gives an app whose command or
# buttons answer 404 in Slack, so this checks it against the worker:
# - it parses (python3-yaml) and has the shape Slack's manifest schema
#   wants (compare tests/data/shared/slack/app-manifest.*): the command
#   /infra-search with an https URL, interactivity on with an https
#   request_url, bot scopes exactly [commands], no user scope, no bot user;
# - the command URL's path is APP_SLACK_ROUTE and the interactivity URL's
#   path APP_INTERACTIVE_ROUTE, as common/app.h defines them;
# - the worker answers both paths through real nginx with the shipped site
#   conf/nginx-slash-infra.conf: a POST with a bad signature gets 401 (the
#   route is there and verifies), not 404 (an unknown path).
. "$(dirname "$0")/lib.sh"

MANIFEST=$SI_SRCDIR/conf/slack-app-manifest.yml
APP_H=$SI_SRCDIR/common/app.h

# ---- the routes the worker serves (common/app.h) ----------------------------
route_of() { # route_of NAME: the string APP_H #defines NAME as, or ""
	sed -n "s|^#define $1 \"\\(/[^\"]*\\)\".*|\\1|p" "$APP_H"
}
SLACK_ROUTE=$(route_of APP_SLACK_ROUTE)
INTERACTIVE_ROUTE=$(route_of APP_INTERACTIVE_ROUTE)
[ -n "$SLACK_ROUTE" ]
check "common/app.h defines APP_SLACK_ROUTE (got '$SLACK_ROUTE')" $?
[ -n "$INTERACTIVE_ROUTE" ]
check "common/app.h defines APP_INTERACTIVE_ROUTE (got '$INTERACTIVE_ROUTE')" $? \
	"(no '#define APP_INTERACTIVE_ROUTE \"/...\"' in $APP_H: the worker has no interactivity route)"

# ---- the manifest -------------------------------------------------------------
# One python run checks the shape and prints what the shell needs:
# "ok" lines for the checks, then the two URL paths.
"$PYTHON3" - "$MANIFEST" > "$TMP/manifest.out" 2>&1 <<'PY'
import sys
import urllib.parse

try:
    import yaml
except ImportError:
    print("FAIL python3-yaml is not installed (scripts/deps.sh installs it)")
    sys.exit(0)

try:
    m = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
except Exception as e:  # the message is the point of the test
    print("FAIL does not parse: %s" % e)
    sys.exit(0)


def check(name, cond):
    print("%s %s" % ("ok" if cond else "FAIL", name))


def get(*keys):
    v = m
    for k in keys:
        if not isinstance(v, dict) or k not in v:
            return None
        v = v[k]
    return v


check("parses to a mapping", isinstance(m, dict))
# Slack's manifest reference: display_information.name is required, at
# most 35 characters; description at most 140.
name = get("display_information", "name")
check("display_information.name set, <= 35 characters",
      isinstance(name, str) and 0 < len(name) <= 35)
desc = get("display_information", "description")
check("display_information.description <= 140 characters",
      desc is None or (isinstance(desc, str) and len(desc) <= 140))

cmds = get("features", "slash_commands") or []
check("exactly one slash command", isinstance(cmds, list) and len(cmds) == 1)
cmd = cmds[0] if cmds and isinstance(cmds[0], dict) else {}
check("the command is /infra-search", cmd.get("command") == "/infra-search")
check("the command has a description and a usage hint",
      bool(cmd.get("description")) and bool(cmd.get("usage_hint")))
check("should_escape is false (the text arrives as typed)", cmd.get("should_escape") is False)
check("no bot user (replies go through response_url)", get("features", "bot_user") is None)

scopes = get("oauth_config", "scopes") or {}
check("bot scopes are exactly [commands]", scopes.get("bot") == ["commands"])
check("no user scopes", not scopes.get("user"))

check("interactivity is enabled", get("settings", "interactivity", "is_enabled") is True)
for k in ("org_deploy_enabled", "socket_mode_enabled", "token_rotation_enabled"):
    check("settings.%s is false" % k, get("settings", k) is False)
check("no event subscriptions (nothing listens for events)",
      get("settings", "event_subscriptions") is None)

urls = {"command": cmd.get("url"),
        "interactive": get("settings", "interactivity", "request_url")}
hosts = set()
for what, u in urls.items():
    p = urllib.parse.urlsplit(u if isinstance(u, str) else "")
    check("%s URL is https with a host, no query or fragment (%s)" % (what, u),
          p.scheme == "https" and bool(p.hostname) and not p.query and not p.fragment)
    hosts.add(p.hostname)
    print("path %s %s" % (what, p.path or "-"))
check("both URLs name the same host (one placeholder to replace)", len(hosts) == 1)
PY
while read -r word rest; do
	case $word in
	ok) check "manifest: $rest" 0 ;;
	FAIL) check "manifest: $rest" 1 ;;
	path)
		set -- $rest
		case $1 in
		command) PATH_COMMAND=$2 ;;
		interactive) PATH_INTERACTIVE=$2 ;;
		esac ;;
	*) check "manifest: unexpected output: $word $rest" 1 ;;
	esac
done < "$TMP/manifest.out"

expect_eq "manifest: the command URL's path is APP_SLACK_ROUTE" \
	"${PATH_COMMAND:-}" "$SLACK_ROUTE"
expect_eq "manifest: the interactivity URL's path is APP_INTERACTIVE_ROUTE" \
	"${PATH_INTERACTIVE:-}" "$INTERACTIVE_ROUTE"

# ---- the worker serves both paths through nginx ---------------------------------
stack_start || exit 1

# post_bad_sig PATH: the status of a POST signed with the wrong secret.
post_bad_sig() {
	local ts sig
	ts=$(date +%s)
	printf '%s' "$(slack_body 'i-0123456789abcdef0')" > "$TMP/bad.body"
	sig=$("$PYTHON3" "$SI_SRCDIR/tests/integration/slack_sign.py" "not-the-secret" "$ts" \
		"$TMP/bad.body")
	curl -s --max-time 10 -o "$TMP/bad.out" -w '%{http_code}' \
		-H "Content-Type: application/x-www-form-urlencoded" \
		-H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: $sig" \
		--data-binary "@$TMP/bad.body" "$BASE$1"
}

for path in "${PATH_COMMAND:-}" "${PATH_INTERACTIVE:-}"; do
	[ -n "$path" ] && [ "$path" != - ] || { check "the manifest names the path" 1; continue; }
	code=$(post_bad_sig "$path")
	expect_eq "worker through nginx: $path with a bad signature -> 401 (not 404)" "$code" 401
	expect_contains "worker through nginx: $path says why" "$(cat "$TMP/bad.out")" "signature"
done
# The control: a path the manifest does not name is the worker's 404.
code=$(post_bad_sig /slack/not-a-route)
expect_eq "control: an unknown path -> 404" "$code" 404
