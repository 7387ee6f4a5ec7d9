// SPDX-License-Identifier: GPL-2.0
/*
 * The rules on hand-built op sequences: for each, the case where the
 * kernel broke the invariant and the one where it did its job.  The real
 * positives of collapse-pinned and anon-exclusive-pinned come from broken
 * kernels (tests/t/vm-broken.sh); these cover every rule, those included.
 */
#include <stdlib.h>
#include <string.h>

#include "pagestate/check.h"
#include "unit.h"

#define ALL (PS_KNOWN_REFCOUNT | PS_KNOWN_MAPCOUNT | PS_KNOWN_PINCOUNT)

static u64 now;

static struct ps_check *start(const char *rule)
{
	struct ps_check *c = ps_check_new(NULL, rule, true);

	now = 1000;
	ps_check_begin(c, ALL);
	return c;
}

static struct ps_op mk(enum ps_op_kind kind, u64 pfn, u32 order)
{
	struct ps_op op = {
		.ts = now += 1000, .kind = kind, .pfn = pfn, .order = order,
		.pid = 100, .event_id = -1,
	};
	return op;
}

static void feed(struct ps_check *c, enum ps_op_kind kind, u64 pfn,
		 u32 order, u32 flags)
{
	struct ps_op op = mk(kind, pfn, order);

	op.flags = flags;
	ps_check_apply(c, &op);
}

/* Number of findings of severity sev, after the end-of-recording checks. */
static int finish(struct ps_check *c, enum ps_severity sev)
{
	int i, n = 0;

	ps_check_end(c);
	for (i = 0; i < ps_check_nr_findings(c); i++)
		n += ps_check_finding(c, i)->severity == sev;
	ps_check_free(c);
	return n;
}

/*
 * collapse-pinned: after a successful isolation, the collapsing task
 * drops the old page's PTE (page_remove_rmap) while a pin, or refs
 * references beyond the mapping's and the isolation's, still hold it.
 */
static void collapse_refs(struct ps_check *c, bool pinned, int refs,
			  int result)
{
	struct ps_op op;

	feed(c, PS_OP_ALLOC, 0x1000, 0, 0);
	feed(c, PS_OP_RMAP_ADD, 0x1000, 0, PS_OPF_ANON | PS_OPF_EXCLUSIVE);
	if (pinned)
		feed(c, PS_OP_PIN, 0x1000, 0, 0);
	op = mk(PS_OP_REF, 0x1000, 0);
	op.val = refs;
	ps_check_apply(c, &op);
	op = mk(PS_OP_COLLAPSE_ISOLATE, 0x1000, 0);
	op.result = 1;
	op.result_name = "succeeded";
	op.pid = 200;
	ps_check_apply(c, &op);
	/* isolate_lru_page()'s reference */
	op = mk(PS_OP_REF, 0x1000, 0);
	op.val = 1;
	op.pid = 200;
	ps_check_apply(c, &op);
	op = mk(PS_OP_RMAP_REMOVE, 0x1000, 0);
	op.pid = 200;
	op.flags = PS_OPF_ANON;
	ps_check_apply(c, &op);
	op = mk(PS_OP_COLLAPSE, PS_PFN_NONE, 0);
	op.pid = 200;
	op.result = result;
	op.result_name = result == 1 ? "succeeded" : "not_suitable_page_count";
	ps_check_apply(c, &op);
}

static void collapse(struct ps_check *c, bool pinned, int result)
{
	collapse_refs(c, pinned, 0, result);
}

/*
 * The shmem/file path (collapse-file-broken): collapse_file() begins,
 * takes its lookup and isolation references and unmaps the old page
 * while the page cache's is still there; the scan's result ends it.
 */
static void collapse_file_refs(struct ps_check *c, bool pinned, int refs,
			       const char *result)
{
	struct ps_op op;

	feed(c, PS_OP_ALLOC, 0x1000, 0, 0);	/* the page cache's reference */
	op = mk(PS_OP_RMAP_ADD, 0x1000, 0);
	op.flags = PS_OPF_FILE;
	ps_check_apply(c, &op);
	op = mk(PS_OP_REF, 0x1000, 0);		/* the mapping's */
	op.val = 1 + refs;
	ps_check_apply(c, &op);
	if (pinned)
		feed(c, PS_OP_PIN, 0x1000, 0, 0);
	op = mk(PS_OP_COLLAPSE_BEGIN, PS_PFN_NONE, 0);
	op.flags = PS_OPF_FILE;
	op.pid = 200;
	ps_check_apply(c, &op);
	op = mk(PS_OP_REF, 0x1000, 0);		/* lookup + isolate_lru_page() */
	op.val = 2;
	op.pid = 200;
	ps_check_apply(c, &op);
	op = mk(PS_OP_RMAP_REMOVE, 0x1000, 0);
	op.pid = 200;
	op.flags = PS_OPF_FILE;
	ps_check_apply(c, &op);
	/* an anon collapse's end in the same task leaves the window open */
	op = mk(PS_OP_COLLAPSE, PS_PFN_NONE, 0);
	op.pid = 200;
	op.result = 1;
	op.result_name = "succeeded";
	ps_check_apply(c, &op);
	op.flags = PS_OPF_FILE;
	op.ts = now += 1000;
	op.result = !strcmp(result, "succeeded") ? 1 : 14;
	op.result_name = result;
	ps_check_apply(c, &op);
}

static void test_collapse_file_pinned(void)
{
	struct ps_check *c = start("collapse-pinned");

	collapse_file_refs(c, true, 0, "succeeded");
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);
	c = start("collapse-pinned");
	collapse_file_refs(c, true, 0, "pte_mapped_hugepage");
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);
	/* the three references collapse_file() expects: fine */
	c = start("collapse-pinned");
	collapse_file_refs(c, false, 0, "succeeded");
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 0);
	/* one more (a FOLL_GET): a break */
	c = start("collapse-pinned");
	collapse_file_refs(c, false, 1, "succeeded");
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);
	/* refused by the kernel: info, and no break */
	c = start("collapse-pinned");
	collapse_file_refs(c, true, 0, "not_suitable_page_count");
	ps_check_end(c);
	EXPECT_EQ(ps_check_nr_findings(c), 1);
	EXPECT_EQ(ps_check_nr_findings(c) ? (int)ps_check_finding(c, 0)->severity : -1,
		  PS_SEV_INFO);
	ps_check_free(c);
}

