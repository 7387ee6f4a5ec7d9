// SPDX-License-Identifier: GPL-2.0
/*
 * migrate-fork: move_pages() of pages shared across fork while the
 * process keeps forking (issue 4, the 2010 "migration during fork" seed,
 * invariant 4).
 *
 *   1. a THP and a few small pages in one anon region, faulted in on
 *      node 0 (MPOL_BIND while faulting); fork a child that
 *      keeps them mapped (shared with the parent: same pfns)
 *                                   (migrate-parent/child-before)
 *   2. a thread forks short-lived children in a loop (each reads the
 *      pages, then exits) while the main thread moves the pages to
 *      node 1 with MPOL_MF_MOVE_ALL: every mm holding them gets a
 *      migration entry set and removed, the THP by PMD
 *                                   (migrate-parent/child-node1)
 *   3. the same back to node 0, three round trips
 *                                   (migrate-parent/child-after)
 *   4. the child gone, the parent writes the pages (reusing them: anon
 *      exclusive again) and moves them to node 1 once more: writable
 *      migration entries, remapped with RMAP_EXCLUSIVE
 *                                   (migrate-parent-alone)
 *
 * Needs two NUMA nodes (tests/vm/run --numa); with one it prints
 * `workload: migrate skipped: one node` and exits 0.
 *
 * Every observation is one line that tests grep:
 *   workload: <label> pid=<n> vaddr=0x<hex> pfn=0x<hex> thp=<0|1> node=<n>
 * (node from move_pages() with nodes=NULL; negative is -errno), plus
 * `workload: move_pages to=<node> ret=<n> status=<s,...>` per move.  A
 * step the running kernel refuses is reported with a "failed" line and
 * the run goes on; the exit status is 0 unless memory cannot be mapped.
 */
#include <pthread.h>
#include <sys/wait.h>

#include "workload.h"

#define MPOL_MF_MOVE_ALL	(1 << 2)

/* The usual observation line, plus the page's node. */
static void observe_node(const char *label, const void *addr, int node)
{
	uint64_t pfn = vaddr_to_pfn(addr);
	char suffix[24];

	snprintf(suffix, sizeof(suffix), " node=%d", node);
	observe_line(label, addr, pfn, page_is_thp(addr, pfn), suffix);
}

#define SMALL_NR	4
#define NR_PAGES	(2 + SMALL_NR)
#define MAX_FORKS	400
#define ROUNDS		3	/* node 0 -> 1 -> 0 round trips */

#define MPOL_DEFAULT	0
#define MPOL_BIND	2

static void *pages[NR_PAGES];

static const char *const child_labels[] = {
	"migrate-child-before", "migrate-child-node1", "migrate-child-after",
};


static void observe_all(const char *label)
{
	int status[NR_PAGES], i;

	query_nodes(pages, NR_PAGES, status);
	for (i = 0; i < NR_PAGES; i++)
		observe_node(label, pages[i], status[i]);
	fflush(stdout);
}

/*
 * Move every page but pages[1]: that one is a tail of the THP at
 * pages[0], which moves whole (asking for it again only gets -EBUSY).
 */
static void move_all(int node)
{
	int nodes[NR_PAGES], status[NR_PAGES], i;
	void *list[NR_PAGES];
	long ret;

	list[0] = pages[0];
	for (i = 2; i < NR_PAGES; i++)
		list[i - 1] = pages[i];
	for (i = 0; i < NR_PAGES - 1; i++) {
		nodes[i] = node;
		status[i] = -1;
	}
	ret = syscall(__NR_move_pages, 0, NR_PAGES - 1, list, nodes, status,
		      MPOL_MF_MOVE_ALL);
	if (ret < 0)
		report_failure("move_pages");
	printf("workload: move_pages to=%d ret=%ld status=", node, ret);
	for (i = 0; i < NR_PAGES - 1; i++)
		printf("%s%d", i ? "," : "", status[i]);
	printf("\n");
	fflush(stdout);
}

