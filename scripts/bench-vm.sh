# shellcheck shell=bash
# Sourced by the benchmarks in bench/ that run in the test VM.
#
# bench_vm NAME CASE COMMAND...: build the test programs (make vm-tools),
# then boot the benchmark kernel once (the
# patched kernel without its debug checks, build/kernel-bench from
# scripts/kernel-build.sh --bench, which make bench runs; KERNEL=path
# overrides, e.g. build/kernel/bzImage for the test kernel) with a plan
# of one test, CASE, running COMMAND in the guest (tests/vm/run-vm.sh, as
# build/vm/bench-NAME; VM_* settings pass through from the caller's
# environment), then set bench_log to the guest log of CASE. If the boot
# reports a failure but CASE itself passed (a KUnit suite failed, say),
# the numbers still count and a note says so; otherwise the run's output
# is printed and the benchmark exits 1. If CASE skipped, its reason is
# printed and the benchmark exits 0.
#
# Sourcing it also sets top (the checkout) and out (build/bench, created)
# for the benchmark.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$top/build/bench
mkdir -p "$out"

bench_vm() {
	local name=$1 case=$2 plan run
	local kernel=${KERNEL:-$top/build/kernel-bench/bzImage}
	shift 2
	[ -e "$kernel" ] || {
		echo "$name: no kernel at $kernel: run scripts/kernel-build.sh --bench (make bench does)" >&2
		exit 1
	}
	echo "$name: kernel $kernel ($(cat "$(dirname "$kernel")/version" 2>/dev/null))"
	# The guest runs the test programs from the checkout (tests/bin):
	# build them here, as make bench does, so that a benchmark started on
	# its own does not fail in the guest for want of them.
	make -s -C "$top" vm-tools || { echo "$name: make vm-tools failed" >&2; exit 1; }
	plan=$out/$name.plan run=$out/$name.run
	echo "$case $*" >"$plan"
	if ! KERNEL=$kernel CGTIER_RESULTS='' "$top/tests/vm/run-vm.sh" -n "bench-$name" "$plan" >"$run" 2>&1; then
		cat "$run"
		grep -q "^PASS $case " "$top/build/vm/bench-$name/results" 2>/dev/null || exit 1
		echo "$name: the boot reported failures (above), the benchmark itself passed"
	fi
	bench_log=$top/build/vm/bench-$name/logs/$case.log
	if grep -q '^SKIP' "$bench_log"; then
		tail -n 1 "$bench_log"
		exit 0
	fi
}
