// SPDX-License-Identifier: GPL-2.0
/*
 * Where the running kernel keeps what the kprobes fetch: struct page
 * field offsets, sizeof(struct page), the tail-page compound counters,
 * enum pageflags, the FOLL_* and RMAP_* bits, and vmemmap_base.  The
 * result becomes the "pagestate: layout" and "pagestate: pageflags"
 * markers of include/pagestate/probes.h.
 *
 * Offsets come from BTF (/sys/kernel/btf/vmlinux, read with libbpf) when
 * the kernel has it, else from a per-release table.  The table's one
 * config question is CONFIG_MEMCG, which adds memcg_data and makes
 * struct page 64 bytes instead of 56: we answer it from /proc/cgroups,
 * which lists the "memory" controller exactly when the kernel was built
 * with CONFIG_MEMCG (enabled or not), and needs no /proc/config.gz.
 *
 * FOLL_* and RMAP_* are #defines on 6.1, invisible to BTF; they come
 * from BTF enums where a kernel has them, else from the table, else they
 * are written as 0 (unknown).
 *
 * vmemmap_base is randomized with KASLR and is a variable, not a
 * constant: we read it through a one-shot kprobe that fetches
 * @vmemmap_base, recorded in a scratch instance while we open("/").
 * A kernel that cannot resolve the symbol (no CONFIG_KALLSYMS_ALL, as on
 * the tinyconfig test kernel) and does not randomize its memory layout
 * uses the fixed x86_64 base, chosen by 4- or 5-level paging.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "pagestate/probes.h"
#include "pagestate/recording.h"
#include "record.h"

#define BTF_VMLINUX		"/sys/kernel/btf/vmlinux"
#define VMEMMAP_BASE_L4		0xffffea0000000000ULL
#define VMEMMAP_BASE_L5		0xffd4000000000000ULL

struct pageflag {
	const char *name;
	int bit;
};

/* enum pageflags bits every 6.1 x86_64 kernel has (CONFIG_MMU). */
static const struct pageflag pageflags_6_1[] = {
	{ "locked", 0 }, { "referenced", 1 }, { "uptodate", 2 },
	{ "dirty", 3 }, { "lru", 4 }, { "active", 5 }, { "workingset", 6 },
	{ "waiters", 7 }, { "error", 8 }, { "slab", 9 },
	{ "owner_priv_1", 10 }, { "arch_1", 11 }, { "reserved", 12 },
	{ "private", 13 }, { "private_2", 14 }, { "writeback", 15 },
	{ "head", 16 }, { "mappedtodisk", 17 }, { "reclaim", 18 },
	{ "swapbacked", 19 }, { "unevictable", 20 }, { "mlocked", 21 },
	/* aliases */
	{ "readahead", 18 }, { "anon_exclusive", 17 }, { "checked", 10 },
	{ "swapcache", 10 }, { "fscache", 14 }, { "pinned", 10 },
	{ "savepinned", 3 }, { "foreign", 10 }, { "xen_remapped", 10 },
	{ "slob_free", 13 }, { "double_map", 6 }, { "isolated", 18 },
	{ "reported", 2 },
	{ NULL, 0 },
};

/*
 * enum pageflags of 6.12 (include/linux/page-flags.h of
 * linux-source-6.12): PG_head moved to bit 6, PG_owner_2 (alias
 * anon_exclusive, mappedtodisk) is new, PG_error and PG_slab are gone.
 */
static const struct pageflag pageflags_6_12[] = {
	{ "locked", 0 }, { "writeback", 1 }, { "referenced", 2 },
	{ "uptodate", 3 }, { "dirty", 4 }, { "lru", 5 }, { "head", 6 },
	{ "waiters", 7 }, { "active", 8 }, { "workingset", 9 },
	{ "owner_priv_1", 10 }, { "owner_2", 11 }, { "arch_1", 12 },
	{ "reserved", 13 }, { "private", 14 }, { "private_2", 15 },
	{ "reclaim", 16 }, { "swapbacked", 17 }, { "unevictable", 18 },
	{ "mlocked", 19 },
	/* aliases */
	{ "readahead", 16 }, { "swapcache", 10 }, { "checked", 10 },
	{ "anon_exclusive", 11 }, { "mappedtodisk", 11 }, { "fscache", 15 },
	{ "pinned", 10 }, { "savepinned", 4 }, { "foreign", 10 },
	{ "xen_remapped", 10 }, { "isolated", 16 }, { "reported", 3 },
	{ "has_hwpoisoned", 8 }, { "large_rmappable", 9 },
	{ "partially_mapped", 16 },
	{ NULL, 0 },
};

