/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "stats.h"
#include "cgtier/cgtier.h"
#include "util.h"

void cgroup_stats_done(struct cgroup_stats *s)
{
	for (size_t i = 0; i < s->n_promotion; i++)
		free(s->promotion[i].key);
	free(s->promotion);
	free(s->nodes);
	*s = (struct cgroup_stats){};
}

bool cgroup_stats_get(const struct cgroup_stats *s, const char *key, uint64_t *ret)
{
	for (size_t i = 0; i < s->n_promotion; i++)
		if (streq(s->promotion[i].key, key)) {
			*ret = s->promotion[i].value;
			return true;
		}
	return false;
}

int cgroup_stats_add_promotion(struct cgroup_stats *s, const char *key, uint64_t value)
{
	struct stat_value *n;
	char *k;

	k = strdup(key);
	if (!k)
		return -ENOMEM;
	n = realloc(s->promotion, (s->n_promotion + 1) * sizeof(*n));
	if (!n) {
		free(k);
		return -ENOMEM;
	}
	s->promotion = n;
	s->promotion[s->n_promotion++] = (struct stat_value){ .key = k, .value = value };
	s->has_promotion_stat = true;
	return 0;
}

static int add_promotion(void *userdata, const char *key, uint64_t value)
{
	return cgroup_stats_add_promotion(userdata, key, value);
}

int stats_parse_promotion(const char *text, struct cgroup_stats *s)
{
	int r = cgfs_parse_keyed(text, add_promotion, s);

	if (r < 0)
		return r;
	s->has_promotion_stat = true;
	return 0;
}

struct find_key {
	const char *key;
	bool found;
	uint64_t value;
};

static int find_key_cb(void *userdata, const char *key, uint64_t value)
{
	struct find_key *f = userdata;

	if (!f->found && streq(key, f->key)) {
		f->found = true;
		f->value = value;
	}
	return 0;
}

int stats_parse_pgpromote(const char *memory_stat, uint64_t *ret)
{
	struct find_key f = { .key = "pgpromote_success" };
	int r = cgfs_parse_keyed(memory_stat, find_key_cb, &f);

	if (r < 0)
		return r;
	if (!f.found)
		return -ENODATA;
	*ret = f.value;
	return 0;
}

static int node_usage_add(struct node_usage **nodes, size_t *n, uint32_t node, uint64_t bytes)
{
	struct node_usage *nn;
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*nodes)[i].node == node) {
			(*nodes)[i].bytes += bytes;
			return 0;
		}
	nn = realloc(*nodes, (*n + 1) * sizeof(**nodes));
	if (!nn)
		return -ENOMEM;
	*nodes = nn;
	/* Keep sorted: the kernel prints nodes in order, so this is an append. */
	for (i = *n; i > 0 && nn[i - 1].node > node; i--)
		nn[i] = nn[i - 1];
	nn[i] = (struct node_usage){ .node = node, .bytes = bytes };
	(*n)++;
	return 0;
}

/* Lines like "anon N0=4096 N1=0"; only anon and file count as usage. */
int stats_parse_numa_stat(const char *text, struct node_usage **ret, size_t *ret_n)
{
	_cleanup_free_ struct node_usage *nodes = NULL;
	size_t n = 0;
	const char *p = text;

	while (*p) {
		size_t ll = strcspn(p, "\n");
		bool counts = (ll > 5 && strncmp(p, "anon ", 5) == 0) ||
			      (ll > 5 && strncmp(p, "file ", 5) == 0);

		if (counts) {
			const char *q = p + 5, *end = p + ll;

			while (q < end) {
				unsigned node;
				unsigned long long bytes;
				int used = 0, r;

				if (sscanf(q, "N%u=%llu%n", &node, &bytes, &used) != 2 || used == 0)
					return -EINVAL;
				r = node_usage_add(&nodes, &n, node, bytes);
				if (r < 0)
					return r;
				q += used;
				q += strspn(q, " ");
			}
		}
		p += ll;
		if (*p == '\n')
			p++;
	}
	*ret = TAKE_PTR(nodes);
	*ret_n = n;
	return 0;
}

static bool is_vanished(int r)
{
	return r == -ENOENT || r == -ENODEV;
}

static int stats_read_files(cgfs *c, const char *cgroup, struct cgroup_stats *ret)
{
	_cleanup_(cgroup_stats_done) struct cgroup_stats s = {};
	_cleanup_free_ char *prom = NULL, *mstat = NULL, *numa = NULL;
	int r;

	r = cgfs_read(c, cgroup, CGTIER_FILE_PROMOTION_STAT, &prom);
	if (r >= 0) {
		r = stats_parse_promotion(prom, &s);
		if (r < 0)
			return r;
	} else if (!is_vanished(r))
		return r;

	r = cgfs_read(c, cgroup, "memory.stat", &mstat);
	if (r >= 0)
		s.has_pgpromote_success = stats_parse_pgpromote(mstat, &s.pgpromote_success) >= 0;
	else if (!is_vanished(r))
		return r;

	r = cgfs_read(c, cgroup, "memory.numa_stat", &numa);
	if (r >= 0) {
		r = stats_parse_numa_stat(numa, &s.nodes, &s.n_nodes);
		if (r < 0)
			return r;
	} else if (!is_vanished(r))
		return r;

	/* A missing file may just mean no memory controller here; a missing
	 * cgroup is what the caller needs to hear about. */
	if (!prom && !mstat && !numa) {
		r = cgfs_cgroup_exists(c, cgroup);
		if (r < 0)
			return r;
		if (r == 0)
			return -ENOENT;
	}

	*ret = s;
	s = (struct cgroup_stats){};
	return 0;
}

int stats_read(cgfs *c, const char *cgroup, struct cgroup_stats *ret)
{
	int r;

	/* Three files of one cgroup: resolve its path once. */
	(void)cgfs_hold(c, cgroup);
	r = stats_read_files(c, cgroup, ret);
	cgfs_release(c);
	return r;
}

struct probe {
	int result;
	cgfs *c;
};

static int probe_cb(void *userdata, const char *cgroup)
{
	struct probe *p = userdata;
	_cleanup_free_ char *v = NULL;
	int r;

	if (streq(cgroup, "/"))
		return 0;
	r = cgfs_read(p->c, cgroup, CGTIER_KNOB_PROMOTION_MAX, &v);
	if (r >= 0) {
		p->result = 1;
		return -ECANCELED;
	}
	if (cgfs_read(p->c, cgroup, "memory.current", &v) >= 0) {
		p->result = 0;
		return -ECANCELED;
	}
	return 0;
}

int stats_probe_kernel_support(cgfs *c)
{
	struct probe p = { .result = -ENODATA, .c = c };
	int r;

	r = cgfs_walk(c, "/", probe_cb, &p);
	if (r < 0 && r != -ECANCELED)
		return r;
	return p.result;
}
