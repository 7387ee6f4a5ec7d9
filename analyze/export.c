// SPDX-License-Identifier: GPL-2.0
/*
 * pagestate export --perfetto: a recording as a Chrome JSON trace, which
 * ui.perfetto.dev and chrome://tracing open.
 *
 * One process per workload task (its pid, named by its comm), plus one
 * for every other task (khugepaged, kworkers, ...).  Each folio of
 * interest gets a counter track ("C" events) of refcount, mapcount and
 * pincount, under the process of the workload task that touched it
 * first; collapses, splits, PMD splits, pins and findings are instant
 * events ("i") on the thread that did them.  Folios of interest are those
 * with findings and THPs (order > 0), or the ones --pfn names.
 *
 * Two passes: the first runs the rules (findings say which folios matter
 * and where the instants go), the second replays with a hook that writes
 * the folios' counters.  A count the recording cannot know is left out
 * of the counter, never written as 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagestate/builtin.h"
#include "pagestate/check.h"
#include "pagestate/folio.h"
#include "pagestate/json.h"
#include "pagestate/u64map.h"

static const char *const export_usage[] = {
	"pagestate export --perfetto [-o FILE] [--pfn PFN]... FILE",
	NULL,
};

/* The pseudo-process of tasks that are not the workload's. */
#define OTHER_PID	0

struct export {
	struct ps_trace *t;
	json_t *events;
	struct ps_u64map interest;	/* head pfn -> 1 */
	struct ps_u64map tasks;		/* workload pid -> 1 */
	struct ps_u64map track_pid;	/* head pfn -> process of its track */
	struct ps_u64map last_ts;	/* head pfn -> last counter ts */
	u64 *pfns;			/* --pfn, when given */
	int nr_pfns;
	u64 counters, instants;
};

static double us(u64 ns)
{
	return ns / 1000.0;
}

static int process_of(struct export *x, int pid)
{
	return ps_u64map_get(&x->tasks, (u64)pid) ? pid : OTHER_PID;
}

static json_t *event(const char *ph, const char *name, int pid, int tid,
		     u64 ts)
{
	return json_pack("{s:s, s:s, s:i, s:i, s:f}", "ph", ph, "name", name,
			 "pid", pid, "tid", tid, "ts", us(ts));
}

static void pfn_arg(json_t *args, const char *key, u64 pfn)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)pfn);
	json_object_set_new(args, key, json_string(buf));
}

static bool wanted(struct export *x, const struct ps_folio *f)
{
	int i;

	if (!f)
		return false;
	if (!x->nr_pfns)
		return ps_u64map_get(&x->interest, f->pfn) != NULL;
	for (i = 0; i < x->nr_pfns; i++)
		if (x->pfns[i] >= f->pfn &&
		    x->pfns[i] < f->pfn + ps_folio_nr_pages(f))
			return true;
	return false;
}

/* --- pass 1: tasks, THPs, findings ---------------------------------------- */

static void scan_op(struct ps_check *c, void *priv, const struct ps_op *op,
		    const struct ps_folio *f, const struct ps_state *before,
		    const struct ps_state *after)
{
	struct export *x = priv;

	if (op->kind == PS_OP_TASK)
		*ps_u64map_put(&x->tasks, (u64)op->pid) = 1;
	if (f && f->order > 0)
		*ps_u64map_put(&x->interest, f->pfn) = 1;
}

static const struct ps_rule scan_rule = {
	.id = "export-scan",
	.summary = "finds the workload's tasks and THPs (not a rule)",
	.op = scan_op,
};

/* --- pass 2: counters and instants ----------------------------------------- */

static const char *instant_name(const struct ps_op *op)
{
	switch (op->kind) {
	case PS_OP_COLLAPSE:
		return "collapse";
	case PS_OP_SPLIT:
		return "split";
	case PS_OP_SPLIT_PMD:
		return "split_pmd";
	case PS_OP_PIN:
		return "pin";
	case PS_OP_UNPIN:
		return "unpin";
	default:
		return NULL;
	}
}

