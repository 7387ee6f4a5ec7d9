/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who holds a folio's references: the reference ledger.
 *
 * A ledger rides on an engine as one more hook and keeps, per live folio,
 * where each reference of its refcount came from:
 *
 *   mapping   one per PTE or PMD that maps the folio (its mapcount), with
 *             the rmap op, task, mm and address that made it
 *   pin       FOLL_PIN pins: GUP_PIN_COUNTING_BIAS references per pin on
 *             a small folio, one per pin on a large one (its pincount),
 *             with the pinning task, FOLL_* flags and stack
 *   page cache  the references a file's page cache holds while the
 *             folio is in it (filemap:mm_filemap_add_to_page_cache: nr,
 *             one per page, the get the adding task took just before),
 *             with the file (dev, inode, index)
 *   release   a mapping or pin already undone (rmap remove, unpin), a
 *             folio removed from the page cache (mm_filemap_delete_from_
 *             page_cache), or a folio batch drained onto the LRU
 *             (mm_lru_insertion), whose put has not come yet: the
 *             mmu_gather batch, gup_put_folio, filemap_free_folio, the
 *             batch's folio_put
 *   get       a plain reference (page_ref), with its taker, event and
 *             stack; the allocation's own reference is one
 *   unexplained  what is left: refcount minus everything above
 *
 * A put is matched to what it drops by the kernel's pairs first (a
 * release item: rmap remove -> put, unpin -> put, page cache delete ->
 * put), then by task (the taker's own gets, newest first), then to the
 * unexplained remainder, then to other tasks' gets, oldest first, and
 * last to the page cache (reclaim freezes the cache's references away
 * before its delete event; migration moves them to the new folio with
 * no event at all).  A get taken just before a mapping, pin or page
 * cache insertion becomes that mapping, pin or page cache reference
 * (get -> map, get -> pin, get -> cache add).
 * Each holder says how it was attributed (ps_holder_how).  The counts
 * always add up to the refcount the engine derived; whatever the ledger
 * cannot place is shown as unexplained, negative when it placed more
 * than the refcount (an over-attribution, counted in the stats).
 *
 * Recordings without refcount tracking (no page_ref) still get the
 * mappings and pins the probes show and the page cache's references,
 * with the refcount marked unknown.
 *
 * Not seen as such: shmem/tmpfs insertions (shmem_add_to_page_cache()
 * has no event; its deletions have one, whose references are placed
 * from the remainder then), the swap cache and LRU isolation (no event
 * names the page), page cache folios replaced by migration or khugepaged's
 * collapse_file() (no filemap event), and 6.1's hugetlbfs, whose cache
 * holds one reference per folio: without page_ref to size it, nr is
 * assumed.
 */
#ifndef PAGESTATE_HOLDERS_H
#define PAGESTATE_HOLDERS_H

#include <stdio.h>

#include "pagestate/folio.h"

struct ps_trace;

enum ps_holder_kind {
	PS_HOLD_MAPPING,
	PS_HOLD_PIN,
	PS_HOLD_CACHE,
	PS_HOLD_RELEASE,
	PS_HOLD_ISOLATED,	/* taken off the LRU (folio_isolate_lru) */
	PS_HOLD_GET,
	PS_HOLD_UNEXPLAINED,
	PS_HOLD_NR_KINDS
};

enum ps_holder_how {
	PS_HOW_EXACT,		/* the event named this folio and this holder */
	PS_HOW_PAIR,		/* by a kernel get/put pair (unmap/unpin -> put) */
	PS_HOW_TASK,		/* a put was matched by task or order since */
	PS_HOW_UNEXPLAINED,
	PS_HOW_NR
};

struct ps_holder {
	enum ps_holder_kind kind;
	enum ps_holder_how how;
	s64 refs;		/* references this holder accounts for */
	int pid;		/* taker, 0 when not known */
	u64 ts;			/* when taken, 0 when not known */
	u64 offset;		/* file offset of the taking event */
	u64 stack_offset;	/* its kernel stack record, 0 if none */
	int event_id;		/* tep id of the taking event, -1 if none */
	enum ps_op_kind op_kind;/* the taking op (alloc, ref, rmap_add, ...) */
	u32 op_flags;		/* its PS_OPF_* (PIN, LONGTERM, COMPOUND) */
	u64 pfn;		/* subpage the op named */
	u64 mm, addr;		/* for mappings, when the probe gave them */
	u64 ino, index;		/* op_kind cache_add/cache_del: the file's */
	u32 dev;		/* inode, page index and s_dev */
	u32 count;		/* items merged into this row (1 usually) */
};

#define PS_HOLDERS_MAX	24

/* The holders of one folio at one moment. */
struct ps_holders {
	bool valid;		/* filled in (a folio held the page) */
	u64 folio_pfn;
	u32 order;
	bool refcount_known;
	s64 refcount;
	u64 ts;			/* the op after which this was taken */
	u64 offset;
	int nr;
	struct ps_holder h[PS_HOLDERS_MAX];
};

/* Per-recording totals over every (event, folio) the ledger saw. */
struct ps_ledger_stats {
	u64 events;		/* folio states summed (refcount known) */
	u64 events_unknown;	/* ...with the refcount unknown */
	u64 refs[PS_HOW_NR];	/* references by attribution */
	u64 over_events;	/* states with a negative remainder */
	u64 over_refs;
	u64 sum_errors;		/* states whose rows did not add up (a bug) */
};

struct ps_ledger;

/* Hooks a new ledger on e: add it before any hook that reads it. */
struct ps_ledger *ps_ledger_new(struct ps_engine *e);
void ps_ledger_free(struct ps_ledger *l);
/*
 * The holders of live folio f now (inside an engine hook: after the op).
 * Rows of one kind beyond the room are merged into one, refs kept.
 */
void ps_ledger_holders(struct ps_ledger *l, const struct ps_folio *f,
		       struct ps_holders *out);
/* Checks every event's ledger adds up and sums the attribution shares. */
void ps_ledger_set_check(struct ps_ledger *l, bool on);
const struct ps_ledger_stats *ps_ledger_stats(const struct ps_ledger *l);

const char *ps_holder_kind_name(enum ps_holder_kind k);
const char *ps_holder_how_name(enum ps_holder_how h);
/* Sum of every row's refs: equals refcount when it is known. */
s64 ps_holders_sum(const struct ps_holders *h);

/* One row in words: "1024 pin (FOLL_PIN|FOLL_LONGTERM comm-pid pin at ...) [exact]" */
void ps_holder_text(struct ps_trace *t, const struct ps_holder *r,
		    char *buf, size_t size);
/*
 * Prints h as `holders` does: "refcount N = a mapping (...) + b pin ..."
 * one row a line, each with its stack when stacks and t are given.
 */
void ps_holders_print(struct ps_trace *t, const struct ps_holders *h,
		      const char *indent, bool stacks, FILE *out);

/*
 * Replays the recording at path for the holders of the folio holding pfn
 * right after the op at file offset offset (the TUI's selected event).
 * 0, or -1 when it cannot be read or no op up to there touched the page.
 */
int ps_holders_at(const char *path, u64 pfn, u64 offset,
		  struct ps_holders *out);

struct ps_check;
/*
 * For `report`: replays t once more and returns, per finding of c (in
 * its order), the holders of the finding's folio right after its event
 * (valid false where no folio held the page then).  NULL on a read
 * error; free() the array.
 */
struct ps_holders *ps_check_holders(struct ps_check *c, struct ps_trace *t);

#endif /* PAGESTATE_HOLDERS_H */
