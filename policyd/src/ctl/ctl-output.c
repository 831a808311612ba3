/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <inttypes.h>

#include "cgfs.h"
#include "escape.h"
#include "ctl.h"
#include "rate.h"
#include "util.h"

void json_string(FILE *f, const char *s)
{
	json_string_write(f, s);
}

void prometheus_label_value(FILE *f, const char *s)
{
	prometheus_label_write(f, s);
}

void fputs_escaped(const char *s, FILE *f)
{
	_cleanup_free_ char *e = text_escape(s, ESCAPE_KEEP_NEWLINE);

	/* Out of memory: nothing rather than the raw bytes. */
	if (e)
		fputs(e, f);
}

/* Known memory.promotion.stat keys count pages except batches; anything the
 * kernel adds later still gets a valid, if unit-less, name. */
static const char *const page_keys[] = {
	"candidates", "promoted", "throttled", "dropped", "failed_isolate",
	"failed_migrate", "offload_copied", "cpu_copied",
};

static bool is_page_key(const char *key)
{
	for (size_t i = 0; i < ELEMENTSOF(page_keys); i++)
		if (streq(key, page_keys[i]))
			return true;
	return false;
}

int prometheus_metric_name(const char *key, char *buf, size_t size)
{
	char clean[128];
	size_t i;

	for (i = 0; i < sizeof(clean) - 1 && key[i]; i++)
		clean[i] = isalnum((unsigned char)key[i]) ? (char)tolower((unsigned char)key[i]) : '_';
	clean[i] = 0;
	if (key[i])
		return -ENAMETOOLONG;
	return snprintf_ok(buf, size, "cgtier_promotion_%s%s_total", clean,
			   is_page_key(key) ? "_pages" : "") < 0 ? -ENOBUFS : 0;
}

static void family_header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(FILE *f, const char *name, const char *help, uint64_t value)
{
	family_header(f, name, "gauge", help);
	fprintf(f, "%s %" PRIu64 "\n", name, value);
}

void prometheus_write_daemon(FILE *f, const struct ctl_daemon_state *s)
{
	/* Before the first cgroup with the memory controller nobody can tell:
	 * no sample beats a 0 that would fire a "kernel lacks the series" alert. */
	if (!streq_ptr(s->kernel_support, "unknown"))
		gauge(f, "cgtier_kernel_supports_promotion_knobs",
		      "1 if the kernel has memory.promotion.max (the cgtier series).",
		      s->kernel_supports_knobs ? 1 : 0);
	gauge(f, "cgtier_policy_rules", "Promotion rules in force.", s->rules);
	gauge(f, "cgtier_managed_cgroups", "Cgroups with an effective rule.", s->managed_cgroups);
	gauge(f, "cgtier_policy_last_reload_failed",
	      "1 if the last policy reload was refused (previous rules stay in force).",
	      isempty(s->last_error) ? 0 : 1);
}

void prometheus_write(FILE *f, const char *const *cgroups, const struct cgroup_stats *stats,
		      size_t n)
{
	bool any;

	/* One family at a time: the format wants a family's samples together. */
	for (size_t c = 0; c < n; c++)
		for (size_t k = 0; k < stats[c].n_promotion; k++) {
			const char *key = stats[c].promotion[k].key;
			char name[192];
			bool seen = false;

			/* Emitted already for an earlier cgroup? */
			for (size_t pc = 0; pc < c && !seen; pc++)
				for (size_t pk = 0; pk < stats[pc].n_promotion; pk++)
					if (streq(stats[pc].promotion[pk].key, key)) {
						seen = true;
						break;
					}
			if (seen || prometheus_metric_name(key, name, sizeof(name)) < 0)
				continue;
			fprintf(f, "# HELP %s Value of \"%s\" in memory.promotion.stat.\n", name, key);
			fprintf(f, "# TYPE %s counter\n", name);
			for (size_t oc = c; oc < n; oc++) {
				uint64_t v;

				if (!cgroup_stats_get(&stats[oc], key, &v))
					continue;
				fprintf(f, "%s{cgroup=", name);
				prometheus_label_value(f, cgroups[oc]);
				fprintf(f, "} %" PRIu64 "\n", v);
			}
		}

	any = false;
	for (size_t c = 0; c < n; c++) {
		if (!stats[c].has_pgpromote_success)
			continue;
		if (!any)
			family_header(f, "cgtier_memory_pgpromote_success_total", "counter",
				      "Pages promoted to a faster tier (memory.stat pgpromote_success).");
		any = true;
		fputs("cgtier_memory_pgpromote_success_total{cgroup=", f);
		prometheus_label_value(f, cgroups[c]);
		fprintf(f, "} %" PRIu64 "\n", stats[c].pgpromote_success);
	}

	any = false;
	for (size_t c = 0; c < n; c++)
		for (size_t i = 0; i < stats[c].n_nodes; i++) {
			if (!any)
				family_header(f, "cgtier_memory_node_bytes", "gauge",
					      "Anonymous and file memory of the cgroup on a NUMA node (memory.numa_stat).");
			any = true;
			fputs("cgtier_memory_node_bytes{cgroup=", f);
			prometheus_label_value(f, cgroups[c]);
			fprintf(f, ",node=\"%" PRIu32 "\"} %" PRIu64 "\n", stats[c].nodes[i].node,
				stats[c].nodes[i].bytes);
		}
}

