#!/bin/sh
# kmigrated: a cgroup is removed while candidates of it are still queued.
# The cgroup's memory.promotion.max is 0, so that kmigrated files its
# candidates (the hint fault only stages them per CPU; the thread files
# them into the cgroup's queue within batch_delay_ms) but never serves
# them; then the workload is killed and the cgroup removed. The queued
# candidates must be dropped at offline (kmigrated_dropped_offline), none
# may be served, and the kernel must stay quiet (the harness fails the
# test on any warning or lockdep report). With kmemleak=on the test also
# scans for leaks. (An earlier version held kmigrated back with a long
# batching delay instead; since the thread serves what it files in the
# same wake-up, a limit is what keeps candidates queued.)
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

restore() {
	numab_off
	cg_cleanup
}
trap restore EXIT
echo 1 >$KM/enabled || fail "cannot enable kmigrated"
# Let kmigrated finish what it has.
sleep 1

c0=$(v kmigrated_candidates) i0=$(v kmigrated_isolated) s0=$(v kmigrated_dropped_stale)
f0=$(v kmigrated_isolate_failed) o0=$(v kmigrated_dropped_offline)

mkdir "$CG/kmig_gone" || fail "mkdir"
echo 0 >"$CG/kmig_gone/memory.promotion.max" || fail "cannot set memory.promotion.max"
"$HOTMEM" -s "$SIZE" -t 60 -c "$CG/kmig_gone" -i 1000 >/tmp/kmig_gone.out 2>&1 &
job=$!
numab_tiering_fast
# Wait for candidates to be filed into the cgroup's queue.
for _ in $(seq 1 100); do
	[ $(($(v kmigrated_candidates) - c0)) -ge 16 ] && break
	sleep 0.1
done
numab_off
sleep 1	# the last staged candidates filed
queued=$(($(v kmigrated_candidates) - c0))
served=$(($(v kmigrated_isolated) - i0 + $(v kmigrated_dropped_stale) - s0 + $(v kmigrated_isolate_failed) - f0))
note "queued $queued candidates, served so far $served"
[ "$queued" -gt 0 ] || { cat /tmp/kmig_gone.out; fail "no candidate queued"; }
kill -9 $job; wait $job 2>/dev/null
c1=$(v kmigrated_candidates)
for _ in $(seq 1 50); do rmdir "$CG/kmig_gone" 2>/dev/null && break; sleep 0.1; done
[ -d "$CG/kmig_gone" ] && fail "cannot remove the cgroup"
# Offline runs from a work item after rmdir.
for _ in $(seq 1 50); do
	[ "$(v kmigrated_dropped_offline)" -gt "$o0" ] && break
	sleep 0.1
done
o1=$(v kmigrated_dropped_offline)
served=$(($(v kmigrated_isolated) - i0 + $(v kmigrated_dropped_stale) - s0 + $(v kmigrated_isolate_failed) - f0))
queued=$((c1 - c0))
note "queued=$queued served=$served dropped_offline=$((o1 - o0))"
[ $((o1 - o0)) -gt 0 ] || fail "nothing dropped at offline"
[ "$served" -eq 0 ] || fail "$served candidates served under memory.promotion.max 0"
# Each queued candidate was either served before the removal or dropped.
[ $((served + o1 - o0)) -eq "$queued" ] ||
	fail "served $served + dropped $((o1 - o0)) != queued $queued"

# kmigrated still runs and serves others after the removal.
cg_create kmig_after
trap restore EXIT
numab_tiering_fast
p0=$(v kmigrated_promoted)
out=$("$HOTMEM" -s 16 -t 30 -u 95 -c "$CG/kmig_after" -i 1000) || fail "hotmem: $out"
numab_off
[ $(($(v kmigrated_promoted) - p0)) -gt 0 ] || fail "kmigrated promoted nothing after the removal"
note "after removal: kmigrated_promoted+=$(($(v kmigrated_promoted) - p0))"

kmemleak_check kmigrated
echo "ok: $((o1 - o0)) queued candidates dropped at removal, no splat"
