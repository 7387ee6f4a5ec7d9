#!/usr/bin/env bash
# The kprobe profile (include/pagestate/probes.h) on real kernels under
# qemu.  Stock Debian 6.1 has BTF: every probe places, the offsets come
# from BTF, and a THP's struct page pointer in rmap_add_new_anon converts
# to the pfn of its order-9 mm_page_alloc.  The custom tinyconfig kernel
# has no BTF (offsets from the 6.1 table) and inlines collapse_huge_page,
# which must be reported missing, not fail the recording.  Both kernels:
# kprobe_events is empty again after the recording.  Warm: ~30 s.
. "$(dirname "$0")/../lib.sh"

VM="$TOP/tests/vm/run"
stock_checks="stock: --list-capabilities places every probe from BTF|stock: records with profile kprobe|stock: rmap_add_new_anon and rmap_remove events|stock: layout marker from BTF|stock: THP page pointer converts to its order-9 pfn|stock: kprobe_events empty after the recording"
custom_checks="custom: offsets from the 6.1 table|custom: collapse_huge_page reported missing (inlined)|custom: records with profile page_ref+kprobe|custom: kprobe_events empty after the recording"

skip_all() {
	local IFS='|' c
	for c in $1; do t_skip "record-kprobes: $c" "$2"; done
}

why=
command -v qemu-system-x86_64 >/dev/null || why="qemu-system-x86_64 not installed"
[ -n "$why" ] || command -v busybox >/dev/null || why="busybox-static not installed"
[ -n "$why" ] || command -v trace-cmd >/dev/null || why="trace-cmd not installed"
[ -n "$why" ] || [ -x "$PS" ] || why="$PS not built (make)"
[ -n "$why" ] || [ -x "$WORKLOADS/thp-basic" ] || why="workloads not built (make)"
if [ -n "$why" ]; then
	skip_all "$stock_checks|$custom_checks" "$why"
	exit 0
fi

# In the guest: capabilities, one recording, then what is left behind.
guest='/pagestate record --list-capabilities > /out/caps.txt 2>&1
/pagestate record -q -o /out/k.dat -- /w/thp-basic > /out/workload.txt 2> /out/record.err
echo "record rc=$?"
echo "kprobe_events=[$(cat /sys/kernel/tracing/kprobe_events)]"'

# vm NAME KERNEL: boot it, run $guest; output in $T_TMP/NAME/.
vm() {
	mkdir -p "$T_TMP/$1"
	"$VM" --kernel "$2" --timeout 120 --out "$T_TMP/$1" -- sh -c "$guest" \
		> "$T_TMP/$1.out" 2>&1
	rc=$?
	trace-cmd report "$T_TMP/$1/k.dat" > "$T_TMP/$1/k.txt" 2>/dev/null
}

# has NAME REGEX FILE: FILE of run NAME has a line matching REGEX.
has() { grep -q -- "$2" "$T_TMP/$1/$3"; }

# The value of KEY= in the layout marker of run NAME.
layout() {
	grep -o 'pagestate: layout .*' "$T_TMP/$1/k.txt" | head -n1 |
		tr ' ' '\n' | sed -n "s/^$2=//p"
}

# every probe of the contract, PS_PROBE_GROUP aside
nprobes=$(grep -c '^#define PS_PROBE_' "$TOP/include/pagestate/probes.h")
nprobes=$((nprobes - 1))

vm stock stock-6.1
if [ "$rc" = 125 ] && ! grep -q '^record rc=' "$T_TMP/stock.out"; then
	skip_all "$stock_checks" "stock kernel unavailable: $(tail -n1 "$T_TMP/stock.out")"
