# bash completion for twill(8)
# SPDX-License-Identifier: GPL-2.0

_twill_devices()
{
	twill show interfaces 2>/dev/null
}

_twill()
{
	local cur prev words cword
	_init_completion || return

	local cmds="show showconf set setconf addconf syncconf route monitor nat service help"
	local natkeys="masquerade exclude to ports max-flows"
	local settings="listen-port vni fwmark local link mac port-range ttl tos df udp-csum max-peers max-prefixes direct peer"
	local peeropts="mac prefixes direct remove update-only peer"
	local opts="-j -p --json --pretty --help --version"

	# options before the command (twill -j show): drop them, as iproute2
	local i=1
	while [[ $i -lt $cword && ${words[i]} == -* ]]; do
		((i++))
	done
	if ((i > 1)); then
		words=(twill "${words[@]:i}")
		cword=$((cword - i + 1))
	fi

	if [[ $cword -eq 1 ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
		fi
		return
	fi

	case "${words[1]}" in
	show)
		if [[ $cword -eq 2 ]]; then
			COMPREPLY=($(compgen -W "all interfaces $(_twill_devices) -j -p" -- "$cur"))
		elif [[ $cword -eq 3 ]]; then
			COMPREPLY=($(compgen -W "dump -j -p" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "-j -p" -- "$cur"))
		fi
		;;
	showconf)
		[[ $cword -eq 2 ]] && COMPREPLY=($(compgen -W "$(_twill_devices)" -- "$cur"))
		;;
	monitor)
		[[ $cword -eq 2 ]] && COMPREPLY=($(compgen -W "$(_twill_devices) -j" -- "$cur"))
		;;
	setconf|addconf|syncconf)
		if [[ $cword -eq 2 ]]; then
			COMPREPLY=($(compgen -W "$(_twill_devices)" -- "$cur"))
		elif [[ $cword -eq 3 ]]; then
			_filedir
		fi
		;;
	route)
		if [[ $cword -eq 2 ]]; then
			COMPREPLY=($(compgen -W "get" -- "$cur"))
		elif [[ $cword -eq 3 ]]; then
			COMPREPLY=($(compgen -W "$(_twill_devices)" -- "$cur"))
		fi
		;;
	help)
		[[ $cword -eq 2 ]] && COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
		;;
	nat)
		if [[ $cword -eq 2 ]]; then
			COMPREPLY=($(compgen -W "set show flows" -- "$cur"))
			return
		fi
		case "${words[2]}" in
		show)
			if [[ $cword -eq 3 ]]; then
				COMPREPLY=($(compgen -W "all $(_twill_devices) -j -p" -- "$cur"))
			else
				COMPREPLY=($(compgen -W "-j -p" -- "$cur"))
			fi
			;;
		flows)
			if [[ $cword -eq 3 ]]; then
				COMPREPLY=($(compgen -W "$(_twill_devices)" -- "$cur"))
			else
				COMPREPLY=($(compgen -W "-j -p" -- "$cur"))
			fi
			;;
		set)
			if [[ $cword -eq 3 ]]; then
				COMPREPLY=($(compgen -W "$(_twill_devices)" -- "$cur"))
				return
			fi
			case "$prev" in
			exclude) COMPREPLY=($(compgen -W "none" -- "$cur")); return ;;
			to) COMPREPLY=($(compgen -W "auto" -- "$cur")); return ;;
			masquerade|ports|max-flows) return ;;
			off) return ;;
			esac
			# keys not given yet; "off" only alone
			local i w left=""
			for w in $natkeys; do
				for ((i = 4; i < cword; i++)); do
					[[ ${words[i]} == "$w" ]] && continue 2
				done
				left="$left $w"
			done
			[[ $cword -eq 4 ]] && left="$left off"
			COMPREPLY=($(compgen -W "$left" -- "$cur"))
			;;
		esac
		;;
	service)
		if [[ $cword -eq 2 ]]; then
			COMPREPLY=($(compgen -W "set show config" -- "$cur"))
			return
		fi
		if [[ $cword -eq 3 ]]; then
			COMPREPLY=($(compgen -W "$(_twill_devices)" -- "$cur"))
			return
		fi
		if [[ ${words[2]} == show ]]; then
			COMPREPLY=($(compgen -W "-j -p" -- "$cur"))
			return
		fi
		if [[ ${words[2]} == config ]]; then
			case "$prev" in
			max-services|max-backends|maglev-size) return ;;
			esac
			COMPREPLY=($(compgen -W "max-services max-backends maglev-size" -- "$cur"))
			return
		fi
		# set DEV ADDR:PORT/PROTO ...: the key is the user's to type
		[[ $cword -eq 4 ]] && return
		case "$prev" in
		affinity) COMPREPLY=($(compgen -W "off 10800" -- "$cur")); return ;;
		state) COMPREPLY=($(compgen -W "active terminating maintenance" -- "$cur")); return ;;
		backend|weight|remove) return ;;
		esac
		local i in_backend=0 w
		for ((i = 5; i < cword; i++)); do
			w=${words[i]}
			[[ $w == remove ]] && return
			[[ $w == backend ]] && in_backend=1
		done
		if [[ $in_backend -eq 1 ]]; then
			COMPREPLY=($(compgen -W "backend weight state affinity" -- "$cur"))
		elif [[ $cword -eq 5 ]]; then
			COMPREPLY=($(compgen -W "affinity backend remove" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "affinity backend" -- "$cur"))
		fi
		;;
	set)
		if [[ $cword -eq 2 ]]; then
			COMPREPLY=($(compgen -W "$(_twill_devices)" -- "$cur"))
			return
		fi
		case "$prev" in
		df) COMPREPLY=($(compgen -W "set unset inherit" -- "$cur")); return ;;
		udp-csum) COMPREPLY=($(compgen -W "on off" -- "$cur")); return ;;
		# after "peer ENDPOINT" it is the peer's flag, else the device's
		direct)
			local j w=off
			for ((j = 3; j < cword - 1; j++)); do
				[[ ${words[j]} == peer ]] && w=on
			done
			if [[ $w == on ]]; then
				COMPREPLY=($(compgen -W "on off" -- "$cur"))
			else
				COMPREPLY=($(compgen -W "off auto" -- "$cur"))
			fi
			return ;;
		ttl|tos) COMPREPLY=($(compgen -W "inherit" -- "$cur")); return ;;
		local) COMPREPLY=($(compgen -W "none" -- "$cur")); return ;;
		# names are resolved by the kernel in the namespace that created
		# the device; those here are a guess that fits the usual case
		link) COMPREPLY=($(compgen -W "none $(ls /sys/class/net 2>/dev/null)" -- "$cur")); return ;;
		listen-port|vni|fwmark|mac|port-range|max-peers|max-prefixes|peer|prefixes) return ;;
		esac
		local i in_peer=0
		for ((i = 3; i < cword; i++)); do
			[[ ${words[i]} == peer ]] && in_peer=1
		done
		if [[ $in_peer -eq 1 ]]; then
			COMPREPLY=($(compgen -W "$peeropts" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$settings" -- "$cur"))
		fi
		;;
	esac
} && complete -F _twill twill
