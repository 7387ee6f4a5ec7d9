// SPDX-License-Identifier: GPL-2.0
/*
 * collapse-pinned: khugepaged / MADV_COLLAPSE must not replace a page
 * that someone else holds.  The kernel's own test (is_refcount_suitable()
 * in __collapse_huge_page_isolate()) is refcount == total mapcount (+
 * swap cache); GUP pins always hold real references, so a pinned page
 * fails it.  Source: the 2020 khugepaged "page shared across fork" fix
 * and the GUP pin discussions after it.
 *
 * Where we look: after a successful isolation, the collapsing task
 * copies each old page and drops its PTE with page_remove_rmap() (6.1
 * __collapse_huge_page_copy()).  At that call the page holds its mapping
 * and the isolation reference (handed to the LRU by putback_lru_page()),
 * nothing more; anything above that, or a pin, is an external reference
 * that the collapse is about to orphan: the holder keeps the old page
 * while the process maps the new one.  Findings wait for the collapse's
 * result: one that did not go ahead broke nothing.
 *
 * The shmem/file collapse (collapse_file()) is the second path: from its
 * start (a kprobe) the collapsing task unmaps each old page
 * (try_to_unmap()) while it holds its lookup reference, the page
 * cache's and the isolation's; the kernel expects nothing more
 * (page_ref_freeze(page, 3) once unmapped).  The scan's result
 * (mm_khugepaged_scan_file) says whether the page cache took the THP:
 * succeeded, or pte_mapped_hugepage when only the page tables were left
 * for later.
 */
#include <string.h>

#include "pagestate/check.h"

extern const struct ps_rule rule_collapse_pinned;

#define SLOTS	8
#define PENDING	16

struct pending {
	struct ps_op op;
	struct ps_state before;
	struct ps_state after;
	char what[160];
	enum ps_severity sev;
	u64 folio_pfn;
};

struct collapse_win {
	int pid;
	bool open;
	bool file;		/* collapse_file(): 3 references expected */
	int nr;
	struct pending p[PENDING];
};

struct collapse_priv {
	struct collapse_win w[SLOTS];
};

static bool succeeded(const struct ps_op *op)
{
	return op->result_name ? !strcmp(op->result_name, "succeeded") :
	       op->result == 1;
}

/* The page cache holds the THP now: the old pages are gone from it. */
static bool file_went_ahead(const struct ps_op *op)
{
	return succeeded(op) || (op->result_name &&
				 !strcmp(op->result_name, "pte_mapped_hugepage"));
}

static bool refused_for_refs(const struct ps_op *op)
{
	return op->result_name &&
	       !strcmp(op->result_name, "not_suitable_page_count");
}

static struct collapse_win *win(struct collapse_priv *cp, int pid, bool make)
{
	int i, free_slot = -1;

	for (i = 0; i < SLOTS; i++) {
		if (cp->w[i].pid == pid)
			return &cp->w[i];
		if (!cp->w[i].pid && free_slot < 0)
			free_slot = i;
	}
	if (!make)
		return NULL;
	i = free_slot >= 0 ? free_slot : pid % SLOTS;
	memset(&cp->w[i], 0, sizeof(cp->w[i]));
	cp->w[i].pid = pid;
	return &cp->w[i];
}

/*
 * The page's references and mappings as the kernel counts them for
 * is_refcount_suitable(): a small page's own; a PTE-mapped THP's are
 * the folio's (_refcount on the head, total mapcount).  False when the
 * recording cannot tell.
 */
static bool source_counts(const struct ps_op *op, const struct ps_state *before,
			  s64 *ref, s64 *map)
{
	/*
	 * 6.12's is_refcount_suitable() (mm/khugepaged.c) compares the
	 * folio's refcount with folio_mapcount(): a folio-era probe read
	 * both at entry.
	 */
	if ((op->flags & PS_OPF_FOLIO_OBS) &&
	    (op->fobs.have & PS_FOBS_REFCOUNT) &&
	    (!op->fobs.order || (op->fobs.have & PS_FOBS_LARGE))) {
		*ref = op->fobs.refcount;
		*map = op->fobs.order ? op->fobs.large_mapcount :
		       op->obs_mapcount;
		return true;
	}
	if (before->live && before->order) {
		if (!(before->known & PS_KNOWN_MAPCOUNT))
			return false;
		*map = before->mapcount;
		if (before->known & PS_KNOWN_REFCOUNT)
			*ref = before->refcount;
		else if (op->pfn == before->head &&
			 (op->flags & PS_OPF_HAS_OBS_COUNT))
			*ref = op->obs_count;
		else
			return false;
		return true;
	}
	if (op->flags & PS_OPF_HAS_OBS_COUNT)
		*ref = op->obs_count;
	else if (before->known & PS_KNOWN_REFCOUNT)
		*ref = before->refcount;
	else
		return false;
	if (op->flags & PS_OPF_HAS_OBS_MAPCOUNT)
		*map = op->obs_mapcount;
	else if (before->known & PS_KNOWN_MAPCOUNT)
		*map = before->sub_mapcount + before->entire_mapcount;
	else
		return false;
	return true;
}

/*
 * Judged when khugepaged unmaps the page, reported when the collapse
 * ends: by then the pfn may hold another folio, so whether lost events
 * make the verdict unsure (@unsure) is decided here, on this one.
 */
