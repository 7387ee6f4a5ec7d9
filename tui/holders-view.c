// SPDX-License-Identifier: GPL-2.0
/*
 * Who held the folio's references right after the event selected in a
 * timeline (key H): the reference ledger of analyze/holders.c, one row
 * per holder, each with its recorded stack when there is one.  The
 * ledger is rebuilt by one replay of the recording up to that event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagestate/holders.h"
#include "tui.h"

struct holders_pane {
	char *buf;
	size_t size;
	char **lines;
	size_t nr;
	char title[256];
};

static void split_lines(struct holders_pane *h)
{
	size_t n = 1;
	char *p;

	for (p = h->buf; *p; p++)
		n += *p == '\n';
	h->lines = ps_xcalloc(n, sizeof(*h->lines));
	for (p = h->buf; *p && h->nr < n;) {
		char *nl = strchr(p, '\n');

		h->lines[h->nr++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
}

static int holders_open(struct view *v, void *arg)
{
	struct view *tlv = arg;
	struct tui *tui = v->tui;
	struct timeline *tl = timeline_view_timeline(tlv);
	long row = timeline_view_row(tlv);
	struct holders_pane *h = ps_xcalloc(1, sizeof(*h));
	struct ps_holders hs;
	const struct ps_op *op = row >= 0 ? &tl->rows[row].op : NULL;
	FILE *out;
	char ts[32] = "";

	v->priv = h;
	if (op)
		tui_fmt_ts(op->ts, ts, sizeof(ts));
	snprintf(h->title, sizeof(h->title), "holders of 0x%llx/%u after "
		 "event %ld/%u at %s %s", (unsigned long long)tl->pfn,
		 tl->order, row + 1, tl->nr_rows, ts,
		 op ? ps_op_kind_name(op->kind) : "");
	out = open_memstream(&h->buf, &h->size);
	if (!out)
		return -1;
	if (!op)
		fprintf(out, "no event selected\n");
	else if (ps_holders_at(tui->path, op->pfn != PS_PFN_NONE ? op->pfn :
			       tl->pfn, op->offset, &hs))
		fprintf(out, "no folio holds the page after this event\n");
	else
		ps_holders_print(tui->t, &hs, "", true, out);
	fclose(out);
	split_lines(h);
	v->lines = h->nr;
	return 0;
}

static void holders_close(struct view *v)
{
	struct holders_pane *h = v->priv;

	free(h->buf);
	free(h->lines);
	free(h);
}

static void holders_draw_line(struct view *v, size_t lineno, int y,
			      bool selected)
{
	struct holders_pane *h = v->priv;

	tui_printf(y, 1, COLS - 1, selected ? tui_attr(C_CURSOR) : TA_NORMAL,
		   "%s", h->lines[lineno]);
}

static void holders_title(struct view *v, char *buf, size_t size)
{
	snprintf(buf, size, "%s", ((struct holders_pane *)v->priv)->title);
}

static bool holders_grep(struct view *v, size_t lineno,
			 const struct tui_query *q)
{
	return strstr(((struct holders_pane *)v->priv)->lines[lineno],
		      q->text);
}

static void holders_position(struct view *v, char *buf, size_t size,
			     u64 *from, u64 *to)
{
	snprintf(buf, size, "line %zu/%zu", v->lineno + 1, v->lines);
}

const struct view_ops holders_view_ops = {
	.name = "holders",
	.open = holders_open,
	.close = holders_close,
	.draw_line = holders_draw_line,
	.grep = holders_grep,
	.title = holders_title,
	.position = holders_position,
};
