// SPDX-License-Identifier: GPL-2.0
/*
 * The workload, under ptrace.  We do not trace its system calls; ptrace is
 * here for three moments the recording needs and nothing else gives us:
 *
 *  - a new process appears (fork/vfork/clone events): a "task" marker, so
 *    replay knows which pids are the workload's;
 *  - the workload execs: the optional start snapshot of its fresh mm;
 *  - a process exits (PTRACE_EVENT_EXIT): it is stopped before exit_mm(),
 *    so its pages can still be read for the "exit" snapshot.
 *
 * Every other stop is passed straight through: a signal-delivery-stop
 * re-injects the signal, group-stops are left alone as far as ptrace
 * allows.  `-- CMD` uses PTRACE_TRACEME plus EXITKILL (the command dies
 * with us); `-p PID` uses PTRACE_SEIZE without EXITKILL (a process we
 * merely watched must survive us), and PTRACE_INTERRUPT to let go.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "record.h"

/* Grace periods when stopping: the workload's own exit, then SIGKILL. */
#define PS_STOP_GRACE_MS	2000
#define PS_RELEASE_GRACE_MS	2000

#define PS_PTRACE_OPTIONS	(PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | \
				 PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | \
				 PTRACE_O_TRACEEXIT)

struct ps_task {
	pid_t tid;
	pid_t tgid;		/* 0: not known yet */
	bool fresh;		/* its first, attach stop is still to come */
	bool detaching;
	bool stop_sent;		/* SIGSTOP sent to stop a TRACEME tracee */
};

struct ps_workload {
	struct ps_recorder *rec;
	bool seized;		/* -p: PTRACE_SEIZE; else PTRACE_TRACEME */
	pid_t root;
	char root_comm[16];
	int root_status;
	bool root_started;	/* exec'd (or attached) */
	bool root_done;
	bool stopping;
	bool killed;
	bool releasing;
	u64 deadline_ms;
	struct ps_task **tasks;
	int nr_tasks;
	int alloc_tasks;
};

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct ps_task *task_find(struct ps_workload *w, pid_t tid)
{
	int i;

	for (i = 0; i < w->nr_tasks; i++)
		if (w->tasks[i]->tid == tid)
			return w->tasks[i];
	return NULL;
}

static struct ps_task *task_add(struct ps_workload *w, pid_t tid, pid_t tgid)
{
	struct ps_task *t = ps_xcalloc(1, sizeof(*t));

	t->tid = tid;
	t->tgid = tgid;
	t->detaching = w->releasing;
	if (w->nr_tasks == w->alloc_tasks) {
		w->alloc_tasks = w->alloc_tasks ? 2 * w->alloc_tasks : 16;
		w->tasks = ps_xrealloc(w->tasks,
				       w->alloc_tasks * sizeof(*w->tasks));
	}
	w->tasks[w->nr_tasks++] = t;
	return t;
}

static void task_del(struct ps_workload *w, pid_t tid)
{
	int i;

	for (i = 0; i < w->nr_tasks; i++) {
		if (w->tasks[i]->tid != tid)
			continue;
		free(w->tasks[i]);
		w->tasks[i] = w->tasks[--w->nr_tasks];
		return;
	}
}

/* "Tgid:" from /proc/TID/status; 0 when the task is gone. */
static pid_t read_tgid(pid_t tid, pid_t *ppid)
{
	char path[64], line[256];
	pid_t tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Tgid:", 5))
			tgid = atoi(line + 5);
		else if (ppid && !strncmp(line, "PPid:", 5))
			*ppid = atoi(line + 5);
	}
	fclose(f);
	return tgid;
}

static pid_t tgid_of(struct ps_task *t)
{
	if (!t->tgid)
		t->tgid = read_tgid(t->tid, NULL);
	return t->tgid ? t->tgid : t->tid;
}

static void read_comm(pid_t pid, char *comm, size_t size)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f || !fgets(comm, size, f))
		snprintf(comm, size, "?");
	if (f)
		fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
}

static void announce_task(struct ps_workload *w, pid_t pid, pid_t ppid,
			  const char *known_comm)
{
	char comm[64];

	if (known_comm)
		snprintf(comm, sizeof(comm), "%s", known_comm);
	else
		read_comm(pid, comm, sizeof(comm));
	ps_comm_sanitize(comm);
	ps_mark(w->rec, "task pid=%d ppid=%d comm=%s", pid, ppid, comm);
}

static void task_detach(struct ps_workload *w, struct ps_task *t, int sig)
{
	pid_t tid = t->tid, tgid = tgid_of(t);
	bool cancel_stop = t->stop_sent;

	ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)sig);
	/* Our SIGSTOP was not what stopped it: it must not stop it later. */
	if (cancel_stop)
		syscall(SYS_tgkill, tgid, tid, SIGCONT);
	task_del(w, tid);
}

