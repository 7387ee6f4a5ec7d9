// SPDX-License-Identifier: GPL-2.0
/*
 * Which page events this kernel can give us, and the profile we record.
 *
 * The host profile is the tracepoints every kernel has: kmem alloc/free,
 * filemap's page cache insertion and deletion, and the THP, migration,
 * compaction, KSM and pagemap groups.  A kernel
 * with CONFIG_DEBUG_PAGE_REF adds page_ref:*, every refcount change with
 * absolute count and mapcount, which is what lets replay know a page's
 * state instead of guessing it; that profile is called "page_ref".
 * A kernel with kprobe events adds the probes of kprobes.c: "kprobe",
 * or "page_ref+kprobe" with both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pagestate/probes.h"
#include "pagestate/recording.h"
#include "record.h"

static const char *const group_names[PS_NR_GROUPS] = {
	[PS_GROUP_KMEM]		= "kmem",
	[PS_GROUP_HUGE_MEMORY]	= "huge_memory",
	[PS_GROUP_THP]		= "thp",
	[PS_GROUP_MIGRATE]	= "migrate",
	[PS_GROUP_COMPACTION]	= "compaction",
	[PS_GROUP_KSM]		= "ksm",
	[PS_GROUP_PAGEMAP]	= "pagemap",
	[PS_GROUP_PAGE_REF]	= "page_ref",
	[PS_GROUP_FILEMAP]	= "filemap",
};

/* kmem is mostly slab noise; only page allocation and freeing matter. */
static const char *const kmem_events[] = {
	"mm_page_alloc",
	"mm_page_free",
	"mm_page_free_batched",
};

/*
 * filemap's faults, map_pages and writeback errors say nothing about a
 * page's references; its insertion and deletion do: __filemap_add_folio()
 * fires the first after folio_ref_add(folio, nr) took the page cache's
 * references, __filemap_remove_folio() the second before they are put
 * (filemap_free_folio(), or reclaim's frozen refcount).  shmem/tmpfs
 * inserts through shmem_add_to_page_cache(), which has no event.
 */
static const char *const filemap_events[] = {
	"mm_filemap_add_to_page_cache",
	"mm_filemap_delete_from_page_cache",
};

/* Groups recorded in part: the events above, each if the kernel has it. */
static const struct {
	enum ps_group group;
	const char *const *events;
	size_t nr;
} partial[] = {
	{ PS_GROUP_KMEM, kmem_events, ARRAY_SIZE(kmem_events) },
	{ PS_GROUP_FILEMAP, filemap_events, ARRAY_SIZE(filemap_events) },
};

static bool group_is_partial(int g)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(partial); i++)
		if ((int)partial[i].group == g)
			return true;
	return false;
}

const char *ps_group_name(enum ps_group g)
{
	return group_names[g];
}

/* Events in a group, or -1 when the kernel does not have the group. */
static int count_events(const char *tracing_dir, const char *system)
{
	char **list = tracefs_system_events(tracing_dir, system);
	int n = 0;

	if (!list)
		return -1;
	while (list[n])
		n++;
	tracefs_list_free(list);
	return n;
}

static bool tracefs_has(const char *tracing_dir, const char *file)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", tracing_dir, file);
	return access(path, F_OK) == 0;
}

int ps_caps_probe(struct ps_caps *caps)
{
	int g;

	caps->tracing_dir = tracefs_tracing_dir();
	if (!caps->tracing_dir) {
		ps_error("cannot find tracefs; mount it: mount -t tracefs nodev %s",
			 PS_TRACEFS_PATH);
		return -1;
	}
	for (g = 0; g < PS_NR_GROUPS; g++)
		caps->group_events[g] = count_events(caps->tracing_dir,
						     group_names[g]);
	caps->kprobe_events = tracefs_has(caps->tracing_dir, "kprobe_events");
	caps->stacktrace = tracefs_has(caps->tracing_dir, "options/stacktrace");
	caps->kpageflags = access("/proc/kpagecount", R_OK) == 0 &&
			   access("/proc/kpageflags", R_OK) == 0;
	return 0;
}

