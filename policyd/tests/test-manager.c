/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The manager's event sources on a fake tree: a new cgroup is configured
 * from inotify, a policy edit reloads after the debounce, SIGHUP reloads,
 * a bad edit keeps the old rules. Each test makes its own sd-event loop.
 */
#include <signal.h>
#include <systemd/sd-event.h>

#include "cgtier/cgtier.h"
#include "fake-tree.h"
#include "log.h"
#include "manager.h"
#include "util.h"

static const char weight50_policy[] =
	"version: 1\n"
	"rules:\n"
	"  - name: web\n"
	"    priority: 10\n"
	"    match:\n"
	"      cgroup: \"system.slice/*.service\"\n"
	"    promotion:\n"
	"      weight: 50\n";

static const char weight70_policy[] =
	"version: 1\n"
	"rules:\n"
	"  - name: web\n"
	"    priority: 10\n"
	"    match:\n"
	"      cgroup: \"system.slice/*.service\"\n"
	"    promotion:\n"
	"      weight: 70\n";

static char *tree;
static char cgroot[PATH_MAX];
static sd_event *event;
static Manager *m;

static void setup(void)
{
	/* Never the host's DAMON, whatever the test's cgroups lack. */
	ManagerConfig cfg = { .backend = CGFS_BACKEND_OPENAT, .damon_admin_root = "/nonexistent" };
	sigset_t mask;

	log_set_max_level(LOG_CRIT);
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &mask, NULL), 0);

	tree = fake_tree_new();
	fake_path(cgroot, sizeof(cgroot), "%s/cgroup", tree);
	fake_cgroup(tree, "cgroup", false);
	fake_cgroup(tree, "cgroup/system.slice", true);
	fake_write(tree, "cgroup/system.slice/memory.current", "0\n");
	fake_cgroup(tree, "cgroup/system.slice/a.service", true);
	fake_mkdir(tree, "etc/cgtier/policies.d");
	fake_write(tree, "etc/cgtier/policies.d/50-web.yaml", weight50_policy);

	cfg.cgroup_root = cgroot;
	cfg.root_prefix = tree;
	cfg.sysfs_root = "/nonexistent";
	ck_assert_int_ge(sd_event_new(&event), 0);
	ck_assert_int_ge(manager_new(&cfg, event, &m), 0);
	ck_assert_int_ge(manager_start_watching(m), 0);
	ck_assert_int_ge(manager_load(m), 0);
}

static void teardown(void)
{
	m = manager_free(m);
	event = sd_event_unref(event);
	fake_rm_rf(tree);
	free(tree);
}

static bool file_is(const char *rel, const char *want)
{
	_cleanup_free_ char *v = fake_read(tree, rel);

	return v && streq(v, want);
}

/* Runs the loop until rel reads want or the time is up; returns the
 * elapsed microseconds, or UINT64_MAX on timeout. */
static uint64_t run_until(const char *rel, const char *want, uint64_t timeout_usec)
{
	uint64_t start, now;

	ck_assert_int_ge(sd_event_now(event, CLOCK_MONOTONIC, &start), 0);
	for (;;) {
		if (file_is(rel, want)) {
			ck_assert_int_ge(sd_event_now(event, CLOCK_MONOTONIC, &now), 0);
			return now - start;
		}
		ck_assert_int_ge(sd_event_run(event, 10 * 1000), 0);
		ck_assert_int_ge(sd_event_now(event, CLOCK_MONOTONIC, &now), 0);
		if (now - start > timeout_usec)
			return UINT64_MAX;
	}
}

/* cgroupfs shows a new cgroup with its files at once: build it aside and
 * rename it in. */
static void appear_cgroup(const char *name)
{
	char from[PATH_MAX], to[PATH_MAX], rel[PATH_MAX];

	fake_path(rel, sizeof(rel), "stage-%s", name);
	fake_cgroup(tree, rel, true);
	fake_path(from, sizeof(from), "%s/%s", tree, rel);
	fake_path(to, sizeof(to), "%s/system.slice/%s", cgroot, name);
	ck_assert_int_eq(rename(from, to), 0);
}

