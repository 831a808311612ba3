#!/bin/sh
# kmigrated with the memory controller disabled (boot with
# cgroup_disable=memory): each lower-tier node has one queue without a memcg
# owner, and a hot workload on node 1 is still promoted by kmigrated, not by
# the fault path. Skipped when the memory controller is enabled.
. "$CGTIER_TOP/tests/vm/lib/common.sh"

KM=/sys/kernel/mm/kmigrated
HOTMEM=${HOTMEM:-$BIN/hotmem}
MIB=${MIB:-32}
[ -d "$KM" ] || skip "kernel without kmigrated ($KM missing)"
awk '$1 == "memory" && $4 == 0 { f = 1 } END { exit !f }' /proc/cgroups ||
	skip "memory controller enabled (boot with cgroup_disable=memory to run this)"
[ -x "$HOTMEM" ] || fail "no hotmem at $HOTMEM (make vm-tools)"
V=/proc/vmstat
v() { stat_get $V "$1" || exit 1; }

echo 1 >$KM/enabled || fail "cannot enable kmigrated"
numab_tiering_fast
k0=$(v kmigrated_promoted) n0=$(v numa_pages_migrated) c0=$(v kmigrated_candidates)
p0=$(v pgpromote_success)
out=$("$HOTMEM" -s "$MIB" -t 40 -u 99 -i 500) || fail "hotmem: $out"
echo "$out"
sleep 1
numab_off
k1=$(v kmigrated_promoted) n1=$(v numa_pages_migrated) c1=$(v kmigrated_candidates)
p1=$(v pgpromote_success)
on0=$(field "$(echo "$out" | grep '^final')" node0)
pages=$((MIB * 256))
note "pages=$pages on-node0=$on0 candidates+=$((c1 - c0)) kmigrated_promoted+=$((k1 - k0))" \
	"numa_pages_migrated+=$((n1 - n0)) pgpromote_success+=$((p1 - p0))"
[ "$on0" -ge $((pages * 90 / 100)) ] || fail "only $on0 of $pages pages promoted"
[ $((c1 - c0)) -gt 0 ] || fail "no candidate queued"
[ $((k1 - k0)) -eq $((n1 - n0)) ] || fail "fault path migrated: numa_pages_migrated +$((n1 - n0)), kmigrated +$((k1 - k0))"
within "$((k1 - k0))" "$on0" 2 || fail "kmigrated promoted $((k1 - k0)), $on0 pages reached node 0"
within "$((p1 - p0))" "$on0" 2 || fail "pgpromote_success +$((p1 - p0)), $on0 pages reached node 0"
echo "ok: $on0/$pages pages promoted by kmigrated without memcg"
