/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

struct strmap_slot {
	char *key; /* NULL = empty, TOMBSTONE = removed */
	void *value;
};

static char tombstone_marker;
#define TOMBSTONE (&tombstone_marker)

struct strmap {
	struct strmap_slot *slots;
	size_t n_slots; /* power of two */
	size_t n_used;  /* live entries */
	size_t n_dead;  /* tombstones */
	strmap_free_func free_value;
};

static uint64_t hash_string(const char *s)
{
	/* FNV-1a: cgroup paths share long prefixes, which it mixes well. */
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int strmap_new(strmap_free_func free_value, strmap **ret)
{
	strmap *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->free_value = free_value;
	*ret = m;
	return 0;
}

static void release(strmap *m, struct strmap_slot *s)
{
	free(s->key);
	if (m->free_value && s->value)
		m->free_value(s->value);
	s->key = TOMBSTONE;
	s->value = NULL;
}

strmap *strmap_free(strmap *m)
{
	if (!m)
		return NULL;
	for (size_t i = 0; i < m->n_slots; i++)
		if (m->slots[i].key && m->slots[i].key != TOMBSTONE)
			release(m, &m->slots[i]);
	free(m->slots);
	free(m);
	return NULL;
}

static struct strmap_slot *find(const strmap *m, const char *key)
{
	size_t mask, i;

	if (m->n_slots == 0)
		return NULL;
	mask = m->n_slots - 1;
	for (i = hash_string(key) & mask;; i = (i + 1) & mask) {
		struct strmap_slot *s = &m->slots[i];

		if (!s->key)
			return NULL;
		if (s->key != TOMBSTONE && strcmp(s->key, key) == 0)
			return s;
	}
}

static int resize(strmap *m, size_t n_slots)
{
	struct strmap_slot *old = m->slots;
	size_t n_old = m->n_slots;

	m->slots = calloc(n_slots, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		return -ENOMEM;
	}
	m->n_slots = n_slots;
	m->n_dead = 0;
	for (size_t j = 0; j < n_old; j++) {
		size_t i;

		if (!old[j].key || old[j].key == TOMBSTONE)
			continue;
		for (i = hash_string(old[j].key) & (n_slots - 1); m->slots[i].key;
		     i = (i + 1) & (n_slots - 1))
			;
		m->slots[i] = old[j];
	}
	free(old);
	return 0;
}

int strmap_put(strmap *m, const char *key, void *value)
{
	struct strmap_slot *s = find(m, key);
	size_t i, mask;
	char *k;

	if (s) {
		if (m->free_value && s->value && s->value != value)
			m->free_value(s->value);
		s->value = value;
		return 0;
	}

	/* Keep the load (live + tombstones) under 3/4. */
	if ((m->n_used + m->n_dead + 1) * 4 > m->n_slots * 3) {
		size_t n = m->n_slots ? m->n_slots : 16;
		int r;

		while ((m->n_used + 1) * 2 > n)
			n *= 2;
		r = resize(m, n);
		if (r < 0)
			return r;
	}

	k = strdup(key);
	if (!k)
		return -ENOMEM;
	mask = m->n_slots - 1;
	for (i = hash_string(key) & mask;; i = (i + 1) & mask)
		if (!m->slots[i].key || m->slots[i].key == TOMBSTONE)
			break;
	if (m->slots[i].key == TOMBSTONE)
		m->n_dead--;
	m->slots[i].key = k;
	m->slots[i].value = value;
	m->n_used++;
	return 0;
}

void *strmap_get(const strmap *m, const char *key)
{
	struct strmap_slot *s = find(m, key);

	return s ? s->value : NULL;
}

bool strmap_remove(strmap *m, const char *key)
{
	struct strmap_slot *s = find(m, key);

	if (!s)
		return false;
	release(m, s);
	m->n_used--;
	m->n_dead++;
	return true;
}

size_t strmap_size(const strmap *m)
{
	return m->n_used;
}

bool strmap_iterate(const strmap *m, size_t *i, const char **ret_key, void **ret_value)
{
	for (; *i < m->n_slots; (*i)++) {
		struct strmap_slot *s = &m->slots[*i];

		if (!s->key || s->key == TOMBSTONE)
			continue;
		if (ret_key)
			*ret_key = s->key;
		if (ret_value)
			*ret_value = s->value;
		(*i)++;
		return true;
	}
	return false;
}

void strmap_remove_current(strmap *m, size_t i)
{
	/* strmap_iterate() has already advanced past the returned slot. */
	struct strmap_slot *s = &m->slots[i - 1];

	if (!s->key || s->key == TOMBSTONE)
		return;
	release(m, s);
	m->n_used--;
	m->n_dead++;
}
