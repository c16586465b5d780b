#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# overload.sh ours|stock: the generator offers frames as fast as the host
# can put them into the ring while testpmd is made slow (noisy forwarding
# with many memory lookups per frame). Nothing may be dropped inside the
# driver: testpmd's RX-packets equals what the generator sent, RX-missed
# is 0, and every frame comes back in order. What the guest cannot take
# yet must stay in the ring (the host sees backpressure).
. "$(dirname "$0")/lib.sh"
nv_init
N=100000

it_emu_start o --backend "gen:flows=16,size=64,count=$N,rate=0,burst=64,start=0"
nv_i_start o "$IT_DIR/testpmd.log" --forward-mode=noisy \
	--noisy-lkup-memory=32 --noisy-lkup-num-reads=40 --noisy-lkup-num-writes=8
nv_cmd start
it_ctl o gen 0 start >/dev/null || fail "gen start refused"
nv_wait 120 "$N" it_backend_counter o 0 to-guest || fail "generator delivered $NV_GOT of $N"
port_rx() { nv_cmd show port stats 0; nv_out | nv_port_stat RX-packets; }
nv_wait 60 "$N" port_rx || fail "testpmd received $NV_GOT of $N"
nv_cmd stop
nv_cmd show port stats 0
st=$(nv_out)
nv_i_quit || fail "testpmd did not exit cleanly"
rx=$(nv_port_stat RX-packets <<<"$st")
miss=$(nv_port_stat RX-missed <<<"$st")
tx=$(nv_port_stat TX-packets <<<"$st")
bp=$(it_backend_counter o 0 backpressure)
seq=$(it_backend_counter o 0 seq-errors)
back=$(it_backend_counter o 0 from-guest)
it_log "generator sent $N (backpressure $bp); testpmd RX $rx missed $miss TX $tx (tx_burst refused $((rx - tx))); back $back, sequence errors $seq"
[ "$rx" = "$N" ] || fail "testpmd received $rx, the generator sent $N"
[ "$miss" = 0 ] || fail "RX-missed $miss"
[ "$back" = "$tx" ] || fail "testpmd TX-packets $tx, the generator got back $back"
[ "$tx" != "$rx" ] || [ "$seq" = 0 ] || fail "$seq sequence errors in the frames sent back"
[ "$bp" -gt 0 ] || it_log "note: no backpressure seen: the application kept up this time"
it_log "ok: $N of $N received under overload"
