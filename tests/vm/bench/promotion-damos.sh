#!/bin/sh
# Guest half of bench/promotion-damos.sh: cgtier's per-cgroup promotion rate
# limit (memory.promotion.max, kmigrated) against the peer mechanism Linux
# 6.12 already has, a DAMOS "migrate_hot" scheme with a memcg filter and a
# bytes quota per reset interval. In one boot, RUNS runs of each, interleaved
# (the order alternates from run to run), each run:
#   - a cgroup with SIZE MiB of hot memory that starts on node 1 (hotmem);
#   - the mechanism set to RATE MiB/s; IDLE (2) s later the workload is
#     released (t=0): Linux 6.12 enforces no DAMOS quota in the first reset
#     interval after a kdamond starts (mm/damon/core.c: the effective quota
#     stays 0 until damos_adjust_quota() opens the second charge window),
#     and a cold start promoted all 512 MiB in one go;
#   - rate window: from t=4 s, 10 s long (counter deltas, kthread CPU);
#   - reaction: 2 s more at RATE, then the limit is changed to RATE2 MiB/s
#     and sampled for 8 s every 250 ms; reaction = time from the write until
#     the 1 s-window rate is within +-10 % of RATE2 (first entry), and until
#     it stays there for the rest of the 8 s (settle).
# Prints one line per run:
#   RESULT mech=cgtier|damos run=I rate=MIB/S hotmem_rate=MIB/S
#          promoted=PAGES kthread_cpu=S work_stime=S react=S|NA settle=S|NA
#          pre_rate=MIB/S post_rate=MIB/S [throttled=PAGES | tried_rate=MIB/S]
# rate: the mechanism's own count of pages it promoted for the cgroup
# (cgtier: "promoted" in memory.promotion.stat; DAMOS: the scheme's
# sz_applied, which the memcg filter restricts to the cgroup); hotmem_rate:
# the same from the workload's own move_pages(2) placement counts, as a
# cross-check; kthread_cpu: CPU time of the kmigrated threads or of the
# kdamond over the window; work_stime: the workload's system time over the
# window (hint faults and NUMA scanning in tiering mode; hotmem's placement
# queries in both); tried_rate: bytes DAMOS charged to its quota (regions
# tried), against which sz_applied is what it really migrated.
# The workload flushes its TLB every FLUSH (5) ms (hotmem -f): DAMON sees an
# access only when the CPU sets a PTE's accessed bit again after DAMON
# cleared it, which a real CPU does on the next TLB miss; QEMU's software
# TLB holds all 512 MiB, and without the flushes DAMON saw nothing hot and
# promoted nothing after its first second. Both mechanisms get the same
# workload.
# MECHS may also name "policyd": cgtier-policyd itself, with the kernel
# backend it picks (native knobs on the patched kernel, DAMOS on the
# base kernel: issue #22), given the rate as a YAML policy (max: RATE
# MiB/s, default 1 s period) and the change as a rewritten policy file, so
# the reaction includes the daemon's reload; counted from the kernel
# (memory.promotion.stat, or the sz_applied of the scheme the daemon
# made), CPU = the kernel threads and the daemon together.
#   MECHS="cgtier damos" (default) or one of them; RATE=16 RATE2=4 SIZE=512
#   FLUSH=5 (ms; 0: never); THP=1: the workload's memory in transparent
#   huge pages (hotmem -H), so both mechanisms promote 2 MiB folios
# shellcheck source=../lib/common.sh
. "$CGTIER_TOP/tests/vm/lib/common.sh"
# shellcheck source=../lib/stack.sh
. "$CGTIER_TOP/tests/vm/lib/stack.sh"

RUNS=${RUNS:-3}
SIZE=${SIZE:-512}
RATE=${RATE:-16}
RATE2=${RATE2:-4}
MECHS=${MECHS:-cgtier damos}
FLUSH=${FLUSH:-5}
THP=${THP:-0}
hflags=
[ "$THP" = 1 ] && hflags=-H
# WARM 4 s: a token bucket starts with one period's budget (16 MiB), spent
# in 1-2 s here; the rate window measures the limit after it.
WARM=4 WINDOW=10 PRE=2 POST=8 IDLE=${IDLE:-2}
CGN=bench-promo
CGD=$CG/$CGN
KM=/sys/kernel/mm/kmigrated
DA=/sys/kernel/mm/damon/admin/kdamonds
HZ=$(getconf CLK_TCK)

