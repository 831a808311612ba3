// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup v2 memory-controller files of cgtier's per-cgroup promotion
 * control: memory.promotion.max, memory.promotion.weight and
 * memory.promotion.stat. Checks, each its own KTAP test point:
 *
 *  - none of the files exists on the root cgroup; all three exist in a
 *    child and in a grandchild (memory enabled in the parents'
 *    cgroup.subtree_control);
 *  - defaults: "max 1000000" and "100"; memory.promotion.stat is flat keyed
 *    with every documented key, all zero in a fresh cgroup, read-only;
 *  - memory.promotion.max: "$MAX $PERIOD" like cpu.max, K/M/G/T suffixes
 *    (powers of 1024, any case) read back in bytes, "$MAX" alone keeps the
 *    period, period 1000..10000000 us; every malformed or out-of-range value
 *    fails write(2) with EINVAL and leaves the previous value in place;
 *  - memory.promotion.weight: 1..10000, the same EINVAL rule;
 *  - a value written to a cgroup changes neither its parent nor its children
 *    nor its siblings.
 *
 * Cgroups are made under /sys/fs/cgroup/cgtier-selftest-<pid> and removed on
 * exit, also after a failure or SIGINT/SIGTERM. Exit status: 0 all passed,
 * 1 something failed, 4 (KSFT_SKIP) no cgroup v2 with the memory controller
 * here or a kernel without the files.
 *
 * Zero-length writes are not tested: the cgroup core returns 0 for them
 * before the file's handler runs. "Empty" is tested as "\n" (echo > file).
 */
#include "cgroup_helpers.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KSFT_PASS 0
#define KSFT_FAIL 1
#define KSFT_SKIP 4

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define ROOT "/sys/fs/cgroup"
#define F_MAX "memory.promotion.max"
#define F_WEIGHT "memory.promotion.weight"
#define F_STAT "memory.promotion.stat"

static const char *const promo_files[] = { F_MAX, F_WEIGHT, F_STAT };

static const char *const stat_keys[] = {
	"candidates", "queued", "promoted", "throttled", "waited",
	"dropped_overflow", "dropped_nomem", "dropped_stale", "dropped_offline",
	"failed_isolate", "failed_migrate", "batches", "copied_cpu",
	"copied_offload", "helped",
};

/* A write that must be accepted, and what the file reads afterwards. */
struct good_write {
	const char *name;
	const char *in;
	const char *want;
};

/* A write that must fail with EINVAL and change nothing. */
struct bad_write {
	const char *name;
	const char *in;
};

/* In order: each row starts from the state the row before left. */
static const struct good_write max_good[] = {
	{ "max_accepts_default_explicitly", "max 1000000", "max 1000000" },
	{ "max_accepts_M_suffix_and_period", "16M 500000", "16777216 500000" },
	{ "max_alone_keeps_period", "max", "max 500000" },
	{ "max_bytes_alone_keeps_period", "8M", "8388608 500000" },
	{ "max_accepts_zero", "0", "0 500000" },
	{ "max_accepts_min_period_1000", "0 1000", "0 1000" },
	{ "max_accepts_max_period_10000000", "max 10000000", "max 10000000" },
	{ "max_accepts_plain_bytes", "12345 20000", "12345 20000" },
	{ "max_accepts_lowercase_k", "1k 20000", "1024 20000" },
	{ "max_accepts_uppercase_K", "3K 20000", "3072 20000" },
	{ "max_accepts_lowercase_m", "5m 20000", "5242880 20000" },
	{ "max_accepts_uppercase_G", "2G 20000", "2147483648 20000" },
	{ "max_accepts_lowercase_g", "3g 20000", "3221225472 20000" },
	{ "max_accepts_uppercase_T", "1T 20000", "1099511627776 20000" },
	{ "max_accepts_lowercase_t", "2t 20000", "2199023255552 20000" },
	{ "max_accepts_trailing_newline", "4M 250000\n", "4194304 250000" },
};

/* Each starts from, and must leave, the state the last max_good row writes. */
static const struct bad_write max_bad[] = {
	{ "max_rejects_garbage_abc", "abc" },
	{ "max_rejects_unknown_suffix_16X", "16X" },
	{ "max_rejects_fraction_1.5M", "1.5M" },
	{ "max_rejects_negative_max", "-1" },
	{ "max_rejects_negative_period", "max -5" },
	{ "max_rejects_2_pow_64", "18446744073709551616" },
	{ "max_rejects_20_digit_overflow", "99999999999999999999" },
	{ "max_rejects_suffix_overflow_17179869184G", "17179869184G" },
	{ "max_rejects_period_999", "max 999" },
	{ "max_rejects_period_10000001", "max 10000001" },
	{ "max_rejects_period_0", "max 0" },
	{ "max_rejects_extra_field", "max 1000000 5" },
	{ "max_rejects_empty_line", "\n" },
	{ "max_rejects_only_spaces", "   " },
	{ "max_rejects_only_whitespace_line", " \t \n" },
};

