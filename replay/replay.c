// SPDX-License-Identifier: GPL-2.0
/*
 * pagestate replay: rebuild folio state from a recording and print a
 * summary, or one folio's / one task's timeline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagestate/progress.h"
#include "pagestate/builtin.h"
#include "pagestate/folio.h"
#include "pagestate/recording.h"
#include "pagestate/trace.h"
#include "pagestate/verify.h"

static const char *const replay_usage[] = {
	"pagestate replay [--pfn PFN | --folio PFN | --comm NAME] [--verify] FILE",
	NULL,
};

struct replay {
	struct ps_trace *t;
	struct ps_engine *e;
	u64 pfn;		/* --pfn / --folio */
	bool folio_only;	/* --folio: ops on the folio headed at pfn */
	const char *comm;	/* --comm */
	u64 printed;

	/* summary counters kept by the hooks */
	u64 thp_allocs;
	u64 workload_folios;
	u64 workload_thps;
	u64 ended_live;
};

static int apply_op(void *data, const struct ps_op *op)
{
	struct replay *r = data;

	ps_engine_apply(r->e, op);
	return 0;
}

static void fmt_val(char *buf, size_t size, s64 v, bool known)
{
	if (known)
		snprintf(buf, size, "%lld", (long long)v);
	else
		snprintf(buf, size, "?");
}

static void print_op(struct replay *r, const struct ps_op *op,
		     const struct ps_folio *f, const struct ps_state *after)
{
	char detail[192], ref[24], map[48], pin[24], flags[256];
	u32 k = after->known;

	ps_op_detail(op, detail, sizeof(detail));
	printf("%6llu.%06llu [%03d] %16s-%-7d %-16s %s",
	       (unsigned long long)(op->ts / 1000000000ull),
	       (unsigned long long)(op->ts % 1000000000ull / 1000), op->cpu,
	       ps_trace_comm(r->t, op->pid), op->pid,
	       ps_op_kind_name(op->kind), detail);
	if (!f) {
		putchar('\n');
		return;
	}
	fmt_val(ref, sizeof(ref), after->refcount, k & PS_KNOWN_REFCOUNT);
	if (k & PS_KNOWN_MAPCOUNT)
		snprintf(map, sizeof(map), "%d(entire %d sub %d)",
			 after->mapcount, after->entire_mapcount,
			 after->sub_mapcount);
	else
		snprintf(map, sizeof(map), "?");
	fmt_val(pin, sizeof(pin), after->pincount, k & PS_KNOWN_PINCOUNT);
	ps_pg_flags_str(after->flags, flags, sizeof(flags));
	printf(" | folio 0x%llx/%u%s ref=%s map=%s pin=%s flags=%s%s%s\n",
	       (unsigned long long)f->pfn, after->order,
	       after->live ? "" : " (ended)", ref, map, pin, flags,
	       (after->sub_flags & PS_SUB_ANON_EXCLUSIVE) ?
	       " sub:anon_exclusive" : "",
	       after->in_cache ? " in:page_cache" : "");
}

static bool holds(u64 head, u32 order, u64 pfn)
{
	return pfn >= head && pfn < head + (1ull << order);
}

/*
 * Lineage links the op just made (same timestamp), one line per kind.
 * Only eight parents are named; the page the timeline follows (pfn, or
 * PS_PFN_NONE) is named too when it is among the others.
 */
static void print_new_lineage(const struct ps_folio *f, u64 ts, u64 pfn)
{
	static const int kinds[] = { PS_LINEAGE_SPLIT, PS_LINEAGE_COLLAPSE,
				     PS_LINEAGE_MIGRATE };
	size_t k;
	u32 i;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		u32 n = 0, inferred = 0, shown = 0;
		bool has_pfn = false;

		for (i = 0; i < f->nr_lineage; i++) {
			const struct ps_lineage *l = &f->lineage[i];

			if (l->ts != ts || (int)l->kind != kinds[k])
				continue;
			n++;
			inferred += l->inferred;
			has_pfn |= holds(l->pfn, l->order, pfn);
		}
		if (!n)
			continue;
		printf("%44s lineage: %s from %u folio%s", "",
		       ps_lineage_kind_name(kinds[k]), n, n > 1 ? "s" : "");
		for (i = 0; i < f->nr_lineage && shown < 8; i++) {
			const struct ps_lineage *l = &f->lineage[i];

			if (l->ts != ts || (int)l->kind != kinds[k])
				continue;
			printf("%s0x%llx/%u", shown ? ", " : ": ",
			       (unsigned long long)l->pfn, l->order);
			shown++;
		}
		printf("%s", n > shown ? ", ..." : "");
		if (has_pfn && n > shown)
			printf(" (0x%llx among them)", (unsigned long long)pfn);
		if (inferred)
			printf(" (%u inferred)", inferred);
		putchar('\n');
	}
}

