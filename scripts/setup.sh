#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Bootstrap everything the build and the tests need:
#   1. the Debian packages (toolchain, cmocka, clang/libFuzzer, the stock
#      dpdk/dpdk-dev packages used as the reference peer);
#   2. the DPDK 22.11 Debian source package, fetched with a private apt
#      configuration so /etc/apt is never modified;
#   3. our own shared DPDK build with the driver SDK and without the stock
#      vmbus/netvsc drivers, installed into a cache outside the clone.
#
# Every step checks first whether it is already done, so a second run does
# no apt work and no DPDK build and finishes in about a second.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Bump when the recipe below changes in a way the option hash cannot see.
RECIPE_REV=1

CACHE_DIR=${VMBUS_NETVSC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmbus-netvsc}

PACKAGES=(
	meson ninja-build pkg-config python3-pyelftools
	libnuma-dev libnl-3-dev libnl-route-3-dev libcmocka-dev
	clang libclang-rt-14-dev gcc dpkg-dev iproute2 iputils-ping procps valgrind
	dpdk dpdk-dev iperf3 gnuplot-nox gdb
)

# What our DPDK must contain: the test-pmd app and the drivers that tests
# and users combine with ours. bus/vmbus and net/(vdev_)netvsc are left out
# so that our plugins own those names.
DPDK_DRIVERS=(bus/pci bus/vdev mempool/ring net/null net/ring net/tap
	net/af_packet net/failsafe)
DPDK_RDMA_DRIVERS=(bus/auxiliary common/mlx5 net/mlx5 net/mana)
DPDK_DISABLED_DRIVERS=(bus/vmbus net/netvsc net/vdev_netvsc)

QUIET_APT=(-q -y -o Dpkg::Use-Pty=0)

usage() {
	cat <<EOF
Usage: $(basename "$0") [--help] [--packages-only] [--print-prefix]

Installs the Debian packages, fetches the DPDK 22.11 source package and
builds our DPDK (shared, driver SDK, test-pmd, no stock vmbus/netvsc) into
  \$VMBUS_NETVSC_CACHE (default: \${XDG_CACHE_HOME:-\$HOME/.cache}/vmbus-netvsc)
currently: $CACHE_DIR

A complete install is marked by a stamp file and reused on the next run.
Select it afterwards with: . scripts/dpdk-env.sh

  --packages-only   only install the missing Debian packages
  --print-prefix    print the DPDK prefix that would be used and exit
  --help            this text
EOF
}

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root (or sudo) for: $*"
	fi
}

# ---------------------------------------------------------------- packages

missing_packages() {
	local p status
	for p in "$@"; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[ "$status" = "install ok installed" ] || printf '%s\n' "$p"
	done
}

install_packages() {
	local missing
	mapfile -t missing < <(missing_packages "${PACKAGES[@]}")
	if [ "${#missing[@]}" -eq 0 ]; then
		say "Debian packages: all ${#PACKAGES[@]} present"
		return
	fi
	say "installing missing Debian packages: ${missing[*]}"
	# Refresh first, always: a fresh image has no lists, and old lists
	# name versions the mirror no longer has. (apt-cache show cannot tell:
	# it exits 0 when any one name is known, even only as a dependency.)
	say "running apt-get update"
	as_root apt-get "${QUIET_APT[@]}" update
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get "${QUIET_APT[@]}" install --no-install-recommends "${missing[@]}"
}

# ------------------------------------------------------------ DPDK source

# deb-src stanzas for every deb822 stanza of this Debian release (suite is
# the codename or codename-something). Third-party repositories rarely
# publish sources, and a failing one would only add noise.
derive_deb822() {
	local codename=$1 file=$2
	awk -v codename="$codename" '
	function flush() {
		if (n > 0 && has_deb && !disabled && suite_ok) {
			for (i = 1; i <= n; i++)
				print lines[i]
			print ""
		}
		n = 0; has_deb = 0; disabled = 0; suite_ok = 0
	}
	/^[ \t]*$/ { flush(); next }
	/^#/ { next }
	{
		line = $0
		if (tolower($1) == "types:") {
			for (i = 2; i <= NF; i++)
				if ($i == "deb") has_deb = 1
			line = "Types: deb-src"
		} else if (tolower($1) == "enabled:" && tolower($2) == "no") {
			disabled = 1
		} else if (tolower($1) == "suites:") {
			for (i = 2; i <= NF; i++)
				if ($i == codename || index($i, codename "-") == 1)
					suite_ok = 1
		}
		lines[++n] = line
	}
	END { flush() }' "$file"
}

