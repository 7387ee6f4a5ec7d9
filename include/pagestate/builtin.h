/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One function per subcommand, git-builtin style.  pagestate.c maps names
 * to these; each lives beside the stage it drives.  argv[0] is the
 * subcommand name.  Return value is the process exit status (enum ps_exit).
 */
#ifndef PAGESTATE_BUILTIN_H
#define PAGESTATE_BUILTIN_H

int cmd_record(int argc, const char **argv);	/* record/record.c */
int cmd_recover(int argc, const char **argv);	/* record/stale.c */
int cmd_replay(int argc, const char **argv);	/* replay/replay.c */
int cmd_check(int argc, const char **argv);	/* analyze/check.c */
int cmd_tui(int argc, const char **argv);	/* tui/tui.c */
int cmd_report(int argc, const char **argv);	/* analyze/report.c */
int cmd_export(int argc, const char **argv);	/* analyze/export.c */
int cmd_diff(int argc, const char **argv);	/* analyze/diff.c */
int cmd_holders(int argc, const char **argv);	/* analyze/why.c */
int cmd_why(int argc, const char **argv);	/* analyze/why.c */

#endif
