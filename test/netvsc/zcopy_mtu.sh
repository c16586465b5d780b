#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# zcopy_mtu.sh ours: an MTU change (a new host session, which maps the
# receive buffer again) is refused while the application holds zero-copy
# mbufs that point into the receive buffer. Two NICs, testpmd io between
# them: port A (rx_extmbuf_enable=1) receives N 1514-byte frames from a
# generator and forwards them to port B, whose host completes no send
# (held for 10 minutes, far beyond the test: not a timing assumption) and
# sends page buffers (tx_copybreak=0), so
# B's Tx descriptors keep A's external mbufs. With A stopped:
#   - "port config mtu A 9000" fails, the log names how many zero-copy
#     mbufs are held (A's extbuf count: B's Tx keeps every one), the MTU
#     stays 1500 and the host still has those sub-allocations un-ACKed;
#   - "port stop B" does not free them: B's host has not completed those
#     sends and may still read the frames (B's tx_q0_lost counts them),
#     so the change is still refused, naming the same count;
#   - once B's host completes them (tx-comp-delay 0) and B reads the
#     completions ("port cleanup", rte_eth_tx_done_cleanup, on B
#     restarted; every one completes normally: tx_q0_late_done = lost),
#     the mbufs are freed and the same change succeeds: the freed
#     packets are ACKed before the old session ends (the host's ACK count
#     grew by the held frames; no bad or duplicate ACK);
#   - at MTU 9000 zero-copy works on the new session's receive buffer
#     (its IOVAs read again): N more frames, all forwarded (B's host now
#     completes at once), the host finds every page buffer's GPA valid.
. "$(dirname "$0")/lib.sh"
nv_init
N=2000

port_of_mac() { awk -v m="$1" 'toupper($0) ~ "^PORT [0-9]+: " toupper(m) {
	sub(":", "", $2); print $2; exit }' "$NV_LOG"; }
xstat() { nv_cmd show port xstats "$1"; nv_out | awk -v n="$2:" '$1 == n { print $2 }'; }
host_field() {
	it_ctl z stats "$1" | awk -v f="$2" '/^  host: / { for (i = 1; i < NF; i++)
		if ($i == f) { v = $(i + 1); sub(",", "", v); print v + 0; exit } }'
}
port_rx() { nv_cmd show port stats "$1"; nv_out | nv_port_stat RX-packets; }

it_emu_start z --nics 2 --mac 00:15:5d:00:07:10 \
	--tx-comp-delay 600000000 --tx-max-pending 65536 \
	--backend "gen:flows=16,size=1514,count=$N,rate=0,start=0" --backend sink
NV_EAL_ARGS=(-a "$(nv_guid z 0),rx_extmbuf_enable=1" -a "$(nv_guid z 1),rx_extmbuf_enable=1,tx_copybreak=0")
nv_i_start z "$IT_DIR/testpmd.log" --forward-mode=io
nv_check_log "$NV_LOG"
a=$(port_of_mac 00:15:5d:00:07:10) b=$(port_of_mac 00:15:5d:00:07:11)
[ -n "$a" ] && [ -n "$b" ] || fail "no ports for the two NICs (A '$a', B '$b')"

# run_gen TOTAL: the generator sends N more; A receives them, B's host
# takes every one (B's Tx keeps the mbufs).
run_gen() {
	nv_cmd start
	it_ctl z gen 0 start >/dev/null || fail "gen start refused"
	nv_wait 120 "$1" port_rx "$a" || fail "port A received $NV_GOT of $1"
	nv_wait 120 "$1" it_backend_counter z 1 from-guest ||
		{ it_strict_ok z 1; fail "B's host took $NV_GOT of $1 frames"; }
	nv_cmd stop
}

run_gen "$N"
ext=$(xstat "$a" rx_q0_extbuf)
[ "$ext" -gt 0 ] || fail "no frame went zero-copy on port A"
nv_cmd port stop "$a"
h=$(host_field 0 rx-held)
[ "$h" -ge "$ext" ] || fail "A's host has $h sub-allocations un-ACKed, fewer than the $ext held frames"
acks0=$(nv_emu_q z 0 acks)
nv_cmd port config mtu "$a" 9000
line=$(nv_out | grep "port $a: MTU not changed: the application still holds") ||
	fail "MTU change with held mbufs: no refusal naming them: $(nv_out | tail -n3)"
