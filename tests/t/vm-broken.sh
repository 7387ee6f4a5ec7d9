# Issue 5's acceptance: rules 1 and 2 catch real breaks.  Each rule's
# positive case comes from a deliberately broken variant of the custom
# 6.1 kernel (tests/vm/patches/NAME.patch, built and cached by
# tests/vm/build-kernel --variant NAME) running a workload that shows the
# user-visible damage itself: a pinned buffer that no longer sees the
# process's writes.  The same workloads on the clean custom kernel must
# print ok and pass `check`.
#
#   collapse-broken: khugepaged skips is_refcount_suitable(); workload
#     collapse-broken (MADV_COLLAPSE over an io_uring-pinned page)
#     -> collapse-pinned BREAK on the pinned pfn
#   fork-broken: fork shares a pinned page (no page_needs_cow_for_dma());
#     workload fork-pin -> anon-exclusive-pinned BREAK on the pinned pfn
#   fork-pmd-broken: the same rule's second path: copy_huge_pmd() shares
#     a pinned PMD-mapped THP (clears its PG_anon_exclusive before
#     page_try_dup_anon_rmap() looks), the PTE path is intact; workload
#     fork-pin -> the small page's pin stays coherent, the THP's is
#     BROKEN, the child maps the pinned THP by its PMD, and
#     anon-exclusive-pinned BREAKs on the THP's folio naming the parent's
#     task, the child's task and mm
#   collapse-file (stock 6.1, 6.12): collapse-pinned's shmem/file path, its
#     clean half (the custom kernel holds no shmem THP, see the block):
#     MADV_COLLAPSE refuses a memfd with a pinned page -> info on the
#     pinned pfn, why names the pin; an unpinned memfd collapses -> the
#     rule judges collapse_file()'s old pages and finds nothing
#   collapse-file-broken (custom + CONFIG_BASE_FULL): that path broken,
#     no reference check in the file scan nor collapse_file()'s freeze;
#     workload collapse-file -> the memfd's pinned page replaced by a
#     THP page, collapse-file-coherent BROKEN, collapse-pinned BREAK on
#     the pinned pfn naming the collapsing task; unpinned, no break
#   migrate-child-left: remove_migration_ptes() skips every mm but the
#     migrating task's; workload migrate-child-left (move_pages of pages
#     shared with a forked child, --numa) -> the child's move_pages()
#     says -ENOENT, migration-entry-left BREAK on each moved pfn naming
#     the child's mm and task
#   migrate-pmd-left: remove_migration_pte() skips remove_migration_pmd();
#     workload migrate-pmd-left (move_pages of a PMD-mapped THP and a
#     small page, --numa) -> the holder's move_pages() says -EFAULT for
#     the THP, node 1 for the small page; migration-entry-left BREAK on
#     the THP's head pfn naming the holder's mm and task, none on the
#     small page
#   doublemap-stale: the last PMD unmap of a double-mapped THP clears
#     PageDoubleMap but keeps its +1 in every subpage's _mapcount;
#     workload doublemap-stale (fork shares a THP's PMD, the parent
#     splits its own, the child exits) -> kpagecount 2 where 1 is
#     mapped, double-map BREAK on each of the THP's 512 pfns naming the
#     parent's task
#   doublemap-unset: a PMD split of a THP another PMD maps never sets
#     PageDoubleMap; the same workload -> AnonPages drops by the THP at
#     the child's exit, double-map BREAK on the head naming the child
#   hz-split-as-thp: __split_huge_pmd_locked() splits a huge zero PMD as
#     an anon THP's; workload huge-zero-rmap (mprotect() of one page of
#     a read-faulted range) -> pagemap still shows the huge zero pfns,
#     kpagecount 1 on each, hz-split BROKEN; huge-zero-split BREAK on
#     the huge zero page (512 page_remove_rmap() at the munmap) naming
#     the mm and task
#   hz-fork-dup: copy_huge_pmd() copies a huge zero PMD as an anon
#     THP's; the same workload (fork with the PMD mapped) -> KPF_MMAP on
#     the huge zero page and the child's RssAnon up by 2 MiB, hz-fork
#     BROKEN; huge-zero-split BREAK on the huge zero page (fork's rmap
#     dup) naming the mm and the forking task
#
# The clean boot records with --stack-on=holders (record/stacks.c) and
# also records collapse-pinned so: its get and pin are named with their
# stacks; and page-cache (ramfs and tmpfs, no stacks): the page cache's
# references in the ledger; the broken boots record with --stack, and the two
# collapse-broken files say what stacks on every event cost.
#
# A variant not yet cached is built here, in the clean kernel's tree
# (~0.5-1.5 min each with -j2: tests/vm/build-kernel).
source "$(dirname "$0")/../lib.sh"

VM="$TOP/tests/vm/run"
# variant  workload  rule  coherence line
cases="collapse-broken:collapse-broken:collapse-pinned:collapse-pin-coherent
fork-broken:fork-pin:anon-exclusive-pinned:pin-coherent"

why=
command -v qemu-system-x86_64 >/dev/null || why="qemu-system-x86_64 not installed"
[ -n "$why" ] || command -v busybox >/dev/null || why="busybox-static not installed"
[ -n "$why" ] || [ -x "$PS" ] || why="pagestate not built (make)"
for w in collapse-broken fork-pin collapse-pinned migrate-child-left migrate-pmd-left page-cache doublemap-stale huge-zero-rmap collapse-file; do
	[ -n "$why" ] || [ -x "$WORKLOADS/$w" ] || why="workloads not built (make)"
done
if [ -n "$why" ]; then
	t_skip "vm-broken: clean custom kernel" "$why"
	for c in $cases migrate-child-left migrate-pmd-left doublemap-stale doublemap-unset hz-split-as-thp hz-fork-dup fork-pmd-broken collapse-file-broken; do
		t_skip "vm-broken: custom-${c%%:*}" "$why"
	done
	t_skip "vm-broken: stock-6.1 collapse-file" "$why"
	t_skip "vm-broken: stock-6.12 collapse-file" "$why"
	exit 0
fi

# record OUT KERNEL WORKLOAD...: one boot records every workload into
# OUT/<w>.dat, its stdout into OUT/<w>.out.
record() {
	local out=$1 kernel=$2 script
	shift 2
	script='for w in '"$*"'; do
	/pagestate record -q '"${REC_OPTS:-}"' -o /out/$w.dat -- /w/$w > /out/$w.out 2> /out/$w.err ||
		echo "record $w failed: $?"
done
'"${EXTRA:-}"'
dmesg > /out/dmesg.txt'
	if ! "$VM" --kernel "$kernel" --numa --timeout 240 --out "$out" -- sh -c "$script" \
		> "$out.log" 2>&1; then
		t_fail "vm-broken: $kernel: boot and record" "$(t_vm_why "$out.log")"
		return 1
	fi
	if grep -q "failed" "$out.log"; then
		t_fail "vm-broken: $kernel: record $*" "$(grep failed "$out.log")"
		return 1
	fi
	return 0
}

pfn_of() { sed -n "s/^workload: $2 .*pfn=\(0x[0-9a-f]*\).*/\1/p" "$1" | head -1; }

# Each pfn of the shared pages, from the parent's lines before the move.
mcl_pfns() { sed -n 's/^workload: mcl-parent-before .*pfn=\(0x[0-9a-f]*\).*/\1/p' "$1"; }

