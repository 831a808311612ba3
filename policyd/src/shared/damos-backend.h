/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The damos kernel backend: the same policies on a kernel without the
 * cgtier series, through DAMON's sysfs (Linux 6.12):
 *
 *   - one kdamond per lower-tier node, monitoring that node's physical
 *     range (paddr), with one context and one target;
 *   - scheme slot i of every kdamond serves one memcg leaf: action
 *     migrate_hot to the nearest top-tier node, a memcg filter on the leaf
 *     (matching=N: in 6.12 a filter excludes what it matches, so the pages
 *     of every other memcg are excluded), and a size quota of
 *     quotas/bytes per quotas/reset_interval_ms giving its rate
 *     (damos-plan.h). A free slot, or a leaf whose limit is 0, gets an addr
 *     filter over the whole address space with matching=Y: it applies to
 *     nothing, and nothing is charged to its quota;
 *   - changes are written to the sysfs files and committed to the running
 *     kdamonds ("commit"), never by restarting them, and slots never shift.
 *
 * DAMON's sysfs is one shared tree (nr_kdamonds recreates every kdamond
 * directory), so the backend owns it: kdamonds it did not start make it
 * refuse before writing anything. What it started is recorded in the state
 * directory (damos.state: kdamond pids, slots), so a restarted daemon adopts
 * its own running kdamonds instead of refusing or duplicating them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgfs.h"
#include "damon-fs.h"
#include "kernel-backend.h"

#define DAMOS_STATE_FILE "damos.state"
/* Statistics are refreshed (update_schemes_stats, up to an aggregation
 * interval per kdamond) at most this often. */
#define DAMOS_STATS_REFRESH_USEC (1000 * 1000ULL)

struct damos_backend_config {
	const char *admin_root;    /* default <sysfs_root>/kernel/mm/damon/admin */
	const char *sysfs_root;    /* NUMA topology; default /sys */
	const char *proc_root;     /* zoneinfo; default /proc */
	int state_dir_fd;          /* borrowed; < 0: restarts cannot adopt */
	uint64_t (*clock)(void);   /* CLOCK_MONOTONIC in µs; NULL: the real one */
	/* Tests: a fake kernel behind the admin directory. */
	damon_fs_write_hook write_hook;
	void *write_hook_userdata;
	bool no_busy_wait;
};

/*
 * Takes DAMON over (or adopts the kdamonds a previous run left, from the
 * state directory) and checks that the kernel has what the backend needs.
 * Nothing is turned on before the first flush. On failure nothing it wrote
 * is left behind and why says what a person can do about it:
 * -ENODEV (no DAMON sysfs, no lower memory tier), -EOPNOTSUPP (no paddr,
 * migrate_hot or memcg filters), -EBUSY (kdamonds of someone else running).
 */
int kernel_backend_new_damos(cgfs *fs, const struct damos_backend_config *config, char *why,
			     size_t why_size, kernel_backend **ret);
