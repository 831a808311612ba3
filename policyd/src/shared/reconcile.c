/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cgtier/cgtier.h"
#include "kernel-backend.h"
#include "rate.h"
#include "reconcile.h"
#include "strmap.h"
#include "util.h"

struct reconciler {
	cgfs *fs;
	/* Where settings go: set by the caller, or the native one we own. */
	kernel_backend *backend;
	kernel_backend *native;
	struct reconcile_stats *st; /* of the pass in progress, for the sink */
	strmap *managed; /* canonical cgroup path -> struct reconcile_entry */
	uint64_t generation;
	bool apply;
	reconcile_event_cb cb;
	void *cb_userdata;
	const char *event_rule; /* for cb: set by reconcile_cgroup() before any event */
	reconcile_visit_cb visit;
	void *visit_userdata;
	/* The set of owned knobs changed since the caller last asked. */
	bool owned_changed;
};

const char *reconciler_event_rule(const reconciler *r)
{
	return r->event_rule;
}

static void entry_free(void *p)
{
	struct reconcile_entry *e = p;

	free(e->rule);
	free(e);
}

int reconciler_new(cgfs *fs, reconciler **ret)
{
	_cleanup_free_ reconciler *r = NULL;
	int k;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	k = strmap_new(entry_free, &r->managed);
	if (k < 0)
		return k;
	k = kernel_backend_new_native(fs, &r->native);
	if (k < 0) {
		strmap_free(r->managed);
		return k;
	}
	r->fs = fs;
	r->backend = r->native;
	r->apply = true;
	*ret = TAKE_PTR(r);
	return 0;
}

reconciler *reconciler_free(reconciler *r)
{
	if (!r)
		return NULL;
	strmap_free(r->managed);
	kernel_backend_free(r->native);
	free(r);
	return NULL;
}

void reconciler_set_backend(reconciler *r, kernel_backend *b)
{
	r->backend = b ?: r->native;
}

kernel_backend *reconciler_get_backend(const reconciler *r)
{
	return r->backend;
}

void reconciler_set_apply(reconciler *r, bool apply)
{
	r->apply = apply;
}

void reconciler_set_event_cb(reconciler *r, reconcile_event_cb cb, void *userdata)
{
	r->cb = cb;
	r->cb_userdata = userdata;
}

void reconciler_set_visit_cb(reconciler *r, reconcile_visit_cb cb, void *userdata)
{
	r->visit = cb;
	r->visit_userdata = userdata;
}

static bool is_vanished(int e)
{
	return e == -ENOENT || e == -ENODEV;
}

static bool is_read_only(int e)
{
	return e == -EACCES || e == -EPERM || e == -EROFS || e == -EISDIR;
}

static void emit(reconciler *r, reconcile_event ev, const char *cgroup, const char *file,
		 const char *value, int error)
{
	if (r->cb)
		r->cb(r->cb_userdata, ev, cgroup, file, value, error);
}

/* The kernel backend reports each knob's outcome here: counted in the
 * pass's stats and passed on to the event callback. */
static void sink_written(void *userdata, const char *cgroup, const char *file, const char *value)
{
	reconciler *r = userdata;

	r->st->n_written++;
	emit(r, RECONCILE_EVENT_WRITTEN, cgroup, file, value, 0);
}

static void sink_unchanged(void *userdata)
{
	reconciler *r = userdata;

	r->st->n_unchanged++;
}

static void sink_no_knob(void *userdata, const char *cgroup, const char *file)
{
	emit(userdata, RECONCILE_EVENT_NO_KNOB, cgroup, file, NULL, -ENOENT);
}

static void sink_vanished(void *userdata, const char *cgroup, const char *file, const char *value,
			  int error)
{
	reconciler *r = userdata;

	r->st->n_vanished++;
	emit(r, RECONCILE_EVENT_VANISHED, cgroup, file, value, error);
}

static void sink_refused(void *userdata, const char *cgroup, const char *file, const char *value,
			 int error)
{
	reconciler *r = userdata;

	if (is_read_only(error)) {
		r->st->n_read_only++;
		emit(r, RECONCILE_EVENT_READ_ONLY, cgroup, file, value, error);
	} else {
		r->st->n_failed++;
		emit(r, RECONCILE_EVENT_FAILED, cgroup, file, value, error);
	}
}

