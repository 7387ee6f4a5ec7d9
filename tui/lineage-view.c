// SPDX-License-Identifier: GPL-2.0
/*
 * Lineage of one folio: the folios it came from (collapse parents, the
 * THP it was split from, the page it was migrated from) and the folios
 * that came from it.  Links are the engine's, parents resolved to index
 * folios by head pfn, order and time; Enter opens that folio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

struct lin_line {
	u32 folio;		/* to open, PS_INDEX_NONE for text */
	u32 link;		/* lineage entry, PS_INDEX_NONE for text */
	bool descendant;
	const char *text;
};

struct lineage {
	u32 folio;
	struct lin_line *lines;
	size_t nr, alloc;
};

static void add(struct lineage *l, u32 folio, u32 link, bool desc,
		const char *text)
{
	struct lin_line *n;

	if (l->nr == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 32;
		l->lines = ps_xrealloc(l->lines, l->alloc * sizeof(*l->lines));
	}
	n = &l->lines[l->nr++];
	n->folio = folio;
	n->link = link;
	n->descendant = desc;
	n->text = text;
}

static int lineage_open(struct view *v, void *arg)
{
	struct tui *tui = v->tui;
	const struct ps_index *x = tui->x;
	struct lineage *l = ps_xcalloc(1, sizeof(*l));
	u32 first, n, i;
	u64 k, before;

	l->folio = tui->cur_folio;
	v->priv = l;
	add(l, l->folio, PS_INDEX_NONE, false, NULL);
	add(l, PS_INDEX_NONE, PS_INDEX_NONE, false,
	    "came from (ancestors):");
	n = ps_index_lineage_of(x, l->folio, &first);
	for (i = 0; i < n; i++)
		add(l, x->lineage[first + i].parent, first + i, false, NULL);
	if (!n)
		add(l, PS_INDEX_NONE, PS_INDEX_NONE, false,
		    "  none: allocated, or first seen, as it is");
	add(l, PS_INDEX_NONE, PS_INDEX_NONE, false,
	    "went to (descendants):");
	before = l->nr;
	for (k = 0; k < x->hdr->nr_lineage; k++)
		if (x->lineage[k].parent == l->folio)
			add(l, x->lineage[k].child, (u32)k, true, NULL);
	if (l->nr == before)
		add(l, PS_INDEX_NONE, PS_INDEX_NONE, true,
		    "  none: freed, or live at the end, as it was");
	v->lines = l->nr;
	/* on the first link, if any */
	for (k = 1; k < l->nr; k++)
		if (l->lines[k].folio != PS_INDEX_NONE) {
			v->lineno = k;
			break;
		}
	return 0;
}

static void lineage_close(struct view *v)
{
	struct lineage *l = v->priv;

	free(l->lines);
	free(l);
}

static void lineage_draw_line(struct view *v, size_t lineno, int y,
			      bool selected)
{
	struct tui *tui = v->tui;
	struct lineage *l = v->priv;
	const struct lin_line *ln = &l->lines[lineno];
	int base = selected ? tui_attr(C_CURSOR) : TA_NORMAL;
	const struct ps_index_folio *f;
	char ts[32], born[32], marks[16];

	if (ln->text) {
		tui_put(y, 1, COLS - 1, (ln->text[0] == ' ' ? TA_NORMAL :
					 tui_attr(C_HEADER)) | base, ln->text);
		return;
	}
	if (ln->link == PS_INDEX_NONE) {	/* the folio itself */
		f = &tui->x->folios[ln->folio];
		tui_fmt_ts(f->born_ts, born, sizeof(born));
		tui_fmt_ts(f->end_ts, ts, sizeof(ts));
		tui_folio_marks(f, marks, sizeof(marks));
		tui_printf(y, 1, COLS - 1, tui_attr(C_HEADER) | base,
			   "folio 0x%llx/%u: born %s, %s %s, lineage %s",
			   (unsigned long long)f->pfn, f->order, born,
			   tui_state_name(f->state), ts, marks);
		return;
	}
	{
		const struct ps_index_lineage *k = &tui->x->lineage[ln->link];
		const char *kind = ps_lineage_kind_name(k->kind);
		char who[64];

		tui_fmt_ts(k->ts, ts, sizeof(ts));
		if (ln->descendant) {
			f = &tui->x->folios[k->child];
			snprintf(who, sizeof(who), "0x%llx/%u",
				 (unsigned long long)f->pfn, f->order);
		} else {
			snprintf(who, sizeof(who), "0x%llx/%u%s",
				 (unsigned long long)k->parent_pfn, k->order,
				 k->parent == PS_INDEX_NONE ?
				 " (not in the index)" : "");
		}
		tui_printf(y, 1, COLS - 1, base, "  %s %-8s %-28s at %s%s",
			   tui->utf8 ? (ln->descendant ? "\u2192" : "\u2190") :
			   (ln->descendant ? ">" : "<"), kind, who, ts,
			   k->inferred ? "  (inferred, not traced)" : "");
	}
}

static void lineage_title(struct view *v, char *buf, size_t size)
{
	struct lineage *l = v->priv;
	const struct ps_index_folio *f = &v->tui->x->folios[l->folio];

	snprintf(buf, size, "lineage of 0x%llx/%u: collapse, split and "
		 "migration links; Enter opens a folio",
		 (unsigned long long)f->pfn, f->order);
}

static u32 lineage_folio(struct view *v)
{
	struct lineage *l = v->priv;

	return l->lines[v->lineno].folio;
}

static enum request lineage_request(struct view *v, enum request req)
{
	u32 folio = lineage_folio(v);

	if (req != REQ_ENTER)
		return req;
	if (folio == PS_INDEX_NONE) {
		tui_message(v->tui, true, "no folio on this line");
		return REQ_NONE;
	}
	tui_open_timeline(v->tui, folio, -1, 0, 0);
	return REQ_NONE;
}

static bool lineage_grep(struct view *v, size_t lineno,
			 const struct tui_query *q)
{
	struct lineage *l = v->priv;
	u32 folio = l->lines[lineno].folio;

	if (folio == PS_INDEX_NONE)
		return l->lines[lineno].text &&
		       strstr(l->lines[lineno].text, q->text);
	return tui_query_folio(v->tui, &v->tui->x->folios[folio], q);
}

static void lineage_position(struct view *v, char *buf, size_t size,
			     u64 *from, u64 *to)
{
	struct lineage *l = v->priv;

	snprintf(buf, size, "line %zu/%zu of 0x%llx's lineage", v->lineno + 1,
		 v->lines,
		 (unsigned long long)v->tui->x->folios[l->folio].pfn);
}

const struct view_ops lineage_view_ops = {
	.name = "lineage",
	.open = lineage_open,
	.close = lineage_close,
	.draw_line = lineage_draw_line,
	.request = lineage_request,
	.grep = lineage_grep,
	.title = lineage_title,
	.position = lineage_position,
	.folio = lineage_folio,
};
