// SPDX-License-Identifier: GPL-2.0
/*
 * pagestate report: the check's findings with their evidence, as JSON
 * (doc/report.schema.json; schema_version in every report) or as plain
 * text that fits a mail to linux-mm (<= 80 columns, no colour).
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagestate/builtin.h"
#include "pagestate/check.h"
#include "pagestate/jsonutil.h"

#define REPORT_SCHEMA_VERSION	1
#define WINDOW_EVENTS		12
#define TEXT_COLS		80

static const char *const report_usage[] = {
	"pagestate report (--json | --text) [--rules ID,...] [--uncertain] "
	"[--window N] FILE",
	NULL,
};

struct report {
	struct ps_trace *t;
	struct ps_check *c;
	const char *path;
	int window;
	struct ps_verify_result verify;
};

/* --- JSON ------------------------------------------------------------- */

static json_t *state_json(const struct ps_state *s)
{
	json_t *o = json_object(), *sub = json_array();
	bool map = s->known & PS_KNOWN_MAPCOUNT;

	json_object_set_new(o, "live", json_boolean(s->live));
	json_object_set_new(o, "order", json_integer(s->order));
	json_object_set_new(o, "refcount",
			    ps_json_known(s->refcount, s->known & PS_KNOWN_REFCOUNT));
	json_object_set_new(o, "mapcount", ps_json_known(s->mapcount, map));
	json_object_set_new(o, "entire_mapcount",
			    ps_json_known(s->entire_mapcount, map));
	json_object_set_new(o, "subpage_mapcount",
			    ps_json_known(s->sub_mapcount, map));
	json_object_set_new(o, "pincount",
			    ps_json_known(s->pincount, s->known & PS_KNOWN_PINCOUNT));
	json_object_set_new(o, "flags", ps_json_pg_flags(s->flags));
	if (s->sub_flags & PS_SUB_ANON_EXCLUSIVE)
		json_array_append_new(sub, json_string("anon_exclusive"));
	if (s->sub_flags & PS_SUB_MIGRATION)
		json_array_append_new(sub, json_string("migration_entry"));
	json_object_set_new(o, "subpage_flags", sub);
	return o;
}

static json_t *event_json(struct report *r, const struct ps_op *op)
{
	json_t *o = json_object();
	char ts[40];

	snprintf(ts, sizeof(ts), "%llu.%06llu",
		 (unsigned long long)(op->ts / 1000000000ull),
		 (unsigned long long)(op->ts % 1000000000ull / 1000));
	json_object_set_new(o, "ts_ns", json_integer((json_int_t)op->ts));
	json_object_set_new(o, "ts", json_string(ts));
	json_object_set_new(o, "cpu", json_integer(op->cpu));
	json_object_set_new(o, "pid", json_integer(op->pid));
	json_object_set_new(o, "comm", json_string(ps_trace_comm(r->t,
								 op->pid)));
	json_object_set_new(o, "op", json_string(ps_op_kind_name(op->kind)));
	json_object_set_new(o, "event",
			    json_string(ps_trace_event_name(r->t,
							    op->event_id)));
	json_object_set_new(o, "pfn", op->pfn == PS_PFN_NONE ? json_null() :
			    ps_json_hex(op->pfn));
	json_object_set_new(o, "offset", json_integer((json_int_t)op->offset));
	json_object_set_new(o, "result", op->result_name ?
			    json_string(op->result_name) : json_null());
	return o;
}

static json_t *stack_json(struct report *r, u64 offset)
{
	char buf[4096], *line, *save = NULL;
	json_t *a;

	if (!offset || ps_trace_stack(r->t, offset, buf, sizeof(buf)) < 0)
		return json_null();
	a = json_array();
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		json_array_append_new(a, json_string(line));
	return a;
}

