/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libcgroup.h>
#include <sys/resource.h>

#include "cgfs-backend.h"
#include "cgfs.h"
#include "fake-tree.h"
#include "util.h"

static char *root;
static cgfs *fs;

static void setup(void)
{
	root = fake_tree_new();
	fake_cgroup(root, "", true);
	fake_cgroup(root, "system.slice", true);
	fake_cgroup(root, "system.slice/a.service", true);
	fake_cgroup(root, "user.slice", true);
	fake_write(root, "system.slice/memory.max", "max\n");
	ck_assert_int_eq(cgfs_open_openat(root, &fs), 0);
}

/* Same tree, paths resolved one component at a time as on kernels
 * without openat2(). */
static void setup_walk(void)
{
	setup();
	fs->no_openat2 = true;
}

static void teardown(void)
{
	fs = cgfs_free(fs);
	fake_rm_rf(root);
	free(root);
}

START_TEST(test_cgfs_reads_and_writes_allowed_knob)
{
	_cleanup_free_ char *v = NULL, *w = NULL;

	ck_assert_int_eq(cgfs_write(fs, "/system.slice/a.service", "memory.promotion.max", "1048576 100000"), 0);
	ck_assert_int_eq(cgfs_read_line(fs, "/system.slice/a.service", "memory.promotion.max", &v), 0);
	ck_assert_str_eq(v, "1048576 100000");
	ck_assert_int_eq(cgfs_write(fs, "system.slice//a.service/", "memory.promotion.weight", "50"), 0);
	ck_assert_int_eq(cgfs_read(fs, "/system.slice/a.service", "memory.promotion.weight", &w), 0);
	ck_assert_str_eq(w, "50");
	ck_assert_uint_eq(cgfs_get_write_count(fs), 2);
}
END_TEST

START_TEST(test_cgfs_read_line_returns_first_line_only)
{
	_cleanup_free_ char *line = NULL, *all = NULL, *noeol = NULL;

	fake_write(root, "user.slice/memory.stat", "anon 1\nfile 2\n");
	ck_assert_int_eq(cgfs_read_line(fs, "/user.slice", "memory.stat", &line), 0);
	ck_assert_str_eq(line, "anon 1");
	ck_assert_int_eq(cgfs_read(fs, "/user.slice", "memory.stat", &all), 0);
	ck_assert_str_eq(all, "anon 1\nfile 2\n");
	fake_write(root, "user.slice/memory.promotion.weight", "42");
	ck_assert_int_eq(cgfs_read_line(fs, "/user.slice", "memory.promotion.weight", &noeol), 0);
	ck_assert_str_eq(noeol, "42");
}
END_TEST

/* Reads stop at a short read: sizes around the first 4 KiB buffer and
 * beyond must still come back whole. */
START_TEST(test_cgfs_read_returns_whole_file_of_any_size)
{
	static const size_t sizes[] = { 0, 1, 4094, 4095, 4096, 8191, 10000, 70000 };

	for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
		_cleanup_free_ char *text = malloc(sizes[i] + 1), *got = NULL;

		ck_assert_ptr_nonnull(text);
		for (size_t j = 0; j < sizes[i]; j++)
			text[j] = j % 64 == 63 ? '\n' : (char)('a' + j % 26);
		text[sizes[i]] = 0;
		fake_write(root, "user.slice/memory.stat", text);
		ck_assert_int_eq(cgfs_read(fs, "/user.slice", "memory.stat", &got), 0);
		ck_assert_uint_eq(strlen(got), sizes[i]);
		ck_assert_str_eq(got, text);
	}
}
END_TEST

START_TEST(test_cgfs_hold_serves_reads_of_that_cgroup_and_others)
{
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

	ck_assert_int_eq(cgfs_hold(fs, "system.slice/a.service"), 0);
	ck_assert_int_eq(cgfs_read_line(fs, "/system.slice/a.service", "memory.promotion.weight", &a), 0);
	ck_assert_str_eq(a, "100");
	/* Another cgroup while one is held: resolved as usual. */
	ck_assert_int_eq(cgfs_read_line(fs, "/user.slice", "memory.promotion.weight", &b), 0);
	ck_assert_str_eq(b, "100");
	cgfs_release(fs);
	cgfs_release(fs); /* twice is harmless */
	/* A missing cgroup: the hold fails, the read says why. */
	ck_assert_int_eq(cgfs_hold(fs, "/nope.slice"), -ENOENT);
	ck_assert_int_eq(cgfs_read(fs, "/nope.slice", "memory.stat", &c), -ENOENT);
	cgfs_release(fs);
}
END_TEST

