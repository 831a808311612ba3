/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgtierctl's verbs against a manager served over a socketpair, and its
 * formatters on their own. Output goes to a memory stream. */
#include "bus-server.h"
#include "cgtier/cgtier.h"
#include "ctl.h"
#include "util.h"

static char *buf;
static size_t buf_size;
static FILE *out;

static void setup(void)
{
	server_tree_setup(web_policy);
	out = open_memstream(&buf, &buf_size);
	ck_assert_ptr_nonnull(out);
}

static void teardown(void)
{
	fclose(out);
	free(buf);
	server_tree_teardown();
}

static const char *output(void)
{
	fflush(out);
	return buf;
}

START_TEST(test_ctl_status_reports_daemon_state)
{
	CtlOptions o = {};

	start_server(0);
	ck_assert_int_eq(verb_status(client, &o, out), CGTIER_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(output(), "Kernel support: yes"));
	ck_assert_ptr_nonnull(strstr(output(), "50-web.yaml"));
	ck_assert_ptr_nonnull(strstr(output(), "Managed cgroups: 1"));
}
END_TEST

START_TEST(test_ctl_status_json)
{
	CtlOptions o = { .json = true };

	start_server(0);
	ck_assert_int_eq(verb_status(client, &o, out), CGTIER_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(output(), "\"kernel_supports_promotion_knobs\":true"));
	ck_assert_ptr_nonnull(strstr(output(), "\"managed_cgroups\":1"));
}
END_TEST

START_TEST(test_ctl_list_shows_rule_and_setting)
{
	CtlOptions o = {};

	start_server(0);
	ck_assert_int_eq(verb_list(client, &o, out), CGTIER_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(output(), "/system.slice/a.service"));
	ck_assert_ptr_nonnull(strstr(output(), "max=64.0 MiB/s"));
}
END_TEST

START_TEST(test_ctl_stats_prometheus_all_managed)
{
	CtlOptions o = { .prometheus = true };

	start_server(0);
	ck_assert_int_eq(verb_stats(client, &o, NULL, 0, out), CGTIER_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(output(),
		"# TYPE cgtier_promotion_promoted_pages_total counter\n"
		"cgtier_promotion_promoted_pages_total{cgroup=\"/system.slice/a.service\"} 7\n"));
	ck_assert_ptr_nonnull(strstr(output(),
		"cgtier_memory_pgpromote_success_total{cgroup=\"/system.slice/a.service\"} 42\n"));
	ck_assert_ptr_nonnull(strstr(output(),
		"cgtier_memory_node_bytes{cgroup=\"/system.slice/a.service\",node=\"1\"} 8192\n"));
	ck_assert_ptr_nonnull(strstr(output(),
		"cgtier_promotion_limit_bytes_per_second{cgroup=\"/system.slice/a.service\"} 67108864\n"));
	ck_assert_ptr_nonnull(strstr(output(),
		"# TYPE cgtier_promotion_weight gauge\n"
		"cgtier_promotion_weight{cgroup=\"/system.slice/a.service\"} 50\n"));
}
END_TEST

