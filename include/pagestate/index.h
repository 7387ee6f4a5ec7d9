/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The recording index: one line per folio a recording touched, built in
 * one replay pass and cached next to the recording as <file>.psidx.
 *
 * A browser (tui/) must open a 10M-event recording in well under a
 * second, which no replay does; the index is what it opens instead.  It
 * holds, per folio (one engine folio: a head pfn from allocation, or
 * first sight, until free / split / end of the recording):
 *
 *   head pfn, order, first and last event time, how many page ops were
 *   about it, which op kinds and which events, the first task that
 *   touched it, findings, marks (workload, pinned, lineage, lost events)
 *
 * plus the lineage links between folios (collapse / split / migration,
 * parent resolved to its folio), the findings of every rule (the same
 * pass runs ps_check), the times of lost events, and a permutation of
 * the folios by head pfn for lookups.  What the index does not hold is
 * the events themselves: a folio's timeline is replayed on demand
 * (tui/load.c), so memory follows the number of folios, not of events.
 *
 * analyze/index-build.c builds it; analyze/index-file.c writes, checks
 * and maps the file.  The file is a fixed header and arrays of
 * fixed-size records in host byte order, mapped read-only.  The header names the recording (size,
 * mtime) and the pagestate binary (size, mtime) it was built from: a
 * change to either, or a bad bound, means "rebuild", never a crash.
 */
#ifndef PAGESTATE_INDEX_H
#define PAGESTATE_INDEX_H

#include "pagestate/folio.h"
#include "pagestate/trace.h"

#define PS_INDEX_MAGIC		"PSIDX\0\0\1"
#define PS_INDEX_VERSION	4
#define PS_INDEX_EVENTS		32	/* distinct adapted events per index */
#define PS_INDEX_NONE		(~0u)

/* ps_index_folio.marks */
#define PS_IDX_WORKLOAD		(1u << 0)	/* touched by a workload task */
#define PS_IDX_NO_BIRTH		(1u << 1)	/* allocated before the recording */
#define PS_IDX_PINNED		(1u << 2)	/* had a FOLL_PIN pin at some point */
#define PS_IDX_LIVE_END		(1u << 3)	/* still live when the recording ended */
#define PS_IDX_LOST		(1u << 4)	/* events were lost during its life */
#define PS_IDX_FROM_SPLIT	(1u << 5)	/* lineage: ancestors */
#define PS_IDX_FROM_COLLAPSE	(1u << 6)
#define PS_IDX_FROM_MIGRATE	(1u << 7)
#define PS_IDX_TO_SPLIT		(1u << 8)	/* lineage: descendants */
#define PS_IDX_TO_COLLAPSE	(1u << 9)
#define PS_IDX_TO_MIGRATE	(1u << 10)
#define PS_IDX_SPLIT_DONE	(1u << 11)	/* ended by split_huge_page */

/* ps_index_hdr.flags */
#define PS_IDXF_STACKS		(1u << 0)	/* kernel_stack records present */
#define PS_IDXF_CPUSTAT_LOST	(1u << 1)	/* overruns with no time known */

struct ps_index_folio {
	u64 pfn;		/* head pfn */
	u64 born_ts;		/* allocation or first sight */
	u64 end_ts;		/* its last page op (free, split, ...) */
	u32 kinds;		/* bit k: a PS_OP_* k op was about it */
	u32 nr_ops;		/* page ops about it (timeline rows) */
	u32 evmask;		/* bit i: ps_index_hdr.event_ids[i] seen */
	s32 pid;		/* first task that touched it, 0 if none */
	uint16_t marks;		/* PS_IDX_* */
	uint16_t nr_findings;
	uint8_t order;
	uint8_t state;		/* enum ps_folio_state when it ended */
	uint8_t pad[2];
};

struct ps_index_lineage {
	u32 child;		/* folio index */
	u32 parent;		/* folio index, PS_INDEX_NONE if not found */
	u64 parent_pfn;
	u64 ts;
	uint8_t kind;		/* enum ps_lineage_kind */
	uint8_t order;		/* parent's order */
	uint8_t inferred;
	uint8_t pad[5];
};

