/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fake-tree.h"
#include "policy.h"

/* Loads text as "50-web.yaml" and returns the set, failing the test on error. */
static struct policy_set *load_ok(const char *text)
{
	struct policy_set *s = NULL;
	struct policy_error e = {};
	char m[1024];
	int r;

	r = policy_set_load_text("50-web.yaml", text, strlen(text), &s, &e);
	if (r < 0) {
		(void)policy_error_format(&e, m, sizeof(m));
		ck_abort_msg("load failed (%d): %s", r, m);
	}
	return s;
}

/* Asserts the load fails with r and exactly this "file:line:col: message". */
static void load_fails_len(const char *text, size_t len, int r, const char *expected)
{
	struct policy_set *s = (struct policy_set *)0x1;
	struct policy_error e = {};
	char m[1024];

	ck_assert_int_eq(policy_set_load_text("50-web.yaml", text, len, &s, &e), r);
	ck_assert_ptr_eq(s, (struct policy_set *)0x1);
	ck_assert_int_eq(policy_error_format(&e, m, sizeof(m)), 0);
	ck_assert_str_eq(m, expected);
}

static void load_fails(const char *text, const char *expected)
{
	load_fails_len(text, strlen(text), -EINVAL, expected);
}

#define HEAD "version: 1\nrules:\n"
/* A complete rule whose promotion block is open for one more key at column 7. */
#define RULE(extra)                                                                                               \
	HEAD "  - name: web\n"                                                                                    \
	     "    priority: 50\n"                                                                                 \
	     "    match:\n"                                                                                       \
	     "      cgroup: \"system.slice/*\"\n"                                                                 \
	     "    promotion:\n" extra

START_TEST(test_policy_load_reads_every_field)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;
	const struct policy_rule *r;

	s = load_ok(HEAD "  - name: web\n"
			 "    description: latency-critical web tier\n"
			 "    priority: -5\n"
			 "    match:\n"
			 "      cgroup: \"system.slice/**\"\n"
			 "      unit: \"nginx*.service\"\n"
			 "      qos: BestEffort\n"
			 "    promotion:\n"
			 "      max: 64MiB/s\n"
			 "      period: 100ms\n"
			 "      weight: 200\n");
	ck_assert_uint_eq(policy_set_n_rules(s), 1);
	r = policy_set_rule(s, 0);
	ck_assert_str_eq(r->name, "web");
	ck_assert_str_eq(r->description, "latency-critical web tier");
	ck_assert_int_eq(r->priority, -5);
	ck_assert_str_eq(r->file, "50-web.yaml");
	ck_assert_uint_eq(r->line, 3);
	ck_assert_uint_eq(r->column, 5);
	ck_assert_str_eq(r->match.cgroup, "system.slice/**");
	ck_assert_str_eq(r->match.unit, "nginx*.service");
	ck_assert_int_eq(r->match.qos, POLICY_QOS_BESTEFFORT);
	ck_assert(r->promotion.has_max);
	ck_assert_uint_eq(r->promotion.max_bytes_per_sec, 64ULL << 20);
	ck_assert(r->promotion.has_period);
	ck_assert_uint_eq(r->promotion.period_us, 100000);
	ck_assert(r->promotion.has_weight);
	ck_assert_uint_eq(r->promotion.weight, 200);
	ck_assert_ptr_eq(policy_set_rule_by_name(s, "web"), r);
	ck_assert_ptr_null(policy_set_rule_by_name(s, "nope"));
	ck_assert_ptr_null(policy_set_rule(s, 1));
}
END_TEST

START_TEST(test_policy_load_leaves_unset_keys_unset)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;
	const struct policy_rule *r;

	s = load_ok(RULE("      weight: 10\n"));
	r = policy_set_rule(s, 0);
	ck_assert(!r->promotion.has_max);
	ck_assert(!r->promotion.has_period);
	ck_assert_uint_eq(r->promotion.weight, 10);
	ck_assert_ptr_null(r->description);
	ck_assert_ptr_null(r->match.unit);
	ck_assert_int_eq(r->match.qos, POLICY_QOS_NONE);
}
END_TEST

