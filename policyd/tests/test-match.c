/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fake-tree.h"
#include "policy.h"

static struct policy_set *load(const char *text)
{
	struct policy_set *s = NULL;
	struct policy_error e = {};
	char m[1024];
	int r;

	r = policy_set_load_text("10-test.yaml", text, strlen(text), &s, &e);
	if (r < 0) {
		(void)policy_error_format(&e, m, sizeof(m));
		ck_abort_msg("load failed (%d): %s", r, m);
	}
	return s;
}

static const char *winner(const struct policy_set *s, const char *path)
{
	const struct policy_rule *r = NULL;
	int k = policy_set_resolve(s, path, &r);

	if (k == -ENOENT)
		return "(none)";
	ck_assert_msg(k == 0, "resolve(%s) = %d", path, k);
	return r->name;
}

static const char rules_text[] =
	"version: 1\n"
	"rules:\n"
	"  - name: default\n"
	"    priority: 0\n"
	"    match: {cgroup: \"**\"}\n"
	"    promotion: {weight: 100}\n"
	"  - name: services\n"
	"    priority: 10\n"
	"    match: {unit: \"*.service\"}\n"
	"    promotion: {max: 256MiB/s}\n"
	"  - name: batch\n"
	"    priority: 20\n"
	"    match: {cgroup: \"system.slice/**\", unit: \"batch-*.service\"}\n"
	"    promotion: {max: 16MiB/s, period: 100ms, weight: 10}\n"
	"  - name: besteffort\n"
	"    priority: 30\n"
	"    match: {qos: besteffort}\n"
	"    promotion: {max: 8MiB/s}\n"
	"  - name: guaranteed\n"
	"    priority: 30\n"
	"    match: {qos: guaranteed}\n"
	"    promotion: {max: unlimited, weight: 1000}\n"
	"  - name: services-tie\n"
	"    priority: 10\n"
	"    match: {cgroup: \"system.slice/tie.service\"}\n"
	"    promotion: {weight: 7}\n";

START_TEST(test_match_cgroup_path_validate_rejects_non_canonical_paths)
{
	static const char *const bad[] = { "", "/", "/system.slice", "system.slice/", "a//b", "a/../b", "..", ".",
					    "a/./b" };

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		ck_assert_msg(cgroup_path_validate(bad[i]) == -EINVAL, "accepted \"%s\"", bad[i]);
	ck_assert_int_eq(cgroup_path_validate(NULL), -EINVAL);
	ck_assert_int_eq(cgroup_path_validate("system.slice/nginx.service"), 0);
	ck_assert_int_eq(cgroup_path_validate("a/..b/c.."), 0);
}
END_TEST

