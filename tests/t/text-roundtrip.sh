# Issue 12, part 1: ftrace text replays like the trace.dat it came from.
# For every committed fixture, `trace-cmd report X.dat` text, and a mail
# quote of it ("> " and wrapped at 76 columns), must give the same page-op
# counts and tracked fields, the same timelines of the workload's pages,
# and the same check findings as X.dat.  Text carries microseconds only,
# so timestamps are left out of the comparison.
source "$(dirname "$0")/../lib.sh"

command -v trace-cmd > /dev/null || { t_skip "text round trip" "no trace-cmd"; exit 0; }

# The summary without what text cannot carry (file options: uname and
# per-CPU stats) or names differently (the path).
summary() {
	"$PS" replay "$1" 2>/dev/null |
		grep -v '^file:\|^kernel:\|^lost events:' | sort
}
# Timelines and findings without their timestamps, and without the file
# a page cache op names: filemap's text prints "dev M:m ino X ... ofs=B",
# which the text reader does not put back (pfn and order it does).
no_ts() {
	sed -E -e 's/(^| )[0-9]+\.[0-9]{6,9} / /' \
	       -e 's/ dev=[0-9]+:[0-9]+ ino=0x[0-9a-f]+ index=[0-9]+//'
}
findings() {
	"$PS" check "$1" 2>/dev/null | grep -E '^(BREAK|info|uncertain) ' | no_ts
	echo "exit ${PIPESTATUS[0]}"
}

for f in "$FIXTURES"/*.dat; do
	n=$(basename "$f" .dat)
	trace-cmd report "$f" > "$T_TMP/$n.txt" 2>/dev/null
	fold -s -w 76 "$T_TMP/$n.txt" | sed 's/^/> /' > "$T_TMP/$n.mail"
	summary "$f" > "$T_TMP/$n.sum.dat"
	findings "$f" > "$T_TMP/$n.find.dat"
	pfns=$(sed -n 's/.*pfn=\(0x[0-9a-f]*\).*/\1/p' "$FIXTURES/$n.workload" | sort -u)
	for p in $pfns; do
		"$PS" replay "$f" --pfn "$p" | no_ts > "$T_TMP/$n.$p.dat"
	done
	for kind in txt mail; do
		x="$T_TMP/$n.$kind"
		summary "$x" > "$T_TMP/$n.sum.$kind"
		if cmp -s "$T_TMP/$n.sum.dat" "$T_TMP/$n.sum.$kind"; then
			t_ok "$n ($kind): same event and page-op counts, same tracked fields"
		else
			t_fail "$n ($kind): summary differs" \
				"$(diff "$T_TMP/$n.sum.dat" "$T_TMP/$n.sum.$kind" | head -4 | tr '\n' ' ')"
		fi
		bad=
		for p in $pfns; do
			"$PS" replay "$x" --pfn "$p" 2>/dev/null | no_ts > "$T_TMP/$n.$p.$kind"
			cmp -s "$T_TMP/$n.$p.dat" "$T_TMP/$n.$p.$kind" || bad="$bad $p"
		done
		if [ -z "$bad" ]; then
			t_ok "$n ($kind): same timelines for the $(echo $pfns | wc -w) workload pfns"
		else
			t_fail "$n ($kind): timelines differ" "$bad"
		fi
		findings "$x" > "$T_TMP/$n.find.$kind"
		if cmp -s "$T_TMP/$n.find.dat" "$T_TMP/$n.find.$kind"; then
			t_ok "$n ($kind): same check findings ($(grep -c . "$T_TMP/$n.find.dat") lines, exit status)"
		else
			t_fail "$n ($kind): check findings differ" \
				"$(diff "$T_TMP/$n.find.dat" "$T_TMP/$n.find.$kind" | head -4 | tr '\n' ' ')"
		fi
	done
done

# Kprobes someone else named: --probe-map puts them back on our adapters.
n=vm-stock61-thp-basic
sed 's/ rmap_add_new_anon: / my_new_anon: /' "$T_TMP/$n.txt" > "$T_TMP/renamed.txt"
printf '# theirs ours\nmy_new_anon rmap_add_new_anon\n' > "$T_TMP/map"
"$PS" replay "$T_TMP/renamed.txt" 2>/dev/null | grep '^  rmap_add ' > "$T_TMP/r.none"
"$PS" replay --probe-map "$T_TMP/map" "$T_TMP/renamed.txt" 2>/dev/null |
	grep -v '^file:\|^kernel:\|^lost events:' | sort > "$T_TMP/r.map"
