/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgtier-policyd benchmarks, one result per line:
 *   - full reconcile of 10,000 cgroups on a fake tree (first pass, no-op pass)
 *   - the same on real cgroupfs when root on a cgroup2 /sys/fs/cgroup
 *   - new cgroup -> knob written latency through inotify
 *   - GetCgroupStats p50/p99 over a socketpair
 *   - cgtierctl stats --prometheus of all 10,000 managed cgroups (the verb
 *     itself, in-process, over the same socketpair)
 *   - cgtierctl stats --prometheus end to end (private dbus-daemon, real
 *     binaries) and the daemon's resident memory after those scrapes
 *   - resident memory and idle wake-ups of the real daemon with 10,000 cgroups
 *     (idle window CGTIER_BENCH_IDLE_SECONDS, default 65: one rescan period)
 * Usage: cgtier-bench PATH-TO-cgtier-policyd
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sys/inotify.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <systemd/sd-id128.h>
#include <time.h>
#include <unistd.h>

#include "cgtier/bus.h"
#include "ctl.h"
#include "log.h"
#include "manager.h"
#include "policy.h"
#include "reconcile.h"
#include "util.h"

#define N_SLICES 100
#define N_PER_SLICE 100
#define N_CGROUPS (N_SLICES * N_PER_SLICE)
#define RUNS 5
#define CGROUP2_SUPER_MAGIC 0x63677270

static const char policy_text[] =
	"version: 1\n"
	"rules:\n"
	"  - name: web\n"
	"    priority: 10\n"
	"    match:\n"
	"      cgroup: \"bench.slice/*/web-*.service\"\n"
	"    promotion:\n"
	"      max: 64MiB/s\n"
	"      period: 100ms\n"
	"      weight: 200\n"
	"  - name: batch\n"
	"    priority: 5\n"
	"    match:\n"
	"      cgroup: \"bench.slice/**\"\n"
	"    promotion:\n"
	"      max: 8MiB/s\n"
	"      weight: 20\n";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double p)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_double);
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[MIN(i, n - 1)];
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, s, strlen(s)) < 0) {
		perror(path);
		exit(1);
	}
	close(fd);
}

/* A fake cgroup: directory plus the files the daemon reads and writes. */
static void make_fake_cgroup(const char *dir)
{
	char p[PATH_MAX];

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		perror(dir);
		exit(1);
	}
	snprintf(p, sizeof(p), "%s/memory.promotion.max", dir);
	write_file(p, "max 1000000\n");
	snprintf(p, sizeof(p), "%s/memory.promotion.weight", dir);
	write_file(p, "100\n");
	snprintf(p, sizeof(p), "%s/memory.current", dir);
	write_file(p, "0\n");
	snprintf(p, sizeof(p), "%s/memory.promotion.stat", dir);
	write_file(p, "candidates 100\npromoted 90\nthrottled 5\ndropped 1\nfailed_isolate 0\n"
		      "failed_migrate 0\nbatches 3\noffload_copied 0\ncpu_copied 90\n");
	snprintf(p, sizeof(p), "%s/memory.stat", dir);
	write_file(p, "anon 4096\nfile 0\npgpromote_success 90\n");
	snprintf(p, sizeof(p), "%s/memory.numa_stat", dir);
	write_file(p, "anon N0=4096 N1=0\nfile N0=0 N1=0\n");
}

/* Real cgroups get memory.* files only where the parent enables it. */
static void enable_memory(const char *dir)
{
	char p[PATH_MAX + 32];
	int fd;

	snprintf(p, sizeof(p), "%s/cgroup.subtree_control", dir);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "+memory", 7);
		close(fd);
	}
}

static void make_tree(const char *root, const char *sub, bool fake)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	if (fake)
		make_fake_cgroup(p);
	else if (mkdir(p, 0755) < 0 && errno != EEXIST) {
		perror(p);
		exit(1);
	}
	if (!fake) {
		enable_memory(root);
		enable_memory(p);
	}
	for (int s = 0; s < N_SLICES; s++) {
		snprintf(p, sizeof(p), "%s/%s/s%d.slice", root, sub, s);
		if (fake)
			make_fake_cgroup(p);
		else if (mkdir(p, 0755) < 0) {
			perror(p);
			exit(1);
		} else
			enable_memory(p);
		for (int i = 0; i < N_PER_SLICE - 1; i++) {
			snprintf(p, sizeof(p), "%s/%s/s%d.slice/%s-%d.service", root, sub, s,
				 i % 2 ? "web" : "job", i);
			if (fake)
				make_fake_cgroup(p);
			else if (mkdir(p, 0755) < 0) {
				perror(p);
				exit(1);
			}
		}
	}
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p) < 0 ? 0 : 0;
}

