// SPDX-License-Identifier: GPL-2.0
/*
 * The deep snapshot: at the workload's own exit (its root process's
 * exit snapshot), /proc/kpagecount and /proc/kpageflags of every pfn the
 * recording touched, mapped or not, so that replay --verify can hold the engine's word against the
 * kernel's both ways (derived live but free in the kernel, derived freed
 * but in use), not only for the pages the exiting process still maps.
 *
 * "Touched" is what the recording's kmem:mm_page_alloc, mm_page_free
 * and mm_page_free_batched events name, every page of each block.  We
 * learn them from our own per-CPU files: ps_buffers_sync() has the
 * readers write out what the ring buffer holds, then we read what the
 * files hold (kbuffer, one pass) into a set: a pfn freed long before
 * the exit is still one to compare.  Once, not at every exit: a
 * workload that forks hundreds of times over 100k pfns would read
 * exits x pfns words and fire the page_read kprobe as often.
 *
 * Markers (recording.h): "deep-begin pid= when=exit" before the first
 * word is read, then "deep pid= when=exit seq= pfns=" lines of
 * <pfn>[+<n>]:<kpagecount>:<kpageflags>, hex, where +n says the n pfns
 * after pfn read the same two words (free buddy tails, a THP's tails),
 * and "deep-end pid= when=exit pfns= lines= sync=ok|late".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event-parse.h>
#include <kbuffer.h>

#include "pagestate/recording.h"
#include "pagestate/u64map.h"
#include "record.h"

/* above the buddy allocator's largest block: a garbled order */
#define DEEP_MAX_ORDER		11
#define DEEP_RUN		512	/* words per pread */
#define DEEP_READ_PAGES		256	/* ring-buffer pages per pread */

enum { EV_ALLOC, EV_FREE, EV_FREE_BATCHED, EV_NR };

struct deep_event {
	int id;				/* -1: this kernel has none */
	struct tep_format_field *pfn, *order;
};

struct ps_deep {
	struct tep_handle *tep;
	struct kbuffer *kbuf;
	struct deep_event ev[EV_NR];
	off_t *parsed;			/* per CPU: bytes of its file read */
	size_t page_size;
	char *buf;			/* DEEP_READ_PAGES pages */
	struct ps_u64map pfns;
	u64 nr_pfns;
	bool failed;			/* said once: no deep snapshots */
};

static const char *const ev_name[EV_NR] = {
	"mm_page_alloc", "mm_page_free", "mm_page_free_batched",
};

/* Event fields sit wherever the ring buffer put them: no aligned loads. */
static u64 field_val(void *data, struct tep_format_field *f)
{
	const char *p = (const char *)data + (f ? f->offset : 0);
	uint16_t v16;
	u32 v32;
	u64 v = 0;

	if (!f)
		return 0;
	switch (f->size) {
	case 8: memcpy(&v, p, 8); break;
	case 4: memcpy(&v32, p, 4); v = v32; break;
	case 2: memcpy(&v16, p, 2); v = v16; break;
	case 1: v = *(const uint8_t *)p; break;
	}
	return v;
}

static struct ps_deep *deep_open(struct ps_recorder *rec)
{
	const char *systems[] = { "kmem", NULL };
	struct ps_deep *d = ps_xcalloc(1, sizeof(*d));
	int i, found = 0;

	d->tep = tracefs_local_events_system(rec->caps.tracing_dir, systems);
	d->kbuf = kbuffer_alloc(KBUFFER_LSIZE_8, KBUFFER_ENDIAN_LITTLE);
	for (i = 0; i < EV_NR; i++) {
		struct tep_event *e = d->tep ?
			tep_find_event_by_name(d->tep, "kmem", ev_name[i]) :
			NULL;

		d->ev[i].id = e ? e->id : -1;
		if (!e)
			continue;
		d->ev[i].pfn = tep_find_field(e, "pfn");
		d->ev[i].order = tep_find_field(e, "order");
		if (d->ev[i].pfn)
			found++;
	}
	d->page_size = sysconf(_SC_PAGESIZE);
	d->buf = ps_xmalloc(DEEP_READ_PAGES * d->page_size);
	d->parsed = ps_xcalloc(rec->nr_cpus, sizeof(*d->parsed));
	if (!d->kbuf || !found) {
		ps_warn("no deep snapshots: cannot read the kmem events' formats");
		d->failed = true;
	}
	return d;
}

static void add_block(struct ps_deep *d, u64 pfn, u64 order)
{
	u64 i;

	if (order > DEEP_MAX_ORDER || pfn >= (1ull << 52))
		return;
	for (i = 0; i < (1ull << order); i++) {
		u64 *v = ps_u64map_put(&d->pfns, pfn + i);

		if (!*v) {
			*v = 1;
			d->nr_pfns++;
		}
	}
}

static void parse_page(struct ps_deep *d, char *page)
{
	unsigned long long ts;
	void *data;
	int i;

	if (kbuffer_load_subbuffer(d->kbuf, page) < 0)
		return;
	for (data = kbuffer_read_event(d->kbuf, &ts); data;
	     data = kbuffer_next_event(d->kbuf, &ts)) {
		int type = *(unsigned short *)data;

		for (i = 0; i < EV_NR; i++)
			if (d->ev[i].id == type && d->ev[i].pfn)
				add_block(d, field_val(data, d->ev[i].pfn),
					  field_val(data, d->ev[i].order));
	}
}

