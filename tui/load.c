// SPDX-License-Identifier: GPL-2.0
/*
 * A folio's timeline: every page op about it with the state after, and
 * the subpage changes each op made, from one replay of the recording.
 *
 * The index knows the folio by its engine id and the time of its last
 * op, so the replay applies everything (state depends on the whole past)
 * but keeps rows for that one folio and stops right after its end: early
 * folios open at once, the last ones cost one pass over the file.  The
 * subpage grid is kept as diffs with old and new values, so moving the
 * cursor either way replays nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

#define TL_MAX_ROWS		(4u << 20)
#define TL_GRID_MAX_ORDER	12	/* 4096 subpages; above: no grid */
#define TL_NR_CPUS		512
/* a stack record follows its event; allow for it after the folio's end */
#define TL_STACK_SLACK_NS	1000000ull

struct load {
	struct tui *tui;
	struct timeline *tl;
	const struct ps_index_folio *rec;
	u64 id;
	struct ps_engine *e;
	u64 nr_ops;
	u64 first_ts;
	bool truncated;
	/* per cpu: the record of the last op, and our first row from it */
	u64 cpu_offset[TL_NR_CPUS];
	long cpu_row[TL_NR_CPUS];
};

static void tl_free(struct timeline *tl)
{
	if (!tl)
		return;
	free(tl->rows);
	free(tl->diffs);
	free(tl->grid);
	free(tl->pins);
	free(tl);
}

void tui_timelines_free(struct tui *tui)
{
	int i;

	for (i = 0; i < TUI_TIMELINES; i++) {
		tl_free(tui->tl[i]);
		tui->tl[i] = NULL;
	}
	for (i = 0; i < tui->nr_names; i++)
		free(tui->names[i]);
	free(tui->names);
	tui->names = NULL;
	tui->nr_names = 0;
}

/* A copy of s that lives as long as the browser (few distinct names). */
static const char *intern(struct tui *tui, const char *s)
{
	int i;

	for (i = 0; i < tui->nr_names; i++)
		if (!strcmp(tui->names[i], s))
			return tui->names[i];
	tui->names = ps_xrealloc(tui->names, (tui->nr_names + 1) *
				 sizeof(*tui->names));
	tui->names[tui->nr_names] = ps_xstrdup(s);
	return tui->names[tui->nr_names++];
}

static struct tl_row *add_row(struct load *l)
{
	struct timeline *tl = l->tl;
	struct tl_row *r;

	if (tl->nr_rows == TL_MAX_ROWS) {
		l->truncated = true;
		return NULL;
	}
	if (tl->nr_rows == tl->alloc_rows) {
		tl->alloc_rows = tl->alloc_rows ? 2 * tl->alloc_rows : 64;
		tl->rows = ps_xrealloc(tl->rows, tl->alloc_rows *
				       sizeof(*tl->rows));
	}
	r = &tl->rows[tl->nr_rows++];
	memset(r, 0, sizeof(*r));
	r->finding = -1;
	return r;
}

static void add_diff(struct timeline *tl, struct tl_row *r, u32 sub,
		     s32 map, uint16_t flags, int16_t pins)
{
	struct tl_diff *d;

	if (tl->nr_diffs == tl->alloc_diffs) {
		tl->alloc_diffs = tl->alloc_diffs ? 2 * tl->alloc_diffs : 256;
		tl->diffs = ps_xrealloc(tl->diffs, tl->alloc_diffs *
					sizeof(*tl->diffs));
	}
	d = &tl->diffs[tl->nr_diffs++];
	d->sub = sub;
	d->old_map = tl->grid[sub].mapcount;
	d->old_flags = (uint16_t)tl->grid[sub].flags;
	d->old_pins = tl->pins[sub];
	d->new_map = map;
	d->new_flags = flags;
	d->new_pins = pins;
	tl->grid[sub].mapcount = map;
	tl->grid[sub].flags = flags;
	tl->pins[sub] = pins;
	if (!r->nr_diff)
		r->diff_first = (u32)(tl->nr_diffs - 1);
	r->nr_diff++;
}

/* Subpage changes of the op: what f->sub says now against our grid. */
static void diff_subpages(struct timeline *tl, struct tl_row *r,
			  const struct ps_folio *f, const struct ps_op *op)
{
	s32 pin_sub = -1, pin_delta = 0;
	u32 i;

	if (!tl->grid)
		return;
	if ((op->kind == PS_OP_PIN || op->kind == PS_OP_UNPIN) &&
	    op->pfn >= f->pfn && op->pfn - f->pfn < tl->nr_sub) {
		pin_sub = (s32)(op->pfn - f->pfn);
		pin_delta = op->kind == PS_OP_PIN ? 1 : -1;
	}
	for (i = 0; i < tl->nr_sub; i++) {
		int16_t pins = tl->pins[i];

		if ((s32)i == pin_sub && pins + pin_delta >= 0 &&
		    pins + pin_delta < 0x7fff)
			pins += pin_delta;
		if (f->sub[i].mapcount != tl->grid[i].mapcount ||
		    (uint16_t)f->sub[i].flags != tl->grid[i].flags ||
		    pins != tl->pins[i])
			add_diff(tl, r, i, f->sub[i].mapcount,
				 (uint16_t)f->sub[i].flags, pins);
	}
}

