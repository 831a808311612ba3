/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * DAMON's sysfs admin tree (/sys/kernel/mm/damon/admin), below a root
 * directory fd so tests can point it at a fake tree. Paths are relative to
 * the admin directory and formatted printf-style. DAMON serialises its
 * sysfs with a trylock: any write may fail with -EBUSY while a kdamond
 * handles a command, so writes are retried a few times before the error is
 * returned. All functions return 0 or a negative errno.
 */

#include <stdbool.h>
#include <stdint.h>

typedef struct damon_fs damon_fs;

/*
 * Called instead of the write when set: > 0 the hook did the write itself
 * (a fake kernel), 0 write the file as usual, < 0 fail with that error.
 * path is relative to the admin directory.
 */
typedef int (*damon_fs_write_hook)(void *userdata, const char *path, const char *value);

int damon_fs_open(const char *admin_root, damon_fs **ret);
damon_fs *damon_fs_free(damon_fs *d);
static inline void damon_fs_freep(damon_fs **d)
{
	if (*d)
		*d = damon_fs_free(*d);
}
#define _cleanup_damon_fs_ __attribute__((cleanup(damon_fs_freep)))

const char *damon_fs_get_root(const damon_fs *d);
void damon_fs_set_write_hook(damon_fs *d, damon_fs_write_hook hook, void *userdata);
/* Tests: retry -EBUSY without sleeping between tries. */
void damon_fs_set_busy_wait_usec(damon_fs *d, uint64_t usec);

__attribute__((format(printf, 3, 4)))
int damon_fs_write(damon_fs *d, const char *value, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
int damon_fs_write_u64(damon_fs *d, uint64_t value, const char *fmt, ...);
/* First line without the newline. */
__attribute__((format(printf, 3, 4)))
int damon_fs_read_line(damon_fs *d, char **ret, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
int damon_fs_read_u64(damon_fs *d, uint64_t *ret, const char *fmt, ...);
__attribute__((format(printf, 2, 3)))
bool damon_fs_exists(damon_fs *d, const char *fmt, ...);
