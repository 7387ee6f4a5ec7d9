/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of libtracecmd's writer we use.  These functions are exported
 * by libtracecmd.so.1 but declared only in trace-cmd's private header
 * (lib/trace-cmd/include/private/trace-cmd-private.h, trace-cmd 3.1.x),
 * which the Debian -dev package does not ship.  The signatures and the
 * option numbers below are copied from that header; they are part of the
 * trace.dat format, so they do not move between releases.
 */
#ifndef PS_TRACECMD_OUTPUT_H
#define PS_TRACECMD_OUTPUT_H

#include <stdbool.h>

#include <trace-cmd.h>

struct tracecmd_output;
struct tracecmd_option;

/* One "system:event" glob for tracecmd_output_write_headers(). */
struct tracecmd_event_list {
	struct tracecmd_event_list *next;
	const char *glob;
};

/* Option ids in the file (enum in trace-cmd-private.h). */
enum {
	TRACECMD_OPTION_CPUSTAT = 2,
	TRACECMD_OPTION_TRACECLOCK = 4,
	TRACECMD_OPTION_UNAME = 5,
	TRACECMD_OPTION_CPUCOUNT = 8,
	TRACECMD_OPTION_VERSION = 9,
};

#define PS_TRACECMD_FILE_VERSION 7
/* when a CPU's data is too big for libtracecmd 3.1 (output.c) */
#define PS_TRACECMD_FILE_VERSION_BIG 6

struct tracecmd_output *tracecmd_output_create(const char *output_file);
int tracecmd_output_set_version(struct tracecmd_output *handle,
				int file_version);
int tracecmd_output_set_kallsyms(struct tracecmd_output *handle,
				 const char *kallsyms);
int tracecmd_output_set_trace_dir(struct tracecmd_output *handle,
				  const char *tracing_dir);
void tracecmd_set_quiet(struct tracecmd_output *handle, bool set_quiet);
void tracecmd_set_out_clock(struct tracecmd_output *handle,
			    const char *clock);
int tracecmd_output_write_headers(struct tracecmd_output *handle,
				  struct tracecmd_event_list *list);
struct tracecmd_option *tracecmd_add_option(struct tracecmd_output *handle,
					    unsigned short id, int size,
					    const void *data);
int tracecmd_write_cmdlines(struct tracecmd_output *handle);
int tracecmd_append_cpu_data(struct tracecmd_output *handle, int cpus,
			     char *const *cpu_data_files);
/* the steps of tracecmd_append_cpu_data() before the data itself */
int tracecmd_write_cpus(struct tracecmd_output *handle, int cpus);
int tracecmd_write_buffer_info(struct tracecmd_output *handle);
int tracecmd_write_options(struct tracecmd_output *handle);
void tracecmd_output_close(struct tracecmd_output *handle);

#endif /* PS_TRACECMD_OUTPUT_H */
