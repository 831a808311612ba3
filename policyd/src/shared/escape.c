/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

int utf8_decode(const char *s, size_t n, uint32_t *ret)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c, min;
	size_t len;

	if (n == 0)
		return -EILSEQ;
	if (p[0] < 0x80) {
		*ret = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0)
		len = 2, c = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, c = p[0] & 0x0f, min = 0x800;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4, c = p[0] & 0x07, min = 0x10000;
	else
		return -EILSEQ;
	if (n < len)
		return -EILSEQ;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -EILSEQ;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -EILSEQ;
	*ret = c;
	return (int)len;
}

bool utf8_is_valid(const char *s)
{
	size_t n = strlen(s);
	uint32_t c;

	for (size_t i = 0; i < n;) {
		int len = utf8_decode(s + i, n - i, &c);

		if (len < 0)
			return false;
		i += (size_t)len;
	}
	return true;
}

static bool is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

char *text_escape(const char *s, unsigned flags)
{
	size_t n = strlen(s), k = 0;
	/* Worst case: every byte becomes \xNN. */
	char *out = malloc(n * 4 + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		uint32_t c;
		int len = utf8_decode(s + i, n - i, &c);

		if (len < 0 || (is_control(c) && !(flags & ESCAPE_INVALID_ONLY))) {
			/* A C1 control is two bytes in UTF-8: escape both. */
			int m = len < 0 ? 1 : len;

			if (len > 0 && c == '\n' && (flags & ESCAPE_KEEP_NEWLINE))
				out[k++] = '\n';
			else if (len > 0 && c == '\n')
				k += (size_t)sprintf(out + k, "\\n");
			else if (len > 0 && c == '\t')
				k += (size_t)sprintf(out + k, "\\t");
			else if (len > 0 && c == '\r')
				k += (size_t)sprintf(out + k, "\\r");
			else
				for (int j = 0; j < m; j++)
					k += (size_t)sprintf(out + k, "\\x%02x",
							     (unsigned)(unsigned char)s[i + (size_t)j]);
			i += (size_t)m;
			continue;
		}
		memcpy(out + k, s + i, (size_t)len);
		k += (size_t)len;
		i += (size_t)len;
	}
	out[k] = 0;
	return out;
}

/* Length of the prefix of s that needs no escaping in JSON or Prometheus:
 * printable ASCII but '"' and '\\'. Written with one fwrite(): a scrape of
 * 10,000 cgroups writes 140,000 labels. */
static size_t plain_prefix(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f && s[i] != '"' &&
	       s[i] != '\\')
		i++;
	return i;
}

/* A double-quoted string for JSON (every control character as \uNNNN) or
 * for a Prometheus label (only '"', '\' and newline escaped); both
 * replace a byte of invalid UTF-8 by U+FFFD. */
static void quoted_write(FILE *f, const char *s, bool json)
{
	size_t n = strlen(s);

	fputc('"', f);
	for (size_t i = 0; i < n;) {
		size_t plain = plain_prefix(s + i, n - i);
		uint32_t c;
		int len;

		if (plain) {
			fwrite(s + i, 1, plain, f);
			i += plain;
			continue;
		}
		len = utf8_decode(s + i, n - i, &c);
		if (len < 0) {
			fputs(json ? "\\ufffd" : "\xef\xbf\xbd", f);
			i++;
			continue;
		}
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", (char)c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (json && c == '\t')
			fputs("\\t", f);
		else if (json && is_control(c))
			fprintf(f, "\\u%04x", (unsigned)c);
		else
			fwrite(s + i, 1, (size_t)len, f);
		i += (size_t)len;
	}
	fputc('"', f);
}

void json_string_write(FILE *f, const char *s)
{
	quoted_write(f, s, true);
}

void prometheus_label_write(FILE *f, const char *s)
{
	quoted_write(f, s, false);
}
