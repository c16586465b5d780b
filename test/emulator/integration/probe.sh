#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The stock netvsc PMD probes the emulated NIC: link up, configured MAC,
# and the emulator is still healthy afterwards.
. "$(dirname "$0")/lib.sh"
it_init
it_need_testpmd

MAC=00:15:5d:12:34:56
it_emu_start a --mac "$MAC" --link-speed 25000
out="$IT_DIR/testpmd.log"
printf 'show port info 0\nquit\n' | it_testpmd a 60 -i >"$out" 2>&1 ||
	fail "testpmd failed or timed out (rc $?)"
grep -qi "MAC address: $MAC" "$out" || fail "port 0 does not report MAC $MAC"
grep -q 'Link status: up' "$out" || fail "port 0 link is not up"
grep -q 'Link speed: 25 Gbps' "$out" || fail "port 0 does not report 25 Gbps"
grep -q 'Driver name: net_netvsc' "$out" || fail "port 0 is not driven by net_netvsc"
it_ctl a stats 0 >"$IT_DIR/stats.log" || fail "control socket does not answer"
grep -q 'protocol errors 0' "$IT_DIR/stats.log" || fail "the PMD caused protocol errors"
# Strict host: the stock PMD must not make it stop the channel (it
# never revokes its buffers on close: hn_detach runs only at uninit).
grep -q 'channel stops 0' "$IT_DIR/stats.log" ||
	fail "the stock PMD made the host stop the channel: $(grep 'channel stop' "$IT_DIR/emu-a.log")"
# Strict mode held: the RNDIS control messages went by guest-physical
# address (IOVA as PA through the shim's page table), none by VA.
grep -q 'gpa-invalid 0$' "$IT_DIR/stats.log" ||
	fail "GPAs outside the guest's page table: $(grep 'host:' "$IT_DIR/stats.log")"
grep -q 'ctrl [1-9]' "$IT_DIR/stats.log" || fail "no control messages reached the host"
it_log "ok: probed, link up, MAC $MAC, 25 Gbps"
