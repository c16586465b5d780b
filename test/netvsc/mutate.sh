#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# mutate.sh ours control|data|reply: the emulator's generic faults (docs/emulator.md,
# "Generic faults": 'mutate KIND FIELD', 'reply-delay', 'reply-drop') run
# against our PMD while testpmd forwards (macswap). Every field of every
# kind is corrupted; each case names what it must raise: an xstat (grown
# by at least 1) and/or a log line of the PMD (with the field and value it
# saw). After each: no sanitizer report, testpmd alive, and traffic
# flowing both ways again; a case that breaks the ring or the session
# (bring-up replies, ring indices) must fail the port cleanly, and the
# port is then closed and probed again (or, once, reset: a new session on
# the same port). Bring-up faults are run on a
# re-probe. Control waits end after 2 s here (devarg host_timeout), so a
# refused or lost reply costs seconds, not a minute. Three groups, one
# testpmd each: control (NVSP, send completions, RNDIS completions,
# indications), data (transfer pages, RNDIS data and PPI, ring indices),
# reply (control replies late, lost, never sent; a request in flight at
# close).
. "$(dirname "$0")/lib.sh"
nv_init
GROUP=${2:?group}
case $GROUP in control | data | reply) ;; *) fail "unknown group $GROUP" ;; esac

