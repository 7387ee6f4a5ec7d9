// SPDX-License-Identifier: GPL-2.0
/*
 * The ftrace text reader, see text.h.
 *
 * A line is `TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: FIELDS` (the trace
 * file and trace_pipe) or the same without FLAGS (`trace-cmd report`).
 * FIELDS is the event's print fmt filled in: we walk that fmt once per
 * event to learn which printed label belongs to which field and how it
 * was printed (hex, a __print_flags list, a __print_symbolic name), then
 * per line put each value back where the format says the kernel kept it.
 *
 * What text does not carry is left unknown: no file options, so no
 * per-CPU overrun counts (only the "[LOST N EVENTS]" lines the kernel
 * prints), no stacks to look up later, and snapshots or layout only when
 * the pagestate: marker lines were kept.  Lines we cannot read are
 * counted and named by file:line; they never stop the replay.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <trace-cmd/trace-cmd.h>
#include <traceevent/event-parse.h>

#include "pagestate/probes.h"
#include "pagestate/recording.h"
#include "pagestate/u64map.h"
#include "adapter.h"
#include "text.h"

#define LINE_MAX_LEN	16384	/* a logical line, wrapped pieces joined */
#define REC_MAX		(LINE_MAX_LEN + 64)
#define MAX_LABELS	32
#define MAX_CPUS	1024
#define SHOW_BAD	5
#define MAX_DECLARED	64	/* bad lines named one by one */

/*
 * L_CHARS: pagemap's "flags=%s%s%s%s%s%s", one letter per bit
 * (REC->flags & 0x1 ? "M" : " "): the value is the next nchars
 * characters, spaces included.
 */
enum label_kind { L_NUM, L_FLAGS, L_SYMBOL, L_CHARS };

#define MAX_CHARS	8

struct label {
	char name[48];
	int len;
	struct tep_format_field *field;
	enum label_kind kind;
	int base;			/* 0: by prefix, 16: bare hex */
	struct tep_print_flag_sym *syms;
	int nchars;
	struct { u64 mask; char ch; } chars[MAX_CHARS];
};

/* One event name seen in the text. */
struct txev {
	char name[64];
	struct tep_event *ev;
	struct label labels[MAX_LABELS];
	int nr_labels;
	int size;			/* record bytes before any string */
	bool print;			/* ftrace:print, buf is a string */
	bool made;			/* format made from the text itself */
	const struct ps_text_format *fmt;	/* bundled, parsed when seen */
	u64 count;
	struct txev *next;		/* hash chain */
};

#define HASH_SIZE	1024

struct ps_text {
	char *path;
	const char *map;
	size_t len;
	struct tep_handle *tep;
	struct txev *hash[HASH_SIZE];
	int next_id;
	struct ps_u64map pids;
	int max_cpu;

	/* the logical line being assembled */
	char line[LINE_MAX_LEN];
	size_t line_len;
	u64 line_no;		/* where it starts */
	size_t last_piece;	/* length of its last physical piece */
	size_t width;		/* the longest physical line, unquoted */
	bool is_wrapped;	/* by a mail client: pieces may continue */
	bool pending;

	/* counts of the first pass, reported once */
	u64 lines, events, joined, garbage, too_long, stack_lines;
	u64 unknown_events, lost_lines;
	u64 bad_line[SHOW_BAD];
	char bad_what[SHOW_BAD][48];
	int nr_bad;
	bool first_pass;

	char declared[MAX_DECLARED][64];	/* probes named by markers */
	int nr_declared;

	u64 missed[MAX_CPUS];
	bool missed_unknown[MAX_CPUS];
	unsigned char rec[REC_MAX] __attribute__((aligned(8)));
};

/* Kprobe events someone else named: their name -> ours (probes.h). */
static const struct { const char *from, *to; } probe_alias[] = {
	{ "page_add_anon_rmap", PS_PROBE_RMAP_ADD_ANON },
	{ "page_add_new_anon_rmap", PS_PROBE_RMAP_ADD_NEW_ANON },
	{ "page_remove_rmap", PS_PROBE_RMAP_REMOVE },
	{ "try_grab_folio", PS_PROBE_GUP_GRAB_FOLIO },
	{ "try_grab_page", PS_PROBE_GUP_GRAB_PAGE },
	{ "gup_put_folio", PS_PROBE_GUP_PUT_FOLIO },
	{ "unpin_user_page", PS_PROBE_UNPIN_USER_PAGE },
};

static unsigned int hash_name(const char *s, size_t n)
{
	unsigned int h = 5381;

	while (n--)
		h = h * 33 + (unsigned char)*s++;
	return h & (HASH_SIZE - 1);
}

static struct txev *find_txev(struct ps_text *x, const char *name, size_t n)
{
	struct txev *e;

	for (e = x->hash[hash_name(name, n)]; e; e = e->next)
		if (!strncmp(e->name, name, n) && !e->name[n])
			return e;
	return NULL;
}

static struct txev *add_txev(struct ps_text *x, const char *name,
			     struct tep_event *ev)
{
	struct txev *e = ps_xcalloc(1, sizeof(*e));
	unsigned int h = hash_name(name, strlen(name));

	snprintf(e->name, sizeof(e->name), "%s", name);
	e->ev = ev;
	e->next = x->hash[h];
	x->hash[h] = e;
	return e;
}

