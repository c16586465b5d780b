#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run-testpmd.sh [LOGFILE]
#
# Start our dpdk-testpmd once, non-interactively, with the vmbus bus and
# the netvsc PMD auto-loaded from DPDK's plugin directory, then report what
# the log shows: plugins loaded, bus and driver registered, devices found.
# Bounded: testpmd reads "show port summary all" and "quit" from stdin and
# is killed after RUN_TIMEOUT seconds (default 60) if it hangs.

set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log=${1:-$src/build/run-testpmd.log}
timeout_s=${RUN_TIMEOUT:-60}

# shellcheck source=dpdk-env.sh
. "$src/scripts/dpdk-env.sh" --ours
dpdk_env_check

say() { printf 'run: %s\n' "$*"; }
check() {
	# check DESCRIPTION PATTERN: report whether the log has a line matching.
	if grep -qE "$2" "$log"; then
		say "  [ok] $1"
	else
		say "  [MISSING] $1 (no line matching /$2/)"
		missing=1
	fi
}

cmd=("$DPDK_TESTPMD" -l 0-1 --no-huge --no-pci -m 512
	--file-prefix=netvsc-run
	--log-level=lib.eal:debug --log-level=bus.vmbus:debug
	--log-level=pmd.net.netvsc:debug
	-- -i --total-num-mbufs=2048)
say "plugin directory: $DPDK_PMD_DIR"
ls -l "$DPDK_PMD_DIR"/librte_bus_vmbus.so "$DPDK_PMD_DIR"/librte_net_netvsc.so | sed 's/^/run:   /'
say "starting: timeout $timeout_s ${cmd[*]}"
say "  stdin: show port summary all / quit; full log: $log"

mkdir -p "$(dirname "$log")"
rc=0
printf 'show port summary all\nquit\n' |
	timeout "$timeout_s" "${cmd[@]}" >"$log" 2>&1 || rc=$?
if [ "$rc" -eq 124 ]; then
	say "testpmd did not quit within $timeout_s s (killed); log: $log"
	exit 1
fi

say "testpmd exited with status $rc; what the log shows:"
grep -E '/librte_(bus_vmbus|net_netvsc)\.so|\[vmbus\]|^vmbus:|^hn_netvsc:|(bus\.vmbus|pmd\.net\.netvsc) log level|Number of available ports|No probed ethernet' "$log" |
	sed 's/^/run:   | /'
missing=0
check "EAL loaded librte_bus_vmbus.so from the plugin directory" \
	"open shared lib .*/librte_bus_vmbus\.so"
check "EAL loaded librte_net_netvsc.so from the plugin directory" \
	"open shared lib .*/librte_net_netvsc\.so"
check "bus 'vmbus' registered with EAL" "Registered \[vmbus\] bus"
check "driver net_netvsc registered on the vmbus bus" "vmbus: driver net_netvsc registered"
check "vmbus scan ran" "vmbus: (/sys/bus/vmbus/devices absent|scanned )"
if grep -q "/sys/bus/vmbus/devices absent: 0 VMBus devices" "$log"; then
	say "no VMBus devices: this is not a Hyper-V guest, and the emulated"
	say "Hyper-V host that will offer them (test/emulator) is not wired in yet,"
	say "so net_netvsc probed nothing and testpmd had 0 ports."
fi
if [ "$rc" -ne 0 ] || [ "$missing" -ne 0 ]; then
	say "FAILED (see $log)"
	exit 1
fi
say "OK: vmbus bus and net_netvsc driver are registered in our DPDK"