START_TEST(test_ctl_stats_prometheus_has_daemon_gauges)
{
	CtlOptions o = { .prometheus = true }, plain = {};

	start_server(0);
	ck_assert_int_eq(verb_stats(client, &o, NULL, 0, out), CGTIER_EXIT_OK);
	/* Daemon gauges first, each with its HELP and TYPE, before any per-cgroup family. */
	ck_assert_ptr_eq(strstr(output(),
		"# HELP cgtier_kernel_supports_promotion_knobs 1 if the kernel has memory.promotion.max"
		" (the cgtier series).\n"
		"# TYPE cgtier_kernel_supports_promotion_knobs gauge\n"
		"cgtier_kernel_supports_promotion_knobs 1\n"
		"# HELP cgtier_policy_rules Promotion rules in force.\n"
		"# TYPE cgtier_policy_rules gauge\n"
		"cgtier_policy_rules 1\n"
		"# HELP cgtier_managed_cgroups Cgroups with an effective rule.\n"
		"# TYPE cgtier_managed_cgroups gauge\n"
		"cgtier_managed_cgroups 1\n"
		"# HELP cgtier_policy_last_reload_failed 1 if the last policy reload was refused"
		" (previous rules stay in force).\n"
		"# TYPE cgtier_policy_last_reload_failed gauge\n"
		"cgtier_policy_last_reload_failed 0\n"), output());

	/* A refused reload keeps the rules and says so. */
	fake_write(tree, "etc/cgtier/policies.d/50-web.yaml", "version: 1\nrules: [\n");
	ck_assert_int_eq(verb_reload(client, &plain, out), CGTIER_EXIT_INVALID);
	rewind(out);
	ck_assert_int_eq(verb_stats(client, &o, NULL, 0, out), CGTIER_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(output(), "\ncgtier_policy_last_reload_failed 1\n"));
	ck_assert_ptr_nonnull(strstr(output(), "\ncgtier_policy_rules 1\n"));
}
END_TEST

START_TEST(test_ctl_stats_prometheus_kernel_without_knobs)
{
	CtlOptions o = { .prometheus = true };
	char *cg[] = { (char *)"/system.slice/a.service" };

	/* No memory.promotion.* anywhere: a kernel without the cgtier series. */
	static const char *const cgroups[] = { "system.slice", "system.slice/a.service", "user.slice" };
	static const char *const knobs[] = { "max", "weight", "stat" };
	char p[PATH_MAX];

	for (size_t i = 0; i < ELEMENTSOF(cgroups); i++)
		for (size_t k = 0; k < ELEMENTSOF(knobs); k++) {
			fake_path(p, sizeof(p), "%s/%s/memory.promotion.%s", cgroot, cgroups[i], knobs[k]);
			ck_assert_int_eq(unlink(p), 0);
		}
	/* ...on which the memory controller is on: the daemon can tell. */
	fake_write(tree, "cgroup/system.slice/memory.current", "4096\n");
	start_server(0);
	ck_assert_int_eq(verb_stats(client, &o, cg, 1, out), CGTIER_EXIT_OK);
	ck_assert_msg(strstr(output(), "\ncgtier_kernel_supports_promotion_knobs 0\n"), "%s", output());
}
END_TEST

START_TEST(test_ctl_stats_missing_cgroup_exit_code)
{
	CtlOptions o = {};
	char *bad[] = { (char *)"/nope.slice" };
	char *invalid[] = { (char *)"../etc" };

	start_server(0);
	ck_assert_int_eq(verb_stats(client, &o, bad, 1, out), CGTIER_EXIT_NOT_FOUND);
	ck_assert_int_eq(verb_stats(client, &o, invalid, 1, out), CGTIER_EXIT_USAGE);
}
END_TEST

START_TEST(test_ctl_stats_json)
{
	CtlOptions o = { .json = true };
	char *cg[] = { (char *)"/system.slice/a.service" };

	start_server(0);
	ck_assert_int_eq(verb_stats(client, &o, cg, 1, out), CGTIER_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(output(), "\"promoted\":7"));
	ck_assert_ptr_nonnull(strstr(output(), "\"pgpromote_success\":42"));
}
END_TEST

START_TEST(test_ctl_top_runs_given_iterations)
{
	CtlOptions o = { .interval_sec = 0.01, .iterations = 2 };

	start_server(0);
	ck_assert_int_eq(verb_top(client, &o, out), CGTIER_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(output(), "64.0 MiB/s"));
	ck_assert_ptr_nonnull(strstr(output(), "0 B/s"));
}
END_TEST

START_TEST(test_ctl_explain_and_reload)
{
	CtlOptions o = {};

	start_server(0);
	ck_assert_int_eq(verb_explain(client, &o, "/system.slice/a.service", out), CGTIER_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(output(), "web"));
	ck_assert_int_eq(verb_reload(client, &o, out), CGTIER_EXIT_OK);
	fake_write(tree, "etc/cgtier/policies.d/50-web.yaml", "version: 1\nrules: [\n");
	ck_assert_int_eq(verb_reload(client, &o, out), CGTIER_EXIT_INVALID);
}
END_TEST