static const struct good_write weight_good[] = {
	{ "weight_accepts_min_1", "1", "1" },
	{ "weight_accepts_max_10000", "10000", "10000" },
	{ "weight_accepts_trailing_newline", "42\n", "42" },
	{ "weight_accepts_300", "300", "300" },
};

static const struct bad_write weight_bad[] = {
	{ "weight_rejects_0", "0" },
	{ "weight_rejects_10001", "10001" },
	{ "weight_rejects_negative", "-1" },
	{ "weight_rejects_garbage_abc", "abc" },
	{ "weight_rejects_extra_field", "100 2" },
	{ "weight_rejects_empty_line", "\n" },
	{ "weight_rejects_only_spaces", "   " },
	{ "weight_rejects_2_pow_32", "4294967296" },
	{ "weight_rejects_2_pow_32_plus_300", "4294967596" },
	{ "weight_rejects_2_pow_64", "18446744073709551616" },
};

/* Test points outside the tables. */
#define N_EXIST (3 * ARRAY_SIZE(promo_files))	/* root, child, grandchild */
#define N_DEFAULTS 4
#define N_STAT (ARRAY_SIZE(stat_keys) + 4)	/* format, keys, zero, mode, write */
#define N_INDEP 10

static int test_num;
static int n_fail;

/* Cgroups this run made, removed in reverse order on exit. */
static char made[4][CG_PATH_MAX];
static int n_made;
static bool enabled_root_memory;

static void remove_cgroups(void)
{
	while (n_made > 0)
		cg_destroy(made[--n_made]);
}

static void cleanup(void)
{
	remove_cgroups();
	if (enabled_root_memory) {
		/* Best effort: other cgroups may need it by now. */
		cg_write_str(ROOT, "cgroup.subtree_control", "-memory");
		enabled_root_memory = false;
	}
}

static void on_signal(int sig)
{
	remove_cgroups();	/* only async-signal-safe calls */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

static void result(bool ok, const char *name)
{
	test_num++;
	if (!ok)
		n_fail++;
	printf("%sok %d %s\n", ok ? "" : "not ", test_num, name);
}

/* @s made printable for diagnostics: "\n" -> "\\n", etc.; static buffer. */
static const char *quote(const char *s)
{
	static char buf[2][512];
	static int which;
	char *b = buf[which ^= 1];
	size_t o = 0;

	b[o++] = '"';
	for (; *s && o < sizeof(buf[0]) - 8; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			o += (size_t)sprintf(b + o, "\\n");
		else if (c == '\t')
			o += (size_t)sprintf(b + o, "\\t");
		else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)sprintf(b + o, "\\x%02x", c);
		else
			b[o++] = (char)c;
	}
	b[o++] = '"';
	b[o] = '\0';
	return b;
}

/*
 * Read @dir/@file, one value on one line: the text without its newline in
 * @buf. A read error or a value not ending in exactly one newline is
 * reported as a diagnostic and returns false.
 */
static bool read_value(const char *dir, const char *file, char *buf, size_t size)
{
	ssize_t n = cg_read(dir, file, buf, size);

	if (n < 0) {
		diag("read %s/%s: %s", dir, file, strerror((int)-n));
		return false;
	}
	if (n == 0 || buf[n - 1] != '\n' || memchr(buf, '\n', (size_t)n - 1)) {
		diag("%s/%s reads %s: not one line ending in a newline", dir, file, quote(buf));
		return false;
	}
	buf[n - 1] = '\0';
	return true;
}

/* Does @dir/@file read exactly @want (plus its newline)? Says why not. */
static bool value_is(const char *dir, const char *file, const char *want)
{
	char buf[256];

	if (!read_value(dir, file, buf, sizeof(buf)))
		return false;
	if (strcmp(buf, want)) {
		diag("%s/%s reads %s, want %s", dir, file, quote(buf), quote(want));
		return false;
	}
	return true;
}

static void check_exists(const char *dir, const char *file, bool want, const char *who)
{
	char name[128];
	int r = cg_file_exists(dir, file);

	snprintf(name, sizeof(name), "%s_%s_%s", who, want ? "has" : "lacks", file);
	if (want && r < 0)
		diag("stat %s/%s: %s", dir, file, strerror(-r));
	else if (!want && r != -ENOENT)
		diag("stat %s/%s: %s, want ENOENT", dir, file, r ? strerror(-r) : "exists");
	result(want ? r == 0 : r == -ENOENT, name);
}

