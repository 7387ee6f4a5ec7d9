// SPDX-License-Identifier: GPL-2.0
/*
 * pagestate tui: browse a recording.  Opens (or builds) the index, starts
 * the terminal and runs the key loop; the screen is tui/display.c, keys
 * and requests tui/keys.c, the prompt and search tui/prompt.c, the view
 * stack tui/view.c, each view tui/<name>-view.c.
 */
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ncurses.h>

#include "pagestate/builtin.h"
#include "tui.h"

struct build_progress {
	const char *path;
	u64 last;
	bool tty;
};

static void build_progress(void *data, u64 done, u64 total, u64 events)
{
	struct build_progress *p = data;
	u64 now = tui_now_ms();

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

		tui_draw(tui);
		key = getch();
		if (key == ERR)
			continue;
		if (key == KEY_RESIZE)
			continue;	/* LINES/COLS are new: lay out again */
		tui->message[0] = '\0';
		req = tui_key_request(v, key);
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
		tui_handle(tui, req);
	}
}

/* --- the subcommand -------------------------------------------------------- */

static const char *const tui_usage[] = {
	"pagestate tui [--reindex] [--pfn PFN [--at SECONDS]] FILE",
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
	       (unsigned long long)(tui_now_ms() - start));
	return PS_EXIT_OK;
}

