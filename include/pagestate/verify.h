/* SPDX-License-Identifier: GPL-2.0 */
/*
 * End-state verification: derived folio state against the kernel's own
 * word at the workload's exit (the snapshot of /proc/kpagecount and
 * /proc/kpageflags the recorder took at exit-stop, see recording.h).
 *
 * Only pages whose whole history is in the recording count (we saw their
 * allocation); only fields the recording's sources track are compared:
 * liveness and folio shape always, mapcount when rmap or page_ref events
 * give it a baseline.  kpagecount is page_mapcount(), not _refcount, so
 * refcount is never compared here.
 */
#ifndef PAGESTATE_VERIFY_H
#define PAGESTATE_VERIFY_H

#include <stdio.h>

#include "pagestate/folio.h"

struct ps_verify;

struct ps_verify *ps_verify_new(struct ps_engine *e);
void ps_verify_free(struct ps_verify *v);

struct ps_verify_result {
	u64 pages;		/* exit-snapshot pages */
	u64 full;		/* ...with full history (M) */
	u64 agree;		/* ...agreeing on every compared field (N) */
	u64 no_history;		/* allocated before the recording started */
	u64 raced;		/* changed while the snapshot was being read */
	u64 mapcount_compared;	/* pages whose mapcount was compared */
};

void ps_verify_result(const struct ps_verify *v, struct ps_verify_result *r);

/* Called for each disagreement (the end-state rule reports them). */
typedef void (*ps_verify_mismatch_fn)(void *data, const struct ps_op *op,
				      const struct ps_folio *f,
				      const char *what);
void ps_verify_set_mismatch_hook(struct ps_verify *v, ps_verify_mismatch_fn fn,
				 void *data);
/* "agree N/M pages" and the first disagreements, one per line. */
void ps_verify_print(const struct ps_verify *v, FILE *f);

#endif
