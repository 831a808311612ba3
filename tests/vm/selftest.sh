#!/bin/bash
# Tests of the VM harness itself, each a real boot:
#   1. a failing test, a skipped test and a failing KUnit case are counted
#      as such, and they make the run fail;
#   2. a guest that never prints its completion marker (here: a test that
#      hangs past the run's timeout) fails the run;
#   3. only a boot that died with an "Oops: int3" before init ran is
#      tried again (tcg_boot_flake, on made-up console logs).
# Records "PASS|FAIL harness/NAME" in $CGTIER_RESULTS.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/vm/selftest
mkdir -p "$out"
passed=0 failed=0

record() {
	echo "$1 harness/$2${3:+: $3}"
	[ -n "${CGTIER_RESULTS:-}" ] && echo "$1 harness/$2" >>"$CGTIER_RESULTS"
	if [ "$1" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

# expect LOG LINE: the harness printed exactly this result line.
expect() { grep -qxF "$2" "$1"; }

s=$top/tests/vm/selftest
cat >"$out/counting.plan" <<EOF2
pass $s/pass.sh
fail $s/fail.sh
skip $s/skip.sh
kunit $s/kunit.sh
EOF2
# Only the harness's own KUnit suite: the kernel's built-in suites would
# change the counts this test expects.
CGTIER_RESULTS= VM_APPEND="kunit.filter_glob=cgtier_harness" \
	"$top/tests/vm/run-vm.sh" -n selftest-counting -t 300 "$out/counting.plan" \
	>"$out/counting.log" 2>&1
rc=$?
log=$out/counting.log
if [ $rc -ne 0 ] &&
	expect "$log" "vm: 3 passed, 2 failed, 2 skipped (logs: $top/build/vm/selftest-counting)" &&
	grep -q '^FAIL fail (.*): exit 3$' "$log" &&
	grep -q '^SKIP skip ' "$log" &&
	expect "$log" "FAIL kunit/cgtier_harness.cgtier_harness_fails" &&
	expect "$log" "PASS kunit/cgtier_harness.cgtier_harness_passes" &&
	expect "$log" "SKIP kunit/cgtier_harness.cgtier_harness_skips"; then
	record PASS counts-failures-skips-and-kunit
else
	record FAIL counts-failures-skips-and-kunit "exit $rc; see $log"
	sed 's/^/  | /' "$log"
fi

echo "hang $s/hang.sh" >"$out/hang.plan"
CGTIER_RESULTS= VM_TIMEOUT=${HANG_TIMEOUT:-90} "$top/tests/vm/run-vm.sh" -n selftest-hang \
	"$out/hang.plan" >"$out/hang.log" 2>&1
rc=$?
log=$out/hang.log
if [ $rc -ne 0 ] && grep -q '^FAIL vm-boot: guest never printed its completion marker (timed out)' "$log" &&
	grep -q '^FAIL hang: no result' "$log"; then
	record PASS missing-marker-fails
else
	record FAIL missing-marker-fails "exit $rc; see $log"
	sed 's/^/  | /' "$log"
fi

# 3. The retry of a boot killed by multi-threaded TCG (no boot needed):
#    only an "Oops: int3" before init.sh ran counts.
# shellcheck source=tests/vm/lib/bootflake.sh
. "$top/tests/vm/lib/bootflake.sh"
printf '[ 1.7] sched_clock: Marking stable\n[ 1.75] Oops: int3: 0000 [#1] PREEMPT SMP\n' >"$out/flake.log"
printf '[ 2.0] cgtier-init: file systems mounted\n[ 9.1] Oops: int3: 0000 [#1] PREEMPT SMP\n' >"$out/late.log"
printf '[ 1.7] BUG: kernel NULL pointer dereference\n[ 1.8] Kernel panic - not syncing\n' >"$out/bug.log"
if tcg_boot_flake "$out/flake.log" && ! tcg_boot_flake "$out/late.log" &&
	! tcg_boot_flake "$out/bug.log" && ! tcg_boot_flake "$out/missing.log"; then
	record PASS boot-flake-retried-only-before-init
else
	record FAIL boot-flake-retried-only-before-init
fi

echo "harness: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