START_TEST(test_manager_applies_rules_at_start)
{
	ck_assert(file_is("cgroup/system.slice/a.service/memory.promotion.weight", "50"));
	ck_assert(file_is("cgroup/system.slice/memory.promotion.weight", "100\n"));
	ck_assert_int_eq(m->kernel_support, 1);
}
END_TEST

START_TEST(test_manager_configures_new_cgroup_from_inotify)
{
	uint64_t usec;

	appear_cgroup("new.service");
	usec = run_until("cgroup/system.slice/new.service/memory.promotion.weight", "50",
			 2 * 1000 * 1000);
	ck_assert_msg(usec != UINT64_MAX, "new cgroup not configured");
	/* Far below the debounce and the rescan: it came from inotify. */
	ck_assert_uint_lt(usec, 150 * 1000);
	ck_assert_ptr_nonnull(reconciler_get(m->reconciler, "/system.slice/new.service"));
}
END_TEST

START_TEST(test_manager_configures_nested_new_cgroups)
{
	char from[PATH_MAX], to[PATH_MAX];

	/* A slice created with a service already inside it. */
	fake_cgroup(tree, "stage/x.slice", true);
	fake_cgroup(tree, "stage/x.slice/inner.service", true);
	fake_path(from, sizeof(from), "%s/stage/x.slice", tree);
	fake_path(to, sizeof(to), "%s/x.slice", cgroot);
	ck_assert_int_eq(rename(from, to), 0);
	fake_write(tree, "etc/cgtier/policies.d/60-x.yaml",
		   "version: 1\nrules:\n  - name: x\n    priority: 1\n    match:\n"
		   "      cgroup: \"x.slice/*\"\n    promotion:\n      weight: 9\n");
	ck_assert_uint_ne(run_until("cgroup/x.slice/inner.service/memory.promotion.weight", "9",
				    2 * 1000 * 1000), UINT64_MAX);
}
END_TEST

START_TEST(test_manager_policy_edit_reloads_after_debounce)
{
	uint64_t usec;

	fake_write(tree, "etc/cgtier/policies.d/50-web.yaml", weight70_policy);
	usec = run_until("cgroup/system.slice/a.service/memory.promotion.weight", "70",
			 3 * 1000 * 1000);
	ck_assert_msg(usec != UINT64_MAX, "edit not picked up");
	ck_assert_uint_ge(usec, MANAGER_RELOAD_DEBOUNCE_USEC);
}
END_TEST

START_TEST(test_manager_bad_edit_keeps_old_rules)
{
	fake_write(tree, "etc/cgtier/policies.d/50-web.yaml", "version: 1\nrules:\n  - name: [\n");
	/* Let the debounce fire and the reload fail. */
	ck_assert_uint_eq(run_until("nonexistent", "x", 600 * 1000), UINT64_MAX);
	ck_assert_ptr_nonnull(m->last_error);
	ck_assert_ptr_nonnull(strstr(m->last_error, "50-web.yaml:"));
	ck_assert_ptr_nonnull(m->policy);
	ck_assert_uint_eq(policy_set_n_rules(m->policy), 1);
	/* New cgroups still get the old rules. */
	appear_cgroup("late.service");
	ck_assert_uint_ne(run_until("cgroup/system.slice/late.service/memory.promotion.weight",
				    "50", 2 * 1000 * 1000), UINT64_MAX);
}
END_TEST

START_TEST(test_manager_sighup_reloads)
{
	/* Change the file behind inotify's back: no watch on a new directory. */
	fake_mkdir(tree, "run/cgtier/policies.d");
	fake_write(tree, "run/cgtier/policies.d/40-run.yaml",
		   "version: 1\nrules:\n  - name: run\n    priority: 99\n    match:\n"
		   "      cgroup: \"system.slice/a.service\"\n    promotion:\n      weight: 33\n");
	ck_assert_int_eq(raise(SIGHUP), 0);
	ck_assert_uint_ne(run_until("cgroup/system.slice/a.service/memory.promotion.weight", "33",
				    2 * 1000 * 1000), UINT64_MAX);
}
END_TEST

