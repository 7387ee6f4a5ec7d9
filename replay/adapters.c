// SPDX-License-Identifier: GPL-2.0
/*
 * Event adapters: one function per kernel event, turning its fields into
 * page ops (pageop.h).  Fields are read by name (looked up once per file,
 * see ps_adapters[] and replay/trace.c), never by offset we assumed, and
 * page flags are decoded from the names the event's own __print_flags
 * gives, never from bit numbers, since those move between kernels.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagestate/recording.h"
#include "pagestate/folio.h"
#include "adapter.h"

/* --- page flags by name ------------------------------------------------- */

static const struct {
	const char *name;
	u64 ps;
} pg_names[] = {
	{ "locked", PS_PG_LOCKED },
	{ "referenced", PS_PG_REFERENCED },
	{ "uptodate", PS_PG_UPTODATE },
	{ "dirty", PS_PG_DIRTY },
	{ "lru", PS_PG_LRU },
	{ "active", PS_PG_ACTIVE },
	{ "slab", PS_PG_SLAB },
	{ "writeback", PS_PG_WRITEBACK },
	{ "reclaim", PS_PG_RECLAIM },
	{ "buddy", PS_PG_BUDDY },
	{ "swapcache", PS_PG_SWAPCACHE },
	{ "swapbacked", PS_PG_SWAPBACKED },
	{ "head", PS_PG_COMPOUND_HEAD },
	{ "unevictable", PS_PG_UNEVICTABLE },
	{ "mlocked", PS_PG_MLOCKED },
	{ "idle", PS_PG_IDLE },
	{ "private", PS_PG_PRIVATE },
	{ "workingset", PS_PG_WORKINGSET },
	/* 6.1 prints PG_anon_exclusive under its alias; see ps_op_anon() */
	{ "mappedtodisk", PS_PG_MAPPEDTODISK },
	/* 6.12: PG_mappedtodisk and PG_anon_exclusive are PG_owner_2 */
	{ "owner_2", PS_PG_MAPPEDTODISK },
	{ "anon_exclusive", PS_PG_ANON_EXCLUSIVE },
	{ "hwpoison", PS_PG_HWPOISON },
};

u64 ps_pg_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pg_names); i++)
		if (!strcmp(name, pg_names[i].name))
			return pg_names[i].ps;
	return 0;
}

/* include/uapi/linux/kernel-page-flags.h and fs/proc/page.c: stable ABI */
static const u64 kpf_to_ps[64] = {
	[0] = PS_PG_LOCKED, [2] = PS_PG_REFERENCED, [3] = PS_PG_UPTODATE,
	[4] = PS_PG_DIRTY, [5] = PS_PG_LRU, [6] = PS_PG_ACTIVE,
	[7] = PS_PG_SLAB, [8] = PS_PG_WRITEBACK, [9] = PS_PG_RECLAIM,
	[10] = PS_PG_BUDDY, [11] = PS_PG_MMAP, [12] = PS_PG_ANON,
	[13] = PS_PG_SWAPCACHE, [14] = PS_PG_SWAPBACKED,
	[15] = PS_PG_COMPOUND_HEAD, [16] = PS_PG_COMPOUND_TAIL,
	[17] = PS_PG_HUGE, [18] = PS_PG_UNEVICTABLE, [19] = PS_PG_HWPOISON,
	[20] = PS_PG_NOPAGE, [21] = PS_PG_KSM, [22] = PS_PG_THP,
	[23] = PS_PG_OFFLINE, [24] = PS_PG_ZERO_PAGE, [25] = PS_PG_IDLE,
	[26] = PS_PG_PGTABLE,
	[33] = PS_PG_MLOCKED, [34] = PS_PG_MAPPEDTODISK, [35] = PS_PG_PRIVATE,
};

/* Anon pages reuse PG_mappedtodisk as PG_anon_exclusive (5.19+). */
static u64 ps_pg_anon_alias(u64 ps)
{
	if ((ps & PS_PG_ANON) && (ps & PS_PG_MAPPEDTODISK))
		ps = (ps & ~PS_PG_MAPPEDTODISK) | PS_PG_ANON_EXCLUSIVE;
	return ps;
}

u64 ps_pg_from_kpageflags(u64 kpf)
{
	u64 ps = 0;
	int bit;

	for (bit = 0; bit < 64; bit++)
		if (kpf & (1ull << bit))
			ps |= kpf_to_ps[bit];
	return ps_pg_anon_alias(ps);
}

