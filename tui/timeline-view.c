// SPDX-License-Identifier: GPL-2.0
/*
 * The timeline of one folio: each page op about it, oldest first, with
 * who did it and the folio's state after it.  A value that the op
 * changed is highlighted; a finding is marked on the row of its event
 * (! break, i info, ? uncertain).  For a THP the subpage grid follows
 * the cursor in a pane below when the screen has room.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

struct tlview {
	u32 folio;
	struct timeline *tl;
	struct view *pane;	/* the subpage grid below, made on demand */
};

struct timeline *timeline_view_timeline(struct view *v)
{
	return ((struct tlview *)v->priv)->tl;
}

long timeline_view_row(struct view *v)
{
	return v->lines ? (long)v->lineno : -1;
}

static void place_cursor(struct view *v, const struct timeline_arg *a)
{
	struct tlview *tv = v->priv;
	const struct timeline *tl = tv->tl;
	const struct ps_index_finding *fi;
	long i;

	v->lineno = 0;
	if (a->finding >= 0) {
		fi = &v->tui->x->findings[a->finding];
		for (i = 0; i < (long)tl->nr_rows; i++)
			if (tl->rows[i].finding == a->finding ||
			    (tl->rows[i].op.ts == fi->ts &&
			     tl->rows[i].op.offset == fi->offset)) {
				v->lineno = i;
				return;
			}
		tui_message(v->tui, true, "the finding's event is not a row "
			    "of this timeline");
		return;
	}
	if (!a->kinds)
		return;
	for (i = a->dir > 0 ? 0 : (long)tl->nr_rows - 1;
	     i >= 0 && i < (long)tl->nr_rows; i += a->dir > 0 ? 1 : -1)
		if (a->kinds & (1u << tl->rows[i].op.kind)) {
			v->lineno = i;
			return;
		}
}

void timeline_view_place(struct view *v, const struct timeline_arg *a)
{
	struct tlview *tv = v->priv;

	place_cursor(v, a);
	/* a little context above the cursor */
	v->offset = v->lineno > 3 ? v->lineno - 3 : 0;
	tl_seek(tv->tl, timeline_view_row(v));
}

static int timeline_open(struct view *v, void *arg)
{
	const struct timeline_arg *a = arg;
	struct tlview *tv;
	struct timeline *tl;

	v->tui->cur_folio = a->folio;
	tl = tui_timeline(v->tui, a->folio);
	if (!tl) {
		tui_message(v->tui, true, "cannot load the timeline of "
			    "0x%llx", (unsigned long long)
			    v->tui->x->folios[a->folio].pfn);
		return -1;
	}
	tv = v->priv = ps_xcalloc(1, sizeof(*tv));
	tv->folio = a->folio;
	tv->tl = tl;
	v->lines = tl->nr_rows;
	timeline_view_place(v, a);
	return 0;
}

static void timeline_close(struct view *v)
{
	struct tlview *tv = v->priv;

	tui_timeline_put(v->tui, tv->tl);
	subpages_pane_free(tv->pane);
	free(tv);
}

static u32 timeline_folio(struct view *v)
{
	return ((struct tlview *)v->priv)->folio;
}

static void fmt_known(char *buf, size_t size, s64 v, bool known)
{
	if (known)
		snprintf(buf, size, "%lld", (long long)v);
	else
		snprintf(buf, size, "?");
}

static char finding_mark(const struct ps_index *x, s32 fi, int *attr)
{
	if (fi < 0)
		return ' ';
	switch (x->findings[fi].severity) {
	case PS_SEV_BREAK:
		*attr = tui_attr(C_BREAK);
		return '!';
	case PS_SEV_INFO:
		*attr = tui_attr(C_INFO);
		return 'i';
	default:
		*attr = tui_attr(C_UNCERTAIN);
		return '?';
	}
}

/*
 * Columns, from the screen width: time, op, the four counts and some
 * flags always; task, cpu and the op's detail as room allows.
 */
struct cols {
	int ts, cpu, task, op, detail, ref, map, ent, pin, flags;
};

static void layout(struct cols *c)
{
	int avail = COLS - (2 + 13 + 17 + 20 + 14);
	int task = avail >= 8 ? (avail < 18 ? avail : 18) : 0;
	int cpu, detail;

	avail -= task;
	cpu = avail >= 6 ? 6 : 0;
	avail -= cpu;
	detail = avail >= 10 ? (avail < 30 ? avail : 30) : 0;
	c->ts = 2;
	c->cpu = c->ts + 13;
	c->task = c->cpu + cpu;
	c->op = c->task + task;
	c->detail = c->op + 17;
	c->ref = c->detail + detail;
	c->map = c->ref + 5;
	c->ent = c->map + 5;
	c->pin = c->ent + 5;
	c->flags = c->pin + 5;
}

