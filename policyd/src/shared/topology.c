/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <numa.h>

#include "topology.h"
#include "util.h"

/* Node lists are short; more than this many nodes is not a real system. */
#define NODES_MAX 4096

static int read_text(const char *sysfs_root, const char *rel, char **ret)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t size = 0;
	int r;

	r = strextendf(&path, "%s/%s", sysfs_root, rel);
	if (r < 0)
		return r;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (getdelim(&buf, &size, 0, f) < 0) {
		if (ferror(f))
			return -EIO;
		free(buf);
		buf = strdup("");
		if (!buf)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(buf);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int topology_parse_nodelist(const char *s, uint32_t **ret, size_t *ret_n)
{
	_cleanup_free_ uint32_t *ids = NULL;
	size_t n = 0, size = 0;
	const char *p = s;

	while (*p && *p != '\n') {
		char *end;
		unsigned long a, b;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		a = strtoul(p, &end, 10);
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9')
				return -EINVAL;
			b = strtoul(p, &end, 10);
			p = end;
		}
		if (b < a || b >= NODES_MAX)
			return -ERANGE;
		for (unsigned long i = a; i <= b; i++) {
			if (n == size) {
				uint32_t *nids;

				size = size ? size * 2 : 8;
				nids = realloc(ids, size * sizeof(*ids));
				if (!nids)
					return -ENOMEM;
				ids = nids;
			}
			ids[n++] = (uint32_t)i;
		}
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -EINVAL;
	}
	if (n > 1)
		qsort(ids, n, sizeof(*ids), cmp_u32);
	*ret = TAKE_PTR(ids);
	*ret_n = n;
	return 0;
}

static int read_nodelist(const char *sysfs_root, const char *rel, uint32_t **ret, size_t *ret_n)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = read_text(sysfs_root, rel, &text);
	if (r < 0)
		return r;
	return topology_parse_nodelist(text, ret, ret_n);
}

static bool in_list(const uint32_t *l, size_t n, uint32_t id)
{
	return n > 0 && bsearch(&id, l, n, sizeof(*l), cmp_u32);
}

/* "Node 0 MemTotal:       16384 kB" */
static void parse_meminfo(const char *text, struct topology_node *n)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		unsigned long long kb;
		char key[32];

		if (sscanf(p, "Node %*u %31[^:]: %llu kB", key, &kb) != 2)
			continue;
		if (streq(key, "MemTotal"))
			n->total_bytes = (uint64_t)kb * 1024;
		else if (streq(key, "MemFree"))
			n->free_bytes = (uint64_t)kb * 1024;
	}
}

static int load_tiers(const char *sysfs_root, struct topology *t)
{
	_cleanup_free_ char *dir = NULL;
	DIR *d;
	struct dirent *de;
	int r = 0;

	r = strextendf(&dir, "%s/devices/virtual/memory_tiering", sysfs_root);
	if (r < 0)
		return r;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno; /* no tiering: one flat tier */

	while ((de = readdir(d))) {
		_cleanup_free_ char *rel = NULL;
		struct topology_tier *nt, *tier;
		const char *num = startswith(de->d_name, "memory_tier");
		uint64_t id;

		if (!num || safe_atou64(num, &id) < 0 || id > UINT32_MAX)
			continue;
		nt = realloc(t->tiers, (t->n_tiers + 1) * sizeof(*t->tiers));
		if (!nt) {
			r = -ENOMEM;
			break;
		}
		t->tiers = nt;
		tier = &t->tiers[t->n_tiers];
		*tier = (struct topology_tier){ .id = (uint32_t)id };
		r = strextendf(&rel, "devices/virtual/memory_tiering/%s/nodelist", de->d_name);
		if (r < 0)
			break;
		r = read_nodelist(sysfs_root, rel, &tier->nodes, &tier->n_nodes);
		if (r == -ENOENT) {
			r = 0;
			continue; /* tier vanished while reading */
		}
		if (r < 0)
			break;
		t->n_tiers++;
	}
	closedir(d);
	if (r < 0)
		return r;
	for (size_t i = 1; i < t->n_tiers; i++)
		for (size_t j = i; j > 0 && t->tiers[j - 1].id > t->tiers[j].id; j--) {
			struct topology_tier tmp = t->tiers[j];

			t->tiers[j] = t->tiers[j - 1];
			t->tiers[j - 1] = tmp;
		}
	return 0;
}

static bool is_real_sysfs(const char *sysfs_root)
{
	return streq(sysfs_root, "/sys") || streq(sysfs_root, "/sys/");
}

