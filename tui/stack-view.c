// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel stack of the event selected in a timeline, when the
 * recording has stacks (pagestate record --stack): one frame per line,
 * innermost first, symbolized from the kallsyms saved in the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

#define STACK_BUF	16384

struct stack {
	char *buf;
	char **frames;
	size_t nr;
	char title[256];
};

static int stack_open(struct view *v, void *arg)
{
	struct view *tlv = arg;
	struct tui *tui = v->tui;
	struct timeline *tl = timeline_view_timeline(tlv);
	long row = timeline_view_row(tlv);
	struct stack *s = ps_xcalloc(1, sizeof(*s));
	const char *why = NULL;
	char ts[32] = "", *p;
	int n = -1;

	v->priv = s;
	s->buf = ps_xmalloc(STACK_BUF);
	s->buf[0] = '\0';
	if (row >= 0)
		tui_fmt_ts(tl->rows[row].op.ts, ts, sizeof(ts));
	snprintf(s->title, sizeof(s->title), "kernel stack of event %ld/%u "
		 "of 0x%llx/%u at %s %s", row + 1, tl->nr_rows,
		 (unsigned long long)tl->pfn, tl->order, ts,
		 row >= 0 ? ps_op_kind_name(tl->rows[row].op.kind) : "");
	if (!(tui->x->hdr->flags & PS_IDXF_STACKS))
		why = "no stacks in this recording (record with "
		      "'pagestate record --stack')";
	else if (row < 0)
		why = "no event selected";
	else if (!tl->rows[row].stack_offset)
		why = "no stack was recorded for this event";
	if (!why) {
		n = ps_trace_stack(tui->t, tl->rows[row].stack_offset, s->buf,
				   STACK_BUF);
		if (n < 0)
			why = "the stack record cannot be read";
	}
	if (why) {
		snprintf(s->buf, STACK_BUF, "%s", why);
		n = 1;
	}
	s->frames = ps_xcalloc(n > 0 ? n : 1, sizeof(*s->frames));
	for (p = s->buf; *p && s->nr < (size_t)(n > 0 ? n : 1);) {
		char *nl = strchr(p, '\n');

		s->frames[s->nr++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	v->lines = s->nr;
	return 0;
}

static void stack_close(struct view *v)
{
	struct stack *s = v->priv;

	free(s->buf);
	free(s->frames);
	free(s);
}

static void stack_draw_line(struct view *v, size_t lineno, int y,
			    bool selected)
{
	struct stack *s = v->priv;

	tui_printf(y, 1, COLS - 1, selected ? tui_attr(C_CURSOR) : TA_NORMAL,
		   "%s", s->frames[lineno]);
}

static void stack_title(struct view *v, char *buf, size_t size)
{
	snprintf(buf, size, "%s", ((struct stack *)v->priv)->title);
}

static bool stack_grep(struct view *v, size_t lineno,
		       const struct tui_query *q)
{
	return strstr(((struct stack *)v->priv)->frames[lineno], q->text);
}

static void stack_position(struct view *v, char *buf, size_t size,
			   u64 *from, u64 *to)
{
	snprintf(buf, size, "frame %zu/%zu", v->lineno + 1, v->lines);
}

const struct view_ops stack_view_ops = {
	.name = "stack",
	.open = stack_open,
	.close = stack_close,
	.draw_line = stack_draw_line,
	.grep = stack_grep,
	.title = stack_title,
	.position = stack_position,
};
