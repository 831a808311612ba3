#!/bin/sh
# memory.promotion.stat counts a removed cgroup exactly once in its
# ancestors (cgroup-v2.rst's promise for hierarchical counters): children
# promote, one of them is throttled to a standstill with candidates
# queued, then removed while a tmpfs page it charged keeps it a zombie.
# The parent's counters do not move, except queued and dropped_offline,
# which move by exactly what the removed child had queued; and they equal
# the live child's counters plus the removed child's final ones.
# Before the fix the zombie was summed once directly and once through the
# counters folded into its parent: candidates and promoted doubled.
. "$CGTIER_TOP/tests/vm/lib/common.sh"
. "$CGTIER_TOP/tests/vm/lib/control.sh"
control_init
SHM=/tmp/ctl-shm

mkcg cs/ cs/a cs/b
cleanup_shm() { rm -f $SHM/pin; umount $SHM 2>/dev/null; control_cleanup; }
trap cleanup_shm EXIT
start cs/a 64 1
start cs/b 64 2
ready
go
for i in $(seq 1 100); do
	[ "$(promoted cs/a)" -gt 512 ] && [ "$(promoted cs/b)" -gt 512 ] && break
	sleep 0.3
done
# a: no budget any more, so what it queues from now on stays queued
echo 0 >$CG/cs/a/memory.promotion.max || fail "limit 0"
for i in $(seq 1 100); do
	[ "$(stat_get $CG/cs/a/memory.promotion.stat queued)" -gt 0 ] && break
	sleep 0.2
done
stop_all
wait_drained cs/b
qa=$(stat_get $CG/cs/a/memory.promotion.stat queued)
[ "$qa" -gt 0 ] || fail "a has nothing queued: $(tr '\n' ' ' <$CG/cs/a/memory.promotion.stat)"
# a tmpfs page charged to a keeps it a zombie after rmdir
mkdir -p $SHM && mount -t tmpfs none $SHM || fail "mount tmpfs"
sh -c "echo \$\$ >$CG/cs/a/cgroup.procs && echo pin >$SHM/pin" || fail "charge a tmpfs page to a"
before=$(cat $CG/cs/memory.promotion.stat)
a_final=$(cat $CG/cs/a/memory.promotion.stat)
dying0=$(stat_get $CG/cs/cgroup.stat nr_dying_descendants)
rmdir $CG/cs/a || fail "rmdir a"
dying1=$(stat_get $CG/cs/cgroup.stat nr_dying_descendants)
[ "$dying1" -gt "$dying0" ] || fail "a is not a zombie (nr_dying_descendants $dying0 -> $dying1)"
after=$(cat $CG/cs/memory.promotion.stat)
b=$(cat $CG/cs/b/memory.promotion.stat)
note "a had $qa pages queued; parent before: $(echo $before) after: $(echo $after)"
printf '%s\n' "$before" >/tmp/cs.before
printf '%s\n' "$after" >/tmp/cs.after
printf '%s\n' "$a_final" >/tmp/cs.a
printf '%s\n' "$b" >/tmp/cs.b
awk -v qa="$qa" '
	FILENAME == "/tmp/cs.before" { pre[$1] = $2; next }
	FILENAME == "/tmp/cs.after" { post[$1] = $2; next }
	FILENAME == "/tmp/cs.a" { a[$1] = $2; next }
	{ b[$1] = $2 }
	END {
		for (k in pre) {
			want = pre[k]
			if (k == "queued") want -= qa
			if (k == "dropped_offline") want += qa
			if (post[k] != want) { printf "FAIL: parent %s: %d before, %d after removal (expected %d)\n", k, pre[k], post[k], want; bad = 1 }
			# a as it ended: its queue was dropped at offline
			av = a[k]
			if (k == "queued") av = 0
			if (k == "dropped_offline") av += qa
			if (post[k] != av + b[k]) { printf "FAIL: parent %s = %d, not live child %d + removed child %d\n", k, post[k], b[k], av; bad = 1 }
		}
		exit bad
	}' /tmp/cs.before /tmp/cs.after /tmp/cs.a /tmp/cs.b || exit 1
rm -f $SHM/pin
echo "ok: removed child counted once in its parent ($qa queued pages moved to dropped_offline)"