void ps_adapter_decode_flags(struct ps_event_adapter *ea, const char *field)
{
	struct tep_print_arg *arg;
	struct tep_print_flag_sym *sym;

	for (arg = ea->event->print_fmt.args; arg; arg = arg->next) {
		if (arg->type != TEP_PRINT_FLAGS || !arg->flags.field ||
		    arg->flags.field->type != TEP_PRINT_FIELD ||
		    strcmp(arg->flags.field->field.name, field))
			continue;
		for (sym = arg->flags.flags; sym; sym = sym->next) {
			u64 ps = ps_pg_from_name(sym->str);

			if (!ps)
				continue;
			ea->flags = ps_xrealloc(ea->flags, (ea->nr_flags + 1) *
						sizeof(*ea->flags));
			ea->flags[ea->nr_flags].mask =
				strtoull(sym->value, NULL, 0);
			ea->flags[ea->nr_flags].ps = ps;
			ea->nr_flags++;
		}
		return;
	}
}

/*
 * page->flags by the bit numbers of the recording's "pageflags" marker.
 * Every page_ref event comes through here: only the bits set are looked
 * at, not all 64.
 */
u64 ps_pflags_decode(struct ps_trace *t, u64 raw)
{
	const struct ps_layout *l = &ps_trace_meta_mut(t)->layout;
	u64 ps = 0;

	for (; raw; raw &= raw - 1)
		ps |= l->pg[__builtin_ctzll(raw)];
	return ps;
}

u64 ps_flags_decode(const struct ps_event_adapter *ea, u64 raw)
{
	u64 ps = 0;
	int i;

	for (i = 0; i < ea->nr_flags; i++)
		if (ea->flags[i].mask && (raw & ea->flags[i].mask) ==
		    ea->flags[i].mask)
			ps |= ea->flags[i].ps;
	return ps;
}

/* --- x86-64 page table entries ----------------------------------------- */

#define X86_PTE_PFN_MASK	0x000ffffffffff000ull
/* arch/x86/include/asm/pgtable_64.h: inverted swap offset from bit 9 */
#define X86_SWP_TYPE_BITS	5
#define X86_SWP_OFFSET_SHIFT	14
#define X86_SWP_PFN_BITS	34	/* MAX_PHYSMEM_BITS 46 - PAGE_SHIFT */
#define X86_PAGE_SWP_EXCLUSIVE	(1ull << 7)	/* _PAGE_PSE */

static u64 x86_pte_pfn(u64 pte)
{
	return (pte & X86_PTE_PFN_MASK) >> 12;
}

static u64 x86_swp_pfn(u64 pte)
{
	u64 off = (~pte << X86_SWP_TYPE_BITS) >> X86_SWP_OFFSET_SHIFT;

	return off & ((1ull << X86_SWP_PFN_BITS) - 1);
}

/* --- adapters ------------------------------------------------------------ */

#define F(i) ps_field(t, ea, rec, (i))

/*
 * The value of __print_flags symbol @name of @field in @arg and what it
 * holds, or 0.  show_gfp_flags() wraps its __print_flags in a "?:".
 */
static u64 print_flag_value(struct tep_print_arg *arg, const char *field,
			    const char *name, int depth)
{
	struct tep_print_flag_sym *sym;
	u64 v;

	for (; arg && depth < 8; arg = arg->next) {
		if (arg->type == TEP_PRINT_OP) {
			v = print_flag_value(arg->op.left, field, name,
					     depth + 1);
			if (!v)
				v = print_flag_value(arg->op.right, field,
						     name, depth + 1);
			if (v)
				return v;
		}
		if (arg->type != TEP_PRINT_FLAGS || !arg->flags.field ||
		    arg->flags.field->type != TEP_PRINT_FIELD ||
		    strcmp(arg->flags.field->field.name, field))
			continue;
		for (sym = arg->flags.flags; sym; sym = sym->next)
			if (!strcmp(sym->str, name))
				return strtoull(sym->value, NULL, 0);
	}
	return 0;
}

/*
 * A high-order allocation without __GFP_COMP (x86's order-1 PGD, say) is
 * a block of pages, not a folio: only its first page has a refcount,
 * none is a compound head or tail.  The flag says so, by the gfp flag's
 * name in the format (its bit moves between kernels).
 */
static void ad_page_alloc(struct ps_trace *t, struct ps_event_adapter *ea,
			  struct tep_record *rec, struct ps_op *op)
{
	op->pfn = (u64)F(0);
	if (op->pfn == PS_PFN_NONE || !op->pfn)
		return;		/* failed allocation */
	op->kind = PS_OP_ALLOC;
	op->order = (u32)F(1);
	if (!ea->aux_set) {
		ea->aux = print_flag_value(ea->event->print_fmt.args,
					   "gfp_flags", "__GFP_COMP", 0);
		ea->aux_set = true;
	}
	if (op->order && ea->aux && ea->f[2] && !((u64)F(2) & ea->aux))
		op->flags |= PS_OPF_NON_COMPOUND;
	ps_emit(t, op);
}

