// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel stacks for the events that matter (record --stack-on=LIST).
 *
 * options/stacktrace puts a kernel_stack record after every event of the
 * instance: a page_ref recording grows several times over.  The holders
 * ledger (analyze/holders.c) only ever shows the stack of a get or a pin,
 * so --stack-on=holders asks for those alone, with a per-event trigger in
 * our instance:
 *
 *   events/SYSTEM/EVENT/trigger  <-  "stacktrace if COND"
 *
 * The condition is not decoration.  An unconditional stacktrace trigger
 * runs before the event is written (its stack would precede the event);
 * a conditional one runs after the event is committed, so the stack
 * follows its event on the same CPU, as options/stacktrace does, and the
 * replay side (a PS_OP_STACK belongs to the op before it on that CPU)
 * needs no second rule.  COND is "common_pid >= 0" (always true), or for
 * the page_ref events of "holders" "val > 0": only gets, the puts of
 * page_ref_mod_and_test and friends make no holder.
 *
 * The recorder's own threads are left out of COND: their gets are the
 * page cache and pipe pages the per-CPU files go through, and a stack
 * for each made the file grow with its own writing, the more the slower
 * the disk (collapse-broken under load on 9p: 16,288 stacks, 9/10 of
 * them ours).  Their events are still recorded (buffers.c says why);
 * the "stacks" marker says skip=recorder, and holders.c tells such a
 * get's missing stack apart.  So the triggers go in after the reader
 * threads started (their tids), and before tracing does.
 *
 * The triggers live in our instance's event files and go with it; we
 * still clear them first (cleanup of a live or a dead recorder), so an
 * instance removal never depends on how a kernel treats triggers.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pagestate/probes.h"
#include "pagestate/recording.h"
#include "record.h"

#define COND_ALL	"common_pid >= 0"
#define COND_GETS	"val > 0"
/* a trigger is one write of less than a page: room for COND and more */
#define SKIP_MAX	2048

/*
 * What holders.c itemizes a holder from: page_ref increments (REF and
 * REF_SET with a positive delta; page_ref_set itself is the allocation's
 * count, already the kmem:mm_page_alloc get, and would cost a stack per
 * page allocated) and the GUP pins of the probes (probes.h).  A 6.12
 * try_grab_folio pin is emitted at its return probe, so the stack is
 * taken there.  "gets" marks the events whose puts the condition skips.
 */
static const struct {
	const char *event;
	bool gets;
} holder_events[] = {
	{ "page_ref:page_ref_mod", true },
	{ "page_ref:page_ref_mod_and_test", true },
	{ "page_ref:page_ref_mod_and_return", true },
	{ "page_ref:page_ref_mod_unless", true },
	{ "page_ref:page_ref_unfreeze", true },
	{ PS_PROBE_GROUP ":" PS_PROBE_GUP_GRAB_FOLIO, false },
	{ PS_PROBE_GROUP ":" PS_PROBE_GUP_GRAB_PAGE, false },
	{ PS_PROBE_GROUP ":" PS_PROBE_GUP_GRAB_FOLIO_RET, false },
	{ PS_PROBE_GROUP ":" PS_PROBE_GUP_GRAB_FOLIO_FAST_RET, false },
};

/* The next comma-separated token of *s into buf; false at the end. */
static bool next_token(const char **s, char *buf, size_t size)
{
	size_t len;

	if (!**s)
		return false;
	len = strcspn(*s, ",");
	snprintf(buf, size, "%.*s", (int)len, *s);
	*s += len;
	if (**s == ',')
		(*s)++;
	return true;
}

/*
 * The syntax of LIST, and that each plain system:event exists (the kprobe
 * events of PS_PROBE_GROUP do not exist until placed: checked later).
 */
