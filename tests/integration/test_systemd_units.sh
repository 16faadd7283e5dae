#!/usr/bin/env bash
# conf/slash-infra.service and .socket: systemd-analyze verify (when
# systemd-analyze exists), the hardening options, the paths the web server
# configurations use, the env example, and what socket activation does to
# the worker: a listening socket on fd 0 that outlives the worker.
. "$(dirname "$0")/lib.sh"

SERVICE=$SI_SRCDIR/conf/slash-infra.service
SOCKET=$SI_SRCDIR/conf/slash-infra.socket
ENVEX=$SI_SRCDIR/conf/slash-infra.env.example

# --- systemd-analyze ----------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
	# verify needs ExecStart's binary to exist: point it at the built one.
	mkdir -p "$TMP/units" "$TMP/man/man8"
	sed "s|^ExecStart=/usr/local/sbin/slash-infra|ExecStart=$WORKER|" "$SERVICE" \
		> "$TMP/units/slash-infra.service"
	cp "$SOCKET" "$TMP/units/slash-infra.socket"
	# Documentation=man:slash-infra(8) must resolve: install the page where
	# man finds it, or skip that part when man is absent.
	manopt=--man=no
	if command -v man >/dev/null; then
		cp "$SI_SRCDIR/doc/slash-infra.8" "$TMP/man/man8/"
		manopt=--man=yes
	fi
	# Unknown keys are only warnings (exit 0): any output is a failure.
	out=$(cd "$TMP/units" && MANPATH="$TMP/man" systemd-analyze verify $manopt \
		./slash-infra.socket ./slash-infra.service 2>&1)
	rc=$?
	expect_eq "systemd-analyze verify exits 0" "$rc" 0
	expect_eq "systemd-analyze verify prints nothing" "$out" ""
	if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
		score=$(cd "$TMP/units" && systemd-analyze security --offline=yes \
			./slash-infra.service 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
		# 10 is unhardened; systemd calls <= 2.0 "OK".
		awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'
		check "systemd-analyze security exposure <= 2.0 (got ${score:-none})" $?
	fi
else
	log "skip - systemd-analyze not installed: verify not run, grep checks only"
fi

# --- the options that must be there --------------------------------------------
has() { # has FILE LINE: an exact, uncommented line
	grep -qxF -- "$2" "$1"
}
for line in \
	"StandardInput=socket" "StandardOutput=journal" "StandardError=journal" \
	"ExecStart=/usr/local/sbin/slash-infra" \
	"EnvironmentFile=-/etc/slash-infra/env" \
	"KillSignal=SIGTERM" "KillMode=mixed" "TimeoutStopSec=15" "Restart=on-failure" \
	"ExecReload=/bin/kill -HUP \$MAINPID" \
	"Requires=slash-infra.socket" \
	"DynamicUser=yes" "ProtectSystem=strict" "ProtectHome=yes" "NoNewPrivileges=yes" \
	"PrivateTmp=yes" "PrivateDevices=yes" \
	"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" \
	"SystemCallFilter=@system-service" "CapabilityBoundingSet=" "AmbientCapabilities=" \
	"LockPersonality=yes" "MemoryDenyWriteExecute=yes" "RestrictNamespaces=yes" \
	"RestrictRealtime=yes" "RestrictSUIDSGID=yes" "ProtectKernelTunables=yes" \
	"ProtectKernelModules=yes" "ProtectControlGroups=yes" "SystemCallArchitectures=native" \
	"UMask=0077"; do
	has "$SERVICE" "$line"; check "service: $line" $?
done
# Not in the service: a --listen would ignore the socket systemd passes.
! grep -q '^ExecStart=.*--listen' "$SERVICE"; check "service: ExecStart has no --listen" $?
for line in \
	"ListenStream=/run/slash-infra/slash-infra.sock" "SocketMode=0660" \
	"SocketUser=root" "SocketGroup=www-data" "Accept=no" "WantedBy=sockets.target"; do
	has "$SOCKET" "$line"; check "socket: $line" $?
done

# The web server configurations point at the socket the unit creates.
grep -q 'server unix:/run/slash-infra/slash-infra.sock;' "$SI_SRCDIR/conf/nginx-slash-infra.conf"
check "nginx-slash-infra.conf uses the unit's socket" $?
# The socket's group is the one the web servers' workers run as.
grep -qx 'user www-data;' "$SI_SRCDIR/nginx.conf.example"
check "nginx.conf.example's workers run as the socket's group (www-data)" $?
grep -q '"unix:/run/slash-infra/slash-infra.sock|fcgi://' "$SI_SRCDIR/conf/apache-slash-infra.conf"
check "apache-slash-infra.conf uses the unit's socket" $?

# --- the env example is a valid configuration ------------------------------------
# Loaded as systemd's EnvironmentFile= reads it (NAME=value, '#' comments),
# in an otherwise empty environment. --check-config exits 2 on an invalid
# configuration; after describing a valid one it also tries each account
# (1 when that fails, as it must here: no credentials). Instance metadata
# is switched off and every AWS endpoint points at a closed loopback port,
# so nothing leaves the machine.
mapfile -t envs < <(grep -E '^[A-Z][A-Z0-9_]*=' "$ENVEX")
[ "${#envs[@]}" -gt 0 ]; check "env example sets variables" $?
out=$(env -i "${envs[@]}" AWS_EC2_METADATA_DISABLED=true \
	AWS_ENDPOINT_URL="http://127.0.0.1:$(free_port)" \
	timeout 30 "$WORKER" --check-config 2>&1)
rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]
check "env example is a valid configuration (--check-config exit 0/1, got $rc)" $?
expect_contains "env example: two accounts" "$out" "accounts: 2"
expect_contains "env example defines the production account" "$out" "production"
! printf '%s' "$out" | grep -q "replace-with-the-signing-secret"; check "--check-config does not print the secret" $?

