// SPDX-License-Identifier: GPL-2.0
/*
 * manycg: one process whose hot memory is charged to many cgroups, each
 * with a little of it on the slow tier, so that a NUMA scan of its one
 * address space makes kmigrated queue candidates for every one of them.
 *
 * For each i in [0, N): joins PARENT/cI, maps PAGES anonymous pages (they
 * are charged to cI as they are touched) and moves them to NODE with
 * move_pages(2). Then reports "ready", waits for the start file (-p) and
 * reads a word of every page in a loop until the caller removes the start
 * file again, or SECONDS have passed (a bound, for a caller that died).
 * The caller decides when the memory may go: a fixed run time raced with
 * a slow guest reading what the run left queued. The process stays in the
 * last cgroup; the caller creates the cgroups and removes them.
 *
 * Output (one line each, parseable):
 *   ready cgroups=N pages=TOTAL on_node=PAGES
 *   done passes=N by=stop|timeout
 */
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgjoin.h"

#define PAGE 4096UL

/* Move @n pages at @mem to @node; returns how many are there, or -errno. */
static long move_to(char *mem, unsigned long n, int node)
{
	void *pages[64];
	int nodes[64], status[64];
	unsigned long i;
	long on = 0;

	if (n > 64)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		pages[i] = mem + i * PAGE;
		nodes[i] = node;
	}
	if (syscall(SYS_move_pages, 0, n, pages, nodes, status, 2 /* MPOL_MF_MOVE */) < 0)
		return -errno;
	for (i = 0; i < n; i++)
		on += status[i] == node;
	return on;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: manycg -d PARENT -n CGROUPS -k PAGES(1-64) -t MAX_SECONDS [-N NODE] -p STARTFILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *parent = NULL, *startfile = NULL;
	unsigned long ncg = 0, pages = 16, i, j, passes = 0;
	double seconds = 10, end;
	long on = 0, r;
	char **mem, path[4096];
	int opt, node = 1, stopped;
	volatile unsigned long sum = 0;

	while ((opt = getopt(argc, argv, "d:n:k:t:N:p:")) != -1) {
		switch (opt) {
		case 'd': parent = optarg; break;
		case 'n': ncg = strtoul(optarg, NULL, 0); break;
		case 'k': pages = strtoul(optarg, NULL, 0); break;
		case 't': seconds = atof(optarg); break;
		case 'N': node = atoi(optarg); break;
		case 'p': startfile = optarg; break;
		default: usage();
		}
	}
	if (!parent || !startfile || !ncg || !pages || pages > 64 || seconds <= 0)
		usage();
	mem = calloc(ncg, sizeof(*mem));
	if (!mem) {
		perror("manycg: calloc");
		return 1;
	}
	for (i = 0; i < ncg; i++) {
		snprintf(path, sizeof(path), "%s/c%lu", parent, i);
		r = join_cgroup(path);
		if (r < 0) {
			fprintf(stderr, "manycg: cannot join %s: %s\n", path, strerror(-r));
			return 1;
		}
		mem[i] = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem[i] == MAP_FAILED) {
			perror("manycg: mmap");
			return 1;
		}
		madvise(mem[i], pages * PAGE, MADV_NOHUGEPAGE);
		for (j = 0; j < pages; j++)
			mem[i][j * PAGE] = (char)(i + j);
		r = move_to(mem[i], pages, node);
		if (r < 0) {
			fprintf(stderr, "manycg: move_pages: %s\n", strerror(-r));
			return 1;
		}
		on += r;
	}
	printf("ready cgroups=%lu pages=%lu on_node=%ld\n", ncg, ncg * pages, on);
	fflush(stdout);
	while (access(startfile, F_OK))
		usleep(10000);
	end = now() + seconds;
	while (!(stopped = access(startfile, F_OK) != 0) && now() < end) {
		for (i = 0; i < ncg; i++)
			for (j = 0; j < pages; j++)
				sum += *(volatile char *)(mem[i] + j * PAGE);
		passes++;
	}
	printf("done passes=%lu by=%s\n", passes, stopped ? "stop" : "timeout");
	return 0;
}
