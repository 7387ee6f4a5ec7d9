// SPDX-License-Identifier: GPL-2.0
/*
 * pagestate record: page events of one workload (or of the whole system)
 * into a trace-cmd trace.dat that carries its own metadata.
 *
 * The life of a recording:
 *   probe the kernel, pick the profile        profile.c
 *   start the command stopped, or attach      workload.c
 *   our own tracefs instance, events on, one  buffers.c
 *     kprobes (global, group pagestate)       kprobes.c, layout.c
 *     splicing reader per CPU, tracing on
 *   begin/cap/event/task markers, run it      marker.c, workload.c
 *   exit snapshots at each process's exit     snapshot.c
 *   end marker, tracing off, drain, stats
 *   trace.dat through libtracecmd             output.c
 *   remove the instance and the kprobes
 *
 * We record system-wide, without a pid filter: khugepaged, kcompactd and
 * kswapd act on the workload's pages from their own context; our own
 * threads are recorded too and named by the "recorder" marker.  Only our
 * instance is touched, so a trace-cmd session next to us is unharmed, and
 * the instance goes away on every way out, SIGINT, SIGTERM and SIGHUP
 * included: the handlers only set a flag; the main loop ends the
 * recording.  A failed write of the per-CPU data (disk full) ends it too,
 * with a partial file and exit 2.  SIGKILL cannot be caught: what it
 * leaves, the next record (or record --cleanup, or recover) takes care
 * of (stale.c).
 */
#include <errno.h>
#include <mntent.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "pagestate/builtin.h"
#include "pagestate/recording.h"
#include "record.h"

static const char *const record_usage[] = {
	"pagestate record [-o FILE] [-e SYSTEM:EVENT]... [--stack | --stack-on=LIST] [-b KB] [-q] [--no-snapshot] [--start-snapshot] -- CMD [ARGS...]",
	"pagestate record [options] -p PID",
	"pagestate record [options]          (whole system until SIGINT/SIGTERM)",
	"pagestate record --list-capabilities",
	"pagestate record --cleanup          (only remove what dead recorders left)",
	NULL,
};

static volatile sig_atomic_t stop_signal;
static struct ps_recorder *exit_cleanup;
/* What the workload should inherit: the dispositions we were given. */
static struct sigaction orig_int, orig_term, orig_hup, orig_chld;
static sigset_t orig_mask;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void on_sigchld(int sig)
{
}

/*
 * SIGINT, SIGTERM, SIGHUP and SIGCHLD stay blocked except inside ppoll(),
 * so a signal can never slip in between "check the flag" and "sleep".
 */
static void signals_setup(sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &orig_mask);
	*wait_mask = orig_mask;
	sigdelset(wait_mask, SIGINT);
	sigdelset(wait_mask, SIGTERM);
	sigdelset(wait_mask, SIGHUP);
	sigdelset(wait_mask, SIGCHLD);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigaction(SIGINT, &sa, &orig_int);
	sigaction(SIGTERM, &sa, &orig_term);
	sigaction(SIGHUP, &sa, &orig_hup);
	/* Not SA_NOCLDSTOP: ptrace stops must wake us too. */
	sa.sa_handler = on_sigchld;
	sigaction(SIGCHLD, &sa, &orig_chld);
}

/* In the forked workload, before exec. */
void ps_record_restore_signals(void)
{
	sigaction(SIGINT, &orig_int, NULL);
	sigaction(SIGTERM, &orig_term, NULL);
	sigaction(SIGHUP, &orig_hup, NULL);
	sigaction(SIGCHLD, &orig_chld, NULL);
	sigprocmask(SIG_SETMASK, &orig_mask, NULL);
}

static void wait_a_little(const sigset_t *wait_mask)
{
	const struct timespec tick = { 0, 200 * 1000 * 1000 };

	ppoll(NULL, 0, &tick, wait_mask);
}

/*
 * Our own look at /proc/mounts: libtracefs 1.6's
 * tracefs_tracing_dir_is_mounted() leaks the path it finds.
 */
static bool tracefs_mounted(void)
{
	struct mntent *m;
	bool found = false;
	FILE *f = setmntent("/proc/mounts", "re");

	if (!f)
		return false;
	while (!found && (m = getmntent(f)))
		found = !strcmp(m->mnt_type, "tracefs");
	endmntent(f);
	return found;
}

