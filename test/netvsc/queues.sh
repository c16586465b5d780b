#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# queues.sh ours [--EMU-OPTION VALUE...] [Q...]: the queue count changes at run time (default
# 1 -> 4 -> 2 -> 4; a second request when growing past what the host
# granted: 1 2 4 1 3), with traffic after each change (strict emulator, io forwarding: every
# frame the generator sends comes back on the queue it arrived on).
# A step rQ resets the port (testpmd 'port reset': rte_eth_dev_reset, a
# new host session on the same port) before the change to Q: the PMD logs
# the new session and the host saw one more bring-up.
# After each step, exactly:
#   - testpmd received and sent back N frames, the generator got N back;
#   - testpmd's per-queue xstats exist for queues 0..Q-1 only, sum to N,
#     and with several queues more than one queue received (RSS);
#   - the host delivered nothing to channels >= Q (the indirection table
#     was rebuilt before channels were closed) and the PMD logged the
#     channel change (subchannels asked for when growing, closed when
#     shrinking);
#   - no protocol error, no stopped channel.
. "$(dirname "$0")/lib.sh"
nv_init
[ "$NV_DRIVER" = ours ] || skip "ours only"
N=4000
shift
EMU_EXTRA=()
# Emulator options first (OPTION VALUE pairs), e.g. an older host:
# --host-version 5 (multi-queue needs NVSP 5; below 6.1 the host's
# messages differ: docs/emulator.md, "Older hosts").
while [[ ${1:-} == --* ]]; do
	EMU_EXTRA+=("$1" "${2:?value of $1}")
	shift 2
done
STEPS=(1 4 2 4)
[ $# -gt 0 ] && STEPS=("$@")
[ "${STEPS[0]}" = 1 ] || fail "the first step must be 1 queue"

# Sessions the host saw begin: NVSP INIT messages are counted per session
# in the emulator's "ctrl" figure; a reset must show a new bring-up there.
ctrl_msgs() { it_ctl qc stats 0 | sed -n 's/.* ctrl \([0-9]*\),.*/\1/p'; }

port_rx() { nv_cmd show port stats 0; nv_out | nv_port_stat RX-packets; }

# Per-queue rx packet counters of the host, "q:count" per line.
emu_q_rx() {
	it_ctl qc stats 0 | awk '/^  queue [0-9]+/ { q = $2; sub(/:$/, "", q)
		for (i = 3; i < NF; i++) if ($i == "rx") { print q ":" $(i + 1); break } }'
}
emu_q_get() { awk -F: -v q="$2" '$1 == q { print $2; f = 1 } END { if (!f) print 0 }' <<<"$1"; }

it_emu_start qc --max-queues 8 "${EMU_EXTRA[@]}" \
	--backend "gen:flows=64,size=128,count=$N,rate=50000,start=0"
nv_i_start qc "$IT_DIR/testpmd.log" --rxq=1 --txq=1 --forward-mode=io \
	--port-topology=loop
grep -q 'port 0: 1 channels\|channels (asked' "$NV_LOG" && fail "channels opened for one queue"

