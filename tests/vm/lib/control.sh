# Helpers for the promotion-control cases of tests/vm/plans/control.plan
# (sourced after common.sh): the two-lower-tier-node bed, hot workloads
# that wait for a common start, and rates read from memory.promotion.stat.

KM=/sys/kernel/mm/kmigrated
HOTMEM=${HOTMEM:-$BIN/hotmem}
THP=/sys/kernel/mm/transparent_hugepage
jobs_=""
CTL_CGROUPS=""

# control_init: the checks every case of the plan needs, and a cleanup
# that removes the cgroups listed in CTL_CGROUPS (children first).
control_init() {
	[ -d "$KM" ] || skip "kernel without kmigrated"
	[ -x "$HOTMEM" ] || fail "no hotmem at $HOTMEM (make vm-tools)"
	[ -d /sys/devices/system/node/node2 ] ||
		fail "no node 2: this plan needs VM_NODE2_MB (tests/check.sh sets it)"
	t0=$(tier_of 0) t1=$(tier_of 1) t2=$(tier_of 2) ||
		fail "nodes 0-2 are not all in a memory tier"
	[ "$t1" = "$t2" ] && [ "$t1" -gt "$t0" ] ||
		fail "nodes 1 and 2 are not one lower tier below node 0 (tiers $t0 $t1 $t2)"
	echo +memory >$CG/cgroup.subtree_control
	old_thp=$(sed 's/.*\[\(.*\)\].*/\1/' $THP/enabled)
	echo madvise >$THP/enabled || fail "cannot set THP to madvise"
	trap control_cleanup EXIT
	echo 1 >$KM/enabled || fail "cannot enable kmigrated"
	# Plain NUMA balancing (the boot default) would move the workloads'
	# pages back unaccounted: off until a case turns tiering mode on.
	numab_off
}

control_cleanup() {
	kill_jobs
	numab_off
	echo "$old_thp" >$THP/enabled
	for c in $CTL_CGROUPS; do
		cg_remove $CG/$c
	done
}

# mkcg NAME...: cgroups (parents first), removed on exit; a NAME ending
# in / gets the memory controller enabled for its children (a cgroup with
# controllers enabled below it cannot hold processes).
mkcg() {
	for c in "$@"; do
		mkdir $CG/${c%/} || fail "mkdir ${c%/}"
		case $c in
		*/) echo +memory >$CG/${c%/}/cgroup.subtree_control || fail "+memory in $c" ;;
		esac
		CTL_CGROUPS="${c%/} $CTL_CGROUPS"
	done
}

promoted() { stat_get "$CG/$1/memory.promotion.stat" promoted || exit 1; }
now() { date +%s.%N; }

# start CGROUP MIB NODE [HOTMEM FLAGS]: a hot workload with MIB MiB on
# NODE that waits for go (-p) with the scanner kept off its memory until
# then (-S), so that candidates arrive faster than any limit here.
start() {
	rm -f /tmp/ctl-go
	o=/tmp/ctl_$(echo "$1" | tr / _)_$3.out
	"$HOTMEM" -S -p /tmp/ctl-go -s "$2" -n "$3" -t 180 -c "$CG/$1" -i 1000 $4 \
		>"$o" 2>&1 &
	jobs_="$jobs_ $!"
	CTL_OUTS="${CTL_OUTS:-} $o"
}

# ready: wait until every started workload has moved its memory
ready() {
	for o in $CTL_OUTS; do
		for i in $(seq 1 300); do
			grep -q '^moved' "$o" 2>/dev/null && break
			sleep 0.2
		done
		grep -q '^moved' "$o" || { cat "$o"; fail "$o: workload did not start"; }
	done
}

go() {
	numab_tiering_fast
	touch /tmp/ctl-go
}

stop_all() {
	kill_jobs
	numab_off
	CTL_OUTS=""
}

# paced CGROUP PAGES: wait (up to a minute) until CGROUP's limit holds its
# promotion back and it has promoted PAGES, so that the bucket's initial
# burst is spent before a window opens.
paced() {
	for i in $(seq 1 120); do
		[ "$(stat_get $CG/$1/memory.promotion.stat throttled)" -gt 0 ] &&
			[ "$(promoted $1)" -gt "$2" ] && break
		sleep 0.5
	done
	[ "$(stat_get $CG/$1/memory.promotion.stat throttled)" -gt 0 ] ||
		fail "$1: the limit never held promotion back ($(promoted $1) pages promoted)"
	sleep 1
}

# rate A B SECONDS: MiB/s from page counts
rate() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { printf "%.2f", (b - a) * 4096 / 1048576 / t }'; }

# window CGROUP SECONDS [MORE CGROUPS]: promoted pages of each cgroup over
# SECONDS; sets W_DT (the seconds measured), W_<n> (pages, n = 1...),
# C_<n> (candidates queued meanwhile) and Q_<n> (queued at the end), so
# that a test can tell a limit or weight from a workload that ran dry.
window() {
	secs=$2
	cgs="$1 ${3:-}"
	n=0
	t0=$(now)
	for c in $cgs; do
		n=$((n + 1))
		eval "W0_$n=$(promoted $c)"
		eval "C0_$n=$(stat_get $CG/$c/memory.promotion.stat candidates)"
	done
	sleep "$secs"
	t1=$(now)
	n=0
	for c in $cgs; do
		n=$((n + 1))
		eval "W_$n=\$(( \$(promoted $c) - W0_$n ))"
		eval "C_$n=\$(( \$(stat_get $CG/$c/memory.promotion.stat candidates) - C0_$n ))"
		eval "Q_$n=$(stat_get $CG/$c/memory.promotion.stat queued)"
	done
	W_DT=$(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }')
}

# wait_drained CGROUP: queued reaches 0 (kmigrated served or dropped all)
wait_drained() {
	for i in $(seq 1 100); do
		[ "$(stat_get $CG/$1/memory.promotion.stat queued)" = 0 ] && return 0
		sleep 0.2
	done
	fail "$1: queue not drained: $(cat $CG/$1/memory.promotion.stat | tr '\n' ' ')"
}
