#!/bin/sh
# Upstream tiering-mode promotion on the base kernel: a workload in its own
# cgroup whose pages were moved to node 1 and which keeps touching them gets
# them promoted to node 0, and that cgroup's pgpromote_success rises by the
# number of pages that moved.
. "$CGTIER_TOP/tests/vm/lib/common.sh"

MIB=${MIB:-128}
cg_create baseline
# On the cgtier kernel, select upstream's synchronous promotion: this test
# guards that path (kmigrated has tests of its own).
KM=/sys/kernel/mm/kmigrated
if [ -w "$KM/enabled" ]; then
	echo 0 >"$KM/enabled" || fail "cannot select synchronous promotion"
	trap 'echo 1 >"$KM/enabled"; cg_cleanup' EXIT
	note "kmigrated present: testing synchronous (upstream) promotion"
fi
numab_tiering_fast
before=$(stat_get "$CG/baseline/memory.stat" pgpromote_success) || exit 1
out=$("$BIN/hotmem" -s "$MIB" -t 30 -u 99 -c "$CG/baseline" -i 500) || fail "hotmem: $out"
echo "$out"
numab_off
after=$(stat_get "$CG/baseline/memory.stat" pgpromote_success) || exit 1
final=$(echo "$out" | grep '^final')
n0=$(field "$final" node0)
pages=$((MIB * 256))
delta=$((after - before))
note "pages=$pages on-node0=$n0 pgpromote_success+=$delta"
[ "$n0" -ge $((pages * 90 / 100)) ] || fail "only $n0 of $pages pages promoted to node 0"
# Every page now on node 0 started on node 1, so each was promoted once.
within "$delta" "$n0" 2 || fail "pgpromote_success rose by $delta, $n0 pages moved"
echo "ok: $n0/$pages pages promoted, pgpromote_success +$delta"
