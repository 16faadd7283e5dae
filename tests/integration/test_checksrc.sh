#!/usr/bin/env bash
# scripts/checksrc.py, the curl-style source check (STYLE.md habits 2, 6,
# 14, 15): first the checker itself, on sample trees where every finding
# is marked in place with /* expect: RULE */ (each rule must fire exactly
# on the marked lines, nowhere else, and a clean sample must pass); then
# the real tree, whose findings are printed in full when there are any.
. "$(dirname "$0")/lib.sh"

CHECKSRC=$SI_SRCDIR/scripts/checksrc.py
RULES="banned-call line-width trailing-space layer-include include-folder counted-prefix
	why-comment"

# pad TEXT COLS: TEXT (which opens a comment) padded to exactly COLS
# columns and closed; tabs count to the next multiple of 8.
pad() {
	local w
	w=$(printf '%s' "$1" | expand -t 8 | wc -m)
	printf '%s%*s*/\n' "$1" $(($2 - w - 2)) ''
}
body() { for _ in $(seq "$1"); do printf '\tn += 1;\n'; done; }

# --- a tree with one of everything wrong --------------------------------------
BAD=$TMP/bad
mkdir -p "$BAD/common/util" "$BAD/common/aws/private" "$BAD/common/search" "$BAD/fcgi"
: > "$BAD/common/util/x.h"
: > "$BAD/common/util/z.h"
: > "$BAD/common/aws/y.h"
: > "$BAD/common/aws/private/p.h"
{
	cat <<'EOF'
#include "util/x.h"
#include "aws/y.h" /* expect: layer-include */
#include "z.h" /* expect: include-folder */
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Prose may say sprintf(buf) or strcpy(a, b): not code. */
static void s_fmt(char *out, size_t len, int n, struct tm *tm, time_t t)
{
	sprintf(out, "%d", n); /* expect: banned-call */
	snprintf(out, len, "atoi(%s) strerror(%d)", "gets(x)", n);
	gmtime_r(&t, tm);
	localtime_r(&t, tm);
	sprintf(out, "%d", n); /* checksrc: allow banned-call */
	n = atoi (out) /* expect: banned-call */;
}

static int s_prefix(const char *s)
{
	if (strncmp(s, "AWS_STS_REGIONAL_ENDPOINTS=", 27) == 0) /* expect: counted-prefix */
		return 1;
	if (strncasecmp(s, "http://", sizeof "http://" - 1) == 0)
		return 2;
	return memcmp(s, "abcd", 4) == 0; /* expect: counted-prefix */
}
EOF
	pad "/* expect: line-width, 101 columns" 101
	pad "/* exactly 100 columns: fine" 100
	pad $'\t/* expect: line-width, 101 columns with a tab' 101
	printf 'static int s_trailing; /* expect: trailing-space */ \n'
	printf 'static int s_trailing_tab; /* expect: trailing-space */\t\n'
	printf '\nint x_thirty(int n) /* expect: why-comment */\n{\n'; body 30; printf '\treturn n;\n}\n'
	printf '\n/* Why this exists. */\nint x_commented(int n)\n{\n'; body 40; printf '\treturn n;\n}\n'
	printf '\nstatic int s_short(int n)\n{\n'; body 29; printf '}\n'
	printf '\nstatic const int s_table[] = {\n'; body 40 | tr -d '\t' | sed 's/.*/1,/'; printf '};\n'
} > "$BAD/common/util/x.c"
cat > "$BAD/common/search/s.c" <<'EOF'
#include "aws/y.h"
#include "aws/private/p.h" /* expect: layer-include */
#include "util/x.h"
EOF
cat > "$BAD/common/aws/a.c" <<'EOF'
#include "aws/private/p.h"
#include "y.h" /* expect: include-folder */
EOF
cat > "$BAD/fcgi/m.c" <<'EOF'
#include "aws/y.h"
#include "aws/private/p.h" /* expect: layer-include */
EOF

# Expected: every marked line, as "file:line: rule".
want=$(cd "$BAD" && grep -n -o 'expect: [a-z-]*' common/util/x.c common/search/s.c \
	common/aws/a.c fcgi/m.c | sed 's/:expect: /: /' | sort)
out=$("$PYTHON3" "$CHECKSRC" --root "$BAD" 2>&1)
rc=$?
got=$(printf '%s\n' "$out" | grep -E '^[^ ]+:[0-9]+: [a-z-]+: ' |
	sed -E 's/^([^ ]+:[0-9]+: [a-z-]+): .*/\1/' | sort)
expect_eq "self-test: checker exits 1 on the bad sample" "$rc" 1
for r in $RULES; do
	w=$(printf '%s\n' "$want" | grep ": $r\$" | tr '\n' ' ')
	g=$(printf '%s\n' "$got" | grep ": $r\$" | tr '\n' ' ')
	[ -n "$w" ]; check "self-test: the sample exercises $r" $?
	expect_eq "self-test: $r fires exactly on the marked lines" "$g" "$w"
done
expect_eq "self-test: no finding beyond the marked ones" "$got" "$want"
expect_contains "self-test: the escape hatch is counted" "$out" "checksrc: 1 escape used"
expect_contains "self-test: summary counts banned-call" "$out" "banned-call     2"
expect_contains "self-test: message says what to use" "$out" \
	"common/util/x.c:11: banned-call: sprintf() is banned: use snprintf with a checked result"

# --- a clean tree --------------------------------------------------------------
GOOD=$TMP/good
mkdir -p "$GOOD/common/util" "$GOOD/common/aws" "$GOOD/fcgi" "$GOOD/tests/unit"
: > "$GOOD/common/util/strutil.h"
: > "$GOOD/common/aws/sigv4.h"
{
	printf '#include "util/strutil.h"\n#include <string.h>\n\n'
	printf '/* Why: counts n up; assumes nothing. */\nint x_counted(int n)\n{\n'
	body 45
	printf '\treturn n;\n}\n'
} > "$GOOD/common/aws/ok.c"
printf '#include "aws/sigv4.h"\n#include "util/strutil.h"\n' > "$GOOD/fcgi/main.c"
printf '#include "aws/sigv4.h"\nstatic int f(const char *s) { return strncmp(s, "ab", 2); }\n' \
	> "$GOOD/tests/unit/test_x.c"
sed -i 's/2); }/SI_LITLEN("ab")); }/' "$GOOD/tests/unit/test_x.c"
out=$("$PYTHON3" "$CHECKSRC" --root "$GOOD" 2>&1)
rc=$?
expect_eq "self-test: checker exits 0 on the clean sample" "$rc" 0
expect_eq "self-test: clean sample says so" "$out" "checksrc: 5 files clean"

# --- the real tree -------------------------------------------------------------
out=$("$PYTHON3" "$CHECKSRC" --root "$SI_SRCDIR" 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
	log "--- checksrc findings in $(cd "$SI_SRCDIR" && pwd) ---"
	printf '%s\n' "$out" >&2
	log "--- (fix them, or mark a justified one with /* checksrc: allow RULE */) ---"
fi
n=$(printf '%s\n' "$out" | grep -c '^[^ ]*:[0-9]*: ')
check "source tree passes scripts/checksrc.py" $rc "($n findings, listed above)"
