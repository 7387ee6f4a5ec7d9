// SPDX-License-Identifier: GPL-2.0
/*
 * u64 -> u64 map, see u64map.h.
 */
#include <stdlib.h>

#include "pagestate/u64map.h"

#define DELETED	(~0ull)

static struct ps_u64map_slot *probe(const struct ps_u64map *m, u64 key)
{
	u64 k = key + 1, h = (k * 0x9e3779b97f4a7c15ull) >> 17;

	for (h &= m->cap - 1;; h = (h + 1) & (m->cap - 1))
		if (m->slot[h].key == k || !m->slot[h].key)
			return &m->slot[h];
}

static void grow(struct ps_u64map *m)
{
	struct ps_u64map_slot *old = m->slot;
	u64 i, cap = m->cap, live = 0;

	for (i = 0; i < cap; i++)
		live += old[i].key && old[i].key != DELETED;
	/*
	 * Full of deleted slots (a map of live things: insert, delete,
	 * insert...): rehash at the same size instead of doubling, or the
	 * table grows with every key it ever held.
	 */
	m->cap = !cap ? 1024 : 4 * live < cap ? cap : 2 * cap;
	m->slot = ps_xcalloc(m->cap, sizeof(*m->slot));
	m->used = 0;
	for (i = 0; i < cap; i++)
		if (old[i].key && old[i].key != DELETED) {
			*probe(m, old[i].key - 1) = old[i];
			m->used++;
		}
	free(old);
}

u64 *ps_u64map_get(const struct ps_u64map *m, u64 key)
{
	struct ps_u64map_slot *s;

	if (!m->cap)
		return NULL;
	s = probe(m, key);
	return s->key ? &s->val : NULL;
}

u64 *ps_u64map_put(struct ps_u64map *m, u64 key)
{
	struct ps_u64map_slot *s;

	if (2 * (m->used + 1) > m->cap)
		grow(m);
	s = probe(m, key);
	/* reuse a deleted slot on the way, when the key is new */
	if (!s->key) {
		u64 k = key + 1, h = (k * 0x9e3779b97f4a7c15ull) >> 17;

		for (h &= m->cap - 1; m->slot[h].key; h = (h + 1) & (m->cap - 1))
			if (m->slot[h].key == DELETED) {
				m->slot[h].key = k;
				m->slot[h].val = 0;
				return &m->slot[h].val;
			}
	}
	if (!s->key) {
		s->key = key + 1;
		s->val = 0;
		m->used++;
	}
	return &s->val;
}

void ps_u64map_del(struct ps_u64map *m, u64 key)
{
	struct ps_u64map_slot *s;

	if (!m->cap)
		return;
	s = probe(m, key);
	if (s->key)
		s->key = DELETED;
}

void ps_u64map_free(struct ps_u64map *m)
{
	free(m->slot);
	m->slot = NULL;
	m->used = m->cap = 0;
}
