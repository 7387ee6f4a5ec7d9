// SPDX-License-Identifier: GPL-2.0
/*
 * Generic rules: what no page may ever do, whatever the path.
 */
#include "pagestate/check.h"

extern const struct ps_rule rule_refcount_underflow, rule_mapcount_underflow,
	rule_observed_vs_derived, rule_free_while_used, rule_use_after_free,
	rule_pincount_vs_refcount;

/* The engine's own anomalies, one rule each. */
static void report_anomaly(struct ps_check *c, const struct ps_rule *r,
			   enum ps_anomaly want, enum ps_anomaly a,
			   const struct ps_op *op, const struct ps_folio *f,
			   const char *what)
{
	struct ps_state st;

	if (a != want)
		return;
	ps_folio_state(f, op->pfn, &st);
	ps_check_report(c, r, PS_SEV_BREAK, op, f, &st, &st, "%s (%s)", what,
			ps_op_kind_name(op->kind));
}

static void refcount_underflow(struct ps_check *c, void *priv,
			       enum ps_anomaly a, const struct ps_op *op,
			       const struct ps_folio *f)
{
	report_anomaly(c, &rule_refcount_underflow, PS_ANOM_REFCOUNT_UNDERFLOW,
		       a, op, f, "refcount went below zero");
}

const struct ps_rule rule_refcount_underflow = {
	.id = "refcount-underflow",
	.kernels = "all",
	.summary = "a folio's _refcount never goes below zero",
	.source = "generic (VM_BUG_ON_PAGE(page_ref_count(page) == 0) in put_page_testzero)",
	.needs = "page_ref events (CONFIG_DEBUG_PAGE_REF)",
	.needs_tracks = PS_KNOWN_REFCOUNT,
	.anomaly = refcount_underflow,
};

static void mapcount_underflow(struct ps_check *c, void *priv,
			       enum ps_anomaly a, const struct ps_op *op,
			       const struct ps_folio *f)
{
	report_anomaly(c, &rule_mapcount_underflow, PS_ANOM_MAPCOUNT_UNDERFLOW,
		       a, op, f, "mapcount went below zero");
}

const struct ps_rule rule_mapcount_underflow = {
	.id = "mapcount-underflow",
	.kernels = "all",
	.summary = "no (sub)page or entire mapcount goes below zero",
	.source = "generic (\"Bad page map\": page_remove_rmap on an unmapped page)",
	.needs = "rmap kprobes",
	.needs_tracks = PS_KNOWN_MAPCOUNT,
	.anomaly = mapcount_underflow,
};

static void observed_vs_derived(struct ps_check *c, void *priv,
				enum ps_anomaly a, const struct ps_op *op,
				const struct ps_folio *f)
{
	report_anomaly(c, &rule_observed_vs_derived, PS_ANOM_OBS_MISMATCH, a,
		       op, f, "the kernel's own count disagrees with the "
		       "count derived from the recorded operations");
}

const struct ps_rule rule_observed_vs_derived = {
	.id = "observed-vs-derived",
	.kernels = "all (folio counts on 6.12+)",
	.summary = "refcount/mapcount the kernel reports (page_ref, kprobe "
		   "fetches) equal what the recorded operations imply",
	.source = "generic (an unrecorded change: a kernel path that "
		  "changes a count outside the rmap/GUP/refcount helpers)",
	.needs = "page_ref events or rmap kprobes",
	.needs_any_tracks = PS_KNOWN_REFCOUNT | PS_KNOWN_MAPCOUNT,
	.anomaly = observed_vs_derived,
};

/* A folio freed while the recording says it is still mapped or held. */
static void free_while_used(struct ps_check *c, void *priv,
			    const struct ps_op *op, const struct ps_folio *f,
			    const struct ps_state *before,
			    const struct ps_state *after)
{
	if (op->kind != PS_OP_FREE || !f || !before->live ||
	    f->pfn != op->pfn)
		return;
	if ((before->known & PS_KNOWN_MAPCOUNT) && before->mapcount > 0)
		ps_check_report(c, &rule_free_while_used, PS_SEV_BREAK, op, f,
				before, after, "freed while still mapped "
				"(mapcount %d)", before->mapcount);
	else if ((before->known & PS_KNOWN_REFCOUNT) && before->refcount > 0)
		ps_check_report(c, &rule_free_while_used, PS_SEV_BREAK, op, f,
				before, after, "freed with refcount %lld",
				(long long)before->refcount);
	else if ((before->known & PS_KNOWN_PINCOUNT) && before->pincount > 0)
		ps_check_report(c, &rule_free_while_used, PS_SEV_BREAK, op, f,
				before, after, "freed while pinned "
				"(pincount %d)", before->pincount);
}

