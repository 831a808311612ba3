#!/bin/sh
# memory.promotion.max holds for THP candidates and across lower-tier
# nodes (two-lower-tier-node bed, tests/vm/plans/control.plan): over a
# window of at least 20 THPs' worth of budget the promoted rate is the
# limit +-10%:
#  (a) THPs under a 1M limit: a THP is larger than a period's budget, so
#      the bucket lets one through when it is full and the debt is paid
#      off before the next (40 s window);
#  (b) THPs under a 4M limit (15 s window);
#  (c) THPs under a 4M limit with the cgroup's pages on node 1 and node 2,
#      promoted by two kmigrated threads into the one bucket;
#  (d) a parent limited to 4M whose two children's pages sit on node 1
#      and node 2 respectively (4K pages): the children together.
# Before the fix a THP was admitted once 64 pages of budget were there,
# charged whole, and debt beyond one period was forgiven: ~1.6x at 1M.
. "$CGTIER_TOP/tests/vm/lib/common.sh"
. "$CGTIER_TOP/tests/vm/lib/control.sh"
control_init
WIN_1M=${WIN_1M:-40}
WIN_4M=${WIN_4M:-15}

# limited NAME LIMIT_MIB WINDOW NODES...: one cgroup limited to LIMIT_MIB
# MiB/s, one THP workload per node in NODES; checks the rate.
limited() {
	name=$1 lim=$2 win=$3
	shift 3
	mkcg $name
	echo "${lim}M" >$CG/$name/memory.promotion.max || fail "set limit"
	per=$((192 / $#))
	for node in "$@"; do start $name $per $node -H; done
	ready
	go
	paced $name $((lim * 256))
	window $name $win
	r=$(rate 0 $W_1 $W_DT)
	note "($name) THP under ${lim}M from node(s) $*: $r MiB/s over ${W_DT}s ($W_1 pages)"
	within "$r" "$lim" 10 || {
		cat $CG/$name/memory.promotion.stat | tr '\n' ' '; echo
		fail "($name) promoted $r MiB/s under a ${lim}M limit (THP, nodes $*)"
	}
	stop_all
	wait_drained $name
	[ $(($(stat_get $CG/$name/memory.promotion.stat promoted) % 512)) -eq 0 ] ||
		note "($name) promoted is not whole THPs: some were split or not THPs"
	echo "ok ($name) THP under ${lim}M, nodes $*: $r MiB/s"
}

limited ct_a 1 $WIN_1M 1
limited ct_b 4 $WIN_4M 1
limited ct_c 4 $WIN_4M 1 2

# (d) parent limit shared by children on two nodes
mkcg ct_d/ ct_d/x ct_d/y
echo 4M >$CG/ct_d/memory.promotion.max || fail "set parent limit"
start ct_d/x 192 1
start ct_d/y 192 2
ready
go
paced ct_d $((4 * 256))
window ct_d $WIN_4M "ct_d/x ct_d/y"
r=$(rate 0 $W_1 $W_DT)
note "(d) parent 4M, children on nodes 1 and 2: $r MiB/s (x $(rate 0 $W_2 $W_DT), y $(rate 0 $W_3 $W_DT)) over ${W_DT}s"
[ "$W_2" -gt 0 ] && [ "$W_3" -gt 0 ] || fail "(d) a child promoted nothing: x $W_2 y $W_3"
within "$r" 4 10 || fail "(d) children promoted $r MiB/s under a 4M parent"
stop_all
echo "ok (d) parent 4M shared over nodes 1 and 2: $r MiB/s"