static void check_good_write(const char *dir, const char *file, const struct good_write *g)
{
	int r = cg_write_str(dir, file, g->in);
	bool ok = r == 0;

	if (!ok)
		diag("write %s to %s/%s: %s", quote(g->in), dir, file, strerror(-r));
	else
		ok = value_is(dir, file, g->want);
	result(ok, g->name);
}

/*
 * From the state @setup writes (and that reads @before), writing @b->in
 * must fail with EINVAL and leave @before. Each starts from @setup again, so
 * one wrongly accepted value fails its own test point only.
 */
static void check_bad_write(const char *dir, const char *file, const struct bad_write *b,
			    const struct good_write *setup)
{
	int r = cg_write_str(dir, file, setup->in);
	bool ok;

	if (r < 0)
		diag("setup: write %s to %s/%s: %s", quote(setup->in), dir, file, strerror(-r));
	r = cg_write_str(dir, file, b->in);
	ok = r == -EINVAL;
	if (r == 0)
		diag("write %s to %s/%s succeeded, want EINVAL", quote(b->in), dir, file);
	else if (r != -EINVAL)
		diag("write %s to %s/%s: %s, want EINVAL", quote(b->in), dir, file,
		     strerror(-r));
	if (!value_is(dir, file, setup->want))
		ok = false;
	result(ok, b->name);
}

/* Value of @key in the flat-keyed @text, -1 if absent or not an integer. */
static int stat_value(const char *text, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);

	for (const char *l = text; *l; ) {
		const char *nl = strchr(l, '\n');
		size_t ll = nl ? (size_t)(nl - l) : strlen(l);

		if (ll > kl && !strncmp(l, key, kl) && l[kl] == ' ') {
			char num[32], *end;
			size_t vl = ll - kl - 1;

			if (vl == 0 || vl >= sizeof(num) || l[kl + 1] == '-' || l[kl + 1] == '+')
				return -1;
			memcpy(num, l + kl + 1, vl);
			num[vl] = '\0';
			errno = 0;
			*out = strtoull(num, &end, 10);
			if (errno || *end || !(num[0] >= '0' && num[0] <= '9'))
				return -1;
			return 0;
		}
		if (!nl)
			break;
		l = nl + 1;
	}
	return -1;
}

/* Every line "key value": key [a-z0-9_]+, value decimal digits, no repeats. */
static bool stat_well_formed(const char *text)
{
	char seen[64][64];
	int n_seen = 0;
	bool ok = true;

	if (!*text || text[strlen(text) - 1] != '\n') {
		diag("%s does not end in a newline: %s", F_STAT, quote(text));
		return false;
	}
	for (const char *l = text; *l; ) {
		const char *nl = strchr(l, '\n');
		size_t ll = (size_t)(nl - l), k = 0, v;

		while (k < ll && ((l[k] >= 'a' && l[k] <= 'z') ||
				  (l[k] >= '0' && l[k] <= '9') || l[k] == '_'))
			k++;
		v = k + 1;
		while (v < ll && l[v] >= '0' && l[v] <= '9')
			v++;
		if (k == 0 || k >= sizeof(seen[0]) || k == ll || l[k] != ' ' ||
		    v == k + 1 || v != ll) {
			diag("malformed line %d of %s: %.*s", n_seen + 1, F_STAT, (int)ll, l);
			ok = false;
		} else {
			for (int i = 0; i < n_seen; i++)
				if (strlen(seen[i]) == k && !strncmp(seen[i], l, k)) {
					diag("key %.*s repeated in %s", (int)k, l, F_STAT);
					ok = false;
				}
			if (n_seen < (int)ARRAY_SIZE(seen)) {
				memcpy(seen[n_seen], l, k);
				seen[n_seen][k] = '\0';
			}
		}
		n_seen++;
		l = nl + 1;
	}
	return ok;
}

