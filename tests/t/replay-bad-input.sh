# Bad input: one clear line naming the problem, exit 2, never a crash.
# Every case runs under the ASan/UBSan build too (exit 99 on a sanitizer
# report), since a crash on a corrupt file is what this guards against.
source "$(dirname "$0")/../lib.sh"

good="$FIXTURES/host-thp-basic.dat"

# expect_2 NAME PATTERN CMD...: exit 2, one stderr line matching PATTERN
expect_2() {
	local name=$1 pat=$2; shift 2
	local bin rc lines
	for bin in "$PS" "$PS_ASAN"; do
		"$bin" "$@" > "$T_TMP/out" 2> "$T_TMP/err"; rc=$?
		lines=$(grep -c . "$T_TMP/err")
		if [ "$rc" != 2 ]; then
			t_fail "$name ($(basename "$bin"))" "exit $rc, want 2: $(head -c 300 "$T_TMP/err")"
		elif ! grep -q -- "$pat" "$T_TMP/err"; then
			t_fail "$name ($(basename "$bin"))" "stderr lacks '$pat': $(head -c 300 "$T_TMP/err")"
		elif [ "$lines" -lt 1 ]; then
			t_fail "$name ($(basename "$bin"))" "no message"
		else
			t_ok "$name ($(basename "$bin"))"
		fi
	done
}

expect_2 "missing file" "nonexistent.dat: No such file" replay "$T_TMP/nonexistent.dat"
printf 'root:x:0:0:root:/root:/bin/bash\n' > "$T_TMP/passwd"
expect_2 "not a trace file" "passwd: not a trace.dat file" replay "$T_TMP/passwd"
: > "$T_TMP/empty.dat"
expect_2 "empty file" "empty.dat: not a trace.dat file" replay "$T_TMP/empty.dat"
expect_2 "directory" "is a directory" replay "$T_TMP"
expect_2 "unknown subcommand" "'frobnicate' is not a pagestate command" frobnicate
expect_2 "unknown option" "unknown option '--frob'" replay --frob "$good"
expect_2 "no recording given" "replay needs a recording" replay
expect_2 "bad pfn" "'zz' is not a pfn" replay --pfn zz "$good"
expect_2 "pfn without value" "option '--pfn' needs a value" replay "$good" --pfn

# Truncations at many points of a real recording: headers, options,
# event data.  Each must be a clean exit 2 naming the file, or (when only
# trailing padding went missing) a normal replay; never a crash.
for good in "$FIXTURES/host-thp-basic.dat" "$FIXTURES/host-thp-basic.trace-cmd.dat"; do
	size=$(stat -c %s "$good")
	crashes=0 clean=0 ok=0
	for cut in 10 64 512 4096 20000 100000 $((size / 3)) $((size / 2)) \
		   $((size - 50000)) $((size - 5000)) $((size - 4097)) $((size - 1000)); do
		head -c "$cut" "$good" > "$T_TMP/trunc.dat"
		"$PS_ASAN" replay "$T_TMP/trunc.dat" > "$T_TMP/out" 2> "$T_TMP/err"; rc=$?
		case $rc in
		2)	if grep -q "trunc.dat" "$T_TMP/err"; then clean=$((clean + 1));
			else crashes=$((crashes + 1)); echo "cut $cut: exit 2 without the file name"; fi ;;
		0)	ok=$((ok + 1)) ;;
		*)	crashes=$((crashes + 1)); echo "cut $cut: exit $rc"; head -5 "$T_TMP/err" ;;
		esac
	done
	if [ "$crashes" = 0 ] && [ "$clean" -ge 8 ]; then
		t_ok "truncated $(basename "$good"): $clean clean errors, $ok readable, 0 crashes"
	else
		t_fail "truncated $(basename "$good")" "$crashes crashes, $clean clean errors"
	fi
done
good="$FIXTURES/host-thp-basic.dat"

# Garbage in the event data area: bytes flipped past the headers, with
# several seeds, in both fixtures.  Exit 0 or 2, never a sanitizer report.
bad=0
for good in "$FIXTURES/host-thp-basic.dat" "$FIXTURES/host-thp-basic.trace-cmd.dat"; do
	for seed in 1 2 3 4 5 6 7 8; do
		python3 - "$good" "$T_TMP/flip.dat" "$seed" <<'PY'
import sys, random
b = bytearray(open(sys.argv[1], 'rb').read())
r = random.Random(int(sys.argv[3]))
lo = len(b) // 8
for _ in range(200 * int(sys.argv[3])):
    i = r.randrange(lo, len(b))
    b[i] = r.randrange(256)
open(sys.argv[2], 'wb').write(b)
PY
		"$PS_ASAN" replay --verify "$T_TMP/flip.dat" > "$T_TMP/out" 2> "$T_TMP/err"; rc=$?
		if [ "$rc" != 0 ] && [ "$rc" != 2 ]; then
			bad=$((bad + 1))
			echo "$(basename "$good") seed $seed: exit $rc"
			grep -m3 "runtime error\|ERROR: AddressSanitizer\|#[0-2] " "$T_TMP/err"
		fi
	done
done
if [ "$bad" = 0 ]; then
	t_ok "corrupted event data: 16 files, exit 0 or 2, no sanitizer report"
else
	t_fail "corrupted event data" "$bad of 16 crashed"
fi
