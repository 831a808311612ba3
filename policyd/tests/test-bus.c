/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The D-Bus API over a socketpair: the manager serves one end from a thread
 * with its own sd-event loop, the test calls methods on the other. No bus
 * daemon needed. Everything is created inside each test, after Check's fork.
 */
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cgtier/bus.h"
#include "cgtier/cgtier.h"
#include "bus-server.h"
#include "fake-damon.h"
#include "fake-tree.h"
#include "log.h"
#include "manager.h"
#include "util.h"

static void setup(void)
{
	server_tree_setup(web_policy);
}

static void teardown(void)
{
	server_tree_teardown();
}

static int call(const char *member, sd_bus_error *error, sd_bus_message **reply,
		const char *types, ...)
{
	sd_bus_message *m = NULL;
	va_list ap;
	int r;

	r = sd_bus_message_new_method_call(client, &m, NULL, CGTIER_BUS_PATH, CGTIER_BUS_INTERFACE,
					   member);
	ck_assert_int_ge(r, 0);
	if (types) {
		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
		ck_assert_int_ge(r, 0);
	}
	r = sd_bus_call(client, m, 0, error, reply);
	sd_bus_message_unref(m);
	return r;
}

START_TEST(test_bus_list_cgroups_shows_effective_rules)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *path, *rule, *human, *max;
	uint32_t weight;
	int n = 0;

	start_server(0);
	ck_assert_int_ge(call("ListCgroups", NULL, &reply, NULL), 0);
	ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "(ssssu)"), 0);
	while (sd_bus_message_read(reply, "(ssssu)", &path, &rule, &human, &max, &weight) > 0) {
		ck_assert_str_eq(path, "/system.slice/a.service");
		ck_assert_str_eq(rule, "web");
		ck_assert_str_eq(max, "67108864 1000000");
		ck_assert_uint_eq(weight, 50);
		ck_assert_ptr_nonnull(strstr(human, "64.0 MiB/s"));
		n++;
	}
	ck_assert_int_eq(n, 1);
}
END_TEST

START_TEST(test_bus_get_cgroup_stats_returns_all_sources)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *key;
	uint64_t v, promoted = 0, pg;
	uint32_t node;
	int has_pg, n_keys = 0, n_nodes = 0;

	start_server(0);
	ck_assert_int_ge(call("GetCgroupStats", NULL, &reply, "s", "system.slice/a.service"), 0);
	ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{st}"), 0);
	while (sd_bus_message_read(reply, "{st}", &key, &v) > 0) {
		if (streq(key, "promoted"))
			promoted = v;
		n_keys++;
	}
	ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
	ck_assert_int_eq(n_keys, 9);
	ck_assert_uint_eq(promoted, 7);
	ck_assert_int_ge(sd_bus_message_read(reply, "bt", &has_pg, &pg), 0);
	ck_assert(has_pg);
	ck_assert_uint_eq(pg, 42);
	ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "(ut)"), 0);
	while (sd_bus_message_read(reply, "(ut)", &node, &v) > 0)
		n_nodes++;
	ck_assert_int_eq(n_nodes, 2);
}
END_TEST

START_TEST(test_bus_list_cgroup_stats_returns_every_managed_cgroup)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *cgroup, *key;
	uint64_t v, pg;
	uint32_t node;
	int has_pg, n = 0, n_keys = 0;

	fake_cgroup(tree, "cgroup/system.slice/b.service", true);
	start_server(0);
	ck_assert_int_ge(call(CGTIER_BUS_METHOD_LIST_CGROUP_STATS, NULL, &reply, NULL), 0);
	ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "(sa{st}bta(ut))"), 0);
	while (sd_bus_message_enter_container(reply, 'r', "sa{st}bta(ut)") > 0) {
		ck_assert_int_ge(sd_bus_message_read(reply, "s", &cgroup), 0);
		ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{st}"), 0);
		while (sd_bus_message_read(reply, "{st}", &key, &v) > 0)
			n_keys++;
		ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
		ck_assert_int_ge(sd_bus_message_read(reply, "bt", &has_pg, &pg), 0);
		ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "(ut)"), 0);
		while (sd_bus_message_read(reply, "(ut)", &node, &v) > 0)
			;
		ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
		ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
		if (streq(cgroup, "/system.slice/a.service"))
			ck_assert(has_pg && pg == 42);
		else
			ck_assert_str_eq(cgroup, "/system.slice/b.service");
		n++;
	}
	/* The two managed services; not the slices, which no rule matches. */
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(n_keys, 18);
}
END_TEST

