# A ring buffer too small for the workload overruns.  The recorder says
# how many events each CPU lost, and the same numbers travel in the file's
# CPUSTAT options, where `trace-cmd report --stat` shows them.
source "$(dirname "$0")/../lib.sh"

why=$(t_no_tracing)
churn="$WORKLOADS/page-churn"
[ -z "$why" ] && [ ! -x "$churn" ] && why="$churn not built (make workloads)"
if [ -n "$why" ]; then
	t_skip "lost events are reported" "$why"
	exit 0
fi

f="$T_TMP/over.dat"
# 8 KiB per CPU for ~3M events in 64 MiB bursts: the kernel overwrites
# most of them, however fast the reader is.
"$PS" record -b 8 -o "$f" -- "$churn" 50 64 > "$T_TMP/out" 2> "$T_TMP/err"
t_check "record with -b 8 exits 0" test $? = 0
line=$(grep "lost events:" "$T_TMP/err")
total=$(sed -n 's/.*lost events: \([0-9]*\).*/\1/p' <<< "$line")
t_check "prints a non-zero lost-event count ($total)" test "${total:-0}" -gt 0
t_check "names the CPUs that lost events" grep -q "cpu[0-9]*=[1-9][0-9]* (overrun [0-9]*" <<< "$line"

trace-cmd report --stat "$f" > "$T_TMP/stat" 2> "$T_TMP/stat.err"
t_check "trace-cmd report --stat opens it quietly" test $? = 0 -a ! -s "$T_TMP/stat.err"
sum=$(awk '/^overrun:/ { s += $2 } /^commit overrun:/ { s += $3 } /^dropped events:/ { s += $3 } END { print s + 0 }' "$T_TMP/stat")
t_check "CPUSTAT in the file agrees ($sum)" test "$sum" = "${total:-x}"
trace-cmd report "$f" > /dev/null 2> "$T_TMP/report.err"
t_check "trace-cmd report opens it quietly" test $? = 0 -a ! -s "$T_TMP/report.err"
