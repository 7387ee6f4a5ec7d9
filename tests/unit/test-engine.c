// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the folio state engine on hand-built page-op sequences.
 * Each test sets up pages the way the kernel would, applies the ops a
 * recording would carry, and asserts the exact state.
 */
#include <stdlib.h>

#include "pagestate/folio.h"
#include "pagestate/holders.h"
#include "pagestate/verify.h"
#include "unit.h"

#define ALL_TRACKED (PS_KNOWN_REFCOUNT | PS_KNOWN_MAPCOUNT | PS_KNOWN_PINCOUNT)

static u64 now;

static struct ps_op mkop(enum ps_op_kind kind, u64 pfn, u32 order)
{
	struct ps_op op = {
		.ts = ++now, .kind = kind, .pfn = pfn, .order = order,
		.pid = 100, .event_id = -1,
	};
	return op;
}

static void apply(struct ps_engine *e, enum ps_op_kind kind, u64 pfn,
		  u32 order)
{
	struct ps_op op = mkop(kind, pfn, order);

	ps_engine_apply(e, &op);
}

/* a page_ref event of pid: delta, the count after, the flags it showed */
static void ref_seen(struct ps_engine *e, u64 pfn, s64 delta, s64 count,
		     int pid, u64 obs_flags)
{
	struct ps_op op = mkop(PS_OP_REF, pfn, 0);

	op.pid = pid;
	op.val = delta;
	op.obs_count = count;
	op.obs_flags = obs_flags;
	op.flags = PS_OPF_HAS_OBS_COUNT;
	ps_engine_apply(e, &op);
}

static void ref(struct ps_engine *e, u64 pfn, s64 delta, s64 count)
{
	ref_seen(e, pfn, delta, count, 100, 0);	/* mkop()'s pid */
}

static void op_ref_set(struct ps_engine *e, u64 pfn, s64 count)
{
	struct ps_op op = mkop(PS_OP_REF_SET, pfn, 0);

	op.obs_count = count;
	op.flags = PS_OPF_HAS_OBS_COUNT;
	ps_engine_apply(e, &op);
}

static void rmap(struct ps_engine *e, enum ps_op_kind kind, u64 pfn,
		 u32 flags)
{
	struct ps_op op = mkop(kind, pfn, 0);

	op.flags = flags;
	ps_engine_apply(e, &op);
}

static u64 total_anomalies(struct ps_engine *e)
{
	const struct ps_engine_stats *s = ps_engine_stats(e);
	u64 n = 0;
	int i;

	for (i = 0; i < PS_ANOM_NR; i++)
		n += s->anomalies[i];
	return n;
}

/* A THP is one folio: every subpage pfn finds the head. */
static void test_alloc_thp_found_by_tail(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, 0x12a400, 9);
	f = ps_folio_find(e, 0x12a400 + 511);
	EXPECT_TRUE(f != NULL);
	if (f) {
		EXPECT_EQ(f->pfn, 0x12a400);
		EXPECT_EQ(f->order, 9);
		EXPECT_EQ(f->refcount, 1);
		EXPECT_EQ(ps_folio_mapcount(f), 0);
		EXPECT_TRUE(f->known & PS_KNOWN_BIRTH);
		EXPECT_TRUE(f->known & PS_KNOWN_REFCOUNT);
	}
	EXPECT_TRUE(ps_folio_find(e, 0x12a400 + 512) == NULL);
	EXPECT_TRUE(ps_folio_find(e, 0x12a3ff) == NULL);
	ps_engine_free(e);
}

/* Without page_ref or rmap probes, refcount and mapcount stay unknown. */
static void test_host_profile_leaves_counts_unknown(void)
{
	struct ps_engine *e = ps_engine_new(0);
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, 0x1000, 0);
	f = ps_folio_find(e, 0x1000);
	EXPECT_TRUE(f && (f->known & PS_KNOWN_BIRTH));
	EXPECT_TRUE(f && !(f->known & PS_KNOWN_REFCOUNT));
	EXPECT_TRUE(f && !(f->known & PS_KNOWN_MAPCOUNT));
	ps_engine_free(e);
}

/* get_page, put_page, put_page: refcount follows page_ref, then free. */
static void test_refcount_follows_page_ref(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, 0x2000, 0);
	ref(e, 0x2000, 1, 2);
	f = ps_folio_find(e, 0x2000);
	EXPECT_EQ(f ? f->refcount : -1, 2);
	ref(e, 0x2000, -1, 1);
	ref(e, 0x2000, -1, 0);
	f = ps_folio_find(e, 0x2000);
	EXPECT_EQ(f ? f->refcount : -1, 0);
	apply(e, PS_OP_FREE, 0x2000, 0);
	EXPECT_TRUE(ps_folio_find(e, 0x2000) == NULL);
	EXPECT_EQ(total_anomalies(e), 0);
	EXPECT_EQ(ps_engine_stats(e)->live, 0);
	ps_engine_free(e);
}

/*
 * page_ref says 3 where we derived 2, and the next count still disagrees:
 * the kernel changed it where we cannot see.  Counted; we follow the
 * kernel.
 */
static void test_observed_mismatch_is_an_anomaly(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, 0x3000, 0);
	ref(e, 0x3000, 1, 3);
	EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_OBS_MISMATCH], 0);
	now += 2000000;			/* well apart: no reordering */
	ref(e, 0x3000, 1, 4);
	f = ps_folio_find(e, 0x3000);
	EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_OBS_MISMATCH], 1);
	EXPECT_EQ(f ? f->refcount : -1, 4);
	ps_engine_free(e);
}

/*
 * Two CPUs take a reference at once: the event of the one that went
 * second is written first (count 3 where the sum says 2), the other
 * reports 2.  The sum is right; nothing to report.
 */
static void test_reordered_counts_are_not_anomalies(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, 0x3000, 0);
	ref(e, 0x3000, 1, 3);
	ref(e, 0x3000, 1, 2);
	ref(e, 0x3000, -1, 2);
	f = ps_folio_find(e, 0x3000);
	EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_OBS_MISMATCH], 0);
	EXPECT_EQ(f ? f->refcount : -1, 2);
	EXPECT_EQ(ps_engine_stats(e)->obs_racy, 1);
	/* a disagreement nothing settles long before the folio ends is one */
	ref(e, 0x3000, -1, 0);
	now += 2000000;
	apply(e, PS_OP_FREE, 0x3000, 0);
	EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_OBS_MISMATCH], 1);
	ps_engine_free(e);
}

/* A page first seen mid-trace gets its baseline from page_ref. */
static void test_first_sight_baseline_from_page_ref(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;

	ref(e, 0x4000, 1, 7);
	f = ps_folio_find(e, 0x4000);
	EXPECT_TRUE(f != NULL);
	EXPECT_TRUE(f && !(f->known & PS_KNOWN_BIRTH));
	EXPECT_TRUE(f && (f->known & PS_KNOWN_REFCOUNT));
	EXPECT_EQ(f ? f->refcount : -1, 7);
	EXPECT_EQ(ps_engine_stats(e)->unknown, 1);
	EXPECT_EQ(total_anomalies(e), 0);
	ps_engine_free(e);
}

static void split_pmd(struct ps_engine *e, u64 head, u32 flags)
{
	struct ps_op op = mkop(PS_OP_SPLIT_PMD, head, 9);

	op.flags = flags;
	ps_engine_apply(e, &op);
}

/*
 * 6.1 __split_huge_pmd of an anon THP mapped by one PMD: subpage
 * mapcounts go 0 -> 1 without rmap calls, the entire mapping is dropped
 * in place (no page_remove_rmap), anon_exclusive moves to every subpage.
 */
static void test_split_pmd_moves_mapcount_to_subpages(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;
	u64 head = 0x200000;
	int i, ae = 0;

	apply(e, PS_OP_ALLOC, head, 9);
	rmap(e, PS_OP_RMAP_ADD, head,
	     PS_OPF_COMPOUND | PS_OPF_ANON | PS_OPF_EXCLUSIVE);
	f = ps_folio_find(e, head);
	EXPECT_EQ(f->entire_mapcount, 1);
	EXPECT_EQ(ps_folio_mapcount(f), 1);
	EXPECT_TRUE(f->flags & PS_PG_ANON_EXCLUSIVE);

	split_pmd(e, head, PS_OPF_DROPS_ENTIRE);
	f = ps_folio_find(e, head);
	EXPECT_EQ(f->entire_mapcount, 0);
	EXPECT_EQ(ps_folio_mapcount(f), 512);
	EXPECT_EQ(f->sub[0].mapcount, 1);
	EXPECT_EQ(f->sub[511].mapcount, 1);
	EXPECT_TRUE(!(f->flags & PS_PG_DOUBLE_MAP));
	for (i = 0; i < 512; i++)
		ae += !!(f->sub[i].flags & PS_SUB_ANON_EXCLUSIVE);
	EXPECT_EQ(ae, 512);
	EXPECT_EQ(total_anomalies(e), 0);
	ps_engine_free(e);
}

