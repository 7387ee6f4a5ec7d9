// SPDX-License-Identifier: GPL-2.0
/*
 * migrate-pmd-left: move_pages() of a PMD-mapped THP, migrated whole
 * under a PMD migration entry, then the process asks where its pages
 * are (issue 10: a migration entry left by the PMD path,
 * remove_migration_pmd(), where migrate-child-left leaves PTE entries
 * in another mm).
 *
 *   1. a holder process (forked, so that the workload itself can end)
 *      faults in a THP and one small page on node 0 with a pattern
 *      (mpl-before, with their pfns and thp=)
 *   2. it moves both to node 1 with move_pages(MPOL_MF_MOVE): the THP
 *      whole, by a PMD migration entry, the small page by a PTE one
 *      (`move_pages to=1 ret= status=`)
 *   3. it asks move_pages() (nodes == NULL) for the node of the THP's
 *      head, of a page in its middle and of the small page (mpl-after
 *      node=, no pfn): 1 on a sound kernel, then it reads the pattern
 *      back under alarm(), looks at the THP's pfn and KPF_THP and prints
 *      `workload: migrate-pmd-left ok`.  -EFAULT (-14) for the THP means
 *      its PMD is still a migration entry (follow_page() with FOLL_DUMP
 *      on a non-present PMD): `workload: migrate-pmd-left BROKEN`.
 *
 * A left PMD migration entry points at the freed source THP, and every
 * kernel path that looks at it -- a fault, /proc/PID/pagemap or smaps,
 * the zap at exit -- hits BUG_ON(!PageLocked) in pfn_swap_entry_to_page()
 * (6.1 swapops.h) with the PMD lock held.  So a BROKEN holder never
 * reads its pagemap, never touches the THP and never exits: it closes
 * its output and sleeps; the workload ends without waiting for it
 * (tests/vm/run powers the VM off).  move_pages()' status query does
 * not look at the entry (follow_page without FOLL_MIGRATION).  Should
 * the holder never answer, the workload says after HOLDER_WAIT seconds
 * `workload: migrate-pmd-left BROKEN holder hung` and ends.
 *
 * Needs two NUMA nodes (tests/vm/run --numa); with one it prints
 * `workload: migrate skipped: one node` and exits 0.
 */
#include <signal.h>
#include <sys/wait.h>

#include "workload.h"

#define MPOL_MF_MOVE	(1 << 1)
#define MPOL_DEFAULT	0
#define MPOL_BIND	2
#define HOLDER_WAIT	60	/* seconds, under TCG */

enum { THP_HEAD, THP_MID, SMALL, NR_PAGES };

static const char *const names[NR_PAGES] = { "thp", "thp-mid", "small" };
static void *pages[NR_PAGES];



/* pfn, KPF_THP and node of every page: only while no entry can be left */
static void observe_pages(const char *label)
{
	int status[NR_PAGES], i;
	char suffix[40];

	query_nodes(pages, NR_PAGES, status);
	for (i = 0; i < NR_PAGES; i++) {
		uint64_t pfn = vaddr_to_pfn(pages[i]);

		snprintf(suffix, sizeof(suffix), " node=%d page=%s",
			 status[i], names[i]);
		observe_line(label, pages[i], pfn, page_is_thp(pages[i], pfn),
			     suffix);
	}
}

/* Move the THP (by its head: it moves whole) and the small page. */
static long move_to(int node)
{
	void *list[2] = { pages[THP_HEAD], pages[SMALL] };
	int nodes[2] = { node, node }, status[2] = { -1, -1 };
	long ret;

	ret = syscall(__NR_move_pages, 0, 2, list, nodes, status,
		      MPOL_MF_MOVE);
	if (ret < 0)
		report_failure("move_pages");
	printf("workload: move_pages to=%d ret=%ld status=%d,%d\n", node, ret,
	       status[0], status[1]);
	fflush(stdout);
	return ret;
}

static void hung(int sig)
{
	static const char msg[] =
		"workload: migrate-pmd-left BROKEN holder hung reading its pages\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(4);
	_exit(3);
}

