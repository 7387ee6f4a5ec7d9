// SPDX-License-Identifier: GPL-2.0
/*
 * collapse-broken: does MADV_COLLAPSE leave a pinned page behind?  The
 * positive case of rule 1 (collapse-pinned) on a real kernel: run it on
 * tests/vm's collapse-broken kernel (tests/vm/patches/collapse-broken.patch
 * drops khugepaged's is_refcount_suitable() check) and on the clean one.
 *
 *   1. 2 MiB of small anon pages (MADV_NOHUGEPAGE while faulting them)
 *   2. one page in the middle pinned with io_uring IORING_REGISTER_BUFFERS
 *      (FOLL_PIN | FOLL_LONGTERM)
 *   3. MADV_HUGEPAGE + MADV_COLLAPSE: a correct kernel refuses (EAGAIN,
 *      SCAN_PAGE_COUNT); the broken one copies the page into a THP and
 *      unmaps the pinned original
 *   4. the process writes the page through its mapping, io_uring writes
 *      the pinned buffer out (IORING_OP_WRITE_FIXED into a memfd): same
 *      bytes?  Then io_uring reads new bytes into the pinned buffer
 *      (IORING_OP_READ_FIXED): does the mapping see them?
 *
 * Lines that tests grep:
 *   workload: <label> pid=<n> vaddr=0x<hex> pfn=0x<hex> thp=<0|1>
 *     labels pin-before (the pinned page), pin-after (what the process
 *     maps there after the collapse), pin-unpinned
 *   workload: madv_collapse pin ret=<n> errno=<n>
 *   workload: collapse-pin-coherent ok|BROKEN write_fixed=<ok|stale>
 *     read_fixed=<ok|lost>
 * BROKEN means the user-visible damage happened: the pinned buffer no
 * longer is the process's memory.  Exit status 0 unless setup fails.
 */
#include "workload.h"

/* The pinned page: somewhere in the middle of the 2 MiB. */
#define PIN_PAGE	7

/*
 * io_uring reads new bytes from @fd into the pinned buffer: 1 if the
 * process sees them through its mapping, 0 if not, -1 if the I/O failed.
 */
static int read_fixed_reaches_mapping(struct ring *r, int fd, char *page)
{
	static char data[PAGE_SIZE];
	int res;

	memset(data, 'r', PAGE_SIZE);
	if (pwrite(fd, data, PAGE_SIZE, 0) != (ssize_t)PAGE_SIZE) {
		report_failure("pwrite");
		return -1;
	}
	res = ring_rw_fixed(r, IORING_OP_READ_FIXED, fd, page, PAGE_SIZE, 0);
	if (res != (int)PAGE_SIZE) {
		errno = res < 0 ? -res : EIO;
		report_failure("io_uring read_fixed");
		return -1;
	}
	return all_bytes(page, PAGE_SIZE, 'r');
}

int main(void)
{
	char *p = map_aligned(HPAGE_SIZE), *page;
	struct ring r;
	int fd, ret, wr, rd;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!p)
		return 1;
	page = p + PIN_PAGE * PAGE_SIZE;
	/* small pages: VM_NOHUGEPAGE while faulting them in */
	if (madvise(p, HPAGE_SIZE, MADV_NOHUGEPAGE))
		report_failure("madvise(MADV_NOHUGEPAGE)");
	for (i = 0; i < HPAGE_SIZE; i += PAGE_SIZE)
		p[i] = 'a';
	memset(page, 'a', PAGE_SIZE);

	fd = scratch_file("collapse-broken");
	if (fd < 0 || ring_setup(&r)) {
		report_failure("io_uring/scratch setup");
		return 1;
	}
	if (ring_register(r.fd, page, PAGE_SIZE)) {
		report_failure("io_uring register_buffers");
		return 1;
	}
	observe_kpf("region-before", p);
	observe_kpf("pin-before", page);

	/* VM_NOHUGEPAGE makes MADV_COLLAPSE refuse the range: clear it */
	if (madvise(p, HPAGE_SIZE, MADV_HUGEPAGE))
		report_failure("madvise(MADV_HUGEPAGE)");
	errno = 0;
	ret = madvise(p, HPAGE_SIZE, MADV_COLLAPSE);
	printf("workload: madv_collapse pin ret=%d errno=%d (%s)\n", ret,
	       ret ? errno : 0, ret ? strerror(errno) : "collapsed");
	observe_kpf("region-after", p);
	observe_kpf("pin-after", page);

	wr = write_fixed_sees_mapping(&r, fd, page);
	rd = read_fixed_reaches_mapping(&r, fd, page);
	if (wr >= 0 && rd >= 0)
		printf("workload: collapse-pin-coherent %s write_fixed=%s "
		       "read_fixed=%s\n", wr && rd ? "ok" : "BROKEN",
		       wr ? "ok" : "stale", rd ? "ok" : "lost");

	if (ring_unregister(r.fd))
		report_failure("io_uring unregister_buffers");
	observe_kpf("pin-unpinned", page);
	close(r.fd);
	close(fd);
	printf("workload: done pid=%d\n", getpid());
	return 0;
}
