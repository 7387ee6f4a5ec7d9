// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the metadata markers (record/marker.c writes them as
 * ftrace print events "pagestate: KEYWORD key=value ...", the print
 * adapter of replay/adapters.c parses them: begin, layout, pageflags,
 * snap, task, exit, event, end).  Every line of the input becomes the
 * buffer of one print event of an ftrace text recording, which
 * replay/text.c turns into the same tep_record a trace.dat print event
 * is, so the bytes reach the marker parser and the engine behind it
 * without the trace.dat framing around them.
 */
#include <stdlib.h>
#include <string.h>

#include "pagestate/folio.h"
#include "pagestate/trace.h"
#include "fuzz.h"

static int apply(void *data, const struct ps_op *op)
{
	return ps_engine_apply(data, op) < 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ps_trace_fault_guard = false;
	return 0;
}

/* "pagestate-1 [000] 1.000001: print: 0xffffffff81000000: LINE" per line */
static size_t to_text(const uint8_t *data, size_t size, char *out)
{
	static const char head[] =
		"       pagestate-1     [000]     1.%06u: print:"
		"                0xffffffff81000000: ";
	size_t i = 0, n = 0;
	unsigned int line = 1;

	while (i < size) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t len = nl ? (size_t)(nl - data - i) : size - i;
		size_t j;

		n += sprintf(out + n, head, line++);
		for (j = 0; j < len; j++)	/* text has no NULs */
			out[n++] = data[i + j] ? data[i + j] : ' ';
		out[n++] = '\n';
		i += len + 1;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_engine *e;
	struct ps_trace *t;
	char path[64], *text;
	size_t n;
	int fd;

	if (size > 65536)
		return 0;
	/* each line gets a header of < 100 bytes */
	text = malloc(size + (size + 1) * 100 + 1);
	n = to_text(data, size, text);
	fd = fuzz_file((const uint8_t *)text, n, path, sizeof(path));
	free(text);
	if (fd < 0)
		return 0;
	t = ps_trace_open(path);
	if (t) {
		e = ps_engine_new(ps_trace_tracks(t));
		ps_trace_replay(t, apply, e);
		ps_engine_finish(e);
		ps_engine_free(e);
		ps_trace_close(t);
	}
	close(fd);
	return 0;
}
