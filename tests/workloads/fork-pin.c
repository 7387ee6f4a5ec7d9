// SPDX-License-Identifier: GPL-2.0
/*
 * fork-pin: fork() of a process holding pinned anon pages (issue 4, the
 * 2022 "reliable GUP pins of anonymous pages" seed, invariant 2).
 *
 *   1. FOLL_LONGTERM pin of a small anon page with io_uring
 *      IORING_REGISTER_BUFFERS, fork, the child writes; the parent writes
 *      its own pattern and has io_uring write the pinned buffer out
 *      (IORING_OP_WRITE_FIXED into a memfd): if the pinned page is still
 *      the parent's, the file holds the parent's pattern   (pin-small-*)
 *   2. the same with a PMD-mapped THP: fork cannot share a pinned THP,
 *      it splits the parent's PMD and copies every subpage  (pin-thp-*)
 *   3. unregister: every page is unpinned                   (*-unpinned)
 *   4. O_DIRECT reads into an anon buffer while the process forks: a
 *      short-term GUP reference (FOLL_GET in 6.1's 9p and block paths)
 *      held across fork; the parent writes elsewhere in the same pages.
 *      Data landing in a page the parent no longer maps is lost (odirect-*)
 *
 * Every observation is one line that tests grep:
 *   workload: <label> pid=<n> vaddr=0x<hex> pfn=0x<hex> thp=<0|1>
 * plus `workload: <label> pid=<n> anon_huge_kb=<n>` for the THP (smaps
 * AnonHugePages: 0 once fork has split the pinned THP's PMD),
 * `workload: pin-coherent ok|BROKEN pin=<small|thp>` and
 * `workload: odirect-fork ok|BROKEN ...`.  A step the running kernel
 * refuses is reported with a "failed" (or "skipped") line and the run
 * goes on; the exit status is 0 unless memory cannot be mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
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

static int ring_register(struct ring *r, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return syscall(__NR_io_uring_register, r->fd,
		       IORING_REGISTER_BUFFERS, &iov, 1);
}

static int ring_unregister(struct ring *r)
{
	return syscall(__NR_io_uring_register, r->fd,
		       IORING_UNREGISTER_BUFFERS, NULL, 0);
}

/* A file to write the pinned buffer into: memfd, or an unlinked /tmp file. */
static int scratch_file(void)
{
	int fd = memfd_create("fork-pin", 0);

	if (fd < 0)
		fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	return fd;
}

static void observe_pair(const char *prefix, const char *what,
			 const char *p, size_t len)
{
	char label[64];

	snprintf(label, sizeof(label), "%s-%s", prefix, what);
	observe(label, p);
	if (len <= PAGE_SIZE)
		return;
	observe(label, p + len / 2);
	/* 2048 while the THP is PMD-mapped here; fork splits a pinned one. */
	printf("workload: %s pid=%d anon_huge_kb=%lu\n", label, getpid(),
	       smaps_anon_huge_kb(p));
	fflush(stdout);
}

/* Does the pinned buffer still hold what the parent wrote through its mapping? */
static int pinned_matches(struct ring *r, int fd, char *p, size_t len, int val)
{
	size_t i, chunk = 64 * 1024;
	char *back = malloc(chunk);
	int ok = 1, ret;

	if (!back)
		return -1;
	for (i = 0; i < len && ok; i += chunk) {
		ret = ring_rw_fixed(r, IORING_OP_WRITE_FIXED, fd, p + i,
				    chunk < len - i ? chunk : len - i, i);
		if (ret < 0) {
			errno = -ret;
			report_failure("io_uring write_fixed");
			ok = -1;
			break;
		}
		if (pread(fd, back, ret, i) != ret) {
			report_failure("pread");
			ok = -1;
			break;
		}
		ok = back[0] == val && !memcmp(back, back + 1, ret - 1);
	}
	free(back);
	return ok;
}

/*
 * Pin @p, fork, the child writes 'c' while the parent writes 'p'; the
 * pinned pages must still be the parent's (fork copies a maybe-pinned
 * page into the child instead of sharing it).
 */
