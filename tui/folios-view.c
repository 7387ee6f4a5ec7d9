// SPDX-License-Identifier: GPL-2.0
/*
 * The folio list: every folio the recording touched, one line each,
 * straight from the index.  Filters (workload, findings, THP) and sort
 * orders build a permutation of folio numbers; nothing else is copied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

enum { SORT_BIRTH, SORT_PFN, SORT_EVENTS, SORT_FINDINGS, NR_SORTS };

static const char *const sort_names[NR_SORTS] = {
	"birth", "pfn", "events", "findings",
};

struct folios {
	u32 *rows;		/* folio numbers shown, in order */
};

static const struct ps_index_folio *sort_base;

static int cmp_pfn(const void *a, const void *b)
{
	const struct ps_index_folio *x = &sort_base[*(const u32 *)a];
	const struct ps_index_folio *y = &sort_base[*(const u32 *)b];

	if (x->pfn != y->pfn)
		return x->pfn < y->pfn ? -1 : 1;
	return *(const u32 *)a < *(const u32 *)b ? -1 : 1;
}

static int cmp_events(const void *a, const void *b)
{
	const struct ps_index_folio *x = &sort_base[*(const u32 *)a];
	const struct ps_index_folio *y = &sort_base[*(const u32 *)b];

	if (x->nr_ops != y->nr_ops)
		return x->nr_ops > y->nr_ops ? -1 : 1;
	return *(const u32 *)a < *(const u32 *)b ? -1 : 1;
}

static int cmp_findings(const void *a, const void *b)
{
	const struct ps_index_folio *x = &sort_base[*(const u32 *)a];
	const struct ps_index_folio *y = &sort_base[*(const u32 *)b];

	if (x->nr_findings != y->nr_findings)
		return x->nr_findings > y->nr_findings ? -1 : 1;
	return *(const u32 *)a < *(const u32 *)b ? -1 : 1;
}

/* Folio numbers are in order of birth already; the rest sort. */
static void build_rows(struct view *v, u32 keep)
{
	static int (*const cmp[NR_SORTS])(const void *, const void *) = {
		[SORT_PFN] = cmp_pfn, [SORT_EVENTS] = cmp_events,
		[SORT_FINDINGS] = cmp_findings,
	};
	struct tui *tui = v->tui;
	struct folios *fv = v->priv;
	const struct ps_index *x = tui->x;
	u64 i, n = 0;

	free(fv->rows);
	fv->rows = ps_xmalloc((x->hdr->nr_folios ? x->hdr->nr_folios : 1) *
			      sizeof(u32));
	for (i = 0; i < x->hdr->nr_folios; i++) {
		const struct ps_index_folio *f = &x->folios[i];

		if ((tui->only_workload && !(f->marks & PS_IDX_WORKLOAD)) ||
		    (tui->only_findings && !f->nr_findings) ||
		    (tui->only_thp && !f->order))
			continue;
		fv->rows[n++] = (u32)i;
	}
	if (cmp[tui->sort]) {
		sort_base = x->folios;
		qsort(fv->rows, n, sizeof(u32), cmp[tui->sort]);
	}
	v->lines = n;
	v->lineno = v->offset = 0;
	for (i = 0; keep != PS_INDEX_NONE && i < n; i++)
		if (fv->rows[i] == keep) {
			v->lineno = i;
			break;
		}
	if (!n)
		tui_message(tui, true, "no folio passes the filters "
			    "(w, !, T toggle them)");
}

static int folios_open(struct view *v, void *arg)
{
	v->priv = ps_xcalloc(1, sizeof(struct folios));
	build_rows(v, PS_INDEX_NONE);
	return 0;
}

static void folios_close(struct view *v)
{
	struct folios *fv = v->priv;

	free(fv->rows);
	free(fv);
}

static u32 folios_folio(struct view *v)
{
	struct folios *fv = v->priv;

	return v->lines ? fv->rows[v->lineno] : PS_INDEX_NONE;
}

static void kinds_str(const struct ps_index_folio *f, char *buf)
{
	static const struct { enum request req; char c; } cats[] = {
		{ REQ_NEXT_COLLAPSE, 'c' }, { REQ_NEXT_SPLIT, 's' },
		{ REQ_NEXT_PIN, 'p' }, { REQ_NEXT_MIGRATE, 'm' },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cats); i++)
		buf[i] = f->kinds & tui_request_kinds(cats[i].req, NULL, NULL) ?
			 cats[i].c : '.';
	buf[i] = '\0';
}

static void folios_draw_line(struct view *v, size_t lineno, int y,
			     bool selected)
{
	struct tui *tui = v->tui;
	struct folios *fv = v->priv;
	const struct ps_index_folio *f = &tui->x->folios[fv->rows[lineno]];
	char born[32], end[32], marks[16], kinds[8], line[512], task[64];
	int base = selected ? tui_attr(C_CURSOR) : TA_NORMAL;
	int x = 1;

	tui_fmt_ts(f->born_ts, born, sizeof(born));
	tui_fmt_ts(f->end_ts, end, sizeof(end));
	tui_folio_marks(f, marks, sizeof(marks));
	kinds_str(f, kinds);
	if (f->pid > 0)
		snprintf(task, sizeof(task), "%s-%d",
			 ps_trace_comm(tui->t, f->pid), f->pid);
	else
		snprintf(task, sizeof(task), "-");
	snprintf(line, sizeof(line), "0x%-10llx %3u %13s%s %13s %7u ",
		 (unsigned long long)f->pfn, f->order, born,
		 (f->marks & PS_IDX_NO_BIRTH) ? "?" : " ", end, f->nr_ops);
	tui_put(y, x, 54, base, line);
	x += 54;
	tui_printf(y, x, 6, f->nr_findings ? tui_attr(C_BREAK) | base : base,
		   "%5u ", f->nr_findings);
	x += 6;
	snprintf(line, sizeof(line), "%-4s %-8s %-5s %-5s %c %s",
		 (f->marks & PS_IDX_PINNED) ? "pin" : "-", marks, kinds,
		 f->state == PS_FOLIO_LIVE ? "live" :
		 f->state == PS_FOLIO_SPLIT ? "split" : "freed",
		 (f->marks & PS_IDX_WORKLOAD) ? 'w' : ' ', task);
	tui_put(y, x, COLS - x, base, line);
	if (f->marks & PS_IDX_LOST)
		tui_put(y, COLS - 5, 5, tui_attr(C_WARN), "lost!");
}

