#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# txlate.sh ours: a send completion that comes after the PMD gave up on the
# send must not complete the send that now uses the same descriptor.
# The host holds every send completion (vmbus-emu-ctl tx-comp-delay
# never) while testpmd transmits page-buffer frames (the descriptor keeps
# the mbuf until the completion) until its descriptors run out; port stop
# reclaims them (tx_q0_lost, "never completed; reclaimed"); after port
# start the same descriptors carry new sends, still held. Then the host
# lets everything go, oldest first: each late completion must be refused
# and counted (chan0_late_xid, or chan0_bad_xid once its transaction
# slot carries a new send: the generation moved on; here every slot does),
# the new sends complete normally, nothing is
# counted as a duplicate, and nothing more is lost at the final stop.
# (Without the generation in the transaction id, the late completions
# completed the new sends: freed their mbufs while the host still read
# them, and the new sends' own completions then counted as duplicates.)
. "$(dirname "$0")/lib.sh"
nv_init
[ "$NV_DRIVER" = ours ] || skip "our PMD's xstats only"
trap 'tail -n 8 "$IT_DIR/emu-t.log" 2>/dev/null | sed "s/^/  emu: /"; it_cleanup' EXIT

# 128 descriptors (--txd): both rounds of held sends stay below the host's
# limit of outstanding sends (1024), so it keeps reading the ring.
it_emu_start t --backend sink
nv_i_start t "$IT_DIR/testpmd.log" --forward-mode=txonly --txpkts=1000 \
	--txd=128 --burst=16

# Sum of the xstats whose name matches: xsum REGEX
xsum() {
	nv_cmd show port xstats 0
	nv_out | awk -v re="^($1):\$" '$1 ~ re { s += $2 } END { print s + 0 }'
}
reclaimed() { grep -c 'never completed; reclaimed' "$NV_LOG"; }

r=$(it_ctl t tx-comp-delay 0 never) || fail "tx-comp-delay never refused: $r"
# Round 1: every descriptor carries a send the host holds.
nv_cmd start
nv_wait_ge 60 1 xsum tx_q0_no_desc || fail "round 1: the descriptors never ran out ($NV_GOT)"
nv_cmd stop
n1=$(xsum tx_q0_pagebuf)
nv_cmd port stop 0
lost=$(xsum tx_q0_lost)
nrec=$(reclaimed)
[ "$lost" -ge 100 ] || fail "port stop reclaimed $lost sends, expected most of 128 (page-buffer sends $n1)"
[ "$nrec" = "$lost" ] || fail "port stop: $lost lost, $nrec 'reclaimed' log lines"
it_log "round 1: $n1 page-buffer sends, $lost reclaimed at stop (at ${SECONDS}s)"

# Round 2: the reclaimed descriptors carry new sends, also held.
nv_cmd port start 0
n0=$(xsum tx_q0_no_desc)
nv_cmd start
nv_wait_ge 60 $((n0 + 1)) xsum tx_q0_no_desc || fail "round 2: the descriptors never ran out"
it_log "round 2 held (at ${SECONDS}s)"
base_bad=$(xsum 'chan0_(late|bad|dup)_xid')
[ "$base_bad" = 0 ] || fail "refused completions before any was late: $base_bad"

# The host completes everything, round 1 first; testpmd keeps sending
# (so the PMD reads completions), now completed at once.
r=$(it_ctl t tx-comp-delay 0 0) || fail "tx-comp-delay 0 refused: $r"
nv_wait_ge 60 "$lost" xsum 'chan0_(late|bad|dup)_xid' ||
	fail "late completions: $NV_GOT of $lost refused"
# Round 2's held completions and the new ones: the queue drains.
s0=$(xsum tx_q0_pagebuf)
nv_wait_ge 60 $((s0 + 1000)) xsum tx_q0_pagebuf || fail "sending stalled after the release"
nv_cmd stop
nv_cmd show port xstats 0
late=$(nv_out | awk '$1 == "chan0_late_xid:" { print $2 }')
stale=$(nv_out | awk '$1 == "chan0_bad_xid:" { print $2 }')
dup=$(nv_out | awk '$1 == "chan0_dup_xid:" { print $2 }')
[ "${dup:-x}" = 0 ] || fail "$dup completions counted as duplicates: a late one completed a new send"
[ $((late + stale)) = "$lost" ] ||
	fail "refused $late late + $stale stale completions, $lost sends were reclaimed"
grep -qE 'bad host (late )?transaction id: tx completion xid' "$NV_LOG" ||
	fail "no '(late) transaction id: tx completion xid' log line"
grep -E 'has no descriptor|not ours to free' "$NV_LOG" && fail "Tx bookkeeping broke"

# Nothing outstanding is lost at the final stop (every send completed).
nv_cmd port stop 0
lost2=$(xsum tx_q0_lost)
[ "$lost2" = "$lost" ] || fail "final stop: lost $lost2, was $lost (completions went missing)"
nv_check_log "$NV_LOG"
nv_i_quit || fail "testpmd did not exit cleanly"
it_log "ok: $lost late completions refused ($late late, $stale stale), none completed a new send"
