/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Serves the manager on one end of a socketpair from a thread with its own
 * sd-event loop; the test talks to the other end through `client`. Both
 * are made inside the test (after Check's fork) and torn down with it.
 * The fake tree layout: <tree>/cgroup, <tree>/sys, <tree>/etc/cgtier/...
 */

#include <pthread.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <systemd/sd-id128.h>

#include "fake-tree.h"
#include "log.h"
#include "manager.h"

static char *tree;
static char cgroot[PATH_MAX], sysroot[PATH_MAX];

struct server {
	int fd;
	uid_t privileged_uid;
	pthread_t thread;
	int result;
};

static struct server srv;
static sd_bus *client;
/* Set before start_server(): a fake DAMON (fake-damon.h) and the /proc
 * holding its zoneinfo, for the damos backend. */
static damon_fs_write_hook server_damon_hook __attribute__((unused));
static void *server_damon_userdata __attribute__((unused));
static const char *server_proc_root __attribute__((unused));
/* Set before start_server() to drive the manager's rate-limit clock. */
static uint64_t (*server_clock)(void) __attribute__((unused));

static void *server_main(void *p)
{
	struct server *s = p;
	ManagerConfig cfg = {
		.cgroup_root = cgroot,
		.root_prefix = tree,
		.sysfs_root = sysroot,
		.backend = CGFS_BACKEND_OPENAT,
		.proc_root = server_proc_root,
		.damon_write_hook = server_damon_hook,
		.damon_write_hook_userdata = server_damon_userdata,
	};
	sd_event *e = NULL;
	Manager *m = NULL;
	int r;

	r = sd_event_new(&e);
	if (r >= 0)
		r = manager_new(&cfg, e, &m);
	if (r >= 0) {
		m->privileged_uid = s->privileged_uid;
		m->clock = server_clock;
		r = manager_load(m);
	}
	if (r >= 0)
		r = manager_bus_serve_fd(m, s->fd);
	if (r >= 0)
		r = sd_event_loop(e);
	s->result = r;
	manager_free(m);
	sd_event_unref(e);
	return NULL;
}

static void start_server(uid_t privileged_uid)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	srv = (struct server){ .fd = sv[0], .privileged_uid = privileged_uid };
	ck_assert_int_eq(pthread_create(&srv.thread, NULL, server_main, &srv), 0);
	ck_assert_int_ge(sd_bus_new(&client), 0);
	ck_assert_int_ge(sd_bus_set_fd(client, sv[1], sv[1]), 0);
	ck_assert_int_ge(sd_bus_start(client), 0);
}

static void stop_server(void)
{
	if (!client)
		return;
	client = sd_bus_flush_close_unref(client);
	pthread_join(srv.thread, NULL);
	ck_assert_int_ge(srv.result, 0);
}

/* A small fake system: two services, a user slice, two tiers. */
static void server_tree_setup(const char *policy)
{
	log_set_max_level(LOG_CRIT);
	tree = fake_tree_new();
	fake_path(cgroot, sizeof(cgroot), "%s/cgroup", tree);
	fake_path(sysroot, sizeof(sysroot), "%s/sys", tree);
	fake_cgroup(tree, "cgroup", false);
	fake_cgroup(tree, "cgroup/system.slice", true);
	fake_cgroup(tree, "cgroup/system.slice/a.service", true);
	fake_write(tree, "cgroup/system.slice/a.service/memory.stat",
		   "anon 1\npgpromote_success 42\n");
	fake_write(tree, "cgroup/system.slice/a.service/memory.numa_stat",
		   "anon N0=4096 N1=8192\nfile N0=0 N1=0\n");
	fake_cgroup(tree, "cgroup/user.slice", true);
	fake_mkdir(tree, "etc/cgtier/policies.d");
	fake_write(tree, "etc/cgtier/policies.d/50-web.yaml", policy);
	fake_two_tier_sysfs(tree, "sys");
	fake_write(tree, "sys/devices/system/node/node0/meminfo", "Node 0 MemTotal: 1024 kB\n");
	client = NULL;
}

static void server_tree_teardown(void)
{
	stop_server();
	fake_rm_rf(tree);
	free(tree);
}
