# The page cache on this machine's kernel (issue 11, part 1): a recording
# of tests/workloads/page-cache on the test's own directory (a disk
# filesystem here) carries filemap's insertion and deletion events, and
# only those two; each page the workload mapped shows, in its replay
# --pfn timeline, the cache_add that read it in and the cache_del that
# posix_fadvise(DONTNEED) evicted it with, then its free; holders of the
# page while it is cached names the page cache, exact, with the file
# (the refcount is unknown here: no page_ref).
source "$(dirname "$0")/../lib.sh"

why=$(t_no_tracing)
[ -n "$why" ] || [ -d /sys/kernel/tracing/events/filemap/mm_filemap_add_to_page_cache ] ||
	why="this kernel has no filemap:mm_filemap_add_to_page_cache"
if [ -n "$why" ]; then
	for c in "record page-cache" "filemap events" "timelines" "holders"; do
		t_skip "host page cache: $c" "$why"
	done
	exit 0
fi

f="$T_TMP/pc.dat"
(cd "$T_TMP" && "$PS" record -q -o "$f" -- "$WORKLOADS/page-cache" "$T_TMP") \
	> "$T_TMP/w" 2> "$T_TMP/rec.err"
rc=$?
if [ "$rc" = 0 ] && [ -s "$f" ] && grep -q "^workload: done" "$T_TMP/w"; then
	t_ok "host page cache: record page-cache on $(stat -f -c %T "$T_TMP")"
else
	t_fail "host page cache: record page-cache" "exit $rc: $(tail -3 "$T_TMP/rec.err" "$T_TMP/w")"
	exit 0
fi

trace-cmd report "$f" 2>/dev/null > "$T_TMP/report"
t_check "host page cache: the two filemap events are enabled, no other filemap event" \
	test "$(grep -c 'pagestate: event filemap:' "$T_TMP/report")" = 2 -a \
	"$(grep -c 'pagestate: event filemap:mm_filemap_\(add_to\|delete_from\)_page_cache$' "$T_TMP/report")" = 2

pfns=$(sed -n 's/^workload: pcache-mapped-0 .*pfn=\(0x[0-9a-f]*\).*/\1/p' "$T_TMP/w")
n=0 good=0
for p in $pfns; do
	n=$((n + 1))
	"$PS" replay "$f" --pfn "$p" > "$T_TMP/$p.tl" 2>&1
	# the page the fault read in: added, mapped (snapshotless here),
	# evicted by the second DONTNEED, freed
	awk '$4 == "cache_add" { a = 1 } a && $4 == "cache_del" { d = 1 }
	     d && $4 == "free" { ok = 1 } END { exit !ok }' "$T_TMP/$p.tl" &&
		good=$((good + 1))
done
head -20 "$T_TMP/$(echo $pfns | cut -d' ' -f1).tl" | grep 'cache_\|free\|alloc' | head -6
t_check "host page cache: each of the $n mapped pages: cache_add, cache_del, free in its timeline ($good/$n)" \
	test "$n" -gt 0 -a "$good" = "$n"

p=$(echo $pfns | cut -d' ' -f1)
ino=$(printf '0x%x' "$(sed -n 's/^workload: pcache-file-0 .*ino=\([0-9]*\).*/\1/p' "$T_TMP/w")")
at=$(awk '$4 == "cache_add" { t = $1 } $4 == "cache_del" && t { print t; exit }' "$T_TMP/$p.tl")
"$PS" holders "$f" --pfn "$p" --at "$at" > "$T_TMP/h" 2>&1
cat "$T_TMP/h"
t_check "host page cache: holders at the add ($at): refcount unknown >= 1 page cache, exact, the workload's file ($ino)" \
	grep -q "refcount unknown >= 1 page cache (page-cache-[0-9]* cache_add at $at pfn $p dev [0-9]*:[0-9]* ino $ino index [0-3]) \[exact\]" "$T_TMP/h"
