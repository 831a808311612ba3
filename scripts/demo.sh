#!/bin/bash
# make demo: build what is missing, boot the two-tier VM with the cgtier
# kernel and show, live, how pages of two "containers" are promoted from the
# slow tier to the fast one. The full log is kept under build/vm/demo/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
echo "demo: building the kernel (first time ~10 min on 2 cores, then incremental)"
scripts/kernel-build.sh
make -s vm-tools
out=$top/build/vm/demo
plan=$top/build/demo.plan
echo "demo $top/tests/vm/demo/guest-demo.sh" >"$plan"
rm -rf "$out"
mkdir -p "$out"
echo "demo: booting the VM (software emulation: ~20 s to start)"
VM_APPEND="quiet" tests/vm/run-vm.sh -n demo -t 600 "$plan" >"$top/build/demo-run.log" 2>&1 &
vm=$!
# Show the guest's narration live as the console file grows.
while [ ! -f "$out/console.log" ]; do sleep 0.2; done
tail -n +1 -f "$out/console.log" --pid=$vm | sed -n 's/^demo| \{0,1\}//p'
rc=0
wait $vm || rc=$?
cat "$top/build/demo-run.log" | grep -v '^run-vm' || true
sed -n 's/^demo| \{0,1\}//p' "$out/console.log" >"$out/demo.txt"
echo "demo: narration saved in $out/demo.txt, console in $out/console.log"
exit $rc
