/* SPDX-License-Identifier: GPL-2.0 */
/*
 * End-state verification: derived folio state against the kernel's own
 * word at the workload's exit, field by field.
 *
 * Two kinds of snapshot ops come from an exit (recording.h):
 *   - the process snapshot: every page the exiting process maps, with
 *     /proc/kpagecount and /proc/kpageflags; the kernel holds it live;
 *   - the deep snapshot ("deep" markers): every pfn the recording's
 *     alloc/free events touched up to the exit, mapped or not, with the
 *     same two words; a pfn the process snapshot already gave is skipped.
 *
 * Only pages whose history we saw from their allocation (or whose free
 * we saw) count.  Each field is compared only where both sides know it,
 * and the printout says per field how many pages were compared and, for
 * a field never compared, why:
 *   liveness  derived live/freed vs mapped, KPF_BUDDY or any sign of use
 *             (a free page on a per-cpu list shows nothing: not compared)
 *   order     the head/tail shape of each page (KPF_COMPOUND_HEAD/TAIL),
 *             which over all pages of a folio is its order
 *   mapcount  derived entire + subpage mapcount vs kpagecount, where the
 *             recording tracks mapcount (kpagecount is page_mapcount() on
 *             6.1, folio_precise_page_mapcount() on 6.12: the same sum)
 *   flags     the flags the engine models absolutely: anon, on mapped
 *             pages with a tracked mapcount
 *   refcount, pincount
 *             not in /proc: compared only where a kprobe on
 *             stable_page_flags read struct page as the snapshot asked
 *             /proc/kpageflags for the pfn (record/deep.c): the folio's
 *             _refcount on its head, a large folio's _pincount; with such
 *             a reading, liveness is _refcount != 0 (or a compound tail)
 */
#ifndef PAGESTATE_VERIFY_H
#define PAGESTATE_VERIFY_H

#include <stdio.h>

#include "pagestate/folio.h"

struct ps_verify;

struct ps_verify *ps_verify_new(struct ps_engine *e);
void ps_verify_free(struct ps_verify *v);

enum ps_verify_field {
	PS_VF_LIVENESS,
	PS_VF_ORDER,
	PS_VF_REFCOUNT,
	PS_VF_MAPCOUNT,
	PS_VF_PINCOUNT,
	PS_VF_FLAGS,
	PS_VF_NR
};

struct ps_verify_result {
	u64 pages;		/* exit-snapshot pages (process + deep) */
	u64 deep;		/* ...of them from a deep snapshot */
	u64 deep_full;		/* ...with at least one field compared */
	u64 deep_agree;		/* ...agreeing on every compared field */
	u64 full;		/* process snapshot: pages compared (M) */
	u64 agree;		/* ...agreeing on every compared field (N) */
	u64 no_history;		/* allocated before the recording started */
	u64 kernel_unknown;	/* the kernel's words say neither live nor free */
	u64 raced;		/* changed while the snapshot was being read */
	u64 mapcount_compared;	/* process-snapshot pages whose mapcount
				 * was compared */
	u64 kreads;		/* struct page readings of a probe */
	u64 untraced;		/* freed, then in use by the kernel with no
				 * flag and no alloc event (alloc_pages_bulk) */
	u64 slab_untraced;	/* freed, then slab and nothing else, with no
				 * alloc event: the kernel kept none */
	u64 non_compound;	/* past the first page of a non-__GFP_COMP
				 * block: the kernel keeps no state there */
	u64 lost;		/* a life (or the time since a free) that
				 * lost events cross: not judged */
	u64 compared[PS_VF_NR];	/* per field: pages compared */
	u64 agreed[PS_VF_NR];	/* ...and agreeing */
};

void ps_verify_result(const struct ps_verify *v, struct ps_verify_result *r);
const char *ps_verify_field_name(enum ps_verify_field f);

/* Called for each disagreement (the end-state rule reports them). */
typedef void (*ps_verify_mismatch_fn)(void *data, const struct ps_op *op,
				      const struct ps_folio *f,
				      const char *what);
void ps_verify_set_mismatch_hook(struct ps_verify *v, ps_verify_mismatch_fn fn,
				 void *data);
/*
 * "agree N/M pages" of the process snapshots, "deep snapshot: agree
 * N/M" (or why there is none), "all: agree N/M pages" of both, one
 * "<field> agree N/M" or "<field> not compared: why" line per field over
 * both, and the first disagreements.
 */
void ps_verify_print(const struct ps_verify *v, FILE *f);

#endif
