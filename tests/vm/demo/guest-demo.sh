#!/bin/sh
# The guest half of `make demo`: narrates each step on the console, which
# scripts/demo.sh shows live on the host. Writes promotion.csv (one line
# per cgroup and second: t, cgroup, MiB/s promoted, limit in MiB/s) and
# summary.txt into the run directory for the host to plot.
# On a kernel without the series (make demo KERNEL=base) the same story
# runs through the daemon's damos backend: DAMON finds the hot pages,
# DAMOS migrate_hot promotes them under per-cgroup quotas, and the
# numbers come from the daemon (cgtierctl stats) instead of the knobs.
. "$CGTIER_TOP/tests/vm/lib/common.sh"
. "$CGTIER_TOP/tests/vm/lib/stack.sh"
exec >/dev/console 2>&1
say() { printf '\ndemo| %s\n' "$*"; }
show() { sed 's/^/demo|   /'; }
OUT=/tmp/cgtier
SVC="nginx app batch-reindex"
PHASE1=${DEMO_PHASE1:-12}
PHASE2=${DEMO_PHASE2:-18}
jobs_=""
MODE=native
[ -d /sys/kernel/mm/kmigrated ] || MODE=damos
cleanup() {
	kill_jobs
	# The workloads' and the daemon's logs, also after a failure, for a
	# look afterwards (build/vm/demo/ on the host)
	for s in $SVC; do cp "/tmp/demo-$s.log" "$OUT/hotmem-$s.log" 2>/dev/null; done
	cp /tmp/demo-policyd.log "$OUT/policyd.log" 2>/dev/null
	grep -E '^(pgpromote|pgdemote|pgmigrate|numa_)' /proc/vmstat >"$OUT/vmstat.txt"
	numab_off
	stack_down
	for s in $SVC; do cg_remove "$CG/system.slice/$s.service"; done
	cg_remove "$CG/system.slice"
}
trap cleanup EXIT

say "== Step 1: two memory tiers =="
say "This virtual machine has fast memory (node 0, with the CPUs) and slow,"
say "CPU-less memory (node 1), like DRAM plus a CXL memory expander."
for t in /sys/devices/virtual/memory_tiering/memory_tier*; do
	echo "$(basename "$t"): NUMA node(s) $(cat "$t/nodelist")"
done | show
say "The kernel ranks node 1 in a lower (slower) tier than node 0. Pages that"
say "are used a lot (hot) but sit on node 1 should be moved up: 'promoted'."

if [ $MODE = native ]; then
	say "== Step 2: the cgtier kernel: per-container promotion control =="
	say "Every container (cgroup) has three new files:"
	say "  memory.promotion.max     how many bytes per second it may promote"
	say "  memory.promotion.weight  its share when containers compete"
	say "  memory.promotion.stat    what happened to its hot pages"
	say "A kernel thread per slow node, kmigrated, promotes the hot pages in"
	say "batches, one container at a time, and enforces those limits."
else
	say "== Step 2: a stock kernel ($(uname -r)): no cgtier series =="
	say "This kernel has no memory.promotion.* files. It has DAMON, which"
	say "samples which physical memory is accessed, and DAMOS, which acts on"
	say "what it finds: 'migrate_hot' moves hot pages to a faster node, a"
	say "memcg filter limits a scheme to one container, and a quota caps"
	say "the bytes it may try per interval. cgtier-policyd builds one such"
	say "scheme per container from the same YAML policies (its damos"
	say "backend). Weights only split a shared quota; there is no kernel"
	say "arbitration between containers as with the series."
fi

