// SPDX-License-Identifier: GPL-2.0
/*
 * The reference ledger (holders.h): per live folio, which holder each
 * reference of its refcount belongs to.
 *
 * The structural counts come from the engine: the folio's mapcount is
 * its mapping references, its pincount its pin references.  The ledger
 * keeps the detail behind them (which rmap op, which GUP call) and the
 * references nothing structural explains: the page cache's (from its
 * add event to its delete), gets, and releases (a mapping, pin or page
 * cache entry undone whose put is still to come).  Whatever is left of
 * the refcount is unexplained.  Items are kept per folio id and forgotten
 * with the folio, so memory follows the live folios.
 */
#include <stdlib.h>
#include <string.h>

#include <event-parse.h>

#include "pagestate/holders.h"
#include "pagestate/trace.h"
#include "pagestate/u64map.h"

#define ITEMS_MAX	128	/* per folio: beyond, the oldest detail goes */
#define LEDGER_CPUS	512

struct item {
	enum ps_holder_kind kind;	/* MAPPING, PIN, CACHE, RELEASE,
					   ISOLATED or GET */
	enum ps_holder_how how;
	s64 refs;
	int pid;
	u64 ts, offset, stack_offset;
	int event_id;
	enum ps_op_kind op_kind;
	u32 op_flags;
	u64 pfn, mm, addr;
	u64 ino, index;			/* page cache ops: the file */
	u32 dev;
	u32 serial;
};

struct ledger {
	u64 id;			/* the folio's engine id */
	bool was_lru;		/* on the LRU since its allocation */
	signed char lru;	/* PG_lru as the last event showing it
				   did: 1 set, 0 clear, -1 not seen */
	u32 serial;
	u32 nr, alloc;
	struct item *items;
};

struct last_item {		/* the item an event made, for its stack */
	u64 folio_id;
	u32 serial;
	bool valid;
};

struct ps_ledger {
	struct ps_engine *e;
	struct ps_u64map by_id;	/* folio id -> struct ledger * */
	struct last_item last[LEDGER_CPUS];
	bool check;
	struct ps_ledger_stats stats;
};

static const char *const kind_names[PS_HOLD_NR_KINDS] = {
	[PS_HOLD_MAPPING] = "mapping",
	[PS_HOLD_PIN] = "pin",
	[PS_HOLD_CACHE] = "page cache",
	[PS_HOLD_RELEASE] = "release",
	[PS_HOLD_ISOLATED] = "isolated",
	[PS_HOLD_GET] = "get",
	[PS_HOLD_UNEXPLAINED] = "unexplained",
};

static const char *const how_names[PS_HOW_NR] = {
	[PS_HOW_EXACT] = "exact",
	[PS_HOW_PAIR] = "by pair",
	[PS_HOW_TASK] = "by task",
	[PS_HOW_UNEXPLAINED] = "unexplained",
};

const char *ps_holder_kind_name(enum ps_holder_kind k)
{
	return (unsigned int)k < PS_HOLD_NR_KINDS ? kind_names[k] : "?";
}

const char *ps_holder_how_name(enum ps_holder_how h)
{
	return (unsigned int)h < PS_HOW_NR ? how_names[h] : "?";
}

/* --- per-folio items ----------------------------------------------------- */

static struct ledger *ledger_get(struct ps_ledger *l, const struct ps_folio *f,
				 bool create)
{
	u64 *slot = ps_u64map_get(&l->by_id, f->id);
	struct ledger *lg;

	if (slot)
		return (struct ledger *)(uintptr_t)*slot;
	if (!create)
		return NULL;
	lg = ps_xcalloc(1, sizeof(*lg));
	lg->id = f->id;
	lg->lru = -1;
	*ps_u64map_put(&l->by_id, f->id) = (u64)(uintptr_t)lg;
	return lg;
}

static void item_del(struct ledger *lg, u32 i)
{
	memmove(&lg->items[i], &lg->items[i + 1],
		(lg->nr - i - 1) * sizeof(lg->items[0]));
	lg->nr--;
}

