// SPDX-License-Identifier: GPL-2.0
/*
 * migrate-child-left: move_pages() of pages shared with a forked child,
 * then the child asks where its pages are (issue 10, the 2010
 * fork-vs-migration seed: a migration entry left in the child).
 *
 *   1. NR_PAGES small anon pages faulted in on node 0 with a pattern
 *      (mcl-parent-before, with their pfns)
 *   2. fork; the child faults in a page of its own (so its mm shows up
 *      in a fault of its own task) and waits
 *   3. the parent moves the shared pages to node 1 with
 *      MPOL_MF_MOVE_ALL: both mms get a migration entry per page, and
 *      both must get it removed (`move_pages to=1 ret= status=`,
 *      mcl-parent-after with node=)
 *   4. the child asks move_pages() (nodes == NULL) for the node of each
 *      page (mcl-child node=): 1 on a sound kernel, then it reads the
 *      pattern back under alarm() and prints
 *      `workload: migrate-child-left ok`.  -ENOENT (-2) means its PTE
 *      is still a migration entry: `workload: migrate-child-left BROKEN`.
 *
 * A left migration entry points at the freed source page, and every
 * kernel path that looks at it -- a fault, /proc/PID/pagemap, the zap
 * at exit -- hits BUG_ON(!PageLocked) in pfn_swap_entry_to_page()
 * (6.1 swapops.h) while holding the page table lock.  So a BROKEN child
 * never reads its pagemap, never touches the pages and never exits: it
 * closes its output and sleeps; the parent ends without waiting for it
 * (tests/vm/run powers the VM off).  move_pages()' status query does
 * not look at the entry (follow_page without FOLL_MIGRATION).
 *
 * Needs two NUMA nodes (tests/vm/run --numa); with one it prints
 * `workload: migrate skipped: one node` and exits 0.
 */
#include <signal.h>
#include <sys/wait.h>

#include "workload.h"

#define MPOL_MF_MOVE_ALL	(1 << 2)
#define MPOL_DEFAULT		0
#define MPOL_BIND		2
#define NR_PAGES		4

static void *pages[NR_PAGES];



static void observe_nodes(const char *label)
{
	int status[NR_PAGES], i;
	char suffix[24];

	query_nodes(pages, NR_PAGES, status);
	for (i = 0; i < NR_PAGES; i++) {
		uint64_t pfn = vaddr_to_pfn(pages[i]);

		snprintf(suffix, sizeof(suffix), " node=%d", status[i]);
		observe_line(label, pages[i], pfn, 0, suffix);
	}
}

static void move_all(int node)
{
	int nodes[NR_PAGES], status[NR_PAGES], i;
	long ret;

	for (i = 0; i < NR_PAGES; i++) {
		nodes[i] = node;
		status[i] = -1;
	}
	ret = syscall(__NR_move_pages, 0, NR_PAGES, pages, nodes, status,
		      MPOL_MF_MOVE_ALL);
	if (ret < 0)
		report_failure("move_pages");
	printf("workload: move_pages to=%d ret=%ld status=", node, ret);
	for (i = 0; i < NR_PAGES; i++)
		printf("%s%d", i ? "," : "", status[i]);
	printf("\n");
	fflush(stdout);
}

static void hung(int sig)
{
	static const char msg[] =
		"workload: migrate-child-left BROKEN child hung reading its pages\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(4);
	_exit(3);
}

/* The child's verdict: 'o' ok, 'b' its migration entries were left. */
static char child_check(void)
{
	int status[NR_PAGES], i, left = 0, bad = 0;

	query_nodes(pages, NR_PAGES, status);
	for (i = 0; i < NR_PAGES; i++) {
		/* no pfn: pagemap would look at a left entry */
		printf("workload: mcl-child pid=%d vaddr=%#lx node=%d\n",
		       getpid(), (unsigned long)(uintptr_t)pages[i],
		       status[i]);
		left += status[i] == -ENOENT;
	}
	if (left) {
		printf("workload: migrate-child-left BROKEN left=%d (move_pages: -ENOENT for pages the child still maps)\n",
		       left);
		fflush(stdout);
		return 'b';
	}
	signal(SIGALRM, hung);
	alarm(5);
	for (i = 0; i < NR_PAGES; i++)
		bad += *(volatile char *)pages[i] != (char)(0x40 + i);
	alarm(0);
	printf("workload: migrate-child-left %s wrong=%d\n",
	       bad ? "BROKEN" : "ok", bad);
	fflush(stdout);
	return bad ? 'b' : 'o';
}

static void child(int cmd_fd, int ack_fd)
{
	char *own = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char c = 'r';
	int fd;

	if (own != MAP_FAILED)
		own[0] = 1;	/* a fault of the child's own mm */
	if (write(ack_fd, &c, 1) != 1 || read(cmd_fd, &c, 1) != 1)
		_exit(1);
	c = child_check();
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
	close(cmd_fd);
	close(ack_fd);
	for (;;)
		pause();
}

int main(void)
{
	unsigned long node0 = 1;
	int cmd[2], ack[2], i, status;
	char *p, c;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!two_nodes()) {
		printf("workload: migrate skipped: one node\n");
		return 0;
	}
	p = mmap(NULL, NR_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		report_failure("mmap");
		return 1;
	}
	if (madvise(p, NR_PAGES * PAGE_SIZE, MADV_NOHUGEPAGE))
		report_failure("madvise(MADV_NOHUGEPAGE)");
	if (syscall(__NR_set_mempolicy, MPOL_BIND, &node0, 8 * sizeof(node0)))
		report_failure("set_mempolicy");
	for (i = 0; i < NR_PAGES; i++) {
		pages[i] = p + i * PAGE_SIZE;
		p[i * PAGE_SIZE] = 0x40 + i;
	}
	if (syscall(__NR_set_mempolicy, MPOL_DEFAULT, NULL, 0))
		report_failure("set_mempolicy");
	observe_nodes("mcl-parent-before");

	if (pipe(cmd) || pipe(ack)) {
		report_failure("pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		report_failure("fork");
		return 1;
	}
	if (pid == 0) {
		close(cmd[1]);
		close(ack[0]);
		child(cmd[0], ack[1]);
	}
	close(cmd[0]);
	close(ack[1]);
	if (read(ack[0], &c, 1) != 1)
		report_failure("child ready");

	move_all(1);
	observe_nodes("mcl-parent-after");

	c = 'q';
	if (write(cmd[1], &c, 1) != 1 || read(ack[0], &c, 1) != 1)
		report_failure("child check");
	if (c == 'o') {
		waitpid(pid, &status, 0);
	} else {
		printf("workload: child pid=%d left running: its migration entries cannot be touched\n",
		       pid);
	}
	printf("workload: done pid=%d\n", getpid());
	return 0;
}
