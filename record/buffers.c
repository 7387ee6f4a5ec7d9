// SPDX-License-Identifier: GPL-2.0
/*
 * Draining the ring buffer.  One thread per CPU splices whole sub-buffer
 * pages from per_cpu/cpuN/trace_pipe_raw into a temp file next to the
 * output (no copy through user space), the same layout trace-cmd uses,
 * so output.c can hand the files to libtracecmd unchanged.
 *
 * A thread sleeps until the kernel says its buffer is buffer_percent full,
 * so a quiet CPU costs nothing.  At the end the main thread turns tracing
 * off and wakes the threads; each splices what is left in full pages and
 * then reads the last, partly filled page with tracefs_cpu_flush_write().
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"

struct ps_cpu_reader {
	int cpu;
	struct tracefs_cpu *tcpu;	/* NULL: CPU has no buffer (offline) */
	int fd;
	pthread_t thread;
	bool running;
	atomic_int stop;
	int err;			/* errno of a failed splice or write */
};

int ps_buffers_open(struct ps_recorder *rec)
{
	int cpu;

	rec->readers = ps_xcalloc(rec->nr_cpus, sizeof(*rec->readers));
	rec->cpu_files = ps_xcalloc(rec->nr_cpus, sizeof(*rec->cpu_files));
	rec->cpu_stats = ps_xcalloc(rec->nr_cpus, sizeof(*rec->cpu_stats));
	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		struct ps_cpu_reader *r = &rec->readers[cpu];

		r->cpu = cpu;
		r->fd = -1;
		if (asprintf(&rec->cpu_files[cpu], "%s.cpu%d", rec->output,
			     cpu) < 0)
			ps_die("out of memory");
		r->fd = open(rec->cpu_files[cpu],
			     O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (r->fd < 0) {
			ps_error("cannot create %s: %s (is the directory of -o writable?)",
				 rec->cpu_files[cpu], strerror(errno));
			return -1;
		}
		r->tcpu = tracefs_cpu_open(rec->instance, cpu, false);
		if (!r->tcpu && errno != ENOENT && errno != ENODEV)
			ps_warn("cpu%d: cannot open trace_pipe_raw: %s; its events are not recorded",
				cpu, strerror(errno));
	}
	return 0;
}

static void *reader_main(void *arg)
{
	struct ps_cpu_reader *r = arg;
	int ret;

	while (!atomic_load(&r->stop)) {
		ret = tracefs_cpu_write(r->tcpu, r->fd, false);
		if (ret < 0 && errno != EINTR && errno != EAGAIN) {
			r->err = errno;
			return NULL;
		}
	}
	/* Tracing is off now: take the full pages, then the partial one. */
	while ((ret = tracefs_cpu_write(r->tcpu, r->fd, true)) > 0)
		;
	while ((ret = tracefs_cpu_flush_write(r->tcpu, r->fd)) > 0)
		;
	if (ret < 0 && errno != EAGAIN)
		r->err = errno;
	return NULL;
}

int ps_buffers_start(struct ps_recorder *rec)
{
	int cpu, err;

	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		struct ps_cpu_reader *r = &rec->readers[cpu];

		if (!r->tcpu)
			continue;
		err = pthread_create(&r->thread, NULL, reader_main, r);
		if (err) {
			ps_error("cannot start the reader thread of cpu%d: %s",
				 cpu, strerror(err));
			return -1;
		}
		r->running = true;
	}
	return 0;
}

/* Wakes and joins the readers; tracing must be off already. */
int ps_buffers_stop(struct ps_recorder *rec)
{
	int cpu, ret = 0;

	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		struct ps_cpu_reader *r = &rec->readers[cpu];

		if (!r->running)
			continue;
		atomic_store(&r->stop, 1);
		tracefs_cpu_stop(r->tcpu);
	}
	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		struct ps_cpu_reader *r = &rec->readers[cpu];

		if (!r->running)
			continue;
		pthread_join(r->thread, NULL);
		r->running = false;
		if (r->err) {
			ps_error("cpu%d: writing %s failed: %s", cpu,
				 rec->cpu_files[cpu], strerror(r->err));
			ret = -1;
		}
	}
	return ret;
}

/* Closes what ps_buffers_open() opened and removes the temp files. */
void ps_buffers_close(struct ps_recorder *rec)
{
	int cpu;

	if (!rec->readers)
		return;
	ps_buffers_stop(rec);
	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		struct ps_cpu_reader *r = &rec->readers[cpu];

		tracefs_cpu_close(r->tcpu);
		if (r->fd >= 0)
			close(r->fd);
		if (rec->cpu_files[cpu])
			unlink(rec->cpu_files[cpu]);
		free(rec->cpu_files[cpu]);
		free(rec->cpu_stats[cpu]);
	}
	free(rec->readers);
	free(rec->cpu_files);
	free(rec->cpu_stats);
	rec->readers = NULL;
	rec->cpu_files = NULL;
	rec->cpu_stats = NULL;
}

/*
 * Keeps each CPU's stats text the way trace-cmd stores it in CPUSTAT
 * options ("CPU: N" then the file), so `trace-cmd report --stat` shows
 * our overruns like its own.
 */
void ps_buffers_read_stats(struct ps_recorder *rec)
{
	char file[64];
	int cpu;

	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		char *text;

		snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", cpu);
		text = tracefs_instance_file_read(rec->instance, file, NULL);
		free(rec->cpu_stats[cpu]);
		if (asprintf(&rec->cpu_stats[cpu], "CPU: %d\n%s", cpu,
			     text ? text : "") < 0)
			ps_die("out of memory");
		free(text);
	}
}

static u64 stat_value(const char *text, const char *key)
{
	const char *p = text;
	size_t len = strlen(key);

	/* Match at line starts: "overrun:" is also in "commit overrun:". */
	while (p) {
		if (!strncmp(p, key, len))
			return strtoull(p + len, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

/*
 * Events the kernel lost: overwritten before we read them (overrun),
 * lost while being written (commit overrun) or refused with overwrite
 * off (dropped events).  Prints one line, returns the total.
 */
u64 ps_buffers_report_lost(struct ps_recorder *rec)
{
	char line[1024];
	u64 total = 0;
	int cpu, n = 0;

	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		const char *s = rec->cpu_stats[cpu];
		u64 overrun = stat_value(s, "overrun: ");
		u64 commit = stat_value(s, "commit overrun: ");
		u64 dropped = stat_value(s, "dropped events: ");
		u64 lost = overrun + commit + dropped;

		if (!lost)
			continue;
		total += lost;
		if (n < (int)sizeof(line) - 64)
			n += snprintf(line + n, sizeof(line) - n,
				      " cpu%d=%llu (overrun %llu, commit overrun %llu, dropped %llu)",
				      cpu, (unsigned long long)lost,
				      (unsigned long long)overrun,
				      (unsigned long long)commit,
				      (unsigned long long)dropped);
	}
	if (!total)
		ps_info("lost events: 0");
	else
		ps_warn("lost events: %llu:%s; replay treats these windows as unknown (a larger -b helps)",
			(unsigned long long)total, line);
	return total;
}
