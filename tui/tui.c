// SPDX-License-Identifier: GPL-2.0
/*
 * pagestate tui: browse a recording.  The screen, the key table, the
 * view stack and the requests every view shares (moving, searching,
 * jumping to findings and timestamps, exporting).
 *
 *   +---------------------------------------------+
 *   | title of the top view                        |
 *   | its lines ...                                |
 *   | title of the split pane (subpage grid)       |  when there is room
 *   | ...                                          |
 *   | status: file | kernel | position | lost!     |
 *   | message / prompt                             |
 *   +---------------------------------------------+
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ncurses.h>

#include "pagestate/builtin.h"
#include "tui.h"

#define KEY_ESC		27
#define CTRL(x)		((x) & 0x1f)

/*
 * The key map.  Scope NULL: every view; else only that view (the folio
 * list's filters).  The help view prints this table.
 */
const struct tui_keymap tui_keys[] = {
	{ 'j', "j", REQ_DOWN, NULL, "next line" },
	{ KEY_DOWN, "Down", REQ_DOWN, NULL, NULL },
	{ 'k', "k", REQ_UP, NULL, "previous line" },
	{ KEY_UP, "Up", REQ_UP, NULL, NULL },
	{ KEY_NPAGE, "PgDn", REQ_PGDN, NULL, "next page" },
	{ ' ', "Space", REQ_PGDN, NULL, NULL },
	{ KEY_PPAGE, "PgUp", REQ_PGUP, NULL, "previous page" },
	{ 'g', "g", REQ_FIRST, NULL, "first line" },
	{ KEY_HOME, "Home", REQ_FIRST, NULL, NULL },
	{ 'G', "G", REQ_LAST, NULL, "last line" },
	{ KEY_END, "End", REQ_LAST, NULL, NULL },
	{ '\n', "Enter", REQ_ENTER, NULL,
	  "open: folio -> timeline, finding -> its event, lineage -> that folio" },
	{ '\r', NULL, REQ_ENTER, NULL, NULL },
	{ KEY_ENTER, NULL, REQ_ENTER, NULL, NULL },
	{ KEY_RIGHT, "Right", REQ_ENTER, NULL, NULL },
	{ 'q', "q", REQ_BACK, NULL, "back to the previous view (quit from the folio list)" },
	{ KEY_ESC, "Esc", REQ_BACK, NULL, NULL },
	{ KEY_LEFT, "Left", REQ_BACK, NULL, NULL },
	{ 'Q', "Q", REQ_QUIT, NULL, "quit" },
	{ 'c', "c", REQ_NEXT_COLLAPSE, NULL, "next collapse event (khugepaged, MADV_COLLAPSE)" },
	{ 'C', "C", REQ_PREV_COLLAPSE, NULL, "previous collapse event" },
	{ 's', "s", REQ_NEXT_SPLIT, NULL, "next split (split_huge_pmd, split_huge_page)" },
	{ 'S', "S", REQ_PREV_SPLIT, NULL, "previous split" },
	{ 'p', "p", REQ_NEXT_PIN, NULL, "next pin or unpin (FOLL_PIN)" },
	{ 'P', "P", REQ_PREV_PIN, NULL, "previous pin or unpin" },
	{ 'm', "m", REQ_NEXT_MIGRATE, NULL, "next migration event" },
	{ 'M', "M", REQ_PREV_MIGRATE, NULL, "previous migration event" },
	{ 'n', "n", REQ_NEXT_FINDING, NULL, "next finding (opens its event)" },
	{ 'N', "N", REQ_PREV_FINDING, NULL, "previous finding" },
	{ '/', "/", REQ_SEARCH, NULL,
	  "search: 0xPFN, pid (decimal), comm, op or event name; empty repeats" },
	{ 't', "t", REQ_JUMP_TS, NULL, "jump to a timestamp (seconds, e.g. 3.4735)" },
	{ 'e', "e", REQ_EXPORT, NULL, "export this folio's timeline as JSON" },
	{ 'F', "F", REQ_VIEW_FOLIOS, NULL, "folio list" },
	{ 'f', "f", REQ_VIEW_FINDINGS, NULL, "findings of every rule" },
	{ 'u', "u", REQ_VIEW_SUBPAGES, NULL, "subpage grid of this folio (THP)" },
	{ 'l', "l", REQ_VIEW_LINEAGE, NULL, "lineage: collapse/split/migration ancestors, descendants" },
	{ 'K', "K", REQ_VIEW_STACK, NULL, "kernel stack of the selected event" },
	{ 'h', "h", REQ_VIEW_HELP, NULL, "this help" },
	{ '?', "?", REQ_VIEW_HELP, NULL, NULL },
	{ 'w', "w", REQ_FILTER_WORKLOAD, "folios", "only folios the workload touched" },
	{ '!', "!", REQ_FILTER_FINDINGS, "folios", "only folios with findings" },
	{ 'T', "T", REQ_FILTER_THP, "folios", "only large folios (THP)" },
	{ 'o', "o", REQ_SORT, "folios", "sort: birth, pfn, events, findings" },
	{ CTRL('l'), "^L", REQ_REDRAW, NULL, "redraw the screen" },
	{ 0, NULL, REQ_NONE, NULL, NULL },
};

