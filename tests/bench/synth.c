// SPDX-License-Identifier: GPL-2.0
/*
 * synth: a long recording made of a real one, for tests/bench/run's
 * 100x-scale section (issue 14, part 6).
 *
 *   synth IN OUT COPIES
 *
 * Writes OUT, a trace.dat holding COPIES copies of IN's event data one
 * after the other in time: copy k of every ring-buffer page has k * span
 * added to the page's timestamp (the events in a page carry deltas from
 * it), span being IN's first-to-last time plus 1 ms.  Headers, event
 * formats and saved cmdlines are IN's, copied by libtracecmd's
 * tracecmd_copy(); the data goes in through tracecmd_append_cpu_data(),
 * as trace-cmd split and record/output.c do, so trace-cmd reads OUT.
 *
 * Pfns are left as they are: a longer run on the same machine meets the
 * same physical pages again, and the set of live folios is bounded by
 * its memory however long it runs.  Folios still live at the end of one
 * copy are allocated again by the next (alloc-over-live-folio anomalies
 * in the summary, one set per copy boundary).
 *
 * IN's pages are held in memory (IN's size) and written COPIES times.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <trace-cmd/trace-cmd.h>

/* In libtracecmd 3.1, declared in its private header. */
struct tracecmd_output;
int tracecmd_page_size(struct tracecmd_input *handle);
int tracecmd_cpus(struct tracecmd_input *handle);
struct tep_record *tracecmd_read_cpu_first(struct tracecmd_input *handle,
					   int cpu);
struct tep_record *tracecmd_read_cpu_last(struct tracecmd_input *handle,
					  int cpu);
struct tracecmd_output *tracecmd_copy(struct tracecmd_input *ihandle,
				      const char *file, int state,
				      int file_version,
				      const char *compression);
void tracecmd_output_close(struct tracecmd_output *handle);
const char *tracecmd_get_cpustats(struct tracecmd_input *handle);
#define TRACECMD_FILE_CMD_LINES	7	/* copy up to and with cmdlines */

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "synth: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, ": %s\n", strerror(errno));
	exit(2);
}

/*
 * Moves one ring-buffer page later by delta: its header's timestamp and
 * the absolute timestamps (TIME_STAMP events, which kernels since 5.10
 * write when an event interrupted another) in it.  The walk is
 * libtraceevent's kbuffer translate_data(), for 8-byte longs.
 */
#define COMMIT_MASK	((1u << 27) - 1)
#define TS_SHIFT	27
enum { TYPE_PADDING = 29, TYPE_TIME_EXTEND = 30, TYPE_TIME_STAMP = 31 };

static void shift_page(char *page, int page_size, uint64_t delta)
{
	uint64_t commit;
	uint32_t size, pos = 0, *ev;
	char *data = page + 16;

	*(uint64_t *)page += delta;
	memcpy(&commit, page + 8, 8);
	size = commit & COMMIT_MASK;
	if (size > (uint32_t)page_size - 16)
		size = page_size - 16;
	while (pos + 8 <= size) {
		uint32_t type_len, len;

		ev = (uint32_t *)(data + pos);
		type_len = ev[0] & 31;
		switch (type_len) {
		case TYPE_PADDING:
			len = ev[1];
			if (!len)
				return;
			pos += 4 + len;
			break;
		case TYPE_TIME_STAMP: {
			uint64_t ts = ((uint64_t)ev[1] << TS_SHIFT) |
				      (ev[0] >> 5);

			ts += delta;
			ev[0] = (uint32_t)(ts << 5) | type_len;
			ev[1] = (uint32_t)(ts >> TS_SHIFT);
		}
			/* fall through */
		case TYPE_TIME_EXTEND:
			pos += 8;
			break;
		case 0:
			len = ev[1] < 4 ? 0 : ((ev[1] - 4 + 3) & ~3u);
			pos += 8 + len;
			break;
		default:
			pos += 4 + type_len * 4;
			break;
		}
	}
}

struct cpu_data {
	unsigned long long start, end;	/* its pages in IN */
	char *pages;
};

static uint64_t span;

static int write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return -1;
		p = (const char *)p + w;
		n -= w;
	}
	return 0;
}

static int put_option(int fd, uint16_t id, const char *s)
{
	uint32_t size = strlen(s) + 1;

	return write_all(fd, &id, 2) || write_all(fd, &size, 4) ||
	       write_all(fd, s, size);
}

/*
 * The event data of a file-version-6 trace.dat, after the cmdlines
 * tracecmd_copy() wrote (trace-cmd.dat.v6(5)): the CPU count, the
 * options, "flyrecord" and each CPU's offset and size, then the pages.
 * Written here rather than by tracecmd_append_cpu_data(): libtracecmd
 * 3.1 keeps a CPU's data size in an int, and cuts the 6 GB of CPU 1.
 */