int ps_stack_on_check(struct ps_recorder *rec)
{
	const char *s = rec->stack_on;
	char tok[256], file[600];

	if (!*s || s[strlen(s) - 1] == ',')
		return ps_error("--stack-on: empty list or name (give SYSTEM:EVENT names or globs, or 'holders')");
	while (next_token(&s, tok, sizeof(tok))) {
		char *colon = strchr(tok, ':');

		if (!*tok)
			return ps_error("--stack-on: empty name in '%s'",
					rec->stack_on);
		if (!strcmp(tok, "holders"))
			continue;
		if (!colon || colon == tok || !colon[1] ||
		    strchr(tok, '/') || strchr(colon + 1, ':'))
			return ps_error("--stack-on: '%s' is not SYSTEM:EVENT (a glob), nor 'holders'",
					tok);
		*colon = '\0';
		if (!strcmp(tok, PS_PROBE_GROUP) ||
		    strpbrk(colon + 1, "*?[") || strpbrk(tok, "*?["))
			continue;
		snprintf(file, sizeof(file), "%s/events/%s/%s/format",
			 rec->caps.tracing_dir, tok, colon + 1);
		if (access(file, F_OK))
			return ps_error("--stack-on: event '%s:%s' does not exist in this kernel (see 'pagestate record --list-capabilities')",
					tok, colon + 1);
	}
	return 0;
}

static int holder_event(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(holder_events); i++)
		if (!strcmp(holder_events[i].event, name))
			return (int)i;
	return -1;
}

static void stack_add(struct ps_recorder *rec, const char *name, bool gets)
{
	struct ps_stack_on *so = &rec->stacks;

	if (so->nr == so->alloc) {
		so->alloc = so->alloc ? 2 * so->alloc : 16;
		so->v = ps_xrealloc(so->v, so->alloc * sizeof(*so->v));
	}
	so->v[so->nr].event = ps_xstrdup(name);
	so->v[so->nr].gets = gets;
	so->nr++;
}

/* Does token tok name the enabled event name; *gets: only its gets. */
static bool token_matches(const char *tok, const char *name, bool *gets)
{
	int h;

	if (strcmp(tok, "holders"))
		return !fnmatch(tok, name, 0) && !(*gets = false);
	h = holder_event(name);
	if (h < 0)
		return false;
	*gets = holder_events[h].gets;
	return true;
}

/*
 * The enabled events LIST names, into rec->stacks: an event named by a
 * plain pattern gets every stack, one named by "holders" alone only its
 * gets.  A token that matched no enabled event is said, not fatal.
 */
static void stack_on_resolve(struct ps_recorder *rec)
{
	const char *s = rec->stack_on;
	char tok[256];
	int i;

	for (i = 0; i < rec->events.nr; i++) {
		const char *name = rec->events.v[i];
		bool any = false, all = false, gets;

		for (s = rec->stack_on; next_token(&s, tok, sizeof(tok));)
			if (token_matches(tok, name, &gets)) {
				any = true;
				all |= !gets;
			}
		if (any)
			stack_add(rec, name, !all);
	}
	for (s = rec->stack_on; next_token(&s, tok, sizeof(tok));) {
		bool hit = false, gets;

		for (i = 0; !hit && i < rec->stacks.nr; i++)
			hit = token_matches(tok, rec->stacks.v[i].event, &gets);
		if (hit)
			continue;
		if (!strcmp(tok, "holders"))
			ps_warn("--stack-on: 'holders' matched no recorded event (page_ref:*, the %s GUP probes): this kernel has none; no stacks",
				PS_PROBE_GROUP);
		else
			ps_warn("--stack-on: '%s' matched no recorded event (record it with -e)",
				tok);
	}
}

