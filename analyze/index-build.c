// SPDX-License-Identifier: GPL-2.0
/*
 * Building the recording index (index.h) in one replay.
 *
 * The build is `pagestate check` with one more watcher: a rule
 * ("tui-index") added to the checker that sees every op and the engine's
 * folio retirements, so rules and index share a single pass over the
 * recording.  Folios are indexed by the engine's folio id, which is dense
 * (0, 1, 2, ... in order of creation) and, the engine being
 * deterministic, the same in any later replay of the same file: the
 * TUI's timeline loader finds a folio's ops again by that id.
 *
 * After the pass, four phases turn what the watcher saw into the arrays
 * of the file (index-file.c writes them): lineage parents resolved to
 * folios, findings attached to folios, lost events marked on the folios
 * that lived through them, and the header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pagestate/check.h"
#include "index-local.h"

/* --- the watcher ------------------------------------------------------------ */

struct lin_tmp {
	u32 child;
	u32 order;
	u64 parent_pfn;
	u64 ts;
	uint8_t kind;
	uint8_t inferred;
};

/* head pfn -> id of the last folio seen there, open addressing */
struct pfn_map {
	struct { u64 key; u32 id; } *slot;	/* key: pfn + 1, 0 empty */
	u64 nr, cap;
};

struct builder {
	struct ps_check *c;
	struct ps_trace *t;
	u64 file_size;

	struct ps_index_folio *recs;	/* by engine folio id */
	u64 nr_recs, alloc_recs;
	struct pfn_map map;

	struct lin_tmp *lin;
	u64 nr_lin, alloc_lin;
	struct ps_index_lost *lost;
	u64 nr_lost, alloc_lost;
	u32 *finding_folio;		/* parallel to the check's findings */
	int seen_findings;

	int event_slot[4096];		/* event id -> 1 + bit in evmask */
	u32 event_ids[PS_INDEX_EVENTS];
	u32 nr_events;

	u64 first_ts, last_ts, nr_ops, lost_events, stacks;
	/* progress: how far each cpu's data has been read */
	u64 cpu_first[256], cpu_last[256];
	ps_index_progress_fn progress;
	void *progress_data;
};

static u64 hash_pfn(u64 pfn)
{
	return (pfn + 1) * 0x9e3779b97f4a7c15ull;
}

static void map_set(struct pfn_map *m, u64 pfn, u32 id)
{
	u64 i, mask;

	if (2 * (m->nr + 1) > m->cap) {
		struct pfn_map old = *m;

		m->cap = m->cap ? 2 * m->cap : 1 << 16;
		m->slot = ps_xcalloc(m->cap, sizeof(*m->slot));
		m->nr = 0;
		for (i = 0; i < old.cap; i++)
			if (old.slot[i].key)
				map_set(m, old.slot[i].key - 1, old.slot[i].id);
		free(old.slot);
	}
	mask = m->cap - 1;
	for (i = hash_pfn(pfn) & mask; m->slot[i].key; i = (i + 1) & mask)
		if (m->slot[i].key == pfn + 1) {
			m->slot[i].id = id;
			return;
		}
	m->slot[i].key = pfn + 1;
	m->slot[i].id = id;
	m->nr++;
}

static u32 map_get(const struct pfn_map *m, u64 pfn)
{
	u64 i, mask = m->cap - 1;

	if (!m->cap)
		return PS_INDEX_NONE;
	for (i = hash_pfn(pfn) & mask; m->slot[i].key; i = (i + 1) & mask)
		if (m->slot[i].key == pfn + 1)
			return m->slot[i].id;
	return PS_INDEX_NONE;
}

static struct ps_index_folio *rec_get(struct builder *b, u64 id)
{
	if (id >= b->alloc_recs) {
		u64 n = b->alloc_recs ? b->alloc_recs : 1024;

		while (n <= id)
			n += n / 2;
		b->recs = ps_xrealloc(b->recs, n * sizeof(*b->recs));
		memset(b->recs + b->alloc_recs, 0,
		       (n - b->alloc_recs) * sizeof(*b->recs));
		b->alloc_recs = n;
	}
	if (id >= b->nr_recs)
		b->nr_recs = id + 1;
	return &b->recs[id];
}

