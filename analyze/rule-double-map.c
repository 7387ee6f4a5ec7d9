// SPDX-License-Identifier: GPL-2.0
/*
 * double-map: PageDoubleMap (2019 THP mapcount rework; gone in 6.2) must
 * be set while an anon THP is mapped by PMD and by PTEs at once, and
 * cleared when the last PMD mapping goes.  The kernel keeps it as a +1
 * bias in every subpage's _mapcount, which the rmap probes read at
 * entry: so the bias the kernel holds is observed, and held against the
 * mappings the recording derived (a flag cleared without dropping its
 * bias, tests/vm/patches/doublemap-stale.patch, is caught so too).  File THP may be PMD-mapped again
 * without the flag being wrong: only anon THPs are checked.
 */
#include <stdio.h>

#include "pagestate/check.h"

extern const struct ps_rule rule_double_map;

static void dm_op(struct ps_check *c, void *priv, const struct ps_op *op,
		  const struct ps_folio *f, const struct ps_state *before,
		  const struct ps_state *after)
{
	struct ps_trace *t = ps_check_trace(c);
	const struct ps_layout *l = t ? &ps_trace_meta(t)->layout : NULL;
	s64 bias;

	if (l && l->pageflags_seen && !l->double_map) {
		ps_check_not_applicable(c, &rule_double_map, "not applicable: "
					"no PageDoubleMap after 6.2 (no "
					"PG_double_map in enum pageflags)");
		return;
	}
	if (!f || !before->live || !before->order ||
	    !(op->flags & PS_OPF_OBS_BEFORE) ||
	    !(op->flags & PS_OPF_HAS_OBS_MAPCOUNT) ||
	    !(before->known & PS_KNOWN_MAPCOUNT) ||
	    !(before->flags & PS_PG_ANON))
		return;
	bias = op->obs_mapcount - before->sub_mapcount;
	if (bias != 0 && bias != 1)
		return;		/* a count problem: observed-vs-derived's */
	/*
	 * The bias is what is observed, not the flag: a kernel that clears
	 * the flag but leaves the +1 (page_mapcount() one too high) and one
	 * that leaves both (page_mapped() true forever) look the same here.
	 */
	if (bias && !before->entire_mapcount)
		ps_check_report(c, &rule_double_map, PS_SEV_BREAK, op, f,
				before, after, "PageDoubleMap's +1 still in "
				"_mapcount with no PMD mapping left (kernel "
				"%lld, PTE mappings %d)",
				(long long)op->obs_mapcount,
				(int)before->sub_mapcount);
	else if (!bias && before->entire_mapcount > 0 &&
		 before->mapcount > before->entire_mapcount)
		ps_check_report(c, &rule_double_map, PS_SEV_BREAK, op, f,
				before, after, "THP mapped by PMD (%d) and PTEs "
				"without PageDoubleMap (kernel %lld, PTE "
				"mappings %d)", before->entire_mapcount,
				(long long)op->obs_mapcount,
				(int)before->sub_mapcount);
}

/*
 * PageDoubleMap is an alias in enum pageflags (PG_double_map =
 * PG_workingset) up to 6.1; "mm,thp,rmap: simplify compound page
 * mapcount handling" (6.2) removed it.  Folio-era rmap probes (6.8+)
 * say so from the events alone; for the page rmap API of 6.1 to 6.7 the
 * recording's pageflags marker, which lists the enum by name, decides
 * once it has been read (dm_op).
 */
static bool dm_can_run(struct ps_check *c, char *why, size_t size)
{
	struct ps_trace *t = ps_check_trace(c);

	if (ps_trace_has_event(t, "pagestate", "folio_remove_ptes")) {
		snprintf(why, size, "not applicable: no PageDoubleMap after 6.2");
		return false;
	}
	return true;
}

const struct ps_rule rule_double_map = {
	.id = "double-map",
	.kernels = "before 6.2 only (PageDoubleMap; decided by the pageflags marker: enum pageflags has PG_double_map)",
	.summary = "an anon THP mapped by PMD and PTEs at once has "
		   "PageDoubleMap; the flag goes with the last PMD mapping",
	.source = "2019 THP mapcount/PageDoubleMap fixes (removed in 6.2 by "
		  "\"mm,thp,rmap: simplify compound page mapcount handling\")",
	.needs = "rmap kprobes and the pageflags marker",
	.needs_tracks = PS_KNOWN_MAPCOUNT,
	.can_run = dm_can_run,
	.op = dm_op,
};