static struct item *item_add(struct ps_ledger *l, struct ledger *lg,
			     enum ps_holder_kind kind, s64 refs,
			     const struct ps_op *op)
{
	struct item *it;

	if (lg->nr == ITEMS_MAX)
		item_del(lg, 0);	/* its refs fall to unexplained */
	if (lg->nr == lg->alloc) {
		lg->alloc = lg->alloc ? lg->alloc * 2 : 2;
		lg->items = ps_xrealloc(lg->items,
					lg->alloc * sizeof(lg->items[0]));
	}
	it = &lg->items[lg->nr++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->how = kind == PS_HOLD_RELEASE ? PS_HOW_PAIR : PS_HOW_EXACT;
	it->refs = refs;
	it->pid = op->pid;
	it->ts = op->ts;
	it->offset = op->offset;
	it->event_id = op->event_id;
	it->op_kind = op->kind;
	it->op_flags = op->flags;
	it->pfn = op->pfn;
	it->mm = op->mm;
	it->addr = op->addr;
	if (op->kind == PS_OP_CACHE_ADD || op->kind == PS_OP_CACHE_DEL) {
		it->ino = (u64)op->val;
		it->index = (u64)op->val2;
		it->dev = (u32)op->result;
	}
	it->serial = ++lg->serial;
	if (op->cpu >= 0 && op->cpu < LEDGER_CPUS) {
		l->last[op->cpu].folio_id = lg->id;
		l->last[op->cpu].serial = it->serial;
		l->last[op->cpu].valid = true;
	}
	return it;
}

static s64 sum_kind(const struct ledger *lg, enum ps_holder_kind kind)
{
	s64 n = 0;
	u32 i;

	for (i = 0; lg && i < lg->nr; i++)
		if (lg->items[i].kind == kind)
			n += lg->items[i].refs;
	return n;
}

/* Mapping references: one per PTE and per PMD, folio_mapcount(). */
static s64 struct_maps(const struct ps_folio *f, const struct ledger *lg)
{
	s64 m;

	if (!(f->known & PS_KNOWN_MAPCOUNT))
		return sum_kind(lg, PS_HOLD_MAPPING);
	m = ps_folio_mapcount(f);
	return m > 0 ? m : 0;
}

/* Pin references: GUP_PIN_COUNTING_BIAS per pin on a small folio. */
static s64 struct_pins(const struct ps_folio *f, const struct ledger *lg)
{
	s64 p;

	if (!(f->known & PS_KNOWN_PINCOUNT))
		return sum_kind(lg, PS_HOLD_PIN);
	p = f->pincount > 0 ? f->pincount : 0;
	return f->order ? p : p * PS_GUP_PIN_COUNTING_BIAS;
}

/* refcount minus everything the ledger places */
static s64 unplaced(const struct ps_folio *f, const struct ledger *lg)
{
	return f->refcount - struct_maps(f, lg) - struct_pins(f, lg) -
	       sum_kind(lg, PS_HOLD_CACHE) - sum_kind(lg, PS_HOLD_RELEASE) -
	       sum_kind(lg, PS_HOLD_ISOLATED) - sum_kind(lg, PS_HOLD_GET);
}

/*
 * Takes up to n refs of kind items of pid (-1: anyone) taken at or after
 * since, newest first or oldest first.  Returns what it took.
 */
static s64 take(struct ledger *lg, enum ps_holder_kind kind, int pid,
		s64 n, bool newest, u64 since)
{
	s64 got = 0;
	u32 k;

	for (k = 0; k < lg->nr && got < n; ) {
		u32 i = newest ? lg->nr - 1 - k : k;
		struct item *it = &lg->items[i];
		s64 t;

		if (it->kind != kind || (pid >= 0 && it->pid != pid) ||
		    it->ts < since) {
			k++;
			continue;
		}
		t = it->refs < n - got ? it->refs : n - got;
		it->refs -= t;
		got += t;
		if (!it->refs) {
			/* either way k now names the next candidate */
			item_del(lg, i);
			continue;
		}
		k++;
	}
	return got;
}

/* A guess was made on this folio: its surviving gets are by task now. */
static void gets_by_task(struct ledger *lg)
{
	u32 i;

	for (i = 0; i < lg->nr; i++)
		if (lg->items[i].kind == PS_HOLD_GET)
			lg->items[i].how = PS_HOW_TASK;
}

static u32 count_kind(const struct ledger *lg, enum ps_holder_kind kind)
{
	u32 i, n = 0;

	for (i = 0; i < lg->nr; i++)
		n += lg->items[i].kind == kind;
	return n;
}

/*
 * n references were put by pid.  The kernel's pairs first: a release
 * (unmapped, unpinned or out of the page cache, put pending) of the
 * same task, then of any.  Then the task's own gets, newest first:
 * get/put in one function; then its isolations (migration's put of the
 * source folio, a putback).  Then the remainder (a reference from before
 * the recording), then the oldest gets and isolations of other tasks,
 * then the page cache's references (reclaim freezes them away before its
 * delete event, migration moves them to the new folio without one).
 * Anything past the release step is a guess, and the gets that survive
 * it are attributed by task.
 */
static void put(struct ledger *lg, const struct ps_folio *f, int pid, s64 n)
{
	s64 rem, t;
	u32 cands;

	n -= take(lg, PS_HOLD_RELEASE, pid, n, true, 0);
	n -= take(lg, PS_HOLD_RELEASE, -1, n, false, 0);
	if (n <= 0)
		return;
	cands = count_kind(lg, PS_HOLD_GET);
	n -= take(lg, PS_HOLD_GET, pid, n, true, 0);
	if (n > 0)
		n -= take(lg, PS_HOLD_ISOLATED, pid, n, false, 0);
	if (n <= 0) {
		if (cands > 1)
			gets_by_task(lg);
		return;
	}
	/* the put already happened: the remainder is computed after it */
	rem = unplaced(f, lg);
	if (rem >= 0) {
		/* with n dropped from the remainder it is rem now; fine */
		if (cands)
			gets_by_task(lg);
		return;
	}
	t = take(lg, PS_HOLD_GET, -1, -rem < n ? -rem : n, false, 0);
	gets_by_task(lg);
	rem += t;
	n -= t;
	if (rem < 0 && n > 0) {
		t = take(lg, PS_HOLD_ISOLATED, -1, -rem < n ? -rem : n, false,
			 0);
		rem += t;
		n -= t;
	}
	if (rem < 0 && n > 0)
		take(lg, PS_HOLD_CACHE, -1, -rem < n ? -rem : n, false, 0);
}

/*
 * A mapping or pin whose reference was a get: the newest gets of the
 * same task, then the allocation's reference, then anyone's.  For pins
 * only the task's gets inside the GUP call count (at or after the pin
 * op's time, its entry: 6.12's try_grab_folio takes 1 then 1023 and is
 * reported at return); a pin reported before its page_ref (6.1's
 * try_grab_page probe at entry) waits for it.
 */
static void settle(struct ledger *lg, const struct ps_folio *f,
		   const struct ps_op *op)
{
	s64 rem = unplaced(f, lg);

	if (rem >= 0)
		return;
	if (op->kind == PS_OP_PIN) {
		take(lg, PS_HOLD_GET, op->pid, -rem, true, op->ts);
		return;
	}
	rem += take(lg, PS_HOLD_GET, op->pid, -rem, true, 0);
	if (rem < 0)
		rem += take(lg, PS_HOLD_RELEASE, -1, -rem, false, 0);
	if (rem < 0)
		take(lg, PS_HOLD_GET, -1, -rem, true, 0);
}

/* Detail beyond what the structure says goes, oldest first. */
static void prune(struct ledger *lg, enum ps_holder_kind kind, s64 have)
{
	s64 over = sum_kind(lg, kind) - have;

	if (over > 0)
		take(lg, kind, -1, over, false, 0);
}

/*
 * Ops that end a mapping or pin: its detail item becomes a release the
 * coming put will match.  Which item: the same subpage (and mm when
 * the probe gave one), else the same task, else the oldest.
 */
static void undo(struct ps_ledger *l, struct ledger *lg,
		 enum ps_holder_kind kind, s64 refs, bool put_follows,
		 const struct ps_op *op)
{
	s64 left = refs;
	u32 i;

	for (i = 0; i < lg->nr && left > 0; i++) {
		struct item *it = &lg->items[i];

		if (it->kind == kind && it->pfn == op->pfn &&
		    (!op->mm || !it->mm || it->mm == op->mm)) {
			s64 t = it->refs < left ? it->refs : left;

			it->refs -= t;
			left -= t;
			if (!it->refs)
				item_del(lg, i--);
		}
	}
	left -= take(lg, kind, op->pid, left, false, 0);
	take(lg, kind, -1, left, false, 0);
	if (refs > 0 && put_follows)
		item_add(l, lg, PS_HOLD_RELEASE, refs, op);
}

/*
 * Does the op leave something to itemize on a folio without a ledger?
 * Most ops on most folios do not: the ledger is made when one does, so
 * memory follows the folios with holders worth naming.  Without refcount
 * tracking there are no gets or releases (no put would ever match them).
 */
static bool op_itemizes(const struct ps_op *op, bool refs, s64 delta,
			s64 dmap)
{
	switch (op->kind) {
	case PS_OP_ALLOC:
		return refs;
	case PS_OP_REF:
	case PS_OP_REF_SET:
		return refs && delta > 0;
	case PS_OP_RMAP_ADD:
	case PS_OP_MAP_PTE:
	case PS_OP_FORK_DUP:
	case PS_OP_MIGRATION_REMOVE:
		return dmap > 0;
	case PS_OP_PIN:
	case PS_OP_CACHE_ADD:
		return true;
	case PS_OP_CACHE_DEL:
		return refs;
	default:
		return false;
	}
}

static s64 pin_refs(const struct ps_op *op, const struct ps_folio *f)
{
	return (op->val ? op->val : 1) *
	       (f->order ? 1 : PS_GUP_PIN_COUNTING_BIAS);
}

/*
 * mm_lru_insertion: a folio batch drained onto the LRU, and its put of
 * the reference folio_add_lru() took comes next.  Which get that was: a
 * folio never on the LRU since its allocation got it at its first fault
 * (the oldest get); one put back after an isolation, just now (the
 * newest).  It becomes a release the put will match.  A folio put back
 * is isolated no more: folio_putback_lru() took the batch's reference
 * and put the isolation's, and the put() of that matched the task's
 * newest get, the batch's: the isolation stands for the batch's now.
 */
static void lru_drained(struct ps_ledger *l, struct ledger *lg,
			const struct ps_op *op)
{
	bool isolated = count_kind(lg, PS_HOLD_ISOLATED);
	u32 k;

	for (k = 0; k < lg->nr; k++) {
		u32 i = lg->was_lru ? lg->nr - 1 - k : k;
		struct item *it = &lg->items[i];

		if (isolated ? it->kind != PS_HOLD_ISOLATED :
		    it->kind != PS_HOLD_GET || it->op_kind == PS_OP_ALLOC)
			continue;
		it->kind = PS_HOLD_RELEASE;
		it->how = PS_HOW_PAIR;
		it->op_kind = PS_OP_FLAGS;	/* "lru batch, put pending" */
		it->ts = op->ts;
		it->pid = op->pid;
		it->offset = op->offset;
		it->stack_offset = 0;
		/* the same cpu's stack record is the drain's now */
		if (op->cpu >= 0 && op->cpu < LEDGER_CPUS) {
			l->last[op->cpu].folio_id = lg->id;
			l->last[op->cpu].serial = it->serial;
			l->last[op->cpu].valid = true;
		}
		return;
	}
}

/*
 * mm_filemap_add_to_page_cache: the page cache holds the folio now, by
 * the references folio_ref_add(folio, nr) took in the same task just
 * before the event: nr, one per page (6.1's hugetlbfs takes one per
 * folio: page_ref's get says how many).  settle() turns that get into
 * the page cache's.  An older page cache item is stale (its delete was
 * lost): it goes.
 */
static void cache_add(struct ps_ledger *l, struct ledger *lg,
		      const struct ps_folio *f, const struct ps_op *op,
		      bool refs)
{
	s64 nr = (s64)ps_folio_nr_pages(f);
	u32 k;

	take(lg, PS_HOLD_CACHE, -1, sum_kind(lg, PS_HOLD_CACHE), false, 0);
	for (k = lg->nr; refs && k-- > 0;) {
		const struct item *it = &lg->items[k];

		if (it->kind != PS_HOLD_GET || it->pid != op->pid ||
		    it->op_kind == PS_OP_ALLOC)
			continue;
		if (it->refs < nr)
			nr = it->refs;
		break;
	}
	item_add(l, lg, PS_HOLD_CACHE, nr, op);
}

/*
 * mm_filemap_delete_from_page_cache: the page cache lets go, and its
 * references are put next by the same task (filemap_free_folio(), or
 * truncation's batch): they become a release the put will match.
 * Reclaim froze them to 0 before the event: put() took them then, and
 * nothing is left.  A folio whose insertion no event showed (shmem, or
 * cached before the recording) had its nr references in the remainder
 * or among the gets: the release is made of those, as far as they go.
 */
static void cache_del(struct ps_ledger *l, struct ledger *lg,
		      const struct ps_folio *f, const struct ps_op *op,
		      bool refs, const struct ps_state *before)
{
	s64 rem;
	u32 serial, i;

	if (before->in_cache) {
		undo(l, lg, PS_HOLD_CACHE, sum_kind(lg, PS_HOLD_CACHE), refs,
		     op);
		return;
	}
	if (!refs)
		return;
	serial = item_add(l, lg, PS_HOLD_RELEASE, (s64)ps_folio_nr_pages(f),
			  op)->serial;
	rem = unplaced(f, lg);
	if (rem < 0)
		rem += take(lg, PS_HOLD_GET, -1, -rem, false, 0);
	/* what neither covers was never there: the release is smaller */
	for (i = 0; rem < 0 && i < lg->nr; i++) {
		if (lg->items[i].serial != serial)
			continue;
		lg->items[i].refs += rem;
		if (lg->items[i].refs <= 0)
			item_del(lg, i);
		break;
	}
}

/*
 * A get that takes a folio off the LRU (folio_isolate_lru(): test and
 * clear PG_lru, then get): the folio's last page_ref event showed PG_lru
 * and this get's shows it gone.  Reclaim and compaction get first and
 * clear after (isolate_lru_folios()): their gets stay gets.
 */
static bool isolates(const struct ledger *lg, const struct ps_op *op)
{
	return op->kind == PS_OP_REF && (op->flags & PS_OPF_HAS_OBS_COUNT) &&
	       lg->lru == 1 && !(op->obs_flags & PS_PG_LRU);
}

/*
 * An lru insertion onto a folio that was off the LRU: the engine's flags
 * (first insertion) or the last page_ref event (an isolation since) say
 * so.
 */
static bool lru_back(const struct ledger *lg, const struct ps_op *op,
		     const struct ps_state *before)
{
	return (op->flags & PS_OPF_HAS_OBS_FLAGS) &&
	       (op->obs_flags & PS_PG_LRU) &&
	       (!(before->flags & PS_PG_LRU) || lg->lru == 0);
}

/* PG_lru as the folio's last page_ref or lru insertion event showed it */
static void lru_observe(struct ledger *lg, const struct ps_op *op)
{
	if ((op->kind == PS_OP_REF || op->kind == PS_OP_REF_SET) &&
	    (op->flags & PS_OPF_HAS_OBS_COUNT))
		lg->lru = !!(op->obs_flags & PS_PG_LRU);
	else if (op->kind == PS_OP_FLAGS &&
		 (op->flags & PS_OPF_HAS_OBS_FLAGS) &&
		 (!op->val2 || ((u64)op->val2 & PS_PG_LRU)))
		lg->lru = !!(op->obs_flags & PS_PG_LRU);
}

static void ledger_op(struct ps_ledger *l, const struct ps_op *op,
		      const struct ps_folio *f, const struct ps_state *before,
		      const struct ps_state *after)
{
	bool same = before->live && before->head == after->head;
	bool refs = f->known & PS_KNOWN_REFCOUNT;
	struct ledger *lg = ledger_get(l, f, false);
	s64 delta = 0, dmap;

	/* the engine's own step, resyncs to page_ref's count included */
	if (same && refs && (before->known & PS_KNOWN_REFCOUNT))
		delta = after->refcount - before->refcount;
	dmap = same ? (s64)after->mapcount - before->mapcount : 0;
	if (!lg) {
		if (!op_itemizes(op, refs, delta, dmap))
			return;
		lg = ledger_get(l, f, true);
	}

	switch (op->kind) {
	case PS_OP_ALLOC:
		lg->nr = 0;
		lg->lru = -1;
		if (refs)
			item_add(l, lg, PS_HOLD_GET, 1, op);
		return;
	case PS_OP_REF:
	case PS_OP_REF_SET:
		if (delta > 0) {
			/* first what a pin or map already counted */
			s64 rem = unplaced(f, lg) - delta;

			if (rem < 0)
				delta -= -rem < delta ? -rem : delta;
			/*
			 * folio_isolate_lru(): test-and-clear PG_lru, then
			 * get; the page_ref event shows the bit gone
			 */
			if (delta > 0)
				item_add(l, lg, isolates(lg, op) ?
					 PS_HOLD_ISOLATED : PS_HOLD_GET,
					 delta, op);
			delta = 0;
		}
		break;
	case PS_OP_RMAP_ADD:
	case PS_OP_MAP_PTE:
	case PS_OP_FORK_DUP:
	case PS_OP_MIGRATION_REMOVE:
		if (dmap > 0 && !(op->flags & PS_OPF_SPLIT_REMAP))
			item_add(l, lg, PS_HOLD_MAPPING, dmap, op);
		break;
	case PS_OP_RMAP_REMOVE:
		if (dmap < 0)
			undo(l, lg, PS_HOLD_MAPPING, -dmap, refs, op);
		break;
	case PS_OP_PIN:
		item_add(l, lg, PS_HOLD_PIN, pin_refs(op, f), op);
		break;
	case PS_OP_UNPIN:
		undo(l, lg, PS_HOLD_PIN, pin_refs(op, f), refs, op);
		break;
	case PS_OP_FLAGS:
		if (refs && same && lru_back(lg, op, before))
			lru_drained(l, lg, op);
		break;
	case PS_OP_CACHE_ADD:
		cache_add(l, lg, f, op, refs);
		break;
	case PS_OP_CACHE_DEL:
		cache_del(l, lg, f, op, refs, before);
		break;
	default:
		break;
	}
	if (after->flags & PS_PG_LRU)
		lg->was_lru = true;
	lru_observe(lg, op);
	if (delta < 0)
		put(lg, f, op->pid, -delta);
	if (refs)
		settle(lg, f, op);
	if (f->known & PS_KNOWN_MAPCOUNT)
		prune(lg, PS_HOLD_MAPPING, struct_maps(f, lg));
	if (f->known & PS_KNOWN_PINCOUNT)
		prune(lg, PS_HOLD_PIN, struct_pins(f, lg));
}

/* A kernel stack follows the event it belongs to, on the same cpu. */
static void ledger_stack(struct ps_ledger *l, const struct ps_op *op)
{
	struct last_item *li;
	struct ledger *lg;
	u64 *slot;
	u32 i;

	if (op->cpu < 0 || op->cpu >= LEDGER_CPUS)
		return;
	li = &l->last[op->cpu];
	if (!li->valid)
		return;
	li->valid = false;
	slot = ps_u64map_get(&l->by_id, li->folio_id);
	if (!slot)
		return;
	lg = (struct ledger *)(uintptr_t)*slot;
	for (i = 0; i < lg->nr; i++)
		if (lg->items[i].serial == li->serial)
			lg->items[i].stack_offset = op->offset;
}

static void check_state(struct ps_ledger *l, const struct ps_folio *f)
{
	struct ps_holders h;
	int i;

	ps_ledger_holders(l, f, &h);
	if (!h.refcount_known) {
		l->stats.events_unknown++;
		return;
	}
	l->stats.events++;
	if (ps_holders_sum(&h) != h.refcount)
		l->stats.sum_errors++;
	for (i = 0; i < h.nr; i++) {
		if (h.h[i].refs < 0) {
			l->stats.over_events++;
			l->stats.over_refs += (u64)-h.h[i].refs;
			continue;
		}
		l->stats.refs[h.h[i].how] += (u64)h.h[i].refs;
	}
}

static void ledger_hook(void *data, const struct ps_op *op,
			const struct ps_folio *f, const struct ps_state *before,
			const struct ps_state *after)
{
	struct ps_ledger *l = data;

	if (op->kind == PS_OP_STACK) {
		ledger_stack(l, op);
		return;
	}
	if (op->cpu >= 0 && op->cpu < LEDGER_CPUS)
		l->last[op->cpu].valid = false;
	if (!f || op->kind == PS_OP_FREE)
		return;
	ledger_op(l, op, f, before, after);
	if (l->check)
		check_state(l, f);
}

static void ledger_end(void *data, const struct ps_folio *f)
{
	struct ps_ledger *l = data;
	struct ledger *lg = ledger_get(l, f, false);

	if (!lg)
		return;
	ps_u64map_del(&l->by_id, f->id);
	free(lg->items);
	free(lg);
}

struct ps_ledger *ps_ledger_new(struct ps_engine *e)
{
	struct ps_ledger *l = ps_xcalloc(1, sizeof(*l));

	l->e = e;
	ps_engine_add_hook(e, ledger_hook, l);
	ps_engine_set_end_hook(e, ledger_end, l);
	return l;
}

void ps_ledger_free(struct ps_ledger *l)
{
	u64 i;

	if (!l)
		return;
	for (i = 0; i < l->by_id.cap; i++) {
		struct ps_u64map_slot *s = &l->by_id.slot[i];
		struct ledger *lg;

		/* keys are stored +1; ~0 marks a deleted slot (u64map.c) */
		if (!s->key || s->key == ~0ull || !s->val)
			continue;
		lg = (struct ledger *)(uintptr_t)s->val;
		free(lg->items);
		free(lg);
	}
	ps_u64map_free(&l->by_id);
	free(l);
}

void ps_ledger_set_check(struct ps_ledger *l, bool on)
{
	l->check = on;
}

const struct ps_ledger_stats *ps_ledger_stats(const struct ps_ledger *l)
{
	return &l->stats;
}

/* --- the holders of a folio now ----------------------------------------- */

static void row_from_item(struct ps_holder *h, const struct item *it)
{
	memset(h, 0, sizeof(*h));
	h->kind = it->kind;
	h->how = it->how;
	h->refs = it->refs;
	h->pid = it->pid;
	h->ts = it->ts;
	h->offset = it->offset;
	h->stack_offset = it->stack_offset;
	h->event_id = it->event_id;
	h->op_kind = it->op_kind;
	h->op_flags = it->op_flags;
	h->pfn = it->pfn;
	h->mm = it->mm;
	h->addr = it->addr;
	h->ino = it->ino;
	h->index = it->index;
	h->dev = it->dev;
	h->count = 1;
}

/*
 * Adds a row; with no room left, merges it into the last row of its kind.
 * The last PS_HOLD_NR_KINDS slots are kept for a kind's first row.
 */
static void add_row(struct ps_holders *out, const struct ps_holder *row)
{
	int i;

	if (out->nr < PS_HOLDERS_MAX - PS_HOLD_NR_KINDS) {
		out->h[out->nr++] = *row;
		return;
	}
	for (i = out->nr - 1; i >= 0; i--)
		if (out->h[i].kind == row->kind) {
			out->h[i].refs += row->refs;
			out->h[i].count += row->count;
			if (row->how > out->h[i].how)
				out->h[i].how = row->how;
			return;
		}
	out->h[out->nr++] = *row;	/* one per kind fits, see above */
}

/* Rows of one structural kind: the detail items, then the undetailed rest. */
static void struct_rows(struct ps_holders *out, const struct ledger *lg,
			enum ps_holder_kind kind, s64 total)
{
	struct ps_holder row;
	s64 shown = 0;
	u32 i;

	for (i = 0; lg && i < lg->nr; i++)
		if (lg->items[i].kind == kind) {
			row_from_item(&row, &lg->items[i]);
			add_row(out, &row);
			shown += row.refs;
		}
	if (total > shown) {
		memset(&row, 0, sizeof(row));
		row.kind = kind;
		row.how = PS_HOW_EXACT;	/* the count is the kernel's */
		row.refs = total - shown;
		row.op_kind = PS_OP_NONE;
		row.count = 1;
		add_row(out, &row);
	}
}

void ps_ledger_holders(struct ps_ledger *l, const struct ps_folio *f,
		       struct ps_holders *out)
{
	struct ledger *lg = ledger_get(l, f, false);
	struct ps_holder row;
	s64 sum;
	u32 i;
	int k;

	memset(out, 0, sizeof(*out));
	out->valid = true;
	out->folio_pfn = f->pfn;
	out->order = f->order;
	out->refcount_known = f->known & PS_KNOWN_REFCOUNT;
	out->refcount = f->refcount;
	struct_rows(out, lg, PS_HOLD_MAPPING, struct_maps(f, lg));
	struct_rows(out, lg, PS_HOLD_PIN, struct_pins(f, lg));
	for (k = PS_HOLD_CACHE; k <= PS_HOLD_GET; k++)
		for (i = 0; lg && i < lg->nr; i++)
			if (lg->items[i].kind == (enum ps_holder_kind)k) {
				row_from_item(&row, &lg->items[i]);
				add_row(out, &row);
			}
	if (!out->refcount_known)
		return;
	sum = ps_holders_sum(out);
	memset(&row, 0, sizeof(row));
	row.kind = PS_HOLD_UNEXPLAINED;
	row.how = PS_HOW_UNEXPLAINED;
	row.refs = f->refcount - sum;
	row.count = 1;
	add_row(out, &row);
}

s64 ps_holders_sum(const struct ps_holders *h)
{
	s64 n = 0;
	int i;

	for (i = 0; i < h->nr; i++)
		n += h->h[i].refs;
	return n;
}

/* --- printing ------------------------------------------------------------ */

void ps_holder_text(struct ps_trace *t, const struct ps_holder *r,
		    char *buf, size_t size)
{
	size_t n = 0;

#define ADD(...) do {							\
	if (n < size)							\
		n += snprintf(buf + n, size - n, __VA_ARGS__);		\
} while (0)
	ADD("%lld %s", (long long)r->refs,
	    r->kind == PS_HOLD_RELEASE ?
	    (r->op_kind == PS_OP_UNPIN ? "unpinned, put pending" :
	     r->op_kind == PS_OP_FLAGS ? "lru batch drained, put pending" :
	     r->op_kind == PS_OP_CACHE_DEL ?
	     "removed from the page cache, put pending" :
	     "unmapped, put pending") : ps_holder_kind_name(r->kind));
	if (r->count > 1)
		ADD(" (%u merged)", r->count);
	if (r->kind == PS_HOLD_UNEXPLAINED) {
		ADD("%s", r->refs < 0 ? " (the ledger placed more than the "
		    "refcount)" : r->refs ? " (taken before the recording, "
		    "or by an event it lacks)" : "");
		return;
	}
	if (!r->ts) {
		ADD(" (made before the recording or where no probe itemized "
		    "it) [%s]", ps_holder_how_name(r->how));
		return;
	}
	ADD(" (");
	if (r->op_flags & PS_OPF_PIN)
		ADD("FOLL_PIN%s ", (r->op_flags & PS_OPF_LONGTERM) ?
		    "|FOLL_LONGTERM" : "");
	if (t)
		ADD("%s-%d", ps_trace_comm(t, r->pid), r->pid);
	else
		ADD("pid %d", r->pid);
	ADD(" %s at %llu.%06llu", ps_op_kind_name(r->op_kind),
	    (unsigned long long)(r->ts / 1000000000ull),
	    (unsigned long long)(r->ts % 1000000000ull / 1000));
	if (r->pfn != PS_PFN_NONE)
		ADD(" pfn 0x%llx", (unsigned long long)r->pfn);
	if (r->op_flags & PS_OPF_COMPOUND)
		ADD(" pmd");
	if (r->mm)
		ADD(" mm 0x%llx", (unsigned long long)r->mm);
	if (r->addr)
		ADD(" addr 0x%llx", (unsigned long long)r->addr);
	if (r->op_kind == PS_OP_CACHE_ADD || r->op_kind == PS_OP_CACHE_DEL)
		ADD(" dev %u:%u ino 0x%llx index %llu", r->dev >> 20,
		    r->dev & ((1u << 20) - 1), (unsigned long long)r->ino,
		    (unsigned long long)r->index);
	ADD(") [%s]", ps_holder_how_name(r->how));
#undef ADD
}

