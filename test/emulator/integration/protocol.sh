#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A guest that violates the protocol (SEND_RECV_BUF with a GPADL the host
# never gave out) is reported by name; the emulator survives it.
. "$(dirname "$0")/lib.sh"
it_init
[ -x "$EMU_BADGUEST" ] || skip "emu_badguest not built"

it_emu_start p
log="$IT_DIR/emu-p.log"
# Only the guest is preloaded (not timeout, not env).
timeout -s KILL 30 env -i PATH=/usr/bin:/bin VMBUS_EMU_ROOT="$(it_root p)" \
	LD_PRELOAD="$VMBUS_EMU_SHIM" "$EMU_BADGUEST" \
	>"$IT_DIR/badguest.log" 2>&1 || fail "the bad guest failed (rc $?)"
sleep 0.5
grep -q 'protocol error: .*SEND_RECV_BUF.*gpadl' "$log" ||
	fail "no log line names the SEND_RECV_BUF/GPADL violation"
kill -0 "${IT_EMU_PIDS[0]}" 2>/dev/null || fail "emulator died"
it_ctl p stats 0 >"$IT_DIR/stats.log" || fail "control socket dead"
grep -q 'protocol errors [1-9]' "$IT_DIR/stats.log" ||
	fail "protocol error not counted: $(head -2 "$IT_DIR/stats.log")"
it_log "ok: $(grep -m1 'protocol error' "$log")"
# Planted bug: a guest that never rings the doorbell stalls, as on
# Hyper-V, and the emulator says why (log line and counter).
timeout -s KILL 30 env -i PATH=/usr/bin:/bin VMBUS_EMU_ROOT="$(it_root p)" \
	LD_PRELOAD="$VMBUS_EMU_SHIM" "$EMU_BADGUEST" --mute \
	>"$IT_DIR/mute.log" 2>&1
rc=$?
[ "$rc" = 3 ] || fail "the mute guest was answered or failed otherwise (rc $rc)"
grep -q 'no reply to NVSP INIT (the guest never signalled)' "$IT_DIR/mute.log" ||
	fail "the mute guest did not report the stall"
grep -q 'missed doorbell: .* without a signal' "$log" ||
	fail "no log line names the missed doorbell"
it_ctl p stats 0 >"$IT_DIR/stats2.log" || fail "control socket dead"
grep -q 'queue 0.* missed-doorbell 1$' "$IT_DIR/stats2.log" ||
	fail "missed doorbell not counted: $(grep 'queue 0' "$IT_DIR/stats2.log")"
it_log "ok: $(grep -m1 'missed doorbell' "$log")"
# A well-behaved guest still works afterwards (when testpmd is there).
if [ -x "$TESTPMD" ] && ! it_shim_sanitized; then
	it_need_huge
	printf 'show port info 0\nquit\n' | it_testpmd p 60 -i >"$IT_DIR/tp.log" 2>&1 ||
		fail "testpmd after the bad guest failed"
	grep -q 'Link status: up' "$IT_DIR/tp.log" || fail "link not up for the next guest"
	it_log "ok: the next guest probes normally"
fi
