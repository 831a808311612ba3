/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fake-tree.h"
#include "topology.h"
#include "util.h"

static char *sys;

static void setup(void)
{
	sys = fake_tree_new();
	fake_mkdir(sys, "devices/system/node/node0");
	fake_mkdir(sys, "devices/system/node/node1");
	fake_write(sys, "devices/system/node/online", "0-1\n");
	fake_write(sys, "devices/system/node/has_cpu", "0\n");
	fake_write(sys, "devices/system/node/has_memory", "0-1\n");
	fake_write(sys, "devices/system/node/node0/meminfo",
		   "Node 0 MemTotal:        2097152 kB\nNode 0 MemFree:         1048576 kB\n"
		   "Node 0 MemUsed:         1048576 kB\n");
	fake_write(sys, "devices/system/node/node1/meminfo",
		   "Node 1 MemTotal:        1048576 kB\nNode 1 MemFree:         1000000 kB\n");
	fake_write(sys, "devices/system/node/node0/distance", "10 20\n");
	fake_write(sys, "devices/system/node/node1/distance", "20 10\n");
	fake_mkdir(sys, "devices/virtual/memory_tiering/memory_tier4");
	fake_mkdir(sys, "devices/virtual/memory_tiering/memory_tier18");
	fake_write(sys, "devices/virtual/memory_tiering/memory_tier4/nodelist", "0\n");
	fake_write(sys, "devices/virtual/memory_tiering/memory_tier18/nodelist", "1\n");
}

static void teardown(void)
{
	fake_rm_rf(sys);
	free(sys);
}

START_TEST(test_topology_reads_nodes_tiers_and_sizes)
{
	_cleanup_topology_ struct topology *t = NULL;
	const struct topology_node *n0, *n1;

	ck_assert_int_eq(topology_load(sys, &t), 0);
	ck_assert_uint_eq(t->n_nodes, 2);
	ck_assert_uint_eq(t->n_tiers, 2);
	ck_assert_uint_eq(t->tiers[0].id, 4);
	ck_assert_uint_eq(t->tiers[1].id, 18);
	n0 = topology_find_node(t, 0);
	n1 = topology_find_node(t, 1);
	ck_assert_ptr_nonnull(n0);
	ck_assert_ptr_nonnull(n1);
	ck_assert(n0->has_cpu);
	ck_assert(!n1->has_cpu);
	ck_assert_int_eq(n0->tier, 4);
	ck_assert_int_eq(n1->tier, 18);
	ck_assert_uint_eq(n0->total_bytes, 2097152ULL * 1024);
	ck_assert_uint_eq(n0->free_bytes, 1048576ULL * 1024);
	ck_assert_uint_eq(n1->total_bytes, 1048576ULL * 1024);
	ck_assert_ptr_nonnull(n0->distance);
	ck_assert_uint_eq(n0->distance[1], 20);
	ck_assert_uint_eq(n1->distance[1], 10);
}
END_TEST

START_TEST(test_topology_without_tiering_has_no_tiers)
{
	_cleanup_topology_ struct topology *t = NULL;
	char p[PATH_MAX];

	fake_path(p, sizeof(p), "%s/devices/virtual", sys);
	fake_rm_rf(p);
	ck_assert_int_eq(topology_load(sys, &t), 0);
	ck_assert_uint_eq(t->n_tiers, 0);
	ck_assert_int_eq(topology_find_node(t, 1)->tier, -1);
}
END_TEST

START_TEST(test_topology_missing_sysfs_fails)
{
	struct topology *t = NULL;

	ck_assert_int_eq(topology_load("/nonexistent-cgtier-sysfs", &t), -ENOENT);
	ck_assert_ptr_null(t);
}
END_TEST

START_TEST(test_topology_parses_node_lists)
{
	_cleanup_free_ uint32_t *l = NULL;
	uint32_t *bad = NULL;
	size_t n = 0;

	ck_assert_int_eq(topology_parse_nodelist("0-2,5\n", &l, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(l[3], 5);
	free(l);
	l = NULL;
	ck_assert_int_eq(topology_parse_nodelist("\n", &l, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(topology_parse_nodelist("3-1", &bad, &n), -ERANGE);
	ck_assert_int_eq(topology_parse_nodelist("a", &bad, &n), -EINVAL);
	ck_assert_int_eq(topology_parse_nodelist("1,", &bad, &n), 0);
	free(bad);
	bad = NULL;
	ck_assert_int_eq(topology_parse_nodelist("1;2", &bad, &n), -EINVAL);
	ck_assert_ptr_null(bad);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("topology");
	TCase *tc = tcase_create("sysfs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_topology_reads_nodes_tiers_and_sizes);
	tcase_add_test(tc, test_topology_without_tiering_has_no_tiers);
	tcase_add_test(tc, test_topology_missing_sysfs_fails);
	tcase_add_test(tc, test_topology_parses_node_lists);
	suite_add_tcase(s, tc);
	return fake_run_suite(s);
}
