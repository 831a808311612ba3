#!/bin/sh
# cgtier-policyd's damos kernel backend on the test kernel, forced with
# --kernel-backend=damos (the series' knobs are there, and ignored): the
# same YAML policies through DAMON's sysfs. NUMA balancing is off for the
# whole boot (numa_balancing=disable in damos.plan's stage): DAMOS is the
# only promoter.
#  (1) the shipped example policies load and apply through DAMOS: a batch
#      service gets a migrate_hot scheme with the example's 32MiB/s per
#      100ms as quotas/bytes per reset_interval_ms;
#  (2) 16 MiB/s on one cgroup, unlimited on another: over 10 s the first
#      promotes, and never more than 16 MiB/s + 10 % (DAMOS's quota counts
#      the region bytes it tried, so it may undershoot: printed); the
#      unlimited neighbour promotes;
#  (3) a cgroup created after start gets its scheme within 5 s;
#  (4) removing the policy file takes the schemes away within 5 s (their
#      slots apply to nothing), without restarting the kdamond;
#  (5) stopping the daemon leaves no kdamond and nr_kdamonds 0.
. "$CGTIER_TOP/tests/vm/lib/common.sh"
. "$CGTIER_TOP/tests/vm/lib/stack.sh"

HOTMEM=${HOTMEM:-$BIN/hotmem}
WINDOW=${WINDOW:-10}
FLUSH=${FLUSH:-5}
DA=/sys/kernel/mm/damon/admin/kdamonds
S=$CG/damos.slice
SYS=$CG/system.slice
LOG=/tmp/damos-policyd.log
[ -d "$DA" ] || skip "kernel without DAMON sysfs"
[ -x "$HOTMEM" ] || fail "no hotmem at $HOTMEM (make vm-tools)"

jobs_=""
cleanup() {
	kill_jobs
	stack_down
	cg_remove $S/a $S/b $S/c1 $S $SYS/batch-nightly.service $SYS
}
trap cleanup EXIT

# rd FILE: DAMON's sysfs answers EBUSY while a kdamond handles a command
rd() {
	for i in $(seq 1 40); do
		cat "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	cat "$1"
}
# scheme CGROUP: the index of the scheme of kdamond 0 whose memcg filter
# names CGROUP ("/damos.slice/a"); nothing when none
scheme() {
	for d in $DA/0/contexts/0/schemes/[0-9]*; do
		[ "$(rd $d/filters/0/type)" = memcg ] && [ "$(rd $d/filters/0/memcg_path)" = "$1" ] &&
			{ basename $d; return 0; }
	done
	return 0
}
# await_scheme CGROUP present|absent: within 5 s (under TCG a new slot,
# which rewrites every scheme directory, took up to 1.8 s); prints the
# milliseconds
await_scheme() {
	t0=$(date +%s%N)
	while [ $((($(date +%s%N) - t0) / 1000000)) -le 5000 ]; do
		s=$(scheme "$1")
		{ [ "$2" = present ] && [ -n "$s" ]; } || { [ "$2" = absent ] && [ -z "$s" ]; } &&
			{ echo $((($(date +%s%N) - t0) / 1000000)); return 0; }
		sleep 0.05
	done
	echo "FAIL: no scheme for $1 is $2 after 5 s" >&2
	return 1
}
# applied SCHEME: bytes scheme SCHEME of kdamond 0 promoted so far, from
# DAMON itself at this moment (the daemon's GetCgroupStats refreshes at
# most once a second: too coarse for a 10 s window)
applied() {
	for i in $(seq 1 40); do
		(echo update_schemes_stats >$DA/0/state) 2>/dev/null && break
		sleep 0.05
	done
	rd $DA/0/contexts/0/schemes/$1/stats/sz_applied
}
# bus_applied CGROUP: the same as the daemon serves it (damos_sz_applied)
bus_applied() {
	bus_call GetCgroupStats s "$1" | grep -o '"damos_sz_applied" [0-9]*' | cut -d' ' -f2
}

