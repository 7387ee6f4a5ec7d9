# bash completion for pagestate.  Installed by `make install` into
# $(PREFIX)/share/bash-completion/completions/pagestate.
#
# Subcommands and options are asked of the binary itself (`pagestate -h`,
# `pagestate CMD -h`), as git's completion asks git, so a new command or
# option completes without touching this file.

_pagestate_cmds()
{
	"$1" -h 2>&1 | awk '/^commands:/ { on = 1; next } on && !NF { exit } on { print $1 }'
}

_pagestate_opts()
{
	"$1" "$2" -h 2>&1 | awk '/^    -/ {
		for (i = 1; i <= NF; i++) {
			w = $i; sub(",$", "", w)
			if (w ~ /^--?[a-z]/) print w; else break
		} }'
}

_pagestate()
{
	local cur prev bin cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	bin=${COMP_WORDS[0]}
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "$(_pagestate_cmds "$bin") --help --version" -- "$cur"))
		return
	fi
	# after `record ... --`, the workload's own command line
	for ((i = 2; i < COMP_CWORD; i++)); do
		if [ "${COMP_WORDS[i]}" = "--" ]; then
			COMPREPLY=($(compgen -c -- "$cur"))
			return
		fi
	done
	case $prev in
	-o|--output) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	esac
	# --stack-on=LIST: its keyword (event names are the kernel's)
	if [ "$prev" = "=" ] && [ "${COMP_WORDS[COMP_CWORD - 2]}" = --stack-on ] ||
	   [ "$prev" = --stack-on ]; then
		COMPREPLY=($(compgen -W holders -- "$cur"))
		return
	fi
	case $cur in
	-*) COMPREPLY=($(compgen -W "$(_pagestate_opts "$bin" "$cmd")" -- "$cur")) ;;
	*) COMPREPLY=($(compgen -f -X '!*.dat' -- "$cur") $(compgen -d -- "$cur")) ;;
	esac
}
complete -F _pagestate pagestate
