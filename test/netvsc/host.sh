#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# host.sh ours late|silent|killed: hosts that are slow, silent or gone.
#   late    the first RNDIS reply comes 20 s late: the port still attaches
#           (host_timeout left at its default, 60 s) and forwards every
#           frame. The only long test of the suite.
#   silent  the host never answers RNDIS: the probe fails with the
#           host_timeout message (host_timeout=2000), testpmd has no port
#           and quits normally.
#   killed  the emulator is SIGKILLed while testpmd forwards: the PMD says
#           'host unreachable', the port reports link down or is removed
#           (removal event), and stop, port stop/close and quit return.
. "$(dirname "$0")/lib.sh"
nv_init
case=${2:?case}

# Until the command prints "removed" or "down": nv_wait_any SECS CMD
nv_wait_any() {
	local secs=$1 i v
	shift
	for i in $(seq $((secs * 10))); do
		v=$("$@") || { NV_GOT=$v; return 1; }
		case $v in removed | down) return 0 ;; esac
		sleep 0.2
	done
	NV_GOT=$v
	return 1
}

ctrl_msgs() { it_ctl "$1" stats 0 | sed -n 's/.* ctrl \([0-9]*\),.*/\1/p'; }

# Hold the first RNDIS reply for MS ms (or for ever: never). A newer
# emulator holds exactly one ('reply-delay'); otherwise every reply is
# delayed ('delay') until the first request has been queued.
hold_first() {
	local emu=$1 ms=$2
	if it_ctl "$emu" reply-delay 0 rndis "$ms" 1 >/dev/null 2>&1; then
		return
	fi
	[ "$ms" = never ] && ms=3600000
	it_ctl "$emu" delay 0 $((ms / 1000)) >/dev/null || fail "the emulator takes no 'delay'"
	[ "$ms" = 3600000 ] && return
	( nv_wait_ge 60 1 ctrl_msgs "$emu" && it_ctl "$emu" delay 0 0 >/dev/null ) &
}

# Behaviour first: our PMD must take a normal host's port, or we skip.
it_emu_start ok --backend sink
nv_i_start ok "$IT_DIR/testpmd-ok.log"
nv_i_quit || fail "testpmd on a normal host did not exit cleanly"

case $case in
late)
	N=2000
	it_emu_start l --backend "gen:flows=4,size=64,count=$N,start=0"
	hold_first l 20000
	NV_EAL_ARGS=(-a "$(nv_guid l 0)")
	NV_TP_SECS=120
	nv_i_start l "$IT_DIR/testpmd-late.log" --forward-mode=rxonly
	nv_cmd start
	it_ctl l gen 0 start >/dev/null || fail "gen start refused"
	nv_wait 30 "$N" eval 'nv_cmd show port stats 0; nv_out | nv_port_stat RX-packets' ||
		fail "late host: testpmd received $NV_GOT of $N"
	nv_cmd stop
	nv_i_quit || fail "testpmd did not exit cleanly"
	it_log "ok: attached to a host 20 s late, received $N of $N"
	;;
silent)
	it_emu_start s --backend sink
	hold_first s never
	NV_EAL_ARGS=(-a "$(nv_guid s 0),host_timeout=2000")
	log="$IT_DIR/testpmd-silent.log"
	printf 'show port summary all\nquit\n' | it_testpmd s 60 -i >"$log" 2>&1
	rc=$?
	nv_check_log "$log"
	[ "$rc" != 137 ] || fail "testpmd hung on a silent host (killed by the 60 s watchdog)"
	msg='hn_netvsc: port 0: bring-up \(rndis-init\): no answer from the host in 2000 ms \(devarg host_timeout\)'
	grep -qE "$msg" "$log" ||
		fail "no '$msg' message (rc $rc): $(grep -m3 hn_netvsc "$log")"
	grep -qE '^Port 0: [0-9A-Fa-f:]{17}' "$log" && fail "a port came up on a silent host"
	it_log "ok: $(grep -m1 'no answer from the host' "$log")"
	;;
killed)
	it_emu_start k --backend "gen:flows=4,size=64,count=0,rate=20000,start=0"
	nv_i_start k "$IT_DIR/testpmd-killed.log" --forward-mode=macswap
	nv_cmd start
	it_ctl k gen 0 start >/dev/null || fail "gen start refused"
	nv_wait_ge 30 1000 it_backend_counter k 0 from-guest || fail "no traffic before the kill"
	epid=${IT_EMU_PIDS[-1]}
	[ "$(readlink "/proc/$epid/exe")" = "$(readlink -f "$VMBUS_EMU")" ] || fail "pid $epid is not vmbus-emu"
	kill -KILL "$epid"
	wait "$epid" 2>/dev/null
	kill -0 "$epid" 2>/dev/null && fail "vmbus-emu $epid survived SIGKILL"
	# The PMD reports link down and a removal event; testpmd answers the
	# event by stopping, closing and detaching the port itself.
	gone() {
		grep -q 'Port 0: device removal event' "$NV_LOG" && { echo removed; return; }
		nv_cmd show port info 0
		nv_out | sed -n 's/^Link status: //p'
	}
	nv_wait_any 30 gone || fail "after the host died: link '$NV_GOT', no removal event"
	grep -q 'host unreachable' "$NV_LOG" || fail "no 'host unreachable' message"
	nv_cmd stop
	nv_cmd port stop 0
	nv_cmd port close 0
	nv_i_quit || fail "testpmd did not exit cleanly after the host died"
	grep -m1 'host unreachable' "$NV_LOG" | sed 's/^/  log: /'
	grep -q 'Device is detached' "$NV_LOG" && it_log "testpmd detached the removed port"
	it_log "ok: host killed: link down, stop, close and quit returned"
	;;
*) fail "unknown case $case" ;;
esac
