// SPDX-License-Identifier: GPL-2.0
/*
 * The reader: opens a trace.dat through libtracecmd, binds adapters to
 * the events the file defines, and streams records in time order.
 *
 * Per record the hot path is: event id -> adapter (array index), fields
 * read at offsets looked up at open, ops handed to the consumer.  No
 * allocation, no string formatting, no lookup by name.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#include <trace-cmd/trace-cmd.h>
#include <traceevent/event-parse.h>

#include "pagestate/folio.h"
#include "pagestate/probes.h"
#include "pagestate/progress.h"
#include "pagestate/recording.h"
#include "adapter.h"
#include "text.h"

/* From trace-cmd's private header; exported by libtracecmd 3.1. */
const char *tracecmd_get_cpustats(struct tracecmd_input *handle);
const char *tracecmd_get_uname(struct tracecmd_input *handle);
const char *tracecmd_get_version(struct tracecmd_input *handle);
int tracecmd_cpus(struct tracecmd_input *handle);
int tracecmd_page_size(struct tracecmd_input *handle);


#define PS_TRACE_SLOTS	1024	/* CPUs of all buffers, as the iterators count */

struct ps_trace {
	char *path;
	struct tracecmd_input *handle;
	/* handle, then one per buffer instance (trace-cmd record -B) */
	struct tracecmd_input **handles;
	int nr_handles;
	bool instance_fault;	/* libtracecmd faulted opening one */
	struct tep_handle *tep;
	struct ps_text *text;	/* ftrace text instead (replay/text.c) */

	/* indexed by event id; NULL for events without an adapter */
	struct ps_event_adapter **by_id;
	u64 *count_by_id;
	int nr_ids;
	struct ps_event_adapter *adapters;
	int nr_adapters;
	u32 tracks;

	/*
	 * common_type and common_pid, read in place when the file has the
	 * host's byte order (nearly always): tep_data_type() and
	 * tep_data_pid() cost a library call and a byte-order check each,
	 * per record.  NULL: use those.
	 */
	struct tep_format_field *common_type;
	struct tep_format_field *common_pid;
	bool native;

	ps_op_fn fn;
	void *fn_data;
	int stop;

	/* entry/return probe pairs in flight, by pid (0: free) */
	struct { int pid; u64 value; } pending[64];
	struct ps_fork_slot forks[16];
	/* unpins waiting to see whether gup_put_folio follows (probes.h) */
	struct {
		struct ps_op op;
		int caller;
		bool early;	/* emitted before its answer came */
	} unpins[16];
	int nr_unpins;
	int skip_put_pid;	/* this task's next gup_put_folio was
				 * counted with its early unpin */
	int unpin_mode[PS_UNPIN_CALLERS];	/* PS_UNPIN_*, per caller */

	u64 nr_records;
	u64 missed;
	u64 missed_unknown;
	/*
	 * CPUSTAT's "read events:", what the ring buffer handed out to the
	 * recorder, per CPU (one buffer) and in all; records per CPU.  A
	 * file with fewer was written with holes (record/buffers.c).
	 */
	u64 *cpu_read;
	u64 *cpu_records;
	u64 read_total;
	bool have_read_events;
	u64 unwritten;
	u64 last_ts;		/* of the latest record */
	u64 last_offset;
	int page_size;		/* of the ring buffer; 0 for text */
	bool corrupt;		/* an event ran off its page, or back */
	/* per iterator slot: the offset of its last record */
	u64 slot_offset[PS_TRACE_SLOTS];
	/* per cpu: did its last record make an op (for its stack) */
	bool made_op[PS_TRACE_SLOTS];
	u64 nr_emitted;
	struct ps_progress progress;
	struct ps_meta meta;
};

/* trace.dat starts with "\027\010\104tracing" */
static const char trace_magic[] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c',
				    'i', 'n', 'g' };

/* The NUL-terminated string at the fd's offset, at most size - 1 long. */
static int read_cstring(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n < size && read(fd, buf + n, 1) == 1)
		if (!buf[n++])
			return 0;
	return -1;
}

/* A CPU number no machine has: Linux's NR_CPUS is at most 8192. */
#define PS_TRACE_MAX_CPUS	8192
#define OPTION_DONE		0	/* trace-cmd's option ids */
#define OPTION_BUFFER		3

static u64 file_number(const unsigned char *p, int n, bool big)
{
	u64 v = 0;
	int i;

	for (i = 0; i < n; i++)
		v |= (u64)p[big ? n - 1 - i : i] << (8 * i);
	return v;
}

/* A BUFFER option's data: is every CPU it names one a machine has? */
static int check_buffer_option(const unsigned char *d, u64 size, bool big,
			       const char *path, u64 pos)
{
	u64 at = 8, cpus, i;
	int s;

	for (s = 0; s < 2; s++) {	/* name, clock */
		const void *nul = at < size ? memchr(d + at, 0, size - at) :
					      NULL;

		if (!nul)
			return 0;	/* libtracecmd refuses it */
		at = (const unsigned char *)nul - d + 1;
	}
	if (at + 8 > size)
		return 0;
	cpus = file_number(d + at + 4, 4, big);
	at += 8;
	for (i = 0; i < cpus && at + 20 <= size; i++, at += 20) {
		u64 cpu = file_number(d + at, 4, big);

		if (cpu >= PS_TRACE_MAX_CPUS)
			return ps_error("%s: trace.dat headers corrupt: a "
					"buffer's data for CPU %llu (option at "
					"offset %llu; no machine has more than "
					"%d CPUs)", path,
					(unsigned long long)cpu,
					(unsigned long long)pos,
					PS_TRACE_MAX_CPUS);
	}
	return 0;
}

/*
 * The BUFFER options of a version 7 file, read before libtracecmd reads
 * them: it allocates and touches per-CPU data (~300 bytes) up to the
 * highest CPU number a buffer names, and a corrupt one of 33554433 took
 * 10 GB and two minutes for a 98 KB file (fuzz-kbuf).  Option sections
 * chain through each one's DONE option; a compressed one, or anything
 * that does not parse, is left to libtracecmd to refuse.
 */
