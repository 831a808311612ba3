#!/bin/sh
# The guest has two memory tiers: node 0 (DRAM, CPUs) above CPU-less node 1.
. "$CGTIER_TOP/tests/vm/lib/common.sh"

mt=/sys/devices/virtual/memory_tiering
[ -d "$mt" ] || fail "$mt missing"
for t in "$mt"/memory_tier*; do note "$(basename "$t"): nodes $(cat "$t/nodelist")"; done
t0=$(tier_of 0) || fail "node 0 in no tier"
t1=$(tier_of 1) || fail "node 1 in no tier"
note "node 0 in tier $t0, node 1 in tier $t1"
# A higher tier id means a slower tier (larger abstract distance).
[ "$t0" -lt "$t1" ] || fail "node 1 (tier $t1) is not below node 0 (tier $t0)"
grep -q . /sys/devices/system/node/node1/cpulist && fail "node 1 has CPUs"
echo "ok: node 1 is a CPU-less lower tier"
