// SPDX-License-Identifier: GPL-2.0
/*
 * hotmem: a workload whose memory starts on the slow tier and stays hot.
 *
 * Joins a cgroup (so its pages are charged there), faults in SIZE MiB,
 * moves every page to a lower-tier node with move_pages(2), then touches
 * every page in a loop and reports, from move_pages(2) queries, how many
 * of its pages sit on each node. This is what NUMA-balancing tiering mode
 * promotes; the caller compares the placement with memory.stat.
 *
 * Output (one line each, parseable):
 *   moved PAGES to node N
 *   t=SECONDS node0=PAGES node1=PAGES passes=N
 *   final node0=PAGES node1=PAGES other=PAGES passes=N elapsed=SECONDS
 *         utime=SECONDS stime=SECONDS
 * (utime/stime: CPU time of the touch loop alone, which in tiering mode
 * includes the NUMA hint faults and any migration done in them.)
 *
 * -f MS flushes the process's TLB every MS ms of the touch loop. Access-bit
 * samplers (DAMON) clear a PTE's accessed bit without a TLB flush and rely
 * on the CPU walking the page table again, which a real CPU does for a
 * working set far larger than its TLB; QEMU's software TLB holds the whole
 * working set, so under TCG the bit would stay clear forever. The flush is
 * a PROT_NONE round trip of a small populated buffer, large enough that
 * x86 flushes everything rather than page by page.
 *
 * -T N touches the memory from N threads (default 1): the extra threads
 * sweep the whole region too, each from its own offset, until the main
 * thread stops. Pages are then mapped in TLBs on several CPUs, so that
 * unmapping one for migration needs a TLB shootdown on each, as it does
 * for any multi-threaded application; reports still count the main
 * thread's passes.
 *
 * -S keeps NUMA-balancing scanning off the memory until the start (-p):
 * the memory is faulted in under a task policy of MPOL_BIND to NODE, and
 * the scanner skips every VMA of a task whose policy is not
 * migrate-on-fault; the policy is dropped when the touch loop starts.
 * Every page is then unmarked at the start, and the first scan after it
 * marks all of them at once (scan_size_mb permitting),
 * whatever the scanner did while the memory was being set up. Without it,
 * scans during the set-up mark the part of the memory already on NODE,
 * and the rest waits for the scanner's next pass, which its 3% overhead
 * cap (32x the scan's own runtime) may put seconds away.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <linux/mempolicy.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgjoin.h"

#define PAGE 4096UL
#define HPAGE (2UL << 20)
#define MOVE_CHUNK 4096UL
#define FLUSH_PAGES 64UL	/* > tlb_single_page_flush_ceiling (33) */

static double tv(struct timeval t)
{
	return t.tv_sec + t.tv_usec / 1e6;
}

static long sys_move_pages(unsigned long count, void **pages, const int *nodes,
			   int *status, int flags)
{
	return syscall(SYS_move_pages, 0, count, pages, nodes, status, flags);
}

/* Move [0, npages) to node, or only query placement when node < 0. */
static int placement(char *mem, unsigned long npages, int node, long *count,
		     int ncount)
{
	void *pages[MOVE_CHUNK];
	int nodes[MOVE_CHUNK], status[MOVE_CHUNK];
	unsigned long i, j, n;

	memset(count, 0, sizeof(*count) * ncount);
	for (i = 0; i < npages; i += n) {
		n = npages - i < MOVE_CHUNK ? npages - i : MOVE_CHUNK;
		for (j = 0; j < n; j++) {
			pages[j] = mem + (i + j) * PAGE;
			nodes[j] = node;
		}
		if (sys_move_pages(n, pages, node < 0 ? NULL : nodes, status,
				   node < 0 ? 0 : 2 /* MPOL_MF_MOVE */) < 0)
			return -errno;
		for (j = 0; j < n; j++) {
			int s = status[j];

			count[s >= 0 && s < ncount - 1 ? s : ncount - 1]++;
		}
	}
	return 0;
}

/*
 * Set the task's memory policy: MPOL_BIND to node, or MPOL_DEFAULT. A task
 * policy rather than mbind(): changing a range's policy splits its VMA and
 * merges it back afterwards, and the merged VMA inherits the NUMA-scan
 * state of its neighbour, which may say "already scanned in this
 * sequence" and hide the whole region from the next scan.
 */
