// SPDX-License-Identifier: GPL-2.0
/*
 * collapse-pinned: MADV_COLLAPSE of small pages with and without an
 * external reference (issue 4, the 2020 khugepaged "page shared across
 * fork" seed, invariant 1).  Each region is filled with small pages
 * under MADV_NOHUGEPAGE, then MADV_HUGEPAGE + MADV_COLLAPSE:
 *
 *   1. clean: nothing else holds the pages; expect ret 0 and a THP
 *                                          (collapse-clean-before/after)
 *   2. one page vmsplice()d into a pipe: the pipe holds a GUP reference,
 *      refcount != mapcount, the kernel must refuse (SCAN_PAGE_COUNT,
 *      -EAGAIN in 6.1); after draining the pipe, the retry collapses
 *                                   (collapse-ref-before/after/retry)
 *   3. one page pinned with io_uring IORING_REGISTER_BUFFERS (FOLL_PIN |
 *      FOLL_LONGTERM, +1024 on a small page): refused the same way; after
 *      unregistering, the retry collapses (collapse-pin-before/after/retry)
 *
 * Every observation is one line that tests grep:
 *   workload: <label> pid=<n> vaddr=0x<hex> pfn=0x<hex> thp=<0|1>
 * printed for the first page and for the referenced page, plus
 * `workload: madv_collapse <case> ret=<n> errno=<n>`.  A step the running
 * kernel refuses is reported with a "failed" line and the run goes on;
 * the exit status is 0 unless memory cannot be mapped.
 */
#include "workload.h"

/* The page that gets the extra reference: somewhere in the middle. */
#define REF_PAGE	7

static void observe_region(const char *name, const char *when, char *p)
{
	char label[64];

	snprintf(label, sizeof(label), "collapse-%s-%s", name, when);
	observe(label, p);
	observe(label, p + REF_PAGE * PAGE_SIZE);
}

/* 2 MiB of small pages: VM_NOHUGEPAGE while faulting them in. */
static char *small_pages_region(void)
{
	char *p = map_aligned(HPAGE_SIZE);

	if (!p) {
		report_failure("collapse mmap");
		return NULL;
	}
	if (madvise(p, HPAGE_SIZE, MADV_NOHUGEPAGE))
		report_failure("madvise(MADV_NOHUGEPAGE)");
	touch(p, HPAGE_SIZE, 3);
	return p;
}

/* VM_NOHUGEPAGE makes MADV_COLLAPSE refuse the range: clear it first. */
static int collapse(const char *name, char *p)
{
	int ret;

	if (madvise(p, HPAGE_SIZE, MADV_HUGEPAGE))
		report_failure("madvise(MADV_HUGEPAGE)");
	errno = 0;
	ret = madvise(p, HPAGE_SIZE, MADV_COLLAPSE);
	printf("workload: madv_collapse %s ret=%d errno=%d (%s)\n", name, ret,
	       ret ? errno : 0, ret ? strerror(errno) : "collapsed");
	fflush(stdout);
	return ret;
}

static void step_clean(void)
{
	char *p = small_pages_region();

	if (!p)
		return;
	observe_region("clean", "before", p);
	collapse("clean", p);
	observe_region("clean", "after", p);
}

/* The pipe keeps a reference on the vmsplice()d page until it is read. */
static void step_ref(void)
{
	char *p = small_pages_region(), *page, buf[256];
	struct iovec iov;
	int pipefd[2];

	if (!p)
		return;
	page = p + REF_PAGE * PAGE_SIZE;
	iov.iov_base = page;
	iov.iov_len = PAGE_SIZE;
	if (pipe(pipefd)) {
		report_failure("pipe");
		return;
	}
	if (vmsplice(pipefd[1], &iov, 1, 0) != (ssize_t)PAGE_SIZE)
		report_failure("vmsplice");
	observe_region("ref", "before", p);
	collapse("ref", p);
	observe_region("ref", "after", p);

	close(pipefd[1]);
	while (read(pipefd[0], buf, sizeof(buf)) > 0)
		;
	close(pipefd[0]);
	collapse("ref-retry", p);
	observe_region("ref", "retry", p);
}

/* io_uring registered buffer: a FOLL_LONGTERM pin until unregistered. */
static void step_pin(void)
{
	char *p = small_pages_region();
	struct io_uring_params params;
	int fd;

	if (!p)
		return;
	memset(&params, 0, sizeof(params));
	fd = syscall(__NR_io_uring_setup, 1, &params);
	if (fd < 0) {
		report_failure("io_uring_setup");
		return;
	}
	if (ring_register(fd, p + REF_PAGE * PAGE_SIZE, PAGE_SIZE))
		report_failure("io_uring register_buffers");
	observe_region("pin", "before", p);
	collapse("pin", p);
	observe_region("pin", "after", p);

	if (ring_unregister(fd))
		report_failure("io_uring unregister_buffers");
	close(fd);
	collapse("pin-retry", p);
	observe_region("pin", "retry", p);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	step_clean();
	step_ref();
	step_pin();
	printf("workload: done pid=%d\n", getpid());
	return 0;
}
