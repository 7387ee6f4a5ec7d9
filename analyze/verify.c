// SPDX-License-Identifier: GPL-2.0
/*
 * End-state verification, see verify.h.  A hook on the engine: freed
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
	/* pfns freed and not reallocated, open addressing, 0 = empty */
	u64 *freed;
	u64 nr_freed;
	u64 cap_freed;
	struct ps_verify_result r;
	struct mismatch bad[MAX_REPORTED];
	int nr_bad;
	u64 total_bad;
};

static u64 *freed_slot(struct ps_verify *v, u64 pfn)
{
	u64 key = pfn + 1, h = (key * 0x9e3779b97f4a7c15ull) >> 17;

	for (h &= v->cap_freed - 1;; h = (h + 1) & (v->cap_freed - 1))
		if (v->freed[h] == key || !v->freed[h])
			return &v->freed[h];
}

static void freed_grow(struct ps_verify *v)
{
	u64 *old = v->freed, cap = v->cap_freed, i;

	v->cap_freed = cap ? cap * 2 : 1024;
	v->freed = ps_xcalloc(v->cap_freed, sizeof(*v->freed));
	v->nr_freed = 0;
	for (i = 0; i < cap; i++)
		if (old[i] && old[i] != ~0ull) {
			*freed_slot(v, old[i] - 1) = old[i];
			v->nr_freed++;
		}
	free(old);
}

static void freed_set(struct ps_verify *v, u64 pfn, u64 nr, bool set)
{
	u64 i, *s;

	for (i = 0; i < nr; i++) {
		if (set && 2 * (v->nr_freed + 1) > v->cap_freed)
			freed_grow(v);
		if (!v->cap_freed)
			return;
		s = freed_slot(v, pfn + i);
		if (set && !*s) {
			*s = pfn + i + 1;
			v->nr_freed++;
		} else if (!set && *s) {
			/* tombstone keeps probe chains intact */
			*s = ~0ull;
		}
	}
}

static bool freed_has(struct ps_verify *v, u64 pfn)
{
	return v->cap_freed && *freed_slot(v, pfn) == pfn + 1;
}

static void mismatch(struct ps_verify *v, const struct ps_op *op,
		     const char *what)
{
	v->total_bad++;
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

	v->r.pages++;
	if (!f || !(f->known & PS_KNOWN_BIRTH)) {
		if (!f && freed_has(v, op->pfn)) {
			v->r.full++;
			mismatch(v, op, "derived: freed; kernel: mapped");
		} else {
			v->r.no_history++;
		}
		return;
	}
	v->r.full++;
	if (large != (f->order > 0)) {
		snprintf(buf, sizeof(buf), "derived: order %u; kernel: %s page",
			 f->order, large ? "compound" : "small");
		mismatch(v, op, buf);
		return;
	}
	if (large && (op->pfn == f->pfn) !=
	    !!(op->obs_flags & PS_PG_COMPOUND_HEAD)) {
		snprintf(buf, sizeof(buf), "derived: head 0x%llx; kernel: %s",
			 (unsigned long long)f->pfn,
			 op->obs_flags & PS_PG_COMPOUND_HEAD ? "head" : "tail");
		mismatch(v, op, buf);
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
			mismatch(v, op, buf);
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

	switch (op->kind) {
	case PS_OP_FREE:
		freed_set(v, op->pfn, 1ull << op->order, true);
		break;
	case PS_OP_ALLOC:
		freed_set(v, op->pfn, 1ull << op->order, false);
		break;
	case PS_OP_SNAPSHOT:
		if (!(op->flags & PS_OPF_START_SNAP))
			check_snapshot(v, op, f);
		break;
	default:
		break;
	}
}

struct ps_verify *ps_verify_new(struct ps_engine *e)
{
	struct ps_verify *v = ps_xcalloc(1, sizeof(*v));

	ps_engine_add_hook(e, verify_hook, v);
	return v;
}

void ps_verify_free(struct ps_verify *v)
{
	if (!v)
		return;
	free(v->freed);
	free(v);
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
		"recording; mapcount compared on %llu)\n",
		(unsigned long long)v->r.pages,
		(unsigned long long)v->r.no_history,
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
