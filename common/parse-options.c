// SPDX-License-Identifier: GPL-2.0
/*
 * One option parser for every subcommand (the shape of git's
 * parse-options.c, much smaller).  See pagestate.h for the contract.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagestate/pagestate.h"

void ps_strlist_add(struct ps_strlist *l, const char *s)
{
	if (l->nr == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 8;
		l->v = ps_xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	l->v[l->nr++] = s;
}

void ps_strlist_clear(struct ps_strlist *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void ps_usage_with_options(const char *const *usage,
			   const struct ps_option *opts, int to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;
	const char *const *u;
	const struct ps_option *o;

	for (u = usage; *u; u++)
		fprintf(f, "%s %s\n", u == usage ? "usage:" : "   or:", *u);
	fputc('\n', f);
	for (o = opts; o->type != PS_OPT_END; o++) {
		char buf[64];
		int n = 0;

		if (o->short_name)
			n += snprintf(buf + n, sizeof(buf) - n, "-%c%s",
				      o->short_name, o->long_name ? ", " : "");
		if (o->long_name)
			n += snprintf(buf + n, sizeof(buf) - n, "--%s",
				      o->long_name);
		if (o->argh)
			snprintf(buf + n, sizeof(buf) - n, " <%s>", o->argh);
		fprintf(f, "    %-26s %s\n", buf, o->help);
	}
}

static const struct ps_option *find_long(const struct ps_option *opts,
					 const char *name, size_t len)
{
	for (; opts->type != PS_OPT_END; opts++)
		if (opts->long_name && strlen(opts->long_name) == len &&
		    !strncmp(opts->long_name, name, len))
			return opts;
	return NULL;
}

static const struct ps_option *find_short(const struct ps_option *opts, int c)
{
	for (; opts->type != PS_OPT_END; opts++)
		if (opts->short_name == c)
			return opts;
	return NULL;
}

static int set_value(const struct ps_option *o, const char *arg,
		     const char *spelled)
{
	u64 v;

	switch (o->type) {
	case PS_OPT_BOOL:
		*(int *)o->value = 1;
		return 0;
	case PS_OPT_STRING:
		*(const char **)o->value = arg;
		return 0;
	case PS_OPT_STRING_LIST:
		ps_strlist_add(o->value, arg);
		return 0;
	case PS_OPT_INT:
		if (ps_parse_u64(arg, &v) || v > 0x7fffffff)
			break;
		*(int *)o->value = (int)v;
		return 0;
	case PS_OPT_U64:
		if (ps_parse_u64(arg, &v))
			break;
		*(u64 *)o->value = v;
		return 0;
	case PS_OPT_END:
		break;
	}
	return ps_error("option '%s' wants a number, not '%s'", spelled, arg);
}

/* One option at argv[*i] (and its value, which may be argv[*i + 1]). */
static enum ps_parse_result parse_one(int argc, const char **argv, int *i,
				      const struct ps_option *opts,
				      const char *const *usage)
{
	const char *a = argv[*i], *arg = NULL;
	const struct ps_option *o;
	char spelled[64];

	if (a[1] == '-') {
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

		o = find_long(opts, a + 2, len);
		snprintf(spelled, sizeof(spelled), "--%.*s", (int)len, a + 2);
		if (o && eq)
			arg = eq + 1;
	} else {
		o = find_short(opts, a[1]);
		snprintf(spelled, sizeof(spelled), "-%c", a[1]);
		if (o && a[2])
			arg = a + 2;
	}
	if (!o) {
		ps_usage_msg_opt(usage, opts, "unknown option '%s'", a);
		return PS_PARSE_ERROR;
	}
	if (o->type == PS_OPT_BOOL && arg) {
		ps_error("option '%s' takes no value", spelled);
		return PS_PARSE_ERROR;
	}
	if (o->type != PS_OPT_BOOL && !arg) {
		if (*i + 1 >= argc) {
			ps_usage_msg_opt(usage, opts,
					 "option '%s' needs a value", spelled);
			return PS_PARSE_ERROR;
		}
		arg = argv[++*i];
	}
	return set_value(o, arg, spelled) ? PS_PARSE_ERROR : PS_PARSE_OK;
}

enum ps_parse_result ps_parse_options(int argc, const char **argv,
				      const struct ps_option *opts,
				      const char *const *usage, int *nr_args,
				      int *dashdash)
{
	int i, npos = 0, dd = -1;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		enum ps_parse_result res;

		if (dd >= 0 || a[0] != '-' || !a[1]) {
			argv[npos++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			dd = npos;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			ps_usage_with_options(usage, opts, 0);
			return PS_PARSE_HELP;
		}
		res = parse_one(argc, argv, &i, opts, usage);
		if (res != PS_PARSE_OK)
			return res;
	}
	if (dashdash)
		*dashdash = dd >= 0 ? dd : npos;
	argv[npos] = NULL;
	*nr_args = npos;
	return PS_PARSE_OK;
}

int ps_parse_exit(enum ps_parse_result res)
{
	return res == PS_PARSE_HELP ? PS_EXIT_OK : PS_EXIT_USAGE;
}

int ps_usage_msg_opt(const char *const *usage, const struct ps_option *opts,
		     const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps_error("%s", msg);
	ps_usage_with_options(usage, opts, 1);
	return PS_EXIT_USAGE;
}

int ps_want_one_recording(const char *cmd, int nr_args,
			  const char *const *usage,
			  const struct ps_option *opts)
{
	if (nr_args == 1)
		return 0;
	if (!nr_args)
		ps_usage_msg_opt(usage, opts, "%s needs a recording (e.g. "
				 "trace.dat)", cmd);
	else
		ps_usage_msg_opt(usage, opts, "%s takes one recording, got %d",
				 cmd, nr_args);
	return -1;
}
