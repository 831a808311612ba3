/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgtierctl's verbs against a manager served over a socketpair, and its
 * formatters on their own. Output goes to a memory stream. */
#include <inttypes.h>

#include "bus-server.h"
#include "cgtier/bus.h"
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

/* A fresh stream: after rewind() the old, longer output would show. */
static void reset_output(void)
{
	fclose(out);
	free(buf);
	buf = NULL;
	out = open_memstream(&buf, &buf_size);
	ck_assert_ptr_nonnull(out);
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
	ck_assert_ptr_nonnull(strstr(output(), "Kernel backend: native"));
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
	ck_assert_ptr_nonnull(strstr(output(), "\"kernel_backend\":\"native\""));
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

/* A delegated user names a cgroup with ESC ] (OSC), BEL and a C1 CSI
 * (U+009B): none of it may reach the terminal raw. */
#define EVIL_NAME "ev\033]0;x\007il\xc2\x9b.service"
#define EVIL_ESCAPED "ev\\x1b]0;x\\x07il\\xc2\\x9b.service"

static void assert_no_raw_controls(const char *s)
{
	ck_assert_msg(!strchr(s, '\033') && !strchr(s, '\007') && !strstr(s, "\xc2\x9b") &&
		      !strchr(s, '\xff'), "raw control characters in: %s", s);
}

START_TEST(test_ctl_human_output_escapes_control_characters)
{
	CtlOptions o = { .interval_sec = 0.01, .iterations = 1 };

	fake_cgroup(tree, "cgroup/system.slice/" EVIL_NAME, true);
	start_server(0);
	ck_assert_int_eq(verb_list(client, &o, out), CGTIER_EXIT_OK);
	ck_assert_msg(strstr(output(), "/system.slice/" EVIL_ESCAPED), "%s", output());
	assert_no_raw_controls(output());

	rewind(out);
	ck_assert_int_eq(verb_top(client, &o, out), CGTIER_EXIT_OK);
	ck_assert_msg(strstr(output(), "/system.slice/" EVIL_ESCAPED), "%s", output());
	assert_no_raw_controls(output());

	rewind(out);
	ck_assert_int_eq(verb_explain(client, &o, "/system.slice/" EVIL_NAME, out), CGTIER_EXIT_OK);
	ck_assert_msg(strstr(output(), "web"), "%s", output());
	ck_assert_msg(strchr(output(), '\n'), "explanation lost its line breaks: %s", output());
	assert_no_raw_controls(output());

	rewind(out);
	{
		char *cg[] = { (char *)"/system.slice/" EVIL_NAME };

		ck_assert_int_eq(verb_stats(client, &o, cg, 1, out), CGTIER_EXIT_OK);
		ck_assert_msg(strstr(output(), EVIL_ESCAPED), "%s", output());
		assert_no_raw_controls(output());
	}
}
END_TEST

START_TEST(test_ctl_json_output_of_hostile_name_is_valid_json)
{
	CtlOptions o = { .json = true };

	fake_cgroup(tree, "cgroup/system.slice/" EVIL_NAME, true);
	start_server(0);
	ck_assert_int_eq(verb_list(client, &o, out), CGTIER_EXIT_OK);
	/* Controls as \u escapes, the stray byte as U+FFFD: valid UTF-8 JSON. */
	ck_assert_msg(strstr(output(), "\"/system.slice/ev\\u001b]0;x\\u0007il\\u009b.service\""),
		      "%s", output());
	assert_no_raw_controls(output());
}
END_TEST

/* D-Bus strings must be UTF-8: one such name used to fail the whole list. */
START_TEST(test_ctl_list_survives_cgroup_name_not_utf8)
{
	CtlOptions o = {}, j = { .json = true };

	fake_cgroup(tree, "cgroup/system.slice/bad\xff.service", true);
	start_server(0);
	ck_assert_int_eq(verb_list(client, &o, out), CGTIER_EXIT_OK);
	ck_assert_msg(strstr(output(), "/system.slice/bad\\xff.service"), "%s", output());
	ck_assert_msg(strstr(output(), "/system.slice/a.service"), "%s", output());
	assert_no_raw_controls(output());
	rewind(out);
	ck_assert_int_eq(verb_list(client, &j, out), CGTIER_EXIT_OK);
	ck_assert_msg(strstr(output(), "\"cgroup\":\"/system.slice/bad\\\\xff.service\""), "%s", output());
}
END_TEST

START_TEST(test_ctl_json_string_escapes_del_c1_and_invalid_utf8)
{
	/* DEL, C1 NEL, a lone continuation byte, an overlong '/', then é kept. */
	json_string(out, "a\x7f\xc2\x85\x80\xc0\xaf\xc3\xa9");
	ck_assert_str_eq(output(), "\"a\\u007f\\u0085\\ufffd\\ufffd\\ufffd\xc3\xa9\"");
}
END_TEST

START_TEST(test_ctl_prometheus_label_replaces_invalid_utf8)
{
	prometheus_label_value(out, "a\xff\xc3\xa9\"");
	ck_assert_str_eq(output(), "\"a\xef\xbf\xbd\xc3\xa9\\\"\"");
}
END_TEST

/* Messages the client has sent so far: sd-bus numbers them, so the cookie
 * of a Ping's request counts every call before it. */
static uint64_t calls_so_far(void)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	uint64_t cookie;

	ck_assert_int_ge(sd_bus_call_method(client, NULL, "/", "org.freedesktop.DBus.Peer", "Ping",
					    NULL, &reply, NULL), 0);
	ck_assert_int_ge(sd_bus_message_get_reply_cookie(reply, &cookie), 0);
	return cookie;
}