/* Later kernels drop the PMD mapping through the rmap call instead. */
static void test_split_pmd_with_rmap_call(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;
	u64 head = 0x300000;

	apply(e, PS_OP_ALLOC, head, 9);
	rmap(e, PS_OP_RMAP_ADD, head, PS_OPF_COMPOUND | PS_OPF_ANON);
	split_pmd(e, head, 0);
	rmap(e, PS_OP_RMAP_REMOVE, head, PS_OPF_COMPOUND | PS_OPF_ANON);
	f = ps_folio_find(e, head);
	EXPECT_EQ(f->entire_mapcount, 0);
	EXPECT_EQ(ps_folio_mapcount(f), 512);
	EXPECT_EQ(total_anomalies(e), 0);
	ps_engine_free(e);
}

/*
 * PageDoubleMap (6.1): after fork two PMDs map the THP; splitting one
 * leaves it PMD- and PTE-mapped: DoubleMap set.  When the other PMD goes
 * (page_remove_rmap compound), the flag is cleared with it.
 */
static void test_double_map_set_and_cleared(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;
	struct ps_op op;
	u64 head = 0x500000;

	apply(e, PS_OP_ALLOC, head, 9);
	rmap(e, PS_OP_RMAP_ADD, head, PS_OPF_COMPOUND | PS_OPF_ANON);
	rmap(e, PS_OP_RMAP_ADD, head, PS_OPF_COMPOUND | PS_OPF_ANON);
	split_pmd(e, head, PS_OPF_DROPS_ENTIRE);
	f = ps_folio_find(e, head);
	EXPECT_EQ(f->entire_mapcount, 1);
	EXPECT_EQ(f->sub[7].mapcount, 1);
	EXPECT_TRUE(f->flags & PS_PG_DOUBLE_MAP);

	/* the kernel's _mapcount of a subpage carries the DoubleMap bias */
	op = mkop(PS_OP_RMAP_REMOVE, head + 7, 0);
	op.flags = PS_OPF_ANON | PS_OPF_OBS_BEFORE | PS_OPF_HAS_OBS_MAPCOUNT;
	op.obs_mapcount = 2;
	ps_engine_apply(e, &op);
	EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_OBS_MISMATCH], 0);
	EXPECT_EQ(f->sub[7].mapcount, 0);

	rmap(e, PS_OP_RMAP_REMOVE, head, PS_OPF_COMPOUND | PS_OPF_ANON);
	EXPECT_EQ(f->entire_mapcount, 0);
	EXPECT_TRUE(!(f->flags & PS_PG_DOUBLE_MAP));
	EXPECT_EQ(ps_folio_mapcount(f), 511);
	EXPECT_EQ(total_anomalies(e), 0);
	ps_engine_free(e);
}

/* A 6.1 rmap_remove of @pfn whose probe read _mapcount + 1 = @obs. */
static void rmap_obs(struct ps_engine *e, u64 pfn, u32 flags, s64 obs,
		     int cpu)
{
	struct ps_op op = mkop(PS_OP_RMAP_REMOVE, pfn, 0);

	op.flags = flags | PS_OPF_ANON | PS_OPF_OBS_BEFORE |
		   PS_OPF_HAS_OBS_MAPCOUNT;
	op.obs_mapcount = obs;
	op.cpu = cpu;
	ps_engine_apply(e, &op);
}

/*
 * A reading that differs from ours by PageDoubleMap's +1 is the flag,
 * not a PTE, for the whole folio (held readings, settled at the CPU's
 * next op, as recordings have them).  doublemap-unset.patch: the
 * split never set the flag, the other PMD's unmap reads the head without
 * it; the head keeps its PTE, whose own unmap then agrees (no
 * underflow).  doublemap-stale.patch: the +1 outlives the last PMD; the
 * first reading says so and the other subpages then agree.
 */
static void test_double_map_observed(void)
{
	const struct ps_engine_stats *st;
	struct ps_engine *e;
	struct ps_folio *f;
	u64 head = 0x600000;
	int cpu = 0;	/* held readings, settled at the next op */

	e = ps_engine_new(ALL_TRACKED);
	st = ps_engine_stats(e);
	apply(e, PS_OP_ALLOC, head, 9);
	rmap(e, PS_OP_RMAP_ADD, head, PS_OPF_COMPOUND | PS_OPF_ANON);
	rmap(e, PS_OP_RMAP_ADD, head, PS_OPF_COMPOUND | PS_OPF_ANON);
	split_pmd(e, head, PS_OPF_DROPS_ENTIRE);
	rmap_obs(e, head, PS_OPF_COMPOUND, 1, cpu);
	rmap_obs(e, head, 0, 1, cpu);
	rmap_obs(e, head + 1, 0, 1, cpu);
	apply(e, PS_OP_FLAGS, head + 2, 0);	/* settles a hold */
	f = ps_folio_find(e, head);
	EXPECT_EQ(f->sub[0].mapcount, 0);
	EXPECT_EQ(f->sub[1].mapcount, 0);
	EXPECT_EQ(ps_folio_mapcount(f), 510);
	EXPECT_TRUE(!(f->flags & PS_PG_DOUBLE_MAP));
	EXPECT_EQ(st->anomalies[PS_ANOM_OBS_MISMATCH], 1);
	EXPECT_EQ(st->anomalies[PS_ANOM_MAPCOUNT_UNDERFLOW], 0);
	ps_engine_free(e);

	e = ps_engine_new(ALL_TRACKED);
	st = ps_engine_stats(e);
	apply(e, PS_OP_ALLOC, head, 9);
	rmap(e, PS_OP_RMAP_ADD, head, PS_OPF_COMPOUND | PS_OPF_ANON);
	rmap(e, PS_OP_RMAP_ADD, head, PS_OPF_COMPOUND | PS_OPF_ANON);
	split_pmd(e, head, PS_OPF_DROPS_ENTIRE);
	rmap(e, PS_OP_RMAP_REMOVE, head, PS_OPF_COMPOUND | PS_OPF_ANON);
	rmap_obs(e, head + 3, 0, 2, cpu);
	rmap_obs(e, head + 4, 0, 2, cpu);
	rmap_obs(e, head + 5, 0, 2, cpu);
	apply(e, PS_OP_FLAGS, head + 2, 0);
	f = ps_folio_find(e, head);
	EXPECT_EQ(f->sub[3].mapcount, 0);
	EXPECT_EQ(f->sub[5].mapcount, 0);
	EXPECT_EQ(ps_folio_mapcount(f), 509);
	EXPECT_TRUE(f->flags & PS_PG_DOUBLE_MAP);
	EXPECT_EQ(st->anomalies[PS_ANOM_OBS_MISMATCH], 1);
	ps_engine_free(e);
}

/* A PMD migration entry being split maps nothing: no mapcount moves. */
static void test_split_of_migration_pmd(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, 0x700000, 9);
	split_pmd(e, 0x700000, PS_OPF_MIGRATION | PS_OPF_DROPS_ENTIRE);
	f = ps_folio_find(e, 0x700000);
	EXPECT_EQ(ps_folio_mapcount(f), 0);
	EXPECT_EQ(total_anomalies(e), 0);
	ps_engine_free(e);
}

/* page_add_new_anon_rmap: compound iff the folio is large, exclusive. */
static void test_new_anon_rmap(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, 0x900000, 9);
	apply(e, PS_OP_ALLOC, 0x1000, 0);
	rmap(e, PS_OP_RMAP_ADD, 0x900000, PS_OPF_NEW | PS_OPF_ANON |
	     PS_OPF_EXCLUSIVE);
	rmap(e, PS_OP_RMAP_ADD, 0x1000, PS_OPF_NEW | PS_OPF_ANON |
	     PS_OPF_EXCLUSIVE);
	f = ps_folio_find(e, 0x900000);
	EXPECT_EQ(f->entire_mapcount, 1);
	EXPECT_EQ(f->sub[0].mapcount, 0);
	EXPECT_TRUE(f->flags & PS_PG_ANON_EXCLUSIVE);
	f = ps_folio_find(e, 0x1000);
	EXPECT_EQ(f->entire_mapcount, 0);
	EXPECT_EQ(f->sub[0].mapcount, 1);
	EXPECT_TRUE(f->sub[0].flags & PS_SUB_ANON_EXCLUSIVE);
	ps_engine_free(e);
}