# --- availability ---------------------------------------------------------
for m in $MECHS; do
	case $m in
	cgtier)
		[ -d "$KM" ] || skip "kernel without kmigrated ($KM)"
		cg_create "$CGN" >/dev/null
		[ -f "$CGD/memory.promotion.max" ] ||
			skip "kernel without memory.promotion.max (cgtier's rate limit)"
		rmdir "$CGD"; CG_MADE=
		;;
	damos)
		[ -d "$DA" ] || skip "kernel without DAMON sysfs ($DA)"
		;;
	policyd)
		[ -x "$POLICYD_BIN/cgtier-policyd" ] || fail "no $POLICYD_BIN/cgtier-policyd (make)"
		;;
	*) fail "unknown mechanism $m (MECHS: cgtier damos policyd)" ;;
	esac
done

# --- time (centiseconds of /proc/uptime, no forks) -------------------------
now() {
	read -r up _ </proc/uptime
	f=${up#*.}; f=${f#0}
	NOW=$((${up%.*} * 100 + f))
}
sleep_until() { # CS
	now
	s=$(($1 - NOW))
	[ $s -gt 0 ] || return 0
	c=$((s % 100)); [ $c -lt 10 ] && c=0$c
	sleep "$((s / 100)).$c"
}

# --- CPU time (clock ticks) -------------------------------------------------
ticks_of() { # PID...: utime + stime of the given threads
	TICKS=0
	for p in "$@"; do
		read -r st <"/proc/$p/stat" || continue
		# shellcheck disable=SC2086
		set -- $st
		shift 13
		TICKS=$((TICKS + $1 + $2))
	done
}
stime_of() { # PID: system time of one process
	read -r st <"/proc/$1/stat"
	# shellcheck disable=SC2086
	set -- $st
	STIME=${15}
}

# --- node 1's physical address range (DAMON's paddr target), /proc/zoneinfo
node1_range() {
	# shellcheck disable=SC2046
	set -- $(awk '
		/^Node / { node = $2 + 0; sp = 0 }
		$1 == "spanned" { sp = $2 }
		$1 == "start_pfn:" && node == 1 && sp > 0 {
			if (lo == "" || $2 < lo) lo = $2
			if ($2 + sp > hi) hi = $2 + sp
		}
		END { if (lo != "") print lo, hi }' /proc/zoneinfo)
	[ $# -eq 2 ] || fail "no zone of node 1 in /proc/zoneinfo"
	N1_START=$(($1 * 4096))
	N1_END=$(($2 * 4096))
	note "node 1: pfn $1-$2, phys $(printf '%#x-%#x' $N1_START $N1_END) ($(((N1_END - N1_START) >> 20)) MiB spanned)"
}

# --- cgtier -----------------------------------------------------------------
cgtier_start() {
	echo 1 >"$KM/enabled" || fail "kmigrated/enabled"
	echo "${RATE}M 1000000" >"$CGD/memory.promotion.max" ||
		fail "cannot write ${RATE}M to memory.promotion.max"
	# Upstream's global limit out of the way (its default, 64 GiB/s).
	echo 65536 >/proc/sys/kernel/numa_balancing_promote_rate_limit_MBps
	numab_tiering_fast
	KPIDS=$(pgrep '^kmigrated')
	[ -n "$KPIDS" ] || fail "no kmigrated threads"
}
cgtier_count() { # CNT: pages promoted for the cgroup so far
	CNT='' THR=0
	while read -r key val; do
		case $key in
		promoted) CNT=$val ;;
		throttled) THR=$val ;;
		esac
	done <"$CGD/memory.promotion.stat"
	[ -n "$CNT" ] || fail "no promoted in memory.promotion.stat: $(cat "$CGD/memory.promotion.stat")"
}
cgtier_limit() { echo "${1}M 1000000" >"$CGD/memory.promotion.max"; }
cgtier_stop() { numab_off; }

# --- DAMOS ------------------------------------------------------------------
# One kdamond, one paddr context over node 1, one migrate_hot scheme to node
# 0 with a bytes quota per 1 s and a memcg filter. In 6.12 a filter *excludes*
# what it matches when matching=Y; so matching=N: exclude every page that is
# not the cgroup's.
damos_start() {
	numab_off
	echo 1 >"$DA/nr_kdamonds" || fail "nr_kdamonds"
	K0=$DA/0
	echo 1 >"$K0/contexts/nr_contexts"
	C=$K0/contexts/0
	grep -qw paddr "$C/avail_operations" || skip "DAMON without paddr operations"
	echo paddr >"$C/operations"
	echo 1 >"$C/targets/nr_targets"
	echo 1 >"$C/targets/0/regions/nr_regions"
	echo "$N1_START" >"$C/targets/0/regions/0/start"
	echo "$N1_END" >"$C/targets/0/regions/0/end"
	echo 1 >"$C/schemes/nr_schemes"
	S=$C/schemes/0
	echo migrate_hot >"$S/action" || skip "DAMOS without migrate_hot"
	echo 0 >"$S/target_nid"
	A=$S/access_pattern
	echo 0 >"$A/sz/min"; echo 18446744073709551615 >"$A/sz/max"
	echo 1 >"$A/nr_accesses/min"; echo 4294967295 >"$A/nr_accesses/max"
	echo 0 >"$A/age/min"; echo 4294967295 >"$A/age/max"
	echo 0 >"$S/quotas/ms"
	echo $((RATE << 20)) >"$S/quotas/bytes"
	echo 1000 >"$S/quotas/reset_interval_ms"
	echo 1000 >"$S/quotas/weights/nr_accesses_permil"
	echo 1 >"$S/filters/nr_filters"
	echo memcg >"$S/filters/0/type" || skip "DAMOS without memcg filters"
	echo "/$CGN" >"$S/filters/0/memcg_path"
	echo N >"$S/filters/0/matching"
	echo on >"$K0/state" || fail "kdamond does not start"
	KPIDS=$(cat "$K0/pid")
	note "kdamond pid $KPIDS; intervals sample/aggr/update $(cat "$C/monitoring_attrs/intervals/sample_us")/$(cat "$C/monitoring_attrs/intervals/aggr_us")/$(cat "$C/monitoring_attrs/intervals/update_us") us, regions $(cat "$C/monitoring_attrs/nr_regions/min")-$(cat "$C/monitoring_attrs/nr_regions/max")"
}
damos_count() { # CNT: pages the scheme migrated (sz_applied) so far
	echo update_schemes_stats >"$K0/state" || fail "update_schemes_stats"
	read -r b <"$S/stats/sz_applied"
	read -r TRIED <"$S/stats/sz_tried"
	CNT=$((b / 4096))
}
damos_limit() {
	echo $(($1 << 20)) >"$S/quotas/bytes" && echo commit >"$K0/state"
}
damos_stop() {
	echo off >"$K0/state"
	echo 0 >"$DA/nr_kdamonds"
}

# --- cgtier-policyd, whichever kernel backend it picks -------------------------
PD_POLICY=$POLICIES/50-bench.yaml
PD_STACK=
pd_policy() { # MIB/S: the policy file, replaced atomically
	cat >/tmp/pd-policy.yaml <<YAML
version: 1
rules:
  - name: bench
    priority: 900
    match:
      cgroup: "$CGN"
    promotion:
      max: ${1}MiB/s
YAML
	mv /tmp/pd-policy.yaml "$PD_POLICY"
}
pd_rd() { # FILE: DAMON's sysfs answers EBUSY while its kdamond is busy
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		cat "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	cat "$1"
}
policyd_start() {
	if [ -z "$PD_STACK" ]; then
		stack_up
		PD_STACK=1
	fi
	# After cg_create's own trap: the bus and /etc go back too.
	trap 'cg_cleanup; stack_down' EXIT
	pd_policy "$RATE"
	stack_policyd /tmp/pd-policyd.log
	PD_BACKEND=$(ctl status | sed -n 's/.*Kernel backend: *\([a-z]*\).*/\1/p')
	note "policyd: kernel backend ${PD_BACKEND:-?}"
	case $PD_BACKEND in
	native)
		i=0
		until grep -q "^$((RATE << 20)) " "$CGD/memory.promotion.max"; do
			i=$((i + 1)); [ $i -lt 100 ] || fail "policyd wrote no limit: $(cat "$CGD/memory.promotion.max")"
			sleep 0.05
		done
		echo 1 >"$KM/enabled" || fail "kmigrated/enabled"
		echo 65536 >/proc/sys/kernel/numa_balancing_promote_rate_limit_MBps
		numab_tiering_fast
		KPIDS="$(pgrep '^kmigrated') $DPID"
		;;
	damos)
		numab_off
		PD_S=
		i=0
		while [ -z "$PD_S" ]; do
			for d in "$DA"/0/contexts/0/schemes/[0-9]*; do
				[ "$(pd_rd "$d/filters/0/memcg_path" 2>/dev/null)" = "/$CGN" ] && PD_S=$d
			done
			i=$((i + 1)); [ $i -lt 100 ] || { cat /tmp/pd-policyd.log; fail "policyd made no scheme for /$CGN"; }
			[ -n "$PD_S" ] || sleep 0.05
		done
		note "policyd: scheme ${PD_S#"$DA"/} quota $(pd_rd "$PD_S/quotas/bytes") bytes per $(pd_rd "$PD_S/quotas/reset_interval_ms") ms"
		KPIDS="$(pd_rd "$DA/0/pid") $DPID"
		;;
	*) ctl status; fail "policyd: no kernel backend to measure" ;;
	esac
}
policyd_count() {
	if [ "$PD_BACKEND" = native ]; then
		cgtier_count
		return
	fi
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		(echo update_schemes_stats >"$DA/0/state") 2>/dev/null && break
		sleep 0.02
	done
	b=$(pd_rd "$PD_S/stats/sz_applied")
	TRIED=$(pd_rd "$PD_S/stats/sz_tried")
	CNT=$((b / 4096))
}
policyd_limit() { pd_policy "$1"; }
policyd_stop() {
	stack_policyd_stop
	rm -f "$PD_POLICY"
	numab_off
}

