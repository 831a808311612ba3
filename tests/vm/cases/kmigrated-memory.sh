#!/bin/sh
# kmigrated-memory: the memory behind kmigrated's queues is charged to the
# cgroups they serve and comes back when the cgroups go.
# NCG (default 1000) cgroups under one parent each get PAGES (16) pages of
# one process (tests/bin/manycg) on node 1; the parent's
# memory.promotion.max (64K) keeps their candidates queued. Then:
#   - every cgroup with queued candidates shows its queue in memory.stat:
#     kernel (and slab) grew by at least one page of slots (an earlier
#     version allocated queues in the hint fault without __GFP_ACCOUNT:
#     outside every memory.max, and never in memory.stat);
#   - once the process and the NCG cgroups are gone (and the dying ones
#     freed), the kernel memory charged to the parent's subtree (its
#     memory.stat kernel: the children's own memcg structures, their
#     queues, and what removed children still hold, reparented) is back
#     where it was before the children were made, give or take 1 % of
#     what the subtree used at its peak; kmemleak (the plan boots with
#     kmemleak=on) finds nothing of kmigrated's.
# System-wide unreclaimable slab + percpu before and after are noted, not
# asserted: they move with the allocators' own caches and kmemleak's
# metadata.
. "$CGTIER_TOP/tests/vm/lib/common.sh"

KM=/sys/kernel/mm/kmigrated
NCG=${NCG:-1000} PAGES=${PAGES:-16} SECS=${SECS:-15}
need_kmigrated
[ -x "$BIN/manycg" ] || fail "no manycg at $BIN/manycg (make vm-tools)"
P=$CG/kmmem
start=/tmp/kmigrated-memory.start

# kmem: "SUnreclaim+Percpu" in kB, after giving empty slabs back
kmem() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	for f in /sys/kernel/slab/*/shrink; do echo 1 >"$f" 2>/dev/null; done
	awk '$1 == "SUnreclaim:" || $1 == "Percpu:" { s += $2 } END { print s }' /proc/meminfo
}
dying() { awk '$1 == "nr_dying_descendants" { print $2 }' $CG/cgroup.stat; }
# remove_children: manycg and the NCG cgroups (the log's tmpfs page is
# charged to the last cgroup manycg joined)
remove_children() {
	[ -n "${mpid:-}" ] && kill -9 "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
	mpid=
	rm -f /tmp/manycg.log
	[ -d $P ] && rmdir $P/c* 2>/dev/null
	return 0
}
cleanup() { numab_off; remove_children; rmdir $P 2>/dev/null; }
trap cleanup EXIT
# cgroups FILE KEY...: "N VALUE..." for each cgroup cN, from its FILE
cgroups() {
	f=$1
	shift
	awk -v keys="$*" '
		function out() { if (c != "") { printf "%s", c; for (i = 1; i <= n; i++) printf " %d", v[k[i]]; print "" } }
		BEGIN { n = split(keys, k, " ") }
		FNR == 1 { out(); delete v; c = FILENAME; sub(/\/[^\/]*$/, "", c); sub(/.*\/c/, "", c) }
		{ v[$1] = $2 }
		END { out() }' $P/c*/"$f"
}
# per-cgroup kernel memory: "N kernel slab"
snap() { cgroups memory.stat kernel slab; }

echo 1 >$KM/enabled || fail "cannot enable kmigrated"
numab_off
d0=$(dying)
m0=$(kmem)
mkdir $P || fail "mkdir $P"
echo +memory >$P/cgroup.subtree_control || fail "cannot enable memory in $P"
echo "64K 1000000" >$P/memory.promotion.max || fail "cannot set memory.promotion.max"
kp0=$(stat_get $P/memory.stat kernel) || exit 1
# shellcheck disable=SC2046 # one mkdir for all of them
mkdir $(seq -f "$P/c%g" 0 $((NCG - 1))) || fail "mkdir $P/c*"
rm -f $start
# manycg runs until $start goes (300 s at most, should this shell die)
"$BIN/manycg" -d $P -n "$NCG" -k "$PAGES" -t 300 -p $start >/tmp/manycg.log 2>&1 &
mpid=$!
until grep -q '^ready' /tmp/manycg.log; do
	kill -0 $mpid 2>/dev/null || fail "manycg: $(cat /tmp/manycg.log)"
	sleep 0.5
done
note "$(cat /tmp/manycg.log)"
snap >/tmp/kmmem.0
numab_tiering_fast
touch $start
# Look while the memory is still in use: once manycg exits, its
# candidates go stale and the emptied queues give their slots back. So
# manycg runs until everything is read: reading 2,000 cgroup files takes
# seconds in a TCG guest, and a run of fixed length (SECS + 5 s) ended
# before the reads did in 3 of 5 runs, failing with "0 still queued".
sleep "$SECS"
snap >/tmp/kmmem.1
cgroups memory.promotion.stat candidates queued >/tmp/kmmem.cand
kpeak=$(stat_get $P/memory.stat kernel) || exit 1
rm -f $start
wait $mpid || fail "manycg: $(cat /tmp/manycg.log)"
mpid=
grep -q '^done .* by=stop$' /tmp/manycg.log ||
	fail "manycg stopped before the queues were read: $(cat /tmp/manycg.log)"
numab_off
# cgroups with candidates, and those of them whose kernel memory grew by a page
res=$(awk 'FNR == 1 { f++ }
	f == 1 { k0[$1] = $2; s0[$1] = $3 }
	f == 2 { k1[$1] = $2; s1[$1] = $3 }
	f == 3 && $2 > 0 { n++; q += $3 > 0
		if (k1[$1] - k0[$1] >= 4096) kk++
		if (s1[$1] - s0[$1] >= 4096) ss++ }
	END { print n + 0, q + 0, kk + 0, ss + 0 }' /tmp/kmmem.0 /tmp/kmmem.1 /tmp/kmmem.cand)
read -r with queued kgrew sgrew <<EOF
$res
EOF
note "$with of $NCG cgroups have candidates, $queued still queued; kernel memory grew by >= 4 KiB in $kgrew of the $with, slab in $sgrew"
note "parent: $(tr '\n' ' ' <$P/memory.promotion.stat)"
[ "$with" -ge $((NCG / 2)) ] || fail "only $with of $NCG cgroups got candidates: the scanner hardly looked"
[ "$queued" -ge $((with / 4)) ] || fail "only $queued of $with cgroups still have candidates queued"
[ "$kgrew" -ge $((queued * 9 / 10)) ] ||
	fail "queue memory charged to $kgrew of the $queued cgroups with queued candidates"

remove_children
for _ in $(seq 1 150); do
	[ "$(dying)" -le "$d0" ] && break
	sleep 0.2
done
[ "$(dying)" -le "$d0" ] || note "$(($(dying) - d0)) removed cgroups still dying"
m1=$(kmem)
kp1=$(stat_get $P/memory.stat kernel) || exit 1
rmdir $P || fail "rmdir $P"
note "parent's subtree kernel memory: $kp0 B before the children, $kpeak B at the peak, $kp1 B after their removal"
note "system-wide unreclaimable slab + percpu: $m0 kB before, $m1 kB after (not asserted)"
[ $((kp1 - kp0)) -le $(((kpeak - kp0) / 100)) ] ||
	fail "the removed cgroups left $((kp1 - kp0)) B of kernel memory, more than 1 % of the $((kpeak - kp0)) B they used"
kmemleak_check kmigrated
echo "ok: queues charged in $kgrew of the $with cgroups with candidates ($queued still queued); $((kp1 - kp0)) B of $((kpeak - kp0)) B left after removal"
