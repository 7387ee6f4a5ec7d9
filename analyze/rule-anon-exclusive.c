// SPDX-License-Identifier: GPL-2.0
/*
 * anon-exclusive-pinned: PG_anon_exclusive is what makes GUP pins of
 * anonymous pages reliable (David Hildenbrand's 2022 series "mm: COW
 * fixes part 2: reliable GUP pins of anonymous pages").  Its rules:
 *
 *  - FOLL_PIN only an anon (sub)page that is exclusive to this mm: the
 *    bit per subpage of a PTE-mapped folio, on the head of a PMD-mapped
 *    one.  (GUP-fast may grab and immediately drop a non-exclusive page;
 *    a pin undone by the same task at once is not a break.)
 *  - never clear the bit while the page may be pinned (fork copies such
 *    pages instead of sharing them, KSM leaves them alone);
 *  - so a pinned anon page never gains a mapping in a second mm.
 *
 * The bit is read at every probe (kprobes fetch page->flags at entry),
 * so a clear the kernel made between two probes shows at the next one.
 */
#include <string.h>

#include "pagestate/check.h"

extern const struct ps_rule rule_anon_exclusive_pinned;

#define SLOTS 16

struct pending_pin {
	int pid;
	struct ps_op op;
	struct ps_state before;
	bool pmd_mapped;
};

/*
 * fork shared a pinned THP's PMD (copy_huge_pmd() tells the child's mm):
 * the break waits for the child's pid, which the recorder's task marker
 * brings once fork returns, or the first op of another task in that mm.
 */
struct pending_fork {
	int parent;		/* 0: free */
	struct ps_op op;
	struct ps_state before, after;
};

struct ae_priv {
	struct pending_pin p[SLOTS];
	struct pending_fork fk[SLOTS];
};

static bool is_anon(const struct ps_op *op, const struct ps_state *before)
{
	return (op->obs_flags | before->flags) & PS_PG_ANON;
}

/* Exclusive as the kernel held it at the op, or -1 when unknown. */
static int exclusive_at(const struct ps_op *op, const struct ps_folio *f,
			const struct ps_state *before, bool *pmd_mapped)
{
	*pmd_mapped = before->live && before->order &&
		      before->entire_mapcount > 0;
	if (*pmd_mapped)
		return !!(before->flags & PS_PG_ANON_EXCLUSIVE);
	/*
	 * try_grab_folio(folio, ...) of 6.12 is told the folio, not which
	 * of its pages GUP checked with gup_must_unshare(): the head's bit
	 * says nothing of that page, and our model of the others misses
	 * the fault that unshares a page by reusing it (do_wp_page() sets
	 * the bit with no rmap call).  Unknown, so uncertain, never a
	 * break on a modelled bit alone.
	 */
	if (op->kind == PS_OP_PIN && (op->flags & PS_OPF_FOLIO_ONLY) &&
	    f->order)
		return -1;
	/*
	 * /proc/kpageflags of a tail page: 6.10 on, stable_page_flags()
	 * copies the folio's flags word, so KPF_MAPPEDTODISK there is the
	 * head's PG_anon_exclusive, not this page's.
	 */
	if (op->kind == PS_OP_SNAPSHOT &&
	    (op->obs_flags & PS_PG_COMPOUND_TAIL))
		return -1;
	/* a flags op that reads only some flags (mm_lru_activate) says
	 * nothing of anon_exclusive */
	if (op->kind == PS_OP_FLAGS && op->val2 &&
	    !((u64)op->val2 & (PS_PG_ANON_EXCLUSIVE | PS_PG_MAPPEDTODISK)))
		return -1;
	if (op->flags & PS_OPF_HAS_OBS_FLAGS)
		return !!(op->obs_flags & (PS_PG_ANON_EXCLUSIVE |
					   PS_PG_MAPPEDTODISK));
	return -1;
}

