/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to replay/: the event adapter table.
 *
 * One struct ps_adapter per kernel event we understand.  At open, every
 * event in the file that has an adapter gets a struct ps_event_adapter
 * with its fields looked up once; per record, the reader indexes an array
 * by event id and calls fn, which fills page ops and emits them.  Adding
 * an event is one function and one table line.
 */
#ifndef PAGESTATE_REPLAY_ADAPTER_H
#define PAGESTATE_REPLAY_ADAPTER_H

#include <traceevent/event-parse.h>

#include "pagestate/trace.h"

#define PS_ADAPTER_FIELDS	20

struct ps_event_adapter;

struct ps_adapter {
	const char *system;
	const char *name;
	/* field names fn reads, in order; NULL-terminated */
	const char *fields[PS_ADAPTER_FIELDS + 1];
	void (*fn)(struct ps_trace *t, struct ps_event_adapter *ea,
		   struct tep_record *rec, struct ps_op *op);
	u32 tracks;		/* PS_KNOWN_* this event source provides */
	/*
	 * Bind only when the event has this field: two generations of one
	 * event name (try_grab_folio of a page on 6.1, of a folio on 6.12)
	 * get one entry each, the first that matches wins.
	 */
	const char *requires;
};

/* A flag value -> PS_PG_* bit, decoded from the event's __print_flags */
struct ps_flag_map {
	u64 mask;
	u64 ps;
};

struct ps_event_adapter {
	const struct ps_adapter *a;
	struct tep_event *event;
	struct tep_format_field *f[PS_ADAPTER_FIELDS];
	struct ps_flag_map *flags;	/* for events that print page flags */
	int nr_flags;
	u64 count;
	/* a constant the adapter reads from the format once (mm_page_alloc:
	 * __GFP_COMP's value, 0 when the format does not print it) */
	u64 aux;
	bool aux_set;
};

/* Every adapter, terminated by a NULL name: tracepoints and markers
 * (adapters.c), the kprobe profile (adapters-kprobe.c). */
extern const struct ps_adapter ps_adapters[];
extern const struct ps_adapter ps_kprobe_adapters[];

/*
 * A fork in flight, per forking task: between copy_page_range and its
 * return every page vm_normal_page() hands back is about to be
 * duplicated into the child; the last one is held back until we know
 * the duplicate was not replaced by a copy (a maybe-pinned page).
 */
struct ps_fork_slot {
	int pid;
	bool in_window;
	bool has_dup;
	struct ps_op dup;
	/*
	 * The page fork just copied instead of sharing.  The task may sleep
	 * allocating the copy and wake on another CPU whose clock runs
	 * behind: its first vm_normal_page() of that page can then sort
	 * after the copy, and must not be taken for a new dup.
	 */
	bool has_copied;
	u64 copied_pfn;
	bool has_pmd;
	struct ps_op pmd;
	/* the kernel took a reference on pmd's page inside copy_huge_pmd() */
	bool pmd_ref;
	/* head pfn of the PMD this task is splitting (folio era) */
	u64 split_pfn;
	/* an entry probe's op waiting for its kretprobe (GUP grabs, splits) */
	bool has_held;
	struct ps_op held;
	/*
	 * The vma this task's rmap walk is installing or removing migration
	 * entries in (try_to_migrate_one, remove_migration_pte): its mm and
	 * the first address.  The set/remove tracepoints that follow carry
	 * only the address.
	 */
	bool has_mig;
	u64 mig_mm;
	u64 mig_addr;
};
/* The mm of this task's migration walk at addr, 0 when not observed. */
u64 ps_trace_migration_mm(struct ps_trace *t, int pid, u64 addr);
struct ps_fork_slot *ps_trace_fork_slot(struct ps_trace *t, int pid,
					bool create);

/*
 * unpin_user_page, unpin_user_folio, unpin_folio ops (caller
 * PS_UNPIN_PAGE, _FOLIO, _ONE_FOLIO): emitted, or
 * left to the gup_put_folio they call out of line, as the kernel showed
 * for the caller's first unpin (trace.c).
 */
enum { PS_UNPIN_PAGE, PS_UNPIN_FOLIO, PS_UNPIN_ONE_FOLIO, PS_UNPIN_CALLERS };
enum { PS_UNPIN_UNKNOWN, PS_UNPIN_PUT_FOLLOWS, PS_UNPIN_IS_PUT };
void ps_trace_unpin_hold(struct ps_trace *t, const struct ps_op *op,
			 int caller);
/* Was this task's gup_put_folio already counted with its unpin? */
bool ps_trace_unpin_counted(struct ps_trace *t, int pid);

/* One pending value per task, for entry/return probe pairs. */
void ps_trace_pending_set(struct ps_trace *t, int pid, u64 value);
u64 ps_trace_pending_take(struct ps_trace *t, int pid);

/* Reads field i of the record (0 if the event lacks it), sign-extended. */
s64 ps_field(struct ps_trace *t, struct ps_event_adapter *ea,
	     struct tep_record *rec, int i);
/* Hands one finished op to the replay's consumer. */
void ps_emit(struct ps_trace *t, const struct ps_op *op);
/* Metadata from markers, filled by the print adapter. */
struct ps_meta *ps_trace_meta_mut(struct ps_trace *t);
/* Did the last record of this cpu make an op?  (Its stack is the op's.) */
bool ps_trace_prev_made_op(const struct ps_trace *t, int cpu);
/* Builds ea->flags from the __print_flags of field name in ea's format. */
void ps_adapter_decode_flags(struct ps_event_adapter *ea, const char *field);
u64 ps_flags_decode(const struct ps_event_adapter *ea, u64 raw);
u64 ps_pflags_decode(struct ps_trace *t, u64 raw);
/* PS_PG_* for a kernel page-flag name ("lru", "anon_exclusive", ...). */
u64 ps_pg_from_name(const char *name);
/* PS_PG_* for a /proc/kpageflags word. */
u64 ps_pg_from_kpageflags(u64 kpf);

struct tracecmd_input;
/*
 * replay/kbuf.c: the default reader, kbuffer over one mmap.  -1 with errno
 * ENOTSUP when the file is not one it reads exactly as libtracecmd.
 */
int ps_kbuf_iterate(const char *path, struct tracecmd_input **handles,
		    int nr_handles,
		    int (*fn)(struct tracecmd_input *handle,
			      struct tep_record *rec, int cpu, void *data),
		    void *data);

#endif