/* What the per-CPU files gained since the last call, whole pages only. */
static void parse_files(struct ps_recorder *rec, struct ps_deep *d)
{
	int cpu;

	for (cpu = 0; cpu < rec->nr_cpus; cpu++) {
		struct stat st;
		int fd = open(rec->cpu_files[cpu], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			continue;
		while (!fstat(fd, &st) &&
		       d->parsed[cpu] + (off_t)d->page_size <= st.st_size) {
			size_t want = (st.st_size - d->parsed[cpu]) /
				      d->page_size;
			ssize_t got;
			size_t i;

			if (want > DEEP_READ_PAGES)
				want = DEEP_READ_PAGES;
			got = pread(fd, d->buf, want * d->page_size,
				    d->parsed[cpu]);
			if (got < (ssize_t)d->page_size)
				break;
			for (i = 0; i < (size_t)got / d->page_size; i++)
				parse_page(d, d->buf + i * d->page_size);
			d->parsed[cpu] += got / d->page_size * d->page_size;
		}
		close(fd);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* The set, sorted: runs of pfns make one pread each. */
static u64 *sorted_pfns(struct ps_deep *d)
{
	u64 *v = ps_xmalloc((d->nr_pfns + 1) * sizeof(*v)), i, n = 0;

	for (i = 0; i < d->pfns.cap; i++) {
		u64 k = d->pfns.slot[i].key;

		/* keys are stored + 1; 0 empty, ~0 deleted (u64map.h) */
		if (k && k != ~0ull && n < d->nr_pfns)
			v[n++] = k - 1;
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	return v;
}

struct deep_out {
	struct ps_recorder *rec;
	pid_t pid;
	char body[PS_MARK_MAX];
	size_t len;
	unsigned int seq;
	/* the run being gathered: pfn..pfn+extra read count, flags */
	bool have;
	u64 pfn, extra, count, flags;
};

static void out_flush(struct deep_out *o)
{
	if (!o->len)
		return;
	ps_mark(o->rec, "deep pid=%d when=exit seq=%u pfns=%s", o->pid,
		o->seq, o->body);
	o->seq++;
	o->len = 0;
}

static void out_entry(struct deep_out *o)
{
	char e[80];
	int n;

	if (!o->have)
		return;
	if (o->extra)
		n = snprintf(e, sizeof(e), "%" PRIx64 "+%" PRIx64 ":%" PRIx64
			     ":%" PRIx64, o->pfn, o->extra, o->count, o->flags);
	else
		n = snprintf(e, sizeof(e), "%" PRIx64 ":%" PRIx64 ":%" PRIx64,
			     o->pfn, o->count, o->flags);
	/* prefix + "deep pid=N when=exit seq=N pfns=" fits in 100 */
	if (o->len && o->len + 1 + n > PS_MARK_MAX - 100)
		out_flush(o);
	if (o->len)
		o->body[o->len++] = ',';
	memcpy(o->body + o->len, e, n + 1);
	o->len += n;
	o->have = false;
}

static void out_page(struct deep_out *o, u64 pfn, u64 count, u64 flags)
{
	if (o->have && pfn == o->pfn + o->extra + 1 && count == o->count &&
	    flags == o->flags) {
		o->extra++;
		return;
	}
	out_entry(o);
	o->have = true;
	o->pfn = pfn;
	o->extra = 0;
	o->count = count;
	o->flags = flags;
}

static size_t read_run(int fd, u64 *buf, size_t nr, u64 pfn)
{
	ssize_t ret;

	do
		ret = pread(fd, buf, nr * 8, (off_t)(pfn * 8));
	while (ret < 0 && errno == EINTR);
	return ret > 0 ? ret / 8 : 0;
}

static void write_pfns(struct ps_recorder *rec, struct deep_out *o,
		       const u64 *v, u64 n)
{
	u64 count[DEEP_RUN], flags[DEEP_RUN];
	u64 i = 0, run, j, gc, gf;

	while (i < n) {
		for (run = 1; i + run < n && run < DEEP_RUN &&
		     v[i + run] == v[i] + run; run++)
			;
		gc = read_run(rec->kpagecount_fd, count, run, v[i]);
		gf = read_run(rec->kpageflags_fd, flags, run, v[i]);
		for (j = 0; j < run; j++)
			/* past the end of memory: no page */
			if (j < gc && j < gf)
				out_page(o, v[i] + j, count[j], flags[j]);
		i += run;
	}
	out_entry(o);
	out_flush(o);
}

/*
 * Called at the workload root's exit-stop, after its process snapshot; the
 * process stays stopped, the rest of the system runs on (pages that
 * change after deep-begin are the "raced" ones replay counts apart).
 */
void ps_deep_take(struct ps_recorder *rec, pid_t pid)
{
	struct deep_out o = { .rec = rec, .pid = pid };
	struct ps_deep *d;
	bool late;
	u64 *v;

	if (rec->kpagecount_fd < 0 || !rec->readers)
		return;
	if (!rec->deep)
		rec->deep = deep_open(rec);
	d = rec->deep;
	if (d->failed)
		return;
	late = ps_buffers_sync(rec) < 0;
	parse_files(rec, d);
	v = sorted_pfns(d);
	ps_mark(rec, "deep-begin pid=%d when=exit", pid);
	write_pfns(rec, &o, v, d->nr_pfns);
	ps_mark(rec, "deep-end pid=%d when=exit pfns=%" PRIu64
		" lines=%u sync=%s", pid, d->nr_pfns, o.seq,
		late ? "late" : "ok");
	free(v);
}

void ps_deep_free(struct ps_recorder *rec)
{
	struct ps_deep *d = rec->deep;

	if (!d)
		return;
	if (d->tep)
		tep_free(d->tep);
	if (d->kbuf)
		kbuffer_free(d->kbuf);
	ps_u64map_free(&d->pfns);
	free(d->parsed);
	free(d->buf);
	free(d);
	rec->deep = NULL;
}
