// SPDX-License-Identifier: GPL-2.0
/*
 * The recording index (index.h): built in one replay, cached in
 * <recording>.psidx, mapped read-only when reused.
 *
 * The build is `pagestate check` with one more watcher: a rule
 * ("tui-index") appended to the checker's rule table that sees every op
 * and the engine's folio retirements, so rules and index share a single
 * pass over the recording.  Folios are indexed by the engine's folio id,
 * which is dense (0, 1, 2, ... in order of creation) and, the engine
 * being deterministic, the same in any later replay of the same file:
 * the timeline loader finds a folio's ops again by that id.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pagestate/check.h"
#include "pagestate/index.h"

/* --- building ------------------------------------------------------------ */

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

/* --- after the pass: sort, resolve, write ---------------------------------- */

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

/* Lower bound of pfn in a by-pfn permutation. */
static u32 pfn_lower(const struct ps_index_folio *folios, const u32 *by_pfn,
		     u32 n, u64 pfn)
{
	u32 lo = 0, hi = n;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (folios[by_pfn[mid]].pfn < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static u32 folio_at(const struct ps_index_folio *folios, const u32 *by_pfn,
		    u32 n, u64 head, u32 order, u64 ts)
{
	u32 i = pfn_lower(folios, by_pfn, n, head), best = PS_INDEX_NONE;

	for (; i < n && folios[by_pfn[i]].pfn == head; i++) {
		const struct ps_index_folio *f = &folios[by_pfn[i]];

		if (f->born_ts > ts)
			break;
		if (f->order == order)
			best = by_pfn[i];
	}
	return best;
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

struct built {
	struct ps_index_hdr hdr;
	struct ps_index_folio *folios;
	u32 *by_pfn;
	struct ps_index_lineage *lineage;
	struct ps_index_finding *findings;
	struct ps_index_lost *lost;
};

static void finish_build(struct builder *b, struct built *o)
{
	struct ps_check *c = b->c;
	const struct ps_meta *m = ps_trace_meta(b->t);
	u64 n = b->nr_recs, i;
	int k, nr_findings = ps_check_nr_findings(c);

	o->folios = b->recs;
	b->recs = NULL;
	o->by_pfn = sort_by_pfn(o->folios, n);

	/* lineage: parents found by (head, order, time) */
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
		l->parent = folio_at(o->folios, o->by_pfn, n, t->parent_pfn,
				     t->order, t->ts);
		if (l->parent == l->child)
			l->parent = PS_INDEX_NONE;
		o->folios[l->child].marks |= lineage_mark(l->kind, false);
		if (l->parent != PS_INDEX_NONE)
			o->folios[l->parent].marks |= lineage_mark(l->kind,
								   true);
	}
	qsort(o->lineage, b->nr_lin, sizeof(*o->lineage), cmp_lineage);

	/* findings */
	o->findings = ps_xcalloc(nr_findings ? nr_findings : 1,
				 sizeof(*o->findings));
	for (k = 0; k < nr_findings; k++) {
		const struct ps_finding *fi = ps_check_finding(c, k);
		struct ps_index_finding *x = &o->findings[k];
		u32 id = k < b->seen_findings ? b->finding_folio[k] :
			 PS_INDEX_NONE;

		if (id == PS_INDEX_NONE)
			id = folio_at(o->folios, o->by_pfn, n, fi->folio_pfn,
				      fi->order, fi->op.ts);
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

	/* lost events in a folio's life make its state uncertain */
	for (i = 0; b->nr_lost && i < n; i++) {
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

	memset(&o->hdr, 0, sizeof(o->hdr));
	memcpy(o->hdr.magic, PS_INDEX_MAGIC, sizeof(o->hdr.magic));
	o->hdr.version = PS_INDEX_VERSION;
	o->hdr.hdr_size = sizeof(o->hdr);
	o->hdr.nr_folios = n;
	o->hdr.nr_lineage = b->nr_lin;
	o->hdr.nr_findings = nr_findings;
	o->hdr.nr_lost = b->nr_lost;
	o->lost = b->lost;
	o->hdr.dropped_findings = ps_check_dropped_findings(c);
	o->hdr.first_ts = b->first_ts;
	o->hdr.last_ts = b->last_ts;
	o->hdr.nr_records = ps_trace_nr_records(b->t);
	o->hdr.nr_ops = b->nr_ops;
	o->hdr.lost_events = b->lost_events;
	o->hdr.overrun = m->overrun;
	o->hdr.tracks = ps_trace_tracks(b->t);
	if (b->stacks)
		o->hdr.flags |= PS_IDXF_STACKS;
	if (m->overrun && !b->nr_lost)
		o->hdr.flags |= PS_IDXF_CPUSTAT_LOST;
	o->hdr.nr_events = b->nr_events;
	memcpy(o->hdr.event_ids, b->event_ids, sizeof(b->event_ids));
	for (k = 0; k < ps_check_nr_rules(c) && k < PS_INDEX_RULES; k++) {
		const struct ps_check_rule_state *rs = ps_check_rule(c, k);
		struct ps_index_rule *r = &o->hdr.rules[o->hdr.nr_rules];

		if (rs->rule == &index_rule)
			continue;
		snprintf(r->id, sizeof(r->id), "%s", rs->rule->id);
		r->checked = rs->checked;
		r->breaks = rs->breaks;
		r->infos = rs->infos;
		r->uncertain = rs->uncertain;
		snprintf(r->why_not, sizeof(r->why_not), "%s", rs->why_not);
		o->hdr.nr_rules++;
	}
	snprintf(o->hdr.kernel, sizeof(o->hdr.kernel), "%s", m->kernel);
	snprintf(o->hdr.profile, sizeof(o->hdr.profile), "%s", m->profile);
	snprintf(o->hdr.cmd, sizeof(o->hdr.cmd), "%s", m->cmd);
}

static void built_free(struct built *o)
{
	free(o->folios);
	free(o->by_pfn);
	free(o->lineage);
	free(o->findings);
}

static u64 mtime_ns(const struct stat *st)
{
	return (u64)st->st_mtim.tv_sec * 1000000000ull + st->st_mtim.tv_nsec;
}

/* The recording and the binary an index is only valid for. */
static int identity(const char *path, struct ps_index_hdr *h)
{
	struct stat st;

	if (stat(path, &st))
		return -1;
	h->src_size = st.st_size;
	h->src_mtime_ns = mtime_ns(&st);
	if (stat("/proc/self/exe", &st) == 0) {
		h->exe_size = st.st_size;
		h->exe_mtime_ns = mtime_ns(&st);
	}
	return 0;
}

static u64 align8(u64 v)
{
	return (v + 7) & ~7ull;
}

static int write_all(FILE *f, const void *p, u64 size, u64 *pos)
{
	static const char zero[8];
	u64 pad = align8(*pos + size) - (*pos + size);

	if ((size && fwrite(p, 1, size, f) != size) ||
	    (pad && fwrite(zero, 1, pad, f) != pad))
		return -1;
	*pos += size + pad;
	return 0;
}

static int write_index(int fd, struct built *o)
{
	struct ps_index_hdr *h = &o->hdr;
	FILE *f = fdopen(fd, "w");
	u64 pos = 0, n = h->nr_folios;
	int ret = 0;

	if (!f) {
		close(fd);
		return -1;
	}
	pos = align8(sizeof(*h));
	h->off_folios = pos;
	pos += align8(n * sizeof(*o->folios));
	h->off_by_pfn = pos;
	pos += align8(n * sizeof(u32));
	h->off_lineage = pos;
	pos += align8(h->nr_lineage * sizeof(*o->lineage));
	h->off_findings = pos;
	pos += align8(h->nr_findings * sizeof(*o->findings));
	h->off_lost = pos;

	pos = 0;
	ret |= write_all(f, h, sizeof(*h), &pos);
	ret |= write_all(f, o->folios, n * sizeof(*o->folios), &pos);
	ret |= write_all(f, o->by_pfn, n * sizeof(u32), &pos);
	ret |= write_all(f, o->lineage, h->nr_lineage * sizeof(*o->lineage),
			 &pos);
	ret |= write_all(f, o->findings, h->nr_findings * sizeof(*o->findings),
			 &pos);
	ret |= write_all(f, o->lost, h->nr_lost * sizeof(*o->lost), &pos);
	if (fclose(f))
		ret = -1;
	return ret;
}

/* --- mapping and checking a cached index ----------------------------------- */

static bool section_ok(const struct ps_index_hdr *h, size_t size, u64 off,
		       u64 nr, size_t elem)
{
	return off % 8 == 0 && off <= size && nr <= (size - off) / elem;
}

#define terminated(s)	(memchr((s), '\0', sizeof(s)) != NULL)

/* Is the mapped index whole and consistent?  Bad files mean "rebuild". */
static bool index_valid(struct ps_index *x, const struct ps_index_hdr *want)
{
	const struct ps_index_hdr *h = x->map;
	size_t size = x->map_size;
	u64 i;

	if (size < sizeof(*h) || memcmp(h->magic, PS_INDEX_MAGIC, 8) ||
	    h->version != PS_INDEX_VERSION || h->hdr_size != sizeof(*h) ||
	    h->src_size != want->src_size ||
	    h->src_mtime_ns != want->src_mtime_ns ||
	    h->exe_size != want->exe_size ||
	    h->exe_mtime_ns != want->exe_mtime_ns ||
	    h->nr_folios >= PS_INDEX_NONE || h->nr_events > PS_INDEX_EVENTS ||
	    h->nr_rules > PS_INDEX_RULES)
		return false;
	if (!section_ok(h, size, h->off_folios, h->nr_folios,
			sizeof(struct ps_index_folio)) ||
	    !section_ok(h, size, h->off_by_pfn, h->nr_folios, sizeof(u32)) ||
	    !section_ok(h, size, h->off_lineage, h->nr_lineage,
			sizeof(struct ps_index_lineage)) ||
	    !section_ok(h, size, h->off_findings, h->nr_findings,
			sizeof(struct ps_index_finding)) ||
	    !section_ok(h, size, h->off_lost, h->nr_lost,
			sizeof(struct ps_index_lost)))
		return false;
	x->hdr = h;
	x->folios = (const void *)((const char *)x->map + h->off_folios);
	x->by_pfn = (const void *)((const char *)x->map + h->off_by_pfn);
	x->lineage = (const void *)((const char *)x->map + h->off_lineage);
	x->findings = (const void *)((const char *)x->map + h->off_findings);
	x->lost = (const void *)((const char *)x->map + h->off_lost);
	for (i = 0; i < h->nr_folios; i++)
		if (x->by_pfn[i] >= h->nr_folios ||
		    x->folios[i].order > PS_MAX_ORDER)
			return false;
	for (i = 0; i < h->nr_lineage; i++)
		if (x->lineage[i].child >= h->nr_folios ||
		    (x->lineage[i].parent != PS_INDEX_NONE &&
		     x->lineage[i].parent >= h->nr_folios))
			return false;
	for (i = 0; i < h->nr_findings; i++) {
		const struct ps_index_finding *f = &x->findings[i];

		if ((f->folio != PS_INDEX_NONE && f->folio >= h->nr_folios) ||
		    f->kind >= PS_OP_NR_KINDS || !terminated(f->rule) ||
		    !terminated(f->what))
			return false;
	}
	for (i = 0; i < h->nr_rules; i++)
		if (!terminated(h->rules[i].id) ||
		    !terminated(h->rules[i].why_not))
			return false;
	return terminated(h->kernel) && terminated(h->profile) &&
	       terminated(h->cmd);
}

static int map_index(struct ps_index *x, int fd,
		     const struct ps_index_hdr *want)
{
	struct stat st;

	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(struct ps_index_hdr))
		return -1;
	x->map_size = st.st_size;
	x->map = mmap(NULL, x->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (x->map == MAP_FAILED) {
		x->map = NULL;
		return -1;
	}
	if (!index_valid(x, want)) {
		munmap(x->map, x->map_size);
		x->map = NULL;
		return -1;
	}
	return 0;
}

/* Where the index of path lives: next to it, or in the cache directory. */
static char *cache_path(const char *path)
{
	const char *base = strrchr(path, '/'), *dir = getenv("XDG_CACHE_HOME");
	char real[PATH_MAX], *out;
	u64 h = 0xcbf29ce484222325ull;
	const char *p;
	size_t size;

	if (!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	for (p = real; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	base = base ? base + 1 : path;
	size = strlen(base) + PATH_MAX + 64;
	out = ps_xmalloc(size);
	if (dir && *dir)
		snprintf(out, size, "%s/pagestate", dir);
	else
		snprintf(out, size, "%s/.cache/pagestate",
			 getenv("HOME") ? getenv("HOME") : "/tmp");
	if (mkdir(out, 0755) && errno != EEXIST) {
		/* ~/.cache may not exist yet */
		char parent[PATH_MAX];

		snprintf(parent, sizeof(parent), "%s", out);
		*strrchr(parent, '/') = '\0';
		mkdir(parent, 0755);
		mkdir(out, 0755);
	}
	snprintf(out + strlen(out), size - strlen(out), "/%s.%016llx.psidx",
		 base, (unsigned long long)h);
	return out;
}

static int open_existing(struct ps_index *x, const char *ipath,
			 const struct ps_index_hdr *want)
{
	int fd = open(ipath, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -1;
	ret = map_index(x, fd, want);
	close(fd);
	if (!ret) {
		free(x->path);
		x->path = ps_xstrdup(ipath);
	}
	return ret;
}

/* Writes o to ipath through a temporary file; 0 or -1 (errno kept). */
static int save_index(const char *ipath, struct built *o)
{
	size_t n = strlen(ipath) + 32;
	char *tmp = ps_xmalloc(n);
	int fd, ret = -1, err;

	snprintf(tmp, n, "%s.tmp%d", ipath, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ret = write_index(fd, o);
		if (!ret)
			ret = rename(tmp, ipath);
		err = errno;
		if (ret)
			unlink(tmp);
		errno = err;
	}
	free(tmp);
	return ret;
}

static int build(struct ps_index *x, const char *path,
		 const struct ps_index_hdr *want, ps_index_progress_fn progress,
		 void *data)
{
	struct builder b = { .progress = progress, .progress_data = data };
	struct built o;
	struct stat st;
	char *ipath;
	int ret = -1;

	b.t = ps_trace_open(path);
	if (!b.t)
		return -1;
	if (!stat(path, &st))
		b.file_size = st.st_size;
	b.c = ps_check_new(b.t, NULL, false);
	if (!b.c) {
		ps_trace_close(b.t);
		return -1;
	}
	ps_check_add_rule(b.c, &index_rule, &b);
	if (ps_check_run(b.c))
		goto out;
	finish_build(&b, &o);
	o.hdr.src_size = want->src_size;
	o.hdr.src_mtime_ns = want->src_mtime_ns;
	o.hdr.exe_size = want->exe_size;
	o.hdr.exe_mtime_ns = want->exe_mtime_ns;

	/* builder memory goes before the index is mapped: one peak, not two */
	free(b.map.slot);
	b.map.slot = NULL;
	free(b.lin);
	b.lin = NULL;

	/* next to the recording, else the cache directory, else memory */
	ipath = ps_xmalloc(strlen(path) + 8);
	sprintf(ipath, "%s.psidx", path);
	if (save_index(ipath, &o)) {
		free(ipath);
		ipath = cache_path(path);
		if (save_index(ipath, &o)) {
			free(ipath);
			ipath = NULL;
		}
	}
	if (ipath) {
		built_free(&o);
		if (!open_existing(x, ipath, want))
			ret = 0;
		else
			ps_error("%s: cannot map its index %s", path, ipath);
	} else {
		/* an unwritable disk still gets a browser: keep it anonymous */
		char tmpl[] = "/tmp/pagestate-index.XXXXXX";
		int fd = mkstemp(tmpl), err = errno;

		if (fd >= 0) {
			unlink(tmpl);
			if (!write_index(dup(fd), &o) && !map_index(x, fd, want))
				ret = 0;
			err = errno;
			close(fd);
		}
		built_free(&o);
		if (ret)
			ps_error("%s: cannot write its index (%s.psidx: %s)",
				 path, path, strerror(err));
	}
	free(ipath);
out:
	free(b.recs);
	free(b.map.slot);
	free(b.lin);
	free(b.lost);
	free(b.finding_folio);
	ps_check_free(b.c);
	ps_trace_close(b.t);
	return ret;
}

struct ps_index *ps_index_open(struct ps_trace *t, bool rebuild,
			       ps_index_progress_fn progress, void *data)
{
	const char *path = ps_trace_path(t);
	struct ps_index_hdr want;
	struct ps_index *x;
	char *ipath;

	memset(&want, 0, sizeof(want));
	if (identity(path, &want)) {
		ps_error("%s: %s", path, strerror(errno));
		return NULL;
	}
	x = ps_xcalloc(1, sizeof(*x));
	if (!rebuild) {
		ipath = ps_xmalloc(strlen(path) + 8);
		sprintf(ipath, "%s.psidx", path);
		if (!open_existing(x, ipath, &want)) {
			free(ipath);
			return x;
		}
		free(ipath);
		ipath = cache_path(path);
		if (!open_existing(x, ipath, &want)) {
			free(ipath);
			return x;
		}
		free(ipath);
	}
	if (build(x, path, &want, progress, data)) {
		ps_index_free(x);
		return NULL;
	}
	x->built = true;
	return x;
}

void ps_index_free(struct ps_index *x)
{
	if (!x)
		return;
	if (x->map)
		munmap(x->map, x->map_size);
	free(x->path);
	free(x);
}

/* --- lookups --------------------------------------------------------------- */

u32 ps_index_folio_at(const struct ps_index *x, u64 head, u32 order, u64 ts)
{
	return folio_at(x->folios, x->by_pfn, (u32)x->hdr->nr_folios, head,
			order, ts);
}

u32 ps_index_lineage_of(const struct ps_index *x, u32 i, u32 *first)
{
	u32 lo = 0, hi = (u32)x->hdr->nr_lineage, n = 0;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (x->lineage[mid].child < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo + n < x->hdr->nr_lineage && x->lineage[lo + n].child == i)
		n++;
	return n;
}

u64 ps_index_lost_between(const struct ps_index *x, u64 from, u64 to)
{
	u64 i, n = 0;

	if (x->hdr->flags & PS_IDXF_CPUSTAT_LOST)
		return x->hdr->overrun;
	for (i = 0; i < x->hdr->nr_lost; i++)
		if (x->lost[i].ts >= from && x->lost[i].ts <= to)
			n += x->lost[i].count > 0 ? x->lost[i].count : 1;
	return n;
}
