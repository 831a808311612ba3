/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The statistics of many cgroups at once (a metrics scrape of every managed
 * cgroup): the reads are system calls, eleven per cgroup, so they are spread
 * over a few threads, each with its own cgfs handle. The caller's handle is
 * used by the calling thread; the clones are made on first use and kept.
 * Backends that cannot be cloned (libcgroup, or a handle with a test's fault
 * hook) read on the calling thread alone, with the same results.
 */

#include <stddef.h>

#include "cgfs.h"
#include "stats.h"

/* More threads stop paying off: the reads then contend in the kernel. */
#define STATS_READER_THREADS_MAX 4U
/* Below this many cgroups a thread costs more than it saves. */
#define STATS_READER_MIN_PER_THREAD 32U

typedef struct stats_reader stats_reader;

/* c is borrowed and must outlive the reader. max_threads 0: the CPUs this
 * process may run on, at most STATS_READER_THREADS_MAX. */
int stats_reader_new(cgfs *c, unsigned max_threads, stats_reader **ret);
stats_reader *stats_reader_free(stats_reader *r);
static inline void stats_reader_freep(stats_reader **r)
{
	if (*r)
		*r = stats_reader_free(*r);
}

/* stats_read() of cgroups[0..n): ret[i] and results[i] (0 or a negative
 * errno, ret[i] then left empty) for each. A thread that cannot be started
 * leaves its share to the others. The caller owns ret[i] and calls
 * cgroup_stats_done() on each. */
void stats_reader_read(stats_reader *r, const char *const *cgroups, size_t n,
		      struct cgroup_stats *ret, int *results);

/* Threads the last read used (1: the calling thread alone); for tests. */
unsigned stats_reader_last_threads(const stats_reader *r);
