/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A map from u64 to u64 with open addressing and linear probing, for the
 * sets the engine keeps per pfn (freed pages) or per region (large
 * folios).  Keys are stored as key + 1, so an empty slot is 0 and a
 * deleted one ~0; every key but the two largest values may be used.
 * Deleted slots stay counted until the next growth rehashes them away,
 * so a probe always finds an empty slot.
 */
#ifndef PAGESTATE_U64MAP_H
#define PAGESTATE_U64MAP_H

#include "pagestate/pagestate.h"

struct ps_u64map_slot {
	u64 key;
	u64 val;
};

struct ps_u64map {
	struct ps_u64map_slot *slot;
	u64 used;		/* live + deleted slots */
	u64 cap;		/* power of two, or 0 before first use */
};

/* The value of key, or NULL. */
u64 *ps_u64map_get(const struct ps_u64map *m, u64 key);
/* The value of key, inserted as 0 when absent. */
u64 *ps_u64map_put(struct ps_u64map *m, u64 key);
void ps_u64map_del(struct ps_u64map *m, u64 key);
void ps_u64map_free(struct ps_u64map *m);

#endif
