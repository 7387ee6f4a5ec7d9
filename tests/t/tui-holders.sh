# The holders pane in the browser (key H): on the 6.1 collapse-pinned
# recording, the second finding's event is the MADV_COLLAPSE scan that
# refused the io_uring-pinned page; H on it names the FOLL_LONGTERM pin
# beside the page's one mapping, as `pagestate holders` does.  Moving to
# the event after the unpin's put, H shows the mapping alone.
# On the page-cache recording, H names the page cache beside a mapping.
source "$(dirname "$0")/../lib.sh"

if ! command -v tmux > /dev/null; then
	t_skip "tui holders pane in a terminal" "tmux not installed"
	exit 0
fi

s=holders
source "$(dirname "$0")/../tui-lib.sh"

cp "$FIXTURES/vm-custom61-collapse-pinned.dat" "$T_TMP/cp.dat"
pin=$(sed -n 's/^workload: collapse-pin-before .*pfn=\(0x[0-9a-f]*\).*/\1/p' \
	"$FIXTURES/vm-custom61-collapse-pinned.workload" | tail -1)
"$PS" holders "$T_TMP/cp.dat" --pfn "$pin" --at \
	"$("$PS" check "$T_TMP/cp.dat" | awk -v p="$pin" '$6 == p { print $7 }')" \
	> "$T_TMP/cli"

tui_term "cd '$T_TMP' && '$PS' tui cp.dat; echo \$? > '$T_TMP/rc'; sleep 60"
t_check "opens" wait_for "folios by birth"
keys f
t_check "f lists the two collapse-pinned infos" wait_for "^2 findings: 0 breaks, 2 info"
keys j Enter
t_check "Enter on the second opens $pin's refused scan" \
	wait_for "^>i .* collapse_scan "
keys H
t_check "H opens the holders of $pin after that event" \
	wait_for "^holders of $pin/0 after event [0-9]*/[0-9]* at .* collapse_scan"
t_check "...refcount 1025 = its mapping" \
	wait_for "refcount 1025 = 1 mapping (collapse-pinned-[0-9]* rmap_add"
t_check "...+ the FOLL_LONGTERM pin, 1024 references, exact" \
	wait_for "+ 1024 pin (FOLL_PIN|FOLL_LONGTERM collapse-pinned-[0-9]* pin at .*) \[exact\]"
t_check "...+ nothing unexplained" wait_for "+ 0 unexplained"
t_check "...the same rows as pagestate holders" \
	test "$(screen | grep -c -F -f <(sed 's/^ *//' "$T_TMP/cli" | tail -n +2))" = 3
keys q
t_check "q goes back to the timeline" wait_for "^>i .* collapse_scan "
# the unpin, then its put of 1024 references: the pin is gone
keys p j
t_check "p, j: the put after the unpin" wait_for "^>.* ref .*val=-1024"
keys H
t_check "H there: refcount 1 = the mapping alone" \
	wait_for "refcount 1 = 1 mapping (collapse-pinned-"
t_check "...no pin left" sh -c "! tmux -L '$SOCK' capture-pane -t '$s' -p | grep -q ' pin ('"
keys Q
for i in $(seq 1 100); do [ -s "$T_TMP/rc" ] && break; sleep 0.05; done
t_check "quits with 0" test "$(cat "$T_TMP/rc")" = 0

# A migration recording (6.1, --stack): tui --pfn --at opens the page
# move_pages could not move on the event that put it back; H names the
# pipe's get, its stack ending in vmsplice, as `why` does.
mh="$FIXTURES/vm-custom61-migrate-held.dat"
held=$(awk '$2 == "held-moved" && / node=0$/ { sub("pfn=", "", $5); print $5 }' \
	"$FIXTURES/vm-custom61-migrate-held.workload")
cp "$mh" "$T_TMP/mh.dat"
"$PS" why "$T_TMP/mh.dat" > "$T_TMP/why"
at=$(awk -v p="$held" '$3 == "migration" && $5 == p":" { print $1; exit }' "$T_TMP/why")
s=mh
rm -f "$T_TMP/rc"
tui_term "cd '$T_TMP' && '$PS' tui mh.dat --pfn $held --at ${at:-none}; echo \$? > '$T_TMP/rc'; sleep 60"
t_check "tui --pfn $held --at $at opens its timeline on the put back" \
	wait_for "^> *$at .* migration_remove *pfn=$held "
keys H
t_check "H: the holders there, refcount 3 = its mapping" \
	wait_for "^holders of $held/0 after event [0-9]*/[0-9]* at $at migration_remove"
t_check "...+ the pipe's get: GUP-fast from vmsplice's iov_iter, in its stack" \
	sh -c "tmux -L '$SOCK' capture-pane -t '$s' -p |
		grep -A1 '+ 1 get (migrate-held-[0-9]* ref at ' |
		grep -q 'stack: __page_ref_mod_unless+0x[0-9a-f]* < try_get_folio+0x[0-9a-f]* < internal_get_user_pages_fast'"
keys Q
for i in $(seq 1 100); do [ -s "$T_TMP/rc" ] && break; sleep 0.05; done
t_check "quits with 0" test "$(cat "$T_TMP/rc")" = 0
# a pfn the recording never held: one line, exit 2, before the screen
rm -f "$T_TMP/rc"
s=bad
tui_term "cd '$T_TMP' && '$PS' tui mh.dat --pfn 0x1 2> out; echo \$? > '$T_TMP/rc'; sleep 60"
for i in $(seq 1 100); do [ -s "$T_TMP/rc" ] && break; sleep 0.05; done
t_check "tui --pfn 0x1: exit 2, the file and pfn named" \
	sh -c "test \"\$(cat '$T_TMP/rc')\" = 2 && grep -q '^pagestate: error: mh.dat: pfn 0x1 is in no folio of the recording$' '$T_TMP/out'"

# The page cache (6.1, page-cache on ramfs): tui --pfn --at opens the
# mapped file page on its rmap_add; H names its mapping and the page
# cache's reference, exact, with the file, as `pagestate holders` does.
pc=$(sed -n 's/^workload: pcache-mapped-0 .*pfn=\(0x[0-9a-f]*\).*/\1/p' \
	"$FIXTURES/vm-custom61-page-cache.workload" | head -1)
cp "$FIXTURES/vm-custom61-page-cache.dat" "$T_TMP/pc.dat"
at=$("$PS" replay "$T_TMP/pc.dat" --pfn "$pc" | awk '$4 == "rmap_add" { print $1; exit }')
s=pc
rm -f "$T_TMP/rc"
tui_term "cd '$T_TMP' && '$PS' tui pc.dat --pfn $pc --at ${at:-none}; echo \$? > '$T_TMP/rc'; sleep 60"
t_check "tui --pfn $pc --at $at opens the file page's timeline on its mapping" \
	wait_for "^> *$at .* rmap_add *pfn=$pc"
keys H
t_check "H: refcount 2 = its mapping" \
	wait_for "refcount 2 = 1 mapping (page-cache-[0-9]* rmap_add at $at "
t_check "...+ the page cache's reference, exact, with the file" \
	wait_for "+ 1 page cache (page-cache-[0-9]* cache_add at .* pfn $pc dev 0:[0-9]* ino 0x[0-9a-f]* index [0-3]) \[exact\]"
keys Q
for i in $(seq 1 100); do [ -s "$T_TMP/rc" ] && break; sleep 0.05; done
t_check "quits with 0" test "$(cat "$T_TMP/rc")" = 0
