/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The damos backend against a fake DAMON sysfs (fake-damon.h) and a fake
 * cgroupfs, driven by the reconciler as the daemon drives it. */
#include <fcntl.h>

#include "damos-backend.h"
#include "damos-plan.h"
#include "fake-damon.h"
#include "policy.h"
#include "rate.h"
#include "reconcile.h"
#include "topology.h"
#include "util.h"

#define MiB (1024ULL * 1024)
#define SCHEME(i) "kdamonds/0/contexts/0/schemes/" #i

static const char policy_text[] =
	"version: 1\n"
	"rules:\n"
	"  - name: limited\n"
	"    priority: 10\n"
	"    match:\n"
	"      cgroup: \"app/limited*\"\n"
	"    promotion:\n"
	"      max: 16MiB/s\n"
	"  - name: free\n"
	"    priority: 10\n"
	"    match:\n"
	"      cgroup: \"app/free\"\n"
	"    promotion:\n"
	"      max: unlimited\n";

static char *tree;
static struct fake_damon fd_;
static cgfs *fs;
static reconciler *rec;
static struct policy_set *set;
static kernel_backend *kb;
static int state_fd = -1;
static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

static void load_policy(const char *text)
{
	struct policy_error err = {};

	policy_set_free(set);
	set = NULL;
	ck_assert_int_eq(policy_set_load_text("test.yaml", text, strlen(text), &set, &err), 0);
}

static int open_backend(kernel_backend **ret)
{
	char admin[PATH_MAX], sys[PATH_MAX], why[256] = "";
	struct damos_backend_config c = {
		.admin_root = admin, .sysfs_root = sys, .proc_root = tree,
		.state_dir_fd = state_fd, .clock = fake_clock,
		.write_hook = fake_damon_hook, .write_hook_userdata = &fd_, .no_busy_wait = true,
	};
	int r;

	fake_path(admin, sizeof(admin), "%s", fd_.admin);
	fake_path(sys, sizeof(sys), "%s/sys", tree);
	r = kernel_backend_new_damos(fs, &c, why, sizeof(why), ret);
	if (r < 0)
		ck_assert_msg(!isempty(why), "no reason given for %d", r);
	return r;
}

static void setup(void)
{
	char p[PATH_MAX];

	tree = fake_tree_new();
	fake_damon_init(&fd_, tree);
	fake_damon_memcg(tree, "app");
	fake_damon_memcg(tree, "app/limited-a");
	fake_damon_memcg(tree, "app/limited-b");
	fake_damon_memcg(tree, "app/free");
	fake_damon_memcg(tree, "other");
	fake_mkdir(tree, "state");
	fake_path(p, sizeof(p), "%s/state", tree);
	state_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(state_fd, 0);
	fake_path(p, sizeof(p), "%s/cgroup", tree);
	ck_assert_int_eq(cgfs_open_openat(p, &fs), 0);
	ck_assert_int_eq(reconciler_new(fs, &rec), 0);
	load_policy(policy_text);
	fake_now = 10 * 1000 * 1000;
}

static void teardown(void)
{
	kernel_backend_free(kb);
	kb = NULL;
	reconciler_free(rec);
	policy_set_free(set);
	set = NULL;
	cgfs_free(fs);
	close(state_fd);
	fake_rm_rf(tree);
	free(tree);
}

static void start(void)
{
	ck_assert_int_eq(open_backend(&kb), 0);
	reconciler_set_backend(rec, kb);
	ck_assert_int_eq(reconcile_all(rec, set, NULL), 0);
}

static char *get(const char *rel)
{
	char *s = fake_damon_get(&fd_, "%s", rel);

	ck_assert_msg(s != NULL, "no %s", rel);
	return s;
}

#define ck_assert_file(rel, expected)                                          \
	do {                                                                   \
		_cleanup_free_ char *_v = get(rel);                            \
		ck_assert_str_eq(_v, expected);                                \
	} while (0)

