/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Constants shared by cgtier-policyd, cgtierctl and their tests. Numeric
 * limits of the knobs live in policyd's rate.h, next to their parsers. */

#define CGTIER_VERSION "0.1"

#define CGTIER_DEFAULT_CGROUP_ROOT "/sys/fs/cgroup"
#define CGTIER_DEFAULT_SYSFS_ROOT "/sys"

/* The only files the daemon ever writes. */
#define CGTIER_KNOB_PROMOTION_MAX "memory.promotion.max"
#define CGTIER_KNOB_PROMOTION_WEIGHT "memory.promotion.weight"
#define CGTIER_FILE_PROMOTION_STAT "memory.promotion.stat"

/* cgtierctl exit codes, documented in cgtierctl(1). */
#define CGTIER_EXIT_OK 0
#define CGTIER_EXIT_FAILURE 1
#define CGTIER_EXIT_USAGE 2
#define CGTIER_EXIT_INVALID 3
#define CGTIER_EXIT_NOT_FOUND 4
