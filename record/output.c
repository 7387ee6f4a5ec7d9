// SPDX-License-Identifier: GPL-2.0
/*
 * Writing the trace.dat (v7, uncompressed) with libtracecmd, in the order
 * its state machine wants: headers (event formats, kallsyms, printk),
 * options, saved cmdlines, then the per-CPU data the readers spliced.
 *
 * The formats and saved_cmdlines come from the top tracing directory, not
 * our instance: event formats are global (the instance's events/ shows the
 * same files), but an instance has no saved_cmdlines or printk_formats,
 * and without the former every task in `trace-cmd report` reads "<...>".
 * Only the top directory is read; nothing there is changed.
 *
 * The VERSION option says who wrote the file and, for a partial one
 * (recovered after a kill, cut by a full disk), why and what it lacks,
 * as include/pagestate/recording.h describes; `trace-cmd report
 * --version` prints it.  When the disk is full the per-CPU data is cut
 * from its end until the file fits: a shorter valid file beats none.
 *
 * libtracecmd 3.1 (Debian 12) keeps each CPU's data size in an int
 * (struct cpu_data_source, fixed upstream in 2024 by "Fix compression
 * when files are greater than 2GB"): a CPU with 2 GiB or more would be
 * cut short or worse.  Then the file is version 6, whose data section
 * is a plain table (trace-cmd.dat.v6(5): "flyrecord", each CPU's offset
 * and size in 8 bytes, the pages), and we write that section ourselves;
 * every header before it is still libtracecmd's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "pagestate/recording.h"
#include "record.h"
#include "tracecmd-output.h"

static struct tracecmd_event_list *event_list(struct ps_recorder *rec)
{
	struct tracecmd_event_list *list;
	int i;

	if (!rec->events.nr)
		return NULL;	/* recover without a run file: every format */
	list = ps_xcalloc(rec->events.nr, sizeof(*list));
	for (i = 0; i < rec->events.nr; i++) {
		list[i].glob = rec->events.v[i];
		list[i].next = i + 1 < rec->events.nr ? &list[i + 1] : NULL;
	}
	return list;
}

/* "Linux host 6.18.0 x86_64", as trace-cmd writes it. */
static void add_uname(struct tracecmd_output *out)
{
	struct utsname u;
	char *s;
	int len;

	if (uname(&u) < 0)
		return;
	len = asprintf(&s, "%s %s %s %s", u.sysname, u.nodename, u.release,
		       u.machine);
	if (len < 0)
		return;
	tracecmd_add_option(out, TRACECMD_OPTION_UNAME, len + 1, s);
	free(s);
}

static void add_version(struct ps_recorder *rec, struct tracecmd_output *out)
{
	char *s;
	int len;

	if (rec->partial)
		len = asprintf(&s, "pagestate %s " PS_PARTIAL_KEY "%s missing=%s",
			       PAGESTATE_VERSION, rec->partial,
			       rec->missing ? rec->missing : "end");
	else
		len = asprintf(&s, "pagestate %s", PAGESTATE_VERSION);
	if (len < 0)
		return;
	tracecmd_add_option(out, TRACECMD_OPTION_VERSION, len + 1, s);
	free(s);
}

static void add_options(struct ps_recorder *rec, struct tracecmd_output *out,
			const char *clocks)
{
	int cpu;

	if (clocks)
		tracecmd_add_option(out, TRACECMD_OPTION_TRACECLOCK,
				    strlen(clocks) + 1, clocks);
	add_uname(out);
	add_version(rec, out);
	/* CPUCOUNT is added by tracecmd_append_cpu_data() itself. */
	for (cpu = 0; cpu < rec->nr_cpus; cpu++)
		if (rec->cpu_stats && rec->cpu_stats[cpu])
			tracecmd_add_option(out, TRACECMD_OPTION_CPUSTAT,
				    strlen(rec->cpu_stats[cpu]) + 1,
				    rec->cpu_stats[cpu]);
}

/*
 * Over this many bytes of one CPU's data, write version 6 ourselves.
 * PAGESTATE_OUT_V6_ABOVE lowers it, so that tests can take the path
 * without 2 GiB of data.
 */
static u64 v6_above(void)
{
	const char *s = getenv("PAGESTATE_OUT_V6_ABOVE");
	char *end;
	unsigned long long v;

	if (s && *s) {
		errno = 0;
		v = strtoull(s, &end, 0);
		if (!errno && !*end)
			return v;
	}
	return INT_MAX;
}

