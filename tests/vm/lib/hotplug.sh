# shellcheck shell=sh
# Memory hotplug helpers for the hotplug plan's cases (node 1's memory is
# an ACPI DIMM: VM_NODE1_DIMM=1). Sourced after common.sh.
N1=/sys/devices/system/node/node1

# blocks: node 1's memory blocks
blocks() { ls -d $N1/memory[0-9]*; }

# set_blocks STATE: put every memory block of node 1 in STATE
# (online_movable or offline), failing on one that still refuses after a
# few tries (offlining migrates the pages away, which a page in flight,
# or a workload still touching them, can briefly hold up).
set_blocks() {
	for b in $(blocks); do
		for i in 1 2 3 4 5 6 7 8 9 10; do
			[ "$(cat $b/state)" = "${1%_movable}" ] && break
			echo "$1" >$b/state 2>/dev/null && break
			sleep 1
		done
		[ "$(cat $b/state)" = "${1%_movable}" ] || fail "$b: cannot go $1 ($(cat $b/state))"
	done
}

# has_memory: node 1 has memory (online blocks)
has_memory() { grep -qE "(^|,|-)1($|,|-)" /sys/devices/system/node/has_memory; }

# held_start NAME HOTMEM_ARGS...: start hotmem with HOTMEM_ARGS, held
# until its pages are placed (-S), then let it go; its PID in $bgpid and
# $jobs_, its output in /tmp/NAME.log. A leading "taskset -c CPUS" may
# come first: held_start NAME taskset -c 0 "$HOTMEM" ...
held_start() {
	local name=$1
	shift
	rm -f "/tmp/$name.start"
	start_bg "/tmp/$name.log" moved "$@" -S -p "/tmp/$name.start"
	jobs_="$bgpid"
	touch "/tmp/$name.start"
}

# stat_until CGROUP KEY MIN: wait (60 s at most) until CGROUP's
# memory.promotion.stat KEY reaches MIN
stat_until() {
	local i=0
	until [ "$(stat_get "$CG/$1/memory.promotion.stat" "$2")" -ge "$3" ]; do
		i=$((i + 1))
		[ $i -le 600 ] || fail "$1: $2 never reached $3: $(tr '\n' ' ' <"$CG/$1/memory.promotion.stat")"
		sleep 0.1
	done
}
