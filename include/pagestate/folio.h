/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Folio state, as replayed from page ops.
 *
 * struct ps_folio mirrors what the kernel keeps in struct folio and its
 * tail pages, as far as a recording lets us know it:
 *
 *   refcount         folio->_refcount
 *   entire_mapcount  PMD mappings (folio->_entire_mapcount + 1; on 6.1
 *                    the first tail's compound_mapcount + 1)
 *   sub[i].mapcount  PTE mappings of subpage i (page->_mapcount + 1)
 *   (their sum plus entire_mapcount is folio_mapcount(), on 6.12 the
 *   folio's _large_mapcount + 1; ps_folio_nr_pages_mapped() is the
 *   kernel's _nr_pages_mapped)
 *   pincount         FOLL_PIN pins: folio->_pincount on large folios; on
 *                    small folios the kernel folds pins into _refcount in
 *                    units of GUP_PIN_COUNTING_BIAS, we count them here
 *   flags            PS_PG_* by meaning; anon_exclusive is per subpage
 *                    for PTE-mapped THP (sub[i].flags) and on the head
 *                    otherwise, as in the kernel
 *
 * Every value is only as good as the events behind it.  A folio whose
 * allocation we did not see (it existed before the trace started), or a
 * field no recorded event source tracks (refcount without page_ref, say),
 * is unknown; `known` says which fields have a baseline.  Rules never
 * fire on unknown values.
 *
 * Folios live in a hash keyed by head pfn while allocated.  Freeing (or
 * splitting, or migrating away) ends a folio: hooks see it one last time
 * and the engine forgets it, so memory follows the number of live folios,
 * never the length of the trace.
 */
#ifndef PAGESTATE_FOLIO_H
#define PAGESTATE_FOLIO_H

#include "pagestate/pageop.h"

#define PS_MAX_ORDER		18	/* covers 1 GiB folios with 4 KiB pages */
#define PS_PFN_LIMIT		(1ull << 52)	/* beyond any physical address */
#define PS_GUP_PIN_COUNTING_BIAS 1024
#define PS_PMD_ORDER		9	/* HPAGE_PMD_ORDER, x86-64 4 KiB pages */
#define PS_FORK_PENDING		8	/* unobserved fork batches per folio */

/* ps_folio.known and ps_engine tracks: which fields have a baseline */
#define PS_KNOWN_BIRTH		(1u << 0)	/* we saw the allocation */
#define PS_KNOWN_REFCOUNT	(1u << 1)
#define PS_KNOWN_MAPCOUNT	(1u << 2)	/* entire + every subpage */
#define PS_KNOWN_PINCOUNT	(1u << 3)
#define PS_KNOWN_FLAGS		(1u << 4)	/* flags tracked from an absolute source */
#define PS_KNOWN_ALL		0x1fu

/* ps_subpage.flags */
#define PS_SUB_ANON_EXCLUSIVE	(1u << 0)
#define PS_SUB_MIGRATION	(1u << 1)	/* a migration entry points here */

/* One fork PTE batch of a large folio that no probe saw (engine.c). */
struct ps_fork_batch {
	u64 pfn;		/* first page */
	int pid;		/* the forking task */
	u32 nr;			/* pages, 0 while unknown (page_ref's
				 * folio_ref_add(folio, nr) tells); for a
				 * guess, the pages it was given */
};

struct ps_fork_state {
	struct ps_fork_batch pending[PS_FORK_PENDING];
	u32 nr_pending;
	/* settled by guess since the folio's counts were last read: a
	 * reading that disagrees undoes them and spreads what it says */
	struct ps_fork_batch guessed[PS_FORK_PENDING];
	u32 nr_guessed;
};

struct ps_subpage {
	s32 mapcount;
	u32 flags;
};

enum ps_lineage_kind {
	PS_LINEAGE_SPLIT,	/* split_huge_page: parent -> this order-0 folio */
	PS_LINEAGE_COLLAPSE,	/* parents were collapsed into this folio */
	PS_LINEAGE_MIGRATE,	/* contents migrated from parent */
};

struct ps_lineage {
	enum ps_lineage_kind kind;
	u32 order;		/* parent's order */
	u64 pfn;		/* parent's head pfn */
	u64 ts;
	bool inferred;		/* deduced (e.g. split from frees), not traced */
};

enum ps_folio_state {
	PS_FOLIO_LIVE,
	PS_FOLIO_FREED,		/* returned to the buddy allocator */
	PS_FOLIO_SPLIT,		/* replaced by its order-0 pieces */
};

struct ps_folio {
	u64 pfn;		/* head pfn */
	u32 order;
	enum ps_folio_state state;
	u32 known;		/* PS_KNOWN_* */
	s64 refcount;
	s32 entire_mapcount;
	s32 pincount;
	u64 flags;		/* PS_PG_* */
	struct ps_subpage *sub;	/* 1 << order entries (sub0 for order 0) */
	struct ps_subpage sub0;
	s32 sub_mapcount_sum;	/* sum of sub[].mapcount, kept in step */
	s32 sub_mapped;		/* subpages with mapcount > 0: the low bits
				 * of the kernel's _nr_pages_mapped (6.12) */
	/*
	 * fork copied PTE batches of this large folio inline (6.12+
	 * copy_present_ptes): NULL until it happens (engine.c, fork_*)
	 */
	struct ps_fork_state *fork;
	/* the last reference increase (page_ref): a batch whose op the
	 * reader held back comes after the folio_ref_add that sized it */
	u64 ref_add_ts;
	int ref_add_pid;
	s64 ref_add_val;

	struct ps_lineage *lineage;
	u32 nr_lineage;
	u32 alloc_lineage;

	u64 born_ts;		/* allocation, or first sight */
	u64 last_ts;
	int last_cpu;		/* cpu of the op at last_ts */
	u64 nr_ops;
	u64 id;			/* unique per engine, in order of creation */
	bool workload;		/* touched by a workload task or its snapshot */
	bool untraced;		/* born without an alloc event (engine.c) */
	bool shape_observed;	/* a folio-era probe read this head and order */
	bool non_compound;	/* allocated without __GFP_COMP: a block of
				 * pages, state on the first one only */
	bool in_cache;		/* in a file's page cache: between its
				 * filemap add and delete events (shmem
				 * adds have none; unknown before) */
	/* a page_ref count that disagreed, held until the next one says
	 * whether it was two CPUs' events out of order (engine.c) */
	u32 obs_pending;
	u64 obs_pending_ts;

	struct ps_folio *hash_next;
};

/* A compact copy of the state a rule or view compares before/after. */
struct ps_state {
	u64 head;		/* head pfn of the folio */
	s64 refcount;
	s32 mapcount;		/* entire_mapcount + sum of subpage mapcounts */
	s32 entire_mapcount;
	s32 sub_mapcount;	/* of the op's subpage */
	s32 pincount;
	s32 nr_pages_mapped;	/* as the kernel keeps it (ENTIRELY_MAPPED) */
	u32 sub_flags;		/* of the op's subpage */
	u64 flags;
	u32 known;
	u32 order;
	bool live;
	bool in_cache;		/* ps_folio.in_cache */
};

struct ps_engine;

/*
 * Called after every op the engine applied.  folio is the folio the op
 * was about, after the op (NULL for ops not about a folio); it is valid
 * only during the call.  before/after are that folio's state around the
 * op.  Hooks are how rules, the timeline printer and the TUI index see
 * the replay; they must not keep pointers.
 */
typedef void (*ps_op_hook_fn)(void *data, const struct ps_op *op,
			      const struct ps_folio *folio,
			      const struct ps_state *before,
			      const struct ps_state *after);

/*
 * Called when the engine retires a folio (free, split, migration source
 * freed, end of replay) just before forgetting it.
 */
typedef void (*ps_folio_end_fn)(void *data, const struct ps_folio *folio);

enum ps_anomaly {
	PS_ANOM_REFCOUNT_UNDERFLOW,
	PS_ANOM_MAPCOUNT_UNDERFLOW,
	PS_ANOM_PINCOUNT_UNDERFLOW,
	PS_ANOM_FREE_ORDER_MISMATCH,	/* freed with another order than allocated */
	PS_ANOM_ALLOC_OVER_LIVE,	/* alloc over a folio we thought live */
	PS_ANOM_OBS_MISMATCH,		/* observed != derived (page_ref) */
	PS_ANOM_INVALID_OP,		/* impossible values (corrupt data) */
	PS_ANOM_NR
};

struct ps_engine_stats {
	u64 ops[PS_OP_NR_KINDS];
	u64 folios;		/* folios ever created */
	u64 live;		/* currently live */
	u64 max_live;
	u64 unknown;		/* folios first seen without their allocation */
	u64 obs_racy;		/* entry values skipped: another CPU was
				 * changing the same folio at that moment */
	u64 untraced_allocs;	/* freed pfns back in use with no alloc event
				 * (compaction's isolated free pages, ...) */
	u64 splits;
	u64 splits_inferred;
	u64 collapses;
	u64 migrations;
	u64 lost;		/* lost events reported by the ring buffer */
	u64 fobs_compared;	/* folio-era probe readings held against the
				 * derived large/entire/nr_pages_mapped */
	u64 fobs_ref_compared;	/* ...their _refcount against page_ref's */
	u64 fobs_ref_mismatch;
	u64 fork_batches;	/* fork PTE batches of large folios copied
				 * inline, nr not observable (6.12+) */
	u64 fork_sized;		/* ...sized by the folio_ref_add() page_ref
				 * saw right after */
	u64 fork_resyncs;	/* ...settled from the folio's observed
				 * counts at its next probe */
	u64 fobs_baselines;	/* large folios met mid-trace whose mapcounts
				 * a probe reading fixed */
	u64 anomalies[PS_ANOM_NR];
};

/*
 * Called for every anomaly, with the op being applied and its folio; a
 * kprobe reading held for a race (engine.c, obs_hold) is reported later,
 * with its own op and folio.
 */
typedef void (*ps_anomaly_fn)(void *data, enum ps_anomaly a,
			      const struct ps_op *op,
			      const struct ps_folio *folio);

struct ps_engine *ps_engine_new(u32 tracks);
void ps_engine_set_anomaly_hook(struct ps_engine *e, ps_anomaly_fn fn,
				void *data);
void ps_engine_free(struct ps_engine *e);
/* Which fields the recording's sources track (PS_KNOWN_*), see folio.h. */
u32 ps_engine_tracks(const struct ps_engine *e);
void ps_engine_add_hook(struct ps_engine *e, ps_op_hook_fn fn, void *data);
void ps_engine_set_end_hook(struct ps_engine *e, ps_folio_end_fn fn,
			    void *data);

/* Applies one op.  Returns 0, or -1 for an op it could not place. */
int ps_engine_apply(struct ps_engine *e, const struct ps_op *op);
/* Retires every live folio through the end hook (end of replay). */
void ps_engine_finish(struct ps_engine *e);

/*
 * Was pfn freed (and not allocated again since)?  *when gets the time of
 * the free.  The engine keeps every freed pfn: memory follows the pfns
 * the recording touched, bounded by physical memory.
 */
bool ps_engine_pfn_freed(struct ps_engine *e, u64 pfn, u64 *when);
/* Was pfn ever freed?  *when: the last free.  Says nothing of since. */
bool ps_engine_pfn_last_free(const struct ps_engine *e, u64 pfn, u64 *when);

/* The live folio containing pfn, or NULL. */
struct ps_folio *ps_folio_find(struct ps_engine *e, u64 pfn);
/* Iterate live folios: returns the next after prev (NULL to start). */
struct ps_folio *ps_folio_next(struct ps_engine *e, struct ps_folio *prev);

const struct ps_engine_stats *ps_engine_stats(const struct ps_engine *e);
const char *ps_anomaly_name(enum ps_anomaly a);

static inline u64 ps_folio_nr_pages(const struct ps_folio *f)
{
	return 1ull << f->order;
}

/* folio_mapcount(): on large folios _large_mapcount + 1 (6.12) */
s32 ps_folio_mapcount(const struct ps_folio *f);
/* _nr_pages_mapped as the kernel keeps it: mapped pages | ENTIRELY_MAPPED */
s32 ps_folio_nr_pages_mapped(const struct ps_folio *f);
void ps_folio_state(const struct ps_folio *f, u64 pfn, struct ps_state *s);
const char *ps_lineage_kind_name(enum ps_lineage_kind k);

#endif /* PAGESTATE_FOLIO_H */
