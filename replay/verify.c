// SPDX-License-Identifier: GPL-2.0
/*
 * End-state verification, see verify.h.  A hook on the engine (so it
 * lives beside it in replay/, below the rules that report on it): each
 * exit-snapshot op is compared, field by field, with the folio it lands
 * in or with the engine's record of the pfn's free.
 */
#include <stdlib.h>
#include <string.h>

#include "pagestate/u64map.h"
#include "pagestate/verify.h"

#define MAX_REPORTED	10

/* kpageflags that only a page in use can show */
#define KERNEL_IN_USE	(PS_PG_LRU | PS_PG_ANON | PS_PG_MMAP | PS_PG_SLAB | \
			 PS_PG_COMPOUND_HEAD | PS_PG_COMPOUND_TAIL | \
			 PS_PG_SWAPBACKED | PS_PG_SWAPCACHE | PS_PG_UPTODATE | \
			 PS_PG_DIRTY | PS_PG_ACTIVE | PS_PG_THP | PS_PG_KSM | \
			 PS_PG_ZERO_PAGE | PS_PG_HUGE | PS_PG_UNEVICTABLE | \
			 PS_PG_WRITEBACK | PS_PG_LOCKED | PS_PG_PRIVATE | \
			 PS_PG_PGTABLE | PS_PG_OFFLINE)

static const char *const field_name[PS_VF_NR] = {
	[PS_VF_LIVENESS] = "liveness",
	[PS_VF_ORDER] = "order",
	[PS_VF_REFCOUNT] = "refcount",
	[PS_VF_MAPCOUNT] = "mapcount",
	[PS_VF_PINCOUNT] = "pincount",
	[PS_VF_FLAGS] = "flags",
};

struct mismatch {
	u64 pfn;
	u64 addr;
	int pid;
	bool deep;
	char what[112];
};

/* What a stable_page_flags probe read of one pfn (record/deep.c). */
struct kread {
	u64 ts;
	s64 refcount;
	s64 pincount;		/* the head's; -1: none read */
};

struct ps_verify {
	struct ps_engine *e;
	struct ps_u64map kread_at;	/* pfn -> index + 1 in kreads */
	struct kread *kreads;
	u64 nr_kreads, alloc_kreads;
	const struct kread *cur;	/* the page's reading, or NULL */
	u64 snap_begin;		/* ts of the snapshot being replayed */
	struct ps_u64map seen;	/* pfns of the current process snapshot */
	struct ps_verify_result r;
	struct mismatch bad[MAX_REPORTED];
	int nr_bad;
	u64 total_bad;
	ps_verify_mismatch_fn mismatch_fn;
	void *mismatch_data;
	u64 last_lost_ts;	/* the last lost-events gap, 0: none */
};

/* One page's comparison, field by field. */
struct page_cmp {
	bool compared[PS_VF_NR];
	bool agreed[PS_VF_NR];
	char what[112];
};

const char *ps_verify_field_name(enum ps_verify_field f)
{
	return f < PS_VF_NR ? field_name[f] : "?";
}

static void mismatch(struct ps_verify *v, const struct ps_op *op,
		     const struct ps_folio *f, const char *what)
{
	v->total_bad++;
	if (v->mismatch_fn)
		v->mismatch_fn(v->mismatch_data, op, f, what);
	if (v->nr_bad < MAX_REPORTED) {
		struct mismatch *m = &v->bad[v->nr_bad++];

		m->pfn = op->pfn;
		m->addr = op->addr;
		m->pid = op->pid;
		m->deep = op->flags & PS_OPF_DEEP_SNAP;
		snprintf(m->what, sizeof(m->what), "%s", what);
	}
}

/* Notes one field's outcome; the first disagreement names the page. */
static bool field(struct page_cmp *c, enum ps_verify_field fl, bool ok)
{
	c->compared[fl] = true;
	c->agreed[fl] = ok;
	return !ok && !c->what[0];
}

/*
 * What the kernel says of the page: 1 in use, 0 free, -1 no telling.
 * With a probe reading, _refcount says it: 0 is free unless the page is
 * a compound tail or shows a use, a page type (slab, page table) above
 * all: 6.15 on allocate slab pages frozen, at _refcount 0 for life, and
 * free_pages_prepare() clears every such flag of a page it frees.
 * Without, the two /proc words: a free page on a per-cpu list, a buddy
 * block's tail page and a page-table page all read as zeroes.  A mapped
 * page is in use.
 */