/* A new, empty entry for cgroup in the managed map. */
static int entry_add(reconciler *r, const char *cgroup, struct reconcile_entry **ret)
{
	struct reconcile_entry *e;
	int k;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	k = strmap_put(r->managed, cgroup, e);
	if (k < 0) {
		free(e);
		return k;
	}
	*ret = e;
	return 0;
}

static int reconcile_cgroup(reconciler *r, const struct policy_set *set, const char *cgroup,
			    struct reconcile_stats *st)
{
	const struct policy_rule *rule = NULL;
	struct reconcile_entry *prev, *e;
	char max[RATE_STRING_MAX], weight[16];
	bool want_max = false, want_weight = false, had_max, had_weight;
	int k;

	/* The root cgroup carries no promotion knobs. */
	if (streq(cgroup, "/"))
		return 0;
	st->n_cgroups++;

	k = set ? policy_set_resolve(set, cgroup + 1, &rule) : -ENOENT;
	if (k == -ENOENT || k == -EINVAL)
		rule = NULL; /* no rule, or a name the policy language cannot match */
	else if (k < 0)
		return k;

	prev = strmap_get(r->managed, cgroup);
	if (!rule && !prev)
		return 0;
	had_max = prev && prev->owns_max;
	had_weight = prev && prev->owns_weight;

	if (rule) {
		const struct promotion_setting *s = &rule->promotion;

		st->n_matched++;
		if (s->has_max || s->has_period) {
			k = promotion_setting_to_max_string(s, max, sizeof(max));
			if (k < 0)
				return k;
			want_max = true;
		}
		if (s->has_weight) {
			k = snprintf_ok(weight, sizeof(weight), "%u", s->weight);
			if (k < 0)
				return k;
			want_weight = true;
		}
	}
	/* Keys we set before and nobody sets now go back to the defaults. */
	if (!want_max && prev && prev->owns_max) {
		strscpy(max, sizeof(max), PROMOTION_MAX_DEFAULT_STRING);
		want_max = true;
	}
	if (!want_weight && prev && prev->owns_weight) {
		(void)snprintf_ok(weight, sizeof(weight), "%u", PROMOTION_WEIGHT_DEFAULT);
		want_weight = true;
	}

	/* For the event callback; a rule that lets go is what a reset to the
	 * default is about. */
	r->event_rule = rule ? rule->name : prev ? prev->rule : NULL;
	if (r->apply) {
		const struct kernel_sink sink = {
			.written = sink_written, .unchanged = sink_unchanged,
			.no_knob = sink_no_knob, .vanished = sink_vanished,
			.refused = sink_refused, .userdata = r,
		};
		const struct kernel_request req = {
			.cgroup = cgroup, .setting = rule ? &rule->promotion : NULL,
			.want_max = want_max, .want_weight = want_weight,
			.max = max, .weight = weight,
		};

		r->st = st;
		if (kernel_backend_apply(r->backend, &req, &sink) == KERNEL_APPLY_VANISHED)
			goto vanished;
	}

	if (!rule) {
		strmap_remove(r->managed, cgroup);
		r->owned_changed |= had_max || had_weight;
		return 0;
	}

	e = prev;
	if (!e) {
		k = entry_add(r, cgroup, &e);
		if (k < 0)
			return k;
	}
	if (!streq_ptr(e->rule, rule->name)) {
		char *n = strdup(rule->name);

		if (!n)
			return -ENOMEM;
		free(e->rule);
		e->rule = n;
	}
	e->setting = rule->promotion;
	e->owns_max = rule->promotion.has_max || rule->promotion.has_period;
	e->owns_weight = rule->promotion.has_weight;
	e->generation = r->generation;
	r->owned_changed |= e->owns_max != had_max || e->owns_weight != had_weight;
	return 0;

vanished:
	reconciler_forget(r, cgroup);
	return 0;
}

struct walk_ctx {
	reconciler *r;
	const struct policy_set *set;
	struct reconcile_stats *st;
};

