/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"
#include <glob.h>

#include "fake-tree.h"
#include "policy.h"

/*
 * Data-driven parser cases: each tests/data/policy/ *.yaml starts with
 *   # expect: ok N                  (loads, with N rules)
 *   # expect: LINE:COLUMN: message  (fails with exactly this error)
 * The same files seed the fuzzer. Found through $CGTIER_SRCDIR (default
 * "..": the Makefile runs tests from policyd/).
 */

static void check_case(const char *path)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;
	_cleanup_free_ char *text = NULL, *expect = NULL;
	const char *name = strrchr(path, '/') + 1, *e;
	struct policy_error err = {};
	char got[PATH_MAX + 600];
	unsigned n_rules;
	size_t len;
	int r;

	text = test_read_file(path, &len);
	e = startswith(text, "# expect: ");
	ck_assert_msg(e, "%s lacks a \"# expect: \" first line", path);
	expect = strndup(e, strcspn(e, "\n"));
	ck_assert_ptr_nonnull(expect);

	r = policy_set_load_text(name, text, len, &s, &err);
	(void)policy_error_format(&err, got, sizeof(got));

	if (sscanf(expect, "ok %u", &n_rules) == 1) {
		ck_assert_msg(r == 0, "%s: expected to load, got %s", name, got);
		ck_assert_uint_eq(policy_set_n_rules(s), n_rules);
		return;
	}

	ck_assert_msg(r < 0, "%s: expected an error, loaded", name);
	/* The expectation leaves out the file name, which is the case's own. */
	ck_assert_msg(startswith(got, name) && got[strlen(name)] == ':' && streq(got + strlen(name) + 1, expect),
		      "%s:\n  expected %s\n  got      %s", name, expect, got);
}

START_TEST(test_policy_data_cases_fail_or_load_as_annotated)
{
	const char *src = getenv("CGTIER_SRCDIR") ?: "..";
	char pattern[PATH_MAX];
	glob_t g = {};

	fake_path(pattern, sizeof(pattern), "%s/policyd/tests/data/policy/*.yaml", src);
	ck_assert_msg(glob(pattern, 0, NULL, &g) == 0, "no cases at %s (set CGTIER_SRCDIR)", pattern);
	ck_assert_uint_ge(g.gl_pathc, 15);
	for (size_t i = 0; i < g.gl_pathc; i++)
		check_case(g.gl_pathv[i]);
	globfree(&g);
}
END_TEST

static Suite *policy_data_suite(void)
{
	Suite *s = suite_create("policy-data");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_policy_data_cases_fail_or_load_as_annotated);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fake_run_suite(policy_data_suite());
}
