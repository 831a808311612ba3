#!/bin/bash
# Promotion CPU per promoted page without the page copy, per run of
# bench/kmigrated.sh PROFILE=1 (issue #20's "CPU per page excluding the
# copy": under TCG the emulated copy is most of a page's cost in both
# modes, which hides what batching saves elsewhere).
#   bench/cpu-excl-copy.sh [RESULTS [PROFILEDIR]]
# RESULTS: the RESULT lines (build/bench/kmigrated.results); PROFILEDIR:
# the run's profiles (build/vm/bench-kmigrated/profile-MODE-NCG-RUN.txt).
# Per run: fault_cpu + kthread_cpu + kworker_cpu, minus the samples in
# copy_mc_enhanced_fast_string of the workloads (hotmem), the kmigrated
# threads and the kworkers (cpu-clock samples x the profile's event
# period), over the pages promoted; then the medians per mode and ncg.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
res=${1:-$top/build/bench/kmigrated.results}
dir=${2:-$top/build/vm/bench-kmigrated}
[ -f "$res" ] || { echo "cpu-excl-copy: no $res (run PROFILE=1 bench/kmigrated.sh)" >&2; exit 1; }
grep '^RESULT' "$res" | while read -r line; do
	declare -A v=()
	for kv in ${line#RESULT }; do v[${kv%%=*}]=${kv#*=}; done
	f=$dir/profile-${v[mode]}-${v[ncg]}-${v[run]}.txt
	[ -f "$f" ] || { echo "cpu-excl-copy: no $f" >&2; exit 1; }
	awk -v mode="${v[mode]}" -v ncg="${v[ncg]}" -v run="${v[run]}" \
		-v cpu="$(awk -v a="${v[fault_cpu]}" -v b="${v[kthread_cpu]}" -v c="${v[kworker_cpu]}" 'BEGIN { print a + b + c }')" \
		-v pages="${v[promoted]}" '
		/Event count/ { ev = $NF }
		/copy_mc_enhanced_fast_string/ && $2 ~ /^(hotmem|kmigrated|kworker)/ { pct += $1 }
		END {
			copy = pct / 100 * ev / 1e9
			printf "%s %d %d %.3f %.3f %.2f %.2f\n", mode, ncg, run, cpu, copy,
				(cpu - copy) * 1e6 / pages, copy * 1e6 / pages
		}' "$f"
done | awk '
	function med(k,   n, i, j, t, a) {
		n = cnt[k]
		for (i = 1; i <= n; i++) a[i] = val[k, i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{
		printf "%-6s ncg=%-2d run=%d cpu=%.3fs copy=%.3fs excl_copy=%.2fus/page copy=%.2fus/page\n", $1, $2, $3, $4, $5, $6, $7
		k = $1 SUBSEP $2; val[k, ++cnt[k]] = $6
	}
	END {
		for (n = 1; n <= 16; n *= 4) {
			if (!((("sync" SUBSEP n) in cnt) && (("async" SUBSEP n) in cnt))) continue
			s = med("sync" SUBSEP n); a = med("async" SUBSEP n)
			printf "ncg %2d: promotion CPU per page without the copy, medians: async %.2f us, sync %.2f us: %.2fx (goal <= 0.67x)\n", n, a, s, a / s
		}
	}'
