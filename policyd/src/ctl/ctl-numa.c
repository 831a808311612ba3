/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgtierctl numa: memory of cgroups per NUMA node, with a Total column and
 * a Total row, like `numastat -m` does for the system (from the daemon's
 * node_bytes: anon + file of memory.numa_stat). */
#include <inttypes.h>

#include "cgfs.h"
#include "cgtier/cgtier.h"
#include "ctl.h"
#include "escape.h"
#include "log.h"
#include "util.h"

#define MIB (1024.0 * 1024.0)

/* The given cgroups (paths, PIDs, units), each read with GetCgroupStats;
 * *ret_exit is the exit code of the first failure, if any. */
static int stats_of(sd_bus *bus, const CtlOptions *o, char **args, size_t n,
		    struct ctl_stats_list *l, int *ret_exit)
{
	l->items = calloc(MAX(n, (size_t)1), sizeof(*l->items));
	if (!l->items)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		_cleanup_free_ char *cg = NULL;
		int r;

		r = ctl_resolve_cgroup(o, args[i], &cg);
		if (r < 0) {
			*ret_exit = ctl_resolve_exit(r);
			continue;
		}
		/* Rows show the canonical path, however it was spelled. */
		if (ctl_arg_kind(args[i]) == CTL_ARG_PATH) {
			char *canonical = NULL;

			if (cgfs_path_normalize(cg, &canonical) >= 0) {
				free(cg);
				cg = canonical;
			}
		}
		r = ctl_get_stats(bus, cg, &l->items[l->n].stats, &error);
		if (r < 0) {
			*ret_exit = ctl_bus_error_exit(args[i], r, &error);
			continue;
		}
		l->items[l->n++].cgroup = TAKE_PTR(cg);
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Every node any of the cgroups has memory on, sorted. */
static int node_columns(const struct ctl_stats_list *l, uint32_t **ret, size_t *ret_n)
{
	_cleanup_free_ uint32_t *nodes = NULL;
	size_t n = 0, allocated = 0;

	for (size_t c = 0; c < l->n; c++)
		for (size_t i = 0; i < l->items[c].stats.n_nodes; i++) {
			uint32_t id = l->items[c].stats.nodes[i].node;
			bool seen = false;

			for (size_t j = 0; j < n && !seen; j++)
				seen = nodes[j] == id;
			if (seen)
				continue;
			if (n == allocated) {
				uint32_t *m;

				allocated = MAX(allocated * 2, (size_t)8);
				m = reallocarray(nodes, allocated, sizeof(*m));
				if (!m)
					return -ENOMEM;
				nodes = m;
			}
			nodes[n++] = id;
		}
	if (n > 1)
		qsort(nodes, n, sizeof(*nodes), cmp_u32);
	*ret = TAKE_PTR(nodes);
	*ret_n = n;
	return 0;
}

static uint64_t node_bytes(const struct cgroup_stats *s, uint32_t node)
{
	for (size_t i = 0; i < s->n_nodes; i++)
		if (s->nodes[i].node == node)
			return s->nodes[i].bytes;
	return 0;
}

static void write_json(FILE *out, const struct ctl_stats_list *l, const uint32_t *nodes,
		       size_t n_nodes, const uint64_t *col_total)
{
	uint64_t grand = 0;

	fputs("{\"cgroups\":[", out);
	for (size_t c = 0; c < l->n; c++) {
		uint64_t total = 0;

		fputs(c ? ",{\"cgroup\":" : "{\"cgroup\":", out);
		json_string(out, l->items[c].cgroup);
		fputs(",\"nodes\":{", out);
		for (size_t i = 0; i < n_nodes; i++) {
			uint64_t b = node_bytes(&l->items[c].stats, nodes[i]);

			fprintf(out, "%s\"%" PRIu32 "\":%" PRIu64, i ? "," : "", nodes[i], b);
			total += b;
		}
		fprintf(out, "},\"total\":%" PRIu64 "}", total);
	}
	fputs("],\"total\":{\"nodes\":{", out);
	for (size_t i = 0; i < n_nodes; i++) {
		fprintf(out, "%s\"%" PRIu32 "\":%" PRIu64, i ? "," : "", nodes[i], col_total[i]);
		grand += col_total[i];
	}
	fprintf(out, "},\"total\":%" PRIu64 "}}\n", grand);
}

/* numastat's separator line under the header and above the totals. */
static void write_rule(FILE *out, size_t width, size_t n_columns)
{
	for (size_t i = 0; i < width; i++)
		fputc('-', out);
	for (size_t i = 0; i < n_columns; i++)
		fputs(" ------------", out);
	fputc('\n', out);
}

int verb_numa(sd_bus *bus, const CtlOptions *o, char **cgroups, size_t n, FILE *out)
{
	_cleanup_(ctl_stats_list_done) struct ctl_stats_list l = {};
	_cleanup_free_ uint32_t *nodes = NULL;
	_cleanup_free_ uint64_t *col_total = NULL;
	size_t n_nodes = 0, width = 6;
	uint64_t grand = 0;
	int r, ret = CGTIER_EXIT_OK;

	if (n == 0) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

		r = ctl_list_cgroup_stats(bus, &l, &error);
		if (r < 0)
			return ctl_bus_error_exit("Cannot read statistics", r, &error);
	} else {
		r = stats_of(bus, o, cgroups, n, &l, &ret);
		if (r < 0)
			return log_error_errno(r, "Out of memory"), CGTIER_EXIT_FAILURE;
	}
	r = node_columns(&l, &nodes, &n_nodes);
	col_total = calloc(MAX(n_nodes, (size_t)1), sizeof(*col_total));
	if (r < 0 || !col_total)
		return log_error_errno(-ENOMEM, "Out of memory"), CGTIER_EXIT_FAILURE;
	for (size_t c = 0; c < l.n; c++)
		for (size_t i = 0; i < n_nodes; i++)
			col_total[i] += node_bytes(&l.items[c].stats, nodes[i]);

