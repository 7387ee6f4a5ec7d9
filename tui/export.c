// SPDX-License-Identifier: GPL-2.0
/*
 * e: one folio's timeline as JSON, written beside the recording as
 * <recording>.<pfn>.json, for a bug report or a script.  The encoder is
 * report's (analyze/json.c), the schema doc/report.schema.json (kind
 * "timeline").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pagestate/json.h"
#include "tui.h"

static json_t *changed_array(uint16_t ch)
{
	static const struct { uint16_t bit; const char *name; } names[] = {
		{ TL_CH_REF, "refcount" }, { TL_CH_MAP, "mapcount" },
		{ TL_CH_ENTIRE, "entire_mapcount" }, { TL_CH_PIN, "pincount" },
		{ TL_CH_FLAGS, "flags" }, { TL_CH_SUB, "subpages" },
		{ TL_CH_LIVE, "live" },
	};
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (ch & names[i].bit)
			json_array_append_new(a, json_string(names[i].name));
	return a;
}

/* A timeline row: the op, the state after it, what it changed. */
static json_t *row_json(struct tui *tui, const struct tl_row *r)
{
	json_t *e = ps_json_op(tui->t, &r->op);

	json_object_set_new(e, "after", ps_json_state(&r->after));
	json_object_set_new(e, "changed", changed_array(r->changed));
	if (r->ended)
		json_object_set_new(e, "ends_folio", json_true());
	if (r->finding >= 0) {
		const struct ps_index_finding *f = &tui->x->findings[r->finding];

		json_object_set_new(e, "finding", ps_json_verdict(f->rule,
					f->severity, f->what));
	}
	return e;
}

static json_t *folio_json(struct tui *tui, u32 folio)
{
	const struct ps_index *x = tui->x;
	const struct ps_index_folio *f = &x->folios[folio];
	json_t *o = json_object(), *lin = json_array();
	u32 first, n, i;

	json_object_set_new(o, "pfn", ps_json_hex(f->pfn));
	json_object_set_new(o, "order", json_integer(f->order));
	ps_json_set_ts(o, "born_ts", f->born_ts);
	json_object_set_new(o, "born_before_recording",
			    json_boolean(f->marks & PS_IDX_NO_BIRTH));
	ps_json_set_ts(o, "end_ts", f->end_ts);
	json_object_set_new(o, "end", json_string(tui_state_name(f->state)));
	json_object_set_new(o, "workload",
			    json_boolean(f->marks & PS_IDX_WORKLOAD));
	json_object_set_new(o, "pinned", json_boolean(f->marks & PS_IDX_PINNED));
	json_object_set_new(o, "events_lost_while_live",
			    json_boolean(f->marks & PS_IDX_LOST));
	n = ps_index_lineage_of(x, folio, &first);
	for (i = 0; i < n; i++) {
		const struct ps_index_lineage *l = &x->lineage[first + i];
		struct ps_lineage pl = {
			.kind = l->kind, .order = l->order,
			.pfn = l->parent_pfn, .ts = l->ts,
			.inferred = l->inferred,
		};

		json_array_append_new(lin, ps_json_lineage(&pl));
	}
	json_object_set_new(o, "lineage", lin);
	return o;
}

/* The recording as the index saw it (the TUI replays only parts of it). */
static json_t *recording_json(struct tui *tui)
{
	const struct ps_index_hdr *h = tui->x->hdr;
	u64 unwritten = 0, i;

	/* a LOST op of no CPU: events missing from the file (trace.c) */
	for (i = 0; i < h->nr_lost; i++)
		if (tui->x->lost[i].cpu < 0 && tui->x->lost[i].count > 0)
			unwritten += tui->x->lost[i].count;
	return ps_json_recording(tui->path, ps_trace_meta(tui->t), h->tracks,
				 h->nr_records, h->lost_events, unwritten);
}

/* Writes root to where; 0, or -1 with errno. */
static int write_file(json_t *root, const char *where)
{
	FILE *f = fopen(where, "w");
	int ret, err;

	if (!f)
		return -1;
	ret = ps_json_write(root, f);
	err = errno;
	if (fclose(f))
		ret = -1;
	else
		errno = err;
	return ret;
}

int tui_export(struct tui *tui, u32 folio, char *where, size_t size)
{
	const struct ps_index_folio *f = &tui->x->folios[folio];
	struct timeline *tl = tui_timeline(tui, folio);
	json_t *root, *events;
	u32 i;
	int ret;

	if (!tl) {
		snprintf(where, size, "cannot load the timeline");
		return -1;
	}
	root = ps_json_document("timeline");
	json_object_set_new(root, "recording", recording_json(tui));
	json_object_set_new(root, "folio", folio_json(tui, folio));
	events = json_array();
	for (i = 0; i < tl->nr_rows; i++)
		json_array_append_new(events, row_json(tui, &tl->rows[i]));
	json_object_set_new(root, "events", events);
	tui_timeline_put(tui, tl);

	snprintf(where, size, "%s.0x%llx.json", tui->path,
		 (unsigned long long)f->pfn);
	ret = write_file(root, where);
	if (ret) {
		/* the recording's directory is read-only: the current one */
		const char *base = strrchr(tui->path, '/');

		snprintf(where, size, "%s.0x%llx.json", base ? base + 1 :
			 tui->path, (unsigned long long)f->pfn);
		ret = write_file(root, where);
		if (ret)
			snprintf(where + strlen(where), size - strlen(where),
				 ": %s", strerror(errno));
	}
	json_decref(root);
	if (!ret) {
		char *real = realpath(where, NULL);

		if (real) {
			snprintf(where, size, "%s", real);
			free(real);
		}
	}
	return ret ? -1 : 0;
}