/* Kprobe values at entry: baseline for a page met mid-trace, then checks. */
static void test_observed_before_sets_and_checks(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;
	struct ps_op op = mkop(PS_OP_RMAP_REMOVE, 0xabc, 0);

	op.flags = PS_OPF_ANON | PS_OPF_OBS_BEFORE | PS_OPF_HAS_OBS_MAPCOUNT;
	op.obs_mapcount = 3;		/* mapped thrice before we looked */
	ps_engine_apply(e, &op);
	f = ps_folio_find(e, 0xabc);
	EXPECT_TRUE(f && (f->known & PS_KNOWN_MAPCOUNT));
	EXPECT_EQ(f ? ps_folio_mapcount(f) : -1, 2);
	op.obs_mapcount = 5;		/* but we derived 2 */
	ps_engine_apply(e, &op);
	/* held until this CPU's next event: no other CPU explains it */
	EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_OBS_MISMATCH], 0);
	apply(e, PS_OP_ALLOC, 0x5000, 0);
	EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_OBS_MISMATCH], 1);
	EXPECT_EQ(f ? ps_folio_mapcount(f) : -1, 4);
	ps_engine_free(e);
}

/*
 * A kprobe fetches struct page after its event took its timestamp: CPU 0
 * reads a page shared by two mms after CPU 1's unmap, whose event sorts
 * later (stock 7.2, thp-basic, a busy host).  The other CPU's op brings
 * the derived count to what was read: a race, not a disagreement.  The
 * same reading with nothing to explain it is one, on its own op.
 */
static int held_anomalies;
static u64 held_anomaly_ts;

static void count_anomaly(void *data, enum ps_anomaly a, const struct ps_op *op,
			  const struct ps_folio *f)
{
	held_anomalies++;
	held_anomaly_ts = op->ts;
}

static void test_observed_held_until_its_cpu_moves_on(void)
{
	struct ps_engine *e;
	struct ps_folio *f;
	struct ps_op a, b;
	u64 read_ts;
	int race;

	for (race = 1; race >= 0; race--) {
		e = ps_engine_new(ALL_TRACKED);
		held_anomalies = 0;
		ps_engine_set_anomaly_hook(e, count_anomaly, NULL);
		apply(e, PS_OP_ALLOC, 0xabc, 0);
		rmap(e, PS_OP_RMAP_ADD, 0xabc, PS_OPF_ANON);
		rmap(e, PS_OP_RMAP_ADD, 0xabc, PS_OPF_ANON);
		now += 10 * 1000 * 1000;	/* far from those ops */
		a = mkop(PS_OP_RMAP_REMOVE, 0xabc, 0);
		a.cpu = 0;
		a.flags = PS_OPF_ANON | PS_OPF_OBS_BEFORE |
			  PS_OPF_HAS_OBS_MAPCOUNT;
		a.obs_mapcount = 1;	/* CPU 1 unmapped it already */
		read_ts = a.ts;
		ps_engine_apply(e, &a);
		if (race) {
			b = mkop(PS_OP_RMAP_REMOVE, 0xabc, 0);
			b.cpu = 1;
			b.flags = PS_OPF_ANON;
			ps_engine_apply(e, &b);
		}
		b = mkop(PS_OP_ALLOC, 0x5000, 0);	/* CPU 0 goes on */
		b.cpu = 0;
		ps_engine_apply(e, &b);
		f = ps_folio_find(e, 0xabc);
		EXPECT_EQ(held_anomalies, !race);
		EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_OBS_MISMATCH],
			  (u64)!race);
		/* race: both unmaps; else the kernel's word: 1 - 1 */
		EXPECT_EQ(f ? ps_folio_mapcount(f) : -1, 0);
		if (!race)
			EXPECT_EQ(held_anomaly_ts, read_ts);
		ps_engine_free(e);
	}
}

/*
 * cow.c on custom-6.12: the parent's unmap (CPU 0) sorts first, but its
 * vCPU stopped after the timestamp for 4.8 ms, and the child's unmap
 * (CPU 1) read both mappings 3.7 ms later; the parent's probe, fetched
 * last, read the one left.  Until CPU 0 writes again its op may not
 * have happened: no anomaly, and both unmaps count.  Had CPU 0 gone on
 * (and read in time), the child's reading would be a disagreement.
 */
static void test_observed_before_another_cpus_op_landed(void)
{
	struct ps_engine *e;
	struct ps_folio *f;
	struct ps_op a;
	int landed;

	for (landed = 0; landed <= 1; landed++) {
		e = ps_engine_new(ALL_TRACKED);
		apply(e, PS_OP_ALLOC, 0xabc, 0);
		rmap(e, PS_OP_RMAP_ADD, 0xabc, PS_OPF_ANON);
		rmap(e, PS_OP_RMAP_ADD, 0xabc, PS_OPF_ANON);
		now += 10 * 1000 * 1000;
		a = mkop(PS_OP_RMAP_REMOVE, 0xabc, 0);
		a.cpu = 0;
		a.flags = PS_OPF_ANON | PS_OPF_OBS_BEFORE |
			  PS_OPF_HAS_OBS_MAPCOUNT;
		/* fetched after CPU 1's unmap; or in time, when it landed */
		a.obs_mapcount = landed ? 2 : 1;
		ps_engine_apply(e, &a);
		if (landed) {
			a = mkop(PS_OP_ALLOC, 0x5000, 0);
			a.cpu = 0;
			ps_engine_apply(e, &a);
		}
		now += 3700 * 1000;
		a = mkop(PS_OP_RMAP_REMOVE, 0xabc, 0);
		a.cpu = 1;
		a.flags = PS_OPF_ANON | PS_OPF_OBS_BEFORE |
			  PS_OPF_HAS_OBS_MAPCOUNT;
		a.obs_mapcount = 2;	/* CPU 0's unmap not yet done */
		ps_engine_apply(e, &a);
		a = mkop(PS_OP_ALLOC, 0x6000, 0);	/* both go on */
		a.cpu = 1;
		ps_engine_apply(e, &a);
		a = mkop(PS_OP_ALLOC, 0x7000, 0);
		a.cpu = 0;
		ps_engine_apply(e, &a);
		f = ps_folio_find(e, 0xabc);
		EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_OBS_MISMATCH],
			  (u64)landed);
		/* raced: both unmaps; else the kernel's word: 2 - 1 */
		EXPECT_EQ(f ? ps_folio_mapcount(f) : -1, landed);
		ps_engine_free(e);
	}
}

/* split_huge_page: 512 order-0 folios keep their subpage state. */
static void test_split_makes_order0_children(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;
	struct ps_op op;
	u64 head = 0x400000;

	apply(e, PS_OP_ALLOC, head, 9);
	rmap(e, PS_OP_RMAP_ADD, head + 3, PS_OPF_ANON);
	rmap(e, PS_OP_RMAP_ADD, head + 3, PS_OPF_ANON);
	op = mkop(PS_OP_SPLIT, head, 9);
	op.val = 0;
	ps_engine_apply(e, &op);

	EXPECT_EQ(ps_engine_stats(e)->splits, 1);
	EXPECT_EQ(ps_engine_stats(e)->splits_inferred, 0);
	EXPECT_EQ(ps_engine_stats(e)->live, 512);
	f = ps_folio_find(e, head + 3);
	EXPECT_TRUE(f != NULL);
	if (f) {
		EXPECT_EQ(f->pfn, head + 3);
		EXPECT_EQ(f->order, 0);
		EXPECT_EQ(ps_folio_mapcount(f), 2);
		EXPECT_EQ(f->nr_lineage, 1);
		EXPECT_EQ(f->lineage[0].kind, PS_LINEAGE_SPLIT);
		EXPECT_EQ(f->lineage[0].pfn, head);
		EXPECT_EQ(f->lineage[0].order, 9);
		/* split_huge_page hands refcounts out again */
		EXPECT_TRUE(!(f->known & PS_KNOWN_REFCOUNT));
		EXPECT_TRUE(f->known & PS_KNOWN_MAPCOUNT);
	}
	f = ps_folio_find(e, head + 4);
	EXPECT_EQ(f ? ps_folio_mapcount(f) : -1, 0);
	ps_engine_free(e);
}

/* Host kernels: one subpage of a THP freed means it was split first. */
static void test_free_of_subpage_infers_split(void)
{
	struct ps_engine *e = ps_engine_new(0);
	struct ps_folio *f;
	u64 head = 0x600000;

	apply(e, PS_OP_ALLOC, head, 9);
	apply(e, PS_OP_FREE, head + 5, 0);
	EXPECT_EQ(ps_engine_stats(e)->splits_inferred, 1);
	EXPECT_TRUE(ps_folio_find(e, head + 5) == NULL);
	f = ps_folio_find(e, head + 6);
	EXPECT_TRUE(f && f->order == 0 && f->pfn == head + 6);
	EXPECT_TRUE(f && f->nr_lineage == 1 && f->lineage[0].inferred);
	EXPECT_EQ(ps_engine_stats(e)->live, 511);
	ps_engine_free(e);
}