static int check_environment(void)
{
	if (geteuid() != 0) {
		ps_error("recording needs root (tracefs, ptrace, /proc/kpageflags): run as root, e.g. sudo pagestate record ...");
		return -1;
	}
	if (tracefs_mounted())
		return 0;
	if (mount("nodev", PS_TRACEFS_PATH, "tracefs", 0, NULL)) {
		ps_error("tracefs is not mounted and mounting it failed (%s): mount -t tracefs nodev %s",
			 strerror(errno), PS_TRACEFS_PATH);
		return -1;
	}
	ps_info("mounted tracefs on %s", PS_TRACEFS_PATH);
	return 0;
}

static int instance_create(struct ps_recorder *rec)
{
	char name[64];

	snprintf(name, sizeof(name), PS_INSTANCE_PREFIX "%d", getpid());
	rec->instance = tracefs_instance_create(name);
	/* A leftover of a dead recorder that had our pid: start clean. */
	if (rec->instance && !tracefs_instance_is_new(rec->instance)) {
		tracefs_instance_destroy(rec->instance);
		tracefs_instance_free(rec->instance);
		rec->instance = tracefs_instance_create(name);
	}
	if (!rec->instance) {
		ps_error("cannot create the tracefs instance %s/instances/%s: %s",
			 rec->caps.tracing_dir, name, strerror(errno));
		return -1;
	}
	rec->instance_created = true;
	rec->instance_dir = tracefs_instance_get_dir(rec->instance);
	return 0;
}

