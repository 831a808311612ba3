#!/bin/sh
# kmigrated, async on, two cgroups A and B hot on node 1 at the same time:
# kmigrated serves both, and each cgroup's pgpromote_success (memory.stat)
# equals the pages that moved out of that cgroup's workload to node 0, as
# hotmem measures them with move_pages(2). A batch that mixed memcgs would
# charge one cgroup's promotions to the other.
. "$CGTIER_TOP/tests/vm/lib/common.sh"

KM=/sys/kernel/mm/kmigrated
HOTMEM=${HOTMEM:-$BIN/hotmem}
MIB_A=${MIB_A:-48}
MIB_B=${MIB_B:-96}
[ -d "$KM" ] || skip "kernel without kmigrated ($KM missing)"
awk '$1 == "memory" && $4 == 1 { f = 1 } END { exit !f }' /proc/cgroups ||
	skip "memory controller disabled (kmigrated-nomemcg covers that case)"
[ -x "$HOTMEM" ] || fail "no hotmem at $HOTMEM (make vm-tools)"
V=/proc/vmstat

echo 1 >$KM/enabled || fail "cannot enable kmigrated"
cg_create kmig_a
cg_create kmig_b
numab_tiering_fast
start=/tmp/kmigrated-cgroups.start
rm -f $start
pa0=$(stat_get "$CG/kmig_a/memory.stat" pgpromote_success) || exit 1
pb0=$(stat_get "$CG/kmig_b/memory.stat" pgpromote_success) || exit 1
k0=$(stat_get $V kmigrated_promoted) || exit 1
b0=$(stat_get $V kmigrated_batches) || exit 1
"$HOTMEM" -s "$MIB_A" -t 60 -u 99 -c "$CG/kmig_a" -i 1000 -p $start >/tmp/kmig_a.out 2>&1 &
ja=$!
"$HOTMEM" -s "$MIB_B" -t 60 -u 99 -c "$CG/kmig_b" -i 1000 -p $start >/tmp/kmig_b.out 2>&1 &
jb=$!
# Both have their memory on node 1 before either starts touching it.
for i in $(seq 1 300); do
	[ "$(grep -c '^moved' /tmp/kmig_a.out /tmp/kmig_b.out | awk -F: '{ s += $2 } END { print s }')" = 2 ] && break
	sleep 0.2
done
touch $start
wait $ja; ra=$?
wait $jb; rb=$?
cat /tmp/kmig_a.out; echo; cat /tmp/kmig_b.out
[ $ra -eq 0 ] || fail "hotmem A exited $ra"
[ $rb -eq 0 ] || fail "hotmem B exited $rb"
sleep 1
numab_off
pa1=$(stat_get "$CG/kmig_a/memory.stat" pgpromote_success) || exit 1
pb1=$(stat_get "$CG/kmig_b/memory.stat" pgpromote_success) || exit 1
k1=$(stat_get $V kmigrated_promoted) || exit 1
b1=$(stat_get $V kmigrated_batches) || exit 1
na=$(field "$(grep '^final' /tmp/kmig_a.out)" node0)
nb=$(field "$(grep '^final' /tmp/kmig_b.out)" node0)
da=$((pa1 - pa0)) db=$((pb1 - pb0))
note "A: pages=$((MIB_A * 256)) moved-to-node0=$na pgpromote_success+=$da"
note "B: pages=$((MIB_B * 256)) moved-to-node0=$nb pgpromote_success+=$db"
note "kmigrated_promoted+=$((k1 - k0)) batches+=$((b1 - b0))"
[ "$na" -ge $((MIB_A * 256 * 90 / 100)) ] || fail "A: only $na pages promoted"
[ "$nb" -ge $((MIB_B * 256 * 90 / 100)) ] || fail "B: only $nb pages promoted"
within "$da" "$na" 2 || fail "A charged $da promotions for $na pages moved"
within "$db" "$nb" 2 || fail "B charged $db promotions for $nb pages moved"
# Both cgroups were served by kmigrated, not by the fault path.
within "$((k1 - k0))" "$((na + nb))" 2 || fail "kmigrated promoted $((k1 - k0)), workloads moved $((na + nb))"
echo "ok: A $da/$na, B $db/$nb promotions charged/moved, $((b1 - b0)) batches"
