// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: a recording of untrusted bytes through
 * ps_trace_open() and ps_trace_replay() into the replay engine, as
 * `pagestate replay` reads it.  One source, three harnesses:
 *
 *   fuzz-kbuf        trace.dat through replay/kbuf.c (the default reader)
 *   fuzz-tracecmd    trace.dat through libtracecmd's iteration
 *                    (PAGESTATE_READER=libtracecmd)
 *   fuzz-text        ftrace text (replay/text.c)
 *
 * The SIGSEGV/SIGBUS/SIGFPE guard of the replay (replay/trace.c) is off here
 * for faults in pagestate's own code: it turns a fault into "corrupt
 * file, exit 2", which is right for users and would hide from the
 * fuzzer exactly what it is looking for.  It stays for faults in
 * libtraceevent and libtracecmd (kbuffer walking off a corrupt page
 * during libtracecmd's iteration, their header parsing): those are not
 * ours to fix, and the harness jumps back from them as pagestate would
 * exit 2.
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
	ps_trace_stall_secs = 3;	/* under libFuzzer's -timeout */
#ifdef FUZZ_TRACECMD
	setenv("PAGESTATE_READER", "libtracecmd", 1);
#endif
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_engine *e;
	struct ps_trace *t;
	char path[64];
	int fd;

	static sigjmp_buf jmp;

	fd = fuzz_file(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	/* libtracecmd crashed on the headers: pagestate said so, exit 2 */
	if (sigsetjmp(jmp, 1)) {
		ps_trace_fault_jmp = NULL;
		close(fd);
		return 0;
	}
	ps_trace_fault_jmp = &jmp;
	t = ps_trace_open(path);
	ps_trace_fault_jmp = NULL;
	if (t) {
		static struct ps_trace *st;
		static struct ps_engine *se;

		e = ps_engine_new(ps_trace_tracks(t));
		st = t;
		se = e;
		/* the reader went round in circles: pagestate said so, exit 2 */
		if (sigsetjmp(jmp, 1)) {
			ps_trace_fault_jmp = NULL;
			ps_engine_free(se);
			ps_trace_close(st);
			close(fd);
			return 0;
		}
		ps_trace_fault_jmp = &jmp;
		ps_trace_replay(t, apply, e);
		ps_trace_fault_jmp = NULL;
		ps_engine_finish(e);
		ps_engine_free(e);
		ps_trace_close(t);
	}
	close(fd);
	return 0;
}
