#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# rxlate.sh ours: a late interrupt callback must not silence a queue.
# The emulator loops every frame back (--backend loop) and its kernel face
# runs each interrupt's callback (mask the channel, bump the uio count)
# 5 ms after the host's signal (--irq-late-us), as a busy guest CPU does.
# nv_rxlate (rxlate.c) polls a frame in with its interrupt enabled, lets
# the late callback mask the channel behind the PMD's back, then sleeps on
# a second frame: the PMD must have unmasked again on that interrupt count,
# or the host never signals the second frame (the wait runs to its limit:
# "lost wakeup"). 10 rounds; every one must wake for its frame.
. "$(dirname "$0")/lib.sh"
nv_init
[ "$NV_DRIVER" = ours ] || fail "Rx interrupts: ours only"
[ -x "${NV_RXLATE:-}" ] || skip "nv_rxlate not built"
NV_BIN=$(readlink -f "$NV_RXLATE")

it_emu_start p --irq-late-us 5000 --backend loop

log="$IT_DIR/rxlate.log"
IT_TP_PREFIX="l$RANDOM"
nv_eal_args
nv_ours_exec "$(it_root p)" 300 "$NV_RXLATE" --log-level=pmd.net.netvsc:info \
	"${NV_EAL[@]}" -- 10 100 20000 >"$log" 2>&1
rc=$?
nv_check_log "$log"
grep -q '^rxlate: ok rounds=10$' "$log" ||
	fail "rc $rc: $(grep -m1 '^rxlate: ' "$log" || tail -n 3 "$log")"
[ "$rc" = 0 ] || fail "nv_rxlate exited $rc after reporting success"
irqs=$(it_ctl p stats 0 | awk '/^  queue / { for (i = 1; i < NF; i++)
	if ($i == "irqs") { v = $(i + 1); sub(",", "", v); s += v } } END { print s + 0 }')
[ "$irqs" -ge 20 ] || fail "the host raised $irqs interrupts for 10 rounds of 2 (want >= 20)"
it_strict_ok p 0
it_log "ok: 10 rounds woke for their frame despite the late mask; host irqs $irqs"
