/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which knobs the daemon wrote, kept across restarts: without it a rule
 * removed while the daemon was down would leave its knobs set for good,
 * and `explain` would call them kernel defaults.
 */
#include "reconcile.h"
#include "state-file.h"
#include "util.h"

#define RECONCILE_STATE_KIND "knobs"

int reconciler_save_state(const reconciler *r, int dir_fd)
{
	_cleanup_free_ struct state_record *records = NULL;
	const struct reconcile_entry *e;
	const char *cgroup;
	size_t n = 0, i = 0;

	records = calloc(2 * reconciler_n_managed(r) + 1, sizeof(*records));
	if (!records)
		return -ENOMEM;
	while (reconciler_iterate(r, &i, &cgroup, &e)) {
		if (e->owns_max)
			records[n++] = (struct state_record){ .tag = "max", .data = (char *)cgroup,
							      .len = strlen(cgroup) };
		if (e->owns_weight)
			records[n++] = (struct state_record){ .tag = "weight", .data = (char *)cgroup,
							      .len = strlen(cgroup) };
	}
	return state_file_write(dir_fd, RECONCILE_STATE_FILE, RECONCILE_STATE_KIND, records, n);
}

int reconciler_load_state(reconciler *r, int dir_fd, char *why, size_t why_size)
{
	struct state_record *records = NULL;
	size_t n = 0;
	int k;

	k = state_file_read(dir_fd, RECONCILE_STATE_FILE, RECONCILE_STATE_KIND, &records, &n, why, why_size);
	if (k < 0)
		return k;

	/* Check everything first: a damaged file adopts nothing. */
	for (size_t i = 0; i < n; i++) {
		const struct state_record *rec = &records[i];
		_cleanup_free_ char *canonical = NULL;

		if ((!streq(rec->tag, "max") && !streq(rec->tag, "weight")) || strlen(rec->data) != rec->len ||
		    cgfs_path_normalize(rec->data, &canonical) < 0 || !streq(canonical, rec->data) ||
		    streq(rec->data, "/")) {
			(void)snprintf_ok(why, why_size, "record %zu is not a knob of a cgroup", i + 1);
			state_records_free(records, n);
			return -EBADMSG;
		}
	}
	for (size_t i = 0; i < n && k >= 0; i++)
		k = reconciler_adopt(r, records[i].data, streq(records[i].tag, "max"),
				     streq(records[i].tag, "weight"));
	state_records_free(records, n);
	return k < 0 ? k : 0;
}
