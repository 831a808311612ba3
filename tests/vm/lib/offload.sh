# Helpers for the copy-offload VM tests (sourced after common.sh).
#
# offload_begin: skip without copy offload, remember the reason list and
# the THP mode, and restore them (and unload the migrators and the
# software DMA engine) on exit. A test with more to restore defines
# offload_restore_more.
MO=/sys/kernel/mm/migrate_offload
THP=/sys/kernel/mm/transparent_hugepage
PM=${PAGEMOVE:-$BIN/pagemove}

offload_restore() {
	command -v offload_restore_more >/dev/null && offload_restore_more
	for m in mtcopy dcbm; do
		[ -d /sys/module/$m ] &&
			echo 0 >/sys/module/$m/parameters/offloading 2>/dev/null
	done
	echo 0 >$MO/cpu_batch
	echo "$mo_old_reasons" >$MO/reasons
	echo "$mo_old_thp" >$THP/enabled
	rmmod dcbm mtcopy swcopy-test 2>/dev/null
}

offload_begin() {
	[ -d "$MO" ] || skip "kernel without migration copy offload ($MO missing)"
	[ -x "$PM" ] || fail "no pagemove at $PM (make vm-tools)"
	mo_old_reasons=$(cat $MO/reasons)
	mo_old_thp=$(sed 's/.*\[\(.*\)\].*/\1/' $THP/enabled)
	trap offload_restore EXIT
}

# unload MODULE: rmmod while migrations may run. A batch in flight (or a
# registration in progress) holds a reference on its migrator's module,
# so rmmod fails for a moment: "Module X is in use" (kmod saw the
# reference count) or EAGAIN (delete_module() did). Retries those for up
# to 5 s and fails on anything else; $unload_retries counts the retries.
unload() {
	unload_retries=0
	until rmmod "$1" 2>"$CGTIER_OUT/rmmod.err"; do
		grep -Eq "is in use|temporarily unavailable" "$CGTIER_OUT/rmmod.err" ||
			{ cat "$CGTIER_OUT/rmmod.err"; return 1; }
		unload_retries=$((unload_retries + 1))
		[ $unload_retries -lt 100 ] || return 1
		sleep 0.05
	done
}