/* Restarts a stopped tracee, or lets go of it when we are leaving. */
static void task_resume(struct ps_workload *w, struct ps_task *t, int sig)
{
	if (t->detaching) {
		task_detach(w, t, sig);
		return;
	}
	/* ESRCH: SIGKILLed while stopped; waitpid will report the death. */
	ptrace(PTRACE_CONT, t->tid, NULL, (void *)(long)sig);
}

static void on_new_child(struct ps_workload *w, struct ps_task *parent,
			 int event)
{
	unsigned long msg;
	pid_t ppid = tgid_of(parent);
	struct ps_task *child;

	if (ptrace(PTRACE_GETEVENTMSG, parent->tid, NULL, &msg))
		return;
	child = task_find(w, msg);
	if (!child) {
		child = task_add(w, msg, 0);
		child->fresh = true;
	}
	if (event == PTRACE_EVENT_CLONE)
		child->tgid = read_tgid(msg, NULL);
	else
		child->tgid = msg;
	/* Threads share their process's mm: only processes are tasks. */
	if (child->tgid == child->tid || !child->tgid)
		announce_task(w, msg, ppid, NULL);
}

static void on_exec(struct ps_workload *w, struct ps_task *t)
{
	unsigned long former;

	/* A non-leader thread exec'd: its old tid is gone without a word. */
	if (!ptrace(PTRACE_GETEVENTMSG, t->tid, NULL, &former) &&
	    (pid_t)former != t->tid)
		task_del(w, former);
	if (t->tid != w->root || w->root_started)
		return;
	w->root_started = true;
	if (w->rec->snap_start)
		ps_snapshot_take(w->rec, w->root, "start");
}

static void on_exit_stop(struct ps_workload *w, struct ps_task *t)
{
	unsigned long status = 0;

	if (t->tid != tgid_of(t))
		return;
	ptrace(PTRACE_GETEVENTMSG, t->tid, NULL, &status);
	ps_mark(w->rec, "exit pid=%d status=%lu", t->tid, status);
	/* A root that never exec'd is our own forked image: not worth it. */
	if (!w->rec->snap_exit || (t->tid == w->root && !w->root_started))
		return;
	/*
	 * The deep snapshot reads every pfn the recording named so far:
	 * taken at every exit it costs exits x pfns (cow.c forks hundreds
	 * of times over 100k pfns, and each read fires the page_read
	 * kprobe), so only the workload's own end gets one.
	 */
	if (!ps_snapshot_take(w->rec, t->tid, "exit") && t->tid == w->root)
		ps_deep_take(w->rec, t->tid);
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	       sig == SIGTTOU;
}

/* PTRACE_EVENT_STOP: only seized tracees have these. */
static void on_event_stop(struct ps_workload *w, struct ps_task *t, int sig)
{
	if (t->fresh) {
		t->fresh = false;
		task_resume(w, t, 0);
	} else if (t->detaching) {
		task_detach(w, t, 0);
	} else if (is_stop_signal(sig)) {
		/* group-stop: stay stopped, but hear about SIGCONT */
		ptrace(PTRACE_LISTEN, t->tid, NULL, NULL);
	} else {
		task_resume(w, t, 0);
	}
}

static void on_signal_stop(struct ps_workload *w, struct ps_task *t, int sig)
{
	siginfo_t si;

	if (t->fresh && sig == SIGSTOP) {
		/* the attach stop of an auto-attached child: not a signal */
		t->fresh = false;
		task_resume(w, t, 0);
		return;
	}
	if (t->stop_sent && sig == SIGSTOP) {
		t->stop_sent = false;
		task_detach(w, t, 0);
		return;
	}
	/*
	 * A TRACEME tracee's group-stop looks like a signal stop but has no
	 * siginfo.  It cannot be kept stopped without PTRACE_LISTEN, which
	 * needs SEIZE (ptrace(2), BUGS), so it resumes.
	 */
	if (!w->seized && ptrace(PTRACE_GETSIGINFO, t->tid, NULL, &si) &&
	    errno == EINVAL) {
		task_resume(w, t, 0);
		return;
	}
	task_resume(w, t, sig);
}

static void task_gone(struct ps_workload *w, pid_t tid, int status)
{
	if (tid == w->root) {
		w->root_done = true;
		w->root_status = status;
	}
	task_del(w, tid);
}