static void ad_page_free(struct ps_trace *t, struct ps_event_adapter *ea,
			 struct tep_record *rec, struct ps_op *op)
{
	op->kind = PS_OP_FREE;
	op->pfn = (u64)F(0);
	op->order = ea->f[1] ? (u32)F(1) : 0;
	ps_emit(t, op);
}

static void set_result(struct ps_event_adapter *ea, struct tep_record *rec,
		       struct ps_trace *t, struct ps_op *op, int i)
{
	struct tep_print_arg *arg;
	struct tep_print_flag_sym *sym;
	char buf[24];

	op->result = (int)F(i);
	snprintf(buf, sizeof(buf), "%d", op->result);
	for (arg = ea->event->print_fmt.args; arg; arg = arg->next) {
		if (arg->type != TEP_PRINT_SYMBOL)
			continue;
		for (sym = arg->symbol.symbols; sym; sym = sym->next)
			if (!strcmp(sym->value, buf)) {
				op->result_name = sym->str;
				return;
			}
	}
}

static void ad_scan_pmd(struct ps_trace *t, struct ps_event_adapter *ea,
			struct tep_record *rec, struct ps_op *op)
{
	op->kind = PS_OP_COLLAPSE_SCAN;
	op->mm = (u64)F(0);
	op->pfn = (u64)F(1);
	set_result(ea, rec, t, op, 2);
	op->val = F(3);		/* referenced */
	op->val2 = F(4);	/* none_or_zero */
	ps_emit(t, op);
}

static void ad_collapse_isolate(struct ps_trace *t,
				struct ps_event_adapter *ea,
				struct tep_record *rec, struct ps_op *op)
{
	op->kind = PS_OP_COLLAPSE_ISOLATE;
	op->pfn = (u64)F(0);
	set_result(ea, rec, t, op, 1);
	op->val = F(2);		/* referenced */
	op->val2 = F(3);	/* none_or_zero */
	ps_emit(t, op);
}

static void ad_collapse(struct ps_trace *t, struct ps_event_adapter *ea,
			struct tep_record *rec, struct ps_op *op)
{
	op->kind = PS_OP_COLLAPSE;
	op->mm = (u64)F(0);
	op->val = F(1);		/* isolated */
	set_result(ea, rec, t, op, 2);
	ps_emit(t, op);
}

static void ad_collapse_file(struct ps_trace *t, struct ps_event_adapter *ea,
			     struct tep_record *rec, struct ps_op *op)
{
	op->kind = PS_OP_COLLAPSE;
	op->flags |= PS_OPF_FILE;
	op->mm = (u64)F(0);
	op->pfn = (u64)F(1);
	op->addr = (u64)F(2);
	set_result(ea, rec, t, op, 3);
	ps_emit(t, op);
}

/*
 * The shmem/file scan's end: its result is collapse_file()'s when the
 * scan let it run (6.1 has no collapse_file event).  The event's pfn is
 * the last page the scan looked at, never the THP: the page a refusing
 * scan stopped at (SCAN_PAGE_COUNT: the one with extra references), so
 * only a refusal names it.
 */
static void ad_scan_file(struct ps_trace *t, struct ps_event_adapter *ea,
			 struct tep_record *rec, struct ps_op *op)
{
	u64 pfn = (u64)F(1);

	op->kind = PS_OP_COLLAPSE;
	op->flags |= PS_OPF_FILE;
	op->mm = (u64)F(0);
	set_result(ea, rec, t, op, 2);
	if (op->result != 1 && pfn < PS_PFN_LIMIT)
		op->pfn = pfn;
	ps_emit(t, op);
}

static void ad_set_migration(struct ps_trace *t, struct ps_event_adapter *ea,
			     struct tep_record *rec, struct ps_op *op)
{
	u64 pte = (u64)F(1);

	op->kind = PS_OP_MIGRATION_SET;
	op->addr = (u64)F(0);
	op->mm = ps_trace_migration_mm(t, op->pid, op->addr);
	op->pfn = x86_swp_pfn(pte);
	op->order = ea->f[2] ? (u32)F(2) : 9;	/* the _pmd events: PMD */
	op->val = pte;
	if (pte & X86_PAGE_SWP_EXCLUSIVE)
		op->flags |= PS_OPF_EXCLUSIVE;
	ps_emit(t, op);
}

static void ad_remove_migration(struct ps_trace *t,
				struct ps_event_adapter *ea,
				struct tep_record *rec, struct ps_op *op)
{
	u64 pte = (u64)F(1);