static u32 event_bit(struct builder *b, int event_id)
{
	int slot;

	if (event_id < 0 || event_id >= (int)ARRAY_SIZE(b->event_slot))
		return 0;
	slot = b->event_slot[event_id];
	if (!slot) {
		if (b->nr_events == PS_INDEX_EVENTS)
			return 0;
		b->event_ids[b->nr_events++] = event_id;
		slot = b->event_slot[event_id] = b->nr_events;
	}
	return 1u << (slot - 1);
}

static void note_progress(struct builder *b, const struct ps_op *op)
{
	u64 done = 0, start = ~0ull;
	int cpu = op->cpu;

	if (cpu >= 0 && cpu < (int)ARRAY_SIZE(b->cpu_first) && op->offset) {
		if (!b->cpu_first[cpu] || op->offset < b->cpu_first[cpu])
			b->cpu_first[cpu] = op->offset;
		if (op->offset > b->cpu_last[cpu])
			b->cpu_last[cpu] = op->offset;
	}
	if (!b->progress || (b->nr_ops & 0xffff))
		return;
	for (cpu = 0; cpu < (int)ARRAY_SIZE(b->cpu_first); cpu++) {
		if (!b->cpu_first[cpu])
			continue;
		done += b->cpu_last[cpu] - b->cpu_first[cpu];
		if (b->cpu_first[cpu] < start)
			start = b->cpu_first[cpu];
	}
	if (start < b->file_size)
		b->progress(b->progress_data, done, b->file_size - start,
			    b->nr_ops);
}

/* An op was about the folio the engine numbered id (pfn, order). */
static void touch(struct builder *b, u64 id, u64 pfn, u32 order,
		  const struct ps_op *op, const struct ps_state *st)
{
	struct ps_index_folio *r = rec_get(b, id);

	if (!r->nr_ops) {
		r->pfn = pfn;
		r->order = order;
		r->born_ts = op->ts;
		/* a new folio at this head: "the one that was there" */
		map_set(&b->map, pfn, (u32)id);
	}
	r->nr_ops++;
	r->kinds |= 1u << op->kind;
	if (op->ts > r->end_ts)
		r->end_ts = op->ts;
	if (!r->pid && op->pid > 0)
		r->pid = op->pid;
	r->evmask |= event_bit(b, op->event_id);
	if (op->kind == PS_OP_PIN || (st && st->pincount > 0 &&
				      (st->known & PS_KNOWN_PINCOUNT)))
		r->marks |= PS_IDX_PINNED;
}

static void index_op(struct ps_check *c, void *priv, const struct ps_op *op,
		     const struct ps_folio *f, const struct ps_state *before,
		     const struct ps_state *after)
{
	struct builder *b = priv;
	u32 id_f = PS_INDEX_NONE, id_b = PS_INDEX_NONE;
	int i;

	if (!b->nr_ops++)
		b->first_ts = op->ts;
	if (op->ts > b->last_ts)
		b->last_ts = op->ts;
	note_progress(b, op);
	if (op->kind == PS_OP_STACK)
		b->stacks++;
	if (op->kind == PS_OP_LOST) {
		struct ps_index_lost *l;

		if (b->nr_lost == b->alloc_lost) {
			b->alloc_lost = b->alloc_lost ? 2 * b->alloc_lost : 64;
			b->lost = ps_xrealloc(b->lost, b->alloc_lost *
					      sizeof(*b->lost));
		}
		l = &b->lost[b->nr_lost++];
		memset(l, 0, sizeof(*l));
		l->ts = op->ts;
		l->cpu = op->cpu;
		l->count = op->val > 0 ? op->val : -1;
		if (op->val > 0)
			b->lost_events += op->val;
	}
	/*
	 * The op is about f (after it) and, when the op ended or replaced
	 * the folio it found (split, collapse, migration), about that one
	 * too: its timeline must show how it ended.
	 */
	if (f) {
		id_f = (u32)f->id;
		touch(b, f->id, f->pfn, f->order, op, after);
	}
	if (before->live && (!f || before->head != f->pfn ||
			     before->order != f->order)) {
		id_b = map_get(&b->map, before->head);
		if (id_b != PS_INDEX_NONE && id_b != id_f &&
		    id_b < b->nr_recs && b->recs[id_b].pfn == before->head &&
		    b->recs[id_b].order == before->order)
			touch(b, id_b, before->head, before->order, op, before);
		else
			id_b = PS_INDEX_NONE;
	}
	/* Findings the rules just reported belong to this op's folio. */
	for (i = b->seen_findings; i < ps_check_nr_findings(c); i++) {
		const struct ps_finding *fi = ps_check_finding(c, i);
		u32 id = PS_INDEX_NONE;

		if (id_f != PS_INDEX_NONE && b->recs[id_f].pfn == fi->folio_pfn)
			id = id_f;
		else if (id_b != PS_INDEX_NONE &&
			 b->recs[id_b].pfn == fi->folio_pfn)
			id = id_b;
		b->finding_folio = ps_xrealloc(b->finding_folio,
					       (i + 1) * sizeof(u32));
		b->finding_folio[i] = id;
	}
	b->seen_findings = ps_check_nr_findings(c);
}

