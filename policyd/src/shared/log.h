/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Minimal syslog-level logging to stderr, for the daemon and the CLI only:
 * library code returns errors and lets the caller log once. Under systemd
 * (JOURNAL_STREAM set) lines carry a "<N>" prefix so journald keeps the
 * priority. */

#include <errno.h>
#include <syslog.h>

void log_set_max_level(int level);
int log_get_max_level(void);
int log_level_from_string(const char *s);

__attribute__((format(printf, 3, 4)))
int log_internal(int level, int error, const char *fmt, ...);

#define log_full_errno(level, error, ...)                                      \
	({                                                                     \
		int _level = (level), _e = (error);                            \
		_level <= log_get_max_level()                                  \
			? log_internal(_level, _e, __VA_ARGS__)                \
			: -(_e < 0 ? -_e : _e);                                \
	})
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
