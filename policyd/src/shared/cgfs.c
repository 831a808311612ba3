/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/stat.h>

#include "cgfs-backend.h"
#include "cgtier/cgtier.h"
#include "util.h"

static const char *const writable_files[] = {
	CGTIER_KNOB_PROMOTION_MAX,
	CGTIER_KNOB_PROMOTION_WEIGHT,
};

bool cgfs_file_is_writable(const char *file)
{
	if (!file)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(writable_files); i++)
		if (streq(file, writable_files[i]))
			return true;
	return false;
}

bool cgfs_filename_is_valid(const char *file)
{
	if (isempty(file) || streq(file, ".") || streq(file, ".."))
		return false;
	if (strchr(file, '/'))
		return false;
	return strlen(file) <= 255;
}

bool cgfs_path_is_valid(const char *cgroup)
{
	const char *p;

	if (!cgroup)
		return false;
	if (strlen(cgroup) >= 4096)
		return false;

	p = cgroup;
	for (;;) {
		size_t n;

		p += strspn(p, "/");
		if (!*p)
			return true;
		n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (n > 255)
			return false;
		p += n;
	}
}

int cgfs_path_normalize(const char *cgroup, char **ret)
{
	_cleanup_free_ char *out = NULL;
	const char *p;
	size_t k = 0;

	if (!cgfs_path_is_valid(cgroup))
		return -EINVAL;

	out = malloc(strlen(cgroup) + 2);
	if (!out)
		return -ENOMEM;

	for (p = cgroup;;) {
		size_t n;

		p += strspn(p, "/");
		if (!*p)
			break;
		n = strcspn(p, "/");
		out[k++] = '/';
		memcpy(out + k, p, n);
		k += n;
		p += n;
	}
	if (k == 0)
		out[k++] = '/';
	out[k] = 0;

	*ret = TAKE_PTR(out);
	return 0;
}

int cgfs_path_join(const char *parent, const char *name, char **ret)
{
	_cleanup_free_ char *joined = NULL;
	int r;

	if (!cgfs_filename_is_valid(name))
		return -EINVAL;
	r = strextendf(&joined, "%s/%s", parent, name);
	if (r < 0)
		return r;
	return cgfs_path_normalize(joined, ret);
}

int cgfs_new(cgfs_backend backend, const cgfs_backend_ops *ops,
	     const char *root, cgfs **ret)
{
	_cleanup_free_ cgfs *c = NULL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->root = strdup(root);
	if (!c->root)
		return -ENOMEM;
	c->backend = backend;
	c->ops = ops;
	c->root_fd = -EBADF;
	c->walk_fd = -EBADF;

	*ret = TAKE_PTR(c);
	return 0;
}

cgfs *cgfs_free(cgfs *c)
{
	if (!c)
		return NULL;
	cgfs_release(c);
	if (c->ops && c->ops->free)
		c->ops->free(c);
	safe_close(c->root_fd);
	free(c->root);
	free(c);
	return NULL;
}

cgfs_backend cgfs_get_backend(const cgfs *c)
{
	return c->backend;
}

const char *cgfs_backend_to_string(cgfs_backend b)
{
	switch (b) {
	case CGFS_BACKEND_OPENAT:
		return "openat";
	case CGFS_BACKEND_LIBCGROUP:
		return "libcgroup";
	}
	return "unknown";
}

int cgfs_backend_from_string(const char *s, cgfs_backend *ret)
{
	if (streq_ptr(s, "openat"))
		*ret = CGFS_BACKEND_OPENAT;
	else if (streq_ptr(s, "libcgroup"))
		*ret = CGFS_BACKEND_LIBCGROUP;
	else
		return -EINVAL;
	return 0;
}

const char *cgfs_get_root(const cgfs *c)
{
	return c->root;
}

void cgfs_set_fault_hook(cgfs *c, cgfs_fault_hook hook, void *userdata)
{
	c->hook = hook;
	c->hook_userdata = userdata;
}

uint64_t cgfs_get_write_count(const cgfs *c)
{
	return c->n_writes;
}

static int run_hook(cgfs *c, cgfs_op op, const char *cgroup, const char *file)
{
	if (!c->hook)
		return 0;
	return c->hook(c->hook_userdata, op, cgroup, file);
}

