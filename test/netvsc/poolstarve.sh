#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# poolstarve.sh ours: a forwarding application whose mbuf pool is held by
# sends awaiting their completions must not deadlock (issue 8).
# testpmd io sends every 1514-byte frame back as page buffers
# (tx_copybreak=0; the default would copy them into sections), so each
# send keeps its mbuf until the host completes it. The host first holds
# every completion: the pool (1536 mbufs; testpmd takes no fewer than 1025) runs dry and receive data backs
# up until the host feels it (the generator counts backpressure). Then the
# host releases the completions; they reach the guest's ring behind that
# receive data. The application calls only rx_burst (testpmd io transmits
# only what it received), so the driver itself must read past the data to
# the completions: every frame then arrives, comes back, and none is lost
# or discarded. Before the fix this hung with RX-nombuf climbing forever.
. "$(dirname "$0")/lib.sh"
nv_init
N=8000
POOL=1536

xstat() { nv_cmd show port xstats 0; nv_out | awk -v n="$1:" '$1 == n { print $2 }'; }
port_rx() { nv_cmd show port stats 0; nv_out | nv_port_stat RX-packets; }

# Two settings differ from the strict host's defaults, on purpose:
# --tx-comp-delay holds every completion (the test releases them itself:
# the default 20 us would complete sends before the pool can run dry),
# and --tx-max-pending lifts Azure's 1024 pending sends per queue: with
# it the host stops reading our sends at 1024, tx_burst refuses and
# testpmd frees the frames, so the pool (1536) would never run dry.
it_emu_start ps --recv-size 4M --tx-comp-delay 600000000 --tx-max-pending 65536 \
	--backend "gen:flows=16,size=1514,count=$N,rate=0,start=0"
NV_EAL_ARGS=(-a "$(nv_guid ps 0),tx_copybreak=0")
nv_i_start ps "$IT_DIR/testpmd.log" --forward-mode=io --port-topology=loop \
	--total-num-mbufs=$POOL
nv_check_log "$NV_LOG"
nv_cmd start
it_ctl ps gen 0 start >/dev/null || fail "gen start refused"
nv_wait_ge 60 1 xstat rx_q0_nombuf ||
	fail "the pool never ran dry (rx_q0_nombuf ${NV_GOT:-?}, testpmd received $(port_rx))"
nv_wait_ge 60 1 it_backend_counter ps 0 backpressure ||
	fail "receive data never backed up to the host (delivered $(it_backend_counter ps 0 to-guest) of $N)"
held_rx=$(port_rx)
it_log "pool dry: testpmd received $held_rx, host holds $(it_backend_counter ps 0 from-guest) sends back"
it_ctl ps tx-comp-delay 0 0 >/dev/null || fail "tx-comp-delay refused"
nv_wait 60 "$N" it_backend_counter ps 0 to-guest ||
	fail "deadlock: the generator delivered $NV_GOT of $N after the completions were released (testpmd received $(port_rx), rx_q0_nombuf $(xstat rx_q0_nombuf))"
nv_wait 60 "$N" port_rx || fail "testpmd received $NV_GOT of $N"
nv_wait 60 "$N" it_backend_counter ps 0 from-guest ||
	fail "the host got back $NV_GOT of $N frames"
nv_cmd stop
nv_cmd show port stats 0
st=$(nv_out)
miss=$(nv_port_stat RX-missed <<<"$st")
disc=$(xstat rx_q0_discarded)
nombuf=$(xstat rx_q0_nombuf)
lost=$(xstat tx_q0_lost)
nv_i_quit || fail "testpmd did not exit cleanly"
it_log "received and sent back $N; rx_q0_nombuf $nombuf, RX-missed $miss, rx_q0_discarded $disc, tx_q0_lost $lost"
[ "$miss" = 0 ] || fail "RX-missed $miss"
[ "$disc" = 0 ] || fail "rx_q0_discarded $disc"
[ "$lost" = 0 ] || fail "tx_q0_lost $lost"
it_strict_ok ps 0
it_log "ok: a starved pool recovers once the host completes the sends"
