/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Log lines as journal fields: a sink captures what would go to the
 * journal, so the tests see MESSAGE=, PRIORITY=, CODE_*, ERRNO= and the
 * CGTIER_CGROUP=/CGTIER_POLICY= fields that `journalctl CGTIER_CGROUP=...`
 * filters on; and the daemon's lines about a cgroup carry them.
 */
#include <systemd/sd-event.h>

#include "fake-tree.h"
#include "log.h"
#include "manager.h"
#include "util.h"

#define MAX_LINES 64

struct line {
	int level;
	char *fields[16];
	size_t n;
};

static struct line lines[MAX_LINES];
static size_t n_lines;

static void capture(void *userdata, int level, const struct iovec *fields, size_t n)
{
	struct line *l;

	ck_assert_uint_lt(n_lines, MAX_LINES);
	ck_assert_uint_le(n, ELEMENTSOF(l->fields));
	l = &lines[n_lines++];
	l->level = level;
	l->n = n;
	for (size_t i = 0; i < n; i++)
		l->fields[i] = strndup(fields[i].iov_base, fields[i].iov_len);
}

static const char *field(const struct line *l, const char *key)
{
	size_t k = strlen(key);

	for (size_t i = 0; i < l->n; i++)
		if (strncmp(l->fields[i], key, k) == 0 && l->fields[i][k] == '=')
			return l->fields[i] + k + 1;
	return NULL;
}

static void setup(void)
{
	n_lines = 0;
	log_set_max_level(LOG_DEBUG);
	log_set_sink(capture, NULL);
}

static void teardown(void)
{
	log_set_sink(NULL, NULL);
	for (size_t i = 0; i < n_lines; i++)
		for (size_t j = 0; j < lines[i].n; j++)
			free(lines[i].fields[j]);
}

START_TEST(test_log_cgroup_line_carries_journal_fields)
{
	char want_line[16];
	int r, line = __LINE__ + 1;
	r = log_cgroup_full_errno(LOG_WARNING, -EACCES, "/system.slice/app.service", "web",
				  "could not set %s: %m", "memory.promotion.max");

	ck_assert_int_eq(r, -EACCES);
	ck_assert_uint_eq(n_lines, 1);
	ck_assert_int_eq(lines[0].level, LOG_WARNING);
	ck_assert_str_eq(field(&lines[0], "MESSAGE"),
			 "could not set memory.promotion.max: Permission denied");
	ck_assert_str_eq(field(&lines[0], "PRIORITY"), "4");
	ck_assert_str_eq(field(&lines[0], "CGTIER_CGROUP"), "/system.slice/app.service");
	ck_assert_str_eq(field(&lines[0], "CGTIER_POLICY"), "web");
	ck_assert_str_eq(field(&lines[0], "ERRNO"), "13");
	ck_assert_str_eq(field(&lines[0], "CODE_FILE"), "tests/test-log.c");
	snprintf(want_line, sizeof(want_line), "%d", line);
	ck_assert_str_eq(field(&lines[0], "CODE_LINE"), want_line);
	ck_assert_str_eq(field(&lines[0], "CODE_FUNC"), "test_log_cgroup_line_carries_journal_fields_fn");
	ck_assert_ptr_nonnull(field(&lines[0], "SYSLOG_IDENTIFIER"));
}
END_TEST

START_TEST(test_log_plain_line_has_no_cgtier_fields)
{
	log_info("Policies loaded");
	log_cgroup_debug("/a.slice", NULL, "new cgroup");

	ck_assert_uint_eq(n_lines, 2);
	ck_assert_str_eq(field(&lines[0], "MESSAGE"), "Policies loaded");
	ck_assert_str_eq(field(&lines[0], "PRIORITY"), "6");
	ck_assert_ptr_null(field(&lines[0], "CGTIER_CGROUP"));
	ck_assert_ptr_null(field(&lines[0], "CGTIER_POLICY"));
	ck_assert_ptr_null(field(&lines[0], "ERRNO"));
	/* A cgroup without a rule: no empty CGTIER_POLICY= to match on. */
	ck_assert_str_eq(field(&lines[1], "CGTIER_CGROUP"), "/a.slice");
	ck_assert_ptr_null(field(&lines[1], "CGTIER_POLICY"));
}
END_TEST