/* --- drawing helpers -------------------------------------------------------- */

static bool use_color;

int tui_attr(enum tui_color c)
{
	static const int mono[C_NR_COLORS] = {
		[C_TITLE] = A_REVERSE | A_BOLD,
		[C_STATUS] = A_REVERSE,
		[C_CURSOR] = A_REVERSE,
		[C_CHANGED] = A_BOLD | A_UNDERLINE,
		[C_BREAK] = A_BOLD,
		[C_INFO] = TA_NORMAL,
		[C_UNCERTAIN] = A_DIM,
		[C_DIM] = A_DIM,
		[C_EXCL] = A_BOLD,
		[C_PIN] = A_REVERSE,
		[C_MIGR] = A_UNDERLINE,
		[C_WARN] = A_BOLD | A_REVERSE,
		[C_HEADER] = A_BOLD,
	};
	static const int extra[C_NR_COLORS] = {
		[C_TITLE] = A_BOLD,
		[C_CHANGED] = A_BOLD,
		[C_BREAK] = A_BOLD,
		[C_WARN] = A_BOLD,
		[C_HEADER] = A_BOLD,
		[C_EXCL] = A_BOLD,
	};

	if ((unsigned int)c >= C_NR_COLORS || c == C_DEFAULT)
		return TA_NORMAL;
	if (!use_color)
		return mono[c];
	if (c == C_CURSOR)
		return A_REVERSE;
	return COLOR_PAIR(c) | extra[c];
}

static void init_colors(struct tui *tui)
{
	static const short fg_bg[C_NR_COLORS][2] = {
		[C_TITLE] = { COLOR_WHITE, COLOR_BLUE },
		[C_STATUS] = { COLOR_BLACK, COLOR_CYAN },
		[C_CURSOR] = { -1, -1 },
		[C_CHANGED] = { COLOR_YELLOW, -1 },
		[C_BREAK] = { COLOR_RED, -1 },
		[C_INFO] = { COLOR_CYAN, -1 },
		[C_UNCERTAIN] = { COLOR_MAGENTA, -1 },
		[C_DIM] = { COLOR_BLUE, -1 },
		[C_EXCL] = { COLOR_GREEN, -1 },
		[C_PIN] = { COLOR_WHITE, COLOR_RED },
		[C_MIGR] = { COLOR_BLACK, COLOR_YELLOW },
		[C_WARN] = { COLOR_WHITE, COLOR_RED },
		[C_HEADER] = { COLOR_GREEN, -1 },
	};
	int i;

	use_color = false;
	if (getenv("NO_COLOR") || !has_colors() || start_color() == ERR)
		return;
	use_default_colors();
	for (i = 1; i < C_NR_COLORS; i++)
		init_pair(i, fg_bg[i][0], fg_bg[i][1]);
	use_color = true;
	tui->color = true;
}

