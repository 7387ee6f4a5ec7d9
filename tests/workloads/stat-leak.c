// SPDX-License-Identifier: GPL-2.0
/*
 * stat-leak: a page whose last mapping goes while a reference stays
 * (issue 11: the leaked get, named).
 *
 *   1. two small anon pages           (leak-before)
 *   2. move_pages() asked where the first one is (nodes == NULL: the
 *      status query): on the stat-leak kernel (tests/vm/patches/
 *      stat-leak.patch) that leaks one reference on it; on a clean
 *      kernel it takes and puts one
 *                                      (leak-queried, node=N)
 *   3. munmap of both: the clean kernel frees both pages; the broken
 *      one frees the second only, the first stays allocated with the
 *      leaked reference               (leak-unmapped: its pfn)
 *
 * Observations: workload: <label> pid=<n> vaddr=0x<hex> pfn=0x<hex> thp=0
 */
#include "workload.h"

int main(void)
{
	int status = -1;
	void *page;
	char *p;

	setvbuf(stdout, NULL, _IOLBF, 0);
	p = map_aligned(HPAGE_SIZE);
	if (!p)
		return 1;
	if (madvise(p, HPAGE_SIZE, MADV_NOHUGEPAGE))
		report_failure("madvise(MADV_NOHUGEPAGE)");
	touch(p, 2 * PAGE_SIZE, 5);
	observe("leak-before", p);
	observe("leak-before", p + PAGE_SIZE);
	page = p;
	if (syscall(__NR_move_pages, 0, 1, &page, NULL, &status, 0))
		report_failure("move_pages(status)");
	printf("workload: leak-queried node=%d\n", status);
	observe("leak-queried", p);
	printf("workload: leak-unmapped pfn=0x%llx\n",
	       (unsigned long long)vaddr_to_pfn(p));
	fflush(stdout);
	if (munmap(p, HPAGE_SIZE))
		report_failure("munmap");
	printf("workload: done pid=%d\n", getpid());
	return 0;
}