/* rmdir bottom-up: cgroupfs removes its files itself. */
static int rmdir_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	if (flag == FTW_DP)
		(void)rmdir(p);
	return 0;
}

static struct policy_set *load_policy(void)
{
	struct policy_set *set = NULL;
	struct policy_error err = {};

	if (policy_set_load_text("bench.yaml", policy_text, strlen(policy_text), &set, &err) < 0) {
		fprintf(stderr, "bench policy: %s:%u:%u: %s\n", err.file, err.line, err.column,
			err.message);
		exit(1);
	}
	return set;
}

static void bench_reconcile(const char *label, const char *root)
{
	_cleanup_policy_set_free_ struct policy_set *set = load_policy();
	double first[RUNS], noop[RUNS];
	uint64_t first_writes = 0, noop_writes = 0;
	struct reconcile_stats st = {};

	for (int run = 0; run < RUNS; run++) {
		_cleanup_cgfs_ cgfs *fs = NULL;
		_cleanup_reconciler_ reconciler *rec = NULL;
		uint64_t w0;
		double t0;

		if (cgfs_open_openat(root, &fs) < 0 || reconciler_new(fs, &rec) < 0)
			exit(1);
		t0 = now();
		if (reconcile_all(rec, set, &st) < 0)
			exit(1);
		first[run] = now() - t0;
		first_writes = cgfs_get_write_count(fs);
		w0 = cgfs_get_write_count(fs);
		t0 = now();
		if (reconcile_all(rec, set, &st) < 0)
			exit(1);
		noop[run] = now() - t0;
		noop_writes = cgfs_get_write_count(fs) - w0;
		/* Undo: with no rules, every key this run set goes back to the
		 * default, so the next run's first pass writes everything again. */
		(void)reconcile_all(rec, NULL, &st);
	}
	printf("bench: reconcile_%s_%d_cgroups_first_pass_s median=%.3f goal<=0.5 ratio=%.2f "
	       "writes=%" PRIu64 "\n", label, N_CGROUPS, percentile(first, RUNS, 0.5),
	       percentile(first, RUNS, 0.5) / 0.5, first_writes);
	printf("bench: reconcile_%s_%d_cgroups_noop_pass_s median=%.3f goal<=0.5 ratio=%.2f "
	       "writes=%" PRIu64 "\n", label, N_CGROUPS, percentile(noop, RUNS, 0.5),
	       percentile(noop, RUNS, 0.5) / 0.5, noop_writes);
}