static void handle_status(struct ps_workload *w, pid_t tid, int status)
{
	struct ps_task *t;
	int event = (unsigned int)status >> 16;

	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		task_gone(w, tid, status);
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	t = task_find(w, tid);
	if (!t) {
		/* a new child that stopped before its parent's event came */
		t = task_add(w, tid, 0);
		t->fresh = true;
	}
	switch (event) {
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		on_new_child(w, t, event);
		break;
	case PTRACE_EVENT_EXEC:
		on_exec(w, t);
		break;
	case PTRACE_EVENT_EXIT:
		on_exit_stop(w, t);
		break;
	case PTRACE_EVENT_STOP:
		on_event_stop(w, t, WSTOPSIG(status));
		return;
	case 0:
		on_signal_stop(w, t, WSTOPSIG(status));
		return;
	default:
		break;
	}
	task_resume(w, t, 0);
}

static void __attribute__((noreturn)) child_exec(const char **argv)
{
	/* The recorder's handlers and signal mask are not the workload's. */
	ps_record_restore_signals();
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL)) {
		ps_error("PTRACE_TRACEME: %s", strerror(errno));
		_exit(127);
	}
	raise(SIGSTOP);
	execvp(argv[0], (char *const *)argv);
	ps_error("cannot run '%s': %s", argv[0], strerror(errno));
	_exit(127);
}

static struct ps_workload *workload_alloc(struct ps_recorder *rec)
{
	struct ps_workload *w = ps_xcalloc(1, sizeof(*w));

	w->rec = rec;
	return w;
}

/*
 * Forks the command and leaves it stopped before exec, so tracing can be
 * set up first; ps_workload_resume() lets it run.
 */
struct ps_workload *ps_workload_spawn(struct ps_recorder *rec,
				      const char **argv)
{
	struct ps_workload *w = workload_alloc(rec);
	const char *base = strrchr(argv[0], '/');
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ps_error("cannot fork the workload: %s", strerror(errno));
		free(w);
		return NULL;
	}
	if (!pid)
		child_exec(argv);
	if (waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status) ||
	    ptrace(PTRACE_SETOPTIONS, pid, NULL,
		   (void *)(long)(PS_PTRACE_OPTIONS | PTRACE_O_EXITKILL))) {
		ps_error("cannot trace the workload '%s': %s", argv[0],
			 strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, &status, __WALL);
		free(w);
		return NULL;
	}
	w->root = pid;
	/* What the kernel will name it at exec: the file's basename. */
	snprintf(w->root_comm, sizeof(w->root_comm), "%s",
		 base ? base + 1 : argv[0]);
	task_add(w, pid, pid);
	return w;
}

/* Seizes every thread of @pid; threads may appear while we do it. */
static int seize_threads(struct ps_workload *w, pid_t pid)
{
	char path[64];
	bool added = true;
	int rounds;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	for (rounds = 0; added && rounds < 100; rounds++) {
		struct dirent *de;
		DIR *dir = opendir(path);

		if (!dir)
			return w->nr_tasks ? 0 : -1;
		added = false;
		while ((de = readdir(dir))) {
			pid_t tid = atoi(de->d_name);

			if (tid <= 0 || task_find(w, tid))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, NULL,
				   (void *)(long)PS_PTRACE_OPTIONS)) {
				int err = errno;

				/* EPERM later on: auto-attached already */
				if (tid == pid) {
					closedir(dir);
					errno = err;
					return -1;
				}
				continue;
			}
			task_add(w, tid, pid);
			added = true;
		}
		closedir(dir);
	}
	return 0;
}

struct ps_workload *ps_workload_attach(struct ps_recorder *rec, pid_t pid)
{
	struct ps_workload *w = workload_alloc(rec);
	pid_t tgid = read_tgid(pid, NULL);

	if (!tgid) {
		ps_error("-p %d: no such process", pid);
		goto fail;
	}
	if (tgid != pid) {
		ps_error("-p %d: that is a thread of process %d; give the process",
			 pid, tgid);
		goto fail;
	}
	if (pid == getpid()) {
		ps_error("-p %d: pagestate cannot record itself", pid);
		goto fail;
	}
	w->seized = true;
	w->root = pid;
	w->root_started = true;
	read_comm(pid, w->root_comm, sizeof(w->root_comm));
	if (seize_threads(w, pid)) {
		ps_error("cannot attach to pid %d: %s (is another tracer or debugger attached?)",
			 pid, strerror(errno));
		ps_workload_release(w);
		goto fail;
	}
	return w;
fail:
	ps_workload_free(w);
	return NULL;
}

