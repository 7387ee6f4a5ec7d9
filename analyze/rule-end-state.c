// SPDX-License-Identifier: GPL-2.0
/*
 * end-state: what the engine derived for the workload's pages must be
 * what the kernel itself reported at the workload's exit: the process
 * snapshot of the pages it maps and the deep snapshot of every pfn the
 * recording touched (record/deep.c).  The comparison is replay --verify's
 * own (replay/verify.c), field by field: each disagreement it counts is
 * one finding here, so the two can never tell different stories.
 */
#include "pagestate/check.h"

extern const struct ps_rule rule_end_state;

static void end_state_mismatch(void *data, const struct ps_op *op,
			       const struct ps_folio *f, const char *what)
{
	struct ps_check *c = data;
	struct ps_state st;

	ps_folio_state(f, op->pfn, &st);
	ps_check_report(c, &rule_end_state, PS_SEV_BREAK, op, f, &st, &st,
			"exit snapshot disagrees: %s", what);
}

static void end_state_init(struct ps_check *c, void *priv)
{
	ps_verify_set_mismatch_hook(ps_check_verify(c), end_state_mismatch,
				    c);
}

const struct ps_rule rule_end_state = {
	.id = "end-state",
	.kernels = "all",
	.summary = "the state derived for every page with a full history "
		   "equals the kernel's own at the workload's exit, field by "
		   "field (liveness, order, mapcount, flags), mapped pages "
		   "and freed ones",
	.source = "generic (cross-check against /proc/kpagecount and "
		  "/proc/kpageflags of the exit and deep snapshots)",
	.needs = "an exit snapshot (pagestate record -- CMD)",
	.needs_any_event = { "ftrace:print" },
	.init = end_state_init,
};
