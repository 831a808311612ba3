#!/bin/sh
# kmigrated-drain: candidates staged while the node's thread is busy are
# filed anyway. The thread is held off its CPU (moved to CPU 1, where a
# SCHED_FIFO loop leaves it the 5 % that RT throttling gives), as a long
# batch would hold it, while a hot workload on CPU 0 takes its NUMA hint
# faults. The faulting CPU's staging buffer (1,024 entries) must be filed
# into the memcg's queue by someone other than the busy thread: fewer
# than 1 % of the candidates may be dropped for overflow. An earlier
# version filed only from the thread and dropped most of them (and 4,739
# of a 16-cgroup benchmark's candidates on an unloaded bed).
. "$CGTIER_TOP/tests/vm/lib/common.sh"

KM=/sys/kernel/mm/kmigrated
HOTMEM=${HOTMEM:-$BIN/hotmem}
MIB=${MIB:-64} SECS=${SECS:-12} HOG=${HOG:-6}
need_kmigrated
[ -x "$HOTMEM" ] || fail "no hotmem at $HOTMEM (make vm-tools)"
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs, the guest has $(nproc)"
command -v chrt >/dev/null && command -v taskset >/dev/null ||
	fail "no chrt/taskset (util-linux) in the guest"
pages=$((MIB * 256))
kpid=$(pgrep -x kmigrated1) || fail "no kmigrated1 thread"
mask0=$(taskset -p "$kpid" | sed 's/.*: //')
hog=
cleanup() {
	[ -n "$hog" ] && kill "$hog" 2>/dev/null
	taskset -p "$mask0" "$kpid" >/dev/null 2>&1
	numab_off
	cg_cleanup
}
trap cleanup EXIT

echo 1 >$KM/enabled || fail "cannot enable kmigrated"
start=/tmp/kmigrated-drain.start
log=/tmp/kmigrated-drain.log
rm -f $start
cg_create kmdrain
taskset -pc 1 "$kpid" >/dev/null || fail "cannot move kmigrated1 to CPU 1"
start_bg "$log" moved taskset -c 0 "$HOTMEM" -s "$MIB" -t "$SECS" -c "$CG/kmdrain" \
	-i 1000 -S -p $start
taskset -c 1 chrt -f 10 sh -c 'while :; do :; done' &
hog=$!
numab_tiering_fast
touch $start
sleep "$HOG"
st_busy=$(tr '\n' ' ' <$CG/kmdrain/memory.promotion.stat)
kill "$hog"
wait "$hog" 2>/dev/null
hog=
wait $bgpid || fail "hotmem: $(cat "$log")"
numab_off
sleep 1
note "while the thread was held off: $st_busy"
note "after: $(tr '\n' ' ' <$CG/kmdrain/memory.promotion.stat)"
note "$(grep '^final' "$log")"
c=$(stat_get $CG/kmdrain/memory.promotion.stat candidates) || exit 1
o=$(stat_get $CG/kmdrain/memory.promotion.stat dropped_overflow) || exit 1
p=$(stat_get $CG/kmdrain/memory.promotion.stat promoted) || exit 1
[ "$c" -ge $((pages / 2)) ] || fail "only $c candidates: the scanner hardly looked"
[ "$o" -le $((c / 100)) ] ||
	fail "$o of $c candidates dropped for overflow while kmigrated1 was busy"
[ "$p" -gt 0 ] || fail "nothing promoted"
kmemleak_check kmigrated
echo "ok: $o of $c candidates dropped for overflow while kmigrated1 was busy, $p promoted"
