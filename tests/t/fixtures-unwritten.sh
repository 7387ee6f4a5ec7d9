# Events that left the ring buffer but never reached the file: no
# overrun, no missed-events flag, only a hole in one CPU's stream (a
# write cut short by a signal on 9p, fixed in record/buffers.c; a killed
# recorder's splice pipe).  The file's CPUSTAT says how many events each
# CPU handed out ("read events:"); fewer in the file is a loss whose
# time nobody knows.  Made here from vm-custom61-collapse-broken (one
# collapse-pinned BREAK at 5.05 s): one page of CPU 0, after the break,
# emptied (its commit set to 0), as a lost write leaves it.
source "$(dirname "$0")/../lib.sh"

if ! command -v trace-cmd > /dev/null; then
	t_skip "a file lacking events its ring buffer handed out" "no trace-cmd (to find the data pages)"
	exit 0
fi
orig="$FIXTURES/vm-custom61-collapse-broken.dat"
f="$T_TMP/hole.dat"
cp "$orig" "$f"
read -r off size < <(trace-cmd dump --flyrecord -i "$f" 2>/dev/null |
	awk '$1 == 0 && $4 == "[id," { print $2, $3 }')
page=$(( ${size:-0} / 4096 * 3 / 4 ))
printf '\0\0\0\0\0\0\0\0' | dd of="$f" bs=1 seek=$(( ${off:-0} + page * 4096 + 8 )) conv=notrunc 2> /dev/null
# what the page held, by trace-cmd's count
events() { trace-cmd report "$1" 2> /dev/null | grep -cE '\[[0-9]{3}\] +[0-9]+\.[0-9]+:'; }
n=$(( $(events "$orig") - $(events "$f") ))

"$PS" replay "$orig" > "$T_TMP/orig.sum"
"$PS" replay "$f" > "$T_TMP/sum"
t_check "the intact file: 0 missed, nothing said missing" \
	eval "[ \"\$(t_lost < '$T_TMP/orig.sum')\" = '0 0 0' ] && ! grep -q 'not in the file' '$T_TMP/orig.sum'"
# fails if replay does not compare CPUSTAT's read events with the records
t_check "replay: the $n events of cpu0 page $page counted missed, said not in the file" \
	eval "[ $n -gt 0 ] && [ \"\$(t_lost < '$T_TMP/sum')\" = '0 0 $n' ] &&
		grep -q '^  of them $n not in the file: ' '$T_TMP/sum'"

# the break came before the hole, and still is unsure: fails if only
# later verdicts are made uncertain
"$PS" check "$orig" > "$T_TMP/orig.check"
t_check "the intact file: collapse-pinned 1 break" \
	grep -q '^collapse-pinned  *1 break, 0 info, 0 uncertain' "$T_TMP/orig.check"
"$PS" check "$f" > "$T_TMP/check"
rc=$?
t_check "check: exit 0, the break before the hole uncertain (exit $rc)" \
	eval "[ $rc = 0 ] && grep -q '^collapse-pinned  *0 breaks, 0 info, 1 uncertain' '$T_TMP/check'"
"$PS" report --json "$f" > "$T_TMP/r.json"
t_check "report --json: recording.lost.unwritten $n" \
	python3 -c 'import json, sys
l = json.load(open(sys.argv[1]))["recording"]["lost"]
sys.exit(not (l["unwritten"] == int(sys.argv[2]) == l["missed"]))' "$T_TMP/r.json" "$n"
