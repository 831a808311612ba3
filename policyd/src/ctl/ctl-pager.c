/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Output longer than a screen goes through a pager on a terminal, like
 * systemctl: $CGTIER_PAGER, $SYSTEMD_PAGER, $PAGER, else less; --no-pager,
 * an empty value or "cat" turn it off. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

static pid_t pager_pid = -1;

const char *pager_command(void)
{
	static const char *const vars[] = { "CGTIER_PAGER", "SYSTEMD_PAGER", "PAGER" };

	for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
		const char *v = getenv(vars[i]);

		if (v)
			return isempty(v) || streq(v, "cat") ? NULL : v;
	}
	return "less";
}

int pager_open(const CtlOptions *o, bool tty)
{
	const char *cmd = pager_command();
	int fds[2];
	pid_t pid;

	if (o->no_pager || !tty || !cmd || pager_pid > 0)
		return 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(fds[0]);
		close(fds[1]);
		return -e;
	}
	if (pid == 0) {
		if (dup2(fds[0], STDIN_FILENO) < 0)
			_exit(EXIT_FAILURE);
		/* Quit when it fits a screen, keep the screen, no bell; the
		 * output is escaped already, so no raw control characters. */
		setenv("LESS", "FXMK", 0);
		setenv("LESSCHARSET", "utf-8", 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(EXIT_FAILURE);
	}
	if (dup2(fds[1], STDOUT_FILENO) < 0) {
		int e = errno;

		close(fds[0]);
		close(fds[1]);
		return -e;
	}
	close(fds[0]);
	close(fds[1]);
	pager_pid = pid;
	/* Quitting the pager early must not kill us mid-write with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return 1;
}

void pager_close(void)
{
	if (pager_pid <= 0)
		return;
	fflush(stdout);
	/* EOF for the pager; then wait for the person to leave it. */
	if (!freopen("/dev/null", "w", stdout))
		close(STDOUT_FILENO);	/* freopen() closed the pipe anyway */
	(void)waitpid(pager_pid, NULL, 0);
	pager_pid = -1;
}
