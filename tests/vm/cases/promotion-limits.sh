#!/bin/sh
# memory.promotion.max / .weight / .stat enforced by kmigrated, measured on
# the real kernel:
#  (a) a cgroup limited to LIMIT_MIB MiB/s with 512 MiB hot on node 1
#      promotes that +-10% over a 10 s window while an unlimited sibling
#      promotes freely. The default is 8: on 2026-12-04 the test bed
#      supplied only 12-14 MiB/s of candidates for one 512 MiB workload
#      (12.2 and 14.0 MiB/s measured with a 16 MiB/s limit, on the series
#      before and after that day's changes alike), so 16 no longer bound;
#      LIMIT_MIB=16 on a faster bed;
#  (b) a parent limited to PARENT_MIB MiB/s: its two unlimited children
#      together promote that +-10%, held back by the parent's limit. The
#      issue's example is 32; the default is 16 because the test bed
#      (single-threaded TCG, one host core) promotes only about 13-27 MiB/s
#      with two workloads running (13.1 with PARENT_MIB=32 on 2026-11-22),
#      where a 32 MiB/s limit never binds and the test would show nothing.
#      PARENT_MIB=32 on a faster bed;
#  (c) weights 100 vs 300 competing for a parent's 12 MiB/s: promoted
#      ratio 3 +-20%;
#  (c2) the same weights competing for the global promote rate limit
#      (which kmigrated applies in async mode): ratio 3 +-20% as well;
#  (d) the stat identity holds for every cgroup once its queues are empty:
#      candidates = queued + promoted + dropped_* + failed_*, and throttled
#      is counted where a limit held candidates back.
. "$CGTIER_TOP/tests/vm/lib/common.sh"

KM=/sys/kernel/mm/kmigrated
HOTMEM=${HOTMEM:-$BIN/hotmem}
WINDOW=${WINDOW:-10}
PARENT_MIB=${PARENT_MIB:-16}
LIMIT_MIB=${LIMIT_MIB:-8}
RL=/proc/sys/kernel/numa_balancing_promote_rate_limit_MBps
[ -d "$KM" ] || skip "kernel without kmigrated"
[ -x "$HOTMEM" ] || fail "no hotmem at $HOTMEM (make vm-tools)"
echo +memory >$CG/cgroup.subtree_control
mkdir -p $CG/pl_probe && [ -f $CG/pl_probe/memory.promotion.max ] ||
	{ rmdir $CG/pl_probe; skip "kernel without memory.promotion.*"; }
rmdir $CG/pl_probe

old_rl=$(cat $RL)
jobs_=""
cleanup() {
	kill_jobs
	echo "$old_rl" >$RL
	numab_off
	for c in pl_a/lim pl_a/free pl_a pl_b/x pl_b/y pl_b pl_c/w1 pl_c/w3 pl_c pl_g/w1 pl_g/w3 pl_g; do
		cg_remove $CG/$c
	done
}
trap cleanup EXIT
echo 1 >$KM/enabled || fail "cannot enable kmigrated"
# The boot default is plain NUMA balancing (mode 1), which would move the
# workloads' pages to node 0 as soon as they are on node 1, unaccounted as
# promotion: off until the test turns tiering mode on.
numab_off

promoted() { stat_get "$CG/$1/memory.promotion.stat" promoted || exit 1; }
now() { date +%s.%N; }
# start CGROUP MIB: a hot workload whose memory starts on node 1. It
# waits for go (hotmem -p), with the NUMA scanner kept off its memory
# until then (-S): the first scan after go marks all of it at once, so
# candidates arrive far faster than any limit here and every rate below
# is the limit's, not the scanner's. (Without -S the scanner marked the
# memory piece by piece while it was set up and then deferred its next
# pass: on a slow host the supply fell below 16 MiB/s, the limited cgroup
# was never throttled, and its measured rate was the scanner's.)
start() {
	rm -f /tmp/pl-go
	"$HOTMEM" -S -p /tmp/pl-go -s "$2" -t 120 -c "$CG/$1" -i 1000 \
		>/tmp/pl_$(echo $1 | tr / _).out 2>&1 &
	jobs_="$jobs_ $!"
}
# go: tiering mode on, scanning fast, and the workloads start
go() {
	numab_tiering_fast
	touch /tmp/pl-go
}
# ready CGROUP...: wait until each workload has moved its memory to node 1
ready() {
	for c in "$@"; do
		o=/tmp/pl_$(echo $c | tr / _).out
		for i in $(seq 1 300); do
			grep -q '^moved' $o 2>/dev/null && break
			sleep 0.2
		done
		grep -q '^moved' $o || { cat $o; fail "$c: workload did not start"; }
	done
}
stop_all() { kill_jobs; }
# paced CGROUP PAGES: wait (up to a minute) until CGROUP's limit holds its
# promotion back and it has promoted PAGES, so that the bucket's initial
# burst of one period's budget is spent before a window opens.
paced() {
	for i in $(seq 1 120); do
		[ "$(stat_get $CG/$1/memory.promotion.stat throttled)" -gt 0 ] &&
			[ "$(promoted $1)" -gt "$2" ] && break
		sleep 0.5
	done
	sleep 1
}
# rate A B SECONDS: MiB/s from page counts
rate() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { printf "%.2f", (b - a) * 4096 / 1048576 / t }'; }
# identity CGROUP: the documented identity of memory.promotion.stat
identity() {
	f=$CG/$1/memory.promotion.stat
	awk -v cg="$1" '
		{ v[$1] = $2 }
		END {
			rhs = v["queued"] + v["promoted"] + v["dropped_overflow"] + v["dropped_nomem"] + \
			      v["dropped_stale"] + v["dropped_offline"] + v["failed_isolate"] + v["failed_migrate"]
			printf "# %s: candidates=%d queued=%d promoted=%d throttled=%d stale=%d overflow=%d failed=%d/%d batches=%d\n", \
				cg, v["candidates"], v["queued"], v["promoted"], v["throttled"], v["dropped_stale"], \
				v["dropped_overflow"], v["failed_isolate"], v["failed_migrate"], v["batches"]
			if (v["candidates"] != rhs) { printf "FAIL: %s: candidates %d != %d\n", cg, v["candidates"], rhs; exit 1 }
			if (v["copied_cpu"] + v["copied_offload"] != v["promoted"]) { printf "FAIL: %s: copied != promoted\n", cg; exit 1 }
		}' "$f" || exit 1
}
# wait_drained CGROUP: queued reaches 0 (kmigrated served or dropped all)
wait_drained() {
	for i in $(seq 1 100); do
		[ "$(stat_get $CG/$1/memory.promotion.stat queued)" = 0 ] && return 0
		sleep 0.2
	done
	fail "$1: queue not drained: $(cat $CG/$1/memory.promotion.stat | tr '\n' ' ')"
}