/*
 * The per-release table, for kernels without BTF.  Offsets are the same
 * with and without MEMCG on 6.1 and 6.12 (memcg_data comes after
 * _refcount); only the size changes.  The bits after PG_mlocked depend
 * on further options (PG_uncached, PG_hwpoison, PG_young/idle,
 * PG_arch_2) and are left out: nothing in the design reads them.
 *
 * tail_* are struct folio members past the head page, as offsets into
 * the first tail page (-1: none); folio offsets add struct_page.  6.12
 * (include/linux/mm_types.h): _flags_1, _head_1, then _large_mapcount,
 * _entire_mapcount, _nr_pages_mapped, _pincount.  vm_mm follows vm_start
 * and vm_end on both.
 */
static const struct ps_layout_table {
	const char *release;
	int gen;
	int page_memcg, page_nomemcg;
	int flags, mapcount, refcount, compound_mapcount, compound_pincount;
	u32 foll_pin, foll_get, foll_longterm;
	u32 rmap_exclusive, rmap_compound;
	int tail_flags_1, tail_large_mapcount, tail_entire_mapcount;
	int tail_nr_pages_mapped, tail_pincount;
	int vma_mm;
	const struct pageflag *pageflags;
} layout_table[] = {
	{ "6.1", PS_GEN_6_1, 64, 56, 0, 48, 52, 20, 24,
	  0x40000, 0x04, 0x10000, 0x1, 0x2,
	  -1, -1, -1, -1, -1, 16, pageflags_6_1 },
	{ "6.12", PS_GEN_FOLIO, 64, 56, 0, 48, 52, 20, 28,
	  0x80000, 0x02, 0x100, 0x1, 0x0,
	  0, 16, 20, 24, 28, 16, pageflags_6_12 },
};

/* "6.1" matches 6.1, 6.1.0-56-amd64 and 6.1.192, not 6.10. */
static bool release_is(const char *release, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncmp(release, prefix, n) &&
	       (release[n] == '\0' || release[n] == '.' || release[n] == '-');
}

static const struct ps_layout_table *table_for(const char *release)
{
	const char *off = getenv("PAGESTATE_LAYOUT_TABLE");
	size_t i;

	/*
	 * Tests only: "off" makes this a kernel we have no table for, so a
	 * kernel without BTF takes the real no-layout path.
	 */
	if (off && !strcmp(off, "off"))
		return NULL;

	for (i = 0; i < ARRAY_SIZE(layout_table); i++)
		if (release_is(release, layout_table[i].release))
			return &layout_table[i];
	return NULL;
}

static bool kernel_has_memcg(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/cgroups", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "memory\t", 7);
	fclose(f);
	return found;
}

/*
 * Byte offset of member @name in struct/union @id, looking through
 * anonymous structs and unions (struct page is mostly those); the named
 * members of one level win over those of the levels below.  -1: none.
 */
static int btf_member_offset(const struct btf *btf, __u32 id,
			     const char *name)
{
	const struct btf_type *t;
	const struct btf_member *m;
	int i, n, off;

	t = btf__type_by_id(btf, btf__resolve_type(btf, id));
	if (!t || !(btf_is_struct(t) || btf_is_union(t)))
		return -1;
	m = btf_members(t);
	n = btf_vlen(t);
	for (i = 0; i < n; i++)
		if (m[i].name_off &&
		    !strcmp(btf__name_by_offset(btf, m[i].name_off), name))
			return btf_member_bit_offset(t, i) / 8;
	for (i = 0; i < n; i++) {
		if (m[i].name_off)
			continue;
		off = btf_member_offset(btf, m[i].type, name);
		if (off >= 0)
			return btf_member_bit_offset(t, i) / 8 + off;
	}
	return -1;
}

/* The value of enumerator @name in any enum of @btf; false if none. */
static bool btf_enum_value(const struct btf *btf, const char *name, u32 *val)
{
	__u32 id, nr = btf__type_cnt(btf);
	int i;

	for (id = 1; id < nr; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (i = 0; i < btf_vlen(t); i++)
			if (!strcmp(btf__name_by_offset(btf, e[i].name_off),
				    name)) {
				*val = e[i].val;
				return true;
			}
	}
	return false;
}

