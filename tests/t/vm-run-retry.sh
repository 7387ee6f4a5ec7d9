# tests/vm/run's retries, against a stand-in qemu-system-x86_64 on PATH
# that plays back what real guests printed: a kernel that panics on an
# int3 of live code patching after the command started (MTTCG, stock
# kernels), or whose int3 oops killed the command, is run once more,
# what the cut-short run wrote removed; any other panic or failure after
# the start is the command's, never retried; an int3 panic twice in a
# row is not retried twice.  No qemu, no tracefs: the
# harness logic alone, on every machine.
source "$(dirname "$0")/../lib.sh"

VM="$TOP/tests/vm/run"
if ! command -v busybox >/dev/null; then
	t_skip "vm-run-retry" "busybox-static not installed (the initramfs)"
	exit 0
fi

bin="$T_TMP/bin"
mkdir -p "$bin"
# The stand-in: each call takes the next of $FAKE_SCRIPT's words
# (int3: the command starts, writes a partial file and the kernel
# panics on an int3 oops; oops: the same with a NULL dereference;
# killed: an int3 oops kills the command, exit 137; failed: the command
# exits 1; ok: it runs and exits 0), as a guest shows it on the console
# and in /out.
cat > "$bin/qemu-system-x86_64" <<'EOF'
#!/bin/bash
out=
for a in "$@"; do
	case $a in local,path=*) out=${a#local,path=}; out=${out%%,*} ;; esac
done
n=$(cat "$FAKE_CALLS" 2>/dev/null || echo 0)
echo $((n + 1)) > "$FAKE_CALLS"
set -- $FAKE_SCRIPT
shift "$n"
echo '@@pagestate-vm: cmd start'
case ${1:-ok} in
int3|oops)
	: > "$out/w.dat.cpu0"
	[ "$1" = int3 ] && echo '[  426.78] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI' ||
		echo '[  426.78] BUG: kernel NULL pointer dereference, address: 0000000000000000'
	echo '[  426.79] Kernel panic - not syncing: Fatal exception in interrupt'
	echo '[  426.79] Kernel Offset: disabled'
	;;
killed)	# the oops killed the command's shell, the guest went on
	: > "$out/w.dat.cpu0"
	echo '[  426.21] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI'
	echo '[  426.21]  exc_int3+0x48/0x130'
	echo 137 > "$out/.status"
	echo '@@pagestate-vm: cmd exit 137'
	;;
failed)	# the command's own failure, no oops
	echo 1 > "$out/.status"
	echo '@@pagestate-vm: cmd exit 1'
	;;
ok)
	echo hello > "$out/.stdout"
	echo 0 > "$out/.status"
	echo '@@pagestate-vm: cmd exit 0'
	;;
esac
EOF
chmod +x "$bin/qemu-system-x86_64"
: > "$T_TMP/bzImage"

# play NAME SCRIPT: vm/run against the stand-in; its exit status in
# $T_TMP/NAME.rc, output in NAME.out/NAME.err, the out dir NAME/.
play() {
	mkdir -p "$T_TMP/$1"
	echo keep > "$T_TMP/$1/input"	# there before the run: stays
	FAKE_SCRIPT=$2 FAKE_CALLS="$T_TMP/$1.calls" PATH="$bin:$PATH" \
		"$VM" --kernel "$T_TMP/bzImage" --timeout 30 --out "$T_TMP/$1" -- true \
		> "$T_TMP/$1.out" 2> "$T_TMP/$1.err"
	echo $? > "$T_TMP/$1.rc"
}
is() { [ "$(cat "$T_TMP/$1")" = "$2" ]; }

play int3 "int3 ok"
t_check "vm-run-retry: an int3 panic after the start: the command runs once more, exit 0" \
	eval "is int3.rc 0 && is int3.calls 2 && is int3.out hello"
t_check "vm-run-retry: it says so, and keeps the first console log" \
	eval "grep -q 'oopsed on an int3 of live code patching.*once more' '$T_TMP/int3.err' &&
		grep -q 'Oops: int3' '$T_TMP/int3/console.log.int3'"
t_check "vm-run-retry: what the cut-short run wrote is gone, what was there stays" \
	eval "[ ! -e '$T_TMP/int3/w.dat.cpu0' ] && is int3/input keep"

play killed "killed ok"
t_check "vm-run-retry: an int3 oops that killed the command (exit 137): once more, exit 0" \
	eval "is killed.rc 0 && is killed.calls 2 && [ ! -e '$T_TMP/killed/w.dat.cpu0' ]"

play failed "failed ok"
t_check "vm-run-retry: a command that fails with no oops: its exit, run once" \
	eval "is failed.rc 1 && is failed.calls 1"

play oops "oops ok"
t_check "vm-run-retry: another panic after the start is the command's: exit 125, run once" \
	eval "is oops.rc 125 && is oops.calls 1 && grep -q 'guest kernel panicked' '$T_TMP/oops.err'"

play twice "int3 int3 ok"
t_check "vm-run-retry: an int3 panic twice: exit 125 after two runs" \
	eval "is twice.rc 125 && is twice.calls 2"