TMO=2000
# The emulator's last lines say which message it corrupted.
# MUTATE_KEEP=DIR keeps the logs (debugging).
trap 'tail -n 12 "$IT_DIR/emu-m.log" 2>/dev/null | sed "s/^/  emu: /"
	[ -n "${MUTATE_KEEP:-}" ] && cp "$IT_DIR"/*.log "$MUTATE_KEEP/"
	it_cleanup' EXIT
it_emu_start m --backend "gen:flows=16,size=200,count=0,rate=20000,start=0"
guid=$(nv_guid m 0)
NV_EAL_ARGS=(-a "$guid,host_timeout=$TMO")
# Watchdog of testpmd: a group takes minutes under ASan on a busy machine.
NV_TP_SECS=900
nv_i_start m "$IT_DIR/testpmd.log" --forward-mode=macswap
nv_cmd start
it_ctl m gen 0 start >/dev/null || fail "gen start refused"

# Sum of the xstats whose name matches: xsum REGEX
xsum() {
	nv_cmd show port xstats 0
	nv_out | awk -v re="^($1):\$" '$1 ~ re { s += $2 } END { print s + 0 }'
}
# Both directions move: from-guest and to-guest grow by 500.
flowing() {
	local t0 f0
	t0=$(it_backend_counter m 0 to-guest)
	f0=$(it_backend_counter m 0 from-guest)
	nv_wait_ge 30 $((t0 + 500)) it_backend_counter m 0 to-guest ||
		fail "after $1: the host delivers nothing more ($((NV_GOT - t0)))"
	nv_wait_ge 30 $((f0 + 500)) it_backend_counter m 0 from-guest ||
		fail "after $1: the guest sends nothing more ($((NV_GOT - f0)))"
}
mutated() { it_ctl m stats 0 | sed -n 's/.* mutated \([0-9]*\),.*/\1/p'; }
link_is() { nv_cmd show port info 0; nv_out | sed -n 's/^Link status: //p'; }
# Log lines of the PMD since byte offset $1 match an extended regex.
log_since() { tail -c +"$(($1 + 1))" "$NV_LOG" | grep -qE "$2"; }
# Every regex of a list separated by ' && ' appears within 10 s.
wait_log() {
	local mark=$1 re rest=$2 i
	while [ -n "$rest" ]; do
		re=${rest%% && *}
		[ "$re" = "$rest" ] && rest= || rest=${rest#* && }
		for i in $(seq 100); do
			log_since "$mark" "$re" && break
			sleep 0.1
		done
		log_since "$mark" "$re" || { MISSING=$re; return 1; }
	done
}

# Close the port and probe it again (devargs as at start).
reprobe() {
	nv_cmd stop
	nv_cmd port stop 0
	nv_cmd port close 0
	nv_cmd device detach "$guid"
	nv_out | grep -q 'is detached' || fail "$1: device not detached: $(nv_out | tail -3)"
	nv_cmd port attach "$guid,host_timeout=$TMO"
}
# Re-probe until the port is back (a bring-up fault fails one attach).
port_back() {
	local i
	for i in 1 2; do
		if nv_out | grep -q 'is attached'; then
			nv_cmd port start 0
			nv_cmd start
			return 0
		fi
		nv_cmd port attach "$guid,host_timeout=$TMO"
	done
	fail "$1: the port did not come back: $(nv_out | tail -3)"
}

# Triggers: what makes the host send a message of the kind.
t_traffic() { :; }
t_set() { nv_cmd set promisc 0 off; nv_cmd set promisc 0 on; }
t_link() {
	it_ctl m link 0 down >/dev/null
	sleep 0.5
	it_ctl m link 0 up >/dev/null
	sleep 0.3
}
t_speed() { it_ctl m speed 0 40000 >/dev/null; sleep 0.3; }
t_vf() {
	it_ctl m vf-offer 0 7 >/dev/null
	sleep 0.3
	it_ctl m vf-revoke 0 >/dev/null
}
t_reprobe() { reprobe "$CASE"; }
# The fault breaks the port: wait for the PMD to say so, then re-probe.
t_breaks() {
	wait_log "$MARK" "$BREAKS" || fail "$CASE: no log matching '$MISSING'"
	reprobe "$CASE"
}
# The fault breaks the port: wait for the PMD to say so, then bring the
# same port back with rte_eth_dev_reset (a new host session), no re-probe.
t_resets() {
	wait_log "$MARK" "$BREAKS" || fail "$CASE: no log matching '$MISSING'"
	nv_cmd stop
	nv_cmd port stop 0
	nv_cmd port reset 0
	# testpmd's own complaints (the PMD's notice says "had failed").
	nv_out | grep -v '^hn_netvsc' | grep -qiE 'fail|error|invalid' &&
		fail "$CASE: port reset: $(nv_out | tail -3)"
	nv_cmd port start 0
	nv_cmd start
}

NCASES=0
# One case: run CTL... (an emulator command), then TRIGGER; XRE: xstats
# that must grow ('-': none, the port may be gone), LRE: log that must
# appear ('-': none). check NAME TRIGGER XRE LRE CTL...
check() {
	local trig=$2 xre=$3 lre=$4 x0=0 m0 mark r
	CASE=$1
	shift 4
	# MUTATE_ONLY=REGEX: only the cases whose name matches (debugging).
	[ -n "${MUTATE_ONLY:-}" ] && ! [[ $CASE =~ $MUTATE_ONLY ]] && return 0
	# hn_bad logs each kind at most every 0.5 s (and at 1, 2, 4, ...).
	sleep 0.6
	m0=$(mutated)
	[ "$xre" != - ] && x0=$(xsum "$xre")
	mark=$(wc -c <"$NV_LOG")
	MARK=$mark
	r=$(it_ctl m "$@") || fail "$CASE: emulator refused '$*': $r"
	"t_$trig"
	# Every armed mutation is used up by this case: one left over would
	# hit the next case (or the re-probed session) instead.
	if [ "$1" = mutate ]; then
		nv_wait_ge 30 $((m0 + $6)) mutated ||
			fail "$CASE: the emulator mutated $((NV_GOT - m0)) of $6 messages"
	fi
	if [ "$lre" != - ] && ! wait_log "$mark" "$lre"; then
		fail "$CASE: no log matching '$MISSING' ($(tail -c +"$((mark + 1))" "$NV_LOG" | grep -m3 hn_netvsc | tr '\n' ' '))"
	fi
	case $trig in reprobe | breaks | stops) port_back "$CASE" ;; esac
	if [ "$xre" != - ] && ! nv_wait_ge 10 $((x0 + 1)) xsum "$xre"; then
		fail "$CASE: no xstat matching '$xre' was raised ($(nv_out | grep -E 'chan[0-9]+_|_q[0-9]+_(errors|lost|host_nak)' | awk '$2 > 0' | tr '\n' ' '))"
	fi
	flowing "$CASE"
	nv_check_log "$NV_LOG"
	NCASES=$((NCASES + 1))
	it_log "ok: $CASE: ${xre/#-/no xstat}${lre:+, log '$lre'} (at ${SECONDS}s)"
}
BAD='bad host'

flowing start-up

