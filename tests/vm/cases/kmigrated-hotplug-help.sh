#!/bin/sh
# kmigrated-hotplug-help: a lower-tier node's memory goes away while the
# tasks of a memcg help its starved thread (patch 0027). Stopping the
# node waits for the helpers (SRCU) before its queues and the node are
# freed, and the filing work and the thread are gone before the queues
# are: offlining node 1 under a workload that helps must stop kmigrated1,
# leave nothing queued, every candidate accounted for once, the workload
# running, and no splat or leak. Onlined again, node 1 gets its thread
# back. Same boot as kmigrated-hotplug (VM_NODE1_DIMM=1,
# memhp_default_state=offline): runs after it, node 1 online or not.
. "$CGTIER_TOP/tests/vm/lib/common.sh"
. "$CGTIER_TOP/tests/vm/lib/hotplug.sh"

KM=/sys/kernel/mm/kmigrated
HOTMEM=${HOTMEM:-$BIN/hotmem}
MIB=${MIB:-64}
need_kmigrated
[ -x "$HOTMEM" ] || fail "no hotmem at $HOTMEM (make vm-tools)"
[ -d /sys/devices/system/memory ] || skip "kernel without memory hotplug"
ls -d $N1/memory[0-9]* >/dev/null 2>&1 ||
	skip "node 1 has no memory blocks (boot with VM_NODE1_DIMM=1)"
command -v chrt >/dev/null && command -v taskset >/dev/null ||
	fail "no chrt/taskset (util-linux) in the guest"
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs, the guest has $(nproc)"
help0=$(cat $KM/help_pages) || fail "no $KM/help_pages: a kernel without the help path"
hog=
cleanup() {
	[ -n "$hog" ] && kill "$hog" 2>/dev/null
	kill_jobs
	echo "$help0" >$KM/help_pages
	numab_off
	cg_cleanup
}
trap cleanup EXIT

thread() { pgrep -x kmigrated1; }
st() { stat_get "$CG/khh/memory.promotion.stat" "$1" || exit 1; }

echo 1 >$KM/enabled || fail "cannot enable kmigrated"
echo 512 >$KM/help_pages || fail "cannot set help_pages"
numab_tiering_fast
set_blocks online_movable
has_memory || fail "node 1 has no memory after onlining its blocks"
kpid=$(thread) || fail "no kmigrated1 with node 1 online"

# The thread starved as in kmigrated-help.sh: SCHED_IDLE on CPU 1 beside
# a busy loop; the workload faults on CPU 0 and promotes for itself.
taskset -pc 1 "$kpid" >/dev/null || fail "cannot move kmigrated1 to CPU 1"
chrt -i -p 0 "$kpid" || fail "cannot make kmigrated1 SCHED_IDLE"
taskset -c 1 sh -c 'while :; do :; done' &
hog=$!

cg_create khh >/dev/null
held_start kmigrated-hotplug-help taskset -c 0 "$HOTMEM" -s "$MIB" -n 1 -t 300 \
	-c "$CG/khh" -i 1000
stat_until khh helped 2048
h0=$(st helped)
note "before offlining: $(tr '\n' ' ' <$CG/khh/memory.promotion.stat)"

# Node 1's memory goes while the workload helps (what is left of its
# pages there is migrated away by the offlining, under its feet).
set_blocks offline
sleep 1
has_memory && fail "node 1 still has memory with all its blocks offline"
thread >/dev/null && fail "kmigrated1 still runs after node 1 lost all its memory"
kill -0 "$bgpid" 2>/dev/null || fail "the workload died: $(tail -3 /tmp/kmigrated-hotplug-help.log)"
h1=$(st helped)
note "after offlining: $(tr '\n' ' ' <$CG/khh/memory.promotion.stat)"
[ "$(st queued)" -eq 0 ] || fail "candidates still queued for a node without memory"
# Every candidate accounted for once (Documentation/admin-guide/cgroup-v2.rst)
c=$(st candidates) sum=0
for k in queued promoted dropped_overflow dropped_nomem dropped_stale dropped_offline \
	failed_isolate failed_migrate; do
	sum=$((sum + $(st $k)))
done
[ "$sum" -eq "$c" ] || fail "$c candidates, but the outcomes add up to $sum"
kill_jobs

# Back: node 1 gets its thread again.
[ -n "$hog" ] && kill "$hog" 2>/dev/null
hog=
set_blocks online_movable
thread >/dev/null || fail "no kmigrated1 after node 1's memory came back"

numab_off
if dmesg | grep -E "BUG:|WARNING:|circular locking|possible recursive locking|KASAN|suspicious RCU"; then
	fail "kernel splat while node 1 went away under helping tasks (see above)"
fi
kmemleak_check kmigrated
echo "ok: node 1 offlined while its memcg's tasks helped ($h0 pages helped before, $h1 after): kmigrated1 stopped, nothing queued, $c candidates accounted, no splat or leak; onlined again, its thread is back"
