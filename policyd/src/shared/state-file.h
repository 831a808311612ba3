/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Small versioned record files for the daemon's state directory
 * (StateDirectory=, docs/cgtier-policyd.8.scd). A file is
 *
 *     cgtier-state 1 KIND\n
 *     TAG LENGTH\n DATA \n          (once per record; DATA is LENGTH raw bytes)
 *     end COUNT CHECKSUM\n
 *
 * with KIND and TAG short words ([a-z0-9-]), COUNT the number of records
 * and CHECKSUM the FNV-1a 64-bit hash (16 hex digits) of every byte before
 * the "end" line. Lengths make any content safe (paths with spaces or
 * newlines, YAML); the trailer catches truncation and the checksum stray
 * edits and bit rot. Writes are atomic: a temporary file in the same
 * directory, fsync(), rename(), fsync() of the directory.
 */

#include <stddef.h>

#define STATE_FILE_VERSION 1
/* Whole file; larger ones are refused unread. */
#define STATE_FILE_SIZE_MAX (64U * 1024 * 1024)
#define STATE_TAG_MAX 32

struct state_record {
	char tag[STATE_TAG_MAX];
	char *data; /* NUL-terminated for convenience; may hold NULs itself */
	size_t len;
};

void state_records_free(struct state_record *r, size_t n);

/* Writes name in dir_fd atomically, replacing any previous file. */
int state_file_write(int dir_fd, const char *name, const char *kind, const struct state_record *records,
		     size_t n);

/*
 * Reads and checks name in dir_fd. -ENOENT when absent; -EBADMSG when it is
 * not a valid state file of that kind and version (truncated, corrupted,
 * another kind or version), with the reason in why; the open/read errno
 * otherwise. Never follows a symlink, never blocks on a FIFO.
 */
int state_file_read(int dir_fd, const char *name, const char *kind, struct state_record **ret, size_t *ret_n,
		    char *why, size_t why_size);
