// SPDX-License-Identifier: GPL-2.0
/*
 * fillcheck: anonymous memory whose every 8-byte word is checked, for
 * tests that migrate it behind the process's back (reclaim demotion).
 *
 *   fillcheck [-s MIB] [-n ROUNDS] [-S SEED] [-w SECONDS]
 *
 * Maps MIB MiB (default 64), writes a distinct value into every word, then
 * ROUNDS times (default 3): waits -w SECONDS (default 0), reads every word
 * back and counts the pages that differ, and rewrites the region with the
 * next round's values. The wait is for a test to reclaim the region
 * meanwhile (memory.reclaim: demotion moves it to a lower tier).
 * "filled" is printed once the first fill is done.
 * Output: "round R: corrupt=C" per round, then
 *   "fillcheck: mib=M rounds=R corrupt=C"
 * exit 0 when no page differed, 1 when one did, 2 on usage or mmap errors.
 * -T (self-test) flips one bit after the first fill: must report corrupt=1
 * and exit 1.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mix64.h"

#define PAGE	4096UL
#define WORDS	(PAGE / sizeof(uint64_t))

static uint64_t value(uint64_t seed, unsigned long word, unsigned long round)
{
	return mix64(seed ^ mix64(word + GOLDEN * (round + 1)));
}

static void fill(uint64_t *mem, unsigned long words, uint64_t seed,
		 unsigned long round)
{
	unsigned long i;

	for (i = 0; i < words; i++)
		mem[i] = value(seed, i, round);
}

static unsigned long check(const volatile uint64_t *mem, unsigned long words,
			   uint64_t seed, unsigned long round)
{
	unsigned long i, bad = 0, last_bad_page = ~0UL;

	for (i = 0; i < words; i++) {
		if (mem[i] == value(seed, i, round) || i / WORDS == last_bad_page)
			continue;
		last_bad_page = i / WORDS;
		if (bad < 5)
			printf("round %lu: corrupt page %lu word %lu\n", round,
			       i / WORDS, i % WORDS);
		bad++;
	}
	return bad;
}

static unsigned long number(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s) {
		fprintf(stderr, "fillcheck: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long mib = 64, rounds = 3, wait_s = 0, round, words, bad, total = 0;
	uint64_t seed = 1, *mem;
	int opt, selftest = 0;

	while ((opt = getopt(argc, argv, "s:n:S:Tw:")) != -1) {
		switch (opt) {
		case 's': mib = number(optarg); break;
		case 'n': rounds = number(optarg); break;
		case 'S': seed = number(optarg); break;
		case 'T': selftest = 1; break;
		case 'w': wait_s = number(optarg); break;
		default:
			fprintf(stderr, "usage: fillcheck [-s MIB] [-n ROUNDS] [-S SEED] [-w SECONDS] [-T]\n");
			return 2;
		}
	}
	if (!mib || !rounds || optind != argc) {
		fprintf(stderr, "usage: fillcheck [-s MIB] [-n ROUNDS] [-S SEED] [-w SECONDS] [-T]\n");
		return 2;
	}
	words = (mib << 20) / sizeof(uint64_t);
	mem = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("fillcheck: mmap");
		return 2;
	}
	madvise(mem, mib << 20, MADV_NOHUGEPAGE);
	fill(mem, words, seed, 0);
	if (selftest)
		mem[words / 2] ^= 1ULL << 9;
	printf("filled\n");
	fflush(stdout);
	for (round = 0; round < rounds; round++) {
		if (wait_s)
			sleep(wait_s);
		bad = check(mem, words, seed, round);
		printf("round %lu: corrupt=%lu\n", round, bad);
		fflush(stdout);
		total += bad;
		fill(mem, words, seed, round + 1);
	}
	printf("fillcheck: mib=%lu rounds=%lu corrupt=%lu\n", mib, rounds, total);
	return total ? 1 : 0;
}
