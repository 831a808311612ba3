/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the damos backend started, kept in the state directory so that a
 * restarted daemon recognises its own running kdamonds (DAMON's sysfs has
 * no owner field) and keeps each cgroup in its scheme slot:
 *   kdamond "K PID NODE"     one per kdamond
 *   slot    "I B0 B1 B2 B3 B4 CGROUP"  one per slot; B* the counters the
 *           slot had when its cgroup got it; CGROUP empty when free
 */
#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>

#include "damos-internal.h"
#include "state-file.h"
#include "util.h"

#define DAMOS_STATE_KIND "damos"

int damos_save_state(damos_backend *b)
{
	struct state_record *rec = NULL;
	size_t n = 0;
	int r = 0;

	if (b->state_dir_fd < 0)
		return 0;
	rec = calloc(b->n_kd + b->slots.n + 1, sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	for (size_t k = 0; k < b->n_kd && r >= 0; k++, n++) {
		strscpy(rec[n].tag, sizeof(rec[n].tag), "kdamond");
		r = strextendf(&rec[n].data, "%zu %" PRId64 " %" PRIu32, k, b->kd[k].pid, b->kd[k].node);
	}
	for (size_t i = 0; i < b->slots.n && r >= 0; i++, n++) {
		const uint64_t *v = b->base[i].v;

		strscpy(rec[n].tag, sizeof(rec[n].tag), "slot");
		r = strextendf(&rec[n].data, "%zu %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s",
			       i, v[0], v[1], v[2], v[3], v[4], strempty(b->slots.cgroup[i]));
	}
	for (size_t i = 0; i < n && r >= 0; i++)
		rec[i].len = strlen(rec[i].data);
	if (r >= 0)
		r = state_file_write(b->state_dir_fd, DAMOS_STATE_FILE, DAMOS_STATE_KIND, rec, n);
	state_records_free(rec, n);
	return r;
}

void damos_remove_state(damos_backend *b)
{
	if (b->state_dir_fd >= 0)
		(void)unlinkat(b->state_dir_fd, DAMOS_STATE_FILE, 0);
}

static int parse_slot(damos_backend *b, const char *data)
{
	struct damos_slot_stats base = {};
	size_t i;
	int off = -1, r;

	if (sscanf(data, "%zu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %n", &i,
		   &base.v[0], &base.v[1], &base.v[2], &base.v[3], &base.v[4], &off) < 6 || off < 0)
		return -EBADMSG;
	if (i > 65535)
		return -EBADMSG;
	r = damos_slots_set(&b->slots, i, isempty(data + off) ? NULL : data + off);
	if (r < 0)
		return r;
	r = damos_reserve(b, b->slots.n);
	if (r < 0)
		return r;
	b->base[i] = base;
	return 0;
}

int damos_adopt(damos_backend *b, size_t nr_kdamonds)
{
	struct state_record *rec = NULL;
	size_t n = 0, n_kd = 0;
	char why[128];
	uint64_t nr_schemes = 0;
	int r;

	if (b->state_dir_fd < 0 || nr_kdamonds != b->n_kd)
		return 0;
	r = state_file_read(b->state_dir_fd, DAMOS_STATE_FILE, DAMOS_STATE_KIND, &rec, &n, why,
			    sizeof(why));
	if (r < 0)
		return r == -ENOENT || r == -EBADMSG ? 0 : r;

	/* Ours only if every kdamond runs with the pid and node we recorded. */
	r = 1;
	for (size_t i = 0; i < n && r > 0; i++) {
		_cleanup_free_ char *state = NULL, *pid = NULL;
		size_t k;
		int64_t p;
		uint32_t node;

		if (!streq(rec[i].tag, "kdamond"))
			continue;
		if (sscanf(rec[i].data, "%zu %" SCNd64 " %" SCNu32, &k, &p, &node) != 3 || k >= b->n_kd ||
		    node != b->kd[k].node || p <= 0 ||
		    damon_fs_read_line(b->damon, &state, "kdamonds/%zu/state", k) < 0 || !streq(state, "on") ||
		    damon_fs_read_line(b->damon, &pid, "kdamonds/%zu/pid", k) < 0 || strtoll(pid, NULL, 10) != p) {
			r = 0;
			break;
		}
		b->kd[k].pid = p;
		n_kd++;
	}
	if (r > 0 && n_kd != b->n_kd)
		r = 0;
	if (r > 0 && damon_fs_read_u64(b->damon, &nr_schemes, "kdamonds/0/contexts/0/schemes/nr_schemes") < 0)
		r = 0;
	for (size_t i = 0; i < n && r > 0; i++)
		if (streq(rec[i].tag, "slot") && parse_slot(b, rec[i].data) < 0)
			r = 0;
	state_records_free(rec, n);
	if (r <= 0) {
		damos_slots_done(&b->slots);
		return 0;
	}
	/* Scheme directories beyond the recorded slots are free slots. */
	if (nr_schemes > b->slots.n && damos_slots_set(&b->slots, nr_schemes - 1, NULL) < 0)
		return -ENOMEM;
	b->running = true;
	b->nr_schemes = nr_schemes;
	/* Every slot is written again before the next commit. */
	return damos_reserve(b, MAX(b->slots.n, (size_t)nr_schemes)) < 0 ? -ENOMEM : 1;
}
