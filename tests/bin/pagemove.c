// SPDX-License-Identifier: GPL-2.0
/*
 * pagemove: page migration between node 0 and node 1 with move_pages(2),
 * to test changes to the copy step of migration (batch copy, multi-threaded
 * copy, DMA copy). Runs as root; needs nodes 0 and 1 with memory.
 *
 *   pagemove verify  [-s MIB] [-f FOLIO_KB] [-n ROUNDS] [-S SEED] [-m MIN_PCT] [-T]
 *                    [-W FILE -w MODE]
 *   pagemove bench   [-s MIB] [-f FOLIO_KB] [-r RUNS] [-c CHUNK_PAGES]
 *   pagemove latency [-s KB] [-f FOLIO_KB] [-r RUNS]
 *
 * Every subcommand maps an anonymous region aligned to max(FOLIO_KB, 2 MiB),
 * asks for large folios with MADV_HUGEPAGE when FOLIO_KB > 4 (and forbids
 * them with MADV_NOHUGEPAGE when it is 4), faults it in under MPOL_BIND to
 * node 0, then drops the policy again. The mTHP size itself is the caller's
 * business (sysfs); the "setup:" line reports how many aligned FOLIO_KB
 * groups really are one folio of that size (from /proc/kpageflags; root).
 *
 * Placement is never taken from move_pages' own status array alone: when a
 * batch fails the kernel leaves the statuses of that batch (and of every page
 * after it) unwritten, and for a batch that succeeds it writes the target
 * node wholesale. After each move a separate move_pages(2) query (nodes ==
 * NULL) reports where every page really is.
 *
 * verify: every 8-byte word of every page holds a distinct value derived
 * from (seed, page, word, round). Each round moves all pages to the other
 * node in one move_pages(2) call, checks placement and every word, then
 * rewrites the region with the next round's pattern. Output:
 *   setup: pages=N node0=N folios=X/Y
 *   round R: target=T moved=M ms=MS not_moved=X wrong_node=W corrupt=C
 *   round R: not_moved: unreported=N EBUSY=N ...   (only when X > 0)
 *   round R: corrupt page P word W: expected E got G (...), N of 512 words differ
 *   round R: wrong node page P: move status S, now on N
 *   end: folios=X/Y
 *   verify: folio_kb=F pages=N rounds=R moved=M not_moved=X wrong_node=W corrupt=C
 * (at most 5 corrupt and 5 wrong-node lines a round; "unreported" pages are
 * those of a batch the kernel gave up on, whose status it never wrote.)
 * exit 0 = all good, 1 = corrupt or wrong-node pages, or fewer than MIN_PCT%
 * of page-moves reached their target, 2 = usage or syscall error.
 * -T (self-test) skips move_pages and flips one bit of one word in round 0:
 * it must report corrupt=1 and exit 1, which proves the checker can fail.
 * -W FILE -w MODE: before each round's move, write MODE to FILE, the
 * kernel's test hook that races a writer with the batch copy
 * (/sys/kernel/debug/migrate_offload/race_test): it writes RACE_MAGIC into
 * word 0 of one folio of the move while the folio is being migrated. Then
 * exactly one page a round must hold RACE_MAGIC in word 0 (the rest of it
 * is checked as usual), or the racing write was lost: the round reports
 * "race=N" and the run fails unless N is 1 in every round.
 *
 * bench: times move_pages(2) node 0 -> 1 and 1 -> 0 for the whole region,
 * CHUNK_PAGES pages per call (default: all in one call). GB/s counts only
 * pages that reached the target. Output:
 *   run K: to1_gbps=X to0_gbps=Y moved=M to1_moved=A to0_moved=B
 *   bench: folio_kb=F mib=S runs=R median_gbps=Z
 * (M = A + B, out of 2 * pages.) exit 1 if a direction moved < 90%.
 *
 * latency: a second thread reads the first word of page 0 in a loop and
 * times every read. The longest read after the move started that took
 * > 20 us and page-faulted (the thread's fault count, checked after each
 * slow read, went up) is the stall on page 0's migration entry; its end is
 * when the first folio of the batch became accessible at the destination.
 * Reads that were only preempted do not count. Output:
 *   run K: first_ms=X total_ms=Y stall_us=Z moved=M faults=F max_read_us=U
 *   latency: folio_kb=F kb=S runs=R median_first_ms=X median_total_ms=Y no_stall=N
 * first_ms is "none" (and the run counts in no_stall) when no such read was
 * seen or page 0 did not reach node 1; median_first_ms is over the runs that
 * stalled. max_read_us is the longest read, faulting or not. exit 1 if
 * fewer than half of the runs saw a stall.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/kernel-page-flags.h>
#include <linux/mempolicy.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "mix64.h"

#define PAGE 4096UL
#define WORDS (PAGE / sizeof(uint64_t))
#define HPAGE (2UL << 20)
#define MAX_FOLIO_KB (1UL << 20)
#define NOT_REPORTED INT_MIN	/* a status move_pages(2) did not write */
#define ERR_SLOTS 256
#define MAX_REPORTS 5
#define STALL_NS 20000ULL

