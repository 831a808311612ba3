#!/bin/sh
# kmigrated-help: when a memcg's queue on a node backs up because the
# node's thread gets no CPU, the memcg's own faulting tasks promote it, a
# bounded batch at a time in task work on their way back to user space,
# counted as "helped" in memory.promotion.stat; kmigrated/help_pages=0
# switches that off; memory.promotion.max and memory.promotion.weight
# hold with helpers and threads promoting from one budget; a cgroup
# removed while its tasks have help queued or running leaves no splat and
# no leak.
# For (a), (b) and (e) the threads (kmigrated1, kmigrated2) are pinned to
# CPU 1 as SCHED_IDLE tasks beside a busy loop there, so they get next to
# no CPU, as on a host whose CPUs are all busy with faulting workloads;
# the workloads fault on CPU 0. Under a limit (c, d) the threads run as
# usual: helpers only come with hint faults, which a throttled cgroup
# takes in bursts, one per NUMA scan, while the budget refills all the
# time, so the thread, which sleeps until it has, is what uses a limit
# to the full; the helpers take from the same buckets meanwhile.
# Runs on the control bed (two lower-tier nodes, VM_NODE2_MB).
# Before the help path existed there was no "helped" key, and a starved
# thread left the queue waiting: the first case fails on such a kernel.
. "$CGTIER_TOP/tests/vm/lib/common.sh"
. "$CGTIER_TOP/tests/vm/lib/control.sh"
control_init
command -v chrt >/dev/null && command -v taskset >/dev/null ||
	fail "no chrt/taskset (util-linux) in the guest"
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs, the guest has $(nproc)"
WIN=${WIN:-8}
help0=$(cat $KM/help_pages) || fail "no $KM/help_pages: a kernel without the help path"
kpids=$(pgrep -x 'kmigrated[0-9]+') || fail "no kmigrated thread"
hog=
unstarve() {
	[ -n "$hog" ] && kill "$hog" 2>/dev/null
	hog=
	for p in $kpids; do
		chrt -o -p 0 "$p" >/dev/null 2>&1
		taskset -pc "0-$(($(nproc) - 1))" "$p" >/dev/null 2>&1
	done
}
help_cleanup() {
	unstarve
	echo "$help0" >$KM/help_pages
	control_cleanup
}
trap help_cleanup EXIT

# starve: the threads on CPU 1 only, SCHED_IDLE, a nice-0 loop beside them
starve() {
	for p in $kpids; do
		taskset -pc 1 "$p" >/dev/null || fail "cannot move $p to CPU 1"
		chrt -i -p 0 "$p" || fail "cannot make $p SCHED_IDLE"
	done
	taskset -c 1 sh -c 'while :; do :; done' &
	hog=$!
}
starve

# hstart CGROUP MIB NODE: a hot workload on CPU 0, as start() (control.sh)
hstart() {
	rm -f /tmp/ctl-go
	o=/tmp/ctl_$(echo "$1" | tr / _)_$3.out
	taskset -c 0 "$HOTMEM" -S -p /tmp/ctl-go -s "$2" -n "$3" -t 180 -c "$CG/$1" \
		-i 1000 >"$o" 2>&1 &
	jobs_="$jobs_ $!"
	CTL_OUTS="${CTL_OUTS:-} $o"
}
st() { stat_get "$CG/$1/memory.promotion.stat" "$2" || exit 1; }
# spent CGROUP PAGES: wait (30 s at most) until CGROUP promoted PAGES, so
# that its limit's initial burst is spent before a window opens
spent() {
	for i in $(seq 1 60); do
		[ "$(promoted "$1")" -gt "$2" ] && break
		sleep 0.5
	done
	sleep 1
}

# (a) the help path engages: most of what is promoted, the tasks promoted
echo 512 >$KM/help_pages || fail "cannot set help_pages"
mkcg kh_on
hstart kh_on 64 1
ready
go
window kh_on $WIN
on_p=$W_1 on_h=$(st kh_on helped) on_c=$(st kh_on candidates)
stop_all
note "(a) help_pages=512: $on_p pages promoted in ${W_DT}s, $on_h helped, $on_c candidates; $(tr '\n' ' ' <$CG/kh_on/memory.promotion.stat)"
[ "$on_c" -ge 4096 ] || fail "(a) only $on_c candidates: the scanner hardly looked"
[ "$on_h" -gt 0 ] || fail "(a) no page helped while kmigrated was starved"
[ $((on_h * 2)) -ge "$(st kh_on promoted)" ] ||
	fail "(a) only $on_h of $(st kh_on promoted) promoted pages helped while kmigrated was starved"