static void test_collapse_pinned(void)
{
	struct ps_check *c = start("collapse-pinned");

	collapse(c, true, 1);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);
	c = start("collapse-pinned");
	collapse(c, false, 1);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 0);
	/*
	 * One reference no mapping, swap cache or isolation explains (a
	 * FOLL_GET, an io in flight) is the page-shared-across-fork case
	 * is_refcount_suitable() refuses: a break, not forgiven.
	 */
	c = start("collapse-pinned");
	collapse_refs(c, false, 1, 1);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);
	/* refused by the kernel: info, and no break */
	c = start("collapse-pinned");
	collapse(c, true, 14);
	ps_check_end(c);
	EXPECT_EQ(ps_check_nr_findings(c), 1);
	EXPECT_EQ(ps_check_nr_findings(c) ? (int)ps_check_finding(c, 0)->severity : -1,
		  PS_SEV_INFO);
	ps_check_free(c);
}

static void pin_anon(struct ps_check *c, bool exclusive)
{
	struct ps_op op;

	feed(c, PS_OP_ALLOC, 0x2000, 0, 0);
	feed(c, PS_OP_RMAP_ADD, 0x2000, 0, PS_OPF_ANON | PS_OPF_EXCLUSIVE);
	op = mk(PS_OP_PIN, 0x2000, 0);
	op.val = 1;
	op.flags = PS_OPF_PIN | PS_OPF_HAS_OBS_FLAGS | PS_OPF_OBS_BEFORE;
	op.obs_flags = PS_PG_ANON | (exclusive ? PS_PG_MAPPEDTODISK : 0);
	op.pid = 300;
	ps_check_apply(c, &op);
}

static void test_anon_exclusive_pinned(void)
{
	struct ps_check *c = start("anon-exclusive-pinned");
	struct ps_op op;

	pin_anon(c, false);		/* pinned while not exclusive */
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);

	c = start("anon-exclusive-pinned");
	pin_anon(c, false);		/* GUP-fast's grab and drop */
	op = mk(PS_OP_UNPIN, 0x2000, 0);
	op.pid = 300;
	ps_check_apply(c, &op);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 0);

	c = start("anon-exclusive-pinned");
	pin_anon(c, true);
	feed(c, PS_OP_FORK_DUP, 0x2000, 0, 0);	/* fork shares it */
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);

	c = start("anon-exclusive-pinned");
	pin_anon(c, true);		/* exclusive, kept: fine */
	feed(c, PS_OP_UNPIN, 0x2000, 0, 0);
	feed(c, PS_OP_FORK_DUP, 0x2000, 0, 0);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 0);
}

/*
 * The PMD path (custom-fork-pmd-broken): copy_huge_pmd() shares a pinned,
 * PMD-mapped THP with the child.  Its FORK_DUP carries the child's mm
 * (op.mm) and the parent's (val2); the break names the child once its
 * pid shows, by the recorder's task marker or an op in its mm.
 */
#define THP 0x8000

static void pin_thp(struct ps_check *c, bool unpin)
{
	struct ps_op op;

	feed(c, PS_OP_ALLOC, THP, 9, 0);
	op = mk(PS_OP_RMAP_ADD, THP, 0);
	op.flags = PS_OPF_ANON | PS_OPF_EXCLUSIVE | PS_OPF_COMPOUND |
		   PS_OPF_NEW;
	op.mm = 0xa000;
	op.pid = 300;
	ps_check_apply(c, &op);
	op = mk(PS_OP_PIN, THP, 0);
	op.val = 1;
	op.flags = PS_OPF_PIN | PS_OPF_HAS_OBS_FLAGS | PS_OPF_OBS_BEFORE;
	op.obs_flags = PS_PG_ANON | PS_PG_MAPPEDTODISK | PS_PG_COMPOUND_HEAD;
	op.pid = 300;
	ps_check_apply(c, &op);
	if (unpin) {
		op.kind = PS_OP_UNPIN;
		op.ts = now += 1000;
		ps_check_apply(c, &op);
	}
	op = mk(PS_OP_FORK_DUP, THP, 0);
	op.flags = PS_OPF_COMPOUND;
	op.mm = 0xb000;
	op.val2 = 0xa000;
	op.pid = 300;
	ps_check_apply(c, &op);
}

/* The one finding's text names @child (NULL: no finding expected). */
static void expect_thp_break(struct ps_check *c, const char *child)
{
	const struct ps_finding *fi;
	int i, n = 0;

	ps_check_end(c);
	for (i = 0; i < ps_check_nr_findings(c); i++) {
		fi = ps_check_finding(c, i);
		if (fi->severity != PS_SEV_BREAK)
			continue;
		n++;
		EXPECT_EQ(fi->folio_pfn, (u64)THP);
		EXPECT_EQ(fi->order, 9u);
		EXPECT_EQ(fi->op.pid, 300);
		EXPECT_TRUE(child && strstr(fi->what, child) != NULL);
		EXPECT_TRUE(strstr(fi->what, "the parent's mm 0xa000") != NULL);
	}
	EXPECT_EQ(n, child ? 1 : 0);
	ps_check_free(c);
}

static void test_anon_exclusive_pinned_pmd(void)
{
	struct ps_check *c = start("anon-exclusive-pinned");
	struct ps_op op;

	/* the recorder's task marker: pid 301, ppid 300 */
	pin_thp(c, false);
	EXPECT_EQ(ps_check_nr_findings(c), 0);	/* held for the child */
	op = mk(PS_OP_TASK, PS_PFN_NONE, 0);
	op.pid = 301;
	op.val = 300;
	ps_check_apply(c, &op);
	expect_thp_break(c, "with the child (task [301], mm 0xb000)");

	/* no marker: the child's first fault in its mm */
	c = start("anon-exclusive-pinned");
	pin_thp(c, false);
	op = mk(PS_OP_RMAP_ADD, 0x9000, 0);
	op.flags = PS_OPF_ANON | PS_OPF_EXCLUSIVE | PS_OPF_NEW;
	op.mm = 0xa000;		/* the parent's mm: not the child */
	op.pid = 302;
	ps_check_apply(c, &op);
	op.mm = 0xb000;
	op.pid = 301;
	op.ts = now += 1000;
	ps_check_apply(c, &op);
	expect_thp_break(c, "(task [301], mm 0xb000)");

	/* the child never showed: reported at the end all the same */
	c = start("anon-exclusive-pinned");
	pin_thp(c, false);
	expect_thp_break(c, "(task unknown, mm 0xb000)");

	/* unpinned before the fork: sharing the PMD is what fork does */
	c = start("anon-exclusive-pinned");
	pin_thp(c, true);
	expect_thp_break(c, NULL);
}