const char *ps_profile_name(const struct ps_caps *caps, bool kprobes)
{
	bool page_ref = caps->group_events[PS_GROUP_PAGE_REF] > 0;

	if (kprobes)
		return page_ref ? "page_ref+kprobe" : "kprobe";
	return page_ref ? "page_ref" : "host";
}

void ps_caps_print(const struct ps_caps *caps)
{
	bool kprobes;
	int g;

	printf("%-20s %s\n", "tracefs", caps->tracing_dir);
	for (g = 0; g < PS_NR_GROUPS; g++) {
		char name[64];

		snprintf(name, sizeof(name), "events/%s", group_names[g]);
		if (caps->group_events[g] < 0)
			printf("%-20s absent\n", name);
		else
			printf("%-20s present (%d events)\n", name,
			       caps->group_events[g]);
	}
	printf("%-20s %s\n", "kprobe_events",
	       caps->kprobe_events ? "present" : "absent");
	kprobes = ps_kprobes_print(caps) > 0;
	printf("%-20s %s\n", "options/stacktrace",
	       caps->stacktrace ? "present" : "absent");
	printf("%-20s %s\n", "/proc/kpageflags",
	       caps->kpageflags ? "readable" : "not readable");
	printf("%-20s %s\n", "profile", ps_profile_name(caps, kprobes));
}

static bool event_set_has(const struct ps_event_set *set, const char *name)
{
	int i;

	for (i = 0; i < set->nr; i++)
		if (!strcmp(set->v[i], name))
			return true;
	return false;
}

void ps_event_set_add(struct ps_event_set *set, const char *system,
		      const char *event)
{
	char *name;

	if (asprintf(&name, "%s:%s", system, event) < 0)
		ps_die("out of memory");
	if (event_set_has(set, name)) {
		free(name);
		return;
	}
	if (set->nr == set->alloc) {
		set->alloc = set->alloc ? 2 * set->alloc : 32;
		set->v = ps_xrealloc(set->v, set->alloc * sizeof(*set->v));
	}
	set->v[set->nr++] = name;
}

void ps_event_set_clear(struct ps_event_set *set)
{
	int i;

	for (i = 0; i < set->nr; i++)
		free(set->v[i]);
	free(set->v);
	memset(set, 0, sizeof(*set));
}

static bool event_exists(const char *tracing_dir, const char *system,
			 const char *event)
{
	char file[1024];

	if (strchr(system, '/') || strchr(event, '/') || !*system || !*event)
		return false;
	snprintf(file, sizeof(file), "events/%s/%s/format", system, event);
	return tracefs_has(tracing_dir, file);
}

/* Adds every event of @system; -1 when the system does not exist. */
static int add_group(struct ps_event_set *set, const char *tracing_dir,
		     const char *system)
{
	char **list;
	int i;

	if (strchr(system, '/') || !*system)
		return -1;
	list = tracefs_system_events(tracing_dir, system);
	if (!list)
		return -1;
	for (i = 0; list[i]; i++)
		ps_event_set_add(set, system, list[i]);
	tracefs_list_free(list);
	return 0;
}

/* -e SYSTEM:EVENT, SYSTEM:* or SYSTEM. */
static int add_user_event(struct ps_event_set *set, const char *tracing_dir,
			  const char *spec)
{
	char *system = ps_xstrdup(spec);
	char *event = strchr(system, ':');
	int ret = 0;

	if (event)
		*event++ = '\0';
	if (!event || !strcmp(event, "*")) {
		if (add_group(set, tracing_dir, system))
			ret = -1;
	} else if (event_exists(tracing_dir, system, event)) {
		ps_event_set_add(set, system, event);
	} else {
		ret = -1;
	}
	if (ret)
		ps_error("event '%s' does not exist in this kernel (see %s/events/ or 'pagestate record --list-capabilities')",
			 spec, tracing_dir);
	free(system);
	return ret;
}