static int instance_setup(struct ps_recorder *rec)
{
	char kb[32];

	rec->nr_cpus = sysconf(_SC_NPROCESSORS_CONF);
	ps_run_register(rec);
	if (instance_create(rec))
		return -1;
	/* A new instance traces from the start; nothing until we are ready. */
	tracefs_trace_off(rec->instance);
	ps_kprobes_place(rec);
	snprintf(kb, sizeof(kb), "%d", rec->buffer_kb);
	if (tracefs_instance_file_write(rec->instance, "buffer_size_kb", kb) < 0) {
		ps_error("cannot set a %d KiB ring buffer per CPU (%s): try a smaller -b",
			 rec->buffer_kb, strerror(errno));
		return -1;
	}
	if (ps_profile_enable(rec))
		return -1;
	if (ps_buffers_open(rec))
		return -1;
	ps_run_add_events(rec);
	if (tracefs_print_init(rec->instance)) {
		ps_error("cannot open %s/trace_marker: %s", rec->instance_dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Every way out goes through here; safe to call twice.  Tracing goes off
 * first, so the writers stop at once; the per-CPU files go, the instance,
 * our kprobe events, and last the run file that would make us stale.
 */
static void recorder_cleanup(struct ps_recorder *rec)
{
	if (rec->instance)
		tracefs_trace_off(rec->instance);
	ps_buffers_close(rec);
	ps_snapshot_close(rec);
	ps_deep_free(rec);
	ps_stacks_disable(rec);
	if (rec->instance) {
		tracefs_print_close(rec->instance);
		if (rec->instance_created &&
		    tracefs_instance_destroy(rec->instance))
			ps_warn("cannot remove %s: %s; remove it with rmdir",
				rec->instance_dir, strerror(errno));
		tracefs_instance_free(rec->instance);
		rec->instance = NULL;
	}
	ps_kprobes_destroy(rec);
	tracefs_put_tracing_file(rec->instance_dir);
	rec->instance_dir = NULL;
	ps_event_set_clear(&rec->events);
	ps_run_unregister(rec);
}

/* For ps_die() and other exit() paths that skip the normal ending. */
static void cleanup_at_exit(void)
{
	if (exit_cleanup)
		recorder_cleanup(exit_cleanup);
}

static void cmdline_of(pid_t pid, char *buf, size_t size)
{
	char path[64];
	size_t len = 0, i;
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	len = fread(buf, 1, size - 1, f);
	fclose(f);
	for (i = 0; i < len; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[len] = '\0';
}

static void mark_begin(struct ps_recorder *rec, const char **cmd, pid_t pid)
{
	char line[PS_MARK_MAX] = "";
	struct utsname u;
	size_t n = 0;

	if (cmd) {
		for (; *cmd && n < sizeof(line) - 1; cmd++)
			n += snprintf(line + n, sizeof(line) - n, "%s%s",
				      n ? " " : "", *cmd);
	} else if (pid > 0) {
		cmdline_of(pid, line, sizeof(line));
	}
	/* cmd= runs to the end of the line: it must be one line. */
	line[strcspn(line, "\n")] = '\0';
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	ps_mark(rec, "begin v=%d tool=%s kernel=%s profile=%s cmd=%s",
		PS_MARK_VERSION, PAGESTATE_VERSION, u.release, rec->profile,
		line);
	ps_buffers_tids(rec, line, sizeof(line));
	ps_mark(rec, "recorder pids=%s", line);
	ps_profile_mark(rec);
}

static int recorder_start(struct ps_recorder *rec, const char **cmd,
			  pid_t pid)
{
	if (ps_buffers_start(rec) || ps_stacks_enable(rec))
		return -1;
	if (tracefs_trace_on(rec->instance)) {
		ps_error("cannot turn tracing on in %s: %s", rec->instance_dir,
			 strerror(errno));
		return -1;
	}
	ps_info("recording profile=%s (%d events, %d KiB per CPU) into %s",
		rec->profile, rec->events.nr, rec->buffer_kb, rec->output);
	mark_begin(rec, cmd, pid);
	if (ps_kprobes_enable(rec))
		return -1;
	/* pages born before this had rmap calls no probe saw (engine.c) */
	if (rec->kprobes)
		ps_mark(rec, "probes-on");
	return 0;
}

/*
 * The normal end: end marker, tracing off, the ring buffer drained.
 * After a failed write nothing more would reach the disk: no marker, no
 * drain, and the file is partial.
 */
static int recorder_finish(struct ps_recorder *rec)
{
	bool failed = atomic_load(&rec->writer_failed);
	int ret;

	if (!failed)
		ps_mark(rec, "end");
	tracefs_trace_off(rec->instance);
	ret = ps_buffers_stop(rec, !failed);
	ps_buffers_read_stats(rec);
	if (atomic_load(&rec->writer_failed)) {
		rec->partial = atomic_load(&rec->writer_failed) == ENOSPC ?
			       "disk-full" : "io-error";
		rec->missing = "end,exit-snapshots,tail";
	}
	return ret;
}

static void run(struct ps_recorder *rec, struct ps_workload *w,
		const sigset_t *wait_mask)
{
	bool told = false;

	for (;;) {
		if (atomic_load(&rec->writer_failed) && !stop_signal)
			stop_signal = SIGTERM;	/* the disk will take no more */
		if (stop_signal && !told) {
			if (atomic_load(&rec->writer_failed))
				ps_info("writing the per-CPU data failed: stopping the recording");
			else
				ps_info("%s: stopping the recording",
					strsignal(stop_signal));
			told = true;
		}
		if (stop_signal && !w)
			return;
		if (w) {
			if (stop_signal)
				ps_workload_stop(w, stop_signal);
			ps_workload_poll(w);
			if (ps_workload_done(w))
				return;
		}
		wait_a_little(wait_mask);
	}
}

static void report_file(const char *output)
{
	struct stat st;

	if (!stat(output, &st))
		ps_info("wrote %s (%.1f MiB)", output,
			st.st_size / (1024.0 * 1024.0));
}

static int record(struct ps_recorder *rec, const char **cmd, pid_t pid)
{
	struct ps_workload *w = NULL;
	sigset_t wait_mask;
	int ret = PS_EXIT_USAGE;

	signals_setup(&wait_mask);
	exit_cleanup = rec;
	atexit(cleanup_at_exit);

	if (rec->caps.kpageflags && (rec->snap_exit || rec->snap_start))
		ps_snapshot_open(rec);
	if (cmd)
		w = ps_workload_spawn(rec, cmd);
	else if (pid > 0)
		w = ps_workload_attach(rec, pid);
	if ((cmd || pid > 0) && !w)
		goto out;
	if (instance_setup(rec) || recorder_start(rec, cmd, pid))
		goto out;
	if (!w)
		ps_info("recording the whole system; SIGINT (Ctrl-C) or SIGTERM stops");
	if (w) {
		ps_workload_announce(w);
		if (ps_workload_resume(w))
			goto out;
	}
	run(rec, w, &wait_mask);
	if (w)
		ps_workload_release(w);
	if (recorder_finish(rec) && !rec->partial)
		goto out;
	if (w && ps_workload_result(w))
		goto out;
	if (ps_output_write(rec))
		goto out;
	ps_buffers_report_lost(rec);
	if (rec->partial) {
		ps_error("%s: %s while recording; stopped, the file written so far is partial (%s)",
			 rec->output, atomic_load(&rec->writer_failed) ?
			 strerror(atomic_load(&rec->writer_failed)) :
			 strerror(ENOSPC), rec->missing);
		goto out;
	}
	report_file(rec->output);
	ret = PS_EXIT_OK;
out:
	ps_workload_free(w);
	recorder_cleanup(rec);
	exit_cleanup = NULL;
	return ret;
}

/* What the option parser cannot judge alone; -1 after saying why. */
static int record_args_bad(const char **argv, int n, int dd, int pid,
			   int buffer_kb, bool stack, const char *stack_on)
{
	if (dd > 0)
		return ps_error("unexpected argument '%s': the command goes "
				"after '--'", argv[0]);
	if (n > 0 && pid != -1)
		return ps_error("give either -p PID or -- CMD, not both");
	if (stack && stack_on)
		return ps_error("give --stack (every event) or --stack-on=LIST, not both");
	if (pid == 0 || buffer_kb == 0)
		return ps_error("%s must be greater than 0",
				pid == 0 ? "-p" : "-b");
	return 0;
}

/*
 * After the options: probe the kernel, then list, clean up or record.
 * Returns the exit status; the caller frees @events.
 */
static int record_run(struct ps_recorder *rec, struct ps_strlist *events,
		      const char **cmd, int pid, bool list_caps, bool cleanup)
{
	int cleaned;

	if (check_environment() || ps_caps_probe(&rec->caps))
		return PS_EXIT_USAGE;
	if (list_caps) {
		ps_caps_print(&rec->caps);
		return PS_EXIT_OK;
	}
	cleaned = ps_stale_cleanup(rec->caps.tracing_dir);
	if (cleanup) {
		if (!cleaned)
			ps_info("nothing left by dead recorders");
		return PS_EXIT_OK;
	}
	if (rec->stack && !rec->caps.stacktrace) {
		ps_error("--stack: this kernel has no %s/options/stacktrace",
			 rec->caps.tracing_dir);
		return PS_EXIT_USAGE;
	}
	if (rec->stack_on && ps_stack_on_check(rec))
		return PS_EXIT_USAGE;
	if (ps_profile_build(rec, events)) {
		ps_event_set_clear(&rec->events);
		return PS_EXIT_USAGE;
	}
	return record(rec, cmd, pid);
}

int cmd_record(int argc, const char **argv)
{
	struct ps_recorder rec = {
		.output = "trace.dat",
		.kpagecount_fd = -1,
		.kpageflags_fd = -1,
		.run_fd = -1,
	};
	struct ps_strlist events = { 0 };
	int buffer_kb = -1, pid = -1, stack = 0, quiet = 0;
	int no_snapshot = 0, start_snapshot = 0, list_caps = 0, cleanup = 0;
	const struct ps_option opts[] = {
		PS_OPT_STRING_F('o', "output", &rec.output, "file",
			"write the recording here (default trace.dat)"),
		PS_OPT_STRING_LIST_F('e', "event", &events, "system:event",
			"record this event too (SYSTEM:* or SYSTEM for a group)"),
		PS_OPT_BOOL_F(0, "stack", &stack,
			"a kernel stack with every event (costly)"),
		PS_OPT_STRING_F(0, "stack-on", &rec.stack_on, "list",
			"a kernel stack after these events only: SYSTEM:EVENT globs, 'holders'"),
		PS_OPT_INT_F('b', "buffer-kb", &buffer_kb, "kb",
			"ring buffer per CPU in KiB (default: by memory and CPUs)"),
		PS_OPT_INT_F('p', "pid", &pid, "pid",
			"attach to a running process instead of starting one"),
		PS_OPT_BOOL_F('q', "quiet", &quiet,
			"print only warnings and errors"),
		PS_OPT_BOOL_F(0, "no-snapshot", &no_snapshot,
			"no page snapshot when a workload process exits"),
		PS_OPT_BOOL_F(0, "start-snapshot", &start_snapshot,
			"also snapshot the workload's pages when it starts"),
		PS_OPT_BOOL_F(0, "list-capabilities", &list_caps,
			"print what this kernel offers and exit"),
		PS_OPT_BOOL_F(0, "cleanup", &cleanup,
			"only remove (and recover) what dead recorders left"),
		PS_OPT_END_MARK,
	};
	const char **cmd = NULL;
	int n, dd, ret;
	enum ps_parse_result res;

	res = ps_parse_options(argc, argv, opts, record_usage, &n, &dd);
	if (res != PS_PARSE_OK) {
		ps_strlist_clear(&events);
		return ps_parse_exit(res);
	}
	if (record_args_bad(argv, n, dd, pid, buffer_kb, stack,
			    rec.stack_on))
		goto usage_error;
	if (n > 0)
		cmd = argv;
	ps_quiet = quiet;
	rec.buffer_kb = buffer_kb > 0 ? buffer_kb :
			ps_default_buffer_kb(sysconf(_SC_NPROCESSORS_ONLN));
	rec.stack = stack;
	rec.snap_exit = !no_snapshot;
	rec.snap_start = start_snapshot;

	ret = record_run(&rec, &events, cmd, pid, list_caps, cleanup);
	ps_strlist_clear(&events);
	return ret;

usage_error:
	ps_strlist_clear(&events);
	return PS_EXIT_USAGE;
}
