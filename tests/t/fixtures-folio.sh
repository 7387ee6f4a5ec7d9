# The committed recordings from folio-era kernels (tests/fixtures/
# vm-stock612-*, vm-stock72-*: Debian's stock 6.12 and 7.2 under qemu)
# replay here without qemu.  fixtures-vm.sh holds every vm-* fixture to
# 0 anomalies, 100% agreement with mapcount compared and a clean check;
# this test is about what the folio era adds: the counts the probes read,
# mTHP folios, the rules that apply to these kernels and the one that
# does not.
source "$(dirname "$0")/../lib.sh"

pfn_of() { sed -n "s/^workload: $2 .*pfn=\(0x[0-9a-f]*\).*/\1/p" "$FIXTURES/$1.workload" | head -1; }

for n in vm-stock612-mthp vm-stock612-cow-thp vm-stock72-mthp; do
	f="$FIXTURES/$n.dat"
	"$PS" replay "$f" > "$T_TMP/$n.sum"
	t_check "$n: mapcount tracked as large, entire and per page; pincount too" \
		grep -q "^tracked:   refcount no (needs page_ref), mapcount yes (large, entire, per page), pincount yes" "$T_TMP/$n.sum"
	t_check "$n: the folio's own counts were held against the derived ones" \
		grep -q "^folio counts: [1-9][0-9]* probe readings compared" "$T_TMP/$n.sum"
	"$PS" check "$f" > "$T_TMP/$n.check"; rc=$?
	t_check "$n: check exit 0" test "$rc" = 0
	t_check "$n: double-map not applicable (no PageDoubleMap after 6.2)" \
		grep -q "^double-map  *not applicable: no PageDoubleMap after 6.2" "$T_TMP/$n.check"
	t_check "$n: folio-counts and anon-exclusive-once checked, no break" \
		test "$(grep -c '^\(folio-counts\|anon-exclusive-once\)  *0 breaks' "$T_TMP/$n.check")" = 2
	for r in collapse-pinned anon-exclusive-pinned migration-entry-left huge-zero-split; do
		t_check "$n: $r runs on this kernel" \
			grep -q "^$r  *0 breaks" "$T_TMP/$n.check"
	done
done

for n in vm-stock612-mthp vm-stock72-mthp; do
	f="$FIXTURES/$n.dat"
	p=$(pfn_of $n mthp)
	"$PS" replay "$f" --folio "$p" > "$T_TMP/$n.new"
	t_check "$n: the new 64 KiB folio $p is order 4, mapped by 16 PTEs at once" \
		grep -q "rmap_add  *pfn=$p .*folio $p/4 .*map=16(entire 0 sub 1)" "$T_TMP/$n.new"
	p=$(pfn_of $n mthp-pin)
	c=$(pfn_of $n mthp-pin-child)
	"$PS" replay "$f" --pfn "$p" > "$T_TMP/$n.pin"
	if grep -q " pin  .*folio [0-9a-fx]*/4 .*pin=[1-9]" "$T_TMP/$n.pin" &&
	   [ -n "$c" ] && [ "$c" != "$p" ] &&
	   ! grep "fork_dup" "$T_TMP/$n.pin" | grep -q "pin=[1-9]"; then
		t_ok "$n: the pinned folio of $p counts its pins; fork copied it (child $c)"
	else
		t_fail "$n: pinned folio" "child=$c $(grep -m3 ' pin \|fork_dup' "$T_TMP/$n.pin")"
	fi
	p=$(pfn_of $n mthp-split2)
	"$PS" replay "$f" --pfn "$p" > "$T_TMP/$n.split"
	t_check "$n: split to new_order 2 leaves $p in an order-2 folio, mapped" \
		grep -q "rmap_add  *pfn=$p .*folio [0-9a-fx]*/2 .*sub 1)" "$T_TMP/$n.split"
	p=$(pfn_of $n mthp-collapse-after)
	"$PS" replay "$f" --folio "$p" > "$T_TMP/$n.col"
	t_check "$n: MADV_COLLAPSE of 64 KiB folios into $p names its sources" \
		grep -q "lineage: collapse from [1-9]" "$T_TMP/$n.col"
done

# cow-thp on 6.12: the PMD split is the split's own rmap calls; fork's
# inline PTE batch of the PTE-mapped THP shows at the child's first
# unmap, which reads 1024 mappings of 512 pages (then 1023)
n=vm-stock612-cow-thp
f="$FIXTURES/$n.dat"
p=$(pfn_of $n pte-fork)
"$PS" replay "$f" --pfn "$p" > "$T_TMP/cow"
if grep -q "rmap_remove  *pfn=$p .*map=1023(entire 0 sub 1)" "$T_TMP/cow" &&
   ! grep "rmap_remove  *pfn=$p .*map=1023" "$T_TMP/cow" | grep -q "sub:anon_exclusive"; then
	t_ok "$n: fork shared the PTE-mapped THP of $p, anon_exclusive cleared"
else
	t_fail "$n: fork of a PTE-mapped THP" "$(grep -m3 'fork_dup\|rmap_remove' "$T_TMP/cow")"
fi
t_check "$n: the fork batch was settled from the folio's counts" \
	grep -q "^fork PTE batches not observable: [1-9][0-9]* ([0-9]* sized by page_ref, [1-9]" "$T_TMP/$n.sum"
p=$(pfn_of $n pmd-fork)
"$PS" replay "$f" --folio "$p" > "$T_TMP/pmd"
t_check "$n: fork shares the PMD of THP $p with the child (entire 2)" \
	grep -q "fork_dup .*compound.* map=2(entire 2 sub 0)" "$T_TMP/pmd"

# custom 6.12 (tinyconfig, no BTF: the recorder's table; page_ref): the
# refcount is tracked too, and page_ref's folio_ref_add(folio, nr) sizes
# every fork batch exactly
n=vm-custom612-cow-thp
f="$FIXTURES/$n.dat"
"$PS" replay "$f" > "$T_TMP/$n.sum"
t_check "$n: refcount, mapcount (large, entire, per page) and pincount tracked" \
	grep -q "^tracked:   refcount yes, mapcount yes (large, entire, per page), pincount yes" "$T_TMP/$n.sum"
t_check "$n: every fork batch sized by page_ref" \
	grep -q "^fork PTE batches not observable: \([1-9][0-9]*\) (\1 sized by page_ref" "$T_TMP/$n.sum"
"$PS" check "$f" > "$T_TMP/$n.check"; rc=$?
t_check "$n: check exit 0, refcount rules run" \
	test "$rc" = 0 -a "$(grep -c '^\(refcount-underflow\|pincount-vs-refcount\)  *0 breaks' "$T_TMP/$n.check")" = 2
p=$(pfn_of $n pte-fork)
"$PS" replay "$f" --pfn "$p" > "$T_TMP/ccow"
t_check "$n: fork shared the PTE-mapped THP of $p (child's unmap reads 1023)" \
	grep -q "rmap_remove  *pfn=$p .*map=1023(entire 0 sub 1)" "$T_TMP/ccow"
