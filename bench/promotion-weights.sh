#!/bin/bash
# Benchmark (issue #19): how exactly memory.promotion.weight divides a
# parent's memory.promotion.max between backlogged siblings, 2 and 4
# cgroups, their pages on one lower-tier node or spread over two (two
# kmigrated threads sharing the budget). One boot on the two-lower-tier-
# node bed (VM_NODE2_MB, docs/TESTBED.md); medians over RUNS runs of the
# largest error of a share against weight / sum of weights, of the
# parent's rate against the limit, and of kmigrated's CPU per promoted GiB.
#   bench/promotion-weights.sh    (RUNS=3 RATE=16 WINDOW=20, SIZE=768/N
#                                  MiB per child of N;
#                                  LAYOUTS="2x1 4x1 2x2 4x2")
# DAMOS has no weights (a static quota per scheme is what it offers), so
# there is no DAMOS column. Guest side: tests/vm/bench/promotion-weights.sh.
set -euo pipefail
# shellcheck source=scripts/bench-vm.sh
. "$(dirname "$0")/../scripts/bench-vm.sh"
RUNS=${RUNS:-3} RATE=${RATE:-16} SIZE=${SIZE:-} WINDOW=${WINDOW:-20}
LAYOUTS=${LAYOUTS:-2x1 4x1 2x2 4x2}
nl=$(echo "$LAYOUTS" | wc -w)
# About 70 s per run; a hung guest must not hold the machine for long.
tmo=$((300 + nl * RUNS * 120))
VM_NODE2_MB=${VM_NODE2_MB:-1024} VM_TIMEOUT=$tmo \
VM_APPEND="CGTIER_TEST_TIMEOUT=$((tmo - 100)) ${VM_APPEND:-}" \
	bench_vm promotion-weights promotion-weights env RUNS="$RUNS" RATE="$RATE" \
	SIZE="$SIZE" WINDOW="$WINDOW" "LAYOUTS='$LAYOUTS'" \
	"$top/tests/vm/bench/promotion-weights.sh"
grep '^RESULT' "$bench_log" >"$out/promotion-weights.results"
awk -v rate="$RATE" '
	function med(key,   n, i, j, t, a) {
		n = cnt[key]
		for (i = 1; i <= n; i++) a[i] = val[key, i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function add(key, v) { val[key, ++cnt[key]] = v }
	{
		delete v
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		l = v["layout"]
		if (!(l in seen)) { seen[l] = 1; order[++nl] = l }
		add(l SUBSEP "err", v["err"]); add(l SUBSEP "rate", v["rate"])
		gib = v["promoted"] * 4096 / 2^30
		add(l SUBSEP "kcpu", gib > 0 ? v["kcpu"] / gib : 1e9)
		runs[l] = runs[l] sprintf("%s%s (%s%%)", runs[l] == "" ? "" : ", ", v["shares"], v["err"])
		if (min_left[l] == "" || v["left"] < min_left[l]) min_left[l] = v["left"]
	}
	END {
		printf "%-7s %4s %12s %9s %14s %12s  %s\n", "layout", "runs", "weight error", "MiB/s", "kmigrated s/GiB", "min left MiB", "shares per run (error)"
		for (k = 1; k <= nl; k++) {
			l = order[k]
			printf "%-7s %4d %11.1f%% %9.2f %14.2f %12d  %s\n", l, cnt[l SUBSEP "err"], med(l SUBSEP "err"),
				med(l SUBSEP "rate"), med(l SUBSEP "kcpu"), min_left[l], runs[l]
		}
		printf "\npromotion-weights: limit %d MiB/s; layout NxM = N cgroups (weights 100:300 or 100:200:300:400) on M lower-tier nodes; error = largest |share / (weight / sum) - 1|, median over runs; min left = the least memory a child still had on the lower tiers at the end (0: it ran dry)\n", rate
	}' "$out/promotion-weights.results" | tee "$out/promotion-weights.txt"
