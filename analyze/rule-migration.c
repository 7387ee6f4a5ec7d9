// SPDX-License-Identifier: GPL-2.0
/*
 * migration-entry-left: every migration entry installed for a page is
 * removed again, in every mm that holds one, parent and child alike.
 * The 2010 fork-vs-migration race ("mm: fix race between fork and
 * migration", rmap walk missing the child's freshly copied entry) left
 * a migration entry in the child forever.  Real breaks:
 * tests/vm/patches/migrate-child-left.patch (PTE entries in the child)
 * and migrate-pmd-left.patch (a THP's PMD entry, remove_migration_pmd()
 * skipped).
 *
 * The bookkeeping is the kernel's: one entry per (mm, address), sets
 * and removes counted.  The set/remove tracepoints give only the
 * address; which mm's page table they wrote comes from the probes on
 * the rmap walk (try_to_migrate_one, remove_migration_pte: vma->vm_mm,
 * replay/adapters-kprobe.c).  After fork the same address is in parent
 * and child, so without the mm a parent's remove would cancel a
 * child's set.  A THP migrated whole has one PMD entry at its address
 * (thp:set_migration_pmd / remove_migration_pmd, written from inside
 * the same two walk calls): the same key, the same count.  fork copies
 * an entry without a set event (copy of a PTE migration entry is
 * inline: no probe), so an entry may see a remove it never saw set:
 * not a break.  An mm torn down while its entries are in place (a
 * child exiting mid-migration: exit_mmap zaps them, no remove event,
 * and the rmap walk no longer finds the vma) takes them with it:
 * forgotten, not left.
 *
 * Where no mm was observed (recordings without those probes, text
 * traces) entries of one address share the key 0, as before: no remove
 * at all is still a break; fewer removes than sets is uncertain, since
 * which mm holds the left one cannot be told.  A remove with no set
 * outstanding under its key while another key at the address has one
 * is counted there, and makes that entry's verdict uncertain too.
 */
#include <stdlib.h>
#include <string.h>

#include "pagestate/check.h"

extern const struct ps_rule rule_migration_entry_left;

struct entry {
	u64 mm;			/* 0: not observed */
	u64 addr;
	u64 pfn;
	int pid;		/* the migrating task: its batch sweeps it */
	s32 sets, removes;
	bool guessed;		/* a remove of another key was counted here */
	bool dying;		/* set in an mm exit_mmap() was tearing down */
	bool unsure;		/* lost events in its folio's life before it */
	struct ps_op op;	/* the (first) set */
	/* the folio it points at, around the set */
	bool has_folio;
	u64 folio_id;
	struct ps_state before, after;
	struct entry *next;
};

/* Which task an mm is: the last one seen faulting in a new anon page. */
struct mm_task {
	u64 mm;
	int pid;
	struct mm_task *next;
};

#define BUCKETS 1024

struct mig_priv {
	struct entry *b[BUCKETS];
	struct mm_task *tasks[BUCKETS];
	struct mm_task *dying[BUCKETS];	/* mms whose exit_mmap() began */
};

static unsigned int bucket(u64 addr)
{
	return (addr >> 12) % BUCKETS;
}

static struct entry **find(struct mig_priv *mp, u64 mm, u64 addr)
{
	struct entry **pp = &mp->b[bucket(addr)];

	while (*pp && ((*pp)->addr != addr || (*pp)->mm != mm))
		pp = &(*pp)->next;
	return pp;
}

/*
 * A remove that finds no set outstanding under its own key: if another
 * mm's entry at the address has one (unknown mm for a known set or the
 * reverse, or a remove that sorted before its own walk's probe event
 * when the task changed CPUs), it is counted there but marked, so a
 * verdict on that entry is never a break.
 */
static struct entry *find_other(struct mig_priv *mp, const struct entry *not,
				u64 addr)
{
	struct entry *en;

	for (en = mp->b[bucket(addr)]; en; en = en->next)
		if (en != not && en->addr == addr && en->removes < en->sets)
			return en;
	return NULL;
}

/* mm's slot in a table of mms (tasks, dying): its node, or where it goes */
static struct mm_task **mm_find(struct mm_task **table, u64 mm)
{
	struct mm_task **pp = &table[bucket(mm >> 6)];

