/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

// Globs for cgroup paths and unit names.
//   ?     one character other than "/"
//   *     any run of characters other than "/", possibly empty
//   **    any run of characters including "/", possibly empty
//   **/   as a whole component, also zero components: "a/**/b" matches "a/b"
// Everything else is literal (including "\", which systemd uses in escaped
// names). Character classes are refused at validation so that nobody expects
// fnmatch() behaviour we do not have.
// (Line comments because the glob syntax contains the C comment terminator.
// Not called glob.h: with -Isrc/shared that would shadow the libc <glob.h>.)

#include <stdbool.h>
#include <stddef.h>

#define GLOB_PATTERN_MAX 1024

/* The unit types that own cgroups, for deriving and checking unit names. */
extern const char *const unit_cgroup_suffixes[6];

/* 0 if pattern is a usable cgroup path glob, else -EINVAL and a reason in why. */
int glob_cgroup_validate(const char *pattern, char *why, size_t why_size);

/* 0 if pattern is a usable unit name glob, else -EINVAL and a reason in why. */
int glob_unit_validate(const char *pattern, char *why, size_t why_size);

/* Whether s matches pattern in full. Linear in |pattern| * |s|, no backtracking blowup. */
bool glob_match(const char *pattern, const char *s);
