#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# faults.sh ours: every fault the emulator offers ('faults'), injected
# three times while testpmd forwards (macswap, so both directions and the
# send completions are exercised). After each: no sanitizer report and
# testpmd alive, the xstat that names the fault raised, and traffic still
# flowing both ways. A dropped completion is only known at stop: the send
# is reclaimed and counted as lost then.
. "$(dirname "$0")/lib.sh"
nv_init

# The xstat (extended regex, per queue or channel) each fault must raise.
declare -A want=(
	[drop-completion]='tx_q[0-9]+_lost'
	[dup-completion]='chan[0-9]+_dup_xid'
	[unknown-completion]='chan[0-9]+_bad_xid'
	[bad-xfer-range]='chan[0-9]+_bad_range'
	[bad-rndis-len]='chan[0-9]+_bad_(rndis|frame_len)'
	[bad-ppi]='chan[0-9]+_bad_rndis'
	# The next packet of any kind: received data, or a send completion.
	[bad-desc]='chan[0-9]+_bad_packet|tx_q[0-9]+_errors'
)
ANY='chan[0-9]+_(bad|dup)_[a-z_]+|tx_q[0-9]+_(lost|host_nak|errors)|rx_q[0-9]+_errors'

it_emu_start f --backend "gen:flows=16,size=200,count=0,rate=20000,start=0"
nv_i_start f "$IT_DIR/testpmd.log" --forward-mode=macswap
nv_cmd start
it_ctl f gen 0 start >/dev/null || fail "gen start refused"

# Sum of the xstats whose name matches: xsum REGEX
xsum() {
	nv_cmd show port xstats 0
	nv_out | awk -v re="^($1):\$" '$1 ~ re { s += $2 } END { print s + 0 }'
}
# Both directions move: from-guest and to-guest grow by 500.
flowing() {
	local t0 f0
	t0=$(it_backend_counter f 0 to-guest)
	f0=$(it_backend_counter f 0 from-guest)
	nv_wait_ge 30 $((t0 + 500)) it_backend_counter f 0 to-guest ||
		fail "after $1: the host delivers nothing more ($((NV_GOT - t0)))"
	nv_wait_ge 30 $((f0 + 500)) it_backend_counter f 0 from-guest ||
		fail "after $1: the guest sends nothing more ($((NV_GOT - f0)))"
}

flowing start-up
read -r -a names <<<"$(it_ctl f faults)"
[ "${names[0]}" = ok ] || fail "'faults' answered '${names[*]}'"
unset 'names[0]'
[ "${#names[@]}" -gt 0 ] || fail "the emulator lists no faults"
for name in "${names[@]}"; do
	re=${want[$name]:-$ANY}
	x0=$(xsum "$re")
	r=$(it_ctl f fault 0 "$name" 3) || fail "fault $name: $r"
	if [ "$name" = drop-completion ]; then
		flowing "$name"
		nv_cmd stop
		nv_cmd port stop 0
		nv_cmd port start 0
		nv_cmd start
	fi
	if ! nv_wait_ge 30 $((x0 + 1)) xsum "$re"; then
		nv_cmd show port xstats 0
		fail "fault $name: no xstat matching '$re' was raised ($(nv_out | grep -E "$ANY" | awk '$2 > 0' | tr '\n' ' '))"
	fi
	flowing "$name"
	nv_check_log "$NV_LOG"
	it_log "ok: $name: $re +$(($(xsum "$re") - x0)), traffic flowing"
done
nv_cmd stop
grep -E 'bad host|never completed' "$NV_LOG" | head -n 12 | sed 's/^/  log: /'
nv_i_quit || fail "testpmd did not exit cleanly"
it_log "ok: ${#names[@]} faults"