static void check_stat(const char *cg)
{
	char text[4096], after[4096];
	ssize_t n = cg_read(cg, F_STAT, text, sizeof(text));
	bool ok, failed_open;
	mode_t mode = 0;
	int r;

	if (n < 0) {
		diag("read %s/%s: %s", cg, F_STAT, strerror((int)-n));
		text[0] = '\0';
	}
	result(n >= 0 && stat_well_formed(text), "stat_is_flat_keyed");

	ok = true;
	for (size_t i = 0; i < ARRAY_SIZE(stat_keys); i++) {
		char name[96];
		uint64_t v;
		bool has = stat_value(text, stat_keys[i], &v) == 0;

		if (!has)
			diag("%s: no key %s with a non-negative integer value", F_STAT, stat_keys[i]);
		else if (v != 0) {
			diag("%s %s is %" PRIu64 " in a fresh cgroup", F_STAT, stat_keys[i], v);
			ok = false;
		}
		snprintf(name, sizeof(name), "stat_has_%s", stat_keys[i]);
		result(has, name);
	}
	result(n >= 0 && ok, "stat_all_zero_in_fresh_cgroup");

	r = cg_file_mode(cg, F_STAT, &mode);
	if (r < 0)
		diag("stat %s/%s: %s", cg, F_STAT, strerror(-r));
	else if (mode & 0222)
		diag("%s/%s has mode %04o, want no write bits", cg, F_STAT, (unsigned int)mode);
	result(r == 0 && !(mode & 0222), "stat_mode_is_read_only");

	/*
	 * Even for root, writing must fail: cgroup2 lets the open through and
	 * the cgroup core refuses the write (EINVAL); either is accepted.
	 */
	r = cg_write(cg, F_STAT, "0\n", 2, &failed_open);
	ok = r < 0;
	if (ok)
		diag("write to %s refused by %s(): %s", F_STAT, failed_open ? "open" : "write",
		     strerror(-r));
	else
		diag("write \"0\\n\" to %s/%s succeeded", cg, F_STAT);
	n = cg_read(cg, F_STAT, after, sizeof(after));
	if (n < 0 || strcmp(text, after)) {
		diag("%s changed by the refused write", F_STAT);
		ok = false;
	}
	result(ok, "stat_rejects_write");
}

/*
 * @parent and @child: values written to one change neither the other nor
 * @sibling (a child of @parent holding @sib_max and @sib_weight).
 */
static void check_independence(const char *parent, const char *child, const char *sibling,
			       const char *sib_max, const char *sib_weight)
{
	int r;

	r = cg_write_str(parent, F_MAX, "32M 200000");
	if (r < 0)
		diag("write \"32M 200000\" to %s/%s: %s", parent, F_MAX, strerror(-r));
	result(r == 0 && value_is(parent, F_MAX, "33554432 200000"), "indep_parent_max_written");
	result(value_is(child, F_MAX, "max 1000000"), "indep_child_max_unchanged_by_parent");

	r = cg_write_str(child, F_MAX, "1M 100000");
	if (r < 0)
		diag("write \"1M 100000\" to %s/%s: %s", child, F_MAX, strerror(-r));
	result(r == 0 && value_is(child, F_MAX, "1048576 100000"), "indep_child_max_written");
	result(value_is(parent, F_MAX, "33554432 200000"), "indep_parent_max_unchanged_by_child");

	r = cg_write_str(parent, F_WEIGHT, "500");
	if (r < 0)
		diag("write \"500\" to %s/%s: %s", parent, F_WEIGHT, strerror(-r));
	result(r == 0 && value_is(parent, F_WEIGHT, "500"), "indep_parent_weight_written");
	result(value_is(child, F_WEIGHT, "100"), "indep_child_weight_unchanged_by_parent");

	r = cg_write_str(child, F_WEIGHT, "20");
	if (r < 0)
		diag("write \"20\" to %s/%s: %s", child, F_WEIGHT, strerror(-r));
	result(r == 0 && value_is(child, F_WEIGHT, "20"), "indep_child_weight_written");
	result(value_is(parent, F_WEIGHT, "500"), "indep_parent_weight_unchanged_by_child");

	result(value_is(sibling, F_MAX, sib_max), "indep_sibling_max_unchanged");
	result(value_is(sibling, F_WEIGHT, sib_weight), "indep_sibling_weight_unchanged");
}

