// SPDX-License-Identifier: GPL-2.0
/*
 * Help: the key map, generated from the key table (keys.c), then a few
 * lines on what the columns and marks mean.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static const char *const notes[] = {
	"",
	"search (/): 0x9600 or pfn=... a pfn; 107 or pid=107 a task; any other",
	"  word an op kind (collapse, pin, split_pmd), an event name",
	"  (mm_page_alloc) or a comm; an empty search repeats the last one.",
	"folio list: head pfn, order, born (? = before the recording), last event,",
	"  events, findings, pin = was pinned, lineage <c collapsed from, <s split",
	"  from, <m migrated from, >c >s >m went into; ops c s p m seen; w workload.",
	"timeline: state after each event; a changed value is highlighted; ? is",
	"  unknown (the recording lacks the events that would tell); findings are",
	"  marked ! break, i info, ? uncertain in the first column.",
	"status bar: a red 'events lost' warning means the state shown may be",
	"  wrong: the ring buffer dropped events while this folio was live.",
};

struct help {
	char **lines;
	size_t nr;
};

static void add(struct help *h, const char *s)
{
	h->lines = ps_xrealloc(h->lines, (h->nr + 1) * sizeof(*h->lines));
	h->lines[h->nr++] = ps_xstrdup(s);
}

static int help_open(struct view *v, void *arg)
{
	struct help *h = ps_xcalloc(1, sizeof(*h));
	const struct tui_keymap *k, *o;
	size_t i;

	v->priv = h;
	for (k = tui_keys; k->req != REQ_NONE; k++) {
		char keys[64] = "", line[256];
		int n = 0;

		if (!k->help)
			continue;
		/* every key bound to the same request in the same scope */
		for (o = tui_keys; o->req != REQ_NONE; o++) {
			if (o->req != k->req || !o->keyname ||
			    (o->scope != k->scope &&
			     (!o->scope || !k->scope ||
			      strcmp(o->scope, k->scope))))
				continue;
			n += snprintf(keys + n, sizeof(keys) - n, "%s%s",
				      n ? ", " : "", o->keyname);
			if (n >= (int)sizeof(keys))
				break;
		}
		snprintf(line, sizeof(line), "%-16s %s%s%s%s", keys, k->help,
			 k->scope ? " (in the " : "",
			 k->scope ? k->scope : "", k->scope ? " view)" : "");
		add(h, line);
	}
	for (i = 0; i < ARRAY_SIZE(notes); i++)
		add(h, notes[i]);
	v->lines = h->nr;
	return 0;
}

static void help_close(struct view *v)
{
	struct help *h = v->priv;
	size_t i;

	for (i = 0; i < h->nr; i++)
		free(h->lines[i]);
	free(h->lines);
	free(h);
}

static void help_draw_line(struct view *v, size_t lineno, int y,
			   bool selected)
{
	struct help *h = v->priv;

	tui_put(y, 1, COLS - 1, selected ? tui_attr(C_CURSOR) : TA_NORMAL,
		h->lines[lineno]);
}

static void help_title(struct view *v, char *buf, size_t size)
{
	snprintf(buf, size, "help: pagestate tui keys (q returns)");
}

static bool help_grep(struct view *v, size_t lineno,
		      const struct tui_query *q)
{
	return strstr(((struct help *)v->priv)->lines[lineno], q->text);
}

static void help_position(struct view *v, char *buf, size_t size,
			  u64 *from, u64 *to)
{
	snprintf(buf, size, "help line %zu/%zu", v->lineno + 1, v->lines);
}

const struct view_ops help_view_ops = {
	.name = "help",
	.open = help_open,
	.close = help_close,
	.draw_line = help_draw_line,
	.grep = help_grep,
	.title = help_title,
	.position = help_position,
};