static const char *prog = "pagemove";

/* ---- helpers ---------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static long sys_move_pages(unsigned long count, void **pages, const int *nodes,
			   int *status, int flags)
{
	return syscall(SYS_move_pages, 0, count, pages, nodes, status, flags);
}

static long sys_mbind(void *addr, unsigned long len, int mode,
		      const unsigned long *mask, unsigned long maxnode)
{
	return syscall(SYS_mbind, addr, len, mode, mask, maxnode, 0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned long n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *errname(int e)
{
	static const struct { int e; const char *name; } names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EIO, "EIO" },
		{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
		{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EINVAL, "EINVAL" },
		{ ENODEV, "ENODEV" }, { ENOSPC, "ENOSPC" }, { EHWPOISON, "EHWPOISON" },
	};
	static char buf[16];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].name;
	if (!e)
		return "E?";
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

/* ---- usage and argument parsing ---------------------------------------- */

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
		"usage: pagemove verify  [-s MIB] [-f FOLIO_KB] [-n ROUNDS] [-S SEED] [-m MIN_PCT] [-T] [-W FILE -w MODE]\n"
		"       pagemove bench   [-s MIB] [-f FOLIO_KB] [-r RUNS] [-c CHUNK_PAGES]\n"
		"       pagemove latency [-s KB] [-f FOLIO_KB] [-r RUNS]\n"
		"  -s  region size: MiB for verify/bench (64), KiB for latency (2048)\n"
		"  -f  folio size in KiB, a power of two >= 4 (4); > 4 uses MADV_HUGEPAGE,\n"
		"      the mTHP size must be enabled in sysfs by the caller\n"
		"  -n  verify rounds, alternating node 1, node 0, ... (4)\n"
		"  -S  verify pattern seed (1)\n"
		"  -m  verify: fail if fewer than MIN_PCT%% of page-moves reach the target (95)\n"
		"  -T  verify self-test: skip move_pages, corrupt one word, must exit 1\n"
		"  -W  verify: arm the kernel's race test hook FILE (writing -w MODE, 1-3)\n"
		"      before each move; one page a round must keep its racing write\n"
		"  -r  runs (bench 5, latency 10)\n"
		"  -c  bench: pages per move_pages call (all)\n"
		"exit: 0 pass, 1 test failure, 2 usage or system error\n");
	exit(2);
}

/* Strict decimal in [min, max]; anything else is a usage error. */
static unsigned long long num(int opt, const char *arg, unsigned long long min,
			      unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = isdigit((unsigned char)*arg) ? strtoull(arg, &end, 10) : 0;
	if (!isdigit((unsigned char)*arg) || errno || *end || v < min || v > max) {
		fprintf(stderr, "%s: bad value for -%c: '%s' (want %llu..%llu)\n",
			prog, opt, arg, min, max);
		usage();
	}
	return v;
}

static void check_folio(unsigned long folio_kb, unsigned long size)
{
	if (folio_kb & (folio_kb - 1)) {
		fprintf(stderr, "%s: -f %lu is not a power of two\n", prog, folio_kb);
		usage();
	}
	if (size % (folio_kb << 10)) {
		fprintf(stderr, "%s: size %lu KiB is not a multiple of the folio size %lu KiB\n",
			prog, size >> 10, folio_kb);
		usage();
	}
}

static void no_operands(int argc)
{
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument\n", prog);
		usage();
	}
}

/* ---- the region --------------------------------------------------------- */

struct region {
	char *mem;
	size_t len;
	unsigned long npages;
	unsigned long folio_kb;
	void **pages;
	int *nodes;
	int *status;	/* per page, from the last move */
	int *where;	/* per page, from the last placement query */
};

static int region_map(struct region *r, size_t len, unsigned long folio_kb)
{
	size_t align = folio_kb << 10 > HPAGE ? folio_kb << 10 : HPAGE;
	char *map, *mem;
	size_t head;

	map = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return -errno;
	mem = (char *)(((uintptr_t)map + align - 1) & ~(uintptr_t)(align - 1));
	head = mem - map;
	if (head && munmap(map, head))
		return -errno;
	if (align - head && munmap(mem + len, align - head))
		return -errno;
	r->mem = mem;
	r->len = len;
	r->npages = len / PAGE;
	r->folio_kb = folio_kb;
	return 0;
}

static int region_arrays(struct region *r)
{
	unsigned long i;

	r->pages = calloc(r->npages, sizeof(*r->pages));
	r->nodes = calloc(r->npages, sizeof(*r->nodes));
	r->status = calloc(r->npages, sizeof(*r->status));
	r->where = calloc(r->npages, sizeof(*r->where));
	if (!r->pages || !r->nodes || !r->status || !r->where)
		return -ENOMEM;
	for (i = 0; i < r->npages; i++)
		r->pages[i] = r->mem + i * PAGE;
	return 0;
}