/*
 * cow.c on 6.12: slow GUP pins a page of a PTE-mapped mTHP through
 * try_grab_folio(folio, ...), which is told only the folio.  The head
 * page is mapped but not exclusive: which page was pinned, and whether a
 * write fault reused (and so re-marked) it, no probe saw.  Uncertain,
 * whatever our model of the other pages says; a pin told the page
 * (pin_anon() above) still breaks.
 */
static void pin_mthp_by_folio(struct ps_check *c, bool other_exclusive)
{
	struct ps_op op;

	feed(c, PS_OP_ALLOC, 0x3000, 2, 0);
	feed(c, PS_OP_RMAP_ADD, 0x3000, 0, PS_OPF_ANON);
	feed(c, PS_OP_RMAP_ADD, 0x3001, 0, PS_OPF_ANON |
	     (other_exclusive ? PS_OPF_EXCLUSIVE : 0));
	op = mk(PS_OP_PIN, 0x3000, 0);
	op.val = 1;
	op.flags = PS_OPF_PIN | PS_OPF_FOLIO_ONLY | PS_OPF_HAS_OBS_FLAGS |
		   PS_OPF_OBS_BEFORE;
	op.obs_flags = PS_PG_ANON;	/* the head's flags: not exclusive */
	op.pid = 300;
	ps_check_apply(c, &op);
	feed(c, PS_OP_RMAP_REMOVE, 0x3001, 0, PS_OPF_ANON);
}

static void test_anon_exclusive_folio_pin(void)
{
	struct ps_check *c = start("anon-exclusive-pinned");

	pin_mthp_by_folio(c, true);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 0);
	c = start("anon-exclusive-pinned");
	pin_mthp_by_folio(c, false);
	EXPECT_EQ(finish(c, PS_SEV_UNCERTAIN), 1);
}

/*
 * An exit snapshot's /proc/kpageflags of a pinned, exclusive page.  On
 * 6.10+ a tail page reads its folio's flags word, so its
 * KPF_MAPPEDTODISK is the head's anon_exclusive (cow.c on custom-6.12:
 * a false "cleared while pinned" on 0xb0e9 of the order-2 0xb0e8): no
 * verdict.  An order-0 page's own bit, read clear, still breaks.
 */
static void snapshot_pinned(struct ps_check *c, u64 head, u32 order, u64 pfn)
{
	struct ps_op op;

	feed(c, PS_OP_ALLOC, head, order, 0);
	feed(c, PS_OP_RMAP_ADD, pfn, 0, PS_OPF_ANON | PS_OPF_EXCLUSIVE);
	op = mk(PS_OP_PIN, pfn, 0);
	op.val = 1;
	op.flags = PS_OPF_PIN | PS_OPF_HAS_OBS_FLAGS | PS_OPF_OBS_BEFORE;
	op.obs_flags = PS_PG_ANON | PS_PG_MAPPEDTODISK;
	ps_check_apply(c, &op);
	op = mk(PS_OP_SNAPSHOT, pfn, 0);
	op.flags = PS_OPF_HAS_OBS_FLAGS;
	op.obs_flags = PS_PG_ANON | PS_PG_MMAP | (pfn != head ?
		       PS_PG_COMPOUND_TAIL : 0);
	op.obs_mapcount = 1;
	ps_check_apply(c, &op);
}

static void test_anon_exclusive_snapshot(void)
{
	struct ps_check *c = start("anon-exclusive-pinned");

	snapshot_pinned(c, 0xb0e8, 2, 0xb0e9);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 0);
	c = start("anon-exclusive-pinned");
	snapshot_pinned(c, 0xb0e8, 0, 0xb0e8);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);
}

/*
 * 6.1 DoubleMap: the kernel's +1 bias seen with no PMD mapping left;
 * and none seen while one PMD and PTEs map the THP.
 */
static void test_double_map(void)
{
	struct ps_check *c;
	struct ps_op op;
	int bias;

	for (bias = 0; bias < 2; bias++) {
		c = start("double-map");
		feed(c, PS_OP_ALLOC, 0x200000, 9, 0);
		feed(c, PS_OP_RMAP_ADD, 0x200000, 0, PS_OPF_ANON |
		     PS_OPF_COMPOUND);
		feed(c, PS_OP_SPLIT_PMD, 0x200000, 9, PS_OPF_DROPS_ENTIRE);
		op = mk(PS_OP_RMAP_REMOVE, 0x200005, 0);
		op.flags = PS_OPF_ANON | PS_OPF_OBS_BEFORE |
			   PS_OPF_HAS_OBS_MAPCOUNT;
		op.obs_mapcount = 1 + bias;	/* bias: stale DoubleMap */
		ps_check_apply(c, &op);
		/* the observed and the derived count, both in the finding */
		if (bias)
			EXPECT_TRUE(ps_check_nr_findings(c) &&
				    strstr(ps_check_finding(c, 0)->what,
					   "(kernel 2, PTE mappings 1)"));
		EXPECT_EQ(finish(c, PS_SEV_BREAK), bias);

		/* two PMDs, one split: the other's unmap reads the head */
		c = start("double-map");
		feed(c, PS_OP_ALLOC, 0x200000, 9, 0);
		feed(c, PS_OP_RMAP_ADD, 0x200000, 0, PS_OPF_ANON |
		     PS_OPF_COMPOUND);
		feed(c, PS_OP_RMAP_ADD, 0x200000, 0, PS_OPF_ANON |
		     PS_OPF_COMPOUND);
		feed(c, PS_OP_SPLIT_PMD, 0x200000, 9, PS_OPF_DROPS_ENTIRE);
		op = mk(PS_OP_RMAP_REMOVE, 0x200000, 0);
		op.flags = PS_OPF_ANON | PS_OPF_COMPOUND | PS_OPF_OBS_BEFORE |
			   PS_OPF_HAS_OBS_MAPCOUNT;
		op.obs_mapcount = 1 + bias;	/* !bias: never set */
		ps_check_apply(c, &op);
		if (!bias)
			EXPECT_TRUE(ps_check_nr_findings(c) &&
				    strstr(ps_check_finding(c, 0)->what,
					   "without PageDoubleMap (kernel 1, "
					   "PTE mappings 1)"));
		EXPECT_EQ(finish(c, PS_SEV_BREAK), !bias);
	}
}

