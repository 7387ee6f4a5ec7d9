// SPDX-License-Identifier: GPL-2.0
/*
 * The fast reader: walks an uncompressed trace.dat's ring-buffer pages in
 * place, with libtraceevent's kbuffer over one mmap of the file.
 *
 * libtracecmd's iteration allocates, zeroes and frees a tep_record per
 * event and reference-counts the page under it: a bare loop over a
 * 5.8M-event kmem trace takes ~0.65 s of CPU through it and ~0.3 s over
 * kbuffer (tests/bench).  libtracecmd still parses the headers and tells us
 * where each CPU's pages are (its first and last record); we hand the
 * callback a tep_record on the stack, filled the way tracecmd_peek_data()
 * fills one, in the order tracecmd_iterate_events_multi() would.
 *
 * We read a file only if the first and last record of every CPU decode
 * here exactly as libtracecmd decodes them (offset, size, timestamp and
 * bytes): compressed data and converted timestamps (--ts-offset, guest
 * sync, TSC multipliers) fail that test, and the caller falls back to
 * libtracecmd.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <trace-cmd/trace-cmd.h>
#include <traceevent/event-parse.h>
#include <traceevent/kbuffer.h>

#include "pagestate/pagestate.h"

/* Exported by libtracecmd 3.1, declared in its private header. */
int tracecmd_page_size(struct tracecmd_input *handle);
int tracecmd_cpus(struct tracecmd_input *handle);
struct tep_record *tracecmd_read_cpu_last(struct tracecmd_input *handle,
					  int cpu);
struct tep_record *tracecmd_peek_data(struct tracecmd_input *handle, int cpu);
off64_t tracecmd_get_cpu_file_size(struct tracecmd_input *handle, int cpu);
int tracecmd_set_cpu_to_timestamp(struct tracecmd_input *handle, int cpu,
				  unsigned long long ts);

/* Pages already read are dropped from our RSS in steps of this size. */
#define KBUF_RELEASE_BYTES	(4u << 20)

/*
 * One CPU of one buffer.  kbuf holds the page at page; the pages still to
 * read are [next, end) of the mapping; data/ts is the event the merge
 * hands out next, NULL once the CPU is done.
 */
struct kbuf_cpu {
	struct tracecmd_input *handle;
	int index;		/* its CPU index in handle */
	int slot;		/* tracecmd_iterate_events_multi()'s "cpu" */
	bool touched;		/* we moved handle's iterator for it */
	unsigned long long first_offset;
	unsigned long long first_ts;
	struct kbuffer *kbuf;
	char *page;
	char *next;
	char *end;
	char *released;		/* pages before this are out of our RSS */
	void *data;
	unsigned long long ts;
	int cpu;		/* the CPU number records carry */
};

struct kbuf_reader {
	bool swap;		/* the file's byte order is not ours */
	bool bad_page;		/* a page did not walk: corrupt, not ENOTSUP */
	int fd;
	char *map;
	size_t map_size;
	long sys_page;
	int page_size;
	struct kbuf_cpu *cpus;
	int nr_cpus;
};

static struct kbuffer *kbuf_alloc(struct tep_handle *tep)
{
	struct kbuffer *kbuf;

	kbuf = kbuffer_alloc(tep_get_long_size(tep) == 4 ? KBUFFER_LSIZE_4 :
			     KBUFFER_LSIZE_8,
			     tep_is_file_bigendian(tep) ? KBUFFER_ENDIAN_BIG :
			     KBUFFER_ENDIAN_LITTLE);
	if (kbuf && tep_is_old_format(tep))
		kbuffer_set_old_format(kbuf);
	return kbuf;
}

static uint32_t kbuf_u32(const struct kbuf_reader *r, const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swap ? __builtin_bswap32(v) : v;
}

/*
 * Does every event of the loaded page lead to one further on?  kbuffer
 * takes lengths as written: a data event whose length word is 0, or any
 * length of 2 GiB or more, sends it back over the same events for ever
 * (libtracecmd too, which reads pages with kbuffer).  The walk is
 * kbuffer's translate_data().
 */