/* More managed cgroups than one chunk of the threaded reader, some gone
 * between the walk and the call: every live one exactly once, each with
 * its own numbers; the gone ones left out. */
START_TEST(test_bus_list_cgroup_stats_many_in_chunks)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	enum { N = 3 * MANAGER_STATS_CHUNK + 17 };
	const char *cgroup, *key;
	char rel[PATH_MAX], text[64];
	static bool seen[N];
	int n = 0, seen_a = 0;

	for (int i = 0; i < N; i++) {
		fake_path(rel, sizeof(rel), "cgroup/system.slice/s%04d.service", i);
		fake_cgroup(tree, rel, true);
		fake_path(rel, sizeof(rel), "cgroup/system.slice/s%04d.service/memory.promotion.stat", i);
		snprintf(text, sizeof(text), "promoted %d\n", i);
		fake_write(tree, rel, text);
	}
	start_server(0);
	for (int i = 5; i < N; i += 50) {
		fake_path(rel, sizeof(rel), "%s/system.slice/s%04d.service", cgroot, i);
		fake_rm_rf(rel);
	}
	ck_assert_int_ge(call(CGTIER_BUS_METHOD_LIST_CGROUP_STATS, NULL, &reply, NULL), 0);
	ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "(sa{st}bta(ut))"), 0);
	while (sd_bus_message_enter_container(reply, 'r', "sa{st}bta(ut)") > 0) {
		uint64_t v, promoted = UINT64_MAX;
		int i;

		ck_assert_int_ge(sd_bus_message_read(reply, "s", &cgroup), 0);
		ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{st}"), 0);
		while (sd_bus_message_read(reply, "{st}", &key, &v) > 0)
			if (streq(key, "promoted"))
				promoted = v;
		ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
		ck_assert_int_ge(sd_bus_message_skip(reply, "bta(ut)"), 0);
		ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
		n++;
		if (streq(cgroup, "/system.slice/a.service")) {
			seen_a++;
			continue;
		}
		ck_assert_int_eq(sscanf(cgroup, "/system.slice/s%d.service", &i), 1);
		ck_assert_msg(i % 50 != 5, "%s is gone but listed", cgroup);
		ck_assert_msg(i >= 0 && i < N && !seen[i], "%s listed twice", cgroup);
		seen[i] = true;
		ck_assert_uint_eq(promoted, (uint64_t)i);
	}
	ck_assert_int_eq(seen_a, 1);
	ck_assert_int_eq(n, 1 + N - (N - 5 + 49) / 50);
}
END_TEST

START_TEST(test_bus_accepts_full_filesystem_path)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	char full[PATH_MAX];

	start_server(0);
	fake_path(full, sizeof(full), "%s/system.slice/a.service", cgroot);
	ck_assert_int_ge(call("GetCgroupStats", NULL, &reply, "s", full), 0);
}
END_TEST

START_TEST(test_bus_rejects_paths_outside_cgroupfs)
{
	static const char *const bad[] = { "../etc", "/system.slice/../../etc", "/./x", "a/../b" };

	start_server(0);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

		ck_assert_int_lt(call("GetCgroupStats", &error, NULL, "s", bad[i]), 0);
		ck_assert_msg(sd_bus_error_has_name(&error, CGTIER_BUS_ERROR_INVALID_PATH),
			      "%s: got %s", bad[i], error.name);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

		ck_assert_int_lt(call("Explain", &error, NULL, "s", bad[i]), 0);
		ck_assert(sd_bus_error_has_name(&error, CGTIER_BUS_ERROR_INVALID_PATH));
	}
}
END_TEST

START_TEST(test_bus_missing_cgroup_is_no_such_cgroup)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	start_server(0);
	ck_assert_int_lt(call("GetCgroupStats", &error, NULL, "s", "/nope.slice"), 0);
	ck_assert(sd_bus_error_has_name(&error, CGTIER_BUS_ERROR_NO_SUCH_CGROUP));
}
END_TEST