# sample MECH: CNT and T (midpoint of the read, in cs)
sample() {
	now; t0=$NOW
	"${1}_count"
	now; T=$(((t0 + NOW) / 2))
}

one_run() { # MECH RUN
	mech=$1 run=$2
	rm -f /tmp/pd-go /tmp/pd-hotmem.log /tmp/pd-samples
	cg_create "$CGN" >/dev/null
	# shellcheck disable=SC2086
	"$BIN/hotmem" -s "$SIZE" -n 1 -t 600 -i 1000 -f "$FLUSH" -c "$CGD" -p /tmp/pd-go \
		$hflags >/tmp/pd-hotmem.log 2>&1 &
	hp=$!
	until grep -q '^moved' /tmp/pd-hotmem.log; do
		grep -q hotmem: /tmp/pd-hotmem.log && fail "$(cat /tmp/pd-hotmem.log)"
		sleep 0.1
	done
	sync
	"${mech}_start"
	# shellcheck disable=SC2086
	set -- $KPIDS
	# Nothing is hot yet (hotmem waits for the start file). Give both
	# mechanisms IDLE s to settle: DAMOS does not enforce its quota in the
	# first reset interval after the kdamond starts (see the header).
	sleep "$IDLE"

	touch /tmp/pd-go
	now; tgo=$NOW

	# One sample every 250 ms from the start: the rate window from WARM s
	# to WARM + WINDOW s, then PRE s more at RATE, then the change to
	# RATE2 and POST s at it.
	kw0=$((WARM * 4)) kw1=$(((WARM + WINDOW) * 4))
	kc=$(((WARM + WINDOW + PRE) * 4)) kend=$(((WARM + WINDOW + PRE + POST) * 4))
	tchg=''
	k=1
	while [ $k -le $kend ]; do
		sleep_until $((tgo + k * 25))
		if [ $k -eq $kc ]; then
			now; tchg=$NOW
			"${mech}_limit" "$RATE2" || fail "cannot set the $mech limit to $RATE2 MiB/s"
			now; note "$mech: the limit write took $(((NOW - tchg) * 10)) ms"
		fi
		sample "$mech"
		[ "$T" -lt $((tgo + kend * 25 + 3000)) ] || fail "sampling overran by 30 s"
		echo "$T $CNT" >>/tmp/pd-samples
		if [ $k -eq $kw0 ] || [ $k -eq $kw1 ]; then
			ticks_of "$@"
			stime_of $hp
			if [ $k -eq $kw0 ]; then
				ta=$T ca=$CNT tra=${TRIED:-0} tha=${THR:-0} ka=$TICKS wa=$STIME
			else
				tb=$T cb=$CNT trb=${TRIED:-0} thb=${THR:-0} kb=$TICKS wb=$STIME
			fi
		fi
		k=$((k + 1))
	done

	note "$mech run $run: cgroup $(grep '^anon ' "$CGD/memory.numa_stat")"
	kill "$hp"; wait "$hp" 2>/dev/null
	"${mech}_stop"
	note "$mech run $run: hotmem: $(head -n 1 /tmp/pd-hotmem.log); last: $(grep '^t=' /tmp/pd-hotmem.log | tail -n 1)"
	[ -d "${CGTIER_OUT:-}/logs" ] && cp /tmp/pd-hotmem.log "$CGTIER_OUT/logs/promotion-damos.$mech.$run.hotmem"

	extra="throttled=$((thb - tha))"
	{ [ "$mech" = damos ] || { [ "$mech" = policyd ] && [ "$PD_BACKEND" = damos ]; }; } &&
		extra="tried_rate=$(awk -v b=$((trb - tra)) -v t=$((tb - ta)) 'BEGIN { printf "%.2f", b / 1048576 / (t / 100) }')"
	[ "$mech" = policyd ] && extra="$extra backend=$PD_BACKEND"
	# samples: "T_CS PAGES"; 1 s-window rate at each sample: from the latest
	# earlier sample at least 1 s before it.
	awk -v tchg="$tchg" -v r2="$RATE2" -v mech="$mech" -v run="$run" \
		-v ta="$ta" -v tb="$tb" -v ca="$ca" -v cb="$cb" \
		-v kt=$((kb - ka)) -v wt=$((wb - wa)) -v hz="$HZ" -v extra="$extra" \
		-v hlog=/tmp/pd-hotmem.log -v tgo="$tgo" -v warm="$WARM" -v win="$WINDOW" -v pre_s="$PRE" '
		{ t[n] = $1 / 100; c[n] = $2; n++ }
		END {
			lo = r2 * 0.9; hi = r2 * 1.1; tc = tchg / 100
			react = "NA"; settle = "NA"; pre = 0; npre = 0
			for (i = 0; i < n; i++) {
				for (j = i - 1; j >= 0 && t[i] - t[j] < 1; j--) ;
				if (j < 0) continue
				r = (c[i] - c[j]) * 4096 / 1048576 / (t[i] - t[j])
				printf "# %s t=%+.2f pages=%d rate1s=%.2f\n", mech, t[i] - tc, c[i], r
				if (t[i] <= tc) { if (t[i] > tc - pre_s) { pre += r; npre++ }; continue }
				inband = r >= lo && r <= hi
				if (inband && react == "NA") react = sprintf("%.2f", t[i] - tc)
				if (inband && settle == "NA") settle = sprintf("%.2f", t[i] - tc)
				if (!inband) settle = "NA"
			}
			# steady state after the change: the last 4 s
			for (j = n - 1; j > 0 && t[n - 1] - t[j] < 4; j--) ;
			post = (c[n - 1] - c[j]) * 4096 / 1048576 / (t[n - 1] - t[j])
			# the workload own placement counts (hotmem) over the rate window
			while ((getline l < hlog) > 0) {
				if (l !~ /^t=/) continue
				split(l, f, /[ =]/)
				ht = f[2]; h0 = f[4]
				if (ht >= warm && h1t == "") { h1t = ht; h1 = h0 }
				if (ht <= warm + win) { h2t = ht; h2 = h0 }
			}
			hr = (h1t != "" && h2t > h1t) ? (h2 - h1) * 4096 / 1048576 / (h2t - h1t) : -1
			w = (tb - ta) / 100
			printf "RESULT mech=%s run=%d rate=%.2f hotmem_rate=%.2f promoted=%d kthread_cpu=%.2f work_stime=%.2f react=%s settle=%s pre_rate=%.2f post_rate=%.2f %s\n",
				mech, run, (cb - ca) * 4096 / 1048576 / w, hr, cb - ca,
				kt / hz, wt / hz, react, settle, npre ? pre / npre : 0, post, extra
		}' /tmp/pd-samples
	rmdir "$CGD" || fail "rmdir $CGD"
	CG_MADE=
}

case " $MECHS " in *" damos "*) node1_range ;; esac
r=1
while [ $r -le "$RUNS" ]; do
	order=$MECHS
	if [ $((r % 2)) -eq 0 ]; then
		order=
		for m in $MECHS; do order="$m $order"; done
	fi
	for m in $order; do one_run "$m" "$r"; done
	r=$((r + 1))
done
[ -d "$KM" ] && echo 1 >"$KM/enabled"
numab_off
