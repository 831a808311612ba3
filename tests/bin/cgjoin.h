/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the test workloads (tests/bin/) share to set themselves up: join a
 * cgroup, so that the memory they touch next is charged there, and read a
 * monotonic clock in seconds.
 */
#ifndef CGTIER_TESTS_CGJOIN_H
#define CGTIER_TESTS_CGJOIN_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Move this process into cgroup directory @dir: 0 or -errno. */
static inline int join_cgroup(const char *dir)
{
	char path[4200], buf[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	if (write(fd, buf, n) != n) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

#endif /* CGTIER_TESTS_CGJOIN_H */
