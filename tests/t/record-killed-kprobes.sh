#!/usr/bin/env bash
# SIGKILL on a kernel with kprobe events (Debian's stock 6.1 under qemu;
# the host has none): the dead recorder leaves its instance and its
# kprobe group behind, the next `record --cleanup` recovers its per-CPU
# files into a partial file that replays with the kprobe events, and
# removes the instance and every kprobe event of group pagestate.
. "$(dirname "$0")/../lib.sh"

VM="$TOP/tests/vm/run"
K=${RECORD_KILLED_KERNEL:-stock-6.1}
names="left kprobes behind|cleanup removes them|recovered file replays"

why=
command -v qemu-system-x86_64 >/dev/null || why="qemu-system-x86_64 not installed"
[ -n "$why" ] || command -v busybox >/dev/null || why="busybox-static not installed"
[ -n "$why" ] || [ -x "$PS" ] || why="$PS not built (make)"
if [ -n "$why" ]; then
	IFS='|'; for c in $names; do t_skip "killed recorder on $K: $c" "$why"; done
	exit 0
fi

guest='cd /out; mkdir -p /run
/pagestate record -q -o /out/k.dat -- /w/page-churn 1000000 > /dev/null 2> rec.err &
pid=$!
i=0
while [ $i -lt 600 ] && ! grep -q "^event=pagestate:" /run/pagestate/record-$pid 2> /dev/null; do
	sleep 0.1; i=$((i + 1))
done
sleep 2
kill -KILL $pid
sleep 0.2
echo "before=[$(grep -c "pagestate/" /sys/kernel/tracing/kprobe_events)] instance=[$(ls /sys/kernel/tracing/instances)]"
/pagestate record --cleanup 2> cleanup.err
echo "cleanup rc=$?"
cat cleanup.err
echo "after=[$(grep -c "pagestate/" /sys/kernel/tracing/kprobe_events)] instance=[$(ls /sys/kernel/tracing/instances)] leftovers=[$(ls /out | grep "\.cpu" | tr "\n" " ")]"'

mkdir -p "$T_TMP/$K"
"$VM" --kernel "$K" --timeout 240 --out "$T_TMP/$K" -- sh -c "$guest" \
	> "$T_TMP/$K.out" 2>&1
rc=$?
if [ $rc = 125 ]; then
	IFS='|'; for c in $names; do
		t_skip "killed recorder on $K: $c" "vm/run failed: $(tail -1 "$T_TMP/$K.out")"
	done
	exit 0
fi
out="$T_TMP/$K.out"
t_check "killed recorder on $K: left kprobes behind" \
	grep -q "^before=\[[1-9][0-9]*\] instance=\[pagestate-" "$out"
t_check "killed recorder on $K: cleanup removes them" \
	grep -q "^after=\[0\] instance=\[\] leftovers=\[\]" "$out"
"$PS" replay "$T_TMP/$K/k.dat" > "$T_TMP/replay" 2>&1
t_check "killed recorder on $K: recovered file replays" \
	sh -c "grep -q '^partial: *yes, recorder killed' '$T_TMP/replay' &&
	       grep -q '^profile: *kprobe' '$T_TMP/replay'"
