// SPDX-License-Identifier: GPL-2.0
/*
 * `holders`: who holds a page's references at a moment of a recording.
 * `why`: every refusal the kernel made in it (a collapse that found a
 * page with extra references, a split that failed, a page migration
 * could not move), with the holders of the refused page right then.
 *
 * Both replay the recording once with the reference ledger (holders.c)
 * hooked to the engine, and read it where the answer is wanted.
 */
#include <stdlib.h>
#include <string.h>

#include "pagestate/builtin.h"
#include "pagestate/check.h"
#include "pagestate/holders.h"
#include "pagestate/json.h"
#include "pagestate/trace.h"
#include "pagestate/u64map.h"

static bool holds(const struct ps_folio *f, u64 pfn)
{
	return f && pfn >= f->pfn && pfn < f->pfn + ps_folio_nr_pages(f);
}

static void print_ts(u64 ts, FILE *out)
{
	fprintf(out, "%llu.%06llu", (unsigned long long)(ts / 1000000000ull),
		(unsigned long long)(ts % 1000000000ull / 1000));
}

/* --- holders -------------------------------------------------------------- */

struct holders_run {
	struct ps_engine *e;
	struct ps_ledger *l;
	u64 pfn;		/* PS_PFN_NONE: --check-sum over all */
	u64 at;			/* ns; ~0: the end */
	u64 offset;		/* the op to stop after (ps_holders_at), 0: by at */
	u64 first_ts, last_ts;
	bool any_op;
	bool seen;		/* an op touched pfn */
	bool have;		/* snap is valid */
	bool done;		/* the op at offset was applied */
	bool stack_due;		/* snap_op's stack may come next on its cpu */
	struct ps_holders snap;
	struct ps_op snap_op;
	bool freed;		/* the folio was freed after snap, before at */
	u64 freed_ts;
};

/*
 * The stack of the op the snapshot was taken at comes after it (and
 * after --at): the holder that op made gets it in the snapshot too.
 */
static void snap_stack(struct holders_run *r, const struct ps_op *op)
{
	int i;

	for (i = 0; i < r->snap.nr; i++)
		if (r->snap.h[i].offset == r->snap_op.offset &&
		    !r->snap.h[i].stack_offset)
			r->snap.h[i].stack_offset = op->offset;
}

static void holders_hook(void *data, const struct ps_op *op,
			 const struct ps_folio *f, const struct ps_state *before,
			 const struct ps_state *after)
{
	struct holders_run *r = data;

	if (r->stack_due && op->cpu == r->snap_op.cpu) {
		r->stack_due = false;
		if (op->kind == PS_OP_STACK)
			snap_stack(r, op);
	}
	if (r->done || (!r->offset && op->ts > r->at))
		return;
	if (op->pfn == r->pfn || holds(f, r->pfn))
		r->seen = true;
	if (op->kind == PS_OP_FREE && op->pfn <= r->pfn &&
	    r->pfn < op->pfn + (1ull << op->order) && r->have) {
		r->freed = true;
		r->freed_ts = op->ts;
		return;
	}
	if (holds(f, r->pfn) && op->kind != PS_OP_FREE &&
	    op->kind != PS_OP_SNAPSHOT && op->kind != PS_OP_STACK) {
		ps_ledger_holders(r->l, f, &r->snap);
		r->snap.ts = op->ts;
		r->snap.offset = op->offset;
		r->snap_op = *op;
		r->have = true;
		r->freed = false;
		r->stack_due = true;
	}
	if (r->offset && op->offset == r->offset)
		r->done = true;
}

static int holders_apply(void *data, const struct ps_op *op)
{
	struct holders_run *r = data;

	if (!r->any_op || op->ts < r->first_ts)
		r->first_ts = op->ts;
	if (op->ts > r->last_ts)
		r->last_ts = op->ts;
	r->any_op = true;
	ps_engine_apply(r->e, op);
	return 0;
}

