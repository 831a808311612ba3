/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small helpers shared by the Check tests. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

/* Whole file as a NUL-terminated buffer (the caller frees it); fails the
 * test when the file cannot be read. */
static inline char *test_read_file(const char *path, size_t *ret_len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = fopen(path, "re");
	ssize_t n;

	ck_assert_msg(f != NULL, "open %s: %m", path);
	n = getdelim(&buf, &size, 0, f);
	fclose(f);
	ck_assert_int_ge(n, 0);
	*ret_len = (size_t)n;
	return buf;
}
