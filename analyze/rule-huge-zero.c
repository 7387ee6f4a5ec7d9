// SPDX-License-Identifier: GPL-2.0
/*
 * huge-zero-split: the huge zero page is mapped read-only by PMD into
 * any number of mms and belongs to none: splitting its PMD is fine (it
 * becomes small zero pages), splitting the page itself never is.  The
 * 2023 FOLL_SPLIT_PMD discussion was about callers that reach the split
 * with it; every PMD split of it is shown as info, with the timeline,
 * and a split_huge_page() attempt on it is a break.
 *
 * Nor is the huge zero page ever in the rmap: each mm holds it through
 * mm_get_huge_zero_page() (MMF_HUGE_ZERO_PAGE, huge_zero_refcount), its
 * PMD split maps the small zero page by special PTEs, fork copies its
 * PMD without a dup.  So any rmap op on one of its pfns (page_add_*_rmap,
 * page_remove_rmap, the folio_*_rmap_* of 6.8+, fork's rmap dup, a PTE
 * mapping it again) is a break: the kernel took it for a THP
 * (tests/vm/patches/hz-split-as-thp.patch, hz-fork-dup.patch).  They
 * come by the hundred (one per PTE), so they are counted per mm and op
 * and reported once each at the end, on the first one, with the count.
 *
 * The huge zero page's pfn comes with the split_pmd and copy_huge_pmd
 * probes (@huge_zero_pfn) when the kernel has the symbol; otherwise the
 * engine knows it as the THP whose PMD is split or copied by fork
 * without any PMD rmap.  The mm is the op's (folio-era rmap probes)
 * or the one its task faulted a new anon page in.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pagestate/check.h"

extern const struct ps_rule rule_huge_zero_split;

/* rmap ops on the huge zero page of one (mm, op kind) */
struct hz_rmap {
	u64 mm;			/* 0: not recorded */
	enum ps_op_kind kind;
	u64 n;
	struct ps_op op;	/* the first */
	struct ps_state before, after;
	/*
	 * The page was the huge zero page by the engine's inference only
	 * (a PMD split with no PMD rmap) and events were lost in its
	 * life: the PMD map that was lost makes a THP look like it.
	 */
	bool unsure;
	struct hz_rmap *next;
};

/* Which mm a task is: the last one it faulted a new anon page in. */
struct hz_task {
	int pid;
	u64 mm;
	struct hz_task *next;
};

struct hz_priv {
	struct hz_rmap *rmaps;
	struct hz_task *tasks;
};

static bool hz_rmap_kind(enum ps_op_kind k)
{
	return k == PS_OP_RMAP_ADD || k == PS_OP_RMAP_REMOVE ||
	       k == PS_OP_FORK_DUP || k == PS_OP_MAP_PTE;
}

static const char *hz_rmap_what(enum ps_op_kind k)
{
	switch (k) {
	case PS_OP_RMAP_ADD:
		return "an rmap add";
	case PS_OP_RMAP_REMOVE:
		return "an rmap remove";
	case PS_OP_FORK_DUP:
		return "an rmap dup by fork";
	default:
		return "a PTE mapping it again";
	}
}

static struct hz_task *hz_task(struct hz_priv *hp, int pid)
{
	struct hz_task *ht;

	for (ht = hp->tasks; ht; ht = ht->next)
		if (ht->pid == pid)
			return ht;
	return NULL;
}

static void hz_learn(struct hz_priv *hp, const struct ps_op *op)
{
	struct hz_task *ht = hz_task(hp, op->pid);

	if (!ht) {
		ht = ps_xcalloc(1, sizeof(*ht));
		ht->pid = op->pid;
		ht->next = hp->tasks;
		hp->tasks = ht;
	}
	ht->mm = op->mm;
}

static void hz_count(struct hz_priv *hp, const struct ps_op *op,
		     const struct ps_state *before,
		     const struct ps_state *after, bool unsure)
{
	struct hz_task *ht = op->mm ? NULL : hz_task(hp, op->pid);
	u64 mm = op->mm ? op->mm : ht ? ht->mm : 0;
	struct hz_rmap **pp = &hp->rmaps;

	/* unknown mms are told apart by task */
	while (*pp && ((*pp)->kind != op->kind || (*pp)->mm != mm ||
		       (!mm && (*pp)->op.pid != op->pid)))
		pp = &(*pp)->next;
	if (!*pp) {
		*pp = ps_xcalloc(1, sizeof(**pp));
		(*pp)->mm = mm;
		(*pp)->kind = op->kind;
		(*pp)->op = *op;
		(*pp)->before = *before;
		(*pp)->after = *after;
	}
	(*pp)->n++;
	(*pp)->unsure |= unsure;
}

