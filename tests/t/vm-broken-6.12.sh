# The broken 6.12 kernels (tests/vm/patches/6.12/NAME.patch, built by
# tests/vm/build-kernel --source 6.12 --variant NAME in the clean 6.12
# tree: ~1-2 min each once custom-6.12 is built) do the damage the rules
# are about, as the workloads themselves see it; the clean custom-6.12
# kernel does not.  Each workload runs under `pagestate record`, and check
# must name the right rule on the pinned pfn on the broken kernels and
# find no break on the clean one.
#
#   collapse-broken: MADV_COLLAPSE replaces an io_uring-pinned page
#     (collapse-broken prints collapse-pin-coherent BROKEN)
#   fork-broken: fork shares a pinned page (fork-pin prints pin-coherent
#     BROKEN, and DEBUG_VM's sanity_check_pinned_pages() warns)
source "$(dirname "$0")/../lib.sh"

VM="$TOP/tests/vm/run"
why=
command -v qemu-system-x86_64 >/dev/null || why="qemu-system-x86_64 not installed"
[ -n "$why" ] || command -v busybox >/dev/null || why="busybox-static not installed"
[ -n "$why" ] || [ -f /usr/src/linux-source-6.12.tar.xz ] || why="linux-source-6.12 not installed"
for w in collapse-broken fork-pin; do
	[ -n "$why" ] || [ -x "$WORKLOADS/$w" ] || why="workloads not built (make)"
done
if [ -n "$why" ]; then
	for k in custom-6.12 custom-6.12-collapse-broken custom-6.12-fork-broken; do
		t_skip "vm-broken-6.12: $k" "$why"
	done
	exit 0
fi

# run KERNEL: both workloads recorded in one boot: their output in
# $T_TMP/KERNEL.out, the recordings in $T_TMP/KERNEL/W.dat.
run() {
	"$VM" --kernel "$1" --timeout 300 --out "$T_TMP/$1" -- sh -c '
		for w in collapse-broken fork-pin; do
			/pagestate record -q -o /out/$w.dat -- /w/$w > /out/$w.out 2> /out/$w.err ||
				echo "record $w failed: $?"
			cat /out/$w.out
		done
		# the dump of a shared page unpinned (fork-broken): only
		# the O_DIRECT reads unpin through the check (see below),
		# when the bio completes; wait a little for the printk
		i=0
		grep -q "odirect-fork BROKEN" /out/fork-pin.out || i=120
		while [ $i -lt 120 ] && ! dmesg | grep -q "page dumped because"; do
			sleep 0.5; i=$((i + 1))
		done
		dmesg | grep "page dumped because"; true' \
		>"$T_TMP/$1.out" 2>&1
}
pfn_of() { sed -n "s/^workload: $2 .*pfn=\(0x[0-9a-f]*\).*/\1/p" "$1" | head -1; }
# check_breaks KERNEL WORKLOAD RULE PFN: check --rules RULE exits 1 with a
# BREAK of RULE on PFN.
check_breaks() {
	local f="$T_TMP/$1/$2.dat" rc
	"$PS" check --rules "$3" "$f" > "$f.check" 2>&1; rc=$?
	if [ "$rc" = 1 ] && [ -n "$4" ] && grep -q "^BREAK  *$3 .* pfn $4 " "$f.check"; then
		t_ok "vm-broken-6.12: $1 $2: check --rules $3 exits 1, BREAK on pinned pfn $4"
	else
		t_fail "vm-broken-6.12: $1 $2: check --rules $3" \
			"exit $rc, pinned pfn ${4:-?}: $(grep -m3 "BREAK\|uncertain\|not checked" "$f.check")"
	fi
}
# has KERNEL REGEX: the guest printed a line matching REGEX.
has() { grep -q "$2" "$T_TMP/$1.out"; }