	while (*pp && (*pp)->mm != mm)
		pp = &(*pp)->next;
	return pp;
}

static int mm_pid(struct mig_priv *mp, u64 mm)
{
	struct mm_task *mt = *mm_find(mp->tasks, mm);

	return mt ? mt->pid : 0;
}

static bool mm_dying(struct mig_priv *mp, u64 mm)
{
	return mm && *mm_find(mp->dying, mm);
}

/* A task faults in mm: it lives (a freed mm_struct reused by another). */
static void mm_lives(struct mig_priv *mp, u64 mm)
{
	struct mm_task **pp = mm_find(mp->dying, mm);
	struct mm_task *mt = *pp;

	if (mt) {
		*pp = mt->next;
		free(mt);
	}
}

static void mm_learn(struct mig_priv *mp, u64 mm, int pid)
{
	struct mm_task **pp = mm_find(mp->tasks, mm);

	if (!*pp) {
		*pp = ps_xcalloc(1, sizeof(**pp));
		(*pp)->mm = mm;
	}
	(*pp)->pid = pid;
}

/*
 * On the folio the entry points at: the one the set saw.  That folio has
 * often ended by the verdict (a migration source freed, a THP among
 * them), and its pfn may hold another by then: it is named as it was.
 */
static void report_left(struct ps_check *c, struct mig_priv *mp,
			struct entry *en, const char *when,
			enum ps_severity sev)
{
	const struct ps_folio *f = ps_folio_find(ps_check_engine(c), en->pfn);
	char who[96], what[256];
	int pid;

	if (en->mm) {
		struct ps_trace *t = ps_check_trace(c);

		pid = mm_pid(mp, en->mm);
		if (pid)
			snprintf(who, sizeof(who), "in mm 0x%llx (task %s[%d])",
				 (unsigned long long)en->mm,
				 t ? ps_trace_comm(t, pid) : "", pid);
		else
			snprintf(who, sizeof(who), "in mm 0x%llx",
				 (unsigned long long)en->mm);
	} else {
		snprintf(who, sizeof(who), "in an mm not recorded");
	}
	snprintf(what, sizeof(what), "migration entry at 0x%llx %s for pfn "
		 "0x%llx set %d time%s, removed %d, %s%s",
		 (unsigned long long)en->addr, who,
		 (unsigned long long)en->pfn, en->sets,
		 en->sets == 1 ? "" : "s", en->removes, when,
		 en->guessed ? " (a remove of another mm was counted here)" :
		 !en->mm && en->removes ? " (which mm holds the left one is "
					  "unknown)" : "");
	if (f && en->has_folio && f->id == en->folio_id) {
		ps_check_report(c, &rule_migration_entry_left, sev, &en->op,
				f, &en->before, &en->after, "%s", what);
		return;
	}
	if (sev == PS_SEV_BREAK &&
	    (en->unsure || ps_check_lost_since(c, en->op.ts)))
		sev = PS_SEV_UNCERTAIN;
	ps_check_report_ended(c, &rule_migration_entry_left, sev, &en->op,
			      en->has_folio ? en->after.head : en->pfn,
			      en->has_folio ? en->after.order : 0,
			      &en->before, &en->after, "%s", what);
}

/*
 * A left entry is a break when its mm was observed and every count on
 * it was of that mm, or when nothing at its address was ever removed;
 * else it may be another mm's entry that was removed: uncertain.
 */
static void judge(struct ps_check *c, struct mig_priv *mp, struct entry *en,
		  const char *when, enum ps_severity sev)
{
	/* exit_mmap() zaps it with the page tables, with no remove event */
	if (en->removes >= en->sets || en->dying)
		return;
	if (sev == PS_SEV_BREAK && en->removes &&
	    (!en->mm || en->guessed))
		sev = PS_SEV_UNCERTAIN;
	report_left(c, mp, en, when, sev);
}

/* Entries of pid's batch: judged, then forgotten. */
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
			judge(c, mp, en, when, sev);
			*pp = en->next;
			free(en);
		}
	}
}