echo "ok (a) the help path engages: $on_h of $(st kh_on promoted) pages helped"

# (b) and stops: help_pages=0 leaves the starved thread alone
echo 0 >$KM/help_pages || fail "cannot set help_pages"
mkcg kh_off
hstart kh_off 64 1
ready
go
window kh_off $WIN
off_p=$W_1 off_h=$(st kh_off helped)
stop_all
note "(b) help_pages=0: $off_p pages promoted in ${W_DT}s, $off_h helped"
[ "$off_h" = 0 ] || fail "(b) $off_h pages helped with help_pages=0"
[ "$on_p" -ge $((off_p * 4)) ] ||
	fail "(b) helping promoted $on_p pages, the starved thread alone $off_p: helping added nothing"
echo "ok (b) help_pages=0 stops it: $off_p pages promoted by the starved thread alone, against $on_p"
echo 512 >$KM/help_pages || fail "cannot set help_pages"
unstarve

# (c) memory.promotion.max holds with helpers and threads promoting, 4K
# pages from both lower-tier nodes into one 2M bucket
mkcg kh_lim
echo 2M >$CG/kh_lim/memory.promotion.max || fail "set limit"
hstart kh_lim 32 1
hstart kh_lim 32 2
ready
go
spent kh_lim 1024
h0=$(st kh_lim helped)
window kh_lim 10
r=$(rate 0 $W_1 $W_DT) h=$(($(st kh_lim helped) - h0))
stop_all
note "(c) 2M limit: $r MiB/s over ${W_DT}s, $h of the $W_1 pages helped; $(tr '\n' ' ' <$CG/kh_lim/memory.promotion.stat)"
awk -v r="$r" 'BEGIN { exit !(r <= 2.2 && r >= 1.6) }' || fail "(c) $r MiB/s promoted under a 2M limit"
[ "$h" -gt 0 ] || fail "(c) nothing helped in the window: the limit was not tested with helpers"
echo "ok (c) memory.promotion.max holds with helpers: $r MiB/s under 2M"

# (d) weights share a parent's limit between helping children: 1:3
mkcg kh_w/ kh_w/a kh_w/b
echo 4M >$CG/kh_w/memory.promotion.max || fail "set parent limit"
echo 100 >$CG/kh_w/a/memory.promotion.weight || fail "weight a"
echo 300 >$CG/kh_w/b/memory.promotion.weight || fail "weight b"
hstart kh_w/a 48 1
hstart kh_w/b 48 1
ready
go
spent kh_w 2048
window kh_w/a 10 kh_w/b
wa=$W_1 wb=$W_2 ha=$(st kh_w/a helped) hb=$(st kh_w/b helped)
r=$(rate 0 $((wa + wb)) $W_DT)
stop_all
note "(d) weights 100:300 under a shared 4M: a $wa, b $wb pages in ${W_DT}s, $r MiB/s (helped $ha, $hb in all)"
awk -v r="$r" 'BEGIN { exit !(r <= 4.4) }' || fail "(d) $r MiB/s promoted under a shared 4M limit"
[ "$wa" -gt 0 ] && [ "$wb" -gt 0 ] || fail "(d) a cgroup promoted nothing (a $wa, b $wb)"
awk -v a="$wa" -v b="$wb" 'BEGIN { exit !(b / a >= 2 && b / a <= 4.5) }' ||
	fail "(d) b/a = $wb/$wa with weights 300:100 (want about 3)"
[ "$ha" -gt 0 ] && [ "$hb" -gt 0 ] || fail "(d) nothing helped (a $ha, b $hb)"
echo "ok (d) weights hold with helpers: b/a = $wb/$wa"

# (e) cgroups removed while their tasks help: the workload is moved to a
# new cgroup and the old one removed, ten times, while it faults
starve
mkcg kh_rm0
hstart kh_rm0 64 1
pid=${jobs_##* }
ready
go
sleep 2
h0=$(st kh_rm0 helped)
[ "$h0" -gt 0 ] || fail "(e) kh_rm0 had helped nothing before its removal"
i=0
while [ $i -lt 10 ]; do
	mkcg kh_rm$((i + 1))
	echo "$pid" >$CG/kh_rm$((i + 1))/cgroup.procs || fail "(e) cannot move $pid"
	rmdir $CG/kh_rm$i || fail "(e) cannot remove kh_rm$i"
	i=$((i + 1))
	sleep 0.3
done
stop_all
unstarve
note "(e) the last cgroup: $(tr '\n' ' ' <$CG/kh_rm10/memory.promotion.stat)"
kmemleak_check kmigrated
echo "ok (e) ten cgroups removed while their task helped ($h0 pages before the first removal), no leak"