/* split_huge_page remaps each subpage by PTE: remove_migration_pte order 0. */
static void test_remap_order0_infers_split(void)
{
	struct ps_engine *e = ps_engine_new(0);
	struct ps_op op;
	struct ps_folio *f;
	u64 head = 0x800000;

	apply(e, PS_OP_ALLOC, head, 9);
	op = mkop(PS_OP_MIGRATION_REMOVE, head + 1, 0);
	op.addr = 0x7f0000001000;
	ps_engine_apply(e, &op);
	f = ps_folio_find(e, head + 1);
	EXPECT_TRUE(f && f->order == 0);
	EXPECT_EQ(ps_engine_stats(e)->splits_inferred, 1);
	/* the remap of the same page again does not split anything */
	op = mkop(PS_OP_MIGRATION_REMOVE, head + 2, 0);
	op.addr = 0x7f0000002000;
	ps_engine_apply(e, &op);
	EXPECT_EQ(ps_engine_stats(e)->splits, 1);
	ps_engine_free(e);
}

/*
 * Migration of a page mapped in parent and child after fork: one entry
 * per mm at the same address, both removed onto the new page.
 */
static void test_migration_lineage_after_fork(void)
{
	struct ps_engine *e = ps_engine_new(0);
	struct ps_op op;
	struct ps_folio *f;
	u64 src = 0xa000, dst = 0xb000, addr = 0x7f1234567000;
	int i;

	apply(e, PS_OP_ALLOC, src, 0);
	apply(e, PS_OP_ALLOC, dst, 0);
	for (i = 0; i < 2; i++) {
		op = mkop(PS_OP_MIGRATION_SET, src, 0);
		op.addr = addr;
		ps_engine_apply(e, &op);
	}
	f = ps_folio_find(e, src);
	EXPECT_TRUE(f && (f->sub[0].flags & PS_SUB_MIGRATION));
	for (i = 0; i < 2; i++) {
		op = mkop(PS_OP_MIGRATION_REMOVE, dst, 0);
		op.addr = addr;
		ps_engine_apply(e, &op);
	}
	f = ps_folio_find(e, dst);
	EXPECT_TRUE(f != NULL);
	EXPECT_EQ(f ? f->nr_lineage : 0, 1);
	EXPECT_EQ(f && f->nr_lineage ? (int)f->lineage[0].kind : -1,
		  PS_LINEAGE_MIGRATE);
	EXPECT_EQ(f && f->nr_lineage ? f->lineage[0].pfn : 0, src);
	EXPECT_EQ(ps_engine_stats(e)->migrations, 1);
	ps_engine_free(e);
}

/* khugepaged allocates the huge page first, then isolates and copies. */
static void test_collapse_names_its_parents(void)
{
	struct ps_engine *e = ps_engine_new(0);
	struct ps_op op;
	struct ps_folio *f;
	u64 target = 0xc00000;
	int i;

	op = mkop(PS_OP_ALLOC, target, 9);
	op.pid = 42;
	ps_engine_apply(e, &op);
	for (i = 0; i < 3; i++) {
		op = mkop(PS_OP_COLLAPSE_ISOLATE, 0x5000 + i, 0);
		op.pid = 42;
		op.result = 1;
		ps_engine_apply(e, &op);
	}
	op = mkop(PS_OP_COLLAPSE, PS_PFN_NONE, 0);
	op.pid = 42;
	op.result = 1;
	ps_engine_apply(e, &op);
	f = ps_folio_find(e, target);
	EXPECT_EQ(ps_engine_stats(e)->collapses, 1);
	EXPECT_EQ(f ? f->nr_lineage : 0, 3);
	EXPECT_EQ(f && f->nr_lineage == 3 ? f->lineage[2].pfn : 0, 0x5002);
	EXPECT_EQ(f && f->nr_lineage ? (int)f->lineage[0].kind : -1,
		  PS_LINEAGE_COLLAPSE);
	ps_engine_free(e);
}

/* A collapse that aborts (SCAN_PAGE_COUNT) creates no lineage. */
static void test_aborted_collapse_has_no_lineage(void)
{
	struct ps_engine *e = ps_engine_new(0);
	struct ps_op op;
	struct ps_folio *f;

	op = mkop(PS_OP_ALLOC, 0xe00000, 9);
	op.pid = 43;
	ps_engine_apply(e, &op);
	op = mkop(PS_OP_COLLAPSE, PS_PFN_NONE, 0);
	op.pid = 43;
	op.result = 14;	/* not_suitable_page_count */
	ps_engine_apply(e, &op);
	f = ps_folio_find(e, 0xe00000);
	EXPECT_EQ(f ? f->nr_lineage : 99, 0);
	EXPECT_EQ(ps_engine_stats(e)->collapses, 0);
	ps_engine_free(e);
}

static void test_mapcount_underflow_is_an_anomaly(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, 0xf000, 0);
	rmap(e, PS_OP_RMAP_REMOVE, 0xf000, PS_OPF_ANON);
	f = ps_folio_find(e, 0xf000);
	EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_MAPCOUNT_UNDERFLOW], 1);
	EXPECT_EQ(f ? ps_folio_mapcount(f) : -1, 0);
	ps_engine_free(e);
}

static void test_pin_unpin(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, 0x10000, 9);
	apply(e, PS_OP_PIN, 0x10000 + 7, 0);
	f = ps_folio_find(e, 0x10000);
	EXPECT_EQ(f ? f->pincount : -1, 1);
	apply(e, PS_OP_UNPIN, 0x10000 + 7, 0);
	apply(e, PS_OP_UNPIN, 0x10000 + 7, 0);
	EXPECT_EQ(f ? f->pincount : -1, 0);
	EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_PINCOUNT_UNDERFLOW], 1);
	ps_engine_free(e);
}

/* Nothing known about a pfn: freeing it is not an error. */
static void test_free_of_unknown_page(void)
{
	struct ps_engine *e = ps_engine_new(0);

	apply(e, PS_OP_FREE, 0x99999, 0);
	apply(e, PS_OP_FREE, 0x99999, 9);
	EXPECT_EQ(ps_engine_stats(e)->live, 0);
	EXPECT_EQ(total_anomalies(e), 0);
	ps_engine_free(e);
}

/* Allocating over a folio we believe live: the free was lost. */
static void test_alloc_over_live_folio(void)
{
	struct ps_engine *e = ps_engine_new(0);

	apply(e, PS_OP_ALLOC, 0x20000, 0);
	apply(e, PS_OP_ALLOC, 0x20000, 0);
	EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_ALLOC_OVER_LIVE], 1);
	EXPECT_EQ(ps_engine_stats(e)->live, 1);
	ps_engine_free(e);
}

/* Memory follows live folios: a million alloc/free pairs keep one. */
static void test_memory_follows_live_folios(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	int i;

	for (i = 0; i < 1000000; i++) {
		apply(e, PS_OP_ALLOC, 0x100000 + (i % 4096), 0);
		apply(e, PS_OP_FREE, 0x100000 + (i % 4096), 0);
	}
	EXPECT_EQ(ps_engine_stats(e)->live, 0);
	EXPECT_EQ(ps_engine_stats(e)->max_live, 1);
	EXPECT_EQ(ps_engine_stats(e)->folios, 1000000);
	ps_engine_free(e);
}

/* The end-state check: exit snapshot against derived mapcount. */
static void test_verify_agreement(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_verify *v = ps_verify_new(e);
	struct ps_verify_result r;
	struct ps_op op;

	apply(e, PS_OP_ALLOC, 0x30000, 0);
	rmap(e, PS_OP_RMAP_ADD, 0x30000, PS_OPF_ANON);
	apply(e, PS_OP_ALLOC, 0x30001, 0);
	apply(e, PS_OP_ALLOC, 0x30002, 0);
	apply(e, PS_OP_FREE, 0x30002, 0);

	op = mkop(PS_OP_SNAPSHOT, 0x30000, 0);
	op.obs_mapcount = 1;
	op.obs_flags = PS_PG_ANON | PS_PG_MMAP;
	ps_engine_apply(e, &op);		/* agrees */
	op.pfn = 0x30001;
	ps_engine_apply(e, &op);		/* derived 0, kernel 1 */
	op.pfn = 0x30002;
	ps_engine_apply(e, &op);		/* derived freed */
	op.pfn = 0x77777;
	ps_engine_apply(e, &op);		/* no history */

	ps_verify_result(v, &r);
	EXPECT_EQ(r.pages, 4);
	EXPECT_EQ(r.full, 3);
	EXPECT_EQ(r.agree, 1);
	EXPECT_EQ(r.no_history, 1);
	EXPECT_EQ(r.mapcount_compared, 2);
	ps_verify_free(v);
	ps_engine_free(e);
}