static int kernel_live(const struct ps_verify *v, const struct ps_op *op)
{
	if (!(op->flags & PS_OPF_DEEP_SNAP))
		return 1;
	if (v->cur)
		return v->cur->refcount ||
		       (op->obs_flags & (PS_PG_COMPOUND_TAIL | KERNEL_IN_USE));
	if (op->obs_flags & PS_PG_BUDDY)
		return 0;
	if (op->obs_mapcount > 0 || (op->obs_flags & KERNEL_IN_USE))
		return 1;
	return -1;
}

static void cmp_shape(struct page_cmp *c, const struct ps_op *op,
		      const struct ps_folio *f)
{
	bool large = op->obs_flags & (PS_PG_COMPOUND_HEAD | PS_PG_COMPOUND_TAIL);
	bool khead = op->obs_flags & PS_PG_COMPOUND_HEAD;

	if (large != (f->order > 0 && !f->non_compound)) {
		if (field(c, PS_VF_ORDER, false))
			snprintf(c->what, sizeof(c->what),
				 "derived: order %u; kernel: %s page",
				 f->order, large ? "compound" : "small");
		return;
	}
	if (field(c, PS_VF_ORDER, !large || (op->pfn == f->pfn) == khead))
		snprintf(c->what, sizeof(c->what),
			 "derived: head 0x%llx; kernel: %s",
			 (unsigned long long)f->pfn, khead ? "head" : "tail");
}

/*
 * The probe's reading: the folio's _refcount on its head (a tail's is 0
 * outside a split), the large folio's _pincount (a small folio's pins
 * are inside _refcount: compared there).
 */
static void cmp_read(struct ps_verify *v, struct page_cmp *c,
		     const struct ps_op *op, const struct ps_folio *f)
{
	const struct kread *k = v->cur;

	if (!k || op->pfn != f->pfn)
		return;
	if ((f->known & PS_KNOWN_REFCOUNT) &&
	    field(c, PS_VF_REFCOUNT, f->refcount == k->refcount))
		snprintf(c->what, sizeof(c->what),
			 "derived: refcount %lld; kernel: %lld",
			 (long long)f->refcount, (long long)k->refcount);
	if (f->order && k->pincount >= 0 && (f->known & PS_KNOWN_PINCOUNT) &&
	    field(c, PS_VF_PINCOUNT, f->pincount == k->pincount))
		snprintf(c->what, sizeof(c->what),
			 "derived: pincount %d; kernel: %lld", f->pincount,
			 (long long)k->pincount);
}

/* Both sides call the page in use: the fields a live folio has. */
static void cmp_live(struct ps_verify *v, struct page_cmp *c,
		     const struct ps_op *op, const struct ps_folio *f)
{
	bool user = !(op->flags & PS_OPF_DEEP_SNAP) || op->obs_mapcount > 0 ||
		    (op->obs_flags & (PS_PG_MMAP | PS_PG_ANON | PS_PG_LRU));
	s64 derived;

	cmp_shape(c, op, f);
	cmp_read(v, c, op, f);
	if (!(f->known & PS_KNOWN_MAPCOUNT))
		return;
	derived = f->sub[op->pfn - f->pfn].mapcount + f->entire_mapcount;
	/*
	 * kpagecount of a slab or page-table page is not a mapcount (the
	 * word holds a page type): only pages user space can map count.
	 */
	if (!user && !derived)
		return;
	if (!(op->flags & PS_OPF_DEEP_SNAP))
		v->r.mapcount_compared++;
	if (field(c, PS_VF_MAPCOUNT, derived == op->obs_mapcount))
		snprintf(c->what, sizeof(c->what),
			 "derived: mapcount %lld; kernel: %lld",
			 (long long)derived, (long long)op->obs_mapcount);
	/* anon is the one flag the engine keeps absolutely (rmap tells) */
	if (derived > 0 && (f->flags & PS_PG_MMAP) &&
	    field(c, PS_VF_FLAGS, !(f->flags & PS_PG_ANON) ==
		  !(op->obs_flags & PS_PG_ANON)))
		snprintf(c->what, sizeof(c->what),
			 "derived: %sanon; kernel: %sanon",
			 f->flags & PS_PG_ANON ? "" : "not ",
			 op->obs_flags & PS_PG_ANON ? "" : "not ");
}

