/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cgfs.h"
#include "fake-tree.h"
#include "stats.h"
#include "stats-reader.h"
#include "util.h"

static char *root;
static cgfs *fs;

static void setup(void)
{
	root = fake_tree_new();
	fake_cgroup(root, "", false);
	fake_cgroup(root, "a.slice", true);
	fake_write(root, "a.slice/memory.current", "4096\n");
	fake_write(root, "a.slice/memory.stat",
		   "anon 4096\nfile 0\npgpromote_success 66085\npgdemote_kswapd 3\n");
	fake_write(root, "a.slice/memory.numa_stat",
		   "anon N0=4096 N1=8192\nfile N0=100 N1=0\nkernel_stack N0=16384 N1=0\n"
		   "shmem N0=0 N1=0\n");
	ck_assert_int_eq(cgfs_open_openat(root, &fs), 0);
}

static void teardown(void)
{
	fs = cgfs_free(fs);
	fake_rm_rf(root);
	free(root);
}

START_TEST(test_stats_reads_all_three_files)
{
	_cleanup_(cgroup_stats_done) struct cgroup_stats s = {};
	uint64_t v;

	ck_assert_int_eq(stats_read(fs, "/a.slice", &s), 0);
	ck_assert(s.has_promotion_stat);
	ck_assert_uint_eq(s.n_promotion, 9);
	ck_assert(cgroup_stats_get(&s, "promoted", &v));
	ck_assert_uint_eq(v, 7);
	ck_assert(cgroup_stats_get(&s, "cpu_copied", &v));
	ck_assert(!cgroup_stats_get(&s, "nonexistent", &v));
	ck_assert(s.has_pgpromote_success);
	ck_assert_uint_eq(s.pgpromote_success, 66085);
	ck_assert_uint_eq(s.n_nodes, 2);
	ck_assert_uint_eq(s.nodes[0].node, 0);
	ck_assert_uint_eq(s.nodes[0].bytes, 4196);
	ck_assert_uint_eq(s.nodes[1].bytes, 8192);
}
END_TEST

START_TEST(test_stats_unknown_promotion_keys_are_kept)
{
	_cleanup_(cgroup_stats_done) struct cgroup_stats s = {};
	uint64_t v;

	ck_assert_int_eq(stats_parse_promotion("promoted 1\nfuture_key 42\n", &s), 0);
	ck_assert(cgroup_stats_get(&s, "future_key", &v));
	ck_assert_uint_eq(v, 42);
}
END_TEST

START_TEST(test_stats_without_promotion_stat_still_served)
{
	_cleanup_(cgroup_stats_done) struct cgroup_stats s = {};

	fake_mkdir(root, "old");
	fake_write(root, "old/memory.stat", "anon 1\n");
	fake_write(root, "old/memory.numa_stat", "anon N0=1\n");
	ck_assert_int_eq(stats_read(fs, "/old", &s), 0);
	ck_assert(!s.has_promotion_stat);
	ck_assert(!s.has_pgpromote_success);
	ck_assert_uint_eq(s.n_nodes, 1);
}
END_TEST

START_TEST(test_stats_vanished_cgroup_is_enoent)
{
	struct cgroup_stats s = {};

	ck_assert_int_eq(stats_read(fs, "/gone", &s), -ENOENT);
	ck_assert_uint_eq(s.n_promotion, 0);
}
END_TEST

START_TEST(test_stats_rejects_malformed_numa_stat)
{
	struct node_usage *n = NULL;
	size_t k = 0;

	ck_assert_int_eq(stats_parse_numa_stat("anon N0=x\n", &n, &k), -EINVAL);
	ck_assert_ptr_null(n);
	ck_assert_int_eq(stats_parse_numa_stat("", &n, &k), 0);
	ck_assert_uint_eq(k, 0);
	free(n);
}
END_TEST

START_TEST(test_stats_probe_detects_support)
{
	ck_assert_int_eq(stats_probe_kernel_support(fs), 1);
}
END_TEST

START_TEST(test_stats_probe_detects_missing_knobs)
{
	char p[PATH_MAX];

	fake_path(p, sizeof(p), "%s/a.slice/memory.promotion.max", root);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(stats_probe_kernel_support(fs), 0);
}
END_TEST

START_TEST(test_stats_probe_without_memory_cgroups_is_unknown)
{
	char p[PATH_MAX];

	fake_path(p, sizeof(p), "%s/a.slice", root);
	fake_rm_rf(p);
	fake_mkdir(root, "nomem.slice");
	ck_assert_int_eq(stats_probe_kernel_support(fs), -ENODATA);
}
END_TEST

/* Many cgroups, every one different, some gone: the threaded reader gives
 * exactly what stats_read() gives each, at each cgroup's own index. */
#define N_MANY 300

