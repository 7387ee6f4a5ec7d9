# Shared by every tests/t/*.sh script.  Source it, then report each check
# with t_ok / t_fail / t_skip.  tests/run counts the lines they print:
#   ok - <name>
#   not ok - <name> # <why>
#   skip - <name> # <why>
# A check that needs root, tracefs or qemu and cannot get them says skip
# with the reason; on CI (CI=true) such a skip counts as a failure, since
# the CI machine has all of them.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PS="$TOP/pagestate"
# make mutants points the ASan checks at its plain mutated build: they are
# about memory errors, which its mutants are not, and rebuilding with ASan
# per mutant would cost minutes.
PS_ASAN=${PAGESTATE_TEST_ASAN:-"$TOP/pagestate-asan"}
WORKLOADS="$TOP/tests/workloads"
FIXTURES="$TOP/tests/fixtures"
# Scratch space for this script, removed at exit unless a check failed:
# then, as git's test-lib keeps its trash directory, it stays with its
# recordings, check outputs and console logs, and its path is printed
# (PAGESTATE_TEST_KEEP=0 removes it anyway, PAGESTATE_TEST_KEEP=all keeps
# it after a pass too).
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pagestate-test.XXXXXX")
t_cleanup() {
	if [ "${PAGESTATE_TEST_KEEP:-}" = all ]; then
		echo "kept: $T_TMP"
	elif [ -e "$T_TMP/.failed" ] && [ "${PAGESTATE_TEST_KEEP:-1}" != 0 ]; then
		echo "kept for the failure: $T_TMP"
	else
		rm -rf "$T_TMP"
	fi
}
trap t_cleanup EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TOP/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=99}

t_ok()   { echo "ok - $1"; }
t_fail() { echo "not ok - $1 # ${2:-}"; : >"$T_TMP/.failed"; }
t_skip() {
	if [ "${CI:-}" = true ]; then
		echo "not ok - $1 # skipped on CI: ${2:-}"
		: >"$T_TMP/.failed"
	else
		echo "skip - $1 # ${2:-}"
	fi
}

# t_vm_why LOG: why tests/vm/run failed, for t_fail: what it said (a
# panic, a timeout) and the console's last lines, on one line.
t_vm_why() {
	{ grep -a -m3 '^vm/run: [^ ]' "$1"; tail -n3 "$1"; } | tr -d '\r' | tr '\n' ' '
}

# t_check NAME CMD...: ok if CMD succeeds.
t_check() {
	local name=$1; shift
	if "$@"; then t_ok "$name"; else t_fail "$name" "failed: $*"; fi
}

# Why this machine cannot record, or nothing if it can.
t_no_tracing() {
	[ "$(id -u)" = 0 ] || { echo "not root"; return; }
	if [ ! -d /sys/kernel/tracing/events ]; then
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
			{ echo "tracefs cannot be mounted"; return; }
	fi
	[ -e /sys/kernel/tracing/events/kmem/mm_page_alloc ] ||
		echo "kernel lacks kmem:mm_page_alloc"
}

# Per-event record counts of FILE as `trace-cmd report` prints them,
# "name count" sorted: the event name is the word after the timestamp.
t_tracecmd_counts() {
	trace-cmd report "$1" 2>/dev/null |
		awk '{ for (i = 1; i < NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) {
			e = $(i + 1); sub(":$", "", e); n[e]++; break } }
		     END { for (e in n) print e, n[e] }' | sort
}

# The same counts from a `pagestate replay` summary on stdin.
t_replay_counts() {
	awk '/^events:/ { on = 1; next } /^$/ { on = 0 } on { print $1, $2 }' | sort
}

# Is the JSON file $1 valid against doc/report.schema.json, the schema of
# every JSON pagestate writes?  Debian's python3-jsonschema; errors on
# stderr.
t_json_valid() {
	/usr/bin/python3 - "$TOP/doc/report.schema.json" "$1" <<'PYEOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))
PYEOF
}

# "OVERRUN DROPPED MISSED" from the lost-events line of a `pagestate
# replay` summary on stdin ("0 0 0" for a recording that lost nothing).
t_lost() {
	sed -n 's/^lost events: \([0-9]*\) overrun, \([0-9]*\) dropped.*; \([0-9]*\) missed.*/\1 \2 \3/p'
}

