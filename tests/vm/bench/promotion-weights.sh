#!/bin/sh
# Guest half of bench/promotion-weights.sh: how exactly memory.promotion.weight
# divides a parent's memory.promotion.max between backlogged siblings, on
# one lower-tier node and on two (the bed of tests/vm/plans/control.plan,
# VM_NODE2_MB). For each layout of LAYOUTS, RUNS runs:
#   - a parent limited to RATE MiB/s with N children, weights 100 and 300
#     (N=2) or 100, 200, 300 and 400 (N=4);
#   - each child a THP hot workload of SIZE MiB (hotmem -H, so candidates
#     arrive faster than the limit), all on node 1 ("Nx1") or alternately
#     on nodes 1 and 2 ("Nx2": two kmigrated threads share the budget);
#     SIZE defaults to 768 MiB / N: enough that the heaviest child (3/4 of
#     the limit at 100:300) still has pages on the lower tier at the end
#     of the window (192 MiB each at N=2 ran dry in 15 s, and the share
#     of a child that runs dry says nothing about the weights);
#   - once the limit holds the parent back (and its initial burst is
#     spent), a WINDOW s window: each child's promoted pages.
# Prints one line per run:
#   RESULT layout=NxM run=I rate=MIB/S err=PCT shares=S1:S2... kcpu=S
#          promoted=PAGES backlog=PAGES left=MIB
# rate: the parent's promoted MiB/s; err: the largest relative error of a
# child's share of what was promoted against weight / sum of weights, in
# percent; kcpu: CPU seconds of the kmigrated threads over the window;
# backlog: the smallest queued count of a child at the end (kmigrated
# drains its queues batch by batch, so 0 is common and says little);
# left: the smallest amount of a child's memory still on the lower tiers
# at the end, MiB (0: that child ran dry, and the run says nothing about
# the weights).
#   LAYOUTS="2x1 4x1 2x2 4x2" RUNS=3 RATE=16 SIZE=768/N WINDOW=20
# shellcheck source=../lib/common.sh
. "$CGTIER_TOP/tests/vm/lib/common.sh"
# shellcheck source=../lib/control.sh
. "$CGTIER_TOP/tests/vm/lib/control.sh"

LAYOUTS=${LAYOUTS:-2x1 4x1 2x2 4x2}
RUNS=${RUNS:-3}
RATE=${RATE:-16}
SIZE=${SIZE:-}
WINDOW=${WINDOW:-20}
HZ=$(getconf CLK_TCK)
P=bench-weights

control_init

lower_mib() { # CGROUP: MiB of its anonymous memory on nodes 1 and 2
	awk '$1 == "anon" {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] != "N0") b += kv[2] }
	} END { printf "%d", b / 1048576 }' "$CG/$1/memory.numa_stat"
}

kticks() { # TICKS: utime + stime of the kmigrated threads
	TICKS=0
	for p in $(pgrep '^kmigrated'); do
		# shellcheck disable=SC2046
		set -- $(cat "/proc/$p/stat")
		shift 13
		TICKS=$((TICKS + $1 + $2))
	done
}

one_run() { # N NODES RUN
	n=$1 nodes=$2 run=$3
	case $n in
	2) weights="100 300" ;;
	4) weights="100 200 300 400" ;;
	*) fail "layout $n: 2 or 4 cgroups" ;;
	esac
	mkcg $P/
	echo "${RATE}M" >"$CG/$P/memory.promotion.max" || fail "set the limit"
	i=0 more=
	for w in $weights; do
		i=$((i + 1))
		mkcg "$P/c$i"
		echo "$w" >"$CG/$P/c$i/memory.promotion.weight" || fail "set weight $w"
		node=1
		[ "$nodes" = 2 ] && [ $((i % 2)) -eq 0 ] && node=2
		start "$P/c$i" "${SIZE:-$((768 / n))}" $node -H
		[ $i -gt 1 ] && more="$more $P/c$i"
	done
	ready
	go
	paced $P $((RATE * 256))
	kticks; k0=$TICKS
	# shellcheck disable=SC2086
	window $P/c1 "$WINDOW" "$more"
	kticks; k1=$TICKS
	left=-1 j=1
	while [ $j -le "$n" ]; do
		m=$(lower_mib "$P/c$j")
		[ "$left" -lt 0 ] || [ "$m" -lt "$left" ] && left=$m
		j=$((j + 1))
	done
	stop_all
	tot=0 j=1 backlog=-1 q=0
	while [ $j -le "$n" ]; do
		eval "tot=\$((tot + W_$j))"
		eval "q=\$Q_$j"
		[ "$backlog" -lt 0 ] || [ "$q" -lt "$backlog" ] && backlog=$q
		j=$((j + 1))
	done
	# shellcheck disable=SC2086
	set -- $weights
	ws="$*"
	j=1 got=
	while [ $j -le "$n" ]; do
		eval "got=\"\$got \$W_$j\""
		j=$((j + 1))
	done
	awk -v ws="$ws" -v got="$got" -v tot="$tot" -v dt="$W_DT" -v layout="${n}x$nodes" \
		-v run="$run" -v kt=$((k1 - k0)) -v hz="$HZ" -v backlog="$backlog" -v left="$left" 'BEGIN {
		nw = split(ws, w, " "); split(got, g, " ")
		for (i = 1; i <= nw; i++) sw += w[i]
		err = 0; sh = ""
		for (i = 1; i <= nw; i++) {
			s = tot > 0 ? g[i] / tot : 0
			e = (s / (w[i] / sw) - 1) * 100
			if (e < 0) e = -e
			if (e > err) err = e
			sh = sh (i > 1 ? ":" : "") sprintf("%.3f", s)
		}
		printf "RESULT layout=%s run=%d rate=%.2f err=%.1f shares=%s kcpu=%.2f promoted=%d backlog=%d left=%d\n",
			layout, run, tot * 4096 / 1048576 / dt, err, sh, kt / hz, tot, backlog, left
	}'
	for c in $CTL_CGROUPS; do
		cg_remove "$CG/$c"
	done
	CTL_CGROUPS=
}

for l in $LAYOUTS; do
	r=1
	while [ $r -le "$RUNS" ]; do
		one_run "${l%x*}" "${l#*x}" $r
		r=$((r + 1))
	done
done
