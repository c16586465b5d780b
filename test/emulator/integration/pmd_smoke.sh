#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Our net_netvsc under our testpmd against the emulator: it probes the NIC
# (driver, MAC, link, speed), receives exactly what the generator sent,
# and the sink receives exactly what testpmd says it sent, also on 4 queues
# (subchannels, RSS); the emulator saw no protocol error. (The full suite is pmd_*.sh of the PMD tests.)
#
# Environment (from meson, besides lib.sh's): SRC_ROOT, NETVSC_SO (this
# build's PMD; the installed plugin must be that copy: make build).
. "$(dirname "$0")/lib.sh"
it_init

# shellcheck source=../../../scripts/dpdk-env.sh
. "$SRC_ROOT/scripts/dpdk-env.sh" --ours >/dev/null 2>&1 || skip "our DPDK is not built"
[ -x "${DPDK_TESTPMD:-}" ] || skip "our dpdk-testpmd missing"
it_shim_sanitized && skip "sanitizer-built shim (the PMD is not in that build)"
build_id() { readelf -n "$1" 2>/dev/null | awk '/Build ID/ { print $3 }'; }
inst="$DPDK_PMD_DIR/librte_net_netvsc.so"
[ -e "$inst" ] || skip "$inst not installed (make build)"
[ "$(build_id "$(readlink -f "$inst")")" = "$(build_id "$NETVSC_SO")" ] ||
	skip "$inst is not this build's PMD (make build)"

# Strict GPAs: hugepages with IOVA as PA, as for the stock PMD.
it_need_huge

# Our testpmd, under a KILL watchdog: ours_testpmd EMU SECONDS ARGS...
ours_testpmd() {
	local root; root=$(it_root "$1")
	local secs=$2
	shift 2
	timeout -s KILL "$secs" env VMBUS_EMU_ROOT="$root" LD_PRELOAD="$VMBUS_EMU_SHIM" \
		stdbuf -oL "$DPDK_TESTPMD" --huge-dir="$huge_dir" --iova-mode=pa \
		--no-pci -m 256 -l 0-1 \
		--file-prefix="$IT_TAG-$RANDOM" --log-level=lib.eal:error \
		--log-level=pmd.net.netvsc:info \
		-- --no-mlockall --total-num-mbufs=8192 "$@"
}

wait_counter() {
	local i v
	for i in $(seq $(($5 * 10))); do
		v=$(it_backend_counter "$1" "$2" "$3")
		[ "$v" = "$4" ] && return 0
		sleep 0.1
	done
	fail "$3 of NIC $2 is '$v', expected $4"
}

MAC=00:15:5d:12:34:57
N=5000

# 1. Probe.
it_emu_start p --mac "$MAC" --link-speed 25000
out="$IT_DIR/probe.log"
printf 'show port info 0\nquit\n' | ours_testpmd p 60 -i >"$out" 2>&1 ||
	fail "testpmd failed or timed out"
grep -q 'Driver name: net_netvsc' "$out" || fail "port 0 is not driven by net_netvsc"
grep -q 'hn_netvsc: port 0: .* attached: NVSP 0x60001' "$out" ||
	fail "no attach line with NVSP 6.1"
grep -qi "MAC address: $MAC" "$out" || fail "port 0 does not report MAC $MAC"
grep -q 'Link status: up' "$out" || fail "port 0 link is not up"
grep -q 'Link speed: 25 Gbps' "$out" || fail "port 0 does not report 25 Gbps"
it_ctl p stats 0 >"$IT_DIR/stats-p.log" || fail "control socket does not answer"
grep -q 'protocol errors 0' "$IT_DIR/stats-p.log" || fail "the PMD caused protocol errors"
it_log "ok: probed by our net_netvsc, MAC $MAC, link up, 25 Gbps"

# 2. rxonly: every generated frame is counted, none dropped in the driver;
#    on 1 queue, then on 4 (subchannels, RSS over the 4).
# Receive-buffer ACKs of queue Q: one per frame the guest consumed.
acks() {
	it_ctl "$1" stats 0 | awk -v q="$2" '$1 == "queue" && ($2 == q || $2 == q ":") {
		for (i = 1; i < NF; i++) if ($i == "acks") { sub(",", "", $(i + 1)); print $(i + 1); exit } }'
}
rxonly() {
	local emu=$1 nq=$2 out="$IT_DIR/rxonly-$1.log" sent got a q n
	it_emu_start "$emu" --backend "gen:flows=16,size=64,count=$N,start=0"
	{
		echo "set fwd rxonly"; echo "start"
		for _ in $(seq 300); do
			grep -q 'packet forwarding - ports' "$out" 2>/dev/null && break
			sleep 0.1
		done
		it_ctl "$emu" gen 0 start >/dev/null
		# Stop only once the guest consumed (ACKed) every frame.
		for _ in $(seq 300); do
			a=0
			for q in $(seq 0 $((nq - 1))); do
				n=$(acks "$emu" "$q")
				a=$((a + ${n:-0}))
			done
			[ "$a" -ge "$N" ] && break
			sleep 0.1
		done
		echo "stop"; echo "quit"
	} | ours_testpmd "$emu" 60 -i --rxq="$nq" --txq="$nq" >"$out" 2>&1 ||
		fail "testpmd rxonly ($nq queues) failed"
	sent=$(it_backend_counter "$emu" 0 to-guest)
	got=$(awk '/Forward statistics for port 0/ { p = 1 } p && $1 == "RX-packets:" { print $2; exit }' "$out")
	[ "$sent" = "$N" ] || fail "generator delivered '$sent' of $N"
	[ "$got" = "$N" ] || fail "rxonly ($nq queues): testpmd counted '$got', generator sent $N"
	if [ "$nq" -gt 1 ]; then
		grep -q "hn_netvsc: port 0: $nq channels (asked $nq)" "$out" ||
			fail "no $nq channels"
		for q in $(seq 0 $((nq - 1))); do
			a=$(acks "$emu" "$q")
			[ "${a:-0}" -gt 0 ] || fail "queue $q received nothing (RSS)"
		done
	fi
	it_log "ok: rxonly on $nq queue(s) counted $got of $N"
}
rxonly rx 1
rxonly rx4 4

# 3. txonly: the sink gets exactly what testpmd counts as sent.
it_emu_start tx --backend sink
out="$IT_DIR/txonly.log"
{
	echo "set fwd txonly"; echo "start"
	# Until the sink has seen traffic (the machine may be busy).
	for _ in $(seq 200); do
		v=$(it_backend_counter tx 0 from-guest)
		[ "${v:-0}" -gt 1000 ] && break
		sleep 0.1
	done
	echo "stop"
	echo "show port stats 0"; echo "quit"
} | ours_testpmd tx 60 -i --txpkts=64 >"$out" 2>&1 || fail "testpmd txonly failed"
tx=$(awk '/NIC statistics for port 0/ { p = 1 } p && $1 == "TX-packets:" { print $2; exit }' "$out")
[ -n "$tx" ] && [ "$tx" -gt 0 ] || fail "txonly: testpmd sent nothing"
wait_counter tx 0 from-guest "$tx" 10
it_ctl tx stats 0 >"$IT_DIR/stats-tx.log"
grep -q 'protocol errors 0' "$IT_DIR/stats-tx.log" || fail "the PMD caused protocol errors"
it_log "ok: txonly sent $tx, sink counted $tx"
