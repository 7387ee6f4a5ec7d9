// SPDX-License-Identifier: GPL-2.0
/*
 * Writing the trace.dat (v7, uncompressed) with libtracecmd, in the order
 * its state machine wants: headers (event formats, kallsyms, printk),
 * options, saved cmdlines, then the per-CPU data the readers spliced.
 *
 * The formats and saved_cmdlines come from the top tracing directory, not
 * our instance: event formats are global (the instance's events/ shows the
 * same files), but an instance has no saved_cmdlines or printk_formats,
 * and without the former every task in `trace-cmd report` reads "<...>".
 * Only the top directory is read; nothing there is changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "record.h"
#include "tracecmd-output.h"

static struct tracecmd_event_list *event_list(struct ps_recorder *rec)
{
	struct tracecmd_event_list *list;
	int i;

	list = ps_xcalloc(rec->events.nr, sizeof(*list));
	for (i = 0; i < rec->events.nr; i++) {
		list[i].glob = rec->events.v[i];
		list[i].next = i + 1 < rec->events.nr ? &list[i + 1] : NULL;
	}
	return list;
}

/* "Linux host 6.18.0 x86_64", as trace-cmd writes it. */
static void add_uname(struct tracecmd_output *out)
{
	struct utsname u;
	char *s;
	int len;

	if (uname(&u) < 0)
		return;
	len = asprintf(&s, "%s %s %s %s", u.sysname, u.nodename, u.release,
		       u.machine);
	if (len < 0)
		return;
	tracecmd_add_option(out, TRACECMD_OPTION_UNAME, len + 1, s);
	free(s);
}

static void add_options(struct ps_recorder *rec, struct tracecmd_output *out,
			const char *clocks)
{
	int cpu;

	if (clocks)
		tracecmd_add_option(out, TRACECMD_OPTION_TRACECLOCK,
				    strlen(clocks) + 1, clocks);
	add_uname(out);
	/* CPUCOUNT is added by tracecmd_append_cpu_data() itself. */
	for (cpu = 0; cpu < rec->nr_cpus; cpu++)
		tracecmd_add_option(out, TRACECMD_OPTION_CPUSTAT,
				    strlen(rec->cpu_stats[cpu]) + 1,
				    rec->cpu_stats[cpu]);
}

int ps_output_write(struct ps_recorder *rec)
{
	struct tracecmd_event_list *list = event_list(rec);
	struct tracecmd_output *out;
	char *clocks, *clock;
	int ret = -1;

	clocks = tracefs_instance_file_read(rec->instance, "trace_clock", NULL);
	clock = tracefs_get_clock(rec->instance);

	out = tracecmd_output_create(rec->output);
	if (!out) {
		ps_error("cannot create %s: %s", rec->output, strerror(errno));
		goto out_free;
	}
	tracecmd_set_quiet(out, true);
	if (tracecmd_output_set_version(out, PS_TRACECMD_FILE_VERSION) ||
	    tracecmd_output_set_trace_dir(out, rec->caps.tracing_dir)) {
		ps_error("%s: libtracecmd refused file version %d",
			 rec->output, PS_TRACECMD_FILE_VERSION);
		goto out_close;
	}
	if (clock)
		tracecmd_set_out_clock(out, clock);
	/*
	 * Our page events carry pfns, not code addresses: kallsyms (~5 MB)
	 * is only worth its size when kernel stacks are recorded.
	 */
	if (!rec->stack)
		tracecmd_output_set_kallsyms(out, "/dev/null");
	if (tracecmd_output_write_headers(out, list)) {
		ps_error("%s: writing event formats from %s failed: %s",
			 rec->output, rec->caps.tracing_dir, strerror(errno));
		goto out_close;
	}
	add_options(rec, out, clocks);
	if (tracecmd_write_cmdlines(out)) {
		ps_error("%s: writing saved_cmdlines failed: %s", rec->output,
			 strerror(errno));
		goto out_close;
	}
	if (tracecmd_append_cpu_data(out, rec->nr_cpus, rec->cpu_files)) {
		ps_error("%s: copying the per-CPU data failed: %s",
			 rec->output, strerror(errno));
		goto out_close;
	}
	ret = 0;
out_close:
	tracecmd_output_close(out);
	if (ret)
		unlink(rec->output);
out_free:
	free(clocks);
	free(clock);
	free(list);
	return ret;
}
