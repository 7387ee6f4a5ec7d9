// SPDX-License-Identifier: GPL-2.0
/*
 * The screen: colours and attributes, putting text, the message line,
 * progress bars, and laying out and drawing the views and the status bar.
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ncurses.h>

#include "tui.h"

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

void tui_init_colors(struct tui *tui)
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

/* --- progress (index build before the screen, loads on it) ----------------- */

u64 tui_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static u64 progress_start, progress_last;

void tui_progress(struct tui *tui, const char *what, double fraction)
{
	u64 now = tui_now_ms();
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

void tui_progress_reset(void)
{
	progress_start = progress_last = 0;
}

/* --- views on the screen --------------------------------------------------- */

static void draw_view(struct view *v)
{
	char title[512] = "";
	int i, h = tui_content_height(v);

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

void tui_draw(struct tui *tui)
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