# The first shared page's migration entries in OUT/m.dat: "SETS SET_MMS
# REMOVES REMOVE_MMS" (distinct mms), sets from the old pfn's timeline,
# removes from the new one's (OUT/m.out's parent lines).
mcl_counts() {
	local old new
	old=$(mcl_pfns "$2" | head -1)
	new=$(sed -n 's/^workload: mcl-parent-after .*pfn=\(0x[0-9a-f]*\).*/\1/p' "$2" | head -1)
	"$PS" replay "$1" --pfn "$old" > "$1.old" 2>&1
	"$PS" replay "$1" --pfn "$new" > "$1.new" 2>&1
	echo "$(grep -c ' migrate-child-l[^ ]*  *migration_set ' "$1.old")" \
		"$(sed -n 's/.* migrate-child-l[^ ]*  *migration_set .* mm=\(0x[0-9a-f]*\).*/\1/p' "$1.old" | sort -u | wc -l)" \
		"$(grep -c ' migrate-child-l[^ ]*  *migration_remove ' "$1.new")" \
		"$(sed -n 's/.* migrate-child-l[^ ]*  *migration_remove .* mm=\(0x[0-9a-f]*\).*/\1/p' "$1.new" | sort -u | wc -l)"
}

# The clean kernel's migrate-child-left: the child sees its pages on
# node 1, one entry set and removed in each of the two mms, no break.
mcl_clean() {
	local out=$1 f=$1/migrate-child-left pfn n
	echo "custom migrate-child-left: $(grep '^workload: migrate-child-left\|move_pages' "$f.out" | tr '\n' ' ')"
	t_check "vm-broken: custom migrate-child-left: the child sees its pages on node 1, ok" \
		sh -c "grep -q '^workload: migrate-child-left ok wrong=0' '$f.out' &&
			[ \$(grep -c '^workload: mcl-child .* node=1\$' '$f.out') = 4 ]"
	n=$(mcl_counts "$f.dat" "$f.out")
	echo "custom migrate-child-left: first page: sets, their mms, removes, their mms = $n"
	t_check "vm-broken: custom migrate-child-left: the entry set and removed in both mms (2 2 2 2)" \
		test "$n" = "2 2 2 2"
	"$PS" check "$f.dat" > "$f.check" 2>&1
	t_check "vm-broken: custom migrate-child-left: check exits 0" \
		test $? = 0
}

# migrate-pmd-left's pfn of PAGE (thp, small) on LABEL's line of OUT.
mpl_pfn() { sed -n "s/^workload: $2 .*pfn=\(0x[0-9a-f]*\) .* page=$3\$/\1/p" "$1" | head -1; }

# The migration entries of the holder (comm migrate-pmd-lef) in DAT,
# each with its mm: "PMD_SETS PMD_REMOVES PTE_SETS PTE_REMOVES MMS"
# (order 9, order 0; MMS: the distinct mms of them all).
mpl_counts() {
	local o op
	"$PS" replay "$1" --comm migrate-pmd-lef > "$1.tl" 2>&1
	for o in 9 0; do
		for op in migration_set migration_remove; do
			printf '%s ' "$(grep -c " $op  *pfn=0x[0-9a-f]* order=$o .* mm=0x" "$1.tl")"
		done
	done
	sed -n 's/.* migration_\(set\|remove\)  *pfn=.* mm=\(0x[0-9a-f]*\).*/\2/p' "$1.tl" | sort -u | wc -l
}

# The clean kernel's migrate-pmd-left: the THP moved whole (still a THP,
# on node 1), its PMD migration entry set in the holder's mm and removed
# there on the new THP, no break.
mpl_clean() {
	local f=$1/migrate-pmd-left old new n
	echo "custom migrate-pmd-left: $(grep '^workload: migrate-pmd-left\|move_pages\|mpl-.* page=thp$' "$f.out" | tr '\n' ' ')"
	old=$(mpl_pfn "$f.out" mpl-before thp)
	new=$(mpl_pfn "$f.out" mpl-after-ok thp)
	t_check "vm-broken: custom migrate-pmd-left: the THP $old moved whole to node 1 ($new), ok" \
		sh -c "grep -q '^workload: migrate-pmd-left ok wrong=0 thp node=1,1 small node=1\$' '$f.out' &&
			grep -q '^workload: mpl-before .* thp=1 node=0 page=thp\$' '$f.out' &&
			grep -q '^workload: mpl-after-ok .* thp=1 node=1 page=thp\$' '$f.out' &&
			[ -n '$old' ] && [ -n '$new' ] && [ '$old' != '$new' ]"
	n=$(mpl_counts "$f.dat")
	echo "custom migrate-pmd-left: PMD sets, removes, PTE sets, removes, their mms = $n"
	t_check "vm-broken: custom migrate-pmd-left: the THP's PMD entry and the small page's PTE entry set and removed, in the holder's mm (1 1 1 1 1)" \
		test "$n" = "1 1 1 1 1"
	"$PS" check "$f.dat" > "$f.check" 2>&1
	t_check "vm-broken: custom migrate-pmd-left: check exits 0" \
		test $? = 0
}

# The clean kernel's doublemap-stale: the bias goes with the child's PMD,
# every subpage counts its one PTE, and no rule breaks.
dms_clean() {
	local f=$1/doublemap-stale rc
	echo "custom doublemap-stale: $(grep '^workload: \(doublemap-stale\|dms-.*kpagecount\)' "$f.out" | tr '\n' ' ')"
	t_check "vm-broken: custom doublemap-stale: kpagecount 2 while PMD- and PTE-mapped, 1 after the PMD went, AnonPages kept: ok" \
		sh -c "grep -q '^workload: dms-split pid=[0-9]* kpagecount=2\.\.2\$' '$f.out' &&
			grep -q '^workload: dms-after pid=[0-9]* kpagecount=1\.\.1\$' '$f.out' &&
			grep -q '^workload: doublemap-stale ok pfn=0x' '$f.out' &&
			grep -q '^workload: doublemap-anon ok delta_kb=' '$f.out'"
	"$PS" check "$f.dat" > "$f.check" 2>&1; rc=$?
	t_check "vm-broken: custom doublemap-stale: check exits 0 (no double-map break)" \
		sh -c "[ $rc = 0 ] && grep -q '^double-map  *0 breaks, 0 info, 0 uncertain' '$f.check'"
}

# The reference ledger adds up at every event of every folio of OUT/W.dat;
# its attribution shares go to the output.
ledger_adds_up() {
	local out=$1 w=$2 k=$3
	"$PS" holders --check-sum "$out/$w.dat" > "$out/$w.sum" 2>&1
	sed -n 's/^  \(exact\|by pair\|by task\|unexplained\|over-attributed\) */\1 /p' \
		"$out/$w.sum" | tr '\n' ' ' | sed "s/^/# $k $w: /; s/\$/\n/"
	t_check "vm-broken: $k $w: the reference ledger adds up at every event" \
		grep -q "^  adds up:        yes (0 states off)" "$out/$w.sum"
}

