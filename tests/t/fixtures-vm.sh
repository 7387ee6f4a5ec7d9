# The committed recordings from the 6.1 test kernels (tests/fixtures/vm-*)
# replay here without qemu: zero engine anomalies, 100% agreement with
# their exit snapshots with mapcount compared, `check` clean, and the
# behaviour each workload exists for.
source "$(dirname "$0")/../lib.sh"

pfn_of() { sed -n "s/^workload: $2 .*pfn=\(0x[0-9a-f]*\).*/\1/p" "$FIXTURES/$1.workload" | head -1; }

for f in "$FIXTURES"/vm-*.dat; do
	n=$(basename "$f" .dat)
	"$PS" replay "$f" > "$T_TMP/$n.sum"
	anom=$(sed -n 's/^engine anomalies: //p' "$T_TMP/$n.sum")
	"$PS" replay --verify "$f" > "$T_TMP/$n.verify"
	set -- $(sed -n 's/^agree \([0-9]*\)\/\([0-9]*\) pages.*/\1 \2/p' "$T_TMP/$n.verify")
	if [ "$anom" = 0 ] && [ -n "${2:-}" ] && [ "$1" = "$2" ] && [ "$2" -gt 0 ] &&
	   grep -q "mapcount compared on $2)" "$T_TMP/$n.verify"; then
		t_ok "$n: 0 anomalies, agree $1/$2 pages"
	else
		t_fail "$n: anomalies/verify" "anomalies=$anom $(head -2 "$T_TMP/$n.verify")"
	fi
	t_check "$n: liveness, order, mapcount, flags each agree N/N" \
		t_fields_agree "$T_TMP/$n.verify" liveness order mapcount flags
	if grep -q "^deep snapshot: none in this recording" "$T_TMP/$n.verify"; then
		# recorded before deep snapshots: per field, what was
		# compared and what could not be (no claim on refcount or
		# pincount)
		t_check "$n: no deep snapshot: refcount, pincount not compared, and said so" \
			t_fields_not_compared "$T_TMP/$n.verify" refcount pincount
	else
		# every pfn the recording named, read by the page_read probe
		# at the workload's exit: each field agrees N/N or says why
		# not (7.2's frozen slab pages read _refcount 0 in use)
		# (pincount too, unless no large folio was read: page-cache
		# pins nothing)
		t_check "$n: deep snapshot: every compared field agrees, pincount too" \
			eval 't_fields_clean "$T_TMP/$n.verify" &&
			      { t_fields_agree "$T_TMP/$n.verify" pincount ||
			        grep -q "^pincount  *not compared: no large folio" "$T_TMP/$n.verify"; } &&
			      grep -q "^deep snapshot: agree \([0-9]*\)/\1 pages .*, [1-9][0-9]* read by a probe)$" "$T_TMP/$n.verify"'
	fi
	"$PS" check "$f" > "$T_TMP/$n.check"
	rc=$?
	case $n in
	*-broken) t_check "$n: check finds the break (exit 1)" test $rc = 1 ;;
	*) t_check "$n: check finds no break" test $rc = 0 ;;
	esac
done

# custom 6.1 with collapse-broken.patch: MADV_COLLAPSE went ahead over the
# pinned page, and collapse-pinned names exactly that page
n=vm-custom61-collapse-broken
t_check "broken: the workload saw the collapse go ahead and the pin go stale" \
	grep -q "collapse-pin-coherent BROKEN" "$FIXTURES/$n.workload"
p=$(pfn_of $n pin-before)
grep '^BREAK' "$T_TMP/$n.check" > "$T_TMP/broken"
if [ "$(wc -l < "$T_TMP/broken")" = 1 ] &&
   grep -q "^BREAK  *collapse-pinned  *folio $p/0 pfn $p .*pinned 1 time" "$T_TMP/broken"; then
	t_ok "broken: one BREAK, collapse-pinned on the pinned page $p"
else
	t_fail "broken: collapse-pinned on $p" "$(head -3 "$T_TMP/broken")"
fi

# custom 6.1 with migrate-pmd-left.patch: remove_migration_pmd() skipped,
# the THP migrated whole keeps its PMD migration entry in the holder's
# mm.  The set carries the mm (the try_to_migrate_one probe), and
# migration-entry-left names the THP as it was (order 9, though freed
# before the batch ended), the holder's mm and task, and nothing else.
n=vm-custom61-migrate-pmd-left-broken
t_check "pmd-left: the holder's move_pages() found its THP no more (-EFAULT)" \
	grep -q "^workload: migrate-pmd-left BROKEN thp node=-14,-14 small node=1 " "$FIXTURES/$n.workload"
