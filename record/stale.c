// SPDX-License-Identifier: GPL-2.0
/*
 * What a recorder leaves behind when it cannot clean up (SIGKILL, the OOM
 * killer, a closed ssh session), and how the next one copes.
 *
 * A dead recorder leaves its tracefs instance pagestate-<pid> tracing on,
 * its kprobe events (group PS_PROBE_GROUP), the per-CPU files OUT.cpuN
 * it spliced into, and its run file PS_RUN_DIR/record-<pid> (output path,
 * CPUs, events).  The next `record`, and `record --cleanup`, find them:
 * a recorder is dead when nobody holds the lock of its run file (without
 * a run file: when /proc/<pid>/exe is no pagestate binary, so a reused
 * pid is not taken for a live recorder).  What a dead recorder spliced is
 * first turned into OUT, marked partial, with what was still in its ring
 * buffer appended; then the instance and the kprobe events go.
 * `pagestate recover OUT` does the same for one file.
 *
 * The recovered file takes its event formats from the running kernel
 * (the kprobe events are still defined until the cleanup removes them),
 * so recover on the machine and boot that recorded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pagestate/builtin.h"
#include "pagestate/recording.h"
#include "record.h"

/* OUT as an absolute path, so any cwd finds the files again. */
static char *abs_path(const char *path)
{
	char cwd[PATH_MAX];
	char *s;

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return ps_xstrdup(path);
	if (asprintf(&s, "%s/%s", cwd, path) < 0)
		ps_die("out of memory");
	return s;
}

static char *run_path(pid_t pid)
{
	char *s;

	if (asprintf(&s, "%s/record-%d", PS_RUN_DIR, pid) < 0)
		ps_die("out of memory");
	return s;
}

/*
 * Before the instance exists.  Not fatal: without it a stale instance is
 * still found (by pid), only recover must then be told the file.
 */
int ps_run_register(struct ps_recorder *rec)
{
	char *out;

	/* No /run (a bare initramfs): the pid check has to do. */
	if (mkdir(PS_RUN_DIR, 0700)) {
		if (errno == ENOENT)
			return -1;
		if (errno != EEXIST)
			goto fail;
	}
	rec->run_file = run_path(getpid());
	rec->run_fd = open(rec->run_file, O_RDWR | O_CREAT | O_TRUNC |
			   O_CLOEXEC, 0600);
	if (rec->run_fd < 0)
		goto fail;
	if (flock(rec->run_fd, LOCK_EX | LOCK_NB))
		goto fail;
	out = abs_path(rec->output);
	dprintf(rec->run_fd, "pid=%d\noutput=%s\ncpus=%d\n", getpid(), out,
		rec->nr_cpus);
	free(out);
	return 0;
fail:
	ps_warn("cannot register in %s: %s; after a crash run 'pagestate recover %s'",
		PS_RUN_DIR, strerror(errno), rec->output);
	if (rec->run_fd >= 0)
		close(rec->run_fd);
	rec->run_fd = -1;
	if (rec->run_file)
		unlink(rec->run_file);
	free(rec->run_file);
	rec->run_file = NULL;
	return -1;
}

/* The events recover must write formats for, once they are final. */
void ps_run_add_events(struct ps_recorder *rec)
{
	int i;

	for (i = 0; rec->run_fd >= 0 && i < rec->events.nr; i++)
		dprintf(rec->run_fd, "event=%s\n", rec->events.v[i]);
}

void ps_run_unregister(struct ps_recorder *rec)
{
	if (rec->run_file)
		unlink(rec->run_file);
	if (rec->run_fd >= 0)
		close(rec->run_fd);
	rec->run_fd = -1;
	free(rec->run_file);
	rec->run_file = NULL;
}

/* Is /proc/<pid>/exe a pagestate binary (pagestate, pagestate-asan)? */
static bool runs_pagestate(pid_t pid)
{
	char path[64], exe[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n < 0)
		return errno == EACCES;	/* alive, not ours to judge */
	exe[n] = '\0';
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	return !strncmp(base, "pagestate", 9);
}

