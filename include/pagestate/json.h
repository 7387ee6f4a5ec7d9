/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one JSON encoder for ops, folio state, lineage and findings, used
 * by `report --json`, the TUI's timeline export and anything that writes
 * JSON next.  Every document it starts carries schema_version and kind
 * and is described by doc/report.schema.json; tests validate all of them
 * against it.
 *
 * Conventions, the same in every document: a time is two keys, X_ns
 * (integer nanoseconds of the trace clock) and X ("seconds.micros", as
 * the text outputs print it); pfns are "0x.." strings; a value the
 * recording cannot know is null, never a guess; severities are spelled
 * as `check` prints them: "BREAK", "info", "uncertain".
 */
#ifndef PAGESTATE_JSON_H
#define PAGESTATE_JSON_H

#include <stdio.h>

#include <jansson.h>

#include "pagestate/holders.h"
#include "pagestate/jsonutil.h"
#include "pagestate/rule.h"
#include "pagestate/trace.h"

/* Bumped when a field changes meaning or goes away. */
#define PS_JSON_SCHEMA_VERSION	2

/* {"schema_version", "kind", "tool"}: the head of every document. */
json_t *ps_json_document(const char *kind);
/* o[name] = "S.UUUUUU", o[name_ns] = ts */
void ps_json_set_ts(json_t *o, const char *name, u64 ts);
/*
 * What the recording at path says about itself; unwritten: of missed,
 * those the ring buffer handed out that the file lacks.
 */
json_t *ps_json_recording(const char *path, const struct ps_meta *m,
			  u32 tracks, u64 records, u64 missed, u64 unwritten);
json_t *ps_json_state(const struct ps_state *s);
/* One page op: time, task, kind, event, pfn, detail, result. */
json_t *ps_json_op(struct ps_trace *t, const struct ps_op *op);
json_t *ps_json_lineage(const struct ps_lineage *l);
/* {"rule", "severity", "what"}: what every finding object starts with */
json_t *ps_json_verdict(const char *rule, enum ps_severity s,
			const char *what);
/*
 * The holders of a folio at an event (holders.h): {"refcount", "rows"},
 * each row with kind, attribution, refs, taker and stack; null when no
 * folio held the page.
 */
/* The kernel stack recorded at offset, one string per frame; null if none. */
json_t *ps_json_stack(struct ps_trace *t, u64 offset);
json_t *ps_json_holders(struct ps_trace *t, const struct ps_holders *h);
/* Writes doc (and a newline); 0 or -1.  Does not take the reference. */
int ps_json_write(json_t *doc, FILE *out);

#endif /* PAGESTATE_JSON_H */
