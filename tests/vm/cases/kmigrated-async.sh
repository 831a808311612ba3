#!/bin/sh
# kmigrated, async on: a hot workload on node 1 is promoted by kmigrated, not
# by the hint fault. Every page migrated while it runs is a kmigrated
# promotion (numa_pages_migrated rises exactly as kmigrated_promoted), the
# cgroup's pgpromote_success matches the pages that reached node 0, and the
# candidate accounting identity holds. Then the same with enabled=0: upstream
# synchronous promotion, kmigrated_promoted does not move.
. "$CGTIER_TOP/tests/vm/lib/common.sh"

KM=/sys/kernel/mm/kmigrated
HOTMEM=${HOTMEM:-$BIN/hotmem}
MIB=${MIB:-64}
[ -d "$KM" ] || skip "kernel without kmigrated ($KM missing)"
awk '$1 == "memory" && $4 == 1 { f = 1 } END { exit !f }' /proc/cgroups ||
	skip "memory controller disabled (kmigrated-nomemcg covers that case)"
[ -x "$HOTMEM" ] || fail "no hotmem at $HOTMEM (make vm-tools)"
V=/proc/vmstat
pages=$((MIB * 256))

snap() { # snap PREFIX: save vmstat counters as shell variables PREFIX_name
	for k in kmigrated_candidates kmigrated_dropped_overflow kmigrated_dropped_nomem \
		kmigrated_dropped_offline kmigrated_dropped_stale kmigrated_isolate_failed \
		kmigrated_isolated kmigrated_batches kmigrated_promoted \
		numa_pages_migrated pgpromote_success; do
		v=$(stat_get $V $k) || exit 1
		eval "$1_$k=$v"
	done
}
d() { eval "echo \$((\$b_$1 - \$a_$1))"; }

pgrep -x "kmigrated1" >/dev/null || fail "no kmigrated1 thread"

# --- async ---
echo 1 >$KM/enabled || fail "cannot enable kmigrated"
[ "$(cat $KM/enabled)" = 1 ] || fail "enabled reads $(cat $KM/enabled)"
cg_create kmig_async
numab_tiering_fast
snap a
cb=$(stat_get "$CG/kmig_async/memory.stat" pgpromote_success) || exit 1
out=$("$HOTMEM" -s "$MIB" -t 40 -u 99 -c "$CG/kmig_async" -i 500) || fail "hotmem: $out"
echo "$out"
sleep 1	# let a batch in flight finish
numab_off
ca=$(stat_get "$CG/kmig_async/memory.stat" pgpromote_success) || exit 1
snap b
n0=$(field "$(echo "$out" | grep '^final')" node0)
note "async: pages=$pages on-node0=$n0 cg.pgpromote_success+=$((ca - cb))"
note "async: candidates+=$(d kmigrated_candidates) overflow+=$(d kmigrated_dropped_overflow)" \
	"nomem+=$(d kmigrated_dropped_nomem) stale+=$(d kmigrated_dropped_stale)" \
	"isolate_failed+=$(d kmigrated_isolate_failed) isolated+=$(d kmigrated_isolated)" \
	"offline+=$(d kmigrated_dropped_offline) batches+=$(d kmigrated_batches)" \
	"promoted+=$(d kmigrated_promoted) numa_pages_migrated+=$(d numa_pages_migrated)" \
	"pgpromote_success+=$(d pgpromote_success)"
[ "$n0" -ge $((pages * 90 / 100)) ] || fail "only $n0 of $pages pages promoted to node 0"
[ "$(d kmigrated_candidates)" -gt 0 ] || fail "no candidate queued"
[ "$(d kmigrated_batches)" -gt 0 ] || fail "no kmigrated batch"
[ "$(d kmigrated_promoted)" -gt 0 ] || fail "kmigrated promoted nothing"
# The queue starts at one page (512 candidates) and must grow to absorb a
# 64 MiB scan burst rather than drop it (queue_len is 65536 by default).
[ "$(d kmigrated_dropped_overflow)" -lt $((pages / 10)) ] ||
	fail "$(d kmigrated_dropped_overflow) candidates dropped on overflow: the queue did not grow"