START_TEST(test_bus_explain_names_the_winner)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *text;

	start_server(0);
	ck_assert_int_ge(call("Explain", NULL, &reply, "s", "/system.slice/a.service"), 0);
	ck_assert_int_ge(sd_bus_message_read(reply, "s", &text), 0);
	ck_assert_ptr_nonnull(strstr(text, "web"));
}
END_TEST

START_TEST(test_bus_validate_reports_position)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *good = NULL, *bad = NULL;
	const char *msg;
	int ok;

	start_server(0);
	ck_assert_int_ge(call("Validate", NULL, &good, "s", web_policy), 0);
	ck_assert_int_ge(sd_bus_message_read(good, "bs", &ok, &msg), 0);
	ck_assert(ok);
	ck_assert_int_ge(call("Validate", NULL, &bad, "s", "version: 1\nrules:\n  - nam: x\n"), 0);
	ck_assert_int_ge(sd_bus_message_read(bad, "bs", &ok, &msg), 0);
	ck_assert(!ok);
	ck_assert_msg(strstr(msg, "<validate>:3:") != NULL, "%s", msg);
}
END_TEST

static int validate(const char *text, sd_bus_error *error, int *ret_ok)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *msg;
	int r;

	r = call("Validate", error, &reply, "s", text);
	if (r >= 0 && ret_ok)
		ck_assert_int_ge(sd_bus_message_read(reply, "bs", ret_ok, &msg), 0);
	return r;
}

/* A valid document of exactly size bytes: web_policy padded with a comment. */
static char *policy_of_size(size_t size)
{
	size_t l = strlen(web_policy);
	char *t = malloc(size + 1);

	ck_assert_uint_gt(size, l + 2);
	memcpy(t, web_policy, l);
	t[l] = '#';
	memset(t + l + 1, 'x', size - l - 2);
	t[size - 1] = '\n';
	t[size] = 0;
	return t;
}

/* Parsing 1 MiB took the single-threaded daemon 100-150 ms per call. */
START_TEST(test_bus_validate_refuses_more_than_64k_from_anyone)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *at = policy_of_size(64 * 1024), *over = policy_of_size(64 * 1024 + 1),
			    *huge = policy_of_size(1024 * 1024);
	int ok = 0;

	start_server(getuid()); /* even root */
	ck_assert_int_ge(validate(at, NULL, &ok), 0);
	ck_assert(ok);
	ck_assert_int_lt(validate(over, &error, NULL), 0);
	ck_assert_str_eq(error.name, SD_BUS_ERROR_LIMITS_EXCEEDED);
	ck_assert_msg(strstr(error.message, "65536 bytes"), "%s", error.message);
	sd_bus_error_free(&error);
	ck_assert_int_lt(validate(huge, &error, NULL), 0);
	ck_assert_str_eq(error.name, SD_BUS_ERROR_LIMITS_EXCEEDED);
}
END_TEST

static uint64_t fake_usec;

static uint64_t fake_clock(void)
{
	return __atomic_load_n(&fake_usec, __ATOMIC_SEQ_CST);
}

START_TEST(test_bus_validate_rate_limits_unprivileged_callers)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int ok = 0;

	__atomic_store_n(&fake_usec, 1000000, __ATOMIC_SEQ_CST);
	server_clock = fake_clock;
	start_server(getuid() + 4242);
	for (int i = 0; i < MANAGER_VALIDATE_BURST; i++) {
		ck_assert_int_ge(validate(web_policy, NULL, &ok), 0);
		ck_assert(ok);
	}
	ck_assert_int_lt(validate(web_policy, &error, NULL), 0);
	ck_assert_str_eq(error.name, SD_BUS_ERROR_LIMITS_EXCEEDED);
	ck_assert_msg(strstr(error.message, "try again in 500 ms"), "%s", error.message);
	sd_bus_error_free(&error);

	/* One interval later, one more call. */
	__atomic_add_fetch(&fake_usec, MANAGER_VALIDATE_INTERVAL_USEC, __ATOMIC_SEQ_CST);
	ck_assert_int_ge(validate(web_policy, NULL, &ok), 0);
	ck_assert_int_lt(validate(web_policy, &error, NULL), 0);
	ck_assert_str_eq(error.name, SD_BUS_ERROR_LIMITS_EXCEEDED);
}
END_TEST

