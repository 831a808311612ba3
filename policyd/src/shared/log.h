/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Syslog-level logging for the daemon and the CLI only: library code
 * returns errors and lets the caller log once.
 *
 * Every line is a set of journal fields: MESSAGE=, PRIORITY=, CODE_FILE=,
 * CODE_LINE=, CODE_FUNC=, ERRNO= for the _errno variants, and for lines
 * about a cgroup or a rule CGTIER_CGROUP= and CGTIER_POLICY= (the rule's
 * name), so that `journalctl CGTIER_CGROUP=/system.slice/app.service`
 * finds them. Where they go:
 *   - a sink set with log_set_sink() (tests);
 *   - the journal's native protocol when stderr is the journal stream
 *     systemd gave us (JOURNAL_STREAM names stderr's device and inode);
 *   - otherwise stderr, one plain line (with a "<N>" priority prefix when
 *     JOURNAL_STREAM is set but sending natively failed). */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>

void log_set_max_level(int level);
int log_get_max_level(void);
int log_level_from_string(const char *s);

/* Receives each line's fields ("KEY=value", not NUL-terminated: use
 * iov_len) instead of the journal or stderr; NULL restores the default. */
typedef void (*log_sink_fn)(void *userdata, int level, const struct iovec *fields, size_t n);
void log_set_sink(log_sink_fn sink, void *userdata);

/* Is stderr (st) the journal stream that JOURNAL_STREAM ("DEV:INO") names? */
bool log_stream_is_journal(const char *journal_stream, const struct stat *st);

__attribute__((format(printf, 8, 9)))
int log_internal(int level, int error, const char *file, int line, const char *func,
		 const char *cgroup, const char *policy, const char *fmt, ...);

#define log_object_full_errno(level, error, cgroup, policy, ...)               \
	({                                                                     \
		int _level = (level), _e = (error);                            \
		_level <= log_get_max_level()                                  \
			? log_internal(_level, _e, __FILE__, __LINE__, __func__, \
				       (cgroup), (policy), __VA_ARGS__)         \
			: -(_e < 0 ? -_e : _e);                                \
	})
#define log_full_errno(level, error, ...) log_object_full_errno(level, error, NULL, NULL, __VA_ARGS__)
#define log_full(level, ...) (void)log_full_errno(level, 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

/* These return the negative errno, so "return log_error_errno(r, ...)"
 * works; %m in the format prints strerror of the error. */
#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_notice_errno(e, ...) log_full_errno(LOG_NOTICE, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)

/* About one cgroup, and the rule applied to it (policy may be NULL). */
#define log_cgroup_full_errno(level, error, cgroup, policy, ...)               \
	log_object_full_errno(level, error, cgroup, policy, __VA_ARGS__)
#define log_cgroup_debug(cgroup, policy, ...)                                  \
	(void)log_cgroup_full_errno(LOG_DEBUG, 0, cgroup, policy, __VA_ARGS__)
#define log_cgroup_warning_errno(e, cgroup, policy, ...)                       \
	log_cgroup_full_errno(LOG_WARNING, e, cgroup, policy, __VA_ARGS__)