/* The holder's verdict: 'o' ok, 'b' its PMD migration entry was left. */
static char holder_check(char *p)
{
	int status[NR_PAGES], i, bad = 0;

	query_nodes(pages, NR_PAGES, status);
	for (i = 0; i < NR_PAGES; i++)
		/* no pfn: pagemap would look at a left entry */
		printf("workload: mpl-after pid=%d vaddr=%#lx node=%d page=%s\n",
		       getpid(), (unsigned long)(uintptr_t)pages[i], status[i],
		       names[i]);
	if (status[THP_HEAD] == -EFAULT || status[THP_MID] == -EFAULT) {
		printf("workload: migrate-pmd-left BROKEN thp node=%d,%d small node=%d (move_pages: -EFAULT, the THP's PMD is still a migration entry)\n",
		       status[THP_HEAD], status[THP_MID], status[SMALL]);
		fflush(stdout);
		return 'b';
	}
	signal(SIGALRM, hung);
	alarm(5);
	for (i = 0; i < (int)HPAGE_NR; i++)
		bad += p[i * PAGE_SIZE] != (char)(0x40 + i % 64);
	bad += p[HPAGE_SIZE] != 0x7f;
	alarm(0);
	observe_pages("mpl-after-ok");
	printf("workload: migrate-pmd-left %s wrong=%d thp node=%d,%d small node=%d\n",
	       bad || status[THP_HEAD] != 1 || status[THP_MID] != 1 ?
	       "BROKEN" : "ok", bad, status[THP_HEAD], status[THP_MID],
	       status[SMALL]);
	fflush(stdout);
	return bad ? 'b' : 'o';
}

static void holder(int ack_fd)
{
	unsigned long node0 = 1;
	char *p, c;
	int fd, i;

	p = map_aligned(2 * HPAGE_SIZE);
	if (!p) {
		report_failure("mmap");
		_exit(1);
	}
	if (madvise(p, HPAGE_SIZE, MADV_HUGEPAGE))
		report_failure("madvise(MADV_HUGEPAGE)");
	if (madvise(p + HPAGE_SIZE, HPAGE_SIZE, MADV_NOHUGEPAGE))
		report_failure("madvise(MADV_NOHUGEPAGE)");
	/* Fault them in on node 0, whichever CPU we run on. */
	if (syscall(__NR_set_mempolicy, MPOL_BIND, &node0, 8 * sizeof(node0)))
		report_failure("set_mempolicy");
	for (i = 0; i < (int)HPAGE_NR; i++)
		p[i * PAGE_SIZE] = 0x40 + i % 64;
	p[HPAGE_SIZE] = 0x7f;
	if (syscall(__NR_set_mempolicy, MPOL_DEFAULT, NULL, 0))
		report_failure("set_mempolicy");
	pages[THP_HEAD] = p;
	pages[THP_MID] = p + HPAGE_SIZE / 2;
	pages[SMALL] = p + HPAGE_SIZE;
	observe_pages("mpl-before");

	move_to(1);
	c = holder_check(p);
	if (write(ack_fd, &c, 1) != 1)
		_exit(1);
	if (c == 'o')
		_exit(0);
	/* never exit: the zap of a left entry is a kernel BUG */
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	close(ack_fd);
	for (;;)
		pause();
}

static void holder_hung(int sig)
{
	static const char msg[] =
		"workload: migrate-pmd-left BROKEN holder hung (no answer)\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(4);
	_exit(0);
}

int main(void)
{
	int ack[2], status;
	pid_t pid;
	char c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!two_nodes()) {
		printf("workload: migrate skipped: one node\n");
		return 0;
	}
	if (pipe(ack)) {
		report_failure("pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		report_failure("fork");
		return 1;
	}
	if (pid == 0) {
		close(ack[0]);
		holder(ack[1]);
	}
	close(ack[1]);
	signal(SIGALRM, holder_hung);
	alarm(HOLDER_WAIT);
	if (read(ack[0], &c, 1) != 1) {
		report_failure("holder check");
		c = 'x';
	}
	alarm(0);
	if (c == 'o')
		waitpid(pid, &status, 0);
	else
		printf("workload: holder pid=%d left running: its migration entry cannot be touched\n",
		       pid);
	printf("workload: done pid=%d\n", getpid());
	return 0;
}
