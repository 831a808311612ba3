/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The damos backend's writes to DAMON's sysfs: kdamond layout, schemes,
 * on/commit/off, statistics. Documentation/admin-guide/mm/damon/usage.rst
 * describes the files. */
#include <inttypes.h>

#include "damos-internal.h"
#include "util.h"

#define KD "kdamonds/%zu"
#define CTX KD "/contexts/0"
#define SCHEME CTX "/schemes/%zu"

/* ULONG_MAX and UINT_MAX as DAMON's sysfs wants them for "no bound". */
#define DAMON_ULONG_MAX "18446744073709551615"
#define DAMON_UINT_MAX "4294967295"

const char *const damos_stat_files[_DAMOS_STAT_MAX] = {
	[DAMOS_STAT_NR_TRIED] = "nr_tried",
	[DAMOS_STAT_SZ_TRIED] = "sz_tried",
	[DAMOS_STAT_NR_APPLIED] = "nr_applied",
	[DAMOS_STAT_SZ_APPLIED] = "sz_applied",
	[DAMOS_STAT_QT_EXCEEDS] = "qt_exceeds",
};

static int read_state(damos_backend *b, size_t k, bool *ret_on)
{
	_cleanup_free_ char *s = NULL;
	int r;

	r = damon_fs_read_line(b->damon, &s, KD "/state", k);
	if (r < 0)
		return r;
	*ret_on = streq(s, "on");
	return 0;
}

int damos_kdamonds_running(damos_backend *b, size_t *ret_n, size_t *ret_running)
{
	uint64_t n;
	size_t running = 0;
	int r;

	r = damon_fs_read_u64(b->damon, &n, "kdamonds/nr_kdamonds");
	if (r < 0)
		return r;
	for (size_t k = 0; k < n; k++) {
		bool on = false;

		r = read_state(b, k, &on);
		if (r < 0 && r != -ENOENT)
			return r;
		running += on;
	}
	*ret_n = n;
	*ret_running = running;
	return 0;
}

static int setup_kdamond(damos_backend *b, size_t k, char *why, size_t why_size)
{
	const struct damos_kdamond *kd = &b->kd[k];
	int r;

	r = damon_fs_write(b->damon, "1", KD "/contexts/nr_contexts", k);
	if (r >= 0) {
		r = damon_fs_write(b->damon, "paddr", CTX "/operations", k);
		if (r == -EINVAL) {
			(void)snprintf_ok(why, why_size, "DAMON lacks physical address monitoring "
					  "(CONFIG_DAMON_PADDR)");
			return -EOPNOTSUPP;
		}
	}
	/* The kernel's defaults, written so that a tree someone else left
	 * does not change the quota arithmetic (damos-plan.h). */
	if (r >= 0)
		r = damon_fs_write(b->damon, "5000", CTX "/monitoring_attrs/intervals/sample_us", k);
	if (r >= 0)
		r = damon_fs_write_u64(b->damon, DAMOS_AGGR_INTERVAL_US,
				       CTX "/monitoring_attrs/intervals/aggr_us", k);
	if (r >= 0)
		r = damon_fs_write(b->damon, "1000000", CTX "/monitoring_attrs/intervals/update_us", k);
	if (r >= 0)
		r = damon_fs_write(b->damon, "10", CTX "/monitoring_attrs/nr_regions/min", k);
	if (r >= 0)
		r = damon_fs_write(b->damon, "1000", CTX "/monitoring_attrs/nr_regions/max", k);
	if (r >= 0)
		r = damon_fs_write(b->damon, "1", CTX "/targets/nr_targets", k);
	if (r >= 0)
		r = damon_fs_write(b->damon, "1", CTX "/targets/0/regions/nr_regions", k);
	if (r >= 0)
		r = damon_fs_write_u64(b->damon, kd->start, CTX "/targets/0/regions/0/start", k);
	if (r >= 0)
		r = damon_fs_write_u64(b->damon, kd->end, CTX "/targets/0/regions/0/end", k);
	if (r >= 0)
		r = damon_fs_write(b->damon, "1", CTX "/schemes/nr_schemes", k);
	if (r < 0) {
		(void)snprintf_ok(why, why_size, "cannot set up kdamond %zu in %s: %s", k,
				  damon_fs_get_root(b->damon), strerror(-r));
		return r;
	}
	/* What 6.12 has and older kernels lack: refused names are EINVAL. */
	r = damon_fs_write(b->damon, "migrate_hot", SCHEME "/action", k, (size_t)0);
	if (r == -EINVAL) {
		(void)snprintf_ok(why, why_size, "DAMOS lacks the migrate_hot action (Linux 6.11 or later)");
		return -EOPNOTSUPP;
	}
	if (r >= 0)
		r = damon_fs_write(b->damon, "1", SCHEME "/filters/nr_filters", k, (size_t)0);
	if (r >= 0) {
		r = damon_fs_write(b->damon, "memcg", SCHEME "/filters/0/type", k, (size_t)0);
		if (r == -EINVAL) {
			(void)snprintf_ok(why, why_size, "DAMOS lacks memcg filters");
			return -EOPNOTSUPP;
		}
	}
	if (r < 0)
		(void)snprintf_ok(why, why_size, "cannot set up the schemes of kdamond %zu: %s", k,
				  strerror(-r));
	return r;
}

