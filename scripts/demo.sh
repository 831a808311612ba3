#!/bin/bash
# make demo: build what is missing, boot the two-tier VM with the cgtier
# kernel, run cgtier-policyd with the shipped policies on the guest's system
# D-Bus, start three services whose memory starts on the slow tier, show
# `cgtierctl top` live, cap one service by dropping a YAML file in, and end
# with a summary table, a text log and a PNG plot of promoted MiB/s per
# service (build/demo/).
#
# KERNEL=base (make demo KERNEL=base): the same on the unpatched base
# kernel (scripts/kernel-build.sh --base), where the daemon enforces the
# policies through DAMOS (its damos backend); KERNEL=PATH: that bzImage.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
append="quiet"
case "${KERNEL:-}" in
'' | test)
	echo "demo: building the kernel (first time ~20 min on 2 cores, then incremental)"
	scripts/kernel-build.sh
	kernel=$top/build/kernel/bzImage ;;
base)
	echo "demo: building the unpatched base kernel (first time ~20 min on 2 cores)"
	scripts/kernel-build.sh --base
	kernel=$top/build/kernel-base/bzImage ;;
*)
	kernel=$KERNEL
	[ -e "$kernel" ] || { echo "demo: no kernel at $kernel (KERNEL=base, test or a bzImage)" >&2; exit 2; } ;;
esac
# Without the series (no CONFIG_KMIGRATED in the kernel's build
# configuration) DAMOS promotes alone: NUMA balancing stays off from
# the start (switching it off at run time flips static keys under load).
if ! grep -qs '^CONFIG_KMIGRATED=y' "$(dirname "$kernel")/obj/.config"; then
	append="$append numa_balancing=disable"
fi
echo "demo: building the daemon, the CLI and the test workloads"
make -s userspace vm-tools
out=$top/build/vm/demo
res=$top/build/demo
plan=$top/build/demo.plan
echo "demo $top/tests/vm/demo/guest-demo.sh" >"$plan"
rm -rf "$out" "$res"
mkdir -p "$out" "$res"
echo "demo: booting the VM (software emulation: ~20 s to start)"
KERNEL=$kernel VM_APPEND="$append" tests/vm/run-vm.sh -n demo -t 900 "$plan" >"$res/run.log" 2>&1 &
vm=$!
# Show the guest's narration live as the console file grows.
while [ ! -f "$out/console.log" ]; do sleep 0.2; done
tail -n +1 -f "$out/console.log" --pid=$vm | sed -n 's/^demo| \{0,1\}//p'
rc=0
wait $vm || rc=$?
grep -v '^run-vm' "$res/run.log" | grep -v '^PASS' || true
sed -n 's/^demo| \{0,1\}//p' "$out/console.log" >"$res/demo.txt"
if [ -s "$out/promotion.csv" ]; then
	cp "$out/promotion.csv" "$res/"
	[ -f "$out/summary.txt" ] && cp "$out/summary.txt" "$res/"
	# One row per sample time and one column per service, for gnuplot.
	awk -F, 'NR > 1 {
			if (!($1 in seen)) { seen[$1] = 1; times[++nt] = $1 }
			if (!($2 in col)) { col[$2] = ++nc; name[nc] = $2 }
			v[$1, $2] = $3
		}
		END {
			printf "t"; for (j = 1; j <= nc; j++) printf " %s", name[j]; print ""
			for (i = 1; i <= nt; i++) {
				printf "%s", times[i]
				for (j = 1; j <= nc; j++) {
					x = "NaN"
					if ((times[i], name[j]) in v) x = v[times[i], name[j]]
					printf " %s", x
				}
				print ""
			}
		}' "$out/promotion.csv" >"$res/promotion.dat"
	ncol=$(head -n 1 "$res/promotion.dat" | wc -w)
	gnuplot <<EOF 2>"$res/gnuplot.log" || echo "demo: gnuplot failed, see $res/gnuplot.log"
set terminal pngcairo size 960,540 noenhanced
set output "$res/promotion.png"
set title "Pages promoted from the slow tier, per service (MiB/s)"
set xlabel "seconds since the workloads started"
set ylabel "MiB/s"
set key outside right top autotitle columnhead
set grid
plot for [i=2:$ncol] "$res/promotion.dat" using 1:i with lines linewidth 2
EOF
fi
echo
echo "demo: narration: $res/demo.txt"
[ -f "$res/summary.txt" ] && echo "demo: summary:   $res/summary.txt"
[ -f "$res/promotion.csv" ] && echo "demo: samples:   $res/promotion.csv"
[ -f "$res/promotion.png" ] && echo "demo: plot:      $res/promotion.png"
echo "demo: console:   $out/console.log"
exit $rc
