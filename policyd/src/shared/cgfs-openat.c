/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * openat() backend: every path is resolved one component at a time from the
 * root directory fd with O_NOFOLLOW, so neither a symlink planted inside a
 * delegated subtree nor ".." can make the daemon write outside the root.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/stat.h>

#include "cgfs-backend.h"
#include "util.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* openat2() when the kernel (and the seccomp filter) allow it: one syscall
 * for the whole path with the same guarantees as the walk below - no
 * symlink, nothing outside the root, no other mount. -EOPNOTSUPP means
 * "use the walk". */
static int open_beneath(cgfs *c, const char *rel)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	long fd;

	if (c->no_openat2)
		return -EOPNOTSUPP;
	fd = syscall(SYS_openat2, c->root_fd, rel, &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno == ENOSYS || errno == EPERM || errno == E2BIG) {
		c->no_openat2 = true;
		return -EOPNOTSUPP;
	}
	return errno == ELOOP ? -ENOTDIR : -errno;
}

/* Caller passes a canonical path ("/" or "/a/b"). Returns an owned fd. Each
 * call opens afresh: a dup() of the root fd would share its directory
 * offset, and a walk would find the root already read to its end. */
static int open_cgroup_dir(cgfs *c, const char *cgroup)
{
	_cleanup_close_ int fd = -EBADF;
	const char *p = cgroup;
	int r;

	if (cgroup[1]) {
		r = open_beneath(c, cgroup + 1);
		if (r != -EOPNOTSUPP)
			return r;
	}

	while (*p) {
		char name[256];
		size_t n;
		int nfd;

		p += strspn(p, "/");
		if (!*p)
			break;
		n = strcspn(p, "/");
		if (n >= sizeof(name))
			return -ENAMETOOLONG;
		memcpy(name, p, n);
		name[n] = 0;
		p += n;

		nfd = openat(fd >= 0 ? fd : c->root_fd, name, DIR_FLAGS);
		if (nfd < 0)
			return errno == ELOOP ? -ENOTDIR : -errno;
		safe_close(fd);
		fd = nfd;
	}
	if (fd < 0) {
		fd = openat(c->root_fd, ".", DIR_FLAGS);
		if (fd < 0)
			return -errno;
	}
	return TAKE_FD(fd);
}

/* The directory of a cgroup: borrowed from the running walk when it is the
 * cgroup being visited, else opened (and then *owned is set). */
static int cgroup_dir(cgfs *c, const char *cgroup, int *owned)
{
	if (c->walk_fd >= 0 && streq(cgroup, c->walk_path))
		return c->walk_fd;
	*owned = open_cgroup_dir(c, cgroup);
	return *owned;
}

static int openat_read(cgfs *c, const char *cgroup, const char *file, bool first_line,
		       char **ret)
{
	_cleanup_close_ int owned = -EBADF, fd = -EBADF;
	int dfd;

	dfd = cgroup_dir(c, cgroup, &owned);
	if (dfd < 0)
		return dfd;
	fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return cgfs_read_fd(fd, first_line, ret);
}

