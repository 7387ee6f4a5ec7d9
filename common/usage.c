// SPDX-License-Identifier: GPL-2.0
/*
 * Error reporting and allocation helpers shared by every stage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagestate/pagestate.h"

int ps_quiet;

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int ps_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("pagestate: error: ", fmt, ap);
	va_end(ap);
	return -1;
}

void ps_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("pagestate: warning: ", fmt, ap);
	va_end(ap);
}

void ps_info(const char *fmt, ...)
{
	va_list ap;

	if (ps_quiet)
		return;
	va_start(ap, fmt);
	vreport("pagestate: ", fmt, ap);
	va_end(ap);
}

void ps_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("pagestate: fatal: ", fmt, ap);
	va_end(ap);
	exit(PS_EXIT_USAGE);
}

void *ps_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		ps_die("out of memory allocating %zu bytes", size);
	return p;
}

void *ps_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		ps_die("out of memory allocating %zu x %zu bytes", nmemb, size);
	return p;
}

void *ps_xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (!p)
		ps_die("out of memory allocating %zu bytes", size);
	return p;
}

char *ps_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		ps_die("out of memory");
	return p;
}

int ps_parse_u64(const char *s, u64 *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}