static void print_row(struct ps_trace *t, const struct ps_holder *r,
		      FILE *out)
{
	char buf[512];

	ps_holder_text(t, r, buf, sizeof(buf));
	fputs(buf, out);
}

/*
 * A get or pin without a stack in a recording that took stacks for some
 * events only (record --stack-on): say its event was not one of them,
 * or that the recorder took it (those never get one), rather than leave
 * the reader wondering whether the stack got lost.
 */
static void print_no_stack(struct ps_trace *t, const struct ps_holder *r,
			   const char *indent, FILE *out)
{
	const struct ps_meta *m = ps_trace_meta(t);
	struct tep_event *ev;

	if ((r->kind != PS_HOLD_GET && r->kind != PS_HOLD_PIN) ||
	    r->event_id < 0 || m->stack_mode != PS_STACKS_SOME)
		return;
	if (ps_trace_stack_on(t, r->event_id)) {
		if (m->stack_skip_recorder && ps_trace_recorder_pid(t, r->pid))
			fprintf(out, "%s      stack: not recorded (the recorder's own; --stack-on leaves it out)\n",
				indent);
		return;
	}
	ev = tep_find_event(ps_trace_tep(t), r->event_id);
	fprintf(out, "%s      stack: not recorded (%s:%s not in --stack-on)\n",
		indent, ev ? ev->system : "?", ev ? ev->name : "?");
}

