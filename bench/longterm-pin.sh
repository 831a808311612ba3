#!/bin/bash
# Benchmark (issue: copy offload, the longterm-pin wait): one boot of the
# patched kernel with ZONE_MOVABLE (movablecore=1G), guest half
# tests/vm/bench/longterm-pin.sh. For transient references held 0, 1, 10,
# 100 and 500 ms, prints how many of RUNS pins of 16 pages succeeded and
# their median time, with upstream's fixed retries and with the wait, in
# the same boot. Hold 0 (no extra reference) is the cost for pins that
# never wait. Then the cost of switching the wake key on: five waiting
# pins in a row (the first switches it on), and five with it held on.
# Single-threaded TCG: the wait flips a static key.
#   bench/longterm-pin.sh [--report]   (RUNS=9 by default)
set -euo pipefail
# shellcheck source=scripts/bench-vm.sh
. "$(dirname "$0")/../scripts/bench-vm.sh"
if [ "${1:-}" != --report ]; then
	VM_APPEND="movablecore=1G ${VM_APPEND:-}" bench_vm longterm-pin longterm-pin \
		env RUNS="${RUNS:-9}" "$top/tests/vm/bench/longterm-pin.sh"
	grep -E '^(PIN|BURST) ' "$bench_log" >"$out/longterm-pin.results"
fi
awk '
	{ delete v; for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
	$1 == "BURST" { b[v["mode"]] = b[v["mode"]] " " v["ms"] (v["rc"] == 0 ? "" : "(rc " v["rc"] ")"); next }
	{ k = v["mode"] SUBSEP v["hold_ms"]; n[k]++; ok[k] += (v["rc"] == 0); t[k, n[k]] = v["ms"]; holds[v["hold_ms"]] }
	function med(k,   i, j, x, a, m) {
		m = n[k]; for (i = 1; i <= m; i++) a[i] = t[k, i] + 0
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
	}
	END {
		print "FOLL_LONGTERM pin of 16 ZONE_MOVABLE pages, references held H ms:"
		printf "%8s  %-24s  %-24s\n", "hold_ms", "upstream: pinned, med ms", "wait: pinned, med ms"
		nh = split("0 1 10 100 500", H, " ")
		for (i = 1; i <= nh; i++) {
			u = "upstream" SUBSEP H[i]; w = "wait" SUBSEP H[i]
			if (!n[u]) continue
			printf "%8s  %9s %14s  %9s %14s\n", H[i], ok[u] "/" n[u], med(u), ok[w] "/" n[w], med(w)
		}
		if ("row" in b) {
			print "\nwaiting pins (10 ms hold), ms each:"
			print "  five in a row, key off before: " b["row"]
			print "  five with the key held on:     " b["held"]
		}
	}' "$out/longterm-pin.results"