# --- (a) 16 MiB/s limit next to an unlimited sibling ---
mkdir $CG/pl_a && echo +memory >$CG/pl_a/cgroup.subtree_control || fail "mkdir pl_a"
mkdir $CG/pl_a/lim $CG/pl_a/free || fail "mkdir"
echo "${LIMIT_MIB}M 1000000" >$CG/pl_a/lim/memory.promotion.max || fail "set limit"
[ "$(cat $CG/pl_a/lim/memory.promotion.max)" = "$((LIMIT_MIB << 20)) 1000000" ] || fail "limit reads $(cat $CG/pl_a/lim/memory.promotion.max)"
start pl_a/lim 512
start pl_a/free 128
ready pl_a/lim pl_a/free
go
paced pl_a/lim $((2 * LIMIT_MIB * 256))
t0=$(now) l0=$(promoted pl_a/lim) f0=$(promoted pl_a/free)
sleep $WINDOW
t1=$(now) l1=$(promoted pl_a/lim) f1=$(promoted pl_a/free)
dt=$(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }')
rl=$(rate $l0 $l1 $dt) rf=$(rate $f0 $f1 $dt)
note "(a) limited: $rl MiB/s (target $LIMIT_MIB), unlimited sibling: $rf MiB/s, over ${dt}s"
within "$rl" "$LIMIT_MIB" 10 || {
	tail -n 3 /tmp/pl_pl_a_lim.out /tmp/pl_pl_a_free.out
	cat $CG/pl_a/lim/memory.promotion.stat | tr '\n' ' '; echo
	fail "(a) limited cgroup promoted $rl MiB/s, not $LIMIT_MIB +-10%"
}
ftotal=$(promoted pl_a/free)
# The sibling's 128 MiB may all be promoted before the window opens.
fn0=$(field "$(grep '^t=' /tmp/pl_pl_a_free.out | tail -n 1)" node0)
note "(a) unlimited sibling: ${fn0:-0} of $((128 * 256)) pages on node 0"
[ "${fn0:-0}" -ge $((128 * 256 * 9 / 10)) ] || awk -v r="$rf" 'BEGIN { exit !(r >= 2) }' || {
	tail -n 3 /tmp/pl_pl_a_free.out
	cat $CG/pl_a/free/memory.promotion.stat | tr '\n' ' '; echo
	grep kmigrated /proc/vmstat | tr '\n' ' '; echo
	fail "(a) unlimited sibling held back: $rf MiB/s, $ftotal pages in all"
}
stop_all
numab_off
wait_drained pl_a/lim
wait_drained pl_a/free
identity pl_a/lim
identity pl_a/free
identity pl_a
[ "$(stat_get $CG/pl_a/lim/memory.promotion.stat throttled)" -gt 0 ] || fail "(d) limited cgroup: throttled is 0"
[ "$(stat_get $CG/pl_a/free/memory.promotion.stat throttled)" -eq 0 ] || fail "(d) unlimited cgroup counted throttled pages"
echo "ok (a) $LIMIT_MIB MiB/s limit: $rl MiB/s; unlimited sibling $rf MiB/s"

