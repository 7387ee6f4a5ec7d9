// SPDX-License-Identifier: GPL-2.0
/*
 * The kprobe profile of include/pagestate/probes.h: rmap, GUP, split and
 * collapse functions, probed with fetches of the struct page they get.
 *
 * kprobe events are global: kprobe_events at the tracefs top defines
 * them for every instance, only their enabling is per instance.  So we
 * create them in the group PS_PROBE_GROUP (one recorder with kprobes at
 * a time), enable them in our own instance only, after the layout
 * marker, and destroy them on every way out, as we do the instance.  A
 * group left by a recorder that died (SIGKILL) is removed first; one that
 * belongs to a live recorder is left alone, and this recording goes
 * without kprobes.
 *
 * A probe whose function the kernel lacks or inlined, or whose placing
 * the kernel refuses, is listed as missing with the reason; the others
 * record.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "pagestate/probes.h"
#include "pagestate/recording.h"
#include "record.h"

/*
 * One probe of probes.h on one kernel function.  Probes are grouped in
 * ROLES ("add an anon rmap", "grab for GUP"); a role has candidates
 * (@alt 0, 1, ...) from successive kernel generations, and a candidate
 * may need several probes (the folio API splits ptes from pmd).  The
 * first probe of a candidate is its key: the candidate is chosen when its
 * key places, and only then are its other probes placed.
 *
 * @params: the parameter names BTF must show, "|" between accepted
 * lists; the registers of @args follow them (x86_64: %di %si %dx %cx %r8
 * %r9).  @when: without BTF (or with @func missing from it), "sym" or
 * "!sym": the candidate applies only when /proc/kallsyms has (has not)
 * sym -- the generation table, keyed by which functions exist.  @gens:
 * the generations of our layout table whose source has @func, to tell
 * "inlined" from "absent".  PD_PAGE: page fields of the struct page at
 * @page_at (default the first argument); PD_FOLIO: the first argument is
 * a folio: folio fields where the layout has them, then page fields at
 * @page_at (default the folio).  @vma_at: register of a vma, for mm.
 * @opt: fetches of kernel variables, dropped when the kernel cannot
 * resolve the symbol (no CONFIG_KALLSYMS_ALL).
 */
enum {
	PD_PAGE = 0x1,
	PD_FOLIO = 0x2,
	PD_RET = 0x4,
	PD_THP = 0x8,		/* built only with CONFIG_TRANSPARENT_HUGEPAGE */
	PD_TAIL1 = 0x10,	/* no folio fields: the 1st tail's (6.1) */
};

#define G_ALL	(PS_GEN_6_1 | PS_GEN_FOLIO | PS_GEN_7_2)
#define G_FOLIO	(PS_GEN_FOLIO | PS_GEN_7_2)

struct probe_def {
	const char *role;
	int alt;
	const char *event;
	const char *func;
	const char *params;
	const char *args;
	unsigned int flags;
	int gens;
	const char *page_at;
	const char *vma_at;
	const char *when;
	const char *opt;
};

