// SPDX-License-Identifier: GPL-2.0
/*
 * The subpage grid of a large folio at the timeline's cursor: one cell
 * per subpage (32 to a row, so a 2 MiB THP is 32x16), each showing the
 * subpage's PTE mapcount and one state letter:
 *
 *   .  unmapped        1-9  PTE mapcount (+ above 9, ! negative)
 *   x  anon_exclusive  P    pinned through this subpage (FOLL_PIN ops)
 *   M  a migration entry points here
 *
 * The subpage of the selected event is shown reversed.  The grid is a
 * pane under the timeline, or a view of its own (u) whose j/k still
 * step through the timeline.  Folios above 512 subpages fold several
 * subpages into a cell (highest mapcount, any state).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

#define GRID_COLS	32
#define GRID_CELLS	512

struct subpages {
	struct view *tlv;	/* the timeline view it follows */
};

static void grid_shape(const struct timeline *tl, u32 *group, u32 *cols,
		       u32 *rows)
{
	u32 cells;

	*group = tl->nr_sub > GRID_CELLS ? tl->nr_sub / GRID_CELLS : 1;
	cells = tl->nr_sub / *group;
	*cols = cells >= GRID_COLS ? GRID_COLS : cells;
	*rows = *cols ? cells / *cols : 0;
}

struct view *subpages_pane(struct view *timeline)
{
	struct timeline *tl = timeline_view_timeline(timeline);
	struct view *v = ps_xcalloc(1, sizeof(*v));
	struct subpages *sp = ps_xcalloc(1, sizeof(*sp));
	u32 group, cols, rows;

	grid_shape(tl, &group, &cols, &rows);
	sp->tlv = timeline;
	v->ops = &subpages_view_ops;
	v->tui = timeline->tui;
	v->priv = sp;
	v->height = (int)rows + 3;	/* title, summary, grid, legend */
	return v;
}

void subpages_pane_free(struct view *pane)
{
	if (!pane)
		return;
	free(pane->priv);
	free(pane);
}

static int subpages_open(struct view *v, void *arg)
{
	struct view *tlv = arg;
	struct subpages *sp;
	struct timeline *tl = timeline_view_timeline(tlv);

	if (!tl->order) {
		tui_message(v->tui, true, "0x%llx is a small folio: no "
			    "subpages", (unsigned long long)tl->pfn);
		return -1;
	}
	if (!tl->grid) {
		tui_message(v->tui, true, "no subpage grid for order %u",
			    tl->order);
		return -1;
	}
	sp = ps_xcalloc(1, sizeof(*sp));
	sp->tlv = tlv;
	v->priv = sp;
	return 0;
}

static void subpages_close(struct view *v)
{
	free(v->priv);
}

/* One cell over subpages [first, first + group). */
static void cell(const struct timeline *tl, u32 first, u32 group,
		 char out[3], int *attr, bool utf8, char *wide, size_t wsize)
{
	s32 map = 0;
	u32 flags = 0, i;
	int pins = 0;
	char c, st = ' ';

	for (i = first; i < first + group && i < tl->nr_sub; i++) {
		if (i == first || tl->grid[i].mapcount > map)
			map = tl->grid[i].mapcount;
		flags |= tl->grid[i].flags;
		pins += tl->pins[i];
	}
	if (map < 0)
		c = '!';
	else if (map == 0)
		c = '.';
	else if (map > 9)
		c = '+';
	else
		c = '0' + map;
	*attr = map ? TA_NORMAL : tui_attr(C_DIM);
	if (flags & PS_SUB_ANON_EXCLUSIVE) {
		st = 'x';
		*attr = tui_attr(C_EXCL);
	}
	if (flags & PS_SUB_MIGRATION) {
		st = 'M';
		*attr = tui_attr(C_MIGR);
	}
	if (pins > 0) {
		st = 'P';
		*attr = tui_attr(C_PIN);
	}
	out[0] = c;
	out[1] = st;
	out[2] = '\0';
	/* a middle dot reads better than '.' where the terminal has it */
	if (utf8 && c == '.')
		snprintf(wide, wsize, "\u00b7%c", st);
	else
		snprintf(wide, wsize, "%s", out);
}

static void summary(struct view *v, const struct timeline *tl,
		    const struct tl_row *r, int y)
{
	const struct ps_state *s = r ? &r->after : NULL;
	u32 mapped = 0, excl = 0, pinned = 0, migr = 0, i;
	char ref[24] = "?", pin[24] = "?", ent[24] = "?";

	for (i = 0; i < tl->nr_sub; i++) {
		mapped += tl->grid[i].mapcount > 0;
		excl += !!(tl->grid[i].flags & PS_SUB_ANON_EXCLUSIVE);
		migr += !!(tl->grid[i].flags & PS_SUB_MIGRATION);
		pinned += tl->pins[i] > 0;
	}
	if (s && (s->known & PS_KNOWN_REFCOUNT))
		snprintf(ref, sizeof(ref), "%lld", (long long)s->refcount);
	if (s && (s->known & PS_KNOWN_PINCOUNT))
		snprintf(pin, sizeof(pin), "%d", s->pincount);
	if (s && (s->known & PS_KNOWN_MAPCOUNT))
		snprintf(ent, sizeof(ent), "%d", s->entire_mapcount);
	tui_printf(y, 1, COLS - 1, TA_NORMAL,
		   "entire_mapcount %s  refcount %s  pincount %s  | PTE-mapped "
		   "%u/%u  anon_exclusive %u%s  pinned %u  migration %u",
		   ent, ref, pin, mapped, tl->nr_sub, excl,
		   s && (s->flags & PS_PG_ANON_EXCLUSIVE) ? " (+head)" : "",
		   pinned, migr);
}