static void region_free(struct region *r)
{
	if (r->mem && munmap(r->mem, r->len))
		fprintf(stderr, "%s: munmap: %s\n", prog, strerror(errno));
	free(r->pages);
	free(r->nodes);
	free(r->status);
	free(r->where);
	memset(r, 0, sizeof(*r));
}

/* Map, advise and bind to node 0; the caller then faults it in. */
static int region_prepare(struct region *r, size_t len, unsigned long folio_kb)
{
	unsigned long node0 = 1;
	int err;

	memset(r, 0, sizeof(*r));
	err = region_map(r, len, folio_kb);
	if (err)
		return err;
	err = region_arrays(r);
	if (err)
		return err;
	if (madvise(r->mem, len, folio_kb > 4 ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		return -errno;
	if (sys_mbind(r->mem, len, MPOL_BIND, &node0, sizeof(node0) * 8))
		return -errno;
	return 0;
}

/* Set every page's target and poison the statuses. */
static void region_target(struct region *r, int node)
{
	unsigned long i;

	for (i = 0; i < r->npages; i++) {
		r->nodes[i] = node;
		r->status[i] = NOT_REPORTED;
	}
}

/*
 * Move every page to the target set by region_target(), chunk pages per
 * call. Returns how many pages the kernel said it did not migrate (>= 0) or
 * -errno; *ns (if set) gets the time spent inside move_pages(2).
 */
static long region_move(struct region *r, unsigned long chunk, uint64_t *ns)
{
	unsigned long i, n;
	uint64_t t0, t = 0;
	long ret, failed = 0;

	for (i = 0; i < r->npages; i += n) {
		n = r->npages - i < chunk ? r->npages - i : chunk;
		t0 = now_ns();
		ret = sys_move_pages(n, r->pages + i, r->nodes + i,
				     r->status + i, MPOL_MF_MOVE);
		t += now_ns() - t0;
		if (ret < 0)
			return -errno;
		failed += ret;
	}
	if (ns)
		*ns = t;
	return failed;
}

/* Fill r->where with each page's node (or -errno); returns pages on node. */
static long region_query(struct region *r, int node)
{
	unsigned long i;
	long on = 0;

	if (sys_move_pages(r->npages, r->pages, NULL, r->where, 0) < 0)
		return -errno;
	for (i = 0; i < r->npages; i++)
		on += r->where[i] == node;
	return on;
}

/* Target, move and query in one go; returns pages now on node or -errno. */
static long region_move_all(struct region *r, int node, unsigned long chunk,
			    uint64_t *ns)
{
	long ret;

	region_target(r, node);
	ret = region_move(r, chunk, ns);
	if (ret < 0) {
		fprintf(stderr, "%s: move_pages to node %d: %s\n", prog, node,
			strerror(-ret));
		return ret;
	}
	ret = region_query(r, node);
	if (ret < 0)
		fprintf(stderr, "%s: move_pages query: %s\n", prog, strerror(-ret));
	return ret;
}

/* ---- folio sizes, from /proc/self/pagemap and /proc/kpageflags ---------- */

#define PM_PRESENT (1ULL << 63)
#define PM_PFN ((1ULL << 55) - 1)
#define KPF(bit) (1ULL << (bit))

static int read_pfn_flags(const struct region *r, uint64_t *pfn, uint64_t *flags)
{
	size_t want = r->npages * sizeof(*pfn);
	int pm, kf, err = 0;
	unsigned long i;

	pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0)
		return -errno;
	kf = open("/proc/kpageflags", O_RDONLY);
	if (kf < 0) {
		err = -errno;
		close(pm);
		return err;
	}
	if (pread(pm, pfn, want, (uintptr_t)r->mem / PAGE * 8) != (ssize_t)want)
		err = -EIO;
	for (i = 0; !err && i < r->npages; i++) {
		flags[i] = KPF(KPF_NOPAGE);
		if (!(pfn[i] & PM_PRESENT))
			continue;
		pfn[i] &= PM_PFN;
		if (!pfn[i])	/* PFNs hidden: not root */
			err = -EPERM;
		else if (pread(kf, &flags[i], 8, pfn[i] * 8) != 8)
			err = -EIO;
	}
	close(kf);
	close(pm);
	return err;
}

static int is_tail_of(const uint64_t *pfn, const uint64_t *flags, unsigned long i)
{
	return (flags[i] & KPF(KPF_COMPOUND_TAIL)) && pfn[i] == pfn[i - 1] + 1;
}

/* Is the group of n pages at p exactly one folio of n pages? */
static int one_folio(const struct region *r, const uint64_t *pfn,
		     const uint64_t *flags, unsigned long p, unsigned long n)
{
	unsigned long i;

	if (flags[p] & KPF(KPF_NOPAGE))
		return 0;
	if (n == 1 && (flags[p] & (KPF(KPF_COMPOUND_HEAD) | KPF(KPF_COMPOUND_TAIL))))
		return 0;
	if (n > 1 && !(flags[p] & KPF(KPF_COMPOUND_HEAD)))
		return 0;
	for (i = p + 1; i < p + n; i++)
		if (!is_tail_of(pfn, flags, i))
			return 0;
	/* a larger folio would carry on past the group */
	return p + n >= r->npages || !is_tail_of(pfn, flags, p + n);
}

/* Aligned FOLIO_KB groups that are one folio of that size, or -errno. */
static long folio_count(const struct region *r)
{
	unsigned long n = r->folio_kb / 4, p;
	uint64_t *pfn, *flags;
	long count = 0;
	int err;

	pfn = calloc(r->npages, sizeof(*pfn));
	flags = calloc(r->npages, sizeof(*flags));
	err = pfn && flags ? read_pfn_flags(r, pfn, flags) : -ENOMEM;
	for (p = 0; !err && p < r->npages; p += n)
		count += one_folio(r, pfn, flags, p, n);
	free(pfn);
	free(flags);
	return err ? err : count;
}

static void print_folios(const struct region *r)
{
	long n = folio_count(r);

	if (n < 0)
		printf(" folios=unknown(%s)", errname(-n));
	else
		printf(" folios=%ld/%lu", n, r->npages / (r->folio_kb / 4));
}

/* Drop the node-0 binding and check that every page landed there. */
static int region_settle(struct region *r)
{
	long on0;

	if (sys_mbind(r->mem, r->len, MPOL_DEFAULT, NULL, 0))
		return -errno;
	on0 = region_query(r, 0);
	if (on0 < 0)
		return on0;
	printf("setup: pages=%lu node0=%ld", r->npages, on0);
	print_folios(r);
	putchar('\n');
	fflush(stdout);
	if ((unsigned long)on0 != r->npages) {
		fprintf(stderr, "%s: setup: only %ld of %lu pages on node 0\n",
			prog, on0, r->npages);
		return -EXDEV;
	}
	return 0;
}

/* Cheap fill for bench and latency: every page written, each one different. */
static void fill_cheap(struct region *r)
{
	unsigned long i;

	memset(r->mem, 0x5a, r->len);
	for (i = 0; i < r->npages; i++)
		*(uint64_t *)(r->mem + i * PAGE) = i;
}

static int setup_cheap(struct region *r, size_t len, unsigned long folio_kb)
{
	int err = region_prepare(r, len, folio_kb);

	if (err) {
		fprintf(stderr, "%s: setup: %s\n", prog, strerror(-err));
		return err;
	}
	fill_cheap(r);
	err = region_settle(r);
	if (err && err != -EXDEV)
		fprintf(stderr, "%s: setup: %s\n", prog, strerror(-err));
	return err;
}

/* ---- verify -------------------------------------------------------------- */

struct vopts {
	unsigned long mib, folio_kb, rounds, min_pct;
	uint64_t seed;
	int selftest;
	const char *race_file;		/* -W: the kernel's race test hook */
	int race_mode;			/* -w: what to write to it */
};

/* What the kernel's race test hook writes (mm/migrate_offload.c) */
#define RACE_MAGIC 0x6d6f2d7261636521ULL

struct tally {
	unsigned long moved, not_moved, wrong_node;
	unsigned long unreported;	/* not moved and no status written */
	unsigned long err[ERR_SLOTS];	/* not moved, by errno; [0]: other */
};

static uint64_t page_key(uint64_t seed, unsigned long page, unsigned long round)
{
	return mix64(seed + GOLDEN * (1 + mix64(page + GOLDEN * (1 + mix64(round)))));
}

/* Distinct for every word of a page: mix64 is a bijection, GOLDEN is odd. */
static uint64_t pattern(uint64_t key, unsigned long word)
{
	return mix64(key + GOLDEN * (word + 1));
}

static void fill_round(struct region *r, uint64_t seed, unsigned long round)
{
	unsigned long p, w;
	uint64_t *v, key;

	for (p = 0; p < r->npages; p++) {
		v = (uint64_t *)(r->mem + p * PAGE);
		key = page_key(seed, p, round);
		for (w = 0; w < WORDS; w++)
			v[w] = pattern(key, w);
	}
}

/*
 * First differing word of page p from word w0 on, or -1; *nbad gets the
 * differing count.
 */
static long check_page(const struct region *r, uint64_t seed, unsigned long p,
		       unsigned long round, unsigned long w0, unsigned long *nbad)
{
	const volatile uint64_t *v = (const uint64_t *)(r->mem + p * PAGE);
	uint64_t key = page_key(seed, p, round);
	long first = -1;
	unsigned long w;

	*nbad = 0;
	for (w = w0; w < WORDS; w++) {
		if (v[w] == pattern(key, w))
			continue;
		if (first < 0)
			first = w;
		(*nbad)++;
	}
	return first;
}

static void report_corrupt(const struct region *r, uint64_t seed, unsigned long p,
			   unsigned long round, long w, unsigned long nbad)
{
	uint64_t got = ((const volatile uint64_t *)(r->mem + p * PAGE))[w];
	uint64_t want = pattern(page_key(seed, p, round), w);
	const char *what = "wrong data";

	if (!got)
		what = "zero";
	else if (round && got == pattern(page_key(seed, p, round - 1), w))
		what = "previous round's data";
	printf("round %lu: corrupt page %lu word %ld: expected %016llx got %016llx"
	       " (%s), %lu of %lu words differ\n", round, p, w,
	       (unsigned long long)want, (unsigned long long)got, what, nbad, WORDS);
}

/* *race counts the pages that hold RACE_MAGIC in word 0, if race is set. */
static unsigned long check_region(const struct region *r, uint64_t seed,
				  unsigned long round, unsigned long *race)
{
	unsigned long p, nbad, bad = 0, w0;
	long w;

	for (p = 0; p < r->npages; p++) {
		w0 = 0;
		if (race && *(const volatile uint64_t *)(r->mem + p * PAGE) == RACE_MAGIC) {
			(*race)++;
			w0 = 1;
		}
		w = check_page(r, seed, p, round, w0, &nbad);
		if (w < 0)
			continue;
		if (bad < MAX_REPORTS)
			report_corrupt(r, seed, p, round, w, nbad);
		bad++;
	}
	return bad;
}

static void tally_page(struct tally *t, int status, int where, int target)
{
	if (where == target) {
		t->moved++;
	} else if (status >= 0) {
		/* the kernel gave a node, but the page is not on the target */
		t->wrong_node++;
	} else {
		t->not_moved++;
		if (status == NOT_REPORTED)
			t->unreported++;
		else
			t->err[-status < ERR_SLOTS ? -status : 0]++;
	}
}

static void tally_round(const struct region *r, unsigned long round, int target,
			struct tally *t)
{
	unsigned long i, shown = 0;

	for (i = 0; i < r->npages; i++) {
		tally_page(t, r->status[i], r->where[i], target);
		if (r->where[i] == target || r->status[i] < 0 || shown >= MAX_REPORTS)
			continue;
		printf("round %lu: wrong node page %lu: move status %d, now on %d\n",
		       round, i, r->status[i], r->where[i]);
		shown++;
	}
}

static void print_reasons(unsigned long round, const struct tally *t)
{
	int e;

	if (!t->not_moved)
		return;
	printf("round %lu: not_moved:", round);
	if (t->unreported)
		printf(" unreported=%lu", t->unreported);
	for (e = 0; e < ERR_SLOTS; e++)
		if (t->err[e])
			printf(" %s=%lu", errname(e), t->err[e]);
	putchar('\n');
}

static void tally_add(struct tally *sum, const struct tally *t)
{
	sum->moved += t->moved;
	sum->not_moved += t->not_moved;
	sum->wrong_node += t->wrong_node;
}

static void selftest_corrupt(struct region *r)
{
	unsigned long p = r->npages / 2, w = 37;

	((volatile uint64_t *)(r->mem + p * PAGE))[w] ^= 1ULL << 17;
	printf("verify: self-test: move_pages skipped, corrupted page %lu word %lu\n",
	       p, w);
}

/* Arm the kernel's race test hook for the next batch copy. */
static int race_arm(const struct vopts *o)
{
	char buf[16];
	int fd, len, ok;

	fd = open(o->race_file, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, o->race_file, strerror(errno));
		return -errno;
	}
	len = snprintf(buf, sizeof(buf), "%d\n", o->race_mode);
	ok = write(fd, buf, len) == len;
	if (!ok)
		fprintf(stderr, "%s: writing %s: %s\n", prog, o->race_file, strerror(errno));
	close(fd);
	return ok ? 0 : -EIO;
}

