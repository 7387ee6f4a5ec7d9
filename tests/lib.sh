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
PS_ASAN="$TOP/pagestate-asan"
WORKLOADS="$TOP/tests/workloads"
FIXTURES="$TOP/tests/fixtures"
# Scratch space for this script, removed at exit.
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pagestate-test.XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TOP/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=99}

t_ok()   { echo "ok - $1"; }
t_fail() { echo "not ok - $1 # ${2:-}"; }
t_skip() {
	if [ "${CI:-}" = true ]; then
		echo "not ok - $1 # skipped on CI: ${2:-}"
	else
		echo "skip - $1 # ${2:-}"
	fi
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
