/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The one door to cgroupfs. Two backends sit behind it: libcgroup (the
 * default on a real system) and openat() on a root directory fd (tests, and
 * the fallback when libcgroup cannot initialise or sees another mount).
 *
 * Cgroup paths are relative to the cgroup root, written "/a/b" ("/" or "" is
 * the root). Components "." and "..", empty components and symlinks are
 * refused, so a path can never leave the root. File names are single
 * components. Writes are limited to an allow-list (cgfs_file_is_writable()).
 * All functions return 0 or a negative errno; a vanished cgroup is -ENOENT
 * (or -ENODEV when the kernel removed it while open).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

typedef struct cgfs cgfs;

typedef enum cgfs_backend {
	CGFS_BACKEND_OPENAT,
	CGFS_BACKEND_LIBCGROUP,
} cgfs_backend;

typedef enum cgfs_op {
	CGFS_OP_READ,
	CGFS_OP_WRITE,
	CGFS_OP_WALK,
} cgfs_op;

/*
 * Called before every operation with the cgroup path and file (NULL for a
 * walk). A negative return fails the operation with that error; the hook may
 * also change the world (remove the cgroup) and return 0. Tests use it to
 * model races and read-only knobs, which chmod cannot model for root.
 */
typedef int (*cgfs_fault_hook)(void *userdata, cgfs_op op, const char *cgroup,
			       const char *file);

/*
 * Called for every cgroup below (and including) the start of a walk, parents
 * before children. Return a negative errno to stop the walk with it, 0 to go
 * on. Children that vanish during the walk are skipped silently.
 */
typedef int (*cgfs_walk_cb)(void *userdata, const char *cgroup);

/* Keyed reads call this for each "key value" line with a numeric value. */
typedef int (*cgfs_keyed_cb)(void *userdata, const char *key, uint64_t value);

int cgfs_open_openat(const char *root, cgfs **ret);
int cgfs_open_libcgroup(const char *root, cgfs **ret);
cgfs *cgfs_free(cgfs *c);

static inline void cgfs_freep(cgfs **c)
{
	if (*c)
		*c = cgfs_free(*c);
}
#define _cleanup_cgfs_ __attribute__((cleanup(cgfs_freep)))

/* A second handle on the same root for another thread (a cgfs is not
 * thread-safe): the openat backend only, and only without a fault hook
 * (tests' hooks are single-threaded); -EOPNOTSUPP otherwise. */
int cgfs_clone(const cgfs *c, cgfs **ret);

cgfs_backend cgfs_get_backend(const cgfs *c);
const char *cgfs_backend_to_string(cgfs_backend b);
int cgfs_backend_from_string(const char *s, cgfs_backend *ret);
const char *cgfs_get_root(const cgfs *c);

void cgfs_set_fault_hook(cgfs *c, cgfs_fault_hook hook, void *userdata);

/* Successful writes since open: lets tests and the benchmark prove that
 * reconcile rewrites nothing needlessly. */
uint64_t cgfs_get_write_count(const cgfs *c);

/* Whole file, NUL-terminated, trailing newline kept. */
int cgfs_read(cgfs *c, const char *cgroup, const char *file, char **ret);

/* Several reads of one cgroup in a row: its directory is resolved once
 * (openat backend; others ignore this) until cgfs_release(). A no-op inside
 * a walk, which holds the visited cgroup already. Errors are not fatal:
 * the reads then resolve the path themselves and report. */
int cgfs_hold(cgfs *c, const char *cgroup);
void cgfs_release(cgfs *c);
/* First line without its newline: for single-value files. */
int cgfs_read_line(cgfs *c, const char *cgroup, const char *file, char **ret);
int cgfs_read_keyed(cgfs *c, const char *cgroup, const char *file,
		    cgfs_keyed_cb cb, void *userdata);
int cgfs_write(cgfs *c, const char *cgroup, const char *file,
	       const char *value);
int cgfs_walk(cgfs *c, const char *start, cgfs_walk_cb cb, void *userdata);

/* Does the cgroup exist (as a directory, not through a symlink)? */
int cgfs_cgroup_exists(cgfs *c, const char *cgroup);

/* Path and name checks, exposed for the bus layer and the tests. */
bool cgfs_path_is_valid(const char *cgroup);
bool cgfs_filename_is_valid(const char *file);
bool cgfs_file_is_writable(const char *file);

/* Canonical form of a valid path: "/" or "/a/b" without doubled or trailing
 * slashes. -EINVAL for an invalid one. */
int cgfs_path_normalize(const char *cgroup, char **ret);

/* Joins a parent path and a child name into a canonical path. */
int cgfs_path_join(const char *parent, const char *name, char **ret);

/* Parses a flat-keyed buffer ("key value\n"...); lines whose value is not
 * a plain unsigned number are skipped, as the kernel may add any. */
int cgfs_parse_keyed(const char *text, cgfs_keyed_cb cb, void *userdata);

/* libcgroup returns positive ECG* codes and keeps the errno of ECGOTHER
 * aside; this maps both to one negative errno. Exposed for tests. */
int cgfs_libcgroup_error_to_errno(int ecg, int last_errno);