static uint16_t changed_bits(const struct ps_state *a, const struct ps_state *b)
{
	uint16_t ch = 0;

	if (a->refcount != b->refcount)
		ch |= TL_CH_REF;
	if (a->mapcount != b->mapcount)
		ch |= TL_CH_MAP;
	if (a->entire_mapcount != b->entire_mapcount)
		ch |= TL_CH_ENTIRE;
	if (a->pincount != b->pincount)
		ch |= TL_CH_PIN;
	if (a->flags != b->flags)
		ch |= TL_CH_FLAGS;
	if (a->live != b->live)
		ch |= TL_CH_LIVE;
	return ch;
}

static void load_hook(void *data, const struct ps_op *op,
		      const struct ps_folio *f, const struct ps_state *before,
		      const struct ps_state *after)
{
	struct load *l = data;
	const struct ps_index_folio *rec = l->rec;
	struct timeline *tl = l->tl;
	struct ps_state zero, *prev;
	bool mine_f, mine_b;
	struct tl_row *r;
	u32 i;

	mine_f = f && f->id == l->id && f->pfn == rec->pfn;
	mine_b = !mine_f && before->live && before->head == rec->pfn &&
		 before->order == rec->order && op->ts >= rec->born_ts &&
		 op->ts <= rec->end_ts &&
		 (!f || f->pfn != rec->pfn || f->order != rec->order);
	if (!mine_f && !mine_b)
		return;
	r = add_row(l);
	if (!r)
		return;
	r->op = *op;
	if (op->result_name)
		r->op.result_name = intern(l->tui, op->result_name);
	if (mine_f) {
		r->after = *after;
	} else {
		/* the op replaced the folio: show it as it ended */
		r->after = *before;
		r->after.live = false;
		r->ended = true;
	}
	memset(&zero, 0, sizeof(zero));
	prev = tl->nr_rows > 1 ? &tl->rows[tl->nr_rows - 2].after : &zero;
	r->changed = changed_bits(prev, &r->after);
	if (mine_f) {
		diff_subpages(tl, r, f, op);
		if (r->nr_diff)
			r->changed |= TL_CH_SUB;
		for (i = 0; i < f->nr_lineage; i++)
			if (f->lineage[i].ts == op->ts && r->new_lineage < 0xffff)
				r->new_lineage++;
	}
	if (op->cpu >= 0 && op->cpu < TL_NR_CPUS &&
	    l->cpu_row[op->cpu] < 0)
		l->cpu_row[op->cpu] = tl->nr_rows - 1;
}

/* A kernel stack belongs to the rows made from the record before it. */
static void attach_stack(struct load *l, const struct ps_op *op)
{
	struct timeline *tl = l->tl;
	long i;

	if (op->cpu < 0 || op->cpu >= TL_NR_CPUS || l->cpu_row[op->cpu] < 0)
		return;
	for (i = l->cpu_row[op->cpu]; i < (long)tl->nr_rows; i++)
		if (tl->rows[i].op.cpu == op->cpu &&
		    tl->rows[i].op.offset == l->cpu_offset[op->cpu] &&
		    !tl->rows[i].stack_offset)
			tl->rows[i].stack_offset = op->offset;
	l->cpu_row[op->cpu] = -1;
}

static int load_apply(void *data, const struct ps_op *op)
{
	struct load *l = data;

	if (op->ts > l->rec->end_ts + TL_STACK_SLACK_NS)
		return 1;
	if (!(++l->nr_ops & 0xffff) && l->rec->end_ts > l->first_ts)
		tui_progress(l->tui, "loading the timeline",
			     (double)(op->ts - l->first_ts) /
			     (double)(l->rec->end_ts - l->first_ts));
	if (op->kind == PS_OP_STACK) {
		attach_stack(l, op);
		return 0;
	}
	if (op->cpu >= 0 && op->cpu < TL_NR_CPUS &&
	    op->offset != l->cpu_offset[op->cpu]) {
		l->cpu_offset[op->cpu] = op->offset;
		l->cpu_row[op->cpu] = -1;
	}
	if (op->ts > l->rec->end_ts)
		return 0;	/* only stacks from here on */
	ps_engine_apply(l->e, op);
	return 0;
}

/* Marks the rows where the index's findings for this folio happened. */
static void place_findings(struct tui *tui, struct timeline *tl)
{
	const struct ps_index *x = tui->x;
	u64 i;
	u32 lo, hi;

	for (i = 0; i < x->hdr->nr_findings; i++) {
		const struct ps_index_finding *fi = &x->findings[i];

		if (fi->folio != tl->folio)
			continue;
		lo = 0;
		hi = tl->nr_rows;
		while (lo < hi) {
			u32 mid = lo + (hi - lo) / 2;

			if (tl->rows[mid].op.ts < fi->ts)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < tl->nr_rows && tl->rows[lo].op.ts == fi->ts; lo++)
			if (tl->rows[lo].op.offset == fi->offset &&
			    tl->rows[lo].op.kind == fi->kind) {
				if (tl->rows[lo].finding < 0)
					tl->rows[lo].finding = (s32)i;
				break;
			}
	}
}

