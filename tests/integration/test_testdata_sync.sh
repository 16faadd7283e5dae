#!/bin/sh
# The in-repository copy of the shared reference data (tests/data/shared)
# must equal ../shared/testdata when that folder exists, so that a new
# fixture upstream cannot be silently missing from what a clone tests
# against. In a bare clone or a release tarball (no ../shared) there is
# nothing to compare: the test passes and says so.
set -eu
srcdir=${SI_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
exec sh "$srcdir/scripts/sync-testdata.sh" --check