static void bench_real_cgroupfs(void)
{
	/* Another cgroup2 mount may be named, e.g. a hybrid host's unified one. */
	const char *mnt = getenv("CGTIER_BENCH_CGROUP2") ?: "/sys/fs/cgroup";
	struct statfs sfs;
	char root[PATH_MAX];

	if (geteuid() != 0) {
		printf("bench: reconcile_real_cgroupfs skipped: not root\n");
		return;
	}
	if (statfs(mnt, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		printf("bench: reconcile_real_cgroupfs skipped: %s is not a cgroup2 mount (hybrid "
		       "or v1 host; CGTIER_BENCH_CGROUP2 names another)\n", mnt);
		return;
	}
	snprintf(root, sizeof(root), "%s/cgtier-bench-%d", mnt, (int)getpid());
	if (mkdir(root, 0755) < 0) {
		printf("bench: reconcile_real_cgroupfs skipped: cannot create %s: %s\n", root,
		       strerror(errno));
		return;
	}
	{
		char probe[PATH_MAX + 64];

		make_tree(root, "bench.slice", false);
		snprintf(probe, sizeof(probe), "%s/bench.slice/s0.slice/memory.promotion.max", root);
		if (access(probe, F_OK) < 0)
			printf("bench: reconcile_real_cgroupfs note: no memory.promotion.max (kernel "
			       "without the cgtier series or memory controller off): walk and reads "
			       "only\n");
		bench_reconcile("real", root);
	}
	(void)nftw(root, rmdir_one, 64, FTW_DEPTH | FTW_PHYS);
	if (rmdir(root) < 0 && errno != ENOENT)
		printf("bench: reconcile_real_cgroupfs cleanup incomplete: %s: %s\n", root,
		       strerror(errno));
}

/* --- daemon in-process: new-cgroup latency and GetCgroupStats --- */

struct server {
	const char *cgroup_root, *prefix;
	int fd;
	Manager *m;
	sd_event *e;
	volatile int ready;
	int result;
};

static void *server_main(void *p)
{
	struct server *s = p;
	ManagerConfig cfg = { .cgroup_root = s->cgroup_root, .root_prefix = s->prefix,
			      .sysfs_root = "/sys", .backend = CGFS_BACKEND_OPENAT };
	int r;

	r = sd_event_new(&s->e);
	if (r >= 0)
		r = manager_new(&cfg, s->e, &s->m);
	if (r >= 0)
		r = manager_start_watching(s->m);
	if (r >= 0)
		r = manager_load(s->m);
	if (r >= 0)
		r = manager_bus_serve_fd(s->m, s->fd);
	s->ready = 1;
	if (r >= 0)
		r = sd_event_loop(s->e);
	s->result = r;
	manager_free(s->m);
	sd_event_unref(s->e);
	return NULL;
}

/* What a node_exporter textfile cron job runs, minus process start-up. */
static void bench_ctl_prometheus(sd_bus *client, const char *tree)
{
	CtlOptions o = { .prometheus = true };
	double t[RUNS], call[RUNS], cpu[RUNS];
	size_t bytes = 0;

	/* The one bus call alone: what the daemon and sd-bus cost, without
	 * formatting 12 MB of text. */
	for (int run = 0; run < RUNS; run++) {
		struct ctl_stats_list l = {};
		double t0 = now();

		if (ctl_list_cgroup_stats(client, &l, NULL) < 0 || l.n < N_CGROUPS)
			exit(1);
		call[run] = now() - t0;
		ctl_stats_list_done(&l);
	}

	for (int run = 0; run < RUNS; run++) {
		char prom[PATH_MAX];
		FILE *f;
		double t0, c0;
		int r;

		/* Into a file on tmpfs, as the textfile collector recipe does. */
		snprintf(prom, sizeof(prom), "%s/cgtier.prom", tree);
		f = fopen(prom, "we");
		if (!f)
			exit(1);
		t0 = now();
		c0 = cpu_seconds();
		r = verb_stats(client, &o, NULL, 0, f);
		fflush(f);
		t[run] = now() - t0;
		cpu[run] = cpu_seconds() - c0;
		bytes = (size_t)ftell(f);
		fclose(f);
		if (r != 0) {
			fprintf(stderr, "stats --prometheus failed: %d\n", r);
			exit(1);
		}
	}
	printf("bench: list_cgroup_stats_%d_cgroups_call_s median=%.3f (ListCgroupStats alone)\n",
	       N_CGROUPS, percentile(call, RUNS, 0.5));
	/* CPU of client and daemon together: what it costs on an idle machine. */
	printf("bench: ctl_stats_prometheus_%d_cgroups_s median=%.3f goal<=0.5 ratio=%.2f "
	       "cpu_s=%.3f output_bytes=%zu\n", N_CGROUPS, percentile(t, RUNS, 0.5),
	       percentile(t, RUNS, 0.5) / 0.5, percentile(cpu, RUNS, 0.5), bytes);
}

static void bench_latency_and_stats(const char *tree, const char *cgroot)
{
	struct server s = { .cgroup_root = cgroot, .prefix = tree };
	double lat[200], calls[1000], cpu0, cpu1;
	sd_bus *client = NULL;
	pthread_t th;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		exit(1);
	s.fd = sv[0];
	pthread_create(&th, NULL, server_main, &s);
	while (!s.ready)
		usleep(1000);

	/* New cgroup: built aside, renamed in (cgroupfs shows a new cgroup
	 * with all its files at once), then wait for the weight to change. */
	for (size_t i = 0; i < ELEMENTSOF(lat); i++) {
		char stage[PATH_MAX], dst[PATH_MAX + 128], knob[PATH_MAX + 160], buf[32];
		double t0;

		snprintf(stage, sizeof(stage), "%s/stage-%zu", tree, i);
		snprintf(dst, sizeof(dst), "%s/bench.slice/s%zu.slice/web-new%zu.service", cgroot,
			 i % N_SLICES, i);
		snprintf(knob, sizeof(knob), "%s/memory.promotion.weight", dst);
		char stage_knob[PATH_MAX + 32];
		int ifd;

		make_fake_cgroup(stage);
		/* Sleep on inotify rather than spin: a busy reader would steal the
		 * CPU the daemon needs on a 2-core machine. */
		snprintf(stage_knob, sizeof(stage_knob), "%s/memory.promotion.weight", stage);
		ifd = inotify_init1(IN_CLOEXEC);
		if (ifd < 0 || inotify_add_watch(ifd, stage_knob, IN_CLOSE_WRITE) < 0)
			exit(1);
		t0 = now();
		if (rename(stage, dst) < 0) {
			perror(dst);
			exit(1);
		}
		for (;;) {
			struct pollfd pfd = { .fd = ifd, .events = POLLIN };
			char evbuf[512];
			int fd;
			ssize_t n;

			if (poll(&pfd, 1, 5000) <= 0) {
				printf("bench: new_cgroup_latency timed out for %s\n", dst);
				break;
			}
			(void)!read(ifd, evbuf, sizeof(evbuf));
			fd = open(knob, O_RDONLY | O_CLOEXEC);
			n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
			if (fd >= 0)
				close(fd);
			if (n > 0 && strncmp(buf, "200", 3) == 0)
				break;
		}
		lat[i] = (now() - t0) * 1000;
		close(ifd);
	}
	printf("bench: new_cgroup_to_knob_ms p50=%.3f p99=%.3f goal<=10 ratio=%.2f n=%zu\n",
	       percentile(lat, ELEMENTSOF(lat), 0.5), percentile(lat, ELEMENTSOF(lat), 0.99),
	       percentile(lat, ELEMENTSOF(lat), 0.99) / 10, ELEMENTSOF(lat));

	if (sd_bus_new(&client) < 0 || sd_bus_set_fd(client, sv[1], sv[1]) < 0 ||
	    sd_bus_start(client) < 0)
		exit(1);
	cpu0 = cpu_seconds();
	for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
		sd_bus_message *reply = NULL;
		char cg[128];
		double t0;

		snprintf(cg, sizeof(cg), "/bench.slice/s%zu.slice/web-%zu.service", i % N_SLICES,
			 (i % (N_PER_SLICE / 2 - 1)) * 2 + 1);
		t0 = now();
		if (sd_bus_call_method(client, NULL, CGTIER_BUS_PATH, CGTIER_BUS_INTERFACE,
				       "GetCgroupStats", NULL, &reply, "s", cg) < 0) {
			fprintf(stderr, "GetCgroupStats %s failed\n", cg);
			exit(1);
		}
		calls[i] = (now() - t0) * 1000;
		sd_bus_message_unref(reply);
	}
	cpu1 = cpu_seconds();
	printf("bench: get_cgroup_stats_ms p50=%.3f p99=%.3f goal_p99<=1 ratio=%.2f n=%zu\n",
	       percentile(calls, ELEMENTSOF(calls), 0.5), percentile(calls, ELEMENTSOF(calls), 0.99),
	       percentile(calls, ELEMENTSOF(calls), 0.99) / 1.0, ELEMENTSOF(calls));
	/* CPU spent by client and server together: what a call costs when
	 * nothing else competes for the cores (the p99 above is mostly
	 * scheduling on a loaded 2-core machine). */
	printf("bench: get_cgroup_stats_cpu_us_per_call %.1f (client and server)\n",
	       (cpu1 - cpu0) * 1e6 / (double)ELEMENTSOF(calls));
	bench_ctl_prometheus(client, tree);
	sd_bus_flush_close_unref(client);
	pthread_join(th, NULL);
}