static void mig_set(struct ps_check *c, struct mig_priv *mp,
		    const struct ps_op *op, const struct ps_folio *f,
		    const struct ps_state *before, const struct ps_state *after)
{
	struct entry **pp = find(mp, op->mm, op->addr);

	if (!*pp) {
		*pp = ps_xcalloc(1, sizeof(**pp));
		(*pp)->mm = op->mm;
		(*pp)->addr = op->addr;
		(*pp)->pfn = op->pfn;
		(*pp)->pid = op->pid;
		(*pp)->op = *op;
		if (f) {
			(*pp)->has_folio = true;
			(*pp)->folio_id = f->id;
			(*pp)->unsure = ps_check_folio_unsure(c, f);
			(*pp)->before = *before;
			(*pp)->after = *after;
		}
	}
	/*
	 * The rmap walk still finds a dying mm's vmas while its exit_mmap()
	 * runs (they go with free_pgtables()): an entry set there after the
	 * exit began is zapped with its page tables (migrate-fork on stock
	 * 7.2: a child exiting while the parent's move_pages() walked).
	 */
	if (mm_dying(mp, op->mm))
		(*pp)->dying = true;
	(*pp)->sets++;
}

static void mig_remove(struct mig_priv *mp, const struct ps_op *op)
{
	struct entry **pp = find(mp, op->mm, op->addr);
	struct entry *en = *pp;

	if (!en || en->removes >= en->sets) {
		struct entry *other = find_other(mp, en, op->addr);

		if (other) {
			other->guessed = true;
			en = other;
		}
	}
	/* no set seen in this mm: fork's copy of an entry */
	if (en)
		en->removes++;
}

/* exit_mmap(mm): its entries were zapped with its page tables. */
static void mig_mm_exit(struct mig_priv *mp, u64 mm)
{
	struct mm_task **dp = mm_find(mp->dying, mm);
	int i;

	if (mm && !*dp) {
		*dp = ps_xcalloc(1, sizeof(**dp));
		(*dp)->mm = mm;
	}

	for (i = 0; mm && i < BUCKETS; i++) {
		struct entry **pp = &mp->b[i];

		while (*pp) {
			struct entry *en = *pp;

			if (en->mm != mm) {
				pp = &en->next;
				continue;
			}
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

	switch (op->kind) {
	case PS_OP_MIGRATION_SET:
		mig_set(c, mp, op, f, before, after);
		break;
	case PS_OP_MIGRATION_REMOVE:
		mig_remove(mp, op);
		break;
	case PS_OP_RMAP_ADD:
		/* a fault maps a new anon page in the faulting task's mm */
		if ((op->flags & PS_OPF_NEW) && op->mm && op->pid > 0) {
			mm_learn(mp, op->mm, op->pid);
			mm_lives(mp, op->mm);
		}
		break;
	case PS_OP_MM_EXIT:
		mig_mm_exit(mp, op->mm);
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
	sweep(c, priv, 0, "at the end of the recording",
	      PS_SEV_UNCERTAIN);
}

static void mig_free(void *priv)
{
	struct mig_priv *mp = priv;
	int i;

	for (i = 0; i < BUCKETS; i++) {
		while (mp->b[i]) {
			struct entry *en = mp->b[i];

			mp->b[i] = en->next;
			free(en);
		}
		while (mp->tasks[i]) {
			struct mm_task *mt = mp->tasks[i];

			mp->tasks[i] = mt->next;
			free(mt);
		}
		while (mp->dying[i]) {
			struct mm_task *mt = mp->dying[i];

			mp->dying[i] = mt->next;
			free(mt);
		}
	}
}

const struct ps_rule rule_migration_entry_left = {
	.id = "migration-entry-left",
	.kernels = "all",
	.summary = "every migration entry set on a page is removed in every "
		   "mm that holds one once the migration ends",
	.source = "2010 \"mm: fix race between fork and migration\" "
		  "(migration entry left in the child)",
	.needs = "migrate:set_migration_pte and remove_migration_pte; "
		 "per mm: kprobes on try_to_migrate_one and "
		 "remove_migration_pte",
	.needs_any_event = { "migrate:set_migration_pte" },
	.op = mig_op,
	.end = mig_end,
	.priv_size = sizeof(struct mig_priv),
	.priv_free = mig_free,
};