START_TEST(test_cgfs_refuses_writes_outside_allow_list)
{
	_cleanup_free_ char *v = NULL;

	ck_assert_int_eq(cgfs_write(fs, "/system.slice", "memory.max", "1"), -EPERM);
	ck_assert_int_eq(cgfs_write(fs, "/system.slice", "cgroup.procs", "1"), -EPERM);
	v = fake_read(root, "system.slice/memory.max");
	ck_assert_str_eq(v, "max\n");
	ck_assert_uint_eq(cgfs_get_write_count(fs), 0);
}
END_TEST

START_TEST(test_cgfs_refuses_symlinked_cgroup)
{
	char link[PATH_MAX], target[PATH_MAX];
	_cleanup_free_ char *v = NULL, *outside = fake_tree_new();

	fake_cgroup(outside, "victim", true);
	fake_path(target, sizeof(target), "%s/victim", outside);
	fake_path(link, sizeof(link), "%s/system.slice/evil", root);
	ck_assert_int_eq(symlink(target, link), 0);

	ck_assert_int_lt(cgfs_write(fs, "/system.slice/evil", "memory.promotion.max", "1 1000000"), 0);
	ck_assert_int_lt(cgfs_read(fs, "/system.slice/evil", "memory.promotion.max", &v), 0);
	ck_assert_int_eq(cgfs_cgroup_exists(fs, "/system.slice/evil"), 0);
	free(v);
	v = fake_read(outside, "victim/memory.promotion.max");
	ck_assert_str_eq(v, "max 1000000\n");
	fake_rm_rf(outside);
}
END_TEST

START_TEST(test_cgfs_refuses_symlinked_knob)
{
	char link[PATH_MAX], target[PATH_MAX];

	fake_path(target, sizeof(target), "%s/system.slice/memory.max", root);
	fake_path(link, sizeof(link), "%s/user.slice/memory.promotion.weight", root);
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(cgfs_write(fs, "/user.slice", "memory.promotion.weight", "5"), -ELOOP);
}
END_TEST

START_TEST(test_cgfs_refuses_dotdot_and_slash_in_names)
{
	char *v = NULL;

	ck_assert(!cgfs_path_is_valid("/system.slice/../.."));
	ck_assert(!cgfs_path_is_valid(".."));
	ck_assert(!cgfs_path_is_valid("/a/./b"));
	ck_assert(cgfs_path_is_valid("/a..b/..c"));
	ck_assert_int_eq(cgfs_write(fs, "/system.slice/..", "memory.promotion.weight", "5"), -EINVAL);
	ck_assert_int_eq(cgfs_read(fs, "/../etc", "passwd", &v), -EINVAL);
	ck_assert_int_eq(cgfs_write(fs, "/", "user.slice/memory.promotion.weight", "5"), -EINVAL);
	ck_assert_int_eq(cgfs_read(fs, "/", "../passwd", &v), -EINVAL);
	ck_assert_int_eq(cgfs_write(fs, "/user.slice", "memory.promotion.weight", "5\n6"), -EINVAL);
	ck_assert_ptr_null(v);
}
END_TEST

START_TEST(test_cgfs_vanished_cgroup_is_enoent)
{
	char *v = NULL;

	ck_assert_int_eq(cgfs_read(fs, "/gone", "memory.promotion.max", &v), -ENOENT);
	ck_assert_int_eq(cgfs_write(fs, "/gone/deeper", "memory.promotion.max", "max"), -ENOENT);
	ck_assert_int_eq(cgfs_cgroup_exists(fs, "/gone"), 0);
	ck_assert_int_eq(cgfs_cgroup_exists(fs, "/user.slice"), 1);
	ck_assert_ptr_null(v);
}
END_TEST

struct walk_acc {
	char seen[16][64];
	int n;
};

static int collect(void *userdata, const char *cgroup)
{
	struct walk_acc *a = userdata;

	ck_assert_int_lt(a->n, 16);
	snprintf(a->seen[a->n++], 64, "%s", cgroup);
	return 0;
}

static int find_seen(const struct walk_acc *a, const char *p)
{
	for (int i = 0; i < a->n; i++)
		if (streq(a->seen[i], p))
			return i;
	return -1;
}

