#!/bin/bash
# Benchmark: cgtier's per-cgroup promotion rate limit (memory.promotion.max,
# promoted by kmigrated) against the peer mechanism Linux 6.12 already has,
# DAMOS migrate_hot with a memcg filter and a bytes quota per 1 s. One boot,
# RUNS runs of each, interleaved; 512 MiB of hot memory on node 1 in one
# cgroup, target 16 MiB/s, then a change to 4 MiB/s. Prints medians per
# mechanism: promotion rate and its error against the target, kthread CPU
# (kmigrated vs kdamond) per promoted GiB, reaction time to the change.
#   bench/promotion-damos.sh      (RUNS=3 SIZE=512 RATE=16 RATE2=4 FLUSH=5;
#                                  MECHS="cgtier damos" or just one;
#                                  MECHS=policyd: cgtier-policyd with
#                                  the kernel backend it picks (native,
#                                  or damos on the base kernel, KERNEL=
#                                  build/kernel-base/bzImage); TAG=NAME
#                                  adds -NAME to the result files
#                                  THP=1: huge pages, results in
#                                  build/bench/promotion-damos-thp.*)
# Guest side and definitions: tests/vm/bench/promotion-damos.sh.
set -euo pipefail
# shellcheck source=scripts/bench-vm.sh
. "$(dirname "$0")/../scripts/bench-vm.sh"
RUNS=${RUNS:-3} SIZE=${SIZE:-512} RATE=${RATE:-16} RATE2=${RATE2:-4}
MECHS=${MECHS:-cgtier damos} FLUSH=${FLUSH:-5} THP=${THP:-0}
sfx=
[ "$THP" = 1 ] && sfx=-thp
[ -n "${TAG:-}" ] && sfx=$sfx-$TAG
# About 45 s per run and mechanism under TCG; generous, but a hung guest
# must not hold the machine for long.
tmo=$((300 + RUNS * 240))
# Multi-threaded TCG: kmigrated or kdamond beside the workload (run-vm.sh).
VM_TCG_THREAD=${VM_TCG_THREAD:-multi} VM_TIMEOUT=$tmo \
VM_APPEND="CGTIER_TEST_TIMEOUT=$((tmo - 100)) ${VM_APPEND:-}" \
	bench_vm promotion-damos promotion-damos env RUNS="$RUNS" SIZE="$SIZE" \
	RATE="$RATE" RATE2="$RATE2" FLUSH="$FLUSH" THP="$THP" "MECHS='$MECHS'" \
	"$top/tests/vm/bench/promotion-damos.sh"
grep '^RESULT' "$bench_log" >"$out/promotion-damos$sfx.results"
awk -v rate="$RATE" -v rate2="$RATE2" -v runs="$RUNS" -v thp="$THP" '
	# median of key; "NA" (never within the band) sorts as +infinity
	function med(key,   n, i, j, t, a) {
		n = cnt[key]
		if (!n) return ""
		for (i = 1; i <= n; i++) a[i] = val[key, i] == "NA" ? 1e9 : val[key, i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function add(key, v) { val[key, ++cnt[key]] = v }
	function secs(v) { return v == "" ? "n/a" : v >= 1e8 ? "never" : sprintf("%.2f s", v) }
	{
		delete v
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		m = v["mech"]; seen[m] = 1
		if ("backend" in v) backend = v["backend"]
		for (k in v) if (k != "mech" && k != "run" && k != "backend") add(m SUBSEP k, v[k])
		# per-run CPU per promoted GiB
		gib = v["promoted"] * 4096 / 2^30
		add(m SUBSEP "kcpu_gib", (gib > 0 ? v["kthread_cpu"] / gib : 1e9))
		add(m SUBSEP "wcpu_gib", (gib > 0 ? v["work_stime"] / gib : 1e9))
	}
	END {
		printf "%-7s %4s %7s %8s %12s %13s %18s %8s %8s %12s %s\n", "mech", "runs", "MiB/s", "error",
			"hotmem MiB/s", "kthread s/GiB", "workload sys s/GiB", "react", "settle", "after MiB/s", "extra"
		split("cgtier damos policyd", mechs, " ")
		for (k = 1; k <= 3; k++) {
			m = mechs[k]
			if (!(m in seen)) continue
			r = med(m SUBSEP "rate"); err[m] = (r - rate) / rate * 100
			kg[m] = med(m SUBSEP "kcpu_gib"); re[m] = med(m SUBSEP "react")
			x = cnt[m SUBSEP "throttled"] ? sprintf("throttled=%d", med(m SUBSEP "throttled")) : sprintf("tried=%.1fMiB/s", med(m SUBSEP "tried_rate"))
			if (m == "policyd") x = x " backend=" backend
			printf "%-7s %4d %7.2f %+7.1f%% %12.2f %13.2f %18.2f %8s %8s %12.2f %s\n", m, cnt[m SUBSEP "rate"], r, err[m],
				med(m SUBSEP "hotmem_rate"), kg[m], med(m SUBSEP "wcpu_gib"),
				secs(re[m]), secs(med(m SUBSEP "settle")), med(m SUBSEP "post_rate"), x
		}
		print ""
		if (("cgtier" in seen) && ("damos" in seen))
			printf "promotion-damos: rate error cgtier %+.1f%% vs DAMOS %+.1f%%; CPU/GiB cgtier/DAMOS %.2fx; reaction cgtier %s vs DAMOS %s\n",
				err["cgtier"], err["damos"], (kg["damos"] > 0 ? kg["cgtier"] / kg["damos"] : 0), secs(re["cgtier"]), secs(re["damos"])
		else
			for (m in seen)
				printf "promotion-damos: %s only: rate error %+.1f%%, kthread CPU %.2f s/GiB, reaction %s\n", m, err[m], kg[m], secs(re[m])
		printf "promotion-damos: target %d MiB/s, then %d MiB/s, %s pages; rate = the mechanism own count over 10 s; CPU = kmigrated / kdamond threads only (policyd: and the daemon)\n", rate, rate2, thp ? "huge" : "base"
	}' "$out/promotion-damos$sfx.results" | tee "$out/promotion-damos$sfx.txt"
