#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run.sh: the main job behind `make run`, after `make build`.
#
#   1. Start the emulated Hyper-V host (build/test/emulator/vmbus-emu) with
#      one synthetic NIC whose wire is a traffic generator.
#   2. Run OUR dpdk-testpmd (our DPDK, our vmbus bus and net_netvsc
#      plugins) on it through the LD_PRELOAD shim: the bus finds, checks
#      and maps the emulated NIC and hands it to net_netvsc.
#   3. Forward traffic on the emulated NIC with testpmd (macswap: every
#      frame the generator sends comes back to it) and report the counters
#      of both sides. Until our PMD forwards, this step runs Debian's stock
#      testpmd and stock netvsc PMD, the reference peer, on the same NIC.
#
# Everything is bounded in time and removed at exit.
# Environment: DRIVER (ours, stock, or empty: ours when our PMD takes the
# port, else stock), RUN_PACKETS (default 500000), RUN_RATE (frames/s offered by
# the generator, default 50000; 0 = as fast as possible, which shows how
# a driver copes with overload), RUN_TIMEOUT (default 60 s).

set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-build}
case "$build" in /*) ;; *) build="$src/$build" ;; esac
packets=${RUN_PACKETS:-500000}
rate=${RUN_RATE:-50000}
timeout_s=${RUN_TIMEOUT:-60}
driver=${DRIVER:-}
case "$driver" in ''|ours|stock) ;; *) echo "run: DRIVER must be ours or stock" >&2; exit 2 ;; esac
logdir="$build/run"
name="netvsc-run-$$"
root="/dev/shm/vmbus-emu-$name"

emu="$build/test/emulator/vmbus-emu"
ctl="$build/test/emulator/ctl/vmbus-emu-ctl"
shim="$build/test/emulator/libvmbus_emu_shim.so"
stock_fix="$build/test/emulator/integration/libstock_queue_state.so"

say() { printf 'run: %s\n' "$*"; }
die() { say "FAILED: $*"; exit 1; }

emu_pid=
cleanup() {
	if [ -n "$emu_pid" ]; then
		kill -TERM "$emu_pid" 2>/dev/null || true
		timeout 5 tail -s 0.05 --pid="$emu_pid" -f /dev/null 2>/dev/null ||
			kill -KILL "$emu_pid" 2>/dev/null || true
	fi
	rm -rf "$root" /var/run/dpdk/"$name"-* 2>/dev/null || true
}
trap cleanup EXIT

for f in "$emu" "$ctl" "$shim"; do
	[ -e "$f" ] || die "$f missing: run 'make build' first"
done
mkdir -p "$logdir"

# ------------------------------------------------------------ emulator
say "1. emulated Hyper-V host: one synthetic NIC, generator backend ($packets x 64-byte frames, 16 flows, $rate/s)"
# The guest runs with --no-huge (IOVA as VA: no root or hugepages needed),
# so GPAs are its virtual addresses: the named leniency --gpa-mode=va.
"$emu" --name "$name" --gpa-mode=va \
	--backend "gen:flows=16,size=64,count=$packets,rate=$rate,start=0" \
	>"$logdir/vmbus-emu.log" 2>&1 &
emu_pid=$!
for _ in $(seq 100); do
	grep -q '^ready$' "$logdir/vmbus-emu.log" && break
	kill -0 "$emu_pid" 2>/dev/null || die "vmbus-emu exited (see $logdir/vmbus-emu.log)"
	sleep 0.1
done
grep -q '^ready$' "$logdir/vmbus-emu.log" || die "vmbus-emu not ready (see $logdir/vmbus-emu.log)"
guid=$(basename "$(find "$root/sys/bus/vmbus/devices" -mindepth 1 -maxdepth 1 | head -n1)")
say "   device $guid, sysfs and /dev/uio0 under $root"

# ------------------------------------------------------- our drivers
say "2. our dpdk-testpmd with our vmbus bus and net_netvsc plugins"
ours_log="$logdir/testpmd-ours.log"
(
	# shellcheck source=dpdk-env.sh
	. "$src/scripts/dpdk-env.sh" --ours && dpdk_env_check >/dev/null
	printf 'show port summary all\nquit\n' |
		timeout -s KILL "$timeout_s" env VMBUS_EMU_ROOT="$root" LD_PRELOAD="$shim" \
		"$DPDK_TESTPMD" -l 0-1 --no-huge --no-pci -m 512 \
		--file-prefix="$name-ours" --log-level=bus.vmbus:debug \
		--log-level=pmd.net.netvsc:debug -- -i --total-num-mbufs=2048
) >"$ours_log" 2>&1 || true
grep -E '^vmbus:|^hn_netvsc:|netvsc|Number of available ports|No probed' "$ours_log" |
	grep -v '^EAL' | head -n 20 | sed 's/^/run:   | /'
grep -qi "vmbus.*$guid" "$ours_log" ||
	die "our vmbus bus did not report the emulated device (see $ours_log)"
ours_ports=$(grep -c '^0 *[0-9A-F:]\{17\}' "$ours_log" || true)
if [ "$driver" = stock ]; then
	flavour=stock
	say "   DRIVER=stock: step 3 runs the reference peer (Debian's stock testpmd + netvsc PMD)"
elif [ "$ours_ports" -gt 0 ]; then
	flavour=ours
	say "   our net_netvsc probed the NIC: forwarding with our drivers"
elif [ "$driver" = ours ]; then
	die "DRIVER=ours but our net_netvsc did not take the port (see $ours_log)"
else
	flavour=stock
	say "   our bus found and mapped the NIC; our net_netvsc does not drive it yet,"
	say "   so step 3 runs the reference peer (Debian's stock testpmd + netvsc PMD)"
fi

# --------------------------------------------------------- forwarding
say "3. testpmd --forward-mode=macswap on the emulated NIC ($flavour drivers)"
fwd_log="$logdir/testpmd-$flavour.log"
fifo="$logdir/testpmd.fifo"
rm -f "$fifo" && mkfifo "$fifo"
if [ "$flavour" = stock ]; then
	[ -x /usr/bin/dpdk-testpmd ] || die "Debian's dpdk-testpmd missing (scripts/setup.sh installs it)"
	[ -f "$stock_fix" ] || die "$stock_fix missing: run 'make build' first"
	runner=(env -i PATH=/usr/bin:/bin VMBUS_EMU_ROOT="$root"
		LD_PRELOAD="$shim $stock_fix" stdbuf -oL /usr/bin/dpdk-testpmd)
else
	# shellcheck source=dpdk-env.sh
	. "$src/scripts/dpdk-env.sh" --ours
	runner=(env VMBUS_EMU_ROOT="$root" LD_PRELOAD="$shim" stdbuf -oL "$DPDK_TESTPMD")
fi
# stdbuf (inside env -i, so its preload survives): testpmd's stdout is a
# file that this script watches.
timeout -s KILL "$timeout_s" "${runner[@]}" -l 0-1 --no-huge --no-pci \
	-m 512 --file-prefix="$name-fwd" -- --no-mlockall --total-num-mbufs=8192 \
	--forward-mode=macswap <"$fifo" >"$fwd_log" 2>&1 &
tp_pid=$!
exec 9>"$fifo"
for _ in $(seq 300); do
	grep -q 'Press enter to exit' "$fwd_log" && break
	kill -0 "$tp_pid" 2>/dev/null || die "testpmd exited early (see $fwd_log)"
	sleep 0.1
done
grep -q 'Press enter to exit' "$fwd_log" || die "testpmd not forwarding (see $fwd_log)"

backend() { "$ctl" "$root" stats 0 | awk -v f="$1" '/^backend / {
	for (i = 1; i < NF; i++) if ($i == f) { print $(i + 1); exit } }'; }
"$ctl" "$root" gen 0 start >/dev/null
start=$(date +%s.%N)
deadline=$((SECONDS + timeout_s / 2))
# Until the generator is done, then until nothing more comes back.
while [ "$(backend to-guest)" != "$packets" ] && [ "$SECONDS" -lt "$deadline" ]; do
	sleep 0.2
done
end=$(date +%s.%N)
prev=-1
while [ "$SECONDS" -lt "$deadline" ]; do
	back=$(backend from-guest)
	[ "$back" != "$packets" ] && [ "$back" != "$prev" ] || break
	prev=$back
	sleep 0.5
done
echo >&9
exec 9>&-
wait "$tp_pid" || true

sent=$(backend to-guest)
back=$(backend from-guest)
seqerr=$(backend seq-errors)
say "   generator sent $sent frames to the guest; $back came back; sequence errors $seqerr"
awk '/Forward statistics for port 0/ { p = 1 } p && /RX-packets|TX-packets/ { print; if (++n == 2) exit }' \
	"$fwd_log" | sed 's/^ */run:   | testpmd /'
awk -v n="$sent" -v a="$start" -v b="$end" 'BEGIN {
	t = b - a; if (t > 0) printf "run:   offered %.3f Mpps for %.2f s\n", n / t / 1e6, t }'
"$ctl" "$root" stats 0 | sed -n '2,4p' | sed 's/^ */run:   | emulator /'
say "logs: $logdir"
[ -n "$back" ] && [ "$back" -gt 0 ] || die "no frame came back from testpmd"
tx=$(awk '/Forward statistics for port 0/ { p = 1 } p && $1 == "TX-packets:" { print $2; exit }' "$fwd_log")
[ "$tx" = "$back" ] || die "testpmd says it sent $tx frames, the emulator received $back"
if [ "$back" != "$packets" ]; then
	say "note: $((packets - back)) frames were dropped inside the guest (testpmd RX-dropped"
	say "      above: the driver's own counters); the emulator delivered all $sent"
fi
say "OK: testpmd forwarded $back frames on the emulated NIC ($flavour drivers)"
