// SPDX-License-Identifier: GPL-2.0
/*
 * cow-thp: fork + copy-on-write of an anon THP, PMD-mapped and PTE-mapped
 * (issue 4: PG_anon_exclusive per subpage vs on the head, invariant 2;
 * PageDoubleMap, invariant 3).
 *
 *   1. PMD-mapped THP: fork shares the PMD; the child writes one byte:
 *      6.1 splits the child's PMD and copies that one subpage
 *                               (pmd-fork, pmd-cow-child, pmd-cow-parent)
 *      then the parent writes once the child is gone: the THP is its
 *      own again and is reused, not copied          (pmd-parent-write)
 *   2. PTE-mapped THP: mprotect() of its last subpage splits the PMD
 *      (the folio stays whole, mapped by 512 PTEs); fork, the child writes
 *      one byte: that subpage is copied           (pte-split, pte-fork,
 *      pte-cow-child, pte-cow-parent); the parent writes too: 6.1 copies
 *      a subpage of a large folio rather than reuse it (pte-parent-write)
 *
 * Every observation is one line that tests grep:
 *   workload: <label> pid=<n> vaddr=0x<hex> pfn=0x<hex> thp=<0|1>
 * for the written subpage (offset 0) and an untouched one (offset 4 KiB),
 * plus `workload: <label> pid=<n> anon_huge_kb=<n>` (smaps AnonHugePages:
 * 2048 while the THP is PMD-mapped in this process).  A step the running
 * kernel refuses is reported with a "failed" line and the run goes on; the
 * exit status is 0 unless memory cannot be mapped.
 */
#include <sys/wait.h>

#include "workload.h"

static void observe2(const char *prefix, const char *what, const char *p)
{
	char label[64];

	snprintf(label, sizeof(label), "%s-%s", prefix, what);
	observe(label, p);
	observe(label, p + PAGE_SIZE);
	observe_anon_huge_kb(label, p);
}

/* A write fault on an aligned MADV_HUGEPAGE range: one PMD-mapped THP. */
static char *fault_thp(void)
{
	char *p = map_aligned(HPAGE_SIZE);

	if (!p) {
		report_failure("mmap");
		return NULL;
	}
	if (madvise(p, HPAGE_SIZE, MADV_HUGEPAGE))
		report_failure("madvise(MADV_HUGEPAGE)");
	touch(p, HPAGE_SIZE, 1);
	return p;
}

/* Fork; the child writes one byte and reports; then the parent reports. */
static void cow(const char *prefix, char *p)
{
	int status;
	pid_t pid;

	observe2(prefix, "fork", p);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		report_failure("fork");
		return;
	}
	if (pid == 0) {
		p[0] = 2;
		observe2(prefix, "cow-child", p);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		report_failure("waitpid");
	observe2(prefix, "cow-parent", p);
	p[0] = 3;
	observe2(prefix, "parent-write", p);
}

static void step_pmd_mapped(void)
{
	char *p = fault_thp();

	if (p)
		cow("pmd", p);
}

static void step_pte_mapped(void)
{
	char *p = fault_thp();

	if (!p)
		return;
	if (mprotect(p + HPAGE_SIZE - PAGE_SIZE, PAGE_SIZE, PROT_READ))
		report_failure("mprotect");
	observe2("pte", "split", p);
	cow("pte", p);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	step_pmd_mapped();
	step_pte_mapped();
	printf("workload: done pid=%d\n", getpid());
	return 0;
}