k=custom-6.12
if run $k; then
	t_check "vm-broken-6.12: $k: MADV_COLLAPSE of a pinned page refused (EAGAIN)" \
		has $k '^workload: madv_collapse pin ret=-1 errno=11'
	t_check "vm-broken-6.12: $k: collapse-pin-coherent ok" \
		has $k '^workload: collapse-pin-coherent ok'
	t_check "vm-broken-6.12: $k: pin-coherent ok (small and thp)" \
		eval "has $k '^workload: pin-coherent ok pin=small' && has $k '^workload: pin-coherent ok pin=thp'"
	t_check "vm-broken-6.12: $k: no BROKEN line" eval "! has $k BROKEN"
	t_check "vm-broken-6.12: $k: both workloads recorded" eval "! has $k 'record .* failed'"
	for w in collapse-broken fork-pin; do
		"$PS" check "$T_TMP/$k/$w.dat" > "$T_TMP/$k/$w.check" 2>&1
		rc=$?
		if [ "$rc" = 0 ]; then
			t_ok "vm-broken-6.12: $k $w: check exits 0"
		else
			t_fail "vm-broken-6.12: $k $w: check exits 0" \
				"exit $rc: $(grep -m3 '^BREAK' "$T_TMP/$k/$w.check" | tr '\n' ' ')"
		fi
	done
else
	t_fail "vm-broken-6.12: $k: boot" "$(tail -n3 "$T_TMP/$k.out" | tr '\n' ' ')"
fi

k=custom-6.12-collapse-broken
if run $k; then
	t_check "vm-broken-6.12: $k: MADV_COLLAPSE went ahead over the pin" \
		has $k '^workload: madv_collapse pin ret=0 '
	before=$(sed -n 's/^workload: pin-before .*pfn=\(0x[0-9a-f]*\).*/\1/p' "$T_TMP/$k.out")
	after=$(sed -n 's/^workload: pin-after .*pfn=\(0x[0-9a-f]*\).*/\1/p' "$T_TMP/$k.out")
	if [ -n "$before" ] && [ -n "$after" ] && [ "$before" != "$after" ]; then
		t_ok "vm-broken-6.12: $k: pinned pfn $before replaced by $after"
	else
		t_fail "vm-broken-6.12: $k: pinned pfn replaced" "before=$before after=$after"
	fi
	t_check "vm-broken-6.12: $k: collapse-pin-coherent BROKEN" \
		has $k '^workload: collapse-pin-coherent BROKEN'
	check_breaks $k collapse-broken collapse-pinned "$before"
else
	t_fail "vm-broken-6.12: $k: build and boot" "$(tail -n3 "$T_TMP/$k.out" | tr '\n' ' ')"
fi

k=custom-6.12-fork-broken
if run $k; then
	t_check "vm-broken-6.12: $k: pin-coherent BROKEN pin=small" \
		has $k '^workload: pin-coherent BROKEN pin=small'
	# On 6.12 io_uring unpins with unpin_user_folio(), which has no
	# sanity_check_pinned_pages(); the O_DIRECT reads' bio unpin has.
	# Only a read that a fork raced with unpins a shared page, and
	# whether one does is the race's (none in a run of 5 forks beside
	# two busy host CPUs): the kernel's own check is asserted when
	# odirect-fork lost a read to it.
	if has $k '^workload: odirect-fork BROKEN'; then
		t_check "vm-broken-6.12: $k: the kernel's sanity_check_pinned_pages() saw it too (odirect-fork lost a read)" \
			has $k 'VM_WARN_ON_ONCE_PAGE(!PageAnonExclusive'
	else
		echo "# $k: odirect-fork raced no read, so no unpin of a shared page for sanity_check_pinned_pages(): not asserted ($(grep -m1 '^workload: odirect-fork' "$T_TMP/$k.out"))"
	fi
	check_breaks $k fork-pin anon-exclusive-pinned "$(pfn_of "$T_TMP/$k.out" pin-small-pinned)"
else
	t_fail "vm-broken-6.12: $k: build and boot" "$(tail -n3 "$T_TMP/$k.out" | tr '\n' ' ')"
fi
