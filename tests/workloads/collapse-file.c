// SPDX-License-Identifier: GPL-2.0
/*
 * collapse-file: does MADV_COLLAPSE of shmem leave a pinned page behind?
 * collapse-pinned's second path (collapse_file(), the shmem/file
 * collapse): run it on tests/vm's collapse-file-broken kernel
 * (tests/vm/patches/collapse-file-broken.patch drops the refcount checks
 * of hpage_collapse_scan_file() and collapse_file()) and on the clean one.
 *
 *   1. shmem THP allowed where advised (sysfs shmem_enabled=advise, put
 *      back at the end); a 2 MiB memfd filled with write(): small pages
 *      (no vma, so no huge page)
 *   2. mapped MAP_SHARED on a 2 MiB boundary, every page faulted in by
 *      PTE; no MADV_HUGEPAGE: MADV_COLLAPSE does not need it for shmem
 *      (it forces shmem_is_huge()), and with it khugepaged collapsed the
 *      memfd first, now and then (stock 6.12: 2 runs in 8, the pinned
 *      page already a THP, or not mapped at all while the collapse
 *      retracted the page table)
 *   3. one page in the middle pinned with io_uring IORING_REGISTER_BUFFERS
 *      (FOLL_PIN | FOLL_LONGTERM)
 *   4. MADV_COLLAPSE: a correct kernel refuses (EAGAIN, SCAN_PAGE_COUNT);
 *      the broken one puts a THP in the page cache in place of the pinned
 *      page, which the pin keeps
 *   5. the process writes the page through its mapping, io_uring writes
 *      the pinned buffer out (IORING_OP_WRITE_FIXED into a scratch file):
 *      same bytes?  Then io_uring reads new bytes into the pinned buffer
 *      (IORING_OP_READ_FIXED): does the file (pread of the memfd) see
 *      them?
 *
 * Lines that tests grep:
 *   workload: <label> pid=<n> vaddr=0x<hex> pfn=0x<hex> thp=<0|1>
 *     labels cf-pin-before (the pinned page), cf-pin-after (what the
 *     process maps there after the collapse), cf-pin-unpinned
 *   workload: madv_collapse file ret=<n> errno=<n>
 *   workload: collapse-file-coherent ok|BROKEN write_fixed=<ok|stale>
 *     read_fixed=<ok|lost>
 * BROKEN means the user-visible damage happened: the pin's writes no
 * longer reach the file.  Exit status 0 unless setup fails.
 *
 * `collapse-file nopin` skips the pin (steps 3 and 5): MADV_COLLAPSE
 * goes ahead where the kernel can put a PMD-sized folio in the page
 * cache, and nothing holds the old pages (a rule's negative case).  An
 * EAGAIN there is tried again, up to 5 times (tries=<n>).
 *
 * The clean custom 6.1 kernel (tinyconfig: CONFIG_BASE_SMALL, so xarray
 * chunks of 16 and MAX_PAGECACHE_ORDER 7) can hold no shmem THP:
 * MADV_COLLAPSE says EINVAL there before any scan.  collapse-file-broken
 * is built with CONFIG_BASE_FULL for that reason.
 */
#include <sys/mman.h>

#include "workload.h"

#define PIN_PAGE	7
#define SHMEM_ENABLED	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"

/* shmem_enabled's selected value ("[advise]" -> "advise") into @buf */
static int shmem_enabled_get(char *buf, size_t size)
{
	char line[128], *l, *r;
	FILE *f = fopen(SHMEM_ENABLED, "r");

	if (!f)
		return -1;
	l = fgets(line, sizeof(line), f);
	fclose(f);
	if (!l || !(l = strchr(line, '[')) || !(r = strchr(l, ']')))
		return -1;
	*r = '\0';
	snprintf(buf, size, "%s", l + 1);
	return 0;
}

