// SPDX-License-Identifier: GPL-2.0
/*
 * Adapters for the kprobe profile (include/pagestate/probes.h): rmap,
 * GUP, PMD split and split_huge_page probes that `record` places on test
 * kernels.  Probes hand us struct page pointers and raw page->flags; the
 * recording's "layout" and "pageflags" markers say how to turn them into
 * pfns and flags for the kernel that was traced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagestate/folio.h"
#include "pagestate/probes.h"
#include "adapter.h"

enum { KF_PAGE, KF_PFLAGS, KF_MAPCOUNT, KF_REFCOUNT, KF_X1, KF_X2 };

#define X86_PMD_PRESENT		(1ull << 0)
#define X86_PMD_PSE		(1ull << 7)
#define X86_PMD_PROTNONE	(1ull << 8)
#define X86_PTE_PFN_MASK	0x000ffffffffff000ull

static u64 page_pfn(struct ps_trace *t, u64 page)
{
	const struct ps_layout *l = &ps_trace_meta_mut(t)->layout;

	if (!l->valid || page < l->vmemmap_base || !l->struct_page)
		return PS_PFN_NONE;
	return (page - l->vmemmap_base) / l->struct_page;
}

/*
 * The struct page fields every per-page probe fetched at function entry:
 * the page's state BEFORE the function acted.  Returns false when the
 * recording has no layout to place the page with.
 */
static bool page_fields(struct ps_trace *t, struct ps_event_adapter *ea,
			struct tep_record *rec, struct ps_op *op)
{
	op->pfn = page_pfn(t, (u64)ps_field(t, ea, rec, KF_PAGE));
	if (op->pfn == PS_PFN_NONE) {
		ps_trace_meta_mut(t)->probe_no_layout++;
		return false;
	}
	if (ea->f[KF_MAPCOUNT]) {
		op->obs_mapcount = ps_field(t, ea, rec, KF_MAPCOUNT) + 1;
		op->flags |= PS_OPF_HAS_OBS_MAPCOUNT | PS_OPF_OBS_BEFORE;
	}
	if (ea->f[KF_REFCOUNT]) {
		op->obs_count = ps_field(t, ea, rec, KF_REFCOUNT);
		op->flags |= PS_OPF_HAS_OBS_COUNT | PS_OPF_OBS_BEFORE;
	}
	if (ea->f[KF_PFLAGS]) {
		op->obs_flags = ps_pflags_decode(t, (u64)ps_field(t, ea, rec,
							       KF_PFLAGS));
		op->flags |= PS_OPF_HAS_OBS_FLAGS | PS_OPF_OBS_BEFORE;
	}
	return true;
}

/* PG_anon_exclusive shares PG_mappedtodisk's bit; on anon pages it is AE. */
static void anon_page(struct ps_op *op)
{
	op->flags |= PS_OPF_ANON;
	if (op->obs_flags & PS_PG_MAPPEDTODISK)
		op->obs_flags = (op->obs_flags & ~PS_PG_MAPPEDTODISK) |
				PS_PG_ANON_EXCLUSIVE;
	op->obs_flags |= PS_PG_ANON;
}

/* --- the folio era (6.12+, probes.h) ---------------------------------- */

enum {
	FF_FOLIO, FF_FFLAGS, FF_FREF, FF_FMAP, FF_FLAGS1, FF_LARGE, FF_ENTIRE,
	FF_NPM, FF_FPIN, FF_PAGE, FF_PFLAGS, FF_MAPCOUNT, FF_REFCOUNT,
	FF_X1, FF_X2, FF_X3, FF_X4,
};

#define FOLIO_FIELDS "folio", "fflags", "frefcount", "fmapcount", "flags1", \
	"large_mapcount", "entire_mapcount", "nr_pages_mapped", "fpincount", \
	"page", "pflags", "mapcount", "refcount"

static bool folio_era(struct ps_trace *t)
{
	return ps_trace_has_event(t, PS_PROBE_GROUP,
				  PS_PROBE_FOLIO_ADD_ANON_PTES) ||
	       ps_trace_has_event(t, PS_PROBE_GROUP, PS_PROBE_FOLIO_REMOVE_PTES);
}

/*
 * The folio the probe read: head pfn, order (_flags_1 & 0xff while
 * PG_head, mm.h folio_order() on 6.12) and, for a large folio, its
 * counts as folio_mapcount() and friends return them.  An order-0
 * folio's "large" fields are the next page's: never used.
 */
static void folio_obs(struct ps_trace *t, struct ps_event_adapter *ea,
		      struct tep_record *rec, struct ps_op *op, u64 folio)
{
	struct ps_fobs *o = &op->fobs;
	u64 fl;

	o->head = page_pfn(t, folio);
	if (o->head == PS_PFN_NONE || !ea->f[FF_FFLAGS])
		return;
	op->flags |= PS_OPF_FOLIO_OBS | PS_OPF_OBS_BEFORE;
	fl = ps_pflags_decode(t, (u64)ps_field(t, ea, rec, FF_FFLAGS));
	if (ea->f[FF_FREF]) {
		o->refcount = ps_field(t, ea, rec, FF_FREF);
		o->have |= PS_FOBS_REFCOUNT;
	}
	if (!(fl & PS_PG_COMPOUND_HEAD) || !ea->f[FF_FLAGS1])
		return;
	o->order = (u64)ps_field(t, ea, rec, FF_FLAGS1) & 0xff;
	if (!ea->f[FF_LARGE] || !ea->f[FF_ENTIRE] || !ea->f[FF_NPM] ||
	    !ea->f[FF_FPIN])
		return;
	o->large_mapcount = ps_field(t, ea, rec, FF_LARGE) + 1;
	o->entire_mapcount = ps_field(t, ea, rec, FF_ENTIRE) + 1;
	o->nr_pages_mapped = ps_field(t, ea, rec, FF_NPM);
	o->pincount = ps_field(t, ea, rec, FF_FPIN);
	o->have |= PS_FOBS_LARGE;
}

