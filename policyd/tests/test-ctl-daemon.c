/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The real binaries end to end: a private dbus-daemon, cgtier-policyd on a
 * fake tree (READY=1 awaited through NOTIFY_SOCKET), cgtierctl's commands
 * and exit codes, SIGHUP and SIGTERM. Skipped (with a message) where
 * dbus-daemon is not installed.
 */
#include <libgen.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "cgtier/cgtier.h"
#include "fake-tree.h"
#include "util.h"

static char *tree;
static char build[PATH_MAX], address[512];
static pid_t bus_pid = -1, daemon_pid = -1;

static bool have_dbus_daemon(void)
{
	return access("/usr/bin/dbus-daemon", X_OK) == 0;
}

static void find_build_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	ck_assert_int_gt(n, 0);
	exe[n] = 0;
	/* build/tests/test-ctl-daemon -> build */
	fake_path(build, sizeof(build), "%s", dirname(dirname(exe)));
}

static void start_bus(void)
{
	int pipefd[2];
	char fdarg[32];
	ssize_t n;

	ck_assert_int_eq(pipe(pipefd), 0);
	bus_pid = fork();
	ck_assert_int_ge(bus_pid, 0);
	if (bus_pid == 0) {
		close(pipefd[0]);
		/* It complains about fd limits in containers: not our business. */
		(void)!freopen("/dev/null", "w", stderr);
		snprintf(fdarg, sizeof(fdarg), "--print-address=%d", pipefd[1]);
		execl("/usr/bin/dbus-daemon", "dbus-daemon", "--session", "--nofork", fdarg,
		      (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	n = read(pipefd[0], address, sizeof(address) - 1);
	close(pipefd[0]);
	ck_assert_int_gt(n, 0);
	address[n] = 0;
	address[strcspn(address, "\n")] = 0;
}

static void start_daemon(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char exe[PATH_MAX + 32], cg[PATH_MAX + 32], root[PATH_MAX + 32], bus[600], buf[256];
	int fd;

	fake_path(sa.sun_path, sizeof(sa.sun_path), "%s/notify", tree);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	fake_path(exe, sizeof(exe), "%s/cgtier-policyd", build);
	fake_path(cg, sizeof(cg), "--cgroup-root=%s/cgroup", tree);
	fake_path(root, sizeof(root), "--root=%s", tree);
	fake_path(bus, sizeof(bus), "--bus-address=%s", address);
	daemon_pid = fork();
	ck_assert_int_ge(daemon_pid, 0);
	if (daemon_pid == 0) {
		char log[PATH_MAX + 32];
		int lfd;

		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		/* Its errors go to a file that tests can read. */
		fake_path(log, sizeof(log), "%s/daemon.log", tree);
		lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (lfd < 0 || dup2(lfd, STDERR_FILENO) < 0)
			_exit(127);
		execl(exe, exe, cg, root, bus, "--backend=openat", "--log-level=err", (char *)NULL);
		_exit(127);
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		ck_assert_int_gt(n, 0);
		buf[n] = 0;
		if (strstr(buf, "READY=1"))
			break;
	}
	close(fd);
}

/* Runs cgtierctl with args; returns its exit code, output in *out. */
static int ctl(char **out, const char *a1, const char *a2, const char *a3)
{
	char exe[PATH_MAX + 32], bus[600];
	int pipefd[2], status;
	char *buf = NULL;
	size_t size = 0;
	FILE *f;
	pid_t pid;

	fake_path(exe, sizeof(exe), "%s/cgtierctl", build);
	fake_path(bus, sizeof(bus), "--bus-address=%s", address);
	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[0]);
		execl(exe, exe, bus, a1, a2, a3, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	f = fdopen(pipefd[0], "r");
	if (getdelim(&buf, &size, 0, f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	if (out)
		*out = buf;
	else
		free(buf);
	return WEXITSTATUS(status);
}

static void setup(void)
{
	tree = fake_tree_new();
	fake_cgroup(tree, "cgroup", false);
	fake_cgroup(tree, "cgroup/system.slice", true);
	fake_write(tree, "cgroup/system.slice/memory.current", "0\n");
	fake_cgroup(tree, "cgroup/system.slice/a.service", true);
	fake_mkdir(tree, "etc/cgtier/policies.d");
	fake_write(tree, "etc/cgtier/policies.d/50-web.yaml", web_policy);
	find_build_dir();
	if (!have_dbus_daemon())
		return;
	start_bus();
	start_daemon();
}

static void teardown(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		waitpid(daemon_pid, NULL, 0);
	}
	if (bus_pid > 0) {
		kill(bus_pid, SIGTERM);
		waitpid(bus_pid, NULL, 0);
	}
	fake_rm_rf(tree);
	free(tree);
}

#define SKIP_WITHOUT_DBUS()                                                   \
	do {                                                                  \
		if (!have_dbus_daemon()) {                                    \
			fprintf(stderr, "no dbus-daemon: skipped\n");         \
			return;                                               \
		}                                                             \
	} while (0)

START_TEST(test_ctl_daemon_status_list_stats)
{
	_cleanup_free_ char *status = NULL, *list = NULL, *stats = NULL;

	SKIP_WITHOUT_DBUS();
	ck_assert_int_eq(ctl(&status, "status", NULL, NULL), CGTIER_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(status, "Kernel support: yes"));
	ck_assert_int_eq(ctl(&list, "list", NULL, NULL), CGTIER_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(list, "/system.slice/a.service"));
	ck_assert_int_eq(ctl(&stats, "stats", "--prometheus", NULL), CGTIER_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(stats, "cgtier_promotion_promoted_pages_total{"));
	{
		_cleanup_free_ char *w =
			fake_read(tree, "cgroup/system.slice/a.service/memory.promotion.weight");

		ck_assert_str_eq(w, "50");
	}
}
END_TEST

START_TEST(test_ctl_daemon_exit_codes)
{
	SKIP_WITHOUT_DBUS();
	ck_assert_int_eq(ctl(NULL, "stats", "/nope.slice", NULL), CGTIER_EXIT_NOT_FOUND);
	ck_assert_int_eq(ctl(NULL, "explain", "../x", NULL), CGTIER_EXIT_USAGE);
	ck_assert_int_eq(ctl(NULL, "frobnicate", NULL, NULL), CGTIER_EXIT_USAGE);
	ck_assert_int_eq(ctl(NULL, "reload", NULL, NULL),
			 geteuid() == 0 ? CGTIER_EXIT_OK : CGTIER_EXIT_FAILURE);
}
END_TEST

START_TEST(test_ctl_daemon_bad_reload_keeps_rules_and_sighup)
{
	_cleanup_free_ char *status = NULL, *list = NULL;

	SKIP_WITHOUT_DBUS();
	if (geteuid() != 0) {
		fprintf(stderr, "reload needs root: skipped\n");
		return;
	}
	fake_write(tree, "etc/cgtier/policies.d/50-web.yaml", "version: 1\nrules: [\n");
	ck_assert_int_eq(ctl(NULL, "reload", NULL, NULL), CGTIER_EXIT_INVALID);
	ck_assert_int_eq(ctl(&status, "status", NULL, NULL), CGTIER_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(status, "Last reload failed: "));
	ck_assert_int_eq(ctl(&list, "list", NULL, NULL), CGTIER_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(list, "/system.slice/a.service"));

	/* Fixed file, reloaded by signal this time. */
	fake_write(tree, "etc/cgtier/policies.d/50-web.yaml", web_policy);
	ck_assert_int_eq(kill(daemon_pid, SIGHUP), 0);
	for (int i = 0; i < 100; i++) {
		_cleanup_free_ char *s = NULL;

		ck_assert_int_eq(ctl(&s, "status", NULL, NULL), CGTIER_EXIT_OK);
		if (!strstr(s, "Last reload failed"))
			return;
		usleep(20 * 1000);
	}
	ck_abort_msg("SIGHUP did not reload");
}
END_TEST

START_TEST(test_ctl_daemon_sigterm_exits_cleanly)
{
	int status;

	SKIP_WITHOUT_DBUS();
	ck_assert_int_eq(kill(daemon_pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(daemon_pid, &status, 0), daemon_pid);
	daemon_pid = -1;
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(test_ctl_daemon_exits_nonzero_when_bus_goes_away)
{
	_cleanup_free_ char *log = NULL;
	int status = 0;
	pid_t r = 0;

	SKIP_WITHOUT_DBUS();
	ck_assert_int_eq(kill(bus_pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(bus_pid, NULL, 0), bus_pid);
	bus_pid = -1;

	/* At once, not at the next liveness probe: 5 s is generous. */
	for (int i = 0; i < 500 && r == 0; i++) {
		r = waitpid(daemon_pid, &status, WNOHANG);
		if (r == 0)
			usleep(10 * 1000);
	}
	ck_assert_msg(r == daemon_pid, "cgtier-policyd still running 5 s after the bus died");
	daemon_pid = -1;
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), CGTIER_EXIT_FAILURE);
	log = fake_read(tree, "daemon.log");
	ck_assert_msg(strstr(log, "Lost the connection to the bus"), "log: %s", log);
}
END_TEST

/* The new verb and options through main(): argument parsing and dispatch. */
START_TEST(test_ctl_daemon_numa_no_legend_no_pager_top_json)
{
	_cleanup_free_ char *numa = NULL, *list = NULL, *top = NULL, *pid = NULL;
	char self[32];

	SKIP_WITHOUT_DBUS();
	fake_write(tree, "cgroup/system.slice/a.service/memory.numa_stat",
		   "anon N0=1048576 N1=0\nfile N0=0 N1=0\n");
	ck_assert_int_eq(ctl(&numa, "--no-pager", "numa", NULL), CGTIER_EXIT_OK);
	ck_assert_msg(strstr(numa, "Node 0") && strstr(numa, "\nTotal "), "%s", numa);
	ck_assert_int_eq(ctl(&list, "--no-legend", "list", NULL), CGTIER_EXIT_OK);
	ck_assert_msg(strncmp(list, "/system.slice/a.service ", 24) == 0, "%s", list);
	ck_assert_int_eq(ctl(&top, "--json", "-n1", "top"), CGTIER_EXIT_OK);
	ck_assert_msg(strncmp(top, "[{\"cgroup\":\"/system.slice/a.service\"", 36) == 0, "%s", top);
	/* A PID that cannot exist: a message and "not found". */
	snprintf(self, sizeof(self), "%d", 999999999);
	ck_assert_int_eq(ctl(&pid, "explain", self, NULL), CGTIER_EXIT_NOT_FOUND);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl-daemon");
	TCase *tc = tcase_create("binaries");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_ctl_daemon_status_list_stats);
	tcase_add_test(tc, test_ctl_daemon_exit_codes);
	tcase_add_test(tc, test_ctl_daemon_numa_no_legend_no_pager_top_json);
	tcase_add_test(tc, test_ctl_daemon_bad_reload_keeps_rules_and_sighup);
	tcase_add_test(tc, test_ctl_daemon_sigterm_exits_cleanly);
	tcase_add_test(tc, test_ctl_daemon_exits_nonzero_when_bus_goes_away);
	suite_add_tcase(s, tc);
	return fake_run_suite(s);
}