static const struct probe_def probe_defs[] = {
	/* 6.1: page_*_rmap(page, ...) */
	{ "rmap-anon-add", 0, PS_PROBE_RMAP_ADD_ANON, "page_add_anon_rmap",
	  "page vma address flags", "addr=%dx:x64 rflags=%cx:u32",
	  PD_PAGE, PS_GEN_6_1 },
	/* 6.8+: folio_*_rmap_ptes/_pmd(folio, page, ...) */
	{ "rmap-anon-add", 1, PS_PROBE_FOLIO_ADD_ANON_PTES,
	  "folio_add_anon_rmap_ptes",
	  "folio page nr_pages vma address flags",
	  "nr=%dx:s32 addr=%r8:x64 rflags=%r9:u32",
	  PD_FOLIO, G_FOLIO, "%si", "%cx" },
	{ "rmap-anon-add", 1, PS_PROBE_FOLIO_ADD_ANON_PMD,
	  "folio_add_anon_rmap_pmd", "folio page vma address flags",
	  "addr=%cx:x64 rflags=%r8:u32",
	  PD_FOLIO | PD_THP, G_FOLIO, "%si", "%dx" },

	{ "rmap-new-anon", 0, PS_PROBE_RMAP_ADD_NEW_ANON,
	  "page_add_new_anon_rmap", "page vma address", "addr=%dx:x64",
	  PD_PAGE, PS_GEN_6_1, NULL, "%si" },
	{ "rmap-new-anon", 1, PS_PROBE_FOLIO_ADD_NEW_ANON,
	  "folio_add_new_anon_rmap", "folio vma address flags",
	  "addr=%dx:x64 rflags=%cx:u32", PD_FOLIO, G_FOLIO, NULL, "%si",
	  "try_grab_folio_fast" },

	{ "rmap-file-add", 0, PS_PROBE_RMAP_ADD_FILE, "page_add_file_rmap",
	  "page vma compound", "compound=%dx:u8", PD_PAGE, PS_GEN_6_1 },
	{ "rmap-file-add", 1, PS_PROBE_FOLIO_ADD_FILE_PTES,
	  "folio_add_file_rmap_ptes", "folio page nr_pages vma",
	  "nr=%dx:s32", PD_FOLIO, G_FOLIO, "%si", "%cx" },
	{ "rmap-file-add", 1, PS_PROBE_FOLIO_ADD_FILE_PMD,
	  "folio_add_file_rmap_pmd", "folio page vma", "",
	  PD_FOLIO | PD_THP, G_FOLIO, "%si", "%dx" },

	{ "rmap-remove", 0, PS_PROBE_RMAP_REMOVE, "page_remove_rmap",
	  "page vma compound", "compound=%dx:u8", PD_PAGE, PS_GEN_6_1 },
	{ "rmap-remove", 1, PS_PROBE_FOLIO_REMOVE_PTES,
	  "folio_remove_rmap_ptes", "folio page nr_pages vma",
	  "nr=%dx:s32", PD_FOLIO, G_FOLIO, "%si", "%cx" },
	{ "rmap-remove", 1, PS_PROBE_FOLIO_REMOVE_PMD,
	  "folio_remove_rmap_pmd", "folio page vma", "",
	  PD_FOLIO | PD_THP, G_FOLIO, "%si", "%dx" },

	/*
	 * 6.1: try_grab_folio(page, ...) for the fast path, try_grab_page()
	 * for the slow one.  6.10+: try_grab_folio(folio, ...) for the slow
	 * path, try_grab_folio_fast(page, ...) for the fast one -- which is
	 * also how a kernel without BTF tells the two try_grab_folio apart.
	 */
	{ "gup-grab", 0, PS_PROBE_GUP_GRAB_FOLIO, "try_grab_folio",
	  "page refs flags", "refs=%si:s32 gup_flags=%dx:u32", PD_PAGE,
	  PS_GEN_6_1, .when = "!try_grab_folio_fast" },
	{ "gup-grab", 0, PS_PROBE_GUP_GRAB_PAGE, "try_grab_page",
	  "page flags", "gup_flags=%si:u32", PD_PAGE, PS_GEN_6_1 },
	{ "gup-grab", 1, PS_PROBE_GUP_GRAB_FOLIO, "try_grab_folio",
	  "folio refs flags", "refs=%si:s32 gup_flags=%dx:u32", PD_FOLIO,
	  G_FOLIO, .when = "try_grab_folio_fast" },
	{ "gup-grab", 1, PS_PROBE_GUP_GRAB_FOLIO_RET, "try_grab_folio",
	  NULL, "ret=$retval:s32", PD_RET, G_FOLIO },
	{ "gup-grab", 1, PS_PROBE_GUP_GRAB_FOLIO_FAST, "try_grab_folio_fast",
	  "page refs flags", "refs=%si:s32 gup_flags=%dx:u32", PD_PAGE,
	  G_FOLIO },
	{ "gup-grab", 1, PS_PROBE_GUP_GRAB_FOLIO_FAST_RET,
	  "try_grab_folio_fast", NULL, "ret=$retval:x64", PD_RET, G_FOLIO },

	/* every generation; folio fields only where the layout has them */
	{ "gup-put", 0, PS_PROBE_GUP_PUT_FOLIO, "gup_put_folio",
	  "folio refs flags", "refs=%si:s32 gup_flags=%dx:u32", PD_FOLIO,
	  G_ALL },
	{ "gup-put", 0, PS_PROBE_UNPIN_USER_PAGE, "unpin_user_page", "page",
	  "", PD_PAGE, G_ALL },
	/* 7.2 inlines gup_put_folio into these two and unpin_user_page */
	{ "gup-put", 0, PS_PROBE_UNPIN_USER_FOLIO, "unpin_user_folio",
	  "folio npages", "npages=%si:s64", PD_FOLIO, G_FOLIO },
	{ "gup-put", 0, PS_PROBE_UNPIN_FOLIO, "unpin_folio", "folio", "",
	  PD_FOLIO, G_FOLIO },

	/* 7.2 dropped the folio argument; the fetched ones did not move */
	{ "split-pmd", 0, PS_PROBE_SPLIT_PMD, "__split_huge_pmd",
	  "vma pmd address freeze folio|vma pmd address freeze",
	  "pmdval=+0(%si):x64 addr=%dx:x64 freeze=%cx:u8", PD_THP, G_ALL,
	  NULL, "%di", .opt = "hzp_pfn=@huge_zero_pfn:x64" },

	{ "split-folio", 0, PS_PROBE_SPLIT_HUGE_PAGE, "split_huge_page_to_list",
	  "page list", "", PD_PAGE | PD_THP, PS_GEN_6_1 },
	{ "split-folio", 0, PS_PROBE_SPLIT_HUGE_PAGE_RET,
	  "split_huge_page_to_list", NULL, "ret=$retval:s32",
	  PD_RET | PD_THP, PS_GEN_6_1 },
	{ "split-folio", 1, PS_PROBE_SPLIT_HUGE_PAGE,
	  "split_huge_page_to_list_to_order", "page list new_order",
	  "new_order=%dx:u32", PD_PAGE | PD_THP, PS_GEN_FOLIO },
	{ "split-folio", 1, PS_PROBE_SPLIT_HUGE_PAGE_RET,
	  "split_huge_page_to_list_to_order", NULL, "ret=$retval:s32",
	  PD_RET | PD_THP, PS_GEN_FOLIO },
	{ "split-folio", 2, PS_PROBE_SPLIT_HUGE_PAGE, "__folio_split",
	  "folio new_order split_at lock_at list split_type",
	  "new_order=%si:u32 split_at=%dx:x64 split_type=%r9:u32",
	  PD_FOLIO | PD_THP, PS_GEN_7_2 },
	{ "split-folio", 2, PS_PROBE_SPLIT_HUGE_PAGE_RET, "__folio_split",
	  NULL, "ret=$retval:s32", PD_RET | PD_THP, PS_GEN_7_2 },

	/* 7.2 dropped prev: start and end moved up one register */
	{ "madvise-collapse", 0, PS_PROBE_MADVISE_COLLAPSE, "madvise_collapse",
	  "vma prev start end", "start=%dx:x64 end=%cx:x64", PD_THP,
	  PS_GEN_6_1 | PS_GEN_FOLIO, .when = "!__folio_split" },
	{ "madvise-collapse", 0, PS_PROBE_MADVISE_COLLAPSE_RET,
	  "madvise_collapse", NULL, "ret=$retval:s32", PD_RET | PD_THP,
	  PS_GEN_6_1 | PS_GEN_FOLIO },
	{ "madvise-collapse", 1, PS_PROBE_MADVISE_COLLAPSE, "madvise_collapse",
	  "vma start end lock_dropped", "start=%si:x64 end=%dx:x64", PD_THP,
	  PS_GEN_7_2, .when = "__folio_split" },
	{ "madvise-collapse", 1, PS_PROBE_MADVISE_COLLAPSE_RET,
	  "madvise_collapse", NULL, "ret=$retval:s32", PD_RET | PD_THP,
	  PS_GEN_7_2 },

	{ "collapse", 0, PS_PROBE_COLLAPSE_HUGE_PAGE, "collapse_huge_page",
	  "mm address referenced unmapped cc|mm start_addr referenced unmapped cc order",
	  "addr=%si:x64", PD_THP, G_ALL },

	/* static, one caller (hpage_collapse_scan_file) */
	{ "collapse-file", 0, PS_PROBE_COLLAPSE_FILE, "collapse_file",
	  "mm addr file start cc", "mm=%di:x64 addr=%si:x64", PD_THP,
	  PS_GEN_6_1 | PS_GEN_FOLIO },

	{ "fork-copy", 0, PS_PROBE_COPY_PAGE_RANGE, "copy_page_range",
	  "dst_vma src_vma", "", 0, G_ALL },
	{ "fork-copy", 0, PS_PROBE_COPY_PAGE_RANGE_RET, "copy_page_range",
	  NULL, "ret=$retval:s32", PD_RET, G_ALL },
	{ "fork-copy", 0, PS_PROBE_VM_NORMAL_PAGE_RET, "vm_normal_page",
	  NULL, "", PD_PAGE | PD_RET, G_ALL, "$retval" },
	{ "fork-copy", 0, PS_PROBE_COPY_HUGE_PMD, "copy_huge_pmd",
	  "dst_mm src_mm dst_pmd src_pmd addr dst_vma src_vma",
	  "pmdval=+0(%cx):x64 addr=%r8:x64 mm=%di:x64 src_mm=%si:x64",
	  PD_THP, G_ALL, .opt = "hzp_pfn=@huge_zero_pfn:x64" },
	{ "fork-copy", 0, PS_PROBE_COPY_HUGE_PMD_RET, "copy_huge_pmd",
	  NULL, "ret=$retval:s32", PD_RET | PD_THP, G_ALL },

	/*
	 * The rmap walks that install and remove migration entries: one
	 * call per vma, so vma->vm_mm says whose page table the
	 * set_migration_pte / remove_migration_pte events that follow
	 * write (the tracepoints give only the address, and fork repeats
	 * addresses).  Same signature on 6.1, 6.12 and 7.2; static, but
	 * called through rmap_walk_control so never inlined.
	 */
	{ "migration-set", 0, PS_PROBE_MIGRATE_ONE, "try_to_migrate_one",
	  "folio vma address arg", "addr=%dx:x64", 0, G_ALL, NULL, "%si" },
	{ "migration-remove", 0, PS_PROBE_REMOVE_MIGRATION,
	  "remove_migration_pte", "folio vma addr old|folio vma addr arg",
	  "addr=%dx:x64", 0, G_ALL, NULL, "%si" },
	/* a process exiting mid-migration takes its entries with it */
	{ "mm-exit", 0, PS_PROBE_MM_EXIT, "exit_mmap", "mm", "mm=%di:x64", 0,
	  G_ALL },

	/* the deep snapshot: each pfn /proc/kpageflags is asked for */
	{ "page-read", 0, PS_PROBE_PAGE_READ, "stable_page_flags", "page",
	  "", PD_FOLIO | PD_TAIL1, G_ALL },
};

