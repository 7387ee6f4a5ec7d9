# Issue 4's acceptance on real kernels under qemu: both 6.1 kernels
# (Debian's stock kernel with the kprobe profile, the custom
# DEBUG_PAGE_REF kernel with page_ref + kprobes) record every seed
# workload; on the host each recording must replay with zero engine
# anomalies, agree 100% with its exit snapshot, pass `check` with no
# break, and show the behaviour its workload exists for.
source "$(dirname "$0")/../lib.sh"

VM="$TOP/tests/vm/run"
workloads="thp-basic cow-thp fork-pin collapse-pinned huge-zero"
kernels="stock-6.1 custom"

why=
command -v qemu-system-x86_64 >/dev/null || why="qemu-system-x86_64 not installed"
[ -n "$why" ] || command -v busybox >/dev/null || why="busybox-static not installed"
if [ -n "$why" ]; then
	for k in $kernels; do
		t_skip "vm-record: $k" "$why"
	done
	exit 0
fi

# One boot per kernel records every workload.
script='for w in '"$workloads"'; do
	/pagestate record -q -o /out/$w.dat -- /w/$w > /out/$w.out 2> /out/$w.err ||
		echo "record $w failed: $?"
done'

for k in $kernels; do
	out="$T_TMP/$k"
	if ! "$VM" --kernel "$k" --timeout 240 --out "$out" -- sh -c "$script" \
		> "$out.log" 2>&1; then
		t_fail "vm-record: $k: boot and record" "$(tail -3 "$out.log")"
		continue
	fi
	if grep -q "failed" "$out.log"; then
		t_fail "vm-record: $k: record every workload" "$(grep failed "$out.log")"
		continue
	fi
	t_ok "vm-record: $k: recorded $workloads"

	for w in $workloads; do
		f="$out/$w.dat"
		"$PS" replay "$f" > "$out/$w.sum" 2>&1
		anom=$(sed -n 's/^engine anomalies: //p' "$out/$w.sum")
		"$PS" replay --verify "$f" > "$out/$w.verify" 2>&1
		set -- $(sed -n 's/^agree \([0-9]*\)\/\([0-9]*\) pages.*/\1 \2/p' "$out/$w.verify")
		echo "$k $w: $(head -1 "$out/$w.verify"), anomalies $anom"
		if [ "$anom" = 0 ] && [ -n "${2:-}" ] && [ "$1" = "$2" ] && [ "$2" -gt 0 ] &&
		   grep -q "mapcount compared on $2)" "$out/$w.verify"; then
			t_ok "vm-record: $k $w: 0 anomalies, agree $1/$2 pages (mapcount compared on all)"
		else
			t_fail "vm-record: $k $w: anomalies/verify" "anomalies=$anom $(head -3 "$out/$w.verify")"
		fi
		"$PS" check "$f" > "$out/$w.check" 2>&1; rc=$?
		if [ "$rc" = 0 ]; then
			t_ok "vm-record: $k $w: check finds no break"
		else
			t_fail "vm-record: $k $w: check" "exit $rc: $(grep -m3 BREAK "$out/$w.check")"
		fi
	done

	pfn_of() { sed -n "s/^workload: $2 .*pfn=\(0x[0-9a-f]*\).*/\1/p" "$out/$1.out" | head -1; }

	# FOLL_PIN accounting: the io_uring-pinned THP shows pincount 1.
	p=$(pfn_of fork-pin pin-thp-before)
	"$PS" replay "$out/fork-pin.dat" --pfn "$p" > "$out/pin.tl"
	if grep -q "pin .* pin=1 " "$out/pin.tl" && grep -q "unpin .* pin=0 " "$out/pin.tl"; then
		t_ok "vm-record: $k: long-term pin of THP $p counted (pin=1, then 0)"
	else
		t_fail "vm-record: $k: pin accounting" "$(grep -m3 'pin' "$out/pin.tl")"
	fi
	# fork with a pinned page: 6.1 copies it for the child; the pinned
	# page is not shared (no fork_dup while pinned), keeps anon_exclusive
	p=$(pfn_of fork-pin pin-small-parent)
	c=$(pfn_of fork-pin pin-small-child)
	"$PS" replay "$out/fork-pin.dat" --pfn "$p" > "$out/pins.tl"
	dups=$(awk '/ pin  / { on = 1 } / unpin  / { on = 0 } on && /fork_dup/' "$out/pins.tl" | wc -l)
	if grep -q "coherent ok pin=small" "$out/fork-pin.out" && [ "$c" != "$p" ] &&
	   grep -q " pin  .*pin=1 .*sub:anon_exclusive" "$out/pins.tl" && [ "$dups" = 0 ]; then
		t_ok "vm-record: $k: fork copies the pinned page $p (child got $c), it stays anon_exclusive"
	else
		t_fail "vm-record: $k: fork of a pinned page" "child=$c dups=$dups $(grep -m3 'fork_dup\| pin ' "$out/pins.tl")"
	fi
	# fork of an unpinned page shares it and clears anon_exclusive
	p=$(pfn_of cow-thp pte-fork)
	"$PS" replay "$out/cow-thp.dat" --pfn "$p" > "$out/cow.tl"
	if grep -q "fork_dup  *pfn=$p .*sub 2)" "$out/cow.tl" &&
	   ! grep "fork_dup" "$out/cow.tl" | grep -q "sub:anon_exclusive"; then
		t_ok "vm-record: $k: fork shares $p (subpage mapcount 2) and clears anon_exclusive"
	else
		t_fail "vm-record: $k: fork of an unpinned page" "$(grep -m3 'fork_dup' "$out/cow.tl")"
	fi
	# MADV_COLLAPSE: the new THP names its 512 source pages
	p=$(pfn_of thp-basic collapse-after)
	"$PS" replay "$out/thp-basic.dat" --folio "$p" > "$out/col.tl"
	t_check "vm-record: $k: collapse into $p names 512 source pages" \
		grep -q "lineage: collapse from 512 folios" "$out/col.tl"
	# PMD split by mprotect: 512 subpages each mapped once, no PMD left
	p=$(pfn_of thp-basic split-thp)
	"$PS" replay "$out/thp-basic.dat" --folio "$p" > "$out/split.tl"
	if grep -q "split_pmd .* map=512(entire 0 sub 1)" "$out/split.tl"; then
		t_ok "vm-record: $k: PMD split of $p: 512 PTE mappings, entire 0"
	else
		t_fail "vm-record: $k: PMD split" "$(grep -m2 'split_pmd' "$out/split.tl")"
	fi
	# the huge zero page's PMD split, seen by check as info
	if grep -q "^info .*huge-zero-split .*PMD split of the huge zero page" "$out/huge-zero.check"; then
		t_ok "vm-record: $k: huge zero page PMD split seen"
	else
		t_fail "vm-record: $k: huge zero page split" "$(head -3 "$out/huge-zero.check")"
	fi
	# collapse refused for the pinned and the referenced page (info)
	if grep -q "madv_collapse pin ret=-1 errno=11" "$out/collapse-pinned.out"; then
		t_ok "vm-record: $k: MADV_COLLAPSE of a pinned range refused (EAGAIN)"
	else
		t_fail "vm-record: $k: collapse of pinned range" "$(grep madv_collapse "$out/collapse-pinned.out")"
	fi
