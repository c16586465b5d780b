#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# txlate.sh ours: sends the host has not completed when the port stops.
# The host holds every send completion (vmbus-emu-ctl tx-comp-delay
# never) while testpmd transmits page-buffer frames (the descriptor keeps
# the mbuf until the completion) until its descriptors run out; port stop
# counts them lost (tx_q0_lost; one warning per queue, "N sends never
# completed by the stop; their buffers stay with the host") but must not
# reuse them: the host may still read them.
#  1. Held over the stop: after port start the queue has only the
#     descriptors the host does not hold; the host then completes
#     everything, oldest first: each held send completes normally
#     (tx_q0_late_done = tx_q0_lost), nothing is refused as late, stale
#     or duplicate, sending goes on, nothing more is lost at the next stop.
#  2. Given up: with host_timeout=3000, once the queue runs short 3 s
#     after the stop the held descriptors are reused ("N sends not
#     completed in 3000 ms since the stop") and carry new sends, also held. When the host
#     lets everything go, each late completion must be refused and
#     counted (chan0_late_xid, or chan0_bad_xid once its transaction slot
#     carries a new send: the generation moved on) and never complete the
#     new send on its descriptor (no duplicates, no bookkeeping errors).
. "$(dirname "$0")/lib.sh"
nv_init
[ "$NV_DRIVER" = ours ] || skip "our PMD's xstats only"
trap 'tail -n 8 "$IT_DIR/emu-t.log" 2>/dev/null | sed "s/^/  emu: /"; it_cleanup' EXIT

# 128 descriptors (--txd): both rounds of held sends stay below the host's
# limit of outstanding sends (1024), so it keeps reading the ring.
it_emu_start t --backend sink
guid=$(nv_guid t 0)

# Sum of the xstats whose name matches: xsum REGEX
xsum() {
	nv_cmd show port xstats 0
	nv_out | awk -v re="^($1):\$" '$1 ~ re { s += $2 } END { print s + 0 }'
}
# Sends named by the warnings (one line per queue and event, with a count).
held_lines() { sed -n 's/.*txq 0: \([0-9]*\) sends never completed by the stop; their buffers stay with the host.*/\1/p' "$NV_LOG" | awk '{ s += $1 } END { print s + 0 }'; }
reused_lines() { sed -n 's/.*txq 0: \([0-9]*\) sends not completed in [0-9]* ms since the stop: their buffers are reused.*/\1/p' "$NV_LOG" | awk '{ s += $1 } END { print s + 0 }'; }

# Round 1 of either part: every descriptor carries a send the host
# holds; port stop. Sets LOST.
hold_and_stop() {
	local n1 nrec
	r=$(it_ctl t tx-comp-delay 0 never) || fail "tx-comp-delay never refused: $r"
	nv_cmd start
	nv_wait_ge 60 1 xsum tx_q0_no_desc || fail "$1: the descriptors never ran out ($NV_GOT)"
	nv_cmd stop
	n1=$(xsum tx_q0_pagebuf)
	nv_cmd port stop 0
	LOST=$(xsum tx_q0_lost)
	nrec=$(held_lines)
	[ "$LOST" -ge 100 ] || fail "$1: port stop found $LOST sends pending, expected most of 128 (page-buffer sends $n1)"
	[ "$nrec" = "$LOST" ] || fail "$1: port stop: $LOST lost, 'buffers stay with the host' warnings name $nrec"
	it_log "$1: $n1 page-buffer sends, $LOST held by the host at stop"
}

# ---- 1. Held over the stop, completed late ----
# tx_copybreak=0: every frame a page-buffer send (the default would copy
# 1000-byte frames into sections).
NV_EAL_ARGS=(-a "$guid,tx_copybreak=0")
nv_i_start t "$IT_DIR/testpmd.log" --forward-mode=txonly --txpkts=1000 \
	--txd=128 --burst=16