static int write_file(struct tracecmd_input *h, const char *path, int cpus,
		      struct cpu_data *cd, int copies, int page)
{
	const char *stats = tracecmd_get_cpustats(h), *p, *next;
	struct tracecmd_output *out;
	uint64_t *table, off;
	uint32_t ncpu = cpus;
	uint16_t done = 0;
	int fd, cpu, k;

	out = tracecmd_copy(h, path, TRACECMD_FILE_CMD_LINES, 6, NULL);
	if (!out)
		return -1;
	tracecmd_output_close(out);
	fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0 || write_all(fd, &ncpu, 4) || write_all(fd, "options  ", 10))
		return -1;
	/* IN's per-CPU stats (one copy's losses: the bench loses none) */
	for (p = stats ? strstr(stats, "CPU: ") : NULL; p; p = next) {
		char *one;

		next = strstr(p + 5, "CPU: ");
		one = strndup(p, next ? (size_t)(next - p) : strlen(p));
		if (!one || put_option(fd, 2, one))
			return -1;
		free(one);
	}
	if (put_option(fd, 9, "pagestate tests/bench/synth") ||
	    write_all(fd, &done, 2) || write_all(fd, "flyrecord", 10))
		return -1;
	off = lseek(fd, 0, SEEK_END) + 16 * cpus;
	off = (off + page - 1) & ~(uint64_t)(page - 1);
	table = calloc(2 * cpus, sizeof(*table));
	for (cpu = 0; cpu < cpus; cpu++) {
		table[2 * cpu] = off;
		table[2 * cpu + 1] = (cd[cpu].end - cd[cpu].start) * copies;
		off += table[2 * cpu + 1];
	}
	if (write_all(fd, table, 16 * cpus))
		return -1;
	off = lseek(fd, 0, SEEK_END);
	if (ftruncate(fd, table[0]) ||
	    lseek(fd, table[0], SEEK_SET) != (off_t)table[0])
		return -1;
	for (cpu = 0; cpu < cpus; cpu++) {
		size_t size = cd[cpu].end - cd[cpu].start, q;

		for (k = 0; k < copies; k++) {
			/* copy k-1's pages, shifted once more */
			for (q = 0; k && q < size; q += page)
				shift_page(cd[cpu].pages + q, page, span);
			if (write_all(fd, cd[cpu].pages, size))
				return -1;
		}
		free(cd[cpu].pages);
	}
	free(table);
	return close(fd);
}

int main(int argc, char **argv)
{
	unsigned long long first_ts = ~0ULL, last_ts = 0, mask;
	struct tracecmd_input *h;
	struct cpu_data *cd;
	int cpus, cpu, page, copies, fd;

	if (argc != 4 || (copies = atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: synth IN OUT COPIES\n");
		return 2;
	}
	h = tracecmd_open(argv[1], 0);
	if (!h)
		die("cannot open %s", argv[1]);
	page = tracecmd_page_size(h);
	cpus = tracecmd_cpus(h);
	mask = ~(unsigned long long)(page - 1);
	cd = calloc(cpus, sizeof(*cd));
	fd = open(argv[1], O_RDONLY);
	if (!cd || fd < 0)
		die("%s", argv[1]);
	for (cpu = 0; cpu < cpus; cpu++) {
		struct tep_record *first = tracecmd_read_cpu_first(h, cpu);
		struct tep_record *last = tracecmd_read_cpu_last(h, cpu);
		size_t size;

		if (!first || !last)
			continue;
		cd[cpu].start = first->offset & mask;
		cd[cpu].end = (last->offset & mask) + page;
		if (first->ts < first_ts)
			first_ts = first->ts;
		if (last->ts > last_ts)
			last_ts = last->ts;
		tracecmd_free_record(first);
		tracecmd_free_record(last);
		size = cd[cpu].end - cd[cpu].start;
		cd[cpu].pages = malloc(size);
		if (!cd[cpu].pages ||
		    pread(fd, cd[cpu].pages, size, cd[cpu].start) != (ssize_t)size)
			die("reading %s", argv[1]);
	}
	close(fd);
	span = last_ts - first_ts + 1000000;

	if (write_file(h, argv[2], cpus, cd, copies, page))
		die("writing %s", argv[2]);
	tracecmd_close(h);
	printf("synth: %s: %d copies of %s, %.3f s of trace\n", argv[2],
	       copies, argv[1], (double)span * copies / 1e9);
	return 0;
}
