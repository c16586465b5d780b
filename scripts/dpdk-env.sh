# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Select one DPDK 22.11 install explicitly. Both installs on this machine
# use the same sonames (librte_eal.so.23, ...), so whichever the dynamic
# loader finds first wins; mixing them fails in confusing ways (a plugin
# registering on a bus of the other install, two EALs). This file makes
# the choice visible and checkable.
#
#   . scripts/dpdk-env.sh            ours: built by scripts/setup.sh
#   . scripts/dpdk-env.sh --stock    Debian's dpdk package (reference peer)
#   scripts/dpdk-env.sh --print [--stock]   print the exports (for eval)
#   scripts/dpdk-env.sh --check [--stock]   select, then run dpdk_env_check
#
# Exports DPDK_FLAVOUR (ours|stock), DPDK_PREFIX, PKG_CONFIG_PATH,
# LD_LIBRARY_PATH, DPDK_PMD_DIR (the directory EAL loads plugins from) and
# DPDK_TESTPMD. Defines dpdk_env_check.

_dpdk_env_cache=${VMBUS_NETVSC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmbus-netvsc}

_dpdk_env_err() { printf 'dpdk-env: error: %s\n' "$*" >&2; }

# Drops from the colon list $1 every entry under one of the directories
# that follow, so switching flavours in one shell leaves nothing behind.
_dpdk_env_strip() {
	local list=$1 out='' entry dir keep
	shift
	local IFS=:
	for entry in $list; do
		[ -n "$entry" ] || continue
		keep=1
		for dir in "$@"; do
			[ -n "$dir" ] || continue
			case "$entry" in "$dir" | "$dir"/*) keep=0 ;; esac
		done
		[ "$keep" -eq 0 ] || out=${out:+$out:}$entry
	done
	printf '%s' "$out"
}

# The plugin directory EAL was compiled with, read from the install's
# own rte_build_config.h rather than guessed from a version number.
_dpdk_env_pmd_dir() {
	local cfg
	cfg=$(find "$@" -name rte_build_config.h 2>/dev/null | head -n1)
	[ -n "$cfg" ] || return 1
	sed -n 's/^#define RTE_EAL_PMD_PATH "\(.*\)"$/\1/p' "$cfg"
}

_dpdk_env_select() {
	local flavour=$1 prefix pmd old_prefix=${DPDK_PREFIX:-}
	local ppath lpath
	[ "$old_prefix" != /usr ] || old_prefix=''
	ppath=$(_dpdk_env_strip "${PKG_CONFIG_PATH:-}" "$_dpdk_env_cache" "$old_prefix")
	lpath=$(_dpdk_env_strip "${LD_LIBRARY_PATH:-}" "$_dpdk_env_cache" "$old_prefix")
	if [ "$flavour" = stock ]; then
		[ -x /usr/bin/dpdk-testpmd ] || {
			_dpdk_env_err "Debian's dpdk package is not installed (run scripts/setup.sh)"
			return 1
		}
		prefix=/usr
		pmd=$(_dpdk_env_pmd_dir /usr/include/dpdk /usr/include/*-linux-gnu/dpdk) || {
			_dpdk_env_err "no rte_build_config.h: is dpdk-dev installed?"
			return 1
		}
		export DPDK_TESTPMD=/usr/bin/dpdk-testpmd
	else
		prefix=${DPDK_OURS_PREFIX:-$(readlink -f "$_dpdk_env_cache/dpdk-current" 2>/dev/null || true)}
		if [ -z "$prefix" ] || [ ! -f "$prefix/.vmbus-netvsc-complete" ]; then
			_dpdk_env_err "our DPDK is not built under $_dpdk_env_cache (run scripts/setup.sh)"
			return 1
		fi
		pmd=$(_dpdk_env_pmd_dir "$prefix/include") || {
			_dpdk_env_err "no rte_build_config.h under $prefix/include"
			return 1
		}
		ppath=$prefix/lib/pkgconfig${ppath:+:$ppath}
		lpath=$prefix/lib${lpath:+:$lpath}
		export DPDK_TESTPMD=$prefix/bin/dpdk-testpmd
	fi
	export DPDK_FLAVOUR=$flavour DPDK_PREFIX=$prefix DPDK_PMD_DIR=$pmd
	if [ -n "$ppath" ]; then export PKG_CONFIG_PATH=$ppath; else unset PKG_CONFIG_PATH; fi
	if [ -n "$lpath" ]; then export LD_LIBRARY_PATH=$lpath; else unset LD_LIBRARY_PATH; fi
}

# Where the loader resolves librte_eal.so for binary $1, symlinks resolved.
_dpdk_env_eal_of() {
	local path
	path=$(ldd "$1" 2>/dev/null | awk '$1 ~ /^librte_eal\.so/ { print $3; exit }')
	[ -n "$path" ] && [ "$path" != "not" ] || return 1
	readlink -f "$path"
}

_dpdk_env_expect_lib_dir() {
	if [ "$DPDK_FLAVOUR" = stock ]; then
		readlink -f "$(dirname "$(find /usr/lib /lib -maxdepth 2 -name 'librte_eal.so.*' 2>/dev/null | head -n1)")"
	else
		readlink -f "$DPDK_PREFIX/lib"
	fi
}

# Fails loudly unless the selected testpmd, the plugins in the selected
# plugin directory and pkg-config all point at the selected install.
dpdk_env_check() {
	local want eal plugin n=0 bad=0 pc_prefix
	if [ -z "${DPDK_FLAVOUR:-}" ] || [ ! -x "${DPDK_TESTPMD:-}" ]; then
		_dpdk_env_err "no DPDK selected: source scripts/dpdk-env.sh first"
		return 1
	fi
	want=$(_dpdk_env_expect_lib_dir)
	eal=$(_dpdk_env_eal_of "$DPDK_TESTPMD") || {
		_dpdk_env_err "$DPDK_TESTPMD: librte_eal not resolvable (ldd)"
		return 1
	}
	if [ "$(dirname "$eal")" != "$want" ]; then
		_dpdk_env_err "MIXED DPDK INSTALLS: $DPDK_TESTPMD ($DPDK_FLAVOUR) loads $eal, expected one in $want; check LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
		return 1
	fi
	for plugin in "$DPDK_PMD_DIR"/librte_*.so; do
		[ -e "$plugin" ] || continue
		n=$((n + 1))
		eal=$(_dpdk_env_eal_of "$plugin") || continue
		if [ "$(dirname "$eal")" != "$want" ]; then
			_dpdk_env_err "MIXED DPDK INSTALLS: plugin $plugin loads $eal, expected one in $want"
			bad=1
		fi
	done
	[ "$bad" -eq 0 ] || return 1
	pc_prefix=$(pkg-config --variable=prefix libdpdk 2>/dev/null || true)
	if [ "$(readlink -f "${pc_prefix:-/nonexistent}")" != "$(readlink -f "$DPDK_PREFIX")" ]; then
		_dpdk_env_err "MIXED DPDK INSTALLS: pkg-config libdpdk has prefix '${pc_prefix}', selected $DPDK_PREFIX"
		return 1
	fi
	printf 'dpdk-env: %s DPDK %s at %s: testpmd, %d plugins and pkg-config consistent\n' \
		"$DPDK_FLAVOUR" "$(pkg-config --modversion libdpdk)" "$DPDK_PREFIX" "$n"
}

_dpdk_env_main() {
	local flavour=ours action=source
	while [ $# -gt 0 ]; do
		case "$1" in
		--stock) flavour=stock ;;
		--ours) flavour=ours ;;
		--print) action=print ;;
		--check) action=check ;;
		-h | --help) action=help ;;
		*) _dpdk_env_err "unknown argument '$1'"; return 2 ;;
		esac
		shift
	done
	if [ "$action" = help ]; then
		sed -n '3,19s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
		return 0
	fi
	_dpdk_env_select "$flavour" || return 1
	case "$action" in
	print)
		local v
		for v in DPDK_FLAVOUR DPDK_PREFIX PKG_CONFIG_PATH LD_LIBRARY_PATH DPDK_PMD_DIR DPDK_TESTPMD; do
			if [ -n "${!v+x}" ]; then
				printf 'export %s=%q\n' "$v" "${!v}"
			else
				printf 'unset %s\n' "$v"
			fi
		done ;;
	check) dpdk_env_check ;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	_dpdk_env_main "$@"
else
	_dpdk_env_main "$@"
fi
