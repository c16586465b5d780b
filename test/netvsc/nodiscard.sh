#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# nodiscard.sh ours|stock: receive never discards what the host delivered,
# whoever reads the channel (issue 8, "no staging ring that drops").
#  1. Control operations own the primary channel's ring for a moment
#     (packet-filter changes: promiscuous and all-multicast toggled over
#     and over) while frames flow to a slow application: every frame is
#     received, RX-missed and rx_q0_discarded stay 0.
#  2. A transmit-only application never polls Rx while frames arrive
#     (Tx completions queue up behind them): the Tx reaping parks them
#     until the host's receive buffer is full (the host sees
#     backpressure), no frame is dropped, and an rxonly run after it
#     receives every one of them; every frame sent reached the host.
# The stock PMD has no reference here: its control waits and Tx
# completion reaping both discard receive data.
. "$(dirname "$0")/lib.sh"
nv_init
N=30000
M=20000

port_rx() { nv_cmd show port stats 0; nv_out | nv_port_stat RX-packets; }
port_tx() { nv_cmd show port stats 0; nv_out | nv_port_stat TX-packets; }
discarded() {
	nv_cmd show port xstats 0
	nv_out | awk '$1 == "rx_q0_discarded:" { print $2; exit }'
}

# ---- 1: filter changes under traffic ----
# Paced, so that the filter changes many times while frames flow.
it_emu_start c --backend "gen:flows=16,size=64,count=$N,rate=3000,burst=64,start=0"
nv_i_start c "$IT_DIR/testpmd-ctl.log" --forward-mode=noisy \
	--noisy-lkup-memory=32 --noisy-lkup-num-reads=40 --noisy-lkup-num-writes=8
nv_cmd start
it_ctl c gen 0 start >/dev/null || fail "gen start refused"
ops=0
while [ "$ops" -lt 400 ] && [ "$(it_backend_counter c 0 to-guest)" -lt "$N" ]; do
	nv_cmd set promisc 0 off
	nv_cmd set allmulti 0 on
	nv_cmd set promisc 0 on
	nv_cmd set allmulti 0 off
	ops=$((ops + 4))
done
nv_wait 120 "$N" it_backend_counter c 0 to-guest || fail "generator delivered $NV_GOT of $N"
nv_wait 60 "$N" port_rx || fail "testpmd received $NV_GOT of $N (filter changed $ops times)"
nv_cmd stop
nv_cmd show port stats 0
st=$(nv_out)
disc=$(discarded)
[ -n "$disc" ] || fail "no rx_q0_discarded in xstats"
nv_i_quit || fail "testpmd did not exit cleanly"
rx=$(nv_port_stat RX-packets <<<"$st")
miss=$(nv_port_stat RX-missed <<<"$st")
it_log "part 1: $ops filter changes; generator sent $N, testpmd RX $rx, RX-missed $miss, rx_q0_discarded $disc"
[ "$ops" -gt 0 ] || fail "no filter change ran while frames flowed"
[ "$rx" = "$N" ] || fail "testpmd received $rx, the generator sent $N"
[ "$miss" = 0 ] || fail "RX-missed $miss"
[ "$disc" = 0 ] || fail "rx_q0_discarded $disc"
it_strict_ok c 0

# ---- 2: transmit-only with inbound traffic, then rxonly ----
it_emu_start t --backend "gen:flows=16,size=64,count=$M,rate=0,burst=64,start=0"
nv_i_start t "$IT_DIR/testpmd-tx.log" --forward-mode=txonly --txpkts=64
nv_cmd start
it_ctl t gen 0 start >/dev/null || fail "gen start refused"
# The generator outruns a guest that never reads: it meets backpressure.
nv_wait_ge 60 1 it_backend_counter t 0 backpressure ||
	fail "the generator saw no backpressure (delivered $(it_backend_counter t 0 to-guest) of $M)"
nv_cmd stop
tx1=$(port_tx)
held=$(it_backend_counter t 0 to-guest)
nv_cmd set fwd rxonly
nv_cmd start
nv_wait 120 "$M" it_backend_counter t 0 to-guest || fail "generator delivered $NV_GOT of $M"
nv_wait 60 "$M" port_rx || fail "testpmd received $NV_GOT of $M after txonly"
nv_cmd stop
nv_cmd show port stats 0
st=$(nv_out)
disc=$(discarded)
nv_i_quit || fail "testpmd did not exit cleanly"
rx=$(nv_port_stat RX-packets <<<"$st")
miss=$(nv_port_stat RX-missed <<<"$st")
tx=$(nv_port_stat TX-packets <<<"$st")
back=$(it_backend_counter t 0 from-guest)
it_log "part 2: txonly sent $tx1 while $held frames were offered; rxonly after: RX $rx of $M, RX-missed $miss, rx_q0_discarded $disc; TX $tx, host got $back"
[ "$tx1" -gt 0 ] || fail "txonly sent nothing"
[ "$rx" = "$M" ] || fail "testpmd received $rx, the generator sent $M"
[ "$miss" = 0 ] || fail "RX-missed $miss"
[ "$disc" = 0 ] || fail "rx_q0_discarded $disc"
[ "$back" = "$tx" ] || fail "testpmd TX-packets $tx, the host got $back"
it_strict_ok t 0
it_log "ok: nothing discarded"
