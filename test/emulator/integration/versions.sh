#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Older hosts: the stock netvsc PMD attaches 4 queues to an NVSP 5 host
# that pads its responses to 40 bytes (the default), and fails exactly as
# on 28-byte hosts with --nvsp-resp-size 28 (docs/emulator.md, "Older
# hosts and Debian's stock PMD"). Both hosts are slow too: NVSP and RNDIS
# replies delayed through the control socket.
. "$(dirname "$0")/lib.sh"
it_init
it_need_testpmd

# run_case NAME RESP-SIZE: testpmd's log in $IT_DIR/testpmd-NAME.log
run_case() {
	it_emu_start "$1" --host-version 5 --nvsp-resp-size "$2" --max-queues 8
	# A slow host besides: the first NVSP reply 200 ms late, two RNDIS
	# replies 300 ms late, each on its own clock.
	it_ctl "$1" reply-delay 0 nvsp 200 1 >/dev/null || fail "reply-delay nvsp refused"
	it_ctl "$1" reply-delay 0 rndis 300 2 >/dev/null || fail "reply-delay rndis refused"
	printf 'show port info 0\nquit\n' |
		it_testpmd "$1" 60 -i --rxq=4 --txq=4 >"$IT_DIR/testpmd-$1.log" 2>&1
}

run_case pad 40 || fail "testpmd failed on an NVSP 5 host with 40-byte responses"
out="$IT_DIR/testpmd-pad.log"
grep -q 'Current number of RX queues: 4' "$out" || fail "NVSP 5, 40 bytes: not 4 queues"
grep -q 'Link status: up' "$out" || fail "NVSP 5, 40 bytes: link not up"
it_ctl pad stats 0 | grep -q 'replies delayed 3 dropped 0' ||
	fail "the delayed replies were not counted: $(it_ctl pad stats 0 | grep 'host:')"
# 6.1 and 6 refused (status NONE), so the PMD settled on 5.
grep -q 'NVSP INIT: refused 0x60000..0x60000' "$IT_DIR/emu-pad.log" ||
	fail "the host did not refuse NVSP 6"

run_case short 28
out="$IT_DIR/testpmd-short.log"
grep -q 'invalid NVS resp len 32 (expect 40)' "$out" ||
	fail "NVSP 5, 28 bytes: the stock PMD's length check did not fire"
it_log "ok: NVSP 5 host: 4 queues with 40-byte responses; 28 bytes -> 'invalid NVS resp len 32 (expect 40)'"