/* Did the op make f out of (collapse) or from (migration) the page? */
static bool made_from(const struct ps_folio *f, u64 ts, u64 pfn)
{
	u32 i;

	for (i = 0; f && i < f->nr_lineage; i++)
		if (f->lineage[i].ts == ts && f->lineage[i].kind !=
		    PS_LINEAGE_SPLIT &&
		    holds(f->lineage[i].pfn, f->lineage[i].order, pfn))
			return true;
	return false;
}

/*
 * Does the op belong to the timeline asked for?  For --pfn: ops on the
 * page itself and on any folio holding it, before the op (a split or a
 * free of the folio) or after it (an allocation).  A snapshot is a
 * per-page observation: only the page's own is shown.  A page's history
 * goes on in the folio a collapse or a migration made of it: that op is
 * shown too.
 */
static bool op_matches(struct replay *r, const struct ps_op *op,
		       const struct ps_folio *f, const struct ps_state *before)
{
	if (r->comm)
		return op->pid > 0 &&
		       !strcmp(ps_trace_comm(r->t, op->pid), r->comm);
	if (op->kind == PS_OP_SNAPSHOT)
		return op->pfn == r->pfn;
	if (r->folio_only)
		return (f && f->pfn == r->pfn) ||
		       (before->live && before->head == r->pfn);
	if (op->pfn == r->pfn)
		return true;
	if (before->live && holds(before->head, before->order, r->pfn))
		return true;
	return (f && holds(f->pfn, f->order, r->pfn)) ||
	       made_from(f, op->ts, r->pfn);
}

static void timeline_hook(void *data, const struct ps_op *op,
			  const struct ps_folio *f,
			  const struct ps_state *before,
			  const struct ps_state *after)
{
	struct replay *r = data;

	if (!op_matches(r, op, f, before))
		return;
	print_op(r, op, f, after);
	r->printed++;
	if (f)
		print_new_lineage(f, op->ts, r->comm ? PS_PFN_NONE : r->pfn);
}

static void summary_hook(void *data, const struct ps_op *op,
			 const struct ps_folio *f,
			 const struct ps_state *before,
			 const struct ps_state *after)
{
	struct replay *r = data;

	if (op->kind == PS_OP_ALLOC && op->order >= 9)
		r->thp_allocs++;
}

static void folio_end(void *data, const struct ps_folio *f)
{
	struct replay *r = data;

	if (f->workload) {
		r->workload_folios++;
		if (f->order >= 9)
			r->workload_thps++;
	}
	if (f->state == PS_FOLIO_LIVE)
		r->ended_live++;
}

/*
 * Folio-era recordings: how often the folio's own counts were held
 * against ours, and what fork did that no probe could see.
 */
static void print_folio_era(const struct ps_engine_stats *s)
{
	printf("folio counts: %llu probe readings compared, %llu baselines "
	       "from readings\n", (unsigned long long)s->fobs_compared,
	       (unsigned long long)s->fobs_baselines);
	if (s->fobs_ref_compared)
		printf("folio refcounts: %llu probe readings against page_ref's, "
		       "%llu disagreeing\n",
		       (unsigned long long)s->fobs_ref_compared,
		       (unsigned long long)s->fobs_ref_mismatch);
	printf("fork PTE batches not observable: %llu (%llu sized by page_ref, "
	       "%llu settled from the folio's counts at its next probe, the "
	       "rest by their run)\n", (unsigned long long)s->fork_batches,
	       (unsigned long long)s->fork_sized,
	       (unsigned long long)s->fork_resyncs);
}

/*
 * A file cut short (recorder killed, disk full) says so and what it
 * lacks; a pagestate file without its end marker is cut too, even when
 * nothing marked it.
 */
static void print_partial(const struct ps_meta *m)
{
	static const struct { const char *key, *what; } parts[] = {
		{ "end", "the end marker" },
		{ "exit-snapshots", "exit snapshots after the cut" },
		{ "tail", "events after the cut" },
		{ "stats", "per-CPU lost-event counts" },
	};
	const char *missing;
	char why[32] = "?";
	size_t i, n = 0;

	if (!m->partial[0]) {
		if (m->pagestate && !m->complete)
			printf("partial:   yes, no end marker (recorder stopped before the end)\n");
		return;
	}
	sscanf(m->partial, PS_PARTIAL_KEY "%31s", why);
	printf("partial:   yes, %s; missing:",
	       !strcmp(why, "killed") ? "recorder killed, recovered" :
	       !strcmp(why, "disk-full") ? "disk full while recording" :
	       !strcmp(why, "io-error") ? "I/O error while recording" : why);
	missing = strstr(m->partial, "missing=");
	for (i = 0; missing && i < ARRAY_SIZE(parts); i++)
		if (strstr(missing, parts[i].key))
			printf("%s %s", n++ ? "," : "", parts[i].what);
	printf("%s\n", n ? "" : " unknown");
}

