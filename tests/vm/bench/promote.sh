#!/bin/sh
# Guest half of bench/kmigrated.sh: in one boot, promote TOTAL MiB of hot
# memory spread over 1, 4 and 16 cgroups, with upstream synchronous
# promotion (kmigrated/enabled=0) and with kmigrated (=1), the kmigrated
# threads at their default nice 0 ("async") and reniced to $NICE ("asyncn",
# default -10: with 16 CPU-bound workloads on 2 vCPUs a nice-0 thread gets
# about 1/9 of a CPU), RUNS times each, interleaved so that drift in the
# emulator hits every mode alike. The cost of partitioning batches by
# memcg: "mixed" runs the same 4 or 16 workloads as asyncn but all in one
# cgroup, so kmigrated's batches mix pages of every workload, as a design
# without per-memcg queues would; ncg then counts workloads. "nohelp" is
# async with kmigrated/help_pages=0: the threads alone promote, as before
# faulting tasks helped with their cgroup's backlog (the other async modes
# run with the kernel's default help_pages).
# Prints one line per run:
#   RESULT mode=sync|async|asyncn|mixed|nohelp ncg=N run=I time=S fault_cpu=S
#          kthread_cpu=S kworker_cpu=S hint_faults=N passes_per_s=X
#          promoted=PAGES fault_migrated=PAGES helped=PAGES left=PAGES
#          overflow=CANDIDATES waited=PAGES idle_cpu=S time_mean=S
#          ctxt=SWITCHES
# time: until every page is on node 0 (slowest workload; time_mean: the
# mean over the workloads); fault_cpu: system
# time of the workloads' touch loops (hint faults, and in sync mode the
# migrations done in them); kthread_cpu: CPU time of the kmigrated threads;
# kworker_cpu: CPU time of all kworkers (kmigrated's drain work, which
# files staged candidates on the faulting CPU, runs there; the rest of the
# guest's kworkers add a little noise); hint_faults: NUMA hint faults
# (numa_hint_faults), so fault_cpu / hint_faults is the fault path's cost
# per hint fault;
# fault_migrated: pages migrated inside hint faults (numa_pages_migrated
# not done by kmigrated); helped: pages the workloads promoted in task
# work, helping with their cgroup's backlog (memory.promotion.stat helped;
# part of kmigrated_promoted, not of fault_migrated, and their CPU time is
# in fault_cpu); waited: pages whose hint fault found its CPU's staging
# buffer full and slept a tick (memory.promotion.stat waited); idle_cpu:
# CPU time the guest's CPUs spent idle during the run (/proc/stat), which
# the workloads left unused; ctxt: context switches of all CPUs during the
# run (/proc/stat); passes_per_s: the workloads' progress (full passes over
# their memory per second, summed) while promotion was going on.
# The workloads' own logs (placement every 250 ms) are kept in
# $CGTIER_OUT/wl-MODE-NCG-RUN/.
# PROBE=1 adds probe_p50_us, probe_p99_us, probe_p999_us: the latency of a
# latency-sensitive task (tests/bin/latprobe: PROBE_MIB MiB (16) on the top
# tier, one request of 16 random cache-line reads every PROBE_US µs (1000),
# in a cgroup of its own) while the workloads are promoted.
. "$CGTIER_TOP/tests/vm/lib/common.sh"
. "$CGTIER_TOP/tests/vm/lib/copy-path.sh"

