// SPDX-License-Identifier: GPL-2.0
/*
 * pinwait: take a FOLL_LONGTERM pin on memory that somebody else holds a
 * transient reference to, and report whether and when the pin succeeded.
 * Tests the longterm-pin wait (kernel/longterm-pin/0001, 0002). Runs as root.
 *
 *   pinwait [-p PAGES] [-d HOLD_MS] [-n NODE] [-T]
 *
 * Maps PAGES (default 16, at most 256) anonymous 4K pages, faults them in
 * on NODE (default 1: in the test bed only node 1 has a Normal zone for
 * movablecore= to turn into ZONE_MOVABLE; the policy is dropped again
 * before the pin) and records their PFNs from /proc/self/pagemap. Unless HOLD_MS is 0 it
 * vmsplice(2)s them into a pipe: each pipe buffer holds a plain reference
 * to its page (not a pin), which makes migration of the page fail until
 * the buffer is released. A thread drains the pipe HOLD_MS milliseconds
 * after the pin started, which drops those references with put_page().
 * The main thread registers the region as an io_uring fixed buffer
 * (IORING_REGISTER_BUFFERS: pin_user_pages(FOLL_LONGTERM)); pages in
 * ZONE_MOVABLE must be migrated before they may be pinned.
 *
 * Output, one line:
 *   pin: pages=N movable=M hold_ms=H rc=R ms=T moved=K still_movable=S corrupt=C
 * movable: pages in ZONE_MOVABLE before the pin (PFN within a Movable
 * zone's span in /proc/zoneinfo); rc: 0 or -errno of the registration;
 * ms: how long it took; moved: pages whose PFN changed; still_movable:
 * pages in ZONE_MOVABLE after it; corrupt: pages whose contents are not
 * the pattern written before the pin (checked afterwards).
 * exit 0 = pinned, 1 = the pin failed or data changed, 2 = setup error.
 * -T (self-test): flips a byte before the check, which must give corrupt=1
 * and exit 1: proof that the check can fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/io_uring.h>
#include <linux/mempolicy.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define MAX_PAGES 256
#define MAX_ZONES 16

struct span {
	uint64_t start, end;	/* [start, end) PFNs */
};

static struct span movable[MAX_ZONES];
static int nr_movable;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The PFN spans of every Movable zone, from /proc/zoneinfo. */
static int read_movable_spans(void)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];
	int in_movable = 0;
	uint64_t start = 0, spanned = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Node ", 5)) {
			in_movable = strstr(line, "zone  Movable") != NULL ||
				     strstr(line, "zone Movable") != NULL;
			start = spanned = 0;
			continue;
		}
		if (!in_movable)
			continue;
		if (sscanf(line, " spanned %" SCNu64, &spanned) == 1)
			continue;
		if (sscanf(line, " start_pfn: %" SCNu64, &start) == 1 &&
		    spanned && nr_movable < MAX_ZONES) {
			movable[nr_movable].start = start;
			movable[nr_movable].end = start + spanned;
			nr_movable++;
		}
	}
	fclose(f);
	return 0;
}

static int pfn_movable(uint64_t pfn)
{
	for (int i = 0; i < nr_movable; i++)
		if (pfn >= movable[i].start && pfn < movable[i].end)
			return 1;
	return 0;
}

/* PFNs of the n pages at buf; 0 for a page not present. */
static int read_pfns(const char *buf, int n, uint64_t *pfn)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	int ret = 0;

	if (fd < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		uint64_t e;
		off_t off = (uintptr_t)(buf + i * PAGE) / PAGE * sizeof(e);

		if (pread(fd, &e, sizeof(e), off) != sizeof(e)) {
			ret = -EIO;
			break;
		}
		pfn[i] = (e >> 63) ? (e & ((1ULL << 55) - 1)) : 0;
	}
	close(fd);
	return ret;
}

struct drain {
	int fd;
	long bytes;
	int hold_ms;
	double t0;
	int err;
};

/* Release the pipe's page references HOLD_MS after the pin started. */
static void *drain_pipe(void *arg)
{
	struct drain *d = arg;
	char *sink = malloc(64 * 1024);
	double until = d->t0 + d->hold_ms;
	long left = d->bytes;

	if (!sink) {
		d->err = ENOMEM;
		return NULL;
	}
	while (now_ms() < until)
		usleep(1000);
	while (left > 0) {
		ssize_t r = read(d->fd, sink, left < 65536 ? left : 65536);

		if (r <= 0) {
			d->err = r < 0 ? errno : EPIPE;
			break;
		}
		left -= r;
	}
	free(sink);
	return NULL;
}

static void fill(char *buf, int n)
{
	for (int i = 0; i < n; i++)
		for (unsigned long w = 0; w < PAGE / 8; w++)
			((uint64_t *)(buf + i * PAGE))[w] =
				0x9e3779b97f4a7c15ULL * (i + 1) + w;
}