static bool have_terminal(void)
{
	const char *ci = getenv("CI");

	if (ci && !strcmp(ci, "true"))
		return false;
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

/* Opens the recording and its index (built with progress on a tty). */
static int open_recording(struct tui *tui, const char *path, bool reindex)
{
	struct build_progress bp = { .path = path };

	tui->path = path;
	tui->t = ps_trace_open(path);
	if (!tui->t)
		return -1;
	bp.tty = isatty(STDERR_FILENO);
	tui->x = ps_index_open(tui->t, reindex, build_progress, &bp);
	if (bp.tty && bp.last)
		fprintf(stderr, "\r\033[K");
	return tui->x ? 0 : -1;
}

/*
 * --pfn [--at]: the folio holding pfn, its life at that time (the one
 * alive then, else the last born before it); without --at its last
 * life.  PS_INDEX_NONE when no folio of the index ever held the pfn.
 */
static u32 folio_of_pfn(const struct tui *tui, u64 pfn, u64 at, bool have_at)
{
	const struct ps_index_folio *fs = tui->x->folios;
	u32 i, best = PS_INDEX_NONE;

	for (i = 0; i < tui->x->hdr->nr_folios; i++) {
		const struct ps_index_folio *f = &fs[i];

		if (pfn < f->pfn || pfn >= f->pfn + (1ull << f->order))
			continue;
		if (have_at && f->born_ts <= at && f->end_ts >= at)
			return i;
		if (have_at && f->born_ts > at)
			continue;
		if (best == PS_INDEX_NONE || f->born_ts >= fs[best].born_ts)
			best = i;
	}
	return best;
}

/* The folio's timeline on top, at the first event at or after --at. */
static void open_at(struct tui *tui, u32 folio, u64 at, bool have_at)
{
	struct view *v;

	if (tui_open_timeline(tui, folio, -1, 0, 0))
		return;
	v = tui_top(tui);
	if (have_at && v && v->ops->request) {
		tui->jump_ts = at;
		v->ops->request(v, REQ_JUMP_TS);
	}
}

/*
 * The browser proper: the terminal from start to restore.  A signal
 * (SIGINT, SIGTERM, SIGHUP) ends the loop; the terminal is restored and
 * the exit status is 128 + the signal, as a shell reports a killed
 * command.
 */
static int run_screen(struct tui *tui, u64 start, u32 folio, u64 at,
		      bool have_at)
{
	struct sigaction sa = { .sa_handler = on_signal };
	const char *codeset;
	SCREEN *screen;

	setlocale(LC_ALL, "");
	codeset = nl_langinfo(CODESET);
	tui->utf8 = codeset && !strcmp(codeset, "UTF-8");
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	screen = newterm(NULL, stdout, stdin);
	if (!screen) {
		ps_error("cannot start the terminal (TERM=%s)",
			 getenv("TERM") ? getenv("TERM") : "");
		return PS_EXIT_USAGE;
	}
	set_escdelay(25);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	tui_init_colors(tui);
	if (tui_push(tui, &folios_view_ops, NULL)) {
		if (tui->x->built)
			tui_message(tui, false, "indexed in %.1f s: %s",
				    (tui_now_ms() - start) / 1000.0,
				    tui->x->path);
		if (folio != PS_INDEX_NONE)
			open_at(tui, folio, at, have_at);
		loop(tui);
	}
	while (tui->depth)
		tui_pop(tui);
	endwin();
	delscreen(screen);
	return got_signal ? 128 + got_signal : PS_EXIT_OK;
}

int cmd_tui(int argc, const char **argv)
{
	int reindex = 0, only = 0, n, ret;
	enum ps_parse_result res;
	const char *probe_map = NULL, *pfn_s = NULL, *at_s = NULL;
	u64 pfn = PS_PFN_NONE, at = 0;
	u32 folio = PS_INDEX_NONE;
	struct ps_option opts[] = {
		PS_OPT_BOOL_F(0, "reindex", &reindex,
			"build the index again even if a valid one is cached"),
		PS_OPT_BOOL_F(0, "index-only", &only,
			"build (or check) the index and exit; needs no terminal"),
		PS_OPT_STRING_F(0, "pfn", &pfn_s, "pfn",
			"open the timeline of the folio holding this page"),
		PS_OPT_STRING_F(0, "at", &at_s, "seconds",
			"...of its life at this time, on the event at or after it"),
		PS_OPT_PROBE_MAP_F(&probe_map),
		PS_OPT_END_MARK,
	};
	struct tui tui = { .cur_folio = PS_INDEX_NONE, .cur_finding = -1 };
	u64 start = tui_now_ms();

	res = ps_parse_options(argc, argv, opts, tui_usage, &n, NULL);
	if (res != PS_PARSE_OK)
		return ps_parse_exit(res);
	if (probe_map && ps_trace_set_probe_map(probe_map))
		return PS_EXIT_USAGE;
	if (ps_want_one_recording("tui", n, tui_usage, opts))
		return PS_EXIT_USAGE;
	if (at_s && !pfn_s)
		return ps_usage_msg_opt(tui_usage, opts, "--at needs --pfn");
	if (pfn_s && ps_parse_u64(pfn_s, &pfn)) {
		ps_error("'%s' is not a pfn (want e.g. 0x12a400)", pfn_s);
		return PS_EXIT_USAGE;
	}
	if (at_s && !tui_parse_ts(at_s, &at)) {
		ps_error("'%s' is not a time in seconds (want e.g. 10.69)",
			 at_s);
		return PS_EXIT_USAGE;
	}
	if (!only && !have_terminal()) {
		ps_error("tui needs a terminal: %s; use 'pagestate replay' "
			 "or 'pagestate check' in scripts (or --index-only "
			 "to prepare the index)",
			 getenv("CI") && !strcmp(getenv("CI"), "true") ?
			 "CI=true is set" : "stdin or stdout is not a tty");
		return PS_EXIT_USAGE;
	}
	if (open_recording(&tui, argv[0], reindex)) {
		ret = PS_EXIT_USAGE;
	} else if (only) {
		ret = index_only(&tui, start);
	} else if (pfn_s && (folio = folio_of_pfn(&tui, pfn, at, at_s)) ==
		   PS_INDEX_NONE) {
		ps_error("%s: pfn 0x%llx is in no folio of the recording%s",
			 argv[0], (unsigned long long)pfn,
			 at_s ? " at or before --at" : "");
		ret = PS_EXIT_USAGE;
	} else {
		ret = run_screen(&tui, start, folio, at, at_s);
	}
	tui_timelines_free(&tui);
	ps_index_free(tui.x);
	ps_trace_close(tui.t);
	return ret;
}
