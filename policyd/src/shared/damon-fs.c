/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgfs-backend.h"
#include "damon-fs.h"
#include "util.h"

/* DAMON holds its sysfs lock while a kdamond handles a command, at most
 * one aggregation interval (100 ms by default): retry for about a second. */
#define DAMON_FS_BUSY_TRIES 50
#define DAMON_FS_BUSY_WAIT_USEC (20 * 1000ULL)

struct damon_fs {
	char *root;
	int root_fd;
	damon_fs_write_hook hook;
	void *hook_userdata;
	uint64_t busy_wait_usec;
};

int damon_fs_open(const char *admin_root, damon_fs **ret)
{
	_cleanup_free_ damon_fs *d = NULL;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->root_fd = open(admin_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->root_fd < 0)
		return -errno;
	d->root = strdup(admin_root);
	if (!d->root) {
		safe_close(d->root_fd);
		return -ENOMEM;
	}
	d->busy_wait_usec = DAMON_FS_BUSY_WAIT_USEC;
	*ret = TAKE_PTR(d);
	return 0;
}

damon_fs *damon_fs_free(damon_fs *d)
{
	if (!d)
		return NULL;
	safe_close(d->root_fd);
	free(d->root);
	free(d);
	return NULL;
}

const char *damon_fs_get_root(const damon_fs *d)
{
	return d->root;
}

void damon_fs_set_write_hook(damon_fs *d, damon_fs_write_hook hook, void *userdata)
{
	d->hook = hook;
	d->hook_userdata = userdata;
}

void damon_fs_set_busy_wait_usec(damon_fs *d, uint64_t usec)
{
	d->busy_wait_usec = usec;
}

static int format_path(char buf[static PATH_MAX], const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, PATH_MAX, fmt, ap);

	if (n < 0 || n >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static int write_once(damon_fs *d, const char *path, const char *value)
{
	_cleanup_close_ int fd = -EBADF;
	size_t len = strlen(value);
	ssize_t n;
	int k;

	if (d->hook) {
		k = d->hook(d->hook_userdata, path, value);
		if (k != 0)
			return k < 0 ? k : 0;
	}
	/* O_TRUNC: the fake tree is made of regular files; sysfs ignores it. */
	fd = openat(d->root_fd, path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int damon_fs_vwrite(damon_fs *d, const char *value, const char *fmt, va_list ap)
{
	char path[PATH_MAX];
	int k;

	k = format_path(path, fmt, ap);
	if (k < 0)
		return k;
	for (int i = 0;; i++) {
		k = write_once(d, path, value);
		if (k != -EBUSY || i + 1 >= DAMON_FS_BUSY_TRIES)
			return k;
		if (d->busy_wait_usec > 0) {
			struct timespec ts = {
				.tv_sec = d->busy_wait_usec / 1000000,
				.tv_nsec = (d->busy_wait_usec % 1000000) * 1000,
			};

			(void)nanosleep(&ts, NULL);
		}
	}
}

int damon_fs_write(damon_fs *d, const char *value, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = damon_fs_vwrite(d, value, fmt, ap);
	va_end(ap);
	return k;
}

int damon_fs_write_u64(damon_fs *d, uint64_t value, const char *fmt, ...)
{
	char v[24];
	va_list ap;
	int k;

	(void)snprintf_ok(v, sizeof(v), "%" PRIu64, value);
	va_start(ap, fmt);
	k = damon_fs_vwrite(d, v, fmt, ap);
	va_end(ap);
	return k;
}

static int damon_fs_vread_line(damon_fs *d, char **ret, const char *fmt, va_list ap)
{
	_cleanup_close_ int fd = -EBADF;
	char path[PATH_MAX], *text = NULL;
	int k;

	k = format_path(path, fmt, ap);
	if (k < 0)
		return k;
	fd = openat(d->root_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	k = cgfs_read_fd(fd, true, &text);
	if (k < 0)
		return k;
	text[strcspn(text, "\n")] = 0;
	*ret = text;
	return 0;
}

int damon_fs_read_line(damon_fs *d, char **ret, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = damon_fs_vread_line(d, ret, fmt, ap);
	va_end(ap);
	return k;
}

int damon_fs_read_u64(damon_fs *d, uint64_t *ret, const char *fmt, ...)
{
	_cleanup_free_ char *text = NULL;
	unsigned long long v;
	char *end;
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = damon_fs_vread_line(d, &text, fmt, ap);
	va_end(ap);
	if (k < 0)
		return k;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-')
		return -EINVAL;
	*ret = v;
	return 0;
}

bool damon_fs_exists(damon_fs *d, const char *fmt, ...)
{
	char path[PATH_MAX];
	struct stat st;
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = format_path(path, fmt, ap);
	va_end(ap);
	return k >= 0 && fstatat(d->root_fd, path, &st, AT_SYMLINK_NOFOLLOW) >= 0;
}
