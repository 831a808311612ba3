#!/bin/bash
# Benchmark: how long the test bed takes to boot the cgtier kernel to the
# first test and power off again (an empty plan), median of N boots.
#   bench/vm-boot.sh [N]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-3}
plan=$top/build/bench/boot.plan
mkdir -p "$top/build/bench"
echo "noop /bin/true" >"$plan"
times=()
for i in $(seq "$n"); do
	t0=$(date +%s.%N)
	CGTIER_RESULTS= "$top/tests/vm/run-vm.sh" -n bench-boot -t 300 "$plan" >/dev/null 2>&1 ||
		{ echo "vm-boot: boot $i failed (build/vm/bench-boot)" >&2; exit 1; }
	t1=$(date +%s.%N)
	times+=("$(echo "$t1 - $t0" | bc)")
done
printf '%s\n' "${times[@]}" | sort -n >"$top/build/bench/boot-times"
med=$(awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }' "$top/build/bench/boot-times")
echo "vm-boot: boot+poweroff median ${med}s over $n boots (min $(head -1 "$top/build/bench/boot-times")s, max $(tail -1 "$top/build/bench/boot-times")s)"
