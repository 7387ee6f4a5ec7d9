// SPDX-License-Identifier: GPL-2.0
/*
 * thp-basic: one small tour of an anon THP's life, for pagestate to record.
 *
 *   1. fault a THP into an aligned MADV_HUGEPAGE region           (thp)
 *   2. fork; the child writes to it, so the PMD is split and one
 *      subpage is COW'd into the child                    (cow-parent/child)
 *   3. fill a region with small pages, then MADV_COLLAPSE them
 *      into a THP                            (collapse-before/after)
 *   4. mprotect() and munmap() one 4 KiB page of a PMD-mapped THP:
 *      split_huge_pmd, and the folio goes on the deferred split queue (split)
 *   5. vmsplice() a subpage into a pipe: an extra (GUP) reference while
 *      the pipe holds it; process_vm_readv() from a child takes and drops
 *      another                                                  (extra-ref)
 *   6. split_huge_page() of that THP (debugfs split_huge_pages, or
 *      MADV_COLD of one subpage): the folio becomes small folios, each
 *      remapped by PTE (remove_migration_pte)                 (split-page)
 *
 * Every observation is one line that tests grep:
 *   workload: <label> pid=<n> vaddr=0x<hex> pfn=0x<hex> thp=<0|1>
 * A step the running kernel refuses is reported with a "failed" line and
 * the tour goes on; the exit status is 0 unless memory cannot be mapped.
 */
#include <sys/wait.h>

#include "workload.h"

/* A write fault on an aligned MADV_HUGEPAGE range: one PMD-mapped THP. */
static char *fault_thp(const char *step)
{
	char *p = map_aligned(2 * HPAGE_SIZE);

	if (!p) {
		report_failure(step);
		return NULL;
	}
	if (madvise(p, 2 * HPAGE_SIZE, MADV_HUGEPAGE))
		report_failure(step);
	touch(p, HPAGE_SIZE, 1);
	return p;
}

/* Child writes one byte of the shared THP: the PMD is split, one subpage copied. */
static void step_cow(char *p)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		report_failure("fork");
		return;
	}
	if (pid == 0) {
		p[0] = 2;
		observe("cow-child", p);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		report_failure("waitpid");
	observe("cow-parent", p);
}

/* Small pages first (NOHUGEPAGE), then MADV_COLLAPSE them into one THP. */
static void step_collapse(void)
{
	char *p = map_aligned(HPAGE_SIZE);
	int ret;

	if (!p) {
		report_failure("collapse mmap");
		return;
	}
	if (madvise(p, HPAGE_SIZE, MADV_NOHUGEPAGE))
		report_failure("madvise(MADV_NOHUGEPAGE)");
	touch(p, HPAGE_SIZE, 3);
	observe("collapse-before", p);
	/* VM_NOHUGEPAGE makes MADV_COLLAPSE refuse the range: clear it. */
	if (madvise(p, HPAGE_SIZE, MADV_HUGEPAGE))
		report_failure("madvise(MADV_HUGEPAGE)");
	errno = 0;
	ret = madvise(p, HPAGE_SIZE, MADV_COLLAPSE);
	printf("workload: madv_collapse ret=%d errno=%d\n", ret,
	       ret ? errno : 0);
	if (ret)
		report_failure("madvise(MADV_COLLAPSE)");
	observe("collapse-after", p);
}

/*
 * mprotect() of one subpage splits the PMD (split_huge_pmd); munmap() of
 * another leaves a partly mapped folio on the deferred split queue.
 */
static char *step_split(void)
{
	char *p = fault_thp("split madvise");

	if (!p)
		return NULL;
	observe("split-thp", p);
	if (mprotect(p + PAGE_SIZE, PAGE_SIZE, PROT_READ))
		report_failure("mprotect");
	observe("split", p + PAGE_SIZE);
	if (munmap(p + (HPAGE_NR - 1) * PAGE_SIZE, PAGE_SIZE))
		report_failure("munmap");
	return p;
}

/* Extra references: a pipe holding a vmsplice()d subpage, then a remote read. */
static void step_extra_ref(char *p)
{
	char *page = p + 2 * PAGE_SIZE;
	struct iovec iov = { .iov_base = page, .iov_len = PAGE_SIZE };
	char buf[64];
	int pipefd[2];
	pid_t parent = getpid(), pid;
	int status;

	if (pipe(pipefd)) {
		report_failure("pipe");
		return;
	}
	if (vmsplice(pipefd[1], &iov, 1, 0) != (ssize_t)PAGE_SIZE)
		report_failure("vmsplice");
	observe("extra-ref", page);

	pid = fork();
	if (pid == 0) {
		struct iovec local = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct iovec remote = { .iov_base = page + 8,
					.iov_len = sizeof(buf) };
		ssize_t n = process_vm_readv(parent, &local, 1, &remote, 1, 0);

		printf("workload: process_vm_readv ret=%zd errno=%d\n", n,
		       n < 0 ? errno : 0);
		fflush(stdout);
		_exit(0);
	} else if (pid < 0) {
		report_failure("fork");
	} else {
		waitpid(pid, &status, 0);
	}

	/* Draining the pipe drops the reference vmsplice took. */
	close(pipefd[1]);
	while (read(pipefd[0], buf, sizeof(buf)) > 0)
		;
	close(pipefd[0]);
}

/*
 * split_huge_page() on demand: <debugfs>/split_huge_pages takes
 * "<pid>,<vaddr start>,<vaddr end>" and splits every THP mapped there.
 * Where debugfs is closed (containers), MADV_COLD of one subpage of a
 * PTE-mapped THP gets there too: madvise_cold_or_pageout_pte_range()
 * splits a large folio it only partly covers.
 */
static void step_split_huge_page(char *p)
{
	static const char path[] = "/sys/kernel/debug/split_huge_pages";
	const char *how = "debugfs";
	char cmd[96];
	int fd, n = 0;

	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		n = snprintf(cmd, sizeof(cmd), "%d,0x%lx,0x%lx", getpid(),
			     (unsigned long)p, (unsigned long)(p + HPAGE_SIZE));
		if (write(fd, cmd, n) != n)
			n = 0;
		close(fd);
	}
	if (!n) {
		how = "madv_cold";
		if (madvise(p + 3 * PAGE_SIZE, PAGE_SIZE, MADV_COLD))
			report_failure("madvise(MADV_COLD)");
	}
	printf("workload: split_huge_page via=%s\n", how);
	observe("split-page", p + 3 * PAGE_SIZE);
}

int main(void)
{
	char *a, *c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	a = fault_thp("thp madvise");
	if (!a)
		return 1;
	observe("thp", a);
	step_cow(a);
	step_collapse();
	c = step_split();
	if (c) {
		step_extra_ref(c);
		step_split_huge_page(c);
	}
	printf("workload: done pid=%d\n", getpid());
	return 0;
}
