# record --stack-on=LIST: a kernel stack after the listed events only.
# On the host (tracepoints only): with kmem:mm_page_alloc listed, every
# kernel_stack follows an mm_page_alloc of its cpu and (almost) every
# mm_page_alloc has one; the markers say so; the instance and its
# triggers are gone after a normal end, SIGINT and SIGKILL + --cleanup.
# A bad LIST is one line on stderr and exit 2.  (The page_ref and kprobe
# half, --stack-on=holders, is in the 6.1 boot of tests/t/holders.sh.)
source "$(dirname "$0")/../lib.sh"

why=$(t_no_tracing)
if [ -n "$why" ]; then
	t_skip "record --stack-on" "$why"
	exit 0
fi
TR=/sys/kernel/tracing
cd "$T_TMP"

"$PS" record -q -b 8192 -o a.dat --stack-on=kmem:mm_page_alloc -- \
	dd if=/dev/zero of=zero bs=1M count=16 status=none 2> a.err
t_check "record --stack-on=kmem:mm_page_alloc exits 0" test $? = 0
trace-cmd report a.dat > a.txt 2> /dev/null
# per cpu: a stack must follow an mm_page_alloc still waiting for one (an
# interrupt's events may come between the event and its trigger's stack);
# the recorder's own are left out (below)
ours=$(sed -n 's/.*pagestate: recorder pids=//p' a.txt)
awk -v ours="$ours" 'BEGIN { n = split(ours, p, ","); for (i = 1; i <= n; i++) rec["-" p[i]] = 1 }
     /^ *=>/ { next }
     match($0, /\[[0-9]+\]/) {
	cpu = substr($0, RSTART + 1, RLENGTH - 2)
	task = $1; sub(/^.*-/, "-", task)
	if (task in rec) next
	if (!match($0, /: [a-z_]+:/)) next
	ev = substr($0, RSTART + 2, RLENGTH - 3)
	if (ev == "mm_page_alloc") { allocs++; wait[cpu]++ }
	else if (ev == "kernel_stack") {
		stacks++
		if (wait[cpu] > 0) wait[cpu]--; else stray++
	} }
     END { for (c in wait) left += wait[c]
	   printf "allocs=%d stacks=%d stray=%d nostack=%d\n", allocs, stacks, stray, left }' \
	a.txt > counts
read -r counts < counts
echo "# $counts"
eval "${counts// /; }"
t_check "there are mm_page_alloc events" test "$allocs" -gt 100
t_check "no kernel_stack after another event ($stray)" test "$stray" = 0
t_check "mm_page_alloc without its stack: at most 1% ($nostack of $allocs)" \
	test $((nostack * 100)) -le "$allocs"
t_check "the markers say stacks are on kmem:mm_page_alloc only" \
	test "$(grep -o 'pagestate: stack.*' a.txt | tr '\n' ';')" = \
	"pagestate: stacks mode=some events=1 skip=recorder;pagestate: stack-on kmem:mm_page_alloc if=all;"
# The recorder's own allocations (the page cache of a.dat's per-CPU
# files) are recorded, without a stack: the trigger leaves it out.
awk -v ours="$ours" 'BEGIN { n = split(ours, p, ","); for (i = 1; i <= n; i++) rec["-" p[i]] = 1 }
	{ task = $1; sub(/^.*-/, "-", task) }
	(task in rec) && / mm_page_alloc: / { allocs++ }
	(task in rec) && / kernel_stack: / { stacks++ }
	END { print allocs + 0, stacks + 0 }' a.txt > ours.txt
t_check "the recorder's own allocations recorded, none with a stack ($(cat ours.txt))" \
	awk '$1 > 0 && $2 == 0 { ok = 1 } END { exit !ok }' ours.txt
