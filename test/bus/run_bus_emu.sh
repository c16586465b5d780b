#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Run bus_emu_app under the emulator shim, served by bus_emu_harness.
# Usage: run_bus_emu.sh HARNESS APP SHIM BUS_SO PMD_DIR LIBDIR new-irq|old-irq
# Exit 77 (skip) when something needed is missing.
set -u
harness=$1 app=$2 shim=$3 bus_so=$4 pmd_dir=$5 libdir=$6 mode=$7

for f in "$harness" "$app" "$shim" "$bus_so"; do
	if [ ! -e "$f" ]; then
		echo "skip: $f missing"
		exit 77
	fi
done

build_id() {
	readelf -n "$1" 2>/dev/null | sed -n 's/.*Build ID: //p'
}

# EAL loads every plugin of its directory; ours must be that copy or be
# given with -d. A different installed copy would be a second bus.
dflag=
installed=$pmd_dir/librte_bus_vmbus.so
if [ -e "$installed" ]; then
	if [ "$(build_id "$installed")" != "$(build_id "$bus_so")" ]; then
		echo "skip: $installed is not this build's bus (run make build)"
		exit 77
	fi
else
	dflag="-d $bus_so"
fi

irq=
[ "$mode" = old-irq ] && irq=--old-irq

# A secondary process needs hugepages (22.11 cannot share --no-huge
# memory); use them when the machine has some, else the app skips that.
prefix=bus-emu-$$
mem="--no-huge -m 256"
free=$(sed -n 's/^HugePages_Free: *//p' /proc/meminfo 2>/dev/null)
hdir=$(awk '$3 == "hugetlbfs" { print $2; exit }' /proc/mounts 2>/dev/null)
if [ "${free:-0}" -ge 128 ] && [ -n "$hdir" ]; then
	mem="--huge-dir=$hdir -m 128 --iova-mode=va"
	export BUS_TEST_HUGE_DIR="$hdir"
fi
export BUS_TEST_PREFIX="$prefix"
[ -n "$dflag" ] && export BUS_TEST_BUS_SO="$bus_so"

# Plugins need this DPDK's libraries, not a distribution copy that
# ld.so.cache would find (a second EAL bus library panics at load).
# shellcheck disable=SC2086
timeout -s KILL 120 "$harness" $irq -- \
	env LD_PRELOAD="$shim" LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$app" $mem --no-pci -l 0 \
	--file-prefix="$prefix" --log-level=bus.vmbus:debug $dflag
rc=$?
rm -rf "/var/run/dpdk/$prefix"
exit $rc
