/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ratelimit.h"

static void refill(struct token_bucket *b, uint64_t now_usec)
{
	uint64_t n;

	if (!b->started) {
		b->started = true;
		b->tokens = b->burst;
		b->refilled_usec = now_usec;
		return;
	}
	/* A clock that went back refills nothing and restarts counting. */
	if (now_usec < b->refilled_usec || b->interval_usec == 0) {
		b->refilled_usec = now_usec;
		if (b->interval_usec == 0)
			b->tokens = b->burst;
		return;
	}
	n = (now_usec - b->refilled_usec) / b->interval_usec;
	if (n >= b->burst - b->tokens) {
		b->tokens = b->burst;
		b->refilled_usec = now_usec;
	} else {
		b->tokens += (unsigned)n;
		/* Keep the fraction of an interval already elapsed. */
		b->refilled_usec += n * b->interval_usec;
	}
}

bool token_bucket_take(struct token_bucket *b, uint64_t now_usec)
{
	refill(b, now_usec);
	if (b->tokens == 0)
		return false;
	b->tokens--;
	return true;
}

uint64_t token_bucket_wait_usec(const struct token_bucket *b, uint64_t now_usec)
{
	struct token_bucket copy = *b;

	refill(&copy, now_usec);
	if (copy.tokens > 0)
		return 0;
	return copy.refilled_usec + copy.interval_usec - now_usec;
}
