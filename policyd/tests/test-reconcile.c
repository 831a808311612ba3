/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>

#include "cgfs.h"
#include "fake-tree.h"
#include "policy.h"
#include "reconcile.h"
#include "util.h"

static const char web_period_policy[] =
	"version: 1\n"
	"rules:\n"
	"  - name: web\n"
	"    priority: 10\n"
	"    match:\n"
	"      cgroup: \"system.slice/*.service\"\n"
	"    promotion:\n"
	"      max: 64MiB/s\n"
	"      period: 100ms\n"
	"      weight: 50\n";

static const char batch_policy[] =
	"version: 1\n"
	"rules:\n"
	"  - name: batch\n"
	"    priority: 10\n"
	"    match:\n"
	"      cgroup: \"system.slice/a.service\"\n"
	"    promotion:\n"
	"      weight: 10\n";

static char *root;
static cgfs *fs;
static reconciler *rec;

struct events {
	int written, vanished, no_knob, read_only, failed;
	char last_read_only[128];
};
static struct events ev;

static void on_event(void *userdata, reconcile_event e, const char *cgroup, const char *file,
		     const char *value, int error)
{
	struct events *x = userdata;

	switch (e) {
	case RECONCILE_EVENT_WRITTEN:
		x->written++;
		break;
	case RECONCILE_EVENT_VANISHED:
		x->vanished++;
		break;
	case RECONCILE_EVENT_NO_KNOB:
		x->no_knob++;
		break;
	case RECONCILE_EVENT_READ_ONLY:
		x->read_only++;
		snprintf(x->last_read_only, sizeof(x->last_read_only), "%s/%s", cgroup, file);
		break;
	case RECONCILE_EVENT_FAILED:
		x->failed++;
		break;
	}
}

static struct policy_set *load(const char *text)
{
	struct policy_set *s = NULL;
	struct policy_error err = {};

	ck_assert_msg(policy_set_load_text("test.yaml", text, strlen(text), &s, &err) == 0,
		      "%s:%u:%u: %s", err.file, err.line, err.column, err.message);
	return s;
}

static void setup(void)
{
	root = fake_tree_new();
	fake_cgroup(root, "", false);
	fake_cgroup(root, "system.slice", true);
	fake_cgroup(root, "system.slice/a.service", true);
	fake_cgroup(root, "system.slice/b.service", true);
	fake_cgroup(root, "user.slice", true);
	ck_assert_int_eq(cgfs_open_openat(root, &fs), 0);
	ck_assert_int_eq(reconciler_new(fs, &rec), 0);
	memset(&ev, 0, sizeof(ev));
	reconciler_set_event_cb(rec, on_event, &ev);
}

static void teardown(void)
{
	rec = reconciler_free(rec);
	fs = cgfs_free(fs);
	fake_rm_rf(root);
	free(root);
}

static void assert_file(const char *rel, const char *want)
{
	_cleanup_free_ char *v = fake_read(root, rel);

	ck_assert_ptr_nonnull(v);
	v[strcspn(v, "\n")] = 0;
	ck_assert_str_eq(v, want);
}

START_TEST(test_reconcile_writes_matching_cgroups_only)
{
	_cleanup_policy_set_free_ struct policy_set *set = load(web_period_policy);
	struct reconcile_stats st;
	const struct reconcile_entry *e;

	ck_assert_int_eq(reconcile_all(rec, set, &st), 0);
	ck_assert_uint_eq(st.n_cgroups, 4);
	ck_assert_uint_eq(st.n_matched, 2);
	ck_assert_uint_eq(st.n_written, 4);
	assert_file("system.slice/a.service/memory.promotion.max", "6710886 100000");
	assert_file("system.slice/a.service/memory.promotion.weight", "50");
	assert_file("user.slice/memory.promotion.max", "max 1000000");
	assert_file("system.slice/memory.promotion.weight", "100");
	ck_assert_uint_eq(reconciler_n_managed(rec), 2);
	e = reconciler_get(rec, "/system.slice/b.service");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->rule, "web");
}
END_TEST

START_TEST(test_reconcile_second_pass_rewrites_nothing)
{
	_cleanup_policy_set_free_ struct policy_set *set = load(web_period_policy);
	struct reconcile_stats st;
	uint64_t before;

	ck_assert_int_eq(reconcile_all(rec, set, &st), 0);
	before = cgfs_get_write_count(fs);
	ck_assert_uint_eq(before, 4);
	ck_assert_int_eq(reconcile_all(rec, set, &st), 0);
	ck_assert_uint_eq(st.n_written, 0);
	ck_assert_uint_eq(st.n_unchanged, 4);
	ck_assert_uint_eq(cgfs_get_write_count(fs), before);
}
END_TEST

