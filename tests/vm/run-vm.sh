#!/bin/bash
# Boot the cgtier test kernel in a two-tier QEMU guest and run a test plan.
#
#   tests/vm/run-vm.sh [-k BZIMAGE] [-t TIMEOUT_S] [-o OUTDIR] [-n NAME] PLAN
#
# PLAN has one test a line: "NAME COMMAND [ARGS...]" (# comments allowed).
# COMMAND is run in the guest, as root, from the host's root file system
# shared read-only over 9p, so absolute host paths work unchanged. A test
# exits 0 (pass), 77 (skip) or anything else (fail); a kernel warning,
# BUG, lockdep report or list corruption it causes also fails it.
#
# KUnit suites built into the kernel (or loaded by a test) print KTAP to
# the console; every case is counted. The exit status is 0 only when the
# guest printed its completion marker and nothing failed; a guest that
# never prints it (crash, hang, timeout) fails with the console tail shown.
#
# Topology (the recipe in docs/TESTBED.md): q35 + ACPI HMAT; node 0 has the
# CPUs and VM_NODE0_MB (2048) of fast memory, node 1 is CPU-less with
# VM_NODE1_MB (1024) of slow memory, so memory_tiering puts it lower.
# VM_NODE2_MB (0: none) adds node 2, a second CPU-less node with the same
# latency and bandwidth as node 1, in the same lower tier (the two-lower-
# tier-node bed of tests/vm/plans/control.plan).
# VM_TOP2_MB (0: none) instead adds node 2 as a second top-tier node: a
# second socket with the upper half of the vCPUs and that much fast
# memory, farther from node 1 than node 0 is (the bed of
# tests/vm/plans/topology.plan, where "the CPUs of node 0" is not "all").
# ACPI numbers the nodes with CPUs first: the guest calls it node 1 and
# the slow node node 2.
# VM_ACCEL=tcg (default; nested KVM hangs on these hosts) or kvm,
# VM_SMP (2), VM_APPEND (extra kernel command line), VM_NODE1_DIMM (below).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
kernel=${KERNEL:-$top/build/kernel/bzImage}
timeout_s=${VM_TIMEOUT:-900}
out=
name=vm
while getopts k:t:o:n: opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	t) timeout_s=$OPTARG ;;
	o) out=$OPTARG ;;
	n) name=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: $0 [-k bzImage] [-t timeout] [-o outdir] [-n name] PLAN" >&2; exit 2; }
plan=$1