static json_t *finding_json(struct report *r, int i)
{
	const struct ps_finding *fi = ps_check_finding(r->c, i);
	const struct ps_window *w = ps_check_window(r->c, i);
	json_t *o = json_object(), *folio = json_object(), *win, *lin;
	u32 k;
	int j;

	json_object_set_new(o, "rule", json_string(fi->rule->id));
	json_object_set_new(o, "severity",
			    json_string(ps_severity_name(fi->severity)));
	json_object_set_new(o, "what", json_string(fi->what));
	json_object_set_new(folio, "pfn", ps_json_hex(fi->folio_pfn));
	json_object_set_new(folio, "order", json_integer(fi->order));
	json_object_set_new(o, "folio", folio);
	json_object_set_new(o, "pfn", fi->pfn == PS_PFN_NONE ? json_null() :
			    ps_json_hex(fi->pfn));
	json_object_set_new(o, "event", event_json(r, &fi->op));
	json_object_set_new(o, "before", state_json(&fi->before));
	json_object_set_new(o, "after", state_json(&fi->after));

	win = json_array();
	for (j = 0; w && j < w->nr; j++) {
		json_t *e = event_json(r, &w->ops[j]);

		json_object_set_new(e, "state", state_json(&w->after[j]));
		json_array_append_new(win, e);
	}
	json_object_set_new(o, "window", win);

	lin = json_array();
	for (k = 0; k < fi->nr_lineage; k++) {
		json_t *l = json_object();

		json_object_set_new(l, "kind", json_string(
			ps_lineage_kind_name(fi->lineage[k].kind)));
		json_object_set_new(l, "pfn", ps_json_hex(fi->lineage[k].pfn));
		json_object_set_new(l, "order",
				    json_integer(fi->lineage[k].order));
		json_object_set_new(l, "ts_ns",
				    json_integer((json_int_t)fi->lineage[k].ts));
		json_object_set_new(l, "inferred",
				    json_boolean(fi->lineage[k].inferred));
		json_array_append_new(lin, l);
	}
	json_object_set_new(o, "lineage", lin);
	json_object_set_new(o, "stack", stack_json(r, fi->stack_offset));
	return o;
}

static json_t *recording_json(struct report *r)
{
	const struct ps_meta *m = ps_trace_meta(r->t);
	json_t *o = json_object(), *lost = json_object(), *tr = json_object();
	u32 tracks = ps_trace_tracks(r->t);

	json_object_set_new(o, "file", json_string(r->path));
	json_object_set_new(o, "kernel", m->kernel[0] ?
			    json_string(m->kernel) : json_null());
	json_object_set_new(o, "profile", m->pagestate ?
			    json_string(m->profile) : json_null());
	json_object_set_new(o, "workload", m->cmd[0] ? json_string(m->cmd) :
			    json_null());
	json_object_set_new(o, "records",
			    json_integer((json_int_t)ps_trace_nr_records(r->t)));
	json_object_set_new(o, "cpus", json_integer(m->nr_cpus));
	json_object_set_new(lost, "overrun", m->have_cpustats ?
			    json_integer((json_int_t)m->overrun) : json_null());
	json_object_set_new(lost, "dropped", m->have_cpustats ?
			    json_integer((json_int_t)m->dropped) : json_null());
	json_object_set_new(lost, "missed",
			    json_integer((json_int_t)ps_trace_missed(r->t)));
	json_object_set_new(o, "lost", lost);
	json_object_set_new(tr, "refcount",
			    json_boolean(tracks & PS_KNOWN_REFCOUNT));
	json_object_set_new(tr, "mapcount",
			    json_boolean(tracks & PS_KNOWN_MAPCOUNT));
	json_object_set_new(tr, "pincount",
			    json_boolean(tracks & PS_KNOWN_PINCOUNT));
	json_object_set_new(o, "tracked", tr);
	return o;
}

static json_t *verify_json(const struct ps_verify_result *v)
{
	json_t *o = json_object();

	json_object_set_new(o, "pages", json_integer((json_int_t)v->pages));
	json_object_set_new(o, "full_history",
			    json_integer((json_int_t)v->full));
	json_object_set_new(o, "agree", json_integer((json_int_t)v->agree));
	json_object_set_new(o, "no_history",
			    json_integer((json_int_t)v->no_history));
	json_object_set_new(o, "raced", json_integer((json_int_t)v->raced));
	json_object_set_new(o, "mapcount_compared",
			    json_integer((json_int_t)v->mapcount_compared));
	return o;
}