START_TEST(test_policy_load_accepts_flow_style_and_quoted_strings)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;

	s = load_ok("{version: 1, rules: [{name: 'a', priority: 0, match: {unit: '*.scope'}, "
		    "promotion: {max: \"unlimited\"}}, {name: b, priority: 1, match: {qos: guaranteed}, "
		    "promotion: {max: 1GiB/s}}]}\n");
	ck_assert_uint_eq(policy_set_n_rules(s), 2);
	ck_assert_uint_eq(policy_set_rule(s, 0)->promotion.max_bytes_per_sec, PROMOTION_MAX_UNLIMITED);
	ck_assert_uint_eq(policy_set_rule(s, 1)->index, 1);
}
END_TEST

START_TEST(test_policy_load_empty_file_has_zero_rules)
{
	static const char *const empty[] = { "", "# only a comment\n", "---\n", "\n\n", "--- # x\n...\n" };

	for (size_t i = 0; i < ELEMENTSOF(empty); i++) {
		_cleanup_policy_set_free_ struct policy_set *s = load_ok(empty[i]);

		ck_assert_uint_eq(policy_set_n_rules(s), 0);
		ck_assert_uint_eq(policy_set_n_files(s), 1);
		ck_assert_str_eq(policy_set_file(s, 0)->name, "50-web.yaml");
		ck_assert_int_eq(policy_set_file(s, 0)->state, POLICY_FILE_LOADED);
	}
}
END_TEST

START_TEST(test_policy_load_text_names_file_by_basename)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;
	struct policy_error e = {};

	ck_assert_int_eq(policy_set_load_text("/etc/cgtier/policies.d/50-web.yaml", NULL, 0, &s, &e), 0);
	ck_assert_uint_eq(policy_set_n_files(s), 1);
	ck_assert_str_eq(policy_set_file(s, 0)->path, "/etc/cgtier/policies.d/50-web.yaml");
	ck_assert_str_eq(policy_set_file(s, 0)->name, "50-web.yaml");
	ck_assert_ptr_null(policy_set_file(s, 1));
}
END_TEST

START_TEST(test_policy_load_empty_rules_list_is_valid)
{
	_cleanup_policy_set_free_ struct policy_set *s = load_ok("version: 1\nrules: []\n");

	ck_assert_uint_eq(policy_set_n_rules(s), 0);
}
END_TEST

START_TEST(test_policy_load_rejects_unknown_key_with_suggestion)
{
	load_fails(RULE("      maxx: 64MiB/s\n"), "50-web.yaml:8:7: unknown key \"maxx\" (did you mean \"max\"?)");
	load_fails(HEAD "  - name: web\n    priorty: 1\n",
		   "50-web.yaml:4:5: unknown key \"priorty\" (did you mean \"priority\"?)");
	load_fails("version: 1\nrule: []\n", "50-web.yaml:2:1: unknown key \"rule\" (did you mean \"rules\"?)");
	load_fails(RULE("      burst: 1\n"),
		   "50-web.yaml:8:7: unknown key \"burst\" (expected one of: max, period, weight)");
}
END_TEST

START_TEST(test_policy_load_rejects_wrong_types)
{
	load_fails(RULE("      max: [64MiB/s]\n"), "50-web.yaml:8:12: \"max\" must be a scalar, got a sequence");
	load_fails(RULE("      weight: {a: 1}\n"), "50-web.yaml:8:15: \"weight\" must be a scalar, got a mapping");
	load_fails(RULE("      - max\n"), "50-web.yaml:8:7: \"promotion\" must be a mapping, got a sequence");
	load_fails("version: 1\nrules: {}\n", "50-web.yaml:2:8: \"rules\" must be a sequence of rules, got a mapping");
	load_fails("version: 1\nrules:\n",
		   "50-web.yaml:2:7: \"rules\" must be a sequence of rules, got a scalar (use \"rules: []\" for none)");
	load_fails("version: 1\nrules: [web]\n", "50-web.yaml:2:9: each rule must be a mapping, got a scalar");
	load_fails("- version: 1\n",
		   "50-web.yaml:1:1: the top level must be a mapping with \"version\" and \"rules\", got a sequence");
	load_fails("hello\n",
		   "50-web.yaml:1:1: the top level must be a mapping with \"version\" and \"rules\", got a scalar");
	load_fails("version: 1\n[a]: 1\n", "50-web.yaml:2:1: mapping keys must be scalars, got a sequence");
}
END_TEST