/* The root's "task" marker (and -p's start snapshot), once tracing is on. */
void ps_workload_announce(struct ps_workload *w)
{
	pid_t ppid = getpid();

	if (w->seized)
		read_tgid(w->root, &ppid);
	announce_task(w, w->root, ppid, w->root_comm);
	if (w->seized && w->rec->snap_start)
		ps_snapshot_take(w->rec, w->root, "start");
}

int ps_workload_resume(struct ps_workload *w)
{
	if (w->seized)
		return 0;
	if (ptrace(PTRACE_CONT, w->root, NULL, NULL)) {
		ps_error("cannot start the workload: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void kill_all(struct ps_workload *w, int sig)
{
	int i;

	for (i = 0; i < w->nr_tasks; i++)
		kill(tgid_of(w->tasks[i]), sig);
}

/* Asks every tracee to stop so that it can be detached. */
static void start_release(struct ps_workload *w)
{
	int i;

	if (w->releasing)
		return;
	w->releasing = true;
	w->deadline_ms = now_ms() + PS_RELEASE_GRACE_MS;
	for (i = 0; i < w->nr_tasks; i++) {
		struct ps_task *t = w->tasks[i];

		t->detaching = true;
		if (w->seized)
			ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL);
		else if (!syscall(SYS_tgkill, tgid_of(t), t->tid, SIGSTOP))
			t->stop_sent = true;
	}
}

/* Handles every ptrace stop and exit that is waiting; never blocks. */
void ps_workload_poll(struct ps_workload *w)
{
	int status;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG | __WALL);
		if (pid > 0) {
			handle_status(w, pid, status);
			continue;
		}
		if (pid < 0 && errno == ECHILD) {
			/* nothing left to wait for, whatever we thought */
			while (w->nr_tasks)
				task_del(w, w->tasks[0]->tid);
			if (!w->releasing)
				w->root_done = true;
		}
		break;
	}
	if (w->stopping && !w->seized && !w->root_done && !w->killed &&
	    now_ms() >= w->deadline_ms) {
		ps_warn("the workload is still running %d ms after the signal; killing it",
			PS_STOP_GRACE_MS);
		kill_all(w, SIGKILL);
		w->killed = true;
		w->deadline_ms = now_ms() + PS_STOP_GRACE_MS;
	}
}

/*
 * The user wants the recording to end.  A command gets the same signal
 * (a Ctrl-C on a terminal has already sent it), then SIGKILL if it lingers;
 * an attached process is let go.
 */
void ps_workload_stop(struct ps_workload *w, int sig)
{
	if (w->stopping)
		return;
	w->stopping = true;
	if (w->seized) {
		start_release(w);
		return;
	}
	if (!w->root_done)
		kill(w->root, sig);
	w->deadline_ms = now_ms() + PS_STOP_GRACE_MS;
}

bool ps_workload_done(struct ps_workload *w)
{
	if (w->root_done)
		return true;
	if (w->releasing)
		return !w->nr_tasks || now_ms() >= w->deadline_ms;
	return w->killed && now_ms() >= w->deadline_ms;
}

/*
 * Lets go of whatever is still traced (a daemon the command left behind,
 * or the -p process), waiting a little for each to reach a stop.
 */
void ps_workload_release(struct ps_workload *w)
{
	const struct timespec tick = { 0, 5 * 1000 * 1000 };

	ps_workload_poll(w);
	if (!w->nr_tasks)
		return;
	start_release(w);
	while (w->nr_tasks && now_ms() < w->deadline_ms) {
		nanosleep(&tick, NULL);
		ps_workload_poll(w);
	}
	if (w->nr_tasks)
		ps_warn("%d workload task(s) did not stop to be detached; they %s when pagestate exits",
			w->nr_tasks, w->seized ? "are detached" : "are killed");
}

/* Prints how the workload ended; -1 when the command never started. */
int ps_workload_result(struct ps_workload *w)
{
	int st = w->root_status;

	if (!w->root_started) {
		/* 127 from child_exec(): it already said why */
		if (!w->root_done || !WIFEXITED(st) || WEXITSTATUS(st) != 127)
			ps_error("the workload did not start; nothing was recorded");
		return -1;
	}
	if (w->seized && w->root_done)
		ps_info("pid %d exited", w->root);
	else if (w->seized)
		ps_info("detached from pid %d", w->root);
	else if (!w->root_done)
		ps_info("workload pid %d did not exit", w->root);
	else if (WIFEXITED(st))
		ps_info("workload exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		ps_info("workload killed by signal %d (%s)", WTERMSIG(st),
			strsignal(WTERMSIG(st)));
	return 0;
}

void ps_workload_free(struct ps_workload *w)
{
	if (!w)
		return;
	while (w->nr_tasks)
		task_del(w, w->tasks[0]->tid);
	free(w->tasks);
	free(w);
}