/*
 * Folio fields and page fields of a folio-era probe.  The page is the
 * folio when the function takes none; its _mapcount is the folio's own
 * on an order-0 folio.  Returns false when the page cannot be placed.
 */
static bool folio_fields(struct ps_trace *t, struct ps_event_adapter *ea,
			 struct tep_record *rec, struct ps_op *op)
{
	u64 folio = (u64)ps_field(t, ea, rec, FF_FOLIO);
	u64 page = ea->f[FF_PAGE] ? (u64)ps_field(t, ea, rec, FF_PAGE) : folio;

	if (!ea->f[FF_FOLIO])
		folio = page;
	op->pfn = page_pfn(t, page);
	if (op->pfn == PS_PFN_NONE) {
		ps_trace_meta_mut(t)->probe_no_layout++;
		return false;
	}
	if (ea->f[FF_MAPCOUNT]) {
		op->obs_mapcount = ps_field(t, ea, rec, FF_MAPCOUNT) + 1;
		op->flags |= PS_OPF_HAS_OBS_MAPCOUNT | PS_OPF_OBS_BEFORE;
	} else if (page == folio && ea->f[FF_FMAP]) {
		op->obs_mapcount = ps_field(t, ea, rec, FF_FMAP) + 1;
		op->flags |= PS_OPF_HAS_OBS_MAPCOUNT | PS_OPF_OBS_BEFORE;
	}
	if (ea->f[FF_PFLAGS]) {
		op->obs_flags = ps_pflags_decode(t, (u64)ps_field(t, ea, rec,
							       FF_PFLAGS));
		op->flags |= PS_OPF_HAS_OBS_FLAGS | PS_OPF_OBS_BEFORE;
	}
	folio_obs(t, ea, rec, op, folio);
	if (op->fobs.have & PS_FOBS_REFCOUNT) {
		op->obs_count = op->fobs.refcount;
		op->flags |= PS_OPF_HAS_OBS_COUNT;
	}
	/*
	 * A reading that does not hold the page is of no use; nor is an
	 * order no folio has (a corrupt file: 1 << order is undefined).
	 */
	if ((op->flags & PS_OPF_FOLIO_OBS) &&
	    (op->fobs.order > PS_MAX_ORDER || op->pfn < op->fobs.head ||
	     op->pfn - op->fobs.head >= 1ull << op->fobs.order))
		op->flags &= ~PS_OPF_FOLIO_OBS;
	return true;
}

/* RMAP_EXCLUSIVE from the layout marker; 0x1 on every kernel since 5.19 */
static bool rmap_exclusive(struct ps_trace *t, u64 rflags)
{
	const struct ps_layout *l = &ps_trace_meta_mut(t)->layout;

	return rflags & (l->rmap_exclusive ? l->rmap_exclusive : 1);
}

/*
 * __split_huge_pmd_locked() (mm/huge_memory.c, 6.12) maps the 512 PTEs
 * that replace a PMD (folio_add_anon_rmap_ptes) before it drops the PMD
 * (folio_remove_rmap_pmd): the same mm's mapping changing shape.
 */
static void split_remap(struct ps_trace *t, struct ps_op *op, bool pmd)
{
	struct ps_fork_slot *fs = ps_trace_fork_slot(t, op->pid, false);

	if (!fs || !fs->split_pfn || !(op->flags & PS_OPF_FOLIO_OBS) ||
	    op->fobs.head != fs->split_pfn)
		return;
	if (op->kind == PS_OP_RMAP_ADD && !pmd)
		op->flags |= PS_OPF_SPLIT_REMAP;
	else if (op->kind == PS_OP_RMAP_REMOVE && pmd)
		fs->split_pfn = 0;
}

/*
 * folio_{add_anon,add_file,remove}_rmap_{ptes,pmd}: what each adds.
 * extra fields: ptes: nr, mm[, addr, rflags]; pmd: mm[, addr, rflags].
 */
static void ad_folio_rmap(struct ps_trace *t, struct ps_event_adapter *ea,
			  struct tep_record *rec, struct ps_op *op)
{
	const char *n = ea->a->name;
	bool pmd = strstr(n, "_pmd") != NULL;
	int x = pmd ? FF_X1 : FF_X2;	/* mm */

	if (!folio_fields(t, ea, rec, op))
		return;
	op->kind = strncmp(n, "folio_remove", 12) ? PS_OP_RMAP_ADD :
		   PS_OP_RMAP_REMOVE;
	op->mm = (u64)ps_field(t, ea, rec, x);
	if (pmd)
		op->flags |= PS_OPF_COMPOUND;
	else
		op->val = ps_field(t, ea, rec, FF_X1);
	split_remap(t, op, pmd);
	if (strstr(n, "_anon_")) {
		op->addr = (u64)ps_field(t, ea, rec, x + 1);
		anon_page(op);
		if (rmap_exclusive(t, (u64)ps_field(t, ea, rec, x + 2)))
			op->flags |= PS_OPF_EXCLUSIVE;
	} else if (strstr(n, "_file_")) {
		op->flags |= PS_OPF_FILE;
	}
	ps_emit(t, op);
}