done

# Migration between two NUMA nodes while forking: every entry set is
# removed, in parent and child, and the moved pages name their source.
out="$T_TMP/numa"
if "$VM" --kernel stock-6.1 --numa --timeout 240 --out "$out" -- \
	/pagestate record -q -o /out/m.dat -- /w/migrate-fork > "$out.log" 2>&1; then
	f="$out/m.dat"
	"$PS" replay "$f" > "$out/sum"
	sets=$(awk '$1 == "migration_set" {print $2}' "$out/sum")
	removes=$(awk '$1 == "migration_remove" {print $2}' "$out/sum")
	migs=$(sed -n 's/^  migrations  *\([0-9]*\).*/\1/p' "$out/sum")
	echo "numa: migration_set $sets, migration_remove $removes, migrations $migs"
	if [ "${sets:-0}" -gt 0 ] && [ "${migs:-0}" -gt 0 ] &&
	   "$PS" check --rules migration-entry-left "$f" > "$out/check"; then
		t_ok "vm-record: numa: $sets migration entries set, $removes removed, $migs folios migrated, none left behind"
	else
		t_fail "vm-record: numa: migration" "sets=$sets removes=$removes migs=$migs $(grep -m2 BREAK "$out/check" 2>/dev/null)"
	fi
	"$PS" replay --verify "$f" > "$out/verify"
	set -- $(sed -n 's/^agree \([0-9]*\)\/\([0-9]*\) pages.*/\1 \2/p' "$out/verify")
	echo "numa migrate-fork: $(head -1 "$out/verify")"
	t_check "vm-record: numa: agree $1/$2 pages after migration" test -n "${2:-}" -a "${1:-x}" = "${2:-y}"
else
	t_fail "vm-record: numa: boot and record" "$(tail -3 "$out.log")"
fi
