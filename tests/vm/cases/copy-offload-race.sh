#!/bin/sh
# A writer racing the batch copy of migration (issue #17, defect 1): the
# data a folio's batch copy took must not be moved if someone could still
# write the folio. The kernel's test hook
# (CONFIG_MIGRATE_OFFLOAD_RACE_TEST, /sys/kernel/debug/migrate_offload/
# race_test) holds a reference on the first folio of the next batch copy,
# writes a magic value into it after the copy and lets go:
#   mode 1  reference taken before the copy, dropped before the move
#           (an O_DIRECT read that completes while the batch is copied);
#   mode 2  reference taken before the copy, dropped after the first move
#           attempt failed for it (completes between two passes);
#   mode 3  reference taken after the copy, dropped after the first failed
#           move attempt.
# tests/bin/pagemove.c verify -W arms the hook before every move_pages()
# round and requires the magic value in exactly one page each round, with
# every other word of every page intact, over each copy path: the CPU
# batch copy, mtcopy with 1 and 2 threads, and dcbm on the test-only
# software DMA engine, for 4K pages and 2M THPs.
. "$CGTIER_TOP/tests/vm/lib/common.sh"
. "$CGTIER_TOP/tests/vm/lib/offload.sh"

RACE=/sys/kernel/debug/migrate_offload/race_test
offload_begin
[ -e "$RACE" ] || fail "no $RACE: the test kernel needs CONFIG_MIGRATE_OFFLOAD_RACE_TEST"
offload_restore_more() { echo 0 >$RACE; }

modprobe_test swcopy-test nr_channels=4 || fail "modprobe swcopy-test"
modprobe_test mtcopy || fail "modprobe mtcopy"
modprobe_test dcbm || fail "modprobe dcbm"
P_MT=/sys/module/mtcopy/parameters P_DC=/sys/module/dcbm/parameters
echo syscall_or_cpuset >$MO/reasons || fail "cannot set reasons"
echo madvise >$THP/enabled || fail "THP madvise"

writes() { sed -n 's/^writes //p' $RACE; }

# race PATH FOLIO_KB MODE: 4 rounds, each must keep its racing write
race() {
	w0=$(writes)
	out=$("$PM" verify -s 4 -f "$2" -n 4 -m 90 -W "$RACE" -w "$3" 2>&1)
	rc=$?
	echo "$out" | grep -E '^(round [0-9]+: target|verify:)' | sed "s/^/# $1 ${2}K mode $3: /"
	[ $(($(writes) - w0)) -eq 4 ] ||
		fail "$1 ${2}K mode $3: the hook wrote $(($(writes) - w0)) times in 4 rounds"
	if [ $rc -ne 0 ]; then
		echo "$out" | grep -E '^(round [0-9]+: corrupt|pagemove:)' | head -4
		lost="$lost $1/${2}K/mode$3"
	fi
}
lost=

for fkb in 4 2048; do
	for mode in 1 2 3; do
		echo 1 >$MO/cpu_batch
		race cpubatch "$fkb" "$mode"
		echo 0 >$MO/cpu_batch

		echo 1 >$P_MT/offloading || fail "mtcopy on"
		for t in 1 2; do
			echo $t >$P_MT/nr_threads
			race "mtcopy-$t" "$fkb" "$mode"
		done
		echo 0 >$P_MT/offloading || fail "mtcopy off"

		echo 4 >$P_DC/nr_dma_chan
		echo 1 >$P_DC/offloading || fail "dcbm on"
		race dcbm "$fkb" "$mode"
		echo 0 >$P_DC/offloading || fail "dcbm off"
	done
done
[ -z "$lost" ] || fail "racing write lost or data corrupted in:$lost"
echo "PASS: every racing write kept over cpubatch, mtcopy-1/2 and dcbm, 4K and 2M, modes 1-3"