START_TEST(test_policy_load_rejects_missing_required_keys)
{
	load_fails("rules: []\n", "50-web.yaml:1:1: missing required key \"version\" (this cgtier reads version 1)");
	load_fails("version: 1\n", "50-web.yaml:1:1: missing required key \"rules\" (use \"rules: []\" for none)");
	load_fails(HEAD "  - priority: 1\n", "50-web.yaml:3:5: rule is missing required key \"name\"");
	load_fails(HEAD "  - name: a\n    match: {cgroup: x}\n",
		   "50-web.yaml:3:5: rule \"a\" is missing required key \"priority\"");
	load_fails(HEAD "  - name: a\n    priority: 1\n    promotion: {weight: 1}\n",
		   "50-web.yaml:3:5: rule \"a\" is missing required key \"match\"");
	load_fails(HEAD "  - name: a\n    priority: 1\n    match: {cgroup: x}\n",
		   "50-web.yaml:3:5: rule \"a\" is missing required key \"promotion\"");
}
END_TEST

START_TEST(test_policy_load_rejects_rule_without_selector_or_setting)
{
	load_fails(HEAD "  - name: a\n    priority: 1\n    match: {}\n    promotion: {weight: 1}\n",
		   "50-web.yaml:5:12: \"match\" needs at least one selector: cgroup, unit or qos "
		   "(cgroup: \"**\" matches every cgroup)");
	load_fails(RULE("      {}\n"),
		   "50-web.yaml:8:7: \"promotion\" needs at least one setting: max, period or weight");
	load_fails(RULE(""), "50-web.yaml:7:15: \"promotion\" must be a mapping, got a scalar");
	load_fails(RULE("      max:\n"), "50-web.yaml:8:11: \"max\" has no value");
}
END_TEST

START_TEST(test_policy_load_rejects_bad_rates_and_periods)
{
	load_fails(RULE("      max: 64Mb/s\n"),
		   "50-web.yaml:8:12: invalid rate \"64Mb/s\": rates are in bytes, not bits: did you mean \"64MB/s\"?");
	load_fails(RULE("      max: 64\n"),
		   "50-web.yaml:8:12: invalid rate \"64\": missing unit: write e.g. \"64MiB/s\" or \"64MB/s\"");
	load_fails_len(RULE("      max: 99999999999999999999B/s\n"), strlen(RULE("      max: 99999999999999999999B/s\n")),
		       -ERANGE, "50-web.yaml:8:12: invalid rate \"99999999999999999999B/s\": number is too large");
	load_fails_len(RULE("      period: 0ms\n"), strlen(RULE("      period: 0ms\n")), -ERANGE,
		       "50-web.yaml:8:15: invalid period \"0ms\": period must be between 1ms and 10s");
	load_fails_len(RULE("      period: 11s\n"), strlen(RULE("      period: 11s\n")), -ERANGE,
		       "50-web.yaml:8:15: invalid period \"11s\": period must be between 1ms and 10s");
	load_fails(RULE("      period: 100\n"),
		   "50-web.yaml:8:15: invalid period \"100\": missing unit: write e.g. \"100us\", \"100ms\" or \"100s\"");
}
END_TEST