/* s clipped to width cells, the rest of the field blanked. */
void tui_put(int y, int x, int width, int attr, const char *s)
{
	int n = 0;

	if (width <= 0 || x >= COLS || y < 0 || y >= LINES)
		return;
	if (x + width > COLS)
		width = COLS - x;
	attrset(attr);
	move(y, x);
	/* our text is ASCII but for comm names; count bytes as cells */
	while (s[n] && n < width)
		n++;
	addnstr(s, n);
	if (n < width)
		hline(' ', width - n);
	attrset(TA_NORMAL);
}

void tui_printf(int y, int x, int width, int attr, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tui_put(y, x, width, attr, buf);
}

void tui_message(struct tui *tui, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tui->message, sizeof(tui->message), fmt, ap);
	va_end(ap);
	tui->message_error = error;
}

void tui_fmt_ts(u64 ts, char *buf, size_t size)
{
	snprintf(buf, size, "%llu.%06llu",
		 (unsigned long long)(ts / 1000000000ull),
		 (unsigned long long)(ts % 1000000000ull / 1000));
}

bool tui_parse_ts(const char *s, u64 *ts)
{
	unsigned long long sec = 0, frac = 0;
	int digits = 0;
	char *end;

	while (*s == ' ')
		s++;
	if (*s < '0' || *s > '9') {
		if (*s != '.')
			return false;
	} else {
		sec = strtoull(s, &end, 10);
		s = end;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++)
			if (digits < 9) {
				frac = frac * 10 + (*s - '0');
				digits++;
			}
		for (; digits < 9; digits++)
			frac *= 10;
	}
	while (*s == ' ')
		s++;
	if (*s)
		return false;
	*ts = sec * 1000000000ull + frac;
	return true;
}

const char *tui_state_name(unsigned int state)
{
	switch (state) {
	case PS_FOLIO_LIVE:
		return "live at end";
	case PS_FOLIO_FREED:
		return "freed";
	case PS_FOLIO_SPLIT:
		return "split";
	}
	return "?";
}

/* Lineage marker: <c collapsed from, >s split into, ... */
void tui_folio_marks(const struct ps_index_folio *f, char *buf, size_t size)
{
	static const struct { u32 mark; const char *s; } marks[] = {
		{ PS_IDX_FROM_COLLAPSE, "<c" }, { PS_IDX_FROM_SPLIT, "<s" },
		{ PS_IDX_FROM_MIGRATE, "<m" }, { PS_IDX_TO_COLLAPSE, ">c" },
		{ PS_IDX_TO_SPLIT, ">s" }, { PS_IDX_TO_MIGRATE, ">m" },
	};
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(marks) && n + 3 < size; i++)
		if (f->marks & marks[i].mark)
			n += snprintf(buf + n, size - n, "%s", marks[i].s);
	if (!n)
		snprintf(buf, size, "-");
}

u32 tui_request_kinds(enum request req, const char **name, int *dir)
{
	static const struct {
		enum request next, prev;
		u32 kinds;
		const char *name;
	} cats[] = {
		{ REQ_NEXT_COLLAPSE, REQ_PREV_COLLAPSE,
		  1u << PS_OP_COLLAPSE_SCAN | 1u << PS_OP_COLLAPSE_ISOLATE |
		  1u << PS_OP_COLLAPSE, "collapse" },
		{ REQ_NEXT_SPLIT, REQ_PREV_SPLIT,
		  1u << PS_OP_SPLIT_PMD | 1u << PS_OP_SPLIT |
		  1u << PS_OP_SPLIT_RESULT, "split" },
		{ REQ_NEXT_PIN, REQ_PREV_PIN,
		  1u << PS_OP_PIN | 1u << PS_OP_UNPIN, "pin/unpin" },
		{ REQ_NEXT_MIGRATE, REQ_PREV_MIGRATE,
		  1u << PS_OP_MIGRATE_START | 1u << PS_OP_MIGRATE_END |
		  1u << PS_OP_MIGRATION_SET | 1u << PS_OP_MIGRATION_REMOVE,
		  "migration" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cats); i++) {
		if (req != cats[i].next && req != cats[i].prev)
			continue;
		if (name)
			*name = cats[i].name;
		if (dir)
			*dir = req == cats[i].next ? 1 : -1;
		return cats[i].kinds;
	}
	return 0;
}