START_TEST(test_reconcile_equal_values_in_other_spelling_are_not_rewritten)
{
	_cleanup_policy_set_free_ struct policy_set *set = load(web_period_policy);
	struct reconcile_stats st;

	/* The kernel may print without the newline or with it: same value. */
	fake_write(root, "system.slice/a.service/memory.promotion.max", "6710886 100000\n");
	fake_write(root, "system.slice/a.service/memory.promotion.weight", "50\n");
	ck_assert_int_eq(reconcile_all(rec, set, &st), 0);
	ck_assert_uint_eq(st.n_written, 2); /* b.service only */
	ck_assert_uint_eq(st.n_unchanged, 2);
}
END_TEST

START_TEST(test_reconcile_drift_is_corrected)
{
	_cleanup_policy_set_free_ struct policy_set *set = load(web_period_policy);
	struct reconcile_stats st;

	ck_assert_int_eq(reconcile_all(rec, set, &st), 0);
	fake_write(root, "system.slice/a.service/memory.promotion.weight", "7\n");
	ck_assert_int_eq(reconcile_all(rec, set, &st), 0);
	ck_assert_uint_eq(st.n_written, 1);
	assert_file("system.slice/a.service/memory.promotion.weight", "50");
}
END_TEST

START_TEST(test_reconcile_released_keys_return_to_default)
{
	_cleanup_policy_set_free_ struct policy_set *web = load(web_period_policy);
	_cleanup_policy_set_free_ struct policy_set *batch = load(batch_policy);
	struct reconcile_stats st;

	ck_assert_int_eq(reconcile_all(rec, web, &st), 0);
	ck_assert_int_eq(reconcile_all(rec, batch, &st), 0);
	/* a.service: batch owns the weight now, max goes back to default. */
	assert_file("system.slice/a.service/memory.promotion.max", "max 1000000");
	assert_file("system.slice/a.service/memory.promotion.weight", "10");
	/* b.service: no rule any more, both keys back to default. */
	assert_file("system.slice/b.service/memory.promotion.max", "max 1000000");
	assert_file("system.slice/b.service/memory.promotion.weight", "100");
	ck_assert_uint_eq(reconciler_n_managed(rec), 1);
}
END_TEST

START_TEST(test_reconcile_leaves_unmanaged_hand_settings_alone)
{
	_cleanup_policy_set_free_ struct policy_set *set = load(web_period_policy);
	struct reconcile_stats st;

	fake_write(root, "user.slice/memory.promotion.weight", "3\n");
	ck_assert_int_eq(reconcile_all(rec, set, &st), 0);
	assert_file("user.slice/memory.promotion.weight", "3");
}
END_TEST

struct delete_hook {
	char *root;
	const char *victim;
	bool done;
};

/* Removes the victim cgroup the first time the reconciler touches it, as if
 * its last process exited and systemd removed it mid-reconcile. */
static int delete_on_read(void *userdata, cgfs_op op, const char *cgroup, const char *file)
{
	struct delete_hook *h = userdata;
	char p[PATH_MAX];

	if (h->done || op != CGFS_OP_READ || !streq(cgroup, h->victim))
		return 0;
	h->done = true;
	fake_path(p, sizeof(p), "%s%s", h->root, cgroup);
	fake_rm_rf(p);
	return 0;
}

START_TEST(test_reconcile_cgroup_deleted_mid_reconcile_is_skipped)
{
	_cleanup_policy_set_free_ struct policy_set *set = load(web_period_policy);
	struct delete_hook h = { .root = root, .victim = "/system.slice/a.service" };
	struct reconcile_stats st;

	cgfs_set_fault_hook(fs, delete_on_read, &h);
	ck_assert_int_eq(reconcile_all(rec, set, &st), 0);
	ck_assert(h.done);
	ck_assert_uint_eq(st.n_vanished, 1);
	ck_assert_uint_eq(st.n_failed, 0);
	ck_assert_int_eq(ev.vanished, 1);
	ck_assert_int_eq(ev.failed, 0);
	assert_file("system.slice/b.service/memory.promotion.weight", "50");
	ck_assert_ptr_null(reconciler_get(rec, "/system.slice/a.service"));
	ck_assert_uint_eq(reconciler_n_managed(rec), 1);
}
END_TEST

static int deny_weight_writes(void *userdata, cgfs_op op, const char *cgroup, const char *file)
{
	if (op == CGFS_OP_WRITE && streq_ptr(file, "memory.promotion.weight") &&
	    streq(cgroup, "/system.slice/b.service"))
		return -EACCES;
	return 0;
}