static bool cpu_files_big(struct ps_recorder *rec)
{
	u64 above = v6_above();
	struct stat st;
	int cpu;

	for (cpu = 0; cpu < rec->nr_cpus; cpu++)
		if (!stat(rec->cpu_files[cpu], &st) && (u64)st.st_size > above)
			return true;
	return false;
}

static int write_full(int fd, const void *p, size_t n)
{
	ssize_t r;

	while (n) {
		r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = ENOSPC;
			return -1;
		}
		p = (const char *)p + r;
		n -= r;
	}
	return 0;
}

/* Appends @size bytes of @path to @fd, 64-bit all the way. */
static int copy_cpu_file(int fd, const char *path, u64 size)
{
	int in = open(path, O_RDONLY);
	char *buf;
	ssize_t r;
	int ret = -1;

	if (in < 0)
		return -1;
	buf = ps_xmalloc(1 << 20);
	while (size) {
		r = read(in, buf, size < (1 << 20) ? size : (1 << 20));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = EIO;	/* the file shrank under us */
			goto out;
		}
		if (write_full(fd, buf, r))
			goto out;
		size -= r;
	}
	ret = 0;
out:
	free(buf);
	close(in);
	return ret;
}

/* Zeroes from @at up to @to. */
static int pad_to(int fd, u64 at, u64 to)
{
	static const char zeros[4096];
	u64 n;

	for (; at < to; at += n) {
		n = to - at < sizeof(zeros) ? to - at : sizeof(zeros);
		if (write_full(fd, zeros, n))
			return -1;
	}
	return 0;
}

/*
 * The data section of a version 6 file, after the headers, options and
 * cmdlines libtracecmd wrote: "flyrecord", per CPU its data's offset and
 * size (u64, host order as the file's header says), then each CPU's
 * pages, each CPU's from a page boundary on as libtracecmd places them.
 */
static int write_flyrecord_v6(struct ps_recorder *rec)
{
	u64 page = sysconf(_SC_PAGESIZE);
	u64 *table = ps_xcalloc(2 * rec->nr_cpus, sizeof(*table));
	int fd = open(rec->output, O_WRONLY | O_APPEND);
	struct stat st;
	u64 off;
	off_t at;
	int cpu, ret = -1;

	if (fd < 0 || write_full(fd, "flyrecord", 10))
		goto out;
	at = lseek(fd, 0, SEEK_END);
	if (at < 0)
		goto out;
	off = (u64)at + 16 * rec->nr_cpus;
	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		if (stat(rec->cpu_files[cpu], &st))
			goto out;
		off = (off + page - 1) & ~(page - 1);
		table[2 * cpu] = off;
		table[2 * cpu + 1] = st.st_size;
		off += st.st_size;
	}
	if (write_full(fd, table, 16 * rec->nr_cpus))
		goto out;
	off = (u64)at + 16 * rec->nr_cpus;
	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		if (pad_to(fd, off, table[2 * cpu]) ||
		    copy_cpu_file(fd, rec->cpu_files[cpu], table[2 * cpu + 1]))
			goto out;
		off = table[2 * cpu] + table[2 * cpu + 1];
	}
	ret = fsync(fd) && errno != EINVAL ? -1 : 0;
out:
	if (fd >= 0 && close(fd) && !ret)
		ret = -1;
	free(table);
	return ret;
}

/* A full disk is not the last word: ps_output_write() tries shorter. */
#define OUT_ERROR(...)					\
	do {						\
		if (!rec->out_retrying)			\
			ps_error(__VA_ARGS__);		\
	} while (0)