static void fork_copied(struct ps_fork_slot *fs);

/* folio_add_new_anon_rmap(folio, vma, address, flags): mm, addr, rflags */
static void ad_folio_add_new_anon(struct ps_trace *t,
				  struct ps_event_adapter *ea,
				  struct tep_record *rec, struct ps_op *op)
{
	struct ps_fork_slot *fs = ps_trace_fork_slot(t, op->pid, false);

	if (fs && fs->in_window)
		fork_copied(fs);
	if (!folio_fields(t, ea, rec, op))
		return;
	op->kind = PS_OP_RMAP_ADD;
	op->mm = (u64)ps_field(t, ea, rec, FF_X1);
	op->addr = (u64)ps_field(t, ea, rec, FF_X2);
	anon_page(op);
	op->flags |= PS_OPF_NEW;
	if (rmap_exclusive(t, (u64)ps_field(t, ea, rec, FF_X3)))
		op->flags |= PS_OPF_EXCLUSIVE;
	ps_emit(t, op);
}

/* An entry probe whose kretprobe says whether it happened: hold it. */
static void hold_or_emit(struct ps_trace *t, const char *ret_event,
			 struct ps_op *op)
{
	struct ps_fork_slot *fs;

	if (!ps_trace_has_event(t, PS_PROBE_GROUP, ret_event)) {
		ps_emit(t, op);
		return;
	}
	fs = ps_trace_fork_slot(t, op->pid, true);
	fs->held = *op;
	fs->has_held = true;
}

static void emit_held(struct ps_trace *t, struct ps_op *op,
		      enum ps_op_kind kind, bool happened)
{
	struct ps_fork_slot *fs = ps_trace_fork_slot(t, op->pid, false);

	if (!fs || !fs->has_held || fs->held.kind != kind)
		return;
	fs->has_held = false;
	if (happened)
		ps_emit(t, &fs->held);
}

/*
 * try_grab_folio(folio, refs, flags) and try_grab_folio_fast(page, refs,
 * flags) (mm/gup.c, 6.12): a FOLL_PIN adds refs to a large folio's
 * _pincount (and refcount), refs * GUP_PIN_COUNTING_BIAS to a small
 * one's refcount.  Both can fail; their kretprobes say.
 */
static void ad_folio_grab(struct ps_trace *t, struct ps_event_adapter *ea,
			  struct tep_record *rec, struct ps_op *op)
{
	const struct ps_layout *l = &ps_trace_meta_mut(t)->layout;
	bool fast = !strcmp(ea->a->name, PS_PROBE_GUP_GRAB_FOLIO_FAST);
	u64 gup = (u64)ps_field(t, ea, rec, FF_X2);

	if (!(gup & l->foll_pin))
		return;		/* FOLL_GET: a plain reference, page_ref's job */
	if (!folio_fields(t, ea, rec, op))
		return;
	op->kind = PS_OP_PIN;
	op->val = ps_field(t, ea, rec, FF_X1);
	op->flags |= PS_OPF_PIN;
	if (!fast)
		op->flags |= PS_OPF_FOLIO_ONLY;
	if (gup & l->foll_longterm)
		op->flags |= PS_OPF_LONGTERM;
	hold_or_emit(t, fast ? PS_PROBE_GUP_GRAB_FOLIO_FAST_RET :
		     PS_PROBE_GUP_GRAB_FOLIO_RET, op);
}

/* ret: 0 = grabbed (try_grab_folio); the folio, 0 = failed (_fast) */
static void ad_folio_grab_ret(struct ps_trace *t, struct ps_event_adapter *ea,
			      struct tep_record *rec, struct ps_op *op)
{
	bool fast = !strcmp(ea->a->name, PS_PROBE_GUP_GRAB_FOLIO_FAST_RET);
	s64 ret = ps_field(t, ea, rec, 0);

	emit_held(t, op, PS_OP_PIN, fast ? ret != 0 : ret == 0);
}

/*
 * gup_put_folio(folio, refs, flags) with folio fields,
 * unpin_user_folio(folio, npages) and unpin_folio(folio).  Every unpin_user_* calls
 * gup_put_folio, which gup.c has static: out of line on 6.12, inlined
 * into unpin_user_page on 7.2 (probes.h).  An unpin counts only where
 * its caller inlined the put (ps_trace_unpin_hold).
 */
static void ad_folio_put(struct ps_trace *t, struct ps_event_adapter *ea,
			 struct tep_record *rec, struct ps_op *op)
{
	const struct ps_layout *l = &ps_trace_meta_mut(t)->layout;
	bool user_folio = !strcmp(ea->a->name, PS_PROBE_UNPIN_USER_FOLIO);
	bool one_folio = !strcmp(ea->a->name, PS_PROBE_UNPIN_FOLIO);
	bool unpin = user_folio || one_folio;