static uint64_t prometheus_scrape_calls(void)
{
	CtlOptions o = { .prometheus = true };
	uint64_t before = calls_so_far();

	ck_assert_int_eq(verb_stats(client, &o, NULL, 0, out), CGTIER_EXIT_OK);
	return calls_so_far() - before - 1;
}

/* 10,000 cgroups were 10,000 GetCgroupStats round trips (3.9 s). */
START_TEST(test_ctl_stats_all_managed_takes_calls_independent_of_cgroups)
{
	uint64_t one, many;
	char p[64];

	start_server(0);
	one = prometheus_scrape_calls();
	stop_server();
	for (int i = 0; i < 20; i++) {
		snprintf(p, sizeof(p), "cgroup/system.slice/s%d.service", i);
		fake_cgroup(tree, p, true);
	}
	start_server(0);
	rewind(out);
	many = prometheus_scrape_calls();
	ck_assert_msg(strstr(output(), "cgtier_promotion_promoted_pages_total{cgroup=\"/system.slice/s19.service\"} 7\n"),
		      "%s", output());
	ck_assert_msg(one == many, "1 managed cgroup: %" PRIu64 " calls, 21: %" PRIu64, one, many);
}
END_TEST

/* Every managed cgroup, also one whose name is not UTF-8 (sent escaped, so
 * a per-name GetCgroupStats could never find it again). */
START_TEST(test_ctl_stats_all_managed_includes_name_not_utf8)
{
	CtlOptions j = { .json = true };

	fake_cgroup(tree, "cgroup/system.slice/bad\xff.service", true);
	start_server(0);
	ck_assert_int_eq(verb_stats(client, &j, NULL, 0, out), CGTIER_EXIT_OK);
	ck_assert_msg(strstr(output(), "{\"cgroup\":\"/system.slice/bad\\\\xff.service\",\"promotion\":{\"candidates\":10"),
		      "%s", output());
}
END_TEST

/* --json used to be ignored: top printed its table (and, on a terminal,
 * the clear-screen sequence) to a consumer expecting JSON. */
START_TEST(test_ctl_top_json_prints_one_array_per_refresh)
{
	CtlOptions o = { .json = true, .interval_sec = 0.01, .iterations = 2 };
	const char *second;

	start_server(0);
	ck_assert_int_eq(verb_top(client, &o, out), CGTIER_EXIT_OK);
	ck_assert_msg(!strstr(output(), "CGROUP") && output()[0] == '[', "%s", output());
	ck_assert_ptr_nonnull(strstr(output(),
		"[{\"cgroup\":\"/system.slice/a.service\",\"limit_bytes_per_second\":67108864,"
		"\"rate_bytes_per_second\":null,\"promoted\":7,\"throttled\":2}]\n"));
	second = strchr(output(), '\n') + 1;
	ck_assert_str_eq(second,
		"[{\"cgroup\":\"/system.slice/a.service\",\"limit_bytes_per_second\":67108864,"
		"\"rate_bytes_per_second\":0,\"promoted\":7,\"throttled\":2}]\n");
}
END_TEST