/* A THP head and tail in the snapshot must match the derived shape. */
static void test_verify_folio_shape(void)
{
	struct ps_engine *e = ps_engine_new(0);
	struct ps_verify *v = ps_verify_new(e);
	struct ps_verify_result r;
	struct ps_op op;

	apply(e, PS_OP_ALLOC, 0x40000, 9);
	op = mkop(PS_OP_SNAPSHOT, 0x40000, 0);
	op.obs_flags = PS_PG_COMPOUND_HEAD | PS_PG_THP;
	ps_engine_apply(e, &op);		/* agrees */
	op.pfn = 0x40001;
	op.obs_flags = PS_PG_COMPOUND_TAIL | PS_PG_THP;
	ps_engine_apply(e, &op);		/* agrees */
	op.pfn = 0x40002;
	op.obs_flags = 0;
	ps_engine_apply(e, &op);		/* kernel: small page */
	ps_verify_result(v, &r);
	EXPECT_EQ(r.full, 3);
	EXPECT_EQ(r.agree, 2);
	EXPECT_EQ(r.mapcount_compared, 0);
	ps_verify_free(v);
	ps_engine_free(e);
}

/*
 * A deep snapshot of three pages the recording saw freed: two the kernel
 * shows as slab and nothing else, one of them with KPF_ANON (slab's own
 * word at page->mapping): allocs the kernel's buffer kept no event of,
 * counted apart; one slab page on the LRU: a real disagreement.
 */
static void test_verify_deep_slab_untraced(void)
{
	struct ps_engine *e = ps_engine_new(0);
	struct ps_verify *v = ps_verify_new(e);
	struct ps_verify_result r;
	struct ps_op op;

	apply(e, PS_OP_ALLOC, 0x60000, 0);
	apply(e, PS_OP_FREE, 0x60000, 0);
	apply(e, PS_OP_ALLOC, 0x60001, 0);
	apply(e, PS_OP_FREE, 0x60001, 0);
	apply(e, PS_OP_ALLOC, 0x60002, 0);
	apply(e, PS_OP_FREE, 0x60002, 0);
	op = mkop(PS_OP_SNAPSHOT, 0, 0);
	op.flags = PS_OPF_SNAP_BEGIN | PS_OPF_DEEP_SNAP;
	ps_engine_apply(e, &op);
	op = mkop(PS_OP_SNAPSHOT, 0x60000, 0);
	op.flags = PS_OPF_DEEP_SNAP;
	op.obs_flags = PS_PG_SLAB;
	ps_engine_apply(e, &op);
	op.pfn = 0x60001;
	op.obs_flags = PS_PG_SLAB | PS_PG_LRU;
	ps_engine_apply(e, &op);
	op.pfn = 0x60002;			/* slab's word read as anon */
	op.obs_flags = PS_PG_SLAB | PS_PG_ANON;
	ps_engine_apply(e, &op);
	ps_verify_result(v, &r);
	EXPECT_EQ(r.deep, 3);
	EXPECT_EQ(r.slab_untraced, 2);
	EXPECT_EQ(r.deep_full, 1);
	EXPECT_EQ(r.deep_agree, 0);
	ps_verify_free(v);
	ps_engine_free(e);
}

/*
 * Parent and child unmap a shared page at the same instant on two CPUs:
 * both probes read mapcount 2 before either dropped it.  The second
 * reading is stale, not a disagreement; the page ends unmapped.
 */
static void test_concurrent_entry_reads_are_not_mismatches(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;
	struct ps_op op;

	apply(e, PS_OP_ALLOC, 0x50000, 0);
	rmap(e, PS_OP_RMAP_ADD, 0x50000, PS_OPF_ANON);
	op = mkop(PS_OP_FORK_DUP, 0x50000, 0);
	ps_engine_apply(e, &op);
	op = mkop(PS_OP_RMAP_REMOVE, 0x50000, 0);
	op.flags = PS_OPF_ANON | PS_OPF_OBS_BEFORE | PS_OPF_HAS_OBS_MAPCOUNT;
	op.obs_mapcount = 2;
	op.cpu = 0;
	ps_engine_apply(e, &op);
	op.cpu = 1;			/* same instant, other CPU, stale 2 */
	ps_engine_apply(e, &op);
	f = ps_folio_find(e, 0x50000);
	EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_OBS_MISMATCH], 0);
	EXPECT_EQ(ps_engine_stats(e)->obs_racy, 1);
	EXPECT_EQ(f ? ps_folio_mapcount(f) : -1, 0);
	ps_engine_free(e);
}

/* A freed page mapped again with no alloc event: compaction's free pages. */
static void test_untraced_allocation(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, 0x60000, 0);
	apply(e, PS_OP_FREE, 0x60000, 0);
	EXPECT_TRUE(ps_engine_pfn_freed(e, 0x60000, NULL));
	rmap(e, PS_OP_RMAP_ADD, 0x60000, PS_OPF_ANON);
	f = ps_folio_find(e, 0x60000);
	EXPECT_TRUE(f && (f->known & PS_KNOWN_BIRTH));
	EXPECT_EQ(f ? ps_folio_mapcount(f) : -1, 1);
	EXPECT_EQ(ps_engine_stats(e)->untraced_allocs, 1);
	EXPECT_TRUE(!ps_engine_pfn_freed(e, 0x60000, NULL));
	/* page_ref_set before the alloc event is that same allocation */
	apply(e, PS_OP_FREE, 0x60000, 0);
	op_ref_set(e, 0x60000, 1);
	apply(e, PS_OP_ALLOC, 0x60000, 0);
	EXPECT_EQ(ps_engine_stats(e)->untraced_allocs, 1);
	EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_ALLOC_OVER_LIVE], 0);
	ps_engine_free(e);
}

/* --- the folio era (6.12+) -------------------------------------------- */

#define MTHP	0x40000		/* a 64 KiB folio: order 4 */

/* A folio-era rmap op, with the folio's counts as read at entry. */
static struct ps_op fop(enum ps_op_kind kind, u64 pfn, s64 nr, u32 flags,
			u64 head, u32 order, s32 large, s32 entire, s32 npm)
{
	struct ps_op op = mkop(kind, pfn, 0);

	op.val = nr;
	op.flags = flags | PS_OPF_ANON | PS_OPF_FOLIO_OBS | PS_OPF_OBS_BEFORE;
	op.fobs.head = head;
	op.fobs.order = order;
	op.fobs.have = order ? PS_FOBS_LARGE : 0;
	op.fobs.large_mapcount = large;
	op.fobs.entire_mapcount = entire;
	op.fobs.nr_pages_mapped = npm;
	return op;
}

static void fapply(struct ps_engine *e, struct ps_op op)
{
	ps_engine_apply(e, &op);
}

/* folio_add_new_anon_rmap() of an mTHP: a PTE per page, no entire map. */
static void test_new_mthp_maps_every_page(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, MTHP, 4);
	fapply(e, fop(PS_OP_RMAP_ADD, MTHP, 0, PS_OPF_NEW | PS_OPF_EXCLUSIVE,
		      MTHP, 4, 0, 0, 0));
	f = ps_folio_find(e, MTHP + 15);
	EXPECT_TRUE(f != NULL);
	if (f) {
		EXPECT_EQ(ps_folio_mapcount(f), 16);
		EXPECT_EQ(f->entire_mapcount, 0);
		EXPECT_EQ(f->sub[15].mapcount, 1);
		EXPECT_EQ(ps_folio_nr_pages_mapped(f), 16);
		EXPECT_TRUE(f->sub[7].flags & PS_SUB_ANON_EXCLUSIVE);
	}
	EXPECT_EQ(total_anomalies(e), 0);
	ps_engine_free(e);
}

/* A PMD-mappable new folio is mapped entirely: ENTIRELY_MAPPED. */
static void test_new_pmd_folio_is_entirely_mapped(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, 0x80000, 9);
	fapply(e, fop(PS_OP_RMAP_ADD, 0x80000, 0, PS_OPF_NEW, 0x80000, 9,
		      0, 0, 0));
	f = ps_folio_find(e, 0x80000);
	EXPECT_EQ(f ? f->entire_mapcount : -1, 1);
	EXPECT_EQ(f ? ps_folio_nr_pages_mapped(f) : -1, PS_ENTIRELY_MAPPED);
	EXPECT_EQ(f ? f->sub[3].mapcount : -1, 0);
	ps_engine_free(e);
}