START_TEST(test_policy_load_rejects_rate_too_large_for_period)
{
	const char *t = RULE("      max: 16000000TB/s\n      period: 10s\n");

	load_fails_len(t, strlen(t), -ERANGE,
		       "50-web.yaml:8:12: rate \"16000000TB/s\" is too large for a period of 10000000us");
}
END_TEST

START_TEST(test_policy_load_parses_integers_strictly)
{
	load_fails(RULE("      weight: \"10\"\n"),
		   "50-web.yaml:8:15: \"weight\" must be an unquoted integer, got the string \"10\"");
	load_fails(RULE("      weight: 010\n"),
		   "50-web.yaml:8:15: \"weight\" value \"010\" has a leading zero, which YAML 1.1 reads as octal: write \"10\"");
	load_fails(RULE("      weight: +5\n"),
		   "50-web.yaml:8:15: \"weight\" must be an integer between 1 and 10000, got \"+5\"");
	load_fails(RULE("      weight: -5\n"),
		   "50-web.yaml:8:15: \"weight\" must be an integer between 1 and 10000, got \"-5\"");
	load_fails(RULE("      weight: 0x10\n"),
		   "50-web.yaml:8:15: \"weight\" must be an integer between 1 and 10000, got \"0x10\"");
	load_fails(RULE("      weight: 1_000\n"),
		   "50-web.yaml:8:15: \"weight\" must be an integer between 1 and 10000, got \"1_000\"");
	load_fails(RULE("      weight: 1.0\n"),
		   "50-web.yaml:8:15: \"weight\" must be an integer between 1 and 10000, got \"1.0\"");
	load_fails_len(RULE("      weight: 0\n"), strlen(RULE("      weight: 0\n")), -ERANGE,
		       "50-web.yaml:8:15: \"weight\" must be between 1 and 10000, got 0");
	load_fails_len(RULE("      weight: 10001\n"), strlen(RULE("      weight: 10001\n")), -ERANGE,
		       "50-web.yaml:8:15: \"weight\" must be between 1 and 10000, got 10001");
	load_fails_len(RULE("      weight: 99999999999999999999\n"), strlen(RULE("      weight: 99999999999999999999\n")),
		       -ERANGE, "50-web.yaml:8:15: \"weight\" must be between 1 and 10000, got 99999999999999999999");
	load_fails(HEAD "  - name: a\n    priority: high\n    match: {cgroup: x}\n    promotion: {weight: 1}\n",
		   "50-web.yaml:4:15: \"priority\" must be an integer between -1000000 and 1000000, got \"high\"");
	load_fails_len(HEAD "  - name: a\n    priority: 1000001\n", strlen(HEAD "  - name: a\n    priority: 1000001\n"),
		       -ERANGE, "50-web.yaml:4:15: \"priority\" must be between -1000000 and 1000000, got 1000001");
	load_fails("version: \"1\"\nrules: []\n",
		   "50-web.yaml:1:10: \"version\" must be an unquoted integer, got the string \"1\"");
}
END_TEST

START_TEST(test_policy_load_rejects_unknown_version)
{
	load_fails("version: 2\nrules: []\nfuture: {}\n",
		   "50-web.yaml:1:10: unsupported policy version 2 (this cgtier reads version 1)");
	load_fails("version: 0\nrules: []\n",
		   "50-web.yaml:1:10: unsupported policy version 0 (this cgtier reads version 1)");
}
END_TEST

