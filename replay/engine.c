// SPDX-License-Identifier: GPL-2.0
/*
 * The folio state engine: applies page ops (pageop.h) to folio state
 * (folio.h).
 *
 * Live folios sit in a chained hash keyed by head pfn.  A pfn inside a
 * large folio is found by probing the aligned heads of each order up to
 * the largest order live, which costs at most PS_MAX_ORDER lookups and
 * nothing at all while no large folio is live.
 *
 * What the engine deduces rather than reads is marked as such: a free of
 * one page inside a live THP (seen on kernels without split tracing) means
 * the THP was split first, and the engine splits it with an "inferred"
 * lineage link, the same way the kernel's own split would have.
 *
 * Folio-era kernels (6.8 on) add what their probes read of the folio
 * itself (ps_fobs): its head and order reshape what we thought the folio
 * was, and its large/entire mapcount, _nr_pages_mapped and _pincount are
 * a baseline or a cross-check.  Fork's inline PTE batches of a large
 * folio are held per folio until page_ref sizes them or a probe reads
 * the folio (fork_resync).
 *
 * engine_apply() runs in phases: op_valid, op_folio (lookup, creation,
 * reshape, split on a tail's own reference), op_observe (entry readings
 * against derived state), then op_free_phase or op_dispatch.
 */
#include <stdlib.h>
#include <string.h>

#include "pagestate/folio.h"
#include "pagestate/u64map.h"

struct ps_hook {
	ps_op_hook_fn fn;
	void *data;
};

/* khugepaged / MADV_COLLAPSE in flight, per collapsing task */
#define PS_COLLAPSE_SLOTS	8
#define PS_COLLAPSE_PARENTS	512

struct collapse_pending {
	int pid;		/* 0: slot free */
	u64 target_pfn;		/* last large folio this task allocated */
	u32 target_order;
	bool has_target;
	bool isolated;		/* isolation succeeded: frees are the old pages */
	u32 nr;
	u64 parents[PS_COLLAPSE_PARENTS];
	bool inferred[PS_COLLAPSE_PARENTS];
};

/* A migration entry in some page table, by user address. */
struct migration_entry {
	u64 addr;
	u64 src_pfn;
	u32 nr;			/* entries at addr (parent and children) */
	struct migration_entry *next;
};

#define PS_MIG_BUCKETS		1024
/*
 * Entry values read this close to another CPU's op on the folio may be
 * stale; counts this close may be out of order (see check_observed).
 * Both are the reorder bound measured under TCG, whose vCPUs a busy host
 * deschedules: a kprobe reading 20 us from another CPU's op was taken for
 * a disagreement in real recordings (cow.c on 6.12, fork-pin on 6.1).
 */
#define PS_OBS_REORDER_NS	1000000
#define PS_OBS_RACE_NS		PS_OBS_REORDER_NS
#define PS_PID_SLOTS		1024	/* workload pids (open addressing) */

/*
 * A kprobe event takes its timestamp when it reserves its ring-buffer
 * slot and fetches struct page after: a vCPU descheduled in between (a
 * busy host under TCG, for milliseconds) reads the page after another
 * CPU's op whose event sorts later.  Such a reading that disagrees is
 * held until its own CPU's next event, which the kernel wrote after the
 * fetch: if the other CPUs' ops on the page in between bring the derived
 * mapcount to what was read, it raced; otherwise the disagreement
 * stands, and is reported on the reading's op.  One per CPU.
 */
#define PS_OBS_HOLD_CPUS	256

/*
 * The other way round: a CPU's op sorts first (its kprobe's timestamp)
 * but is descheduled before its atomic, and another CPU reads the page
 * before the op lands.  Until its CPU writes another event, an op may
 * not have happened yet (cow.c on custom-6.12: the parent's unmap sorted
 * 3.7 ms before the child's, whose probe still read both mappings; the
 * parent's CPU wrote nothing for 4.8 ms).  A reading that disagrees by
 * exactly such an op of another CPU on the same page read before it:
 * raced, not an anomaly.  Past PS_OBS_INFLIGHT_NS an op counts as done.
 */
#define PS_OBS_INFLIGHT_NS	(50 * PS_OBS_REORDER_NS)

struct obs_inflight {
	bool on;
	u64 folio_id;
	u64 pfn;
	s64 delta;		/* its change of the page's mapcount */
	u64 ts;
};

struct obs_hold {
	bool on;
	bool tracking;		/* the reading's own op is applied */
	u64 folio_id;
	u64 pfn;
	s64 want;		/* read minus derived at the reading */
	s64 seen;		/* the other CPUs' changes since */
	s64 last;		/* the page's derived mapcount, last look */
	bool double_map;	/* PageDoubleMap modelled at the reading */
	struct ps_op op;	/* the reading's op, for the report */
};

struct ps_engine {
	u32 tracks;
	struct ps_folio **buckets;
	u64 nr_buckets;		/* power of two */
	u32 max_order;		/* largest order live so far */
	u64 nr_large;		/* live folios with order > 0 */
	/*
	 * Live large folios per 2 MiB region (pfn >> 9): a pfn whose own
	 * head is not in the hash is inside a large folio only if its
	 * region has one, so most misses cost one probe.
	 */
	struct ps_u64map regions;
	/* freed pfns, not allocated since -> time of the free */
	struct ps_u64map freed;
	u64 next_id;

	struct ps_hook *hooks;
	int nr_hooks;
	ps_folio_end_fn end_fn;
	void *end_data;
	ps_anomaly_fn anomaly_fn;
	void *anomaly_data;
	const struct ps_op *cur_op;	/* the op being applied */
	struct ps_folio *cur_folio;	/* ...and its folio, when known */

	int workload_pids[PS_PID_SLOTS];
	int nr_workload_pids;

	struct collapse_pending collapse[PS_COLLAPSE_SLOTS];
	struct migration_entry *mig[PS_MIG_BUCKETS];
	struct obs_hold hold[PS_OBS_HOLD_CPUS];
	int nr_holds;		/* holds on */
	/* per CPU: its last op's mapcount change, until its next op */
	struct obs_inflight inflight[PS_OBS_HOLD_CPUS];
	/* a 6.1 PMD split seen: _mapcount carries PageDoubleMap's +1 */
	bool double_map;

	struct ps_engine_stats stats;
};

static const char *const anomaly_names[PS_ANOM_NR] = {
	[PS_ANOM_REFCOUNT_UNDERFLOW] = "refcount-underflow",
	[PS_ANOM_MAPCOUNT_UNDERFLOW] = "mapcount-underflow",
	[PS_ANOM_PINCOUNT_UNDERFLOW] = "pincount-underflow",
	[PS_ANOM_FREE_ORDER_MISMATCH] = "free-order-mismatch",
	[PS_ANOM_ALLOC_OVER_LIVE] = "alloc-over-live-folio",
	[PS_ANOM_OBS_MISMATCH] = "observed-vs-derived",
	[PS_ANOM_INVALID_OP] = "invalid-op",
};

const char *ps_anomaly_name(enum ps_anomaly a)
{
	return (unsigned int)a < PS_ANOM_NR ? anomaly_names[a] : "?";
}

const char *ps_lineage_kind_name(enum ps_lineage_kind k)
{
	switch (k) {
	case PS_LINEAGE_SPLIT:
		return "split";
	case PS_LINEAGE_COLLAPSE:
		return "collapse";
	case PS_LINEAGE_MIGRATE:
		return "migrate";
	}
	return "?";
}

struct ps_engine *ps_engine_new(u32 tracks)
{
	struct ps_engine *e = ps_xcalloc(1, sizeof(*e));

	e->tracks = tracks & PS_KNOWN_ALL;
	e->nr_buckets = 1 << 12;
	e->buckets = ps_xcalloc(e->nr_buckets, sizeof(*e->buckets));
	return e;
}

u32 ps_engine_tracks(const struct ps_engine *e)
{
	return e->tracks;
}

void ps_engine_add_hook(struct ps_engine *e, ps_op_hook_fn fn, void *data)
{
	e->hooks = ps_xrealloc(e->hooks, (e->nr_hooks + 1) * sizeof(*e->hooks));
	e->hooks[e->nr_hooks].fn = fn;
	e->hooks[e->nr_hooks].data = data;
	e->nr_hooks++;
}

void ps_engine_set_end_hook(struct ps_engine *e, ps_folio_end_fn fn,
			    void *data)
{
	e->end_fn = fn;
	e->end_data = data;
}

void ps_engine_set_anomaly_hook(struct ps_engine *e, ps_anomaly_fn fn,
				void *data)
{
	e->anomaly_fn = fn;
	e->anomaly_data = data;
}

const struct ps_engine_stats *ps_engine_stats(const struct ps_engine *e)
{
	return &e->stats;
}

/* --- the folio hash ------------------------------------------------- */

static inline u64 pfn_hash(u64 pfn, u64 nr_buckets)
{
	return (pfn * 0x9e3779b97f4a7c15ull) >> 20 & (nr_buckets - 1);
}

static struct ps_folio *hash_lookup(struct ps_engine *e, u64 head)
{
	struct ps_folio *f = e->buckets[pfn_hash(head, e->nr_buckets)];

	while (f && f->pfn != head)
		f = f->hash_next;
	return f;
}

static void hash_grow(struct ps_engine *e)
{
	u64 i, nr = e->nr_buckets * 2;
	struct ps_folio **b = ps_xcalloc(nr, sizeof(*b));

	for (i = 0; i < e->nr_buckets; i++) {
		struct ps_folio *f = e->buckets[i], *next;

		for (; f; f = next) {
			u64 h = pfn_hash(f->pfn, nr);

			next = f->hash_next;
			f->hash_next = b[h];
			b[h] = f;
		}
	}
	free(e->buckets);
	e->buckets = b;
	e->nr_buckets = nr;
}