/* --- formats --------------------------------------------------------- */

static struct tep_event *parse_format(struct ps_text *x, const char *system,
				      const char *text)
{
	const char *id = strstr(text, "\nID: ");
	const char *rest = id ? strchr(id + 1, '\n') : NULL;
	struct tep_event *ev = NULL;
	char *buf;
	int n, evid = x->next_id++;

	if (!rest)
		return NULL;
	/* IDs are per kernel and collide across our sources: number anew */
	n = asprintf(&buf, "%.*s\nID: %d%s", (int)(id - text), text, evid,
		     rest);
	if (n < 0)
		return NULL;
	if (tep_parse_event(x->tep, buf, n, system) == 0)
		ev = tep_find_event(x->tep, evid);
	free(buf);
	return ev;
}

/* The field an argument of the print fmt prints, with its flag or
 * symbol table when it is printed by name. */
static const char *arg_field(struct tep_print_arg *arg, enum label_kind *kind,
			     struct tep_print_flag_sym **syms, bool top)
{
	const char *f;

	if (!arg)
		return NULL;
	switch (arg->type) {
	case TEP_PRINT_FIELD:
		return top ? arg->field.name : NULL;
	case TEP_PRINT_FLAGS:
		*kind = L_FLAGS;
		*syms = arg->flags.flags;
		return arg_field(arg->flags.field, kind, syms, true) ?:
		       arg_field(arg->flags.field, kind, syms, false);
	case TEP_PRINT_SYMBOL:
		*kind = L_SYMBOL;
		*syms = arg->symbol.symbols;
		return arg_field(arg->symbol.field, kind, syms, true);
	case TEP_PRINT_TYPE:
		return arg_field(arg->typecast.item, kind, syms, top);
	case TEP_PRINT_OP:
		/* "REC->flags & mask", or "x ? __print_flags(..) : none" */
		if (!strcmp(arg->op.op, "&") && !top)
			return arg_field(arg->op.left, kind, syms, true);
		f = arg_field(arg->op.left, kind, syms, false);
		if (!f)
			f = arg_field(arg->op.right, kind, syms, false);
		return f;
	default:
		return NULL;
	}
}

/*
 * Only fields an adapter reads are worth parsing back: the rest of the
 * line (gfp_flags, the page pointer, ...) is skipped, which keeps the
 * reader fast.
 */
static bool adapter_reads(const struct txev *e, const char *field)
{
	const struct ps_adapter *tables[] = { ps_adapters, ps_kprobe_adapters };
	const struct ps_adapter *a;
	size_t t;
	int i;

	for (t = 0; t < ARRAY_SIZE(tables); t++)
		for (a = tables[t]; a->name; a++) {
			if (strcmp(a->name, e->ev->name) ||
			    strcmp(a->system, e->ev->system))
				continue;
			for (i = 0; i < PS_ADAPTER_FIELDS && a->fields[i]; i++)
				if (!strcmp(a->fields[i], field))
					return true;
		}
	return false;
}

static void add_label(struct txev *e, const char *name, const char *field,
		      enum label_kind kind, struct tep_print_flag_sym *syms,
		      int base)
{
	struct tep_format_field *f;
	struct label *l;
	int i;

	if (!field || e->nr_labels == MAX_LABELS || !adapter_reads(e, field))
		return;
	for (i = 0; i < e->nr_labels; i++)
		if (!strcmp(e->labels[i].name, name))
			return;
	f = tep_find_field(e->ev, field);
	if (!f || f->size <= 0 || f->size > 8 ||
	    (f->flags & TEP_FIELD_IS_ARRAY))
		return;
	l = &e->labels[e->nr_labels++];
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->len = strlen(l->name);
	l->field = f;
	l->kind = kind;
	l->syms = syms;
	l->base = base;
}

/* "REC->f & 0x1 ? "M" : " "": field f, mask and the letter for set */
static const char *char_flag(struct tep_print_arg *arg, u64 *mask, char *ch)
{
	struct tep_print_arg *cond, *alt;

	if (!arg || arg->type != TEP_PRINT_OP || strcmp(arg->op.op, "?"))
		return NULL;
	cond = arg->op.left;
	alt = arg->op.right;
	if (!cond || cond->type != TEP_PRINT_OP || strcmp(cond->op.op, "&") ||
	    !cond->op.left || cond->op.left->type != TEP_PRINT_FIELD ||
	    !cond->op.right || cond->op.right->type != TEP_PRINT_ATOM ||
	    !alt || alt->type != TEP_PRINT_OP || !alt->op.left ||
	    alt->op.left->type != TEP_PRINT_ATOM ||
	    strlen(alt->op.left->atom.atom) != 1)
		return NULL;
	*mask = strtoull(cond->op.right->atom.atom, NULL, 0);
	*ch = alt->op.left->atom.atom[0];
	return cond->op.left->field.name;
}

/* After "label=": "%s%s%s" of char_flag()s; returns the args used. */
static int map_chars(struct txev *e, const char *label, const char *p,
		     struct tep_print_arg *arg)
{
	struct label l = { .kind = L_CHARS };
	const char *field = NULL, *f;
	int n = 0, i;

