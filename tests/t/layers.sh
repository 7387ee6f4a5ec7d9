# Arrows point down only (doc/design.md): every #include "..." in the
# sources is checked against the layer order
#
#   tui -> analyze -> replay -> common        record -> common
#
# A file may include its own layer's headers and those of the layers
# below; pagestate.c (the command table) may include any; tests/ are not
# a layer.  The headers in include/pagestate/ belong to the layers named
# in header_layer(); a header missing there fails the test, so a new one
# must be placed.  The check is then run on a copy of the tree with two
# upward includes planted, to show that it can fail.
source "$(dirname "$0")/../lib.sh"

header_layer() {
	case "$1" in
	pagestate.h|builtin.h|pageop.h|jsonutil.h|u64map.h|recording.h|probes.h)
		echo common ;;
	folio.h|trace.h|verify.h|progress.h)
		echo replay ;;
	rule.h|check.h|index.h|json.h|holders.h)
		echo analyze ;;
	*)	echo unknown ;;
	esac
}

rank() {
	case "$1" in
	common) echo 0 ;;
	replay) echo 1 ;;
	analyze) echo 2 ;;
	tui) echo 3 ;;
	*) echo 9 ;;
	esac
}

# The layer of a file by where it lives (a path relative to the top).
file_layer() {
	case "$1" in
	include/pagestate/*) header_layer "${1#include/pagestate/}" ;;
	common/*|record/*|replay/*|analyze/*|tui/*) echo "${1%%/*}" ;;
	pagestate.c) echo main ;;
	*) echo unknown ;;
	esac
}

# May a file of layer $1 include a header of layer $2?
allowed() {
	[ "$1" = main ] && return 0
	[ "$1" = "$2" ] && return 0
	[ "$2" = common ] && return 0
	if [ "$1" = record ] || [ "$2" = record ]; then
		return 1
	fi
	[ "$(rank "$2")" -le "$(rank "$1")" ]
}

# Prints "file:line: includes "x": why" for every include of the tree at
# $1 that breaks the order, and "checked N" at the end.
scan() {
	local top=$1 f from to line inc dir path n=0

	for f in $(cd "$top" && ls pagestate.c include/pagestate/*.h \
		   common/*.[ch] record/*.[ch] replay/*.[ch] analyze/*.[ch] \
		   tui/*.[ch] 2> /dev/null); do
		from=$(file_layer "$f")
		if [ "$from" = unknown ]; then
			echo "$f: belongs to no layer (add it to header_layer())"
			continue
		fi
		while IFS=: read -r line inc; do
			n=$((n + 1))
			case "$inc" in
			pagestate/*)
				to=$(header_layer "${inc#pagestate/}") ;;
			*)	# a private header: where it really is
				dir=$(dirname "$f")
				path=$(realpath -m --relative-to="$top" \
					"$top/$dir/$inc")
				to=$(file_layer "$path")
				[ -e "$top/$path" ] || to=unknown ;;
			esac
			if [ "$to" = unknown ]; then
				echo "$f:$line: includes \"$inc\": a header of no layer"
			elif ! allowed "$from" "$to"; then
				echo "$f:$line: includes \"$inc\": $from may not include $to"
			fi
		done < <(grep -n '^#include "' "$top/$f" |
			 sed 's/^\([0-9]*\):#include "\([^"]*\)".*/\1:\2/')
	done
	echo "checked $n"
}

scan "$TOP" > "$T_TMP/scan"
n=$(sed -n 's/^checked //p' "$T_TMP/scan")
grep -v '^checked ' "$T_TMP/scan" | while read -r v; do
	t_fail "layers: $v" "arrows point down: tui -> analyze -> replay -> common, record -> common"
done
t_check "layers: $n includes, none upward" \
	test "$(grep -vc '^checked ' "$T_TMP/scan")" = 0 -a "$n" -gt 50

# The check must be able to fail: plant an analyze header in replay/ and
# a tui header (by relative path) in common/ of a copy.
mkdir "$T_TMP/tree"
(cd "$TOP" && cp -r pagestate.c include common record replay analyze tui \
	"$T_TMP/tree/")
sed -i '0,/^#include "pagestate/s//#include "pagestate\/check.h"\n&/' \
	"$T_TMP/tree/replay/replay.c"
sed -i '0,/^#include "pagestate/s//#include "..\/tui\/tui.h"\n&/' \
	"$T_TMP/tree/common/usage.c"
scan "$T_TMP/tree" > "$T_TMP/planted"
t_check "layers: the check finds replay including analyze's check.h" \
	grep -q '^replay/replay.c:[0-9]*: includes "pagestate/check.h": replay may not include analyze$' "$T_TMP/planted"
t_check "layers: ...and common including ../tui/tui.h" \
	grep -q '^common/usage.c:[0-9]*: includes "../tui/tui.h": common may not include tui$' "$T_TMP/planted"
t_check "layers: ...and nothing else" \
	test "$(grep -vc '^checked ' "$T_TMP/planted")" = 2