START_TEST(test_cgfs_walk_visits_parents_first_and_skips_symlinks)
{
	struct walk_acc a = {};
	char link[PATH_MAX];

	fake_path(link, sizeof(link), "%s/link.slice", root);
	ck_assert_int_eq(symlink("system.slice", link), 0);
	ck_assert_int_eq(cgfs_walk(fs, "/", collect, &a), 0);
	ck_assert_int_eq(a.n, 4);
	ck_assert_int_eq(find_seen(&a, "/"), 0);
	ck_assert_int_ge(find_seen(&a, "/system.slice"), 0);
	ck_assert_int_gt(find_seen(&a, "/system.slice/a.service"), find_seen(&a, "/system.slice"));
	ck_assert_int_lt(find_seen(&a, "/link.slice"), 0);

	a.n = 0;
	ck_assert_int_eq(cgfs_walk(fs, "/system.slice", collect, &a), 0);
	ck_assert_int_eq(a.n, 2);
}
END_TEST

#define DEEP_LEVELS 200

struct deep_acc {
	int n, deepest, reads;
};

static int count_deep(void *userdata, const char *cgroup)
{
	struct deep_acc *a = userdata;
	_cleanup_free_ char *v = NULL;
	int depth = 0;

	for (const char *p = cgroup; *p; p++)
		depth += *p == '/';
	a->n++;
	a->deepest = MAX(a->deepest, streq(cgroup, "/") ? 0 : depth);
	/* Reading a knob of the visited cgroup works at every depth too. */
	if (!streq(cgroup, "/") && cgfs_read_line(fs, cgroup, "memory.promotion.weight", &v) == 0 &&
	    streq(v, "100"))
		a->reads++;
	return 0;
}

/* A directory fd per level would run out of descriptors below some depth
 * and silently skip everything deeper: the walk must see every cgroup. */
START_TEST(test_cgfs_walk_finds_every_cgroup_deeper_than_the_fd_limit)
{
	struct rlimit rl = { .rlim_cur = 64, .rlim_max = 64 };
	struct deep_acc a = {};
	char rel[2 * DEEP_LEVELS + 16] = "";

	/* Two chains, so siblings deep down are found as well. */
	for (int i = 0; i < DEEP_LEVELS; i++) {
		strcat(rel, i ? "/d" : "d");
		fake_cgroup(root, rel, true);
	}
	fake_cgroup(root, "d/d/d/sibling", true);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);

	ck_assert_int_eq(cgfs_walk(fs, "/", count_deep, &a), 0);
	/* "/", the 4 cgroups of setup(), the chain and the sibling. */
	ck_assert_int_eq(a.n, 1 + 3 + DEEP_LEVELS + 1);
	ck_assert_int_eq(a.deepest, DEEP_LEVELS);
	ck_assert_int_eq(a.reads, 3 + DEEP_LEVELS + 1);

	/* And from a start below the root. */
	a = (struct deep_acc){};
	ck_assert_int_eq(cgfs_walk(fs, "/d/d", count_deep, &a), 0);
	ck_assert_int_eq(a.n, DEEP_LEVELS - 1 + 1);
}
END_TEST

static int stop_walk(void *userdata, const char *cgroup)
{
	return streq(cgroup, "/system.slice") ? -ECANCELED : 0;
}

START_TEST(test_cgfs_walk_stops_on_callback_error)
{
	ck_assert_int_eq(cgfs_walk(fs, "/", stop_walk, NULL), -ECANCELED);
}
END_TEST

struct keyed_acc {
	uint64_t promoted, candidates;
	int n;
};

static int keyed(void *userdata, const char *key, uint64_t value)
{
	struct keyed_acc *a = userdata;

	a->n++;
	if (streq(key, "promoted"))
		a->promoted = value;
	else if (streq(key, "candidates"))
		a->candidates = value;
	return 0;
}

START_TEST(test_cgfs_read_keyed_skips_non_numeric_lines)
{
	struct keyed_acc a = {};

	fake_write(root, "user.slice/memory.promotion.stat",
		   "candidates 10\npromoted 18446744073709551615\nbogus line here\nneg -1\nnovalue\n");
	ck_assert_int_eq(cgfs_read_keyed(fs, "/user.slice", "memory.promotion.stat", keyed, &a), 0);
	ck_assert_int_eq(a.n, 2);
	ck_assert_uint_eq(a.candidates, 10);
	ck_assert_uint_eq(a.promoted, UINT64_MAX);
}
END_TEST

struct hook_state {
	int calls;
	cgfs_op last_op;
};