t_check "renamed kprobe without a map: its rmap_add ops are missing" \
	test -n "$(cmp -s "$T_TMP/r.none" <(grep '^  rmap_add ' "$T_TMP/$n.sum.dat" | sort) || echo differ)"
t_check "--probe-map: the renamed kprobe replays as ours (same summary)" \
	cmp -s "$T_TMP/$n.sum.dat" "$T_TMP/r.map"
printf 'my_new_anon no_such_probe\n' > "$T_TMP/badmap"
"$PS" check --probe-map "$T_TMP/badmap" "$T_TMP/renamed.txt" > /dev/null 2> "$T_TMP/e"
t_check "--probe-map naming an unknown probe: exit 2 naming file:line" \
	test $? = 2 -a -n "$(grep 'badmap:1:' "$T_TMP/e")"

# A try-get that failed (page_ref_mod_unless ret=0: the page was frozen or
# freed) changed no count.  Real recordings rarely catch one, so it is
# added to a real one: after the recording's last free, the same task
# fails to take a reference on that page (count 0, as the kernel reports
# it).  Fails if the adapter counts the failed try-get: a reference on a
# freed page is a use-after-free break.
f="$FIXTURES/vm-custom61-cow-thp.dat"
trace-cmd report "$f" > "$T_TMP/unless.txt" 2> /dev/null
awk '{ print }
     /mm_page_free: .* order=0$/ { last = $0 }
     END {
	sub(/mm_page_free: .*pfn=/, "page_ref_mod_unless:  pfn=", last)
	sub(/ order=0$/, " flags=0x0 count=0 mapcount=0 mapping=0x0 mt=1 val=1 ret=0", last)
	print last
     }' "$T_TMP/unless.txt" > "$T_TMP/unless-failed.txt"
tail -1 "$T_TMP/unless-failed.txt" | grep -q "page_ref_mod_unless:  pfn=0x[0-9a-f]* flags=0x0 count=0 .* ret=0$" &&
	"$PS" check "$T_TMP/unless-failed.txt" > "$T_TMP/unless.check" 2>&1
t_check "a failed page_ref_mod_unless on a freed page changes nothing (check exit 0)" \
	test $? = 0

# fork's first vm_normal_page() of a maybe-pinned page returns -EAGAIN,
# copy_pte_range() allocates and retries, and the page is copied for the
# child.  A task that slept allocating may wake on a vCPU whose clock
# runs behind: the first return then sorts after the copy (seen once, in
# a cold CI run).  Modelled on the real fork of a pinned page in
# vm-custom61-fork-pin: fails if that late return counts as a second
# fork dup (the pinned page shared with the child: a false break).
f="$FIXTURES/vm-custom61-fork-pin.dat"
trace-cmd report "$f" > "$T_TMP/fp.txt" 2> /dev/null
awk 'FNR == 1 { pass++ }
     pass == 1 && /copy_page_range:/ { w = 1 }
     pass == 1 && /copy_page_range_ret:/ { w = 0 }
     pass == 1 && w && /vm_normal_page_ret:/ { p2 = p1; n2 = n1; p1 = $0; n1 = FNR; next }
     pass == 1 && w && /rmap_add_new_anon:/ && !a && n2 &&
	substr(p1, index(p1, "page=")) == substr(p2, index(p2, "page=")) {
		a = n2; c = FNR; late = p2 }
     pass == 1 { next }
     FNR == a { next }
     { print }
     FNR == c {
	for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { ts = $i; break }
	split(late, w2, " ")
	for (i = 1; i in w2; i++) if (w2[i] ~ /^[0-9]+\.[0-9]+:$/) { sub(w2[i], ts, late); break }
	print late
     }' "$T_TMP/fp.txt" "$T_TMP/fp.txt" > "$T_TMP/fp-late.txt"
if ! diff -q "$T_TMP/fp.txt" "$T_TMP/fp-late.txt" > /dev/null &&
   [ "$(wc -l < "$T_TMP/fp.txt")" = "$(wc -l < "$T_TMP/fp-late.txt")" ]; then
	"$PS" check "$T_TMP/fp-late.txt" > "$T_TMP/fp-late.check" 2> /dev/null; rc=$?
	anom=$("$PS" replay "$T_TMP/fp-late.txt" 2> /dev/null | sed -n 's/^engine anomalies: //p')
	t_check "a fork copy whose first vm_normal_page return sorts late: 0 anomalies, no break" \
		test "$rc" = 0 -a "$anom" = 0
else
	t_fail "a fork copy whose first vm_normal_page return sorts late" \
		"no fork copy of a pinned page in $f"
fi