TOTAL=${TOTAL:-512}
RUNS=${RUNS:-3}
NICE=${NICE:--10}
# Threads per workload (hotmem -T): 1, a single-threaded process, is sync
# promotion's best case, since unmapping a page then flushes one CPU's TLB
# only; with 2 the pages are mapped on both vCPUs, as a multi-threaded
# application's are, and every unmap needs a shootdown on the other one.
THREADS=${THREADS:-1}
# MIGRATOR=mtcopyN|dcbm|batch: kmigrated's batches copy through that path
# (tests/vm/lib/copy-path.sh) in the async modes; sync promotion keeps
# upstream's per-folio copy. Unset: the copy path is left as it is.
MIGRATOR=${MIGRATOR:-}
# PROFILE=1: sample every CPU with perf (cpu-clock: TCG has no PMU) while
# promotion runs, and write one flat profile per run, kernel symbols by
# command, to $CGTIER_OUT/profile-MODE-NCG-RUN.txt: where the CPU time of
# the fault path and of kmigrated goes. PROFILE=2 records call graphs and
# every context switch instead and writes $CGTIER_OUT/split-MODE-NCG-RUN.txt
# (tests/vm/bench/perf-split.awk): the CPU time of promotion itself, of
# its page copy, and of what both modes pay alike (the hint faults, the
# scanning that makes them), and who switches context where.
PROFILE=${PROFILE:-}
case "$PROFILE" in '' | 1 | 2) ;; *) fail "PROFILE=$PROFILE: 1 or 2" ;; esac
PROBE=${PROBE:-} PROBE_MIB=${PROBE_MIB:-16} PROBE_US=${PROBE_US:-1000}
[ -z "$PROFILE" ] || command -v perf >/dev/null || fail "PROFILE=1 needs perf (linux-perf)"
# Subsets, for benchmarks that reuse this one (bench/copy-offload.sh).
NCGS=${NCGS:-1 4 16}
MODES=${MODES:-sync async asyncn mixed}
K=/sys/kernel/mm/kmigrated
[ -d "$K" ] || skip "kernel without kmigrated (/sys/kernel/mm/kmigrated)"
# QUEUE_LEN, BATCH_SIZE: kmigrated/queue_len, batch_size for the run
# (restored after).
qlen0=$(cat "$K/queue_len") batch0=$(cat "$K/batch_size")
help0=$(cat "$K/help_pages" 2>/dev/null) || help0=
# HELP_PAGES: kmigrated/help_pages for the async modes but nohelp
# (default: the kernel's), restored after.
help_run=${HELP_PAGES:-$help0}
[ -z "${HELP_PAGES:-}" ] || [ -n "$help0" ] || fail "HELP_PAGES: the kernel has no $K/help_pages"
if [ -n "${QUEUE_LEN:-}" ]; then
	echo "$QUEUE_LEN" >"$K/queue_len" || fail "cannot set queue_len to $QUEUE_LEN"
fi
if [ -n "${BATCH_SIZE:-}" ]; then
	echo "$BATCH_SIZE" >"$K/batch_size" || fail "cannot set batch_size to $BATCH_SIZE"
fi

if [ -n "$MIGRATOR" ]; then
	[ -d "$MO" ] || skip "kernel without migration copy offload"
	copy_path_load
fi
numab_tiering_fast
# What is timed is promotion, not the NUMA scanner's cadence: hotmem -S
# keeps the scanner off each workload's memory until the start, so that
# the first scan after it marks all of it at once (one VMA of at most
# TOTAL MiB: scan_size_mb must cover it). Otherwise scans during the
# set-up mark the part already moved, and the rest waits for the next
# pass, which the scanner's overhead cap (32x a scan's own runtime) put
# 5-11 s away under TCG in the runs we traced: single runs of either mode
# lost that much or nothing, and the medians measured that lottery.
# scan_size_mb 512 rather than 1024: the scan period's floor is
# 1000 ms * scan_size_mb / 2560, so the first scan comes after at most
# 200 ms of the workload's runtime instead of 500.
scan=/sys/kernel/debug/sched/numa_balancing/scan_size_mb
[ "$TOTAL" -le 512 ] || fail "TOTAL=$TOTAL: the first scan would not cover it (scan_size_mb 512)"
echo 512 >"$scan"
# The cpu controller (tests/vm/init.sh enables it) schedules each cgroup as
# one entity: the kmigrated threads, in the root, would compete with 16
# groups in one layout and with one group in another, and the comparison
# would measure CFS group scheduling rather than promotion (16 workloads
# took 21 % longer in 16 cgroups than in one with it on, 2 % less with it
# off). Off for the benchmark, so threads compete as tasks; restored after.
cpu_ctl=
if grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control; then
	echo -cpu >/sys/fs/cgroup/cgroup.subtree_control ||
		fail "cannot disable the cpu controller for the benchmark"
	cpu_ctl=1
fi
# Upstream's global promote rate limit at its default (64 GiB/s): we measure
# how fast each path can promote, not the limiter. (0 would block promotion.)
echo 65536 >/proc/sys/kernel/numa_balancing_promote_rate_limit_MBps

kthread_ticks() { # [PATTERN]: CPU ticks of the threads whose name matches
	t=0
	for p in $(pgrep "${1:-^kmigrated}"); do
		# shellcheck disable=SC2046 # utime and stime, two numbers
		set -- $(cut -d' ' -f14,15 "/proc/$p/stat")
		t=$((t + $1 + $2))
	done
	echo "$t"
}
# CPU ticks all CPUs spent idle (the idle and iowait columns of /proc/stat)
idle_ticks() {
	awk '$1 == "cpu" { print $5 + $6; exit }' /proc/stat
}
hz=$(getconf CLK_TCK)