static void index_folio_end(void *data, const struct ps_folio *f)
{
	struct builder *b = data;
	struct ps_index_folio *r = rec_get(b, f->id);
	u32 i;

	r->pfn = f->pfn;
	r->order = f->order;
	r->born_ts = f->born_ts;
	if (f->last_ts > r->end_ts)
		r->end_ts = f->last_ts;
	if (r->end_ts < r->born_ts)
		r->end_ts = r->born_ts;
	r->state = f->state;
	if (f->workload)
		r->marks |= PS_IDX_WORKLOAD;
	if (!(f->known & PS_KNOWN_BIRTH))
		r->marks |= PS_IDX_NO_BIRTH;
	if (f->state == PS_FOLIO_LIVE)
		r->marks |= PS_IDX_LIVE_END;
	if (f->state == PS_FOLIO_SPLIT)
		r->marks |= PS_IDX_SPLIT_DONE;
	if (f->pincount > 0 && (f->known & PS_KNOWN_PINCOUNT))
		r->marks |= PS_IDX_PINNED;
	map_set(&b->map, f->pfn, (u32)f->id);
	for (i = 0; i < f->nr_lineage; i++) {
		const struct ps_lineage *l = &f->lineage[i];
		struct lin_tmp *n;

		if (b->nr_lin == b->alloc_lin) {
			b->alloc_lin = b->alloc_lin ? 2 * b->alloc_lin : 256;
			b->lin = ps_xrealloc(b->lin, b->alloc_lin *
					     sizeof(*b->lin));
		}
		n = &b->lin[b->nr_lin++];
		n->child = (u32)f->id;
		n->parent_pfn = l->pfn;
		n->order = l->order;
		n->ts = l->ts;
		n->kind = l->kind;
		n->inferred = l->inferred;
	}
}

static void index_init(struct ps_check *c, void *priv)
{
	ps_engine_set_end_hook(ps_check_engine(c), index_folio_end, priv);
}

/*
 * Not an invariant: the indexer rides along with the rules so that one
 * replay serves both.  It never reports.
 */
static const struct ps_rule index_rule = {
	.id = "tui-index",
	.summary = "indexes folios for the browser (not a rule)",
	.init = index_init,
	.op = index_op,
};

/* --- after the pass: four phases --------------------------------------------- */

/*
 * Folio numbers by head pfn.  Numbers are given in order of birth, so a
 * stable sort by pfn alone yields (pfn, birth) order: LSD radix, 11 bits
 * a pass, as many passes as the largest pfn needs.
 */
static u32 *sort_by_pfn(const struct ps_index_folio *folios, u64 n)
{
	u32 *out = ps_xmalloc((n ? n : 1) * sizeof(u32));
	u32 *tmp = ps_xmalloc((n ? n : 1) * sizeof(u32));
	u64 i, max = 0, count[2048];
	int shift;

	for (i = 0; i < n; i++) {
		out[i] = (u32)i;
		if (folios[i].pfn > max)
			max = folios[i].pfn;
	}
	for (shift = 0; shift < 64 && (max >> shift); shift += 11) {
		u64 sum = 0, c;
		u32 *swap;

		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(folios[out[i]].pfn >> shift) & 2047]++;
		for (i = 0; i < 2048; i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			tmp[count[(folios[out[i]].pfn >> shift) & 2047]++] =
				out[i];
		swap = out;
		out = tmp;
		tmp = swap;
	}
	free(tmp);
	return out;
}