# --stack-on=holders (clean boot): the get and the pin that made
# MADV_COLLAPSE refuse collapse-pinned's pages are named with the stacks
# of vmsplice and io_uring_register; the allocation's get, whose event
# carries no stack, says so; no instance is left.
stack_on_checks() {
	local out=$1 f=$1/so-holders.dat ref pin
	t_check "vm-broken: custom: --stack-on=holders armed page_ref gets and GUP pins" \
		test "$(trace-cmd report "$f" 2>/dev/null | grep -c 'pagestate: stack-on \(page_ref:page_ref_mod if=gets\|pagestate:gup_grab_page if=all\)$')" = 2
	t_check "vm-broken: custom: --stack-on=holders left no instance" \
		test ! -s "$out/instances.txt"
	# The recorder's own gets (its output file's page cache) are
	# recorded, without a stack: the triggers leave its threads out.
	trace-cmd report "$f" > "$out/so.txt" 2>/dev/null
	ours=$(sed -n 's/.*pagestate: recorder pids=//p' "$out/so.txt")
	awk -v ours="$ours" '
		BEGIN { n = split(ours, p, ","); for (i = 1; i <= n; i++) rec["-" p[i]] = 1 }
		{ task = $1; sub(/^.*-/, "-", task) }
		/ mm_page_alloc: / { a = $0; sub(/.*pfn=/, "", a); sub(/ .*/, "", a); born[a] = 1 }
		# holders itemizes a get of a page born in the recording
		(task in rec) && / page_ref_mod: .* val=[1-9]/ {
			gets++; g = $0; sub(/.*pfn=/, "", g); sub(/ .*/, "", g)
			if (pfn == "" && (g in born)) { pfn = g; at = $3; sub(/:$/, "", at) } }
		(task in rec) && / kernel_stack: / { stacks++ }
		/pagestate: stacks mode=some .* skip=recorder$/ { skip = 1 }
		END { print gets + 0, stacks + 0, skip + 0, pfn, at }' \
		"$out/so.txt" > "$out/so.ours"
	t_check "vm-broken: custom: --stack-on=holders: the recorder's own gets recorded, none with a stack, skip=recorder ($(cat "$out/so.ours"))" \
		awk '$1 > 0 && $2 == 0 && $3 == 1 { ok = 1 } END { exit !ok }' "$out/so.ours"
	read -r _ _ _ pfn at < "$out/so.ours"
	"$PS" holders "$f" --pfn "${pfn:-none}" --at "${at:-0}" > "$out/so.own" 2>&1
	t_check "vm-broken: custom: --stack-on=holders: holders says the recorder's get ($pfn at $at) has no stack by design" \
		grep -q "^ *stack: not recorded (the recorder's own; --stack-on leaves it out)" "$out/so.own"
	"$PS" why "$f" > "$out/so.why" 2>&1
	ref=$(sed -n "s/^workload: collapse-ref-before .*pfn=\(0x[0-9a-f]*\).*/\1/p" \
		"$out/collapse-pinned.out" | tail -1)
	pin=$(sed -n 's/^workload: collapse-pin-before .*pfn=\(0x[0-9a-f]*\).*/\1/p' \
		"$out/collapse-pinned.out" | tail -1)
	sed -n "/refused pfn $ref:/,/unexplained/p" "$out/so.why"
	t_check "vm-broken: custom: --stack-on=holders: why names the vmsplice get of $ref with its stack" \
		sh -c "sed -n '/refused pfn $ref:/,/unexplained/p' '$out/so.why' |
			grep -A1 '+ 1 get (collapse-pinned-[0-9]* ref at ' | grep -q '^ *stack: .*__do_sys_vmsplice'"
	t_check "vm-broken: custom: --stack-on=holders: ...and the io_uring pin of $pin with its stack (from try_grab_page, no kprobe frames)" \
		sh -c "sed -n '/refused pfn $pin:/,/unexplained/p' '$out/so.why' |
			grep -A1 '+ 1024 pin (FOLL_PIN|FOLL_LONGTERM collapse-pinned-' |
			grep -q '^ *stack: try_grab_page+0x[0-9a-f]* < follow_page_pte.*io_uring_register'"
	# --at the get itself: its stack comes after it, holders waits for it
	at=$(sed -n "/refused pfn $ref:/,/unexplained/p" "$out/so.why" |
		sed -n 's/.*+ 1 get (collapse-pinned-[0-9]* ref at \([0-9.]*\) .*/\1/p' | head -1)
	"$PS" holders "$f" --pfn "$ref" --at "$at" > "$out/so.get" 2>&1
	t_check "vm-broken: custom: --stack-on=holders: holders --at the get ($at) shows its stack" \
		sh -c "grep -A1 '+ 1 get (collapse-pinned-[0-9]* ref at $at ' '$out/so.get' |
			grep -q '^ *stack: .*__do_sys_vmsplice'"
	at=$("$PS" replay "$f" --pfn "$ref" | awk '$4 == "alloc" { print $1; exit }')
	"$PS" holders "$f" --pfn "$ref" --at "$at" > "$out/so.alloc" 2>&1
	t_check "vm-broken: custom: --stack-on=holders: the allocation's get says its event had no stack" \
		grep -q "^ *stack: not recorded (kmem:mm_page_alloc not in --stack-on)" "$out/so.alloc"
}

# The page cache (issue 11, part 1): page-cache's ramfs file page is held
# by its mapping and the page cache (the add event's get, exact); the
# truncation's delete makes that a put pending which filemap_free_folio's
# put matches; nothing unexplained at those points; tmpfs (shmem) has
# no add event, its delete's release comes from the gets.
page_cache_checks() {
	local out=$1 f=$1/page-cache.dat pc tp map add del put lru n more
	pc=$(pfn_of "$out/page-cache.out" pcache-mapped-0)
	"$PS" replay "$f" --pfn "$pc" > "$out/pc.tl" 2>&1
	map=$(awk '$4 == "rmap_add" { print $1; exit }' "$out/pc.tl")
	add=$(awk -v m="$map" '$4 == "cache_add" && $1 < m { t = $1 } END { print t }' "$out/pc.tl")
	del=$(awk -v m="$map" '$4 == "cache_del" && $1 > m { print $1; exit }' "$out/pc.tl")
	put=$(awk -v d="$del" '$1 > d && $4 == "ref" && $6 == "val=-1" { print $1; exit }' "$out/pc.tl")
	"$PS" holders "$f" --pfn "$pc" --at "$map" --no-stacks > "$out/pc.map" 2>&1
	cat "$out/pc.map"
	# folio_add_lru()'s reference stays until the per-CPU LRU batch is
	# drained (mm_lru_insertion: the flags op setting lru, then its
	# put); usually before the fault maps the page, but not always:
	# then the page holds one get more at the rmap_add
	lru=$(awk -v a="$add" '$1 > a && $4 == "flags" && / flags=[a-z|]*lru/ { print $1; exit }' "$out/pc.tl")
	n=2 more=
	if [ -n "$lru" ] && awk -v l="$lru" -v m="$map" 'BEGIN { exit !(l > m) }'; then
		n=3 more='\|+ 1 get (page-cache-[0-9]* '
	fi
	t_check "vm-broken: custom page-cache: ramfs page $pc mapped: refcount $n = mapping + page cache (exact, add at $add)${more:+ + the get of the LRU batch, drained at $lru}, 0 unexplained" \
		test "$(grep -c "refcount $n = 1 mapping (page-cache-[0-9]* rmap_add at $map pfn $pc) \[exact\]\|+ 1 page cache (page-cache-[0-9]* cache_add at $add pfn $pc dev 0:[0-9]* ino 0x[0-9a-f]* index [0-3]) \[exact\]\|+ 0 unexplained$more" "$out/pc.map")" = $((n + 1))
	"$PS" holders "$f" --pfn "$pc" --at "$del" --no-stacks > "$out/pc.del" 2>&1
	t_check "vm-broken: custom page-cache: truncated ($del): removed from the page cache, put pending, 0 unexplained" \
		sh -c "grep -q '1 removed from the page cache, put pending (page-cache-[0-9]* cache_del at $del pfn $pc ' '$out/pc.del' &&
			grep -q '+ 0 unexplained' '$out/pc.del'"
	"$PS" holders "$f" --pfn "$pc" --at "$put" --no-stacks > "$out/pc.put" 2>&1
	t_check "vm-broken: custom page-cache: filemap_free_folio's put ($put) matched it, 0 unexplained" \
		sh -c "! grep -q 'page cache' '$out/pc.put' && grep -q ' 0 unexplained' '$out/pc.put'"
	tp=$(pfn_of "$out/page-cache.out" pcache-mapped-1)
	"$PS" replay "$f" --pfn "$tp" > "$out/tp.tl" 2>&1
	t_check "vm-broken: custom page-cache: tmpfs page $tp: a delete, no add event (shmem)" \
		sh -c "grep -q ' cache_del ' '$out/tp.tl' && ! grep -q ' cache_add ' '$out/tp.tl'"
	ledger_adds_up "$out" page-cache custom
}