const struct ps_rule rule_free_while_used = {
	.id = "free-while-used",
	.kernels = "all",
	.summary = "a folio goes back to the buddy allocator only with no "
		   "mapping, reference or pin left",
	.source = "generic (\"BUG: Bad page state\")",
	.needs = "page_ref events, rmap or GUP kprobes",
	.needs_any_tracks = PS_KNOWN_REFCOUNT | PS_KNOWN_MAPCOUNT |
			    PS_KNOWN_PINCOUNT,
	.needs_any_event = { "kmem:mm_page_free" },
	.op = free_while_used,
};

/*
 * Use after free: a reference or pin taken on a pfn the recording saw
 * freed and not allocated again.  Mappings are not counted: 6.1's
 * compaction hands isolated free pages to migration without an
 * allocation event, and remove_migration_pte() maps them legitimately;
 * the engine takes those as untraced allocations.
 */
static void use_after_free(struct ps_check *c, void *priv,
			   const struct ps_op *op, const struct ps_folio *f,
			   const struct ps_state *before,
			   const struct ps_state *after)
{
	/* the op made the engine meet the page: nothing was allocated there */
	if ((op->kind != PS_OP_REF && op->kind != PS_OP_PIN) ||
	    (op->kind == PS_OP_REF && op->val <= 0) || !f ||
	    f->nr_ops != 1 || (f->known & PS_KNOWN_BIRTH) ||
	    !ps_engine_pfn_last_free(ps_check_engine(c), op->pfn, NULL))
		return;
	ps_check_report(c, &rule_use_after_free, PS_SEV_BREAK, op, f, before,
			after, "%s on a page freed earlier and not "
			"allocated since", ps_op_kind_name(op->kind));
}

const struct ps_rule rule_use_after_free = {
	.id = "use-after-free",
	.kernels = "all",
	.summary = "no reference, pin or mapping is taken on a page after it "
		   "was freed and before it is allocated again",
	.source = "generic (use-after-free of struct page)",
	.needs = "kmem page alloc/free events",
	.needs_any_event = { "kmem:mm_page_free" },
	.op = use_after_free,
};

/* A pin is a reference too: pincount can never exceed what refcount holds. */
static void pincount_vs_refcount(struct ps_check *c, void *priv,
				 const struct ps_op *op,
				 const struct ps_folio *f,
				 const struct ps_state *before,
				 const struct ps_state *after)
{
	s64 need;

	/*
	 * A pin probe fires at try_grab_*() entry, just before the
	 * reference it takes: the invariant holds again once that lands.
	 */
	if (!f || !after->live || op->kind == PS_OP_FREE ||
	    op->kind == PS_OP_PIN ||
	    !(after->known & PS_KNOWN_REFCOUNT) ||
	    !(after->known & PS_KNOWN_PINCOUNT) || after->pincount <= 0)
		return;
	need = after->order ? after->pincount :
	       (s64)after->pincount * PS_GUP_PIN_COUNTING_BIAS;
	if (after->refcount >= need)
		return;
	ps_check_report(c, &rule_pincount_vs_refcount, PS_SEV_BREAK, op, f,
			before, after, "pincount %d needs refcount >= %lld, "
			"has %lld", after->pincount, (long long)need,
			(long long)after->refcount);
}

const struct ps_rule rule_pincount_vs_refcount = {
	.id = "pincount-vs-refcount",
	.kernels = "all",
	.summary = "every FOLL_PIN holds references: refcount >= pincount "
		   "(x GUP_PIN_COUNTING_BIAS on small folios)",
	.source = "2020 \"mm/gup: track FOLL_PIN pages\" (pin accounting)",
	.needs = "page_ref events and GUP kprobes",
	.needs_tracks = PS_KNOWN_REFCOUNT | PS_KNOWN_PINCOUNT,
	.op = pincount_vs_refcount,
};