static void test_migration_entry_left(void)
{
	struct ps_check *c;
	struct ps_op op;
	int removed;

	for (removed = 0; removed < 2; removed++) {
		c = start("migration-entry-left");
		feed(c, PS_OP_ALLOC, 0x3000, 0, 0);
		feed(c, PS_OP_ALLOC, 0x4000, 0, 0);
		op = mk(PS_OP_MIGRATION_SET, 0x3000, 0);
		op.addr = 0x7f0000000000;
		ps_check_apply(c, &op);
		if (removed) {
			op = mk(PS_OP_MIGRATION_REMOVE, 0x4000, 0);
			op.addr = 0x7f0000000000;
			ps_check_apply(c, &op);
		}
		feed(c, PS_OP_MIGRATE_END, PS_PFN_NONE, 0, 0);
		EXPECT_EQ(finish(c, PS_SEV_BREAK), !removed);
	}
}

/*
 * The 2010 fork-vs-migration class: one page mapped at the same address
 * in parent (mm P) and child (mm C); the migrating task installs an
 * entry in each, but remove_migration_ptes() misses the child's.  Keyed
 * by (mm, address), the parent's remove leaves the child's set standing:
 * a break that names the child's mm and task.  The same ops without the
 * mms (an old recording) cannot tell whose entry is left: uncertain, not
 * silent and not a break; with no remove at all it is still a break.
 */
#define MM_PARENT	0xffff888001000000ull
#define MM_CHILD	0xffff888002000000ull

static struct ps_check *fork_migration(bool with_mm, bool child_removed)
{
	struct ps_check *c = start("migration-entry-left");
	struct ps_op op;

	feed(c, PS_OP_ALLOC, 0x3000, 0, 0);
	feed(c, PS_OP_ALLOC, 0x4000, 0, 0);
	/* the child's own fault: tells which task mm C is */
	op = mk(PS_OP_RMAP_ADD, 0x5000, 0);
	op.flags = PS_OPF_ANON | PS_OPF_NEW | PS_OPF_EXCLUSIVE;
	op.mm = with_mm ? MM_CHILD : 0;
	op.pid = 101;
	ps_check_apply(c, &op);
	op = mk(PS_OP_MIGRATION_SET, 0x3000, 0);
	op.addr = 0x7f0000000000;
	op.mm = with_mm ? MM_PARENT : 0;
	ps_check_apply(c, &op);
	op.ts = now += 1000;
	op.mm = with_mm ? MM_CHILD : 0;
	ps_check_apply(c, &op);
	op = mk(PS_OP_MIGRATION_REMOVE, 0x4000, 0);
	op.addr = 0x7f0000000000;
	op.mm = with_mm ? MM_PARENT : 0;
	ps_check_apply(c, &op);
	if (child_removed) {
		op.ts = now += 1000;
		op.mm = with_mm ? MM_CHILD : 0;
		ps_check_apply(c, &op);
	}
	feed(c, PS_OP_MIGRATE_END, PS_PFN_NONE, 0, 0);
	ps_check_end(c);
	return c;
}

static int count_sev(struct ps_check *c, enum ps_severity sev)
{
	int i, n = 0;

	for (i = 0; i < ps_check_nr_findings(c); i++)
		n += ps_check_finding(c, i)->severity == sev;
	return n;
}

static void test_migration_entry_left_per_mm(void)
{
	struct ps_check *c;
	const char *what;

	c = fork_migration(true, false);
	EXPECT_EQ(count_sev(c, PS_SEV_BREAK), 1);
	what = ps_check_nr_findings(c) ? ps_check_finding(c, 0)->what : "";
	EXPECT_TRUE(strstr(what, "in mm 0xffff888002000000") != NULL);
	EXPECT_TRUE(strstr(what, "[101]") != NULL);
	EXPECT_TRUE(strstr(what, "set 1 time, removed 0") != NULL);
	ps_check_free(c);

	c = fork_migration(true, true);
	EXPECT_EQ(ps_check_nr_findings(c), 0);
	ps_check_free(c);

	/* address only: the parent's remove hides the child's entry */
	c = fork_migration(false, false);
	EXPECT_EQ(count_sev(c, PS_SEV_BREAK), 0);
	EXPECT_EQ(count_sev(c, PS_SEV_UNCERTAIN), 1);
	ps_check_free(c);

	c = fork_migration(false, true);
	EXPECT_EQ(ps_check_nr_findings(c), 0);
	ps_check_free(c);
}

/*
 * A THP migrated whole: one PMD migration entry (order 9) at the THP's
 * address in the holder's mm, put back on the new THP by
 * remove_migration_pmd() -- or not (6.1 with remove_migration_pmd()
 * skipped, tests/vm/patches/migrate-pmd-left.patch): a break naming
 * the holder, on the old THP as it was when the entry was set, though
 * the kernel freed it before the batch ended and its pfn may hold
 * another folio by then.  Events lost after the set of a folio that
 * has ended make it uncertain.  A small page moved in the same batch
 * by a PTE entry at the next PMD's address is sound either way.
 */
enum pmd_end { PMD_LIVE, PMD_FREED, PMD_REUSED, PMD_LOST };

static struct ps_check *pmd_migration(bool removed, enum pmd_end how)
{
	struct ps_check *c = start("migration-entry-left");
	struct ps_op op;

