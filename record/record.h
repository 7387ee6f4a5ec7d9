/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to record/: the recorder's state, shared by the files that
 * probe the kernel (profile.c), drain the ring buffer (buffers.c), drive
 * the workload (workload.c), read page snapshots (snapshot.c) and write
 * the trace.dat (output.c).  record.c strings them together.
 */
#ifndef PS_RECORD_H
#define PS_RECORD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include <tracefs.h>

#include "pagestate/pagestate.h"

#define PS_TRACEFS_PATH		"/sys/kernel/tracing"
#define PS_MIN_BUFFER_KB	8192
#define PS_MAX_BUFFER_KB	(128 * 1024)
/*
 * One file per running recorder, flock()ed while it lives: whether an
 * instance pagestate-<pid> is stale is then a question the kernel answers
 * (a dead process holds no lock), whatever process has that pid now.  It
 * also says where the recorder's per-CPU files are, for recover.
 */
#define PS_RUN_DIR		"/run/pagestate"

/*
 * Event groups we know about.  kmem and filemap are recorded in part
 * (alloc/free; page cache insertion/deletion, profile.c); the other
 * tracepoint groups whole; page_ref only exists on kernels built with
 * CONFIG_DEBUG_PAGE_REF and turns the profile into "page_ref".
 */
enum ps_group {
	PS_GROUP_KMEM,
	PS_GROUP_HUGE_MEMORY,
	PS_GROUP_THP,
	PS_GROUP_MIGRATE,
	PS_GROUP_COMPACTION,
	PS_GROUP_KSM,
	PS_GROUP_PAGEMAP,
	PS_GROUP_PAGE_REF,
	PS_GROUP_FILEMAP,
	PS_NR_GROUPS,
};

/* What the running kernel offers; filled once by ps_caps_probe(). */
struct ps_caps {
	const char *tracing_dir;
	int group_events[PS_NR_GROUPS];	/* events in the group, -1: absent */
	bool kprobe_events;
	bool stacktrace;
	bool kpageflags;		/* /proc/kpagecount + kpageflags */
};

/* One "system:event" we enable, in the order we enable them. */
struct ps_event_set {
	char **v;
	int nr;
	int alloc;
};

/* The events that carry a stack trigger (stacks.c). */
struct ps_stack_on {
	struct {
		char *event;		/* "system:event" */
		bool gets;		/* only its increments ("val > 0") */
	} *v;
	int nr, alloc;
	int armed;			/* v[0..armed) have a trigger now */
	bool skip_recorder;		/* ...whose COND leaves us out */
};

struct ps_cpu_reader;
struct ps_kprobes;
struct ps_deep;

struct ps_recorder {
	/* what the user asked for */
	const char *output;
	int buffer_kb;
	bool stack;		/* options/stacktrace: every event */
	const char *stack_on;	/* --stack-on=LIST, NULL: none */
	bool snap_start;
	bool snap_exit;

	/* what the kernel gives */
	struct ps_caps caps;
	const char *profile;
	struct ps_event_set events;
	struct ps_kprobes *kprobes;	/* kprobes.c; NULL without kprobes */
	struct ps_stack_on stacks;	/* stacks.c: per-event triggers */

	/* our tracefs instance and its per-CPU readers */
	struct tracefs_instance *instance;
	char *instance_dir;
	bool instance_created;
	int nr_cpus;
	struct ps_cpu_reader *readers;
	char **cpu_files;
	char **cpu_stats;	/* "CPU: N\n" + per_cpu/cpuN/stats */
	atomic_int writer_failed;	/* errno of a reader's failed write */
	bool out_retrying;	/* output.c: cutting the data to fit */
	const char *partial;	/* why the file is partial; NULL: complete */
	const char *missing;	/* "end,stats,..." what a partial file lacks */
	int run_fd;		/* PS_RUN_DIR/record-<pid>, locked; -1 */
	char *run_file;

	/* snapshots */
	struct ps_deep *deep;		/* deep.c: the pfns touched so far */
	int kpagecount_fd;
	int kpageflags_fd;
	bool mark_failed;
};

/* record.c */
void ps_record_restore_signals(void);

/* profile.c */
const char *ps_group_name(enum ps_group g);
int ps_caps_probe(struct ps_caps *caps);
void ps_caps_print(const struct ps_caps *caps);
int ps_profile_build(struct ps_recorder *rec, const struct ps_strlist *extra);
int ps_profile_enable(struct ps_recorder *rec);
void ps_profile_mark(struct ps_recorder *rec);
void ps_event_set_clear(struct ps_event_set *set);
void ps_event_set_add(struct ps_event_set *set, const char *system,
		      const char *event);
const char *ps_profile_name(const struct ps_caps *caps, bool kprobes);

/* stacks.c */
int ps_stack_on_check(struct ps_recorder *rec);
int ps_stacks_enable(struct ps_recorder *rec);
void ps_stacks_disable(struct ps_recorder *rec);
void ps_stacks_clear(struct tracefs_instance *inst, char *const *names,
		     int nr);