START_TEST(test_ctl_no_legend_drops_table_headers)
{
	CtlOptions o = { .no_legend = true, .interval_sec = 0.01, .iterations = 1 };

	start_server(0);
	ck_assert_int_eq(verb_list(client, &o, out), CGTIER_EXIT_OK);
	ck_assert_msg(strncmp(output(), "/system.slice/a.service ", 24) == 0, "%s", output());
	rewind(out);
	ck_assert_int_eq(verb_top(client, &o, out), CGTIER_EXIT_OK);
	ck_assert_msg(strncmp(output(), "/system.slice/a.service ", 24) == 0, "%s", output());
}
END_TEST

START_TEST(test_ctl_pager_only_on_a_terminal_and_without_no_pager)
{
	CtlOptions o = {}, no = { .no_pager = true };

	setenv("CGTIER_PAGER", "cat", 1);
	ck_assert_ptr_null(pager_command());
	setenv("CGTIER_PAGER", "", 1);
	ck_assert_ptr_null(pager_command());
	unsetenv("CGTIER_PAGER");
	setenv("SYSTEMD_PAGER", "more", 1);
	ck_assert_str_eq(pager_command(), "more");
	ck_assert_int_eq(pager_open(&o, false), 0);
	ck_assert_int_eq(pager_open(&no, true), 0);
}
END_TEST

START_TEST(test_ctl_pager_receives_stdout)
{
	CtlOptions o = {};
	char cmd[PATH_MAX + 16], file[PATH_MAX];
	_cleanup_free_ char *got = NULL;

	fake_path(file, sizeof(file), "%s/paged", tree);
	fake_path(cmd, sizeof(cmd), "cat > %s", file);
	setenv("CGTIER_PAGER", cmd, 1);
	ck_assert_int_eq(pager_open(&o, true), 1);
	printf("through the pager\n");
	pager_close();
	got = fake_read(tree, "paged");
	ck_assert_str_eq(got, "through the pager\n");
}
END_TEST

/* --- a fake systemd on its own socketpair, for unit names --- */

static int fake_get_unit(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	const char *name;
	int r;

	r = sd_bus_message_read(msg, "s", &name);
	if (r < 0)
		return r;
	if (streq(name, "a.service"))
		return sd_bus_reply_method_return(msg, "o", "/org/freedesktop/systemd1/unit/a_2eservice");
	if (streq(name, "dead.service"))
		return sd_bus_reply_method_return(msg, "o", "/org/freedesktop/systemd1/unit/dead_2eservice");
	return sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded.",
				 name);
}

static int fake_control_group(sd_bus *bus, const char *path, const char *interface,
			      const char *property, sd_bus_message *reply, void *userdata,
			      sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", userdata);
}

static const sd_bus_vtable fake_manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("GetUnit", "s", "o", fake_get_unit, 0),
	SD_BUS_VTABLE_END
};

static const sd_bus_vtable fake_service_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("ControlGroup", "s", fake_control_group, 0, 0),
	SD_BUS_VTABLE_END
};

static int systemd_fd;
static pthread_t systemd_thread;
static sd_bus *systemd_client;

static void *fake_systemd_main(void *p)
{
	sd_bus *bus = NULL;
	sd_event *e = NULL;
	sd_id128_t id;

	if (sd_event_new(&e) >= 0 && sd_bus_new(&bus) >= 0 &&
	    sd_bus_set_fd(bus, systemd_fd, systemd_fd) >= 0 && sd_id128_randomize(&id) >= 0 &&
	    sd_bus_set_server(bus, true, id) >= 0 && sd_bus_set_anonymous(bus, true) >= 0 &&
	    sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1",
				     "org.freedesktop.systemd1.Manager", fake_manager_vtable, NULL) >= 0 &&
	    sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1/unit/a_2eservice",
				     "org.freedesktop.systemd1.Service", fake_service_vtable,
				     (void *)"/system.slice/a.service") >= 0 &&
	    sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1/unit/dead_2eservice",
				     "org.freedesktop.systemd1.Service", fake_service_vtable,
				     (void *)"") >= 0 &&
	    sd_bus_start(bus) >= 0 && sd_bus_attach_event(bus, e, 0) >= 0 &&
	    sd_bus_set_exit_on_disconnect(bus, true) >= 0)
		(void)sd_event_loop(e);
	sd_bus_flush_close_unref(bus);
	sd_event_unref(e);
	return NULL;
}

