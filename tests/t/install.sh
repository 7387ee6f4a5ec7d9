# make install into a scratch DESTDIR: the installed binary runs and reads
# a recording, every man page renders without a groff warning, the bash
# completion completes commands and a command's options from the binary
# itself, and make uninstall takes every file back out.
source "$(dirname "$0")/../lib.sh"

d="$T_TMP/root"
make -s -C "$TOP" install DESTDIR="$d" PREFIX=/usr > "$T_TMP/install.out" 2>&1
t_check "make install DESTDIR=... PREFIX=/usr" test $? = 0
bin="$d/usr/bin/pagestate"
t_check "installed binary runs" "$bin" --version
"$bin" replay "$FIXTURES/host-thp-basic.dat" > "$T_TMP/sum" 2>&1
t_check "installed binary replays a recording" grep -q "^records: *5102$" "$T_TMP/sum"

pages=0
for src in "$TOP"/doc/*.1; do
	m="$d/usr/share/man/man1/$(basename "$src")"
	pages=$((pages + 1))
	if [ ! -f "$m" ]; then
		t_fail "man page $(basename "$m") installed"
		continue
	fi
	if command -v man > /dev/null; then
		MANWIDTH=80 man --warnings -l "$m" > "$T_TMP/man.out" 2> "$T_TMP/man.err"
		name=$(basename "$m" .1)
		if [ -s "$T_TMP/man.err" ] || ! grep -qi "^ *$name " "$T_TMP/man.out"; then
			t_fail "man -l $name renders cleanly" "$(head -c 300 "$T_TMP/man.err")"
		else
			t_ok "man -l $name renders cleanly"
		fi
	else
		t_skip "man -l $(basename "$m")" "man-db not installed"
	fi
done
echo "# $pages man pages"

# complete WORDS...: what the installed completion offers for the last
# word of "pagestate WORDS...", one per line, sorted.
complete_words() {
	PATH="$d/usr/bin:$PATH" bash -c '
		source "$1"; shift
		COMP_WORDS=(pagestate "$@"); COMP_CWORD=$#
		_pagestate
		printf "%s\n" "${COMPREPLY[@]}" | sort' _ \
		"$d/usr/share/bash-completion/completions/pagestate" "$@"
}
t_check "completion: 'pagestate rep' offers replay, report" \
	test "$(complete_words rep | tr '\n' ' ')" = "replay report "
# every command the binary lists, none written into the script
t_check "completion: offers every command 'pagestate -h' lists" \
	test "$(complete_words '' | grep -v '^--' | tr '\n' ' ')" = \
	     "$("$bin" -h | awk '/^commands:/ { on = 1; next } on && !NF { exit } on { print $1 }' | sort | tr '\n' ' ')"
# and each is a command the binary runs (its -h exits 0)
real_cmds() {
	local c
	for c in $(complete_words '' | grep -v '^--'); do
		"$bin" "$c" -h > /dev/null 2>&1 || { echo "not a command: $c"; return 1; }
	done
}
t_check "completion: every command offered is one pagestate runs" real_cmds
t_check "completion: 'pagestate check --r' offers --rules" \
	test "$(complete_words check --r | tr '\n' ' ')" = "--rules "
t_check "completion: record's options come from record -h" \
	grep -qx -- "--list-capabilities" <(complete_words record --)

make -s -C "$TOP" uninstall DESTDIR="$d" PREFIX=/usr > /dev/null 2>&1
left=$(find "$d" -type f)
t_check "make uninstall removes every installed file" test -z "$left"
