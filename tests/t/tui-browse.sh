# Browse a real recording the way a developer would, in a real terminal
# (tmux): find the THP the workload collapsed (thp-basic's collapse-after
# pfn), open its collapse, read the subpage grid, export, resize, quit.
source "$(dirname "$0")/../lib.sh"

if ! command -v tmux > /dev/null; then
	t_skip "tui in a terminal" "tmux not installed"
	exit 0
fi

SOCK="pagestate-test-$$"
trap 'tmux -L "$SOCK" kill-server 2> /dev/null; t_cleanup' EXIT

# tui_start NAME BIN FILE: the browser in a 120x40 terminal
tui_start() {
	env -u CI tmux -L "$SOCK" new-session -d -s "$1" -x 120 -y 40 \
		"cd '$T_TMP' && LANG=C.UTF-8 '$2' tui '$3' 2> '$T_TMP/$1.err'; echo \$? > '$T_TMP/$1.rc'; echo EXITED; sleep 60"
}
screen() { tmux -L "$SOCK" capture-pane -t "$1" -p; }
keys() { local s=$1; shift; tmux -L "$SOCK" send-keys -t "$s" "$@"; }
type_text() { tmux -L "$SOCK" send-keys -t "$1" -l "$2"; }
# wait_for NAME PATTERN: up to 10 s for PATTERN on the screen
wait_for() {
	local i
	for i in $(seq 1 200); do
		screen "$1" | grep -q -- "$2" && return 0
		sleep 0.05
	done
	return 1
}
# wait_gone NAME PATTERN: up to 10 s for PATTERN to leave the screen
wait_gone() {
	local i
	for i in $(seq 1 200); do
		screen "$1" | grep -q -- "$2" || return 0
		sleep 0.05
	done
	return 1
}
# the selected line: views mark it with '>' in column 0
selected() { screen "$1" | grep '^>' | head -1; }

pfn=$(sed -n 's/^workload: collapse-after .* pfn=\(0x[0-9a-f]*\) thp=1$/\1/p' \
	"$FIXTURES/vm-stock61-thp-basic.workload")
cp "$FIXTURES/vm-stock61-thp-basic.dat" "$T_TMP/thp.dat"

