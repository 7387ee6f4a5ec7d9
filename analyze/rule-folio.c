// SPDX-License-Identifier: GPL-2.0
/*
 * Folio-era invariants (6.8+ rmap API: 6.12 LTS, 7.2): what the kernel
 * itself keeps consistent in struct folio, judged on the values the
 * probes read from the kernel at function entry, not only on ours.
 *
 * folio-counts: a large folio's _large_mapcount counts every mapping,
 * its entire (PMD) ones included; _nr_pages_mapped counts the pages
 * mapped by at least one PTE, plus ENTIRELY_MAPPED while an entire
 * mapping exists; a folio goes back to the allocator with no pin.
 *
 * anon-exclusive-once: a page marked PG_anon_exclusive is mapped exactly
 * once: an anon rmap add leaves no exclusive page mapped twice.
 *
 * The counts of one folio are separate atomics, changed one after the
 * other (__folio_add_rmap adds the page's _mapcount, then
 * _nr_pages_mapped, then _large_mapcount): a reading taken while another
 * CPU is in between sees them disagree for a moment.  Such readings (the
 * folio's previous op on another CPU within PS_FOLIO_RACE_NS) are
 * uncertain, never a break.
 */
#include <string.h>

#include "pagestate/check.h"

extern const struct ps_rule rule_folio_counts, rule_anon_exclusive_once;

#define PS_FOLIO_RACE_NS	20000
#define LAST_SLOTS		1024

struct last_op {
	u64 head;
	u64 ts;
	int cpu;
};

struct folio_priv {
	struct last_op last[LAST_SLOTS];
};

/* Was another CPU at this folio a moment ago?  Remembers this op. */
static bool racing(struct folio_priv *fp, const struct ps_op *op, u64 head)
{
	struct last_op *l = &fp->last[(head * 0x9e3779b97f4a7c15ull) >> 54];
	bool race = l->head == head && l->cpu != op->cpu &&
		    op->ts - l->ts < PS_FOLIO_RACE_NS;

	l->head = head;
	l->ts = op->ts;
	l->cpu = op->cpu;
	return race;
}

/*
 * The counts one reading holds, by the rules of __folio_add_rmap() and
 * __folio_remove_rmap() (mm/rmap.c, 6.12.117: lines 1159-1205 and
 * 1530-1577) and folio_large_mapcount()/folio_entire_mapcount()
 * (include/linux/mm.h:1207-1217).  Returns what is wrong, or NULL.
 */
static const char *counts_wrong(const struct ps_op *op, char *buf,
				size_t size)
{
	const struct ps_fobs *o = &op->fobs;
	s32 pages = o->nr_pages_mapped & (PS_ENTIRELY_MAPPED - 1);
	bool entirely = o->nr_pages_mapped & PS_ENTIRELY_MAPPED;
	s32 per_page = o->large_mapcount - o->entire_mapcount;

	if (o->entire_mapcount < 0 || o->large_mapcount < o->entire_mapcount)
		snprintf(buf, size, "large mapcount %d below the entire "
			 "mapcount %d (it counts PMD mappings too)",
			 o->large_mapcount, o->entire_mapcount);
	else if (o->nr_pages_mapped < 0 || entirely != (o->entire_mapcount > 0))
		snprintf(buf, size, "nr_pages_mapped 0x%x disagrees with the "
			 "entire mapcount %d (ENTIRELY_MAPPED)",
			 (unsigned int)o->nr_pages_mapped, o->entire_mapcount);
	else if (pages > (1 << o->order) || pages > per_page)
		snprintf(buf, size, "%d pages mapped by PTE but only %d PTE "
			 "mappings in the large mapcount (%d - entire %d)",
			 pages, per_page, o->large_mapcount,
			 o->entire_mapcount);
	else if ((op->flags & PS_OPF_HAS_OBS_MAPCOUNT) &&
		 op->obs_mapcount > per_page)
		snprintf(buf, size, "page mapped %lld times by PTE, more than "
			 "the folio's %d PTE mappings",
			 (long long)op->obs_mapcount, per_page);
	else if (o->pincount < 0)
		snprintf(buf, size, "_pincount %d below zero", o->pincount);
	else
		return NULL;
	return buf;
}

