/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * How the daemon enforces promotion settings in the kernel. The reconciler
 * decides what each cgroup should get; a kernel backend puts it there:
 *
 *   native  memory.promotion.max / .weight (the cgtier kernel series);
 *   damos   DAMON's sysfs: one migrate_hot scheme per memcg leaf with a
 *           memcg filter and a size quota (stock 6.12, damos-backend.c);
 *   none    statistics only: rules are resolved, nothing is written.
 *
 * The reconciler calls apply() for each cgroup whose setting it handles
 * (and observe() for every cgroup a walk visits), then flush() at the end of
 * a pass; a backend that needs the whole tree (damos) acts in flush().
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgfs.h"
#include "policy.h"
#include "stats.h"

typedef enum kernel_backend_kind {
	KERNEL_BACKEND_AUTO, /* a choice (--kernel-backend=auto), never active */
	KERNEL_BACKEND_NONE,
	KERNEL_BACKEND_NATIVE,
	KERNEL_BACKEND_DAMOS,
} kernel_backend_kind;

const char *kernel_backend_kind_to_string(kernel_backend_kind k);
int kernel_backend_kind_from_string(const char *s, kernel_backend_kind *ret);

/* What the reconciler wants for one cgroup. */
struct kernel_request {
	const char *cgroup;
	/* The rule's setting; NULL when no rule applies any more (only keys
	 * the daemon owned are then reset). */
	const struct promotion_setting *setting;
	/* Knob texts for the native files; want_* false leaves a file alone. */
	bool want_max, want_weight;
	const char *max, *weight;
};

/* Outcome of apply(): KERNEL_APPLY_VANISHED stops work on the cgroup. */
enum kernel_apply_result { KERNEL_APPLY_OK, KERNEL_APPLY_VANISHED };

/* Reports the per-knob outcomes to the reconciler (its event callback and
 * counters); passed to apply(). */
struct kernel_sink {
	void (*written)(void *userdata, const char *cgroup, const char *file, const char *value);
	void (*unchanged)(void *userdata);
	void (*no_knob)(void *userdata, const char *cgroup, const char *file);
	void (*vanished)(void *userdata, const char *cgroup, const char *file, const char *value,
			 int error);
	void (*refused)(void *userdata, const char *cgroup, const char *file, const char *value,
			int error);
	void *userdata;
};

typedef struct kernel_backend kernel_backend;

typedef struct kernel_backend_ops {
	kernel_backend_kind kind;
	/* Every cgroup a walk visits, parents first (optional). */
	void (*observe)(kernel_backend *b, const char *cgroup);
	enum kernel_apply_result (*apply)(kernel_backend *b, const struct kernel_request *req,
					  const struct kernel_sink *sink);
	/* End of a pass: full when the whole tree was walked (what was not
	 * seen is gone). Optional. */
	int (*flush)(kernel_backend *b, bool full);
	/* A cgroup and everything below it were removed. Optional. */
	void (*forget)(kernel_backend *b, const char *cgroup);
	/* Adds the backend's own statistics of a cgroup. Optional. */
	int (*stats)(kernel_backend *b, const char *cgroup, struct cgroup_stats *s);
	/* Undoes what the backend set up in the kernel (daemon stop). Optional. */
	int (*stop)(kernel_backend *b);
	void (*free)(kernel_backend *b);
} kernel_backend_ops;

struct kernel_backend {
	const kernel_backend_ops *ops;
	void *data;
};

/* The native knobs through fs (borrowed), and the stats-only backend. */
int kernel_backend_new_native(cgfs *fs, kernel_backend **ret);
int kernel_backend_new_none(kernel_backend **ret);

kernel_backend_kind kernel_backend_get_kind(const kernel_backend *b);
void kernel_backend_observe(kernel_backend *b, const char *cgroup);
enum kernel_apply_result kernel_backend_apply(kernel_backend *b, const struct kernel_request *req,
					      const struct kernel_sink *sink);
int kernel_backend_flush(kernel_backend *b, bool full);
void kernel_backend_forget(kernel_backend *b, const char *cgroup);
int kernel_backend_stats(kernel_backend *b, const char *cgroup, struct cgroup_stats *s);
int kernel_backend_stop(kernel_backend *b);
kernel_backend *kernel_backend_free(kernel_backend *b);
static inline void kernel_backend_freep(kernel_backend **b)
{
	if (*b)
		*b = kernel_backend_free(*b);
}
#define _cleanup_kernel_backend_ __attribute__((cleanup(kernel_backend_freep)))

/*
 * What --kernel-backend=auto picks from what the kernel offers: native when
 * memory.promotion.max exists (knobs > 0), else damos when DAMON's admin
 * directory exists, else none. knobs is stats_probe_kernel_support()'s
 * answer; -ENODATA (no memcg to look at yet) counts as native when the
 * series' kmigrated directory is there. The damos backend's start may still
 * refuse (no migrate_hot, DAMON in use): the caller then falls back to none.
 */
kernel_backend_kind kernel_backend_detect(int knobs, bool has_kmigrated, bool has_damon);
