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
 *
 * A deep snapshot (deep.c) must see every event up to its moment, also
 * those still in a partly filled page: ps_buffers_sync() asks each
 * thread, and the thread itself writes out what its CPU has, through
 * the same descriptor, so the file keeps the kernel's page order.
 *
 * The threads take no signal.  A thread waits in poll() on its
 * trace_pipe_raw (the kernel wakes it at buffer_percent) and on a pipe
 * of its own, through which sync and stop requests come, and splices
 * without blocking.  A signal cannot cut a write short: on 9p, NFS or
 * FUSE a write sleeps interruptibly, and a write that returned EINTR
 * after its pages had left the ring buffer lost them without a trace
 * (no overrun, no missed-events flag: a hole of some pages in one
 * CPU's stream).  That happened when SIGUSR2 woke a thread for a sync
 * while it was writing to a 9p file in the guest's page cache.
 *
 * A failed write (ENOSPC, EIO) ends its thread at once and raises
 * rec->writer_failed, which the main loop polls: the recording stops and
 * what reached the disk is written out as a partial file.  On an error
 * path the threads are stopped without draining (ps_buffers_stop(rec,
 * false)): with tracing still on somewhere a drain could run for ever.
 *
 * Our own page events are recorded like anybody's: leaving them out
 * (set_event_notrace_pid) hides the frees of pages that others allocated
 * and reuse, which the engine then sees allocated twice.  Instead the
 * "recorder" marker names our threads, and make bench measures their
 * share of the recording (well under 1% on this machine).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "record.h"

struct ps_cpu_reader {
	int cpu;
	struct tracefs_cpu *tcpu;	/* NULL: CPU has no buffer (offline) */
	int poll_fd;			/* its trace_pipe_raw, only to wait on */
	int wake[2];			/* pipe: a sync or stop request */
	atomic_int sync_req;		/* sync asked (a count) */
	atomic_int sync_done;		/* ...and done up to */
	int fd;
	pthread_t thread;
	bool running;
	atomic_int stop;
	atomic_int ready;		/* tid is set */
	pid_t tid;
	int err;			/* errno of a failed splice or write */
	struct ps_recorder *rec;
};

/*
 * The ring buffer per CPU when -b is not given: 1/128 of the memory,
 * spread over the CPUs, between 8 and 128 MiB each.  The buffer absorbs
 * bursts while a reader waits for its CPU; a THP workload on a small
 * machine produces ~100 MB/s of events (make bench: load).
 */
int ps_default_buffer_kb(int nr_cpus)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	unsigned long long kb;

	if (nr_cpus < 1)
		nr_cpus = 1;
	if (pages <= 0 || page <= 0)
		return PS_MIN_BUFFER_KB;
	kb = (unsigned long long)pages * page / 1024 / 128 / nr_cpus;
	if (kb < PS_MIN_BUFFER_KB)
		kb = PS_MIN_BUFFER_KB;
	if (kb > PS_MAX_BUFFER_KB)
		kb = PS_MAX_BUFFER_KB;
	return (int)kb;
}

int ps_buffers_open(struct ps_recorder *rec)
{
	int cpu;

	rec->readers = ps_xcalloc(rec->nr_cpus, sizeof(*rec->readers));
	rec->cpu_files = ps_xcalloc(rec->nr_cpus, sizeof(*rec->cpu_files));
	rec->cpu_stats = ps_xcalloc(rec->nr_cpus, sizeof(*rec->cpu_stats));
	/* all first: ps_buffers_close() closes what is not -1 */
	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		struct ps_cpu_reader *r = &rec->readers[cpu];

		r->cpu = cpu;
		r->rec = rec;
		r->fd = r->poll_fd = r->wake[0] = r->wake[1] = -1;
	}
	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		struct ps_cpu_reader *r = &rec->readers[cpu];

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
		/*
		 * The thread waits in poll() (see above) and splices with
		 * nonblock set, which gives only full pages.  Opened
		 * non-blocking, libtracefs 1.6.4 read() a partly filled
		 * page at each wake-up instead: 23,436 of 24,332 pages
		 * under 1 KB in a host recording.
		 */
		r->tcpu = tracefs_cpu_open(rec->instance, cpu, false);
		if (r->tcpu) {
			char file[64];

			snprintf(file, sizeof(file),
				 "per_cpu/cpu%d/trace_pipe_raw", cpu);
			r->poll_fd = tracefs_instance_file_open(rec->instance,
					file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			if (r->poll_fd < 0 ||
			    pipe2(r->wake, O_NONBLOCK | O_CLOEXEC)) {
				ps_error("cpu%d: cannot wait on trace_pipe_raw: %s",
					 cpu, strerror(errno));
				return -1;
			}
		}
		if (!r->tcpu && errno != ENOENT && errno != ENODEV)
			ps_warn("cpu%d: cannot open trace_pipe_raw: %s; its events are not recorded",
				cpu, strerror(errno));
	}
	return 0;
}

