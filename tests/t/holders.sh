# holders and why on the committed recordings (tests/fixtures, real 6.1,
# 6.12 and 7.2 kernels under qemu, and the host): the reference ledger
# adds up at every event of every folio of every recording, names the
# io_uring pin and the vmsplice reference that made MADV_COLLAPSE refuse
# (collapse-pinned), the pin a broken 6.1 collapse ignored
# (collapse-broken), goes back to the mapping alone once the pin is
# dropped, and says so on bad input.  The attribution shares of each
# recording go to the test's output.
source "$(dirname "$0")/../lib.sh"

pfn_of() { sed -n "s/^workload: $2 .*pfn=\(0x[0-9a-f]*\).*/\1/p" "$FIXTURES/$1.workload" | head -1; }

for f in "$FIXTURES"/*.dat; do
	n=$(basename "$f" .dat)
	"$PS" holders --check-sum "$f" > "$T_TMP/$n.sum" 2>&1; rc=$?
	sed -n 's/^  \(exact\|by pair\|by task\|unexplained\|over-attributed\) */\1 /p' \
		"$T_TMP/$n.sum" | tr '\n' ' ' | sed "s/^/# $n: /; s/\$/\n/"
	t_check "$n: the ledger adds up at every event of every folio" \
		grep -q "^  adds up:        yes (0 states off)" "$T_TMP/$n.sum"
	t_check "$n: holders --check-sum exit 0" test "$rc" = 0
done

# collapse-pinned (6.1 + page_ref + kprobes): two refusals, two holders
f=$FIXTURES/vm-custom61-collapse-pinned.dat
pin=$(sed -n 's/^workload: collapse-pin-before .*pfn=\(0x[0-9a-f]*\).*/\1/p' \
	"$FIXTURES/vm-custom61-collapse-pinned.workload" | tail -1)
ref=$(sed -n 's/^workload: collapse-ref-before .*pfn=\(0x[0-9a-f]*\).*/\1/p' \
	"$FIXTURES/vm-custom61-collapse-pinned.workload" | tail -1)
"$PS" why "$f" > "$T_TMP/why" 2>&1; rc=$?
t_check "why: exit 0" test "$rc" = 0
sed -n "/scan refused pfn $pin:/,/unexplained/p" "$T_TMP/why" > "$T_TMP/why.pin"
t_check "why: the io_uring page $pin refused with SCAN_PAGE_COUNT" \
	grep -q "collapse-pinned-[0-9]* collapse scan refused pfn $pin: not_suitable_page_count" "$T_TMP/why.pin"
t_check "why: its holder is the FOLL_LONGTERM pin, 1024 references" \
	grep -q "+ 1024 pin (FOLL_PIN|FOLL_LONGTERM collapse-pinned-[0-9]* pin at .* pfn $pin) \[exact\]" "$T_TMP/why.pin"
t_check "why: ...beside its one mapping, nothing unexplained" \
	test "$(grep -c "refcount 1025 = 1 mapping\|+ 0 unexplained" "$T_TMP/why.pin")" = 2
sed -n "/scan refused pfn $ref:/,/unexplained/p" "$T_TMP/why" > "$T_TMP/why.ref"
t_check "why: the vmsplice()d page $ref is held by one get of the task" \
	grep -q "+ 1 get (collapse-pinned-[0-9]* ref at .* pfn $ref) \[exact\]" "$T_TMP/why.ref"
t_check "why: madvise_collapse's -EAGAIN points at the refused page" \
	test "$(grep -A1 'madvise_collapse: returned -11 (EAGAIN)' "$T_TMP/why" | grep -c 'refused page: pfn')" = 2