static void flush_pin(struct ps_check *c, struct pending_pin *pp)
{
	const struct ps_folio *f;

	if (!pp->pid)
		return;
	f = ps_folio_find(ps_check_engine(c), pp->op.pfn);
	ps_check_report(c, &rule_anon_exclusive_pinned, PS_SEV_BREAK, &pp->op,
			f, &pp->before, &pp->before, "FOLL_PIN of an anon %s "
			"that is not anon_exclusive",
			pp->pmd_mapped ? "PMD-mapped THP (head bit clear)" :
			"page");
	memset(pp, 0, sizeof(*pp));
}

static struct pending_pin *slot(struct ae_priv *ap, int pid)
{
	int i;

	for (i = 0; i < SLOTS; i++)
		if (ap->p[i].pid == pid)
			return &ap->p[i];
	return NULL;
}

/* Report the held fork: child is its pid, 0 when it never showed. */
static void flush_fork(struct ps_check *c, struct pending_fork *pf, int child)
{
	struct ps_trace *t = ps_check_trace(c);
	const struct ps_folio *f;
	char who[96];

	if (!pf->parent)
		return;
	if (child > 0)
		snprintf(who, sizeof(who), "task %s[%d], mm 0x%llx",
			 t ? ps_trace_comm(t, child) : "", child,
			 (unsigned long long)pf->op.mm);
	else
		snprintf(who, sizeof(who), "task unknown, mm 0x%llx",
			 (unsigned long long)pf->op.mm);
	f = ps_folio_find(ps_check_engine(c), pf->op.pfn);
	ps_check_report(c, &rule_anon_exclusive_pinned, PS_SEV_BREAK, &pf->op,
			f, &pf->before, &pf->after, "fork shared a pinned anon "
			"THP's PMD (pincount %d) with the child (%s) and "
			"cleared anon_exclusive; the parent's mm 0x%llx",
			pf->before.pincount, who,
			(unsigned long long)pf->op.val2);
	memset(pf, 0, sizeof(*pf));
}

/*
 * The child of a held fork shows: the recorder's task marker (pid, ppid
 * in val), or another task's op in the child's mm.
 */
static void fork_child(struct ps_check *c, struct ae_priv *ap,
		       const struct ps_op *op)
{
	int i;

	for (i = 0; i < SLOTS; i++) {
		struct pending_fork *pf = &ap->fk[i];

		if (!pf->parent || op->pid <= 0 || op->pid == pf->parent)
			continue;
		if (op->kind == PS_OP_TASK ? op->val == pf->parent :
		    op->mm == pf->op.mm)
			flush_fork(c, pf, op->pid);
	}
}

static void hold_fork(struct ps_check *c, struct ae_priv *ap,
		      const struct ps_op *op, const struct ps_state *before,
		      const struct ps_state *after)
{
	struct pending_fork *pf = NULL;
	int i;

	for (i = 0; i < SLOTS && !pf; i++)
		if (!ap->fk[i].parent)
			pf = &ap->fk[i];
	if (!pf) {
		/* full: the oldest goes out without its child's name */
		pf = &ap->fk[0];
		for (i = 1; i < SLOTS; i++)
			if (ap->fk[i].op.ts < pf->op.ts)
				pf = &ap->fk[i];
		flush_fork(c, pf, 0);
	}
	pf->parent = op->pid > 0 ? op->pid : -1;
	pf->op = *op;
	pf->before = *before;
	pf->after = *after;
}

