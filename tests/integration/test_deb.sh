#!/usr/bin/env bash
# The Debian package: `dpkg-buildpackage -us -uc -b` in a copy of the tree
# (the tree's tracked and untracked, not ignored, files: the build never
# writes into the source tree), then the .deb's file list holds the worker,
# the man page, the units, the Slack app manifest, the examples and the
# whole IAM kit; the packaged unit names the packaged binary; the packaged
# binary runs; the version is configure.ac's; lintian finds no error.
#
# Needs dpkg-dev and debhelper (scripts/deps.sh build); lintian is checked
# when installed. Without dpkg-buildpackage, or outside a tree with debian/
# (a release tarball), exits 77, which automake counts as SKIP.
# Takes about 30 s (the package build compiles the worker; lintian ~5 s).
#
# SI_DEB_INSTALL=1 (CI, as root): also installs the .deb on this machine with
# apt (its Depends resolved from the archive), runs the installed
# /usr/sbin/slash-infra --version, and systemd-analyze verify on the
# installed units as systemd finds them, then purges the package again.
set -u

SI_SRCDIR=${SI_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
	echo "SKIP: dpkg-buildpackage or dh not found (scripts/deps.sh build)"
	exit 77
fi
if [ ! -f "$SI_SRCDIR/debian/rules" ]; then
	echo "SKIP: no debian/ in $SI_SRCDIR"
	exit 77
fi

PASS=0
FAIL=0
log() { printf '%s\n' "$*" >&2; }
check() { # check NAME CONDITION-RESULT(0/1) [detail]
	if [ "$2" -eq 0 ]; then
		PASS=$((PASS + 1)); log "ok   - $1"
	else
		FAIL=$((FAIL + 1)); log "FAIL - $1 ${3:-}"
	fi
}
expect_eq() { # expect_eq NAME GOT WANT
	if [ "$2" = "$3" ]; then check "$1" 0; else check "$1" 1 "(got '$2', want '$3')"; fi
}

TMP=$(mktemp -d /tmp/slash-infra-deb.XXXXXX)
finish() {
	local rc=$?
	if [ "$FAIL" -ne 0 ] || [ "${KEEP_TMP:-0}" = 1 ]; then
		log "--- build log (tail) ---"; tail -n 30 "$TMP/build.log" >&2 2>/dev/null
		log "(kept $TMP)"
	else
		rm -rf "$TMP"
	fi
	echo "$PASS passed, $FAIL failed"
	if [ "$FAIL" -ne 0 ] || [ $rc -ne 0 ]; then exit 1; fi
	exit 0
}
trap finish EXIT
trap 'exit 1' INT TERM

# --- the copy: what git would commit, or the whole tree without builds -----
mkdir -p "$TMP/src"
if git -C "$SI_SRCDIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$SI_SRCDIR" && git ls-files -co --exclude-standard -z |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -xf - -C "$TMP/src"
else
	(cd "$SI_SRCDIR" && tar --exclude='./_build*' --exclude=./debian/slash-infra -cf - .) |
		tar -xf - -C "$TMP/src"
fi
check "tree copied" $?

# --- the build ------------------------------------------------------------------
start=$(date +%s)
(cd "$TMP/src" && dpkg-buildpackage -us -uc -b -j"$(nproc 2>/dev/null || echo 2)") \
	>"$TMP/build.log" 2>&1
check "dpkg-buildpackage -us -uc -b" $? "(log: $TMP/build.log)"
log "     package build took $(( $(date +%s) - start )) s"

want_ver=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$SI_SRCDIR/configure.ac")
debs=("$TMP"/slash-infra_"$want_ver"-*_*.deb)
deb=${debs[0]}
[ -f "$deb" ]
check "slash-infra_${want_ver}-*.deb built (configure.ac's version)" $? "($(ls "$TMP"))"
[ -f "$deb" ] || exit 1

# --- the file list -----------------------------------------------------------
files=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
has() { # has PATH: the .deb installs that file
	printf '%s\n' "$files" | grep -qxF "$1"; check "installs $1" $?
}
DOC=/usr/share/doc/slash-infra
has /usr/sbin/slash-infra
has /usr/share/man/man8/slash-infra.8.gz
has /lib/systemd/system/slash-infra.service
has /lib/systemd/system/slash-infra.socket
has $DOC/copyright
has $DOC/slack-app-manifest.yml
for f in nginx.conf.example nginx-slash-infra.conf apache-slash-infra.conf \
	slash-infra.ini.example slash-infra.env.example; do
	has "$DOC/$f"
done
# The whole IAM kit, as the tree has it (policies, CloudFormation, Terraform).
n=0
while IFS= read -r f; do
	has "$DOC/iam/${f#conf/iam/}"; n=$((n + 1))
done < <(cd "$SI_SRCDIR" && find conf/iam -type f | sort)
[ "$n" -ge 10 ]; check "IAM kit: $n files looked for (>= 10)" $?

# --- what is in the files -------------------------------------------------------
mkdir -p "$TMP/root" && dpkg-deb -x "$deb" "$TMP/root"
exec_start=$(sed -n 's/^ExecStart=//p' "$TMP/root/lib/systemd/system/slash-infra.service")
expect_eq "the packaged unit starts the packaged binary" "$exec_start" /usr/sbin/slash-infra
# The web server examples as the tree has them (uncompressed): the files the
# integration tests run nginx and Apache with.
for f in nginx.conf.example conf/nginx-slash-infra.conf conf/apache-slash-infra.conf; do
	cmp -s "$TMP/root$DOC/${f#conf/}" "$SI_SRCDIR/$f"
	check "the packaged ${f#conf/} is the tested one" $?
done
ver=$("$TMP/root/usr/sbin/slash-infra" --version 2>&1)
expect_eq "the packaged binary runs: --version" "$ver" "slash-infra $want_ver"
deps=$(dpkg-deb -f "$deb" Depends)
case $deps in *libcurl4*libpq5*) r=0 ;; *) r=1 ;; esac
check "Depends from shlibs (libcurl4 ... libpq5)" $r "($deps)"

