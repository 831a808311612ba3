#!/bin/sh
# Guest half of bench/copy-offload.sh, one boot:
# 1. move_pages() throughput (tests/bin/pagemove.c bench: MIB MiB node 0 ->
#    1 -> 0, RUNS times, median GB/s of all moves) for folio sizes 4K..2M,
#    with each copy path: upstream per-folio copy (no migrator), the batch
#    copy by the CPU (cpu_batch), mtcopy with 1 and 2 threads, and dcbm over
#    the test-only software DMA engine (4 channels; it copies with the CPU,
#    so it measures the framework's overhead, not DMA hardware); dcbmN
#    names dcbm over N channels (PATHS="dcbm1 dcbm2 dcbm4": how one large
#    folio's copy spreads over them).
#    Prints: MOVE path=P folio_kb=F gbps=X
# 2. First-folio latency against batch size (4K folios): how long after
#    move_pages() starts page 0 is accessible again at its destination.
#    Prints: LAT path=P pages=N first_ms=X total_ms=Y
# 3. kmigrated promotion of PROMO_MIB MiB (one cgroup, kmigrated reniced)
#    with each path, through tests/vm/bench/promote.sh; upstream sync
#    promotion measured alongside. Prints promote.sh's RESULT lines with
#    path=P prepended.
# SIZES, PATHS (a path may repeat: each occurrence is measured and printed
# again, to see order effects) and PARTS ("move lat promo" by default)
# narrow a run.
. "$CGTIER_TOP/tests/vm/lib/common.sh"
. "$CGTIER_TOP/tests/vm/lib/copy-path.sh"

THP=/sys/kernel/mm/transparent_hugepage
PM=$BIN/pagemove
MIB=${MIB:-64} RUNS=${RUNS:-3} PROMO_MIB=${PROMO_MIB:-256}
SIZES=${SIZES:-4 16 64 256 1024 2048}
PATHS=${PATHS:-upstream batch mtcopy1 mtcopy2 dcbm}
PARTS=${PARTS:-move lat promo}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
[ -d $MO ] || skip "kernel without migration copy offload"
copy_path_load

# thp_only KB: enable only the KB-sized (m)THP, or none for 4
thp_only() {
	for d in $THP/hugepages-*kB; do echo never 2>/dev/null >"$d/enabled"; done
	echo madvise >$THP/enabled
	[ "$1" -gt 4 ] && { echo madvise >"$THP/hugepages-${1}kB/enabled" || fail "no ${1}kB THP"; }
	return 0
}

echo "syscall_or_cpuset" >$MO/reasons
part move && for f in $SIZES; do
	thp_only "$f"
	for p in $PATHS; do
		copy_path "$p"
		ts0=$(stat_get /proc/vmstat thp_migration_success) || exit 1
		tp0=$(stat_get /proc/vmstat thp_migration_split) || exit 1
		out=$("$PM" bench -s "$MIB" -f "$f" -r "$RUNS" 2>&1) || { echo "$out"; fail "pagemove bench $p $f"; }
		folios=$(echo "$out" | sed -n 's/^setup:.*folios=\([^ ]*\).*/\1/p')
		g=$(echo "$out" | sed -n 's/^bench:.*median_gbps=\([0-9.]*\).*/\1/p')
		# PMD-sized folios migrated whole, and split because no 2M target
		# was free: a split one moves as 512 small folios.
		ts=$(($(stat_get /proc/vmstat thp_migration_success) - ts0))
		tp=$(($(stat_get /proc/vmstat thp_migration_split) - tp0))
		echo "MOVE path=$p folio_kb=$f gbps=$g folios=$folios thp_moved=$ts thp_split=$tp"
	done
done

thp_only 4
part lat && for n in 16 64 256 512; do
	for p in $PATHS; do
		copy_path "$p"
		out=$("$PM" latency -s $((n * 4)) -f 4 -r 9 2>&1)
		l=$(echo "$out" | grep '^latency:')
		first=$(field "$l" median_first_ms) total=$(field "$l" median_total_ms)
		echo "LAT path=$p pages=$n first_ms=${first:-none} total_ms=${total:-none}"
	done
done
copy_path upstream

echo "numa_misplaced" >$MO/reasons
part promo && for p in $PATHS; do
	copy_path "$p"
	modes=asyncn
	[ "$p" = upstream ] && modes="sync asyncn"
	NCGS=1 MODES="$modes" RUNS=$RUNS TOTAL=$PROMO_MIB "$CGTIER_TOP/tests/vm/bench/promote.sh" |
		sed -n "s/^RESULT /PROMO path=$p /p"
done
copy_path upstream
echo "numa_misplaced demotion" >$MO/reasons