static bool raced(struct ps_verify *v, const struct ps_op *op,
		  const struct ps_folio *f)
{
	u64 freed_at;

	/* recordings older than snap-begin markers cannot tell */
	if (!v->snap_begin)
		return false;
	if (f)
		return f->last_ts > v->snap_begin;
	return ps_engine_pfn_freed(v->e, op->pfn, &freed_at) &&
	       freed_at > v->snap_begin;
}

static void tally(struct ps_verify *v, const struct ps_op *op,
		  const struct ps_folio *f, const struct page_cmp *c)
{
	bool any = false, all = true;
	int i;

	for (i = 0; i < PS_VF_NR; i++) {
		if (!c->compared[i])
			continue;
		any = true;
		v->r.compared[i]++;
		if (c->agreed[i])
			v->r.agreed[i]++;
		else
			all = false;
	}
	if (!any)
		return;
	if (op->flags & PS_OPF_DEEP_SNAP) {
		v->r.deep_full++;
		v->r.deep_agree += all;
	} else {
		v->r.full++;
		v->r.agree += all;
	}
	if (!all)
		mismatch(v, op, f, c->what);
}

static void check_snapshot(struct ps_verify *v, const struct ps_op *op,
			   const struct ps_folio *f)
{
	bool deep = op->flags & PS_OPF_DEEP_SNAP;
	struct page_cmp c = { 0 };
	int klive;
	bool dfreed;
	u64 freed_at = 0;
	u64 *at = ps_u64map_get(&v->kread_at, op->pfn);

	/* a reading counts for the snapshot it was taken in */
	v->cur = at && v->snap_begin && v->kreads[*at - 1].ts >= v->snap_begin ?
		 &v->kreads[*at - 1] : NULL;
	klive = kernel_live(v, op);

	if (deep) {
		/* the process snapshot of this exit gave it already */
		if (ps_u64map_get(&v->seen, op->pfn))
			return;
		v->r.deep++;
	} else {
		*ps_u64map_put(&v->seen, op->pfn) = 1;
	}
	v->r.pages++;
	if (raced(v, op, f)) {
		v->r.raced++;
		return;
	}
	dfreed = !f && ps_engine_pfn_freed(v->e, op->pfn, &freed_at);
	if (!dfreed && (!f || !(f->known & PS_KNOWN_BIRTH))) {
		v->r.no_history++;
		return;
	}
	/*
	 * Events lost in the folio's life, or since the page's free (an
	 * alloc may be among them): what we derived may be missing what
	 * the kernel did.  Counted apart, as check makes such verdicts
	 * uncertain.
	 */
	if (v->last_lost_ts &&
	    v->last_lost_ts >= (f ? f->born_ts : freed_at)) {
		v->r.lost++;
		return;
	}
	if (klive < 0) {
		v->r.kernel_unknown++;
		return;
	}
	/* the kernel keeps nothing on the other pages of such a block */
	if (f && f->non_compound && op->pfn != f->pfn) {
		v->r.non_compound++;
		return;
	}
	/*
	 * In use, with no page flag, no mapping, and no alloc event since
	 * its free: alloc_pages_bulk() (vmalloc, kernel stacks) has no
	 * per-page tracepoint.  Counted apart; a page that shows any use
	 * (anon, lru, mapped, ...) still counts as a disagreement.
	 */
	if (dfreed && klive && deep && v->cur &&
	    !(op->obs_flags & KERNEL_IN_USE) && !op->obs_mapcount) {
		v->r.untraced++;
		return;
	}
	/*
	 * In use as slab and nothing else, no alloc event since its free:
	 * seen on a loaded 6.18 host (7 pages in ~120 recordings, kpageflags
	 * exactly KPF_SLAB, kpagecount 0) though the file held every event
	 * the kernel's buffer counted as read.  The kernel kept no
	 * mm_page_alloc for them; a slab page carries no user page state.
	 * KPF_ANON and KPF_KSM of a slab page are read from struct slab's
	 * own word at page->mapping (one such page showed KPF_ANON).
	 * Counted apart; any other use still disagrees.
	 */
	if (dfreed && klive && deep && !op->obs_mapcount &&
	    (op->obs_flags & KERNEL_IN_USE & ~(PS_PG_ANON | PS_PG_KSM)) ==
	    PS_PG_SLAB) {
		v->r.slab_untraced++;
		return;
	}
	if (dfreed || !klive) {
		if (field(&c, PS_VF_LIVENESS, dfreed == !klive))
			snprintf(c.what, sizeof(c.what),
				 "derived: %s; kernel: %s",
				 dfreed ? "freed" : "live",
				 klive ? (deep ? "in use" : "mapped") :
				 v->cur ? "free (_refcount 0)" :
				 "free (buddy)");
	} else {
		field(&c, PS_VF_LIVENESS, true);
		cmp_live(v, &c, op, f);
	}
	tally(v, op, f, &c);
}