/* folio_remove_rmap_ptes(folio, page, 4): four pages at once. */
static void test_rmap_ptes_cover_nr_pages(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, MTHP, 4);
	fapply(e, fop(PS_OP_RMAP_ADD, MTHP, 0, PS_OPF_NEW, MTHP, 4, 0, 0, 0));
	fapply(e, fop(PS_OP_RMAP_REMOVE, MTHP + 4, 4, 0, MTHP, 4, 16, 0, 16));
	f = ps_folio_find(e, MTHP);
	EXPECT_TRUE(f != NULL);
	if (f) {
		EXPECT_EQ(ps_folio_mapcount(f), 12);
		EXPECT_EQ(f->sub[4].mapcount, 0);
		EXPECT_EQ(f->sub[7].mapcount, 0);
		EXPECT_EQ(f->sub[8].mapcount, 1);
		EXPECT_EQ(ps_folio_nr_pages_mapped(f), 12);
	}
	EXPECT_EQ(ps_engine_stats(e)->fobs_compared, 2);
	EXPECT_EQ(total_anomalies(e), 0);
	/* a range past the folio's end is impossible */
	fapply(e, fop(PS_OP_RMAP_REMOVE, MTHP + 14, 4, 0, MTHP, 4, 12, 0, 12));
	EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_INVALID_OP], 1);
	ps_engine_free(e);
}

/* The folio's large mapcount disagreeing with ours is an anomaly. */
static void test_folio_counts_mismatch(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);

	apply(e, PS_OP_ALLOC, MTHP, 4);
	fapply(e, fop(PS_OP_RMAP_ADD, MTHP, 0, PS_OPF_NEW, MTHP, 4, 0, 0, 0));
	fapply(e, fop(PS_OP_RMAP_REMOVE, MTHP, 1, 0, MTHP, 4, 17, 0, 16));
	EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_OBS_MISMATCH], 1);
	ps_engine_free(e);
}

/* A folio met mid-trace: one mapping per page is a full baseline. */
static void test_folio_counts_baseline(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;

	/* a page-only probe first made an order-0 placeholder */
	rmap(e, PS_OP_FLAGS, MTHP + 3, 0);
	fapply(e, fop(PS_OP_RMAP_REMOVE, MTHP, 16, 0, MTHP, 4, 16, 0, 16));
	f = ps_folio_find(e, MTHP + 3);
	EXPECT_TRUE(f != NULL);
	if (f) {
		EXPECT_EQ(f->pfn, MTHP);
		EXPECT_EQ(f->order, 4);
		EXPECT_TRUE(f->known & PS_KNOWN_MAPCOUNT);
		EXPECT_EQ(ps_folio_mapcount(f), 0);
	}
	EXPECT_EQ(ps_engine_stats(e)->fobs_baselines, 1);
	EXPECT_EQ(total_anomalies(e), 0);
	ps_engine_free(e);
}

/* 3 mappings over 2 pages: no baseline, the mapcounts stay unknown. */
static void test_folio_counts_no_baseline(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_folio *f;

	fapply(e, fop(PS_OP_RMAP_REMOVE, MTHP, 1, 0, MTHP, 4, 3, 0, 2));
	f = ps_folio_find(e, MTHP);
	EXPECT_TRUE(f && !(f->known & PS_KNOWN_MAPCOUNT));
	ps_engine_free(e);
}

/*
 * fork copies a 16-PTE batch inline; the child's unmap reads the folio:
 * 32 mappings over 16 pages, so each page is mapped twice and no longer
 * exclusive -- settled, not an anomaly.
 */
static void test_fork_batch_settled_by_next_probe(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_op op;
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, MTHP, 4);
	fapply(e, fop(PS_OP_RMAP_ADD, MTHP, 0, PS_OPF_NEW | PS_OPF_EXCLUSIVE,
		      MTHP, 4, 0, 0, 0));
	op = mkop(PS_OP_FORK_DUP, MTHP, 0);
	op.flags = PS_OPF_BATCH_UNKNOWN;
	ps_engine_apply(e, &op);
	f = ps_folio_find(e, MTHP);
	EXPECT_EQ(f ? ps_folio_mapcount(f) : -1, 16);
	fapply(e, fop(PS_OP_RMAP_REMOVE, MTHP, 16, 0, MTHP, 4, 32, 0, 16));
	f = ps_folio_find(e, MTHP);
	EXPECT_TRUE(f != NULL);
	if (f) {
		EXPECT_EQ(ps_folio_mapcount(f), 16);
		EXPECT_EQ(f->sub[9].mapcount, 1);
		EXPECT_TRUE(!(f->sub[9].flags & PS_SUB_ANON_EXCLUSIVE));
		EXPECT_TRUE(f->known & PS_KNOWN_MAPCOUNT);
	}
	EXPECT_EQ(ps_engine_stats(e)->fork_batches, 1);
	EXPECT_EQ(ps_engine_stats(e)->fork_resyncs, 1);
	EXPECT_EQ(total_anomalies(e), 0);
	ps_engine_free(e);
}

/* No probe before the exit snapshot: the batch covered its mapped run. */
static void test_fork_batch_guessed_without_probe(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_op op;
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, MTHP, 4);
	fapply(e, fop(PS_OP_RMAP_ADD, MTHP, 0, PS_OPF_NEW, MTHP, 4, 0, 0, 0));
	fapply(e, fop(PS_OP_RMAP_REMOVE, MTHP + 8, 8, 0, MTHP, 4, 16, 0, 16));
	op = mkop(PS_OP_FORK_DUP, MTHP, 0);
	op.flags = PS_OPF_BATCH_UNKNOWN;
	ps_engine_apply(e, &op);
	op = mkop(PS_OP_SNAPSHOT, MTHP, 0);
	ps_engine_apply(e, &op);
	f = ps_folio_find(e, MTHP);
	EXPECT_TRUE(f != NULL);
	if (f) {
		EXPECT_EQ(f->sub[7].mapcount, 2);
		EXPECT_EQ(f->sub[8].mapcount, 0);
		EXPECT_EQ(ps_folio_mapcount(f), 16);
	}
	ps_engine_free(e);
}

/*
 * With page_ref, copy_present_ptes()'s folio_ref_add(folio, nr) sizes
 * the batch exactly, before or after the held-back fork op.
 */
static void test_fork_batch_sized_by_page_ref(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_op op, dup;
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, MTHP, 4);
	fapply(e, fop(PS_OP_RMAP_ADD, MTHP, 0, PS_OPF_NEW, MTHP, 4, 0, 0, 0));
	/* batch 1: its op first, then the reference add of 3 */
	dup = mkop(PS_OP_FORK_DUP, MTHP, 0);
	dup.flags = PS_OPF_BATCH_UNKNOWN;
	ps_engine_apply(e, &dup);
	ref(e, MTHP, 3, 4);
	/* batch 2 at page 3: the reference add of 13 came first */
	op = mkop(PS_OP_REF, MTHP, 0);
	op.val = 13;
	op.obs_count = 17;
	op.flags = PS_OPF_HAS_OBS_COUNT;
	dup = mkop(PS_OP_FORK_DUP, MTHP + 3, 0);
	dup.flags = PS_OPF_BATCH_UNKNOWN;
	dup.ts = op.ts - 1;	/* vm_normal_page returned before the add */
	ps_engine_apply(e, &op);
	ps_engine_apply(e, &dup);
	apply(e, PS_OP_SNAPSHOT, MTHP, 0);
	f = ps_folio_find(e, MTHP);
	EXPECT_TRUE(f != NULL);
	if (f) {
		EXPECT_EQ(ps_folio_mapcount(f), 32);
		EXPECT_EQ(f->sub[2].mapcount, 2);
		EXPECT_EQ(f->sub[15].mapcount, 2);
	}
	EXPECT_EQ(ps_engine_stats(e)->fork_sized, 2);
	EXPECT_EQ(total_anomalies(e), 0);
	ps_engine_free(e);
}

/*
 * A guess (no probe before the child's snapshot) gave the batch all 16
 * pages; the child's unmap then reads 17 mappings: the batch was one
 * page (the other pages sat in another VMA).  The reading corrects the
 * guess -- not an anomaly.
 */
static void test_fork_guess_corrected_by_probe(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_op op;
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, MTHP, 4);
	fapply(e, fop(PS_OP_RMAP_ADD, MTHP, 0, PS_OPF_NEW, MTHP, 4, 0, 0, 0));
	op = mkop(PS_OP_FORK_DUP, MTHP, 0);
	op.flags = PS_OPF_BATCH_UNKNOWN;
	ps_engine_apply(e, &op);
	apply(e, PS_OP_SNAPSHOT, MTHP, 0);
	f = ps_folio_find(e, MTHP);
	EXPECT_EQ(f ? ps_folio_mapcount(f) : -1, 32);
	op = fop(PS_OP_RMAP_REMOVE, MTHP, 1, PS_OPF_HAS_OBS_MAPCOUNT, MTHP, 4,
		 17, 0, 16);
	op.obs_mapcount = 2;
	ps_engine_apply(e, &op);
	f = ps_folio_find(e, MTHP);
	EXPECT_TRUE(f != NULL);
	if (f) {
		EXPECT_EQ(ps_folio_mapcount(f), 16);
		EXPECT_EQ(f->sub[0].mapcount, 1);
		EXPECT_EQ(f->sub[1].mapcount, 1);
		EXPECT_TRUE(f->known & PS_KNOWN_MAPCOUNT);
	}
	EXPECT_EQ(total_anomalies(e), 0);
	ps_engine_free(e);
}