static void hz_op(struct ps_check *c, void *priv, const struct ps_op *op,
		  const struct ps_folio *f, const struct ps_state *before,
		  const struct ps_state *after)
{
	struct ps_trace *t = ps_check_trace(c);
	u64 hzp = t ? ps_trace_meta(t)->huge_zero_pfn : 0;
	bool zero, probed;

	if (op->kind == PS_OP_RMAP_ADD && (op->flags & PS_OPF_NEW) &&
	    op->mm && op->pid > 0)
		hz_learn(priv, op);
	if (op->pfn == PS_PFN_NONE)
		return;
	/* the probe's @huge_zero_pfn, or the engine's recognition of it */
	probed = hzp && hzp != PS_PFN_NONE && op->pfn >= hzp &&
		 op->pfn < hzp + 512;
	zero = probed || ((before->flags | after->flags) & PS_PG_ZERO_PAGE);
	if (!zero)
		return;
	if (op->kind == PS_OP_SPLIT_PMD)
		ps_check_report(c, &rule_huge_zero_split, PS_SEV_INFO, op, f,
				before, after, "PMD split of the huge zero "
				"page at 0x%llx (becomes small zero pages)",
				(unsigned long long)op->addr);
	else if (op->kind == PS_OP_SPLIT || op->kind == PS_OP_SPLIT_RESULT)
		ps_check_report(c, &rule_huge_zero_split, PS_SEV_BREAK, op, f,
				before, after, "split_huge_page() on the huge "
				"zero page (result %d)", op->result);
	else if (hz_rmap_kind(op->kind))
		hz_count(priv, op, before, after,
			 !probed && f && ps_check_folio_unsure(c, f));
}

static void hz_report(struct ps_check *c, const struct hz_rmap *r)
{
	struct ps_trace *t = ps_check_trace(c);
	const struct ps_folio *f = ps_folio_find(ps_check_engine(c),
						 r->op.pfn);
	int pid = r->op.pid;
	char mm[40];

	if (r->mm)
		snprintf(mm, sizeof(mm), "mm 0x%llx", (unsigned long long)r->mm);
	else
		snprintf(mm, sizeof(mm), "an mm not recorded");
	ps_check_report(c, &rule_huge_zero_split,
			r->unsure ? PS_SEV_UNCERTAIN : PS_SEV_BREAK, &r->op, f,
			&r->before, &r->after, "%s (%s) on the huge zero "
			"page, which is never in the rmap: %llu time%s in %s "
			"(task %s[%d]), first on pfn 0x%llx",
			hz_rmap_what(r->kind), ps_op_kind_name(r->kind),
			(unsigned long long)r->n, r->n == 1 ? "" : "s", mm,
			t ? ps_trace_comm(t, pid) : "", pid,
			(unsigned long long)r->op.pfn);
}

static void hz_end(struct ps_check *c, void *priv)
{
	struct hz_priv *hp = priv;
	struct hz_rmap *r;

	for (r = hp->rmaps; r; r = r->next)
		hz_report(c, r);
}

static void hz_free(void *priv)
{
	struct hz_priv *hp = priv;

	while (hp->rmaps) {
		struct hz_rmap *r = hp->rmaps;

		hp->rmaps = r->next;
		free(r);
	}
	while (hp->tasks) {
		struct hz_task *ht = hp->tasks;

		hp->tasks = ht->next;
		free(ht);
	}
}

static bool hz_can_run(struct ps_check *c, char *why, size_t size)
{
	if (!ps_trace_has_event(ps_check_trace(c), "pagestate", "split_pmd")) {
		snprintf(why, size, "needs the split_pmd kprobe");
		return false;
	}
	return true;
}

const struct ps_rule rule_huge_zero_split = {
	.id = "huge-zero-split",
	.kernels = "all with a huge zero page: 6.1, 6.12, 7.2",
	.summary = "the huge zero page's PMD may be split, the page itself "
		   "never goes through split_huge_page() nor into the rmap",
	.source = "2023 FOLL_SPLIT_PMD / huge zero page discussion",
	.needs = "the split_pmd and split_huge_page kprobes; the rmap and "
		 "fork kprobes for its rmap",
	.can_run = hz_can_run,
	.op = hz_op,
	.end = hz_end,
	.priv_size = sizeof(struct hz_priv),
	.priv_free = hz_free,
};
