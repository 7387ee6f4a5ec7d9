# Kernel stacks in the browser: a recording made with --stack shows the
# stack of the selected event (K, or Enter on a row), symbolized.
source "$(dirname "$0")/../lib.sh"

why=$(t_no_tracing)
[ -z "$why" ] && ! command -v tmux > /dev/null && why="tmux not installed"
[ -z "$why" ] && [ ! -x "$WORKLOADS/thp-basic" ] && why="thp-basic not built (make workloads)"
if [ -n "$why" ]; then
	t_skip "kernel stacks in the tui" "$why"
	exit 0
fi

s=stack
source "$(dirname "$0")/../tui-lib.sh"

"$PS" record -q --stack -o "$T_TMP/stk.dat" -- "$WORKLOADS/thp-basic" \
	> "$T_TMP/workload" 2> "$T_TMP/err"
t_check "record --stack exits 0" test $? = 0
pfn=$(sed -n 's/^workload: thp .* pfn=\(0x[0-9a-f]*\) thp=1$/\1/p' "$T_TMP/workload")

tui_term "cd '$T_TMP' && '$PS' tui stk.dat; echo \$? > '$T_TMP/rc'; sleep 60"
t_check "opens (index built with stacks)" wait_for "folios by birth"
keys /; tmux -L "$SOCK" send-keys -t "$s" -l "$pfn"; keys Enter Enter
t_check "the THP $pfn's timeline" wait_for "^timeline of folio $pfn/9"
keys K
t_check "K shows the kernel stack of its allocation" \
	wait_for "^kernel stack of event 1/.* alloc"
t_check "...symbolized frames (function+0xoff)" wait_for "^[> ][a-z_0-9.]*+0x[0-9a-f]*$"
t_check "...through the page allocator" wait_for "^[> ].*alloc.*+0x[0-9a-f]*$"
keys q j Enter
t_check "Enter on a row opens its stack" wait_for "^kernel stack of event 2/"
keys Q
for i in $(seq 1 100); do [ -s "$T_TMP/rc" ] && break; sleep 0.05; done
t_check "quits with 0" test "$(cat "$T_TMP/rc")" = 0
