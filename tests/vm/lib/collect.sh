#!/bin/bash
# Turn a finished guest run into results: per-test lines, KUnit cases from
# the console's KTAP, and a "N passed, N failed, N skipped" summary.
#
#   collect.sh OUTDIR QEMU_EXIT_STATUS
#
# Appends "PASS|FAIL|SKIP name" lines to $CGTIER_RESULTS when it is set.
# Exit 0 only when the guest printed CGTIER-VM-DONE and nothing failed.
set -uo pipefail
out=$1
qrc=$2
con=$out/console.log
res=$out/results
summary=$out/summary
: >"$summary"

# Console lines carry "[   12.345678] " when CONFIG_PRINTK_TIME is on.
strip() { sed -e 's/\r$//' -e 's/^\[ *[0-9]*\.[0-9]*\] //' "$con" 2>/dev/null; }

# Guest tests, as init.sh recorded them.
if [ -f "$res" ]; then
	while read -r r n t why; do
		echo "$r $n${t:+ ($t)}${why:+: $why}"
		echo "$r vm/$n" >>"$summary"
	done <"$res"
fi

# Every plan entry must have a result: a test that never reported ran
# into a crash or a hang and counts as failed.
while read -r n _; do
	[ -n "$n" ] || continue
	awk -v n="$n" '$2 == n { f = 1 } END { exit !f }' "$res" 2>/dev/null && continue
	echo "FAIL $n: no result (guest crashed or timed out during it)"
	echo "FAIL vm/$n" >>"$summary"
done <"$out/plan"

# KUnit: test cases sit one level deep ("    ok 3 case"), their suite at
# the top ("ok 1 suite"). A suite reported "not ok" without a failing
# case (init failure) counts as one failure of its own.
strip | awk -v summary="$summary" '
	/^    # Subtest: / { suite = $3; failed_in_suite = 0; next }
	/^    (not )?ok [0-9]+ / {
		notok = ($1 == "not")
		nm = notok ? $4 : $3
		st = notok ? "FAIL" : "PASS"
		if ($0 ~ /# SKIP/) st = "SKIP"
		if (st == "FAIL") failed_in_suite = 1
		printf "%s kunit/%s.%s\n", st, suite, nm
		print st " kunit/" suite "." nm >> summary
		next
	}
	/^(not )?ok [0-9]+ / {
		if ($1 == "not" && !failed_in_suite) {
			printf "FAIL kunit/%s (suite)\n", $4
			print "FAIL kunit/" $4 >> summary
		}
		failed_in_suite = 0
	}'

done_marker=0
grep -q '^CGTIER-VM-DONE' <(strip) && done_marker=1
if [ "$done_marker" = 0 ]; then
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		why="timed out"
	else
		why="qemu exit $qrc"
	fi
	echo "FAIL vm-boot: guest never printed its completion marker ($why)"
	# The first report's head names the bug; the tail shows where the
	# guest stopped. Both, since a CI log may be all there is.
	first=$(grep -n -m1 -E 'BUG:|WARNING:|Oops|Kernel panic|general protection|watchdog:|INFO: |UBSAN:|KASAN:|kernel BUG' \
		"$con" 2>/dev/null | cut -d: -f1)
	if [ -n "$first" ]; then
		echo "  first kernel report (console line $first):"
		sed -n "$((first > 3 ? first - 3 : 1)),$((first + 30))p" "$con" | sed 's/^/  | /'
	fi
	echo "  console tail:"
	tail -n 40 "$con" 2>/dev/null | sed 's/^/  | /'
	tail -n 5 "$out/qemu.log" 2>/dev/null | sed 's/^/  qemu| /'
	echo "FAIL vm/boot" >>"$summary"
fi

[ -n "${CGTIER_RESULTS:-}" ] && cat "$summary" >>"$CGTIER_RESULTS"
p=$(grep -c '^PASS' "$summary")
f=$(grep -c '^FAIL' "$summary")
s=$(grep -c '^SKIP' "$summary")
echo "vm: $p passed, $f failed, $s skipped (logs: $out)"
[ "$f" -eq 0 ] && [ "$done_marker" = 1 ]
