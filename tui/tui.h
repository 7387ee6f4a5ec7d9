/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to tui/: the browser's views, requests and shared state.
 *
 * As in tig, a view is a struct of operations (struct view_ops) and each
 * view lives in its own file (tui/<name>-view.c); keys map to requests
 * through one table (tui/keys.c), from which the help view is generated.
 * A request goes to the view on top first, then to the generic handling
 * (moving, searching, switching views).
 *
 * Views do not read the recording: the folio list, findings and lineage
 * come from the index (index.h), a folio's timeline from one replay
 * filtered on that folio (tui/load.c), cached for the last few folios.
 */
#ifndef PAGESTATE_TUI_H
#define PAGESTATE_TUI_H

#include <stdbool.h>

#include <ncurses.h>

#include "pagestate/index.h"
#include "pagestate/rule.h"
#include "pagestate/trace.h"

enum request {
	REQ_NONE,
	REQ_UP, REQ_DOWN, REQ_PGUP, REQ_PGDN, REQ_FIRST, REQ_LAST,
	REQ_ENTER, REQ_BACK, REQ_QUIT,
	REQ_NEXT_COLLAPSE, REQ_PREV_COLLAPSE,
	REQ_NEXT_SPLIT, REQ_PREV_SPLIT,
	REQ_NEXT_PIN, REQ_PREV_PIN,
	REQ_NEXT_MIGRATE, REQ_PREV_MIGRATE,
	REQ_NEXT_FINDING, REQ_PREV_FINDING,
	REQ_SEARCH, REQ_JUMP_TS, REQ_EXPORT,
	REQ_VIEW_FOLIOS, REQ_VIEW_FINDINGS, REQ_VIEW_LINEAGE,
	REQ_VIEW_STACK, REQ_VIEW_HOLDERS, REQ_VIEW_SUBPAGES, REQ_VIEW_HELP,
	REQ_FILTER_WORKLOAD, REQ_FILTER_FINDINGS, REQ_FILTER_THP,
	REQ_SORT, REQ_REDRAW,
};

/* attribute values are ints here: no sign games with chtype */
#define TA_NORMAL	0

/* Colours by meaning; tui_attr() falls back to bold/underline/reverse. */
enum tui_color {
	C_DEFAULT, C_TITLE, C_STATUS, C_CURSOR, C_CHANGED, C_BREAK, C_INFO,
	C_UNCERTAIN, C_DIM, C_EXCL, C_PIN, C_MIGR, C_WARN, C_HEADER,
	C_NR_COLORS
};

/* What `/` looks for: a pfn (0x..), a pid (decimal), or a name. */
struct tui_query {
	enum { Q_PFN, Q_PID, Q_NAME } type;
	u64 num;
	char text[64];
	u32 kinds;		/* op kinds whose name matches text */
	u64 evmask;		/* index event bits whose name matches */
	u64 gen;		/* new for every search typed */
};

struct view;
struct tui;

struct view_ops {
	const char *name;	/* scope in the key table */
	/* arg: what to show (a folio, a finding...); 0 or -1 */
	int (*open)(struct view *v, void *arg);
	void (*close)(struct view *v);
	/* one line of a line view at screen row y */
	void (*draw_line)(struct view *v, size_t lineno, int y, bool selected);
	/* or the whole area (the subpage grid) */
	void (*draw)(struct view *v);
	/* view-specific keys: REQ_NONE when handled, else req back */
	enum request (*request)(struct view *v, enum request req);
	/* the cursor moved */
	void (*select)(struct view *v);
	bool (*grep)(struct view *v, size_t lineno, const struct tui_query *q);
	void (*title)(struct view *v, char *buf, size_t size);
	/* a column header under the title, or NULL */
	void (*header)(struct view *v, char *buf, size_t size);
	/* "where am I" for the status bar, and the time window whose
	 * state is on screen (*to 0: none), for the lost-event warning */
	void (*position)(struct view *v, char *buf, size_t size,
			 u64 *from, u64 *to);
	/* a view to show below this one when there is room, or NULL */
	struct view *(*split)(struct view *v);
	/* the folio this view is about (PS_INDEX_NONE: none) */
	u32 (*folio)(struct view *v);
};

