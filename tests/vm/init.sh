#!/bin/sh
# PID 1 of the cgtier test guest. The root file system is the host's,
# read-only over 9p; the run directory is a second, writable 9p share.
# Runs each line of the plan, records PASS/FAIL/SKIP, prints a completion
# marker and powers the guest off. Never exits early: a missing marker is
# how the host notices a crash or hang.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C

CGTIER_TOP=$(cd "$(dirname "$0")/../.." && pwd)

mount -t proc proc /proc
mount -t sysfs sys /sys
mountpoint -q /dev || mount -t devtmpfs dev /dev
# /tmp and /run become tmpfs. A checkout below either (CI clones into /tmp)
# would vanish under them, and every path the plan names with it: hold it
# on a bind mount and put it back at the same path.
mkdir -p /dev/.cgtier-top
mount --bind "$CGTIER_TOP" /dev/.cgtier-top
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
case "$CGTIER_TOP" in
/tmp/*|/run/*)
	mkdir -p "$CGTIER_TOP"
	mount --bind /dev/.cgtier-top "$CGTIER_TOP"
	;;
esac
mount -t debugfs debugfs /sys/kernel/debug
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
mkdir -p /tmp/cgtier /dev/shm /dev/pts
mount -t tmpfs shm /dev/shm
mount -t devpts devpts /dev/pts
echo "cgtier-init: file systems mounted" >/dev/kmsg
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 cgtier-results /tmp/cgtier
# modprobe looks in /lib/modules/$(uname -r): show it the test kernel's.
[ -r /tmp/cgtier/modules ] && [ -d /lib/modules ] &&
	mount --bind "$(cat /tmp/cgtier/modules)" /lib/modules
echo "cgtier-init: results share mounted" >/dev/kmsg
echo "+memory +cpu" >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p /tmp/scratch
mount -t ext4 /dev/vda /tmp/scratch

echo "cgtier-init: scratch disk mounted" >/dev/kmsg
R=/tmp/cgtier
export CGTIER_VM=1 CGTIER_OUT=$R CGTIER_TOP CGTIER_SCRATCH=/tmp/scratch CGTIER_SWAPDEV=/dev/vdb CGTIER_BIN=$CGTIER_TOP/build/tests/bin
: >"$R/results"
echo "CGTIER-VM-BEGIN $(uname -r)"

# Kernel log lines that mean a test broke the kernel's rules.
splat='WARNING:|BUG:|Oops|general protection|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|list_add corruption|list_del corruption|unreferenced object|Kernel panic|stack-protector'

while read -r name cmd; do
	[ -n "$name" ] || continue
	log="$R/logs/$name.log"
	mkdir -p "$(dirname "$log")"
	before=$(dmesg | wc -l)
	echo "CGTIER-TEST-BEGIN $name"
	t0=$(cut -d' ' -f1 /proc/uptime)
	# shellcheck disable=SC2086
	timeout -k 5 "${CGTIER_TEST_TIMEOUT:-600}" sh -c "$cmd" </dev/null >"$log" 2>&1
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	new=$(dmesg | tail -n +$((before + 1)) | grep -E "$splat" | head -n 5)
	if [ -n "$new" ] && [ "$rc" -ne 77 ]; then
		printf 'kernel log during %s:\n%s\n' "$name" "$new" >>"$log"
		dmesg | tail -n +$((before + 1)) >"$R/logs/$name.dmesg"
		res=FAIL why="kernel splat"
	elif [ "$rc" -eq 0 ]; then
		res=PASS why=
	elif [ "$rc" -eq 77 ]; then
		res=SKIP why=$(tail -n 1 "$log")
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		res=FAIL why="timed out"
	else
		res=FAIL why="exit $rc"
	fi
	echo "$res $name $(awk "BEGIN { printf \"%.1fs\", $t1 - $t0 }") $why" >>"$R/results"
	echo "CGTIER-TEST-END $name $res ${why}"
	if [ "$res" = FAIL ]; then
		echo "---- tail of $name ----"
		tail -n 30 "$log"
		echo "----"
	fi
	sync
done <"$R/plan"

dmesg >"$R/dmesg.txt"
sync
echo "CGTIER-VM-DONE"
umount /tmp/cgtier 2>/dev/null
echo o >/proc/sysrq-trigger
# Power-off is asynchronous and takes the 9p root away under us: wait with
# shell builtins only, so that no exec fails and no exit of PID 1 panics.
while :; do :; done
