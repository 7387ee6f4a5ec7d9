#!/usr/bin/env bash
# The kprobe profile (include/pagestate/probes.h) on real kernels under
# qemu, one generation after another:
#   stock-6.1    BTF; the 6.1 probe set (page_*_rmap)
#   custom       6.1 tinyconfig, no BTF: offsets from the 6.1 table,
#                collapse_huge_page inlined (reported, not fatal)
#   stock-6.12   BTF; the folio probe set (folio_*_rmap_ptes/_pmd)
#   custom-6.12  6.12 tinyconfig, no BTF: the 6.12 table, probes chosen by
#                kallsyms and the generation table
#   stock-7.2    BTF; __folio_split, __split_huge_pmd without folio,
#                struct folio reordered, with no 7.2 table at all
# Each kernel: --list-capabilities gives every role a function, a
# recording of thp-basic and of cow-thp, a THP's probed pointer converts
# to the pfn of its order-9 mm_page_alloc, folio-era counters read as the
# kernel keeps them, and kprobe_events is empty afterwards.  The custom
# kernels also record with no layout at all (PAGESTATE_LAYOUT_TABLE=off
# hides the table, so the real no-BTF, no-table path runs): tracepoints
# and page_ref still record, nothing is enabled that was not created, no
# X.dat.cpuN is left.  Custom kernels are built when missing
# (tests/vm/run calls tests/vm/build-kernel; cold ~5 min each).  Warm, all
# five kernels: ~3 min.
. "$(dirname "$0")/../lib.sh"

VM="$TOP/tests/vm/run"
# RECORD_KPROBES_KERNELS: a subset, for working on one kernel
KERNELS=${RECORD_KPROBES_KERNELS:-"stock-6.1 custom stock-6.12 custom-6.12 stock-7.2"}

# The checks of kernel $1, for skipping them all.
checks() {
	local k=$1
	echo "$k: every role places|$k: layout marker|$k: records thp-basic and cow-thp|$k: THP pointer converts to its order-9 pfn|$k: kprobe_events empty afterwards"
	case $k in
	stock-6.12|custom-6.12|stock-7.2)
		echo "$k: a PMD-mapped THP reads large_mapcount 0" ;;
	esac
	case $k in
	custom*) echo "$k: records without a layout, no leftovers" ;;
	esac
}

skip_kernel() {
	local IFS='|' c
	for c in $(checks "$1" | tr '\n' '|'); do
		t_skip "record-kprobes: $c" "$2"
	done
}

why=
command -v qemu-system-x86_64 >/dev/null || why="qemu-system-x86_64 not installed"
[ -n "$why" ] || command -v busybox >/dev/null || why="busybox-static not installed"
[ -n "$why" ] || command -v trace-cmd >/dev/null || why="trace-cmd not installed"
[ -n "$why" ] || [ -x "$PS" ] || why="$PS not built (make)"
[ -n "$why" ] || [ -x "$WORKLOADS/cow-thp" ] || why="workloads not built (make)"
if [ -n "$why" ]; then
	for k in $KERNELS; do skip_kernel "$k" "$why"; done
	exit 0
fi

# In the guest: capabilities, two recordings, one without a layout, then
# what is left behind.
guest='/pagestate record --list-capabilities > /out/caps.txt 2>&1
/pagestate record -q -o /out/k.dat -- /w/thp-basic > /out/workload.txt 2> /out/record.err
echo "record rc=$?"
/pagestate record -q -o /out/cow.dat -- /w/cow-thp > /out/cow.txt 2> /out/cow.err
echo "cow rc=$?"
if [ -n "$NOLAYOUT" ]; then
	cd /out && PAGESTATE_LAYOUT_TABLE=off /pagestate record -o nl.dat -- /w/thp-basic > /out/nl.txt 2> /out/nl.err
	echo "nolayout rc=$?"
	echo "leftovers=[$(ls /out | grep "\.cpu" | tr "\n" " ")]"
fi
echo "kprobe_events=[$(cat /sys/kernel/tracing/kprobe_events)]"'