static void reader_fail(struct ps_cpu_reader *r, int err)
{
	r->err = err;
	atomic_store(&r->rec->writer_failed, err);
}

/*
 * Everything the ring buffer holds now, the last partly filled page
 * too.  Bounded: on a busy CPU new pages keep coming, and the ones
 * after the request do not matter to whoever asked.
 *
 * The full pages first, until there is none; then one read() of the
 * page being written, which holds whatever came before the request and
 * is not out yet (were that page filled meanwhile, the read gets it
 * whole).  One, not "until empty": each write of ours to the page
 * cache makes an event on this CPU, so a second read always finds one
 * more, and a loop wrote a page per event until its bound (24,000 pages
 * of 88 bytes each, 100 MB for a 1 MB recording, before the exit
 * snapshot of a host recording with --stack-on).
 */
static void reader_sync(struct ps_cpu_reader *r)
{
	int req = atomic_load(&r->sync_req), n, ret = 0;
	int max = (r->rec->buffer_kb > 0 ? r->rec->buffer_kb :
		   PS_MAX_BUFFER_KB) / 4 + 16;

	for (n = 0; n < max; n++) {
		ret = tracefs_cpu_write(r->tcpu, r->fd, true);
		if (ret <= 0)
			break;
	}
	if (ret < 0 && errno != EAGAIN)
		goto fail;
	ret = tracefs_cpu_flush_write(r->tcpu, r->fd);
	if (ret < 0 && errno != EAGAIN)
		goto fail;
	atomic_store(&r->sync_done, req);
	return;
fail:
	reader_fail(r, errno);
	atomic_store(&r->sync_done, req);
}

/*
 * The full pages the ring buffer holds, without blocking.  Returns how
 * many bytes went to the file, or -1 on a failed write (reader_fail()
 * has said so).  It stops for a sync or stop request.
 */
static long reader_splice(struct ps_cpu_reader *r)
{
	long done = 0;
	int ret;

	while (!atomic_load(&r->stop) &&
	       atomic_load(&r->sync_req) == atomic_load(&r->sync_done)) {
		ret = tracefs_cpu_write(r->tcpu, r->fd, true);
		if (ret > 0) {
			done += ret;
			continue;
		}
		if (ret < 0 && errno != EAGAIN && errno != EINTR) {
			reader_fail(r, errno);
			return -1;
		}
		break;
	}
	return done;
}

static void reader_drain_wake(struct ps_cpu_reader *r)
{
	char buf[64];

	while (read(r->wake[0], buf, sizeof(buf)) > 0)
		;
}

static void *reader_main(void *arg)
{
	struct ps_cpu_reader *r = arg;
	int idle_ms = -1;	/* poll timeout: -1 until a wake-up was empty */
	sigset_t all;
	int ret;

	/* every signal goes to the main thread: see the top of the file */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	r->tid = gettid();
	atomic_store(&r->ready, 1);
	while (!atomic_load(&r->stop)) {
		struct pollfd pfd[2] = {
			{ .fd = r->poll_fd, .events = POLLIN },
			{ .fd = r->wake[0], .events = POLLIN },
		};

		if (atomic_load(&r->sync_req) != atomic_load(&r->sync_done)) {
			reader_sync(r);
			if (r->err)
				return NULL;
			continue;
		}
		ret = poll(pfd, 2, idle_ms);
		if (ret < 0 && errno != EINTR) {
			reader_fail(r, errno);
			return NULL;
		}
		if (pfd[1].revents)
			reader_drain_wake(r);
		if (ret <= 0 || !(pfd[0].revents & (POLLIN | POLLERR | POLLHUP))) {
			idle_ms = -1;
			continue;
		}
		ret = reader_splice(r);
		if (ret < 0)
			return NULL;
		/*
		 * Readable but no full page: a kernel whose poll does not
		 * wait for buffer_percent (before 6.1).  Look again in
		 * 10 ms rather than spin; a request still wakes us at once.
		 */
		idle_ms = ret == 0 ? 10 : -1;
	}
	if (atomic_load(&r->stop) > 1)
		return NULL;
	/* Tracing is off now: take the full pages, then the partial one. */
	while ((ret = tracefs_cpu_write(r->tcpu, r->fd, true)) > 0)
		;
	if (ret < 0 && errno != EAGAIN) {
		reader_fail(r, errno);
		return NULL;
	}
	while ((ret = tracefs_cpu_flush_write(r->tcpu, r->fd)) > 0)
		;
	if (ret < 0 && errno != EAGAIN)
		reader_fail(r, errno);
	return NULL;
}

