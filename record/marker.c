// SPDX-License-Identifier: GPL-2.0
/*
 * Metadata markers (include/pagestate/recording.h).  They go through our
 * instance's trace_marker, so each becomes an ftrace:print event in our
 * own buffer, timestamped among the kernel's events, and never lands in
 * the top-level buffer somebody else may be using.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pagestate/recording.h"
#include "record.h"

void ps_mark(struct ps_recorder *rec, const char *fmt, ...)
{
	char line[PS_MARK_MAX];
	size_t len = strlen(PS_MARK_PREFIX);
	va_list ap;

	memcpy(line, PS_MARK_PREFIX, len);
	va_start(ap, fmt);
	/* Only "begin ... cmd=" can be long; it is cut, never split. */
	vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	va_end(ap);

	if (tracefs_printf(rec->instance, "%s", line) < 0 && !rec->mark_failed) {
		rec->mark_failed = true;
		ps_warn("cannot write a marker to %s/trace_marker: %s; the recording will lack metadata",
			rec->instance_dir, strerror(errno));
	}
}

/* Values in marker lines never contain spaces (recording.h). */
void ps_comm_sanitize(char *comm)
{
	for (; *comm; comm++)
		if (isspace((unsigned char)*comm) || *comm == ',')
			*comm = '_';
}
