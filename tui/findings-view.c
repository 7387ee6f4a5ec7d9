// SPDX-License-Identifier: GPL-2.0
/*
 * The findings of every rule, as `pagestate check` lists them, from the
 * index; then one line per rule (checked, or why not).  Enter opens the
 * finding's folio timeline on the breaking event.
 */
#include <stdio.h>
#include <string.h>

#include "pagestate/check.h"
#include "tui.h"

static int findings_open(struct view *v, void *arg)
{
	const struct ps_index_hdr *h = v->tui->x->hdr;

	/* findings, a blank line, the rules */
	v->lines = h->nr_findings + 1 + h->nr_rules;
	if (v->tui->cur_finding >= 0)
		v->lineno = v->tui->cur_finding;
	return 0;
}

static void findings_draw_line(struct view *v, size_t lineno, int y,
			       bool selected)
{
	struct tui *tui = v->tui;
	const struct ps_index_hdr *h = tui->x->hdr;
	int base = selected ? tui_attr(C_CURSOR) : TA_NORMAL;
	char ts[32];

	if (lineno < h->nr_findings) {
		const struct ps_index_finding *f = &tui->x->findings[lineno];
		int attr = f->severity == PS_SEV_BREAK ? tui_attr(C_BREAK) :
			   f->severity == PS_SEV_INFO ? tui_attr(C_INFO) :
			   tui_attr(C_UNCERTAIN);

		tui_printf(y, 1, 10, attr | base, "%-9s ", ps_severity_name(f->severity));
		tui_fmt_ts(f->ts, ts, sizeof(ts));
		tui_printf(y, 11, COLS - 11, base, "%-24s folio 0x%llx/%u pfn "
			   "0x%llx  %s %s-%d: %s", f->rule,
			   (unsigned long long)f->folio_pfn, f->order,
			   (unsigned long long)f->pfn, ts,
			   ps_trace_comm(tui->t, f->pid), f->pid, f->what);
		return;
	}
	if (lineno == h->nr_findings) {
		tui_printf(y, 1, COLS - 1, tui_attr(C_HEADER) | base,
			   "%s rules:%s",
			   h->nr_findings ? "" : "no findings;",
			   h->dropped_findings ? " (more findings were not "
			   "kept)" : "");
		return;
	}
	{
		const struct ps_index_rule *r =
			&h->rules[lineno - h->nr_findings - 1];

		if (r->checked)
			tui_printf(y, 1, COLS - 1, base, "%-28s %llu break%s, "
				   "%llu info, %llu uncertain", r->id,
				   (unsigned long long)r->breaks,
				   r->breaks == 1 ? "" : "s",
				   (unsigned long long)r->infos,
				   (unsigned long long)r->uncertain);
		else
			tui_printf(y, 1, COLS - 1, tui_attr(C_DIM) | base,
				   "%-28s not checked: %s", r->id, r->why_not);
	}
}

static void findings_title(struct view *v, char *buf, size_t size)
{
	const struct ps_index_hdr *h = v->tui->x->hdr;
	u64 breaks = 0, infos = 0, unc = 0;
	u32 i, checked = 0;

	for (i = 0; i < h->nr_rules; i++) {
		breaks += h->rules[i].breaks;
		infos += h->rules[i].infos;
		unc += h->rules[i].uncertain;
		checked += h->rules[i].checked;
	}
	snprintf(buf, size, "%llu findings: %llu break%s, %llu info (%llu "
		 "uncertain not listed); %u of %u rules checked; Enter opens "
		 "the event", (unsigned long long)h->nr_findings,
		 (unsigned long long)breaks, breaks == 1 ? "" : "s",
		 (unsigned long long)infos, (unsigned long long)unc, checked,
		 h->nr_rules);
}

static enum request findings_request(struct view *v, enum request req)
{
	const struct ps_index_hdr *h = v->tui->x->hdr;

	if (req != REQ_ENTER)
		return req;
	if (v->lineno >= h->nr_findings) {
		tui_message(v->tui, true, "not a finding");
		return REQ_NONE;
	}
	tui_goto_finding(v->tui, (long)v->lineno);
	return REQ_NONE;
}

static void findings_select(struct view *v)
{
	if (v->lineno < v->tui->x->hdr->nr_findings)
		v->tui->cur_finding = (long)v->lineno;
}

static bool findings_grep(struct view *v, size_t lineno,
			  const struct tui_query *q)
{
	const struct ps_index_finding *f;

	if (lineno >= v->tui->x->hdr->nr_findings)
		return false;
	f = &v->tui->x->findings[lineno];
	switch (q->type) {
	case Q_PFN:
		return q->num == f->pfn || q->num == f->folio_pfn;
	case Q_PID:
		return f->pid > 0 && (u64)f->pid == q->num;
	case Q_NAME:
		return strstr(f->rule, q->text) || strstr(f->what, q->text) ||
		       (q->kinds & (1u << f->kind));
	}
	return false;
}

static void findings_position(struct view *v, char *buf, size_t size,
			      u64 *from, u64 *to)
{
	const struct ps_index_hdr *h = v->tui->x->hdr;

	if (v->lineno < h->nr_findings)
		snprintf(buf, size, "finding %zu/%llu", v->lineno + 1,
			 (unsigned long long)h->nr_findings);
	else
		snprintf(buf, size, "rules");
}

static u32 findings_folio(struct view *v)
{
	if (v->lineno >= v->tui->x->hdr->nr_findings)
		return PS_INDEX_NONE;
	return v->tui->x->findings[v->lineno].folio;
}

const struct view_ops findings_view_ops = {
	.name = "findings",
	.open = findings_open,
	.draw_line = findings_draw_line,
	.request = findings_request,
	.select = findings_select,
	.grep = findings_grep,
	.title = findings_title,
	.position = findings_position,
	.folio = findings_folio,
};
