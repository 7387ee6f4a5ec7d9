// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: a .psidx index file (analyze/index-file.c) of
 * untrusted bytes.  The TUI maps a cached index and trusts it once
 * ps_index_check() said yes, so the check must refuse everything that
 * would make a lookup read outside the mapping.  The identity the check
 * wants (size and mtime of the recording and of pagestate) is taken from
 * the input itself, so the fuzzer gets past it to the sections; then
 * every folio, lineage and lost-events lookup the TUI makes is run.
 */
#include <stdlib.h>
#include <string.h>

#include "pagestate/index.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_index x = { 0 };
	struct ps_index_hdr want = { 0 };
	u64 i;
	u32 first;
	void *map;

	/* mmap()ed in real use: page aligned */
	map = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	if (!map)
		return 0;
	memcpy(map, data, size);
	if (size >= sizeof(want))
		memcpy(&want, data, sizeof(want));
	x.map = map;
	x.map_size = size;
	if (ps_index_check(&x, &want)) {
		for (i = 0; i < x.hdr->nr_folios; i++) {
			const struct ps_index_folio *f = &x.folios[i];

			ps_index_folio_at(&x, f->pfn, f->order, f->born_ts);
			ps_index_lineage_of(&x, (u32)i, &first);
		}
		ps_index_lost_between(&x, 0, ~0ULL);
		ps_index_lost_between(&x, x.hdr->first_ts, x.hdr->last_ts);
	}
	free(map);
	return 0;
}