#define REGION_SHIFT	9

/* Counts f in every 2 MiB region it covers (one, up to order 9). */
static void regions_account(struct ps_engine *e, const struct ps_folio *f,
			    int delta)
{
	u64 r = f->pfn >> REGION_SHIFT;
	u64 last = (f->pfn + ps_folio_nr_pages(f) - 1) >> REGION_SHIFT;

	for (; r <= last; r++) {
		u64 *nr = ps_u64map_put(&e->regions, r);

		*nr += delta;
		if (!*nr)
			ps_u64map_del(&e->regions, r);
	}
}

static bool region_has_large(struct ps_engine *e, u64 pfn)
{
	return ps_u64map_get(&e->regions, pfn >> REGION_SHIFT) != NULL;
}

static void freed_mark(struct ps_engine *e, u64 pfn, u64 nr, u64 ts)
{
	u64 i;

	for (i = 0; i < nr; i++)
		*ps_u64map_put(&e->freed, pfn + i) = ts;
}

/*
 * Freed and not in use since: the map keeps the last free of every pfn
 * (never deleting, which would cost a probe per allocated page on the
 * hot path); a pfn in use again is in a live folio.
 */
bool ps_engine_pfn_last_free(const struct ps_engine *e, u64 pfn, u64 *when)
{
	u64 *ts = ps_u64map_get(&e->freed, pfn);

	if (ts && when)
		*when = *ts;
	return ts != NULL;
}

bool ps_engine_pfn_freed(struct ps_engine *e, u64 pfn, u64 *when)
{
	u64 *ts = ps_u64map_get(&e->freed, pfn);

	if (!ts || ps_folio_find(e, pfn))
		return false;
	if (when)
		*when = *ts;
	return true;
}

static void hash_insert(struct ps_engine *e, struct ps_folio *f)
{
	u64 h;

	if (e->stats.live >= e->nr_buckets)
		hash_grow(e);
	h = pfn_hash(f->pfn, e->nr_buckets);
	f->hash_next = e->buckets[h];
	e->buckets[h] = f;
	e->stats.live++;
	if (e->stats.live > e->stats.max_live)
		e->stats.max_live = e->stats.live;
	if (f->order) {
		e->nr_large++;
		if (f->order > e->max_order)
			e->max_order = f->order;
		regions_account(e, f, 1);
	}
}

static void hash_remove(struct ps_engine *e, struct ps_folio *f)
{
	struct ps_folio **pp = &e->buckets[pfn_hash(f->pfn, e->nr_buckets)];

	while (*pp && *pp != f)
		pp = &(*pp)->hash_next;
	if (!*pp)
		return;
	*pp = f->hash_next;
	e->stats.live--;
	if (f->order) {
		e->nr_large--;
		regions_account(e, f, -1);
	}
}

struct ps_folio *ps_folio_find(struct ps_engine *e, u64 pfn)
{
	struct ps_folio *f = hash_lookup(e, pfn);
	u32 o;

	if (f || !e->nr_large || !region_has_large(e, pfn))
		return f;
	for (o = 1; o <= e->max_order; o++) {
		u64 head = pfn & ~((1ull << o) - 1);

		if (head == pfn)
			continue;
		f = hash_lookup(e, head);
		if (f && pfn < f->pfn + ps_folio_nr_pages(f))
			return f;
	}
	return NULL;
}

struct ps_folio *ps_folio_next(struct ps_engine *e, struct ps_folio *prev)
{
	u64 i = 0;

	if (prev) {
		if (prev->hash_next)
			return prev->hash_next;
		i = pfn_hash(prev->pfn, e->nr_buckets) + 1;
	}
	for (; i < e->nr_buckets; i++)
		if (e->buckets[i])
			return e->buckets[i];
	return NULL;
}

static void anomaly(struct ps_engine *e, enum ps_anomaly a);
static void hold_settle(struct ps_engine *e, struct obs_hold *h,
			struct ps_folio *f);
static void holds_of_folio(struct ps_engine *e, struct ps_folio *f);

/* --- folio life ----------------------------------------------------- */

static struct ps_folio *folio_new(struct ps_engine *e, u64 pfn, u32 order,
				  u64 ts)
{
	struct ps_folio *f = ps_xcalloc(1, sizeof(*f));

	f->pfn = pfn;
	f->order = order;
	f->sub = order ? ps_xcalloc(1ull << order, sizeof(*f->sub)) : &f->sub0;
	f->born_ts = ts;
	f->last_ts = ts;
	f->id = e->next_id++;
	e->stats.folios++;
	hash_insert(e, f);
	return f;
}

static void folio_destroy(struct ps_folio *f)
{
	if (f->sub != &f->sub0)
		free(f->sub);
	free(f->fork);
	free(f->lineage);
	free(f);
}

static void fork_settle_guess(struct ps_engine *e, struct ps_folio *f);

/* Ends a folio's life: last look for the end hook, then forget it. */
static void folio_retire(struct ps_engine *e, struct ps_folio *f,
			 enum ps_folio_state why)
{
	/*
	 * A count that disagreed and was never settled by a later one: an
	 * anomaly, unless the folio ended within the reordering window, when
	 * the event that would settle it may simply be written after the end.
	 */
	if (f->obs_pending) {
		u64 now = e->cur_op ? e->cur_op->ts : f->last_ts;

		if (now - f->obs_pending_ts < PS_OBS_REORDER_NS)
			e->stats.obs_racy++;
		else
			anomaly(e, PS_ANOM_OBS_MISMATCH);
		f->obs_pending = 0;
	}
	holds_of_folio(e, f);
	fork_settle_guess(e, f);
	f->state = why;
	hash_remove(e, f);
	if (e->end_fn)
		e->end_fn(e->end_data, f);
	/* a later anomaly of this op must not hand rules a freed folio */
	if (e->cur_folio == f)
		e->cur_folio = NULL;
	folio_destroy(f);
}

static void lineage_add(struct ps_folio *f, enum ps_lineage_kind kind,
			u64 pfn, u32 order, u64 ts, bool inferred)
{
	struct ps_lineage *l;

	if (f->nr_lineage == f->alloc_lineage) {
		f->alloc_lineage = f->alloc_lineage ? 2 * f->alloc_lineage : 1;
		f->lineage = ps_xrealloc(f->lineage,
					 f->alloc_lineage * sizeof(*l));
	}
	l = &f->lineage[f->nr_lineage++];
	l->kind = kind;
	l->pfn = pfn;
	l->order = order;
	l->ts = ts;
	l->inferred = inferred;
}

/* A folio we meet for the first time without its allocation. */
static struct ps_folio *folio_first_sight(struct ps_engine *e, u64 pfn,
					  u32 order, u64 ts)
{
	struct ps_folio *f = folio_new(e, pfn & ~((1ull << order) - 1), order,
				       ts);

	e->stats.unknown++;
	return f;
}

/* Ops that may be the first thing to happen to a page allocated untraced. */
static bool op_starts_a_life(enum ps_op_kind k)
{
	switch (k) {
	case PS_OP_REF_SET:		/* post_alloc_hook's set_page_refcounted */
	case PS_OP_RMAP_ADD:		/* a migration target being mapped */
	case PS_OP_MIGRATION_REMOVE:
	case PS_OP_MAP_PTE:
	case PS_OP_FLAGS:		/* put on the LRU */
		return true;
	default:
		return false;
	}
}

/*
 * A pfn we saw freed is in use again without an allocation event: the
 * page came back through a path that does not trace mm_page_alloc
 * (compaction's isolated free pages as migration targets, 6.1).  It was
 * free, so its state is a fresh page's: no mapping, no pin, refcount set
 * by post_alloc_hook (page_ref reports it).  Order 0 (compaction hands
 * out base pages on 6.1) unless a folio-era probe read the folio's order.
 */
static struct ps_folio *folio_untraced_alloc(struct ps_engine *e,
					     const struct ps_op *op,
					     u64 head, u32 order)
{
	struct ps_folio *f = folio_new(e, head, order, op->ts);

	f->known = PS_KNOWN_BIRTH | (e->tracks & (PS_KNOWN_MAPCOUNT |
						   PS_KNOWN_PINCOUNT));
	f->untraced = true;
	e->stats.untraced_allocs++;
	return f;
}

s32 ps_folio_mapcount(const struct ps_folio *f)
{
	return f->entire_mapcount + f->sub_mapcount_sum;
}

/*
 * __folio_add_rmap()/__folio_remove_rmap() (mm/rmap.c, 6.12): the low
 * bits count pages whose _mapcount went from -1 to 0, ENTIRELY_MAPPED is
 * added while the entire (PMD) mapcount is not -1.  Order-0 folios keep
 * no such field: 0.
 */
s32 ps_folio_nr_pages_mapped(const struct ps_folio *f)
{
	if (!f->order)
		return 0;
	return f->sub_mapped + (f->entire_mapcount > 0 ? PS_ENTIRELY_MAPPED : 0);
}

/* Sets one subpage's mapcount, keeping the folio's sums in step. */
static void sub_set(struct ps_folio *f, struct ps_subpage *sp, s32 v)
{
	f->sub_mapcount_sum += v - sp->mapcount;
	f->sub_mapped += (v > 0) - (sp->mapcount > 0);
	sp->mapcount = v;
}