struct view {
	const struct view_ops *ops;
	struct tui *tui;
	void *priv;
	size_t lines;		/* line views: how many */
	size_t lineno;		/* cursor */
	size_t offset;		/* first line on screen */
	int y, height, width;	/* area on screen, title line included */
};

/* One timeline row: a page op about the folio and its state after. */
struct tl_row {
	struct ps_op op;
	struct ps_state after;
	u64 stack_offset;	/* its kernel_stack record, 0 if none */
	u32 diff_first, nr_diff;/* subpage changes made by this op */
	s32 finding;		/* index of its first finding, -1 if none */
	uint16_t changed;		/* TL_CH_*: what differs from the state before */
	uint16_t new_lineage;	/* lineage links this op made */
	bool ended;		/* the op ended the folio (state before shown) */
};

#define TL_CH_REF	(1u << 0)
#define TL_CH_MAP	(1u << 1)
#define TL_CH_ENTIRE	(1u << 2)
#define TL_CH_PIN	(1u << 3)
#define TL_CH_FLAGS	(1u << 4)
#define TL_CH_SUB	(1u << 5)
#define TL_CH_LIVE	(1u << 6)

/* One subpage change, with the old value so the grid can step back. */
struct tl_diff {
	u32 sub;
	s32 old_map, new_map;
	uint16_t old_flags, new_flags;
	int16_t old_pins, new_pins;
};

struct timeline {
	u32 folio;
	u64 pfn;
	u32 order;
	struct tl_row *rows;
	u32 nr_rows, alloc_rows;
	struct tl_diff *diffs;
	u64 nr_diffs, alloc_diffs;
	/* the subpage grid after row pos (pos -1: before the first row) */
	struct ps_subpage *grid;
	int16_t *pins;
	u32 nr_sub;
	long pos;
	u64 last_used;
	int refs;		/* views holding it; the cache may not drop it */
	bool cached;
};

/* What a timeline view opens: a folio, and where to put the cursor. */
struct timeline_arg {
	u32 folio;
	long finding;		/* on this finding's event, -1: not */
	u32 kinds;		/* on the first (dir > 0) or last op of these */
	int dir;
};

#define TUI_MAX_VIEWS	32
#define TUI_TIMELINES	4

struct tui {
	struct ps_trace *t;
	struct ps_index *x;
	const char *path;
	bool color, utf8;

	struct view *stack[TUI_MAX_VIEWS];
	int depth;
	struct view *split;	/* drawn below the top view, or NULL */
	bool quit;

	struct timeline *tl[TUI_TIMELINES];
	u64 tl_clock;
	/* result names outlive the reader that loaded them */
	char **names;
	int nr_names;

	u64 jump_ts;		/* argument of REQ_JUMP_TS */
	u32 cur_folio;		/* the folio the last views were about */
	long cur_finding;	/* last finding jumped to, -1 */
	char message[512];
	bool message_error;
	struct tui_query last_query;
	bool have_query;
	/* folio list settings survive reopening it */
	bool only_workload, only_findings, only_thp;
	int sort;
};

#define KEY_ESC		27
#define CTRL(x)		((x) & 0x1f)

