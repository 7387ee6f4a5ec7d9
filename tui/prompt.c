// SPDX-License-Identifier: GPL-2.0
/*
 * The prompt line and `/`: reading a line of input, parsing a query
 * (pfn, pid, or a name of a task, op or event) and finding the next line
 * of a view that matches it.
 */
#include <stdio.h>
#include <string.h>

#include <ncurses.h>

#include "tui.h"

int tui_prompt(struct tui *tui, const char *prompt, char *buf, size_t size)
{
	size_t n = 0;
	int c;

	buf[0] = '\0';
	curs_set(1);
	for (;;) {
		tui_put(LINES - 1, 0, COLS, TA_NORMAL, "");
		mvprintw(LINES - 1, 0, "%s%s", prompt, buf);
		refresh();
		c = getch();
		if (c == KEY_ESC || c == CTRL('c') || c == CTRL('g')) {
			n = 0;
			buf[0] = '\0';
			curs_set(0);
			return -1;
		}
		if (c == '\n' || c == '\r' || c == KEY_ENTER)
			break;
		if (c == KEY_BACKSPACE || c == 127 || c == CTRL('h')) {
			if (n)
				buf[--n] = '\0';
			continue;
		}
		if (c == KEY_RESIZE) {
			tui_draw(tui);
			continue;
		}
		if (c >= 32 && c < 256 && n + 1 < size) {
			buf[n++] = (char)c;
			buf[n] = '\0';
		}
	}
	curs_set(0);
	return 0;
}

static void parse_query(struct tui *tui, const char *s, struct tui_query *q)
{
	const struct ps_index_hdr *h = tui->x->hdr;
	static u64 gen;
	const char *p;
	u32 i;

	memset(q, 0, sizeof(*q));
	q->gen = ++gen;
	while (*s == ' ')
		s++;
	snprintf(q->text, sizeof(q->text), "%s", s);
	if (!strncmp(s, "pfn", 3) && (s[3] == '=' || s[3] == ' ' ||
				      s[3] == ':')) {
		if (!ps_parse_u64(s + 4, &q->num)) {
			q->type = Q_PFN;
			return;
		}
	}
	if (!strncmp(s, "pid", 3) && (s[3] == '=' || s[3] == ' ' ||
				      s[3] == ':')) {
		if (!ps_parse_u64(s + 4, &q->num)) {
			q->type = Q_PID;
			return;
		}
	}
	if (!strncmp(s, "0x", 2) && !ps_parse_u64(s, &q->num)) {
		q->type = Q_PFN;
		return;
	}
	for (p = s; *p >= '0' && *p <= '9'; p++)
		;
	if (p != s && !*p && !ps_parse_u64(s, &q->num)) {
		q->type = Q_PID;
		return;
	}
	q->type = Q_NAME;
	for (i = 1; i < PS_OP_NR_KINDS; i++)
		if (strstr(ps_op_kind_name(i), s))
			q->kinds |= 1u << i;
	for (i = 0; i < h->nr_events; i++)
		if (strstr(ps_trace_event_name(tui->t, h->event_ids[i]), s))
			q->evmask |= 1ull << i;
}

bool tui_query_folio(struct tui *tui, const struct ps_index_folio *f,
		     const struct tui_query *q)
{
	static int last_pid = -1;
	static bool last_match;
	static u64 last_gen;

	switch (q->type) {
	case Q_PFN:
		return q->num >= f->pfn && q->num - f->pfn < (1ull << f->order);
	case Q_PID:
		return f->pid > 0 && (u64)f->pid == q->num;
	case Q_NAME:
		if ((f->kinds & q->kinds) || (f->evmask & q->evmask))
			return true;
		if (f->pid <= 0)
			return false;
		/* comm lookups repeat: folios of one task come in runs */
		if (q->gen != last_gen || f->pid != last_pid) {
			last_gen = q->gen;
			last_pid = f->pid;
			last_match = strstr(ps_trace_comm(tui->t, f->pid),
					    q->text) != NULL;
		}
		return last_match;
	}
	return false;
}

void tui_search(struct tui *tui, struct view *v)
{
	char buf[64];
	size_t i;

	if (!v->ops->grep || !v->lines) {
		tui_message(tui, true, "nothing to search in this view");
		return;
	}
	if (tui_prompt(tui, "/", buf, sizeof(buf)))
		return;
	if (buf[0]) {
		parse_query(tui, buf, &tui->last_query);
		tui->have_query = true;
	} else if (!tui->have_query) {
		return;
	}
	for (i = 1; i <= v->lines; i++) {
		size_t line = (v->lineno + i) % v->lines;
		bool wrapped = v->lineno + i >= v->lines;

		if (v->ops->grep(v, line, &tui->last_query)) {
			tui_move_to(v, line);
			tui_message(tui, false, "%s: line %zu of %zu%s",
				    tui->last_query.text, line + 1, v->lines,
				    wrapped ? " (wrapped to the top)" : "");
			return;
		}
	}
	tui_message(tui, true, "not found: %s", tui->last_query.text);
}

