// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON encoder, see json.h.  Field names and shapes here are the
 * schema's (doc/report.schema.json): change both, and the version.
 */
#include <string.h>

#include "pagestate/check.h"
#include "pagestate/json.h"

json_t *ps_json_document(const char *kind)
{
	json_t *doc = json_object(), *tool = json_object();

	json_object_set_new(doc, "schema_version",
			    json_integer(PS_JSON_SCHEMA_VERSION));
	json_object_set_new(doc, "kind", json_string(kind));
	json_object_set_new(tool, "name", json_string("pagestate"));
	json_object_set_new(tool, "version", json_string(PAGESTATE_VERSION));
	json_object_set_new(doc, "tool", tool);
	return doc;
}

void ps_json_set_ts(json_t *o, const char *name, u64 ts)
{
	char key[64], s[40];

	snprintf(key, sizeof(key), "%s_ns", name);
	snprintf(s, sizeof(s), "%llu.%06llu",
		 (unsigned long long)(ts / 1000000000ull),
		 (unsigned long long)(ts % 1000000000ull / 1000));
	json_object_set_new(o, key, json_integer((json_int_t)ts));
	json_object_set_new(o, name, json_string(s));
}

static json_t *string_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *ps_json_recording(const char *path, const struct ps_meta *m,
			  u32 tracks, u64 records, u64 missed, u64 unwritten)
{
	json_t *o = json_object(), *lost = json_object(), *tr = json_object();

	json_object_set_new(o, "file", json_string(path));
	json_object_set_new(o, "kernel", string_or_null(m->kernel));
	json_object_set_new(o, "profile", m->pagestate ?
			    json_string(m->profile) : json_null());
	json_object_set_new(o, "workload", string_or_null(m->cmd));
	json_object_set_new(o, "records", json_integer((json_int_t)records));
	json_object_set_new(o, "cpus", json_integer(m->nr_cpus));
	json_object_set_new(lost, "overrun", m->have_cpustats ?
			    json_integer((json_int_t)m->overrun) : json_null());
	json_object_set_new(lost, "dropped", m->have_cpustats ?
			    json_integer((json_int_t)m->dropped) : json_null());
	json_object_set_new(lost, "missed", json_integer((json_int_t)missed));
	json_object_set_new(lost, "unwritten",
			    json_integer((json_int_t)unwritten));
	json_object_set_new(o, "lost", lost);
	json_object_set_new(tr, "refcount",
			    json_boolean(tracks & PS_KNOWN_REFCOUNT));
	json_object_set_new(tr, "mapcount",
			    json_boolean(tracks & PS_KNOWN_MAPCOUNT));
	json_object_set_new(tr, "pincount",
			    json_boolean(tracks & PS_KNOWN_PINCOUNT));
	json_object_set_new(o, "tracked", tr);
	return o;
}

json_t *ps_json_state(const struct ps_state *s)
{
	json_t *o = json_object(), *sub = json_array();
	bool map = s->known & PS_KNOWN_MAPCOUNT;

	json_object_set_new(o, "live", json_boolean(s->live));
	json_object_set_new(o, "order", json_integer(s->order));
	json_object_set_new(o, "refcount", ps_json_known(s->refcount,
				s->known & PS_KNOWN_REFCOUNT));
	json_object_set_new(o, "mapcount", ps_json_known(s->mapcount, map));
	json_object_set_new(o, "entire_mapcount",
			    ps_json_known(s->entire_mapcount, map));
	json_object_set_new(o, "subpage_mapcount",
			    ps_json_known(s->sub_mapcount, map));
	json_object_set_new(o, "pincount", ps_json_known(s->pincount,
				s->known & PS_KNOWN_PINCOUNT));
	json_object_set_new(o, "flags", ps_json_pg_flags(s->flags));
	if (s->sub_flags & PS_SUB_ANON_EXCLUSIVE)
		json_array_append_new(sub, json_string("anon_exclusive"));
	if (s->sub_flags & PS_SUB_MIGRATION)
		json_array_append_new(sub, json_string("migration_entry"));
	json_object_set_new(o, "subpage_flags", sub);
	return o;
}

json_t *ps_json_op(struct ps_trace *t, const struct ps_op *op)
{
	json_t *o = json_object();
	char detail[256];

	ps_json_set_ts(o, "ts", op->ts);
	json_object_set_new(o, "cpu", json_integer(op->cpu));
	json_object_set_new(o, "pid", json_integer(op->pid));
	json_object_set_new(o, "comm", json_string(ps_trace_comm(t, op->pid)));
	json_object_set_new(o, "op", json_string(ps_op_kind_name(op->kind)));
	json_object_set_new(o, "event",
			    json_string(ps_trace_event_name(t, op->event_id)));
	json_object_set_new(o, "pfn", op->pfn == PS_PFN_NONE ? json_null() :
			    ps_json_hex(op->pfn));
	ps_op_detail(op, detail, sizeof(detail));
	json_object_set_new(o, "detail", json_string(detail));
	json_object_set_new(o, "offset", json_integer((json_int_t)op->offset));
	json_object_set_new(o, "result", op->result_name ?
			    json_string(op->result_name) : json_null());
	return o;
}

