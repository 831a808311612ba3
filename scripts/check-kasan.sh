#!/bin/bash
# make check-kasan: build the KASAN kernel (scripts/kernel-build.sh --kasan,
# build/kernel-kasan) and run the copy-offload race tests on it
# (tests/vm/plans/kasan.plan), then, in a boot of its own with node 1's
# memory as a DIMM, the hotplug plan, which offlines a node while
# kmigrated's helpers promote from its queues (tests/vm/plans/hotplug.plan):
# a use-after-free or out-of-bounds access
# that the test kernel would survive silently is a KASAN report there,
# which the harness fails like any other splat. Not part of make check: a
# configuration of its own that ccache cannot share (a cold build takes
# about as long as the test kernel's first one). Prints the same closing
# line as make check.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export CGTIER_RESULTS=$top/build/results/kasan.txt
mkdir -p build/results
: >"$CGTIER_RESULTS"
ok=1
if ! scripts/kernel-build.sh --kasan; then
	echo "FAIL build/kernel-kasan" >>"$CGTIER_RESULTS"
	ok=0
elif ! make -s vm-tools; then
	echo "FAIL build/tools" >>"$CGTIER_RESULTS"
	ok=0
else
	# KASAN slows the guest down: give it twice the usual time.
	tests/vm/run-vm.sh -k build/kernel-kasan/bzImage -t 1800 -n kasan \
		tests/vm/plans/kasan.plan || ok=0
	VM_NODE1_DIMM=1 VM_APPEND=memhp_default_state=offline \
		tests/vm/run-vm.sh -k build/kernel-kasan/bzImage -t 1800 -n kasan-hotplug \
		tests/vm/plans/hotplug.plan || ok=0
fi
p=$(grep -c '^PASS' "$CGTIER_RESULTS")
f=$(grep -c '^FAIL' "$CGTIER_RESULTS")
s=$(grep -c '^SKIP' "$CGTIER_RESULTS")
[ "$ok" = 1 ] || [ "$f" -gt 0 ] || f=1
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
