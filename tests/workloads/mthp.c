// SPDX-License-Identifier: GPL-2.0
/*
 * mthp: multi-size THP (6.8+), 64 KiB anon folios (order 4) through their
 * life, for the folio-era engine (issue 9):
 *
 *   1. write "madvise" to hugepages-64kB/enabled and fault a MADV_HUGEPAGE
 *      region smaller than 2 MiB: 64 KiB folios, each mapped by 16 PTEs
 *      in one folio_add_new_anon_rmap()                  (mthp, mthp-tail)
 *   2. io_uring REGISTER_BUFFERS pins one folio (_pincount 1), fork:
 *      the child must get copies, never the pinned folio; unregister
 *                                      (mthp-pin, mthp-pin-child, ...)
 *   3. fork; the child reads (fork's inline PTE batch shares the folio),
 *      writes one page (COW) and exits; the parent writes after
 *                                      (mthp-cow-child, mthp-cow-parent)
 *   4. split through debugfs split_huge_pages: one folio to order 2
 *      (new_order), one after MADV_DONTNEED of a page to order 0
 *                                      (mthp-split2, mthp-split0)
 *   5. with hugepages-2048kB off, fault 64 KiB folios into an aligned
 *      2 MiB range, then MADV_COLLAPSE it into a PMD-mapped THP
 *                                      (mthp-collapse-before/after)
 *
 * The sysfs switches are put back as they were.  Without
 * hugepages-64kB (kernel before 6.8) the workload says
 * "workload: mthp skipped: ..." and exits 0.
 */
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "workload.h"

#define MTHP_SIZE	(64UL << 10)
#define MTHP_NR		8		/* folios in the small region */
#define SYSFS_THP	"/sys/kernel/mm/transparent_hugepage/"
#define SYSFS_64K	SYSFS_THP "hugepages-64kB/enabled"
#define SYSFS_2M	SYSFS_THP "hugepages-2048kB/enabled"

