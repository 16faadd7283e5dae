#!/usr/bin/env bash
# Install the Debian packages slash-infra needs to build, test and run the
# local demo. Installs only what is missing; needs root (or sudo).
set -euo pipefail

PKGS=(build-essential autoconf automake libtool pkg-config
      spawn-fcgi nginx apache2 groff-base systemd
      libcurl4-openssl-dev libssl-dev libjson-c-dev libxml2-dev libinih-dev
      libsqlite3-dev sqlite3 libpq-dev postgresql
      libcmocka-dev clang libclang-rt-14-dev valgrind wrk curl python3 python3-yaml ca-certificates)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
want=("${missing[@]}")
[ ${#want[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "installing: ${want[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
