// SPDX-License-Identifier: GPL-2.0
/* Small cgroup v2 helpers for cgtier's selftests (see cgroup_helpers.h). */
#include "cgroup_helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

int cg_is_cgroup2(const char *path)
{
	struct statfs sfs;

	if (statfs(path, &sfs) < 0)
		return 0;
	return sfs.f_type == CGROUP2_SUPER_MAGIC;
}

int cg_join(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, CG_PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= CG_PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

int cg_file_mode(const char *dir, const char *file, mode_t *mode)
{
	char path[CG_PATH_MAX];
	struct stat st;
	int r = cg_join(path, dir, file);

	if (r < 0)
		return r;
	if (stat(path, &st) < 0)
		return -errno;
	*mode = st.st_mode & 07777;
	return 0;
}

ssize_t cg_read(const char *dir, const char *file, char *buf, size_t size)
{
	char path[CG_PATH_MAX];
	size_t len = 0;
	int fd, r = cg_join(path, dir, file);

	if (r < 0)
		return r;
	if (size == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (len == size - 1) {
			char c;

			/* Full: only fine if nothing is left. */
			n = read(fd, &c, 1);
			if (n == 0)
				break;
			close(fd);
			return n < 0 ? -errno : -EFBIG;
		}
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

int cg_write(const char *dir, const char *file, const char *data, size_t len,
	     bool *failed_open)
{
	char path[CG_PATH_MAX];
	ssize_t n;
	int fd, r = cg_join(path, dir, file);

	if (failed_open)
		*failed_open = false;
	if (r < 0)
		return r;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		if (failed_open)
			*failed_open = true;
		return -errno;
	}
	n = write(fd, data, len);
	r = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return r;
}

int cg_write_str(const char *dir, const char *file, const char *str)
{
	return cg_write(dir, file, str, strlen(str), NULL);
}

int cg_has_word(const char *dir, const char *file, const char *word)
{
	char buf[4096], *tok, *save;
	size_t wl = strlen(word);

	if (cg_read(dir, file, buf, sizeof(buf)) < 0)
		return 0;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (strlen(tok) == wl && !memcmp(tok, word, wl))
			return 1;
	return 0;
}

int cg_create(const char *path)
{
	return mkdir(path, 0755) < 0 ? -errno : 0;
}

int cg_destroy(const char *path)
{
	/* A just-emptied cgroup can be busy for a moment: retry for ~2 s. */
	for (int i = 0; i < 100; i++) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		nanosleep(&ts, NULL);
	}
	return -EBUSY;
}

int cg_file_exists(const char *dir, const char *file)
{
	mode_t mode;

	return cg_file_mode(dir, file, &mode);
}