static int check_buffer_cpus(int fd, const char *path, bool big, u64 off)
{
	unsigned char h[16], *d;
	int sections, opts;

	for (sections = 0; off && sections < 64; sections++) {
		u64 pos = off + 16;

		off = 0;
		if (pread(fd, h, 16, pos - 16) != 16 ||
		    file_number(h, 2, big) != OPTION_DONE ||
		    (file_number(h + 2, 2, big) & 1))
			return 0;
		for (opts = 0; opts < 4096; opts++) {
			u64 id, size;

			if (pread(fd, h, 6, pos) != 6)
				return 0;
			id = file_number(h, 2, big);
			size = file_number(h + 2, 4, big);
			pos += 6;
			if (id == OPTION_DONE) {
				if (size >= 8 && pread(fd, h, 8, pos) == 8)
					off = file_number(h, 8, big);
				break;
			}
			if (id == OPTION_BUFFER && size <= (1u << 24)) {
				int ret;

				d = ps_xmalloc(size ? size : 1);
				if (pread(fd, d, size, pos) != (ssize_t)size) {
					free(d);
					return 0;
				}
				ret = check_buffer_option(d, size, big, path,
							  pos - 6);
				free(d);
				if (ret)
					return ret;
			}
			pos += size;
		}
	}
	return 0;
}

/*
 * What tracecmd_alloc_fd() reads before anything else, read here first:
 * libtracecmd 3.1.6 frees the compression strings of a version 7 file
 * and frees them again when the file ends before the 8-byte offset of
 * the first option section (a double free: glibc aborts; found by
 * tests/fuzz).  Magic and "tracing" are checked by the caller.
 */
static int check_initial_header(int fd, const char *path)
{
	char version[16], zname[64], zver[64], b[8];
	unsigned long ver;
	int endian;

	if (read_cstring(fd, version, sizeof(version)))
		return ps_error("%s: truncated trace.dat header (the file "
				"version at offset 10)", path);
	ver = strtoul(version, NULL, 10);
	/* endian, long size, page size */
	if (read(fd, b, 6) != 6)
		return ps_error("%s: truncated trace.dat header (endianness "
				"and page size after the version)", path);
	endian = b[0];
	if (ver < 7)
		return 0;
	if (read_cstring(fd, zname, sizeof(zname)) ||
	    read_cstring(fd, zver, sizeof(zver)))
		return ps_error("%s: truncated or corrupt trace.dat header "
				"(the compression name and version of a "
				"version %lu file)", path, ver);
	if (read(fd, b, 8) != 8)
		return ps_error("%s: truncated trace.dat header (the offset "
				"of the first option section)", path);
	return check_buffer_cpus(fd, path, endian == 1,
				 file_number((unsigned char *)b, 8,
					     endian == 1));
}