/* A byte down a reader's wake pipe: it looks at its requests. */
static void reader_wake(struct ps_cpu_reader *r)
{
	ssize_t n = write(r->wake[1], "w", 1);

	(void)n;	/* full (EAGAIN): a wake-up is pending anyway */
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
	/* The "recorder" marker names the readers: wait for their tids. */
	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		const struct timespec tick = { 0, 1000 * 1000 };

		while (rec->readers[cpu].running &&
		       !atomic_load(&rec->readers[cpu].ready))
			nanosleep(&tick, NULL);
	}
	return 0;
}

/*
 * The recorder's own threads: our pid, then each running reader's tid,
 * into v (room for nr_cpus + 1).  Returns how many.
 */
int ps_buffers_pids(struct ps_recorder *rec, pid_t *v)
{
	int cpu, n = 0;

	v[n++] = getpid();
	for (cpu = 0; rec->readers && cpu < rec->nr_cpus; cpu++)
		if (rec->readers[cpu].running)
			v[n++] = rec->readers[cpu].tid;
	return n;
}

/* "pid,tid,..." of the recorder's threads, for the "recorder" marker. */
void ps_buffers_tids(struct ps_recorder *rec, char *buf, size_t size)
{
	pid_t *v = ps_xcalloc(rec->nr_cpus + 1, sizeof(*v));
	int nr = ps_buffers_pids(rec, v), i;
	size_t n = 0;

	buf[0] = '\0';
	for (i = 0; i < nr && n < size; i++)
		n += snprintf(buf + n, size - n, "%s%d", i ? "," : "", v[i]);
	free(v);
}

/*
 * Makes every reader write out what its CPU's ring buffer holds now,
 * and waits for them (a second at most each).  Returns 0, or -1 if a
 * reader did not answer: then events from before the call may still be
 * in the ring buffer.
 */
int ps_buffers_sync(struct ps_recorder *rec)
{
	const struct timespec tick = { 0, 1000 * 1000 };
	int cpu, ret = 0;

	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		struct ps_cpu_reader *r = &rec->readers[cpu];

		if (r->running) {
			atomic_fetch_add(&r->sync_req, 1);
			reader_wake(r);
		}
	}
	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		struct ps_cpu_reader *r = &rec->readers[cpu];
		int waited;

		if (!r->running)
			continue;
		for (waited = 0; atomic_load(&r->sync_done) !=
				 atomic_load(&r->sync_req); waited++) {
			if (waited == 1000 || r->err) {
				ret = -1;
				break;
			}
			nanosleep(&tick, NULL);
		}
	}
	return ret;
}

/*
 * Wakes and joins the readers; tracing must be off already.  @drain:
 * take what is left in the ring buffer first (the normal end), or not
 * (an error path, or the disk is full anyway).
 */
int ps_buffers_stop(struct ps_recorder *rec, bool drain)
{
	int cpu, ret = 0;

	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		struct ps_cpu_reader *r = &rec->readers[cpu];

		if (!r->running)
			continue;
		atomic_store(&r->stop, drain ? 1 : 2);
		reader_wake(r);
	}
	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		struct ps_cpu_reader *r = &rec->readers[cpu];

		if (!r->running)
			continue;
		pthread_join(r->thread, NULL);
		r->running = false;
		/* record.c says it, once: rec->writer_failed */
		if (r->err)
			ret = -1;
	}
	return ret;
}

/* Closes what ps_buffers_open() opened and removes the temp files. */
void ps_buffers_close(struct ps_recorder *rec)
{
	int cpu;

	if (!rec->readers)
		return;
	ps_buffers_stop(rec, false);
	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		struct ps_cpu_reader *r = &rec->readers[cpu];

		tracefs_cpu_close(r->tcpu);
		if (r->poll_fd >= 0)
			close(r->poll_fd);
		if (r->wake[0] >= 0) {
			close(r->wake[0]);
			close(r->wake[1]);
		}
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