/* display.c: the screen */
int tui_attr(enum tui_color c);
void tui_init_colors(struct tui *tui);
/* Lays out the top view (and its split pane) and draws everything. */
void tui_draw(struct tui *tui);
u64 tui_now_ms(void);
void tui_progress_reset(void);
void tui_put(int y, int x, int width, int attr, const char *s);
void tui_printf(int y, int x, int width, int attr, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void tui_message(struct tui *tui, bool error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* view.c: the view stack, cursor moves, jumps */
/* Pushes a new view of ops about arg; NULL (with a message) on failure. */
struct view *tui_push(struct tui *tui, const struct view_ops *ops, void *arg);
void tui_pop(struct tui *tui);
struct view *tui_top(struct tui *tui);
void tui_move_to(struct view *v, size_t lineno);
/* Lines of a line view's content (title and header excluded). */
int tui_content_height(const struct view *v);
/* The folio the view is about, PS_INDEX_NONE if none. */
u32 tui_view_folio(struct view *v);
/* n/N: the next finding after where v is (dir 1) or before it (-1). */
void tui_next_finding(struct tui *tui, struct view *v, int dir);
/* v's folio, else the last one seen; none: says "select a folio <why>" */
u32 tui_current_folio(struct tui *tui, struct view *v, const char *why);
/* Pushes ops about v's folio (or the last folio seen). */
void tui_open_about_folio(struct tui *tui, struct view *v,
			  const struct view_ops *ops);
/* Shows a progress line now (long loads); fraction in [0, 1]. */
void tui_progress(struct tui *tui, const char *what, double fraction);
/* prompt.c: a line of input (-1 on Esc), and `/` in view v */
int tui_prompt(struct tui *tui, const char *prompt, char *buf, size_t size);
void tui_search(struct tui *tui, struct view *v);
void tui_fmt_ts(u64 ts, char *buf, size_t size);
bool tui_parse_ts(const char *s, u64 *ts);
const char *tui_state_name(unsigned int state);
void tui_folio_marks(const struct ps_index_folio *f, char *buf, size_t size);
/* Category of c/s/p/m requests: op kinds it covers, and its name. */
u32 tui_request_kinds(enum request req, const char **name, int *dir);
/* Opens the timeline of folio i at the row of finding fi (-1: first row). */
int tui_open_timeline(struct tui *tui, u32 folio, long row_of_finding,
		      u32 kinds, int dir);
int tui_goto_finding(struct tui *tui, long fi);
bool tui_query_folio(struct tui *tui, const struct ps_index_folio *f,
		     const struct tui_query *q);
/* keys.c: the request of key in view v, and what every view does with
 * a request its own handler declined. */
enum request tui_key_request(struct view *v, int key);
void tui_handle(struct tui *tui, enum request req);

/* The key table, for the help view. */
struct tui_keymap {
	int key;
	const char *keyname;
	enum request req;
	const char *scope;	/* view name, or NULL: every view */
	const char *help;
};
extern const struct tui_keymap tui_keys[];

/* load.c: a folio's timeline, loaded or cached; put it back when done */
struct timeline *tui_timeline(struct tui *tui, u32 folio);
void tui_timeline_put(struct tui *tui, struct timeline *tl);
void tui_timelines_free(struct tui *tui);
void tl_seek(struct timeline *tl, long pos);
void tl_op_detail(struct tui *tui, const struct ps_op *op, char *buf,
		  size_t size);

/* export.c */
int tui_export(struct tui *tui, u32 folio, char *where, size_t size);

/* The views, one file each. */
extern const struct view_ops folios_view_ops;
extern const struct view_ops timeline_view_ops;
extern const struct view_ops subpages_view_ops;
extern const struct view_ops findings_view_ops;
extern const struct view_ops lineage_view_ops;
extern const struct view_ops stack_view_ops;
extern const struct view_ops holders_view_ops;
extern const struct view_ops help_view_ops;

/* timeline-view.c: the open timeline and its cursor, for dependents */
struct timeline *timeline_view_timeline(struct view *v);
long timeline_view_row(struct view *v);
void timeline_view_step(struct view *v, enum request req);
bool tui_move_request(struct view *v, enum request req, size_t page);
void timeline_view_place(struct view *v, const struct timeline_arg *a);
/* subpages-view.c: a pane bound to a timeline view */
struct view *subpages_pane(struct view *timeline);
void subpages_pane_free(struct view *pane);

#endif /* PAGESTATE_TUI_H */
