#!/usr/bin/env bash
# The qemu harness (tests/vm/run) boots every test kernel and gives us
# what the recorder needs: tracefs, kprobe events on the stock kernels
# (6.1, 6.12), page_ref events on the custom ones (6.1, 6.12), two NUMA
# nodes with --numa, and the guest command's exit status.  Warm: six
# short boots (~40 s under TCG).  Cold: the stock kernels are downloaded
# (~20 s each) and the custom ones built first (~5 min each with -j2),
# all cached in ${PAGESTATE_CACHE:-/var/cache/pagestate}.
. "$(dirname "$0")/../lib.sh"

VM="$TOP/tests/vm/run"
stock_checks="stock-6.1 boots|stock-6.1 tracefs|stock-6.1 kprobe_events|exit status passes through"
custom_checks="custom boots|custom tracefs|custom page_ref events|custom kprobe_events"

skip_all() {
	local IFS='|' c
	for c in $1; do t_skip "vm-boot: $c" "$2"; done
}

# vm NAME ARGS...: run the harness, output in $T_TMP/NAME.out, status in $rc.
vm() {
	local name=$1; shift
	"$VM" --timeout 120 --out "$T_TMP/$name" "$@" >"$T_TMP/$name.out" 2>&1
	rc=$?
}

# has NAME LINE: the guest printed exactly LINE.
has() { grep -qx -- "$2" "$T_TMP/$1.out"; }

why=
command -v qemu-system-x86_64 >/dev/null || why="qemu-system-x86_64 not installed"
[ -n "$why" ] || command -v busybox >/dev/null || why="busybox-static not installed"
if [ -n "$why" ]; then
	skip_all "$stock_checks|$custom_checks|numa two nodes|timeout gives 124" "$why"
	exit 0
fi

probe='uname -r
test -d /sys/kernel/tracing/events/kmem && echo tracefs=yes
test -e /sys/kernel/tracing/kprobe_events && echo kprobe_events=yes
test -d /sys/kernel/tracing/events/page_ref && echo page_ref=yes
exit 7'

vm stock --kernel stock-6.1 -- sh -c "$probe"
if [ "$rc" = 125 ] && ! grep -q '^6\.1\.' "$T_TMP/stock.out"; then
	skip_all "$stock_checks" "stock kernel unavailable: $(tail -n1 "$T_TMP/stock.out")"
else
	o="$T_TMP/stock.out"
	if grep -q '^6\.1\.0-.*-amd64$' "$o"; then
		t_ok "vm-boot: stock-6.1 boots"
	else
		t_fail "vm-boot: stock-6.1 boots" "rc=$rc, $(tail -n3 "$o" | tr '\n' ' ')"
	fi
	t_check "vm-boot: stock-6.1 tracefs" has stock tracefs=yes
	t_check "vm-boot: stock-6.1 kprobe_events" has stock kprobe_events=yes
	if [ "$rc" = 7 ]; then
		t_ok "vm-boot: exit status passes through"
	else
		t_fail "vm-boot: exit status passes through" "sh -c 'exit 7' gave $rc"
	fi
fi

if [ -f /usr/src/linux-source-6.1.tar.xz ] || "$TOP/tests/vm/build-kernel" --check >/dev/null 2>&1; then
	if ! "$TOP/tests/vm/build-kernel" -q >"$T_TMP/build.out" 2>&1; then
		for c in "custom boots" "custom tracefs" "custom page_ref events" \
			 "custom kprobe_events" "numa two nodes"; do
			t_fail "vm-boot: $c" "kernel build failed: $(tail -n2 "$T_TMP/build.out" | tr '\n' ' ')"
		done
		custom=0
	else
		custom=1
	fi
else
	skip_all "$custom_checks|numa two nodes" "linux-source-6.1 not installed"
	custom=0
fi

if [ "$custom" = 1 ]; then
	vm custom --kernel custom -- sh -c "$probe"
	o="$T_TMP/custom.out"
	if grep -q '^6\.1\.[0-9]*' "$o" && [ "$rc" = 7 ]; then
		t_ok "vm-boot: custom boots"
	else
		t_fail "vm-boot: custom boots" "rc=$rc, $(tail -n3 "$o" | tr '\n' ' ')"
	fi
	t_check "vm-boot: custom tracefs" has custom tracefs=yes
	t_check "vm-boot: custom page_ref events" has custom page_ref=yes
	t_check "vm-boot: custom kprobe_events" has custom kprobe_events=yes

	vm numa --kernel custom --numa -- sh -c 'ls -d /sys/devices/system/node/node*'
	if [ "$rc" = 0 ] && has numa /sys/devices/system/node/node0 &&
	   has numa /sys/devices/system/node/node1; then
		t_ok "vm-boot: numa two nodes"
	else
		t_fail "vm-boot: numa two nodes" "rc=$rc, $(tr '\n' ' ' <"$T_TMP/numa.out")"
	fi
fi

# The folio-era kernels: boot_newer NAME RELEASE-REGEX [page_ref]: NAME
# boots, is that release, and has tracefs and kprobe events (and page_ref
# events when asked).  A stock kernel apt does not offer, or a source
# package not installed, is a skip.
boot_newer() {
	local k=$1 re=$2 pr=${3:-} o c
	local checks="$k boots|$k tracefs|$k kprobe_events${pr:+|$k page_ref events}"
	case $k in
	custom-*)
		if [ ! -f "/usr/src/linux-source-${k#custom-}.tar.xz" ] &&
		   ! "$TOP/tests/vm/build-kernel" --source "${k#custom-}" --check >/dev/null 2>&1; then
			skip_all "$checks" "linux-source-${k#custom-} not installed"
			return
		fi
		;;
	esac
	vm "$k" --kernel "$k" --timeout 300 -- sh -c "$probe"
	o="$T_TMP/$k.out"
	if [ "$rc" = 125 ] && ! grep -q "$re" "$o"; then
		case $k in
		stock-*) skip_all "$checks" "$k unavailable: $(tail -n1 "$o")"; return ;;
		esac
	fi
	if grep -q "$re" "$o" && [ "$rc" = 7 ]; then
		t_ok "vm-boot: $k boots"
	else
		t_fail "vm-boot: $k boots" "rc=$rc, $(tail -n3 "$o" | tr '\n' ' ')"
	fi
	t_check "vm-boot: $k tracefs" has "$k" tracefs=yes
	t_check "vm-boot: $k kprobe_events" has "$k" kprobe_events=yes
	[ -z "$pr" ] || t_check "vm-boot: $k page_ref events" has "$k" page_ref=yes
}
boot_newer stock-6.12 '^6\.12\.[0-9]*+deb[0-9]*-amd64$'
boot_newer custom-6.12 '^6\.12\.[0-9]*$' page_ref
boot_newer stock-7.2 '^7\.2\.[0-9]*+deb[0-9]*-amd64$'

# A guest that never finishes: qemu is killed and we get 124.
if [ "$custom" = 1 ]; then
	start=$SECONDS
	"$VM" --kernel custom --timeout 2 --out "$T_TMP/to" -- sleep 600 \
		>"$T_TMP/to.out" 2>&1
	rc=$?
	if [ "$rc" = 124 ] && [ $((SECONDS - start)) -lt 20 ]; then
		t_ok "vm-boot: timeout gives 124"
	else
		t_fail "vm-boot: timeout gives 124" "rc=$rc after $((SECONDS - start))s"
	fi
else
	t_skip "vm-boot: timeout gives 124" "no custom kernel"
fi
