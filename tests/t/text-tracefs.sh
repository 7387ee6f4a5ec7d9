# Issue 12, part 1: the kernel's own text, /sys/kernel/tracing/trace with
# its header and FLAGS column, and trace_pipe's lines, replay: every
# event line is counted and adapted, none is called unreadable.
source "$(dirname "$0")/../lib.sh"

why=$(t_no_tracing)
[ -z "$why" ] || { t_skip "tracefs text" "$why"; exit 0; }

inst=/sys/kernel/tracing/instances/pagestate-text-$$
mkdir "$inst" || { t_fail "tracefs text" "cannot create $inst"; exit 0; }
trap 'echo 0 > "$inst/tracing_on"; rmdir "$inst"; t_cleanup' EXIT
echo 1 > "$inst/events/kmem/mm_page_alloc/enable"
echo 1 > "$inst/events/kmem/mm_page_free/enable"
echo 1 > "$inst/events/pagemap/mm_lru_insertion/enable"
echo 1 > "$inst/tracing_on"
"$TOP/tests/workloads/page-churn" > /dev/null 2>&1 ||
	dd if=/dev/zero bs=1M count=8 2>/dev/null | cat > /dev/null
echo 0 > "$inst/tracing_on"
cat "$inst/trace" > "$T_TMP/trace.txt"
grep -v '^#' "$T_TMP/trace.txt" > "$T_TMP/pipe.txt"	# trace_pipe: no header

n=$(grep -c ': mm_page_alloc: ' "$T_TMP/trace.txt")
for f in trace.txt pipe.txt; do
	"$PS" replay "$T_TMP/$f" > "$T_TMP/$f.out" 2> "$T_TMP/$f.err"
	rc=$?
	if [ $rc = 0 ] && [ "$n" -gt 0 ] && ! grep -q unreadable "$T_TMP/$f.err" &&
	   ! grep -q 'skipped' "$T_TMP/$f.err" &&
	   grep -q "^  alloc  *$n\$" "$T_TMP/$f.out"; then
		t_ok "$f: $n mm_page_alloc lines become $n alloc ops, no line skipped"
	else
		t_fail "$f" "rc=$rc n=$n $(head -3 "$T_TMP/$f.err") $(grep alloc "$T_TMP/$f.out")"
	fi
done