static void timeline_draw_line(struct view *v, size_t lineno, int y,
			       bool selected)
{
	struct tui *tui = v->tui;
	struct tlview *tv = v->priv;
	const struct tl_row *r = &tv->tl->rows[lineno];
	const struct ps_state *s = &r->after;
	int base = selected ? tui_attr(C_CURSOR) : TA_NORMAL;
	int mattr = base, hl = tui_attr(C_CHANGED) | base;
	char buf[512], ts[32];
	struct cols c;
	char mark;

	layout(&c);
	mark = finding_mark(tui->x, r->finding, &mattr);
	tui_printf(y, 1, 1, mattr | base, "%c", mark);
	tui_fmt_ts(r->op.ts, ts, sizeof(ts));
	tui_printf(y, c.ts, c.cpu - c.ts, base, "%12s ", ts);
	tui_printf(y, c.cpu, c.task - c.cpu, base, "[%03d] ", r->op.cpu);
	snprintf(buf, sizeof(buf), "%s-%d", ps_trace_comm(tui->t, r->op.pid),
		 r->op.pid);
	tui_printf(y, c.task, c.op - c.task, base, "%.*s", c.op - c.task - 1,
		   buf);
	tui_put(y, c.op, c.detail - c.op, r->finding >= 0 ? mattr | base :
		base, ps_op_kind_name(r->op.kind));
	tl_op_detail(tui, &r->op, buf, sizeof(buf));
	if (r->new_lineage)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 " +%u parents", r->new_lineage);
	if (r->ended)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 " (ends it)");
	if (c.ref > c.detail)
		tui_printf(y, c.detail, c.ref - c.detail, base, "%.*s",
			   c.ref - c.detail - 1, buf);

	fmt_known(buf, sizeof(buf), s->refcount, s->known & PS_KNOWN_REFCOUNT);
	tui_printf(y, c.ref, 5, r->changed & TL_CH_REF ? hl : base, "%4s",
		   buf);
	fmt_known(buf, sizeof(buf), s->mapcount, s->known & PS_KNOWN_MAPCOUNT);
	tui_printf(y, c.map, 5, r->changed & TL_CH_MAP ? hl : base, "%4s",
		   buf);
	fmt_known(buf, sizeof(buf), s->entire_mapcount,
		  s->known & PS_KNOWN_MAPCOUNT);
	tui_printf(y, c.ent, 5, r->changed & TL_CH_ENTIRE ? hl : base, "%4s",
		   buf);
	fmt_known(buf, sizeof(buf), s->pincount, s->known & PS_KNOWN_PINCOUNT);
	tui_printf(y, c.pin, 5, r->changed & TL_CH_PIN ? hl : base, "%4s",
		   buf);
	ps_pg_flags_str(s->flags, buf, sizeof(buf));
	if (!s->live)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 r->op.kind == PS_OP_FREE ? " [freed]" : " [ended]");
	tui_put(y, c.flags, COLS - c.flags,
		r->changed & (TL_CH_FLAGS | TL_CH_LIVE) ? hl : base, buf);
}

static void timeline_header(struct view *v, char *buf, size_t size)
{
	struct cols c;

	layout(&c);
	snprintf(buf, size, "%*s%-*s%-*s%-*s%-*s%-*s%4s %4s %4s %4s %s",
		 c.ts, "", c.cpu - c.ts, "        time", c.task - c.cpu,
		 c.task > c.cpu ? "cpu" : "", c.op - c.task,
		 c.op > c.task ? "task" : "", c.detail - c.op, "op",
		 c.ref - c.detail, c.ref > c.detail ? "detail" : "", "ref",
		 "map", "ent", "pin", "flags after");
}

static void timeline_title(struct view *v, char *buf, size_t size)
{
	struct tui *tui = v->tui;
	struct tlview *tv = v->priv;
	const struct ps_index_folio *f = &tui->x->folios[tv->folio];
	char born[32], end[32], marks[16];

	tui_fmt_ts(f->born_ts, born, sizeof(born));
	tui_fmt_ts(f->end_ts, end, sizeof(end));
	tui_folio_marks(f, marks, sizeof(marks));
	snprintf(buf, size, "timeline of folio 0x%llx/%u%s: %u events, "
		 "born %s%s, %s %s, lineage %s, %u finding%s",
		 (unsigned long long)f->pfn, f->order, f->order ? " (THP)" : "",
		 tv->tl->nr_rows, born,
		 (f->marks & PS_IDX_NO_BIRTH) ? " (before the recording)" : "",
		 tui_state_name(f->state), end, marks, f->nr_findings,
		 f->nr_findings == 1 ? "" : "s");
}

