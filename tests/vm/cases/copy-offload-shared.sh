#!/bin/sh
# dcbm timeout on a shared DMA channel (issue #17, defect 4). On a timeout
# dcbm stops the channel with dmaengine_terminate_sync(), which aborts
# every descriptor queued on it: another migration whose descriptors sit
# on the same channel must not lose them.
#
# One software DMA channel, dcbm on it with a 1.5 s timeout. The next
# descriptor of channel 0 is made to stall for 4 s (swcopy-test's
# one-shot stall_once), then migration A starts (its batch stalls and
# times out), and 0.5 s later migration B, whose batch wants the same
# channel while A's is stuck on it. A must fall back to the CPU copy, B
# must be copied by DMA (not a fallback), and both must verify every word.
. "$CGTIER_TOP/tests/vm/lib/common.sh"
. "$CGTIER_TOP/tests/vm/lib/offload.sh"

offload_begin

modprobe_test swcopy-test nr_channels=1 || fail "modprobe swcopy-test"
modprobe_test dcbm || fail "modprobe dcbm"
P=/sys/module/dcbm/parameters SW=/sys/module/swcopy_test/parameters
echo syscall_or_cpuset >$MO/reasons || fail "cannot set reasons"
echo 1 >$P/nr_dma_chan && echo 1500 >$P/timeout_ms || fail "dcbm parameters"
echo 1 >$P/offloading || fail "dcbm on"
echo 0:bogus >$SW/stall_once 2>/dev/null && fail "stall_once accepted 0:bogus"
echo 7:100 >$SW/stall_once 2>/dev/null && fail "stall_once accepted a channel that does not exist"

f0=$(cat $P/folios_migrated) b0=$(cat $P/fallbacks) t0=$(cat $P/timeouts)
echo 0:4000000 >$SW/stall_once || fail "stall_once"
"$PM" verify -s 2 -f 4 -n 1 -m 95 >"$CGTIER_OUT/shared-a.out" 2>&1 &
a=$!
sleep 0.5
"$PM" verify -s 2 -f 4 -n 1 -m 95 >"$CGTIER_OUT/shared-b.out" 2>&1 &
b=$!
wait $a; ra=$?
wait $b; rb=$?
f=$(($(cat $P/folios_migrated) - f0)) fb=$(($(cat $P/fallbacks) - b0)) t=$(($(cat $P/timeouts) - t0))
note "A exit $ra, B exit $rb; dcbm: +$f folios by DMA, +$fb fallbacks, +$t timeouts"
grep -h '^verify:' "$CGTIER_OUT/shared-a.out" "$CGTIER_OUT/shared-b.out" | sed 's/^/# /'
[ $ra -eq 0 ] && [ $rb -eq 0 ] || { cat "$CGTIER_OUT/shared-a.out" "$CGTIER_OUT/shared-b.out"; fail "data lost"; }
[ $t -eq 1 ] || fail "$t channel runs timed out, expected exactly A's"
[ $fb -eq 1 ] || fail "$fb batches fell back to the CPU, expected only A's: A's timeout aborted B's descriptors"
[ $f -ge 512 ] || fail "only $f folios copied by DMA: B's batch was not"
echo "PASS: a timeout on a shared channel failed only its own batch"