	feed(c, PS_OP_ALLOC, 0x200, 9, 0);
	feed(c, PS_OP_ALLOC, 0x600, 9, 0);
	feed(c, PS_OP_ALLOC, 0x3000, 0, 0);
	feed(c, PS_OP_ALLOC, 0x4000, 0, 0);
	op = mk(PS_OP_RMAP_ADD, 0x200, 9);
	op.flags = PS_OPF_ANON | PS_OPF_NEW | PS_OPF_EXCLUSIVE;
	op.mm = MM_CHILD;
	op.pid = 101;
	ps_check_apply(c, &op);
	op = mk(PS_OP_MIGRATION_SET, 0x200, 9);
	op.addr = 0x7f0000200000;
	op.mm = MM_CHILD;
	op.pid = 101;
	ps_check_apply(c, &op);
	op = mk(PS_OP_MIGRATION_SET, 0x3000, 0);
	op.addr = 0x7f0000400000;
	op.mm = MM_CHILD;
	op.pid = 101;
	ps_check_apply(c, &op);
	if (removed) {
		op = mk(PS_OP_MIGRATION_REMOVE, 0x600, 9);
		op.addr = 0x7f0000200000;
		op.mm = MM_CHILD;
		op.pid = 101;
		ps_check_apply(c, &op);
	}
	op = mk(PS_OP_MIGRATION_REMOVE, 0x4000, 0);
	op.addr = 0x7f0000400000;
	op.mm = MM_CHILD;
	op.pid = 101;
	ps_check_apply(c, &op);
	if (how == PMD_LOST)
		feed(c, PS_OP_LOST, PS_PFN_NONE, 0, 0);
	if (how != PMD_LIVE)
		feed(c, PS_OP_FREE, 0x200, 9, 0);
	if (how == PMD_REUSED)
		feed(c, PS_OP_ALLOC, 0x200, 0, 0);
	op = mk(PS_OP_MIGRATE_END, PS_PFN_NONE, 0);
	op.pid = 101;
	ps_check_apply(c, &op);
	ps_check_end(c);
	return c;
}

static void test_migration_entry_left_pmd(void)
{
	const struct ps_finding *fi;
	struct ps_check *c;
	int how;

	for (how = PMD_LIVE; how <= PMD_LOST; how++) {
		c = pmd_migration(true, how);
		EXPECT_EQ(ps_check_nr_findings(c), 0);
		ps_check_free(c);

		c = pmd_migration(false, how);
		EXPECT_EQ(count_sev(c, PS_SEV_BREAK), how != PMD_LOST);
		EXPECT_EQ(count_sev(c, PS_SEV_UNCERTAIN), how == PMD_LOST);
		EXPECT_EQ(ps_check_nr_findings(c), 1);
		if (ps_check_nr_findings(c) != 1) {
			ps_check_free(c);
			continue;
		}
		fi = ps_check_finding(c, 0);
		EXPECT_TRUE(strstr(fi->what, "at 0x7f0000200000 in mm "
				   "0xffff888002000000 (task ") != NULL);
		EXPECT_TRUE(strstr(fi->what, "[101]) for pfn 0x200 set 1 "
				   "time, removed 0") != NULL);
		EXPECT_EQ(fi->folio_pfn, 0x200);
		EXPECT_EQ(fi->order, 9);
		EXPECT_EQ(fi->pfn, 0x200);
		EXPECT_EQ(fi->after.head, 0x200);
		ps_check_free(c);
	}
}

/*
 * A child exiting mid-migration: exit_mmap zaps its entry (no remove
 * event) and the rmap walk no longer finds its vma.  Not left.
 */
static void test_migration_entry_mm_exit(void)
{
	struct ps_check *c;
	struct ps_op op;
	int exited;

	for (exited = 0; exited < 2; exited++) {
		c = start("migration-entry-left");
		feed(c, PS_OP_ALLOC, 0x3000, 0, 0);
		op = mk(PS_OP_MIGRATION_SET, 0x3000, 0);
		op.addr = 0x7f0000000000;
		op.mm = MM_CHILD;
		ps_check_apply(c, &op);
		if (exited) {
			op = mk(PS_OP_MM_EXIT, PS_PFN_NONE, 0);
			op.mm = MM_CHILD;
			op.pid = 101;
			ps_check_apply(c, &op);
		}
		feed(c, PS_OP_MIGRATE_END, PS_PFN_NONE, 0, 0);
		EXPECT_EQ(finish(c, PS_SEV_BREAK), !exited);
	}
}

/*
 * The exit began first: the rmap walk still finds the dying mm's vma and
 * sets an entry there, which exit_mmap then zaps (migrate-fork on stock
 * 7.2).  Not left -- unless the mm lives again (a task faults in it: a
 * freed mm_struct reused), when its entry is judged as any other.
 */
static void test_migration_entry_set_while_exiting(void)
{
	struct ps_check *c;
	struct ps_op op;
	int reused;

	for (reused = 0; reused < 2; reused++) {
		c = start("migration-entry-left");
		feed(c, PS_OP_ALLOC, 0x3000, 0, 0);
		feed(c, PS_OP_ALLOC, 0x5000, 0, 0);
		op = mk(PS_OP_MM_EXIT, PS_PFN_NONE, 0);
		op.mm = MM_CHILD;
		op.pid = 101;
		ps_check_apply(c, &op);
		if (reused) {
			op = mk(PS_OP_RMAP_ADD, 0x5000, 0);
			op.flags = PS_OPF_NEW | PS_OPF_ANON;
			op.mm = MM_CHILD;
			op.pid = 102;
			ps_check_apply(c, &op);
		}
		op = mk(PS_OP_MIGRATION_SET, 0x3000, 0);
		op.addr = 0x7f0000000000;
		op.mm = MM_CHILD;
		ps_check_apply(c, &op);
		feed(c, PS_OP_MIGRATE_END, PS_PFN_NONE, 0, 0);
		EXPECT_EQ(finish(c, PS_SEV_BREAK), reused);
	}
}

static void test_huge_zero_split(void)
{
	struct ps_check *c = start("huge-zero-split");
	struct ps_op op;

	feed(c, PS_OP_ALLOC, 0x400000, 9, 0);
	feed(c, PS_OP_SPLIT_PMD, 0x400000, 9, PS_OPF_DROPS_ENTIRE);
	op = mk(PS_OP_SPLIT, 0x400000, 9);	/* never for the zero page */
	ps_check_apply(c, &op);
	ps_check_end(c);
	EXPECT_EQ(ps_check_nr_findings(c), 2);
	EXPECT_EQ(ps_check_nr_findings(c) == 2 ? (int)ps_check_finding(c, 0)->severity : -1,
		  PS_SEV_INFO);
	EXPECT_EQ(ps_check_nr_findings(c) == 2 ? (int)ps_check_finding(c, 1)->severity : -1,
		  PS_SEV_BREAK);
	ps_check_free(c);
}

/*
 * The huge zero page is never in the rmap.  hz-split-as-thp: its PMD
 * split as an anon THP's, then every PTE of it unmapped by
 * page_remove_rmap(); the clean split leaves small zero pages, with no
 * rmap op at all.  A task's mm is the one it faulted a new page in.
 */
