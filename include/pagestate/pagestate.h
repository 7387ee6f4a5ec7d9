/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Things every stage of pagestate shares: exit codes, error reporting and
 * the option parser.  Kept small on purpose; a stage's own types live in
 * its own header (pageop.h, folio.h, trace.h, recording.h).  The layers
 * and which header belongs to which are in doc/design.md.
 */
#ifndef PAGESTATE_H
#define PAGESTATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGESTATE_VERSION "0.1"

/* Exit status of every subcommand, as doc/design.md promises. */
enum ps_exit {
	PS_EXIT_OK = 0,		/* clean */
	PS_EXIT_FINDINGS = 1,	/* check/report found a break */
	PS_EXIT_USAGE = 2,	/* bad usage, bad input, missing capability */
};

typedef uint64_t u64;
typedef int64_t s64;
typedef uint32_t u32;
typedef int32_t s32;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * "pagestate: error: ..." on stderr.  Callers name the file and position.
 * Returns -1, so that a failing function can `return ps_error(...)`.
 */
int ps_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ps_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ps_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* For "cannot happen": prints and exits 2, never abort()s. */
void ps_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* Quiet ps_info() (record -q, tests). */
extern int ps_quiet;

void *ps_xmalloc(size_t size);
void *ps_xcalloc(size_t nmemb, size_t size);
void *ps_xrealloc(void *ptr, size_t size);
char *ps_xstrdup(const char *s);

/* Parse a number in C syntax (0x.., decimal); -1 on junk. */
int ps_parse_u64(const char *s, u64 *out);

/*
 * git-style option table.  Options may appear before or after positional
 * arguments; "--" ends options and everything after it is positional (the
 * workload command of `record`).  A PS_OPT_STRING_LIST appends to a
 * struct ps_strlist.
 */
enum ps_opt_type {
	PS_OPT_END,
	PS_OPT_BOOL,		/* int *: set to 1 */
	PS_OPT_STRING,		/* const char **: the argument */
	PS_OPT_INT,		/* int *: decimal or 0x */
	PS_OPT_U64,		/* u64 *: decimal or 0x */
	PS_OPT_STRING_LIST,	/* struct ps_strlist *: appended */
};

struct ps_strlist {
	const char **v;
	int nr;
	int alloc;
};

void ps_strlist_add(struct ps_strlist *l, const char *s);
void ps_strlist_clear(struct ps_strlist *l);

struct ps_option {
	enum ps_opt_type type;
	int short_name;		/* 0 for none */
	const char *long_name;	/* NULL for none */
	void *value;
	const char *argh;	/* argument name in help, NULL for bool */
	const char *help;
};

/* Table entries, as git's OPT_BOOL() and friends; the table ends with OPT_END. */
#define PS_OPT_F(t, s, l, v, a, h) \
	{ .type = (t), .short_name = (s), .long_name = (l), .value = (v), \
	  .argh = (a), .help = (h) }
#define PS_OPT_BOOL_F(s, l, v, h)	PS_OPT_F(PS_OPT_BOOL, s, l, v, NULL, h)
#define PS_OPT_STRING_F(s, l, v, a, h)	PS_OPT_F(PS_OPT_STRING, s, l, v, a, h)
#define PS_OPT_INT_F(s, l, v, a, h)	PS_OPT_F(PS_OPT_INT, s, l, v, a, h)
#define PS_OPT_U64_F(s, l, v, a, h)	PS_OPT_F(PS_OPT_U64, s, l, v, a, h)
#define PS_OPT_STRING_LIST_F(s, l, v, a, h) \
	PS_OPT_F(PS_OPT_STRING_LIST, s, l, v, a, h)
#define PS_OPT_END_MARK { .type = PS_OPT_END }

enum ps_parse_result {
	PS_PARSE_OK,		/* *nr_args positional arguments */
	PS_PARSE_HELP,		/* -h/--help: usage went to stdout */
	PS_PARSE_ERROR,		/* the error and the usage went to stderr */
};

/*
 * Parses argv[1..] (argv[0] is the subcommand name).  On PS_PARSE_OK,
 * *nr_args is the number of positional arguments, which are moved to the
 * front of argv (argv[0..n-1]), and *dashdash (if not NULL) the index in
 * that array where the arguments after "--" start (n if there was no
 * "--").  Unknown options and missing values are PS_PARSE_ERROR.
 */
enum ps_parse_result ps_parse_options(int argc, const char **argv,
				      const struct ps_option *opts,
				      const char *const *usage, int *nr_args,
				      int *dashdash);
/* The exit status a subcommand returns for a result other than OK. */
int ps_parse_exit(enum ps_parse_result res);
void ps_usage_with_options(const char *const *usage,
			   const struct ps_option *opts, int to_stderr);
/*
 * git's usage_msg_opt(): "error: <msg>", then the usage, on stderr.
 * Returns PS_EXIT_USAGE for the subcommand to return.
 */
int ps_usage_msg_opt(const char *const *usage, const struct ps_option *opts,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * For the subcommands that read one recording: 0 when nr_args is 1, else
 * ps_usage_msg_opt() with "CMD needs a recording" or "CMD takes one
 * recording, got N".
 */
int ps_want_one_recording(const char *cmd, int nr_args,
			  const char *const *usage,
			  const struct ps_option *opts);

#endif /* PAGESTATE_H */