it_log "refused: $line"
[[ $line == *" holds $ext zero-copy mbufs "* ]] ||
	fail "the refusal does not name the $ext held mbufs: $line"
nv_cmd show port info "$a"
nv_out | grep -q 'MTU: 1500$' || fail "MTU after the refusal: $(nv_out | grep -i mtu)"
[ "$(host_field 0 rx-held)" = "$h" ] || fail "the refused change gave sub-allocations back"
it_strict_ok z 0

# B's stop keeps A's mbufs: B's host has not completed their sends.
nv_cmd port stop "$b"
lost=$(xstat "$b" tx_q0_lost)
[ "$lost" -ge "$ext" ] || fail "port B's stop found $lost sends pending, fewer than the $ext zero-copy frames it holds"
nv_cmd port config mtu "$a" 9000
nv_out | grep -q " holds $ext zero-copy mbufs " ||
	fail "MTU change after B's stop, its host still holding the sends: not refused naming $ext: $(nv_out | tail -n3)"
[ "$(host_field 0 rx-held)" = "$h" ] || fail "B's stop gave sub-allocations back"

# B's host completes them, B reads the completions: the mbufs are freed.
r=$(it_ctl z tx-comp-delay 1 0) || fail "tx-comp-delay 0 refused: $r"
nv_cmd port start "$b"
late_done() { nv_cmd port cleanup "$b" txq 0 0; xstat "$b" tx_q0_late_done; }
nv_wait 120 "$lost" late_done || fail "B's held sends completed after its stop: $NV_GOT of $lost"
nv_cmd port stop "$b"
[ "$(xstat "$b" tx_q0_lost)" = "$lost" ] || fail "B's second stop found sends pending"
nv_cmd port config mtu "$a" 9000
nv_out | grep -qi 'fail\|error\|not changed' && fail "MTU 9000 after the mbufs were freed: $(nv_out)"
nv_cmd show port info "$a"
nv_out | grep -q 'MTU: 9000$' || fail "MTU after the change: $(nv_out | grep -i mtu)"
# The held frames were ACKed before the old session ended (the host's
# ACK counter outlives sessions; the new session's control messages add
# a few; a duplicate ACK would be a protocol error).
acks1=$(nv_emu_q z 0 acks)
it_log "host ACKs: $acks0 before the change, $acks1 after; $h frames were held"
[ $((acks1 - acks0)) -ge "$h" ] ||
	fail "only $((acks1 - acks0)) ACKs for the $h held frames before the old session ended"
it_strict_ok z 0

nv_cmd port start "$a"
nv_cmd port start "$b"
run_gen $((2 * N))
ext2=$(xstat "$a" rx_q0_extbuf)
it_log "zero-copy frames: $ext before the change, $ext2 in all"
[ "$ext2" -gt "$ext" ] || fail "no frame went zero-copy on the new session"
[ "$(host_field 1 gpa-invalid)" = 0 ] ||
	fail "B's host found $(host_field 1 gpa-invalid) invalid GPAs (stale receive-buffer IOVAs?)"
# B's stop frees A's mbufs only once B's host has completed their sends
# (it completes at once now): its queue must have none left to complete.
nv_wait 60 0 nv_emu_q z 1 pending || fail "B's host still holds $NV_GOT send completions"
nv_cmd port stop "$b"
[ "$(xstat "$b" tx_q0_lost)" = "$lost" ] ||
	fail "B's last stop found $(( $(xstat "$b" tx_q0_lost) - lost )) sends its host had not completed"
nv_cmd port stop "$a"
nv_wait 60 0 host_field 0 rx-held || fail "after stop A's host still has $NV_GOT sub-allocations un-ACKed"
it_strict_ok z 0
it_strict_ok z 1
nv_i_quit || fail "testpmd did not exit cleanly"
it_log "ok: MTU change refused while zero-copy mbufs are held, done once they were freed"
