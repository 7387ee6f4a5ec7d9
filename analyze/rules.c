// SPDX-License-Identifier: GPL-2.0
/*
 * The rule table.  One line per rule; each rule lives in its own
 * analyze/rule-*.c.
 */
#include <string.h>

#include "pagestate/rule.h"

extern const struct ps_rule rule_collapse_pinned;
extern const struct ps_rule rule_anon_exclusive_pinned;
extern const struct ps_rule rule_double_map;
extern const struct ps_rule rule_migration_entry_left;
extern const struct ps_rule rule_huge_zero_split;
extern const struct ps_rule rule_refcount_underflow;
extern const struct ps_rule rule_mapcount_underflow;
extern const struct ps_rule rule_free_while_used;
extern const struct ps_rule rule_use_after_free;
extern const struct ps_rule rule_pincount_vs_refcount;
extern const struct ps_rule rule_observed_vs_derived;
extern const struct ps_rule rule_end_state;
extern const struct ps_rule rule_folio_counts;
extern const struct ps_rule rule_anon_exclusive_once;

const struct ps_rule *const ps_rules[] = {
	&rule_collapse_pinned,
	&rule_anon_exclusive_pinned,
	&rule_double_map,
	&rule_migration_entry_left,
	&rule_huge_zero_split,
	&rule_refcount_underflow,
	&rule_mapcount_underflow,
	&rule_free_while_used,
	&rule_use_after_free,
	&rule_pincount_vs_refcount,
	&rule_observed_vs_derived,
	&rule_end_state,
	&rule_folio_counts,
	&rule_anon_exclusive_once,
	NULL,
};

const struct ps_rule *ps_rule_find(const char *id)
{
	int i;

	for (i = 0; ps_rules[i]; i++)
		if (!strcmp(ps_rules[i]->id, id))
			return ps_rules[i];
	return NULL;
}
