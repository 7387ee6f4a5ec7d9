// SPDX-License-Identifier: GPL-2.0
/*
 * pagestate: record, replay and check page-state histories.
 *
 * The command table below is the only place that knows every subcommand,
 * as git.c's is for git's builtins.
 */
#include <stdio.h>
#include <string.h>

#include "pagestate/pagestate.h"
#include "pagestate/builtin.h"

struct cmd_struct {
	const char *name;
	int (*fn)(int argc, const char **argv);
	const char *help;
};

static const struct cmd_struct commands[] = {
	{ "record", cmd_record, "capture page events around a workload into a trace.dat" },
	{ "recover", cmd_recover, "turn the per-CPU files of a killed recorder into a partial trace.dat" },
	{ "replay", cmd_replay, "rebuild folio timelines from a recording" },
	{ "check", cmd_check, "run the invariant rules; exit 1 on a break" },
	{ "report", cmd_report, "findings with evidence, as JSON or mail-ready text" },
	{ "tui", cmd_tui, "browse a recording: folios, timelines, subpages, findings" },
	{ "holders", cmd_holders, "who holds a page's references: the refcount itemized" },
	{ "why", cmd_why, "every refused collapse, split or migration, with the page's holders" },
	{ "diff", cmd_diff, "the first place two recordings of one workload part" },
	{ "export", cmd_export, "folio counters and events as a Perfetto (Chrome JSON) trace" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: pagestate [--version] [--help] <command> [<args>]\n\n");
	fprintf(f, "commands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "   %-8s  %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'pagestate <command> -h' shows a command's options.\n");
}

int main(int argc, const char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return PS_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return PS_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("pagestate %s\n", PAGESTATE_VERSION);
		return PS_EXIT_OK;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);

	ps_error("'%s' is not a pagestate command; see 'pagestate --help'",
		 argv[1]);
	return PS_EXIT_USAGE;
}
