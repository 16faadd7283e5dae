# A real PostgreSQL for the state-store tests and benches, from Debian's
# packages (postgresql-15 or newer): its own cluster in a temporary
# directory, reachable on a unix socket only (listen_addresses=''), run by
# a non-root user (PostgreSQL refuses to run as root). When we are root, as
# in CI, that user is the system account slashinfra-test, created here if
# absent; otherwise it is ourselves. No mock: the same server a production
# [state] url= would talk to.
#
# Source it (after lib.sh, whose EXIT trap it extends, or alone), then:
#   pg_start          initdb, start, wait until ready, create the database,
#                     export SI_TEST_PG_URL (postgresql:///DB?host=DIR&user=U)
#   pg_server_stop    stop the server (keeps the cluster)
#   pg_server_start   start it again and wait until ready
# Everything stops and is removed on exit.
#
# Knobs: PG_BINDIR (default: the newest /usr/lib/postgresql/*/bin),
# PG_TEST_USER (default slashinfra-test when root), PG_READY_TRIES (x 0.1 s,
# default 300), PG_DB (default slashinfra_test), KEEP_TMP=1 keeps the cluster.

PG_DB=${PG_DB:-slashinfra_test}
PG_READY_TRIES=${PG_READY_TRIES:-300}
PG_DIR=
PG_AS=()

pg_log() { printf '%s\n' "$*" >&2; }

pg_find_bindir() {
	[ -n "${PG_BINDIR:-}" ] && return 0
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
		pg_log "PostgreSQL server not found: apt-get install postgresql"
		return 1
	fi
	PG_BINDIR=$d
}

# Who runs the server: PostgreSQL will not run as root.
pg_pick_user() {
	if [ "$(id -u)" != 0 ]; then
		PG_TEST_USER=$(id -un)
		PG_AS=()
		return 0
	fi
	PG_TEST_USER=${PG_TEST_USER:-slashinfra-test}
	if ! id "$PG_TEST_USER" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_TEST_USER" ||
			{ pg_log "cannot create the user $PG_TEST_USER"; return 1; }
	fi
	PG_AS=(runuser -u "$PG_TEST_USER" --)
}

# Bounded: PG_READY_TRIES x 0.1 s for the server to accept connections.
pg_wait_ready() {
	local i
	for i in $(seq "$PG_READY_TRIES"); do
		"$PG_BINDIR/pg_isready" -q -h "$PG_DIR" -p 5432 -U "$PG_TEST_USER" -d postgres \
			&& return 0
		sleep 0.1
	done
	pg_log "PostgreSQL not ready after $PG_READY_TRIES tries; its log:"
	tail -n 30 "$PG_DIR/server.log" >&2 2>/dev/null
	return 1
}

pg_server_start() {
	# -W: do not let pg_ctl wait; we wait for readiness ourselves.
	"${PG_AS[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -W \
		-o "-c listen_addresses='' -c unix_socket_directories='$PG_DIR' -p 5432" \
		start >/dev/null || { pg_log "pg_ctl start failed"; return 1; }
	pg_wait_ready
}

pg_server_stop() {
	[ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	"${PG_AS[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null
}

pg_cleanup() {
	[ -n "$PG_DIR" ] || return 0
	pg_server_stop
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		pg_log "(kept the PostgreSQL cluster in $PG_DIR)"
	else
		rm -rf "$PG_DIR"
	fi
	PG_DIR=
}

pg_start() {
	pg_find_bindir && pg_pick_user || return 1
	PG_DIR=$(mktemp -d /tmp/slash-infra-pg.XXXXXX)
	chmod 700 "$PG_DIR"
	[ "$(id -u)" = 0 ] && chown "$PG_TEST_USER" "$PG_DIR"
	# trust on the socket alone: only this user can reach the 0700 directory
	# (and root); -E UTF8 so text is checked as the store expects.
	"${PG_AS[@]}" "$PG_BINDIR/initdb" -D "$PG_DIR/data" -U "$PG_TEST_USER" -A trust \
		-E UTF8 --no-locale --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
		{ pg_log "initdb failed:"; tail -n 20 "$PG_DIR/initdb.log" >&2; return 1; }
	pg_server_start || return 1
	"$PG_BINDIR/createdb" -h "$PG_DIR" -p 5432 -U "$PG_TEST_USER" "$PG_DB" ||
		{ pg_log "createdb failed"; return 1; }
	export SI_TEST_PG_URL="postgresql:///$PG_DB?host=$PG_DIR&port=5432&user=$PG_TEST_USER"
	# Shell commands the C tests run to take the server away and back.
	export SI_TEST_PG_STOP="${PG_AS[*]} $PG_BINDIR/pg_ctl -D $PG_DIR/data -m fast -w -t 30 stop"
	export SI_TEST_PG_START="${PG_AS[*]} $PG_BINDIR/pg_ctl -D $PG_DIR/data -l $PG_DIR/server.log -W -o \"-c listen_addresses='' -c unix_socket_directories='$PG_DIR' -p 5432\" start"
}

# Stop the server on exit, then run lib.sh's finish (if sourced) with the
# exit status the script had.
if declare -F finish >/dev/null; then
	trap 'pg_rc=$?; pg_cleanup; (exit $pg_rc); finish' EXIT
else
	trap pg_cleanup EXIT
fi

# pg_sql SQL: run SQL in the test database as the server's user; prints
# the rows unaligned, fields separated by '|', no header.
pg_sql() {
	"$PG_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_DIR" -p 5432 \
		-U "$PG_TEST_USER" -d "$PG_DB" -c "$1"
}
