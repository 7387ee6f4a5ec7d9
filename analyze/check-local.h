/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The body of struct ps_check, for analyze/check.c alone.  Everyone else
 * uses the accessors of check.h and rule.h.
 */
#ifndef PAGESTATE_CHECK_LOCAL_H
#define PAGESTATE_CHECK_LOCAL_H

#include "pagestate/check.h"

struct ps_check {
	struct ps_trace *t;
	struct ps_engine *e;
	struct ps_verify *verify;
	struct ps_check_rule_state *rules;
	int nr_rules;

	struct ps_finding *findings;
	struct ps_window *windows;	/* parallel to findings, or NULL */
	/* the windows' ops point into this one (result names): kept open */
	struct ps_trace *window_trace;
	int nr_findings;
	int alloc_findings;
	u64 dropped_findings;		/* beyond PS_CHECK_MAX_FINDINGS */
	bool keep_uncertain;

	u64 last_lost_ts;		/* latest LOST op seen */
	bool any_lost;
	bool lost_anywhere;		/* the file lacks events, time unknown */
};

#endif /* PAGESTATE_CHECK_LOCAL_H */
