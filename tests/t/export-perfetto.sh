# Issue 12, part 3: pagestate export --perfetto writes a Chrome JSON trace
# Perfetto opens: it parses, every event has its required keys, each
# counter track's timestamps never go back, and the fixture's collapse and
# split show as instants beside the folio's refcount/mapcount/pincount.
source "$(dirname "$0")/../lib.sh"

pfn_of() { sed -n "s/^workload: $2 .*pfn=\(0x[0-9a-f]*\).*/\1/p" "$FIXTURES/$1.workload" | head -1; }

# validate JSON [ARGS]: structural checks, one "ok"/"bad: why" line per check
validate() {
	/usr/bin/python3 - "$@" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
want = dict(a.split('=', 1) for a in sys.argv[2:])
ev = d['traceEvents']
bad = []
last = {}
for e in ev:
    for k in ('ph', 'name', 'pid'):
        if k not in e:
            bad.append('missing %s in %s' % (k, e))
    if e['ph'] == 'M':
        continue
    for k in ('tid', 'ts'):
        if k not in e:
            bad.append('missing %s in %s' % (k, e))
    if e['ph'] == 'C':
        a = e.get('args', {})
        if not a or set(a) - {'refcount', 'mapcount', 'pincount'} or \
           any(not isinstance(v, int) for v in a.values()):
            bad.append('bad counter args %s' % e)
        key = (e['pid'], e['name'])
        if e['ts'] < last.get(key, -1):
            bad.append('ts goes back on %s' % (key,))
        last[key] = e['ts']
    elif e['ph'] == 'i':
        if e.get('s') not in ('t', 'p', 'g'):
            bad.append('instant without scope %s' % e)
    else:
        bad.append('unexpected ph %s' % e['ph'])
print('structure', 'ok' if not bad else 'bad: ' + '; '.join(bad[:3]))
print('otherData', 'ok' if d['otherData']['pagestate'].get('records') else 'bad')
names = {e['name'] for e in ev if e['ph'] == 'i'}
for n in want.get('instants', '').split(','):
    if n:
        print('instant-' + n.replace(' ', '_'), 'ok' if n in names else 'bad: have %s' % sorted(names))
for f in want.get('folios', '').split(','):
    if not f:
        continue
    c = [e for e in ev if e['ph'] == 'C' and e['name'].startswith('folio %s/' % f)]
    keys = set(k for e in c for k in e['args'])
    print('counters-' + f, 'ok' if c and keys >= set(want.get('keys', 'mapcount').split(',')) else
          'bad: %d samples, keys %s' % (len(c), sorted(keys)))
tasks = [e for e in ev if e['ph'] == 'M' and e['pid'] != 0]
print('processes', 'ok' if tasks else 'bad: no workload process')
PYEOF
}

# check_export NAME OUT.json ARGS...: each validate line an ok/not ok
check_export() {
	local name=$1 json=$2 what res
	shift 2
	validate "$json" "$@" > "$T_TMP/v" 2>&1 ||
		{ t_fail "$name: JSON" "$(tail -2 "$T_TMP/v")"; return; }
	while read -r what res; do
		if [ "$res" = ok ]; then t_ok "$name: $what"; else t_fail "$name: $what" "$res"; fi
	done < "$T_TMP/v"
}

# stock 6.1, thp-basic: MADV_COLLAPSE and split_huge_page, mapcount+pincount
f="$FIXTURES/vm-stock61-thp-basic.dat"
"$PS" export --perfetto "$f" -o "$T_TMP/thp.json" 2> "$T_TMP/err"
t_check "export exits 0 and counts what it wrote" grep -q "counter and .* instant events" "$T_TMP/err"
check_export "stock thp-basic" "$T_TMP/thp.json" instants=collapse,split,split_pmd \
	folios="$(pfn_of vm-stock61-thp-basic collapse-after),$(pfn_of vm-stock61-thp-basic split-thp)" \
	keys=mapcount,pincount

# custom 6.1, collapse-pinned: refcount too, and the findings as instants
# (the kernel refusing to collapse a pinned page: info), with counters of
# the folio each finding is about
f="$FIXTURES/vm-custom61-collapse-pinned.dat"
found=$("$PS" check "$f" | awk '$2 == "collapse-pinned" { sub("/.*", "", $4); print $4; exit }')
"$PS" export --perfetto "$f" > "$T_TMP/cp.json"
check_export "custom collapse-pinned" "$T_TMP/cp.json" \
	instants="info collapse-pinned,collapse" \
	folios="$(pfn_of vm-custom61-collapse-pinned collapse-clean-after),$found" \
	keys=refcount,mapcount,pincount

# --pfn picks the folio; the same from the recording's text
p=$(pfn_of vm-custom61-collapse-pinned collapse-ref-before)
"$PS" export --perfetto --pfn "$p" "$f" -o "$T_TMP/one.json" 2>/dev/null
check_export "--pfn $p" "$T_TMP/one.json" folios="$p" keys=refcount
n=$(python3 -c "import json,sys; print(len({e['name'] for e in json.load(open(sys.argv[1]))['traceEvents'] if e['ph']=='C'}))" "$T_TMP/one.json")
t_check "--pfn $p: one counter track" test "$n" = 1
trace-cmd report "$f" > "$T_TMP/cp.txt" 2>/dev/null
"$PS" export --perfetto "$T_TMP/cp.txt" -o "$T_TMP/cptxt.json" 2>/dev/null
check_export "from trace-cmd report text" "$T_TMP/cptxt.json" instants=collapse \
	folios="$(pfn_of vm-custom61-collapse-pinned collapse-clean-after)" keys=refcount

# bad usage
"$PS" export "$f" > /dev/null 2> "$T_TMP/err"
t_check "without --perfetto: exit 2 naming the format" \
	test $? = 2 -a -n "$(grep -- --perfetto "$T_TMP/err")"
"$PS" export --perfetto --pfn zz "$f" > /dev/null 2> "$T_TMP/err"
t_check "--pfn zz: exit 2" test $? = 2
"$PS_ASAN" export --perfetto "$f" -o "$T_TMP/asan.json" 2> "$T_TMP/err"
t_check "ASan/UBSan build exports cleanly" test $? = 0