# No synchronous migration from the fault path: all migrations are kmigrated's.
[ "$(d numa_pages_migrated)" -eq "$(d kmigrated_promoted)" ] ||
	fail "numa_pages_migrated +$(d numa_pages_migrated) != kmigrated_promoted +$(d kmigrated_promoted): the fault path migrated"
within "$(d kmigrated_promoted)" "$n0" 2 ||
	fail "kmigrated_promoted +$(d kmigrated_promoted) but $n0 pages reached node 0"
within "$((ca - cb))" "$n0" 2 ||
	fail "cgroup pgpromote_success +$((ca - cb)) but $n0 pages reached node 0"
# Every queued candidate is accounted for once (nothing stays queued: the
# workload is done and the thread has run).
sum=$(($(d kmigrated_isolated) + $(d kmigrated_dropped_stale) + $(d kmigrated_isolate_failed) + $(d kmigrated_dropped_offline)))
[ "$sum" -le "$(d kmigrated_candidates)" ] ||
	fail "isolated+stale+isolate_failed+offline=$sum > candidates $(d kmigrated_candidates)"
[ "$((ca - cb))" -gt 0 ] || fail "no pgpromote_success in the cgroup"
echo "ok async: $n0/$pages pages promoted by kmigrated in $(d kmigrated_batches) batches"

# --- sync (upstream) in the same boot ---
echo 0 >$KM/enabled || fail "cannot disable kmigrated"
[ "$(cat $KM/enabled)" = 0 ] || fail "enabled reads $(cat $KM/enabled)"
cg_create kmig_sync
numab_tiering_fast
snap a
out=$("$HOTMEM" -s "$MIB" -t 40 -u 99 -c "$CG/kmig_sync" -i 500) || fail "hotmem: $out"
echo "$out"
numab_off
snap b
echo 1 >$KM/enabled
n0=$(field "$(echo "$out" | grep '^final')" node0)
note "sync: on-node0=$n0 candidates+=$(d kmigrated_candidates) promoted+=$(d kmigrated_promoted)" \
	"numa_pages_migrated+=$(d numa_pages_migrated) pgpromote_success+=$(d pgpromote_success)"
[ "$n0" -ge $((pages * 90 / 100)) ] || fail "sync: only $n0 of $pages pages promoted"
[ "$(d kmigrated_candidates)" -eq 0 ] || fail "sync mode queued $(d kmigrated_candidates) candidates"
[ "$(d kmigrated_promoted)" -eq 0 ] || fail "sync mode: kmigrated promoted $(d kmigrated_promoted)"
within "$(d pgpromote_success)" "$n0" 2 || fail "sync: pgpromote_success +$(d pgpromote_success), $n0 moved"
echo "ok sync: $n0/$pages pages promoted by the fault path"

# --- validation of the tunables ---
for f in enabled batch_size batch_delay_ms sleep_ms queue_len; do
	old=$(cat $KM/$f)
	for bad in -1 abc "" 99999999999; do
		if echo "$bad" >$KM/$f 2>/dev/null; then fail "$f accepted '$bad'"; fi
		[ "$(cat $KM/$f)" = "$old" ] || fail "$f changed to $(cat $KM/$f) by bad input '$bad'"
	done
done
for pair in enabled:2 batch_size:0 batch_size:4097 batch_delay_ms:10001 sleep_ms:0 queue_len:0 queue_len:1048577; do
	f=${pair%%:*} v=${pair#*:}
	if echo "$v" >$KM/$f 2>/dev/null; then fail "$f accepted out-of-range $v"; fi
done
old=$(cat $KM/batch_size)
echo 64 >$KM/batch_size && [ "$(cat $KM/batch_size)" = 64 ] || fail "batch_size 64 not taken"
echo "$old" >$KM/batch_size
echo "ok tunables: bad input refused"
