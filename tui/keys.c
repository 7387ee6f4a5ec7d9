// SPDX-License-Identifier: GPL-2.0
/*
 * Keys and requests: the key table (the help view prints it), the
 * categories of the c/s/p/m jumps, and the requests every view shares,
 * handled after the top view's own request handler declined them.
 */
#include <string.h>

#include <ncurses.h>

#include "tui.h"

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
	{ 'H', "H", REQ_VIEW_HOLDERS, NULL, "who holds the folio's references after the selected event" },
	{ 'h', "h", REQ_VIEW_HELP, NULL, "this help" },
	{ '?', "?", REQ_VIEW_HELP, NULL, NULL },
	{ 'w', "w", REQ_FILTER_WORKLOAD, "folios", "only folios the workload touched" },
	{ '!', "!", REQ_FILTER_FINDINGS, "folios", "only folios with findings" },
	{ 'T', "T", REQ_FILTER_THP, "folios", "only large folios (THP)" },
	{ 'o', "o", REQ_SORT, "folios", "sort: birth, pfn, events, findings" },
	{ CTRL('l'), "^L", REQ_REDRAW, NULL, "redraw the screen" },
	{ 0, NULL, REQ_NONE, NULL, NULL },
};

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

static void export(struct tui *tui, struct view *v)
{
	char where[4096];
	u32 folio = tui_current_folio(tui, v, "to export");

	if (folio == PS_INDEX_NONE)
		return;
	if (!tui_export(tui, folio, where, sizeof(where)))
		tui_message(tui, false, "exported to %s", where);
	else
		tui_message(tui, true, "export failed: %s", where);
}

/* F, f, l, K, H, u, h: the views every view can open. */
static void open_view(struct tui *tui, struct view *v, enum request req)
{
	switch (req) {
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
			tui_open_about_folio(tui, v, &lineage_view_ops);
		break;
	case REQ_VIEW_STACK:
		if (v->ops != &timeline_view_ops) {
			tui_message(tui, true, "K: select an event in a "
				    "timeline first");
			break;
		}
		tui_push(tui, &stack_view_ops, v);
		break;
	case REQ_VIEW_HOLDERS:
		if (v->ops != &timeline_view_ops) {
			tui_message(tui, true, "H: select an event in a "
				    "timeline first");
			break;
		}
		tui_push(tui, &holders_view_ops, v);
		break;
	case REQ_VIEW_SUBPAGES:
		if (v->ops != &timeline_view_ops) {
			if (tui_view_folio(v) == PS_INDEX_NONE) {
				tui_message(tui, true, "select a folio first");
				break;
			}
			if (tui_open_timeline(tui, tui_view_folio(v), -1, 0, 0))
				break;
			v = tui_top(tui);
		}
		tui_push(tui, &subpages_view_ops, v);
		break;
	case REQ_VIEW_HELP:
		if (v->ops != &help_view_ops)
			tui_push(tui, &help_view_ops, v);
		break;
	default:
		break;
	}
}

/* c/s/p/m in views without events of their own: the folio's timeline */
static void jump_to_kind(struct tui *tui, struct view *v, enum request req)
{
	int dir;
	u32 kinds = tui_request_kinds(req, NULL, &dir);

	if (tui_view_folio(v) == PS_INDEX_NONE)
		tui_message(tui, true, "select a folio first");
	else
		tui_open_timeline(tui, tui_view_folio(v), -1, kinds, dir);
}

void tui_handle(struct tui *tui, enum request req)
{
	struct view *v = tui_top(tui);

	if (v->ops->request)
		req = v->ops->request(v, req);
	if (tui_move_request(v, req, tui_content_height(v)))
		return;
	switch (req) {
	case REQ_BACK:
		tui_pop(tui);
		break;
	case REQ_QUIT:
		tui->quit = true;
		break;
	case REQ_NEXT_FINDING:
	case REQ_PREV_FINDING:
		tui_next_finding(tui, v, req == REQ_NEXT_FINDING ? 1 : -1);
		break;
	case REQ_NEXT_COLLAPSE: case REQ_PREV_COLLAPSE:
	case REQ_NEXT_SPLIT: case REQ_PREV_SPLIT:
	case REQ_NEXT_PIN: case REQ_PREV_PIN:
	case REQ_NEXT_MIGRATE: case REQ_PREV_MIGRATE:
		jump_to_kind(tui, v, req);
		break;
	case REQ_SEARCH:
		tui_search(tui, v);
		break;
	case REQ_JUMP_TS:
		tui_message(tui, true, "t: no timestamps in this view");
		break;
	case REQ_EXPORT:
		export(tui, v);
		break;
	case REQ_VIEW_FOLIOS: case REQ_VIEW_FINDINGS:
	case REQ_VIEW_LINEAGE: case REQ_VIEW_STACK: case REQ_VIEW_HOLDERS:
	case REQ_VIEW_SUBPAGES: case REQ_VIEW_HELP:
		open_view(tui, v, req);
		break;
	case REQ_REDRAW:
		clearok(curscr, TRUE);
		break;
	case REQ_FILTER_WORKLOAD: case REQ_FILTER_FINDINGS:
	case REQ_FILTER_THP: case REQ_SORT:
		tui_message(tui, true, "filters and sort are in the folio "
			    "list (F)");
		break;
	default:	/* REQ_NONE, the moves, REQ_ENTER: nothing more */
		break;
	}
}

enum request tui_key_request(struct view *v, int key)
{
	const struct tui_keymap *k;

	for (k = tui_keys; k->req != REQ_NONE; k++)
		if (k->key == key &&
		    (!k->scope || !strcmp(k->scope, v->ops->name)))
			return k->req;
	return REQ_NONE;
}
