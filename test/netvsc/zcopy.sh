#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# zcopy.sh ours: zero-copy receive (rx_extmbuf_enable=1) while the
# application holds the mbufs. testpmd io sends every 1514-byte frame back
# as page buffers (tx_copybreak=0) straight from the receive buffer, and the host completes
# no send (completions held for 10 minutes, far beyond the test's
# timeout: not a timing assumption, the test ends long before), so the Tx
# descriptors keep every mbuf. A 4 MiB receive buffer puts the driver's
# bound (half of it per channel) below what the application holds:
#   - every frame given out zero-copy still has its receive sub-allocation
#     un-ACKed at the host (rx-held >= rx_q0_extbuf): no ACK came early;
#   - past the bound frames are copied (rx_q0_extbuf_fallback > 0), so the
#     host is never starved: all N frames arrive and come back;
#   - "port stop" counts the N sends lost (tx_q0_lost) but keeps their
#     mbufs: the host may still read those frames, so their receive
#     sub-allocations must stay un-ACKed (an ACK would let the host
#     write the next frame there);
#   - once the host completes them (tx-comp-delay 0) and the queue reads
#     the completions ("port cleanup", rte_eth_tx_done_cleanup, on the
#     restarted port), every held send completes normally
#     (tx_q0_late_done = N, none refused), the mbufs are freed and the
#     next stop sends the deferred ACKs: rx-held 0, no bad or duplicate
#     ACK, no protocol error (the strict host also refuses a send from a
#     sub-allocation that was already ACKed).
. "$(dirname "$0")/lib.sh"
nv_init
N=3000

xstat() { nv_cmd show port xstats 0; nv_out | awk -v n="$1:" '$1 == n { print $2 }'; }
# Sum of the xstats whose name matches: xsum REGEX
xsum() {
	nv_cmd show port xstats 0
	nv_out | awk -v re="^($1):\$" '$1 ~ re { s += $2 } END { print s + 0 }'
}
held() {
	it_ctl zc stats 0 | awk '/ rx-held / { for (i = 1; i < NF; i++)
		if ($i == "rx-held") { print $(i + 1) + 0; exit } }'
}
port_rx() { nv_cmd show port stats 0; nv_out | nv_port_stat RX-packets; }

it_emu_start zc --recv-size 4M --tx-comp-delay 600000000 --tx-max-pending 65536 \
	--backend "gen:flows=16,size=1514,count=$N,rate=0,start=0"
NV_EAL_ARGS=(-a "$(nv_guid zc 0),rx_extmbuf_enable=1,tx_copybreak=0")
nv_i_start zc "$IT_DIR/testpmd.log" --forward-mode=io --port-topology=loop
nv_check_log "$NV_LOG"
nv_cmd start
it_ctl zc gen 0 start >/dev/null || fail "gen start refused"
nv_wait 120 "$N" port_rx || fail "testpmd received $NV_GOT of $N"
nv_wait 120 "$N" it_backend_counter zc 0 from-guest ||
	{ it_strict_ok zc 0; fail "the host took $NV_GOT of $N frames sent back"; }
nv_cmd stop
ext=$(xstat rx_q0_extbuf) fb=$(xstat rx_q0_extbuf_fallback)
nc=$(xstat rx_q0_extbuf_noncontig) def=$(xstat rx_q0_acks_deferred)
h=$(held)
it_log "held by the application: extbuf $ext, fallback $fb, noncontig $nc, acks deferred $def; host rx-held $h"
[ "$((ext + fb + nc))" = "$N" ] ||
	fail "extbuf $ext + fallback $fb + noncontig $nc != $N frames above rx_copybreak"
[ "$ext" -gt 0 ] || fail "no frame went zero-copy"
[ "$fb" -gt 0 ] || fail "the bound never made the driver copy (extbuf_fallback 0)"
[ "$def" -gt 0 ] || fail "no ACK was deferred while the mbufs are held"
[ "$h" -ge "$ext" ] ||
	fail "the host has $h sub-allocations un-ACKed, fewer than the $ext zero-copy frames still held: ACKs came early"
it_strict_ok zc 0
nv_cmd port stop 0
lost=$(xstat tx_q0_lost)
[ "$lost" = "$N" ] || fail "tx_q0_lost $lost: the host completed sends it was told to hold"
h2=$(held)
[ "$h2" -ge "$ext" ] ||
	fail "after port stop the host has $h2 sub-allocations un-ACKed, fewer than the $ext zero-copy frames its sends still name"
it_strict_ok zc 0
# The host completes everything now; the restarted queue reads the
# completions when asked (nobody forwards: the generator is done).
r=$(it_ctl zc tx-comp-delay 0 0) || fail "tx-comp-delay 0 refused: $r"
nv_cmd port start 0
late_done() { nv_cmd port cleanup 0 txq 0 0; xstat tx_q0_late_done; }
nv_wait 120 "$N" late_done || fail "held sends completed after the stop: $NV_GOT of $N"
bad=$(xsum 'chan0_(late|bad|dup)_xid')
[ "$bad" = 0 ] || fail "$bad completions of held sends refused"
nv_cmd port stop 0
nv_wait 60 0 held || fail "after the late completions and port stop the host still has $NV_GOT sub-allocations un-ACKed"
it_strict_ok zc 0
[ "$(xstat tx_q0_lost)" = "$N" ] || fail "tx_q0_lost $(xstat tx_q0_lost) after the second stop, was $N"
nv_i_quit || fail "testpmd did not exit cleanly"
it_log "ok: zero-copy frames held by Tx (over a stop too), ACKed only when freed"