static int holders_replay(struct ps_trace *t, struct holders_run *r,
			  bool check)
{
	int ret;

	r->e = ps_engine_new(ps_trace_tracks(t));
	r->l = ps_ledger_new(r->e);
	ps_ledger_set_check(r->l, check);
	if (r->pfn != PS_PFN_NONE)
		ps_engine_add_hook(r->e, holders_hook, r);
	ret = ps_trace_replay(t, holders_apply, r);
	ps_engine_finish(r->e);
	return ret;
}

static void holders_done(struct holders_run *r)
{
	ps_engine_free(r->e);
	ps_ledger_free(r->l);
}

int ps_holders_at(const char *path, u64 pfn, u64 offset,
		  struct ps_holders *out)
{
	struct holders_run r = { .pfn = pfn, .at = ~0ull, .offset = offset };
	struct ps_trace *t = ps_trace_open(path);
	int ret;

	if (!t)
		return -1;
	ret = holders_replay(t, &r, false);
	if (!ret && !r.have)
		ret = -1;
	if (!ret)
		*out = r.snap;
	holders_done(&r);
	ps_trace_close(t);
	return ret;
}

/* --- holders at each finding (report) ------------------------------------ */

struct findings_run {
	struct ps_engine *e;
	struct ps_ledger *l;
	struct ps_check *c;
	struct ps_u64map first;	/* event offset -> first finding + 1 */
	int *next;		/* next finding with the same offset, -1 */
	struct ps_holders *out;
};

static void findings_hook(void *data, const struct ps_op *op,
			  const struct ps_folio *f,
			  const struct ps_state *before,
			  const struct ps_state *after)
{
	struct findings_run *r = data;
	u64 *slot = ps_u64map_get(&r->first, op->offset);
	int i;

	if (!slot)
		return;
	for (i = (int)*slot - 1; i >= 0; i = r->next[i]) {
		const struct ps_finding *fi = ps_check_finding(r->c, i);
		struct ps_folio *g = (struct ps_folio *)f;
		u64 pfn = fi->pfn != PS_PFN_NONE ? fi->pfn : fi->folio_pfn;

		if (op->kind != fi->op.kind || op->pfn != fi->op.pfn)
			continue;
		if (!holds(g, pfn))
			g = ps_folio_find(r->e, pfn);
		if (g) {
			ps_ledger_holders(r->l, g, &r->out[i]);
			r->out[i].ts = op->ts;
			r->out[i].offset = op->offset;
		}
	}
}

static int findings_apply(void *data, const struct ps_op *op)
{
	struct findings_run *r = data;

	ps_engine_apply(r->e, op);
	return 0;
}

struct ps_holders *ps_check_holders(struct ps_check *c, struct ps_trace *t)
{
	int n = ps_check_nr_findings(c), i;
	struct findings_run r = { .c = c };
	int ret;

	r.out = ps_xcalloc(n ? n : 1, sizeof(*r.out));
	if (!n)
		return r.out;
	r.next = ps_xcalloc(n, sizeof(*r.next));
	for (i = n - 1; i >= 0; i--) {
		u64 *slot = ps_u64map_put(&r.first,
					  ps_check_finding(c, i)->op.offset);

		r.next[i] = (int)*slot - 1;
		*slot = (u64)i + 1;
	}
	/* a trace replays once: read the file again, as the windows do */
	t = ps_trace_open(ps_trace_path(t));
	if (!t) {
		free(r.next);
		free(r.out);
		return NULL;
	}
	r.e = ps_engine_new(ps_trace_tracks(t));
	r.l = ps_ledger_new(r.e);
	ps_engine_add_hook(r.e, findings_hook, &r);
	ret = ps_trace_replay(t, findings_apply, &r);
	ps_engine_finish(r.e);
	ps_trace_close(t);
	ps_engine_free(r.e);
	ps_ledger_free(r.l);
	ps_u64map_free(&r.first);
	free(r.next);
	if (ret) {
		free(r.out);
		return NULL;
	}
	return r.out;
}