struct ps_index_finding {
	u32 folio;		/* folio index, PS_INDEX_NONE if none */
	uint8_t severity;		/* enum ps_severity */
	uint8_t pad[3];
	char rule[32];
	u64 folio_pfn;
	u64 pfn;
	u64 ts;			/* the breaking event */
	u64 offset;		/* ...its record's file offset */
	s32 cpu;
	s32 pid;
	u32 kind;		/* its enum ps_op_kind */
	u32 order;
	char what[256];
};

struct ps_index_lost {
	u64 ts;
	s64 count;		/* -1: the ring buffer said "some" */
	s32 cpu;
	u32 pad;
};

struct ps_index_rule {
	char id[32];
	uint8_t checked;
	uint8_t pad[7];
	u64 breaks, infos, uncertain;
	char why_not[160];
};

#define PS_INDEX_RULES		32

struct ps_index_hdr {
	char magic[8];
	u32 version;
	u32 hdr_size;
	u64 src_size, src_mtime_ns;	/* the recording */
	u64 exe_size, exe_mtime_ns;	/* the pagestate that built it */
	u64 nr_folios, off_folios;
	u64 off_by_pfn;			/* u32[nr_folios], by (pfn, born_ts) */
	u64 nr_lineage, off_lineage;	/* sorted by child */
	u64 nr_findings, off_findings;	/* in recording order */
	u64 nr_lost, off_lost;
	u64 dropped_findings;
	u64 first_ts, last_ts;
	u64 nr_records, nr_ops;
	u64 lost_events;		/* in the data (sum of known counts) */
	u64 overrun;			/* per-CPU stats */
	u32 tracks;			/* PS_KNOWN_* */
	u32 flags;			/* PS_IDXF_* */
	u32 nr_events;
	u32 nr_rules;
	u32 event_ids[PS_INDEX_EVENTS];
	struct ps_index_rule rules[PS_INDEX_RULES];
	char kernel[128];
	char profile[32];
	char cmd[256];
};

struct ps_index {
	char *path;			/* the .psidx file */
	void *map;
	size_t map_size;
	const struct ps_index_hdr *hdr;
	const struct ps_index_folio *folios;
	const u32 *by_pfn;
	const struct ps_index_lineage *lineage;
	const struct ps_index_finding *findings;
	const struct ps_index_lost *lost;
	bool built;			/* built by this open, not reused */
};

/* Progress of a build: done/total in any unit; called now and then. */
typedef void (*ps_index_progress_fn)(void *data, u64 done, u64 total,
				     u64 events);

/*
 * Opens the index of the recording at path: reuses a valid cached one,
 * else builds it (one replay with every rule), writes it next to the
 * recording (or in $XDG_CACHE_HOME/pagestate/ when that directory is
 * read-only) and maps it.  rebuild forces a new build.  Returns NULL
 * after printing an error naming the file; the caller exits 2.
 */
struct ps_index *ps_index_open(struct ps_trace *t, bool rebuild,
			       ps_index_progress_fn progress, void *data);
void ps_index_free(struct ps_index *x);

/*
 * The file format, for the builder and for tests of its validation.
 * ps_index_data holds the arrays of one index (as built: they are
 * malloc()ed, ps_index_data_free() frees them).
 */
struct ps_index_data {
	struct ps_index_hdr hdr;
	struct ps_index_folio *folios;
	u32 *by_pfn;
	struct ps_index_lineage *lineage;
	struct ps_index_finding *findings;
	struct ps_index_lost *lost;
};
void ps_index_data_free(struct ps_index_data *o);
/* Writes d to fd (and closes it), setting the section offsets in d->hdr. */
int ps_index_write(int fd, struct ps_index_data *d);
/*
 * Is x->map (x->map_size bytes, untrusted) a whole, consistent index of
 * the recording and binary want names?  If so, points x's arrays into it.
 */
bool ps_index_check(struct ps_index *x, const struct ps_index_hdr *want);

/* The folio with head pfn alive at ts (PS_INDEX_NONE if none). */
u32 ps_index_folio_at(const struct ps_index *x, u64 head, u32 order, u64 ts);
/* Lineage entries of folio i (as the child): [*first, *first + n). */
u32 ps_index_lineage_of(const struct ps_index *x, u32 i, u32 *first);
/* Were events lost between from and to (or at an unknown time)? */
u64 ps_index_lost_between(const struct ps_index *x, u64 from, u64 to);

#endif /* PAGESTATE_INDEX_H */
