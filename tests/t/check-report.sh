# check and report on real recordings: clean recordings give no break
# (exit 0), rules that lack their events say "not checked", reports
# validate against doc/report.schema.json (Debian's python3-jsonschema),
# the text report fits 80 columns, bad input exits 2.
source "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3

# every rule has an id, a statement, its needs and its source
"$PS" check --list-rules > "$T_TMP/rules"
t_check "check --list-rules lists 14 rules with needs, kernels and sources" \
	test "$(grep -c '^    from: ' "$T_TMP/rules")" = 14 -a "$(grep -c '^    needs: ' "$T_TMP/rules")" = 14 -a "$(grep -c '^    kernels: ' "$T_TMP/rules")" = 14

# a fixture named *-broken comes from a kernel broken on purpose: exit 1
for f in "$FIXTURES"/*.dat; do
	n=$(basename "$f" .dat)
	want=0
	case $n in *-broken) want=1 ;; esac
	"$PS" check "$f" > "$T_TMP/$n.check" 2>&1; rc=$?
	t_check "check $n: exit $want, $([ $want = 0 ] && echo no break || echo a break)" test "$rc" = $want
	"$PS" report --json "$f" > "$T_TMP/$n.json" 2> "$T_TMP/$n.err"; rc=$?
	if [ "$rc" = $want ] && t_json_valid "$T_TMP/$n.json" 2> "$T_TMP/$n.verr"; then
		t_ok "report --json $n: valid against the schema"
	else
		t_fail "report --json $n" "exit $rc $(cat "$T_TMP/$n.verr" "$T_TMP/$n.err" | tail -n 3)"
	fi
	"$PS" report --text "$f" > "$T_TMP/$n.txt"
	long=$(awk 'length($0) > 80' "$T_TMP/$n.txt" | wc -l)
	t_check "report --text $n: fits 80 columns ($long longer lines)" test "$long" = 0
done

# a host recording: tracepoints only, so the rmap/GUP rules say why not
f="$FIXTURES/host-thp-basic.dat"
t_check "host recording: collapse-pinned not checked, says it needs kprobes" \
	grep -q "^collapse-pinned  *not checked: needs .*rmap_remove kprobe" "$T_TMP/host-thp-basic.check"
t_check "host recording: migration-entry-left checked" \
	grep -q "^migration-entry-left  *0 breaks" "$T_TMP/host-thp-basic.check"

# the huge zero page's split is reported as info, with its timeline
j="$T_TMP/vm-stock61-huge-zero.json"
"$PY" - "$j" "$TOP/doc/report.schema.json" > "$T_TMP/hz" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
version = json.load(open(sys.argv[2]))["$defs"]["report"]["properties"]["schema_version"]["const"]
f = [x for x in r["findings"] if x["rule"] == "huge-zero-split"]
print(len(f), f[0]["severity"], f[0]["event"]["op"], len(f[0]["window"]),
      "same" if r["schema_version"] == version else "other",
      r["recording"]["kernel"])
PYEOF
t_check "report: huge zero split findings carry event and timeline ($(cat "$T_TMP/hz"))" \
	grep -q "^[1-9][0-9]* info split_pmd [1-9][0-9]* same 6.1" "$T_TMP/hz"
t_check "report --text names the kernel and the rule in a sentence" \
	grep -q "^kernel:   6.1.0-.*-amd64, profile kprobe" "$T_TMP/vm-stock61-huge-zero.txt"

# the whole check/report path under ASan/UBSan on every fixture
bad=0
for f in "$FIXTURES"/*.dat; do
	"$PS_ASAN" report --json --uncertain "$f" > /dev/null 2> "$T_TMP/asan"
	case $? in 0|1) ;; *) bad=$((bad + 1)); head -5 "$T_TMP/asan" ;; esac
done
t_check "report under ASan/UBSan on every fixture: clean" test "$bad" = 0

# --rules and bad input, on the host recording (tracepoints only)
f="$FIXTURES/host-thp-basic.dat"
"$PS" check --rules migration-entry-left,end-state "$FIXTURES/host-thp-basic.dat" > "$T_TMP/sel"
t_check "check --rules runs only those rules" test "$(grep -c ' breaks\?,\|not checked' "$T_TMP/sel")" = 2
for bin in "$PS" "$PS_ASAN"; do
	b=$(basename "$bin")
	"$bin" check --rules no-such-rule "$f" 2> "$T_TMP/e"; rc=$?
	t_check "$b check: unknown rule id exits 2 naming it" \
		test "$rc" = 2 -a -n "$(grep "unknown rule 'no-such-rule'" "$T_TMP/e")"
	"$bin" report --json "$T_TMP/missing.dat" 2> "$T_TMP/e"; rc=$?
	t_check "$b report: missing file exits 2" test "$rc" = 2
	"$bin" report "$f" 2> "$T_TMP/e"; rc=$?
	t_check "$b report: needs --json or --text" test "$rc" = 2
	"$bin" check --rules collapse-pinned "$f" > /dev/null 2> "$T_TMP/e"; rc=$?
	t_check "$b check: nothing checkable exits 2 and says why" \
		test "$rc" = 2 -a -n "$(grep 'no rule could be checked' "$T_TMP/e")"
done
