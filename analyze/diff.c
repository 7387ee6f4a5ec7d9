// SPDX-License-Identifier: GPL-2.0
/*
 * pagestate diff GOOD BAD: the same workload recorded on two kernels, and
 * the first place where the page histories part.
 *
 * Pfns differ between runs, so histories are aligned by what the
 * workload sees: its task (the n-th workload task of the recording) and
 * the virtual address of the page (rmap addresses, migration entries,
 * snapshots).  A pfn belongs to the mapping that last mapped it until it
 * is unmapped; every op on the pfn meanwhile (pins, collapse scans,
 * khugepaged's rmap_remove...) joins that mapping's history.  mmap and
 * stack addresses are randomized per run: each task's mmap area and
 * is shifted by the offset that makes most of its pages line up (the
 * mode of the differences), the static image is compared as is, and the
 * stack is left out (its pages move with the environment's size).
 * Divergences print earliest first: the first is where the runs part.
 *
 * Compared per op: the kind, PMD or PTE, the result, and the mapping's
 * page state after it (mapcount, pincount; refcount only with --refcount,
 * since LRU and page-cache references come and go with timing).  Exit 0
 * when every mapping's history matches, 1 when they differ.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagestate/builtin.h"
#include "pagestate/check.h"
#include "pagestate/folio.h"
#include "pagestate/u64map.h"

static const char *const diff_usage[] = {
	"pagestate diff [--refcount] [--max N] GOOD BAD",
	NULL,
};

#define MMAP_LO		0x7f0000000000ull
#define STACK_LO	0x7ff000000000ull
#define MAX_TASKS	64

struct hop {			/* one op in a mapping's history */
	struct ps_op op;
	struct ps_state st;
};

struct mapping {
	int task;		/* workload task ordinal */
	u64 addr;		/* page address as recorded */
	u64 key;		/* address after the run's shift */
	struct hop *h;
	int nr, alloc;
};

struct run {
	const char *path;
	struct ps_trace *t;
	int pids[MAX_TASKS];
	int nr_tasks;
	struct mapping *m;
	int nr, alloc;
	struct ps_u64map by_addr;	/* task << 48 | page -> index + 1 */
	struct ps_u64map by_pfn;	/* pfn -> index + 1 of its mapping */
	u64 shift[MAX_TASKS][2];	/* mmap, stack */
};

static int task_of(struct run *r, int pid)
{
	int i;

	for (i = 0; i < r->nr_tasks; i++)
		if (r->pids[i] == pid)
			return i;
	return -1;
}

static struct mapping *mapping_get(struct run *r, int task, u64 addr)
{
	u64 *slot = ps_u64map_put(&r->by_addr, (u64)task << 48 |
				  (addr & ~0xfffull & ((1ull << 48) - 1)));
	struct mapping *m;

	if (*slot)
		return &r->m[*slot - 1];
	if (r->nr == r->alloc) {
		r->alloc = r->alloc ? 2 * r->alloc : 256;
		r->m = ps_xrealloc(r->m, r->alloc * sizeof(*r->m));
	}
	m = &r->m[r->nr++];
	memset(m, 0, sizeof(*m));
	m->task = task;
	m->addr = addr & ~0xfffull;
	*slot = r->nr;
	return m;
}

static void append(struct mapping *m, const struct ps_op *op,
		   const struct ps_state *st)
{
	if (m->nr == m->alloc) {
		m->alloc = m->alloc ? 2 * m->alloc : 8;
		m->h = ps_xrealloc(m->h, m->alloc * sizeof(*m->h));
	}
	m->h[m->nr].op = *op;
	m->h[m->nr].st = *st;
	m->nr++;
}

/* Ops that say what happened to a page, not when the LRU looked at it. */
static bool compared_kind(enum ps_op_kind k)
{
	switch (k) {
	case PS_OP_PIN: case PS_OP_UNPIN:
	case PS_OP_RMAP_ADD: case PS_OP_RMAP_REMOVE: case PS_OP_MAP_PTE:
	case PS_OP_FORK_DUP: case PS_OP_SPLIT_PMD: case PS_OP_SPLIT:
	case PS_OP_COLLAPSE_ISOLATE: case PS_OP_COLLAPSE:
	case PS_OP_MIGRATION_SET: case PS_OP_MIGRATION_REMOVE:
	case PS_OP_SNAPSHOT: case PS_OP_FREE:
		return true;
	default:
		return false;
	}
}

