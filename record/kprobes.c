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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "pagestate/probes.h"
#include "pagestate/recording.h"
#include "record.h"

/*
 * One probe of probes.h.  @params are the 6.1 parameter names, checked
 * against BTF where the kernel has it; the registers of @args follow
 * them (x86_64: %di %si %dx %cx %r8 %r9).  @page: the first argument is
 * a struct page (or folio) whose fields are fetched before @args.
 * @thp: the function is built only with CONFIG_TRANSPARENT_HUGEPAGE.
 * @opt: fetches of kernel variables, dropped when the kernel cannot
 * resolve the symbol (no CONFIG_KALLSYMS_ALL).
 * @page_at: where the struct page pointer is, when not the first
 * argument (%di): "$retval" for a function returning one.
 */
struct probe_def {
	const char *event;
	const char *func;
	const char *params;
	const char *args;
	bool page;
	bool ret;
	bool thp;
	const char *opt;
	const char *page_at;
};

static const struct probe_def probe_defs[] = {
	{ PS_PROBE_RMAP_ADD_ANON, "page_add_anon_rmap",
	  "page vma address flags", "addr=%dx:x64 rflags=%cx:u32", true },
	{ PS_PROBE_RMAP_ADD_NEW_ANON, "page_add_new_anon_rmap",
	  "page vma address", "addr=%dx:x64", true },
	{ PS_PROBE_RMAP_ADD_FILE, "page_add_file_rmap",
	  "page vma compound", "compound=%dx:u8", true },
	{ PS_PROBE_RMAP_REMOVE, "page_remove_rmap",
	  "page vma compound", "compound=%dx:u8", true },
	{ PS_PROBE_GUP_GRAB_FOLIO, "try_grab_folio",
	  "page refs flags", "refs=%si:s32 gup_flags=%dx:u32", true },
	{ PS_PROBE_GUP_GRAB_PAGE, "try_grab_page",
	  "page flags", "gup_flags=%si:u32", true },
	{ PS_PROBE_GUP_PUT_FOLIO, "gup_put_folio",
	  "folio refs flags", "refs=%si:s32 gup_flags=%dx:u32", true },
	{ PS_PROBE_UNPIN_USER_PAGE, "unpin_user_page", "page", "", true },
	{ PS_PROBE_SPLIT_PMD, "__split_huge_pmd",
	  "vma pmd address freeze folio",
	  "pmdval=+0(%si):x64 addr=%dx:x64 freeze=%cx:u8", .thp = true,
	  .opt = "hzp_pfn=@huge_zero_pfn:x64" },
	{ PS_PROBE_SPLIT_HUGE_PAGE, "split_huge_page_to_list",
	  "page list", "", true, .thp = true },
	{ PS_PROBE_SPLIT_HUGE_PAGE_RET, "split_huge_page_to_list",
	  NULL, "ret=$retval:s32", .ret = true, .thp = true },
	{ PS_PROBE_MADVISE_COLLAPSE, "madvise_collapse",
	  "vma prev start end", "start=%dx:x64 end=%cx:x64", .thp = true },
	{ PS_PROBE_MADVISE_COLLAPSE_RET, "madvise_collapse",
	  NULL, "ret=$retval:s32", .ret = true, .thp = true },
	{ PS_PROBE_COLLAPSE_HUGE_PAGE, "collapse_huge_page",
	  "mm address referenced unmapped cc", "addr=%si:x64", .thp = true },
	{ PS_PROBE_COPY_PAGE_RANGE, "copy_page_range",
	  "dst_vma src_vma", "" },
	{ PS_PROBE_COPY_PAGE_RANGE_RET, "copy_page_range",
	  NULL, "ret=$retval:s32", .ret = true },
	{ PS_PROBE_VM_NORMAL_PAGE_RET, "vm_normal_page",
	  NULL, "", true, .ret = true, .page_at = "$retval" },
	{ PS_PROBE_COPY_HUGE_PMD, "copy_huge_pmd",
	  "dst_mm src_mm dst_pmd src_pmd addr dst_vma src_vma",
	  "pmdval=+0(%cx):x64 addr=%r8:x64", .thp = true },
	{ PS_PROBE_COPY_HUGE_PMD_RET, "copy_huge_pmd",
	  NULL, "ret=$retval:s32", .ret = true, .thp = true },
};

#define NR_PROBES ARRAY_SIZE(probe_defs)