static void timeline_position(struct view *v, char *buf, size_t size,
			      u64 *from, u64 *to)
{
	struct tlview *tv = v->priv;
	const struct ps_index_folio *f = &v->tui->x->folios[tv->folio];
	char ts[32];

	if (!v->lines) {
		snprintf(buf, size, "0x%llx/%u: no events",
			 (unsigned long long)f->pfn, f->order);
		return;
	}
	tui_fmt_ts(tv->tl->rows[v->lineno].op.ts, ts, sizeof(ts));
	snprintf(buf, size, "0x%llx/%u event %zu/%zu at %s",
		 (unsigned long long)f->pfn, f->order, v->lineno + 1, v->lines,
		 ts);
	*from = f->born_ts;
	*to = tv->tl->rows[v->lineno].op.ts;
}

static void timeline_select(struct view *v)
{
	struct tlview *tv = v->priv;

	v->tui->cur_folio = tv->folio;
	tl_seek(tv->tl, timeline_view_row(v));
}

static bool timeline_grep(struct view *v, size_t lineno,
			  const struct tui_query *q)
{
	struct tlview *tv = v->priv;
	const struct ps_op *op = &tv->tl->rows[lineno].op;
	const struct ps_index_hdr *h = v->tui->x->hdr;
	u32 i;

	switch (q->type) {
	case Q_PFN:
		return op->pfn == q->num;
	case Q_PID:
		return op->pid > 0 && (u64)op->pid == q->num;
	case Q_NAME:
		if (q->kinds & (1u << op->kind))
			return true;
		for (i = 0; i < h->nr_events; i++)
			if ((q->evmask & (1ull << i)) &&
			    (int)h->event_ids[i] == op->event_id)
				return true;
		return op->pid > 0 &&
		       strstr(ps_trace_comm(v->tui->t, op->pid), q->text);
	}
	return false;
}

static void move_kind(struct view *v, enum request req)
{
	struct tlview *tv = v->priv;
	const char *name;
	int dir;
	u32 kinds = tui_request_kinds(req, &name, &dir);
	long i;

	for (i = (long)v->lineno + dir; i >= 0 && i < (long)v->lines; i += dir)
		if (kinds & (1u << tv->tl->rows[i].op.kind)) {
			tui_move_to(v, i);
			return;
		}
	tui_message(v->tui, true, "no %s %s event in this folio's timeline",
		    dir > 0 ? "later" : "earlier", name);
}

static enum request timeline_request(struct view *v, enum request req)
{
	struct tlview *tv = v->priv;
	size_t i;

	switch (req) {
	case REQ_NEXT_COLLAPSE: case REQ_PREV_COLLAPSE:
	case REQ_NEXT_SPLIT: case REQ_PREV_SPLIT:
	case REQ_NEXT_PIN: case REQ_PREV_PIN:
	case REQ_NEXT_MIGRATE: case REQ_PREV_MIGRATE:
		if (v->lines)
			move_kind(v, req);
		return REQ_NONE;
	case REQ_JUMP_TS:
		for (i = 0; i < v->lines; i++)
			if (tv->tl->rows[i].op.ts >= v->tui->jump_ts)
				break;
		if (i == v->lines) {
			tui_message(v->tui, true, "this folio has no event "
				    "at or after that time");
			return REQ_NONE;
		}
		tui_move_to(v, i);
		return REQ_NONE;
	case REQ_ENTER:
		if (!v->lines)
			return REQ_NONE;
		/* what an event leads to: its stack, else its lineage */
		if (v->tui->x->hdr->flags & PS_IDXF_STACKS)
			return REQ_VIEW_STACK;
		return REQ_VIEW_LINEAGE;
	default:
		return req;
	}
}

static struct view *timeline_split(struct view *v)
{
	struct tlview *tv = v->priv;

	if (!tv->tl || !tv->tl->order || !tv->tl->grid)
		return NULL;
	if (!tv->pane)
		tv->pane = subpages_pane(v);
	tl_seek(tv->tl, timeline_view_row(v));
	return tv->pane;
}

void timeline_view_step(struct view *v, enum request req)
{
	if (!tui_move_request(v, req, 10))
		timeline_request(v, req);
}

const struct view_ops timeline_view_ops = {
	.name = "timeline",
	.open = timeline_open,
	.close = timeline_close,
	.draw_line = timeline_draw_line,
	.request = timeline_request,
	.select = timeline_select,
	.grep = timeline_grep,
	.title = timeline_title,
	.header = timeline_header,
	.position = timeline_position,
	.split = timeline_split,
	.folio = timeline_folio,
};