static int check_file(const char *path)
{
	char buf[sizeof(trace_magic)];
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return ps_error("%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		ps_error("%s: is a directory, not a trace.dat file", path);
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	if (n != (ssize_t)sizeof(buf) || memcmp(buf, trace_magic, sizeof(buf))) {
		close(fd);
		return ps_error("%s: not a trace.dat file (bad magic at "
				"offset 0); record one with 'pagestate "
				"record' or 'trace-cmd record'", path);
	}
	n = check_initial_header(fd, path);
	close(fd);
	return n;
}

static u64 sum_stat(const char *stats, const char *key)
{
	const char *p = stats;
	size_t klen = strlen(key);
	u64 sum = 0;

	while ((p = strstr(p, key))) {
		p += klen;
		sum += strtoull(p, NULL, 10);
	}
	return sum;
}

/*
 * "read events:" of each "CPU: N" block (trace-cmd's CPUSTAT layout),
 * per CPU for the first buffer, in all for every buffer.
 */
static void read_read_events(struct ps_trace *t, const char *s, bool first)
{
	const char *p;
	long cpu = -1;

	for (p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		u64 n;

		if (!strncmp(p, "CPU: ", 5)) {
			cpu = strtol(p + 5, NULL, 10);
			continue;
		}
		if (strncmp(p, "read events: ", 13))
			continue;
		n = strtoull(p + 13, NULL, 10);
		t->have_read_events = true;
		t->read_total += n;
		if (first && cpu >= 0 && cpu < PS_TRACE_SLOTS)
			t->cpu_read[cpu] += n;
	}
}

static void read_cpustats(struct ps_trace *t, struct tracecmd_input *h)
{
	const char *s = tracecmd_get_cpustats(h);

	if (!s)
		return;
	t->meta.have_cpustats = true;
	t->meta.overrun += sum_stat(s, "overrun:");
	t->meta.dropped += sum_stat(s, "dropped events:");
	if (!t->cpu_read) {
		t->cpu_read = ps_xcalloc(PS_TRACE_SLOTS, sizeof(u64));
		t->cpu_records = ps_xcalloc(PS_TRACE_SLOTS, sizeof(u64));
	}
	read_read_events(t, s, h == t->handle);
}

/*
 * trace-cmd record -B puts the data in a buffer instance and leaves the
 * top level empty; pagestate record writes the top level.  Read them all,
 * merged by timestamp.
 */
static struct tracecmd_input *instance_guarded(struct ps_trace *t, int i);

static void open_instances(struct ps_trace *t)
{
	int i, n = tracecmd_buffer_instances(t->handle);

	t->handles = ps_xcalloc(n + 1, sizeof(*t->handles));
	t->handles[t->nr_handles++] = t->handle;
	read_cpustats(t, t->handle);
	for (i = 0; i < n && !t->instance_fault; i++) {
		struct tracecmd_input *h = instance_guarded(t, i);

		if (!h)
			continue;
		t->handles[t->nr_handles++] = h;
		read_cpustats(t, h);
	}
}

static void read_options(struct ps_trace *t)
{
	const char *s;

	s = tracecmd_get_uname(t->handle);
	if (s) {
		/* "Linux host 6.1.0 #1 SMP ..." : the release is word 3 */
		char a[64], b[128], rel[128];

		if (sscanf(s, "%63s %127s %127s", a, b, rel) == 3)
			snprintf(t->meta.kernel, sizeof(t->meta.kernel), "%s",
				 rel);
	}
	s = tracecmd_get_version(t->handle);
	if (s && !strncmp(s, "pagestate ", 10) && strstr(s, PS_PARTIAL_KEY))
		snprintf(t->meta.partial, sizeof(t->meta.partial), "%s",
			 strstr(s, PS_PARTIAL_KEY));
	t->meta.nr_cpus = tracecmd_cpus(t->handle);
	open_instances(t);
}

static void bind_table(struct ps_trace *t, const struct ps_adapter *table)
{
	const struct ps_adapter *a;
	int i;

	for (a = table; a->name; a++) {
		struct tep_event *ev = tep_find_event_by_name(t->tep,
							      a->system,
							      a->name);
		struct ps_event_adapter *ea;

		if (!ev || ev->id < 0 || ev->id >= t->nr_ids ||
		    t->by_id[ev->id] ||
		    (a->requires && !tep_find_field(ev, a->requires)))
			continue;
		ea = &t->adapters[t->nr_adapters++];
		ea->a = a;
		ea->event = ev;
		for (i = 0; i < PS_ADAPTER_FIELDS && a->fields[i]; i++)
			ea->f[i] = tep_find_field(ev, a->fields[i]);
		ps_adapter_decode_flags(ea, "flags");
		t->by_id[ev->id] = ea;
		t->tracks |= a->tracks;
	}
}

static bool has_probe(struct ps_trace *t, const char *name)
{
	return ps_trace_has_event(t, PS_PROBE_GROUP, name);
}

static bool rmap_complete(struct ps_trace *t)
{
	if (has_probe(t, PS_PROBE_FOLIO_ADD_ANON_PTES))
		return has_probe(t, PS_PROBE_FOLIO_ADD_NEW_ANON) &&
		       has_probe(t, PS_PROBE_FOLIO_ADD_ANON_PMD) &&
		       has_probe(t, PS_PROBE_FOLIO_REMOVE_PTES) &&
		       has_probe(t, PS_PROBE_FOLIO_REMOVE_PMD);
	return has_probe(t, PS_PROBE_RMAP_ADD_ANON) &&
	       has_probe(t, PS_PROBE_RMAP_ADD_NEW_ANON) &&
	       has_probe(t, PS_PROBE_RMAP_REMOVE);
}

/*
 * Pins: 6.1 grabs through try_grab_folio and try_grab_page; 6.12+
 * through try_grab_folio(folio, ...) and try_grab_folio_fast, with
 * every unpin ending in gup_put_folio.
 */
static bool gup_complete(struct ps_trace *t)
{
	bool put = has_probe(t, PS_PROBE_GUP_PUT_FOLIO) ||
		   has_probe(t, PS_PROBE_UNPIN_USER_PAGE);

	if (has_probe(t, PS_PROBE_GUP_GRAB_FOLIO_FAST))
		return has_probe(t, PS_PROBE_GUP_GRAB_FOLIO) &&
		       (has_probe(t, PS_PROBE_GUP_PUT_FOLIO) ||
			(has_probe(t, PS_PROBE_UNPIN_USER_PAGE) &&
			 has_probe(t, PS_PROBE_UNPIN_USER_FOLIO)));
	return has_probe(t, PS_PROBE_GUP_GRAB_FOLIO) &&
	       has_probe(t, PS_PROBE_GUP_GRAB_PAGE) && put;
}

static void bind_adapters(struct ps_trace *t)
{
	const struct ps_adapter *a;
	int n = 0, i;
	struct tep_event **events = tep_list_events(t->tep, TEP_EVENT_SORT_ID);

	for (i = 0; events && events[i]; i++)
		if (events[i]->id >= t->nr_ids)
			t->nr_ids = events[i]->id + 1;
	t->by_id = ps_xcalloc(t->nr_ids, sizeof(*t->by_id));
	t->count_by_id = ps_xcalloc(t->nr_ids, sizeof(*t->count_by_id));
	for (a = ps_adapters; a->name; a++)
		n++;
	for (a = ps_kprobe_adapters; a->name; a++)
		n++;
	t->adapters = ps_xcalloc(n, sizeof(*t->adapters));
	bind_table(t, ps_adapters);
	bind_table(t, ps_kprobe_adapters);

	/*
	 * A count is tracked only when every path that changes it is
	 * recorded: one missing rmap probe (inlined on this kernel, say)
	 * and derived mapcounts would drift.  6.1's page rmap API or the
	 * folio rmap API of 6.8+ (probes.h).
	 */
	if (!rmap_complete(t))
		t->tracks &= ~PS_KNOWN_MAPCOUNT;
	if (!gup_complete(t))
		t->tracks &= ~PS_KNOWN_PINCOUNT;
}

bool ps_trace_folio_counts(struct ps_trace *t)
{
	struct tep_event *ev = tep_find_event_by_name(t->tep, PS_PROBE_GROUP,
						      PS_PROBE_FOLIO_REMOVE_PTES);

	return ev && tep_find_field(ev, "large_mapcount") &&
	       tep_find_field(ev, "entire_mapcount") &&
	       tep_find_field(ev, "nr_pages_mapped");
}

bool ps_trace_folio_mm_ids(struct ps_trace *t)
{
	struct tep_event *ev = tep_find_event_by_name(t->tep, PS_PROBE_GROUP,
						      PS_PROBE_FOLIO_REMOVE_PTES);

	return ev && tep_find_field(ev, "mm_id_mapcount0");
}

bool ps_trace_has_event(struct ps_trace *t, const char *system,
			const char *name)
{
	return tep_find_event_by_name(t->tep, system, name) != NULL;
}

void ps_trace_pending_set(struct ps_trace *t, int pid, u64 value)
{
	size_t i, free_slot = ARRAY_SIZE(t->pending);

	for (i = 0; i < ARRAY_SIZE(t->pending); i++) {
		if (t->pending[i].pid == pid)
			break;
		if (!t->pending[i].pid && free_slot == ARRAY_SIZE(t->pending))
			free_slot = i;
	}
	if (i == ARRAY_SIZE(t->pending))
		i = free_slot < ARRAY_SIZE(t->pending) ? free_slot :
		    (size_t)pid % ARRAY_SIZE(t->pending);
	t->pending[i].pid = pid;
	t->pending[i].value = value;
}

struct ps_fork_slot *ps_trace_fork_slot(struct ps_trace *t, int pid,
					bool create)
{
	size_t i, n = ARRAY_SIZE(t->forks);
	struct ps_fork_slot *free_slot = NULL;

	for (i = 0; i < n; i++) {
		if (t->forks[i].pid == pid)
			return &t->forks[i];
		if (!t->forks[i].pid && !free_slot)
			free_slot = &t->forks[i];
	}
	if (!create)
		return NULL;
	if (!free_slot)
		free_slot = &t->forks[(size_t)pid % n];
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->pid = pid;
	return free_slot;
}

u64 ps_trace_pending_take(struct ps_trace *t, int pid)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t->pending); i++)
		if (t->pending[i].pid == pid) {
			t->pending[i].pid = 0;
			return t->pending[i].value;
		}
	return PS_PFN_NONE;
}