void ps_stacks_mark(struct ps_recorder *rec);

/*
 * layout.c: where the running kernel keeps what the kprobes fetch, as
 * the "pagestate: layout" marker of include/pagestate/probes.h says it.
 */
struct btf;
/* Kernel generations of the fallback tables (record/layout.c, kprobes.c). */
#define PS_GEN_6_1	0x1	/* page_*_rmap, try_grab_folio(page) */
#define PS_GEN_FOLIO	0x2	/* 6.12: folio_*_rmap_ptes/_pmd */
#define PS_GEN_7_2	0x4	/* 7.2: __folio_split, no folio in split_pmd */
struct ps_kernel_layout {
	char source[32];		/* offsets: "btf" or "table:<release>" */
	char consts_source[32];		/* FOLL_*: "btf", "table:..", "unknown" */
	const char *vmemmap_source;	/* "probe", "default" or "unknown" */
	bool known_release;		/* the release is in our table */
	u64 vmemmap_base;
	int struct_page, flags, mapcount, refcount;
	int compound_mapcount, compound_pincount;	/* in the 1st tail page */
	u32 foll_pin, foll_get, foll_longterm;
	u32 rmap_exclusive, rmap_compound;
	/* struct folio, from the folio start; -1: the kernel has none */
	int folio_flags_1, large_mapcount, entire_mapcount;
	int nr_pages_mapped, folio_pincount, mm_id_mapcount, mm_id;
	int vma_mm;			/* vm_area_struct.vm_mm; -1 unknown */
	int gen;			/* PS_GEN_* of the table used, 0: BTF */
	char pageflags[2048];		/* "locked=0 referenced=1 ..." */
	struct btf *btf;		/* NULL without /sys/kernel/btf/vmlinux */
};
int ps_layout_derive(struct ps_kernel_layout *l);
int ps_layout_read_vmemmap(struct ps_kernel_layout *l);
int ps_layout_func_matches(const struct ps_kernel_layout *l,
			   const char *func, const char *params);
void ps_layout_release(struct ps_kernel_layout *l);

/* kprobes.c */
void ps_kprobes_place(struct ps_recorder *rec);
void ps_kprobes_mark(struct ps_recorder *rec);
int ps_kprobes_enable(struct ps_recorder *rec);
void ps_kprobes_destroy(struct ps_recorder *rec);
int ps_kprobes_print(const struct ps_caps *caps);

/* buffers.c */
int ps_buffers_open(struct ps_recorder *rec);
int ps_buffers_start(struct ps_recorder *rec);
int ps_buffers_stop(struct ps_recorder *rec, bool drain);
int ps_buffers_sync(struct ps_recorder *rec);
void ps_buffers_tids(struct ps_recorder *rec, char *buf, size_t size);
int ps_buffers_pids(struct ps_recorder *rec, pid_t *v);
int ps_default_buffer_kb(int nr_cpus);
void ps_buffers_close(struct ps_recorder *rec);
void ps_buffers_read_stats(struct ps_recorder *rec);
u64 ps_buffers_report_lost(struct ps_recorder *rec);

/* output.c */
int ps_output_write(struct ps_recorder *rec);

/* stale.c: what dead recorders left, and turning it into a file */
int ps_run_register(struct ps_recorder *rec);
void ps_run_add_events(struct ps_recorder *rec);
void ps_run_unregister(struct ps_recorder *rec);
int ps_stale_cleanup(const char *tracing_dir);
bool ps_recorder_alive(pid_t pid);

/* kprobes.c */
int ps_kprobes_clean_stale(const char *tracing_dir);

/* marker.c */
void ps_mark(struct ps_recorder *rec, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ps_comm_sanitize(char *comm);

/* snapshot.c */
int ps_snapshot_open(struct ps_recorder *rec);
void ps_snapshot_close(struct ps_recorder *rec);
int ps_snapshot_take(struct ps_recorder *rec, pid_t pid, const char *when);

/* deep.c */
void ps_deep_take(struct ps_recorder *rec, pid_t pid);
void ps_deep_free(struct ps_recorder *rec);

/* workload.c */
struct ps_workload;
struct ps_workload *ps_workload_spawn(struct ps_recorder *rec,
				      const char **argv);
struct ps_workload *ps_workload_attach(struct ps_recorder *rec, pid_t pid);
void ps_workload_announce(struct ps_workload *w);
int ps_workload_resume(struct ps_workload *w);
void ps_workload_poll(struct ps_workload *w);
void ps_workload_stop(struct ps_workload *w, int sig);
bool ps_workload_done(struct ps_workload *w);
void ps_workload_release(struct ps_workload *w);
int ps_workload_result(struct ps_workload *w);
void ps_workload_free(struct ps_workload *w);

#endif /* PS_RECORD_H */