/*
 * Seconds as the timelines print them ("10.69", "4.357234") -> ns.  The
 * printed times are truncated, so a time means the end of its last
 * digit: --at 4.357234 includes the event printed as 4.357234.
 */
static int parse_time(const char *s, u64 *ns)
{
	const char *dot = strchr(s, '.');
	u64 unit = 1000000000ull;
	char *end;
	double v = strtod(s, &end);
	size_t d;

	if (end == s || *end || !(v >= 0) || v > 1e10)
		return -1;
	for (d = dot ? strlen(dot + 1) : 0; d && unit > 1; d--)
		unit /= 10;
	*ns = (u64)(v * 1e9 + 0.5) + unit - 1;
	return 0;
}

static void print_shares(const char *path, const struct ps_ledger_stats *s)
{
	u64 total = 0;
	int i;

	for (i = 0; i < PS_HOW_NR; i++)
		total += s->refs[i];
	printf("%s: %llu folio states summed, %llu with refcount unknown\n",
	       path, (unsigned long long)s->events,
	       (unsigned long long)s->events_unknown);
	printf("  adds up:        %s (%llu states off)\n",
	       s->sum_errors ? "NO" : "yes", (unsigned long long)s->sum_errors);
	printf("  references:     %llu\n", (unsigned long long)total);
	for (i = 0; i < PS_HOW_NR; i++)
		printf("  %-15s %6.2f%%\n", ps_holder_how_name(i),
		       total ? 100.0 * s->refs[i] / total : 0.0);
	printf("  over-attributed %llu states, %llu references\n",
	       (unsigned long long)s->over_events,
	       (unsigned long long)s->over_refs);
}

static const char *const holders_usage[] = {
	"pagestate holders FILE --pfn PFN [--at SECONDS] [--no-stacks]",
	"pagestate holders FILE --check-sum",
	NULL
};

int cmd_holders(int argc, const char **argv)
{
	const char *pfn_s = NULL, *at_s = NULL, *probe_map = NULL;
	int check = 0, nostacks = 0, n, ret = PS_EXIT_OK;
	enum ps_parse_result res;
	struct ps_option opts[] = {
		PS_OPT_STRING_F(0, "pfn", &pfn_s, "pfn",
			"the page whose folio's references to itemize"),
		PS_OPT_STRING_F(0, "at", &at_s, "seconds",
			"at this time of the recording (default: its end)"),
		PS_OPT_BOOL_F(0, "no-stacks", &nostacks,
			"do not print the recorded kernel stacks"),
		PS_OPT_BOOL_F(0, "check-sum", &check,
			"check the ledger adds up at every event of every "
			"folio; print attribution shares"),
		PS_OPT_PROBE_MAP_F(&probe_map),
		PS_OPT_END_MARK,
	};
	struct holders_run r = { .pfn = PS_PFN_NONE, .at = ~0ull };
	struct ps_trace *t;

	res = ps_parse_options(argc, argv, opts, holders_usage, &n, NULL);
	if (res != PS_PARSE_OK)
		return ps_parse_exit(res);
	if (probe_map && ps_trace_set_probe_map(probe_map))
		return PS_EXIT_USAGE;
	if (ps_want_one_recording("holders", n, holders_usage, opts))
		return PS_EXIT_USAGE;
	if (!check && !pfn_s)
		return ps_usage_msg_opt(holders_usage, opts,
					"holders needs --pfn or --check-sum");
	if (pfn_s && ps_parse_u64(pfn_s, &r.pfn)) {
		ps_error("'%s' is not a pfn (want e.g. 0x12a400)", pfn_s);
		return PS_EXIT_USAGE;
	}
	if (at_s && parse_time(at_s, &r.at)) {
		ps_error("'%s' is not a time in seconds (want e.g. 10.69)",
			 at_s);
		return PS_EXIT_USAGE;
	}
	t = ps_trace_open(argv[0]);
	if (!t)
		return PS_EXIT_USAGE;
	if (holders_replay(t, &r, check)) {
		ret = PS_EXIT_USAGE;
		goto out;
	}
	if (check) {
		print_shares(argv[0], ps_ledger_stats(r.l));
		if (ps_ledger_stats(r.l)->sum_errors)
			ret = PS_EXIT_FINDINGS;
		if (!pfn_s)
			goto out;
	}
	if (at_s && (!r.any_op || r.at < r.first_ts || r.at > r.last_ts)) {
		ps_error("%s: --at %s is outside the recording (%llu.%06llu .. "
			 "%llu.%06llu)", argv[0], at_s,
			 (unsigned long long)(r.first_ts / 1000000000ull),
			 (unsigned long long)(r.first_ts % 1000000000ull / 1000),
			 (unsigned long long)(r.last_ts / 1000000000ull),
			 (unsigned long long)(r.last_ts % 1000000000ull / 1000));
		ret = PS_EXIT_USAGE;
		goto out;
	}
	if (!r.seen) {
		ps_error("%s: pfn 0x%llx: no page op on it%s", argv[0],
			 (unsigned long long)r.pfn,
			 at_s ? " up to that time" : " in the recording");
		ret = PS_EXIT_USAGE;
		goto out;
	}
	if (!r.have) {
		printf("pfn 0x%llx: no folio state before that time\n",
		       (unsigned long long)r.pfn);
		goto out;
	}
	printf("pfn 0x%llx folio 0x%llx/%u after %s at ",
	       (unsigned long long)r.pfn,
	       (unsigned long long)r.snap.folio_pfn, r.snap.order,
	       ps_op_kind_name(r.snap_op.kind));
	print_ts(r.snap.ts, stdout);
	printf(" (%s-%d)\n", ps_trace_comm(t, r.snap_op.pid), r.snap_op.pid);
	if (r.freed) {
		printf("freed at ");
		print_ts(r.freed_ts, stdout);
		printf("; its holders just before:\n");
	}
	ps_holders_print(t, &r.snap, "  ", !nostacks, stdout);
out:
	holders_done(&r);
	ps_trace_close(t);
	return ret;
}

