/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Small systemd-style helpers shared by libcgtier, the daemon, the CLI and
 * the tests: scope-based cleanup, ownership transfer and string helpers.
 * Header-only on purpose, except the few helpers in util.c that need a body.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _pure_ __attribute__((pure))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

/* Rejects pointers at compile time: only true arrays have an element count. */
#define ELEMENTSOF(x)                                                          \
	(__builtin_choose_expr(                                                \
		!__builtin_types_compatible_p(__typeof__(x),                   \
					      __typeof__(&*(x))),              \
		sizeof(x) / sizeof((x)[0]), (void)0))

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Returns the pointer and clears the variable, so cleanup does not free it. */
#define TAKE_PTR(p)                                                            \
	({                                                                     \
		__typeof__(p) _take_ptr_tmp = (p);                             \
		(p) = NULL;                                                    \
		_take_ptr_tmp;                                                 \
	})

/* Same for file descriptors: the variable is left at -EBADF. */
#define TAKE_FD(fd)                                                            \
	({                                                                     \
		int _take_fd_tmp = (fd);                                       \
		(fd) = -EBADF;                                                 \
		_take_fd_tmp;                                                  \
	})

/*
 * Defines static inline void name(type *p) calling func(*p) when *p is not
 * NULL; pair with _cleanup_(name).
 */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                \
	static inline void func##p(type *p)                                    \
	{                                                                      \
		if (*p)                                                        \
			func(*p);                                              \
	}

#define DEFINE_TRIVIAL_CLEANUP_FUNC_FULL(type, name, func)                     \
	static inline void name(type *p)                                       \
	{                                                                      \
		if (*p)                                                        \
			func(*p);                                              \
	}

static inline void freep(void *p)
{
	free(*(void **)p);
}

/* Closes and keeps errno: cleanup paths must not clobber the caller's error. */
static inline int safe_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;
		(void)close(fd);
		errno = saved;
	}
	return -EBADF;
}

static inline void closep(int *fd)
{
	*fd = safe_close(*fd);
}

static inline FILE *safe_fclose(FILE *f)
{
	if (f) {
		int saved = errno;
		(void)fclose(f);
		errno = saved;
	}
	return NULL;
}

static inline void fclosep(FILE **f)
{
	*f = safe_fclose(*f);
}

/* Frees a NULL-terminated array of strings and the array itself. */
static inline char **strv_free(char **l)
{
	if (l) {
		for (char **i = l; *i; i++)
			free(*i);
		free(l);
	}
	return NULL;
}

static inline void strv_freep(char ***l)
{
	*l = strv_free(*l);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* NULL-tolerant: two NULLs are equal, one NULL is not. */
static inline bool streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return streq(a, b);
}

static inline bool isempty(const char *s)
{
	return !s || !*s;
}

static inline const char *strempty(const char *s)
{
	return s ?: "";
}

static inline const char *strna(const char *s)
{
	return s ?: "n/a";
}

/* Returns the rest of s after prefix, or NULL when s does not start with it. */
static inline const char *startswith(const char *s, const char *prefix)
{
	size_t l = strlen(prefix);

	return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

/* Returns a pointer to the suffix inside s, or NULL. */
static inline const char *endswith(const char *s, const char *suffix)
{
	size_t sl = strlen(s), xl = strlen(suffix);

	if (xl > sl)
		return NULL;
	return streq(s + sl - xl, suffix) ? s + sl - xl : NULL;
}

/*
 * snprintf() that reports truncation as -ENOBUFS instead of silently cutting
 * the string; buf is always NUL-terminated when size > 0.
 */
_printf_(3, 4) int snprintf_ok(char *buf, size_t size, const char *fmt, ...);

/* Copies src into buf; -ENOBUFS (and a truncated, terminated copy) if it does not fit. */
int strscpy(char *buf, size_t size, const char *src);

/*
 * Appends to a heap string *p (which may be NULL); on -ENOMEM *p is left
 * untouched so the caller still owns it.
 */
_printf_(2, 3) int strextendf(char **p, const char *fmt, ...);

/* Strict unsigned decimal parsing: digits only, no sign, no spaces, no overflow. */
int safe_atou64(const char *s, uint64_t *ret);

/*
 * The first empty, "." or ".." component of a "/"-separated path (a leading
 * or trailing "/" makes an empty one), with its length in *ret_len; NULL if
 * every component is a proper name.
 */
const char *path_find_noncanonical_component(const char *path, size_t *ret_len);

/* Levenshtein distance, for "did you mean" hints; SIZE_MAX on -ENOMEM. */
size_t strlevenshtein(const char *a, const char *b);