START_TEST(test_bus_validate_does_not_rate_limit_root)
{
	int ok = 0;

	__atomic_store_n(&fake_usec, 1000000, __ATOMIC_SEQ_CST);
	server_clock = fake_clock;
	start_server(getuid());
	for (int i = 0; i < 3 * MANAGER_VALIDATE_BURST; i++) {
		ck_assert_int_ge(validate(web_policy, NULL, &ok), 0);
		ck_assert(ok);
	}
}
END_TEST

static char *get_string_property(const char *name)
{
	char *v = NULL;

	ck_assert_int_ge(sd_bus_get_property_string(client, NULL, CGTIER_BUS_PATH,
						    CGTIER_BUS_INTERFACE, name, NULL, &v), 0);
	return v;
}

static uint32_t list_count(void)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *a, *b, *c, *d;
	uint32_t w, n = 0;

	ck_assert_int_ge(call("ListCgroups", NULL, &reply, NULL), 0);
	ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "(ssssu)"), 0);
	while (sd_bus_message_read(reply, "(ssssu)", &a, &b, &c, &d, &w) > 0)
		n++;
	return n;
}

START_TEST(test_bus_reload_bad_set_keeps_old_rules)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *r1 = NULL, *r2 = NULL;
	_cleanup_free_ char *err1 = NULL, *err2 = NULL;
	const char *msg;
	int ok;

	start_server(0);
	ck_assert_uint_eq(list_count(), 1);
	/* A good second file and a bad third: nothing of the new set applies. */
	fake_cgroup(tree, "cgroup/user.slice/u.service", true);
	fake_write(tree, "etc/cgtier/policies.d/60-user.yaml",
		   "version: 1\nrules:\n  - name: user\n    priority: 1\n    match:\n"
		   "      cgroup: \"user.slice/*\"\n    promotion:\n      weight: 5\n");
	fake_write(tree, "etc/cgtier/policies.d/70-bad.yaml",
		   "version: 1\nrules:\n  - name: bad\n    priority: 1\n    match:\n"
		   "      cgroup: \"x\"\n    promotion:\n      maxx: 1MiB/s\n");
	ck_assert_int_ge(call("Reload", NULL, &r1, NULL), 0);
	ck_assert_int_ge(sd_bus_message_read(r1, "bs", &ok, &msg), 0);
	ck_assert(!ok);
	ck_assert_msg(strstr(msg, "70-bad.yaml:8:") != NULL, "%s", msg);
	err1 = get_string_property("LastError");
	ck_assert_str_eq(err1, msg);
	ck_assert_uint_eq(list_count(), 1);
	{
		_cleanup_free_ char *w = fake_read(tree, "cgroup/user.slice/u.service/memory.promotion.weight");
		ck_assert_str_eq(w, "100\n");
	}

	/* Fixed: the whole new set applies at once and the error clears. */
	ck_assert_int_eq(unlink_tree_file(tree, "etc/cgtier/policies.d/70-bad.yaml"), 0);
	ck_assert_int_ge(call("Reload", NULL, &r2, NULL), 0);
	ck_assert_int_ge(sd_bus_message_read(r2, "bs", &ok, &msg), 0);
	ck_assert_msg(ok, "%s", msg);
	ck_assert_uint_eq(list_count(), 2);
	err2 = get_string_property("LastError");
	ck_assert_str_eq(err2, "");
}
END_TEST

START_TEST(test_bus_reload_requires_root)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	/* Tests may run as root: make the daemon expect someone else. */
	start_server(getuid() + 4242);
	ck_assert_int_lt(call("Reload", &error, NULL, NULL), 0);
	ck_assert(sd_bus_error_has_name(&error, CGTIER_BUS_ERROR_ACCESS_DENIED));
}
END_TEST

