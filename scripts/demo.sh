#!/usr/bin/env bash
# The whole stack on this machine: the local AWS stand-in (3 fake accounts),
# a local Slack response_url receiver, nginx (the shipped nginx.conf.example
# and conf/nginx-slash-infra.conf) in front of the worker under spawn-fcgi;
# then signed slash commands as Slack sends them, and the replies Slack
# would show. Run as root, nginx's workers are www-data, as on Debian.
#
# Usage: scripts/demo.sh [--keep]   (--keep: leave it running until Ctrl-C)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
KEEP=${1:-}

scripts/deps.sh
[ -x configure ] || autoreconf -fi >/dev/null 2>&1
mkdir -p _build/default
(cd _build/default && { [ -f Makefile ] || "$SRC/configure" -q; } && make -s -j"$(nproc)")

export SI_SRCDIR=$SRC SI_BUILDDIR=$SRC/_build/default SI_DEMO=1
set +eu
. tests/integration/lib.sh
. tests/integration/lib_aws.sh

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
pretty() { "$PYTHON3" -m json.tool 2>/dev/null || cat; }

aws_start && receiver_start && aws_env && stack_start || { echo "demo: could not start the stack" >&2; exit 1; }
HOOK="$RECV_URL/hooks/T0001/B0001/demo"

say "Stack up: nginx on $BASE -> slash-infra (spawn-fcgi) -> AWS stand-in on $AWS_URL"
curl -s "$BASE/healthz"

say "The accounts and regions the worker searches (slash-infra --check-config)"
"$WORKER" --check-config

say "/infra-search 10.10.1.10  (signed like Slack, answered inline)"
r=$(post_signed "$(slack_body '10.10.1.10' "$HOOK/1")")
echo "HTTP ${r%% *}"
echo "${r#* }" | pretty

say "/infra-search 10.10.1.200  (an address owned by a load balancer's network interface)"
r=$(post_signed "$(slack_body '10.10.1.200' "$HOOK/2")")
echo "${r#* }" | json_get 'j["text"]'

say "A forged request (wrong signing secret) is refused"
r=$(SECRET=not-the-secret post_signed "$(slack_body '10.10.1.10' "$HOOK/3")")
echo "HTTP $r"

say "A slow search: AWS answers after 2 s, so Slack gets an ack now and the answer later"
aws_fault '{"account":"*","kind":"latency","arg":2000}'
r=$(post_signed "$(slack_body 'prod-web' "$HOOK/4")")
echo "HTTP response (at once): $r"
recv_wait /hooks/T0001/B0001/demo/4 2
echo "Messages posted to response_url:"
recv_messages /hooks/T0001/B0001/demo/4 | json_get '"\n".join("  - [%s] %s" % (m["body"]["response_type"], m["body"]["text"]) for m in j["messages"])'
aws_reset

say "The same search from the command line (slash-infra search prod)"
"$WORKER" search prod

say "Preview any answer in Slack's Block Kit Builder: slash-infra search --preview QUERY (the link is on stderr)"

if [ "$KEEP" = "--keep" ]; then
	say "Running: POST signed commands to $BASE/slack/infra-search (secret: $SECRET). Ctrl-C to stop."
	while sleep 3600; do :; done
fi