/* --- why ------------------------------------------------------------------ */

struct last_refusal {
	u64 ts;
	u64 pfn;
	const char *what;
};

struct why_run {
	struct ps_trace *t;
	struct ps_engine *e;
	struct ps_ledger *l;
	bool stacks;
	u64 refusals;
	struct ps_u64map last;	/* pid -> index+1 in lasts[] */
	struct last_refusal *lasts;
	u32 nr_lasts, alloc_lasts;
	struct ps_u64map mig;	/* migration entry addr -> source pfn + 1 */
	struct ps_u64map batch;	/* pids inside migrate_pages() */
	struct ps_u64map put_back; /* pfn -> times put back in this batch */
	u64 mig_failed;		/* pages put back in the current batch */
	struct ps_holders h;	/* scratch */
	/* --json: the refusals array, and the one being written */
	json_t *refusals_json, *cur;
};

static bool op_succeeded(const struct ps_op *op)
{
	return op->result_name ? !strcmp(op->result_name, "succeeded") :
				 op->result == 1;
}

static void note_refusal(struct why_run *w, const struct ps_op *op,
			 const char *what)
{
	u64 *slot = ps_u64map_get(&w->last, (u64)op->pid);
	struct last_refusal *lr;

	if (!slot) {
		if (w->nr_lasts == w->alloc_lasts) {
			w->alloc_lasts = w->alloc_lasts ? w->alloc_lasts * 2 : 8;
			w->lasts = ps_xrealloc(w->lasts, w->alloc_lasts *
					       sizeof(w->lasts[0]));
		}
		slot = ps_u64map_put(&w->last, (u64)op->pid);
		*slot = ++w->nr_lasts;
	}
	lr = &w->lasts[*slot - 1];
	lr->ts = op->ts;
	lr->pfn = op->pfn;
	lr->what = what;
}

static const struct last_refusal *last_refusal(struct why_run *w, int pid)
{
	u64 *slot = ps_u64map_get(&w->last, (u64)pid);

	return slot ? &w->lasts[*slot - 1] : NULL;
}