static int report_json(struct report *r, FILE *out)
{
	json_t *root = json_object(), *rules = json_array(), *fs = json_array();
	json_t *tool = json_object(), *sum = json_object();
	u64 breaks = 0, infos = 0, unsure = 0;
	int i, ret;

	json_object_set_new(root, "schema_version",
			    json_integer(REPORT_SCHEMA_VERSION));
	json_object_set_new(tool, "name", json_string("pagestate"));
	json_object_set_new(tool, "version", json_string(PAGESTATE_VERSION));
	json_object_set_new(root, "tool", tool);
	json_object_set_new(root, "recording", recording_json(r));
	json_object_set_new(root, "verify", verify_json(&r->verify));
	for (i = 0; i < ps_check_nr_rules(r->c); i++) {
		const struct ps_check_rule_state *rs = ps_check_rule(r->c, i);
		json_t *o = json_object();

		json_object_set_new(o, "id", json_string(rs->rule->id));
		json_object_set_new(o, "summary",
				    json_string(rs->rule->summary));
		json_object_set_new(o, "source", json_string(rs->rule->source));
		json_object_set_new(o, "checked", json_boolean(rs->checked));
		json_object_set_new(o, "why_not", rs->checked ? json_null() :
				    json_string(rs->why_not));
		json_object_set_new(o, "breaks",
				    json_integer((json_int_t)rs->breaks));
		json_object_set_new(o, "infos",
				    json_integer((json_int_t)rs->infos));
		json_object_set_new(o, "uncertain",
				    json_integer((json_int_t)rs->uncertain));
		json_array_append_new(rules, o);
		breaks += rs->breaks;
		infos += rs->infos;
		unsure += rs->uncertain;
	}
	json_object_set_new(root, "rules", rules);
	for (i = 0; i < ps_check_nr_findings(r->c); i++)
		json_array_append_new(fs, finding_json(r, i));
	json_object_set_new(root, "findings", fs);
	json_object_set_new(sum, "breaks", json_integer((json_int_t)breaks));
	json_object_set_new(sum, "infos", json_integer((json_int_t)infos));
	json_object_set_new(sum, "uncertain", json_integer((json_int_t)unsure));
	json_object_set_new(sum, "findings_not_kept",
			    json_integer((json_int_t)ps_check_dropped_findings(r->c)));
	json_object_set_new(root, "summary", sum);
	ret = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(root);
	return ret;
}

/* --- text --------------------------------------------------------------- */

/*
 * Prints prefix + text wrapped to TEXT_COLS, continuation lines indented
 * to the prefix's width (words longer than a line are cut).
 */
