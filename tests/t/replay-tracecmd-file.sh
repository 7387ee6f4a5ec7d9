# A recording made by plain `trace-cmd record -B` (data in a buffer
# instance, no pagestate metadata) replays, and its per-event counts equal
# what `trace-cmd report` prints for the same file.
source "$(dirname "$0")/../lib.sh"

f="$FIXTURES/host-thp-basic.trace-cmd.dat"
w="$FIXTURES/host-thp-basic.trace-cmd.workload"

"$PS" replay "$f" > "$T_TMP/sum" 2> "$T_TMP/err"
t_check "replays a trace-cmd file (exit 0, quiet stderr)" \
	test $? = 0 -a ! -s "$T_TMP/err"
t_check "says it has no pagestate metadata" \
	grep -q "not a pagestate recording" "$T_TMP/sum"

t_tracecmd_counts "$f" > "$T_TMP/tc"
trace-cmd report "$f" 2>&1 >/dev/null | grep -v "^$" > "$T_TMP/tc.err"
t_replay_counts < "$T_TMP/sum" > "$T_TMP/ps"
if [ -s "$T_TMP/tc" ] && diff "$T_TMP/tc" "$T_TMP/ps" > "$T_TMP/diff"; then
	t_ok "event counts equal trace-cmd report ($(wc -l < "$T_TMP/tc") events)"
else
	t_fail "event counts equal trace-cmd report" "$(head -c 400 "$T_TMP/diff")"
fi

# The workload's first THP: allocated at order 9, freed at exit.
thp=$(sed -n 's/^workload: thp .*pfn=\(0x[0-9a-f]*\).*/\1/p' "$w")
"$PS" replay "$f" --pfn "$thp" > "$T_TMP/tl"
t_check "THP $thp allocated as an order-9 folio" \
	grep -q "alloc  *pfn=$thp order=9 | folio $thp/9" "$T_TMP/tl"
t_check "THP $thp freed whole at exit" \
	grep -q "free  *pfn=$thp order=9 | folio $thp/9 (ended)" "$T_TMP/tl"

# MADV_COLLAPSE: the new THP names the 512 small pages it replaced.
after=$(sed -n 's/^workload: collapse-after .*pfn=\(0x[0-9a-f]*\).*/\1/p' "$w")
before=$(sed -n 's/^workload: collapse-before .*pfn=\(0x[0-9a-f]*\).*/\1/p' "$w")
"$PS" replay "$f" --pfn "$after" > "$T_TMP/col"
t_check "collapse into $after succeeded" grep -q "collapse  *succeeded | folio $after/9" "$T_TMP/col"
# 512 parents, and the page that was there before among them
t_check "collapse lineage names 512 pages, $before among them" \
	t_collapsed_from "$f" "$before" "$after"
"$PS" replay "$f" --pfn "$before" > "$T_TMP/bef"
# numerically: timestamps compared as strings order 999.9 after 1000.0
tcol=$(awk '/collapse  *succeeded/ { print $1; exit }' "$T_TMP/col")
freed_before() {
	[ -n "$tcol" ] && awk -v t="$tcol" '/ free / && $1 + 0 < t + 0 { n++ } END { exit !n }' "$T_TMP/bef"
}
t_check "old small page $before freed before the collapse finished (at ${tcol:-?})" freed_before

# --comm: every op of the workload's tasks, by name.
"$PS" replay "$f" --comm thp-basic > "$T_TMP/comm"
t_check "--comm thp-basic shows the workload's ops" \
	test "$(grep -c 'thp-basic-' "$T_TMP/comm")" -gt 100

# --verify on a recording with no snapshot at all: every field says it
# was not compared, nothing claims agreement (issue 10's bad input).
"$PS" replay --verify "$f" > "$T_TMP/verify"
t_check "--verify without snapshots: six fields not compared, all 0/0" \
	eval 't_fields_not_compared "$T_TMP/verify" liveness order refcount mapcount pincount flags &&
	      test "$(grep -c "not compared: no exit snapshot" "$T_TMP/verify")" = 6 &&
	      grep -qx "all: agree 0/0 pages" "$T_TMP/verify"'
