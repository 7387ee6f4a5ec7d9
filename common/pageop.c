// SPDX-License-Identifier: GPL-2.0
/*
 * Names for page-op kinds and PS_PG_* flags, for every printer.  In
 * common/: record, replay, analyze and the JSON helpers all print them.
 */
#include <stdio.h>
#include <string.h>

#include "pagestate/pageop.h"

static const char *const kind_names[PS_OP_NR_KINDS] = {
	[PS_OP_NONE] = "none",
	[PS_OP_ALLOC] = "alloc",
	[PS_OP_FREE] = "free",
	[PS_OP_REF] = "ref",
	[PS_OP_REF_SET] = "ref_set",
	[PS_OP_PIN] = "pin",
	[PS_OP_UNPIN] = "unpin",
	[PS_OP_RMAP_ADD] = "rmap_add",
	[PS_OP_RMAP_REMOVE] = "rmap_remove",
	[PS_OP_MAP_PTE] = "map_pte",
	[PS_OP_FORK_DUP] = "fork_dup",
	[PS_OP_SPLIT_PMD] = "split_pmd",
	[PS_OP_SPLIT] = "split",
	[PS_OP_SPLIT_RESULT] = "split_result",
	[PS_OP_COLLAPSE_SCAN] = "collapse_scan",
	[PS_OP_COLLAPSE_ISOLATE] = "collapse_isolate",
	[PS_OP_COLLAPSE] = "collapse",
	[PS_OP_MIGRATE_START] = "migrate_start",
	[PS_OP_MIGRATE_END] = "migrate_end",
	[PS_OP_MIGRATION_SET] = "migration_set",
	[PS_OP_MIGRATION_REMOVE] = "migration_remove",
	[PS_OP_FLAGS] = "flags",
	[PS_OP_SNAPSHOT] = "snapshot",
	[PS_OP_TASK] = "task",
	[PS_OP_TASK_EXIT] = "task_exit",
	[PS_OP_LOST] = "lost",
	[PS_OP_STACK] = "stack",
	[PS_OP_COLLAPSE_RET] = "collapse_ret",
	[PS_OP_PROBES_ON] = "probes_on",
	[PS_OP_MM_EXIT] = "mm_exit",
	[PS_OP_CACHE_ADD] = "cache_add",
	[PS_OP_CACHE_DEL] = "cache_del",
	[PS_OP_COLLAPSE_BEGIN] = "collapse_begin",
};

const char *ps_op_kind_name(enum ps_op_kind kind)
{
	if ((unsigned int)kind >= PS_OP_NR_KINDS || !kind_names[kind])
		return "?";
	return kind_names[kind];
}

static const char *const pg_names[] = {
	"locked", "referenced", "uptodate", "dirty", "lru", "active", "slab",
	"writeback", "reclaim", "buddy", "mmap", "anon", "swapcache",
	"swapbacked", "head", "tail", "huge", "unevictable", "mlocked", "thp",
	"zero_page", "idle", "ksm", "anon_exclusive", "double_map", "private",
	"workingset", "mappedtodisk", "hwpoison", "nopage", "offline",
	"pgtable",
};

const char *ps_pg_flag_name(unsigned int bit)
{
	return bit < ARRAY_SIZE(pg_names) ? pg_names[bit] : NULL;
}

char *ps_pg_flags_str(u64 flags, char *buf, size_t size)
{
	size_t n = 0;
	unsigned int bit;

	buf[0] = '\0';
	for (bit = 0; bit < ARRAY_SIZE(pg_names) && n + 1 < size; bit++) {
		if (!(flags & (1ull << bit)))
			continue;
		n += snprintf(buf + n, size - n, "%s%s", n ? "|" : "",
			      pg_names[bit]);
	}
	if (!n)
		snprintf(buf, size, "-");
	return buf;
}

/*
 * What an op says beyond its kind, for every printer (replay timelines,
 * the TUI, reports): "pfn=0x.. order=.. compound addr=0x.. succeeded".
 */
void ps_op_detail(const struct ps_op *op, char *buf, size_t size)
{
	size_t n = 0;

#define ADD(...) do {							\
	if (n < size)							\
		n += snprintf(buf + n, size - n, __VA_ARGS__);		\
} while (0)
	buf[0] = '\0';
	if (op->pfn != PS_PFN_NONE)
		ADD("pfn=0x%llx ", (unsigned long long)op->pfn);
	switch (op->kind) {
	case PS_OP_ALLOC:
	case PS_OP_FREE:
	case PS_OP_MIGRATION_SET:
	case PS_OP_MIGRATION_REMOVE:
		ADD("order=%u ", op->order);
		break;
	case PS_OP_SPLIT:
		ADD("order=%u->%lld ", op->order, (long long)op->val);
		break;
	case PS_OP_REF:
	case PS_OP_PIN:
	case PS_OP_UNPIN:
		ADD("val=%lld ", (long long)op->val);
		break;
	case PS_OP_SNAPSHOT:
		if (op->flags & PS_OPF_KREAD)
			ADD("read: refcount=%lld mapcount=%lld ",
			    (long long)op->obs_count,
			    (long long)op->obs_mapcount);
		else
			ADD("kpagecount=%lld ", (long long)op->obs_mapcount);
		break;
	case PS_OP_MIGRATE_END:
		ADD("succeeded=%lld failed=%lld ", (long long)op->val,
		    (long long)op->val2);
		break;
	case PS_OP_CACHE_ADD:
	case PS_OP_CACHE_DEL:
		/* the file: MAJOR:MINOR of s_dev (kdev_t.h), inode, index */
		ADD("order=%u dev=%u:%u ino=0x%llx index=%lld", op->order,
		    (unsigned int)op->result >> 20,
		    (unsigned int)op->result & ((1u << 20) - 1),
		    (unsigned long long)op->val, (long long)op->val2);
		goto done;
	default:
		break;
	}
	if (op->flags & PS_OPF_COMPOUND)
		ADD("compound ");
	if ((op->flags & PS_OPF_PIN) && op->kind != PS_OP_PIN &&
	    op->kind != PS_OP_UNPIN)
		ADD("FOLL_PIN ");
	if (op->addr)
		ADD("addr=0x%llx ", (unsigned long long)op->addr);
	/* whose page table: the same address repeats across fork */
	if (op->mm && (op->kind == PS_OP_MIGRATION_SET ||
		       op->kind == PS_OP_MIGRATION_REMOVE ||
		       op->kind == PS_OP_MM_EXIT ||
		       op->kind == PS_OP_COLLAPSE_BEGIN))
		ADD("mm=0x%llx ", (unsigned long long)op->mm);
	/* fork: the child's mm gains the mapping, the parent's keeps it */
	if (op->mm && op->kind == PS_OP_FORK_DUP)
		ADD("mm=0x%llx parent_mm=0x%llx ",
		    (unsigned long long)op->mm, (unsigned long long)op->val2);
	if (op->result_name)
		ADD("%s ", op->result_name);
	else if (op->result)
		ADD("result=%d ", op->result);
done:
#undef ADD
	if (n > size - 1)
		n = size - 1;
	if (n && buf[n - 1] == ' ')
		buf[n - 1] = '\0';
}
