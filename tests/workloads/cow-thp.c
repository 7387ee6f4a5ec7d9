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
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE_SIZE	4096UL
#define HPAGE_SIZE	(2UL << 20)
#define HPAGE_NR	(HPAGE_SIZE / PAGE_SIZE)

#define PM_PFN_MASK	((1ULL << 55) - 1)
#define PM_PRESENT	(1ULL << 63)
#define KPF_THP		22

/* pfn mapped at @addr in this process, 0 if none or unreadable. */
static uint64_t vaddr_to_pfn(const void *addr)
{
	uint64_t ent = 0;
	off_t off = (uintptr_t)addr / PAGE_SIZE * sizeof(ent);
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent), off) != sizeof(ent))
		ent = 0;
	close(fd);
	if (!(ent & PM_PRESENT))
		return 0;
	return ent & PM_PFN_MASK;
}

/* AnonHugePages (PMD-mapped THP) of the smaps VMA holding @addr, in kB. */
static unsigned long smaps_anon_huge_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long start, end, kb = 0;
	int inside = 0;
	char line[512];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			inside = (uintptr_t)addr >= start && (uintptr_t)addr < end;
			continue;
		}
		if (inside && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* KPF_THP of @pfn from /proc/kpageflags; smaps as the fallback. */
static int page_is_thp(const void *addr, uint64_t pfn)
{
	uint64_t flags;
	int fd;

	if (!pfn)
		return smaps_anon_huge_kb(addr) > 0;
	fd = open("/proc/kpageflags", O_RDONLY);
	if (fd < 0)
		return smaps_anon_huge_kb(addr) > 0;
	if (pread(fd, &flags, sizeof(flags), pfn * sizeof(flags)) !=
	    sizeof(flags)) {
		close(fd);
		return smaps_anon_huge_kb(addr) > 0;
	}
	close(fd);
	return !!(flags & (1ULL << KPF_THP));
}

static void observe(const char *label, const void *addr)
{
	uint64_t pfn = vaddr_to_pfn(addr);

	printf("workload: %s pid=%d vaddr=%#lx pfn=%#llx thp=%d\n", label,
	       getpid(), (unsigned long)(uintptr_t)addr,
	       (unsigned long long)pfn, page_is_thp(addr, pfn));
	fflush(stdout);
}

static void report_failure(const char *step)
{
	printf("workload: %s failed: %s (errno=%d)\n", step, strerror(errno),
	       errno);
	fflush(stdout);
}

/* @size bytes of anon memory starting on a 2 MiB boundary. */
static char *map_aligned(size_t size)
{
	size_t len = size + HPAGE_SIZE;
	char *raw, *p;

	raw = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)raw + HPAGE_SIZE - 1) & ~(HPAGE_SIZE - 1));
	if (p > raw)
		munmap(raw, p - raw);
	if (p + size < raw + len)
		munmap(p + size, raw + len - (p + size));
	return p;
}

static void touch(char *p, size_t size, int val)
{
	size_t i;

	for (i = 0; i < size; i += PAGE_SIZE)
		p[i] = val;
}

static void observe2(const char *prefix, const char *what, const char *p)
{
	char label[64];

	snprintf(label, sizeof(label), "%s-%s", prefix, what);
	observe(label, p);
	observe(label, p + PAGE_SIZE);
	printf("workload: %s pid=%d anon_huge_kb=%lu\n", label, getpid(),
	       smaps_anon_huge_kb(p));
	fflush(stdout);
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
