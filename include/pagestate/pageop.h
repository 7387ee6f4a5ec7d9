/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The normalized page operation: the one thing every stage after the
 * reader speaks.
 *
 * An adapter (replay/adapters.c, one table entry per kernel event) turns
 * one raw trace event into zero or more page ops; the folio state engine
 * (replay/engine.c) applies them; rules (analyze/) and views (tui/) watch
 * the ops and the state.  Ops carry what the event said, never what the
 * engine concluded: "rmap add of pfn X, compound" rather than "mapcount is
 * now 3".  Values an event observed directly (page_ref's count and
 * mapcount, a snapshot's kpagecount) ride along in the obs_* fields so the
 * engine can set a baseline or cross-check what it derived.
 *
 * Kinds that no host tracepoint produces (rmap, GUP, split_huge_pmd, ...)
 * are here from the start: the kprobe and page_ref adapters of the test
 * kernels emit them, and rules are written against kinds, not events.
 */
#ifndef PAGESTATE_PAGEOP_H
#define PAGESTATE_PAGEOP_H

#include "pagestate/pagestate.h"

enum ps_op_kind {
	PS_OP_NONE,
	/* buddy allocator */
	PS_OP_ALLOC,		/* pfn, order: a new folio, refcount 1 */
	PS_OP_FREE,		/* pfn, order: back to the buddy allocator */
	/* references (page_ref, GUP) */
	PS_OP_REF,		/* delta on _refcount; obs_count after */
	PS_OP_REF_SET,		/* page_ref_set/init: absolute obs_count */
	PS_OP_PIN,		/* FOLL_PIN: delta pins (GUP_PIN_COUNTING_BIAS on small folios) */
	PS_OP_UNPIN,
	/* rmap */
	PS_OP_RMAP_ADD,		/* subpage pfn; flags PS_OPF_COMPOUND for a PMD map;
				 * val: PTEs of consecutive pages from pfn
				 * (folio_*_rmap_ptes), 0 means 1 */
	PS_OP_RMAP_REMOVE,
	PS_OP_MAP_PTE,		/* a PTE now maps pfn (remove_migration_pte, ...) */
	PS_OP_FORK_DUP,		/* fork shared pfn's mapping with the child
				 * (PS_OPF_COMPOUND: the PMD); anon: no
				 * longer exclusive.  mm: the child's,
				 * val2: the parent's (copy_huge_pmd; 0
				 * when not recorded, the PTE path) */
	/* THP */
	PS_OP_SPLIT_PMD,	/* __split_huge_pmd: the PMD map of a folio became PTE maps */
	PS_OP_SPLIT,		/* split_huge_page: folio of order -> folios of order val
				 * (PS_OPF_NON_UNIFORM: only the piece holding
				 * val2 gets order val, as __folio_split) */
	PS_OP_SPLIT_RESULT,	/* return value of split_huge_page_to_list (result) */
	PS_OP_COLLAPSE_SCAN,	/* khugepaged/MADV_COLLAPSE looked at pfn: result */
	PS_OP_COLLAPSE_ISOLATE,	/* a subpage isolated for collapse: result */
	PS_OP_COLLAPSE,		/* collapse of mm finished: result (new folio pfn if known) */
	/* migration */
	PS_OP_MIGRATE_START,	/* a migrate_pages() batch starts (mode, reason) */
	PS_OP_MIGRATE_END,	/* ...ends: succeeded/failed counts in val/val2 */
	PS_OP_MIGRATION_SET,	/* a migration entry installed at addr (mm) */
	PS_OP_MIGRATION_REMOVE,	/* ...removed; pfn is the page now mapped */
	/* flags and observations */
	PS_OP_FLAGS,		/* obs_flags observed (page_ref, lru insertion) */
	PS_OP_SNAPSHOT,		/* /proc/kpagecount + kpageflags of one page */
	/* recording metadata */
	PS_OP_TASK,		/* a workload task appeared (pid, ppid in val) */
	PS_OP_TASK_EXIT,	/* a workload task reached exit-stop */
	PS_OP_LOST,		/* the ring buffer lost val events on cpu */
	PS_OP_STACK,		/* a kernel stack (options/stacktrace) for the
				 * previous event on cpu; offset = its record */
	PS_OP_COLLAPSE_RET,	/* madvise_collapse() returned result (0 or
				 * -errno) to task pid; no pfn: the refused
				 * page is the last collapse_scan/isolate
				 * of that task */
	PS_OP_PROBES_ON,	/* the kprobes came on: folios born before
				 * had rmap and GUP calls no probe saw */
	PS_OP_MM_EXIT,		/* exit_mmap(mm): the address space is torn
				 * down, migration entries in it are zapped
				 * without a remove event; no pfn */
	/* page cache (filemap tracepoints; shmem/tmpfs adds have none) */
	PS_OP_CACHE_ADD,	/* __filemap_add_folio(): the folio headed at
				 * pfn (order) entered the page cache and
				 * holds its references now (nr, taken just
				 * before by the same task); val: i_ino,
				 * val2: page index, result: s_dev */
	PS_OP_CACHE_DEL,	/* __filemap_remove_folio(): ...left it; the
				 * references are put next (or were frozen
				 * away by reclaim just before); same fields */
	PS_OP_COLLAPSE_BEGIN,	/* collapse_file() of mm at addr begins in
				 * task pid (PS_OPF_FILE, no pfn): the
				 * pages it unmaps until the task's next
				 * COLLAPSE (PS_OPF_FILE: the scan's
				 * result) are the old pages the shmem or
				 * file THP replaces */
	PS_OP_NR_KINDS
};

