// SPDX-License-Identifier: GPL-2.0
/* The progress line of a long read: see include/pagestate/progress.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pagestate/progress.h"

#define PROGRESS_AFTER_NS	1000000000ull	/* quiet for the first second */
#define PROGRESS_TTY_NS		200000000ull
#define PROGRESS_LINE_NS	5000000000ull	/* not a tty: a line per 5 s */

static enum ps_progress_mode mode = PS_PROGRESS_AUTO;

void ps_progress_set_mode(enum ps_progress_mode m)
{
	mode = m;
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void ps_progress_begin(struct ps_progress *p, const char *path)
{
	struct stat st;

	memset(p, 0, sizeof(*p));
	p->tty = isatty(STDERR_FILENO);
	p->on = mode == PS_PROGRESS_ON || (mode == PS_PROGRESS_AUTO && p->tty);
	if (!p->on)
		return;
	p->path = path;
	p->size = stat(path, &st) ? 0 : (u64)st.st_size;
	p->start_ns = now_ns();
	p->next_ns = p->start_ns + PROGRESS_AFTER_NS;
	/* tests/t/replay-progress.sh: the line at once, not after a second */
	if (getenv("PAGESTATE_PROGRESS_AFTER_MS"))
		p->next_ns = p->start_ns + 1000000ull *
			strtoull(getenv("PAGESTATE_PROGRESS_AFTER_MS"), NULL, 10);
}

/* Share of the file read, in percent; -1 when unknown. */
static int percent(const struct ps_progress *p)
{
	u64 done = 0, start = ~0ull;
	int cpu;

	for (cpu = 0; cpu < PS_PROGRESS_CPUS; cpu++) {
		if (!p->first[cpu])
			continue;
		done += p->last[cpu] - p->first[cpu];
		if (p->first[cpu] < start)
			start = p->first[cpu];
	}
	if (start >= p->size || !done)
		return -1;
	done = done * 100 / (p->size - start);
	return done > 99 ? 99 : (int)done;
}

void ps_progress_slow(struct ps_progress *p, u64 records)
{
	u64 now = now_ns();
	char pct[8] = "";
	int n;

	if (now < p->next_ns)
		return;
	p->next_ns = now + (p->tty ? PROGRESS_TTY_NS : PROGRESS_LINE_NS);
	n = percent(p);
	if (n >= 0)
		snprintf(pct, sizeof(pct), "%d%% ", n);
	fprintf(stderr, "%spagestate: reading %s: %s(%.1fM events, %llu s)%s",
		p->tty ? "\r\033[K" : "", p->path, pct, records / 1e6,
		(unsigned long long)((now - p->start_ns) / 1000000000ull),
		p->tty ? "" : "\n");
	fflush(stderr);
	p->shown = true;
}

void ps_progress_end(struct ps_progress *p)
{
	if (p->on && p->shown && p->tty) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->on = false;
}
