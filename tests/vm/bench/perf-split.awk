# Split a call-graph profile of one bench/kmigrated.sh run (PROFILE=2) into
# what promotion itself costs and what both modes pay alike. Input: perf
# script -F comm,event,period,trace,ip,sym of a perf record -g of
# cpu-clock and sched:sched_switch on every CPU. Output, one line each:
#   CPU who=W part=P ns=N
#     W: hotmem (the workloads, helpers included), kmigrated (the
#     threads), kworker, other; P, by the frames of the sample's stack:
#     copy (the page copy: copy_mc_*), promo (the rest of promotion: below
#     migrate_misplaced_folio, migrate_misplaced_folio_prepare or any
#     kmigrated_* function, or in a kmigrated thread), fault (the rest of
#     the page faults, the NUMA hint faults: below handle_mm_fault, as
#     do_numa_page() is inlined), scan
#     (task_numa_work, which makes the hint faults), user (no kernel
#     frame), kernel (anything else); ns: the samples' cpu-clock periods
#   SWITCH who=W state=S where=F1<F2<F3 n=N
#     context switches away from W: S is prev_state (R: preempted, S or
#     D: went to sleep), F1<F2<F3 the first three frames of the switching
#     task's stack below the scheduler itself (__schedule, schedule, ...)
function who(comm) {
	if (comm ~ /^hotmem/)
		return "hotmem"
	if (comm ~ /^kmigrated/)
		return "kmigrated"
	if (comm ~ /^kworker/)
		return "kworker"
	return "other"
}

function flush(   i, part, w, key, n) {
	if (!nf && ev == "")
		return
	w = who(comm)
	if (ev ~ /^cpu-clock/) {
		part = "user"
		for (i = 1; i <= nf; i++)
			if (fr[i] !~ /^\[unknown\]$/ && kern[i]) {
				part = "kernel"
				break
			}
		if (part == "kernel") {
			if (fr[1] ~ /^copy_mc_/)
				part = "copy"
			else if (w == "kmigrated")
				part = "promo"
			else {
				for (i = 1; i <= nf; i++) {
					if (fr[i] ~ /^(kmigrated_|migrate_misplaced_folio)/) {
						part = "promo"
						break
					}
				}
				if (part == "kernel")
					for (i = 1; i <= nf; i++) {
						if (fr[i] == "handle_mm_fault") {
							part = "fault"
							break
						}
						if (fr[i] == "task_numa_work") {
							part = "scan"
							break
						}
					}
			}
		}
		cpu[w SUBSEP part] += period
	} else if (ev == "sched:sched_switch") {
		key = ""
		n = 0
		for (i = 1; i <= nf && n < 3; i++) {
			if (fr[i] ~ /^(__schedule|schedule|schedule_idle|preempt_schedule_common|\[unknown\])$/)
				continue
			key = key (n ? "<" : "") fr[i]
			n++
		}
		if (key == "")
			key = "-"
		sw[w SUBSEP state SUBSEP key]++
	}
	nf = 0
	ev = ""
}

# A sample's first line: COMM PERIOD EVENT: [TRACE]
/^[^ \t]/ {
	flush()
	comm = $1
	period = $2
	ev = $3
	sub(/:$/, "", ev)
	state = ""
	if (match($0, /prev_state=[A-Za-z+]+/))
		state = substr($0, RSTART + 11, RLENGTH - 11)
	next
}
# A frame: ADDRESS SYMBOL (kernel addresses start with ffff)
/^[ \t]+[0-9a-f]+ / {
	nf++
	fr[nf] = $2
	sub(/\+0x[0-9a-f]+$/, "", fr[nf])
	kern[nf] = ($1 ~ /^ffff/)
	next
}
/^[ \t]*$/ { flush() }
END {
	flush()
	for (k in cpu) {
		split(k, a, SUBSEP)
		printf "CPU who=%s part=%s ns=%d\n", a[1], a[2], cpu[k]
	}
	for (k in sw) {
		split(k, a, SUBSEP)
		printf "SWITCH who=%s state=%s where=%s n=%d\n", a[1], a[2], a[3], sw[k]
	}
}
