#!/usr/bin/env bash
# Install the Debian packages slash-infra needs, in three lists:
#   runtime  what the installed worker needs to run (its shared libraries,
#            the CA bundle, a web server in front); the .deb depends on
#            the libraries by itself
#   build    what building it needs (the -dev packages configure checks,
#            autotools; debhelper to build the .deb)
#   test     what `make check`, scripts/test.sh and bench/ run on top of a
#            build: servers, sanitizers, valgrind, Python, wrk, lintian
# Usage: scripts/deps.sh [runtime|build|test ...]   (no argument: all three)
# Installs only what is missing; needs root (or sudo).
set -euo pipefail

RUNTIME=(libcurl4 libssl3 libjson-c5 libxml2 libinih1 libsqlite3-0 libpq5 ca-certificates
	nginx)
BUILD=(build-essential autoconf automake libtool pkg-config
	libcurl4-openssl-dev libssl-dev libjson-c-dev libxml2-dev libinih-dev
	libsqlite3-dev libpq-dev libcmocka-dev debhelper)
TEST=(spawn-fcgi nginx apache2 groff-base systemd sqlite3 postgresql
	clang libclang-rt-14-dev valgrind wrk curl python3 python3-yaml python3-prometheus-client
	lintian ca-certificates)

PKGS=()
[ $# -eq 0 ] && set -- runtime build test
for list in "$@"; do
	case $list in
	runtime) PKGS+=("${RUNTIME[@]}") ;;
	build) PKGS+=("${BUILD[@]}") ;;
	test) PKGS+=("${TEST[@]}") ;;
	*) echo "usage: $0 [runtime|build|test ...]" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
# One name once, in first-seen order.
mapfile -t want < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "installing: ${want[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