/* The [bracketed] word of a THP "enabled" file into @buf; 0 or -1. */
static int sysfs_get(const char *path, char *buf, size_t size)
{
	char line[128], *l, *r;
	FILE *f = fopen(path, "r");

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

static int sysfs_set(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/* Anon memory of @size on a 64 KiB boundary, in a VMA under 2 MiB. */
static char *map_small(size_t size)
{
	char *raw = mmap(NULL, size + MTHP_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *p;

	if (raw == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)raw + MTHP_SIZE - 1) & ~(MTHP_SIZE - 1));
	if (p > raw)
		munmap(raw, p - raw);
	if (p + size < raw + size + MTHP_SIZE)
		munmap(p + size, raw + size + MTHP_SIZE - (p + size));
	if (madvise(p, size, MADV_HUGEPAGE))
		report_failure("madvise(MADV_HUGEPAGE)");
	return p;
}

static void step_cow(char *p)
{
	volatile char sink;
	pid_t pid = fork();

	if (pid < 0) {
		report_failure("fork");
		return;
	}
	if (!pid) {
		sink = p[0];
		(void)sink;
		observe("mthp-fork-child", p);
		p[PAGE_SIZE] = 'c';
		observe("mthp-cow-child", p + PAGE_SIZE);
		observe("mthp-cow-child-shared", p + 2 * PAGE_SIZE);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	p[PAGE_SIZE] = 'p';
	observe("mthp-cow-parent", p + PAGE_SIZE);
}

/* A pinned 64 KiB folio across fork: the child gets copies. */
static void step_pin(char *p)
{
	struct ring r;
	pid_t pid;

	if (ring_setup(&r)) {
		report_failure("io_uring_setup");
		return;
	}
	if (ring_register(r.fd, p, MTHP_SIZE)) {
		report_failure("io_uring register_buffers");
		close(r.fd);
		return;
	}
	observe("mthp-pin", p);
	pid = fork();
	if (!pid) {
		observe("mthp-pin-child", p);
		p[0] = 'c';
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	else
		report_failure("fork");
	p[0] = 'p';
	observe("mthp-pin-parent", p);
	if (ring_unregister(r.fd))
		report_failure("io_uring unregister_buffers");
	close(r.fd);
	observe("mthp-unpinned", p);
}

/* debugfs split_huge_pages: "<pid>,<start>,<end>,<new_order>" (6.10+) */
static void split_to(char *p, int order, const char *label)
{
	static const char path[] = "/sys/kernel/debug/split_huge_pages";
	char cmd[128];
	int fd, n;

	fd = open(path, O_WRONLY);
	if (fd < 0 && !mount("none", "/sys/kernel/debug", "debugfs", 0, NULL))
		fd = open(path, O_WRONLY);
	if (fd < 0) {
		report_failure("open split_huge_pages");
		return;
	}
	n = snprintf(cmd, sizeof(cmd), "%d,0x%lx,0x%lx,%d", getpid(),
		     (unsigned long)p, (unsigned long)(p + MTHP_SIZE), order);
	if (write(fd, cmd, n) != n)
		report_failure("write split_huge_pages");
	close(fd);
	printf("workload: split to order %d\n", order);
	observe(label, p + 4 * PAGE_SIZE);
}

static void step_collapse(void)
{
	char old2m[32] = "inherit", *c;
	int ret;

	sysfs_get(SYSFS_2M, old2m, sizeof(old2m));
	if (sysfs_set(SYSFS_2M, "never"))
		report_failure("hugepages-2048kB never");
	c = map_aligned(HPAGE_SIZE);
	if (!c) {
		report_failure("mmap");
		return;
	}
	if (madvise(c, HPAGE_SIZE, MADV_HUGEPAGE))
		report_failure("madvise(MADV_HUGEPAGE)");
	touch(c, HPAGE_SIZE, 'x');
	sysfs_set(SYSFS_2M, old2m);
	observe("mthp-collapse-before", c);
	observe("mthp-collapse-before-tail", c + HPAGE_SIZE / 2);
	ret = madvise(c, HPAGE_SIZE, MADV_COLLAPSE);
	printf("workload: madv_collapse mthp ret=%d errno=%d\n", ret,
	       ret ? errno : 0);
	observe("mthp-collapse-after", c);
	observe_anon_huge_kb("mthp-collapse-after", c);
	munmap(c, HPAGE_SIZE);
}

int main(void)
{
	size_t size = MTHP_NR * MTHP_SIZE;
	char old64[32];
	char *p;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sysfs_get(SYSFS_64K, old64, sizeof(old64)) ||
	    sysfs_set(SYSFS_64K, "madvise")) {
		printf("workload: mthp skipped: no %s (kernel before 6.8?)\n",
		       SYSFS_64K);
		return 0;
	}
	p = map_small(size);
	if (!p) {
		report_failure("mmap");
		sysfs_set(SYSFS_64K, old64);
		return 1;
	}
	touch(p, size, 'a');
	observe("mthp", p);
	observe("mthp-tail", p + 15 * PAGE_SIZE);
	/* pin first: after a fork the parent's folios are write-protected
	 * and a FOLL_WRITE pin would COW it into small pages */
	step_pin(p + 2 * MTHP_SIZE);
	step_cow(p);
	split_to(p + 4 * MTHP_SIZE, 2, "mthp-split2");
	if (madvise(p + 5 * MTHP_SIZE + 3 * PAGE_SIZE, PAGE_SIZE,
		    MADV_DONTNEED))
		report_failure("madvise(MADV_DONTNEED)");
	split_to(p + 5 * MTHP_SIZE, 0, "mthp-split0");
	step_collapse();
	munmap(p, size);
	sysfs_set(SYSFS_64K, old64);
	printf("workload: done pid=%d\n", getpid());
	return 0;
}
