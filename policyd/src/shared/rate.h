/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Human rates and periods, and the kernel's memory.promotion.max text.
 * Pure functions shared by the policy loader, the daemon and cgtierctl.
 * All return 0 or a negative errno; out-parameters are written only on
 * success.
 */

#include <stddef.h>
#include <stdint.h>

/* memory.promotion.max: "max" is spelled UINT64_MAX in every uint64_t here. */
#define PROMOTION_MAX_UNLIMITED UINT64_MAX
#define PROMOTION_PERIOD_DEFAULT_US 1000000ULL
/* The kernel's accepted range for $PERIOD, like cpu.max. */
#define PROMOTION_PERIOD_MIN_US 1000ULL
#define PROMOTION_PERIOD_MAX_US 10000000ULL
#define PROMOTION_WEIGHT_DEFAULT 100U
#define PROMOTION_WEIGHT_MIN 1U
#define PROMOTION_WEIGHT_MAX 10000U
/* What a cgroup's memory.promotion.max reads when no rule sets it. */
#define PROMOTION_MAX_DEFAULT_STRING "max 1000000"

/* Big enough for rate_format(), period_format() and "<u64> <u64>". */
#define RATE_STRING_MAX 48

/*
 * Parses a human rate into bytes per second.
 *   "64MiB/s", "1GiB/s", "512KiB/s", "1.5GiB/s"  binary units (1024)
 *   "10MB/s", "10kB/s", "3GB/s", "100B/s"       decimal units (1000)
 *   "unlimited", "max"                         -> PROMOTION_MAX_UNLIMITED
 * One optional space between number and unit. Fractions are rounded to the
 * nearest byte. "0B/s" is valid and means "never promote".
 * Returns -EINVAL on syntax errors (bare numbers, bit units such as "Mb/s",
 * missing "/s"), -ERANGE when the value does not fit in 64 bits.
 */
int rate_parse(const char *s, uint64_t *ret_bytes_per_sec);

/*
 * Like rate_parse(), and on failure writes a one-line reason a person can
 * act on into why (e.g. "rates are in bytes: did you mean \"64MB/s\"?").
 * why may be NULL.
 */
int rate_parse_explained(const char *s, uint64_t *ret_bytes_per_sec, char *why, size_t why_size);

/*
 * Formats bytes per second with the largest binary unit that keeps the value
 * >= 1 and one decimal: 16777216 -> "16.0 MiB/s", 512 -> "512 B/s",
 * PROMOTION_MAX_UNLIMITED -> "unlimited". -ENOBUFS if buf is too small.
 */
int rate_format(uint64_t bytes_per_sec, char *buf, size_t size);

/*
 * Parses a period: "100ms", "1s", "250000us", "1.5s". A unit is required
 * (a bare number is ambiguous). -EINVAL on syntax errors, -ERANGE outside
 * PROMOTION_PERIOD_MIN_US..PROMOTION_PERIOD_MAX_US.
 */
int period_parse(const char *s, uint64_t *ret_us);
int period_parse_explained(const char *s, uint64_t *ret_us, char *why, size_t why_size);

/* Formats microseconds with the largest exact unit: "100ms", "1s", "2500us". */
int period_format(uint64_t us, char *buf, size_t size);

/*
 * Converts a rate and a period into the kernel's budget per period:
 * rate * period / 1e6, rounded to the nearest byte, and never 0 for a
 * nonzero rate (a tiny rate must not silently become "never promote").
 * PROMOTION_MAX_UNLIMITED stays unlimited. -ERANGE if period_us is 0.
 */
int rate_to_max_bytes(uint64_t bytes_per_sec, uint64_t period_us, uint64_t *ret_max_bytes);

/*
 * Formats the kernel's memory.promotion.max line without the newline:
 * "max 1000000" or "16777216 1000000".
 */
int promotion_max_format(uint64_t max_bytes, uint64_t period_us, char *buf, size_t size);

/*
 * Parses what the kernel's memory.promotion.max reads back: "$MAX $PERIOD"
 * with one trailing newline allowed, $MAX "max" or decimal bytes. Sets
 * *ret_max to PROMOTION_MAX_UNLIMITED for "max". Either out-pointer may be
 * NULL. -EINVAL on anything else.
 */
int promotion_max_parse(const char *kernel_text, uint64_t *ret_max, uint64_t *ret_period_us);

/*
 * Parses a weight (memory.promotion.weight content, or a policy value):
 * decimal PROMOTION_WEIGHT_MIN..PROMOTION_WEIGHT_MAX, one trailing newline
 * allowed. -EINVAL on syntax, -ERANGE outside the range.
 */
int promotion_weight_parse(const char *s, uint32_t *ret_weight);