static bool kbuf_page_walks(const struct kbuf_reader *r, const char *page,
			    int start, int size)
{
	const char *data = page + start;
	long long pos = 0, next;

	while (pos + 4 <= size) {
		uint32_t type_len = kbuf_u32(r, data + pos) & 31;
		int len;

		/* kbuffer reads the length word even past the data */
		if (start + pos + 8 > r->page_size)
			break;
		len = (int)kbuf_u32(r, data + pos + 4);
		switch (type_len) {
		case 29:		/* padding */
			next = pos + 4 + (long long)len;
			break;
		case 30:		/* time extend */
		case 31:		/* time stamp */
			next = pos + 8;
			break;
		case 0:
			next = pos + 8 + (((long long)len - 4 + 3) & ~3LL);
			break;
		default:
			next = pos + 4 + 4 * type_len;
			break;
		}
		if (next <= pos)
			return false;
		pos = next;
	}
	return true;
}

/* Load the page at p into kbuf; -1 if its header is not a sane page. */
static int kbuf_load_page(struct kbuf_reader *r, struct kbuffer *kbuf,
			  char *p)
{
	if (kbuffer_load_subbuffer(kbuf, p) < 0 ||
	    kbuffer_subbuffer_size(kbuf) > r->page_size ||
	    kbuffer_start_of_data(kbuf) + kbuffer_subbuffer_size(kbuf) >
	    r->page_size ||
	    !kbuf_page_walks(r, p, kbuffer_start_of_data(kbuf),
			     kbuffer_subbuffer_size(kbuf)))
		return -1;
	return 0;
}

/*
 * tracecmd_read_cpu_last() reads the CPU's last page, and the one before
 * while they are empty, with kbuffer: check them first (a page that does
 * not walk would have it loop for ever).  start is the CPU's first page.
 */
static bool kbuf_tail_walks(struct kbuf_reader *r, struct kbuffer *kbuf,
			    struct tracecmd_input *h, int i,
			    unsigned long long start)
{
	unsigned long long size = tracecmd_get_cpu_file_size(h, i);
	unsigned long long page = (start + size) & ~(unsigned long long)
				  (r->page_size - 1);

	if (size < (unsigned long long)r->page_size)
		return true;
	if (page == start + size)
		page -= r->page_size;
	for (; page >= start && page + r->page_size <= r->map_size;
	     page -= r->page_size) {
		if (kbuf_load_page(r, kbuf, r->map + page))
			return false;
		if (kbuffer_subbuffer_size(kbuf) || page == start)
			break;
	}
	return true;
}

/* Drop the pages behind the reader from our RSS (they stay cached). */
static void kbuf_release(struct kbuf_reader *r, struct kbuf_cpu *c)
{
	char *upto = r->map + ((c->page - r->map) & ~(r->sys_page - 1));

	if (upto - c->released < (long)KBUF_RELEASE_BYTES)
		return;
	madvise(c->released, upto - c->released, MADV_DONTNEED);
	c->released = upto;
}

/* Move c to the first event of its next non-empty page. */
static int kbuf_next_page(struct kbuf_reader *r, struct kbuf_cpu *c)
{
	c->data = NULL;
	while (c->next < c->end) {
		c->page = c->next;
		c->next += r->page_size;
		if (kbuf_load_page(r, c->kbuf, c->page))
			return -1;
		c->data = kbuffer_read_event(c->kbuf, &c->ts);
		if (c->data)
			break;
	}
	kbuf_release(r, c);
	return 0;
}

/* Does the event at data, size bytes, end within the page at page? */
static bool kbuf_in_page(struct kbuf_reader *r, const char *page,
			 const void *data, unsigned long long size)
{
	const char *d = data;

	return d >= page && size <= (unsigned long long)r->page_size &&
	       d + size <= page + r->page_size;
}

/*
 * Does rec, as libtracecmd read it, sit where we would read it: same
 * offset, size, timestamp and bytes?  Uses kbuf as scratch.
 */
static bool kbuf_same_record(struct kbuf_reader *r, struct kbuffer *kbuf,
			     struct tep_record *rec)
{
	unsigned long long page = rec->offset & ~(unsigned long long)
			(r->page_size - 1);
	unsigned long long ts;
	void *data;