enum probe_status {
	PROBE_PLACED,
	PROBE_ABSENT,		/* not in this kernel */
	PROBE_INLINED,		/* in its source, not in its symbols */
	PROBE_REJECTED,		/* the kernel or our BTF check said no */
};

static const char *const status_words[] = {
	[PROBE_PLACED]		= "placed",
	[PROBE_ABSENT]		= "absent",
	[PROBE_INLINED]		= "inlined",
	[PROBE_REJECTED]	= "rejected",
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
		struct tracefs_dynevent *dyn;
	} probe[NR_PROBES];
};

/*
 * The struct page fields every per-page probe fetches (probes.h), then
 * the probe's own, then its optional ones when @opt.
 */
static char *probe_format(const struct probe_def *d,
			  const struct ps_kernel_layout *l, bool opt)
{
	const char *extra = opt && d->opt ? d->opt : "";
	char *fmt;
	int n;

	if (d->page) {
		const char *at = d->page_at ? d->page_at : "%di";

		n = asprintf(&fmt, "page=%s:x64 pflags=+%d(%s):x64 mapcount=+%d(%s):s32 refcount=+%d(%s):s32%s%s",
			     at, l->flags, at, l->mapcount, at, l->refcount,
			     at, *d->args ? " " : "", d->args);
	}
	else
		n = asprintf(&fmt, "%s", d->args);
	if (n >= 0 && *extra) {
		char *with;

		n = asprintf(&with, "%s%s%s", fmt, *fmt ? " " : "", extra);
		free(fmt);
		fmt = with;
	}
	if (n < 0)
		ps_die("out of memory");
	return fmt;
}

/* Is @pid a live pagestate process other than us? */
static bool live_recorder_pid(pid_t pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	if (pid <= 0 || pid == getpid())
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strncmp(comm, "pagestate", 9);
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

/* Which probe functions /proc/kallsyms has, exactly or as a clone. */
static void kallsyms_scan(bool *exact, bool *clone)
{
	char line[512], name[256];
	FILE *f = fopen("/proc/kallsyms", "re");
	size_t i, len;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %255s", name) != 1)
			continue;
		for (i = 0; i < NR_PROBES; i++) {
			const char *fn = probe_defs[i].func;

			if (name[0] != fn[0])
				continue;
			len = strlen(fn);
			if (strncmp(name, fn, len))
				continue;
			if (!name[len])
				exact[i] = true;
			else if (name[len] == '.')
				clone[i] = true;	/* foo.isra.0 */
		}
	}
	fclose(f);
}

/*
 * Not in kallsyms: inlined when the kernel's source has it (a release
 * of our table, with THP built for the THP functions, or a partial
 * clone in kallsyms), else absent.
 */
