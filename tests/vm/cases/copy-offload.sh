#!/bin/sh
# Copy offload for page migration (kernel/patches/0017..0026), on the
# patched kernel: move_pages() over pages filled with a distinct pattern
# per 8-byte word, moved node 0 -> 1 -> 0 ..., every word checked after
# every move (tests/bin/pagemove.c), with each copy path:
#   none      upstream per-folio copy (no migrator, cpu_batch off)
#   cpubatch  the batch copy phase, CPU copy in one pass
#   mtcopy    multi-threaded CPU migrator, 1 and 2 threads
#   dcbm      DMA migrator over the test-only software DMA engine
#   dcbm-fail every 3rd DMA descriptor fails: batches fall back to the CPU
#   dcbm-slow every descriptor takes 300 ms, timeout 50 ms: runs time out
# for 4K pages and 2M THPs. Each case must move >= 95% of the pages, find
# zero corrupted or misplaced pages, and show in the counters that the
# path it names did the copying (or fell back). The harness fails the
# test on any kernel warning in dmesg.
. "$CGTIER_TOP/tests/vm/lib/common.sh"
. "$CGTIER_TOP/tests/vm/lib/offload.sh"

MIB=${MIB:-32}
offload_begin

modprobe_test swcopy-test nr_channels=4 || fail "modprobe swcopy-test"
modprobe_test mtcopy || fail "modprobe mtcopy"
modprobe_test dcbm || fail "modprobe dcbm"
P_MT=/sys/module/mtcopy/parameters P_DC=/sys/module/dcbm/parameters
P_SW=/sys/module/swcopy_test/parameters
echo "syscall_or_cpuset" >$MO/reasons || fail "cannot set reasons"
[ "$(cat $MO/reasons)" = "syscall_or_cpuset" ] || fail "reasons reads back '$(cat $MO/reasons)'"
echo madvise >$THP/enabled || fail "THP madvise"

mo() { stat_get $MO/stat "$1" || exit 1; }

# verify NAME FOLIO_KB: run pagemove verify, fail on any corruption
verify() {
	out=$("$PM" verify -s "$MIB" -f "$2" -n 4 -m 95 2>&1)
	rc=$?
	echo "$out" | grep -E '^(setup|verify|end):' | sed "s/^/# $1: /"
	[ $rc -eq 0 ] || { echo "$out" | tail -20; fail "$1 (folio ${2}K): pagemove verify exit $rc"; }
}

# Each case: set up, run 4K and 2M, check the counters moved as they must.
for fkb in 4 2048; do
	pages=$((MIB * 256 * 4))	# 4 moves of MIB MiB, in 4K pages

	# none: no batching at all, nothing offered, nothing CPU-batched
	o0=$(mo offered) c0=$(mo cpu_pages)
	verify none "$fkb"
	[ "$(mo offered)" -eq "$o0" ] && [ "$(mo cpu_pages)" -eq "$c0" ] ||
		fail "none: batches were offered or CPU-batched"

	echo 1 >$MO/cpu_batch
	c0=$(mo cpu_pages)
	verify cpubatch "$fkb"
	[ $(($(mo cpu_pages) - c0)) -ge $((pages * 95 / 100)) ] ||
		fail "cpubatch: cpu_pages +$(($(mo cpu_pages) - c0)) of $pages"
	echo 0 >$MO/cpu_batch

	echo 1 >$P_MT/offloading || fail "mtcopy offloading"
	[ "$(cat $MO/migrator)" = mtcopy ] || fail "migrator is '$(cat $MO/migrator)'"
	echo 1 >$P_DC/offloading 2>/dev/null && fail "second migrator registered"
	for t in 1 2; do
		echo $t >$P_MT/nr_threads || fail "nr_threads $t"
		p0=$(mo offloaded_pages) b0=$(cat $P_MT/batches)
		verify "mtcopy-$t" "$fkb"
		[ $(($(mo offloaded_pages) - p0)) -ge $((pages * 95 / 100)) ] ||
			fail "mtcopy-$t: offloaded_pages +$(($(mo offloaded_pages) - p0)) of $pages"
		[ "$(cat $P_MT/batches)" -gt "$b0" ] || fail "mtcopy-$t: no batch"
	done
	echo 0 >$P_MT/offloading || fail "mtcopy off"

	echo 4 >$P_DC/nr_dma_chan || fail "nr_dma_chan"
	echo 1 >$P_DC/offloading || fail "dcbm offloading"
	[ "$(cat $MO/migrator)" = dcbm ] || fail "migrator is '$(cat $MO/migrator)'"
	echo 2 >$P_DC/nr_dma_chan 2>/dev/null && fail "nr_dma_chan changed while offloading"
	f0=$(cat $P_DC/folios_migrated) d0=$(cat $P_SW/descriptors)
	verify dcbm "$fkb"
	[ "$(cat $P_DC/folios_migrated)" -gt "$f0" ] || fail "dcbm: no folio copied by DMA"
	[ "$(cat $P_SW/descriptors)" -gt "$d0" ] || fail "dcbm: the DMA engine executed nothing"

	echo 3 >$P_SW/fail_every
	b0=$(cat $P_DC/fallbacks) x0=$(cat $P_SW/failed) fb0=$(mo fallbacks)
	verify dcbm-fail "$fkb"
	echo 0 >$P_SW/fail_every
	[ "$(cat $P_SW/failed)" -gt "$x0" ] || fail "dcbm-fail: no descriptor failed"
	[ "$(cat $P_DC/fallbacks)" -gt "$b0" ] || fail "dcbm-fail: no fallback counted"
	[ "$(mo fallbacks)" -gt "$fb0" ] || fail "dcbm-fail: core counted no fallback"

	echo 300000 >$P_SW/delay_us
	echo 50 >$P_DC/timeout_ms
	t0=$(cat $P_DC/timeouts)
	out=$("$PM" verify -s 2 -f "$fkb" -n 2 -m 95 2>&1) || { echo "$out"; fail "dcbm-slow: pagemove verify"; }
	echo "$out" | grep '^verify:' | sed 's/^/# dcbm-slow: /'
	echo 0 >$P_SW/delay_us
	echo 2000 >$P_DC/timeout_ms
	[ "$(cat $P_DC/timeouts)" -gt "$t0" ] || fail "dcbm-slow: no timeout"
	echo 0 >$P_DC/offloading || fail "dcbm off"
	[ "$(cat $MO/migrator)" = none ] || fail "migrator still '$(cat $MO/migrator)'"