	op->kind = PS_OP_MIGRATION_REMOVE;
	op->addr = (u64)F(0);
	op->mm = ps_trace_migration_mm(t, op->pid, op->addr);
	op->pfn = x86_pte_pfn(pte);
	op->order = ea->f[2] ? (u32)F(2) : 9;
	op->val = pte;
	ps_emit(t, op);
}

static void ad_migrate_start(struct ps_trace *t, struct ps_event_adapter *ea,
			     struct tep_record *rec, struct ps_op *op)
{
	op->kind = PS_OP_MIGRATE_START;
	op->val = F(0);		/* mode */
	op->result = (int)F(1);	/* reason */
	ps_emit(t, op);
}

static void ad_migrate_end(struct ps_trace *t, struct ps_event_adapter *ea,
			   struct tep_record *rec, struct ps_op *op)
{
	op->kind = PS_OP_MIGRATE_END;
	op->val = F(0);		/* succeeded */
	op->val2 = F(1);	/* failed */
	ps_emit(t, op);
}

/* pagemap:mm_lru_insertion flags, include/trace/events/pagemap.h */
static const struct ps_flag_map lru_flags[] = {
	{ 0x0001, PS_PG_MMAP },
	{ 0x0002, PS_PG_ANON },
	{ 0x0008, PS_PG_SWAPCACHE },
	{ 0x0010, PS_PG_SWAPBACKED },
	{ 0x0020, PS_PG_MAPPEDTODISK },
	{ 0x0040, PS_PG_PRIVATE },
};

static void ad_lru_insertion(struct ps_trace *t, struct ps_event_adapter *ea,
			     struct tep_record *rec, struct ps_op *op)
{
	u64 raw = (u64)F(1), mask = PS_PG_LRU;
	size_t i;

	op->kind = PS_OP_FLAGS;
	op->pfn = (u64)F(0);
	op->flags |= PS_OPF_HAS_OBS_FLAGS;
	op->obs_flags = PS_PG_LRU;
	for (i = 0; i < ARRAY_SIZE(lru_flags); i++) {
		mask |= lru_flags[i].ps;
		if (raw & lru_flags[i].mask)
			op->obs_flags |= lru_flags[i].ps;
	}
	op->obs_flags = ps_pg_anon_alias(op->obs_flags);
	mask |= PS_PG_ANON_EXCLUSIVE;
	op->val2 = (s64)mask;
	ps_emit(t, op);
}

static void ad_lru_activate(struct ps_trace *t, struct ps_event_adapter *ea,
			    struct tep_record *rec, struct ps_op *op)
{
	op->kind = PS_OP_FLAGS;
	op->pfn = (u64)F(0);
	op->flags |= PS_OPF_HAS_OBS_FLAGS;
	op->obs_flags = PS_PG_ACTIVE | PS_PG_LRU;
	op->val2 = (s64)(PS_PG_ACTIVE | PS_PG_LRU);
	ps_emit(t, op);
}

/*
 * filemap:mm_filemap_add_to_page_cache / _delete_from_page_cache: a
 * folio entering or leaving a file's page cache (include/trace/events/
 * filemap.h, 6.1 through 7.2: pfn is folio_pfn(), order folio_order()).
 * fields: pfn i_ino index s_dev order (order absent before 5.17: the
 * engine's own order of the folio then stands)
 */
static void ad_filemap(struct ps_trace *t, struct ps_event_adapter *ea,
		       struct tep_record *rec, struct ps_op *op)
{
	op->kind = strcmp(ea->a->name, "mm_filemap_add_to_page_cache") ?
		   PS_OP_CACHE_DEL : PS_OP_CACHE_ADD;
	op->pfn = (u64)F(0);
	op->val = F(1);
	op->val2 = F(2);
	op->result = (int)F(3);
	if (ea->f[4]) {
		op->order = (u32)F(4);
		op->flags |= PS_OPF_FOLIO_ORDER;
	}
	ps_emit(t, op);
}

/*
 * page_ref:* (CONFIG_DEBUG_PAGE_REF).  count and mapcount are the values
 * after the change, so every one of these events is also a baseline.
 * fields: pfn flags count mapcount mapping val ret
 */
static void page_ref_common(struct ps_trace *t, struct ps_event_adapter *ea,
			    struct tep_record *rec, struct ps_op *op)
{
	u64 mapping = (u64)F(4);