static void folios_title(struct view *v, char *buf, size_t size)
{
	struct tui *tui = v->tui;

	snprintf(buf, size, "%zu of %llu folios by %s%s%s%s", v->lines,
		 (unsigned long long)tui->x->hdr->nr_folios,
		 sort_names[tui->sort],
		 tui->only_workload ? ", workload" : "",
		 tui->only_findings ? ", with findings" : "",
		 tui->only_thp ? ", THP" : "");
}

static void folios_header(struct view *v, char *buf, size_t size)
{
	snprintf(buf, size, "  head pfn    ord          born            end "
		 " events finds pin  lineage ops   state   task");
}

static void folios_position(struct view *v, char *buf, size_t size,
			    u64 *from, u64 *to)
{
	u32 i = folios_folio(v);

	if (i == PS_INDEX_NONE) {
		snprintf(buf, size, "no folio");
		return;
	}
	snprintf(buf, size, "folio %zu/%zu", v->lineno + 1, v->lines);
	*from = v->tui->x->folios[i].born_ts;
	*to = v->tui->x->folios[i].end_ts;
}

static void folios_select(struct view *v)
{
	v->tui->cur_folio = folios_folio(v);
}

static bool folios_grep(struct view *v, size_t lineno,
			const struct tui_query *q)
{
	struct folios *fv = v->priv;

	return tui_query_folio(v->tui, &v->tui->x->folios[fv->rows[lineno]],
			       q);
}

/* c/s/p/m: the next folio (from the cursor on) with such events. */
static void open_kind(struct view *v, enum request req)
{
	struct folios *fv = v->priv;
	const char *name;
	int dir;
	u32 kinds = tui_request_kinds(req, &name, &dir);
	long i;

	for (i = (long)v->lineno; i >= 0 && i < (long)v->lines; i += dir) {
		const struct ps_index_folio *f =
			&v->tui->x->folios[fv->rows[i]];

		if (f->kinds & kinds) {
			tui_move_to(v, i);
			tui_open_timeline(v->tui, fv->rows[i], -1, kinds, dir);
			return;
		}
	}
	tui_message(v->tui, true, "no %s folio with %s events",
		    dir > 0 ? "later" : "earlier", name);
}

static void jump_ts(struct view *v, u64 ts)
{
	struct folios *fv = v->priv;
	const struct ps_index_folio *fs = v->tui->x->folios;
	size_t i;

	/* the first folio alive at ts, else the first born after it */
	for (i = 0; i < v->lines; i++)
		if (fs[fv->rows[i]].born_ts <= ts && fs[fv->rows[i]].end_ts >= ts)
			break;
	if (i == v->lines)
		for (i = 0; i < v->lines; i++)
			if (fs[fv->rows[i]].born_ts >= ts)
				break;
	if (i == v->lines) {
		tui_message(v->tui, true, "no folio at or after that time");
		return;
	}
	tui_move_to(v, i);
}

static enum request folios_request(struct view *v, enum request req)
{
	struct tui *tui = v->tui;
	u32 keep = folios_folio(v);

	switch (req) {
	case REQ_ENTER:
		if (keep != PS_INDEX_NONE)
			tui_open_timeline(tui, keep, -1, 0, 0);
		return REQ_NONE;
	case REQ_NEXT_COLLAPSE: case REQ_PREV_COLLAPSE:
	case REQ_NEXT_SPLIT: case REQ_PREV_SPLIT:
	case REQ_NEXT_PIN: case REQ_PREV_PIN:
	case REQ_NEXT_MIGRATE: case REQ_PREV_MIGRATE:
		if (v->lines)
			open_kind(v, req);
		return REQ_NONE;
	case REQ_JUMP_TS:
		jump_ts(v, tui->jump_ts);
		return REQ_NONE;
	case REQ_FILTER_WORKLOAD:
		tui->only_workload = !tui->only_workload;
		break;
	case REQ_FILTER_FINDINGS:
		tui->only_findings = !tui->only_findings;
		break;
	case REQ_FILTER_THP:
		tui->only_thp = !tui->only_thp;
		break;
	case REQ_SORT:
		tui->sort = (tui->sort + 1) % NR_SORTS;
		break;
	default:
		return req;
	}
	build_rows(v, keep);
	tui_move_to(v, v->lineno);
	return REQ_NONE;
}

const struct view_ops folios_view_ops = {
	.name = "folios",
	.open = folios_open,
	.close = folios_close,
	.draw_line = folios_draw_line,
	.request = folios_request,
	.select = folios_select,
	.grep = folios_grep,
	.title = folios_title,
	.header = folios_header,
	.position = folios_position,
	.folio = folios_folio,
};