static void make_many(char **names)
{
	for (int i = 0; i < N_MANY; i++) {
		char dir[64], file[128], text[256];

		snprintf(dir, sizeof(dir), "s%d", i);
		ck_assert_int_ge(asprintf(&names[i], "/%s", dir), 0);
		if (i % 7 == 3)
			continue; /* never created: gone */
		fake_cgroup(root, dir, true);
		snprintf(file, sizeof(file), "%s/memory.promotion.stat", dir);
		snprintf(text, sizeof(text), "candidates %d\npromoted %d\n", i * 3, i);
		fake_write(root, file, text);
		snprintf(file, sizeof(file), "%s/memory.stat", dir);
		snprintf(text, sizeof(text), "anon 1\npgpromote_success %d\n", i * 5);
		fake_write(root, file, text);
		snprintf(file, sizeof(file), "%s/memory.numa_stat", dir);
		snprintf(text, sizeof(text), "anon N0=%d N1=%d\nfile N0=0 N1=0\n", i, 2 * i);
		fake_write(root, file, text);
	}
}

static void check_many(unsigned max_threads, unsigned want_threads)
{
	_cleanup_(stats_reader_freep) stats_reader *rd = NULL;
	static struct cgroup_stats got[N_MANY];
	static int res[N_MANY];
	char *names[N_MANY];

	make_many(names);
	ck_assert_int_eq(stats_reader_new(fs, max_threads, &rd), 0);
	stats_reader_read(rd, (const char *const *)names, N_MANY, got, res);
	ck_assert_uint_eq(stats_reader_last_threads(rd), want_threads);
	for (int i = 0; i < N_MANY; i++) {
		_cleanup_(cgroup_stats_done) struct cgroup_stats want = {};
		uint64_t v;

		ck_assert_int_eq(res[i], stats_read(fs, names[i], &want));
		if (i % 7 == 3) {
			ck_assert_int_eq(res[i], -ENOENT);
			ck_assert(!got[i].has_promotion_stat);
		} else {
			ck_assert_int_eq(res[i], 0);
			ck_assert(cgroup_stats_get(&got[i], "promoted", &v));
			ck_assert_uint_eq(v, (uint64_t)i);
			ck_assert(cgroup_stats_get(&got[i], "candidates", &v));
			ck_assert_uint_eq(v, (uint64_t)i * 3);
			ck_assert_uint_eq(got[i].pgpromote_success, (uint64_t)i * 5);
			ck_assert_uint_eq(got[i].n_nodes, 2);
			ck_assert_uint_eq(got[i].nodes[1].bytes, (uint64_t)i * 2);
		}
		cgroup_stats_done(&got[i]);
		free(names[i]);
	}
}

START_TEST(test_stats_reader_threads_match_sequential)
{
	check_many(4, 4);
}
END_TEST

START_TEST(test_stats_reader_one_thread)
{
	check_many(1, 1);
}
END_TEST

static int pass_hook(void *userdata, cgfs_op op, const char *cgroup, const char *file)
{
	return 0;
}

/* A handle with a fault hook (tests' hooks are not thread-safe) cannot be
 * cloned: everything is read on the calling thread, with the same results. */
START_TEST(test_stats_reader_hooked_handle_stays_single)
{
	cgfs_set_fault_hook(fs, pass_hook, NULL);
	check_many(4, 1);
}
END_TEST

/* Fewer cgroups than two threads' worth: no thread is started. */
START_TEST(test_stats_reader_small_batch_single)
{
	_cleanup_(stats_reader_freep) stats_reader *rd = NULL;
	const char *names[] = { "/a.slice" };
	struct cgroup_stats got[1];
	int res[1];

	ck_assert_int_eq(stats_reader_new(fs, 4, &rd), 0);
	stats_reader_read(rd, names, 1, got, res);
	ck_assert_int_eq(res[0], 0);
	ck_assert_uint_eq(stats_reader_last_threads(rd), 1);
	cgroup_stats_done(&got[0]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("files");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_stats_reads_all_three_files);
	tcase_add_test(tc, test_stats_unknown_promotion_keys_are_kept);
	tcase_add_test(tc, test_stats_without_promotion_stat_still_served);
	tcase_add_test(tc, test_stats_vanished_cgroup_is_enoent);
	tcase_add_test(tc, test_stats_rejects_malformed_numa_stat);
	tcase_add_test(tc, test_stats_probe_detects_support);
	tcase_add_test(tc, test_stats_probe_detects_missing_knobs);
	tcase_add_test(tc, test_stats_probe_without_memory_cgroups_is_unknown);
	tcase_add_test(tc, test_stats_reader_threads_match_sequential);
	tcase_add_test(tc, test_stats_reader_one_thread);
	tcase_add_test(tc, test_stats_reader_hooked_handle_stays_single);
	tcase_add_test(tc, test_stats_reader_small_batch_single);
	suite_add_tcase(s, tc);
	return fake_run_suite(s);
}