	if (!unpin && (!((u64)ps_field(t, ea, rec, FF_X2) & l->foll_pin) ||
		       ps_trace_unpin_counted(t, op->pid)))
		return;
	if (!folio_fields(t, ea, rec, op))
		return;
	op->kind = PS_OP_UNPIN;
	op->val = one_folio ? 1 : ps_field(t, ea, rec, FF_X1);
	op->flags |= PS_OPF_PIN;
	if (unpin && ps_trace_has_event(t, PS_PROBE_GROUP,
					PS_PROBE_GUP_PUT_FOLIO))
		ps_trace_unpin_hold(t, op, one_folio ? PS_UNPIN_ONE_FOLIO :
				    PS_UNPIN_FOLIO);
	else
		ps_emit(t, op);
}

/*
 * split_huge_page_to_list_to_order(page, list, new_order) (6.12), or
 * __folio_split(folio, new_order, split_at, lock_at, list, split_type)
 * (7.2; split_type 1 is SPLIT_TYPE_NON_UNIFORM): held for the kretprobe.
 */
static void ad_folio_split(struct ps_trace *t, struct ps_event_adapter *ea,
			   struct tep_record *rec, struct ps_op *op)
{
	u32 new_order = (u32)ps_field(t, ea, rec, FF_X1);

	if (!folio_fields(t, ea, rec, op))
		return;
	op->kind = PS_OP_SPLIT;
	op->val = new_order;
	op->order = (op->flags & PS_OPF_FOLIO_OBS) ? op->fobs.order : new_order;
	if (op->order < new_order)
		op->order = new_order;
	if (ea->f[FF_X2] && ps_field(t, ea, rec, FF_X3) == 1) {
		op->val2 = (s64)page_pfn(t, (u64)ps_field(t, ea, rec, FF_X2));
		if ((u64)op->val2 != PS_PFN_NONE)
			op->flags |= PS_OPF_NON_UNIFORM;
	}
	hold_or_emit(t, PS_PROBE_SPLIT_HUGE_PAGE_RET, op);
}

static void ad_rmap_add_anon(struct ps_trace *t, struct ps_event_adapter *ea,
			     struct tep_record *rec, struct ps_op *op)
{
	const struct ps_layout *l = &ps_trace_meta_mut(t)->layout;
	u64 rflags = (u64)ps_field(t, ea, rec, KF_X2);

	if (!page_fields(t, ea, rec, op))
		return;
	op->kind = PS_OP_RMAP_ADD;
	op->addr = (u64)ps_field(t, ea, rec, KF_X1);
	anon_page(op);
	if (rflags & l->rmap_compound)
		op->flags |= PS_OPF_COMPOUND;
	if (rflags & l->rmap_exclusive)
		op->flags |= PS_OPF_EXCLUSIVE;
	ps_emit(t, op);
}

/* --- fork ------------------------------------------------------------------ */

static void fork_flush(struct ps_trace *t, struct ps_fork_slot *fs)
{
	if (fs->has_dup)
		ps_emit(t, &fs->dup);
	fs->has_dup = false;
}

/* fork copied the held-back page instead: no duplicate happened */
static void fork_copied(struct ps_fork_slot *fs)
{
	fs->has_copied = fs->has_dup;
	fs->copied_pfn = fs->dup.pfn;
	fs->has_dup = false;
}

static void ad_copy_page_range(struct ps_trace *t, struct ps_event_adapter *ea,
			       struct tep_record *rec, struct ps_op *op)
{
	struct ps_fork_slot *fs = ps_trace_fork_slot(t, op->pid, true);

	fork_flush(t, fs);
	fs->in_window = true;
}

static void ad_copy_page_range_ret(struct ps_trace *t,
				   struct ps_event_adapter *ea,
				   struct tep_record *rec, struct ps_op *op)
{
	struct ps_fork_slot *fs = ps_trace_fork_slot(t, op->pid, false);

	if (!fs)
		return;
	fork_flush(t, fs);
	fs->in_window = false;
}

/* Inside a fork window: the page copy_present_pte() is about to share. */
static void ad_vm_normal_page_ret(struct ps_trace *t,
				  struct ps_event_adapter *ea,
				  struct tep_record *rec, struct ps_op *op)
{
	struct ps_fork_slot *fs = ps_trace_fork_slot(t, op->pid, false);

	if (!fs || !fs->in_window || !ps_field(t, ea, rec, KF_PAGE) ||
	    !page_fields(t, ea, rec, op))
		return;
	/*
	 * The same page again is copy_pte_range() retrying after it
	 * allocated the copy a maybe-pinned page needs: not a second dup.
	 * The page just copied, once more, is the first of those calls
	 * sorted late (fork_copied()).
	 */
	if (fs->has_copied && fs->copied_pfn == op->pfn) {
		fs->has_copied = false;
		return;
	}
	fs->has_copied = false;
	if (!fs->has_dup || fs->dup.pfn != op->pfn)
		fork_flush(t, fs);
	op->kind = PS_OP_FORK_DUP;
	/* 6.12+: copy_present_ptes() batches a large folio's PTEs inline */
	if (folio_era(t))
		op->flags |= PS_OPF_BATCH_UNKNOWN;
	fs->dup = *op;
	fs->has_dup = true;
}

static void ad_copy_huge_pmd(struct ps_trace *t, struct ps_event_adapter *ea,
			     struct tep_record *rec, struct ps_op *op)
{
	struct ps_fork_slot *fs = ps_trace_fork_slot(t, op->pid, true);
	u64 pmd = (u64)ps_field(t, ea, rec, 0);