	while (arg && !strncmp(p, "%s", 2) && n < MAX_CHARS) {
		f = char_flag(arg, &l.chars[n].mask, &l.chars[n].ch);
		if (!f || (field && strcmp(f, field)))
			break;
		field = f;
		n++;
		p += 2;
		arg = arg->next;
	}
	if (n < 2)
		return 0;
	for (i = 0; i < e->nr_labels; i++)
		if (!strcmp(e->labels[i].name, label))
			return n;
	l.field = tep_find_field(e->ev, field);
	if (!l.field || l.field->size > 8 || e->nr_labels == MAX_LABELS ||
	    !adapter_reads(e, field))
		return n;
	snprintf(l.name, sizeof(l.name), "%s", label);
	l.len = strlen(l.name);
	l.nchars = n;
	e->labels[e->nr_labels++] = l;
	return n;
}

/* Walks "label=0x%lx label2=%s" beside its argument list. */
static void map_labels(struct txev *e)
{
	const char *fmt = e->ev->print_fmt.format, *p = fmt;
	struct tep_print_arg *arg = e->ev->print_fmt.args;
	struct tep_format_field **fields, *f;
	int i;

	while (p && (p = strchr(p, '%'))) {
		const char *q = p, *s;
		char label[48] = "";
		enum label_kind kind = L_NUM;
		struct tep_print_flag_sym *syms = NULL;
		bool hex_prefix = false;
		char conv;

		if (p[1] == '%') {
			p += 2;
			continue;
		}
		if (q > fmt && q[-1] == '=' && p[1] == 's' && arg) {
			int used;

			for (s = q - 1; s > fmt && (isalnum((unsigned char)s[-1]) ||
						    s[-1] == '_'); s--)
				;
			snprintf(label, sizeof(label), "%.*s",
				 (int)(q - 1 - s), s);
			used = map_chars(e, label, p, arg);
			if (used) {
				p += 2 * used;
				while (used-- && arg)
					arg = arg->next;
				continue;
			}
			label[0] = '\0';
		}
		if (q - fmt >= 2 && q[-2] == '0' && q[-1] == 'x') {
			q -= 2;
			hex_prefix = true;
		}
		if (q > fmt && q[-1] == '=') {
			for (s = q - 1; s > fmt && (isalnum((unsigned char)s[-1]) ||
						    s[-1] == '_'); s--)
				;
			if (q - 1 - s < (int)sizeof(label))
				snprintf(label, sizeof(label), "%.*s",
					 (int)(q - 1 - s), s);
		}
		for (p++; *p && strchr("0123456789.-+ #lhLzjt", *p); p++)
			;
		conv = *p;
		if (conv)
			p++;
		if (label[0] && arg) {
			const char *field = arg_field(arg, &kind, &syms, true);

			add_label(e, label, field, kind, syms,
				  (strchr("xXp", conv) && !hex_prefix) ? 16 : 0);
		}
		if (arg)
			arg = arg->next;
	}
	/* a label printed under the field's own name: trust it too */
	fields = tep_event_fields(e->ev);
	for (i = 0; fields && (f = fields[i]); i++)
		add_label(e, f->name, f->name, L_NUM, NULL, 0);
	free(fields);
}

static int record_size(struct tep_event *ev)
{
	struct tep_format_field **fields = tep_event_fields(ev), *f;
	int i, size = 8;

	for (i = 0; fields && (f = fields[i]); i++)
		if (f->offset + f->size > size)
			size = f->offset + f->size;
	free(fields);
	return size;
}

/*
 * Only events the text shows (or its pagestate: markers say were
 * recorded) join the tep_handle: what a recording tracks follows from
 * the events it has, as for a trace.dat.
 */
static void load_bundled(struct ps_text *x)
{
	const struct ps_text_format *tf;

	for (tf = ps_text_formats; tf->name; tf++)
		add_txev(x, tf->name, NULL)->fmt = tf;
}

static bool define_bundled(struct ps_text *x, struct txev *e)
{
	const struct ps_text_format *tf = e->fmt;

	e->fmt = NULL;
	e->ev = parse_format(x, tf->system, tf->text);
	if (!e->ev)
		return false;
	e->print = !strcmp(tf->system, "ftrace") && !strcmp(tf->name, "print");
	e->size = record_size(e->ev);
	map_labels(e);
	return true;
}

/* --- lines ----------------------------------------------------------- */

struct tline {
	const char *comm;
	int comm_len;
	int pid;
	int cpu;
	u64 ts;
	const char *event;
	int event_len;
	const char *body;
};

static const char *skip_sp(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static bool parse_u(const char **sp, u64 *v)
{
	const char *s = *sp;
	u64 n = 0;

	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s))
		n = n * 10 + (*s++ - '0');
	*v = n;
	*sp = s;
	return true;
}

/* "4.256697:" -> ns, any number of fraction digits */
static bool parse_ts(const char **sp, u64 *ts)
{
	const char *s = *sp;
	u64 sec, frac = 0;
	int digits = 0;

	if (!parse_u(&s, &sec) || *s != '.')
		return false;
	for (s++; isdigit((unsigned char)*s); s++)
		if (digits++ < 9)
			frac = frac * 10 + (*s - '0');
	if (*s != ':' || !digits)
		return false;
	while (digits++ < 9)
		frac *= 10;
	*ts = sec * 1000000000ull + frac;
	*sp = s + 1;
	return true;
}

