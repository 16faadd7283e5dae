#!/usr/bin/env bash
# Searches over HTTPS (issue 15), as against real AWS: the stand-in serves
# TLS with a certificate of a throw-away CA (tests/standin/make_test_ca.sh)
# and the worker trusts that CA through AWS_CA_BUNDLE, the variable the AWS
# SDKs read. The real binary: its CLI, and the FastCGI worker behind nginx,
# where later searches reuse the connections the first opened (the
# stand-in counts accepted connections) whichever of the worker's search
# threads runs them. Without the CA every target fails cleanly, naming the
# certificate problem.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_aws.sh"

WEB1=i-0a1b2c3d4e5f60001

if ! bash "$SI_SRCDIR/tests/standin/make_test_ca.sh" "$TMP/tls"; then
	check "make the test CA" 1
	exit 1
fi
# 50 ms a call: every target's call of a search is in flight at once, so
# the connections a search needs are exactly its targets (7), whatever
# the machine's speed.
aws_start --tls-cert "$TMP/tls/server.pem" --tls-key "$TMP/tls/server.key" --latency-ms 50 \
	|| exit 1
AWS_URL="https://127.0.0.1:$AWS_PORT"
# curl(1) in aws_control/aws_stats trusts the CA through its own variable.
export CURL_CA_BUNDLE="$TMP/tls/ca.pem"
receiver_start || exit 1
aws_env
conns() { aws_stats | json_get 'j["connections"]'; }

# ---- 1. the CLI without the CA: every target fails, named, no crash --------
unset AWS_CA_BUNDLE
out=$("$WORKER" search "$WEB1" 2>&1); rc=$?
expect_eq "CLI over TLS without the CA exits 2 (nothing found, targets failed)" "$rc" 2
expect_contains "the failure names the certificate problem" "$out" "SSL certificate problem"
expect_contains "every target failed" "$out" "7 of 7 targets failed"

# ---- 2. the CLI with the CA ----------------------------------------------------
export AWS_CA_BUNDLE="$TMP/tls/ca.pem"
out=$("$WORKER" search "$WEB1" 2>&1); rc=$?
expect_eq "CLI over TLS with AWS_CA_BUNDLE finds the instance (exit 0)" "$rc" 0
expect_contains "the answer names prod-web-1" "$out" "prod-web-1"
expect_contains "no target failed" "$(printf '%s\n' "$out" | head -n 1)" "1 match for $WEB1"

# ---- 3. the worker behind nginx: warm searches open no connection ---------------
stack_start || exit 1
r=$(post_signed "$(slack_body "$WEB1" "$RECV_URL/hooks/T1/B1/tls1")")
expect_contains "first search over TLS answers 200" "$r" "200 "
expect_contains "first search finds prod-web-1" "$r" "prod-web-1"
before=$(conns)
for i in 2 3 4; do
	r=$(post_signed "$(slack_body "$WEB1" "$RECV_URL/hooks/T1/B1/tls$i")")
	expect_contains "search $i over TLS finds prod-web-1" "$r" "prod-web-1"
done
after=$(conns)
# aws_stats' own connection is the only new one.
expect_eq "warm searches reused the first search's connections (new: stats only)" \
	"$((after - before))" 1

