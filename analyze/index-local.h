/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Between the index builder (analyze/index-build.c) and the index file
 * (analyze/index-file.c); the rest of pagestate sees index.h only.
 */
#ifndef PAGESTATE_INDEX_LOCAL_H
#define PAGESTATE_INDEX_LOCAL_H

#include "pagestate/index.h"

/*
 * One replay of the recording at path with every rule and the indexer:
 * the arrays and header of its index, but for the identity fields
 * (src_*, exe_*), which are the caller's.  0, or -1 after an error.
 */
int ps_index_build(const char *path, ps_index_progress_fn progress,
		   void *data, struct ps_index_data *o);

/* The folio with head pfn and order alive at ts, in a by-pfn permutation. */
u32 ps_index_lookup(const struct ps_index_folio *folios, const u32 *by_pfn,
		    u32 n, u64 head, u32 order, u64 ts);

#endif /* PAGESTATE_INDEX_LOCAL_H */
