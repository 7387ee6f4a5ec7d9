// SPDX-License-Identifier: GPL-2.0
/*
 * The .psidx file format's validation.  A cached index is untrusted
 * input (a stale file, another build's, a truncated write, a hand-edited
 * one): every count, offset, index and string in it is checked before
 * the TUI reads it, and a bad file means "rebuild".  Here an index of
 * three folios is written the way the builder writes it, then damaged
 * one field at a time; each damage must be refused, the intact file
 * accepted and its lookups answered.
 */
#include <stdlib.h>
#include <unistd.h>

#include "pagestate/index.h"
#include "pagestate/rule.h"
#include "unit.h"

/* The recording and binary the index claims to come from. */
static const struct ps_index_hdr want = {
	.src_size = 4096, .src_mtime_ns = 1, .exe_size = 8192,
	.exe_mtime_ns = 2,
};

static struct ps_index_folio folios[3] = {
	{ .pfn = 0x1000, .born_ts = 10, .end_ts = 50, .order = 9 },
	{ .pfn = 0x1000, .born_ts = 60, .end_ts = 90, .order = 0 },
	{ .pfn = 0x200, .born_ts = 20, .end_ts = 30, .order = 0 },
};
static u32 by_pfn[3] = { 2, 0, 1 };
static struct ps_index_lineage lineage[1] = {
	{ .child = 1, .parent = 0, .parent_pfn = 0x1000, .ts = 55,
	  .kind = PS_LINEAGE_SPLIT, .order = 9 },
};
static struct ps_index_finding findings[1] = {
	{ .folio = 0, .severity = PS_SEV_BREAK, .rule = "collapse-pinned",
	  .folio_pfn = 0x1000, .pfn = 0x1001, .ts = 40, .kind = PS_OP_COLLAPSE,
	  .order = 9, .what = "pinned subpage collapsed" },
};
static struct ps_index_lost lost[1] = { { .ts = 70, .count = 3 } };

/* The file as the builder writes it, read back into memory. */
static char *good_file(size_t *size)
{
	struct ps_index_data d = {
		.folios = folios, .by_pfn = by_pfn, .lineage = lineage,
		.findings = findings, .lost = lost,
	};
	char path[] = "/tmp/test-index.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	char *buf;

	d.hdr = want;
	memcpy(d.hdr.magic, PS_INDEX_MAGIC, sizeof(d.hdr.magic));
	d.hdr.version = PS_INDEX_VERSION;
	d.hdr.hdr_size = sizeof(d.hdr);
	d.hdr.nr_folios = 3;
	d.hdr.nr_lineage = 1;
	d.hdr.nr_findings = 1;
	d.hdr.nr_lost = 1;
	d.hdr.nr_rules = 1;
	snprintf(d.hdr.rules[0].id, sizeof(d.hdr.rules[0].id), "%s",
		 "collapse-pinned");
	snprintf(d.hdr.kernel, sizeof(d.hdr.kernel), "6.1.0-test");
	if (fd < 0 || ps_index_write(fd, &d))
		return NULL;
	f = fopen(path, "r");
	unlink(path);
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*size = ftell(f);
	rewind(f);
	buf = malloc(*size);
	if (fread(buf, 1, *size, f) != *size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static bool check(char *buf, size_t size, struct ps_index *x)
{
	memset(x, 0, sizeof(*x));
	x->map = buf;
	x->map_size = size;
	return ps_index_check(x, &want);
}

static void test_intact_file_is_accepted(void)
{
	struct ps_index x;
	size_t size;
	char *buf = good_file(&size);
	u32 first;

	EXPECT_TRUE(buf);
	if (!buf)
		return;
	EXPECT_TRUE(check(buf, size, &x));
	EXPECT_EQ(ps_index_folio_at(&x, 0x1000, 9, 40), 0);
	EXPECT_EQ(ps_index_folio_at(&x, 0x1000, 0, 70), 1);
	EXPECT_EQ(ps_index_folio_at(&x, 0x1000, 0, 5), PS_INDEX_NONE);
	EXPECT_EQ(ps_index_lineage_of(&x, 1, &first), 1);
	EXPECT_EQ(x.lineage[first].parent, 0);
	EXPECT_EQ(ps_index_lost_between(&x, 60, 90), 3);
	free(buf);
}

/* Each damage, applied to a fresh copy of the good file. */
static void damage(int what, char *buf)
{
	struct ps_index_hdr *h = (struct ps_index_hdr *)buf;
	struct ps_index_folio *f = (void *)(buf + h->off_folios);
	u32 *p = (void *)(buf + h->off_by_pfn);
	struct ps_index_lineage *l = (void *)(buf + h->off_lineage);
	struct ps_index_finding *fi = (void *)(buf + h->off_findings);

	switch (what) {
	case 0: h->magic[0] = 'X'; break;
	case 1: h->version++; break;
	case 2: h->hdr_size--; break;
	case 3: h->src_mtime_ns++; break;	/* the recording changed */
	case 4: h->exe_size++; break;		/* another pagestate */
	case 5: h->nr_folios = PS_INDEX_NONE; break;
	case 6: h->off_folios += 4; break;	/* misaligned */
	case 7: h->off_findings = 1ull << 40; break;
	case 8: h->nr_lineage = ~0ull / 8; break;	/* size overflow */
	case 9: h->nr_events = PS_INDEX_EVENTS + 1; break;
	case 10: h->nr_rules = PS_INDEX_RULES + 1; break;
	case 11: p[1] = 3; break;
	case 12: f[2].order = PS_MAX_ORDER + 1; break;
	case 13: l->child = 3; break;
	case 14: l->parent = 7; break;
	case 15: fi->folio = 3; break;
	case 16: fi->kind = PS_OP_NR_KINDS; break;
	case 17: memset(fi->rule, 'a', sizeof(fi->rule)); break;
	case 18: memset(fi->what, 'a', sizeof(fi->what)); break;
	case 19: memset(h->rules[0].why_not, 'a',
			sizeof(h->rules[0].why_not)); break;
	case 20: memset(h->kernel, 'a', sizeof(h->kernel)); break;
	case 21: memset(h->cmd, 'a', sizeof(h->cmd)); break;
	case 22: h->nr_lost = 2; break;		/* past the end */
	}
}

#define NR_DAMAGES	23

static void test_every_damage_is_refused(void)
{
	size_t size;
	char *good = good_file(&size), *buf;
	struct ps_index x;
	int i;

	EXPECT_TRUE(good);
	if (!good)
		return;
	buf = malloc(size);
	for (i = 0; i < NR_DAMAGES; i++) {
		memcpy(buf, good, size);
		damage(i, buf);
		if (check(buf, size, &x)) {
			EXPECT_EQ(i, -1);	/* names the damage let through */
			break;
		}
	}
	free(buf);
	free(good);
}

static void test_truncated_file_is_refused(void)
{
	size_t size, n;
	char *good = good_file(&size), *buf;
	struct ps_index x;

	EXPECT_TRUE(good);
	if (!good)
		return;
	/* exactly n bytes, so that reading past them is ASan's to see */
	for (n = 0; n < size; n++) {
		buf = malloc(n ? n : 1);
		memcpy(buf, good, n);
		if (check(buf, n, &x)) {
			EXPECT_EQ(n, size);
			free(buf);
			break;
		}
		free(buf);
	}
	free(good);
}

int main(void)
{
	RUN(test_intact_file_is_accepted);
	RUN(test_every_damage_is_refused);
	RUN(test_truncated_file_is_refused);
	return UNIT_EXIT();
}