# vm KERNEL: boot it, run $guest; output in $T_TMP/KERNEL/.
vm() {
	local nl=
	case $1 in custom*) nl=1 ;; esac
	mkdir -p "$T_TMP/$1"
	"$VM" --kernel "$1" --timeout 240 --out "$T_TMP/$1" -- \
		sh -c "NOLAYOUT=$nl; $guest" > "$T_TMP/$1.out" 2>&1
	rc=$?
	for f in k cow nl; do
		[ -f "$T_TMP/$1/$f.dat" ] &&
			trace-cmd report "$T_TMP/$1/$f.dat" > "$T_TMP/$1/$f.txt" 2>/dev/null
	done
}

# The value of KEY= in the layout marker of kernel $1.
layout() {
	grep -o 'pagestate: layout .*' "$T_TMP/$1/k.txt" 2>/dev/null | head -n1 |
		tr ' ' '\n' | sed -n "s/^$2=//p"
}

# Events of each kernel that may be missing, with the reason: what its
# source or config lacks (6.1 has no unpin_user_folio or unpin_folio;
# the tinyconfig kernels inline collapse_huge_page).
allowed_missing() {
	case $1 in
	stock-6.1) echo "unpin_user_folio=absent unpin_folio=absent" ;;
	custom) echo "unpin_user_folio=absent unpin_folio=absent collapse_huge_page=inlined" ;;
	custom-6.12) echo "collapse_huge_page=inlined" ;;
	esac
}

# The THP pointers of kernel $1 (event $2, pointer field $3) that are
# base + pfn * struct_page of an order-9 mm_page_alloc.
thp_pointers() {
	local k=$1 ev=$2 field=$3 base size pfn ptr
	base=$(layout "$k" vmemmap_base) size=$(layout "$k" struct_page)
	[ -n "$base" ] && [ -n "$size" ] || return
	for pfn in $(sed -n 's/.* mm_page_alloc: .* pfn=\(0x[0-9a-f]*\) order=9 .*/\1/p' \
			"$T_TMP/$k/k.txt"); do
		ptr=$(printf '0x%x' $((base + pfn * size)))
		grep -q " $ev: .* $field=$ptr .*mapcount=-1 " "$T_TMP/$k/k.txt" &&
			echo "$ptr"
	done
}

