#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# meson-configure.sh BUILDDIR [meson setup options...]
#
# Configure BUILDDIR only when needed: nothing if it was configured with
# the same compiler, PKG_CONFIG_PATH and options (ninja re-runs meson by
# itself when a meson.build changes); --reconfigure when only the options
# changed; --wipe when the compiler or the DPDK selection changed, since
# meson caches both at first setup.

set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 BUILDDIR [meson options...]" >&2; exit 2; }
builddir=$1
shift
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stamp="$builddir/.vmbus-netvsc-configure"

env_key="CC=${CC:-} PKG_CONFIG_PATH=${PKG_CONFIG_PATH:-}"
opt_key=$(printf '%q ' "$@")

if [ ! -f "$builddir/build.ninja" ] || [ ! -f "$stamp" ]; then
	rm -rf "$builddir"
	echo "configure: meson setup $builddir $opt_key(CC=${CC:-default})"
	meson setup "$builddir" "$src" "$@"
elif [ "$(sed -n 1p "$stamp")" != "$env_key" ]; then
	echo "configure: compiler or DPDK changed: meson setup --wipe $builddir"
	meson setup --wipe "$builddir" "$src" "$@"
elif [ "$(sed -n 2p "$stamp")" != "$opt_key" ]; then
	echo "configure: options changed: meson setup --reconfigure $builddir"
	meson setup --reconfigure "$builddir" "$src" "$@"
else
	echo "configure: $builddir up to date"
fi
printf '%s\n%s\n' "$env_key" "$opt_key" >"$stamp"