int damos_takeover(damos_backend *b, char *why, size_t why_size)
{
	int r;

	r = damon_fs_write_u64(b->damon, b->n_kd, "kdamonds/nr_kdamonds");
	if (r < 0) {
		(void)snprintf_ok(why, why_size, "cannot create kdamonds in %s: %s",
				  damon_fs_get_root(b->damon), strerror(-r));
		return r;
	}
	for (size_t k = 0; k < b->n_kd; k++) {
		r = setup_kdamond(b, k, why, why_size);
		if (r < 0) {
			/* Nothing half-applied. */
			(void)damon_fs_write(b->damon, "0", "kdamonds/nr_kdamonds");
			return r;
		}
	}
	/* Slot 0 was only a probe: rewritten in full before it is used. */
	b->nr_schemes = 1;
	r = damos_reserve(b, 1);
	if (r < 0)
		return r;
	b->conf[0].written = false;
	return 0;
}

int damos_grow_schemes(damos_backend *b, uint64_t n)
{
	int r;

	if (n <= b->nr_schemes)
		return 0;
	/* Recreates every scheme directory: all must be written again. */
	for (size_t k = 0; k < b->n_kd; k++) {
		r = damon_fs_write_u64(b->damon, n, CTX "/schemes/nr_schemes", k);
		if (r < 0)
			return r;
	}
	b->nr_schemes = n;
	for (size_t i = 0; i < b->n_alloc; i++)
		b->conf[i].written = false;
	return 0;
}

static int write_scheme_static(damos_backend *b, size_t k, size_t i)
{
	static const struct {
		const char *file, *value;
	} files[] = {
		{ "action", "migrate_hot" },
		{ "apply_interval_us", "0" },
		{ "access_pattern/sz/min", "0" },
		{ "access_pattern/sz/max", DAMON_ULONG_MAX },
		{ "access_pattern/nr_accesses/min", "1" },
		{ "access_pattern/nr_accesses/max", DAMON_UINT_MAX },
		{ "access_pattern/age/min", "0" },
		{ "access_pattern/age/max", DAMON_UINT_MAX },
		{ "quotas/ms", "0" },
		{ "quotas/weights/sz_permil", "0" },
		{ "quotas/weights/nr_accesses_permil", "1000" },
		{ "quotas/weights/age_permil", "0" },
		{ "watermarks/metric", "none" },
		{ "filters/nr_filters", "1" },
	};
	int r;

	r = damon_fs_write_u64(b->damon, b->kd[k].target_nid, SCHEME "/target_nid", k, i);
	for (size_t f = 0; f < ELEMENTSOF(files) && r >= 0; f++)
		r = damon_fs_write(b->damon, files[f].value, SCHEME "/%s", k, i, files[f].file);
	return r;
}