static void counts_op(struct ps_check *c, void *priv, const struct ps_op *op,
		      const struct ps_folio *f, const struct ps_state *before,
		      const struct ps_state *after)
{
	char buf[160];
	const char *what;

	/*
	 * free_tail_page_prepare() (mm/page_alloc.c:988-1000) calls a large
	 * folio freed with a pin a bad page ("nonzero pincount").
	 */
	if (op->kind == PS_OP_FREE && before->live && before->order &&
	    (before->known & PS_KNOWN_PINCOUNT) && before->pincount > 0) {
		ps_check_report(c, &rule_folio_counts, PS_SEV_BREAK, op, f,
				before, after, "large folio freed with "
				"_pincount %d", before->pincount);
		return;
	}
	if (!(op->flags & PS_OPF_FOLIO_OBS) || !op->fobs.order ||
	    !(op->fobs.have & PS_FOBS_LARGE))
		return;
	if (racing(priv, op, op->fobs.head))
		return;
	what = counts_wrong(op, buf, sizeof(buf));
	if (what)
		ps_check_report(c, &rule_folio_counts, PS_SEV_BREAK, op, f,
				before, after, "%s", what);
}

static bool folio_era_can_run(struct ps_check *c, char *why, size_t size)
{
	struct ps_trace *t = ps_check_trace(c);

	if (ps_trace_has_event(t, "pagestate", "rmap_remove") &&
	    !ps_trace_has_event(t, "pagestate", "folio_remove_ptes")) {
		snprintf(why, size, "not applicable: the page rmap API of "
			 "this kernel keeps no folio counts (before 6.8)");
		return false;
	}
	if (!ps_trace_folio_counts(t)) {
		snprintf(why, size, "needs folio rmap kprobes that read the "
			 "folio's counts");
		return false;
	}
	return true;
}

const struct ps_rule rule_folio_counts = {
	.id = "folio-counts",
	.kernels = "6.8 on (folio rmap: _large_mapcount, _entire_mapcount, "
		   "_nr_pages_mapped): 6.12, 7.2",
	.summary = "a large folio's large mapcount covers its entire and PTE "
		   "mappings, nr_pages_mapped its PTE-mapped pages plus "
		   "ENTIRELY_MAPPED; a folio is freed unpinned",
	.source = "mm/rmap.c __folio_add_rmap/__folio_remove_rmap, "
		  "mm/page_alloc.c free_tail_page_prepare (6.12)",
	.needs = "folio rmap kprobes reading the folio's counts",
	.can_run = folio_era_can_run,
	.op = counts_op,
	.priv_size = sizeof(struct folio_priv),
};

/*
 * __folio_add_anon_rmap() (mm/rmap.c:1338-1346, 6.12) warns when, after
 * the add, a page is PageAnonExclusive and its _mapcount > 0 (mapped
 * twice) or, on a large folio, the entire mapcount is above one.  The
 * probe read the page at entry: exclusive there (or made so by
 * RMAP_EXCLUSIVE) and already mapped means mapped twice after.
 */
static void ae_once_op(struct ps_check *c, void *priv, const struct ps_op *op,
		       const struct ps_folio *f, const struct ps_state *before,
		       const struct ps_state *after)
{
	bool ae, pmd = op->flags & PS_OPF_COMPOUND;
	s64 mapped;

	if (op->kind != PS_OP_RMAP_ADD || !(op->flags & PS_OPF_ANON) ||
	    (op->flags & PS_OPF_NEW) || !(op->flags & PS_OPF_FOLIO_OBS) ||
	    !(op->flags & PS_OPF_HAS_OBS_FLAGS))
		return;
	ae = (op->flags & PS_OPF_EXCLUSIVE) ||
	     (op->obs_flags & PS_PG_ANON_EXCLUSIVE);
	if (pmd)
		mapped = (op->fobs.have & PS_FOBS_LARGE) ?
			 op->fobs.entire_mapcount : -1;
	else
		mapped = (op->flags & PS_OPF_HAS_OBS_MAPCOUNT) ?
			 op->obs_mapcount : -1;
	if (!ae || mapped < 1 || racing(priv, op, op->fobs.head))
		return;
	ps_check_report(c, &rule_anon_exclusive_once, PS_SEV_BREAK, op, f,
			before, after, "anon_exclusive page gains a %s mapping "
			"while already mapped %lld time%s", pmd ? "PMD" : "PTE",
			(long long)mapped, mapped == 1 ? "" : "s");
}

const struct ps_rule rule_anon_exclusive_once = {
	.id = "anon-exclusive-once",
	.kernels = "6.8 on (folio rmap, PageAnonExclusive per page): 6.12, 7.2",
	.summary = "a PG_anon_exclusive page is mapped once: an anon rmap add "
		   "never leaves an exclusive page mapped twice",
	.source = "mm/rmap.c __folio_add_anon_rmap VM_WARN_ON_FOLIO "
		  "(6.12: lines 1338-1346)",
	.needs = "folio rmap kprobes reading page flags and mapcounts",
	.can_run = folio_era_can_run,
	.op = ae_once_op,
	.priv_size = sizeof(struct folio_priv),
};