static void wrap(FILE *out, const char *prefix, const char *text)
{
	size_t indent = strlen(prefix), width = TEXT_COLS - indent, col;
	const char *p = text;

	fputs(prefix, out);
	col = 0;
	while (*p) {
		size_t w = strcspn(p, " ");

		if (w > width)
			w = width;
		if (col && col + 1 + w > width) {
			fprintf(out, "\n%*s", (int)indent, "");
			col = 0;
		} else if (col) {
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, w, out);
		col += w;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

static void state_text(const struct ps_state *s, char *buf, size_t size)
{
	char ref[24] = "?", map[48] = "?", pin[24] = "?", flags[128];

	if (s->known & PS_KNOWN_REFCOUNT)
		snprintf(ref, sizeof(ref), "%lld", (long long)s->refcount);
	if (s->known & PS_KNOWN_MAPCOUNT)
		snprintf(map, sizeof(map), "%d (entire %d, subpage %d)",
			 s->mapcount, s->entire_mapcount, s->sub_mapcount);
	if (s->known & PS_KNOWN_PINCOUNT)
		snprintf(pin, sizeof(pin), "%d", s->pincount);
	ps_pg_flags_str(s->flags, flags, sizeof(flags));
	snprintf(buf, size, "refcount %s, mapcount %s, pincount %s, flags %s%s",
		 ref, map, pin, flags,
		 (s->sub_flags & PS_SUB_ANON_EXCLUSIVE) ?
		 ", subpage anon_exclusive" : "");
}

static void event_text(struct report *r, const struct ps_op *op, char *buf,
		       size_t size)
{
	snprintf(buf, size, "%llu.%06llu cpu%d %s/%d %s",
		 (unsigned long long)(op->ts / 1000000000ull),
		 (unsigned long long)(op->ts % 1000000000ull / 1000), op->cpu,
		 ps_trace_comm(r->t, op->pid), op->pid,
		 ps_op_kind_name(op->kind));
	if (op->pfn != PS_PFN_NONE) {
		size_t n = strlen(buf);

		snprintf(buf + n, size - n, " pfn 0x%llx",
			 (unsigned long long)op->pfn);
	}
	if (op->result_name) {
		size_t n = strlen(buf);

		snprintf(buf + n, size - n, " (%s)", op->result_name);
	}
}

static void finding_text(struct report *r, int i, FILE *out)
{
	const struct ps_finding *fi = ps_check_finding(r->c, i);
	const struct ps_window *w = ps_check_window(r->c, i);
	char buf[512], head[96], stack[4096];
	u32 k;
	int j;

	fprintf(out, "\n[%d] %s %s: folio 0x%llx order %u, page 0x%llx\n",
		i + 1, ps_severity_name(fi->severity), fi->rule->id,
		(unsigned long long)fi->folio_pfn, fi->order,
		(unsigned long long)fi->pfn);
	wrap(out, "    what:   ", fi->what);
	wrap(out, "    rule:   ", fi->rule->summary);
	wrap(out, "    from:   ", fi->rule->source);
	event_text(r, &fi->op, buf, sizeof(buf));
	wrap(out, "    event:  ", buf);
	state_text(&fi->before, buf, sizeof(buf));
	wrap(out, "    before: ", buf);
	state_text(&fi->after, buf, sizeof(buf));
	wrap(out, "    after:  ", buf);
	if (w && w->nr) {
		fprintf(out, "    timeline of the folio up to the event:\n");
		for (j = 0; j < w->nr; j++) {
			char st[256];

			event_text(r, &w->ops[j], head, sizeof(head));
			state_text(&w->after[j], st, sizeof(st));
			snprintf(buf, sizeof(buf), "%s -> %s", head, st);
			wrap(out, "      ", buf);
		}
	}
	for (k = 0; k < fi->nr_lineage && k < 8; k++) {
		snprintf(buf, sizeof(buf), "%s from 0x%llx order %u%s",
			 ps_lineage_kind_name(fi->lineage[k].kind),
			 (unsigned long long)fi->lineage[k].pfn,
			 fi->lineage[k].order,
			 fi->lineage[k].inferred ? " (inferred)" : "");
		wrap(out, k ? "            " : "    lineage: ", buf);
	}
	if (fi->nr_lineage > 8)
		fprintf(out, "            ... %u more\n", fi->nr_lineage - 8);
	if (fi->stack_offset &&
	    ps_trace_stack(r->t, fi->stack_offset, stack, sizeof(stack)) > 0) {
		char *line, *save = NULL;

		fprintf(out, "    stack:\n");
		for (line = strtok_r(stack, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			wrap(out, "      ", line);
	}
}

static int report_text(struct report *r, FILE *out)
{
	const struct ps_meta *m = ps_trace_meta(r->t);
	u32 tracks = ps_trace_tracks(r->t);
	char buf[512];
	u64 breaks = 0;
	int i;

	snprintf(buf, sizeof(buf), "%s", r->path);
	wrap(out, "pagestate report: ", buf);
	snprintf(buf, sizeof(buf), "%s, profile %s", m->kernel[0] ?
		 m->kernel : "unknown", m->pagestate ? m->profile : "unknown");
	wrap(out, "kernel:   ", buf);
	if (m->cmd[0])
		wrap(out, "workload: ", m->cmd);
	snprintf(buf, sizeof(buf), "%llu events, lost %llu; tracked: "
		 "refcount %s, mapcount %s, pincount %s",
		 (unsigned long long)ps_trace_nr_records(r->t),
		 (unsigned long long)(m->overrun + m->dropped +
				      ps_trace_missed(r->t)),
		 tracks & PS_KNOWN_REFCOUNT ? "yes" : "no",
		 tracks & PS_KNOWN_MAPCOUNT ? "yes" : "no",
		 tracks & PS_KNOWN_PINCOUNT ? "yes" : "no");
	wrap(out, "recorded: ", buf);
	snprintf(buf, sizeof(buf), "agree %llu/%llu pages with the exit "
		 "snapshot (%llu raced with it, %llu older than the recording)",
		 (unsigned long long)r->verify.agree,
		 (unsigned long long)r->verify.full,
		 (unsigned long long)r->verify.raced,
		 (unsigned long long)r->verify.no_history);
	wrap(out, "end state: ", buf);

	for (i = 0; i < ps_check_nr_findings(r->c); i++)
		finding_text(r, i, out);

	fprintf(out, "\nrules:\n");
	for (i = 0; i < ps_check_nr_rules(r->c); i++) {
		const struct ps_check_rule_state *rs = ps_check_rule(r->c, i);
		char prefix[40];

		snprintf(prefix, sizeof(prefix), "  %-23s ", rs->rule->id);
		if (!rs->checked)
			snprintf(buf, sizeof(buf), "not checked: %s",
				 rs->why_not);
		else
			snprintf(buf, sizeof(buf), "%llu break%s, %llu info, "
				 "%llu uncertain",
				 (unsigned long long)rs->breaks,
				 rs->breaks == 1 ? "" : "s",
				 (unsigned long long)rs->infos,
				 (unsigned long long)rs->uncertain);
		wrap(out, prefix, buf);
		breaks += rs->breaks;
	}
	fprintf(out, "\n%llu break%s.\n", (unsigned long long)breaks,
		breaks == 1 ? "" : "s");
	return 0;
}

int cmd_report(int argc, const char **argv)
{
	const char *ids = NULL;
	int json = 0, text = 0, uncertain = 0, n, ret;
	enum ps_parse_result res;
	struct report r = { .window = WINDOW_EVENTS };
	struct ps_option opts[] = {
		PS_OPT_BOOL_F(0, "json", &json,
			"JSON report (doc/report.schema.json)"),
		PS_OPT_BOOL_F(0, "text", &text,
			"plain text for a mail to linux-mm"),
		PS_OPT_STRING_F(0, "rules", &ids, "id,...",
			"run only these rules"),
		PS_OPT_BOOL_F(0, "uncertain", &uncertain,
			"also report cases that could not be decided"),
		PS_OPT_INT_F(0, "window", &r.window, "n",
			"events of the folio shown before each finding (12)"),
		PS_OPT_END_MARK,
	};

	res = ps_parse_options(argc, argv, opts, report_usage, &n, NULL);
	if (res != PS_PARSE_OK)
		return ps_parse_exit(res);
	if (json == text) {
		ps_error("report needs exactly one of --json and --text");
		return PS_EXIT_USAGE;
	}
	if (ps_want_one_recording("report", n, report_usage, opts))
		return PS_EXIT_USAGE;
	if (r.window > PS_WINDOW_MAX) {
		ps_error("--window is at most %d", PS_WINDOW_MAX);
		return PS_EXIT_USAGE;
	}
	r.path = argv[0];
	r.t = ps_trace_open(r.path);
	if (!r.t)
		return PS_EXIT_USAGE;
	r.c = ps_check_new(r.t, ids, uncertain);
	if (!r.c) {
		ps_trace_close(r.t);
		return PS_EXIT_USAGE;
	}
	if (ps_check_run(r.c) || ps_check_windows(r.c, r.path, r.window)) {
		ret = PS_EXIT_USAGE;
		goto out;
	}
	ps_verify_result(ps_check_verify(r.c), &r.verify);
	if (!ps_check_nr_checked(r.c)) {
		ps_error("%s: no rule could be checked: the recording lacks "
			 "the events every selected rule needs", r.path);
		ret = PS_EXIT_USAGE;
		goto out;
	}
	if (json ? report_json(&r, stdout) : report_text(&r, stdout)) {
		ps_error("writing the report failed");
		ret = PS_EXIT_USAGE;
		goto out;
	}
	ret = ps_check_nr_breaks(r.c) ? PS_EXIT_FINDINGS : PS_EXIT_OK;
out:
	ps_check_free(r.c);
	ps_trace_close(r.t);
	return ret;
}