/*
 * The header of an event line; false when this is not one.  With
 * start_only, true as soon as "TASK-PID [CPU]" is read: a wrapped
 * line's first piece.
 */
static bool parse_header_at(const char *s, struct tline *l, bool start_only)
{
	const char *b = s, *p, *dash;
	u64 v;

	/* "[CPU]" after "TASK-PID" and spaces; TASK may hold anything */
	for (;;) {
		b = strchr(b, '[');
		if (!b)
			return false;
		p = b + 1;
		if (b > s && (b[-1] == ' ') && parse_u(&p, &v) && *p == ']')
			break;
		b++;
	}
	l->cpu = (int)v;
	p++;
	/* back from '[' over spaces and an optional "(TGID)" to TASK-PID */
	dash = b;
	while (dash > s && dash[-1] == ' ')
		dash--;
	if (dash > s && dash[-1] == ')') {
		while (dash > s && dash[-1] != '(')
			dash--;
		if (dash > s)
			dash--;
		while (dash > s && dash[-1] == ' ')
			dash--;
	}
	{
		const char *end = dash, *d = dash, *c;

		while (d > s && isdigit((unsigned char)d[-1]))
			d--;
		if (d == end || d == s || d[-1] != '-')
			return false;
		l->pid = atoi(d);
		s = skip_sp(s);
		/* trace-cmd report names the buffer instance first: "inst: " */
		for (c = s; c < d; c++)
			if (c[0] == ':' && c[1] == ' ')
				s = skip_sp(c + 1);
		l->comm = s;
		l->comm_len = (int)(d - 1 - s);
		if (l->comm_len < 0)
			return false;
	}
	if (start_only)
		return true;
	/* optional FLAGS ("d..2.") then TIMESTAMP: */
	p = skip_sp(p);
	if (!parse_ts(&p, &l->ts)) {
		while (*p && *p != ' ')
			p++;
		p = skip_sp(p);
		if (!parse_ts(&p, &l->ts))
			return false;
	}
	p = skip_sp(p);
	l->event = p;
	while (*p && *p != ':' && *p != ' ')
		p++;
	if (*p != ':' || p == l->event)
		return false;
	l->event_len = (int)(p - l->event);
	l->body = skip_sp(p + 1);
	return true;
}

static bool parse_header(const char *s, struct tline *l)
{
	return parse_header_at(s, l, false);
}

static void note_bad(struct ps_text *x, u64 line_no, const char *what)
{
	x->garbage++;
	if (x->nr_bad < SHOW_BAD) {
		x->bad_line[x->nr_bad] = line_no;
		snprintf(x->bad_what[x->nr_bad], sizeof(x->bad_what[0]), "%s",
			 what);
		x->nr_bad++;
	}
}

/* Lines of the trace file's header, trace-cmd's, and kernel notes. */
static bool known_non_event(struct ps_text *x, const char *s)
{
	const char *p;
	u64 cpu, n;

	s = skip_sp(s);
	if (!*s || *s == '#')
		return true;
	if (!strncmp(s, "=>", 2) || !strcmp(s, "<stack trace>") ||
	    !strncmp(s, "<user stack trace>", 18)) {
		x->stack_lines += x->first_pass;
		return true;
	}
	if (!strncmp(s, "cpus=", 5) || !strncmp(s, "version =", 9) ||
	    !strncmp(s, "CPU ", 4) || !strncmp(s, "trace-cmd:", 10))
		return true;
	/*
	 * Events the ring buffer lost, attached to the cpu's next record as
	 * the ring buffer does: "CPU:1 [LOST 123 EVENTS]" (the kernel's
	 * trace_pipe), "CPU:1 [123 EVENTS DROPPED]" (trace-cmd report), or
	 * "CPU:1 [EVENTS DROPPED]" when the buffer could not say how many.
	 */
	p = s;
	if (!strncmp(p, "CPU:", 4)) {
		p += 4;
		if (!parse_u(&p, &cpu) || cpu >= MAX_CPUS ||
		    strncmp(p, " [", 2))
			return true;
		p += 2;
		if (!strcmp(p, "EVENTS DROPPED]")) {
			x->missed_unknown[cpu] |= !x->first_pass;
		} else if (!strncmp(p, "LOST ", 5)) {
			p += 5;
			if (parse_u(&p, &n) && !x->first_pass)
				x->missed[cpu] += n;
		} else if (parse_u(&p, &n) &&
			   !strcmp(p, " EVENTS DROPPED]")) {
			if (!x->first_pass)
				x->missed[cpu] += n;
		} else {
			return true;
		}
		x->lost_lines += x->first_pass;
		return true;
	}
	return false;
}

/* --- records --------------------------------------------------------- */