static int deny_writes(void *userdata, cgfs_op op, const char *cgroup, const char *file)
{
	struct hook_state *h = userdata;

	h->calls++;
	h->last_op = op;
	return op == CGFS_OP_WRITE ? -EACCES : 0;
}

START_TEST(test_cgfs_fault_hook_fails_operation)
{
	struct hook_state h = {};
	_cleanup_free_ char *v = NULL;

	cgfs_set_fault_hook(fs, deny_writes, &h);
	ck_assert_int_eq(cgfs_write(fs, "/user.slice", "memory.promotion.weight", "5"), -EACCES);
	ck_assert_int_eq(h.last_op, CGFS_OP_WRITE);
	ck_assert_int_eq(cgfs_read_line(fs, "/user.slice", "memory.promotion.weight", &v), 0);
	ck_assert_str_eq(v, "100");
	ck_assert_uint_eq(cgfs_get_write_count(fs), 0);
}
END_TEST

START_TEST(test_cgfs_directory_in_place_of_knob_fails_write)
{
	char p[PATH_MAX];

	fake_path(p, sizeof(p), "%s/user.slice/memory.promotion.weight", root);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(cgfs_write(fs, "/user.slice", "memory.promotion.weight", "5"), -EISDIR);
}
END_TEST

START_TEST(test_cgfs_path_normalize)
{
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

	ck_assert_int_eq(cgfs_path_normalize("", &a), 0);
	ck_assert_str_eq(a, "/");
	ck_assert_int_eq(cgfs_path_normalize("a//b/", &b), 0);
	ck_assert_str_eq(b, "/a/b");
	ck_assert_int_eq(cgfs_path_join("/", "x.slice", &c), 0);
	ck_assert_str_eq(c, "/x.slice");
	ck_assert_int_eq(cgfs_path_join("/", "x/y", &c), -EINVAL);
}
END_TEST

START_TEST(test_cgfs_libcgroup_errors_become_negative_errno)
{
	ck_assert_int_eq(cgfs_libcgroup_error_to_errno(0, 0), 0);
	ck_assert_int_eq(cgfs_libcgroup_error_to_errno(ECGROUPNOTEXIST, 0), -ENOENT);
	ck_assert_int_eq(cgfs_libcgroup_error_to_errno(ECGROUPVALUENOTEXIST, 0), -ENOENT);
	ck_assert_int_eq(cgfs_libcgroup_error_to_errno(ECGROUPNOTALLOWED, 0), -EACCES);
	ck_assert_int_eq(cgfs_libcgroup_error_to_errno(ECGOTHER, ENODEV), -ENODEV);
	ck_assert_int_eq(cgfs_libcgroup_error_to_errno(ECGOTHER, 0), -EIO);
	ck_assert_int_eq(cgfs_libcgroup_error_to_errno(ECGINVAL, 0), -EINVAL);
	ck_assert_int_eq(cgfs_libcgroup_error_to_errno(ECGROUPNOTMOUNTED, 0), -ENXIO);
	ck_assert_int_eq(cgfs_libcgroup_error_to_errno(ECGROUPNOTINITIALIZED, 0), -ENOTCONN);
	ck_assert_int_eq(cgfs_libcgroup_error_to_errno(ECGFAIL, 0), -EIO);
	/* Never a positive value, whatever libcgroup hands back. */
	for (int e = 50000; e <= 50031; e++)
		ck_assert_int_lt(cgfs_libcgroup_error_to_errno(e, EPERM), 0);
}
END_TEST

START_TEST(test_cgfs_libcgroup_refuses_foreign_root)
{
	cgfs *c = NULL;

	/* A temp tree is never libcgroup's memory mount: the daemon then falls
	 * back to openat. */
	ck_assert_int_lt(cgfs_open_libcgroup(root, &c), 0);
	ck_assert_ptr_null(c);
}
END_TEST

static int count_cb(void *userdata, const char *cgroup)
{
	(*(int *)userdata)++;
	return 0;
}

/* Read-only use of the host's memory controller through libcgroup, when
 * there is one: proves the backend's read, walk and error paths against
 * the real library. Nothing is written (the one write targets a cgroup
 * that does not exist). */
