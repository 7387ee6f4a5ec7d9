# Ctrl-C in the middle of `record -- sleep 100`: the recording still ends
# in a file trace-cmd opens, with the end marker, the workload is gone
# and so is our tracefs instance.  SIGTERM does the same without a workload.
source "$(dirname "$0")/../lib.sh"

why=$(t_no_tracing)
if [ -n "$why" ]; then
	t_skip "SIGINT during record" "$why"
	exit 0
fi

f="$T_TMP/sleep.dat"
"$PS" record -o "$f" -- sleep 100 > "$T_TMP/out" 2> "$T_TMP/err" &
pid=$!
for i in $(seq 50); do
	[ -d /sys/kernel/tracing/instances/pagestate-$pid ] && pgrep -P $pid -x sleep > /dev/null && break
	sleep 0.1
done
child=$(pgrep -P $pid -x sleep)
start=$SECONDS
kill -INT $pid
wait $pid
rc=$?
t_check "record exits 0 after SIGINT" test $rc = 0
t_check "it stopped within 10 s" test $((SECONDS - start)) -lt 10
t_check "instance pagestate-$pid is removed" \
	test ! -e /sys/kernel/tracing/instances/pagestate-$pid
# the sleep child by its own pid: once record is reaped, pgrep -P would
# find nothing even if the workload had been left running
gone() {
	[ -n "$child" ] || return 1
	for i in $(seq 20); do
		[ -e /proc/$child ] || return 0
		sleep 0.1
	done
	return 1
}
t_check "the workload (sleep ${child:-not found}) is gone" gone
trace-cmd report "$f" > "$T_TMP/report" 2> "$T_TMP/report.err"
t_check "trace-cmd report opens the file quietly" test $? = 0 -a ! -s "$T_TMP/report.err"
t_check "the file has the end marker" grep -q "pagestate: end$" "$T_TMP/report"
t_check "the file has the sleep task" grep -q "pagestate: task pid=[0-9]* ppid=$pid comm=sleep$" "$T_TMP/report"

# Whole system, no workload: SIGTERM ends it.
f="$T_TMP/system.dat"
"$PS" record -q -o "$f" 2> "$T_TMP/err2" &
pid=$!
for i in $(seq 50); do
	[ -d /sys/kernel/tracing/instances/pagestate-$pid ] && break
	sleep 0.1
done
sleep 0.3
kill -TERM $pid
wait $pid
t_check "system-wide record exits 0 after SIGTERM" test $? = 0
t_check "instance pagestate-$pid is removed" \
	test ! -e /sys/kernel/tracing/instances/pagestate-$pid
trace-cmd report "$f" > "$T_TMP/report2" 2> "$T_TMP/report2.err"
t_check "trace-cmd report opens the system-wide file quietly" \
	test $? = 0 -a ! -s "$T_TMP/report2.err"
t_check "system-wide file has begin and end markers" \
	test "$(grep -c 'pagestate: \(begin\|end$\)' "$T_TMP/report2")" = 2