static void why_head(struct why_run *w, const struct ps_op *op,
		     const char *what, const char *how)
{
	w->refusals++;
	if (w->refusals_json) {
		json_t *o = json_object();

		ps_json_set_ts(o, "time", op->ts);
		json_object_set_new(o, "task", json_string(
				    ps_trace_comm(w->t, op->pid)));
		json_object_set_new(o, "pid", json_integer(op->pid));
		json_object_set_new(o, "what", json_string(what));
		json_object_set_new(o, "how", json_string(how));
		json_object_set_new(o, "pfn", op->pfn == PS_PFN_NONE ?
				    json_null() : ps_json_hex(op->pfn));
		json_array_append_new(w->refusals_json, o);
		w->cur = o;
		return;
	}
	print_ts(op->ts, stdout);
	printf(" %s-%d %s", ps_trace_comm(w->t, op->pid), op->pid, what);
	if (op->pfn != PS_PFN_NONE)
		printf(" pfn 0x%llx", (unsigned long long)op->pfn);
	printf(": %s\n", how);
}

static void why_holders(struct why_run *w, const struct ps_folio *f,
			u64 pfn)
{
	struct ps_folio *g = (struct ps_folio *)f;

	if (!holds(f, pfn))
		g = ps_folio_find(w->e, pfn);
	if (g)
		ps_ledger_holders(w->l, g, &w->h);
	if (w->refusals_json) {
		json_object_set_new(w->cur, "holders", g ?
				    ps_json_holders(w->t, &w->h) : json_null());
		return;
	}
	if (!g) {
		printf("    (no live folio at pfn 0x%llx)\n",
		       (unsigned long long)pfn);
		return;
	}
	printf("    folio 0x%llx/%u\n", (unsigned long long)g->pfn, g->order);
	ps_holders_print(w->t, &w->h, "    ", w->stacks, stdout);
}

static void why_result(struct why_run *w, const struct ps_op *op,
		       const char *what)
{
	char how[96];

	if (op->result_name)
		snprintf(how, sizeof(how), "%s", op->result_name);
	else
		snprintf(how, sizeof(how), "result %d", op->result);
	why_head(w, op, what, how);
}

/* A task's answer that names no page: point at its last refusal. */
static void why_answer(struct why_run *w, const struct ps_op *op,
		       const char *what, const char *how)
{
	const struct last_refusal *lr = last_refusal(w, op->pid);

	why_head(w, op, what, how);
	if (w->refusals_json) {
		json_t *o = NULL;

		if (lr && lr->ts) {
			o = json_object();
			json_object_set_new(o, "pfn", ps_json_hex(lr->pfn));
			json_object_set_new(o, "what", json_string(lr->what));
			ps_json_set_ts(o, "time", lr->ts);
		}
		json_object_set_new(w->cur, "refused_page", o ? o : json_null());
		return;
	}
	if (lr && lr->ts) {
		printf("    refused page: pfn 0x%llx (%s at ",
		       (unsigned long long)lr->pfn, lr->what);
		print_ts(lr->ts, stdout);
		printf(", above)\n");
	} else {
		printf("    no refused page recorded for this task\n");
	}
}

static void why_migration(struct why_run *w, const struct ps_op *op,
			  const struct ps_folio *f)
{
	u64 *slot;

	/*
	 * Only inside a migrate_pages() batch: split_huge_page() unmaps
	 * and remaps through migration entries too, always to the same page.
	 */
	if (!ps_u64map_get(&w->batch, (u64)op->pid))
		return;
	if (op->kind == PS_OP_MIGRATION_SET) {
		*ps_u64map_put(&w->mig, op->addr) = op->pfn + 1;
		return;
	}
	slot = ps_u64map_get(&w->mig, op->addr);
	if (!slot)
		return;
	/*
	 * The old page mapped back: this page was not migrated.  The kernel
	 * retries a busy page (10 passes): say it once per batch, count the
	 * rest.
	 */
	if (*slot - 1 == op->pfn && ++*ps_u64map_put(&w->put_back, op->pfn) == 1) {
		w->mig_failed++;
		why_head(w, op, "migration", "page put back unmigrated "
			 "(remove_migration_pte restored the old page)");
		note_refusal(w, op, "migration put back");
		why_holders(w, f, op->pfn);
	}
	ps_u64map_del(&w->mig, op->addr);
}

