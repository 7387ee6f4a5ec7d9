// SPDX-License-Identifier: GPL-2.0
/*
 * huge-zero-split: the huge zero page is mapped read-only by PMD into
 * any number of mms and belongs to none: splitting its PMD is fine (it
 * becomes small zero pages), splitting the page itself never is.  The
 * 2023 FOLL_SPLIT_PMD discussion was about callers that reach the split
 * with it; every PMD split of it is shown as info, with the timeline,
 * and a split_huge_page() attempt on it is a break.
 *
 * The huge zero page's pfn comes with the split_pmd probe
 * (@huge_zero_pfn) when the kernel has the symbol; otherwise the engine
 * knows it as the THP whose PMD is split without any PMD rmap.
 */
#include <stdio.h>

#include "pagestate/check.h"

extern const struct ps_rule rule_huge_zero_split;

static void hz_op(struct ps_check *c, void *priv, const struct ps_op *op,
		  const struct ps_folio *f, const struct ps_state *before,
		  const struct ps_state *after)
{
	struct ps_trace *t = ps_check_trace(c);
	u64 hzp = t ? ps_trace_meta(t)->huge_zero_pfn : 0;
	bool zero;

	if (op->pfn == PS_PFN_NONE)
		return;
	/* the probe's @huge_zero_pfn, or the engine's recognition of it */
	zero = (hzp && hzp != PS_PFN_NONE && op->pfn >= hzp &&
		op->pfn < hzp + 512) ||
	       ((before->flags | after->flags) & PS_PG_ZERO_PAGE);
	if (!zero)
		return;
	if (op->kind == PS_OP_SPLIT_PMD)
		ps_check_report(c, &rule_huge_zero_split, PS_SEV_INFO, op, f,
				before, after, "PMD split of the huge zero "
				"page at 0x%llx (becomes small zero pages)",
				(unsigned long long)op->addr);
	else if (op->kind == PS_OP_SPLIT || op->kind == PS_OP_SPLIT_RESULT)
		ps_check_report(c, &rule_huge_zero_split, PS_SEV_BREAK, op, f,
				before, after, "split_huge_page() on the huge "
				"zero page (result %d)", op->result);
}

static bool hz_can_run(struct ps_check *c, char *why, size_t size)
{
	if (!ps_trace_has_event(ps_check_trace(c), "pagestate", "split_pmd")) {
		snprintf(why, size, "needs the split_pmd kprobe");
		return false;
	}
	return true;
}

const struct ps_rule rule_huge_zero_split = {
	.id = "huge-zero-split",
	.kernels = "all with a huge zero page: 6.1, 6.12, 7.2",
	.summary = "the huge zero page's PMD may be split, the page itself "
		   "never goes through split_huge_page()",
	.source = "2023 FOLL_SPLIT_PMD / huge zero page discussion",
	.needs = "the split_pmd and split_huge_page kprobes",
	.can_run = hz_can_run,
	.op = hz_op,
};