static void unit_is(const char *path, const char *expected)
{
	_cleanup_free_ char *u = NULL;
	int r = cgroup_path_get_unit(path, &u);

	if (!expected) {
		ck_assert_int_eq(r, -ENXIO);
		ck_assert_ptr_null(u);
		return;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(u, expected);
}

START_TEST(test_match_unit_is_deepest_unit_component)
{
	unit_is("system.slice", "system.slice");
	unit_is("system.slice/nginx.service", "nginx.service");
	unit_is("system.slice/nginx.service/worker", "nginx.service");
	unit_is("user.slice/user-1000.slice/user@1000.service/app.slice/foo.scope", "foo.scope");
	unit_is("system.slice/dev-hugepages.mount", "dev-hugepages.mount");
	unit_is("machine/qemu-1", NULL);
	unit_is("a/.service", NULL);
	ck_assert_int_eq(cgroup_path_get_unit("/abs.service", &(char *){ NULL }), -EINVAL);
}
END_TEST

static void qos_is(const char *path, enum policy_qos expected)
{
	enum policy_qos q = (enum policy_qos)42;
	int r = cgroup_path_get_qos(path, &q);

	if (expected == POLICY_QOS_NONE) {
		ck_assert_msg(r == -ENXIO, "%s: got %d", path, r);
		ck_assert_int_eq(q, 42);
		return;
	}
	ck_assert_msg(r == 0, "%s: got %d", path, r);
	ck_assert_int_eq(q, expected);
}

START_TEST(test_match_qos_from_systemd_driver_paths)
{
	qos_is("kubepods.slice", POLICY_QOS_NONE);
	qos_is("kubepods.slice/kubepods-burstable.slice", POLICY_QOS_BURSTABLE);
	qos_is("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-ab.scope",
	       POLICY_QOS_BURSTABLE);
	qos_is("kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice", POLICY_QOS_BESTEFFORT);
	qos_is("kubepods.slice/kubepods-pod1234.slice", POLICY_QOS_GUARANTEED);
	qos_is("kubepods.slice/kubepods-pod1234.slice/cri-containerd-ab.scope", POLICY_QOS_GUARANTEED);
	qos_is("kubepods.slice/kubepods-other.slice", POLICY_QOS_NONE);
	qos_is("system.slice/kubelet.service", POLICY_QOS_NONE);
}
END_TEST

START_TEST(test_match_qos_from_cgroupfs_driver_paths)
{
	qos_is("kubepods", POLICY_QOS_NONE);
	qos_is("kubepods/burstable/pod1234/abcdef", POLICY_QOS_BURSTABLE);
	qos_is("kubepods/besteffort", POLICY_QOS_BESTEFFORT);
	qos_is("kubepods/pod1234/abcdef", POLICY_QOS_GUARANTEED);
	qos_is("kubepods/podinfra", POLICY_QOS_GUARANTEED);
	qos_is("kubepods/other", POLICY_QOS_NONE);
	/* kubelet --cgroup-root puts the hierarchy below a prefix. */
	qos_is("k8s.slice/kubepods.slice/kubepods-burstable.slice", POLICY_QOS_BURSTABLE);
	qos_is("notkubepods/burstable", POLICY_QOS_NONE);
}
END_TEST

START_TEST(test_match_qos_names_round_trip)
{
	enum policy_qos q;

	ck_assert_int_eq(policy_qos_from_string("BestEffort", &q), 0);
	ck_assert_int_eq(q, POLICY_QOS_BESTEFFORT);
	ck_assert_str_eq(policy_qos_to_string(POLICY_QOS_GUARANTEED), "guaranteed");
	ck_assert_ptr_null(policy_qos_to_string(POLICY_QOS_NONE));
	ck_assert_int_eq(policy_qos_from_string("gold", &q), -EINVAL);
	ck_assert_int_eq(q, POLICY_QOS_BESTEFFORT);
}
END_TEST

START_TEST(test_match_highest_priority_wins)
{
	_cleanup_policy_set_free_ struct policy_set *s = load(rules_text);

	ck_assert_str_eq(winner(s, "user.slice"), "default");
	ck_assert_str_eq(winner(s, "system.slice/nginx.service"), "services");
	ck_assert_str_eq(winner(s, "system.slice/batch-nightly.service"), "batch");
	ck_assert_str_eq(winner(s, "system.slice/batch-nightly.service/child"), "batch");
	ck_assert_str_eq(winner(s, "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice"),
			 "besteffort");
	ck_assert_str_eq(winner(s, "kubepods/pod1/c1"), "guaranteed");
	ck_assert_str_eq(winner(s, "kubepods/burstable/pod1"), "default");
}
END_TEST

START_TEST(test_match_all_selectors_must_match)
{
	_cleanup_policy_set_free_ struct policy_set *s = load(rules_text);
	const struct policy_rule *batch = policy_set_rule_by_name(s, "batch");
	enum policy_selector failed = POLICY_SELECTOR_NONE;

	ck_assert_int_eq(policy_rule_match(batch, "system.slice/batch-x.service", &failed), 1);
	ck_assert_int_eq(policy_rule_match(batch, "user.slice/batch-x.service", &failed), 0);
	ck_assert_int_eq(failed, POLICY_SELECTOR_CGROUP);
	ck_assert_int_eq(policy_rule_match(batch, "system.slice/web.service", &failed), 0);
	ck_assert_int_eq(failed, POLICY_SELECTOR_UNIT);
	ck_assert_int_eq(policy_rule_match(batch, "system.slice/x/y", &failed), 0);
	ck_assert_int_eq(failed, POLICY_SELECTOR_UNIT);
	ck_assert_int_eq(policy_rule_match(policy_set_rule_by_name(s, "guaranteed"), "kubepods/besteffort", &failed), 0);
	ck_assert_int_eq(failed, POLICY_SELECTOR_QOS);
	ck_assert_int_eq(policy_rule_match(batch, "/bad", &failed), -EINVAL);
}
END_TEST

START_TEST(test_match_equal_priority_later_rule_wins)
{
	_cleanup_policy_set_free_ struct policy_set *s = load(rules_text);

	/* services and services-tie both have priority 10; services-tie comes later. */
	ck_assert_str_eq(winner(s, "system.slice/tie.service"), "services-tie");
}
END_TEST

START_TEST(test_match_resolve_without_match_is_enoent)
{
	_cleanup_policy_set_free_ struct policy_set *s =
		load("version: 1\nrules:\n  - {name: a, priority: 1, match: {unit: \"*.scope\"}, promotion: {weight: 1}}\n");
	const struct policy_rule *r = (const struct policy_rule *)0x1;

	ck_assert_int_eq(policy_set_resolve(s, "system.slice/a.service", &r), -ENOENT);
	ck_assert_ptr_eq(r, (const struct policy_rule *)0x1);
	ck_assert_int_eq(policy_set_resolve(s, "system.slice/../x", &r), -EINVAL);
	ck_assert_int_eq(policy_set_resolve(s, "", &r), -EINVAL);
	ck_assert_ptr_eq(r, (const struct policy_rule *)0x1);
}
END_TEST

START_TEST(test_match_explain_full_gives_verdict_per_rule)
{
	_cleanup_policy_set_free_ struct policy_set *s = load(rules_text);
	_cleanup_(policy_explanation_freep) struct policy_explanation *e = NULL;

	ck_assert_int_eq(policy_set_explain_full(s, "system.slice/tie.service", &e), 0);
	ck_assert_str_eq(e->cgroup_path, "system.slice/tie.service");
	ck_assert_str_eq(e->unit, "tie.service");
	ck_assert_int_eq(e->qos, POLICY_QOS_NONE);
	ck_assert_str_eq(e->winner->name, "services-tie");
	ck_assert_uint_eq(e->n_entries, 6);
	ck_assert_int_eq(e->entries[0].verdict, POLICY_VERDICT_LOST);
	ck_assert_int_eq(e->entries[1].verdict, POLICY_VERDICT_LOST);
	ck_assert_int_eq(e->entries[2].verdict, POLICY_VERDICT_NO_MATCH);
	ck_assert_int_eq(e->entries[2].failed_selector, POLICY_SELECTOR_UNIT);
	ck_assert_int_eq(e->entries[3].verdict, POLICY_VERDICT_NO_MATCH);
	ck_assert_int_eq(e->entries[3].failed_selector, POLICY_SELECTOR_QOS);
	ck_assert_int_eq(e->entries[5].verdict, POLICY_VERDICT_WON);
	ck_assert_ptr_eq(e->entries[5].rule, e->winner);
}
END_TEST

START_TEST(test_match_explain_text_says_why)
{
	_cleanup_policy_set_free_ struct policy_set *s = load(rules_text);
	_cleanup_free_ char *t = NULL;

	ck_assert_int_eq(policy_set_explain(s, "system.slice/tie.service", &t), 0);
	ck_assert_str_eq(t,
			 "cgroup: system.slice/tie.service\n"
			 "unit: tie.service\n"
			 "qos: (none)\n"
			 "effective: services-tie (weight=7)\n"
			 "  memory.promotion.max: kernel default (max 1000000)\n"
			 "  memory.promotion.weight: 7\n"
			 "rules:\n"
			 "  lost     default (priority 0, 10-test.yaml:3:5): lower priority than services-tie (10)\n"
			 "  lost     services (priority 10, 10-test.yaml:7:5): same priority as services-tie, which comes "
			 "later and wins ties\n"
			 "  no match batch (priority 20, 10-test.yaml:11:5): unit \"tie.service\" does not match glob "
			 "\"batch-*.service\"\n"
			 "  no match besteffort (priority 30, 10-test.yaml:15:5): cgroup is not in a Kubernetes QoS class "
			 "(rule wants besteffort)\n"
			 "  no match guaranteed (priority 30, 10-test.yaml:19:5): cgroup is not in a Kubernetes QoS class "
			 "(rule wants guaranteed)\n"
			 "  won      services-tie (priority 10, 10-test.yaml:23:5): highest priority among matching rules\n");
}
END_TEST

START_TEST(test_match_explain_text_shows_kernel_values)
{
	_cleanup_policy_set_free_ struct policy_set *s = load(rules_text);
	_cleanup_free_ char *t = NULL;

	ck_assert_int_eq(policy_set_explain(s, "system.slice/batch-1.service", &t), 0);
	ck_assert_ptr_nonnull(strstr(t, "effective: batch (max=16.0 MiB/s period=100ms weight=10)\n"
					"  memory.promotion.max: 1677722 100000\n"
					"  memory.promotion.weight: 10\n"));
	ck_assert_ptr_nonnull(strstr(t, "  no match besteffort (priority 30, 10-test.yaml:15:5): cgroup is not in a "
					"Kubernetes QoS class (rule wants besteffort)\n"));
}
END_TEST

START_TEST(test_match_explain_text_without_winner)
{
	_cleanup_policy_set_free_ struct policy_set *s =
		load("version: 1\nrules:\n  - {name: a, priority: 1, match: {qos: burstable, cgroup: \"kubepods/**\"}, "
		     "promotion: {weight: 1}}\n");
	_cleanup_free_ char *t = NULL, *t2 = NULL;

	ck_assert_int_eq(policy_set_explain(s, "kubepods/besteffort/pod1", &t), 0);
	ck_assert_str_eq(t, "cgroup: kubepods/besteffort/pod1\n"
			    "unit: (none)\n"
			    "qos: besteffort\n"
			    "effective: none (no rule matches; kernel defaults max 1000000, weight 100 stay)\n"
			    "rules:\n"
			    "  no match a (priority 1, 10-test.yaml:3:5): QoS class is besteffort, rule wants burstable\n");
	ck_assert_int_eq(policy_set_explain(s, "system.slice", &t2), 0);
	ck_assert_ptr_nonnull(strstr(t2, "cgroup \"system.slice\" does not match glob \"kubepods/**\"\n"));
}
END_TEST

START_TEST(test_match_explain_empty_set)
{
	_cleanup_policy_set_free_ struct policy_set *s = load("");
	_cleanup_free_ char *t = NULL;
	char *bad = (char *)0x1;

	ck_assert_int_eq(policy_set_explain(s, "a.slice", &t), 0);
	ck_assert_ptr_nonnull(strstr(t, "rules: (none loaded)\n"));
	ck_assert_int_eq(policy_set_explain(s, "a//b", &bad), -EINVAL);
	ck_assert_ptr_eq(bad, (char *)0x1);
}
END_TEST

static Suite *match_suite(void)
{
	Suite *s = suite_create("match");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_match_cgroup_path_validate_rejects_non_canonical_paths);
	tcase_add_test(tc, test_match_unit_is_deepest_unit_component);
	tcase_add_test(tc, test_match_qos_from_systemd_driver_paths);
	tcase_add_test(tc, test_match_qos_from_cgroupfs_driver_paths);
	tcase_add_test(tc, test_match_qos_names_round_trip);
	tcase_add_test(tc, test_match_highest_priority_wins);
	tcase_add_test(tc, test_match_all_selectors_must_match);
	tcase_add_test(tc, test_match_equal_priority_later_rule_wins);
	tcase_add_test(tc, test_match_resolve_without_match_is_enoent);
	tcase_add_test(tc, test_match_explain_full_gives_verdict_per_rule);
	tcase_add_test(tc, test_match_explain_text_says_why);
	tcase_add_test(tc, test_match_explain_text_shows_kernel_values);
	tcase_add_test(tc, test_match_explain_text_without_winner);
	tcase_add_test(tc, test_match_explain_empty_set);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fake_run_suite(match_suite());
}
