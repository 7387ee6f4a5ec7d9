# The disk fills up while recording (a 2 MiB tmpfs): record stops at
# once, says so in one error line, exits 2, and leaves a valid file
# marked partial (what fit), with no instance, no per-CPU file behind.
source "$(dirname "$0")/../lib.sh"

why=$(t_no_tracing)
if [ -n "$why" ]; then
	t_skip "record on a full disk" "$why"
	exit 0
fi
small="$T_TMP/small"
mkdir "$small"
if ! mount -t tmpfs -o size=2m tmpfs "$small" 2> /dev/null; then
	t_skip "record on a full disk" "cannot mount a tmpfs"
	exit 0
fi
trap 'umount "$small"; t_cleanup' EXIT

# Small buffers, so the readers write early; page-churn until stopped.
"$PS" record -b 256 -o "$small/full.dat" -- \
	sh -c "while :; do '$WORKLOADS/page-churn' 20 > /dev/null; done" \
	> "$T_TMP/out" 2> "$T_TMP/err" &
pid=$!
start=$SECONDS
while kill -0 $pid 2> /dev/null && [ $((SECONDS - start)) -lt 60 ]; do
	sleep 0.2
done
kill -INT $pid 2> /dev/null
wait $pid
rc=$?
t_check "record stops by itself on a full disk, exit 2" test $rc = 2
t_check "within 60 s" test $((SECONDS - start)) -lt 60
t_check "exactly one error line" test "$(grep -c 'error:' "$T_TMP/err")" = 1
t_check "the error says no space and partial" \
	grep -q "error: .*full.dat: No space left on device while recording; stopped, the file written so far is partial" "$T_TMP/err"
t_check "instance pagestate-$pid is removed" \
	test ! -e /sys/kernel/tracing/instances/pagestate-$pid
t_check "no per-CPU file left" sh -c "! ls '$small'/full.dat.cpu* 2> /dev/null"
t_check "no run file left" test ! -e /run/pagestate/record-$pid
"$PS" replay "$small/full.dat" > "$T_TMP/replay" 2> "$T_TMP/replay.err"
t_check "the partial file replays" test $? = 0
t_check "replay says disk full and what is missing" \
	grep -q "^partial: *yes, disk full while recording; missing: the end marker" "$T_TMP/replay"
t_check "it holds events (records > 0)" \
	sh -c "awk '/^records:/ { exit !(\$2 > 0) }' '$T_TMP/replay'"
trace-cmd report "$small/full.dat" > /dev/null 2> "$T_TMP/tc.err"
t_check "trace-cmd report opens it" test $? = 0