/* The slot whose memcg filter names cgroup in kdamond 0, or -1. */
static int slot_of(const char *cgroup)
{
	long n = fake_damon_get_long(&fd_, "kdamonds/0/contexts/0/schemes/nr_schemes");

	for (long i = 0; i < n; i++) {
		_cleanup_free_ char *type = fake_damon_get(&fd_, SCHEME(%ld) "/filters/0/type", i);
		_cleanup_free_ char *path = fake_damon_get(&fd_, SCHEME(%ld) "/filters/0/memcg_path", i);

		if (streq(type, "memcg") && streq(path, cgroup))
			return (int)i;
	}
	return -1;
}

/* --- arithmetic --- */

START_TEST(test_damos_quota_is_rate_times_period)
{
	struct damos_quota q;

	ck_assert_int_eq(damos_quota_from_rate(16 * MiB, 1000000, &q), 0);
	ck_assert(!q.nothing);
	ck_assert_uint_eq(q.bytes, 16 * MiB);
	ck_assert_uint_eq(q.reset_ms, 1000);

	ck_assert_int_eq(damos_quota_from_rate(32 * MiB, 250000, &q), 0);
	ck_assert_uint_eq(q.bytes, 8 * MiB);
	ck_assert_uint_eq(q.reset_ms, 250);
}
END_TEST

START_TEST(test_damos_quota_period_below_aggregation_is_rounded_up)
{
	struct damos_quota q;

	ck_assert_int_eq(damos_quota_from_rate(10 * MiB, 10000, &q), 0);
	ck_assert_uint_eq(q.reset_ms, DAMOS_RESET_INTERVAL_MIN_MS);
	ck_assert_uint_eq(q.bytes, 1 * MiB);
}
END_TEST

START_TEST(test_damos_quota_tiny_rate_stretches_interval_to_one_page)
{
	struct damos_quota q;

	ck_assert_int_eq(damos_quota_from_rate(1024, 1000000, &q), 0);
	ck_assert_uint_eq(q.bytes, DAMOS_QUOTA_MIN_BYTES);
	ck_assert_uint_eq(q.reset_ms, 4000);
}
END_TEST

START_TEST(test_damos_quota_unlimited_zero_and_bad_period)
{
	struct damos_quota q;

	ck_assert_int_eq(damos_quota_from_rate(PROMOTION_MAX_UNLIMITED, 1000000, &q), 0);
	ck_assert(!q.nothing);
	ck_assert_uint_eq(q.bytes, 0);
	ck_assert_int_eq(damos_quota_from_rate(0, 1000000, &q), 0);
	ck_assert(q.nothing);
	ck_assert_int_eq(damos_quota_from_rate(MiB, 0, &q), -EINVAL);
}
END_TEST

static const struct damos_leaf *find_leaf(const struct damos_leaf *l, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (streq(l[i].path, path))
			return &l[i];
	return NULL;
}

START_TEST(test_damos_plan_splits_parent_limit_by_weight)
{
	struct promotion_setting parent = { .has_max = true, .max_bytes_per_sec = 30 * MiB };
	struct promotion_setting heavy = { .has_weight = true, .weight = 200 };
	struct promotion_setting capped = { .has_max = true, .max_bytes_per_sec = 4 * MiB,
					    .has_period = true, .period_us = 100000 };
	struct damos_cgroup in[] = {
		{ "/p", true, &parent },
		{ "/p/a", true, &heavy },
		{ "/p/b", true, NULL },
		{ "/p/c", true, &capped },
	};
	struct damos_leaf *l = NULL;
	size_t n = 0;

	ck_assert_int_eq(damos_plan_leaves(in, ELEMENTSOF(in), &l, &n), 0);
	ck_assert_uint_eq(n, 3);
	/* weights 200 : 100 : 100 of 30 MiB/s */
	ck_assert_uint_eq(find_leaf(l, n, "/p/a")->bytes_per_sec, 15 * MiB);
	ck_assert_uint_eq(find_leaf(l, n, "/p/b")->bytes_per_sec, 15 * MiB / 2);
	ck_assert_uint_eq(find_leaf(l, n, "/p/b")->period_us, PROMOTION_PERIOD_DEFAULT_US);
	/* its own limit is lower than its share, and brings its period */
	ck_assert_uint_eq(find_leaf(l, n, "/p/c")->bytes_per_sec, 4 * MiB);
	ck_assert_uint_eq(find_leaf(l, n, "/p/c")->period_us, 100000);
	damos_leaves_free(l, n);
}
END_TEST

