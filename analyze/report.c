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
#include "pagestate/holders.h"
#include "pagestate/json.h"

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
	struct ps_holders *holders;	/* per finding (ps_check_holders) */
};

/* --- JSON (analyze/json.c encodes, doc/report.schema.json describes) ---- */

static json_t *finding_json(struct report *r, int i)
{
	const struct ps_finding *fi = ps_check_finding(r->c, i);
	const struct ps_window *w = ps_check_window(r->c, i);
	json_t *o, *folio = json_object(), *win = json_array();
	json_t *lin = json_array();
	u32 k;
	int j;

	o = ps_json_verdict(fi->rule->id, fi->severity, fi->what);
	json_object_set_new(folio, "pfn", ps_json_hex(fi->folio_pfn));
	json_object_set_new(folio, "order", json_integer(fi->order));
	json_object_set_new(o, "folio", folio);
	json_object_set_new(o, "pfn", fi->pfn == PS_PFN_NONE ? json_null() :
			    ps_json_hex(fi->pfn));
	json_object_set_new(o, "event", ps_json_op(r->t, &fi->op));
	json_object_set_new(o, "before", ps_json_state(&fi->before));
	json_object_set_new(o, "after", ps_json_state(&fi->after));
	for (j = 0; w && j < w->nr; j++) {
		json_t *e = ps_json_op(r->t, &w->ops[j]);

		json_object_set_new(e, "after", ps_json_state(&w->after[j]));
		json_array_append_new(win, e);
	}
	json_object_set_new(o, "window", win);
	for (k = 0; k < fi->nr_lineage; k++)
		json_array_append_new(lin, ps_json_lineage(&fi->lineage[k]));
	json_object_set_new(o, "lineage", lin);
	json_object_set_new(o, "stack", ps_json_stack(r->t, fi->stack_offset));
	json_object_set_new(o, "holders", ps_json_holders(r->t,
							  &r->holders[i]));
	return o;
}

static json_t *verify_json(const struct ps_verify_result *v)
{
	json_t *o = json_object(), *fields;
	int i;

	json_object_set_new(o, "pages", json_integer((json_int_t)v->pages));
	json_object_set_new(o, "full_history",
			    json_integer((json_int_t)v->full));
	json_object_set_new(o, "agree", json_integer((json_int_t)v->agree));
	json_object_set_new(o, "no_history",
			    json_integer((json_int_t)v->no_history));
	json_object_set_new(o, "raced", json_integer((json_int_t)v->raced));
	json_object_set_new(o, "lost", json_integer((json_int_t)v->lost));
	json_object_set_new(o, "mapcount_compared",
			    json_integer((json_int_t)v->mapcount_compared));
	json_object_set_new(o, "deep_pages", json_integer((json_int_t)v->deep));
	json_object_set_new(o, "deep_compared",
			    json_integer((json_int_t)v->deep_full));
	json_object_set_new(o, "deep_agree",
			    json_integer((json_int_t)v->deep_agree));
	fields = json_object();
	for (i = 0; i < PS_VF_NR; i++) {
		json_t *fo = json_object();

		json_object_set_new(fo, "compared",
				    json_integer((json_int_t)v->compared[i]));
		json_object_set_new(fo, "agree",
				    json_integer((json_int_t)v->agreed[i]));
		json_object_set_new(fields, ps_verify_field_name(i), fo);
	}
	json_object_set_new(o, "fields", fields);
	return o;
}

static json_t *rule_json(const struct ps_check_rule_state *rs)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(rs->rule->id));
	json_object_set_new(o, "summary", json_string(rs->rule->summary));
	json_object_set_new(o, "source", json_string(rs->rule->source));
	json_object_set_new(o, "checked", json_boolean(rs->checked));
	json_object_set_new(o, "why_not", rs->checked ? json_null() :
			    json_string(rs->why_not));
	json_object_set_new(o, "breaks", json_integer((json_int_t)rs->breaks));
	json_object_set_new(o, "infos", json_integer((json_int_t)rs->infos));
	json_object_set_new(o, "uncertain",
			    json_integer((json_int_t)rs->uncertain));
	return o;
}

static json_t *summary_json(struct report *r)
{
	json_t *sum = json_object();
	u64 breaks = 0, infos = 0, unsure = 0;
	int i;

	for (i = 0; i < ps_check_nr_rules(r->c); i++) {
		const struct ps_check_rule_state *rs = ps_check_rule(r->c, i);

		breaks += rs->breaks;
		infos += rs->infos;
		unsure += rs->uncertain;
	}
	json_object_set_new(sum, "breaks", json_integer((json_int_t)breaks));
	json_object_set_new(sum, "infos", json_integer((json_int_t)infos));
	json_object_set_new(sum, "uncertain", json_integer((json_int_t)unsure));
	json_object_set_new(sum, "findings_not_kept", json_integer(
		(json_int_t)ps_check_dropped_findings(r->c)));
	return sum;
}

static int report_json(struct report *r, FILE *out)
{
	json_t *root = ps_json_document("report");
	json_t *rules = json_array(), *fs = json_array();
	int i, ret;

	json_object_set_new(root, "recording", ps_json_recording(r->path,
		ps_trace_meta(r->t), ps_trace_tracks(r->t),
		ps_trace_nr_records(r->t), ps_trace_missed(r->t),
		ps_trace_unwritten(r->t)));
	json_object_set_new(root, "verify", verify_json(&r->verify));
	for (i = 0; i < ps_check_nr_rules(r->c); i++)
		json_array_append_new(rules,
				      rule_json(ps_check_rule(r->c, i)));
	json_object_set_new(root, "rules", rules);
	for (i = 0; i < ps_check_nr_findings(r->c); i++)
		json_array_append_new(fs, finding_json(r, i));
	json_object_set_new(root, "findings", fs);
	json_object_set_new(root, "summary", summary_json(r));
	ret = ps_json_write(root, out);
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

/* Who held the folio's references right after the event (holders.h). */
static void holders_text(struct report *r, const struct ps_holders *h,
			 FILE *out)
{
	char buf[512], stack[4096];
	int k;

	if (!h->valid)
		return;
	if (h->refcount_known)
		snprintf(buf, sizeof(buf), "refcount %lld =",
			 (long long)h->refcount);
	else
		snprintf(buf, sizeof(buf), "refcount unknown, at least:");
	wrap(out, "    holders: ", buf);
	for (k = 0; k < h->nr; k++) {
		const struct ps_holder *row = &h->h[k];
		char *line, *save = NULL;

		ps_holder_text(r->t, row, buf, sizeof(buf));
		wrap(out, k ? "      + " : "        ", buf);
		if (!row->stack_offset ||
		    ps_trace_stack(r->t, row->stack_offset, stack,
				   sizeof(stack)) <= 0)
			continue;
		for (line = strtok_r(stack, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			wrap(out, "          ", line);
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
	holders_text(r, &r->holders[i], out);
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
	const char *probe_map = NULL;
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
		PS_OPT_PROBE_MAP_F(&probe_map),
		PS_OPT_END_MARK,
	};

	res = ps_parse_options(argc, argv, opts, report_usage, &n, NULL);
	if (res != PS_PARSE_OK)
		return ps_parse_exit(res);
	if (probe_map && ps_trace_set_probe_map(probe_map))
		return PS_EXIT_USAGE;
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
	r.holders = ps_check_holders(r.c, r.t);
	if (!r.holders) {
		ret = PS_EXIT_USAGE;
		goto out;
	}
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
	free(r.holders);
	ps_check_free(r.c);
	ps_trace_close(r.t);
	return ret;
}
