#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Generator -> testpmd rxonly counts exactly N; testpmd txonly -> sink
# counts exactly what testpmd says it sent.
. "$(dirname "$0")/lib.sh"
it_init
it_need_testpmd

N=20000

# Wait until a backend counter reaches a value: EMU NIC FIELD VALUE SECS.
wait_counter() {
	local i v
	for i in $(seq $(($5 * 10))); do
		v=$(it_backend_counter "$1" "$2" "$3")
		[ "$v" = "$4" ] && return 0
		sleep 0.1
	done
	fail "$3 of NIC $2 is '$v', expected $4"
}

it_emu_start rx --backend "gen:flows=16,size=64,count=$N,start=0"
out="$IT_DIR/testpmd-rxonly.log"
it_tp_start rx "$out" --forward-mode=rxonly
it_ctl rx gen 0 start >/dev/null || fail "'gen 0 start' refused"
wait_counter rx 0 to-guest "$N" 30
it_tp_stop || fail "testpmd rxonly did not exit cleanly"
got=$(it_tp_stat "$out" 0 RX-packets)
[ "$got" = "$N" ] || fail "rxonly: testpmd counted '$got' packets, generator sent $N"
it_log "ok: rxonly counted $got of $N"

it_emu_start tx --backend sink
out="$IT_DIR/testpmd-txonly.log"
it_tp_start tx "$out" --forward-mode=txonly --txpkts=64
sleep 2
it_tp_stop || fail "testpmd txonly did not exit cleanly"
sent=$(it_tp_stat "$out" 0 TX-packets)
[ -n "$sent" ] && [ "$sent" -gt 0 ] || fail "txonly: testpmd sent nothing"
sleep 0.5
sunk=$(it_backend_counter tx 0 from-guest)
[ "$sunk" = "$sent" ] || fail "txonly: testpmd sent $sent, sink counted '$sunk'"
it_log "ok: txonly sent $sent, sink counted $sunk"
