#!/bin/bash
# make bench: run every benchmark and print its ratios. Benchmarks are the
# executables in bench/ (and policyd's own, when it has one); each prints
# one result a line. docs/BENCHMARKS.md records the numbers and commands.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# The test kernel (vm-boot.sh times the test bed) and the benchmark kernel
# (every other VM benchmark: scripts/bench-vm.sh).
scripts/kernel-build.sh >/dev/null
scripts/kernel-build.sh --bench >/dev/null
make -s vm-tools userspace
failed=0
for b in bench/*.sh; do
	echo "==== $b"
	"$b" || { echo "==== $b FAILED"; failed=1; }
done
if grep -q '^bench:' policyd/Makefile 2>/dev/null; then
	echo "==== policyd bench"
	make -s -C policyd bench || { echo "==== policyd bench FAILED"; failed=1; }
fi
exit $failed
