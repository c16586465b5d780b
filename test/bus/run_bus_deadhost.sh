#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# A dead host looks dead: bus_emu_app probes the NIC of a real vmbus-emu
# process, opens its primary channel and SIGKILLs the emulator; the bus
# must mark the device rescinded (the uio fd reports EIO, as the kernel's
# does on rescind).
# Usage: run_bus_deadhost.sh EMU APP SHIM BUS_SO PMD_DIR LIBDIR
# Exit 77 (skip) when something needed is missing.
set -u
emu=$1 app=$2 shim=$3 bus_so=$4 pmd_dir=$5 libdir=$6

for f in "$emu" "$app" "$shim" "$bus_so"; do
	if [ ! -e "$f" ]; then
		echo "skip: $f missing"
		exit 77
	fi
done

build_id() {
	readelf -n "$1" 2>/dev/null | sed -n 's/.*Build ID: //p'
}

name=bus-dead-$$
prefix=bus-dead-$$
root=/dev/shm/vmbus-emu-$name
log=$(mktemp) || exit 1
emu_pid=
cleanup() {
	[ -n "$emu_pid" ] && kill -KILL "$emu_pid" 2>/dev/null
	rm -rf "/var/run/dpdk/$prefix" "$root" "$log" "$log.app"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

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

# Bounded: the emulator is killed by the app, or by this watchdog.
timeout -s KILL 60 "$emu" --name "$name" --no-net >"$log" 2>&1 &
emu_pid=$!
i=0
while ! grep -q '^ready$' "$log"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$emu_pid" 2>/dev/null; then
		echo "FAIL: vmbus-emu not ready"
		cat "$log"
		exit 1
	fi
	sleep 0.1
done
# A class of the test driver's own (bus_emu_harness does the same), so
# that no installed PMD (netvsc takes the network class) gets it first.
guid=76d4a3e2-9c1b-4f0e-a5d7-000000000001
printf '{5eb1b0a8-7a43-4d4e-9a51-0b05c0a11e57}\n' \
	>"$root/sys/bus/vmbus/devices/$guid/class_id" ||
	{ echo "FAIL: cannot set the test class"; exit 1; }
# The emulator itself, not the timeout wrapper around it.
host=$(pgrep -P "$emu_pid" -x vmbus-emu)
[ -n "$host" ] || { echo "FAIL: no vmbus-emu process under $emu_pid"; exit 1; }

# shellcheck disable=SC2086
timeout -s KILL 60 env LD_PRELOAD="$shim" VMBUS_EMU_ROOT="$root" \
	BUS_TEST_GUID="$guid" \
	BUS_TEST_DEAD_HOST_PID="$host" \
	LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
	"$app" --no-huge -m 128 --no-pci -l 0 --file-prefix="$prefix" \
	--log-level=bus.vmbus:notice $dflag >"$log.app" 2>&1
rc=$?
cat "$log.app"
[ "$rc" = 0 ] || { echo "FAIL: bus_emu_app exited $rc"; exit 1; }
grep -q 'dead host: device rescinded after' "$log.app" ||
	{ echo "FAIL: the app did not report the rescind"; exit 1; }
grep -q 'rescinded by the host' "$log.app" ||
	{ echo "FAIL: the bus did not log the rescind"; exit 1; }
if kill -0 "$host" 2>/dev/null; then
	echo "FAIL: the emulator (pid $host) is still alive"
	exit 1
fi
echo "ok: emulator killed, bus marked the device rescinded"
