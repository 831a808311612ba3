#!/bin/bash
# Benchmark (issue: kmigrated): upstream synchronous promotion vs kmigrated,
# in one boot, 512 MiB spread over 1, 4 and 16 cgroups; medians of RUNS runs
# and the ratios async/sync, with the kmigrated threads at nice 0 and
# reniced to NICE (default -10). Partitioning cost: the same 4 or 16
# workloads in as many cgroups (per-memcg batches) against all in one
# cgroup (batches mixing every workload's pages), kmigrated reniced. The
# guest's cpu controller is off for the run (tests/vm/bench/promote.sh).
#   bench/kmigrated.sh            (RUNS=3 TOTAL=512 by default)
# Subsets and tunables: NCGS="1 4 16", MODES="sync async asyncn mixed
# nohelp" (nohelp: async with kmigrated/help_pages=0, the threads alone),
# QUEUE_LEN, BATCH_SIZE, HELP_PAGES (kmigrated/queue_len, batch_size,
# help_pages for the run; default the kernel's); THREADS=N workloads of N threads each (default
# 1) and MIGRATOR=mtcopyN|dcbm (kmigrated's copy path in the async modes),
# see tests/vm/bench/promote.sh. PROFILE=1 also writes a perf profile of
# every run (build/vm/bench-kmigrated/profile-MODE-NCG-RUN.txt), which
# bench/cpu-excl-copy.sh turns into CPU per page without the copy;
# PROFILE=2 records call graphs and context switches instead
# (split-MODE-NCG-RUN.txt), which bench/promo-split.sh turns into
# promotion's own CPU per page and who switches context where. PROBE=1
# runs a latency probe (tests/bin/latprobe) beside the workloads and adds
# its p99 and p99.9 request latency (µs) to the table.
# Runs on the benchmark kernel (scripts/kernel-build.sh --bench).
set -euo pipefail
# shellcheck source=scripts/bench-vm.sh
. "$(dirname "$0")/../scripts/bench-vm.sh"
# Multi-threaded TCG, as the numbers before it were taken: the kthread
# runs beside the workload, as on real hardware (tests/vm/run-vm.sh).
VM_TCG_THREAD=${VM_TCG_THREAD:-multi} VM_TIMEOUT=3000 \
VM_APPEND="CGTIER_TEST_TIMEOUT=2900 ${VM_APPEND:-}" \
	bench_vm kmigrated promote env RUNS="${RUNS:-3}" TOTAL="${TOTAL:-512}" \
	NICE="${NICE:--10}" ${NCGS:+"NCGS='$NCGS'"} ${MODES:+"MODES='$MODES'"} \
	${QUEUE_LEN:+"QUEUE_LEN=$QUEUE_LEN"} ${BATCH_SIZE:+"BATCH_SIZE=$BATCH_SIZE"} \
	${HELP_PAGES:+"HELP_PAGES=$HELP_PAGES"} \
	THREADS="${THREADS:-1}" ${MIGRATOR:+"MIGRATOR=$MIGRATOR"} ${PROFILE:+"PROFILE=$PROFILE"} \
	${PROBE:+"PROBE=$PROBE"} "$top/tests/vm/bench/promote.sh"