# One-line format: "deb [opts] uri suite components" -> "deb-src ...".
derive_oneline() {
	local codename=$1 file=$2
	awk -v codename="$codename" '
	$1 == "deb" {
		i = 2
		if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
		suite = $(i + 1)
		if (suite != codename && index(suite, codename "-") != 1) next
		sub(/^[ \t]*deb[ \t]/, "deb-src ")
		print
	}' "$file"
}

write_private_sources() {
	local dir=$1 codename f
	codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || die "cannot tell the Debian codename from /etc/os-release"
	mkdir -p "$dir/sources.list.d"
	: >"$dir/sources.list"
	if [ -f /etc/apt/sources.list ]; then
		derive_oneline "$codename" /etc/apt/sources.list >>"$dir/sources.list"
	fi
	for f in /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		derive_oneline "$codename" "$f" >>"$dir/sources.list"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		derive_deb822 "$codename" "$f" >"$dir/sources.list.d/$(basename "$f")"
	done
	if ! grep -qs . "$dir/sources.list" "$dir"/sources.list.d/*.sources; then
		die "no apt source for '$codename' found in /etc/apt to derive deb-src entries from"
	fi
}

# Version of the DPDK source to fetch: the one of the installed stock
# package, so our build and the reference peer come from the same release.
stock_dpdk_version() {
	dpkg-query -W -f='${Version}' dpdk 2>/dev/null || true
}

fetch_dpdk_source() {
	local debver=$1 dest=$2 tmp
	local -a apt_opts
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" RETURN
	write_private_sources "$tmp/etc"
	mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial"
	apt_opts=(
		-o "Dir::Etc::SourceList=$tmp/etc/sources.list"
		-o "Dir::Etc::SourceParts=$tmp/etc/sources.list.d"
		-o "Dir::State::Lists=$tmp/lists"
		-o "Dir::Cache=$tmp/cache"
	)
	# The private directories are not readable by the _apt sandbox user.
	[ "$(id -u)" -ne 0 ] || apt_opts+=(-o APT::Sandbox::User=root)
	say "private apt-get update (deb-src only; /etc/apt untouched)"
	# A source that publishes no Sources index makes update exit non-zero
	# while the others still succeed; apt-get source decides below.
	apt-get -q "${apt_opts[@]}" update || say "warning: private apt-get update reported errors"
	mkdir -p "$dest.part"
	say "apt-get source dpdk=$debver"
	(cd "$dest.part" && apt-get -q "${apt_opts[@]}" source "dpdk=$debver") ||
		die "apt-get source dpdk=$debver failed"
	rm -rf "$dest"
	mv "$dest.part" "$dest"
}

# Prints the extracted source tree of DPDK for Debian version $1.
dpdk_source_tree() {
	local debver=$1 dest tree
	dest="$CACHE_DIR/src/dpdk_$debver"
	if [ ! -f "$dest/.complete" ]; then
		fetch_dpdk_source "$debver" "$dest" >&2
		touch "$dest/.complete"
	fi
	tree=$(find "$dest" -mindepth 2 -maxdepth 2 -name VERSION -printf '%h\n' | head -n1)
	[ -n "$tree" ] || die "no DPDK tree with a VERSION file under $dest"
	printf '%s\n' "$tree"
}

# ------------------------------------------------------------- DPDK build

has_meson_option() {
	grep -q "option('$2'" "$1/meson_options.txt"
}

# Fills DPDK_OPTS (without the prefix) for source tree $1.
compute_dpdk_options() {
	local tree=$1 drivers apps
	local -a all_apps=()
	drivers=("${DPDK_DRIVERS[@]}")
	if [ -z "$(missing_packages libibverbs-dev)" ]; then
		drivers+=("${DPDK_RDMA_DRIVERS[@]}")
	fi
	DPDK_OPTS=(
		--libdir=lib
		--buildtype=release
		-Ddefault_library=shared
		-Denable_driver_sdk=true
		"-Denable_drivers=$(IFS=,; printf '%s' "${drivers[*]}")"
		"-Ddisable_drivers=$(IFS=,; printf '%s' "${DPDK_DISABLED_DRIVERS[*]}")"
		-Dtests=false
		-Dexamples=
		-Denable_docs=false
		-Denable_kmods=false
	)
	if has_meson_option "$tree" enable_apps; then
		DPDK_OPTS+=(-Denable_apps=test-pmd)
	else
		for apps in "$tree"/app/*/meson.build; do
			apps=$(basename "$(dirname "$apps")")
			[ "$apps" = test-pmd ] || all_apps+=("$apps")
		done
		DPDK_OPTS+=("-Ddisable_apps=$(IFS=,; printf '%s' "${all_apps[*]}")")
	fi
	# A generic instruction set so the result runs on any x86_64 machine.
	if has_meson_option "$tree" cpu_instruction_set; then
		DPDK_OPTS+=(-Dcpu_instruction_set=generic)
	else
		DPDK_OPTS+=(-Dmachine=default)
	fi
}