static int openat_write(cgfs *c, const char *cgroup, const char *file,
			const char *value)
{
	_cleanup_close_ int owned = -EBADF, fd = -EBADF;
	size_t len = strlen(value);
	ssize_t n;
	int dfd;

	dfd = cgroup_dir(c, cgroup, &owned);
	if (dfd < 0)
		return dfd;
	/* No O_CREAT: the kernel creates knobs; a missing one means no support.
	 * O_TRUNC so a plain-file test tree behaves like cgroupfs. */
	fd = openat(dfd, file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_TRUNC);
	if (fd < 0)
		return -errno;
	/* cgroup files take one value per write(); never split it. */
	n = write(fd, value, len);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

static int is_subdir(int dfd, const struct dirent *de)
{
	struct stat st;

	if (de->d_type == DT_DIR)
		return 1;
	if (de->d_type != DT_UNKNOWN)
		return 0;
	if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	return S_ISDIR(st.st_mode);
}

/*
 * Directory fds a walk holds at most: one per level it is inside. Deeper
 * down, a directory's children are listed, the directory closed, and each
 * child opened by path from the root fd (open_cgroup_dir(): same
 * guarantees, no symlinks, nothing outside the root). Real hierarchies are
 * a handful of levels deep; the bound keeps a pathological one from using
 * up RLIMIT_NOFILE, which made the walk skip every cgroup below that depth.
 */
#define WALK_FDS_MAX 16

static bool is_dot_or_dotdot(const char *name)
{
	return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

/* Appends name to the canonical path of length len in place; false when
 * the result would not fit in PATH_MAX (such a cgroup cannot be named). */
static bool path_push(char *path, size_t len, const char *name, size_t *ret_len)
{
	size_t nl = strlen(name), base = len == 1 ? 0 : len; /* root is "/" */

	if (base + 1 + nl + 1 > PATH_MAX)
		return false;
	path[base] = '/';
	memcpy(path + base + 1, name, nl + 1);
	*ret_len = base + 1 + nl;
	return true;
}

/* Names of the subdirectories of d, read to the end. */
static int list_subdirs(DIR *d, char ***ret)
{
	_cleanup_strv_free_ char **names = NULL;
	struct dirent *de;
	size_t n = 0;

	while ((errno = 0, de = readdir(d))) {
		char **m;

		if (is_dot_or_dotdot(de->d_name) || is_subdir(dirfd(d), de) <= 0)
			continue;
		m = reallocarray(names, n + 2, sizeof(*names));
		if (!m)
			return -ENOMEM;
		names = m;
		names[n] = strdup(de->d_name);
		if (!names[n])
			return -ENOMEM;
		names[++n] = NULL;
	}
	if (errno != 0 && errno != ENOENT && errno != ENODEV)
		return -errno;
	if (!names) {
		names = calloc(1, sizeof(*names));
		if (!names)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(names);
	return 0;
}

static int walk_dir(cgfs *c, int dfd, char *path, size_t len, unsigned depth, cgfs_walk_cb cb,
		    void *userdata);

/* Below WALK_FDS_MAX: the directory is closed before descending. */
static int walk_children_by_path(cgfs *c, DIR *d, char *path, size_t len, unsigned depth,
				 cgfs_walk_cb cb, void *userdata)
{
	_cleanup_strv_free_ char **names = NULL;
	int r;

	r = list_subdirs(d, &names);
	closedir(d);
	if (r < 0)
		return r;

	for (char **name = names; *name; name++) {
		size_t child_len;
		int cfd;

		if (!path_push(path, len, *name, &child_len))
			continue;
		cfd = open_cgroup_dir(c, path);
		if (cfd >= 0)
			r = walk_dir(c, cfd, path, child_len, depth + 1, cb, userdata);
		/* else vanished or replaced by a symlink meanwhile: skip */
		path[len] = 0;
		if (r < 0)
			return r;
	}
	return 0;
}

/* path is a buffer of PATH_MAX with the current cgroup's canonical path in it;
 * children are appended in place to avoid an allocation per cgroup. dfd is
 * consumed. */
static int walk_dir(cgfs *c, int dfd, char *path, size_t len, unsigned depth, cgfs_walk_cb cb,
		    void *userdata)
{
	DIR *d;
	struct dirent *de;
	int r;

	/* Files are opened relative to dfd, never read as a directory stream
	 * through it, so sharing its offset with fdopendir() below is safe. */
	c->walk_path = path;
	c->walk_fd = dfd;
	r = cb(userdata, path);
	c->walk_path = NULL;
	c->walk_fd = -EBADF;
	if (r < 0) {
		safe_close(dfd);
		return r;
	}

	d = fdopendir(dfd);
	if (!d) {
		r = -errno;
		safe_close(dfd);
		return r;
	}
	if (depth + 1 >= WALK_FDS_MAX)
		return walk_children_by_path(c, d, path, len, depth, cb, userdata);

	r = 0;
	while ((errno = 0, de = readdir(d))) {
		size_t child_len;
		int cfd, k;

		if (is_dot_or_dotdot(de->d_name))
			continue;
		k = is_subdir(dfd, de);
		if (k <= 0)
			continue;
		if (!path_push(path, len, de->d_name, &child_len)) {
			path[len] = 0;
			continue;
		}

		cfd = openat(dirfd(d), de->d_name, DIR_FLAGS);
		if (cfd < 0) {
			path[len] = 0;
			continue; /* vanished or replaced by a symlink: skip */
		}
		r = walk_dir(c, cfd, path, child_len, depth + 1, cb, userdata);
		path[len] = 0;
		if (r < 0)
			break;
	}
	if (r == 0 && errno != 0 && errno != ENOENT && errno != ENODEV)
		r = -errno;
	closedir(d);
	return r;
}

static int openat_walk(cgfs *c, const char *start, cgfs_walk_cb cb, void *userdata)
{
	_cleanup_free_ char *path = NULL;
	int fd;

	fd = open_cgroup_dir(c, start);
	if (fd < 0)
		return fd;
	path = malloc(PATH_MAX);
	if (!path) {
		safe_close(fd);
		return -ENOMEM;
	}
	strscpy(path, PATH_MAX, start);
	return walk_dir(c, fd, path, strlen(path), 0, cb, userdata);
}

static int openat_exists(cgfs *c, const char *cgroup)
{
	int fd = open_cgroup_dir(c, cgroup);

	if (fd < 0)
		return fd == -ENOENT || fd == -ENOTDIR ? 0 : fd;
	safe_close(fd);
	return 1;
}

static const cgfs_backend_ops openat_ops = {
	.read = openat_read,
	.write = openat_write,
	.walk = openat_walk,
	.exists = openat_exists,
	.open_dir = open_cgroup_dir,
};

int cgfs_open_openat(const char *root, cgfs **ret)
{
	_cleanup_cgfs_ cgfs *c = NULL;
	int r;

	if (isempty(root))
		return -EINVAL;
	r = cgfs_new(CGFS_BACKEND_OPENAT, &openat_ops, root, &c);
	if (r < 0)
		return r;
	/* The root itself may be a symlink (e.g. a test's /tmp); only what lies
	 * below it is held to O_NOFOLLOW. */
	c->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->root_fd < 0)
		return -errno;

	*ret = TAKE_PTR(c);
	return 0;
}

int cgfs_clone(const cgfs *c, cgfs **ret)
{
	_cleanup_cgfs_ cgfs *n = NULL;
	int r;

	if (c->ops != &openat_ops || c->hook)
		return -EOPNOTSUPP;
	r = cgfs_new(CGFS_BACKEND_OPENAT, &openat_ops, c->root, &n);
	if (r < 0)
		return r;
	/* The same directory, even if the path has been replaced since. */
	n->root_fd = fcntl(c->root_fd, F_DUPFD_CLOEXEC, 3);
	if (n->root_fd < 0)
		return -errno;
	n->no_openat2 = c->no_openat2;
	*ret = TAKE_PTR(n);
	return 0;
}