	op->pfn = (u64)F(0);
	op->obs_count = F(2);
	op->obs_mapcount = F(3);
	/*
	 * The event's print format names the bits by PG_* enum values that
	 * libtraceevent cannot resolve (6.1 prints "locked|0x8000e"): the
	 * recording's pageflags marker numbers them when it has one.
	 */
	if (ps_trace_meta_mut(t)->layout.pageflags_seen)
		op->obs_flags = ps_pflags_decode(t, (u64)F(1));
	else
		op->obs_flags = ps_flags_decode(ea, (u64)F(1));
	if (mapping & 1)	/* PAGE_MAPPING_ANON */
		op->obs_flags = ps_pg_anon_alias(op->obs_flags | PS_PG_ANON);
	op->flags |= PS_OPF_HAS_OBS_COUNT | PS_OPF_HAS_OBS_MAPCOUNT;
}

/*
 * A get inside copy_huge_pmd() on the page of the PMD it copies: fork
 * duplicates that PMD's rmap (replay/adapters-kprobe.c).  Same task, and
 * the PMD lock keeps it on one CPU: the events sort between the probe
 * at entry and the one at return.
 */
static void copy_huge_pmd_got(struct ps_trace *t, const struct ps_op *op)
{
	struct ps_fork_slot *fs = ps_trace_fork_slot(t, op->pid, false);

	if (fs && fs->has_pmd && op->val > 0 && op->pfn == fs->pmd.pfn)
		fs->pmd_ref = true;
}

static void ad_page_ref_mod(struct ps_trace *t, struct ps_event_adapter *ea,
			    struct tep_record *rec, struct ps_op *op)
{
	page_ref_common(t, ea, rec, op);
	op->kind = PS_OP_REF;
	op->val = F(5);
	/*
	 * _unless: the change happened only if ret says so.  A failed
	 * try-get (the page frozen or being freed) changed nothing, and the
	 * count it saw belongs to another CPU's event that may be written
	 * later: no observation to hold the sum against.
	 */
	if (ea->f[6] && !strcmp(ea->a->name, "page_ref_mod_unless") && !F(6)) {
		op->val = 0;
		op->flags &= ~(PS_OPF_HAS_OBS_COUNT | PS_OPF_HAS_OBS_MAPCOUNT);
	}
	copy_huge_pmd_got(t, op);
	ps_emit(t, op);
}

static void ad_page_ref_set(struct ps_trace *t, struct ps_event_adapter *ea,
			    struct tep_record *rec, struct ps_op *op)
{
	page_ref_common(t, ea, rec, op);
	op->kind = PS_OP_REF_SET;
	ps_emit(t, op);
}

/* --- pagestate's own markers ---------------------------------------------- */

static const char *kv(const char *line, const char *key, char *buf,
		      size_t size)
{
	size_t klen = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " \n");

			if (n >= size)
				n = size - 1;
			memcpy(buf, p + klen + 1, n);
			buf[n] = '\0';
			return buf;
		}
		p += klen;
	}
	return NULL;
}

static long kv_long(const char *line, const char *key, long dflt)
{
	char buf[32];

	return kv(line, key, buf, sizeof(buf)) ? strtol(buf, NULL, 0) : dflt;
}

static void marker_snap(struct ps_trace *t, const char *line, struct ps_op *op)
{
	const char *p = strstr(line, " pages=");
	char when[16];

	if (!p)
		return;
	op->kind = PS_OP_SNAPSHOT;
	op->pid = (int)kv_long(line, "pid", op->pid);
	op->flags |= PS_OPF_HAS_OBS_MAPCOUNT | PS_OPF_HAS_OBS_FLAGS;
	if (kv(line, "when", when, sizeof(when)) && !strcmp(when, "start"))
		op->flags |= PS_OPF_START_SNAP;
	for (p += 7; *p && *p != '\n';) {
		unsigned long long va, pfn, cnt, kpf;
		int n = 0;

		if (sscanf(p, "%llx:%llx:%llx:%llx%n", &va, &pfn, &cnt, &kpf,
			   &n) != 4 || !n)
			break;
		op->addr = va;
		op->pfn = pfn;
		op->obs_mapcount = (s64)cnt;
		op->val = (s64)kpf;
		op->obs_flags = ps_pg_from_kpageflags(kpf);
		ps_emit(t, op);
		ps_trace_meta_mut(t)->snapshots++;
		p += n;
		if (*p == ',')
			p++;
	}
}

