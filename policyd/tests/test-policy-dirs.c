/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fake-tree.h"
#include "policy.h"

static char *root;

#define ETC "etc/cgtier/policies.d/"
#define RUN "run/cgtier/policies.d/"
#define LIB "usr/lib/cgtier/policies.d/"

static void setup(void)
{
	root = fake_tree_new();
	fake_mkdir(root, ETC);
	fake_mkdir(root, RUN);
	fake_mkdir(root, LIB);
}

static void teardown(void)
{
	fake_rm_rf(root);
	free(root);
}

/* A file with one rule called name. */
static void write_rule(const char *rel, const char *name, int priority)
{
	char text[512];

	fake_path(text, sizeof(text),
		  "version: 1\nrules:\n  - name: %s\n    priority: %d\n    match: {cgroup: \"**\"}\n"
		  "    promotion: {weight: 10}\n",
		  name, priority);
	fake_write(root, rel, text);
}

static void mask(const char *rel)
{
	char p[PATH_MAX];

	fake_path(p, sizeof(p), "%s/%s", root, rel);
	ck_assert_int_eq(symlink("/dev/null", p), 0);
}

static struct policy_set *load_ok(void)
{
	struct policy_set *s = NULL;
	struct policy_error e = {};
	char m[PATH_MAX + 600];
	int r;

	r = policy_set_load_dirs(root, &s, &e);
	if (r < 0) {
		(void)policy_error_format(&e, m, sizeof(m));
		ck_abort_msg("load failed (%d): %s", r, m);
	}
	return s;
}

static void assert_file(const struct policy_set *s, size_t i, const char *rel, enum policy_file_state state,
			size_t n_rules)
{
	const struct policy_file *f = policy_set_file(s, i);
	char p[PATH_MAX];

	ck_assert_ptr_nonnull(f);
	fake_path(p, sizeof(p), "%s/%s", root, rel);
	ck_assert_str_eq(f->path, p);
	ck_assert_str_eq(f->name, strrchr(rel, '/') + 1);
	ck_assert_int_eq(f->state, state);
	ck_assert_uint_eq(f->n_rules, n_rules);
}

START_TEST(test_policy_dirs_missing_directories_give_empty_set)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;

	fake_rm_rf(root);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	s = load_ok();
	ck_assert_uint_eq(policy_set_n_rules(s), 0);
	ck_assert_uint_eq(policy_set_n_files(s), 0);
}
END_TEST

START_TEST(test_policy_dirs_etc_overrides_run_overrides_lib)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;

	write_rule(LIB "50-web.yaml", "from-lib", 1);
	write_rule(RUN "50-web.yaml", "from-run", 1);
	write_rule(ETC "50-web.yaml", "from-etc", 1);
	write_rule(LIB "60-db.yaml", "db-lib", 1);
	write_rule(RUN "60-db.yaml", "db-run", 1);

	s = load_ok();
	ck_assert_uint_eq(policy_set_n_rules(s), 2);
	ck_assert_str_eq(policy_set_rule(s, 0)->name, "from-etc");
	ck_assert_str_eq(policy_set_rule(s, 1)->name, "db-run");
	ck_assert_uint_eq(policy_set_n_files(s), 5);
	assert_file(s, 0, ETC "50-web.yaml", POLICY_FILE_LOADED, 1);
	assert_file(s, 1, RUN "50-web.yaml", POLICY_FILE_OVERRIDDEN, 0);
	assert_file(s, 2, LIB "50-web.yaml", POLICY_FILE_OVERRIDDEN, 0);
	assert_file(s, 3, RUN "60-db.yaml", POLICY_FILE_LOADED, 1);
	assert_file(s, 4, LIB "60-db.yaml", POLICY_FILE_OVERRIDDEN, 0);
}
END_TEST

START_TEST(test_policy_dirs_symlink_to_dev_null_masks_basename)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;

	write_rule(LIB "50-web.yaml", "vendor", 1);
	write_rule(LIB "70-keep.yaml", "keep", 1);
	mask(ETC "50-web.yaml");

	s = load_ok();
	ck_assert_uint_eq(policy_set_n_rules(s), 1);
	ck_assert_str_eq(policy_set_rule(s, 0)->name, "keep");
	assert_file(s, 0, ETC "50-web.yaml", POLICY_FILE_MASKED, 0);
	assert_file(s, 1, LIB "50-web.yaml", POLICY_FILE_OVERRIDDEN, 0);
	assert_file(s, 2, LIB "70-keep.yaml", POLICY_FILE_LOADED, 1);
}
END_TEST