	if (page + r->page_size > r->map_size ||
	    kbuf_load_page(r, kbuf, r->map + page))
		return false;
	data = kbuffer_read_at_offset(kbuf, rec->offset - page, &ts);
	/* a corrupt length would take the compare off the page */
	return data && kbuf_in_page(r, r->map + page, data, rec->size) &&
	       (unsigned long long)kbuffer_curr_offset(kbuf) ==
		       rec->offset - page &&
	       ts == rec->ts && kbuffer_event_size(kbuf) == rec->size &&
	       !memcmp(data, rec->data, rec->size);
}

/*
 * Set up c for CPU index i of handle h: 0 if it has records, 1 if none,
 * -1 if libtracecmd reads it differently from us.  The first record is
 * compared without moving libtracecmd's iterator, so a compressed file or
 * converted timestamps are turned down with libtracecmd untouched; the
 * last one moves it (c->touched) and kbuf_rewind() puts it back.
 */
static int kbuf_cpu_init(struct kbuf_reader *r, struct tracecmd_input *h,
			 int i, struct kbuf_cpu *c)
{
	struct tep_record *first, *last;
	unsigned long long start, end, mask = ~(unsigned long long)
			(r->page_size - 1);
	int ret = -1;

	c->handle = h;
	c->index = i;
	first = tracecmd_peek_data(h, i);	/* libtracecmd's, not ours */
	if (!first)
		return 1;
	c->first_offset = first->offset;
	c->kbuf = kbuf_alloc(tracecmd_get_tep(h));
	if (!c->kbuf || !kbuf_same_record(r, c->kbuf, first))
		return -1;
	start = first->offset & mask;
	c->cpu = first->cpu;
	c->first_ts = first->ts;

	/* the first record matched: these are pages as written, corrupt */
	if (!kbuf_tail_walks(r, c->kbuf, h, i, start)) {
		r->bad_page = true;
		return -1;
	}
	c->touched = true;
	last = tracecmd_read_cpu_last(h, i);
	if (!last)
		return -1;
	end = (last->offset & mask) + r->page_size;
	if (start >= end || end > r->map_size ||
	    !kbuf_same_record(r, c->kbuf, last))
		goto out;
	c->next = r->map + start;
	c->end = r->map + end;
	c->released = r->map + (start & ~(r->sys_page - 1));
	/* empty pages may come first; the first event must be its first */
	if (kbuf_next_page(r, c) || !c->data || c->ts != c->first_ts ||
	    (unsigned long long)(c->page - r->map) +
	    kbuffer_curr_offset(c->kbuf) != c->first_offset)
		goto out;
	ret = 0;
out:
	tracecmd_free_record(last);
	return ret;
}

/*
 * Turning the file down after kbuf_cpu_init() read a last record: put
 * libtracecmd's iterators back at the first record, where the fallback
 * starts.  -1 if one did not go back.
 */
static int kbuf_rewind(struct kbuf_reader *r)
{
	struct tep_record *rec;
	int i, ret = 0;

	for (i = 0; i < r->nr_cpus; i++) {
		struct kbuf_cpu *c = &r->cpus[i];

		if (!c->touched)
			continue;
		tracecmd_set_cpu_to_timestamp(c->handle, c->index, 0);
		rec = tracecmd_peek_data(c->handle, c->index);
		if (!rec || rec->offset != c->first_offset)
			ret = -1;
	}
	return ret;
}

static void kbuf_close(struct kbuf_reader *r)
{
	int i;

	for (i = 0; i < r->nr_cpus; i++)
		kbuffer_free(r->cpus[i].kbuf);
	free(r->cpus);
	if (r->map)
		munmap(r->map, r->map_size);
	if (r->fd >= 0)
		close(r->fd);
}

/*
 * Map path and set up every CPU of every handle, in tracecmd's order;
 * -1 if we cannot read it (the caller falls back to libtracecmd).
 */
static int kbuf_open(struct kbuf_reader *r, const char *path,
		     struct tracecmd_input **handles, int nr_handles)
{
	struct stat st;
	int h, i, n = 0, slot = 0, ret;

