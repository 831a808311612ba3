#!/bin/sh
# kmigrated-report: a NUMA hint fault reports the access on the target
# node only for candidates kmigrated will promote. Under
# memory.promotion.max 1M, where almost every candidate waits for budget,
# the task's NUMA fault statistics (/proc/PID/sched) count few faults on
# node 0, not one per candidate (an earlier version reported every
# hand-over there, so the scanner saw promotions that were not
# happening, as if it promoted at full speed).
. "$CGTIER_TOP/tests/vm/lib/common.sh"

KM=/sys/kernel/mm/kmigrated
HOTMEM=${HOTMEM:-$BIN/hotmem}
MIB=${MIB:-32} SECS=${SECS:-15}
need_kmigrated
[ -x "$HOTMEM" ] || fail "no hotmem at $HOTMEM (make vm-tools)"
pages=$((MIB * 256))
cleanup() { numab_off; cg_cleanup; }
trap cleanup EXIT

echo 1 >$KM/enabled || fail "cannot enable kmigrated"
start=/tmp/kmigrated-report.start
log=/tmp/kmigrated-report.log
rm -f $start
cg_create kmrep
trap cleanup EXIT
echo "1M 1000000" >$CG/kmrep/memory.promotion.max || fail "cannot set memory.promotion.max"
start_bg "$log" moved "$HOTMEM" -s "$MIB" -t "$SECS" -c "$CG/kmrep" -i 1000 -S -p $start
numab_tiering_fast
touch $start
sleep $((SECS - 3))
sched=$(cat /proc/$bgpid/sched) || fail "hotmem exited early: $(cat "$log")"
wait $bgpid || fail "hotmem: $(cat "$log")"
numab_off
sleep 1
node0=$(echo "$sched" | awk '/^numa_faults node=0 / {
	for (i = 1; i <= NF; i++) if ($i ~ /^task_(private|shared)=/) { split($i, a, "="); s += a[2] } }
	END { print s + 0 }')
total=$(echo "$sched" | awk '$1 == "total_numa_faults" { print $3 }')
st=$(tr '\n' ' ' <$CG/kmrep/memory.promotion.stat)
c=$(stat_get $CG/kmrep/memory.promotion.stat candidates) || exit 1
p=$(stat_get $CG/kmrep/memory.promotion.stat promoted) || exit 1
note "$st"
note "/proc/PID/sched: numa_faults on node 0: $node0, total_numa_faults: ${total:-?}"
[ "$c" -ge $((pages / 2)) ] || fail "only $c candidates: the scanner hardly looked"
[ "$p" -le $((c / 4)) ] || fail "$p of $c candidates promoted: the limit did not hold them back"
# Faults are a decaying average over scan periods: at most twice what one
# period saw. Well under the candidates if only promotions are reported.
[ "$node0" -le $((pages / 8)) ] ||
	fail "$node0 faults reported on node 0 for $p pages promoted of $c candidates"
echo "ok: $node0 faults reported on node 0 for $p pages promoted of $c candidates"
