/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to replay/: the ftrace text reader (replay/text.c).
 *
 * Text is what bug threads carry: /sys/kernel/tracing/trace with its
 * header, trace_pipe, `trace-cmd report` output, and all of them quoted
 * ("> ") or wrapped by a mail client.  The reader turns each event line
 * back into the binary record the kernel would have written, laid out by
 * the event's format, so the adapters (adapter.h) read it exactly as
 * they read a trace.dat.  Tracepoint formats come bundled
 * (replay/formats/, compiled into text-formats.c); kprobe events and
 * events we have no format for get a format made from the line's own
 * name=value pairs.
 */
#ifndef PAGESTATE_REPLAY_TEXT_H
#define PAGESTATE_REPLAY_TEXT_H

#include <stdbool.h>

#include "pagestate/pagestate.h"

struct tep_handle;
struct tep_record;
struct tracecmd_input;

struct ps_text_format {
	const char *system;
	const char *name;
	const char *text;	/* events/SYSTEM/NAME/format */
};
extern const struct ps_text_format ps_text_formats[];

struct ps_text;

/* Is path a file we should read as text (readable, not a trace.dat)? */
bool ps_text_detect(const char *path);

/*
 * Reads the file once to learn its events, cpus and tasks, builds a
 * tep_handle with their formats (owned by the reader) and prints what it
 * could not read (file:line).  NULL after printing an error.
 */
struct ps_text *ps_text_open(const char *path, struct tep_handle **tep,
			     int *nr_cpus);
void ps_text_close(struct ps_text *x);

/* Streams every event line as a record; rec->offset is its line number. */
int ps_text_iterate(struct ps_text *x,
		    int (*fn)(struct tracecmd_input *handle,
			      struct tep_record *rec, int cpu, void *data),
		    void *data);

#endif