# the clean kernel of collapse-broken: MADV_COLLAPSE and khugepaged both
# refuse the pinned page, each naming the pin
f2=$FIXTURES/vm-custom61-collapse-broken-clean.dat
"$PS" why "$f2" > "$T_TMP/why.clean"
t_check "why (clean 6.1): MADV_COLLAPSE and khugepaged refusals, the pin named twice" \
	test "$(grep -c "^[0-9.]* \(collapse-broken\|khugepaged\)-[0-9]* collapse scan refused .*not_suitable_page_count" "$T_TMP/why.clean")" = 2 -a \
	"$(grep -c "+ 1024 pin (FOLL_PIN|FOLL_LONGTERM collapse-broken-" "$T_TMP/why.clean")" = 2
# split_huge_page remaps through migration entries too: no migration refusal
for n in vm-stock612-mthp vm-stock72-mthp vm-stock61-thp-basic; do
	t_check "why ($n): splits' migration entries are not refused migrations" \
		grep -q "^0 refusals in " <("$PS" why --no-stacks "$FIXTURES/$n.dat")
done

# holders of the pinned page at the refusal, and after the unpin
at=$(sed -n "s/^\([0-9.]*\) .*scan refused pfn $pin:.*/\1/p" "$T_TMP/why")
"$PS" holders "$f" --pfn "$pin" --at "$at" > "$T_TMP/h.at" 2>&1
t_check "holders --at $at: the pin holds $pin" \
	grep -q "+ 1024 pin (FOLL_PIN|FOLL_LONGTERM" "$T_TMP/h.at"
"$PS" replay "$f" --pfn "$pin" > "$T_TMP/tl"
unpin=$(awk '$4 == "unpin" { print $1; exit }' "$T_TMP/tl")
back=$(awk -v u="$unpin" '$1 > u && $4 == "ref" && $6 == "val=-1024" { print $1; exit }' "$T_TMP/tl")
"$PS" holders "$f" --pfn "$pin" --at "$unpin" > "$T_TMP/h.unpin"
t_check "holders at the unpin ($unpin): unpinned, put pending, by pair" \
	grep -q "1024 unpinned, put pending (FOLL_PIN collapse-pinned-[0-9]* unpin .*\[by pair\]" "$T_TMP/h.unpin"
"$PS" holders "$f" --pfn "$pin" --at "$back" > "$T_TMP/h.back"
t_check "holders after the put ($back): refcount 1 = the mapping alone" \
	test "$(grep -c "refcount 1 = 1 mapping\|+ 0 unexplained" "$T_TMP/h.back")" = 2 -a \
	"$(wc -l < "$T_TMP/h.back")" = 3

# collapse-broken (6.1 with the pin check removed): the pin the collapse ignored
f=$FIXTURES/vm-custom61-collapse-broken.dat
bp=$(sed -n 's/^workload: pin-before .*pfn=\(0x[0-9a-f]*\).*/\1/p' \
	"$FIXTURES/vm-custom61-collapse-broken.workload")
at=$("$PS" check "$f" | awk -v p="$bp" '$2 == "collapse-pinned" && $6 == p { print $7 }')
"$PS" holders "$f" --pfn "$bp" --at "$at" > "$T_TMP/b.at"
t_check "collapse-broken: at the break ($at) the pin still holds $bp" \
	grep -q "1024 pin (FOLL_PIN|FOLL_LONGTERM collapse-broken-[0-9]* pin " "$T_TMP/b.at"

# migrate-held (--numa, with stacks: 6.1 --stack, 6.12 --stack-on=holders):
# move_pages cannot move the page a pipe holds (vmsplice); why names the
# pipe's get with its syscall stack, and once the pipe is read the page
# is its mapping's alone
migrate_held() {
	local n=$1 k=$2 f held mig2 drop
	f=$FIXTURES/$n.dat
	held=$(awk '$2 == "held-moved" && / node=0$/ { sub("pfn=", "", $5); print $5 }' \
		"$FIXTURES/$n.workload")
	"$PS" why "$f" > "$T_TMP/why.mh" 2>&1
	t_check "$k why (migrate-held): the vmsplice()d page $held put back unmigrated" \
		grep -q "^[0-9.]* migrate-held-[0-9]* migration pfn $held: page put back unmigrated" "$T_TMP/why.mh"
	t_check "$k why: its holders name the pipe's get, with vmsplice in its stack" \
		sh -c "sed -n '/migration pfn $held:/,/unexplained/p' '$T_TMP/why.mh' |
			grep -A1 '+ 1 get (migrate-held-[0-9]* ref at ' | grep -q '^ *stack: .*__do_sys_vmsplice'"
	# isolate_lru_page()'s reference is the migration's own, named as such:
	# the refcount is the mapping, the isolation and the pipe's get, nothing
	# unexplained (the page_ref event shows PG_lru gone at that get; a ledger
	# that took it for a plain get would name two gets here)
	t_check "$k why: the page's other reference is its isolation from the LRU, exact" \
		sh -c "sed -n '/migration pfn $held:/,/unexplained/p' '$T_TMP/why.mh' > '$T_TMP/why.mh1'
			grep -q '^ *refcount 3 = 1 mapping' '$T_TMP/why.mh1' &&
			grep -q '+ 1 isolated (migrate-held-[0-9]* ref at [0-9.]* pfn $held) \[exact\]' '$T_TMP/why.mh1' &&
			test \$(grep -c '+ 1 get ' '$T_TMP/why.mh1') = 1 &&
			grep -q '+ 0 unexplained' '$T_TMP/why.mh1'"
	t_check "$k why: migrate_pages says 1 failed, the retries counted once" \
		test "$(grep -c "migrate_pages: [0-9]* succeeded, 1 failed (1 page put back above)" "$T_TMP/why.mh")" = 1 -a \
		"$(grep -c "migration pfn $held: page put back" "$T_TMP/why.mh")" = 1
	# the same refusals as JSON (why --json), against the schema: the held
	# page's refusal carries the same holders, the pipe's get with its stack
	"$PS" why --json "$f" > "$T_TMP/why.json"
	t_check "$k why --json (migrate-held) validates against the schema" t_json_valid "$T_TMP/why.json"
	/usr/bin/python3 - "$T_TMP/why.json" "$held" > "$T_TMP/why.jq" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
held = sys.argv[2]
rs = [r for r in d["refusals"] if r["what"] == "migration" and r["pfn"] == held]
h = rs[0]["holders"] if len(rs) == 1 else None
gets = [row for row in (h or {}).get("rows", []) if row["kind"] == "get"
        and any("__do_sys_vmsplice" in fr for fr in (row.get("stack") or []))]
mp = [r for r in d["refusals"] if r["what"] == "migrate_pages"]
print(len(rs), h and h["refcount"], len(gets), d["summary"]["refusals"] == len(d["refusals"]),
      len(mp) == 1 and [p["pfn"] for p in mp[0].get("put_back", [])] == [held])
PYEOF
	t_check "$k why --json: one refusal of $held, refcount 3, the vmsplice get named with its stack; the batch's put_back lists it" \
		test "$(cat "$T_TMP/why.jq")" = "1 3 1 True True"
	"$PS" replay "$f" --pfn "$held" > "$T_TMP/mh.tl"
	mig2=$(awk '$4 == "migration_set" { n++; t = $1 } END { print t }' "$T_TMP/mh.tl")
	drop=$(awk -v m="$mig2" '$4 == "ref" && $1 < m && /ref=1 / { t = $1 } END { print t }' "$T_TMP/mh.tl")
	"$PS" holders "$f" --pfn "$held" --at "$drop" --no-stacks > "$T_TMP/mh.h"
	t_check "$k holders after the pipe let go ($drop): refcount 1 = the mapping alone" \
		test "$(grep -c "refcount 1 = 1 mapping\|+ 0 unexplained" "$T_TMP/mh.h")" = 2 -a \
		"$(wc -l < "$T_TMP/mh.h")" = 3
}
migrate_held vm-custom61-migrate-held 6.1:
migrate_held vm-custom612-migrate-held 6.12:

# stat-leak (6.1 with tests/vm/patches/stat-leak.patch, --stack): the page
# move_pages() queried is never freed; its one reference left is the get
# the status query took, named with its stack
f=$FIXTURES/vm-custom61-stat-leak.dat
leak=$(sed -n 's/^workload: leak-unmapped pfn=\(0x[0-9a-f]*\)$/\1/p' \
	"$FIXTURES/vm-custom61-stat-leak.workload")
"$PS" holders "$f" --pfn "$leak" > "$T_TMP/leak"
t_check "stat-leak: $leak outlives its mapping: refcount 1 = one get, exact" \
	test "$(grep -c "refcount 1 = 1 get (stat-leak-[0-9]* ref at .*) \[exact\]\|+ 0 unexplained" "$T_TMP/leak")" = 2 -a \
	"$(grep -c "^freed at" "$T_TMP/leak")" = 0
t_check "stat-leak: ...taken by move_pages' status query (its stack)" \
	grep -q "^ *stack: .*follow_page.* < do_pages_stat+.* < __x64_sys_move_pages" "$T_TMP/leak"

# a recording without page_ref: mappings and pins only, refcount unknown
f=$FIXTURES/vm-stock612-mthp.dat
p=$(pfn_of vm-stock612-mthp mthp-pin)
"$PS" holders "$f" --pfn "$p" > "$T_TMP/u" 2>&1; rc=$?
t_check "no page_ref: exit 0, refcount unknown, no unexplained row" \
	test "$rc" = 0 -a "$(grep -c 'refcount unknown >=' "$T_TMP/u")" = 1 -a \
	"$(grep -c unexplained "$T_TMP/u")" = 0

# bad input: one line naming the file, exit 2
f=$FIXTURES/vm-custom61-collapse-pinned.dat
bad() {
	"$PS" holders "$@" > "$T_TMP/bad.out" 2> "$T_TMP/bad.err"; rc=$?
	test "$rc" = 2 -a "$(wc -l < "$T_TMP/bad.err")" = 1 -a ! -s "$T_TMP/bad.out"
}
t_check "a pfn the recording never saw: one line, exit 2" bad "$f" --pfn 0xfffffff0
grep -q "collapse-pinned.dat: pfn 0xfffffff0: no page op on it" "$T_TMP/bad.err" ||
	t_fail "the error names the file and the pfn" "$(cat "$T_TMP/bad.err")"
t_check "a time after the recording: one line, exit 2" bad "$f" --pfn "$pin" --at 9999
t_check "a time before it: one line, exit 2" bad "$f" --pfn "$pin" --at 0.5
t_check "a time that is no number: exit 2" bad "$f" --pfn "$pin" --at soon
t_check "a pfn that is no number: exit 2" bad "$f" --pfn page
"$PS" why "$T_TMP/nonexistent.dat" > /dev/null 2> "$T_TMP/bad.err"; rc=$?
t_check "why on a missing file: exit 2" test "$rc" = 2

# page-cache (custom 6.1, page_ref + kprobes): a ramfs file's page is
# held by the page cache from its add event on (the get folio_ref_add()
# took, exact), beside its mapping; truncation's delete makes that a put
# pending, which filemap_free_folio's put matches.  Nothing unexplained
# at any of these points.  tmpfs (shmem) adds have no event: its page
# shows only the delete, its release placed from the gets.
f=$FIXTURES/vm-custom61-page-cache.dat
pc=$(pfn_of vm-custom61-page-cache pcache-mapped-0)
"$PS" replay "$f" --pfn "$pc" > "$T_TMP/pc.tl"
map=$(awk '$4 == "rmap_add" { print $1; exit }' "$T_TMP/pc.tl")
add=$(awk -v m="$map" '$4 == "cache_add" && $1 < m { t = $1 } END { print t }' "$T_TMP/pc.tl")
del=$(awk -v m="$map" '$4 == "cache_del" && $1 > m { print $1; exit }' "$T_TMP/pc.tl")
put=$(awk -v d="$del" '$1 > d && $4 == "ref" && $6 == "val=-1" { print $1; exit }' "$T_TMP/pc.tl")
"$PS" holders "$f" --pfn "$pc" --at "$map" --no-stacks > "$T_TMP/pc.map" 2>&1
cat "$T_TMP/pc.map"
t_check "page cache: $pc mapped ($map): refcount 2 = its mapping + the page cache's reference, exact, from the add at $add" \
	test "$(grep -c "refcount 2 = 1 mapping (page-cache-[0-9]* rmap_add at $map pfn $pc) \[exact\]\|+ 1 page cache (page-cache-[0-9]* cache_add at $add pfn $pc dev 0:[0-9]* ino 0x[0-9a-f]* index [0-3]) \[exact\]\|+ 0 unexplained" "$T_TMP/pc.map")" = 3
"$PS" holders "$f" --pfn "$pc" --at "$del" --no-stacks > "$T_TMP/pc.del" 2>&1
cat "$T_TMP/pc.del"
t_check "page cache: truncated ($del): removed from the page cache, put pending, by pair; 0 unexplained" \
	sh -c "grep -q '1 removed from the page cache, put pending (page-cache-[0-9]* cache_del at $del pfn $pc dev 0:[0-9]* ino 0x[0-9a-f]* index [0-3]) \[by pair\]' '$T_TMP/pc.del' &&
		grep -q '+ 0 unexplained' '$T_TMP/pc.del'"
"$PS" holders "$f" --pfn "$pc" --at "$put" --no-stacks > "$T_TMP/pc.put" 2>&1
t_check "page cache: filemap_free_folio's put ($put) matched the pending put, 0 unexplained" \
	sh -c "! grep -q 'page cache' '$T_TMP/pc.put' && grep -q ' 0 unexplained' '$T_TMP/pc.put'"
tp=$(pfn_of vm-custom61-page-cache pcache-mapped-1)
"$PS" replay "$f" --pfn "$tp" > "$T_TMP/tp.tl"
tdel=$(awk '$4 == "cache_del" { print $1; exit }' "$T_TMP/tp.tl")
"$PS" holders "$f" --pfn "$tp" --at "$tdel" --no-stacks > "$T_TMP/tp.del" 2>&1
t_check "page cache: tmpfs page $tp: no add event, its delete ($tdel) still a pending put, 0 unexplained" \
	sh -c "! grep -q ' cache_add ' '$T_TMP/tp.tl' &&
		grep -q '1 removed from the page cache, put pending (page-cache-[0-9]* cache_del at $tdel ' '$T_TMP/tp.del' &&
		grep -q '+ 0 unexplained' '$T_TMP/tp.del'"

# report: the holders at each finding's event, in JSON (schema) and text
f=$FIXTURES/vm-custom61-collapse-broken.dat
"$PS" report --json "$f" > "$T_TMP/r.json"; rc=$?
t_check "report --json on collapse-broken: exit 1 (a break)" test "$rc" = 1
t_check "report --json validates against the schema" t_json_valid "$T_TMP/r.json"
t_check "report --json: the finding's holders name the FOLL_LONGTERM pin" \
	python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["findings"][0]
h = f["holders"]
assert h["folio"] == sys.argv[2], h["folio"]
assert sum(r["refs"] for r in h["rows"]) == h["refcount"] == f["after"]["refcount"]
pin = [r for r in h["rows"] if r["kind"] == "pin"]
assert len(pin) == 1 and pin[0]["refs"] == 1024 and pin[0]["attribution"] == "exact", pin
assert pin[0]["foll"] == ["FOLL_PIN", "FOLL_LONGTERM"] and pin[0]["comm"] == "collapse-broken", pin
' "$T_TMP/r.json" "$bp"
"$PS" report --text "$f" > "$T_TMP/r.txt"
t_check "report --text: holders of the finding, the pin first, 80 columns" \
	test "$(grep -A1 '^    holders: refcount 1026 =' "$T_TMP/r.txt" | grep -c '1024 pin (FOLL_PIN|FOLL_LONGTERM collapse-broken-')" = 1 -a \
	"$(awk 'length > 80' "$T_TMP/r.txt" | wc -l)" = 0
f=$FIXTURES/vm-custom61-collapse-pinned.dat
"$PS" report --json "$f" > "$T_TMP/r2.json"
t_check "report --json on collapse-pinned validates; both infos carry holders" \
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["findings"]) == 2 and all(f["holders"] for f in d["findings"])
' "$T_TMP/r2.json"
t_check "...and validates against the schema" t_json_valid "$T_TMP/r2.json"

# the ledger's memory handling under ASan/UBSan, every fixture
n=0
for f in "$FIXTURES"/*.dat; do
	"$PS_ASAN" holders --check-sum "$f" > /dev/null 2> "$T_TMP/asan" &&
	"$PS_ASAN" why "$f" > /dev/null 2>> "$T_TMP/asan" || n=$((n + 1))
	grep -q "ERROR: \|runtime error" "$T_TMP/asan" && n=$((n + 1))
done
t_check "holders --check-sum and why under ASan/UBSan on every fixture: clean" test "$n" = 0