#define MM_HZ	0xffff888003000000ull

static struct ps_check *hz_split(bool broken, bool lost)
{
	struct ps_check *c = start("huge-zero-split");
	struct ps_op op;
	int i;

	feed(c, PS_OP_ALLOC, 0x400000, 9, 0);
	/* where a THP's PMD map would be: lost, it looks like the zero page */
	if (lost)
		feed(c, PS_OP_LOST, PS_PFN_NONE, 0, 0);
	feed(c, PS_OP_ALLOC, 0x5000, 0, 0);
	op = mk(PS_OP_RMAP_ADD, 0x5000, 0);
	op.flags = PS_OPF_ANON | PS_OPF_NEW | PS_OPF_EXCLUSIVE;
	op.mm = MM_HZ;
	ps_check_apply(c, &op);
	feed(c, PS_OP_SPLIT_PMD, 0x400000, 9, PS_OPF_DROPS_ENTIRE);
	for (i = 0; broken && i < 512; i++)
		feed(c, PS_OP_RMAP_REMOVE, 0x400000 + i, 0, 0);
	/* an ordinary page's unmap is none of this rule's business */
	feed(c, PS_OP_RMAP_REMOVE, 0x5000, 0, PS_OPF_ANON);
	ps_check_end(c);
	return c;
}

static void test_huge_zero_rmap_split(void)
{
	struct ps_check *c = hz_split(true, false);
	const struct ps_finding *fi;

	EXPECT_EQ(count_sev(c, PS_SEV_INFO), 1);
	EXPECT_EQ(count_sev(c, PS_SEV_BREAK), 1);
	fi = ps_check_nr_findings(c) == 2 ? ps_check_finding(c, 1) : NULL;
	EXPECT_TRUE(fi && fi->op.pfn == 0x400000);
	EXPECT_TRUE(fi && strstr(fi->what, "rmap remove (rmap_remove) on the "
				 "huge zero page"));
	EXPECT_TRUE(fi && strstr(fi->what, "512 times in mm 0xffff888003000000 "
				 "(task [100])"));
	ps_check_free(c);

	c = hz_split(false, false);
	EXPECT_EQ(count_sev(c, PS_SEV_BREAK), 0);
	EXPECT_EQ(count_sev(c, PS_SEV_INFO), 1);
	ps_check_free(c);

	/*
	 * Events lost in the folio's life (transhuge-stress on a busy
	 * host): the zero page is the engine's inference, the unmaps
	 * may be a THP's whose PMD map was lost.  Uncertain, not a break.
	 */
	c = hz_split(true, true);
	EXPECT_EQ(count_sev(c, PS_SEV_BREAK), 0);
	EXPECT_EQ(count_sev(c, PS_SEV_UNCERTAIN), 1);
	ps_check_free(c);
}

/*
 * hz-fork-dup: fork copies the huge zero PMD as a THP's, with an rmap
 * dup (the clean kernel's copy takes no reference and the adapter
 * drops it: no op).  The engine knows the huge zero page as the folio
 * whose PMD is copied without any PMD in its rmap; one break per mm.
 * A THP the parent maps by PMD is forked as ever.
 */
static void test_huge_zero_rmap_fork(void)
{
	struct ps_check *c = start("huge-zero-split");
	struct ps_op op;
	int i;

	feed(c, PS_OP_ALLOC, 0x400000, 9, 0);
	feed(c, PS_OP_ALLOC, 0x600000, 9, 0);
	feed(c, PS_OP_RMAP_ADD, 0x600000, 9,
	     PS_OPF_ANON | PS_OPF_COMPOUND | PS_OPF_NEW | PS_OPF_EXCLUSIVE);
	feed(c, PS_OP_FORK_DUP, 0x600000, 9, PS_OPF_COMPOUND);
	for (i = 0; i < 3; i++) {
		op = mk(PS_OP_FORK_DUP, 0x400000, 9);
		op.flags = PS_OPF_COMPOUND;
		op.mm = i < 2 ? MM_PARENT : MM_CHILD;
		ps_check_apply(c, &op);
	}
	ps_check_end(c);
	EXPECT_EQ(count_sev(c, PS_SEV_BREAK), 2);
	EXPECT_EQ(ps_check_nr_findings(c), 2);
	for (i = 0; i < ps_check_nr_findings(c) && i < 2; i++) {
		const struct ps_finding *fi = ps_check_finding(c, i);

		EXPECT_TRUE(fi->op.pfn == 0x400000);
		EXPECT_TRUE(strstr(fi->what, "an rmap dup by fork (fork_dup)") != NULL);
		EXPECT_TRUE(strstr(fi->what, i ? "1 time in mm 0xffff888002000000"
					       : "2 times in mm 0xffff888001000000") != NULL);
	}
	ps_check_free(c);
}

static void ref(struct ps_check *c, u64 pfn, s64 delta, s64 count)
{
	struct ps_op op = mk(PS_OP_REF, pfn, 0);

	op.val = delta;
	op.obs_count = count;
	op.flags = PS_OPF_HAS_OBS_COUNT;
	ps_check_apply(c, &op);
}

