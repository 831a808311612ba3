// SPDX-License-Identifier: GPL-2.0
/*
 * execshare: hot shared memory on the slow tier, mapped executable by two
 * processes, as a shared library's pages are.
 *
 * NUMA balancing refuses to migrate an executable folio that more than one
 * process maps (migrate_misplaced_folio_prepare(): most likely a shared
 * library); promotion through kmigrated must refuse it too. The rule is
 * for file folios (page cache of a disk file system: shmem and anonymous
 * memory are not "file LRU" and are promoted whatever their protection),
 * and read-only file mappings get no NUMA hint faults at all, so the
 * memory is a file FILE (-f, on a disk file system) written with write(2)
 * and fsync(2) (clean page cache: NUMA balancing does not migrate dirty
 * file folios either), mapped MAP_SHARED with PROT_READ|PROT_WRITE (and
 * PROT_EXEC with -x) and only read once set up.
 *
 * Joins a cgroup (-c), writes SIZE MiB, moves every page to NODE with
 * move_pages(2) while only this process maps them, then forks: the child
 * maps every page too (the folios are then mapped shared) and both read
 * the memory in a loop. After the start file (-p) appears, SECONDS later
 * the parent reports where the pages are and stops the child.
 *
 * Output (one line each, parseable):
 *   ready node0=PAGES node1=PAGES
 *   final node0=PAGES node1=PAGES other=PAGES
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgjoin.h"

#define PAGE 4096UL
#define CHUNK 1024UL

static long sys_move_pages(unsigned long count, void **pages, const int *nodes,
			   int *status, int flags)
{
	return syscall(SYS_move_pages, 0, count, pages, nodes, status, flags);
}

/* Move [0, npages) to node, or only query placement when node < 0;
 * count[0..2]: pages on node 0, on node 1, elsewhere or unmapped. */
static int placement(char *mem, unsigned long npages, int node, long count[3])
{
	void *pages[CHUNK];
	int nodes[CHUNK], status[CHUNK];
	unsigned long i, j, n;

	memset(count, 0, 3 * sizeof(*count));
	for (i = 0; i < npages; i += n) {
		n = npages - i < CHUNK ? npages - i : CHUNK;
		for (j = 0; j < n; j++) {
			pages[j] = mem + (i + j) * PAGE;
			nodes[j] = node;
		}
		if (sys_move_pages(n, pages, node < 0 ? NULL : nodes, status,
				   node < 0 ? 0 : 2 /* MPOL_MF_MOVE */) < 0)
			return -errno;
		for (j = 0; j < n; j++)
			count[status[j] == 0 ? 0 : status[j] == 1 ? 1 : 2]++;
	}
	return 0;
}

/* One pass reading a word of every page. */
static unsigned long read_pass(const char *mem, unsigned long npages)
{
	unsigned long i, sum = 0;

	for (i = 0; i < npages; i++)
		sum += *(const volatile unsigned long *)(mem + i * PAGE);
	return sum;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: execshare -f FILE -s MIB -t SECONDS [-x] [-n NODE] [-c CGROUP] [-p STARTFILE]\n"
		"  -f  the file to create (on a disk file system, not tmpfs)\n"
		"  -x  map the memory PROT_EXEC too (as a shared library)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *cgroup = NULL, *startfile = NULL, *file = NULL;
	unsigned long npages, size = 16UL << 20, i;
	double seconds = 10, end;
	int opt, fd, r, prot = PROT_READ | PROT_WRITE, node = 1, sync[2];
	long count[3];
	pid_t child;
	char *mem, *buf, c;

	while ((opt = getopt(argc, argv, "f:s:t:xn:c:p:")) != -1) {
		switch (opt) {
		case 's': size = strtoul(optarg, NULL, 0) << 20; break;
		case 't': seconds = atof(optarg); break;
		case 'x': prot |= PROT_EXEC; break;
		case 'n': node = atoi(optarg); break;
		case 'c': cgroup = optarg; break;
		case 'p': startfile = optarg; break;
		case 'f': file = optarg; break;
		default: usage();
		}
	}
	if (!file || !size || seconds <= 0 || node < 0 || node > 1)
		usage();
	if (cgroup) {
		r = join_cgroup(cgroup);
		if (r < 0) {
			fprintf(stderr, "execshare: cannot join %s: %s\n", cgroup, strerror(-r));
			return 1;
		}
	}
	npages = size / PAGE;
	fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0700);
	buf = calloc(1, PAGE);
	if (fd < 0 || !buf) {
		fprintf(stderr, "execshare: %s: %s\n", file, strerror(errno));
		return 1;
	}
	for (i = 0; i < npages; i++) {
		*(unsigned long *)buf = i;
		if (write(fd, buf, PAGE) != (ssize_t)PAGE) {
			fprintf(stderr, "execshare: write %s: %s\n", file, strerror(errno));
			return 1;
		}
	}
	free(buf);
	if (fsync(fd)) {
		fprintf(stderr, "execshare: fsync %s: %s\n", file, strerror(errno));
		return 1;
	}
	mem = mmap(NULL, size, prot, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		perror("execshare: mmap");
		return 1;
	}
	if (read_pass(mem, npages) != npages * (npages - 1) / 2) {
		fprintf(stderr, "execshare: %s does not read back what was written\n", file);
		return 1;
	}
	/* Only this process maps the pages yet: MPOL_MF_MOVE may move them. */
	r = placement(mem, npages, node, count);
	if (!r)
		r = placement(mem, npages, -1, count);
	if (r < 0) {
		fprintf(stderr, "execshare: move_pages: %s\n", strerror(-r));
		return 1;
	}
	if (count[node] < (long)(npages * 95 / 100)) {
		fprintf(stderr, "execshare: only %ld of %lu pages reached node %d\n",
			count[node], npages, node);
		return 1;
	}

	if (pipe(sync)) {
		perror("execshare: pipe");
		return 1;
	}
	child = fork();
	if (child < 0) {
		perror("execshare: fork");
		return 1;
	}
	if (child == 0) {
		/* Map every page here too, say so, then keep reading. */
		read_pass(mem, npages);
		if (write(sync[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			read_pass(mem, npages);
	}
	if (read(sync[0], &c, 1) != 1) {
		fprintf(stderr, "execshare: the child did not map the memory\n");
		kill(child, SIGKILL);
		return 1;
	}
	printf("ready node0=%ld node1=%ld\n", count[0], count[1]);
	fflush(stdout);
	while (startfile && access(startfile, F_OK))
		usleep(10000);
	end = now() + seconds;
	while (now() < end)
		read_pass(mem, npages);
	r = placement(mem, npages, -1, count);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	if (r < 0) {
		fprintf(stderr, "execshare: move_pages query: %s\n", strerror(-r));
		return 1;
	}
	printf("final node0=%ld node1=%ld other=%ld\n", count[0], count[1], count[2]);
	return 0;
}