p=$(sed -n 's/^workload: mpl-before .*pfn=\(0x[0-9a-f]*\) thp=1 .* page=thp$/\1/p' "$FIXTURES/$n.workload")
h=$(sed -n 's/^workload: mpl-before pid=\([0-9]*\) .*/\1/p' "$FIXTURES/$n.workload" | head -1)
"$PS" replay "$FIXTURES/$n.dat" --pfn "$p" > "$T_TMP/pmdl"
t_check "pmd-left: THP $p's PMD migration entry set with its mm" \
	grep -q " migration_set  *pfn=$p order=9 addr=0x[0-9a-f]* mm=0x[0-9a-f]* " "$T_TMP/pmdl"
grep '^BREAK' "$T_TMP/$n.check" > "$T_TMP/pmdl.broken"
if [ -n "$p" ] && [ "$(wc -l < "$T_TMP/pmdl.broken")" = 1 ] &&
   grep -q "^BREAK  *migration-entry-left  *folio $p/9 pfn $p .* in mm 0x[0-9a-f]* (task migrate-pmd-lef\[$h\]) for pfn $p set 1 time, removed 0," "$T_TMP/pmdl.broken"; then
	t_ok "pmd-left: one BREAK, migration-entry-left on THP $p/9 in the holder [$h]'s mm"
else
	t_fail "pmd-left: migration-entry-left on $p/9" "$(head -3 "$T_TMP/pmdl.broken")"
fi

# custom 6.1, huge-zero-rmap: fork shares the huge zero PMD with no
# reference and no rmap dup (copy_huge_pmd()'s zero branch), so no
# fork_dup and no mapping of the huge zero page; its split is info
n=vm-custom61-huge-zero-rmap
p=$(pfn_of $n hz-fork)
"$PS" replay "$FIXTURES/$n.dat" --folio "$p" > "$T_TMP/hzr"
t_check "custom: fork shares the huge zero PMD $p without an rmap dup, its split is info" \
	sh -c "[ -n '$p' ] && grep -q ' split_pmd .*flags=head|zero_page' '$T_TMP/hzr' &&
		! grep -q ' fork_dup ' '$T_TMP/hzr' &&
		grep -q '^huge-zero-split  *0 breaks, 1 info, 0 uncertain' '$T_TMP/$n.check'"

# stock 6.1, thp-basic: the kprobe layout came from BTF; PMD split
f="$FIXTURES/vm-stock61-thp-basic.dat"
t_check "stock: profile kprobe on 6.1.0" \
	grep -q "^profile:   kprobe" "$T_TMP/vm-stock61-thp-basic.sum"
p=$(pfn_of vm-stock61-thp-basic split-thp)
"$PS" replay "$f" --folio "$p" > "$T_TMP/split"
t_check "stock: mprotect splits the PMD of $p into 512 PTE mappings" \
	grep -q "split_pmd .* map=512(entire 0 sub 1)" "$T_TMP/split"
p=$(pfn_of vm-stock61-thp-basic collapse-after)
b=$(pfn_of vm-stock61-thp-basic collapse-before)
# fails if the lineage names wrong pages, even 512 of them
t_check "stock: MADV_COLLAPSE into $p names 512 source pages, $b among them" \
	t_collapsed_from "$f" "$b" "$p"
p=$(pfn_of vm-stock61-thp-basic thp)
"$PS" replay "$f" --folio "$p" > "$T_TMP/thp"
t_check "stock: fork shares the PMD of THP $p with the child (entire 2)" \
	grep -q "fork_dup .*compound.* map=2(entire 2 sub 0)" "$T_TMP/thp"

# stock 6.1, huge-zero: the huge zero page's PMD split, as info
grep "huge-zero-split" "$T_TMP/vm-stock61-huge-zero.check" > "$T_TMP/hz"
t_check "stock: huge zero page PMD splits reported as info" \
	grep -q "^info .*PMD split of the huge zero page" "$T_TMP/hz"

# custom 6.1, cow-thp: page_ref gives refcounts; fork shares, then COW
f="$FIXTURES/vm-custom61-cow-thp.dat"
t_check "custom: profile page_ref+kprobe, refcount tracked" \
	grep -q "^tracked:   refcount yes, mapcount yes, pincount yes" "$T_TMP/vm-custom61-cow-thp.sum"