int cgfs_read_fd(int fd, bool first_line, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, used = 0;

	for (;;) {
		ssize_t n;

		if (size - used < 2) {
			size_t nsize = size ? size * 2 : 4096;
			char *nbuf;

			/* cgroup files are small; refuse runaway reads. */
			if (nsize > 16 * 1024 * 1024)
				return -EFBIG;
			nbuf = realloc(buf, nsize);
			if (!nbuf)
				return -ENOMEM;
			buf = nbuf;
			size = nsize;
		}
		n = read(fd, buf + used, size - used - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (first_line && memchr(buf + used - (size_t)n, '\n', (size_t)n))
			break;
		/* A short read is the end: cgroupfs (seq_file) and tmpfs fill the
		 * whole request otherwise. Saves the read() that would return 0,
		 * a quarter of the syscalls of reading 10,000 cgroups' stats. */
		if ((size_t)n < size - (used - (size_t)n) - 1)
			break;
	}
	if (!buf) {
		buf = strdup("");
		if (!buf)
			return -ENOMEM;
	} else
		buf[used] = 0;

	*ret = TAKE_PTR(buf);
	return 0;
}

static int check_args(const char *cgroup, const char *file, char **ret_path)
{
	if (file && !cgfs_filename_is_valid(file))
		return -EINVAL;
	return cgfs_path_normalize(cgroup, ret_path);
}

static int read_common(cgfs *c, const char *cgroup, const char *file, bool first_line,
		       char **ret)
{
	_cleanup_free_ char *path = NULL;
	int r;

	r = check_args(cgroup, file, &path);
	if (r < 0)
		return r;
	if (!file)
		return -EINVAL;
	r = run_hook(c, CGFS_OP_READ, path, file);
	if (r < 0)
		return r;
	return c->ops->read(c, path, file, first_line, ret);
}

int cgfs_read(cgfs *c, const char *cgroup, const char *file, char **ret)
{
	return read_common(c, cgroup, file, false, ret);
}

int cgfs_hold(cgfs *c, const char *cgroup)
{
	_cleanup_free_ char *path = NULL;
	int r, fd;

	if (!c->ops->open_dir || c->walk_fd >= 0)
		return 0;
	r = check_args(cgroup, NULL, &path);
	if (r < 0)
		return r;
	fd = c->ops->open_dir(c, path);
	if (fd < 0)
		return fd;
	c->held_path = TAKE_PTR(path);
	c->walk_path = c->held_path;
	c->walk_fd = fd;
	return 0;
}

void cgfs_release(cgfs *c)
{
	if (!c->held_path)
		return;
	safe_close(c->walk_fd);
	c->walk_fd = -EBADF;
	c->walk_path = NULL;
	free(c->held_path);
	c->held_path = NULL;
}

int cgfs_read_line(cgfs *c, const char *cgroup, const char *file, char **ret)
{
	char *text;
	int r;

	r = read_common(c, cgroup, file, true, &text);
	if (r < 0)
		return r;
	text[strcspn(text, "\n")] = 0;
	*ret = text;
	return 0;
}

int cgfs_parse_keyed(const char *text, cgfs_keyed_cb cb, void *userdata)
{
	const char *p = text;

	while (*p) {
		char key[256], val[32];
		size_t kl, vl, ll = strcspn(p, "\n");
		const char *sp = memchr(p, ' ', ll);
		uint64_t v;
		int r;

		if (sp) {
			kl = (size_t)(sp - p);
			vl = ll - kl - 1;
			if (kl > 0 && kl < sizeof(key) && vl > 0 && vl < sizeof(val)) {
				memcpy(key, p, kl);
				key[kl] = 0;
				memcpy(val, sp + 1, vl);
				val[vl] = 0;
				if (safe_atou64(val, &v) >= 0) {
					r = cb(userdata, key, v);
					if (r < 0)
						return r;
				}
			}
		}
		p += ll;
		if (*p == '\n')
			p++;
	}
	return 0;
}

int cgfs_read_keyed(cgfs *c, const char *cgroup, const char *file,
		    cgfs_keyed_cb cb, void *userdata)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = cgfs_read(c, cgroup, file, &text);
	if (r < 0)
		return r;
	return cgfs_parse_keyed(text, cb, userdata);
}

int cgfs_write(cgfs *c, const char *cgroup, const char *file, const char *value)
{
	_cleanup_free_ char *path = NULL;
	int r;

	r = check_args(cgroup, file, &path);
	if (r < 0)
		return r;
	if (!cgfs_file_is_writable(file))
		return -EPERM;
	if (!value || strchr(value, '\n'))
		return -EINVAL;
	r = run_hook(c, CGFS_OP_WRITE, path, file);
	if (r < 0)
		return r;
	r = c->ops->write(c, path, file, value);
	if (r < 0)
		return r;
	c->n_writes++;
	return 0;
}

int cgfs_walk(cgfs *c, const char *start, cgfs_walk_cb cb, void *userdata)
{
	_cleanup_free_ char *path = NULL;
	int r;

	r = check_args(start, NULL, &path);
	if (r < 0)
		return r;
	r = run_hook(c, CGFS_OP_WALK, path, NULL);
	if (r < 0)
		return r;
	return c->ops->walk(c, path, cb, userdata);
}

int cgfs_cgroup_exists(cgfs *c, const char *cgroup)
{
	_cleanup_free_ char *path = NULL;
	int r;

	r = check_args(cgroup, NULL, &path);
	if (r < 0)
		return r;
	return c->ops->exists(c, path);
}
