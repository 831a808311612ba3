#!/bin/sh
# memory.promotion.weight is hierarchical and holds across lower-tier
# nodes (two-lower-tier-node bed, tests/vm/plans/control.plan), with THP
# workloads so that candidates arrive faster than the limit:
#  (a) q limited to LIMIT_A_MIB MiB/s holds p1 and p2 at weight 100; p1's
#      two children set weight 10000, p2's one child keeps 100, all with
#      their pages on node 1 (one kmigrated thread): p1's and p2's
#      subtrees promote 1:1 +-10% (p1's children cannot take p2's share
#      by weights set below p1). 8 MiB/s by default: three THP workloads
#      on one node supplied about 12 MiB/s on the 2-vCPU bed;
#  (b) weights 100:300 between siblings under a parent limit of
#      LIMIT_MIB MiB/s they share, one with its pages on node 1 and the
#      other on node 2 (two kmigrated threads): 1:3 +-10%.
# Over WINDOW (20) seconds, 80 (a) and 160 (b) THPs' worth of budget, so
# that a few THPs either way are within the tolerance. Each part also notes
# the candidates queued meanwhile and the backlog at the end: a share can
# only be judged while both sides stay backlogged.
# Before the fix the weights were those of each queue in its own node's
# round robin, and the two threads split a shared budget by who asked
# first: (b) came out 1:0.67 on 2026-12-05. With virtual time but a
# memcg counted as waiting only for 100 ms after a refusal, (a) 46:1 and
# (b) 1:1.83-2.28 (a batch in flight, a queue behind another memcg's
# batch or a thread late to run stopped counting as waiting).
. "$CGTIER_TOP/tests/vm/lib/common.sh"
. "$CGTIER_TOP/tests/vm/lib/control.sh"
control_init
LIMIT_MIB=${LIMIT_MIB:-16}
LIMIT_A_MIB=${LIMIT_A_MIB:-8}
WINDOW=${WINDOW:-20}

# ratio A B: B / A
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (a > 0 ? b / a : 999) }'; }

# --- (a) hierarchy ---
mkcg cw/ cw/p1/ cw/p2/ cw/p1/c1 cw/p1/c2 cw/p2/d
echo "${LIMIT_A_MIB}M" >$CG/cw/memory.promotion.max || fail "set limit"
echo 10000 >$CG/cw/p1/c1/memory.promotion.weight || fail "set weight"
echo 10000 >$CG/cw/p1/c2/memory.promotion.weight || fail "set weight"
start cw/p1/c1 128 1 -H
start cw/p1/c2 128 1 -H
start cw/p2/d 192 1 -H
ready
go
paced cw $((LIMIT_A_MIB * 256))
window cw/p1 $WINDOW "cw/p2 cw"
r=$(ratio $W_2 $W_1)
note "(a) p1 subtree (children at 10000) $(rate 0 $W_1 $W_DT) MiB/s, p2 subtree (100) $(rate 0 $W_2 $W_DT) MiB/s: p1/p2 = $r; q $(rate 0 $W_3 $W_DT) MiB/s (limit $LIMIT_A_MIB)"
note "(a) candidates meanwhile $(rate 0 $C_1 $W_DT) and $(rate 0 $C_2 $W_DT) MiB/s, queued at the end $Q_1 and $Q_2 pages"
stop_all
bad=
if awk -v r="$r" 'BEGIN { exit !(r >= 0.9 && r <= 1.1) }'; then
	echo "ok (a) sibling subtrees at equal weight promoted 1:$r whatever the weights below"
else
	echo "FAIL: (a) p1:p2 subtrees promoted 1:$r, not 1:1 +-10% (weights below p1 leaked)"
	bad=1
fi

# --- (b) across nodes ---
mkcg cx/ cx/w1 cx/w3
echo "${LIMIT_MIB}M" >$CG/cx/memory.promotion.max || fail "set limit"
echo 300 >$CG/cx/w3/memory.promotion.weight || fail "set weight"
start cx/w1 192 1 -H
start cx/w3 384 2 -H
ready
go
paced cx $((LIMIT_MIB * 256))
window cx/w1 $WINDOW "cx/w3"
r=$(ratio $W_1 $W_2)
note "(b) weight 100 on node 1: $(rate 0 $W_1 $W_DT) MiB/s, weight 300 on node 2: $(rate 0 $W_2 $W_DT) MiB/s: 1:$r"
note "(b) candidates meanwhile $(rate 0 $C_1 $W_DT) and $(rate 0 $C_2 $W_DT) MiB/s, queued at the end $Q_1 and $Q_2 pages"
stop_all
awk -v r="$r" 'BEGIN { exit !(r >= 2.7 && r <= 3.3) }' ||
	fail "(b) weights 100:300 on two nodes promoted 1:$r, not 1:3 +-10%"
echo "ok (b) weights 100:300 across nodes 1 and 2 promoted 1:$r"
[ -z "$bad" ] || exit 1
