// SPDX-License-Identifier: GPL-2.0
/*
 * migrate-held: move_pages() of a page a pipe still holds (issue 11: the
 * reference that blocks a migration, named).
 *
 *   1. four small anon pages faulted in on node 0 (MPOL_BIND while
 *      faulting)                   (held-before)
 *   2. the second one vmsplice()d into a pipe: the pipe holds a
 *      reference (GUP, FOLL_GET) until it is read.  move_pages() of all
 *      four to node 1: the kernel cannot move the held page (its refcount
 *      is more than its mapping explains: -EAGAIN, retried, given up)
 *      and moves the others        (held-moved)
 *   3. the pipe read (reference dropped), move_pages() again: the page
 *      moves                       (held-released)
 *
 * Needs two NUMA nodes (tests/vm/run --numa); with one it prints
 * `workload: migrate skipped: one node` and exits 0.
 *
 * Observations, as migrate-fork's:
 *   workload: <label> pid=<n> vaddr=0x<hex> pfn=0x<hex> thp=0 node=<n>
 *   workload: move_pages to=<node> ret=<n> status=<s,...>
 */
#include <fcntl.h>
#include <sys/uio.h>

#include "workload.h"

#define NR		4
#define HELD		1	/* the index of the vmsplice()d page */
#define MPOL_DEFAULT	0
#define MPOL_BIND	2
#define MPOL_MF_MOVE	(1 << 1)

static void *pages[NR];

static void observe_all(const char *label)
{
	int status[NR], i;
	char suffix[24];

	if (syscall(__NR_move_pages, 0, NR, pages, NULL, status, 0))
		for (i = 0; i < NR; i++)
			status[i] = -errno;
	for (i = 0; i < NR; i++) {
		uint64_t pfn = vaddr_to_pfn(pages[i]);

		snprintf(suffix, sizeof(suffix), " node=%d", status[i]);
		observe_line(label, pages[i], pfn, 0, suffix);
	}
	fflush(stdout);
}

static void move_all(int node)
{
	int nodes[NR], status[NR], i;
	long ret;

	for (i = 0; i < NR; i++) {
		nodes[i] = node;
		status[i] = -1;
	}
	ret = syscall(__NR_move_pages, 0, NR, pages, nodes, status,
		      MPOL_MF_MOVE);
	if (ret < 0)
		report_failure("move_pages");
	printf("workload: move_pages to=%d ret=%ld status=", node, ret);
	for (i = 0; i < NR; i++)
		printf("%s%d", i ? "," : "", status[i]);
	printf("\n");
	fflush(stdout);
}

int main(void)
{
	unsigned long node0 = 1;
	struct iovec iov;
	int fds[2], i;
	char *p, buf[PAGE_SIZE];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access("/sys/devices/system/node/node1", F_OK)) {
		printf("workload: migrate skipped: one node\n");
		return 0;
	}
	p = map_aligned(HPAGE_SIZE);
	if (!p)
		return 1;
	if (madvise(p, HPAGE_SIZE, MADV_NOHUGEPAGE))
		report_failure("madvise(MADV_NOHUGEPAGE)");
	if (syscall(__NR_set_mempolicy, MPOL_BIND, &node0, 8 * sizeof(node0)))
		report_failure("set_mempolicy");
	touch(p, NR * PAGE_SIZE, 3);
	if (syscall(__NR_set_mempolicy, MPOL_DEFAULT, NULL, 0))
		report_failure("set_mempolicy");
	for (i = 0; i < NR; i++)
		pages[i] = p + i * PAGE_SIZE;
	observe_all("held-before");

	if (pipe(fds)) {
		report_failure("pipe");
		return 1;
	}
	iov.iov_base = pages[HELD];
	iov.iov_len = PAGE_SIZE;
	if (vmsplice(fds[1], &iov, 1, 0) != (ssize_t)PAGE_SIZE)
		report_failure("vmsplice");
	move_all(1);
	observe_all("held-moved");

	if (read(fds[0], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		report_failure("read(pipe)");
	move_all(1);
	observe_all("held-released");
	printf("workload: done pid=%d\n", getpid());
	return 0;
}
