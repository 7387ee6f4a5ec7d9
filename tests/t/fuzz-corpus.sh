# Issue 14, part 4: every input the fuzzers kept (tests/fuzz/corpus/NAME,
# minimized with -merge=1) and every input that once crashed a reader
# (tests/fuzz/regress/NAME) runs once more through its libFuzzer harness,
# built with ASan and UBSan (make fuzz; make check builds them), without
# fuzzing.  A sanitizer report or a crash fails.  The regression inputs
# also go through ./pagestate replay and pagestate-asan: exit 2 with one
# error line naming the file, as for any bad input.
source "$(dirname "$0")/../lib.sh"

FUZZ="$TOP/tests/fuzz"
# libtracecmd mallocs sizes read from the file; a normal build gets NULL
# back for an absurd one and libtracecmd says the file is bad; errors
# ASan sees inside the Debian libraries are theirs (tests/fuzz/asan.supp)
export ASAN_OPTIONS="$ASAN_OPTIONS:allocator_may_return_null=1:suppressions=$FUZZ/asan.supp"
# a reader going round in circles is given up after a second, not ten
export PAGESTATE_STALL_SECS=1
names=(kbuf tracecmd text markers index)

for n in "${names[@]}"; do
	bin="$TOP/build-fuzz/fuzz-$n"
	if [ ! -x "$bin" ]; then
		t_skip "fuzz corpus: $n" "$bin not built (make fuzz; needs clang)"
		continue
	fi
	dirs=()
	for d in "$FUZZ/corpus/$n" "$FUZZ/regress/$n"; do
		[ -d "$d" ] && dirs+=("$d")
	done
	count=$(find "${dirs[@]}" -type f | wc -l)
	# the limits the inputs were found under (tests/fuzz/run): a size
	# libtracecmd reads from the file and mallocs (3.9 GB for one kbuf
	# input) costs ASan's allocator 2 GB of RSS, a normal build 3 MB
	"$bin" -runs=0 -close_fd_mask=3 -rss_limit_mb=6000 -malloc_limit_mb=8192 \
		-artifact_prefix="$T_TMP/$n-" \
		"${dirs[@]}" > "$T_TMP/$n.log" 2>&1
	rc=$?
	if [ $rc = 0 ] && grep -q '^Done\|INITED' "$T_TMP/$n.log"; then
		t_ok "fuzz corpus: $n, $count inputs, no sanitizer report"
	else
		t_fail "fuzz corpus: $n (exit $rc)" \
			"$(grep -m3 -E 'ERROR|SUMMARY|Running: ' "$T_TMP/$n.log" | tr '\n' ' ')"
	fi
done

# The crash inputs through the real binaries: exit 2, the file named.
for f in "$FUZZ"/regress/kbuf/* "$FUZZ"/regress/tracecmd/*; do
	[ -f "$f" ] || continue
	for reader in kbuf libtracecmd; do
		for bin in "$PS" "$PS_ASAN"; do
			PAGESTATE_READER=$reader "$bin" replay "$f" \
				> /dev/null 2> "$T_TMP/err"
			rc=$?
			name="regression $(basename "$f"), $reader reader ($(basename "$bin"))"
			if [ $rc = 2 ] && grep -q "error: $f: " "$T_TMP/err"; then
				t_ok "$name: exit 2, names the file"
			else
				t_fail "$name" "exit $rc: $(head -c 300 "$T_TMP/err")"
			fi
		done
	done
done
