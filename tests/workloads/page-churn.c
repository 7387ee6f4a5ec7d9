// SPDX-License-Identifier: GPL-2.0
/*
 * page-churn: allocate and free anon pages as fast as the kernel will, to
 * make large recordings for tests/bench.
 *
 *   page-churn [ROUNDS [MIB]]
 *
 * Each round maps MIB (default 4) of anon memory, writes one byte to every
 * 4 KiB page (mm_page_alloc order 0, mm_lru_insertion), and unmaps it
 * (mm_page_free_batched).  Every HUGE_EVERY-th round instead maps a
 * PMD-aligned MADV_HUGEPAGE region, so the page faults allocate order-9
 * folios where THP is "madvise" or "always".  A round costs about three
 * events per 4 KiB page: 100 rounds of 4 MiB are roughly 300k events.
 *
 * Prints one line at the end:
 *   workload: churn pid=<n> rounds=<n> pages=<n> huge_regions=<n>
 * and exits 1 only if memory cannot be mapped.
 */
#include <stdlib.h>

#include "workload.h"

#define HUGE_EVERY	8

static unsigned long parse_ulong(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || !v) {
		fprintf(stderr, "page-churn: %s '%s' is not a positive number\n",
			what, s);
		fprintf(stderr, "usage: page-churn [ROUNDS [MIB]]\n");
		exit(2);
	}
	return v;
}

/* A small-page round: every page is a separate order-0 folio. */
static int churn_small(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "page-churn: mmap %zu bytes: %s\n", len,
			strerror(errno));
		return -1;
	}
	touch(p, len, 0);
	munmap(p, len);
	return 0;
}

/*
 * A huge round: a PMD-aligned region (map_aligned() over-maps by one PMD
 * and trims the ends), and ask for THP.  Without THP this is just another
 * small round.
 */
static int churn_huge(size_t len)
{
	char *a = map_aligned(len);

	if (!a) {
		fprintf(stderr, "page-churn: mmap %zu bytes: %s\n",
			len + HPAGE_SIZE, strerror(errno));
		return -1;
	}
	madvise(a, len, MADV_HUGEPAGE);
	touch(a, len, 0);
	munmap(a, len);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long rounds = 100, mib = 4, i, huge = 0;
	size_t len;

	if (argc > 3) {
		fprintf(stderr, "usage: page-churn [ROUNDS [MIB]]\n");
		return 2;
	}
	if (argc > 1)
		rounds = parse_ulong(argv[1], "ROUNDS");
	if (argc > 2)
		mib = parse_ulong(argv[2], "MIB");
	len = mib << 20;
	/* a huge round needs whole PMDs */
	len = (len + HPAGE_SIZE - 1) & ~(HPAGE_SIZE - 1);

	for (i = 0; i < rounds; i++) {
		int ret;

		if (i % HUGE_EVERY == HUGE_EVERY - 1) {
			ret = churn_huge(len);
			huge++;
		} else {
			ret = churn_small(len);
		}
		if (ret)
			return 1;
	}
	printf("workload: churn pid=%d rounds=%lu pages=%lu huge_regions=%lu\n",
	       getpid(), rounds, rounds * (len / PAGE_SIZE), huge);
	return 0;
}
