/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The damos backend: what it knows of the cgroup tree, and each pass's
 * flush from that knowledge to scheme slots (see damos-backend.h). */
#include <time.h>
#include <unistd.h>

#include "damos-internal.h"
#include "rate.h"
#include "topology.h"
#include "util.h"

int damos_reserve(damos_backend *b, size_t n)
{
	struct damos_slot_conf *c;
	struct damos_slot_stats *base, *last;

	if (n <= b->n_alloc)
		return 0;
	c = reallocarray(b->conf, n, sizeof(*c));
	if (!c)
		return -ENOMEM;
	b->conf = c;
	base = reallocarray(b->base, n, sizeof(*base));
	if (!base)
		return -ENOMEM;
	b->base = base;
	last = reallocarray(b->last, n, sizeof(*last));
	if (!last)
		return -ENOMEM;
	b->last = last;
	for (size_t i = b->n_alloc; i < n; i++) {
		b->conf[i] = (struct damos_slot_conf){};
		b->base[i] = b->last[i] = (struct damos_slot_stats){};
	}
	b->n_alloc = n;
	return 0;
}

static uint64_t now_usec(const damos_backend *b)
{
	struct timespec ts;

	if (b->clock)
		return b->clock();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* --- the cgroup tree as the backend sees it --- */

static void damos_observe(kernel_backend *kb, const char *cgroup)
{
	damos_backend *b = kb->data;
	_cleanup_free_ char *current = NULL;
	struct damos_model_entry *e;
	bool has_memcg;

	if (streq(cgroup, "/"))
		return;
	/* memory.current exists exactly where the cgroup has its own memcg. */
	has_memcg = cgfs_read_line(b->fs, cgroup, "memory.current", &current) >= 0;
	e = strmap_get(b->model, cgroup);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e || strmap_put(b->model, cgroup, e) < 0) {
			free(e);
			return;
		}
		b->dirty = true;
	}
	if (e->has_memcg != has_memcg)
		b->dirty = true;
	e->has_memcg = has_memcg;
	e->generation = b->generation;
}

static enum kernel_apply_result damos_apply(kernel_backend *kb, const struct kernel_request *req,
					    const struct kernel_sink *sink)
{
	damos_backend *b = kb->data;
	struct damos_model_entry *e = strmap_get(b->model, req->cgroup);
	const struct promotion_setting *s = req->setting;

	if (!e)
		return KERNEL_APPLY_OK; /* not seen by a walk: observe() failed */
	if (e->has_setting != !!s ||
	    (s && memcmp(&e->setting, s, sizeof(*s)) != 0))
		b->dirty = true;
	e->has_setting = !!s;
	e->setting = s ? *s : (struct promotion_setting){};
	return KERNEL_APPLY_OK;
}

static void damos_forget(kernel_backend *kb, const char *cgroup)
{
	damos_backend *b = kb->data;
	size_t l = strlen(cgroup), i = 0;
	const char *key;

	while (strmap_iterate(b->model, &i, &key, NULL))
		if (streq(cgroup, "/") || streq(key, cgroup) ||
		    (strncmp(key, cgroup, l) == 0 && key[l] == '/')) {
			strmap_remove_current(b->model, i);
			b->dirty = true;
		}
}

static void sweep(damos_backend *b)
{
	struct damos_model_entry *e;
	size_t i = 0;
	void *v;

	while (strmap_iterate(b->model, &i, NULL, &v)) {
		e = v;
		if (e->generation != b->generation) {
			strmap_remove_current(b->model, i);
			b->dirty = true;
		}
	}
	b->generation++;
}

