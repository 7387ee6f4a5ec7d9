/* SPDX-License-Identifier: GPL-2.0 */
/*
 * workload.h: helpers shared by the test workloads in tests/workloads.
 *
 * Each workload is one static binary (tests/vm drops them into an
 * initramfs, with no liburing and no other libraries), so everything here
 * is a static function in this header rather than a library:
 *
 *   - vaddr_to_pfn(), kpageflags_read(), kpagecount_read(),
 *     smaps_anon_huge_kb() and page_is_thp(): what this process maps at
 *     an address, from /proc/self/pagemap, /proc/kpageflags and
 *     /proc/kpagecount (root only) and /proc/self/smaps as the fallback;
 *   - observe(), observe_line(), observe_anon_huge_kb() and
 *     report_failure(): the "workload: ..." lines that tests grep,
 *       workload: <label> pid=<n> vaddr=0x<hex> pfn=0x<hex> thp=<0|1>
 *       workload: <label> pid=<n> anon_huge_kb=<n>
 *       workload: <step> failed: <strerror> (errno=<n>)
 *   - map_aligned() and touch(): anon memory on a 2 MiB boundary, faulted
 *     in one write per 4 KiB page; read_fault_aligned(): one such region
 *     read-faulted (MADV_HUGEPAGE), where the huge zero page goes;
 *   - struct ring, ring_setup(), ring_rw_fixed(), ring_register() and
 *     ring_unregister(): the smallest io_uring, with raw syscalls, that
 *     pins a buffer (IORING_REGISTER_BUFFERS, FOLL_PIN | FOLL_LONGTERM)
 *     and runs one READ_FIXED / WRITE_FIXED on it; scratch_file() gives
 *     it a file to do that I/O on; write_fixed_sees_mapping(): does the
 *     pinned buffer still hold what the process wrote through its
 *     mapping (all_bytes() compares);
 *   - observe_kpf(): observe() from /proc/kpageflags alone;
 *   - two_nodes(), query_nodes(): is there a node 1, and the node of
 *     each page (move_pages() without a target).
 *
 * Functions too large to inline are __maybe_unused: no workload uses all
 * of them, and the workloads build with -Wall -Wextra -Werror.
 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

#ifndef __maybe_unused
#define __maybe_unused	__attribute__((__unused__))
#endif

#define PAGE_SIZE	4096UL
#define HPAGE_SIZE	(2UL << 20)
#define HPAGE_NR	(HPAGE_SIZE / PAGE_SIZE)

/* /proc/self/pagemap entry */
#define PM_PFN_MASK	((1ULL << 55) - 1)
#define PM_PRESENT	(1ULL << 63)

/* /proc/kpageflags bits */
#define KPF_MMAP	11
#define KPF_THP		22
#define KPF_ZERO_PAGE	24

/* pfn mapped at @addr in this process, 0 if none or unreadable. */
static inline uint64_t vaddr_to_pfn(const void *addr)
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

/*
 * The /proc/kpageflags word of @pfn into *@flags: 0 on success, -1 when
 * the file cannot be opened (not root), -2 when @pfn cannot be read.
 */
static inline int kpageflags_read(uint64_t pfn, uint64_t *flags)
{
	int fd = open("/proc/kpageflags", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, flags, sizeof(*flags), pfn * sizeof(*flags));
	close(fd);
	return n == sizeof(*flags) ? 0 : -2;
}

/* /proc/kpagecount of @pfn into *@count: as kpageflags_read(). */
static inline int kpagecount_read(uint64_t pfn, uint64_t *count)
{
	int fd = open("/proc/kpagecount", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, count, sizeof(*count), pfn * sizeof(*count));
	close(fd);
	return n == sizeof(*count) ? 0 : -2;
}

/* AnonHugePages (PMD-mapped THP) of the smaps VMA holding @addr, in kB. */
static __maybe_unused unsigned long smaps_anon_huge_kb(const void *addr)
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
static inline int page_is_thp(const void *addr, uint64_t pfn)
{
	uint64_t flags;

	if (!pfn || kpageflags_read(pfn, &flags))
		return smaps_anon_huge_kb(addr) > 0;
	return !!(flags & (1ULL << KPF_THP));
}

/* One observation line; @suffix (e.g. " node=1") goes before the newline. */
static inline void observe_line(const char *label, const void *addr,
				uint64_t pfn, int thp, const char *suffix)
{
	printf("workload: %s pid=%d vaddr=%#lx pfn=0x%llx thp=%d%s\n", label,
	       getpid(), (unsigned long)(uintptr_t)addr,
	       (unsigned long long)pfn, thp, suffix);
	fflush(stdout);
}

