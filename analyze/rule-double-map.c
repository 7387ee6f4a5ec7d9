// SPDX-License-Identifier: GPL-2.0
/*
 * double-map: PageDoubleMap (2019 THP mapcount rework; gone in 6.2) must
 * be set while an anon THP is mapped by PMD and by PTEs at once, and
 * cleared when the last PMD mapping goes.  The kernel keeps it as a +1
 * bias in every subpage's _mapcount, which the rmap probes read at
 * entry: so the bit the kernel holds is observed, and held against the
 * mappings the recording derived.  File THP may be PMD-mapped again
 * without the flag being wrong: only anon THPs are checked.
 */
#include <stdio.h>

#include "pagestate/check.h"

extern const struct ps_rule rule_double_map;

static void dm_op(struct ps_check *c, void *priv, const struct ps_op *op,
		  const struct ps_folio *f, const struct ps_state *before,
		  const struct ps_state *after)
{
	s64 bias;

	if (!f || !before->live || !before->order ||
	    !(op->flags & PS_OPF_OBS_BEFORE) ||
	    !(op->flags & PS_OPF_HAS_OBS_MAPCOUNT) ||
	    !(before->known & PS_KNOWN_MAPCOUNT) ||
	    !(before->flags & PS_PG_ANON))
		return;
	bias = op->obs_mapcount - before->sub_mapcount;
	if (bias != 0 && bias != 1)
		return;		/* a count problem: observed-vs-derived's */
	if (bias && !before->entire_mapcount)
		ps_check_report(c, &rule_double_map, PS_SEV_BREAK, op, f,
				before, after, "PageDoubleMap still set with "
				"no PMD mapping left");
	else if (!bias && before->entire_mapcount > 0 &&
		 before->mapcount > before->entire_mapcount)
		ps_check_report(c, &rule_double_map, PS_SEV_BREAK, op, f,
				before, after, "THP mapped by PMD (%d) and PTEs "
				"without PageDoubleMap",
				before->entire_mapcount);
}

static bool dm_can_run(struct ps_check *c, char *why, size_t size)
{
	const char *k = ps_trace_meta(ps_check_trace(c))->kernel;
	int major = 0, minor = 0;

	if (sscanf(k, "%d.%d", &major, &minor) != 2 || major > 6 ||
	    (major == 6 && minor >= 2)) {
		snprintf(why, size, "kernel %s has no PageDoubleMap (removed "
			 "in 6.2)", k[0] ? k : "(unknown)");
		return false;
	}
	return true;
}

const struct ps_rule rule_double_map = {
	.id = "double-map",
	.summary = "an anon THP mapped by PMD and PTEs at once has "
		   "PageDoubleMap; the flag goes with the last PMD mapping",
	.source = "2019 THP mapcount/PageDoubleMap fixes (removed in 6.2 by "
		  "\"mm,thp,rmap: simplify compound page mapcount handling\")",
	.needs = "rmap kprobes on a kernel before 6.2",
	.needs_tracks = PS_KNOWN_MAPCOUNT,
	.can_run = dm_can_run,
	.op = dm_op,
};
