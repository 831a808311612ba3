#!/bin/sh
# kmigrated-record: a NUMA hint fault that hands a promotion candidate to
# kmigrated allocates nothing. kmem:kmalloc, traced for the faulting task
# and for the kworkers while a fresh cgroup's pages are promoted, shows no
# allocation from kmigrated code in the task (an earlier version
# allocated the cgroup's queue, and grew it, in the fault, with
# interrupts off) and the faulting CPU's filing work (a kworker)
# allocating the queue instead, charged to the cgroup (accounted=true).
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
in_fault=$(grep -cE "^ *hotmem-$bgpid .*call_site=kmigrated" /tmp/kmigrated-record.trace)
in_work=$(grep -cE "^ *kworker/[^ ]*-[0-9]+ .*call_site=kmigrated.*accounted=true" /tmp/kmigrated-record.trace)
note "kmigrated_candidates +$cand; kmalloc from kmigrated code: $in_fault in hotmem's faults, $in_work accounted in kworkers"
note "$(grep '^final' "$log")"
[ "$cand" -gt 0 ] || fail "no candidate handed to kmigrated: nothing was tested"
[ "$in_fault" -eq 0 ] || {
	grep -E "^ *hotmem-$bgpid .*call_site=kmigrated" /tmp/kmigrated-record.trace | head -5
	fail "$in_fault allocations by kmigrated code in the hint faults"
}
[ "$in_work" -gt 0 ] || {
	grep -E "^ *kworker" /tmp/kmigrated-record.trace | head -5
	fail "no filing work allocated a queue charged to the cgroup"
}
echo "ok: no allocation by kmigrated code in the hint faults ($cand candidates), $in_work in the filing works"

