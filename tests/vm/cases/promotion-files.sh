#!/bin/sh
# The cgroup v2 files of per-cgroup promotion control (memory.promotion.max,
# .weight, .stat): absent on the root, present in children, defaults, value
# formats, EINVAL for every malformed or out-of-range write with the value
# left unchanged, values independent per cgroup. The checks are the KTAP
# selftest tests/selftests/promotion/test_promotion_files.c (built by
# scripts/build-selftests.sh); its full output is in the test's log.
# Skipped on a kernel without the files.
. "$CGTIER_TOP/tests/vm/lib/common.sh"

T=$CGTIER_TOP/build/selftests/promotion/test_promotion_files
[ -x "$T" ] || fail "no $T (scripts/build-selftests.sh)"
log=${CGTIER_OUT:-/tmp}/test_promotion_files.log

timeout 300 "$T" >"$log" 2>&1
rc=$?
cat "$log"
npass=$(grep -c '^ok ' "$log")
nfail=$(grep -c '^not ok ' "$log")
note "test_promotion_files: exit $rc, $npass ok, $nfail not ok"
# It removes its cgroups whatever happened.
left=$(ls -d "$CG"/cgtier-selftest-* 2>/dev/null)
[ -z "$left" ] || fail "cgroups left behind: $left (exit $rc, $nfail not ok)"
case $rc in
0)
	if [ "$nfail" -ne 0 ] || [ "$npass" -eq 0 ]; then
		fail "exit 0 but $npass ok, $nfail not ok"
	fi
	echo "ok: all $npass promotion-file checks passed" ;;
4)
	skip "$(sed -n 's/^1\.\.0 # SKIP //p' "$log" | head -n 1)" ;;
*)
	fail "exit $rc; $nfail failed:" \
		"$(sed -n 's/^not ok [0-9]* //p' "$log" | tr '\n' ' ')" ;;
esac