START_TEST(test_ctl_validate_offline_exit_codes)
{
	CtlOptions o = {};
	char good[PATH_MAX], bad[PATH_MAX], missing[PATH_MAX];
	char *files[2];

	fake_write(tree, "good.yaml", web_policy);
	fake_write(tree, "bad.yaml", "version: 1\nrules:\n  - name: x\n    prio: 1\n");
	fake_path(good, sizeof(good), "%s/good.yaml", tree);
	fake_path(bad, sizeof(bad), "%s/bad.yaml", tree);
	fake_path(missing, sizeof(missing), "%s/missing.yaml", tree);
	files[0] = good;
	ck_assert_int_eq(verb_validate(&o, files, 1, out), CGTIER_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(output(), "ok, 1 rules"));
	files[1] = bad;
	ck_assert_int_eq(verb_validate(&o, files, 2, out), CGTIER_EXIT_INVALID);
	files[0] = missing;
	ck_assert_int_eq(verb_validate(&o, files, 1, out), CGTIER_EXIT_FAILURE);
}
END_TEST

/* A FIFO would block open() until a writer comes: validate must answer at once. */
START_TEST(test_ctl_validate_fifo_fails_promptly_naming_the_file)
{
	CtlOptions o = { .json = true };
	char fifo[PATH_MAX], want[PATH_MAX + 64];
	char *files[1] = { fifo };

	fake_path(fifo, sizeof(fifo), "%s/50-web.yaml", tree);
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	ck_assert_int_eq(verb_validate(&o, files, 1, out), CGTIER_EXIT_INVALID);
	fake_path(want, sizeof(want), "%s: not a regular file but a FIFO", fifo);
	ck_assert_msg(strstr(output(), want), "%s", output());
}
END_TEST

/* Out-of-range values are invalid policies like any other (exit 3), not
 * failures to read the file (exit 1). */
START_TEST(test_ctl_validate_range_errors_exit_invalid)
{
	static const char *const bodies[] = {
		"max: 99999999999999999999M/s",
		"max: 99999999999999999999MiB/s",
		"weight: 4294967297",
		"weight: 99999999999999999999",
		"max: 16EiB/s",
	};
	CtlOptions o = {};
	char p[PATH_MAX], text[512];
	char *files[1] = { p };

	fake_path(p, sizeof(p), "%s/50-range.yaml", tree);
	for (size_t i = 0; i < ELEMENTSOF(bodies); i++) {
		fake_path(text, sizeof(text),
			  "version: 1\nrules:\n  - name: r\n    priority: 1\n"
			  "    match: {cgroup: \"**\"}\n    promotion: {%s}\n", bodies[i]);
		fake_write(tree, "50-range.yaml", text);
		ck_assert_msg(verb_validate(&o, files, 1, out) == CGTIER_EXIT_INVALID, "%s", bodies[i]);
	}
}
END_TEST

START_TEST(test_ctl_validate_checks_files_as_one_set)
{
	CtlOptions o = {}, j = { .json = true };
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], want[3 * PATH_MAX];
	char *files[2];

	fake_write(tree, "90-db.yaml",
		   "version: 1\nrules:\n  - name: db\n    priority: 1\n"
		   "    match: {cgroup: \"**\"}\n    promotion: {weight: 5}\n");
	fake_write(tree, "10-web.yaml", web_policy);
	fake_write(tree, "20-web.yaml", web_policy);
	fake_path(a, sizeof(a), "%s/90-db.yaml", tree);
	fake_path(b, sizeof(b), "%s/10-web.yaml", tree);
	fake_path(c, sizeof(c), "%s/20-web.yaml", tree);

	/* Each is fine alone, and one "ok" line per file, in the given order. */
	files[0] = a;
	files[1] = b;
	ck_assert_int_eq(verb_validate(&o, files, 2, out), CGTIER_EXIT_OK);
	fake_path(want, sizeof(want), "%s: ok, 1 rules\n%s: ok, 1 rules\n", a, b);
	ck_assert_str_eq(output(), want);

	/* Together, the rule name "web" is defined twice: the daemon would refuse them. */
	rewind(out);
	files[0] = c;
	ck_assert_int_eq(verb_validate(&j, files, 2, out), CGTIER_EXIT_INVALID);
	fake_path(want, sizeof(want),
		  "{\"file\":\"%s\",\"ok\":false,\"message\":\"%s:3:5: duplicate rule name \\\"web\\\" "
		  "(first defined at %s:3:5)\"}",
		  c, c, b);
	ck_assert_msg(strstr(output(), want), "%s", output());
}
END_TEST