	fs->has_pmd = false;
	fs->pmd_ref = false;
	if (ea->f[4]) {
		u64 hzp = (u64)ps_field(t, ea, rec, 4);

		if (hzp && hzp != PS_PFN_NONE)
			ps_trace_meta_mut(t)->huge_zero_pfn = hzp;
	}
	if ((pmd & (X86_PMD_PRESENT | X86_PMD_PROTNONE)) &&
	    (pmd & X86_PMD_PSE)) {
		op->kind = PS_OP_FORK_DUP;
		op->pfn = (pmd & X86_PTE_PFN_MASK) >> 12;
		op->addr = (u64)ps_field(t, ea, rec, 1);
		/* whose: the child's mm gains the mapping (0: not recorded) */
		op->mm = (u64)ps_field(t, ea, rec, 2);
		op->val2 = ps_field(t, ea, rec, 3);
		op->flags |= PS_OPF_COMPOUND;
		fs->pmd = *op;
		fs->has_pmd = true;
	}
}

/*
 * Did copy_huge_pmd() return 0 without duplicating the PMD's rmap?  It
 * does for the huge zero PMD (mm_get_huge_zero_page() for the child,
 * no get_page(), no rmap: the huge zero page is never in it) and for a
 * vma that is not anonymous (nothing copied, refilled on fault).  With
 * page_ref events the kernel's own get_page() tells: a dup always takes
 * one.  Without them, only the huge zero pfn the probes read is known.
 */
static bool copy_huge_pmd_no_dup(struct ps_trace *t, struct ps_fork_slot *fs)
{
	u64 hzp = ps_trace_meta_mut(t)->huge_zero_pfn;

	if (ps_trace_tracks(t) & PS_KNOWN_REFCOUNT)	/* page_ref events */
		return !fs->pmd_ref;
	return hzp && hzp != PS_PFN_NONE && fs->pmd.pfn == hzp;
}

/* 0: the PMD is shared with the child; else it was split or copied. */
static void ad_copy_huge_pmd_ret(struct ps_trace *t,
				 struct ps_event_adapter *ea,
				 struct tep_record *rec, struct ps_op *op)
{
	struct ps_fork_slot *fs = ps_trace_fork_slot(t, op->pid, false);

	if (!fs || !fs->has_pmd)
		return;
	if (!ps_field(t, ea, rec, 0) && !copy_huge_pmd_no_dup(t, fs))
		ps_emit(t, &fs->pmd);
	fs->has_pmd = false;
}

/* collapse_file(): a shmem/file collapse begins in this task */
static void ad_collapse_file_begin(struct ps_trace *t,
				   struct ps_event_adapter *ea,
				   struct tep_record *rec, struct ps_op *op)
{
	op->kind = PS_OP_COLLAPSE_BEGIN;
	op->mm = (u64)ps_field(t, ea, rec, 0);
	op->addr = (u64)ps_field(t, ea, rec, 1);
	op->flags |= PS_OPF_FILE;
	ps_emit(t, op);
}

static void ad_rmap_add_new_anon(struct ps_trace *t,
				 struct ps_event_adapter *ea,
				 struct tep_record *rec, struct ps_op *op)
{
	struct ps_fork_slot *fs = ps_trace_fork_slot(t, op->pid, false);

	if (fs && fs->in_window)
		fork_copied(fs);
	if (!page_fields(t, ea, rec, op))
		return;
	op->kind = PS_OP_RMAP_ADD;
	op->addr = (u64)ps_field(t, ea, rec, KF_X1);
	op->mm = (u64)ps_field(t, ea, rec, KF_X2);
	anon_page(op);
	/* __page_set_anon_rmap(..., exclusive = 1) */
	op->flags |= PS_OPF_NEW | PS_OPF_EXCLUSIVE;
	ps_emit(t, op);
}

static void ad_rmap_file_or_remove(struct ps_trace *t,
				   struct ps_event_adapter *ea,
				   struct tep_record *rec, struct ps_op *op)
{
	if (!page_fields(t, ea, rec, op))
		return;
	op->kind = strcmp(ea->a->name, PS_PROBE_RMAP_REMOVE) ?
		   PS_OP_RMAP_ADD : PS_OP_RMAP_REMOVE;
	if (op->kind == PS_OP_RMAP_ADD)
		op->flags |= PS_OPF_FILE;
	if (ps_field(t, ea, rec, KF_X1))
		op->flags |= PS_OPF_COMPOUND;
	ps_emit(t, op);
}

/* try_grab_folio(page, refs, flags), try_grab_page(page, flags) */
static void ad_gup_grab(struct ps_trace *t, struct ps_event_adapter *ea,
			struct tep_record *rec, struct ps_op *op)
{
	const struct ps_layout *l = &ps_trace_meta_mut(t)->layout;
	bool page_only = !strcmp(ea->a->name, PS_PROBE_GUP_GRAB_PAGE);
	s64 refs = page_only ? 1 : ps_field(t, ea, rec, KF_X1);
	u64 gup = (u64)ps_field(t, ea, rec, page_only ? KF_X1 : KF_X2);

	if (!(gup & l->foll_pin))
		return;		/* FOLL_GET: a plain reference, page_ref's job */
	if (!page_fields(t, ea, rec, op))
		return;
	op->kind = PS_OP_PIN;
	op->val = refs;
	op->flags |= PS_OPF_PIN;
	if (gup & l->foll_longterm)
		op->flags |= PS_OPF_LONGTERM;
	ps_emit(t, op);
}