static void step_pin_fork(struct ring *r, const char *what, char *p,
			  size_t len)
{
	int to_child[2], to_parent[2], fd, status, ok;
	char prefix[32], c = 0;
	pid_t pid;

	snprintf(prefix, sizeof(prefix), "pin-%s", what);
	memset(p, 'a', len);
	observe_pair(prefix, "before", p, len);
	if (ring_register(r, p, len)) {
		report_failure("io_uring register_buffers");
		return;
	}
	observe_pair(prefix, "pinned", p, len);
	fd = scratch_file();
	if (fd < 0 || pipe(to_child) || pipe(to_parent)) {
		report_failure("pin setup");
		goto unpin;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		report_failure("fork");
		goto unpin;
	}
	if (pid == 0) {
		p[0] = 'c';
		observe_pair(prefix, "child", p, len);
		if (write(to_parent[1], &c, 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	if (read(to_parent[0], &c, 1) != 1)
		report_failure("pin sync");
	memset(p, 'p', len);
	observe_pair(prefix, "parent", p, len);
	ok = pinned_matches(r, fd, p, len, 'p');
	if (ok >= 0)
		printf("workload: pin-coherent %s pin=%s\n",
		       ok ? "ok" : "BROKEN", what);
	if (write(to_child[1], &c, 1) != 1)
		report_failure("pin sync");
	waitpid(pid, &status, 0);
	observe_pair(prefix, "after-fork", p, len);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
unpin:
	if (fd >= 0)
		close(fd);
	if (ring_unregister(r))
		report_failure("io_uring unregister_buffers");
	observe_pair(prefix, "unpinned", p, len);
}

#define DIO_PAGES	8
#define DIO_LEN		2048	/* read into the first half of each page */
#define DIO_OFF		3000	/* the parent writes here meanwhile */
#define DIO_READS	40

struct dio {
	int fd;
	char *buf;
	const char *data;
	volatile int done;
	int lost;
};

/* Reader thread: O_DIRECT preadv into the first half of every page. */
static void *dio_reader(void *arg)
{
	struct dio *d = arg;
	struct iovec iov[DIO_PAGES];
	int i, n;

	for (i = 0; i < DIO_PAGES; i++) {
		iov[i].iov_base = d->buf + i * PAGE_SIZE;
		iov[i].iov_len = DIO_LEN;
	}
	for (n = 0; n < DIO_READS; n++) {
		for (i = 0; i < DIO_PAGES; i++)
			memset(d->buf + i * PAGE_SIZE, 0, DIO_LEN);
		if (preadv(d->fd, iov, DIO_PAGES, 0) != DIO_PAGES * DIO_LEN) {
			d->lost = -1;
			break;
		}
		for (i = 0; i < DIO_PAGES; i++)
			if (memcmp(d->buf + i * PAGE_SIZE,
				   d->data + i * DIO_LEN, DIO_LEN))
				d->lost++;
	}
	d->done = 1;
	return NULL;
}

static const char *dio_path(void)
{
	if (!access("/out", W_OK))
		return "/out/fork-pin.odirect";
	return "fork-pin.odirect";
}

/*
 * O_DIRECT reads in a thread while the main thread forks and writes the
 * second half of the same pages.  tmpfs has no O_DIRECT: the file lives
 * on /out (9p in the VM) or in the cwd.
 */
static void step_odirect_fork(void)
{
	static char data[DIO_PAGES * DIO_LEN];
	const char *path = dio_path();
	struct dio d = { .data = data };
	pthread_t tid;
	int fd, i, forks = 0, status;
	pid_t pid;

	for (i = 0; i < (int)sizeof(data); i++)
		data[i] = 'A' + i % 23;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, sizeof(data)) != sizeof(data)) {
		report_failure("odirect file");
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	d.fd = open(path, O_RDONLY | O_DIRECT);
	if (d.fd < 0) {
		printf("workload: odirect skipped: %s: %s (errno=%d)\n", path,
		       strerror(errno), errno);
		unlink(path);
		return;
	}
	d.buf = mmap(NULL, DIO_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d.buf == MAP_FAILED) {
		report_failure("odirect mmap");
		goto out;
	}
	madvise(d.buf, DIO_PAGES * PAGE_SIZE, MADV_NOHUGEPAGE);
	touch(d.buf, DIO_PAGES * PAGE_SIZE, 1);
	observe("odirect-before", d.buf);
	observe("odirect-before", d.buf + (DIO_PAGES - 1) * PAGE_SIZE);
	fflush(stdout);
	if (pthread_create(&tid, NULL, dio_reader, &d)) {
		report_failure("pthread_create");
		goto out;
	}
	while (!d.done && forks < 4 * DIO_READS) {
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0) {
			report_failure("fork");
			break;
		}
		forks++;
		/* A write fault on a page fork made read-only: COW. */
		for (i = 0; i < DIO_PAGES; i++)
			d.buf[i * PAGE_SIZE + DIO_OFF]++;
		waitpid(pid, &status, 0);
	}
	pthread_join(tid, NULL);
	observe("odirect-after", d.buf);
	observe("odirect-after", d.buf + (DIO_PAGES - 1) * PAGE_SIZE);
	if (d.lost < 0)
		report_failure("odirect preadv");
	else
		printf("workload: odirect-fork %s reads=%d forks=%d lost=%d\n",
		       d.lost ? "BROKEN" : "ok", DIO_READS, forks, d.lost);
out:
	close(d.fd);
	unlink(path);
}

int main(void)
{
	struct ring r;
	char *small, *thp;

	setvbuf(stdout, NULL, _IOLBF, 0);
	small = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	thp = map_aligned(HPAGE_SIZE);
	if (small == MAP_FAILED || !thp)
		return 1;
	if (madvise(thp, HPAGE_SIZE, MADV_HUGEPAGE))
		report_failure("madvise(MADV_HUGEPAGE)");
	if (ring_setup(&r)) {
		report_failure("io_uring_setup");
	} else {
		step_pin_fork(&r, "small", small, PAGE_SIZE);
		step_pin_fork(&r, "thp", thp, HPAGE_SIZE);
		close(r.fd);
	}
	step_odirect_fork();
	printf("workload: done pid=%d\n", getpid());
	return 0;
}
