/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* String-keyed hash map (open addressing, linear probing, tombstones).
 * Keys are copied and owned by the map; values are borrowed pointers that
 * the map's free function (if any) releases on removal and on free. Sized
 * for one entry per cgroup: ~10k entries in well under a megabyte. */

#include <stdbool.h>
#include <stddef.h>

typedef struct strmap strmap;
typedef void (*strmap_free_func)(void *value);

int strmap_new(strmap_free_func free_value, strmap **ret);
strmap *strmap_free(strmap *m);
static inline void strmap_freep(strmap **m)
{
	if (*m)
		*m = strmap_free(*m);
}
#define _cleanup_strmap_ __attribute__((cleanup(strmap_freep)))

/* Replaces (and frees) an existing value. */
int strmap_put(strmap *m, const char *key, void *value);
void *strmap_get(const strmap *m, const char *key);
/* Frees the value; returns whether the key was there. */
bool strmap_remove(strmap *m, const char *key);
size_t strmap_size(const strmap *m);

/* Iteration: start with *i = 0; returns false at the end. The map must not
 * change while iterating, except through strmap_remove_current(). */
bool strmap_iterate(const strmap *m, size_t *i, const char **ret_key, void **ret_value);
void strmap_remove_current(strmap *m, size_t i);