START_TEST(test_policy_load_rejects_bad_globs_and_qos)
{
	load_fails(HEAD "  - name: a\n    priority: 1\n    match: {cgroup: \"/system.slice\"}\n",
		   "50-web.yaml:5:21: invalid cgroup glob \"/system.slice\": cgroup globs are relative to the cgroup2 "
		   "root: drop the leading \"/\" (\"system.slice\")");
	load_fails(HEAD "  - name: a\n    priority: 1\n    match: {cgroup: \"a/../b\"}\n",
		   "50-web.yaml:5:21: invalid cgroup glob \"a/../b\": cgroup glob has a \"..\" component; cgroup paths "
		   "are canonical");
	load_fails(HEAD "  - name: a\n    priority: 1\n    match: {cgroup: \"\"}\n",
		   "50-web.yaml:5:21: \"cgroup\" has no value");
	load_fails(HEAD "  - name: a\n    priority: 1\n    match: {unit: nginx}\n",
		   "50-web.yaml:5:19: invalid unit glob \"nginx\": unit glob \"nginx\" can never match: unit names have "
		   "a type suffix, e.g. \"nginx.service\"");
	load_fails(HEAD "  - name: a\n    priority: 1\n    match: {qos: burstible}\n",
		   "50-web.yaml:5:18: invalid qos class \"burstible\" (did you mean \"burstable\"?)");
	load_fails(HEAD "  - name: a\n    priority: 1\n    match: {qos: gold}\n",
		   "50-web.yaml:5:18: invalid qos class \"gold\": use guaranteed, burstable or besteffort");
}
END_TEST

START_TEST(test_policy_load_hints_at_quoting_star_globs)
{
	load_fails(HEAD "  - name: a\n    priority: 1\n    match:\n      unit: *.service\n",
		   "50-web.yaml:6:14: invalid YAML: did not find expected alphabetic or numeric character (a value "
		   "starting with \"*\" must be quoted, e.g. \"*.service\")");
}
END_TEST

START_TEST(test_policy_load_rejects_bad_rule_names)
{
	load_fails(HEAD "  - name: \"a b\"\n",
		   "50-web.yaml:3:11: invalid rule name \"a b\": use at most 128 letters, digits and \"-_.@:\", starting "
		   "with a letter or digit");
	load_fails(HEAD "  - name: -a\n",
		   "50-web.yaml:3:11: invalid rule name \"-a\": use at most 128 letters, digits and \"-_.@:\", starting "
		   "with a letter or digit");
}
END_TEST

START_TEST(test_policy_load_rejects_duplicate_rule_names)
{
	load_fails(HEAD "  - {name: a, priority: 1, match: {cgroup: x}, promotion: {weight: 1}}\n"
			"  - {name: b, priority: 1, match: {cgroup: x}, promotion: {weight: 1}}\n"
			"  - {name: a, priority: 2, match: {cgroup: y}, promotion: {weight: 2}}\n",
		   "50-web.yaml:5:5: duplicate rule name \"a\" (first defined at 50-web.yaml:3:5)");
}
END_TEST

START_TEST(test_policy_load_rejects_duplicate_keys)
{
	load_fails(RULE("      max: 1MiB/s\n      weight: 1\n      max: 2MiB/s\n"),
		   "50-web.yaml:10:7: duplicate key \"max\" (first set at line 8, column 7)");
	load_fails("version: 1\nversion: 1\n", "50-web.yaml:2:1: duplicate key \"version\" (first set at line 1, column 1)");
}
END_TEST

START_TEST(test_policy_load_rejects_anchors_and_aliases)
{
	load_fails(HEAD "  - &r {name: a, priority: 1, match: {cgroup: x}, promotion: {weight: 1}}\n",
		   "50-web.yaml:3:5: YAML anchors (\"&r\") are not supported");
	/* Billion laughs: must fail at the first anchor, before any expansion. */
	load_fails("a: &a [\"lol\",\"lol\",\"lol\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b]\n",
		   "50-web.yaml:1:4: YAML anchors (\"&a\") are not supported");
	load_fails("version: 1\nrules: *x\n", "50-web.yaml:2:8: YAML aliases (\"*x\") are not supported");
	load_fails("version: !!int 1\n", "50-web.yaml:1:10: YAML tags (\"tag:yaml.org,2002:int\") are not supported");
}
END_TEST

START_TEST(test_policy_load_limits_nesting_depth)
{
	char text[256] = "version: 1\nrules: ";
	size_t l = strlen(text);

	for (int i = 0; i < 40; i++)
		text[l++] = '[';
	for (int i = 0; i < 40; i++)
		text[l++] = ']';
	text[l++] = '\n';
	text[l] = 0;
	load_fails(text, "50-web.yaml:2:23: nesting is deeper than 16 levels");
}
END_TEST