echo +memory >$CG/cgroup.subtree_control
mkdir -p $S/a $S/b $SYS/batch-nightly.service &&
	echo +memory >$S/cgroup.subtree_control && echo +memory >$SYS/cgroup.subtree_control ||
	fail "cannot create the test cgroups"
[ "$(cat /proc/sys/kernel/numa_balancing)" = 0 ] ||
	fail "NUMA balancing is on (boot with numa_balancing=disable): it would promote beside DAMOS"
[ "$(rd $DA/nr_kdamonds)" = 0 ] || fail "kdamonds exist before the daemon starts"

stack_up
cp "$CGTIER_TOP"/policies/*.yaml $POLICIES/
stack_policyd $LOG --kernel-backend=damos
ctl status | grep -q "Kernel backend: damos" || { ctl status; cat $LOG; fail "damos backend not active"; }
note "$(ctl status | grep -i 'kernel')"

# --- (1) the shipped examples through DAMOS ---
t=$(await_scheme /system.slice/batch-nightly.service present) || { cat $LOG; exit 1; }
i=$(scheme /system.slice/batch-nightly.service)
d=$DA/0/contexts/0/schemes/$i
q="$(rd $d/action) nid=$(rd $d/target_nid) bytes=$(rd $d/quotas/bytes) reset=$(rd $d/quotas/reset_interval_ms) matching=$(rd $d/filters/0/matching)"
note "(1) batch-nightly.service: scheme $i after $t ms: $q"
[ "$q" = "migrate_hot nid=0 bytes=3355443 reset=100 matching=N" ] ||
	fail "(1) the example's batch rule (32MiB/s per 100ms) became: $q"
[ "$(rd $DA/0/state)" = on ] || fail "(1) kdamond 0 is not running"
echo "ok (1) shipped examples applied through DAMOS: $q"

# --- (2) enforcement: 16 MiB/s and an unlimited neighbour ---
rm -f /tmp/damos-go
"$HOTMEM" -s 512 -n 1 -t 300 -i 1000 -f "$FLUSH" -c $S/a -p /tmp/damos-go \
	>/tmp/damos-a.out 2>&1 &
jobs_="$jobs_ $!"
"$HOTMEM" -s 128 -n 1 -t 300 -i 1000 -f "$FLUSH" -c $S/b -p /tmp/damos-go \
	>/tmp/damos-b.out 2>&1 &
jobs_="$jobs_ $!"
for f in /tmp/damos-a.out /tmp/damos-b.out; do
	for i in $(seq 1 300); do grep -q '^moved' $f && break; sleep 0.2; done
	grep -q '^moved' $f || { cat $f; fail "workload did not start"; }
done
[ -z "$(scheme /damos.slice/a)" ] || fail "(2) an example policy already matches damos.slice/a"
cat >$POLICIES/50-damos.yaml <<'YAML'
version: 1
rules:
  - name: damos-limited
    priority: 200
    match:
      cgroup: "damos.slice/a"
    promotion:
      max: 16MiB/s
  - name: damos-free
    priority: 200
    match:
      cgroup: "damos.slice/b"
    promotion:
      max: unlimited
  - name: damos-late
    priority: 200
    match:
      cgroup: "damos.slice/c*"
    promotion:
      max: 8MiB/s
      period: 100ms
YAML
await_scheme /damos.slice/a present >/dev/null || { cat $LOG; exit 1; }
await_scheme /damos.slice/b present >/dev/null || exit 1
pid0=$(rd $DA/0/pid)
ia=$(scheme /damos.slice/a) ib=$(scheme /damos.slice/b)
[ -n "$ia" ] && [ -n "$ib" ] || fail "(2) schemes of a and b went away"
note "(2) a: scheme $ia, b: scheme $ib, kdamond pid $pid0"
# DAMOS enforces no quota in a scheme's first reset interval: let it pass
# before the pages get hot.
sleep 2
touch /tmp/damos-go
sleep 4
t0=$(date +%s.%N) a0=$(applied $ia) b0=$(applied $ib)
sleep "$WINDOW"
t1=$(date +%s.%N) a1=$(applied $ia) b1=$(applied $ib)
[ -n "$a0" ] && [ -n "$a1" ] && [ -n "$b1" ] || { bus_call GetCgroupStats s damos.slice/a; fail "(2) no damos_sz_applied"; }
ra=$(awk -v a=$a0 -v b=$a1 -v t0=$t0 -v t1=$t1 'BEGIN { printf "%.2f", (b - a) / 1048576 / (t1 - t0) }')
rb=$(awk -v a=$b0 -v b=$b1 -v t0=$t0 -v t1=$t1 'BEGIN { printf "%.2f", (b - a) / 1048576 / (t1 - t0) }')
afast=$(field "$(grep '^t=' /tmp/damos-a.out | tail -n 1)" node0)
bfast=$(field "$(grep '^t=' /tmp/damos-b.out | tail -n 1)" node0)
note "(2) a (16MiB/s): $ra MiB/s over ${WINDOW} s ($(awk -v r=$ra 'BEGIN { printf "%+.1f", (r - 16) / 16 * 100 }') %), ${afast:-0} of 131072 pages on node 0"
note "(2) b (unlimited): $rb MiB/s in the window, $b1 bytes in all, ${bfast:-0} of 32768 pages on node 0"
awk -v r="$ra" 'BEGIN { exit !(r <= 16 * 1.1) }' || fail "(2) a promoted $ra MiB/s under a 16MiB/s limit"
awk -v r="$ra" 'BEGIN { exit !(r > 0) }' || fail "(2) a did not promote at all"
[ "${b1:-0}" -gt 0 ] || fail "(2) the unlimited neighbour did not promote"
ba=$(bus_applied damos.slice/a)
note "(2) GetCgroupStats damos.slice/a: damos_sz_applied=$ba"
[ "${ba:-0}" -ge "$a1" ] || fail "(2) the daemon's stats ($ba) lag DAMOS's ($a1)"
echo "ok (2) 16MiB/s held: $ra MiB/s; unlimited neighbour promoted $b1 bytes ($rb MiB/s in the window)"
kill_jobs
jobs_=""

# --- (3) a cgroup created after start ---
mkdir $S/c1
t=$(await_scheme /damos.slice/c1 present) || { cat $LOG; exit 1; }
d=$DA/0/contexts/0/schemes/$(scheme /damos.slice/c1)
q="bytes=$(rd $d/quotas/bytes) reset=$(rd $d/quotas/reset_interval_ms)"
note "(3) c1: scheme after $t ms, $q"
[ "$q" = "bytes=838861 reset=100" ] || fail "(3) 8MiB/s per 100ms became $q"
echo "ok (3) new cgroup got its scheme after $t ms"

# --- (4) removing the policy file ---
n=$(rd $DA/0/contexts/0/schemes/nr_schemes)
rm $POLICIES/50-damos.yaml
for c in a b c1; do
	await_scheme /damos.slice/$c absent >/dev/null || { cat $LOG; exit 1; }
done
[ "$(rd $DA/0/pid)" = "$pid0" ] || fail "(4) the kdamond was restarted ($pid0 -> $(rd $DA/0/pid))"
[ -n "$(scheme /system.slice/batch-nightly.service)" ] || fail "(4) the examples' scheme went too"
note "(4) nr_schemes $n -> $(rd $DA/0/contexts/0/schemes/nr_schemes) (freed slots stay, applying to nothing)"
echo "ok (4) policy removed: its schemes are gone, kdamond $pid0 kept running"

# --- (5) daemon stop ---
stack_policyd_stop
nr=$(rd $DA/nr_kdamonds)
k=$(pgrep -c '^kdamond' || true)
note "(5) after stop: nr_kdamonds=$nr, kdamond threads=$k"
[ "$nr" = 0 ] && [ "${k:-0}" = 0 ] || fail "(5) daemon stop left DAMON behind: nr_kdamonds=$nr, $k kdamond threads"
grep -q 'Stopped and removed the DAMON kdamonds' $LOG || { cat $LOG; fail "(5) no stop message"; }
echo "ok (5) daemon stop removed its kdamonds"
