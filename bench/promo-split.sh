#!/bin/bash
# Where promotion's CPU time goes, per promoted page, and who switches
# context where: the call-graph profiles of bench/kmigrated.sh PROFILE=2.
#   bench/promo-split.sh [RESULTS [PROFILEDIR]]
# RESULTS: the RESULT lines (build/bench/kmigrated.results); PROFILEDIR:
# the runs' split-MODE-NCG-RUN.txt (build/vm/bench-kmigrated; written by
# tests/vm/bench/perf-split.awk, which says what each part holds).
# Per run, in µs per promoted page, summed over the workloads, the
# kmigrated threads and the kworkers: promo (promotion without its page
# copy: sync's migrate_misplaced_folio() and its preparation; async's
# staging, filing, the threads, the helpers' task work), copy (the page
# copy), fault (the rest of the hint faults), scan (task_numa_work),
# kernel (the rest of their kernel time: placement queries, context
# switches, interrupts); then the medians per mode and cgroup count, async
# against sync. promo is what batching can change; fault and scan both
# modes pay alike, so
# bench/cpu-excl-copy.sh's "CPU per page without the copy", which counts
# all the workloads' system time, dilutes it with them.
# Then the context switches, mean per run, largest first (SWITCHES=N
# lines per mode and cgroup count, default 12).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
res=${1:-$top/build/bench/kmigrated.results}
dir=${2:-$top/build/vm/bench-kmigrated}
nsw=${SWITCHES:-12}
[ -f "$res" ] || { echo "promo-split: no $res (run PROFILE=2 bench/kmigrated.sh)" >&2; exit 1; }
grep '^RESULT' "$res" | while read -r line; do
	declare -A v=()
	for kv in ${line#RESULT }; do v[${kv%%=*}]=${kv#*=}; done
	f=$dir/split-${v[mode]}-${v[ncg]}-${v[run]}.txt
	[ -f "$f" ] || { echo "promo-split: no $f (PROFILE=2?)" >&2; exit 1; }
	sed "s/^/${v[mode]} ${v[ncg]} ${v[run]} ${v[promoted]} /" "$f"
done | awk -v nsw="$nsw" '
	function med(k,   n, i, j, t, a) {
		n = cnt[k]
		for (i = 1; i <= n; i++) a[i] = val[k, i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function field(s, name) { sub("^" name "=", "", s); return s }
	{
		run = $1 SUBSEP $2 SUBSEP $3
		if (!(run in pages)) { pages[run] = $4; order[++nrun] = run }
		if (!($1 in modeseen)) { modeseen[$1] = 1; mode[++nmode] = $1 }
		if (!(($1 SUBSEP $2 SUBSEP $3) in seen)) { seen[$1, $2, $3] = 1; nruns[$1 SUBSEP $2]++ }
	}
	$5 == "CPU" {
		w = field($6, "who"); p = field($7, "part")
		if (w != "other") ns[run, p] += field($8, "ns")
	}
	$5 == "SWITCH" {
		k = $1 SUBSEP $2 SUBSEP field($6, "who") " " field($7, "state") " " field($8, "where")
		sw[k] += field($9, "n")
		swtot[$1 SUBSEP $2] += field($9, "n")
	}
	END {
		np = split("promo copy fault scan kernel", parts, " ")
		for (r = 1; r <= nrun; r++) {
			split(order[r], a, SUBSEP)
			printf "%-6s ncg=%-2d run=%d", a[1], a[2], a[3]
			for (i = 1; i <= np; i++) {
				us = ns[order[r], parts[i]] / 1000 / pages[order[r]]
				printf " %s=%.2fus", parts[i], us
				k = a[1] SUBSEP a[2] SUBSEP parts[i]
				val[k, ++cnt[k]] = us
			}
			printf "\n"
		}
		for (n = 1; n <= 16; n *= 4) {
			if (!((("sync" SUBSEP n SUBSEP "promo") in cnt) && (("async" SUBSEP n SUBSEP "promo") in cnt)))
				continue
			printf "ncg %2d, µs per promoted page, medians (async / sync):", n
			for (i = 1; i <= np; i++) {
				s = med("sync" SUBSEP n SUBSEP parts[i]); x = med("async" SUBSEP n SUBSEP parts[i])
				printf " %s %.2f / %.2f", parts[i], x, s
				if (s > 0) printf " (%.2fx)", x / s
				printf ";"
			}
			printf "\n"
		}
		for (n = 1; n <= 16; n *= 4) for (mi = 1; mi <= nmode; mi++) {
			m = mode[mi] SUBSEP n
			if (!(m in swtot))
				continue
			split(m, a, SUBSEP)
			nr = nruns[m]
			printf "switches, %s ncg=%d: %.0f per run; largest (who state where: per run)\n", a[1], a[2], swtot[m] / nr
			for (k in sw) {
				split(k, b, SUBSEP)
				if (b[1] == a[1] && b[2] == a[2]) line[k] = sw[k]
			}
			for (i = 1; i <= nsw; i++) {
				best = ""; bn = 0
				for (k in line) if (line[k] > bn) { bn = line[k]; best = k }
				if (best == "") break
				split(best, b, SUBSEP)
				printf "  %-70s %6.0f\n", b[3], bn / nr
				delete line[best]
			}
			delete line
		}
	}'