/* --- the real daemon: RSS and idle wake-ups --- */

static long status_field(pid_t pid, const char *key)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0) {
			v = strtol(line + strlen(key), NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static void bench_daemon(const char *daemon, const char *tree, const char *cgroot)
{
	char sock[PATH_MAX], cg_arg[PATH_MAX + 32], root_arg[PATH_MAX + 32], buf[256];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned idle = getenv("CGTIER_BENCH_IDLE_SECONDS") ?
		(unsigned)atoi(getenv("CGTIER_BENCH_IDLE_SECONDS")) : 65;
	long rss, w0, w1, nv0, nv1;
	double t0, ready;
	pid_t pid;
	int fd;

	snprintf(sock, sizeof(sock), "%s/notify", tree);
	strscpy(sa.sun_path, sizeof(sa.sun_path), sock);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("notify socket");
		return;
	}
	snprintf(cg_arg, sizeof(cg_arg), "--cgroup-root=%s", cgroot);
	snprintf(root_arg, sizeof(root_arg), "--root=%s", tree);
	t0 = now();
	pid = fork();
	if (pid == 0) {
		setenv("NOTIFY_SOCKET", sock, 1);
		execl(daemon, daemon, cg_arg, root_arg, "--no-bus", "--backend=openat",
		      "--log-level=warning", (char *)NULL);
		_exit(127);
	}
	/* READY=1 comes after the initial reconcile of every cgroup. */
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n <= 0)
			break;
		buf[n] = 0;
		if (strstr(buf, "READY=1"))
			break;
	}
	ready = now() - t0;
	close(fd);
	usleep(200 * 1000);
	rss = status_field(pid, "VmRSS:");
	printf("bench: daemon_startup_to_ready_%d_cgroups_s %.3f\n", N_CGROUPS, ready);
	printf("bench: daemon_rss_%d_cgroups_mib %.2f goal<=8 ratio=%.2f\n", N_CGROUPS,
	       (double)rss / 1024, (double)rss / 1024 / 8);

	w0 = status_field(pid, "voluntary_ctxt_switches:");
	nv0 = status_field(pid, "nonvoluntary_ctxt_switches:");
	sleep(idle);
	w1 = status_field(pid, "voluntary_ctxt_switches:");
	nv1 = status_field(pid, "nonvoluntary_ctxt_switches:");
	/* A voluntary switch is the daemon going to sleep, i.e. one wake-up;
	 * involuntary ones are preemptions while it works (the rescan). */
	printf("bench: daemon_idle_wakeups_per_min %.1f preemptions_per_min %.1f (measured over "
	       "%u s; the rescan timer fires once a minute)\n",
	       (double)(w1 - w0) * 60.0 / idle, (double)(nv1 - nv0) * 60.0 / idle, idle);

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}


