/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private to cgfs*.c: what a backend implements. cgfs.c validates names,
 * runs the fault hook and counts writes before calling these, so backends
 * only ever see canonical paths and allow-listed files. */

#include "cgfs.h"

typedef struct cgfs_backend_ops {
	/* first_line: the caller wants only the first line, reading may stop
	 * once a newline arrived (saves the read() that would see EOF). */
	int (*read)(cgfs *c, const char *cgroup, const char *file, bool first_line, char **ret);
	int (*write)(cgfs *c, const char *cgroup, const char *file,
		     const char *value);
	int (*walk)(cgfs *c, const char *start, cgfs_walk_cb cb, void *userdata);
	int (*exists)(cgfs *c, const char *cgroup);
	/* Optional: an owned directory fd of the cgroup, for cgfs_hold(). */
	int (*open_dir)(cgfs *c, const char *cgroup);
	void (*free)(cgfs *c);
} cgfs_backend_ops;

struct cgfs {
	cgfs_backend backend;
	const cgfs_backend_ops *ops;
	char *root;
	int root_fd;
	cgfs_fault_hook hook;
	void *hook_userdata;
	uint64_t n_writes;
	void *backend_data;
	/* While a walk callback runs: the visited cgroup and its open
	 * directory, so reads and writes of that cgroup skip resolving the
	 * path again (a large share of a reconcile's syscalls). */
	const char *walk_path;
	int walk_fd;
	/* cgfs_hold(): the same for several reads of one cgroup outside a
	 * walk; walk_path/walk_fd then point here and are owned. */
	char *held_path;
	/* openat backend: resolve component by component (no openat2(), or
	 * tests exercising the fallback). */
	bool no_openat2;
};

int cgfs_new(cgfs_backend backend, const cgfs_backend_ops *ops,
	     const char *root, cgfs **ret);

/* Reads an open fd to its end, or with first_line until a newline. */
int cgfs_read_fd(int fd, bool first_line, char **ret);