/*
 * The common fields sit at the same place in every event: look them up
 * once.  In place reads need the file's byte order to be ours.
 */
static void bind_common_fields(struct ps_trace *t)
{
	struct tep_event **events = tep_list_events(t->tep, TEP_EVENT_SORT_ID);

	t->native = tep_is_file_bigendian(t->tep) ==
		    tep_is_local_bigendian(t->tep);
	if (!t->native || !events || !events[0])
		return;
	t->common_type = tep_find_common_field(events[0], "common_type");
	t->common_pid = tep_find_common_field(events[0], "common_pid");
}

/*
 * Reads a field of a record the reader handed us: the bytes are the
 * reader's (libtracecmd's mapping of the file, or kbuf's page), checked
 * against the record's size but not against where the reader put them.
 * A corrupt page can give libtracecmd a record past its mapping: the
 * read faults, and the replay's guard makes that exit 2.  ASan, which
 * knows nothing of that memory, would stop on it first ("unknown-crash",
 * 1 run in 77 of regress/kbuf/record-shorter-than-header): not for it.
 */
__attribute__((no_sanitize("address")))
static inline u64 read_number(struct ps_trace *t, const void *ptr, int size)
{
	if (!t->native)
		return tep_read_number(t->tep, ptr, size);
	switch (size) {
	case 1:
		return *(const uint8_t *)ptr;
	case 2: {
		uint16_t v;

		memcpy(&v, ptr, 2);
		return v;
	}
	case 4: {
		u32 v;

		memcpy(&v, ptr, 4);
		return v;
	}
	case 8: {
		u64 v;

		memcpy(&v, ptr, 8);
		return v;
	}
	}
	return tep_read_number(t->tep, ptr, size);
}

/* ftrace text: the same adapters over records rebuilt from the lines */
static struct ps_trace *open_text(const char *path)
{
	struct ps_trace *t = ps_xcalloc(1, sizeof(*t));

	t->path = ps_xstrdup(path);
	t->text = ps_text_open(path, &t->tep, &t->meta.nr_cpus);
	if (!t->text) {
		free(t->path);
		free(t);
		return NULL;
	}
	bind_common_fields(t);
	bind_adapters(t);
	return t;
}

static struct tracecmd_input *open_guarded(const char *path, int *cpus);

struct ps_trace *ps_trace_open(const char *path)
{
	struct tracecmd_input *handle;
	int cpus = 0;
	struct ps_trace *t;

	if (ps_text_detect(path))
		return open_text(path);
	if (check_file(path))
		return NULL;
	tracecmd_set_loglevel(TEP_LOG_CRITICAL);
	handle = open_guarded(path, &cpus);
	if (!handle && cpus)
		return ps_error("%s: trace.dat headers corrupt: %d CPUs "
				"(no machine has more than %d)", path, cpus,
				PS_TRACE_MAX_CPUS), NULL;
	if (!handle)
		return ps_error("%s: cannot read trace.dat headers (truncated "
				"or corrupt file, or a version this libtracecmd "
				"does not know)", path), NULL;
	t = ps_xcalloc(1, sizeof(*t));
	t->path = ps_xstrdup(path);
	t->handle = handle;
	t->page_size = tracecmd_page_size(handle);
	if (t->page_size & (t->page_size - 1))
		t->page_size = 0;
	t->tep = tracecmd_get_tep(t->handle);
	read_options(t);
	if (t->instance_fault) {
		/*
		 * libtracecmd's handles are left as they are: closing them
		 * after its fault could fault again.  Said: the handler.
		 */
		free(t->handles);
		free(t->cpu_read);
		free(t->cpu_records);
		free(t->path);
		free(t);
		return NULL;
	}
	bind_common_fields(t);
	bind_adapters(t);
	return t;
}

void ps_trace_close(struct ps_trace *t)
{
	int i;

	if (!t)
		return;
	for (i = 0; i < t->nr_adapters; i++)
		free(t->adapters[i].flags);
	free(t->adapters);
	free(t->by_id);
	free(t->count_by_id);
	for (i = 1; i < t->nr_handles; i++)
		tracecmd_close(t->handles[i]);
	free(t->handles);
	free(t->cpu_read);
	free(t->cpu_records);
	if (t->handle)
		tracecmd_close(t->handle);
	ps_text_close(t->text);
	free(t->path);
	free(t);
}

s64 ps_field(struct ps_trace *t, struct ps_event_adapter *ea,
	     struct tep_record *rec, int i)
{
	struct tep_format_field *f = ea->f[i];
	u64 v;

	if (!f || f->offset < 0 || f->offset + f->size > rec->size)
		return 0;
	v = read_number(t, (char *)rec->data + f->offset, f->size);
	if ((f->flags & TEP_FIELD_IS_SIGNED) && f->size < 8) {
		int shift = 64 - 8 * f->size;

		return (s64)(v << shift) >> shift;
	}
	return (s64)v;
}

static void emit(struct ps_trace *t, const struct ps_op *op)
{
	t->nr_emitted++;
	if (!t->stop && t->fn(t->fn_data, op))
		t->stop = 1;
}

/*
 * Another task's op on the 2 MiB region of a held unpin: the unpin
 * happened before it (the kernel already shows the pin gone), so it
 * goes first; whether its gup_put_folio comes is settled later.
 */
static void unpins_before(struct ps_trace *t, const struct ps_op *op)
{
	int i;

	for (i = 0; i < t->nr_unpins; i++) {
		struct ps_op *u = &t->unpins[i].op;

		if (t->unpins[i].early || u->pid == op->pid ||
		    (u->pfn >> 9) != (op->pfn >> 9))
			continue;
		t->unpins[i].early = true;
		emit(t, u);
	}
}

void ps_emit(struct ps_trace *t, const struct ps_op *op)
{
	if (t->nr_unpins && op->pfn != PS_PFN_NONE && op->kind != PS_OP_UNPIN)
		unpins_before(t, op);
	emit(t, op);
}

struct ps_meta *ps_trace_meta_mut(struct ps_trace *t)
{
	return &t->meta;
}