START_TEST(test_ctl_prometheus_names_and_escaping)
{
	char name[128];
	struct cgroup_stats s = {};
	const char *cg[] = { "/we\"ird\\slice" };

	ck_assert_int_eq(prometheus_metric_name("promoted", name, sizeof(name)), 0);
	ck_assert_str_eq(name, "cgtier_promotion_promoted_pages_total");
	ck_assert_int_eq(prometheus_metric_name("batches", name, sizeof(name)), 0);
	ck_assert_str_eq(name, "cgtier_promotion_batches_total");
	ck_assert_int_eq(prometheus_metric_name("new-key.x", name, sizeof(name)), 0);
	ck_assert_str_eq(name, "cgtier_promotion_new_key_x_total");

	ck_assert_int_eq(cgroup_stats_add_promotion(&s, "promoted", 3), 0);
	prometheus_write(out, cg, &s, 1);
	ck_assert_ptr_nonnull(strstr(output(), "{cgroup=\"/we\\\"ird\\\\slice\"} 3\n"));
	cgroup_stats_done(&s);
}
END_TEST

START_TEST(test_ctl_rate_from_counter_delta)
{
	ck_assert_uint_eq(ctl_rate_bytes_per_sec(100, 356, 1.0, 4096), 256 * 4096);
	ck_assert_uint_eq(ctl_rate_bytes_per_sec(100, 150, 0.5, 4096), 100 * 4096);
	/* Counter reset (cgroup recreated): no negative rate. */
	ck_assert_uint_eq(ctl_rate_bytes_per_sec(100, 5, 1.0, 4096), 0);
	ck_assert_uint_eq(ctl_rate_bytes_per_sec(1, 5, 0, 4096), 0);
}
END_TEST

START_TEST(test_ctl_json_string_escapes)
{
	json_string(out, "a\"b\\c\nd\001");
	ck_assert_str_eq(output(), "\"a\\\"b\\\\c\\nd\\u0001\"");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("verbs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ctl_status_reports_daemon_state);
	tcase_add_test(tc, test_ctl_status_json);
	tcase_add_test(tc, test_ctl_list_shows_rule_and_setting);
	tcase_add_test(tc, test_ctl_stats_prometheus_all_managed);
	tcase_add_test(tc, test_ctl_stats_prometheus_has_daemon_gauges);
	tcase_add_test(tc, test_ctl_stats_prometheus_kernel_without_knobs);
	tcase_add_test(tc, test_ctl_stats_missing_cgroup_exit_code);
	tcase_add_test(tc, test_ctl_stats_json);
	tcase_add_test(tc, test_ctl_top_runs_given_iterations);
	tcase_add_test(tc, test_ctl_explain_and_reload);
	tcase_add_test(tc, test_ctl_validate_offline_exit_codes);
	tcase_add_test(tc, test_ctl_validate_checks_files_as_one_set);
	tcase_add_test(tc, test_ctl_validate_fifo_fails_promptly_naming_the_file);
	tcase_add_test(tc, test_ctl_validate_range_errors_exit_invalid);
	tcase_add_test(tc, test_ctl_prometheus_names_and_escaping);
	tcase_add_test(tc, test_ctl_rate_from_counter_delta);
	tcase_add_test(tc, test_ctl_json_string_escapes);
	suite_add_tcase(s, tc);
	return fake_run_suite(s);
}
