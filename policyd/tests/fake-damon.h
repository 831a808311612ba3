/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A fake DAMON sysfs (Linux 6.12) for the damos backend's tests: a
 * damon_fs write hook that does what the kernel does on the writes with
 * side effects (nr_* files recreate their directories, kdamond state
 * commands), so that a tree of plain files behaves like
 * /sys/kernel/mm/damon/admin. Only the rules the backend depends on are
 * modelled:
 *   - nr_kdamonds fails with EBUSY while a kdamond runs, and like every
 *     nr_* file recreates all directories below with default contents;
 *   - "on"/"commit" resolve every memcg filter's memcg_path in the fake
 *     cgroupfs: "on" fails, and a failed "commit" stops the kdamond
 *     (the kernel's after_aggregation callback returns the error);
 *   - actions and filter types 6.12 lacks are EINVAL (the test turns
 *     migrate_hot or memcg filters off to model an older kernel).
 * The admin directory is <tree>/sys/kernel/mm/damon/admin, the cgroupfs
 * <tree>/cgroup, the topology <tree>/sys (node 0 DRAM, node 1 a lower
 * tier at 2-3 GiB), zoneinfo <tree>/zoneinfo.
 */

#include <dirent.h>

#include "fake-tree.h"

struct fake_damon {
	char *tree;
	char admin[PATH_MAX];
	bool no_migrate_hot, no_memcg_filter;
	bool fail_next_commit; /* as if a memcg vanished after the check */
	int n_on, n_off, n_commits, n_updates, n_commit_failures;
	int next_pid;
	int writes; /* every write through the hook */
};

static inline void fake_damon_dir_defaults(const char *dir, const char *const *files)
{
	for (size_t i = 0; files[i]; i += 2) {
		char p[PATH_MAX];

		fake_path(p, sizeof(p), "%s", files[i]);
		if (strchr(p, '/')) {
			*strrchr(p, '/') = 0;
			fake_mkdir(dir, p);
		}
		fake_write(dir, files[i], files[i + 1]);
	}
}

/* Removes parent/0 .. parent/N and creates n fresh ones with files. */
static inline void fake_damon_recreate(const char *parent, unsigned long n, const char *const *files)
{
	DIR *d = opendir(parent);
	struct dirent *de;
	char p[PATH_MAX];

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9') {
			fake_path(p, sizeof(p), "%s/%s", parent, de->d_name);
			fake_rm_rf(p);
		}
	closedir(d);
	for (unsigned long i = 0; i < n; i++) {
		fake_path(p, sizeof(p), "%s/%lu", parent, i);
		(void)mkdir(p, 0755);
		fake_damon_dir_defaults(p, files);
	}
}

static const char *const fake_damon_kdamond_files[] = {
	"state", "off\n", "pid", "-1\n", "contexts/nr_contexts", "0\n", NULL
};
static const char *const fake_damon_context_files[] = {
	"avail_operations", "vaddr\nfvaddr\npaddr\n", "operations", "vaddr\n",
	"monitoring_attrs/intervals/sample_us", "5000\n",
	"monitoring_attrs/intervals/aggr_us", "100000\n",
	"monitoring_attrs/intervals/update_us", "1000000\n",
	"monitoring_attrs/nr_regions/min", "10\n", "monitoring_attrs/nr_regions/max", "1000\n",
	"targets/nr_targets", "0\n", "schemes/nr_schemes", "0\n", NULL
};
static const char *const fake_damon_target_files[] = {
	"pid_target", "0\n", "regions/nr_regions", "0\n", NULL
};
static const char *const fake_damon_region_files[] = { "start", "0\n", "end", "0\n", NULL };
static const char *const fake_damon_scheme_files[] = {
	"action", "stat\n", "target_nid", "-1\n", "apply_interval_us", "0\n",
	"access_pattern/sz/min", "0\n", "access_pattern/sz/max", "0\n",
	"access_pattern/nr_accesses/min", "0\n", "access_pattern/nr_accesses/max", "0\n",
	"access_pattern/age/min", "0\n", "access_pattern/age/max", "0\n",
	"quotas/ms", "0\n", "quotas/bytes", "0\n", "quotas/reset_interval_ms", "0\n",
	"quotas/effective_bytes", "0\n", "quotas/goals/nr_goals", "0\n",
	"quotas/weights/sz_permil", "0\n", "quotas/weights/nr_accesses_permil", "0\n",
	"quotas/weights/age_permil", "0\n",
	"watermarks/metric", "none\n", "watermarks/interval_us", "0\n", "watermarks/high", "0\n",
	"watermarks/mid", "0\n", "watermarks/low", "0\n",
	"filters/nr_filters", "0\n",
	"stats/nr_tried", "0\n", "stats/sz_tried", "0\n", "stats/nr_applied", "0\n",
	"stats/sz_applied", "0\n", "stats/qt_exceeds", "0\n", NULL
};
static const char *const fake_damon_filter_files[] = {
	"type", "anon\n", "matching", "N\n", "memcg_path", "\n", "addr_start", "0\n",
	"addr_end", "0\n", "damon_target_idx", "0\n", NULL
};