START_TEST(test_damos_plan_schemes_go_to_managed_memcg_leaves_only)
{
	struct promotion_setting lim = { .has_max = true, .max_bytes_per_sec = 8 * MiB };
	struct damos_cgroup in[] = {
		{ "/m", true, &lim },
		{ "/m/leaf", true, NULL },
		{ "/m/leaf/nomem", false, NULL }, /* no memcg of its own */
		{ "/unmanaged", true, NULL },
		{ "/nomemcg", false, &lim },
	};
	struct damos_leaf *l = NULL;
	size_t n = 0;

	ck_assert_int_eq(damos_plan_leaves(in, ELEMENTSOF(in), &l, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(l[0].path, "/m/leaf");
	ck_assert_uint_eq(l[0].bytes_per_sec, 8 * MiB);
	damos_leaves_free(l, n);
}
END_TEST

START_TEST(test_damos_slots_never_shift_and_vacancies_are_reused)
{
	struct damos_slots s = {};
	struct damos_leaf abc[] = { { .path = "/a" }, { .path = "/b" }, { .path = "/c" } };
	struct damos_leaf ac[] = { { .path = "/a" }, { .path = "/c" } };
	struct damos_leaf acd[] = { { .path = "/a" }, { .path = "/c" }, { .path = "/d" } };
	size_t v, a;

	ck_assert_int_eq(damos_slots_assign(&s, abc, 3, &a), 0);
	ck_assert_uint_eq(a, 3);
	ck_assert_int_eq(damos_slots_vacate_missing(&s, ac, 2, &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(damos_slots_find(&s, "/c"), 2);
	ck_assert_ptr_null(s.cgroup[1]);
	ck_assert_int_eq(damos_slots_assign(&s, acd, 3, &a), 0);
	ck_assert_uint_eq(a, 1);
	ck_assert_int_eq(damos_slots_find(&s, "/d"), 1);
	ck_assert_int_eq(damos_slots_find(&s, "/a"), 0);
	ck_assert_int_eq(damos_slots_find(&s, "/c"), 2);
	ck_assert_uint_eq(s.n, 3);
	damos_slots_done(&s);
}
END_TEST

START_TEST(test_zoneinfo_range_spans_the_nodes_zones)
{
	static const char zi[] =
		"Node 0, zone      DMA\n        spanned  4095\n  start_pfn:           1\n"
		"Node 1, zone   Normal\n        spanned  100\n  start_pfn:           1000\n"
		"Node 1, zone  Movable\n        spanned  50\n  start_pfn:           2000\n"
		"Node 1, zone   Device\n        spanned  0\n  start_pfn:           0\n";
	uint64_t s = 0, e = 0;

	ck_assert_int_eq(topology_parse_zoneinfo_range(zi, 1, 4096, &s, &e), 0);
	ck_assert_uint_eq(s, 1000 * 4096ULL);
	ck_assert_uint_eq(e, 2050 * 4096ULL);
	ck_assert_int_eq(topology_parse_zoneinfo_range(zi, 2, 4096, &s, &e), -ENOENT);
}
END_TEST

/* --- the backend on a fake DAMON --- */

START_TEST(test_damos_backend_one_kdamond_per_lower_node_one_scheme_per_leaf)
{
	int a, b, f;

	start();
	ck_assert_file("kdamonds/nr_kdamonds", "1");
	ck_assert(fake_damon_kdamond_on(&fd_, 0));
	ck_assert_file("kdamonds/0/contexts/0/operations", "paddr");
	ck_assert_file("kdamonds/0/contexts/0/targets/0/regions/0/start", "2147483648");
	ck_assert_file("kdamonds/0/contexts/0/targets/0/regions/0/end", "3221225472");
	ck_assert_file("kdamonds/0/contexts/0/schemes/nr_schemes", "3");
	a = slot_of("/app/limited-a");
	b = slot_of("/app/limited-b");
	f = slot_of("/app/free");
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	ck_assert_int_ge(f, 0);
	ck_assert_int_eq(slot_of("/other"), -1);
	ck_assert_int_eq(slot_of("/app"), -1);
	{
		_cleanup_free_ char *action = fake_damon_get(&fd_, SCHEME(%d) "/action", a);
		_cleanup_free_ char *nid = fake_damon_get(&fd_, SCHEME(%d) "/target_nid", a);
		_cleanup_free_ char *match = fake_damon_get(&fd_, SCHEME(%d) "/filters/0/matching", a);
		_cleanup_free_ char *bytes = fake_damon_get(&fd_, SCHEME(%d) "/quotas/bytes", a);
		_cleanup_free_ char *reset = fake_damon_get(&fd_, SCHEME(%d) "/quotas/reset_interval_ms", a);
		_cleanup_free_ char *fbytes = fake_damon_get(&fd_, SCHEME(%d) "/quotas/bytes", f);

		ck_assert_str_eq(action, "migrate_hot");
		ck_assert_str_eq(nid, "0");
		ck_assert_str_eq(match, "N");
		ck_assert_str_eq(bytes, "16777216");
		ck_assert_str_eq(reset, "1000");
		ck_assert_str_eq(fbytes, "0"); /* unlimited: no size quota */
	}
	ck_assert_int_eq(fd_.n_on, 1);
}
END_TEST

START_TEST(test_damos_backend_changes_are_committed_not_restarted)
{
	static const char slower[] =
		"version: 1\n"
		"rules:\n"
		"  - name: limited\n"
		"    priority: 10\n"
		"    match:\n"
		"      cgroup: \"app/limited*\"\n"
		"    promotion:\n"
		"      max: 4MiB/s\n"
		"      period: 250ms\n";
	int a;

	start();
	a = slot_of("/app/limited-a");
	ck_assert_int_eq(fd_.n_commits, 0);
	/* An unchanged pass writes nothing. */
	fd_.writes = 0;
	ck_assert_int_eq(reconcile_all(rec, set, NULL), 0);
	ck_assert_int_eq(fd_.writes, 0);

	load_policy(slower);
	ck_assert_int_eq(reconcile_all(rec, set, NULL), 0);
	ck_assert_int_eq(fd_.n_on, 1);
	ck_assert_int_eq(fd_.n_commits, 1);
	ck_assert_int_eq(slot_of("/app/limited-a"), a);
	{
		_cleanup_free_ char *bytes = fake_damon_get(&fd_, SCHEME(%d) "/quotas/bytes", a);
		_cleanup_free_ char *reset = fake_damon_get(&fd_, SCHEME(%d) "/quotas/reset_interval_ms", a);

		ck_assert_str_eq(bytes, "1048576");
		ck_assert_str_eq(reset, "250");
	}
	/* /app/free lost its rule: its slot applies to nothing now. */
	ck_assert_int_eq(slot_of("/app/free"), -1);
	ck_assert_file("kdamonds/0/contexts/0/schemes/nr_schemes", "3");
}
END_TEST

START_TEST(test_damos_backend_removed_cgroup_frees_its_slot_without_shifting)
{
	char p[PATH_MAX];
	int a, b, f;

	start();
	a = slot_of("/app/limited-a");
	b = slot_of("/app/limited-b");
	f = slot_of("/app/free");
	fake_path(p, sizeof(p), "%s/cgroup/app/limited-a", tree);
	fake_rm_rf(p);
	ck_assert_int_eq(reconcile_all(rec, set, NULL), 0);
	ck_assert_int_eq(slot_of("/app/limited-b"), b);
	ck_assert_int_eq(slot_of("/app/free"), f);
	{
		_cleanup_free_ char *type = fake_damon_get(&fd_, SCHEME(%d) "/filters/0/type", a);
		_cleanup_free_ char *match = fake_damon_get(&fd_, SCHEME(%d) "/filters/0/matching", a);
		_cleanup_free_ char *end = fake_damon_get(&fd_, SCHEME(%d) "/filters/0/addr_end", a);

		ck_assert_str_eq(type, "addr");
		ck_assert_str_eq(match, "Y");
		ck_assert_str_eq(end, "18446744073709551615");
	}
	ck_assert_file("kdamonds/0/contexts/0/schemes/nr_schemes", "3");
	ck_assert(fake_damon_kdamond_on(&fd_, 0));

	/* A new cgroup takes the free slot. */
	fake_damon_memcg(tree, "app/limited-new");
	ck_assert_int_eq(reconcile_subtree(rec, set, "/app/limited-new", NULL), 0);
	ck_assert_int_eq(slot_of("/app/limited-new"), a);
	ck_assert_file("kdamonds/0/contexts/0/schemes/nr_schemes", "3");
	ck_assert_int_eq(fd_.n_on, 1);
	ck_assert_int_eq(fd_.n_commit_failures, 0);
}
END_TEST

START_TEST(test_damos_backend_new_cgroup_grows_schemes)
{
	start();
	fake_damon_memcg(tree, "app/limited-c");
	ck_assert_int_eq(reconcile_subtree(rec, set, "/app/limited-c", NULL), 0);
	ck_assert_file("kdamonds/0/contexts/0/schemes/nr_schemes", "4");
	ck_assert_int_eq(slot_of("/app/limited-c"), 3);
	/* Growing recreated every scheme directory: all were written again. */
	ck_assert_int_ge(slot_of("/app/limited-a"), 0);
	ck_assert_int_ge(slot_of("/app/free"), 0);
	ck_assert_int_eq(fd_.n_on, 1);
}
END_TEST

START_TEST(test_damos_backend_refuses_foreign_kdamonds_and_writes_nothing)
{
	fake_write(tree, "sys/kernel/mm/damon/admin/kdamonds/nr_kdamonds", "1\n");
	fake_mkdir(tree, "sys/kernel/mm/damon/admin/kdamonds/0");
	fake_write(tree, "sys/kernel/mm/damon/admin/kdamonds/0/state", "on\n");
	fake_write(tree, "sys/kernel/mm/damon/admin/kdamonds/0/pid", "77\n");
	ck_assert_int_eq(open_backend(&kb), -EBUSY);
	ck_assert_ptr_null(kb);
	ck_assert_int_eq(fd_.writes, 0);
	ck_assert(fake_damon_kdamond_on(&fd_, 0));
}
END_TEST

START_TEST(test_damos_backend_kernel_without_migrate_hot_is_refused_cleanly)
{
	fd_.no_migrate_hot = true;
	ck_assert_int_eq(open_backend(&kb), -EOPNOTSUPP);
	ck_assert_file("kdamonds/nr_kdamonds", "0");

	fd_.no_migrate_hot = false;
	fd_.no_memcg_filter = true;
	ck_assert_int_eq(open_backend(&kb), -EOPNOTSUPP);
	ck_assert_file("kdamonds/nr_kdamonds", "0");
}
END_TEST

START_TEST(test_damos_backend_stop_turns_off_and_removes_kdamonds)
{
	char p[PATH_MAX];
	struct stat st;

	start();
	fake_path(p, sizeof(p), "%s/state/%s", tree, DAMOS_STATE_FILE);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(kernel_backend_stop(kb), 0);
	ck_assert_int_eq(fd_.n_off, 1);
	ck_assert_file("kdamonds/nr_kdamonds", "0");
	ck_assert_int_eq(stat(p, &st), -1);
}
END_TEST

START_TEST(test_damos_backend_restart_adopts_its_running_kdamonds)
{
	int a;

	start();
	a = slot_of("/app/limited-a");
	/* The daemon dies without stopping anything. */
	reconciler_set_backend(rec, NULL);
	kb = kernel_backend_free(kb);
	reconciler_free(rec);
	ck_assert_int_eq(reconciler_new(fs, &rec), 0);

	start();
	ck_assert_file("kdamonds/nr_kdamonds", "1");
	ck_assert_int_eq(fd_.n_on, 1);     /* not started again */
	ck_assert_int_eq(fd_.n_commits, 1); /* the rewritten files committed */
	ck_assert_int_eq(slot_of("/app/limited-a"), a);
	ck_assert_file("kdamonds/0/contexts/0/schemes/nr_schemes", "3");
}
END_TEST

START_TEST(test_damos_backend_restart_after_someone_replaced_kdamonds_refuses)
{
	start();
	reconciler_set_backend(rec, NULL);
	kb = kernel_backend_free(kb);
	/* Someone else's kdamond now runs in its place (another pid). */
	fake_write(tree, "sys/kernel/mm/damon/admin/kdamonds/0/pid", "99999\n");
	ck_assert_int_eq(open_backend(&kb), -EBUSY);
}
END_TEST

START_TEST(test_damos_backend_failed_commit_restarts_kdamond)
{
	static const char slower[] =
		"version: 1\n"
		"rules:\n"
		"  - name: limited\n"
		"    priority: 10\n"
		"    match:\n"
		"      cgroup: \"app/limited*\"\n"
		"    promotion:\n"
		"      max: 4MiB/s\n";

	start();
	fd_.fail_next_commit = true;
	load_policy(slower);
	ck_assert_int_eq(reconcile_all(rec, set, NULL), 0);
	ck_assert_int_eq(fd_.n_commit_failures, 1);
	ck_assert(fake_damon_kdamond_on(&fd_, 0));
	ck_assert_int_eq(fd_.n_on, 2);
}
END_TEST

START_TEST(test_damos_backend_never_commits_a_memcg_that_is_gone)
{
	char p[PATH_MAX];
	int a;

	start();
	a = slot_of("/app/limited-a");
	/* Removed, and no walk has seen it yet; another cgroup's arrival
	 * commits: the kernel would fail on the stale memcg_path. */
	fake_path(p, sizeof(p), "%s/cgroup/app/limited-a", tree);
	fake_rm_rf(p);
	fake_damon_memcg(tree, "app/limited-c");
	ck_assert_int_eq(reconcile_subtree(rec, set, "/app/limited-c", NULL), 0);
	ck_assert_int_eq(fd_.n_commit_failures, 0);
	ck_assert_int_eq(fd_.n_on, 1);
	{
		_cleanup_free_ char *type = fake_damon_get(&fd_, SCHEME(%d) "/filters/0/type", a);

		ck_assert_str_eq(type, "addr");
	}
}
END_TEST

START_TEST(test_damos_backend_full_pass_restarts_a_stopped_kdamond)
{
	start();
	/* Someone turned it off behind the daemon's back. */
	fake_write(tree, "sys/kernel/mm/damon/admin/kdamonds/0/state", "off\n");
	ck_assert_int_eq(reconcile_all(rec, set, NULL), 0);
	ck_assert(fake_damon_kdamond_on(&fd_, 0));
	ck_assert_int_eq(fd_.n_on, 2);
	/* A pass that finds it running starts nothing. */
	ck_assert_int_eq(reconcile_all(rec, set, NULL), 0);
	ck_assert_int_eq(fd_.n_on, 2);
}
END_TEST

static uint64_t stat_of(const struct cgroup_stats *s, const char *key)
{
	uint64_t v = UINT64_MAX;

	ck_assert_msg(cgroup_stats_get(s, key, &v), "no %s", key);
	return v;
}

static void set_scheme_stat(int slot, const char *file, const char *value)
{
	char p[PATH_MAX];

	fake_path(p, sizeof(p), "sys/kernel/mm/damon/admin/" SCHEME(%d) "/stats/%s", slot, file);
	fake_write(tree, p, value);
}

START_TEST(test_damos_backend_stats_map_to_promotion_keys)
{
	_cleanup_(cgroup_stats_done) struct cgroup_stats s = {}, parent = {}, none = {};
	int a, b;

	start();
	a = slot_of("/app/limited-a");
	b = slot_of("/app/limited-b");
	set_scheme_stat(a, "sz_applied", "40960\n");
	set_scheme_stat(a, "nr_applied", "3\n");
	set_scheme_stat(a, "qt_exceeds", "5\n");
	set_scheme_stat(a, "sz_tried", "1048576\n");
	set_scheme_stat(b, "sz_applied", "4096\n");
	ck_assert_int_eq(kernel_backend_stats(kb, "/app/limited-a", &s), 0);
	ck_assert_uint_eq(stat_of(&s, "promoted"), 40960 / (uint64_t)sysconf(_SC_PAGESIZE));
	ck_assert_uint_eq(stat_of(&s, "damos_sz_applied"), 40960);
	ck_assert_uint_eq(stat_of(&s, "damos_nr_applied"), 3);
	ck_assert_uint_eq(stat_of(&s, "damos_qt_exceeds"), 5);
	ck_assert_uint_eq(stat_of(&s, "damos_sz_tried"), 1048576);
	ck_assert_int_eq(fd_.n_updates, 1);
	/* A parent sums its leaves; one refresh serves both within a second. */
	ck_assert_int_eq(kernel_backend_stats(kb, "/app", &parent), 0);
	ck_assert_uint_eq(stat_of(&parent, "damos_sz_applied"), 40960 + 4096);
	ck_assert_int_eq(fd_.n_updates, 1);
	ck_assert_int_eq(kernel_backend_stats(kb, "/other", &none), 0);
	ck_assert_uint_eq(none.n_promotion, 0);
}
END_TEST

START_TEST(test_damos_backend_reused_slot_starts_from_zero)
{
	_cleanup_(cgroup_stats_done) struct cgroup_stats s = {}, s2 = {};
	char p[PATH_MAX];
	int a;

	start();
	a = slot_of("/app/limited-a");
	set_scheme_stat(a, "sz_applied", "409600\n");
	fake_path(p, sizeof(p), "%s/cgroup/app/limited-a", tree);
	fake_rm_rf(p);
	ck_assert_int_eq(reconcile_all(rec, set, NULL), 0);
	fake_damon_memcg(tree, "app/limited-new");
	ck_assert_int_eq(reconcile_subtree(rec, set, "/app/limited-new", NULL), 0);
	ck_assert_int_eq(slot_of("/app/limited-new"), a);

	fake_now += DAMOS_STATS_REFRESH_USEC;
	ck_assert_int_eq(kernel_backend_stats(kb, "/app/limited-new", &s), 0);
	ck_assert_uint_eq(stat_of(&s, "damos_sz_applied"), 0);
	set_scheme_stat(a, "sz_applied", "413696\n");
	fake_now += DAMOS_STATS_REFRESH_USEC;
	ck_assert_int_eq(kernel_backend_stats(kb, "/app/limited-new", &s2), 0);
	ck_assert_uint_eq(stat_of(&s2, "damos_sz_applied"), 4096);
}
END_TEST

START_TEST(test_damos_backend_nothing_runs_without_managed_cgroups)
{
	load_policy("version: 1\nrules: []\n");
	start();
	ck_assert_int_eq(fd_.n_on, 0);
	ck_assert(!fake_damon_kdamond_on(&fd_, 0));
	ck_assert_int_eq(kernel_backend_stop(kb), 0);
	ck_assert_file("kdamonds/nr_kdamonds", "0");
}
END_TEST

START_TEST(test_kernel_backend_detect_prefers_native_then_damos)
{
	kernel_backend_kind k;

	ck_assert_int_eq(kernel_backend_detect(1, false, true), KERNEL_BACKEND_NATIVE);
	ck_assert_int_eq(kernel_backend_detect(-ENODATA, true, true), KERNEL_BACKEND_NATIVE);
	ck_assert_int_eq(kernel_backend_detect(-ENODATA, false, true), KERNEL_BACKEND_DAMOS);
	ck_assert_int_eq(kernel_backend_detect(0, false, true), KERNEL_BACKEND_DAMOS);
	ck_assert_int_eq(kernel_backend_detect(0, false, false), KERNEL_BACKEND_NONE);
	ck_assert_int_eq(kernel_backend_kind_from_string("damos", &k), 0);
	ck_assert_int_eq(k, KERNEL_BACKEND_DAMOS);
	ck_assert_int_eq(kernel_backend_kind_from_string("dmos", &k), -EINVAL);
	ck_assert_str_eq(kernel_backend_kind_to_string(KERNEL_BACKEND_NONE), "none");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("damos");
	TCase *pure = tcase_create("arithmetic");
	TCase *fake = tcase_create("fake-damon");

	tcase_add_test(pure, test_damos_quota_is_rate_times_period);
	tcase_add_test(pure, test_damos_quota_period_below_aggregation_is_rounded_up);
	tcase_add_test(pure, test_damos_quota_tiny_rate_stretches_interval_to_one_page);
	tcase_add_test(pure, test_damos_quota_unlimited_zero_and_bad_period);
	tcase_add_test(pure, test_damos_plan_splits_parent_limit_by_weight);
	tcase_add_test(pure, test_damos_plan_schemes_go_to_managed_memcg_leaves_only);
	tcase_add_test(pure, test_damos_slots_never_shift_and_vacancies_are_reused);
	tcase_add_test(pure, test_zoneinfo_range_spans_the_nodes_zones);
	tcase_add_test(pure, test_kernel_backend_detect_prefers_native_then_damos);
	suite_add_tcase(s, pure);

	tcase_add_checked_fixture(fake, setup, teardown);
	tcase_add_test(fake, test_damos_backend_one_kdamond_per_lower_node_one_scheme_per_leaf);
	tcase_add_test(fake, test_damos_backend_changes_are_committed_not_restarted);
	tcase_add_test(fake, test_damos_backend_removed_cgroup_frees_its_slot_without_shifting);
	tcase_add_test(fake, test_damos_backend_new_cgroup_grows_schemes);
	tcase_add_test(fake, test_damos_backend_refuses_foreign_kdamonds_and_writes_nothing);
	tcase_add_test(fake, test_damos_backend_kernel_without_migrate_hot_is_refused_cleanly);
	tcase_add_test(fake, test_damos_backend_stop_turns_off_and_removes_kdamonds);
	tcase_add_test(fake, test_damos_backend_restart_adopts_its_running_kdamonds);
	tcase_add_test(fake, test_damos_backend_restart_after_someone_replaced_kdamonds_refuses);
	tcase_add_test(fake, test_damos_backend_failed_commit_restarts_kdamond);
	tcase_add_test(fake, test_damos_backend_never_commits_a_memcg_that_is_gone);
	tcase_add_test(fake, test_damos_backend_full_pass_restarts_a_stopped_kdamond);
	tcase_add_test(fake, test_damos_backend_stats_map_to_promotion_keys);
	tcase_add_test(fake, test_damos_backend_reused_slot_starts_from_zero);
	tcase_add_test(fake, test_damos_backend_nothing_runs_without_managed_cgroups);
	suite_add_tcase(s, fake);
	return fake_run_suite(s);
}
