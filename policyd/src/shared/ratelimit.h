/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A token bucket on an injected clock (microseconds, monotonic): up to
 * burst calls at once, then one per interval. Tests drive the clock.
 */

#include <stdbool.h>
#include <stdint.h>

struct token_bucket {
	uint64_t interval_usec; /* one token is added per interval */
	unsigned burst;         /* tokens held at most (and at start) */
	unsigned tokens;
	uint64_t refilled_usec; /* time the tokens were last counted up to */
	bool started;
};

#define TOKEN_BUCKET_INIT(interval, b) ((struct token_bucket){ .interval_usec = (interval), .burst = (b) })

/* Takes a token at now_usec if one is left: true, else false. */
bool token_bucket_take(struct token_bucket *b, uint64_t now_usec);

/* Microseconds from now_usec until a token is there (0 if one is). */
uint64_t token_bucket_wait_usec(const struct token_bucket *b, uint64_t now_usec);