/* --- progress (index build before the screen, loads on it) ----------------- */

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static u64 progress_start, progress_last;

void tui_progress(struct tui *tui, const char *what, double fraction)
{
	u64 now = now_ms();
	int width, done;

	if (!progress_start)
		progress_start = now;
	/* nothing for short loads; then ten times a second */
	if (now - progress_start < 150 || now - progress_last < 100)
		return;
	progress_last = now;
	if (fraction < 0)
		fraction = 0;
	if (fraction > 1)
		fraction = 1;
	width = COLS - 40 > 10 ? COLS - 40 : 10;
	done = (int)(fraction * width);
	move(LINES - 1, 0);
	attrset(TA_NORMAL);
	clrtoeol();
	printw("%s of 0x%llx: %3d%% [", what,
	       tui->cur_folio != PS_INDEX_NONE ?
	       (unsigned long long)tui->x->folios[tui->cur_folio].pfn : 0ull,
	       (int)(fraction * 100));
	attrset(tui_attr(C_STATUS));
	hline(' ', done);
	attrset(TA_NORMAL);
	refresh();
}

static void progress_reset(void)
{
	progress_start = progress_last = 0;
}

struct build_progress {
	const char *path;
	u64 start;
	u64 last;
	bool tty;
};

static void build_progress(void *data, u64 done, u64 total, u64 events)
{
	struct build_progress *p = data;
	u64 now = now_ms();

	if (!p->tty || now - p->last < 200)
		return;
	p->last = now;
	fprintf(stderr, "\rpagestate: indexing %s (once; reused after): "
		"%3d%%, %llu page ops", p->path,
		total ? (int)(100.0 * done / total > 99 ? 99 :
			      100.0 * done / total) : 0,
		(unsigned long long)events);
	fflush(stderr);
}

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
	progress_reset();
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

static int content_height(const struct view *v)
{
	int h = v->height - 1 - (v->ops->header ? 1 : 0);

	return h > 1 ? h : 1;
}