static int load_distances(const char *sysfs_root, struct topology *t, struct topology_node *n)
{
	_cleanup_free_ char *rel = NULL, *text = NULL;
	const char *p;
	int r;

	n->distance = calloc(t->n_nodes, sizeof(*n->distance));
	if (!n->distance)
		return -ENOMEM;

	if (is_real_sysfs(sysfs_root) && numa_available() >= 0) {
		for (size_t i = 0; i < t->n_nodes; i++)
			n->distance[i] = (uint32_t)MAX(numa_distance((int)n->id, (int)t->nodes[i].id), 0);
		return 0;
	}

	/* nodeN/distance lists distances to every possible node in id order. */
	r = strextendf(&rel, "devices/system/node/node%u/distance", n->id);
	if (r < 0)
		return r;
	r = read_text(sysfs_root, rel, &text);
	if (r < 0) {
		free(n->distance);
		n->distance = NULL;
		return r == -ENOENT ? 0 : r;
	}
	p = text;
	for (uint32_t id = 0; *p; id++) {
		char *end;
		unsigned long d = strtoul(p, &end, 10);

		if (end == p)
			break;
		for (size_t i = 0; i < t->n_nodes; i++)
			if (t->nodes[i].id == id)
				n->distance[i] = (uint32_t)d;
		p = end;
	}
	return 0;
}

int topology_load(const char *sysfs_root, struct topology **ret)
{
	_cleanup_free_ uint32_t *online = NULL, *cpu = NULL, *mem = NULL;
	size_t n_online = 0, n_cpu = 0, n_mem = 0;
	_cleanup_topology_ struct topology *t = NULL;
	int r;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;

	r = read_nodelist(sysfs_root, "devices/system/node/online", &online, &n_online);
	if (r < 0)
		return r;
	/* Optional on old kernels and in minimal fake trees. */
	(void)read_nodelist(sysfs_root, "devices/system/node/has_cpu", &cpu, &n_cpu);
	if (read_nodelist(sysfs_root, "devices/system/node/has_memory", &mem, &n_mem) < 0)
		n_mem = 0;

	t->nodes = calloc(MAX(n_online, (size_t)1), sizeof(*t->nodes));
	if (!t->nodes)
		return -ENOMEM;
	t->n_nodes = n_online;

	r = load_tiers(sysfs_root, t);
	if (r < 0)
		return r;

	for (size_t i = 0; i < n_online; i++) {
		struct topology_node *n = &t->nodes[i];

		n->id = online[i];
		n->has_cpu = in_list(cpu, n_cpu, n->id);
		n->has_memory = mem ? in_list(mem, n_mem, n->id) : true;
		n->tier = -1;
		for (size_t k = 0; k < t->n_tiers; k++)
			if (in_list(t->tiers[k].nodes, t->tiers[k].n_nodes, n->id))
				n->tier = (int)t->tiers[k].id;
	}

	for (size_t i = 0; i < n_online; i++) {
		struct topology_node *n = &t->nodes[i];
		_cleanup_free_ char *rel = NULL, *text = NULL;

		r = strextendf(&rel, "devices/system/node/node%u/meminfo", n->id);
		if (r < 0)
			return r;
		if (read_text(sysfs_root, rel, &text) >= 0)
			parse_meminfo(text, n);
		r = load_distances(sysfs_root, t, n);
		if (r < 0)
			return r;
	}

	*ret = TAKE_PTR(t);
	return 0;
}

struct topology *topology_free(struct topology *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_nodes; i++)
		free(t->nodes[i].distance);
	for (size_t i = 0; i < t->n_tiers; i++)
		free(t->tiers[i].nodes);
	free(t->nodes);
	free(t->tiers);
	free(t);
	return NULL;
}

const struct topology_node *topology_find_node(const struct topology *t, uint32_t id)
{
	for (size_t i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].id == id)
			return &t->nodes[i];
	return NULL;
}

int topology_parse_zoneinfo_range(const char *zoneinfo, uint32_t node, uint64_t page_size,
				  uint64_t *ret_start, uint64_t *ret_end)
{
	uint64_t lo = UINT64_MAX, hi = 0, spanned = 0;
	bool ours = false;

	for (const char *p = zoneinfo; p && *p;) {
		const char *eol = strchrnul(p, '\n');
		unsigned long long v;
		unsigned n;
		char word[32];

		if (sscanf(p, "Node %u, zone %31s", &n, word) == 2) {
			ours = n == node;
			spanned = 0;
		} else if (ours && sscanf(p, " spanned %llu", &v) == 1)
			spanned = v;
		else if (ours && sscanf(p, " start_pfn: %llu", &v) == 1 && spanned > 0) {
			lo = MIN(lo, (uint64_t)v);
			hi = MAX(hi, (uint64_t)v + spanned);
		}
		p = *eol ? eol + 1 : eol;
	}
	if (hi == 0 || hi > UINT64_MAX / page_size)
		return -ENOENT;
	*ret_start = lo * page_size;
	*ret_end = hi * page_size;
	return 0;
}

int topology_read_zoneinfo_range(const char *proc_root, uint32_t node, uint64_t page_size,
				 uint64_t *ret_start, uint64_t *ret_end)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = read_text(proc_root, "zoneinfo", &text);
	if (r < 0)
		return r;
	return topology_parse_zoneinfo_range(text, node, page_size, ret_start, ret_end);
}
