/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcgroup backend. libcgroup 2.0.2 has three traps, each handled here and
 * nowhere else:
 *  - it returns positive ECG* codes: converted to -errno at every call;
 *  - cgroup_get_cgroup() + cgroup_modify_cgroup() writes back every file it
 *    read: each write builds a fresh cgroup object holding one value;
 *  - cgroup_get_value_string() truncates at 4 KiB: reads go through the
 *    line iterator and are concatenated, so memory.stat arrives whole.
 * libcgroup opens files with fopen() and so follows symlinks; cgroupfs
 * cannot hold symlinks, and cgfs.c has already refused "..", so the
 * O_NOFOLLOW guarantees of the openat backend hold on a real cgroupfs.
 */
#include <libcgroup.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cgfs-backend.h"
#include "util.h"

#define CONTROLLER "memory"

int cgfs_libcgroup_error_to_errno(int ecg, int last_errno)
{
	if (ecg == 0)
		return 0;
	if (ecg < 0)
		return ecg;     /* already an errno */
	if (ecg < 50000)
		return -ecg;    /* some paths hand back a raw errno */

	switch (ecg) {
	case ECGOTHER:
		return last_errno > 0 ? -last_errno : -EIO;
	case ECGROUPNOTEXIST:
	case ECGROUPVALUENOTEXIST:
		return -ENOENT;
	case ECGROUPNOTOWNER:
	case ECGROUPNOTALLOWED:
		return -EACCES;
	case ECGINVAL:
	case ECGROUPPARSEFAIL:
	case ECGCONFIGPARSEFAIL:
		return -EINVAL;
	case ECGROUPNOTMOUNTED:
	case ECGROUPSUBSYSNOTMOUNTED:
	case ECGROUPNOTCOMPILED:
		return -ENXIO;
	case ECGROUPNOTINITIALIZED:
		return -ENOTCONN;
	case ECGROUPUNSUPP:
		return -EOPNOTSUPP;
	case ECGEOF:
		return -ENODATA;
	case ECGMAXVALUESEXCEEDED:
		return -E2BIG;
	case ECGCANTSETVALUE:
		return -EIO;
	case ECGNONEMPTY:
		return -EBUSY;
	default:
		return -EIO;
	}
}

static int ecg(int code)
{
	return cgfs_libcgroup_error_to_errno(code, code == ECGOTHER ? cgroup_get_last_errno() : 0);
}

static int lcg_read(cgfs *c, const char *cgroup, const char *file, bool first_line,
		    char **ret)
{
	_cleanup_free_ char *out = NULL;
	char buf[4096];
	char name[256];
	void *handle = NULL;
	int k, r;

	/* The API takes a non-const name. */
	r = strscpy(name, sizeof(name), file);
	if (r < 0)
		return r;
	k = cgroup_read_value_begin(CONTROLLER, cgroup, name, &handle, buf, sizeof(buf));
	while (k == 0) {
		r = strextendf(&out, "%s", buf);
		if (r < 0) {
			cgroup_read_value_end(&handle);
			return r;
		}
		if (first_line && strchr(buf, '\n')) {
			k = ECGEOF;
			break;
		}
		k = cgroup_read_value_next(&handle, buf, sizeof(buf));
	}
	if (handle)
		cgroup_read_value_end(&handle);
	if (k != ECGEOF)
		return ecg(k);
	if (!out) {
		out = strdup("");
		if (!out)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

static void cgroup_freep(struct cgroup **cg)
{
	if (*cg)
		cgroup_free(cg);
}

static int lcg_write(cgfs *c, const char *cgroup, const char *file, const char *value)
{
	_cleanup_(cgroup_freep) struct cgroup *cg = NULL;
	struct cgroup_controller *ctrl;
	int k;

	/* Fresh object, one value: cgroup_modify_cgroup() writes every value
	 * the object holds, so nothing else may ever be in it. */
	cg = cgroup_new_cgroup(cgroup);
	if (!cg)
		return -ENOMEM;
	ctrl = cgroup_add_controller(cg, CONTROLLER);
	if (!ctrl)
		return -ENOMEM;
	k = cgroup_add_value_string(ctrl, file, value);
	if (k != 0)
		return ecg(k);
	return ecg(cgroup_modify_cgroup(cg));
}

/* libcgroup walks with fts(3) (FTS_NOCHDIR): fts reads each directory to
 * its end and closes it before descending, and opens by full path, so the
 * fds it holds do not grow with depth and no cgroup is skipped for want of
 * one (unlike a walk holding a directory fd per level; see cgfs-openat.c).
 * Its limit is the path length, PATH_MAX, as for every cgfs path. */
static int lcg_walk(cgfs *c, const char *start, cgfs_walk_cb cb, void *userdata)
{
	struct cgroup_file_info info;
	size_t rootlen = strlen(c->root);
	void *handle = NULL;
	int base_level, k, r = 0;

	k = cgroup_walk_tree_begin(CONTROLLER, start, 0, &handle, &info, &base_level);
	while (k == 0) {
		if (info.type == CGROUP_FILE_TYPE_DIR && info.full_path &&
		    strncmp(info.full_path, c->root, rootlen) == 0) {
			_cleanup_free_ char *rel = NULL;

			r = cgfs_path_normalize(info.full_path + rootlen, &rel);
			if (r >= 0)
				r = cb(userdata, rel);
			else if (r == -EINVAL)
				r = 0;
			if (r < 0)
				break;
		}
		k = cgroup_walk_tree_next(0, &handle, &info, base_level);
	}
	if (handle)
		cgroup_walk_tree_end(&handle);
	if (r < 0)
		return r;
	return k == ECGEOF ? 0 : ecg(k);
}

static int lcg_exists(cgfs *c, const char *cgroup)
{
	_cleanup_free_ char *full = NULL;
	struct stat st;
	int r;

	r = strextendf(&full, "%s%s", c->root, cgroup);
	if (r < 0)
		return r;
	if (lstat(full, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return S_ISDIR(st.st_mode);
}

int cgfs_open_libcgroup(const char *root, cgfs **ret)
{
	_cleanup_cgfs_ cgfs *c = NULL;
	_cleanup_free_ char *mnt = NULL;
	char want[PATH_MAX], have[PATH_MAX];
	static const cgfs_backend_ops ops = {
		.read = lcg_read,
		.write = lcg_write,
		.walk = lcg_walk,
		.exists = lcg_exists,
	};
	int r;

	/* libcgroup would print its ERROR messages to stdout by default; its
	 * failures come back to us as codes and the caller logs them once.
	 * CGROUP_LOGLEVEL in the environment brings its messages back. */
	if (getenv("CGROUP_LOGLEVEL"))
		cgroup_set_default_logger(-1);
	else
		cgroup_set_logger(NULL, CGROUP_LOG_ERROR, NULL);
	r = ecg(cgroup_init());
	if (r < 0)
		return r;
	r = ecg(cgroup_get_subsys_mount_point(CONTROLLER, &mnt));
	if (r < 0)
		return r;
	/* libcgroup finds its own mounts; on a hybrid system its "memory" is
	 * the v1 hierarchy, where the promotion knobs do not exist. */
	if (!realpath(root, want) || !realpath(mnt, have))
		return -errno;
	if (!streq(want, have))
		return -EXDEV;

	r = cgfs_new(CGFS_BACKEND_LIBCGROUP, &ops, want, &c);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}