static int plan(damos_backend *b, struct damos_leaf **ret, size_t *ret_n)
{
	_cleanup_free_ struct damos_cgroup *in = NULL;
	const char *key;
	size_t n = 0, i = 0;
	void *v;

	in = calloc(strmap_size(b->model) + 1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	while (strmap_iterate(b->model, &i, &key, &v)) {
		const struct damos_model_entry *e = v;

		in[n++] = (struct damos_cgroup){
			.path = key,
			.has_memcg = e->has_memcg,
			.setting = e->has_setting ? &e->setting : NULL,
		};
	}
	return damos_plan_leaves(in, n, ret, ret_n);
}

/* --- from slots to sysfs --- */

static bool conf_equal(const struct damos_slot_conf *a, const struct damos_slot_conf *b)
{
	return a->kind == b->kind && a->bytes == b->bytes && a->reset_ms == b->reset_ms &&
	       (a->kind != DAMOS_SLOT_MEMCG || streq_ptr(a->memcg, b->memcg));
}

static int desired_conf(damos_backend *b, const struct damos_leaf *leaves, size_t n_leaves,
			size_t i, struct damos_slot_conf *ret)
{
	const char *cgroup = b->slots.cgroup[i];
	struct damos_quota q = { .nothing = true, .reset_ms = DAMOS_RESET_INTERVAL_MIN_MS };
	struct damos_leaf key = { .path = (char *)cgroup }, *leaf = NULL;
	int r;

	if (cgroup)
		for (size_t j = 0; j < n_leaves && !leaf; j++)
			if (streq(leaves[j].path, key.path))
				leaf = (struct damos_leaf *)&leaves[j];
	if (leaf) {
		r = damos_quota_from_rate(leaf->bytes_per_sec, leaf->period_us, &q);
		if (r < 0)
			return r;
		/* The kernel resolves memcg_path on every commit, and a path it
		 * cannot find fails the commit (and stops the kdamond). */
		if (!q.nothing && cgfs_cgroup_exists(b->fs, cgroup) <= 0)
			q.nothing = true;
	}
	*ret = (struct damos_slot_conf){
		.kind = q.nothing ? DAMOS_SLOT_NOTHING : DAMOS_SLOT_MEMCG,
		.memcg = q.nothing ? NULL : (char *)cgroup,
		.bytes = q.nothing ? 0 : q.bytes,
		.reset_ms = q.reset_ms,
	};
	return 0;
}

/* A (re)started kdamond counts from 0 again. */
static int reset_counters(damos_backend *b)
{
	for (size_t i = 0; i < b->n_alloc; i++)
		b->base[i] = b->last[i] = (struct damos_slot_stats){};
	b->stats_valid = false;
	return damos_save_state(b);
}

static bool any_assigned(const damos_backend *b)
{
	for (size_t i = 0; i < b->slots.n; i++)
		if (b->slots.cgroup[i])
			return true;
	return false;
}

/* Writes what changed and commits it (or starts the kdamonds). */
static int apply_slots(damos_backend *b, const struct damos_leaf *leaves, size_t n_leaves)
{
	bool changed = false, restarted = false;
	int r;

	if (!b->running && !any_assigned(b))
		return 0; /* nothing to promote: no kdamond needs to run */
	r = damos_reserve(b, b->slots.n);
	if (r < 0)
		return r;
	r = damos_grow_schemes(b, b->slots.n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < b->slots.n; i++) {
		struct damos_slot_conf want;
		char *memcg = NULL;

		r = desired_conf(b, leaves, n_leaves, i, &want);
		if (r < 0)
			return r;
		if (b->conf[i].written && conf_equal(&b->conf[i], &want))
			continue;
		for (size_t k = 0; k < b->n_kd; k++) {
			r = damos_write_slot(b, k, i, &want, !b->conf[i].written);
			if (r < 0) {
				b->conf[i].written = false;
				return r;
			}
		}
		if (want.memcg) {
			memcg = strdup(want.memcg);
			if (!memcg)
				return -ENOMEM;
		}
		free(b->conf[i].memcg);
		b->conf[i] = want;
		b->conf[i].memcg = memcg;
		b->conf[i].written = true;
		changed = true;
	}
	if (!b->running) {
		r = damos_turn_on(b);
		if (r < 0)
			return r;
		return reset_counters(b);
	}
	if (!changed)
		return 0;
	r = damos_commit(b, &restarted);
	if (r < 0)
		return r;
	return restarted ? reset_counters(b) : 0;
}

static int refresh_stats(damos_backend *b, bool force)
{
	uint64_t now = now_usec(b);
	int r;

	if (!b->running)
		return 0;
	if (!force && b->stats_valid && now - b->stats_at < DAMOS_STATS_REFRESH_USEC)
		return 0;
	r = damos_reserve(b, b->slots.n);
	if (r < 0)
		return r;
	r = damos_read_stats(b);
	if (r < 0)
		return r;
	b->stats_at = now;
	b->stats_valid = true;
	return 0;
}

static int damos_flush(kernel_backend *kb, bool full)
{
	damos_backend *b = kb->data;
	struct damos_leaf *leaves = NULL;
	size_t n_leaves = 0, vacated = 0, added = 0;
	int r;

	if (full) {
		sweep(b);
		/* The periodic full pass also finds kdamonds stopped behind
		 * our back: their files still hold our schemes. */
		if (b->running) {
			bool restarted = false;

			r = damos_revive(b, &restarted);
			if (r < 0)
				return r;
			if (restarted) {
				r = reset_counters(b);
				if (r < 0)
					return r;
			}
		}
	}
	if (!b->dirty)
		return 0;
	r = plan(b, &leaves, &n_leaves);
	if (r < 0)
		return r;

	r = damos_slots_vacate_missing(&b->slots, leaves, n_leaves, &vacated);
	if (r >= 0 && vacated > 0 && b->running) {
		/* Free slots stop applying first; what they counted until
		 * then is the base the next cgroup's counters start from. */
		r = apply_slots(b, leaves, n_leaves);
		if (r >= 0)
			r = refresh_stats(b, true);
		for (size_t i = 0; r >= 0 && i < b->slots.n; i++)
			if (!b->slots.cgroup[i])
				b->base[i] = b->last[i];
	}
	if (r >= 0)
		r = damos_slots_assign(&b->slots, leaves, n_leaves, &added);
	if (r >= 0)
		r = apply_slots(b, leaves, n_leaves);
	if (r >= 0 && (vacated > 0 || added > 0) && b->running)
		r = damos_save_state(b);
	damos_leaves_free(leaves, n_leaves);
	if (r >= 0)
		b->dirty = false;
	return r;
}

/* --- statistics --- */

static int damos_stats(kernel_backend *kb, const char *cgroup, struct cgroup_stats *s)
{
	damos_backend *b = kb->data;
	struct damos_slot_stats sum = {};
	uint64_t have;
	size_t l = strlen(cgroup);
	long page = sysconf(_SC_PAGESIZE);
	bool found = false;
	static const char *const keys[_DAMOS_STAT_MAX] = {
		[DAMOS_STAT_NR_TRIED] = "damos_nr_tried",
		[DAMOS_STAT_SZ_TRIED] = "damos_sz_tried",
		[DAMOS_STAT_NR_APPLIED] = "damos_nr_applied",
		[DAMOS_STAT_SZ_APPLIED] = "damos_sz_applied",
		[DAMOS_STAT_QT_EXCEEDS] = "damos_qt_exceeds",
	};
	int r;

	r = refresh_stats(b, false);
	if (r < 0)
		return r;
	for (size_t i = 0; i < b->slots.n && b->stats_valid; i++) {
		const char *c = b->slots.cgroup[i];

		if (!c || !(streq(cgroup, "/") || streq(c, cgroup) ||
			    (strncmp(c, cgroup, l) == 0 && c[l] == '/')))
			continue;
		found = true;
		for (size_t v = 0; v < _DAMOS_STAT_MAX; v++)
			sum.v[v] += b->last[i].v[v] >= b->base[i].v[v] ? b->last[i].v[v] - b->base[i].v[v] : 0;
	}
	if (!found)
		return 0;
	/* sz_applied is what migrate_hot moved: the series' "promoted" (pages). */
	if (!cgroup_stats_get(s, "promoted", &have)) {
		r = cgroup_stats_add_promotion(s, "promoted",
					       sum.v[DAMOS_STAT_SZ_APPLIED] / (uint64_t)(page > 0 ? page : 4096));
		if (r < 0)
			return r;
	}
	for (size_t v = 0; v < _DAMOS_STAT_MAX; v++) {
		r = cgroup_stats_add_promotion(s, keys[v], sum.v[v]);
		if (r < 0)
			return r;
	}
	s->has_promotion_stat = true;
	return 0;
}

/* --- life cycle --- */

static int damos_stop(kernel_backend *kb)
{
	damos_backend *b = kb->data;
	int r;

	r = damos_stop_kdamonds(b);
	damos_remove_state(b);
	return r;
}

static void damos_free(kernel_backend *kb)
{
	damos_backend *b = kb->data;

	if (!b)
		return;
	strmap_free(b->model);
	damos_slots_done(&b->slots);
	for (size_t i = 0; i < b->n_alloc; i++)
		free(b->conf[i].memcg);
	free(b->conf);
	free(b->base);
	free(b->last);
	free(b->kd);
	damon_fs_free(b->damon);
	free(b);
}

static const kernel_backend_ops damos_ops = {
	.kind = KERNEL_BACKEND_DAMOS,
	.observe = damos_observe,
	.apply = damos_apply,
	.flush = damos_flush,
	.forget = damos_forget,
	.stats = damos_stats,
	.stop = damos_stop,
	.free = damos_free,
};

static void model_entry_free(void *p)
{
	free(p);
}

/* One kdamond per memory node outside the top tier, promoting to the
 * nearest top-tier node. */
static int plan_kdamonds(damos_backend *b, const char *sysfs_root, const char *proc_root,
			 char *why, size_t why_size)
{
	_cleanup_topology_ struct topology *t = NULL;
	const struct topology_tier *top = NULL;
	long page = sysconf(_SC_PAGESIZE);
	int r;

	r = topology_load(sysfs_root, &t);
	if (r < 0) {
		(void)snprintf_ok(why, why_size, "cannot read the NUMA topology below %s: %s", sysfs_root,
				  strerror(-r));
		return r;
	}
	for (size_t i = 0; i < t->n_tiers && !top; i++)
		for (size_t j = 0; j < t->tiers[i].n_nodes && !top; j++) {
			const struct topology_node *n = topology_find_node(t, t->tiers[i].nodes[j]);

			if (n && n->has_memory)
				top = &t->tiers[i];
		}
	if (!top) {
		(void)snprintf_ok(why, why_size, "no memory tiers in %s/devices/virtual/memory_tiering",
				  sysfs_root);
		return -ENODEV;
	}
	b->kd = calloc(t->n_nodes + 1, sizeof(*b->kd));
	if (!b->kd)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topology_node *n = &t->nodes[i];
		struct damos_kdamond *kd = &b->kd[b->n_kd];
		uint32_t best = UINT32_MAX;
		bool in_top = false;

		for (size_t j = 0; j < top->n_nodes; j++)
			in_top |= top->nodes[j] == n->id;
		if (in_top || !n->has_memory || n->tier < 0)
			continue;
		r = topology_read_zoneinfo_range(proc_root, n->id, (uint64_t)(page > 0 ? page : 4096),
						 &kd->start, &kd->end);
		if (r == -ENOENT)
			continue; /* a node without pages: nothing to monitor */
		if (r < 0) {
			(void)snprintf_ok(why, why_size, "cannot read %s/zoneinfo: %s", proc_root, strerror(-r));
			return r;
		}
		kd->node = n->id;
		kd->target_nid = UINT32_MAX;
		for (size_t j = 0; j < top->n_nodes; j++) {
			const struct topology_node *tn = topology_find_node(t, top->nodes[j]);
			uint32_t d = UINT32_MAX - 1;

			if (!tn || !tn->has_memory)
				continue;
			for (size_t x = 0; n->distance && x < t->n_nodes; x++)
				if (t->nodes[x].id == tn->id)
					d = n->distance[x];
			if (d < best) {
				best = d;
				kd->target_nid = tn->id;
			}
		}
		if (kd->target_nid != UINT32_MAX)
			b->n_kd++;
	}
	if (b->n_kd == 0) {
		(void)snprintf_ok(why, why_size, "no memory node below the top tier: nothing to promote from");
		return -ENODEV;
	}
	return 0;
}

