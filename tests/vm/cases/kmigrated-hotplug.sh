#!/bin/sh
# kmigrated-hotplug: kmigrated follows memory hotplug. Booted with node 1's
# memory as an ACPI DIMM left offline (VM_NODE1_DIMM=1,
# memhp_default_state=offline), node 1 has no memory and no kmigrated1.
# Onlining its blocks (movable) must start kmigrated1, which then promotes
# a hot workload's pages; offlining them all while candidates are queued
# (held back by memory.promotion.max 0) must stop it and drop what was
# queued, without a splat or a leak; onlining them again must bring it
# back, promoting. An earlier version started threads at boot only: CXL
# memory onlined later stayed synchronous, and a node that lost its memory
# kept its thread and queues.
. "$CGTIER_TOP/tests/vm/lib/common.sh"
. "$CGTIER_TOP/tests/vm/lib/hotplug.sh"

KM=/sys/kernel/mm/kmigrated
HOTMEM=${HOTMEM:-$BIN/hotmem}
MIB=${MIB:-32} SECS=${SECS:-10}
need_kmigrated
[ -x "$HOTMEM" ] || fail "no hotmem at $HOTMEM (make vm-tools)"
[ -d /sys/devices/system/memory ] || skip "kernel without memory hotplug"
ls -d $N1/memory[0-9]* >/dev/null 2>&1 ||
	skip "node 1 has no memory blocks (boot with VM_NODE1_DIMM=1)"
pages=$((MIB * 256))
cleanup() { kill_jobs; numab_off; cg_cleanup; }
trap cleanup EXIT

thread() { pgrep -x kmigrated1 >/dev/null; }
V() { stat_get /proc/vmstat "$1" || exit 1; }

# promote_round NAME: run hotmem on node 1 in cgroup NAME, require most
# of it promoted, all by kmigrated.
promote_round() {
	cg_create "$1"
	k0=$(V kmigrated_promoted)
	out=$("$HOTMEM" -s "$MIB" -t "$SECS" -c "$CG/$1" -i 500) || fail "hotmem: $out"
	sleep 1
	k1=$(V kmigrated_promoted)
	n0=$(field "$(echo "$out" | grep '^final')" node0)
	note "$1: $(grep -E 'candidates|promoted|dropped_offline' $CG/$1/memory.promotion.stat | tr '\n' ' ')" \
		"on node 0: $n0 of $pages, kmigrated_promoted +$((k1 - k0))"
	[ "$n0" -ge $((pages * 8 / 10)) ] || fail "$1: only $n0 of $pages pages promoted"
	[ $((k1 - k0)) -ge $((pages / 2)) ] ||
		fail "$1: kmigrated promoted $((k1 - k0)) of $pages pages: promotion stayed synchronous"
}

echo 1 >$KM/enabled || fail "cannot enable kmigrated"
numab_tiering_fast
nb=$(blocks | wc -l)
note "node 1: $nb memory blocks, states: $(cat $(blocks | sed 's|$|/state|') | sort | uniq -c | tr '\n' ' ')"
if has_memory; then
	note "node 1 has memory at boot (memhp_default_state=offline not given?): offlining it first"
	set_blocks offline
	sleep 1
fi
has_memory && fail "node 1 still has memory with all its blocks offline"
thread && fail "kmigrated1 runs while node 1 has no memory"

# 1. Memory comes: kmigrated1 starts and promotes.
set_blocks online_movable
has_memory || fail "node 1 has no memory after onlining its blocks"
thread || fail "no kmigrated1 after node 1's memory came online: promotion stays synchronous"
promote_round kmhp_a

# 2. Memory goes with candidates queued: kmigrated1 stops, they are dropped.
cg_create kmhp_b
# Limit 0: kmigrated files the candidates but takes none out, so they are
# still queued when the node goes (with a limit above 0 it would drop them
# as stale while offlining moves their pages away).
echo 0 >$CG/kmhp_b/memory.promotion.max || fail "cannot set memory.promotion.max"
held_start kmigrated-hotplug "$HOTMEM" -s "$MIB" -t 300 -c "$CG/kmhp_b" -i 1000
stat_until kmhp_b queued 1000
q=$(stat_get $CG/kmhp_b/memory.promotion.stat queued) || exit 1
d0=$(V kmigrated_dropped_offline)
set_blocks offline
sleep 1
has_memory && fail "node 1 still has memory with all its blocks offline"
thread && fail "kmigrated1 still runs after node 1 lost all its memory"
d1=$(V kmigrated_dropped_offline)
note "kmhp_b after offline: $(tr '\n' ' ' <$CG/kmhp_b/memory.promotion.stat)"
[ "$(stat_get $CG/kmhp_b/memory.promotion.stat queued)" -eq 0 ] ||
	fail "candidates still queued for a node without memory"
o=$(stat_get $CG/kmhp_b/memory.promotion.stat dropped_offline) || exit 1
[ "$o" -ge "$q" ] && [ $((d1 - d0)) -gt 0 ] ||
	fail "$q candidates were queued, $o counted as dropped_offline (vmstat +$((d1 - d0)))"
kill_jobs
jobs_=
cg_remove $CG/kmhp_b

# 3. Memory comes back: so does kmigrated1, and it promotes again.
set_blocks online_movable
thread || fail "no kmigrated1 after node 1's memory came back"
promote_round kmhp_c

numab_off
if dmesg | grep -E "BUG:|WARNING:|circular locking|possible recursive locking|KASAN"; then
	fail "kernel splat during the hotplug cycles (see above)"
fi
kmemleak_check kmigrated
echo "ok: kmigrated1 started when node 1's memory came, stopped when it went ($((d1 - d0)) queued candidates dropped), came back and promoted"