void ps_folio_state(const struct ps_folio *f, u64 pfn, struct ps_state *s)
{
	const struct ps_subpage *sp = NULL;

	memset(s, 0, sizeof(*s));
	if (!f)
		return;
	if (pfn >= f->pfn && pfn < f->pfn + ps_folio_nr_pages(f))
		sp = &f->sub[pfn - f->pfn];
	s->head = f->pfn;
	s->refcount = f->refcount;
	s->mapcount = ps_folio_mapcount(f);
	s->entire_mapcount = f->entire_mapcount;
	s->sub_mapcount = sp ? sp->mapcount : 0;
	s->sub_flags = sp ? sp->flags : 0;
	s->pincount = f->pincount;
	s->nr_pages_mapped = ps_folio_nr_pages_mapped(f);
	s->flags = f->flags;
	s->known = f->known;
	s->order = f->order;
	s->live = f->state == PS_FOLIO_LIVE;
	s->in_cache = f->in_cache;
}

/*
 * The pieces a split leaves, as (head, order) pairs.  A uniform split
 * (split_huge_page_to_list_to_order) cuts the folio into folios of
 * new_order.  A non-uniform one (__folio_split, 7.x) halves it buddy
 * style: at each order down to new_order the half without `at` is done,
 * so only the piece holding `at` (and its buddy) get new_order.
 */
struct split_piece {
	u64 pfn;
	u32 order;
};

static u32 split_pieces(u64 head, u32 order, u32 new_order, bool non_uniform,
			u64 at, struct split_piece *out, u32 max)
{
	u64 i, nr = 1ull << order, step = 1ull << new_order;
	u32 n = 0, o;

	if (!non_uniform || at < head || at >= head + nr) {
		for (i = 0; i < nr && n < max; i += step, n++) {
			out[n].pfn = head + i;
			out[n].order = new_order;
		}
		return n;
	}
	for (o = order; o > new_order && n + 2 <= max; o--) {
		u64 half = 1ull << (o - 1);
		bool low = at < head + half;

		out[n].pfn = low ? head + half : head;
		out[n++].order = o - 1;
		if (!low)
			head += half;
	}
	out[n].pfn = head;
	out[n++].order = new_order;
	return n;
}

/*
 * Split f as split_huge_page does.  Each piece keeps its subpages'
 * mapcounts and flags; refcount is the kernel's to hand out again
 * (page_ref_unfreeze), so it is unknown until observed.  Returns the
 * piece containing pfn.
 */
static struct ps_folio *folio_split_at(struct ps_engine *e, struct ps_folio *f,
				       u32 new_order, bool non_uniform, u64 at,
				       u64 pfn, u64 ts, bool inferred)
{
	u64 head = f->pfn;
	u32 order = f->order, known = f->known & ~PS_KNOWN_REFCOUNT;
	u64 flags = f->flags & ~(PS_PG_COMPOUND_HEAD | PS_PG_COMPOUND_TAIL |
				 PS_PG_THP | PS_PG_DOUBLE_MAP);
	struct ps_subpage *sub = f->sub;
	struct ps_folio *hit = NULL;
	bool workload = f->workload, in_cache = f->in_cache;
	struct split_piece *pieces;
	u32 n, k;
	u64 j;

	/* Keep the subpages past the retire of their owner. */
	if (sub == &f->sub0) {
		sub = ps_xmalloc(sizeof(*sub));
		*sub = f->sub0;
	} else {
		f->sub = &f->sub0;
	}
	e->stats.splits++;
	if (inferred)
		e->stats.splits_inferred++;
	folio_retire(e, f, PS_FOLIO_SPLIT);

	pieces = ps_xmalloc(((1ull << (order - new_order)) + PS_MAX_ORDER) *
			    sizeof(*pieces));
	n = split_pieces(head, order, new_order, non_uniform, at, pieces,
			 (1u << (order - new_order)) + PS_MAX_ORDER);
	for (k = 0; k < n; k++) {
		struct ps_folio *p = folio_new(e, pieces[k].pfn,
					       pieces[k].order, ts);
		u64 nr = 1ull << pieces[k].order;

		p->known = known;
		p->flags = flags | (pieces[k].order ? PS_PG_COMPOUND_HEAD : 0);
		p->workload = workload;
		/* each piece stays in the cache (those past EOF leave it
		 * with a delete event of their own) */
		p->in_cache = in_cache;
		for (j = 0; j < nr; j++) {
			p->sub[j] = sub[p->pfn - head + j];
			p->sub_mapcount_sum += p->sub[j].mapcount;
			p->sub_mapped += p->sub[j].mapcount > 0;
		}
		lineage_add(p, PS_LINEAGE_SPLIT, head, order, ts, inferred);
		if (pfn >= p->pfn && pfn < p->pfn + nr)
			hit = p;
	}
	free(pieces);
	free(sub);
	return hit;
}

static struct ps_folio *folio_split(struct ps_engine *e, struct ps_folio *f,
				    u32 new_order, u64 pfn, u64 ts,
				    bool inferred)
{
	return folio_split_at(e, f, new_order, false, 0, pfn, ts, inferred);
}

/* Retire every live folio overlapping [pfn, pfn + nr). */
static void retire_range(struct ps_engine *e, u64 pfn, u64 nr,
			 enum ps_folio_state why)
{
	u64 p = pfn;

	while (p < pfn + nr) {
		struct ps_folio *f = ps_folio_find(e, p);

		if (!f) {
			p++;
			continue;
		}
		p = f->pfn + ps_folio_nr_pages(f);
		folio_retire(e, f, why);
	}
}

/* --- workload pids ---------------------------------------------------- */

static bool pid_is_workload(const struct ps_engine *e, int pid)
{
	u32 h;

	if (!e->nr_workload_pids || pid <= 0)
		return false;
	for (h = (u32)pid % PS_PID_SLOTS;; h = (h + 1) % PS_PID_SLOTS) {
		if (e->workload_pids[h] == pid)
			return true;
		if (!e->workload_pids[h])
			return false;
	}
}

static void pid_add_workload(struct ps_engine *e, int pid)
{
	u32 h;

	if (pid <= 0 || pid_is_workload(e, pid) ||
	    e->nr_workload_pids >= PS_PID_SLOTS / 2)
		return;
	for (h = (u32)pid % PS_PID_SLOTS; e->workload_pids[h];
	     h = (h + 1) % PS_PID_SLOTS)
		;
	e->workload_pids[h] = pid;
	e->nr_workload_pids++;
}

/* --- collapse bookkeeping -------------------------------------------- */