START_TEST(test_log_below_max_level_builds_nothing)
{
	log_set_max_level(LOG_INFO);
	ck_assert_int_eq(log_cgroup_full_errno(LOG_DEBUG, -ENOENT, "/a", "r", "x"), -ENOENT);
	ck_assert_uint_eq(n_lines, 0);
}
END_TEST

START_TEST(test_log_journal_stream_must_name_stderr)
{
	struct stat st = { .st_dev = 12, .st_ino = 3456 };

	ck_assert(log_stream_is_journal("12:3456", &st));
	ck_assert(!log_stream_is_journal("12:3457", &st));
	ck_assert(!log_stream_is_journal("13:3456", &st));
	ck_assert(!log_stream_is_journal("12:3456x", &st));
	ck_assert(!log_stream_is_journal("", &st));
	ck_assert(!log_stream_is_journal(NULL, &st));
}
END_TEST

/* The daemon's warning about a knob it cannot write names the cgroup and
 * the rule in fields, not only in the text. */
START_TEST(test_log_daemon_write_failure_carries_cgroup_and_rule)
{
	ManagerConfig cfg = { .backend = CGFS_BACKEND_OPENAT, .sysfs_root = "/nonexistent" };
	char cgroot[PATH_MAX], p[PATH_MAX];
	_cleanup_free_ char *tree = fake_tree_new();
	sd_event *e = NULL;
	Manager *m = NULL;
	bool found = false;

	fake_path(cgroot, sizeof(cgroot), "%s/cgroup", tree);
	fake_cgroup(tree, "cgroup", false);
	fake_cgroup(tree, "cgroup/system.slice", true);
	fake_cgroup(tree, "cgroup/system.slice/app.service", true);
	/* A knob the kernel refuses: a directory cannot be opened for writing. */
	fake_path(p, sizeof(p), "%s/system.slice/app.service/memory.promotion.weight", cgroot);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	fake_mkdir(tree, "etc/cgtier/policies.d");
	fake_write(tree, "etc/cgtier/policies.d/50-web.yaml", web_policy);
	cfg.cgroup_root = cgroot;
	cfg.root_prefix = tree;
	ck_assert_int_ge(sd_event_new(&e), 0);
	ck_assert_int_ge(manager_new(&cfg, e, &m), 0);
	(void)manager_load(m);

	for (size_t i = 0; i < n_lines; i++) {
		const char *cg = field(&lines[i], "CGTIER_CGROUP");

		if (lines[i].level > LOG_WARNING || !cg)
			continue;
		ck_assert_str_eq(cg, "/system.slice/app.service");
		ck_assert_str_eq(field(&lines[i], "CGTIER_POLICY"), "web");
		ck_assert_ptr_nonnull(strstr(field(&lines[i], "MESSAGE"), "memory.promotion.weight"));
		ck_assert_ptr_nonnull(field(&lines[i], "ERRNO"));
		found = true;
	}
	ck_assert_msg(found, "no warning with CGTIER_CGROUP among %zu lines", n_lines);
	manager_free(m);
	sd_event_unref(e);
	fake_rm_rf(tree);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("fields");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_log_cgroup_line_carries_journal_fields);
	tcase_add_test(tc, test_log_plain_line_has_no_cgtier_fields);
	tcase_add_test(tc, test_log_below_max_level_builds_nothing);
	tcase_add_test(tc, test_log_journal_stream_must_name_stderr);
	tcase_add_test(tc, test_log_daemon_write_failure_carries_cgroup_and_rule);
	suite_add_tcase(s, tc);
	return fake_run_suite(s);
}
