#!/bin/sh
# memory.promotion.max / .weight / .stat enforced by kmigrated, measured on
# the real kernel:
#  (a) a cgroup limited to 16 MiB/s with 512 MiB hot on node 1 promotes
#      16 MiB/s +-10% over a 10 s window while an unlimited sibling
#      promotes freely;
#  (b) a parent limited to 32 MiB/s: its two unlimited children together
#      stay within 32 MiB/s +10%;
#  (c) weights 100 vs 300 with the global promote rate limit (which
#      kmigrated applies in async mode) making them compete: promoted
#      ratio 3 +-20%;
#  (d) the stat identity holds for every cgroup once its queues are empty:
#      candidates = queued + promoted + dropped_* + failed_*, and throttled
#      is counted where a limit held candidates back.
. "$CGTIER_TOP/tests/vm/lib/common.sh"

KM=/sys/kernel/mm/kmigrated
HOTMEM=${HOTMEM:-$BIN/hotmem}
WINDOW=${WINDOW:-10}
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
	for j in $jobs_; do kill -9 $j 2>/dev/null; done
	wait 2>/dev/null
	echo "$old_rl" >$RL
	numab_off
	for c in pl_a/lim pl_a/free pl_a pl_b/x pl_b/y pl_b pl_c/w1 pl_c/w3 pl_c; do
		for i in 1 2 3 4 5 6 7 8 9 10; do
			[ -d $CG/$c ] || break
			rmdir $CG/$c 2>/dev/null && break
			sleep 0.2
		done
	done
}
trap cleanup EXIT
echo 1 >$KM/enabled || fail "cannot enable kmigrated"

promoted() { stat_get "$CG/$1/memory.promotion.stat" promoted || exit 1; }
now() { date +%s.%N; }
# start CGROUP MIB: a hot workload whose memory starts on node 1
start() {
	"$HOTMEM" -s "$2" -t 120 -c "$CG/$1" -i 1000 >/tmp/pl_$(echo $1 | tr / _).out 2>&1 &
	jobs_="$jobs_ $!"
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
stop_all() {
	for j in $jobs_; do kill -9 $j 2>/dev/null; done
	wait 2>/dev/null
	jobs_=""
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
echo "16M 1000000" >$CG/pl_a/lim/memory.promotion.max || fail "set limit"
[ "$(cat $CG/pl_a/lim/memory.promotion.max)" = "16777216 1000000" ] || fail "limit reads $(cat $CG/pl_a/lim/memory.promotion.max)"
start pl_a/lim 512
start pl_a/free 128
ready pl_a/lim pl_a/free
numab_tiering_fast
sleep 3
t0=$(now) l0=$(promoted pl_a/lim) f0=$(promoted pl_a/free)
sleep $WINDOW
t1=$(now) l1=$(promoted pl_a/lim) f1=$(promoted pl_a/free)
dt=$(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }')
rl=$(rate $l0 $l1 $dt) rf=$(rate $f0 $f1 $dt)
note "(a) limited: $rl MiB/s (target 16), unlimited sibling: $rf MiB/s, over ${dt}s"
within "$rl" 16 10 || {
	tail -n 3 /tmp/pl_pl_a_lim.out /tmp/pl_pl_a_free.out
	cat $CG/pl_a/lim/memory.promotion.stat | tr '\n' ' '; echo
	fail "(a) limited cgroup promoted $rl MiB/s, not 16 +-10%"
}
ftotal=$(promoted pl_a/free)
# The sibling's 128 MiB may all be promoted before the window opens.
fn0=$(field "$(grep '^t=' /tmp/pl_pl_a_free.out | tail -n 1)" node0)
note "(a) unlimited sibling: ${fn0:-0} of $((128 * 256)) pages on node 0"
[ "${fn0:-0}" -ge $((128 * 256 * 9 / 10)) ] || awk -v r="$rf" 'BEGIN { exit !(r > 16) }' || {
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
echo "ok (a) 16 MiB/s limit: $rl MiB/s; unlimited sibling $rf MiB/s"

# --- (b) parent at 32 MiB/s, two unlimited children ---
mkdir $CG/pl_b && echo +memory >$CG/pl_b/cgroup.subtree_control || fail "mkdir pl_b"
mkdir $CG/pl_b/x $CG/pl_b/y || fail "mkdir"
echo "32M" >$CG/pl_b/memory.promotion.max || fail "set parent limit"
[ "$(cat $CG/pl_b/memory.promotion.max)" = "33554432 1000000" ] || fail "parent limit reads $(cat $CG/pl_b/memory.promotion.max)"
start pl_b/x 256
start pl_b/y 256
ready pl_b/x pl_b/y
numab_tiering_fast
sleep 3
t0=$(now) x0=$(promoted pl_b/x) y0=$(promoted pl_b/y)
sleep $WINDOW
t1=$(now) x1=$(promoted pl_b/x) y1=$(promoted pl_b/y)
dt=$(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }')
rs=$(rate $((x0 + y0)) $((x1 + y1)) $dt)
note "(b) children together: $rs MiB/s (parent limit 32), x $(rate $x0 $x1 $dt) y $(rate $y0 $y1 $dt)"
awk -v r="$rs" 'BEGIN { exit !(r <= 32 * 1.10) }' || fail "(b) children promoted $rs MiB/s under a 32 MiB/s parent"
awk -v r="$rs" 'BEGIN { exit !(r >= 32 * 0.5) }' || fail "(b) children promoted only $rs MiB/s: limit not the bottleneck?"
stop_all
numab_off
wait_drained pl_b
identity pl_b/x
identity pl_b/y
identity pl_b
echo "ok (b) parent 32 MiB/s: children together $rs MiB/s"

# --- (c) weights 100 vs 300 under the global rate limit ---
mkdir $CG/pl_c && echo +memory >$CG/pl_c/cgroup.subtree_control || fail "mkdir pl_c"
mkdir $CG/pl_c/w1 $CG/pl_c/w3 || fail "mkdir"
echo 300 >$CG/pl_c/w3/memory.promotion.weight || fail "set weight"
[ "$(cat $CG/pl_c/w1/memory.promotion.weight)" = 100 ] || fail "default weight is $(cat $CG/pl_c/w1/memory.promotion.weight)"
echo 24 >$RL || fail "cannot set the global promote rate limit"
start pl_c/w1 256
start pl_c/w3 256
ready pl_c/w1 pl_c/w3
numab_tiering_fast
sleep 3
a0=$(promoted pl_c/w1) b0=$(promoted pl_c/w3)
sleep $WINDOW
a1=$(promoted pl_c/w1) b1=$(promoted pl_c/w3)
da=$((a1 - a0)) db=$((b1 - b0))
note "(c) weight 100: $da pages, weight 300: $db pages in ${WINDOW}s (global limit 24 MiB/s)"
[ "$da" -gt 0 ] || fail "(c) weight-100 cgroup promoted nothing"
awk -v a=$da -v b=$db 'BEGIN { r = b / a; exit !(r >= 2.4 && r <= 3.6) }' ||
	fail "(c) promoted ratio $(awk -v a=$da -v b=$db 'BEGIN { printf "%.2f", b / a }'), not 3 +-20%"
stop_all
numab_off
echo "$old_rl" >$RL
wait_drained pl_c
identity pl_c/w1
identity pl_c/w3
[ "$(stat_get $CG/pl_c/w1/memory.promotion.stat throttled)" -gt 0 ] || fail "(d) global limit: throttled is 0"
echo "ok (c) weights 100:300 promoted 1:$(awk -v a=$da -v b=$db 'BEGIN { printf "%.2f", b / a }')"
