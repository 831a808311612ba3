/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private to damos-*.c: the damos backend's state and the pieces that
 * talk to DAMON's sysfs (damos-kdamond.c) and to the state directory
 * (damos-state.c). */

#include "damos-backend.h"
#include "damos-plan.h"
#include "strmap.h"

/* One kdamond: monitors a lower-tier node, promotes to target_nid. */
struct damos_kdamond {
	uint32_t node;
	uint32_t target_nid;
	uint64_t start, end; /* physical bytes [start, end) */
	int64_t pid;
};

enum damos_slot_kind {
	DAMOS_SLOT_NOTHING, /* applies to nothing: free, or limit 0 */
	DAMOS_SLOT_MEMCG,
};

/* A scheme's sysfs settings (the same in every kdamond). */
struct damos_slot_conf {
	bool written; /* known to be in sysfs */
	enum damos_slot_kind kind;
	char *memcg;
	uint64_t bytes, reset_ms;
};

enum {
	DAMOS_STAT_NR_TRIED,
	DAMOS_STAT_SZ_TRIED,
	DAMOS_STAT_NR_APPLIED,
	DAMOS_STAT_SZ_APPLIED,
	DAMOS_STAT_QT_EXCEEDS,
	_DAMOS_STAT_MAX,
};
extern const char *const damos_stat_files[_DAMOS_STAT_MAX];

struct damos_slot_stats {
	uint64_t v[_DAMOS_STAT_MAX];
};

/* What the backend knows of one cgroup. */
struct damos_model_entry {
	bool has_memcg;
	bool has_setting;
	struct promotion_setting setting;
	uint64_t generation;
};

typedef struct damos_backend {
	cgfs *fs;
	damon_fs *damon;
	int state_dir_fd;
	uint64_t (*clock)(void);

	struct damos_kdamond *kd;
	size_t n_kd;
	bool running;
	uint64_t nr_schemes; /* in every kdamond's sysfs */

	strmap *model; /* cgroup -> struct damos_model_entry */
	uint64_t generation;
	bool dirty;    /* the model changed since the last flush */

	struct damos_slots slots;
	/* Indexed like slots, n_slots_alloc long. */
	struct damos_slot_conf *conf;
	/* Counters are DAMON's per scheme index: base is what a slot had
	 * when its cgroup got it, last what was read last. */
	struct damos_slot_stats *base, *last;
	size_t n_alloc;
	uint64_t stats_at;
	bool stats_valid;
} damos_backend;

/* Grows conf/base/last to n slots. */
int damos_reserve(damos_backend *b, size_t n);

/* damos-kdamond.c */
int damos_kdamonds_running(damos_backend *b, size_t *ret_n, size_t *ret_running);
int damos_takeover(damos_backend *b, char *why, size_t why_size);
int damos_grow_schemes(damos_backend *b, uint64_t n);
int damos_write_slot(damos_backend *b, size_t k, size_t slot, const struct damos_slot_conf *c,
		     bool fresh);
int damos_turn_on(damos_backend *b);
/* Commits to every running kdamond; restarts one that a failed commit
 * stopped (*ret_restarted: its counters began again). */
int damos_commit(damos_backend *b, bool *ret_restarted);
/* Starts again a kdamond of ours that stopped (someone wrote "off"). */
int damos_revive(damos_backend *b, bool *ret_restarted);
int damos_read_stats(damos_backend *b);
int damos_stop_kdamonds(damos_backend *b);

/* damos-state.c */
int damos_save_state(damos_backend *b);
/* 1 adopted, 0 no state of ours matches what runs (nothing changed). */
int damos_adopt(damos_backend *b, size_t nr_kdamonds);
void damos_remove_state(damos_backend *b);
