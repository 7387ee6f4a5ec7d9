# Wrong usage gets one clear error and exit 2, never a crash: an unknown
# option, an event the kernel lacks, no root.  Checked under ASan/UBSan too
# (exit 99 on a sanitizer error).
source "$(dirname "$0")/../lib.sh"

# expect_usage NAME WANT CMD...: exit 2, exactly one "error:" line matching WANT
expect_usage() {
	local name=$1 want=$2 rc
	shift 2
	"$@" > "$T_TMP/out" 2> "$T_TMP/err"
	rc=$?
	if [ $rc != 2 ]; then
		t_fail "$name" "exit $rc, want 2: $(head -c 300 "$T_TMP/err")"
	elif [ "$(grep -c 'error:' "$T_TMP/err")" != 1 ] ||
	     ! grep -q "error: .*$want" "$T_TMP/err"; then
		t_fail "$name" "want one error line with '$want': $(head -c 300 "$T_TMP/err")"
	else
		t_ok "$name"
	fi
}

for bin in "$PS" "$PS_ASAN"; do
	tag=$(basename "$bin")
	if [ ! -x "$bin" ]; then
		t_skip "$tag: bad input" "$bin not built (make all asan)"
		continue
	fi
	expect_usage "$tag: unknown option" "unknown option '--bogus'" \
		"$bin" record --bogus -- true
	expect_usage "$tag: -p with a command" "not both" \
		"$bin" record -p 1 -- true
	expect_usage "$tag: -b needs a number" "wants a number" \
		"$bin" record -b lots -- true

	why=$(t_no_tracing)
	if [ -n "$why" ]; then
		t_skip "$tag: unknown -e event" "$why"
	else
		expect_usage "$tag: unknown -e event" "event 'kmem:no_such_event' does not exist" \
			"$bin" record -e kmem:no_such_event -- true
		expect_usage "$tag: unknown -e group" "event 'no_such_group' does not exist" \
			"$bin" record -e no_such_group -- true
		expect_usage "$tag: -p of no process" "no such process" \
			"$bin" record -p 999999999
		expect_usage "$tag: command that cannot run" "cannot run '/nonexistent/cmd'" \
			"$bin" record -q -o "$T_TMP/none.dat" -- /nonexistent/cmd
		t_check "$tag: no file written for a command that cannot run" \
			test ! -e "$T_TMP/none.dat"
	fi

	if [ "$(id -u)" != 0 ] || ! command -v setpriv > /dev/null; then
		t_skip "$tag: not root" "needs root and setpriv to drop to nobody"
		continue
	fi
	cp "$bin" "$T_TMP/ps-nobody"
	chmod 755 "$T_TMP" "$T_TMP/ps-nobody"
	expect_usage "$tag: not root" "run as root" \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$T_TMP/ps-nobody" record -o /tmp/never.dat -- true
done
