/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state directory's files: the record format, and the rule set saved
 * as its sources. Damaged files are refused, never trusted, never fatal. */
#include <fcntl.h>
#include <sys/stat.h>

#include "fake-tree.h"
#include "policy.h"
#include "reconcile.h"
#include "state-file.h"
#include "util.h"

static char *root;
static int dir_fd = -EBADF;

static void setup(void)
{
	root = fake_tree_new();
	dir_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dir_fd, 0);
}

static void teardown(void)
{
	dir_fd = safe_close(dir_fd);
	fake_rm_rf(root);
	free(root);
}

static void write_two_records(void)
{
	/* Data with newlines, spaces and an empty record: lengths carry it all. */
	struct state_record rec[3] = {
		{ .tag = "path", .data = (char *)"/a b/c\nd", .len = 8 },
		{ .tag = "source", .data = (char *)"", .len = 0 },
		{ .tag = "x-1", .data = (char *)"end 0 0\n", .len = 8 },
	};

	ck_assert_int_eq(state_file_write(dir_fd, "t.state", "test", rec, 3), 0);
}

START_TEST(test_state_file_round_trips_any_bytes)
{
	struct state_record *rec = NULL;
	char why[128] = "";
	size_t n = 0;

	write_two_records();
	ck_assert_int_eq(state_file_read(dir_fd, "t.state", "test", &rec, &n, why, sizeof(why)), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(rec[0].tag, "path");
	ck_assert_uint_eq(rec[0].len, 8);
	ck_assert_int_eq(memcmp(rec[0].data, "/a b/c\nd", 8), 0);
	ck_assert_uint_eq(rec[1].len, 0);
	ck_assert_str_eq(rec[2].data, "end 0 0\n");
	state_records_free(rec, n);
	/* No temporary file is left behind. */
	ck_assert_int_eq(faccessat(dir_fd, ".#t.state.tmp", F_OK, 0), -1);
}
END_TEST

START_TEST(test_state_file_absent_is_enoent)
{
	struct state_record *rec = NULL;
	size_t n = 0;

	ck_assert_int_eq(state_file_read(dir_fd, "t.state", "test", &rec, &n, NULL, 0), -ENOENT);
}
END_TEST

START_TEST(test_state_file_truncated_anywhere_is_refused)
{
	_cleanup_free_ char *full = NULL;
	char p[PATH_MAX];
	size_t len;

	write_two_records();
	full = fake_read(root, "t.state");
	ck_assert_ptr_nonnull(full);
	len = strlen(full);
	fake_path(p, sizeof(p), "%s/t.state", root);
	for (size_t l = 0; l < len; l++) {
		struct state_record *rec = NULL;
		char why[128] = "";
		size_t n = 0;

		ck_assert_int_eq(truncate(p, (off_t)l), 0);
		ck_assert_msg(state_file_read(dir_fd, "t.state", "test", &rec, &n, why, sizeof(why)) == -EBADMSG,
			      "truncated to %zu bytes", l);
		ck_assert_msg(!isempty(why), "no reason for %zu bytes", l);
	}
}
END_TEST

START_TEST(test_state_file_any_flipped_byte_is_refused)
{
	_cleanup_free_ char *full = NULL;
	size_t len;

	write_two_records();
	full = fake_read(root, "t.state");
	len = strlen(full);
	for (size_t i = 0; i < len; i++) {
		struct state_record *rec = NULL;
		char *copy = strdup(full);
		size_t n = 0;
		int r;

		copy[i] ^= 0x20;
		fake_write(root, "t.state", copy);
		r = state_file_read(dir_fd, "t.state", "test", &rec, &n, NULL, 0);
		ck_assert_msg(r == -EBADMSG, "byte %zu flipped: %d", i, r);
		free(copy);
	}
}
END_TEST

START_TEST(test_state_file_other_kind_or_version_is_refused)
{
	struct state_record *rec = NULL;
	char why[128] = "";
	size_t n = 0;

	write_two_records();
	ck_assert_int_eq(state_file_read(dir_fd, "t.state", "rules", &rec, &n, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "header \"cgtier-state 1 test\", expected \"cgtier-state 1 rules\"");
	fake_write(root, "t.state", "cgtier-state 2 test\nend 0 0000000000000000\n");
	ck_assert_int_eq(state_file_read(dir_fd, "t.state", "test", &rec, &n, why, sizeof(why)), -EBADMSG);
	fake_write(root, "t.state", "\x7f" "ELF garbage");
	ck_assert_int_eq(state_file_read(dir_fd, "t.state", "test", &rec, &n, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "not a cgtier state file");
}
END_TEST

START_TEST(test_state_file_symlink_and_fifo_are_refused_without_blocking)
{
	struct state_record *rec = NULL;
	char p[PATH_MAX];
	size_t n = 0;

	fake_path(p, sizeof(p), "%s/t.state", root);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	ck_assert_int_eq(state_file_read(dir_fd, "t.state", "test", &rec, &n, NULL, 0), -EBADMSG);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	ck_assert_int_eq(state_file_read(dir_fd, "t.state", "test", &rec, &n, NULL, 0), -EBADMSG);
}
END_TEST

START_TEST(test_policy_state_round_trips_the_loaded_set)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL, *back = NULL;
	struct policy_error e = {};

	fake_mkdir(root, "etc/cgtier/policies.d");
	fake_mkdir(root, "usr/lib/cgtier/policies.d");
	fake_write(root, "etc/cgtier/policies.d/50-web.yaml", web_policy);
	fake_write(root, "usr/lib/cgtier/policies.d/10-empty.yaml", "");
	fake_write(root, "usr/lib/cgtier/policies.d/50-web.yaml", "not: loaded\n");
	ck_assert_int_eq(policy_set_load_dirs(root, &s, &e), 0);
	ck_assert_int_eq(policy_set_save_state(s, dir_fd), 0);

	ck_assert_int_eq(policy_set_load_state(dir_fd, &back, &e), 0);
	ck_assert_uint_eq(policy_set_n_rules(back), 1);
	ck_assert_str_eq(policy_set_rule(back, 0)->name, "web");
	ck_assert_str_eq(policy_set_rule(back, 0)->file, policy_set_rule(s, 0)->file);
	ck_assert_uint_eq(policy_set_rule(back, 0)->promotion.weight, 50);
	/* The loaded files only: the overridden one is not a source. */
	ck_assert_uint_eq(policy_set_n_files(back), 2);
	ck_assert_str_eq(policy_set_file(back, 1)->path, policy_set_file(s, 1)->path);
	ck_assert_uint_eq(policy_set_file(back, 1)->n_rules, 1);
}
END_TEST

START_TEST(test_policy_state_damaged_file_is_refused_with_reason)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;
	struct policy_set *back = NULL;
	struct policy_error e = {};
	char p[PATH_MAX], msg[PATH_MAX + 600];
	struct stat st;

	ck_assert_int_eq(policy_set_load_text("/etc/cgtier/policies.d/50-web.yaml", web_policy, strlen(web_policy),
					      &s, &e), 0);
	ck_assert_int_eq(policy_set_save_state(s, dir_fd), 0);
	fake_path(p, sizeof(p), "%s/" POLICY_STATE_FILE, root);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(truncate(p, st.st_size / 2), 0);

	ck_assert_int_eq(policy_set_load_state(dir_fd, &back, &e), -EBADMSG);
	ck_assert_ptr_null(back);
	ck_assert_int_ge(policy_error_format(&e, msg, sizeof(msg)), 0);
	ck_assert_msg(strstr(msg, POLICY_STATE_FILE ": truncated"), "%s", msg);
}
END_TEST

START_TEST(test_policy_state_source_that_no_longer_loads_is_refused)
{
	struct policy_set *back = NULL;
	struct policy_error e = {};
	struct state_record rec[2] = {
		{ .tag = "path", .data = (char *)"/etc/cgtier/policies.d/50-web.yaml", .len = 34 },
		{ .tag = "source", .data = (char *)"version: 2\nrules: []\n", .len = 21 },
	};

	ck_assert_int_eq(state_file_write(dir_fd, POLICY_STATE_FILE, "rules", rec, 2), 0);
	ck_assert_int_eq(policy_set_load_state(dir_fd, &back, &e), -EINVAL);
	ck_assert_ptr_null(back);
	ck_assert_str_eq(e.file, "/etc/cgtier/policies.d/50-web.yaml");
}
END_TEST

START_TEST(test_knob_state_round_trips_owned_knobs)
{
	_cleanup_reconciler_ reconciler *r = NULL, *back = NULL;
	const struct reconcile_entry *e;
	char why[128] = "";

	ck_assert_int_eq(reconciler_new(NULL, &r), 0);
	ck_assert_int_eq(reconciler_adopt(r, "/system.slice/a.service", true, false), 0);
	ck_assert_int_eq(reconciler_adopt(r, "/system.slice/b c.service", true, true), 0);
	ck_assert_int_eq(reconciler_adopt(r, "system.slice", true, true), -EINVAL);
	ck_assert_int_eq(reconciler_adopt(r, "/", true, true), -EINVAL);
	ck_assert_int_eq(reconciler_save_state(r, dir_fd), 0);

	ck_assert_int_eq(reconciler_new(NULL, &back), 0);
	ck_assert_int_eq(reconciler_load_state(back, dir_fd, why, sizeof(why)), 0);
	ck_assert_uint_eq(reconciler_n_managed(back), 2);
	e = reconciler_get(back, "/system.slice/a.service");
	ck_assert(e && e->owns_max && !e->owns_weight && !e->rule);
	e = reconciler_get(back, "/system.slice/b c.service");
	ck_assert(e && e->owns_max && e->owns_weight);
}
END_TEST

START_TEST(test_knob_state_with_bad_path_adopts_nothing)
{
	_cleanup_reconciler_ reconciler *r = NULL;
	struct state_record rec[2] = {
		{ .tag = "max", .data = (char *)"/ok", .len = 3 },
		{ .tag = "weight", .data = (char *)"/a/../etc", .len = 9 },
	};
	char why[128] = "";

	ck_assert_int_eq(state_file_write(dir_fd, RECONCILE_STATE_FILE, "knobs", rec, 2), 0);
	ck_assert_int_eq(reconciler_new(NULL, &r), 0);
	ck_assert_int_eq(reconciler_load_state(r, dir_fd, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "record 2 is not a knob of a cgroup");
	ck_assert_uint_eq(reconciler_n_managed(r), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_state_file_round_trips_any_bytes);
	tcase_add_test(tc, test_state_file_absent_is_enoent);
	tcase_add_test(tc, test_state_file_truncated_anywhere_is_refused);
	tcase_add_test(tc, test_state_file_any_flipped_byte_is_refused);
	tcase_add_test(tc, test_state_file_other_kind_or_version_is_refused);
	tcase_add_test(tc, test_state_file_symlink_and_fifo_are_refused_without_blocking);
	tcase_add_test(tc, test_policy_state_round_trips_the_loaded_set);
	tcase_add_test(tc, test_policy_state_damaged_file_is_refused_with_reason);
	tcase_add_test(tc, test_policy_state_source_that_no_longer_loads_is_refused);
	tcase_add_test(tc, test_knob_state_round_trips_owned_knobs);
	tcase_add_test(tc, test_knob_state_with_bad_path_adopts_nothing);
	suite_add_tcase(s, tc);
	return fake_run_suite(s);
}