START_TEST(test_manager_created_policy_directory_is_noticed)
{
	/* /run/cgtier does not exist: its parent is watched for it. Unrelated
	 * files there must not cause reloads. */
	unsigned n;

	fake_mkdir(tree, "run");
	ck_assert_uint_eq(run_until("nonexistent", "x", 400 * 1000), UINT64_MAX);
	n = m->n_reloads;
	fake_write(tree, "run/unrelated", "x");
	ck_assert_uint_eq(run_until("nonexistent", "x", 400 * 1000), UINT64_MAX);
	ck_assert_uint_eq(m->n_reloads, n);

	fake_mkdir(tree, "run/cgtier/policies.d");
	ck_assert_uint_eq(run_until("nonexistent", "x", 400 * 1000), UINT64_MAX);
	fake_write(tree, "run/cgtier/policies.d/40-run.yaml",
		   "version: 1\nrules:\n  - name: run\n    priority: 99\n    match:\n"
		   "      cgroup: \"system.slice/a.service\"\n    promotion:\n      weight: 44\n");
	ck_assert_uint_ne(run_until("cgroup/system.slice/a.service/memory.promotion.weight", "44",
				    3 * 1000 * 1000), UINT64_MAX);
}
END_TEST

START_TEST(test_manager_read_only_knob_warned_once_until_fixed)
{
	char p[PATH_MAX];

	fake_path(p, sizeof(p), "%s/system.slice/a.service/memory.promotion.weight", cgroot);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_ge(manager_reconcile(m), 0);
	ck_assert_int_ge(manager_reconcile(m), 0);
	ck_assert_uint_eq(strmap_size(m->write_warnings), 1);
	ck_assert_int_eq(rmdir(p), 0);
	fake_write(tree, "cgroup/system.slice/a.service/memory.promotion.weight", "100\n");
	ck_assert_int_ge(manager_reconcile(m), 0);
	ck_assert_uint_eq(strmap_size(m->write_warnings), 0);
	ck_assert(file_is("cgroup/system.slice/a.service/memory.promotion.weight", "50"));
}
END_TEST

START_TEST(test_manager_sigterm_exits_loop)
{
	ck_assert_int_eq(raise(SIGTERM), 0);
	ck_assert_int_eq(sd_event_loop(event), 0);
}
END_TEST

START_TEST(test_manager_canonical_cgroup_paths)
{
	_cleanup_free_ char *a = NULL, *b = NULL;
	char full[PATH_MAX + 32];
	char *c = NULL;

	fake_path(full, sizeof(full), "%s/system.slice", cgroot);
	ck_assert_int_eq(manager_canonical_cgroup(m, full, &a), 0);
	ck_assert_str_eq(a, "/system.slice");
	ck_assert_int_eq(manager_canonical_cgroup(m, "system.slice//a.service/", &b), 0);
	ck_assert_str_eq(b, "/system.slice/a.service");
	ck_assert_int_eq(manager_canonical_cgroup(m, "/system.slice/../..", &c), -EINVAL);
	ck_assert_ptr_null(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("manager");
	TCase *tc = tcase_create("events");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_manager_applies_rules_at_start);
	tcase_add_test(tc, test_manager_configures_new_cgroup_from_inotify);
	tcase_add_test(tc, test_manager_configures_nested_new_cgroups);
	tcase_add_test(tc, test_manager_policy_edit_reloads_after_debounce);
	tcase_add_test(tc, test_manager_bad_edit_keeps_old_rules);
	tcase_add_test(tc, test_manager_sighup_reloads);
	tcase_add_test(tc, test_manager_created_policy_directory_is_noticed);
	tcase_add_test(tc, test_manager_read_only_knob_warned_once_until_fixed);
	tcase_add_test(tc, test_manager_sigterm_exits_loop);
	tcase_add_test(tc, test_manager_canonical_cgroup_paths);
	suite_add_tcase(s, tc);
	return fake_run_suite(s);
}
