# AWS side of the integration harness: the local AWS stand-in, the Slack
# response_url receiver, and the worker's environment pointing at them.
# Source after lib.sh. Everything listens on 127.0.0.1 only.

STANDIN="$SI_SRCDIR/tests/standin/aws_standin.py"
RECEIVER="$SI_SRCDIR/tests/standin/slack_receiver.py"
# The stand-in fixture's base identity (not a real AWS key).
BASE_AKID=AKIASLASHINFRADEMO01
BASE_SECRET='slashInfraDemoSecretKey/K7MDENG+bPxRfiCYEX'

wait_port_file() { wait_for 30 test -s "$1"; } # wait_port_file FILE: bounded, 30 s

# aws_start [stand-in args...]: start the AWS stand-in; sets AWS_PORT.
aws_start() {
	rm -f "$TMP/aws.port"
	"$PYTHON3" "$STANDIN" --port 0 --port-file "$TMP/aws.port" "$@" \
		>/dev/null 2>>"$TMP/aws.log" &
	PIDS+=("$!")
	wait_port_file "$TMP/aws.port" || { log "AWS stand-in did not start"; return 1; }
	AWS_PORT=$(cat "$TMP/aws.port")
	AWS_URL="http://127.0.0.1:$AWS_PORT"
}

# receiver_start: start the response_url receiver; sets RECV_URL.
receiver_start() {
	rm -f "$TMP/recv.port"
	"$PYTHON3" "$RECEIVER" --port 0 --port-file "$TMP/recv.port" >/dev/null 2>>"$TMP/recv.log" &
	PIDS+=("$!")
	wait_port_file "$TMP/recv.port" || { log "receiver did not start"; return 1; }
	RECV_PORT=$(cat "$TMP/recv.port")
	RECV_URL="http://127.0.0.1:$RECV_PORT"
}

# aws_env_as AKID SECRET: export what the worker needs to reach the stand-in
# (and the receiver, when started) with that base identity, and nothing of
# the machine's own AWS setup.
aws_env_as() {
	export AWS_ACCESS_KEY_ID=$1
	export AWS_SECRET_ACCESS_KEY=$2
	unset AWS_SESSION_TOKEN AWS_PROFILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
		AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_ENDPOINT_URL_EC2 AWS_ENDPOINT_URL_STS
	export AWS_EC2_METADATA_DISABLED=true
	export AWS_ENDPOINT_URL=$AWS_URL
	if [ -n "${RECV_URL:-}" ]; then
		export SLASH_INFRA_SLACK_RESPONSE_URL_PREFIXES="$RECV_URL/"
	fi
}

# aws_env: the fixture's identity and accounts (tests/integration/accounts.ini).
aws_env() {
	aws_env_as "$BASE_AKID" "$BASE_SECRET"
	export SLASH_INFRA_CONFIG="$SI_SRCDIR/tests/integration/accounts.ini"
}

# aws_org_env ACCOUNTS REGIONS PER [stand-in args...]: the stand-in with a
# generated organisation (--generate-org ACCOUNTS REGIONS PER, quiet) and
# the receiver started, and the worker's environment for them: the
# generated organisation's base identity and, with no ini, one account a
# variable (AWS_ROLE_G<i>, the stand-in's account 400000000000 + i).
ORG_AKID=AKIASTANDINBASE00001
ORG_SECRET='standinBaseSecretKey/0000000000000000000'
aws_org_env() {
	local i
	aws_start --quiet --generate-org "$1" "$2" "$3" "${@:4}" || return 1
	receiver_start || return 1
	aws_env_as "$ORG_AKID" "$ORG_SECRET"
	unset SLASH_INFRA_CONFIG
	for i in $(seq 0 $(($1 - 1))); do
		export "AWS_ROLE_G$i=arn:aws:iam::$((400000000000 + i)):role/InfraSearchReadOnly"
	done
}

aws_control() { # aws_control PATH [JSON]
	curl -s --max-time 5 -X POST -H 'Content-Type: application/json' \
		--data "${2:-{\}}" "$AWS_URL$1"
}
aws_stats() { curl -s --max-time 5 "$AWS_URL/_control/stats"; }
aws_fault() { aws_control /_control/fault "$1" >/dev/null; }
aws_reset() { aws_control /_control/reset '{}' >/dev/null; aws_control /_control/clear-faults '{}' >/dev/null; }

recv_reset() { curl -s --max-time 5 -X POST "$RECV_URL/_reset" >/dev/null; }
recv_control() { curl -s --max-time 5 -X POST -H 'Content-Type: application/json' --data "$1" "$RECV_URL/_control" >/dev/null; }
recv_messages() { curl -s --max-time 5 "$RECV_URL/_messages${1:+?path=$1}"; }

# recv_wait PATH N [SECONDS]: wait (bounded: SECONDS, 15 unless given)
# until PATH received N messages.
recv_wait() {
	local path=$1 n=$2
	for _ in $(seq $((${3:-15} * 10))); do
		local got
		got=$(recv_messages "$path" | "$PYTHON3" -c 'import sys,json; print(len(json.load(sys.stdin)["messages"]))' 2>/dev/null)
		[ "${got:-0}" -ge "$n" ] && return 0
		sleep 0.1
	done
	return 1
}

# json_get EXPR: evaluate a Python expression on the JSON on stdin (as j).
json_get() { "$PYTHON3" -c "import sys,json; j=json.load(sys.stdin); print($1)"; }