static void ae_op(struct ps_check *c, void *priv, const struct ps_op *op,
		  const struct ps_folio *f, const struct ps_state *before,
		  const struct ps_state *after)
{
	struct ae_priv *ap = priv;
	struct pending_pin *pp = slot(ap, op->pid);
	bool pmd_mapped, was;
	int ae;

	if (op->mm || op->kind == PS_OP_TASK)
		fork_child(c, ap, op);

	/* GUP-fast's grab-then-drop of a page that must be unshared */
	if (pp && op->kind == PS_OP_UNPIN && op->pfn == pp->op.pfn) {
		memset(pp, 0, sizeof(*pp));
		return;
	}
	if (pp)
		flush_pin(c, pp);
	if (!f || !is_anon(op, before))
		return;

	ae = exclusive_at(op, f, before, &pmd_mapped);
	if (op->kind == PS_OP_PIN) {
		if (ae < 0) {
			ps_check_report(c, &rule_anon_exclusive_pinned,
					PS_SEV_UNCERTAIN, op, f, before, after,
					"FOLL_PIN: anon_exclusive unknown");
		} else if (!ae) {
			int i;

			for (i = 0; i < SLOTS && ap->p[i].pid; i++)
				;
			pp = &ap->p[i < SLOTS ? i : op->pid % SLOTS];
			if (pp->pid)
				flush_pin(c, pp);
			pp->pid = op->pid;
			pp->op = *op;
			pp->before = *before;
			pp->pmd_mapped = pmd_mapped;
		}
	}

	if (!(before->known & PS_KNOWN_PINCOUNT) || before->pincount <= 0)
		return;
	/* the bit, as we last saw it, against what the kernel shows now */
	was = pmd_mapped ? before->flags & PS_PG_ANON_EXCLUSIVE :
	      before->sub_flags & PS_SUB_ANON_EXCLUSIVE;
	if (was && ae == 0)
		ps_check_report(c, &rule_anon_exclusive_pinned, PS_SEV_BREAK,
				op, f, before, after, "anon_exclusive was "
				"cleared while the page is pinned (pincount "
				"%d)", before->pincount);
	/*
	 * fork must copy a maybe-pinned anon page for the child
	 * (page_needs_cow_for_dma); sharing it clears anon_exclusive under
	 * the pin, and the next write fault of either side moves the
	 * process away from the page the pin holds.
	 */
	if (op->kind == PS_OP_FORK_DUP && op->mm &&
	    (op->flags & PS_OPF_COMPOUND))
		hold_fork(c, ap, op, before, after);
	else if (op->kind == PS_OP_FORK_DUP)
		ps_check_report(c, &rule_anon_exclusive_pinned, PS_SEV_BREAK,
				op, f, before, after, "fork shared a pinned "
				"anon page (pincount %d) with the child and "
				"cleared anon_exclusive", before->pincount);
	else if (op->kind == PS_OP_RMAP_ADD && (op->flags & PS_OPF_ANON) &&
		 !(op->flags & (PS_OPF_NEW | PS_OPF_SPLIT_REMAP)) &&
		 before->mapcount > 0)
		ps_check_report(c, &rule_anon_exclusive_pinned, PS_SEV_BREAK,
				op, f, before, after, "a pinned anon page "
				"(pincount %d) gained another mapping",
				before->pincount);
}

static void ae_end(struct ps_check *c, void *priv)
{
	struct ae_priv *ap = priv;
	int i;

	for (i = 0; i < SLOTS; i++) {
		flush_pin(c, &ap->p[i]);
		flush_fork(c, &ap->fk[i], 0);
	}
}

const struct ps_rule rule_anon_exclusive_pinned = {
	.id = "anon-exclusive-pinned",
	.kernels = "5.19 on (PG_anon_exclusive): 6.1, 6.12, 7.2",
	.summary = "FOLL_PIN only anon_exclusive pages; never clear "
		   "anon_exclusive, or share the page, while it may be pinned",
	.source = "2022 \"mm: COW fixes part 2: reliable GUP pins of "
		  "anonymous pages\" (PG_anon_exclusive)",
	.needs = "GUP and rmap kprobes",
	.needs_tracks = PS_KNOWN_PINCOUNT,
	.op = ae_op,
	.end = ae_end,
	.priv_size = sizeof(struct ae_priv),
};
