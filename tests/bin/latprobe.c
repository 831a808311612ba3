// SPDX-License-Identifier: GPL-2.0
/*
 * latprobe: a latency-sensitive workload, to measure what promotion going
 * on elsewhere costs a task that only wants its requests served on time.
 *
 * Joins a cgroup (-c), faults in SIZE MiB (-s, default 16) where the
 * kernel puts it (first touch: the node of the CPU it runs on), prints
 * "ready", waits for the start file (-p) to appear, then serves one
 * request every INTERVAL µs (-i, default 1000): a request reads LINES
 * (-n, default 16) cache lines at pseudo-random places of its memory.
 * A request's latency runs from the moment it was due, not from when it
 * started, so that time spent waiting for a CPU, in a fault, or behind a
 * TLB shootdown counts even when it delays the requests after it (no
 * coordinated omission). On SIGTERM or SIGINT, or after SECONDS (-t,
 * default 600), it prints one line:
 *   latprobe requests=N p50_us=X p99_us=X p999_us=X max_us=X late=N
 * (late: requests that started after the next one was due).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cgjoin.h"
#include "mix64.h"

/* Latency histogram: 1 µs buckets below 10 ms, 1 ms buckets up to 10 s. */
#define FINE_US		10000
#define COARSE_MS	10000
static uint64_t fine[FINE_US], coarse[COARSE_MS + 1];
static uint64_t n_req, n_late, max_us;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void record(uint64_t us)
{
	if (us < FINE_US)
		fine[us]++;
	else
		coarse[us / 1000 < COARSE_MS ? us / 1000 : COARSE_MS]++;
	if (us > max_us)
		max_us = us;
	n_req++;
}

/* The latency in µs below which a fraction @q of the requests fall. */
static uint64_t quantile(double q)
{
	uint64_t want = (uint64_t)(q * n_req), seen = 0;

	for (uint64_t i = 0; i < FINE_US; i++) {
		seen += fine[i];
		if (seen > want)
			return i;
	}
	for (uint64_t i = FINE_US / 1000; i <= COARSE_MS; i++) {
		seen += coarse[i];
		if (seen > want)
			return i * 1000;
	}
	return max_us;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_until(uint64_t t_us)
{
	struct timespec ts = {
		.tv_sec = t_us / 1000000, .tv_nsec = (t_us % 1000000) * 1000,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
		;
}

static int usage(void)
{
	fprintf(stderr, "usage: latprobe [-s MiB] [-i INTERVAL_US] [-n LINES] "
		"[-t SECONDS] [-c CGROUP] [-p STARTFILE]\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long mib = 16, interval = 1000, lines = 16, secs = 600;
	const char *cg = NULL, *start = NULL;
	volatile uint64_t sink = 0;
	uint64_t seed = 0, due, end;
	size_t size, nlines;
	uint64_t *mem;
	int opt, r;

	while ((opt = getopt(argc, argv, "s:i:n:t:c:p:")) != -1) {
		switch (opt) {
		case 's': mib = strtoul(optarg, NULL, 0); break;
		case 'i': interval = strtoul(optarg, NULL, 0); break;
		case 'n': lines = strtoul(optarg, NULL, 0); break;
		case 't': secs = strtoul(optarg, NULL, 0); break;
		case 'c': cg = optarg; break;
		case 'p': start = optarg; break;
		default: return usage();
		}
	}
	if (optind != argc || !mib || !interval || !lines || !secs)
		return usage();
	if (cg) {
		r = join_cgroup(cg);
		if (r < 0) {
			fprintf(stderr, "latprobe: join %s: %s\n", cg, strerror(-r));
			return 1;
		}
	}
	size = mib << 20;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("latprobe: mmap");
		return 1;
	}
	nlines = size / 64;
	for (size_t i = 0; i < size / sizeof(*mem); i += 512)
		mem[i] = i;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready %lu MiB\n", mib);
	fflush(stdout);
	while (start && access(start, F_OK) && !stop)
		usleep(10000);

	due = now_us();
	end = due + (uint64_t)secs * 1000000;
	while (!stop && due < end) {
		uint64_t t;

		sleep_until(due);
		if (stop)
			break;
		for (unsigned long k = 0; k < lines; k++) {
			seed += GOLDEN;
			sink += mem[(mix64(seed) % nlines) * 8];
		}
		t = now_us();
		record(t > due ? t - due : 0);
		due += interval;
		if (t > due) {
			n_late++;
			/* Skip the requests that are already overdue. */
			due += (t - due) / interval * interval;
		}
	}
	printf("latprobe requests=%llu p50_us=%llu p99_us=%llu p999_us=%llu max_us=%llu late=%llu\n",
	       (unsigned long long)n_req, (unsigned long long)quantile(0.50),
	       (unsigned long long)quantile(0.99), (unsigned long long)quantile(0.999),
	       (unsigned long long)max_us, (unsigned long long)n_late);
	(void)sink;
	return 0;
}