static void unpins_flush(struct ps_trace *t, const struct ps_op *op,
			 const char *event);

bool ps_trace_prev_made_op(const struct ps_trace *t, int cpu)
{
	return cpu < 0 || cpu >= PS_TRACE_SLOTS || t->made_op[cpu];
}

bool ps_trace_stack_on(const struct ps_trace *t, int event_id)
{
	int i;

	switch (t->meta.stack_mode) {
	case PS_STACKS_OFF:
		return false;
	case PS_STACKS_SOME:
		for (i = 0; i < t->meta.nr_stack_on; i++)
			if (t->meta.stack_on[i] == event_id)
				return true;
		return false;
	default:
		return true;
	}
}

bool ps_trace_recorder_pid(const struct ps_trace *t, int pid)
{
	int i;

	for (i = 0; pid > 0 && i < t->meta.nr_recorder_pids; i++)
		if (t->meta.recorder_pids[i] == pid)
			return true;
	return false;
}

static int adapt_record(struct ps_trace *t, struct tep_record *rec);

static int replay_record(struct tracecmd_input *handle,
			 struct tep_record *rec, int cpu, void *data)
{
	struct ps_trace *t = data;
	u64 before;
	int ret;

	/*
	 * libtracecmd takes an event's length from the page as it is: one
	 * running off its page would have the adapters read past it.
	 */
	if (t->page_size && (rec->size > rec->record_size ||
	    (rec->offset & (t->page_size - 1)) + rec->record_size >
	    (u64)t->page_size)) {
		t->corrupt = true;
		return 1;
	}
	/*
	 * ...and a corrupt length can send it back over events it read:
	 * a CPU's records only ever move forward in the file.
	 */
	if (t->page_size && cpu >= 0 && cpu < PS_TRACE_SLOTS) {
		if (rec->offset <= t->slot_offset[cpu]) {
			t->corrupt = true;
			return 1;
		}
		t->slot_offset[cpu] = rec->offset;
	}
	before = t->nr_emitted;
	ret = adapt_record(t, rec);
	if (rec->cpu >= 0 && rec->cpu < PS_TRACE_SLOTS)
		t->made_op[rec->cpu] = t->nr_emitted != before;
	return ret;
}

static int adapt_record(struct ps_trace *t, struct tep_record *rec)
{
	struct ps_event_adapter *ea;
	struct ps_op op;
	int id;

	t->nr_records++;
	if (t->cpu_records && rec->cpu >= 0 && rec->cpu < PS_TRACE_SLOTS)
		t->cpu_records[rec->cpu]++;
	if (rec->ts > t->last_ts)
		t->last_ts = rec->ts;
	t->last_offset = rec->offset;
	ps_progress_note(&t->progress, t->nr_records, rec->cpu, rec->offset);
	if (rec->missed_events) {
		memset(&op, 0, sizeof(op));
		op.kind = PS_OP_LOST;
		op.ts = rec->ts;
		op.cpu = rec->cpu;
		op.pfn = PS_PFN_NONE;
		op.event_id = -1;
		if (rec->missed_events > 0) {
			op.val = rec->missed_events;
			t->missed += rec->missed_events;
		} else {
			t->missed_unknown++;
		}
		ps_emit(t, &op);
	}
	/*
	 * Every event starts with its common fields: a shorter record is
	 * corrupt, and reading its type would run past it (fuzz-kbuf,
	 * libtracecmd's iteration of a corrupt page).
	 */
	if (t->common_type && rec->size < t->common_type->offset +
					  t->common_type->size) {
		t->corrupt = true;
		return 1;
	}
	if (t->common_type)
		id = (int)read_number(t, (char *)rec->data +
				      t->common_type->offset,
				      t->common_type->size);
	else
		id = tep_data_type(t->tep, rec);
	if (id < 0 || id >= t->nr_ids)
		return t->stop;
	t->count_by_id[id]++;
	ea = t->by_id[id];
	if (!ea)
		return t->stop;
	ea->count++;
	memset(&op, 0, sizeof(op));
	op.ts = rec->ts;
	op.offset = rec->offset;
	op.cpu = rec->cpu;
	if (t->common_pid)
		op.pid = (int)read_number(t, (char *)rec->data +
					  t->common_pid->offset,
					  t->common_pid->size);
	else
		op.pid = tep_data_pid(t->tep, rec);
	op.event_id = id;
	op.pfn = PS_PFN_NONE;
	if (t->nr_unpins)
		unpins_flush(t, &op, ea->a->name);
	ea->a->fn(t, ea, rec, &op);
	return t->stop;
}

/*
 * libtraceevent's kbuffer trusts the ring-buffer page headers it reads
 * (commit sizes, time-extend lengths), and libtracecmd maps the data:
 * a corrupt page can walk off the end of the mapping, a file truncated
 * under us raises SIGBUS, and libtraceevent divides by a number an event
 * format gave it while parsing the headers (SIGFPE on a 0, found by
 * tests/fuzz).  None is ours to fix, but none may crash pagestate: turn
 * them into the same "corrupt file" error, exit 2.
 */
static const struct ps_trace *replaying;
static const char *opening;	/* libtracecmd is reading its headers */
static void fault_handler_set(bool on);
static void stall_watch(bool on);
/*
 * false in the fuzz harnesses (tests/fuzz), which must see a fault in
 * pagestate's own code; one in libtraceevent/libtracecmd is still
 * caught there, as it is not ours to fix.
 */
bool ps_trace_fault_guard = true;
sigjmp_buf *ps_trace_fault_jmp;
static struct sigaction old_segv, old_bus, old_fpe;

/*
 * Did the fault happen in code of the executable itself (not a
 * library)?  Under a sanitizer the executable also exports the libc
 * functions it intercepts, so that the libraries' calls reach them: a
 * fault inside one of those (libtraceevent's strcmp() of a NULL name,
 * found by fuzz-kbuf) is the library's, and *intercepted says so.  Not
 * the allocator's (malloc, free, ...): a fault there means the heap was
 * written over, and its lock may be held.
 */
