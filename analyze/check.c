// SPDX-License-Identifier: GPL-2.0
/*
 * The rule runner (check.h) and `pagestate check`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagestate/progress.h"
#include "pagestate/builtin.h"
#include "check-local.h"

/* --- the runner ----------------------------------------------------------- */

static bool rule_selected(const char *ids, const char *id)
{
	size_t n = strlen(id);
	const char *p = ids;

	if (!ids)
		return true;
	while ((p = strstr(p, id))) {
		if ((p == ids || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

static int check_ids(const char *ids)
{
	char *copy, *tok, *save = NULL;
	int ret = 0;

	if (!ids)
		return 0;
	copy = ps_xstrdup(ids);
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!ps_rule_find(tok)) {
			ps_error("unknown rule '%s'; 'pagestate check "
				 "--list-rules' lists them", tok);
			ret = -1;
			break;
		}
	}
	free(copy);
	return ret;
}

/* Does the recording give the rule what it needs?  Says why not. */
static bool rule_can_run(struct ps_check *c, struct ps_check_rule_state *rs)
{
	const struct ps_rule *r = rs->rule;
	u32 tracks = ps_trace_tracks(c->t);
	int i;

	if ((r->needs_tracks & tracks) != r->needs_tracks ||
	    (r->needs_any_tracks && !(r->needs_any_tracks & tracks))) {
		snprintf(rs->why_not, sizeof(rs->why_not), "needs %s",
			 r->needs);
		return false;
	}
	if (r->can_run && !r->can_run(c, rs->why_not, sizeof(rs->why_not)))
		return false;
	if (!r->needs_any_event[0])
		return true;
	for (i = 0; i < 4 && r->needs_any_event[i]; i++) {
		char sys[64];
		const char *name = strchr(r->needs_any_event[i], ':');

		if (!name)
			continue;
		snprintf(sys, sizeof(sys), "%.*s",
			 (int)(name - r->needs_any_event[i]),
			 r->needs_any_event[i]);
		if (ps_trace_has_event(c->t, sys, name + 1))
			return true;
	}
	snprintf(rs->why_not, sizeof(rs->why_not), "needs %s", r->needs);
	return false;
}

struct ps_check *ps_check_new(struct ps_trace *t, const char *ids,
			      bool keep_uncertain)
{
	struct ps_check *c;
	int i, n = 0;

	if (check_ids(ids))
		return NULL;
	c = ps_xcalloc(1, sizeof(*c));
	c->t = t;
	c->keep_uncertain = keep_uncertain;
	for (i = 0; ps_rules[i]; i++)
		n++;
	c->rules = ps_xcalloc(n, sizeof(*c->rules));
	for (i = 0; ps_rules[i]; i++) {
		struct ps_check_rule_state *rs;

		if (!rule_selected(ids, ps_rules[i]->id))
			continue;
		rs = &c->rules[c->nr_rules++];
		rs->rule = ps_rules[i];
		/* no recording: a unit test feeding ops by hand */
		rs->checked = !t || rule_can_run(c, rs);
		if (rs->checked && rs->rule->priv_size)
			rs->priv = ps_xcalloc(1, rs->rule->priv_size);
	}
	return c;
}

void ps_check_not_applicable(struct ps_check *c, const struct ps_rule *r,
			     const char *why)
{
	int i;

	for (i = 0; i < c->nr_rules; i++) {
		struct ps_check_rule_state *rs = &c->rules[i];

		if (rs->rule != r || !rs->checked)
			continue;
		rs->checked = false;
		snprintf(rs->why_not, sizeof(rs->why_not), "%s", why);
	}
}

struct ps_engine *ps_check_engine(struct ps_check *c)
{
	return c->e;
}

struct ps_trace *ps_check_trace(const struct ps_check *c)
{
	return c->t;
}

struct ps_verify *ps_check_verify(const struct ps_check *c)
{
	return c->verify;
}

void ps_check_add_rule(struct ps_check *c, const struct ps_rule *r,
		       void *priv)
{
	struct ps_check_rule_state *rs;

	c->rules = ps_xrealloc(c->rules, (c->nr_rules + 1) * sizeof(*c->rules));
	rs = &c->rules[c->nr_rules++];
	memset(rs, 0, sizeof(*rs));
	rs->rule = r;
	rs->checked = true;
	rs->priv = priv;
	rs->borrowed_priv = true;
}

bool ps_check_lost_since(const struct ps_check *c, u64 ts)
{
	return c->any_lost && c->last_lost_ts >= ts;
}

/*
 * Lost events in the folio's life make any verdict unsure, and so do
 * earlier ones when the folio was not born by an alloc we saw: met on
 * first sight after a gap, even its shape (a THP's tail taken for an
 * order-0 page) may be the gap's doing.  Events missing from the file
 * at an unknown time (lost_anywhere) make every verdict unsure.
 */
bool ps_check_folio_unsure(const struct ps_check *c, const struct ps_folio *f)
{
	if (c->lost_anywhere)
		return true;
	return f && c->any_lost &&
	       (ps_check_lost_since(c, f->born_ts) || f->untraced ||
		!(f->known & PS_KNOWN_BIRTH));
}

static struct ps_check_rule_state *rule_state(struct ps_check *c,
					      const struct ps_rule *r)
{
	int i;

	for (i = 0; i < c->nr_rules; i++)
		if (c->rules[i].rule == r)
			return &c->rules[i];
	return NULL;
}

/*
 * One finding on the folio head/order; f, when live, gives its lineage
 * and whether lost events make a break unsure.
 */
static void report(struct ps_check *c, const struct ps_rule *r,
		   enum ps_severity sev, const struct ps_op *op,
		   const struct ps_folio *f, u64 head, u32 order,
		   const struct ps_state *before, const struct ps_state *after,
		   const char *fmt, va_list ap)
{
	struct ps_check_rule_state *rs = rule_state(c, r);
	struct ps_finding *fi;

	if (sev == PS_SEV_BREAK && ps_check_folio_unsure(c, f))
		sev = PS_SEV_UNCERTAIN;
	if (rs) {
		if (sev == PS_SEV_BREAK)
			rs->breaks++;
		else if (sev == PS_SEV_INFO)
			rs->infos++;
		else
			rs->uncertain++;
	}
	if (sev == PS_SEV_UNCERTAIN && !c->keep_uncertain)
		return;
	if (c->nr_findings >= PS_CHECK_MAX_FINDINGS) {
		c->dropped_findings++;
		return;
	}
	if (c->nr_findings == c->alloc_findings) {
		c->alloc_findings = c->alloc_findings ? 2 * c->alloc_findings : 16;
		c->findings = ps_xrealloc(c->findings, c->alloc_findings *
					  sizeof(*c->findings));
	}
	fi = &c->findings[c->nr_findings++];
	memset(fi, 0, sizeof(*fi));
	fi->rule = r;
	fi->severity = sev;
	fi->op = *op;
	fi->pfn = op->pfn;
	if (before)
		fi->before = *before;
	if (after)
		fi->after = *after;
	fi->folio_pfn = head;
	fi->order = order;
	if (f && f->nr_lineage) {
		fi->lineage = ps_xmalloc(f->nr_lineage * sizeof(*fi->lineage));
		memcpy(fi->lineage, f->lineage,
		       f->nr_lineage * sizeof(*fi->lineage));
		fi->nr_lineage = f->nr_lineage;
	}
	vsnprintf(fi->what, sizeof(fi->what), fmt, ap);
}

void ps_check_report(struct ps_check *c, const struct ps_rule *r,
		     enum ps_severity sev, const struct ps_op *op,
		     const struct ps_folio *f, const struct ps_state *before,
		     const struct ps_state *after, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(c, r, sev, op, f, f ? f->pfn : op->pfn, f ? f->order : 0,
	       before, after, fmt, ap);
	va_end(ap);
}

void ps_check_report_ended(struct ps_check *c, const struct ps_rule *r,
			   enum ps_severity sev, const struct ps_op *op,
			   u64 head, u32 order, const struct ps_state *before,
			   const struct ps_state *after, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(c, r, sev, op, NULL, head, order, before, after, fmt, ap);
	va_end(ap);
}

/*
 * The file lacks events the ring buffer handed out, and nobody knows
 * when they were (trace.c: unwritten_check, after the last record): the
 * breaks found so far are unsure as well, as is anything found after.
 */
static void lost_anywhere(struct ps_check *c)
{
	int i, n = 0;

	c->lost_anywhere = true;
	for (i = 0; i < c->nr_findings; i++) {
		struct ps_finding *fi = &c->findings[i];
		struct ps_check_rule_state *rs;

		if (fi->severity == PS_SEV_BREAK) {
			fi->severity = PS_SEV_UNCERTAIN;
			rs = rule_state(c, fi->rule);
			if (rs) {
				rs->breaks--;
				rs->uncertain++;
			}
			if (!c->keep_uncertain) {
				free(fi->lineage);
				continue;
			}
		}
		c->findings[n++] = *fi;
	}
	c->nr_findings = n;
}

static int apply_op(void *data, const struct ps_op *op)
{
	struct ps_check *c = data;

	if (op->kind == PS_OP_LOST) {
		c->any_lost = true;
		c->last_lost_ts = op->ts;
		if (op->flags & PS_OPF_LOST_ANYWHERE)
			lost_anywhere(c);
	}
	ps_engine_apply(c->e, op);
	return 0;
}

static void rules_op_hook(void *data, const struct ps_op *op,
			  const struct ps_folio *f,
			  const struct ps_state *before,
			  const struct ps_state *after)
{
	struct ps_check *c = data;
	int i;

	for (i = 0; i < c->nr_rules; i++) {
		struct ps_check_rule_state *rs = &c->rules[i];

		if (rs->checked && rs->rule->op)
			rs->rule->op(c, rs->priv, op, f, before, after);
	}
}

static void rules_anomaly_hook(void *data, enum ps_anomaly a,
			       const struct ps_op *op,
			       const struct ps_folio *f)
{
	struct ps_check *c = data;
	int i;

	for (i = 0; i < c->nr_rules; i++) {
		struct ps_check_rule_state *rs = &c->rules[i];

		if (rs->checked && rs->rule->anomaly)
			rs->rule->anomaly(c, rs->priv, a, op, f);
	}
}

void ps_check_begin(struct ps_check *c, u32 tracks)
{
	int i;

	c->e = ps_engine_new(tracks);
	c->verify = ps_verify_new(c->e);
	ps_engine_add_hook(c->e, rules_op_hook, c);
	ps_engine_set_anomaly_hook(c->e, rules_anomaly_hook, c);
	for (i = 0; i < c->nr_rules; i++) {
		struct ps_check_rule_state *rs = &c->rules[i];

		if (rs->checked && rs->rule->init)
			rs->rule->init(c, rs->priv);
	}
}

int ps_check_apply(struct ps_check *c, const struct ps_op *op)
{
	return apply_op(c, op);
}

void ps_check_end(struct ps_check *c)
{
	int i;

	for (i = 0; i < c->nr_rules; i++) {
		struct ps_check_rule_state *rs = &c->rules[i];

		if (rs->checked && rs->rule->end)
			rs->rule->end(c, rs->priv);
	}
	ps_engine_finish(c->e);
}

int ps_check_run(struct ps_check *c)
{
	int ret;

	ps_check_begin(c, ps_trace_tracks(c->t));
	ret = ps_trace_replay(c->t, apply_op, c);
	if (ret) {
		ps_engine_finish(c->e);
		return ret;
	}
	ps_check_end(c);
	return 0;
}

/* --- second pass: the events before each finding -------------------------- */

#define WINDOW_CPUS	512

struct window_pass {
	struct ps_check *c;
	struct ps_engine *e;
	u64 last_offset[WINDOW_CPUS];	/* last event record per cpu */
};

static void window_hook(void *data, const struct ps_op *op,
			const struct ps_folio *f, const struct ps_state *before,
			const struct ps_state *after)
{
	struct window_pass *w = data;
	struct ps_check *c = w->c;
	int i;

	for (i = 0; i < c->nr_findings; i++) {
		struct ps_finding *fi = &c->findings[i];
		struct ps_window *win = &c->windows[i];
		bool mine;

		if (op->ts > fi->op.ts ||
		    (op->ts == fi->op.ts && op->offset > fi->op.offset))
			continue;
		mine = (f && f->pfn == fi->folio_pfn) ||
		       (before->live && before->head == fi->folio_pfn) ||
		       op->pfn == fi->pfn;
		if (!mine || op->kind == PS_OP_SNAPSHOT)
			continue;
		if (win->nr == PS_WINDOW_MAX) {
			memmove(win->ops, win->ops + 1,
				(PS_WINDOW_MAX - 1) * sizeof(win->ops[0]));
			memmove(win->after, win->after + 1,
				(PS_WINDOW_MAX - 1) * sizeof(win->after[0]));
			win->nr--;
		}
		win->ops[win->nr] = *op;
		win->after[win->nr] = *after;
		win->nr++;
	}
}

/* options/stacktrace writes an event's stack right after it, same cpu */
static void window_stack(struct window_pass *w, const struct ps_op *op)
{
	struct ps_check *c = w->c;
	int i;

	if (op->cpu < 0 || op->cpu >= WINDOW_CPUS)
		return;
	for (i = 0; i < c->nr_findings; i++) {
		struct ps_finding *fi = &c->findings[i];

		if (!fi->stack_offset && fi->op.cpu == op->cpu &&
		    fi->op.offset == w->last_offset[op->cpu])
			fi->stack_offset = op->offset;
	}
}

static int window_apply(void *data, const struct ps_op *op)
{
	struct window_pass *w = data;

	if (op->kind == PS_OP_STACK)
		window_stack(w, op);
	else if (op->cpu >= 0 && op->cpu < WINDOW_CPUS && op->offset)
		w->last_offset[op->cpu] = op->offset;
	ps_engine_apply(w->e, op);
	return 0;
}

int ps_check_windows(struct ps_check *c, const char *path, int n)
{
	struct window_pass w = { .c = c };
	struct ps_trace *t;
	int i, ret;

	if (!c->nr_findings)
		return 0;
	c->windows = ps_xcalloc(c->nr_findings, sizeof(*c->windows));
	t = ps_trace_open(path);
	if (!t)
		return -1;
	w.e = ps_engine_new(ps_trace_tracks(t));
	ps_engine_add_hook(w.e, window_hook, &w);
	ret = ps_trace_replay(t, window_apply, &w);
	ps_engine_free(w.e);
	c->window_trace = t;
	/* keep the last n */
	for (i = 0; i < c->nr_findings && n < PS_WINDOW_MAX; i++) {
		struct ps_window *win = &c->windows[i];

		if (win->nr > n) {
			memmove(win->ops, win->ops + win->nr - n,
				n * sizeof(win->ops[0]));
			memmove(win->after, win->after + win->nr - n,
				n * sizeof(win->after[0]));
			win->nr = n;
		}
	}
	return ret;
}

void ps_check_free(struct ps_check *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < c->nr_rules; i++) {
		if (c->rules[i].borrowed_priv)
			continue;
		if (c->rules[i].priv && c->rules[i].rule->priv_free)
			c->rules[i].rule->priv_free(c->rules[i].priv);
		free(c->rules[i].priv);
	}
	for (i = 0; i < c->nr_findings; i++)
		free(c->findings[i].lineage);
	free(c->findings);
	free(c->windows);
	ps_trace_close(c->window_trace);
	free(c->rules);
	ps_verify_free(c->verify);
	ps_engine_free(c->e);
	free(c);
}

int ps_check_nr_findings(const struct ps_check *c)
{
	return c->nr_findings;
}

const struct ps_finding *ps_check_finding(const struct ps_check *c, int i)
{
	return &c->findings[i];
}

u64 ps_check_dropped_findings(const struct ps_check *c)
{
	return c->dropped_findings;
}

const struct ps_window *ps_check_window(const struct ps_check *c, int i)
{
	return c->windows ? &c->windows[i] : NULL;
}

int ps_check_nr_rules(const struct ps_check *c)
{
	return c->nr_rules;
}

const struct ps_check_rule_state *ps_check_rule(const struct ps_check *c,
						int i)
{
	return &c->rules[i];
}

int ps_check_nr_checked(const struct ps_check *c)
{
	int i, n = 0;

	for (i = 0; i < c->nr_rules; i++)
		n += c->rules[i].checked;
	return n;
}

u64 ps_check_nr_breaks(const struct ps_check *c)
{
	u64 n = 0;
	int i;

	for (i = 0; i < c->nr_rules; i++)
		n += c->rules[i].breaks;
	return n;
}

/* --- pagestate check ------------------------------------------------------- */

static const char *const check_usage[] = {
	"pagestate check [--rules ID,...] [--uncertain] FILE",
	"pagestate check --list-rules",
	NULL,
};

/* One spelling for `check`, report and JSON: a break stands out. */
const char *ps_severity_name(enum ps_severity s)
{
	switch (s) {
	case PS_SEV_BREAK:
		return "BREAK";
	case PS_SEV_INFO:
		return "info";
	case PS_SEV_UNCERTAIN:
		return "uncertain";
	}
	return "?";
}

static void list_rules(void)
{
	int i;

	for (i = 0; ps_rules[i]; i++) {
		const struct ps_rule *r = ps_rules[i];

		printf("%s\n    %s\n    needs:   %s\n    kernels: %s\n"
		       "    from:    %s\n", r->id, r->summary, r->needs,
		       r->kernels ? r->kernels : "all", r->source);
	}
}

void ps_finding_line(struct ps_trace *t, const struct ps_finding *fi,
		     FILE *out)
{
	fprintf(out, "%-9s %-24s folio 0x%llx/%u pfn 0x%llx  %llu.%06llu "
		"%s-%d: %s\n", ps_severity_name(fi->severity), fi->rule->id,
		(unsigned long long)fi->folio_pfn, fi->order,
		(unsigned long long)fi->pfn,
		(unsigned long long)(fi->op.ts / 1000000000ull),
		(unsigned long long)(fi->op.ts % 1000000000ull / 1000),
		ps_trace_comm(t, fi->op.pid), fi->op.pid, fi->what);
}

int cmd_check(int argc, const char **argv)
{
	const char *ids = NULL;
	int list = 0, uncertain = 0, n, i, ret;
	enum ps_parse_result res;
	const char *probe_map = NULL;
	int progress = 0;
	struct ps_option opts[] = {
		PS_OPT_STRING_F(0, "rules", &ids, "id,...",
			"run only these rules"),
		PS_OPT_BOOL_F(0, "uncertain", &uncertain,
			"also list cases that could not be decided"),
		PS_OPT_BOOL_F(0, "list-rules", &list,
			"list every rule and exit"),
		PS_OPT_PROBE_MAP_F(&probe_map),
		PS_OPT_PROGRESS_F(&progress),
		PS_OPT_END_MARK,
	};
	struct ps_check *c;
	struct ps_trace *t;

	res = ps_parse_options(argc, argv, opts, check_usage, &n, NULL);
	if (res != PS_PARSE_OK)
		return ps_parse_exit(res);
	if (probe_map && ps_trace_set_probe_map(probe_map))
		return PS_EXIT_USAGE;
	if (progress)
		ps_progress_set_mode(PS_PROGRESS_ON);
	if (list) {
		list_rules();
		return PS_EXIT_OK;
	}
	if (ps_want_one_recording("check", n, check_usage, opts))
		return PS_EXIT_USAGE;
	if (check_ids(ids))
		return PS_EXIT_USAGE;
	t = ps_trace_open(argv[0]);
	if (!t)
		return PS_EXIT_USAGE;
	c = ps_check_new(t, ids, uncertain);
	if (ps_check_run(c)) {
		ret = PS_EXIT_USAGE;
		goto out;
	}
	for (i = 0; i < c->nr_findings; i++)
		ps_finding_line(t, &c->findings[i], stdout);
	if (c->dropped_findings)
		printf("... %llu more findings not kept\n",
		       (unsigned long long)c->dropped_findings);

	printf("\n");
	for (i = 0; i < c->nr_rules; i++) {
		struct ps_check_rule_state *rs = &c->rules[i];

		if (!rs->checked && !strncmp(rs->why_not, "not applicable", 14))
			printf("%-28s %s\n", rs->rule->id, rs->why_not);
		else if (!rs->checked)
			printf("%-28s not checked: %s\n", rs->rule->id,
			       rs->why_not);
		else
			printf("%-28s %llu break%s, %llu info, %llu uncertain\n",
			       rs->rule->id, (unsigned long long)rs->breaks,
			       rs->breaks == 1 ? "" : "s",
			       (unsigned long long)rs->infos,
			       (unsigned long long)rs->uncertain);
	}
	if (!ps_check_nr_checked(c)) {
		ps_error("%s: no rule could be checked: the recording lacks "
			 "the events every selected rule needs", argv[0]);
		ret = PS_EXIT_USAGE;
	} else {
		ret = ps_check_nr_breaks(c) ? PS_EXIT_FINDINGS : PS_EXIT_OK;
	}
out:
	ps_check_free(c);
	ps_trace_close(t);
	return ret;
}
