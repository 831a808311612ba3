#!/bin/sh
# kmigrated-exec: async promotion refuses what synchronous promotion
# refuses: an executable folio mapped by more than one process
# (migrate_misplaced_folio_prepare(): most likely a shared library).
# kmigrated isolates by PFN without a VMA, so the hint fault must apply
# that check before it hands a folio over. The check is for file folios
# (page cache; shmem and anonymous memory are promoted whatever their
# protection), so tests/bin/execshare writes a MIB MiB file on the
# scratch ext4 disk, maps it MAP_SHARED in two processes that keep
# reading it; its clean page cache starts on node 1. Three runs in one boot, each in a cgroup of its
# own with tiering-mode NUMA balancing on for SECS s:
#   async, PROT_EXEC: no page promoted, though hint faults keep coming
#     (numa_hint_faults rises by more than the pages);
#   async, without PROT_EXEC: the control, most pages promoted (so the
#     first run's 0 is not a scanner that never looked);
#   sync (kmigrated enabled=0), PROT_EXEC: no page promoted, as upstream.
. "$CGTIER_TOP/tests/vm/lib/common.sh"

KM=/sys/kernel/mm/kmigrated
MIB=${MIB:-16} SECS=${SECS:-20}
need_kmigrated
[ -x "$BIN/execshare" ] || fail "no execshare at $BIN/execshare (make vm-tools)"
mountpoint -q "${CGTIER_SCRATCH:-/nonexistent}" ||
	fail "no scratch disk at '${CGTIER_SCRATCH:-}' (tests/vm/init.sh mounts one)"
pages=$((MIB * 256))
cleanup() { numab_off; echo 1 >$KM/enabled; cg_cleanup; rm -f "$CGTIER_SCRATCH"/execshare-*; }

# run NAME ENABLED [-x]: prints the pages on node 0 at the end as N0, the
# rise of numa_hint_faults as CAND, of kmigrated_candidates as KCAND
run() {
	name=$1 enabled=$2
	shift 2
	numab_off
	echo "$enabled" >$KM/enabled || fail "cannot set kmigrated enabled=$enabled"
	cg_create "kmig_exec_$name"
	trap cleanup EXIT
	log=/tmp/execshare-$name.log
	rm -f /tmp/execshare-go
	start_bg "$log" ready "$BIN/execshare" -f "$CGTIER_SCRATCH/execshare-$name" -s "$MIB" \
		-t "$SECS" -c "$CG/kmig_exec_$name" -p /tmp/execshare-go "$@"
	pid=$bgpid
	c0=$(stat_get /proc/vmstat numa_hint_faults) || exit 1
	k0=$(stat_get /proc/vmstat kmigrated_candidates) || exit 1
	numab_tiering_fast
	touch /tmp/execshare-go
	wait $pid || fail "execshare ($name): $(cat "$log")"
	numab_off
	sleep 1	# a batch in flight
	CAND=$(($(stat_get /proc/vmstat numa_hint_faults) - c0))
	KCAND=$(($(stat_get /proc/vmstat kmigrated_candidates) - k0))
	N0=$(field "$(grep '^final' "$log")" node0)
	[ -n "$N0" ] || fail "execshare ($name) reported no placement: $(cat "$log")"
	note "$name: $N0 of $pages pages on node 0; numa_hint_faults +$CAND, kmigrated_candidates +$KCAND"
}

run async-exec 1 -x
[ "$N0" -le $((pages / 100)) ] ||
	fail "async-exec: $N0 of $pages shared executable pages promoted; synchronous promotion refuses them"
[ "$CAND" -gt "$pages" ] || fail "async-exec: only $CAND hint faults on $pages pages"
[ "$KCAND" -eq 0 ] ||
	fail "async-exec: $KCAND shared executable pages handed to kmigrated"

run async-control 1
[ "$N0" -ge $((pages / 2)) ] ||
	fail "async-control: only $N0 of $pages pages promoted without PROT_EXEC (the scanner did not see the memory?)"

run sync-exec 0 -x
[ "$N0" -le $((pages / 100)) ] ||
	fail "sync-exec: $N0 of $pages shared executable pages promoted by the upstream path"
[ "$CAND" -gt "$pages" ] || fail "sync-exec: only $CAND hint faults on $pages pages"
echo "ok: shared executable pages stay on node 1 in async and in sync mode; the control promoted"
