// SPDX-License-Identifier: GPL-2.0
/*
 * huge-zero: the huge zero page mapped, split and written (issue 4, the
 * 2023 FOLL_SPLIT_PMD / split_huge_pmd on the huge zero page seed,
 * invariant 5).
 *
 *   1. a read fault on an aligned MADV_HUGEPAGE region maps the huge
 *      zero page by PMD when transparent_hugepage/use_zero_page is 1:
 *      pagemap shows 512 consecutive pfns            (hzp-read)
 *   2. mprotect() of one 4 KiB page in it: split_huge_pmd of the zero
 *      page's PMD; every address now maps the small zero page
 *                                                    (hzp-split)
 *   3. a write to the split range: COW of the small zero page into a
 *      small anon page                               (hzp-split-write)
 *   4. a second region: read fault, then a write straight to the huge
 *      zero PMD (do_huge_pmd_wp_page: 6.1 splits the PMD and falls back
 *      to a small page; other kernels may allocate a THP) (hzp-write)
 *
 * Userspace cannot reach FOLL_SPLIT_PMD on anon memory; mprotect() goes
 * through the same split_huge_pmd().  The zero page must never reach
 * split_huge_page().
 *
 * Every observation is one line that tests grep:
 *   workload: <label> pid=<n> vaddr=0x<hex> pfn=0x<hex> thp=<0|1>
 * plus `workload: huge-zero-page yes|no ...` after each read fault.  A
 * step the running kernel refuses is reported with a "failed" line and
 * the run goes on; the exit status is 0 unless memory cannot be mapped.
 */
#include "workload.h"

/* KPF_ZERO_PAGE of @pfn, 0 when unreadable, -1 without /proc/kpageflags. */
static int kpf_zero_page(uint64_t pfn)
{
	uint64_t flags;
	int ret = kpageflags_read(pfn, &flags);

	if (ret == -1)
		return -1;
	return !ret && (flags & (1ULL << KPF_ZERO_PAGE));
}

/* transparent_hugepage/use_zero_page, -1 when unreadable. */
static int use_zero_page(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/use_zero_page",
			"r");
	int val = -1;

	if (f) {
		if (fscanf(f, "%d", &val) != 1)
			val = -1;
		fclose(f);
	}
	return val;
}

/* Offsets 0, 4 KiB and the last 4 KiB of the 2 MiB region. */
static void observe3(const char *label, const char *p)
{
	observe(label, p);
	observe(label, p + PAGE_SIZE);
	observe(label, p + HPAGE_SIZE - PAGE_SIZE);
}

/* The huge zero page: one compound page, so consecutive pfns. */
static void classify(const char *label, const char *p)
{
	uint64_t a = vaddr_to_pfn(p), b = vaddr_to_pfn(p + PAGE_SIZE);
	uint64_t z = vaddr_to_pfn(p + HPAGE_SIZE - PAGE_SIZE);

	printf("workload: huge-zero-page %s at=%s pfn0=0x%llx pfn1=0x%llx pfn511=0x%llx zero_page=%d\n",
	       a && b == a + 1 && z == a + HPAGE_NR - 1 ? "yes" : "no", label,
	       (unsigned long long)a, (unsigned long long)b,
	       (unsigned long long)z, a ? kpf_zero_page(a) : -1);
	fflush(stdout);
}

static char *read_fault_region(const char *label)
{
	char *p = read_fault_aligned();

	if (!p)
		return NULL;
	observe3(label, p);
	classify(label, p);
	return p;
}

static void step_split_then_write(void)
{
	char *p = read_fault_region("hzp-read");

	if (!p)
		return;
	if (mprotect(p + PAGE_SIZE, PAGE_SIZE, PROT_READ))
		report_failure("mprotect");
	observe3("hzp-split", p);
	classify("hzp-split", p);
	p[0] = 1;
	observe3("hzp-split-write", p);
}

static void step_write_huge_zero(void)
{
	char *p = read_fault_region("hzp-read2");

	if (!p)
		return;
	p[0] = 1;
	observe3("hzp-write", p);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("workload: use_zero_page=%d\n", use_zero_page());
	step_split_then_write();
	step_write_huge_zero();
	printf("workload: done pid=%d\n", getpid());
	return 0;
}
