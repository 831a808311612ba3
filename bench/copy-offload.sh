#!/bin/bash
# Benchmark (issue: copy offload): one boot of the patched kernel,
# tests/vm/bench/copy-offload.sh in the guest. Prints
#   1. move_pages() GB/s by folio size for each copy path, and each path's
#      ratio to upstream's per-folio copy;
#   2. first-folio latency (ms) against batch size;
#   3. kmigrated promotion MiB/s of PROMO_MIB MiB with each path, and the
#      ratio to upstream synchronous promotion in the same boot.
# dcbm runs over the test-only software DMA engine, which copies with the
# CPU: its column measures the framework's overhead, not DMA hardware.
#   bench/copy-offload.sh [--report]   (RUNS=3 MIB=64 PROMO_MIB=256 by default;
#   SIZES, PATHS and PARTS narrow a run, see tests/vm/bench/copy-offload.sh;
#   the MOVE lines of every path occurrence stay in build/bench/copy-offload.results)
set -euo pipefail
# shellcheck source=scripts/bench-vm.sh
. "$(dirname "$0")/../scripts/bench-vm.sh"
# --report: print the tables again from the last run's results.
if [ "${1:-}" != --report ]; then
	VM_TCG_THREAD=${VM_TCG_THREAD:-multi} VM_TIMEOUT=3000 \
	VM_APPEND="CGTIER_TEST_TIMEOUT=2900 ${VM_APPEND:-}" \
		bench_vm copy-offload copy-offload env RUNS="${RUNS:-3}" MIB="${MIB:-64}" \
		PROMO_MIB="${PROMO_MIB:-256}" ${SIZES:+"SIZES='$SIZES'"} \
		${PATHS:+"PATHS='$PATHS'"} ${PARTS:+"PARTS='$PARTS'"} \
		"$top/tests/vm/bench/copy-offload.sh"
	grep -E '^(MOVE|LAT|PROMO) ' "$bench_log" >"$out/copy-offload.results"
fi
awk '
	{ delete v; for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
	function seen(p) { if (!(p in known)) { known[p]; P[++np] = p } }
	# a path may occur several times (PATHS repeats it): the median of
	# its occurrences
	$1 == "MOVE" { k = v["path"] SUBSEP v["folio_kb"]; gv[k, ++gn[k]] = v["gbps"]; seen(v["path"]) }
	$1 == "LAT" { seen(v["path"]); lf[v["path"], v["pages"]] = v["first_ms"]; lt[v["path"], v["pages"]] = v["total_ms"]; lp[v["pages"]] }
	$1 == "PROMO" { seen(v["path"]); k = v["path"] SUBSEP v["mode"]; pt[k, ++pn[k]] = v["time"]; pm[k, pn[k]] = v["promoted"] }
	function gmed(k,   n, i, j, t, a) {
		n = gn[k]; if (!n) return ""
		for (i = 1; i <= n; i++) a[i] = gv[k, i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : sprintf("%.3f", (a[n / 2] + a[n / 2 + 1]) / 2)
	}
	function med(k,   n, i, j, t, a) {
		n = pn[k]; for (i = 1; i <= n; i++) a[i] = pm[k, i] / 256 / pt[k, i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	END {
		ns = split("4 16 64 256 1024 2048", S, " ")
		print "move_pages() throughput, GB/s (median of all moves; median over the occurrences of a repeated path), by folio size in KiB:"
		printf "%-9s", "path"; for (j = 1; j <= ns; j++) printf " %8s", S[j]; print ""
		for (i = 1; i <= np; i++) { printf "%-9s", P[i]; for (j = 1; j <= ns; j++) printf " %8s", gmed(P[i] SUBSEP S[j]); print "" }
		print "\nratio to upstream per-folio copy:"
		for (i = 1; i <= np; i++) {
			if (P[i] == "upstream") continue
			printf "%-9s", P[i]
			for (j = 1; j <= ns; j++) {
				u = gmed("upstream" SUBSEP S[j]) + 0; x = gmed(P[i] SUBSEP S[j])
				printf " %8s", (u > 0 && x != "" ? sprintf("%.2fx", x / u) : "-")
			}
			print ""
		}
		nl = split("16 64 256 512", L, " ")
		print "\nfirst-folio latency / whole move_pages(), ms (median of 9), 4K folios, by batch size in pages:"
		printf "%-9s", "path"; for (j = 1; j <= nl; j++) printf " %15s", L[j]; print ""
		for (i = 1; i <= np; i++) { printf "%-9s", P[i]; for (j = 1; j <= nl; j++) printf " %15s", lf[P[i], L[j]] "/" lt[P[i], L[j]]; print "" }
		print "\nkmigrated promotion (1 cgroup, reniced), MiB/s (median) and ratio to upstream sync promotion:"
		s = med("upstream" SUBSEP "sync")
		printf "%-16s %8.1f\n", "upstream sync", s
		for (i = 1; i <= np; i++) { k = P[i] SUBSEP "asyncn"; if (pn[k]) printf "%-16s %8.1f  %.2fx\n", "kmigrated " P[i], med(k), med(k) / s }
	}' "$out/copy-offload.results"
