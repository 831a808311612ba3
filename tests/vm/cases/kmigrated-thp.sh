#!/bin/sh
# kmigrated, async on, THP workload: 2 MiB folios on node 1 are promoted by
# kmigrated as whole THPs. thp_migration_success rises by one per THP moved,
# kmigrated_promoted by 512 pages per THP, nothing is split
# (thp_split_page), and the pages that reached node 0 match.
. "$CGTIER_TOP/tests/vm/lib/common.sh"

KM=/sys/kernel/mm/kmigrated
HOTMEM=${HOTMEM:-$BIN/hotmem}
MIB=${MIB:-64}
[ -d "$KM" ] || skip "kernel without kmigrated ($KM missing)"
awk '$1 == "memory" && $4 == 1 { f = 1 } END { exit !f }' /proc/cgroups ||
	skip "memory controller disabled (kmigrated-nomemcg covers that case)"
[ -x "$HOTMEM" ] || fail "no hotmem at $HOTMEM (make vm-tools)"
thp=/sys/kernel/mm/transparent_hugepage
[ -d $thp ] || fail "no THP support"
old_thp=$(sed 's/.*\[\(.*\)\].*/\1/' $thp/enabled)
echo madvise >$thp/enabled || fail "cannot set THP to madvise"
V=/proc/vmstat
v() { stat_get $V "$1" || exit 1; }

echo 1 >$KM/enabled || fail "cannot enable kmigrated"
cg_create kmig_thp
numab_tiering_fast
t0=$(v thp_migration_success) s0=$(v thp_split_page) k0=$(v kmigrated_promoted)
n0=$(v numa_pages_migrated) a0=$(v thp_fault_alloc)
out=$("$HOTMEM" -H -s "$MIB" -t 40 -u 99 -c "$CG/kmig_thp" -i 500) || fail "hotmem: $out"
echo "$out"
sleep 1
numab_off
echo "$old_thp" >$thp/enabled
t1=$(v thp_migration_success) s1=$(v thp_split_page) k1=$(v kmigrated_promoted)
n1=$(v numa_pages_migrated) a1=$(v thp_fault_alloc)
on0=$(field "$(echo "$out" | grep '^final')" node0)
pages=$((MIB * 256))
note "pages=$pages on-node0=$on0 thp_fault_alloc+=$((a1 - a0)) thp_migration_success+=$((t1 - t0))" \
	"thp_split_page+=$((s1 - s0)) kmigrated_promoted+=$((k1 - k0)) numa_pages_migrated+=$((n1 - n0))"
[ $((a1 - a0)) -ge $((MIB / 2 * 90 / 100)) ] || fail "workload got $((a1 - a0)) THPs, expected ~$((MIB / 2))"
[ "$on0" -ge $((pages * 90 / 100)) ] || fail "only $on0 of $pages pages promoted"
# The initial move to node 1 (move_pages) migrates THPs too: count only
# what happened after it by comparing against kmigrated's own numbers.
[ $((s1 - s0)) -eq 0 ] || fail "$((s1 - s0)) THPs were split"
[ $((k1 - k0)) -eq $((n1 - n0)) ] || fail "fault path migrated: numa_pages_migrated +$((n1 - n0)), kmigrated +$((k1 - k0))"
within "$((k1 - k0))" "$on0" 2 || fail "kmigrated promoted $((k1 - k0)) pages, $on0 reached node 0"
[ $(((k1 - k0) % 512)) -eq 0 ] || fail "kmigrated promoted $((k1 - k0)) pages: not whole THPs"
# move_pages to node 1 moved MIB/2 THPs, promotion moves them back.
[ $((t1 - t0)) -ge $(((k1 - k0) / 512)) ] || fail "thp_migration_success +$((t1 - t0)) < $(((k1 - k0) / 512)) THPs promoted"
echo "ok: $(((k1 - k0) / 512)) THPs promoted whole by kmigrated"
