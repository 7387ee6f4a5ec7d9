// SPDX-License-Identifier: GPL-2.0
/*
 * huge-zero-rmap: the huge zero page is never in the rmap (issue 10, the
 * huge-zero-split rule's positive cases with
 * tests/vm/patches/hz-fork-dup.patch and hz-split-as-thp.patch).  It is
 * mapped by PMD into any number of mms, each holding it through
 * mm_get_huge_zero_page(), never through page_add_*_rmap(): its
 * /proc/kpagecount reads 0 and /proc/kpageflags has no KPF_MMAP, however
 * many map it.
 *
 *   1. fork with a huge zero PMD mapped (hzf-read): the child shares it
 *      (hzf-child, with KPF_MMAP of the huge zero page as the child sees
 *      it and the child's RssAnon less the parent's before the fork:
 *      copy_huge_pmd() counts no anon pages for it), then exits;
 *      `hz-fork ok|BROKEN child_mmap=<0|1> child_rss_grew=<0|1>
 *      mmap_after=<0|1> pfn=<huge zero pfn>`: BROKEN when the huge zero
 *      page was ever seen mapped in the rmap or the child's RssAnon grew
 *      by 1 MiB or more (fork copied it as an anon THP)
 *   2. mprotect() of one 4 KiB page of another huge zero PMD splits it
 *      (hzs-read, hzs-split): every address must then map the small zero
 *      page, and the huge zero page's 512 pfns must still count no
 *      mapping; `hz-split ok|BROKEN mapped=<n> kpagecount=<least>..<most>
 *      pfn=<huge zero pfn>`: BROKEN when n addresses still map the huge
 *      zero page after the split, or a kpagecount is not 0 (the split
 *      took the PMD for an anon THP's and mapped the subpages by PTE).
 *      Last, as a kernel that did so frees the huge zero page at the
 *      munmap (the last put of the references the split took).
 *
 * Either step prints `hz-fork skipped` / `hz-split skipped` (and a
 * `huge-zero-page no` reason) when the read fault did not map the huge
 * zero page.  Needs root for /proc/kpagecount and /proc/kpageflags;
 * exits 0 unless memory cannot be mapped.
 */
#include <stdlib.h>
#include <sys/wait.h>

#include "workload.h"

/* KPF_@bit of @pfn: 0 or 1, -1 when unreadable. */
static int kpf(uint64_t pfn, int bit)
{
	uint64_t flags;

	if (kpageflags_read(pfn, &flags))
		return -1;
	return !!(flags & (1ULL << bit));
}

/* RssAnon of /proc/self/status in kB, -1 if unreadable. */
static long rss_anon_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The huge zero page's head pfn mapped at @p (read-faulted), or 0. */
static uint64_t huge_zero_at(const char *label, const char *p)
{
	uint64_t pfn = vaddr_to_pfn(p);

	observe(label, p);
	if (!pfn || kpf(pfn, KPF_ZERO_PAGE) != 1 || kpf(pfn, KPF_THP) != 1) {
		printf("workload: huge-zero-page no at=%s pfn=0x%llx\n", label,
		       (unsigned long long)pfn);
		fflush(stdout);
		return 0;
	}
	return pfn;
}

static void step_fork(void)
{
	char *p = read_fault_aligned();
	uint64_t pfn = p ? huge_zero_at("hzf-read", p) : 0;
	int child_mmap = -1, status;
	long rss, delta = 0;
	pid_t pid;

	if (!pfn) {
		printf("workload: hz-fork skipped\n");
		return;
	}
	rss = rss_anon_kb();
	pid = fork();
	if (pid < 0) {
		report_failure("fork");
		return;
	}
	if (!pid) {
		child_mmap = kpf(pfn, KPF_MMAP);
		delta = rss_anon_kb() - rss;
		observe("hzf-child", p);
		printf("workload: hzf-child pid=%d mmap=%d rss_anon_delta_kb=%ld\n",
		       getpid(), child_mmap, delta);
		fflush(stdout);
		/* the verdict's inputs, for the parent */
		_exit((child_mmap == 1) | (delta >= 1024) << 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		report_failure("waitpid");
		return;
	}
	child_mmap = WEXITSTATUS(status) & 1;
	delta = WEXITSTATUS(status) & 2 ? 2048 : 0;
	status = kpf(pfn, KPF_MMAP);
	printf("workload: hz-fork %s child_mmap=%d child_rss_grew=%d mmap_after=%d pfn=0x%llx\n",
	       child_mmap || delta || status == 1 ? "BROKEN" : "ok",
	       child_mmap, !!delta, status, (unsigned long long)pfn);
	fflush(stdout);
	munmap(p, HPAGE_SIZE);
}

/*
 * How many of the 512 pages at @p map a pfn of the huge zero page
 * [@hzp, @hzp + 512), and the least and most kpagecount of its pfns
 * into @lo and @hi; -1 when unreadable.
 */
static int huge_zero_mapped(const char *p, uint64_t hzp, long long *lo,
			    long long *hi)
{
	static uint64_t ent[HPAGE_NR], cnt[HPAGE_NR];
	int pm = open("/proc/self/pagemap", O_RDONLY);
	int kc = open("/proc/kpagecount", O_RDONLY);
	off_t off = (uintptr_t)p / PAGE_SIZE * sizeof(ent[0]);
	int i, n = -1;

	if (pm < 0 || kc < 0 ||
	    pread(pm, ent, sizeof(ent), off) != sizeof(ent) ||
	    pread(kc, cnt, sizeof(cnt), hzp * sizeof(cnt[0])) != sizeof(cnt))
		goto out;
	n = 0;
	*lo = *hi = (long long)cnt[0];
	for (i = 0; i < (int)HPAGE_NR; i++) {
		uint64_t pfn = ent[i] & PM_PFN_MASK;

		n += (ent[i] & PM_PRESENT) && pfn >= hzp && pfn < hzp + HPAGE_NR;
		if ((long long)cnt[i] < *lo)
			*lo = cnt[i];
		if ((long long)cnt[i] > *hi)
			*hi = cnt[i];
	}
out:
	if (pm >= 0)
		close(pm);
	if (kc >= 0)
		close(kc);
	return n;
}

static void step_split(void)
{
	char *p = read_fault_aligned();
	uint64_t pfn = p ? huge_zero_at("hzs-read", p) : 0;
	long long lo = -1, hi = -1;
	int n;

	if (!pfn) {
		printf("workload: hz-split skipped\n");
		return;
	}
	if (mprotect(p + PAGE_SIZE, PAGE_SIZE, PROT_READ))
		report_failure("mprotect");
	observe("hzs-split", p);
	observe("hzs-split", p + HPAGE_SIZE - PAGE_SIZE);
	n = huge_zero_mapped(p, pfn, &lo, &hi);
	if (n < 0) {
		report_failure("pagemap or kpagecount");
		return;
	}
	printf("workload: hz-split %s mapped=%d kpagecount=%lld..%lld pfn=0x%llx\n",
	       n || lo || hi ? "BROKEN" : "ok", n, lo, hi,
	       (unsigned long long)pfn);
	fflush(stdout);
	munmap(p, HPAGE_SIZE);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	step_fork();
	step_split();
	printf("workload: done pid=%d\n", getpid());
	return 0;
}