#define NR_PROBES ARRAY_SIZE(probe_defs)

enum probe_status {
	PROBE_UNTRIED,		/* another candidate of its role was chosen */
	PROBE_PLACED,
	PROBE_ABSENT,		/* not in this kernel */
	PROBE_INLINED,		/* in its source, not in its symbols */
	PROBE_REJECTED,		/* the kernel or our BTF check said no */
	PROBE_OTHER_GEN,	/* no BTF: another generation's form */
	PROBE_KEY_MISSING,	/* its candidate's key probe did not place */
};

static const char *const status_words[] = {
	[PROBE_UNTRIED]		= "superseded",
	[PROBE_PLACED]		= "placed",
	[PROBE_ABSENT]		= "absent",
	[PROBE_INLINED]		= "inlined",
	[PROBE_REJECTED]	= "rejected",
	[PROBE_OTHER_GEN]	= "other-generation",
	[PROBE_KEY_MISSING]	= "key-missing",
};

struct ps_kprobes {
	struct ps_kernel_layout layout;
	/* why no probe at all: "busy", "no-layout"; NULL when we tried */
	const char *unusable;
	pid_t owner;		/* the live recorder when "busy" */
	int nr_placed;
	struct {
		enum probe_status status;
		char *error;	/* what the kernel or the check said */
		bool without_opt;	/* placed without probe_def.opt */
		bool chosen;	/* in the chosen candidate of its role */
		struct tracefs_dynevent *dyn;
	} probe[NR_PROBES];
};