static int verify_round(struct region *r, const struct vopts *o,
			unsigned long round, struct tally *sum, unsigned long *corrupt,
			unsigned long *race_bad)
{
	int target = round % 2 ? 0 : 1;
	struct tally t = { 0 };
	unsigned long bad, race = 0;
	uint64_t ns = 0;
	long ret;

	if (o->race_file && race_arm(o))
		return -EIO;
	if (o->selftest) {
		if (!round)
			selftest_corrupt(r);
	} else {
		ret = region_move_all(r, target, r->npages, &ns);
		if (ret < 0)
			return ret;
		tally_round(r, round, target, &t);
	}
	bad = check_region(r, o->seed, round, o->race_file ? &race : NULL);
	printf("round %lu: target=%d moved=%lu ms=%.3f not_moved=%lu wrong_node=%lu corrupt=%lu",
	       round, target, t.moved, ns / 1e6, t.not_moved, t.wrong_node, bad);
	if (o->race_file) {
		printf(" race=%lu", race);
		*race_bad += race != 1;
	}
	putchar('\n');
	print_reasons(round, &t);
	fflush(stdout);
	tally_add(sum, &t);
	*corrupt += bad;
	if (round + 1 < o->rounds)
		fill_round(r, o->seed, round + 1);
	return 0;
}