static void print_stack(struct ps_trace *t, const struct ps_holder *r,
			const char *indent, FILE *out)
{
	char buf[4096], *line, *save = NULL;

	if (!r->stack_offset) {
		print_no_stack(t, r, indent, out);
		return;
	}
	if (ps_trace_stack(t, r->stack_offset, buf, sizeof(buf)) <= 0)
		return;
	fprintf(out, "%s      stack:", indent);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		fprintf(out, " %s <", line);
	fprintf(out, "\n");
}

void ps_holders_print(struct ps_trace *t, const struct ps_holders *h,
		      const char *indent, bool stacks, FILE *out)
{
	char lead[64];
	int i, w;

	if (h->refcount_known)
		w = snprintf(lead, sizeof(lead), "refcount %lld = ",
			     (long long)h->refcount);
	else
		w = snprintf(lead, sizeof(lead), "refcount unknown >= ");
	fprintf(out, "%s%s", indent, lead);
	if (!h->nr)
		fprintf(out, "(no holder known)\n");
	for (i = 0; i < h->nr; i++) {
		if (i)
			fprintf(out, "%s%*s+ ", indent, w - 2, "");
		print_row(t, &h->h[i], out);
		fprintf(out, "\n");
		if (stacks && t)
			print_stack(t, &h->h[i], indent, out);
	}
}