static char *xstrcat_fmt(char *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends " " and the formatted text to the malloc'ed @s. */
static char *xstrcat_fmt(char *s, const char *fmt, ...)
{
	char *add, *out;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&add, fmt, ap);
	va_end(ap);
	if (n < 0 || asprintf(&out, "%s%s%s", s ? s : "", s && *s ? " " : "",
			      add) < 0)
		ps_die("out of memory");
	free(add);
	free(s);
	return out;
}

/* Folio fields of probes.h at @at, those the layout has. */
static char *folio_fields(char *fmt, const struct ps_kernel_layout *l,
			  const char *at)
{
	const struct { const char *name; int off; const char *type; } f[] = {
		{ "flags1", l->folio_flags_1, "x64" },
		{ "large_mapcount", l->large_mapcount, "s32" },
		{ "entire_mapcount", l->entire_mapcount, "s32" },
		{ "nr_pages_mapped", l->nr_pages_mapped, "s32" },
		{ "fpincount", l->folio_pincount, "s32" },
	};
	size_t i;

	fmt = xstrcat_fmt(fmt, "folio=%s:x64 fflags=+%d(%s):x64 frefcount=+%d(%s):s32 fmapcount=+%d(%s):s32",
			  at, l->flags, at, l->refcount, at, l->mapcount, at);
	for (i = 0; i < ARRAY_SIZE(f); i++)
		if (f[i].off >= 0)
			fmt = xstrcat_fmt(fmt, "%s=+%d(%s):%s", f[i].name,
					  f[i].off, at, f[i].type);
	/* 7.2 (CONFIG_MM_ID): two mm ids and their mapcounts */
	if (l->mm_id_mapcount >= 0 && l->mm_id >= 0)
		fmt = xstrcat_fmt(fmt, "mm_id_mapcount0=+%d(%s):s32 mm_id_mapcount1=+%d(%s):s32 mm_ids=+%d(%s):x64",
				  l->mm_id_mapcount, at,
				  l->mm_id_mapcount + 4, at, l->mm_id, at);
	return fmt;
}

/*
 * The fields of probes.h for @d: folio fields, page fields, the probe's
 * own, mm, then its optional ones when @opt.
 */
static char *probe_format(const struct probe_def *d,
			  const struct ps_kernel_layout *l, bool opt)
{
	char *fmt = NULL;

	/* 6.1's folio functions keep their page-only fields */
	if ((d->flags & PD_FOLIO) && l->large_mapcount >= 0)
		fmt = folio_fields(fmt, l, "%di");
	if (d->flags & (PD_PAGE | PD_FOLIO)) {
		const char *at = d->page_at ? d->page_at : "%di";

		fmt = xstrcat_fmt(fmt, "page=%s:x64 pflags=+%d(%s):x64 mapcount=+%d(%s):s32 refcount=+%d(%s):s32",
				  at, l->flags, at, l->mapcount, at,
				  l->refcount, at);
	}
	if ((d->flags & PD_TAIL1) && l->large_mapcount < 0 &&
	    l->compound_mapcount >= 0 && l->compound_pincount >= 0)
		fmt = xstrcat_fmt(fmt, "tflags=+%d(%%di):x64 cmapcount=+%d(%%di):s32 cpincount=+%d(%%di):s32",
				  l->struct_page + l->flags,
				  l->struct_page + l->compound_mapcount,
				  l->struct_page + l->compound_pincount);
	if (*d->args)
		fmt = xstrcat_fmt(fmt, "%s", d->args);
	if (d->vma_at && l->vma_mm >= 0)
		fmt = xstrcat_fmt(fmt, "mm=+%d(%s):x64", l->vma_mm, d->vma_at);
	if (opt && d->opt)
		fmt = xstrcat_fmt(fmt, "%s", d->opt);
	return fmt ? fmt : xstrcat_fmt(NULL, "%s", "");
}

/* Is @pid a live recorder other than us?  (stale.c knows how.) */
static bool live_recorder_pid(pid_t pid)
{
	return pid != getpid() && ps_recorder_alive(pid);
}

/* The pid of a live recorder with a pagestate-<pid> instance, or 0. */
static pid_t live_recorder(const char *tracing_dir)
{
	size_t len = strlen(PS_INSTANCE_PREFIX);
	char path[4096];
	struct dirent *de;
	pid_t owner = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/instances", tracing_dir);
	dir = opendir(path);
	while (dir && !owner && (de = readdir(dir))) {
		char *end;
		long pid;

		if (strncmp(de->d_name, PS_INSTANCE_PREFIX, len))
			continue;
		pid = strtol(de->d_name + len, &end, 10);
		if (!*end && live_recorder_pid(pid))
			owner = pid;
	}
	if (dir)
		closedir(dir);
	return owner;
}

