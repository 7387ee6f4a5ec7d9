// SPDX-License-Identifier: GPL-2.0
/*
 * Page snapshots: for every present page of a process, its pfn and what
 * /proc/kpagecount and /proc/kpageflags say about it, written as "snap"
 * markers (recording.h).  The exit snapshot is taken while the process
 * sits in PTRACE_EVENT_EXIT, before exit_mm() drops its mappings, so the
 * end-of-run state replay derives can be checked against the kernel's.
 *
 * Cost is what matters: pagemap is read one chunk of a VMA per pread, and
 * kpagecount/kpageflags one run of consecutive pfns per pread (a THP or a
 * freshly faulted range is one run).  All three files must be read in
 * aligned 8-byte words.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pagestate/recording.h"
#include "record.h"

#define PM_PRESENT		(1ULL << 63)
#define PM_PFN_MASK		((1ULL << 55) - 1)
/* pagemap entries per pread: 32 KiB, 16 MiB of address space. */
#define PS_SNAP_CHUNK		4096
/*
 * pagemap has no way to skip holes, so a huge reservation (ASan shadow,
 * a JIT's arena) would mean reading gigabytes of zeroes.  Beyond this
 * many pages a VMA is left out, with a warning.
 */
#define PS_SNAP_MAX_VMA_PAGES	(1ULL << 26)

struct snap {
	struct ps_recorder *rec;
	pid_t pid;
	const char *when;
	int pagemap_fd;
	size_t page_size;
	char body[PS_MARK_MAX];		/* "v:p:c:f,v:p:c:f" */
	size_t len;
	unsigned int seq;
	unsigned long long pages;
	/* one pagemap chunk, resolved */
	u64 pm[PS_SNAP_CHUNK];
	u64 vaddr[PS_SNAP_CHUNK];
	u64 pfn[PS_SNAP_CHUNK];
	u64 count[PS_SNAP_CHUNK];
	u64 flags[PS_SNAP_CHUNK];
};

int ps_snapshot_open(struct ps_recorder *rec)
{
	rec->kpagecount_fd = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
	rec->kpageflags_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (rec->kpagecount_fd < 0 || rec->kpageflags_fd < 0) {
		ps_warn("cannot read /proc/kpagecount or /proc/kpageflags (%s); recording without page snapshots",
			strerror(errno));
		ps_snapshot_close(rec);
		return -1;
	}
	return 0;
}

void ps_snapshot_close(struct ps_recorder *rec)
{
	if (rec->kpagecount_fd >= 0)
		close(rec->kpagecount_fd);
	if (rec->kpageflags_fd >= 0)
		close(rec->kpageflags_fd);
	rec->kpagecount_fd = -1;
	rec->kpageflags_fd = -1;
}

static void snap_flush(struct snap *s)
{
	if (!s->len)
		return;
	ps_mark(s->rec, "snap pid=%d when=%s seq=%u pages=%s", s->pid,
		s->when, s->seq, s->body);
	s->seq++;
	s->len = 0;
}

static void snap_add(struct snap *s, u64 vaddr, u64 pfn, u64 count, u64 flags)
{
	char entry[96];
	size_t head, room;
	int n;

	n = snprintf(entry, sizeof(entry), "%" PRIx64 ":%" PRIx64 ":%" PRIx64
		     ":%" PRIx64, vaddr, pfn, count, flags);
	head = strlen(PS_MARK_PREFIX) +
	       snprintf(NULL, 0, "snap pid=%d when=%s seq=%u pages=", s->pid,
			s->when, s->seq);
	room = PS_MARK_MAX - 1 - head;
	if (s->len && s->len + 1 + n > room)
		snap_flush(s);
	if (s->len)
		s->body[s->len++] = ',';
	memcpy(s->body + s->len, entry, n + 1);
	s->len += n;
	s->pages++;
}

/* pread of 8-byte words; returns how many were read. */
static size_t read_words(int fd, u64 *buf, size_t nr, u64 index)
{
	ssize_t ret;
	size_t done = 0;

	while (done < nr) {
		ret = pread(fd, buf + done, (nr - done) * 8,
			    (off_t)((index + done) * 8));
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			break;
		done += ret / 8;
		if (ret % 8)
			break;
	}
	return done;
}