static void pageflags_add(struct ps_kernel_layout *l, size_t *n,
			  const char *name, int bit)
{
	*n += snprintf(l->pageflags + *n, sizeof(l->pageflags) - *n, "%s%s=%d",
		       *n ? " " : "", name, bit);
	if (*n >= sizeof(l->pageflags))
		*n = sizeof(l->pageflags) - 1;
}

/* enum pageflags by name, "PG_" dropped, aliases included. */
static int btf_pageflags(struct ps_kernel_layout *l)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	size_t n = 0;
	int id, i;

	id = btf__find_by_name_kind(l->btf, "pageflags", BTF_KIND_ENUM);
	if (id < 0)
		return -1;
	t = btf__type_by_id(l->btf, id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(l->btf, e[i].name_off);

		if (!strncmp(name, "PG_", 3))
			pageflags_add(l, &n, name + 3, e[i].val);
	}
	return 0;
}

static int layout_from_btf(struct ps_kernel_layout *l)
{
	const struct btf_type *t;
	int page, folio, off;

	page = btf__find_by_name_kind(l->btf, "page", BTF_KIND_STRUCT);
	if (page < 0)
		return -1;
	t = btf__type_by_id(l->btf, page);
	l->struct_page = t->size;
	l->flags = btf_member_offset(l->btf, page, "flags");
	l->mapcount = btf_member_offset(l->btf, page, "_mapcount");
	l->refcount = btf_member_offset(l->btf, page, "_refcount");
	/* 6.1 keeps them in the tail page's part of struct page ... */
	l->compound_mapcount = btf_member_offset(l->btf, page,
						 "compound_mapcount");
	l->compound_pincount = btf_member_offset(l->btf, page,
						 "compound_pincount");
	/* ... later kernels in struct folio, past its first page. */
	folio = btf__find_by_name_kind(l->btf, "folio", BTF_KIND_STRUCT);
	if (folio > 0 && l->compound_mapcount < 0) {
		off = btf_member_offset(l->btf, folio, "_entire_mapcount");
		if (off >= l->struct_page)
			l->compound_mapcount = off - l->struct_page;
	}
	if (folio > 0 && l->compound_pincount < 0) {
		off = btf_member_offset(l->btf, folio, "_pincount");
		if (off >= l->struct_page)
			l->compound_pincount = off - l->struct_page;
	}
	if (l->flags < 0 || l->mapcount < 0 || l->refcount < 0 ||
	    l->compound_mapcount < 0 || l->compound_pincount < 0) {
		ps_warn("%s: struct page lacks flags, _mapcount, _refcount or the compound counters; trying the per-release table",
			BTF_VMLINUX);
		return -1;
	}
	if (btf_pageflags(l))
		ps_warn("%s: no enum pageflags; the recording will lack the pageflags marker",
			BTF_VMLINUX);
	if (folio > 0) {
		l->folio_flags_1 = btf_member_offset(l->btf, folio, "_flags_1");
		l->large_mapcount = btf_member_offset(l->btf, folio,
						      "_large_mapcount");
		l->entire_mapcount = btf_member_offset(l->btf, folio,
						       "_entire_mapcount");
		l->nr_pages_mapped = btf_member_offset(l->btf, folio,
						       "_nr_pages_mapped");
		l->folio_pincount = btf_member_offset(l->btf, folio,
						      "_pincount");
		l->mm_id_mapcount = btf_member_offset(l->btf, folio,
						      "_mm_id_mapcount");
		l->mm_id = btf_member_offset(l->btf, folio, "_mm_id");
	}
	off = btf__find_by_name_kind(l->btf, "vm_area_struct",
				     BTF_KIND_STRUCT);
	if (off > 0)
		l->vma_mm = btf_member_offset(l->btf, off, "vm_mm");
	snprintf(l->source, sizeof(l->source), "btf");
	return 0;
}

/* A folio member past the head page: -1 stays -1. */
static int past_head(const struct ps_kernel_layout *l, int tail_off)
{
	return tail_off < 0 ? -1 : l->struct_page + tail_off;
}

static void layout_from_table(struct ps_kernel_layout *l,
			      const struct ps_layout_table *tab)
{
	const struct pageflag *pf;
	size_t n = 0;

	l->struct_page = kernel_has_memcg() ? tab->page_memcg :
					      tab->page_nomemcg;
	l->flags = tab->flags;
	l->mapcount = tab->mapcount;
	l->refcount = tab->refcount;
	l->compound_mapcount = tab->compound_mapcount;
	l->compound_pincount = tab->compound_pincount;
	l->folio_flags_1 = past_head(l, tab->tail_flags_1);
	l->large_mapcount = past_head(l, tab->tail_large_mapcount);
	l->entire_mapcount = past_head(l, tab->tail_entire_mapcount);
	l->nr_pages_mapped = past_head(l, tab->tail_nr_pages_mapped);
	l->folio_pincount = past_head(l, tab->tail_pincount);
	l->vma_mm = tab->vma_mm;
	for (pf = tab->pageflags; pf->name; pf++)
		pageflags_add(l, &n, pf->name, pf->bit);
	snprintf(l->source, sizeof(l->source), "table:%s", tab->release);
}

