#!/bin/bash
# cgtier-policyd and cgtierctl on the guest's real cgroup2 hierarchy, both
# cgroupfs backends, over a private D-Bus. Run by tests/vm/run-vm.sh from a
# plan line such as:
#   policyd  $CGTIER_TOP/policyd/tests/vm/policyd.sh
# On the cgtier kernel it checks the knobs are written at start and for a
# new cgroup through inotify; on a kernel without the series it checks the
# daemon says so and still serves statistics. Exit 0 pass, 1 fail, 77 skip.
set -u
top=${CGTIER_TOP:-$(cd "$(dirname "$0")/../../.." && pwd)}
P=$top/policyd/build
CG=/sys/fs/cgroup
S=$CG/cgtier-policyd-test.slice
fail() { echo "FAIL: $*"; exit 1; }

[ -x "$P/cgtier-policyd" ] && [ -x "$P/cgtierctl" ] || { echo "SKIP: build policyd first"; exit 77; }
command -v dbus-daemon >/dev/null || { echo "SKIP: no dbus-daemon"; exit 77; }
grep -q memory $CG/cgroup.controllers || { echo "SKIP: no memory controller"; exit 77; }

cleanup() {
	[ -n "${D:-}" ] && kill "$D" 2>/dev/null
	[ -n "${BUS_PID:-}" ] && kill "$BUS_PID" 2>/dev/null
	rmdir "$S"/*.service "$S" 2>/dev/null
}
trap cleanup EXIT

echo "+memory" >$CG/cgroup.subtree_control
mkdir -p "$S" && echo "+memory" >"$S/cgroup.subtree_control" || fail "cannot create $S"
mkdir -p "$S/a.service"
pol=$(mktemp -d)
mkdir -p "$pol/etc/cgtier/policies.d"
cat >"$pol/etc/cgtier/policies.d/50-test.yaml" <<'Y'
version: 1
rules:
  - name: test
    priority: 10
    match:
      cgroup: "cgtier-policyd-test.slice/*.service"
    promotion:
      max: 64MiB/s
      weight: 50
Y
if [ -e "$S/a.service/memory.promotion.max" ]; then knobs=yes; else knobs=no; fi
echo "# kernel has memory.promotion.max: $knobs"

# No process substitution: the guest's /dev has no /dev/fd.
dbus-daemon --session --fork --print-address=1 --print-pid=1 >"$pol/bus" 2>/dev/null
A=$(sed -n 1p "$pol/bus")
BUS_PID=$(sed -n 2p "$pol/bus")
[ -n "$A" ] || fail "dbus-daemon did not start"
ctl() { "$P/cgtierctl" --bus-address="$A" "$@"; }

for backend in libcgroup openat; do
	echo "# backend $backend"
	[ "$knobs" = yes ] && echo "max 1000000" >"$S/a.service/memory.promotion.max" && echo 100 >"$S/a.service/memory.promotion.weight"
	"$P/cgtier-policyd" --root="$pol" --bus-address="$A" --backend=$backend --log-level=debug \
		>"$pol/$backend.log" 2>&1 &
	D=$!
	for i in $(seq 1 100); do ctl status >/dev/null 2>&1 && break; sleep 0.2; done
	ctl status >"$pol/status" || fail "$backend: status"
	cat "$pol/status"
	grep -q "($backend backend" "$pol/status" || fail "$backend: backend not used"
	ctl list | grep -q "/cgtier-policyd-test.slice/a.service  *test" || fail "$backend: a.service not managed"
	ctl stats "$S/a.service" >"$pol/stats" || fail "$backend: stats"
	grep -q "node0" "$pol/stats" || fail "$backend: no per-node usage"
	if [ "$knobs" = yes ]; then
		grep -q "Kernel support: yes" "$pol/status" || fail "$backend: knobs not detected"
		[ "$(cat "$S/a.service/memory.promotion.max")" = "67108864 1000000" ] ||
			fail "$backend: max is $(cat "$S/a.service/memory.promotion.max")"
		[ "$(cat "$S/a.service/memory.promotion.weight")" = 50 ] || fail "$backend: weight"
		mkdir "$S/new-$backend.service"
		t0=$(date +%s%N)
		for i in $(seq 1 200); do
			[ "$(cat "$S/new-$backend.service/memory.promotion.weight")" = 50 ] && break
			sleep 0.01
		done
		[ "$(cat "$S/new-$backend.service/memory.promotion.weight")" = 50 ] || fail "$backend: new cgroup not configured"
		echo "# new cgroup configured within $(( ($(date +%s%N) - t0) / 1000000 )) ms (poll granularity 10 ms)"
		grep -q "promoted" "$pol/stats" || fail "$backend: no memory.promotion.stat keys"
	else
		grep -q "Kernel support: no" "$pol/status" || fail "$backend: missing knobs not reported"
		grep -q "kernel lacks memory.promotion.max" "$pol/$backend.log" || fail "$backend: no log line"
		mkdir "$S/new-$backend.service"
	fi
	kill -TERM "$D"; wait "$D"; rc=$?; D=
	[ $rc -eq 0 ] || { cat "$pol/$backend.log"; fail "$backend: exit $rc after SIGTERM"; }
done
echo "PASS"
