/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A progress line on stderr while a recording is read (replay/progress.c):
 * "pagestate: reading FILE: 42% (85.1M events, 12 s)", shown once the
 * read has taken more than a second.  On a terminal it is rewritten in
 * place and erased at the end; elsewhere it is only printed when asked
 * for (--progress), one line every few seconds, so tests and pipes see
 * nothing they did not ask for.
 */
#ifndef PAGESTATE_PROGRESS_H
#define PAGESTATE_PROGRESS_H

#include "pagestate/pagestate.h"

enum ps_progress_mode {
	PS_PROGRESS_AUTO,	/* when stderr is a terminal */
	PS_PROGRESS_ON,
	PS_PROGRESS_OFF,
};

#define PS_PROGRESS_CPUS	256

struct ps_progress {
	bool on, tty, shown;
	const char *path;
	u64 size;		/* of the file */
	u64 start_ns, next_ns;
	/* how far each CPU's data has been read: a trace.dat keeps each
	 * CPU's pages together, so the sum of the spans is the share read */
	u64 first[PS_PROGRESS_CPUS], last[PS_PROGRESS_CPUS];
};

/* For every later read; the --progress option sets PS_PROGRESS_ON. */
void ps_progress_set_mode(enum ps_progress_mode mode);
#define PS_OPT_PROGRESS_F(v) \
	PS_OPT_BOOL_F(0, "progress", (v), \
		"progress line on stderr even when it is not a terminal")

void ps_progress_begin(struct ps_progress *p, const char *path);
void ps_progress_slow(struct ps_progress *p, u64 records);
void ps_progress_end(struct ps_progress *p);

/* Per record: cheap; looks at the clock every 64Ki records. */
static inline void ps_progress_note(struct ps_progress *p, u64 records,
				    int cpu, u64 offset)
{
	if (!p->on)
		return;
	if (cpu >= 0 && cpu < PS_PROGRESS_CPUS && offset) {
		if (!p->first[cpu] || offset < p->first[cpu])
			p->first[cpu] = offset;
		if (offset > p->last[cpu])
			p->last[cpu] = offset;
	}
	if (!(records & 0xffff))
		ps_progress_slow(p, records);
}

#endif /* PAGESTATE_PROGRESS_H */