/* How often each page was put back in the batch that just ended. */
static void why_put_backs(struct why_run *w)
{
	json_t *a = w->refusals_json ? json_array() : NULL;
	u64 i;

	for (i = 0; i < w->put_back.cap; i++) {
		const struct ps_u64map_slot *sl = &w->put_back.slot[i];

		/* keys are stored +1, ~0 marks a deleted slot (u64map.c) */
		if (!sl->key || sl->key == ~0ull)
			continue;
		if (a) {
			json_t *o = json_object();

			json_object_set_new(o, "pfn", ps_json_hex(sl->key - 1));
			json_object_set_new(o, "times",
					    json_integer((json_int_t)sl->val));
			json_array_append_new(a, o);
			continue;
		}
		printf("    pfn 0x%llx put back %llu time%s (the kernel "
		       "retries a busy page)\n",
		       (unsigned long long)(sl->key - 1),
		       (unsigned long long)sl->val, sl->val == 1 ? "" : "s");
	}
	if (a)
		json_object_set_new(w->cur, "put_back", a);
	ps_u64map_free(&w->put_back);
}

static void why_hook(void *data, const struct ps_op *op,
		     const struct ps_folio *f, const struct ps_state *before,
		     const struct ps_state *after)
{
	struct why_run *w = data;
	char how[96];

	switch (op->kind) {
	case PS_OP_COLLAPSE_SCAN:
	case PS_OP_COLLAPSE_ISOLATE:
		if (op_succeeded(op) || op->pfn == PS_PFN_NONE ||
		    !holds(f, op->pfn))
			break;
		why_result(w, op, op->kind == PS_OP_COLLAPSE_SCAN ?
			   "collapse scan refused" :
			   "collapse isolate refused");
		note_refusal(w, op, op->result_name ? op->result_name :
			     "collapse refused");
		why_holders(w, f, op->pfn);
		break;
	case PS_OP_COLLAPSE:
		if (op_succeeded(op))
			break;
		/* the shmem/file scan names the page it stopped at */
		if ((op->flags & PS_OPF_FILE) && op->pfn != PS_PFN_NONE &&
		    holds(f, op->pfn)) {
			why_result(w, op, "file collapse scan refused");
			note_refusal(w, op, op->result_name ? op->result_name :
				     "collapse refused");
			why_holders(w, f, op->pfn);
			break;
		}
		snprintf(how, sizeof(how), "%s", op->result_name ?
			 op->result_name : "failed");
		why_answer(w, op, "collapse failed", how);
		break;
	case PS_OP_COLLAPSE_RET:
		if (!op->result)
			break;
		snprintf(how, sizeof(how), "returned %d%s", op->result,
			 op->result == -11 ? " (EAGAIN)" :
			 op->result == -16 ? " (EBUSY)" :
			 op->result == -12 ? " (ENOMEM)" :
			 op->result == -22 ? " (EINVAL)" : "");
		why_answer(w, op, "madvise_collapse", how);
		break;
	case PS_OP_SPLIT_RESULT:
		snprintf(how, sizeof(how), "returned %d%s", op->result,
			 op->result == -11 ? " (EAGAIN: extra references)" :
			 op->result == -16 ? " (EBUSY)" : "");
		why_head(w, op, "split_huge_page", how);
		note_refusal(w, op, "split refused");
		why_holders(w, f, op->pfn);
		break;
	case PS_OP_MIGRATE_START:
		w->mig_failed = 0;
		ps_u64map_free(&w->put_back);
		*ps_u64map_put(&w->batch, (u64)op->pid) = 1;
		break;
	case PS_OP_MIGRATE_END:
		ps_u64map_del(&w->batch, (u64)op->pid);
		if (op->val2 <= 0)
			break;
		snprintf(how, sizeof(how), "%lld succeeded, %lld failed "
			 "(%llu page%s put back above)", (long long)op->val,
			 (long long)op->val2,
			 (unsigned long long)w->mig_failed,
			 w->mig_failed == 1 ? "" : "s");
		why_head(w, op, "migrate_pages", how);
		why_put_backs(w);
		break;
	case PS_OP_MIGRATION_SET:
	case PS_OP_MIGRATION_REMOVE:
		why_migration(w, op, f);
		break;
	default:
		break;
	}
}

