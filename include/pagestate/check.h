/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running the rules over a recording, for `check`, `report` and the TUI.
 *
 * ps_check_run() replays the file once with every selected rule hooked to
 * the engine and keeps the findings; ps_check_windows() replays it again
 * to collect, for each finding, the events before it on its folio (so the
 * first pass keeps nothing per event).
 */
#ifndef PAGESTATE_CHECK_H
#define PAGESTATE_CHECK_H

#include <stdio.h>

#include "pagestate/rule.h"
#include "pagestate/trace.h"
#include "pagestate/verify.h"

#define PS_CHECK_MAX_FINDINGS	10000
#define PS_WINDOW_MAX		64

struct ps_check_rule_state {
	const struct ps_rule *rule;
	bool checked;		/* the recording has what it needs */
	char why_not[160];	/* when not checked */
	u64 breaks, infos, uncertain;
	void *priv;
	bool borrowed_priv;	/* ps_check_add_rule()'s: not ours to free */
};

struct ps_window {
	struct ps_op ops[PS_WINDOW_MAX];
	struct ps_state after[PS_WINDOW_MAX];
	int nr;			/* ops kept, oldest first */
};

/*
 * struct ps_check is opaque (its body is in analyze/check-local.h, for
 * the runner alone): rules, report, the index builder and tests go
 * through the accessors below, as users of libtracefs go through
 * tracefs.h and never see tracefs-local.h.
 */
struct ps_check;

/*
 * Selects rules by comma-separated ids (NULL: all).  Returns NULL after
 * printing an error naming an unknown id.
 */
struct ps_check *ps_check_new(struct ps_trace *t, const char *ids,
			      bool keep_uncertain);
/* Replays the recording with the rules.  0, or -1 on a read error. */
int ps_check_run(struct ps_check *c);
/*
 * ps_check_run() in three steps, for ops that do not come from a file
 * (unit tests create the check with a NULL trace: every rule runs).
 */
void ps_check_begin(struct ps_check *c, u32 tracks);
int ps_check_apply(struct ps_check *c, const struct ps_op *op);
void ps_check_end(struct ps_check *c);
/* Second pass: up to n events before each finding on its folio. */
int ps_check_windows(struct ps_check *c, const char *path, int n);
void ps_check_free(struct ps_check *c);

/* One line per finding, as `check` prints it. */
void ps_finding_line(struct ps_trace *t, const struct ps_finding *fi,
		     FILE *out);
/* "BREAK", "info", "uncertain": in check's lines and in JSON alike */
const char *ps_severity_name(enum ps_severity s);

/* The findings kept, in recording order. */
int ps_check_nr_findings(const struct ps_check *c);
const struct ps_finding *ps_check_finding(const struct ps_check *c, int i);
/* Findings beyond PS_CHECK_MAX_FINDINGS, counted but not kept. */
u64 ps_check_dropped_findings(const struct ps_check *c);
/* The events before finding i (after ps_check_windows()), or NULL. */
const struct ps_window *ps_check_window(const struct ps_check *c, int i);

/* The selected rules and how they fared, in table order. */
int ps_check_nr_rules(const struct ps_check *c);
const struct ps_check_rule_state *ps_check_rule(const struct ps_check *c,
						int i);
/*
 * Runs r (not in the rule table: the index builder) with the selected
 * rules, priv handed to its hooks as is and never freed by the check.
 * Call before ps_check_run().
 */
void ps_check_add_rule(struct ps_check *c, const struct ps_rule *r,
		       void *priv);

/* Rules that could run; 0 means nothing was checked. */
int ps_check_nr_checked(const struct ps_check *c);
u64 ps_check_nr_breaks(const struct ps_check *c);

#endif /* PAGESTATE_CHECK_H */