void tui_move_to(struct view *v, size_t lineno)
{
	int h = content_height(v);

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

static void draw_view(struct view *v)
{
	char title[512] = "";
	int i, h = content_height(v);

	if (v->ops->title)
		v->ops->title(v, title, sizeof(title));
	tui_put(v->y, 0, COLS, tui_attr(C_TITLE), title);
	if (v->ops->draw) {
		v->ops->draw(v);
		return;
	}
	if (v->ops->header) {
		title[0] = '\0';
		v->ops->header(v, title, sizeof(title));
		tui_put(v->y + 1, 0, COLS, tui_attr(C_HEADER), title);
	}
	if (v->lineno < v->offset)
		v->offset = v->lineno;
	if (v->lines && v->lineno >= v->offset + h)
		v->offset = v->lineno - h + 1;
	for (i = 0; i < h; i++) {
		size_t line = v->offset + i;
		int y = v->y + 1 + (v->ops->header ? 1 : 0) + i;

		if (line >= v->lines) {
			tui_put(y, 0, COLS, TA_NORMAL, "");
			continue;
		}
		tui_put(y, 0, COLS, TA_NORMAL, line == v->lineno ? ">" : " ");
		v->ops->draw_line(v, line, y, line == v->lineno);
	}
}

static void draw_status(struct tui *tui, struct view *v)
{
	char pos[256] = "", buf[1024], lost[160] = "";
	const struct ps_index_hdr *h = tui->x->hdr;
	const char *base = strrchr(tui->path, '/');
	u64 from = 0, to = 0, n;

	if (v->ops->position)
		v->ops->position(v, pos, sizeof(pos), &from, &to);
	n = to ? ps_index_lost_between(tui->x, from, to) : 0;
	if (h->flags & PS_IDXF_CPUSTAT_LOST)
		snprintf(lost, sizeof(lost), " ! %llu events lost (time "
			 "unknown): state uncertain ",
			 (unsigned long long)h->overrun);
	else if (n)
		snprintf(lost, sizeof(lost), " ! %llu events lost in this "
			 "window: state uncertain ", (unsigned long long)n);
	snprintf(buf, sizeof(buf), " %s | %s | %s", base ? base + 1 :
		 tui->path, h->kernel[0] ? h->kernel : "kernel unknown", pos);
	tui_put(LINES - 2, 0, COLS, tui_attr(C_STATUS), buf);
	if (lost[0] && (int)strlen(lost) < COLS)
		tui_put(LINES - 2, COLS - (int)strlen(lost), (int)strlen(lost),
			tui_attr(C_WARN), lost);
	if (tui->message[0])
		tui_put(LINES - 1, 0, COLS, tui->message_error ?
			tui_attr(C_BREAK) : TA_NORMAL, tui->message);
	else
		tui_put(LINES - 1, 0, COLS, tui_attr(C_DIM),
			"h help  q back  / search  n next finding  "
			"f findings  l lineage  e export");
}

static void layout_and_draw(struct tui *tui)
{
	struct view *v = tui_top(tui);
	int body = LINES - 2, split_h = 0;

	erase();
	if (!v)
		return;
	tui->split = v->ops->split ? v->ops->split(v) : NULL;
	if (tui->split) {
		split_h = tui->split->height;
		if (body - split_h < 8)
			tui->split = NULL;
	}
	if (!tui->split)
		split_h = 0;
	v->y = 0;
	v->height = body - split_h;
	v->width = COLS;
	draw_view(v);
	if (tui->split) {
		tui->split->y = v->height;
		tui->split->width = COLS;
		draw_view(tui->split);
	}
	draw_status(tui, v);
	refresh();
}

/* --- prompts, search ------------------------------------------------------- */

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
			layout_and_draw(tui);
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

static void search(struct tui *tui, struct view *v)
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

static u32 view_folio(struct view *v)
{
	return v->ops->folio ? v->ops->folio(v) : PS_INDEX_NONE;
}

/*
 * Next/previous finding from where the top view is: the selected event
 * of a timeline, the birth of the selected folio, else the finding
 * last jumped to.  Findings are in recording order.
 */
static void next_finding(struct tui *tui, struct view *v, int dir)
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
		   view_folio(v) != PS_INDEX_NONE) {
		ts = tui->x->folios[view_folio(v)].born_ts;
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
	    tui->x->findings[i].folio != view_folio(v) &&
	    tui->x->findings[i].folio != PS_INDEX_NONE && tui->depth > 1)
		tui_pop(tui);
	tui_goto_finding(tui, i);
}

static void open_about_folio(struct tui *tui, struct view *v,
			     const struct view_ops *ops)
{
	u32 folio = view_folio(v);

	if (folio == PS_INDEX_NONE)
		folio = tui->cur_folio;
	if (folio == PS_INDEX_NONE) {
		tui_message(tui, true, "select a folio first");
		return;
	}
	tui->cur_folio = folio;
	tui_push(tui, ops, v);
}