static int shmem_enabled_set(const char *val)
{
	int fd = open(SHMEM_ENABLED, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/*
 * io_uring reads new bytes from @fd into the pinned buffer: 1 if the
 * memfd (@mfd at @off) holds them, 0 if not, -1 if the I/O failed.
 */
static int read_fixed_reaches_file(struct ring *r, int fd, char *page,
				   int mfd, off_t off)
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
	memset(data, 0, PAGE_SIZE);
	if (pread(mfd, data, PAGE_SIZE, off) != (ssize_t)PAGE_SIZE) {
		report_failure("pread memfd");
		return -1;
	}
	return all_bytes(data, PAGE_SIZE, 'r');
}

int main(int argc, char **argv)
{
	int nopin = argc > 1 && !strcmp(argv[1], "nopin");
	static char fill[PAGE_SIZE];
	char old[32] = "", *p, *page;
	struct ring r;
	int mfd, fd, ret, wr, rd;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (shmem_enabled_get(old, sizeof(old)) ||
	    (strcmp(old, "advise") && shmem_enabled_set("advise")))
		report_failure("shmem_enabled=advise");
	printf("workload: shmem_enabled was=%s\n", old[0] ? old : "?");

	mfd = memfd_create("collapse-file", 0);
	if (mfd < 0) {
		report_failure("memfd_create");
		return 1;
	}
	memset(fill, 'a', sizeof(fill));
	for (i = 0; i < HPAGE_SIZE; i += PAGE_SIZE)
		if (write(mfd, fill, PAGE_SIZE) != (ssize_t)PAGE_SIZE) {
			report_failure("memfd write");
			return 1;
		}
	p = map_aligned(HPAGE_SIZE);
	if (!p || mmap(p, HPAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, mfd, 0) != p) {
		report_failure("mmap memfd");
		return 1;
	}
	for (i = 0; i < HPAGE_SIZE; i += PAGE_SIZE)
		p[i] = 'a';
	page = p + PIN_PAGE * PAGE_SIZE;

	if (nopin) {
		int tries = 0;

		observe_kpf("cf-nopin-before", p);
		/*
		 * EAGAIN is transient here: a page off the LRU for a
		 * moment (compaction isolating it: SCAN_PAGE_LRU, seen on
		 * stock 6.12).  Nothing pins these pages, so try again, as
		 * MADV_COLLAPSE's callers are told to.
		 */
		do {
			if (tries)
				usleep(100000);
			errno = 0;
			ret = madvise(p, HPAGE_SIZE, MADV_COLLAPSE);
		} while (ret && errno == EAGAIN && ++tries < 5);
		printf("workload: madv_collapse nopin ret=%d errno=%d (%s) tries=%d\n",
		       ret, ret ? errno : 0, ret ? strerror(errno) : "collapsed",
		       tries + 1);
		p[0] = 'b';
		observe_kpf("cf-nopin-after", p);
		goto out;
	}
	fd = scratch_file("collapse-file");
	if (fd < 0 || ring_setup(&r)) {
		report_failure("io_uring/scratch setup");
		return 1;
	}
	if (ring_register(r.fd, page, PAGE_SIZE)) {
		report_failure("io_uring register_buffers");
		return 1;
	}
	observe_kpf("cf-region-before", p);
	observe_kpf("cf-pin-before", page);

	errno = 0;
	ret = madvise(p, HPAGE_SIZE, MADV_COLLAPSE);
	printf("workload: madv_collapse file ret=%d errno=%d (%s)\n", ret,
	       ret ? errno : 0, ret ? strerror(errno) : "collapsed");
	observe_kpf("cf-region-after", p);
	observe_kpf("cf-pin-after", page);

	wr = write_fixed_sees_mapping(&r, fd, page);
	rd = read_fixed_reaches_file(&r, fd, page, mfd,
				     PIN_PAGE * PAGE_SIZE);
	if (wr >= 0 && rd >= 0)
		printf("workload: collapse-file-coherent %s write_fixed=%s "
		       "read_fixed=%s\n", wr && rd ? "ok" : "BROKEN",
		       wr ? "ok" : "stale", rd ? "ok" : "lost");

	if (ring_unregister(r.fd))
		report_failure("io_uring unregister_buffers");
	observe_kpf("cf-pin-unpinned", page);
	close(r.fd);
	close(fd);
out:
	munmap(p, HPAGE_SIZE);
	close(mfd);
	if (old[0] && strcmp(old, "advise") && shmem_enabled_set(old))
		report_failure("shmem_enabled restore");
	printf("workload: done pid=%d\n", getpid());
	return 0;
}