/* Is recorder @pid still running?  See the top of the file. */
bool ps_recorder_alive(pid_t pid)
{
	char *path;
	bool alive;
	int fd;

	if (pid <= 0)
		return false;
	if (pid == getpid())
		return true;
	path = run_path(pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd >= 0) {
		alive = flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
		close(fd);
		return alive;
	}
	return runs_pagestate(pid);
}

/* A run file, as ps_run_register() and ps_run_add_events() wrote it. */
struct run_info {
	pid_t pid;
	char *output;
	int cpus;
	struct ps_event_set events;
};

static int run_read(const char *path, struct run_info *ri)
{
	char line[4096];
	FILE *f = fopen(path, "re");

	memset(ri, 0, sizeof(*ri));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *colon;

		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "pid=", 4))
			ri->pid = atoi(line + 4);
		else if (!strncmp(line, "cpus=", 5))
			ri->cpus = atoi(line + 5);
		else if (!strncmp(line, "output=", 7) && !ri->output)
			ri->output = ps_xstrdup(line + 7);
		else if (!strncmp(line, "event=", 6) &&
			 (colon = strchr(line + 6, ':'))) {
			*colon = '\0';
			ps_event_set_add(&ri->events, line + 6, colon + 1);
		}
	}
	fclose(f);
	return ri->output ? 0 : -1;
}

static void run_info_free(struct run_info *ri)
{
	free(ri->output);
	ps_event_set_clear(&ri->events);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* CPUs with a per-CPU file, by the highest N of OUT.cpuN. */
static int count_cpu_files(const char *output, int hint)
{
	char path[PATH_MAX];
	int cpu, n = 0, max = hint > 0 ? hint : 1024;

	for (cpu = 0; cpu < max; cpu++) {
		snprintf(path, sizeof(path), "%s.cpu%d", output, cpu);
		if (exists(path))
			n = cpu + 1;
	}
	return n;
}

/*
 * What the dead recorder's ring buffer still holds, appended to its
 * per-CPU files: the reader only splices full pages, and sleeps until a
 * buffer is half full, so on a quiet run most of it is there.
 */
static bool drain_instance(struct ps_recorder *rec, const char *name)
{
	int cpu;

	if (!tracefs_instance_exists(name))
		return false;
	rec->instance = tracefs_instance_alloc(NULL, name);
	if (!rec->instance)
		return false;
	tracefs_trace_off(rec->instance);
	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		struct tracefs_cpu *tcpu;
		int fd, ret;

		tcpu = tracefs_cpu_open(rec->instance, cpu, true);
		if (!tcpu)
			continue;
		fd = open(rec->cpu_files[cpu], O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd >= 0) {
			while ((ret = tracefs_cpu_write(tcpu, fd, true)) > 0)
				;
			while ((ret = tracefs_cpu_flush_write(tcpu, fd)) > 0)
				;
			close(fd);
		}
		tracefs_cpu_close(tcpu);
	}
	ps_buffers_read_stats(rec);
	return true;
}

/*
 * A page cut by the kill is no page: keep whole sub-buffers only, and
 * give every CPU a file, empty if need be, as libtracecmd wants.
 */
static void trim_cpu_files(struct ps_recorder *rec)
{
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	int cpu, fd;

	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		fd = open(rec->cpu_files[cpu], O_WRONLY | O_CREAT | O_CLOEXEC,
			  0600);
		if (fd < 0)
			continue;
		if (!fstat(fd, &st) && st.st_size % page &&
		    ftruncate(fd, st.st_size - st.st_size % page))
			ps_warn("cannot trim %s: %s", rec->cpu_files[cpu],
				strerror(errno));
		close(fd);
	}
}

