/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * NUMA nodes and memory tiers. sysfs is authoritative for which nodes and
 * tiers exist: libnuma snapshots the topology when it loads, so a CXL node
 * onlined later would be missing, and it has no notion of tiers at all. It
 * is used for node distances on the real /sys, where its numbers are the
 * kernel's. All paths are below a sysfs root argument so tests can use a
 * fake tree.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct topology_node {
	uint32_t id;
	bool has_cpu;
	bool has_memory;
	int tier;             /* N of memory_tierN, -1 when not in any tier */
	uint64_t total_bytes; /* from nodeN/meminfo, 0 if unreadable */
	uint64_t free_bytes;
	uint32_t *distance;   /* indexed like topology.nodes; NULL if unknown */
};

struct topology_tier {
	uint32_t id;          /* lower id = faster tier (abstract distance) */
	uint32_t *nodes;
	size_t n_nodes;
};

struct topology {
	struct topology_node *nodes; /* sorted by id */
	size_t n_nodes;
	struct topology_tier *tiers; /* sorted by id */
	size_t n_tiers;
};

int topology_load(const char *sysfs_root, struct topology **ret);
struct topology *topology_free(struct topology *t);
static inline void topology_freep(struct topology **t)
{
	if (*t)
		*t = topology_free(*t);
}
#define _cleanup_topology_ __attribute__((cleanup(topology_freep)))

const struct topology_node *topology_find_node(const struct topology *t, uint32_t id);

/* Parses a kernel node list ("0-2,5\n", "" = empty) into a sorted array. */
int topology_parse_nodelist(const char *s, uint32_t **ret, size_t *ret_n);

/*
 * The physical byte range [start, end) that node's zones span, from the
 * text of /proc/zoneinfo ("Node N, zone ..." blocks with "spanned" and
 * "start_pfn:"): DAMON's paddr monitoring target for that node. Holes are
 * included (DAMON skips pages that are not online). -ENOENT when the node
 * has no zone with pages.
 */
int topology_parse_zoneinfo_range(const char *zoneinfo, uint32_t node, uint64_t page_size,
				  uint64_t *ret_start, uint64_t *ret_end);
/* The same from <proc_root>/zoneinfo, read to its end (procfs hands it out
 * one zone per read). */
int topology_read_zoneinfo_range(const char *proc_root, uint32_t node, uint64_t page_size,
				 uint64_t *ret_start, uint64_t *ret_end);