static bool fault_in_self(const void *uc, bool *intercepted)
{
	*intercepted = false;
#if defined(__x86_64__) && defined(REG_RIP)
	const ucontext_t *u = uc;
	char *pc = (char *)u->uc_mcontext.gregs[REG_RIP];
	const ElfW(Sym) *sym = NULL;
	Dl_info self, at;

	if (!dladdr((void *)fault_in_self, &self) ||
	    !dladdr1(pc, &at, (void **)&sym, RTLD_DL_SYMENT))
		return true;
	if (self.dli_fbase != at.dli_fbase)
		return false;
	*intercepted = sym && at.dli_sname && at.dli_saddr &&
		       pc < (char *)at.dli_saddr + sym->st_size &&
		       !strstr(at.dli_sname, "alloc") &&
		       !strstr(at.dli_sname, "free");
	return true;
#else
	return true;
#endif
}

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	const char *what = sig == SIGBUS ? "SIGBUS" :
			   sig == SIGFPE ? "SIGFPE" : "SIGSEGV";
	char msg[512];
	bool intercepted;
	int n;

	/*
	 * Ours: the handler from before (ASan's) gets it again.  While
	 * libtracecmd opens the file none of our code runs, so a fault in
	 * the executable is in the sanitizer runtime the library called:
	 * in an intercepted libc function it is the library's own (caught,
	 * as pagestate catches it); anywhere else (the allocator, on a heap
	 * the library wrote over) jumping back would leave the allocator's
	 * lock held and the next malloc waiting for ever (fuzz-kbuf
	 * deadlocked so), so that one is reported, not caught.
	 */
	if (!ps_trace_fault_guard && fault_in_self(uc, &intercepted) &&
	    !(opening && intercepted)) {
		fault_handler_set(false);
		return;
	}
	if (opening)
		n = snprintf(msg, sizeof(msg),
			     "pagestate: error: %s: trace.dat headers corrupt "
			     "(libtracecmd hit %s parsing them, before the "
			     "event data)\n", opening, what);
	else
		n = snprintf(msg, sizeof(msg),
			     "pagestate: error: %s: event data corrupt or truncated "
			     "after offset %llu (%llu records read; the reader hit %s)\n",
			     replaying ? replaying->path : "?",
			     replaying ? (unsigned long long)replaying->last_offset : 0,
			     replaying ? (unsigned long long)replaying->nr_records : 0,
			     what);
	if (n > 0 && write(STDERR_FILENO, msg, n) < 0)
		n = 0;
	if (ps_trace_fault_jmp) {
		/* as the guarded code would have on its way out */
		fault_handler_set(false);
		stall_watch(false);
		opening = NULL;
		replaying = NULL;
		siglongjmp(*ps_trace_fault_jmp, sig);
	}
	_exit(PS_EXIT_USAGE);
}

