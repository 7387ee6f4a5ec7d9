# `pagestate record --list-capabilities` says what this kernel offers:
# each event group with its event count (filemap too), page_ref, kprobe_events,
# options/stacktrace, and the profile a recording would use.
source "$(dirname "$0")/../lib.sh"

why=$(t_no_tracing)
if [ -n "$why" ]; then
	t_skip "record --list-capabilities" "$why"
	exit 0
fi

"$PS" record --list-capabilities > "$T_TMP/out" 2> "$T_TMP/err"
t_check "--list-capabilities exits 0 with quiet stderr" \
	test $? = 0 -a ! -s "$T_TMP/err"
n=$(ls /sys/kernel/tracing/events/kmem | grep -cv -e '^enable$' -e '^filter$')
t_check "lists kmem with its $n events" \
	grep -q "^events/kmem  *present ($n events)" "$T_TMP/out"
t_check "says whether page_ref exists" grep -q "^events/page_ref  *\(present\|absent\)" "$T_TMP/out"
t_check "says whether filemap exists (its page cache events)" \
	grep -q "^events/filemap  *\(present\|absent\)" "$T_TMP/out"
t_check "says whether kprobe_events exists" grep -q "^kprobe_events " "$T_TMP/out"
t_check "says whether options/stacktrace exists" grep -q "^options/stacktrace " "$T_TMP/out"
if [ -d /sys/kernel/tracing/events/page_ref ]; then want=page_ref; else want=host; fi
t_check "names the profile ($want)" grep -q "^profile  *$want$" "$T_TMP/out"