# Pages of the file (4 KiB sub-buffers) with under 1 KiB of events: only
# the reads of a partly filled page, at the exit snapshot and at the
# end.  A sync that read until the buffer was empty found one more event
# after each of its own writes, and wrote ~24,000 such pages per CPU.
trace-cmd report --stat a.dat 2> /dev/null | python3 -c '
import re, struct, sys
small = pages = 0
for m in re.finditer(r"CPU\d+ data recorded at offset=(0x[0-9a-f]+)\s+(\d+) bytes",
		     sys.stdin.read()):
	off, size = int(m.group(1), 16), int(m.group(2))
	with open("a.dat", "rb") as f:
		for i in range(size // 4096):
			f.seek(off + i * 4096)
			commit = struct.unpack("<QQ", f.read(16))[1] & 0xfffff
			pages += 1
			small += commit < 1024
print(pages, small)' > pages
read -r pages small < pages
ncpu=$(nproc)
t_check "pages under 1 KiB of events: at most 4 per CPU ($small of $pages, $ncpu CPUs)" \
	test "${small:-999999}" -le $((4 * ncpu)) -a "${pages:-0}" -gt 0
t_check "the instance is gone" test -z "$(ls $TR/instances | grep pagestate-)"
t_check "replay reads the file" "$PS" replay a.dat > /dev/null

# SIGINT, and SIGKILL then --cleanup: triggers must not keep the instance
for sig in INT KILL; do
	"$PS" record -q -b 8192 -o $sig.dat --stack-on='kmem:mm_page_*' -- sleep 100 2> $sig.err &
	pid=$!
	# every trigger armed, up to 20 s (an empty trigger file lists
	# "# Available triggers: ... stacktrace ...": hence the ^)
	for i in $(seq 200); do
		n=0
		for e in mm_page_alloc mm_page_free mm_page_free_batched; do
			grep -q "^stacktrace" $TR/instances/pagestate-$pid/events/kmem/$e/trigger \
				2> /dev/null && n=$((n + 1))
		done
		[ $n = 3 ] && break
		sleep 0.1
	done
	t_check "SIG$sig: the trigger was armed" grep -q "^stacktrace.*if common_pid >= 0" \
		$TR/instances/pagestate-$pid/events/kmem/mm_page_alloc/trigger
	kill -$sig $pid
	wait $pid
	rc=$?
	child=$(pgrep -f "^sleep 100$" -P 1 | head -1)
	if [ $sig = KILL ]; then
		[ -n "$child" ] && kill $child
		"$PS" record --cleanup > cleanup.out 2>&1
		t_check "SIGKILL: record --cleanup exits 0" test $? = 0
		rm -f $sig.dat*
	else
		t_check "SIGINT: record exits 0" test $rc = 0
	fi
	t_check "SIG$sig: instance pagestate-$pid is gone" \
		test ! -e $TR/instances/pagestate-$pid
done

# bad lists
bad() {
	local name=$1 want=$2; shift 2
	"$PS" record -q -o bad.dat "$@" -- true > bad.out 2> bad.err
	local rc=$?
	if [ $rc = 2 ] && [ "$(wc -l < bad.err)" = 1 ] && grep -q -- "$want" bad.err &&
	   [ ! -e bad.dat ]; then
		t_ok "$name: one line, exit 2"
	else
		t_fail "$name: one line, exit 2" "rc=$rc: $(cat bad.err)"
	fi
}
bad "an event that does not exist" "'kmem:no_such_event' does not exist" \
	--stack-on=kmem:no_such_event
bad "a system that does not exist" "does not exist" --stack-on=nosys:x
bad "an empty list" "empty" --stack-on=
bad "an empty name" "empty" --stack-on=kmem:mm_page_alloc,
bad "no colon" "not SYSTEM:EVENT" --stack-on=mm_page_alloc
bad "--stack with --stack-on" "not both" --stack --stack-on=holders
t_check "no instance left by the bad lists" \
	test -z "$(ls $TR/instances | grep pagestate-)"

# 'holders' on a kernel without page_ref or kprobes: said, stacks off
"$PS" record -o h.dat --stack-on=holders -- true > h.out 2> h.err
t_check "--stack-on=holders without its events still records" test $? = 0
t_check "...and says it matched nothing" grep -q "'holders' matched no recorded event" h.err
t_check "...and marks stacks off" sh -c "trace-cmd report h.dat 2>/dev/null | grep -q 'pagestate: stacks mode=off'"
