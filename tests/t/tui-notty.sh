# pagestate tui without a terminal says so and exits 2; the index it
# would browse can still be built (--index-only) and is reused after.
source "$(dirname "$0")/../lib.sh"

cp "$FIXTURES/vm-stock61-thp-basic.dat" "$T_TMP/run.dat"

CI=true "$PS" tui "$T_TMP/run.dat" < /dev/null > "$T_TMP/out" 2> "$T_TMP/err"
rc=$?
t_check "CI=true: exit 2 ($rc)" test "$rc" = 2
t_check "CI=true: says it needs a terminal" grep -q "needs a terminal: CI=true" "$T_TMP/err"

CI= "$PS" tui "$T_TMP/run.dat" < /dev/null > "$T_TMP/out" 2> "$T_TMP/err"
rc=$?
t_check "stdin/stdout not a tty: exit 2 ($rc)" test "$rc" = 2
t_check "not a tty: says so" grep -q "stdin or stdout is not a tty" "$T_TMP/err"
t_check "no index written when refusing" test ! -e "$T_TMP/run.dat.psidx"

"$PS" tui --index-only "$T_TMP/nonexistent.dat" > /dev/null 2> "$T_TMP/err"
rc=$?
t_check "--index-only, missing file: exit 2 ($rc)" \
	grep -q "nonexistent.dat: No such file" "$T_TMP/err"
"$PS" tui > /dev/null 2> "$T_TMP/err" < /dev/null
t_check "no file: exit 2 with usage" grep -q "tui needs a recording" "$T_TMP/err"

"$PS" tui --index-only "$T_TMP/run.dat" > "$T_TMP/out" 2> "$T_TMP/err"
t_check "--index-only builds the index" grep -q "built.*1[0-9]* folios" "$T_TMP/out"
t_check "the index sits beside the recording" test -s "$T_TMP/run.dat.psidx"
"$PS" tui --index-only "$T_TMP/run.dat" > "$T_TMP/out2" 2>&1
t_check "a second run reuses it" grep -q "reused" "$T_TMP/out2"
t_check "same folio count both times" \
	test "$(grep -o '[0-9]* folios' "$T_TMP/out")" = "$(grep -o '[0-9]* folios' "$T_TMP/out2")"

# A stale or damaged index is rebuilt, never trusted.
touch -d '2001-01-01' "$T_TMP/run.dat"
"$PS" tui --index-only "$T_TMP/run.dat" > "$T_TMP/out3" 2>&1
t_check "a changed recording gets a new index" grep -q "built" "$T_TMP/out3"
head -c 3000 "$T_TMP/run.dat.psidx" > "$T_TMP/cut" && cat "$T_TMP/cut" > "$T_TMP/run.dat.psidx"
"$PS" tui --index-only "$T_TMP/run.dat" > "$T_TMP/out4" 2>&1
t_check "a truncated index is rebuilt" grep -q "built" "$T_TMP/out4"
printf 'garbage' > "$T_TMP/run.dat.psidx"
"$PS" tui --index-only "$T_TMP/run.dat" > "$T_TMP/out5" 2>&1
t_check "a garbage index is rebuilt" grep -q "built" "$T_TMP/out5"

# Read-only directory: the index goes to the cache directory instead.
mkdir "$T_TMP/ro" && cp "$FIXTURES/vm-stock61-huge-zero.dat" "$T_TMP/ro/" && chmod 555 "$T_TMP/ro"
XDG_CACHE_HOME="$T_TMP/cache" "$PS" tui --index-only "$T_TMP/ro/vm-stock61-huge-zero.dat" > "$T_TMP/out6" 2>&1
rc=$?
if [ "$(id -u)" = 0 ]; then
	# root writes anyway; only check it worked
	t_check "index built where it could be ($rc)" test "$rc" = 0
else
	t_check "read-only dir: index in \$XDG_CACHE_HOME" grep -q "$T_TMP/cache/pagestate/" "$T_TMP/out6"
fi
chmod 755 "$T_TMP/ro"
