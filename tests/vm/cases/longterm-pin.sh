#!/bin/sh
# The longterm-pin wait (kernel/longterm-pin/): a FOLL_LONGTERM pin of
# ZONE_MOVABLE memory migrates it first, and that migration now sleeps,
# woken by folio_put(), until transient references are dropped, for at
# most vm.migrate_longterm_pin_wait_ms per migration call.
#
# tests/bin/pinwait holds a plain reference on every page of its buffer
# through a pipe (vmsplice) and drops it HOLD ms after it starts pinning
# the buffer as an io_uring fixed buffer. Needs a boot with movablecore=
# (tests/vm/plans/pin.plan) so that user memory starts in ZONE_MOVABLE.
# In one boot:
#   wait 0 (upstream's fixed retries): the pin fails at once with ENOMEM
#   wait 1000, references dropped after 300 ms: the pin succeeds after
#     >= 300 ms, every page moved out of ZONE_MOVABLE, data intact
#   wait 1000, references held 4 s, 16 pages: fails after about 1 s --
#     the bound is per call, not per page (16 pages would be 16 s)
#   wait 500, held 1 s: fails after about 0.5 s (the sysctl is honoured)
#   no extra reference: pins with no wait at all (counters unchanged)
#   two pins at once, each waiting: both succeed (the key is counted)
#   bad sysctl writes are refused and change nothing
# The harness fails the test on any kernel warning (lockdep included).
. "$CGTIER_TOP/tests/vm/lib/common.sh"

W=/proc/sys/vm/migrate_longterm_pin_wait_ms
PW=${PINWAIT:-$BIN/pinwait}
[ -f "$W" ] || skip "kernel without the longterm-pin wait ($W missing)"
[ -x "$PW" ] || fail "no pinwait at $PW (make vm-tools)"
grep -q "zone *Movable" /proc/zoneinfo ||
	fail "no ZONE_MOVABLE: boot with movablecore= (tests/vm/plans/pin.plan)"
ENOMEM=-12

old=$(cat $W)
trap 'echo "$old" >$W' EXIT
[ "$old" = 1000 ] || fail "default wait is $old ms, not 1000"

vm() { stat_get /proc/vmstat "$1" || exit 1; }

# pin NAME ARGS...: run pinwait, print its line, leave it in $out
pin() {
	name=$1; shift
	out=$("$PW" "$@" 2>&1)
	rc=$?
	echo "# $name: $out (exit $rc)"
	[ $rc -le 1 ] || fail "$name: pinwait setup error: $out"
	[ "$(field "$out" corrupt)" = 0 ] || fail "$name: data changed across the pin"
	[ "$(field "$out" movable)" = "$(field "$out" pages)" ] ||
		fail "$name: not all pages started in ZONE_MOVABLE"
}

# The checker can fail: a flipped byte is seen.
out=$("$PW" -T -d 0 2>&1) && fail "pinwait -T passed: the data check cannot fail"
[ "$(field "$out" corrupt)" = 1 ] || fail "pinwait -T: $out"

# --- upstream behaviour: fixed retries, the pin fails before the drop
echo 0 >$W
w0=$(vm pgmigrate_refwait) t0=$(vm pgmigrate_refwait_timeout)
pin upstream -p 16 -d 300
[ "$(field "$out" rc)" = $ENOMEM ] || fail "upstream: rc $(field "$out" rc), not ENOMEM"
[ "$(field "$out" ms)" -lt 300 ] || fail "upstream: took $(field "$out" ms) ms: it waited"
[ "$(field "$out" moved)" = 0 ] || fail "upstream: failed pin moved pages"
[ "$(vm pgmigrate_refwait)" = "$w0" ] && [ "$(vm pgmigrate_refwait_timeout)" = "$t0" ] ||
	fail "upstream: wait counters moved with the wait off"

# --- the wait: references dropped after 300 ms
echo 1000 >$W
w0=$(vm pgmigrate_refwait)
pin wait -p 16 -d 300
[ "$(field "$out" rc)" = 0 ] || fail "wait: pin failed (rc $(field "$out" rc))"
ms=$(field "$out" ms)
[ "$ms" -ge 290 ] && [ "$ms" -lt 1000 ] || fail "wait: pinned after $ms ms, not 300..1000"
[ "$(field "$out" moved)" = 16 ] && [ "$(field "$out" still_movable)" = 0 ] ||
	fail "wait: pages not migrated out of ZONE_MOVABLE"
[ "$(vm pgmigrate_refwait)" -gt "$w0" ] || fail "wait: pgmigrate_refwait did not move"

# --- the bound: references held 4 s; 16 pages still fail after ~1 s
t0=$(vm pgmigrate_refwait_timeout)
pin bound -p 16 -d 4000
[ "$(field "$out" rc)" = $ENOMEM ] || fail "bound: rc $(field "$out" rc), not ENOMEM"
ms=$(field "$out" ms)
[ "$ms" -ge 950 ] && [ "$ms" -lt 2500 ] || fail "bound: failed after $ms ms, not ~1000"
[ "$(field "$out" moved)" = 0 ] || fail "bound: failed pin moved pages"
[ "$(vm pgmigrate_refwait_timeout)" -gt "$t0" ] || fail "bound: no refwait_timeout counted"

echo 500 >$W
pin bound500 -p 4 -d 1500
[ "$(field "$out" rc)" = $ENOMEM ] || fail "bound500: rc $(field "$out" rc), not ENOMEM"
ms=$(field "$out" ms)
[ "$ms" -ge 450 ] && [ "$ms" -lt 1200 ] || fail "bound500: failed after $ms ms, not ~500"
echo 1000 >$W

# --- nothing to wait for: no wait, counters unchanged
w0=$(vm pgmigrate_refwait) t0=$(vm pgmigrate_refwait_timeout)
pin noref -p 64 -d 0
[ "$(field "$out" rc)" = 0 ] || fail "noref: pin failed"
[ "$(field "$out" moved)" = 64 ] || fail "noref: pages not migrated"
[ "$(vm pgmigrate_refwait)" = "$w0" ] && [ "$(vm pgmigrate_refwait_timeout)" = "$t0" ] ||
	fail "noref: waited although no reference was held"

# --- two pins at once, both waiting: the key is shared, both succeed
"$PW" -p 16 -d 400 >"$CGTIER_OUT/pin-a.txt" 2>&1 &
a=$!
"$PW" -p 16 -d 600 >"$CGTIER_OUT/pin-b.txt" 2>&1
rb=$?
wait $a
ra=$?
echo "# concurrent: $(cat "$CGTIER_OUT/pin-a.txt") / $(cat "$CGTIER_OUT/pin-b.txt")"
[ $ra = 0 ] && [ $rb = 0 ] || fail "concurrent: a pin failed (exit $ra, $rb)"
# and pins keep working after them (an unbalanced static_branch_dec()
# would also WARN, which fails the test)
pin after -p 16 -d 0
[ "$(field "$out" rc)" = 0 ] || fail "after: pin failed"

# --- bad input: refused, value unchanged
for bad in abc -1 10001 ""; do
	if printf '%s\n' "$bad" >$W 2>/dev/null; then
		[ -z "$bad" ] || fail "sysctl accepted '$bad'"
	fi
	[ "$(cat $W)" = 1000 ] || fail "sysctl changed to $(cat $W) by '$bad'"
done
echo 10000 >$W || fail "sysctl refused its maximum"
echo "ok: longterm pins wait for transient references, within the bound"