static void start_fake_systemd(void)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	systemd_fd = sv[0];
	ck_assert_int_eq(pthread_create(&systemd_thread, NULL, fake_systemd_main, NULL), 0);
	ck_assert_int_ge(sd_bus_new(&systemd_client), 0);
	ck_assert_int_ge(sd_bus_set_fd(systemd_client, sv[1], sv[1]), 0);
	ck_assert_int_ge(sd_bus_start(systemd_client), 0);
}

static void stop_fake_systemd(void)
{
	systemd_client = sd_bus_flush_close_unref(systemd_client);
	pthread_join(systemd_thread, NULL);
}

START_TEST(test_ctl_arg_kinds)
{
	ck_assert_int_eq(ctl_arg_kind("1234"), CTL_ARG_PID);
	ck_assert_int_eq(ctl_arg_kind("nginx.service"), CTL_ARG_UNIT);
	ck_assert_int_eq(ctl_arg_kind("user-1000.slice"), CTL_ARG_UNIT);
	ck_assert_int_eq(ctl_arg_kind("session-3.scope"), CTL_ARG_UNIT);
	/* Anything with a slash is a cgroup path, unit-like or not. */
	ck_assert_int_eq(ctl_arg_kind("/system.slice"), CTL_ARG_PATH);
	ck_assert_int_eq(ctl_arg_kind("system.slice/a.service"), CTL_ARG_PATH);
	ck_assert_int_eq(ctl_arg_kind("0"), CTL_ARG_PATH);
	ck_assert_int_eq(ctl_arg_kind("12a"), CTL_ARG_PATH);
	ck_assert_int_eq(ctl_arg_kind(".service"), CTL_ARG_PATH);
}
END_TEST

START_TEST(test_ctl_explain_and_stats_accept_a_pid)
{
	char proc[PATH_MAX];
	CtlOptions o = { .proc_root = proc };
	char *args[] = { (char *)"4242" }, *gone[] = { (char *)"4243" };

	fake_path(proc, sizeof(proc), "%s/proc", tree);
	fake_mkdir(tree, "proc/4242");
	fake_write(tree, "proc/4242/cgroup", "0::/system.slice/a.service\n");
	start_server(0);
	ck_assert_int_eq(verb_explain(client, &o, "4242", out), CGTIER_EXIT_OK);
	ck_assert_msg(strstr(output(), "effective: web"), "%s", output());
	rewind(out);
	ck_assert_int_eq(verb_stats(client, &o, args, 1, out), CGTIER_EXIT_OK);
	ck_assert_msg(strncmp(output(), "/system.slice/a.service\n", 24) == 0, "%s", output());
	ck_assert_ptr_nonnull(strstr(output(), "promoted"));

	/* No such process: a clear error and "not found". */
	ck_assert_int_eq(verb_explain(client, &o, "4243", out), CGTIER_EXIT_NOT_FOUND);
	ck_assert_int_eq(verb_stats(client, &o, gone, 1, out), CGTIER_EXIT_NOT_FOUND);
	/* Only cgroup v1 lines: no cgroup to show. */
	fake_mkdir(tree, "proc/4244");
	fake_write(tree, "proc/4244/cgroup", "4:memory:/a\n");
	ck_assert_int_eq(verb_explain(client, &o, "4244", out), CGTIER_EXIT_NOT_FOUND);
}
END_TEST

