/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small cgroup v2 helpers for cgtier's selftests. Every function returns 0
 * (or a length) on success and a negative errno on failure, and writes its
 * out-parameters only on success.
 */
#ifndef CGTIER_SELFTEST_CGROUP_HELPERS_H
#define CGTIER_SELFTEST_CGROUP_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CG_PATH_MAX 4096

/* 1 if @path is the root of a mounted cgroup v2 hierarchy, 0 if not. */
int cg_is_cgroup2(const char *path);

/* "@dir/@name" into @out (CG_PATH_MAX bytes); -ENAMETOOLONG if it does not fit. */
int cg_join(char *out, const char *dir, const char *name);

/* 0 if @dir/@file exists, -ENOENT if not, another -errno if stat() failed. */
int cg_file_exists(const char *dir, const char *file);

/* The permission bits of @dir/@file in *@mode. */
int cg_file_mode(const char *dir, const char *file, mode_t *mode);

/*
 * Read all of @dir/@file into @buf (NUL-terminated, at most @size - 1 bytes)
 * with one open() and read() until EOF. Returns the length or -errno;
 * -EFBIG if it does not fit.
 */
ssize_t cg_read(const char *dir, const char *file, char *buf, size_t size);

/*
 * Open @dir/@file O_WRONLY and write the @len bytes of @data with a single
 * write(2), as echo(1) does. Returns 0 if write() accepted all bytes, -errno
 * of whichever of open() or write() failed (in *@failed_open, if not NULL,
 * true when open() was the one), -EIO on a short write.
 */
int cg_write(const char *dir, const char *file, const char *data, size_t len,
	     bool *failed_open);

/* Like cg_write() for a NUL-terminated string. */
int cg_write_str(const char *dir, const char *file, const char *str);

/* 1 if @controller is a word of @dir/@file (cgroup.controllers, ...), 0 if not. */
int cg_has_word(const char *dir, const char *file, const char *controller);

/* mkdir @path as a cgroup. */
int cg_create(const char *path);

/* rmdir @path, retrying briefly while it is busy. Async-signal-safe. */
int cg_destroy(const char *path);

#endif
