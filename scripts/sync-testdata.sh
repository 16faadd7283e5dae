#!/bin/sh
# sync-testdata.sh - keep tests/data/shared/ a verbatim mirror of the shared
# reference data (../shared/testdata beside the repository).
#
# The tests read the in-repository copy (configure's default SI_TESTDATA), so
# a bare clone or a release tarball stands alone. When the shared folder
# grows, run this script and commit the result: it copies every file, and
# deletes files that are gone upstream, so the copy is exactly the source.
# Provenance and licences travel with the files (README.md, LICENSE*,
# NOTICE* inside the copy); see tests/data/PROVENANCE.md.
#
# Usage: scripts/sync-testdata.sh [--check] [SRC]
#   SRC      the shared folder (default: $SI_SHARED_TESTDATA, else
#            ../shared/testdata beside the source tree)
#   --check  copy nothing: exit 0 when the copy equals SRC, 1 (listing the
#            differences) when it does not, 0 with a note when SRC is absent
# Only POSIX sh, cp, diff, find, mv, rm: no rsync needed.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dest="$top/tests/data/shared"
check=0
if [ "${1:-}" = "--check" ]; then
	check=1
	shift
fi
src=${1:-${SI_SHARED_TESTDATA:-$top/../shared/testdata}}

if [ ! -d "$src" ]; then
	if [ $check -eq 1 ]; then
		echo "sync-testdata: $src absent (a bare clone): nothing to compare," \
		     "tests use the in-repository copy $dest"
		exit 0
	fi
	echo "sync-testdata: no shared test data at $src" >&2
	exit 1
fi
src=$(cd "$src" && pwd)

if [ $check -eq 1 ]; then
	if [ ! -d "$dest" ]; then
		echo "sync-testdata: $dest is missing; run scripts/sync-testdata.sh" >&2
		exit 1
	fi
	# diff -r reports files only on one side and files whose bytes differ.
	if out=$(LC_ALL=C diff -r -q "$src" "$dest" 2>&1); then
		n=$(find "$dest" -type f | wc -l)
		echo "sync-testdata: $dest matches $src ($n files)"
		exit 0
	fi
	printf '%s\n' "$out" >&2
	echo "sync-testdata: the in-repository copy differs from $src;" \
	     "run scripts/sync-testdata.sh and commit tests/data/shared" >&2
	exit 1
fi

# Copy into a sibling folder first and swap it in, so an interrupted run
# never leaves a half-updated copy (and files gone upstream disappear).
tmp="$dest.sync.$$"
trap 'rm -rf "$tmp"' EXIT INT TERM
rm -rf "$tmp"
mkdir -p "$tmp"
cp -R "$src/." "$tmp/"
# The shared folder is read-only; the copy in the repository must not be.
chmod -R u+w "$tmp"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT INT TERM
n=$(find "$dest" -type f | wc -l)
echo "sync-testdata: copied $n files from $src to $dest"