# daemon_step N: start the daemon with the shipped policies
daemon_step() {
	say "== Step $1: the policy daemon and the shipped policies =="
	cp "$CGTIER_TOP"/policies/*.yaml $POLICIES/
	say "The shipped example policies are installed in $POLICIES:"
	ls $POLICIES | show
	say "cgtier-policyd reads them, watches cgroupfs, writes each container's"
	say "limits, and answers questions on the system D-Bus (org.cgtier.Policy1)."
	stack_policyd /tmp/demo-policyd.log
	ctl status | show
}
# services_step N: three cgroups, each with a workload whose memory is
# moved to node 1 and then waits for /tmp/demo-go
services_step() {
	say "== Step $1: three services whose memory starts on the slow tier =="
	# Off until step 5: the boot default (plain NUMA balancing) would move
	# the pages back to node 0 without counting them as promoted.
	numab_off
	echo +memory >"$CG/cgroup.subtree_control"
	mkdir -p "$CG/system.slice"
	echo +memory >"$CG/system.slice/cgroup.subtree_control"
	for s in $SVC; do mkdir -p "$CG/system.slice/$s.service"; done
	sleep 1
	say "nginx.service (a latency-critical web server), app.service and"
	say "batch-reindex.service (a nightly batch job) each get a program that"
	say "allocates memory, has it moved to node 1 and keeps using it."
	# DAMON sees an access only when the CPU sets a PTE's accessed bit
	# again, on a TLB miss; QEMU's software TLB holds the whole hot set, so
	# with DAMOS the workloads flush their TLB every 5 ms (as the damos
	# benchmark).
	hf=
	[ $MODE = damos ] && hf="-f 5"
	# shellcheck disable=SC2086
	"$BIN/hotmem" -s 64 -t 120 -c "$CG/system.slice/nginx.service" -p /tmp/demo-go \
		-i 1000 $hf >/tmp/demo-nginx.log 2>&1 &
	jobs_="$jobs_ $!"
	for s in app batch-reindex; do
		# shellcheck disable=SC2086
		"$BIN/hotmem" -s 256 -t 120 -c "$CG/system.slice/$s.service" -p /tmp/demo-go \
			-i 1000 $hf >"/tmp/demo-$s.log" 2>&1 &
		jobs_="$jobs_ $!"
	done
	for s in $SVC; do
		until grep -q '^moved' "/tmp/demo-$s.log"; do
			grep -q 'hotmem:' "/tmp/demo-$s.log" && { show <"/tmp/demo-$s.log"; fail "$s did not start"; }
			sleep 0.2
		done
	done
	say "All of their memory is on the slow tier now."
}

stack_up
if [ $MODE = native ]; then
	daemon_step 3
	services_step 4
	say "The daemon configured the new cgroups at once, from the policies:"
	ctl list | grep 'system.slice' | show
else
	# DAMON reads a page moved to node 1 as accessed (migration keeps the
	# accessed bit), so kdamonds running while the workloads move their
	# memory down would promote it straight back. Services first, then
	# the daemon, whose kdamonds start on memory that stays idle until
	# step 5; as in the damos benchmark, the first reset interval after
	# a kdamond starts (no quota enforced yet) passes before the start.
	services_step 3
	daemon_step 4
	say "The daemon found the running services and configured them:"
	ctl list | grep 'system.slice' | show
	sleep 2
fi

# prom_sample: one metrics scrape (what a node_exporter textfile job gets)
# as "service promoted-pages limit-MiB/s" lines, for the damos backend,
# where no knob file holds either
prom_sample() {
	ctl stats --prometheus 2>/dev/null | awk '
		function svc(s) { sub(/.*cgroup="\/system.slice\//, "", s); sub(/\.service".*/, "", s); return s }
		/^cgtier_promotion_promoted_pages_total\{cgroup="\/system.slice\// { p[svc($0)] = $NF }
		/^cgtier_promotion_limit_bytes_per_second\{cgroup="\/system.slice\// { l[svc($0)] = sprintf("%.1f", $NF / 1048576) }
		END { for (s in p) print s, p[s], (s in l ? l[s] : "unlimited") }'
}
# limit DIR: the cgroup's memory.promotion.max as MiB/s, or "unlimited"
limit() {
	awk '{ if ($1 == "max") print "unlimited"; else printf "%.1f\n", $1 / $2 * 1000000 / 1048576 }' \
		"$1/memory.promotion.max"
}
# knob_sample: the same lines from the knob files (native backend): one
# awk for all (a busy TCG guest makes every process costly)
knob_sample() {
	files=
	for s in $SVC; do
		files="$files $CG/system.slice/$s.service/memory.promotion.stat"
		files="$files $CG/system.slice/$s.service/memory.promotion.max"
	done
	# shellcheck disable=SC2086
	awk '
		{ n = split(FILENAME, a, "/"); svc = a[n - 1]; sub(/\.service$/, "", svc) }
		a[n] == "memory.promotion.stat" && $1 == "promoted" { cur[svc] = $2 }
		a[n] == "memory.promotion.max" {
			if ($1 == "max") lim[svc] = "unlimited"
			else lim[svc] = sprintf("%.1f", $1 / $2 * 1000000 / 1048576)
		}
		END { for (s in cur) print s, cur[s], lim[s] }' $files
}
# Sample promoted pages about once a second into promotion.csv for the
# plot, rates over the time actually elapsed between samples.
sampler() {
	echo "t,cgroup,mib_per_s,limit_mib_per_s" >$OUT/promotion.csv
	start=$(date +%s.%N)
	: >/tmp/demo-prev
	while [ -e /tmp/demo-sampling ]; do
		if [ $MODE = damos ]; then prom_sample; else knob_sample; fi >/tmp/demo-cur
		awk -v now="$(date +%s.%N)" -v start="$start" -v csv=$OUT/promotion.csv '
			FILENAME == "/tmp/demo-prev" { pt[$1] = $2; pp[$1] = $3; next }
			{ cur[$1] = $2; lim[$1] = $3 }
			END {
				for (s in cur) {
					if ((s in pt) && now > pt[s])
						printf "%.1f,%s,%.2f,%s\n", now - start, s,
							(cur[s] - pp[s]) / 256 / (now - pt[s]), lim[s] >> csv
					print s, now, cur[s] > "/tmp/demo-prev"
				}
			}' /tmp/demo-prev /tmp/demo-cur
		sleep 1
	done
}

say "== Step 5: promotion under the shipped policies (${PHASE1} s) =="
if [ $MODE = native ]; then
	say "NUMA balancing in tiering mode finds the hot pages; kmigrated promotes"
	say "them, one service's batch at a time. The policies allow nginx and app"
	say "1 GiB/s or more and batch-reindex 32 MiB/s, more than this small VM can"
	say "promote, so each goes as fast as its hot pages are found. (Weights,"
	say "1000 for nginx, 100 for app, 10 for the batch job, decide the shares"
	say "only when kmigrated or a shared limit is the bottleneck.)"
	numab_tiering_fast
else
	say "DAMON samples node 1; each service's migrate_hot scheme promotes its"
	say "hot pages to node 0 within its quota. The policies allow nginx and"
	say "app 1 GiB/s or more and batch-reindex 32 MiB/s. NUMA balancing stays"
	say "off: DAMOS is the only promoter. The daemon's view of the schemes:"
	ctl status | grep -i 'backend' | show
fi
say "Live view, 'cgtierctl top': LIMIT from the policy, RATE promoted now."
touch /tmp/demo-sampling
sampler &
spid=$!
touch /tmp/demo-go
ctl -i 1 -n "$PHASE1" top | show

say "== Step 6: an operator caps app.service by dropping in a YAML file =="
cat >$POLICIES/90-cap-app.yaml <<'EOF'
version: 1
rules:
  - name: cap-app
    description: app.service may promote 4 MiB/s while the batch job runs.
    priority: 500
    match:
      cgroup: "system.slice/app.service"
    promotion:
      max: 4MiB/s
      weight: 100
EOF
sed 's/^/90-cap-app.yaml: /' $POLICIES/90-cap-app.yaml | show
if [ $MODE = native ]; then
	say "The daemon sees the new file, validates it and writes the kernel knob:"
	for i in $(seq 1 100); do
		grep -q '^4194304 ' "$CG/system.slice/app.service/memory.promotion.max" && break
		sleep 0.01
	done
	echo "app.service/memory.promotion.max: $(cat "$CG/system.slice/app.service/memory.promotion.max")" | show
	say "The kernel enforces it at once; the bandwidth app.service no longer uses"
	say "goes to batch-reindex. Live view for ${PHASE2} s:"
else
	say "The daemon sees the new file, validates it and rewrites the quota of"
	say "app.service's scheme (4 MiB/s as bytes per reset interval):"
	for i in $(seq 1 100); do
		ctl explain system.slice/app.service 2>/dev/null | grep -q cap-app && break
		sleep 0.05
	done
	ctl explain system.slice/app.service | grep -E '^(cgroup|effective):' | show
	# The scheme whose memcg filter names app.service, as DAMON has it
	for f in /sys/kernel/mm/damon/admin/kdamonds/*/contexts/0/schemes/*/filters/0/memcg_path; do
		[ "$(cat "$f")" = /system.slice/app.service ] || continue
		d=${f%/filters/0/memcg_path}
		echo "${d#/sys/kernel/mm/damon/admin/}: quota $(cat "$d/quotas/bytes") bytes per $(cat "$d/quotas/reset_interval_ms") ms"
	done | show
	say "DAMOS enforces it from its next reset interval. Live view for ${PHASE2} s:"
fi
ctl -i 1 -n "$PHASE2" top | show
rm -f /tmp/demo-sampling
wait $spid

say "== Step 7: summary =="
if [ $MODE = damos ]; then
	say "Per service, from the daemon (DAMOS's bytes applied, in MiB) and the"
	say "workload's own view of where its memory is now:"
	prom_sample >/tmp/demo-cur
	{
		printf '%-24s %-12s %10s %12s\n' SERVICE "LIMIT MiB/s" PROMOTED ON-FAST-TIER
		for s in $SVC; do
			fast=$(grep '^t=' "/tmp/demo-$s.log" | tail -n 1 | tr ' ' '\n' | sed -n 's/^node0=//p')
			total=$(sed -n 's/^moved .*(of \([0-9]*\) pages)/\1/p' "/tmp/demo-$s.log")
			awk -v s="$s" -v fast="$((${fast:-0} / 256))" -v total="$((${total:-0} / 256))" '
				$1 == s { p = $2; l = $3 }
				END { printf "%-24s %-12s %9dM %7sM of %sM\n", s ".service", l == "" ? "?" : l, p / 256, fast, total }' \
				/tmp/demo-cur
		done
	} | tee $OUT/summary.txt | show
	say "Same numbers over D-Bus, for monitoring: cgtierctl stats --prometheus"
	ctl stats --prometheus 2>/dev/null | grep 'cgtier_promotion_promoted_pages_total' | show
	say "== done =="
	exit 0
fi
say "Per service, from memory.promotion.stat (pages of 4 KiB, shown in MiB)"
say "and the workload's own view of where its memory is now:"
{
	printf '%-24s %-12s %10s %10s %10s %12s\n' SERVICE "LIMIT MiB/s" PROMOTED THROTTLED BATCHES ON-FAST-TIER
	for s in $SVC; do
		d=$CG/system.slice/$s.service
		st=$d/memory.promotion.stat
		fast=$(grep '^t=' "/tmp/demo-$s.log" | tail -n 1 | tr ' ' '\n' | sed -n 's/^node0=//p')
		total=$(sed -n 's/^moved .*(of \([0-9]*\) pages)/\1/p' "/tmp/demo-$s.log")
		printf '%-24s %-12s %9sM %9sM %10s %7s of %sM\n' "$s.service" \
			"$(limit "$d")" \
			$(($(stat_get $st promoted) / 256)) $(($(stat_get $st throttled) / 256)) \
			"$(stat_get $st batches)" "$((${fast:-0} / 256))M" "$((${total:-0} / 256))"
	done
} | tee $OUT/summary.txt | show
say "Same numbers over D-Bus, for monitoring: cgtierctl stats --prometheus"
ctl stats --prometheus 2>/dev/null | grep 'cgtier_promotion_promoted_pages_total' | show
say "== done =="