static int cmp_lineage(const void *a, const void *b)
{
	const struct ps_index_lineage *x = a, *y = b;

	if (x->child != y->child)
		return x->child < y->child ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->parent_pfn < y->parent_pfn ? -1 :
	       x->parent_pfn > y->parent_pfn;
}

static u32 lineage_mark(uint8_t kind, bool descendant)
{
	static const u32 from[] = { PS_IDX_FROM_SPLIT, PS_IDX_FROM_COLLAPSE,
				    PS_IDX_FROM_MIGRATE };
	static const u32 to[] = { PS_IDX_TO_SPLIT, PS_IDX_TO_COLLAPSE,
				  PS_IDX_TO_MIGRATE };

	if (kind >= ARRAY_SIZE(from))
		return 0;
	return descendant ? to[kind] : from[kind];
}

/* Phase 1: lineage parents found by (head, order, time). */
static void resolve_lineage(struct builder *b, struct ps_index_data *o)
{
	u64 n = b->nr_recs, i;

	o->lineage = ps_xcalloc(b->nr_lin ? b->nr_lin : 1,
				sizeof(*o->lineage));
	for (i = 0; i < b->nr_lin; i++) {
		struct ps_index_lineage *l = &o->lineage[i];
		const struct lin_tmp *t = &b->lin[i];

		l->child = t->child;
		l->parent_pfn = t->parent_pfn;
		l->ts = t->ts;
		l->kind = t->kind;
		l->order = t->order;
		l->inferred = t->inferred;
		l->parent = ps_index_lookup(o->folios, o->by_pfn, n,
					    t->parent_pfn, t->order, t->ts);
		if (l->parent == l->child)
			l->parent = PS_INDEX_NONE;
		o->folios[l->child].marks |= lineage_mark(l->kind, false);
		if (l->parent != PS_INDEX_NONE)
			o->folios[l->parent].marks |= lineage_mark(l->kind,
								   true);
	}
	qsort(o->lineage, b->nr_lin, sizeof(*o->lineage), cmp_lineage);
}

/* Phase 2: the findings, each on the folio it is about. */
static void attach_findings(struct builder *b, struct ps_index_data *o)
{
	int k, nr = ps_check_nr_findings(b->c);

	o->findings = ps_xcalloc(nr ? nr : 1, sizeof(*o->findings));
	for (k = 0; k < nr; k++) {
		const struct ps_finding *fi = ps_check_finding(b->c, k);
		struct ps_index_finding *x = &o->findings[k];
		u32 id = k < b->seen_findings ? b->finding_folio[k] :
			 PS_INDEX_NONE;

		if (id == PS_INDEX_NONE)
			id = ps_index_lookup(o->folios, o->by_pfn, b->nr_recs,
					     fi->folio_pfn, fi->order,
					     fi->op.ts);
		x->folio = id;
		x->severity = fi->severity;
		snprintf(x->rule, sizeof(x->rule), "%s", fi->rule->id);
		x->folio_pfn = fi->folio_pfn;
		x->order = fi->order;
		x->pfn = fi->pfn;
		x->ts = fi->op.ts;
		x->offset = fi->op.offset;
		x->cpu = fi->op.cpu;
		x->pid = fi->op.pid;
		x->kind = fi->op.kind;
		snprintf(x->what, sizeof(x->what), "%s", fi->what);
		if (id != PS_INDEX_NONE && o->folios[id].nr_findings < 0xffff)
			o->folios[id].nr_findings++;
	}
	o->hdr.nr_findings = nr;
}

