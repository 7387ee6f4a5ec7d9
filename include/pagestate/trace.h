/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading a recording: trace.dat -> page ops.
 *
 * ps_trace_open() validates the file and prepares one adapter per event
 * the file knows (replay/adapters.c); ps_trace_replay() streams every
 * record in timestamp order through its adapter and hands the resulting
 * page ops to a callback, usually ps_engine_apply().  Nothing is kept per
 * record: memory depends on the file's event formats, not its length.
 *
 * Files written by plain `trace-cmd record` replay too; what they lack
 * (markers, snapshots, stats) is reported as unknown.
 */
#ifndef PAGESTATE_TRACE_H
#define PAGESTATE_TRACE_H

#include <setjmp.h>

#include "pagestate/pageop.h"

struct ps_trace;
struct tep_handle;

/* What the recording says about itself (markers and file options). */
#define PS_STACK_ON_MAX	64
#define PS_RECORDER_PIDS_MAX	256

struct ps_meta {
	char kernel[128];	/* release, from the begin marker or UNAME */
	char profile[32];	/* "host", "page_ref", ..., "" if not ours */
	char cmd[256];		/* the workload command line */
	bool pagestate;		/* made by pagestate record (begin marker) */
	bool complete;		/* end marker seen */
	/*
	 * "partial=<why> missing=<what,...>" of the file's VERSION option
	 * (recording.h): the recorder was killed, the disk filled up...;
	 * "" for a whole file.
	 */
	char partial[160];
	int nr_cpus;
	u64 overrun;		/* sum of per-CPU "overrun:" in CPUSTAT */
	u64 dropped;		/* sum of "dropped events:" */
	bool have_cpustats;
	u64 snapshots;		/* snapshot pages */
	int tasks;		/* workload tasks announced */
	struct ps_layout {	/* the "layout" marker, see probes.h */
		bool valid;
		char source[32];
		u64 vmemmap_base;
		u32 struct_page;
		u32 off_flags, off_mapcount, off_refcount;
		u32 off_compound_mapcount, off_compound_pincount;
		u64 foll_pin, foll_get, foll_longterm;
		u64 rmap_exclusive, rmap_compound;
		/* page->flags bit -> PS_PG_*, from the "pageflags" marker */
		u64 pg[64];
		bool pageflags_seen;	/* the marker was there */
		bool double_map;	/* ...and named PG_double_map (< 6.2) */
	} layout;
	u64 probe_no_layout;	/* kprobe events we could not place */
	/*
	 * Kernel stacks, from the "stacks"/"stack-on" markers: which
	 * events carry one (record --stack, --stack-on=LIST).
	 */
	enum ps_stack_mode {
		PS_STACKS_UNKNOWN,	/* no marker: an older file, not ours */
		PS_STACKS_OFF,
		PS_STACKS_ALL,
		PS_STACKS_SOME,		/* the stack_on[] events */
	} stack_mode;
	int nr_stack_on;
	int stack_on[PS_STACK_ON_MAX];	/* tep event ids */
	bool stack_skip_recorder;	/* ...not when one of these took it */
	int nr_recorder_pids;		/* the "recorder" marker */
	int recorder_pids[PS_RECORDER_PIDS_MAX];
	u64 huge_zero_pfn;	/* from the split_pmd probe; 0 unknown */
};

typedef int (*ps_op_fn)(void *data, const struct ps_op *op);

/*
 * Did the recording ask for a stack after event_id?  true for
 * PS_STACKS_ALL, false for OFF; UNKNOWN answers true (say nothing).
 */
bool ps_trace_stack_on(const struct ps_trace *t, int event_id);
/* Is pid one of the recorder's own threads (the "recorder" marker)? */
bool ps_trace_recorder_pid(const struct ps_trace *t, int pid);

/*
 * Opens path.  On failure prints one line naming the file and the problem
 * and returns NULL; the caller exits 2.
 */