START_TEST(test_policy_dirs_mask_in_lower_directory_is_overridden)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;

	mask(LIB "50-web.yaml");
	write_rule(ETC "50-web.yaml", "admin", 1);

	s = load_ok();
	ck_assert_uint_eq(policy_set_n_rules(s), 1);
	ck_assert_str_eq(policy_set_rule(s, 0)->name, "admin");
	assert_file(s, 0, ETC "50-web.yaml", POLICY_FILE_LOADED, 1);
	assert_file(s, 1, LIB "50-web.yaml", POLICY_FILE_OVERRIDDEN, 0);
}
END_TEST

START_TEST(test_policy_dirs_files_apply_in_basename_order)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;

	write_rule(ETC "90-last.yaml", "last", 1);
	write_rule(LIB "10-first.yaml", "first", 1);
	write_rule(RUN "50-middle.yaml", "middle", 1);

	s = load_ok();
	ck_assert_uint_eq(policy_set_n_rules(s), 3);
	ck_assert_str_eq(policy_set_rule(s, 0)->name, "first");
	ck_assert_str_eq(policy_set_rule(s, 1)->name, "middle");
	ck_assert_str_eq(policy_set_rule(s, 2)->name, "last");
	for (size_t i = 0; i < 3; i++)
		ck_assert_uint_eq(policy_set_rule(s, i)->index, i);
}
END_TEST

START_TEST(test_policy_dirs_equal_priority_later_basename_wins)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;
	const struct policy_rule *r = NULL;

	/* The /etc file sorts first but 20-run.yaml comes later: directory does not matter. */
	write_rule(RUN "20-run.yaml", "later", 5);
	write_rule(ETC "10-etc.yaml", "earlier", 5);
	write_rule(LIB "30-lib.yaml", "lower", 4);

	s = load_ok();
	ck_assert_int_eq(policy_set_resolve(s, "system.slice/a.service", &r), 0);
	ck_assert_str_eq(r->name, "later");
}
END_TEST

START_TEST(test_policy_dirs_ignores_non_yaml_and_hidden_files)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;

	write_rule(ETC "50-web.yaml", "web", 1);
	fake_write(root, ETC "50-web.yml", "garbage: [");
	fake_write(root, ETC "README", "garbage: [");
	fake_write(root, ETC "50-web.yaml~", "garbage: [");
	fake_write(root, ETC "50-web.yaml.dpkg-old", "garbage: [");
	fake_write(root, ETC ".50-web.yaml", "garbage: [");
	fake_write(root, ETC ".yaml", "garbage: [");

	s = load_ok();
	ck_assert_uint_eq(policy_set_n_rules(s), 1);
	ck_assert_uint_eq(policy_set_n_files(s), 1);
}
END_TEST

START_TEST(test_policy_dirs_accepts_root_prefix_with_trailing_slash)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;
	struct policy_error e = {};
	char p[PATH_MAX];

	write_rule(ETC "50-web.yaml", "web", 1);
	fake_path(p, sizeof(p), "%s//", root);
	ck_assert_int_eq(policy_set_load_dirs(p, &s, &e), 0);
	ck_assert_uint_eq(policy_set_n_rules(s), 1);
	assert_file(s, 0, ETC "50-web.yaml", POLICY_FILE_LOADED, 1);
}
END_TEST

static void load_fails(int r, const char *rel, unsigned line, unsigned column, const char *message)
{
	struct policy_set *s = NULL;
	struct policy_error e = {};
	char p[PATH_MAX];

	ck_assert_int_eq(policy_set_load_dirs(root, &s, &e), r);
	ck_assert_ptr_null(s);
	fake_path(p, sizeof(p), "%s/%s", root, rel);
	ck_assert_str_eq(e.file, p);
	ck_assert_uint_eq(e.line, line);
	ck_assert_uint_eq(e.column, column);
	ck_assert_str_eq(e.message, message);
}

START_TEST(test_policy_dirs_invalid_file_fails_whole_load)
{
	write_rule(ETC "10-good.yaml", "good", 1);
	fake_write(root, LIB "50-web.yaml", "version: 1\nrules:\n  - name: web\n    priorty: 1\n");
	write_rule(ETC "90-good.yaml", "good2", 1);

	load_fails(-EINVAL, LIB "50-web.yaml", 4, 5, "unknown key \"priorty\" (did you mean \"priority\"?)");
}
END_TEST