# --- lintian ----------------------------------------------------------------------
if command -v lintian >/dev/null; then
	changes=("$TMP"/slash-infra_"$want_ver"-*_*.changes)
	out=$(lintian "${changes[0]}" 2>&1)
	errs=$(printf '%s\n' "$out" | grep -c '^E: ')
	expect_eq "lintian: no E:" "$errs" 0
	[ "$errs" -eq 0 ] || log "$out"
	warns=$(printf '%s\n' "$out" | grep '^W: ')
	[ -z "$warns" ] || log "lintian warnings:" "$warns"
else
	log "skip - lintian: not installed"
fi

# --- installed on this machine (CI) ---------------------------------------------
if [ "${SI_DEB_INSTALL:-0}" = 1 ]; then
	if [ "$(id -u)" != 0 ]; then
		check "SI_DEB_INSTALL=1 needs root" 1
		exit 1
	fi
	apt-get install -y -qq --no-install-recommends "$deb" >"$TMP/install.log" 2>&1
	check "apt-get install ./$(basename "$deb")" $? "($(tail -n 3 "$TMP/install.log"))"
	st=$(dpkg-query -W -f='${Status} ${Version}' slash-infra 2>/dev/null)
	expect_eq "dpkg: installed, the built version" "${st%-*}" "install ok installed $want_ver"
	ver=$(/usr/sbin/slash-infra --version 2>&1)
	expect_eq "installed /usr/sbin/slash-infra --version" "$ver" "slash-infra $want_ver"
	man -w slash-infra >/dev/null 2>&1 || [ ! -x /usr/bin/man ]
	check "man finds the installed page (or man is absent)" $?
	if command -v systemd-analyze >/dev/null; then
		manopt=--man=no
		command -v man >/dev/null && manopt=--man=yes
		out=$(systemd-analyze verify $manopt /lib/systemd/system/slash-infra.socket \
			/lib/systemd/system/slash-infra.service 2>&1)
		check "systemd-analyze verify on the installed units exits 0" $? "($out)"
		expect_eq "systemd-analyze verify on the installed units prints nothing" "$out" ""
	else
		check "systemd-analyze is installed (scripts/deps.sh test)" 1
	fi
	# Installed, not enabled: starting it is the operator's decision.
	en=$(systemctl is-enabled slash-infra.socket 2>/dev/null)
	[ "$en" != enabled ]
	check "the socket unit is not enabled by the package (got '${en:-?}')" $?
	apt-get purge -y -qq slash-infra >>"$TMP/install.log" 2>&1
	check "apt-get purge slash-infra" $?
	[ ! -e /usr/sbin/slash-infra ]
	check "purged: /usr/sbin/slash-infra is gone" $?
fi