int kernel_backend_new_damos(cgfs *fs, const struct damos_backend_config *config, char *why,
			     size_t why_size, kernel_backend **ret)
{
	_cleanup_kernel_backend_ kernel_backend *kb = NULL;
	_cleanup_free_ char *admin = NULL;
	const char *sysfs_root = config->sysfs_root ?: "/sys";
	damos_backend *b;
	size_t nr = 0, running = 0;
	int r;

	kb = calloc(1, sizeof(*kb));
	if (!kb)
		return -ENOMEM;
	kb->ops = &damos_ops;
	b = kb->data = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->fs = fs;
	b->state_dir_fd = config->state_dir_fd;
	b->clock = config->clock;
	r = strmap_new(model_entry_free, &b->model);
	if (r < 0)
		return r;

	if (!config->admin_root && strextendf(&admin, "%s/kernel/mm/damon/admin", sysfs_root) < 0)
		return -ENOMEM;
	r = damon_fs_open(config->admin_root ?: admin, &b->damon);
	if (r < 0) {
		(void)snprintf_ok(why, why_size, "no DAMON sysfs at %s (%s): kernel without CONFIG_DAMON_SYSFS",
				  config->admin_root ?: admin, strerror(-r));
		return -ENODEV;
	}
	damon_fs_set_write_hook(b->damon, config->write_hook, config->write_hook_userdata);
	if (config->no_busy_wait)
		damon_fs_set_busy_wait_usec(b->damon, 0);

	r = plan_kdamonds(b, sysfs_root, config->proc_root ?: "/proc", why, why_size);
	if (r < 0)
		return r;

	/* Before any write: is DAMON someone else's? */
	r = damos_kdamonds_running(b, &nr, &running);
	if (r < 0) {
		(void)snprintf_ok(why, why_size, "cannot read %s/kdamonds: %s", damon_fs_get_root(b->damon),
				  strerror(-r));
		return r == -ENOENT ? -ENODEV : r;
	}
	if (running > 0) {
		r = damos_adopt(b, nr);
		if (r < 0)
			return r;
		if (r == 0) {
			(void)snprintf_ok(why, why_size, "DAMON is in use: %zu of %zu kdamonds in %s run and "
					  "were not started by cgtier-policyd; stop them (echo off > "
					  "kdamonds/N/state) to let it take over", running, nr,
					  damon_fs_get_root(b->damon));
			return -EBUSY;
		}
	} else {
		r = damos_takeover(b, why, why_size);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(kb);
	return 0;
}
