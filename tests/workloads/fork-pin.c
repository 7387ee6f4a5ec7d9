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
 *      it splits the parent's PMD and copies every subpage  (pin-thp-*;
 *      the child's pin-thp-forked, before its write, shows its own pfns
 *      and anon_huge_kb=0, or the pinned THP's PMD if fork shared it)
 *   3. unregister: every page is unpinned                   (*-unpinned)
 *      (`fork-pin small` runs step 1 and its unregister only)
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
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "workload.h"

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
	observe_anon_huge_kb(label, p);
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
	if (ring_register(r->fd, p, len)) {
		report_failure("io_uring register_buffers");
		return;
	}
	observe_pair(prefix, "pinned", p, len);
	fd = scratch_file("fork-pin");
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
		/* before its write: the pinned page itself only if fork shared it */
		observe_pair(prefix, "forked", p, len);
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
	if (ring_unregister(r->fd))
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

int main(int argc, char **argv)
{
	/* "fork-pin small": step 1 alone, a recording small enough to commit */
	int only_small = argc > 1 && !strcmp(argv[1], "small");
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
		if (!only_small)
			step_pin_fork(&r, "thp", thp, HPAGE_SIZE);
		close(r.fd);
	}
	if (!only_small)
		step_odirect_fork();
	printf("workload: done pid=%d\n", getpid());
	return 0;
}