# The clean kernel: the same workloads print ok and check finds nothing.
# They are recorded with --stack-on=holders (stacks after page_ref gets
# and GUP pins only), and so is collapse-pinned, whose refused pages are
# held by a pin and by a get: both are named with their stacks.  Every
# boot has two NUMA nodes (--numa) for migrate-child-left and
# migrate-pmd-left.
out="$T_TMP/clean"
so_script='/pagestate record -q --stack-on=holders -o /out/so-holders.dat -- /w/collapse-pinned \
	> /out/collapse-pinned.out 2> /out/so-holders.err || echo "record so-holders failed: $?"
mkdir -p /mnt/ramfs && mount -t ramfs ramfs /mnt/ramfs &&
/pagestate record -q -o /out/page-cache.dat -- /w/page-cache /mnt/ramfs /tmp \
	> /out/page-cache.out 2> /out/page-cache.err || echo "record page-cache failed: $?"
ls /sys/kernel/tracing/instances/ > /out/instances.txt'
if REC_OPTS=--stack-on=holders EXTRA=$so_script \
	record "$out" custom collapse-broken fork-pin migrate-child-left migrate-pmd-left doublemap-stale; then
	mcl_clean "$out"
	mpl_clean "$out"
	dms_clean "$out"
	for c in $cases; do
		IFS=: read -r v w rule line <<< "$c"
		echo "custom $w: $(grep "^workload: $line " "$out/$w.out" | tr '\n' ' ')"
		if grep -q "^workload: $line ok" "$out/$w.out" &&
		   ! grep -q "^workload: $line BROKEN" "$out/$w.out"; then
			t_ok "vm-broken: custom $w: $line ok"
		else
			t_fail "vm-broken: custom $w: $line" "$(grep "$line\|failed" "$out/$w.out")"
		fi
		"$PS" check "$out/$w.dat" > "$out/$w.check" 2>&1; rc=$?
		if [ "$rc" = 0 ]; then
			t_ok "vm-broken: custom $w: check exits 0"
		else
			t_fail "vm-broken: custom $w: check" "exit $rc: $(grep -m3 BREAK "$out/$w.check")"
		fi
	done
	# fork-pmd-broken's clean side: copy_huge_pmd() refused to share
	# the pinned THP, the child got copies of its pages by PTE
	pfn=$(pfn_of "$out/fork-pin.out" pin-thp-pinned)
	cpfn=$(pfn_of "$out/fork-pin.out" pin-thp-forked)
	echo "custom fork-pin: $(grep '^workload: pin-thp-\(pinned\|forked\)' "$out/fork-pin.out" | tr '\n' ' ')"
	t_check "vm-broken: custom fork-pin: the child maps copies of pinned THP $pfn by PTE ($cpfn, no AnonHugePages)" \
		sh -c "[ -n '$pfn' ] && [ -n '$cpfn' ] && [ '$cpfn' != '$pfn' ] &&
			grep -q '^workload: pin-thp-forked pid=[0-9]* anon_huge_kb=0\$' '$out/fork-pin.out'"
	t_check "vm-broken: custom: MADV_COLLAPSE of the pinned range refused (EAGAIN)" \
		grep -q "^workload: madv_collapse pin ret=-1 errno=11" "$out/collapse-broken.out"
	for w in collapse-broken fork-pin; do
		ledger_adds_up "$out" "$w" custom
	done
	# why: the refusal, with the io_uring pin as the holder
	pfn=$(pfn_of "$out/collapse-broken.out" pin-before)
	"$PS" why "$out/collapse-broken.dat" > "$out/why" 2>&1
	sed -n "/refused pfn $pfn:/,/unexplained/p" "$out/why"
	t_check "vm-broken: custom: why names $pfn's FOLL_LONGTERM pin as its holder" \
		sh -c "sed -n '/refused pfn $pfn: not_suitable_page_count/,/unexplained/p' '$out/why' |
			grep -q '+ 1024 pin (FOLL_PIN|FOLL_LONGTERM collapse-broken-[0-9]* pin at '"
	t_check "vm-broken: custom: ...and madvise_collapse's EAGAIN" \
		grep -q "madvise_collapse: returned -11 (EAGAIN)" "$out/why"
	stack_on_checks "$out"
	page_cache_checks "$out"
fi

# check --rules RULE on OUT/W.dat exits 1 with a BREAK of RULE on PFN.
check_breaks() {
	local out=$1 w=$2 rule=$3 pfn=$4 k=$5 rc
	"$PS" check --rules "$rule" "$out/$w.dat" > "$out/$w.check" 2>&1; rc=$?
	grep "^BREAK" "$out/$w.check" | head -3
	if [ "$rc" = 1 ] && [ -n "$pfn" ] &&
	   grep -q "^BREAK  *$rule .* pfn $pfn " "$out/$w.check"; then
		t_ok "vm-broken: $k $w: check --rules $rule exits 1, BREAK on pinned pfn $pfn"
	else
		t_fail "vm-broken: $k $w: check --rules $rule" \
			"exit $rc, pinned pfn ${pfn:-?}: $(grep -m3 "BREAK\|uncertain\|not checked" "$out/$w.check")"
	fi
}

# Each broken kernel: the workload sees the damage, the rule names the pfn.
for c in $cases; do
	IFS=: read -r v w rule line <<< "$c"
	k=custom-$v
	out="$T_TMP/$v"
	# with kernel stacks: the report of a real break carries them
	REC_OPTS=--stack record "$out" "$k" "$w" || continue
	echo "$k $w: $(grep "^workload: $line \|madv_collapse" "$out/$w.out" | tr '\n' ' ')"
	if grep -q "^workload: $line BROKEN" "$out/$w.out"; then
		t_ok "vm-broken: $k $w: $line BROKEN (the pinned buffer lost the process's writes)"
	else
		t_fail "vm-broken: $k $w: $line BROKEN" "$(grep "$line\|failed" "$out/$w.out")"
	fi
	case $v in
	collapse-broken)
		pfn=$(pfn_of "$out/$w.out" pin-before)
		now=$(pfn_of "$out/$w.out" pin-after)
		if grep -q "^workload: madv_collapse pin ret=0 " "$out/$w.out" &&
		   [ -n "$pfn" ] && [ "$now" != "$pfn" ]; then
			t_ok "vm-broken: $k: MADV_COLLAPSE went ahead, pinned $pfn replaced by $now"
		else
			t_fail "vm-broken: $k: MADV_COLLAPSE over a pin" "$(grep 'madv_collapse\|pin-' "$out/$w.out")"
		fi
		;;
	fork-broken)
		# The recording holds the break whatever the rule says: fork
		# shared the page while it was pinned (the clean kernel copies
		# it: vm-record.sh asserts no fork_dup there).
		pfn=$(pfn_of "$out/$w.out" pin-small-pinned)
		"$PS" replay "$out/$w.dat" --pfn "$pfn" > "$out/pin.tl" 2>&1
		dups=$(awk '/ pin  / { on = 1 } / unpin  / { on = 0 } on && /fork_dup/' "$out/pin.tl" | wc -l)
		if [ -n "$pfn" ] && [ "$dups" -gt 0 ]; then
			t_ok "vm-broken: $k: fork shared the pinned page $pfn ($dups fork_dup while pinned)"
		else
			t_fail "vm-broken: $k: fork of a pinned page" "pfn=${pfn:-?} dups=$dups"
		fi
		# 6.1's own DEBUG_VM check at unpin (warns, see the patch)
		t_check "vm-broken: $k: the kernel's sanity_check_pinned_pages() saw it too" \
			grep -q "VM_WARN_ON_ONCE_PAGE(!PageAnonExclusive" "$out/dmesg.txt"
		;;
	esac
	check_breaks "$out" "$w" "$rule" "$pfn" "$k"
	ledger_adds_up "$out" "$w" "$k"

	# who held the page at the break: the workload's pin, with the
	# stack of the syscall that took it (recorded with --stack)
	at=$(awk -v p="$pfn" '$1 == "BREAK" && $6 == p { print $7; exit }' "$out/$w.check")
	"$PS" holders "$out/$w.dat" --pfn "$pfn" --at "$at" > "$out/holders" 2>&1
	cat "$out/holders"
	t_check "vm-broken: $k: holders at the break ($at) name $w's FOLL_PIN pin" \
		grep -q "pin (FOLL_PIN.* $w-[0-9]* pin at .*) \[exact\]" "$out/holders"
	t_check "vm-broken: $k: ...with the pinning syscall in its stack" \
		sh -c "grep -A1 'pin (FOLL_PIN.* $w-[0-9]* pin at ' '$out/holders' |
			grep -q '^ *stack: .*\(io_uring_register\|sys_\)'"

	# the report a bug thread gets: schema-valid JSON, 80-column text
	# with the kernel, the rule, the timeline and the stack of the break
	"$PS" report --json --rules "$rule" "$out/$w.dat" > "$out/r.json"
	if /usr/bin/python3 - "$TOP/doc/report.schema.json" "$out/r.json" "$rule" <<'PYEOF2'
