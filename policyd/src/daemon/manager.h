/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cgfs.h"
#include "damon-fs.h"
#include "kernel-backend.h"
#include "policy.h"
#include "ratelimit.h"
#include "reconcile.h"
#include "stats-reader.h"
#include "strmap.h"

#define MANAGER_RELOAD_DEBOUNCE_USEC (200 * 1000ULL)
#define MANAGER_RESCAN_USEC (60 * 1000 * 1000ULL)
/* ListCgroupStats reads this many cgroups' files at a time (in threads),
 * then appends them: what it holds at once stays small. */
#define MANAGER_STATS_CHUNK 256
/* Validate parses on the one thread that also applies policies: bound
 * what anyone may send, and how often others than root may (see
 * docs/cgtier-policyd.8.scd). */
#define MANAGER_VALIDATE_SIZE_MAX (64 * 1024)
#define MANAGER_VALIDATE_BURST 10
#define MANAGER_VALIDATE_INTERVAL_USEC (500 * 1000ULL)

typedef struct ManagerConfig {
	const char *cgroup_root;   /* default /sys/fs/cgroup */
	const char *root_prefix;   /* prefix of the policy directories, default / */
	const char *sysfs_root;    /* default /sys */
	/* The last good rule set and the knobs written live here, so that a
	 * restart keeps them; NULL keeps nothing (StateDirectory=). */
	const char *state_dir;
	cgfs_backend backend;
	/* How rules reach the kernel (--kernel-backend=); 0 is auto. */
	kernel_backend_kind kernel_backend;
	/* DAMON's admin directory, default <sysfs_root>/kernel/mm/damon/admin,
	 * and /proc (zoneinfo) for the damos backend. */
	const char *damon_admin_root;
	const char *proc_root;
	/* Tests: a fake kernel behind the DAMON admin directory. */
	damon_fs_write_hook damon_write_hook;
	void *damon_write_hook_userdata;
} ManagerConfig;

typedef struct Manager {
	sd_event *event;
	sd_bus *bus;

	char *cgroup_root;
	char *root_prefix;
	char *sysfs_root;
	char *state_dir;   /* NULL: no state kept */
	int state_dir_fd;

	cgfs *fs;
	stats_reader *stats_reader; /* on the first ListCgroupStats */
	reconciler *reconciler;
	/* The kernel backend chosen (--kernel-backend=) and the one active;
	 * kernel_backend is set when that one is not the reconciler's own
	 * native backend. Auto decides once the kernel can be probed. */
	kernel_backend_kind backend_choice;
	kernel_backend_kind backend_active;
	bool backend_decided;
	kernel_backend *kernel_backend;
	char *damon_admin_root;
	char *proc_root;
	damon_fs_write_hook damon_write_hook;
	void *damon_write_hook_userdata;
	struct policy_set *policy; /* the set in force: last good one */
	char *last_error;          /* of the last failed load, NULL after a good one */
	int kernel_support;        /* 1, 0, or -1 while unknown */
	uint64_t last_applied_usec;
	unsigned n_reloads; /* attempts, good or bad */
	struct reconcile_stats last_stats;

	/* READY=1 sent: reloads then report RELOADING=1/READY=1. */
	bool ready;

	/* Test hook: the uid allowed to call Reload (root in production). */
	uid_t privileged_uid;
	/* Validate calls of everybody but privileged_uid share this bucket. */
	struct token_bucket validate_bucket;
	/* Test hook: CLOCK_MONOTONIC in µs for rate limits; NULL = the real one. */
	uint64_t (*clock)(void);

	int policy_inotify_fd;
	sd_event_source *policy_inotify_source;
	/* While a policy directory is missing we watch an existing ancestor,
	 * and only events about the next component on the way count. */
	struct {
		int wd;
		char *child;
	} policy_ancestor_watches[3];
	sd_event_source *reload_timer;

	int cgroup_inotify_fd;
	sd_event_source *cgroup_inotify_source;
	strmap *cgroup_watches; /* wd (decimal) -> cgroup path */
	bool watch_limit_warned;
	/* "cgroup file" keys already warned about: the rescan retries every
	 * minute and must not repeat the warning each time. */
	strmap *write_warnings;
	bool probe_unknown_logged;

	sd_event_source *rescan_timer;
	sd_event_source *sighup_source, *sigterm_source, *sigint_source;
} Manager;

int manager_new(const ManagerConfig *config, sd_event *event, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m)
{
	if (*m)
		*m = manager_free(*m);
}
#define _cleanup_manager_ __attribute__((cleanup(manager_freep)))

/* First load and apply. Knobs an earlier run wrote (state directory) that no
 * rule sets any more go back to the defaults; a bad policy at start is
 * logged and the last set that loaded (state directory) is used, or none. */
int manager_load(Manager *m);

/* Signals, inotify watches and the rescan timer (not used by tests); call
 * before manager_load() so that its walk adds the cgroup watches. */
int manager_start_watching(Manager *m);

/*
 * Loads every policy file; on success swaps the set in atomically and
 * reconciles. On -EINVAL (invalid content) or a read error the old set stays
 * in force, m->last_error and *ret_message say file:line:column: why.
 * *ret_message is always set on return >= 0 and on the failures above.
 */
int manager_reload(Manager *m, char **ret_message);

/* Daemon stop: undoes what the kernel backend set up (the damos backend's
 * kdamonds). Knobs of the native backend stay as they are. */
void manager_stop(Manager *m);

/* Full reconcile with the current set. */
int manager_reconcile(Manager *m);

/* A cgroup appeared: watch it and apply its rule now. */
int manager_cgroup_added(Manager *m, const char *cgroup);

/* Canonical cgroup path for a user-supplied one: accepts "a/b", "/a/b" and
 * "<cgroup root>/a/b". -EINVAL when it is not valid or would leave the root. */
int manager_canonical_cgroup(const Manager *m, const char *in, char **ret);

void manager_notify_status(Manager *m);

/* Saves the knobs the daemon owns to the state directory if they changed. */
void manager_save_owned_knobs(Manager *m);

/* A removed cgroup's knobs need no more warnings remembered. */
void manager_forget_warnings(Manager *m, const char *cgroup);

/* manager-inotify.c */
int manager_start_inotify(Manager *m);
/* Adds (or refreshes) the watch on a cgroup directory. */
void manager_watch_cgroup(Manager *m, const char *cgroup);
/* Watches each policy directory, or the nearest existing ancestor. */
int manager_watch_policy_dirs(Manager *m);

/* manager-bus.c */
int manager_bus_attach(Manager *m, sd_bus *bus);
int manager_connect_bus(Manager *m, const char *address, bool user_bus);
int manager_bus_emit_policy_applied(Manager *m);
int manager_bus_emit_kernel_support(Manager *m);
int manager_bus_emit_kernel_backend(Manager *m);
/* Serves the API as a D-Bus server on a connected socket (one end of a
 * socketpair): tests and the benchmark, no bus daemon. */
int manager_bus_serve_fd(Manager *m, int fd);