static int verify_verdict(const struct vopts *o, const struct region *r,
			  const struct tally *sum, unsigned long corrupt,
			  unsigned long race_bad)
{
	unsigned long total = r->npages * o->rounds;

	printf("verify: folio_kb=%lu pages=%lu rounds=%lu moved=%lu not_moved=%lu wrong_node=%lu corrupt=%lu\n",
	       o->folio_kb, r->npages, o->rounds, sum->moved, sum->not_moved,
	       sum->wrong_node, corrupt);
	fflush(stdout);
	if (race_bad) {
		fprintf(stderr, "%s: verify FAILED: in %lu of %lu rounds the racing write was not found exactly once (lost, or the hook did not fire)\n",
			prog, race_bad, o->rounds);
		return 1;
	}
	if (corrupt || sum->wrong_node) {
		fprintf(stderr, "%s: verify FAILED: %lu corrupt page copies, %lu pages on the wrong node\n",
			prog, corrupt, sum->wrong_node);
		return 1;
	}
	if (!o->selftest && sum->moved * 100 < o->min_pct * total) {
		fprintf(stderr, "%s: verify FAILED: only %lu of %lu page-moves (%.1f%%) reached their target, need %lu%%\n",
			prog, sum->moved, total, 100.0 * sum->moved / total, o->min_pct);
		return 1;
	}
	return 0;
}