static void check_source_page(struct collapse_win *w, const struct ps_op *op,
			      const struct ps_folio *f,
			      const struct ps_state *before,
			      const struct ps_state *after, bool unsure)
{
	s64 swap = (before->flags & PS_PG_SWAPCACHE) ? 1 : 0;
	/* the isolation's; collapse_file() also its lookup and the cache */
	s64 base = w->file ? 3 : 1;
	struct pending *p;
	s64 ref, map, extra;
	int i;

	if (w->nr == PENDING)
		return;
	/* a compound source is judged once, on the folio's counts */
	for (i = 0; before->order && i < w->nr; i++)
		if (w->p[i].folio_pfn == before->head)
			return;
	p = &w->p[w->nr];
	p->op = *op;
	p->before = *before;
	p->after = *after;
	p->folio_pfn = f ? f->pfn : op->pfn;
	if ((before->known & PS_KNOWN_PINCOUNT) && before->pincount > 0) {
		p->sev = unsure ? PS_SEV_UNCERTAIN : PS_SEV_BREAK;
		snprintf(p->what, sizeof(p->what), "collapse replaced a page "
			 "pinned %d time%s (FOLL_PIN); the pin now holds a "
			 "page the process no longer maps", before->pincount,
			 before->pincount == 1 ? "" : "s");
		w->nr++;
		return;
	}
	if (!source_counts(op, before, &ref, &map)) {
		if (!before->order || op->pfn == before->head) {
			p->sev = PS_SEV_UNCERTAIN;
			snprintf(p->what, sizeof(p->what), "collapse source "
				 "page: refcount or mapcount unknown");
			w->nr++;
		}
		return;
	}
	/* mapping(s) + swap cache + the isolation/LRU reference (+ the
	 * lookup and the page cache, collapse_file) */
	extra = ref - map - swap - base;
	if (extra <= 0)
		return;
	p->sev = unsure ? PS_SEV_UNCERTAIN : PS_SEV_BREAK;
	snprintf(p->what, sizeof(p->what), "collapse went ahead with %lld "
		 "external reference%s on this %s (refcount %lld, mapcount "
		 "%lld, swapcache %lld)", (long long)extra, extra == 1 ? "" : "s",
		 before->order ? "THP" : "page", (long long)ref, (long long)map,
		 (long long)swap);
	w->nr++;
}

static void collapse_op(struct ps_check *c, void *priv, const struct ps_op *op,
			const struct ps_folio *f, const struct ps_state *before,
			const struct ps_state *after)
{
	struct collapse_priv *cp = priv;
	struct collapse_win *w;
	int i;

	switch (op->kind) {
	case PS_OP_COLLAPSE_SCAN:
	case PS_OP_COLLAPSE_ISOLATE:
		if (refused_for_refs(op))
			ps_check_report(c, &rule_collapse_pinned, PS_SEV_INFO,
					op, f, before, after, "collapse refused "
					"(SCAN_PAGE_COUNT): a page had extra "
					"references; the kernel did its job");
		if (op->kind == PS_OP_COLLAPSE_ISOLATE && succeeded(op)) {
			w = win(cp, op->pid, true);
			w->open = true;
			w->file = false;
			w->nr = 0;
		}
		break;
	case PS_OP_COLLAPSE_BEGIN:
		w = win(cp, op->pid, true);
		w->open = true;
		w->file = true;
		w->nr = 0;
		break;
	case PS_OP_RMAP_REMOVE:
		w = win(cp, op->pid, false);
		if (w && w->open && !(op->flags & PS_OPF_COMPOUND))
			check_source_page(w, op, f, before, after,
					  ps_check_folio_unsure(c, f));
		break;
	case PS_OP_COLLAPSE:
		w = win(cp, op->pid, false);
		if (refused_for_refs(op))
			ps_check_report(c, &rule_collapse_pinned, PS_SEV_INFO,
					op, f, before, after, "collapse refused "
					"(SCAN_PAGE_COUNT): a page had extra "
					"references; the kernel did its job");
		if (!w)
			break;
		/* an anon collapse's end does not close a file window */
		if (w->file != !!(op->flags & PS_OPF_FILE))
			break;
		for (i = 0; (w->file ? file_went_ahead(op) : succeeded(op)) &&
		     i < w->nr; i++) {
			struct pending *p = &w->p[i];
			const struct ps_folio *pf =
				ps_folio_find(ps_check_engine(c), p->op.pfn);

			ps_check_report(c, &rule_collapse_pinned, p->sev,
					&p->op, pf, &p->before, &p->after,
					"%s", p->what);
		}
		memset(w, 0, sizeof(*w));
		break;
	default:
		break;
	}
}

static bool collapse_can_run(struct ps_check *c, char *why, size_t size)
{
	struct ps_trace *t = ps_check_trace(c);

	if (!ps_trace_has_event(t, "huge_memory",
				"mm_collapse_huge_page_isolate") ||
	    (!ps_trace_has_event(t, "pagestate", "rmap_remove") &&
	     !ps_trace_has_event(t, "pagestate", "folio_remove_ptes"))) {
		snprintf(why, size, "needs huge_memory collapse tracepoints "
			 "and the folio_remove_ptes or rmap_remove kprobe");
		return false;
	}
	return true;
}

const struct ps_rule rule_collapse_pinned = {
	.id = "collapse-pinned",
	.kernels = "every kernel with khugepaged/MADV_COLLAPSE: 6.1, 6.12, 7.2",
	.summary = "a page khugepaged/MADV_COLLAPSE replaces has no external "
		   "reference or pin: refcount == mapcount + swapcache",
	.source = "2020 khugepaged \"page shared across fork\" fix "
		  "(is_refcount_suitable), GUP pins take real references",
	.needs = "huge_memory tracepoints and rmap kprobes (refcount from "
		 "the probe or page_ref)",
	.can_run = collapse_can_run,
	.op = collapse_op,
	.priv_size = sizeof(struct collapse_priv),
};