static enum probe_status why_missing(const struct probe_def *d, bool clone,
				     const struct ps_caps *caps,
				     const struct ps_kernel_layout *l)
{
	bool thp = caps->group_events[PS_GROUP_HUGE_MEMORY] > 0;

	if (clone || (l->known_release && (thp || !d->thp)))
		return PROBE_INLINED;
	return PROBE_ABSENT;
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

	if (d->ret)
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

	if (!ps_layout_func_matches(&kp->layout, d->func, d->params)) {
		kp->probe[i].status = PROBE_REJECTED;
		if (asprintf(&kp->probe[i].error,
			     "BTF: %s() does not take (%s) on this kernel",
			     d->func, d->params) < 0)
			ps_die("out of memory");
		return;
	}
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

/*
 * Everything but enabling: clean the group, derive the layout, read
 * vmemmap_base, place each probe.  Returns the state; never fails a
 * recording (missing probes are markers, not errors).
 */
static struct ps_kprobes *kprobes_setup(const struct ps_caps *caps)
{
	struct ps_kprobes *kp = ps_xcalloc(1, sizeof(*kp));
	bool exact[NR_PROBES] = { false }, clone[NR_PROBES] = { false };
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
	kallsyms_scan(exact, clone);
	for (i = 0; i < NR_PROBES; i++) {
		if (exact[i])
			place_one(kp, i);
		else
			kp->probe[i].status = why_missing(&probe_defs[i],
							  clone[i], caps,
							  &kp->layout);
	}
	return kp;
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
		ps_warn("no struct page layout for this kernel (no %s, release not in pagestate's table); recording without kprobes",
			"/sys/kernel/btf/vmlinux");
	for (i = 0; i < NR_PROBES; i++) {
		if (kp->probe[i].status == PROBE_PLACED)
			ps_event_set_add(&rec->events, PS_PROBE_GROUP,
					 probe_defs[i].event);
		else if (kp->probe[i].status == PROBE_REJECTED)
			ps_warn("kprobe %s on %s not placed: %s",
				probe_defs[i].event, probe_defs[i].func,
				kp->probe[i].error);
	}
	rec->profile = ps_profile_name(&rec->caps, kp->nr_placed > 0);
}

static void mark_layout(struct ps_recorder *rec,
			const struct ps_kernel_layout *l)
{
	ps_mark(rec, "layout source=%s vmemmap_base=0x%" PRIx64 " struct_page=%d flags=%d mapcount=%d refcount=%d compound_mapcount=%d compound_pincount=%d foll_pin=0x%x foll_get=0x%x foll_longterm=0x%x rmap_exclusive=0x%x rmap_compound=0x%x",
		l->source, l->vmemmap_base, l->struct_page, l->flags,
		l->mapcount, l->refcount, l->compound_mapcount,
		l->compound_pincount, l->foll_pin, l->foll_get,
		l->foll_longterm, l->rmap_exclusive, l->rmap_compound);
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
		if (kp->probe[i].status != PROBE_PLACED)
			ps_mark(rec, "missing kprobe:%s why=%s",
				probe_defs[i].event,
				status_words[kp->probe[i].status]);
}

/* After the layout marker: no probe event may come before it. */
int ps_kprobes_enable(struct ps_recorder *rec)
{
	struct ps_kprobes *kp = rec->kprobes;
	char file[256];
	size_t i;

	for (i = 0; kp && i < NR_PROBES; i++) {
		if (kp->probe[i].status != PROBE_PLACED)
			continue;
		snprintf(file, sizeof(file), "events/%s/%s/enable",
			 PS_PROBE_GROUP, probe_defs[i].event);
		if (tracefs_instance_file_write(rec->instance, file, "1") < 0) {
			ps_error("cannot write 1 to %s/%s: %s",
				 rec->instance_dir, file, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Every way out; safe to call twice. */
void ps_kprobes_destroy(struct ps_recorder *rec)
{
	kprobes_free(rec->kprobes);
	rec->kprobes = NULL;
}

/*
 * For --list-capabilities: place every probe and take them away again,
 * so what is printed is what a recording would get.  Returns the number
 * that placed.
 */
int ps_kprobes_print(const struct ps_caps *caps)
{
	struct ps_kprobes *kp;
	const struct ps_kernel_layout *l;
	int placed;
	size_t i;

	if (!caps->kprobe_events)
		return 0;
	kp = kprobes_setup(caps);
	l = &kp->layout;
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
	printf("%-20s source=%s struct_page=%d flags=%d mapcount=%d refcount=%d compound_mapcount=%d compound_pincount=%d\n",
	       "kprobe layout", l->source, l->struct_page, l->flags,
	       l->mapcount, l->refcount, l->compound_mapcount,
	       l->compound_pincount);
	printf("%-20s 0x%" PRIx64 " (%s)\n", "kprobe vmemmap_base",
	       l->vmemmap_base, l->vmemmap_source);
	printf("%-20s source=%s foll_pin=0x%x foll_get=0x%x foll_longterm=0x%x rmap_exclusive=0x%x rmap_compound=0x%x\n",
	       "kprobe constants", l->consts_source, l->foll_pin, l->foll_get,
	       l->foll_longterm, l->rmap_exclusive, l->rmap_compound);
	printf("%-20s %s\n", "kprobe pageflags",
	       l->pageflags[0] ? l->pageflags : "unknown");
	for (i = 0; i < NR_PROBES; i++) {
		char name[64];

		snprintf(name, sizeof(name), "kprobe:%s", probe_defs[i].event);
		if (kp->probe[i].status == PROBE_PLACED)
			printf("%-27s placeable (%s%s%s%s)\n", name,
			       probe_defs[i].func, probe_defs[i].ret ?
			       " return" : "",
			       kp->probe[i].without_opt ? "; without " : "",
			       kp->probe[i].without_opt ? probe_defs[i].opt :
			       "");
		else
			printf("%-27s missing why=%s (%s%s%s)\n", name,
			       status_words[kp->probe[i].status],
			       probe_defs[i].func,
			       kp->probe[i].error ? ": " : "",
			       kp->probe[i].error ? kp->probe[i].error : "");
	}
	placed = kp->nr_placed;
	kprobes_free(kp);
	return placed;
}