if [ "$GROUP" = control ]; then
# NVSP notifications (at run time: VF association) and completions
# (at bring-up).
check "nvsp type" vf chan0_bad_nvsp "$BAD nvsp: inband type = 30583" \
	mutate 0 nvsp type 0x7777 1
# INIT_COMPLETE refused: we try the next version, which this host (having
# answered the first) may refuse to discuss: attached lower, or failed.
check "nvsp status" reprobe - 'attached: NVSP 0x60000|bring-up \(nvsp-init\): no answer' \
	mutate 0 nvsp status 2 1
# (A forged id without our control tag is refused as a Tx completion's.)
check "nvsp trans-id" reprobe - "$BAD transaction id: [a-z ]+ xid = 4660 && bring-up \(nvsp-init\): no answer from the host in $TMO ms" \
	mutate 0 nvsp trans-id 0x1234 1

# Completions of our sends.
check "tx-comp trans-id" traffic chan0_bad_xid "$BAD transaction id: tx completion xid = 244834610713140" \
	mutate 0 tx-comp trans-id 0xdead00001234 3
check "tx-comp status" traffic tx_q0_host_nak - \
	mutate 0 tx-comp status 2 3
check "tx-comp type" traffic chan0_bad_nvsp "$BAD nvsp: tx completion type = 30583" \
	mutate 0 tx-comp type 0x7777 3

# RNDIS control completions (of a packet filter SET).
check "rndis-comp rid" set chan0_bad_xid "$BAD transaction id: rndis request id = 32766" \
	mutate 0 rndis-comp rid 0x7ffe 1
check "rndis-comp type" set chan0_bad_control "$BAD control: rndis reply type = 2147483801" \
	mutate 0 rndis-comp type 0x80000099 1
check "rndis-comp msg-len" set chan0_bad_control "$BAD control: rndis msg_len" \
	mutate 0 rndis-comp msg-len 0xffff 1
# A refused SET is an answer, not a fault: the SET fails, nothing counted.
check "rndis-comp status" set - 'set oid 0x0001010e: .*status 0xc00000bb' \
	mutate 0 rndis-comp status 0xc00000bb 1

# Status indications (link down, then up).
check "indication type" link chan0_bad_control "$BAD control: rndis reply type = 119" \
	mutate 0 indication type 0x77 1
check "indication msg-len" link chan0_bad_control "$BAD control: rndis msg_len" \
	mutate 0 indication msg-len 0xffff 1
check "indication status" link - - \
	mutate 0 indication status 0x40010099 1
# (The down indication's status was unknown: ignored, no link change.)
log_since "$MARK" 'port 0: link down' && fail "indication status: an unknown status took the link down"
check "indication buf-len" link chan0_bad_control "$BAD control: indicate status" \
	mutate 0 indication buf-len 0xffff 1
# (A link indication has no status buffer, so its offset means nothing:
# the speed change's has one.)
check "indication buf-off" speed chan0_bad_control "$BAD control: indicate status" \
	mutate 0 indication buf-off 0xfff0 1
nv_wait 10 up link_is || fail "link '$NV_GOT' after the indication cases"
fi

if [ "$GROUP" = data ]; then
# Transfer-page packets of received data.
check "xfer range0-off" traffic chan0_bad_range "$BAD range: data range offset" \
	mutate 0 xfer range0-off 0xfffff000 3
check "xfer range0-len" traffic chan0_bad_range "$BAD range: data range offset" \
	mutate 0 xfer range0-len 0xfffffff0 3
check "xfer pageset" traffic chan0_bad_pageset "$BAD pageset: xfer_pageset_id = 7" \
	mutate 0 xfer pageset 7 3
check "xfer range-count" traffic chan0_bad_packet "$BAD packet" \
	mutate 0 xfer range-count 0xffff 3
check "xfer type" traffic chan0_bad_packet "$BAD packet: packet type = 119" \
	mutate 0 xfer type 0x77 3
check "xfer offset8" traffic chan0_bad_packet "$BAD packet: descriptor offset8" \
	mutate 0 xfer offset8 0xffff 3
check "xfer flags" traffic - - \
	mutate 0 xfer flags 0x77 3
