/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon across restarts (one manager freed, a new one made on the same
 * trees and state directory): the last good rule set survives a broken
 * policy file, knobs of a rule removed while it was down go back to the
 * kernel defaults, and a damaged state directory is only warned about.
 */
#include <systemd/sd-event.h>

#include "fake-tree.h"
#include "log.h"
#include "manager.h"
#include "state-file.h"
#include "util.h"

static const char max_weight_policy[] =
	"version: 1\n"
	"rules:\n"
	"  - name: web\n"
	"    priority: 10\n"
	"    match:\n"
	"      cgroup: \"system.slice/*.service\"\n"
	"    promotion:\n"
	"      max: 1MiB/s\n"
	"      weight: 50\n";

#define A_MAX "cgroup/system.slice/a.service/memory.promotion.max"
#define A_WEIGHT "cgroup/system.slice/a.service/memory.promotion.weight"
#define POLICY "etc/cgtier/policies.d/50-web.yaml"

static char *tree;
static char cgroot[PATH_MAX], state[PATH_MAX];

static void setup(void)
{
	log_set_max_level(LOG_CRIT);
	tree = fake_tree_new();
	fake_path(cgroot, sizeof(cgroot), "%s/cgroup", tree);
	fake_path(state, sizeof(state), "%s/var/lib/cgtier", tree);
	fake_cgroup(tree, "cgroup", false);
	fake_cgroup(tree, "cgroup/system.slice", true);
	fake_cgroup(tree, "cgroup/system.slice/a.service", true);
	fake_mkdir(tree, "var/lib");
	fake_mkdir(tree, "etc/cgtier/policies.d");
	fake_write(tree, POLICY, max_weight_policy);
}

static void teardown(void)
{
	fake_rm_rf(tree);
	free(tree);
}

/* One run of the daemon: start, load, and (when the caller is done) stop. */
static Manager *start(const char *state_dir)
{
	ManagerConfig cfg = {
		.backend = CGFS_BACKEND_OPENAT,
		.cgroup_root = cgroot,
		.root_prefix = tree,
		.sysfs_root = "/nonexistent",
		.state_dir = state_dir,
	};
	Manager *m = NULL;
	sd_event *e = NULL;

	ck_assert_int_ge(sd_event_new(&e), 0);
	ck_assert_int_ge(manager_new(&cfg, e, &m), 0);
	sd_event_unref(e);
	ck_assert_int_ge(manager_load(m), 0);
	return m;
}

static bool file_is(const char *rel, const char *want)
{
	_cleanup_free_ char *v = fake_read(tree, rel);

	return v && streq(v, want);
}

static const char *knob(const char *rel)
{
	static char buf[64];
	_cleanup_free_ char *v = fake_read(tree, rel);

	ck_assert_ptr_nonnull(v);
	(void)strscpy(buf, sizeof(buf), v);
	return buf;
}

START_TEST(test_restart_with_bad_file_keeps_last_good_rules)
{
	Manager *m = start(state);

	ck_assert_str_eq(knob(A_WEIGHT), "50");
	m = manager_free(m);

	/* While it was down: one broken file next to the good one. */
	fake_write(tree, "etc/cgtier/policies.d/60-bad.yaml", "version: 1\nrules:\n  - name: x\n    prio: 1\n");
	m = start(state);
	ck_assert_uint_eq(policy_set_n_rules(m->policy), 1);
	ck_assert_str_eq(policy_set_rule(m->policy, 0)->name, "web");
	/* The error is still reported, as for any failed load. */
	ck_assert_ptr_nonnull(m->last_error);
	ck_assert_msg(strstr(m->last_error, "60-bad.yaml:4:5: unknown key \"prio\""), "%s", m->last_error);

	/* A cgroup made after the restart gets its rule. */
	fake_cgroup(tree, "cgroup/system.slice/b.service", true);
	ck_assert_int_ge(manager_cgroup_added(m, "/system.slice/b.service"), 0);
	ck_assert_str_eq(knob("cgroup/system.slice/b.service/memory.promotion.weight"), "50");
	ck_assert(!file_is("cgroup/system.slice/b.service/memory.promotion.max", "max 1000000\n"));
	manager_free(m);
}
END_TEST