static void put_field(struct ps_text *x, struct tep_format_field *f, u64 v)
{
	/* little-endian hosts only write the low bytes; see ps_text_open */
	if (f->offset >= 0 && f->offset + f->size <= REC_MAX)
		memcpy(x->rec + f->offset, &v, f->size);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A printed number: 0x hex, bare hex (base 16), decimal, -decimal,
 * "(nil)"; digits past the first non-digit are ignored. */
static u64 parse_num(const char *s, int len, int base)
{
	bool neg = false;
	u64 v = 0;
	int i = 0, d;

	if (len > 0 && s[0] == '-') {
		neg = true;
		i++;
	}
	if (len - i > 2 && s[i] == '0' && (s[i + 1] | 0x20) == 'x') {
		base = 16;
		i += 2;
	}
	if (base == 16) {
		for (; i < len && (d = hexval(s[i])) >= 0; i++)
			v = v << 4 | d;
	} else {
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			v = v * 10 + (s[i] - '0');
	}
	return neg ? -v : v;
}

static bool sym_is(const struct tep_print_flag_sym *sym, const char *s,
		   int len)
{
	return !strncmp(sym->str, s, len) && !sym->str[len];
}

static u64 parse_value(const struct label *l, const char *s, int len)
{
	const struct tep_print_flag_sym *sym;
	u64 v = 0;

	if (l->kind == L_NUM || isdigit((unsigned char)*s) || *s == '-')
		return parse_num(s, len, l->base);
	if (l->kind == L_SYMBOL) {
		for (sym = l->syms; sym; sym = sym->next)
			if (sym_is(sym, s, len))
				return strtoull(sym->value, NULL, 0);
		return 0;
	}
	/* "lru|head|anon": OR of the names' values */
	while (len > 0) {
		int n = 0;

		while (n < len && s[n] != '|')
			n++;
		for (sym = l->syms; sym; sym = sym->next)
			if (sym_is(sym, s, n))
				v |= strtoull(sym->value, NULL, 0);
		s += n + 1;
		len -= n + 1;
	}
	return v;
}

static const struct label *find_label(const struct txev *e, const char *s,
				      int len)
{
	int i;

	for (i = 0; i < e->nr_labels; i++)
		if (e->labels[i].len == len && e->labels[i].name[0] == *s &&
		    !memcmp(e->labels[i].name, s, len))
			return &e->labels[i];
	return NULL;
}

/* Kprobe bodies start with "(ip)" or "(func <- ret)": skip it. */
static const char *skip_probe_ip(const char *s)
{
	const char *p;

	if (*s != '(')
		return s;
	p = strchr(s, ')');
	return p ? skip_sp(p + 1) : s;
}

/* Calls fn(label, len, value, len) for each "label=value" of body. */
static void for_each_pair(const char *body,
			  void (*fn)(void *d, const char *k, int kl,
				     const char *v, int vl), void *d)
{
	const char *p = skip_probe_ip(body);

	while (*p) {
		const char *k = p, *v;
		int kl, vl;

		while (*p && *p != '=' && *p != ' ' && *p != ',')
			p++;
		if (*p != '=') {
			while (*p == ' ' || *p == ',')
				p++;
			if (p == k)
				p++;
			continue;
		}
		kl = (int)(p - k);
		v = ++p;
		if (*p == '"') {
			p = strchr(p + 1, '"');
			p = p ? p + 1 : v + strlen(v);
		}
		while (*p && *p != ' ' && *p != ',')
			p++;
		vl = (int)(p - v);
		fn(d, k, kl, v, vl);
		while (*p == ' ' || *p == ',')
			p++;
	}
}

struct fill {
	struct ps_text *x;
	const struct txev *e;
};

static void fill_pair(void *d, const char *k, int kl, const char *v, int vl)
{
	struct fill *fl = d;
	const struct label *l = find_label(fl->e, k, kl);
	u64 bits = 0;
	int i;

	if (l && l->kind == L_CHARS) {
		/* a mail client may have eaten trailing blanks: stop at NUL */
		for (i = 0; i < l->nchars && v[i]; i++)
			if (v[i] == l->chars[i].ch)
				bits |= l->chars[i].mask;
		put_field(fl->x, l->field, bits);
		return;
	}
	if (l && vl > 0 && *v != '"')
		put_field(fl->x, l->field, parse_value(l, v, vl));
}

/* ftrace:print: buf holds the string from "pagestate: " on */
static int fill_print(struct ps_text *x, const struct txev *e,
		      const char *body)
{
	struct tep_format_field *f = tep_find_field(e->ev, "buf");
	const char *m = strstr(body, PS_MARK_PREFIX);
	size_t n;

	if (!f)
		return e->size;
	if (!m)
		m = body;
	n = strlen(m);
	if (f->offset + n + 2 > REC_MAX)
		n = REC_MAX - f->offset - 2;
	memcpy(x->rec + f->offset, m, n);
	x->rec[f->offset + n] = '\n';
	x->rec[f->offset + n + 1] = '\0';
	return f->offset + (int)n + 2;
}

/* --- events we have no format for ------------------------------------ */

struct made {
	char *fields;
	size_t flen;
	int off;
	int n;
	char seen[MAX_LABELS][48];
};

static void made_pair(void *d, const char *k, int kl, const char *v, int vl)
{
	struct made *m = d;
	char line[160];
	int i, n;

	if (m->n == MAX_LABELS - 2 || kl <= 0 || kl >= 48)
		return;
	for (i = 0; i < kl; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '_')
			return;
	for (i = 0; i < m->n; i++)
		if (!strncmp(m->seen[i], k, kl) && !m->seen[i][kl])
			return;
	snprintf(m->seen[m->n++], 48, "%.*s", kl, k);
	n = snprintf(line, sizeof(line),
		     "\tfield:u64 %.*s;\toffset:%d;\tsize:8;\tsigned:0;\n",
		     kl, k, m->off);
	m->fields = ps_xrealloc(m->fields, m->flen + n + 1);
	memcpy(m->fields + m->flen, line, n + 1);
	m->flen += n;
	m->off += 8;
}

/*
 * A kprobe (body "(ip) a=1 b=0x2") or an event we have no format for: a
 * format with one u64 per label of its first line, in the kprobe group
 * for probes so that the kprobe adapters find theirs.
 */
static struct txev *make_event(struct ps_text *x, const char *name,
			       const char *body)
{
	bool probe = *body == '(';
	struct made m = { .off = probe ? 16 : 8 };
	struct tep_event *ev;
	struct txev *e;
	char *text;
	int n;

	m.fields = ps_xstrdup(probe ?
		"\tfield:unsigned long __probe_ip;\toffset:8;\tsize:8;\t"
		"signed:0;\n" : "");
	m.flen = strlen(m.fields);
	for_each_pair(body, made_pair, &m);
	n = asprintf(&text, "name: %s\nID: 0\nformat:\n"
		     "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
		     "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
		     "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
		     "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
		     "\n%s\nprint fmt: \"%s\"\n", name, m.fields,
		     probe ? "(%lx)\", REC->__probe_ip, \"" : "");
	free(m.fields);
	if (n < 0)
		return NULL;
	ev = parse_format(x, probe ? PS_PROBE_GROUP : "unknown", text);
	free(text);
	if (!ev)
		return NULL;
	e = add_txev(x, name, ev);
	e->made = true;
	e->size = record_size(ev);
	map_labels(e);
	if (!probe)
		x->unknown_events++;
	return e;
}

/* --probe-map: the user's names first */
static struct { char from[64], to[64]; } *user_alias;
static int nr_user_alias;

static bool is_our_probe(const char *name)
{
	const struct ps_adapter *a;

	for (a = ps_kprobe_adapters; a->name; a++)
		if (!strcmp(a->name, name))
			return true;
	return false;
}

int ps_trace_set_probe_map(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256], from[64], to[64], extra[8];
	int no = 0, n;

	if (!f)
		return ps_error("%s: %m", path);
	while (fgets(line, sizeof(line), f)) {
		no++;
		line[strcspn(line, "#")] = '\0';
		n = sscanf(line, "%63s %63s %7s", from, to, extra);
		if (n <= 0)
			continue;
		if (n != 2) {
			fclose(f);
			return ps_error("%s:%d: want 'THEIR_EVENT OUR_PROBE'",
					path, no);
		}
		if (!is_our_probe(to)) {
			fclose(f);
			return ps_error("%s:%d: '%s' is not one of pagestate's "
					"kprobe events (include/pagestate/"
					"probes.h)", path, no, to);
		}
		user_alias = ps_xrealloc(user_alias, (nr_user_alias + 1) *
					 sizeof(*user_alias));
		snprintf(user_alias[nr_user_alias].from, 64, "%s", from);
		snprintf(user_alias[nr_user_alias].to, 64, "%s", to);
		nr_user_alias++;
	}
	fclose(f);
	return 0;
}

