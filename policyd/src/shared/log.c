/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "util.h"

static int max_level = LOG_INFO;
static log_sink_fn sink;
static void *sink_userdata;

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

void log_set_sink(log_sink_fn fn, void *userdata)
{
	sink = fn;
	sink_userdata = userdata;
}

int log_level_from_string(const char *s)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
	};

	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	if (strcmp(s, "error") == 0)
		return LOG_ERR;
	if (strcmp(s, "warn") == 0)
		return LOG_WARNING;
	return -EINVAL;
}

bool log_stream_is_journal(const char *journal_stream, const struct stat *st)
{
	unsigned long long dev, ino;
	int n = 0;

	if (!journal_stream || !st)
		return false;
	if (sscanf(journal_stream, "%llu:%llu%n", &dev, &ino, &n) != 2 || journal_stream[n])
		return false;
	return (unsigned long long)st->st_dev == dev && (unsigned long long)st->st_ino == ino;
}

/* Decided once: stderr does not change under a running program. */
static bool stderr_is_journal(void)
{
	static int cached = -1;
	struct stat st;

	/* sd_journal_sendv() drops lines silently when journald's socket is
	 * missing: then stderr it is. */
	if (cached < 0)
		cached = fstat(STDERR_FILENO, &st) == 0 &&
			 log_stream_is_journal(getenv("JOURNAL_STREAM"), &st) &&
			 access("/run/systemd/journal/socket", F_OK) == 0;
	return cached;
}

static void write_stderr(int level, const char *message)
{
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>", level);
	fputs(message, stderr);
	fputc('\n', stderr);
}

enum { F_MESSAGE, F_PRIORITY, F_FILE, F_LINE, F_FUNC, F_ERRNO, F_CGROUP, F_POLICY, F_IDENT, F_MAX };

int log_internal(int level, int error, const char *file, int line, const char *func,
		 const char *cgroup, const char *policy, const char *fmt, ...)
{
	int e = error < 0 ? -error : error;
	char message[2048], priority[16], line_s[32], errno_s[32];
	_cleanup_free_ char *cgroup_f = NULL, *policy_f = NULL, *file_f = NULL, *func_f = NULL,
			    *ident_f = NULL;
	struct iovec iov[F_MAX];
	size_t n = 0;
	va_list ap;

	/* "MESSAGE=" and the text in one buffer; %m needs errno set. */
	strcpy(message, "MESSAGE=");
	errno = e;
	va_start(ap, fmt);
	(void)vsnprintf(message + 8, sizeof(message) - 8, fmt, ap);
	va_end(ap);

	if (!sink && !stderr_is_journal()) {
		write_stderr(level, message + 8);
		return -e;
	}

	iov[n++] = (struct iovec){ message, strlen(message) };
	snprintf(priority, sizeof(priority), "PRIORITY=%d", level);
	iov[n++] = (struct iovec){ priority, strlen(priority) };
	if (file && asprintf(&file_f, "CODE_FILE=%s", file) >= 0)
		iov[n++] = (struct iovec){ file_f, strlen(file_f) };
	snprintf(line_s, sizeof(line_s), "CODE_LINE=%d", line);
	iov[n++] = (struct iovec){ line_s, strlen(line_s) };
	if (func && asprintf(&func_f, "CODE_FUNC=%s", func) >= 0)
		iov[n++] = (struct iovec){ func_f, strlen(func_f) };
	if (e) {
		snprintf(errno_s, sizeof(errno_s), "ERRNO=%d", e);
		iov[n++] = (struct iovec){ errno_s, strlen(errno_s) };
	}
	if (cgroup && asprintf(&cgroup_f, "CGTIER_CGROUP=%s", cgroup) >= 0)
		iov[n++] = (struct iovec){ cgroup_f, strlen(cgroup_f) };
	if (policy && asprintf(&policy_f, "CGTIER_POLICY=%s", policy) >= 0)
		iov[n++] = (struct iovec){ policy_f, strlen(policy_f) };
	if (asprintf(&ident_f, "SYSLOG_IDENTIFIER=%s", program_invocation_short_name) >= 0)
		iov[n++] = (struct iovec){ ident_f, strlen(ident_f) };

	if (sink)
		sink(sink_userdata, level, iov, n);
	else if (sd_journal_sendv(iov, (int)n) < 0)
		write_stderr(level, message + 8);
	return -e;
}
