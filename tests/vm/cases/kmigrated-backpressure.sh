#!/bin/sh
# kmigrated-backpressure: a CPU that stages candidates faster than its
# filing work gets to run makes its faulting tasks wait; no candidate is
# lost for a full staging buffer.
# The filing work of a CPU is a work item on the high-priority workqueue:
# once woken it still waits for the scheduler, at least for the rest of
# the slice of the task that is faulting. Here that slice is made long
# (the scheduler's base_slice_ns, SLICE_MS, default 100 ms) while NCG (16)
# hotmem workloads of MIB/NCG MiB each, in as many cgroups, take the hint
# faults of one NUMA scan over all their memory at once (hotmem -S), more
# workloads than the two vCPUs run at once. A 1,024-entry staging buffer
# fills long before its work runs. Before the fix the fault dropped the
# candidates that did not fit (counted in dropped_overflow, about 8 % of a
# 512 MiB burst on the benchmark kernel with the default slice); now such
# a fault is left unresolved, the task sleeps a tick and takes it again,
# and memory.promotion.stat counts the pages in "waited". Since patch
# 0028 the task that staged a chunk files the buffer itself, so a buffer
# fills only while that task is preempted before it gets back to user
# space (here, at the end of a 100 ms slice): far fewer faults wait (4
# pages in a run on 2026-12-07), and a run where none does fails below as
# proving nothing. The queues have
# room for every candidate, so nothing may be dropped for overflow, and
# the faults must have waited (or the test did not fill a buffer).
. "$CGTIER_TOP/tests/vm/lib/common.sh"

KM=/sys/kernel/mm/kmigrated
SLICE=/sys/kernel/debug/sched/base_slice_ns
NCG=${NCG:-16} MIB=${MIB:-128} SLICE_MS=${SLICE_MS:-100} SECS=${SECS:-20}
need_kmigrated
[ -x "$BIN/hotmem" ] || fail "no hotmem in $BIN (make vm-tools)"
[ -w "$SLICE" ] || skip "no $SLICE (CONFIG_SCHED_DEBUG, debugfs)"
slice0=$(cat $SLICE)
cleanup() {
	echo "$slice0" >$SLICE
	kill_jobs
	numab_off
	cg_cleanup
}
trap cleanup EXIT

echo 1 >$KM/enabled || fail "cannot enable kmigrated"
burst_start kmbp "$NCG" "$MIB" "$SECS"
numab_tiering_fast
echo $((SLICE_MS * 1000000)) >$SLICE || fail "cannot set $SLICE"
o0=$(stat_get /proc/vmstat kmigrated_dropped_overflow) || exit 1
touch /tmp/kmbp.start
burst_wait kmbp
o1=$(stat_get /proc/vmstat kmigrated_dropped_overflow) || exit 1
echo "$slice0" >$SLICE
numab_off
st=memory.promotion.stat
c=$(cg_sum kmbp "$NCG" $st candidates) &&
	o=$(cg_sum kmbp "$NCG" $st dropped_overflow) &&
	p=$(cg_sum kmbp "$NCG" $st promoted) || exit 1
note "$NCG workloads, $MIB MiB, slice $SLICE_MS ms: $c candidates, $o pages dropped for overflow (vmstat +$((o1 - o0))), $p promoted"
[ "$c" -ge $((MIB * 256 / 2)) ] || fail "only $c candidates: the scanner hardly looked"
[ "$o" = 0 ] && [ "$o1" = "$o0" ] ||
	fail "$o of $c candidates dropped for overflow (vmstat +$((o1 - o0))) with $SLICE_MS ms slices"
w=$(cg_sum kmbp "$NCG" $st waited) || exit 1
note "$w pages waited for their CPU's staging buffer"
[ "$w" -gt 0 ] || fail "no fault waited: no staging buffer filled, the test proved nothing"
kmemleak_check kmigrated
echo "ok: 0 of $c candidates dropped for overflow with $SLICE_MS ms slices, $w pages waited, $p promoted"