START_TEST(test_policy_dirs_duplicate_name_across_files_points_at_first)
{
	char m[PATH_MAX + 100];

	write_rule(LIB "10-a.yaml", "web", 1);
	write_rule(ETC "20-b.yaml", "web", 2);

	fake_path(m, sizeof(m), "duplicate rule name \"web\" (first defined at %s/" LIB "10-a.yaml:3:5)", root);
	load_fails(-EINVAL, ETC "20-b.yaml", 3, 5, m);
}
END_TEST

START_TEST(test_policy_dirs_dangling_symlink_is_an_error)
{
	char p[PATH_MAX];

	fake_path(p, sizeof(p), "%s/" ETC "50-web.yaml", root);
	ck_assert_int_eq(symlink("/nonexistent/cgtier-policy.yaml", p), 0);
	load_fails(-ENOENT, ETC "50-web.yaml", 0, 0, "cannot open: No such file or directory");
}
END_TEST

START_TEST(test_policy_dirs_directory_named_yaml_is_an_error)
{
	fake_mkdir(root, ETC "50-web.yaml");
	load_fails(-EINVAL, ETC "50-web.yaml", 0, 0, "not a regular file but a directory: refusing to read it");
}
END_TEST

/* open() of a FIFO waits for a writer: loading must not block on one
 * (a hang fails the test by Check's timeout). */
START_TEST(test_policy_dirs_fifo_named_yaml_fails_promptly)
{
	char p[PATH_MAX];

	write_rule(ETC "10-good.yaml", "good", 1);
	fake_path(p, sizeof(p), "%s/" ETC "50-web.yaml", root);
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	load_fails(-EINVAL, ETC "50-web.yaml", 0, 0, "not a regular file but a FIFO: refusing to read it");
}
END_TEST

START_TEST(test_policy_dirs_symlink_to_fifo_fails_promptly)
{
	char p[PATH_MAX], fifo[PATH_MAX];

	fake_path(fifo, sizeof(fifo), "%s/fifo", root);
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	fake_path(p, sizeof(p), "%s/" RUN "50-web.yaml", root);
	ck_assert_int_eq(symlink(fifo, p), 0);
	load_fails(-EINVAL, RUN "50-web.yaml", 0, 0, "not a regular file but a FIFO: refusing to read it");
}
END_TEST

START_TEST(test_policy_dirs_symlink_to_regular_file_loads)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;
	char p[PATH_MAX], target[PATH_MAX];

	write_rule("web.yaml", "web", 1);
	fake_path(target, sizeof(target), "%s/web.yaml", root);
	fake_path(p, sizeof(p), "%s/" ETC "50-web.yaml", root);
	ck_assert_int_eq(symlink(target, p), 0);
	s = load_ok();
	ck_assert_uint_eq(policy_set_n_rules(s), 1);
	assert_file(s, 0, ETC "50-web.yaml", POLICY_FILE_LOADED, 1);
}
END_TEST

START_TEST(test_policy_dirs_unreadable_file_is_an_error)
{
	char p[PATH_MAX];

	/* root reads anything: the permission check cannot fail there. */
	if (geteuid() == 0)
		return;
	write_rule(ETC "50-web.yaml", "web", 1);
	fake_path(p, sizeof(p), "%s/" ETC "50-web.yaml", root);
	ck_assert_int_eq(chmod(p, 0), 0);
	load_fails(-EACCES, ETC "50-web.yaml", 0, 0, "cannot open: Permission denied");
}
END_TEST

START_TEST(test_policy_dirs_huge_file_is_refused_before_parsing)
{
	char p[PATH_MAX];

	fake_path(p, sizeof(p), "%s/" RUN "50-web.yaml", root);
	fake_write(root, RUN "50-web.yaml", "");
	ck_assert_int_eq(truncate(p, POLICY_FILE_SIZE_MAX + 1), 0);
	load_fails(-EFBIG, RUN "50-web.yaml", 0, 0, "file is too large (1048577 bytes, limit 1048576)");
}
END_TEST

START_TEST(test_policy_dirs_file_exactly_at_size_limit_loads)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;
	_cleanup_free_ char *text = malloc(POLICY_FILE_SIZE_MAX + 1);

	/* One comment line padded with spaces to exactly the limit: valid, and empty. */
	ck_assert_ptr_nonnull(text);
	memset(text, ' ', POLICY_FILE_SIZE_MAX);
	text[0] = '#';
	text[POLICY_FILE_SIZE_MAX] = 0;
	fake_write(root, RUN "50-web.yaml", text);
	s = load_ok();
	ck_assert_uint_eq(policy_set_n_rules(s), 0);
	assert_file(s, 0, RUN "50-web.yaml", POLICY_FILE_LOADED, 0);
}
END_TEST