static int why_apply(void *data, const struct ps_op *op)
{
	struct why_run *w = data;

	ps_engine_apply(w->e, op);
	return 0;
}

static const char *const why_usage[] = {
	"pagestate why [--no-stacks] [--json] FILE",
	NULL
};

/* {"schema_version", "kind": "why", "tool", "recording", "refusals", "summary"} */
static int why_json(struct why_run *w, const char *path)
{
	json_t *doc = ps_json_document("why"), *sum = json_object();
	int ret;

	json_object_set_new(doc, "recording", ps_json_recording(path,
		ps_trace_meta(w->t), ps_trace_tracks(w->t),
		ps_trace_nr_records(w->t), ps_trace_missed(w->t),
		ps_trace_unwritten(w->t)));
	json_object_set(doc, "refusals", w->refusals_json);
	json_object_set_new(sum, "refusals",
			    json_integer((json_int_t)w->refusals));
	json_object_set_new(doc, "summary", sum);
	ret = ps_json_write(doc, stdout);
	json_decref(doc);
	return ret;
}

int cmd_why(int argc, const char **argv)
{
	const char *probe_map = NULL;
	int nostacks = 0, json = 0, n, ret = PS_EXIT_OK;
	enum ps_parse_result res;
	struct ps_option opts[] = {
		PS_OPT_BOOL_F(0, "no-stacks", &nostacks,
			"do not print the recorded kernel stacks"),
		PS_OPT_BOOL_F(0, "json", &json,
			"the refusals and their holders as JSON (doc/report.schema.json)"),
		PS_OPT_PROBE_MAP_F(&probe_map),
		PS_OPT_END_MARK,
	};
	struct why_run w = { 0 };

	res = ps_parse_options(argc, argv, opts, why_usage, &n, NULL);
	if (res != PS_PARSE_OK)
		return ps_parse_exit(res);
	if (probe_map && ps_trace_set_probe_map(probe_map))
		return PS_EXIT_USAGE;
	if (ps_want_one_recording("why", n, why_usage, opts))
		return PS_EXIT_USAGE;
	w.t = ps_trace_open(argv[0]);
	if (!w.t)
		return PS_EXIT_USAGE;
	w.stacks = !nostacks;
	if (json)
		w.refusals_json = json_array();
	w.e = ps_engine_new(ps_trace_tracks(w.t));
	w.l = ps_ledger_new(w.e);	/* first: why_hook reads it */
	ps_engine_add_hook(w.e, why_hook, &w);
	if (ps_trace_replay(w.t, why_apply, &w))
		ret = PS_EXIT_USAGE;
	ps_engine_finish(w.e);
	if (ret == PS_EXIT_OK && json && why_json(&w, argv[0]))
		ret = PS_EXIT_USAGE;
	else if (ret == PS_EXIT_OK && !json)
		printf("%s%llu refusal%s in %s\n", w.refusals ? "\n" : "",
		       (unsigned long long)w.refusals,
		       w.refusals == 1 ? "" : "s", argv[0]);
	json_decref(w.refusals_json);
	ps_engine_free(w.e);
	ps_ledger_free(w.l);
	ps_u64map_free(&w.last);
	ps_u64map_free(&w.mig);
	ps_u64map_free(&w.batch);
	ps_u64map_free(&w.put_back);
	free(w.lasts);
	ps_trace_close(w.t);
	return ret;
}
