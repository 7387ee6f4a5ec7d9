// SPDX-License-Identifier: GPL-2.0
/*
 * migration-entry-left: every migration entry installed for a page is
 * removed again, in every mm that holds one, parent and child alike.
 * The 2010 fork-vs-migration race ("mm: fix race between fork and
 * migration", rmap walk missing the child's freshly copied entry) left
 * a migration entry in the child forever.  fork copies an entry without
 * a set_migration_pte event, so an address may see more removes than
 * sets; it must never see sets without removes once the batch ends.
 */
#include <stdlib.h>
#include <string.h>

#include "pagestate/check.h"

extern const struct ps_rule rule_migration_entry_left;

struct entry {
	u64 addr;
	u64 pfn;
	int pid;		/* who installed it */
	s32 sets, removes;
	struct ps_op op;	/* the (first) set */
	struct entry *next;
};

#define BUCKETS 1024

struct mig_priv {
	struct entry *b[BUCKETS];
};

static struct entry **find(struct mig_priv *mp, u64 addr)
{
	struct entry **pp = &mp->b[(addr >> 12) % BUCKETS];

	while (*pp && (*pp)->addr != addr)
		pp = &(*pp)->next;
	return pp;
}

static void report_left(struct ps_check *c, struct entry *en, const char *when,
			enum ps_severity sev)
{
	const struct ps_folio *f = ps_folio_find(ps_check_engine(c), en->pfn);
	struct ps_state st;

	ps_folio_state(f, en->pfn, &st);
	ps_check_report(c, &rule_migration_entry_left, sev, &en->op,
			f, &st, &st, "migration entry at 0x%llx for pfn 0x%llx "
			"set %d time%s, removed %d, %s",
			(unsigned long long)en->addr,
			(unsigned long long)en->pfn, en->sets,
			en->sets == 1 ? "" : "s", en->removes, when);
}

/* Entries of pid's batch: removed ones are done, others are left. */
static void sweep(struct ps_check *c, struct mig_priv *mp, int pid,
		  const char *when, enum ps_severity sev)
{
	int i;

	for (i = 0; i < BUCKETS; i++) {
		struct entry **pp = &mp->b[i];

		while (*pp) {
			struct entry *en = *pp;

			if (pid && en->pid != pid) {
				pp = &en->next;
				continue;
			}
			if (en->removes < 1)
				report_left(c, en, when, sev);
			*pp = en->next;
			free(en);
		}
	}
}

static void mig_op(struct ps_check *c, void *priv, const struct ps_op *op,
		   const struct ps_folio *f, const struct ps_state *before,
		   const struct ps_state *after)
{
	struct mig_priv *mp = priv;
	struct entry **pp;

	switch (op->kind) {
	case PS_OP_MIGRATION_SET:
		pp = find(mp, op->addr);
		if (!*pp) {
			*pp = ps_xcalloc(1, sizeof(**pp));
			(*pp)->addr = op->addr;
			(*pp)->pfn = op->pfn;
			(*pp)->pid = op->pid;
			(*pp)->op = *op;
		}
		(*pp)->sets++;
		break;
	case PS_OP_MIGRATION_REMOVE:
		pp = find(mp, op->addr);
		if (*pp)
			(*pp)->removes++;
		break;
	case PS_OP_MIGRATE_END:
		/* migrate_pages() returns only after remove_migration_ptes() */
		sweep(c, mp, op->pid, "when the migration batch ended",
		      PS_SEV_BREAK);
		break;
	default:
		break;
	}
}

static void mig_end(struct ps_check *c, void *priv)
{
	/* still in flight when the recording stopped: cannot tell */
	sweep(c, priv, 0, "at the end of the recording", PS_SEV_UNCERTAIN);
}

static void mig_free(void *priv)
{
	struct mig_priv *mp = priv;
	int i;

	for (i = 0; i < BUCKETS; i++)
		while (mp->b[i]) {
			struct entry *en = mp->b[i];

			mp->b[i] = en->next;
			free(en);
		}
}

const struct ps_rule rule_migration_entry_left = {
	.id = "migration-entry-left",
	.kernels = "all",
	.summary = "every migration entry set on a page is removed in every "
		   "mm that holds one once the migration ends",
	.source = "2010 \"mm: fix race between fork and migration\" "
		  "(migration entry left in the child)",
	.needs = "migrate:set_migration_pte and remove_migration_pte",
	.needs_any_event = { "migrate:set_migration_pte" },
	.op = mig_op,
	.end = mig_end,
	.priv_size = sizeof(struct mig_priv),
	.priv_free = mig_free,
};