/* Ops that carry the user address of the page they are about. */
static bool maps_address(const struct ps_op *op)
{
	switch (op->kind) {
	case PS_OP_RMAP_ADD: case PS_OP_MAP_PTE: case PS_OP_SNAPSHOT:
	case PS_OP_MIGRATION_SET: case PS_OP_MIGRATION_REMOVE:
	case PS_OP_SPLIT_PMD:
		return op->addr != 0;
	default:
		return false;
	}
}

static void diff_op(struct ps_check *c, void *priv, const struct ps_op *op,
		    const struct ps_folio *f, const struct ps_state *before,
		    const struct ps_state *after)
{
	struct run *r = priv;
	struct mapping *m = NULL;
	u64 *idx;
	int task;

	if (op->kind == PS_OP_TASK && r->nr_tasks < MAX_TASKS &&
	    task_of(r, op->pid) < 0)
		r->pids[r->nr_tasks++] = op->pid;
	/* deep snapshots read every pfn touched, whoever maps it */
	if (!compared_kind(op->kind) || op->pfn == PS_PFN_NONE ||
	    (op->flags & PS_OPF_DEEP_SNAP))
		return;
	task = task_of(r, op->pid);
	/* the stack's pages move with the environment: not the workload's */
	if (maps_address(op) && task >= 0 && op->addr >= STACK_LO)
		return;
	if (maps_address(op) && task >= 0) {
		m = mapping_get(r, task, op->addr);
		*ps_u64map_put(&r->by_pfn, op->pfn) = (m - r->m) + 1;
	} else {
		idx = ps_u64map_get(&r->by_pfn, op->pfn);
		if (!idx)
			return;
		m = &r->m[*idx - 1];
	}
	append(m, op, after);
	if (op->kind == PS_OP_RMAP_REMOVE || op->kind == PS_OP_FREE)
		ps_u64map_del(&r->by_pfn, op->pfn);
}

static const struct ps_rule diff_rule = {
	.id = "diff",
	.summary = "collects per-mapping histories (not a rule)",
	.op = diff_op,
};

static int run_load(struct run *r)
{
	struct ps_check *c;
	int ret;

	r->t = ps_trace_open(r->path);
	if (!r->t)
		return -1;
	c = ps_check_new(r->t, "", false);
	if (!c)
		return -1;
	ps_check_add_rule(c, &diff_rule, r);
	ret = ps_check_run(c);
	ps_check_free(c);
	return ret;
}