static void subpages_draw(struct view *v)
{
	struct subpages *sp = v->priv;
	struct timeline *tl = timeline_view_timeline(sp->tlv);
	long row = timeline_view_row(sp->tlv);
	const struct tl_row *r = row >= 0 ? &tl->rows[row] : NULL;
	u32 group, cols, rows, i, j;
	long opsub = -1;
	int y = v->y + 1, last = v->y + v->height;

	tl_seek(tl, row);
	grid_shape(tl, &group, &cols, &rows);
	if (r && r->op.pfn != PS_PFN_NONE && r->op.pfn >= tl->pfn &&
	    r->op.pfn - tl->pfn < tl->nr_sub)
		opsub = (long)((r->op.pfn - tl->pfn) / group);
	if (y < last)
		summary(v, tl, r, y++);
	for (i = 0; i < rows && y < last - 1; i++, y++) {
		int x = 1;

		tui_put(y, 0, COLS, TA_NORMAL, "");
		tui_printf(y, x, 8, tui_attr(C_HEADER), "+0x%03x",
			   i * cols * group);
		x += 8;
		for (j = 0; j < cols && x + 2 < COLS; j++) {
			char out[3], wide[8];
			int attr;
			u32 c = i * cols + j;

			cell(tl, c * group, group, out, &attr, v->tui->utf8,
			     wide, sizeof(wide));
			if ((long)c == opsub)
				attr |= A_REVERSE;
			attrset(attr);
			mvaddstr(y, x, wide);
			attrset(TA_NORMAL);
			x += 2;
			if (j % 8 == 7)
				x++;
		}
	}
	for (; y < last - 1; y++)
		tui_put(y, 0, COLS, TA_NORMAL, "");
	if (y < last)
		tui_printf(y, 1, COLS - 1, tui_attr(C_DIM),
			   ". unmapped  1-9 PTE mapcount  x anon_exclusive  "
			   "P pinned  M migration entry  reversed: the "
			   "event's subpage%s",
			   group > 1 ? "  (cell = several subpages)" : "");
}

static void subpages_title(struct view *v, char *buf, size_t size)
{
	struct subpages *sp = v->priv;
	struct timeline *tl = timeline_view_timeline(sp->tlv);
	long row = timeline_view_row(sp->tlv);
	u32 group, cols, rows;
	char ts[32] = "";

	grid_shape(tl, &group, &cols, &rows);
	if (row >= 0)
		tui_fmt_ts(tl->rows[row].op.ts, ts, sizeof(ts));
	snprintf(buf, size, "subpages of 0x%llx/%u (%ux%u) after event %ld/%u"
		 "%s%s%s%s", (unsigned long long)tl->pfn, tl->order, cols,
		 rows, row + 1, tl->nr_rows, row >= 0 ? " at " : "", ts,
		 row >= 0 ? " " : "",
		 row >= 0 ? ps_op_kind_name(tl->rows[row].op.kind) : "");
}

static enum request subpages_request(struct view *v, enum request req)
{
	struct subpages *sp = v->priv;

	switch (req) {
	case REQ_DOWN: case REQ_UP: case REQ_PGDN: case REQ_PGUP:
	case REQ_FIRST: case REQ_LAST:
	case REQ_NEXT_COLLAPSE: case REQ_PREV_COLLAPSE:
	case REQ_NEXT_SPLIT: case REQ_PREV_SPLIT:
	case REQ_NEXT_PIN: case REQ_PREV_PIN:
	case REQ_NEXT_MIGRATE: case REQ_PREV_MIGRATE:
	case REQ_JUMP_TS:
		timeline_view_step(sp->tlv, req);
		return REQ_NONE;
	case REQ_VIEW_SUBPAGES:
		return REQ_NONE;
	default:
		return req;
	}
}

static void subpages_position(struct view *v, char *buf, size_t size,
			      u64 *from, u64 *to)
{
	struct subpages *sp = v->priv;

	sp->tlv->ops->position(sp->tlv, buf, size, from, to);
}

static u32 subpages_folio(struct view *v)
{
	struct subpages *sp = v->priv;

	return timeline_view_timeline(sp->tlv)->folio;
}

const struct view_ops subpages_view_ops = {
	.name = "subpages",
	.open = subpages_open,
	.close = subpages_close,
	.draw = subpages_draw,
	.request = subpages_request,
	.title = subpages_title,
	.position = subpages_position,
	.folio = subpages_folio,
};