void stats_write_text(FILE *f, const char *cgroup, const struct cgroup_stats *s)
{
	fputs_escaped(cgroup, f);
	fputc('\n', f);
	if (s->has_promotion_stat)
		for (size_t i = 0; i < s->n_promotion; i++) {
			_cleanup_free_ char *key = text_escape(s->promotion[i].key, 0);

			fprintf(f, "  %-20s %" PRIu64 "\n", strna(key), s->promotion[i].value);
		}
	else
		fprintf(f, "  (no memory.promotion.stat: kernel without the cgtier series)\n");
	if (s->has_pgpromote_success)
		fprintf(f, "  %-20s %" PRIu64 "\n", "pgpromote_success", s->pgpromote_success);
	for (size_t i = 0; i < s->n_nodes; i++)
		fprintf(f, "  node%-16" PRIu32 " %" PRIu64 " bytes\n", s->nodes[i].node,
			s->nodes[i].bytes);
}

void stats_write_json(FILE *f, const char *cgroup, const struct cgroup_stats *s)
{
	fputs("{\"cgroup\":", f);
	json_string(f, cgroup);
	fputs(",\"promotion\":{", f);
	for (size_t i = 0; i < s->n_promotion; i++) {
		fputs(i ? "," : "", f);
		json_string(f, s->promotion[i].key);
		fprintf(f, ":%" PRIu64, s->promotion[i].value);
	}
	fputs("}", f);
	if (s->has_pgpromote_success)
		fprintf(f, ",\"pgpromote_success\":%" PRIu64, s->pgpromote_success);
	fputs(",\"nodes\":[", f);
	for (size_t i = 0; i < s->n_nodes; i++)
		fprintf(f, "%s{\"node\":%" PRIu32 ",\"bytes\":%" PRIu64 "}", i ? "," : "",
			s->nodes[i].node, s->nodes[i].bytes);
	fputs("]}", f);
}

static int cmp_key_cgroup(const void *key, const void *item)
{
	return strcmp(key, ((const struct ctl_cgroup *)item)->cgroup);
}

/* l is sorted (ctl_list_cgroups): a scan per cgroup made 10,000 cgroups
 * 10^8 comparisons. */
static const struct ctl_cgroup *find_managed(const struct ctl_cgroup_list *l, const char *cgroup)
{
	_cleanup_free_ char *canonical = NULL;

	/* Paths given on the command line may be spelled "a/b" or "/a/b/". */
	if (cgfs_path_normalize(cgroup, &canonical) < 0 || l->n == 0)
		return NULL;
	return bsearch(canonical, l->items, l->n, sizeof(*l->items), cmp_key_cgroup);
}

void prometheus_write_limits(FILE *f, const char *const *cgroups, size_t n,
			     const struct ctl_cgroup_list *l)
{
	bool any = false;

	for (size_t c = 0; c < n; c++) {
		const struct ctl_cgroup *m = find_managed(l, cgroups[c]);
		uint64_t max, period;

		if (!m || isempty(m->max) || promotion_max_parse(m->max, &max, &period) < 0 ||
		    max == PROMOTION_MAX_UNLIMITED || period == 0)
			continue;
		if (!any)
			family_header(f, "cgtier_promotion_limit_bytes_per_second", "gauge",
				      "Promotion rate limit of the effective rule (memory.promotion.max over its period).");
		any = true;
		fputs("cgtier_promotion_limit_bytes_per_second{cgroup=", f);
		prometheus_label_value(f, cgroups[c]);
		fprintf(f, "} %.0f\n", (double)max * 1e6 / (double)period);
	}

	any = false;
	for (size_t c = 0; c < n; c++) {
		const struct ctl_cgroup *m = find_managed(l, cgroups[c]);

		if (!m || m->weight == 0)
			continue;
		if (!any)
			family_header(f, "cgtier_promotion_weight", "gauge",
				      "Promotion weight of the effective rule (memory.promotion.weight).");
		any = true;
		fputs("cgtier_promotion_weight{cgroup=", f);
		prometheus_label_value(f, cgroups[c]);
		fprintf(f, "} %" PRIu32 "\n", m->weight);
	}
}
