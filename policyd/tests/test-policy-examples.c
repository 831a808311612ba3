/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"
#include <glob.h>

#include "fake-tree.h"
#include "policy.h"

/*
 * The shipped examples in policies/ must load, alone and together, and do
 * what their comments promise. The source tree is found through
 * $CGTIER_SRCDIR (default "..": the Makefile runs tests from policyd/).
 */

static char *root;

static void setup(void)
{
	root = fake_tree_new();
}

static void teardown(void)
{
	fake_rm_rf(root);
	free(root);
}

static void examples_glob(glob_t *g)
{
	const char *src = getenv("CGTIER_SRCDIR") ?: "..";
	char pattern[PATH_MAX];

	fake_path(pattern, sizeof(pattern), "%s/policies/*.yaml", src);
	ck_assert_msg(glob(pattern, 0, NULL, g) == 0, "no examples at %s (set CGTIER_SRCDIR)", pattern);
	/* A lost directory must fail the test, not pass it vacuously. */
	ck_assert_uint_ge(g->gl_pathc, 3);
}

START_TEST(test_policy_examples_each_file_loads)
{
	glob_t g = {};

	examples_glob(&g);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		_cleanup_policy_set_free_ struct policy_set *s = NULL;
		_cleanup_free_ char *text = NULL;
		struct policy_error e = {};
		char m[PATH_MAX + 600];
		size_t len;
		int r;

		text = test_read_file(g.gl_pathv[i], &len);
		r = policy_set_load_text(g.gl_pathv[i], text, len, &s, &e);
		(void)policy_error_format(&e, m, sizeof(m));
		ck_assert_msg(r == 0, "%s", m);
		ck_assert_msg(policy_set_n_rules(s) > 0, "%s has no rules", g.gl_pathv[i]);
		for (size_t j = 0; j < policy_set_n_rules(s); j++)
			ck_assert_ptr_nonnull(policy_set_rule(s, j)->name);
	}
	globfree(&g);
}
END_TEST

/* Installs every example into root's /usr/lib and loads them as the daemon would. */
static struct policy_set *load_installed(void)
{
	struct policy_set *s = NULL;
	struct policy_error e = {};
	char m[PATH_MAX + 600], p[PATH_MAX], abs[PATH_MAX];
	glob_t g = {};
	int r;

	fake_mkdir(root, "usr/lib/cgtier/policies.d");
	examples_glob(&g);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		ck_assert_ptr_nonnull(realpath(g.gl_pathv[i], abs));
		fake_path(p, sizeof(p), "%s/usr/lib/cgtier/policies.d/%s", root, strrchr(abs, '/') + 1);
		ck_assert_int_eq(symlink(abs, p), 0);
	}
	globfree(&g);

	r = policy_set_load_dirs(root, &s, &e);
	(void)policy_error_format(&e, m, sizeof(m));
	ck_assert_msg(r == 0, "%s", m);
	return s;
}

static void resolves_to(const struct policy_set *s, const char *path, const char *expected)
{
	const struct policy_rule *r = NULL;
	int k = policy_set_resolve(s, path, &r);

	if (!expected) {
		ck_assert_msg(k == -ENOENT, "%s resolved to %s", path, k == 0 ? r->name : "error");
		return;
	}
	ck_assert_msg(k == 0, "%s: %d", path, k);
	ck_assert_msg(streq(r->name, expected), "%s resolved to %s, expected %s", path, r->name, expected);
}

START_TEST(test_policy_examples_load_together_with_unique_names)
{
	_cleanup_policy_set_free_ struct policy_set *s = load_installed();

	ck_assert_uint_ge(policy_set_n_rules(s), 10);
	ck_assert_uint_ge(policy_set_n_files(s), 3);
	for (size_t i = 0; i < policy_set_n_files(s); i++)
		ck_assert_int_eq(policy_set_file(s, i)->state, POLICY_FILE_LOADED);
}
END_TEST

START_TEST(test_policy_examples_services_resolve_as_documented)
{
	_cleanup_policy_set_free_ struct policy_set *s = load_installed();

	resolves_to(s, "system.slice/nginx.service", "latency-critical-web");
	resolves_to(s, "system.slice/nginx.service/worker", "latency-critical-web");
	resolves_to(s, "system.slice/postgresql@15-main.service", "latency-critical-db");
	resolves_to(s, "system.slice/batch-reindex.service", "batch");
	resolves_to(s, "system.slice/sshd.service", "default-services");
	resolves_to(s, "user.slice/user-1000.slice/session-2.scope", "user-sessions");
	/* Slices stay uncapped: a cap there would cap every service below. */
	resolves_to(s, "system.slice", NULL);
	resolves_to(s, "kubepods.slice", NULL);
}
END_TEST

START_TEST(test_policy_examples_kubernetes_classes_resolve_as_documented)
{
	_cleanup_policy_set_free_ struct policy_set *s = load_installed();
	const struct policy_rule *r = NULL;
	char max[RATE_STRING_MAX];

	resolves_to(s, "kubepods.slice/kubepods-pod1.slice/cri-containerd-1.scope", "k8s-guaranteed");
	resolves_to(s, "kubepods.slice/kubepods-burstable.slice", "k8s-burstable-class");
	resolves_to(s, "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2.slice", "k8s-burstable");
	resolves_to(s, "kubepods.slice/kubepods-besteffort.slice", "k8s-besteffort-class");
	resolves_to(s, "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod3.slice/cri-containerd-3.scope",
		    "k8s-besteffort");
	resolves_to(s, "kubepods/burstable/pod4/0123abcd", "k8s-burstable");
	resolves_to(s, "kubepods/pod5/0123abcd", "k8s-guaranteed");

	ck_assert_int_eq(policy_set_resolve(s, "kubepods/besteffort/pod6", &r), 0);
	ck_assert_int_eq(promotion_setting_to_max_string(&r->promotion, max, sizeof(max)), 0);
	ck_assert_str_eq(max, "1677722 100000"); /* 16 MiB/s over 100 ms */
	ck_assert_uint_eq(r->promotion.weight, 20);
}
END_TEST

static Suite *policy_examples_suite(void)
{
	Suite *s = suite_create("policy-examples");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_policy_examples_each_file_loads);
	tcase_add_test(tc, test_policy_examples_load_together_with_unique_names);
	tcase_add_test(tc, test_policy_examples_services_resolve_as_documented);
	tcase_add_test(tc, test_policy_examples_kubernetes_classes_resolve_as_documented);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fake_run_suite(policy_examples_suite());
}