static void test_generic_rules(void)
{
	struct ps_check *c;

	/* refcount below zero, seen by the engine */
	c = start("refcount-underflow");
	feed(c, PS_OP_ALLOC, 0x5000, 0, 0);
	ref(c, 0x5000, -2, 0);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);

	/* page_ref says 5, then 6, where the ops say 2, then 3 */
	c = start("observed-vs-derived");
	feed(c, PS_OP_ALLOC, 0x5000, 0, 0);
	ref(c, 0x5000, 1, 2);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 0);
	c = start("observed-vs-derived");
	feed(c, PS_OP_ALLOC, 0x5000, 0, 0);
	ref(c, 0x5000, 1, 5);
	now += 2000000;
	ref(c, 0x5000, 1, 6);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);

	c = start("mapcount-underflow");
	feed(c, PS_OP_ALLOC, 0x6000, 0, 0);
	feed(c, PS_OP_RMAP_REMOVE, 0x6000, 0, PS_OPF_ANON);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);

	/* freed while mapped; and freed after the unmap */
	c = start("free-while-used");
	feed(c, PS_OP_ALLOC, 0x7000, 0, 0);
	feed(c, PS_OP_RMAP_ADD, 0x7000, 0, PS_OPF_ANON);
	feed(c, PS_OP_FREE, 0x7000, 0, 0);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);
	c = start("free-while-used");
	feed(c, PS_OP_ALLOC, 0x7000, 0, 0);
	feed(c, PS_OP_RMAP_ADD, 0x7000, 0, PS_OPF_ANON);
	feed(c, PS_OP_RMAP_REMOVE, 0x7000, 0, PS_OPF_ANON);
	ref(c, 0x7000, -1, 0);
	feed(c, PS_OP_FREE, 0x7000, 0, 0);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 0);

	/* a pin on a freed page; a mapping of it is compaction's reuse */
	c = start("use-after-free");
	feed(c, PS_OP_ALLOC, 0x8000, 0, 0);
	feed(c, PS_OP_FREE, 0x8000, 0, 0);
	feed(c, PS_OP_PIN, 0x8000, 0, 0);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);
	c = start("use-after-free");
	feed(c, PS_OP_ALLOC, 0x8000, 0, 0);
	feed(c, PS_OP_FREE, 0x8000, 0, 0);
	feed(c, PS_OP_RMAP_ADD, 0x8000, 0, PS_OPF_ANON);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 0);

	/* a pin without the references it implies (small folio: 1024) */
	c = start("pincount-vs-refcount");
	feed(c, PS_OP_ALLOC, 0x9000, 0, 0);
	feed(c, PS_OP_PIN, 0x9000, 0, 0);
	ref(c, 0x9000, 1024, 1025);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 0);
	c = start("pincount-vs-refcount");
	feed(c, PS_OP_ALLOC, 0x9000, 0, 0);
	feed(c, PS_OP_PIN, 0x9000, 0, 0);
	ref(c, 0x9000, 1, 2);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);
}

/*
 * end-state, field by field: the mapped page's mapcount and anon flag
 * (process snapshot), and a freed page read by the deep snapshot, both
 * ways: 0 agrees, 1..3 each break one field.
 */
static void test_end_state(void)
{
	int k;

	for (k = 0; k < 5; k++) {
		struct ps_check *c = start("end-state");
		struct ps_op op;

		feed(c, PS_OP_ALLOC, 0xa000, 0, 0);
		feed(c, PS_OP_RMAP_ADD, 0xa000, 0, PS_OPF_ANON);
		feed(c, PS_OP_ALLOC, 0xb000, 0, 0);
		feed(c, PS_OP_FREE, 0xb000, 0, 0);
		feed(c, PS_OP_ALLOC, 0xc000, 0, 0);
		op = mk(PS_OP_SNAPSHOT, 0xa000, 0);
		op.obs_mapcount = k == 1 ? 2 : 1;
		op.obs_flags = PS_PG_MMAP | (k == 2 ? 0 : PS_PG_ANON);
		op.flags = PS_OPF_HAS_OBS_MAPCOUNT | PS_OPF_HAS_OBS_FLAGS;
		ps_check_apply(c, &op);
		/* the deep snapshot: the freed page, free or in use */
		op = mk(PS_OP_SNAPSHOT, 0xb000, 0);
		op.obs_flags = k == 3 ? PS_PG_LRU | PS_PG_ANON : PS_PG_BUDDY;
		op.flags = PS_OPF_HAS_OBS_MAPCOUNT | PS_OPF_HAS_OBS_FLAGS |
			   PS_OPF_DEEP_SNAP;
		ps_check_apply(c, &op);
		/* k 4: a live page whose words say nothing: counted apart */
		if (k == 4) {
			op = mk(PS_OP_SNAPSHOT, 0xc000, 0);
			op.flags = PS_OPF_HAS_OBS_MAPCOUNT |
				   PS_OPF_HAS_OBS_FLAGS | PS_OPF_DEEP_SNAP;
			ps_check_apply(c, &op);
		}
		EXPECT_EQ(finish(c, PS_SEV_BREAK), k >= 1 && k <= 3);
	}
}

/* A break in a folio whose life saw lost events is only uncertain. */
static void test_lost_events_make_it_uncertain(void)
{
	struct ps_check *c = start("mapcount-underflow");
	struct ps_op op;

	feed(c, PS_OP_ALLOC, 0x6000, 0, 0);
	op = mk(PS_OP_LOST, PS_PFN_NONE, 0);
	op.val = 10;
	ps_check_apply(c, &op);
	feed(c, PS_OP_RMAP_REMOVE, 0x6000, 0, PS_OPF_ANON);
	ps_check_end(c);
	EXPECT_EQ(ps_check_nr_findings(c), 1);
	EXPECT_EQ(ps_check_nr_findings(c) ? (int)ps_check_finding(c, 0)->severity : -1,
		  PS_SEV_UNCERTAIN);
	ps_check_free(c);
}

/*
 * khugepaged selftest on a busy host: events were lost in a THP's life,
 * collapse unmaps it (extra references in the derived counts), its pfn is
 * freed and allocated again before the collapse ends.  The verdict is
 * taken on the folio khugepaged unmapped, not on the pfn's new folio
 * born after the gap: uncertain, not a break.
 */
static void test_lost_events_collapse_reused_pfn(void)
{
	struct ps_check *c = start("collapse-pinned");
	struct ps_op op;

	feed(c, PS_OP_ALLOC, 0x1000, 0, 0);
	feed(c, PS_OP_RMAP_ADD, 0x1000, 0, PS_OPF_ANON | PS_OPF_EXCLUSIVE);
	feed(c, PS_OP_PIN, 0x1000, 0, 0);
	op = mk(PS_OP_LOST, PS_PFN_NONE, 0);
	op.val = 100;
	ps_check_apply(c, &op);
	op = mk(PS_OP_COLLAPSE_ISOLATE, 0x1000, 0);
	op.result = 1;
	op.result_name = "succeeded";
	op.pid = 200;
	ps_check_apply(c, &op);
	op = mk(PS_OP_RMAP_REMOVE, 0x1000, 0);
	op.pid = 200;
	op.flags = PS_OPF_ANON;
	ps_check_apply(c, &op);
	feed(c, PS_OP_FREE, 0x1000, 0, 0);
	feed(c, PS_OP_ALLOC, 0x1000, 0, 0);
	op = mk(PS_OP_COLLAPSE, PS_PFN_NONE, 0);
	op.pid = 200;
	op.result = 1;
	op.result_name = "succeeded";
	ps_check_apply(c, &op);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 0);
}

