#!/bin/sh
# kmigrated-file-task: the faulting tasks file their CPU's staged
# candidates themselves; the filing work (a kworker) is the backstop for
# what no task files, and every candidate still reaches its queue.
# A kworker woken to file each chunk of 64 staged candidates preempts the
# faulting task and is switched out again: two context switches per 64
# pages, most of what kmigrated added to the fault path (bench/
# kmigrated.sh PROFILE=2: 2,058 filing-work runs for 131,087 pages at 1
# cgroup). Since patch 0028 the task whose fault staged the 64th
# candidate files the buffer on its way back to user space, and a task
# that emptied it cancels the batching delay's work. Here NCG (2)
# hotmem workloads of MIB/NCG MiB take one NUMA scan's hint faults over
# all their memory (hotmem -S); the workqueue_execute_start trace event
# counts the runs of kmigrated_file_workfn. The batching delay
# (batch_delay_ms) is set to a second for the burst, so that the work's
# delayed runs do not hide what files the chunks: in this test bed's
# faults, 64 candidates take about as long as the default 10 ms delay.
# Before the change the work ran about once per 64 candidates (seen on
# the kernel without patch 0028: 231 runs for 257 chunks); now at most
# one run per 8 chunks may remain (the delay's backstop at the burst's end, the 256-candidate
# kick for a task preempted in its fault). No candidate may
# be lost: every one is promoted, dropped or failed, nothing stays
# queued, and nothing may be dropped for overflow (the queues have room).
. "$CGTIER_TOP/tests/vm/lib/common.sh"

KM=/sys/kernel/mm/kmigrated
TR=/sys/kernel/debug/tracing
EV=$TR/events/workqueue/workqueue_execute_start
NCG=${NCG:-2} MIB=${MIB:-64} SECS=${SECS:-20}
need_kmigrated
[ -x "$BIN/hotmem" ] || fail "no hotmem in $BIN (make vm-tools)"
[ -w "$EV/enable" ] || skip "no $EV (CONFIG_EVENT_TRACING, debugfs)"
size0=$(cat $TR/buffer_size_kb) delay0=$(cat $KM/batch_delay_ms)
cleanup() {
	echo "$delay0" >$KM/batch_delay_ms
	echo 0 >"$EV/enable"
	echo "$size0" >$TR/buffer_size_kb
	kill_jobs
	numab_off
	cg_cleanup
}
trap cleanup EXIT

echo 1 >$KM/enabled || fail "cannot enable kmigrated"
echo 1000 >$KM/batch_delay_ms || fail "cannot set batch_delay_ms"
burst_start kmft "$NCG" "$MIB" "$SECS"
numab_tiering_fast
echo 8192 >$TR/buffer_size_kb || fail "cannot size the trace buffer"
echo >$TR/trace
echo 1 >"$EV/enable" || fail "cannot enable $EV"
touch /tmp/kmft.start
burst_wait kmft
numab_off
# What the last faults staged is filed a batching delay later, then promoted.
st=memory.promotion.stat
i=0
until [ "$(cg_sum kmft "$NCG" $st queued)" -eq 0 ]; do
	i=$((i + 1))
	[ $i -le 300 ] || break
	sleep 0.1
done
echo 0 >"$EV/enable"
grep -q 'LOST.*EVENTS' $TR/trace && fail "the trace buffer lost events: make it larger"
runs=$(grep -c 'function kmigrated_file_workfn$' $TR/trace) || runs=0
c=$(cg_sum kmft "$NCG" $st candidates) &&
	q=$(cg_sum kmft "$NCG" $st queued) &&
	p=$(cg_sum kmft "$NCG" $st promoted) &&
	o=$(cg_sum kmft "$NCG" $st dropped_overflow) || exit 1
sum=0
for k in queued promoted dropped_overflow dropped_nomem dropped_stale dropped_offline \
	failed_isolate failed_migrate; do
	sum=$((sum + $(cg_sum kmft "$NCG" $st $k))) || exit 1
done
chunks=$((c / 64))
note "$NCG workloads, $MIB MiB: $c candidates ($chunks chunks of 64), $p promoted, $q queued, $o dropped for overflow; the filing work ran $runs times"
[ "$c" -ge $((MIB * 256 / 2)) ] || fail "only $c candidates: the scanner hardly looked"
[ "$q" -eq 0 ] || fail "$q candidates still queued 30 s after the workloads ended"
[ "$sum" -eq "$c" ] || fail "$c candidates, but the outcomes add up to $sum"
[ "$o" -eq 0 ] || fail "$o pages dropped for overflow: the queues had room"
[ "$p" -ge $((c * 9 / 10)) ] || fail "only $p of $c candidates promoted"
[ $((runs * 8)) -le "$chunks" ] ||
	fail "the filing work ran $runs times for $chunks chunks: the faulting tasks did not file their own"
kmemleak_check kmigrated
echo "ok: $c candidates filed with $runs filing-work runs ($chunks chunks), $p promoted, nothing queued or lost"