/* split_huge_page_to_list_to_order(new_order = 4): 32 folios of 16. */
static void test_split_to_any_order(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_op op;
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, 0x80000, 9);
	op = mkop(PS_OP_SPLIT, 0x80000, 9);
	op.val = 4;
	ps_engine_apply(e, &op);
	f = ps_folio_find(e, 0x80000 + 40);
	EXPECT_TRUE(f && f->pfn == 0x80000 + 32 && f->order == 4);
	EXPECT_TRUE(f && f->nr_lineage == 1 &&
		    f->lineage[0].kind == PS_LINEAGE_SPLIT &&
		    f->lineage[0].order == 9);
	EXPECT_EQ(ps_engine_stats(e)->live, 32);
	ps_engine_free(e);
}

/* __folio_split non-uniform at page 5: buddy pieces, page 5 alone. */
static void test_non_uniform_split(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_op op;
	struct ps_folio *f;
	const u64 h = 0x80000;

	apply(e, PS_OP_ALLOC, h, 9);
	op = mkop(PS_OP_SPLIT, h, 9);
	op.val = 0;
	op.val2 = h + 5;
	op.flags = PS_OPF_NON_UNIFORM;
	ps_engine_apply(e, &op);
	f = ps_folio_find(e, h + 5);
	EXPECT_TRUE(f && f->pfn == h + 5 && f->order == 0);
	f = ps_folio_find(e, h + 4);
	EXPECT_TRUE(f && f->pfn == h + 4 && f->order == 0);
	f = ps_folio_find(e, h + 7);
	EXPECT_TRUE(f && f->pfn == h + 6 && f->order == 1);
	f = ps_folio_find(e, h + 1);
	EXPECT_TRUE(f && f->pfn == h && f->order == 2);
	f = ps_folio_find(e, h + 300);
	EXPECT_TRUE(f && f->pfn == h + 256 && f->order == 8);
	EXPECT_EQ(ps_engine_stats(e)->live, 10);
	ps_engine_free(e);
}

/*
 * 6.12's __split_huge_pmd_locked() maps the 512 PTEs and drops the PMD
 * through rmap calls: the split op itself moves nothing.
 */
static void test_rmap_split_pmd(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_op op;
	struct ps_folio *f;
	const u64 h = 0x80000;

	apply(e, PS_OP_ALLOC, h, 9);
	fapply(e, fop(PS_OP_RMAP_ADD, h, 0, PS_OPF_NEW | PS_OPF_EXCLUSIVE,
		      h, 9, 0, 0, 0));
	op = mkop(PS_OP_SPLIT_PMD, h, 9);
	op.flags = PS_OPF_RMAP_SPLIT;
	ps_engine_apply(e, &op);
	f = ps_folio_find(e, h);
	EXPECT_TRUE(f && f->entire_mapcount == 1 && f->sub[0].mapcount == 0);
	fapply(e, fop(PS_OP_RMAP_ADD, h, 512, PS_OPF_EXCLUSIVE, h, 9, 1, 1,
		      PS_ENTIRELY_MAPPED));
	fapply(e, fop(PS_OP_RMAP_REMOVE, h, 0, PS_OPF_COMPOUND, h, 9, 513, 1,
		      PS_ENTIRELY_MAPPED + 512));
	f = ps_folio_find(e, h);
	EXPECT_TRUE(f != NULL);
	if (f) {
		EXPECT_EQ(f->entire_mapcount, 0);
		EXPECT_EQ(ps_folio_mapcount(f), 512);
		EXPECT_EQ(ps_folio_nr_pages_mapped(f), 512);
		EXPECT_TRUE(f->sub[511].flags & PS_SUB_ANON_EXCLUSIVE);
	}
	EXPECT_EQ(total_anomalies(e), 0);
	ps_engine_free(e);
}

/* A large folio's _pincount read by a probe checks our pins. */
static void test_large_pincount_observed(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_op op;

	apply(e, PS_OP_ALLOC, MTHP, 4);
	fapply(e, fop(PS_OP_RMAP_ADD, MTHP, 0, PS_OPF_NEW, MTHP, 4, 0, 0, 0));
	op = fop(PS_OP_PIN, MTHP + 2, 1, PS_OPF_PIN, MTHP, 4, 16, 0, 16);
	ps_engine_apply(e, &op);
	op = fop(PS_OP_UNPIN, MTHP + 2, 1, PS_OPF_PIN, MTHP, 4, 16, 0, 16);
	op.fobs.pincount = 1;
	ps_engine_apply(e, &op);
	EXPECT_EQ(total_anomalies(e), 0);
	op = fop(PS_OP_PIN, MTHP + 2, 1, PS_OPF_PIN, MTHP, 4, 16, 0, 16);
	op.fobs.pincount = 3;
	ps_engine_apply(e, &op);
	EXPECT_EQ(ps_engine_stats(e)->anomalies[PS_ANOM_OBS_MISMATCH], 1);
	ps_engine_free(e);
}

/* A page cache op of task pid on the folio headed at pfn. */
static void cache_op(struct ps_engine *e, enum ps_op_kind kind, u64 pfn,
		     int pid)
{
	struct ps_op op = mkop(kind, pfn, 0);

	op.pid = pid;
	op.flags = PS_OPF_FOLIO_ORDER;
	op.val = 0x1234;	/* i_ino */
	op.val2 = 7;		/* index */
	ps_engine_apply(e, &op);
}

static void ref_by(struct ps_engine *e, u64 pfn, s64 delta, s64 count,
		   int pid)
{
	ref_seen(e, pfn, delta, count, pid, 0);
}

/* refs of the holders of kind k (op kind ok, or any with PS_OP_NONE) */
static s64 held(struct ps_ledger *l, struct ps_engine *e, u64 pfn,
		enum ps_holder_kind k, enum ps_op_kind ok)
{
	struct ps_folio *f = ps_folio_find(e, pfn);
	struct ps_holders h;
	s64 n = 0;
	int i;

	if (!f)
		return -1;
	ps_ledger_holders(l, f, &h);
	for (i = 0; i < h.nr; i++)
		if (h.h[i].kind == k &&
		    (ok == PS_OP_NONE || h.h[i].op_kind == ok))
			n += h.h[i].refs;
	return n;
}

/* a page_ref event of pid showing PG_lru or not */
static void ref_lru(struct ps_engine *e, u64 pfn, s64 delta, s64 count,
		    int pid, bool lru)
{
	ref_seen(e, pfn, delta, count, pid, lru ? PS_PG_LRU : 0);
}

/* mm_lru_insertion: the batch drained, PG_lru set */
static void lru_drain(struct ps_engine *e, u64 pfn, int pid)
{
	struct ps_op op = mkop(PS_OP_FLAGS, pfn, 0);

	op.pid = pid;
	op.obs_flags = PS_PG_LRU;
	op.val2 = (s64)PS_PG_LRU;
	op.flags = PS_OPF_HAS_OBS_FLAGS;
	ps_engine_apply(e, &op);
}

/*
 * move_pages() on 6.1, as recorded on the custom kernel (the
 * migrate-held fixture): follow_page's get (PG_lru still set), then
 * isolate_lru_page(): PG_lru cleared, then get; then the follow_page
 * reference put.  The isolation is its own holder, exact, and what else
 * holds the page (a vmsplice get) stays a get.  Putback: folio_add_lru's
 * batch get, the isolation's put, the drain, the batch's put: nothing is
 * isolated any more and the ledger is back to the get.  A get whose
 * page_ref event shows no PG_lru on a folio whose last one did not
 * either (already isolated, reclaim's get-then-clear) is a plain get.
 */