static int verify_run(const struct vopts *o)
{
	unsigned long round, corrupt = 0, race_bad = 0;
	struct tally sum = { 0 };
	struct region r;
	int err, rc = 2;

	err = region_prepare(&r, o->mib << 20, o->folio_kb);
	if (err) {
		fprintf(stderr, "%s: setup: %s\n", prog, strerror(-err));
		goto out;
	}
	fill_round(&r, o->seed, 0);
	err = region_settle(&r);
	if (err) {
		if (err != -EXDEV)
			fprintf(stderr, "%s: setup: %s\n", prog, strerror(-err));
		goto out;
	}
	for (round = 0; round < o->rounds; round++)
		if (verify_round(&r, o, round, &sum, &corrupt, &race_bad))
			goto out;
	printf("end:");
	print_folios(&r);
	putchar('\n');
	rc = verify_verdict(o, &r, &sum, corrupt, race_bad);
out:
	region_free(&r);
	return rc;
}

static int cmd_verify(int argc, char **argv)
{
	struct vopts o = { .mib = 64, .folio_kb = 4, .rounds = 4, .min_pct = 95,
			   .seed = 1 };
	int opt;

	while ((opt = getopt(argc, argv, "s:f:n:S:m:TW:w:")) != -1) {
		switch (opt) {
		case 's': o.mib = num(opt, optarg, 1, 1UL << 20); break;
		case 'f': o.folio_kb = num(opt, optarg, 4, MAX_FOLIO_KB); break;
		case 'n': o.rounds = num(opt, optarg, 1, 1UL << 20); break;
		case 'S': o.seed = num(opt, optarg, 0, ULLONG_MAX); break;
		case 'm': o.min_pct = num(opt, optarg, 0, 100); break;
		case 'T': o.selftest = 1; break;
		case 'W': o.race_file = optarg; break;
		case 'w': o.race_mode = num(opt, optarg, 1, 3); break;
		default: usage();
		}
	}
	no_operands(argc);
	check_folio(o.folio_kb, o.mib << 20);
	return verify_run(&o);
}

/* ---- bench --------------------------------------------------------------- */

struct bopts {
	unsigned long mib, folio_kb, runs, chunk;
};

/* One timed direction; returns pages that reached node, or -errno. */
static long bench_dir(struct region *r, int node, unsigned long chunk,
		      double *gbps)
{
	uint64_t ns = 0;
	long moved = region_move_all(r, node, chunk, &ns);

	if (moved < 0)
		return moved;
	*gbps = ns ? moved * PAGE / 1e9 / (ns / 1e9) : 0;
	return moved;
}

static int bench_enough(const struct region *r, unsigned long run, int node,
			long moved)
{
	if ((unsigned long)moved * 10 >= r->npages * 9)
		return 1;
	fprintf(stderr, "%s: bench FAILED: run %lu: only %ld of %lu pages reached node %d (< 90%%)\n",
		prog, run, moved, r->npages, node);
	return 0;
}

static int bench_loop(struct region *r, const struct bopts *o, double *gbps)
{
	unsigned long run;
	long to1, to0;

	for (run = 0; run < o->runs; run++) {
		to1 = bench_dir(r, 1, o->chunk, &gbps[2 * run]);
		if (to1 < 0)
			return 2;
		to0 = bench_dir(r, 0, o->chunk, &gbps[2 * run + 1]);
		if (to0 < 0)
			return 2;
		printf("run %lu: to1_gbps=%.3f to0_gbps=%.3f moved=%ld to1_moved=%ld to0_moved=%ld\n",
		       run, gbps[2 * run], gbps[2 * run + 1], to1 + to0, to1, to0);
		fflush(stdout);
		if (!bench_enough(r, run, 1, to1) || !bench_enough(r, run, 0, to0))
			return 1;
	}
	printf("bench: folio_kb=%lu mib=%lu runs=%lu median_gbps=%.3f\n",
	       o->folio_kb, o->mib, o->runs, median(gbps, 2 * o->runs));
	return 0;
}