/* --- the real binaries behind a private dbus-daemon: a scrape end to end --- */

static double proc_cpu_seconds(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long utime, stime;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* Fields 14 and 15, counted after the ")" that ends the name. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
			 &stime) != 2)
		return 0;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static pid_t start_ready(const char *notify, char *const argv[])
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[256];
	pid_t pid;
	int fd;

	struct timeval tv = { .tv_sec = 60 };

	strscpy(sa.sun_path, sizeof(sa.sun_path), notify);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	/* A daemon that dies before READY=1 must not hang the bench. */
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		setenv("NOTIFY_SOCKET", notify, 1);
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n <= 0) {
			fprintf(stderr, "%s: no READY=1 within 60 s\n", argv[0]);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			pid = -1;
			break;
		}
		buf[n] = 0;
		if (strstr(buf, "READY=1"))
			break;
	}
	close(fd);
	return pid;
}

static void bench_scrape_end_to_end(const char *daemon, const char *tree, const char *cgroot)
{
	char ctl[PATH_MAX + 16], notify[PATH_MAX], prom[PATH_MAX], address[512] = "";
	char cg_arg[PATH_MAX + 32], root_arg[PATH_MAX + 32], bus_arg[600], fdarg[32];
	double wall[RUNS], ctl_cpu[RUNS], daemon_cpu[RUNS];
	pid_t bus, pid;
	int pipefd[2];
	ssize_t n;
	long rss0;

	if (access("/usr/bin/dbus-daemon", X_OK) < 0) {
		printf("bench: e2e_stats_prometheus skipped: no /usr/bin/dbus-daemon\n");
		return;
	}
	snprintf(ctl, sizeof(ctl), "%s", daemon);
	*(strrchr(ctl, '/') ? strrchr(ctl, '/') + 1 : ctl) = 0;
	strncat(ctl, "cgtierctl", sizeof(ctl) - strlen(ctl) - 1);
	if (pipe(pipefd) < 0)
		exit(1);
	bus = fork();
	if (bus == 0) {
		sigset_t none;

		/* We block SIGTERM for the in-process manager; it must work here. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(pipefd[0]);
		(void)!freopen("/dev/null", "w", stderr);
		snprintf(fdarg, sizeof(fdarg), "--print-address=%d", pipefd[1]);
		execl("/usr/bin/dbus-daemon", "dbus-daemon", "--session", "--nofork", fdarg,
		      (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	n = read(pipefd[0], address, sizeof(address) - 1);
	close(pipefd[0]);
	if (n <= 0)
		exit(1);
	address[n] = 0;
	address[strcspn(address, "\n")] = 0;

	snprintf(notify, sizeof(notify), "%s/notify-e2e", tree);
	snprintf(cg_arg, sizeof(cg_arg), "--cgroup-root=%s", cgroot);
	snprintf(root_arg, sizeof(root_arg), "--root=%s", tree);
	snprintf(bus_arg, sizeof(bus_arg), "--bus-address=%s", address);
	{
		char *const argv[] = { (char *)daemon, cg_arg, root_arg, bus_arg,
				       (char *)"--backend=openat", (char *)"--log-level=warning", NULL };

		pid = start_ready(notify, argv);
	}
	if (pid < 0) {
		kill(bus, SIGKILL);
		waitpid(bus, NULL, 0);
		printf("bench: e2e_stats_prometheus failed: the daemon did not start\n");
		return;
	}
	usleep(200 * 1000);
	rss0 = status_field(pid, "VmRSS:");
	snprintf(prom, sizeof(prom), "%s/e2e.prom", tree);
	for (int run = 0; run < RUNS; run++) {
		struct rusage ru;
		double t0 = now(), d0 = proc_cpu_seconds(pid);
		pid_t c = fork();
		int status;

		if (c == 0) {
			int fd = open(prom, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

			if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
				_exit(127);
			execl(ctl, ctl, bus_arg, "stats", "--prometheus", (char *)NULL);
			_exit(127);
		}
		if (c < 0 || wait4(c, &status, 0, &ru) != c || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "%s stats --prometheus failed\n", ctl);
			exit(1);
		}
		wall[run] = now() - t0;
		ctl_cpu[run] = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
			       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
		daemon_cpu[run] = proc_cpu_seconds(pid) - d0;
	}
	printf("bench: e2e_stats_prometheus_%d_cgroups_s median=%.3f goal<=0.5 ratio=%.2f "
	       "cgtierctl_cpu_s=%.2f daemon_cpu_s=%.2f (through dbus-daemon)\n", N_CGROUPS,
	       percentile(wall, RUNS, 0.5), percentile(wall, RUNS, 0.5) / 0.5,
	       percentile(ctl_cpu, RUNS, 0.5), percentile(daemon_cpu, RUNS, 0.5));
	printf("bench: daemon_rss_%d_cgroups_after_%d_scrapes_mib %.2f goal<=8 ratio=%.2f "
	       "(%.2f before)\n", N_CGROUPS, RUNS, (double)status_field(pid, "VmRSS:") / 1024,
	       (double)status_field(pid, "VmRSS:") / 1024 / 8, (double)rss0 / 1024);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	kill(bus, SIGKILL);
	waitpid(bus, NULL, 0);
}

int main(int argc, char *argv[])
{
	char tree[] = "/dev/shm/cgtier-bench-XXXXXX", cgroot[PATH_MAX], p[PATH_MAX + 64];
	sigset_t mask;

	if (argc != 2) {
		fprintf(stderr, "Usage: %s PATH-TO-cgtier-policyd\n", argv[0]);
		return 2;
	}
	log_set_max_level(LOG_WARNING);
	/* The in-process manager takes signals through sd-event. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);

	/* tmpfs, like cgroupfs an in-memory filesystem. */
	if (!mkdtemp(tree)) {
		strscpy(tree, sizeof(tree), "/tmp/cgtier-bench-XXXXXX");
		if (!mkdtemp(tree))
			return 1;
	}
	snprintf(cgroot, sizeof(cgroot), "%s/cgroup", tree);
	if (mkdir(cgroot, 0755) < 0)
		return 1;
	make_tree(cgroot, "bench.slice", true);
	snprintf(p, sizeof(p), "%s/etc", tree);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/cgtier", tree);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/cgtier/policies.d", tree);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/cgtier/policies.d/50-bench.yaml", tree);
	write_file(p, policy_text);

	{
		double load[3] = {};

		/* Latency tails depend on what else runs: say so in the log. */
		(void)getloadavg(load, 3);
		printf("bench: host_loadavg_1min %.2f cpus=%ld\n", load[0], sysconf(_SC_NPROCESSORS_ONLN));
	}
	bench_reconcile("fake", cgroot);
	bench_real_cgroupfs();
	bench_latency_and_stats(tree, cgroot);
	bench_daemon(argv[1], tree, cgroot);
	bench_scrape_end_to_end(argv[1], tree, cgroot);

	(void)nftw(tree, rm_one, 64, FTW_DEPTH | FTW_PHYS);
	return 0;
}