one_run() { # MODE NCG RUN
	mode=$1 n=$2 run=$3
	case $mode in
	sync) echo 0 >"$K/enabled" ;;
	*) echo 1 >"$K/enabled" ;;
	esac
	if [ "$mode" = nohelp ]; then
		[ -n "$help0" ] || fail "mode nohelp: the kernel has no $K/help_pages"
		echo 0 >"$K/help_pages"
	elif [ -n "$help0" ]; then
		echo "$help_run" >"$K/help_pages" || fail "cannot set help_pages to $help_run"
	fi
	if [ -n "$MIGRATOR" ]; then
		case $mode in
		sync) copy_path upstream ;;
		*) copy_path "$MIGRATOR" ;;
		esac
	fi
	nice=0
	case $mode in asyncn|mixed) nice=$NICE ;; esac
	for p in $(pgrep '^kmigrated'); do renice -n "$nice" -p "$p" >/dev/null; done
	mib=$((TOTAL / n))
	rm -f /tmp/bench-go /tmp/bench*.log
	pids=
	i=0
	while [ $i -lt "$n" ]; do
		c=$i
		[ "$mode" = mixed ] && c=0
		[ -d "$CG/bench$c" ] || cg_create "bench$c" >/dev/null
		# -I 0: within 10 % of the end, placement is checked after every
		# pass, not every 250 ms: kmigrated completes a workload a little
		# after its last hint fault, sync promotion in it, and a 250 ms
		# check charged the former up to a whole interval more.
		"$BIN/hotmem" -S -T "$THREADS" -s "$mib" -t 120 -u 100 -i 250 -I 0 -c "$CG/bench$c" \
			-p /tmp/bench-go >"/tmp/bench$i.log" 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
	i=0
	while [ $i -lt "$n" ]; do
		until grep -q '^moved' "/tmp/bench$i.log"; do
			grep -q hotmem: "/tmp/bench$i.log" && fail "$(cat /tmp/bench$i.log)"
			sleep 0.1
		done
		i=$((i + 1))
	done
	probe_pid=
	if [ -n "$PROBE" ]; then
		[ -d "$CG/benchprobe" ] || cg_create benchprobe >/dev/null
		start_bg /tmp/probe.out ready "$BIN/latprobe" -s "$PROBE_MIB" -i "$PROBE_US" \
			-t 600 -c "$CG/benchprobe" -p /tmp/bench-go
		probe_pid=$bgpid
	fi
	sync
	p0=$(stat_get /proc/vmstat pgpromote_success) || exit 1
	m0=$(stat_get /proc/vmstat numa_pages_migrated) || exit 1
	a0=$(stat_get /proc/vmstat kmigrated_promoted) || exit 1
	o0=$(stat_get /proc/vmstat kmigrated_dropped_overflow) || exit 1
	k0=$(kthread_ticks)
	w0=$(kthread_ticks '^kworker/')
	h0=$(stat_get /proc/vmstat numa_hint_faults) || exit 1
	i0=$(idle_ticks)
	c0=$(stat_get /proc/stat ctxt) || exit 1
	if [ -n "$PROFILE" ]; then
		prof=$CGTIER_SCRATCH/perf-$mode-$n-$run.data
		if [ "$PROFILE" = 2 ]; then
			perf record -q -g -e cpu-clock/period=500000/ -e sched:sched_switch \
				-a -o "$prof" >"$prof.log" 2>&1 &
		else
			perf record -q -e cpu-clock -F 2000 -a -o "$prof" >"$prof.log" 2>&1 &
		fi
		perf_pid=$!
		sleep 1
	fi
	touch /tmp/bench-go
	# shellcheck disable=SC2086 # a list of PIDs
	wait $pids
	if [ -n "$PROFILE" ]; then
		kill -INT "$perf_pid"
		# perf record re-raises the SIGINT that stopped it: 130 is success.
		rc=0
		wait "$perf_pid" || rc=$?
		[ "$rc" = 0 ] || [ "$rc" = 130 ] ||
			fail "perf record failed ($rc): $(tail -3 "$prof.log")"
		if [ "$PROFILE" = 2 ]; then
			perf script -i "$prof" -F comm,event,period,trace,ip,sym 2>"$prof.log" |
				awk -f "$CGTIER_TOP/tests/vm/bench/perf-split.awk" \
				>"$CGTIER_OUT/split-$mode-$n-$run.txt"
			grep -q '^CPU ' "$CGTIER_OUT/split-$mode-$n-$run.txt" ||
				fail "perf script printed no sample: $(tail -3 "$prof.log")"
		else
			perf report -i "$prof" --stdio --sort comm,sym \
				--percent-limit 0.3 >"$CGTIER_OUT/profile-$mode-$n-$run.txt" 2>&1 ||
				fail "perf report failed"
		fi
		rm -f "$prof" "$prof.log"
	fi
	probe=
	if [ -n "$probe_pid" ]; then
		kill -TERM "$probe_pid"
		wait "$probe_pid" || fail "latprobe: $(cat /tmp/probe.out)"
		probe=$(awk '/^latprobe/ { printf " probe_p50_us=%s probe_p99_us=%s probe_p999_us=%s", \
			substr($3, 8), substr($4, 8), substr($5, 9) }' /tmp/probe.out)
		[ -n "$probe" ] || fail "latprobe printed no result: $(cat /tmp/probe.out)"
	fi
	i1=$(idle_ticks)
	c1=$(stat_get /proc/stat ctxt) || exit 1
	k1=$(kthread_ticks)
	w1=$(kthread_ticks '^kworker/')
	h1=$(stat_get /proc/vmstat numa_hint_faults) || exit 1
	p1=$(stat_get /proc/vmstat pgpromote_success) || exit 1
	m1=$(stat_get /proc/vmstat numa_pages_migrated) || exit 1
	a1=$(stat_get /proc/vmstat kmigrated_promoted) || exit 1
	o1=$(stat_get /proc/vmstat kmigrated_dropped_overflow) || exit 1
	# Each workload's placement over time, for a look at how runs end
	mkdir -p "$CGTIER_OUT/wl-$mode-$n-$run"
	cp /tmp/bench*.log "$CGTIER_OUT/wl-$mode-$n-$run/"
	helped=0 waited=0
	for d in "$CG"/bench[0-9]*; do
		v=$(stat_get "$d/memory.promotion.stat" helped 2>/dev/null) || v=0
		helped=$((helped + v))
		v=$(stat_get "$d/memory.promotion.stat" waited 2>/dev/null) || v=0
		waited=$((waited + v))
	done
	cat /tmp/bench*.log | awk -v mode="$mode" -v n="$n" -v run="$run" \
		-v kt="$(( k1 - k0 ))" -v wt="$(( w1 - w0 ))" -v hf="$(( h1 - h0 ))" \
		-v hz="$hz" -v prom="$((p1 - p0))" \
		-v fm="$(( (m1 - m0) - (a1 - a0) ))" -v ov="$((o1 - o0))" -v probe="$probe" \
		-v helped="$helped" -v waited="$waited" -v idle="$(( i1 - i0 ))" -v ctxt="$(( c1 - c0 ))" '
		/^final/ {
			for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			if (v["node1"] > 0) left += v["node1"]
			if (v["elapsed"] > t) t = v["elapsed"]
			tsum += v["elapsed"]
			st += v["stime"]; pps += v["passes"] / v["elapsed"]; done++
		}
		END {
			if (done != n) { print "FAIL: " n - done " workloads did not finish"; exit 1 }
			printf "RESULT mode=%s ncg=%d run=%d time=%.2f fault_cpu=%.3f kthread_cpu=%.3f kworker_cpu=%.3f hint_faults=%d passes_per_s=%.2f promoted=%d fault_migrated=%d helped=%d left=%d overflow=%d waited=%d idle_cpu=%.3f time_mean=%.2f ctxt=%d%s\n",
				mode, n, run, t, st, kt / hz, wt / hz, hf, pps, prom, fm, helped, left, ov, waited, idle / hz, tsum / n, ctxt, probe
		}' || exit 1
	i=0
	while [ $i -lt "$n" ]; do
		[ -d "$CG/bench$i" ] && rmdir "$CG/bench$i"
		i=$((i + 1))
	done
	[ -d "$CG/benchprobe" ] && rmdir "$CG/benchprobe"
	CG_MADE=
}

r=1
while [ $r -le "$RUNS" ]; do
	for n in $NCGS; do
		for mode in $MODES; do
			[ "$mode" = mixed ] && [ "$n" -eq 1 ] && continue
			one_run "$mode" "$n" "$r"
		done
	done
	r=$((r + 1))
done
[ -z "$MIGRATOR" ] || copy_path upstream
[ -z "$help0" ] || echo "$help0" >"$K/help_pages"
echo 1 >"$K/enabled"
echo "$qlen0" >"$K/queue_len"
echo "$batch0" >"$K/batch_size"
for p in $(pgrep '^kmigrated'); do renice -n 0 -p "$p" >/dev/null; done
numab_off
[ -z "$cpu_ctl" ] || echo +cpu >/sys/fs/cgroup/cgroup.subtree_control
