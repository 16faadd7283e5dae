#!/usr/bin/env bash
# doc/slash-infra.8: renders without warnings, and documents what the
# program has: every long option of --help (and vice versa), every ini
# section and key of conf/slash-infra.ini.example, every AWS_* variable the
# code reads.
. "$(dirname "$0")/lib.sh"

MAN=$SI_SRCDIR/doc/slash-infra.8

# man pages spell '-' as '\-'; compare the text with that undone.
man_text() { sed -e 's/\\-/-/g' -e 's/\\e/\\/g' "$MAN"; }

# --- rendering ---------------------------------------------------------------
if command -v groff >/dev/null; then
	warn=$(groff -man -Tutf8 -ww -z "$MAN" 2>&1)
	expect_eq "groff -man -ww renders without warnings" "$warn" ""
elif command -v man >/dev/null; then
	warn=$(MANWIDTH=80 man --warnings -l "$MAN" 2>&1 >/dev/null)
	expect_eq "man -l renders without warnings" "$warn" ""
else
	log "skip - render check: neither groff nor man is installed"
fi

for s in NAME SYNOPSIS DESCRIPTION OPTIONS CONFIGURATION "QUERY LANGUAGE" \
	"EXIT STATUS" SIGNALS FILES EXAMPLES "SEE ALSO"; do
	grep -q "^\.SH \"\{0,1\}$s\"\{0,1\}\$" "$MAN"; check "section $s present" $?
done

# --- options: --help and the page agree --------------------------------------
help=$("$WORKER" --help); check "slash-infra --help exits 0" $?
opts_help=$(printf '%s\n' "$help" | grep -oE -- '--[a-z][a-z-]*' | sort -u)
# The program's own options are those of SYNOPSIS and OPTIONS (EXAMPLES
# may show other tools' options, e.g. systemctl --now).
opts_man=$(man_text | sed -n -e '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' \
	-e '/^\.SH OPTIONS/,/^\.SH CONFIGURATION/p' | grep -oE -- '--[a-z][a-z-]*' | sort -u)
# The search subcommand's own options are documented under "The search
# subcommand"; they are compared with `slash-infra search --help` when the
# binary has the subcommand, with the main --help otherwise.
opts_search_man=$(man_text | sed -n '/^\.SS The search subcommand/,/^\.SH/p' \
	| grep -oE -- '--[a-z][a-z-]*' | sort -u)
if printf '%s\n' "$help" | grep -qE '^ *(usage: *)?slash-infra search'; then
	opts_help=$( { printf '%s\n' "$opts_help"; "$WORKER" search --help 2>&1 \
		| grep -oE -- '--[a-z][a-z-]*'; } | sort -u)
	extra_ok=""
else
	log "note - --help does not list the search subcommand yet: its options are checked only once it does"
	extra_ok=$opts_search_man
fi
[ -n "$opts_help" ]; check "--help lists long options" $?
missing=$(comm -23 <(printf '%s\n' "$opts_help") <(printf '%s\n' "$opts_man"))
expect_eq "every --help option is in the man page" "$missing" ""
extra=$(comm -13 <(printf '%s\n' "$opts_help") <(printf '%s\n' "$opts_man") \
	| grep -vxF -f <(printf '%s\n' "$extra_ok" | sed '/^$/d'; echo '--never-an-option'))
expect_eq "every man page option is in --help" "$extra" ""

# --- configuration: every ini section and key is documented ------------------
ini=$SI_SRCDIR/conf/slash-infra.ini.example
text=$(man_text)
for sec in $(sed -n 's/^;*\[\([a-z]*\)[] ].*/\1/p' "$ini" | sort -u); do
	expect_contains "ini section [$sec] documented" "$text" "[$sec"
done
for key in $(sed -n 's/^;*\([a-z_][a-z_]*\) *=.*/\1/p' "$ini" | sort -u); do
	printf '%s\n' "$text" | grep -qE "^\.[A-Z]* *\"?$key\b|^$key\b"
	check "ini key $key documented" $?
done

# --- environment: every AWS_* and SLASH_INFRA_* name the code reads ----------
for v in $(cat "$SI_SRCDIR"/common/*.c "$SI_SRCDIR"/common/*/*.c | grep -oE '"(AWS|SLASH_INFRA)_[A-Z0-9_]*[A-Z0-9]"' \
	| tr -d '"' | sort -u); do
	expect_contains "environment variable $v documented" "$text" "$v"
done
for v in SLACK_SIGNING_SECRET AWS_ROLE_ AWS_REGION_ SLASH_INFRA_CONFIG; do
	expect_contains "environment variable $v documented" "$text" "$v"
done
