#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Run bus_emu_app under the emulator shim, served by bus_emu_harness.
# Usage: run_bus_emu.sh HARNESS APP SHIM BUS_SO PMD_DIR LIBDIR new-irq|old-irq
# Exit 77 (skip) when something needed is missing.
#
# The app's secondary-process step needs hugepages (DPDK 22.11 cannot
# share --no-huge memory with a secondary). As root, with 2 MiB pages in
# the kernel, the script reserves its own: it raises nr_hugepages by
# HUGE_PAGES, mounts a private hugetlbfs limited to that much and hands
# it to the app; on exit (any exit) it unmounts, removes the mount point
# and lowers nr_hugepages by what it added. Without them the app skips
# only that step.
set -u
harness=$1 app=$2 shim=$3 bus_so=$4 pmd_dir=$5 libdir=$6 mode=$7

HUGE_PAGES=128          # 256 MiB: the primary preallocates 64 MiB (-m)
. "$(dirname "$0")/../common/hugepages.sh"

for f in "$harness" "$app" "$shim" "$bus_so"; do
	if [ ! -e "$f" ]; then
		echo "skip: $f missing"
		exit 77
	fi
done

build_id() {
	readelf -n "$1" 2>/dev/null | sed -n 's/.*Build ID: //p'
}

prefix=bus-emu-$$
cleanup() {
	huge_release
	rm -rf "/var/run/dpdk/$prefix"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

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

mem="--no-huge -m 256"
# Leniency only without hugepages: EAL cannot run IOVA as PA on --no-huge
# memory, so the GPAs our bus writes are virtual addresses, which the
# strict host would rightly refuse. The bus logic under test is the same.
gpa=--gpa-mode=va
if huge_reserve "$HUGE_PAGES"; then
	# IOVA as PA: GPAs are frame numbers from the shim's pagemap, and
	# the host translates them only through that table.
	mem="--huge-dir=$huge_dir -m 64 --iova-mode=pa"
	gpa=
	export BUS_TEST_HUGE_DIR="$huge_dir"
	echo "hugepages: $HUGE_PAGES reserved (nr_hugepages $huge_saved -> $huge_set), mounted on $huge_dir"
else
	huge_release
	echo "hugepages: none ($huge_why); the secondary-process step is skipped and GPAs are checked leniently (IOVA as VA, --gpa-mode=va)"
fi
export BUS_TEST_PREFIX="$prefix"
[ -n "$dflag" ] && export BUS_TEST_BUS_SO="$bus_so"

# Plugins need this DPDK's libraries, not a distribution copy that
# ld.so.cache would find (a second EAL bus library panics at load).
# shellcheck disable=SC2086
timeout -s KILL 150 "$harness" $irq $gpa -- \
	env LD_PRELOAD="$shim" LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$app" $mem --no-pci -l 0 \
	--file-prefix="$prefix" --log-level=bus.vmbus:debug $dflag
exit $?
