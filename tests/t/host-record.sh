# A real recording on this machine's kernel of the bundled workload
# (tests/workloads/thp-basic), replayed: the THP the workload reports is
# an order-9 folio with its allocation and, after exit, its free; the
# collapse and the split are visible; per-event counts equal trace-cmd
# report's; lost events are 0 or reported; the derived end state agrees
# with the exit snapshot.
source "$(dirname "$0")/../lib.sh"

why=$(t_no_tracing)
if [ -n "$why" ]; then
	for c in "record thp-basic" "THP order-9 alloc and free" "collapse" \
		 "split" "event counts" "lost events" "end state"; do
		t_skip "host: $c" "$why"
	done
	exit 0
fi

f="$T_TMP/run.dat"
"$PS" record -o "$f" -- "$WORKLOADS/thp-basic" > "$T_TMP/w" 2> "$T_TMP/rec.err"
rc=$?
if [ "$rc" = 0 ] && [ -s "$f" ]; then
	t_ok "host: record thp-basic"
else
	t_fail "host: record thp-basic" "exit $rc: $(tail -3 "$T_TMP/rec.err")"
	exit 0
fi
pfn_of() { sed -n "s/^workload: $1 .*pfn=\(0x[0-9a-f]*\).*/\1/p" "$T_TMP/w" | head -1; }

"$PS" replay "$f" > "$T_TMP/sum" 2> "$T_TMP/err"
t_check "host: replay exits 0 with a quiet stderr" test $? = 0 -a ! -s "$T_TMP/err"
t_check "host: replay knows the kernel and profile" \
	grep -q "^kernel:    $(uname -r)$" "$T_TMP/sum"
t_check "host: the engine met no anomaly" \
	grep -qx "engine anomalies: 0" "$T_TMP/sum"

thp=$(pfn_of thp)
"$PS" replay "$f" --pfn "$thp" > "$T_TMP/thp"
if grep -q "alloc  *pfn=$thp order=9 | folio $thp/9" "$T_TMP/thp" &&
   grep -q "free  *pfn=$thp order=9 | folio $thp/9 (ended)" "$T_TMP/thp"; then
	t_ok "host: THP $thp: order-9 alloc and free after exit"
else
	t_fail "host: THP order-9 alloc and free" "$(head -5 "$T_TMP/thp")"
fi
t_check "host: THP snapshot at exit shows it mapped" \
	grep -q "snapshot  *pfn=$thp kpagecount=[1-9]" "$T_TMP/thp"

after=$(pfn_of collapse-after)
before=$(pfn_of collapse-before)
# the page that was there before is among the parents, not just 512 pfns
if t_collapsed_from "$f" "$before" "$after"; then
	t_ok "host: MADV_COLLAPSE into $after names its 512 pages, $before among them"
else
	t_fail "host: collapse" "$("$PS" replay "$f" --pfn "$before" | grep -m3 'collapse\|lineage')"
fi

if grep -q "split_huge_page via=" "$T_TMP/w"; then
	sp=$(pfn_of split-page)
	"$PS" replay "$f" --pfn "$sp" > "$T_TMP/split"
	if grep -q "lineage: split from 1 folio: 0x[0-9a-f]*/9" "$T_TMP/split" &&
	   grep -q "| folio $sp/0" "$T_TMP/split"; then
		t_ok "host: split_huge_page: $sp becomes an order-0 folio of a split THP"
	else
		t_fail "host: split" "$(grep -m3 'lineage\|free' "$T_TMP/split")"
	fi
else
	t_fail "host: split" "workload did not split: $(grep failed "$T_TMP/w")"
fi

t_tracecmd_counts "$f" > "$T_TMP/tc"
trace-cmd report "$f" 2>&1 >/dev/null | grep -v "^$" > "$T_TMP/tc.err"
t_replay_counts < "$T_TMP/sum" > "$T_TMP/ps"
if [ -s "$T_TMP/tc" ] && [ ! -s "$T_TMP/tc.err" ] && diff "$T_TMP/tc" "$T_TMP/ps" > "$T_TMP/diff"; then
	t_ok "host: event counts equal trace-cmd report ($(awk '{s += $2} END {print s}' "$T_TMP/tc") events)"
else
	t_fail "host: event counts equal trace-cmd report" "$(head -c 300 "$T_TMP/diff" "$T_TMP/tc.err")"
fi

lost=$(t_lost < "$T_TMP/sum")
if [ "$lost" = "0 0 0" ]; then
	t_ok "host: no lost events"
elif [ -n "$lost" ] && grep -q "lost events" "$T_TMP/rec.err"; then
	t_ok "host: lost events reported by record and replay ($lost)"
else
	t_fail "host: lost events" "replay says '$lost'"
fi

"$PS" replay --verify "$f" > "$T_TMP/verify"
# A loaded host may lose events (accepted below, said by record and
# replay): the pages whose lives the losses cross are not judged, which
# can leave few or none to compare; none may disagree either way.
min=1 min_end=512
[ "$(t_lost < "$T_TMP/sum")" = "0 0 0" ] || min=0 min_end=0
agree=$(sed -n 's/^agree \([0-9]*\)\/\([0-9]*\) pages.*/\1 \2/p' "$T_TMP/verify")
set -- $agree
echo "$(head -1 "$T_TMP/verify")"
if [ -n "$agree" ] && [ "$1" = "$2" ] && [ "$2" -ge $min_end ]; then
	t_ok "host: end state agrees with the exit snapshot: agree $1/$2 pages"
else
	t_fail "host: end state" "$(head -5 "$T_TMP/verify")"
fi
# The deep snapshot: every pfn the kmem events named, mapped or not, read
# at exit; liveness and order compared on them both ways, the fields
# this kernel has no source for said to be not compared.
sed -n 's/^\(deep\|all\|liveness\|order\) /  &/p' "$T_TMP/verify"
set -- $(sed -n 's/^deep snapshot: agree \([0-9]*\)\/\([0-9]*\) pages.*/\1 \2/p' "$T_TMP/verify")
t_check "host: the deep snapshot compared pages the process did not map: agree ${1:-}/${2:-}" \
	test -n "${2:-}" -a "${1:-x}" = "${2:-y}" -a "${2:-0}" -ge $min
set -- $(sed -n 's/^all: agree \([0-9]*\)\/\([0-9]*\) pages$/\1 \2/p' "$T_TMP/verify")
t_check "host: all snapshots: agree ${1:-}/${2:-} pages" \
	test -n "${2:-}" -a "${1:-x}" = "${2:-y}"
if [ $min = 1 ]; then
	t_check "host: liveness and order agree N/N per field" \
		t_fields_agree "$T_TMP/verify" liveness order
else
	t_check "host (events lost): no page disagrees, the ones the losses cross counted apart" \
		eval '! grep -q "^  disagree " "$T_TMP/verify"'
fi
t_check "host: refcount, pincount, mapcount, flags not compared (no source here)" \
	t_fields_not_compared "$T_TMP/verify" refcount pincount mapcount flags