static struct timeline *load(struct tui *tui, u32 folio)
{
	const struct ps_index_folio *rec = &tui->x->folios[folio];
	struct load l = { .tui = tui, .rec = rec, .id = folio,
			  .first_ts = tui->x->hdr->first_ts };
	struct timeline *tl = ps_xcalloc(1, sizeof(*tl));
	struct ps_trace *t;
	int i, ret;

	tl->folio = folio;
	tl->pfn = rec->pfn;
	tl->order = rec->order;
	tl->pos = -1;
	if (rec->order <= TL_GRID_MAX_ORDER) {
		tl->nr_sub = 1u << rec->order;
		tl->grid = ps_xcalloc(tl->nr_sub, sizeof(*tl->grid));
		tl->pins = ps_xcalloc(tl->nr_sub, sizeof(*tl->pins));
	}
	l.tl = tl;
	for (i = 0; i < TL_NR_CPUS; i++)
		l.cpu_row[i] = -1;

	/* a fresh reader: adapters keep per-replay state */
	t = ps_trace_open(tui->path);
	if (!t) {
		tl_free(tl);
		return NULL;
	}
	l.e = ps_engine_new(ps_trace_tracks(t));
	ps_engine_add_hook(l.e, load_hook, &l);
	ret = ps_trace_replay(t, load_apply, &l);
	ps_engine_free(l.e);
	ps_trace_close(t);
	if (ret) {
		tl_free(tl);
		return NULL;
	}
	tl->pos = (long)tl->nr_rows - 1;
	place_findings(tui, tl);
	if (l.truncated)
		tui_message(tui, true, "timeline of 0x%llx cut at %u events",
			    (unsigned long long)tl->pfn, TL_MAX_ROWS);
	else if (tl->nr_rows != rec->nr_ops)
		tui_message(tui, true, "timeline has %u events, the index "
			    "said %u: rebuild it with --reindex",
			    tl->nr_rows, rec->nr_ops);
	return tl;
}

/*
 * The cache keeps the last TUI_TIMELINES timelines; one a view still
 * holds is never dropped (a deep stack of timelines lives outside the
 * cache and goes with its last view).
 */
struct timeline *tui_timeline(struct tui *tui, u32 folio)
{
	struct timeline *tl;
	int i, victim = -1;

	for (i = 0; i < TUI_TIMELINES; i++) {
		tl = tui->tl[i];
		if (tl && tl->folio == folio) {
			tl->last_used = ++tui->tl_clock;
			tl->refs++;
			return tl;
		}
	}
	tl = load(tui, folio);
	if (!tl)
		return NULL;
	for (i = 0; i < TUI_TIMELINES; i++) {
		if (!tui->tl[i]) {
			victim = i;
			break;
		}
		if (!tui->tl[i]->refs && (victim < 0 ||
		    tui->tl[i]->last_used < tui->tl[victim]->last_used))
			victim = i;
	}
	if (victim >= 0) {
		tl_free(tui->tl[victim]);
		tui->tl[victim] = tl;
		tl->cached = true;
	}
	tl->last_used = ++tui->tl_clock;
	tl->refs = 1;
	return tl;
}

void tui_timeline_put(struct tui *tui, struct timeline *tl)
{
	if (!tl)
		return;
	if (--tl->refs <= 0 && !tl->cached)
		tl_free(tl);
}

void tl_seek(struct timeline *tl, long pos)
{
	u32 i;

	if (pos < -1)
		pos = -1;
	if (pos >= (long)tl->nr_rows)
		pos = (long)tl->nr_rows - 1;
	if (!tl->grid) {
		tl->pos = pos;
		return;
	}
	while (tl->pos < pos) {
		const struct tl_row *r = &tl->rows[++tl->pos];

		for (i = 0; i < r->nr_diff; i++) {
			const struct tl_diff *d = &tl->diffs[r->diff_first + i];

			tl->grid[d->sub].mapcount = d->new_map;
			tl->grid[d->sub].flags = d->new_flags;
			tl->pins[d->sub] = d->new_pins;
		}
	}
	while (tl->pos > pos) {
		const struct tl_row *r = &tl->rows[tl->pos--];

		for (i = r->nr_diff; i-- > 0;) {
			const struct tl_diff *d = &tl->diffs[r->diff_first + i];

			tl->grid[d->sub].mapcount = d->old_map;
			tl->grid[d->sub].flags = d->old_flags;
			tl->pins[d->sub] = d->old_pins;
		}
	}
}

void tl_op_detail(struct tui *tui, const struct ps_op *op, char *buf,
		  size_t size)
{
	ps_op_detail(op, buf, size);
	(void)tui;
}
