#!/bin/sh
# Migrator unload races (issue #17, defect 2): a write to a migrator's
# "offloading" parameter may run while the module's exit function runs.
# If it registers the migrator then, the registration outlives the module
# and the next migration (or a read of .../migrate_offload/migrator) calls
# into freed memory; dcbm would also keep its DMA channels.
#
# For each migrator, 40 times: load it, start a writer switching
# "offloading" on and off as fast as it can, migrate pages with
# move_pages() in the background, and unload the module (retrying while
# it is busy). Afterwards the registered migrator must read "none", the
# modules must be gone, no DMA channel may still be held (the software
# engine unloads), and a migration with the CPU batch copy must still
# verify every word. kmemleak (the plan's boot) and the harness's dmesg
# check catch leaks and splats.
. "$CGTIER_TOP/tests/vm/lib/common.sh"
. "$CGTIER_TOP/tests/vm/lib/offload.sh"

offload_begin
offload_restore_more() {
	[ -n "${writer:-}" ] && kill "$writer" 2>/dev/null
	[ -n "${mover:-}" ] && kill "$mover" 2>/dev/null
	wait 2>/dev/null
}

echo syscall_or_cpuset >$MO/reasons || fail "cannot set reasons"
modprobe_test swcopy-test nr_channels=4 || fail "modprobe swcopy-test"

"$PM" verify -s 4 -f 4 -n 100000 -m 0 >"$CGTIER_OUT/unload-mover.out" 2>&1 &
mover=$!
for m in mtcopy dcbm; do
	busy=0
	for i in $(seq 40); do
		modprobe_test $m || fail "modprobe $m (round $i)"
		[ $m = dcbm ] && echo 2 >/sys/module/dcbm/parameters/nr_dma_chan
		P=/sys/module/$m/parameters/offloading
		sh -c "while :; do echo 1 >$P; echo 0 >$P; done" 2>/dev/null &
		writer=$!
		sleep 0.0$((i % 10))
		unload $m || fail "rmmod $m (round $i)"
		kill $writer 2>/dev/null
		wait $writer 2>/dev/null
		writer=
		[ "$(cat $MO/migrator)" = none ] ||
			fail "$m unloaded in round $i but migrator reads '$(cat $MO/migrator)'"
	done
	note "$m: 40 load/unload rounds against offloading writes and migrations"
done
kill $mover 2>/dev/null
wait $mover 2>/dev/null
mover=
grep -q '^round' "$CGTIER_OUT/unload-mover.out" || { cat "$CGTIER_OUT/unload-mover.out"; fail "no migration ran during the unloads"; }
grep -E 'corrupt=[1-9]|wrong_node=[1-9]' "$CGTIER_OUT/unload-mover.out" && fail "data lost during the unloads"
[ -d /sys/module/mtcopy ] && fail "mtcopy still loaded"
[ -d /sys/module/dcbm ] && fail "dcbm still loaded"
rmmod swcopy-test || fail "swcopy-test cannot unload: DMA channels still held"

echo 1 >$MO/cpu_batch
"$PM" verify -s 8 -f 4 -n 2 -m 95 >"$CGTIER_OUT/unload-after.out" 2>&1 ||
	{ cat "$CGTIER_OUT/unload-after.out"; fail "migration after the unloads"; }
echo 0 >$MO/cpu_batch
echo "PASS: 80 unloads against offloading writes; migrator none, modules and channels gone, migrations intact"