static const char *alias(const char *name)
{
	size_t i;
	int u;

	for (u = 0; u < nr_user_alias; u++)
		if (!strcmp(user_alias[u].from, name))
			return user_alias[u].to;
	for (i = 0; i < ARRAY_SIZE(probe_alias); i++)
		if (!strcmp(probe_alias[i].from, name))
			return probe_alias[i].to;
	return name;
}

static struct txev *lookup(struct ps_text *x, const struct tline *l)
{
	struct txev *e = find_txev(x, l->event, l->event_len);
	char orig[64];
	const char *name;
	struct txev *a;

	if (e && !e->ev && e->fmt && x->first_pass)
		define_bundled(x, e);
	if (e)
		return e->ev ? e : NULL;
	if (!x->first_pass || l->event_len >= (int)sizeof(orig))
		return NULL;
	snprintf(orig, sizeof(orig), "%.*s", l->event_len, l->event);
	name = alias(orig);
	e = name != orig ? find_txev(x, name, strlen(name)) : NULL;
	if (!e)
		e = make_event(x, name, l->body);
	if (!e || name == orig)
		return e;
	/* their name -> our event */
	a = add_txev(x, orig, e->ev);
	memcpy(a->labels, e->labels, sizeof(a->labels));
	a->nr_labels = e->nr_labels;
	a->size = e->size;
	a->print = e->print;
	a->made = e->made;
	return a;
}

/*
 * "pagestate: event SYSTEM:NAME" says the recorder enabled the event: it
 * is part of the recording even if it never fired, and a count is
 * tracked only when every event that changes it was recorded.
 */
