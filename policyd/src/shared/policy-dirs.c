/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "policy-internal.h"

/* Highest precedence first, as in systemd: admin, runtime, vendor. */
static const char *const policy_dirs[] = {
	POLICY_DIR_ETC,
	POLICY_DIR_RUN,
	POLICY_DIR_LIB,
};

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

struct candidate {
	char *name;
	char *path;
	size_t dir; /* index into policy_dirs, or into the list for _load_files() */
	bool is_stdin;
};

struct candidates {
	struct candidate *items;
	size_t n;
};

static void candidates_done(struct candidates *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->items[i].name);
		free(c->items[i].path);
	}
	free(c->items);
}

static int candidate_compare(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->dir < y->dir ? -1 : x->dir > y->dir;
}

static bool policy_file_name_ok(const char *name)
{
	const char *e;

	/* Dot files are editor locks and backups (".#50-web.yaml"), never policies. */
	if (name[0] == '.')
		return false;
	e = endswith(name, ".yaml");
	return e && e != name;
}

static int candidates_add_dir(struct candidates *c, const char *dir_path, size_t dir, struct policy_error *err)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	d = opendir(dir_path);
	if (!d) {
		int r = -errno;

		if (r == -ENOENT)
			return 0;
		return policy_error_set(err, dir_path, 0, 0, r, "cannot open directory: %s", strerror(-r));
	}

	for (;;) {
		struct candidate *m;

		errno = 0;
		de = readdir(d);
		if (!de) {
			int r = -errno;

			if (r != 0)
				return policy_error_set(err, dir_path, 0, 0, r, "cannot read directory: %s", strerror(-r));
			return 0;
		}
		if (!policy_file_name_ok(de->d_name))
			continue;

		m = reallocarray(c->items, c->n + 1, sizeof(*m));
		if (!m)
			return policy_error_set(err, dir_path, 0, 0, -ENOMEM, "out of memory");
		c->items = m;
		m = &c->items[c->n];
		*m = (struct candidate){ .dir = dir };
		c->n++;
		m->name = strdup(de->d_name);
		if (!m->name || asprintf(&m->path, "%s/%s", dir_path, de->d_name) < 0) {
			m->path = NULL;
			return policy_error_set(err, dir_path, 0, 0, -ENOMEM, "out of memory");
		}
	}
}

/* A symlink to /dev/null, or anything that resolves to the null device, masks. */
static int path_is_masked(const char *path, bool *ret)
{
	char target[16];
	struct stat st;
	ssize_t l;

	l = readlink(path, target, sizeof(target) - 1);
	if (l >= 0) {
		target[l] = 0;
		if (streq(target, "/dev/null")) {
			*ret = true;
			return 0;
		}
	}

	if (stat(path, &st) < 0)
		return -errno;
	*ret = S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
	return 0;
}

/* Reads fd to EOF; size_hint is where to start (fstat's size), path names it in errors. */
static int fd_read_all(int fd, const char *path, size_t size_hint, char **ret_text, size_t *ret_len,
		       struct policy_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, size;
	int r;

	/* Room for one byte more than fstat() saw, so EOF is seen without a second buffer. */
	size = size_hint + 1;
	buf = malloc(size);
	if (!buf)
		return policy_error_set(err, path, 0, 0, -ENOMEM, "out of memory");
	for (;;) {
		ssize_t n;

		/* The file grew since fstat(): grow too, up to one byte past the limit. */
		if (len == size) {
			char *b;

			if (size > POLICY_FILE_SIZE_MAX)
				return policy_error_set(err, path, 0, 0, -EFBIG, "file is too large (limit %d bytes)",
							POLICY_FILE_SIZE_MAX);
			size = MIN(size * 2, (size_t)POLICY_FILE_SIZE_MAX + 1);
			b = realloc(buf, size);
			if (!b)
				return policy_error_set(err, path, 0, 0, -ENOMEM, "out of memory");
			buf = b;
		}

		n = read(fd, buf + len, size - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			return policy_error_set(err, path, 0, 0, r, "cannot read: %s", strerror(-r));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}

	*ret_text = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

static const char *file_type_to_string(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	default:
		return "of unknown type";
	}
}

static int file_read_all(const char *path, char **ret_text, size_t *ret_len, struct policy_error *err)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	int r;

	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	 * writer, forever, and the daemon with it. Symlinks are followed on
	 * purpose (cgtier-policies(5)); masks were recognised before we got here. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		return policy_error_set(err, path, 0, 0, r, "cannot open: %s", strerror(-r));
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		return policy_error_set(err, path, 0, 0, r, "cannot stat: %s", strerror(-r));
	}
	if (!S_ISREG(st.st_mode))
		return policy_error_set(err, path, 0, 0, -EINVAL, "not a regular file but %s: refusing to read it",
					file_type_to_string(st.st_mode));
	if (st.st_size > POLICY_FILE_SIZE_MAX)
		return policy_error_set(err, path, 0, 0, -EFBIG, "file is too large (%jd bytes, limit %d)",
					(intmax_t)st.st_size, POLICY_FILE_SIZE_MAX);

	return fd_read_all(fd, path, (size_t)st.st_size, ret_text, ret_len, err);
}

/* Takes *text (the source of a loaded file) when the file is added. */
static int policy_files_add(struct policy_file **files, size_t *n, const struct candidate *c,
			    enum policy_file_state state, size_t n_rules, char **text, size_t text_len)
{
	struct policy_file *m;