/* What the file is and which events it holds. */
static void print_recording(struct replay *r)
{
	const struct ps_meta *m = ps_trace_meta(r->t);
	const struct ps_engine_stats *s = ps_engine_stats(r->e);
	struct ps_event_count counts[256];
	int i, n;

	printf("file:      %s\n", ps_trace_path(r->t));
	printf("kernel:    %s\n", m->kernel[0] ? m->kernel : "unknown");
	printf("profile:   %s\n", m->pagestate ? m->profile :
	       "not a pagestate recording (no metadata)");
	if (m->cmd[0])
		printf("workload:  %s (%d tasks)\n", m->cmd, m->tasks);
	printf("records:   %llu\n",
	       (unsigned long long)ps_trace_nr_records(r->t));
	print_partial(m);

	printf("\nevents:\n");
	n = ps_trace_event_counts(r->t, counts, ARRAY_SIZE(counts));
	for (i = 0; i < n; i++)
		printf("  %-40s %10llu%s\n", counts[i].name,
		       (unsigned long long)counts[i].count,
		       counts[i].adapted ? "" : "  (not a page op)");

	printf("\npage ops:\n");
	for (i = 1; i < PS_OP_NR_KINDS; i++)
		if (s->ops[i])
			printf("  %-40s %10llu\n", ps_op_kind_name(i),
			       (unsigned long long)s->ops[i]);
}

static void print_folios(struct replay *r)
{
	const struct ps_engine_stats *s = ps_engine_stats(r->e);

	printf("\nfolios:\n");
	printf("  seen                 %llu\n", (unsigned long long)s->folios);
	printf("  THP allocations      %llu\n",
	       (unsigned long long)r->thp_allocs);
	printf("  live at end          %llu\n",
	       (unsigned long long)r->ended_live);
	printf("  max live at once     %llu\n",
	       (unsigned long long)s->max_live);
	printf("  unknown baseline     %llu (allocated before the recording)\n",
	       (unsigned long long)s->unknown);
	printf("  untraced allocations %llu (freed pages reused with no alloc "
	       "event, e.g. by compaction)\n",
	       (unsigned long long)s->untraced_allocs);
	printf("  workload folios      %llu (%llu THP)\n",
	       (unsigned long long)r->workload_folios,
	       (unsigned long long)r->workload_thps);
	printf("  splits               %llu (%llu inferred from remaps/frees)\n",
	       (unsigned long long)s->splits,
	       (unsigned long long)s->splits_inferred);
	printf("  collapses            %llu\n",
	       (unsigned long long)s->collapses);
	printf("  migrations           %llu\n",
	       (unsigned long long)s->migrations);
}

/* How far to trust the rest: lost events, anomalies, what is tracked. */
static void print_trust(struct replay *r)
{
	const struct ps_meta *m = ps_trace_meta(r->t);
	const struct ps_engine_stats *s = ps_engine_stats(r->e);
	u64 anomalies = 0, missed = ps_trace_missed(r->t);
	int i;

	printf("\nlost events: ");
	if (!m->have_cpustats && !missed && !ps_trace_missed_unknown(r->t))
		printf("unknown (no per-CPU stats in the file), "
		       "0 reported by the ring buffer\n");
	else
		printf("%llu overrun, %llu dropped (%s); "
		       "%llu missed in the data%s\n",
		       (unsigned long long)m->overrun,
		       (unsigned long long)m->dropped,
		       m->have_cpustats ? "per-CPU stats" :
		       "no per-CPU stats in the file",
		       (unsigned long long)missed,
		       ps_trace_missed_unknown(r->t) ?
		       " (plus pages with an unknown count)" : "");
	if (ps_trace_unwritten(r->t))
		printf("  of them %llu not in the file: the ring buffer handed "
		       "them out (CPUSTAT read events), the recorder did not "
		       "write them; when is unknown, so every break is "
		       "uncertain\n",
		       (unsigned long long)ps_trace_unwritten(r->t));

	for (i = 0; i < PS_ANOM_NR; i++)
		anomalies += s->anomalies[i];
	printf("engine anomalies: %llu\n", (unsigned long long)anomalies);
	for (i = 0; i < PS_ANOM_NR; i++)
		if (s->anomalies[i])
			printf("  %-28s %llu\n", ps_anomaly_name(i),
			       (unsigned long long)s->anomalies[i]);
	if (ps_trace_folio_counts(r->t))
		print_folio_era(s);
	if (ps_trace_folio_mm_ids(r->t))
		printf("folio mm ids: read by the probes (CONFIG_MM_ID, 7.x), "
		       "not modelled: per-mm mapcounts unknown\n");
	printf("tracked:   refcount %s, mapcount %s, pincount %s\n",
	       ps_engine_tracks(r->e) & PS_KNOWN_REFCOUNT ? "yes" :
	       "no (needs page_ref)",
	       !(ps_engine_tracks(r->e) & PS_KNOWN_MAPCOUNT) ?
	       "no (needs rmap probes)" : ps_trace_folio_counts(r->t) ?
	       "yes (large, entire, per page)" : "yes",
	       ps_engine_tracks(r->e) & PS_KNOWN_PINCOUNT ? "yes" :
	       "no (needs GUP probes)");
}