static void note_declared(struct ps_text *x, const char *body)
{
	const char *m = strstr(body, PS_MARK_PREFIX "event ");
	const char *sys, *colon;
	char name[64];
	struct txev *e;

	if (!m)
		return;
	sys = m + strlen(PS_MARK_PREFIX "event ");
	colon = strchr(sys, ':');
	if (!colon || strlen(colon + 1) >= sizeof(name))
		return;
	snprintf(name, sizeof(name), "%s", colon + 1);
	name[strcspn(name, " \n")] = '\0';
	e = find_txev(x, name, strlen(name));
	if (e && !e->ev && e->fmt)
		define_bundled(x, e);
	else if (!e && colon - sys == (int)strlen(PS_PROBE_GROUP) &&
		 !strncmp(sys, PS_PROBE_GROUP, colon - sys) &&
		 x->nr_declared < MAX_DECLARED)
		/* its fields come from its first line, if it has one */
		snprintf(x->declared[x->nr_declared++], 64, "%s", name);
}

static void define_declared(struct ps_text *x)
{
	int i;

	for (i = 0; i < x->nr_declared; i++)
		if (!find_txev(x, x->declared[i], strlen(x->declared[i])))
			make_event(x, x->declared[i], "()");
}

/* --- the two passes -------------------------------------------------- */

typedef int (*rec_fn)(struct tracecmd_input *handle, struct tep_record *rec,
		      int cpu, void *data);

static int emit_line(struct ps_text *x, rec_fn fn, void *data)
{
	struct tline l;
	struct txev *e;
	struct tep_record rec;
	struct fill fl;
	int size;

	x->line[x->line_len] = '\0';
	if (!parse_header(x->line, &l)) {
		if (!known_non_event(x, x->line) && x->first_pass)
			note_bad(x, x->line_no, "not an ftrace event line");
		return 0;
	}
	if (l.cpu < 0 || l.cpu >= MAX_CPUS) {
		if (x->first_pass)
			note_bad(x, x->line_no, "cpu out of range");
		return 0;
	}
	e = lookup(x, &l);
	if (!e) {
		if (x->first_pass)
			note_bad(x, x->line_no, "event name unreadable");
		return 0;
	}
	if (x->first_pass) {
		u64 *seen = ps_u64map_put(&x->pids, (u64)l.pid);

		if (!*seen && l.comm_len > 0 && l.comm_len < 64) {
			char comm[64];

			*seen = 1;
			snprintf(comm, sizeof(comm), "%.*s", l.comm_len,
				 l.comm);
			tep_register_comm(x->tep, comm, l.pid);
		}
		if (l.cpu > x->max_cpu)
			x->max_cpu = l.cpu;
		if (e->print)
			note_declared(x, l.body);
		x->events++;
		e->count++;
		return 0;
	}
	memset(x->rec, 0, e->size);
	size = e->size;
	if (e->print) {
		size = fill_print(x, e, l.body);
	} else {
		fl.x = x;
		fl.e = e;
		for_each_pair(l.body, fill_pair, &fl);
	}
	memcpy(x->rec, &(uint16_t){ (uint16_t)e->ev->id }, 2);
	memcpy(x->rec + 4, &(int32_t){ l.pid }, 4);
	memset(&rec, 0, sizeof(rec));
	rec.ts = l.ts;
	rec.offset = x->line_no;
	rec.cpu = l.cpu;
	rec.size = size;
	rec.data = x->rec;
	rec.missed_events = x->missed[l.cpu] ? (long long)x->missed[l.cpu] :
			    x->missed_unknown[l.cpu] ? -1 : 0;
	x->missed[l.cpu] = 0;
	x->missed_unknown[l.cpu] = false;
	return fn(NULL, &rec, l.cpu, data);
}

/* Drops mail quoting: "> ", ">> ", "> > " */
static const char *unquote(const char *s, const char *end)
{
	while (s < end && *s == '>') {
		s++;
		if (s < end && *s == ' ')
			s++;
	}
	return s;
}

static bool looks_like_header(const char *s, size_t n)
{
	char buf[256];
	struct tline l;

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return parse_header_at(buf, &l, true);
}

/*
 * Did a wrapper break the line before this piece?  It did if the last
 * piece kept the blank it broke at, or if this piece's first word would
 * not have fitted after it in any width mail uses (64 and up).
 */
static bool wrapped(const struct ps_text *x, const char *s, size_t n)
{
	size_t w = 0;

	if (x->line_len && x->line[x->line_len - 1] == ' ')
		return true;
	while (w < n && s[w] != ' ')
		w++;
	return x->last_piece + 1 + w > 64;
}

/*
 * Wrapped lines: a mail client breaks a long line at a space, so a piece
 * that is not an event line itself, following a long piece, continues
 * it.  Everything else stands alone.
 */