static int check(const char *buf, int n)
{
	int bad = 0;

	for (int i = 0; i < n; i++)
		for (unsigned long w = 0; w < PAGE / 8; w++)
			if (((const uint64_t *)(buf + i * PAGE))[w] !=
			    0x9e3779b97f4a7c15ULL * (i + 1) + w) {
				bad++;
				break;
			}
	return bad;
}

static void usage(void)
{
	fprintf(stderr, "usage: pinwait [-p PAGES] [-d HOLD_MS] [-n NODE] [-T]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int pages = 16, hold_ms = 200, node = 1, selftest = 0, opt;
	unsigned long nodemask;
	uint64_t before[MAX_PAGES], after[MAX_PAGES];
	int nmov = 0, moved = 0, still = 0, corrupt;
	struct io_uring_params params;
	struct drain d = { .fd = -1 };
	pthread_t thread;
	struct iovec iov;
	int pipefd[2] = { -1, -1 };
	int ring, rc;
	double t1;
	char *buf;

	while ((opt = getopt(argc, argv, "p:d:n:T")) != -1) {
		switch (opt) {
		case 'p':
			pages = atoi(optarg);
			break;
		case 'd':
			hold_ms = atoi(optarg);
			break;
		case 'n':
			node = atoi(optarg);
			break;
		case 'T':
			selftest = 1;
			break;
		default:
			usage();
		}
	}
	if (pages < 1 || pages > MAX_PAGES || hold_ms < 0 || node < 0 ||
	    node >= (int)(8 * sizeof(nodemask)))
		usage();
	if (read_movable_spans() < 0 || !nr_movable) {
		fprintf(stderr, "pinwait: no Movable zone in /proc/zoneinfo (boot with movablecore=)\n");
		return 2;
	}

	buf = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("pinwait: mmap");
		return 2;
	}
	madvise(buf, pages * PAGE, MADV_NOHUGEPAGE);
	nodemask = 1UL << node;
	if (syscall(__NR_mbind, buf, pages * PAGE, MPOL_BIND, &nodemask,
		    8 * sizeof(nodemask), 0)) {
		perror("pinwait: mbind");
		return 2;
	}
	fill(buf, pages);
	if (syscall(__NR_mbind, buf, pages * PAGE, MPOL_DEFAULT, NULL, 0, 0)) {
		perror("pinwait: mbind");
		return 2;
	}
	if (read_pfns(buf, pages, before) < 0) {
		perror("pinwait: pagemap");
		return 2;
	}
	for (int i = 0; i < pages; i++) {
		if (!before[i]) {
			fprintf(stderr, "pinwait: page %d has no PFN (not root?)\n", i);
			return 2;
		}
		nmov += pfn_movable(before[i]);
	}

	memset(&params, 0, sizeof(params));
	ring = syscall(__NR_io_uring_setup, 4, &params);
	if (ring < 0) {
		perror("pinwait: io_uring_setup");
		return 2;
	}

	if (hold_ms) {
		iov.iov_base = buf;
		iov.iov_len = pages * PAGE;
		if (pipe(pipefd) ||
		    fcntl(pipefd[1], F_SETPIPE_SZ, (int)(pages * PAGE)) < 0) {
			perror("pinwait: pipe");
			return 2;
		}
		if (vmsplice(pipefd[1], &iov, 1, 0) != (ssize_t)(pages * PAGE)) {
			perror("pinwait: vmsplice");
			return 2;
		}
		d.fd = pipefd[0];
		d.bytes = pages * PAGE;
		d.hold_ms = hold_ms;
	}

	d.t0 = now_ms();
	if (hold_ms && pthread_create(&thread, NULL, drain_pipe, &d)) {
		fprintf(stderr, "pinwait: cannot start the drain thread\n");
		return 2;
	}
	iov.iov_base = buf;
	iov.iov_len = pages * PAGE;
	rc = syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS,
		     &iov, 1);
	if (rc < 0)
		rc = -errno;
	t1 = now_ms();
	if (hold_ms) {
		pthread_join(thread, NULL);
		if (d.err) {
			fprintf(stderr, "pinwait: draining the pipe: %s\n",
				strerror(d.err));
			return 2;
		}
	}

	if (read_pfns(buf, pages, after) < 0) {
		perror("pinwait: pagemap");
		return 2;
	}
	for (int i = 0; i < pages; i++) {
		moved += after[i] != before[i];
		still += pfn_movable(after[i]);
	}
	if (selftest)
		buf[PAGE / 2] ^= 1;
	corrupt = check(buf, pages);
	printf("pin: pages=%d movable=%d hold_ms=%d rc=%d ms=%.0f moved=%d still_movable=%d corrupt=%d\n",
	       pages, nmov, hold_ms, rc, t1 - d.t0, moved, still, corrupt);
	if (!rc)
		syscall(__NR_io_uring_register, ring,
			IORING_UNREGISTER_BUFFERS, NULL, 0);
	close(ring);
	return rc || corrupt ? 1 : 0;
}
