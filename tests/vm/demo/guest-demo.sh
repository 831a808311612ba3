#!/bin/sh
# The guest half of `make demo`: narrates each step on the console, which
# scripts/demo.sh shows live on the host.
. "$CGTIER_TOP/tests/vm/lib/common.sh"
exec >/dev/console 2>&1
say() { printf '\ndemo| %s\n' "$*"; }
show() { sed 's/^/demo|   /'; }

say "== Step 1: two memory tiers =="
say "This virtual machine has fast memory (node 0, with the CPUs) and slow,"
say "CPU-less memory (node 1), like DRAM plus a CXL memory expander."
for t in /sys/devices/virtual/memory_tiering/memory_tier*; do
	echo "$(basename "$t"): NUMA node(s) $(cat "$t/nodelist")"
done | show
say "The kernel ranks node 1 in a lower (slower) tier than node 0."

say "== Step 2: containers whose memory starts on the slow tier =="
say "Two cgroups stand for containers: web.service and batch.service."
mkdir -p "$CG/demo.slice"
echo +memory >"$CG/demo.slice/cgroup.subtree_control"
for c in web batch; do mkdir -p "$CG/demo.slice/$c.service"; done
say "Each runs a program that allocates 96 MiB, has it moved to node 1 and"
say "then keeps reading and writing it: hot data sitting in slow memory."

say "== Step 3: the kernel promotes hot pages to the fast tier =="
numab_tiering_fast
say "NUMA balancing in tiering mode (kernel.numa_balancing=2) is on: the kernel"
say "samples accesses and moves (promotes) hot pages from node 1 to node 0."
if [ -r /sys/kernel/mm/kmigrated/enabled ] && [ "$(cat /sys/kernel/mm/kmigrated/enabled)" = 1 ]; then
	say "With cgtier's kernel the page fault only queues the page, per cgroup;"
	say "a kernel thread per slow node (kmigrated) promotes the queue in batches,"
	say "each batch from one cgroup, so every cgroup is charged for its own pages."
fi
for c in web batch; do
	"$BIN/hotmem" -s 96 -t 12 -c "$CG/demo.slice/$c.service" -p /tmp/demo-go \
		-i 1000 >"/tmp/demo-$c.log" 2>&1 &
done
# Start the clock once both have their memory on the slow tier.
until grep -q '^moved' /tmp/demo-web.log && grep -q '^moved' /tmp/demo-batch.log; do
	sleep 0.2
done
touch /tmp/demo-go
say "time  cgroup              promoted(MiB)  MiB/s   on-fast-tier(MiB)  on-slow-tier(MiB)"
# node_mib FILE NODE: MiB of anonymous memory on NODE per memory.numa_stat
node_mib() {
	awk -v k="N$2=" '$1 == "anon" { for (i = 2; i <= NF; i++) if (index($i, k) == 1) print int(substr($i, length(k) + 1) / 1048576) }' "$1"
}
prev_web=0 prev_batch=0
i=0
while [ $i -lt 12 ]; do
	sleep 1
	i=$((i + 1))
	: >/tmp/demo-rows
	for c in web batch; do
		d=$CG/demo.slice/$c.service
		p=$(stat_get "$d/memory.stat" pgpromote_success) || p=0
		eval prev=\$prev_$c
		printf '%3ss  %-18s  %12s  %5s   %17s  %17s\n' "$i" "$c.service" \
			$((p / 256)) $(((p - prev) / 256)) "$(node_mib "$d/memory.numa_stat" 0)" \
			"$(node_mib "$d/memory.numa_stat" 1)" >>/tmp/demo-rows
		eval prev_$c=$p
	done
	show </tmp/demo-rows
done
wait
numab_off
say "Both containers were promoted as fast as the kernel could, alike: there is"
say "no per-cgroup limit on promotion yet. cgtier's next step adds"
say "memory.promotion.max/.weight so each container gets its own budget."
for c in web batch; do
	echo "$c.service: $(grep final "/tmp/demo-$c.log")"
done | show
for c in web batch; do rmdir "$CG/demo.slice/$c.service"; done
rmdir "$CG/demo.slice"
say "== done =="
