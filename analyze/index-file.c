// SPDX-License-Identifier: GPL-2.0
/*
 * The recording index's file (index.h): written through a temporary
 * file next to the recording (or in the cache directory), mapped
 * read-only when reused.  A cached .psidx is untrusted input: every
 * count, offset and string is checked before the TUI reads it, and a bad
 * file means "rebuild", never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "index-local.h"

/* Lower bound of pfn in a by-pfn permutation. */
static u32 pfn_lower(const struct ps_index_folio *folios, const u32 *by_pfn,
		     u32 n, u64 pfn)
{
	u32 lo = 0, hi = n;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (folios[by_pfn[mid]].pfn < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

u32 ps_index_lookup(const struct ps_index_folio *folios, const u32 *by_pfn,
		    u32 n, u64 head, u32 order, u64 ts)
{
	u32 i = pfn_lower(folios, by_pfn, n, head), best = PS_INDEX_NONE;

	for (; i < n && folios[by_pfn[i]].pfn == head; i++) {
		const struct ps_index_folio *f = &folios[by_pfn[i]];

		if (f->born_ts > ts)
			break;
		if (f->order == order)
			best = by_pfn[i];
	}
	return best;
}

void ps_index_data_free(struct ps_index_data *o)
{
	free(o->folios);
	free(o->by_pfn);
	free(o->lineage);
	free(o->findings);
	free(o->lost);
}

static u64 mtime_ns(const struct stat *st)
{
	return (u64)st->st_mtim.tv_sec * 1000000000ull + st->st_mtim.tv_nsec;
}

/* The recording and the binary an index is only valid for. */
static int identity(const char *path, struct ps_index_hdr *h)
{
	struct stat st;

	if (stat(path, &st))
		return -1;
	h->src_size = st.st_size;
	h->src_mtime_ns = mtime_ns(&st);
	if (stat("/proc/self/exe", &st) == 0) {
		h->exe_size = st.st_size;
		h->exe_mtime_ns = mtime_ns(&st);
	}
	return 0;
}

static u64 align8(u64 v)
{
	return (v + 7) & ~7ull;
}

static int write_all(FILE *f, const void *p, u64 size, u64 *pos)
{
	static const char zero[8];
	u64 pad = align8(*pos + size) - (*pos + size);

	if ((size && fwrite(p, 1, size, f) != size) ||
	    (pad && fwrite(zero, 1, pad, f) != pad))
		return -1;
	*pos += size + pad;
	return 0;
}

int ps_index_write(int fd, struct ps_index_data *o)
{
	struct ps_index_hdr *h = &o->hdr;
	FILE *f = fdopen(fd, "w");
	u64 pos = 0, n = h->nr_folios;
	int ret = 0;

	if (!f) {
		close(fd);
		return -1;
	}
	pos = align8(sizeof(*h));
	h->off_folios = pos;
	pos += align8(n * sizeof(*o->folios));
	h->off_by_pfn = pos;
	pos += align8(n * sizeof(u32));
	h->off_lineage = pos;
	pos += align8(h->nr_lineage * sizeof(*o->lineage));
	h->off_findings = pos;
	pos += align8(h->nr_findings * sizeof(*o->findings));
	h->off_lost = pos;

	pos = 0;
	ret |= write_all(f, h, sizeof(*h), &pos);
	ret |= write_all(f, o->folios, n * sizeof(*o->folios), &pos);
	ret |= write_all(f, o->by_pfn, n * sizeof(u32), &pos);
	ret |= write_all(f, o->lineage, h->nr_lineage * sizeof(*o->lineage),
			 &pos);
	ret |= write_all(f, o->findings, h->nr_findings * sizeof(*o->findings),
			 &pos);
	ret |= write_all(f, o->lost, h->nr_lost * sizeof(*o->lost), &pos);
	if (fclose(f))
		ret = -1;
	return ret;
}

/* --- mapping and checking a cached index ----------------------------------- */

static bool section_ok(const struct ps_index_hdr *h, size_t size, u64 off,
		       u64 nr, size_t elem)
{
	return off % 8 == 0 && off <= size && nr <= (size - off) / elem;
}

#define terminated(s)	(memchr((s), '\0', sizeof(s)) != NULL)

/* Is the mapped index whole and consistent?  Bad files mean "rebuild". */
bool ps_index_check(struct ps_index *x, const struct ps_index_hdr *want)
{
	const struct ps_index_hdr *h = x->map;
	size_t size = x->map_size;
	u64 i;

	if (size < sizeof(*h) || memcmp(h->magic, PS_INDEX_MAGIC, 8) ||
	    h->version != PS_INDEX_VERSION || h->hdr_size != sizeof(*h) ||
	    h->src_size != want->src_size ||
	    h->src_mtime_ns != want->src_mtime_ns ||
	    h->exe_size != want->exe_size ||
	    h->exe_mtime_ns != want->exe_mtime_ns ||
	    h->nr_folios >= PS_INDEX_NONE || h->nr_events > PS_INDEX_EVENTS ||
	    h->nr_rules > PS_INDEX_RULES)
		return false;
	if (!section_ok(h, size, h->off_folios, h->nr_folios,
			sizeof(struct ps_index_folio)) ||
	    !section_ok(h, size, h->off_by_pfn, h->nr_folios, sizeof(u32)) ||
	    !section_ok(h, size, h->off_lineage, h->nr_lineage,
			sizeof(struct ps_index_lineage)) ||
	    !section_ok(h, size, h->off_findings, h->nr_findings,
			sizeof(struct ps_index_finding)) ||
	    !section_ok(h, size, h->off_lost, h->nr_lost,
			sizeof(struct ps_index_lost)))
		return false;
	x->hdr = h;
	x->folios = (const void *)((const char *)x->map + h->off_folios);
	x->by_pfn = (const void *)((const char *)x->map + h->off_by_pfn);
	x->lineage = (const void *)((const char *)x->map + h->off_lineage);
	x->findings = (const void *)((const char *)x->map + h->off_findings);
	x->lost = (const void *)((const char *)x->map + h->off_lost);
	for (i = 0; i < h->nr_folios; i++)
		if (x->by_pfn[i] >= h->nr_folios ||
		    x->folios[i].order > PS_MAX_ORDER)
			return false;
	for (i = 0; i < h->nr_lineage; i++)
		if (x->lineage[i].child >= h->nr_folios ||
		    (x->lineage[i].parent != PS_INDEX_NONE &&
		     x->lineage[i].parent >= h->nr_folios))
			return false;
	for (i = 0; i < h->nr_findings; i++) {
		const struct ps_index_finding *f = &x->findings[i];

		if ((f->folio != PS_INDEX_NONE && f->folio >= h->nr_folios) ||
		    f->kind >= PS_OP_NR_KINDS || !terminated(f->rule) ||
		    !terminated(f->what))
			return false;
	}
	for (i = 0; i < h->nr_rules; i++)
		if (!terminated(h->rules[i].id) ||
		    !terminated(h->rules[i].why_not))
			return false;
	return terminated(h->kernel) && terminated(h->profile) &&
	       terminated(h->cmd);
}

static int map_index(struct ps_index *x, int fd,
		     const struct ps_index_hdr *want)
{
	struct stat st;

	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(struct ps_index_hdr))
		return -1;
	x->map_size = st.st_size;
	x->map = mmap(NULL, x->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (x->map == MAP_FAILED) {
		x->map = NULL;
		return -1;
	}
	if (!ps_index_check(x, want)) {
		munmap(x->map, x->map_size);
		x->map = NULL;
		return -1;
	}
	return 0;
}

/* Where the index of path lives: next to it, or in the cache directory. */
static char *cache_path(const char *path)
{
	const char *base = strrchr(path, '/'), *dir = getenv("XDG_CACHE_HOME");
	char real[PATH_MAX], *out;
	u64 h = 0xcbf29ce484222325ull;
	const char *p;
	size_t size;

	if (!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	for (p = real; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	base = base ? base + 1 : path;
	size = strlen(base) + PATH_MAX + 64;
	out = ps_xmalloc(size);
	if (dir && *dir)
		snprintf(out, size, "%s/pagestate", dir);
	else
		snprintf(out, size, "%s/.cache/pagestate",
			 getenv("HOME") ? getenv("HOME") : "/tmp");
	if (mkdir(out, 0755) && errno != EEXIST) {
		/* ~/.cache may not exist yet */
		char parent[PATH_MAX];

		snprintf(parent, sizeof(parent), "%s", out);
		*strrchr(parent, '/') = '\0';
		mkdir(parent, 0755);
		mkdir(out, 0755);
	}
	snprintf(out + strlen(out), size - strlen(out), "/%s.%016llx.psidx",
		 base, (unsigned long long)h);
	return out;
}

static int open_existing(struct ps_index *x, const char *ipath,
			 const struct ps_index_hdr *want)
{
	int fd = open(ipath, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -1;
	ret = map_index(x, fd, want);
	close(fd);
	if (!ret) {
		free(x->path);
		x->path = ps_xstrdup(ipath);
	}
	return ret;
}

/* Writes o to ipath through a temporary file; 0 or -1 (errno kept). */
static int save_index(const char *ipath, struct ps_index_data *o)
{
	size_t n = strlen(ipath) + 32;
	char *tmp = ps_xmalloc(n);
	int fd, ret = -1, err;

	snprintf(tmp, n, "%s.tmp%d", ipath, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ret = ps_index_write(fd, o);
		if (!ret)
			ret = rename(tmp, ipath);
		err = errno;
		if (ret)
			unlink(tmp);
		errno = err;
	}
	free(tmp);
	return ret;
}

/* An index in a temporary file nobody else can open. */
static int map_anonymous(struct ps_index *x, struct ps_index_data *o,
			 const struct ps_index_hdr *want)
{
	char tmpl[] = "/tmp/pagestate-index.XXXXXX";
	int fd = mkstemp(tmpl), err, ret = -1;

	if (fd < 0)
		return -1;
	unlink(tmpl);
	if (!ps_index_write(dup(fd), o) && !map_index(x, fd, want))
		ret = 0;
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

/*
 * Builds the index and keeps it: next to the recording, else in the cache
 * directory, else (an unwritable disk still gets a browser) in an
 * unlinked temporary file.
 */
static int build(struct ps_index *x, const char *path,
		 const struct ps_index_hdr *want, ps_index_progress_fn progress,
		 void *data)
{
	struct ps_index_data o;
	char *ipath;
	int ret = -1;

	if (ps_index_build(path, progress, data, &o))
		return -1;
	o.hdr.src_size = want->src_size;
	o.hdr.src_mtime_ns = want->src_mtime_ns;
	o.hdr.exe_size = want->exe_size;
	o.hdr.exe_mtime_ns = want->exe_mtime_ns;

	ipath = ps_xmalloc(strlen(path) + 8);
	sprintf(ipath, "%s.psidx", path);
	if (save_index(ipath, &o)) {
		free(ipath);
		ipath = cache_path(path);
		if (save_index(ipath, &o)) {
			free(ipath);
			ipath = NULL;
		}
	}
	if (ipath) {
		ps_index_data_free(&o);
		ret = open_existing(x, ipath, want);
		if (ret)
			ps_error("%s: cannot map its index %s", path, ipath);
		free(ipath);
		return ret;
	}
	ret = map_anonymous(x, &o, want);
	ps_index_data_free(&o);
	if (ret)
		ps_error("%s: cannot write its index (%s.psidx: %s)", path,
			 path, strerror(errno));
	return ret;
}

struct ps_index *ps_index_open(struct ps_trace *t, bool rebuild,
			       ps_index_progress_fn progress, void *data)
{
	const char *path = ps_trace_path(t);
	struct ps_index_hdr want;
	struct ps_index *x;
	char *ipath;

	memset(&want, 0, sizeof(want));
	if (identity(path, &want)) {
		ps_error("%s: %s", path, strerror(errno));
		return NULL;
	}
	x = ps_xcalloc(1, sizeof(*x));
	if (!rebuild) {
		ipath = ps_xmalloc(strlen(path) + 8);
		sprintf(ipath, "%s.psidx", path);
		if (!open_existing(x, ipath, &want)) {
			free(ipath);
			return x;
		}
		free(ipath);
		ipath = cache_path(path);
		if (!open_existing(x, ipath, &want)) {
			free(ipath);
			return x;
		}
		free(ipath);
	}
	if (build(x, path, &want, progress, data)) {
		ps_index_free(x);
		return NULL;
	}
	x->built = true;
	return x;
}

void ps_index_free(struct ps_index *x)
{
	if (!x)
		return;
	if (x->map)
		munmap(x->map, x->map_size);
	free(x->path);
	free(x);
}

/* --- lookups --------------------------------------------------------------- */

u32 ps_index_folio_at(const struct ps_index *x, u64 head, u32 order, u64 ts)
{
	return ps_index_lookup(x->folios, x->by_pfn, (u32)x->hdr->nr_folios, head,
			order, ts);
}

u32 ps_index_lineage_of(const struct ps_index *x, u32 i, u32 *first)
{
	u32 lo = 0, hi = (u32)x->hdr->nr_lineage, n = 0;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (x->lineage[mid].child < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo + n < x->hdr->nr_lineage && x->lineage[lo + n].child == i)
		n++;
	return n;
}

u64 ps_index_lost_between(const struct ps_index *x, u64 from, u64 to)
{
	u64 i, n = 0;

	if (x->hdr->flags & PS_IDXF_CPUSTAT_LOST)
		return x->hdr->overrun;
	for (i = 0; i < x->hdr->nr_lost; i++)
		if (x->lost[i].ts >= from && x->lost[i].ts <= to)
			n += x->lost[i].count > 0 ? x->lost[i].count : 1;
	return n;
}