static inline char *fake_damon_get(struct fake_damon *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline char *fake_damon_get(struct fake_damon *f, const char *fmt, ...)
{
	char rel[PATH_MAX];
	va_list ap;
	char *s;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	s = fake_read(f->admin, rel);
	if (s)
		s[strcspn(s, "\n")] = 0;
	return s;
}

static inline long fake_damon_get_long(struct fake_damon *f, const char *rel)
{
	char *s = fake_damon_get(f, "%s", rel);
	long v;

	ck_assert_msg(s != NULL, "no %s", rel);
	v = strtol(s, NULL, 10);
	free(s);
	return v;
}

static inline bool fake_damon_kdamond_on(struct fake_damon *f, unsigned long k)
{
	char *s = fake_damon_get(f, "kdamonds/%lu/state", k);
	bool on = s && strcmp(s, "on") == 0;

	free(s);
	return on;
}

/* Every memcg filter of kdamond k resolves in the fake cgroupfs. */
static inline bool fake_damon_memcgs_resolve(struct fake_damon *f, unsigned long k)
{
	long n = 0;
	char rel[PATH_MAX];

	fake_path(rel, sizeof(rel), "kdamonds/%lu/contexts/0/schemes/nr_schemes", k);
	n = fake_damon_get_long(f, rel);
	for (long i = 0; i < n; i++) {
		char *type = fake_damon_get(f, "kdamonds/%lu/contexts/0/schemes/%ld/filters/0/type", k, i);
		char *path = fake_damon_get(f, "kdamonds/%lu/contexts/0/schemes/%ld/filters/0/memcg_path", k, i);
		char dir[PATH_MAX];
		struct stat st;
		bool ok = true;

		if (type && strcmp(type, "memcg") == 0) {
			fake_path(dir, sizeof(dir), "%s/cgroup%s", f->tree, path ? path : "");
			ok = path && *path == '/' && stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
		}
		free(type);
		free(path);
		if (!ok)
			return false;
	}
	return true;
}

static inline int fake_damon_state(struct fake_damon *f, unsigned long k, const char *value)
{
	char rel[PATH_MAX], pid[16];
	bool on = fake_damon_kdamond_on(f, k);

	fake_path(rel, sizeof(rel), "kdamonds/%lu", k);
	if (strcmp(value, "on") == 0) {
		if (on)
			return -EBUSY;
		if (!fake_damon_memcgs_resolve(f, k))
			return -ENOMEM;
		fake_path(pid, sizeof(pid), "%d\n", f->next_pid++);
		fake_path(rel, sizeof(rel), "kdamonds/%lu/state", k);
		fake_write(f->admin, rel, "on\n");
		fake_path(rel, sizeof(rel), "kdamonds/%lu/pid", k);
		fake_write(f->admin, rel, pid);
		f->n_on++;
		return 1;
	}
	if (!on)
		return -EINVAL; /* every other command needs a running kdamond */
	if (strcmp(value, "off") == 0 ||
	    (strcmp(value, "commit") == 0 && (f->fail_next_commit || !fake_damon_memcgs_resolve(f, k)))) {
		f->fail_next_commit = false;
		if (strcmp(value, "off") == 0)
			f->n_off++;
		else
			f->n_commit_failures++;
		fake_path(rel, sizeof(rel), "kdamonds/%lu/state", k);
		fake_write(f->admin, rel, "off\n");
		fake_path(rel, sizeof(rel), "kdamonds/%lu/pid", k);
		fake_write(f->admin, rel, "-1\n");
		return 1;
	}
	if (strcmp(value, "commit") == 0) {
		f->n_commits++;
		return 1;
	}
	if (strcmp(value, "update_schemes_stats") == 0) {
		f->n_updates++;
		return 1;
	}
	return -EINVAL;
}

static inline int fake_damon_hook(void *userdata, const char *path, const char *value)
{
	struct fake_damon *f = userdata;
	char parent[PATH_MAX];
	const char *base = strrchr(path, '/');
	unsigned long n = strtoul(value, NULL, 10), k;

	f->writes++;
	base = base ? base + 1 : path;
	fake_path(parent, sizeof(parent), "%s/%.*s", f->admin, (int)(base - path), path);
	if (strcmp(path, "kdamonds/nr_kdamonds") == 0) {
		long cur = fake_damon_get_long(f, "kdamonds/nr_kdamonds");

		for (long i = 0; i < cur; i++)
			if (fake_damon_kdamond_on(f, (unsigned long)i))
				return -EBUSY;
		fake_damon_recreate(parent, n, fake_damon_kdamond_files);
	} else if (strcmp(base, "nr_contexts") == 0)
		fake_damon_recreate(parent, n, fake_damon_context_files);
	else if (strcmp(base, "nr_targets") == 0)
		fake_damon_recreate(parent, n, fake_damon_target_files);
	else if (strcmp(base, "nr_regions") == 0 && strstr(path, "/targets/"))
		fake_damon_recreate(parent, n, fake_damon_region_files);
	else if (strcmp(base, "nr_schemes") == 0)
		fake_damon_recreate(parent, n, fake_damon_scheme_files);
	else if (strcmp(base, "nr_filters") == 0)
		fake_damon_recreate(parent, n, fake_damon_filter_files);
	else if (strcmp(base, "state") == 0 && sscanf(path, "kdamonds/%lu/state", &k) == 1)
		return fake_damon_state(f, k, value);
	else if (strcmp(base, "action") == 0) {
		if (strcmp(value, "migrate_hot") == 0 && f->no_migrate_hot)
			return -EINVAL;
	} else if (strcmp(base, "type") == 0 && strstr(path, "/filters/")) {
		if (strcmp(value, "memcg") == 0 && f->no_memcg_filter)
			return -EINVAL;
	}
	if (strncmp(base, "nr_", 3) == 0 || strcmp(path, "kdamonds/nr_kdamonds") == 0) {
		fake_write(f->admin, path, value);
		return 1;
	}
	return 0;
}

/* The tree: admin dir with no kdamond, topology with node 1 below node 0,
 * zoneinfo with node 1 at 2-3 GiB, an empty cgroupfs root. */
static inline void fake_damon_init(struct fake_damon *f, const char *root)
{
	*f = (struct fake_damon){ .tree = (char *)root, .next_pid = 4000 };
	fake_path(f->admin, sizeof(f->admin), "%s/sys/kernel/mm/damon/admin", root);
	fake_mkdir(root, "sys/kernel/mm/damon/admin/kdamonds");
	fake_write(root, "sys/kernel/mm/damon/admin/kdamonds/nr_kdamonds", "0\n");
	fake_two_tier_sysfs(root, "sys");
	fake_write(root, "sys/devices/system/node/has_memory", "0-1\n");
	fake_write(root, "sys/devices/system/node/node0/distance", "10 20\n");
	fake_write(root, "sys/devices/system/node/node1/distance", "20 10\n");
	fake_write(root, "zoneinfo",
		   "Node 0, zone      DMA\n  pages free     3840\n        spanned  4095\n"
		   "  start_pfn:           1\n"
		   "Node 0, zone    DMA32\n  pages free     1000\n        spanned  520192\n"
		   "  start_pfn:           4096\n"
		   "Node 1, zone   Normal\n  pages free     1000\n        spanned  262144\n"
		   "  start_pfn:           524288\n"
		   "Node 1, zone  Movable\n  pages free     0\n        spanned  0\n"
		   "  start_pfn:           0\n");
	fake_mkdir(root, "cgroup");
}

/* A cgroup with its own memcg (memory.current). */
static inline void fake_damon_memcg(const char *root, const char *rel)
{
	char p[PATH_MAX];

	fake_path(p, sizeof(p), "cgroup/%s", rel);
	fake_mkdir(root, p);
	fake_path(p, sizeof(p), "cgroup/%s/memory.current", rel);
	fake_write(root, p, "0\n");
}