/* "deep ... pfns=<pfn>[+<n>]:<kpagecount>:<kpageflags>,..." (deep.c) */
static void marker_deep(struct ps_trace *t, const char *line, struct ps_op *op)
{
	const char *p = strstr(line, " pfns=");

	if (!p)
		return;
	op->kind = PS_OP_SNAPSHOT;
	op->pid = (int)kv_long(line, "pid", op->pid);
	op->addr = 0;
	op->flags |= PS_OPF_HAS_OBS_MAPCOUNT | PS_OPF_HAS_OBS_FLAGS |
		     PS_OPF_DEEP_SNAP;
	for (p += 6; *p && *p != '\n';) {
		unsigned long long pfn, extra = 0, cnt, kpf, i;
		int n = 0;

		if (sscanf(p, "%llx+%llx:%llx:%llx%n", &pfn, &extra, &cnt,
			   &kpf, &n) != 4 || !n) {
			extra = 0;
			n = 0;
			if (sscanf(p, "%llx:%llx:%llx%n", &pfn, &cnt, &kpf,
				   &n) != 3 || !n)
				break;
		}
		/* a run longer than the largest buddy block is garbage */
		if (extra >= (1ull << PS_MAX_ORDER))
			break;
		op->obs_mapcount = (s64)cnt;
		op->val = (s64)kpf;
		op->obs_flags = ps_pg_from_kpageflags(kpf);
		for (i = 0; i <= extra; i++) {
			op->pfn = pfn + i;
			ps_emit(t, op);
		}
		p += n;
		if (*p == ',')
			p++;
	}
}

static void marker_begin(struct ps_trace *t, const char *line)
{
	struct ps_meta *m = ps_trace_meta_mut(t);
	const char *cmd = strstr(line, " cmd=");
	size_t n;

	m->pagestate = true;
	kv(line, "kernel", m->kernel, sizeof(m->kernel));
	kv(line, "profile", m->profile, sizeof(m->profile));
	if (cmd) {
		cmd += 5;
		n = strcspn(cmd, "\n");
		if (n >= sizeof(m->cmd))
			n = sizeof(m->cmd) - 1;
		memcpy(m->cmd, cmd, n);
		m->cmd[n] = '\0';
	}
}

static void marker_layout(struct ps_trace *t, const char *line)
{
	struct ps_layout *l = &ps_trace_meta_mut(t)->layout;
	static const struct {
		const char *key;
		size_t off;
		bool wide;
	} keys[] = {
#define K(k, f, w) { k, offsetof(struct ps_layout, f), w }
		K("vmemmap_base", vmemmap_base, true),
		K("struct_page", struct_page, false),
		K("flags", off_flags, false),
		K("mapcount", off_mapcount, false),
		K("refcount", off_refcount, false),
		K("compound_mapcount", off_compound_mapcount, false),
		K("compound_pincount", off_compound_pincount, false),
		K("foll_pin", foll_pin, true),
		K("foll_get", foll_get, true),
		K("foll_longterm", foll_longterm, true),
		K("rmap_exclusive", rmap_exclusive, true),
		K("rmap_compound", rmap_compound, true),
#undef K
	};
	char buf[40];
	size_t i;

	kv(line, "source", l->source, sizeof(l->source));
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		u64 v;

		if (!kv(line, keys[i].key, buf, sizeof(buf)))
			continue;
		v = strtoull(buf, NULL, keys[i].wide ? 16 : 10);
		if (keys[i].wide)
			*(u64 *)((char *)l + keys[i].off) = v;
		else
			*(u32 *)((char *)l + keys[i].off) = (u32)v;
	}
	l->valid = l->vmemmap_base && l->struct_page;
}

/*
 * "pageflags locked=0 referenced=1 ...": bit numbers by name.  Aliases
 * (PG_swapcache is PG_owner_priv_1, PG_anon_exclusive PG_mappedtodisk,
 * PG_double_map PG_workingset on the first tail) mean different things
 * on different page types: those are decoded by meaning elsewhere, never
 * from the bit alone.
 */
static bool pageflag_is_alias(const char *name)
{
	static const char *const aliases[] = {
		"swapcache", "anon_exclusive", "double_map", "PG_swapcache",
		"PG_anon_exclusive", "PG_double_map",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(aliases); i++)
		if (!strcmp(name, aliases[i]))
			return true;
	return false;
}

static void marker_pageflags(struct ps_trace *t, const char *line)
{
	struct ps_layout *l = &ps_trace_meta_mut(t)->layout;
	const char *p = line;
	char name[48];
	int bit, n;

	l->pageflags_seen = true;
	while ((p = strchr(p, ' '))) {
		p++;
		if (sscanf(p, "%47[a-z_0-9]=%d%n", name, &bit, &n) != 2)
			continue;
		if (!strcmp(name, "double_map") || !strcmp(name, "PG_double_map"))
			l->double_map = true;
		if (bit >= 0 && bit < 64 && !pageflag_is_alias(name))
			l->pg[bit] |= ps_pg_from_name(strncmp(name, "PG_", 3) ?
						      name : name + 3);
	}
}