p=$(pfn_of vm-custom61-cow-thp pte-fork)
"$PS" replay "$f" --pfn "$p" > "$T_TMP/cow"
if grep -q "fork_dup  *pfn=$p .*sub 2)" "$T_TMP/cow" &&
   ! grep "fork_dup  *pfn=$p" "$T_TMP/cow" | grep -q "sub:anon_exclusive"; then
	t_ok "custom: fork shares subpage $p (mapcount 2), anon_exclusive cleared"
else
	t_fail "custom: fork of a PTE-mapped THP" "$(grep -m2 fork_dup "$T_TMP/cow")"
fi

# 6.1 prints PG_anon_exclusive under its alias mappedtodisk (page_ref,
# mm_lru_insertion): fails if an anon page's alias is not decoded
p=$(pfn_of vm-custom61-cow-thp pte-split)
"$PS" replay "$f" --pfn "$p" > "$T_TMP/alias"
if grep -q "flags=.*anon_exclusive" "$T_TMP/alias" &&
   ! grep -q "mappedtodisk" "$T_TMP/alias"; then
	t_ok "custom: THP $p reads anon_exclusive, never its alias mappedtodisk"
else
	t_fail "custom: PG_anon_exclusive alias" "$(grep -m1 mappedtodisk "$T_TMP/alias")"
fi

# custom 6.1, collapse-pinned: the kernel refused the pinned range
t_check "custom: MADV_COLLAPSE of the pinned range refused (EAGAIN)" \
	grep -q "madv_collapse pin ret=-1 errno=11" "$FIXTURES/vm-custom61-collapse-pinned.workload"
p=$(pfn_of vm-custom61-collapse-pinned collapse-clean-after)
b=$(pfn_of vm-custom61-collapse-pinned collapse-clean-before)
t_check "custom: the clean collapse into $p names 512 source pages, $b among them" \
	t_collapsed_from "$FIXTURES/vm-custom61-collapse-pinned.dat" "$b" "$p"

# custom 6.1 --numa, migrate-fork: move_pages() moves a THP shared with a
# forked child to node 1 whole, by PMD migration entries in both mms
n=vm-custom61-migrate-fork
f="$FIXTURES/$n.dat"
b=$(pfn_of $n migrate-parent-before)
a=$(pfn_of $n migrate-parent-node1)
"$PS" replay "$f" --pfn "$b" > "$T_TMP/mig"
# set_migration_pmd has no order field: fails if it is not taken as 9
t_check "numa: the PMD migration entries of THP $b are order 9" \
	test "$(grep -c "migration_set  *pfn=$b order=9 " "$T_TMP/mig")" -ge 2
# parent and child both map it again, from the new THP, which names $b
t_check "numa: THP $b moved whole to $a, remapped in parent and child" \
	test "$(grep -c "migration_remove pfn=$a order=9 .*| folio $a/9" "$T_TMP/mig")" -ge 2 -a \
	-n "$(grep "lineage: migrate from 1 folio: $b/9" "$T_TMP/mig")"
# the child gone and the pages written (exclusive again), one more move:
# writable entries, remapped with RMAP_EXCLUSIVE.  Fails if the adapter
# drops page_add_anon_rmap's RMAP_EXCLUSIVE.
t=$(pfn_of $n migrate-parent-alone)
s=$(sed -n "s/^workload: migrate-parent-alone .*pfn=\(0x[0-9a-f]*\) thp=0.*/\1/p" "$FIXTURES/$n.workload" | head -1)
"$PS" replay "$f" --pfn "$t" > "$T_TMP/alone-thp"
"$PS" replay "$f" --pfn "$s" > "$T_TMP/alone-small"
if grep -q "rmap_add  *pfn=$t compound .*| folio $t/9 .*flags=.*anon_exclusive" "$T_TMP/alone-thp" &&
   grep -q "rmap_add  *pfn=$s .*| folio $s/0 .* sub:anon_exclusive" "$T_TMP/alone-small"; then
	t_ok "numa: THP $t and page $s remapped anon_exclusive after the child left"
else
	t_fail "numa: RMAP_EXCLUSIVE remaps" "$(grep -m1 "rmap_add  *pfn=$t" "$T_TMP/alone-thp")"
fi