static void add_instant(struct export *x, const struct ps_op *op,
			const struct ps_folio *f, const char *name)
{
	json_t *e = event("i", name, process_of(x, op->pid), op->pid, op->ts);
	json_t *args = json_object();

	json_object_set_new(e, "s", json_string("t"));
	json_object_set_new(e, "cat", json_string("pagestate"));
	if (op->pfn != PS_PFN_NONE)
		pfn_arg(args, "pfn", op->pfn);
	if (f) {
		pfn_arg(args, "folio", f->pfn);
		json_object_set_new(args, "order", json_integer(f->order));
	}
	if (op->result_name)
		json_object_set_new(args, "result",
				    json_string(op->result_name));
	else if (op->kind == PS_OP_COLLAPSE || op->kind == PS_OP_SPLIT)
		json_object_set_new(args, "result", json_integer(op->result));
	json_object_set_new(e, "args", args);
	json_array_append_new(x->events, e);
	x->instants++;
}

static void add_counter(struct export *x, const struct ps_op *op,
			const struct ps_folio *f, const struct ps_state *s)
{
	char name[48];
	json_t *e, *args = json_object();
	u64 *pid = ps_u64map_get(&x->track_pid, f->pfn);
	u64 *last = ps_u64map_put(&x->last_ts, f->pfn);
	u64 ts = op->ts;

	if (!pid) {
		pid = ps_u64map_put(&x->track_pid, f->pfn);
		*pid = (u64)process_of(x, op->pid);
	}
	/* events of two CPUs may be written a little out of order */
	if (ts < *last)
		ts = *last;
	*last = ts;
	snprintf(name, sizeof(name), "folio 0x%llx/%u",
		 (unsigned long long)f->pfn, f->order);
	if (s->known & PS_KNOWN_REFCOUNT)
		json_object_set_new(args, "refcount",
				    json_integer(s->refcount));
	if (s->known & PS_KNOWN_MAPCOUNT)
		json_object_set_new(args, "mapcount",
				    json_integer(s->mapcount));
	if (s->known & PS_KNOWN_PINCOUNT)
		json_object_set_new(args, "pincount",
				    json_integer(s->pincount));
	if (!json_object_size(args)) {
		json_decref(args);
		return;
	}
	e = event("C", name, (int)*pid, (int)*pid, ts);
	json_object_set_new(e, "args", args);
	json_array_append_new(x->events, e);
	x->counters++;
}

static void export_op(struct ps_check *c, void *priv, const struct ps_op *op,
		      const struct ps_folio *f, const struct ps_state *before,
		      const struct ps_state *after)
{
	struct export *x = priv;
	const char *name = instant_name(op);
	bool want = wanted(x, f);

	if (name && (want || op->kind == PS_OP_COLLAPSE ||
		     op->kind == PS_OP_SPLIT || op->kind == PS_OP_SPLIT_PMD))
		add_instant(x, op, f, name);
	if (want && f)
		add_counter(x, op, f, after);
}

static const struct ps_rule export_rule = {
	.id = "export",
	.summary = "writes folio counters for Perfetto (not a rule)",
	.op = export_op,
};

static void add_finding(struct export *x, const struct ps_finding *fi)
{
	char name[96];
	json_t *e, *args = json_object();

	snprintf(name, sizeof(name), "%s %s", ps_severity_name(fi->severity),
		 fi->rule->id);
	e = event("i", name, process_of(x, fi->op.pid), fi->op.pid, fi->op.ts);
	json_object_set_new(e, "s", json_string("p"));
	json_object_set_new(e, "cat", json_string("finding"));
	pfn_arg(args, "folio", fi->folio_pfn);
	pfn_arg(args, "pfn", fi->pfn);
	json_object_set_new(args, "what", json_string(fi->what));
	json_object_set_new(e, "args", args);
	json_array_append_new(x->events, e);
	x->instants++;
}

static void add_names(struct export *x)
{
	struct ps_u64map_slot *sl;
	u64 i;

	json_array_append_new(x->events, json_pack(
		"{s:s, s:s, s:i, s:{s:s}}", "ph", "M", "name", "process_name",
		"pid", OTHER_PID, "args", "name",
		"other tasks (khugepaged, kworkers, ...)"));
	for (i = 0; i < x->tasks.cap; i++) {
		int pid;
		char name[64];

		sl = &x->tasks.slot[i];
		if (!sl->key || sl->key == ~0ull)
			continue;
		pid = (int)(sl->key - 1);
		snprintf(name, sizeof(name), "%s %d",
			 ps_trace_comm(x->t, pid), pid);
		json_array_append_new(x->events, json_pack(
			"{s:s, s:s, s:i, s:{s:s}}", "ph", "M",
			"name", "process_name", "pid", pid, "args", "name",
			name));
	}
}