check_kernel() {
	local k=$1 c="$T_TMP/$1/caps.txt" missing bad m src profile ptrs p
	if [ "$rc" = 125 ] && ! grep -q '^record rc=' "$T_TMP/$k.out"; then
		skip_kernel "$k" "kernel unavailable: $(tail -n1 "$T_TMP/$k.out")"
		return
	fi

	missing=$(sed -n 's/^kprobe:\([a-z_]*\)  *missing why=\([a-z-]*\).*/\1=\2/p' "$c" | tr '\n' ' ')
	bad=
	for m in $missing; do
		[[ " $(allowed_missing "$k") " == *" $m "* ]] || bad="$bad $m"
	done
	# a role with no function has its events missing: checked above
	if grep -q '^kprobe role:' "$c" && [ -z "$bad" ]; then
		t_ok "record-kprobes: $k: every role places"
	else
		t_fail "record-kprobes: $k: every role places" \
			"unexpected:${bad:- none}; $(grep -e '^kprobe role:.* none' -e '^kprobes ' "$c" | tr '\n' ' ')"
	fi

	case $k in
	stock-*) src='source=btf' ;;
	custom) src='source=table:6.1' ;;
	custom-6.12) src='source=table:6.12' ;;
	esac
	case $k in
	stock-6.1|custom)
		t_check "record-kprobes: $k: layout marker" \
			grep -q "pagestate: layout $src vmemmap_base=0x[0-9a-f]* struct_page=64 flags=0 mapcount=48 refcount=52 compound_mapcount=20 compound_pincount=24 " "$T_TMP/$k/k.txt" ;;
	stock-6.12|custom-6.12)
		t_check "record-kprobes: $k: layout marker" \
			grep -q "pagestate: layout $src .* struct_page=64 .* folio_flags_1=64 large_mapcount=80 entire_mapcount=84 nr_pages_mapped=88 folio_pincount=92 vma_mm=16" "$T_TMP/$k/k.txt" ;;
	stock-7.2)
		t_check "record-kprobes: $k: layout marker" \
			grep -q "pagestate: layout $src .* struct_page=64 .* folio_flags_1=64 large_mapcount=80 entire_mapcount=88 nr_pages_mapped=84 folio_pincount=92 mm_id_mapcount=96 mm_id=104 vma_mm=16" "$T_TMP/$k/k.txt" ;;
	esac

	case $k in custom*) profile=page_ref+kprobe ;; *) profile=kprobe ;; esac
	if grep -qx 'record rc=0' "$T_TMP/$k.out" && grep -qx 'cow rc=0' "$T_TMP/$k.out" &&
	   grep -q "pagestate: begin .* profile=$profile " "$T_TMP/$k/k.txt" &&
	   grep -q "pagestate: begin .* profile=$profile " "$T_TMP/$k/cow.txt"; then
		t_ok "record-kprobes: $k: records thp-basic and cow-thp"
	else
		t_fail "record-kprobes: $k: records thp-basic and cow-thp" \
			"$(grep ' rc=' "$T_TMP/$k.out" | tr '\n' ' ') $(cat "$T_TMP/$k/record.err" "$T_TMP/$k/cow.err" 2>/dev/null | tr '\n' ' ')"
	fi

	# pfn = (pointer - vmemmap_base) / struct_page, probes.h: the THP
	# is mapped fresh (mapcount -1) by the new-anon rmap probe.
	case $k in
	stock-6.1|custom) ptrs=$(thp_pointers "$k" rmap_add_new_anon page) ;;
	*) ptrs=$(thp_pointers "$k" folio_add_new_anon folio) ;;
	esac
	if [ -n "$ptrs" ]; then
		t_ok "record-kprobes: $k: THP pointer converts to its order-9 pfn"
	else
		t_fail "record-kprobes: $k: THP pointer converts to its order-9 pfn" \
			"vmemmap_base=$(layout "$k" vmemmap_base) struct_page=$(layout "$k" struct_page): no new-anon pointer of an order-9 alloc"
	fi

	# The THP's last PMD unmap: mapped once, so the kernel's counters
	# read 0 (they start at -1) before folio_remove_rmap_pmd drops them.
	case $k in
	stock-6.12|custom-6.12|stock-7.2)
		m=
		for p in $ptrs; do
			grep -q " folio_remove_pmd: .* folio=$p .* large_mapcount=0 entire_mapcount=0 " \
				"$T_TMP/$k/k.txt" && m=$p
		done
		if [ -n "$m" ]; then
			t_ok "record-kprobes: $k: a PMD-mapped THP reads large_mapcount 0"
		else
			t_fail "record-kprobes: $k: a PMD-mapped THP reads large_mapcount 0" \
				"THPs: ${ptrs:-none}; $(grep -m2 ' folio_remove_pmd: ' "$T_TMP/$k/k.txt" | cut -c1-300)"
		fi ;;
	esac

	case $k in
	custom*)
		if grep -qx 'nolayout rc=0' "$T_TMP/$k.out" &&
		   grep -qx 'leftovers=\[\]' "$T_TMP/$k.out" &&
		   grep -q 'pagestate: missing kprobes why=no-layout' "$T_TMP/$k/nl.txt" &&
		   grep -q ' page_ref_' "$T_TMP/$k/nl.txt" &&
		   grep -q ' mm_page_alloc: ' "$T_TMP/$k/nl.txt" &&
		   grep -q 'no struct page layout' "$T_TMP/$k/nl.err" &&
		   ! grep -q 'error' "$T_TMP/$k/nl.err"; then
			t_ok "record-kprobes: $k: records without a layout, no leftovers"
		else
			t_fail "record-kprobes: $k: records without a layout, no leftovers" \
				"$(grep -e nolayout -e leftovers "$T_TMP/$k.out" | tr '\n' ' ') $(tr '\n' ' ' < "$T_TMP/$k/nl.err" 2>/dev/null)"
		fi ;;
	esac

	t_check "record-kprobes: $k: kprobe_events empty afterwards" \
		grep -qx 'kprobe_events=\[\]' "$T_TMP/$k.out"
}

for k in $KERNELS; do
	vm "$k"
	check_kernel "$k"
done
