#!/bin/sh
# kmigrated: a cgroup is removed while candidates of it are still queued.
# kmigrated is held back (long batching delay and period, and a workload
# smaller than half a queue, which would wake the thread at once) so that
# candidates pile up; then the workload is killed and the cgroup removed. The queued
# candidates must be dropped at offline (kmigrated_dropped_offline), none may
# be served afterwards, and the kernel must stay quiet (the harness fails the
# test on any warning or lockdep report). With kmemleak=on the test also
# scans for leaks.
. "$CGTIER_TOP/tests/vm/lib/common.sh"

KM=/sys/kernel/mm/kmigrated
HOTMEM=${HOTMEM:-$BIN/hotmem}
SIZE=${SIZE:-128K}
[ -d "$KM" ] || skip "kernel without kmigrated ($KM missing)"
awk '$1 == "memory" && $4 == 1 { f = 1 } END { exit !f }' /proc/cgroups ||
	skip "memory controller disabled (kmigrated-nomemcg covers that case)"
[ -x "$HOTMEM" ] || fail "no hotmem at $HOTMEM (make vm-tools)"
V=/proc/vmstat
v() { stat_get $V "$1" || exit 1; }

# A queue starts with one page of slots (512) and wakes kmigrated at half
# of it: stay well below that. Every NUMA scan pass queues the workload's
# pages again (duplicates), and since hand-overs count as faults on the
# target node the scanner rescans every few tens of ms: a small workload
# (32 pages) and an early stop keep the queue under 256.
old_delay=$(cat $KM/batch_delay_ms) old_sleep=$(cat $KM/sleep_ms)
restore() {
	echo "$old_delay" >$KM/batch_delay_ms
	echo "$old_sleep" >$KM/sleep_ms
	numab_off
	cg_cleanup
}
trap restore EXIT
echo 1 >$KM/enabled || fail "cannot enable kmigrated"
# Let kmigrated finish what it has, then hold it back.
sleep 1
echo 10000 >$KM/batch_delay_ms || fail "batch_delay_ms"
echo 600000 >$KM/sleep_ms || fail "sleep_ms"
# The thread may be asleep with the old period: one more kick resets it.
sleep 1

c0=$(v kmigrated_candidates) i0=$(v kmigrated_isolated) s0=$(v kmigrated_dropped_stale)
f0=$(v kmigrated_isolate_failed) o0=$(v kmigrated_dropped_offline)

mkdir "$CG/kmig_gone" || fail "mkdir"
"$HOTMEM" -s "$SIZE" -t 60 -c "$CG/kmig_gone" -i 1000 >/tmp/kmig_gone.out 2>&1 &
job=$!
numab_tiering_fast
# Wait for candidates to be queued (kmigrated is not due for 10 s).
for i in $(seq 1 40); do
	[ $(($(v kmigrated_candidates) - c0)) -ge 16 ] && break
	sleep 0.1
done
# Stop the hint faults right away: rescans queue duplicates, and a queue
# that reaches half its capacity wakes kmigrated at once.
numab_off
queued=$(($(v kmigrated_candidates) - c0))
served=$(($(v kmigrated_isolated) - i0 + $(v kmigrated_dropped_stale) - s0 + $(v kmigrated_isolate_failed) - f0))
note "queued $queued candidates, served so far $served"
[ "$queued" -gt 0 ] || { cat /tmp/kmig_gone.out; fail "no candidate queued"; }
kill -9 $job; wait $job 2>/dev/null
c1=$(v kmigrated_candidates)
for i in $(seq 1 50); do rmdir "$CG/kmig_gone" 2>/dev/null && break; sleep 0.1; done
[ -d "$CG/kmig_gone" ] && fail "cannot remove the cgroup"
# Offline runs from a work item after rmdir.
for i in $(seq 1 50); do
	[ "$(v kmigrated_dropped_offline)" -gt "$o0" ] && break
	sleep 0.1
done
o1=$(v kmigrated_dropped_offline)
served=$(($(v kmigrated_isolated) - i0 + $(v kmigrated_dropped_stale) - s0 + $(v kmigrated_isolate_failed) - f0))
queued=$((c1 - c0))
note "queued=$queued served=$served dropped_offline=$((o1 - o0))"
[ $((o1 - o0)) -gt 0 ] || fail "nothing dropped at offline"
# Each queued candidate was either served before the removal or dropped.
[ $((served + o1 - o0)) -eq "$queued" ] ||
	fail "served $served + dropped $((o1 - o0)) != queued $queued"

# kmigrated still runs and serves others after the removal.
echo "$old_delay" >$KM/batch_delay_ms
echo "$old_sleep" >$KM/sleep_ms
cg_create kmig_after
trap restore EXIT
numab_tiering_fast
p0=$(v kmigrated_promoted)
out=$("$HOTMEM" -s 16 -t 30 -u 95 -c "$CG/kmig_after" -i 1000) || fail "hotmem: $out"
numab_off
[ $(($(v kmigrated_promoted) - p0)) -gt 0 ] || fail "kmigrated promoted nothing after the removal"
note "after removal: kmigrated_promoted+=$(($(v kmigrated_promoted) - p0))"

if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak; sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	leaks=$(grep -c 'unreferenced object' /sys/kernel/debug/kmemleak)
	km=$(grep -c 'kmigrated' /sys/kernel/debug/kmemleak)
	note "kmemleak: $leaks unreferenced objects, $km mention kmigrated"
	[ "$km" -eq 0 ] || { head -40 /sys/kernel/debug/kmemleak; fail "kmemleak: kmigrated leaks"; }
	# Forget them so that the harness does not blame the next test.
	echo clear >/sys/kernel/debug/kmemleak
else
	note "kmemleak not enabled (boot with kmemleak=on to scan for leaks)"
fi
echo "ok: $((o1 - o0)) queued candidates dropped at removal, no splat"