import json, sys, jsonschema
s = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator(s).validate(r)
f = [x for x in r["findings"] if x["severity"] == "BREAK" and x["rule"] == sys.argv[3]]
assert f and f[0]["stack"] and len(f[0]["window"]) > 1, "no break with stack"
pins = [h for h in f[0]["holders"]["rows"] if h["kind"] == "pin"]
assert pins and pins[0]["stack"] and "FOLL_PIN" in pins[0]["foll"], "no pin holder with stack"
PYEOF2
	then
		t_ok "vm-broken: $k: report --json valid, the break carries its stack, timeline and the pin holder"
	else
		t_fail "vm-broken: $k: report --json" "see $out/r.json"
	fi
	"$PS" report --text --rules "$rule" "$out/$w.dat" > "$out/r.txt"
	if grep -q "^kernel:   6.1.192" "$out/r.txt" && grep -q "^    stack:" "$out/r.txt" &&
	   grep -q "^    timeline of the folio" "$out/r.txt" &&
	   [ "$(awk 'length($0) > 80' "$out/r.txt" | wc -l)" = 0 ]; then
		t_ok "vm-broken: $k: report --text: kernel, rule, timeline, stack, <= 80 columns"
	else
		t_fail "vm-broken: $k: report --text" "$(head -20 "$out/r.txt")"
	fi
done

# The cost of stacks: collapse-broken with --stack-on=holders (clean
# boot) against --stack (the collapse-broken boot): size, records, stacks
# and guest seconds from the begin to the end marker.
cost() {
	local f=$1
	"$PS" replay "$f" > "$f.sum" 2>&1
	trace-cmd report "$f" 2>/dev/null | awk '/pagestate: (begin|end$)/ {
		for (i = 1; i < NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) t[n++] = $i + 0 }
		END { if (n == 2) printf "%.2f\n", t[1] - t[0] }' > "$f.secs"
	echo "size=$(stat -c %s "$f") records=$(awk '/^records:/ { print $2 }' "$f.sum")" \
	     "stacks=$(awk '$1 == "kernel_stack" { print $2 }' "$f.sum")" \
	     "secs=$(cat "$f.secs")"
}
so=$T_TMP/clean/collapse-broken.dat all=$T_TMP/collapse-broken/collapse-broken.dat
if [ -s "$so" ] && [ -s "$all" ]; then
	echo "# collapse-broken --stack-on=holders: $(cost "$so")"
	echo "# collapse-broken --stack:            $(cost "$all")"
	t_check "vm-broken: collapse-broken --stack-on=holders is under half the size of --stack" \
		test $(( $(stat -c %s "$so") * 2 )) -lt "$(stat -c %s "$all")"
fi

# migrate-child-left: the child's migration entries stay after
# move_pages(); the child's own move_pages() cannot find its pages, and
# check names each moved pfn, the child's mm and the child's task.
k=custom-migrate-child-left
out="$T_TMP/migrate-child-left"
w=migrate-child-left
if record "$out" "$k" "$w"; then
	echo "$k: $(grep '^workload: migrate-child-left\|move_pages' "$out/$w.out" | tr '\n' ' ')"
	t_check "vm-broken: $k: the child's move_pages() finds none of its 4 pages (-ENOENT), BROKEN" \
		sh -c "grep -q '^workload: migrate-child-left BROKEN left=4 ' '$out/$w.out' &&
			grep -q '^workload: move_pages to=1 ret=0 status=1,1,1,1' '$out/$w.out'"
	cpid=$(sed -n 's/^workload: mcl-child pid=\([0-9]*\) .*/\1/p' "$out/$w.out" | head -1)
	"$PS" check --rules migration-entry-left "$out/$w.dat" > "$out/$w.check" 2>&1; rc=$?
	grep "^BREAK" "$out/$w.check" | head -4
	n=0
	for pfn in $(mcl_pfns "$out/$w.out"); do
		grep -q "^BREAK  *migration-entry-left .* pfn $pfn .* in mm 0x[0-9a-f]* (task [^ ]*\[$cpid\]) for pfn $pfn set 1 time, removed 0," \
			"$out/$w.check" && n=$((n + 1))
	done
	if [ "$rc" = 1 ] && [ -n "$cpid" ] && [ "$n" = 4 ]; then
		t_ok "vm-broken: $k: check exits 1, a BREAK on each of the 4 moved pfns naming the child [$cpid]'s mm"
	else
		t_fail "vm-broken: $k: check --rules migration-entry-left" \
			"exit $rc, child ${cpid:-?}, $n/4 pfns: $(grep -m3 "BREAK\|uncertain" "$out/$w.check")"
	fi
	n=$(mcl_counts "$out/$w.dat" "$out/$w.out")
	echo "$k: first page: sets, their mms, removes, their mms = $n"
	t_check "vm-broken: $k: the entry set in both mms, removed in one (2 2 1 1)" \
		test "$n" = "2 2 1 1"
fi

