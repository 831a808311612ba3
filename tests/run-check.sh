#!/bin/sh
# Run Check test binaries and sum their results.
#
# Usage: run-check.sh TEST_BINARY...
# Each binary runs with CK_FORK=yes (Check's default, stated so that nobody
# turns it off: sd-event/sd-bus objects must not be shared across the fork).
# Per-suite Check output is kept; a binary that crashes before printing its
# "Checks: N, Failures: F, Errors: E" line counts as one failure. Results are
# appended to $CGTIER_RESULTS (one "PASS|FAIL name" line each) when it is set.
# The last line is "N passed, N failed".
set -u
passed=0
failed=0
for t in "$@"; do
	name=$(basename "$t")
	out=$(CK_FORK=yes "$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' | tail -n 1)
	if [ -z "$line" ]; then
		echo "$name: no Check summary (exit $rc): counted as failed"
		failed=$((failed + 1))
		[ -n "${CGTIER_RESULTS:-}" ] && echo "FAIL unit/$name" >>"$CGTIER_RESULTS"
		continue
	fi
	n=${line%% *}
	e=${line##* }
	f=${line#* }
	f=${f% *}
	bad=$((f + e))
	[ "$rc" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
	passed=$((passed + n - f - e))
	failed=$((failed + bad))
	if [ -n "${CGTIER_RESULTS:-}" ]; then
		i=0
		while [ "$i" -lt $((n - f - e)) ]; do
			echo "PASS unit/$name" >>"$CGTIER_RESULTS"
			i=$((i + 1))
		done
		i=0
		while [ "$i" -lt "$bad" ]; do
			echo "FAIL unit/$name" >>"$CGTIER_RESULTS"
			i=$((i + 1))
		done
	fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
