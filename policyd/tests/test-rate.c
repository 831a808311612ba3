/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fake-tree.h"
#include "policy.h"
#include "rate.h"

#define MiB (1024ULL * 1024)

static uint64_t rate_ok(const char *s)
{
	uint64_t v = 0;

	ck_assert_msg(rate_parse(s, &v) == 0, "rate_parse(\"%s\") failed", s);
	return v;
}

static void rate_fails(const char *s, int expected, const char *why_part)
{
	uint64_t v = 12345;
	char why[256] = "";

	ck_assert_int_eq(rate_parse_explained(s, &v, why, sizeof(why)), expected);
	ck_assert_msg(strstr(why, why_part), "reason for \"%s\" is \"%s\", lacks \"%s\"", s, why, why_part);
	ck_assert_uint_eq(v, 12345); /* untouched on failure */
}

START_TEST(test_rate_parses_binary_and_decimal_units)
{
	ck_assert_uint_eq(rate_ok("64MiB/s"), 64 * MiB);
	ck_assert_uint_eq(rate_ok("1GiB/s"), 1024 * MiB);
	ck_assert_uint_eq(rate_ok("512KiB/s"), 512 * 1024);
	ck_assert_uint_eq(rate_ok("2TiB/s"), 2ULL << 40);
	ck_assert_uint_eq(rate_ok("10MB/s"), 10000000);
	ck_assert_uint_eq(rate_ok("10kB/s"), 10000);
	ck_assert_uint_eq(rate_ok("10KB/s"), 10000);
	ck_assert_uint_eq(rate_ok("3GB/s"), 3000000000ULL);
	ck_assert_uint_eq(rate_ok("100B/s"), 100);
	ck_assert_uint_eq(rate_ok("64 MiB/s"), 64 * MiB);
}
END_TEST

START_TEST(test_rate_parses_fractions_exactly)
{
	ck_assert_uint_eq(rate_ok("1.5GiB/s"), 1536 * MiB);
	ck_assert_uint_eq(rate_ok("0.5KiB/s"), 512);
	/* 0.3 B rounds to 0, 0.5 B rounds up. */
	ck_assert_uint_eq(rate_ok("0.3B/s"), 0);
	ck_assert_uint_eq(rate_ok("0.5B/s"), 1);
}
END_TEST

START_TEST(test_rate_parses_unlimited_and_zero)
{
	ck_assert_uint_eq(rate_ok("unlimited"), PROMOTION_MAX_UNLIMITED);
	ck_assert_uint_eq(rate_ok("max"), PROMOTION_MAX_UNLIMITED);
	ck_assert_uint_eq(rate_ok("0B/s"), 0);
}
END_TEST

START_TEST(test_rate_rejects_bits_bare_numbers_and_missing_per_second)
{
	rate_fails("64Mb/s", -EINVAL, "did you mean \"64MB/s\"?");
	rate_fails("64 Mib/s", -EINVAL, "did you mean \"64 MiB/s\"?");
	rate_fails("64", -EINVAL, "missing unit: write e.g. \"64MiB/s\"");
	rate_fails("64MiB", -EINVAL, "did you mean \"64MiB/s\"?");
	rate_fails("64MiB/min", -EINVAL, "did you mean \"64MiB/s\"?");
	rate_fails("64M/s", -EINVAL, "ambiguous unit \"M\"");
	rate_fails("64XB/s", -EINVAL, "unknown unit \"XB\"");
	rate_fails("-1MiB/s", -EINVAL, "expected a number");
	rate_fails("+1MiB/s", -EINVAL, "expected a number");
	rate_fails("", -EINVAL, "expected a number");
	rate_fails("1.MiB/s", -EINVAL, "expected a number");
	rate_fails(" 1MiB/s", -EINVAL, "expected a number");
	rate_fails("1MiB/s ", -EINVAL, "did you mean");
	rate_fails("Unlimited", -EINVAL, "expected a number");
}
END_TEST

START_TEST(test_rate_rejects_overflow)
{
	rate_fails("18446744073709551616B/s", -ERANGE, "too large");
	rate_fails("16777216TiB/s", -ERANGE, "too large");
	/* UINT64_MAX itself is the "unlimited" sentinel, not a rate. */
	rate_fails("18446744073709551615B/s", -ERANGE, "too large");
	ck_assert_uint_eq(rate_ok("18446744073709551614B/s"), UINT64_MAX - 1);
}
END_TEST

