/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "damos-plan.h"
#include "rate.h"
#include "strmap.h"
#include "util.h"

int damos_quota_from_rate(uint64_t bytes_per_sec, uint64_t period_us, struct damos_quota *ret)
{
	uint64_t ms, bytes;
	unsigned __int128 b;

	if (period_us == 0)
		return -EINVAL;
	if (bytes_per_sec == PROMOTION_MAX_UNLIMITED) {
		*ret = (struct damos_quota){ .bytes = 0, .reset_ms = MAX((period_us + 500) / 1000,
									 DAMOS_RESET_INTERVAL_MIN_MS) };
		return 0;
	}
	if (bytes_per_sec == 0) {
		*ret = (struct damos_quota){ .nothing = true, .reset_ms = DAMOS_RESET_INTERVAL_MIN_MS };
		return 0;
	}
	ms = MAX((period_us + 500) / 1000, DAMOS_RESET_INTERVAL_MIN_MS);
	b = ((unsigned __int128)bytes_per_sec * ms + 500) / 1000;
	if (b < DAMOS_QUOTA_MIN_BYTES) {
		/* Stretch the interval so one minimal quota keeps the rate. */
		bytes = DAMOS_QUOTA_MIN_BYTES;
		ms = (DAMOS_QUOTA_MIN_BYTES * 1000 + bytes_per_sec / 2) / bytes_per_sec;
	} else if (b > UINT64_MAX)
		bytes = UINT64_MAX;
	else
		bytes = (uint64_t)b;
	*ret = (struct damos_quota){ .bytes = bytes, .reset_ms = ms };
	return 0;
}

void damos_leaves_free(struct damos_leaf *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i].path);
	free(l);
}

/* Per cgroup while planning. */
struct node {
	const struct damos_cgroup *in;
	struct node *parent; /* NULL at the root or when not known */
	uint64_t child_weight_sum; /* over children with a memcg */
	bool has_memcg_child;
};

static uint32_t node_weight(const struct node *n)
{
	const struct promotion_setting *s = n->in->setting;

	return s && s->has_weight ? s->weight : PROMOTION_WEIGHT_DEFAULT;
}

static int parent_path(const char *path, char **ret)
{
	const char *slash = strrchr(path, '/');

	*ret = !slash || slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	return *ret ? 0 : -ENOMEM;
}

static int cmp_leaf(const void *a, const void *b)
{
	return strcmp(((const struct damos_leaf *)a)->path, ((const struct damos_leaf *)b)->path);
}

int damos_plan_leaves(const struct damos_cgroup *cgroups, size_t n, struct damos_leaf **ret,
		      size_t *ret_n)
{
	_cleanup_strmap_ strmap *index = NULL;
	_cleanup_free_ struct node *nodes = NULL;
	struct damos_leaf *leaves = NULL;
	size_t n_leaves = 0;
	int k;

	k = strmap_new(NULL, &index);
	if (k < 0)
		return k;
	nodes = calloc(n ?: 1, sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		nodes[i].in = &cgroups[i];
		k = strmap_put(index, cgroups[i].path, &nodes[i]);
		if (k < 0)
			return k;
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = NULL;

		if (streq(cgroups[i].path, "/"))
			continue;
		k = parent_path(cgroups[i].path, &p);
		if (k < 0)
			return k;
		nodes[i].parent = strmap_get(index, p);
		if (nodes[i].parent && cgroups[i].has_memcg) {
			nodes[i].parent->has_memcg_child = true;
			nodes[i].parent->child_weight_sum += node_weight(&nodes[i]);
		}
	}

	leaves = calloc(n ?: 1, sizeof(*leaves));
	if (!leaves)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint64_t rate = PROMOTION_MAX_UNLIMITED, period = PROMOTION_PERIOD_DEFAULT_US;
		long double share = 1.0L;
		bool managed = false;

		if (!cgroups[i].has_memcg || nodes[i].has_memcg_child || streq(cgroups[i].path, "/"))
			continue;
		for (const struct node *x = &nodes[i]; x; x = x->parent) {
			const struct promotion_setting *s = x->in->setting;

			if (s) {
				managed = true;
				if (s->has_max && s->max_bytes_per_sec != PROMOTION_MAX_UNLIMITED) {
					long double l = (long double)s->max_bytes_per_sec * share;
					uint64_t v = l >= 18446744073709551615.0L ? UINT64_MAX - 1 :
						     (uint64_t)(l + 0.5L);

					/* Never "never promote" for a nonzero limit. */
					if (v == 0 && s->max_bytes_per_sec > 0)
						v = 1;
					if (v < rate) {
						rate = v;
						period = s->has_period ? s->period_us :
							 PROMOTION_PERIOD_DEFAULT_US;
					}
				}
			}
			if (x->parent && x->parent->child_weight_sum > 0)
				share = share * node_weight(x) / (long double)x->parent->child_weight_sum;
		}
		if (!managed)
			continue;
		leaves[n_leaves].path = strdup(cgroups[i].path);
		if (!leaves[n_leaves].path) {
			damos_leaves_free(leaves, n_leaves);
			return -ENOMEM;
		}
		leaves[n_leaves].bytes_per_sec = rate;
		leaves[n_leaves].period_us = period;
		n_leaves++;
	}
	qsort(leaves, n_leaves, sizeof(*leaves), cmp_leaf);
	*ret = leaves;
	*ret_n = n_leaves;
	return 0;
}

void damos_slots_done(struct damos_slots *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->cgroup[i]);
	free(s->cgroup);
	*s = (struct damos_slots){};
}

int damos_slots_find(const struct damos_slots *s, const char *cgroup)
{
	for (size_t i = 0; i < s->n; i++)
		if (streq_ptr(s->cgroup[i], cgroup))
			return (int)i;
	return -ENOENT;
}

static bool leaves_contain(const struct damos_leaf *leaves, size_t n, const char *path)
{
	struct damos_leaf key = { .path = (char *)path };

	return n > 0 && bsearch(&key, leaves, n, sizeof(*leaves), cmp_leaf);
}

int damos_slots_vacate_missing(struct damos_slots *s, const struct damos_leaf *leaves, size_t n,
			       size_t *ret_vacated)
{
	size_t vacated = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->cgroup[i] && !leaves_contain(leaves, n, s->cgroup[i])) {
			free(s->cgroup[i]);
			s->cgroup[i] = NULL;
			vacated++;
		}
	*ret_vacated = vacated;
	return 0;
}

int damos_slots_set(struct damos_slots *s, size_t i, const char *cgroup)
{
	char *c = NULL;

	if (cgroup) {
		c = strdup(cgroup);
		if (!c)
			return -ENOMEM;
	}
	if (i >= s->n) {
		char **a = reallocarray(s->cgroup, i + 1, sizeof(*a));

		if (!a) {
			free(c);
			return -ENOMEM;
		}
		for (size_t j = s->n; j <= i; j++)
			a[j] = NULL;
		s->cgroup = a;
		s->n = i + 1;
	}
	free(s->cgroup[i]);
	s->cgroup[i] = c;
	return 0;
}

int damos_slots_assign(struct damos_slots *s, const struct damos_leaf *leaves, size_t n,
		       size_t *ret_added)
{
	size_t added = 0, free_slot = 0;
	int k;

	for (size_t i = 0; i < n; i++) {
		if (damos_slots_find(s, leaves[i].path) >= 0)
			continue;
		while (free_slot < s->n && s->cgroup[free_slot])
			free_slot++;
		k = damos_slots_set(s, free_slot, leaves[i].path);
		if (k < 0)
			return k;
		added++;
	}
	*ret_added = added;
	return 0;
}