/* Phase 3: lost events in a folio's life make its state uncertain. */
static void mark_lost(struct builder *b, struct ps_index_data *o)
{
	u64 i;

	for (i = 0; b->nr_lost && i < b->nr_recs; i++) {
		u64 lo = 0, hi = b->nr_lost;

		while (lo < hi) {	/* first loss at or after birth */
			u64 mid = lo + (hi - lo) / 2;

			if (b->lost[mid].ts < o->folios[i].born_ts)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < b->nr_lost && b->lost[lo].ts <= o->folios[i].end_ts)
			o->folios[i].marks |= PS_IDX_LOST;
	}
	o->lost = b->lost;
	o->hdr.nr_lost = b->nr_lost;
	b->lost = NULL;
}

/* How each rule fared, without the watcher (it is not a rule). */
static void header_rules(struct builder *b, struct ps_index_hdr *h)
{
	int k;

	for (k = 0; k < ps_check_nr_rules(b->c) && k < PS_INDEX_RULES; k++) {
		const struct ps_check_rule_state *rs = ps_check_rule(b->c, k);
		struct ps_index_rule *r = &h->rules[h->nr_rules];

		if (rs->rule == &index_rule)
			continue;
		snprintf(r->id, sizeof(r->id), "%s", rs->rule->id);
		r->checked = rs->checked;
		r->breaks = rs->breaks;
		r->infos = rs->infos;
		r->uncertain = rs->uncertain;
		snprintf(r->why_not, sizeof(r->why_not), "%s", rs->why_not);
		h->nr_rules++;
	}
}

/* Phase 4: the header (the identity fields are the caller's). */
static void fill_header(struct builder *b, struct ps_index_hdr *h)
{
	const struct ps_meta *m = ps_trace_meta(b->t);

	memcpy(h->magic, PS_INDEX_MAGIC, sizeof(h->magic));
	h->version = PS_INDEX_VERSION;
	h->hdr_size = sizeof(*h);
	h->nr_folios = b->nr_recs;
	h->nr_lineage = b->nr_lin;
	h->dropped_findings = ps_check_dropped_findings(b->c);
	h->first_ts = b->first_ts;
	h->last_ts = b->last_ts;
	h->nr_records = ps_trace_nr_records(b->t);
	h->nr_ops = b->nr_ops;
	h->lost_events = b->lost_events;
	h->overrun = m->overrun;
	h->tracks = ps_trace_tracks(b->t);
	if (b->stacks)
		h->flags |= PS_IDXF_STACKS;
	if (m->overrun && !b->nr_lost)
		h->flags |= PS_IDXF_CPUSTAT_LOST;
	h->nr_events = b->nr_events;
	memcpy(h->event_ids, b->event_ids, sizeof(b->event_ids));
	header_rules(b, h);
	snprintf(h->kernel, sizeof(h->kernel), "%s", m->kernel);
	snprintf(h->profile, sizeof(h->profile), "%s", m->profile);
	snprintf(h->cmd, sizeof(h->cmd), "%s", m->cmd);
}

static void finish_build(struct builder *b, struct ps_index_data *o)
{
	memset(o, 0, sizeof(*o));
	o->folios = b->recs;
	b->recs = NULL;
	o->by_pfn = sort_by_pfn(o->folios, b->nr_recs);
	resolve_lineage(b, o);
	attach_findings(b, o);
	mark_lost(b, o);
	fill_header(b, &o->hdr);
}

static void builder_free(struct builder *b)
{
	free(b->recs);
	free(b->map.slot);
	free(b->lin);
	free(b->lost);
	free(b->finding_folio);
	ps_check_free(b->c);
	ps_trace_close(b->t);
}

int ps_index_build(const char *path, ps_index_progress_fn progress,
		   void *data, struct ps_index_data *o)
{
	struct builder b = { .progress = progress, .progress_data = data };
	struct stat st;
	int ret = -1;

	b.t = ps_trace_open(path);
	if (!b.t)
		return -1;
	if (!stat(path, &st))
		b.file_size = st.st_size;
	b.c = ps_check_new(b.t, NULL, false);
	if (b.c) {
		ps_check_add_rule(b.c, &index_rule, &b);
		if (!ps_check_run(b.c)) {
			finish_build(&b, o);
			ret = 0;
		}
	}
	/* builder memory goes before the index is mapped: one peak, not two */
	builder_free(&b);
	return ret;
}
