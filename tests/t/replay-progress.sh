# Issue 14, part 6: a long read shows a progress line on stderr: on a
# terminal, rewritten in place and erased at the end; elsewhere only with
# --progress; never on stdout, and never in what tests and pipes read
# unless asked.  On the bench's small page-churn recording (2M events),
# with PAGESTATE_PROGRESS_AFTER_MS=0 so it need not take a second.
source "$(dirname "$0")/../lib.sh"

src=${PAGESTATE_CACHE:-/var/cache/pagestate}/bench/churn-small.dat
if [ ! -r "$src" ]; then
	why=$(t_no_tracing)
	if [ -z "$why" ] && ! "$TOP/tests/bench/run" --record-only > "$T_TMP/bench.out" 2>&1; then
		t_fail "progress line" "tests/bench/run --record-only: $(tail -n2 "$T_TMP/bench.out" | tr '\n' ' ')"
		exit 0
	fi
	if [ ! -r "$src" ]; then
		t_skip "progress line" "no $src and cannot record it: $why"
		exit 0
	fi
fi
export PAGESTATE_PROGRESS_AFTER_MS=0
pat="^pagestate: reading $src: [0-9]*% ([0-9.]*M events, [0-9]* s)\$"

"$PS" replay "$src" > "$T_TMP/plain.out" 2> "$T_TMP/plain.err"
t_check "not a tty, no --progress: nothing on stderr" test ! -s "$T_TMP/plain.err"

"$PS" replay --progress "$src" > "$T_TMP/prog.out" 2> "$T_TMP/prog.err"
t_check "--progress: progress lines on stderr" grep -q "$pat" "$T_TMP/prog.err"
t_check "--progress: every stderr line is one" \
	test "$(grep -vc "$pat" "$T_TMP/prog.err")" = 0
t_check "--progress: stdout as without it" cmp -s "$T_TMP/plain.out" "$T_TMP/prog.out"

"$PS" check --progress "$src" > /dev/null 2> "$T_TMP/check.err"
t_check "check --progress: progress lines" grep -q "$pat" "$T_TMP/check.err"

# On a terminal (script(1) gives it one): rewritten with \r, erased at
# the end, so the last thing on the line is the erase.
if command -v script > /dev/null; then
	script -qec "PAGESTATE_PROGRESS_AFTER_MS=0 $PS replay $src > /dev/null" \
		"$T_TMP/tty.raw" > /dev/null 2>&1
	t_check "tty: the line is shown" grep -q "reading $src: " "$T_TMP/tty.raw"
	# script(1) adds its own header and footer lines around the output
	last=$(grep -av '^Script ' "$T_TMP/tty.raw" | tr -d '\n' | tail -c 5)
	t_check "tty: and erased at the end" test "$last" = $')\r\033[K'
else
	t_skip "progress on a tty" "no script(1)"
fi