static void constants(struct ps_kernel_layout *l,
		      const struct ps_layout_table *tab)
{
	bool btf = l->btf &&
		   btf_enum_value(l->btf, "FOLL_PIN", &l->foll_pin) &&
		   btf_enum_value(l->btf, "FOLL_GET", &l->foll_get) &&
		   btf_enum_value(l->btf, "FOLL_LONGTERM", &l->foll_longterm);

	if (btf)
		snprintf(l->consts_source, sizeof(l->consts_source), "btf");
	if (!tab) {
		if (!btf)
			snprintf(l->consts_source, sizeof(l->consts_source),
				 "unknown");
		/*
		 * RMAP_EXCLUSIVE is BIT(0) on every kernel with rmap_t
		 * (5.19 on); RMAP_COMPOUND left with the folio rmap API.
		 */
		if (l->btf && btf__find_by_name_kind(l->btf, "rmap_t",
						     BTF_KIND_TYPEDEF) > 0)
			l->rmap_exclusive = 0x1;
		return;
	}
	if (!btf) {
		l->foll_pin = tab->foll_pin;
		l->foll_get = tab->foll_get;
		l->foll_longterm = tab->foll_longterm;
		snprintf(l->consts_source, sizeof(l->consts_source),
			 "table:%s", tab->release);
	}
	/* #defines on every kernel that has rmap_t. */
	l->rmap_exclusive = tab->rmap_exclusive;
	l->rmap_compound = tab->rmap_compound;
}

int ps_layout_derive(struct ps_kernel_layout *l)
{
	const struct ps_layout_table *tab;
	struct utsname u;

	memset(l, 0, sizeof(*l));
	l->folio_flags_1 = l->large_mapcount = l->entire_mapcount = -1;
	l->nr_pages_mapped = l->folio_pincount = -1;
	l->mm_id_mapcount = l->mm_id = l->vma_mm = -1;
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	tab = table_for(u.release);
	l->known_release = tab != NULL;
	l->gen = tab ? tab->gen : 0;
	if (access(BTF_VMLINUX, R_OK) == 0) {
		l->btf = btf__parse(BTF_VMLINUX, NULL);
		if (!l->btf)
			ps_warn("cannot read %s: %s; trying the per-release table",
				BTF_VMLINUX, strerror(errno));
	}
	if (!l->btf || layout_from_btf(l)) {
		if (!tab)
			return -1;
		layout_from_table(l, tab);
	}
	constants(l, tab);
	return 0;
}

void ps_layout_release(struct ps_kernel_layout *l)
{
	btf__free(l->btf);
	l->btf = NULL;
}

/*
 * Does BTF show @func's parameters named as one of @params ("page vma
 * address flags|page vma address")?  1 yes, 0 no: the probes fetch
 * arguments by register, and a kernel where the function changed shape
 * must not feed us garbage.  -1: cannot tell (no BTF, @func not in it,
 * or a return probe, @params NULL).
 */
int ps_layout_func_matches(const struct ps_kernel_layout *l,
			   const char *func, const char *params)
{
	const struct btf_type *proto;
	const struct btf_param *p;
	char names[256];
	const char *alt, *bar;
	size_t n = 0, len;
	int id, i;

	if (!l->btf || !params)
		return -1;
	id = btf__find_by_name_kind(l->btf, func, BTF_KIND_FUNC);
	if (id < 0)
		return -1;
	proto = btf__type_by_id(l->btf, btf__type_by_id(l->btf, id)->type);
	if (!proto || !btf_is_func_proto(proto))
		return -1;
	p = btf_params(proto);
	names[0] = '\0';
	for (i = 0; i < btf_vlen(proto) && n < sizeof(names); i++)
		n += snprintf(names + n, sizeof(names) - n, "%s%s",
			      i ? " " : "",
			      btf__name_by_offset(l->btf, p[i].name_off));
	for (alt = params; alt; alt = bar ? bar + 1 : NULL) {
		bar = strchr(alt, '|');
		len = bar ? (size_t)(bar - alt) : strlen(alt);
		if (strlen(names) == len && !strncmp(names, alt, len))
			return 1;
	}
	return 0;
}