static int output_write(struct ps_recorder *rec)
{
	struct tracecmd_event_list *list = event_list(rec);
	bool big = cpu_files_big(rec);
	int version = big ? PS_TRACECMD_FILE_VERSION_BIG :
		      PS_TRACECMD_FILE_VERSION;
	struct tracecmd_output *out;
	char *clocks, *clock;
	int ret = -1, err = 0;

	clocks = tracefs_instance_file_read(rec->instance, "trace_clock", NULL);
	clock = tracefs_get_clock(rec->instance);

	out = tracecmd_output_create(rec->output);
	if (!out) {
		OUT_ERROR("cannot create %s: %s", rec->output, strerror(errno));
		goto out_free;
	}
	tracecmd_set_quiet(out, true);
	if (tracecmd_output_set_version(out, version) ||
	    tracecmd_output_set_trace_dir(out, rec->caps.tracing_dir)) {
		OUT_ERROR("%s: libtracecmd refused file version %d",
			 rec->output, version);
		goto out_close;
	}
	if (clock)
		tracecmd_set_out_clock(out, clock);
	/*
	 * Our page events carry pfns, not code addresses: kallsyms (~5 MB)
	 * is only worth its size when kernel stacks are recorded (--stack,
	 * or --stack-on with a trigger armed).
	 */
	if (!rec->stack && !rec->stacks.nr)
		tracecmd_output_set_kallsyms(out, "/dev/null");
	if (tracecmd_output_write_headers(out, list)) {
		OUT_ERROR("%s: writing event formats from %s failed: %s",
			 rec->output, rec->caps.tracing_dir, strerror(errno));
		goto out_close;
	}
	add_options(rec, out, clocks);
	if (tracecmd_write_cmdlines(out)) {
		OUT_ERROR("%s: writing saved_cmdlines failed: %s", rec->output,
			 strerror(errno));
		goto out_close;
	}
	if (big) {
		if (tracecmd_write_cpus(out, rec->nr_cpus) ||
		    tracecmd_write_buffer_info(out) ||
		    tracecmd_write_options(out)) {
			OUT_ERROR("%s: writing the options failed: %s",
				  rec->output, strerror(errno));
			goto out_close;
		}
	} else if (tracecmd_append_cpu_data(out, rec->nr_cpus,
					    rec->cpu_files)) {
		OUT_ERROR("%s: copying the per-CPU data failed: %s",
			 rec->output, strerror(errno));
		goto out_close;
	}
	ret = 0;
out_close:
	err = errno;
	tracecmd_output_close(out);
	if (!ret && big && write_flyrecord_v6(rec)) {
		err = errno;
		OUT_ERROR("%s: copying the per-CPU data failed: %s",
			  rec->output, strerror(err));
		ret = -1;
	}
	if (ret)
		unlink(rec->output);
out_free:
	if (!err)
		err = errno;
	free(clocks);
	free(clock);
	free(list);
	errno = err;
	return ret;
}

/* Room for headers, formats and cmdlines without kallsyms (~150 KiB). */
#define PS_HEADERS_ROOM	(512 * 1024)

/* Cut every per-CPU file to @num/@den of its size, in whole pages. */
static void cpu_files_cut(struct ps_recorder *rec, u64 num, u64 den)
{
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	int cpu;

	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		if (stat(rec->cpu_files[cpu], &st) || !st.st_size)
			continue;
		if (truncate(rec->cpu_files[cpu],
			     (u64)st.st_size * num / den / page * page))
			ps_warn("cannot cut %s: %s", rec->cpu_files[cpu],
				strerror(errno));
	}
}

static u64 cpu_files_size(struct ps_recorder *rec)
{
	struct stat st;
	u64 total = 0;
	int cpu;

	for (cpu = 0; cpu < rec->nr_cpus; cpu++)
		if (!stat(rec->cpu_files[cpu], &st))
			total += st.st_size;
	return total;
}

/*
 * The file is a copy of the per-CPU files, which sit on the same file
 * system: when both do not fit, keep the part of the data that does.
 * Returns true when something was cut.
 */
static bool fit_to_disk(struct ps_recorder *rec)
{
	u64 total = cpu_files_size(rec), avail, keep;
	char *dir = ps_xstrdup(rec->output), *slash = strrchr(dir, '/');
	struct statvfs sv;
	int ret;

	if (slash)
		*slash = '\0';
	ret = statvfs(slash ? (*dir ? dir : "/") : ".", &sv);
	free(dir);
	if (ret || !total)
		return false;
	avail = (u64)sv.f_bavail * sv.f_frsize;
	if (avail >= total + PS_HEADERS_ROOM)
		return false;
	/* keep + room <= avail + (total - keep): the cut frees its share */
	keep = avail + total > PS_HEADERS_ROOM ?
	       (avail + total - PS_HEADERS_ROOM) / 2 : 0;
	cpu_files_cut(rec, keep, total);
	return true;
}

static void mark_cut(struct ps_recorder *rec)
{
	rec->out_retrying = true;
	rec->partial = rec->partial ? rec->partial : "disk-full";
	rec->missing = "end,exit-snapshots,tail";
	tracecmd_set_loglevel(TEP_LOG_NONE);
}

int ps_output_write(struct ps_recorder *rec)
{
	int ret, tries;

	if (fit_to_disk(rec))
		mark_cut(rec);
	for (tries = 0; tries < 16; tries++) {
		ret = output_write(rec);
		if (!ret)
			break;
		if (errno != ENOSPC && !rec->out_retrying)
			return ret;
		mark_cut(rec);
		cpu_files_cut(rec, 1, 2);
	}
	tracecmd_set_loglevel(TEP_LOG_CRITICAL);
	rec->out_retrying = false;
	if (ret)
		return ps_error("%s: no space left on the device even for the event formats",
				rec->output);
	return 0;
}
