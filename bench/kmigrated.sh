#!/bin/bash
# Benchmark (issue: kmigrated): upstream synchronous promotion vs kmigrated,
# in one boot, 512 MiB spread over 1, 4 and 16 cgroups; medians of RUNS runs
# and the ratios async/sync. Partitioning cost: kmigrated with 16 cgroups
# (16 queues, 16 batches per round) against 1 cgroup (one queue, full
# batches) for the same 512 MiB.
#   bench/kmigrated.sh            (RUNS=3 TOTAL=512 by default)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/bench
mkdir -p "$out"
plan=$out/kmigrated.plan
echo "promote env RUNS=${RUNS:-3} TOTAL=${TOTAL:-512} $top/tests/vm/bench/promote.sh" >"$plan"
# Multi-threaded TCG, as the numbers before it were taken: the kthread
# runs beside the workload, as on real hardware (tests/vm/run-vm.sh).
CGTIER_RESULTS= VM_TCG_THREAD=${VM_TCG_THREAD:-multi} VM_TIMEOUT=3000 VM_APPEND="CGTIER_TEST_TIMEOUT=2900 ${VM_APPEND:-}" \
	"$top/tests/vm/run-vm.sh" -n bench-kmigrated "$plan" >"$out/kmigrated.run" 2>&1 || {
	cat "$out/kmigrated.run"
	exit 1
}
log=$top/build/vm/bench-kmigrated/logs/promote.log
grep -q '^SKIP' "$log" && { tail -n 1 "$log"; exit 0; }
grep '^RESULT' "$log" >"$out/kmigrated.results"
awk '
	function med(key,   n, i, j, t, a) {
		n = cnt[key]
		for (i = 1; i <= n; i++) a[i] = val[key, i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		for (m in v) if (m != "mode" && m != "ncg" && m != "run") {
			key = v["mode"] SUBSEP v["ncg"] SUBSEP m
			val[key, ++cnt[key]] = v[m]
		}
	}
	END {
		printf "%-5s %-5s %9s %9s %13s %15s %15s %10s\n", "ncg", "mode", "time(s)", "MiB/s", "fault_cpu(s)", "fault_migrated", "kthread_cpu(s)", "passes/s"
		for (n = 1; n <= 16; n *= 4) for (k = 0; k < 2; k++) {
			mo = k ? "async" : "sync"
			t = med(mo SUBSEP n SUBSEP "time")
			printf "%-5d %-5s %9.2f %9.1f %13.3f %15d %15.3f %10.2f\n", n, mo, t,
				med(mo SUBSEP n SUBSEP "promoted") / 256 / t,
				med(mo SUBSEP n SUBSEP "fault_cpu"), med(mo SUBSEP n SUBSEP "fault_migrated"),
				med(mo SUBSEP n SUBSEP "kthread_cpu"),
				med(mo SUBSEP n SUBSEP "passes_per_s")
		}
		print ""
		for (n = 1; n <= 16; n *= 4) {
			ts = med("sync" SUBSEP n SUBSEP "time"); ta = med("async" SUBSEP n SUBSEP "time")
			fs = med("sync" SUBSEP n SUBSEP "fault_cpu"); fa = med("async" SUBSEP n SUBSEP "fault_cpu")
			ps = med("sync" SUBSEP n SUBSEP "passes_per_s"); pa = med("async" SUBSEP n SUBSEP "passes_per_s")
			printf "kmigrated: %2d cgroup(s): throughput async/sync %.2fx (goal >= 1.5x), fault-path CPU sync/async %.2fx (goal >= 5x), workload progress async/sync %.2fx\n",
				n, ts / ta, (fa > 0 ? fs / fa : 0), (ps > 0 ? pa / ps : 0)
		}
		t1 = med("async" SUBSEP 1 SUBSEP "time"); t16 = med("async" SUBSEP 16 SUBSEP "time")
		printf "kmigrated: partitioning cost, 16 cgroups vs 1, same 512 MiB: %+.1f%% time (goal <= 3%%)\n", (t16 / t1 - 1) * 100
	}' "$out/kmigrated.results" | tee "$out/kmigrated.txt"