int ps_profile_build(struct ps_recorder *rec, const struct ps_strlist *extra)
{
	const char *dir = rec->caps.tracing_dir;
	size_t i;
	int g;

	rec->profile = ps_profile_name(&rec->caps, false);
	for (i = 0; i < ARRAY_SIZE(partial); i++) {
		const char *sys = group_names[partial[i].group];
		size_t k;

		for (k = 0; k < partial[i].nr; k++)
			if (event_exists(dir, sys, partial[i].events[k]))
				ps_event_set_add(&rec->events, sys,
						 partial[i].events[k]);
	}
	for (g = 0; g < PS_NR_GROUPS; g++)
		if (!group_is_partial(g) && rec->caps.group_events[g] > 0)
			add_group(&rec->events, dir, group_names[g]);
	for (i = 0; i < (size_t)extra->nr; i++)
		if (add_user_event(&rec->events, dir, extra->v[i]))
			return -1;
	if (!rec->events.nr) {
		ps_error("this kernel has none of the page events pagestate records (kmem:mm_page_alloc, huge_memory, migrate, ...); see 'pagestate record --list-capabilities'");
		return -1;
	}
	return 0;
}

static int write_instance_file(struct ps_recorder *rec, const char *file,
			       const char *val)
{
	if (tracefs_instance_file_write(rec->instance, file, val) < 0) {
		ps_error("cannot write '%s' to %s/%s: %s", val,
			 rec->instance_dir, file, strerror(errno));
		return -1;
	}
	return 0;
}

int ps_profile_enable(struct ps_recorder *rec)
{
	char file[1024];
	int i;

	for (i = 0; i < rec->events.nr; i++) {
		char *name = ps_xstrdup(rec->events.v[i]);
		char *colon = strchr(name, ':');

		*colon = '\0';
		/* kprobes.c enables ours after the layout marker */
		if (rec->kprobes && !strcmp(name, PS_PROBE_GROUP)) {
			free(name);
			continue;
		}
		snprintf(file, sizeof(file), "events/%s/%s/enable", name,
			 colon + 1);
		free(name);
		if (write_instance_file(rec, file, "1"))
			return -1;
	}
	if (rec->stack && write_instance_file(rec, "options/stacktrace", "1"))
		return -1;
	/* --stack-on: record.c, once the reader threads run (stacks.c) */
	return 0;
}

/* The cap, event and missing lines of recording.h, after "begin". */
void ps_profile_mark(struct ps_recorder *rec)
{
	const struct ps_caps *caps = &rec->caps;
	char line[PS_MARK_MAX];
	size_t i;
	int n = 0, g;

	for (g = 0; g < PS_NR_GROUPS; g++)
		n += snprintf(line + n, sizeof(line) - n, " %s=%d",
			      group_names[g], caps->group_events[g] > 0);
	ps_mark(rec, "cap%s kprobe_events=%d stacktrace=%d kpageflags=%d",
		line, caps->kprobe_events, caps->stacktrace, caps->kpageflags);

	for (i = 0; i < (size_t)rec->events.nr; i++)
		ps_mark(rec, "event %s", rec->events.v[i]);
	ps_stacks_mark(rec);

	for (i = 0; i < ARRAY_SIZE(partial); i++) {
		size_t k;

		for (k = 0; k < partial[i].nr; k++) {
			snprintf(line, sizeof(line), "%s:%s",
				 group_names[partial[i].group],
				 partial[i].events[k]);
			if (!event_set_has(&rec->events, line))
				ps_mark(rec, "missing %s why=absent", line);
		}
	}
	for (g = 0; g < PS_NR_GROUPS; g++)
		if (!group_is_partial(g) && caps->group_events[g] <= 0)
			ps_mark(rec, "missing %s why=absent", group_names[g]);
	ps_kprobes_mark(rec);
	if (!rec->caps.kpageflags || !rec->snap_exit)
		ps_mark(rec, "missing snapshots why=%s",
			rec->caps.kpageflags ? "disabled" : "absent");
}