/*
 * OUT.cpuN of a dead recorder -> OUT, partial.  @events: what it enabled
 * (NULL or empty: every event's format).  @instance: its instance name,
 * drained first when it still exists.  Returns 0, 1 when there is
 * nothing to recover, -1 on error (said).
 */
static int recover_files(const char *output, int cpus,
			 struct ps_event_set *events, const char *instance)
{
	struct ps_recorder rec = {
		.output = output,
		.kpagecount_fd = -1,
		.kpageflags_fd = -1,
		.run_fd = -1,
		.partial = "killed",
	};
	int cpu, ret;
	bool drained;

	rec.nr_cpus = count_cpu_files(output, 0);
	if (!rec.nr_cpus)
		return 1;
	if (cpus > rec.nr_cpus)
		rec.nr_cpus = cpus;
	rec.caps.tracing_dir = tracefs_tracing_dir();
	if (!rec.caps.tracing_dir)
		return ps_error("%s: recovering needs tracefs (the event formats of this kernel)",
				output);
	if (events)
		rec.events = *events;
	rec.cpu_files = ps_xcalloc(rec.nr_cpus, sizeof(*rec.cpu_files));
	rec.cpu_stats = ps_xcalloc(rec.nr_cpus, sizeof(*rec.cpu_stats));
	for (cpu = 0; cpu < rec.nr_cpus; cpu++)
		if (asprintf(&rec.cpu_files[cpu], "%s.cpu%d", output, cpu) < 0)
			ps_die("out of memory");
	drained = instance && drain_instance(&rec, instance);
	rec.missing = drained ? "end,exit-snapshots" :
		      "end,exit-snapshots,tail,stats";
	trim_cpu_files(&rec);
	ret = ps_output_write(&rec);
	if (!ret) {
		for (cpu = 0; cpu < rec.nr_cpus; cpu++)
			unlink(rec.cpu_files[cpu]);
		ps_info("recovered %s (partial: missing %s)", output,
			rec.missing);
	}
	for (cpu = 0; cpu < rec.nr_cpus; cpu++) {
		free(rec.cpu_files[cpu]);
		free(rec.cpu_stats[cpu]);
	}
	free(rec.cpu_files);
	free(rec.cpu_stats);
	tracefs_instance_free(rec.instance);
	return ret;
}

/*
 * @events: what the dead recorder enabled (its run file), whose stack
 * triggers (stacks.c) go first; NULL when it left no run file.
 */
static void instance_remove(pid_t pid, const char *why,
			    const struct ps_event_set *events)
{
	struct tracefs_instance *inst;
	char name[64];

	snprintf(name, sizeof(name), PS_INSTANCE_PREFIX "%d", pid);
	if (!tracefs_instance_exists(name))
		return;
	inst = tracefs_instance_alloc(NULL, name);
	if (!inst)
		return;
	tracefs_trace_off(inst);
	if (events)
		ps_stacks_clear(inst, events->v, events->nr);
	if (tracefs_instance_destroy(inst))
		ps_warn("cannot remove the tracefs instance %s: %s", name,
			strerror(errno));
	else
		ps_info("removed the tracefs instance %s %s", name, why);
	tracefs_instance_free(inst);
}

/* One dead recorder's run file: its recording recovered, then gone. */
static int stale_run(const char *path)
{
	struct run_info ri;
	char name[64];

	if (run_read(path, &ri) || ps_recorder_alive(ri.pid)) {
		run_info_free(&ri);
		return 0;
	}
	snprintf(name, sizeof(name), PS_INSTANCE_PREFIX "%d", ri.pid);
	if (recover_files(ri.output, ri.cpus, &ri.events, name) < 0)
		ps_warn("the recording of dead recorder pid %d stays in %s.cpu*",
			ri.pid, ri.output);
	instance_remove(ri.pid, "left by a dead recorder", &ri.events);
	unlink(path);
	run_info_free(&ri);
	return 1;
}

