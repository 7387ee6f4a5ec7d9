// SPDX-License-Identifier: GPL-2.0
/*
 * page-cache: file pages entering and leaving the page cache (issue 11:
 * the references the page cache holds, named).
 *
 * For each DIR given (default: the current directory), in a new file
 * DIR/pagestate-pcache.XXXXXX of PCACHE_PAGES pages:
 *
 *   1. write the pages, fsync, posix_fadvise(DONTNEED): on a disk
 *      filesystem the clean pages leave the cache; on ramfs (dirty,
 *      unevictable) and tmpfs (shmem) they stay
 *   2. mmap MAP_SHARED and read every page: a page not cached is read
 *      in (added to the cache by the fault's readahead)
 *                                      (pcache-mapped: each page's pfn)
 *   3. munmap, posix_fadvise(DONTNEED) again: the disk filesystem's pages
 *      are dropped (evicted from the cache, then freed)
 *                                      (pcache-dropped)
 *   4. ftruncate to 0: what is still cached (ramfs, tmpfs) is deleted
 *      from the cache and freed       (pcache-truncated)
 *   5. close, unlink
 *
 * Observations: workload: <label> pid=<n> vaddr=0x<hex> pfn=0x<hex> thp=0
 * with label pcache-mapped-<k>, k the index of DIR on the command line;
 * workload: pcache-file-<k> dir=<DIR> ino=<inode> pid=<n> for the file,
 * workload: pcache-<step>-<k> dir=<DIR> pid=<n> for the steps.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "workload.h"

#define PCACHE_PAGES	4

static int one_dir(const char *dir, int k)
{
	size_t size = PCACHE_PAGES * PAGE_SIZE, i;
	char path[4096], label[32], buf[PAGE_SIZE];
	volatile char sum = 0;
	struct stat st;
	char *p;
	int fd;

	snprintf(path, sizeof(path), "%s/pagestate-pcache.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0) {
		report_failure("mkstemp");
		return 1;
	}
	if (!fstat(fd, &st))
		printf("workload: pcache-file-%d dir=%s ino=%llu pid=%d\n", k,
		       dir, (unsigned long long)st.st_ino, getpid());
	for (i = 0; i < PCACHE_PAGES; i++) {
		memset(buf, 'a' + (int)i, sizeof(buf));
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			report_failure("write");
	}
	if (fsync(fd))
		report_failure("fsync");
	if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		report_failure("posix_fadvise(DONTNEED)");

	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		report_failure("mmap");
		close(fd);
		unlink(path);
		return 1;
	}
	for (i = 0; i < PCACHE_PAGES; i++)
		sum += p[i * PAGE_SIZE];
	for (i = 0; i < PCACHE_PAGES; i++) {
		snprintf(label, sizeof(label), "pcache-mapped-%d", k);
		observe(label, p + i * PAGE_SIZE);
	}
	if (munmap(p, size))
		report_failure("munmap");

	if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		report_failure("posix_fadvise(DONTNEED)");
	printf("workload: pcache-dropped-%d dir=%s pid=%d\n", k, dir, getpid());
	if (ftruncate(fd, 0))
		report_failure("ftruncate");
	printf("workload: pcache-truncated-%d dir=%s pid=%d\n", k, dir,
	       getpid());
	close(fd);
	unlink(path);
	return sum == 0;	/* never: the pages hold letters */
}

int main(int argc, char **argv)
{
	int i, ret = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return one_dir(".", 0);
	for (i = 1; i < argc; i++)
		ret |= one_dir(argv[i], i - 1);
	printf("workload: done pid=%d\n", getpid());
	return ret;
}