static void kread_note(struct ps_verify *v, const struct ps_op *op)
{
	u64 *at = ps_u64map_put(&v->kread_at, op->pfn);
	struct kread *k;

	if (!*at) {
		if (v->nr_kreads == v->alloc_kreads) {
			v->alloc_kreads = v->alloc_kreads ?
					  2 * v->alloc_kreads : 1024;
			v->kreads = ps_xrealloc(v->kreads, v->alloc_kreads *
						sizeof(*v->kreads));
		}
		*at = ++v->nr_kreads;
	}
	k = &v->kreads[*at - 1];
	k->ts = op->ts;
	k->refcount = op->obs_count;
	k->pincount = op->val;
	v->r.kreads++;
}

static void verify_hook(void *data, const struct ps_op *op,
			const struct ps_folio *f, const struct ps_state *before,
			const struct ps_state *after)
{
	struct ps_verify *v = data;

	if (op->kind == PS_OP_LOST) {
		v->last_lost_ts = op->ts ? op->ts : 1;
		return;
	}
	if (op->kind != PS_OP_SNAPSHOT || (op->flags & PS_OPF_START_SNAP))
		return;
	if (op->flags & PS_OPF_KREAD) {
		kread_note(v, op);
	} else if (op->flags & PS_OPF_SNAP_BEGIN) {
		v->snap_begin = op->ts;
		/* a deep snapshot follows its exit's process snapshot */
		if (!(op->flags & PS_OPF_DEEP_SNAP))
			ps_u64map_free(&v->seen);
	} else {
		check_snapshot(v, op, f);
	}
}

struct ps_verify *ps_verify_new(struct ps_engine *e)
{
	struct ps_verify *v = ps_xcalloc(1, sizeof(*v));

	v->e = e;
	ps_engine_add_hook(e, verify_hook, v);
	return v;
}

void ps_verify_free(struct ps_verify *v)
{
	if (!v)
		return;
	ps_u64map_free(&v->seen);
	ps_u64map_free(&v->kread_at);
	free(v->kreads);
	free(v);
}

void ps_verify_set_mismatch_hook(struct ps_verify *v, ps_verify_mismatch_fn fn,
				 void *data)
{
	v->mismatch_fn = fn;
	v->mismatch_data = data;
}

void ps_verify_result(const struct ps_verify *v, struct ps_verify_result *r)
{
	*r = v->r;
}

/* Why a field was compared on no page of this recording. */
static const char *why_not(const struct ps_verify *v, enum ps_verify_field fl)
{
	u32 tracks = ps_engine_tracks(v->e);

	if (!v->r.pages)
		return "no exit snapshot";
	switch (fl) {
	case PS_VF_REFCOUNT:
	case PS_VF_PINCOUNT:
		if (!v->r.kreads)
			return "/proc/kpagecount and kpageflags do not show it, "
			       "and no probe read struct page (a kprobe on "
			       "stable_page_flags, record/deep.c)";
		if (fl == PS_VF_REFCOUNT && !(tracks & PS_KNOWN_REFCOUNT))
			return "the recording's events do not track refcount "
			       "(no page_ref)";
		if (fl == PS_VF_PINCOUNT && !(tracks & PS_KNOWN_PINCOUNT))
			return "the recording's events do not track pincount";
		return fl == PS_VF_PINCOUNT ?
		       "no large folio with a tracked pincount was read "
		       "(a small folio's pins are in its refcount)" :
		       "no folio head with a tracked refcount was read";
	case PS_VF_MAPCOUNT:
	case PS_VF_FLAGS:
		if (!(tracks & PS_KNOWN_MAPCOUNT))
			return "the recording's events do not track mapcount "
			       "(no rmap probes or page_ref)";
		return fl == PS_VF_FLAGS ?
		       "no page was mapped at the snapshot" :
		       "no page with a tracked mapcount in the snapshot";
	case PS_VF_ORDER:
	case PS_VF_LIVENESS:
		if (!v->r.deep)
			return "no page with a full history in the snapshot";
		return "no page with a full history the kernel calls in use";
	default:
		return "?";
	}
}

