#!/bin/sh
# smoke.sh TARGET SECONDS CORPUS_DIR: run one libFuzzer target for SECONDS
# on its seed corpus (CORPUS_DIR/<name without fuzz_>, if there is one) in
# a fresh work directory, then print its report in one piece (so reports of
# targets run side by side, `make fuzz-smoke FUZZ_JOBS=2`, do not
# interleave): the executed-units line, any ERROR/SUMMARY lines and, on a
# finding, the log's last 40 lines. Exit status: the fuzzer's.
t=$1 secs=$2 corpus=$3
name=${t##*/fuzz_}
work=$(mktemp -d) || exit 2
seeds=$corpus/$name
[ -d "$seeds" ] || seeds=
"./$t" -max_total_time="$secs" -print_final_stats=1 "$work" $seeds >"$work.log" 2>&1
rc=$?
report=$(printf '== %s (%s s)\n' "$t" "$secs"
	grep -E 'stat::number_of_executed_units|ERROR|SUMMARY' "$work.log"
	[ $rc -eq 0 ] || tail -n 40 "$work.log")
printf '%s\n' "$report"
rm -rf "$work" "$work.log"
exit $rc
