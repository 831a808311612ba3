/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The native kernel backend: memory.promotion.max and .weight of the
 * cgtier series. Each knob is read back and written only when the kernel's
 * value differs, so a reconcile of an unchanged system writes nothing.
 */
#include "cgtier/cgtier.h"
#include "kernel-backend.h"
#include "rate.h"
#include "util.h"

static bool is_vanished(int e)
{
	return e == -ENOENT || e == -ENODEV;
}

static bool max_equal(const char *current, const char *desired)
{
	uint64_t cm, cp, dm, dp;

	if (promotion_max_parse(current, &cm, &cp) < 0 ||
	    promotion_max_parse(desired, &dm, &dp) < 0)
		return false;
	return cm == dm && cp == dp;
}

static bool weight_equal(const char *current, const char *desired)
{
	uint32_t c, d;

	if (promotion_weight_parse(current, &c) < 0 || promotion_weight_parse(desired, &d) < 0)
		return false;
	return c == d;
}

/* A missing knob file looks like a missing cgroup; tell the two apart. */
static enum kernel_apply_result classify_enoent(cgfs *fs, const char *cgroup, const char *file,
						const char *value, const struct kernel_sink *sink)
{
	if (cgfs_cgroup_exists(fs, cgroup) > 0) {
		sink->no_knob(sink->userdata, cgroup, file);
		return KERNEL_APPLY_OK;
	}
	sink->vanished(sink->userdata, cgroup, file, value, -ENOENT);
	return KERNEL_APPLY_VANISHED;
}

static enum kernel_apply_result apply_knob(cgfs *fs, const char *cgroup, const char *file,
					   const char *desired,
					   bool (*equal)(const char *, const char *),
					   const struct kernel_sink *sink)
{
	_cleanup_free_ char *current = NULL;
	int k;

	k = cgfs_read_line(fs, cgroup, file, &current);
	if (k == -ENOENT)
		return classify_enoent(fs, cgroup, file, NULL, sink);
	if (is_vanished(k)) {
		sink->vanished(sink->userdata, cgroup, file, NULL, k);
		return KERNEL_APPLY_VANISHED;
	}
	/* An unreadable knob is written anyway: the write tells us more. */
	if (k >= 0 && equal(current, desired)) {
		sink->unchanged(sink->userdata);
		return KERNEL_APPLY_OK;
	}

	k = cgfs_write(fs, cgroup, file, desired);
	if (k >= 0) {
		sink->written(sink->userdata, cgroup, file, desired);
		return KERNEL_APPLY_OK;
	}
	if (k == -ENOENT)
		return classify_enoent(fs, cgroup, file, desired, sink);
	if (is_vanished(k)) {
		sink->vanished(sink->userdata, cgroup, file, desired, k);
		return KERNEL_APPLY_VANISHED;
	}
	sink->refused(sink->userdata, cgroup, file, desired, k);
	return KERNEL_APPLY_OK;
}

static enum kernel_apply_result native_apply(kernel_backend *b, const struct kernel_request *req,
					     const struct kernel_sink *sink)
{
	cgfs *fs = b->data;

	if (req->want_max && apply_knob(fs, req->cgroup, CGTIER_KNOB_PROMOTION_MAX, req->max,
					max_equal, sink) == KERNEL_APPLY_VANISHED)
		return KERNEL_APPLY_VANISHED;
	if (req->want_weight && apply_knob(fs, req->cgroup, CGTIER_KNOB_PROMOTION_WEIGHT,
					   req->weight, weight_equal, sink) == KERNEL_APPLY_VANISHED)
		return KERNEL_APPLY_VANISHED;
	return KERNEL_APPLY_OK;
}

static const kernel_backend_ops native_ops = {
	.kind = KERNEL_BACKEND_NATIVE,
	.apply = native_apply,
};

int kernel_backend_new_native(cgfs *fs, kernel_backend **ret)
{
	kernel_backend *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->ops = &native_ops;
	b->data = fs;
	*ret = b;
	return 0;
}