int damos_write_slot(damos_backend *b, size_t k, size_t i, const struct damos_slot_conf *c,
		     bool fresh)
{
	int r = 0;

	if (fresh)
		r = write_scheme_static(b, k, i);
	if (r >= 0 && c->kind == DAMOS_SLOT_MEMCG) {
		r = damon_fs_write(b->damon, "memcg", SCHEME "/filters/0/type", k, i);
		if (r >= 0)
			r = damon_fs_write(b->damon, c->memcg, SCHEME "/filters/0/memcg_path", k, i);
		/* 6.12 filters exclude what they match: exclude all other memcgs. */
		if (r >= 0)
			r = damon_fs_write(b->damon, "N", SCHEME "/filters/0/matching", k, i);
	} else if (r >= 0) {
		r = damon_fs_write(b->damon, "addr", SCHEME "/filters/0/type", k, i);
		if (r >= 0)
			r = damon_fs_write(b->damon, "0", SCHEME "/filters/0/addr_start", k, i);
		if (r >= 0)
			r = damon_fs_write(b->damon, DAMON_ULONG_MAX, SCHEME "/filters/0/addr_end", k, i);
		if (r >= 0)
			r = damon_fs_write(b->damon, "Y", SCHEME "/filters/0/matching", k, i);
	}
	if (r >= 0)
		r = damon_fs_write_u64(b->damon, c->bytes, SCHEME "/quotas/bytes", k, i);
	if (r >= 0)
		r = damon_fs_write_u64(b->damon, c->reset_ms, SCHEME "/quotas/reset_interval_ms", k, i);
	return r;
}

static int read_pid(damos_backend *b, size_t k)
{
	_cleanup_free_ char *s = NULL;
	int r;

	r = damon_fs_read_line(b->damon, &s, KD "/pid", k);
	if (r < 0)
		return r;
	b->kd[k].pid = strtoll(s, NULL, 10);
	return 0;
}

static int turn_on_one(damos_backend *b, size_t k)
{
	int r;

	r = damon_fs_write(b->damon, "on", KD "/state", k);
	if (r < 0)
		return r;
	return read_pid(b, k);
}

int damos_turn_on(damos_backend *b)
{
	int r;

	for (size_t k = 0; k < b->n_kd; k++) {
		r = turn_on_one(b, k);
		if (r < 0) {
			for (size_t j = 0; j < k; j++)
				(void)damon_fs_write(b->damon, "off", KD "/state", j);
			return r;
		}
	}
	b->running = true;
	return 0;
}

int damos_commit(damos_backend *b, bool *ret_restarted)
{
	int r;

	for (size_t k = 0; k < b->n_kd; k++) {
		r = damon_fs_write(b->damon, "commit", KD "/state", k);
		if (r < 0 && r != -EINVAL)
			return r;
	}
	/* A commit the kernel cannot build (a memcg removed since we checked)
	 * stops the kdamond: start it from the files again. */
	return damos_revive(b, ret_restarted);
}

int damos_revive(damos_backend *b, bool *ret_restarted)
{
	bool restarted = false;
	int r;

	for (size_t k = 0; k < b->n_kd; k++) {
		bool on = false;

		r = read_state(b, k, &on);
		if (r < 0)
			return r;
		if (!on) {
			r = turn_on_one(b, k);
			if (r < 0)
				return r;
			restarted = true;
		}
	}
	*ret_restarted = restarted;
	return 0;
}

int damos_read_stats(damos_backend *b)
{
	int r;

	for (size_t k = 0; k < b->n_kd; k++) {
		r = damon_fs_write(b->damon, "update_schemes_stats", KD "/state", k);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < b->slots.n && i < b->nr_schemes; i++) {
		struct damos_slot_stats sum = {};

		for (size_t k = 0; k < b->n_kd; k++)
			for (size_t s = 0; s < _DAMOS_STAT_MAX; s++) {
				uint64_t v = 0;

				r = damon_fs_read_u64(b->damon, &v, SCHEME "/stats/%s", k, i,
						      damos_stat_files[s]);
				if (r < 0)
					return r;
				sum.v[s] += v;
			}
		b->last[i] = sum;
	}
	return 0;
}

int damos_stop_kdamonds(damos_backend *b)
{
	int r;

	for (size_t k = 0; k < b->n_kd; k++) {
		bool on = false;

		if (read_state(b, k, &on) >= 0 && on)
			(void)damon_fs_write(b->damon, "off", KD "/state", k);
	}
	b->running = false;
	r = damon_fs_write(b->damon, "0", "kdamonds/nr_kdamonds");
	b->nr_schemes = 0;
	for (size_t i = 0; i < b->n_alloc; i++)
		b->conf[i].written = false;
	return r;
}