START_TEST(test_policy_load_rejects_multiple_documents)
{
	load_fails("version: 1\nrules: []\n---\nversion: 1\nrules: []\n",
		   "50-web.yaml:3:1: more than one YAML document: put each document in its own file");
}
END_TEST

START_TEST(test_policy_load_rejects_tabs)
{
	load_fails("version: 1\nrules:\n\t- name: a\n", "50-web.yaml:3:1: tab character: YAML indentation must use spaces");
}
END_TEST

START_TEST(test_policy_load_reports_invalid_utf8_position)
{
	load_fails("version: 1\nrules: [\xc3\xa9, \xff]\n",
		   "50-web.yaml:2:12: invalid text: invalid leading UTF-8 octet (files must be UTF-8)");
}
END_TEST

START_TEST(test_policy_load_accepts_utf8_bom_and_rejects_utf16)
{
	static const char utf16[] = "\xff\xfev\0e\0r\0s\0i\0o\0n\0:\0 \0001\0\n\0";
	_cleanup_policy_set_free_ struct policy_set *s = load_ok("\xef\xbb\xbfversion: 1\nrules: []\n");

	ck_assert_uint_eq(policy_set_n_rules(s), 0);
	load_fails_len(utf16, sizeof(utf16) - 1, -EINVAL,
		       "50-web.yaml:1:1: invalid text: invalid leading UTF-8 octet (files must be UTF-8)");
}
END_TEST

START_TEST(test_policy_load_rejects_nul_bytes)
{
	static const char text[] = "version: 1\n\0rules: []\n";

	load_fails_len(text, sizeof(text) - 1, -EINVAL,
		       "50-web.yaml:2:1: invalid text: control characters are not allowed (files must be UTF-8)");
	load_fails(HEAD "  - name: \"a\\0b\"\n", "50-web.yaml:3:11: value contains a NUL character");
}
END_TEST

START_TEST(test_policy_load_rejects_huge_text)
{
	size_t len = POLICY_FILE_SIZE_MAX + 1;
	_cleanup_free_ char *big = malloc(len);

	ck_assert_ptr_nonnull(big);
	memset(big, '#', len);
	load_fails_len(big, len, -EFBIG, "50-web.yaml: file is too large (1048577 bytes, limit 1048576)");
}
END_TEST

START_TEST(test_policy_load_reports_syntax_errors_with_position)
{
	load_fails("version: 1\nrules: [\n", "50-web.yaml:3:1: invalid YAML: did not find expected node content while "
					   "parsing a flow node");
	load_fails("version: 1\n  rules: []\n",
		   "50-web.yaml:2:8: invalid YAML: mapping values are not allowed in this context");
}
END_TEST