# --- socket activation, emulated ---------------------------------------------------
# What systemd does with StandardInput=socket, Accept=no: it holds the
# listening socket, starts the worker with it on fd 0, and after the
# worker stops (systemctl restart, Restart=on-failure) starts a new one on
# the same socket. Two generations must both serve.
cat > "$TMP/sockact.py" <<'PY'
import os, signal, socket, subprocess, sys, time
worker, path, log, probe = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(16)
with open(log, "ab") as logf:
    for gen in (1, 2):
        p = subprocess.Popen([worker], stdin=s.fileno(), stdout=logf, stderr=logf)
        out = b""
        for _ in range(50):  # bounded: 50 x 0.1 s
            r = subprocess.run([sys.executable, probe, path, "GET", "/healthz", "0", ""],
                               capture_output=True, timeout=10)
            out = r.stdout
            if out.startswith(b"Status: 200"):
                break
            time.sleep(0.1)
        print("gen%d healthz %s" % (gen, out.split(b"\r\n")[0].decode(errors="replace") or "no answer"))
        p.send_signal(signal.SIGTERM)
        try:
            print("gen%d exit %d" % (gen, p.wait(timeout=10)))
        except subprocess.TimeoutExpired:
            p.kill()
            print("gen%d exit timeout" % gen)
PY
out=$(timeout 60 "$PYTHON3" "$TMP/sockact.py" "$WORKER" "$TMP/act.sock" "$TMP/worker.log" \
	"$SI_SRCDIR/tests/integration/fcgi_probe.py")
expect_contains "socket on fd 0: first worker serves" "$out" "gen1 healthz Status: 200"
expect_contains "socket on fd 0: first worker exits 0 on SIGTERM" "$out" "gen1 exit 0"
expect_contains "socket on fd 0: a restarted worker serves on the same socket" "$out" "gen2 healthz Status: 200"
expect_contains "socket on fd 0: restarted worker exits 0 on SIGTERM" "$out" "gen2 exit 0"