START_TEST(test_ctl_explain_and_stats_accept_a_unit)
{
	CtlOptions o = {};
	char *args[] = { (char *)"a.service" }, *unknown[] = { (char *)"nope.service" };

	start_fake_systemd();
	o.systemd_bus = systemd_client;
	start_server(0);
	ck_assert_int_eq(verb_explain(client, &o, "a.service", out), CGTIER_EXIT_OK);
	ck_assert_msg(strstr(output(), "effective: web"), "%s", output());
	rewind(out);
	ck_assert_int_eq(verb_stats(client, &o, args, 1, out), CGTIER_EXIT_OK);
	ck_assert_msg(strncmp(output(), "/system.slice/a.service\n", 24) == 0, "%s", output());

	ck_assert_int_eq(verb_explain(client, &o, "nope.service", out), CGTIER_EXIT_NOT_FOUND);
	ck_assert_int_eq(verb_stats(client, &o, unknown, 1, out), CGTIER_EXIT_NOT_FOUND);
	/* Loaded but not running: no ControlGroup. */
	ck_assert_int_eq(verb_explain(client, &o, "dead.service", out), CGTIER_EXIT_NOT_FOUND);
	stop_fake_systemd();
}
END_TEST

/* Issue #21: a numastat -m like table of cgroups, with totals. */
START_TEST(test_ctl_numa_table_has_total_column_and_row)
{
	CtlOptions o = {}, bare = { .no_legend = true }, j = { .json = true };

	fake_cgroup(tree, "cgroup/system.slice/b.service", true);
	fake_write(tree, "cgroup/system.slice/b.service/memory.numa_stat",
		   "anon N0=1048576 N1=0\nfile N0=1048576 N1=2097152\n");
	start_server(0);
	ck_assert_int_eq(verb_numa(client, &o, NULL, 0, out), CGTIER_EXIT_OK);
	ck_assert_str_eq(output(), "Per-node memory of cgroups, anon + file (in MiB):\n                              Node 0       Node 1        Total\n----------------------- ------------ ------------ ------------\n/system.slice/a.service         0.00         0.01         0.01\n/system.slice/b.service         2.00         2.00         4.00\n----------------------- ------------ ------------ ------------\nTotal                           2.00         2.01         4.01\n");

	reset_output();
	ck_assert_int_eq(verb_numa(client, &bare, NULL, 0, out), CGTIER_EXIT_OK);
	ck_assert_str_eq(output(), "/system.slice/a.service         0.00         0.01         0.01\n" "/system.slice/b.service         2.00         2.00         4.00\n");

	reset_output();
	ck_assert_int_eq(verb_numa(client, &j, NULL, 0, out), CGTIER_EXIT_OK);
	ck_assert_msg(strstr(output(), "{\"cgroup\":\"/system.slice/a.service\",\"nodes\":{\"0\":4096,\"1\":8192},\"total\":12288}"),
		      "%s", output());
	ck_assert_msg(strstr(output(), "\"total\":{\"nodes\":{\"0\":2101248,\"1\":2105344},\"total\":4206592}}\n"),
		      "%s", output());
}
END_TEST

START_TEST(test_ctl_numa_of_given_cgroups_and_missing_one)
{
	CtlOptions o = { .no_legend = true };
	char *args[] = { (char *)"system.slice/a.service" }, *bad[] = { (char *)"/nope.slice" };

	start_server(0);
	ck_assert_int_eq(verb_numa(client, &o, args, 1, out), CGTIER_EXIT_OK);
	ck_assert_str_eq(output(), "/system.slice/a.service         0.00         0.01         0.01\n");
	ck_assert_int_eq(verb_numa(client, &o, bad, 1, out), CGTIER_EXIT_NOT_FOUND);
}
END_TEST

/* --- an older daemon (no ListCgroupStats) or an older bus policy (denied) --- */

static int old_list_cgroups(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return sd_bus_reply_method_return(msg, "a(ssssu)", 1, "/old.service", "r", "", "", 0);
}

static int old_get_stats(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return sd_bus_reply_method_return(msg, "a{st}bta(ut)", 1, "promoted", (uint64_t)5, 0,
					  (uint64_t)0, 0);
}

static int denied_list_stats(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "Rejected send message");
}

static const sd_bus_vtable old_daemon_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("ListCgroups", NULL, "a(ssssu)", old_list_cgroups, 0),
	SD_BUS_METHOD("GetCgroupStats", "s", "a{st}bta(ut)", old_get_stats, 0),
	SD_BUS_VTABLE_END
};