static int set_policy(int mode, int node)
{
	unsigned long nodemask = 1UL << node;

	if (syscall(SYS_set_mempolicy, mode, mode == MPOL_DEFAULT ? NULL : &nodemask,
		    mode == MPOL_DEFAULT ? 0 : 8 * sizeof(nodemask)))
		return -errno;
	return 0;
}

struct toucher {
	pthread_t tid;
	char *mem;
	unsigned long npages, start;
};

static int touch_stop;

static void *toucher_run(void *arg)
{
	struct toucher *t = arg;
	unsigned long i;

	while (!__atomic_load_n(&touch_stop, __ATOMIC_RELAXED)) {
		for (i = t->start; i < t->npages; i++)
			t->mem[i * PAGE]++;
		for (i = 0; i < t->start; i++)
			t->mem[i * PAGE]++;
	}
	return NULL;
}

static char *flushbuf;

static int tlb_flush_init(void)
{
	flushbuf = mmap(NULL, FLUSH_PAGES * PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (flushbuf == MAP_FAILED)
		return -1;
	memset(flushbuf, 1, FLUSH_PAGES * PAGE);
	return 0;
}

/* Present -> PROT_NONE always needs a flush; 64 pages make it a full one. */
static void tlb_flush(void)
{
	mprotect(flushbuf, FLUSH_PAGES * PAGE, PROT_NONE);
	mprotect(flushbuf, FLUSH_PAGES * PAGE, PROT_READ | PROT_WRITE);
}

static void usage(void);

/* MiB by default; a K suffix gives KiB (small cases in the VM tests). */
static unsigned long parse_size(const char *arg)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 0);

	if (*end == 'K' && !end[1])
		return v << 10;
	if ((*end == 'M' && !end[1]) || !*end)
		return v << 20;
	usage();
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hotmem -s MIB [-t SECONDS] [-c CGROUP_DIR] [-n NODE] [-H] [-u PCT]\n"
		"              [-i INTERVAL_MS] [-I CHECK_MS] [-f FLUSH_MS] [-p STARTFILE [-S]]\n"
		"              [-T THREADS]\n"
		"  -s  size in MiB (or NK)    -t  seconds to keep touching (10)\n"
		"  -c  cgroup to join first   -n  node to start on (1)\n"
		"  -H  use THP (2 MiB folios) -u  stop when PCT%% are on node 0\n"
		"  -i  report interval (1000) -p  wait for SIGCONT-free start file\n"
		"  -I  with -u, once within 10 points of PCT, check every CHECK_MS\n"
		"      (0: after every pass) instead of every report interval, so\n"
		"      that the time the target is reached is known to about a pass\n"
		"  -f  flush the TLB every FLUSH_MS ms while touching (off)\n"
		"  -S  no NUMA scanning of the memory before the start\n"
		"  -T  touch from THREADS threads (1)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long size = 0, npages, i;
	double seconds = 10, interval = 1.0, until = 0, flush = 0, t0, last, t;
	double check = -1, every, printed;
	double next_flush = 0;
	const char *cgroup = NULL, *startfile = NULL;
	int node = 1, thp = 0, noscan = 0, threads = 1, opt, r;
	struct toucher *touchers = NULL;
	long count[8];
	unsigned long passes = 0;
	struct rusage ru0, ru1;
	char *mem;

	while ((opt = getopt(argc, argv, "s:t:c:n:Hu:i:I:p:f:ST:")) != -1) {
		switch (opt) {
		case 's': size = parse_size(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'c': cgroup = optarg; break;
		case 'n': node = atoi(optarg); break;
		case 'H': thp = 1; break;
		case 'u': until = atof(optarg); break;
		case 'i': interval = atof(optarg) / 1000.0; break;
		case 'I':
			check = atof(optarg) / 1000.0;
			if (check < 0)
				usage();
			break;
		case 'p': startfile = optarg; break;
		case 'f': flush = atof(optarg) / 1000.0; break;
		case 'S': noscan = 1; break;
		case 'T': threads = atoi(optarg); break;
		default: usage();
		}
	}
	if (!size || node < 0 || node > 6 || (noscan && !startfile) ||
	    threads < 1 || threads > 64 || (check >= 0 && until <= 0))
		usage();
	if (cgroup) {
		r = join_cgroup(cgroup);
		if (r < 0) {
			fprintf(stderr, "hotmem: cannot join %s: %s\n", cgroup, strerror(-r));
			return 1;
		}
	}

	if (flush > 0 && tlb_flush_init()) {
		perror("hotmem: mmap");
		return 1;
	}
	mem = mmap(NULL, size + HPAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("hotmem: mmap");
		return 1;
	}
	mem = (char *)(((uintptr_t)mem + HPAGE - 1) & ~(HPAGE - 1));
	if (madvise(mem, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		perror("hotmem: madvise");
		return 1;
	}
	if (noscan) {
		r = set_policy(MPOL_BIND, node);
		if (r < 0) {
			fprintf(stderr, "hotmem: set_mempolicy bind %d: %s\n", node, strerror(-r));
			return 1;
		}
	}
	npages = size / PAGE;
	for (i = 0; i < npages; i++)
		mem[i * PAGE] = (char)i;

	r = placement(mem, npages, node, count, 8);
	if (r < 0) {
		fprintf(stderr, "hotmem: move_pages to node %d: %s\n", node, strerror(-r));
		return 1;
	}
	r = placement(mem, npages, -1, count, 8);
	if (r < 0) {
		fprintf(stderr, "hotmem: move_pages query: %s\n", strerror(-r));
		return 1;
	}
	printf("moved %ld to node %d (of %lu pages)\n", count[node], node, npages);
	fflush(stdout);
	if (count[node] < (long)(npages * 95 / 100)) {
		fprintf(stderr, "hotmem: only %ld of %lu pages reached node %d\n",
			count[node], npages, node);
		return 1;
	}

	/* Lets a caller start several workloads and release them together. */
	while (startfile && access(startfile, F_OK))
		usleep(10000);
	if (noscan) {
		r = set_policy(MPOL_DEFAULT, 0);
		if (r < 0) {
			fprintf(stderr, "hotmem: set_mempolicy default: %s\n", strerror(-r));
			return 1;
		}
	}

	if (threads > 1) {
		touchers = calloc(threads - 1, sizeof(*touchers));
		if (!touchers) {
			perror("hotmem: calloc");
			return 1;
		}
		for (i = 0; i < (unsigned long)threads - 1; i++) {
			touchers[i].mem = mem;
			touchers[i].npages = npages;
			touchers[i].start = npages * (i + 1) / threads;
			r = pthread_create(&touchers[i].tid, NULL, toucher_run, &touchers[i]);
			if (r) {
				fprintf(stderr, "hotmem: pthread_create: %s\n", strerror(r));
				return 1;
			}
		}
	}

	getrusage(RUSAGE_SELF, &ru0);
	t0 = last = printed = now();
	every = interval;
	for (;;) {
		if (flush > 0) {
			for (i = 0; i < npages; i++) {
				mem[i * PAGE]++;
				if (!(i & 255) && (t = now()) >= next_flush) {
					tlb_flush();
					next_flush = t + flush;
				}
			}
		} else {
			for (i = 0; i < npages; i++)
				mem[i * PAGE]++;
		}
		passes++;
		t = now();
		if (t - last >= every || t - t0 >= seconds) {
			int reached, done;

			last = t;
			if (placement(mem, npages, -1, count, 8) < 0)
				return 1;
			reached = until > 0 && count[0] * 100.0 >= until * npages;
			done = reached || t - t0 >= seconds;
			/* Finer checks near the target print at the usual pace. */
			if (done || t - printed >= interval) {
				printed = t;
				printf("t=%.2f node0=%ld node1=%ld passes=%lu\n", t - t0,
				       count[0], count[1], passes);
				fflush(stdout);
			}
			if (done)
				break;
			if (check >= 0 && count[0] * 100.0 >= (until - 10) * npages)
				every = check;
		}
	}
	t = now();
	__atomic_store_n(&touch_stop, 1, __ATOMIC_RELAXED);
	for (i = 0; touchers && i < (unsigned long)threads - 1; i++)
		pthread_join(touchers[i].tid, NULL);
	free(touchers);
	getrusage(RUSAGE_SELF, &ru1);
	placement(mem, npages, -1, count, 8);
	printf("final node0=%ld node1=%ld other=%ld passes=%lu elapsed=%.2f utime=%.3f stime=%.3f\n",
	       count[0], count[1], (long)npages - count[0] - count[1], passes,
	       t - t0, tv(ru1.ru_utime) - tv(ru0.ru_utime),
	       tv(ru1.ru_stime) - tv(ru0.ru_stime));
	return 0;
}