struct ps_trace *ps_trace_open(const char *path);
void ps_trace_close(struct ps_trace *t);
/*
 * For ftrace text (replay/text.c): kprobe events someone else defined,
 * by their name -> ours (probes.h), one "THEIRS OURS" per line of path,
 * '#' comments.  Applies to every later ps_trace_open().  0, or -1 after
 * an error naming path:line.
 */
int ps_trace_set_probe_map(const char *path);
/* The --probe-map option every command that reads a recording takes. */
#define PS_OPT_PROBE_MAP_F(v) \
	PS_OPT_STRING_F(0, "probe-map", (v), "file", \
		"ftrace text: kprobe names -> ours (THEIRS OURS per line)")

/*
 * Streams every record.  fn gets each page op; a non-zero return stops
 * the replay.  Returns 0, or -1 after printing an error naming the file
 * and the offset where reading failed (truncated or corrupt data).
 */
int ps_trace_replay(struct ps_trace *t, ps_op_fn fn, void *data);
/*
 * During a replay a SIGSEGV/SIGBUS (corrupt page data in libtraceevent,
 * a file truncated under its mapping) becomes that error and exit 2.
 * The fuzz harnesses (tests/fuzz) turn this off to see a fault in
 * pagestate's own code; one in a library is still caught (x86-64).
 */
extern bool ps_trace_fault_guard;
/*
 * A fault while libtracecmd parses the headers is always caught (its
 * error paths crash on some corrupt headers); with this set, after the
 * error line the handler jumps there instead of exiting 2 (tests/fuzz).
 */
extern sigjmp_buf *ps_trace_fault_jmp;
/*
 * A replay that hands out no record for this many seconds is going round
 * in circles in libtracecmd (corrupt page): error, exit 2 (or the jump).
 */
extern int ps_trace_stall_secs;

const struct ps_meta *ps_trace_meta(const struct ps_trace *t);
const char *ps_trace_path(const struct ps_trace *t);
struct tep_handle *ps_trace_tep(const struct ps_trace *t);

/* comm of pid from the file's saved cmdlines, "<...>" when unknown. */
const char *ps_trace_comm(struct ps_trace *t, int pid);
/*
 * The kernel stack recorded at file offset (a PS_OP_STACK op's offset),
 * one "function+0xoff" per line into buf.  Returns the number of frames,
 * or -1 when the record is not a stack.
 */
int ps_trace_stack(struct ps_trace *t, u64 offset, char *buf, size_t size);

/* "system:name" of a tep event id, "?" when unknown. */
const char *ps_trace_event_name(struct ps_trace *t, int event_id);

/* Per-event record counts seen by the last replay, for the summary. */
struct ps_event_count {
	const char *system;
	const char *name;
	u64 count;
	bool adapted;		/* an adapter turned it into page ops */
};
/* Fills up to max entries with non-zero counts; returns how many. */
int ps_trace_event_counts(struct ps_trace *t, struct ps_event_count *out,
			  int max);
u64 ps_trace_nr_records(const struct ps_trace *t);
/* Does the recording define this event? */
bool ps_trace_has_event(struct ps_trace *t, const char *system,
			const char *name);
/* Events the ring buffer reported lost while reading, and how often the
 * count itself was unknown (the kernel only said "some"). */
u64 ps_trace_missed(const struct ps_trace *t);
u64 ps_trace_missed_unknown(const struct ps_trace *t);
/*
 * Of the missed: events the ring buffer handed out (CPUSTAT's "read
 * events:") that the file does not hold, known once a replay ended.
 */
u64 ps_trace_unwritten(const struct ps_trace *t);
/*
 * Do the file's rmap probes read the folio's own counts (large and entire
 * mapcount, _nr_pages_mapped: the folio era, 6.12+)?
 */
bool ps_trace_folio_counts(struct ps_trace *t);
/* ...and the 7.x per-mm counts (_mm_id_mapcount, _mm_id)? */
bool ps_trace_folio_mm_ids(struct ps_trace *t);
/* Which folio fields the file's event sources let the engine track. */
u32 ps_trace_tracks(const struct ps_trace *t);

#endif /* PAGESTATE_TRACE_H */