START_TEST(test_reconcile_read_only_knob_is_reported)
{
	_cleanup_policy_set_free_ struct policy_set *set = load(web_period_policy);
	struct reconcile_stats st;

	/* chmod 0444 means nothing to root, so the backend refuses instead. */
	cgfs_set_fault_hook(fs, deny_weight_writes, NULL);
	ck_assert_int_eq(reconcile_all(rec, set, &st), 0);
	ck_assert_uint_eq(st.n_read_only, 1);
	ck_assert_int_eq(ev.read_only, 1);
	ck_assert_str_eq(ev.last_read_only, "/system.slice/b.service/memory.promotion.weight");
	/* The other knob and the other cgroup still got theirs. */
	assert_file("system.slice/b.service/memory.promotion.max", "6710886 100000");
	assert_file("system.slice/a.service/memory.promotion.weight", "50");
}
END_TEST

START_TEST(test_reconcile_directory_in_place_of_knob_is_read_only)
{
	_cleanup_policy_set_free_ struct policy_set *set = load(web_period_policy);
	struct reconcile_stats st;
	char p[PATH_MAX];

	fake_path(p, sizeof(p), "%s/system.slice/a.service/memory.promotion.max", root);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(reconcile_all(rec, set, &st), 0);
	ck_assert_uint_eq(st.n_read_only, 1);
}
END_TEST

START_TEST(test_reconcile_without_kernel_support_touches_nothing)
{
	_cleanup_policy_set_free_ struct policy_set *set = load(web_period_policy);
	struct reconcile_stats st;

	reconciler_set_apply(rec, false);
	ck_assert_int_eq(reconcile_all(rec, set, &st), 0);
	ck_assert_uint_eq(st.n_matched, 2);
	ck_assert_uint_eq(cgfs_get_write_count(fs), 0);
	ck_assert_uint_eq(reconciler_n_managed(rec), 2);
	assert_file("system.slice/a.service/memory.promotion.weight", "100");
}
END_TEST

START_TEST(test_reconcile_subtree_applies_new_cgroup)
{
	_cleanup_policy_set_free_ struct policy_set *set = load(web_period_policy);
	struct reconcile_stats st;

	ck_assert_int_eq(reconcile_all(rec, set, &st), 0);
	fake_cgroup(root, "system.slice/new.service", true);
	ck_assert_int_eq(reconcile_subtree(rec, set, "/system.slice/new.service", &st), 0);
	ck_assert_uint_eq(st.n_written, 2);
	assert_file("system.slice/new.service/memory.promotion.weight", "50");
	ck_assert_int_eq(reconcile_subtree(rec, set, "/system.slice/gone.service", &st), 0);
}
END_TEST

START_TEST(test_reconcile_forgets_removed_cgroups)
{
	_cleanup_policy_set_free_ struct policy_set *set = load(web_period_policy);
	struct reconcile_stats st;
	char p[PATH_MAX];

	ck_assert_int_eq(reconcile_all(rec, set, &st), 0);
	ck_assert_uint_eq(reconciler_n_managed(rec), 2);
	fake_path(p, sizeof(p), "%s/system.slice/b.service", root);
	fake_rm_rf(p);
	ck_assert_int_eq(reconcile_all(rec, set, &st), 0);
	ck_assert_uint_eq(reconciler_n_managed(rec), 1);
	reconciler_forget(rec, "/system.slice");
	ck_assert_uint_eq(reconciler_n_managed(rec), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reconcile");
	TCase *tc = tcase_create("fake-cgroupfs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reconcile_writes_matching_cgroups_only);
	tcase_add_test(tc, test_reconcile_second_pass_rewrites_nothing);
	tcase_add_test(tc, test_reconcile_equal_values_in_other_spelling_are_not_rewritten);
	tcase_add_test(tc, test_reconcile_drift_is_corrected);
	tcase_add_test(tc, test_reconcile_released_keys_return_to_default);
	tcase_add_test(tc, test_reconcile_leaves_unmanaged_hand_settings_alone);
	tcase_add_test(tc, test_reconcile_cgroup_deleted_mid_reconcile_is_skipped);
	tcase_add_test(tc, test_reconcile_read_only_knob_is_reported);
	tcase_add_test(tc, test_reconcile_directory_in_place_of_knob_is_read_only);
	tcase_add_test(tc, test_reconcile_without_kernel_support_touches_nothing);
	tcase_add_test(tc, test_reconcile_subtree_applies_new_cgroup);
	tcase_add_test(tc, test_reconcile_forgets_removed_cgroups);
	suite_add_tcase(s, tc);
	return fake_run_suite(s);
}
