/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Per-cgroup statistics from memory.promotion.stat (keys kept generic: the
 * kernel may add some), memory.stat (pgpromote_success) and
 * memory.numa_stat (bytes per node). Served whether or not the kernel has
 * the promotion knobs.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgfs.h"

struct stat_value {
	char *key;
	uint64_t value;
};

struct node_usage {
	uint32_t node;
	uint64_t bytes; /* anon + file charged to the cgroup on that node */
};

struct cgroup_stats {
	bool has_promotion_stat;
	struct stat_value *promotion; /* in the kernel's order */
	size_t n_promotion;
	bool has_pgpromote_success;
	uint64_t pgpromote_success;
	struct node_usage *nodes;     /* sorted by node */
	size_t n_nodes;
};

/* Reads whatever the cgroup offers; -ENOENT only if the cgroup is gone. */
int stats_read(cgfs *c, const char *cgroup, struct cgroup_stats *ret);
void cgroup_stats_done(struct cgroup_stats *s);

/* Appends one promotion stat (the CLI rebuilds stats from D-Bus replies). */
int cgroup_stats_add_promotion(struct cgroup_stats *s, const char *key, uint64_t value);

/* The value of one promotion stat key, or false if the kernel lacks it. */
bool cgroup_stats_get(const struct cgroup_stats *s, const char *key, uint64_t *ret);

/* Parsers, exposed for tests. */
int stats_parse_promotion(const char *text, struct cgroup_stats *s);
int stats_parse_pgpromote(const char *memory_stat, uint64_t *ret);
int stats_parse_numa_stat(const char *text, struct node_usage **ret, size_t *ret_n);

/*
 * Does the kernel have memory.promotion.max? The root cgroup never carries
 * it, so this looks at cgroups below the root that have the memory
 * controller (memory.current). 1 = yes, 0 = no, -ENODATA when no such
 * cgroup exists yet to tell.
 */
int stats_probe_kernel_support(cgfs *c);
