/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fake-tree.h"
#include "policy-glob.h"
#include "util.h"

#define assert_match(p, s) ck_assert_msg(glob_match(p, s), "\"%s\" should match \"%s\"", p, s)
#define assert_no_match(p, s) ck_assert_msg(!glob_match(p, s), "\"%s\" should not match \"%s\"", p, s)

static void cgroup_glob_invalid(const char *p, const char *why_expected)
{
	char why[256] = "";

	ck_assert_int_eq(glob_cgroup_validate(p, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, why_expected);
}

static void unit_glob_invalid(const char *p, const char *why_expected)
{
	char why[256] = "";

	ck_assert_int_eq(glob_unit_validate(p, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, why_expected);
}

START_TEST(test_glob_star_stays_within_a_component)
{
	assert_match("system.slice/*", "system.slice/nginx.service");
	assert_no_match("system.slice/*", "system.slice/nginx.service/worker");
	assert_no_match("system.slice/*", "system.slice");
	assert_match("*.slice", "system.slice");
	assert_no_match("*.slice", "user.slice/user-1000.slice");
	assert_match("system.slice/batch-*.service", "system.slice/batch-nightly.service");
	assert_match("system.slice/batch-*.service", "system.slice/batch-.service");
	assert_no_match("system.slice/batch-*.service", "system.slice/batch-a/b.service");
}
END_TEST

START_TEST(test_glob_question_mark_is_one_non_slash_character)
{
	assert_match("user-100?.slice", "user-1000.slice");
	assert_no_match("user-100?.slice", "user-100.slice");
	assert_no_match("a?b", "a/b");
}
END_TEST

START_TEST(test_glob_double_star_crosses_slashes)
{
	assert_match("**", "system.slice");
	assert_match("**", "a/b/c");
	assert_match("system.slice/**", "system.slice/a");
	assert_match("system.slice/**", "system.slice/a/b/c");
	assert_no_match("system.slice/**", "system.slice");
	assert_match("**/nginx.service", "nginx.service");
	assert_match("**/nginx.service", "system.slice/nginx.service");
	assert_match("**/nginx.service", "a/b/c/nginx.service");
	assert_no_match("**/nginx.service", "system.slice/xnginx.service");
	assert_match("kubepods**", "kubepods.slice/kubepods-burstable.slice");
}
END_TEST

START_TEST(test_glob_double_star_component_matches_zero_components)
{
	assert_match("a/**/b", "a/b");
	assert_match("a/**/b", "a/x/b");
	assert_match("a/**/b", "a/x/y/b");
	assert_no_match("a/**/b", "a/xb");
	assert_no_match("a/**/b", "ab");
	assert_match("kubepods.slice/**/*.scope", "kubepods.slice/kubepods-pod1.slice/cri-containerd-1.scope");
}
END_TEST

START_TEST(test_glob_literals_include_backslash)
{
	assert_match("system.slice/systemd-fsck@dev-disk-by\\x2duuid-*.service",
		     "system.slice/systemd-fsck@dev-disk-by\\x2duuid-1234.service");
	assert_no_match("a.b", "aXb");
	assert_match("", "");
	assert_no_match("", "a");
}
END_TEST

START_TEST(test_glob_pathological_pattern_is_fast)
{
	char s[4001], p[GLOB_PATTERN_MAX];
	size_t i;

	memset(s, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = 0;
	for (i = 0; i + 3 < 400; i += 3)
		memcpy(p + i, "**a", 3);
	memcpy(p + i, "b", 2);
	/* Backtracking matchers take exponential time here; the NFA is linear. */
	assert_no_match(p, s);
}
END_TEST

START_TEST(test_glob_cgroup_validate_accepts_good_globs)
{
	static const char *const good[] = { "**", "system.slice/*", "a/**/b", "kubepods.slice/**", "x?y", "a.b\\c" };

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		ck_assert_msg(glob_cgroup_validate(good[i], NULL, 0) == 0, "rejected \"%s\"", good[i]);
}
END_TEST

START_TEST(test_glob_cgroup_validate_rejects_bad_globs)
{
	cgroup_glob_invalid("", "cgroup glob is empty");
	cgroup_glob_invalid("/system.slice/*",
			    "cgroup globs are relative to the cgroup2 root: drop the leading \"/\" (\"system.slice/*\")");
	cgroup_glob_invalid("system.slice/", "cgroup glob ends in \"/\": to match everything below, end it in \"/**\"");
	cgroup_glob_invalid("a//b", "cgroup glob has an empty path component (\"//\")");
	cgroup_glob_invalid("a/../b", "cgroup glob has a \"..\" component; cgroup paths are canonical");
	cgroup_glob_invalid("./a", "cgroup glob has a \".\" component; cgroup paths are canonical");
	cgroup_glob_invalid("a/[ab]", "character classes (\"[...]\") are not supported in cgroup globs; use ? or *");
	cgroup_glob_invalid("a/***", "\"***\" is ambiguous: use \"*\" (within a component) or \"**\" (across \"/\")");
	cgroup_glob_invalid("a\tb", "cgroup glob contains a control character");
	cgroup_glob_invalid("system.slice/{a,b}.service",
			    "alternatives (\"{a,b}\") are not supported in cgroup globs; write one rule per alternative");
}
END_TEST

START_TEST(test_glob_cgroup_validate_rejects_overlong_glob)
{
	char p[GLOB_PATTERN_MAX + 1];

	memset(p, 'a', sizeof(p) - 1);
	p[sizeof(p) - 1] = 0;
	cgroup_glob_invalid(p, "cgroup glob is longer than 1023 characters");
}
END_TEST

START_TEST(test_glob_unit_validate_catches_globs_that_never_match)
{
	ck_assert_int_eq(glob_unit_validate("*.service", NULL, 0), 0);
	ck_assert_int_eq(glob_unit_validate("nginx*", NULL, 0), 0);
	ck_assert_int_eq(glob_unit_validate("user@1000.service", NULL, 0), 0);
	ck_assert_int_eq(glob_unit_validate("*", NULL, 0), 0);
	unit_glob_invalid("nginx", "unit glob \"nginx\" can never match: unit names have a type suffix, e.g. \"nginx.service\"");
	unit_glob_invalid("*.servce", "unknown unit type \".servce\" (did you mean \".service\"?)");
	unit_glob_invalid("*.timer",
			  "unknown unit type \".timer\": cgroups belong to .service, .scope, .slice, .socket, .mount or .swap units");
	unit_glob_invalid("system.slice/x.service",
			  "unit globs match unit names, which have no \"/\"; use cgroup: for paths");
	unit_glob_invalid("", "unit glob is empty");
	unit_glob_invalid("{nginx,db}.service",
			  "alternatives (\"{a,b}\") are not supported in unit globs; write one rule per alternative");
	unit_glob_invalid("my app.service", "unit glob contains \" \": unit names have only letters, digits and \":-_.\\@\"");
}
END_TEST

static Suite *glob_suite(void)
{
	Suite *s = suite_create("glob");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_glob_star_stays_within_a_component);
	tcase_add_test(tc, test_glob_question_mark_is_one_non_slash_character);
	tcase_add_test(tc, test_glob_double_star_crosses_slashes);
	tcase_add_test(tc, test_glob_double_star_component_matches_zero_components);
	tcase_add_test(tc, test_glob_literals_include_backslash);
	tcase_add_test(tc, test_glob_pathological_pattern_is_fast);
	tcase_add_test(tc, test_glob_cgroup_validate_accepts_good_globs);
	tcase_add_test(tc, test_glob_cgroup_validate_rejects_bad_globs);
	tcase_add_test(tc, test_glob_cgroup_validate_rejects_overlong_glob);
	tcase_add_test(tc, test_glob_unit_validate_catches_globs_that_never_match);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fake_run_suite(glob_suite());
}
