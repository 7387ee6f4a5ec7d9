# Every way a recorder can end leaves the kernel as it found it: no
# tracefs instance pagestate-<pid>, no kprobe event of group pagestate,
# no OUT.cpuN file, no run file in /run/pagestate.  Normal end, a failed
# start, SIGINT, SIGTERM, SIGHUP, a crashing workload, a workload that
# ignores the signal; and SIGKILL, after which the next record (and
# record --cleanup) clean up and recover turns the per-CPU files into a
# partial file that replays and says what it lacks.
source "$(dirname "$0")/../lib.sh"

why=$(t_no_tracing)
if [ -n "$why" ]; then
	t_skip "record exit paths" "$why"
	exit 0
fi
TR=/sys/kernel/tracing
cd "$T_TMP"

# left_behind PID OUT: what recorder PID left, nothing if all is clean
left_behind() {
	local pid=$1 out=$2
	[ -e $TR/instances/pagestate-$pid ] && echo "instance pagestate-$pid"
	ls "$out".cpu* 2> /dev/null
	[ -e /run/pagestate/record-$pid ] && echo "run file record-$pid"
	if [ -r $TR/kprobe_events ] && grep -q "^[pr]:pagestate/" $TR/kprobe_events &&
	   ! ls -d $TR/instances/pagestate-* > /dev/null 2>&1; then
		echo "kprobe events of group pagestate"
	fi
	true
}

# clean NAME PID OUT: one check that nothing was left
clean() {
	local left
	left=$(left_behind "$2" "$3")
	if [ -z "$left" ]; then t_ok "$1: nothing left behind"
	else t_fail "$1: nothing left behind" "$(echo $left)"; fi
}

# start OUT ARGS...: record in the background until its instance and
# workload are up; sets pid and child (the workload's pid)
start() {
	local out=$1; shift
	"$PS" record -q -o "$out" "$@" 2> "$out.err" &
	pid=$!
	for i in $(seq 100); do
		[ -d $TR/instances/pagestate-$pid ] && grep -q "^event=" \
			/run/pagestate/record-$pid 2> /dev/null && break
		sleep 0.1
	done
	sleep 0.5
	child=$(pgrep -P $pid | head -1)
}

# killed: SIGKILL the recorder, then its orphaned workload by its pid
killed() {
	kill -KILL $pid
	wait $pid 2> /dev/null
	[ -n "$child" ] && kill -KILL $child 2> /dev/null
	kpid=$pid
}

"$PS" record -q -o normal.dat -- true &
pid=$!
wait $pid
rc=$?
t_check "normal end exits 0" test $rc = 0
clean "normal end" $pid normal.dat

"$PS" record -q -o nostart.dat -- /nonexistent/cmd 2> nostart.err &
wait $!
rc=$?
t_check "a workload that cannot start: exit 2" test $rc = 2
clean "failed start" $! nostart.dat
t_check "failed start: no output file" test ! -e nostart.dat

for sig in INT TERM HUP; do
	start sig$sig.dat -- sleep 100
	kill -$sig $pid
	start_s=$SECONDS
	wait $pid
	rc=$?
	t_check "SIG$sig: exit 0 within 10 s" test $rc = 0 -a $((SECONDS - start_s)) -lt 10
	clean "SIG$sig" $pid sig$sig.dat
	t_check "SIG$sig: the file has the end marker" \
		sh -c "trace-cmd report sig$sig.dat 2>/dev/null | grep -q 'pagestate: end\$'"
done

"$PS" record -o crash.dat -- sh -c 'kill -SEGV $$' 2> crash.err &
pid=$!
wait $pid
t_check "crashing workload: exit 0, the crash said" \
	sh -c "test $? = 0 && grep -q 'signal 11' crash.err"
clean "crashing workload" $pid crash.dat
t_check "crashing workload: replayable file" \
	sh -c "'$PS' replay crash.dat > /dev/null"

# A workload that ignores SIGTERM: pagestate kills it after its grace.
start stubborn.dat -- sh -c "trap '' TERM INT HUP; while :; do sleep 0.2; done"
kill -TERM $pid
start_s=$SECONDS
wait $pid
t_check "workload ignoring SIGTERM: record ends within 20 s" \
	test $((SECONDS - start_s)) -lt 20
clean "workload ignoring SIGTERM" $pid stubborn.dat

# The recorder names its own threads (their page events are its own I/O).
t_check "the recorder marker names the recorder's threads" \
	sh -c "trace-cmd report normal.dat 2>/dev/null | grep -q 'pagestate: recorder pids=[0-9]*,[0-9]*'"

# SIGKILL: what it leaves, and what the next record does with it.
start killed.dat -- sleep 100
sleep 0.5
killed
t_check "SIGKILL leaves the instance (as it must: nothing runs)" \
	test -d $TR/instances/pagestate-$kpid
t_check "SIGKILL leaves the per-CPU files" test -e killed.dat.cpu0
"$PS" record -o next.dat -- true 2> next.err
t_check "the next record says it cleaned up" \
	grep -q "removed the tracefs instance pagestate-$kpid left by a dead recorder" next.err
t_check "the next record recovered the killed one" \
	grep -q "recovered $T_TMP/killed.dat (partial" next.err
clean "after SIGKILL + next record" $kpid killed.dat
"$PS" replay killed.dat > killed.replay 2> killed.replay.err
t_check "the recovered file replays" test $? = 0
t_check "replay says it is partial and what is missing" \
	grep -q "^partial: *yes, recorder killed, recovered; missing: the end marker" killed.replay
t_check "it has the begin marker" grep -q "^workload: *sleep 100" killed.replay
trace-cmd report killed.dat > killed.report 2> killed.report.err
t_check "trace-cmd report opens it" test $? = 0
t_check "trace-cmd report --version shows the partial mark" \
	sh -c "trace-cmd report --version killed.dat 2>/dev/null | grep -q 'partial=killed missing=end'"

# pagestate recover on its own, and record --cleanup.
start killed2.dat -- sleep 100
killed
"$PS" recover killed2.dat 2> recover.err
t_check "recover exits 0" test $? = 0
clean "after SIGKILL + recover" $kpid killed2.dat
t_check "recovered file replays" sh -c "'$PS' replay killed2.dat | grep -q '^partial: *yes'"
"$PS" recover killed2.dat 2> recover2.err
t_check "recover with nothing to recover: exit 2, says why" \
	sh -c "test $? = 2 && grep -q 'nothing to recover' recover2.err"

start killed3.dat -- sleep 100
killed
"$PS" record --cleanup 2> cleanup.err
t_check "record --cleanup exits 0 and says what it removed" \
	sh -c "test $? = 0 && grep -q 'pagestate-$kpid left by a dead recorder' cleanup.err"
clean "after SIGKILL + record --cleanup" $kpid killed3.dat
t_check "record --cleanup recorded nothing" test ! -e trace.dat

# A stale instance whose pid now belongs to another process (pid reuse):
# the process is no recorder, so the instance is stale.
sleep 100 &
spid=$!
mkdir $TR/instances/pagestate-$spid
"$PS" record --cleanup 2> reuse.err
t_check "an instance whose pid is reused by a non-recorder is removed" \
	test ! -e $TR/instances/pagestate-$spid
kill $spid
