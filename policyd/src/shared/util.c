/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util.h"

int snprintf_ok(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!buf || size == 0)
		return -EINVAL;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= size)
		return -ENOBUFS;
	return n;
}

int strscpy(char *buf, size_t size, const char *src)
{
	size_t l;

	if (!buf || size == 0 || !src)
		return -EINVAL;

	l = strlen(src);
	if (l >= size) {
		memcpy(buf, src, size - 1);
		buf[size - 1] = 0;
		return -ENOBUFS;
	}
	memcpy(buf, src, l + 1);
	return (int)MIN(l, (size_t)INT32_MAX);
}

int strextendf(char **p, const char *fmt, ...)
{
	va_list ap;
	size_t old;
	char *n;
	int l;

	va_start(ap, fmt);
	l = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (l < 0)
		return -EINVAL;

	old = *p ? strlen(*p) : 0;
	n = realloc(*p, old + (size_t)l + 1);
	if (!n)
		return -ENOMEM;

	va_start(ap, fmt);
	(void)vsnprintf(n + old, (size_t)l + 1, fmt, ap);
	va_end(ap);
	*p = n;
	return 0;
}

int safe_atou64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (isempty(s))
		return -EINVAL;

	for (const char *c = s; *c; c++) {
		unsigned d;

		if (*c < '0' || *c > '9')
			return -EINVAL;
		d = (unsigned)(*c - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}

	*ret = v;
	return 0;
}

size_t strlevenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	_cleanup_free_ size_t *row = NULL;

	row = calloc(lb + 1, sizeof(size_t));
	if (!row)
		return SIZE_MAX;

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;

	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			best = MIN(best, up + 1);
			best = MIN(best, row[j - 1] + 1);
			diag = up;
			row[j] = best;
		}
	}

	return row[lb];
}

const char *path_find_noncanonical_component(const char *path, size_t *ret_len)
{
	for (const char *c = path;;) {
		size_t l = strcspn(c, "/");

		if (l == 0 || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.')) {
			*ret_len = l;
			return c;
		}
		if (!c[l])
			return NULL;
		c += l + 1;
	}
}
