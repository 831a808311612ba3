/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bit mixer the test workloads (tests/bin/) derive their data patterns
 * from: SplitMix64's finaliser, a bijection on 64-bit values, so distinct
 * inputs give distinct words.
 */
#ifndef CGTIER_TESTS_MIX64_H
#define CGTIER_TESTS_MIX64_H

#include <stdint.h>

/* An odd constant (2^64 / golden ratio) to spread consecutive inputs. */
#define GOLDEN 0x9e3779b97f4a7c15ULL

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

#endif
