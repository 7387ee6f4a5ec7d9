// SPDX-License-Identifier: GPL-2.0
/*
 * The view stack (as tig's): pushing a view opens it on what it shows,
 * popping closes it, the top one gets the keys.  Moving the cursor, and
 * the jumps that open or reuse a view: a folio's timeline, a finding.
 */
#include <stdlib.h>

#include "tui.h"

/* --- views ------------------------------------------------------------------ */

struct view *tui_top(struct tui *tui)
{
	return tui->depth ? tui->stack[tui->depth - 1] : NULL;
}

struct view *tui_push(struct tui *tui, const struct view_ops *ops, void *arg)
{
	struct view *v;

	if (tui->depth == TUI_MAX_VIEWS) {
		tui_message(tui, true, "too many views open; press q");
		return NULL;
	}
	v = ps_xcalloc(1, sizeof(*v));
	v->ops = ops;
	v->tui = tui;
	tui_progress_reset();
	if (ops->open && ops->open(v, arg)) {
		free(v);
		return NULL;
	}
	tui->stack[tui->depth++] = v;
	return v;
}

static void view_free(struct view *v)
{
	if (v->ops->close)
		v->ops->close(v);
	free(v);
}

void tui_pop(struct tui *tui)
{
	if (!tui->depth)
		return;
	view_free(tui->stack[--tui->depth]);
	if (!tui->depth)
		tui->quit = true;
}

int tui_content_height(const struct view *v)
{
	int h = v->height - 1 - (v->ops->header ? 1 : 0);

	return h > 1 ? h : 1;
}

void tui_move_to(struct view *v, size_t lineno)
{
	int h = tui_content_height(v);

	if (!v->lines)
		return;
	if (lineno >= v->lines)
		lineno = v->lines - 1;
	v->lineno = lineno;
	if (v->lineno < v->offset)
		v->offset = v->lineno;
	if (v->lineno >= v->offset + h)
		v->offset = v->lineno - h + 1;
	if (v->ops->select)
		v->ops->select(v);
}

/* The cursor moves every view shares; false for any other request. */
bool tui_move_request(struct view *v, enum request req, size_t page)
{
	switch (req) {
	case REQ_DOWN:
		tui_move_to(v, v->lineno + 1);
		return true;
	case REQ_UP:
		tui_move_to(v, v->lineno ? v->lineno - 1 : 0);
		return true;
	case REQ_PGDN:
		tui_move_to(v, v->lineno + page);
		return true;
	case REQ_PGUP:
		tui_move_to(v, v->lineno > page ? v->lineno - page : 0);
		return true;
	case REQ_FIRST:
		tui_move_to(v, 0);
		return true;
	case REQ_LAST:
		tui_move_to(v, v->lines ? v->lines - 1 : 0);
		return true;
	default:
		return false;
	}
}

/* --- jumps ----------------------------------------------------------------- */

int tui_open_timeline(struct tui *tui, u32 folio, long finding, u32 kinds,
		      int dir)
{
	struct timeline_arg a = { folio, finding, kinds, dir };
	struct view *top = tui_top(tui);

	if (folio == PS_INDEX_NONE || folio >= tui->x->hdr->nr_folios)
		return -1;
	tui->cur_folio = folio;
	/* the same folio's timeline on top: just move its cursor */
	if (top && top->ops == &timeline_view_ops &&
	    top->ops->folio(top) == folio) {
		timeline_view_place(top, &a);
		return 0;
	}
	return tui_push(tui, &timeline_view_ops, &a) ? 0 : -1;
}

int tui_goto_finding(struct tui *tui, long fi)
{
	const struct ps_index_finding *f;

	if (fi < 0 || (u64)fi >= tui->x->hdr->nr_findings)
		return -1;
	f = &tui->x->findings[fi];
	tui->cur_finding = fi;
	if (f->folio == PS_INDEX_NONE) {
		tui_message(tui, true, "finding %ld (%s) is not about a folio "
			    "of the index", fi + 1, f->rule);
		return -1;
	}
	if (tui_open_timeline(tui, f->folio, fi, 0, 0))
		return -1;
	tui_message(tui, false, "finding %ld/%llu: %s %s", fi + 1,
		    (unsigned long long)tui->x->hdr->nr_findings, f->rule,
		    f->what);
	return 0;
}

u32 tui_view_folio(struct view *v)
{
	return v->ops->folio ? v->ops->folio(v) : PS_INDEX_NONE;
}

/*
 * Next/previous finding from where the top view is: the selected event
 * of a timeline, the birth of the selected folio, else the finding
 * last jumped to.  Findings are in recording order.
 */
void tui_next_finding(struct tui *tui, struct view *v, int dir)
{
	const struct ps_index_hdr *h = tui->x->hdr;
	long i, n = (long)h->nr_findings;
	u64 ts = 0, off = 0;
	bool have_pos = false, inclusive = false;

	if (!n) {
		tui_message(tui, true, "no findings in this recording");
		return;
	}
	if (v->ops == &timeline_view_ops && timeline_view_row(v) >= 0) {
		const struct tl_row *r = &timeline_view_timeline(v)->rows[
			timeline_view_row(v)];

		ts = r->op.ts;
		off = r->op.offset;
		have_pos = true;
	} else if (v->ops != &findings_view_ops &&
		   tui_view_folio(v) != PS_INDEX_NONE) {
		ts = tui->x->folios[tui_view_folio(v)].born_ts;
		have_pos = true;
		inclusive = dir > 0;
	}
	if (have_pos) {
		for (i = dir > 0 ? 0 : n - 1; i >= 0 && i < n; i += dir) {
			const struct ps_index_finding *f = &tui->x->findings[i];
			bool after = f->ts > ts || (f->ts == ts &&
				     (f->offset > off || inclusive));
			bool before = f->ts < ts || (f->ts == ts &&
				      f->offset < off);

			if ((dir > 0 && after) || (dir < 0 && before))
				break;
		}
	} else {
		i = tui->cur_finding + dir;
		if (tui->cur_finding < 0 && dir < 0)
			i = n - 1;
	}
	if (i < 0 || i >= n) {
		tui_message(tui, true, "no %s finding", dir > 0 ? "next" :
			    "previous");
		return;
	}
	/* stepping through findings replaces a timeline, not stacks them */
	if (v->ops == &timeline_view_ops &&
	    tui->x->findings[i].folio != tui_view_folio(v) &&
	    tui->x->findings[i].folio != PS_INDEX_NONE && tui->depth > 1)
		tui_pop(tui);
	tui_goto_finding(tui, i);
}

u32 tui_current_folio(struct tui *tui, struct view *v, const char *why)
{
	u32 folio = tui_view_folio(v);

	if (folio == PS_INDEX_NONE)
		folio = tui->cur_folio;
	if (folio == PS_INDEX_NONE)
		tui_message(tui, true, "select a folio %s", why);
	else
		tui->cur_folio = folio;
	return folio;
}

void tui_open_about_folio(struct tui *tui, struct view *v,
			  const struct view_ops *ops)
{
	if (tui_current_folio(tui, v, "first") != PS_INDEX_NONE)
		tui_push(tui, ops, v);
}