done

# Bad input: nothing changes.
echo "syscall_or_cpuset bogus" >$MO/reasons 2>/dev/null && fail "bogus reason accepted"
[ "$(cat $MO/reasons)" = "syscall_or_cpuset" ] || fail "a rejected write changed reasons"
echo 0 >$P_MT/nr_threads 2>/dev/null && fail "nr_threads 0 accepted"
echo 17 >$P_DC/nr_dma_chan 2>/dev/null && fail "nr_dma_chan 17 accepted"

# Unload and switch off while migrations run: they keep completing
# (unload: tests/vm/lib/offload.sh).
echo 2 >$P_MT/nr_threads
echo 1 >$P_MT/offloading || fail "mtcopy on"
"$PM" verify -s "$MIB" -f 4 -n 40 -m 95 >/tmp/co-unload.out 2>&1 &
job=$!
sleep 1
unload mtcopy || fail "rmmod mtcopy while offloading"
note "rmmod mtcopy while migrating: $unload_retries busy retries"
[ "$(cat $MO/migrator)" = none ] || fail "migrator '$(cat $MO/migrator)' after rmmod"
echo 1 >$P_DC/offloading || fail "dcbm on"
sleep 1
echo 0 >$P_DC/offloading || fail "dcbm off while migrating"
echo 1 >$P_DC/offloading || fail "dcbm on again"
sleep 1
unload dcbm || fail "rmmod dcbm while offloading"
note "rmmod dcbm while migrating: $unload_retries busy retries"
wait $job || { tail -20 /tmp/co-unload.out; fail "migrations failed across unload"; }
grep '^verify:' /tmp/co-unload.out | sed 's/^/# unload: /'

# dmatest against the software engine (dcbm is gone: all channels free).
DT=/sys/module/dmatest/parameters
[ -d $DT ] || fail "no dmatest (CONFIG_DMATEST)"
echo 2000 >$DT/timeout; echo 200 >$DT/iterations; echo 1 >$DT/threads_per_chan
echo "" >$DT/channel
dmesg -c >/dev/null 2>&1 || true
echo 1 >$DT/run || fail "dmatest run"
for i in $(seq 1 120); do
	[ "$(cat $DT/run)" = N ] && break
	sleep 0.5
done
res=$(dmesg | grep 'dmatest: .*summary')
echo "$res" | sed 's/^/# /'
n=$(echo "$res" | grep -c ' 200 tests, 0 failures')
[ "$n" -ge 4 ] || fail "dmatest: $n of 4 channels passed 200 tests without failure"
# kmigrated promotion through mtcopy: memory.promotion.stat tells who
# copied (copied_offload), and promoted = copied_cpu + copied_offload.
KM=/sys/kernel/mm/kmigrated HOTMEM=${HOTMEM:-$BIN/hotmem}
[ -d $KM ] || fail "kernel without kmigrated"
modprobe_test mtcopy || fail "modprobe mtcopy again"
echo "numa_misplaced" >$MO/reasons || fail "reasons numa_misplaced"
echo 2 >$P_MT/nr_threads && echo 1 >$P_MT/offloading || fail "mtcopy on for promotion"
echo 1 >$KM/enabled || fail "kmigrated on"
cg_create co_promo
numab_tiering_fast
out=$("$HOTMEM" -s 32 -t 30 -u 99 -c "$CG/co_promo" -i 500) || fail "hotmem: $out"
numab_off
PS=$CG/co_promo/memory.promotion.stat
pr=$(stat_get $PS promoted) || exit 1
cc=$(stat_get $PS copied_cpu) || exit 1
co=$(stat_get $PS copied_offload) || exit 1
note "promotion: promoted=$pr copied_cpu=$cc copied_offload=$co"
[ "$pr" -ge 4096 ] || fail "only $pr pages promoted"
[ "$pr" -eq $((cc + co)) ] || fail "promoted $pr != copied_cpu $cc + copied_offload $co"
[ $((co * 10)) -ge $((pr * 9)) ] || fail "mtcopy copied only $co of $pr promoted pages"
echo 0 >$P_MT/offloading

echo "ok: zero corrupted pages over none, cpubatch, mtcopy 1/2, dcbm, dcbm with failures and timeouts; unload safe; dmatest passed on $n channels; promotion counted as offloaded"
