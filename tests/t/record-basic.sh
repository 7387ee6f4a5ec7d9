# Record a small command: the file opens in trace-cmd without a word on
# stderr, carries the metadata markers of include/pagestate/recording.h,
# says how many events were lost, and our tracefs instance is gone.
source "$(dirname "$0")/../lib.sh"

why=$(t_no_tracing)
if [ -n "$why" ]; then
	t_skip "record a command" "$why"
	exit 0
fi

f="$T_TMP/true.dat"
"$PS" record -o "$f" -- /bin/true > "$T_TMP/out" 2> "$T_TMP/err" &
pid=$!
wait $pid
t_check "record -- /bin/true exits 0" test $? = 0
t_check "instance pagestate-$pid is removed" \
	test ! -e /sys/kernel/tracing/instances/pagestate-$pid
t_check "no per-CPU temp files left" test -z "$(ls "$T_TMP" | grep '\.cpu[0-9]')"
t_check "prints the profile it chose" grep -q "recording profile=\(host\|page_ref\)" "$T_TMP/err"
t_check "prints the lost events" grep -q "lost events: 0" "$T_TMP/err"

trace-cmd report "$f" > "$T_TMP/report" 2> "$T_TMP/report.err"
t_check "trace-cmd report opens it (exit 0)" test $? = 0
t_check "trace-cmd report prints nothing on stderr" test ! -s "$T_TMP/report.err"
trace-cmd report --stat "$f" > "$T_TMP/stat" 2> "$T_TMP/stat.err"
t_check "trace-cmd report --stat opens it quietly" test $? = 0 -a ! -s "$T_TMP/stat.err"
t_check "--stat shows the per-CPU stats (CPUSTAT)" grep -q "^overrun: 0" "$T_TMP/stat"

mark() { grep -o "pagestate: $1.*" "$T_TMP/report"; }
child=$(mark task | sed -n '1s/.*task pid=\([0-9]*\) ppid='"$pid"' comm=true$/\1/p')
t_check "begin marker with kernel, profile and cmd" \
	grep -q "pagestate: begin v=1 tool=[^ ]* kernel=$(uname -r) profile=[a-z_]* cmd=/bin/true$" "$T_TMP/report"
t_check "cap marker" grep -q "pagestate: cap kmem=1 .*kprobe_events=[01]" "$T_TMP/report"
t_check "event marker for kmem:mm_page_alloc" grep -q "pagestate: event kmem:mm_page_alloc$" "$T_TMP/report"
t_check "task marker for the workload" test -n "$child"
t_check "exit marker for the workload" grep -q "pagestate: exit pid=$child status=0$" "$T_TMP/report"
t_check "exit snapshot lines" \
	grep -q "pagestate: snap pid=$child when=exit seq=0 pages=[0-9a-f]*:[0-9a-f]*:[0-9a-f]*:[0-9a-f]*," "$T_TMP/report"
t_check "snap-end marker" grep -q "pagestate: snap-end pid=$child when=exit pages=[1-9][0-9]* lines=[1-9]" "$T_TMP/report"
t_check "end marker is the last marker" test "$(mark | tail -1)" = "pagestate: end"
t_check "kernel events were recorded" grep -q " mm_page_alloc: " "$T_TMP/report"
long=$(grep -o "pagestate: .*" "$T_TMP/report" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
t_check "markers fit PS_MARK_MAX ($long bytes)" test "$long" -lt 3072

# The reader threads take no signal: one that woke a thread in a write
# to 9p (NFS, FUSE) cut it short with EINTR after its pages had left the
# ring buffer, and they were lost without a count (record/buffers.c).
# Every thread but the main one blocks SIGINT, SIGUSR2, SIGTERM, SIGCHLD.
"$PS" record -q -o "$T_TMP/sleep.dat" -- sleep 3 > /dev/null 2>&1 &
pid=$!
readers= blocked=0
for i in $(seq 100); do
	[ "$(ls /proc/$pid/task 2>/dev/null | wc -l)" -gt 1 ] && pgrep -P $pid sleep > /dev/null && break
	sleep 0.1
done
for t in /proc/$pid/task/*; do
	[ "${t##*/}" = $pid ] && continue
	readers=$((readers + 1))
	m=$(sed -n 's/^SigBlk:\t*//p' "$t/status")
	# bits sig-1: SIGINT 1, SIGUSR2 11, SIGTERM 14, SIGCHLD 16
	[ -n "$m" ] && [ $(( 0x$m & 0x14802 )) = $((0x14802)) ] && blocked=$((blocked + 1))
done
wait $pid
t_check "record's $readers reader threads block SIGINT, SIGUSR2, SIGTERM and SIGCHLD ($blocked do)" \
	test "$readers" -ge 1 -a "$blocked" = "$readers"
