#!/bin/sh
# kmigrated-home: each kmigrated thread runs on the CPUs of the top-tier
# node nearest to the node it serves ("home"), where its batches land,
# and the administrator may still move it. Needs two top-tier nodes with
# CPUs of their own (VM_TOP2_MB: two sockets, one node each, and a
# CPU-less lower-tier node nearer to the first), so that "the home node's
# CPUs" is not "every CPU", as it is on the usual bed. An
# earlier version created the threads on the lower-tier node without an
# affinity: the scheduler ran them anywhere, and their batches were
# allocated on the slow node. It also promotes a workload faulting on
# the other top-tier node's CPUs, so its target node is not the thread's
# home.
. "$CGTIER_TOP/tests/vm/lib/common.sh"

KM=/sys/kernel/mm/kmigrated
HOTMEM=${HOTMEM:-$BIN/hotmem}
MIB=${MIB:-16} SECS=${SECS:-10}
ND=/sys/devices/system/node
need_kmigrated
[ -x "$HOTMEM" ] || fail "no hotmem at $HOTMEM (make vm-tools)"
[ -d $ND/node2 ] || skip "only two nodes (boot with VM_TOP2_MB=N)"
cleanup() { numab_off; cg_cleanup; }
trap cleanup EXIT

cpus() { cat $ND/node"$1"/cpulist; }

# The bed, whatever node IDs the guest gave it (ACPI numbers the nodes
# with CPUs first): one CPU-less node L in a lower tier, two nodes with
# CPUs in the top tier; H, the one nearer to L, is where L's thread
# belongs, O is the other.
L='' tops='' top_tier=''
for n in 0 1 2; do
	t=$(tier_of $n) || fail "bed: node $n is in no memory tier"
	note "node $n: CPUs '$(cpus $n)', memory_tier$t, distances $(cat $ND/node$n/distance)"
	if [ -z "$(cpus $n)" ]; then
		L=$n lt=$t
	else
		tops="$tops $n"
		[ -z "$top_tier" ] || [ "$top_tier" = "$t" ] || fail "bed: the nodes with CPUs are in two tiers"
		top_tier=$t
	fi
done
[ -n "$L" ] && [ "$(echo $tops | wc -w)" = 2 ] || skip "not the VM_TOP2_MB bed: no CPU-less node, or not two with CPUs"
[ "$lt" -gt "$top_tier" ] ||
	fail "bed: node $L ($lt) is not below the nodes with CPUs ($top_tier)"
set -- $tops
d() { awk -v i="$(($2 + 1))" '{ print $i }' $ND/node"$1"/distance; }
if [ "$(d "$L" "$1")" -lt "$(d "$L" "$2")" ]; then H=$1 O=$2; else H=$2 O=$1; fi
[ "$(d "$L" "$H")" -lt "$(d "$L" "$O")" ] || fail "bed: node $L is as near to node $1 as to node $2"
note "lower tier: node $L; its nearest top-tier node: $H (CPUs $(cpus $H)); the other: $O (CPUs $(cpus $O))"
for n in $tops; do
	pgrep -x "kmigrated$n" >/dev/null && fail "kmigrated$n runs for a top-tier node"
done

pid=$(pgrep -x "kmigrated$L") || fail "no kmigrated$L"
allowed() { sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$pid/status"; }
a=$(allowed)
note "kmigrated$L (pid $pid): Cpus_allowed_list $a"
[ "$a" = "$(cpus $H)" ] ||
	fail "kmigrated$L may run on CPUs $a, not only on those of node $H ($(cpus $H)), the top-tier node nearest to node $L"

# Not bound for good (kthread_bind_mask() would forbid this): the
# administrator can widen or move it, and put it back.
taskset -pc "$(cpus $H),$(cpus $O)" "$pid" >/dev/null ||
	fail "kmigrated$L's affinity cannot be changed by the administrator"
a2=$(allowed)
taskset -pc "$(cpus $H)" "$pid" >/dev/null || fail "cannot restore kmigrated$L's affinity"
note "kmigrated$L's affinity can be changed: $a2, then back to $(allowed)"

# It promotes a workload that faults on node O's CPUs, to node O (the
# faulting CPU's node), from node H's CPUs.
echo 1 >$KM/enabled || fail "cannot enable kmigrated"
numab_tiering_fast
cg_create kmhome >/dev/null
k0=$(stat_get /proc/vmstat kmigrated_promoted) || exit 1
out=$(taskset -c "$(cpus $O)" "$HOTMEM" -n "$L" -s "$MIB" -t "$SECS" -c "$CG/kmhome" -i 500) ||
	fail "hotmem: $out"
sleep 1
k1=$(stat_get /proc/vmstat kmigrated_promoted) || exit 1
fin=$(echo "$out" | grep '^final')
# hotmem counts node0, node1 and other: with three nodes, "other" is node 2.
on() { case $1 in 0|1) field "$fin" "node$1" ;; *) field "$fin" other ;; esac; }
last=$(awk '{ print $39 }' "/proc/$pid/stat")
pages=$((MIB * 256))
note "hotmem on CPUs $(cpus $O): $fin; kmigrated_promoted +$((k1 - k0)); kmigrated$L last ran on CPU $last"
[ "$(on "$O")" -ge $((pages * 8 / 10)) ] ||
	fail "only $(on "$O") of $pages pages reached node $O (node $L still holds $(on "$L"))"
[ $((k1 - k0)) -ge $((pages / 2)) ] ||
	fail "kmigrated promoted $((k1 - k0)) of $pages pages: promotion stayed synchronous"
[ "$(allowed)" = "$(cpus $H)" ] || fail "kmigrated$L's affinity changed to $(allowed) while it promoted"
echo "ok: kmigrated$L runs on node $H's CPUs ($(cpus $H)), can be moved, and promoted $((k1 - k0)) pages to node $O"