static void format_is(uint64_t v, const char *expected)
{
	char buf[RATE_STRING_MAX];

	ck_assert_int_eq(rate_format(v, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, expected);
}

START_TEST(test_rate_format_picks_largest_binary_unit)
{
	format_is(16 * MiB, "16.0 MiB/s");
	format_is(512, "512 B/s");
	format_is(0, "0 B/s");
	format_is(1024, "1.0 KiB/s");
	format_is(1536 * MiB, "1.5 GiB/s");
	format_is(10000000, "9.5 MiB/s");
	format_is(PROMOTION_MAX_UNLIMITED, "unlimited");
	format_is(UINT64_MAX - 1, "16.0 EiB/s");
}
END_TEST

START_TEST(test_rate_format_carries_rounding_into_next_unit)
{
	/* 1023.96 KiB would print as "1024.0 KiB/s". */
	format_is(1048535, "1.0 MiB/s");
}
END_TEST

START_TEST(test_rate_format_reports_short_buffer)
{
	char buf[4];

	ck_assert_int_eq(rate_format(16 * MiB, buf, sizeof(buf)), -ENOBUFS);
}
END_TEST

START_TEST(test_rate_format_round_trips_through_parse)
{
	static const char *const in[] = { "64MiB/s", "1GiB/s", "512KiB/s", "unlimited" };
	char buf[RATE_STRING_MAX];

	for (size_t i = 0; i < ELEMENTSOF(in); i++) {
		uint64_t a = rate_ok(in[i]), b;
		char *space;

		ck_assert_int_eq(rate_format(a, buf, sizeof(buf)), 0);
		/* The human form has a space and one decimal: both parse. */
		ck_assert_int_eq(rate_parse(buf, &b), 0);
		ck_assert_uint_eq(a, b);
		space = strchr(buf, ' ');
		if (space)
			memmove(space, space + 1, strlen(space));
		ck_assert_int_eq(rate_parse(buf, &b), 0);
		ck_assert_uint_eq(a, b);
	}
}
END_TEST

START_TEST(test_period_parses_units)
{
	uint64_t us = 0;

	ck_assert_int_eq(period_parse("100ms", &us), 0);
	ck_assert_uint_eq(us, 100000);
	ck_assert_int_eq(period_parse("1s", &us), 0);
	ck_assert_uint_eq(us, 1000000);
	ck_assert_int_eq(period_parse("250000us", &us), 0);
	ck_assert_uint_eq(us, 250000);
	ck_assert_int_eq(period_parse("1.5s", &us), 0);
	ck_assert_uint_eq(us, 1500000);
	ck_assert_int_eq(period_parse("1ms", &us), 0);
	ck_assert_uint_eq(us, 1000);
	ck_assert_int_eq(period_parse("10s", &us), 0);
	ck_assert_uint_eq(us, 10000000);
	ck_assert_int_eq(period_parse("500\xc2\xb5s", &us), -ERANGE);
	ck_assert_int_eq(period_parse("5000\xc2\xb5s", &us), 0);
	ck_assert_uint_eq(us, 5000);
}
END_TEST

START_TEST(test_rate_rejects_zero_period)
{
	uint64_t us = 7, max = 7;
	char why[256] = "";

	ck_assert_int_eq(period_parse_explained("0ms", &us, why, sizeof(why)), -ERANGE);
	ck_assert_str_eq(why, "period must be between 1ms and 10s");
	ck_assert_uint_eq(us, 7);
	ck_assert_int_eq(rate_to_max_bytes(MiB, 0, &max), -ERANGE);
	ck_assert_uint_eq(max, 7);
}
END_TEST

START_TEST(test_period_rejects_out_of_kernel_range_and_bare_numbers)
{
	uint64_t us = 7;
	char why[256] = "";

	ck_assert_int_eq(period_parse("999us", &us), -ERANGE);
	ck_assert_int_eq(period_parse("10001ms", &us), -ERANGE);
	ck_assert_int_eq(period_parse("99999999999999999999s", &us), -ERANGE);
	ck_assert_int_eq(period_parse_explained("100000", &us, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "missing unit: write e.g. \"100000us\", \"100000ms\" or \"100000s\"");
	ck_assert_int_eq(period_parse_explained("1min", &us, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "unknown unit \"min\": use us, ms or s");
	ck_assert_int_eq(period_parse("-1s", &us), -EINVAL);
	ck_assert_uint_eq(us, 7);
}
END_TEST

START_TEST(test_period_format_uses_largest_exact_unit)
{
	char buf[RATE_STRING_MAX];

	ck_assert_int_eq(period_format(100000, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "100ms");
	ck_assert_int_eq(period_format(2000000, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "2s");
	ck_assert_int_eq(period_format(2500, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "2500us");
}
END_TEST

START_TEST(test_rate_to_max_bytes_scales_by_period_and_rounds)
{
	uint64_t max = 0;

	ck_assert_int_eq(rate_to_max_bytes(64 * MiB, 100000, &max), 0);
	ck_assert_uint_eq(max, 6710886); /* 6710886.4 */
	ck_assert_int_eq(rate_to_max_bytes(16 * MiB, 1000000, &max), 0);
	ck_assert_uint_eq(max, 16777216);
	ck_assert_int_eq(rate_to_max_bytes(15, 100000, &max), 0);
	ck_assert_uint_eq(max, 2); /* 1.5 rounds up */
	ck_assert_int_eq(rate_to_max_bytes(PROMOTION_MAX_UNLIMITED, 1000, &max), 0);
	ck_assert_uint_eq(max, PROMOTION_MAX_UNLIMITED);
}
END_TEST

START_TEST(test_rate_to_max_bytes_never_rounds_a_nonzero_rate_to_zero)
{
	uint64_t max = 7;

	ck_assert_int_eq(rate_to_max_bytes(1, 1000, &max), 0);
	ck_assert_uint_eq(max, 1);
	ck_assert_int_eq(rate_to_max_bytes(0, 1000, &max), 0);
	ck_assert_uint_eq(max, 0);
}
END_TEST

START_TEST(test_rate_to_max_bytes_rejects_budget_that_aliases_max)
{
	uint64_t max = 7;

	ck_assert_int_eq(rate_to_max_bytes(UINT64_MAX - 1, 10000000, &max), -ERANGE);
	ck_assert_uint_eq(max, 7);
}
END_TEST

START_TEST(test_promotion_max_parse_reads_kernel_text)
{
	uint64_t max = 0, period = 0;

	ck_assert_int_eq(promotion_max_parse("max 1000000\n", &max, &period), 0);
	ck_assert_uint_eq(max, PROMOTION_MAX_UNLIMITED);
	ck_assert_uint_eq(period, 1000000);
	ck_assert_int_eq(promotion_max_parse("16777216 1000000", &max, &period), 0);
	ck_assert_uint_eq(max, 16777216);
	ck_assert_uint_eq(period, 1000000);
	ck_assert_int_eq(promotion_max_parse("0 100000\n", &max, NULL), 0);
	ck_assert_uint_eq(max, 0);
}
END_TEST

START_TEST(test_promotion_max_parse_rejects_malformed_text)
{
	static const char *const bad[] = {
		"", "\n", "max", "max\n", "max  1000000", " max 1000000", "max 1000000\n\n", "max 0",
		"16M 1000000", "-1 1000000", "max 1000000 x", "max 18446744073709551616", "MAX 1000000",
		"max 1000000 ",
	};
	uint64_t max = 7, period = 7;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		ck_assert_msg(promotion_max_parse(bad[i], &max, &period) == -EINVAL, "accepted \"%s\"", bad[i]);
		ck_assert_uint_eq(max, 7);
		ck_assert_uint_eq(period, 7);
	}
}
END_TEST

START_TEST(test_promotion_max_format_matches_kernel)
{
	char buf[RATE_STRING_MAX];

	ck_assert_int_eq(promotion_max_format(PROMOTION_MAX_UNLIMITED, 1000000, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, PROMOTION_MAX_DEFAULT_STRING);
	ck_assert_int_eq(promotion_max_format(16777216, 100000, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "16777216 100000");
}
END_TEST

START_TEST(test_promotion_weight_parse_checks_range)
{
	uint32_t w = 7;

	ck_assert_int_eq(promotion_weight_parse("100\n", &w), 0);
	ck_assert_uint_eq(w, 100);
	ck_assert_int_eq(promotion_weight_parse("10000", &w), 0);
	ck_assert_uint_eq(w, 10000);
	ck_assert_int_eq(promotion_weight_parse("1", &w), 0);
	ck_assert_uint_eq(w, 1);
	ck_assert_int_eq(promotion_weight_parse("0", &w), -ERANGE);
	ck_assert_int_eq(promotion_weight_parse("10001", &w), -ERANGE);
	ck_assert_int_eq(promotion_weight_parse("-1", &w), -EINVAL);
	ck_assert_int_eq(promotion_weight_parse("1e3", &w), -EINVAL);
	ck_assert_int_eq(promotion_weight_parse("", &w), -EINVAL);
	ck_assert_uint_eq(w, 1);
}
END_TEST

START_TEST(test_promotion_setting_to_max_string_uses_period)
{
	struct promotion_setting s = { .has_max = true, .max_bytes_per_sec = 64 * MiB, .has_period = true,
				       .period_us = 100000 };
	char buf[RATE_STRING_MAX];

	ck_assert_int_eq(promotion_setting_to_max_string(&s, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "6710886 100000");

	s.has_period = false;
	ck_assert_int_eq(promotion_setting_to_max_string(&s, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "67108864 1000000");

	s.max_bytes_per_sec = PROMOTION_MAX_UNLIMITED;
	ck_assert_int_eq(promotion_setting_to_max_string(&s, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "max 1000000");

	s = (struct promotion_setting){ .has_period = true, .period_us = 250000 };
	ck_assert_int_eq(promotion_setting_to_max_string(&s, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "max 250000");
}
END_TEST

START_TEST(test_promotion_setting_to_max_string_without_max_or_period_is_nodata)
{
	struct promotion_setting s = { .has_weight = true, .weight = 50 };
	char buf[RATE_STRING_MAX] = "untouched";

	ck_assert_int_eq(promotion_setting_to_max_string(&s, buf, sizeof(buf)), -ENODATA);
	ck_assert_str_eq(buf, "untouched");
}
END_TEST

START_TEST(test_promotion_setting_format_lists_what_is_set)
{
	struct promotion_setting s = { .has_max = true, .max_bytes_per_sec = 64 * MiB, .has_period = true,
				       .period_us = 100000, .has_weight = true, .weight = 50 };
	char buf[128];

	ck_assert_int_eq(promotion_setting_format(&s, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "max=64.0 MiB/s period=100ms weight=50");
	s.has_max = false;
	ck_assert_int_eq(promotion_setting_format(&s, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "period=100ms weight=50");
}
END_TEST

static Suite *rate_suite(void)
{
	Suite *s = suite_create("rate");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_rate_parses_binary_and_decimal_units);
	tcase_add_test(tc, test_rate_parses_fractions_exactly);
	tcase_add_test(tc, test_rate_parses_unlimited_and_zero);
	tcase_add_test(tc, test_rate_rejects_bits_bare_numbers_and_missing_per_second);
	tcase_add_test(tc, test_rate_rejects_overflow);
	tcase_add_test(tc, test_rate_format_picks_largest_binary_unit);
	tcase_add_test(tc, test_rate_format_carries_rounding_into_next_unit);
	tcase_add_test(tc, test_rate_format_reports_short_buffer);
	tcase_add_test(tc, test_rate_format_round_trips_through_parse);
	tcase_add_test(tc, test_period_parses_units);
	tcase_add_test(tc, test_rate_rejects_zero_period);
	tcase_add_test(tc, test_period_rejects_out_of_kernel_range_and_bare_numbers);
	tcase_add_test(tc, test_period_format_uses_largest_exact_unit);
	tcase_add_test(tc, test_rate_to_max_bytes_scales_by_period_and_rounds);
	tcase_add_test(tc, test_rate_to_max_bytes_never_rounds_a_nonzero_rate_to_zero);
	tcase_add_test(tc, test_rate_to_max_bytes_rejects_budget_that_aliases_max);
	tcase_add_test(tc, test_promotion_max_parse_reads_kernel_text);
	tcase_add_test(tc, test_promotion_max_parse_rejects_malformed_text);
	tcase_add_test(tc, test_promotion_max_format_matches_kernel);
	tcase_add_test(tc, test_promotion_weight_parse_checks_range);
	tcase_add_test(tc, test_promotion_setting_to_max_string_uses_period);
	tcase_add_test(tc, test_promotion_setting_to_max_string_without_max_or_period_is_nodata);
	tcase_add_test(tc, test_promotion_setting_format_lists_what_is_set);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fake_run_suite(rate_suite());
}
