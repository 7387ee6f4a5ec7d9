// SPDX-License-Identifier: GPL-2.0
/*
 * e: one folio's timeline as JSON (Jansson), written beside the
 * recording as <recording>.<pfn>.json, for a bug report or a script.
 * Unknown values are null, never a guess.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pagestate/jsonutil.h"
#include "tui.h"

#define TUI_EXPORT_SCHEMA	"pagestate-tui-timeline/1"

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

static json_t *event_json(struct tui *tui, const struct tl_row *r)
{
	const struct ps_state *s = &r->after;
	json_t *e = json_object(), *after = json_object();
	char buf[256];

	json_object_set_new(e, "ts", json_integer((json_int_t)r->op.ts));
	tui_fmt_ts(r->op.ts, buf, sizeof(buf));
	json_object_set_new(e, "time", json_string(buf));
	json_object_set_new(e, "cpu", json_integer(r->op.cpu));
	json_object_set_new(e, "pid", json_integer(r->op.pid));
	json_object_set_new(e, "comm",
			    json_string(ps_trace_comm(tui->t, r->op.pid)));
	json_object_set_new(e, "op", json_string(ps_op_kind_name(r->op.kind)));
	json_object_set_new(e, "event", json_string(
				    ps_trace_event_name(tui->t,
							r->op.event_id)));
	json_object_set_new(e, "pfn", r->op.pfn == PS_PFN_NONE ? json_null() :
			    ps_json_hex(r->op.pfn));
	tl_op_detail(tui, &r->op, buf, sizeof(buf));
	json_object_set_new(e, "detail", json_string(buf));
	json_object_set_new(e, "offset", json_integer((json_int_t)r->op.offset));

	json_object_set_new(after, "live", json_boolean(s->live));
	json_object_set_new(after, "refcount",
			    ps_json_known(s->refcount, s->known & PS_KNOWN_REFCOUNT));
	json_object_set_new(after, "mapcount",
			    ps_json_known(s->mapcount, s->known & PS_KNOWN_MAPCOUNT));
	json_object_set_new(after, "entire_mapcount",
			    ps_json_known(s->entire_mapcount,
				  s->known & PS_KNOWN_MAPCOUNT));
	json_object_set_new(after, "pincount",
			    ps_json_known(s->pincount, s->known & PS_KNOWN_PINCOUNT));
	json_object_set_new(after, "flags", ps_json_pg_flags(s->flags));
	json_object_set_new(after, "subpage_anon_exclusive",
			    json_boolean(s->sub_flags & PS_SUB_ANON_EXCLUSIVE));
	json_object_set_new(e, "after", after);
	json_object_set_new(e, "changed", changed_array(r->changed));
	if (r->ended)
		json_object_set_new(e, "ends_folio", json_true());
	if (r->finding >= 0) {
		const struct ps_index_finding *f = &tui->x->findings[r->finding];
		json_t *fj = json_object();

		json_object_set_new(fj, "rule", json_string(f->rule));
		json_object_set_new(fj, "severity", json_string(
			f->severity == PS_SEV_BREAK ? "break" :
			f->severity == PS_SEV_INFO ? "info" : "uncertain"));
		json_object_set_new(fj, "what", json_string(f->what));
		json_object_set_new(e, "finding", fj);
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
	json_object_set_new(o, "born_ts", json_integer((json_int_t)f->born_ts));
	json_object_set_new(o, "born_before_recording",
			    json_boolean(f->marks & PS_IDX_NO_BIRTH));
	json_object_set_new(o, "end_ts", json_integer((json_int_t)f->end_ts));
	json_object_set_new(o, "end", json_string(tui_state_name(f->state)));
	json_object_set_new(o, "workload",
			    json_boolean(f->marks & PS_IDX_WORKLOAD));
	json_object_set_new(o, "pinned", json_boolean(f->marks & PS_IDX_PINNED));
	json_object_set_new(o, "events_lost_while_live",
			    json_boolean(f->marks & PS_IDX_LOST));
	n = ps_index_lineage_of(x, folio, &first);
	for (i = 0; i < n; i++) {
		const struct ps_index_lineage *l = &x->lineage[first + i];
		json_t *lj = json_object();

		json_object_set_new(lj, "kind",
				    json_string(ps_lineage_kind_name(l->kind)));
		json_object_set_new(lj, "parent_pfn", ps_json_hex(l->parent_pfn));
		json_object_set_new(lj, "parent_order", json_integer(l->order));
		json_object_set_new(lj, "ts", json_integer((json_int_t)l->ts));
		json_object_set_new(lj, "inferred", json_boolean(l->inferred));
		json_array_append_new(lin, lj);
	}
	json_object_set_new(o, "lineage", lin);
	return o;
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
	root = json_object();
	json_object_set_new(root, "schema", json_string(TUI_EXPORT_SCHEMA));
	json_object_set_new(root, "recording", json_string(tui->path));
	json_object_set_new(root, "kernel",
			    json_string(tui->x->hdr->kernel));
	json_object_set_new(root, "folio", folio_json(tui, folio));
	events = json_array();
	for (i = 0; i < tl->nr_rows; i++)
		json_array_append_new(events, event_json(tui, &tl->rows[i]));
	json_object_set_new(root, "events", events);
	tui_timeline_put(tui, tl);

	snprintf(where, size, "%s.0x%llx.json", tui->path,
		 (unsigned long long)f->pfn);
	ret = json_dump_file(root, where, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (ret) {
		/* the recording's directory is read-only: the current one */
		const char *base = strrchr(tui->path, '/');

		snprintf(where, size, "%s.0x%llx.json", base ? base + 1 :
			 tui->path, (unsigned long long)f->pfn);
		ret = json_dump_file(root, where,
				     JSON_INDENT(1) | JSON_PRESERVE_ORDER);
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