/* gup_put_folio(folio, refs, flags); unpin_user_page(page) */
static void ad_gup_put(struct ps_trace *t, struct ps_event_adapter *ea,
		       struct tep_record *rec, struct ps_op *op)
{
	const struct ps_layout *l = &ps_trace_meta_mut(t)->layout;
	bool unpin = !strcmp(ea->a->name, PS_PROBE_UNPIN_USER_PAGE);
	bool hold = unpin && ps_trace_has_event(t, PS_PROBE_GROUP,
						PS_PROBE_GUP_PUT_FOLIO);

	if (!unpin && (!((u64)ps_field(t, ea, rec, KF_X2) & l->foll_pin) ||
		       ps_trace_unpin_counted(t, op->pid)))
		return;
	/*
	 * unpin_user_page() ends in gup_put_folio(); when that one is probed
	 * too, it reports the unpin and this one would count it twice: on
	 * 6.1 always, from 6.12 on unless the compiler inlined it (7.2),
	 * which the first unpin's next event tells (ps_trace_unpin_hold).
	 */
	if (hold && !folio_era(t))
		return;
	if (!page_fields(t, ea, rec, op))
		return;
	op->kind = PS_OP_UNPIN;
	op->val = unpin ? 1 : ps_field(t, ea, rec, KF_X1);
	op->flags |= PS_OPF_PIN;
	if (hold)
		ps_trace_unpin_hold(t, op, PS_UNPIN_PAGE);
	else
		ps_emit(t, op);
}


/*
 * Before 6.2, __split_huge_pmd_locked() drops the PMD mapping itself
 * (compound_mapcount, PageDoubleMap) instead of calling page_remove_rmap.
 */
static bool split_pmd_drops_entire(struct ps_trace *t)
{
	const char *k = ps_trace_meta_mut(t)->kernel;
	int major, minor;

	if (sscanf(k, "%d.%d", &major, &minor) != 2)
		return false;
	return major < 6 || (major == 6 && minor < 2);
}

/* __split_huge_pmd(vma, pmd, address, freeze, folio): *pmd at entry */
static void ad_split_pmd(struct ps_trace *t, struct ps_event_adapter *ea,
			 struct tep_record *rec, struct ps_op *op)
{
	u64 pmd = (u64)ps_field(t, ea, rec, 0);

	op->kind = PS_OP_SPLIT_PMD;
	op->addr = (u64)ps_field(t, ea, rec, 1);
	if (ea->f[3]) {
		u64 hzp = (u64)ps_field(t, ea, rec, 3);

		if (hzp && hzp != PS_PFN_NONE)
			ps_trace_meta_mut(t)->huge_zero_pfn = hzp;
	}
	op->val = pmd;
	op->order = 9;
	if (ps_field(t, ea, rec, 2))
		op->val2 = 1;	/* freeze: ptes become migration entries */
	op->mm = (u64)ps_field(t, ea, rec, 4);
	if (folio_era(t)) {
		op->flags |= PS_OPF_RMAP_SPLIT;
		if (pmd & X86_PMD_PSE)
			ps_trace_fork_slot(t, op->pid, true)->split_pfn =
				(pmd & X86_PTE_PFN_MASK) >> 12;
	}
	else if (split_pmd_drops_entire(t))
		op->flags |= PS_OPF_DROPS_ENTIRE;
	if (pmd & (X86_PMD_PRESENT | X86_PMD_PROTNONE)) {
		if (!(pmd & X86_PMD_PSE))
			return;	/* a page table: nothing to split */
		op->pfn = (pmd & X86_PTE_PFN_MASK) >> 12;
	} else if (pmd) {
		/* a PMD migration entry: ptes become migration entries */
		u64 off = (~pmd << 5) >> 14;

		op->pfn = off & ((1ull << 34) - 1);
		op->flags |= PS_OPF_MIGRATION;
	} else {
		return;
	}
	ps_emit(t, op);
}

/*
 * split_huge_page_to_list(): the entry names the page, the kretprobe the
 * result; pair them per task.
 */
static void ad_split_huge_page(struct ps_trace *t, struct ps_event_adapter *ea,
			       struct tep_record *rec, struct ps_op *op)
{
	if (!page_fields(t, ea, rec, op))
		return;
	ps_trace_pending_set(t, op->pid, op->pfn);
}

static void ad_split_huge_page_ret(struct ps_trace *t,
				   struct ps_event_adapter *ea,
				   struct tep_record *rec, struct ps_op *op)
{
	struct ps_fork_slot *fs = ps_trace_fork_slot(t, op->pid, false);

	/* the folio era's entry probe held its op (ad_folio_split) */
	if (fs && fs->has_held && fs->held.kind == PS_OP_SPLIT) {
		s64 ret = ps_field(t, ea, rec, 0);

		if (ret) {
			/* failed: the kernel's answer, the folio unchanged */
			fs->held.kind = PS_OP_SPLIT_RESULT;
			fs->held.result = (int)ret;
		}
		/*
		 * What the entry read is stale now: the split unmapped and
		 * remapped the folio (their rmap ops came in between).
		 */
		fs->held.flags &= ~(PS_OPF_OBS_BEFORE | PS_OPF_FOLIO_OBS |
				    PS_OPF_HAS_OBS_MAPCOUNT |
				    PS_OPF_HAS_OBS_COUNT | PS_OPF_HAS_OBS_FLAGS);
		fs->has_held = false;
		ps_emit(t, &fs->held);
		return;
	}
	op->pfn = ps_trace_pending_take(t, op->pid);
	if (op->pfn == PS_PFN_NONE)
		return;
	op->result = (int)ps_field(t, ea, rec, 0);
	op->kind = op->result ? PS_OP_SPLIT_RESULT : PS_OP_SPLIT;
	op->val = 0;		/* split to order 0 */
	ps_emit(t, op);
}