void ps_verify_print(const struct ps_verify *v, FILE *f)
{
	int i;

	fprintf(f, "agree %llu/%llu pages", (unsigned long long)v->r.agree,
		(unsigned long long)v->r.full);
	fprintf(f, " (exit snapshot: %llu pages, %llu allocated before the "
		"recording, %llu changed while it was read; mapcount compared "
		"on %llu)\n", (unsigned long long)(v->r.pages - v->r.deep),
		(unsigned long long)v->r.no_history,
		(unsigned long long)v->r.raced,
		(unsigned long long)v->r.mapcount_compared);
	if (!v->r.pages)
		fprintf(f, "  no exit snapshot in this recording: nothing to "
			"verify (record with 'pagestate record -- CMD')\n");
	else if (v->r.deep)
		fprintf(f, "deep snapshot: agree %llu/%llu pages (%llu pages "
			"the recording touched beyond the mapped ones, %llu "
			"the kernel's words cannot call free or in use, %llu "
			"read by a probe)\n",
			(unsigned long long)v->r.deep_agree,
			(unsigned long long)v->r.deep_full,
			(unsigned long long)v->r.deep,
			(unsigned long long)v->r.kernel_unknown,
			(unsigned long long)v->r.kreads);
	else
		fprintf(f, "deep snapshot: none in this recording: only the "
			"pages the process mapped at exit were compared, never "
			"a page the recording saw freed\n");
	if (v->r.untraced || v->r.non_compound)
		fprintf(f, "  counted apart: %llu in use by the kernel with no "
			"page flag and no alloc event since their free "
			"(alloc_pages_bulk: vmalloc, kernel stacks), %llu past "
			"the first page of a block allocated without "
			"__GFP_COMP\n", (unsigned long long)v->r.untraced,
			(unsigned long long)v->r.non_compound);
	if (v->r.slab_untraced)
		fprintf(f, "  counted apart: %llu in use as slab with no alloc "
			"event since their free (the kernel's buffer kept "
			"none)\n", (unsigned long long)v->r.slab_untraced);
	if (v->r.lost)
		fprintf(f, "  counted apart: %llu in a life (or since a free) "
			"that lost events cross: not judged\n",
			(unsigned long long)v->r.lost);
	fprintf(f, "all: agree %llu/%llu pages\n",
		(unsigned long long)(v->r.agree + v->r.deep_agree),
		(unsigned long long)(v->r.full + v->r.deep_full));
	for (i = 0; i < PS_VF_NR; i++) {
		if (v->r.compared[i])
			fprintf(f, "%-9s agree %llu/%llu\n", field_name[i],
				(unsigned long long)v->r.agreed[i],
				(unsigned long long)v->r.compared[i]);
		else
			fprintf(f, "%-9s not compared: %s\n", field_name[i],
				why_not(v, i));
	}
	for (i = 0; i < v->nr_bad; i++) {
		if (v->bad[i].deep)
			fprintf(f, "  disagree pfn 0x%llx (deep snapshot, pid "
				"%d): %s\n", (unsigned long long)v->bad[i].pfn,
				v->bad[i].pid, v->bad[i].what);
		else
			fprintf(f, "  disagree pfn 0x%llx (pid %d vaddr "
				"0x%llx): %s\n",
				(unsigned long long)v->bad[i].pfn,
				v->bad[i].pid,
				(unsigned long long)v->bad[i].addr,
				v->bad[i].what);
	}
	if (v->total_bad > (u64)v->nr_bad)
		fprintf(f, "  ... and %llu more\n",
			(unsigned long long)(v->total_bad - v->nr_bad));
}