/* ps_op.flags */
#define PS_OPF_COMPOUND		(1u << 0)	/* PMD-level (entire) map/unmap */
#define PS_OPF_ANON		(1u << 1)	/* anon rmap */
#define PS_OPF_FILE		(1u << 2)
#define PS_OPF_EXCLUSIVE	(1u << 3)	/* RMAP_EXCLUSIVE / anon_exclusive set */
#define PS_OPF_PIN		(1u << 4)	/* FOLL_PIN (vs FOLL_GET) */
#define PS_OPF_LONGTERM		(1u << 5)
#define PS_OPF_HAS_OBS_COUNT	(1u << 6)	/* obs_count valid */
#define PS_OPF_HAS_OBS_MAPCOUNT	(1u << 7)	/* obs_mapcount valid */
#define PS_OPF_HAS_OBS_FLAGS	(1u << 8)	/* obs_flags valid */
#define PS_OPF_WORKLOAD		(1u << 9)	/* done by a workload task */
#define PS_OPF_START_SNAP	(1u << 10)	/* snapshot taken at start */
#define PS_OPF_OBS_BEFORE	(1u << 11)	/* obs_* were read before the op
						 * acted (kprobes at entry) */
#define PS_OPF_NEW		(1u << 12)	/* rmap of a new folio: compound
						 * iff PMD-mappable, else every
						 * page by PTE (mTHP, 6.8+) */
#define PS_OPF_MIGRATION	(1u << 13)	/* the PMD was a migration entry */
#define PS_OPF_SNAP_BEGIN	(1u << 15)	/* SNAPSHOT: a snapshot starts
						 * (no pfn), its pages follow */
#define PS_OPF_DROPS_ENTIRE	(1u << 14)	/* SPLIT_PMD drops the PMD mapping
						 * itself, no rmap call (6.1) */
#define PS_OPF_FOLIO_OBS	(1u << 16)	/* fobs valid: a folio-era probe
						 * read the folio's fields */
#define PS_OPF_BATCH_UNKNOWN	(1u << 17)	/* FORK_DUP from one page of a
						 * large folio: fork copied a
						 * batch of PTEs inline, how
						 * many is not observable */
#define PS_OPF_RMAP_SPLIT	(1u << 18)	/* SPLIT_PMD on a kernel whose
						 * split maps the PTEs and
						 * drops the PMD through rmap
						 * calls (6.2+): no mapcount
						 * moves in the split itself */
#define PS_OPF_NON_UNIFORM	(1u << 19)	/* SPLIT: 7.x non-uniform split
						 * (val2 = split_at pfn) */
#define PS_OPF_SPLIT_REMAP	(1u << 20)	/* RMAP_ADD: the PTEs a PMD split
						 * maps for the PMD it replaces
						 * (same mm, no new mapping) */
#define PS_OPF_DEEP_SNAP	(1u << 22)	/* SNAPSHOT: a pfn the recording
						 * touched, read at exit
						 * whether mapped or not (no
						 * vaddr): the deep snapshot */
#define PS_OPF_KREAD		(1u << 23)	/* SNAPSHOT: a probe read the
						 * page as /proc/kpageflags
						 * asked for it: obs_count is
						 * _refcount, val the head's
						 * pincount (-1: none), obs_*
						 * flags NOT set (no rule may
						 * take it for a page_ref) */
#define PS_OPF_NON_COMPOUND	(1u << 24)	/* ALLOC of order > 0 without
						 * __GFP_COMP: a block of
						 * pages, no compound head */
#define PS_OPF_FOLIO_ORDER	(1u << 25)	/* CACHE_ADD/DEL: order is the
						 * kernel's folio_order() (the
						 * event has the field, 5.17+) */
#define PS_OPF_LOST_ANYWHERE	(1u << 26)	/* LOST: the file lacks val
						 * events the ring buffer
						 * handed out, where is
						 * unknown (comes last) */
#define PS_OPF_FOLIO_ONLY	(1u << 21)	/* PIN: the kernel function got
						 * the folio, not the page: pfn
						 * is the head, which page of a
						 * large folio is unknown
						 * (try_grab_folio, 6.12+) */

/*
 * Page flags by meaning.  Adapters decode the kernel's printed flag names
 * (from __print_flags in the event format, or KPF_* in kpageflags) into
 * these; bit numbers of enum pageflags move between kernels, meanings do
 * not.
 */