/*
 * Our group, left by a recorder that died: gone, or -1 with kp->owner
 * set when a live recorder still uses it.
 */
static int group_clean(struct ps_kprobes *kp, const char *tracing_dir)
{
	struct tracefs_dynevent **old;
	int i;

	old = tracefs_dynevent_get_all(TRACEFS_DYNEVENT_KPROBE |
				       TRACEFS_DYNEVENT_KRETPROBE,
				       PS_PROBE_GROUP);
	if (!old)
		return 0;
	kp->owner = live_recorder(tracing_dir);
	for (i = 0; !kp->owner && old[i]; i++) {
		char *event = NULL;

		if (!tracefs_dynevent_destroy(old[i], true))
			continue;
		tracefs_dynevent_info(old[i], NULL, &event, NULL, NULL, NULL);
		ps_warn("cannot remove the stale kprobe event %s/%s: %s",
			PS_PROBE_GROUP, event ? event : "?", strerror(errno));
		free(event);
	}
	if (!kp->owner && old[0])
		ps_info("removed %d kprobe events of group %s left by a dead recorder",
			i, PS_PROBE_GROUP);
	tracefs_dynevent_list_free(old);
	return kp->owner ? -1 : 0;
}

/*
 * record --cleanup and the start of every record: our group, when no
 * live recorder owns it.  Returns 1 when something was removed.
 */
int ps_kprobes_clean_stale(const char *tracing_dir)
{
	struct ps_kprobes kp = { .owner = 0 };
	struct tracefs_dynevent **old;
	bool any;

	old = tracefs_dynevent_get_all(TRACEFS_DYNEVENT_KPROBE |
				       TRACEFS_DYNEVENT_KRETPROBE,
				       PS_PROBE_GROUP);
	any = old && old[0];
	tracefs_dynevent_list_free(old);
	if (!any || group_clean(&kp, tracing_dir))
		return 0;
	return 1;
}

/*
 * What /proc/kallsyms says of the probe functions and of the @when
 * symbols: present exactly, or only as a clone (foo.isra.0).
 */
struct ksyms {
	bool exact[NR_PROBES], clone[NR_PROBES];
	bool when[NR_PROBES];	/* probe_defs[i].when's symbol is there */
};

static void ksym_match(const char *name, const char *fn, bool *exact,
		       bool *clone)
{
	size_t len;

	if (!fn || name[0] != fn[0])
		return;
	len = strlen(fn);
	if (strncmp(name, fn, len))
		return;
	if (!name[len])
		*exact = true;
	else if (clone && name[len] == '.')
		*clone = true;
}

static void kallsyms_scan(struct ksyms *k)
{
	char line[512], name[256];
	FILE *f = fopen("/proc/kallsyms", "re");
	size_t i;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %255s", name) != 1)
			continue;
		for (i = 0; i < NR_PROBES; i++) {
			const char *w = probe_defs[i].when;

			ksym_match(name, probe_defs[i].func, &k->exact[i],
				   &k->clone[i]);
			if (w)
				ksym_match(name, w + (*w == '!'), &k->when[i],
					   NULL);
		}
	}
	fclose(f);
}

/*
 * Not in kallsyms: inlined when the kernel's source has it (the
 * generation of our table for this release has it, with THP built for
 * the THP functions, or a partial clone is in kallsyms), else absent.
 */
static enum probe_status why_missing(const struct probe_def *d, bool clone,
				     const struct ps_caps *caps,
				     const struct ps_kernel_layout *l)
{
	bool thp = caps->group_events[PS_GROUP_HUGE_MEMORY] > 0;

	if (clone || ((l->gen & d->gens) && (thp || !(d->flags & PD_THP))))
		return PROBE_INLINED;
	return PROBE_ABSENT;
}

/*
 * May @d go on this kernel?  PROBE_PLACED here means "try": BTF decides
 * when it has the function, else the generation table (@when).
 */
static enum probe_status probe_check(struct ps_kprobes *kp, size_t i,
				     const struct ksyms *k,
				     const struct ps_caps *caps)
{
	const struct probe_def *d = &probe_defs[i];
	bool neg;

	if (!k->exact[i])
		return why_missing(d, k->clone[i], caps, &kp->layout);
	switch (ps_layout_func_matches(&kp->layout, d->func, d->params)) {
	case 1:
		return PROBE_PLACED;
	case 0:
		if (asprintf(&kp->probe[i].error,
			     "BTF: %s() does not take (%s)", d->func,
			     d->params) < 0)
			ps_die("out of memory");
		return PROBE_REJECTED;
	}
	if (!d->when)
		return PROBE_PLACED;
	neg = *d->when == '!';
	if (k->when[i] != neg)
		return PROBE_PLACED;
	if (asprintf(&kp->probe[i].error, "no BTF; %s %s in kallsyms",
		     d->when + neg, neg ? "is" : "is not") < 0)
		ps_die("out of memory");
	return PROBE_OTHER_GEN;
}

