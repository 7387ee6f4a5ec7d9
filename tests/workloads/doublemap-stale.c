// SPDX-License-Identifier: GPL-2.0
/*
 * doublemap-stale: an anon THP mapped by a PMD in one process and by PTEs
 * in another (PageDoubleMap on 6.1), then the PMD mapping goes; the
 * kernel's mapcount of each subpage is read from /proc/kpagecount before
 * and after (issue 10, the double-map rule's positive case with
 * tests/vm/patches/doublemap-stale.patch).
 *
 *   1. fault a THP (MADV_HUGEPAGE, 2 MiB aligned), PMD-mapped  (dms-thp)
 *   2. fork: the child shares the PMD and only waits, touching nothing
 *                                                    (dms-child pid=)
 *   3. mprotect() the parent's last subpage read-only: the parent's PMD
 *      is split, the THP stays whole and is now mapped by the child's
 *      PMD and the parent's 512 PTEs (6.1 sets PageDoubleMap)
 *                                                    (dms-split)
 *   4. the child exits: the last PMD mapping goes (6.1 clears
 *      PageDoubleMap and drops its +1 from every subpage's _mapcount)
 *                                                    (dms-after)
 *   5. every subpage's kpagecount must be 1 (only the parent's PTE):
 *      `doublemap-stale ok pfn=<head>`, or `doublemap-stale BROKEN
 *      high=N pfn=<head>` when N subpages count more (the bias left)
 *   6. AnonPages (/proc/meminfo) across the child's exit must not drop
 *      by the THP: the parent still maps it. `doublemap-anon ok|BROKEN
 *      delta_kb=N` (BROKEN: down by 1 MiB or more, the THP taken for
 *      unmapped, tests/vm/patches/doublemap-unset.patch)
 *   7. munmap: a THP whose bias stayed is freed with a nonzero mapcount
 *      (the kernel reports a bad page and leaks it; dmesg tells).
 *
 * The parent never writes after the fork (a write would COW the page
 * away).  kpagecount lines: `workload: <label> pid=<n> kpagecount=<a>..<b>`
 * (least and most over the 512 subpages).  Needs root for
 * /proc/kpagecount; exits 0 unless memory cannot be mapped.
 */
#include <stdlib.h>
#include <sys/wait.h>

#include "workload.h"

/*
 * The least and most kpagecount over the THP's subpages as this process
 * maps them at @p (one pagemap read, one kpagecount file: few events for
 * the recorder), and how many exceed @want; -1 when one is unreadable.
 */
static int kpagecounts(const char *label, const char *p, long long want)
{
	static uint64_t ent[HPAGE_NR];
	int pm = open("/proc/self/pagemap", O_RDONLY);
	int kc = open("/proc/kpagecount", O_RDONLY);
	off_t off = (uintptr_t)p / PAGE_SIZE * sizeof(ent[0]);
	long long lo = -1, hi = -1;
	int i = 0, over = 0;
	uint64_t c;

	if (pm < 0 || kc < 0 ||
	    pread(pm, ent, sizeof(ent), off) != sizeof(ent))
		goto fail;
	for (i = 0; i < (int)HPAGE_NR; i++) {
		if (!(ent[i] & PM_PRESENT) ||
		    pread(kc, &c, sizeof(c),
			  (ent[i] & PM_PFN_MASK) * sizeof(c)) != sizeof(c))
			goto fail;
		if (lo < 0 || (long long)c < lo)
			lo = c;
		if ((long long)c > hi)
			hi = c;
		over += (long long)c > want;
	}
	close(pm);
	close(kc);
	printf("workload: %s pid=%d kpagecount=%lld..%lld\n", label, getpid(),
	       lo, hi);
	fflush(stdout);
	return over;
fail:
	printf("workload: %s pid=%d kpagecount unreadable (page %d)\n", label,
	       getpid(), i);
	fflush(stdout);
	if (pm >= 0)
		close(pm);
	if (kc >= 0)
		close(kc);
	return -1;
}

/* AnonPages of /proc/meminfo (NR_ANON_MAPPED) in kB; -1 if unreadable. */
static long anon_pages_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonPages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int main(void)
{
	char *p = map_aligned(HPAGE_SIZE);
	int go[2], status, high;
	long anon_before, anon_after;
	uint64_t head;
	pid_t pid;
	char c;

	if (!p) {
		report_failure("mmap");
		return 1;
	}
	if (madvise(p, HPAGE_SIZE, MADV_HUGEPAGE))
		report_failure("madvise(MADV_HUGEPAGE)");
	touch(p, HPAGE_SIZE, 1);
	observe("dms-thp", p);
	head = vaddr_to_pfn(p);
	if (pipe(go)) {
		report_failure("pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		report_failure("fork");
		return 1;
	}
	if (pid == 0) {
		/* hold the PMD mapping until the parent has split its own */
		close(go[1]);
		if (read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(go[0]);
	printf("workload: dms-child pid=%d\n", pid);
	if (mprotect(p + HPAGE_SIZE - PAGE_SIZE, PAGE_SIZE, PROT_READ))
		report_failure("mprotect");
	observe("dms-split", p);
	kpagecounts("dms-split", p, 2);
	anon_before = anon_pages_kb();
	close(go[1]);
	waitpid(pid, &status, 0);
	anon_after = anon_pages_kb();
	observe("dms-after", p);
	high = kpagecounts("dms-after", p, 1);
	if (vaddr_to_pfn(p) != head || !head)
		printf("workload: doublemap-stale skipped: the THP moved or "
		       "was never mapped\n");
	else if (high > 0)
		printf("workload: doublemap-stale BROKEN high=%d pfn=0x%llx\n",
		       high, (unsigned long long)head);
	else if (high == 0)
		printf("workload: doublemap-stale ok pfn=0x%llx\n",
		       (unsigned long long)head);
	/*
	 * The child's own anon pages are a few: the parent's 512 PTEs keep
	 * the THP mapped, so AnonPages must not drop by anything like 2 MiB.
	 */
	if (anon_before >= 0 && anon_after >= 0)
		printf("workload: doublemap-anon %s delta_kb=%ld\n",
		       anon_before - anon_after >= 1024 ? "BROKEN" : "ok",
		       anon_after - anon_before);
	fflush(stdout);
	munmap(p, HPAGE_SIZE);
	return 0;
}
