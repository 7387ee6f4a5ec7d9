# Issue 12, part 1: bad ftrace text.  Garbage, truncated and flipped lines
# are counted and named by file:line, the rest replayed; never a crash.
# Every case runs under the ASan/UBSan build (exit 99 on a report).
source "$(dirname "$0")/../lib.sh"

command -v trace-cmd > /dev/null || { t_skip "text bad input" "no trace-cmd"; exit 0; }
[ -x "$PS_ASAN" ] || { t_fail "text bad input" "no $PS_ASAN (make asan)"; exit 0; }

src="$FIXTURES/vm-custom61-collapse-pinned.dat"
trace-cmd report "$src" > "$T_TMP/good.txt" 2>/dev/null
lines=$(wc -l < "$T_TMP/good.txt")

# run NAME FILE: exit 0, 1 or 2 from both builds, no sanitizer report
run() {
	local bin rc
	for bin in "$PS" "$PS_ASAN"; do
		for cmd in replay check; do
			"$bin" $cmd "$2" > "$T_TMP/out" 2> "$T_TMP/err"; rc=$?
			case $rc in
			0|1|2) ;;
			*) t_fail "$1: $cmd ($(basename "$bin"))" "exit $rc: $(grep -m3 -i 'error\|runtime' "$T_TMP/err")"; return 1 ;;
			esac
		done
	done
	t_ok "$1: replay and check exit $rc, no crash (ASan/UBSan too)"
}

# Garbage lines in the middle: counted, named, the rest replayed.
awk 'NR == 100 { print "this is not a trace line" }
     NR == 200 { print "      foo-12   [000]   x.y: bar: baz" }
     NR == 300 { print "\001\002\003 binary junk \377" }
     { print }' "$T_TMP/good.txt" > "$T_TMP/garbage.txt"
run "garbage lines" "$T_TMP/garbage.txt"
"$PS" replay "$T_TMP/garbage.txt" > "$T_TMP/g.out" 2> "$T_TMP/g.err"
t_check "garbage lines named by file:line" grep -q "garbage.txt:100: not an ftrace event line" "$T_TMP/g.err"
t_check "third garbage line named" grep -q "garbage.txt:302:" "$T_TMP/g.err"
"$PS" replay "$T_TMP/good.txt" | grep -v '^file:' > "$T_TMP/good.sum"
grep -v '^file:' "$T_TMP/g.out" > "$T_TMP/g.sum"
t_check "the rest replays as without the garbage" cmp -s "$T_TMP/good.sum" "$T_TMP/g.sum"

# An event nobody has a format for: read as name=value and said so.
awk 'NR == 150 { print "   collapse-pinned-58    [001]     4.262900: my_probe: (ffffffff8111d5d8) a=1 b=0x2" }
     NR == 151 { print "   collapse-pinned-58    [001]     4.262901: my_tracepoint: x=1 y=zz" }
     { print }' "$T_TMP/good.txt" > "$T_TMP/unknown.txt"
run "unknown events" "$T_TMP/unknown.txt"
"$PS" replay "$T_TMP/unknown.txt" > "$T_TMP/u.out" 2> "$T_TMP/u.err"
t_check "unknown tracepoint reported as format unknown" grep -q "1 my_tracepoint events: format unknown" "$T_TMP/u.err"
t_check "unknown events still counted" grep -q "my_tracepoint  *1" "$T_TMP/u.out"

# Truncated at byte offsets, mid-line and mid-marker.
size=$(stat -c %s "$T_TMP/good.txt")
for off in 1 77 1000 $((size / 3)) $((size / 2 + 13)) $((size - 5)); do
	head -c "$off" "$T_TMP/good.txt" > "$T_TMP/trunc.txt"
	run "truncated at byte $off" "$T_TMP/trunc.txt"
done

# Flipped bytes: seeded, so a failure reproduces.
for seed in 1 2 3 4 5; do
	python3 - "$T_TMP/good.txt" "$T_TMP/flip.txt" "$seed" <<'PYEOF'
import random, sys
data = bytearray(open(sys.argv[1], 'rb').read())
r = random.Random(int(sys.argv[3]))
for _ in range(2000):
    i = r.randrange(len(data))
    data[i] = r.choice(b' :=[]()-0x9af|>\n\t\0\377' + bytes([r.randrange(256)]))
open(sys.argv[2], 'wb').write(data)
PYEOF
	run "2000 flipped bytes (seed $seed)" "$T_TMP/flip.txt"
done

# Whole-line shuffles: lines cut in half and joined across events.
awk 'NR % 7 == 0 { printf "%s", substr($0, 1, length($0) / 2); next } { print }' \
	"$T_TMP/good.txt" > "$T_TMP/halves.txt"
run "every 7th line cut in half" "$T_TMP/halves.txt"
t_check "text of $lines lines was the input" test "$lines" -gt 1000