static int walk_cb(void *userdata, const char *cgroup)
{
	struct walk_ctx *w = userdata;

	if (w->r->visit)
		w->r->visit(w->r->visit_userdata, cgroup);
	if (w->r->apply)
		kernel_backend_observe(w->r->backend, cgroup);
	return reconcile_cgroup(w->r, w->set, cgroup, w->st);
}

int reconcile_all(reconciler *r, const struct policy_set *set, struct reconcile_stats *stats)
{
	struct reconcile_stats st = {};
	struct walk_ctx w = { .r = r, .set = set, .st = &st };
	const char *key;
	void *value;
	size_t i = 0;
	int k;

	r->generation++;
	k = cgfs_walk(r->fs, "/", walk_cb, &w);
	if (k < 0)
		return k;

	/* Whatever the walk did not see is gone. */
	while (strmap_iterate(r->managed, &i, &key, &value)) {
		const struct reconcile_entry *e = value;

		if (e->generation != r->generation) {
			r->owned_changed |= e->owns_max || e->owns_weight;
			strmap_remove_current(r->managed, i);
		}
	}
	if (r->apply) {
		k = kernel_backend_flush(r->backend, true);
		if (k < 0)
			return k;
	}
	if (stats)
		*stats = st;
	return 0;
}

int reconcile_subtree(reconciler *r, const struct policy_set *set, const char *cgroup,
		      struct reconcile_stats *stats)
{
	struct reconcile_stats st = {};
	struct walk_ctx w = { .r = r, .set = set, .st = &st };
	int k;

	k = cgfs_walk(r->fs, cgroup, walk_cb, &w);
	if (is_vanished(k) || k == -ENOTDIR)
		k = 0; /* gone before we got to it */
	if (k < 0)
		return k;
	if (r->apply) {
		k = kernel_backend_flush(r->backend, false);
		if (k < 0)
			return k;
	}
	if (stats)
		*stats = st;
	return 0;
}

void reconciler_forget(reconciler *r, const char *cgroup)
{
	size_t l = strlen(cgroup), i = 0, before = strmap_size(r->managed);
	const char *key;

	kernel_backend_forget(r->backend, cgroup);
	if (streq(cgroup, "/")) {
		while (strmap_iterate(r->managed, &i, NULL, NULL))
			strmap_remove_current(r->managed, i);
	} else {
		strmap_remove(r->managed, cgroup);
		while (strmap_iterate(r->managed, &i, &key, NULL))
			if (strncmp(key, cgroup, l) == 0 && key[l] == '/')
				strmap_remove_current(r->managed, i);
	}
	r->owned_changed |= strmap_size(r->managed) != before;
}

int reconciler_adopt(reconciler *r, const char *cgroup, bool owns_max, bool owns_weight)
{
	_cleanup_free_ char *canonical = NULL;
	struct reconcile_entry *e;
	int k;

	/* Only the canonical form: the walk reports paths that way, and an
	 * entry under another spelling would never be visited. */
	k = cgfs_path_normalize(cgroup, &canonical);
	if (k < 0)
		return k;
	if (!streq(canonical, cgroup) || streq(cgroup, "/"))
		return -EINVAL;
	if (!owns_max && !owns_weight)
		return 0;
	e = strmap_get(r->managed, cgroup);
	if (!e) {
		k = entry_add(r, cgroup, &e);
		if (k < 0)
			return k;
		e->generation = r->generation;
	}
	e->owns_max |= owns_max;
	e->owns_weight |= owns_weight;
	return 0;
}

bool reconciler_take_owned_changed(reconciler *r)
{
	bool changed = r->owned_changed;

	r->owned_changed = false;
	return changed;
}

const struct reconcile_entry *reconciler_get(const reconciler *r, const char *cgroup)
{
	return strmap_get(r->managed, cgroup);
}

size_t reconciler_n_managed(const reconciler *r)
{
	return strmap_size(r->managed);
}

bool reconciler_iterate(const reconciler *r, size_t *i, const char **ret_cgroup,
			const struct reconcile_entry **ret_entry)
{
	void *v;

	if (!strmap_iterate(r->managed, i, ret_cgroup, &v))
		return false;
	if (ret_entry)
		*ret_entry = v;
	return true;
}