/* Is @sym a symbol in /proc/kallsyms? */
static bool kallsyms_has(const char *sym)
{
	char line[512], name[256];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %255s", name) == 1 &&
			!strcmp(name, sym);
	fclose(f);
	return found;
}

static bool file_has_word(const char *path, const char *word)
{
	char buf[4096];
	size_t n, len = strlen(word);
	const char *p;
	FILE *f = fopen(path, "re");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(buf, sizeof(buf), f)) {
		n = strlen(buf);
		for (p = buf; !found && (p = strstr(p, word)); p += len)
			found = (p == buf || isspace((unsigned char)p[-1])) &&
				(p + len == buf + n ||
				 isspace((unsigned char)p[len]));
	}
	fclose(f);
	return found;
}

/*
 * A kprobe that fetches @vmemmap_base, enabled in a scratch instance and
 * fired by one syscall of ours.  Not on tracing_mark_write: kernel/trace
 * is notrace, and kprobe events refuse notrace functions.  On getppid's
 * syscall entry, which little else calls, rather than on a hot function:
 * arming and disarming patch the probed instruction live, and under
 * qemu's MTTCG a vCPU that ran do_sys_openat2 as its kprobe was armed
 * once met a torn instruction and took the guest down.  do_sys_openat2
 * (fired by an open()) where the syscall's entry is named otherwise.
 */
static const struct {
	const char *symbol;
	bool open;		/* fired by open() rather than getppid() */
} vmemmap_probe_sites[] = {
	{ "__x64_sys_getppid", false },
	{ "do_sys_openat2", true },
};

static int vmemmap_base_by_probe(u64 *val)
{
	static const char event[] = "layout_vmemmap_base";
	struct tracefs_instance *inst = NULL;
	struct tracefs_dynevent *kp = NULL;
	char name[64], file[128], *trace = NULL, *p;
	bool by_open = false;
	size_t i;
	int fd, ret = -1;

	for (i = 0; i < ARRAY_SIZE(vmemmap_probe_sites) && !kp; i++) {
		kp = tracefs_kprobe_alloc(PS_PROBE_GROUP, event,
					  vmemmap_probe_sites[i].symbol,
					  "base=@vmemmap_base:x64");
		if (kp && tracefs_dynevent_create(kp)) {
			tracefs_dynevent_free(kp);
			kp = NULL;
		}
		by_open = vmemmap_probe_sites[i].open;
	}
	if (!kp)
		return -1;
	snprintf(name, sizeof(name), PS_INSTANCE_PREFIX "%d-layout", getpid());
	inst = tracefs_instance_create(name);
	if (!inst)
		goto out;
	snprintf(file, sizeof(file), "events/%s/%s/enable", PS_PROBE_GROUP,
		 event);
	if (tracefs_instance_file_write(inst, file, "1") < 0)
		goto out;
	if (by_open) {
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
	} else {
		(void)getppid();
	}
	tracefs_instance_file_write(inst, file, "0");
	trace = tracefs_instance_file_read(inst, "trace", NULL);
	p = trace ? strstr(trace, " base=0x") : NULL;
	if (p && sscanf(p, " base=%" SCNx64, val) == 1 && *val)
		ret = 0;
out:
	free(trace);
	if (inst) {
		tracefs_instance_destroy(inst);
		tracefs_instance_free(inst);
	}
	tracefs_dynevent_destroy(kp, true);
	tracefs_dynevent_free(kp);
	return ret;
}

int ps_layout_read_vmemmap(struct ps_kernel_layout *l)
{
	if (!vmemmap_base_by_probe(&l->vmemmap_base)) {
		l->vmemmap_source = "probe";
		return 0;
	}
	/* Not randomized: the fixed base of the paging mode in use. */
	if (!kallsyms_has("kernel_randomize_memory") ||
	    file_has_word("/proc/cmdline", "nokaslr")) {
		/* The kernel clears la57 when it runs with 4 levels. */
		bool l5 = file_has_word("/proc/cpuinfo", "la57");

		l->vmemmap_base = l5 ? VMEMMAP_BASE_L5 : VMEMMAP_BASE_L4;
		l->vmemmap_source = "default";
		return 0;
	}
	l->vmemmap_base = 0;
	l->vmemmap_source = "unknown";
	return -1;
}