START_TEST(test_policy_load_does_not_touch_outputs_on_error)
{
	struct policy_set *s = NULL;
	struct policy_error e = {};

	ck_assert_int_eq(policy_set_load_text("x.yaml", "version: 3\n", 11, &s, &e), -EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(e.file, "x.yaml");
	ck_assert_uint_eq(e.line, 1);
	ck_assert_uint_eq(e.column, 10);
	/* A NULL error pointer is allowed. */
	ck_assert_int_eq(policy_set_load_text("x.yaml", "version: 3\n", 11, &s, NULL), -EINVAL);
}
END_TEST

START_TEST(test_policy_load_near_limit_file_with_many_rules_is_fast)
{
	_cleanup_policy_set_free_ struct policy_set *s = NULL;
	_cleanup_free_ char *text = malloc(POLICY_FILE_SIZE_MAX);
	size_t n = 0, len;
	char last[32];

	/* ~12000 rules: quadratic name checks or list growth would hit Check's timeout. */
	ck_assert_ptr_nonnull(text);
	len = (size_t)sprintf(text, "version: 1\nrules:\n");
	while (len < POLICY_FILE_SIZE_MAX - 200) {
		len += (size_t)sprintf(text + len,
				       "  - {name: r%zu, priority: %zu, match: {cgroup: \"a/**/b*\"}, "
				       "promotion: {max: 1MiB/s}}\n",
				       n, n % 7);
		n++;
	}
	s = load_ok(text);
	ck_assert_uint_ge(n, 10000);
	ck_assert_uint_eq(policy_set_n_rules(s), n);
	ck_assert_str_eq(policy_set_rule(s, 0)->name, "r0");
	(void)snprintf(last, sizeof(last), "r%zu", n - 1);
	ck_assert_str_eq(policy_set_rule(s, n - 1)->name, last);
}
END_TEST

START_TEST(test_policy_error_format_without_position)
{
	struct policy_error e = { .file = "a.yaml", .message = "cannot open: Permission denied" };
	char buf[64];

	ck_assert_int_eq(policy_error_format(&e, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "a.yaml: cannot open: Permission denied");
	e.file[0] = 0;
	ck_assert_int_eq(policy_error_format(&e, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "cannot open: Permission denied");
	ck_assert_int_eq(policy_error_format(&e, buf, 4), -ENOBUFS);
}
END_TEST

static Suite *policy_load_suite(void)
{
	Suite *s = suite_create("policy-load");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_policy_load_reads_every_field);
	tcase_add_test(tc, test_policy_load_leaves_unset_keys_unset);
	tcase_add_test(tc, test_policy_load_accepts_flow_style_and_quoted_strings);
	tcase_add_test(tc, test_policy_load_empty_file_has_zero_rules);
	tcase_add_test(tc, test_policy_load_text_names_file_by_basename);
	tcase_add_test(tc, test_policy_load_empty_rules_list_is_valid);
	tcase_add_test(tc, test_policy_load_rejects_unknown_key_with_suggestion);
	tcase_add_test(tc, test_policy_load_rejects_wrong_types);
	tcase_add_test(tc, test_policy_load_rejects_missing_required_keys);
	tcase_add_test(tc, test_policy_load_rejects_rule_without_selector_or_setting);
	tcase_add_test(tc, test_policy_load_rejects_bad_rates_and_periods);
	tcase_add_test(tc, test_policy_load_rejects_rate_too_large_for_period);
	tcase_add_test(tc, test_policy_load_parses_integers_strictly);
	tcase_add_test(tc, test_policy_load_rejects_unknown_version);
	tcase_add_test(tc, test_policy_load_rejects_bad_globs_and_qos);
	tcase_add_test(tc, test_policy_load_hints_at_quoting_star_globs);
	tcase_add_test(tc, test_policy_load_rejects_bad_rule_names);
	tcase_add_test(tc, test_policy_load_rejects_duplicate_rule_names);
	tcase_add_test(tc, test_policy_load_rejects_duplicate_keys);
	tcase_add_test(tc, test_policy_load_rejects_anchors_and_aliases);
	tcase_add_test(tc, test_policy_load_limits_nesting_depth);
	tcase_add_test(tc, test_policy_load_rejects_multiple_documents);
	tcase_add_test(tc, test_policy_load_rejects_tabs);
	tcase_add_test(tc, test_policy_load_reports_invalid_utf8_position);
	tcase_add_test(tc, test_policy_load_accepts_utf8_bom_and_rejects_utf16);
	tcase_add_test(tc, test_policy_load_rejects_nul_bytes);
	tcase_add_test(tc, test_policy_load_rejects_huge_text);
	tcase_add_test(tc, test_policy_load_reports_syntax_errors_with_position);
	tcase_add_test(tc, test_policy_load_does_not_touch_outputs_on_error);
	tcase_add_test(tc, test_policy_load_near_limit_file_with_many_rules_is_fast);
	tcase_add_test(tc, test_policy_error_format_without_position);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fake_run_suite(policy_load_suite());
}
