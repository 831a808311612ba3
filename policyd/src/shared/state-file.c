/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "state-file.h"
#include "util.h"

#define STATE_MAGIC "cgtier-state"

static uint64_t fnv1a64(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static bool word_ok(const char *w)
{
	size_t l = strlen(w);

	return l > 0 && l < STATE_TAG_MAX && strspn(w, "abcdefghijklmnopqrstuvwxyz0123456789-") == l;
}

void state_records_free(struct state_record *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++)
		free(r[i].data);
	free(r);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int state_file_write(int dir_fd, const char *name, const char *kind, const struct state_record *records,
		     size_t n)
{
	_cleanup_free_ char *body = NULL, *tmp = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_close_ int fd = -EBADF;
	char trailer[64];
	size_t body_len = 0;
	int r;

	if (dir_fd < 0 || !name || strchr(name, '/') || !word_ok(kind) || (!records && n > 0))
		return -EINVAL;

	f = open_memstream(&body, &body_len);
	if (!f)
		return -ENOMEM;
	fprintf(f, STATE_MAGIC " %d %s\n", STATE_FILE_VERSION, kind);
	for (size_t i = 0; i < n; i++) {
		if (!word_ok(records[i].tag) || (!records[i].data && records[i].len > 0))
			return -EINVAL;
		fprintf(f, "%s %zu\n", records[i].tag, records[i].len);
		if (records[i].len > 0)
			fwrite(records[i].data, 1, records[i].len, f);
		fputc('\n', f);
	}
	if (fflush(f) != 0 || ferror(f))
		return -ENOMEM;
	f = safe_fclose(f);
	if (!body)
		return -ENOMEM;
	r = snprintf_ok(trailer, sizeof(trailer), "end %zu %016" PRIx64 "\n", n, fnv1a64(body, body_len));
	if (r < 0)
		return r;
	if (body_len + strlen(trailer) > STATE_FILE_SIZE_MAX)
		return -EFBIG;

	if (asprintf(&tmp, ".#%s.tmp", name) < 0)
		return -ENOMEM;
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	r = write_all(fd, body, body_len);
	if (r >= 0)
		r = write_all(fd, trailer, strlen(trailer));
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dir_fd, tmp, 0);
		return r;
	}
	/* The rename itself must reach the disk too. */
	if (fsync(dir_fd) < 0)
		return -errno;
	return 0;
}

static _printf_(3, 4) int bad(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (why && size > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(why, size, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* The line at *p (without '\n') into line; advances *p past it. */
static bool next_line(const char **p, const char *end, char *line, size_t size)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t l;

	if (!nl)
		return false;
	l = (size_t)(nl - *p);
	if (l >= size || memchr(*p, 0, l))
		return false;
	memcpy(line, *p, l);
	line[l] = 0;
	*p = nl + 1;
	return true;
}

static int parse(const char *text, size_t len, const char *kind, struct state_record **ret, size_t *ret_n,
		 char *why, size_t why_size)
{
	const char *p = text, *end = text + len;
	struct state_record *records = NULL;
	char line[128], want[64];
	size_t n = 0;
	int r;

	(void)snprintf_ok(want, sizeof(want), STATE_MAGIC " %d %s", STATE_FILE_VERSION, kind);
	if (!next_line(&p, end, line, sizeof(line)) || !startswith(line, STATE_MAGIC " "))
		return bad(why, why_size, "not a cgtier state file");
	if (!streq(line, want))
		return bad(why, why_size, "header \"%s\", expected \"%s\"", line, want);

	for (;;) {
		const char *record_start = p, *sp;
		struct state_record *m;
		uint64_t l;

		if (!next_line(&p, end, line, sizeof(line)))
			r = bad(why, why_size, "truncated after %zu records", n);
		else if (startswith(line, "end ")) {
			char expect[64];

			(void)snprintf_ok(expect, sizeof(expect), "end %zu %016" PRIx64, n,
					  fnv1a64(text, (size_t)(record_start - text)));
			if (!streq(line, expect))
				r = bad(why, why_size, "trailer \"%s\" does not match the content (\"%s\")", line,
					expect);
			else if (p != end)
				r = bad(why, why_size, "data after the trailer");
			else
				break;
		} else if (!(sp = strchr(line, ' ')) || (size_t)(sp - line) >= STATE_TAG_MAX ||
			   safe_atou64(sp + 1, &l) < 0)
			r = bad(why, why_size, "bad record header after %zu records", n);
		else if (l > (uint64_t)(end - p) || (uint64_t)(end - p) - l < 1 || p[l] != '\n')
			r = bad(why, why_size, "truncated record %zu", n + 1);
		else {
			m = reallocarray(records, n + 1, sizeof(*records));
			if (!m) {
				r = -ENOMEM;
				goto fail;
			}
			records = m;
			m = &records[n];
			*m = (struct state_record){ .len = (size_t)l };
			memcpy(m->tag, line, (size_t)(sp - line));
			m->tag[sp - line] = 0;
			m->data = malloc((size_t)l + 1);
			if (!m->data) {
				r = -ENOMEM;
				goto fail;
			}
			n++;
			memcpy(m->data, p, (size_t)l);
			m->data[l] = 0;
			p += l + 1;
			if (!word_ok(m->tag))
				r = bad(why, why_size, "bad record tag in record %zu", n);
			else
				continue;
		}
		goto fail;
	}

	*ret = records;
	*ret_n = n;
	return 0;

fail:
	state_records_free(records, n);
	return r;
}

int state_file_read(int dir_fd, const char *name, const char *kind, struct state_record **ret, size_t *ret_n,
		    char *why, size_t why_size)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	struct stat st;

	if (dir_fd < 0 || !name || !word_ok(kind) || !ret || !ret_n)
		return -EINVAL;

	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ELOOP)
			return bad(why, why_size, "is a symlink");
		return -errno;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return bad(why, why_size, "not a regular file");
	if (st.st_size > STATE_FILE_SIZE_MAX)
		return bad(why, why_size, "too large (%jd bytes)", (intmax_t)st.st_size);

	text = malloc((size_t)st.st_size + 1);
	if (!text)
		return -ENOMEM;
	while (len < (size_t)st.st_size) {
		ssize_t k = read(fd, text + len, (size_t)st.st_size - len);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	text[len] = 0;
	return parse(text, len, kind, ret, ret_n, why, why_size);
}