	if (o->json) {
		write_json(out, &l, nodes, n_nodes, col_total);
		return ret;
	}

	/* The first column is as wide as the longest (escaped) name. */
	for (size_t c = 0; c < l.n; c++) {
		_cleanup_free_ char *e = text_escape(l.items[c].cgroup, 0);

		width = MAX(width, e ? strlen(e) : 0);
	}
	if (!o->no_legend) {
		fputs("Per-node memory of cgroups, anon + file (in MiB):\n", out);
		fprintf(out, "%-*s", (int)width, "");
		for (size_t i = 0; i < n_nodes; i++) {
			char h[32];

			(void)snprintf_ok(h, sizeof(h), "Node %" PRIu32, nodes[i]);
			fprintf(out, " %12s", h);
		}
		fprintf(out, " %12s\n", "Total");
		write_rule(out, width, n_nodes + 1);
	}
	for (size_t c = 0; c < l.n; c++) {
		_cleanup_free_ char *e = text_escape(l.items[c].cgroup, 0);
		uint64_t total = 0;

		fprintf(out, "%-*s", (int)width, strna(e));
		for (size_t i = 0; i < n_nodes; i++) {
			uint64_t b = node_bytes(&l.items[c].stats, nodes[i]);

			fprintf(out, " %12.2f", (double)b / MIB);
			total += b;
		}
		fprintf(out, " %12.2f\n", (double)total / MIB);
	}
	if (!o->no_legend) {
		write_rule(out, width, n_nodes + 1);
		fprintf(out, "%-*s", (int)width, "Total");
		for (size_t i = 0; i < n_nodes; i++) {
			fprintf(out, " %12.2f", (double)col_total[i] / MIB);
			grand += col_total[i];
		}
		fprintf(out, " %12.2f\n", (double)grand / MIB);
	}
	return ret;
}