for bin in "$PS" "$PS_ASAN"; do
	[ -x "$bin" ] || continue
	b=$(basename "$bin")
	s="s${b//[^a-z]/}"
	tui_start "$s" "$bin" thp.dat
	t_check "$b: opens on the folio list" wait_for "$s" "folios by birth"
	t_check "$b: status bar names file and kernel" \
		wait_for "$s" "thp.dat | 6.1.0-56-amd64 | folio 1/"

	keys "$s" /; type_text "$s" "$pfn"; keys "$s" Enter
	wait_for "$s" "^>$pfn "
	t_check "$b: / finds the collapse-after THP $pfn" \
		grep -q "^>$pfn  *9 " <<< "$(selected "$s")"

	keys "$s" c
	wait_for "$s" "timeline of folio $pfn/9"
	t_check "$b: c opens its timeline" wait_for "$s" "^timeline of folio $pfn/9 (THP)"
	t_check "$b: ...on the collapse event" \
		grep -q " collapse  *succeeded" <<< "$(selected "$s")"
	t_check "$b: ...with the state after it (map 1, entire 1)" \
		grep -Eq "succeeded.* +\? +1 +1 +0 " <<< "$(selected "$s")"
	t_check "$b: the subpage grid is shown, 32x16" \
		wait_for "$s" "^subpages of $pfn/9 (32x16) after event 4/.* collapse"
	t_check "$b: grid rows +0x000 to +0x1e0" \
		test "$(screen "$s" | grep -c '^ +0x[0-9a-f]\{3\} ')" = 16
	t_check "$b: PMD-mapped: entire_mapcount 1, no PTE maps" \
		wait_for "$s" "entire_mapcount 1 .*PTE-mapped 0/512"

	# moving through the timeline moves the grid
	keys "$s" j
	t_check "$b: j moves the grid to event 5 (fork_dup)" \
		wait_for "$s" "after event 5/.* fork_dup"
	t_check "$b: ...where the fork made entire_mapcount 2" \
		wait_for "$s" "entire_mapcount 2 "
	keys "$s" C
	t_check "$b: C goes back to the collapse" \
		wait_for "$s" "after event 4/.* collapse"

	# the grid on its own, j/k still step the timeline
	keys "$s" u
	t_check "$b: u shows the subpage view" wait_for "$s" "^subpages of $pfn/9"
	keys "$s" k
	t_check "$b: k in the grid steps back one event" \
		wait_for "$s" "after event 3/"
	keys "$s" q
	t_check "$b: q returns to the timeline" wait_for "$s" "^timeline of folio $pfn/9"

	# search in the timeline by op name; t jumps by time
	keys "$s" g /; type_text "$s" "fork_dup"; keys "$s" Enter
	t_check "$b: / fork_dup finds the fork" wait_for "$s" "^>.* fork_dup "
	keys "$s" t; type_text "$s" "3.5"; keys "$s" Enter
	t_check "$b: t 3.5 lands on the first event at or after 3.5 s" \
		wait_for "$s" "^> *3\.5[0-9]* "

	# lineage: 512 order-0 pages were collapsed into it
	keys "$s" l
	t_check "$b: l lists the collapse parents" wait_for "$s" "collapse 0x[0-9a-f]*/0 "
	keys "$s" Enter
	t_check "$b: Enter opens a parent's timeline" \
		wait_for "$s" "^timeline of folio 0x[0-9a-f]*/0:.*lineage >c"
	keys "$s" q q

	# no stacks in this recording
	keys "$s" K
	t_check "$b: K says there are no stacks" wait_for "$s" "no stacks in this recording"
	keys "$s" q

	keys "$s" e
	t_check "$b: e says where it exported" \
		wait_for "$s" "exported to $T_TMP/thp.dat.$pfn.json"
	t_check "$b: the export is JSON with every event" python3 -c "
import json, sys
d = json.load(open('$T_TMP/thp.dat.$pfn.json'))
assert d['folio']['pfn'] == '$pfn' and d['folio']['order'] == 9
ev = [e['op'] for e in d['events']]
assert 'collapse' in ev and ev[0] == 'alloc', ev[:5]
c = d['events'][ev.index('collapse')]
assert c['after']['entire_mapcount'] == 1 and c['after']['refcount'] is None
"
	t_check "$b: the export is valid against doc/report.schema.json" \
		t_json_valid "$T_TMP/thp.dat.$pfn.json"

	# resize: smaller drops the grid pane, larger brings it back
	tmux -L "$SOCK" resize-window -t "$s" -x 80 -y 24
	t_check "$b: resized to 80x24: the grid pane no longer fits" \
		wait_gone "$s" '^ +0x'
	t_check "$b: ...the timeline and status bar stay" \
		test "$(screen "$s" | sed -n 23p | grep -c "event .*/.* at ")" = 1
	tmux -L "$SOCK" resize-window -t "$s" -x 120 -y 40
	t_check "$b: resized back: grid again" wait_for "$s" "^ +0x1e0 "

	keys "$s" h
	t_check "$b: help comes from the key table" \
		wait_for "$s" "next collapse event"
	keys "$s" q q
	t_check "$b: back on the folio list" wait_for "$s" "folios by birth"
	# filters
	keys "$s" T
	t_check "$b: T keeps THPs only" wait_for "$s" "of 1633 folios by birth, THP"
	keys "$s" q
	t_check "$b: q on the folio list quits" wait_for "$s" "^EXITED"
	t_check "$b: exit status 0" test "$(cat "$T_TMP/$s.rc")" = 0
	t_check "$b: the terminal is restored (no TUI left on screen)" \
		wait_gone "$s" 'folios by'
	tmux -L "$SOCK" kill-session -t "$s"
	t_check "$b: nothing on stderr" test ! -s "$T_TMP/$s.err"
done