static int bench_run(const struct bopts *o)
{
	struct region r = { 0 };
	double *gbps;
	int rc = 2;

	gbps = calloc(2 * o->runs, sizeof(*gbps));
	if (!gbps) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 2;
	}
	if (!setup_cheap(&r, o->mib << 20, o->folio_kb))
		rc = bench_loop(&r, o, gbps);
	region_free(&r);
	free(gbps);
	return rc;
}

static int cmd_bench(int argc, char **argv)
{
	struct bopts o = { .mib = 64, .folio_kb = 4, .runs = 5, .chunk = 0 };
	int opt;

	while ((opt = getopt(argc, argv, "s:f:r:c:")) != -1) {
		switch (opt) {
		case 's': o.mib = num(opt, optarg, 1, 1UL << 20); break;
		case 'f': o.folio_kb = num(opt, optarg, 4, MAX_FOLIO_KB); break;
		case 'r': o.runs = num(opt, optarg, 1, 1UL << 20); break;
		case 'c': o.chunk = num(opt, optarg, 1, ULONG_MAX); break;
		default: usage();
		}
	}
	no_operands(argc);
	check_folio(o.folio_kb, o.mib << 20);
	if (!o.chunk)
		o.chunk = (o.mib << 20) / PAGE;
	return bench_run(&o);
}

/* ---- latency ------------------------------------------------------------- */

struct lopts {
	unsigned long kb, folio_kb, runs;
};

struct toucher {
	const volatile uint64_t *word;
	atomic_int running;
	atomic_int stop;
	_Atomic uint64_t t0;	/* 0 until the move starts */
	uint64_t longest;	/* longest read after t0 */
	uint64_t stall, stall_end; /* longest read after t0 that faulted */
	long faults;		/* faults seen in reads after t0 */
	int err;		/* getrusage(2) errno */
	uint64_t sink;
};

/* Faults of this thread; called twice so that a fault getrusage(2) itself
 * takes on a fresh stack page is in the count, not in the next one. */
static long thread_faults(int *err)
{
	struct rusage ru;
	int i;

	for (i = 0; i < 2; i++)
		if (getrusage(RUSAGE_THREAD, &ru)) {
			*err = errno;
			return 0;
		}
	return ru.ru_minflt + ru.ru_majflt;
}

/*
 * A slow read is a stall on page 0's migration entry only if it faulted.
 * The thread's fault count is looked at after each read slower than
 * STALL_NS (nothing else in the loop faults: page 0 and the stack are
 * mapped), so a read that was merely preempted - e.g. by the per-CPU LRU
 * drain that move_pages(2) starts with - is not taken for a stall.
 */
static void note_read(struct toucher *t, uint64_t a, uint64_t b, long *flt)
{
	long now;

	if (b - a > t->longest)
		t->longest = b - a;
	if (b - a <= STALL_NS)
		return;
	now = thread_faults(&t->err);
	if (now == *flt)
		return;
	t->faults += now - *flt;
	*flt = now;
	if (b - a > t->stall) {
		t->stall = b - a;
		t->stall_end = b;
	}
}

/* Time every read of page 0 that begins after t0. */
static void *touch_loop(void *arg)
{
	struct toucher *t = arg;
	struct toucher warm = { .word = t->word };
	uint64_t a, b, t0, sink = *t->word;
	long flt = 0;

	/* run every path once, so the code, vDSO and stack pages are mapped */
	note_read(&warm, now_ns(), now_ns() + STALL_NS + 1, &flt);
	flt = thread_faults(&t->err);
	atomic_store(&t->running, 1);
	while (!t->err && !atomic_load_explicit(&t->stop, memory_order_relaxed)) {
		t0 = atomic_load_explicit(&t->t0, memory_order_relaxed);
		a = now_ns();
		sink += *t->word;
		b = now_ns();
		if (t0 && a >= t0)
			note_read(t, a, b, &flt);
	}
	t->sink = sink;
	return NULL;
}

struct lat {
	double first_ms, total_ms, stall_us, max_read_us;
	long moved, faults;
	int stalled;
};

/* The timed move to node 1 with the toucher running; 0 or -errno. */
static int latency_move(struct region *r, struct toucher *t, uint64_t *t0,
			uint64_t *t1)
{
	pthread_t th;
	long ret;
	int err;

	err = pthread_create(&th, NULL, touch_loop, t);
	if (err) {
		fprintf(stderr, "%s: pthread_create: %s\n", prog, strerror(err));
		return -err;
	}
	while (!atomic_load(&t->running))
		sched_yield();
	region_target(r, 1);
	*t0 = now_ns();
	atomic_store(&t->t0, *t0);
	ret = region_move(r, r->npages, NULL);
	*t1 = now_ns();
	atomic_store(&t->stop, 1);
	err = pthread_join(th, NULL);
	if (ret < 0) {
		fprintf(stderr, "%s: move_pages to node 1: %s\n", prog, strerror(-ret));
		return ret;
	}
	if (err) {
		fprintf(stderr, "%s: pthread_join: %s\n", prog, strerror(err));
		return -err;
	}
	return 0;
}