# --- (b) parent at PARENT_MIB MiB/s, two unlimited children ---
mkdir $CG/pl_b && echo +memory >$CG/pl_b/cgroup.subtree_control || fail "mkdir pl_b"
mkdir $CG/pl_b/x $CG/pl_b/y || fail "mkdir"
echo "${PARENT_MIB}M" >$CG/pl_b/memory.promotion.max || fail "set parent limit"
[ "$(cat $CG/pl_b/memory.promotion.max)" = "$((PARENT_MIB << 20)) 1000000" ] || fail "parent limit reads $(cat $CG/pl_b/memory.promotion.max)"
start pl_b/x 256
start pl_b/y 256
ready pl_b/x pl_b/y
go
paced pl_b $((2 * PARENT_MIB * 256))
t0=$(now) x0=$(promoted pl_b/x) y0=$(promoted pl_b/y) th0=$(stat_get $CG/pl_b/memory.promotion.stat throttled)
sleep $WINDOW
t1=$(now) x1=$(promoted pl_b/x) y1=$(promoted pl_b/y) th1=$(stat_get $CG/pl_b/memory.promotion.stat throttled)
dt=$(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }')
rs=$(rate $((x0 + y0)) $((x1 + y1)) $dt)
note "(b) children together: $rs MiB/s (parent limit $PARENT_MIB), x $(rate $x0 $x1 $dt) y $(rate $y0 $y1 $dt)"
# The limit must be what held them back in the window, or this shows nothing.
[ "$th1" -gt "$th0" ] || fail "(b) the parent limit never held the children back ($rs MiB/s)"
within "$rs" "$PARENT_MIB" 10 || fail "(b) children promoted $rs MiB/s under a $PARENT_MIB MiB/s parent"
stop_all
numab_off
wait_drained pl_b
identity pl_b/x
identity pl_b/y
identity pl_b
echo "ok (b) parent $PARENT_MIB MiB/s: children together $rs MiB/s"

# --- (c) weights 100 vs 300 competing for a parent's 12 MiB/s ---
# weights CGROUP TAG SETUP: w1 (weight 100) and w3 (weight 300) under
# CGROUP, hot on node 1, after running SETUP to make them compete; sets
# da/db (pages promoted in the window) and ratio.
weights() {
	mkdir $CG/$1 && echo +memory >$CG/$1/cgroup.subtree_control || fail "mkdir $1"
	eval "$3" || fail "($2) setup: $3"
	mkdir $CG/$1/w1 $CG/$1/w3 || fail "mkdir"
	echo 300 >$CG/$1/w3/memory.promotion.weight || fail "set weight"
	[ "$(cat $CG/$1/w1/memory.promotion.weight)" = 100 ] || fail "default weight is $(cat $CG/$1/w1/memory.promotion.weight)"
	start $1/w1 256
	start $1/w3 256
	ready $1/w1 $1/w3
	go
	sleep 3
	a0=$(promoted $1/w1) b0=$(promoted $1/w3)
	sleep $WINDOW
	a1=$(promoted $1/w1) b1=$(promoted $1/w3)
	da=$((a1 - a0)) db=$((b1 - b0))
	[ "$da" -gt 0 ] || fail "($2) weight-100 cgroup promoted nothing"
	ratio=$(awk -v a=$da -v b=$db 'BEGIN { printf "%.2f", b / a }')
	stop_all
	numab_off
}
weights pl_c c 'echo 12M >$CG/pl_c/memory.promotion.max'
note "(c) weight 100: $da pages, weight 300: $db pages in ${WINDOW}s under a 12 MiB/s parent: 1:$ratio"
awk -v r=$ratio 'BEGIN { exit !(r >= 2.4 && r <= 3.6) }' || {
	identity pl_c/w1
	identity pl_c/w3
	fail "(c) promoted ratio $ratio, not 3 +-20%"
}
wait_drained pl_c
identity pl_c/w1
identity pl_c/w3
[ "$(stat_get $CG/pl_c/w1/memory.promotion.stat throttled)" -gt 0 ] || fail "(d) parent limit: throttled is 0"
echo "ok (c) weights 100:300 under a parent limit promoted 1:$ratio"

# --- (c2) the same weights competing for the global promote rate limit ---
# kmigrated applies numa_balancing_promote_rate_limit_MBps in async mode
# (the hint fault no longer does), so the weights share it too; with the
# limit left in the hint fault, first come would be first served.
weights pl_g c2 'echo 12 >$RL'
note "(c2) weight 100: $da pages, weight 300: $db pages in ${WINDOW}s under a 12 MB/s global limit: 1:$ratio"
awk -v r=$ratio 'BEGIN { exit !(r >= 2.4 && r <= 3.6) }' || {
	identity pl_g/w1
	identity pl_g/w3
	fail "(c2) promoted ratio $ratio, not 3 +-20%"
}
echo "$old_rl" >$RL
wait_drained pl_g
identity pl_g/w1
identity pl_g/w3
[ "$(stat_get $CG/pl_g/w1/memory.promotion.stat throttled)" -gt 0 ] || fail "(d) global limit: throttled is 0"
echo "ok (c2) weights 100:300 under the global limit promoted 1:$ratio"