static int stale_runs(void)
{
	DIR *dir = opendir(PS_RUN_DIR);
	struct dirent *de;
	int n = 0;

	while (dir && (de = readdir(dir))) {
		char *path;

		if (strncmp(de->d_name, "record-", 7))
			continue;
		if (asprintf(&path, "%s/%s", PS_RUN_DIR, de->d_name) < 0)
			ps_die("out of memory");
		n += stale_run(path);
		free(path);
	}
	if (dir)
		closedir(dir);
	return n;
}

/* Instances of recorders that died without (or before) a run file. */
static int stale_instances(const char *tracing_dir)
{
	size_t len = strlen(PS_INSTANCE_PREFIX);
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/instances", tracing_dir);
	dir = opendir(path);
	while (dir && (de = readdir(dir))) {
		char *end;
		long pid;

		if (strncmp(de->d_name, PS_INSTANCE_PREFIX, len))
			continue;
		pid = strtol(de->d_name + len, &end, 10);
		if (*end || pid <= 0 || ps_recorder_alive(pid))
			continue;
		instance_remove(pid, "left by a dead recorder", NULL);
		n++;
	}
	if (dir)
		closedir(dir);
	return n;
}

/*
 * Everything dead recorders left: recordings recovered, instances and
 * kprobe events removed, each said on stderr.  Returns how many things
 * were cleaned.
 */
int ps_stale_cleanup(const char *tracing_dir)
{
	int n = stale_runs();

	n += stale_instances(tracing_dir);
	return n + ps_kprobes_clean_stale(tracing_dir);
}

static const char *const recover_usage[] = {
	"pagestate recover FILE",
	NULL,
};

/* The run file of the recorder that wrote @output, or NULL. */
static char *run_file_of(const char *output, struct run_info *found)
{
	DIR *dir = opendir(PS_RUN_DIR);
	struct dirent *de;
	char *hit = NULL;

	while (dir && !hit && (de = readdir(dir))) {
		struct run_info ri;
		char *path;

		if (strncmp(de->d_name, "record-", 7))
			continue;
		if (asprintf(&path, "%s/%s", PS_RUN_DIR, de->d_name) < 0)
			ps_die("out of memory");
		if (!run_read(path, &ri) && !strcmp(ri.output, output)) {
			hit = path;
			*found = ri;
			continue;
		}
		run_info_free(&ri);
		free(path);
	}
	if (dir)
		closedir(dir);
	return hit;
}

int cmd_recover(int argc, const char **argv)
{
	const struct ps_option opts[] = { PS_OPT_END_MARK };
	struct run_info ri = { 0 };
	enum ps_parse_result res;
	char *output, *run;
	int n, ret;

	res = ps_parse_options(argc, argv, opts, recover_usage, &n, NULL);
	if (res != PS_PARSE_OK)
		return ps_parse_exit(res);
	if (n != 1) {
		ps_error("recover takes one FILE, the -o of the recording");
		return PS_EXIT_USAGE;
	}
	output = abs_path(argv[0]);
	run = run_file_of(output, &ri);
	if (run && ps_recorder_alive(ri.pid)) {
		ps_error("%s: recorder pid %d is still writing it; stop that one first (SIGINT)",
			 argv[0], ri.pid);
		ret = PS_EXIT_USAGE;
	} else if (run) {
		stale_run(run);
		ret = exists(output) && !count_cpu_files(output, 0) ?
		      PS_EXIT_OK : PS_EXIT_USAGE;
	} else {
		ret = recover_files(output, 0, NULL, NULL);
		if (ret > 0)
			ps_error("%s.cpu0: not found; nothing to recover (was %s recorded with -o %s?)",
				 argv[0], argv[0], argv[0]);
		ret = ret ? PS_EXIT_USAGE : PS_EXIT_OK;
	}
	run_info_free(&ri);
	free(run);
	free(output);
	return ret;
}