/* "stacks mode=all|off|some", then "stack-on SYSTEM:EVENT if=..." */
static void marker_stacks(struct ps_trace *t, const char *line)
{
	struct ps_meta *m = ps_trace_meta_mut(t);
	char sys[64], name[128];
	struct tep_event *ev;

	if (!strncmp(line, "stacks ", 7)) {
		const char *mode = strstr(line, "mode=");

		m->nr_stack_on = 0;
		m->stack_skip_recorder = strstr(line, " skip=recorder") != NULL;
		m->stack_mode = !mode ? PS_STACKS_UNKNOWN :
			!strncmp(mode + 5, "all", 3) ? PS_STACKS_ALL :
			!strncmp(mode + 5, "some", 4) ? PS_STACKS_SOME :
			!strncmp(mode + 5, "off", 3) ? PS_STACKS_OFF :
			PS_STACKS_UNKNOWN;
		return;
	}
	if (sscanf(line + 9, "%63[^: ]:%127[^ ]", sys, name) != 2 ||
	    m->nr_stack_on >= PS_STACK_ON_MAX)
		return;
	ev = tep_find_event_by_name(ps_trace_tep(t), sys, name);
	if (ev)
		m->stack_on[m->nr_stack_on++] = ev->id;
}

/* "recorder pids=PID,TID,..." */
static void marker_recorder(struct ps_trace *t, const char *line)
{
	struct ps_meta *m = ps_trace_meta_mut(t);
	const char *s = strstr(line, "pids=");
	char *end;
	long pid;

	m->nr_recorder_pids = 0;
	if (!s)
		return;
	for (s += 5; m->nr_recorder_pids < PS_RECORDER_PIDS_MAX; s = end + 1) {
		pid = strtol(s, &end, 10);
		if (end == s || pid <= 0 || pid > INT_MAX)
			break;
		m->recorder_pids[m->nr_recorder_pids++] = (int)pid;
		if (*end != ',')
			break;
	}
}

static void ad_print(struct ps_trace *t, struct ps_event_adapter *ea,
		     struct tep_record *rec, struct ps_op *op)
{
	struct tep_format_field *f = ea->f[1];
	const char *buf, *line;
	size_t plen = strlen(PS_MARK_PREFIX);
	char tmp[8192];		/* any marker a kernel accepts (<= a page) */
	int len;

	if (!f || f->offset < 0 || f->offset >= rec->size)
		return;
	buf = (const char *)rec->data + f->offset;
	len = rec->size - f->offset;
	if (len >= (int)sizeof(tmp))
		len = sizeof(tmp) - 1;
	if (len < (int)plen || memcmp(buf, PS_MARK_PREFIX, plen))
		return;
	memcpy(tmp, buf, len);
	tmp[len] = '\0';
	line = tmp + plen;

	if (!strncmp(line, "snap ", 5)) {
		marker_snap(t, line, op);
	} else if (!strncmp(line, "probes-on", 9)) {
		op->kind = PS_OP_PROBES_ON;
		ps_emit(t, op);
	} else if (!strncmp(line, "deep ", 5)) {
		marker_deep(t, line, op);
	} else if (!strncmp(line, "deep-begin ", 11)) {
		op->kind = PS_OP_SNAPSHOT;
		op->flags |= PS_OPF_SNAP_BEGIN | PS_OPF_DEEP_SNAP;
		op->pid = (int)kv_long(line, "pid", op->pid);
		ps_emit(t, op);
	} else if (!strncmp(line, "snap-begin ", 11)) {
		op->kind = PS_OP_SNAPSHOT;
		op->flags |= PS_OPF_SNAP_BEGIN;
		op->pid = (int)kv_long(line, "pid", op->pid);
		ps_emit(t, op);
	} else if (!strncmp(line, "task ", 5)) {
		op->kind = PS_OP_TASK;
		op->pid = (int)kv_long(line, "pid", 0);
		op->val = kv_long(line, "ppid", 0);
		ps_trace_meta_mut(t)->tasks++;
		ps_emit(t, op);
	} else if (!strncmp(line, "exit ", 5)) {
		op->kind = PS_OP_TASK_EXIT;
		op->pid = (int)kv_long(line, "pid", 0);
		op->val = kv_long(line, "status", 0);
		ps_emit(t, op);
	} else if (!strncmp(line, "begin ", 6)) {
		marker_begin(t, line);
	} else if (!strncmp(line, "recorder ", 9)) {
		marker_recorder(t, line);
	} else if (!strncmp(line, "stacks ", 7) ||
		   !strncmp(line, "stack-on ", 9)) {
		marker_stacks(t, line);
	} else if (!strncmp(line, "layout ", 7)) {
		marker_layout(t, line);
	} else if (!strncmp(line, "pageflags ", 10)) {
		marker_pageflags(t, line);
	} else if (!strncmp(line, "end", 3)) {
		ps_trace_meta_mut(t)->complete = true;
	}
}