/* Our handler while on; the one from before (ASan's, say) once off. */
static void fault_handler_set(bool on)
{
	static stack_t alt;
	struct sigaction sa = { .sa_sigaction = fault_handler,
				.sa_flags = SA_SIGINFO | SA_ONSTACK |
					    SA_NODEFER };

	if (!on) {
		sigaction(SIGSEGV, &old_segv, NULL);
		sigaction(SIGBUS, &old_bus, NULL);
		sigaction(SIGFPE, &old_fpe, NULL);
		return;
	}
	if (!alt.ss_sp) {
		alt.ss_size = 64 * 1024;
		alt.ss_sp = ps_xmalloc(alt.ss_size);
		sigaltstack(&alt, NULL);
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	/* libtraceevent divides by a value from an event format: 0 */
	sigaction(SIGFPE, &sa, &old_fpe);
}

static void guard_faults(const struct ps_trace *t, bool on)
{
	replaying = t;
	fault_handler_set(on);
}

/*
 * libtracecmd loops for ever on some corrupt pages (kbuffer follows an
 * event length that leads back) without handing out a record; the kbuf
 * reader checks every page first, libtracecmd's iteration (compressed
 * files, PAGESTATE_READER=libtracecmd) does not.  A replay that gets no
 * record for ps_trace_stall_secs is stuck: say so, exit 2.
 */
int ps_trace_stall_secs = 10;
static u64 stall_seen;
static int stall_ticks;

static void stall_handler(int sig)
{
	char msg[512];
	int n;

	if (!replaying)
		return;
	if (replaying->nr_records != stall_seen || !stall_seen) {
		stall_seen = replaying->nr_records ? replaying->nr_records : 1;
		stall_ticks = 0;
		return;
	}
	if (++stall_ticks < ps_trace_stall_secs)
		return;
	n = snprintf(msg, sizeof(msg),
		     "pagestate: error: %s: event data corrupt after offset "
		     "%llu (%llu records read): the reader went round in "
		     "circles for %d s\n", replaying->path,
		     (unsigned long long)replaying->last_offset,
		     (unsigned long long)replaying->nr_records,
		     ps_trace_stall_secs);
	if (n > 0 && write(STDERR_FILENO, msg, n) < 0)
		n = 0;
	if (ps_trace_fault_jmp) {
		/*
		 * The jump skips the replay's own stall_watch(false): stop
		 * the timer here, or it fires into whatever runs next
		 * with `replaying` pointing at a closed trace (the fuzz
		 * harness's next input).
		 */
		stall_watch(false);
		replaying = NULL;
		siglongjmp(*ps_trace_fault_jmp, sig);
	}
	_exit(PS_EXIT_USAGE);
}

static void stall_watch(bool on)
{
	struct itimerval it = { { 1, 0 }, { 1, 0 } };
	struct sigaction sa = { .sa_handler = stall_handler,
				.sa_flags = SA_RESTART | SA_NODEFER };

	stall_seen = 0;
	stall_ticks = 0;
	/* tests/t/fuzz-corpus.sh: a second rather than ten */
	if (on && getenv("PAGESTATE_STALL_SECS"))
		ps_trace_stall_secs = atoi(getenv("PAGESTATE_STALL_SECS"));
	if (!on) {
		memset(&it, 0, sizeof(it));
		setitimer(ITIMER_REAL, &it, NULL);
		sa.sa_handler = SIG_DFL;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	if (on)
		setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * libtracecmd 3.1 trusts some of the header fields it parses and
 * crashes on a corrupt one (a NULL dereference in tracecmd_close() on
 * its own error path, found by tests/fuzz): guarded in every build.
 * tracecmd_open() is its two halves here: between them the CPU count
 * is checked (a version 6 file's header; version 7 buffers are checked
 * by check_buffer_cpus), since the second half allocates and clears
 * per-CPU data for that many.  *cpus: the count, when it was too large.
 */
static struct tracecmd_input *open_guarded(const char *path, int *cpus)
{
	struct tracecmd_input *h;

	opening = path;
	fault_handler_set(true);
	h = tracecmd_open_head(path, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (h && (tracecmd_cpus(h) < 0 ||
		  tracecmd_cpus(h) > PS_TRACE_MAX_CPUS)) {
		*cpus = tracecmd_cpus(h);
		tracecmd_close(h);
		h = NULL;
	} else if (h && tracecmd_init_data(h) < 0) {
		tracecmd_close(h);
		h = NULL;
	}
	fault_handler_set(false);
	opening = NULL;
	return h;
}

/*
 * The headers of a buffer instance (trace-cmd record -B): libtracecmd
 * parses them when asked for the instance's handle, and its error path
 * there crashed on a corrupt one (a NULL dereference in tracecmd_close(),
 * found by fuzz-tracecmd).  Guarded as the file's own headers are; after
 * a fault the open fails (t->instance_fault), exit 2.
 */
static struct tracecmd_input *instance_guarded(struct ps_trace *t, int i)
{
	static sigjmp_buf jmp;
	sigjmp_buf *outer = ps_trace_fault_jmp;
	struct tracecmd_input *h;

	if (sigsetjmp(jmp, 1)) {
		ps_trace_fault_jmp = outer;
		t->instance_fault = true;
		return NULL;
	}
	ps_trace_fault_jmp = &jmp;
	opening = t->path;
	fault_handler_set(true);
	h = tracecmd_buffer_instance_handle(t->handle, i);
	fault_handler_set(false);
	opening = NULL;
	ps_trace_fault_jmp = outer;
	return h;
}

/*
 * replay/kbuf.c reads uncompressed files faster than libtracecmd's
 * iteration (no record allocated per event, pages dropped as it goes,
 * so memory stays flat however long the file), with the same records in
 * the same order.  Files it cannot read exactly as libtracecmd does
 * (compressed, converted timestamps) go to libtracecmd anyway;
 * PAGESTATE_READER=libtracecmd forces that path.
 */
static bool use_kbuf(void)
{
	const char *s = getenv("PAGESTATE_READER");

	return !s || strcmp(s, "libtracecmd");
}

/*
 * An unpin_user_page()/unpin_user_folio() is the put itself unless it
 * calls gup_put_folio() out of line, which gup.c has static: out of
 * line on 6.12, inlined into unpin_user_page on 7.2 (probes.h).  The
 * compiler decided once per caller: the first unpin of each caller is
 * held until the next event of its task (or CPU) says which -- the
 * task's gup_put_folio, or anything else -- and every later one follows
 * that answer at once.  Undecided at the end: the unpin was the put.
 */
static void unpins_flush(struct ps_trace *t, const struct ps_op *op,
			 const char *event)
{
	int i, n = 0;

	for (i = 0; i < t->nr_unpins; i++) {
		struct ps_op *u = &t->unpins[i].op;
		int *mode = &t->unpin_mode[t->unpins[i].caller];

		if (op && u->pid != op->pid && u->cpu != op->cpu) {
			t->unpins[n++] = t->unpins[i];
			continue;
		}
		if (op && u->pid == op->pid &&
		    !strcmp(event, PS_PROBE_GUP_PUT_FOLIO)) {
			*mode = PS_UNPIN_PUT_FOLLOWS;
			/* that gup_put_folio counts it, unless it went early */
			if (t->unpins[i].early)
				t->skip_put_pid = u->pid;
			continue;
		}
		if (op)
			*mode = PS_UNPIN_IS_PUT;
		if (!t->unpins[i].early)
			emit(t, u);
	}
	t->nr_unpins = n;
}

void ps_trace_unpin_hold(struct ps_trace *t, const struct ps_op *op,
			 int caller)
{
	switch (t->unpin_mode[caller]) {
	case PS_UNPIN_PUT_FOLLOWS:
		return;
	case PS_UNPIN_IS_PUT:
		ps_emit(t, op);
		return;
	}
	if (t->nr_unpins == (int)ARRAY_SIZE(t->unpins))
		unpins_flush(t, NULL, NULL);
	t->unpins[t->nr_unpins].op = *op;
	t->unpins[t->nr_unpins].early = false;
	t->unpins[t->nr_unpins++].caller = caller;
}

bool ps_trace_unpin_counted(struct ps_trace *t, int pid)
{
	if (!t->skip_put_pid || t->skip_put_pid != pid)
		return false;
	t->skip_put_pid = 0;
	return true;
}

/*
 * Events the ring buffer handed out that the file does not hold: the
 * recorder lost them between its read and the disk (record/buffers.c:
 * a write cut short, a killed recorder's pipe).  Where in the stream is
 * unknown, so one PS_OP_LOST with PS_OPF_LOST_ANYWHERE says so after
 * the last record, and they count as missed.
 */
static void unwritten_check(struct ps_trace *t)
{
	u64 n = 0;
	struct ps_op op;
	int cpu;

	if (!t->have_read_events)
		return;
	if (t->nr_handles > 1) {
		u64 counted = 0;

		for (cpu = 0; cpu < PS_TRACE_SLOTS; cpu++)
			counted += t->cpu_records[cpu];
		if (t->read_total > counted)
			n = t->read_total - counted;
	} else {
		for (cpu = 0; cpu < PS_TRACE_SLOTS; cpu++)
			if (t->cpu_read[cpu] > t->cpu_records[cpu])
				n += t->cpu_read[cpu] - t->cpu_records[cpu];
	}
	if (!n)
		return;
	/* a second pass over the file finds the same n: counted once */
	t->missed += n - t->unwritten;
	t->unwritten = n;
	memset(&op, 0, sizeof(op));
	op.kind = PS_OP_LOST;
	op.flags = PS_OPF_LOST_ANYWHERE;
	op.ts = t->last_ts;
	op.cpu = -1;
	op.pfn = PS_PFN_NONE;
	op.event_id = -1;
	op.val = n;
	ps_emit(t, &op);
}

int ps_trace_replay(struct ps_trace *t, ps_op_fn fn, void *data)
{
	int ret;

	guard_faults(t, true);
	stall_watch(true);
	ps_progress_begin(&t->progress, t->path);
	t->fn = fn;
	t->fn_data = data;
	t->stop = 0;
	t->corrupt = false;
	if (t->cpu_records)	/* counted again on each pass */
		memset(t->cpu_records, 0, PS_TRACE_SLOTS * sizeof(u64));
	memset(t->slot_offset, 0, sizeof(t->slot_offset));
	memset(t->made_op, 0, sizeof(t->made_op));
	ret = -1;
	errno = ENOTSUP;
	if (t->text)
		ret = ps_text_iterate(t->text, replay_record, t);
	else if (use_kbuf())
		ret = ps_kbuf_iterate(t->path, t->handles, t->nr_handles,
				      replay_record, t);
	if (ret < 0 && errno == ENOTSUP) {
		if (t->nr_handles > 1)
			ret = tracecmd_iterate_events_multi(t->handles,
							    t->nr_handles,
							    replay_record, t);
		else
			ret = tracecmd_iterate_events(t->handle, NULL, 0,
						      replay_record, t);
	}
	if (t->corrupt)
		ret = -1;
	if (ret >= 0) {
		unpins_flush(t, NULL, NULL);
		/* only a whole pass has counted every record */
		if (!t->stop)
			unwritten_check(t);
	}
	ps_progress_end(&t->progress);
	stall_watch(false);
	guard_faults(NULL, false);
	if (ret < 0)
		return ps_error("%s: reading event data failed after offset "
				"%llu (%llu records read): truncated or "
				"corrupt file", t->path,
				(unsigned long long)t->last_offset,
				(unsigned long long)t->nr_records);
	return 0;
}

const struct ps_meta *ps_trace_meta(const struct ps_trace *t)
{
	return &t->meta;
}

const char *ps_trace_path(const struct ps_trace *t)
{
	return t->path;
}

struct tep_handle *ps_trace_tep(const struct ps_trace *t)
{
	return t->tep;
}

const char *ps_trace_comm(struct ps_trace *t, int pid)
{
	const char *c;

	if (pid == 0)
		return "<idle>";
	c = tep_data_comm_from_pid(t->tep, pid);
	return c ? c : "<...>";
}

/*
 * A stacktrace trigger on a kprobe event (record --stack-on) unwinds from
 * the probe handler: the int3 trap's frames (kprobe_int3_handler ..
 * asm_exc_int3) and the probed address twice come first, where
 * options/stacktrace starts at the probed function.  On a return probe
 * the handler runs from the return trampoline (kretprobe_trace_func ..
 * arch_rethook_trampoline on 6.x, __kretprobe_trampoline before), and
 * the caller the probed function returned to follows.  Returns how many
 * leading frames to skip so both read the same.
 */
static bool probe_trap_frame(const char *fn)
{
	static const char *const last[] = {
		"asm_exc_int3", "arch_rethook_trampoline",
		"__kretprobe_trampoline", "kretprobe_trampoline",
	};
	size_t i;

	for (i = 0; fn && i < sizeof(last) / sizeof(last[0]); i++)
		if (!strcmp(fn, last[i]))
			return true;
	return false;
}

static int kprobe_frames(struct tep_handle *tep, const char *data, int n,
			 int word)
{
	int i, skip = 0;

	for (i = 0; i < n && i < 12; i++) {
		u64 addr = tep_read_number(tep, data + i * word, word);
		const char *fn = tep_find_function(tep, addr);

		if (probe_trap_frame(fn)) {
			skip = i + 1;
			break;
		}
	}
	while (skip && skip + 1 < n &&
	       tep_read_number(tep, data + skip * word, word) ==
	       tep_read_number(tep, data + (skip + 1) * word, word))
		skip++;
	return skip;
}

int ps_trace_stack(struct ps_trace *t, u64 offset, char *buf, size_t size)
{
	struct tep_format_field *field;
	struct tep_record *rec;
	struct tep_event *ev;
	int cpu, i, n = 0, frames = 0, word;
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	if (!t->handle)		/* text keeps no stacks to look up */
		return -1;
	rec = tracecmd_read_at(t->handle, offset, &cpu);
	if (!rec)
		return -1;
	ev = tep_find_event_by_record(t->tep, rec);
	field = ev && !strcmp(ev->name, "kernel_stack") ?
		tep_find_field(ev, "caller") : NULL;
	if (!field) {
		tracecmd_free_record(rec);
		return -1;
	}
	word = tep_get_long_size(t->tep);
	if (word <= 0)
		word = 8;
	n = (rec->size - field->offset) / word;
	i = kprobe_frames(t->tep, (char *)rec->data + field->offset, n, word);
	for (; i < n && len + 1 < size; i++) {
		u64 addr = tep_read_number(t->tep, (char *)rec->data +
					   field->offset + i * word, word);
		const char *fn;
		unsigned long long start;

		if (!addr || addr == ~0ull)
			break;
		fn = tep_find_function(t->tep, addr);
		start = tep_find_function_address(t->tep, addr);
		if (fn)
			len += snprintf(buf + len, size - len, "%s+0x%llx\n",
					fn, (unsigned long long)(addr - start));
		else
			len += snprintf(buf + len, size - len, "0x%llx\n",
					(unsigned long long)addr);
		frames++;
	}
	tracecmd_free_record(rec);
	return frames;
}

const char *ps_trace_event_name(struct ps_trace *t, int event_id)
{
	struct tep_event *ev;

	if (event_id < 0)
		return "?";
	ev = tep_find_event(t->tep, event_id);
	return ev ? ev->name : "?";
}

int ps_trace_event_counts(struct ps_trace *t, struct ps_event_count *out,
			  int max)
{
	int i, n = 0;

	for (i = 0; i < t->nr_ids && n < max; i++) {
		struct tep_event *ev;

		if (!t->count_by_id[i])
			continue;
		ev = tep_find_event(t->tep, i);
		out[n].system = ev ? ev->system : "?";
		out[n].name = ev ? ev->name : "?";
		out[n].count = t->count_by_id[i];
		out[n].adapted = t->by_id[i] != NULL;
		n++;
	}
	return n;
}

u64 ps_trace_nr_records(const struct ps_trace *t)
{
	return t->nr_records;
}

u64 ps_trace_missed(const struct ps_trace *t)
{
	return t->missed;
}

u64 ps_trace_unwritten(const struct ps_trace *t)
{
	return t->unwritten;
}

u64 ps_trace_missed_unknown(const struct ps_trace *t)
{
	return t->missed_unknown;
}

u32 ps_trace_tracks(const struct ps_trace *t)
{
	return t->tracks;
}
