# For the tui tests that drive one browser in tmux: source after lib.sh
# and set $s to the session name.  The tmux server runs without CI in its
# environment (the tui refuses to start when CI=true) and goes away with
# the script.
SOCK="pagestate-test-$$"
trap 'tmux -L "$SOCK" kill-server 2> /dev/null; rm -rf "$T_TMP"' EXIT

# tui_term CMD: a 120x40 terminal running CMD (a shell line)
tui_term() { env -u CI tmux -L "$SOCK" new-session -d -s "$s" -x 120 -y 40 "$1"; }
screen() { tmux -L "$SOCK" capture-pane -t "$s" -p; }
keys() { tmux -L "$SOCK" send-keys -t "$s" "$@"; }
# wait_for PATTERN [SECONDS]: PATTERN on the screen within SECONDS (10)
wait_for() {
	local i n=$(( ${2:-10} * 20 ))
	for i in $(seq 1 "$n"); do
		screen | grep -q -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
# the selected line of the current view
selected() { screen | grep '^>' | head -1; }