/* The kernel's reason, from the top error_log, as one line. */
static char *kernel_error(int err)
{
	char *log = tracefs_error_last(NULL), *p, *e, *msg;

	p = log ? strstr(log, "error: ") : NULL;
	if (p) {
		p += strlen("error: ");
		e = strchr(p, '\n');
		msg = e ? strndup(p, e - p) : strdup(p);
	} else {
		msg = strdup(strerror(err));
	}
	free(log);
	if (!msg)
		ps_die("out of memory");
	return msg;
}

static struct tracefs_dynevent *create(const struct probe_def *d,
				       const struct ps_kernel_layout *l,
				       bool opt)
{
	struct tracefs_dynevent *dyn;
	char *fmt = probe_format(d, l, opt);

	if ((d->flags & PD_RET))
		dyn = tracefs_kretprobe_alloc(PS_PROBE_GROUP, d->event, d->func,
					      fmt, 0);
	else
		dyn = tracefs_kprobe_alloc(PS_PROBE_GROUP, d->event, d->func,
					   fmt);
	free(fmt);
	if (!dyn)
		ps_die("out of memory");
	if (tracefs_dynevent_create(dyn)) {
		int err = errno;

		tracefs_dynevent_free(dyn);
		errno = err;
		return NULL;
	}
	return dyn;
}

static void place_one(struct ps_kprobes *kp, size_t i)
{
	const struct probe_def *d = &probe_defs[i];
	struct tracefs_dynevent *dyn;

	dyn = create(d, &kp->layout, true);
	if (!dyn && d->opt) {
		kp->probe[i].without_opt = true;
		dyn = create(d, &kp->layout, false);
	}
	if (!dyn) {
		kp->probe[i].status = PROBE_REJECTED;
		kp->probe[i].error = kernel_error(errno);
		return;
	}
	kp->probe[i].status = PROBE_PLACED;
	kp->probe[i].dyn = dyn;
	kp->nr_placed++;
}

/* Probes [@first, @end) form one candidate of one role. */
static size_t candidate_end(size_t first)
{
	size_t e = first + 1;

	while (e < NR_PROBES &&
	       !strcmp(probe_defs[e].role, probe_defs[first].role) &&
	       probe_defs[e].alt == probe_defs[first].alt)
		e++;
	return e;
}

/*
 * One role, whose probes start at @first: the first candidate whose key
 * places is chosen and its other probes placed; the candidates after it
 * stay PROBE_UNTRIED.  Returns the index past the role.
 */
static size_t place_role(struct ps_kprobes *kp, size_t first,
			 const struct ksyms *k, const struct ps_caps *caps)
{
	const char *role = probe_defs[first].role;
	bool chosen = false;
	size_t c, e, i;

	for (c = first; c < NR_PROBES && !strcmp(probe_defs[c].role, role);
	     c = e) {
		e = candidate_end(c);
		if (chosen)
			continue;
		for (i = c; i < e; i++) {
			enum probe_status st = probe_check(kp, i, k, caps);

			if (st == PROBE_PLACED && (i == c || chosen))
				place_one(kp, i);
			else if (st == PROBE_PLACED)
				kp->probe[i].status = PROBE_KEY_MISSING;
			else
				kp->probe[i].status = st;
			if (i == c)
				chosen = kp->probe[c].status == PROBE_PLACED;
		}
		for (i = c; chosen && i < e; i++)
			kp->probe[i].chosen = true;
	}
	return c;
}

/*
 * Everything but enabling: clean the group, derive the layout, read
 * vmemmap_base, place each role's probes.  Returns the state; never
 * fails a recording (missing probes are markers, not errors).
 */
static struct ps_kprobes *kprobes_setup(const struct ps_caps *caps)
{
	struct ps_kprobes *kp = ps_xcalloc(1, sizeof(*kp));
	struct ksyms *k;
	size_t i;

	if (group_clean(kp, caps->tracing_dir)) {
		kp->unusable = "busy";
		return kp;
	}
	if (ps_layout_derive(&kp->layout)) {
		kp->unusable = "no-layout";
		return kp;
	}
	if (ps_layout_read_vmemmap(&kp->layout))
		ps_warn("cannot read vmemmap_base (no @vmemmap_base in kallsyms on a KASLR kernel); kprobe page pointers will not convert to pfns");
	k = ps_xcalloc(1, sizeof(*k));
	kallsyms_scan(k);
	for (i = 0; i < NR_PROBES; )
		i = place_role(kp, i, k, caps);
	free(k);
	return kp;
}

/*
 * Is probe @i's event reported missing?  Those of a chosen candidate
 * that did not place, and every event of a role none of whose
 * candidates was chosen, once per event name.
 */
static bool report_missing(const struct ps_kprobes *kp, size_t i)
{
	const struct probe_def *d = &probe_defs[i];
	bool role_chosen = false;
	size_t j;

	if (kp->probe[i].status == PROBE_PLACED)
		return false;
	for (j = 0; j < NR_PROBES; j++)
		if (!strcmp(probe_defs[j].role, d->role) && kp->probe[j].chosen)
			role_chosen = true;
	if (role_chosen)
		return kp->probe[i].chosen;
	for (j = 0; j < i; j++)
		if (!strcmp(probe_defs[j].role, d->role) &&
		    !strcmp(probe_defs[j].event, d->event))
			return false;
	return true;
}

