# Shared helpers for VM test cases (sourced by tests/vm/cases/*.sh).
# Every helper fails loudly: a test that cannot fail is a defect.

CG=/sys/fs/cgroup
BIN=${CGTIER_BIN:-$CGTIER_TOP/build/tests/bin}
SKIP=77

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit $SKIP; }
note() { echo "# $*"; }

# cg_create NAME: a fresh cgroup with the memory controller, removed on exit.
cg_create() {
	[ -d "$CG/$1" ] && rmdir "$CG/$1" 2>/dev/null
	mkdir "$CG/$1" || fail "mkdir $CG/$1"
	CG_MADE="$1 ${CG_MADE:-}"
	trap cg_cleanup EXIT
}

cg_cleanup() {
	for c in ${CG_MADE:-}; do
		[ -d "$CG/$c" ] || continue
		for p in $(cat "$CG/$c/cgroup.procs" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		for i in 1 2 3 4 5 6 7 8 9 10; do
			rmdir "$CG/$c" 2>/dev/null && break
			sleep 0.2
		done
	done
}

# kill_jobs: kill -9 the background workloads listed in $jobs_ and reap
# them (only them: a test may have a daemon in the background too).
kill_jobs() {
	for j in ${jobs_:-}; do kill -9 "$j" 2>/dev/null; done
	[ -n "${jobs_:-}" ] && wait $jobs_ 2>/dev/null
	jobs_=""
}

# cg_remove DIR...: rmdir each cgroup, giving killed processes 2 s to leave
cg_remove() {
	for d in "$@"; do
		for i in 1 2 3 4 5 6 7 8 9 10; do
			[ -d "$d" ] || break
			rmdir "$d" 2>/dev/null && break
			sleep 0.2
		done
	done
}

# stat_get FILE KEY: value of KEY in a flat-keyed file (memory.stat, vmstat).
# Use as: x=$(stat_get FILE KEY) || exit 1
stat_get() {
	awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) exit 1 }' "$1" ||
		{ echo "FAIL: no $2 in $1" >&2; return 1; }
}

# numab_tiering_fast: NUMA balancing in tiering mode, scanning quickly, so a
# hot page on the lower tier is promoted within seconds instead of minutes.
numab_tiering_fast() {
	local d=/sys/kernel/debug/sched/numa_balancing
	[ -d "$d" ] || fail "$d missing (CONFIG_SCHED_DEBUG?)"
	echo 0 >"$d/scan_delay_ms"
	echo 10 >"$d/scan_period_min_ms"
	echo 100 >"$d/scan_period_max_ms"
	echo 1024 >"$d/scan_size_mb"
	echo 2 >/proc/sys/kernel/numa_balancing || fail "cannot enable tiering mode"
}

numab_off() { echo 0 >/proc/sys/kernel/numa_balancing; }

# field LINE KEY: value of KEY=VALUE in one of hotmem's report lines.
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# within A B PCT: |A - B| <= PCT% of B
within() {
	awk -v a="$1" -v b="$2" -v p="$3" \
		'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= b * p / 100.0) }'
}

# modprobe_test MODULE [PARAM=VALUE...]: load a module of the test kernel.
# Its module tree is shared from the host (run-vm.sh writes the path to
# /tmp/cgtier/modules); the host may have no /lib/modules to bind it on.
modprobe_test() {
	if [ -r /tmp/cgtier/modules ]; then
		modprobe -d "$(cat /tmp/cgtier/modules)/../.." "$@"
	else
		modprobe "$@"
	fi
}

# kmemleak_check PATTERN: scan for leaks (when booted with kmemleak=on) and
# fail if a report mentions PATTERN; then forget the reports, so that the
# harness does not blame the next test for them.
kmemleak_check() {
	local f=/sys/kernel/debug/kmemleak n
	# Built in but off (no kmemleak=on): the file is there, writes fail.
	if [ ! -w $f ] || ! { echo scan >$f; } 2>/dev/null; then
		note "kmemleak not enabled (boot with kmemleak=on to scan for leaks)"
		return 0
	fi
	sleep 6
	echo scan >$f
	n=$(grep -c "$1" $f)
	note "kmemleak: $(grep -c 'unreferenced object' $f) unreferenced objects, $n mention $1"
	[ "$n" -eq 0 ] || { head -40 $f; fail "kmemleak: $1 leaks"; }
	echo clear >$f
}

# start_bg LOG WORD COMMAND...: run COMMAND (a workload such as hotmem,
# possibly behind taskset) in the background with its output in LOG, and
# wait until it prints a line starting with WORD (hotmem: "moved", once its
# memory is on the lower tier); the PID is left in $bgpid.
start_bg() {
	local log=$1 word=$2
	shift 2
	"$@" >"$log" 2>&1 &
	bgpid=$!
	until grep -q "^$word" "$log"; do
		kill -0 $bgpid 2>/dev/null || fail "${1##*/}: $(cat "$log")"
		sleep 0.1
	done
}

# burst_start NAME NCG MIB SECS: NCG hotmem workloads of MIB/NCG MiB each
# on node 1, in cgroups NAME0..NAME<NCG-1> (created), that start together
# when the file /tmp/NAME.start appears and have all their memory marked
# by one NUMA scan then (hotmem -S), for SECS seconds at most; their PIDs
# are left in $jobs_ (for kill_jobs), their output in /tmp/NAME.log.N.
burst_start() {
	local name=$1 ncg=$2 mib=$3 secs=$4 i=0
	rm -f "/tmp/$name.start" "/tmp/$name.log".*
	jobs_=
	while [ $i -lt "$ncg" ]; do
		cg_create "$name$i" >/dev/null
		start_bg "/tmp/$name.log.$i" moved "$BIN/hotmem" -S -s "$((mib / ncg))" \
			-t "$secs" -u 100 -i 1000 -c "$CG/$name$i" -p "/tmp/$name.start"
		jobs_="$jobs_ $bgpid"
		i=$((i + 1))
	done
}

# burst_wait NAME: wait for burst_start's workloads; fails if one failed.
burst_wait() {
	local p
	for p in $jobs_; do
		wait "$p" || fail "hotmem: $(cat "/tmp/$1.log".*)"
	done
	jobs_=
}

# cg_sum NAME NCG FILE KEY: KEY of FILE summed over cgroups NAME0..NAME<NCG-1>.
# Use as: x=$(cg_sum ...) || exit 1
cg_sum() {
	local n=0 i=0
	while [ $i -lt "$2" ]; do
		n=$((n + $(stat_get "$CG/$1$i/$3" "$4"))) || return 1
		i=$((i + 1))
	done
	echo $n
}

# tier_of NODE: the memory tier (its id) that holds NODE; fails if none
tier_of() {
	for t in /sys/devices/virtual/memory_tiering/memory_tier*; do
		awk -v n="$1" -F, '{
			for (i = 1; i <= NF; i++) {
				split($i, r, "-")
				if (r[2] == "") r[2] = r[1]
				if (n >= r[1] && n <= r[2]) f = 1
			}
		} END { exit !f }' "$t/nodelist" && { echo "${t##*memory_tier}"; return 0; }
	done
	return 1
}

# need_kmigrated: skip unless the kernel has kmigrated and the memory
# controller is on (kmigrated-nomemcg covers the boot without it).
need_kmigrated() {
	[ -d /sys/kernel/mm/kmigrated ] ||
		skip "kernel without kmigrated (/sys/kernel/mm/kmigrated missing)"
	awk '$1 == "memory" && $4 == 1 { f = 1 } END { exit !f }' /proc/cgroups ||
		skip "memory controller disabled (kmigrated-nomemcg covers that case)"
}