START_TEST(test_policy_dirs_empty_file_overrides_vendor_file)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;

	write_rule(LIB "50-web.yaml", "vendor", 1);
	fake_write(root, ETC "50-web.yaml", "");

	s = load_ok();
	ck_assert_uint_eq(policy_set_n_rules(s), 0);
	assert_file(s, 0, ETC "50-web.yaml", POLICY_FILE_LOADED, 0);
}
END_TEST

/* policy_set_load_files() on root-relative paths; aborts on failure. */
static struct policy_set *load_files_ok(const char *const *rel, size_t n)
{
	struct policy_set *s = NULL;
	struct policy_error e = {};
	char paths[8][PATH_MAX], *argv[8], m[PATH_MAX + 600];
	int r;

	ck_assert_uint_le(n, 8);
	for (size_t i = 0; i < n; i++) {
		fake_path(paths[i], sizeof(paths[i]), "%s/%s", root, rel[i]);
		argv[i] = paths[i];
	}
	r = policy_set_load_files(argv, n, &s, &e);
	if (r < 0) {
		(void)policy_error_format(&e, m, sizeof(m));
		ck_abort_msg("load failed (%d): %s", r, m);
	}
	return s;
}

static void load_files_fails(const char *const *rel, size_t n, struct policy_error *e)
{
	struct policy_set *s = NULL;
	char paths[8][PATH_MAX], *argv[8];

	ck_assert_uint_le(n, 8);
	for (size_t i = 0; i < n; i++) {
		fake_path(paths[i], sizeof(paths[i]), "%s/%s", root, rel[i]);
		argv[i] = paths[i];
	}
	ck_assert_int_eq(policy_set_load_files(argv, n, &s, e), -EINVAL);
	ck_assert_ptr_null(s);
}

START_TEST(test_policy_files_duplicate_name_across_files_names_both_positions)
{
	const char *rel[] = { "b/20-b.yaml", "a/10-a.yaml" };
	struct policy_error e = {};
	char m[2 * PATH_MAX + 200], want[2 * PATH_MAX + 200];

	fake_mkdir(root, "a");
	fake_mkdir(root, "b");
	write_rule("a/10-a.yaml", "web", 1);
	write_rule("b/20-b.yaml", "web", 2);

	load_files_fails(rel, 2, &e);
	ck_assert_int_eq(policy_error_format(&e, m, sizeof(m)), 0);
	fake_path(want, sizeof(want), "%s/b/20-b.yaml:3:5: duplicate rule name \"web\" (first defined at %s/a/10-a.yaml:3:5)",
		  root, root);
	ck_assert_str_eq(m, want);
}
END_TEST

START_TEST(test_policy_files_loads_valid_files_as_one_set)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;
	const char *rel[] = { "x/50-web.yaml", "y/60-db.yaml" };

	fake_mkdir(root, "x");
	fake_mkdir(root, "y");
	fake_write(root, "x/50-web.yaml", web_policy);
	write_rule("y/60-db.yaml", "db", 3);

	s = load_files_ok(rel, 2);
	ck_assert_uint_eq(policy_set_n_rules(s), 2);
	ck_assert_uint_eq(policy_set_n_files(s), 2);
	ck_assert_str_eq(policy_set_file(s, 0)->name, "50-web.yaml");
	ck_assert_uint_eq(policy_set_file(s, 0)->n_rules, 1);
	ck_assert_str_eq(policy_set_file(s, 1)->name, "60-db.yaml");
	ck_assert_str_eq(policy_set_rule(s, 1)->name, "db");
}
END_TEST