/*
 * options/stacktrace or a stacktrace trigger: the stack of the event just
 * before, on this cpu.  When that event made no op (no adapter, a FOLL_GET
 * grab, an entry probe held for its return) the stack belongs to no op:
 * passed on, it would land on an older op of the cpu.
 */
static void ad_kernel_stack(struct ps_trace *t, struct ps_event_adapter *ea,
			    struct tep_record *rec, struct ps_op *op)
{
	if (!ps_trace_prev_made_op(t, rec->cpu))
		return;
	op->kind = PS_OP_STACK;
	ps_emit(t, op);
}

/*
 * The table.  fields[] are looked up once per file; an event whose
 * kernel lacks a listed field still adapts, reading 0 for it.
 */
const struct ps_adapter ps_adapters[] = {
	{ "kmem", "mm_page_alloc", { "pfn", "order", "gfp_flags" },
	  ad_page_alloc, 0 },
	{ "kmem", "mm_page_free", { "pfn", "order" }, ad_page_free, 0 },
	/*
	 * kmem:mm_page_free_batched is not here on purpose: every batched
	 * free was already reported by mm_page_free from free_pages_prepare(),
	 * with its order; the batched event repeats the pfn without it.
	 */
	{ "huge_memory", "mm_khugepaged_scan_pmd",
	  { "mm", "pfn", "status", "referenced", "none_or_zero" },
	  ad_scan_pmd, 0 },
	{ "huge_memory", "mm_collapse_huge_page_isolate",
	  { "pfn", "status", "referenced", "none_or_zero" },
	  ad_collapse_isolate, 0 },
	{ "huge_memory", "mm_collapse_huge_page",
	  { "mm", "isolated", "status" }, ad_collapse, 0 },
	{ "huge_memory", "mm_khugepaged_scan_file", { "mm", "pfn", "result" },
	  ad_scan_file, 0 },
	{ "huge_memory", "mm_khugepaged_collapse_file",
	  { "mm", "hpfn", "addr", "result" }, ad_collapse_file, 0 },
	{ "migrate", "set_migration_pte", { "addr", "pte", "order" },
	  ad_set_migration, 0 },
	{ "migrate", "remove_migration_pte", { "addr", "pte", "order" },
	  ad_remove_migration, 0 },
	{ "thp", "set_migration_pmd", { "addr", "pmd" }, ad_set_migration, 0 },
	{ "thp", "remove_migration_pmd", { "addr", "pmd" },
	  ad_remove_migration, 0 },
	{ "migrate", "mm_migrate_pages_start", { "mode", "reason" },
	  ad_migrate_start, 0 },
	{ "migrate", "mm_migrate_pages", { "succeeded", "failed" },
	  ad_migrate_end, 0 },
	{ "pagemap", "mm_lru_insertion", { "pfn", "flags" },
	  ad_lru_insertion, 0 },
	{ "pagemap", "mm_lru_activate", { "pfn" }, ad_lru_activate, 0 },
	{ "filemap", "mm_filemap_add_to_page_cache",
	  { "pfn", "i_ino", "index", "s_dev", "order" }, ad_filemap, 0 },
	{ "filemap", "mm_filemap_delete_from_page_cache",
	  { "pfn", "i_ino", "index", "s_dev", "order" }, ad_filemap, 0 },
#define PAGE_REF(ev, fn)						\
	{ "page_ref", ev,						\
	  { "pfn", "flags", "count", "mapcount", "mapping", "val", "ret" }, \
	  fn, PS_KNOWN_REFCOUNT }
	PAGE_REF("page_ref_set", ad_page_ref_set),
	PAGE_REF("page_ref_mod", ad_page_ref_mod),
	PAGE_REF("page_ref_mod_and_test", ad_page_ref_mod),
	PAGE_REF("page_ref_mod_and_return", ad_page_ref_mod),
	PAGE_REF("page_ref_mod_unless", ad_page_ref_mod),
	PAGE_REF("page_ref_freeze", ad_page_ref_set),
	PAGE_REF("page_ref_unfreeze", ad_page_ref_set),
#undef PAGE_REF
	{ "ftrace", "print", { "ip", "buf" }, ad_print, 0 },
	{ "ftrace", "kernel_stack", { "size" }, ad_kernel_stack, 0 },
	{ NULL },
};