/*
 * madvise_collapse()'s return: the answer MADV_COLLAPSE gave the task
 * (-EAGAIN when a page had extra references).  No page: the pages it
 * refused are in the scan/isolate events before it.
 */
static void ad_madvise_collapse_ret(struct ps_trace *t,
				    struct ps_event_adapter *ea,
				    struct tep_record *rec, struct ps_op *op)
{
	op->kind = PS_OP_COLLAPSE_RET;
	op->pfn = PS_PFN_NONE;
	op->result = (int)ps_field(t, ea, rec, 0);
	ps_emit(t, op);
}

#define PAGE_FIELDS "page", "pflags", "mapcount", "refcount"

/*
 * try_to_migrate_one / remove_migration_pte(folio, vma, addr, ...): the
 * rmap walk reached one vma; the migration entry events of this task
 * that follow are in vma->vm_mm.  No op of its own: the entry may not
 * be there (page_vma_mapped_walk finds nothing), the tracepoint says.
 */
static void ad_migration_walk(struct ps_trace *t, struct ps_event_adapter *ea,
			      struct tep_record *rec, struct ps_op *op)
{
	struct ps_fork_slot *fs = ps_trace_fork_slot(t, op->pid, true);

	fs->mig_addr = (u64)ps_field(t, ea, rec, 0);
	fs->mig_mm = ea->f[1] ? (u64)ps_field(t, ea, rec, 1) : 0;
	fs->has_mig = true;
}

/*
 * One walk covers one folio in one vma: at most PMD_SIZE from its first
 * address.  An event outside that (a lost probe event, another walk of
 * the same task) gets no mm rather than a wrong one.
 */
#define MIG_WALK_SPAN	(512ull << 12)

/* exit_mmap(mm): the address space goes, its page tables zapped */
static void ad_mm_exit(struct ps_trace *t, struct ps_event_adapter *ea,
		       struct tep_record *rec, struct ps_op *op)
{
	op->kind = PS_OP_MM_EXIT;
	op->pfn = PS_PFN_NONE;
	op->mm = (u64)ps_field(t, ea, rec, 0);
	ps_emit(t, op);
}

u64 ps_trace_migration_mm(struct ps_trace *t, int pid, u64 addr)
{
	struct ps_fork_slot *fs = ps_trace_fork_slot(t, pid, false);

	if (!fs || !fs->has_mig || addr < fs->mig_addr ||
	    addr - fs->mig_addr >= MIG_WALK_SPAN)
		return 0;
	return fs->mig_mm;
}

/*
 * stable_page_flags(page): the deep snapshot's reading of one page's
 * struct page, for replay --verify (verify.c pairs it with the snapshot
 * entry of the same pfn).  Fields: FOLIO_FIELDS where the layout has
 * folio fields, then tflags, cmapcount, cpincount (6.1, in FF_X1..X3).
 */
static void ad_page_read(struct ps_trace *t, struct ps_event_adapter *ea,
			 struct tep_record *rec, struct ps_op *op)
{
	u64 fl;

	op->pfn = page_pfn(t, (u64)ps_field(t, ea, rec, FF_PAGE));
	if (op->pfn == PS_PFN_NONE) {
		ps_trace_meta_mut(t)->probe_no_layout++;
		return;
	}
	op->kind = PS_OP_SNAPSHOT;
	op->flags |= PS_OPF_DEEP_SNAP | PS_OPF_KREAD;
	op->obs_count = ps_field(t, ea, rec, FF_REFCOUNT);
	op->obs_mapcount = ps_field(t, ea, rec, FF_MAPCOUNT) + 1;
	fl = ps_pflags_decode(t, (u64)ps_field(t, ea, rec, FF_PFLAGS));
	op->obs_flags = fl;
	op->val = -1;
	if (fl & PS_PG_COMPOUND_HEAD) {
		if (ea->f[FF_FPIN])
			op->val = ps_field(t, ea, rec, FF_FPIN);
		else if (ea->f[FF_X3])
			op->val = ps_field(t, ea, rec, FF_X3);
	}
	ps_emit(t, op);
}