static void print_summary(struct replay *r)
{
	print_recording(r);
	print_folios(r);
	print_trust(r);
}

int cmd_replay(int argc, const char **argv)
{
	const char *pfn_s = NULL, *folio_s = NULL, *comm = NULL;
	int verify = 0, n, ret = PS_EXIT_OK;
	enum ps_parse_result res;
	const char *probe_map = NULL;
	int progress = 0;
	struct ps_option opts[] = {
		PS_OPT_STRING_F(0, "pfn", &pfn_s, "pfn",
			"timeline of the page PFN and the folios holding it"),
		PS_OPT_STRING_F(0, "folio", &folio_s, "pfn",
			"timeline of the folio whose head is PFN"),
		PS_OPT_STRING_F(0, "comm", &comm, "name",
			"timeline of every page op done by tasks named NAME"),
		PS_OPT_BOOL_F(0, "verify", &verify,
			"compare derived state with the exit snapshot"),
		PS_OPT_PROBE_MAP_F(&probe_map),
		PS_OPT_PROGRESS_F(&progress),
		PS_OPT_END_MARK,
	};
	struct replay r = { .pfn = PS_PFN_NONE };
	struct ps_verify *v = NULL;

	res = ps_parse_options(argc, argv, opts, replay_usage, &n, NULL);
	if (res != PS_PARSE_OK)
		return ps_parse_exit(res);
	if (probe_map && ps_trace_set_probe_map(probe_map))
		return PS_EXIT_USAGE;
	if (progress)
		ps_progress_set_mode(PS_PROGRESS_ON);
	if (ps_want_one_recording("replay", n, replay_usage, opts))
		return PS_EXIT_USAGE;
	if (!!pfn_s + !!folio_s + !!comm > 1) {
		ps_error("--pfn, --folio and --comm exclude each other");
		return PS_EXIT_USAGE;
	}
	if ((pfn_s && ps_parse_u64(pfn_s, &r.pfn)) ||
	    (folio_s && ps_parse_u64(folio_s, &r.pfn))) {
		ps_error("'%s' is not a pfn (want e.g. 0x12a400)",
			 pfn_s ? pfn_s : folio_s);
		return PS_EXIT_USAGE;
	}
	r.folio_only = folio_s != NULL;
	r.comm = comm;

	r.t = ps_trace_open(argv[0]);
	if (!r.t)
		return PS_EXIT_USAGE;
	r.e = ps_engine_new(ps_trace_tracks(r.t));
	ps_engine_add_hook(r.e, summary_hook, &r);
	ps_engine_set_end_hook(r.e, folio_end, &r);
	if (pfn_s || folio_s || comm)
		ps_engine_add_hook(r.e, timeline_hook, &r);
	if (verify)
		v = ps_verify_new(r.e);

	if (ps_trace_replay(r.t, apply_op, &r))
		ret = PS_EXIT_USAGE;
	ps_engine_finish(r.e);

	if (ret == PS_EXIT_OK) {
		if (pfn_s || folio_s || comm) {
			if (!r.printed)
				printf("no page ops %s %s in %s\n",
				       comm ? "by" : "on",
				       comm ? comm : (pfn_s ? pfn_s : folio_s),
				       argv[0]);
		} else if (!verify) {
			print_summary(&r);
		}
		if (v)
			ps_verify_print(v, stdout);
	}
	ps_verify_free(v);
	ps_engine_free(r.e);
	ps_trace_close(r.t);
	return ret;
}
