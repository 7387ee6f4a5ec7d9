# The browser on a large recording (the bench's page-churn trace, kept
# outside the repo): the index is built once with progress, then the
# browser opens in well under a second and its memory follows the index,
# not the events.  Times and sizes are printed for the record.
source "$(dirname "$0")/../lib.sh"

CACHE=${PAGESTATE_CACHE:-/var/cache/pagestate}/bench
src=$CACHE/churn-small.dat
[ -n "${TUI_BIG:-}" ] && src=$TUI_BIG	# TUI_BIG=/path/churn.dat for the big one
why=
# A cold cache records it here, with the bench's own recorder (~1 min):
# a test makes what it needs rather than skip.
if [ ! -r "$src" ] && [ -z "${TUI_BIG:-}" ]; then
	why=$(t_no_tracing)
	if [ -z "$why" ] && ! "$TOP/tests/bench/run" --record-only > "$T_TMP/bench.out" 2>&1; then
		t_fail "tui on a large recording" "tests/bench/run --record-only: $(tail -n2 "$T_TMP/bench.out" | tr '\n' ' ')"
		exit 0
	fi
	[ -n "$why" ] && why="no $src and cannot record it: $why"
fi
[ -z "$why" ] && [ ! -r "$src" ] && why="no $src (make bench records it)"
[ -z "$why" ] && ! command -v tmux > /dev/null && why="tmux not installed"
[ -z "$why" ] && [ ! -x /usr/bin/time ] && why="no /usr/bin/time"
if [ -n "$why" ]; then
	t_skip "tui on a large recording" "$why"
	exit 0
fi

s=big
source "$(dirname "$0")/../tui-lib.sh"
ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_for PATTERN SECONDS, polling every 10 ms: it times the open, so
# finer than tui-lib.sh's
wait_for() {
	local end=$(( $(ms) + ${2:-10} * 1000 ))
	while [ "$(ms)" -lt "$end" ]; do
		screen | grep -q -- "$1" && return 0
		sleep 0.01
	done
	return 1
}

ln -s "$src" "$T_TMP/run.dat"
events=$("$PS" replay "$T_TMP/run.dat" | awk '/^records:/ { print $2 }')

start=$(ms)
/usr/bin/time -f "%M" -o "$T_TMP/build.rss" "$PS" tui --index-only "$T_TMP/run.dat" > "$T_TMP/out" 2>&1
build=$(( $(ms) - start ))
t_check "index built ($events events, $build ms, $(cat "$T_TMP/build.rss") KB peak)" \
	grep -q "built" "$T_TMP/out"
idx_kb=$(( $(stat -c %s "$T_TMP/run.dat.psidx") / 1024 ))
echo "# index: $idx_kb KB for $(grep -o '[0-9]* folios' "$T_TMP/out")"

tui_term "cd '$T_TMP' && /usr/bin/time -f %M -o '$T_TMP/rss' '$PS' tui run.dat; echo \$? > '$T_TMP/rc'; sleep 60"
start=$(ms)
wait_for "folios by birth" 10; opened=$?
open=$(( $(ms) - start ))
# a wait that timed out is a failure whatever the clock says
t_check "reopens with the cached index in under a second ($open ms)" \
	test "$opened" = 0 -a "$open" -lt 1000

# the last folio born: its timeline needs the whole file replayed
keys G
start=$(ms)
keys Enter
wait_for "^timeline of folio" 30; opened=$?
tl=$(( $(ms) - start ))
t_check "the last folio's timeline opens ($tl ms)" \
	test "$opened" = 0 -a -n "$(screen | grep "^>")"
keys q /; tmux -L "$SOCK" send-keys -t "$s" -l "page-churn"; keys Enter
t_check "a comm search over every folio" wait_for "page-churn: line" 10
keys Q
for i in $(seq 1 200); do [ -s "$T_TMP/rc" ] && break; sleep 0.05; done
t_check "quits with 0" test "$(cat "$T_TMP/rc")" = 0
rss=$(tail -1 "$T_TMP/rss")
# the index is mapped and one replay's engine runs: never the events
t_check "peak RSS $rss KB stays near the index ($idx_kb KB)" \
	test "$rss" -lt $(( idx_kb + 131072 ))