static int latency_one(struct region *r, unsigned long run, struct lat *l)
{
	struct toucher t = { .word = (const volatile uint64_t *)r->mem };
	uint64_t t0, t1;
	long back;
	int err;

	err = latency_move(r, &t, &t0, &t1);
	if (err)
		return err;
	l->moved = region_query(r, 1);
	if (l->moved < 0) {
		fprintf(stderr, "%s: move_pages query: %s\n", prog, strerror(-l->moved));
		return l->moved;
	}
	if (t.err) {
		fprintf(stderr, "%s: getrusage: %s\n", prog, strerror(t.err));
		return -t.err;
	}
	l->total_ms = (t1 - t0) / 1e6;
	l->stall_us = t.stall / 1e3;
	l->max_read_us = t.longest / 1e3;
	l->faults = t.faults;
	l->stalled = t.stall && r->where[0] == 1;
	l->first_ms = l->stalled ? (t.stall_end - t0) / 1e6 : 0;
	if (r->where[0] != 1)
		fprintf(stderr, "%s: run %lu: page 0 did not reach node 1 (%d)\n",
			prog, run, r->where[0]);
	back = region_move_all(r, 0, r->npages, NULL);
	if (back < 0)
		return back;
	if ((unsigned long)back != r->npages)
		fprintf(stderr, "%s: run %lu: only %ld of %lu pages back on node 0\n",
			prog, run, back, r->npages);
	return 0;
}

static void latency_print(unsigned long run, const struct lat *l)
{
	if (l->stalled)
		printf("run %lu: first_ms=%.3f", run, l->first_ms);
	else
		printf("run %lu: first_ms=none", run);
	printf(" total_ms=%.3f stall_us=%.1f moved=%ld faults=%ld max_read_us=%.1f%s\n",
	       l->total_ms, l->stall_us, l->moved, l->faults, l->max_read_us,
	       l->stalled ? "" : " (no stall observed)");
	fflush(stdout);
}

static int latency_loop(struct region *r, const struct lopts *o, double *first,
			double *total)
{
	unsigned long run, nfirst = 0;
	struct lat l = { 0 };

	for (run = 0; run < o->runs; run++) {
		if (latency_one(r, run, &l))
			return 2;
		latency_print(run, &l);
		if (l.stalled)
			first[nfirst++] = l.first_ms;
		total[run] = l.total_ms;
	}
	printf("latency: folio_kb=%lu kb=%lu runs=%lu ", o->folio_kb, o->kb, o->runs);
	if (nfirst)
		printf("median_first_ms=%.3f", median(first, nfirst));
	else
		printf("median_first_ms=none");
	printf(" median_total_ms=%.3f no_stall=%lu\n", median(total, o->runs),
	       o->runs - nfirst);
	if (nfirst * 2 >= o->runs)
		return 0;
	fprintf(stderr, "%s: latency FAILED: a stall on page 0 was seen in only %lu of %lu runs\n",
		prog, nfirst, o->runs);
	return 1;
}

static int latency_run(const struct lopts *o)
{
	struct region r = { 0 };
	double *first, *total;
	int rc = 2;

	first = calloc(o->runs, sizeof(*first));
	total = calloc(o->runs, sizeof(*total));
	if (!first || !total)
		fprintf(stderr, "%s: out of memory\n", prog);
	else if (!setup_cheap(&r, o->kb << 10, o->folio_kb))
		rc = latency_loop(&r, o, first, total);
	region_free(&r);
	free(first);
	free(total);
	return rc;
}

static int cmd_latency(int argc, char **argv)
{
	struct lopts o = { .kb = 2048, .folio_kb = 4, .runs = 10 };
	int opt;

	while ((opt = getopt(argc, argv, "s:f:r:")) != -1) {
		switch (opt) {
		case 's': o.kb = num(opt, optarg, 4, 1UL << 30); break;
		case 'f': o.folio_kb = num(opt, optarg, 4, MAX_FOLIO_KB); break;
		case 'r': o.runs = num(opt, optarg, 1, 1UL << 20); break;
		default: usage();
		}
	}
	no_operands(argc);
	check_folio(o.folio_kb, o.kb << 10);
	return latency_run(&o);
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (sysconf(_SC_PAGESIZE) != (long)PAGE) {
		fprintf(stderr, "%s: needs 4 KiB pages\n", prog);
		return 2;
	}
	if (!strcmp(argv[1], "verify"))
		return cmd_verify(argc - 1, argv + 1);
	if (!strcmp(argv[1], "bench"))
		return cmd_bench(argc - 1, argv + 1);
	if (!strcmp(argv[1], "latency"))
		return cmd_latency(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
	usage();
}