step=0 prev=1
for q in "${STEPS[@]}"; do
	step=$((step + 1))
	logmark=$(wc -c <"$NV_LOG")
	how=${q//[0-9]/} q=${q//[a-z]/}
	[ -z "$how" ] || [ "$how" = r ] || fail "step $step: unknown step '$how$q'"
	if [ "$step" -gt 1 ]; then
		nv_cmd port stop 0
		if [ -n "$how" ]; then
			c0=$(ctrl_msgs)
			nv_cmd port reset 0
			nv_out | grep -qiE 'fail|error|invalid' && fail "step $step: port reset: $(nv_out)"
			nv_wait_ge 30 1 eval 'tail -c +"$((logmark + 1))" "$NV_LOG" | grep -c "port 0: reset: new host session" || true' ||
				fail "step $step: no 'reset: new host session' line: $(tail -c +"$((logmark + 1))" "$NV_LOG" | grep hn_netvsc)"
			[ "$(ctrl_msgs)" -gt "$c0" ] || fail "step $step: the host saw no new session (ctrl $c0)"
			it_log "step $step: port reset, new session (host ctrl messages $c0 -> $(ctrl_msgs))"
		fi
		nv_cmd port config all rxq "$q"
		nv_cmd port config all txq "$q"
		nv_cmd port start 0
		nv_out | grep -qiE 'fail|error|invalid' && fail "step $step ($q queues): $(nv_out)"
	fi
	chlog=$(tail -c +"$((logmark + 1))" "$NV_LOG")
	if [ "$q" -gt "$prev" ]; then
		grep -q "port 0: $q channels (asked $q)" <<<"$chlog" ||
			fail "$prev -> $q: no '$q channels (asked $q)' line: $(grep hn_netvsc <<<"$chlog")"
	elif [ "$q" -lt "$prev" ]; then
		grep -qF "port 0: closed $((prev - q)) subchannel(s) from $q" <<<"$chlog" ||
			fail "$prev -> $q: channels $q..$((prev - 1)) not closed: $(grep hn_netvsc <<<"$chlog")"
	fi
	nv_cmd clear port stats 0
	nv_cmd clear port xstats 0
	before=$(emu_q_rx)
	to0=$(it_backend_counter qc 0 to-guest)
	from0=$(it_backend_counter qc 0 from-guest)
	nv_cmd start
	it_ctl qc gen 0 start >/dev/null || fail "gen start refused"
	nv_wait 60 $((to0 + N)) it_backend_counter qc 0 to-guest ||
		fail "step $step ($q queues): generator delivered $((NV_GOT - to0)) of $N"
	nv_wait 60 "$N" port_rx || fail "step $step ($q queues): testpmd received $NV_GOT of $N"
	nv_wait 30 $((from0 + N)) it_backend_counter qc 0 from-guest ||
		fail "step $step ($q queues): $((NV_GOT - from0)) of $N frames came back"
	nv_cmd stop
	nv_cmd show port stats 0
	st=$(nv_out)
	[ "$(nv_port_stat TX-packets <<<"$st")" = "$N" ] ||
		fail "step $step ($q queues): TX-packets $(nv_port_stat TX-packets <<<"$st") of $N"
	[ "$(nv_port_stat RX-missed <<<"$st")" = 0 ] || fail "step $step: RX-missed in the driver"
	nv_cmd show port xstats 0
	xs=$(nv_out)
	sum=0 used=0
	for k in $(seq 0 7); do
		v=$(awk -v n="rx_q${k}_packets:" '$1 == n { print $2 }' <<<"$xs")
		if [ "$k" -lt "$q" ]; then
			[ -n "$v" ] || fail "step $step: no rx_q${k}_packets with $q queues"
			sum=$((sum + v))
			[ "$v" -gt 0 ] && used=$((used + 1))
		else
			[ -z "$v" ] || fail "step $step: rx_q${k}_packets shown with $q queues"
		fi
	done
	[ "$sum" = "$N" ] || fail "step $step: per-queue rx sum $sum, wanted $N"
	[ "$q" = 1 ] || [ "$used" -gt 1 ] || fail "step $step: $q queues, only $used received"
	after=$(emu_q_rx)
	for k in $(seq "$q" 7); do
		d=$(($(emu_q_get "$after" "$k") - $(emu_q_get "$before" "$k")))
		[ "$d" = 0 ] || fail "step $step ($q queues): the host delivered $d frames to channel $k"
	done
	it_strict_ok qc 0
	it_log "step $step: $q queue(s), $N frames there and back, $used queue(s) used"
	prev=$q
done
nv_i_quit || fail "testpmd did not exit cleanly"
it_strict_ok qc 0
it_log "ok: queues ${STEPS[*]}"
