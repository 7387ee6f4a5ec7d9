// SPDX-License-Identifier: GPL-2.0
/*
 * The u64 map behind the engine's freed-pfn set and large-folio regions:
 * values survive growth, deleted keys are gone and their slots reused,
 * churn does not grow the table without bound.
 */
#include "pagestate/u64map.h"
#include "unit.h"

static void test_put_get_del(void)
{
	struct ps_u64map m = { 0 };
	u64 i;

	EXPECT_TRUE(ps_u64map_get(&m, 7) == NULL);
	for (i = 0; i < 100000; i++)
		*ps_u64map_put(&m, i * 4096) = i + 1;
	for (i = 0; i < 100000; i++) {
		u64 *v = ps_u64map_get(&m, i * 4096);

		EXPECT_TRUE(v && *v == i + 1);
	}
	ps_u64map_del(&m, 4096);
	EXPECT_TRUE(ps_u64map_get(&m, 4096) == NULL);
	EXPECT_TRUE(ps_u64map_get(&m, 8192) != NULL);
	*ps_u64map_put(&m, 4096) = 42;
	EXPECT_EQ(*ps_u64map_get(&m, 4096), 42);
	EXPECT_EQ(*ps_u64map_put(&m, 0), 1);	/* key 0 is a key */
	ps_u64map_free(&m);
}

static void test_churn_reuses_slots(void)
{
	struct ps_u64map m = { 0 };
	u64 i, cap;

	for (i = 0; i < 1000; i++)
		*ps_u64map_put(&m, i) = i;
	cap = m.cap;
	for (i = 0; i < 1000000; i++) {
		ps_u64map_del(&m, i % 1000);
		*ps_u64map_put(&m, i % 1000) = i;
	}
	EXPECT_EQ(m.cap, cap);
	EXPECT_EQ(*ps_u64map_get(&m, 999), 999999);
	ps_u64map_free(&m);
}

int main(void)
{
	RUN(test_put_get_del);
	RUN(test_churn_reuses_slots);
	return UNIT_EXIT();
}
