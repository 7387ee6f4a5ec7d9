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
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define PAGE_SIZE	4096UL
#define HPAGE_SIZE	(2UL << 20)

#define PM_PFN_MASK	((1ULL << 55) - 1)
#define PM_PRESENT	(1ULL << 63)
#define KPF_THP		22

/* The pinned page: somewhere in the middle of the 2 MiB. */
#define PIN_PAGE	7

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

/* KPF_THP of @pfn from /proc/kpageflags, 0 when unreadable. */
static int pfn_is_thp(uint64_t pfn)
{
	uint64_t flags = 0;
	int fd = open("/proc/kpageflags", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &flags, sizeof(flags), pfn * sizeof(flags)) !=
	    sizeof(flags))
		flags = 0;
	close(fd);
	return !!(flags & (1ULL << KPF_THP));
}

static void observe(const char *label, const void *addr)
{
	uint64_t pfn = vaddr_to_pfn(addr);

	printf("workload: %s pid=%d vaddr=%#lx pfn=%#llx thp=%d\n", label,
	       getpid(), (unsigned long)(uintptr_t)addr,
	       (unsigned long long)pfn, pfn ? pfn_is_thp(pfn) : 0);
}

static void report_failure(const char *step)
{
	printf("workload: %s failed: %s (errno=%d)\n", step, strerror(errno),
	       errno);
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

/*
 * The smallest io_uring that can submit one request and reap its
 * completion, with raw syscalls: no liburing in the guest (as fork-pin).
 */
struct ring {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int ring_setup(struct ring *r)
{
	struct io_uring_params p;
	size_t sq_len, cq_len;
	char *sq, *cq;

	memset(&p, 0, sizeof(p));
	r->fd = syscall(__NR_io_uring_setup, 4, &p);
	if (r->fd < 0)
		return -1;
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if ((p.features & IORING_FEAT_SINGLE_MMAP) && cq_len > sq_len)
		sq_len = cq_len;
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		goto fail;
	cq = sq;
	if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
		cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
		if (cq == MAP_FAILED)
			goto fail;
	}
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		goto fail;
	r->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)(sq + p.sq_off.array);
	r->cq_head = (unsigned int *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
fail:
	close(r->fd);
	r->fd = -1;
	return -1;
}

/* One READ_FIXED / WRITE_FIXED on registered buffer 0; cqe res or -errno. */
static int ring_rw_fixed(struct ring *r, int op, int fd, void *buf,
			 unsigned int len, off_t off)
{
	unsigned int tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	struct io_uring_sqe *sqe = &r->sqes[idx];
	int res;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->fd = fd;
	sqe->addr = (uintptr_t)buf;
	sqe->len = len;
	sqe->off = off;
	sqe->buf_index = 0;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1,
		    IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	head = *r->cq_head;
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* A file for the fixed-buffer I/O: memfd, or an unlinked /tmp file. */
static int scratch_file(void)
{
	int fd = memfd_create("collapse-broken", 0);

	if (fd < 0)
		fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	return fd;
}

static int all_bytes(const char *p, size_t len, int val)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != val)
			return 0;
	return 1;
}

/*
 * The process writes @page through its mapping; io_uring writes the
 * pinned buffer to @fd.  1 if the file holds the process's bytes, 0 if
 * it holds something else, -1 if the I/O failed.
 */
static int write_fixed_sees_mapping(struct ring *r, int fd, char *page)
{
	static char back[PAGE_SIZE];
	int res;

	memset(page, 'p', PAGE_SIZE);
	res = ring_rw_fixed(r, IORING_OP_WRITE_FIXED, fd, page, PAGE_SIZE, 0);
	if (res != (int)PAGE_SIZE) {
		errno = res < 0 ? -res : EIO;
		report_failure("io_uring write_fixed");
		return -1;
	}
	if (pread(fd, back, PAGE_SIZE, 0) != (ssize_t)PAGE_SIZE) {
		report_failure("pread");
		return -1;
	}
	return all_bytes(back, PAGE_SIZE, 'p');
}

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
	struct iovec iov;
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

	fd = scratch_file();
	if (fd < 0 || ring_setup(&r)) {
		report_failure("io_uring/scratch setup");
		return 1;
	}
	iov.iov_base = page;
	iov.iov_len = PAGE_SIZE;
	if (syscall(__NR_io_uring_register, r.fd, IORING_REGISTER_BUFFERS,
		    &iov, 1)) {
		report_failure("io_uring register_buffers");
		return 1;
	}
	observe("region-before", p);
	observe("pin-before", page);

	/* VM_NOHUGEPAGE makes MADV_COLLAPSE refuse the range: clear it */
	if (madvise(p, HPAGE_SIZE, MADV_HUGEPAGE))
		report_failure("madvise(MADV_HUGEPAGE)");
	errno = 0;
	ret = madvise(p, HPAGE_SIZE, MADV_COLLAPSE);
	printf("workload: madv_collapse pin ret=%d errno=%d (%s)\n", ret,
	       ret ? errno : 0, ret ? strerror(errno) : "collapsed");
	observe("region-after", p);
	observe("pin-after", page);

	wr = write_fixed_sees_mapping(&r, fd, page);
	rd = read_fixed_reaches_mapping(&r, fd, page);
	if (wr >= 0 && rd >= 0)
		printf("workload: collapse-pin-coherent %s write_fixed=%s "
		       "read_fixed=%s\n", wr && rd ? "ok" : "BROKEN",
		       wr ? "ok" : "stale", rd ? "ok" : "lost");

	if (syscall(__NR_io_uring_register, r.fd, IORING_UNREGISTER_BUFFERS,
		    NULL, 0))
		report_failure("io_uring unregister_buffers");
	observe("pin-unpinned", page);
	close(r.fd);
	close(fd);
	printf("workload: done pid=%d\n", getpid());
	return 0;
}