json_t *ps_json_lineage(const struct ps_lineage *l)
{
	json_t *o = json_object();

	json_object_set_new(o, "kind",
			    json_string(ps_lineage_kind_name(l->kind)));
	json_object_set_new(o, "pfn", ps_json_hex(l->pfn));
	json_object_set_new(o, "order", json_integer(l->order));
	ps_json_set_ts(o, "ts", l->ts);
	json_object_set_new(o, "inferred", json_boolean(l->inferred));
	return o;
}

json_t *ps_json_verdict(const char *rule, enum ps_severity s,
			const char *what)
{
	json_t *o = json_object();

	json_object_set_new(o, "rule", json_string(rule));
	json_object_set_new(o, "severity", json_string(ps_severity_name(s)));
	json_object_set_new(o, "what", json_string(what));
	return o;
}

json_t *ps_json_stack(struct ps_trace *t, u64 offset)
{
	char buf[4096], *line, *save = NULL;
	json_t *a;

	if (!t || !offset || ps_trace_stack(t, offset, buf, sizeof(buf)) < 0)
		return json_null();
	a = json_array();
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		json_array_append_new(a, json_string(line));
	return a;
}

static json_t *holder_json(struct ps_trace *t, const struct ps_holder *r)
{
	json_t *o = json_object(), *foll = json_array();
	bool taken = r->ts && r->kind != PS_HOLD_UNEXPLAINED;

	json_object_set_new(o, "kind",
			    json_string(ps_holder_kind_name(r->kind)));
	json_object_set_new(o, "attribution",
			    json_string(ps_holder_how_name(r->how)));
	json_object_set_new(o, "refs", json_integer((json_int_t)r->refs));
	json_object_set_new(o, "merged", json_integer(r->count));
	json_object_set_new(o, "pid", taken ? json_integer(r->pid) :
			    json_null());
	json_object_set_new(o, "comm", taken && t ?
			    json_string(ps_trace_comm(t, r->pid)) :
			    json_null());
	if (taken) {
		ps_json_set_ts(o, "ts", r->ts);
	} else {
		json_object_set_new(o, "ts", json_null());
		json_object_set_new(o, "ts_ns", json_null());
	}
	json_object_set_new(o, "op", taken ?
			    json_string(ps_op_kind_name(r->op_kind)) :
			    json_null());
	json_object_set_new(o, "offset", taken ?
			    json_integer((json_int_t)r->offset) : json_null());
	json_object_set_new(o, "pfn", taken && r->pfn != PS_PFN_NONE ?
			    ps_json_hex(r->pfn) : json_null());
	json_object_set_new(o, "mm", r->mm ? ps_json_hex(r->mm) :
			    json_null());
	json_object_set_new(o, "addr", r->addr ? ps_json_hex(r->addr) :
			    json_null());
	if (r->op_flags & PS_OPF_PIN)
		json_array_append_new(foll, json_string("FOLL_PIN"));
	if (r->op_flags & PS_OPF_LONGTERM)
		json_array_append_new(foll, json_string("FOLL_LONGTERM"));
	json_object_set_new(o, "foll", foll);
	if (taken && (r->op_kind == PS_OP_CACHE_ADD ||
		      r->op_kind == PS_OP_CACHE_DEL)) {
		json_t *file = json_object();
		char dev[24];

		snprintf(dev, sizeof(dev), "%u:%u", r->dev >> 20,
			 r->dev & ((1u << 20) - 1));
		json_object_set_new(file, "dev", json_string(dev));
		json_object_set_new(file, "ino", ps_json_hex(r->ino));
		json_object_set_new(file, "index",
				    json_integer((json_int_t)r->index));
		json_object_set_new(o, "file", file);
	} else {
		json_object_set_new(o, "file", json_null());
	}
	json_object_set_new(o, "stack", ps_json_stack(t, r->stack_offset));
	return o;
}

json_t *ps_json_holders(struct ps_trace *t, const struct ps_holders *h)
{
	json_t *o, *rows;
	int i;

	if (!h || !h->valid)
		return json_null();
	o = json_object();
	rows = json_array();
	json_object_set_new(o, "folio", ps_json_hex(h->folio_pfn));
	json_object_set_new(o, "order", json_integer(h->order));
	json_object_set_new(o, "refcount", ps_json_known(h->refcount,
							 h->refcount_known));
	for (i = 0; i < h->nr; i++)
		json_array_append_new(rows, holder_json(t, &h->h[i]));
	json_object_set_new(o, "rows", rows);
	return o;
}

int ps_json_write(json_t *doc, FILE *out)
{
	if (json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER))
		return -1;
	return fputc('\n', out) == EOF ? -1 : 0;
}