/* A folio-era rmap op on an mTHP (order 4) with its counts at entry. */
static struct ps_op fop(enum ps_op_kind kind, u64 pfn, s64 nr, u32 flags,
			s32 large, s32 entire, s32 npm)
{
	struct ps_op op = mk(kind, pfn, 0);

	op.val = nr;
	op.flags = flags | PS_OPF_ANON | PS_OPF_FOLIO_OBS | PS_OPF_OBS_BEFORE;
	op.fobs.head = pfn & ~15ull;
	op.fobs.order = 4;
	op.fobs.have = PS_FOBS_LARGE;
	op.fobs.large_mapcount = large;
	op.fobs.entire_mapcount = entire;
	op.fobs.nr_pages_mapped = npm;
	return op;
}

/* folio-counts: the folio's own counts as the probe read them. */
static void test_folio_counts(void)
{
	struct ps_check *c = start("folio-counts");
	struct ps_op op;

	/* consistent: 16 PTE mappings over 16 pages */
	feed(c, PS_OP_ALLOC, 0x4000, 4, 0);
	op = fop(PS_OP_RMAP_ADD, 0x4000, 0, PS_OPF_NEW, 0, 0, 0);
	ps_check_apply(c, &op);
	op = fop(PS_OP_RMAP_REMOVE, 0x4000, 16, 0, 16, 0, 16);
	ps_check_apply(c, &op);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 0);

	/* 16 pages mapped by PTE but the large mapcount says 3 */
	c = start("folio-counts");
	feed(c, PS_OP_ALLOC, 0x4000, 4, 0);
	op = fop(PS_OP_RMAP_REMOVE, 0x4000, 1, 0, 3, 0, 16);
	ps_check_apply(c, &op);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);

	/* ENTIRELY_MAPPED without an entire mapping */
	c = start("folio-counts");
	op = fop(PS_OP_RMAP_REMOVE, 0x4000, 1, 0, 1, 0,
		 PS_ENTIRELY_MAPPED + 1);
	ps_check_apply(c, &op);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);

	/* the same reading with another CPU in the folio a moment ago */
	c = start("folio-counts");
	op = fop(PS_OP_RMAP_ADD, 0x4000, 1, 0, 1, 0, 1);
	ps_check_apply(c, &op);
	op = fop(PS_OP_RMAP_REMOVE, 0x4000, 1, 0, 1, 0,
		 PS_ENTIRELY_MAPPED + 1);
	op.cpu = 1;
	op.ts = now += 10;
	ps_check_apply(c, &op);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 0);

	/* a large folio freed pinned; unpinned it is fine */
	c = start("folio-counts");
	feed(c, PS_OP_ALLOC, 0x4000, 4, 0);
	feed(c, PS_OP_PIN, 0x4003, 0, PS_OPF_PIN);
	feed(c, PS_OP_FREE, 0x4000, 4, 0);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);
	c = start("folio-counts");
	feed(c, PS_OP_ALLOC, 0x4000, 4, 0);
	feed(c, PS_OP_PIN, 0x4003, 0, PS_OPF_PIN);
	feed(c, PS_OP_UNPIN, 0x4003, 0, PS_OPF_PIN);
	feed(c, PS_OP_FREE, 0x4000, 4, 0);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 0);
}

/* anon-exclusive-once: an exclusive page mapped a second time. */
static void test_anon_exclusive_once(void)
{
	struct ps_check *c = start("anon-exclusive-once");
	struct ps_op op;

	/* swap-in style add of an unmapped page, exclusive: fine */
	op = fop(PS_OP_RMAP_ADD, 0x4002, 1, PS_OPF_EXCLUSIVE |
		 PS_OPF_HAS_OBS_FLAGS | PS_OPF_HAS_OBS_MAPCOUNT, 0, 0, 0);
	op.obs_mapcount = 0;
	ps_check_apply(c, &op);
	/* a PMD split maps PTEs while the PMD is there: mapcount 0 each */
	op = fop(PS_OP_RMAP_ADD, 0x4000, 16, PS_OPF_EXCLUSIVE |
		 PS_OPF_HAS_OBS_FLAGS | PS_OPF_HAS_OBS_MAPCOUNT |
		 PS_OPF_SPLIT_REMAP, 1, 1, PS_ENTIRELY_MAPPED);
	op.obs_mapcount = 0;
	ps_check_apply(c, &op);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 0);

	/* the page was mapped and exclusive already: now mapped twice */
	c = start("anon-exclusive-once");
	op = fop(PS_OP_RMAP_ADD, 0x4002, 1, PS_OPF_HAS_OBS_FLAGS |
		 PS_OPF_HAS_OBS_MAPCOUNT, 16, 0, 16);
	op.obs_mapcount = 1;
	op.obs_flags = PS_PG_ANON | PS_PG_ANON_EXCLUSIVE;
	ps_check_apply(c, &op);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 1);

	/* ...not exclusive (fork shared it): a second mapping is fine */
	c = start("anon-exclusive-once");
	op = fop(PS_OP_RMAP_ADD, 0x4002, 1, PS_OPF_HAS_OBS_FLAGS |
		 PS_OPF_HAS_OBS_MAPCOUNT, 16, 0, 16);
	op.obs_mapcount = 1;
	op.obs_flags = PS_PG_ANON;
	ps_check_apply(c, &op);
	EXPECT_EQ(finish(c, PS_SEV_BREAK), 0);
}

int main(void)
{
	RUN(test_collapse_pinned);
	RUN(test_collapse_file_pinned);
	RUN(test_anon_exclusive_pinned);
	RUN(test_anon_exclusive_pinned_pmd);
	RUN(test_double_map);
	RUN(test_migration_entry_left);
	RUN(test_migration_entry_left_per_mm);
	RUN(test_migration_entry_left_pmd);
	RUN(test_migration_entry_mm_exit);
	RUN(test_migration_entry_set_while_exiting);
	RUN(test_huge_zero_split);
	RUN(test_huge_zero_rmap_split);
	RUN(test_huge_zero_rmap_fork);
	RUN(test_generic_rules);
	RUN(test_end_state);
	RUN(test_anon_exclusive_folio_pin);
	RUN(test_anon_exclusive_snapshot);
	RUN(test_lost_events_make_it_uncertain);
	RUN(test_lost_events_collapse_reused_pfn);
	RUN(test_folio_counts);
	RUN(test_anon_exclusive_once);
	return UNIT_EXIT();
}