START_TEST(test_restart_resets_knobs_of_rule_removed_while_down)
{
	Manager *m = start(state);

	ck_assert_str_eq(knob(A_WEIGHT), "50");
	ck_assert_str_eq(knob(A_MAX), "1048576 1000000");
	/* Set by hand on a cgroup no rule touches: not ours, must survive. */
	fake_cgroup(tree, "cgroup/other", true);
	fake_write(tree, "cgroup/other/memory.promotion.weight", "30\n");
	m = manager_free(m);

	ck_assert_int_eq(unlink_tree_file(tree, POLICY), 0);
	m = start(state);
	ck_assert_uint_eq(policy_set_n_rules(m->policy), 0);
	ck_assert_str_eq(knob(A_WEIGHT), "100");
	ck_assert_str_eq(knob(A_MAX), "max 1000000");
	ck_assert_str_eq(knob("cgroup/other/memory.promotion.weight"), "30\n");
	ck_assert_uint_eq(reconciler_n_managed(m->reconciler), 0);
	m = manager_free(m);

	/* Reset once, then forgotten: a later hand-made value stays. */
	fake_write(tree, A_WEIGHT, "20\n");
	m = start(state);
	ck_assert_str_eq(knob(A_WEIGHT), "20\n");
	manager_free(m);
}
END_TEST

START_TEST(test_restart_resets_knob_a_rule_no_longer_sets)
{
	Manager *m = start(state);

	m = manager_free(m);
	/* The rule now sets only the weight: the max it set goes back. */
	fake_write(tree, POLICY,
		   "version: 1\nrules:\n  - name: web\n    priority: 10\n"
		   "    match: {cgroup: \"system.slice/*.service\"}\n    promotion: {weight: 60}\n");
	m = start(state);
	ck_assert_str_eq(knob(A_WEIGHT), "60");
	ck_assert_str_eq(knob(A_MAX), "max 1000000");
	manager_free(m);
}
END_TEST

START_TEST(test_restart_with_damaged_state_files_warns_and_runs)
{
	Manager *m = start(state);
	char p[PATH_MAX];

	m = manager_free(m);
	fake_path(p, sizeof(p), "%s/" POLICY_STATE_FILE, state);
	ck_assert_int_eq(truncate(p, 40), 0);
	fake_write(tree, "var/lib/cgtier/" RECONCILE_STATE_FILE, "cgtier-state 1 knobs\nmax 9999999999\n/x");
	fake_write(tree, "etc/cgtier/policies.d/60-bad.yaml", "version: 1\nrules: [\n");

	/* Nothing to fall back on: no rules, as without a state directory. */
	m = start(state);
	ck_assert_uint_eq(policy_set_n_rules(m->policy), 0);
	ck_assert_ptr_nonnull(m->last_error);
	ck_assert_msg(strstr(m->last_error, "60-bad.yaml"), "%s", m->last_error);
	m = manager_free(m);

	/* Garbage of every kind: still no crash. */
	fake_write(tree, "var/lib/cgtier/" POLICY_STATE_FILE, "");
	fake_write(tree, "var/lib/cgtier/" RECONCILE_STATE_FILE, "\n\n\n");
	m = start(state);
	ck_assert_uint_eq(policy_set_n_rules(m->policy), 0);
	manager_free(m);
}
END_TEST

START_TEST(test_good_load_replaces_saved_rules)
{
	Manager *m = start(state);

	m = manager_free(m);
	fake_write(tree, POLICY, "version: 1\nrules: []\n");
	m = start(state);
	ck_assert_uint_eq(policy_set_n_rules(m->policy), 0);
	m = manager_free(m);

	/* The empty set loaded last, so a broken file now falls back to it. */
	fake_write(tree, "etc/cgtier/policies.d/60-bad.yaml", "version: 1\nrules: [\n");
	m = start(state);
	ck_assert_uint_eq(policy_set_n_rules(m->policy), 0);
	ck_assert_str_eq(knob(A_WEIGHT), "100");
	manager_free(m);
}
END_TEST

START_TEST(test_without_state_dir_nothing_is_kept)
{
	Manager *m = start(NULL);

	m = manager_free(m);
	fake_write(tree, "etc/cgtier/policies.d/60-bad.yaml", "version: 1\nrules: [\n");
	m = start(NULL);
	ck_assert_uint_eq(policy_set_n_rules(m->policy), 0);
	manager_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("manager-state");
	TCase *tc = tcase_create("restart");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_restart_with_bad_file_keeps_last_good_rules);
	tcase_add_test(tc, test_restart_resets_knobs_of_rule_removed_while_down);
	tcase_add_test(tc, test_restart_resets_knob_a_rule_no_longer_sets);
	tcase_add_test(tc, test_restart_with_damaged_state_files_warns_and_runs);
	tcase_add_test(tc, test_good_load_replaces_saved_rules);
	tcase_add_test(tc, test_without_state_dir_nothing_is_kept);
	suite_add_tcase(s, tc);
	return fake_run_suite(s);
}