static struct collapse_pending *collapse_slot(struct ps_engine *e, int pid,
					      bool create)
{
	struct collapse_pending *c, *victim = &e->collapse[0];
	int i;

	for (i = 0; i < PS_COLLAPSE_SLOTS; i++) {
		c = &e->collapse[i];
		if (c->pid == pid)
			return c;
		if (!c->pid)
			victim = c;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	victim->pid = pid;
	return victim;
}

static void collapse_add_parent(struct collapse_pending *c, u64 pfn,
				bool inferred)
{
	u32 i;

	for (i = 0; i < c->nr; i++)
		if (c->parents[i] == pfn)
			return;
	if (c->nr < PS_COLLAPSE_PARENTS) {
		c->inferred[c->nr] = inferred;
		c->parents[c->nr++] = pfn;
	}
}

static void collapse_note_parent(struct ps_engine *e, const struct ps_op *op)
{
	struct collapse_pending *c;

	if (op->pfn == PS_PFN_NONE || (s64)op->pfn < 0)
		return;
	c = collapse_slot(e, op->pid, true);
	collapse_add_parent(c, op->pfn, false);
	if (op->kind == PS_OP_COLLAPSE_ISOLATE && op->result == 1)
		c->isolated = true;
}

/*
 * Between a successful isolation and the end of the collapse, the
 * collapsing task copies the old small pages and frees them: on kernels
 * without collapse probes those frees name the parents (inferred).
 */
static void collapse_note_free(struct ps_engine *e, const struct ps_op *op)
{
	struct collapse_pending *c = collapse_slot(e, op->pid, false);

	if (c && c->isolated && op->order == 0)
		collapse_add_parent(c, op->pfn, true);
}

/*
 * A collapse finished.  The kernel allocates the new huge folio before it
 * isolates the old pages, so the collapse target is the last large folio
 * this task allocated; the pages it scanned and isolated are the parents.
 */
static struct ps_folio *collapse_done(struct ps_engine *e,
				      const struct ps_op *op)
{
	struct collapse_pending *c = collapse_slot(e, op->pid, false);
	struct ps_folio *f = NULL;
	u64 target = op->pfn;
	u32 i;

	if (target == PS_PFN_NONE && c && c->has_target)
		target = c->target_pfn;
	if (target != PS_PFN_NONE)
		f = ps_folio_find(e, target);
	if (f && op->result == 1) {
		e->stats.collapses++;
		for (i = 0; c && i < c->nr; i++)
			lineage_add(f, PS_LINEAGE_COLLAPSE, c->parents[i], 0,
				    op->ts, c->inferred[i]);
	}
	if (c)
		memset(c, 0, sizeof(*c));
	return f;
}

/* --- migration entries ------------------------------------------------ */

static struct migration_entry **mig_find(struct ps_engine *e, u64 addr)
{
	struct migration_entry **pp = &e->mig[(addr >> 12) % PS_MIG_BUCKETS];

	while (*pp && (*pp)->addr != addr)
		pp = &(*pp)->next;
	return pp;
}

static void mig_set(struct ps_engine *e, const struct ps_op *op)
{
	struct migration_entry **pp = mig_find(e, op->addr);

	if (!*pp) {
		*pp = ps_xcalloc(1, sizeof(**pp));
		(*pp)->addr = op->addr;
	}
	(*pp)->src_pfn = op->pfn;
	(*pp)->nr++;
}

/* Returns the source pfn of the entry removed at addr, or PS_PFN_NONE. */
static u64 mig_remove(struct ps_engine *e, u64 addr)
{
	struct migration_entry **pp = mig_find(e, addr), *m = *pp;
	u64 src;

	if (!m)
		return PS_PFN_NONE;
	src = m->src_pfn;
	if (--m->nr == 0) {
		*pp = m->next;
		free(m);
	}
	return src;
}

/* --- applying ops ------------------------------------------------------ */

static void anomaly(struct ps_engine *e, enum ps_anomaly a)
{
	e->stats.anomalies[a]++;
	if (e->anomaly_fn && e->cur_op)
		e->anomaly_fn(e->anomaly_data, a, e->cur_op, e->cur_folio);
}

static struct ps_folio *op_alloc(struct ps_engine *e, const struct ps_op *op)
{
	u64 nr = 1ull << op->order;
	struct ps_folio *f = ps_folio_find(e, op->pfn);
	u64 p;

	/*
	 * post_alloc_hook() sets the refcount (page_ref_set) before
	 * __alloc_pages() traces the allocation: folios we just took for
	 * untraced allocations in the range are this one.  Anything else
	 * still live there was freed behind our back.
	 */
	if (f || (op->order && e->stats.live)) {
		for (p = op->pfn; p < op->pfn + nr; p++) {
			f = ps_folio_find(e, p);
			if (!f || f->pfn != p)
				continue;
			if (f->untraced) {
				f->untraced = false;
				e->stats.untraced_allocs--;
			} else if (f->known & PS_KNOWN_BIRTH) {
				anomaly(e, PS_ANOM_ALLOC_OVER_LIVE);
			}
		}
		retire_range(e, op->pfn, nr, PS_FOLIO_FREED);
	}
	f = folio_new(e, op->pfn, op->order, op->ts);
	/*
	 * A fresh folio: one reference, no mappings, no pins.  Which of those
	 * stay true depends on the recording tracking their changes.
	 */
	f->known = PS_KNOWN_BIRTH | (e->tracks & (PS_KNOWN_REFCOUNT |
				     PS_KNOWN_MAPCOUNT | PS_KNOWN_PINCOUNT));
	f->refcount = 1;
	/* a block without __GFP_COMP has no compound head (verify.c) */
	if (op->order && !(op->flags & PS_OPF_NON_COMPOUND))
		f->flags |= PS_PG_COMPOUND_HEAD;
	f->non_compound = op->order && (op->flags & PS_OPF_NON_COMPOUND);
	if (op->order) {
		struct collapse_pending *c = collapse_slot(e, op->pid, true);

		c->target_pfn = op->pfn;
		c->target_order = op->order;
		c->has_target = true;
	}
	return f;
}

static struct ps_folio *op_free(struct ps_engine *e, const struct ps_op *op,
				struct ps_folio *f)
{
	if (!f)
		return NULL;
	if (f->pfn == op->pfn && f->order == op->order) {
		folio_retire(e, f, PS_FOLIO_FREED);
		return NULL;
	}
	if (op->order < f->order && op->pfn >= f->pfn) {
		/* One piece of a large folio: it was split first. */
		f = folio_split(e, f, op->order, op->pfn, op->ts, true);
		if (f)
			folio_retire(e, f, PS_FOLIO_FREED);
		return NULL;
	}
	/* Freed with a larger order than we knew: a placeholder or a bug. */
	if (f->known & PS_KNOWN_BIRTH)
		anomaly(e, PS_ANOM_FREE_ORDER_MISMATCH);
	retire_range(e, op->pfn, 1ull << op->order, PS_FOLIO_FREED);
	return NULL;
}

/*
 * Two CPUs changing one page at the same instant: the trace orders their
 * events by timestamp, not by the order their atomic ops took effect, so
 * the count each one reports may be the other's.  The sum is right either
 * way; such a reading is neither a baseline nor a disagreement.
 */
static bool obs_racy(struct ps_engine *e, const struct ps_folio *f,
		     const struct ps_op *op)
{
	if (f->nr_ops && f->last_cpu != op->cpu &&
	    op->ts - f->last_ts < PS_OBS_RACE_NS) {
		e->stats.obs_racy++;
		return true;
	}
	return false;
}

/*
 * page_ref reports the count after each change, but the trace orders two
 * CPUs' events by the time each was written, which under load need not
 * be the order their atomic ops took effect: both counts then disagree
 * with the sum, which is right.  Under TCG, whose vCPUs the host
 * deschedules, such an event can be written hundreds of microseconds
 * late.  A disagreement is held
 * while later counts on the folio come within PS_OBS_REORDER_NS of it; if
 * one agrees with the sum again it was such a reordering, otherwise the
 * kernel changed the count where the recording cannot see it: an
 * anomaly, and the engine takes the kernel's word.
 */
#define PS_OBS_PENDING_MAX	64

static void check_observed(struct ps_engine *e, struct ps_folio *f,
			   const struct ps_op *op)
{
	if (!(op->flags & PS_OPF_HAS_OBS_COUNT))
		return;
	if (!(f->known & PS_KNOWN_REFCOUNT)) {
		if (e->tracks & PS_KNOWN_REFCOUNT) {
			f->refcount = op->obs_count;
			f->known |= PS_KNOWN_REFCOUNT;
		}
		return;
	}
	if (f->refcount == op->obs_count) {
		if (f->obs_pending)
			e->stats.obs_racy++;
		f->obs_pending = 0;
		return;
	}
	if (!f->obs_pending) {
		f->obs_pending = 1;
		f->obs_pending_ts = op->ts;
		return;
	}
	if (f->obs_pending < PS_OBS_PENDING_MAX &&
	    op->ts - f->obs_pending_ts < PS_OBS_REORDER_NS) {
		f->obs_pending++;
		return;
	}
	f->obs_pending = 0;
	anomaly(e, PS_ANOM_OBS_MISMATCH);
	f->refcount = op->obs_count;
}

static void op_ref(struct ps_engine *e, const struct ps_op *op,
		   struct ps_folio *f)
{
	if (op->kind == PS_OP_REF_SET) {
		/* an absolute count (set, freeze, unfreeze) settles it */
		f->obs_pending = 0;
		f->refcount = op->obs_count;
		if (e->tracks & PS_KNOWN_REFCOUNT)
			f->known |= PS_KNOWN_REFCOUNT;
		return;
	}
	if (f->known & PS_KNOWN_REFCOUNT) {
		f->refcount += op->val;
		if (f->refcount < 0) {
			anomaly(e, PS_ANOM_REFCOUNT_UNDERFLOW);
			f->refcount = 0;
		}
	}
	check_observed(e, f, op);
}

static void op_pin(struct ps_engine *e, const struct ps_op *op,
		   struct ps_folio *f)
{
	s64 n = op->val ? op->val : 1;

	f->pincount += op->kind == PS_OP_PIN ? n : -n;
	if (f->pincount < 0) {
		if (f->known & PS_KNOWN_PINCOUNT)
			anomaly(e, PS_ANOM_PINCOUNT_UNDERFLOW);
		f->pincount = 0;
	}
}

static void mapcount_add(struct ps_engine *e, struct ps_folio *f,
			 struct ps_subpage *sp, int delta)
{
	if (sp) {
		s32 v = sp->mapcount + delta;

		if (v < 0) {
			if (f->known & PS_KNOWN_MAPCOUNT)
				anomaly(e, PS_ANOM_MAPCOUNT_UNDERFLOW);
			v = 0;
		}
		sub_set(f, sp, v);
		return;
	}
	f->entire_mapcount += delta;
	if (f->entire_mapcount < 0) {
		if (f->known & PS_KNOWN_MAPCOUNT)
			anomaly(e, PS_ANOM_MAPCOUNT_UNDERFLOW);
		f->entire_mapcount = 0;
	}
}

/*
 * The pages an rmap op covers: [*first, *first + *nr) of f's subpages, or
 * none (*nr = 0) for the entire (PMD) mapping.  folio_add_new_anon_rmap()
 * maps a PMD-mappable folio entirely and any smaller one (mTHP) by a PTE
 * per page (mm/rmap.c, 6.12); 6.1 had no anon folio of orders 1-8.
 */
static bool rmap_range(struct ps_engine *e, const struct ps_op *op,
		       const struct ps_folio *f, u64 *first, u64 *nr)
{
	bool compound = op->flags & PS_OPF_COMPOUND;

	*first = op->pfn - f->pfn;
	*nr = op->val > 1 ? (u64)op->val : 1;
	if (op->flags & PS_OPF_NEW) {
		compound = f->order >= PS_PMD_ORDER;
		*first = 0;
		*nr = ps_folio_nr_pages(f);
	}
	if (compound) {
		*nr = 0;
		return true;
	}
	if (*first + *nr > ps_folio_nr_pages(f)) {
		anomaly(e, PS_ANOM_INVALID_OP);
		*nr = ps_folio_nr_pages(f) - *first;
	}
	return false;
}

static void op_rmap(struct ps_engine *e, const struct ps_op *op,
		    struct ps_folio *f)
{
	int delta = op->kind == PS_OP_RMAP_ADD ? 1 : -1;
	u64 first, nr, i;
	bool compound = rmap_range(e, op, f, &first, &nr);

	if (compound)
		mapcount_add(e, f, NULL, delta);
	for (i = 0; i < nr; i++)
		mapcount_add(e, f, &f->sub[first + i], delta);
	if (op->kind == PS_OP_RMAP_ADD) {
		f->flags |= PS_PG_MMAP;
		if (op->flags & PS_OPF_ANON)
			f->flags |= PS_PG_ANON;
		if (op->flags & PS_OPF_EXCLUSIVE) {
			/* RMAP_EXCLUSIVE: SetPageAnonExclusive per page */
			if (compound)
				f->flags |= PS_PG_ANON_EXCLUSIVE;
			for (i = 0; i < nr; i++)
				f->sub[first + i].flags |= PS_SUB_ANON_EXCLUSIVE;
		}
	} else if (compound && !f->entire_mapcount) {
		/* page_remove_anon_compound_rmap(): last PMD mapping gone */
		f->flags &= ~PS_PG_DOUBLE_MAP;
	}
	if (!ps_folio_mapcount(f))
		f->flags &= ~PS_PG_MMAP;
}

/*
 * __split_huge_pmd_locked(): the PMD mapping becomes 512 PTE mappings.
 * On 6.1 the kernel bumps each subpage's _mapcount directly, without an
 * rmap call, and anon_exclusive moves from the head to every subpage.
 * From 6.2 on (PS_OPF_RMAP_SPLIT) it calls folio_add_anon_rmap_ptes()
 * for the 512 PTEs and folio_remove_rmap_pmd() for the PMD, which the
 * recording sees as rmap ops of their own: nothing moves here.  A PMD
 * migration entry maps nothing: no mapcount moves.
 *
 * On 6.1 (PS_OPF_DROPS_ENTIRE) it also drops the entire mapping itself
 * rather than through page_remove_rmap(), with PageDoubleMap: set while
 * another PMD still maps the THP, cleared when the last one goes.  Our
 * subpage mapcounts are the true PTE counts; the kernel's +1 DoubleMap
 * bias in each _mapcount is the flag.
 */
static void op_split_pmd(struct ps_engine *e, const struct ps_op *op,
			 struct ps_folio *f)
{
	u64 i, nr = ps_folio_nr_pages(f);
	bool ae = f->flags & PS_PG_ANON_EXCLUSIVE;

	if (!f->order || (op->flags & PS_OPF_MIGRATION))
		return;
	/*
	 * A PMD that maps a folio with no PMD mapping in its rmap is the
	 * huge zero page (__split_huge_zero_page_pmd): it becomes small
	 * zero-page PTEs and no mapcount moves.
	 */
	if ((f->known & PS_KNOWN_MAPCOUNT) && !f->entire_mapcount) {
		f->flags |= PS_PG_ZERO_PAGE;
		return;
	}
	if (op->flags & PS_OPF_RMAP_SPLIT)
		return;
	for (i = 0; i < nr; i++) {
		mapcount_add(e, f, &f->sub[i], 1);
		if (ae)
			f->sub[i].flags |= PS_SUB_ANON_EXCLUSIVE;
	}
	if (!(op->flags & PS_OPF_DROPS_ENTIRE))
		return;
	e->double_map = true;
	if (f->entire_mapcount > 1)
		f->flags |= PS_PG_DOUBLE_MAP;
	mapcount_add(e, f, NULL, -1);
	if (!f->entire_mapcount)
		f->flags &= ~PS_PG_DOUBLE_MAP;
}

/*
 * PG_anon_exclusive as a probe saw it at entry.  It lives per subpage of
 * a PTE-mapped folio and on the head of a PMD-mapped one; a tail page of
 * a PMD-mapped THP says nothing.
 */
static void observe_anon_exclusive(struct ps_folio *f, const struct ps_op *op)
{
	bool ae = op->obs_flags & (PS_PG_ANON_EXCLUSIVE | PS_PG_MAPPEDTODISK);
	struct ps_subpage *sp = &f->sub[op->pfn - f->pfn];

	if (!(op->flags & PS_OPF_HAS_OBS_FLAGS) ||
	    !((op->obs_flags | f->flags) & PS_PG_ANON))
		return;
	if (f->order && f->entire_mapcount > 0) {
		if (op->pfn != f->pfn)
			return;
		if (ae)
			f->flags |= PS_PG_ANON_EXCLUSIVE;
		else
			f->flags &= ~PS_PG_ANON_EXCLUSIVE;
		return;
	}
	if (ae)
		sp->flags |= PS_SUB_ANON_EXCLUSIVE;
	else
		sp->flags &= ~PS_SUB_ANON_EXCLUSIVE;
}

/*
 * Take the kernel's word for the _mapcount of @pfn, @delta off ours.  On
 * 6.1 a large anon folio's _mapcount also holds PageDoubleMap's +1, and
 * for every subpage at once: a reading one above ours while we model no
 * flag, or one below while we do, is the flag (the kernel kept or set it
 * where we did not, or never set it), not this subpage's PTEs.  Taking
 * it as a PTE count would leave this page one off for good and the other
 * 511 disagreeing at their next reading.  @dm: the flag as we modelled
 * it at the reading (a held reading settles after its op, which may
 * have cleared it since).
 */
static void obs_correct(struct ps_engine *e, struct ps_folio *f, u64 pfn,
			s64 delta, bool dm)
{
	struct ps_subpage *sp = &f->sub[pfn - f->pfn];

	if (e->double_map && f->order && (f->flags & PS_PG_ANON)) {
		if (delta == 1 && !dm) {
			f->flags |= PS_PG_DOUBLE_MAP;
			return;
		}
		if (delta == -1 && dm) {
			f->flags &= ~PS_PG_DOUBLE_MAP;
			return;
		}
	}
	sub_set(f, sp, sp->mapcount + (s32)delta);
}

/*
 * Does @derived, less the ops other CPUs have in flight on this page (all
 * of them, or any one), come to what @op read?
 */
static bool inflight_explains(const struct ps_engine *e,
			      const struct ps_folio *f, const struct ps_op *op,
			      s64 derived)
{
	s64 all = 0;
	int i, n = 0;

	for (i = 0; i < PS_OBS_HOLD_CPUS; i++) {
		const struct obs_inflight *in = &e->inflight[i];

		if (!in->on || i == op->cpu || in->folio_id != f->id ||
		    in->pfn != op->pfn || op->ts - in->ts >= PS_OBS_INFLIGHT_NS)
			continue;
		if (derived - in->delta == (s64)op->obs_mapcount)
			return true;
		all += in->delta;
		n++;
	}
	return n > 1 && derived - all == (s64)op->obs_mapcount;
}

/*
 * Kprobes read struct page at function entry: what the kernel held just
 * before the op.  That is a baseline for a page we met mid-trace and a
 * cross-check for one we derived.  page->_mapcount counts the subpage's
 * PTE mappings, plus one while PageDoubleMap is set (6.1).  resynced: a
 * fork batch of this folio was just settled from the folio's counts,
 * whose split over the pages was a guess this reading may correct.
 */
static void check_observed_before(struct ps_engine *e, struct ps_folio *f,
				  const struct ps_op *op, bool racy,
				  bool resynced)
{
	struct ps_subpage *sp = &f->sub[op->pfn - f->pfn];
	s64 derived;

	observe_anon_exclusive(f, op);
	if (!(op->flags & PS_OPF_HAS_OBS_MAPCOUNT) ||
	    !(e->tracks & PS_KNOWN_MAPCOUNT))
		return;
	/*
	 * Two CPUs in the rmap code of one page at once (parent and child
	 * unmapping a shared page) both read it before either changed it:
	 * the later reading is stale by the other's op, not a disagreement.
	 */
	if (racy)
		return;
	derived = sp->mapcount + !!(f->flags & PS_PG_DOUBLE_MAP);
	if (f->known & PS_KNOWN_MAPCOUNT) {
		if (derived == op->obs_mapcount)
			return;
		if (!resynced && inflight_explains(e, f, op, derived)) {
			e->stats.obs_racy++;
			return;
		}
		if (!resynced && op->cpu >= 0 && op->cpu < PS_OBS_HOLD_CPUS) {
			struct obs_hold *h = &e->hold[op->cpu];

			if (h->on)	/* engine_apply settled it first */
				hold_settle(e, h, NULL);
			memset(h, 0, sizeof(*h));
			h->on = true;
			h->folio_id = f->id;
			h->pfn = op->pfn;
			h->want = (s64)op->obs_mapcount - derived;
			h->double_map = f->flags & PS_PG_DOUBLE_MAP;
			h->op = *op;
			e->nr_holds++;
			return;
		}
		if (!resynced)
			anomaly(e, PS_ANOM_OBS_MISMATCH);
		obs_correct(e, f, op->pfn, op->obs_mapcount - derived,
			    f->flags & PS_PG_DOUBLE_MAP);
	} else if (!f->order) {
		sub_set(f, sp, (s32)op->obs_mapcount);
		f->entire_mapcount = 0;
		f->known |= PS_KNOWN_MAPCOUNT;
	}
}

/* --- large folios of the folio era (6.12+) ----------------------------- */

/*
 * fork's copy_present_ptes() (mm/memory.c, 6.12) duplicates a batch of
 * PTEs mapping consecutive pages of one large folio inline:
 * folio_try_dup_anon_rmap_ptes() adds one to each page's _mapcount and
 * nr to _large_mapcount, clears PageAnonExclusive, and leaves
 * _nr_pages_mapped alone (those pages were mapped already).  The probe
 * on vm_normal_page() names the batch's first page; its length is the
 * folio_ref_add(folio, nr) right after, where page_ref is recorded, else
 * the run of consecutive mapped pages.  Up to max dups are spread from
 * each pending start over its length, or until an unmapped page, the
 * next start or the folio's end; a guess remembers what it gave each
 * batch.  Returns the dups left over.
 */
static u32 fork_nr_pending(const struct ps_folio *f)
{
	return f->fork ? f->fork->nr_pending : 0;
}

static s64 fork_spread(struct ps_engine *e, struct ps_folio *f, s64 max,
		       bool guess)
{
	struct ps_fork_state *fs = f->fork;
	u64 nr = ps_folio_nr_pages(f), i, end;
	u32 k;

	for (k = 0; k < fs->nr_pending && max > 0; k++) {
		struct ps_fork_batch *b = &fs->pending[k];
		u64 first;

		i = first = b->pfn - f->pfn;
		end = k + 1 < fs->nr_pending ? fs->pending[k + 1].pfn - f->pfn :
		      nr;
		if (end <= i || end > nr)
			end = nr;
		if (b->nr && i + b->nr < end)
			end = i + b->nr;
		for (; i < end && max > 0 && f->sub[i].mapcount > 0; i++) {
			mapcount_add(e, f, &f->sub[i], 1);
			f->sub[i].flags &= ~PS_SUB_ANON_EXCLUSIVE;
			max--;
		}
		if (guess && fs->nr_guessed < PS_FORK_PENDING) {
			fs->guessed[fs->nr_guessed] = *b;
			fs->guessed[fs->nr_guessed++].nr = (u32)(i - first);
		}
	}
	fs->nr_pending = 0;
	f->flags |= PS_PG_MMAP;
	return max;
}

/* No probe read the folio since: the batches covered their whole runs. */
static void fork_settle_guess(struct ps_engine *e, struct ps_folio *f)
{
	if (!fork_nr_pending(f))
		return;
	fork_spread(e, f, (s64)ps_folio_nr_pages(f), true);
}

/*
 * A reading of the folio disagrees with guessed batches: take their
 * mappings back and make them pending again, lengths unknown.
 */
static void fork_unguess(struct ps_engine *e, struct ps_folio *f)
{
	struct ps_fork_state *fs = f->fork;
	u32 k, j;

	for (k = 0; k < fs->nr_guessed; k++) {
		struct ps_fork_batch *b = &fs->guessed[k];

		for (j = 0; j < b->nr; j++)
			mapcount_add(e, f, &f->sub[b->pfn - f->pfn + j], -1);
		b->nr = 0;
	}
	memcpy(fs->pending, fs->guessed, fs->nr_guessed * sizeof(*fs->pending));
	fs->nr_pending = fs->nr_guessed;
	fs->nr_guessed = 0;
}

/*
 * A probe read the folio: the per-page sum it holds beyond ours is what
 * the pending batches added.  More than the runs can take means we
 * cannot place them: the mapcounts are unknown until a baseline.
 */
static void fork_resync(struct ps_engine *e, struct ps_folio *f,
			const struct ps_op *op)
{
	s64 obs_sum = op->fobs.large_mapcount - op->fobs.entire_mapcount;
	s64 d = obs_sum - f->sub_mapcount_sum, sized = 0;
	bool all_sized = true;
	u32 k;

	e->stats.fork_resyncs++;
	/* lengths from page_ref that do not add up were other references */
	for (k = 0; k < f->fork->nr_pending; k++) {
		sized += f->fork->pending[k].nr;
		all_sized &= f->fork->pending[k].nr > 0;
	}
	if (!all_sized || sized != d)
		for (k = 0; k < f->fork->nr_pending; k++)
			f->fork->pending[k].nr = 0;
	if (fork_spread(e, f, d > 0 ? d : 0, false) > 0)
		f->known &= ~PS_KNOWN_MAPCOUNT;
}

static void op_fork_batch(struct ps_engine *e, const struct ps_op *op,
			  struct ps_folio *f)
{
	struct ps_fork_batch *b;

	e->stats.fork_batches++;
	if (!f->fork)
		f->fork = ps_xcalloc(1, sizeof(*f->fork));
	if (f->fork->nr_pending == PS_FORK_PENDING)
		fork_settle_guess(e, f);
	b = &f->fork->pending[f->fork->nr_pending++];
	b->pfn = op->pfn;
	b->pid = op->pid;
	b->nr = 0;
	/* its folio_ref_add() came first in the stream (see fork_batch_length) */
	if (f->ref_add_val > 0 && f->ref_add_pid == op->pid &&
	    f->ref_add_ts >= op->ts && f->ref_add_ts - op->ts < PS_OBS_REORDER_NS) {
		b->nr = (u32)f->ref_add_val;
		f->ref_add_val = 0;
		e->stats.fork_sized++;
	}
}

/*
 * copy_present_ptes() takes nr references (folio_ref_add) for the batch
 * it is about to share: the forking task's first reference increase
 * after a batch began is its length.  True when the op was that.
 */
static bool fork_batch_length(struct ps_engine *e, struct ps_folio *f,
			      const struct ps_op *op)
{
	struct ps_fork_batch *b;

	if (op->kind != PS_OP_REF || op->val <= 0)
		return false;
	f->ref_add_ts = op->ts;
	f->ref_add_pid = op->pid;
	f->ref_add_val = op->val;
	if (!fork_nr_pending(f))
		return false;
	b = &f->fork->pending[f->fork->nr_pending - 1];
	if (b->nr || b->pid != op->pid)
		return false;
	b->nr = (u32)op->val;
	f->ref_add_val = 0;
	e->stats.fork_sized++;
	return true;
}

/*
 * A large folio met mid-trace: its counts are a baseline when they pin
 * down every page.  S per-page mappings over M mapped pages: all zero
 * (S = M = 0), one each over the whole folio (S = M = nr), or all on the
 * page the probe read (M = 1, its _mapcount = S).
 */
static void fobs_baseline(struct ps_engine *e, struct ps_folio *f,
			  const struct ps_op *op)
{
	const struct ps_fobs *o = &op->fobs;
	s64 s = (s64)o->large_mapcount - o->entire_mapcount;
	s64 m = o->nr_pages_mapped & (PS_ENTIRELY_MAPPED - 1);
	s64 nr = (s64)ps_folio_nr_pages(f), i;
	struct ps_subpage *sp = &f->sub[op->pfn - f->pfn];

	if (o->entire_mapcount < 0 || s < 0 ||
	    !((s == 0 && m == 0) || (s == nr && m == nr) ||
	      (m == 1 && (op->flags & PS_OPF_HAS_OBS_MAPCOUNT) &&
	       op->obs_mapcount == s)))
		return;
	for (i = 0; i < nr; i++)
		sub_set(f, &f->sub[i], s == nr ? 1 : 0);
	if (m == 1)
		sub_set(f, sp, (s32)s);
	f->entire_mapcount = o->entire_mapcount;
	f->known |= PS_KNOWN_MAPCOUNT;
	e->stats.fobs_baselines++;
}

/*
 * The folio's _refcount at entry against the count page_ref events gave
 * us (custom kernels): the probe fires before the function's own
 * references, so the two must agree.
 */
static void check_folio_refcount(struct ps_engine *e, struct ps_folio *f,
				 const struct ps_op *op)
{
	if (!(op->fobs.have & PS_FOBS_REFCOUNT) ||
	    !(e->tracks & PS_KNOWN_REFCOUNT) ||
	    !(f->known & PS_KNOWN_REFCOUNT))
		return;
	e->stats.fobs_ref_compared++;
	if (f->refcount != op->fobs.refcount)
		e->stats.fobs_ref_mismatch++;
}

static bool folio_obs_agree(const struct ps_folio *f, const struct ps_op *op)
{
	return ps_folio_mapcount(f) == op->fobs.large_mapcount &&
	       f->entire_mapcount == op->fobs.entire_mapcount &&
	       ps_folio_nr_pages_mapped(f) == op->fobs.nr_pages_mapped;
}

/*
 * The folio's own counts at entry against ours: folio_mapcount() is the
 * entire mapcount plus every page's (as folio_large_mapcount() keeps
 * it), _nr_pages_mapped the mapped pages plus ENTIRELY_MAPPED.  A
 * disagreement is an anomaly and the kernel's word is taken; what cannot
 * be placed per page makes the mapcounts unknown again.
 */
static bool check_folio_obs(struct ps_engine *e, struct ps_folio *f,
			    const struct ps_op *op, bool racy)
{
	const struct ps_fobs *o = &op->fobs;
	bool resynced = false;

	if ((op->flags & PS_OPF_FOLIO_OBS) && !racy)
		check_folio_refcount(e, f, op);
	if (!(op->flags & PS_OPF_FOLIO_OBS) || !f->order ||
	    !(o->have & PS_FOBS_LARGE) || racy)
		return false;
	if (e->tracks & PS_KNOWN_PINCOUNT) {
		if ((f->known & PS_KNOWN_PINCOUNT) && f->pincount != o->pincount)
			anomaly(e, PS_ANOM_OBS_MISMATCH);
		f->pincount = o->pincount;
		f->known |= PS_KNOWN_PINCOUNT;
	}
	if (!(e->tracks & PS_KNOWN_MAPCOUNT))
		return false;
	if (f->fork && f->fork->nr_guessed && !folio_obs_agree(f, op))
		fork_unguess(e, f);
	if (f->fork)
		f->fork->nr_guessed = 0;
	if (fork_nr_pending(f)) {
		fork_resync(e, f, op);
		resynced = true;
	}
	if (!(f->known & PS_KNOWN_MAPCOUNT)) {
		fobs_baseline(e, f, op);
		return resynced;
	}
	e->stats.fobs_compared++;
	if (folio_obs_agree(f, op))
		return resynced;
	if (!resynced)
		anomaly(e, PS_ANOM_OBS_MISMATCH);
	f->entire_mapcount = o->entire_mapcount;
	if (ps_folio_mapcount(f) != o->large_mapcount ||
	    ps_folio_nr_pages_mapped(f) != o->nr_pages_mapped) {
		f->known &= ~PS_KNOWN_MAPCOUNT;
		fobs_baseline(e, f, op);
	}
	return resynced;
}

/*
 * fork: copy_present_pte()/copy_huge_pmd() duplicate a mapping into the
 * child without an rmap call (6.1: page_try_dup_anon_rmap(), which also
 * clears PG_anon_exclusive; page_dup_file_rmap() for file pages).  On
 * 6.12 a PTE of a large folio starts a batch of unknown length.
 */
static void op_fork_dup(struct ps_engine *e, const struct ps_op *op,
			struct ps_folio *f)
{
	bool compound = (op->flags & PS_OPF_COMPOUND) && f->order;
	struct ps_subpage *sp = compound ? NULL : &f->sub[op->pfn - f->pfn];

	if (!compound && f->order && (op->flags & PS_OPF_BATCH_UNKNOWN)) {
		op_fork_batch(e, op, f);
		return;
	}
	/*
	 * A PMD that maps a folio with no PMD mapping in its rmap is the
	 * huge zero page, as in op_split_pmd().  Its fork is no dup (the
	 * adapter drops copy_huge_pmd()'s zero branch); one that got here
	 * duplicated its rmap as a THP's, which the kernel counted: so do
	 * we, and the huge-zero-split rule names it.
	 */
	if (compound && (f->known & PS_KNOWN_MAPCOUNT) && !f->entire_mapcount)
		f->flags |= PS_PG_ZERO_PAGE;
	mapcount_add(e, f, sp, 1);
	f->flags |= PS_PG_MMAP;
	if (compound)
		f->flags &= ~PS_PG_ANON_EXCLUSIVE;
	else
		sp->flags &= ~PS_SUB_ANON_EXCLUSIVE;
}

static void op_flags(const struct ps_op *op, struct ps_folio *f)
{
	u64 mask = op->val2 ? (u64)op->val2 : ~0ull;

	if (!(op->flags & PS_OPF_HAS_OBS_FLAGS))
		return;
	f->flags = (f->flags & ~mask) | (op->obs_flags & mask);
}

/* remove_migration_pte: a PTE maps pfn again, after migration or split. */
static struct ps_folio *op_migration_remove(struct ps_engine *e,
					    const struct ps_op *op,
					    struct ps_folio *f)
{
	u64 src = mig_remove(e, op->addr);

	/*
	 * A PTE of order < folio order remapping a THP: it was split.  The
	 * tracepoint's order is compound_order() of the page, 0 on a tail:
	 * a folio whose shape a folio-era probe read is not split by it.
	 */
	if (f && op->order < f->order && !f->shape_observed)
		f = folio_split(e, f, op->order, op->pfn, op->ts, true);
	if (!f)
		return NULL;
	f->sub[op->pfn - f->pfn].flags &= ~PS_SUB_MIGRATION;
	f->flags |= PS_PG_MMAP;
	if (src != PS_PFN_NONE && (src < f->pfn || src >= f->pfn +
						   ps_folio_nr_pages(f))) {
		u32 i;

		for (i = 0; i < f->nr_lineage; i++)
			if (f->lineage[i].kind == PS_LINEAGE_MIGRATE)
				break;
		if (i == f->nr_lineage) {
			u64 head = src & ~((1ull << f->order) - 1);

			lineage_add(f, PS_LINEAGE_MIGRATE, head, f->order,
				    op->ts, false);
			e->stats.migrations++;
		}
	}
	return f;
}

/* Ops that are about a page and need its folio (created on first sight). */
static bool op_wants_folio(enum ps_op_kind k)
{
	switch (k) {
	case PS_OP_REF:
	case PS_OP_REF_SET:
	case PS_OP_PIN:
	case PS_OP_UNPIN:
	case PS_OP_RMAP_ADD:
	case PS_OP_RMAP_REMOVE:
	case PS_OP_MAP_PTE:
	case PS_OP_FORK_DUP:
	case PS_OP_SPLIT_PMD:
	case PS_OP_SPLIT:
	case PS_OP_MIGRATION_SET:
	case PS_OP_MIGRATION_REMOVE:
	case PS_OP_FLAGS:
	case PS_OP_CACHE_ADD:
	case PS_OP_CACHE_DEL:
		return true;
	default:
		return false;
	}
}

static void run_hooks(struct ps_engine *e, const struct ps_op *op,
		      struct ps_folio *f, const struct ps_state *before)
{
	struct ps_state after;
	int i;

	ps_folio_state(f, op->pfn, &after);
	for (i = 0; i < e->nr_hooks; i++)
		e->hooks[i].fn(e->hooks[i].data, op, f, before, &after);
}

/* Corrupt records can say anything: never index or shift by it. */
static bool op_valid(struct ps_engine *e, const struct ps_op *op)
{
	if ((unsigned int)op->kind >= PS_OP_NR_KINDS)
		return false;
	if (op->order > PS_MAX_ORDER ||
	    (op->pfn != PS_PFN_NONE && op->pfn >= PS_PFN_LIMIT) ||
	    (op->kind == PS_OP_SPLIT && (op->val < 0 || op->val > op->order)) ||
	    ((op->flags & PS_OPF_FOLIO_OBS) &&
	     (op->fobs.order > PS_MAX_ORDER ||
	      op->fobs.head > op->pfn ||
	      op->pfn - op->fobs.head >= 1ull << op->fobs.order))) {
		anomaly(e, PS_ANOM_INVALID_OP);
		return false;
	}
	return true;
}

/*
 * A folio-era probe read the folio itself: its head and order are the
 * kernel's.  A folio we thought larger was split where we could not see
 * it; anything else in the way (placeholders from page-only probes) is
 * replaced by the folio as the kernel has it, first seen now.
 */
static struct ps_folio *folio_reshape(struct ps_engine *e,
				      const struct ps_op *op,
				      struct ps_folio *f)
{
	u64 head = op->fobs.head;
	u32 order = op->fobs.order;

	if (f && f->order > order && head >= f->pfn &&
	    !(f->pfn == head && f->order == order))
		f = folio_split(e, f, order, op->pfn, op->ts, true);
	if (!f || f->pfn != head || f->order != order) {
		retire_range(e, head, 1ull << order, PS_FOLIO_FREED);
		if (op_starts_a_life(op->kind) &&
		    ps_engine_pfn_freed(e, head, NULL))
			f = folio_untraced_alloc(e, op, head, order);
		else
			f = folio_first_sight(e, head, order, op->ts);
	}
	f->shape_observed = true;
	return f;
}

/*
 * Tracing (kmem, page_ref) starts before the kprobes can: the layout
 * marker they need comes first.  A folio born in between had its rmap
 * and GUP calls unseen, so its mapcount and pincount are unknown, not
 * the 0 its birth gave them; an absolute reading may settle them again.
 */
static void probes_on(struct ps_engine *e)
{
	struct ps_folio *f;

	for (f = ps_folio_next(e, NULL); f; f = ps_folio_next(e, f))
		f->known &= ~(PS_KNOWN_MAPCOUNT | PS_KNOWN_PINCOUNT);
}

/* Phase 1: the folio the op is about, created on first sight. */
static struct ps_folio *op_folio(struct ps_engine *e, const struct ps_op *op)
{
	struct ps_folio *f = NULL;

	if (op->pfn == PS_PFN_NONE)
		return NULL;
	f = ps_folio_find(e, op->pfn);
	if (op->flags & PS_OPF_FOLIO_OBS)
		return folio_reshape(e, op, f);
	if (!f && op_wants_folio(op->kind)) {
		if (op_starts_a_life(op->kind) &&
		    ps_engine_pfn_freed(e, op->pfn, NULL))
			f = folio_untraced_alloc(e, op, op->pfn, 0);
		else
			/* SPLIT and the page cache ops carry the folio's
			 * order in order */
			f = folio_first_sight(e, op->pfn,
					      op->kind == PS_OP_SPLIT ||
					      op->kind == PS_OP_CACHE_ADD ||
					      op->kind == PS_OP_CACHE_DEL ?
					      op->order : 0, op->ts);
	}
	/*
	 * The page cache events name the folio as the kernel has it: one
	 * we thought larger was split where no event showed it.
	 */
	if (f && (op->flags & PS_OPF_FOLIO_ORDER) && op->order < f->order &&
	    !f->shape_observed && !f->non_compound)
		f = folio_split(e, f, op->order, op->pfn, op->ts, true);
	/*
	 * A tail page gets a refcount of its own only while
	 * __split_huge_page() hands them out (page_ref_unfreeze of each
	 * tail): the folio is being split.
	 */
	if (f && f->order && op->pfn != f->pfn &&
	    (op->kind == PS_OP_REF || op->kind == PS_OP_REF_SET))
		f = folio_split(e, f, 0, op->pfn, op->ts, true);
	return f;
}

/* Phase 2: what the op's event read of the folio, against what we derived. */
static void op_observe(struct ps_engine *e, struct ps_folio *f,
		       const struct ps_op *op)
{
	bool racy = false, resynced;

	if (!(op->flags & PS_OPF_OBS_BEFORE))
		return;
	if (((op->flags & PS_OPF_HAS_OBS_MAPCOUNT) &&
	     (e->tracks & PS_KNOWN_MAPCOUNT)) ||
	    (op->flags & PS_OPF_FOLIO_OBS))
		racy = obs_racy(e, f, op);
	resynced = check_folio_obs(e, f, op, racy);
	check_observed_before(e, f, op, racy, resynced);
}

/* Phase 3 for a free: hooks see the folio as it was freed, then it is gone. */
static void op_free_phase(struct ps_engine *e, const struct ps_op *op,
			  struct ps_folio *f, const struct ps_state *before)
{
	if (e->nr_hooks && f) {
		struct ps_state after = *before;
		int i;

		after.live = false;
		for (i = 0; i < e->nr_hooks; i++)
			e->hooks[i].fn(e->hooks[i].data, op, f, before, &after);
	} else if (e->nr_hooks) {
		run_hooks(e, op, NULL, before);
	}
	collapse_note_free(e, op);
	op_free(e, op, f);
	freed_mark(e, op->pfn, 1ull << op->order, op->ts);
}

static struct ps_folio *op_split(struct ps_engine *e, const struct ps_op *op,
				 struct ps_folio *f)
{
	if (op->val < 0 || f->order <= (u64)op->val)
		return f;
	return folio_split_at(e, f, (u32)op->val,
			      op->flags & PS_OPF_NON_UNIFORM, (u64)op->val2,
			      op->pfn, op->ts, false);
}

/* Phase 3: the op itself.  Returns the folio it leaves (split, alloc). */
static struct ps_folio *op_dispatch(struct ps_engine *e,
				    const struct ps_op *op, struct ps_folio *f)
{
	switch (op->kind) {
	case PS_OP_ALLOC:
		f = op_alloc(e, op);
		if (pid_is_workload(e, op->pid))
			f->workload = true;
		break;
	case PS_OP_REF:
	case PS_OP_REF_SET:
		op_ref(e, op, f);
		break;
	case PS_OP_PIN:
	case PS_OP_UNPIN:
		op_pin(e, op, f);
		break;
	case PS_OP_RMAP_ADD:
	case PS_OP_RMAP_REMOVE:
		op_rmap(e, op, f);
		break;
	case PS_OP_MAP_PTE:
		f->flags |= PS_PG_MMAP;
		break;
	case PS_OP_FORK_DUP:
		op_fork_dup(e, op, f);
		break;
	case PS_OP_SPLIT_PMD:
		op_split_pmd(e, op, f);
		break;
	case PS_OP_SPLIT:
		f = op_split(e, op, f);
		break;
	case PS_OP_COLLAPSE_SCAN:
	case PS_OP_COLLAPSE_ISOLATE:
		collapse_note_parent(e, op);
		break;
	case PS_OP_COLLAPSE:
		f = collapse_done(e, op);
		break;
	case PS_OP_MIGRATION_SET:
		mig_set(e, op);
		f->sub[op->pfn - f->pfn].flags |= PS_SUB_MIGRATION;
		break;
	case PS_OP_MIGRATION_REMOVE:
		f = op_migration_remove(e, op, f);
		break;
	case PS_OP_FLAGS:
		op_flags(op, f);
		break;
	case PS_OP_CACHE_ADD:
	case PS_OP_CACHE_DEL:
		/* the cache's references are page_ref's to count */
		f->in_cache = op->kind == PS_OP_CACHE_ADD;
		break;
	case PS_OP_SNAPSHOT:
		/* a deep snapshot reads pages of any task */
		if (f && !(op->flags & PS_OPF_DEEP_SNAP))
			f->workload = true;
		break;
	case PS_OP_TASK:
		pid_add_workload(e, op->pid);
		break;
	case PS_OP_LOST:
		e->stats.lost += op->val;
		break;
	case PS_OP_PROBES_ON:
		probes_on(e);
		break;
	default:
		break;
	}
	return f;
}

static s64 hold_page_mapcount(const struct ps_folio *f, u64 pfn)
{
	return f->sub[pfn - f->pfn].mapcount + !!(f->flags & PS_PG_DOUBLE_MAP);
}

/*
 * The reading stands: report it on its own op and take the kernel's word
 * (f: the held folio, or NULL when it is gone or was replaced).
 */
static void hold_settle(struct ps_engine *e, struct obs_hold *h,
			struct ps_folio *f)
{
	const struct ps_op *cur_op = e->cur_op;
	struct ps_folio *cur_folio = e->cur_folio;

	h->on = false;
	e->nr_holds--;
	if (h->seen == h->want) {
		e->stats.obs_racy++;
		return;
	}
	e->cur_op = &h->op;
	e->cur_folio = f;
	anomaly(e, PS_ANOM_OBS_MISMATCH);
	e->cur_op = cur_op;
	e->cur_folio = cur_folio;
	if (f)
		obs_correct(e, f, h->pfn, h->want - h->seen, h->double_map);
}

static struct ps_folio *hold_folio(struct ps_engine *e,
				   const struct obs_hold *h)
{
	struct ps_folio *f = ps_folio_find(e, h->pfn);

	return f && f->id == h->folio_id ? f : NULL;
}

/* A folio ends: the readings held on it stand or fall now. */
static void holds_of_folio(struct ps_engine *e, struct ps_folio *f)
{
	int i;

	for (i = 0; e->nr_holds && i < PS_OBS_HOLD_CPUS; i++)
		if (e->hold[i].on && e->hold[i].folio_id == f->id)
			hold_settle(e, &e->hold[i], f);
}

/* Before an op: its CPU's held reading was fetched before this event. */
static void holds_before(struct ps_engine *e, const struct ps_op *op)
{
	struct obs_hold *h;

	if (!e->nr_holds || op->cpu < 0 || op->cpu >= PS_OBS_HOLD_CPUS)
		return;
	h = &e->hold[op->cpu];
	if (h->on)
		hold_settle(e, h, hold_folio(e, h));
}

/* After an op: follow the held pages' derived mapcounts. */
static void holds_after(struct ps_engine *e, const struct ps_op *op)
{
	struct ps_folio *f;
	struct obs_hold *h;
	s64 now;
	int i;

	for (i = 0; e->nr_holds && i < PS_OBS_HOLD_CPUS; i++) {
		h = &e->hold[i];
		if (!h->on)
			continue;
		f = hold_folio(e, h);
		if (!f) {
			hold_settle(e, h, NULL);
			continue;
		}
		now = hold_page_mapcount(f, h->pfn);
		if (!h->tracking) {	/* the reading's own op, just applied */
			h->tracking = true;
			h->last = now;
			continue;
		}
		h->seen += now - h->last;
		h->last = now;
		if (h->seen == h->want) {
			h->on = false;
			e->nr_holds--;
			e->stats.obs_racy++;
		}
	}
}

/* The page @op changes, and its derived mapcount now (0: none). */
static s64 inflight_page(const struct ps_folio *f, const struct ps_op *op)
{
	if (!f || op->pfn < f->pfn || op->pfn - f->pfn >= (1ull << f->order))
		return 0;
	return hold_page_mapcount(f, op->pfn);
}

/* After an op: what it did to its page's mapcount is in flight. */
static void inflight_after(struct ps_engine *e, const struct ps_op *op,
			   const struct ps_folio *f, u64 id, s64 was)
{
	struct obs_inflight *in = &e->inflight[op->cpu];
	s64 delta;

	if (!f || f->id != id || !(f->known & PS_KNOWN_MAPCOUNT))
		return;
	delta = inflight_page(f, op) - was;
	if (!delta)
		return;
	in->on = true;
	in->folio_id = id;
	in->pfn = op->pfn;
	in->delta = delta;
	in->ts = op->ts;
}

static int engine_apply(struct ps_engine *e, const struct ps_op *op)
{
	struct ps_folio *f;
	struct ps_state before;
	/* only a recording that tracks mapcount has readings to explain */
	bool cpu_ok = op->cpu >= 0 && op->cpu < PS_OBS_HOLD_CPUS &&
		      (e->tracks & PS_KNOWN_MAPCOUNT);
	u64 id = 0;
	s64 was = 0;

	if (!op_valid(e, op))
		return -1;
	e->stats.ops[op->kind]++;
	holds_before(e, op);
	/* this CPU went on: its last op has happened */
	if (cpu_ok)
		e->inflight[op->cpu].on = false;
	f = op_folio(e, op);
	e->cur_folio = f;
	if (f && f->order && !fork_batch_length(e, f, op) && fork_nr_pending(f) &&
	    !(op->flags & PS_OPF_FOLIO_OBS) &&
	    !(op->kind == PS_OP_FORK_DUP && (op->flags & PS_OPF_BATCH_UNKNOWN)))
		fork_settle_guess(e, f);
	/* before: what we derived, so rules can hold it against obs_* */
	if (e->nr_hooks)
		ps_folio_state(op->kind == PS_OP_ALLOC ? NULL : f, op->pfn,
			       &before);
	if (f)
		op_observe(e, f, op);
	if (f && op->pid > 0 && pid_is_workload(e, op->pid))
		f->workload = true;
	if (op->kind == PS_OP_FREE) {
		op_free_phase(e, op, f, &before);
		return 0;
	}
	if (cpu_ok && f) {
		id = f->id;
		was = inflight_page(f, op);
	}
	f = op_dispatch(e, op, f);
	if (cpu_ok)
		inflight_after(e, op, f, id, was);
	/* a snapshot observes the folio; it does nothing to it */
	if (f && op->kind != PS_OP_SNAPSHOT) {
		f->last_ts = op->ts;
		f->last_cpu = op->cpu;
		f->nr_ops++;
	}
	if (e->nr_holds)
		holds_after(e, op);
	if (e->nr_hooks)
		run_hooks(e, op, f, &before);
	return 0;
}

int ps_engine_apply(struct ps_engine *e, const struct ps_op *op)
{
	int ret;

	e->cur_op = op;
	e->cur_folio = NULL;
	ret = engine_apply(e, op);
	e->cur_op = NULL;
	e->cur_folio = NULL;
	return ret;
}

void ps_engine_finish(struct ps_engine *e)
{
	u64 i;

	for (i = 0; e->nr_holds && i < PS_OBS_HOLD_CPUS; i++)
		if (e->hold[i].on)
			hold_settle(e, &e->hold[i], hold_folio(e, &e->hold[i]));

	for (i = 0; i < e->nr_buckets; i++)
		while (e->buckets[i])
			folio_retire(e, e->buckets[i], PS_FOLIO_LIVE);
}

void ps_engine_free(struct ps_engine *e)
{
	u64 i;

	if (!e)
		return;
	e->end_fn = NULL;
	ps_engine_finish(e);
	for (i = 0; i < PS_MIG_BUCKETS; i++) {
		struct migration_entry *m = e->mig[i], *next;

		for (; m; m = next) {
			next = m->next;
			free(m);
		}
	}
	free(e->buckets);
	ps_u64map_free(&e->regions);
	ps_u64map_free(&e->freed);
	free(e->hooks);
	free(e);
}