static const sd_bus_vtable denied_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("ListCgroups", NULL, "a(ssssu)", old_list_cgroups, 0),
	SD_BUS_METHOD("GetCgroupStats", "s", "a{st}bta(ut)", old_get_stats, 0),
	SD_BUS_METHOD("ListCgroupStats", NULL, "a(sa{st}bta(ut))", denied_list_stats, 0),
	SD_BUS_VTABLE_END
};

static int old_fd;

static void *old_daemon_main(void *vtable)
{
	sd_bus *bus = NULL;
	sd_event *e = NULL;
	sd_id128_t id;

	if (sd_event_new(&e) >= 0 && sd_bus_new(&bus) >= 0 && sd_bus_set_fd(bus, old_fd, old_fd) >= 0 &&
	    sd_id128_randomize(&id) >= 0 && sd_bus_set_server(bus, true, id) >= 0 &&
	    sd_bus_set_anonymous(bus, true) >= 0 &&
	    sd_bus_add_object_vtable(bus, NULL, CGTIER_BUS_PATH, CGTIER_BUS_INTERFACE, vtable, NULL) >= 0 &&
	    sd_bus_start(bus) >= 0 && sd_bus_attach_event(bus, e, 0) >= 0 &&
	    sd_bus_set_exit_on_disconnect(bus, true) >= 0)
		(void)sd_event_loop(e);
	sd_bus_flush_close_unref(bus);
	sd_event_unref(e);
	return NULL;
}

START_TEST(test_ctl_stats_falls_back_to_one_call_per_cgroup)
{
	const sd_bus_vtable *vtables[] = { old_daemon_vtable, denied_vtable };

	for (size_t i = 0; i < ELEMENTSOF(vtables); i++) {
		struct ctl_stats_list l = {};
		sd_bus *bus = NULL;
		pthread_t th;
		int sv[2];

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		old_fd = sv[0];
		ck_assert_int_eq(pthread_create(&th, NULL, old_daemon_main, (void *)vtables[i]), 0);
		ck_assert_int_ge(sd_bus_new(&bus), 0);
		ck_assert_int_ge(sd_bus_set_fd(bus, sv[1], sv[1]), 0);
		ck_assert_int_ge(sd_bus_start(bus), 0);
		ck_assert_int_eq(ctl_list_cgroup_stats(bus, &l, NULL), 0);
		ck_assert_uint_eq(l.n, 1);
		ck_assert_str_eq(l.items[0].cgroup, "/old.service");
		ck_assert_str_eq(l.items[0].stats.promotion[0].key, "promoted");
		ctl_stats_list_done(&l);
		sd_bus_flush_close_unref(bus);
		pthread_join(th, NULL);
	}
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
	tcase_add_test(tc, test_ctl_human_output_escapes_control_characters);
	tcase_add_test(tc, test_ctl_json_output_of_hostile_name_is_valid_json);
	tcase_add_test(tc, test_ctl_list_survives_cgroup_name_not_utf8);
	tcase_add_test(tc, test_ctl_stats_all_managed_takes_calls_independent_of_cgroups);
	tcase_add_test(tc, test_ctl_stats_all_managed_includes_name_not_utf8);
	tcase_add_test(tc, test_ctl_stats_falls_back_to_one_call_per_cgroup);
	tcase_add_test(tc, test_ctl_top_json_prints_one_array_per_refresh);
	tcase_add_test(tc, test_ctl_no_legend_drops_table_headers);
	tcase_add_test(tc, test_ctl_pager_only_on_a_terminal_and_without_no_pager);
	tcase_add_test(tc, test_ctl_pager_receives_stdout);
	tcase_add_test(tc, test_ctl_arg_kinds);
	tcase_add_test(tc, test_ctl_explain_and_stats_accept_a_pid);
	tcase_add_test(tc, test_ctl_explain_and_stats_accept_a_unit);
	tcase_add_test(tc, test_ctl_numa_table_has_total_column_and_row);
	tcase_add_test(tc, test_ctl_numa_of_given_cgroups_and_missing_one);
	tcase_add_test(tc, test_ctl_json_string_escapes_del_c1_and_invalid_utf8);
	tcase_add_test(tc, test_ctl_prometheus_label_replaces_invalid_utf8);
	suite_add_tcase(s, tc);
	return fake_run_suite(s);
}
