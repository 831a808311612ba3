#!/bin/sh
# Copy offload inside reclaim (issue #17, defect 3). Demotion runs in
# kswapd and in direct reclaim, where nothing may depend on what a migrator
# needs: memory allocations that recurse into reclaim, a workqueue without
# WQ_MEM_RECLAIM (flushing one from a PF_MEMALLOC task warns), a DMA
# engine's completion with folios locked. The core therefore never offers
# a batch to a migrator from a reclaim context, even when an administrator
# lists "demotion" among the reasons (not the default).
#
# With demotion on and "numa_misplaced demotion" offloaded, a cgroup's
# anonymous memory (tests/bin/fillcheck, 64 MiB, every word checked) is
# reclaimed through memory.reclaim -- cgroup reclaim, PF_MEMALLOC, which
# demotes it to node 1 -- round after round, with mtcopy and then dcbm
# registered: every word must survive, pages must be demoted, no batch may
# be offered to the migrator, and the harness fails the test on any kernel
# warning (lockdep, workqueue flush dependency, hung task). (memory.high
# would not do: demoted pages stay charged, so it only throttles.)
. "$CGTIER_TOP/tests/vm/lib/common.sh"
. "$CGTIER_TOP/tests/vm/lib/offload.sh"

DEMOTE=/sys/kernel/mm/numa/demotion_enabled
FC=${FILLCHECK:-$BIN/fillcheck}
offload_begin
[ -w "$DEMOTE" ] || fail "no $DEMOTE"
[ -x "$FC" ] || fail "no fillcheck at $FC (make vm-tools)"
old_demote=$(cat $DEMOTE)
offload_restore_more() { echo "$old_demote" >$DEMOTE; cg_cleanup; }

modprobe_test swcopy-test nr_channels=4 || fail "modprobe swcopy-test"
modprobe_test mtcopy || fail "modprobe mtcopy"
modprobe_test dcbm || fail "modprobe dcbm"
echo 1 >$DEMOTE || fail "cannot enable demotion"
echo "numa_misplaced demotion" >$MO/reasons || fail "cannot set reasons"

mo() { stat_get $MO/stat "$1" || exit 1; }
# every pgdemote_* counter (kswapd, direct, khugepaged, ...)
demoted() { awk '/^pgdemote_/ { n += $2 } END { print n + 0 }' /proc/vmstat; }

cg_create offload-reclaim
trap offload_restore EXIT

# reclaim NAME: fillcheck 64 MiB in the cgroup, 3 rounds, and reclaim the
# cgroup by 56 MiB between its rounds
reclaim() {
	d0=$(demoted) o0=$(mo offered)
	sh -c "echo \$\$ >$CG/offload-reclaim/cgroup.procs && exec $FC -s 64 -n 3 -w 3" \
		>"$CGTIER_OUT/reclaim-$1.out" 2>&1 &
	fc=$!
	for i in $(seq 1 60); do
		grep -q '^filled' "$CGTIER_OUT/reclaim-$1.out" && break
		sleep 0.5
	done
	for r in 1 2 3; do
		sleep 1
		echo 56M >"$CG/offload-reclaim/memory.reclaim" 2>/dev/null
		note "$1: round $r: memory.current $(cat "$CG/offload-reclaim/memory.current")"
		sleep 2
	done
	wait $fc
	rc=$?
	out=$(cat "$CGTIER_OUT/reclaim-$1.out")
	d=$(($(demoted) - d0)) o=$(($(mo offered) - o0))
	note "$1: $(echo "$out" | tail -1) demoted=$d offered=$o"
	[ $rc -eq 0 ] || { echo "$out"; fail "$1: data lost under demotion (exit $rc)"; }
	[ $d -gt 4096 ] || fail "$1: only $d pages demoted: reclaim did not demote"
	[ $o -eq 0 ] || fail "$1: $o batches offered to the migrator from reclaim"
}

echo 2 >/sys/module/mtcopy/parameters/nr_threads
echo 1 >/sys/module/mtcopy/parameters/offloading || fail "mtcopy on"
reclaim mtcopy
echo 0 >/sys/module/mtcopy/parameters/offloading || fail "mtcopy off"

echo 4 >/sys/module/dcbm/parameters/nr_dma_chan
echo 1 >/sys/module/dcbm/parameters/offloading || fail "dcbm on"
reclaim dcbm
echo 0 >/sys/module/dcbm/parameters/offloading || fail "dcbm off"
case " $mo_old_reasons " in
*" demotion "*) fail "demotion is offloaded by default: $mo_old_reasons" ;;
esac
echo "PASS: demotion in reclaim copied by the CPU with each migrator registered, data intact"