START_TEST(test_policy_files_apply_in_basename_order_not_list_order)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;
	const struct policy_rule *r = NULL;
	const char *rel[] = { "a/90-last.yaml", "b/10-first.yaml", "c/50-middle.yaml" };

	fake_mkdir(root, "a");
	fake_mkdir(root, "b");
	fake_mkdir(root, "c");
	write_rule("a/90-last.yaml", "last", 1);
	write_rule("b/10-first.yaml", "first", 1);
	write_rule("c/50-middle.yaml", "middle", 1);

	s = load_files_ok(rel, 3);
	ck_assert_str_eq(policy_set_rule(s, 0)->name, "first");
	ck_assert_str_eq(policy_set_rule(s, 1)->name, "middle");
	ck_assert_str_eq(policy_set_rule(s, 2)->name, "last");
	/* Equal priority: the later basename wins, as in the daemon. */
	ck_assert_int_eq(policy_set_resolve(s, "system.slice/a.service", &r), 0);
	ck_assert_str_eq(r->name, "last");
}
END_TEST

START_TEST(test_policy_files_same_basename_twice_is_an_error)
{
	const char *rel[] = { "a/50-web.yaml", "b/50-web.yaml" };
	struct policy_error e = {};
	char m[PATH_MAX + 100];

	fake_mkdir(root, "a");
	fake_mkdir(root, "b");
	write_rule("a/50-web.yaml", "one", 1);
	write_rule("b/50-web.yaml", "two", 1);

	load_files_fails(rel, 2, &e);
	fake_path(m, sizeof(m), "%s/b/50-web.yaml", root);
	ck_assert_str_eq(e.file, m);
	ck_assert_uint_eq(e.line, 0);
	fake_path(m, sizeof(m), "same basename as %s/a/50-web.yaml: only one would be loaded", root);
	ck_assert_str_eq(e.message, m);
}
END_TEST

START_TEST(test_policy_files_dash_reads_stdin)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct policy_error e = {};
	char p[PATH_MAX], *argv[] = { (char *)"-" };

	write_rule("in.yaml", "from-stdin", 1);
	fake_path(p, sizeof(p), "%s/in.yaml", root);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	/* Check runs each test in its own child: replacing stdin is local to it. */
	ck_assert_int_eq(dup2(fd, STDIN_FILENO), STDIN_FILENO);

	ck_assert_int_eq(policy_set_load_files(argv, 1, &s, &e), 0);
	ck_assert_str_eq(policy_set_rule(s, 0)->name, "from-stdin");
	ck_assert_str_eq(policy_set_rule(s, 0)->file, "-");
}
END_TEST

static Suite *policy_dirs_suite(void)
{
	Suite *s = suite_create("policy-dirs");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_policy_dirs_missing_directories_give_empty_set);
	tcase_add_test(tc, test_policy_dirs_etc_overrides_run_overrides_lib);
	tcase_add_test(tc, test_policy_dirs_symlink_to_dev_null_masks_basename);
	tcase_add_test(tc, test_policy_dirs_mask_in_lower_directory_is_overridden);
	tcase_add_test(tc, test_policy_dirs_files_apply_in_basename_order);
	tcase_add_test(tc, test_policy_dirs_equal_priority_later_basename_wins);
	tcase_add_test(tc, test_policy_dirs_ignores_non_yaml_and_hidden_files);
	tcase_add_test(tc, test_policy_dirs_accepts_root_prefix_with_trailing_slash);
	tcase_add_test(tc, test_policy_dirs_invalid_file_fails_whole_load);
	tcase_add_test(tc, test_policy_dirs_duplicate_name_across_files_points_at_first);
	tcase_add_test(tc, test_policy_dirs_dangling_symlink_is_an_error);
	tcase_add_test(tc, test_policy_dirs_directory_named_yaml_is_an_error);
	tcase_add_test(tc, test_policy_dirs_fifo_named_yaml_fails_promptly);
	tcase_add_test(tc, test_policy_dirs_symlink_to_fifo_fails_promptly);
	tcase_add_test(tc, test_policy_dirs_symlink_to_regular_file_loads);
	tcase_add_test(tc, test_policy_dirs_unreadable_file_is_an_error);
	tcase_add_test(tc, test_policy_dirs_huge_file_is_refused_before_parsing);
	tcase_add_test(tc, test_policy_dirs_file_exactly_at_size_limit_loads);
	tcase_add_test(tc, test_policy_dirs_empty_file_overrides_vendor_file);
	tcase_add_test(tc, test_policy_files_duplicate_name_across_files_names_both_positions);
	tcase_add_test(tc, test_policy_files_loads_valid_files_as_one_set);
	tcase_add_test(tc, test_policy_files_apply_in_basename_order_not_list_order);
	tcase_add_test(tc, test_policy_files_same_basename_twice_is_an_error);
	tcase_add_test(tc, test_policy_files_dash_reads_stdin);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fake_run_suite(policy_dirs_suite());
}