static int addr_class(u64 addr)
{
	return addr >= STACK_LO ? 1 : addr >= MMAP_LO ? 0 : -1;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* The shift of one task's area in bad that lines most pages up with good */
static u64 best_shift(struct run *g, struct run *b, int task, int cls)
{
	u64 *ga = NULL, *ba = NULL, *d, best = 0;
	int ng = 0, nb = 0, i, j, nd = 0, run, best_run = 0;

	for (i = 0; i < g->nr; i++)
		if (g->m[i].task == task && addr_class(g->m[i].addr) == cls) {
			ga = ps_xrealloc(ga, (ng + 1) * sizeof(*ga));
			ga[ng++] = g->m[i].addr;
		}
	for (i = 0; i < b->nr; i++)
		if (b->m[i].task == task && addr_class(b->m[i].addr) == cls) {
			ba = ps_xrealloc(ba, (nb + 1) * sizeof(*ba));
			ba[nb++] = b->m[i].addr;
		}
	/* a sample is enough: the mode stands out */
	if (ng > 256)
		ng = 256;
	if (nb > 256)
		nb = 256;
	d = ps_xcalloc((size_t)ng * nb + 1, sizeof(*d));
	for (i = 0; i < ng; i++)
		for (j = 0; j < nb; j++)
			d[nd++] = ba[j] - ga[i];
	qsort(d, nd, sizeof(*d), cmp_u64);
	for (i = 0; i < nd; i += run) {
		for (run = 1; i + run < nd && d[i + run] == d[i]; run++)
			;
		if (run > best_run) {
			best_run = run;
			best = d[i];
		}
	}
	free(ga);
	free(ba);
	free(d);
	return best;
}

static void set_keys(struct run *r, bool is_bad)
{
	int i, cls;

	for (i = 0; i < r->nr; i++) {
		struct mapping *m = &r->m[i];

		cls = addr_class(m->addr);
		m->key = m->addr;
		if (is_bad && cls >= 0 && m->task < MAX_TASKS)
			m->key -= r->shift[m->task][cls];
	}
}

static struct mapping *find_key(struct run *r, int task, u64 key)
{
	int i;

	for (i = 0; i < r->nr; i++)
		if (r->m[i].task == task && r->m[i].key == key)
			return &r->m[i];
	return NULL;
}

static bool same_hop(const struct hop *a, const struct hop *b, bool refcount)
{
	if (a->op.kind != b->op.kind || a->op.result != b->op.result ||
	    (a->op.flags & PS_OPF_COMPOUND) != (b->op.flags & PS_OPF_COMPOUND))
		return false;
	if (a->op.kind == PS_OP_SNAPSHOT)
		return a->op.obs_mapcount == b->op.obs_mapcount;
	if (a->st.sub_mapcount != b->st.sub_mapcount ||
	    a->st.mapcount != b->st.mapcount ||
	    a->st.pincount != b->st.pincount || a->st.order != b->st.order)
		return false;
	return !refcount || a->st.refcount == b->st.refcount;
}

static void print_hop(struct run *r, const char *who, const struct hop *h)
{
	const struct ps_op *op;

	if (!h) {
		printf("    %-5s (nothing: the history ends here)\n", who);
		return;
	}
	op = &h->op;
	printf("    %-5s %llu.%06llu %s-%d %s", who,
	       (unsigned long long)(op->ts / 1000000000),
	       (unsigned long long)(op->ts % 1000000000 / 1000),
	       ps_trace_comm(r->t, op->pid), op->pid, ps_op_kind_name(op->kind));
	if (op->flags & PS_OPF_COMPOUND)
		printf(" compound");
	if (op->result_name)
		printf(" %s", op->result_name);
	else if (op->result)
		printf(" result=%d", op->result);
	if (op->kind == PS_OP_SNAPSHOT)
		printf(" kpagecount=%lld", (long long)op->obs_mapcount);
	else
		printf(" | folio 0x%llx/%u ref=%lld map=%d sub=%d pin=%d",
		       (unsigned long long)h->st.head, h->st.order,
		       (long long)h->st.refcount, h->st.mapcount,
		       h->st.sub_mapcount, h->st.pincount);
	printf(" (pfn 0x%llx)\n", (unsigned long long)op->pfn);
}

static const char *task_name(struct run *r, int task)
{
	return task < r->nr_tasks ? ps_trace_comm(r->t, r->pids[task]) : "?";
}

/* Index of the first op where the histories part, or -1. */
static int diverge_at(const struct mapping *mg, const struct mapping *mb,
		      bool refcount)
{
	int i, n = mg->nr > mb->nr ? mg->nr : mb->nr;

	for (i = 0; i < n; i++)
		if (i >= mg->nr || i >= mb->nr ||
		    !same_hop(&mg->h[i], &mb->h[i], refcount))
			return i;
	return -1;
}

struct divergence {
	struct mapping *g, *b;
	int at;
	u64 ts;			/* of the op where they part */
};

static u64 divergence_ts(const struct divergence *d)
{
	if (d->at < d->b->nr)
		return d->b->h[d->at].op.ts;
	return d->g->h[d->at].op.ts;
}

static int cmp_divergence(const void *x, const void *y)
{
	const struct divergence *a = x, *b = y;

	return a->ts < b->ts ? -1 : a->ts > b->ts;
}

static void show(struct run *g, struct run *b, const struct divergence *d)
{
	struct mapping *mg = d->g, *mb = d->b;
	int i = d->at;

	printf("task %d (%s) page 0x%llx (0x%llx in the bad run): op %d of "
	       "%d/%d differs\n", mg->task, task_name(g, mg->task),
	       (unsigned long long)mg->addr, (unsigned long long)mb->addr,
	       i + 1, mg->nr, mb->nr);
	if (i > 0)
		print_hop(g, "both", &mg->h[i - 1]);
	print_hop(g, "good", i < mg->nr ? &mg->h[i] : NULL);
	print_hop(b, "bad", i < mb->nr ? &mb->h[i] : NULL);
}

static void free_run(struct run *r)
{
	int i;

	for (i = 0; i < r->nr; i++)
		free(r->m[i].h);
	free(r->m);
	ps_u64map_free(&r->by_addr);
	ps_u64map_free(&r->by_pfn);
	ps_trace_close(r->t);
}

/* Align bad's tasks on good's: per task and class, the best shift. */
static void align_runs(struct run *g, struct run *b)
{
	int task, cls;

	for (task = 0; task < b->nr_tasks && task < MAX_TASKS; task++)
		for (cls = 0; cls < 2; cls++)
			b->shift[task][cls] = best_shift(g, b, task, cls);
	set_keys(g, false);
	set_keys(b, true);
	if (g->nr_tasks != b->nr_tasks)
		printf("workload tasks: %d in %s, %d in %s\n", g->nr_tasks,
		       g->path, b->nr_tasks, b->path);
}

/*
 * Every mapping of good against its match in bad: the divergences,
 * earliest first (the first is where the runs part), and the summary.
 * PS_EXIT_FINDINGS when the runs differ.
 */
static int compare_runs(struct run *g, struct run *b, int refcount, int max)
{
	int same = 0, differ = 0, only_good = 0, only_bad = 0, i;
	struct divergence *dv = ps_xcalloc(g->nr + 1, sizeof(*dv));

	for (i = 0; i < g->nr; i++) {
		struct mapping *mb = find_key(b, g->m[i].task, g->m[i].key);
		int at;

		if (!mb) {
			only_good++;
			continue;
		}
		at = diverge_at(&g->m[i], mb, refcount);
		if (at < 0) {
			same++;
			continue;
		}
		dv[differ].g = &g->m[i];
		dv[differ].b = mb;
		dv[differ].at = at;
		dv[differ].ts = divergence_ts(&dv[differ]);
		differ++;
	}
	qsort(dv, differ, sizeof(*dv), cmp_divergence);
	for (i = 0; i < differ && i < max; i++) {
		if (i == 1)
			printf("\nthen, in time order:\n");
		show(g, b, &dv[i]);
	}
	if (differ > max)
		printf("(%d more differ; --max N shows more)\n", differ - max);
	free(dv);
	for (i = 0; i < b->nr; i++)
		if (!find_key(g, b->m[i].task, b->m[i].key))
			only_bad++;
	printf("%s%d mappings compared: %d agree, %d differ; %d only in good "
	       "(%s), %d only in bad (%s)\n", differ ? "\n" : "",
	       same + differ, same, differ, only_good, g->path, only_bad,
	       b->path);
	return differ || only_good || only_bad ? PS_EXIT_FINDINGS : PS_EXIT_OK;
}

int cmd_diff(int argc, const char **argv)
{
	int refcount = 0, max = 10, n, ret = PS_EXIT_USAGE;
	struct run g = { 0 }, b = { 0 };
	enum ps_parse_result res;
	const char *probe_map = NULL;
	struct ps_option opts[] = {
		PS_OPT_BOOL_F(0, "refcount", &refcount,
			"compare refcounts too (timing-dependent)"),
		PS_OPT_INT_F(0, "max", &max, "n",
			"mappings whose divergence is printed (10)"),
		PS_OPT_PROBE_MAP_F(&probe_map),
		PS_OPT_END_MARK,
	};

	res = ps_parse_options(argc, argv, opts, diff_usage, &n, NULL);
	if (res != PS_PARSE_OK)
		return ps_parse_exit(res);
	if (probe_map && ps_trace_set_probe_map(probe_map))
		return PS_EXIT_USAGE;
	if (n != 2)
		return ps_usage_msg_opt(diff_usage, opts,
			"diff takes two recordings, got %d", n);
	g.path = argv[0];
	b.path = argv[1];
	if (run_load(&g) || run_load(&b))
		goto out;
	if (!g.nr_tasks || !b.nr_tasks) {
		ps_error("%s: no workload tasks (pagestate record -- CMD "
			 "makes them): nothing to align by",
			 g.nr_tasks ? b.path : g.path);
		goto out;
	}
	align_runs(&g, &b);
	ret = compare_runs(&g, &b, refcount, max);
out:
	free_run(&g);
	free_run(&b);
	return ret;
}