#define PS_PG_LOCKED		(1ull << 0)
#define PS_PG_REFERENCED	(1ull << 1)
#define PS_PG_UPTODATE		(1ull << 2)
#define PS_PG_DIRTY		(1ull << 3)
#define PS_PG_LRU		(1ull << 4)
#define PS_PG_ACTIVE		(1ull << 5)
#define PS_PG_SLAB		(1ull << 6)
#define PS_PG_WRITEBACK		(1ull << 7)
#define PS_PG_RECLAIM		(1ull << 8)
#define PS_PG_BUDDY		(1ull << 9)
#define PS_PG_MMAP		(1ull << 10)	/* mapped into a user page table */
#define PS_PG_ANON		(1ull << 11)
#define PS_PG_SWAPCACHE		(1ull << 12)
#define PS_PG_SWAPBACKED	(1ull << 13)
#define PS_PG_COMPOUND_HEAD	(1ull << 14)
#define PS_PG_COMPOUND_TAIL	(1ull << 15)
#define PS_PG_HUGE		(1ull << 16)	/* hugetlbfs */
#define PS_PG_UNEVICTABLE	(1ull << 17)
#define PS_PG_MLOCKED		(1ull << 18)
#define PS_PG_THP		(1ull << 19)
#define PS_PG_ZERO_PAGE		(1ull << 20)
#define PS_PG_IDLE		(1ull << 21)
#define PS_PG_KSM		(1ull << 22)
#define PS_PG_ANON_EXCLUSIVE	(1ull << 23)
#define PS_PG_DOUBLE_MAP	(1ull << 24)
#define PS_PG_PRIVATE		(1ull << 25)
#define PS_PG_WORKINGSET	(1ull << 26)
#define PS_PG_MAPPEDTODISK	(1ull << 27)	/* file pages; anon: see ANON_EXCLUSIVE */
#define PS_PG_HWPOISON		(1ull << 28)
#define PS_PG_NOPAGE		(1ull << 29)
#define PS_PG_OFFLINE		(1ull << 30)	/* page type: ballooned, hot-removed */
#define PS_PG_PGTABLE		(1ull << 31)	/* page type: a page-table page */

const char *ps_pg_flag_name(unsigned int bit);
/* Writes "lru|anon|thp" into buf; returns buf. */
char *ps_pg_flags_str(u64 flags, char *buf, size_t size);

/*
 * What a folio-era probe (6.12+, probes.h) read from the folio at function
 * entry, converted to the kernel's logical values: folio_mapcount(),
 * folio_entire_mapcount(), the raw _nr_pages_mapped (ENTIRELY_MAPPED bit
 * included) and folio_maybe_dma_pinned()'s _pincount.  The large-folio
 * fields mean something only when order > 0 (have & PS_FOBS_LARGE).
 */
#define PS_FOBS_LARGE		(1u << 0)	/* large_mapcount..pincount */
#define PS_FOBS_REFCOUNT	(1u << 1)
#define PS_ENTIRELY_MAPPED	0x800000	/* mm/internal.h, 6.12 and 7.2 */

struct ps_fobs {
	u64 head;		/* head pfn of the folio */
	u32 order;		/* folio_order(): flags_1 & 0xff when PG_head */
	u32 have;		/* PS_FOBS_* */
	s32 large_mapcount;	/* _large_mapcount + 1 */
	s32 entire_mapcount;	/* _entire_mapcount + 1 */
	s32 nr_pages_mapped;	/* _nr_pages_mapped as is */
	s32 pincount;		/* _pincount */
	s64 refcount;		/* _refcount */
};

/*
 * One page op.  Fields not meaningful for a kind are zero.  comm is looked
 * up lazily by whoever prints it (ps_trace_comm()), never per event.
 */
struct ps_op {
	u64 ts;			/* ns, trace clock */
	u64 offset;		/* file offset of the raw record (for jumps) */
	int cpu;
	int pid;
	int event_id;		/* tep event id of the source event, -1 if none */
	enum ps_op_kind kind;
	u32 flags;		/* PS_OPF_* */
	u64 pfn;		/* subpage pfn the op is about (~0 if none) */
	u32 order;		/* for ALLOC/FREE/SPLIT/MIGRATION: folio order */
	s64 val;		/* kind-specific: REF delta, LOST count, ppid, ... */
	s64 val2;		/* kind-specific second value */
	int result;		/* status/result code (khugepaged scan_result, errno) */
	const char *result_name;/* its printed name, if the event had one */
	u64 mm;			/* mm_struct pointer when the event gave one */
	u64 addr;		/* user virtual address when known */
	s64 obs_count;		/* observed _refcount after the op */
	s64 obs_mapcount;	/* observed mapcount after the op */
	u64 obs_flags;		/* observed PS_PG_* flags */
	struct ps_fobs fobs;	/* with PS_OPF_FOLIO_OBS */
};

#define PS_PFN_NONE	(~0ull)

const char *ps_op_kind_name(enum ps_op_kind kind);
/* "pfn=0x.. order=.. addr=0x.. succeeded": what the op says beyond its kind */
void ps_op_detail(const struct ps_op *op, char *buf, size_t size);

#endif /* PAGESTATE_PAGEOP_H */