/*
 * The long-lived child: keeps the pages mapped and observes them when the
 * parent sends the index of a label; EOF on the pipe ends it.
 */
static void sharer(int cmd_fd, int ack_fd)
{
	char c;

	while (read(cmd_fd, &c, 1) == 1) {
		if (c >= 0 && c < (char)(sizeof(child_labels) /
					 sizeof(child_labels[0])))
			observe_all(child_labels[(int)c]);
		if (write(ack_fd, &c, 1) != 1)
			break;
	}
	_exit(0);
}

static void ask_sharer(int cmd_fd, int ack_fd, char c)
{
	if (write(cmd_fd, &c, 1) != 1 || read(ack_fd, &c, 1) != 1)
		report_failure("sharer sync");
}

static volatile int stop_forking;
static int forks;

/* Forks children that touch the pages while migration entries come and go. */
static void *forker(void *arg)
{
	volatile char *thp = arg;
	int status;
	pid_t pid;

	while (!stop_forking && forks < MAX_FORKS) {
		pid = fork();
		if (pid == 0) {
			(void)thp[0];
			(void)thp[HPAGE_SIZE];
			_exit(0);
		}
		if (pid < 0)
			break;
		forks++;
		waitpid(pid, &status, 0);
	}
	return NULL;
}


int main(void)
{
	unsigned long node0 = 1;
	int cmd[2], ack[2], i, status;
	pthread_t tid;
	char *p;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!two_nodes()) {
		printf("workload: migrate skipped: one node\n");
		return 0;
	}
	p = map_aligned(2 * HPAGE_SIZE);
	if (!p)
		return 1;
	if (madvise(p, HPAGE_SIZE, MADV_HUGEPAGE))
		report_failure("madvise(MADV_HUGEPAGE)");
	if (madvise(p + HPAGE_SIZE, HPAGE_SIZE, MADV_NOHUGEPAGE))
		report_failure("madvise(MADV_NOHUGEPAGE)");
	/* Fault them in on node 0, whichever CPU we run on. */
	if (syscall(__NR_set_mempolicy, MPOL_BIND, &node0, 8 * sizeof(node0)))
		report_failure("set_mempolicy");
	touch(p, HPAGE_SIZE, 1);
	touch(p + HPAGE_SIZE, SMALL_NR * PAGE_SIZE, 2);
	if (syscall(__NR_set_mempolicy, MPOL_DEFAULT, NULL, 0))
		report_failure("set_mempolicy");
	pages[0] = p;
	pages[1] = p + HPAGE_SIZE / 2;
	for (i = 0; i < SMALL_NR; i++)
		pages[2 + i] = p + HPAGE_SIZE + i * PAGE_SIZE;

	if (pipe(cmd) || pipe(ack)) {
		report_failure("pipe");
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		report_failure("fork");
		return 1;
	}
	if (pid == 0) {
		close(cmd[1]);
		close(ack[0]);
		sharer(cmd[0], ack[1]);
	}
	close(cmd[0]);
	close(ack[1]);

	observe_all("migrate-parent-before");
	ask_sharer(cmd[1], ack[0], 0);

	if (pthread_create(&tid, NULL, forker, p)) {
		report_failure("pthread_create");
		stop_forking = 1;
	}
	for (i = 0; i < ROUNDS; i++) {
		move_all(1);
		if (i == 0) {
			observe_all("migrate-parent-node1");
			ask_sharer(cmd[1], ack[0], 1);
		}
		move_all(0);
	}
	stop_forking = 1;
	pthread_join(tid, NULL);
	printf("workload: forks during migration=%d\n", forks);
	observe_all("migrate-parent-after");
	ask_sharer(cmd[1], ack[0], 2);

	close(cmd[1]);		/* EOF ends the sharer */
	waitpid(pid, &status, 0);

	touch(p, HPAGE_SIZE, 3);
	touch(p + HPAGE_SIZE, SMALL_NR * PAGE_SIZE, 4);
	move_all(1);
	observe_all("migrate-parent-alone");
	printf("workload: done pid=%d\n", getpid());
	return 0;
}
