# Findings in the browser: huge-zero-split's info findings on the stock
# 6.1 recording (the huge zero page's PMD split twice), listed with f,
# opened with Enter and walked with n/N, each landing on its event.
source "$(dirname "$0")/../lib.sh"

if ! command -v tmux > /dev/null; then
	t_skip "tui findings in a terminal" "tmux not installed"
	exit 0
fi

s=findings
source "$(dirname "$0")/../tui-lib.sh"

cp "$FIXTURES/vm-stock61-huge-zero.dat" "$T_TMP/hz.dat"
"$PS" check "$T_TMP/hz.dat" > "$T_TMP/check" 2>&1
mapfile -t ts < <(awk '$1 == "info" && $2 == "huge-zero-split" { print $7 }' "$T_TMP/check")
folio=$(awk '$1 == "info" && $2 == "huge-zero-split" { print $4; exit }' "$T_TMP/check")
head=${folio%/*}
t_check "check lists two huge-zero-split infos (${ts[*]})" test "${#ts[@]}" = 2

tui_term "cd '$T_TMP' && '$PS' tui hz.dat; echo \$? > '$T_TMP/rc'; sleep 60"
t_check "opens" wait_for "folios by birth"

keys f
t_check "f lists the findings" wait_for "^2 findings: 0 breaks, 2 info"
t_check "...as check prints them" \
	grep -q "info .*huge-zero-split .*folio $folio pfn .* ${ts[0]} huge-zero-113: PMD split of the huge zero page" <<< "$(selected)"
t_check "...then every rule, checked or why not" \
	wait_for "refcount-underflow  *not checked: needs page_ref"
keys Enter
t_check "Enter opens the folio of the finding" wait_for "^timeline of folio $folio (THP)"
t_check "...with the breaking event selected" \
	grep -Eq "^>i +${ts[0]} .* split_pmd " <<< "$(selected)"
t_check "...and the finding named below" wait_for "finding 1/2: huge-zero-split"
keys n
t_check "n goes to the second finding's event" wait_for "^>i  *${ts[1]} "
t_check "...said below" wait_for "finding 2/2: huge-zero-split"
keys N
t_check "N comes back to the first" wait_for "^>i  *${ts[0]} "
keys n n
t_check "no finding past the last" wait_for "no next finding"

# From the folio list: n opens the first finding; a pfn inside the huge
# zero page finds the folio holding it.
keys F
t_check "F returns to the folio list" wait_for "folios by birth"
keys /; tmux -L "$SOCK" send-keys -t "$s" -l 0x8a01; keys Enter
t_check "/0x8a01 selects the folio holding that pfn ($folio)" \
	wait_for "^>$head  *9 "
keys '!'
t_check "! keeps folios with findings" wait_for "^1 of [0-9]* folios by birth, with findings"
keys n
t_check "n from the list opens the first finding" \
	wait_for "^>i  *${ts[0]} "
keys Q
for i in $(seq 1 100); do [ -s "$T_TMP/rc" ] && break; sleep 0.05; done
t_check "Q quits with 0" test "$(cat "$T_TMP/rc")" = 0