static __attribute__((noreturn)) void bail_out(const char *fmt, ...)
{
	va_list ap;

	fputs("Bail out! ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	exit(KSFT_FAIL);
}

static __attribute__((noreturn)) void skip_all(const char *fmt, ...)
{
	va_list ap;

	fputs("1..0 # SKIP ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	exit(KSFT_SKIP);
}

/* mkdir @path (a cgroup), remembered for cleanup; bails out on failure. */
static void make_cgroup(const char *path)
{
	int r = cg_create(path);

	if (r == -EACCES || r == -EPERM || r == -EROFS)
		skip_all("cannot create cgroup %s: %s (run as root)", path, strerror(-r));
	if (r < 0)
		bail_out("mkdir %s: %s", path, strerror(-r));
	if (n_made == ARRAY_SIZE(made))
		bail_out("too many cgroups");
	snprintf(made[n_made], CG_PATH_MAX, "%s", path);
	n_made++;
}

/* Enable the memory controller for @dir's children. */
static void enable_memory(const char *dir)
{
	int r;

	if (cg_has_word(dir, "cgroup.subtree_control", "memory"))
		return;
	r = cg_write_str(dir, "cgroup.subtree_control", "+memory");
	if (r < 0)
		bail_out("+memory in %s/cgroup.subtree_control: %s", dir, strerror(-r));
	if (!strcmp(dir, ROOT))
		enabled_root_memory = true;
}

int main(void)
{
	char parent[64], child_a[CG_PATH_MAX], child_b[CG_PATH_MAX];
	const char *const levels[] = { parent, child_a };
	const char *const level_names[] = { "child", "grandchild" };
	size_t present = 0, n_tests;
	const struct sigaction sa = { .sa_handler = on_signal };

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");

	if (!cg_is_cgroup2(ROOT))
		skip_all("no cgroup v2 hierarchy mounted at %s", ROOT);
	if (!cg_has_word(ROOT, "cgroup.controllers", "memory"))
		skip_all("memory controller not available in %s (cgroup_disable=memory?)", ROOT);

	atexit(cleanup);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	snprintf(parent, sizeof(parent), ROOT "/cgtier-selftest-%d", (int)getpid());
	if (cg_join(child_a, parent, "a") < 0 || cg_join(child_b, parent, "b") < 0)
		bail_out("cgroup path too long");

	enable_memory(ROOT);
	make_cgroup(parent);
	if (cg_file_exists(parent, "memory.max") < 0)
		bail_out("%s has no memory.max: memory controller not enabled", parent);

	/* A kernel without the series has none of them anywhere: skip. */
	for (size_t i = 0; i < ARRAY_SIZE(promo_files); i++)
		present += cg_file_exists(ROOT, promo_files[i]) != -ENOENT;
	for (size_t i = 0; i < ARRAY_SIZE(promo_files); i++)
		present += cg_file_exists(parent, promo_files[i]) != -ENOENT;
	if (!present)
		skip_all("kernel without memory.promotion.{max,weight,stat} (cgtier series not applied)");

	enable_memory(parent);
	make_cgroup(child_a);
	make_cgroup(child_b);

	n_tests = N_EXIST + N_DEFAULTS + N_STAT + N_INDEP + ARRAY_SIZE(max_good) +
		  ARRAY_SIZE(max_bad) + ARRAY_SIZE(weight_good) + ARRAY_SIZE(weight_bad);
	printf("1..%zu\n", n_tests);
	diag("cgroups: %s, %s (grandchild), %s (fresh grandchild)", parent, child_a, child_b);

	for (size_t i = 0; i < ARRAY_SIZE(promo_files); i++)
		check_exists(ROOT, promo_files[i], false, "root");
	for (size_t l = 0; l < ARRAY_SIZE(levels); l++)
		for (size_t i = 0; i < ARRAY_SIZE(promo_files); i++)
			check_exists(levels[l], promo_files[i], true, level_names[l]);

	for (size_t l = 0; l < ARRAY_SIZE(levels); l++) {
		char name[64];

		snprintf(name, sizeof(name), "%s_max_default_is_max_1000000", level_names[l]);
		result(value_is(levels[l], F_MAX, "max 1000000"), name);
		snprintf(name, sizeof(name), "%s_weight_default_is_100", level_names[l]);
		result(value_is(levels[l], F_WEIGHT, "100"), name);
	}

	check_stat(child_b);

	for (size_t i = 0; i < ARRAY_SIZE(max_good); i++)
		check_good_write(child_a, F_MAX, &max_good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(max_bad); i++)
		check_bad_write(child_a, F_MAX, &max_bad[i], &max_good[ARRAY_SIZE(max_good) - 1]);

	for (size_t i = 0; i < ARRAY_SIZE(weight_good); i++)
		check_good_write(child_a, F_WEIGHT, &weight_good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(weight_bad); i++)
		check_bad_write(child_a, F_WEIGHT, &weight_bad[i],
				&weight_good[ARRAY_SIZE(weight_good) - 1]);

	check_independence(parent, child_b, child_a, max_good[ARRAY_SIZE(max_good) - 1].want,
			   weight_good[ARRAY_SIZE(weight_good) - 1].want);

	if ((size_t)test_num != n_tests) {
		diag("BUG: planned %zu test points, ran %d", n_tests, test_num);
		n_fail++;
	}
	diag("Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0", test_num - n_fail, n_fail);
	return n_fail ? KSFT_FAIL : KSFT_PASS;
}