# migrate-pmd-left: the PMD migration entry of a THP migrated whole
# stays; the PTE path (the small page moved with it) is sound.  The
# holder's move_pages() says -EFAULT for the THP (follow_page() on a
# non-present PMD), check names the THP's head pfn, the holder's mm and
# task, and nothing else; no kernel BUG: nothing touched the entry.
k=custom-migrate-pmd-left
out="$T_TMP/migrate-pmd-left"
w=migrate-pmd-left
if record "$out" "$k" "$w"; then
	echo "$k: $(grep '^workload: migrate-pmd-left\|move_pages\|mpl-' "$out/$w.out" | tr '\n' ' ')"
	thp=$(mpl_pfn "$out/$w.out" mpl-before thp)
	small=$(mpl_pfn "$out/$w.out" mpl-before small)
	hpid=$(sed -n 's/^workload: mpl-before pid=\([0-9]*\) .*/\1/p' "$out/$w.out" | head -1)
	t_check "vm-broken: $k: THP $thp moved (status 1), the holder's move_pages() finds it no more (-EFAULT), its small page on node 1, BROKEN" \
		sh -c "grep -q '^workload: mpl-before .* thp=1 node=0 page=thp\$' '$out/$w.out' &&
			grep -q '^workload: move_pages to=1 ret=0 status=1,1\$' '$out/$w.out' &&
			grep -q '^workload: migrate-pmd-left BROKEN thp node=-14,-14 small node=1 ' '$out/$w.out'"
	t_check "vm-broken: $k: no kernel BUG (the left entry never touched)" \
		sh -c "! grep -q 'kernel BUG\\|BUG:' '$out/dmesg.txt'"
	"$PS" check --rules migration-entry-left "$out/$w.dat" > "$out/$w.check" 2>&1; rc=$?
	grep "^BREAK" "$out/$w.check" | head -4
	t_check "vm-broken: $k: check exits 1, one BREAK, on THP $thp (folio $thp/9), naming the holder [$hpid]'s mm; none on the small page $small" \
		sh -c "[ $rc = 1 ] && [ -n '$thp' ] && [ -n '$hpid' ] && [ -n '$small' ] &&
			[ \$(grep -c '^BREAK' '$out/$w.check') = 1 ] &&
			grep -q '^BREAK  *migration-entry-left  *folio $thp/9 pfn $thp .* in mm 0x[0-9a-f]* (task [^ ]*\[$hpid\]) for pfn $thp set 1 time, removed 0,' '$out/$w.check'"
	n=$(mpl_counts "$out/$w.dat")
	echo "$k: PMD sets, removes, PTE sets, removes, their mms = $n"
	t_check "vm-broken: $k: the THP's PMD entry set, never removed; the small page's PTE entry set and removed; one mm (1 0 1 1 1)" \
		test "$n" = "1 0 1 1 1"
fi

