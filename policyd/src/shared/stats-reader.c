/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "log.h"
#include "stats-reader.h"
#include "util.h"

struct stats_reader {
	cgfs *main;                                  /* borrowed */
	cgfs *clones[STATS_READER_THREADS_MAX - 1];  /* owned, made on first use */
	size_t n_clones;
	bool no_clone;    /* the backend refused: the calling thread alone */
	unsigned max_threads;
	unsigned last_threads;
};

struct job {
	const char *const *cgroups;
	size_t n;
	struct cgroup_stats *ret;
	int *results;
	size_t next;      /* the next index to read, taken atomically */
};

struct worker {
	struct job *job;
	cgfs *fs;
	pthread_t thread;
};

static unsigned cpus_allowed(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 1;
	return (unsigned)MAX(CPU_COUNT(&set), 1);
}

int stats_reader_new(cgfs *c, unsigned max_threads, stats_reader **ret)
{
	stats_reader *r;

	if (!c)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->main = c;
	if (max_threads == 0)
		max_threads = cpus_allowed();
	r->max_threads = MIN(MAX(max_threads, 1U), STATS_READER_THREADS_MAX);
	*ret = r;
	return 0;
}

stats_reader *stats_reader_free(stats_reader *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_clones; i++)
		cgfs_free(r->clones[i]);
	free(r);
	return NULL;
}

unsigned stats_reader_last_threads(const stats_reader *r)
{
	return r->last_threads;
}

static void run(struct job *job, cgfs *fs)
{
	for (;;) {
		size_t i = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED);

		if (i >= job->n)
			return;
		job->results[i] = stats_read(fs, job->cgroups[i], &job->ret[i]);
	}
}

static void *worker_main(void *userdata)
{
	struct worker *w = userdata;

	run(w->job, w->fs);
	return NULL;
}

/* Clones up to want handles; fewer is fine (fds or memory short). */
static size_t ensure_clones(stats_reader *r, size_t want)
{
	while (!r->no_clone && r->n_clones < want) {
		int k = cgfs_clone(r->main, &r->clones[r->n_clones]);

		if (k == -EOPNOTSUPP)
			r->no_clone = true;
		else if (k < 0) {
			log_debug_errno(k, "Cannot open another cgroup handle (%m): "
					"reading statistics with fewer threads");
			break;
		} else
			r->n_clones++;
	}
	return MIN(r->n_clones, want);
}

void stats_reader_read(stats_reader *r, const char *const *cgroups, size_t n,
		      struct cgroup_stats *ret, int *results)
{
	struct worker workers[STATS_READER_THREADS_MAX - 1];
	struct job job = { .cgroups = cgroups, .n = n, .ret = ret, .results = results };
	size_t want = 0, started = 0;

	for (size_t i = 0; i < n; i++) {
		ret[i] = (struct cgroup_stats){};
		results[i] = 0;
	}
	if (r->max_threads > 1 && n >= 2 * STATS_READER_MIN_PER_THREAD)
		want = MIN((size_t)r->max_threads, n / STATS_READER_MIN_PER_THREAD) - 1;
	want = ensure_clones(r, want);
	for (size_t i = 0; i < want; i++) {
		workers[started] = (struct worker){ .job = &job, .fs = r->clones[i] };
		/* No thread (RLIMIT_NPROC, TasksMax=): fewer threads, same work. */
		if (pthread_create(&workers[started].thread, NULL, worker_main,
				   &workers[started]) != 0)
			break;
		started++;
	}
	run(&job, r->main);
	for (size_t i = 0; i < started; i++)
		pthread_join(workers[i].thread, NULL);
	r->last_threads = (unsigned)started + 1;
}