static void test_lru_isolation_holder(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_ledger *l = ps_ledger_new(e);
	const u64 p = 0x30000;

	ps_ledger_set_check(l, true);
	apply(e, PS_OP_ALLOC, p, 0);
	lru_drain(e, p, 1);
	ref_lru(e, p, 1, 2, 100, true);		/* vmsplice */
	ref_lru(e, p, 1, 3, 200, true);		/* follow_page */
	ref_lru(e, p, 1, 4, 200, false);	/* isolate_lru_page */
	EXPECT_EQ(held(l, e, p, PS_HOLD_ISOLATED, PS_OP_REF), 1);
	ref_lru(e, p, -1, 3, 200, false);	/* follow_page's put */
	EXPECT_EQ(held(l, e, p, PS_HOLD_ISOLATED, PS_OP_NONE), 1);
	EXPECT_EQ(held(l, e, p, PS_HOLD_GET, PS_OP_NONE), 2);
	EXPECT_EQ(held(l, e, p, PS_HOLD_UNEXPLAINED, PS_OP_NONE), 0);

	/* already isolated: a get is a get */
	ref_lru(e, p, 1, 4, 300, false);
	EXPECT_EQ(held(l, e, p, PS_HOLD_ISOLATED, PS_OP_NONE), 1);
	EXPECT_EQ(held(l, e, p, PS_HOLD_GET, PS_OP_NONE), 3);
	ref_lru(e, p, -1, 3, 300, false);

	/* putback: batch get, isolation put, drain, batch put */
	ref_lru(e, p, 1, 4, 200, false);
	ref_lru(e, p, -1, 3, 200, false);
	lru_drain(e, p, 200);
	EXPECT_EQ(held(l, e, p, PS_HOLD_ISOLATED, PS_OP_NONE), 0);
	EXPECT_EQ(held(l, e, p, PS_HOLD_RELEASE, PS_OP_FLAGS), 1);
	ref_lru(e, p, -1, 2, 200, true);
	EXPECT_EQ(held(l, e, p, PS_HOLD_RELEASE, PS_OP_NONE), 0);
	EXPECT_EQ(held(l, e, p, PS_HOLD_GET, PS_OP_NONE), 2);
	EXPECT_EQ(held(l, e, p, PS_HOLD_UNEXPLAINED, PS_OP_NONE), 0);
	EXPECT_EQ(ps_ledger_stats(l)->sum_errors, 0);
	ps_ledger_free(l);
	ps_engine_free(e);
}

/*
 * filemap_add_folio(): folio_ref_add(folio, 1) then the add event: the
 * get becomes the page cache's; the caller's own (allocation) reference
 * is put.  Truncation: find_lock_entries' get, the delete event, then
 * filemap_free_folio's put of the cache's reference, then the lookup's.
 * Reclaim instead freezes 1 + nr to 0 before its delete.  The ledger
 * adds up everywhere and never places more than the refcount.
 */
static void test_page_cache_holder(void)
{
	struct ps_engine *e = ps_engine_new(ALL_TRACKED);
	struct ps_ledger *l = ps_ledger_new(e);
	const u64 p = 0x20000, q = 0x20001;
	struct ps_folio *f;
	struct ps_op op;

	ps_ledger_set_check(l, true);
	apply(e, PS_OP_ALLOC, p, 0);
	ref_by(e, p, 1, 2, 100);
	cache_op(e, PS_OP_CACHE_ADD, p, 100);
	f = ps_folio_find(e, p);
	EXPECT_TRUE(f && f->in_cache);
	EXPECT_EQ(held(l, e, p, PS_HOLD_CACHE, PS_OP_CACHE_ADD), 1);
	EXPECT_EQ(held(l, e, p, PS_HOLD_UNEXPLAINED, PS_OP_NONE), 0);
	ref_by(e, p, -1, 1, 100);
	EXPECT_EQ(held(l, e, p, PS_HOLD_CACHE, PS_OP_NONE), 1);
	EXPECT_EQ(held(l, e, p, PS_HOLD_GET, PS_OP_NONE), 0);

	ref_by(e, p, 1, 2, 200);
	cache_op(e, PS_OP_CACHE_DEL, p, 200);
	EXPECT_TRUE(f && !f->in_cache);
	EXPECT_EQ(held(l, e, p, PS_HOLD_CACHE, PS_OP_NONE), 0);
	EXPECT_EQ(held(l, e, p, PS_HOLD_RELEASE, PS_OP_CACHE_DEL), 1);
	ref_by(e, p, -1, 1, 200);
	EXPECT_EQ(held(l, e, p, PS_HOLD_RELEASE, PS_OP_NONE), 0);
	EXPECT_EQ(held(l, e, p, PS_HOLD_GET, PS_OP_NONE), 1);
	EXPECT_EQ(held(l, e, p, PS_HOLD_UNEXPLAINED, PS_OP_NONE), 0);

	/* reclaim: isolated (get), frozen to 0, then deleted */
	apply(e, PS_OP_ALLOC, q, 0);
	ref_by(e, q, 1, 2, 100);
	cache_op(e, PS_OP_CACHE_ADD, q, 100);
	ref_by(e, q, -1, 1, 100);
	ref_by(e, q, 1, 2, 300);
	op = mkop(PS_OP_REF_SET, q, 0);
	op.pid = 300;
	op.obs_count = 0;
	op.flags = PS_OPF_HAS_OBS_COUNT;
	ps_engine_apply(e, &op);
	EXPECT_EQ(held(l, e, q, PS_HOLD_CACHE, PS_OP_NONE), 0);
	cache_op(e, PS_OP_CACHE_DEL, q, 300);
	EXPECT_EQ(held(l, e, q, PS_HOLD_RELEASE, PS_OP_NONE), 0);
	EXPECT_EQ(held(l, e, q, PS_HOLD_UNEXPLAINED, PS_OP_NONE), 0);

	EXPECT_EQ(ps_ledger_stats(l)->sum_errors, 0);
	EXPECT_EQ(ps_ledger_stats(l)->over_events, 0);
	EXPECT_EQ(total_anomalies(e), 0);
	ps_engine_free(e);
	ps_ledger_free(l);
}

/* A page cache op naming a smaller folio than ours: it was split unseen. */
static void test_page_cache_op_splits(void)
{
	struct ps_engine *e = ps_engine_new(0);
	struct ps_folio *f;

	apply(e, PS_OP_ALLOC, 0x30000, 2);
	cache_op(e, PS_OP_CACHE_ADD, 0x30001, 100);
	f = ps_folio_find(e, 0x30001);
	EXPECT_TRUE(f && f->order == 0 && f->pfn == 0x30001 && f->in_cache);
	f = ps_folio_find(e, 0x30000);
	EXPECT_TRUE(f && f->order == 0 && !f->in_cache);
	ps_engine_free(e);
}

int main(void)
{
	RUN(test_alloc_thp_found_by_tail);
	RUN(test_host_profile_leaves_counts_unknown);
	RUN(test_refcount_follows_page_ref);
	RUN(test_observed_mismatch_is_an_anomaly);
	RUN(test_reordered_counts_are_not_anomalies);
	RUN(test_first_sight_baseline_from_page_ref);
	RUN(test_split_pmd_moves_mapcount_to_subpages);
	RUN(test_split_pmd_with_rmap_call);
	RUN(test_double_map_set_and_cleared);
	RUN(test_double_map_observed);
	RUN(test_split_of_migration_pmd);
	RUN(test_new_anon_rmap);
	RUN(test_observed_before_sets_and_checks);
	RUN(test_observed_held_until_its_cpu_moves_on);
	RUN(test_observed_before_another_cpus_op_landed);
	RUN(test_split_makes_order0_children);
	RUN(test_free_of_subpage_infers_split);
	RUN(test_remap_order0_infers_split);
	RUN(test_migration_lineage_after_fork);
	RUN(test_collapse_names_its_parents);
	RUN(test_aborted_collapse_has_no_lineage);
	RUN(test_mapcount_underflow_is_an_anomaly);
	RUN(test_pin_unpin);
	RUN(test_free_of_unknown_page);
	RUN(test_alloc_over_live_folio);
	RUN(test_memory_follows_live_folios);
	RUN(test_verify_agreement);
	RUN(test_verify_folio_shape);
	RUN(test_verify_deep_slab_untraced);
	RUN(test_concurrent_entry_reads_are_not_mismatches);
	RUN(test_untraced_allocation);
	RUN(test_new_mthp_maps_every_page);
	RUN(test_new_pmd_folio_is_entirely_mapped);
	RUN(test_rmap_ptes_cover_nr_pages);
	RUN(test_folio_counts_mismatch);
	RUN(test_folio_counts_baseline);
	RUN(test_folio_counts_no_baseline);
	RUN(test_fork_batch_settled_by_next_probe);
	RUN(test_fork_batch_guessed_without_probe);
	RUN(test_fork_batch_sized_by_page_ref);
	RUN(test_fork_guess_corrected_by_probe);
	RUN(test_split_to_any_order);
	RUN(test_non_uniform_split);
	RUN(test_rmap_split_pmd);
	RUN(test_large_pincount_observed);
	RUN(test_page_cache_holder);
	RUN(test_lru_isolation_holder);
	RUN(test_page_cache_op_splits);
	return UNIT_EXIT();
}