static int parse_pfns(struct export *x, const struct ps_strlist *l)
{
	int i;

	x->pfns = ps_xcalloc(l->nr + 1, sizeof(*x->pfns));
	for (i = 0; i < l->nr; i++) {
		char *end;

		x->pfns[i] = strtoull(l->v[i], &end, 0);
		if (!*l->v[i] || *end)
			return ps_error("--pfn: '%s' is not a number", l->v[i]);
	}
	x->nr_pfns = l->nr;
	return 0;
}

static int run_pass(struct export *x, bool findings)
{
	struct ps_check *c = ps_check_new(x->t, NULL, false);
	int i, ret;

	if (!c)
		return -1;
	ps_check_add_rule(c, findings ? &scan_rule : &export_rule, x);
	ret = ps_check_run(c);
	if (!ret && findings)
		for (i = 0; i < ps_check_nr_findings(c); i++) {
			const struct ps_finding *fi = ps_check_finding(c, i);

			*ps_u64map_put(&x->interest, fi->folio_pfn) = 1;
			add_finding(x, fi);
		}
	ps_check_free(c);
	return ret;
}

static int write_trace(struct export *x, const char *path, const char *out)
{
	json_t *root = json_object(), *other;
	FILE *f = out ? fopen(out, "w") : stdout;
	int ret;

	if (!f)
		return ps_error("%s: cannot write: %m", out);
	other = ps_json_recording(path, ps_trace_meta(x->t),
				  ps_trace_tracks(x->t),
				  ps_trace_nr_records(x->t),
				  ps_trace_missed(x->t),
				  ps_trace_unwritten(x->t));
	json_object_set_new(root, "traceEvents", json_incref(x->events));
	json_object_set_new(root, "displayTimeUnit", json_string("ns"));
	json_object_set_new(root, "otherData", json_pack("{s:o}",
			    "pagestate", other));
	ret = json_dumpf(root, f, JSON_COMPACT | JSON_PRESERVE_ORDER) ||
	      fputc('\n', f) == EOF;
	if (out && fclose(f))
		ret = -1;
	json_decref(root);
	if (ret)
		return ps_error("%s: writing the trace failed",
				out ? out : "stdout");
	return 0;
}

int cmd_export(int argc, const char **argv)
{
	const char *out = NULL;
	int perfetto = 0, n, ret = PS_EXIT_USAGE;
	struct ps_strlist pfns = { 0 };
	struct export x = { 0 };
	enum ps_parse_result res;
	const char *probe_map = NULL;
	struct ps_option opts[] = {
		PS_OPT_BOOL_F(0, "perfetto", &perfetto,
			"Chrome JSON trace events, for ui.perfetto.dev"),
		PS_OPT_STRING_F('o', "output", &out, "file",
			"write there (default: standard output)"),
		PS_OPT_STRING_LIST_F(0, "pfn", &pfns, "pfn",
			"counters for the folio holding pfn (default: "
			"folios with findings, and THPs)"),
		PS_OPT_PROBE_MAP_F(&probe_map),
		PS_OPT_END_MARK,
	};

	res = ps_parse_options(argc, argv, opts, export_usage, &n, NULL);
	if (res != PS_PARSE_OK)
		return ps_parse_exit(res);
	if (probe_map && ps_trace_set_probe_map(probe_map))
		return PS_EXIT_USAGE;
	if (!perfetto)
		return ps_usage_msg_opt(export_usage, opts,
			"export needs a format: --perfetto");
	if (ps_want_one_recording("export", n, export_usage, opts) ||
	    parse_pfns(&x, &pfns))
		goto out;
	x.t = ps_trace_open(argv[0]);
	if (!x.t)
		goto out;
	x.events = json_array();
	if (run_pass(&x, true))
		goto out;
	/* a trace streams once: the second pass reads it afresh */
	ps_trace_close(x.t);
	x.t = ps_trace_open(argv[0]);
	if (!x.t || run_pass(&x, false))
		goto out;
	add_names(&x);
	if (write_trace(&x, argv[0], out))
		goto out;
	if (out)
		fprintf(stderr, "%s: %llu counter and %llu instant events\n",
			out, (unsigned long long)x.counters,
			(unsigned long long)x.instants);
	ret = PS_EXIT_OK;
out:
	json_decref(x.events);
	ps_u64map_free(&x.interest);
	ps_u64map_free(&x.tasks);
	ps_u64map_free(&x.track_pid);
	ps_u64map_free(&x.last_ts);
	free(x.pfns);
	ps_strlist_clear(&pfns);
	ps_trace_close(x.t);
	return ret;
}
