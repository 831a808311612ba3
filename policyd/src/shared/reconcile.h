/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Turns a policy set into knob values. For every cgroup the effective rule
 * gives the desired memory.promotion.max / memory.promotion.weight; each is
 * read back and written only when the kernel's value differs, so a
 * reconcile of an unchanged system writes nothing. A key that a rule set
 * before and no longer sets (rule removed, or narrowed) goes back to the
 * kernel default; keys no rule ever set are left alone, so hand-made
 * settings on unmanaged cgroups survive.
 *
 * Nothing here logs: outcomes the caller may want to log are reported
 * through the event callback, with the negative errno.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgfs.h"
#include "kernel-backend.h"
#include "policy.h"

typedef enum reconcile_event {
	RECONCILE_EVENT_WRITTEN,   /* knob changed to value */
	RECONCILE_EVENT_VANISHED,  /* cgroup removed under us: not an error */
	RECONCILE_EVENT_NO_KNOB,   /* cgroup exists, knob does not (no memory controller) */
	RECONCILE_EVENT_READ_ONLY, /* kernel or permissions refused the write */
	RECONCILE_EVENT_FAILED,    /* anything else */
} reconcile_event;

typedef void (*reconcile_event_cb)(void *userdata, reconcile_event ev, const char *cgroup,
				   const char *file, const char *value, int error);

struct reconcile_stats {
	size_t n_cgroups;   /* visited */
	size_t n_matched;   /* with an effective rule */
	size_t n_written;   /* knob writes */
	size_t n_unchanged; /* knobs already right */
	size_t n_vanished;
	size_t n_read_only;
	size_t n_failed;
};

/* What the daemon manages for one cgroup (ListCgroups). */
struct reconcile_entry {
	char *rule;                   /* name of the effective rule, NULL if none */
	struct promotion_setting setting;
	bool owns_max, owns_weight;   /* reset to default when the rule lets go */
	uint64_t generation;
};

typedef struct reconciler reconciler;

/* fs is borrowed and must outlive the reconciler. */
int reconciler_new(cgfs *fs, reconciler **ret);
reconciler *reconciler_free(reconciler *r);
static inline void reconciler_freep(reconciler **r)
{
	if (*r)
		*r = reconciler_free(*r);
}
#define _cleanup_reconciler_ __attribute__((cleanup(reconciler_freep)))

/* Where settings go (kernel-backend.h), borrowed; NULL: the native knobs
 * through the reconciler's cgfs (the default). */
void reconciler_set_backend(reconciler *r, kernel_backend *b);
kernel_backend *reconciler_get_backend(const reconciler *r);

/* When false (kernel without the knobs) rules are resolved and remembered
 * for ListCgroups, but cgroupfs is neither read nor written. */
void reconciler_set_apply(reconciler *r, bool apply);
void reconciler_set_event_cb(reconciler *r, reconcile_event_cb cb, void *userdata);
/* Only inside the event callback: the name of the rule whose knobs are
 * being applied (or, for a reset to the default, the rule that let go);
 * NULL when none. */
const char *reconciler_event_rule(const reconciler *r);

/* Called for every cgroup a walk visits, before its knobs are handled: the
 * daemon adds its inotify watch there, so one walk serves both. */
typedef void (*reconcile_visit_cb)(void *userdata, const char *cgroup);
void reconciler_set_visit_cb(reconciler *r, reconcile_visit_cb cb, void *userdata);

/* Walks the whole tree; forgets cgroups that no longer exist. */
int reconcile_all(reconciler *r, const struct policy_set *set, struct reconcile_stats *stats);

/* One new cgroup and everything below it (created before we watched it). */
int reconcile_subtree(reconciler *r, const struct policy_set *set, const char *cgroup,
		      struct reconcile_stats *stats);

/* Drops what is known about a removed cgroup and its descendants. */
void reconciler_forget(reconciler *r, const char *cgroup);

/*
 * Takes over knobs an earlier run of the daemon wrote (its state file): the
 * cgroup is managed without a rule until the next reconcile, which resets
 * every owned knob that no rule sets any more, as it does for a rule
 * removed while running. -EINVAL for a path that is not canonical
 * ("/a/b") or is the root.
 */
int reconciler_adopt(reconciler *r, const char *cgroup, bool owns_max, bool owns_weight);

/* True once after the set of owned knobs changed: time to save it. */
bool reconciler_take_owned_changed(reconciler *r);

/*
 * The owned knobs in the state directory (state-file.h, kind "knobs": one
 * "max" or "weight" record per owned knob, its data the cgroup path).
 * _load_state() adopts each; -ENOENT when nothing was saved, -EBADMSG with
 * the reason in why for a damaged file (nothing is adopted then).
 */
#define RECONCILE_STATE_FILE "knobs.state"
int reconciler_save_state(const reconciler *r, int dir_fd);
int reconciler_load_state(reconciler *r, int dir_fd, char *why, size_t why_size);

const struct reconcile_entry *reconciler_get(const reconciler *r, const char *cgroup);
size_t reconciler_n_managed(const reconciler *r);
/* Iterates managed cgroups: *i starts at 0; false at the end. */
bool reconciler_iterate(const reconciler *r, size_t *i, const char **ret_cgroup,
			const struct reconcile_entry **ret_entry);