# t_collapsed_from FILE BEFORE AFTER [N]: the timeline of page BEFORE
# (the workload's page before a collapse) goes on into the successful
# collapse into the THP AFTER, whose lineage names N (512) parents with
# BEFORE among them.  Counting the parents alone would pass a lineage of
# 512 wrong pfns, or the same one 512 times.
t_collapsed_from() {
	local f=$1 before=$2 after=$3 n=${4:-512} tl
	[ -n "$before" ] && [ -n "$after" ] || return 1
	tl=$("$PS" replay "$f" --pfn "$before") || return 1
	printf '%s\n' "$tl" | grep -A1 "collapse  *succeeded | folio $after/" |
		grep "lineage: collapse from $n folios: " |
		grep -q -e "[:,] $before/0[,( ]" -e "[:,] $before/0\$" -e "($before among them)"
}

# t_judge_recording LABEL FILE [MIN_PCT]: a recording of a clean kernel
# (the vm-selftests corpora) must lose no event (a loss leaves windows
# nothing can verify), replay with 0 engine anomalies, agree on all of M
# pages with its exit snapshot with M > 0 (0/0 would claim agreement on
# nothing), mapcount compared on at least MIN_PCT% of them (100 unless
# given), and pass check.  Prints the figures; leaves FILE.sum, .verify
# and .check beside FILE.
t_judge_recording() {
	local name=$1 f=$2 min=${3:-100} anom lost rc
	if [ ! -s "$f" ]; then
		t_fail "$name recorded" "no $f"
		return
	fi
	"$PS" replay "$f" > "$f.sum"
	anom=$(sed -n 's/^engine anomalies: //p' "$f.sum")
	lost=$(t_lost < "$f.sum")
	"$PS" replay --verify "$f" > "$f.verify"
	set -- $(sed -n 's/^agree \([0-9]*\)\/\([0-9]*\) pages.*mapcount compared on \([0-9]*\).*/\1 \2 \3/p' "$f.verify")
	echo "$name: $(grep "^records" "$f.sum"), lost ${lost:-?}; $(head -1 "$f.verify")"
	if [ "$lost" = "0 0 0" ] && [ "$anom" = 0 ] && [ -n "${3:-}" ] &&
	   [ "$1" = "$2" ] && [ "$2" -gt 0 ] && [ $(( $3 * 100 )) -ge $(( $2 * min )) ]; then
		t_ok "$name: 0 lost, 0 anomalies, agree $1/$2 pages, mapcount on $3"
	else
		t_fail "$name: lost/anomalies/verify" \
			"lost=${lost:-?} anomalies=${anom:-?} $(head -1 "$f.verify")"
	fi
	"$PS" check "$f" > "$f.check"; rc=$?
	if [ "$rc" = 0 ]; then
		t_ok "$name: check finds no break"
	else
		t_fail "$name: check" "exit $rc: $(grep -m2 BREAK "$f.check")"
	fi
}

# Per-field end-state agreement of a `pagestate replay --verify` output
# ($1): t_fields_agree FILE FIELD... succeeds when every FIELD's line is
# "FIELD agree N/N" with N > 0, and otherwise says which one is not on
# stderr.  t_fields_not_compared FILE FIELD... succeeds when every FIELD
# says "not compared" (and so claims no agreement).
t_fields_agree() {
	local f=$1 fld n m; shift
	for fld; do
		set -- $(sed -n "s/^$fld  *agree \([0-9]*\)\/\([0-9]*\)$/\1 \2/p" "$f")
		n=${1:-}; m=${2:-}
		if [ -z "$m" ] || [ "$n" != "$m" ] || [ "$m" = 0 ]; then
			echo "$fld: $(grep "^$fld " "$f")" >&2
			return 1
		fi
	done
}
# Every field of a --verify output ($1) either agrees N/N or says it was
# not compared: no disagreement, no field missing.
t_fields_clean() {
	local f=$1 fld
	for fld in liveness order refcount mapcount pincount flags; do
		grep -q "^$fld  *not compared: " "$f" ||
			t_fields_agree "$f" "$fld" || return 1
	done
}
t_fields_not_compared() {
	local f=$1 fld; shift
	for fld; do
		grep -q "^$fld  *not compared: " "$f" && ! grep -q "^$fld  *agree" "$f" ||
			{ echo "$fld: $(grep "^$fld " "$f")" >&2; return 1; }
	done
}