	m = reallocarray(*files, *n + 1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	*files = m;
	m[*n] = (struct policy_file){
		.path = strdup(c->path),
		.name = strdup(c->name),
		.state = state,
		.n_rules = n_rules,
	};
	if (!m[*n].path || !m[*n].name) {
		policy_file_done(&m[*n]);
		return -ENOMEM;
	}
	if (text) {
		m[*n].text = TAKE_PTR(*text);
		m[*n].text_len = text_len;
	}
	(*n)++;
	return 0;
}

/* Loads the winner of one basename group and records every file of the group. */
static int load_group(const struct candidate *group, size_t n_group, struct policy_rule **rules, size_t *n_rules,
		      struct policy_file **files, size_t *n_files, struct policy_error *err)
{
	struct policy_rule *got = NULL;
	_cleanup_free_ char *text = NULL;
	size_t n_got = 0, len = 0;
	bool masked = false;
	int r;

	/* Standard input is a pipe more often than not: no masking, no size to start from. */
	if (group[0].is_stdin)
		r = fd_read_all(STDIN_FILENO, group[0].path, 0, &text, &len, err);
	else {
		r = path_is_masked(group[0].path, &masked);
		if (r < 0)
			return policy_error_set(err, group[0].path, 0, 0, r, "cannot open: %s", strerror(-r));
		if (!masked)
			r = file_read_all(group[0].path, &text, &len, err);
	}
	if (r < 0)
		return r;

	if (!masked) {
		r = policy_document_parse(group[0].path, text, len, &got, &n_got, err);
		if (r < 0)
			return r;
	}

	/* A file with no content (empty files are valid) keeps "" as its source. */
	if (!masked && !text) {
		text = strdup("");
		if (!text)
			return policy_error_set(err, group[0].path, 0, 0, -ENOMEM, "out of memory");
	}
	r = policy_files_add(files, n_files, &group[0], masked ? POLICY_FILE_MASKED : POLICY_FILE_LOADED, n_got,
			     masked ? NULL : &text, len);
	if (r >= 0)
		r = policy_rules_append(rules, n_rules, TAKE_PTR(got), n_got);
	else
		policy_rules_free(got, n_got);
	for (size_t i = 1; r >= 0 && i < n_group; i++)
		r = policy_files_add(files, n_files, &group[i], POLICY_FILE_OVERRIDDEN, 0, NULL, 0);
	if (r < 0)
		return policy_error_set(err, group[0].path, 0, 0, r, "out of memory");
	return 0;
}

/* Loads sorted candidates, one basename group at a time, into a new set. */
static int candidates_load(struct candidates *c, struct policy_set **ret, struct policy_error *err)
{
	struct policy_rule *rules = NULL;
	struct policy_file *files = NULL;
	size_t n_rules = 0, n_files = 0;
	int r;

	for (size_t i = 0; i < c->n;) {
		size_t j = i + 1;

		while (j < c->n && streq(c->items[j].name, c->items[i].name))
			j++;
		r = load_group(&c->items[i], j - i, &rules, &n_rules, &files, &n_files, err);
		if (r < 0) {
			policy_rules_free(rules, n_rules);
			policy_files_free(files, n_files);
			return r;
		}
		i = j;
	}

	return policy_set_new(rules, n_rules, files, n_files, ret, err);
}

int policy_set_load_dirs(const char *root_prefix, struct policy_set **ret, struct policy_error *err)
{
	_cleanup_(candidates_done) struct candidates c = {};
	size_t root_len;
	int r;

	if (!ret)
		return policy_error_set(err, NULL, 0, 0, -EINVAL, "invalid arguments");

	root_prefix = strempty(root_prefix);
	root_len = strlen(root_prefix);
	while (root_len > 0 && root_prefix[root_len - 1] == '/')
		root_len--;

	for (size_t i = 0; i < ELEMENTSOF(policy_dirs); i++) {
		_cleanup_free_ char *dir = NULL;

		if (asprintf(&dir, "%.*s%s", (int)root_len, root_prefix, policy_dirs[i]) < 0)
			return policy_error_set(err, NULL, 0, 0, -ENOMEM, "out of memory");
		r = candidates_add_dir(&c, dir, i, err);
		if (r < 0)
			return r;
	}

	if (c.n > 0)
		qsort(c.items, c.n, sizeof(*c.items), candidate_compare);
	return candidates_load(&c, ret, err);
}

int policy_set_load_files(char *const *paths, size_t n, struct policy_set **ret, struct policy_error *err)
{
	_cleanup_(candidates_done) struct candidates c = {};

	if ((!paths && n > 0) || !ret)
		return policy_error_set(err, NULL, 0, 0, -EINVAL, "invalid arguments");

	c.items = calloc(MAX(n, (size_t)1), sizeof(*c.items));
	if (!c.items)
		return policy_error_set(err, NULL, 0, 0, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *slash = strrchr(paths[i], '/');
		struct candidate *m = &c.items[c.n++];

		*m = (struct candidate){ .dir = i, .is_stdin = streq(paths[i], "-") };
		m->name = strdup(slash ? slash + 1 : paths[i]);
		m->path = strdup(paths[i]);
		if (!m->name || !m->path)
			return policy_error_set(err, paths[i], 0, 0, -ENOMEM, "out of memory");
	}

	/* Sorted by basename, then list position: the later of two equal names is the one reported. */
	if (c.n > 0)
		qsort(c.items, c.n, sizeof(*c.items), candidate_compare);
	for (size_t i = 1; i < c.n; i++)
		if (streq(c.items[i].name, c.items[i - 1].name))
			return policy_error_set(err, c.items[i].path, 0, 0, -EINVAL,
						"same basename as %s: only one would be loaded", c.items[i - 1].path);

	return candidates_load(&c, ret, err);
}