# The guest can only echo the id it was given: the strict host then finds
# ACKs naming no packet and stops the channel (the device is gone for the
# guest, which cannot tell); close and re-probe bring the port back.
# One message only: the stopped host sends no more, so a second armed
# mutation would wait for the re-probed session and stop it too.
t_stops() {
	nv_wait_ge 10 1 proto_errors || fail "$CASE: the host found nothing wrong"
	reprobe "$CASE"
}
proto_errors() { it_ctl m stats 0 | sed -n 's/.*protocol errors \([0-9]*\).*/\1/p'; }
check "xfer trans-id" stops - - \
	mutate 0 xfer trans-id 0x1234 1

# RNDIS data messages and their per-packet info.
RX='chan0_bad_(rndis|frame_len)|rx_q0_errors'
for f in type msg-len data-off data-len ppi-off ppi-len ppi0-off; do
	check "rndis-data $f" traffic "$RX" "$BAD (rndis|frame length)" \
		mutate 0 rndis-data "$f" 0xfff1 3
done
check "rndis-data ppi0-size" traffic "$RX" "$BAD rndis" \
	mutate 0 rndis-data ppi0-size 0 3
# A per-packet info type we do not know is skipped, as the protocol says.
check "rndis-data ppi0-type" traffic - - \
	mutate 0 rndis-data ppi0-type 0x77 3

# Ring indices: the ring is broken, the port fails cleanly (link down,
# stop and close return) and a re-probe brings it back.
BREAKS='corrupt VMBus ring|host unreachable'
check "ring h2g-write" breaks - "$BREAKS" mutate 0 ring h2g-write 0x7ffffff8 1
# The same on a port brought back by a reset instead: the failed session's
# channels are closed and a new one is made with the same queues.
check "ring h2g-write, reset" resets - \
	"reset: new host session \(the old one had failed\), 1 channel\(s\)" \
	mutate 0 ring h2g-write 0x7ffffff8 1
# The host stores its read index again after its next read: the guest may
# never see the bad one. Either the port fails (and is re-probed) or
# traffic goes on.
t_maybe_breaks() {
	local i
	for i in $(seq 30); do
		log_since "$MARK" "$BREAKS" && break
		sleep 0.1
	done
	if log_since "$MARK" "$BREAKS"; then
		it_log "$CASE: the guest saw the bad index: port failed"
		reprobe "$CASE"
		port_back "$CASE"
	fi
}
check "ring g2h-read" maybe_breaks - - mutate 0 ring g2h-read 0x7ffffff8 1
fi

if [ "$GROUP" = reply ]; then
# Control replies late, lost or never sent.
check "reply-delay rndis late" set chan0_late_xid "late transaction id: rndis request id = " \
	reply-delay 0 rndis $((TMO + 1500)) 1
check "reply-delay rndis in time" set - - \
	reply-delay 0 rndis 300 1
log_since "$MARK" 'set oid' && fail "reply-delay rndis in time: the SET failed"
check "reply-drop rndis" set - "RNDIS set \(rndis-set\): no answer from the host in $TMO ms" \
	reply-drop 0 rndis 1
check "reply-delay any never" set - "RNDIS set \(rndis-set\): no answer from the host in $TMO ms" \
	reply-delay 0 any never 1
check "reply-delay indication" link - 'link down' \
	reply-delay 0 indication 300 1
check "reply-drop indication" link - - \
	reply-drop 0 indication 1
log_since "$MARK" 'port 0: link down' && fail "reply-drop indication: link down without an indication"
check "reply-delay nvsp" reprobe - "bring-up \(nvsp-init\): no answer from the host in $TMO ms" \
	reply-delay 0 nvsp $((TMO + 1500)) 1
check "reply-drop nvsp" reprobe - "bring-up \(nvsp-init\): no answer from the host in $TMO ms" \
	reply-drop 0 nvsp 1

# A request the host never completes (its packet's completion carries a
# forged id), then close and re-probe: RNDIS HALT must not go into the
# page the host still holds.
# (reprobe first stops the port: its packet filter SET is the request.)
nv_cmd stop
sleep 0.5
check "in-flight request at close" reprobe - "tx completion xid = 16962 && RNDIS set \(rndis-set\): no answer && later requests use a new page" \
	mutate 0 tx-comp trans-id 0x4242 1
fi

nv_cmd stop
grep -E 'bad host|no answer|new page|corrupt' "$NV_LOG" | head -n 20 | sed 's/^/  log: /'
nv_i_quit || fail "testpmd did not exit cleanly"
it_log "ok: $NCASES generic faults ($GROUP)"
