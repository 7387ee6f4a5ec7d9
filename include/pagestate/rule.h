/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Invariant rules (analyze/): each watches the page ops and the folio
 * state the engine derives, and reports a finding where the state broke
 * a rule of the design, with the evidence a bug thread needs.
 *
 * A rule is one file (analyze/rule-*.c) and one line in the table in
 * analyze/rules.c.  It says what it needs (which folio fields must be
 * tracked, which events must be in the recording); where the recording
 * lacks them the rule is "not checked", never silently passed.  A rule
 * never fires on unknown state: a value without a baseline, or a folio
 * whose window saw lost events, makes the case "uncertain", counted and
 * listed with --uncertain.
 */
#ifndef PAGESTATE_RULE_H
#define PAGESTATE_RULE_H

#include "pagestate/folio.h"

struct ps_trace;
struct ps_check;

enum ps_severity {
	PS_SEV_BREAK,		/* the design was broken */
	PS_SEV_INFO,		/* the kernel did its job; worth showing */
	PS_SEV_UNCERTAIN,	/* would be checked, but state is unknown */
};

/* One finding: what broke, where, and the state around it. */
struct ps_finding {
	const struct ps_rule *rule;
	enum ps_severity severity;
	u64 folio_pfn;		/* head pfn of the folio */
	u32 order;
	u64 pfn;		/* the subpage */
	struct ps_op op;	/* the breaking event */
	struct ps_state before;
	struct ps_state after;
	char what[256];		/* one sentence */
	/* lineage of the folio at the time, copied */
	struct ps_lineage *lineage;
	u32 nr_lineage;
	/* file offset of the kernel stack recorded with op (0: none);
	 * found by ps_check_windows() */
	u64 stack_offset;
};

struct ps_rule {
	const char *id;		/* "collapse-pinned" */
	const char *summary;	/* the invariant in one sentence */
	const char *source;	/* the linux-mm discussion it comes from */
	const char *needs;	/* human words for what it needs */
	/*
	 * The kernels it applies to, in words.  Whether a recording's kernel
	 * is one of them is decided by can_run from the recording's events
	 * and layout markers, never from the release string.
	 */
	const char *kernels;
	u32 needs_tracks;	/* PS_KNOWN_* that must all be tracked */
	u32 needs_any_tracks;	/* PS_KNOWN_* of which one must be */
	/* events (system:name) of which at least one must be recorded */
	const char *needs_any_event[4];
	/*
	 * anything else: false and why if it cannot run.  A why starting
	 * with "not applicable" means the kernel has no such thing (check
	 * prints it as is).
	 */
	bool (*can_run)(struct ps_check *c, char *why, size_t size);

	/* once, before the replay */
	void (*init)(struct ps_check *c, void *priv);
	/* per-op check; may call ps_check_report() */
	void (*op)(struct ps_check *c, void *priv, const struct ps_op *op,
		   const struct ps_folio *f, const struct ps_state *before,
		   const struct ps_state *after);
	/* called for every engine anomaly (underflow, mismatch, ...) */
	void (*anomaly)(struct ps_check *c, void *priv, enum ps_anomaly a,
			const struct ps_op *op, const struct ps_folio *f);
	/* end of the recording */
	void (*end)(struct ps_check *c, void *priv);
	size_t priv_size;	/* zeroed per run, freed at the end */
	void (*priv_free)(void *priv);
};

/* The rule table, NULL-terminated by id. */
extern const struct ps_rule *const ps_rules[];
const struct ps_rule *ps_rule_find(const char *id);

/*
 * Reports a finding of rule r.  f may be NULL for findings not about a
 * live folio.  Uncertain findings are counted (and kept for --uncertain).
 */
void ps_check_report(struct ps_check *c, const struct ps_rule *r,
		     enum ps_severity sev, const struct ps_op *op,
		     const struct ps_folio *f, const struct ps_state *before,
		     const struct ps_state *after, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

/*
 * The same, on a folio that has ended since op (freed, migrated away):
 * named by the head pfn and order it had then.  Whether lost events
 * make a break unsure is the rule's to ask while it had the folio
 * (ps_check_folio_unsure()).
 */
void ps_check_report_ended(struct ps_check *c, const struct ps_rule *r,
			   enum ps_severity sev, const struct ps_op *op,
			   u64 head, u32 order, const struct ps_state *before,
			   const struct ps_state *after, const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));

/*
 * The recording's markers (read during the replay) show the kernel has
 * nothing rule r is about: r stops and says why ("not applicable: ...").
 */
void ps_check_not_applicable(struct ps_check *c, const struct ps_rule *r,
			     const char *why);

/* Were events lost since ts (any CPU)?  Then state after ts is unsure. */
bool ps_check_lost_since(const struct ps_check *c, u64 ts);
/*
 * Whether lost events make a verdict on folio f unsure: events were lost
 * in its life, or before it when it was not born by an alloc we saw.
 * ps_check_report() applies it to f; a rule that reports later (at a
 * collapse's end) asks while it still has the folio.
 */
bool ps_check_folio_unsure(const struct ps_check *c,
			   const struct ps_folio *f);
struct ps_engine *ps_check_engine(struct ps_check *c);
/* The recording being checked; NULL when a unit test feeds ops by hand. */
struct ps_trace *ps_check_trace(const struct ps_check *c);
/* The end-state verifier hooked to the engine (see verify.h). */
struct ps_verify *ps_check_verify(const struct ps_check *c);

#endif /* PAGESTATE_RULE_H */