const struct ps_adapter ps_kprobe_adapters[] = {
	/* folio era first: an event name both eras share binds to the first
	 * entry whose required field it has */
#define FOLIO_RMAP(ev, ...) \
	{ PS_PROBE_GROUP, ev, { FOLIO_FIELDS, __VA_ARGS__ }, ad_folio_rmap, \
	  PS_KNOWN_MAPCOUNT, "folio" }
	FOLIO_RMAP(PS_PROBE_FOLIO_ADD_ANON_PTES, "nr", "mm", "addr", "rflags"),
	FOLIO_RMAP(PS_PROBE_FOLIO_ADD_ANON_PMD, "mm", "addr", "rflags"),
	FOLIO_RMAP(PS_PROBE_FOLIO_ADD_FILE_PTES, "nr", "mm"),
	FOLIO_RMAP(PS_PROBE_FOLIO_ADD_FILE_PMD, "mm"),
	FOLIO_RMAP(PS_PROBE_FOLIO_REMOVE_PTES, "nr", "mm"),
	FOLIO_RMAP(PS_PROBE_FOLIO_REMOVE_PMD, "mm"),
#undef FOLIO_RMAP
	{ PS_PROBE_GROUP, PS_PROBE_FOLIO_ADD_NEW_ANON,
	  { FOLIO_FIELDS, "mm", "addr", "rflags" }, ad_folio_add_new_anon,
	  PS_KNOWN_MAPCOUNT, "folio" },
	{ PS_PROBE_GROUP, PS_PROBE_GUP_GRAB_FOLIO,
	  { FOLIO_FIELDS, "refs", "gup_flags" }, ad_folio_grab,
	  PS_KNOWN_PINCOUNT, "folio" },
	{ PS_PROBE_GROUP, PS_PROBE_GUP_GRAB_FOLIO_FAST,
	  { FOLIO_FIELDS, "refs", "gup_flags" }, ad_folio_grab,
	  PS_KNOWN_PINCOUNT },
	{ PS_PROBE_GROUP, PS_PROBE_GUP_GRAB_FOLIO_RET, { "ret" },
	  ad_folio_grab_ret, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_GUP_GRAB_FOLIO_FAST_RET, { "ret" },
	  ad_folio_grab_ret, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_GUP_PUT_FOLIO,
	  { FOLIO_FIELDS, "refs", "gup_flags" }, ad_folio_put, 0, "folio" },
	{ PS_PROBE_GROUP, PS_PROBE_UNPIN_USER_FOLIO,
	  { FOLIO_FIELDS, "npages" }, ad_folio_put, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_UNPIN_FOLIO, { FOLIO_FIELDS },
	  ad_folio_put, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_SPLIT_HUGE_PAGE,
	  { FOLIO_FIELDS, "new_order", "split_at", "split_type" },
	  ad_folio_split, 0, "new_order" },
	{ PS_PROBE_GROUP, PS_PROBE_RMAP_ADD_ANON,
	  { PAGE_FIELDS, "addr", "rflags" }, ad_rmap_add_anon,
	  PS_KNOWN_MAPCOUNT },
	{ PS_PROBE_GROUP, PS_PROBE_RMAP_ADD_NEW_ANON,
	  { PAGE_FIELDS, "addr", "mm" }, ad_rmap_add_new_anon,
	  PS_KNOWN_MAPCOUNT },
	{ PS_PROBE_GROUP, PS_PROBE_RMAP_ADD_FILE,
	  { PAGE_FIELDS, "compound" }, ad_rmap_file_or_remove,
	  PS_KNOWN_MAPCOUNT },
	{ PS_PROBE_GROUP, PS_PROBE_RMAP_REMOVE,
	  { PAGE_FIELDS, "compound" }, ad_rmap_file_or_remove,
	  PS_KNOWN_MAPCOUNT },
	{ PS_PROBE_GROUP, PS_PROBE_GUP_GRAB_FOLIO,
	  { PAGE_FIELDS, "refs", "gup_flags" }, ad_gup_grab,
	  PS_KNOWN_PINCOUNT },
	{ PS_PROBE_GROUP, PS_PROBE_GUP_GRAB_PAGE,
	  { PAGE_FIELDS, "gup_flags" }, ad_gup_grab, PS_KNOWN_PINCOUNT },
	{ PS_PROBE_GROUP, PS_PROBE_GUP_PUT_FOLIO,
	  { PAGE_FIELDS, "refs", "gup_flags" }, ad_gup_put, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_UNPIN_USER_PAGE,
	  { PAGE_FIELDS }, ad_gup_put, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_SPLIT_PMD,
	  { "pmdval", "addr", "freeze", "hzp_pfn" }, ad_split_pmd, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_SPLIT_HUGE_PAGE,
	  { PAGE_FIELDS }, ad_split_huge_page, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_SPLIT_HUGE_PAGE_RET,
	  { "ret" }, ad_split_huge_page_ret, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_MADVISE_COLLAPSE_RET, { "ret" },
	  ad_madvise_collapse_ret, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_COLLAPSE_FILE, { "mm", "addr" },
	  ad_collapse_file_begin, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_COPY_PAGE_RANGE, { NULL },
	  ad_copy_page_range, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_COPY_PAGE_RANGE_RET, { "ret" },
	  ad_copy_page_range_ret, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_VM_NORMAL_PAGE_RET, { PAGE_FIELDS },
	  ad_vm_normal_page_ret, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_COPY_HUGE_PMD,
	  { "pmdval", "addr", "mm", "src_mm", "hzp_pfn" },
	  ad_copy_huge_pmd, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_COPY_HUGE_PMD_RET, { "ret" },
	  ad_copy_huge_pmd_ret, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_MIGRATE_ONE, { "addr", "mm" },
	  ad_migration_walk, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_REMOVE_MIGRATION, { "addr", "mm" },
	  ad_migration_walk, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_MM_EXIT, { "mm" }, ad_mm_exit, 0 },
	{ PS_PROBE_GROUP, PS_PROBE_PAGE_READ,
	  { FOLIO_FIELDS, "tflags", "cmapcount", "cpincount" }, ad_page_read,
	  0, "page" },
	{ NULL },
};