START_TEST(test_cgfs_libcgroup_reads_host_memory_controller)
{
	_cleanup_cgfs_ cgfs *c = NULL;
	_cleanup_free_ char *stat = NULL;
	char *mnt = NULL;
	int n = 0;

	if (cgroup_init() != 0 || cgroup_get_subsys_mount_point("memory", &mnt) != 0) {
		fprintf(stderr, "libcgroup sees no memory controller here: skipped\n");
		return;
	}
	ck_assert_int_eq(cgfs_open_libcgroup(mnt, &c), 0);
	free(mnt);
	ck_assert_int_eq(cgfs_get_backend(c), CGFS_BACKEND_LIBCGROUP);
	ck_assert_int_eq(cgfs_read(c, "/", "memory.stat", &stat), 0);
	ck_assert_ptr_nonnull(strstr(stat, "anon") ?: strstr(stat, "rss"));
	ck_assert_int_eq(cgfs_walk(c, "/", count_cb, &n), 0);
	ck_assert_int_ge(n, 1);
	ck_assert_int_eq(cgfs_write(c, "/cgtier-test-no-such-cgroup", "memory.promotion.weight", "5"),
			 -ENOENT);
	ck_assert_int_eq(cgfs_cgroup_exists(c, "/cgtier-test-no-such-cgroup"), 0);
	ck_assert_int_eq(cgfs_cgroup_exists(c, "/"), 1);
}
END_TEST

START_TEST(test_cgfs_backend_names_round_trip)
{
	cgfs_backend b;

	ck_assert_int_eq(cgfs_backend_from_string("openat", &b), 0);
	ck_assert_int_eq(b, CGFS_BACKEND_OPENAT);
	ck_assert_str_eq(cgfs_backend_to_string(CGFS_BACKEND_LIBCGROUP), "libcgroup");
	ck_assert_int_eq(cgfs_backend_from_string("sysfs", &b), -EINVAL);
	ck_assert_int_eq(cgfs_get_backend(fs), CGFS_BACKEND_OPENAT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cgfs");
	TCase *tc = tcase_create("openat");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cgfs_reads_and_writes_allowed_knob);
	tcase_add_test(tc, test_cgfs_read_line_returns_first_line_only);
	tcase_add_test(tc, test_cgfs_read_returns_whole_file_of_any_size);
	tcase_add_test(tc, test_cgfs_hold_serves_reads_of_that_cgroup_and_others);
	tcase_add_test(tc, test_cgfs_refuses_writes_outside_allow_list);
	tcase_add_test(tc, test_cgfs_refuses_symlinked_cgroup);
	tcase_add_test(tc, test_cgfs_refuses_symlinked_knob);
	tcase_add_test(tc, test_cgfs_refuses_dotdot_and_slash_in_names);
	tcase_add_test(tc, test_cgfs_vanished_cgroup_is_enoent);
	tcase_add_test(tc, test_cgfs_walk_visits_parents_first_and_skips_symlinks);
	tcase_add_test(tc, test_cgfs_walk_stops_on_callback_error);
	tcase_add_test(tc, test_cgfs_walk_finds_every_cgroup_deeper_than_the_fd_limit);
	tcase_add_test(tc, test_cgfs_read_keyed_skips_non_numeric_lines);
	tcase_add_test(tc, test_cgfs_fault_hook_fails_operation);
	tcase_add_test(tc, test_cgfs_directory_in_place_of_knob_fails_write);
	tcase_add_test(tc, test_cgfs_path_normalize);
	tcase_add_test(tc, test_cgfs_libcgroup_errors_become_negative_errno);
	tcase_add_test(tc, test_cgfs_libcgroup_refuses_foreign_root);
	tcase_add_test(tc, test_cgfs_backend_names_round_trip);
	tcase_add_test(tc, test_cgfs_libcgroup_reads_host_memory_controller);
	suite_add_tcase(s, tc);

	tc = tcase_create("openat-component-walk");
	tcase_add_checked_fixture(tc, setup_walk, teardown);
	tcase_add_test(tc, test_cgfs_reads_and_writes_allowed_knob);
	tcase_add_test(tc, test_cgfs_hold_serves_reads_of_that_cgroup_and_others);
	tcase_add_test(tc, test_cgfs_refuses_symlinked_cgroup);
	tcase_add_test(tc, test_cgfs_refuses_symlinked_knob);
	tcase_add_test(tc, test_cgfs_refuses_dotdot_and_slash_in_names);
	tcase_add_test(tc, test_cgfs_vanished_cgroup_is_enoent);
	tcase_add_test(tc, test_cgfs_walk_visits_parents_first_and_skips_symlinks);
	tcase_add_test(tc, test_cgfs_walk_finds_every_cgroup_deeper_than_the_fd_limit);
	suite_add_tcase(s, tc);
	return fake_run_suite(s);
}