START_TEST(test_bus_properties)
{
	_cleanup_free_ char *version = NULL, *backend = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *files = NULL;
	uint32_t managed = 0;
	int supported = 0;
	const char *path, *state;
	uint32_t n_rules;

	start_server(0);
	version = get_string_property("Version");
	ck_assert_str_eq(version, CGTIER_VERSION);
	backend = get_string_property("Backend");
	ck_assert_str_eq(backend, "openat");
	ck_assert_int_ge(sd_bus_get_property_trivial(client, NULL, CGTIER_BUS_PATH,
						     CGTIER_BUS_INTERFACE, "ManagedCgroups",
						     NULL, 'u', &managed), 0);
	ck_assert_uint_eq(managed, 1);
	ck_assert_int_ge(sd_bus_get_property_trivial(client, NULL, CGTIER_BUS_PATH,
						     CGTIER_BUS_INTERFACE,
						     "KernelSupportsPromotionKnobs", NULL, 'b',
						     &supported), 0);
	ck_assert(supported);
	{
		_cleanup_free_ char *support = get_string_property("KernelSupport");
		_cleanup_free_ char *kb = get_string_property("KernelBackend");

		ck_assert_str_eq(support, "yes");
		ck_assert_str_eq(kb, "native");
	}
	ck_assert_int_ge(sd_bus_get_property(client, NULL, CGTIER_BUS_PATH, CGTIER_BUS_INTERFACE,
					     "PolicyFiles", NULL, &files, "a(ssu)"), 0);
	ck_assert_int_ge(sd_bus_message_enter_container(files, 'a', "(ssu)"), 0);
	ck_assert_int_gt(sd_bus_message_read(files, "(ssu)", &path, &state, &n_rules), 0);
	ck_assert_ptr_nonnull(strstr(path, "50-web.yaml"));
	ck_assert_str_eq(state, "loaded");
	ck_assert_uint_eq(n_rules, 1);
}
END_TEST

START_TEST(test_bus_kernel_without_knobs_is_reported)
{
	int supported = 1;
	char p[PATH_MAX];
	_cleanup_free_ char *w = NULL;

	/* An old kernel: memory controller files, no promotion knobs. */
	fake_write(tree, "cgroup/system.slice/memory.current", "0\n");
	fake_path(p, sizeof(p), "%s/cgroup/system.slice/memory.promotion.max", tree);
	ck_assert_int_eq(unlink(p), 0);
	fake_path(p, sizeof(p), "%s/cgroup/system.slice/a.service/memory.promotion.weight", tree);
	start_server(0);
	ck_assert_int_ge(sd_bus_get_property_trivial(client, NULL, CGTIER_BUS_PATH,
						     CGTIER_BUS_INTERFACE,
						     "KernelSupportsPromotionKnobs", NULL, 'b',
						     &supported), 0);
	ck_assert(!supported);
	{
		_cleanup_free_ char *support = get_string_property("KernelSupport");
		_cleanup_free_ char *kb = get_string_property("KernelBackend");

		ck_assert_str_eq(support, "no");
		/* No DAMON in the fake sysfs either: statistics only. */
		ck_assert_str_eq(kb, "none");
	}
	w = fake_read(tree, "cgroup/system.slice/a.service/memory.promotion.weight");
	ck_assert_str_eq(w, "100\n");
}
END_TEST

START_TEST(test_bus_damos_backend_is_reported_and_serves_scheme_stats)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ char *kb = NULL, *memcg = NULL;
	static struct fake_damon f;
	char p[PATH_MAX];
	const char *key;
	uint64_t v, sz = 0, promoted = 0;

	/* A stock kernel: memory controller, no promotion knobs, DAMON. */
	fake_damon_init(&f, tree);
	fake_write(tree, "cgroup/system.slice/memory.current", "0\n");
	fake_write(tree, "cgroup/system.slice/a.service/memory.current", "0\n");
	fake_path(p, sizeof(p), "%s/cgroup/system.slice/memory.promotion.max", tree);
	ck_assert_int_eq(unlink(p), 0);
	fake_path(p, sizeof(p), "%s/cgroup/system.slice/a.service/memory.promotion.max", tree);
	ck_assert_int_eq(unlink(p), 0);
	fake_path(p, sizeof(p), "%s/cgroup/system.slice/a.service/memory.promotion.stat", tree);
	ck_assert_int_eq(unlink(p), 0);
	server_damon_hook = fake_damon_hook;
	server_damon_userdata = &f;
	server_proc_root = tree;
	start_server(0);
	kb = get_string_property("KernelBackend");
	ck_assert_str_eq(kb, "damos");
	ck_assert(fake_damon_kdamond_on(&f, 0));
	memcg = fake_damon_get(&f, "kdamonds/0/contexts/0/schemes/0/filters/0/memcg_path");
	ck_assert_str_eq(memcg, "/system.slice/a.service");

	fake_write(f.admin, "kdamonds/0/contexts/0/schemes/0/stats/sz_applied", "8192\n");
	ck_assert_int_ge(call("GetCgroupStats", NULL, &reply, "s", "system.slice/a.service"), 0);
	ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{st}"), 0);
	while (sd_bus_message_read(reply, "{st}", &key, &v) > 0) {
		if (streq(key, "damos_sz_applied"))
			sz = v;
		if (streq(key, "promoted"))
			promoted = v;
	}
	ck_assert_uint_eq(sz, 8192);
	ck_assert_uint_eq(promoted, 8192 / (uint64_t)sysconf(_SC_PAGESIZE));
}
END_TEST

