/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgtierctl top: per managed cgroup, the rule's limit, the promotion rate
 * now (delta of "promoted" pages over the interval) and the counters. */
#include <inttypes.h>
#include <signal.h>
#include <time.h>

#include "cgtier/cgtier.h"
#include "ctl.h"
#include "escape.h"
#include "rate.h"
#include "util.h"

uint64_t ctl_rate_bytes_per_sec(uint64_t before, uint64_t after, double seconds,
				uint64_t page_size)
{
	/* A counter that went backwards means the cgroup was recreated. */
	if (after < before || seconds <= 0)
		return 0;
	return (uint64_t)((double)(after - before) * (double)page_size / seconds + 0.5);
}

static int cmp_key_stats(const void *key, const void *item)
{
	return strcmp(key, ((const struct ctl_cgroup_stats *)item)->cgroup);
}

static int cmp_names(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	/* A name the previous round could not keep (NULL) sorts first. */
	return x && y ? strcmp(x, y) : x ? 1 : y ? -1 : 0;
}

static volatile sig_atomic_t top_stop;

static void on_top_signal(int sig)
{
	top_stop = 1;
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int verb_top(sd_bus *bus, const CtlOptions *o, FILE *out)
{
	_cleanup_free_ uint64_t *prev = NULL;
	_cleanup_free_ char **prev_names = NULL;
	size_t n_prev = 0;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	double last = 0;
	bool tty = isatty(fileno(out));

	signal(SIGINT, on_top_signal);
	signal(SIGTERM, on_top_signal);

	for (unsigned it = 0; !top_stop && (o->iterations == 0 || it < o->iterations); it++) {
		_cleanup_(ctl_cgroup_list_done) struct ctl_cgroup_list l = {};
		_cleanup_(ctl_stats_list_done) struct ctl_stats_list all = {};
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		_cleanup_free_ uint64_t *cur = NULL;
		double t;
		int r;

		if (it > 0) {
			struct timespec ts = {
				.tv_sec = (time_t)o->interval_sec,
				.tv_nsec = (long)((o->interval_sec - (double)(time_t)o->interval_sec) * 1e9),
			};
			nanosleep(&ts, NULL);
			if (top_stop)
				break;
		}
		r = ctl_list_cgroups(bus, &l);
		if (r < 0)
			return ctl_bus_error_exit("Cannot list cgroups", r, NULL);
		/* Two calls a refresh, not one per cgroup. */
		r = ctl_list_cgroup_stats(bus, &all, &error);
		if (r < 0)
			return ctl_bus_error_exit("Cannot read statistics", r, &error);
		t = now_sec();
		cur = calloc(MAX(l.n, (size_t)1), sizeof(*cur));
		if (!cur)
			return CGTIER_EXIT_FAILURE;

		/* --json: one array per refresh, one line each (JSON lines), no
		 * screen control. */
		if (o->json)
			fputc('[', out);
		else {
			if (tty)
				fputs("\033[H\033[2J", out);
			if (!o->no_legend)
				fprintf(out, "%-44s %-16s %14s %12s %12s\n", "CGROUP", "LIMIT", "RATE",
					"PROMOTED", "THROTTLED");
		}
		for (size_t i = 0, k = 0; i < l.n; i++) {
			const struct ctl_cgroup_stats *cs;
			uint64_t promoted = 0, throttled = 0, rate = 0, limit_bps = 0;
			char limit[RATE_STRING_MAX] = "-", rate_s[RATE_STRING_MAX] = "-";
			char *const *p = NULL;
			bool has_limit = false;

			cs = all.n ? bsearch(l.items[i].cgroup, all.items, all.n, sizeof(*all.items),
					     cmp_key_stats) : NULL;
			if (!cs)
				continue;
			(void)cgroup_stats_get(&cs->stats, "promoted", &promoted);
			(void)cgroup_stats_get(&cs->stats, "throttled", &throttled);
			cur[i] = promoted;
			/* Both rounds are sorted by path. */
			if (n_prev > 0)
				p = bsearch(&l.items[i].cgroup, prev_names, n_prev, sizeof(*prev_names),
					    cmp_names);
			if (p) {
				rate = ctl_rate_bytes_per_sec(prev[p - prev_names], promoted, t - last, page);
				(void)rate_format(rate, rate_s, sizeof(rate_s));
			}
			if (!isempty(l.items[i].max)) {
				uint64_t max, period;

				if (promotion_max_parse(l.items[i].max, &max, &period) >= 0) {
					if (max == PROMOTION_MAX_UNLIMITED)
						strscpy(limit, sizeof(limit), "unlimited");
					else {
						limit_bps = (uint64_t)((double)max * 1e6 / (double)period);
						has_limit = true;
						(void)rate_format(limit_bps, limit, sizeof(limit));
					}
				}
			}
			if (o->json) {
				fputs(k++ ? ",{\"cgroup\":" : "{\"cgroup\":", out);
				json_string(out, l.items[i].cgroup);
				if (has_limit)
					fprintf(out, ",\"limit_bytes_per_second\":%" PRIu64, limit_bps);
				else
					fputs(",\"limit_bytes_per_second\":null", out);
				if (p)
					fprintf(out, ",\"rate_bytes_per_second\":%" PRIu64, rate);
				else
					fputs(",\"rate_bytes_per_second\":null", out);
				fprintf(out, ",\"promoted\":%" PRIu64 ",\"throttled\":%" PRIu64 "}",
					promoted, throttled);
			} else {
				_cleanup_free_ char *cg = text_escape(l.items[i].cgroup, 0);

				fprintf(out, "%-44s %-16s %14s %12" PRIu64 " %12" PRIu64 "\n",
					strna(cg), limit, rate_s, promoted, throttled);
			}
		}
		if (o->json)
			fputs("]\n", out);
		fflush(out);

		/* Keep this round's names: the list owns them until the next round. */
		for (size_t j = 0; j < n_prev; j++)
			free(prev_names[j]);
		free(prev_names);
		free(prev);
		prev_names = calloc(MAX(l.n, (size_t)1), sizeof(*prev_names));
		if (!prev_names)
			return CGTIER_EXIT_FAILURE;
		for (size_t i = 0; i < l.n; i++)
			prev_names[i] = TAKE_PTR(l.items[i].cgroup);
		prev = TAKE_PTR(cur);
		n_prev = l.n;
		last = t;
	}
	for (size_t j = 0; j < n_prev; j++)
		free(prev_names[j]);
	return CGTIER_EXIT_OK;
}

