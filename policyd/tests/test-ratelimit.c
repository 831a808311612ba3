/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fake-tree.h"
#include "ratelimit.h"

START_TEST(test_token_bucket_allows_burst_then_one_per_interval)
{
	struct token_bucket b = TOKEN_BUCKET_INIT(500000, 3);
	uint64_t t = 1000000;

	for (int i = 0; i < 3; i++)
		ck_assert(token_bucket_take(&b, t));
	ck_assert(!token_bucket_take(&b, t));
	ck_assert_uint_eq(token_bucket_wait_usec(&b, t), 500000);
	ck_assert(!token_bucket_take(&b, t + 499999));
	ck_assert_uint_eq(token_bucket_wait_usec(&b, t + 499999), 1);
	ck_assert(token_bucket_take(&b, t + 500000));
	ck_assert(!token_bucket_take(&b, t + 500000));
	/* Elapsed fractions are not lost: 0.75 + 0.25 interval make a token. */
	ck_assert(!token_bucket_take(&b, t + 875000));
	ck_assert(token_bucket_take(&b, t + 1000000));
}
END_TEST

START_TEST(test_token_bucket_refills_no_more_than_burst)
{
	struct token_bucket b = TOKEN_BUCKET_INIT(1000, 2);

	ck_assert(token_bucket_take(&b, 0));
	ck_assert(token_bucket_take(&b, 0));
	/* An hour idle buys two calls, not 3.6 million. */
	ck_assert(token_bucket_take(&b, 3600ULL * 1000000));
	ck_assert(token_bucket_take(&b, 3600ULL * 1000000));
	ck_assert(!token_bucket_take(&b, 3600ULL * 1000000));
}
END_TEST

START_TEST(test_token_bucket_survives_clock_going_back)
{
	struct token_bucket b = TOKEN_BUCKET_INIT(1000, 1);

	ck_assert(token_bucket_take(&b, 5000));
	ck_assert(!token_bucket_take(&b, 100));
	ck_assert(token_bucket_take(&b, 1100));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_token_bucket_allows_burst_then_one_per_interval);
	tcase_add_test(tc, test_token_bucket_refills_no_more_than_burst);
	tcase_add_test(tc, test_token_bucket_survives_clock_going_back);
	suite_add_tcase(s, tc);
	return fake_run_suite(s);
}