else
	c="$T_TMP/stock/caps.txt"
	if grep -q '^kprobe layout  *source=btf struct_page=64 ' "$c" &&
	   [ "$(grep -c '^kprobe:.* placeable ' "$c")" = "$nprobes" ] &&
	   grep -q '^profile  *kprobe$' "$c"; then
		t_ok "record-kprobes: stock: --list-capabilities places every probe from BTF"
	else
		t_fail "record-kprobes: stock: --list-capabilities places every probe from BTF" \
			"$(grep -e '^kprobe' -e '^profile' "$c" | grep -v placeable | tr '\n' ' ')"
	fi
	t_check "record-kprobes: stock: records with profile kprobe" \
		has stock 'pagestate: begin .* profile=kprobe ' k.txt
	if has stock ' rmap_add_new_anon: ' k.txt && has stock ' rmap_remove: ' k.txt; then
		t_ok "record-kprobes: stock: rmap_add_new_anon and rmap_remove events"
	else
		t_fail "record-kprobes: stock: rmap_add_new_anon and rmap_remove events" \
			"rc=$rc, $(tr '\n' ' ' < "$T_TMP/stock/record.err")"
	fi
	t_check "record-kprobes: stock: layout marker from BTF" \
		has stock 'pagestate: layout source=btf vmemmap_base=0x[0-9a-f]* struct_page=64 flags=0 mapcount=48 refcount=52 compound_mapcount=20 compound_pincount=24 ' k.txt

	# pfn = (page - vmemmap_base) / struct_page, probes.h: the THP's
	# head page is mapped fresh (mapcount -1) by rmap_add_new_anon.
	base=$(layout stock vmemmap_base) size=$(layout stock struct_page)
	found=
	if [ -n "$base" ] && [ -n "$size" ]; then
		for pfn in $(sed -n 's/.* mm_page_alloc: .* pfn=\(0x[0-9a-f]*\) order=9 .*/\1/p' \
				"$T_TMP/stock/k.txt"); do
			page=$(printf '0x%x' $((base + pfn * size)))
			if grep -q " rmap_add_new_anon: .* page=$page .* mapcount=-1 " \
				"$T_TMP/stock/k.txt"; then
				found="$pfn -> $page"
				break
			fi
		done
	fi
	if [ -n "$found" ]; then
		t_ok "record-kprobes: stock: THP page pointer converts to its order-9 pfn"
	else
		t_fail "record-kprobes: stock: THP page pointer converts to its order-9 pfn" \
			"vmemmap_base=$base struct_page=$size, no rmap_add_new_anon page of an order-9 alloc"
	fi
	t_check "record-kprobes: stock: kprobe_events empty after the recording" \
		grep -qx 'kprobe_events=\[\]' "$T_TMP/stock.out"
fi

# A cold cache builds the custom kernel here (~5 min), as vm-boot would:
# a test that needs a kernel makes it rather than skip.
if ! "$TOP/tests/vm/build-kernel" --check >/dev/null 2>&1 &&
   [ ! -f /usr/src/linux-source-6.1.tar.xz ]; then
	skip_all "$custom_checks" "custom kernel not built and linux-source-6.1 not installed (make deps)"
	exit 0
fi
if ! "$TOP/tests/vm/build-kernel" -q >"$T_TMP/build.out" 2>&1; then
	IFS='|' read -ra cs <<<"$custom_checks"
	for c in "${cs[@]}"; do
		t_fail "record-kprobes: $c" "kernel build failed: $(tail -n2 "$T_TMP/build.out" | tr '\n' ' ')"
	done
	exit 0
fi
vm custom custom
c="$T_TMP/custom/caps.txt"
if grep -q '^kprobe layout  *source=table:6.1 struct_page=64 ' "$c" &&
   grep -q '^kprobe vmemmap_base  *0xffffea0000000000 ' "$c"; then
	t_ok "record-kprobes: custom: offsets from the 6.1 table"
else
	t_fail "record-kprobes: custom: offsets from the 6.1 table" \
		"rc=$rc, $(grep '^kprobe' "$c" | head -n3 | tr '\n' ' ')"
fi
missing=$(sed -n 's/.*pagestate: missing kprobe:\([a-z_]*\) why=\([a-z]*\).*/\1=\2/p' \
	"$T_TMP/custom/k.txt" | tr '\n' ' ')
if grep -q '^kprobe:collapse_huge_page  *missing why=inlined' "$c" &&
   [[ " $missing" == *" collapse_huge_page=inlined "* ]]; then
	t_ok "record-kprobes: custom: collapse_huge_page reported missing (inlined)"
else
	t_fail "record-kprobes: custom: collapse_huge_page reported missing (inlined)" \
		"missing in the recording: ${missing:-none}"
fi
t_check "record-kprobes: custom: records with profile page_ref+kprobe" \
	has custom 'pagestate: begin .* profile=page_ref+kprobe ' k.txt
t_check "record-kprobes: custom: kprobe_events empty after the recording" \
	grep -qx 'kprobe_events=\[\]' "$T_TMP/custom.out"