# doublemap-stale and doublemap-unset: PageDoubleMap's +1 outlives the
# last PMD mapping, or a PMD split never sets it.  One workload shows
# both: kpagecount 2 where the parent's one PTE maps each subpage
# (stale), AnonPages down by the THP while the parent still maps it
# (unset).  check's double-map names the THP and the task whose rmap
# call read the kernel's _mapcount: the parent unmapping its PTEs
# (stale, all 512 pfns), the child unmapping the other PMD (unset, the
# head).  Neither leaves a false mapcount-underflow or free-while-used
# (the engine takes a reading one off for the flag, not a PTE).
# Recorded without stacks: the bad-page reports at the free would
# overrun the buffers.
dms_broken() {
	local v=$1 out="$T_TMP/$1" w=doublemap-stale k=custom-$1
	local pfn pid cpid rc n want who got
	record "$out" "$k" "$w" || return
	echo "$k: $(grep '^workload: \(doublemap-\|dms-.*kpagecount\)' "$out/$w.out" | tr '\n' ' ')"
	pfn=$(sed -n 's/^workload: dms-thp .*pfn=\(0x[0-9a-f]*\).*/\1/p' "$out/$w.out")
	pid=$(sed -n 's/^workload: dms-thp pid=\([0-9]*\) .*/\1/p' "$out/$w.out")
	cpid=$(sed -n 's/^workload: dms-child pid=\([0-9]*\)$/\1/p' "$out/$w.out")
	case $v in
	doublemap-stale)
		t_check "vm-broken: $k: kpagecount 2 on all 512 subpages after the PMD went, BROKEN" \
			sh -c "grep -q '^workload: doublemap-stale BROKEN high=512 pfn=$pfn\$' '$out/$w.out' &&
				grep -q '^workload: dms-after pid=[0-9]* kpagecount=2\.\.2\$' '$out/$w.out'"
		t_check "vm-broken: $k: the kernel's free found the mapcount too (bad page)" \
			grep -q "page dumped because: nonzero mapcount" "$out/dmesg.txt"
		want="PageDoubleMap's +1 still in _mapcount with no PMD mapping left (kernel 2, PTE mappings 1)"
		who=$pid n=512 ;;
	doublemap-unset)
		t_check "vm-broken: $k: AnonPages down by the THP the parent still maps, BROKEN; kpagecount right" \
			sh -c "grep -q '^workload: doublemap-anon BROKEN delta_kb=-' '$out/$w.out' &&
				grep -q '^workload: doublemap-stale ok pfn=$pfn\$' '$out/$w.out'"
		want="THP mapped by PMD (1) and PTEs without PageDoubleMap (kernel 1, PTE mappings 1)"
		who=$cpid n=1 ;;
	esac
	"$PS" check "$out/$w.dat" > "$out/$w.check" 2>&1; rc=$?
	grep "^BREAK" "$out/$w.check" | head -3
	got=$(grep -c "^BREAK  *double-map  *folio $pfn/9 pfn " "$out/$w.check")
	t_check "vm-broken: $k: check exits 1, double-map BREAK on $got/$n pfns of THP ${pfn:-?} in $w-${who:-?}" \
		sh -c "[ $rc = 1 ] && [ -n '$pfn' ] && [ -n '$who' ] && [ '$got' = $n ] &&
			[ \$(grep -c '^BREAK  *double-map ' '$out/$w.check') = $n ] &&
			grep -q '^BREAK  *double-map  *folio $pfn/9 pfn $pfn .* $w-$who: ' '$out/$w.check' &&
			[ \$(grep -cF \"$w-$who: $want\" '$out/$w.check') = $n ]"
	t_check "vm-broken: $k: no false mapcount-underflow or free-while-used" \
		sh -c "grep -q '^mapcount-underflow  *0 breaks' '$out/$w.check' &&
			grep -q '^free-while-used  *0 breaks' '$out/$w.check'"
}
dms_broken doublemap-stale
dms_broken doublemap-unset

# hz-split-as-thp and hz-fork-dup: the huge zero page is never in the
# rmap.  Each kernel takes it for an anon THP on one path (a PMD split,
# a fork) and leaves the other alone; huge-zero-rmap walks both and says
# which broke.  The clean kernel, booted for this alone, keeps the huge
# zero page out of the rmap on both: kpagecount 0, no KPF_MMAP, small
# zero pages after the split, and no rule breaks.
hz_line() { grep "^workload: $2 " "$1/huge-zero-rmap.out"; }
hz_clean() {
	local out=$T_TMP/hz-clean w=huge-zero-rmap rc
	record "$out" custom "$w" || return
	echo "custom $w: $(hz_line "$out" 'hz-\(fork\|split\)' | tr '\n' ' ')"
	t_check "vm-broken: custom $w: fork and PMD split keep the huge zero page out of the rmap, ok" \
		sh -c "grep -q '^workload: hz-fork ok child_mmap=0 child_rss_grew=0 mmap_after=0 pfn=0x' '$out/$w.out' &&
			grep -q '^workload: hz-split ok mapped=0 kpagecount=0\.\.0 pfn=0x' '$out/$w.out'"
	"$PS" check --rules huge-zero-split "$out/$w.dat" > "$out/$w.hz" 2>&1; rc=$?
	t_check "vm-broken: custom $w: check --rules huge-zero-split exits 0, the split as info" \
		sh -c "[ $rc = 0 ] && grep -q '^huge-zero-split  *0 breaks, 1 info, 0 uncertain' '$out/$w.hz'"
	"$PS" check "$out/$w.dat" > "$out/$w.check" 2>&1; rc=$?
	t_check "vm-broken: custom $w: check exits 0 (no false end-state on the forked huge zero PMD)" \
		test "$rc" = 0
}

# v: the variant; step: hz-split or hz-fork, the path it breaks; want:
# what the workload must print there; what: the finding's words; dmesg:
# what the kernel itself said.
hz_broken() {
	local v=$1 step=$2 want=$3 what=$4 dmesg=$5
	local out=$T_TMP/$v w=huge-zero-rmap k=custom-$1 pfn pid rc other
	record "$out" "$k" "$w" || return
	echo "$k $w: $(hz_line "$out" 'hz-\(fork\|split\)' | tr '\n' ' ')"
	pfn=$(pfn_of "$out/$w.out" "$step")
	pid=$(sed -n 's/^workload: done pid=\([0-9]*\)$/\1/p' "$out/$w.out")
	other=hz-fork
	[ "$step" = hz-fork ] && other=hz-split
	t_check "vm-broken: $k $w: $step BROKEN ($want), $other ok" \
		sh -c "grep -q '^workload: $step BROKEN $want pfn=$pfn\$' '$out/$w.out' &&
			grep -q '^workload: $other ok ' '$out/$w.out'"
	t_check "vm-broken: $k: the kernel said so too ($dmesg)" \
		grep -q "$dmesg" "$out/dmesg.txt"
	"$PS" check --rules huge-zero-split "$out/$w.dat" > "$out/$w.check" 2>&1; rc=$?
	grep "^BREAK" "$out/$w.check"
	t_check "vm-broken: $k $w: check --rules huge-zero-split exits 1, one BREAK on the huge zero page ${pfn:-?}: $what in $w[${pid:-?}]" \
		sh -c "[ $rc = 1 ] && [ -n '$pfn' ] && [ -n '$pid' ] &&
			[ \$(grep -c '^BREAK' '$out/$w.check') = 1 ] &&
			grep -q '^BREAK  *huge-zero-split  *folio $pfn/9 pfn .* $w-$pid: $what in mm 0x[0-9a-f]* (task $w\[$pid\]), first on pfn 0x' '$out/$w.check'"
}
hz_clean
hz_broken hz-split-as-thp hz-split "mapped=512 kpagecount=1\\.\\.1" \
	"an rmap remove (rmap_remove) on the huge zero page, which is never in the rmap: 512 times" \
	"Bad rss-counter state .* type:MM_FILEPAGES val:-512"
hz_broken hz-fork-dup hz-fork "child_mmap=1 child_rss_grew=1 mmap_after=1" \
	"an rmap dup by fork (fork_dup) on the huge zero page, which is never in the rmap: 1 time" \
	"VM_WARN_ON_ONCE_PAGE(!PageAnon(page))"

# fork-pmd-broken: anon-exclusive-pinned's second path.  copy_huge_pmd()
# shares a pinned, PMD-mapped THP with the child (fork-broken broke
# page_try_dup_anon_rmap() itself, which the PTE path reaches; here the
# PTE path is intact).  fork-pin's small page stays coherent, its THP
# does not: the child maps the pinned THP by its PMD, the parent's write
# COWs away from it.  check names the THP's folio, the parent's task,
# the child's task and mm.
fork_pmd_broken() {
	local v=fork-pmd-broken w=fork-pin out="$T_TMP/fork-pmd-broken"
	local k=custom-fork-pmd-broken pfn small ppid cpid rc dups at
	REC_OPTS=--stack record "$out" "$k" "$w" || return
	echo "$k: $(grep '^workload: \(pin-coherent\|pin-thp-\(pinned\|forked\)\)' "$out/$w.out" | tr '\n' ' ')"
	pfn=$(pfn_of "$out/$w.out" pin-thp-pinned)
	small=$(pfn_of "$out/$w.out" pin-small-pinned)
	ppid=$(sed -n 's/^workload: pin-thp-pinned pid=\([0-9]*\) .*/\1/p' "$out/$w.out" | head -1)
	cpid=$(sed -n 's/^workload: pin-thp-forked pid=\([0-9]*\) .*/\1/p' "$out/$w.out" | head -1)
	t_check "vm-broken: $k: the small page's pin stays coherent (PTE path), the THP's is BROKEN" \
		sh -c "grep -q '^workload: pin-coherent ok pin=small\$' '$out/$w.out' &&
			grep -q '^workload: pin-coherent BROKEN pin=thp\$' '$out/$w.out'"
	t_check "vm-broken: $k: the child [${cpid:-?}] maps the pinned THP $pfn by its PMD before writing" \
		sh -c "[ -n '$pfn' ] && grep -q '^workload: pin-thp-forked pid=$cpid vaddr=0x[0-9a-f]* pfn=$pfn thp=1\$' '$out/$w.out' &&
			grep -q '^workload: pin-thp-forked pid=$cpid anon_huge_kb=2048\$' '$out/$w.out'"
	"$PS" replay "$out/$w.dat" --pfn "$pfn" > "$out/thp.tl" 2>&1
	dups=$(awk '/ pin  / { on = 1 } / unpin  / { on = 0 } on && / fork_dup .* compound .* mm=0x/' "$out/thp.tl" | wc -l)
	t_check "vm-broken: $k: the recording holds copy_huge_pmd's dup of $pfn while pinned ($dups)" \
		test "$dups" = 1
	t_check "vm-broken: $k: the kernel's sanity_check_pinned_pages() saw it too (THP branch)" \
		grep -q "VM_WARN_ON_ONCE_PAGE(!PageAnonExclusive(&folio->page) && !PageAnonExclusive(page))" "$out/dmesg.txt"
	"$PS" check --rules anon-exclusive-pinned "$out/$w.dat" > "$out/$w.check" 2>&1; rc=$?
	grep "^BREAK" "$out/$w.check" | head -3
	t_check "vm-broken: $k: check exits 1, BREAK on THP $pfn's folio by fork-pin-${ppid:-?} naming the child fork-pin[${cpid:-?}] and its mm" \
		sh -c "[ $rc = 1 ] && [ -n '$ppid' ] && [ -n '$cpid' ] &&
			grep -q '^BREAK  *anon-exclusive-pinned  *folio $pfn/9 pfn $pfn .* fork-pin-$ppid: fork shared a pinned anon THP.s PMD (pincount [0-9]*) with the child (task fork-pin\[$cpid\], mm 0x[0-9a-f]*) and cleared anon_exclusive; the parent.s mm 0x[0-9a-f]*\$' '$out/$w.check'"
	t_check "vm-broken: $k: ...and none on the small pinned page $small (PTE path intact)" \
		sh -c "[ -n '$small' ] && ! grep -q '^BREAK .* pfn $small ' '$out/$w.check'"
	ledger_adds_up "$out" "$w" "$k"
	at=$(awk -v p="$pfn" '$1 == "BREAK" && $6 == p && /fork shared/ { print $7; exit }' "$out/$w.check")
	"$PS" holders "$out/$w.dat" --pfn "$pfn" --at "$at" > "$out/holders" 2>&1
	cat "$out/holders"
	t_check "vm-broken: $k: holders at the break ($at) name the io_uring pin with its stack" \
		sh -c "grep -A1 'pin (FOLL_PIN.* $w-[0-9]* pin at .*) \[exact\]' '$out/holders' |
			grep -q '^ *stack: .*io_uring_register'"
}
fork_pmd_broken

# collapse-pinned's second path, the shmem/file collapse (collapse_file()),
# on stock 6.1 and 6.12 (the folio era's collapse_file(), which unmaps
# with try_to_unmap() and has its own event; the workload no longer
# advises MADV_HUGEPAGE, with which khugepaged collapsed the memfd before
# the pin now and then): the clean custom kernel's
# tinyconfig sets CONFIG_BASE_SMALL (xarray chunks of 16:
# MAX_PAGECACHE_ORDER 7), so it holds no shmem THP and MADV_COLLAPSE of
# a memfd says EINVAL before any scan (collapse-file-broken is built
# with CONFIG_BASE_FULL for that, below).  Here the
# kernel's own check refuses the pinned memfd page: check's
# collapse-pinned says so (info, on the pinned pfn, from the scan's
# mm_khugepaged_scan_file) and why names the io_uring pin; an unpinned
# memfd collapses, and the rule, judging each old page collapse_file()
# unmaps against its three expected references, finds nothing.
# Both boots also record the unpinned memfd's collapse (cf-nopin)
cf_nopin_script='/pagestate record -q -o /out/cf-nopin.dat -- /w/collapse-file nopin \
	> /out/cf-nopin.out 2> /out/cf-nopin.err || echo "record cf-nopin failed: $?"'
collapse_file_stock() {
	local k=$1 w=collapse-file out="$T_TMP/collapse-file-$1"
	local pfn pid rc
	EXTRA=$cf_nopin_script record "$out" "$k" "$w" || return
	echo "$k $w: $(grep '^workload: \(madv_collapse\|collapse-file-coherent\|cf-nopin-after\)' "$out/$w.out" "$out/cf-nopin.out" | sed 's/^[^:]*://' | tr '\n' ' ')"
	pfn=$(pfn_of "$out/$w.out" cf-pin-before)
	pid=$(sed -n 's/^workload: cf-pin-before pid=\([0-9]*\) .*/\1/p' "$out/$w.out")
	t_check "vm-broken: $k $w: MADV_COLLAPSE of the memfd with a pinned page refused (EAGAIN), the pin coherent" \
		sh -c "grep -q '^workload: madv_collapse file ret=-1 errno=11 ' '$out/$w.out' &&
			grep -q '^workload: collapse-file-coherent ok write_fixed=ok read_fixed=ok\$' '$out/$w.out'"
	"$PS" check --rules collapse-pinned "$out/$w.dat" > "$out/$w.check" 2>&1; rc=$?
	grep "^info" "$out/$w.check"
	t_check "vm-broken: $k $w: check exits 0, collapse-pinned info on the pinned pfn ${pfn:-?}: the scan refused it" \
		sh -c "[ $rc = 0 ] && [ -n '$pfn' ] &&
			grep -q '^info  *collapse-pinned  *folio $pfn/0 pfn $pfn .* $w-$pid: collapse refused (SCAN_PAGE_COUNT)' '$out/$w.check'"
	"$PS" why "$out/$w.dat" > "$out/$w.why" 2>&1
	sed -n "/refused pfn $pfn:/,/^[0-9]/p" "$out/$w.why"
	t_check "vm-broken: $k $w: why names the io_uring pin of $pfn as what the file scan refused" \
		sh -c "sed -n '/file collapse scan refused pfn $pfn: not_suitable_page_count/,/^[0-9]/p' '$out/$w.why' |
			grep -q '+ 1024 pin (FOLL_PIN|FOLL_LONGTERM $w-$pid pin at '"
	t_check "vm-broken: $k $w nopin: the unpinned memfd collapsed into a THP" \
		sh -c "grep -q '^workload: madv_collapse nopin ret=0 ' '$out/cf-nopin.out' &&
			grep -q '^workload: cf-nopin-after .* thp=1\$' '$out/cf-nopin.out'"
	"$PS" replay "$out/cf-nopin.dat" > "$out/cf-nopin.sum" 2>&1
	"$PS" check --uncertain --rules collapse-pinned "$out/cf-nopin.dat" > "$out/cf-nopin.check" 2>&1; rc=$?
	# the page ops (on 6.1 rmap_remove is an event's name too)
	sed -n '/^page ops:/,/^$/p' "$out/cf-nopin.sum" > "$out/cf-nopin.ops"
	echo "$k $w nopin: $(grep '^  \(collapse_begin\|rmap_remove\) ' "$out/cf-nopin.ops" | tr -s ' ' | tr '\n' ';') $(grep '^collapse-pinned ' "$out/cf-nopin.check")"
	# MADV_COLLAPSE tried up to 5 times (tries=): the last one collapsed
	# in collapse_file(); one refused by the scan before it never got
	# there, one refused by collapse_file() is at most an info
	tries=$(sed -n 's/^workload: madv_collapse nopin ret=0 .* tries=\([0-9]*\)\r*$/\1/p' "$out/cf-nopin.out")
	begins=$(awk '$1 == "collapse_begin" { print $2 }' "$out/cf-nopin.ops")
	removes=$(awk '$1 == "rmap_remove" { print $2 }' "$out/cf-nopin.ops")
	infos=$(sed -n 's/^collapse-pinned  *0 breaks, \([0-9]*\) info, 0 uncertain.*/\1/p' "$out/cf-nopin.check")
	t_check "vm-broken: $k $w nopin: collapse_file() seen once per try that reached it (${begins:-0} of ${tries:-?}), its old pages unmapped, collapse-pinned finds nothing" \
		sh -c "[ $rc = 0 ] && [ -n '$tries' ] && [ -n '$begins' ] && [ -n '$infos' ] && [ -n '$removes' ] &&
			[ '$begins' -ge 1 ] && [ '$begins' -le '$tries' ] && [ '$infos' -lt '$begins' ] &&
			[ '$removes' -ge 512 ]"
}
collapse_file_stock stock-6.1
collapse_file_stock stock-6.12

# collapse-pinned's second path broken: collapse-file-broken (the
# custom kernel + CONFIG_BASE_FULL, tests/vm/patches/collapse-file-broken.*)
# drops the reference checks of hpage_collapse_scan_file() and
# collapse_file()'s page_ref_freeze(page, 3).  MADV_COLLAPSE puts a THP in
# the memfd's page cache in place of the pinned page, the pin keeps the
# old one: its writes no longer reach the file, the file's no longer reach
# it (collapse-file-coherent BROKEN), and collapse-pinned breaks on the
# pinned pfn, naming the collapsing task.  On the same kernel an unpinned
# memfd collapses just as on a clean one, and the rule finds nothing: it
# judges the pages' references, not the kernel it runs on.
collapse_file_broken() {
	local k=custom-collapse-file-broken w=collapse-file out="$T_TMP/collapse-file-broken"
	local pfn now pid rc
	REC_OPTS=--stack EXTRA=$cf_nopin_script record "$out" "$k" "$w" || return
	echo "$k $w: $(grep '^workload: \(madv_collapse\|collapse-file-coherent\|cf-pin-\|cf-nopin-after\)' "$out/$w.out" "$out/cf-nopin.out" | sed 's/^[^:]*://' | tr '\n' ' ')"
	pfn=$(pfn_of "$out/$w.out" cf-pin-before)
	now=$(pfn_of "$out/$w.out" cf-pin-after)
	pid=$(sed -n 's/^workload: cf-pin-before pid=\([0-9]*\) .*/\1/p' "$out/$w.out")
	t_check "vm-broken: $k $w: MADV_COLLAPSE went ahead over the pin, pinned ${pfn:-?} replaced by a THP page (${now:-?})" \
		sh -c "grep -q '^workload: madv_collapse file ret=0 ' '$out/$w.out' &&
			grep -q '^workload: cf-pin-after .* thp=1\$' '$out/$w.out' &&
			[ -n '$pfn' ] && [ -n '$now' ] && [ '$pfn' != '$now' ]"
	t_check "vm-broken: $k $w: collapse-file-coherent BROKEN (the pin's writes and the file's no longer meet)" \
		grep -q '^workload: collapse-file-coherent BROKEN ' "$out/$w.out"
	check_breaks "$out" "$w" collapse-pinned "$pfn" "$k"
	t_check "vm-broken: $k $w: the break names the collapsing task ($w-$pid)" \
		grep -q "^BREAK  *collapse-pinned .* pfn $pfn .* $w-$pid: " "$out/$w.check"
	"$PS" check --uncertain --rules collapse-pinned "$out/cf-nopin.dat" > "$out/cf-nopin.check" 2>&1; rc=$?
	t_check "vm-broken: $k $w nopin: the unpinned memfd collapsed, collapse-pinned finds nothing" \
		sh -c "[ $rc = 0 ] && grep -q '^workload: madv_collapse nopin ret=0 ' '$out/cf-nopin.out' &&
			grep -q '^collapse-pinned  *0 breaks, 0 info, 0 uncertain' '$out/cf-nopin.check'"
}
collapse_file_broken