hold_and_stop "1. held"
nv_cmd port start 0
n0=$(xsum tx_q0_no_desc)
nv_cmd start
nv_wait_ge 60 $((n0 + 1)) xsum tx_q0_no_desc || fail "1. round 2: the descriptors never ran out"
[ "$(reused_lines)" = 0 ] || fail "1. held buffers reused within host_timeout"
[ "$(xsum tx_q0_late_done)" = 0 ] || fail "1. late_done before the host completed anything"
r=$(it_ctl t tx-comp-delay 0 0) || fail "tx-comp-delay 0 refused: $r"
nv_wait_ge 60 "$LOST" xsum tx_q0_late_done ||
	fail "1. held sends completed after all: $NV_GOT of $LOST"
s0=$(xsum tx_q0_pagebuf)
nv_wait_ge 60 $((s0 + 1000)) xsum tx_q0_pagebuf || fail "1. sending stalled after the release"
nv_cmd stop
bad=$(xsum 'chan0_(late|bad|dup)_xid')
[ "$bad" = 0 ] || fail "1. $bad completions refused: a held send was given up or reused"
[ "$(xsum tx_q0_late_done)" = "$LOST" ] || fail "1. late_done $(xsum tx_q0_late_done), lost $LOST"
nv_cmd port stop 0
[ "$(xsum tx_q0_lost)" = "$LOST" ] || fail "1. final stop: lost $(xsum tx_q0_lost), was $LOST (completions went missing)"
grep -E 'has no descriptor|not ours to free' "$NV_LOG" && fail "1. Tx bookkeeping broke"
nv_check_log "$NV_LOG"
nv_i_quit || fail "1. testpmd did not exit cleanly"
it_log "1. ok: $LOST held sends completed late, none refused"

# ---- 2. Given up after host_timeout, then completed late ----
NV_EAL_ARGS=(-a "$guid,host_timeout=3000,tx_copybreak=0")
nv_i_start t "$IT_DIR/testpmd2.log" --forward-mode=txonly --txpkts=1000 \
	--txd=128 --burst=16
hold_and_stop "2. given up"
nv_cmd port start 0
nv_cmd start
# The queue runs short; 3 s after the stop the held sends are reused.
nv_wait_ge 60 "$LOST" reused_lines || fail "2. held sends reused: $NV_GOT of $LOST"
n0=$(xsum tx_q0_no_desc)
nv_wait_ge 60 $((n0 + 1)) xsum tx_q0_no_desc || fail "2. round 2: the descriptors never ran out"
base_bad=$(xsum 'chan0_(late|bad|dup)_xid')
[ "$base_bad" = 0 ] || fail "2. refused completions before any was late: $base_bad"
r=$(it_ctl t tx-comp-delay 0 0) || fail "tx-comp-delay 0 refused: $r"
nv_wait_ge 60 "$LOST" xsum 'chan0_(late|bad|dup)_xid' ||
	fail "2. late completions: $NV_GOT of $LOST refused"
s0=$(xsum tx_q0_pagebuf)
nv_wait_ge 60 $((s0 + 1000)) xsum tx_q0_pagebuf || fail "2. sending stalled after the release"
nv_cmd stop
nv_cmd show port xstats 0
late=$(nv_out | awk '$1 == "chan0_late_xid:" { print $2 }')
stale=$(nv_out | awk '$1 == "chan0_bad_xid:" { print $2 }')
dup=$(nv_out | awk '$1 == "chan0_dup_xid:" { print $2 }')
[ "${dup:-x}" = 0 ] || fail "2. $dup completions counted as duplicates: a late one completed a new send"
[ $((late + stale)) = "$LOST" ] ||
	fail "2. refused $late late + $stale stale completions, $LOST sends were given up"
[ "$(xsum tx_q0_late_done)" = 0 ] || fail "2. a given-up send counted as completed late"
grep -qE 'bad host (late )?transaction id: tx completion xid' "$NV_LOG" ||
	fail "2. no '(late) transaction id: tx completion xid' log line"
grep -E 'has no descriptor|not ours to free' "$NV_LOG" && fail "2. Tx bookkeeping broke"
nv_cmd port stop 0
[ "$(xsum tx_q0_lost)" = "$LOST" ] || fail "2. final stop: lost $(xsum tx_q0_lost), was $LOST"
nv_check_log "$NV_LOG"
nv_i_quit || fail "2. testpmd did not exit cleanly"
it_log "ok: held over the stop ($LOST completed late); given up after host_timeout ($late late, $stale stale refused), none completed a new send"
