// SPDX-License-Identifier: GPL-2.0
/*
 * End-state verification, see verify.h.  A hook on the engine (so it
 * lives beside it in replay/, below the rules that report on it): freed
 * pfns go into a set (so "we saw it freed, the kernel still maps it" is
 * caught), exit-snapshot ops are compared with the folio they land in.
 */
#include <stdlib.h>
#include <string.h>

#include "pagestate/verify.h"

#define MAX_REPORTED	10

struct mismatch {
	u64 pfn;
	u64 addr;
	int pid;
	char what[96];
};

struct ps_verify {
	struct ps_engine *e;
	u64 snap_begin;		/* ts of the snapshot being replayed */
	struct ps_verify_result r;
	struct mismatch bad[MAX_REPORTED];
	int nr_bad;
	u64 total_bad;
	ps_verify_mismatch_fn mismatch_fn;
	void *mismatch_data;
};

static void mismatch(struct ps_verify *v, const struct ps_op *op,
		     const struct ps_folio *f, const char *what)
{
	v->total_bad++;
	if (v->mismatch_fn)
		v->mismatch_fn(v->mismatch_data, op, f, what);
	if (v->nr_bad < MAX_REPORTED) {
		struct mismatch *m = &v->bad[v->nr_bad++];

		m->pfn = op->pfn;
		m->addr = op->addr;
		m->pid = op->pid;
		snprintf(m->what, sizeof(m->what), "%s", what);
	}
}

static void check_snapshot(struct ps_verify *v, const struct ps_op *op,
			   const struct ps_folio *f)
{
	bool large = op->obs_flags & (PS_PG_COMPOUND_HEAD | PS_PG_COMPOUND_TAIL);
	char buf[96];

	u64 freed_at;

	v->r.pages++;
	/*
	 * The page changed while the recorder read the snapshot (recordings
	 * older than snap-begin markers cannot tell).
	 */
	if (v->snap_begin && ((f && f->last_ts > v->snap_begin) ||
	    (!f && ps_engine_pfn_freed(v->e, op->pfn, &freed_at) &&
	     freed_at > v->snap_begin))) {
		v->r.raced++;
		return;
	}
	if (!f || !(f->known & PS_KNOWN_BIRTH)) {
		if (!f && ps_engine_pfn_freed(v->e, op->pfn, NULL)) {
			v->r.full++;
			mismatch(v, op, NULL, "derived: freed; kernel: mapped");
		} else {
			v->r.no_history++;
		}
		return;
	}
	v->r.full++;
	if (large != (f->order > 0)) {
		snprintf(buf, sizeof(buf), "derived: order %u; kernel: %s page",
			 f->order, large ? "compound" : "small");
		mismatch(v, op, f, buf);
		return;
	}
	if (large && (op->pfn == f->pfn) !=
	    !!(op->obs_flags & PS_PG_COMPOUND_HEAD)) {
		snprintf(buf, sizeof(buf), "derived: head 0x%llx; kernel: %s",
			 (unsigned long long)f->pfn,
			 op->obs_flags & PS_PG_COMPOUND_HEAD ? "head" : "tail");
		mismatch(v, op, f, buf);
		return;
	}
	if (f->known & PS_KNOWN_MAPCOUNT) {
		s64 derived = f->sub[op->pfn - f->pfn].mapcount +
			      f->entire_mapcount;

		v->r.mapcount_compared++;
		if (derived != op->obs_mapcount) {
			snprintf(buf, sizeof(buf),
				 "derived: mapcount %lld; kernel: %lld",
				 (long long)derived,
				 (long long)op->obs_mapcount);
			mismatch(v, op, f, buf);
			return;
		}
	}
	v->r.agree++;
}

static void verify_hook(void *data, const struct ps_op *op,
			const struct ps_folio *f, const struct ps_state *before,
			const struct ps_state *after)
{
	struct ps_verify *v = data;

	if (op->kind != PS_OP_SNAPSHOT || (op->flags & PS_OPF_START_SNAP))
		return;
	if (op->flags & PS_OPF_SNAP_BEGIN)
		v->snap_begin = op->ts;
	else
		check_snapshot(v, op, f);
}

struct ps_verify *ps_verify_new(struct ps_engine *e)
{
	struct ps_verify *v = ps_xcalloc(1, sizeof(*v));

	v->e = e;
	ps_engine_add_hook(e, verify_hook, v);
	return v;
}

void ps_verify_free(struct ps_verify *v)
{
	free(v);
}

void ps_verify_set_mismatch_hook(struct ps_verify *v, ps_verify_mismatch_fn fn,
				 void *data)
{
	v->mismatch_fn = fn;
	v->mismatch_data = data;
}

void ps_verify_result(const struct ps_verify *v, struct ps_verify_result *r)
{
	*r = v->r;
}

void ps_verify_print(const struct ps_verify *v, FILE *f)
{
	int i;

	fprintf(f, "agree %llu/%llu pages", (unsigned long long)v->r.agree,
		(unsigned long long)v->r.full);
	fprintf(f, " (exit snapshot: %llu pages, %llu allocated before the "
		"recording, %llu changed while it was read; mapcount compared "
		"on %llu)\n", (unsigned long long)v->r.pages,
		(unsigned long long)v->r.no_history,
		(unsigned long long)v->r.raced,
		(unsigned long long)v->r.mapcount_compared);
	if (!v->r.pages)
		fprintf(f, "  no exit snapshot in this recording: nothing to "
			"verify (record with 'pagestate record -- CMD')\n");
	for (i = 0; i < v->nr_bad; i++)
		fprintf(f, "  disagree pfn 0x%llx (pid %d vaddr 0x%llx): %s\n",
			(unsigned long long)v->bad[i].pfn, v->bad[i].pid,
			(unsigned long long)v->bad[i].addr, v->bad[i].what);
	if (v->total_bad > (u64)v->nr_bad)
		fprintf(f, "  ... and %llu more\n",
			(unsigned long long)(v->total_bad - v->nr_bad));
}