/* kpagecount and kpageflags for s->pfn[0..nr), one pread per pfn run. */
static void resolve_pfns(struct snap *s, size_t nr)
{
	size_t i = 0, run, got;

	while (i < nr) {
		run = 1;
		while (i + run < nr && s->pfn[i + run] == s->pfn[i] + run)
			run++;
		got = read_words(s->rec->kpagecount_fd, s->count + i, run,
				 s->pfn[i]);
		memset(s->count + i + got, 0, (run - got) * 8);
		got = read_words(s->rec->kpageflags_fd, s->flags + i, run,
				 s->pfn[i]);
		memset(s->flags + i + got, 0, (run - got) * 8);
		i += run;
	}
}

static void snap_chunk(struct snap *s, u64 start, size_t nr_pages)
{
	size_t got, i, nr = 0;

	got = read_words(s->pagemap_fd, s->pm, nr_pages, start / s->page_size);
	for (i = 0; i < got; i++) {
		u64 pfn = s->pm[i] & PM_PFN_MASK;

		/* pfn 0 is what an unprivileged reader sees: no data. */
		if (!(s->pm[i] & PM_PRESENT) || !pfn)
			continue;
		s->vaddr[nr] = start + i * s->page_size;
		s->pfn[nr] = pfn;
		nr++;
	}
	resolve_pfns(s, nr);
	for (i = 0; i < nr; i++)
		snap_add(s, s->vaddr[i], s->pfn[i], s->count[i], s->flags[i]);
}

static void snap_vma(struct snap *s, u64 start, u64 end)
{
	u64 pages = (end - start) / s->page_size;
	u64 addr;

	if (pages > PS_SNAP_MAX_VMA_PAGES) {
		ps_warn("snapshot of pid %d: skipping the %llu MiB mapping at %#llx (too large to scan)",
			s->pid, (unsigned long long)((end - start) >> 20),
			(unsigned long long)start);
		return;
	}
	for (addr = start; addr < end;
	     addr += (u64)PS_SNAP_CHUNK * s->page_size) {
		u64 left = (end - addr) / s->page_size;

		if (left > PS_SNAP_CHUNK)
			left = PS_SNAP_CHUNK;
		snap_chunk(s, addr, left);
	}
}

/* The whole maps file first: it must not shift under our reads. */
static char *read_maps(pid_t pid)
{
	char path[64], *buf = NULL;
	size_t len = 0, alloc = 0;
	ssize_t ret;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		if (alloc - len < 4096) {
			alloc = alloc ? 2 * alloc : 16384;
			buf = ps_xrealloc(buf, alloc);
		}
		ret = read(fd, buf + len, alloc - len - 1);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			break;
		len += ret;
	}
	close(fd);
	if (!buf)
		return NULL;
	buf[len] = '\0';
	return buf;
}

static void snap_maps(struct snap *s, char *maps)
{
	char *line, *save = NULL;

	for (line = strtok_r(maps, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long start, end;

		if (sscanf(line, "%llx-%llx", &start, &end) != 2 ||
		    end <= start)
			continue;
		/* The vsyscall page is not in the page tables pagemap walks. */
		if (strstr(line, "[vsyscall]"))
			continue;
		snap_vma(s, start, end);
	}
}

/*
 * Writes the snap lines and the snap-end line for @pid.  The process
 * should be stopped, or the snapshot is only approximately one moment.
 */
int ps_snapshot_take(struct ps_recorder *rec, pid_t pid, const char *when)
{
	struct snap *s;
	char path[64], *maps;

	if (rec->kpagecount_fd < 0)
		return -1;
	maps = read_maps(pid);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	s = ps_xcalloc(1, sizeof(*s));
	s->pagemap_fd = maps ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (s->pagemap_fd < 0) {
		ps_warn("no %s snapshot of pid %d: cannot read /proc/%d/maps or pagemap: %s",
			when, pid, pid, strerror(errno));
		free(maps);
		free(s);
		return -1;
	}
	s->rec = rec;
	s->pid = pid;
	s->when = when;
	s->page_size = sysconf(_SC_PAGESIZE);
	/* other tasks run on while we read: mark where the reading starts */
	ps_mark(rec, "snap-begin pid=%d when=%s", pid, when);
	snap_maps(s, maps);
	snap_flush(s);
	ps_mark(rec, "snap-end pid=%d when=%s pages=%llu lines=%u", pid, when,
		s->pages, s->seq);
	close(s->pagemap_fd);
	free(maps);
	free(s);
	return 0;
}