grep '^RESULT' "$bench_log" >"$out/kmigrated.results"
awk '
	function med(key,   n, i, j, t, a) {
		n = cnt[key]
		for (i = 1; i <= n; i++) a[i] = val[key, i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		if ("probe_p99_us" in v) probe = 1
		# Promotion CPU (system time of the workloads, the threads, the
		# kworkers) per promoted GiB, per run
		if (v["promoted"] > 0)
			v["cpu_gib"] = (v["fault_cpu"] + v["kthread_cpu"] + v["kworker_cpu"]) * 262144 / v["promoted"]
		for (m in v) if (m != "mode" && m != "ncg" && m != "run") {
			key = v["mode"] SUBSEP v["ncg"] SUBSEP m
			val[key, ++cnt[key]] = v[m]
		}
	}
	END {
		nm = split("sync async asyncn mixed nohelp", modes, " ")
		printf "%-5s %-6s %9s %9s %13s %15s %9s %15s %14s %11s %10s %9s %12s", "ncg", "mode", "time(s)", "MiB/s", "fault_cpu(s)", "fault_migrated", "helped", "kthread_cpu(s)", "kworker_cpu(s)", "cpu/GiB(s)", "passes/s", "overflow", "ns/hintfault"
		printf probe ? " %12s %13s\n" : "\n", "probe_p99(us)", "probe_p999(us)"
		for (n = 1; n <= 16; n *= 4) for (k = 1; k <= nm; k++) {
			mo = modes[k]
			if (!cnt[mo SUBSEP n SUBSEP "time"]) continue
			t = med(mo SUBSEP n SUBSEP "time")
			hf = med(mo SUBSEP n SUBSEP "hint_faults")
			printf "%-5d %-6s %9.2f %9.1f %13.3f %15d %9d %15.3f %14.3f %11.2f %10.2f %9d %12d", n, mo, t,
				med(mo SUBSEP n SUBSEP "promoted") / 256 / t,
				med(mo SUBSEP n SUBSEP "fault_cpu"), med(mo SUBSEP n SUBSEP "fault_migrated"),
				med(mo SUBSEP n SUBSEP "helped"),
				med(mo SUBSEP n SUBSEP "kthread_cpu"), med(mo SUBSEP n SUBSEP "kworker_cpu"),
				med(mo SUBSEP n SUBSEP "cpu_gib"), med(mo SUBSEP n SUBSEP "passes_per_s"), med(mo SUBSEP n SUBSEP "overflow"),
				(hf > 0 ? med(mo SUBSEP n SUBSEP "fault_cpu") * 1e9 / hf : 0)
			if (probe)
				printf " %12d %13d", med(mo SUBSEP n SUBSEP "probe_p99_us"), med(mo SUBSEP n SUBSEP "probe_p999_us")
			printf "\n"
		}
		print ""
		for (k = 2; k <= nm; k++) {
			mo = modes[k]
			if (mo == "mixed") continue
			label = mo == "async" ? "kmigrated at nice 0" : mo == "asyncn" ? "kmigrated reniced" : "threads alone, nice 0"
			for (n = 1; n <= 16; n *= 4) {
				if (!cnt[mo SUBSEP n SUBSEP "time"]) continue
				ts = med("sync" SUBSEP n SUBSEP "time"); ta = med(mo SUBSEP n SUBSEP "time")
				ms = med("sync" SUBSEP n SUBSEP "fault_migrated"); ma = med(mo SUBSEP n SUBSEP "fault_migrated")
				ps = med("sync" SUBSEP n SUBSEP "passes_per_s"); pa = med(mo SUBSEP n SUBSEP "passes_per_s")
				cs = med("sync" SUBSEP n SUBSEP "cpu_gib"); ca = med(mo SUBSEP n SUBSEP "cpu_gib")
				printf "kmigrated (%s): %2d cgroup(s): throughput async/sync %.2fx (goal >= %s), pages migrated in faults sync %d / async %d (goal >= 5x fewer), workload progress async/sync %.2fx, promotion CPU per GiB async/sync %.2fx\n",
					label, n, ts / ta, (n == 1 ? "1.5x" : "1.0x"), ms, ma, (ps > 0 ? pa / ps : 0), (cs > 0 ? ca / cs : 0)
			}
			if (!cnt[mo SUBSEP 1 SUBSEP "time"] || !cnt[mo SUBSEP 16 SUBSEP "time"]) continue
			t1 = med(mo SUBSEP 1 SUBSEP "time"); t16 = med(mo SUBSEP 16 SUBSEP "time")
			printf "kmigrated (%s): 16 cgroups vs 1, same 512 MiB: %+.1f%% time\n", label, (t16 / t1 - 1) * 100
		}
		for (n = 4; n <= 16; n *= 4) {
			if (!cnt["mixed" SUBSEP n SUBSEP "time"]) continue
			tp = med("asyncn" SUBSEP n SUBSEP "time"); tm = med("mixed" SUBSEP n SUBSEP "time")
			kp = med("asyncn" SUBSEP n SUBSEP "kthread_cpu"); km = med("mixed" SUBSEP n SUBSEP "kthread_cpu")
			printf "kmigrated: partitioning cost, %2d workloads in %d cgroups vs in 1 (mixed batches): %+.1f%% time, %+.1f%% kmigrated CPU (goal <= 3%%)\n",
				n, n, (tp / tm - 1) * 100, (km > 0 ? (kp / km - 1) * 100 : 0)
		}
	}' "$out/kmigrated.results" | tee "$out/kmigrated.txt"