static int trigger_file(struct ps_recorder *rec, const char *name,
			char *file, size_t size)
{
	const char *colon = strchr(name, ':');

	if (!colon)
		return -1;
	snprintf(file, size, "events/%.*s/%s/trigger", (int)(colon - name),
		 name, colon + 1);
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/*
 * " && ..." that leaves out the recorder's pid and reader tids, as
 * ranges (threads made one after another get consecutive tids):
 * "(common_pid < 51 || common_pid > 53)".  Empty if there is no room
 * (thousands of CPUs with scattered tids): their stacks are kept then.
 */
static void skip_recorder(struct ps_recorder *rec, char *buf, size_t size)
{
	pid_t *v = ps_xcalloc(rec->nr_cpus + 1, sizeof(*v));
	int n = ps_buffers_pids(rec, v), i, j;
	size_t len = 0;

	qsort(v, n, sizeof(*v), cmp_pid);
	buf[0] = '\0';
	for (i = 0; i < n && len < size; i = j) {
		for (j = i + 1; j < n && v[j] <= v[j - 1] + 1; j++)
			;
		if (v[j - 1] == v[i])
			len += snprintf(buf + len, size - len,
					" && common_pid != %d", v[i]);
		else
			len += snprintf(buf + len, size - len,
					" && (common_pid < %d || common_pid > %d)",
					v[i], v[j - 1]);
	}
	if (len >= size)
		buf[0] = '\0';
	free(v);
}

int ps_stacks_enable(struct ps_recorder *rec)
{
	char file[1024], val[64 + SKIP_MAX], skip[SKIP_MAX];
	int i, ret;

	if (!rec->stack_on)
		return 0;
	stack_on_resolve(rec);
	skip_recorder(rec, skip, sizeof(skip));
	rec->stacks.skip_recorder = skip[0] != '\0';
	for (i = 0; i < rec->stacks.nr; i++) {
		if (trigger_file(rec, rec->stacks.v[i].event, file,
				 sizeof(file)))
			continue;
		snprintf(val, sizeof(val), "stacktrace if %s%s",
			 rec->stacks.v[i].gets ? COND_GETS : COND_ALL, skip);
		ret = tracefs_instance_file_write(rec->instance, file, val);
		if (ret < 0 && skip[0]) {
			/* a filter too long for this kernel: go without */
			skip[0] = '\0';
			rec->stacks.skip_recorder = false;
			i--;
			continue;
		}
		if (ret < 0) {
			ps_error("cannot write '%s' to %s/%s: %s", val,
				 rec->instance_dir, file, strerror(errno));
			return -1;
		}
		rec->stacks.armed = i + 1;
	}
	if (rec->stacks.nr)
		ps_info("kernel stacks after %d event%s (--stack-on=%s)",
			rec->stacks.nr, rec->stacks.nr == 1 ? "" : "s",
			rec->stack_on);
	return 0;
}

/*
 * Clears the stacktrace trigger of each event in names on inst; ENOENT
 * (no trigger there) is not an error.  Used for a dead recorder too.
 */
void ps_stacks_clear(struct tracefs_instance *inst, char *const *names,
		     int nr)
{
	char file[1024];
	int i;

	for (i = 0; i < nr; i++) {
		const char *colon = strchr(names[i], ':');

		if (!colon)
			continue;
		snprintf(file, sizeof(file), "events/%.*s/%s/trigger",
			 (int)(colon - names[i]), names[i], colon + 1);
		tracefs_instance_file_write(inst, file, "!stacktrace");
	}
}

void ps_stacks_disable(struct ps_recorder *rec)
{
	struct ps_stack_on *so = &rec->stacks;
	int i;

	if (rec->instance && so->armed) {
		char **names = ps_xcalloc(so->armed, sizeof(*names));

		for (i = 0; i < so->armed; i++)
			names[i] = so->v[i].event;
		ps_stacks_clear(rec->instance, names, so->armed);
		free(names);
	}
	so->armed = 0;
	for (i = 0; i < so->nr; i++)
		free(so->v[i].event);
	free(so->v);
	memset(so, 0, sizeof(*so));
}

/* The "stacks" and "stack-on" lines of recording.h. */
void ps_stacks_mark(struct ps_recorder *rec)
{
	int i;

	if (rec->stack) {
		ps_mark(rec, "stacks mode=all");
		return;
	}
	if (!rec->stacks.nr) {
		ps_mark(rec, "stacks mode=off");
		return;
	}
	ps_mark(rec, "stacks mode=some events=%d%s", rec->stacks.nr,
		rec->stacks.skip_recorder ? " skip=recorder" : "");
	for (i = 0; i < rec->stacks.nr; i++)
		ps_mark(rec, "stack-on %s if=%s", rec->stacks.v[i].event,
			rec->stacks.v[i].gets ? "gets" : "all");
}