options_hash() {
	printf '%s\n' "rev=$RECIPE_REV" "$@" | sha256sum | cut -c1-10
}

check_drivers_installed() {
	local prefix=$1 pmd_dir=$2 d lib
	for d in "${DPDK_DRIVERS[@]}"; do
		lib="librte_${d/\//_}.so"
		[ -e "$pmd_dir/$lib" ] || [ -e "$prefix/lib/$lib" ] ||
			die "requested driver $d was not built (missing $lib); see the meson log"
	done
	for d in "${DPDK_DISABLED_DRIVERS[@]}"; do
		lib="librte_${d/\//_}.so"
		[ ! -e "$prefix/lib/$lib" ] || die "stock driver $d was built although disabled"
	done
	[ -x "$prefix/bin/dpdk-testpmd" ] || die "dpdk-testpmd missing in $prefix/bin"
}

build_dpdk() {
	local tree=$1 version=$2 hash prefix work start
	compute_dpdk_options "$tree"
	hash=$(options_hash "${DPDK_OPTS[@]}")
	prefix="$CACHE_DIR/dpdk-$version-$hash"
	if [ -f "$prefix/.vmbus-netvsc-complete" ]; then
		ln -sfn "$(basename "$prefix")" "$CACHE_DIR/dpdk-current"
		say "DPDK $version: reusing $prefix"
		return
	fi
	case "$prefix" in
	/tmp/* | /var/tmp/* | /dev/shm/*)
		die "$prefix is under a world-writable directory: DPDK refuses to load plugins from there; set VMBUS_NETVSC_CACHE" ;;
	esac
	work="$CACHE_DIR/work/dpdk-$version-$hash"
	say "building DPDK $version into $prefix (a few minutes; log: $work/build.log)"
	start=$(date +%s)
	rm -rf "$work" "$prefix"
	mkdir -p "$work"
	{
		printf 'options:'; printf ' %q' "${DPDK_OPTS[@]}"; printf '\n'
		meson setup "$work/build" "$tree" --prefix="$prefix" "${DPDK_OPTS[@]}"
		ninja -C "$work/build" -j "$(nproc)"
		meson install -C "$work/build" --quiet
	} >"$work/build.log" 2>&1 || {
		tail -n 40 "$work/build.log" >&2
		die "DPDK build failed; full log: $work/build.log"
	}
	check_drivers_installed "$prefix" "$(pmd_dir_of "$prefix")"
	printf 'version=%s\noptions=%s\n' "$version" "${DPDK_OPTS[*]}" >"$prefix/.vmbus-netvsc-complete"
	ln -sfn "$(basename "$prefix")" "$CACHE_DIR/dpdk-current"
	say "DPDK $version built in $(($(date +%s) - start)) s"
}

pmd_dir_of() {
	local cfg
	cfg=$(find "$1/include" -name rte_build_config.h | head -n1)
	sed -n 's/^#define RTE_EAL_PMD_PATH "\(.*\)"$/\1/p' "$cfg"
}

# ------------------------------------------------------------------- main

main() {
	local packages_only=0 print_prefix=0 debver tree version
	while [ $# -gt 0 ]; do
		case "$1" in
		-h | --help) usage; exit 0 ;;
		--packages-only) packages_only=1 ;;
		--print-prefix) print_prefix=1 ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
	done
	if [ "$print_prefix" -eq 1 ]; then
		readlink -f "$CACHE_DIR/dpdk-current" || die "no DPDK built yet"
		exit 0
	fi

	install_packages
	[ "$packages_only" -eq 0 ] || exit 0

	mkdir -p "$CACHE_DIR"
	# Two builds at once (two terminals, a helper and CI) would fight over
	# the same work directory: the second waits for the first and reuses it.
	exec 9>"$CACHE_DIR/.setup.lock"
	if ! flock -n 9; then
		say "another setup is running; waiting for it"
		flock 9
	fi
	debver=$(stock_dpdk_version)
	[ -n "$debver" ] || die "the Debian dpdk package is not installed"
	case "$debver" in
	22.11.*) ;;
	*) die "Debian's dpdk is $debver; this project needs DPDK 22.11.x" ;;
	esac
	tree=$(dpdk_source_tree "$debver")
	version=$(tr -d '[:space:]' <"$tree/VERSION")
	case "$version" in
	22.11.*) ;;
	*) die "the fetched source is DPDK $version, not 22.11.x" ;;
	esac
	build_dpdk "$tree" "$version"
	say "done; select it with: . $SCRIPT_DIR/dpdk-env.sh"
}

main "$@"
