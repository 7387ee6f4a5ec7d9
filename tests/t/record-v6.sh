# A CPU with 2 GiB or more of data: libtracecmd 3.1 (Debian 12) keeps a
# CPU's data size in an int, so record writes such a file as trace.dat
# version 6 with a data section of its own (record/output.c).
# PAGESTATE_OUT_V6_ABOVE=0 takes that path whatever the size: the file
# says version 6, trace-cmd reads every event in it, pagestate replay
# reads the same number, with the recording's markers whole and nothing
# lost.  (make bench's 7 GB churn-200m.dat is version 6 too, its data
# section written the same way by tests/bench/synth.)
source "$(dirname "$0")/../lib.sh"

why=$(t_no_tracing)
if [ -n "$why" ]; then
	t_skip "record: version 6 for a big CPU" "$why"
	exit 0
fi

f="$T_TMP/v6.dat"
PAGESTATE_OUT_V6_ABOVE=0 "$PS" record -q -o "$f" -- \
	"$WORKLOADS/page-churn" 20 > /dev/null 2> "$T_TMP/err"
t_check "record exits 0 (version 6 path)" test $? = 0
t_check "no per-CPU file left" sh -c "! ls '$f'.cpu* 2> /dev/null"
# "\027\010\104tracing" then the version as a string
t_check "the file is version 6" test "$(head -c 11 "$f" | tail -c 1)" = 6

trace-cmd report "$f" > "$T_TMP/tc" 2> "$T_TMP/tc.err"
t_check "trace-cmd report reads it" test $? = 0
tc=$(grep -cE '\[[0-9]{3}\] +[0-9]+\.[0-9]+: ' "$T_TMP/tc")
"$PS" replay "$f" > "$T_TMP/sum" 2> "$T_TMP/sum.err"
t_check "pagestate replay reads it" test $? = 0
ps=$(sed -n 's/^records: *\([0-9]*\).*/\1/p' "$T_TMP/sum")
t_check "the same events for both: trace-cmd $tc, pagestate ${ps:-?} (> 1000)" \
	eval '[ -n "$ps" ] && [ "$ps" = "$tc" ] && [ "$ps" -gt 1000 ]'
t_check "the recording is whole: begin and end markers, not partial" \
	eval 'grep -q "pagestate: begin " "$T_TMP/tc" && grep -q "pagestate: end" "$T_TMP/tc" &&
	      ! grep -qi partial "$T_TMP/sum"'
t_check "nothing lost" test "$(t_lost < "$T_TMP/sum")" = "0 0 0"
# the options libtracecmd wrote before our data section: per-CPU stats
trace-cmd report --stat "$f" > "$T_TMP/stat" 2>&1
t_check "the per-CPU stats are in the file (trace-cmd report --stat)" \
	grep -q "^CPU: *0" "$T_TMP/stat"
