#!/bin/sh
# Guest half of bench/longterm-pin.sh: FOLL_LONGTERM pins (io_uring fixed
# buffers, tests/bin/pinwait) of 16 ZONE_MOVABLE pages whose transient
# references (a vmsplice'd pipe) are dropped HOLD ms after the pin starts,
# with upstream's fixed retries (vm.migrate_longterm_pin_wait_ms=0) and
# with the wait (1000), RUNS times each, alternating. One line a pin:
#   PIN mode=upstream|wait hold_ms=H rc=R ms=T
# Then the cost of switching the wake key on: five waiting pins (10 ms
# hold) in a row after the key has gone off -- the first switches it on,
# the others find it still on -- and five while a background pin holds
# it on throughout:
#   BURST mode=row|held i=I rc=R ms=T
. "$CGTIER_TOP/tests/vm/lib/common.sh"
W=/proc/sys/vm/migrate_longterm_pin_wait_ms
[ -f "$W" ] || skip "kernel without the longterm-pin wait"
RUNS=${RUNS:-9}
old=$(cat $W)
trap 'echo "$old" >$W' EXIT
for hold in 0 1 10 100 500; do
	r=0
	while [ $r -lt "$RUNS" ]; do
		for mode in upstream wait; do
			[ $mode = upstream ] && echo 0 >$W || echo 1000 >$W
			out=$("$BIN/pinwait" -p 16 -d $hold 2>&1)
			[ $? -le 1 ] || fail "pinwait: $out"
			[ "$(field "$out" corrupt)" = 0 ] || fail "data changed: $out"
			[ "$(field "$out" movable)" = 16 ] || fail "pages not in ZONE_MOVABLE: $out"
			echo "PIN mode=$mode hold_ms=$hold rc=$(field "$out" rc) ms=$(field "$out" ms)"
		done
		r=$((r + 1))
	done
done

# pinline MODE I: one waiting pin with a 10 ms hold, as a BURST line
pinline() {
	out=$("$BIN/pinwait" -p 16 -d 10 2>&1)
	[ $? -le 1 ] || fail "pinwait: $out"
	echo "BURST mode=$1 i=$2 rc=$(field "$out" rc) ms=$(field "$out" ms)"
}
echo 10000 >$W
sleep 3		# the key goes off a second after its last user
for i in 1 2 3 4 5; do pinline row $i; done
"$BIN/pinwait" -p 16 -d 6000 >/dev/null 2>&1 &
bg=$!
sleep 1
for i in 1 2 3 4 5; do pinline held $i; done
wait $bg || fail "the background pin failed"