static void kprobes_free(struct ps_kprobes *kp)
{
	size_t i;

	if (!kp)
		return;
	for (i = 0; i < NR_PROBES; i++) {
		struct tracefs_dynevent *dyn = kp->probe[i].dyn;

		/* force: disabled everywhere first, our instance included */
		if (dyn && tracefs_dynevent_destroy(dyn, true))
			ps_warn("cannot remove kprobe event %s/%s: %s; remove it with: echo '-:%s/%s' >> %s/kprobe_events",
				PS_PROBE_GROUP, probe_defs[i].event,
				strerror(errno), PS_PROBE_GROUP,
				probe_defs[i].event, PS_TRACEFS_PATH);
		tracefs_dynevent_free(dyn);
		free(kp->probe[i].error);
	}
	ps_layout_release(&kp->layout);
	free(kp);
}

/*
 * Before the instance's events are enabled: the probes exist from here
 * on, recorder_cleanup() takes them away.  Adds the placed ones to the
 * event set (and so to the "event" markers and the file's formats).
 */
void ps_kprobes_place(struct ps_recorder *rec)
{
	struct ps_kprobes *kp;
	size_t i;

	if (!rec->caps.kprobe_events || rec->kprobes)
		return;
	kp = rec->kprobes = kprobes_setup(&rec->caps);
	if (kp->unusable && kp->owner)
		ps_warn("kprobe group %s is in use by recorder pid %d; recording without kprobes",
			PS_PROBE_GROUP, kp->owner);
	else if (kp->unusable)
		ps_warn("no struct page layout for this kernel (no %s, release not in pagestate's table); recording without kprobes: rmap, GUP and split probes are missing, tracepoints%s still record",
			"/sys/kernel/btf/vmlinux",
			rec->caps.group_events[PS_GROUP_PAGE_REF] > 0 ?
			" and page_ref" : "");
	for (i = 0; i < NR_PROBES; i++) {
		if (kp->probe[i].status == PROBE_PLACED)
			ps_event_set_add(&rec->events, PS_PROBE_GROUP,
					 probe_defs[i].event);
		else if (kp->probe[i].status == PROBE_REJECTED &&
			 report_missing(kp, i))
			ps_warn("kprobe %s on %s not placed: %s",
				probe_defs[i].event, probe_defs[i].func,
				kp->probe[i].error);
	}
	rec->profile = ps_profile_name(&rec->caps, kp->nr_placed > 0);
}

/* " key=<n>" for the folio keys of the layout marker the kernel has. */
static void folio_keys(char *buf, size_t size,
		       const struct ps_kernel_layout *l)
{
	const struct { const char *key; int off; } k[] = {
		{ "folio_flags_1", l->folio_flags_1 },
		{ "large_mapcount", l->large_mapcount },
		{ "entire_mapcount", l->entire_mapcount },
		{ "nr_pages_mapped", l->nr_pages_mapped },
		{ "folio_pincount", l->folio_pincount },
		{ "mm_id_mapcount", l->mm_id_mapcount },
		{ "mm_id", l->mm_id },
		{ "vma_mm", l->vma_mm },
	};
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(k) && n < size; i++)
		if (k[i].off >= 0)
			n += snprintf(buf + n, size - n, " %s=%d", k[i].key,
				      k[i].off);
}

static void mark_layout(struct ps_recorder *rec,
			const struct ps_kernel_layout *l)
{
	char folio[256];

	folio_keys(folio, sizeof(folio), l);
	ps_mark(rec, "layout source=%s vmemmap_base=0x%" PRIx64 " struct_page=%d flags=%d mapcount=%d refcount=%d compound_mapcount=%d compound_pincount=%d foll_pin=0x%x foll_get=0x%x foll_longterm=0x%x rmap_exclusive=0x%x rmap_compound=0x%x%s",
		l->source, l->vmemmap_base, l->struct_page, l->flags,
		l->mapcount, l->refcount, l->compound_mapcount,
		l->compound_pincount, l->foll_pin, l->foll_get,
		l->foll_longterm, l->rmap_exclusive, l->rmap_compound, folio);
	if (l->pageflags[0])
		ps_mark(rec, "pageflags %s", l->pageflags);
}

/* The layout, pageflags and missing lines of probes.h, after "cap". */
void ps_kprobes_mark(struct ps_recorder *rec)
{
	struct ps_kprobes *kp = rec->kprobes;
	size_t i;

	if (!kp) {
		ps_mark(rec, "missing kprobes why=absent");
		return;
	}
	if (kp->unusable) {
		ps_mark(rec, "missing kprobes why=%s", kp->unusable);
		return;
	}
	mark_layout(rec, &kp->layout);
	for (i = 0; i < NR_PROBES; i++)
		if (report_missing(kp, i))
			ps_mark(rec, "missing kprobe:%s why=%s",
				probe_defs[i].event,
				status_words[kp->probe[i].status]);
}

/*
 * After the layout marker: no probe event may come before it.  Only the
 * events we created: with no layout (or a busy group) there are none.
 * One that cannot be enabled (removed under us) is a missing probe, not
 * a failed recording: it is marked so, after the fact, and the rest
 * record.
 */
int ps_kprobes_enable(struct ps_recorder *rec)
{
	struct ps_kprobes *kp = rec->kprobes;
	char file[256];
	size_t i;

	for (i = 0; kp && i < NR_PROBES; i++) {
		if (kp->probe[i].status != PROBE_PLACED || !kp->probe[i].dyn)
			continue;
		snprintf(file, sizeof(file), "events/%s/%s/enable",
			 PS_PROBE_GROUP, probe_defs[i].event);
		if (tracefs_instance_file_write(rec->instance, file, "1") >= 0)
			continue;
		ps_warn("cannot write 1 to %s/%s: %s; recording without kprobe %s",
			rec->instance_dir, file, strerror(errno),
			probe_defs[i].event);
		ps_mark(rec, "missing kprobe:%s why=rejected",
			probe_defs[i].event);
	}
	return 0;
}

