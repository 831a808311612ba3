#!/bin/sh
# Upstream's cgroup memcontrol and mm migration selftests, built from the same
# tree as the running kernel, give the per-test results recorded for the base
# kernel in tests/vm/upstream-baseline.txt. A test that passed there and fails
# here is a regression (fail); one that failed there and passes here is
# reported so the baseline can be updated.
. "$CGTIER_TOP/tests/vm/lib/common.sh"

st=$CGTIER_TOP/build/selftests
baseline=$CGTIER_TOP/tests/vm/upstream-baseline.txt
now=$CGTIER_OUT/upstream-results.txt
: >"$now"

# ktap_results PREFIX: "PREFIX/name ok|fail|skip" for each top-level result.
ktap_results() {
	awk -v p="$1" '
		/^(not )?ok [0-9]+ / {
			notok = ($1 == "not"); n = notok ? $4 : $3
			st = notok ? "fail" : "ok"
			# "ok 10 # SKIP name": the name follows the directive
			if (n == "#") { n = notok ? $6 : $5; st = "skip" }
			if ($0 ~ /# *SKIP/) st = "skip"
			print p "/" n " " st
		}'
}

# Page-cache tests create their files in the working directory: give them
# a real file system (the root is read-only 9p; tmpfs pages are not page
# cache) and swap, as upstream's CI does. stdbuf keeps the forked tests'
# output from being duplicated by inherited stdio buffers.
cd "$CGTIER_SCRATCH" || fail "no scratch file system"
swapon "$CGTIER_SWAPDEV" || fail "swapon $CGTIER_SWAPDEV"
timeout 600 stdbuf -oL -eL "$st/cgroup/test_memcontrol" >"$CGTIER_OUT/test_memcontrol.log" 2>&1
ktap_results memcontrol <"$CGTIER_OUT/test_memcontrol.log" >>"$now"
# migration wants 3+ CPUs (it runs nthreads = CPUs - 1 >= 2 threads) and two
# nodes; its hugetlb cases need free huge pages.
[ "$(nproc)" -ge 3 ] || note "only $(nproc) CPUs: migration's cases will skip (run with VM_SMP>=3)"
echo 16 >/proc/sys/vm/nr_hugepages
timeout 600 stdbuf -oL -eL "$st/mm/migration" >"$CGTIER_OUT/migration.log" 2>&1
ktap_results migration <"$CGTIER_OUT/migration.log" >>"$now"
echo 0 >/proc/sys/vm/nr_hugepages
swapoff "$CGTIER_SWAPDEV"

cat "$now"
[ -s "$now" ] || fail "no selftest results parsed"
[ -f "$baseline" ] || fail "no baseline $baseline (record one on the base kernel)"
bad=0
while read -r name want; do
	case "$name" in ''|'#'*) continue ;; esac
	got=$(awk -v n="$name" '$1 == n { print $2 }' "$now")
	if [ -z "$got" ]; then
		echo "REGRESSION $name: no result (baseline $want)"; bad=1
	elif [ "$want" = any ]; then
		note "$name: $got (flaky on the base kernel)"
	elif [ "$want" = ok ] && [ "$got" != ok ]; then
		echo "REGRESSION $name: $got (baseline ok)"; bad=1
	elif [ "$want" != "$got" ]; then
		echo "CHANGED $name: $got (baseline $want): update the baseline if intended"
	fi
done <"$baseline"
[ "$bad" = 0 ] || fail "upstream selftests regressed against the base kernel"
echo "ok: upstream selftests match the base-kernel baseline"
