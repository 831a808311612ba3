/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The damos backend's arithmetic, free of any I/O so that tests can check
 * it directly: which cgroups get a scheme and at what rate, how a rate
 * becomes a DAMOS quota, and which scheme slot each cgroup keeps.
 *
 * A DAMOS memcg filter matches the pages of one memcg, not of a subtree, so
 * schemes go to memcg leaves: cgroups with the memory controller none of
 * whose children has it. A leaf gets a scheme when it or an ancestor has a
 * rule. Its rate is the smallest of the limits on its path, each split
 * down to it the way memory.promotion.weight shares a parent's service: at
 * every level a child gets weight / (sum of the weights of its siblings
 * with the memory controller), weight 100 where no rule sets one.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* DAMOS charges its quota when it applies schemes, once per aggregation
 * interval (the 100 ms the backend sets): a shorter reset interval would
 * not be shorter in effect, so periods are rounded up to it. */
#define DAMOS_AGGR_INTERVAL_US 100000ULL
#define DAMOS_RESET_INTERVAL_MIN_MS (DAMOS_AGGR_INTERVAL_US / 1000)
/* Quotas are spent in whole DAMON regions of at least a page: a smaller
 * quota applies nothing at all. */
#define DAMOS_QUOTA_MIN_BYTES 4096ULL

struct damos_quota {
	bool nothing;      /* rate 0: the scheme must apply to nothing */
	uint64_t bytes;    /* quotas/bytes; 0 = no size quota (unlimited) */
	uint64_t reset_ms; /* quotas/reset_interval_ms */
};

/*
 * bytes_per_sec (PROMOTION_MAX_UNLIMITED allowed) over period_us, the
 * native memory.promotion.max period, as a DAMOS quota: reset interval =
 * the period in ms, at least DAMOS_RESET_INTERVAL_MIN_MS; bytes = rate *
 * interval, rounded to the nearest byte. A budget below
 * DAMOS_QUOTA_MIN_BYTES is raised to it and the interval lengthened to keep
 * the rate. -EINVAL for a zero period.
 */
int damos_quota_from_rate(uint64_t bytes_per_sec, uint64_t period_us, struct damos_quota *ret);

/* One cgroup known to the backend. */
struct damos_cgroup {
	const char *path;                      /* canonical, "/a/b" */
	bool has_memcg;                        /* memory controller enabled */
	const struct promotion_setting *setting; /* its rule's, NULL if none */
};

/* A memcg leaf that gets a scheme. */
struct damos_leaf {
	char *path;
	uint64_t bytes_per_sec; /* PROMOTION_MAX_UNLIMITED = no quota */
	uint64_t period_us;     /* of the limit that binds */
};

void damos_leaves_free(struct damos_leaf *l, size_t n);

/* The leaves among cgroups[] (any order) that get a scheme, sorted by path. */
int damos_plan_leaves(const struct damos_cgroup *cgroups, size_t n, struct damos_leaf **ret,
		      size_t *ret_n);

/*
 * Scheme slots: slot i is scheme i of every kdamond. A cgroup keeps its
 * slot while it has a scheme; a cgroup that no longer has one leaves a
 * vacancy (NULL) instead of shifting the others, since DAMON keeps each
 * scheme's stats and quota state by index; new cgroups fill the lowest
 * vacancies, then append.
 */
struct damos_slots {
	char **cgroup; /* NULL = vacant */
	size_t n;
};

void damos_slots_done(struct damos_slots *s);
/* Index of cgroup's slot, or -ENOENT. */
int damos_slots_find(const struct damos_slots *s, const char *cgroup);
/* Vacates the slots of cgroups not among leaves[]; *ret_vacated counts them. */
int damos_slots_vacate_missing(struct damos_slots *s, const struct damos_leaf *leaves, size_t n,
			       size_t *ret_vacated);
/* Gives every leaf without a slot one; *ret_added counts them. */
int damos_slots_assign(struct damos_slots *s, const struct damos_leaf *leaves, size_t n,
		       size_t *ret_added);
/* Puts cgroup (NULL: vacant) in slot i, growing the table as needed. */
int damos_slots_set(struct damos_slots *s, size_t i, const char *cgroup);