static int walk(struct ps_text *x, rec_fn fn, void *data)
{
	const char *p = x->map, *end = x->map + x->len;
	u64 no = 0;
	int ret = 0;

	x->pending = false;
	while (p < end && !ret) {
		const char *nl = memchr(p, '\n', end - p);
		const char *le = nl ? nl : end, *s;
		size_t n;

		no++;
		s = unquote(p, le);
		n = le - s;
		if (n && s[n - 1] == '\r')
			n--;
		p = nl ? nl + 1 : end;
		if (x->pending && x->is_wrapped && n && *s != ' ' &&
		    *s != '#' &&
		    wrapped(x, s, n) && !looks_like_header(s, n)) {
			if (x->line_len + 1 + n < sizeof(x->line)) {
				/*
				 * A break at a blank keeps it or eats it; a
				 * piece as long as the longest line was cut
				 * inside a word (a snapshot's page list).
				 */
				if (x->line_len &&
				    x->line[x->line_len - 1] != ' ' &&
				    x->last_piece < x->width)
					x->line[x->line_len++] = ' ';
				memcpy(x->line + x->line_len, s, n);
				x->line_len += n;
			}
			x->last_piece = n;
			if (x->first_pass)
				x->joined++;
			continue;
		}
		if (x->pending)
			ret = emit_line(x, fn, data);
		if (n >= sizeof(x->line)) {
			if (x->first_pass) {
				x->too_long++;
				note_bad(x, no, "line too long");
			}
			x->pending = false;
			continue;
		}
		memcpy(x->line, s, n);
		x->line_len = n;
		x->line_no = no;
		x->last_piece = n;
		x->pending = true;
	}
	if (x->pending && !ret)
		ret = emit_line(x, fn, data);
	x->pending = false;
	if (x->first_pass)
		x->lines = no;
	return ret;
}

/*
 * The wrap width: the longest line.  A file is wrapped only if no line
 * much longer than a mail's has a blank past the mark (a wrapper breaks
 * at blanks; only unbroken words stay long); trace-cmd report's own
 * lines are longer, and then no line continues another.
 */
static size_t measure_width(const struct ps_text *x, bool *wrapped)
{
	const char *p = x->map, *end = x->map + x->len;
	size_t w = 0;

	*wrapped = true;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *le = nl ? nl : end;
		const char *s = unquote(p, le);

		while (le > s && (le[-1] == ' ' || le[-1] == '\r'))
			le--;
		if ((size_t)(le - s) > w)
			w = le - s;
		if (le - s > 100 && memchr(s + 100, ' ', le - s - 100))
			*wrapped = false;
		p = nl ? nl + 1 : end;
	}
	return w;
}

bool ps_text_detect(const char *path)
{
	static const char magic[] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c' };
	char buf[4096];
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return false;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return false;
	if (n >= (ssize_t)sizeof(magic) && !memcmp(buf, magic, sizeof(magic)))
		return false;
	return !memchr(buf, '\0', n);
}

static void report(struct ps_text *x)
{
	int i;
	struct txev *e;

	for (i = 0; i < x->nr_bad; i++)
		ps_warn("%s:%llu: %s, skipped", x->path,
			(unsigned long long)x->bad_line[i], x->bad_what[i]);
	if (x->garbage > SHOW_BAD)
		ps_warn("%s: %llu unreadable lines in all, skipped", x->path,
			(unsigned long long)x->garbage);
	if (x->unknown_events) {
		for (i = 0; i < HASH_SIZE; i++)
			for (e = x->hash[i]; e; e = e->next)
				if (e->made && e->count &&
				    strcmp(e->ev->system, PS_PROBE_GROUP))
					ps_warn("%s: %llu %s events: format "
						"unknown, read as name=value",
						x->path,
						(unsigned long long)e->count,
						e->name);
	}
}

struct ps_text *ps_text_open(const char *path, struct tep_handle **tep,
			     int *nr_cpus)
{
	struct ps_text *x;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		ps_error("%s: %s", path, strerror(errno));
		return NULL;
	}
	x = ps_xcalloc(1, sizeof(*x));
	x->path = ps_xstrdup(path);
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		x->len = st.st_size;
		x->map = mmap(NULL, x->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (x->map == MAP_FAILED)
			x->map = NULL;
	}
	close(fd);
	if (!x->map) {
		ps_error("%s: cannot read the file", path);
		ps_text_close(x);
		return NULL;
	}
	x->tep = tep_alloc();
	tep_set_long_size(x->tep, 8);
	tep_set_page_size(x->tep, 4096);
	/* records are built in host order; the reader reads them in place */
	tep_set_file_bigendian(x->tep, tep_is_local_bigendian(x->tep));
	x->next_id = 1;
	load_bundled(x);
	x->width = measure_width(x, &x->is_wrapped);
	x->first_pass = true;
	walk(x, NULL, NULL);
	define_declared(x);
	x->first_pass = false;
	memset(x->missed, 0, sizeof(x->missed));
	memset(x->missed_unknown, 0, sizeof(x->missed_unknown));
	report(x);
	if (!x->events) {
		ps_error("%s: not a trace.dat file, and no ftrace event lines "
			 "in its %llu lines of text (TASK-PID [CPU] TIME: "
			 "EVENT: FIELDS)", path, (unsigned long long)x->lines);
		ps_text_close(x);
		return NULL;
	}
	*tep = x->tep;
	*nr_cpus = x->max_cpu + 1;
	return x;
}

int ps_text_iterate(struct ps_text *x, rec_fn fn, void *data)
{
	walk(x, fn, data);
	return 0;
}

void ps_text_close(struct ps_text *x)
{
	struct txev *e, *next;
	int i;

	if (!x)
		return;
	for (i = 0; i < HASH_SIZE; i++)
		for (e = x->hash[i]; e; e = next) {
			next = e->next;
			free(e);
		}
	if (x->map)
		munmap((void *)x->map, x->len);
	if (x->tep)
		tep_free(x->tep);
	ps_u64map_free(&x->pids);
	free(x->path);
	free(x);
}
