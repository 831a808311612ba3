#!/bin/sh
# kmigrated-record: a NUMA hint fault that hands a promotion candidate to
# kmigrated allocates nothing. kmem:kmalloc, traced with its stack for the
# faulting task and for the kworkers while a fresh cgroup's pages are
# promoted, shows no allocation from kmigrated code under the page fault
# (an earlier version allocated the cgroup's queue, and grew it, in the
# fault, with interrupts off), and the queue allocated outside it
# instead, charged to the cgroup (accounted=true): by the faulting task
# filing its CPU's candidates in task work on its way back to user space
# (patch 0028), or by the CPU's filing work (a kworker).
. "$CGTIER_TOP/tests/vm/lib/common.sh"

KM=/sys/kernel/mm/kmigrated
HOTMEM=${HOTMEM:-$BIN/hotmem}
MIB=${MIB:-32} SECS=${SECS:-15}
need_kmigrated
[ -x "$HOTMEM" ] || fail "no hotmem at $HOTMEM (make vm-tools)"
T=/sys/kernel/tracing
mountpoint -q $T || mount -t tracefs nodev $T || fail "cannot mount tracefs"
[ -d $T/events/kmem/kmalloc ] || fail "no kmem:kmalloc trace event"

cleanup() {
	echo 0 >$T/tracing_on
	echo 0 >$T/options/stacktrace
	echo 0 >$T/events/kmem/kmalloc/enable
	echo 0 >$T/events/kmem/kmalloc/filter
	numab_off
	cg_cleanup
}
trap cleanup EXIT

# start NAME: hotmem in cgroup NAME, memory on node 1, waiting for $start;
# sets bgpid and log
start=/tmp/kmigrated-record.start
start() {
	rm -f $start
	log=/tmp/kmigrated-record-$1.log
	start_bg "$log" moved "$HOTMEM" -s "$MIB" -t "$SECS" -c "$CG/$1" -i 1000 -S -p $start
}

echo 1 >$KM/enabled || fail "cannot enable kmigrated"
cg_create kmrec_a
trap cleanup EXIT
start kmrec_a
echo 0 >$T/tracing_on
echo >$T/trace
echo 4096 >$T/buffer_size_kb
echo "common_pid == $bgpid || comm ~ \"kworker*\"" >$T/events/kmem/kmalloc/filter ||
	fail "cannot set the trace filter"
echo 1 >$T/options/stacktrace || fail "cannot trace the events' stacks"
echo 1 >$T/events/kmem/kmalloc/enable
echo 1 >$T/tracing_on
c0=$(stat_get /proc/vmstat kmigrated_candidates) || exit 1
numab_tiering_fast
touch $start
wait $bgpid || fail "hotmem: $(cat "$log")"
numab_off
sleep 1	# staged candidates filed
echo 0 >$T/tracing_on
cand=$(($(stat_get /proc/vmstat kmigrated_candidates) - c0))
cp $T/trace /tmp/kmigrated-record.trace
# Each kmalloc from kmigrated code, by where its stack says it ran: FAULT
# (under the page fault handler), TASKWORK (the faulting task's task
# work), WORK (a kworker); "accounted" if charged to a memcg.
where=$(awk '
	function done() {
		if (cur != "")
			print cur, acc
		cur = ""
	}
	/<stack trace>/ { next }
	/^ *=> / {
		if (cur != "" && $2 ~ /^(handle_mm_fault|exc_page_fault|do_user_addr_fault)$/)
			cur = "FAULT"
		else if (cur == "OTHER" && $2 == "task_work_run")
			cur = "TASKWORK"
		next
	}
	{
		done()
		if ($0 !~ /kmalloc: .*call_site=kmigrated/)
			next
		cur = ($1 ~ /^kworker/) ? "WORK" : "OTHER"
		acc = ($0 ~ /accounted=true/) ? "accounted" : "-"
	}
	END { done() }' /tmp/kmigrated-record.trace)
in_fault=$(echo "$where" | grep -c '^FAULT') || true
outside=$(echo "$where" | grep -cE '^(TASKWORK|WORK) accounted') || true
note "kmigrated_candidates +$cand; kmalloc from kmigrated code: $in_fault under hotmem's faults, $outside accounted outside them ($(echo "$where" | grep -c '^TASKWORK') in task work, $(echo "$where" | grep -c '^WORK') in kworkers)"
note "$(grep '^final' "$log")"
[ "$cand" -gt 0 ] || fail "no candidate handed to kmigrated: nothing was tested"
[ "$in_fault" -eq 0 ] || {
	grep -B2 -A12 -E "^ *hotmem-$bgpid .*call_site=kmigrated" /tmp/kmigrated-record.trace | head -40
	fail "$in_fault allocations by kmigrated code in the hint faults"
}
[ "$outside" -gt 0 ] || {
	grep -A12 -E "call_site=kmigrated" /tmp/kmigrated-record.trace | head -40
	fail "no queue allocated outside the fault and charged to the cgroup"
}
echo "ok: no allocation by kmigrated code in the hint faults ($cand candidates), $outside outside them, charged"