START_TEST(test_bus_get_topology)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	uint32_t id, tier_id;
	int has_cpu, has_mem, tier, n = 0;
	uint64_t total, free_b;
	const uint32_t *nodes;
	size_t sz;

	start_server(0);
	ck_assert_int_ge(call("GetTopology", NULL, &reply, NULL), 0);
	ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "(ubbitt)"), 0);
	while (sd_bus_message_read(reply, "(ubbitt)", &id, &has_cpu, &has_mem, &tier, &total,
				   &free_b) > 0) {
		ck_assert_int_eq(tier, id == 0 ? 4 : 18);
		n++;
	}
	ck_assert_int_eq(n, 2);
	ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
	ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "(uau)"), 0);
	ck_assert_int_ge(sd_bus_message_enter_container(reply, 'r', "uau"), 0);
	ck_assert_int_ge(sd_bus_message_read(reply, "u", &tier_id), 0);
	ck_assert_uint_eq(tier_id, 4);
	ck_assert_int_ge(sd_bus_message_read_array(reply, 'u', (const void **)&nodes, &sz), 0);
	ck_assert_uint_eq(sz, sizeof(uint32_t));
	ck_assert_uint_eq(nodes[0], 0);
}
END_TEST

static int on_applied(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	uint32_t *rules = userdata, managed, written;

	ck_assert_int_ge(sd_bus_message_read(m, "uuu", rules, &managed, &written), 0);
	return 0;
}

START_TEST(test_bus_reload_emits_policy_applied)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	uint32_t rules = 0;

	start_server(0);
	ck_assert_int_ge(sd_bus_match_signal(client, NULL, NULL, CGTIER_BUS_PATH,
					     CGTIER_BUS_INTERFACE, "PolicyApplied", on_applied,
					     &rules), 0);
	ck_assert_int_ge(call("Reload", NULL, &reply, NULL), 0);
	while (sd_bus_process(client, NULL) > 0)
		;
	ck_assert_uint_eq(rules, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bus");
	TCase *tc = tcase_create("socketpair");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bus_list_cgroups_shows_effective_rules);
	tcase_add_test(tc, test_bus_get_cgroup_stats_returns_all_sources);
	tcase_add_test(tc, test_bus_list_cgroup_stats_returns_every_managed_cgroup);
	tcase_add_test(tc, test_bus_list_cgroup_stats_many_in_chunks);
	tcase_add_test(tc, test_bus_accepts_full_filesystem_path);
	tcase_add_test(tc, test_bus_rejects_paths_outside_cgroupfs);
	tcase_add_test(tc, test_bus_missing_cgroup_is_no_such_cgroup);
	tcase_add_test(tc, test_bus_explain_names_the_winner);
	tcase_add_test(tc, test_bus_validate_reports_position);
	tcase_add_test(tc, test_bus_validate_refuses_more_than_64k_from_anyone);
	tcase_add_test(tc, test_bus_validate_rate_limits_unprivileged_callers);
	tcase_add_test(tc, test_bus_validate_does_not_rate_limit_root);
	tcase_add_test(tc, test_bus_reload_bad_set_keeps_old_rules);
	tcase_add_test(tc, test_bus_reload_requires_root);
	tcase_add_test(tc, test_bus_properties);
	tcase_add_test(tc, test_bus_kernel_without_knobs_is_reported);
	tcase_add_test(tc, test_bus_damos_backend_is_reported_and_serves_scheme_stats);
	tcase_add_test(tc, test_bus_get_topology);
	tcase_add_test(tc, test_bus_reload_emits_policy_applied);
	suite_add_tcase(s, tc);
	return fake_run_suite(s);
}
