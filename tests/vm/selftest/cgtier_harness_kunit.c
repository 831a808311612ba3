// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit module for the VM harness's own tests: one case passes, one fails
 * on purpose, one is skipped. tests/vm/selftest.sh loads it and checks that
 * the harness counts each, and that the failure fails the run.
 */
#include <kunit/test.h>
#include <linux/module.h>

static void cgtier_harness_passes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 2 + 2, 4);
}

static void cgtier_harness_fails(struct kunit *test)
{
	KUNIT_EXPECT_EQ_MSG(test, 1, 2, "deliberate failure for the harness self-test");
}

static void cgtier_harness_skips(struct kunit *test)
{
	kunit_skip(test, "deliberate skip for the harness self-test");
}

static struct kunit_case cgtier_harness_cases[] = {
	KUNIT_CASE(cgtier_harness_passes),
	KUNIT_CASE(cgtier_harness_fails),
	KUNIT_CASE(cgtier_harness_skips),
	{}
};

static struct kunit_suite cgtier_harness_suite = {
	.name = "cgtier_harness",
	.test_cases = cgtier_harness_cases,
};
kunit_test_suite(cgtier_harness_suite);

MODULE_DESCRIPTION("cgtier VM harness self-test (deliberately failing KUnit case)");
MODULE_LICENSE("GPL");