/* What this process maps at @addr, as one observation line. */
static inline void observe(const char *label, const void *addr)
{
	uint64_t pfn = vaddr_to_pfn(addr);

	observe_line(label, addr, pfn, page_is_thp(addr, pfn), "");
}

/* smaps AnonHugePages at @addr: 2048 while a THP is PMD-mapped there. */
static inline void observe_anon_huge_kb(const char *label, const void *addr)
{
	printf("workload: %s pid=%d anon_huge_kb=%lu\n", label, getpid(),
	       smaps_anon_huge_kb(addr));
	fflush(stdout);
}

/* @step went wrong: say so with errno and let the workload go on. */
static inline void report_failure(const char *step)
{
	printf("workload: %s failed: %s (errno=%d)\n", step, strerror(errno),
	       errno);
	fflush(stdout);
}

/* @size bytes of anon memory starting on a 2 MiB boundary. */
static __maybe_unused char *map_aligned(size_t size)
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
 * A 2 MiB aligned MADV_HUGEPAGE region, read at its first byte: the
 * huge zero page mapped by PMD when transparent_hugepage/use_zero_page
 * is 1.  NULL (reported) when it cannot be mapped.
 */
static __maybe_unused char *read_fault_aligned(void)
{
	char *p = map_aligned(HPAGE_SIZE);
	volatile char *v;

	if (!p) {
		report_failure("mmap");
		return NULL;
	}
	if (madvise(p, HPAGE_SIZE, MADV_HUGEPAGE))
		report_failure("madvise(MADV_HUGEPAGE)");
	v = p;
	(void)v[0];
	return p;
}

/* Write @val to the first byte of every 4 KiB page of [@p, @p + @size). */
static inline void touch(char *p, size_t size, int val)
{
	size_t i;

	for (i = 0; i < size; i += PAGE_SIZE)
		p[i] = val;
}

/*
 * The smallest io_uring that can submit one request and reap its
 * completion, with raw syscalls: no liburing in the guest.
 */
struct ring {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static __maybe_unused int ring_setup(struct ring *r)
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
static __maybe_unused int ring_rw_fixed(struct ring *r, int op, int fd,
					void *buf, unsigned int len, off_t off)
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

/* [@buf, @buf + @len) as buffer 0 of io_uring @ring_fd: a long-term pin. */
static inline int ring_register(int ring_fd, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return syscall(__NR_io_uring_register, ring_fd,
		       IORING_REGISTER_BUFFERS, &iov, 1);
}

/* Unregister (unpin) every buffer of io_uring @ring_fd. */
static inline int ring_unregister(int ring_fd)
{
	return syscall(__NR_io_uring_register, ring_fd,
		       IORING_UNREGISTER_BUFFERS, NULL, 0);
}

/* A file for fixed-buffer I/O: memfd @name, or an unlinked /tmp file. */
static inline int scratch_file(const char *name)
{
	int fd = memfd_create(name, 0);

	if (fd < 0)
		fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	return fd;
}

/* 1 if all @len bytes at @p are @val */
static inline int all_bytes(const char *p, size_t len, int val)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != val)
			return 0;
	return 1;
}

/* thp= from /proc/kpageflags alone (no smaps fallback), 0 unreadable */
static __maybe_unused void observe_kpf(const char *label, const void *addr)
{
	uint64_t pfn = vaddr_to_pfn(addr), flags;
	int thp = 0;

	if (pfn && !kpageflags_read(pfn, &flags))
		thp = !!(flags & (1ULL << KPF_THP));
	observe_line(label, addr, pfn, thp, "");
}

/*
 * The process writes @page through its mapping; io_uring writes the
 * pinned buffer to @fd.  1 if the file holds the process's bytes, 0 if
 * it holds something else, -1 if the I/O failed.
 */
static __maybe_unused int write_fixed_sees_mapping(struct ring *r, int fd,
						   char *page)
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

/* Is there a node 1 to migrate to (tests/vm/run --numa)? */
static inline int two_nodes(void)
{
	return !access("/sys/devices/system/node/node1", F_OK);
}

/* Node of each of the @n pages as this process sees it (-errno: none) */
static inline void query_nodes(void **pages, int n, int *status)
{
	int i;

	if (syscall(__NR_move_pages, 0, n, pages, NULL, status, 0))
		for (i = 0; i < n; i++)
			status[i] = -errno;
}

#endif /* WORKLOAD_H */
