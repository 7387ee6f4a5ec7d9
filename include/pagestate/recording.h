/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a pagestate recording carries besides the kernel's own events.
 *
 * A recording is a plain trace-cmd trace.dat (v7).  Our metadata travels
 * inside it as ftrace "print" events (trace_marker writes into the
 * recording's own instance), so a single file is all a bug thread needs,
 * `trace-cmd report` shows the metadata as readable lines, and every piece
 * of it is timestamped: an exit snapshot sits in the event stream at the
 * exact moment it was taken, before the workload's mm was torn down.
 *
 * Every marker line starts with PS_MARK_PREFIX followed by a keyword and
 * space-separated key=value pairs (values never contain spaces, except the
 * last key of "begin", cmd=, which runs to the end of the line):
 *
 *   pagestate: begin v=1 tool=0.1 kernel=<uname -r> profile=<name> cmd=<argv>
 *   pagestate: recorder pids=<pid>,<tid>,...   the recorder's own threads
 *       (their page events are recorded like any task's: the page cache
 *       the per-CPU files fill; make bench measures their share)
 *   pagestate: cap <name>=<0|1> ...        what the kernel offered (one or more)
 *   pagestate: event <system>:<name>       an event we enabled (one line each)
 *   pagestate: stacks mode=<off|all|some> [events=<n>] [skip=recorder]
 *       kernel stacks: none, after every event (record --stack), or
 *       after the events of the stack-on lines (--stack-on=LIST);
 *       skip=recorder: not when the recorder's own threads (the
 *       "recorder" line) made the event
 *   pagestate: stack-on <system>:<name> if=<all|gets>
 *       one per event with a stacktrace trigger (record/stacks.c);
 *       gets: only when val > 0 (page_ref increments)
 *   pagestate: missing <what> why=<word>   a source or probe we could not use
 *   pagestate: probes-on                   the kprobes are enabled now (they
 *       need the layout marker before them, so tracing starts first):
 *       pages born before have rmap/GUP history no probe saw
 *   pagestate: task pid=<n> ppid=<n> comm=<comm>   a workload task appeared
 *   pagestate: exit pid=<n> status=<n>     a workload task reached exit-stop
 *   pagestate: snap-begin pid=<n> when=<start|exit>
 *       written before the first page is read: a page that changed
 *       between this and its snap line raced with the snapshot
 *   pagestate: snap pid=<n> when=<start|exit> seq=<n> pages=<vaddr>:<pfn>:<mapcount>:<kpageflags>,...
 *       one snapshot may span several lines (same pid/when, seq counts up
 *       from 0); numbers in pages= are hex without 0x; mapcount is what
 *       /proc/kpagecount reports (page_mapcount()), kpageflags is the raw
 *       KPF_* word (include/uapi/linux/kernel-page-flags.h, stable ABI).
 *   pagestate: snap-end pid=<n> when=<start|exit> pages=<n> lines=<n>
 *   pagestate: deep-begin pid=<n> when=exit
 *   pagestate: deep pid=<n> when=exit seq=<n> pfns=<pfn>[+<n>]:<kpagecount>:<kpageflags>,...
 *   pagestate: deep-end pid=<n> when=exit pfns=<n> lines=<n> sync=<ok|late>
 *       the deep snapshot (record/deep.c), right after an exit snapshot:
 *       the same two words for every pfn the recording's kmem alloc/free
 *       events named so far, mapped or not; +n: the n pfns after pfn
 *       read the same; sync=late: a reader thread did not answer, events
 *       still in the ring buffer were not looked at
 *   pagestate: end
 *
 * A file that lacks part of its recording says so in its VERSION option
 * (`trace-cmd report --version` prints it), since a marker can only be
 * written while the recorder lives:
 *
 *   pagestate <tool version>                              complete
 *   pagestate <tool version> partial=<why> missing=<what,...>
 *
 * why: killed (recovered by `pagestate recover` or the next record from
 * the per-CPU files of a recorder that died), disk-full, io-error.
 * what: end (the end marker), exit-snapshots (those after the cut), tail
 * (events still in the ring buffer when the cut came), stats (the per-CPU
 * lost-event counts).
 *
 * Lost events are not a marker: the per-CPU "stats" text of the instance
 * (overrun, dropped events, ...) is stored in the file's standard CPUSTAT
 * options, which `trace-cmd report --stat` prints as well, and the reader
 * also counts the ring buffer's own missed-events marks.
 */
#ifndef PAGESTATE_RECORDING_H
#define PAGESTATE_RECORDING_H

#define PS_MARK_PREFIX		"pagestate: "
#define PS_MARK_VERSION		1
/*
 * One trace_marker write: 6.1 cuts a write at 1024 bytes (newer kernels
 * allow ~4 KiB); stay below the smallest, with room for the newline.
 */
#define PS_MARK_MAX		1000
#define PS_INSTANCE_PREFIX	"pagestate-"
#define PS_PARTIAL_KEY		"partial="

#endif
