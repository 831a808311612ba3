/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Dispatch to a kernel backend, its names, and the stats-only backend. */
#include "kernel-backend.h"
#include "util.h"

static const char *const kind_names[] = {
	[KERNEL_BACKEND_NONE] = "none",
	[KERNEL_BACKEND_NATIVE] = "native",
	[KERNEL_BACKEND_DAMOS] = "damos",
	[KERNEL_BACKEND_AUTO] = "auto",
};

const char *kernel_backend_kind_to_string(kernel_backend_kind k)
{
	return (unsigned)k < ELEMENTSOF(kind_names) ? kind_names[k] : "unknown";
}

int kernel_backend_kind_from_string(const char *s, kernel_backend_kind *ret)
{
	for (size_t i = 0; i < ELEMENTSOF(kind_names); i++)
		if (streq_ptr(s, kind_names[i])) {
			*ret = (kernel_backend_kind)i;
			return 0;
		}
	return -EINVAL;
}

kernel_backend_kind kernel_backend_detect(int knobs, bool has_kmigrated, bool has_damon)
{
	if (knobs > 0 || (knobs == -ENODATA && has_kmigrated))
		return KERNEL_BACKEND_NATIVE;
	if (has_damon)
		return KERNEL_BACKEND_DAMOS;
	return KERNEL_BACKEND_NONE;
}

kernel_backend_kind kernel_backend_get_kind(const kernel_backend *b)
{
	return b ? b->ops->kind : KERNEL_BACKEND_NONE;
}

void kernel_backend_observe(kernel_backend *b, const char *cgroup)
{
	if (b && b->ops->observe)
		b->ops->observe(b, cgroup);
}

enum kernel_apply_result kernel_backend_apply(kernel_backend *b, const struct kernel_request *req,
					      const struct kernel_sink *sink)
{
	if (!b || !b->ops->apply)
		return KERNEL_APPLY_OK;
	return b->ops->apply(b, req, sink);
}

int kernel_backend_flush(kernel_backend *b, bool full)
{
	return b && b->ops->flush ? b->ops->flush(b, full) : 0;
}

void kernel_backend_forget(kernel_backend *b, const char *cgroup)
{
	if (b && b->ops->forget)
		b->ops->forget(b, cgroup);
}

int kernel_backend_stats(kernel_backend *b, const char *cgroup, struct cgroup_stats *s)
{
	return b && b->ops->stats ? b->ops->stats(b, cgroup, s) : 0;
}

int kernel_backend_stop(kernel_backend *b)
{
	return b && b->ops->stop ? b->ops->stop(b) : 0;
}

kernel_backend *kernel_backend_free(kernel_backend *b)
{
	if (!b)
		return NULL;
	if (b->ops->free)
		b->ops->free(b);
	free(b);
	return NULL;
}

static const kernel_backend_ops none_ops = {
	.kind = KERNEL_BACKEND_NONE,
};

int kernel_backend_new_none(kernel_backend **ret)
{
	kernel_backend *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->ops = &none_ops;
	*ret = b;
	return 0;
}