	r->sys_page = sysconf(_SC_PAGESIZE);
	r->page_size = tracecmd_page_size(handles[0]);
	for (h = 0; h < nr_handles; h++) {
		if (tracecmd_page_size(handles[h]) != r->page_size)
			goto unsupported;
		n += tracecmd_cpus(handles[h]);
	}
	if (r->page_size <= 0 || (r->page_size & (r->page_size - 1)))
		goto unsupported;
	r->swap = tep_is_file_bigendian(tracecmd_get_tep(handles[0])) !=
		  (BYTE_ORDER == BIG_ENDIAN);
	r->fd = open(path, O_RDONLY);
	if (r->fd < 0 || fstat(r->fd, &st) || !st.st_size)
		goto unsupported;
	r->map_size = st.st_size;
	r->map = mmap(NULL, r->map_size, PROT_READ, MAP_PRIVATE, r->fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		goto unsupported;
	}
	madvise(r->map, r->map_size, MADV_SEQUENTIAL);
	r->cpus = ps_xcalloc(n ? n : 1, sizeof(*r->cpus));
	for (h = 0; h < nr_handles; h++) {
		for (i = 0; i < tracecmd_cpus(handles[h]); i++, slot++) {
			struct kbuf_cpu *c = &r->cpus[r->nr_cpus];

			c->slot = slot;
			ret = kbuf_cpu_init(r, handles[h], i, c);
			if (ret > 0) {
				memset(c, 0, sizeof(*c));
				continue;
			}
			r->nr_cpus++;
			if (ret < 0)
				return -1;
		}
	}
	return 0;
unsupported:
	return -1;
}

/*
 * Calls fn for every record of every handle (the top level and its buffer
 * instances), merged by timestamp as tracecmd_iterate_events_multi()
 * merges them: the earliest first, ties to the lower CPU.  fn gets a
 * record that lives until it returns.  Returns fn's first non-zero value
 * or 0; -1 with errno ENOTSUP, before any fn call, if the file is not
 * one this reader can read exactly as libtracecmd does; -1 with errno
 * EIO for a corrupt page.
 */
int ps_kbuf_iterate(const char *path, struct tracecmd_input **handles,
		    int nr_handles,
		    int (*fn)(struct tracecmd_input *handle,
			      struct tep_record *rec, int cpu, void *data),
		    void *data)
{
	struct kbuf_reader r = { .fd = -1 };
	struct kbuf_cpu *c;
	int ret, i;

	if (kbuf_open(&r, path, handles, nr_handles)) {
		/* a bad page would have libtracecmd loop: no fallback */
		errno = kbuf_rewind(&r) || r.bad_page ? EIO : ENOTSUP;
		kbuf_close(&r);
		return -1;
	}
	ret = 0;
	while (!ret) {
		struct tep_record rec;

		c = NULL;
		for (i = 0; i < r.nr_cpus; i++)
			if (r.cpus[i].data && (!c || r.cpus[i].ts < c->ts))
				c = &r.cpus[i];
		if (!c)
			break;
		memset(&rec, 0, sizeof(rec));
		rec.ts = c->ts;
		rec.offset = (c->page - r.map) + kbuffer_curr_offset(c->kbuf);
		rec.missed_events = kbuffer_missed_events(c->kbuf);
		rec.record_size = kbuffer_curr_size(c->kbuf);
		rec.size = kbuffer_event_size(c->kbuf);
		rec.data = c->data;
		rec.cpu = c->cpu;
		rec.ref_count = 1;
		/* kbuffer takes an event's length from the page as it is */
		if (!kbuf_in_page(&r, c->page, rec.data, rec.size)) {
			errno = EIO;
			ret = -1;
			break;
		}
		ret = fn(c->handle, &rec, c->slot, data);
		if (ret)
			break;
		c->data = kbuffer_next_event(c->kbuf, &c->ts);
		if (!c->data && kbuf_next_page(&r, c)) {
			errno = EIO;
			ret = -1;
		}
	}
	i = errno;
	kbuf_close(&r);
	errno = i;
	return ret;
}
