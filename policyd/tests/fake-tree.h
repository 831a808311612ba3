/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Header-only helpers for tests that build fake cgroupfs and sysfs trees in
 * a temporary directory. Each test makes its own tree (Check forks per
 * test), and removes it at the end. */

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The policy the bus, CLI and daemon tests start with: one rule, one match. */
static const char web_policy[] __attribute__((unused)) =
	"version: 1\n"
	"rules:\n"
	"  - name: web\n"
	"    priority: 10\n"
	"    match:\n"
	"      cgroup: \"system.slice/*.service\"\n"
	"    promotion:\n"
	"      max: 64MiB/s\n"
	"      weight: 50\n";

static inline char *fake_tree_new(void)
{
	char tmpl[] = "/tmp/cgtier-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	ck_assert_ptr_nonnull(d);
	return strdup(d);
}

__attribute__((format(printf, 3, 4)))
static inline void fake_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	ck_assert_int_lt(n, (int)size);
}

/* mkdir -p root/rel */
static inline void fake_mkdir(const char *root, const char *rel)
{
	char p[PATH_MAX];

	fake_path(p, sizeof(p), "%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		(void)mkdir(p, 0755);
		*s = '/';
	}
	(void)mkdir(p, 0755);
}

static inline void fake_write(const char *root, const char *rel, const char *content)
{
	char p[PATH_MAX];
	FILE *f;

	fake_path(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "we");
	ck_assert_msg(f != NULL, "fopen %s: %m", p);
	fputs(content, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Returns a malloc'd copy of root/rel's content, or NULL if absent. */
static inline char *fake_read(const char *root, const char *rel)
{
	char p[PATH_MAX], *buf = NULL;
	size_t size = 0;
	FILE *f;

	fake_path(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "re");
	if (!f)
		return NULL;
	if (getdelim(&buf, &size, 0, f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

/* A cgroup directory with the promotion knobs at their kernel defaults. */
static inline void fake_cgroup(const char *root, const char *rel, bool with_knobs)
{
	char p[PATH_MAX];

	fake_mkdir(root, rel);
	if (!with_knobs)
		return;
	fake_path(p, sizeof(p), "%s/memory.promotion.max", rel);
	fake_write(root, p, "max 1000000\n");
	fake_path(p, sizeof(p), "%s/memory.promotion.weight", rel);
	fake_write(root, p, "100\n");
	fake_path(p, sizeof(p), "%s/memory.promotion.stat", rel);
	fake_write(root, p,
		   "candidates 10\npromoted 7\nthrottled 2\ndropped 1\n"
		   "failed_isolate 0\nfailed_migrate 0\nbatches 3\n"
		   "offload_copied 0\ncpu_copied 7\n");
}

/* A sysfs below root/sys: node 0 with the CPUs in memory_tier4, CPU-less
 * node 1 in memory_tier18 (the test bed's layout). */
static inline void fake_two_tier_sysfs(const char *root, const char *sys)
{
	static const char *const dirs[] = {
		"devices/system/node/node0", "devices/system/node/node1",
		"devices/virtual/memory_tiering/memory_tier4",
		"devices/virtual/memory_tiering/memory_tier18",
	};
	static const char *const files[][2] = {
		{ "devices/system/node/online", "0-1\n" },
		{ "devices/system/node/has_cpu", "0\n" },
		{ "devices/virtual/memory_tiering/memory_tier4/nodelist", "0\n" },
		{ "devices/virtual/memory_tiering/memory_tier18/nodelist", "1\n" },
	};
	char p[PATH_MAX];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		fake_path(p, sizeof(p), "%s/%s", sys, dirs[i]);
		fake_mkdir(root, p);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		fake_path(p, sizeof(p), "%s/%s", sys, files[i][0]);
		fake_write(root, p, files[i][1]);
	}
}

static inline int fake_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p) < 0 ? -1 : 0;
}

static inline void fake_rm_rf(const char *dir)
{
	(void)nftw(dir, fake_rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

/* Runs a suite the way every test binary does; the exit code says it all. */
static inline int fake_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static inline int unlink_tree_file(const char *root, const char *rel)
{
	char p[PATH_MAX];

	fake_path(p, sizeof(p), "%s/%s", root, rel);
	return unlink(p);
}
