#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Two NICs at once; three guest runs against one emulator; a guest killed
# with SIGKILL leaves the emulator healthy for the next one.
. "$(dirname "$0")/lib.sh"
it_init
it_need_testpmd

it_emu_start two --nics 2 --mac 00:15:5d:00:00:20 \
	--backend "gen:count=1000,start=0" --backend "gen:count=2000,start=0"

# Port numbers follow the scan; find each NIC's port by its MAC.
port_of_mac() { awk -v m="$2" 'toupper($0) ~ "^PORT [0-9]+: " toupper(m) {
	sub(":", "", $2); print $2; exit }' "$1"; }

out="$IT_DIR/testpmd-two.log"
it_tp_start two "$out" --forward-mode=rxonly
it_ctl two gen 0 start >/dev/null && it_ctl two gen 1 start >/dev/null ||
	fail "gen start refused"
sleep 2
it_tp_stop || fail "testpmd with two ports did not exit cleanly"
p0=$(port_of_mac "$out" 00:15:5d:00:00:20)
p1=$(port_of_mac "$out" 00:15:5d:00:00:21)
[ -n "$p0" ] && [ -n "$p1" ] || fail "testpmd did not bring up both NICs"
r0=$(it_tp_stat "$out" "$p0" RX-packets)
r1=$(it_tp_stat "$out" "$p1" RX-packets)
# Reported at the end, so the restart checks below still run.
two_nic_err=
if [ "$r0" = 1000 ] && [ "$r1" = 2000 ]; then
	it_log "ok: two NICs, ports $p0/$p1 received $r0/$r1"
else
	two_nic_err="two NICs: port $p0 got '$r0' (want 1000), port $p1 got '$r1' (want 2000)"
	it_log "FAILED: $two_nic_err"
fi

probe_once() {
	local out="$IT_DIR/probe-$1.log"
	printf 'show port info 0\nquit\n' | it_testpmd two 60 -i >"$out" 2>&1 ||
		fail "guest run $1: testpmd failed or timed out"
	grep -q 'Link status: up' "$out" || fail "guest run $1: link not up"
}
for run in 1 2 3; do
	probe_once "$run"
done
it_log "ok: three guest runs in a row"

out="$IT_DIR/testpmd-killed.log"
it_tp_start two "$out" --forward-mode=rxonly
it_tp_kill "$out"
sleep 0.5
kill -0 "${IT_EMU_PIDS[0]}" 2>/dev/null || fail "emulator died with its guest"
it_ctl two stats >/dev/null || fail "control socket dead after SIGKILL of the guest"
probe_once after-kill
it_log "ok: emulator healthy after a SIGKILLed guest"
[ -z "$two_nic_err" ] || fail "$two_nic_err"
