# Issue 12, part 2: pagestate diff GOOD BAD aligns two recordings of the
# same workload by task and virtual address, not pfn.  The collapse-broken
# workload on the clean custom 6.1 kernel and on the same kernel with
# tests/vm/patches/collapse-broken.patch: the runs part at khugepaged
# collapsing the range the clean kernel refused, and the pinned page's
# history shows the pin kept while its mapping went.  A recording diffed
# with itself agrees.
source "$(dirname "$0")/../lib.sh"

good="$FIXTURES/vm-custom61-collapse-broken-clean.dat"
bad="$FIXTURES/vm-custom61-collapse-broken.dat"
vaddr_of() { sed -n "s/^workload: $2 .*vaddr=\(0x[0-9a-f]*\).*/\1/p" "${1%.dat}.workload" | head -1; }

"$PS" diff --max 10000 "$good" "$bad" > "$T_TMP/d" 2> "$T_TMP/e"
t_check "clean vs broken: exit 1" test $? = 1
first=$(sed -n '3,4p' "$T_TMP/d")
if echo "$first" | grep -q '^    bad .*khugepaged-[0-9]* \(collapse_isolate succeeded\|rmap_remove\)'; then
	t_ok "the first divergence is the broken collapse: $(echo "$first" | sed -n 's/^    bad  *//p' | cut -c1-60)"
else
	t_fail "first divergence" "$(head -4 "$T_TMP/d")"
fi
gpin=$(vaddr_of "$good" pin-before)
bpin=$(vaddr_of "$bad" pin-before)
t_check "workloads agree: clean kernel refused, broken one collapsed" \
	grep -q "madv_collapse pin ret=-1 errno=11" "${good%.dat}.workload"
grep -A4 "^task 0 (collapse-broken) page $gpin ($bpin in the bad run)" "$T_TMP/d" > "$T_TMP/pin"
if grep -q "^    bad .*khugepaged.*rmap_remove .*map=0 sub=0 pin=1" "$T_TMP/pin" &&
   grep -q "^    good .* unpin " "$T_TMP/pin"; then
	t_ok "pinned page $gpin (bad run: $bpin) aligned by address: clean unpins, broken unmaps it still pinned"
else
	t_fail "pinned page $gpin / $bpin" "$(cat "$T_TMP/pin" | head -5)"
fi
t_check "summary counts the mappings" \
	grep -q "^[0-9]* mappings compared: [0-9]* agree, [1-9][0-9]* differ" "$T_TMP/d"

for f in "$good" "$bad" "$FIXTURES/vm-stock61-thp-basic.dat"; do
	for bin in "$PS" "$PS_ASAN"; do
		"$bin" diff "$f" "$f" > "$T_TMP/same" 2>&1
		t_check "$(basename "$f") diffed with itself: exit 0 ($(basename "$bin"))" test $? = 0
	done
done
"$PS_ASAN" diff "$good" "$bad" > /dev/null 2> "$T_TMP/e"
t_check "clean vs broken under ASan/UBSan: exit 1, no report" test $? = 1

"$PS" diff "$good" > /dev/null 2> "$T_TMP/e"
t_check "one recording: exit 2" test $? = 2
"$PS" diff "$FIXTURES/host-thp-basic.trace-cmd.dat" "$good" > /dev/null 2> "$T_TMP/e"
t_check "a recording without workload tasks: exit 2, says why" \
	test $? = 2 -a -n "$(grep 'no workload tasks' "$T_TMP/e")"