/* Every way out; safe to call twice. */
void ps_kprobes_destroy(struct ps_recorder *rec)
{
	kprobes_free(rec->kprobes);
	rec->kprobes = NULL;
}

/* "func1, func2" of the probes of the chosen candidate that placed. */
static void role_functions(const struct ps_kprobes *kp, size_t first,
			   char *buf, size_t size)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = first; i < NR_PROBES &&
	     !strcmp(probe_defs[i].role, probe_defs[first].role); i++) {
		if (kp->probe[i].status != PROBE_PLACED ||
		    (probe_defs[i].flags & PD_RET) || n >= size)
			continue;
		n += snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
			      probe_defs[i].func);
	}
}

/*
 * One line per role: the functions chosen, and for each candidate key
 * that was not, why ("absent", "rejected: BTF ...", "superseded").
 */
static size_t print_role(const struct ps_kprobes *kp, size_t first)
{
	const char *role = probe_defs[first].role;
	char chosen[256], name[64];
	size_t c, e;
	int nr_not = 0;

	role_functions(kp, first, chosen, sizeof(chosen));
	snprintf(name, sizeof(name), "kprobe role:%s", role);
	printf("%-31s %s", name, chosen[0] ? chosen : "none");
	for (c = first; c < NR_PROBES && !strcmp(probe_defs[c].role, role);
	     c = e) {
		e = candidate_end(c);
		if (kp->probe[c].chosen)
			continue;
		printf("%s%s() %s%s%s", nr_not++ ? "; " : "; not ",
		       probe_defs[c].func, status_words[kp->probe[c].status],
		       kp->probe[c].error ? ": " : "",
		       kp->probe[c].error ? kp->probe[c].error : "");
	}
	printf("\n");
	return c;
}

static void print_probe(const struct ps_kprobes *kp, size_t i)
{
	const struct probe_def *d = &probe_defs[i];
	char name[64];

	snprintf(name, sizeof(name), "kprobe:%s", d->event);
	if (kp->probe[i].status == PROBE_PLACED)
		printf("%-31s placeable (%s%s%s%s)\n", name, d->func,
		       d->flags & PD_RET ? " return" : "",
		       kp->probe[i].without_opt ? "; without " : "",
		       kp->probe[i].without_opt ? d->opt : "");
	else
		printf("%-31s missing why=%s (%s%s%s)\n", name,
		       status_words[kp->probe[i].status], d->func,
		       kp->probe[i].error ? ": " : "",
		       kp->probe[i].error ? kp->probe[i].error : "");
}

static void print_layout(const struct ps_kernel_layout *l)
{
	char folio[256];

	printf("%-20s source=%s struct_page=%d flags=%d mapcount=%d refcount=%d compound_mapcount=%d compound_pincount=%d\n",
	       "kprobe layout", l->source, l->struct_page, l->flags,
	       l->mapcount, l->refcount, l->compound_mapcount,
	       l->compound_pincount);
	folio_keys(folio, sizeof(folio), l);
	printf("%-20s%s\n", "kprobe folio", folio[0] ? folio : " none");
	printf("%-20s 0x%" PRIx64 " (%s)\n", "kprobe vmemmap_base",
	       l->vmemmap_base, l->vmemmap_source);
	printf("%-20s source=%s foll_pin=0x%x foll_get=0x%x foll_longterm=0x%x rmap_exclusive=0x%x rmap_compound=0x%x\n",
	       "kprobe constants", l->consts_source, l->foll_pin, l->foll_get,
	       l->foll_longterm, l->rmap_exclusive, l->rmap_compound);
	printf("%-20s %s\n", "kprobe pageflags",
	       l->pageflags[0] ? l->pageflags : "unknown");
}

/*
 * For --list-capabilities: place every probe and take them away again,
 * so what is printed is what a recording would get.  Per role, the
 * functions chosen and why the other candidates were not; then each
 * event placed, or missing with why.  Returns the number that placed.
 */
int ps_kprobes_print(const struct ps_caps *caps)
{
	struct ps_kprobes *kp;
	int placed;
	size_t i, r;

	if (!caps->kprobe_events)
		return 0;
	kp = kprobes_setup(caps);
	if (kp->unusable && kp->owner)
		printf("%-20s busy (group %s belongs to recorder pid %d)\n",
		       "kprobes", PS_PROBE_GROUP, kp->owner);
	else if (kp->unusable)
		printf("%-20s unusable (no BTF, release not in the table)\n",
		       "kprobes");
	if (kp->unusable) {
		kprobes_free(kp);
		return 0;
	}
	print_layout(&kp->layout);
	for (r = 0; r < NR_PROBES; ) {
		size_t next = print_role(kp, r);

		for (i = r; i < next; i++)
			if (kp->probe[i].status == PROBE_PLACED ||
			    report_missing(kp, i))
				print_probe(kp, i);
		r = next;
	}
	placed = kp->nr_placed;
	kprobes_free(kp);
	return placed;
}