[ -r "$kernel" ] || { echo "run-vm: no kernel at $kernel (make kernel)" >&2; exit 1; }
[ -r "$plan" ] || { echo "run-vm: no plan $plan" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null ||
	{ echo "run-vm: qemu-system-x86_64 missing (scripts/deps.sh)" >&2; exit 1; }

out=${out:-$top/build/vm/$name}
rm -rf "$out"
mkdir -p "$out/logs"
grep -v '^[[:space:]]*\(#\|$\)' "$plan" >"$out/plan" || true
# Modules sit next to the bzImage link: build/kernel/{bzImage,modroot}.
modroot=$(dirname "$kernel")/modroot
[ -d "$modroot/lib/modules" ] && echo "$(cd "$modroot" && pwd)/lib/modules" >"$out/modules"

# A scratch ext4 disk (/dev/vda, mounted at $CGTIER_SCRATCH in the guest)
# and a swap disk (/dev/vdb, enabled by the tests that want swap). Sparse.
truncate -s "${VM_SCRATCH_MB:-1024}M" "$out/scratch.img"
mkfs.ext4 -q -F "$out/scratch.img"
truncate -s "${VM_SWAP_MB:-1024}M" "$out/swap.img"
mkswap -q "$out/swap.img" >/dev/null

accel=${VM_ACCEL:-tcg}
# Multi-threaded TCG in Debian 12's QEMU 7.2 occasionally runs a stale
# translation of kernel text another vCPU has just live-patched (seen as
# "Oops: int3" at a static branch while a test flipped the key, and as a
# crash early in boot). One host thread for all vCPUs has no such window;
# VM_TCG_THREAD=multi trades that for speed.
[ "$accel" = tcg ] && accel="tcg,thread=${VM_TCG_THREAD:-single}"
smp=${VM_SMP:-2}
m0=${VM_NODE0_MB:-2048}
m1=${VM_NODE1_MB:-1024}
m2=${VM_NODE2_MB:-0}
t2=${VM_TOP2_MB:-0}
if [ "$t2" -gt 0 ]; then
	[ "$m2" -eq 0 ] || { echo "run-vm: VM_NODE2_MB and VM_TOP2_MB both want node 2" >&2; exit 2; }
	[ "$smp" -ge 2 ] || { echo "run-vm: VM_TOP2_MB needs VM_SMP >= 2" >&2; exit 2; }
fi
cpu=max
[ "${accel%%,*}" = kvm ] && cpu=host

# VM_NODE1_DIMM=1 gives node 1 its memory as an ACPI DIMM instead of boot
# memory: the guest adds it at boot (onlined as memhp_default_state says,
# e.g. offline) and can offline and remove all of it, which boot memory,
# holding kernel data such as its own memmap, never allows.
if [ "${VM_NODE1_DIMM:-0}" = 1 ]; then
	mem=(-m "$((m0 + m2 + t2))M,slots=2,maxmem=$((m0 + m1 + m2 + t2))M"
		-object memory-backend-ram,id=m1,size=${m1}M
		-device pc-dimm,id=dimm1,memdev=m1,node=1
		-numa node,nodeid=1,initiator=0)
else
	mem=(-m $((m0 + m1 + m2 + t2))M
		-object memory-backend-ram,id=m1,size=${m1}M
		-numa node,nodeid=1,memdev=m1,initiator=0)
fi
cpus0=0-$((smp - 1)) smpopt=$smp
[ "$t2" -gt 0 ] && cpus0=0-$((smp / 2 - 1)) smpopt=$smp,sockets=2
qemu=(qemu-system-x86_64 -machine q35,hmat=on -accel "$accel" -cpu "$cpu"
	-smp "$smpopt" "${mem[@]}"
	-object memory-backend-ram,id=m0,size=${m0}M
	-numa node,nodeid=0,cpus=$cpus0,memdev=m0
	-numa dist,src=0,dst=1,val=20
	-numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=10
	-numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-bandwidth,bandwidth=10G
	-numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-latency,latency=20
	-numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-bandwidth,bandwidth=5G)
if [ "$m2" -gt 0 ]; then
	qemu+=(-object memory-backend-ram,id=m2,size=${m2}M
		-numa node,nodeid=2,memdev=m2,initiator=0
		-numa dist,src=0,dst=2,val=20
		-numa dist,src=1,dst=2,val=20
		-numa hmat-lb,initiator=0,target=2,hierarchy=memory,data-type=access-latency,latency=20
		-numa hmat-lb,initiator=0,target=2,hierarchy=memory,data-type=access-bandwidth,bandwidth=5G)
fi
if [ "$t2" -gt 0 ]; then
	qemu+=(-object memory-backend-ram,id=m2,size=${t2}M
		-numa node,nodeid=2,cpus=$((smp / 2))-$((smp - 1)),memdev=m2
		-numa dist,src=0,dst=2,val=21
		-numa dist,src=1,dst=2,val=30
		-numa hmat-lb,initiator=2,target=2,hierarchy=memory,data-type=access-latency,latency=10
		-numa hmat-lb,initiator=2,target=2,hierarchy=memory,data-type=access-bandwidth,bandwidth=10G)
fi
qemu+=(-nodefaults -display none -no-reboot -kernel "$kernel"
	-fsdev local,id=root,path=/,readonly=on,security_model=none,multidevs=remap
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
	-fsdev local,id=res,path="$out",security_model=none
	-device virtio-9p-pci,fsdev=res,mount_tag=cgtier-results
	-drive file="$out/scratch.img",if=virtio,format=raw,cache=unsafe
	-drive file="$out/swap.img",if=virtio,format=raw,cache=unsafe
	-serial file:"$out/console.log"
	-append "root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose ro console=ttyS0 panic=-1 log_buf_len=8M init=$top/tests/vm/init.sh ${VM_APPEND:-}")

# shellcheck source=tests/vm/lib/bootflake.sh
. "$top/tests/vm/lib/bootflake.sh"
echo "run-vm: booting $(basename "$kernel") ($accel, ${m0}M+${m1}M$([ "$m2" -gt 0 ] && echo "+${m2}M"), timeout ${timeout_s}s): $out"
# A boot that multi-threaded TCG kills before init (tcg_boot_flake) is
# tried once more; its console is kept as console.flaked.log.
for attempt in 1 2; do
	start=$(date +%s)
	set +e
	timeout --kill-after=10 "$timeout_s" "${qemu[@]}" </dev/null >"$out/qemu.log" 2>&1
	qrc=$?
	set -e
	echo "run-vm: guest ran $(($(date +%s) - start)) s"
	if [ "$attempt" = 2 ] || [ "$accel" != tcg,thread=multi ] ||
		! tcg_boot_flake "$out/console.log"; then
		break
	fi
	echo "run-vm: the guest died in boot with an 'Oops: int3' before any test ran (multi-threaded TCG, docs/TESTBED.md): booting once more"
	mv "$out/console.log" "$out/console.flaked.log"
done

exec "$top/tests/vm/lib/collect.sh" "$out" "$qrc"