static void export(struct tui *tui, struct view *v)
{
	char where[4096];
	u32 folio = view_folio(v);

	if (folio == PS_INDEX_NONE)
		folio = tui->cur_folio;
	if (folio == PS_INDEX_NONE) {
		tui_message(tui, true, "select a folio to export");
		return;
	}
	tui->cur_folio = folio;
	if (!tui_export(tui, folio, where, sizeof(where)))
		tui_message(tui, false, "exported to %s", where);
	else
		tui_message(tui, true, "export failed: %s", where);
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

static void handle(struct tui *tui, enum request req)
{
	struct view *v = tui_top(tui);
	int h = content_height(v);
	u32 kinds;
	int dir;

	if (v->ops->request)
		req = v->ops->request(v, req);
	if (tui_move_request(v, req, h))
		return;
	switch (req) {
	case REQ_NONE:
	case REQ_UP: case REQ_DOWN:		/* tui_move_request()'s */
	case REQ_PGUP: case REQ_PGDN:
	case REQ_FIRST: case REQ_LAST:
		break;
	case REQ_BACK:
		tui_pop(tui);
		break;
	case REQ_QUIT:
		tui->quit = true;
		break;
	case REQ_NEXT_FINDING:
	case REQ_PREV_FINDING:
		next_finding(tui, v, req == REQ_NEXT_FINDING ? 1 : -1);
		break;
	case REQ_NEXT_COLLAPSE: case REQ_PREV_COLLAPSE:
	case REQ_NEXT_SPLIT: case REQ_PREV_SPLIT:
	case REQ_NEXT_PIN: case REQ_PREV_PIN:
	case REQ_NEXT_MIGRATE: case REQ_PREV_MIGRATE:
		/* views without events of their own: the folio's timeline */
		kinds = tui_request_kinds(req, NULL, &dir);
		if (view_folio(v) == PS_INDEX_NONE)
			tui_message(tui, true, "select a folio first");
		else
			tui_open_timeline(tui, view_folio(v), -1, kinds, dir);
		break;
	case REQ_SEARCH:
		search(tui, v);
		break;
	case REQ_JUMP_TS:
		tui_message(tui, true, "t: no timestamps in this view");
		break;
	case REQ_EXPORT:
		export(tui, v);
		break;
	case REQ_VIEW_FOLIOS:
		while (tui->depth > 1)
			tui_pop(tui);
		break;
	case REQ_VIEW_FINDINGS:
		if (v->ops != &findings_view_ops)
			tui_push(tui, &findings_view_ops, NULL);
		break;
	case REQ_VIEW_LINEAGE:
		if (v->ops != &lineage_view_ops)
			open_about_folio(tui, v, &lineage_view_ops);
		break;
	case REQ_VIEW_STACK:
		if (v->ops != &timeline_view_ops) {
			tui_message(tui, true, "K: select an event in a "
				    "timeline first");
			break;
		}
		tui_push(tui, &stack_view_ops, v);
		break;
	case REQ_VIEW_SUBPAGES:
		if (v->ops != &timeline_view_ops) {
			if (view_folio(v) == PS_INDEX_NONE) {
				tui_message(tui, true, "select a folio first");
				break;
			}
			if (tui_open_timeline(tui, view_folio(v), -1, 0, 0))
				break;
			v = tui_top(tui);
		}
		tui_push(tui, &subpages_view_ops, v);
		break;
	case REQ_VIEW_HELP:
		if (v->ops != &help_view_ops)
			tui_push(tui, &help_view_ops, v);
		break;
	case REQ_REDRAW:
		clearok(curscr, TRUE);
		break;
	case REQ_FILTER_WORKLOAD: case REQ_FILTER_FINDINGS:
	case REQ_FILTER_THP: case REQ_SORT:
		tui_message(tui, true, "filters and sort are in the folio "
			    "list (F)");
		break;
	case REQ_ENTER:
		break;
	}
}

static enum request key_request(struct view *v, int key)
{
	const struct tui_keymap *k;

	for (k = tui_keys; k->req != REQ_NONE; k++)
		if (k->key == key &&
		    (!k->scope || !strcmp(k->scope, v->ops->name)))
			return k->req;
	return REQ_NONE;
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void loop(struct tui *tui)
{
	while (!tui->quit && !got_signal) {
		struct view *v = tui_top(tui);
		enum request req;
		int key;

		layout_and_draw(tui);
		key = getch();
		if (key == ERR)
			continue;
		if (key == KEY_RESIZE)
			continue;	/* LINES/COLS are new: lay out again */
		tui->message[0] = '\0';
		req = key_request(v, key);
		if (req == REQ_JUMP_TS && v->ops->request) {
			char buf[64];
			u64 ts;

			if (tui_prompt(tui, "jump to time (s): ", buf,
				       sizeof(buf)))
				continue;
			if (!tui_parse_ts(buf, &ts)) {
				tui_message(tui, true, "'%s' is not a time "
					    "in seconds (e.g. 3.4735)", buf);
				continue;
			}
			tui->jump_ts = ts;
		}
		if (req == REQ_NONE) {
			tui_message(tui, true, "no key '%s' here; h shows "
				    "the keys", keyname(key));
			continue;
		}
		handle(tui, req);
	}
}

/* --- the subcommand -------------------------------------------------------- */

static const char *const tui_usage[] = {
	"pagestate tui [--reindex] FILE",
	"pagestate tui --index-only [--reindex] FILE",
	NULL,
};

static int index_only(struct tui *tui, u64 start)
{
	const struct ps_index_hdr *h = tui->x->hdr;

	printf("%s: %s %s: %llu folios, %llu findings, %llu page ops "
	       "(%llu ms)\n", tui->x->path,
	       tui->x->built ? "built" : "reused",
	       tui->path, (unsigned long long)h->nr_folios,
	       (unsigned long long)h->nr_findings,
	       (unsigned long long)h->nr_ops,
	       (unsigned long long)(now_ms() - start));
	return PS_EXIT_OK;
}

static bool have_terminal(void)
{
	const char *ci = getenv("CI");

	if (ci && !strcmp(ci, "true"))
		return false;
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

int cmd_tui(int argc, const char **argv)
{
	int reindex = 0, only = 0, n, ret = PS_EXIT_OK;
	enum ps_parse_result res;
	struct ps_option opts[] = {
		PS_OPT_BOOL_F(0, "reindex", &reindex,
			"build the index again even if a valid one is cached"),
		PS_OPT_BOOL_F(0, "index-only", &only,
			"build (or check) the index and exit; needs no terminal"),
		PS_OPT_END_MARK,
	};
	struct build_progress bp = { 0 };
	struct tui tui = { .cur_folio = PS_INDEX_NONE, .cur_finding = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	u64 start = now_ms();
	const char *codeset;
	SCREEN *screen;

	res = ps_parse_options(argc, argv, opts, tui_usage, &n, NULL);
	if (res != PS_PARSE_OK)
		return ps_parse_exit(res);
	if (ps_want_one_recording("tui", n, tui_usage, opts))
		return PS_EXIT_USAGE;
	if (!only && !have_terminal()) {
		ps_error("tui needs a terminal: %s; use 'pagestate replay' "
			 "or 'pagestate check' in scripts (or --index-only "
			 "to prepare the index)",
			 getenv("CI") && !strcmp(getenv("CI"), "true") ?
			 "CI=true is set" : "stdin or stdout is not a tty");
		return PS_EXIT_USAGE;
	}
	tui.path = argv[0];
	tui.t = ps_trace_open(tui.path);
	if (!tui.t)
		return PS_EXIT_USAGE;
	bp.path = tui.path;
	bp.tty = isatty(STDERR_FILENO);
	tui.x = ps_index_open(tui.t, reindex, build_progress, &bp);
	if (bp.tty && bp.last)
		fprintf(stderr, "\r\033[K");
	if (!tui.x) {
		ps_trace_close(tui.t);
		return PS_EXIT_USAGE;
	}
	if (only) {
		ret = index_only(&tui, start);
		goto out;
	}

	setlocale(LC_ALL, "");
	codeset = nl_langinfo(CODESET);
	tui.utf8 = codeset && !strcmp(codeset, "UTF-8");
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	screen = newterm(NULL, stdout, stdin);
	if (!screen) {
		ps_error("cannot start the terminal (TERM=%s)",
			 getenv("TERM") ? getenv("TERM") : "");
		ret = PS_EXIT_USAGE;
		goto out;
	}
	set_escdelay(25);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	init_colors(&tui);
	if (tui_push(&tui, &folios_view_ops, NULL)) {
		if (tui.x->built)
			tui_message(&tui, false, "indexed in %.1f s: %s",
				    (now_ms() - start) / 1000.0, tui.x->path);
		loop(&tui);
	}
	while (tui.depth)
		tui_pop(&tui);
	endwin();
	delscreen(screen);
	if (got_signal)
		ret = 128 + got_signal;
out:
	tui_timelines_free(&tui);
	ps_index_free(tui.x);
	ps_trace_close(tui.t);
	return ret;
}
